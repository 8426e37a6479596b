"""Slow and greedy clients against a real uvicorn server over raw sockets.

The site's two request places must never be held by clients that send their
body (or headers) slowly: a normal reader is answered at once meanwhile, the
slow senders get 408 and a too-large body 413.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from bench.serving import serving
from sqlalchemy import Engine

from tests.web_helpers import platform_settings
from tickerpulse.web.app import create_app
from tickerpulse.web.server import server_options

TIMEOUT_S = 3.0


@pytest.fixture
def site(engine: Engine) -> Iterator[tuple[str, int]]:
    settings = platform_settings(
        web_max_in_flight=2,
        web_body_timeout_seconds=TIMEOUT_S,
        web_header_timeout_seconds=TIMEOUT_S,
        web_max_body_bytes=64 * 1024,
    )
    with serving(create_app(settings, engine), **server_options(settings)) as base:
        yield base, int(base.rsplit(":", 1)[1])


def connect(port: int, head: bytes) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    client.sendall(head)
    return client


def slow_body(port: int) -> socket.socket:
    """A form post that announces 1000 bytes and sends 10 of them."""
    head = (
        b"POST /login HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    )
    return connect(port, head + b"email=a%40b")


def answer(client: socket.socket) -> bytes:
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    client.close()
    return b"".join(chunks)


def test_two_slow_bodies_do_not_stop_the_site(site: tuple[str, int]) -> None:
    base, port = site
    slow = [slow_body(port), slow_body(port)]
    time.sleep(0.2)  # both are inside the server, sending nothing more
    started = time.perf_counter()
    page = httpx.get(base + "/pricing", timeout=5)
    took = time.perf_counter() - started
    # Answered while both slow bodies still hold their connections (before their 408):
    # not a speed target, the proof that they never took the admission gate's places.
    assert page.status_code == 200 and took < TIMEOUT_S * 2 / 3, took
    for client in slow:
        reply = answer(client)
        assert reply.startswith(b"HTTP/1.1 408"), reply[:80]
    assert time.perf_counter() - started < TIMEOUT_S + 1.5


def test_a_body_over_the_limit_is_refused_before_it_is_read(site: tuple[str, int]) -> None:
    _, port = site
    head = b"POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000\r\n\r\n"
    assert answer(connect(port, head)).startswith(b"HTTP/1.1 413")


def closed_by_server(client: socket.socket) -> bool:
    """Send one more header line; True once the server has closed the connection."""
    try:
        client.sendall(b"X-Slow: 1\r\n")
        client.settimeout(0.2)
        return client.recv(1024) == b""
    except TimeoutError:
        return False
    except OSError:  # reset or broken pipe: closed
        return True


def test_headers_sent_slowly_are_cut_off_after_the_header_timeout(site: tuple[str, int]) -> None:
    _, port = site
    client = connect(port, b"GET / HTTP/1.1\r\nHost: localhost\r\n")
    started = time.perf_counter()
    while not closed_by_server(client):
        assert time.perf_counter() - started < TIMEOUT_S + 2, "still open"
    assert time.perf_counter() - started >= TIMEOUT_S - 0.3
    client.close()
