"""A re-published window (a backfill) refreshes the attention of the windows whose history it is.

Each window's attention compares it with its own 28 windows before it, so when
an old window is published again with other counts, the up to 28 windows after
it must end up with the figures a publish in order would have given them, and
no other window may be rewritten. "Rewritten" is checked by planting a figure
no computation gives (:data:`PLANTED`) and seeing whether it survives.
"""

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime

import pyarrow as pa
from sqlalchemy import Engine, select, update

from tests.integration.insight_world import (
    ASSETS,
    LAST,
    N_WINDOWS,
    WINDOWS,
    publish,
    publish_world,
    window_aggregates,
)
from tickerpulse.analytics.signals import Z_LOOKBACK
from tickerpulse.db.models import MartAttention
from tickerpulse.db.state import mark_started
from tickerpulse.jobs.insights import publish_window_with_insights
from tickerpulse.lake.window_data import WindowAggregates

Row = tuple[object, ...]
Key = tuple[datetime, str]
PLANTED = -777.0
"""A mention z-score and change no publish computes: a row keeping it was never rewritten."""


def louder(i: int, assets: Collection[str] = ASSETS) -> WindowAggregates:
    """Window ``i`` as a re-run found it: ``assets`` mentioned four times as often, and bearish."""
    aggregates = window_aggregates(i)
    rows = aggregates.asset_window.to_pylist()
    for row in rows:
        if row["asset_id"] in assets:
            row["mentions"] *= 4
            row["sentiment_mean"] = -0.4
    return replace(aggregates, asset_window=pa.Table.from_pylist(rows))


def attention(engine: Engine) -> dict[Key, Row]:
    """Every ``mart_attention`` row by (window, asset)."""
    a = MartAttention
    columns = (a.asset_class, a.mentions, a.mention_z, a.mention_change, a.sentiment,
               a.sentiment_change, a.sentiment_z, a.share_of_voice)  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(select(a.window_start, a.asset_id, *columns)).all()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def plant(engine: Engine, first: datetime, last: datetime) -> None:
    """Overwrite the figures of windows ``first``…``last`` with :data:`PLANTED`."""
    a = MartAttention
    with engine.begin() as conn:
        conn.execute(
            update(a)
            .where(a.window_start.between(first, last))
            .values(mention_z=PLANTED, mention_change=PLANTED)
        )


def planted(row: Row) -> bool:
    return row[2] == PLANTED and row[3] == PLANTED


def published_in_order(engine: Engine, replaced: Mapping[int, WindowAggregates]) -> dict[Key, Row]:
    """The attention marts of the world published once, in order, with ``replaced`` windows."""
    publish_world(engine, replaced=replaced)
    return attention(engine)


def test_a_republished_window_gives_the_later_windows_the_figures_of_a_publish_in_order(
    engine: Engine, second_engine: Engine
) -> None:
    backfilled = 20
    publish_world(engine)
    before = attention(engine)
    publish(engine, backfilled, louder(backfilled))
    expected = published_in_order(second_engine, {backfilled: louder(backfilled)})
    assert attention(engine) == expected
    later = [k for k in expected if k[0] > WINDOWS[backfilled]]
    assert len(later) == (N_WINDOWS - backfilled - 1) * len(ASSETS)
    moved = [k for k in later if before[k][2:4] != expected[k][2:4]]  # mention z and change
    assert moved == later


def test_a_gap_filled_late_gives_the_windows_after_it_the_figures_of_a_publish_in_order(
    engine: Engine, second_engine: Engine
) -> None:
    gap = 12
    publish_world(engine, skip={gap})
    before = attention(engine)
    publish(engine, gap)  # a window once unknown is now known: every asset's history changes
    expected = published_in_order(second_engine, {})
    assert attention(engine) == expected
    assert before[(WINDOWS[gap + 1], "crypto:BTC")] != expected[(WINDOWS[gap + 1], "crypto:BTC")]


def test_republishing_the_newest_window_rewrites_no_other_window(engine: Engine) -> None:
    publish_world(engine)
    plant(engine, WINDOWS[0], WINDOWS[-2])
    before = attention(engine)
    publish(engine, N_WINDOWS - 1, louder(N_WINDOWS - 1))
    after = attention(engine)
    assert {k: r for k, r in after.items() if k[0] < LAST} == {
        k: r for k, r in before.items() if k[0] < LAST
    }
    assert after[(LAST, "stock:AAPL")] != before[(LAST, "stock:AAPL")]


def test_only_the_assets_that_changed_within_the_lookback_are_refreshed(
    engine: Engine, second_engine: Engine
) -> None:
    backfilled = 5
    reach = WINDOWS[backfilled + Z_LOOKBACK]  # the last window whose history holds it
    publish_world(engine)
    plant(engine, WINDOWS[backfilled + 1], LAST)
    publish(engine, backfilled, louder(backfilled, {"crypto:BTC"}))
    after = attention(engine)
    expected = published_in_order(second_engine, {backfilled: louder(backfilled, {"crypto:BTC"})})
    for (window, asset), row in after.items():
        if window <= WINDOWS[backfilled]:
            assert row == expected[(window, asset)]
        elif window <= reach and asset == "crypto:BTC":
            assert row == expected[(window, asset)] and not planted(row)
        else:  # beyond the lookback, or an asset whose history did not change
            assert planted(row), (window, asset)
    assert reach < LAST  # some windows lie beyond the lookback


def test_republishing_a_window_with_the_same_counts_rewrites_no_later_window(
    engine: Engine,
) -> None:
    publish_world(engine)
    plant(engine, WINDOWS[21], LAST)
    before = attention(engine)
    publish(engine, 20)
    assert attention(engine) == before


def test_a_range_backfill_refreshes_only_the_windows_after_its_range_and_ends_as_in_order(
    engine: Engine, second_engine: Engine
) -> None:
    """Windows inside the range are published again in order anyway: refreshing them is waste."""
    first, last = 10, 15
    publish_world(engine)
    refreshed = []
    for i in range(first, last + 1):
        mark_started(engine, WINDOWS[i], "publish")
        counts = publish_window_with_insights(
            engine, WINDOWS[i], louder(i), republishing_until=WINDOWS[last]
        )
        refreshed.append(counts["attention_refreshed"])
    newest = N_WINDOWS - 1
    assert refreshed == [
        len(ASSETS) * (min(i + Z_LOOKBACK, newest) - last) for i in range(first, last + 1)
    ]
    expected = published_in_order(second_engine, {i: louder(i) for i in range(first, last + 1)})
    assert attention(engine) == expected
