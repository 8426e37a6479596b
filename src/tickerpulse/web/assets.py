"""The site's static files: fingerprinted URLs, year-long caching and gzip made once.

Every file of ``web/static`` is read at start-up, hashed and gzipped in memory.
Pages link a file as ``/static/<name>?v=<hash>`` (:meth:`StaticAssets.url`); an
answer to that exact URL may be cached for a year (``immutable``), since a new
version of the file gets a new hash and so a new URL. A request without the
current hash gets ``no-cache`` and an ``ETag`` so browsers revalidate.

Plotly.js is the vendored *finance* partial bundle (scatter, bar, candlestick:
the trace types our charts use) instead of the full 4.8 MB bundle; its version
and MIT licence sit beside it (``plotly-finance.min.js``,
``plotly-finance.LICENSE.txt``, version in :data:`PLOTLY_VERSION`).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

STATIC_PREFIX = "/static"
PLOTLY_FILE = "plotly-finance.min.js"
PLOTLY_VERSION = "4.1.0"
"""The plotly.js-finance-dist-min release vendored as :data:`PLOTLY_FILE` (npm, MIT)."""
YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class StaticFile:
    """One static file as served: its bytes, its gzip form (if smaller) and its fingerprint."""

    body: bytes
    gzipped: bytes | None
    digest: str
    media_type: str


def load_static(directory: Path) -> dict[str, StaticFile]:
    """Read, hash and compress every file directly in ``directory``.

    Args:
        directory: The static folder (no sub-folders are served).

    Returns:
        File name → :class:`StaticFile`.
    """
    files: dict[str, StaticFile] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        body = path.read_bytes()
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        media = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "text/plain"
        files[path.name] = StaticFile(
            body=body,
            gzipped=packed if len(packed) < len(body) else None,
            digest=hashlib.sha256(body).hexdigest()[:16],
            media_type=media,
        )
    return files


class StaticAssets:
    """Serve the static files from memory and build their fingerprinted URLs."""

    def __init__(self, directory: Path) -> None:
        self.files = load_static(directory)

    def url(self, name: str) -> str:
        """The fingerprinted URL of a static file (``/static/site.js?v=…``).

        Args:
            name: A file name in the static folder.

        Returns:
            The URL with the file's content hash.

        Raises:
            KeyError: If there is no such file (a template typo fails loudly).
        """
        return f"{STATIC_PREFIX}/{name}?v={self.files[name].digest}"

    def response(self, request: Request, name: str) -> Response:
        """The answer for ``/static/<name>``: gzip when accepted, cached a year when fingerprinted.

        Args:
            request: The request (its ``v`` parameter, ``Accept-Encoding`` and ``If-None-Match``).
            name: The file name.

        Returns:
            The file, or 304 when the browser's copy is current.

        Raises:
            HTTPException: 404 for a name that is not a static file.
        """
        found = self.files.get(name)
        if found is None:
            raise HTTPException(status_code=404)
        etag = f'"{found.digest}"'
        headers = {
            "cache-control": YEAR if request.query_params.get("v") == found.digest else REVALIDATE,
            "etag": etag,
            "vary": "Accept-Encoding",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        body = found.body
        if found.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            body = found.gzipped
            headers["content-encoding"] = "gzip"
        return Response(body, media_type=found.media_type, headers=headers)


def install_static(app: FastAPI, directory: Path) -> StaticAssets:
    """Add ``/static/<name>`` and ``/favicon.ico`` to ``app``; returns the assets for templates.

    Args:
        app: The application.
        directory: The static folder.

    Returns:
        The loaded assets (use :meth:`StaticAssets.url` in templates).
    """
    assets = StaticAssets(directory)

    @app.api_route(f"{STATIC_PREFIX}/{{name}}", methods=["GET", "HEAD"], include_in_schema=False)
    def static_file(request: Request, name: str) -> Response:
        return assets.response(request, name)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:  # browsers that ignore the page's SVG icon link
        return RedirectResponse(assets.url("favicon.svg"), status_code=301)

    return assets
