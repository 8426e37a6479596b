-- Assets some source priced in the days the aggregate stage reads (its price lookback):
-- the ones whose missing hourly bars inside the window are worth reporting. Input: prices.
SELECT DISTINCT p.asset_id
FROM prices AS p
WHERE p.interval = '1h'
ORDER BY p.asset_id
