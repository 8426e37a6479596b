"""The insight marts as the publish stage fills them: attention, author calls and records."""

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.integration.insight_world import (
    ECHO,
    LAST,
    N_WINDOWS,
    NEWBIE,
    SAGE,
    SPAMMER,
    SPIKE_MENTIONS,
    WINDOWS,
    publish,
    publish_world,
)
from tickerpulse.db.models import MartAttention, MartAuthorCall, MartAuthorRecord


@pytest.fixture
def world(engine: Engine) -> Engine:
    publish_world(engine)
    return engine


def records(engine: Engine) -> dict[str, MartAuthorRecord]:
    with Session(engine) as s:
        return {r.author_hash: r for r in s.scalars(select(MartAuthorRecord))}


def test_the_spike_window_has_a_high_mention_z_and_share_of_voice_within_the_class(
    world: Engine,
) -> None:
    with Session(world) as s:
        rows = {r.asset_id: r for r in s.scalars(
            select(MartAttention).where(MartAttention.window_start == LAST))}  # fmt: skip
    btc = rows["crypto:BTC"]
    assert btc.mentions == SPIKE_MENTIONS
    assert btc.mention_z is not None and btc.mention_z > 5
    assert btc.mention_change is not None and btc.mention_change > 5
    assert btc.sentiment_change is not None and btc.sentiment_change < -0.5
    crypto = sum(r.share_of_voice for r in rows.values() if r.asset_class == "crypto")
    assert crypto == pytest.approx(1.0)
    assert rows["fx:EURUSD"].share_of_voice == pytest.approx(1.0)
    assert rows["stock:AAPL"].mention_z is not None and abs(rows["stock:AAPL"].mention_z) < 3


def test_the_first_windows_have_no_attention_figures_without_history(world: Engine) -> None:
    with Session(world) as s:
        first = s.scalars(select(MartAttention).where(MartAttention.window_start == WINDOWS[2]))
        assert all(r.mention_z is None and r.sentiment_change is None for r in first)


def test_calls_are_judged_against_the_next_window_never_the_same_one(world: Engine) -> None:
    found = records(world)
    judged = N_WINDOWS - 1  # the last window's calls wait for the next return
    assert (found[SAGE].calls, found[SAGE].hits) == (judged, judged)
    assert (found[ECHO].calls, found[ECHO].hits) == (judged, 0)
    assert found[SAGE].ci_low is not None and found[SAGE].ci_low > 0.85
    assert found[ECHO].ci_high is not None and found[ECHO].ci_high < 0.15
    with Session(world) as s:
        last = s.scalars(select(MartAuthorCall).where(
            MartAuthorCall.window_start == LAST, MartAuthorCall.author_hash == SAGE,
            MartAuthorCall.asset_id == "crypto:BTC"))  # fmt: skip
        assert [c.hit for c in last] == [None]


def test_spam_posts_are_counted_against_their_author_and_never_judged(world: Engine) -> None:
    found = records(world)
    assert found[SPAMMER].flagged_posts == N_WINDOWS // 2
    assert found[SAGE].flagged_posts == 1
    assert found[NEWBIE].calls == 2 and found[NEWBIE].flagged_posts == 0
    with Session(world) as s:
        eth = s.scalars(select(MartAuthorCall).where(MartAuthorCall.asset_id == "crypto:ETH"))
        assert list(eth) == []


def test_republishing_a_window_changes_nothing(world: Engine) -> None:
    before = {k: (r.calls, r.hits, r.posts, r.reach) for k, r in records(world).items()}
    publish(world, N_WINDOWS - 2)
    publish(world, N_WINDOWS - 1)
    after = {k: (r.calls, r.hits, r.posts, r.reach) for k, r in records(world).items()}
    assert after == before


def test_a_backfilled_window_is_judged_by_the_next_window_already_published(
    engine: Engine,
) -> None:
    publish_world(engine, windows=3)
    publish(engine, 4)
    assert records(engine)[SAGE].calls == 2  # windows 0 and 1; 2 waits for 3
    publish(engine, 3)  # the gap filled late: its calls meet window 4's return at once
    assert records(engine)[SAGE].calls == 4
