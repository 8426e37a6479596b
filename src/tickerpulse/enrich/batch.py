"""Enrich one batch of documents: asset mentions with their own sentiment, and each text's.

The tagger finds each mention and the span of its first occurrence in the text
(title + newline + body, :func:`~tickerpulse.enrich.tagger.document_texts`); the
sentiment model scores the text once and, when it can, each mention span on its
own; spam posts are flagged (:mod:`tickerpulse.enrich.spam`). Pure, so any slice
of documents can run anywhere: the Spark engine runs the same function on
executors, packing both outputs into one table (:func:`pack`) and unpacking
them on the driver (:func:`unpack`). Repeated texts are found within the slice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pyarrow as pa
import pyarrow.compute as pc

from tickerpulse.domain import MENTION_SCHEMA, SENTIMENT_SCHEMA
from tickerpulse.enrich.sentiment import LabelBands, SentimentModel, score_texts
from tickerpulse.enrich.sentiment.scoring import sentiment_table
from tickerpulse.enrich.spam import SPAM_FLAG, detect_spam
from tickerpulse.enrich.tagger import Tagger, document_texts, mention_table

_MENTION_FIELDS = [f for f in MENTION_SCHEMA if f.name != "doc_id"]
PACKED_SCHEMA = SENTIMENT_SCHEMA.append(pa.field("mentions", pa.list_(pa.struct(_MENTION_FIELDS))))
"""One row per document: its sentiment and the list of its mentions."""


@dataclass(frozen=True)
class Enriched:
    """A batch's mentions (:data:`MENTION_SCHEMA`) and sentiment (:data:`SENTIMENT_SCHEMA`)."""

    mentions: pa.Table
    sentiment: pa.Table
    per_document: list[int]
    """How many mention rows each sentiment row's document has, in order."""

    def flag_counts(self) -> dict[str, int]:
        """How many documents carry each sentiment flag."""
        counts: dict[str, int] = {}
        for flags in self.sentiment.column("flags").drop_null().to_pylist():
            for flag in flags.split(","):
                counts[flag] = counts.get(flag, 0) + 1
        return dict(sorted(counts.items()))


def enrich_documents(
    tagger: Tagger, model: SentimentModel, bands: LabelBands, docs: pa.Table
) -> Enriched:
    """Tag and score a batch of documents (``doc_id``, ``title``, ``text``, ``channel``).

    Spam (:mod:`tickerpulse.enrich.spam`; repeated texts need ``author_hash``) gets
    the ``spam`` flag among its sentiment flags: the aggregation leaves it out.
    """
    doc_ids = docs.column("doc_id").to_pylist()
    texts = document_texts(docs)
    found = tagger.find_all(texts, docs.column("channel").to_pylist())
    spans = [[(m.start, m.end) for m in mentions.values()] for mentions in found]
    scored = score_texts(model, texts, spans)
    authors = (
        docs.column("author_hash").to_pylist()
        if "author_hash" in docs.column_names
        else [None] * len(texts)
    )
    spam = detect_spam(texts, authors)
    flags = [(*f, SPAM_FLAG) if s else f for f, s in zip(scored.flags, spam, strict=True)]
    scored = replace(scored, flags=flags)
    mention_values = [[round(s, 6) for s in scores] for scores in scored.mentions]
    labels = [[bands.label(s) for s in scores] for scores in mention_values]
    return Enriched(
        mentions=mention_table(doc_ids, found, mention_values, labels),
        sentiment=sentiment_table(model, doc_ids, scored, bands),
        per_document=[len(mentions) for mentions in found],
    )


def pack(enriched: Enriched) -> pa.Table:
    """Both outputs as one :data:`PACKED_SCHEMA` table (mentions grouped per document)."""
    sentiment, mentions = enriched.sentiment, enriched.mentions
    offsets = [0]
    for count in enriched.per_document:  # mention rows are grouped by document, in order
        offsets.append(offsets[-1] + count)
    values = pa.StructArray.from_arrays(
        [mentions.column(f.name).combine_chunks() for f in _MENTION_FIELDS],
        fields=_MENTION_FIELDS,
    )
    nested = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    return sentiment.append_column(PACKED_SCHEMA.field("mentions"), nested)


def unpack(packed: pa.Table) -> Enriched:
    """The two tables back from :func:`pack`'s output (in any row order)."""
    packed = packed.cast(PACKED_SCHEMA)
    nested = packed.column("mentions").combine_chunks()
    flat = pc.list_flatten(nested)
    parents = pc.list_parent_indices(nested)
    columns = {"doc_id": pc.take(packed.column("doc_id"), parents)}
    columns |= {f.name: flat.field(f.name) for f in _MENTION_FIELDS}
    return Enriched(
        mentions=pa.Table.from_pydict(columns, schema=MENTION_SCHEMA),
        sentiment=packed.select(SENTIMENT_SCHEMA.names),
        per_document=pc.list_value_length(nested).to_pylist(),
    )
