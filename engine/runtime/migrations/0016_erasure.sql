-- Bouwstroom store, version 16: erasure of a user (AVG/GDPR art. 17, docs/security.md §8a).
-- bs_erase_user(id) removes the person's e-mail address and name from every place they
-- identify them and leaves a stable pseudonym ("former user 7f3a…", the same everywhere,
-- derived from the user id, not from the address) where history and audit need an author;
-- it ends the user's sessions, tokens, follows, feeds, memberships and roles. The audit log
-- stays append-only for everything else: the only UPDATE it accepts is the erasure's own
-- rewrite of the identifying columns, inside the transaction that erased the user.

ALTER TABLE users ADD COLUMN erased_at timestamptz;

-- The pseudonym of a user: 'former user ' + 12 hex digits of SHA-256 over the user id.
CREATE FUNCTION bs_user_pseudonym(p_user uuid) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'former user ' || left(encode(sha256(convert_to('bouwstroom:erased:' || p_user::text, 'UTF8')), 'hex'), 12)
$$;

-- t with every occurrence of p_email (case-insensitive) replaced by p_pseudo, and t as a
-- whole replaced when it equals p_name (a name is replaced only where it is the whole value:
-- a short name inside other text is not necessarily the person).
CREATE FUNCTION bs_text_scrub(t text, p_email text, p_name text, p_pseudo text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    pos int;
BEGIN
    IF t IS NULL THEN RETURN NULL; END IF;
    IF p_name IS NOT NULL AND p_name <> '' AND t = p_name THEN RETURN p_pseudo; END IF;
    IF p_email IS NULL OR p_email = '' THEN RETURN t; END IF;
    pos := strpos(lower(t), lower(p_email));
    WHILE pos > 0 LOOP
        t := left(t, pos - 1) || p_pseudo || substr(t, pos + length(p_email));
        pos := strpos(lower(t), lower(p_email));
    END LOOP;
    RETURN t;
END $$;

-- j with bs_text_scrub applied to every string value (and object key) at any depth.
CREATE FUNCTION bs_jsonb_scrub(j jsonb, p_email text, p_name text, p_pseudo text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(j)
        WHEN 'object' THEN (SELECT COALESCE(jsonb_object_agg(bs_text_scrub(e.key, p_email, p_name, p_pseudo),
                                                             bs_jsonb_scrub(e.value, p_email, p_name, p_pseudo)), '{}')
                              FROM jsonb_each(j) e)
        WHEN 'array' THEN (SELECT COALESCE(jsonb_agg(bs_jsonb_scrub(a.v, p_email, p_name, p_pseudo) ORDER BY a.i), '[]')
                             FROM jsonb_array_elements(j) WITH ORDINALITY a(v, i))
        WHEN 'string' THEN to_jsonb(bs_text_scrub(j #>> '{}', p_email, p_name, p_pseudo))
        ELSE j END
$$;

-- Whether j holds the address (anywhere) or the name (as a whole string value).
CREATE FUNCTION bs_jsonb_mentions(j jsonb, p_email text, p_name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT j IS NOT NULL AND (strpos(lower(j::text), lower(p_email)) > 0
        OR (p_name <> '' AND strpos(j::text, to_jsonb(p_name)::text) > 0))
$$;

-- Audit rows are append-only (migration 0010), except for the rewrite by bs_erase_user:
-- in the transaction that erased the user named by bouwstroom.erasure, an UPDATE may
-- change actor_email, actor_label, old and new, and nothing else.
CREATE OR REPLACE FUNCTION bs_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    erasing text := NULLIF(current_setting('bouwstroom.erasure', true), '');
BEGIN
    IF TG_OP = 'UPDATE' AND erasing IS NOT NULL
       AND EXISTS (SELECT 1 FROM users WHERE id = erasing::uuid AND erased_at = now())
       AND (NEW.id, NEW.at, NEW.actor_user_id, NEW.actor_org_id, NEW.client_address, NEW.project_id, NEW.action,
            NEW.entity, NEW.entity_id)
           IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.actor_user_id, OLD.actor_org_id, OLD.client_address,
                                 OLD.project_id, OLD.action, OLD.entity, OLD.entity_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;

-- Erases user p_user (docs/security.md §8a); returns the pseudonym, NULL for an unknown user.
-- Run in a transaction with bouwstroom.actor set (the administrator): one audit row
-- 'ERASE' records who erased whom (by user id and pseudonym, without the erased data); the
-- row triggers are silenced for the erasure itself (they would copy the data it removes).
CREATE FUNCTION bs_erase_user(p_user uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_email text;
    v_name text;
    v_pseudo text := bs_user_pseudonym(p_user);
    actor jsonb := NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb;
BEGIN
    SELECT email, name INTO v_email, v_name FROM users WHERE id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('bouwstroom.audit', 'bulk', true);
    PERFORM set_config('bouwstroom.erasure', p_user::text, true);
    UPDATE users SET email = substr(v_pseudo, 13) || '@erased.invalid', name = v_pseudo, password_hash = NULL,
           totp_secret = NULL, totp_confirmed = false, totp_last_step = NULL, digest = false,
           disabled_at = COALESCE(disabled_at, now()), erased_at = now(), failed_logins = 0,
           first_failed_at = NULL, locked_until = NULL
     WHERE id = p_user;
    -- credentials, subscriptions, memberships and mail addressed to them end
    DELETE FROM sessions WHERE user_id = p_user;
    DELETE FROM api_tokens WHERE user_id = p_user;
    DELETE FROM feed_tokens WHERE user_id = p_user OR created_by = p_user;
    DELETE FROM follows WHERE user_id = p_user;
    DELETE FROM alert_rules WHERE user_id = p_user;
    DELETE FROM alerts WHERE user_id = p_user;
    DELETE FROM invitations WHERE user_id = p_user;
    DELETE FROM project_roles WHERE user_id = p_user;
    DELETE FROM project_members WHERE user_id = p_user;
    DELETE FROM organisation_members WHERE user_id = p_user;
    IF v_email = '' THEN
        v_email := NULL;
    END IF;
    -- authorship: the pseudonym instead of the address (or the name)
    UPDATE schedule_history SET changed_by = bs_text_scrub(changed_by, v_email, v_name, v_pseudo),
           reason = bs_text_scrub(reason, v_email, v_name, v_pseudo)
     WHERE strpos(lower(changed_by), lower(v_email)) > 0 OR strpos(lower(reason), lower(v_email)) > 0
        OR changed_by = v_name;
    UPDATE scenarios SET created_by = bs_text_scrub(created_by, v_email, v_name, v_pseudo)
     WHERE strpos(lower(created_by), lower(v_email)) > 0 OR created_by = v_name;
    -- other people's mail that names them (e.g. the author of an external update)
    UPDATE alerts SET payload = bs_jsonb_scrub(payload, v_email, v_name, v_pseudo)
     WHERE bs_jsonb_mentions(payload, v_email, v_name);
    UPDATE adapter_events SET payload = bs_jsonb_scrub(payload, v_email, v_name, v_pseudo)
     WHERE bs_jsonb_mentions(payload, v_email, v_name);
    -- the audit log: actor and old → new
    UPDATE audit_log SET
           actor_email = CASE WHEN actor_user_id = p_user OR lower(actor_email) = lower(v_email) THEN NULL
                              ELSE actor_email END,
           actor_label = CASE WHEN actor_user_id = p_user OR lower(actor_email) = lower(v_email) THEN v_pseudo
                              ELSE bs_text_scrub(actor_label, v_email, v_name, v_pseudo) END,
           old = bs_jsonb_scrub(old, v_email, v_name, v_pseudo),
           new = bs_jsonb_scrub(new, v_email, v_name, v_pseudo)
     WHERE actor_user_id = p_user OR lower(actor_email) = lower(v_email)
        OR strpos(lower(actor_label), lower(v_email)) > 0
        OR bs_jsonb_mentions(old, v_email, v_name) OR bs_jsonb_mentions(new, v_email, v_name);
    PERFORM set_config('bouwstroom.audit', '', true);
    INSERT INTO audit_log (actor_user_id, actor_email, actor_org_id, actor_label, client_address,
                           project_id, action, entity, entity_id, old, new)
    VALUES (NULLIF(actor ->> 'user_id', '')::uuid, actor ->> 'email',
            NULLIF(actor ->> 'organisation_id', '')::uuid, COALESCE(actor ->> 'label', 'system'),
            actor ->> 'address', NULL, 'ERASE', 'users', p_user::text, NULL,
            jsonb_build_object('pseudonym', v_pseudo));
    RETURN v_pseudo;
END $$;
