-- Bouwstroom store, version 11: the adapter outbox (docs/adapters.md).
--
-- adapter_subscriptions: which adapters want events for which projects ('*' = every
-- gemeente, else projects.gemeente as written). Written by the adapter worker from its
-- configuration at start-up. Without a row nothing below is written, so an import of
-- thousands of plans costs one empty join per statement.
-- adapter_projects: per (adapter, project): the remote object (e.g. the ZGW zaak URL), the
-- adapter's record of what it confirmed remotely (remote_state), and the lease that gives
-- one worker at a time the project (FOR UPDATE SKIP LOCKED + lease_until).
-- adapter_events: the outbox, one row per engine event and adapter, written by triggers in
-- the transaction of the change. status: pending (not yet tried) → done, or failed
-- (last_error, attempts, next_attempt_at; retried with backoff; next_attempt_at NULL =
-- given up, needs an operator's retry).

CREATE TABLE adapter_subscriptions (
    adapter     text NOT NULL,
    gemeente    text NOT NULL DEFAULT '*',
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (adapter, gemeente)
);

CREATE TABLE adapter_projects (
    adapter        text NOT NULL,
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    remote_url     text,                          -- e.g. the zaak URL
    remote_state   jsonb NOT NULL DEFAULT '{}',   -- adapter-specific: what was confirmed remotely
    lease_until    timestamptz,                   -- held by a worker until then
    synced_at      timestamptz,                   -- last successful sync
    reconciled_at  timestamptz,                   -- last reconcile (poll or notification)
    PRIMARY KEY (adapter, project_id)
);
CREATE INDEX adapter_projects_remote ON adapter_projects (adapter, remote_url);

CREATE TABLE adapter_events (
    id               bigserial PRIMARY KEY,
    adapter          text NOT NULL,
    project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN
                       ('project_created','project_changed','milestone_realised','dates_changed','reconcile')),
    step_key         text,                        -- milestone_realised: the step
    payload          jsonb NOT NULL DEFAULT '{}',
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','failed','done')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz DEFAULT now(),   -- NULL with status failed: given up
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    done_at          timestamptz,
    CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX adapter_events_due ON adapter_events (adapter, next_attempt_at) WHERE status <> 'done';
CREATE INDEX adapter_events_project ON adapter_events (project_id, adapter) WHERE status <> 'done';

-- Milestone steps of a project's process schema (process_schemas.definition: steps[].milestone).
-- Schemas are loaded from processes/ into memory and not necessarily stored in
-- process_schemas: when the project's schema is not stored, every step counts (the adapters
-- decide by their own step mapping which ones they show).
CREATE FUNCTION bs_is_milestone(p_project uuid, p_step text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN ps.id IS NULL THEN true
                ELSE EXISTS (SELECT 1 FROM jsonb_array_elements(ps.definition->'steps') s
                             WHERE s->>'key' = p_step AND (s->>'milestone')::boolean) END
    FROM projects p LEFT JOIN process_schemas ps
      ON ps.key = p.process_schema_key AND ps.version = p.process_schema_version
    WHERE p.id = p_project
$$;

-- Statement-level, with transition tables (like 0004's notifier_dirty): one query per
-- statement. Writes events only for subscribed adapters; without subscriptions it returns
-- after one EXISTS.
CREATE FUNCTION bs_adapter_emit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ev jsonb;
    n integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM adapter_subscriptions) THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'projects' AND TG_OP = 'INSERT' THEN
        SELECT jsonb_agg(jsonb_build_object('project_id', id, 'kind', 'project_created')) INTO ev FROM new_rows;
    ELSIF TG_TABLE_NAME = 'projects' THEN
        -- what a zaak shows: name, place, planned completion, geometry
        SELECT jsonb_agg(jsonb_build_object('project_id', n.id, 'kind',
                 CASE WHEN (n.name, n.gemeente, n.geometry) IS NOT DISTINCT FROM (o.name, o.gemeente, o.geometry)
                      THEN 'dates_changed' ELSE 'project_changed' END)) INTO ev
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.name, n.gemeente, n.planned_completion, n.geometry)
              IS DISTINCT FROM (o.name, o.gemeente, o.planned_completion, o.geometry);
    ELSIF TG_OP = 'INSERT' THEN
        SELECT jsonb_agg(jsonb_build_object('project_id', n.project_id, 'kind', 'milestone_realised',
                 'step_key', n.step_key, 'payload', jsonb_build_object('actual_finish', n.actual_finish))) INTO ev
        FROM new_rows n WHERE n.actual_finish IS NOT NULL AND bs_is_milestone(n.project_id, n.step_key);
    ELSE
        -- a milestone step's actual_finish set (or moved): milestone_realised; other actual
        -- dates or statuses: dates_changed
        SELECT jsonb_agg(jsonb_build_object('project_id', n.project_id, 'kind',
                 CASE WHEN n.actual_finish IS NOT NULL AND o.actual_finish IS DISTINCT FROM n.actual_finish
                           AND bs_is_milestone(n.project_id, n.step_key)
                      THEN 'milestone_realised' ELSE 'dates_changed' END,
                 'step_key', n.step_key, 'payload', jsonb_build_object('actual_finish', n.actual_finish))) INTO ev
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.actual_finish, n.actual_start, n.status, n.planned_finish)
              IS DISTINCT FROM (o.actual_finish, o.actual_start, o.status, o.planned_finish);
    END IF;
    IF ev IS NULL THEN
        RETURN NULL;
    END IF;
    WITH e AS (SELECT DISTINCT ON (s.adapter, x.project_id, x.kind, x.step_key)
                      s.adapter, x.project_id, x.kind, x.step_key, COALESCE(x.payload, '{}') AS payload
               FROM jsonb_to_recordset(ev) AS x(project_id uuid, kind text, step_key text, payload jsonb)
               JOIN projects p ON p.id = x.project_id
               JOIN adapter_subscriptions s ON s.gemeente IN ('*', p.gemeente)),
    ap AS (INSERT INTO adapter_projects (adapter, project_id) SELECT DISTINCT adapter, project_id FROM e
           ON CONFLICT DO NOTHING)
    INSERT INTO adapter_events (adapter, project_id, kind, step_key, payload)
    SELECT adapter, project_id, kind, step_key, payload FROM e;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pg_notify('bs_adapters', '');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER projects_adapter_ins AFTER INSERT ON projects
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_adapter_emit();
CREATE TRIGGER projects_adapter_upd AFTER UPDATE ON projects
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_adapter_emit();
CREATE TRIGGER project_steps_adapter_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_adapter_emit();
CREATE TRIGGER project_steps_adapter_upd AFTER UPDATE ON project_steps
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_adapter_emit();
