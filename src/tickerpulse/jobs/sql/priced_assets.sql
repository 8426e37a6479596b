-- Assets some source priced in the days the aggregate stage reads (its price lookback):
-- the ones whose missing hourly bars inside the window are worth reporting. Input: prices.
SELECT DISTINCT asset_id
FROM prices
WHERE "interval" = '1h'
ORDER BY asset_id
