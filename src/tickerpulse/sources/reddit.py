"""Reddit: the newest posts and comments of the configured subreddits, landed untouched.

Endpoints (Reddit Data API, https://www.reddit.com/dev/api):

* ``POST {REDDIT_AUTH_URL}`` (``/api/v1/access_token``) with HTTP basic auth
  (client id, client secret) and ``grant_type=client_credentials``: an
  application-only OAuth2 token, ``{"access_token", "token_type": "bearer",
  "expires_in", "scope"}``. No Reddit user is involved.
* ``GET {REDDIT_API_URL}/r/<sub>/new`` (posts, kind ``t3``) and
  ``GET {REDDIT_API_URL}/r/<sub>/comments`` (comments, kind ``t1``) with
  ``limit=100``, ``raw_json=1`` (text without HTML entities) and ``after=<fullname>``
  to page. Both answer a ``Listing`` ``{"kind": "Listing", "data": {"after",
  "before", "children": [{"kind", "data"}]}}``, newest first, at most ~1000 items deep.
* ``GET {REDDIT_API_URL}/r/<first sub>/about`` for :meth:`RedditSource.check`.

Every request carries ``Authorization: bearer <token>`` and the descriptive
``REDDIT_USER_AGENT`` (``<platform>:<app id>:<version> (by /u/<name>)``) Reddit asks for.

Rate limits: the free tier allows 100 queries per minute per OAuth client id,
averaged over a 10-minute window; each response reports ``X-Ratelimit-Used``,
``X-Ratelimit-Remaining`` and ``X-Ratelimit-Reset`` (seconds left in the window).
:class:`~tickerpulse.sources.http.HttpClient` pauses before the next request
once ``remaining`` reaches 0 and honours 429 ``Retry-After``. A token that
stops working mid-run (401) is renewed once; a second refusal is an :class:`AuthError`.

Credentials: log in at https://www.reddit.com/prefs/apps, "create another app…",
type *script* (or *web app*), any redirect URI; the string under the app name
is ``REDDIT_CLIENT_ID``, "secret" is ``REDDIT_CLIENT_SECRET``. Reddit's Data
API Terms apply; commercial use needs Reddit's approval.

Incremental walk (one *stream* per subreddit and listing): a walk starts at the
newest page and follows ``after`` until it meets an item created before the
stream's high-water mark ``hw`` (``[created_utc, fullname]`` of the newest item
landed so far; the first run looks back one 6-hour window). Only items above
``hw`` and created before ``until`` are landed. While a walk is under way the
cursor keeps the old ``hw``, the next ``after`` and the newest item seen
(``top``); when the walk reaches ``hw`` (or the listing ends) ``top`` becomes
the new ``hw``. So a crash between pages resumes at the next page, and items
posted meanwhile are caught by the next walk.

If the item a resumed walk would page after was deleted meanwhile, Reddit
answers an empty page; the walk then restarts from the newest page and lands
the items between ``top`` and that anchor a second time (same ``doc_id``).

Edits and deletions: ``/new`` and ``/comments`` order by creation and an edit
(``data.edited`` becomes a timestamp) does not move an item, so an item is
normally landed once, as it was when first fetched. When it is seen again (a
restarted walk, a page re-fetched after a crash) its current version is landed
again with the same ``doc_id``. Which version wins: within one run the
normalizer keeps the first line it reads (parts are read in name order, which
is not fetch order); across runs the newest run wins (``window_documents.sql``).
``[deleted]`` and ``[removed]`` bodies are landed as they are; the normalizer
keeps a removed post's title and quarantines a deleted comment.

Bad input: a response that is not JSON, or not a ``Listing`` with
``data.children``, raises :class:`BadResponse`. A child that is an object is
landed even if its fields are wrong (the normalizer quarantines it); a child
that is not an object cannot be landed and is skipped with a counted warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import structlog

from tickerpulse.config import Settings
from tickerpulse.domain import WINDOW
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.http import (
    AuthError,
    BadResponse,
    HttpClient,
    RequestBudget,
    SourceError,
)

__all__ = ["RedditSource", "build", "missing_credentials", "parse_listing", "parse_token"]

log = structlog.get_logger(__name__)

ListingName = Literal["new", "comments"]
LISTINGS: tuple[ListingName, ...] = ("new", "comments")
PAGE_LIMIT = 100
TOKEN_MARGIN = 60.0
"""Renew a token this many seconds before Reddit says it expires."""

Mark = tuple[float, int]
"""Where an item sits in a newest-first listing: (created_utc, numeric id)."""


# --- pure parsing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One page of a Reddit listing: its children (objects only) and the next ``after``."""

    children: list[dict[str, Any]]
    after: str | None
    skipped: int = 0


