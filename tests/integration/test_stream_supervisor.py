"""The supervised stream processor through real faults: Postgres cut off, the lake unwritable."""

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tests.web_helpers import platform_settings
from tickerpulse.db.models import StreamProcessorStatus
from tickerpulse.lake.store import Lake
from tickerpulse.streaming.bus import TRADES_TOPIC, InProcessBus
from tickerpulse.streaming.processor import Checkpoint
from tickerpulse.streaming.supervisor import Backoff, SupervisedProcessor
from tickerpulse.web.app import create_app

from .outage import database_outage
from .test_stream_processor import (
    as_rows,
    db_rows,
    disordered_trades,
    expected_bars,
    processor,
    publish,
)

GROUP = "bars"  # the group test_stream_processor's processor() reads as


def wait_until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def caught_up(bus: InProcessBus) -> bool:
    committed = bus.consumer(TRADES_TOPIC, GROUP).committed(0)
    checkpoint = Checkpoint.decode(committed.metadata) if committed else None
    return checkpoint is not None and checkpoint.next_offset == bus.end_offsets(TRADES_TOPIC)[0]


def supervise(bus: InProcessBus, engine: Engine, lake: Lake | None = None) -> SupervisedProcessor:
    return SupervisedProcessor(
        processor(bus, engine, lake),
        lambda: bus.consumer(TRADES_TOPIC, GROUP),
        name=GROUP,
        backoff=Backoff(first=0.1, most=0.4),
        heartbeat_s=0.2,
    )


@contextmanager
def running(supervised: SupervisedProcessor) -> Iterator[threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=supervised.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=10)


def test_the_processor_outlives_a_database_outage_and_loses_or_doubles_no_bar(
    engine: Engine, pg_admin_uri: str, database_url: str
) -> None:
    trades = disordered_trades()
    third = len(trades) // 3
    bus = InProcessBus()
    publish(bus, trades[:third])
    supervised = supervise(bus, engine)
    with running(supervised) as thread:
        wait_until(lambda: caught_up(bus))
        with database_outage(pg_admin_uri, database_url):
            publish(bus, trades[third : 2 * third])  # bars to write while Postgres is away
            wait_until(lambda: supervised.restarts >= 1)
            time.sleep(0.6)  # restarts keep failing and backing off meanwhile
            assert supervised.state == "restarting"
        publish(bus, trades[2 * third :])
        wait_until(lambda: caught_up(bus) and supervised.state == "running")
        assert thread.is_alive()
    supervised.processor.finish()  # the end of this finite stream closes the open bars
    assert db_rows(engine) == as_rows(expected_bars(trades))
    with Session(engine) as session:
        status = session.scalars(select(StreamProcessorStatus)).one()
    assert status.name == GROUP and status.state == "stopped" and status.restarts >= 1
    assert status.last_error and "OperationalError" in status.last_error


def test_healthz_and_metrics_show_the_processor_down_and_back(
    engine: Engine, lake_dir: Path
) -> None:
    (lake_dir / "live").write_text("a file where the live bars' folder must be")
    bus = InProcessBus()
    publish(bus, disordered_trades(minutes=3))
    supervised = supervise(bus, engine, Lake(str(lake_dir)))
    settings = platform_settings(metrics_token="scrape-token")
    with running(supervised), TestClient(create_app(settings, engine)) as client:
        client.headers["authorization"] = "Bearer scrape-token"
        wait_until(lambda: client.get("/healthz").json()["status"] == "degraded")
        health = client.get("/healthz").json()
        assert health["stream_processors"][GROUP]["state"] == "restarting"
        assert health["stream_processors"][GROUP]["last_error"] in {
            "NotADirectoryError",
            "FileExistsError",
        }
        metrics = client.get("/metrics").text
        assert 'tickerpulse_stream_processor_up{name="bars"} 0.0' in metrics
        restarts = re.search(r'tickerpulse_stream_processor_restarts\{name="bars"\} (\S+)', metrics)
        assert restarts and float(restarts.group(1)) >= 1

        (lake_dir / "live").unlink()  # the operator fixes the lake
        wait_until(lambda: caught_up(bus))
        wait_until(lambda: client.get("/healthz").json()["status"] == "ok")
        assert 'tickerpulse_stream_processor_up{name="bars"} 1.0' in client.get("/metrics").text
    assert supervised.restarts >= 1 and list((lake_dir / "live").rglob("*.parquet"))


def test_a_processor_whose_heartbeat_stops_is_reported_down(engine: Engine) -> None:
    bus = InProcessBus()
    supervised = supervise(bus, engine)
    stop = threading.Event()
    stop.set()  # it records itself running, then its process "dies" before the next beat
    supervised.run(stop)
    with Session(engine) as session, session.begin():
        row = session.get(StreamProcessorStatus, GROUP)
        assert row is not None and row.state == "stopped"
        row.state = "running"  # what a killed process leaves behind
    with TestClient(create_app(platform_settings(), engine)) as client:
        wait_until(lambda: client.get("/healthz").json()["status"] == "degraded", timeout_s=5)
        processors = client.get("/healthz").json()["stream_processors"]
    assert processors[GROUP]["state"] == "down (no heartbeat)"
