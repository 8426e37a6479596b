"""Which passwords we accept: long enough, and not a common password or a simple pattern.

Length alone lets "aaaaaaaaaa" and "password12" through. The rules below
refuse what a guessing attack tries first: one character or a short run
repeated, a stretch of the alphabet, the digits or a keyboard row, and a common
password decorated with digits, symbols or letter-for-digit swaps ("P@ssw0rd1!").

The list of common passwords (:data:`COMMON`) was written for this project
from general knowledge of what people choose; it copies no published list.
Paired with the rules it catches the obvious cases without shipping a
third-party corpus; it is a floor, not a strength meter (see docs/security.md).
"""

from __future__ import annotations

import re

MIN_LENGTH, MAX_LENGTH = 10, 256
MIN_DISTINCT = 5
TOO_EASY = (
    "This password is too easy to guess: it is a common password or a simple pattern"
    " (repeats, sequences, keyboard rows, your e-mail). Try three or four unrelated words."
)

SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7",
    "1q2w3e4r5t6y7u8i9o0p",
)
"""Runs people type as passwords: alphabet, digits, keyboard rows and columns."""

COMMON = frozenset(
    """
    password passwort motdepasse contrasena senha parola wachtwoord salasana haslo
    qwerty qwertz azerty asdfgh zxcvbn qazwsx qwertyuiop asdfghjkl zxcvbnm
    letmein welcome iloveyou loveyou trustno trustnoone changeme secret secrets
    admin administrator root master login access default guest user test tester
    testing demo example sample temp temporary private public system server
    monkey dragon tiger lion eagle shadow sunshine princess prince angel angels
    superman batman spiderman ironman starwars startrek pokemon pikachu naruto
    football baseball basketball soccer hockey tennis golf cricket rugby
    michael jennifer jessica ashley daniel matthew andrew joshua thomas charlie
    jordan hunter ranger buster harley george robert william richard nicole
    michelle hannah samantha amanda jasmine summer winter spring autumn
    freedom whatever nothing anything something everything forever always
    internet computer laptop windows apple google facebook twitter instagram
    youtube yahoo hotmail gmail outlook microsoft linux ubuntu samsung iphone
    money dollar dollars bitcoin crypto stocks trading trader invest investor
    market markets finance banking wallet wallstreet tickerpulse ticker pulse
    love lovely lover hello hellothere goodbye blessed jesus christ heaven
    family friends friend mother father sister brother baby babygirl babyboy
    killer hacker hack matrix ninja samurai wizard merlin magic mustang ferrari
    porsche corvette chevy mercedes yamaha harley diamond silver golden gold
    purple orange yellow banana cherry cookie chocolate pepper ginger coffee
    cheese pizza hamburger chicken flower flowers butterfly rainbow unicorn
    superstar rockstar player players gamer gaming minecraft fortnite zelda
    mario sonic liverpool chelsea arsenal manchester barcelona madrid
    juventus yankees cowboys lakers dallas london paris berlin newyork boston
    chicago america canada england germany france australia mexico brazil
    abc abcd abcde abcdef letmeinnow passpass passcode passphrase
    open opensesame sesame please welcomehome nopassword noaccess unknown
    secure security protected guessme fuckyou fuckoff asshole bitch shit
    sexy hottie cutie beautiful pretty princesa loveme kiss kisses
    starlight moonlight midnight twilight thunder lightning storm hurricane
    dolphin penguin kitten puppy doggy doggie kitty bear teddy panda
    supervisor manager office company business
    student school college teacher doctor nurse police soldier
    """.split()
)
"""Common password stems (lower case, before digits and symbols are added around them)."""

_LEET = str.maketrans({"@": "a", "4": "a", "8": "b", "3": "e", "6": "g", "1": "i", "!": "i",
                       "0": "o", "$": "s", "5": "s", "7": "t", "+": "t", "2": "z"})  # fmt: skip
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_REPEATED = re.compile(r"(.+?)\1+", re.DOTALL)


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Why ``password`` is refused, or None if it is acceptable.

    Args:
        password: The password as typed.
        email: The account's address, which the password must not be built on.

    Returns:
        A sentence for the reader, or None.
    """
    if len(password) < MIN_LENGTH:
        return f"Choose a password of at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Passwords are limited to {MAX_LENGTH} characters."
    return TOO_EASY if too_easy(password, email=email) else None


def too_easy(password: str, *, email: str | None = None) -> bool:
    """Whether a long-enough password is still among the first things an attacker tries."""
    lowered = password.lower()
    squeezed = re.sub(r"[\s\W_]+", "", lowered)
    if len(set(lowered)) < MIN_DISTINCT or _REPEATED.fullmatch(lowered):
        return True
    if _is_run(squeezed):
        return True
    stem = _stem(lowered)
    if len(stem) < 4 or stem in COMMON or _REPEATED.fullmatch(stem) or _is_run(stem):
        return True
    if email:
        local = email.lower().split("@")[0]
        if stem in {_stem(local), _stem(email.lower())} or (len(local) >= 4 and local in lowered):
            return True
    return False


def _stem(lowered: str) -> str:
    """The core of a password: digits and symbols around it cut off, look-alike digits undone."""
    return _EDGES.sub("", lowered).translate(_LEET).replace(" ", "")


def _is_run(text: str) -> bool:
    """Whether ``text`` is a stretch of a sequence, either way round (and long enough to matter)."""
    if len(text) < 4:
        return False
    return any(text in run or text in run[::-1] for run in SEQUENCES)
