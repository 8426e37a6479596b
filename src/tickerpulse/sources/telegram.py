"""Telegram: public channels through their web preview pages, optionally the Bot API.

Web preview (no credentials): ``GET {TELEGRAM_WEB_URL}/s/<channel>`` is the HTML page
Telegram shows for a public channel, the newest ~20 messages; ``?before=<message id>``
gives the ones before that id. This is how snscrape read channels. Each message is a
``div.tgme_widget_message`` whose ``data-post`` is ``<channel>/<id>``; its text is in
``.tgme_widget_message_text``, its time in ``a.tgme_widget_message_date time[datetime]``
(ISO 8601) and its view count in ``.tgme_widget_message_views`` ("1.2K"). A channel
without a public preview (private, or preview disabled) redirects to its landing page
``/<channel>``, which has no messages: that is an error for that channel only.

Each message with text is landed as a Bot-API-shaped item, ``{message_id, chat:
{username, title}, date (unix), text, views, html}`` (``html`` keeps the message's markup
untouched, links included), with context ``{"channel", "via": "web"}``, so the same
normalizer reads web and bot messages. Photo- or sticker-only messages carry no text and
are not landed (counted in the log); service messages (pinned, title changed) are skipped.

Incremental walk per channel, newest first and crash-safe like the Reddit source:
between runs the cursor holds ``high``, the newest message id landed; a walk starts at
the newest page and follows ``before`` until it meets ``high`` (the first run looks back
one 6-hour window). While walking, the cursor holds the old ``high`` plus ``walk:
{before, top}`` (the page to fetch next, the newest id landed by this walk), so a crash
resumes at the next page; ``top`` becomes ``high`` when the walk ends. Messages newer
than ``until`` are left for the next run. Per-channel health (last success, last error)
is kept in the cursor too. ``TELEGRAM_MAX_PAGES`` bounds one channel's walk per run.

Bot API (optional, ``TELEGRAM_BOT_TOKEN``): for channels where you can add a bot
(create it with @BotFather, add it to the channel as an administrator),
``getUpdates`` with ``allowed_updates=["channel_post"]`` and ``offset`` = last
``update_id`` + 1 (kept in the cursor) returns the channel posts the bot has seen;
Telegram keeps undelivered updates for 24 hours, so run at least daily. They land
as they come (already Bot API shape) with context ``{"channel", "via": "bot"}``.
The token sits in the URL path, so every error message is masked before it is raised.

Limits: Telegram publishes no quota for the preview pages; be polite (one request per
page, the shared ``SOURCE_REQUEST_BUDGET`` per run) and keep the channel list short.
``TELEGRAM_CHANNELS`` lists channel usernames (without ``@``); edit it freely.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from selectolax.lexbor import LexborHTMLParser, LexborNode

from tickerpulse.config import Settings
from tickerpulse.domain import WINDOW, as_utc
from tickerpulse.sources.base import Cursor, Page, envelope
from tickerpulse.sources.http import BadResponse, HttpClient, RequestBudget, SourceError

log = structlog.get_logger(__name__)

NAME = "telegram"
_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KMB]?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


@dataclass(frozen=True)
class PreviewMessage:
    """One message of a channel's web preview, as landed."""

    message_id: int
    date: datetime
    text: str
    views: int | None
    html: str


@dataclass(frozen=True)
class PreviewPage:
    """A parsed preview page: its messages (newest last) and what it says about the channel."""

    title: str | None
    messages: list[PreviewMessage]
    skipped: int
    """Messages on the page without text (media only) or that are service messages."""


def parse_count(value: str) -> int | None:
    """A view count as Telegram prints it ("987", "1.2K", "3M") as an integer."""
    match = _COUNT.match(value)
    if match is None:
        return None
    number, suffix = match.groups()
    return round(float(number.replace(",", "")) * _SCALE[suffix.upper()])


