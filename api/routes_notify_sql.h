/*
 * Bouwstroom API: the SQL of the user, organisation, follow, role, alert-rule, feed-token, alert and unsubscribe routes (routes_notify.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_ROUTES_NOTIFY_SQL_H
#define BS_ROUTES_NOTIFY_SQL_H

#include "store.h"

/* One page of alerts: count and page as JSON. $1 status or NULL, $2 user id or NULL, $3 project id or NULL, $4
 * limit, $5 offset, $6 with superseded alerts (boolean). */
static const bs_stmt SQL_ALERT_LIST = {
    "alert_list",
    "WITH f AS (SELECT id, project_id, step_key, kind, revision, user_id, due_at, status, digest, "
    "  message_id, attempts, next_attempt_at, last_error, reply_code, sent_at, digest_id, payload, "
    "  created_at FROM alerts WHERE ($1::text IS NULL OR status = $1) "
    "  AND ($2::uuid IS NULL OR user_id = $2::uuid) AND ($3::uuid IS NULL OR project_id = $3::uuid) "
    "  AND ($6::boolean OR status <> 'superseded')) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(r ORDER BY due_at, id) "
    "FROM (SELECT * FROM f ORDER BY due_at, id LIMIT $4::bigint OFFSET $5::bigint) r), '[]')",
    6};

/* An alert rule as the API answers it (GET /alert-rules, PUT /alert-rules): its JSON object has these columns, in
 * this order (the one definition of the resource). */
#define ALERT_RULE_COLUMNS "id, organisation_id, user_id, kind, enabled, days, basis"

/* One page of the alert rules of an organisation and/or a user: count and page as JSON. $1 organisation id or
 * NULL, $2 user id or NULL, $3 limit, $4 offset. */
static const bs_stmt SQL_ALERT_RULE_LIST = {
    "alert_rule_list",
    "WITH f AS (SELECT * FROM alert_rules "
    "  WHERE ($1::uuid IS NOT NULL AND organisation_id = $1::uuid AND user_id IS NULL) "
    "  OR ($2::uuid IS NOT NULL AND user_id = $2::uuid)) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(r ORDER BY kind, id) "
    "FROM (SELECT " ALERT_RULE_COLUMNS " FROM f ORDER BY kind, id LIMIT $3::bigint OFFSET $4::bigint) r), '[]')",
    4};

/* Sets an alert rule of an organisation or a user. $1 organisation id or NULL, $2 user id or NULL, $3 kind, $4
 * enabled (boolean), $5 days before, $6 basis. */
static const bs_stmt SQL_ALERT_RULE_UPSERT = {
    "alert_rule_upsert",
    "WITH owner AS (SELECT COALESCE($1::uuid, (SELECT organisation_id FROM users WHERE id = $2::uuid)) AS org "
    "  WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM organisations WHERE id = $1::uuid)) "
    "  AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $2::uuid))), "
    "upd AS (UPDATE alert_rules r SET enabled = $4::boolean, days = $5::int, "
    "  basis = COALESCE($6, r.basis), updated_at = now() "
    "  WHERE r.kind = $3 AND ((($1::uuid) IS NOT NULL AND r.organisation_id = $1::uuid AND r.user_id IS NULL) "
    "  OR (($2::uuid) IS NOT NULL AND r.user_id = $2::uuid)) RETURNING r.*), "
    "ins AS (INSERT INTO alert_rules (organisation_id, user_id, kind, enabled, days, basis) "
    "  SELECT org, $2::uuid, $3, $4::boolean, $5::int, COALESCE($6, 'planned') FROM owner "
    "  WHERE NOT EXISTS (SELECT 1 FROM upd) "
    "  RETURNING *), "
    "dirty AS (INSERT INTO notifier_dirty (project_id) SELECT DISTINCT f.project_id FROM follows f "
    "  JOIN users u ON u.id = f.user_id, owner WHERE u.organisation_id = owner.org "
    "  AND ($2::uuid IS NULL OR u.id = $2::uuid) ON CONFLICT DO NOTHING RETURNING pg_notify('bs_notifier', '')) "
    "SELECT EXISTS (SELECT 1 FROM owner), (SELECT row_to_json(x) FROM (SELECT " ALERT_RULE_COLUMNS " FROM upd "
    "  UNION ALL SELECT " ALERT_RULE_COLUMNS " FROM ins) x "
    "  WHERE (SELECT count(*) FROM dirty) >= 0)",
    6};

