-- Bouwstroom store, version 13: the gate's lookup as one PL/pgSQL function, so that
-- its statements are planned once per connection (PL/pgSQL caches their plans) instead of
-- at every request: the credential, the principal, and its access to one project through
-- the same policy function bs_project_access (migration 0010). Columns in the order
-- api/authz.c reads them.
CREATE FUNCTION bs_gate(p_hash text, p_kind text, p_project uuid)
RETURNS TABLE (o_known boolean, o_user uuid, o_email text, o_organisation uuid, o_is_admin boolean,
               o_token uuid, o_scopes text, o_beheerder_orgs uuid[], o_access text,
               o_project_exists boolean, o_developer_org boolean)
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
    IF p_project IS NOT NULL THEN
        SELECT true, p.developer_organisation_id INTO o_project_exists, v_dev FROM projects p WHERE p.id = p_project;
        o_project_exists := COALESCE(o_project_exists, false);
        o_developer_org := COALESCE(v_dev = o_organisation, false);
        SELECT a.access INTO o_access FROM bs_project_access(o_user) a WHERE a.project_id = p_project;
    END IF;
    RETURN NEXT;
END $$;