def parse_listing(body: Any, where: str) -> Listing:
    """Check that ``body`` is a documented Listing and take out its children.

    Args:
        body: the decoded JSON of a listing response.
        where: what was asked for, for the error message (e.g. ``"r/stocks/new"``).

    Raises:
        BadResponse: the body is not ``{"kind": "Listing", "data": {"children": [...]}}``.
    """
    if not isinstance(body, dict) or body.get("kind") != "Listing":
        raise BadResponse(f"reddit: {where} did not answer a Listing: {_shape(body)}")
    data = body.get("data")
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(children, list):
        raise BadResponse(f"reddit: {where} Listing has no data.children: {_shape(data)}")
    after = data.get("after")
    objects = [child for child in children if isinstance(child, dict)]
    return Listing(
        children=objects,
        after=after if isinstance(after, str) and after else None,
        skipped=len(children) - len(objects),
    )


def parse_token(body: Any) -> tuple[str, float]:
    """The bearer token and its lifetime in seconds from a token-endpoint answer.

    Raises:
        AuthError: Reddit answered with an OAuth error (``{"error": ...}``).
        BadResponse: the answer has no ``access_token``.
    """
    if isinstance(body, dict) and "error" in body and "access_token" not in body:
        raise AuthError(
            f"reddit: token endpoint refused REDDIT_CLIENT_ID/REDDIT_CLIENT_SECRET: "
            f"{body.get('error')}"
        )
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise BadResponse(f"reddit: token endpoint answered without access_token: {_shape(body)}")
    lifetime = body.get("expires_in")
    valid = isinstance(lifetime, int | float) and not isinstance(lifetime, bool)
    return token, float(lifetime) if valid else 3600.0


def item_mark(child: dict[str, Any]) -> Mark | None:
    """The item's place in a newest-first listing, or None when its fields are unusable."""
    data = child.get("data")
    if not isinstance(data, dict):
        return None
    created, name = data.get("created_utc"), data.get("name")
    if not isinstance(created, int | float) or isinstance(created, bool):
        return None
    if not isinstance(name, str) or "_" not in name:
        return None
    try:
        return float(created), int(name.split("_", 1)[1], 36)
    except ValueError:
        return None


def _mark_of(value: Any) -> Mark:
    """A mark stored in the cursor as ``[created_utc, fullname]``."""
    created, name = value
    return float(created), int(name.split("_", 1)[1], 36) if "_" in name else 0


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "object with keys " + ", ".join(sorted(map(str, value))[:10])
    return type(value).__name__


# --- cursor state of one stream (pure) ----------------------------------------------------------


@dataclass
class Walk:
    """The state of one stream (subreddit x listing) as stored in the cursor."""

    hw: list[Any]
    after: str | None = None
    top: list[Any] | None = None
    landed: list[dict[str, Any]] = field(default_factory=list)
    reached_hw: bool = False

    @classmethod
    def load(cls, state: Any, floor: float) -> Walk:
        """The stored state, or a fresh one that looks back to ``floor``."""
        if isinstance(state, dict) and isinstance(state.get("hw"), list):
            return cls(hw=state["hw"], after=state.get("after"), top=state.get("top"))
        return cls(hw=[floor, ""])

    def dump(self) -> dict[str, Any]:
        """The state to store; a finished walk keeps only its new high-water mark."""
        return {"hw": self.hw, "after": self.after, "top": self.top}

    def take(self, listing: Listing, until: float) -> None:
        """Keep this page's items newer than ``hw`` and older than ``until``; advance."""
        hw = _mark_of(self.hw)
        top = _mark_of(self.top) if self.top else None
        self.landed = []
        for child in listing.children:
            mark = item_mark(child)
            if mark is None:  # unusable fields: land it, the normalizer quarantines it
                self.landed.append(child)
                continue
            if mark[0] < hw[0]:  # strictly older second: everything after is older too
                self.reached_hw = True
                break
            if mark <= hw or mark[0] >= until:
                continue
            self.landed.append(child)
            if top is None or mark > top:
                top, self.top = mark, [child["data"]["created_utc"], child["data"]["name"]]
        if self.reached_hw or listing.after is None:
            self.finish()
        else:
            self.after = listing.after

    def finish(self) -> None:
        """The walk met the old high-water mark: the newest item seen becomes the new one."""
        if self.top is not None:
            self.hw = self.top
        self.after, self.top = None, None


# --- the source ---------------------------------------------------------------------------------


