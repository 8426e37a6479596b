"""JSON Lines in, JSON Lines out, in constant memory: the shape of the text CLIs.

Each input line is ``{"id": ..., "text": ...}``. A line that is not such an
object is answered with ``{"id": null, "line": n, "error": "..."}`` so the
output keeps one line per input line and nothing is silently dropped; ``n``
counts physical lines (blank ones are skipped but counted). Ids come back
verbatim, integers beyond 64 bits included (orjson would read them as floats).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any

import orjson

BATCH = 1000


_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1


def read_records(lines: Iterable[bytes]) -> Iterator[tuple[int, Any, str | None, str | None]]:
    """(line number, id, text, error) per non-blank input line; text is None when it is bad."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, None, None, f"not JSON: {exc.msg}"
            continue
        if isinstance(record, dict) and isinstance(record.get("id"), float):
            record["id"] = _verbatim_id(line, record["id"])
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield (
                number,
                record.get("id") if isinstance(record, dict) else None,
                None,
                ('expected an object with a string "text"'),
            )
            continue
        yield number, record.get("id"), record["text"], None


def _verbatim_id(line: bytes, parsed: float) -> Any:
    """The id of ``line`` as written when it is an integer orjson cannot hold, else ``parsed``.

    Such an id comes back as an :class:`orjson.Fragment` of its digits, which
    ``orjson.dumps`` writes unchanged.
    """

    def integer(token: str) -> int | orjson.Fragment:
        value = int(token)
        return value if _INT64_MIN <= value <= _UINT64_MAX else orjson.Fragment(token)

    try:
        record = json.loads(line, parse_int=integer)
    except ValueError:
        return parsed
    return record.get("id", parsed) if isinstance(record, dict) else parsed


def process_jsonl(
    source: IO[bytes],
    sink: IO[bytes],
    answer: Callable[[list[str]], list[dict[str, Any]]],
) -> int:
    """Answer every input line in batches of :data:`BATCH`; returns lines written."""
    written = 0
    records = read_records(source)
    while batch := list(islice(records, BATCH)):
        good = [r for r in batch if r[2] is not None]
        answers = iter(answer([r[2] for r in good if r[2] is not None]))
        for number, record_id, text, error in batch:
            out = {"id": record_id, **next(answers)} if text is not None else {
                "id": record_id, "line": number, "error": error,
            }  # fmt: skip
            sink.write(orjson.dumps(out) + b"\n")
            written += 1
    sink.flush()
    return written
