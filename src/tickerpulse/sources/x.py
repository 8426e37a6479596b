"""X (Twitter) connector: recent search for the universe's cashtags, newest-first, resumable.

Endpoint: ``GET {X_API_URL}/tweets/search/recent`` (X API v2), app-only auth with
``Authorization: Bearer <X_BEARER_TOKEN>``. Get the token in the X Developer Console: create
a Project and an App, then "Keys and tokens" → "Bearer Token"; set it as ``X_BEARER_TOKEN``.

Queries: every universe symbol that X would extract as a cashtag (1-6 letters, optionally
``.x``/``_xx``, so ``$BRK.B`` but not ``$1INCH``) is OR-ed as ``$SYM`` inside parentheses
(implicit AND binds tighter than OR in X's grammar) followed by ``-is:retweet lang:en``,
and the list is cut into several queries of at most ``X_QUERY_MAX_LENGTH`` characters
(512 on self-serve plans, 4,096 on Enterprise). Each query is identified by a hash of its
text, so a changed universe starts new queries instead of reusing an unrelated high-water.

Rate limits (docs.x.com, "Rate limits"): per 15-minute window, per app for a bearer token,
the number depending on the plan; every response carries ``x-rate-limit-limit``,
``x-rate-limit-remaining`` and ``x-rate-limit-reset`` (epoch seconds) and a 429 answers an
exceeded window. :class:`~tickerpulse.sources.http.HttpClient` waits for the reset. Recent
search only reaches back 7 days and ``end_time`` must be at least 10 s before the request.

Cursor (crash-safe on a newest-first API): ``{"queries": {<query id>: state}}``; a state is
``{"since_id": <high-water id or null>, "since_time": <ISO time, only before the first
post>}`` between walks and additionally ``"walk": {"params": <since_id or start_time, and
end_time, frozen for the walk>, "next_token": <page to fetch next>, "newest_id": <newest
id seen in this walk>}`` while paging. The high-water moves to ``newest_id`` only on the
walk's last page, so a crash mid-walk resumes at ``next_token`` under the old high-water:
nothing lost, nothing older than or equal to the high-water yielded. Queries no longer
built from the universe are dropped from the cursor.

Malformed items (no id, no text, bad timestamp) are landed anyway; the normalizer
quarantines them. A response that is not X's shape (HTML, truncated JSON, no ``meta``,
``data`` not a list) raises :class:`~tickerpulse.sources.http.BadResponse`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from tickerpulse.config import Settings
from tickerpulse.domain import WINDOW, as_utc
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.http import BadResponse, HttpClient, RequestBudget, SourceError
from tickerpulse.universe import Universe, load_universe

log = structlog.get_logger(__name__)

SEARCH_PATH = "/tweets/search/recent"
PAGE_SIZE = 100
CHECK_PAGE_SIZE = 10
FILTERS = "-is:retweet lang:en"
FIELDS = {
    "tweet.fields": "created_at,lang,public_metrics,author_id,entities",
    "expansions": "author_id",
    "user.fields": "username,name",
}
SEARCH_REACH = timedelta(days=7)
REACH_MARGIN = timedelta(minutes=10)  # stay clear of the 7-day edge X rejects
END_TIME_LAG = timedelta(seconds=30)  # X wants end_time >= 10 s before the request
TWITTER_EPOCH_MS = 1288834974657
_CASHTAG = re.compile(r"[A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?")


# --- queries (pure) ----------------------------------------------------------------------------


def cashtags(universe: Universe) -> list[str]:
    """The universe's symbols that X extracts as cashtags, sorted and without duplicates."""
    return sorted({a.symbol.upper() for a in universe if _CASHTAG.fullmatch(a.symbol)})


def build_queries(tags: Iterable[str], max_length: int) -> list[str]:
    """``($A OR $B ...) -is:retweet lang:en`` queries, each at most ``max_length`` characters."""
    queries: list[str] = []
    group: list[str] = []
    for tag in tags:
        if group and len(_query([*group, tag])) > max_length:
            queries.append(_query(group))
            group = []
        group.append(tag)
        if len(_query(group)) > max_length:
            raise ValueError(f"x: ${tag} alone exceeds the query limit of {max_length} characters")
    if group:
        queries.append(_query(group))
    return queries


