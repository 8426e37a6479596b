"""The HTTP client every connector shares: timeouts, retries, rate limits, a request budget.

Rules, in the order a response meets them:

* 429 waits for ``Retry-After`` (seconds or an HTTP date), else for the
  provider's reset header (``x-ratelimit-reset``, seconds left for Reddit, or
  X's ``x-rate-limit-reset``, epoch seconds), else backs off exponentially
  with jitter; then retries.
* 5xx and network errors back off exponentially with jitter and retry.
* 401/403 raise :class:`AuthError` at once: retrying a bad token only burns quota.
* Other 4xx raise :class:`SourceError` with the start of the body.
* A response announcing ``x-ratelimit-remaining: 0`` (X: ``x-rate-limit-remaining``)
  makes the *next* request wait for the reset, so a connector never hits the wall it can see coming.
* Every attempt spends one unit of the source's :class:`RequestBudget`.
* ``min_interval`` spaces the starts of requests, for providers that publish a
  calls-per-minute limit (Finnhub, Alpha Vantage) rather than headers.
* A connector may add a :data:`ResponseCheck` that reads its provider's own error
  bodies and usage headers first (Graph API says "rate limited" or "token expired"
  in JSON, often with HTTP 400/403): it raises :class:`RetryLater`,
  :class:`AuthError` or :class:`SourceError`, or returns seconds to hold off.

Errors name the source and the URL without its query string, so tokens passed
as parameters never reach the logs or the run ledger.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

BODY_SNIPPET = 200
# Reddit and most APIs write ``x-ratelimit-*``; X writes ``x-rate-limit-*``.
REMAINING_HEADERS = ("x-ratelimit-remaining", "x-rate-limit-remaining")
RESET_HEADERS = ("x-ratelimit-reset", "x-rate-limit-reset")


class SourceError(RuntimeError):
    """A source could not deliver; the message says which and why, for the run ledger."""


class AuthError(SourceError):
    """The provider refused our credentials (missing, wrong or expired)."""


class BadResponse(SourceError):
    """The provider answered, but not with what its API documents (HTML, truncated, changed)."""


class BudgetExhausted(SourceError):
    """This run has spent the source's request budget."""


class RateLimited(SourceError):
    """The provider asked us to wait longer than we are willing to."""


class _Retryable(Exception):
    """A failed attempt worth repeating; ``wait`` is the provider's own hint, if any."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


class RetryLater(_Retryable):
    """Raised by a :data:`ResponseCheck`: retry this request, after ``wait`` seconds if given."""


ResponseCheck = Callable[[httpx.Response], float | None]
"""Reads every response before the generic rules; may raise, or return seconds to hold off."""


@dataclass
class RequestBudget:
    """At most ``limit`` requests per run for one source."""

    limit: int
    used: int = 0

    def spend(self, source: str) -> None:
        """Count one request, or refuse when the budget is gone."""
        if self.used >= self.limit:
            raise BudgetExhausted(f"{source}: request budget of {self.limit} for this run spent")
        self.used += 1


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, backoff bounds, and the longest wait we accept."""

    attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    longest_wait: float = 900.0


