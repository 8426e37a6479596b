"""A per-key, per-minute request budget (fixed windows, in memory, one process).

One web process per machine is how the site runs; behind several processes
each has its own budget, which the operator docs point out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 60


@dataclass(frozen=True)
class Budget:
    """The answer for one request: allowed or not, what is left, when the window resets."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers (and ``Retry-After`` when refused)."""
        found = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_s),
        }
        if not self.allowed:
            found["Retry-After"] = str(self.reset_s)
        return found


class RateLimiter:
    """Counts requests per key in the current minute."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int) -> Budget:
        """Spend one request of ``key``'s ``limit`` per minute."""
        now = self.clock()
        window = int(now // WINDOW_S)
        reset = max(1, int((window + 1) * WINDOW_S - now))
        with self._lock:
            seen_window, count = self._counts.get(key, (window, 0))
            if seen_window != window:
                count = 0
                if len(self._counts) > 100_000:
                    self._counts.clear()
            if count >= limit:
                self._counts[key] = (window, count)
                return Budget(False, limit, 0, reset)
            self._counts[key] = (window, count + 1)
            return Budget(True, limit, limit - count - 1, reset)
