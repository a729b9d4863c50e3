/*
 * Bouwstroom API: the named statements of api/routes_migrate.c (moving projects to another
 * version of their process schema, issue 19 item 2; migration 0035). Included by that file only.
 */
#ifndef BS_ROUTES_MIGRATE_SQL_H
#define BS_ROUTES_MIGRATE_SQL_H

#include "project_migrate.h"
#include "store.h"

/* One project's state for a migration (BS_MIGRATE_STATE_JSON), and whether version $2 of its key may be its
 * version: national (or shipped: not stored) or of the project's owner organisation. $1 project id. No row: no such
 * project. */
static const bs_stmt SQL_MIGRATE_LOAD = {
    "migrate_load",
    "SELECT " BS_MIGRATE_STATE_JSON
    ", NOT EXISTS (SELECT 1 FROM process_schemas ps WHERE ps.key = p.process_schema_key "
    "  AND ps.version = $2::int AND ps.organisation_id IS NOT NULL "
    "  AND ps.organisation_id IS DISTINCT FROM p.owner_organisation_id) FROM projects p WHERE p.id = $1::uuid",
    2};

/* Writes migrated projects, each only when it is still on the version and at the schedule
 * version its migration was computed from: the project row (version, schedule version, links
 * flag, planned completion), its step rows (upserted; rows of steps the new version lacks
 * deleted), its own links (when custom), one history row (field process_schema_version, the
 * state before as its snapshot: GET …/schedule?known_on= reads it) and one audit row per
 * project: its version and planned completion before and after, the reason (the row triggers are
 * off for the statement: bouwstroom.audit = bulk, as an import; the step rows before are the
 * history row's snapshot).
 * With a job ($8) also the job's progress. $1 records (JSON array of bs_project_migration.record),
 * $2 from version, $3 to version, $4 schema key, $5 reason, $6 author e-mail, $7 known_from date,
 * $8 job id or NULL, $9 failures to add (JSON array), $10 projects the job read in this batch,
 * $11 the last project id read, $12 summary counts to add (JSON object of integers). Returns
 * the ids written (a project not written changed meanwhile). */
