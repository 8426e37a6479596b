"""`tickerpulse sentiment` (and the JSON Lines reader it shares with `tickerpulse tag`)."""

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from tickerpulse.cli import app
from tickerpulse.enrich.sentiment import DEFAULT_MODEL, model_names

BIG = "123456789012345678901234567890"  # beyond 64 bits: orjson alone would make it a float


def run(args: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> list[dict]:
    result = CliRunner().invoke(app, args, input=stdin, env=env)
    assert result.exit_code == 0, result.output
    return [orjson.loads(line) for line in result.stdout.splitlines()]


def test_scores_each_line_with_label_and_model_version() -> None:
    stdin = b'{"id": "a", "text": "Strong buy, breakout to the moon"}\n'
    stdin += b'{"id": "b", "text": "fraud probe, shares crash"}\n'
    assert {line["model"] for line in run(["sentiment"], stdin)} == {DEFAULT_MODEL}
    lines = run(["sentiment", "--model", "lexicon-v1"], stdin)
    assert [(line["id"], line["model"]) for line in lines] == [
        ("a", "lexicon-v1"),
        ("b", "lexicon-v1"),
    ]
    assert lines[0]["score"] > 0.5 and lines[0]["label"] == "bullish"
    assert lines[1]["score"] < -0.5 and lines[1]["label"] == "bearish"
    assert "flags" not in lines[0] and "mentions" not in lines[0]


def test_ids_come_back_exactly_as_given() -> None:
    stdin = (
        f'{{"id": {BIG}, "text": "x"}}\n{{"id": -{BIG}, "text": "x"}}\n'
        '{"id": 1.50, "text": "x"}\n{"id": 7, "text": "x"}\n{"id": "007", "text": "x"}\n'
    ).encode()
    for command in ("sentiment", "tag"):
        result = CliRunner().invoke(app, [command], input=stdin)
        ids = [line.split(b",")[0] for line in result.stdout_bytes.splitlines()]
        assert ids == [
            f'{{"id":{BIG}'.encode(), f'{{"id":-{BIG}'.encode(), b'{"id":1.50', b'{"id":7',
            b'{"id":"007"',
        ]  # fmt: skip


def test_a_bad_line_gets_an_error_with_its_line_number_counting_blank_lines() -> None:
    stdin = (
        b'{"id": 1, "text": "good"}\n'
        b"\n"
        b"not json\n"
        b'{"id": 2}\n'
        b'{"id": 3, "text": 42}\n'
        b'{"text": "no id"}\n'
        b'{"id": {"a": 1}, "text": "x"}\n'
        b"[1, 2]\n"
        b'{"id": 4, "text": "still going"}\n'
    )
    lines = run(["sentiment"], stdin)
    errors = [(line.get("line"), line.get("error")) for line in lines]
    assert errors[1][0] == 3 and errors[1][1].startswith("not JSON")
    assert errors[:1] + errors[2:] == [
        (None, None),
        (4, 'missing "text"'),
        (5, '"text" must be a string'),
        (6, 'missing "id"'),
        (7, '"id" must be a string or a number'),
        (8, 'expected an object with "id" and "text"'),
        (None, None),
    ]
    assert [line["id"] for line in lines] == [1, None, 2, 3, None, None, None, 4]


def test_odd_texts_are_neutral_with_flags() -> None:
    stdin = orjson.dumps({"id": 1, "text": ""}) + b"\n"
    stdin += orjson.dumps({"id": 2, "text": "bullish \x00\x01\x02\x03"}) + b"\n"
    stdin += orjson.dumps({"id": 3, "text": "el mercado de la bolsa está muy bien hoy"}) + b"\n"
    stdin += orjson.dumps({"id": 4, "text": "bullish " * 5000}) + b"\n"
    lines = run(["sentiment"], stdin)
    assert [line.get("flags") for line in lines] == [
        ["empty"], ["binary"], ["non-english"], ["huge"],
    ]  # fmt: skip
    assert [line["label"] for line in lines[:3]] == ["neutral"] * 3
    assert lines[3]["label"] == "bullish"


def test_mentions_list_each_asset_with_its_span_and_score() -> None:
    text = "took profits on $TSLA, loading Bitcoin"
    stdin = orjson.dumps({"id": 9, "text": text}) + b"\n"
    lines = run(["sentiment", "--mentions", "--model", "lexicon"], stdin)
    mentions = {m["symbol"]: m for m in lines[0]["mentions"]}
    assert set(mentions) == {"TSLA", "BTC"}
    assert [text[m["start"] : m["end"]] for m in mentions.values()] == ["$TSLA", "Bitcoin"]
    assert mentions["TSLA"]["asset_id"] == "stock:TSLA"
    assert {m["score"] for m in mentions.values()} == {lines[0]["score"]}  # lexicon: the text's


def test_model_option_and_setting_choose_the_model() -> None:
    stdin = b'{"id": 1, "text": "buy"}\n'
    assert run(["sentiment", "--model", "lexicon"], stdin)[0]["model"] == "lexicon-v1"
    result = CliRunner().invoke(app, ["sentiment", "--model", "nope"], input=stdin)
    assert result.exit_code == 2
    assert "unknown sentiment model 'nope'" in result.stderr
    result = CliRunner().invoke(app, ["sentiment"], input=stdin, env={"SENTIMENT_MODEL": "nope"})
    assert result.exit_code == 2 and "SENTIMENT_MODEL" in result.stderr
    assert "lexicon-v1" in CliRunner().invoke(app, ["sentiment", "--help"]).stdout


@pytest.mark.parametrize("command", ["sentiment", "tag"])
def test_a_missing_file_is_one_line_and_exit_2(command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [command, str(tmp_path / "absent.jsonl")])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "absent.jsonl" in result.stderr
    assert "Traceback" not in result.output


def test_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "f", "text": "great quarter"}\n')
    assert run(["sentiment", str(path)])[0]["id"] == "f"


@pytest.mark.parametrize(
    "args",
    [
        ["cycle", "run"],
        ["cycle", "backfill", "--from", "2026-03-02", "--to", "2026-03-03", "--rescore"],
    ],
)
def test_an_unknown_sentiment_model_stops_cycle_commands_before_anything_starts(
    args: list[str], tmp_path: Path
) -> None:
    env = {"SENTIMENT_MODEL": "nope", "TICKERPULSE_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"SENTIMENT_MODEL: unknown sentiment model 'nope': choose one of {model_names()}"
    )
    assert not (tmp_path / "home").exists()


def test_the_default_model_scores_each_mention_on_its_own() -> None:
    text = "took profits on $TSLA, loading $NVDA"
    lines = run(["sentiment", "--mentions"], orjson.dumps({"id": 1, "text": text}) + b"\n")
    scores = {m["symbol"]: m["score"] for m in lines[0]["mentions"]}
    assert set(scores) == {"TSLA", "NVDA"} and lines[0]["model"] == DEFAULT_MODEL
    assert scores["TSLA"] != scores["NVDA"]
