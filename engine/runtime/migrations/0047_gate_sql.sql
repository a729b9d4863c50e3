-- Bouwstroom store, version 47: the gate's lookup as one SQL statement (issue 17 item 1,
-- docs/performance.md "Durable writes"; docs/security.md §4).
--
-- bs_gate (migrations 0013, 0015) ran up to five queries in PL/pgSQL at every request: the
-- credential (session or API token), the user, the user's beheerder organisations, the project,
-- and the access to it (bs_project_access); 0.3-0.45 ms of PostgreSQL's CPU per request. The
-- same lookup is now one SELECT in a LANGUAGE sql function, which PostgreSQL inlines into the
-- caller's statement (api/authz_sql.h SQL_GATE, SQL_GATE_STATE: a set-returning STABLE SQL function
-- in FROM) and plans with it, once per connection. The decisions are the same, column by column:
--   o_known          a live credential of kind p_kind (a session: not revoked, not expired; a token:
--                    not revoked, no expiry or not expired) whose user is not disabled;
--   o_user, o_email, o_organisation, o_is_admin   that user (NULL, NULL, NULL, false when unknown);
--   o_token, o_scopes    the token's id and its scopes joined by ',' (a session: NULL and
--                    'read,write,admin'); NULL when unknown;
--   o_beheerder_orgs the organisations the user is beheerder of ('{}' when none or unknown);
--   o_project_exists, o_developer_org   the project p_project exists; it is developed by the user's
--                    organisation (false when p_project is NULL or unknown);
--   o_access, o_stream   bs_project_access(user) for that project (NULL, false when none).
-- One row always (the FROM is one row, every lookup a LEFT JOIN of at most one row: the credential
-- hashes are unique, the access row of a project is one; LIMIT 1 keeps PL/pgSQL's "first row").
CREATE OR REPLACE FUNCTION bs_gate(p_hash text, p_kind text, p_project uuid)
RETURNS TABLE (o_known boolean, o_user uuid, o_email text, o_organisation uuid, o_is_admin boolean,
               o_token uuid, o_scopes text, o_beheerder_orgs uuid[], o_access text,
               o_project_exists boolean, o_developer_org boolean, o_stream boolean)
LANGUAGE sql STABLE AS $$
    SELECT u.id IS NOT NULL,
           u.id, u.email, u.organisation_id, COALESCE(u.is_admin, false),
           CASE WHEN u.id IS NOT NULL THEN c.token_id END,
           CASE WHEN u.id IS NOT NULL THEN array_to_string(c.scopes, ',') END,
           CASE WHEN u.id IS NULL THEN '{}'::uuid[]
                ELSE COALESCE((SELECT array_agg(om.organisation_id) FROM organisation_members om
                                WHERE om.user_id = u.id AND om.role = 'beheerder'), '{}') END,
           acc.access,
           p.id IS NOT NULL,
           COALESCE(p.developer_organisation_id = u.organisation_id, false),
           COALESCE(acc.stream, false)
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (
          SELECT s.user_id, NULL::uuid AS token_id, ARRAY['read','write','admin'] AS scopes FROM sessions s
           WHERE p_kind = 'session' AND s.token_hash = p_hash AND s.revoked_at IS NULL AND s.expires_at > now()
          UNION ALL
          SELECT t.user_id, t.id, t.scopes FROM api_tokens t
           WHERE p_kind = 'token' AND t.token_hash = p_hash AND t.revoked_at IS NULL
             AND (t.expires_at IS NULL OR t.expires_at > now())
          LIMIT 1) c ON true
      LEFT JOIN users u ON u.id = c.user_id AND u.disabled_at IS NULL
      LEFT JOIN projects p ON p.id = p_project
      LEFT JOIN LATERAL (
          SELECT a.access, a.stream FROM bs_project_access(u.id) a WHERE a.project_id = p_project LIMIT 1) acc ON true
$$;