static const bs_stmt SQL_MIGRATE_WRITE = {
    "migrate_write",
    "WITH x AS (SELECT * FROM json_to_recordset($1::json) AS x(id uuid, sv bigint, pc date, custom boolean, "
    "  steps json, keys text[], links json)), "
    "flag AS (SELECT set_config('bouwstroom.audit', 'bulk', true) AS f), "
    "chk AS (UPDATE projects p SET process_schema_version = $3::int, schedule_version = p.schedule_version + 1, "
    "  custom_links = x.custom, planned_completion = x.pc, updated_at = now() FROM x "
    "  WHERE p.id = x.id AND p.schedule_version = x.sv AND p.process_schema_key = $4 "
    "  AND p.process_schema_version = $2::int AND (SELECT f FROM flag) IS NOT NULL RETURNING p.id), "
    "old AS (SELECT q.id, json_build_object('version', $2::int, 'custom_links', q.custom_links, "
    "  'steps', COALESCE((SELECT json_agg(s) FROM project_steps s WHERE s.project_id = q.id), '[]'), "
    "  'links', COALESCE((SELECT json_agg(l ORDER BY l.id) FROM project_links l WHERE l.project_id = q.id), '[]')) "
    "  AS snap, q.planned_completion FROM projects q WHERE q.id IN (SELECT id FROM chk)), "
    "st AS (INSERT INTO project_steps (project_id, step_key, status, actual_start, actual_finish, actual_estimated, "
    "  remaining_duration, duration_override, planned_start, planned_finish, start_no_earlier_than, "
    "  finish_no_later_than) "
    "  SELECT x.id, s.step_key, s.status, s.actual_start, s.actual_finish, s.actual_estimated, s.remaining_duration, "
    "  s.duration_override, s.planned_start, s.planned_finish, s.start_no_earlier_than, s.finish_no_later_than "
    "  FROM x JOIN chk ON chk.id = x.id CROSS JOIN LATERAL json_to_recordset(x.steps) AS s(step_key text, "
    "  status text, actual_start date, actual_finish date, actual_estimated boolean, remaining_duration int, "
    "  duration_override int, planned_start date, planned_finish date, start_no_earlier_than date, "
    "  finish_no_later_than date) "
    "  ON CONFLICT (project_id, step_key) DO UPDATE SET status = EXCLUDED.status, "
    "  actual_start = EXCLUDED.actual_start, actual_finish = EXCLUDED.actual_finish, "
    "  actual_estimated = EXCLUDED.actual_estimated, remaining_duration = EXCLUDED.remaining_duration, "
    "  duration_override = EXCLUDED.duration_override, planned_start = EXCLUDED.planned_start, "
    "  planned_finish = EXCLUDED.planned_finish, start_no_earlier_than = EXCLUDED.start_no_earlier_than, "
    "  finish_no_later_than = EXCLUDED.finish_no_later_than, updated_at = now() RETURNING 1), "
    "dst AS (DELETE FROM project_steps d USING x JOIN chk ON chk.id = x.id WHERE d.project_id = x.id "
    "  AND d.step_key <> ALL (x.keys) RETURNING 1), "
    "dlk AS (DELETE FROM project_links d USING chk WHERE d.project_id = chk.id RETURNING 1), "
    "ilk AS (INSERT INTO project_links (project_id, pred, succ, type, lag, lag_unit) "
    "  SELECT x.id, l.pred, l.succ, l.type, l.lag, l.lag_unit FROM x JOIN chk ON chk.id = x.id "
    "  CROSS JOIN LATERAL json_to_recordset(x.links) AS l(ord int, pred text, succ text, type text, lag int, "
    "  lag_unit text) WHERE x.custom ORDER BY x.id, l.ord RETURNING 1), "
    "h AS (INSERT INTO schedule_history (project_id, step_key, field, old_value, new_value, reason, changed_by, "
    "  known_from, snapshot) SELECT old.id, NULL, 'process_schema_version', $2::text, $3::text, $5, $6, $7::date, "
    "  old.snap::jsonb FROM old RETURNING 1), "
    "au AS (INSERT INTO audit_log (actor_user_id, actor_email, actor_org_id, actor_label, client_address, project_id, "
    "  action, entity, entity_id, old, new) "
    "  SELECT NULLIF(a ->> 'user_id', '')::uuid, a ->> 'email', NULLIF(a ->> 'organisation_id', '')::uuid, "
    "  COALESCE(a ->> 'label', 'system'), a ->> 'address', old.id, 'UPDATE', 'projects', old.id::text, "
    "  jsonb_build_object('process_schema_version', $2::int, 'planned_completion', old.planned_completion), "
    "  jsonb_build_object('process_schema_version', $3::int, 'planned_completion', x.pc, 'reason', $5) "
    "  FROM old JOIN x ON x.id = old.id "
    "  CROSS JOIN (SELECT NULLIF(current_setting('bouwstroom.actor', true), '')::jsonb AS a) ac RETURNING 1), "
    "job AS (UPDATE schema_migration_jobs j SET done = j.done + (SELECT count(*) FROM chk), "
    "  failed = j.failed + ($10::int - (SELECT count(*) FROM chk)), "
    "  failures = CASE WHEN jsonb_array_length(j.failures) >= 1000 THEN j.failures "
    "    ELSE j.failures || COALESCE((SELECT jsonb_agg(f) FROM jsonb_array_elements($9::jsonb) f), '[]') "
    "    || COALESCE((SELECT jsonb_agg(jsonb_build_object('project_id', x.id, 'field', 'id', 'reason', "
    "      'the project changed while it was migrated; run the migration again')) FROM x "
    "      WHERE x.id NOT IN (SELECT id FROM chk)), '[]') END, "
    "  last_project_id = COALESCE($11::uuid, j.last_project_id), "
    "  summary = (SELECT jsonb_object_agg(k, COALESCE((j.summary ->> k)::bigint, 0) + v::bigint) "
    "    FROM jsonb_each_text($12::jsonb) AS e(k, v)) "
    "  WHERE j.id = $8::uuid RETURNING 1) "
    "SELECT (SELECT count(*) FROM chk), (SELECT count(*) FROM h), (SELECT count(*) FROM au), "
    "  (SELECT count(*) FROM st), (SELECT count(*) FROM dst), (SELECT count(*) FROM dlk), (SELECT count(*) FROM ilk), "
    "  (SELECT count(*) FROM job)",
    12};

/* Stores a bulk migration job. $1 organisation id or NULL (every project of the installation), $2 key, $3 from,
 * $4 to, $5 mapping (JSON), $6 reason, $7 requester e-mail, $8 the caller is an administrator of the installation,
 * $9 organisations the caller is beheerder of (uuid[] literal), $10 the actor (JSON). Returns one row: the
 * organisation exists, the caller may migrate its projects, the target version is national (or shipped) or the
 * organisation's own, the job as JSON (NULL when refused), and an unfinished job over the same projects (the same
 * key and from version, overlapping organisations; NULL: none, the job was stored). */
