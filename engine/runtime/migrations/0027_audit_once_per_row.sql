-- Bouwstroom store, version 27: the statement-level audit of an update (migration 0024)
-- turns each old row into JSON once (issue 17). The subquery of the old rows was pulled up
-- into the join by the planner, so to_jsonb(old row) was computed again at every reference:
-- for the join and twice for every column compared, about a hundred times per updated
-- projects row (46 columns) — some milliseconds of server time in every step write. OFFSET 0
-- keeps both subqueries as they are written (each row's JSON computed once). What is written
-- is unchanged: the function is the one of migration 0024 with those two fences.

CREATE OR REPLACE FUNCTION bs_audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor jsonb := NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb;
    secret_cols constant text[] := ARRAY['password_hash','totp_secret','token_hash'];
BEGIN
    IF current_setting('bouwstroom.audit', true) = 'bulk' THEN
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
