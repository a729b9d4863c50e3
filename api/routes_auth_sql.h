/*
 * Bouwstroom API: the SQL of the authentication, token, invitation, password-reset, member, project and organisation routes (routes_auth.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_ROUTES_AUTH_SQL_H
#define BS_ROUTES_AUTH_SQL_H

#include "store.h"

/* Creates an API token. $1 token hash, $2 user id, $3 label, $4 scopes (text[]), $5 expiry (Unix seconds). Returns
 * the token row as JSON. */
static const bs_stmt SQL_API_TOKEN_INSERT = {
    "api_token_insert",
    "WITH t AS (INSERT INTO api_tokens (token_hash, user_id, label, scopes, expires_at) "
    "VALUES ($1, $2::uuid, $3, $4::text[], to_timestamp($5::bigint)) "
    "RETURNING id, user_id, label AS name, label, scopes, created_at, expires_at) SELECT row_to_json(t) FROM t",
    5};

/* One page of the caller's API tokens: count and page as JSON. $1 user id, $2 limit, $3 offset. */
static const bs_stmt SQL_API_TOKEN_LIST = {
    "api_token_list",
    "WITH f AS (SELECT * FROM api_tokens WHERE user_id = $1::uuid) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(json_build_object('id', id, 'name', "
    "label, 'label', label, 'scopes', scopes, 'created_at', created_at, 'expires_at', expires_at, "
    "'revoked_at', revoked_at) ORDER BY created_at, id) FROM (SELECT * FROM f ORDER BY created_at, id "
    "LIMIT $2::bigint OFFSET $3::bigint) r), '[]')",
    3};

/* Revokes an API token of the caller (or any, $3 administrator). $1 token id, $2 user id, $3 administrator
 * (boolean). */
static const bs_stmt SQL_API_TOKEN_REVOKE = {
    "api_token_revoke",
    "UPDATE api_tokens SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL "
    "AND (user_id = $2::uuid OR $3::boolean) RETURNING 'null'",
    3};

/* Accepts an invitation and sets the invited user's password, attributed to that user (the statement sets
 * bouwstroom.actor itself). $1 invitation token hash, $2 password hash, $3 client address. */
static const bs_stmt SQL_INVITATION_ACCEPT = {
    "invitation_accept",
    "WITH i AS (UPDATE invitations SET accepted_at = now() WHERE token_hash = $1 AND accepted_at IS NULL "
    "  AND expires_at > now() RETURNING user_id), "
    "who AS (SELECT set_config('bouwstroom.actor', json_build_object('user_id', w.id, 'email', w.email, "
    "  'organisation_id', w.organisation_id, 'label', w.email, 'address', NULLIF($3, ''))::text, true) "
    "  FROM users w WHERE w.id = (SELECT user_id FROM i)), "
    "u AS (UPDATE users SET password_hash = $2, activated_at = now() WHERE id = (SELECT user_id FROM i) "
    "  AND password_hash IS NULL RETURNING id, email), "
    "s AS (UPDATE sessions SET revoked_at = now() WHERE user_id IN (SELECT id FROM u) "
    "  AND revoked_at IS NULL RETURNING 1) "
    "SELECT json_build_object('user_id', id, 'email', email) FROM u, who",
    3};

/* Invites an external user to a project: the organisation (found or created), the user, the membership, the
 * invitation and its mail, in one statement. $1 project id, $2 e-mail, $3 organisation id, $4 organisation name,
 * $5 organisation kind, $6 name, $7 inviting user id, $8 token hash, $9 valid days, $10 invitation id, $11 mail
 * domain, $12 now (Unix seconds), $13 server key present (boolean: the mail can carry the link). */
