"""Per-IP limits key an IPv6 client by its /64, so rotating addresses within it gains nothing."""

from __future__ import annotations

from tickerpulse.web.auth import ip_key


def test_ipv6_addresses_of_one_64_share_a_key() -> None:
    assert ip_key("2001:db8:1:2::1") == ip_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert ip_key("2001:db8:1:3::1") != ip_key("2001:db8:1:2::1")


def test_ipv4_and_mapped_ipv4_are_the_address_itself() -> None:
    assert ip_key("203.0.113.7") == ip_key("::ffff:203.0.113.7") == "203.0.113.7"


def test_a_name_that_is_no_address_is_kept_short() -> None:
    assert ip_key("testclient") == "testclient" and len(ip_key("x" * 500)) == 64