def parse_preview(html: str, channel: str) -> PreviewPage:
    """The messages of one ``/s/<channel>`` page.

    Raises:
        BadResponse: When the page is not a channel preview (no preview enabled,
            or a page of another kind).
    """
    tree = LexborHTMLParser(html)
    if tree.css_first(".tgme_channel_history") is None:
        raise BadResponse(
            f"{NAME}: channel {channel!r} has no public web preview "
            "(is it public, and is the name right?)"
        )
    title_node = tree.css_first(".tgme_channel_info_header_title")
    messages: list[PreviewMessage] = []
    skipped = 0
    for node in tree.css("div.tgme_widget_message[data-post]"):
        message = _message(node)
        if message is None:
            skipped += 1
        else:
            messages.append(message)
    messages.sort(key=lambda m: m.message_id)
    title = title_node.text(strip=True) if title_node is not None else None
    return PreviewPage(title=title, messages=messages, skipped=skipped)


def _message(node: LexborNode) -> PreviewMessage | None:
    if "service_message" in (node.attributes.get("class") or ""):
        return None
    post = node.attributes.get("data-post") or ""
    _, _, number = post.rpartition("/")
    text_node = node.css_first(".tgme_widget_message_text")
    time_node = node.css_first(".tgme_widget_message_date time[datetime]")
    if not number.isdigit() or text_node is None or time_node is None:
        return None
    views_node = node.css_first(".tgme_widget_message_views")
    stamp = time_node.attributes.get("datetime") or ""
    try:
        date = as_utc(datetime.fromisoformat(stamp))
    except ValueError:
        return None
    return PreviewMessage(
        message_id=int(number),
        date=date,
        text=_text_of(text_node),
        views=parse_count(views_node.text()) if views_node is not None else None,
        html=text_node.inner_html or "",
    )


def _text_of(node: LexborNode) -> str:
    """The message text with line breaks kept (``<br>`` becomes a newline)."""
    for br in node.css("br"):
        br.replace_with("\n")
    return node.text(deep=True).strip()


