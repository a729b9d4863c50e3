-- Bouwstroom store, version 15: access is a set. `openbaar` grants the level 'public' (the
-- project's public facts, docs/security.md §3a) instead of 'read', and a caller's access is
-- the union of what every applicable rule grants: the best of the nested levels
-- lead ⊃ write ⊃ read ⊃ public (or 'aggregate') plus, separately, `stream` (an external
-- member's private stream). An external member of an openbaar project thus has both its
-- stream and 'public' (docs/security.md §3).

DROP FUNCTION bs_gate(text, text, uuid);
DROP FUNCTION bs_project_access(uuid);

-- Every project with the access p_user has to it: `access` is the best level granted by any
-- rule — 'lead' (manage: members, roles, audit, apply scenarios; includes write), 'write'
-- (steps and scenarios; includes read), 'read' (everything about the project, incl. the
-- people), 'public' (the public facts only), 'aggregate' (counted in aggregates only) or
-- NULL; `stream` is true for an external member (the private stream and the milestones it
-- depends on, writes to the private stream). p_user NULL = anonymous. A disabled user has
-- the access of an anonymous one.
CREATE FUNCTION bs_project_access(p_user uuid) RETURNS TABLE (project_id uuid, access text, stream boolean)
LANGUAGE sql STABLE AS $$
    WITH me AS (SELECT id FROM users WHERE id = p_user AND disabled_at IS NULL),
    mine AS (SELECT om.organisation_id, om.role, o.kind, o.region, o.provincie
               FROM organisation_members om JOIN me ON me.id = om.user_id
               JOIN organisations o ON o.id = om.organisation_id)
    SELECT p.id,
      CASE
        WHEN pm.role = 'projectleider' THEN 'lead'
        WHEN pm.role = 'medewerker' THEN 'write'
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
        WHEN p.confidentiality = 'openbaar' THEN 'public'
        WHEN own.role IN ('management','raad') THEN 'aggregate'
        ELSE NULL
      END,
      COALESCE(pm.role = 'extern', false)
    FROM projects p
    LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = (SELECT id FROM me)
    LEFT JOIN mine own ON own.organisation_id = p.owner_organisation_id
$$;

-- The gate's lookup (as in migration 0013) with the stream flag as the last column.
CREATE FUNCTION bs_gate(p_hash text, p_kind text, p_project uuid)
RETURNS TABLE (o_known boolean, o_user uuid, o_email text, o_organisation uuid, o_is_admin boolean,
               o_token uuid, o_scopes text, o_beheerder_orgs uuid[], o_access text,
               o_project_exists boolean, o_developer_org boolean, o_stream boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_user uuid;
    v_token uuid;
    v_scopes text[];
    v_dev uuid;
BEGIN
    IF p_kind = 'session' THEN
        SELECT s.user_id INTO v_user FROM sessions s
         WHERE s.token_hash = p_hash AND s.revoked_at IS NULL AND s.expires_at > now();
        v_scopes := ARRAY['read','write','admin'];
    ELSIF p_kind = 'token' THEN
        SELECT t.user_id, t.id, t.scopes INTO v_user, v_token, v_scopes FROM api_tokens t
         WHERE t.token_hash = p_hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now());
    END IF;
    IF v_user IS NOT NULL THEN
        SELECT u.id, u.email, u.organisation_id, u.is_admin INTO o_user, o_email, o_organisation, o_is_admin
          FROM users u WHERE u.id = v_user AND u.disabled_at IS NULL;
    END IF;
    o_known := o_user IS NOT NULL;
    IF o_known THEN
        o_token := v_token;
        o_scopes := array_to_string(v_scopes, ',');
        SELECT COALESCE(array_agg(om.organisation_id), '{}') INTO o_beheerder_orgs
          FROM organisation_members om WHERE om.user_id = o_user AND om.role = 'beheerder';
    ELSE
        o_is_admin := false;
        o_beheerder_orgs := '{}';
    END IF;
    o_project_exists := false;
    o_developer_org := false;
    o_stream := false;
    IF p_project IS NOT NULL THEN
        SELECT true, p.developer_organisation_id INTO o_project_exists, v_dev FROM projects p WHERE p.id = p_project;
        o_project_exists := COALESCE(o_project_exists, false);
        o_developer_org := COALESCE(v_dev = o_organisation, false);
        SELECT a.access, a.stream INTO o_access, o_stream FROM bs_project_access(o_user) a WHERE a.project_id = p_project;
        o_stream := COALESCE(o_stream, false);
    END IF;
    RETURN NEXT;
END $$;
