"""News from the outlet catalog's public RSS/Atom feeds (source name ``news``).

The catalog (``sources/data/outlets.csv``, or a user file) lists each outlet's
feed, language, region and coverage. Per cycle every enabled outlet is fetched
once with a conditional GET (``If-None-Match`` / ``If-Modified-Since`` from the
last response), parsed with feedparser, and its new entries landed as one page.

Duplicates are dropped before landing, across outlets and runs: an entry is
new when none of its keys — GUID, URL, normalised title — was seen before, and
it is not older than the outlet's newest entry by more than
:data:`RECENT_SLACK` (old entries that feeds keep for months are not news).

One outlet failing (down, HTML instead of a feed, malformed XML) is recorded
in its health and does not stop the others; only when every outlet fails does
the source fail, so the run ledger shows it. Health (last success, last
error, entries landed) and the conditional-GET validators live in the cursor,
which the land stage saves after every outlet.

Feeds need no credentials. Landed items keep feedparser's fields (id, title,
link, published/updated, summary, author, tags) as JSON; XML itself is not
JSON, so the parsed entry is what is kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import structlog

from tickerpulse.config import Settings
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.http import BadResponse, HttpClient, RequestBudget, SourceError
from tickerpulse.sources.outlets import Outlet, load_outlets

log = structlog.get_logger(__name__)

NAME = "news"
RECENT_SLACK = timedelta(days=2)
SEEN_KEYS_KEPT = 12_000
ENTRY_FIELDS = ("id", "title", "link", "published", "updated", "summary", "author")


def missing_credentials(settings: Settings) -> list[str]:
    """Public feeds need none."""
    return []


def build(settings: Settings) -> RssSource:
    """The news source over the enabled outlets (or those named in ``NEWS_OUTLETS``)."""
    outlets = load_outlets(settings.news_catalog)
    chosen = [
        o
        for o in outlets
        if (o.outlet in settings.news_outlets if settings.news_outlets else o.enabled)
    ]
    client = HttpClient(NAME, budget=RequestBudget(settings.source_request_budget))
    return RssSource(chosen, client)


class RssSource:
    """Every outlet's feed, one page per outlet, new entries only."""

    name = NAME

    def __init__(
        self,
        outlets: list[Outlet],
        client: HttpClient,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.outlets = outlets
        self.client = client
        self._now = now

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """One page per outlet: its entries not seen before; the cursor after it."""
        state = FeedState.from_cursor(since)
        failures: list[str] = []
        for outlet in self.outlets:
            fetched_at = self._now()
            try:
                feed = self._fetch_outlet(outlet, state)
            except SourceError as exc:
                failures.append(str(exc))
                state.failed(outlet.outlet, str(exc), fetched_at)
                log.warning("outlet failed", outlet=outlet.outlet, error=str(exc))
                yield Page([], state.cursor())
                continue
            fresh = state.admit(outlet.outlet, feed.entries)
            context = {
                "outlet": outlet.outlet,
                "region": outlet.region,
                "language": outlet.language,
            }
            lines = [envelope(e, fetched_at=fetched_at, context=context) for e in fresh]
            state.succeeded(outlet.outlet, len(lines), fetched_at, warning=feed.problem)
            yield Page(lines, state.cursor())
        if self.outlets and len(failures) == len(self.outlets):
            raise SourceError(f"news: all {len(failures)} outlets failed; last: {failures[-1]}")

    def check(self) -> str:
        """Fetch and parse the first outlet's feed."""
        if not self.outlets:
            raise SourceError("news: no outlets enabled")
        outlet = self.outlets[0]
        feed = parse_feed(self.client.request("GET", outlet.feed_url).content, outlet)
        return f"{len(self.outlets)} outlets; {outlet.name}: {len(feed.entries)} entries"

    def _fetch_outlet(self, outlet: Outlet, state: FeedState) -> Feed:
        headers = state.validators(outlet.outlet)
        response = self.client.request("GET", outlet.feed_url, headers=headers)
        if response.status_code == 304:
            return Feed([], None)
        state.remember_validators(
            outlet.outlet, response.headers.get("etag"), response.headers.get("last-modified")
        )
        return parse_feed(response.content, outlet)


@dataclass(frozen=True)
class Feed:
    """A parsed feed's entries, and what was wrong with its XML if it only partly parsed."""

    entries: list[dict[str, Any]]
    problem: str | None


def parse_feed(body: bytes, outlet: Outlet) -> Feed:
    """The entries of an RSS/Atom document as JSON-ready dicts; BadResponse if it is no feed."""
    parsed = feedparser.parse(body)
    if not parsed.version and not parsed.entries:
        start = " ".join(body[:120].decode("utf-8", errors="replace").split())
        raise BadResponse(f"news: {outlet.outlet} did not return an RSS/Atom feed: {start}")
    problem = f"malformed XML: {parsed.bozo_exception}" if parsed.bozo else None
    entries = [_entry(entry) for entry in parsed.entries]
    return Feed([entry for entry in entries if entry], problem)


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    # dict.get, not entry.get: feedparser's own get maps a missing "published" to "updated"
    item = {name: dict.get(entry, name) for name in ENTRY_FIELDS if dict.get(entry, name)}
    tags = [tag.get("term") for tag in dict.get(entry, "tags", []) if tag.get("term")]
    if tags:
        item["tags"] = tags
    return item


class FeedState:
    """What the cursor remembers: validators, newest entry and health per outlet, seen keys."""

    def __init__(self, outlets: dict[str, dict[str, Any]], seen: list[str]) -> None:
        self.outlets = outlets
        self.seen = seen
        self._seen_set = set(seen)

    @classmethod
    def from_cursor(cls, cursor: Cursor) -> FeedState:
        """State as stored by an earlier page (empty at first)."""
        outlets = {k: dict(v) for k, v in cursor.get("outlets", {}).items()}
        return cls(outlets, list(cursor.get("seen", [])))

    def cursor(self) -> Cursor:
        """The cursor to store after the current page."""
        return {"outlets": {k: dict(v) for k, v in self.outlets.items()}, "seen": list(self.seen)}

    def validators(self, outlet: str) -> dict[str, str]:
        """Conditional-GET headers from the outlet's last full response."""
        state = self.outlets.get(outlet, {})
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        return headers

    def remember_validators(self, outlet: str, etag: str | None, modified: str | None) -> None:
        """Keep the validators of a 200 response for the next conditional GET."""
        state = self.outlets.setdefault(outlet, {})
        state["etag"], state["last_modified"] = etag, modified

    def admit(self, outlet: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The entries that are new: no key seen before and recent enough for this outlet."""
        state = self.outlets.setdefault(outlet, {})
        newest = _parse_time(state.get("newest"))
        oldest_allowed = newest - RECENT_SLACK if newest else None
        fresh: list[dict[str, Any]] = []
        for entry in entries:
            published = _parse_time(entry.get("published") or entry.get("updated"))
            if oldest_allowed and published and published < oldest_allowed:
                continue
            keys = entry_keys(entry)
            if not keys or any(key in self._seen_set for key in keys):
                continue
            self._remember(keys)
            fresh.append(entry)
            if published and (newest is None or published > newest):
                newest = published
        if newest:
            state["newest"] = newest.isoformat()
        return fresh

    def succeeded(self, outlet: str, landed: int, at: datetime, *, warning: str | None) -> None:
        """Record a good fetch (with a warning when the feed only partly parsed)."""
        state = self.outlets.setdefault(outlet, {})
        state.update(ok_at=at.isoformat(), landed=landed, error=None, warning=warning)

    def failed(self, outlet: str, error: str, at: datetime) -> None:
        """Record a failed fetch; the last success stays as it was."""
        state = self.outlets.setdefault(outlet, {})
        state.update(error=error[:300], error_at=at.isoformat())

    def _remember(self, keys: list[str]) -> None:
        self.seen.extend(keys)
        self._seen_set.update(keys)
        overflow = len(self.seen) - SEEN_KEYS_KEPT
        if overflow > 0:
            self._seen_set.difference_update(self.seen[:overflow])
            del self.seen[:overflow]


_NOT_WORD = re.compile(r"[^a-z0-9]+")


TITLE_KEY_MIN_WORDS = 5


def entry_keys(entry: dict[str, Any]) -> list[str]:
    """Short digests of an entry's GUID, URL and normalised title (whichever exist).

    Titles shorter than :data:`TITLE_KEY_MIN_WORDS` words ("Market update") are
    too generic to prove two entries are the same story, so they give no key.
    """
    title = _NOT_WORD.sub(" ", (entry.get("title") or "").lower()).strip()
    raw = [
        f"id:{entry.get('id') or ''}",
        f"url:{(entry.get('link') or '').split('?')[0].rstrip('/')}",
        f"title:{title if len(title.split()) >= TITLE_KEY_MIN_WORDS else ''}",
    ]
    return [
        hashlib.sha1(value.encode()).hexdigest()[:12] for value in raw if value.split(":", 1)[1]
    ]


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
