"""Send the webhook deliveries that are due: signed, pinned to a checked address, retried.

Each round claims due rows with ``FOR UPDATE SKIP LOCKED`` (several web
processes never send one row twice at once), counts the attempt and sets the
next one by exponential back-off *before* sending, and commits; a crash
mid-send therefore leaves the row due again later (delivery is at least
once: receivers de-duplicate by ``X-Tickerpulse-Delivery``). After the send it
records the status and a short snippet of the answer, and closes the row as
delivered (any 2xx) or, after :data:`MAX_ATTEMPTS`, as given up.

Every send re-checks the URL (:mod:`tickerpulse.platform.webhooks.targets`) and connects
to the address that passed, with TLS checked against the host name (the URL
carries the address; the handshake's server name, SNI, carries the host name,
and the certificate must be valid for it under the usual authorities), no
redirects, no proxy from the environment and a deadline on the whole exchange.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tickerpulse.config import Settings
from tickerpulse.db.platform import AlertWebhook, WebhookDelivery
from tickerpulse.platform.webhooks import signing
from tickerpulse.platform.webhooks.outbox import policy_of
from tickerpulse.platform.webhooks.targets import (
    Resolver,
    Target,
    TargetError,
    TargetPolicy,
    check_target,
    system_resolver,
)

log = logging.getLogger(__name__)
BATCH = 50
PARALLEL = 8
MAX_ATTEMPTS = 10
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=2)
CONNECT_SECONDS = 3.0
DEADLINE_SECONDS = 10.0
"""The whole exchange (connect, send, status line, headers, snippet) must fit in this."""
SNIPPET_BYTES = 200
USER_AGENT = "tickerpulse-webhooks/1"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th attempt: 30 s, 1 min, 2 min … at most 2 h."""
    wait: timedelta = BACKOFF_FIRST * 2 ** max(attempts - 1, 0)
    return min(wait, BACKOFF_CAP)


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: an HTTP status (None: no answer) and a short note."""

    status: int | None
    note: str | None

    @property
    def delivered(self) -> bool:
        """Any 2xx answer delivers."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    user_id: int
    body: str
    attempts: int


def verifying(tls: ssl.SSLContext | None) -> ssl.SSLContext | bool:
    """What the client verifies TLS with: httpx's usual authorities, or ``tls`` if it verifies.

    Args:
        tls: A context trusting other authorities (tests), or None for the usual ones.

    Raises:
        ValueError: If ``tls`` would accept an unverified certificate or another host name.
    """
    if tls is None:
        return True
    if tls.verify_mode != ssl.CERT_REQUIRED or not tls.check_hostname:
        raise ValueError("a webhook TLS context must verify the certificate and the host name")
    return tls


async def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    deadline: float = DEADLINE_SECONDS,
    tls: ssl.SSLContext | None = None,
) -> Outcome:
    """POST ``body`` to the target's checked address; never raises for network trouble.

    Args:
        target: The checked URL and the address to connect to.
        body: The JSON body.
        headers: Signature and delivery headers.
        deadline: Seconds the whole exchange may take.
        tls: Authorities to trust instead of the usual ones (tests); see :func:`verifying`.

    Returns:
        The status and the first :data:`SNIPPET_BYTES` of the answer (or the error).
    """
    verify = verifying(tls)
    # the URL holds the address, so the host name goes into the handshake (SNI), where
    # the certificate is also checked against it
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    timeout = httpx.Timeout(deadline, connect=CONNECT_SECONDS)
    try:
        async with asyncio.timeout(deadline):
            async with httpx.AsyncClient(
                timeout=timeout, follow_redirects=False, trust_env=False, verify=verify
            ) as client:
                request = client.build_request(
                    "POST", target.pinned_url, content=body,
                    headers={**headers, "Host": target.host_header}, extensions=extensions,
                )  # fmt: skip
                response = await client.send(request, stream=True)
                try:
                    snippet = await _first_bytes(response)
                finally:
                    await response.aclose()
    except TimeoutError:
        return Outcome(None, f"no complete answer within {deadline:g} s")
    except httpx.HTTPError as error:
        return Outcome(None, _failure_note(target, error)[:SNIPPET_BYTES])
    note = snippet or None
    if 300 <= response.status_code < 400:
        note = f"redirect to elsewhere, not followed ({response.headers.get('location', '')})"
    return Outcome(response.status_code, None if note is None else note[:SNIPPET_BYTES])


def _failure_note(target: Target, error: httpx.HTTPError) -> str:
    cause: BaseException | None = error
    for _ in range(8):  # httpx wraps httpcore's error, which wraps the ssl module's
        if cause is None or isinstance(cause, ssl.SSLCertVerificationError):
            break
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate refused for {target.host}: {cause.verify_message}"
    return f"{type(error).__name__}: {error}"


async def _first_bytes(response: httpx.Response) -> str:
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= SNIPPET_BYTES:
            break
    return kept[:SNIPPET_BYTES].decode("utf-8", "replace").strip()


