-- Bouwstroom store, version 2: scheduling state per project — remaining
-- durations, duration overrides, planned dates and constraints per step; a project's own
-- link set; the change history (who, when, old, new, reason; known_from = the date from
-- which the fact was known, the peildatum of GET …/schedule?known_on=); what-if scenarios.

ALTER TABLE projects
    ADD COLUMN schedule_version bigint NOT NULL DEFAULT 0,   -- optimistic concurrency of schedule edits
    ADD COLUMN custom_links boolean NOT NULL DEFAULT false;   -- true: project_links holds the link set

ALTER TABLE project_steps
    ADD COLUMN remaining_duration integer CHECK (remaining_duration >= 0),  -- step's unit
    ADD COLUMN duration_override integer CHECK (duration_override >= 0),    -- step's unit
    ADD COLUMN planned_start date,
    ADD COLUMN planned_finish date,
    ADD COLUMN start_no_earlier_than date,
    ADD COLUMN finish_no_later_than date;

-- The project's link set when custom_links (else the process schema's links apply).
CREATE TABLE project_links (
    id          bigserial PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    pred        text NOT NULL,
    succ        text NOT NULL,
    type        text NOT NULL CHECK (type IN ('FS','SS','FF','SF')),
    lag         integer NOT NULL DEFAULT 0,
    lag_unit    text NOT NULL DEFAULT 'working_days' CHECK (lag_unit IN ('working_days','calendar_days'))
);
CREATE INDEX project_links_project ON project_links (project_id, id);

-- Every change of a planned, forecast or actual date, of a duration, constraint or link.
CREATE TABLE schedule_history (
    id          bigserial PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    step_key    text,                   -- the step (for links: the successor)
    field       text NOT NULL,          -- status, actual_start, actual_finish, planned_start, …, link, forecast_finish
    old_value   text,                   -- NULL = none; links: JSON {pred, type, lag, lag_unit}
    new_value   text,
    reason      text NOT NULL,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    known_from  date NOT NULL           -- the API's "today" when the change was recorded
);
CREATE INDEX schedule_history_project ON schedule_history (project_id, id);

CREATE TABLE scenarios (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        text NOT NULL,
    changes     jsonb NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    applied_at  timestamptz,
    UNIQUE (project_id, name)
);
