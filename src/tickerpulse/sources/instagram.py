"""Instagram source: recent public media of the configured hashtags (Instagram Graph API).

Endpoints, under ``{graph_api_url}/{graph_api_version}``:

* ``GET /ig_hashtag_search?user_id=<INSTAGRAM_USER_ID>&q=<tag>`` → ``{"data": [{"id"}]}``,
  the hashtag's node id. Meta allows **30 unique hashtags per Instagram account in a
  rolling 7 days** (a repeated query of the same tag does not count again), so the ids
  are cached in the cursor (``hashtag_ids``) and searched once per tag, ever; keep
  ``INSTAGRAM_HASHTAGS`` well under 30.
* ``GET /<hashtag-id>/recent_media?user_id=...&fields=id,caption,media_type,permalink,
  timestamp,like_count,comments_count&limit=50`` → public photos and videos tagged in the
  **last 24 hours only** (no author: the edge has no ``username``), most recent first,
  50 per page, paged by ``paging.next`` / ``paging.cursors.after`` (Meta notes the
  ``after`` value may stay the same from page to page, so a page counter keeps each
  cursor distinct). Runs must therefore come at least daily or media are missed.

Each landed line is the media object untouched with context ``{"hashtag": <tag>}``.

Auth: ``INSTAGRAM_ACCESS_TOKEN``, a Facebook *user* (or system-user) token of someone
with a task on the Facebook Page connected to the Instagram professional account
``INSTAGRAM_USER_ID``, sent as the ``access_token`` query parameter (never logged). The
app needs App Review for the ``instagram_basic`` permission and the *Instagram Public
Content Access* feature (plus ``pages_read_engagement`` or ``business_management`` when
the Page role comes from Business Manager). An expired token (Graph error 190) stops the
source with a message saying how to renew it.

Rate limits: Instagram calls fall under Business Use Case limits (usage in
``X-Business-Use-Case-Usage`` with ``estimated_time_to_regain_access``), throttling is
error 4/17/32/613/80002 — handled in :mod:`tickerpulse.sources.graph`.

Bad input: a non-JSON answer, or one without a ``data`` list, raises BadResponse; media
with missing fields (a post without ``caption`` is common) are landed anyway and the
normalizer quarantines them; non-object entries in ``data`` are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import structlog

from tickerpulse.config import Settings
from tickerpulse.domain import WINDOW, as_utc
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.graph import GraphApi, data_of, walk_newest_first
from tickerpulse.sources.http import BadResponse, HttpClient, RequestBudget

log = structlog.get_logger(__name__)

MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,like_count,comments_count"
PAGE_SIZE = 50
UNIQUE_HASHTAGS_PER_WEEK = 30
TOKEN_ENV = "INSTAGRAM_ACCESS_TOKEN"


class InstagramSource:
    """Incremental recent media of the configured hashtags."""

    name = "instagram"

    def __init__(self, settings: Settings, client: HttpClient) -> None:
        token = settings.instagram_access_token
        self.user_id = settings.instagram_user_id or ""
        self.hashtags = [tag.lstrip("#").strip() for tag in settings.instagram_hashtags]
        self.api = GraphApi(
            client,
            base_url=settings.graph_api_url,
            version=settings.graph_api_version,
            token=token.get_secret_value() if token else "",
            token_env=TOKEN_ENV,
        )

    def check(self) -> str:
        """One cheap request (``/me``) proving the token works; a one-line summary."""
        me = self.api.get("me", {"fields": "id,name"})
        who = me.get("name") or me.get("id") or "unknown"
        summary = f"token ok for {who}; {len(self.hashtags)} Instagram hashtags configured"
        if len(self.hashtags) > UNIQUE_HASHTAGS_PER_WEEK:
            summary += f" (more than the {UNIQUE_HASHTAGS_PER_WEEK} unique per 7 days Meta allows)"
        return summary

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """Media newer than each hashtag's high-water mark and older than ``until``."""
        until = as_utc(until)
        cursor: Cursor = {
            "hashtag_ids": dict(since.get("hashtag_ids", {})),
            "tags": dict(since.get("tags", {})),
        }
        for tag in self.hashtags:
            hashtag_id = cursor["hashtag_ids"].get(tag) or self._hashtag_id(tag)
            if hashtag_id is None:
                continue
            fetched_at = datetime.now(tz=UTC)
            state = cursor["tags"].get(tag, {})
            walk = walk_newest_first(
                self.api,
                state,
                partial(self._first, hashtag_id),
                what=f"recent_media of #{tag}",
                time_field="timestamp",
                floor=until - WINDOW,
                until=until,
            )
            for items, new_state in walk:
                updated = {
                    "hashtag_ids": {**cursor["hashtag_ids"], tag: hashtag_id},
                    "tags": {**cursor["tags"], tag: new_state},
                }
                if items or updated != cursor:
                    context = {"hashtag": tag}
                    lines = [envelope(i, fetched_at=fetched_at, context=context) for i in items]
                    cursor = updated
                    yield Page(lines=lines, cursor=cursor)

    def _hashtag_id(self, tag: str) -> str | None:
        body = self.api.get("ig_hashtag_search", {"user_id": self.user_id, "q": tag})
        found = data_of(body, self.api.source, "ig_hashtag_search")
        if not found:
            log.warning("hashtag not found; skipped", source=self.api.source, hashtag=tag)
            return None
        first: Any = found[0]
        if not isinstance(first, dict) or not isinstance(first.get("id"), str | int):
            raise BadResponse(f"{self.api.source}: ig_hashtag_search for #{tag} gave no id")
        return str(first["id"])

    def _first(self, hashtag_id: str) -> dict[str, Any]:
        params = {"user_id": self.user_id, "fields": MEDIA_FIELDS, "limit": PAGE_SIZE}
        return self.api.get(f"{hashtag_id}/recent_media", params)


def missing_credentials(settings: Settings) -> list[str]:
    """Environment variables that must be set before this source can run."""
    missing = []
    token = settings.instagram_access_token
    if token is None or not token.get_secret_value():
        missing.append(TOKEN_ENV)
    if not settings.instagram_user_id:
        missing.append("INSTAGRAM_USER_ID")
    return missing


def build(settings: Settings) -> InstagramSource:
    """The Instagram source with its own HTTP client and this run's request budget."""
    client = HttpClient("instagram", budget=RequestBudget(settings.source_request_budget))
    return InstagramSource(settings, client)
