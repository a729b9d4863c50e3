/*
 * Bouwstroom adapters: the SQL of the adapter outbox (outbox.c) — its operations on the durable
 * queue (engine/runtime/queue.h), the reconcile poll, the subscription, and the state and
 * retries the API asks for.
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are. Included by outbox.c only (a
 * statement is one object: the store knows a session's statements by their address). One
 * statement serves every adapter: the adapter's name is a parameter.
 */
#ifndef BS_OUTBOX_SQL_H
#define BS_OUTBOX_SQL_H

#include "store.h"

/* Claims projects with due events of an adapter that this process does not hold (a project is the queue's row):
 * leases its adapter_projects row (lease_until, by the database's clock: the queue's $1 is only present) and
 * counts an attempt of each due event. $1 now, $2 lease (seconds), $3 held project ids (uuid[]), $4 limit, $5
 * adapter. Returns project id, remote_url, remote_state and the due events as JSON (id, kind, step_key, payload,
 * attempts; in id order). */
static const bs_stmt SQL_ADAPTER_CLAIM = {
    "adapter_claim",
    "WITH c AS (SELECT ap.project_id FROM adapter_projects ap "
    "  WHERE ap.adapter = $5 AND $1::float8 IS NOT NULL AND (ap.lease_until IS NULL OR ap.lease_until < now()) "
    "  AND ap.project_id <> ALL ($3::uuid[]) "
    "  AND EXISTS (SELECT 1 FROM adapter_events e WHERE e.adapter = $5 AND e.project_id = ap.project_id "
    "    AND e.status <> 'done' AND e.next_attempt_at <= now()) "
    "  LIMIT $4::int FOR UPDATE SKIP LOCKED), "
    "u AS (UPDATE adapter_projects ap SET lease_until = now() + make_interval(secs => $2::float8) FROM c "
    "  WHERE ap.adapter = $5 AND ap.project_id = c.project_id "
    "  RETURNING ap.project_id, ap.remote_url, ap.remote_state), "
    "ev AS (UPDATE adapter_events e SET attempts = e.attempts + 1, updated_at = now() FROM u "
    "  WHERE e.adapter = $5 AND e.project_id = u.project_id AND e.status <> 'done' AND e.next_attempt_at <= now() "
    "  RETURNING e.id, e.project_id, e.kind, e.step_key, e.payload, e.attempts) "
    "SELECT u.project_id::text, u.remote_url, u.remote_state::text, "
    "  (SELECT json_agg(json_build_object('id', ev.id, 'kind', ev.kind, 'step_key', ev.step_key, "
    "    'payload', ev.payload, 'attempts', ev.attempts) ORDER BY ev.id) FROM ev WHERE ev.project_id = u.project_id)::text "
    "FROM u",
    5};

/* Extends the leases still held (the outcome's statement ends a lease: lease_until NULL). $1 now (only present),
 * $2 lease (seconds), $3 project ids (uuid[]), $4 adapter. */
static const bs_stmt SQL_ADAPTER_HEARTBEAT = {
    "adapter_heartbeat",
    "UPDATE adapter_projects SET lease_until = now() + make_interval(secs => $2::float8) "
    "WHERE adapter = $4 AND project_id = ANY ($3::uuid[]) AND lease_until IS NOT NULL AND $1::float8 IS NOT NULL",
    4};

/* Gives back projects claimed but never synced (stopping): lease ended, the due events' attempt not counted. $1
 * now (only present), $2 project ids (uuid[]), $3 adapter. */
static const bs_stmt SQL_ADAPTER_RELEASE = {
    "adapter_release",
    "WITH ap AS (UPDATE adapter_projects SET lease_until = NULL "
    "  WHERE adapter = $3 AND project_id = ANY ($2::uuid[]) AND $1::float8 IS NOT NULL RETURNING project_id) "
    "UPDATE adapter_events e SET attempts = greatest(e.attempts - 1, 0) FROM ap "
    "WHERE e.adapter = $3 AND e.project_id = ap.project_id AND e.status <> 'done' AND e.next_attempt_at <= now()",
    3};

