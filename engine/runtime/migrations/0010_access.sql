-- Bouwstroom store, version 10: access (docs/security.md). Organisations own projects; users hold a
-- role per organisation and may be members of projects; projects carry a confidentiality
-- level; sessions and API tokens (hashes only); invitations of external developers; the
-- append-only audit log. The access policy itself is one SQL function,
-- bs_project_access(user), used by the API gate, every list, feed and export
-- (docs/security.md §3 has the table it implements).

-- ---- organisations ----
ALTER TABLE organisations
    ADD COLUMN region     text,          -- woonregio: municipalities of one region see "extern woonregio"
    ADD COLUMN provincie  text,          -- a provincie organisation sees its province's plans
    ADD COLUMN import_key text UNIQUE;   -- 'gemeente:<Gem_naam>' for organisations the import made

-- ---- roles per organisation ----
CREATE TABLE organisation_members (
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN
                      ('beheerder','projectleider','medewerker','management','raad','extern')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, user_id)
);
CREATE INDEX organisation_members_user ON organisation_members (user_id);
-- every existing user keeps a role in their home organisation
INSERT INTO organisation_members (organisation_id, user_id, role)
SELECT u.organisation_id, u.id,
       CASE WHEN u.is_admin THEN 'beheerder'
            WHEN o.kind IN ('gemeente','provincie','rijk') THEN 'medewerker' ELSE 'extern' END
FROM users u JOIN organisations o ON o.id = u.organisation_id;

ALTER TABLE users
    ADD COLUMN totp_confirmed boolean NOT NULL DEFAULT false,  -- a code was accepted once
    ADD COLUMN activated_at   timestamptz;                      -- password set (invited users)
UPDATE users SET totp_confirmed = (totp_secret IS NOT NULL), activated_at = now() WHERE password_hash IS NOT NULL;

-- ---- projects: owner, developer, confidentiality ----
ALTER TABLE projects
    ADD COLUMN owner_organisation_id     uuid REFERENCES organisations (id),
    ADD COLUMN developer_organisation_id uuid REFERENCES organisations (id),  -- owns the private stream
    ADD COLUMN confidentiality           text NOT NULL DEFAULT 'intern_ambtelijk' CHECK (confidentiality IN
      ('prive','intern_ambtelijk','intern_bestuurlijk','intern_raad','extern_woonregio',
       'extern_mede_overheden','openbaar'));
CREATE INDEX projects_owner ON projects (owner_organisation_id);

-- backfill plans imported before this version: one gemeente organisation per Gem_naam
INSERT INTO organisations (name, kind, provincie, import_key)
SELECT DISTINCT ON (gemeente) gemeente, 'gemeente', provincie, 'gemeente:' || gemeente
FROM projects WHERE gemeente IS NOT NULL ORDER BY gemeente, provincie
ON CONFLICT (import_key) DO NOTHING;
UPDATE projects p SET owner_organisation_id = o.id,
       confidentiality = CASE WHEN p.planstatus IN ('1A','1B','2A','2B') THEN 'extern_mede_overheden'
                              ELSE 'intern_ambtelijk' END
FROM organisations o WHERE o.import_key = 'gemeente:' || p.gemeente AND p.owner_organisation_id IS NULL;

-- ---- membership per project ----
CREATE TABLE project_members (
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('projectleider','medewerker','extern')),
    invited_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

-- ---- invitations (external developers) ----
CREATE TABLE invitations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash  text NOT NULL UNIQUE,    -- SHA-256 of the invitation secret, hex
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id  uuid REFERENCES projects (id) ON DELETE CASCADE,
    invited_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);