class RedditSource:
    """Posts and comments of ``settings.reddit_subreddits`` via Reddit's OAuth API."""

    name = "reddit"

    def __init__(
        self,
        settings: Settings,
        client: HttpClient,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.client = client
        self._clock = clock
        self._token_expires = 0.0
        self._api = settings.reddit_api_url.rstrip("/")
        client.set_header("User-Agent", settings.reddit_user_agent)

    def check(self) -> str:
        """One cheap real request: a token, then the first subreddit's ``about``."""
        subreddits = self.settings.reddit_subreddits
        if not subreddits:
            raise SourceError("reddit: REDDIT_SUBREDDITS is empty; nothing to fetch")
        self._renew_token()
        about = self._get(f"/r/{subreddits[0]}/about", {"raw_json": 1})
        data = about.get("data") if isinstance(about, dict) else None
        if not isinstance(data, dict):
            raise BadResponse(f"reddit: r/{subreddits[0]}/about answered {_shape(about)}")
        members = data.get("subscribers")
        return (
            f"token ok; r/{subreddits[0]} has {members} subscribers; "
            f"{len(subreddits)} subreddits configured"
        )

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """One page per listing request, each with the cursor that holds once it is stored."""
        limit = until.timestamp()
        floor = (until - WINDOW).timestamp()
        streams: dict[str, Any] = dict(since.get("streams", {}))
        for subreddit in self.settings.reddit_subreddits:
            for listing in LISTINGS:
                key = f"{subreddit}/{listing}"
                walk = Walk.load(streams.get(key), floor)
                for lines in self._walk(subreddit, listing, walk, limit):
                    before = streams.get(key)
                    streams[key] = walk.dump()
                    if lines or streams[key] != before:
                        yield Page(lines=lines, cursor={"streams": dict(streams)})

    # --- one stream ------------------------------------------------------------------------------

    def _walk(
        self, subreddit: str, listing: ListingName, walk: Walk, until: float
    ) -> Iterator[list[bytes]]:
        """Pages of landed lines of one stream, advancing ``walk`` as it goes."""
        where = f"r/{subreddit}/{listing}"
        resumed = walk.after is not None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"limit": PAGE_LIMIT, "raw_json": 1}
            if walk.after:
                if walk.after in seen:
                    raise BadResponse(f"reddit: {where} repeated the page token {walk.after}")
                seen.add(walk.after)
                params["after"] = walk.after
            page = parse_listing(self._get(f"/r/{subreddit}/{listing}", params), where)
            if resumed and not page.children and walk.top is not None:
                # The anchor item vanished (deleted), so Reddit answers an empty page:
                # start again from the newest; what was landed already dedupes by doc_id.
                log.warning("reddit walk restarted", stream=where, anchor=walk.after)
                walk.after, resumed = None, False
                seen.clear()
                continue
            resumed = False
            walk.take(page, until)
            if page.skipped:
                log.warning("reddit children skipped", stream=where, skipped=page.skipped)
            if walk.after is None and not walk.reached_hw and len(page.children) >= PAGE_LIMIT:
                # Reddit serves ~1000 items per listing; older ones are out of reach.
                log.warning("reddit listing ended before the high-water mark", stream=where)
            fetched_at = datetime.fromtimestamp(self._clock(), UTC)
            context = {"subreddit": subreddit, "listing": listing}
            yield [envelope(c, fetched_at=fetched_at, context=context) for c in walk.landed]
            log.debug("reddit page", stream=where, landed=len(walk.landed))
            if walk.after is None:
                return

    # --- HTTP ------------------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        """GET an API path with a live token; renew it once if Reddit refuses it."""
        if self._clock() >= self._token_expires:
            self._renew_token()
        try:
            response = self.client.request("GET", f"{self._api}{path}", params=params)
        except AuthError:
            self._renew_token()
            try:
                response = self.client.request("GET", f"{self._api}{path}", params=params)
            except AuthError as exc:
                raise AuthError(
                    f"reddit: {path} still refused with a fresh token (credentials revoked, "
                    f"or a private/quarantined subreddit): {exc}"
                ) from None
        _check_not_redirected(response, path)
        return self.client.json_of(response)

    def _renew_token(self) -> None:
        client_id = self.settings.reddit_client_id or ""
        secret = self.settings.reddit_client_secret
        try:
            response = self.client.request(
                "POST",
                self.settings.reddit_auth_url,
                auth=(client_id, secret.get_secret_value() if secret else ""),
                data={"grant_type": "client_credentials"},
            )
        except AuthError as exc:
            raise AuthError(
                f"reddit: REDDIT_CLIENT_ID/REDDIT_CLIENT_SECRET refused by the token endpoint; "
                f"check the app at https://www.reddit.com/prefs/apps ({exc})"
            ) from None
        token, lifetime = parse_token(self.client.json_of(response))
        self.client.set_header("Authorization", f"bearer {token}")
        self._token_expires = self._clock() + max(lifetime - TOKEN_MARGIN, 0.0)
        log.debug("reddit token", expires_in=lifetime)


def _check_not_redirected(response: httpx.Response, path: str) -> None:
    """Reddit redirects an unknown subreddit to a subreddit search; refuse to land that."""
    if response.history and response.url.path.rstrip("/") != path.rstrip("/"):
        raise SourceError(
            f"reddit: {path} redirected to {response.url.path}: the subreddit does not exist "
            f"or was renamed; fix REDDIT_SUBREDDITS"
        )


def missing_credentials(settings: Settings) -> list[str]:
    """The environment variables that must be set before the Reddit source can run."""
    missing = []
    if not settings.reddit_client_id:
        missing.append("REDDIT_CLIENT_ID")
    secret = settings.reddit_client_secret
    if secret is None or not secret.get_secret_value():
        missing.append("REDDIT_CLIENT_SECRET")
    return missing


def build(settings: Settings) -> RedditSource:
    """A Reddit source with its own HTTP client and this run's request budget."""
    client = HttpClient(
        "reddit",
        headers={"User-Agent": settings.reddit_user_agent},
        budget=RequestBudget(settings.source_request_budget),
    )
    return RedditSource(settings, client)
