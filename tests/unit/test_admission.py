"""The admission gate: a few requests worked on at once, the rest wait, streams hold no place."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client import CollectorRegistry, Histogram
from starlette.types import Receive, Scope, Send

from tickerpulse.web.metrics import AdmissionGate, TimingMiddleware


class SlowApp:
    """Answers after a pause, counting how many requests it works on at once."""

    def __init__(self) -> None:
        self.busy = self.most = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.busy += 1
        self.most = max(self.most, self.busy)
        await asyncio.sleep(0.02)
        self.busy -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if scope["path"] == "/stream":
            await send({"type": "http.response.body", "body": b"a", "more_body": True})
            await asyncio.sleep(0.3)  # a long stream, after its answer started
        await send({"type": "http.response.body", "body": b"ok"})


def gated(app: SlowApp, places: int) -> TimingMiddleware:
    registry = CollectorRegistry()
    latency = Histogram("latency", "l", ["method", "route", "status"], registry=registry)
    return TimingMiddleware(app, latency, Histogram("queued", "q", registry=registry), places)


async def get_all(asgi: TimingMiddleware, paths: list[str]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return list(await asyncio.gather(*(client.get(p) for p in paths)))


def test_at_most_the_configured_requests_are_worked_on_and_the_wait_is_reported() -> None:
    app = SlowApp()
    answers = asyncio.run(get_all(gated(app, 2), ["/"] * 10))
    assert app.most == 2 and all(a.status_code == 200 for a in answers)
    timings = [a.headers["server-timing"] for a in answers]
    assert all(t.startswith("queue;dur=") and ", app;dur=" in t for t in timings)
    waits = sorted(float(t.split(";dur=")[1].split(",")[0]) for t in timings)
    assert waits[0] < 5 and waits[-1] >= 60  # the last waited for four rounds of two


def test_a_stream_leaves_the_gate_when_its_answer_starts() -> None:
    app = SlowApp()

    async def stream_then_page() -> float:
        asgi = gated(app, 1)
        streaming = asyncio.ensure_future(get_all(asgi, ["/stream"]))
        await asyncio.sleep(0.05)  # the stream has started and is still sending
        started = asyncio.get_running_loop().time()
        await get_all(asgi, ["/"])
        took = asyncio.get_running_loop().time() - started
        await streaming
        return took

    assert asyncio.run(stream_then_page()) < 0.2  # not held up by the 0.3 s stream


def test_no_limit_lets_everyone_in() -> None:
    app = SlowApp()
    asyncio.run(get_all(gated(app, 0), ["/"] * 6))
    assert app.most == 6


def test_the_gate_is_stuck_only_while_every_place_is_held_and_for_as_long_as_the_newest() -> None:
    now = [100.0]
    gate = AdmissionGate(2, clock=lambda: now[0])

    async def scenario() -> list[float]:
        first = await gate.enter()
        now[0] = 105.0
        seen = [gate.stuck_for()]  # one place still free
        second = await gate.enter()
        now[0] = 112.0
        seen.append(gate.stuck_for())  # both held; the newest for 7 s
        gate.leave(first)
        seen.append(gate.stuck_for())
        gate.leave(second)
        return seen

    assert asyncio.run(scenario()) == [0.0, 7.0, 0.0]
    assert AdmissionGate(0).stuck_for() == 0.0  # no limit: never stuck
