-- Bouwstroom store, version 8: external-update alerts are now written by the changing
-- statement itself (api/routes_schedule.c), in the change's transaction; the notifier no
-- longer scans the history, so its position table of version 6 goes.
DROP TABLE IF EXISTS notifier_projects;
