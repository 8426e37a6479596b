"""Facebook source: public posts of the configured Pages through the Meta Graph API.

Endpoint: ``GET {graph_api_url}/{graph_api_version}/<page-id-or-username>/posts`` with
``fields=id,message,created_time,permalink_url,from,shares,reactions.summary(true)``,
``limit=100`` and ``since``/``until`` as Unix seconds; newest first, paged by
``paging.next`` (a full Graph URL, followed only on the Graph host). Each landed line is
the post untouched with context ``{"page": <the configured page>}``.

Auth: ``FACEBOOK_ACCESS_TOKEN`` sent as the ``access_token`` query parameter (never
logged: errors show URLs without their query, cursors keep ``next`` URLs without it).
For Pages you manage, a Page or system-user token with ``pages_read_engagement`` reads
their posts. For public Pages you do not manage, the app needs App Review for the
*Page Public Content Access* feature (Meta recommends a system-user token with it to
avoid rate-limit trouble). Tokens expire (short-lived user tokens in about an hour,
long-lived ones in about 60 days; system-user tokens can be made non-expiring): Graph
answers error 190 and the run records "access token is expired … set
FACEBOOK_ACCESS_TOKEN". ``FACEBOOK_PAGES`` lists page ids or usernames.

Rate limits (developers.facebook.com/docs/graph-api/overview/rate-limiting): user/app
tokens fall under Platform limits (app: 200 calls × daily active users per rolling hour),
Page/system-user tokens under Business Use Case limits; usage comes back in
``X-App-Usage`` / ``X-Business-Use-Case-Usage`` and throttling as error 4/17/32/613/80001
— handled in :mod:`tickerpulse.sources.graph`. One run makes about one request per page
plus one per 100 new posts.

Bad input: a non-JSON answer, or one without a ``data`` list, raises BadResponse; a post
with missing or malformed fields (e.g. a photo post without ``message``) is landed anyway
and the normalizer quarantines it; a non-object entry in ``data`` is skipped and counted
in a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

from tickerpulse.config import Settings
from tickerpulse.domain import WINDOW, as_utc
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.graph import GraphApi, Mark, walk_newest_first
from tickerpulse.sources.http import HttpClient, RequestBudget

POST_FIELDS = "id,message,created_time,permalink_url,from,shares,reactions.summary(true)"
PAGE_SIZE = 100
TOKEN_ENV = "FACEBOOK_ACCESS_TOKEN"


class FacebookSource:
    """Incremental posts of the configured Facebook Pages."""

    name = "facebook"

    def __init__(self, settings: Settings, client: HttpClient) -> None:
        token = settings.facebook_access_token
        self.pages = list(settings.facebook_pages)
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
        return f"token ok for {who}; {len(self.pages)} Facebook pages configured"

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """Posts newer than each page's high-water mark and older than ``until``."""
        until = as_utc(until)
        states: dict[str, Any] = dict(since.get("pages", {}))
        cursor: Cursor = {"pages": dict(states)}
        for page in self.pages:
            fetched_at = datetime.now(tz=UTC)
            state = states.get(page, {})
            walk = walk_newest_first(
                self.api,
                state,
                partial(self._first, page, state, until),
                what=f"/{page}/posts",
                time_field="created_time",
                floor=until - WINDOW,
                until=until,
            )
            for items, state in walk:
                updated = {"pages": {**cursor["pages"], page: state}}
                if items or updated != cursor:
                    context = {"page": page}
                    lines = [envelope(i, fetched_at=fetched_at, context=context) for i in items]
                    cursor = updated
                    yield Page(lines=lines, cursor=cursor)

    def _first(self, page: str, state: dict[str, Any], until: datetime) -> dict[str, Any]:
        high = Mark.load(state.get("high"))
        start = high.time if high else until - WINDOW
        params = {
            "fields": POST_FIELDS,
            "limit": PAGE_SIZE,
            "since": int(start.timestamp()),
            "until": int(until.timestamp()) + 1,
        }
        return self.api.get(f"{page}/posts", params)


def missing_credentials(settings: Settings) -> list[str]:
    """Environment variables that must be set before this source can run."""
    missing = []
    token = settings.facebook_access_token
    if token is None or not token.get_secret_value():
        missing.append(TOKEN_ENV)
    if not settings.facebook_pages:
        missing.append("FACEBOOK_PAGES")
    return missing


def build(settings: Settings) -> FacebookSource:
    """The Facebook source with its own HTTP client and this run's request budget."""
    client = HttpClient("facebook", budget=RequestBudget(settings.source_request_budget))
    return FacebookSource(settings, client)
