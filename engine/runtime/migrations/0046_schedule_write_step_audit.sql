-- Bouwstroom store, version 46: the audit rows of a schedule write's step upsert written by the
-- statement itself (issue 17 item 1, docs/performance.md "Durable writes").
--
-- After migration 0040 the project row's audit was the statement's, but the step rows it upserts
-- (the changed steps of a start, completion or correction) were still audited by the statement
-- trigger: both transition tables turned into JSON row by row, paired by id and compared key by
-- key in plpgsql (about a quarter of a millisecond of PostgreSQL's CPU per write).
-- SQL_SCHEDULE_WRITE (api/routes_schedule_sql.h) now writes those rows from what it upserts
-- (RETURNING) and the same rows as they were in its snapshot, with the same content as the
-- trigger: per updated row action UPDATE, old = every changed column's old value, new = their new
-- values without JSON nulls plus id, project_id and step_key; per inserted row action INSERT and
-- new = the whole row. It marks its transaction with bouwstroom.audited_steps = its own
-- statement_timestamp(); the audit triggers of project_steps' INSERT and UPDATE skip while that
-- mark equals the current statement's start time, i.e. only within that one statement. Every
-- other write of project_steps (imports, the CLI, psql, the rest of the API) is audited by the
-- trigger as before.

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
    -- the schedule write writes the audit rows of its step upsert itself too (migration 0046): the
    -- mark holds that statement's start time, so it covers the upsert's INSERT and UPDATE triggers
    -- of that one statement and nothing after it
    IF TG_TABLE_NAME = 'project_steps' AND TG_OP <> 'DELETE'
       AND current_setting('bouwstroom.audited_steps', true) = statement_timestamp()::text THEN
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
