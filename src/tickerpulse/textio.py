"""JSON Lines in, JSON Lines out, in constant memory: the shape of the text CLIs.

Each input line is ``{"id": ..., "text": ...}`` with a string or numeric id. Ids
are written back exactly as given: a number keeps its literal spelling (an
integer beyond 64 bits stays that integer, ``1.50`` stays ``1.50``). A line
that is not such an object is answered, on stdout in its place, with
``{"id": <id or null>, "line": n, "error": "..."}``, so the output keeps one
line per non-blank input line and nothing is silently dropped. Line numbers
count every input line, blank ones included (blank lines get no answer).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import IO, Any, NamedTuple

import orjson

BATCH = 1000


class Record(NamedTuple):
    """One non-blank input line: its number, id and text, or why it cannot be answered."""

    line: int
    id: str | int | orjson.Fragment | None
    """A string id, an integer (read exactly), or another number as its literal JSON text;
    None when unusable."""
    text: str | None
    error: str | None


class _Literal(str):
    """A JSON number as written, kept by the standard parser's ``parse_int``/``parse_float``."""


def read_records(lines: Iterable[bytes]) -> Iterator[Record]:
    """One :class:`Record` per non-blank input line; text is None when the line is bad."""
    for number, line in enumerate(lines, start=1):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if line.strip():  # a blank line is no JSON either, and gets no answer
                yield Record(number, None, None, f"not JSON: {exc.msg}")
            continue
        if type(record) is dict:  # the usual line, answered without the checks below
            value, text = record.get("id"), record.get("text")
            if type(text) is str and (type(value) is str or (type(value) is int and value)):
                yield Record(number, value, text, None)
                continue
        if not isinstance(record, dict):
            yield Record(number, None, None, 'expected an object with "id" and "text"')
            continue
        record_id, id_error = _record_id(line, record)
        text = record.get("text")
        if id_error is not None or not isinstance(text, str):
            error = id_error or ('missing "text"' if text is None else '"text" must be a string')
            yield Record(number, record_id, None, error)
            continue
        yield Record(number, record_id, text, None)


def _record_id(line: bytes, record: dict[str, Any]) -> tuple[Any, str | None]:
    """The id to write back, and an error when there is no usable one."""
    if "id" not in record:
        return None, 'missing "id"'
    value = record["id"]
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, '"id" must be a string or a number'
    if type(value) is int and value != 0:  # orjson read it exactly; only "-0" would change
        return value, None
    # orjson reads big integers as floats and rewrites decimals: take the literal instead
    literal = json.loads(line, parse_int=_Literal, parse_float=_Literal)["id"]
    return orjson.Fragment(str(literal)), None


def process_jsonl(
    source: IO[bytes],
    sink: IO[bytes],
    answer: Callable[[list[str]], list[dict[str, Any]]],
) -> int:
    """Answer every input line in batches of :data:`BATCH`, flushing each; returns lines written."""
    written = 0
    dumps = orjson.dumps
    records = read_records(source)
    while batch := list(islice(records, BATCH)):
        answers = iter(answer([r.text for r in batch if r.text is not None]))
        out = []
        for number, record_id, text, error in batch:
            if text is not None:
                line = {"id": record_id, **next(answers)}
            else:
                line = {"id": record_id, "line": number, "error": error}
            out.append(dumps(line, option=orjson.OPT_APPEND_NEWLINE))
        sink.write(b"".join(out))
        sink.flush()
        written += len(batch)
    return written
