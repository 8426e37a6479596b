"""Everything a cycle touches, built once at start-up and handed to each stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from tickerpulse.enrich.sanitize import DEFAULT_MAX_TEXT_CHARS
from tickerpulse.enrich.sentiment import LabelBands, SentimentModel
from tickerpulse.enrich.tagger import Tagger
from tickerpulse.lake import Lake, LakeLayout
from tickerpulse.platform.alert_delivery import AlertDelivery
from tickerpulse.sources.base import Source
from tickerpulse.universe import Universe


@dataclass(frozen=True)
class CycleContext:
    """The lake, the database, the enabled sources and the enrichment models."""

    lake: Lake
    engine: Engine
    sources: Mapping[str, Source]
    universe: Universe
    tagger: Tagger
    sentiment: SentimentModel
    bands: LabelBands = field(default_factory=LabelBands)
    compute: str = "duckdb"
    """The aggregation engine (``ENGINE``): ``duckdb`` or ``spark``."""
    price_sources: tuple[str, ...] = ("prices",)
    """Price sources in order of preference (``PRICE_SOURCES`` setting)."""
    layout: LakeLayout = field(default_factory=LakeLayout)
    alerts: AlertDelivery = field(default_factory=AlertDelivery)
    """Whose alert rules run after publish (the tier matrix) and the URL e-mails link to."""
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    """Longest title or text kept (``MAX_TEXT_CHARS``); longer documents are quarantined."""
    republishing_until: datetime | None = None
    """Set by a backfill publishing a range oldest first: the range's last window, whose
    predecessors in the range are published next anyway, so a publish skips refreshing
    their attention (:func:`tickerpulse.jobs.insights.publish_insights`)."""
