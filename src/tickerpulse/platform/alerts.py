"""Alert rules and what a published window triggers: the pure core of watchlist alerts.

A rule watches one asset for one :class:`AlertKind`:

* **mention spike** — the window's mentions (all sources) have a z-score of at
  least ``threshold`` against the 28 windows before it, computed exactly as
  the analytics' ``mention_z`` signal (log mentions, a flat history has none);
* **sentiment flip** — the window's mean sentiment has the other sign than
  the window before, and both are at least ``threshold`` away from zero
  (0: any strict sign change);
* **price move** — the window's close-to-close return is at least
  ``threshold`` percent either way;
* **sentiment shift** — the window's mean sentiment lies at least ``threshold``
  (on the −1…+1 scale) above or below its mean over the 28 windows before,
  the movers page's "sentiment change" (:mod:`tickerpulse.analytics.attention`).

Nothing here touches the database: rules and one window's figures in,
triggers out, so every edge is a fast unit test. Validation of what a user
types into the rule form lives here too, with the messages the form shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np

from tickerpulse.analytics.attention import attention
from tickerpulse.analytics.signals import Z_CAP, Z_LOOKBACK, trailing_zscore
from tickerpulse.domain import Window

MAX_RULES = 50
"""Rules one user may keep (enough for a watchlist, not a way to mine the marts)."""


class AlertKind(StrEnum):
    """What a rule watches for."""

    MENTION_SPIKE = "mention_spike"
    SENTIMENT_FLIP = "sentiment_flip"
    PRICE_MOVE = "price_move"
    SENTIMENT_SHIFT = "sentiment_shift"


@dataclass(frozen=True)
class KindSpec:
    """How a kind is named, what its threshold means and which thresholds are allowed."""

    label: str
    threshold_label: str
    minimum: float
    maximum: float
    default: float
    hint: str


KINDS: Mapping[AlertKind, KindSpec] = {
    AlertKind.MENTION_SPIKE: KindSpec(
        "Mention spike", "z-score at least", 1.0, Z_CAP, 3.0,
        "a z-score between 1 and 10 against the last 7 days (3 is unusual, 5 is rare)",
    ),
    AlertKind.SENTIMENT_FLIP: KindSpec(
        "Sentiment flip", "both sides at least", 0.0, 0.9, 0.1,
        "a distance from zero between 0 and 0.9 on the −1…+1 scale (0: any sign change)",
    ),
    AlertKind.PRICE_MOVE: KindSpec(
        "Price move", "return at least ±", 0.1, 100.0, 5.0,
        "a percentage between 0.1 and 100 (5 means a 6-hour move of 5 % up or down)",
    ),
    AlertKind.SENTIMENT_SHIFT: KindSpec(
        "Sentiment shift", "change at least ±", 0.05, 1.5, 0.3,
        "a change between 0.05 and 1.5 on the −1…+1 scale against the last 7 days' mean"
        " (0.3 is a large swing)",
    ),
}  # fmt: skip


class RuleError(ValueError):
    """A rule the form cannot save; the message says what to change."""


@dataclass(frozen=True)
class Rule:
    """A saved rule, as the evaluation needs it."""

    rule_id: int
    user_id: int
    asset_id: str
    kind: AlertKind
    threshold: float


@dataclass(frozen=True)
class AssetFigures:
    """One asset's published figures for the window being evaluated.

    ``mention_history`` holds the mentions of the windows before it, oldest
    first, NaN for windows that were never published (so a young history is
    not mistaken for silence).
    """

    asset_id: str
    symbol: str
    mentions: int = 0
    mention_history: tuple[float, ...] = ()
    sentiment: float | None = None
    previous_sentiment: float | None = None
    return_pct: float | None = None
    sentiment_history: tuple[float | None, ...] = ()
    """Mean sentiment of the windows before, oldest first (None: no mention to score)."""


@dataclass(frozen=True)
class Trigger:
    """A rule that fired, with the measured value and the sentence users read."""

    rule: Rule
    value: float
    message: str


def parse_rule(kind: str, threshold: str) -> tuple[AlertKind, float]:
    """Check a rule as typed into the form.

    Args:
        kind: The kind's value (``mention_spike``, ``sentiment_flip``, ``price_move``).
        threshold: The threshold as typed; a decimal comma is accepted.

    Returns:
        The kind and the threshold.

    Raises:
        RuleError: With a message that says what to enter instead.
    """
    try:
        chosen = AlertKind(kind)
    except ValueError:
        raise RuleError(
            "Choose what to watch for: mention spike, sentiment flip, sentiment shift or"
            " price move."
        ) from None
    spec = KINDS[chosen]
    text = threshold.strip().replace(",", ".").removesuffix("%").strip()
    try:
        value = float(text)
    except ValueError:
        raise RuleError(f"Enter the threshold as a number: {spec.hint}.") from None
    if not math.isfinite(value) or not spec.minimum <= value <= spec.maximum:
        raise RuleError(f"{spec.label}: the threshold must be {spec.hint}.")
    return chosen, value


def describe(kind: AlertKind, threshold: float) -> str:
    """A rule's condition in words, e.g. ``price move of at least ±5 %``."""
    if kind is AlertKind.MENTION_SPIKE:
        return f"mentions z-score ≥ {threshold:g}"
    if kind is AlertKind.SENTIMENT_FLIP:
        if threshold == 0:
            return "sentiment changes sign"
        return f"sentiment flips across zero, ≥ {threshold:g} on both sides"
    if kind is AlertKind.SENTIMENT_SHIFT:
        return f"sentiment moves ≥ ±{threshold:g} from its 7-day mean"
    return f"price move of at least ±{threshold:g} %"