def query_id(query: str) -> str:
    """A stable short id of a query's text, the key of its state in the cursor."""
    return hashlib.sha1(query.encode()).hexdigest()[:12]


def _query(tags: list[str]) -> str:
    return "(" + " OR ".join(f"${t}" for t in tags) + ") " + FILTERS


# --- responses (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchPage:
    """One recent-search response: posts newest-first, their authors, and paging hints."""

    tweets: list[Any]
    users: dict[str, dict[str, Any]]
    newest_id: str | None
    next_token: str | None


def parse_search(body: Any) -> SearchPage:
    """Check a response against X's documented shape; :class:`BadResponse` says what differs."""
    if not isinstance(body, dict):
        raise BadResponse(f"x: search answered a JSON {type(body).__name__}, not an object")
    meta = body.get("meta")
    if not isinstance(meta, dict):
        raise BadResponse(f"x: search response has no 'meta' object (keys: {sorted(body)})")
    tweets = body.get("data", [])
    if not isinstance(tweets, list):
        raise BadResponse("x: search response 'data' is not a list")
    if "data" not in body and meta.get("result_count", 0) != 0:
        problems = "; ".join(str(e.get("detail", e)) for e in _dicts(body.get("errors")))
        raise SourceError(
            f"x: search counts {meta.get('result_count')} results but sent no 'data': "
            f"{problems or 'no error given'}"
        )
    includes = body.get("includes", {})
    users = includes.get("users", []) if isinstance(includes, dict) else []
    return SearchPage(
        tweets=tweets,
        users={u["id"]: u for u in _dicts(users) if isinstance(u.get("id"), str)},
        newest_id=_str(meta.get("newest_id")),
        next_token=_str(meta.get("next_token")),
    )


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _id(value: Any) -> int | None:
    """A post id as a number (ids are decimal strings), or None for a malformed one."""
    return int(value) if isinstance(value, str) and value.isdigit() else None


# --- cursor (pure) -----------------------------------------------------------------------------