static const bs_stmt SQL_JOB_INSERT = {
    "migration_job_insert",
    "WITH ok AS (SELECT ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM organisations WHERE id = $1::uuid)) AS org, "
    "  ($8::boolean OR ($1::uuid IS NOT NULL AND $1::uuid = ANY ($9::uuid[]))) AS mine, "
    "  NOT EXISTS (SELECT 1 FROM process_schemas ps WHERE ps.key = $2 AND ps.version = $4::int "
    "    AND ps.organisation_id IS NOT NULL AND ps.organisation_id IS DISTINCT FROM $1::uuid) AS theirs, "
    "  (SELECT j.id FROM schema_migration_jobs j WHERE j.state <> 'done' AND j.schema_key = $2 "
    "    AND j.from_version = $3::int AND (j.organisation_id IS NULL OR $1::uuid IS NULL OR j.organisation_id = $1::uuid) "
    "    LIMIT 1) AS busy), "
    "ins AS (INSERT INTO schema_migration_jobs (organisation_id, schema_key, from_version, to_version, mapping, reason, "
    "  requested_by, actor) SELECT $1::uuid, $2, $3::int, $4::int, $5::jsonb, $6, $7, $10::jsonb FROM ok "
    "  WHERE ok.org AND ok.mine AND ok.theirs AND ok.busy IS NULL RETURNING *) "
    "SELECT ok.org, ok.mine, ok.theirs, (SELECT row_to_json(ins) FROM ins), ok.busy FROM ok",
    10};

/* A job's state as the API answers it. $1 job id, $2 administrator of the installation, $3 organisations the
 * caller is beheerder of (uuid[] literal). No row or NULL: not visible. */
static const bs_stmt SQL_JOB_GET = {
    "migration_job_get",
    "SELECT json_build_object('id', j.id, 'organisation_id', j.organisation_id, 'schema_key', j.schema_key, "
    "  'from_version', j.from_version, 'to_version', j.to_version, 'mapping', j.mapping, 'reason', j.reason, "
    "  'state', j.state, 'total', j.total, 'done', j.done, 'failed', j.failed, 'failures', j.failures, "
    "  'summary', CASE WHEN j.state = 'done' THEN j.summary END, 'created_at', j.created_at, "
    "  'started_at', j.started_at, 'finished_at', j.finished_at) "
    "FROM schema_migration_jobs j WHERE j.id = $1::uuid AND ($2::boolean OR j.organisation_id = ANY ($3::uuid[]))",
    3};

/* Starts (or resumes) a job: running, its start time and the number of projects it covers (counted once: the
 * projects on from_version then, and those it has done or refused since a resume). $1 job id. Returns the job
 * row as JSON (none when it is done). */
static const bs_stmt SQL_JOB_START = {
    "migration_job_start",
    "UPDATE schema_migration_jobs j SET state = 'running', started_at = COALESCE(j.started_at, now()), "
    "  total = COALESCE(j.total, (SELECT count(*) FROM projects p WHERE p.process_schema_key = j.schema_key "
    "    AND p.process_schema_version = j.from_version "
    "    AND (j.organisation_id IS NULL OR p.owner_organisation_id = j.organisation_id))), "
    "  summary = COALESCE(j.summary, '{\"steps_carried\": 0, \"steps_realised\": 0, \"steps_unmapped\": 0}') "
    "WHERE j.id = $1::uuid AND j.state <> 'done' RETURNING row_to_json(j)",
    1};

/* The next batch of a job's projects, in id order after the resume point. $1 organisation id or NULL, $2 key,
 * $3 from version, $4 the last project id read or NULL, $5 batch size. One row per project
 * (BS_MIGRATE_STATE_JSON). */
static const bs_stmt SQL_JOB_BATCH = {
    "migration_job_batch",
    "SELECT " BS_MIGRATE_STATE_JSON " FROM projects p WHERE p.process_schema_key = $2 "
    "  AND p.process_schema_version = $3::int AND ($1::uuid IS NULL OR p.owner_organisation_id = $1::uuid) "
    "  AND ($4::uuid IS NULL OR p.id > $4::uuid) ORDER BY p.id LIMIT $5::int",
    5};

/* Ends a job: done, its finish time and the summary (the counts and what was migrated and refused). $1 job id. */
static const bs_stmt SQL_JOB_FINISH = {
    "migration_job_finish",
    "UPDATE schema_migration_jobs SET state = 'done', finished_at = now(), "
    "  summary = COALESCE(summary, '{}') || jsonb_build_object('projects', total, 'migrated', done, 'failed', failed, "
    "    'seconds', round(extract(epoch FROM now() - started_at)::numeric, 1)) "
    "WHERE id = $1::uuid RETURNING 1",
    1};

/* The jobs a server resumes at start: not done, oldest first. */
static const bs_stmt SQL_JOB_OPEN = {
    "migration_job_open", "SELECT id FROM schema_migration_jobs WHERE state <> 'done' ORDER BY created_at", 0};

#endif
