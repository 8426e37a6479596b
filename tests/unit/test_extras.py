"""A missing extra is one line saying what to install, never an ImportError traceback.

Each case hides the extra's modules (a ``None`` entry in ``sys.modules`` makes their
import fail), so the tests hold whether or not the extra is installed here.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tickerpulse.extras import EXTRAS, MissingExtra, require
from tickerpulse.lake import Lake

HIDE_AND_RUN = """
import sys
for name in {hidden!r}:
    sys.modules[name] = None
sys.argv = ["tickerpulse", *{args!r}]
from tickerpulse.cli import run
run()
"""


def tickerpulse_without(
    hidden: tuple[str, ...], args: list[str], home: Path, stdin: bytes = b"", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HIDE_AND_RUN.format(hidden=hidden, args=args)],
        input=stdin.decode(), capture_output=True, text=True, timeout=120,
        env={**os.environ, "TICKERPULSE_HOME": str(home), **env},
    )  # fmt: skip


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_each_extra_names_the_pip_and_the_uv_line(
    extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in EXTRAS[extra][1]:
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtra) as missing:
        require(extra)
    message = str(missing.value)
    assert "\n" not in message
    assert f"pip install 'tickerpulse[{extra}]'" in message
    assert f"uv sync --extra {extra}" in message


def test_engine_spark_without_pyspark_is_refused_in_one_line(tmp_path: Path) -> None:
    done = tickerpulse_without(("pyspark",), ["cycle", "run"], tmp_path, ENGINE="spark")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "ENGINE: Spark support is not installed: pip install 'tickerpulse[spark]'"
        " (in a checkout: uv sync --extra spark)"
    )
    assert done.stdout == ""


def test_the_minilm_model_without_its_extra_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    done = tickerpulse_without(
        ("tokenizers",), ["sentiment", "--model", "minilm-v1"], tmp_path,
        stdin=b'{"id": 1, "text": "to the moon"}\n',
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "Error: The minilm-v1 sentiment model is not installed:"
        " pip install 'tickerpulse[accurate]' (in a checkout: uv sync --extra accurate)\n"
    )


def test_a_lake_on_an_object_store_without_the_cloud_extra_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "gcsfs", None)
    with pytest.raises(MissingExtra, match=r"tickerpulse\[cloud\]"):
        Lake("gs://a-bucket/lake")
