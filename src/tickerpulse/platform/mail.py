"""E-mail through an outbox table: always written there, delivered by SMTP when one is set.

Writing first means a message survives an SMTP outage and a crash; delivery
marks ``sent_at`` so each message goes once.

A confirmation or reset link is a credential, so the outbox keeps it only while
it may still be needed: once the message is delivered, the token is used or
replaced, or its time is up, the token in the stored body becomes ``redacted``.
"""

from __future__ import annotations

import logging
import re
import smtplib
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tickerpulse.config import Settings
from tickerpulse.db.platform import EmailOutbox

log = logging.getLogger(__name__)
BATCH = 100
REDACTED = "redacted"
_TOKEN_IN_LINK = re.compile(r"([?&]token=)[A-Za-z0-9_-]+")


def redact_links(body: str) -> str:
    """The body with the token of every ``?token=`` link replaced by ``redacted``."""
    return _TOKEN_IN_LINK.sub(rf"\g<1>{REDACTED}", body)


def _link_marker(purpose: str) -> str:
    return f"/{purpose}?token="


def forget_links(session: Session, *, to: str, purpose: str) -> int:
    """Redact the ``purpose`` links (verify, reset) of the messages to ``to``; returns how many.

    Called when a token is used or replaced: its link opens nothing any more.
    """
    marker = _link_marker(purpose)
    rows = session.scalars(
        select(EmailOutbox).where(
            EmailOutbox.to_addr == to,
            EmailOutbox.body.contains(marker, autoescape=True),
            ~EmailOutbox.body.contains(marker + REDACTED, autoescape=True),
        )
    )
    return _redact(rows)


def forget_expired_links(session: Session, ttl: dict[str, timedelta], *, now: datetime) -> int:
    """Redact the links of every purpose in messages older than that purpose's token lifetime."""
    redacted = 0
    for purpose, lifetime in ttl.items():
        marker = _link_marker(purpose)
        rows = session.scalars(
            select(EmailOutbox).where(
                EmailOutbox.created_at <= now - lifetime,
                EmailOutbox.body.contains(marker, autoescape=True),
                ~EmailOutbox.body.contains(marker + REDACTED, autoescape=True),
            )
        )
        redacted += _redact(rows)
    return redacted


def _redact(rows: Iterable[EmailOutbox]) -> int:
    count = 0
    for message in rows:
        message.body = redact_links(message.body)
        count += 1
    return count


def recent_messages(session: Session, limit: int = 50) -> list[EmailOutbox]:
    """The outbox's newest messages, newest first (the demo shows them)."""
    query = select(EmailOutbox).order_by(EmailOutbox.message_id.desc()).limit(limit)
    return list(session.scalars(query))


def enqueue(session: Session, *, to: str, subject: str, body: str, now: datetime) -> EmailOutbox:
    """Put a message in the outbox (committed with the caller's transaction)."""
    message = EmailOutbox(to_addr=to, subject=subject, body=body, created_at=now)
    session.add(message)
    return message


def deliver_pending(factory: sessionmaker[Session], settings: Settings) -> int:
    """Send unsent outbox messages by SMTP; returns how many went (0 without ``SMTP_URL``)."""
    if settings.smtp_url is None:
        return 0
    url = urlsplit(settings.smtp_url.get_secret_value())
    sent = 0
    with factory() as session:
        pending = list(
            session.scalars(
                select(EmailOutbox)
                .where(EmailOutbox.sent_at.is_(None))
                .order_by(EmailOutbox.message_id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not pending:
            return 0
        smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        try:
            with smtp_class(url.hostname or "localhost", url.port or 25, timeout=10) as smtp:
                if url.username:
                    smtp.login(unquote(url.username), unquote(url.password or ""))
                for message in pending:
                    smtp.send_message(_email(message, settings.mail_from))
                    message.sent_at = datetime.now(UTC)
                    message.body = redact_links(message.body)  # the reader has it now
                    sent += 1
        except (OSError, smtplib.SMTPException) as error:
            log.warning("smtp delivery stopped after %d messages: %s", sent, error)
        session.commit()
    return sent


def _email(message: EmailOutbox, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_addr
    email["Subject"] = message.subject
    email.set_content(message.body)
    return email


class MailSender:
    """Delivers the outbox by SMTP every few seconds in a background thread (with SMTP_URL)."""

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, interval_s: float = 5.0
    ) -> None:
        self.factory, self.settings, self.interval_s = factory, settings, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start delivering (nothing happens without ``SMTP_URL``)."""
        if self.settings.smtp_url is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current batch."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                deliver_pending(self.factory, self.settings)
            except Exception:  # the database may be down for a while: try again later
                log.exception("outbox delivery failed")
