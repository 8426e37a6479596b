"""Local emulators of the cloud services the seed uses, started on free ports for a test module.

- fake-gcs-server: Google Cloud Storage's JSON API, objects kept in memory.
- stripe-mock: Stripe's API as its OpenAPI describes it; it validates requests and answers
  with fixed fixture objects (it keeps no state between calls).

Both are Go programs that ``make cloud-tools`` builds into ``.tools/go/bin``.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

GO_BIN = Path(__file__).resolve().parents[1] / ".tools" / "go" / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tool(name: str) -> Path:
    path = GO_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make cloud-tools` (or `make test-cloud`)")
    return path


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    """Wait until ``url`` answers (any HTTP status) or the process has died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the emulator exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


@contextmanager
def running(args: list[str], probe_url: str) -> Iterator[None]:
    """Run an emulator until the block ends; stop it (and only it) afterwards."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_http(probe_url, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def fake_gcs_server() -> Iterator[str]:
    """A fake-gcs-server in memory; yields its endpoint, ``http://127.0.0.1:<port>``."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    args = [str(tool("fake-gcs-server")), "-scheme", "http", "-host", "127.0.0.1",
            "-port", str(port), "-backend", "memory", "-public-host", f"127.0.0.1:{port}",
            "-log-level", "error"]  # fmt: skip
    with running(args, f"{endpoint}/storage/v1/b"):
        yield endpoint


@contextmanager
def stripe_mock() -> Iterator[str]:
    """A stripe-mock over HTTP; yields its base URL, ``http://127.0.0.1:<port>``."""
    port = free_port()
    args = [str(tool("stripe-mock")), "-http-port", str(port)]
    with running(args, f"http://127.0.0.1:{port}/v1/customers"):
        yield f"http://127.0.0.1:{port}"