/* The next due time (epoch milliseconds, NULL: none) of an event of a project this process does not hold, once
 * its project's lease (another node's) has run out. $1 now (only present), $2 held project ids (uuid[]), $3
 * adapter. */
static const bs_stmt SQL_ADAPTER_NEXT_DUE = {
    "adapter_next_due",
    "SELECT floor(extract(epoch FROM min(GREATEST(e.next_attempt_at, ap.lease_until))) * 1000)::bigint "
    "FROM adapter_events e JOIN adapter_projects ap ON ap.adapter = e.adapter AND ap.project_id = e.project_id "
    "WHERE e.adapter = $3 AND e.status <> 'done' AND e.next_attempt_at IS NOT NULL "
    "AND e.project_id <> ALL ($2::uuid[]) AND $1::float8 IS NOT NULL",
    3};

/* The outcome of a job: the project's remote state and url, its lease ended (synced and reconciled times on
 * success), and its events done, or failed with the error and the next attempt. $1 adapter, $2 project id, $3
 * event ids (bigint[]), $4 status (done or failed), $5 error or NULL, $6 backoff (milliseconds) or NULL (given
 * up), $7 remote url or NULL (keep), $8 remote state (JSON), $9 a reconcile was among the events (boolean). */
static const bs_stmt SQL_ADAPTER_OUTCOME = {
    "adapter_outcome",
    "WITH ap AS (UPDATE adapter_projects SET remote_url = COALESCE($7, remote_url), remote_state = $8::jsonb, "
    "  lease_until = NULL, synced_at = CASE WHEN $4 = 'done' THEN now() ELSE synced_at END, "
    "  reconciled_at = CASE WHEN $4 = 'done' AND $9::boolean THEN now() ELSE reconciled_at END "
    "  WHERE adapter = $1 AND project_id = $2::uuid RETURNING 1) "
    "UPDATE adapter_events SET status = $4, last_error = $5, "
    "  next_attempt_at = CASE WHEN $4 = 'done' OR $6::bigint IS NULL THEN NULL "
    "    ELSE now() + make_interval(secs => $6::bigint / 1000.0) END, "
    "  done_at = CASE WHEN $4 = 'done' THEN now() END, updated_at = now() "
    "WHERE id = ANY($3::bigint[]) AND status <> 'done'",
    9};

/* Queues a reconcile event for linked projects of an adapter not verified for an interval and without open
 * events (at most 100 per call). $1 adapter, $2 interval (seconds). Returns how many were queued. */
static const bs_stmt SQL_ADAPTER_RECONCILE_POLL = {
    "adapter_reconcile_poll",
    "WITH i AS (INSERT INTO adapter_events (adapter, project_id, kind) "
    "  SELECT ap.adapter, ap.project_id, 'reconcile' FROM adapter_projects ap "
    "  WHERE ap.adapter = $1 AND ap.remote_url IS NOT NULL "
    "  AND COALESCE(ap.reconciled_at, ap.synced_at, '-infinity') < now() - make_interval(secs => $2::int) "
    "  AND NOT EXISTS (SELECT 1 FROM adapter_events e WHERE e.adapter = $1 AND e.project_id = ap.project_id "
    "    AND e.status <> 'done') "
    "  ORDER BY ap.reconciled_at NULLS FIRST LIMIT 100 RETURNING 1) "
    "SELECT count(*) FROM i",
    2};

/* Writes an adapter's subscription (replacing its rows) and, for new subscriptions, links every matching project
 * not yet linked with a project_created event. $1 adapter, $2 gemeenten (text[]) or NULL for every project.
 * Returns the events queued and the subscriptions removed. */
static const bs_stmt SQL_ADAPTER_SUBSCRIBE = {
    "adapter_subscribe",
    "WITH want AS (SELECT unnest(COALESCE($2::text[], ARRAY['*'])) AS g), "
    "del AS (DELETE FROM adapter_subscriptions s WHERE s.adapter = $1 AND s.gemeente NOT IN (SELECT g FROM want) "
    "  RETURNING 1), "
    "ins AS (INSERT INTO adapter_subscriptions (adapter, gemeente) SELECT $1, g FROM want ON CONFLICT DO NOTHING "
    "  RETURNING gemeente), "
    "ap AS (INSERT INTO adapter_projects (adapter, project_id) SELECT $1, p.id FROM projects p "
    "  WHERE EXISTS (SELECT 1 FROM ins WHERE ins.gemeente IN ('*', p.gemeente)) ON CONFLICT DO NOTHING "
    "  RETURNING project_id), "
    "ev AS (INSERT INTO adapter_events (adapter, project_id, kind) SELECT $1, project_id, 'project_created' FROM ap "
    "  RETURNING 1) "
    "SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM del)",
    2};

