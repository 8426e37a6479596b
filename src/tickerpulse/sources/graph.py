"""Meta Graph API plumbing shared by the Facebook and Instagram sources.

Owns three things both connectors need and nothing provider-specific:

* :class:`GraphApi`: requests under ``{graph_api_url}/{graph_api_version}`` with the
  ``access_token`` query parameter, following ``paging.next`` only on the Graph host
  (the token is stripped from every URL we keep and re-added when sending).
* :func:`graph_response_check`: Graph's JSON errors and usage headers read before the
  generic HTTP rules. Code 190 (and 102) is an expired or invalid token →
  :class:`AuthError` telling how to renew it; codes 4, 17, 32, 613, 80001, 80002
  (throttling, answered with HTTP 400 or 403 as often as 429) and 1/2 (transient) are
  retried, after ``estimated_time_to_regain_access`` from ``X-Business-Use-Case-Usage``
  when given; 10 and 200-299 are missing permissions → :class:`AuthError`. A response
  whose ``X-App-Usage`` or business-use-case usage reaches 100 % holds off the next
  request, so we stop before Meta starts refusing.
* :func:`walk_newest_first`: the crash-safe walk over a newest-first edge (cursor
  design below).

Cursor of one walked key (a page, a hashtag): ``{"high": mark}`` between runs, where a
mark is ``{"time": iso, "ids": [ids at exactly that time]}`` — the newest record landed.
During a walk: ``{"high": old mark, "walk": {"next": url, "top": mark, "pages": n}}``
with ``top`` the newest record of this walk and ``next`` the page to fetch. A re-fetch
from that cursor continues at ``next``; only when the walk reaches the old mark (or the
edge ends) does ``top`` become the new ``high``. Records at or below ``high`` are never
yielded; records newer than ``top`` met while resuming are left for the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import structlog

from tickerpulse.sources.http import (
    AuthError,
    BadResponse,
    HttpClient,
    ResponseCheck,
    RetryLater,
    SourceError,
)

log = structlog.get_logger(__name__)

TOKEN_CODES = frozenset({102, 190})
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002})
TRANSIENT_CODES = frozenset({1, 2})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
USAGE_FULL = 100.0
APP_USAGE_PAUSE = 300.0
"""Seconds to hold off when X-App-Usage reaches 100 %: Meta gives no reset time for
platform limits (a rolling hour), so this is a cautious guess, not a documented value."""

Item = dict[str, Any]


class GraphApi:
    """Graph API requests for one source, with the token as a query parameter."""

    def __init__(
        self, client: HttpClient, *, base_url: str, version: str, token: str, token_env: str
    ) -> None:
        self.client = client
        self.root = httpx.URL(f"{base_url.rstrip('/')}/{version.strip('/')}")
        self._token = token
        client.set_response_check(
            graph_response_check(client.source, token=token, token_env=token_env)
        )

    @property
    def source(self) -> str:
        """The name of the source this API speaks for."""
        return self.client.source

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Item:
        """GET ``path`` under the versioned root and return its JSON object."""
        url = f"{self.root}/{path.lstrip('/')}"
        body = self.client.get_json(url, params={**(params or {}), "access_token": self._token})
        return self._object(body, path)

    def follow(self, next_url: str) -> Item:
        """GET a ``paging.next`` URL, refusing any host but the Graph API's own."""
        url = httpx.URL(next_url)
        if (url.scheme, url.host, url.port) != (self.root.scheme, self.root.host, self.root.port):
            raise BadResponse(
                f"{self.source}: paging.next points at {url.scheme}://{url.host}, not at "
                f"{self.root.scheme}://{self.root.host}; refusing to send the token there"
            )
        # httpx replaces a URL's query when given params=, so the token goes into the URL itself
        signed = url.copy_remove_param("access_token").copy_add_param("access_token", self._token)
        return self._object(self.client.get_json(str(signed)), url.path)

    def _object(self, body: Any, what: str) -> Item:
        if not isinstance(body, dict):
            raise BadResponse(
                f"{self.source}: {what} answered JSON {type(body).__name__}, not an object"
            )
        return body


def strip_token(url: str) -> str:
    """``url`` without its ``access_token``, safe to keep in a cursor or a log."""
    return str(httpx.URL(url).copy_remove_param("access_token"))


def data_of(body: Item, source: str, what: str) -> list[Any]:
    """The ``data`` list of a Graph edge, or :class:`BadResponse` naming what came instead."""
    data = body.get("data")
    if not isinstance(data, list):
        keys = ", ".join(sorted(body)[:8]) or "none"
        raise BadResponse(
            f"{source}: {what} answered without a 'data' list (top-level keys: {keys}); "
            "has the Graph API shape changed?"
        )
    return data


