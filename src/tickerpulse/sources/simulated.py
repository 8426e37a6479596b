"""The simulated world seen through the Source interface: one page per 6-hour window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from tickerpulse.domain import WINDOW, Window, as_utc
from tickerpulse.sources.base import Cursor, Page
from tickerpulse.sources.simulator import SimulatedWorld


class SimulatedSource:
    """Serves one source of a :class:`SimulatedWorld` incrementally, like a real API would."""

    def __init__(self, world: SimulatedWorld, name: str) -> None:
        self.world = world
        self.name = name

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """Every window between the cursor (or one window before ``until``) and ``until``."""
        first_window = self.world.windows[0].start
        start = (
            as_utc(datetime.fromisoformat(since["until"])) if "until" in since else until - WINDOW
        )
        start = max(start, first_window)
        for window in Window.between(start, until):
            if window.end > as_utc(until):
                break
            yield Page(
                lines=self.world.raw_lines(self.name, window),
                cursor={"until": window.end.isoformat()},
            )