class TelegramSource:
    """Public channels' web previews, plus the Bot API when a token is set."""

    name = NAME

    def __init__(self, settings: Settings, client: HttpClient) -> None:
        self.channels = [c.lstrip("@") for c in settings.telegram_channels]
        self.web_url = settings.telegram_web_url.rstrip("/")
        token = settings.telegram_bot_token
        self.bot_token = token.get_secret_value() if token is not None else ""
        self.bot_api_url = settings.telegram_bot_api_url.rstrip("/")
        self.max_pages = settings.telegram_max_pages
        self.client = client
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        """Pages of new messages per channel, then the bot's channel posts."""
        cursor = copy.deepcopy(since)
        channels: dict[str, Any] = cursor.setdefault("channels", {})
        health: dict[str, Any] = cursor.setdefault("health", {})
        for channel in self.channels:
            try:
                for lines in self._walk(channel, channels, until):
                    yield Page(lines, copy.deepcopy(cursor))
            except SourceError as exc:
                log.warning("telegram channel failed", channel=channel, error=str(exc))
                health[channel] = {**health.get(channel, {}), "last_error": str(exc)}
                yield Page([], copy.deepcopy(cursor))
                continue
            health[channel] = {"last_success": self.now().isoformat(), "last_error": None}
            yield Page([], copy.deepcopy(cursor))
        if self.bot_token:
            yield from self._bot_updates(cursor)

    def check(self) -> str:
        """Read the first channel's newest page."""
        if not self.channels:
            raise SourceError(f"{NAME}: TELEGRAM_CHANNELS is empty")
        channel = self.channels[0]
        page = parse_preview(self._preview(channel, None), channel)
        return f"@{channel}: {len(page.messages)} messages with text on its newest preview page"

    # --- web preview -------------------------------------------------------------------------

    def _walk(
        self, channel: str, channels: dict[str, Any], until: datetime
    ) -> Iterator[list[bytes]]:
        """Landed lines page by page; ``channels[channel]`` is updated before each yield."""
        state = channels.setdefault(channel, {})
        walk = state.get("walk") or {"before": None, "top": state.get("high")}
        high = state.get("high")
        oldest = as_utc(until) - WINDOW  # the first run looks back one window
        for _ in range(self.max_pages):
            page = parse_preview(self._preview(channel, walk["before"]), channel)
            fresh = [m for m in page.messages if (high is None or m.message_id > high)]
            landed = [m for m in fresh if m.date < until and (high is not None or m.date >= oldest)]
            if landed:
                walk["top"] = max([walk["top"] or 0, *(m.message_id for m in landed)])
            reached_end = (
                not page.messages
                or len(fresh) < len(page.messages)  # met the high-water mark
                or (high is None and page.messages[0].date < oldest)
                or page.messages[0].message_id <= 1
            )
            if reached_end:
                state.pop("walk", None)
                if walk["top"] is not None:
                    state["high"] = walk["top"]
            else:
                walk["before"] = page.messages[0].message_id
                state["walk"] = walk
            yield self._lines(channel, page, landed)
            if reached_end:
                return
        log.warning("telegram walk paused", channel=channel, pages=self.max_pages)

    def _preview(self, channel: str, before: int | None) -> str:
        params = {"before": before} if before is not None else None
        response = self.client.request("GET", f"{self.web_url}/s/{channel}", params=params)
        if not response.url.path.startswith("/s/"):
            raise BadResponse(
                f"{NAME}: channel {channel!r} has no public web preview "
                f"(redirected to {response.url.path})"
            )
        return response.text

    def _lines(
        self, channel: str, page: PreviewPage, messages: list[PreviewMessage]
    ) -> list[bytes]:
        fetched_at = self.now()
        if page.skipped:
            log.debug("telegram messages without text", channel=channel, count=page.skipped)
        return [
            envelope(
                {
                    "message_id": m.message_id,
                    "chat": {"username": channel, "title": page.title},
                    "date": int(m.date.timestamp()),
                    "text": m.text,
                    "views": m.views,
                    "html": m.html,
                },
                fetched_at=fetched_at,
                context={"channel": channel, "via": "web"},
            )
            for m in messages
        ]

    # --- Bot API -----------------------------------------------------------------------------

    def _bot_updates(self, cursor: Cursor) -> Iterator[Page]:
        offset = cursor.get("bot_offset")
        while True:
            params: dict[str, Any] = {"allowed_updates": '["channel_post"]', "timeout": 0}
            if offset is not None:
                params["offset"] = offset
            updates = self._bot_call("getUpdates", params)
            if not updates:
                return
            lines = self._bot_lines(updates)
            ids = [u["update_id"] for u in updates if isinstance(u, dict)]
            if not all(isinstance(i, int) for i in ids) or not ids:
                raise BadResponse(f"{NAME}: Bot API getUpdates gave updates without update_id")
            offset = max(ids) + 1
            cursor["bot_offset"] = offset
            yield Page(lines, copy.deepcopy(cursor))

    def _bot_lines(self, updates: list[Any]) -> list[bytes]:
        """The channel posts among ``updates``, as landed lines.

        Posts newer than the window are landed too: once the offset moves past
        them Telegram will not send them again, and the aggregate stage files
        every document under the window it was written in.
        """
        fetched_at = self.now()
        lines = []
        for update in updates:
            post = update.get("channel_post") if isinstance(update, dict) else None
            if not isinstance(post, dict):
                continue
            chat = post.get("chat")
            chat = chat if isinstance(chat, dict) else {}
            context = {"channel": chat.get("username") or chat.get("id"), "via": "bot"}
            lines.append(envelope(post, fetched_at=fetched_at, context=context))
        return lines

    def _bot_call(self, method: str, params: dict[str, Any]) -> list[Any]:
        url = f"{self.bot_api_url}/bot{self.bot_token}/{method}"
        try:
            body = self.client.json_of(self.client.request("GET", url, params=params))
        except SourceError as exc:
            raise type(exc)(str(exc).replace(self.bot_token, "<token>")) from None
        if not isinstance(body, dict) or body.get("ok") is not True:
            description = body.get("description") if isinstance(body, dict) else None
            raise SourceError(f"{NAME}: Bot API {method} failed: {description or 'no body'}")
        result = body.get("result")
        if not isinstance(result, list):
            raise BadResponse(f"{NAME}: Bot API {method} answered without a result list")
        return result


def missing_credentials(settings: Settings) -> list[str]:
    """Public previews need no credentials, only channels to read."""
    return [] if settings.telegram_channels else ["TELEGRAM_CHANNELS"]


def build(settings: Settings) -> TelegramSource:
    """The Telegram source with its own HTTP client and this run's request budget."""
    client = HttpClient(NAME, budget=RequestBudget(settings.source_request_budget))
    return TelegramSource(settings, client)
