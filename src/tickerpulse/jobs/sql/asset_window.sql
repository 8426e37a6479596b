-- Mentions and sentiment per asset, by source and source class and in total.
-- Inputs: window_documents, document_assets.
-- Sentiment is each mention's own (a text naming two assets can be bullish on one and
-- bearish on the other): sentiment_mean is relevance-weighted; bull/bear shares count
-- mentions by label. sentiment_model is the model version that scored the rows, or
-- 'mixed' when a window holds rows of several versions (re-score it: cycle backfill --rescore).
WITH mentioned AS (
    SELECT
        a.asset_id,
        CASE WHEN d.kind = 'news' THEN 'news' ELSE 'social' END AS source_class,
        d.source,
        d.author_hash,
        a.relevance,
        a.sentiment_score AS score,
        a.sentiment_label AS label,
        d.sentiment_model AS model
    FROM document_assets AS a
    JOIN window_documents AS d ON d.doc_id = a.doc_id
)
SELECT
    asset_id,
    CASE WHEN grouping(source_class) = 1 THEN 'all' ELSE source_class END AS source_class,
    CASE WHEN grouping(source) = 1 THEN 'all' ELSE source END AS source,
    count(*) AS mentions,
    count(DISTINCT author_hash) AS unique_authors,
    sum(score * relevance) / nullif(sum(CASE WHEN score IS NULL THEN 0 ELSE relevance END), 0)
        AS sentiment_mean,
    avg(CASE WHEN label IN ('bullish', 'somewhat-bullish') THEN 1 ELSE 0 END) AS bull_share,
    avg(CASE WHEN label IN ('bearish', 'somewhat-bearish') THEN 1 ELSE 0 END) AS bear_share,
    stddev_pop(score) AS dispersion,
    CASE WHEN count(DISTINCT model) > 1 THEN 'mixed' ELSE max(model) END AS sentiment_model
FROM mentioned
GROUP BY GROUPING SETS ((asset_id, source_class, source), (asset_id, source_class), (asset_id))
ORDER BY asset_id, source_class, source
