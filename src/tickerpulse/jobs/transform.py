"""Normalize and enrich stages: raw landings → curated documents, mentions, sentiment.

A raw part that does not decode to its end gives the lines before the damage;
the rest is quarantined with the reason and counted (``damaged_files``).

Curated files are partitioned by the date a document was created (a window
never spans midnight, so the aggregate stage reads one date) and named after
the run that produced them, so re-running a window rewrites the same files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import structlog

from tickerpulse.domain import PRICE_SOURCES, TEXT_SOURCES, Window
from tickerpulse.enrich.batch import enrich_documents
from tickerpulse.enrich.normalize import (
    QUARANTINE_LINE_LIMIT,
    NormalizedBatch,
    Quarantined,
    normalize_documents,
    normalize_prices,
)
from tickerpulse.jobs.context import CycleContext
from tickerpulse.lake.store import DamagedFile

log = structlog.get_logger(__name__)

_SOURCE_DIR = re.compile(r"raw/source=([^/]+)/")


def normalize_run(ctx: CycleContext, window: Window) -> dict[str, Any]:
    """Normalize every raw part landed by the run of ``window``; quarantine bad lines."""
    by_source: dict[str, list[str]] = {}
    for part in ctx.lake.glob(f"raw/source=*/date={window.date}/run={window.key}/*.jsonl.gz"):
        match = _SOURCE_DIR.match(part)
        if match:
            by_source.setdefault(match.group(1), []).append(part)
    documents: list[pa.Table] = []
    prices: list[pa.Table] = []
    counts: dict[str, Any] = {}
    for source, parts in sorted(by_source.items()):
        batches: list[NormalizedBatch] = []
        damaged: dict[str, DamagedFile] = {}  # by path: a source of both kinds reads it twice
        if source in PRICE_SOURCES:
            batches.append(normalize_prices(source, _lines(ctx, parts, damaged)))
            prices.append(batches[-1].table)
        if source in TEXT_SOURCES:
            lines = _lines(ctx, parts, damaged)
            batches.append(normalize_documents(source, lines, max_text_chars=ctx.max_text_chars))
            documents.append(batches[-1].table)
        if not batches:
            raise ValueError(f"landed data of unknown source {source!r}")
        quarantined = [q for batch in batches for q in batch.quarantined]
        quarantined += [_damage_quarantine(source, d) for d in damaged.values()]
        _write_quarantine(ctx, window, source, quarantined)
        counts[source] = _batch_counts(batches, damaged=len(damaged))
    written = _write_by_date(ctx, "documents", window, documents, "created_at")
    written += _write_by_date(ctx, "prices", window, prices, "ts")
    counts["files"] = written
    counts["quarantined"] = sum(c["quarantined"] for c in counts.values() if isinstance(c, dict))
    return counts


def enrich_run(ctx: CycleContext, window: Window) -> dict[str, Any]:
    """Tag assets and score sentiment for the documents the run of ``window`` normalized.

    Counts include how many documents each sentiment flag marked (empty, binary,
    non-English texts: neutral; huge ones: scored on a prefix).
    """
    mentions = scored = 0
    flags: dict[str, int] = {}
    _remove_stale(ctx, ("mentions", "sentiment"), window, keep=set())
    enrich = enrich_documents
    if ctx.compute == "spark":
        from tickerpulse.jobs.engines.spark import enrich_on_spark as enrich
    for path in ctx.lake.glob(f"curated/documents/date=*/run={window.key}.parquet"):
        day = date.fromisoformat(path.split("date=")[1][:10])
        enriched = enrich(ctx.tagger, ctx.sentiment, ctx.bands, ctx.lake.read_parquet(path))
        ctx.lake.write_parquet(ctx.layout.curated("mentions", day, window.key), enriched.mentions)
        ctx.lake.write_parquet(ctx.layout.curated("sentiment", day, window.key), enriched.sentiment)
        mentions += enriched.mentions.num_rows
        scored += enriched.sentiment.num_rows
        for flag, count in enriched.flag_counts().items():
            flags[flag] = flags.get(flag, 0) + count
    return {
        "documents": scored,
        "mentions": mentions,
        "sentiment_model": ctx.sentiment.version,
        "flags": flags,
    }


def _lines(ctx: CycleContext, parts: list[str], damaged: dict[str, DamagedFile]) -> Iterator[bytes]:
    def note(damage: DamagedFile) -> None:
        damaged[damage.path] = damage
        log.warning(
            "damaged lake file", path=damage.path, error=damage.error, kept=damage.lines_kept
        )

    for part in parts:
        yield from ctx.lake.read_jsonl_gz(part, on_damage=note)


def _damage_quarantine(source: str, damage: DamagedFile) -> Quarantined:
    """The unreadable rest of a damaged part as one quarantined line (its cut-off tail)."""
    reason = f"damaged lake file {damage.path}: {damage.error}; {damage.lines_kept} lines kept"
    text = damage.tail[:QUARANTINE_LINE_LIMIT].decode("utf-8", errors="replace")
    return Quarantined(source=source, reason=reason, line=text)


def _batch_counts(batches: list[NormalizedBatch], *, damaged: int) -> dict[str, int]:
    # a damaged file's lost rest counts as one line, quarantined
    return {
        "lines": sum(b.lines for b in batches) + damaged,
        "rows": sum(b.table.num_rows for b in batches),
        "quarantined": sum(len(b.quarantined) for b in batches) + damaged,
        "duplicates": sum(b.duplicates for b in batches),
        "sanitized": sum(b.sanitized for b in batches),
        "damaged_files": damaged,
    }


def _write_quarantine(
    ctx: CycleContext, window: Window, source: str, items: list[Quarantined]
) -> None:
    path = ctx.layout.quarantine(window.key, "normalize", source)
    if not items:
        ctx.lake.remove(path)
        return
    lines = (orjson.dumps({"reason": q.reason, "line": q.line}) for q in items)
    ctx.lake.write_bytes(path, b"\n".join(lines) + b"\n")
    log.info("quarantined", source=source, count=len(items), path=path)


def _write_by_date(
    ctx: CycleContext, table_name: str, window: Window, tables: list[pa.Table], ts_column: str
) -> int:
    """Split rows by the UTC date of ``ts_column`` and write one file per date."""
    written: set[str] = set()
    if tables:
        table = pa.concat_tables(tables)
        days = pc.strftime(table.column(ts_column), format="%Y-%m-%d")
        for day in sorted(set(days.to_pylist())):
            part = table.filter(pc.equal(days, day))
            path = ctx.layout.curated(table_name, date.fromisoformat(day), window.key)
            ctx.lake.write_parquet(path, part)
            written.add(path)
    _remove_stale(ctx, (table_name,), window, keep=written)
    return len(written)


def _remove_stale(
    ctx: CycleContext, table_names: tuple[str, ...], window: Window, keep: set[str]
) -> None:
    """Drop files an earlier attempt of this run wrote that this attempt does not."""
    for name in table_names:
        for path in ctx.lake.glob(f"curated/{name}/date=*/run={window.key}.parquet"):
            if path not in keep:
                ctx.lake.remove(path)