static const bs_stmt SQL_INVITATION_CREATE = {
    "invitation_create",
    "WITH proj AS (SELECT id, developer_organisation_id FROM projects WHERE id = $1::uuid), "
    "existing AS (SELECT u.id, u.organisation_id, o.kind, u.password_hash IS NOT NULL AS activated, "
    "  u.is_admin OR EXISTS (SELECT 1 FROM organisation_members om JOIN organisations mo ON mo.id = om.organisation_id "
    "    WHERE om.user_id = u.id AND (om.role <> 'extern' OR mo.kind IN ('gemeente','provincie','rijk'))) AS municipal "
    "  FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE lower(u.email) = lower($2)), "
    "given AS (SELECT id FROM organisations WHERE id = $3::uuid AND kind NOT IN ('gemeente','provincie','rijk')), "
    "named AS (SELECT id FROM organisations WHERE name = $4 AND kind NOT IN ('gemeente','provincie','rijk') "
    "  ORDER BY created_at, id LIMIT 1), "
    "neworg AS (INSERT INTO organisations (name, kind) SELECT $4, COALESCE($5, 'ontwikkelaar') "
    "  WHERE $4::text IS NOT NULL AND $3::uuid IS NULL AND NOT EXISTS (SELECT 1 FROM existing) "
    "  AND NOT EXISTS (SELECT 1 FROM named) "
    "  AND NOT EXISTS (SELECT 1 FROM organisations WHERE name = $4 AND kind IN ('gemeente','provincie','rijk')) "
    "  RETURNING id), "
    "org AS (SELECT COALESCE((SELECT organisation_id FROM existing), (SELECT id FROM given), (SELECT id FROM named), "
    "  (SELECT id FROM neworg), "
    "  CASE WHEN $3::uuid IS NULL AND $4::text IS NULL THEN (SELECT developer_organisation_id FROM proj) END) AS id), "
    "why AS (SELECT CASE "
    "  WHEN EXISTS (SELECT 1 FROM existing WHERE kind IN ('gemeente','provincie','rijk') OR municipal) THEN 'municipal' "
    "  WHEN $3::uuid IS NOT NULL AND $4::text IS NOT NULL THEN 'both' "
    "  WHEN $4::text IS NOT NULL AND EXISTS (SELECT 1 FROM organisations WHERE name = $4 "
    "    AND kind IN ('gemeente','provincie','rijk')) THEN 'municipal_name' "
    "  WHEN (SELECT id FROM org) IS NULL THEN 'organisation' "
    "  WHEN (SELECT developer_organisation_id FROM proj) IS NOT NULL "
    "   AND (SELECT developer_organisation_id FROM proj) <> (SELECT id FROM org) THEN 'other_developer' "
    "  WHEN EXISTS (SELECT 1 FROM project_members pm JOIN existing e ON e.id = pm.user_id WHERE pm.project_id = $1::uuid) "
    "   THEN 'member' END AS v), "
    "newuser AS (INSERT INTO users (organisation_id, email, name) SELECT org.id, $2, COALESCE($6, '') FROM org, why "
    "  WHERE why.v IS NULL AND NOT EXISTS (SELECT 1 FROM existing) RETURNING id, organisation_id), "
    "u AS (SELECT id, organisation_id FROM existing, why WHERE why.v IS NULL "
    "  UNION ALL SELECT id, organisation_id FROM newuser), "
    "om AS (INSERT INTO organisation_members (organisation_id, user_id, role) SELECT organisation_id, id, 'extern' FROM u "
    "  ON CONFLICT DO NOTHING RETURNING 1), "
    "pm AS (INSERT INTO project_members (project_id, user_id, role, invited_by) SELECT $1::uuid, id, 'extern', $7::uuid "
    "  FROM u RETURNING 1), "
    "dev AS (UPDATE projects SET developer_organisation_id = (SELECT organisation_id FROM u) "
    "  WHERE id = $1::uuid AND developer_organisation_id IS NULL AND EXISTS (SELECT 1 FROM u) RETURNING 1), "
    "inv AS (INSERT INTO invitations (id, token_hash, user_id, project_id, invited_by, expires_at) "
    "  SELECT $10::uuid, $8, u.id, $1::uuid, $7::uuid, now() + make_interval(days => $9::int) FROM u "
    "  WHERE NOT EXISTS (SELECT 1 FROM existing WHERE activated) "
    "  RETURNING id, user_id, project_id, expires_at), "
    /* the invitation mail goes out through the notifier's outbox (durable, retried); its
    * payload holds the invitation id, not the secret: the notifier derives the secret
    * from the server key at send time (bs_invitation_token) */
    "mail AS (INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, digest, payload, message_id) "
    "  SELECT $1::uuid, 'invitation:' || $10, 'invitation', 0, inv.user_id, to_timestamp($12::bigint), false, "
    "  jsonb_build_object('project_id', p.id, 'project_name', p.name, 'gemeente', p.gemeente, "
    "    'step_key', 'invitation', 'invitation_id', inv.id, 'expires_at', inv.expires_at, "
    "    'invited_by', (SELECT COALESCE(NULLIF(name, ''), email) FROM users WHERE id = $7::uuid), "
    "    'organisation', (SELECT name FROM organisations WHERE id = (SELECT organisation_id FROM u))), "
    "  'invitation.' || $10 || '@' || $11 FROM inv JOIN projects p ON p.id = inv.project_id "
    "  WHERE $13::boolean RETURNING 1) "
    "SELECT (SELECT json_build_object('id', inv.id, 'user_id', u.id, 'project_id', $1::uuid, "
    "  'organisation_id', u.organisation_id, 'email', $2::text, 'expires_at', inv.expires_at, "
    "  'invitation', inv.id IS NOT NULL, "
    "  'members', (SELECT count(*) FROM pm), 'developer_set', (SELECT count(*) FROM dev), "
    "  'organisation_memberships', (SELECT count(*) FROM om), "
    "  'mailed', (SELECT count(*) FROM mail) > 0) FROM u LEFT JOIN inv ON true), "
    "  (SELECT v FROM why), CASE WHEN EXISTS (SELECT 1 FROM mail) THEN pg_notify('bs_alerts', '') END",
    13};

