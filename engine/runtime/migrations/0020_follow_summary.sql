-- Bouwstroom store, version 20: one summary for a new follower (docs/alerts.md).
-- A new follower gets what is already late (overdue milestones, steps blocked by the other
-- stream) as one follow_summary alert instead of one alert per item. summarised_at records
-- that the notifier's plan made that decision for the follow (NULL: not yet planned).
-- Existing follows count as summarised: their single alerts were planned long ago.
ALTER TABLE follows ADD COLUMN summarised_at timestamptz;
UPDATE follows SET summarised_at = created_at;
-- The summary is an alerts row of kind follow_summary with the project set (alerts.kind has no
-- list of its own; alerts_project_kind holds); it is no alert_rules kind (that CHECK stays).
