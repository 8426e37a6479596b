import io
from collections.abc import Iterator

import orjson
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