def snowflake_time(post_id: str) -> datetime:
    """When a post id (a snowflake) was minted."""
    return datetime.fromtimestamp(((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC)


def start_walk(state: dict[str, Any], *, until: datetime, now: datetime) -> dict[str, Any] | None:
    """Frozen request bounds for a new walk of one query, or None when there is nothing to ask.

    ``since_id`` when the high-water is still within search reach, else ``start_time`` (the
    previous walk's end, or one window before ``until`` for a new query), never older than
    the 7-day reach; ``end_time`` is ``until`` but at least a little before ``now``.
    """
    reach = now - SEARCH_REACH + REACH_MARGIN
    end = min(as_utc(until), now - END_TIME_LAG)
    since_id = _str(state.get("since_id"))
    if since_id is not None and snowflake_time(since_id) > reach:
        if snowflake_time(since_id) >= end:
            return None
        return {"since_id": since_id, "end_time": _iso(end)}
    since_time = state.get("since_time")
    if since_id is not None:  # high-water out of reach: take all that is still searchable
        start = reach
    elif since_time:
        start = max(datetime.fromisoformat(since_time), reach)
    else:
        start = max(as_utc(until) - WINDOW, reach)
    if start >= end:
        return None
    return {"start_time": _iso(start), "end_time": _iso(end)}


def after_page(state: dict[str, Any], walk: dict[str, Any], page: SearchPage) -> dict[str, Any]:
    """The query's state once ``page`` is landed: still walking, or at a new high-water."""
    seen = [_id(t.get("id")) for t in _dicts(page.tweets)]
    candidates = (_id(walk.get("newest_id")), _id(page.newest_id), *seen)
    newest = max((i for i in candidates if i is not None), default=None)
    if page.next_token and page.next_token != walk.get("next_token"):
        newest_id = None if newest is None else str(newest)
        return {
            "since_id": state.get("since_id"),
            **({"since_time": state["since_time"]} if "since_time" in state else {}),
            "walk": {**walk, "next_token": page.next_token, "newest_id": newest_id},
        }
    # the walk is over: the high-water only ever moves forward
    marks = (newest, _id(state.get("since_id")))
    high_water = max((i for i in marks if i is not None), default=None)
    if high_water is not None:
        return {"since_id": str(high_water)}
    return {"since_id": None, "since_time": walk["params"]["end_time"]}


def newer_than(tweets: list[Any], high_water: str | None) -> list[Any]:
    """Posts above the high-water; items without a usable id are kept for the normalizer."""
    floor = _id(high_water)
    if floor is None:
        return list(tweets)
    ids = [_id(t.get("id")) if isinstance(t, dict) else None for t in tweets]
    return [t for t, i in zip(tweets, ids, strict=True) if i is None or i > floor]


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the source (I/O) --------------------------------------------------------------------------


class XSource:
    """Recent search over the universe's cashtags, one walk per query, resumable by cursor."""

    name = "x"

    def __init__(
        self,
        settings: Settings,
        client: HttpClient,
        *,
        universe: Universe | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.url = settings.x_api_url.rstrip("/") + SEARCH_PATH
        self.queries = build_queries(
            cashtags(universe or load_universe(settings.universe_extra)),
            settings.x_query_max_length,
        )
        self._clock = clock
        if settings.x_bearer_token is not None:
            client.set_header(
                "Authorization", f"Bearer {settings.x_bearer_token.get_secret_value()}"
            )

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """Pages of new posts for every query; each page's cursor resumes right after it."""
        previous = since.get("queries", {}) if isinstance(since.get("queries"), dict) else {}
        states = {query_id(q): previous.get(query_id(q), {}) for q in self.queries}
        for query in self.queries:
            qid = query_id(query)
            for lines, state in self._walk(query, states[qid], until):
                states[qid] = state
                yield Page(lines=lines, cursor={"queries": dict(states)})

    def check(self) -> str:
        """One small search with the first query: proves the token and the query syntax."""
        if not self.queries:
            raise SourceError("x: no universe symbol is a valid cashtag; nothing to search")
        body = self.client.get_json(
            self.url, params={"query": self.queries[0], "max_results": CHECK_PAGE_SIZE, **FIELDS}
        )
        page = parse_search(body)
        tags = sum(q.count("$") for q in self.queries)
        return (
            f"token ok; {tags} cashtags in {len(self.queries)} queries; "
            f"a sample search returned {len(page.tweets)} posts"
        )

    def _walk(
        self, query: str, state: dict[str, Any], until: datetime
    ) -> Iterator[tuple[list[bytes], dict[str, Any]]]:
        walk = state.get("walk")
        if not isinstance(walk, dict):
            params = start_walk(state, until=until, now=self._clock())
            if params is None:
                return
            walk = {"params": params}
        landed = 0
        while True:
            params = {"query": query, "max_results": PAGE_SIZE, **FIELDS, **walk["params"]}
            if walk.get("next_token"):
                params["next_token"] = walk["next_token"]
            fetched_at = self._clock()
            page = parse_search(self.client.get_json(self.url, params=params))
            lines = self._lines(
                query, newer_than(page.tweets, state.get("since_id")), page, fetched_at
            )
            state = after_page(state, walk, page)
            landed += len(lines)
            yield lines, state
            if "walk" not in state:
                break
            walk = state["walk"]
        log.info("x query walked", query_id=query_id(query), posts=landed)

    @staticmethod
    def _lines(
        query: str, tweets: list[Any], page: SearchPage, fetched_at: datetime
    ) -> list[bytes]:
        lines = []
        for tweet in tweets:
            context: dict[str, Any] = {"query_id": query_id(query)}
            author_id = tweet.get("author_id") if isinstance(tweet, dict) else None
            author = page.users.get(author_id) if isinstance(author_id, str) else None
            if author is not None:
                context["author"] = author
            lines.append(envelope(tweet, fetched_at=fetched_at, context=context))
        return lines


def missing_credentials(settings: Settings) -> list[str]:
    """The environment variables X needs that are unset (empty when the source can run)."""
    token = settings.x_bearer_token
    return [] if token is not None and token.get_secret_value() else ["X_BEARER_TOKEN"]


def build(settings: Settings) -> XSource:
    """An :class:`XSource` with its own HTTP client and this run's request budget."""
    client = HttpClient("x", budget=RequestBudget(settings.source_request_budget))
    return XSource(settings, client)
