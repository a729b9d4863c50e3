-- Bouwstroom store, version 24: the audit of projects, project_steps and organisations is
-- written once per statement instead of once per row. These are the tables the imports
-- write in batches (adapters/import_pipeline.c: COPY into a temporary staging table, then
-- INSERT … SELECT / ON CONFLICT DO UPDATE from it), where a row trigger ran its PL/pgSQL
-- for each of tens of thousands of rows. The statement-level triggers read the statement's
-- transition tables and write exactly the rows bs_audit_row (migrations 0010, 0014) wrote:
-- one per inserted or deleted row with the whole row, one per updated row with what
-- changed (old → new, plus id, project_id and step_key), secrets never, nothing for an
-- update that changed nothing, and nothing at all while bouwstroom.audit = 'bulk' (the EIB
-- import writes one summary row per batch instead). The other audited tables keep their
-- row triggers (single-row writes).

CREATE FUNCTION bs_audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
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
          FROM (SELECT to_jsonb(t) AS j, row_number() OVER () AS i FROM new_rows t) nw
          JOIN (SELECT to_jsonb(t) AS j FROM old_rows t) od ON od.j -> 'id' = nw.j -> 'id'
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

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects','project_steps','organisations'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', t || '_audit', t);
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION bs_audit_statement()', t || '_audit_ins', t);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION bs_audit_statement()', t || '_audit_upd', t);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION bs_audit_statement()', t || '_audit_del', t);
    END LOOP;
END $$;
