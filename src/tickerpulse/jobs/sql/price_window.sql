-- Per asset, the window's OHLCV from ONE source, so providers are never mixed: the
-- best-ranked source in price_priority (unlisted sources rank last, then by name) that
-- has hourly bars inside the window. The return is close-to-close against that source's
-- last close before the window (any source's when it has none, e.g. a fallback that just
-- started), so overnight and weekend gaps count.
-- Inputs: prices (with run_id; the newest run wins for a repeated bar),
-- price_priority (source, priority). Parameters: $window_start, $window_end.
WITH bars AS (
    SELECT * FROM (
        SELECT
            *,
            row_number() OVER (PARTITION BY asset_id, source, ts ORDER BY run_id DESC) AS run_rank
        FROM prices AS p
        WHERE p.ts < $window_end AND p.interval = '1h'
    ) AS deduplicated
    WHERE run_rank = 1
),
ranked AS (
    SELECT b.*, coalesce(p.priority, 1000000) AS source_rank
    FROM bars AS b
    LEFT JOIN price_priority AS p ON p.source = b.source
),
candidates AS (
    SELECT
        asset_id,
        source,
        row_number() OVER (PARTITION BY asset_id ORDER BY min(source_rank), source) AS choice,
        count(*) OVER (PARTITION BY asset_id) AS sources
    FROM ranked
    WHERE ts >= $window_start
    GROUP BY asset_id, source
),
chosen AS (
    SELECT asset_id, source, sources FROM candidates WHERE choice = 1
),
inside AS (
    SELECT
        r.asset_id,
        min_by(r.open, r.ts) AS open,
        max(r.high) AS high,
        min(r.low) AS low,
        max_by(r.close, r.ts) AS close,
        sum(r.volume) AS volume,
        count(*) AS bars
    FROM ranked AS r
    JOIN chosen AS c ON c.asset_id = r.asset_id AND c.source = r.source
    WHERE r.ts >= $window_start
    GROUP BY r.asset_id
),
before AS (
    SELECT
        r.asset_id,
        max_by(r.close, r.ts) FILTER (WHERE r.source = c.source) AS same_source_close,
        max_by(r.close, r.ts) AS any_source_close
    FROM ranked AS r
    JOIN chosen AS c ON c.asset_id = r.asset_id
    WHERE r.ts < $window_start
    GROUP BY r.asset_id
),
joined AS (
    SELECT
        i.*,
        c.source,
        c.sources,
        coalesce(b.same_source_close, b.any_source_close) AS prev_close
    FROM inside AS i
    JOIN chosen AS c ON c.asset_id = i.asset_id
    LEFT JOIN before AS b ON b.asset_id = i.asset_id
)
SELECT
    asset_id, open, high, low, close, volume, bars, prev_close,
    CASE WHEN prev_close > 0 THEN close / prev_close - 1 END AS return_pct,
    source, sources
FROM joined
ORDER BY asset_id
