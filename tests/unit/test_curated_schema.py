"""Curated files written before a column existed still read under today's schema."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from tickerpulse.domain import DOCUMENT_SCHEMA
from tickerpulse.jobs.aggregate import conform


def test_a_documents_file_from_before_provider_sentiment_reads_with_the_column_null() -> None:
    old_schema = pa.schema([f for f in DOCUMENT_SCHEMA if f.name != "provider_sentiment"])
    row = {
        "doc_id": "news:1", "kind": "news", "source": "news", "channel": "wire",
        "author_hash": None, "created_at": datetime(2026, 3, 2, 7, tzinfo=UTC), "title": "t",
        "text": "body", "url": None, "lang": "en", "engagement": 0,
    }  # fmt: skip
    old = pa.Table.from_pylist([row], schema=old_schema)
    read = conform(old, DOCUMENT_SCHEMA)
    assert read.schema == DOCUMENT_SCHEMA
    assert read.to_pylist() == [{**row, "provider_sentiment": None}]


def test_a_current_file_is_only_cast() -> None:
    table = DOCUMENT_SCHEMA.empty_table()
    assert conform(table, DOCUMENT_SCHEMA).equals(table)
