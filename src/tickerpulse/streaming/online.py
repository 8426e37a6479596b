"""The online model: next-bar direction per symbol, learnt bar by bar, scored prequentially.

Pure — no I/O, no clock. Each *closed* bar of one interval (1 minute by default)
does three things, in this order (test-then-train):

1. it resolves the prediction made when the symbol's previous bar closed: up if
   this bar closes above the previous close, down if below (an unchanged close is
   counted as ``flat`` and neither scored nor learnt from);
2. that prediction is scored — accuracy and log-loss, per symbol and overall —
   and only then the symbol's River model learns from the features it was made on;
3. a new prediction for the symbol's next bar is made from features of the recent
   bars: returns over 1, 3 and 5 bars, the close's gap to the bar's VWAP, the bar's
   range and body, and its volume against the bars before.

So every score is on a bar the model had not seen, the honest way to measure a
streaming model (on a random walk it stays near 0.5). "Next bar" is the symbol's
next closed bar, one interval later unless the symbol had no trades in between.

A bar already seen (by start time) is ignored, so the stream processor may hand
the same closed bar again after a crash without the model learning it twice.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tickerpulse.streaming.bars import Bar

DEFAULT_INTERVAL_S = 60
HISTORY_BARS = 6
"""Bars kept per symbol: enough for the 5-bar return."""
MIN_HISTORY_BARS = 2
"""Bars a symbol needs before its first prediction (one return)."""
PROBABILITY_FLOOR = 1e-6
"""Probabilities are clipped to [floor, 1 - floor] for the log-loss, so one sure miss is finite."""
RECENT_SCORES = 60
"""Predictions in the rolling "recent accuracy"."""
MODEL_NAME = "river StandardScaler | LogisticRegression (SGD 0.05)"


class DirectionClassifier(Protocol):
    """The part of River's classifier API the model uses."""

    def predict_proba_one(self, x: dict[str, float]) -> dict[Any, float]:
        """Class probabilities for one feature dict."""
        ...

    def learn_one(self, x: dict[str, float], y: bool) -> None:
        """Learn one labelled example."""
        ...


def river_classifier() -> DirectionClassifier:
    """The default per-symbol model: standardised features into an SGD logistic regression."""
    from river import linear_model, optim, preprocessing

    model: DirectionClassifier = preprocessing.StandardScaler() | linear_model.LogisticRegression(
        optimizer=optim.SGD(0.05), l2=1e-4
    )
    return model


def bar_features(history: Sequence[Bar]) -> dict[str, float]:
    """Features of the newest bar of ``history`` (oldest first, at least two bars).

    Returns are log returns of closes; ratios that cannot be formed (no VWAP, no
    earlier volume) are 0, the "no information" value after standardising.

    Raises:
        ValueError: With fewer than two bars.
    """
    if len(history) < MIN_HISTORY_BARS:
        raise ValueError(f"features need at least {MIN_HISTORY_BARS} bars, got {len(history)}")
    last = history[-1]
    close = last.close

    def ret(back: int) -> float:
        base = history[max(len(history) - 1 - back, 0)].close
        return math.log(close / base)

    earlier = [b.volume for b in list(history)[-6:-1] if b.volume > 0]
    mean_volume = sum(earlier) / len(earlier) if earlier else 0.0
    return {
        "ret_1": ret(1),
        "ret_3": ret(3),
        "ret_5": ret(5),
        "vwap_gap": (close / last.vwap - 1.0) if last.vwap else 0.0,
        "range": (last.high - last.low) / close,
        "body": close / last.open - 1.0,
        "volume_ratio": (
            math.log(last.volume / mean_volume) if mean_volume > 0 and last.volume > 0 else 0.0
        ),
    }


@dataclass(frozen=True)
class MetricsSnapshot:
    """Prequential metrics at one moment: predictions scored, hits, accuracy and log-loss."""

    n: int
    hits: int
    flat: int
    accuracy: float | None
    log_loss: float | None
    recent_accuracy: float | None

    def as_dict(self) -> dict[str, Any]:
        """The snapshot as plain JSON types."""
        return {
            "n": self.n, "hits": self.hits, "flat": self.flat, "accuracy": self.accuracy,
            "log_loss": self.log_loss, "recent_accuracy": self.recent_accuracy,
        }  # fmt: skip