/* A user's alert settings as JSON: digest, mail language and time zone, and the effective rule of every kind
 * (bs_effective_alert_rules: the user's, else the organisation's, else the default, with its source). $1 user id. */
static const bs_stmt SQL_ALERT_SETTINGS = {
    "alert_settings",
    "SELECT json_build_object('user_id', u.id, 'organisation_id', u.organisation_id, 'digest', u.digest, "
    "  'locale', u.locale, 'time_zone', u.time_zone, "
    "  'rules', (SELECT json_agg(t.x ORDER BY t.o) FROM bs_effective_alert_rules(u.id) WITH ORDINALITY AS t(x, o))) "
    "FROM users u WHERE u.id = $1::uuid AND u.erased_at IS NULL",
    1};

/* Turns off one kind of alert for a user (the one-click unsubscribe link, RFC 8058). $1 user id, $2 alert kind. */
static const bs_stmt SQL_ALERT_UNSUBSCRIBE = {
    "alert_unsubscribe",
    "WITH u AS (SELECT id, organisation_id FROM users WHERE id = $1::uuid), "
    "org AS (SELECT r.days, r.basis FROM alert_rules r, u WHERE r.organisation_id = u.organisation_id "
    "  AND r.user_id IS NULL AND r.kind = $2), "
    "upd AS (UPDATE alert_rules r SET enabled = false, updated_at = now() "
    "  WHERE r.user_id = $1::uuid AND r.kind = $2 RETURNING 1), "
    "ins AS (INSERT INTO alert_rules (organisation_id, user_id, kind, enabled, days, basis) "
    "  SELECT u.organisation_id, u.id, $2, false, "
    "  COALESCE((SELECT days FROM org), CASE WHEN $2 IN ('milestone_upcoming', 'forecast_slipped') THEN 10 ELSE 0 END), "
    "  COALESCE((SELECT basis FROM org), 'planned') FROM u WHERE NOT EXISTS (SELECT 1 FROM upd) RETURNING 1), "
    /* the alerts of that kind still waiting for this user are not sent any more */
    "sup AS (UPDATE alerts SET status = 'superseded', updated_at = now() WHERE user_id = $1::uuid AND kind = $2 "
    "  AND status = 'scheduled' AND EXISTS (SELECT 1 FROM u) RETURNING 1), "
    "dirty AS (INSERT INTO notifier_dirty (project_id) SELECT project_id FROM follows WHERE user_id = $1::uuid "
    "  UNION SELECT project_id FROM project_roles WHERE user_id = $1::uuid "
    "  ON CONFLICT DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins), (SELECT count(*) FROM sup), "
    "  CASE WHEN EXISTS (SELECT 1 FROM dirty) THEN pg_notify('bs_notifier', '') END FROM u",
    2};

/* The caller's alerts still to be sent (scheduled or being sent), soonest first: count and page as JSON. Each with
 * its payload as details (names, dates, forecast, the blocking step, an external change), why the user receives it
 * (because: follower, projectleider, stream_owner_public, stream_owner_private) and the effective rule of its kind
 * (null for a new follower's summary, which follows no rule of its own). $1 user id, $2 limit, $3 offset. */
