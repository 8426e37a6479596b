"""The online model behind the stream processor, writing calls and scores into real Postgres."""

import itertools
from typing import Any

import orjson
import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text

from tickerpulse.db.models import Base
from tickerpulse.domain import Trade
from tickerpulse.streaming.bus import TRADES_TOPIC, InProcessBus
from tickerpulse.streaming.predictions import OVERALL, PredictionWriter
from tickerpulse.streaming.processor import BarProcessor
from tickerpulse.streaming.replay import synthetic_trades

from .test_stream_processor import SYMBOLS, T0, publish


def trades(minutes: int = 30) -> list[Trade]:
    return list(
        itertools.islice(synthetic_trades(SYMBOLS, start_ms=T0, rate=6, seed=5), minutes * 60 * 6)
    )


def run(engine: Engine, feed: list[Trade], writer: PredictionWriter) -> BarProcessor:
    bus = InProcessBus()
    publish(bus, feed)
    proc = BarProcessor(
        bus.consumer(TRADES_TOPIC, "bars"), engine, batch_size=500, poll_timeout_s=0.01,
        on_closed=writer,
    )  # fmt: skip
    proc.run(idle_exit_s=0.05)
    proc.finish()
    return proc


def rows(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2, 3"))]


def test_calls_and_scores_are_written_with_the_closed_bars(engine: Engine) -> None:
    writer = PredictionWriter()
    run(engine, trades(), writer)
    with engine.connect() as conn:
        bars = conn.execute(
            text("SELECT count(*) FROM live_bar WHERE interval_s = 60 AND final")
        ).scalar_one()
        calls = conn.execute(
            text("SELECT count(*), count(resolved_by), count(up) FROM live_prediction")
        ).one()
        metrics = {
            r.scope: r
            for r in conn.execute(
                text("SELECT scope, n, hits, flat, accuracy FROM live_model_metric")
            )
        }
    # every bar after a symbol's first gets a call; all but each symbol's last are resolved
    assert calls[0] == bars - len(SYMBOLS) == writer.calls
    assert calls[1] == calls[0] - len(SYMBOLS)
    overall = metrics.pop(OVERALL)
    assert set(metrics) == set(SYMBOLS)
    assert overall.n == calls[2] == sum(m.n for m in metrics.values())
    assert overall.n + overall.flat == calls[1]
    assert overall.accuracy == overall.hits / overall.n


def test_a_call_is_notified_as_json_when_its_bar_closes(engine: Engine, database_url: str) -> None:
    listener = psycopg.connect(
        database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    )
    listener.execute("LISTEN live_prediction")
    run(engine, trades(4), PredictionWriter())
    payloads = [orjson.loads(n.payload) for n in listener.notifies(timeout=2, stop_after=18)]
    listener.close()
    assert {p["symbol"] for p in payloads} <= set(SYMBOLS) and len(payloads) == 3 * len(SYMBOLS)
    first = payloads[0]
    assert first["outcome"] is None and 0 < first["prob_up"] < 1
    resolved = [p for p in payloads if p["outcome"] is not None]
    assert resolved and set(resolved[0]["outcome"]) == {
        "based_on", "resolved_by", "prob_up", "up", "correct"
    }  # fmt: skip
    assert set(first["overall"]) == {"n", "hits", "flat", "accuracy", "log_loss", "recent_accuracy"}


def test_a_restarted_writer_warmed_from_live_bar_continues_like_an_uninterrupted_one(
    engine: Engine,
) -> None:
    feed = trades()
    whole = PredictionWriter()
    run(engine, feed, whole)
    reference = rows(engine, "live_prediction"), rows(engine, "live_model_metric")
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE live_prediction, live_model_metric, live_bar"))

    half = [t for t in feed if t.ts_ms < T0 + 15 * 60_000]
    run(engine, half, PredictionWriter())
    restarted = PredictionWriter()
    assert restarted.warm_start(engine) > 0
    # the bars of the first half close again in the second run: the model must skip them
    run(engine, feed, restarted)
    assert (rows(engine, "live_prediction"), rows(engine, "live_model_metric")) == reference


def test_the_migration_matches_the_prediction_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if "live_prediction" in repr(d) or "live_model" in repr(d)] == []