/* Queues a reconcile event for the adapter's projects linked to a remote object (the ZGW webhook: a notification
 * about a case). $1 adapter, $2 remote url. Returns how many were queued, and wakes the workers (bs_adapters). */
static const bs_stmt SQL_ADAPTER_RECONCILE_SCHEDULE = {
    "adapter_reconcile_schedule",
    "WITH i AS (INSERT INTO adapter_events (adapter, project_id, kind) "
    "  SELECT adapter, project_id, 'reconcile' FROM adapter_projects "
    "  WHERE adapter = $1 AND remote_url = $2 RETURNING 1) "
    "SELECT count(*), (SELECT pg_notify('bs_adapters', '') WHERE EXISTS (SELECT 1 FROM i))::text FROM i",
    2};

/* Makes failed events of an adapter that were given up due again (all, or one). $1 adapter, $2 event id (<= 0:
 * every given-up event). Returns how many, and wakes the workers (bs_adapters). */
static const bs_stmt SQL_ADAPTER_RETRY = {
    "adapter_retry",
    "WITH u AS (UPDATE adapter_events SET next_attempt_at = now(), updated_at = now() "
    "  WHERE adapter = $1 AND status = 'failed' AND next_attempt_at IS NULL "
    "  AND ($2::bigint <= 0 OR id = $2::bigint) RETURNING 1) "
    "SELECT count(*), (SELECT pg_notify('bs_adapters', '') WHERE EXISTS (SELECT 1 FROM u))::text FROM u",
    2};

/* An adapter's state as one JSON document (GET /api/v1/adapters/events, `bouwstroom adapters status`): counts of its events
 * by status, linked projects, the open events (at most $3, in id order) and, with a project, its remote record.
 * $1 adapter, $2 project id or NULL, $3 limit. */
static const bs_stmt SQL_ADAPTER_STATE = {
    "adapter_state",
    "WITH ev AS (SELECT * FROM adapter_events WHERE adapter = $1 AND ($2::uuid IS NULL OR project_id = $2::uuid)) "
    "SELECT json_build_object('adapter', $1::text, "
    " 'counts', json_build_object("
    "   'pending', (SELECT count(*) FROM ev WHERE status = 'pending'), "
    "   'failed', (SELECT count(*) FROM ev WHERE status = 'failed' AND next_attempt_at IS NOT NULL), "
    "   'given_up', (SELECT count(*) FROM ev WHERE status = 'failed' AND next_attempt_at IS NULL), "
    "   'done', (SELECT count(*) FROM ev WHERE status = 'done')), "
    " 'projects_linked', (SELECT count(*) FROM adapter_projects WHERE adapter = $1 AND remote_url IS NOT NULL "
    "   AND ($2::uuid IS NULL OR project_id = $2::uuid)), "
    " 'events', COALESCE((SELECT json_agg(json_build_object('id', id, 'project_id', project_id, 'kind', kind, "
    "   'step_key', step_key, 'status', status, 'attempts', attempts, 'next_attempt_at', next_attempt_at, "
    "   'last_error', last_error, 'created_at', created_at, 'updated_at', updated_at) ORDER BY id) "
    "   FROM (SELECT * FROM ev WHERE status <> 'done' ORDER BY id LIMIT $3::int) x), '[]'::json), "
    " 'project', CASE WHEN $2::uuid IS NULL THEN NULL ELSE (SELECT json_build_object('remote_url', remote_url, "
    "   'remote_state', remote_state, 'synced_at', synced_at, 'reconciled_at', reconciled_at) "
    "   FROM adapter_projects WHERE adapter = $1 AND project_id = $2::uuid) END)::text",
    3};

#endif