static const bs_stmt SQL_ALERT_UPCOMING = {
    "alert_upcoming",
    "WITH f AS (SELECT a.id, a.kind, a.status, a.due_at, a.digest, a.project_id, a.step_key, a.payload FROM alerts a "
    "  WHERE a.user_id = $1::uuid AND a.status IN ('scheduled', 'pending') AND a.kind IN ('milestone_upcoming', "
    "  'milestone_overdue', 'blocked_by_other_stream', 'forecast_slipped', 'external_update', 'follow_summary')) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(json_build_object('id', r.id, 'kind', r.kind, "
    "  'status', r.status, 'due_at', r.due_at, 'digest', r.digest, 'project_id', r.project_id, "
    "  'step_key', CASE WHEN r.kind = 'follow_summary' THEN NULL ELSE r.step_key END, 'details', r.payload, "
    "  'because', COALESCE((SELECT json_agg(b.x ORDER BY b.x) FROM (SELECT 'follower' AS x FROM follows "
    "    WHERE project_id = r.project_id AND user_id = $1::uuid UNION SELECT CASE WHEN role = 'projectleider' "
    "    THEN role ELSE 'stream_owner_' || stream END FROM project_roles WHERE project_id = r.project_id "
    "    AND user_id = $1::uuid) b), '[]'), "
    "  'rule', (SELECT t.x FROM bs_effective_alert_rules($1::uuid) AS t(x) WHERE t.x->>'kind' = r.kind)) "
    "  ORDER BY r.due_at, r.id) FROM (SELECT * FROM f ORDER BY due_at, id LIMIT $2::bigint OFFSET $3::bigint) r), '[]')",
    3};

/* The milestones of a calendar feed, limited to the projects its maker may still read. $1 user id or NULL, $2
 * project id or NULL, $3 maker user id or NULL, $4 stream or NULL. The last column is the project's schema version. */
static const bs_stmt SQL_FEED_EVENTS_LOAD = {
    "feed_events_load",
    "SELECT p.id::text, p.name, p.process_schema_key, m.step_key, m.planned_start, m.planned_finish, "
    "m.status, m.revision, extract(epoch FROM date_trunc('second', m.changed_at))::bigint, "
    "CASE WHEN $1::uuid IS NOT NULL THEN (SELECT COALESCE(NULLIF(name, ''), email) FROM users "
    "WHERE id = $1::uuid) ELSE p.name END, m.p50, m.p80, p.process_schema_version "
    "FROM milestone_dates m JOIN projects p ON p.id = m.project_id "
    "JOIN bs_project_access_reach($3::uuid) a ON a.project_id = p.id "
    "  AND (a.access IN ('public','read','write','lead') OR (a.stream AND $4 = 'private')) "
    "WHERE ($1::uuid IS NOT NULL AND m.project_id IN (SELECT project_id FROM follows WHERE user_id = $1::uuid)) "
    "OR ($2::uuid IS NOT NULL AND m.project_id = $2::uuid) "
    "ORDER BY p.name, p.id, m.planned_start, m.step_key",
    4};

/* The live feed token with this hash: id, scope, user, project, stream, maker. $1 token hash. */
static const bs_stmt SQL_FEED_TOKEN_FIND = {
    "feed_token_find",
    "SELECT id::text, scope, user_id::text, project_id::text, COALESCE(stream, ''), "
    "COALESCE(created_by, user_id)::text FROM feed_tokens "
    "WHERE token_hash = $1 AND revoked_at IS NULL",
    1};

/* Creates a calendar feed token when its scope is allowed to the caller. $1 token hash, $2 scope, $3 user id or
 * NULL, $4 project id or NULL, $5 stream or NULL, $6 label, $7 caller user id. */
