"""The command line's start-up and the `tickerpulse tag` throughput, start-up included.

Every figure is a whole process as a user runs it: `tickerpulse --help`, `tickerpulse tag`
and `tickerpulse sentiment` answering one line (time to their first line of output), and
`tickerpulse tag` over a file of two-sentence posts pinned to one core. The machine is
shared and noisy, so each figure is the median of several runs, and the bare interpreter's
start-up (`python -c pass`) is measured alongside as the yardstick.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench.report import machine_line
from tickerpulse.sources._sim_text import CONTEXT_WORDS, SOCIAL_TEMPLATES
from tickerpulse.universe import AssetInfo, load_universe

POSTS = 200_000
STARTUP_RUNS = 7
THROUGHPUT_RUNS = 3
GOALS = {"--help": 0.3, "tag": 0.5, "sentiment": 0.5}
"""Seconds to the first line of output, on a quiet machine."""
THROUGHPUT_GOAL = 50_000
ONE_LINE = b'{"id": 1, "text": "Bought more $NVDA today, Apple earnings next week."}\n'


def two_sentence_posts(count: int, seed: int = 11) -> bytes:
    """``count`` JSON Lines ``{"id", "text"}``, each text two sentences naming assets."""
    rng = random.Random(seed)
    assets = list(load_universe())
    templates = [t for group in SOCIAL_TEMPLATES.values() for t in group]
    out = bytearray()
    for number in range(count):
        first = rng.choice(templates).format(m=_written(rng, rng.choice(assets)))
        second = rng.choice(templates).format(m=_written(rng, rng.choice(assets)))
        sep = "" if first.endswith((".", "!", "?")) else "."
        out += orjson.dumps({"id": number, "text": f"{first}{sep} {second}"}) + b"\n"
    return bytes(out)


def _written(rng: random.Random, asset: AssetInfo) -> str:
    """A cashtag, a name or a ticker followed by a market word."""
    names = [n for n in asset.aliases if "/" not in n] or [asset.name]
    forms = [f"${asset.symbol}", rng.choice(names), f"{asset.symbol} {rng.choice(CONTEXT_WORDS)}"]
    return rng.choice(forms)


def command() -> list[str]:
    """The installed ``tickerpulse`` script next to this interpreter (``-m`` otherwise)."""
    script = Path(sys.executable).parent / "tickerpulse"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tickerpulse"]


def first_line_seconds(args: list[str], stdin: bytes, env: dict[str, str]) -> float:
    """Seconds from starting ``args`` to its first line of output (stdout or stderr)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(stdin)
    process.stdin.close()
    line = process.stdout.readline()
    seconds = time.perf_counter() - started
    process.stdout.read()
    if process.wait() != 0 or not line:
        raise RuntimeError(f"{' '.join(args)} failed: {line!r}")
    return seconds


@dataclass(frozen=True)
class Startup:
    """Median seconds to the first line of one command, over :data:`STARTUP_RUNS` runs."""

    name: str
    median: float
    best: float


def startups(env: dict[str, str]) -> list[Startup]:
    """The bare interpreter, --help, tag and sentiment (each warmed once, cache built)."""
    cases = {
        "python -c pass": ([sys.executable, "-c", "print()"], b""),
        "--help": ([*command(), "--help"], b""),
        "tag": ([*command(), "tag"], ONE_LINE),
        "sentiment": ([*command(), "sentiment"], ONE_LINE),
    }
    results = []
    for name, (args, stdin) in cases.items():
        first_line_seconds(args, stdin, env)  # warm: page cache, the tagger's automaton cache
        runs = [first_line_seconds(args, stdin, env) for _ in range(STARTUP_RUNS)]
        results.append(Startup(name, statistics.median(runs), min(runs)))
        print(results[-1], flush=True)
    return results


def throughput(path: Path, env: dict[str, str], posts: int) -> list[float]:
    """Posts/s of `tickerpulse tag <path>` on one core, whole process, per run."""
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    rates = []
    for _ in range(THROUGHPUT_RUNS):
        started = time.perf_counter()
        subprocess.run([*pin, *command(), "tag", str(path)], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        rates.append(posts / (time.perf_counter() - started))
        print(f"tag: {rates[-1]:,.0f} posts/s", flush=True)
    return rates


def cli_section(posts: int = POSTS) -> str:
    """The CLI section of docs/benchmarks.md."""
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        env = {**os.environ, "TICKERPULSE_HOME": str(Path(folder) / "home")}
        path = Path(folder) / "posts.jsonl"
        path.write_bytes(two_sentence_posts(posts))
        starts = startups(env)
        rates = throughput(path, env, posts)
    bare = starts[0].median
    rate = statistics.median(rates)
    lines = [
        "## Command line: start-up and `tickerpulse tag` throughput",
        "",
        machine_line(),
        "",
        "Whole processes as a user runs them (`bench/cli.py`): seconds from launch to the",
        "first line of output, median of"
        f" {STARTUP_RUNS} runs after one warm-up (which also builds the tagger's cached",
        "automaton in a fresh `TICKERPULSE_HOME`); `tag` and `sentiment` answer one line",
        "given on stdin. The bare interpreter (`python -c pass`) is the yardstick: this",
        "machine is shared, so the ratio to it is what carries over to a quiet one.",
        "",
        "| command | median s | best s | × bare python | goal (quiet machine) |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in starts:
        goal = f"< {GOALS[s.name]} s" if s.name in GOALS else ""
        lines.append(
            f"| {s.name} | {s.median:.3f} | {s.best:.3f} | {s.median / bare:.1f}× | {goal} |"
        )
    lines += [
        "",
        f"Throughput: `tickerpulse tag posts.jsonl` over {posts:,} two-sentence posts (JSON",
        "Lines in, JSON Lines out to /dev/null), pinned to one core (`taskset -c 0`), start-up",
        f"included; {THROUGHPUT_RUNS} runs: "
        + ", ".join(f"{r:,.0f}" for r in rates)
        + f" posts/s, median **{rate:,.0f} posts/s** (goal ≥ {THROUGHPUT_GOAL:,}).",
    ]
    return "\n".join(lines)
