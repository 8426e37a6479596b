"""Per-mention sentiment from the tagger's spans to the per-asset aggregates."""

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from tickerpulse.domain import DOCUMENT_SCHEMA, MENTION_SCHEMA, PRICE_BAR_SCHEMA, Window
from tickerpulse.enrich.batch import Enriched, enrich_documents, pack, unpack
from tickerpulse.enrich.sentiment import LabelBands, LexiconModel, SentimentModel, Span
from tickerpulse.enrich.tagger import Tagger, document_texts
from tickerpulse.jobs.aggregate import conform
from tickerpulse.jobs.engines.duckdb import aggregate_window
from tickerpulse.lake.window_data import WindowInputs, price_priority_table
from tickerpulse.universe import load_universe

WINDOW = Window.containing(datetime(2026, 3, 2, 7, tzinfo=UTC))
MIXED = "took profits on $TSLA, loading $NVDA"


class StanceModel:
    """Bearish on a mention after 'profits', bullish after 'loading'; neutral text score."""

    version = "stance-test-v0"

    def score(self, texts: Sequence[str]) -> list[float]:
        return [0.0 for _ in texts]

    def score_mentions(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> list[list[float]]:
        def stance(text: str, span: Span) -> float:
            before = text[max(0, span[0] - 12) : span[0]]
            return 0.8 if "loading" in before else -0.8 if "profits" in before else 0.0

        return [[stance(t, s) for s in found] for t, found in zip(texts, spans, strict=True)]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_universe())


def documents(*rows: tuple[str, str | None, str]) -> pa.Table:
    created = WINDOW.start.replace(hour=8)
    return pa.Table.from_pylist(
        [
            {"doc_id": doc_id, "kind": "post", "source": "reddit", "channel": "stocks",
             "author_hash": doc_id, "created_at": created, "title": title, "text": text,
             "url": None, "lang": "en", "engagement": 0, "provider_sentiment": None}
            for doc_id, title, text in rows
        ],
        schema=DOCUMENT_SCHEMA,
    )  # fmt: skip


def aggregate(docs: pa.Table, enriched: Enriched) -> dict[str, dict]:
    def with_run(table: pa.Table) -> pa.Table:
        return table.append_column("run_id", pa.array(["r1"] * table.num_rows))

    inputs = WindowInputs(
        documents=with_run(docs),
        sentiment=with_run(enriched.sentiment),
        mentions=with_run(enriched.mentions),
        prices=with_run(PRICE_BAR_SCHEMA.empty_table()),
        price_priority=price_priority_table(["prices"]),
    )
    stats = aggregate_window(inputs, WINDOW).asset_window.to_pylist()
    return {r["asset_id"]: r for r in stats if r["source_class"] == "all"}


def test_spans_point_at_what_was_written_in_the_title_and_body(tagger: Tagger) -> None:
    docs = documents(("a", "Tesla recalls cars", "but $NVDA and Tesla rally"), ("b", None, MIXED))
    texts = document_texts(docs)
    mentions = tagger.tag(docs.column("doc_id").to_pylist(), texts).to_pylist()
    written = {
        (m["doc_id"], m["asset_id"]): texts[0 if m["doc_id"] == "a" else 1][
            m["span_start"] : m["span_end"]
        ]
        for m in mentions
    }
    assert written == {
        ("a", "stock:TSLA"): "Tesla",  # the first occurrence, in the title
        ("a", "stock:NVDA"): "$NVDA",
        ("b", "stock:TSLA"): "$TSLA",
        ("b", "stock:NVDA"): "$NVDA",
    }
    assert {m["score"] for m in mentions} == {None}


def test_a_per_mention_model_gives_each_asset_its_own_sentiment_in_the_aggregates(
    tagger: Tagger,
) -> None:
    docs = documents(("b", None, MIXED))
    enriched = enrich_documents(tagger, StanceModel(), LabelBands(), docs)
    scores = {m["asset_id"]: (m["score"], m["label"]) for m in enriched.mentions.to_pylist()}
    assert scores == {"stock:TSLA": (-0.8, "bearish"), "stock:NVDA": (0.8, "bullish")}
    stats = aggregate(docs, enriched)
    assert stats["stock:TSLA"]["sentiment_mean"] == pytest.approx(-0.8)
    assert stats["stock:TSLA"]["bear_share"] == 1.0
    assert stats["stock:NVDA"]["sentiment_mean"] == pytest.approx(0.8)
    assert stats["stock:NVDA"]["bull_share"] == 1.0
    assert {s["sentiment_model"] for s in stats.values()} == {"stance-test-v0"}


def test_with_the_lexicon_every_mention_has_its_documents_score(tagger: Tagger) -> None:
    docs = documents(("a", "Tesla recalls cars", "but $NVDA and Tesla rally"), ("b", None, MIXED))
    enriched = enrich_documents(tagger, LexiconModel(), LabelBands(), docs)
    by_doc = {r["doc_id"]: r["score"] for r in enriched.sentiment.to_pylist()}
    assert enriched.mentions.num_rows == 4
    assert all(m["score"] == by_doc[m["doc_id"]] for m in enriched.mentions.to_pylist())


def test_old_mention_files_without_scores_take_the_documents_score(tagger: Tagger) -> None:
    docs = documents(("b", None, MIXED))
    enriched = enrich_documents(tagger, StanceModel(), LabelBands(), docs)
    old_schema = pa.schema([MENTION_SCHEMA.field(n) for n in ("doc_id", "asset_id", "method")])
    old = enriched.mentions.select(["doc_id", "asset_id", "method"]).cast(old_schema)
    old = old.append_column("relevance", pa.array([1.0] * old.num_rows))
    read = conform(old, MENTION_SCHEMA)
    assert read.column("score").null_count == read.num_rows
    stats = aggregate(docs, Enriched(read, enriched.sentiment, enriched.per_document))
    assert stats["stock:TSLA"]["sentiment_mean"] == 0.0  # the document's (neutral) score


def test_a_window_scored_by_two_model_versions_says_mixed(tagger: Tagger) -> None:
    docs = documents(("a", None, "$NVDA strong"), ("b", None, "$NVDA weak"))
    enriched = enrich_documents(tagger, LexiconModel(), LabelBands(), docs)
    models = pa.array(["lexicon-v1", "lexicon-v0"])
    sentiment = enriched.sentiment.set_column(3, "model", models)
    stats = aggregate(docs, Enriched(enriched.mentions, sentiment, enriched.per_document))
    assert stats["stock:NVDA"]["sentiment_model"] == "mixed"


def test_pack_and_unpack_give_back_both_tables(tagger: Tagger) -> None:
    docs = documents(("a", None, "nothing here"), ("b", None, MIXED), ("c", None, ""))
    model: SentimentModel = StanceModel()
    enriched = enrich_documents(tagger, model, LabelBands(), docs)
    again = unpack(pack(enriched))
    assert again.mentions.equals(enriched.mentions)
    assert again.sentiment.equals(enriched.sentiment)
    assert again.per_document == [0, 2, 0]
    assert enriched.flag_counts() == {"empty": 1}
