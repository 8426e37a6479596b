-- Documents created inside the window, one row per doc_id (the newest run wins when a
-- document was landed twice), with the sentiment computed from that same run and the
-- provider's own published score where it has one (Alpha Vantage), the scoring model's
-- version, the text's sentiment flags and its engagement (authors' reach).
-- Inputs: documents, sentiment (both with run_id). Parameters: $window_start, $window_end.
SELECT
    d.doc_id, d.kind, d.source, d.channel, d.author_hash, d.created_at, d.title, d.text,
    d.url, d.engagement, d.run_id, s.score AS sentiment_score, s.label AS sentiment_label,
    s.model AS sentiment_model, s.flags AS sentiment_flags, d.provider_sentiment
FROM (
    SELECT *, row_number() OVER (PARTITION BY doc_id ORDER BY run_id DESC) AS run_rank
    FROM documents
    WHERE created_at >= $window_start AND created_at < $window_end
) AS d
LEFT JOIN sentiment AS s ON s.doc_id = d.doc_id AND s.run_id = d.run_id
WHERE d.run_rank = 1
ORDER BY d.doc_id