/* Records a failed login of an account under the policy (bs_login_step, migration 0025) in one statement on the row,
 * so that concurrent failures all count; returns the lock's end (Unix seconds, 0 = not locked). $1 user id, $2 now
 * (Unix seconds), $3 failures that lock, $4 window (s), $5 lockout (s). */
static const bs_stmt SQL_LOGIN_FAILURE_RECORD = {
    "login_failure_record",
    "UPDATE users u SET (failed_logins, first_failed_at, locked_until) = "
    "  (SELECT s.new_failures, to_timestamp(NULLIF(s.new_first, 0)), to_timestamp(NULLIF(s.new_locked, 0)) "
    "   FROM bs_login_step(u.failed_logins, COALESCE(extract(epoch FROM u.first_failed_at)::bigint, 0), "
    "     COALESCE(extract(epoch FROM u.locked_until)::bigint, 0), $2::bigint, $3::int, $4::int, $5::int) s) "
    "WHERE u.id = $1::uuid RETURNING COALESCE(extract(epoch FROM u.locked_until)::bigint, 0)",
    5};

/* Records a failure (or a counted request) of a counter that is not an account's (login_limits, migration 0025):
 * returns the lock's end (Unix seconds) when it is locked now, else 0. $1 kind, $2 key, $3 now (Unix seconds), $4
 * failures that lock, $5 window (s), $6 lockout (s). */
static const bs_stmt SQL_LIMIT_FAILURE = {"limit_failure",
                                          "SELECT bs_limit_failure($1, $2, $3::bigint, $4::int, $5::int, $6::int)", 6};

/* The lock's end (Unix seconds) of a counter of login_limits when it is locked now, else 0. $1 kind, $2 key, $3 now
 * (Unix seconds). */
static const bs_stmt SQL_LIMIT_LOCKED = {
    "limit_locked",
    "SELECT COALESCE((SELECT extract(epoch FROM locked_until)::bigint FROM login_limits WHERE kind = $1 AND key = $2 "
    "  AND locked_until > to_timestamp($3::bigint)), 0)",
    3};

/* Counts a password-reset request against the client address and the e-mail address when neither is locked
 * (login_limits, migration 0025): the two locks' ends (Unix seconds, 0 = not locked) before counting. $1 client
 * address, $2 lower-cased e-mail, $3 now (Unix seconds), $4 requests per address, $5 requests per e-mail, $6
 * window (s), $7 lockout (s). */
