"""The password rule: long enough, and not a common password or a simple pattern."""

from __future__ import annotations

import pytest

from tickerpulse.platform.demo_accounts import DEMO_PASSWORD
from tickerpulse.platform.passwords import TOO_EASY, password_problem

WEAK = [
    "aaaaaaaaaa",  # one character
    "ababababab",  # two
    "abcabcabcabc",  # a short run repeated
    "1234512345",
    "password12",  # a common password with digits
    "Password123!",
    "P@ssw0rd2024",  # letter-for-digit swaps
    "iloveyou2024",
    "Trustno1!!!",
    "qwertyuiop",  # keyboard rows, either way round
    "poiuytrewq",
    "1qaz2wsx3edc",
    "1234567890",  # only digits
    "abcdefghijk",
    "2024-01-01!!",
    "tickerpulse1",  # the site's own name
]
GOOD = [
    DEMO_PASSWORD,
    "correct horse battery",  # the tests' password
    "a long enough password",  # the browser tests'
    "a brand new password",
    "Zq9!x0#pL2vB",
    "rhubarb-lantern-oyster",
]


@pytest.mark.parametrize("password", WEAK)
def test_common_and_repetitive_passwords_are_refused(password: str) -> None:
    assert password_problem(password) == TOO_EASY


@pytest.mark.parametrize("password", GOOD)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert password_problem(password) is None


def test_a_password_built_on_the_address_is_refused() -> None:
    assert password_problem("jane.doe1990", email="jane.doe@example.com") == TOO_EASY
    assert password_problem("jane.doe1990") is None


def test_length_is_checked_first_with_its_own_message() -> None:
    assert "at least 10" in (password_problem("Zq9!x0#") or "")
    assert "limited to 256" in (password_problem("Zq9!x0#pL2" * 30) or "")
