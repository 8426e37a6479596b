"""A stream processor in a process of its own, for the tests that kill it with SIGKILL.

    python -m tests.integration.kafka_worker BOOTSTRAP TOPIC GROUP DATABASE_URL LAKE_DIR [IDLE_S]

Prints one JSON line per batch (``{"batches": n, "messages": m}``) and, when nothing
arrived for IDLE_S seconds, closes the open bars and prints its stats as the last line.
Without IDLE_S it runs until it is killed.
"""

import sys
import time

import orjson
from sqlalchemy import create_engine

from tickerpulse.lake.store import Lake
from tickerpulse.streaming.kafka_bus import KafkaBus
from tickerpulse.streaming.processor import BarProcessor

from .conftest import FAST_GROUP


def main(bootstrap: str, topic: str, group: str, url: str, lake: str, idle: str = "") -> None:
    bus = KafkaBus(bootstrap, consumer_config=FAST_GROUP)
    engine = create_engine(url)
    proc = BarProcessor(bus.consumer(topic, group), engine, Lake(lake), batch_size=300)
    idle_s = float(idle) if idle else None
    quiet_since: float | None = None

    while True:
        if proc.step():
            quiet_since = None
            print(
                orjson.dumps(
                    {"batches": proc.stats.batches, "messages": proc.stats.messages}
                ).decode(),
                flush=True,
            )
        elif idle_s is not None and proc.stats.messages:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= idle_s:
                break
    proc.finish()
    proc.consumer.close()
    bus.close()
    stats = {
        "messages": proc.stats.messages,
        "replayed": proc.stats.replayed,
        "malformed": proc.stats.malformed,
    }
    print(orjson.dumps({"done": stats}).decode(), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
