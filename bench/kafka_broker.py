"""A throwaway Kafka broker on free loopback ports, through deploy/kafka/kafka.sh (bench, tests).

The same script ``make kafka`` uses: it fetches the jars with Maven on first use,
formats the storage under ``state``, starts the broker and waits for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.serving import free_port

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "kafka" / "kafka.sh"


class BrokerUnavailable(RuntimeError):
    """The broker could not be fetched or started (no Java, no Maven, no registry …)."""


@dataclass
class Broker:
    """One single-node broker: its ports and its state folder (config, data, log)."""

    state: Path
    port: int
    controller_port: int

    @property
    def bootstrap(self) -> str:
        """``host:port`` for clients."""
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """The broker's own log."""
        return self.state / "broker.log"

    def _run(self, command: str, timeout_s: float = 300) -> str:
        env = os.environ | {
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_STATE": str(self.state),
        }
        done = subprocess.run(
            ["bash", str(SCRIPT), command],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0 and command != "status":
            raise BrokerUnavailable(f"kafka.sh {command} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        """Start (fetching and formatting first if needed) and wait until it serves."""
        self._run("start")

    def stop(self) -> None:
        """Controlled shutdown; the data stay for the next start."""
        self._run("stop")

    def kill(self) -> None:
        """SIGKILL the broker: no controlled shutdown, as in a crash."""
        pid = int((self.state / "kafka.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # not our child (the script started it): init reaps it
        self._run("stop")  # finds it gone and clears the pid file

    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._run("status").startswith("running")


@contextmanager
def throwaway_broker(state: Path) -> Iterator[Broker]:
    """A broker on free ports with its state under ``state``, stopped when the block ends."""
    broker = Broker(state, free_port(), free_port())
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