-- ---- sessions and API tokens: only SHA-256 of the secret is stored ----
CREATE TABLE sessions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash     text NOT NULL UNIQUE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    client_address text
);
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash   text NOT NULL UNIQUE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label        text NOT NULL DEFAULT '',
    scopes       text[] NOT NULL CHECK (scopes <@ ARRAY['read','write','admin']::text[] AND cardinality(scopes) > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- feed tokens remember who made them: a feed shows only what its maker may still see
ALTER TABLE feed_tokens ADD COLUMN created_by uuid REFERENCES users (id) ON DELETE CASCADE;
UPDATE feed_tokens SET created_by = user_id WHERE created_by IS NULL;

-- ---- the access policy (docs/security.md §3) ----
-- Rank of a confidentiality level, 0 = prive … 6 = openbaar.
CREATE FUNCTION bs_confidentiality_rank(c text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT array_position(ARRAY['prive','intern_ambtelijk','intern_bestuurlijk','intern_raad',
                                'extern_woonregio','extern_mede_overheden','openbaar'], c) - 1
$$;

-- Every project with the access p_user has to it: 'lead' (manage: members, roles, audit,
-- apply scenarios; includes write), 'write' (steps and scenarios; includes read), 'read',
-- 'stream' (an external member: the private stream and the milestones it depends on),
-- 'aggregate' (counted in aggregates only) or NULL (nothing). p_user NULL = anonymous.
-- A disabled user has the access of an anonymous one.
CREATE FUNCTION bs_project_access(p_user uuid) RETURNS TABLE (project_id uuid, access text)
LANGUAGE sql STABLE AS $$
    WITH me AS (SELECT id FROM users WHERE id = p_user AND disabled_at IS NULL),
    mine AS (SELECT om.organisation_id, om.role, o.kind, o.region, o.provincie
               FROM organisation_members om JOIN me ON me.id = om.user_id
               JOIN organisations o ON o.id = om.organisation_id)
    SELECT p.id,
      CASE
        WHEN pm.role = 'projectleider' THEN 'lead'
        WHEN pm.role = 'medewerker' THEN 'write'
        WHEN pm.role = 'extern' THEN 'stream'
        WHEN p.confidentiality = 'prive' THEN NULL
        WHEN own.role IN ('beheerder','projectleider') THEN 'lead'
        WHEN own.role = 'medewerker' THEN 'write'
        WHEN own.role = 'management' AND bs_confidentiality_rank(p.confidentiality) >= 2 THEN 'read'
        WHEN own.role = 'raad' AND bs_confidentiality_rank(p.confidentiality) >= 3 THEN 'read'
        WHEN bs_confidentiality_rank(p.confidentiality) >= 4 AND EXISTS (
               SELECT 1 FROM mine m JOIN organisations po ON po.id = p.owner_organisation_id
               WHERE m.kind = 'gemeente' AND m.role <> 'extern' AND m.region IS NOT NULL
                 AND m.region = po.region AND m.organisation_id <> po.id) THEN 'read'
        WHEN bs_confidentiality_rank(p.confidentiality) >= 5 AND EXISTS (
               SELECT 1 FROM mine m WHERE m.role <> 'extern'
                 AND (m.kind = 'rijk' OR (m.kind = 'provincie' AND m.provincie = p.provincie))) THEN 'read'
        WHEN p.confidentiality = 'openbaar' THEN 'read'
        WHEN own.role IN ('management','raad') THEN 'aggregate'
        ELSE NULL
      END
    FROM projects p
    LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = (SELECT id FROM me)
    LEFT JOIN mine own ON own.organisation_id = p.owner_organisation_id
$$;

-- ---- the audit log: append-only ----
CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_user_id   uuid,             -- NULL: the system (CLI, import, notifier)
    actor_email     text,
    actor_org_id    uuid,
    actor_label     text NOT NULL,    -- e-mail of the user, or 'cli:<command>', 'import', 'system'
    client_address  text,
    project_id      uuid,             -- the project the row belongs to (NULL: none)
    action          text NOT NULL,    -- INSERT | UPDATE | DELETE | import
    entity          text NOT NULL,    -- table name
    entity_id       text,
    old             jsonb,            -- the row before (secrets redacted)
    new             jsonb             -- the row after (secrets redacted)
);
CREATE INDEX audit_log_project ON audit_log (project_id, id);

CREATE FUNCTION bs_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION bs_audit_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION bs_audit_refuse();

-- The actor is the transaction-local setting bouwstroom.actor, a JSON object
-- {"user_id", "email", "organisation_id", "label", "address"} set by the API for each write
-- (api/authz.c) and by the CLI. Bulk imports set bouwstroom.audit = 'bulk' and write one
-- summary row themselves instead of one row per project step.
CREATE FUNCTION bs_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor jsonb := NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb;
    o jsonb;
    n jsonb;
    pid uuid;
BEGIN
    IF current_setting('bouwstroom.audit', true) = 'bulk' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD) - ARRAY['password_hash','totp_secret','token_hash']; END IF;
    IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW) - ARRAY['password_hash','totp_secret','token_hash']; END IF;
    IF TG_OP = 'UPDATE' THEN
        -- keep only what changed (old → new), not the whole row
        SELECT jsonb_object_agg(k, o -> k), jsonb_object_agg(k, n -> k) INTO o, n
          FROM jsonb_object_keys(to_jsonb(NEW) - ARRAY['password_hash','totp_secret','token_hash']) AS k
         WHERE (to_jsonb(OLD) -> k) IS DISTINCT FROM (to_jsonb(NEW) -> k);
        IF n IS NULL THEN
            RETURN NULL;  -- nothing visible changed
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

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['projects','project_steps','project_links','scenarios',
                             'organisations','users','organisation_members','project_members',
                             'project_roles','follows','alert_rules','feed_tokens','api_tokens',
                             'invitations','sessions'] LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION bs_audit_row()', t || '_audit', t);
    END LOOP;
END $$;