class HttpClient:
    """An ``httpx.Client`` for one source with the retry and rate-limit rules above."""

    def __init__(
        self,
        source: str,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        timeout: float = 20.0,
        budget: RequestBudget | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        min_interval: float = 0.0,
    ) -> None:
        self.source = source
        self.min_interval = min_interval
        self.budget = budget or RequestBudget(limit=1_000)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._resume_at = 0.0
        self._check: ResponseCheck | None = None
        self._client = httpx.Client(
            base_url=base_url,
            headers={"User-Agent": "tickerpulse/0.1", **(headers or {})},
            timeout=timeout,
            follow_redirects=True,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_header(self, name: str, value: str) -> None:
        """Set a header on every later request (e.g. a freshly obtained bearer token)."""
        self._client.headers[name] = value

    def set_response_check(self, check: ResponseCheck) -> None:
        """Read provider-specific errors and usage headers before the generic status rules."""
        self._check = check

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``url`` and decode its JSON body."""
        return self.json_of(self.request("GET", url, params=params))

    def get_text(self, url: str, *, params: Mapping[str, Any] | None = None) -> str:
        """GET ``url`` and return its body as text."""
        return self.request("GET", url, params=params).text

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request with retries; returns the first 2xx/3xx response."""
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, **kwargs)
        except _Retryable as exc:
            raise SourceError(
                f"{self.source}: gave up after {self.policy.attempts} attempts: {exc}"
            ) from None

    def json_of(self, response: httpx.Response) -> Any:
        """The JSON body of ``response``, or :class:`BadResponse` saying what came instead."""
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            kind = response.headers.get("content-type", "unknown content type")
            raise BadResponse(
                f"{self.source}: expected JSON from {_where(response.request)}, got {kind} "
                f"({exc.msg}): {_snippet(response)}"
            ) from None

    # --- one attempt ---------------------------------------------------------------------------

    def _attempt(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        delay = self._resume_at - self._clock()
        if delay > 0:
            self._pause(delay)
        self.budget.spend(self.source)
        if self.min_interval:
            self._resume_at = max(self._resume_at, self._clock() + self.min_interval)
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__} on {method} {_strip_query(url)}") from None
        self._note_rate_limit(response)
        if self._check is not None:
            hold = self._check(response)
            if hold is not None and hold > 0:
                self._resume_at = max(self._resume_at, self._clock() + hold)
        status = response.status_code
        if status == 429:
            raise _Retryable(
                f"429 Too Many Requests at {_where(response.request)}",
                _wait_hint(response, self._clock()),
            )
        if status >= 500:
            raise _Retryable(f"{status} at {_where(response.request)}")
        if status in (401, 403):
            raise AuthError(
                f"{self.source}: {status} at {_where(response.request)} — credentials refused "
                f"or expired: {_snippet(response)}"
            )
        if status >= 400:
            raise SourceError(
                f"{self.source}: {status} at {_where(response.request)}: {_snippet(response)}"
            )
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = exc.wait if isinstance(exc, _Retryable) else None
        if hint is not None:
            return self._checked(hint)
        ceiling = min(
            self.policy.backoff_max, self.policy.backoff_base * 2 ** (state.attempt_number - 1)
        )
        return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography

    def _checked(self, seconds: float) -> float:
        if seconds > self.policy.longest_wait:
            raise RateLimited(
                f"{self.source}: provider asks to wait {seconds:.0f} s, "
                f"more than the {self.policy.longest_wait:.0f} s we accept; next cycle resumes"
            )
        return max(seconds, 0.0)

    def _pause(self, seconds: float) -> None:
        self._sleep(self._checked(seconds))

    def _note_rate_limit(self, response: httpx.Response) -> None:
        remaining = _number(_header(response, REMAINING_HEADERS))
        if remaining is not None and remaining < 1:
            wait = _reset_seconds(response, self._clock())
            if wait is not None:
                self._resume_at = self._clock() + wait


def _wait_hint(response: httpx.Response, now: float) -> float | None:
    retry_after = response.headers.get("retry-after")
    if retry_after is not None:
        seconds = _number(retry_after)
        if seconds is not None:
            return seconds
        try:
            return parsedate_to_datetime(retry_after).timestamp() - now
        except (TypeError, ValueError):
            pass
    return _reset_seconds(response, now)


def _reset_seconds(response: httpx.Response, now: float) -> float | None:
    """The reset header as seconds to wait: epoch seconds (X) or a countdown (Reddit)."""
    reset = _number(_header(response, RESET_HEADERS))
    if reset is None:
        return None
    return reset - now if reset > 1_000_000_000 else reset


def _header(response: httpx.Response, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` the response carries (providers spell rate-limit headers apart)."""
    return next((response.headers[n] for n in names if n in response.headers), None)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


def _snippet(response: httpx.Response) -> str:
    text = response.content[:BODY_SNIPPET].decode("utf-8", errors="replace")
    return " ".join(text.split()) or "(empty body)"
