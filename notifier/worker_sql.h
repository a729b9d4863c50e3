/*
 * Bouwstroom notifier: the SQL of the worker (worker.c) — alert planning, the daily re-plan,
 * the digests, and the mail outbox's operations on the durable queue (engine/runtime/queue.h).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are. Included by worker.c only (a
 * statement is one object: the store knows a session's statements by their address).
 */
#ifndef BS_WORKER_SQL_H
#define BS_WORKER_SQL_H

#include "store.h"

/* Takes the next project to plan off the change queue (notifier_dirty, filled by the change-capture triggers
 * and the daily re-plan), in the planning transaction: the oldest mark another planner does not hold. No
 * parameters. Returns the project id (no row: nothing waits). A project's state and its schema's observations
 * are then read with BS_STMT_PROJECT_STATE (engine.h) and BS_STMT_OWN_OBSERVATIONS (project_forecast.h). */
static const bs_stmt SQL_PLAN_NEXT_DIRTY = {
    "notifier_plan_next_dirty",
    "DELETE FROM notifier_dirty WHERE project_id = (SELECT project_id FROM notifier_dirty "
    "ORDER BY marked_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING project_id::text",
    0};

/* The first recorded P50 per milestone of a project (the forecast_slipped alerts' baseline): step key,
 * p50_baseline. $1 project id. */
static const bs_stmt SQL_PLAN_BASELINES = {
    "notifier_plan_baselines", "SELECT step_key, p50_baseline FROM milestone_dates WHERE project_id = $1::uuid", 1};

/* Writes one project's plan in its planning transaction: the milestone dates with P50/P80 (revisions counted
 * when they move), the project's knelpunt flag, the wanted alerts (new keys inserted, the ones no longer wanted
 * superseded), and a new follower's summary of what is already late (see below). $1 project id, $2 steps (JSON
 * records: step_key, planned_start, planned_finish, status, p50, p80), $3 wanted alerts (JSON records: step_key,
 * rev_step, kind, user_id, due_date, payload, revision or null), $4 mail domain (Message-ID), $5 today (the
 * organisation's date), $6 now (Unix seconds), $7 the plan's recipients (uuid[]), $8 knelpunt (boolean). Returns
 * the counts of alerts inserted, superseded, summaries and summarised follows; wakes the outbox (bs_alerts). */
