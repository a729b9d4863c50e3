-- Bouwstroom store, version 39: statement-level triggers that return at once when their
-- statement wrote nothing (issue 17 item 1, docs/performance.md "Durable writes").
--
-- PostgreSQL fires a statement-level trigger also for a statement that touched no row: every
-- step write (api/routes_schedule_sql.h SQL_SCHEDULE_WRITE) is an INSERT … ON CONFLICT DO
-- UPDATE of its step rows, which fires the INSERT triggers of project_steps with an empty
-- new_rows beside the UPDATE ones, and its two project_links CTEs (DELETE and INSERT, both
-- without rows unless the links changed) fire those of project_links. Each ran its full
-- query on the empty transition table: the audit, the notifier's dirty marks, the forecast
-- stamps (and through them two NOTIFYs of the forecast sweep each). They now look whether
-- the transition table has a row first; what they write when it has is unchanged.
--
-- The dashboard's data version (migration 0036) is marked once per transaction: the first
-- touching statement inserts the transaction's dashboard_pending row and sets the
-- transaction-local bouwstroom.dashboard_marked; later statements of the transaction see it and
-- return (before: an INSERT … ON CONFLICT DO NOTHING at every statement, three per step write).
-- A subtransaction rolled back takes both back together (a setting made in a subtransaction is
-- undone with it), so a later statement marks again. Nothing here runs SET CONSTRAINTS … IMMEDIATE
-- (which would run the deferred bump, and delete the row, before the commit).

CREATE OR REPLACE FUNCTION bs_audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor jsonb := NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb;
    secret_cols constant text[] := ARRAY['password_hash','totp_secret','token_hash'];
BEGIN
    IF current_setting('bouwstroom.audit', true) = 'bulk' THEN
        RETURN NULL;
    END IF;
    -- nothing written (the empty side of an upsert): nothing to record
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_log (actor_user_id, actor_email, actor_org_id, actor_label, client_address,
                               project_id, action, entity, entity_id, old, new)
        SELECT NULLIF(actor ->> 'user_id', '')::uuid, actor ->> 'email',
               NULLIF(actor ->> 'organisation_id', '')::uuid, COALESCE(actor ->> 'label', 'system'),
               actor ->> 'address',
               CASE WHEN TG_TABLE_NAME = 'projects' THEN (r.n ->> 'id')::uuid
                    ELSE NULLIF(r.n ->> 'project_id', '')::uuid END,
               TG_OP, TG_TABLE_NAME, r.n ->> CASE WHEN r.n ? 'id' THEN 'id' ELSE 'step_key' END, NULL, r.n
          FROM (SELECT to_jsonb(t) - secret_cols AS n, row_number() OVER () AS i FROM new_rows t) r
         ORDER BY r.i;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO audit_log (actor_user_id, actor_email, actor_org_id, actor_label, client_address,
                               project_id, action, entity, entity_id, old, new)
        SELECT NULLIF(actor ->> 'user_id', '')::uuid, actor ->> 'email',
               NULLIF(actor ->> 'organisation_id', '')::uuid, COALESCE(actor ->> 'label', 'system'),
               actor ->> 'address',
               CASE WHEN TG_TABLE_NAME = 'projects' THEN (r.o ->> 'id')::uuid
                    ELSE NULLIF(r.o ->> 'project_id', '')::uuid END,
               TG_OP, TG_TABLE_NAME, r.o ->> CASE WHEN r.o ? 'id' THEN 'id' ELSE 'step_key' END, r.o, NULL
          FROM (SELECT to_jsonb(t) - secret_cols AS o, row_number() OVER () AS i FROM old_rows t) r
         ORDER BY r.i;
    ELSE
        -- an update: old and new rows paired by id (all three tables have one); only what
        -- changed, a changed secret as "[redacted]"
        INSERT INTO audit_log (actor_user_id, actor_email, actor_org_id, actor_label, client_address,
                               project_id, action, entity, entity_id, old, new)
        SELECT NULLIF(actor ->> 'user_id', '')::uuid, actor ->> 'email',
               NULLIF(actor ->> 'organisation_id', '')::uuid, COALESCE(actor ->> 'label', 'system'),
               actor ->> 'address',
               CASE WHEN TG_TABLE_NAME = 'projects' THEN (c.n ->> 'id')::uuid
                    ELSE NULLIF(c.n ->> 'project_id', '')::uuid END,
               TG_OP, TG_TABLE_NAME, c.n ->> CASE WHEN c.n ? 'id' THEN 'id' ELSE 'step_key' END, c.o, c.n
          -- OFFSET 0: each row's JSON computed once (not at every reference of od.j / nw.j)
          FROM (SELECT to_jsonb(t) AS j, row_number() OVER () AS i FROM new_rows t OFFSET 0) nw
          JOIN (SELECT to_jsonb(t) AS j FROM old_rows t OFFSET 0) od ON od.j -> 'id' = nw.j -> 'id'
          CROSS JOIN LATERAL (
              SELECT d.o,
                     jsonb_strip_nulls(d.n || jsonb_build_object('id', nw.j -> 'id', 'project_id', nw.j -> 'project_id',
                                                                 'step_key', nw.j -> 'step_key')) AS n
                FROM (SELECT jsonb_object_agg(k, CASE WHEN k = ANY (secret_cols) THEN to_jsonb('[redacted]'::text)
                                                      ELSE od.j -> k END) AS o,
                             jsonb_object_agg(k, CASE WHEN k = ANY (secret_cols) THEN to_jsonb('[redacted]'::text)
                                                      ELSE nw.j -> k END) AS n
                        FROM jsonb_object_keys(nw.j) AS k
                       WHERE (od.j -> k) IS DISTINCT FROM (nw.j -> k)) d
               WHERE d.n IS NOT NULL) c
         ORDER BY nw.i;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bs_mark_projects_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    -- only projects somebody follows, has a role in or subscribes to can cause alerts or feeds
    INSERT INTO notifier_dirty (project_id)
    SELECT n.project_id FROM (SELECT DISTINCT project_id FROM new_rows) n
    WHERE EXISTS (SELECT 1 FROM follows f WHERE f.project_id = n.project_id)
       OR EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = n.project_id)
       OR EXISTS (SELECT 1 FROM feed_tokens t WHERE t.project_id = n.project_id AND t.revoked_at IS NULL)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('bs_notifier', '');
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bs_forecast_stamp_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
            RETURN NULL;
        END IF;
        INSERT INTO project_forecast_stamps (project_id, stamp)
        SELECT d.project_id, nextval('project_forecast_stamp_seq')
          FROM (SELECT DISTINCT project_id FROM old_rows) d JOIN projects p ON p.id = d.project_id
        ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    ELSE
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
            RETURN NULL;
        END IF;
        INSERT INTO project_forecast_stamps (project_id, stamp)
        SELECT d.project_id, nextval('project_forecast_stamp_seq') FROM (SELECT DISTINCT project_id FROM new_rows) d
        ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION bs_dashboard_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('bouwstroom.dashboard_marked', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO dashboard_pending VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    PERFORM set_config('bouwstroom.dashboard_marked', 'on', true);
    RETURN NULL;
END $$;
