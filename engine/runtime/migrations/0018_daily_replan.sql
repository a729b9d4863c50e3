-- Bouwstroom store, version 18: planning from today (docs/scheduling.md §6).
-- The daily re-plan: one row per local (Europe/Amsterdam) day, written by the node that
-- claimed the day in the same transaction that queues every live project for re-planning
-- (notifier_dirty); INSERT … ON CONFLICT DO NOTHING decides which node that is.
CREATE TABLE replan_runs (
    day         date PRIMARY KEY,            -- the local day whose data date the projects got
    node        text NOT NULL,               -- host:pid of the node that claimed it
    projects    integer NOT NULL,            -- live projects queued for re-planning
    claimed_at  timestamptz NOT NULL DEFAULT now()
);

-- The schedule check "no progress report for more than N months" (stale_progress): N per
-- organisation.
ALTER TABLE organisations ADD COLUMN stale_after_months integer NOT NULL DEFAULT 6
    CHECK (stale_after_months BETWEEN 1 AND 120);
