"""A small HTTP/1.1 load generator for loopback benchmarks (keep-alive, many clients at once).

httpx with 200 pooled connections spends more CPU per request than the app it
measures, so the benchmarks drive the server with this instead: each client
holds one keep-alive connection, writes a GET, reads the status line, the
headers and ``Content-Length`` bytes of body, and records the round trip and
the server's own ``Server-Timing`` (its work, and its queue wait). It runs in
its own process, so the server does not share a GIL with it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """What one load run saw."""

    server_ms: list[float] = field(default_factory=list)
    queue_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)
    failures: int = 0
    per_second: float = 0.0


def _durations(server_timing: bytes) -> tuple[float, float]:
    """``app`` and ``queue`` durations (ms) of a ``Server-Timing`` header."""
    found = dict.fromkeys((b"app", b"queue"), 0.0)
    for metric in server_timing.split(b","):
        name, _, rest = metric.strip().partition(b";dur=")
        if name in found:
            found[name] = float(rest)
    return found[b"app"], found[b"queue"]


async def _read_chunks(reader: asyncio.StreamReader) -> None:
    """Read a chunked body to its end (the zero-length chunk and the blank line after it)."""
    while size := int((await reader.readline()).split(b";")[0], 16):
        await reader.readexactly(size + 2)
    await reader.readline()


async def _client(
    host: str, port: int, request: bytes, budget: list[int], result: LoadResult
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length, timing, queued, chunked = 0, 0.0, 0.0, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
                elif name == b"server-timing":
                    timing, queued = _durations(value)
            if chunked:  # a streamed answer (CSV exports): read chunks up to the empty one
                await _read_chunks(reader)
            else:
                await reader.readexactly(length)
            result.client_ms.append((time.perf_counter() - started) * 1000)
            if status_line.split(b" ")[1:2] != [b"200"]:
                result.failures += 1
            else:
                result.server_ms.append(timing)
                result.queue_ms.append(queued)
    finally:
        writer.close()


async def _load(
    host: str, port: int, path: str, headers: dict[str, str], clients: int, requests: int
) -> LoadResult:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    result, budget = LoadResult(), [requests]
    started = time.perf_counter()
    await asyncio.gather(*(_client(host, port, request, budget, result) for _ in range(clients)))
    result.per_second = requests / (time.perf_counter() - started)
    return result


def _run(args: tuple[str, int, str, dict[str, str], int, int]) -> LoadResult:
    return asyncio.run(_load(*args))


def load(
    base: str, path: str, *, clients: int, requests: int, headers: dict[str, str] | None = None
) -> LoadResult:
    """GET ``path`` ``requests`` times from ``clients`` concurrent connections (another process).

    Args:
        base: ``http://host:port`` of the server.
        path: The path (and query) to request.
        clients: Concurrent keep-alive connections.
        requests: Requests in all.
        headers: Extra request headers (cookie, authorization).

    Returns:
        Round trips and server times (ms) of every request, failures and requests/s.
    """
    host, port = base.removeprefix("http://").split(":")
    args = (host, int(port), path, headers or {}, clients, requests)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_run, (args,))
