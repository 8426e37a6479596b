"""Where the live path's time goes: CPU and wall-clock seconds per stage, cheap enough to leave on.

Each stage is timed around a whole websocket message or a whole bus batch, never
around a single trade, so the clocks cost a few microseconds per batch. CPU time is
the calling thread's own (``time.thread_time``): with the websocket client and the
processor sharing one interpreter, it tells how much of a core each stage needs,
while wall time also counts waiting — for Postgres, for the GIL, for the bus.

One :class:`StageClock` belongs to one thread; :func:`merge` adds clocks up for a report.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class StageTotals:
    """What one stage has cost so far."""

    cpu_s: float = 0.0
    wall_s: float = 0.0
    calls: int = 0
    items: int = 0
    """Trades (or bars, for writes) the stage handled."""


@dataclass
class StageClock:
    """Running totals per stage name, in the order stages were first timed."""

    stages: dict[str, StageTotals] = field(default_factory=dict)

    @contextmanager
    def timing(self, stage: str, items: int = 0) -> Iterator[StageTotals]:
        """Time the block as ``stage``; the totals yielded may get their ``items`` raised inside."""
        totals = self.stages.get(stage)
        if totals is None:
            totals = self.stages[stage] = StageTotals()
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            yield totals
        finally:
            totals.cpu_s += time.thread_time() - cpu
            totals.wall_s += time.perf_counter() - wall
            totals.calls += 1
            totals.items += items

    def as_dict(self) -> dict[str, dict[str, float | int]]:
        """Plain figures per stage (seconds rounded to microseconds), for logs and reports."""
        return {
            name: {
                "cpu_s": round(t.cpu_s, 6),
                "wall_s": round(t.wall_s, 6),
                "calls": t.calls,
                "items": t.items,
            }
            for name, t in self.stages.items()
        }


def merge(*clocks: StageClock) -> StageClock:
    """One clock holding the sum of ``clocks`` per stage name."""
    total = StageClock()
    for clock in clocks:
        for name, t in clock.stages.items():
            into = total.stages.setdefault(name, StageTotals())
            into.cpu_s += t.cpu_s
            into.wall_s += t.wall_s
            into.calls += t.calls
            into.items += t.items
    return total