static const bs_stmt SQL_RESET_LIMIT = {
    "reset_limit",
    "WITH l AS MATERIALIZED (SELECT "
    "  COALESCE((SELECT extract(epoch FROM locked_until)::bigint FROM login_limits WHERE kind = 'reset_address' "
    "    AND key = $1 AND locked_until > to_timestamp($3::bigint)), 0) AS a, "
    "  COALESCE((SELECT extract(epoch FROM locked_until)::bigint FROM login_limits WHERE kind = 'reset_email' "
    "    AND key = $2 AND locked_until > to_timestamp($3::bigint)), 0) AS e) "
    "SELECT a, e, CASE WHEN a = 0 AND e = 0 THEN "
    "  bs_limit_failure('reset_address', $1, $3::bigint, $4::int, $6::int, $7::int) "
    "  + bs_limit_failure('reset_email', $2, $3::bigint, $5::int, $6::int, $7::int) END FROM l",
    7};

/* A successful login: resets the failure counters, records the TOTP step used (replay protection, RFC 6238 §5.2)
 * and creates the session. $1 user id, $2 session token hash, $3 TOTP step or NULL, $4 client address, $5 session
 * lifetime (hours). */
static const bs_stmt SQL_LOGIN_SESSION_CREATE = {
    "login_session_create",
    "WITH u AS (UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL, "
    "  totp_last_step = COALESCE($3::bigint, totp_last_step), "
    "  totp_confirmed = totp_confirmed OR $3::bigint IS NOT NULL "
    "  WHERE id = $1::uuid RETURNING id, email), "
    "s AS (INSERT INTO sessions (token_hash, user_id, expires_at, client_address) "
    "  SELECT $2, id, now() + make_interval(hours => $5::int), NULLIF($4, '') FROM u "
    "  RETURNING expires_at) "
    "SELECT json_build_object('user_id', u.id, 'email', u.email, 'expires_at', s.expires_at) "
    "FROM u, s",
    5};

/* The user of a login attempt with password hash, TOTP state, failure counters and whether the role needs a second
 * factor (all NULL when there is no active user of that address), and the ends (Unix seconds, 0 = not locked) of
 * the locks of the client address and of the e-mail address as an unknown one (login_limits, migration 0025). $1
 * e-mail, $2 client address, $3 lower-cased e-mail. */
static const bs_stmt SQL_LOGIN_USER_LOAD = {
    "login_user_load",
    "SELECT u.id, u.password_hash, u.totp_secret, u.totp_confirmed, COALESCE(u.totp_last_step, -1), "
    "  u.failed_logins, COALESCE(extract(epoch FROM u.first_failed_at)::bigint, 0), "
    "  COALESCE(extract(epoch FROM u.locked_until)::bigint, 0), "
    "  u.is_admin OR EXISTS (SELECT 1 FROM organisation_members om JOIN organisations o "
    "    ON o.id = om.organisation_id WHERE om.user_id = u.id AND om.role <> 'extern' "
    "    AND o.kind IN ('gemeente','provincie','rijk')), "
    "  COALESCE((SELECT extract(epoch FROM locked_until)::bigint FROM login_limits "
    "    WHERE kind = 'login_address' AND key = $2), 0), "
    "  COALESCE((SELECT extract(epoch FROM locked_until)::bigint FROM login_limits "
    "    WHERE kind = 'login_email' AND key = $3), 0) "
    "FROM (SELECT 1) one LEFT JOIN users u ON lower(u.email) = lower($1) AND u.disabled_at IS NULL",
    3};

/* The signed-in user (GET /me) as JSON. $1 user id, $2 API token id or NULL, $3 how the request was authenticated
 * (token or session). */