def next_of(body: Item) -> str | None:
    """The full URL of the next page, or None on the last page."""
    paging = body.get("paging")
    nxt = paging.get("next") if isinstance(paging, dict) else None
    return nxt if isinstance(nxt, str) and nxt else None


# --- errors and usage headers ------------------------------------------------------------------


def graph_response_check(source: str, *, token: str, token_env: str) -> ResponseCheck:
    """A :data:`ResponseCheck` for Graph API error bodies and usage headers."""

    def check(response: httpx.Response) -> float | None:
        hold = usage_pause(response.headers)
        if response.status_code >= 400:
            error = _graph_error(response)
            if error is not None:
                _raise_for(source, error, response, hold, token_env, token)
        return hold

    return check


def usage_pause(headers: Mapping[str, str]) -> float | None:
    """Seconds to hold off before the next request, from Graph's usage headers."""
    eta_minutes = 0.0
    full = False
    for entry in _buc_entries(headers.get("x-business-use-case-usage")):
        eta_minutes = max(eta_minutes, _percent(entry.get("estimated_time_to_regain_access")))
        full = full or _usage_full(entry)
    if eta_minutes > 0:
        return eta_minutes * 60
    app = _json_header(headers.get("x-app-usage"))
    if full or (isinstance(app, dict) and _usage_full(app)):
        return APP_USAGE_PAUSE
    return None


def _raise_for(
    source: str,
    error: Mapping[str, Any],
    response: httpx.Response,
    hold: float | None,
    token_env: str,
    token: str,
) -> None:
    code = error.get("code")
    where = f"{response.request.method} {response.request.url.copy_with(query=None)}"
    detail = _describe(error, token)
    if code in TOKEN_CODES:
        raise AuthError(
            f"{source}: the access token is expired or invalid ({detail}) at {where}. Renew it: "
            "exchange a fresh user token for a long-lived one (GET /oauth/access_token with "
            "grant_type=fb_exchange_token) or use a system-user token from Meta Business "
            f"Settings, then set {token_env}"
        )
    if code in PERMISSION_CODES:
        raise AuthError(
            f"{source}: permission missing ({detail}) at {where}; the app needs the permissions "
            "and features listed in this source's documentation (App Review)"
        )
    if code in RATE_LIMIT_CODES or code in TRANSIENT_CODES:
        raise RetryLater(
            f"{response.status_code} Graph throttling or outage at {where}: {detail}", hold
        )


def _describe(error: Mapping[str, Any], token: str) -> str:
    """``Graph error 190/463: <message> (fbtrace_id …)``, with the token masked if echoed."""
    subcode = error.get("error_subcode")
    text = f"Graph error {error.get('code')}" + (f"/{subcode}" if subcode is not None else "")
    message = error.get("message")
    if isinstance(message, str):
        text += f": {message.replace(token, '***') if token else message}"
    if error.get("fbtrace_id"):
        text += f" (fbtrace_id {error['fbtrace_id']})"
    return text


def _graph_error(response: httpx.Response) -> Mapping[str, Any] | None:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else None


def _json_header(value: str | None) -> Any:
    if not value:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return None


def _buc_entries(value: str | None) -> list[Mapping[str, Any]]:
    """``{"<business id>": [{"type", "call_count", ..., "estimated_time_to_regain_access"}]}``."""
    usage = _json_header(value)
    if not isinstance(usage, dict):
        return []
    entries = (e for group in usage.values() if isinstance(group, list) for e in group)
    return [e for e in entries if isinstance(e, dict)]


def _usage_full(usage: Mapping[str, Any]) -> bool:
    keys = ("call_count", "total_time", "total_cputime")
    return max(_percent(usage.get(k)) for k in keys) >= USAGE_FULL


