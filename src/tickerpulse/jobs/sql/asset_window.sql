-- Mentions and sentiment per asset, by source and source class and in total.
-- Inputs: window_documents, document_assets (spam left out), mentions (for the spam count).
-- spam_mentions counts the asset's mentions in posts flagged as spam, kept out of the rest.
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
        d.sentiment_model AS model,
        0 AS spam
    FROM document_assets AS a
    JOIN window_documents AS d ON d.doc_id = a.doc_id
    UNION ALL
    SELECT
        m.asset_id,
        CASE WHEN d.kind = 'news' THEN 'news' ELSE 'social' END AS source_class,
        d.source,
        d.author_hash,
        0.0 AS relevance,
        CAST(NULL AS DOUBLE) AS score,
        CAST(NULL AS STRING) AS label,
        CAST(NULL AS STRING) AS model,
        1 AS spam
    FROM window_documents AS d
    JOIN mentions AS m ON m.doc_id = d.doc_id AND m.run_id = d.run_id
    WHERE d.sentiment_flags LIKE '%spam%'
)
SELECT
    asset_id,
    CASE WHEN grouping(source_class) = 1 THEN 'all' ELSE source_class END AS source_class,
    CASE WHEN grouping(source) = 1 THEN 'all' ELSE source END AS source,
    count(CASE WHEN spam = 0 THEN 1 END) AS mentions,
    count(DISTINCT CASE WHEN spam = 0 THEN author_hash END) AS unique_authors,
    sum(score * relevance) / nullif(sum(CASE WHEN score IS NULL THEN 0 ELSE relevance END), 0)
        AS sentiment_mean,
    avg(CASE WHEN spam = 1 THEN NULL WHEN label IN ('bullish', 'somewhat-bullish') THEN 1
        ELSE 0 END) AS bull_share,
    avg(CASE WHEN spam = 1 THEN NULL WHEN label IN ('bearish', 'somewhat-bearish') THEN 1
        ELSE 0 END) AS bear_share,
    stddev_pop(score) AS dispersion,
    CASE WHEN count(DISTINCT model) > 1 THEN 'mixed' ELSE max(model) END AS sentiment_model,
    count(CASE WHEN spam = 1 THEN 1 END) AS spam_mentions
FROM mentioned
GROUP BY GROUPING SETS ((asset_id, source_class, source), (asset_id, source_class), (asset_id))
HAVING count(CASE WHEN spam = 0 THEN 1 END) > 0
ORDER BY asset_id, source_class, source
