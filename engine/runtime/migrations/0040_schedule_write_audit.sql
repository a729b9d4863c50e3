-- Bouwstroom store, version 40: the audit row of a schedule write's projects update written by
-- the statement itself (issue 17 item 1, docs/performance.md "Durable writes").
--
-- Every start, completion and correction of a step updates its project's row (schedule_version,
-- updated_at, and when they change planned_completion, progress_date, knelpunt, custom_links).
-- The statement-level audit of migrations 0024/0027 turned the old and the new row, 46 columns
-- with the geometry, into JSON and compared them key by key: the largest single part of a step
-- write's time in PostgreSQL. SQL_SCHEDULE_WRITE (api/routes_schedule_sql.h) now writes that
-- audit row itself, from the columns it sets (the old values read in the same statement's
-- snapshot), with the same content: action UPDATE, entity projects, the actor, old = every
-- changed column's old value, new = their new values without JSON nulls, plus id. It marks the
-- transaction with bouwstroom.audited = 'projects' (local to the transaction, which is that
-- one statement: bs__store_write_one); the audit trigger of the projects update then skips
-- once and clears the mark. Every other update of projects, and the step rows of the same
-- statement, are audited by the trigger as before.

CREATE OR REPLACE FUNCTION bs_audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor jsonb := NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb;
    secret_cols constant text[] := ARRAY['password_hash','totp_secret','token_hash'];
BEGIN
    IF current_setting('bouwstroom.audit', true) = 'bulk' THEN
        RETURN NULL;
    END IF;
    -- the schedule write (api/routes_schedule_sql.h SQL_SCHEDULE_WRITE) writes the audit row of its
    -- projects update itself, from the columns it sets, and says so for this one statement
    IF TG_TABLE_NAME = 'projects' AND TG_OP = 'UPDATE'
       AND current_setting('bouwstroom.audited', true) = 'projects' THEN
        PERFORM set_config('bouwstroom.audited', '', true);
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