static const bs_stmt SQL_PLAN_WRITE = {
    "notifier_plan_write",
    "WITH input AS (SELECT * FROM jsonb_to_recordset($2::jsonb) "
    "  AS x(step_key text, planned_start date, planned_finish date, status text, p50 date, p80 date)), "
    "up AS (INSERT INTO milestone_dates AS m (project_id, step_key, planned_start, planned_finish, status, "
    "  p50, p80, p50_baseline) "
    "  SELECT $1::uuid, step_key, planned_start, planned_finish, status, p50, p80, p50 FROM input "
    "  ON CONFLICT (project_id, step_key) DO UPDATE SET planned_start = EXCLUDED.planned_start, "
    "  planned_finish = EXCLUDED.planned_finish, status = EXCLUDED.status, "
    "  p50 = EXCLUDED.p50, p80 = EXCLUDED.p80, p50_baseline = COALESCE(m.p50_baseline, EXCLUDED.p50), "
    "  forecast_revision = m.forecast_revision + CASE WHEN (m.p50, m.p80) IS DISTINCT FROM "
    "    (EXCLUDED.p50, EXCLUDED.p80) THEN 1 ELSE 0 END, "
    "  revision = m.revision + CASE WHEN (m.planned_start, m.planned_finish, m.status) IS DISTINCT FROM "
    "    (EXCLUDED.planned_start, EXCLUDED.planned_finish, EXCLUDED.status) THEN 1 ELSE 0 END, "
    "  changed_at = CASE WHEN (m.planned_start, m.planned_finish, m.status) IS DISTINCT FROM "
    "    (EXCLUDED.planned_start, EXCLUDED.planned_finish, EXCLUDED.status) THEN now() ELSE m.changed_at END "
    "  RETURNING step_key, revision, forecast_revision), "
    /* the project's knelpunt flag (negative float in this plan; the Projects page's filter) */
    "kn AS (UPDATE projects SET knelpunt = $8::boolean WHERE id = $1::uuid AND knelpunt IS DISTINCT FROM $8::boolean "
    "  RETURNING 1), "
    "want AS (SELECT w.step_key, w.rev_step, w.kind, w.user_id, w.due_date, w.payload, "
    "  COALESCE(w.revision, CASE WHEN w.kind = 'forecast_slipped' THEN up.forecast_revision ELSE up.revision END) "
    "  AS revision FROM jsonb_to_recordset($3::jsonb) "
    "  AS w(step_key text, rev_step text, kind text, user_id uuid, due_date date, payload jsonb, revision int) "
    "  LEFT JOIN up ON up.step_key = w.rev_step), "

    /* A new follower (follows.summarised_at NULL, and a recipient of this plan: $7) gets what
     * is already late (overdue milestones and blocked steps due by today, $5) as one
     * follow_summary alert, due at once ($6) and never held for a digest. The single alerts
     * are recorded as superseded (their keys then send nothing when re-planned), and so is a
     * single alert of an item a summary already listed with the same date (a date revision
     * that moved only because the data date did); a new date alerts as before. Likewise an
     * overdue or blocked alert whose recipient was already told (sent, being sent, in a
     * digest, or given up) of the same step, kind and date: the daily re-plan raises the date
     * revision of every late milestone (the data date moves), which must not mail the same
     * news every morning. */
    "fresh AS (SELECT id, user_id FROM follows WHERE project_id = $1::uuid AND summarised_at IS NULL "
    "  AND user_id = ANY ($7::uuid[])), "
    "covered AS (SELECT s.user_id, it->>'kind' AS kind, it->>'step_key' AS step_key, it->>'date' AS date "
    "  FROM alerts s CROSS JOIN LATERAL jsonb_array_elements(s.payload->'items') it "
    "  WHERE s.project_id = $1::uuid AND s.kind = 'follow_summary' "
    "  UNION ALL SELECT d.user_id, d.kind, d.step_key, d.payload->>'date' FROM alerts d "
    "  WHERE d.project_id = $1::uuid AND d.kind IN ('milestone_overdue', 'blocked_by_other_stream') "
    "  AND d.status IN ('pending', 'sent', 'failed', 'digested')), "
    "ins AS (INSERT INTO alerts (id, project_id, step_key, kind, revision, user_id, due_at, digest, payload, message_id, "
    "  status) "
    "  SELECT g.id, $1::uuid, g.step_key, g.kind, g.revision, g.user_id, "
    "  (g.due_date + time '07:00') AT TIME ZONE u.time_zone, u.digest, g.payload, "
    "  'alert.' || g.id || '@' || $4, "
    "  CASE WHEN g.kind IN ('milestone_overdue', 'blocked_by_other_stream') AND ("
    "    (g.due_date <= $5::date AND EXISTS (SELECT 1 FROM fresh f WHERE f.user_id = g.user_id)) "
    "    OR EXISTS (SELECT 1 FROM covered c WHERE c.user_id = g.user_id AND c.kind = g.kind "
    "      AND c.step_key = g.step_key AND c.date = g.payload->>'date')) "
    "  THEN 'superseded' ELSE 'scheduled' END "
    "  FROM (SELECT gen_random_uuid() AS id, want.* FROM want) g JOIN users u ON u.id = g.user_id "
    "  ON CONFLICT (project_id, step_key, kind, revision, user_id) DO NOTHING "
    "  RETURNING user_id, kind, payload, status), "
    "summ AS (INSERT INTO alerts (id, project_id, step_key, kind, revision, user_id, due_at, digest, payload, message_id) "
    "  SELECT s.id, $1::uuid, 'follow:' || f.id, 'follow_summary', 0, s.user_id, to_timestamp($6::bigint), false, "
    "  s.payload, 'alert.' || s.id || '@' || $4 "
    "  FROM (SELECT gen_random_uuid() AS id, i.user_id, "
    "    jsonb_build_object('project_id', $1::uuid, 'project_name', p.name, 'gemeente', p.gemeente, "
    "    'items', jsonb_agg(i.payload || jsonb_build_object('kind', i.kind) "
    "      ORDER BY i.payload->>'date', i.kind, i.payload->>'step_key')) AS payload "
    "    FROM ins i JOIN projects p ON p.id = $1::uuid "
    "    WHERE i.status = 'superseded' "
    "    GROUP BY i.user_id, p.name, p.gemeente) s JOIN fresh f ON f.user_id = s.user_id "
    "  ON CONFLICT DO NOTHING RETURNING 1), "
    "fol AS (UPDATE follows SET summarised_at = to_timestamp($6::bigint) WHERE id IN (SELECT id FROM fresh) RETURNING 1), "
    "sup AS (UPDATE alerts a SET status = 'superseded', updated_at = now() "
    "  WHERE a.project_id = $1::uuid AND a.status = 'scheduled' "
    "  AND a.kind NOT IN ('external_update', 'invitation', 'follow_summary') "
    "  AND NOT EXISTS (SELECT 1 FROM want w "
    "  WHERE w.step_key = a.step_key AND w.kind = a.kind AND w.user_id = a.user_id AND w.revision = a.revision) "
    "  RETURNING 1) "
    "SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM sup), (SELECT count(*) FROM summ), "
    "  (SELECT count(*) FROM fol), pg_notify('bs_alerts', '')",
    8};

