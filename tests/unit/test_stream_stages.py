"""The live path's stage clocks: what a timed block adds, and clocks summed for a report."""

import time

from tickerpulse.streaming.stages import StageClock, merge


def test_a_timed_block_adds_its_cpu_wall_time_and_items() -> None:
    clock = StageClock()
    with clock.timing("decode", items=3):
        sum(range(200_000))  # CPU
    with clock.timing("decode") as timed:
        time.sleep(0.02)  # waiting: wall time, next to no CPU
        timed.items += 2
    (name, totals), *_ = clock.stages.items()
    assert name == "decode" and totals.calls == 2 and totals.items == 5
    assert 0 < totals.cpu_s < totals.wall_s and totals.wall_s >= 0.02


def test_a_block_that_raises_is_still_timed() -> None:
    clock = StageClock()
    try:
        with clock.timing("write", items=1):
            raise RuntimeError("Postgres went away")
    except RuntimeError:
        pass
    assert clock.as_dict()["write"]["calls"] == 1


def test_merged_clocks_sum_per_stage_in_first_seen_order() -> None:
    client, processor = StageClock(), StageClock()
    with client.timing("decode", 4):
        pass
    with processor.timing("bars", 4):
        pass
    with processor.timing("decode", 1):
        pass
    merged = merge(client, processor).as_dict()
    assert list(merged) == ["decode", "bars"]
    assert merged["decode"]["items"] == 5 and merged["decode"]["calls"] == 2
