"""Pinned webhook deliveries over real TLS: the certificate is checked against the host name.

A delivery connects to the checked address (the URL carries the IP), so TLS must
still be verified against the name the user typed: a certificate for another name
or from an authority the client does not trust is refused, and the name is never
looked up again in DNS. The server is a local HTTPS server with certificates from
a throwaway authority made for the test session.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from tests.web_helpers import add_user, platform_settings
from tickerpulse.db.platform import WebhookDelivery
from tickerpulse.platform.webhooks import outbox
from tickerpulse.platform.webhooks.delivery import deliver_due, post
from tickerpulse.platform.webhooks.targets import Target, check_target

pytest.importorskip("cryptography", reason="the test certificates are made with `cryptography`")
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "hooks.example.test"
"""A name no public DNS answers (RFC 6761): only the test's resolver knows it."""
KEY = b"tests-only-secret-key"
LOCAL = platform_settings(webhook_allow_private=True)
"""Loopback allowed, as in the other webhook tests (refused by `serve`)."""


IDN_HOST, IDN_ASCII = "bücher.example.test", "xn--bcher-kva.example.test"
"""An internationalised name, and how it is written in DNS, TLS and ``Host``."""


def to_loopback(host: str, port: int) -> list[str]:
    """The test's DNS: only :data:`HOST` and :data:`IDN_ASCII`, at 127.0.0.1."""
    return {HOST: ["127.0.0.1"], IDN_ASCII: ["127.0.0.1"]}[host]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """An authority signs certificates; a server signs its handshakes."""
    return x509.KeyUsage(
        digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, content_commitment=False,
        key_encipherment=False, data_encipherment=False, key_agreement=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


@dataclass(frozen=True)
class Authority:
    """A throwaway certificate authority that issues server certificates into a folder."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    folder: Path

    @classmethod
    def new(cls, name: str, folder: Path) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(_name(name), _name(name), key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert, folder)

    def trusted_by_client(self) -> ssl.SSLContext:
        """A client context that trusts this authority alone (and verifies as usual)."""
        return ssl.create_default_context(
            cadata=self.cert.public_bytes(serialization.Encoding.PEM).decode()
        )

    def issue(self, dns_name: str) -> tuple[Path, Path]:
        """A server certificate for ``dns_name``: the chain and key files."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            _builder(_name(dns_name), self.cert.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        stem = self.folder / f"{self.cert.serial_number}-{dns_name}"
        chain, key_file = stem.with_suffix(".crt"), stem.with_suffix(".key")
        chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return chain, key_file


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """The authority the delivery client is told to trust."""
    return Authority.new("tickerpulse test CA", tmp_path_factory.mktemp("trusted-ca"))


@pytest.fixture(scope="module")
def rogue(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """An authority nobody trusts (a man in the middle's own)."""
    return Authority.new("rogue CA", tmp_path_factory.mktemp("rogue-ca"))


@dataclass
class TlsEndpoint:
    """A local HTTPS endpoint and the names clients asked for in TLS (SNI)."""

    server: HTTPServer
    sni_names: list[str | None]

    def url(self, host: str = HOST) -> str:
        return f"https://{host}:{self.server.port}/hook"

    def target(self) -> Target:
        return check_target(self.url(), outbox.policy_of(LOCAL), to_loopback)


@contextmanager
def tls_endpoint(chain: tuple[Path, Path]) -> Iterator[TlsEndpoint]:
    """An HTTPS server on 127.0.0.1 presenting ``chain`` that answers POST /hook with 200."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*chain)
    sni_names: list[str | None] = []

    def remember_sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        sni_names.append(name)

    context.sni_callback = remember_sni
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/hook", method="POST").respond_with_data("ok")
    server.start()
    try:
        yield TlsEndpoint(server, sni_names)
    finally:
        server.clear()
        server.stop()


def owe_a_test_delivery(engine: Engine, url: str) -> None:
    user = add_user(engine, "hooks@example.com", tier="premium")
    now = datetime.now(UTC)
    with Session(engine) as session:
        outbox.save_endpoint(
            session, user_id=user, url=url, site_key=KEY, policy=outbox.policy_of(LOCAL),
            now=now, resolver=to_loopback,
        )  # fmt: skip
        assert outbox.enqueue_test(session, user_id=user, alerts_url="http://t/alerts", now=now)
        session.commit()


def the_delivery(engine: Engine) -> WebhookDelivery:
    with Session(engine) as session:
        [row] = session.scalars(select(WebhookDelivery))
        session.expunge_all()
        return row


def test_a_pinned_delivery_is_verified_against_the_host_name_and_arrives(
    engine: Engine, trusted: Authority
) -> None:
    with tls_endpoint(trusted.issue(HOST)) as endpoint:
        owe_a_test_delivery(engine, endpoint.url())
        counts = deliver_due(
            sessionmaker(engine), LOCAL, KEY, resolver=to_loopback,
            tls=trusted.trusted_by_client(),
        )  # fmt: skip
        [(request, _)] = endpoint.server.log
    assert counts == {"delivered": 1, "retrying": 0, "gave_up": 0}
    row = the_delivery(engine)
    assert (row.last_status, row.delivered_at is not None) == (200, True)
    assert request.headers["Host"] == f"{HOST}:{endpoint.server.port}"
    assert endpoint.sni_names == [HOST]  # the name, not 127.0.0.1, went into the handshake


def test_an_internationalised_name_is_sent_in_its_ascii_form_and_arrives(
    engine: Engine, trusted: Authority
) -> None:
    """Non-ASCII in ``Host`` made the send raise, which stopped the whole round."""
    with tls_endpoint(trusted.issue(IDN_ASCII)) as endpoint:
        owe_a_test_delivery(engine, endpoint.url(IDN_HOST))
        counts = deliver_due(
            sessionmaker(engine), LOCAL, KEY, resolver=to_loopback,
            tls=trusted.trusted_by_client(),
        )  # fmt: skip
        [(request, _)] = endpoint.server.log
    assert counts["delivered"] == 1
    assert request.headers["Host"] == f"{IDN_ASCII}:{endpoint.server.port}"
    assert endpoint.sni_names == [IDN_ASCII]


def test_a_certificate_for_another_name_is_refused_and_not_recorded_as_delivered(
    engine: Engine, trusted: Authority
) -> None:
    """A man in the middle with a valid certificate for a different name gets nothing."""
    with tls_endpoint(trusted.issue("other.example.test")) as endpoint:
        owe_a_test_delivery(engine, endpoint.url())
        counts = deliver_due(
            sessionmaker(engine), LOCAL, KEY, resolver=to_loopback,
            tls=trusted.trusted_by_client(),
        )  # fmt: skip
        assert endpoint.server.log == []  # not one byte of the body was sent
    assert counts == {"delivered": 0, "retrying": 1, "gave_up": 0}
    row = the_delivery(engine)
    assert row.delivered_at is None and row.last_status is None
    assert row.last_error is not None
    assert row.last_error.startswith(f"TLS certificate refused for {HOST}:")
    assert "Hostname mismatch" in row.last_error


def test_a_certificate_from_an_authority_the_client_does_not_trust_is_refused(
    trusted: Authority, rogue: Authority
) -> None:
    with tls_endpoint(rogue.issue(HOST)) as endpoint:
        outcome = asyncio.run(post(endpoint.target(), b"{}", {}, tls=trusted.trusted_by_client()))
        assert endpoint.server.log == []
    assert not outcome.delivered and outcome.status is None
    assert outcome.note is not None and outcome.note.startswith(
        f"TLS certificate refused for {HOST}"
    )


def test_by_default_only_the_usual_authorities_are_trusted(trusted: Authority) -> None:
    """Production passes no TLS settings: a private authority's certificate is not enough."""
    with tls_endpoint(trusted.issue(HOST)) as endpoint:
        outcome = asyncio.run(post(endpoint.target(), b"{}", {}))
        assert endpoint.server.log == []
    assert outcome.status is None and "TLS certificate refused" in (outcome.note or "")


def _unverified() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _name_unchecked() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    return context


@pytest.mark.parametrize("context", [_unverified, _name_unchecked])
def test_a_tls_context_that_would_not_verify_is_refused(
    context: Callable[[], ssl.SSLContext],
) -> None:
    target = check_target(f"https://{HOST}:9/hook", outbox.policy_of(LOCAL), to_loopback)
    with pytest.raises(ValueError, match="must verify"):
        asyncio.run(post(target, b"{}", {}, tls=context()))


def test_the_name_is_never_looked_up_again_the_checked_address_is_connected_to(
    trusted: Authority, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No second DNS answer (rebinding) can steer the connection: the resolver's result is used."""
    asked: list[str] = []
    system_getaddrinfo = socket.getaddrinfo

    def recording_getaddrinfo(host: str | bytes | None, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        asked.append(name)
        if name == HOST:
            raise socket.gaierror(socket.EAI_NONAME, "not known to this test's DNS")
        return system_getaddrinfo(host, *args, **kwargs)

    with tls_endpoint(trusted.issue(HOST)) as endpoint:
        monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
        outcome = asyncio.run(post(endpoint.target(), b"{}", {}, tls=trusted.trusted_by_client()))
        assert outcome.status == 200 and HOST not in asked
        assert len(endpoint.server.log) == 1

        async def unpinned() -> None:  # the control: a plain client does ask DNS for the name
            async with httpx.AsyncClient(verify=trusted.trusted_by_client()) as client:
                await client.post(endpoint.url(), content=b"{}")

        with pytest.raises(httpx.ConnectError):
            asyncio.run(unpinned())
        assert HOST in asked
