-- Bouwstroom store, version 14: an update that changes only a secret (a new
-- password, a reset or enrolled second factor, a token hash) is audited too. The audit row
-- names the secret column with the value "[redacted]" instead of skipping the update as
-- "nothing visible changed"; secrets themselves still never reach the log.
CREATE OR REPLACE FUNCTION bs_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor jsonb := NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb;
    secret_cols constant text[] := ARRAY['password_hash','totp_secret','token_hash'];
    o jsonb;
    n jsonb;
    pid uuid;
BEGIN
    IF current_setting('bouwstroom.audit', true) = 'bulk' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD) - secret_cols; END IF;
    IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW) - secret_cols; END IF;
    IF TG_OP = 'UPDATE' THEN
        -- keep only what changed (old → new), not the whole row; a changed secret as "[redacted]"
        SELECT jsonb_object_agg(k, CASE WHEN k = ANY (secret_cols) THEN to_jsonb('[redacted]'::text) ELSE to_jsonb(OLD) -> k END),
               jsonb_object_agg(k, CASE WHEN k = ANY (secret_cols) THEN to_jsonb('[redacted]'::text) ELSE to_jsonb(NEW) -> k END)
          INTO o, n
          FROM jsonb_object_keys(to_jsonb(NEW)) AS k
         WHERE (to_jsonb(OLD) -> k) IS DISTINCT FROM (to_jsonb(NEW) -> k);
        IF n IS NULL THEN
            RETURN NULL;  -- nothing changed
        END IF;
        n := n || jsonb_build_object('id', to_jsonb(NEW) -> 'id', 'project_id', to_jsonb(NEW) -> 'project_id',
                                     'step_key', to_jsonb(NEW) -> 'step_key');
        n := jsonb_strip_nulls(n);
    END IF;
    IF TG_TABLE_NAME = 'projects' THEN
        pid := COALESCE(to_jsonb(NEW), to_jsonb(OLD)) ->> 'id';
    ELSE
        pid := NULLIF(COALESCE(to_jsonb(NEW), to_jsonb(OLD)) ->> 'project_id', '');
    END IF;
    INSERT INTO audit_log (actor_user_id, actor_email, actor_org_id, actor_label, client_address,
                           project_id, action, entity, entity_id, old, new)
    VALUES (NULLIF(actor ->> 'user_id', '')::uuid, actor ->> 'email',
            NULLIF(actor ->> 'organisation_id', '')::uuid, COALESCE(actor ->> 'label', 'system'),
            actor ->> 'address', pid, TG_OP, TG_TABLE_NAME,
            COALESCE(n, o) ->> CASE WHEN COALESCE(n, o) ? 'id' THEN 'id' ELSE 'step_key' END, o, n);
    RETURN NULL;
END $$;
