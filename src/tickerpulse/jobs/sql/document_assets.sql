-- The assets each window document mentions. Inputs: window_documents, mentions.
SELECT m.doc_id, m.asset_id, m.method, m.relevance
FROM window_documents AS d
JOIN mentions AS m ON m.doc_id = d.doc_id AND m.run_id = d.run_id
ORDER BY m.doc_id, m.asset_id
