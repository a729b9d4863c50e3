-- Bouwstroom store, version 5: forecasts in the notifier (forecast alerts; docs/alerts.md).
-- milestone_dates keeps each step's P50/P80 finish as last forecast (500 seeded samples),
-- the first P50 seen (the baseline of "forecast slipped"), and a forecast revision.
ALTER TABLE milestone_dates
    ADD COLUMN p50 date,
    ADD COLUMN p80 date,
    ADD COLUMN p50_baseline date,
    ADD COLUMN forecast_revision integer NOT NULL DEFAULT 0;

-- "milestone upcoming" counts from the planned date or from the P50 forecast
ALTER TABLE alert_rules
    ADD COLUMN basis text NOT NULL DEFAULT 'planned' CHECK (basis IN ('planned', 'p50'));
