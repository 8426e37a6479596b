from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow.compute as pc
import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from tickerpulse.db.state import ledger, load_cursor
from tickerpulse.jobs.cycle import STAGES, CycleFailed, run_cycle
from tickerpulse.lake import Lake
from tickerpulse.sources.base import Cursor, Page, Source, envelope
from tickerpulse.sources.simulator import SimulatedWorld

from .cycle_helpers import make_context, small_world, snapshot_marts
from .outage import cut_connections


@pytest.fixture(scope="module")
def world() -> SimulatedWorld:
    return small_world()


def run_all(engine: Engine, lake_dir: Path, world: SimulatedWorld, **kwargs: object) -> None:
    ctx = make_context(engine, str(lake_dir), world)
    for window in world.windows:
        run_cycle(ctx, window, **kwargs)  # type: ignore[arg-type]


def test_every_window_is_published_and_every_stage_ledgered(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    run_all(engine, lake_dir, world)
    rows = ledger(engine, limit=1000)
    assert len(rows) == len(world.windows) * len(STAGES)
    assert {r.status for r in rows} == {"ok"}
    with engine.connect() as conn:
        published = conn.execute(
            text("SELECT DISTINCT window_start FROM mart_asset_window")
        ).scalars()
        assert sorted(published) == [w.start for w in world.windows]
    assert Lake(str(lake_dir)).glob("results/date=*/hour=*/asset=*.csv")


def test_forced_rerun_gives_identical_marts(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    run_all(engine, lake_dir, world)
    first = snapshot_marts(engine)
    run_all(engine, lake_dir, world, force=True)
    assert snapshot_marts(engine) == first
    assert all(rows for name, rows in first.items() if name != "mart_price_gap")
    assert first["mart_price_gap"] == []  # the simulated feed follows the trading calendar


def test_rerun_without_force_skips_finished_stages(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    ctx = make_context(engine, str(lake_dir), world)
    run_cycle(ctx, world.windows[0])
    again = run_cycle(ctx, world.windows[0])
    assert {s["status"] for s in again.stages.values()} == {"skipped"}


def test_mentions_in_marts_follow_the_ground_truth(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    run_all(engine, lake_dir, world)
    truth: Counter[tuple[datetime, str]] = Counter()
    for window in world.windows:
        docs = world.truth_documents(window)
        kept = docs.filter(pc.invert(docs.column("foreign")))  # duplicates still count once
        for asset_ids in kept.column("asset_ids").to_pylist():
            truth.update((window.start, a) for a in asset_ids)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT window_start, asset_id, mentions FROM mart_asset_window"
                " WHERE source_class = 'all' AND source = 'all'"
            )
        ).all()
    published = {(w, a): m for w, a, m in rows}
    keys = set(truth) | set(published)
    error = sum(abs(truth[k] - published.get(k, 0)) for k in keys)
    assert error / sum(truth.values()) < 0.2  # a first tagger: within 20 % of the truth


def test_window_sentiment_tracks_the_planted_latent_sentiment(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    run_all(engine, lake_dir, world)
    latent = {
        (row["window_start"], row["asset_id"]): row["latent_sentiment"]
        for row in world.truth_windows().to_pylist()
    }
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT window_start, asset_id, sentiment_mean FROM mart_asset_window"
                " WHERE source_class = 'social' AND source = 'all' AND mentions >= 8"
            )
        ).all()
    pairs = [(latent[(w, a)], s) for w, a, s in rows if (w, a) in latent and s is not None]
    assert len(pairs) > 30
    assert np.corrcoef(np.array(pairs).T)[0, 1] > 0.4


def test_bad_lines_are_quarantined_and_counted_never_dropped(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    run_all(engine, lake_dir, world)
    lake = Lake(str(lake_dir))
    normalize_rows = [r for r in ledger(engine, limit=1000) if r.stage == "normalize"]
    landed = sum(
        sum(1 for _ in lake.read_jsonl_gz(p)) for p in lake.glob("raw/source=*/date=*/run=*/*.gz")
    )
    per_source = [c for r in normalize_rows for c in r.counts.values() if isinstance(c, dict)]
    assert sum(c["lines"] for c in per_source) == landed
    texts = [
        c
        for r in normalize_rows
        for s, c in r.counts.items()
        if isinstance(c, dict) and s != "prices"
    ]
    assert all(c["lines"] == c["rows"] + c["quarantined"] + c["duplicates"] for c in texts)
    quarantined = sum(r.counts["quarantined"] for r in normalize_rows)
    in_files = sum(
        len(lake.read_bytes(p).splitlines()) for p in lake.glob("quarantine/run=*/*.jsonl")
    )
    assert quarantined == in_files > 0


class BrokenSource:
    name = "telegram"

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        yield Page(lines=[b'{"not": "an envelope"}'], cursor={"page": 1})
        raise ConnectionError("provider returned HTML instead of JSON")


def test_a_failing_source_is_recorded_and_does_not_stop_the_others(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    ctx = make_context(engine, str(lake_dir), world)
    sources = {**ctx.sources, "telegram": BrokenSource()}
    ctx = make_context(engine, str(lake_dir), world, sources=sources)
    report = run_cycle(ctx, world.windows[0])
    land = report.stages["land"]["counts"]
    assert "HTML instead of JSON" in land["errors"]["telegram"]
    assert land["reddit"] > 0 and land["news"] > 0
    assert load_cursor(engine, "telegram") == {"page": 1}  # the landed page is kept
    assert report.stages["publish"]["status"] == "ok"


def test_a_failing_stage_is_ledgered_and_resumed_by_the_rerun(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    ctx = make_context(engine, str(lake_dir), world)
    window = world.windows[1]
    for path in ["aggregates"]:
        (lake_dir / path).mkdir()
        (lake_dir / path / "asset_window").write_text("a file where a folder must be")
    with pytest.raises(CycleFailed, match="aggregate"):
        run_cycle(ctx, window)
    failed = {r.stage: r for r in ledger(engine)}
    assert failed["aggregate"].status == "failed" and failed["aggregate"].error
    (lake_dir / "aggregates" / "asset_window").unlink()
    report = run_cycle(ctx, window)
    assert report.stages["land"]["status"] == "skipped"
    assert report.stages["publish"]["status"] == "ok"


class WithExtraLines:
    """A source that lands ``extra`` lines with its first page (a provider's odd records)."""

    def __init__(self, inner: Source, extra: list[bytes]) -> None:
        self.inner, self.extra, self.name = inner, extra, inner.name

    def fetch(self, since: Cursor, *, until: datetime) -> Iterator[Page]:
        for number, page in enumerate(self.inner.fetch(since, until=until)):
            yield Page([*page.lines, *self.extra], page.cursor) if number == 0 else page


def reddit_line(name: str, title: str, text: str, created: datetime) -> bytes:
    item = {"kind": "t3", "data": {
        "name": name, "subreddit": "stocks", "title": title, "selftext": text, "author": "a",
        "created_utc": created.timestamp(), "score": 1, "num_comments": 0}}  # fmt: skip
    return envelope(item, fetched_at=created, context={})


def test_a_post_with_nul_bytes_is_cleaned_counted_and_published(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    window = world.windows[0]
    at = window.start + timedelta(hours=1)
    odd = [reddit_line("t3_nul", "$AAPL\x00 rally", "strong\x00 quarter\x1b", at)]
    ctx = make_context(engine, str(lake_dir), world)
    sources = {**ctx.sources, "reddit": WithExtraLines(ctx.sources["reddit"], odd)}
    ctx = make_context(engine, str(lake_dir), world, sources=sources)
    report = run_cycle(ctx, window)
    assert report.stages["publish"]["status"] == "ok"
    assert report.stages["normalize"]["counts"]["reddit"]["sanitized"] == 1
    with engine.connect() as conn:
        title = conn.execute(
            text("SELECT title FROM mart_document WHERE doc_id = 'reddit:t3_nul'")
        ).scalar_one()
    assert title == "$AAPL rally"
    run_cycle(ctx, world.windows[1])  # the next window is not held up behind it
    assert {r.status for r in ledger(engine, limit=100)} == {"ok"}


def test_huge_and_binary_posts_are_quarantined_with_a_reason_and_the_window_publishes(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    window = world.windows[0]
    at = window.start + timedelta(hours=1)
    odd = [
        reddit_line("t3_huge", "$AAPL", "to the moon " * 10_000, at),  # 120,000 characters
        reddit_line("t3_bin", "$AAPL", "\x01\x02\x03\x04\x05\x06" * 50, at),
    ]
    ctx = make_context(engine, str(lake_dir), world)
    sources = {**ctx.sources, "reddit": WithExtraLines(ctx.sources["reddit"], odd)}
    ctx = make_context(engine, str(lake_dir), world, sources=sources)
    report = run_cycle(ctx, window)
    assert report.stages["publish"]["status"] == "ok"
    lake = Lake(str(lake_dir))
    reasons = [
        orjson.loads(q)["reason"]
        for q in lake.read_bytes(f"quarantine/run={window.key}/normalize-reddit.jsonl").splitlines()
    ]
    assert "text too long: 120,000 characters (limit 100,000)" in reasons
    assert any(r.startswith("binary text") for r in reasons)
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT count(*) FROM mart_document WHERE doc_id IN ('reddit:t3_huge', 'reddit:t3_bin')"
            )
        ).scalar_one()
    assert found == 0


def test_a_truncated_raw_file_keeps_its_whole_lines_and_quarantines_the_rest(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    ctx = make_context(engine, str(lake_dir), world)
    window = world.windows[0]
    run_cycle(ctx, window, stages=("land",))
    lake = Lake(str(lake_dir))
    (part,) = lake.glob(f"raw/source=reddit/date=*/run={window.key}/*.jsonl.gz")
    landed = sum(1 for _ in lake.read_jsonl_gz(part))
    whole = lake.read_bytes(part)
    lake.write_bytes(part, whole[: len(whole) // 2])  # a copy cut short
    report = run_cycle(ctx, window)
    assert report.stages["publish"]["status"] == "ok"
    counts = report.stages["normalize"]["counts"]["reddit"]
    assert counts["damaged_files"] == 1
    assert 0 < counts["rows"] < landed
    assert counts["lines"] == counts["rows"] + counts["quarantined"] + counts["duplicates"]
    quarantined = lake.read_bytes(f"quarantine/run={window.key}/normalize-reddit.jsonl")
    reasons = [orjson.loads(q)["reason"] for q in quarantined.splitlines()]
    assert any(r.startswith(f"damaged lake file {part}: truncated") for r in reasons)


def test_postgres_cut_off_mid_publish_fails_the_window_and_the_rerun_publishes_it(
    engine: Engine, lake_dir: Path, world: SimulatedWorld, pg_admin_uri: str, database_url: str
) -> None:
    ctx = make_context(engine, str(lake_dir), world)
    window = world.windows[0]
    run_cycle(ctx, window, stages=STAGES[:-1])
    cut: list[str] = []

    def kill_postgres_on_publish(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not cut and "mart_asset_window" in statement and statement.startswith("INSERT"):
            cut.append(statement)
            cut_connections(pg_admin_uri, database_url, refuse=True)  # ends this connection too

    event.listen(engine, "before_cursor_execute", kill_postgres_on_publish)
    try:
        with pytest.raises(OperationalError):
            run_cycle(ctx, window)  # not even the failure can be ledgered while it is down
    finally:
        event.remove(engine, "before_cursor_execute", kill_postgres_on_publish)
        cut_connections(pg_admin_uri, database_url, refuse=False)
    assert cut
    with engine.connect() as conn:
        published = conn.execute(text("SELECT count(*) FROM mart_asset_window")).scalar_one()
    assert published == 0  # the publish transaction rolled back whole
    report = run_cycle(ctx, window)
    assert report.stages["aggregate"]["status"] == "skipped"
    assert report.stages["publish"]["status"] == "ok"
    after = snapshot_marts(engine)
    run_cycle(ctx, window, force=True)
    assert snapshot_marts(engine) == after and after["mart_asset_window"]


def test_the_cycle_fills_the_insight_marts_from_the_posts_authors_and_reach(
    engine: Engine, lake_dir: Path, world: SimulatedWorld
) -> None:
    run_all(engine, lake_dir, world)
    with engine.connect() as conn:
        attention = conn.execute(text("SELECT count(*), count(mention_z) FROM mart_attention"))
        rows, scored = attention.one()
        calls = conn.execute(
            text(
                "SELECT count(*), sum(reach), count(hit) FROM mart_author_call WHERE asset_id <> '*'"
            )
        ).one()
        news = conn.execute(
            text("SELECT count(*) FROM mart_author_call WHERE source IN ('news', 'rss')")
        ).scalar()
    assert rows > 0 and scored > 0  # the later windows have a week of history
    assert calls[0] > 0 and calls[1] > 0 and calls[2] > 0  # authors, engagement, judged calls
    assert news == 0