static const bs_stmt SQL_FEED_TOKEN_INSERT = {
    "feed_token_insert",
    "WITH acc AS (SELECT a.access, a.stream FROM bs_project_access($7::uuid) a WHERE a.project_id = $4::uuid), "
    "ok AS (SELECT 1 WHERE ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $3::uuid)) "
    "  AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM acc WHERE access IN ('public','read','write','lead') "
    "    OR (stream AND $5 = 'private')))), "
    "ins AS (INSERT INTO feed_tokens (token_hash, scope, user_id, project_id, stream, label, created_by) "
    "  SELECT $1, $2, $3::uuid, $4::uuid, $5, $6, $7::uuid FROM ok "
    "  RETURNING id, scope, user_id, project_id, stream, label, created_at) "
    "SELECT EXISTS (SELECT 1 FROM ok), (SELECT row_to_json(ins) FROM ins), "
    "  COALESCE((SELECT CASE WHEN stream AND COALESCE(access, 'aggregate') = 'aggregate' THEN 'stream' "
    "  ELSE access END FROM acc), 'none')",
    7};

/* One page of feed tokens: count and page as JSON, each with the name of its project where the caller may still see
 * it. $1 user id or NULL, $2 project id or NULL, $3 caller user id,
 * $4 administrator (t/f), $5 limit, $6 offset. */
static const bs_stmt SQL_FEED_TOKEN_LIST = {
    "feed_token_list",
    "WITH f AS (SELECT * FROM feed_tokens "
    "  WHERE ($1::uuid IS NULL OR user_id = $1::uuid) AND ($2::uuid IS NULL OR project_id = $2::uuid) "
    "  AND ($4::boolean OR created_by = $3::uuid OR user_id = $3::uuid)) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(json_build_object('id', id, 'scope', "
    "scope, 'user_id', user_id, 'project_id', project_id, 'project_name', (SELECT p.name FROM projects p "
    "  JOIN bs_project_access($3::uuid) a ON a.project_id = p.id AND (a.access IN ('public','read','write','lead') "
    "  OR a.stream) WHERE p.id = r.project_id), 'stream', stream, 'label', label, 'created_by', created_by, "
    "'created_at', created_at, 'revoked_at', revoked_at) ORDER BY created_at, id) "
    "FROM (SELECT * FROM f ORDER BY created_at, id LIMIT $5::bigint OFFSET $6::bigint) r), '[]')",
    6};

/* Revokes a feed token the caller made or owns (or any, $3 administrator). $1 token id, $2 caller user id, $3
 * administrator (t/f). */
static const bs_stmt SQL_FEED_TOKEN_REVOKE = {
    "feed_token_revoke",
    "UPDATE feed_tokens SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL "
    "AND ($3::boolean OR created_by = $2::uuid OR user_id = $2::uuid) RETURNING 1",
    3};

/* Stops following a project. The user's alerts of the project still waiting are not sent any more; when the user
 * also holds a role in the project, the notifier re-plans it instead (a stream owner keeps the alerts of their
 * stream). $1 project id, $2 user id. */
static const bs_stmt SQL_FOLLOW_DELETE = {
    "follow_delete",
    "WITH d AS (DELETE FROM follows WHERE project_id = $1::uuid AND user_id = $2::uuid RETURNING project_id, user_id), "
    "role AS (SELECT 1 FROM project_roles r, d WHERE r.project_id = d.project_id AND r.user_id = d.user_id), "
    "sup AS (UPDATE alerts a SET status = 'superseded', updated_at = now() FROM d WHERE a.project_id = d.project_id "
    "  AND a.user_id = d.user_id AND a.status = 'scheduled' AND NOT EXISTS (SELECT 1 FROM role) RETURNING 1), "
    "dirty AS (INSERT INTO notifier_dirty (project_id) SELECT project_id FROM d WHERE EXISTS (SELECT 1 FROM role) "
    "  ON CONFLICT DO NOTHING RETURNING pg_notify('bs_notifier', '')) "
    "SELECT 1 FROM d WHERE (SELECT count(*) FROM sup) + (SELECT count(*) FROM dirty) >= 0",
    2};

