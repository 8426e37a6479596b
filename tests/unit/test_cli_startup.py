"""The command line starts light: `--help`, `tag` and `sentiment` load no heavy engine."""

import os
import subprocess
import sys
from pathlib import Path

import orjson

from tickerpulse.cli import SENTIMENT_MODELS
from tickerpulse.enrich.sentiment import model_names

HEAVY = ("pandas", "sqlalchemy", "fastapi", "pyspark", "alembic", "duckdb", "plotly", "uvicorn")
"""Engines no text command needs."""
NOT_FOR_TAG = (*HEAVY, "pyarrow", "numpy", "structlog", "rich", "sklearn")

PROBE = """
import sys
from tickerpulse.cli import app
try:
    app({args!r}, standalone_mode=False)
finally:
    sys.stdout.flush()
    loaded = [name for name in {modules!r} if name in sys.modules]
    sys.stderr.write("LOADED " + ",".join(loaded) + "\\n")
"""


def loaded_by(
    args: list[str], modules: tuple[str, ...], home: Path, stdin: bytes = b""
) -> tuple[list[str], bytes]:
    env = {**os.environ, "TICKERPULSE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, modules=modules)],
        input=stdin, capture_output=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    marker = done.stderr.decode().rsplit("LOADED ", 1)[1].strip()
    return [m for m in marker.split(",") if m], done.stdout


def test_help_loads_no_engine_nor_the_settings(tmp_path: Path) -> None:
    loaded, out = loaded_by(["--help"], (*NOT_FOR_TAG, "pydantic_settings"), tmp_path)
    assert b"tag" in out and b"sentiment" in out
    assert loaded == []


def test_tag_loads_neither_engines_nor_arrow_nor_rich(tmp_path: Path) -> None:
    loaded, out = loaded_by(["tag"], NOT_FOR_TAG, tmp_path, b'{"id": 1, "text": "$NVDA up 5%"}\n')
    assert orjson.loads(out)["mentions"][0]["symbol"] == "NVDA"
    assert loaded == []


def test_sentiment_loads_no_engine(tmp_path: Path) -> None:
    loaded, out = loaded_by(["sentiment"], HEAVY, tmp_path, b'{"id": 1, "text": "to the moon"}\n')
    assert orjson.loads(out)["label"] == "bullish"
    assert loaded == []


def test_tag_keeps_its_built_tagger_in_the_home_cache_folder(tmp_path: Path) -> None:
    loaded_by(["tag"], (), tmp_path, b'{"id": 1, "text": "$NVDA"}\n')
    assert [p.name.startswith("tagger-") for p in (tmp_path / "cache").iterdir()] == [True]


def test_the_help_lists_exactly_the_registered_sentiment_models() -> None:
    assert list(SENTIMENT_MODELS) == model_names()
