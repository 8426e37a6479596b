"""Serve the app on a free loopback port: in a background thread, or in processes of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

START_TIMEOUT_S = 30


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: FastAPI, port: int | None = None, **options: Any) -> Iterator[str]:
    """Run ``app`` until the block ends; yields its base URL.

    ``options`` go to ``uvicorn.Config`` (e.g. ``tickerpulse.web.server.server_options``).

    Raises:
        RuntimeError: If the server does not start within ``START_TIMEOUT_S``.
    """
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, **options
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serving_process(
    env: dict[str, str],
    workers: int = 1,
    port: int | None = None,
    start_timeout_s: float = START_TIMEOUT_S,
) -> Iterator[str]:
    """Run the app in its own uvicorn process(es), built by ``app_from_env`` from ``env``.

    Yields:
        The base URL, once ``/healthz`` answers.

    Raises:
        RuntimeError: If the server does not answer within ``start_timeout_s``.
    """
    port = port or free_port()
    command = [
        sys.executable, "-m", "uvicorn", "tickerpulse.web.app:app_from_env", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _answers(base + "/healthz"):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"the web server did not start on port {port}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False