/* Follows a project (only one the user may read). $1 project id, $2 user id. */
static const bs_stmt SQL_FOLLOW_INSERT = {
    "follow_insert",
    "WITH pr AS (SELECT 1 FROM projects WHERE id = $1::uuid), us AS (SELECT 1 FROM users WHERE id = $2::uuid), "
    "can AS (SELECT 1 FROM bs_project_access($2::uuid) a WHERE a.project_id = $1::uuid "
    "  AND a.access IN ('read','write','lead')), "
    "ins AS (INSERT INTO follows (project_id, user_id) SELECT $1::uuid, $2::uuid "
    "  WHERE EXISTS (SELECT 1 FROM pr) AND EXISTS (SELECT 1 FROM us) AND EXISTS (SELECT 1 FROM can) "
    "  ON CONFLICT DO NOTHING RETURNING id, project_id, user_id, created_at) "
    "SELECT EXISTS (SELECT 1 FROM pr), EXISTS (SELECT 1 FROM us), EXISTS (SELECT 1 FROM can), "
    "  (SELECT row_to_json(ins) FROM ins)",
    2};

/* One page of the projects a user follows (and may still read), by name: count and page as JSON. $1 user id, $2
 * limit, $3 offset. */
static const bs_stmt SQL_FOLLOW_LIST = {
    "follow_list",
    "WITH f AS (SELECT f.project_id, p.name, p.gemeente, f.created_at FROM follows f "
    "  JOIN projects p ON p.id = f.project_id JOIN bs_project_access($1::uuid) a ON a.project_id = p.id "
    "  AND a.access IN ('read', 'write', 'lead') WHERE f.user_id = $1::uuid) "
    "SELECT (SELECT count(*) FROM f), COALESCE((SELECT json_agg(r ORDER BY r.name, r.project_id) "
    "FROM (SELECT * FROM f ORDER BY name, project_id LIMIT $2::bigint OFFSET $3::bigint) r), '[]')",
    3};

/* Creates an organisation. $1 name, $2 kind, $3 region, $4 provincie. Returns true and the row as JSON. */
static const bs_stmt SQL_ORGANISATION_INSERT = {
    "organisation_insert",
    "WITH o AS (INSERT INTO organisations (name, kind, region, provincie) VALUES ($1, $2, $3, $4) "
    "RETURNING id, name, kind, region, provincie, created_at) SELECT true, row_to_json(o) FROM o",
    4};

/* Gives a user a role on a project (a stream role only to someone with access to that stream). $1 project id, $2
 * user id, $3 role, $4 stream or NULL. */
static const bs_stmt SQL_PROJECT_ROLE_INSERT = {
    "project_role_insert",
    "WITH pr AS (SELECT 1 FROM projects WHERE id = $1::uuid), us AS (SELECT 1 FROM users WHERE id = $2::uuid), "
    "can AS (SELECT 1 FROM bs_project_access($2::uuid) a WHERE a.project_id = $1::uuid "
    "  AND (a.access IN ('read','write','lead') OR (a.stream AND $4 = 'private'))), "
    "ins AS (INSERT INTO project_roles (project_id, user_id, role, stream) "
    "  SELECT $1::uuid, $2::uuid, $3, $4 WHERE EXISTS (SELECT 1 FROM pr) AND EXISTS (SELECT 1 FROM us) "
    "  AND EXISTS (SELECT 1 FROM can) "
    "  ON CONFLICT DO NOTHING RETURNING id, project_id, user_id, role, stream, created_at) "
    "SELECT EXISTS (SELECT 1 FROM pr), EXISTS (SELECT 1 FROM us), EXISTS (SELECT 1 FROM can), "
    "  (SELECT row_to_json(ins) FROM ins)",
    4};

/* Erases a user (AVG/GDPR art. 17: name and address replaced by a pseudonym everywhere) unless it is the caller.
 * $1 user id, $2 caller user id. */
