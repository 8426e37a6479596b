"""Where each kind of file lives in the lake, as pure path arithmetic.

::

    raw/source=<s>/date=<d>/run=<run>/part-<n>.jsonl.gz   untouched provider records
    quarantine/run=<run>/<stage>-<source>.jsonl            bad input, with the reason
    curated/<table>/date=<d>/run=<run>.parquet             documents, mentions, sentiment, prices
    aggregates/<name>/window=<key>.parquet                  per-window aggregates before publish
    results/date=<d>/hour=<hh>/asset=<symbol>.csv           the per-asset CSV of each window
    live/bars/date=<d>/part-<name>.parquet                  closed bars of the live stream
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tickerpulse.domain import Window


@dataclass(frozen=True)
class LakeLayout:
    """Paths relative to the lake root."""

    def raw_dir(self, source: str, day: date, run_id: str) -> str:
        """Folder of one source's landing for one run."""
        return f"raw/source={source}/date={day.isoformat()}/run={run_id}"

    def raw_part(self, source: str, day: date, run_id: str, part: int) -> str:
        """One gzipped JSON-lines part of a landing."""
        return f"{self.raw_dir(source, day, run_id)}/part-{part:04d}.jsonl.gz"

    def quarantine(self, run_id: str, stage: str, source: str) -> str:
        """The quarantine file of one stage and source in one run."""
        return f"quarantine/run={run_id}/{stage}-{source}.jsonl"

    def curated(self, table: str, day: date, run_id: str) -> str:
        """Curated rows of one table, created on ``day``, produced by one run."""
        return f"curated/{table}/date={day.isoformat()}/run={run_id}.parquet"

    def curated_day_dir(self, table: str, day: date) -> str:
        """Folder of every run's curated rows of one table for one day."""
        return f"curated/{table}/date={day.isoformat()}"

    def aggregate(self, name: str, window: Window) -> str:
        """One aggregate table of one window."""
        return f"aggregates/{name}/window={window.key}.parquet"

    def result_csv(self, window: Window, symbol: str) -> str:
        """The per-asset CSV of one window (the seed's literal output)."""
        safe = symbol.replace("/", "-")
        return f"results/date={window.date.isoformat()}/hour={window.start:%H}/asset={safe}.csv"

    def live_bars(self, day: date, name: str) -> str:
        """One Parquet part of closed live bars whose bars start on ``day``."""
        return f"live/bars/date={day.isoformat()}/part-{name}.parquet"