static const bs_stmt SQL_ME_LOAD = {
    "me_load",
    "SELECT json_build_object('id', u.id, 'email', u.email, 'name', u.name, "
    "'organisation_id', u.organisation_id, 'is_admin', u.is_admin, 'locale', u.locale, "
    "'totp_confirmed', u.totp_confirmed, 'authenticated_by', $3::text, "
    "'scopes', COALESCE((SELECT scopes FROM api_tokens WHERE id = $2::uuid), '{read,write,admin}'), "
    "'organisations', COALESCE((SELECT json_agg(json_build_object('organisation_id', o.id, 'name', o.name, "
    "  'kind', o.kind, 'role', om.role) ORDER BY o.name) FROM organisation_members om "
    "  JOIN organisations o ON o.id = om.organisation_id WHERE om.user_id = u.id), '[]'), "
    "'projects', COALESCE((SELECT json_agg(json_build_object('project_id', pm.project_id, 'role', pm.role)) "
    "  FROM project_members pm WHERE pm.user_id = u.id), '[]')) "
    "FROM users u WHERE u.id = $1::uuid",
    3};

/* Adds a user to a project's members. $1 project id, $2 user id, $3 role, $4 inviting user id. */
static const bs_stmt SQL_MEMBER_ADD = {"member_add",
                                       "WITH us AS (SELECT id FROM users WHERE id = $2::uuid), "
                                       "ins AS (INSERT INTO project_members (project_id, user_id, role, invited_by) "
                                       "  SELECT $1::uuid, id, $3, $4::uuid FROM us ON CONFLICT DO NOTHING "
                                       "  RETURNING project_id, user_id, role, created_at) "
                                       "SELECT (SELECT row_to_json(ins) FROM ins), EXISTS (SELECT 1 FROM us)",
                                       4};

/* One page of a project's members: count and page as JSON. $1 project id, $2 limit, $3 offset. */
static const bs_stmt SQL_MEMBER_LIST = {
    "member_list",
    "WITH f AS (SELECT u.id, u.email, u.name, u.organisation_id, pm.role, pm.created_at "
    "  FROM project_members pm JOIN users u ON u.id = pm.user_id WHERE pm.project_id = $1::uuid) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(json_build_object('user_id', id, "
    "'email', email, 'name', name, 'organisation_id', organisation_id, 'role', role, 'created_at', "
    "created_at) ORDER BY created_at, id) FROM (SELECT * FROM f ORDER BY created_at, id "
    "LIMIT $2::bigint OFFSET $3::bigint) r), '[]')",
    3};

/* An organisation with its settings as the API answers it (GET and PATCH /organisations/{id}):
 * o is a row of organisations. */
#define ORG_JSON(o)                                                                                                    \
    "json_build_object('id', " o ".id, 'name', " o ".name, 'kind', " o ".kind, 'region', " o ".region, "               \
    "'provincie', " o ".provincie, 'stale_after_months', " o ".stale_after_months, 'calendar', "                       \
    "json_build_object('goede_vrijdag', " o ".calendar_goede_vrijdag, 'bevrijdingsdag', " o                            \
    ".calendar_bevrijdingsdag), 'created_at', " o ".created_at)"

/* An organisation and whether the caller administers it: (allowed, json); no row for an unknown id. $1 organisation
 * id, $2 administrator of the installation (t/f), $3 the caller's beheerder organisations (uuid[]). */
static const bs_stmt SQL_ORGANISATION_GET = {
    "organisation_get",
    "SELECT $2::boolean OR o.id = ANY ($3::uuid[]), " ORG_JSON("o") " FROM organisations o WHERE o.id = $1::uuid", 3};

/* Changes an organisation's name, region, provincie, stale_after_months and calendar options (NULL keeps each)
 * when the caller administers it: (allowed, json), allowed NULL for an unknown id, json NULL when not allowed.
 * $1 organisation id, $2 name, $3 region, $4 provincie, $5 stale_after_months, $6 calendar_goede_vrijdag,
 * $7 calendar_bevrijdingsdag, $8 administrator of the installation (t/f), $9 the caller's beheerder
 * organisations (uuid[]). */