def _percent(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


# --- the crash-safe newest-first walk ---------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """A point in a newest-first edge: a time and the ids landed at exactly that time."""

    time: datetime
    ids: frozenset[str]

    @classmethod
    def load(cls, value: Any) -> Mark | None:
        """A mark from its cursor form, or None when absent or unreadable."""
        if not isinstance(value, dict) or not isinstance(value.get("time"), str):
            return None
        time = parse_time(value["time"])
        ids = value.get("ids")
        if time is None:
            return None
        return cls(time, frozenset(str(i) for i in ids) if isinstance(ids, list) else frozenset())

    def dump(self) -> dict[str, Any]:
        """The cursor form: ISO time and sorted ids."""
        return {"time": self.time.isoformat(), "ids": sorted(self.ids)}

    def newer(self, time: datetime, item_id: str) -> bool:
        """Whether a record at ``time`` is newer than this mark (ties broken by id)."""
        return time > self.time or (time == self.time and item_id not in self.ids)

    def admits(self, time: datetime, item_id: str) -> bool:
        """Whether a record at ``time`` is not newer than this mark and not landed at it."""
        return time < self.time or (time == self.time and item_id not in self.ids)


def parse_time(value: Any) -> datetime | None:
    """Graph times ("2025-03-10T10:00:00+0000") as aware UTC, or None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


@dataclass(frozen=True)
class _Selection:
    fresh: list[Item]
    beyond_high: bool
    top: Mark | None


def select_fresh(
    items: list[Item], *, high: Mark, top: Mark | None, until: datetime, time_field: str
) -> _Selection:
    """Records of one page to land: newer than ``high``, older than ``until``, not past ``top``.

    Records whose time cannot be read are landed too (the normalizer quarantines them)
    but never move a mark. ``beyond_high`` says whether the page reached past the old mark,
    which on a newest-first edge means the walk is not finished.
    """
    fresh: list[Item] = []
    beyond_high = False
    dated: list[tuple[datetime, str]] = []
    for item in items:
        time, item_id = parse_time(item.get(time_field)), str(item.get("id"))
        if time is None:
            fresh.append(item)
            continue
        if not high.newer(time, item_id):
            continue
        beyond_high = True
        if time >= until or (top is not None and not top.admits(time, item_id)):
            continue
        fresh.append(item)
        dated.append((time, item_id))
    return _Selection(fresh, beyond_high, _advance(top, dated))


def _advance(top: Mark | None, dated: list[tuple[datetime, str]]) -> Mark | None:
    if not dated:
        return top
    if top is None:
        newest = max(t for t, _ in dated)
        return Mark(newest, frozenset(i for t, i in dated if t == newest))
    return Mark(top.time, top.ids | {i for t, i in dated if t == top.time})


def walk_newest_first(
    api: GraphApi,
    state: Mapping[str, Any],
    first: Callable[[], Item],
    *,
    what: str,
    time_field: str,
    floor: datetime,
    until: datetime,
) -> Iterator[tuple[list[Item], dict[str, Any]]]:
    """Walk one newest-first edge from ``state``; yields (records to land, state after them).

    ``first`` fetches the edge's first page; a walk in progress resumes at its ``next``.
    ``floor`` stands in for the high-water mark of a key never landed before.
    """
    old_high = Mark.load(state.get("high"))
    high = old_high or Mark(floor, frozenset())
    walk = state.get("walk") if isinstance(state.get("walk"), dict) else None
    resumed = walk is not None and isinstance(walk.get("next"), str)
    top = Mark.load(walk.get("top")) if walk and resumed else None
    pages = int(walk.get("pages", 0)) if walk and resumed else 0
    body = _resume(api, walk["next"], first) if walk and resumed else first()
    if body is None:  # the stored page token went stale: walk again from the top
        body, top, pages = first(), None, 0
    seen: set[str] = set()
    while True:
        pages += 1
        items = _objects(data_of(body, api.source, what), api.source, what)
        ids = {str(item.get("id")) for item in items}
        repeated = bool(ids) and ids <= seen
        seen |= ids
        chosen = select_fresh(items, high=high, top=top, until=until, time_field=time_field)
        top = chosen.top
        nxt = next_of(body)
        if nxt is None or not chosen.beyond_high or repeated:
            final = top or old_high
            yield ([] if repeated else chosen.fresh), ({"high": final.dump()} if final else {})
            return
        walking: dict[str, Any] = {"next": strip_token(nxt), "top": top.dump() if top else None}
        walking["pages"] = pages
        yield chosen.fresh, {**({"high": old_high.dump()} if old_high else {}), "walk": walking}
        body = api.follow(nxt)


def _resume(api: GraphApi, next_url: str, first: Callable[[], Item]) -> Item | None:
    """The stored next page, or None when Graph refuses the stale token with a plain 4xx.

    Paging tokens expire (and Instagram's ``after`` is not stable), so a walk cut short
    long ago restarts from its first page under the old mark: re-landed records are
    deduplicated by doc_id downstream, nothing is lost.
    """
    try:
        return api.follow(next_url)
    except SourceError as exc:
        if type(exc) is not SourceError:  # auth, format, budget, rate limits stay fatal
            raise
        log.warning("stale paging token; walk restarts", source=api.source, error=str(exc))
        return None


def _objects(data: list[Any], source: str, what: str) -> list[Item]:
    items = [item for item in data if isinstance(item, dict)]
    if len(items) < len(data):
        log.warning("skipped non-object records", source=source, edge=what,
                    skipped=len(data) - len(items))  # fmt: skip
    return items
