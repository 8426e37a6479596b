-- OHLCV per asset over the window and the close-to-close return against the last
-- close before it (so overnight and weekend gaps count). Input: prices (with run_id;
-- the newest run wins for a repeated bar). Parameters: $window_start, $window_end.
WITH bars AS (
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY asset_id, ts ORDER BY run_id DESC) AS run_rank
        FROM prices
        WHERE ts < $window_end
    ) WHERE run_rank = 1
),
inside AS (
    SELECT
        asset_id,
        min_by(open, ts) AS open,
        max(high) AS high,
        min(low) AS low,
        max_by(close, ts) AS close,
        sum(volume) AS volume,
        count(*) AS bars
    FROM bars
    WHERE ts >= $window_start
    GROUP BY asset_id
),
before AS (
    SELECT asset_id, max_by(close, ts) AS prev_close
    FROM bars
    WHERE ts < $window_start
    GROUP BY asset_id
)
SELECT
    i.asset_id, i.open, i.high, i.low, i.close, i.volume, i.bars, b.prev_close,
    CASE WHEN b.prev_close > 0 THEN i.close / b.prev_close - 1 END AS return_pct
FROM inside AS i
LEFT JOIN before AS b ON b.asset_id = i.asset_id
ORDER BY i.asset_id