static const bs_stmt SQL_ORGANISATION_PATCH = {
    "organisation_patch",
    "WITH t AS (SELECT id, $8::boolean OR id = ANY ($9::uuid[]) AS ok FROM organisations WHERE id = $1::uuid), "
    "o AS (UPDATE organisations SET name = COALESCE($2, name), region = COALESCE($3, region), "
    "provincie = COALESCE($4, provincie), stale_after_months = COALESCE($5::int, stale_after_months), "
    "calendar_goede_vrijdag = COALESCE($6::boolean, calendar_goede_vrijdag), "
    "calendar_bevrijdingsdag = COALESCE($7, calendar_bevrijdingsdag) "
    "WHERE id = (SELECT id FROM t WHERE ok) RETURNING *) "
    "SELECT (SELECT ok FROM t), (SELECT " ORG_JSON("o") " FROM o)",
    9};

/* One page of an organisation's users (its organisation_members) with their role there and their active
 * sessions: (count, JSON array). $1 organisation id, $2 limit, $3 offset. */
static const bs_stmt SQL_ORG_USER_LIST = {
    "org_user_list",
    "WITH f AS (SELECT u.id, u.email, u.name, u.organisation_id AS home_organisation_id, om.role, u.is_admin, "
    "  u.disabled_at, u.erased_at, u.totp_confirmed, u.created_at, "
    "  (SELECT count(*) FROM sessions s WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()) "
    "    AS active_sessions, "
    "  (SELECT max(s.created_at) FROM sessions s WHERE s.user_id = u.id) AS last_login_at "
    "  FROM organisation_members om JOIN users u ON u.id = om.user_id WHERE om.organisation_id = $1::uuid) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(to_jsonb(r) - 'k' ORDER BY r.k, r.id) FROM "
    "(SELECT *, lower(COALESCE(NULLIF(name, ''), email, '')) AS k FROM f "
    "  ORDER BY lower(COALESCE(NULLIF(name, ''), email, '')), id LIMIT $2::bigint OFFSET $3::bigint) r), '[]')",
    3};

/* One page of a user's active sessions, newest first: (count, JSON array); count NULL when the caller may not see
 * the user (as SQL_USER_SESSIONS_REVOKE's visible). The client address only for the user themself. $1 user id,
 * $2 the caller, $3 administrator of the installation (t/f), $4 the caller's beheerder organisations (uuid[]),
 * $5 the caller's session hash or NULL (current), $6 limit, $7 offset. */
static const bs_stmt SQL_USER_SESSIONS_LIST = {
    "user_sessions_list",
    "WITH t AS (SELECT u.id, u.id = $2::uuid AS self FROM users u WHERE u.id = $1::uuid AND (u.id = $2::uuid "
    "  OR $3::boolean OR EXISTS (SELECT 1 FROM organisation_members om WHERE om.user_id = u.id "
    "  AND om.organisation_id = ANY ($4::uuid[])))), "
    "f AS (SELECT s.id, s.created_at, s.expires_at, CASE WHEN t.self THEN s.client_address END AS client_address, "
    "  COALESCE(s.token_hash = $5, false) AS current FROM sessions s JOIN t ON s.user_id = t.id "
    "  WHERE s.revoked_at IS NULL AND s.expires_at > now()) "
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM t) THEN (SELECT count(*) FROM f) END, "
    "COALESCE((SELECT json_agg(r ORDER BY r.created_at DESC, r.id) FROM (SELECT * FROM f "
    "  ORDER BY created_at DESC, id LIMIT $6::bigint OFFSET $7::bigint) r), '[]')",
    7};

/* Revokes every active session of a user: (visible, allowed, json). visible: the caller is the user, an
 * administrator of the installation, or beheerder of an organisation the user belongs to (NULL: no such user);
 * allowed: visible, and a beheerder does not end an administrator of the installation's sessions. $1 user id,
 * $2 the caller, $3 administrator of the installation (t/f), $4 the caller's beheerder organisations (uuid[]). */
