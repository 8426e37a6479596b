"""Small helpers for tests that stand up a provider's API on pytest-httpserver."""

from __future__ import annotations

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response


def serve_sequence(server: HTTPServer, path: str, replies: list[Response]) -> None:
    """Answer ``path`` with ``replies`` in order, the last one repeating."""

    def handler(request: Request) -> Response:
        return replies.pop(0) if len(replies) > 1 else replies[0]

    server.expect_request(path).respond_with_handler(handler)