/* The recipients of a project's alerts with their rule per alert kind (the user's, else the organisation's, else
 * the default): user id, may see the public stream, the private stream, kind, enabled, days, basis; ordered by
 * user. Projectleiders, stream owners and followers who are not disabled and may still read the project. $1
 * project id. */
static const bs_stmt SQL_PLAN_RECIPIENTS = {
    "notifier_plan_recipients",
    "WITH r AS (SELECT user_id, NULL::text AS stream FROM project_roles WHERE project_id = $1::uuid "
    "  AND role = 'projectleider' "
    "  UNION ALL SELECT user_id, stream FROM project_roles WHERE project_id = $1::uuid AND role = 'stream_owner' "
    "  UNION ALL SELECT user_id, NULL FROM follows WHERE project_id = $1::uuid), "
    "ru AS (SELECT user_id, bool_or(stream IS NULL OR stream = 'public') AS pub, "
    "  bool_or(stream IS NULL OR stream = 'private') AS priv FROM r GROUP BY user_id) "
    "SELECT u.id::text, ru.pub, ru.priv, k.kind, COALESCE(ur.enabled, orr.enabled, k.def_enabled), "
    "  COALESCE(ur.days, orr.days, k.def_days), COALESCE(ur.basis, orr.basis, 'planned') "
    "FROM ru JOIN users u ON u.id = ru.user_id AND u.disabled_at IS NULL "
    /* only recipients who may still read the project (bs_project_access, migration 0010;
     * docs/security.md §3); an external developer only as owner of the private stream alone */
    "JOIN LATERAL (SELECT a.access, a.stream FROM bs_project_access(u.id) a WHERE a.project_id = $1::uuid) acc "
    "  ON acc.access IN ('read','write','lead') OR (acc.stream AND ru.priv AND NOT ru.pub) "
    "CROSS JOIN (VALUES ('milestone_upcoming', true, 10), ('milestone_overdue', true, 0), "
    "  ('blocked_by_other_stream', true, 0), ('forecast_slipped', true, 10)) "
    "  AS k(kind, def_enabled, def_days) "
    "LEFT JOIN alert_rules ur ON ur.user_id = u.id AND ur.kind = k.kind "
    "LEFT JOIN alert_rules orr ON orr.organisation_id = u.organisation_id AND orr.user_id IS NULL AND orr.kind = k.kind "
    "ORDER BY u.id, k.kind",
    1};