@dataclass
class Prequential:
    """Running test-then-train scores: accuracy, mean log-loss and accuracy over the last few."""

    n: int = 0
    hits: int = 0
    flat: int = 0
    log_loss_sum: float = 0.0
    recent: deque[bool] = field(default_factory=lambda: deque(maxlen=RECENT_SCORES))

    def score(self, prob_up: float, up: bool) -> bool:
        """Score one prediction against what happened; return whether it was right."""
        p = min(max(prob_up, PROBABILITY_FLOOR), 1.0 - PROBABILITY_FLOOR)
        correct = (prob_up >= 0.5) == up
        self.n += 1
        self.hits += correct
        self.log_loss_sum += -math.log(p if up else 1.0 - p)
        self.recent.append(correct)
        return correct

    @property
    def accuracy(self) -> float | None:
        """Share of predictions whose side (P(up) ≥ 0.5 → up) was right; None before any."""
        return self.hits / self.n if self.n else None

    @property
    def log_loss(self) -> float | None:
        """Mean log-loss; ln 2 ≈ 0.693 is a coin flip's."""
        return self.log_loss_sum / self.n if self.n else None

    def snapshot(self) -> MetricsSnapshot:
        """The current values, frozen."""
        recent = sum(self.recent) / len(self.recent) if self.recent else None
        return MetricsSnapshot(self.n, self.hits, self.flat, self.accuracy, self.log_loss, recent)


@dataclass(frozen=True)
class Outcome:
    """How an earlier prediction turned out, now that the bar after it closed."""

    based_on_ms: int
    """Start of the bar the prediction was made after."""
    resolved_by_ms: int
    """Start of the bar that decided it."""
    prob_up: float
    up: bool | None
    """None when the close did not change (flat: not scored)."""
    correct: bool | None


@dataclass(frozen=True)
class DirectionCall:
    """What one closed bar produced: a call on the next bar, the last call's outcome, scores."""

    symbol: str
    interval_s: int
    based_on_ms: int
    """Start of the bar just closed; the call is for the symbol's next bar."""
    close: float
    prob_up: float
    outcome: Outcome | None
    symbol_metrics: MetricsSnapshot
    overall: MetricsSnapshot


@dataclass
class _Pending:
    based_on_ms: int
    close: float
    features: dict[str, float]
    prob_up: float


@dataclass
class _SymbolState:
    model: DirectionClassifier
    history: deque[Bar] = field(default_factory=lambda: deque(maxlen=HISTORY_BARS))
    pending: _Pending | None = None
    metrics: Prequential = field(default_factory=Prequential)


class OnlineDirectionModel:
    """One River classifier per symbol, fed closed bars of one interval, scored prequentially."""

    def __init__(
        self,
        interval_s: int = DEFAULT_INTERVAL_S,
        model_factory: Callable[[], DirectionClassifier] = river_classifier,
        *,
        name: str = MODEL_NAME,
    ) -> None:
        """Learn from closed bars of ``interval_s``; each new symbol gets ``model_factory()``."""
        self.interval_s = interval_s
        self.name = name
        self.overall = Prequential()
        self._factory = model_factory
        self._symbols: dict[str, _SymbolState] = {}

    @property
    def symbols(self) -> list[str]:
        """Symbols seen so far, sorted."""
        return sorted(self._symbols)

    def metrics(self, symbol: str) -> MetricsSnapshot | None:
        """The prequential metrics of ``symbol``; None for a symbol never seen."""
        state = self._symbols.get(symbol)
        return None if state is None else state.metrics.snapshot()

    def observe(self, bar: Bar) -> DirectionCall | None:
        """Score, learn and predict on one bar; None for bars it does not use.

        Ignored: open bars, other intervals, bars not newer than the symbol's last one,
        and a symbol's first bar (no return to learn from yet).
        """
        if not bar.final or bar.interval_s != self.interval_s:
            return None
        state = self._symbols.get(bar.symbol)
        if state is None:
            state = self._symbols[bar.symbol] = _SymbolState(self._factory())
        if state.history and bar.start_ms <= state.history[-1].start_ms:
            return None  # seen already: a replay after a restart
        outcome = self._resolve(state, bar)
        state.history.append(bar)
        state.pending = None
        if len(state.history) < MIN_HISTORY_BARS:
            return None
        features = bar_features(list(state.history))
        prob_up = float(state.model.predict_proba_one(features).get(True, 0.5))
        state.pending = _Pending(bar.start_ms, bar.close, features, prob_up)
        return DirectionCall(
            symbol=bar.symbol, interval_s=self.interval_s, based_on_ms=bar.start_ms,
            close=bar.close, prob_up=prob_up, outcome=outcome,
            symbol_metrics=state.metrics.snapshot(), overall=self.overall.snapshot(),
        )  # fmt: skip

    def _resolve(self, state: _SymbolState, bar: Bar) -> Outcome | None:
        pending = state.pending
        if pending is None:
            return None
        if bar.close == pending.close:
            state.metrics.flat += 1
            self.overall.flat += 1
            return Outcome(pending.based_on_ms, bar.start_ms, pending.prob_up, None, None)
        up = bar.close > pending.close
        correct = state.metrics.score(pending.prob_up, up)  # test …
        self.overall.score(pending.prob_up, up)
        state.model.learn_one(pending.features, up)  # … then train
        return Outcome(pending.based_on_ms, bar.start_ms, pending.prob_up, up, correct)