static const bs_stmt SQL_USER_SESSIONS_REVOKE = {
    "user_sessions_revoke",
    "WITH t AS (SELECT u.id, v.visible, v.visible AND (u.id = $2::uuid OR $3::boolean OR NOT u.is_admin) AS ok "
    "  FROM users u, LATERAL (SELECT u.id = $2::uuid OR $3::boolean OR EXISTS (SELECT 1 FROM organisation_members "
    "  om WHERE om.user_id = u.id AND om.organisation_id = ANY ($4::uuid[])) AS visible) v WHERE u.id = $1::uuid), "
    "r AS (UPDATE sessions s SET revoked_at = now() WHERE s.user_id = (SELECT id FROM t WHERE ok) "
    "  AND s.revoked_at IS NULL AND s.expires_at > now() RETURNING s.id) "
    "SELECT (SELECT visible FROM t), (SELECT ok FROM t), "
    "json_build_object('user_id', $1::uuid, 'revoked', (SELECT count(*) FROM r))",
    4};

/* The user of a valid, unused password reset. $1 reset token hash, $2 now (Unix seconds). */
static const bs_stmt SQL_PASSWORD_RESET_CHECK = {
    "password_reset_check",
    "SELECT u.id::text, u.email FROM password_resets r JOIN users u ON u.id = r.user_id "
    "WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.revoked_at IS NULL "
    "AND r.expires_at > to_timestamp($2::bigint) AND u.disabled_at IS NULL",
    2};

/* Requests a password reset for an e-mail address (rate-limited; the mail is queued only when the user exists). $1
 * e-mail, $2 reset id, $3 token hash, $4 now (Unix seconds), $5 valid minutes, $6 client address, $7 server key
 * present (boolean), $8 mail domain. */
static const bs_stmt SQL_PASSWORD_RESET_REQUEST = {
    "password_reset_request",
    "WITH u AS (SELECT id FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL "
    "  AND password_hash IS NOT NULL AND $7::boolean), "
    "r AS (INSERT INTO password_resets (id, user_id, token_hash, expires_at, client_address) "
    "  SELECT $2::uuid, u.id, $3, to_timestamp($4::bigint) + make_interval(mins => $5::int), $6 FROM u "
    "  RETURNING id, user_id, expires_at), "
    /* the mail goes out through the outbox (durable, retried); its payload holds the reset
    * id, never the secret */
    "m AS (INSERT INTO alerts (project_id, step_key, kind, revision, user_id, due_at, digest, payload, message_id) "
    "  SELECT NULL, 'password_reset:' || r.id, 'password_reset', 0, r.user_id, to_timestamp($4::bigint), false, "
    "  jsonb_build_object('reset_id', r.id, 'valid_minutes', $5::int, 'expires_at', "
    "    to_char(r.expires_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD HH24:MI')), "
    "  'reset.' || r.id || '@' || $8 FROM r RETURNING 1) "
    "SELECT (SELECT count(*) FROM m), CASE WHEN EXISTS (SELECT 1 FROM m) THEN pg_notify('bs_alerts', '') END",
    8};

/* Uses a password reset: sets the new password, clears the failure counters and revokes the user's sessions. $1
 * reset token hash, $2 password hash, $3 now (Unix seconds). */
static const bs_stmt SQL_PASSWORD_RESET_USE = {
    "password_reset_use",
    "WITH r AS (UPDATE password_resets SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL "
    "  AND revoked_at IS NULL AND expires_at > to_timestamp($3::bigint) RETURNING user_id), "
    "u AS (UPDATE users SET password_hash = $2, failed_logins = 0, first_failed_at = NULL, "
    "  locked_until = NULL WHERE id = (SELECT user_id FROM r) AND disabled_at IS NULL "
    "  RETURNING id, email), "
    "s AS (UPDATE sessions SET revoked_at = now() WHERE user_id IN (SELECT id FROM u) "
    "  AND revoked_at IS NULL RETURNING 1), "
    "o AS (UPDATE password_resets SET revoked_at = now() WHERE user_id IN (SELECT id FROM u) "
    "  AND used_at IS NULL AND revoked_at IS NULL AND token_hash <> $1 RETURNING 1) "
    "SELECT json_build_object('user_id', id, 'email', email, 'sessions_ended', "
    "  (SELECT count(*) FROM s), 'reset_secrets_ended', (SELECT count(*) FROM o)) FROM u",
    3};