/* Claims the daily re-plan of a local day (the primary key of replan_runs decides which node) and, in the same
 * statement, queues every live project (followed, with a role, or with a live feed token) in notifier_dirty.
 * $1 local day, $2 node (host:pid). Returns 1 when claimed here, the number of projects queued, and wakes the
 * planners (bs_notifier). */
static const bs_stmt SQL_REPLAN_CLAIM = {
    "notifier_replan_claim",
    "WITH live AS (SELECT p.id FROM projects p "
    "  WHERE EXISTS (SELECT 1 FROM follows f WHERE f.project_id = p.id) "
    "  OR EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = p.id) "
    "  OR EXISTS (SELECT 1 FROM feed_tokens t WHERE t.project_id = p.id AND t.revoked_at IS NULL)), "
    "claim AS (INSERT INTO replan_runs (day, node, projects) SELECT $1::date, $2, (SELECT count(*) FROM live) "
    "  ON CONFLICT (day) DO NOTHING RETURNING day), "
    "mark AS (INSERT INTO notifier_dirty (project_id) SELECT id FROM live WHERE EXISTS (SELECT 1 FROM claim) "
    "  ON CONFLICT (project_id) DO NOTHING RETURNING 1) "
    "SELECT (SELECT count(*) FROM claim), (SELECT count(*) FROM mark), "
    "  CASE WHEN EXISTS (SELECT 1 FROM claim) THEN pg_notify('bs_notifier', '') END",
    2};

/* Builds the morning digests that are due: per user whose local time is between 07:00 and 12:00, one digest
 * alert of the due digest alerts, which are marked digested. $1 now (Unix seconds), $2 mail domain
 * (Message-ID). */
static const bs_stmt SQL_DIGESTS_BUILD = {
    "notifier_digests_build",
    "WITH due AS (SELECT a.id, a.user_id, a.kind, a.payload FROM alerts a JOIN users u ON u.id = a.user_id "
    "  WHERE a.digest AND a.status = 'scheduled' AND a.due_at <= to_timestamp($1::bigint) "
    "  AND (to_timestamp($1::bigint) AT TIME ZONE u.time_zone)::time >= time '07:00' "
    "  AND (to_timestamp($1::bigint) AT TIME ZONE u.time_zone)::time < time '12:00' FOR UPDATE OF a SKIP LOCKED), "
    "d AS (INSERT INTO alerts (id, project_id, step_key, kind, revision, user_id, due_at, status, digest, payload, "
    "  message_id) SELECT g.id, NULL, 'digest:' || g.local_day, 'digest', 0, g.user_id, to_timestamp($1::bigint), "
    "  'scheduled', false, g.payload, 'digest.' || g.id || '@' || $2 "
    "  FROM (SELECT gen_random_uuid() AS id, due.user_id, (to_timestamp($1::bigint) AT TIME ZONE u.time_zone)::date "
    "  AS local_day, jsonb_build_object('items', jsonb_agg(due.payload || jsonb_build_object('kind', due.kind) "
    "  ORDER BY due.payload->>'date')) AS payload FROM due JOIN users u ON u.id = due.user_id "
    "  GROUP BY due.user_id, u.time_zone) g ON CONFLICT DO NOTHING RETURNING id, user_id) "
    "UPDATE alerts a SET status = 'digested', digest_id = d.id, updated_at = now() FROM due, d "
    "WHERE a.id = due.id AND due.user_id = d.user_id",
    2};

/* Claims due alerts (scheduled, or pending whose lease or backoff ran out; not digest members) that this process
 * does not hold, counts the attempt and leases them by the injected clock. $1 now, $2 lease (seconds), $3 held
 * ids (uuid[]), $4 limit. Returns id, kind, message_id, payload, email, name, locale, attempts, user_id. */
