-- Bouwstroom store, version 22: the knelpunt flag of a project, for the Projects page's
-- filter (GET /api/v1/projects?knelpunt=true|false, docs/api.md).
-- knelpunt: the project's current schedule has a step with negative total float (a
-- finish-no-later-than deadline that cannot be met; docs/scheduling.md). Written with the
-- schedule: by every change through the API (api/routes_schedule.c) and by every re-plan of
-- the notifier (notifier/worker.c: after each change and daily for every live project).
ALTER TABLE projects ADD COLUMN knelpunt boolean NOT NULL DEFAULT false;
CREATE INDEX projects_knelpunt ON projects (knelpunt) WHERE knelpunt;

-- Backfill: the flag needs the engine, which SQL does not have. Forgetting the claims of
-- today's and yesterday's daily re-plan makes the next server re-plan every live project
-- (notifier/worker.c, REPLAN_SQL) and so set its flag; a project nobody follows, holds a role
-- in or subscribes to keeps false until its next change through the API (imports set no
-- deadlines).
DELETE FROM replan_runs WHERE day >= current_date - 1;
