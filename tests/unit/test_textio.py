import io
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from click.testing import Result
from typer.testing import CliRunner

from tickerpulse.cli import app
from tickerpulse.textio import BATCH, process_jsonl


def test_tag_command_answers_every_line_in_order() -> None:
    stdin = (
        b'{"id": 1, "text": "$AAPL and Bitcoin, EUR/USD weak"}\n'
        b"not json\n"
        b'{"id": "x", "text": "call IT support"}\n'
        b'{"id": 3}\n'
    )
    result = CliRunner().invoke(app, ["tag"], input=stdin)
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == [1, None, "x", 3]
    assert {(m["symbol"], m["class"]) for m in lines[0]["mentions"]} == {
        ("AAPL", "stock"),
        ("BTC", "crypto"),
        ("EURUSD", "fx"),
    }
    assert lines[1]["error"].startswith("not JSON") and lines[1]["line"] == 2
    assert lines[2]["mentions"] == []
    assert "text" in lines[3]["error"]


class WatchedSource(io.RawIOBase):
    """Yields numbered lines and records how much output existed when each was read."""

    def __init__(self, total: int, sink: io.BytesIO) -> None:
        self.total, self.sink, self.output_seen_at = total, sink, {}

    def __iter__(self) -> Iterator[bytes]:  # type: ignore[override]
        for n in range(self.total):
            self.output_seen_at[n] = self.sink.getvalue().count(b"\n")
            yield orjson.dumps({"id": n, "text": "x"}) + b"\n"


def test_output_flows_batch_by_batch_without_reading_everything_first() -> None:
    sink = io.BytesIO()
    source = WatchedSource(3 * BATCH, sink)
    written = process_jsonl(source, sink, lambda texts: [{"n": len(t)} for t in texts])  # type: ignore[arg-type]
    assert written == 3 * BATCH
    assert source.output_seen_at[2 * BATCH + 5] >= BATCH  # earlier batches were already out


class CountingSink(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushed_at: list[int] = []

    def flush(self) -> None:
        self.flushed_at.append(self.getvalue().count(b"\n"))
        super().flush()


def test_each_batch_is_flushed_as_soon_as_it_is_answered() -> None:
    sink = CountingSink()
    source = io.BytesIO(b"".join(orjson.dumps({"id": n, "text": "x"}) + b"\n" for n in range(2500)))
    process_jsonl(source, sink, lambda texts: [{} for _ in texts])
    assert sink.flushed_at == [BATCH, 2 * BATCH, 2500]


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    (message,) = result.stderr.strip().splitlines()
    return message


def test_tag_of_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["tag", str(tmp_path / "nope.jsonl")])
    message = one_line_error(result)
    assert "nope.jsonl" in message and "No such file" in message


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        (None, "No such file"),
        ("asset_id,symbol\nstock:ZZZ,ZZZ\n", "line 1: missing column asset_class"),
        ("asset_id,symbol\n", "line 1: missing column asset_class"),
        ("asset_id,symbol,asset_class,name\nstock:ZZZ,,stock,Zed\n", "line 2: empty symbol"),
        (
            "asset_id,symbol,asset_class,name\nstock:ZZZ,ZZZ,stonk,Zed\n",
            "line 2: unknown asset_class 'stonk'",
        ),
        (b"asset_id,symbol,asset_class,name\n\xff\xfe\n", "not UTF-8"),
    ],
)
def test_a_bad_universe_extra_file_is_a_one_line_error_naming_the_file_and_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    csv_text: str | bytes | None,
    expected: str,
) -> None:
    extra = tmp_path / "extra.csv"
    if isinstance(csv_text, str):
        extra.write_text(csv_text)
    elif csv_text is not None:
        extra.write_bytes(csv_text)
    monkeypatch.setenv("UNIVERSE_EXTRA", str(extra))
    result = CliRunner().invoke(app, ["tag"], input=b'{"id": 1, "text": "$AAPL"}\n')
    message = one_line_error(result)
    assert message.startswith(f"Error: UNIVERSE_EXTRA {extra}") and expected in message


def test_tag_keeps_integer_ids_beyond_64_bits_verbatim() -> None:
    ids = [b"123456789012345678901234567890", b"18446744073709551616", b"-9223372036854775809"]
    stdin = b"".join(b'{"id": ' + i + b', "text": "$AAPL"}\n' for i in ids)
    stdin += b'{"id": 18446744073709551615, "text": "x"}\n{"id": 1.5, "text": "x"}\n'
    result = CliRunner().invoke(app, ["tag"], input=stdin)
    assert result.exit_code == 0, result.output
    out = result.stdout_bytes.splitlines()
    for raw_id, line in zip(ids, out, strict=False):
        assert line.startswith(b'{"id":' + raw_id + b",")
    assert [orjson.loads(line)["id"] for line in out[3:]] == [18446744073709551615, 1.5]


def test_integer_ids_in_64_bits_and_minus_zero_come_back_as_written() -> None:
    ids = [b"0", b"-0", b"7", b"-7", b"18446744073709551615", b"-9223372036854775808", b"1e3"]
    stdin = b"".join(b'{"id": ' + i + b', "text": "$AAPL"}\n' for i in ids)
    result = CliRunner().invoke(app, ["tag"], input=stdin)
    assert result.exit_code == 0, result.output
    written = [line.split(b",")[0] for line in result.stdout_bytes.splitlines()]
    assert written == [b'{"id":' + i for i in ids]


def test_error_lines_are_numbered_by_physical_line_blank_ones_included() -> None:
    stdin = b'{"id": 1, "text": "a"}\n\n   \nnot json\n'
    result = CliRunner().invoke(app, ["tag"], input=stdin)
    lines = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2 and lines[1]["line"] == 4
