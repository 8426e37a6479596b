-- The assets each window document mentions, with the mention's own sentiment.
-- Inputs: window_documents, mentions. Mentions from files written before mentions had a
-- score (null there) take their document's score and label. Spam (the enrich stage's
-- 'spam' flag) mentions nothing: its cashtags are not opinions on those assets.
SELECT
    m.doc_id, m.asset_id, m.method, m.relevance,
    coalesce(m.score, d.sentiment_score) AS sentiment_score,
    coalesce(m.label, d.sentiment_label) AS sentiment_label
FROM window_documents AS d
JOIN mentions AS m ON m.doc_id = d.doc_id AND m.run_id = d.run_id
WHERE coalesce(d.sentiment_flags, '') NOT LIKE '%spam%'
ORDER BY m.doc_id, m.asset_id
