"""The online model's edge: closed bars in, calls and scores out to Postgres and ``NOTIFY``.

:class:`PredictionWriter` is handed to :class:`~tickerpulse.streaming.processor.BarProcessor`
as its ``on_closed`` hook, so it runs inside the transaction that writes the closed
bars: a call becomes visible (``live_prediction``, ``live_model_metric``, and a
``NOTIFY live_prediction`` with it as JSON) exactly when its bar does.

The River models live in memory. :meth:`PredictionWriter.warm_start` replays the
final bars already in ``live_bar`` through a fresh model, so a restarted process
continues with the state and scores an uninterrupted one would have; every write
is an upsert by key, so re-writing a call gives the same row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.dialects.postgresql import insert

from tickerpulse.db.models import LiveBar, LiveModelMetric
from tickerpulse.db.models import LivePrediction as LivePredictionRow
from tickerpulse.streaming.bars import Bar
from tickerpulse.streaming.online import (
    DirectionCall,
    MetricsSnapshot,
    OnlineDirectionModel,
    Outcome,
)

log = structlog.get_logger(__name__)

LIVE_PREDICTION_CHANNEL = "live_prediction"
OVERALL = "*"
"""The ``scope`` of the scores over every symbol."""


def _ts(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def outcome_json(outcome: Outcome | None) -> dict[str, Any] | None:
    """An outcome as plain JSON types."""
    if outcome is None:
        return None
    return {
        "based_on": _ts(outcome.based_on_ms).isoformat(),
        "resolved_by": _ts(outcome.resolved_by_ms).isoformat(),
        "prob_up": outcome.prob_up, "up": outcome.up, "correct": outcome.correct,
    }  # fmt: skip


def call_payload(call: DirectionCall) -> str:
    """The JSON a ``live_prediction`` notification carries."""
    return orjson.dumps(
        {
            "symbol": call.symbol, "interval_s": call.interval_s,
            "based_on": _ts(call.based_on_ms).isoformat(), "close": call.close,
            "prob_up": call.prob_up, "outcome": outcome_json(call.outcome),
            "metrics": call.symbol_metrics.as_dict(), "overall": call.overall.as_dict(),
        }
    ).decode()  # fmt: skip


def _metric_row(scope: str, call: DirectionCall, m: MetricsSnapshot, model: str) -> dict[str, Any]:
    return {
        "scope": scope, "interval_s": call.interval_s, "model": model, "n": m.n, "hits": m.hits,
        "flat": m.flat, "accuracy": m.accuracy, "log_loss": m.log_loss,
        "recent_accuracy": m.recent_accuracy, "as_of": _ts(call.based_on_ms),
    }  # fmt: skip


def write_calls(conn: Connection, calls: Sequence[DirectionCall], model: str) -> None:
    """Upsert the calls, resolve the ones they decided, upsert the scores, and NOTIFY each."""
    if not calls:
        return
    rows = [
        {"symbol": c.symbol, "interval_s": c.interval_s, "based_on": _ts(c.based_on_ms),
         "close": c.close, "prob_up": c.prob_up, "model": model}
        for c in calls
    ]  # fmt: skip
    stmt = insert(LivePredictionRow)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["symbol", "interval_s", "based_on"],
            set_={c: stmt.excluded[c] for c in ("close", "prob_up", "model")},
        ),
        rows,
    )
    resolved = [
        {"symbol": c.symbol, "interval_s": c.interval_s, "based_on": _ts(o.based_on_ms),
         "resolved_by": _ts(o.resolved_by_ms), "up": o.up, "correct": o.correct}
        for c in calls
        if (o := c.outcome) is not None
    ]  # fmt: skip
    if resolved:
        conn.execute(
            text(
                "UPDATE live_prediction SET resolved_by = :resolved_by, up = :up,"
                " correct = :correct WHERE symbol = :symbol AND interval_s = :interval_s"
                " AND based_on = :based_on"
            ),
            resolved,
        )
    # the newest scores of each symbol in the batch, and the overall ones after the last call
    metrics = {c.symbol: _metric_row(c.symbol, c, c.symbol_metrics, model) for c in calls}
    metrics[OVERALL] = _metric_row(OVERALL, calls[-1], calls[-1].overall, model)
    stmt_m = insert(LiveModelMetric)
    columns = ("model", "n", "hits", "flat", "accuracy", "log_loss", "recent_accuracy", "as_of")
    conn.execute(
        stmt_m.on_conflict_do_update(
            index_elements=["scope", "interval_s"], set_={c: stmt_m.excluded[c] for c in columns}
        ),
        list(metrics.values()),
    )
    conn.execute(
        text(
            "SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload"
        ),
        {"channel": LIVE_PREDICTION_CHANNEL, "payloads": [call_payload(c) for c in calls]},
    )


class PredictionWriter:
    """The processor's ``on_closed`` hook: feeds closed bars to the model, writes what it says."""

    def __init__(self, model: OnlineDirectionModel | None = None) -> None:
        """Use ``model`` (a fresh :class:`OnlineDirectionModel` by default)."""
        self.model = model or OnlineDirectionModel()
        self.calls = 0

    def __call__(self, conn: Connection, bars: Sequence[Bar]) -> None:
        """Observe ``bars`` (closed, in closing order) and write the calls they produce."""
        calls = [call for bar in bars if (call := self.model.observe(bar)) is not None]
        write_calls(conn, calls, self.model.name)
        self.calls += len(calls)

    def warm_start(self, engine: Engine) -> int:
        """Replay the final bars already stored through the model (no writes); return how many."""
        query = (
            select(LiveBar)
            .where(LiveBar.interval_s == self.model.interval_s, LiveBar.final.is_(True))
            .order_by(LiveBar.bar_start, LiveBar.symbol)
        )
        seen = 0
        with engine.connect() as conn:
            for row in conn.execute(query).mappings():
                start_ms = int(row["bar_start"].timestamp() * 1000)
                self.model.observe(
                    Bar(
                        row["symbol"], row["interval_s"], start_ms, row["open"], row["high"],
                        row["low"], row["close"], row["volume"], row["vwap"], row["trades"],
                        final=True,
                    )
                )  # fmt: skip
                seen += 1
        if seen:
            log.info("online model warmed up", bars=seen, symbols=len(self.model.symbols))
        return seen