static const bs_stmt SQL_USER_ERASE = {
    "user_erase",
    "SELECT $1::uuid <> $2::uuid, CASE WHEN $1::uuid <> $2::uuid THEN "
    "  (SELECT json_build_object('id', u.id, 'pseudonym', x.p, 'erased_at', u.erased_at) "
    "   FROM bs_erase_user($1::uuid) x(p) JOIN users u ON u.id = $1::uuid WHERE x.p IS NOT NULL) END",
    2};

/* A user as JSON when the caller may see it (itself, an administrator, or a beheerder of its organisation). $1
 * user id, $2 caller user id, $3 administrator (t/f), $4 the caller's beheerder organisations (uuid[]). */
static const bs_stmt SQL_USER_GET = {
    "user_get",
    "SELECT row_to_json(u) FROM (SELECT id, organisation_id, email, name, locale, time_zone, "
    "digest, disabled_at, erased_at, totp_confirmed, created_at FROM users WHERE id = $1::uuid "
    "AND (id = $2::uuid OR $3::boolean OR organisation_id = ANY ($4::uuid[]))) u",
    4};

/* Creates a user with a role in an organisation the caller administers (time zone checked against PostgreSQL's
 * zone names). $1 organisation id, $2 e-mail, $3 name, $4 locale, $5 time zone, $6 digest (boolean), $7 role, $8
 * administrator (t/f), $9 the caller's beheerder organisations (uuid[]). */
static const bs_stmt SQL_USER_INSERT = {
    "user_insert",
    "WITH org AS (SELECT id, kind FROM organisations WHERE id = $1::uuid), "
    "mine AS (SELECT 1 FROM org WHERE $8::boolean OR id = ANY ($9::uuid[])), "
    "tz AS (SELECT 1 FROM pg_timezone_names WHERE name = $5), "
    "ins AS (INSERT INTO users (organisation_id, email, name, locale, time_zone, digest) "
    "  SELECT id, $2, $3, $4, $5, $6::boolean FROM org WHERE EXISTS (SELECT 1 FROM tz) "
    "  AND EXISTS (SELECT 1 FROM mine) ON CONFLICT DO NOTHING "
    "  RETURNING id, organisation_id, email, name, locale, time_zone, digest, created_at), "
    "om AS (INSERT INTO organisation_members (organisation_id, user_id, role) "
    "  SELECT ins.organisation_id, ins.id, COALESCE($7, CASE WHEN org.kind IN ('gemeente','provincie','rijk') "
    "  THEN 'medewerker' ELSE 'extern' END) FROM ins, org RETURNING role) "
    "SELECT EXISTS (SELECT 1 FROM org), EXISTS (SELECT 1 FROM mine), EXISTS (SELECT 1 FROM tz), "
    "  (SELECT row_to_json(x) FROM (SELECT ins.*, (SELECT role FROM om) AS role FROM ins) x)",
    9};

/* Changes a user's own settings: digest and mail language (NULL: unchanged). Alerts still waiting follow the new
 * digest choice (a digest never holds a new follower's summary). Returns the user as GET /users/{id} does. $1 user
 * id, $2 digest (boolean) or NULL, $3 locale or NULL. */
static const bs_stmt SQL_USER_PATCH = {
    "user_patch",
    "WITH u AS (UPDATE users SET digest = COALESCE($2::boolean, digest), locale = COALESCE($3, locale) "
    "  WHERE id = $1::uuid AND erased_at IS NULL RETURNING id, organisation_id, email, name, locale, time_zone, "
    "  digest, disabled_at, erased_at, totp_confirmed, created_at), "
    "held AS (UPDATE alerts a SET digest = u.digest, updated_at = now() FROM u WHERE a.user_id = u.id "
    "  AND a.status = 'scheduled' AND a.digest IS DISTINCT FROM u.digest AND a.kind IN ('milestone_upcoming', "
    "  'milestone_overdue', 'blocked_by_other_stream', 'forecast_slipped', 'external_update') RETURNING 1) "
    "SELECT row_to_json(u) FROM u WHERE (SELECT count(*) FROM held) >= 0",
    3};

#endif
