-- Bouwstroom store, version 4: organisations, users, project roles, follows (minimal; the
-- access issue extends these tables), alert rules, the alert outbox with durable due
-- times, milestone date revisions, and calendar feed tokens.

CREATE TABLE organisations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    kind        text NOT NULL DEFAULT 'gemeente' CHECK (kind IN
                  ('gemeente','ontwikkelaar','woningcorporatie','belegger','provincie','rijk','overig')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id),
    email            text NOT NULL,
    name             text NOT NULL DEFAULT '',
    locale           text NOT NULL DEFAULT 'nl' CHECK (locale IN ('nl','en')),
    time_zone        text NOT NULL DEFAULT 'Europe/Amsterdam',
    digest           boolean NOT NULL DEFAULT false,  -- one morning mail instead of one per alert
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- who has which role in a project: the project leader, and stream owners
CREATE TABLE project_roles (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('projectleider','stream_owner')),
    stream      text CHECK (stream IN ('public','private')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'stream_owner') = (stream IS NOT NULL)),
    UNIQUE (project_id, user_id, role, stream)
);

CREATE TABLE follows (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, user_id)
);

-- alert rules per organisation (user_id NULL) and per-user overrides
CREATE TABLE alert_rules (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id          uuid REFERENCES users (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('milestone_upcoming','milestone_overdue','blocked_by_other_stream',
                                                   'forecast_slipped','external_update')),
    enabled          boolean NOT NULL DEFAULT true,
    days             integer NOT NULL DEFAULT 10 CHECK (days >= 0 AND days <= 365),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX alert_rules_org ON alert_rules (organisation_id, kind) WHERE user_id IS NULL;
CREATE UNIQUE INDEX alert_rules_user ON alert_rules (user_id, kind) WHERE user_id IS NOT NULL;

-- the planned dates of each followed project's milestones and steps as last computed;
-- revision rises when a date changes (iCalendar SEQUENCE, alert keys)
CREATE TABLE milestone_dates (
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    step_key       text NOT NULL,
    planned_start  date,
    planned_finish date,
    status         text NOT NULL,
    revision       integer NOT NULL DEFAULT 0,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, step_key)
);

-- projects whose alerts must be re-planned; written by a trigger in the same transaction as
-- the change, consumed by the notifier (durable: a change is never missed)
CREATE TABLE notifier_dirty (
    project_id  uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    marked_at   timestamptz NOT NULL DEFAULT now()
);

-- Statement-level with transition tables: one query per statement, so a bulk import of
-- 180,000 step rows costs one join, not 180,000 lookups.
CREATE FUNCTION bs_mark_projects_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- only projects somebody follows, has a role in or subscribes to can cause alerts or feeds
    INSERT INTO notifier_dirty (project_id)
    SELECT DISTINCT n.project_id FROM new_rows n
    WHERE EXISTS (SELECT 1 FROM follows f WHERE f.project_id = n.project_id)
       OR EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = n.project_id)
       OR EXISTS (SELECT 1 FROM feed_tokens t WHERE t.project_id = n.project_id AND t.revoked_at IS NULL)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('bs_notifier', '');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER project_steps_dirty_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_mark_projects_dirty();
CREATE TRIGGER project_steps_dirty_upd AFTER UPDATE ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_mark_projects_dirty();
CREATE TRIGGER follows_dirty AFTER INSERT ON follows
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_mark_projects_dirty();
CREATE TRIGGER project_roles_dirty AFTER INSERT ON project_roles
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_mark_projects_dirty();

-- the outbox: one row per (project, step, kind, date revision, recipient); due_at is the
-- durable timer. status: scheduled (not yet due) → pending (due, being delivered) → sent |
-- failed; superseded when the date moved before it was sent; digested when closed by a digest.
CREATE TABLE alerts (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id       uuid REFERENCES projects (id) ON DELETE CASCADE,  -- NULL for a digest
    step_key         text NOT NULL,
    kind             text NOT NULL,
    revision         integer NOT NULL,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    due_at           timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'scheduled' CHECK (status IN
                       ('scheduled','pending','sent','failed','superseded','digested')),
    digest           boolean NOT NULL DEFAULT false,
    payload          jsonb NOT NULL,             -- dates and names for the mail
    message_id       text NOT NULL UNIQUE,       -- stable: a retry is the same message
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    last_error       text,
    reply_code       integer,
    sent_at          timestamptz,
    digest_id        uuid,                       -- the digest alert that closed it
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, step_key, kind, revision, user_id),
    CHECK ((kind = 'digest') = (project_id IS NULL))
);
-- one digest per recipient per local day (step_key = 'digest:YYYY-MM-DD')
CREATE UNIQUE INDEX alerts_digest_once ON alerts (user_id, step_key) WHERE kind = 'digest';
CREATE INDEX alerts_due ON alerts (due_at) WHERE status IN ('scheduled','pending');

CREATE TABLE feed_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash  text NOT NULL UNIQUE,            -- hex SHA-256 of the token; the token itself is never stored
    scope       text NOT NULL CHECK (scope IN ('user','project','stream')),
    user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    project_id  uuid REFERENCES projects (id) ON DELETE CASCADE,
    stream      text CHECK (stream IN ('public','private')),
    label       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK ((scope = 'user') = (user_id IS NOT NULL AND project_id IS NULL)),
    CHECK ((scope = 'stream') = (stream IS NOT NULL)),
    CHECK (scope = 'user' OR project_id IS NOT NULL)
);

CREATE TRIGGER feed_tokens_dirty AFTER INSERT ON feed_tokens
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_mark_projects_dirty();
