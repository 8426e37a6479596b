"""Which webhook URLs may be called: the guard against server-side request forgery.

A webhook makes our server send a request wherever a user points it, so an
endpoint must be on the public internet: outside demo mode only ``https://``,
no credentials in the URL, and every address its host resolves to must be a
global unicast address — never loopback, private (RFC 1918, unique local),
carrier-grade NAT, link-local (the cloud metadata service at 169.254.169.254
among them), multicast, reserved or unspecified, including those addresses
written inside IPv6 (IPv4-mapped, 6to4, NAT64, Teredo). Numeric spellings such
as ``2130706433`` or ``0x7f.1`` are caught because the check runs on what the
resolver returns.

The refusal names the kind of address, never the address itself, so the form
cannot be used to read the internal DNS. The check runs when the URL is saved
and again at each delivery, and the delivery connects to the very address
that passed (no second lookup a rebinding DNS server could answer
differently) without following redirects.
Tests and the demo may allow private and plain-HTTP targets with
``WEBHOOK_ALLOW_PRIVATE`` (refused outside demo mode at start-up).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

MAX_URL_CHARS = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port)`` → the addresses it resolves to, as text."""

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetError(ValueError):
    """A webhook URL that may not be called; the message says why, for the form."""


@dataclass(frozen=True)
class TargetPolicy:
    """What the site allows: private addresses and plain HTTP only for tests and the demo."""

    allow_private: bool = False
    allow_http: bool = False


@dataclass(frozen=True)
class Target:
    """A checked URL and the address a delivery connects to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address in place of the host name."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        return parts._replace(netloc=f"{host}:{self.port}").geturl()

    @property
    def host_header(self) -> str:
        """The ``Host`` header the endpoint expects (name, and port unless the default)."""
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (TCP), via the system resolver."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetError(f"The host {host} does not resolve ({error}).") from None
    return [str(info[4][0]) for info in infos]


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64, Teredo), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden(address: IPAddress) -> str | None:
    """Why a delivery may not go to ``address`` (None: a public unicast address)."""
    inner = embedded_ipv4(address)
    if inner is not None and (why := forbidden(inner)):
        return f"{why} (inside {address})"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (such as the cloud metadata service)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_private or not address.is_global:
        return "a private or reserved address"
    if address.is_reserved:
        return "a reserved address"
    return None


def parse_url(url: str, policy: TargetPolicy) -> SplitResult:
    """Check a URL's form (scheme, host, no credentials); the parts.

    Raises:
        TargetError: With what is wrong.
    """
    text = url.strip()
    if not text or len(text) > MAX_URL_CHARS:
        raise TargetError(f"Enter the endpoint's URL (at most {MAX_URL_CHARS} characters).")
    if any(ord(c) < 33 or ord(c) == 127 or c == "\\" for c in text):
        raise TargetError("The URL contains spaces, control characters or backslashes.")
    parts = urlsplit(text)
    allowed = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in allowed:
        raise TargetError("The URL must start with https:// (deliveries are always encrypted).")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise TargetError("Put no user name or password in the URL; check the signature instead.")
    try:
        port = parts.port
    except ValueError:
        raise TargetError("The URL's port is not a number from 1 to 65535.") from None
    if not parts.hostname or port == 0:
        raise TargetError("The URL has no host name.")
    if parts.fragment:
        raise TargetError("Leave out the #fragment: it is never sent.")
    return parts


def ascii_host(host: str) -> str:
    """The host name as DNS, TLS (SNI) and the ``Host`` header carry it (IDNA for non-ASCII).

    Python's ``idna`` codec, as the system resolver uses (``bücher.example`` →
    ``xn--bcher-kva.example``), so the name checked is the name connected to.

    Raises:
        TargetError: If the name has no ASCII form (an empty or too long label).
    """
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise TargetError(f"The host {host} is not a valid internationalised name.") from None


def check_target(url: str, policy: TargetPolicy, resolver: Resolver = system_resolver) -> Target:
    """Check a webhook URL and resolve it to the address a delivery may connect to.

    Args:
        url: The URL as the user typed it.
        policy: Whether private addresses and plain HTTP are allowed (tests, demo).
        resolver: Host name resolution (the system's by default).

    Returns:
        The checked target, pinned to the first allowed address, its host name in
        ASCII (:func:`ascii_host`).

    Raises:
        TargetError: For a malformed URL, a host that does not resolve, or one that
            resolves to any address that is not public (unless the policy allows it).
    """
    parts = parse_url(url, policy)
    host = ascii_host(parts.hostname or "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = list(resolver(host, port))
    if not addresses:
        raise TargetError(f"The host {host} does not resolve.")
    parsed = []
    for text in addresses:
        try:
            parsed.append(ipaddress.ip_address(text.split("%", 1)[0]))
        except ValueError:
            raise TargetError(f"The host {host} resolved to an unusable address.") from None
    if not policy.allow_private:
        for address in parsed:
            if why := forbidden(address):  # which address is not said: no map of the inside
                raise TargetError(
                    f"The host {host} resolves to {why.split(' (')[0]}: webhooks go to public"
                    " internet addresses only."
                )
    return Target(
        url=parts.geturl(), scheme=parts.scheme, host=host, port=port, address=str(parsed[0])
    )
