"""Search, sorting, history ranges and CSV cells: the pure rules behind the site's tables."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tickerpulse.explore.csv_export import CsvColumn, csv_chunks, neutralise
from tickerpulse.explore.ranges import resolve_range
from tickerpulse.explore.search import AssetSearch
from tickerpulse.explore.sorting import Column, SortLinks, TableSpec, choose, sort_rows
from tickerpulse.universe import load_universe

SEARCH = AssetSearch(load_universe())


def _first(query: str) -> str:
    return SEARCH.search(query)[0].asset_id


def test_search_finds_symbols_names_and_aliases_best_first() -> None:
    assert _first("nvda") == "stock:NVDA"
    assert _first("nvidia") == "stock:NVDA"
    assert _first("sol") == "crypto:SOL"
    assert _first("EUR/USD") == "fx:EURUSD"
    assert "fx:EURUSD" in [h.asset_id for h in SEARCH.search("euro dollar")]
    assert _first("bitcoin") == "crypto:BTC"


def test_search_of_nothing_or_noise_finds_nothing_and_long_text_is_cut() -> None:
    assert SEARCH.search("") == [] and SEARCH.search("  !!  ") == []
    assert SEARCH.search("zzqqxxv") == []
    assert SEARCH.search("a" * 10_000) == []
    assert len(SEARCH.search("a", limit=5)) == 5


@dataclass(frozen=True)
class Row:
    name: str
    value: float | None


SPEC = TableSpec("t", (Column("name", "Name", lambda r: r.name, numeric=False),
                       Column("value", "Value", lambda r: r.value)))  # fmt: skip
ROWS = [Row("b", 2.0), Row("a", None), Row("C", 1.0)]


def test_sorting_orders_by_a_column_with_missing_values_last_both_ways() -> None:
    up = sort_rows(SPEC, ROWS, choose(SPEC, "value", "asc"))
    down = sort_rows(SPEC, ROWS, choose(SPEC, "value", "desc"))
    assert [r.name for r in up] == ["C", "b", "a"]
    assert [r.name for r in down] == ["b", "C", "a"]
    assert [r.name for r in sort_rows(SPEC, ROWS, choose(SPEC, "name", None))] == ["a", "b", "C"]


def test_an_unknown_or_hostile_sort_column_keeps_the_order_and_says_why() -> None:
    for hostile in ("value; DROP TABLE asset--", "__class__", "rank' OR 1=1", "x" * 5000):
        choice = choose(SPEC, hostile, "desc")
        assert choice.column is None and choice.message and "There is no column" in choice.message
        assert len(choice.message) < 200
        assert sort_rows(SPEC, ROWS, choice) == ROWS
    assert choose(SPEC, "value", "sideways").descending  # a bad direction: the natural one


def test_sort_links_flip_the_current_column_and_keep_the_filters() -> None:
    links = SortLinks(SPEC, choose(SPEC, "value", "desc"), (("class", "crypto"),), "/")
    assert links.href("value") == "/?class=crypto&sort=value&dir=asc"
    assert links.href("name") == "/?class=crypto&sort=name&dir=asc"
    assert links.aria("value") == "descending" and links.aria("name") is None
    assert links.query() == "class=crypto&sort=value&dir=desc"


def test_ranges_follow_the_plan_and_a_free_reader_gets_seven_days_and_a_note() -> None:
    free = resolve_range("90d", ranges=False, custom=False)
    assert free.key == "7d" and free.note and "Pro" in free.note
    assert resolve_range(None, ranges=False, custom=False).note is None
    assert resolve_range("1y", ranges=True, custom=False).key == "1y"
    pro_custom = resolve_range("90d", "2026-01-01", "2026-02-01", ranges=True, custom=False)
    assert pro_custom.key == "90d" and pro_custom.note and "Premium" in pro_custom.note
    premium = resolve_range(None, "2026-01-01", "2026-02-01", ranges=True, custom=True)
    assert (premium.key, premium.start, premium.end) == (
        "custom",
        date(2026, 1, 1),
        date(2026, 2, 1),
    )
    assert resolve_range("5y", ranges=True, custom=True).note


def test_huge_and_broken_custom_ranges_are_clamped_or_refused_with_a_note() -> None:
    latest = datetime(2026, 3, 3, 12, tzinfo=UTC)
    huge = resolve_range(None, "0001-01-01", "9999-12-31", ranges=True, custom=True)
    since, until = huge.bounds(latest)
    assert since == datetime(2000, 1, 1, tzinfo=UTC) and until == latest
    for start, end in (("yesterday", None), ("2026-02-30", None), ("2026-03-01", "2026-01-01")):
        broken = resolve_range(None, start, end, ranges=True, custom=True)
        assert broken.key == "30d" and broken.note


def test_csv_neutralises_formulas_but_keeps_negative_numbers() -> None:
    rows = [{"t": "=HYPERLINK(\"http://evil\")", "n": -1.5}, {"t": "+1", "n": None},
            {"t": "-2+3", "n": 2}, {"t": "@SUM(A1)", "n": 0.1}, {"t": "\tx", "n": 1}]  # fmt: skip
    columns = [CsvColumn("text", lambda r: r["t"]), CsvColumn("number (%)", lambda r: r["n"])]
    text = "".join(csv_chunks(columns, rows, chunk_rows=2))
    read = list(csv.reader(io.StringIO(text)))
    assert read[0] == ["text", "number (%)"]
    assert [r[0][0] for r in read[1:]] == ["'"] * 5
    assert [r[1] for r in read[1:]] == ["-1.5", "", "2", "0.1", "1"]
    assert neutralise("plain") == "plain"
