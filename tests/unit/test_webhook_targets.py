"""Server-side request forgery through alert webhooks: every way to reach inside is refused."""

from __future__ import annotations

import ipaddress

import pytest

from tickerpulse.platform.webhooks.targets import (
    TargetError,
    TargetPolicy,
    check_target,
    forbidden,
    system_resolver,
)

PRODUCTION = TargetPolicy()
PUBLIC = "93.184.215.14"


def resolves_to(*addresses: str):
    def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "::1", "0.0.0.0", "::",
        "10.0.0.5", "172.16.3.4", "192.168.1.1", "100.64.0.1", "fd00:ec2::254", "fc00::1",
        "169.254.169.254", "169.254.170.2", "fe80::1",
        "224.0.0.1", "ff02::1", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::", "2002:a9fe:a9fe::",
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
    ],
)  # fmt: skip
def test_inside_addresses_are_forbidden(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook", "https://[::1]/hook", "https://localhost/hook",
        "https://169.254.169.254/latest/meta-data/", "https://10.1.2.3:8443/x",
        "https://2130706433/", "https://0x7f.1/", "https://0177.0.0.1/", "https://127.1/",
        "https://[::ffff:7f00:1]/", "https://0/",
    ],
)  # fmt: skip
def test_urls_that_reach_this_machine_or_its_network_are_refused(url: str) -> None:
    with pytest.raises(TargetError, match=r"public internet addresses only|does not resolve"):
        check_target(url, PRODUCTION, system_resolver)


def test_a_name_resolving_to_the_metadata_service_is_refused() -> None:
    with pytest.raises(TargetError, match="resolves to a link-local address") as refused:
        check_target("https://hooks.example.com/x", PRODUCTION, resolves_to("169.254.169.254"))
    assert "169.254" not in str(refused.value)  # the form is no window on the inside's DNS


def test_one_inside_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(TargetError, match="a private or reserved address"):
        check_target("https://hooks.example.com/", PRODUCTION, resolves_to(PUBLIC, "10.0.0.7"))


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "https://"),
        ("ftp://hooks.example.com/x", "https://"),
        ("file:///etc/passwd", "https://"),
        ("gopher://hooks.example.com/", "https://"),
        ("https://user:pw@hooks.example.com/x", "no user name or password"),
        ("https://hooks.example.com@127.0.0.1/x", "no user name or password"),
        ("https://hooks.example.com:99999/", "port"),
        ("https:///path-only", "no host"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com/a\x7fb", "control characters"),  # DEL: httpx raised
        ("https://hooks.example.com\\@127.0.0.1/", "backslashes"),
        ("https://hooks.example.com/#frag", "fragment"),
        ("", "Enter the endpoint"),
        ("https://x.example/" + "a" * 2100, "at most"),
    ],
)
def test_malformed_or_unsafe_urls_say_why(url: str, why: str) -> None:
    with pytest.raises(TargetError, match=why):
        check_target(url, PRODUCTION, resolves_to(PUBLIC))


def test_a_public_https_url_is_pinned_to_the_address_that_passed() -> None:
    target = check_target("https://Hooks.Example.com:8443/in?x=1", PRODUCTION, resolves_to(PUBLIC))
    assert target.host == "hooks.example.com" and target.port == 8443
    assert target.pinned_url == f"https://{PUBLIC}:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"
    v6 = check_target("https://hooks.example.com/in", PRODUCTION, resolves_to("2606:4700::1"))
    assert (
        v6.pinned_url == "https://[2606:4700::1]:443/in" and v6.host_header == "hooks.example.com"
    )


def test_an_internationalised_name_is_resolved_and_sent_in_its_ascii_form() -> None:
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return [PUBLIC]

    target = check_target("https://Bücher.example/in", PRODUCTION, resolver)
    assert asked == ["xn--bcher-kva.example"] and target.host == "xn--bcher-kva.example"
    assert target.host_header == "xn--bcher-kva.example"
    assert target.url == "https://Bücher.example/in"  # kept as typed, for the page


def test_a_name_that_has_no_ascii_form_is_refused() -> None:
    with pytest.raises(TargetError, match="not a valid internationalised"):
        check_target("https://" + "a" * 64 + "ü.example/", PRODUCTION, resolves_to(PUBLIC))


def test_tests_and_the_demo_may_reach_loopback_over_plain_http() -> None:
    local = TargetPolicy(allow_private=True, allow_http=True)
    target = check_target("http://127.0.0.1:8123/hook", local, system_resolver)
    assert target.address == "127.0.0.1" and target.scheme == "http"