/* One page of a project's audit log, newest first: count and page as JSON. $1 project id, $2 limit, $3 offset. */
static const bs_stmt SQL_PROJECT_AUDIT_LIST = {
    "project_audit_list",
    "SELECT (SELECT count(*) FROM audit_log WHERE project_id = $1::uuid), "
    "COALESCE((SELECT json_agg(r ORDER BY id DESC) FROM (SELECT id, at, actor_user_id, actor_email, "
    "actor_org_id, actor_label, client_address, action, entity, entity_id, old, new FROM audit_log "
    "WHERE project_id = $1::uuid ORDER BY id DESC LIMIT $2::bigint OFFSET $3::bigint) r), '[]')",
    3};

/* Changes a project's confidentiality and/or developer organisation (a leader who makes it prive becomes a
 * member). $1 project id, $2 confidentiality or NULL, $3 developer organisation id or NULL, $4 caller user id. */
static const bs_stmt SQL_PROJECT_PATCH = {
    "project_patch",
    "WITH pr AS (SELECT id, planstatus FROM projects WHERE id = $1::uuid), "
    "d AS (SELECT id FROM organisations WHERE id = $3::uuid "
    "  AND kind NOT IN ('gemeente','provincie','rijk')), "
    "why AS (SELECT CASE "
    "  WHEN $2::text IS NOT NULL AND (SELECT planstatus FROM pr) IN ('1A','1B','2A','2B') "
    "   AND bs_confidentiality_rank($2) < 5 THEN 'hard' "
    "  WHEN $3::uuid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM d) THEN 'developer' END AS v), "
    "u AS (UPDATE projects SET confidentiality = COALESCE($2, confidentiality), "
    "  developer_organisation_id = COALESCE((SELECT id FROM d), developer_organisation_id), "
    "  updated_at = now() WHERE id = $1::uuid AND (SELECT v FROM why) IS NULL "
    "  RETURNING id, confidentiality, developer_organisation_id, owner_organisation_id), "
    "m AS (INSERT INTO project_members (project_id, user_id, role, invited_by) "
    "  SELECT u.id, $4::uuid, 'projectleider', $4::uuid FROM u WHERE $2 = 'prive' "
    "  ON CONFLICT (project_id, user_id) DO UPDATE SET role = 'projectleider' "
    "  WHERE project_members.role <> 'projectleider' RETURNING 1) "
    "SELECT (SELECT row_to_json(x) FROM (SELECT u.*, (SELECT count(*) FROM m) AS became_member FROM u) x), "
    "  (SELECT v FROM why)",
    4};

/* Logs out: revokes the session. $1 session token hash. */
static const bs_stmt SQL_SESSION_REVOKE = {
    "session_revoke", "UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL", 1};

/* Stores a new, not yet confirmed TOTP secret (sealed with the server key). $1 user id, $2 sealed secret. */
static const bs_stmt SQL_TOTP_SECRET_SAVE = {
    "totp_secret_save", "UPDATE users SET totp_secret = $2, totp_confirmed = false WHERE id = $1::uuid", 2};

/* GET /api/v1/reports/aggregate: the report's cells (bs_dashboard view report, migration 0036: the k = 5 rule) in
 * the report's shape {group_by, confidential_withheld, results: [{key, merged, projects, homes_remaining,
 * aggregate_only}]}. $1 user id, $2 group_by (planstatus, gemeente, provincie or confidentiality). */
static const bs_stmt SQL_REPORT_AGGREGATE = {
    "report_aggregate",
    "SELECT json_build_object('group_by', $2::text, 'confidential_withheld', d->'confidential_withheld', "
    "  'results', COALESCE((SELECT json_agg(json_build_object('key', c->'key', 'merged', c->'merged', "
    "  'projects', c->'projects', 'homes_remaining', c->'homes', 'aggregate_only', c->'aggregate_only')) "
    "  FROM json_array_elements(d->'cells') c), '[]')) "
    "FROM bs_dashboard($1::uuid, false, 'report', $2, '{}'::jsonb) d",
    2};

#endif