static const bs_stmt SQL_MAIL_CLAIM = {
    "notifier_mail_claim",
    "WITH c AS (SELECT a.id FROM alerts a WHERE a.status IN ('scheduled','pending') AND NOT a.digest "
    "  AND COALESCE(a.next_attempt_at, a.due_at) <= to_timestamp($1::float8) AND a.id <> ALL ($3::uuid[]) "
    "  ORDER BY a.due_at LIMIT $4::int FOR UPDATE SKIP LOCKED) "
    "UPDATE alerts a SET status = 'pending', attempts = a.attempts + 1, "
    "  next_attempt_at = to_timestamp($1::float8) + make_interval(secs => $2::float8), updated_at = now() "
    "FROM c, users u WHERE a.id = c.id AND u.id = a.user_id "
    "RETURNING a.id::text, a.kind, a.message_id, a.payload::text, u.email, u.name, u.locale, a.attempts, "
    "  a.user_id::text",
    4};

/* Extends the leases of the held alerts that are still pending. $1 now, $2 lease (seconds), $3 ids (uuid[]). */
static const bs_stmt SQL_MAIL_HEARTBEAT = {
    "notifier_mail_heartbeat",
    "UPDATE alerts SET next_attempt_at = to_timestamp($1::float8) + make_interval(secs => $2::float8) "
    "WHERE id = ANY ($3::uuid[]) AND status = 'pending'",
    3};

/* Gives back alerts claimed but never sent (stopping): due at once, their attempt not counted. $1 now, $2 ids
 * (uuid[]). */
static const bs_stmt SQL_MAIL_RELEASE = {
    "notifier_mail_release",
    "UPDATE alerts SET next_attempt_at = to_timestamp($1::float8), attempts = greatest(attempts - 1, 0), "
    "updated_at = now() WHERE id = ANY ($2::uuid[]) AND status = 'pending'",
    2};

/* The next due time (epoch milliseconds, NULL: none) of an alert this process does not hold. $1 now (only
 * present: the queue's parameters), $2 held ids (uuid[]). */
static const bs_stmt SQL_MAIL_NEXT_DUE = {
    "notifier_mail_next_due",
    "SELECT floor(extract(epoch FROM min(COALESCE(next_attempt_at, due_at))) * 1000)::bigint "
    "FROM alerts WHERE status IN ('scheduled','pending') AND NOT digest AND id <> ALL ($2::uuid[]) "
    "AND $1::float8 IS NOT NULL",
    2};

/* Outcome: sent. $1 id, $2 now (epoch seconds), $3 reply code, $4 the server's text or ''. */
static const bs_stmt SQL_MAIL_SENT = {
    "notifier_mail_sent",
    "UPDATE alerts SET status = 'sent', sent_at = to_timestamp($2::float8), reply_code = $3::int, "
    "last_error = NULLIF($4, ''), next_attempt_at = NULL, updated_at = now() WHERE id = $1::uuid",
    4};

/* Outcome: failed for good (a 5xx, or a message that cannot be built). $1 id, $2 now (only present), $3 reply
 * code (0: none), $4 error. */
static const bs_stmt SQL_MAIL_FAILED = {
    "notifier_mail_failed",
    "UPDATE alerts SET status = 'failed', last_error = $4, reply_code = NULLIF($3::int, 0), "
    "next_attempt_at = NULL, updated_at = now() WHERE id = $1::uuid AND $2::float8 IS NOT NULL",
    4};

/* Outcome of many 250s at once (bs_queue_finish_batched). $1 ids (uuid[]), $2 now (epoch seconds). */
static const bs_stmt SQL_MAIL_SENT_BATCH = {
    "notifier_mail_sent_batch",
    "UPDATE alerts SET status = 'sent', sent_at = to_timestamp($2::float8), reply_code = 250, last_error = NULL, "
    "next_attempt_at = NULL, updated_at = now() WHERE id = ANY ($1::uuid[])",
    2};

/* Outcome: retry later (a 4xx or a lost connection). $1 id, $2 the next attempt's time (epoch seconds), $3 reply
 * code (0: none), $4 error. */
static const bs_stmt SQL_MAIL_RETRY = {
    "notifier_mail_retry",
    "UPDATE alerts SET next_attempt_at = to_timestamp($2::float8), last_error = $4, "
    "reply_code = NULLIF($3::int, 0), updated_at = now() WHERE id = $1::uuid AND status = 'pending'",
    4};

#endif
