"""Land stage: fetch every enabled source since its cursor and store the pages untouched.

Each page becomes one gzipped JSON-lines part whose name is derived from the
cursor it was fetched from, so re-fetching after a crash overwrites the same
part instead of adding a duplicate. The cursor is saved only after the part
is durable. One failing source is recorded and does not stop the others.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import structlog

from tickerpulse.db.state import load_cursor, save_cursor
from tickerpulse.domain import Window
from tickerpulse.jobs.context import CycleContext
from tickerpulse.sources.base import Cursor

log = structlog.get_logger(__name__)


def land_sources(ctx: CycleContext, window: Window) -> dict[str, Any]:
    """Land all sources for the cycle of ``window``; returns counts per source."""
    counts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, source in ctx.sources.items():
        cursor = load_cursor(ctx.engine, name)
        landed = 0
        pages = source.fetch(cursor, until=window.end)
        while True:
            try:
                page = next(pages)
            except StopIteration:
                break
            except Exception as exc:  # one source's failure must not stop the others
                errors[name] = f"{type(exc).__name__}: {exc}"
                log.error("source failed", source=name, error=errors[name], landed=landed)
                break
            # a lake or database failure is not the source's: it fails the stage, to be retried
            if page.lines:
                path = ctx.layout.raw_dir(name, window.date, window.key)
                ctx.lake.write_jsonl_gz(f"{path}/{_part_name(cursor)}", page.lines)
                landed += len(page.lines)
            save_cursor(ctx.engine, name, page.cursor)
            cursor = page.cursor
        counts[name] = landed
        log.debug("landed", source=name, lines=landed, window=window.key)
    if errors:
        counts["errors"] = errors
    return counts


def _part_name(since: Cursor) -> str:
    digest = hashlib.sha1(orjson.dumps(since, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return f"part-{digest[:12]}.jsonl.gz"
