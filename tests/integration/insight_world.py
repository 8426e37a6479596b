"""A small world published window by window as the publish stage does, for the insight pages.

Twelve assets over :data:`N_WINDOWS` windows; every price alternates up and
down each window, so a call judged against the *same* window's return and
one judged against the *next* disagree on every single call. Authors:

* ``SAGE`` calls each window what the next one does (right every time), and one
  of their posts is flagged spam (a false flag: one in 41 keeps the record);
* ``ECHO`` calls what the current window did (right every time if the same
  window were the judge; wrong every time against the next one);
* ``SPAMMER`` is as right as the sage but every other window also posts spam
  (a third of their posts flagged: taken for a spam account and left out);
* ``NEWBIE`` posts on BTC twice (too few calls for a record).

BTC's mentions spike and its sentiment swings bearish in the last window.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from tickerpulse.db.marts import sync_assets
from tickerpulse.db.state import mark_started
from tickerpulse.jobs.insights import publish_window_with_insights
from tickerpulse.lake.window_data import WindowAggregates
from tickerpulse.universe import load_universe

W = timedelta(hours=6)
FIRST = datetime(2026, 10, 1, tzinfo=UTC)
N_WINDOWS = 40
WINDOWS = [FIRST + i * W for i in range(N_WINDOWS)]
LAST = WINDOWS[-1]
ASSETS = (
    "crypto:BTC", "crypto:ETH", "crypto:SOL", "crypto:DOGE", "stock:AAPL", "stock:TSLA",
    "stock:NVDA", "stock:MSFT", "stock:AMZN", "etf:SPY", "etf:QQQ", "fx:EURUSD",
)  # fmt: skip
SAGE, ECHO, SPAMMER, NEWBIE = (
    "5a9e000000000001",
    "ec40000000000002",
    "5ba3000000000003",
    "7e40000000000004",
)
SPIKE_MENTIONS = 90


def step_return(i: int) -> float:
    """Window ``i``'s return: +1 % on even windows, −1 % on odd ones."""
    return 0.01 if i % 2 == 0 else -0.01


def _mentions(asset_index: int, i: int) -> int:
    if i == N_WINDOWS - 1 and asset_index == 0:
        return SPIKE_MENTIONS
    return 10 + asset_index + (i * 7 + asset_index) % 5


def _sentiment(asset_index: int, i: int) -> float:
    if i == N_WINDOWS - 1 and asset_index == 0:
        return -0.5
    return round(0.1 + 0.05 * ((i + asset_index) % 3), 3)


def _doc(doc_id: str, author: str, window: datetime, flags: str | None = None) -> dict[str, Any]:
    return {
        "doc_id": doc_id, "kind": "post", "source": "reddit", "channel": "r/test",
        "author_hash": author, "created_at": window + timedelta(hours=1), "title": None,
        "text": "an opinion", "url": None, "sentiment_score": 0.0, "sentiment_label": "neutral",
        "provider_sentiment": None, "sentiment_model": "test-v1", "sentiment_flags": flags,
        "engagement": 7,
    }  # fmt: skip


def window_aggregates(i: int) -> WindowAggregates:
    """The aggregates the aggregate stage would hand the publish stage for window ``i``."""
    window = WINDOWS[i]
    asset_window = []
    prices = []
    for k, asset_id in enumerate(ASSETS):
        mentions = _mentions(k, i)
        asset_window.append(
            {
                "asset_id": asset_id, "source_class": "all", "source": "all",
                "mentions": mentions, "unique_authors": mentions // 2,
                "sentiment_mean": _sentiment(k, i), "bull_share": 0.5, "bear_share": 0.2,
                "dispersion": 0.3, "sentiment_model": "test-v1", "spam_mentions": 0,
            }
        )  # fmt: skip
        close = 100.0 * (1.01 if i % 2 == 0 else 1.0)
        prev = 100.0 if i % 2 == 0 else 101.0
        prices.append(
            {
                "asset_id": asset_id, "open": prev, "high": max(prev, close),
                "low": min(prev, close), "close": close, "volume": 1.0, "bars": 6,
                "prev_close": prev, "return_pct": close / prev - 1, "source": "test",
                "sources": 1,
            }
        )  # fmt: skip
    next_up = step_return(i + 1) > 0
    now_up = step_return(i) > 0
    documents, mentions = [], []

    def call(author: str, asset_id: str, bullish: bool, flags: str | None = None) -> None:
        doc_id = f"reddit:{author}-{i}-{asset_id}"
        documents.append(_doc(doc_id, author, window, flags))
        if flags is None:
            score = 0.6 if bullish else -0.6
            mentions.append({"doc_id": doc_id, "asset_id": asset_id, "method": "cashtag",
                             "relevance": 1.0, "sentiment_score": score,
                             "sentiment_label": "bullish" if bullish else "bearish"})  # fmt: skip

    call(SAGE, "crypto:BTC", next_up)
    call(ECHO, "crypto:BTC", now_up)
    call(SPAMMER, "crypto:BTC", next_up)
    if i % 2 == 0:
        call(SPAMMER, "crypto:ETH", True, flags="spam")
    if i == 3:
        call(SAGE, "crypto:ETH", True, flags="spam")
    if i in (10, 11):
        call(NEWBIE, "crypto:BTC", True)
    return WindowAggregates(
        window_documents=pa.Table.from_pylist(documents),
        document_assets=pa.Table.from_pylist(mentions),
        asset_window=pa.Table.from_pylist(asset_window),
        price_window=pa.Table.from_pylist(prices),
        price_gaps=pa.table({"asset_id": pa.array([], pa.string())}),
    )


def publish(engine: Engine, i: int, aggregates: WindowAggregates | None = None) -> None:
    """Publish window ``i`` as the cycle's publish stage does (started, then published).

    ``aggregates`` replaces the world's own for that window (a re-run that found other data).
    """
    mark_started(engine, WINDOWS[i], "publish")
    publish_window_with_insights(engine, WINDOWS[i], aggregates or window_aggregates(i))


def publish_world(
    engine: Engine,
    windows: int = N_WINDOWS,
    *,
    skip: Collection[int] = (),
    replaced: Mapping[int, WindowAggregates] | None = None,
) -> None:
    """Publish the first ``windows`` windows of the world, oldest first, as cycles would.

    Windows in ``skip`` are left out (a gap); ``replaced`` gives some windows other aggregates.
    """
    sync_assets(engine, load_universe())
    for i in range(windows):
        if i not in skip:
            publish(engine, i, (replaced or {}).get(i))