def _claim(factory: sessionmaker[Session], now: datetime) -> list[_Claimed]:
    d = WebhookDelivery
    with factory() as session:
        due = list(
            session.scalars(
                select(d)
                .where(d.delivered_at.is_(None), d.gave_up_at.is_(None), d.next_attempt_at <= now)
                .order_by(d.next_attempt_at, d.delivery_id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        claimed = []
        for row in due:
            row.attempts += 1
            row.last_attempt_at = now
            row.next_attempt_at = now + backoff(row.attempts)
            claimed.append(_Claimed(row.delivery_id, row.user_id, row.body, row.attempts))
        session.commit()
    return claimed


async def _attempt(
    claimed: _Claimed,
    webhook: tuple[str, str] | None,
    *,
    site_key: bytes,
    policy: TargetPolicy,
    resolver: Resolver,
    now: datetime,
    tls: ssl.SSLContext | None,
) -> Outcome:
    if webhook is None:
        return Outcome(None, "the endpoint was removed")
    url, nonce = webhook
    try:
        target = await asyncio.to_thread(check_target, url, policy, resolver)
    except TargetError as refused:
        return Outcome(None, str(refused)[:SNIPPET_BYTES])
    body = claimed.body.encode()
    secret = signing.derive_secret(site_key, claimed.user_id, nonce)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.signature(secret, int(now.timestamp()), body),
        signing.DELIVERY_HEADER: str(claimed.delivery_id),
    }
    return await post(target, body, headers, tls=tls)


async def _attempt_all(
    claimed: Sequence[_Claimed],
    webhooks: dict[int, tuple[str, str]],
    *,
    site_key: bytes,
    policy: TargetPolicy,
    resolver: Resolver,
    now: datetime,
    tls: ssl.SSLContext | None,
) -> list[Outcome]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(c: _Claimed) -> Outcome:
        async with gate:
            try:
                return await _attempt(
                    c, webhooks.get(c.user_id), site_key=site_key, policy=policy,
                    resolver=resolver, now=now, tls=tls,
                )  # fmt: skip
            except Exception as error:  # one endpoint's fault must not cost the others theirs
                log.exception("webhook delivery %s failed unexpectedly", c.delivery_id)
                return Outcome(None, f"unexpected {type(error).__name__}: {error}"[:SNIPPET_BYTES])

    return list(await asyncio.gather(*(one(c) for c in claimed)))


def deliver_due(
    factory: sessionmaker[Session],
    settings: Settings,
    site_key: bytes,
    *,
    now: datetime | None = None,
    resolver: Resolver = system_resolver,
    tls: ssl.SSLContext | None = None,
) -> dict[str, int]:
    """Attempt every delivery that is due once; returns counts of delivered, retrying, given up.

    Args:
        factory: Sessions on the platform database.
        settings: Which targets are allowed (``WEBHOOK_ALLOW_PRIVATE``, demo mode).
        site_key: ``SECRET_KEY``, which signing secrets derive from.
        now: The current time (tests move it forward to reach retries).
        resolver: Host name resolution (the system's by default).
        tls: Authorities to trust instead of the usual ones (tests only: a test
            authority); it must verify certificates and host names.

    Raises:
        ValueError: If ``tls`` would not verify (before anything is claimed).
    """
    verifying(tls)
    moment = now or datetime.now(UTC)
    claimed = _claim(factory, moment)
    counts = {"delivered": 0, "retrying": 0, "gave_up": 0}
    if not claimed:
        return counts
    with factory() as session:
        rows = session.execute(
            select(AlertWebhook.user_id, AlertWebhook.url, AlertWebhook.secret_nonce).where(
                AlertWebhook.user_id.in_({c.user_id for c in claimed})
            )
        )
        webhooks = {user_id: (url, nonce) for user_id, url, nonce in rows}
    outcomes = asyncio.run(
        _attempt_all(
            claimed,
            webhooks,
            site_key=site_key,
            policy=policy_of(settings),
            resolver=resolver,
            now=moment,
            tls=tls,
        )
    )
    with factory() as session:
        for c, outcome in zip(claimed, outcomes, strict=True):
            row = session.get(WebhookDelivery, c.delivery_id)
            if row is None:  # removed with its endpoint meanwhile
                continue
            row.last_status, row.last_error = outcome.status, outcome.note
            if outcome.delivered:
                row.delivered_at = moment
                counts["delivered"] += 1
            elif c.attempts >= MAX_ATTEMPTS or c.user_id not in webhooks:
                row.gave_up_at = moment
                counts["gave_up"] += 1
            else:
                counts["retrying"] += 1
        session.commit()
    if any(counts.values()):
        log.info("webhook deliveries: %s", counts)
    return counts


class WebhookSender:
    """Sends due webhook deliveries every few seconds in a background thread."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings, site_key: bytes) -> None:
        self.factory, self.settings, self.site_key = factory, settings, site_key
        self.interval_s = settings.webhook_send_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start sending (not with ``WEBHOOK_SEND_SECONDS=0``: another process sends)."""
        if self.interval_s <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=DEADLINE_SECONDS + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                deliver_due(self.factory, self.settings, self.site_key)
            except Exception:  # the database may be down for a while: try again later
                log.exception("webhook delivery round failed")
