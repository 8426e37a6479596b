"""E-mail through an outbox table: always written there, delivered by SMTP when one is set.

Writing first means a message survives an SMTP outage and a crash; delivery
marks ``sent_at`` so each message goes once.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tickerpulse.config import Settings
from tickerpulse.db.platform import EmailOutbox

log = logging.getLogger(__name__)
BATCH = 100


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