def mention_zscore(mentions: int, history: Sequence[float]) -> float | None:
    """The z-score of ``mentions`` against ``history``, as the analytics' ``mention_z``.

    Args:
        mentions: The window's mentions.
        history: Mentions of the windows before, oldest first (NaN: not published).

    Returns:
        The z-score of ``log1p(mentions)`` against the last :data:`Z_LOOKBACK`
        windows, capped at ±10; None with fewer than five known windows or a flat
        history (nothing to compare a spike with).
    """
    series = np.log1p(np.array([[*history[-Z_LOOKBACK:], float(mentions)]], dtype="float64"))
    z = float(trailing_zscore(series)[0, -1])
    return None if math.isnan(z) else z


def evaluate(rule: Rule, figures: AssetFigures | None) -> Trigger | None:
    """Whether one rule fires on its asset's figures (None: no figures, no trigger)."""
    if figures is None:
        return None
    symbol, kind, threshold = figures.symbol, rule.kind, rule.threshold
    if kind is AlertKind.MENTION_SPIKE:
        z = mention_zscore(figures.mentions, figures.mention_history)
        if z is None or z < threshold:
            return None
        message = f"{symbol}: mentions spiked to {figures.mentions:,} (z-score {z:.1f})"
        return Trigger(rule, z, message)
    if kind is AlertKind.SENTIMENT_FLIP:
        now, before = figures.sentiment, figures.previous_sentiment
        if now is None or before is None or now * before >= 0:
            return None
        if min(abs(now), abs(before)) < threshold:
            return None
        turn = "bullish" if now > 0 else "bearish"
        message = f"{symbol}: sentiment turned {turn}, from {before:+.2f} to {now:+.2f}"
        return Trigger(rule, now, message)
    if kind is AlertKind.SENTIMENT_SHIFT:
        change = attention(
            figures.mentions, figures.mention_history, figures.sentiment,
            figures.sentiment_history,
        ).sentiment_change  # fmt: skip
        if change is None or abs(change) < threshold:
            return None
        way = "up" if change > 0 else "down"
        message = (
            f"{symbol}: sentiment {figures.sentiment:+.2f}, {abs(change):.2f} {way} on its"
            " 7-day mean"
        )
        return Trigger(rule, change, message)
    move = figures.return_pct
    if move is None or abs(move) * 100 < threshold:
        return None
    direction = "rose" if move > 0 else "fell"
    return Trigger(rule, move, f"{symbol}: price {direction} {abs(move) * 100:.2f} % in 6 hours")


def evaluate_rules(rules: Iterable[Rule], figures: Mapping[str, AssetFigures]) -> list[Trigger]:
    """Every rule that the window's figures trigger, in the order the rules came.

    Args:
        rules: The rules to check (of users who may have alerts).
        figures: The window's figures per asset id; a missing asset triggers nothing.

    Returns:
        The triggers.
    """
    fired = (evaluate(rule, figures.get(rule.asset_id)) for rule in rules)
    return [t for t in fired if t is not None]


def summary_email(
    window_start: datetime, triggers: Sequence[Trigger], *, alerts_url: str
) -> tuple[str, str]:
    """The subject and body of the one e-mail a user gets for a window's triggers.

    Args:
        window_start: The evaluated window.
        triggers: The user's new triggers in that window (at least one).
        alerts_url: Where the user reads and manages alerts.

    Returns:
        ``(subject, body)`` in plain text.
    """
    count = len(triggers)
    noun = "alert" if count == 1 else "alerts"
    subject = f"tickerpulse: {count} {noun} in the window {Window(window_start)}"
    lines = [f"- {t.message} ({describe(t.rule.kind, t.rule.threshold)})" for t in triggers]
    body = (
        f"Your rules fired in the 6-hour window {Window(window_start)}:\n\n"
        + "\n".join(lines)
        + f"\n\nSee and manage your alerts: {alerts_url}\n"
    )
    return subject, body
