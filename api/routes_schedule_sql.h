/*
 * Bouwstroom API: the SQL of the schedule routes (routes_schedule.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_ROUTES_SCHEDULE_SQL_H
#define BS_ROUTES_SCHEDULE_SQL_H

#include "schedule_state_sql.h"
#include "store.h"

/* The project's state for the engine (BS_PROJECT_STATE_MEMBERS_COMPACT), the history after a known_on date and a scenario,
 * as one JSON object. $1 project id, $2 known_on date, $3 scenario id or NULL. */
static const bs_stmt SQL_SCHEDULE_LOAD = {
    "schedule_load",
    "SELECT json_build_object(" BS_PROJECT_STATE_MEMBERS_COMPACT ", "
    "'later', COALESCE((SELECT json_agg(h ORDER BY h.id DESC) "
    "  FROM schedule_history h WHERE h.project_id = p.id AND h.known_from > $2::date "
    "  AND h.field <> 'forecast_finish'), '[]'), " BS_SCHEDULE_LOAD_TAIL("$1", "$3"),
    3};

/* The same without a known_on date (every write and the plain GET …/schedule): 'later' is empty. A statement of its
 * own so that PostgreSQL keeps one generic plan for it (issue 17): with "CASE WHEN $2 IS NULL" in it, a plan for the
 * parameters' values was cheaper, and the statement was planned again at every execution. $1 project id, $2 scenario
 * id or NULL. */
static const bs_stmt SQL_SCHEDULE_LOAD_NOW = {"schedule_load_now",
                                              "SELECT json_build_object(" BS_PROJECT_STATE_MEMBERS_COMPACT
                                              ", 'later', '[]'::json, " BS_SCHEDULE_LOAD_TAIL("$1", "$2"),
                                              2};

/* SQL_SCHEDULE_LOAD_NOW without a scenario, for the state cache (api/state_cache.h): one row (none when the project
 * does not exist) of the project's forecast stamp, its owner's stale_after_months and the state's JSON, the JSON only
 * when the stamp differs from the cached one (NULL: none cached), so that PostgreSQL builds it only then. $1 project
 * id, $2 cached stamp or NULL. */
static const bs_stmt SQL_SCHEDULE_LOAD_STAMP = {
    "schedule_load_stamp", "SELECT " BS_STATE_IF_CHANGED_COLUMNS("$1", "$2") " FROM " BS_STATE_STAMP_FROM("$1"), 2};

/* SQL_SCHEDULE_WRITE, first part: the old rows, the project update, the audit rows, the stamp and the marks. Within
 * it: the project row's columns this statement sets, as they were (the statement's snapshot): the audit row; the
 * step rows the upsert below writes, as they were (the same snapshot): their audit rows (sau); the actor the audit
 * triggers record, set in this statement's own transaction (it runs alone, committed at Sync: bs__store_write_one);
 * the triggers fire at the statement's end, after this; pau below writes this update's audit row: the audit trigger
 * skips it, in this statement only (migrations 0040, 0054); with no adapter subscription the adapters' triggers
 * skip, in this statement only (migration 0054); sau below writes the audit rows of the step upsert: the audit
 * triggers of project_steps skip them, in this statement only (migration 0046); fs and nd below make the project's
 * forecast stamp and the notifier's dirty mark: the stamp and dirty triggers skip, in this statement only; the
 * dashboard's mark is made here, once, and its triggers skip (migration 0048); 'after': the stamp triggers send no
 * NOTIFY in this transaction; the server wakes the forecast sweeps after the commit (migration 0045, issue 17 item
 * 1); '': they do, as before; the audit row of the project's update, as the audit trigger writes one (migrations
 * 0027, 0040): old = the changed columns' old values, new = their new values without JSON nulls, and the id; the
 * audit rows of the step upsert, as the audit trigger writes them (migrations 0027, 0046), in the trigger's order
 * (the updated rows, then the inserted ones, each in the order of $5): an updated row's old = its changed columns'
 * old values, new = their new values without JSON nulls, and its id, project_id and step_key (the upsert sets only
 * the columns listed here); an inserted row's new = the whole row; reading pau first (always true) keeps the
 * trigger's order: the project's audit row, then the step rows'; the project's forecast stamp, as the stamp triggers
 * made it (migrations 0034, 0042: the write moves schedule_version); its trigger wakes the sweep (or not:
 * sweep_wake): fs moves it only when it is still $22, the stamp the write's state was read at (checked on the
 * latest row version, which the upsert locks; no row: $22 is 0), and returns the new stamp: the proof that nothing
 * else moved it in between, so that the server may cache what it wrote under it (routes_schedule.c cache_written);
 * when fs moved nothing (another writer moved the stamp, or $22 is NULL), fs2 moves it unconditionally; the
 * notifier's dirty mark, as bs_mark_projects_dirty made it for the step rows (migration 0004): when step rows were
 * written and somebody follows the project, has a role in it or subscribes to it; NOTIFY when marked. */
#define BS_SCHEDULE_WRITE_HEAD_G(ctes, cond, fs2)                                                                      \
    "WITH pold AS (SELECT p.schedule_version, p.custom_links, p.planned_completion, p.updated_at, p.progress_date, "   \
    "  p.knelpunt FROM projects p WHERE p.id = $1::uuid), "                                                            \
    "sold AS (SELECT s.* FROM project_steps s WHERE s.project_id = $1::uuid "                                          \
    "  AND s.step_key IN (SELECT x.step_key FROM json_to_recordset($5::json) AS x(step_key text))), " ctes             \
    "chk AS (UPDATE projects SET schedule_version = schedule_version + 1, "                                            \
    "  custom_links = custom_links OR $3::boolean, planned_completion = $4::date, updated_at = now(), "                \
    "  progress_date = COALESCE($17::date, progress_date), knelpunt = COALESCE($19::boolean, knelpunt) "               \
    "  WHERE id = $1::uuid AND schedule_version = $2::bigint " cond                                                    \
    "  AND (SELECT set_config('bouwstroom.actor', $20, true)) IS NOT NULL "                                            \
    "  AND (SELECT set_config('bouwstroom.audited_project', statement_timestamp()::text, true)) IS NOT NULL "          \
    "  AND (SELECT set_config('bouwstroom.no_adapters', CASE WHEN EXISTS (SELECT 1 FROM adapter_subscriptions) "       \
    "    THEN '' ELSE statement_timestamp()::text END, true)) IS NOT NULL "                                            \
    "  AND (SELECT set_config('bouwstroom.audited_steps', statement_timestamp()::text, true)) IS NOT NULL "            \
    "  AND (SELECT set_config('bouwstroom.write_marks', statement_timestamp()::text, true)) IS NOT NULL "              \
    "  AND (SELECT bs_dashboard_mark()) IS NOT NULL "                                                                  \
    "  AND (SELECT set_config('bouwstroom.sweep_wake', $21, true)) IS NOT NULL "                                       \
    "  RETURNING id, schedule_version, custom_links, planned_completion, updated_at, progress_date, knelpunt), "       \
    "pau AS (INSERT INTO audit_log (actor_user_id, actor_email, actor_org_id, actor_label, client_address, "           \
    "  project_id, action, entity, entity_id, old, new) "                                                              \
    "  SELECT NULLIF(a.j ->> 'user_id', '')::uuid, a.j ->> 'email', NULLIF(a.j ->> 'organisation_id', '')::uuid, "     \
    "  COALESCE(a.j ->> 'label', 'system'), a.j ->> 'address', chk.id, 'UPDATE', 'projects', chk.id::text, d.o, "      \
    "  jsonb_strip_nulls(d.n || jsonb_build_object('id', to_jsonb(chk.id))) "                                          \
    "  FROM chk CROSS JOIN pold CROSS JOIN (SELECT NULLIF($20, '')::jsonb AS j) a "                                    \
    "  CROSS JOIN LATERAL (SELECT jsonb_object_agg(v.k, v.o) AS o, jsonb_object_agg(v.k, v.n) AS n "                   \
    "    FROM (VALUES ('schedule_version', to_jsonb(pold.schedule_version), to_jsonb(chk.schedule_version)), "         \
    "      ('custom_links', to_jsonb(pold.custom_links), to_jsonb(chk.custom_links)), "                                \
    "      ('planned_completion', to_jsonb(pold.planned_completion), to_jsonb(chk.planned_completion)), "              \
    "      ('updated_at', to_jsonb(pold.updated_at), to_jsonb(chk.updated_at)), "                                      \
    "      ('progress_date', to_jsonb(pold.progress_date), to_jsonb(chk.progress_date)), "                             \
    "      ('knelpunt', to_jsonb(pold.knelpunt), to_jsonb(chk.knelpunt))) AS v(k, o, n) "                              \
    "    WHERE v.o IS DISTINCT FROM v.n) d WHERE d.n IS NOT NULL RETURNING 1), "                                       \
    "st AS (INSERT INTO project_steps (project_id, step_key, status, actual_start, actual_finish, "                    \
    "  actual_estimated, remaining_duration, duration_override, planned_start, planned_finish, "                       \
    "  start_no_earlier_than, finish_no_later_than) "                                                                  \
    "  SELECT $1::uuid, x.step_key, x.status, x.actual_start, x.actual_finish, x.actual_estimated, "                   \
    "  x.remaining_duration, x.duration_override, x.planned_start, x.planned_finish, "                                 \
    "  x.start_no_earlier_than, x.finish_no_later_than "                                                               \
    "  FROM json_to_recordset($5::json) AS x(step_key text, status text, actual_start date, "                          \
    "  actual_finish date, actual_estimated boolean, remaining_duration int, duration_override int, "                  \
    "  planned_start date, planned_finish date, start_no_earlier_than date, finish_no_later_than date) "               \
    "  WHERE EXISTS (SELECT 1 FROM chk) "                                                                              \
    "  ON CONFLICT (project_id, step_key) DO UPDATE SET status = EXCLUDED.status, "                                    \
    "  actual_start = EXCLUDED.actual_start, actual_finish = EXCLUDED.actual_finish, "                                 \
    "  actual_estimated = EXCLUDED.actual_estimated, remaining_duration = EXCLUDED.remaining_duration, "               \
    "  duration_override = EXCLUDED.duration_override, planned_start = EXCLUDED.planned_start, "                       \
    "  planned_finish = EXCLUDED.planned_finish, start_no_earlier_than = EXCLUDED.start_no_earlier_than, "             \
    "  finish_no_later_than = EXCLUDED.finish_no_later_than, updated_at = now() RETURNING project_steps.*), "          \
    "sau AS (INSERT INTO audit_log (actor_user_id, actor_email, actor_org_id, actor_label, client_address, "           \
    "  project_id, action, entity, entity_id, old, new) "                                                              \
    "  SELECT NULLIF(a.j ->> 'user_id', '')::uuid, a.j ->> 'email', NULLIF(a.j ->> 'organisation_id', '')::uuid, "     \
    "  COALESCE(a.j ->> 'label', 'system'), a.j ->> 'address', ns.project_id, "                                        \
    "  CASE WHEN os.id IS NULL THEN 'INSERT' ELSE 'UPDATE' END, 'project_steps', ns.id::text, "                        \
    "  CASE WHEN os.id IS NOT NULL THEN d.o END, "                                                                     \
    "  CASE WHEN os.id IS NULL THEN to_jsonb(ns) ELSE jsonb_strip_nulls(d.n || jsonb_build_object('id', "              \
    "    to_jsonb(ns.id), 'project_id', to_jsonb(ns.project_id), 'step_key', to_jsonb(ns.step_key))) END "             \
    "  FROM st ns LEFT JOIN sold os ON os.id = ns.id CROSS JOIN (SELECT NULLIF($20, '')::jsonb AS j) a "               \
    "  LEFT JOIN ROWS FROM (json_to_recordset($5::json) AS (step_key text)) WITH ORDINALITY AS x(step_key, i) "        \
    "    ON x.step_key = ns.step_key "                                                                                 \
    "  CROSS JOIN LATERAL (SELECT jsonb_object_agg(v.k, v.ov) AS o, jsonb_object_agg(v.k, v.nv) AS n "                 \
    "    FROM (VALUES ('status', to_jsonb(os.status), to_jsonb(ns.status)), "                                          \
    "      ('actual_start', to_jsonb(os.actual_start), to_jsonb(ns.actual_start)), "                                   \
    "      ('actual_finish', to_jsonb(os.actual_finish), to_jsonb(ns.actual_finish)), "                                \
    "      ('actual_estimated', to_jsonb(os.actual_estimated), to_jsonb(ns.actual_estimated)), "                       \
    "      ('updated_at', to_jsonb(os.updated_at), to_jsonb(ns.updated_at)), "                                         \
    "      ('remaining_duration', to_jsonb(os.remaining_duration), to_jsonb(ns.remaining_duration)), "                 \
    "      ('duration_override', to_jsonb(os.duration_override), to_jsonb(ns.duration_override)), "                    \
    "      ('planned_start', to_jsonb(os.planned_start), to_jsonb(ns.planned_start)), "                                \
    "      ('planned_finish', to_jsonb(os.planned_finish), to_jsonb(ns.planned_finish)), "                             \
    "      ('start_no_earlier_than', to_jsonb(os.start_no_earlier_than), to_jsonb(ns.start_no_earlier_than)), "        \
    "      ('finish_no_later_than', to_jsonb(os.finish_no_later_than), to_jsonb(ns.finish_no_later_than))) "           \
    "      AS v(k, ov, nv) WHERE os.id IS NOT NULL AND v.ov IS DISTINCT FROM v.nv) d "                                 \
    "  WHERE (os.id IS NULL OR d.n IS NOT NULL) AND (SELECT count(*) FROM pau) >= 0 ORDER BY os.id IS NULL, x.i), "    \
    "fs AS (INSERT INTO project_forecast_stamps (project_id, stamp) "                                                  \
    "  SELECT chk.id, nextval('project_forecast_stamp_seq') FROM chk WHERE $22::bigint = 0 "                           \
    "    OR EXISTS (SELECT 1 FROM project_forecast_stamps x WHERE x.project_id = chk.id) "                             \
    "  ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp "                                                 \
    "  WHERE project_forecast_stamps.stamp = $22::bigint RETURNING stamp), " fs2                                       \
    "nd AS (INSERT INTO notifier_dirty (project_id) SELECT $1::uuid WHERE EXISTS (SELECT 1 FROM st) "                  \
    "  AND (EXISTS (SELECT 1 FROM follows f WHERE f.project_id = $1::uuid) "                                           \
    "    OR EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = $1::uuid) "                                     \
    "    OR EXISTS (SELECT 1 FROM feed_tokens t WHERE t.project_id = $1::uuid AND t.revoked_at IS NULL)) "             \
    "  ON CONFLICT DO NOTHING RETURNING pg_notify('bs_notifier', '')), "

/* The write's second stamp upsert: when fs moved nothing (another writer moved the stamp, or $22 is NULL), fs2 moves
 * it unconditionally. */
#define BS_SCHEDULE_WRITE_FS2                                                                                          \
    "fs2 AS (INSERT INTO project_forecast_stamps (project_id, stamp) "                                                 \
    "  SELECT chk.id, nextval('project_forecast_stamp_seq') FROM chk WHERE NOT EXISTS (SELECT 1 FROM fs) "             \
    "  ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp RETURNING 1), "

/* The write's head as SQL_SCHEDULE_WRITE sends it: no guard, both stamp upserts. */
#define BS_SCHEDULE_WRITE_HEAD BS_SCHEDULE_WRITE_HEAD_G("", "", BS_SCHEDULE_WRITE_FS2)

/* SQL_SCHEDULE_WRITE: the custom links replaced when $3. */
#define BS_SCHEDULE_WRITE_LINKS                                                                                        \
    "dl AS (DELETE FROM project_links WHERE project_id = $1::uuid AND $3::boolean "                                    \
    "  AND EXISTS (SELECT 1 FROM chk) RETURNING 1), "                                                                  \
    "il AS (INSERT INTO project_links (project_id, pred, succ, type, lag, lag_unit) "                                  \
    "  SELECT $1::uuid, x.pred, x.succ, x.type, x.lag, x.lag_unit FROM json_to_recordset($6::json) "                   \
    "  AS x(ord int, pred text, succ text, type text, lag int, lag_unit text) "                                        \
    "  WHERE $3::boolean AND EXISTS (SELECT 1 FROM chk) ORDER BY x.ord RETURNING 1), "

/* SQL_SCHEDULE_WRITE: the history rows. */
#define BS_SCHEDULE_WRITE_HISTORY                                                                                      \
    "h AS (INSERT INTO schedule_history (project_id, step_key, field, old_value, new_value, reason, "                  \
    "  changed_by, known_from) "                                                                                       \
    "  SELECT $1::uuid, x.step_key, x.field, x.old, x.new, $7, $8, $9::date "                                          \
    "  FROM json_to_recordset($10::json) AS x(ord int, step_key text, field text, old text, new text) "                \
    "  WHERE EXISTS (SELECT 1 FROM chk) ORDER BY x.ord RETURNING id, step_key, field, old_value, new_value), "

/* SQL_SCHEDULE_WRITE: the scenario $11 marked applied. */
#define BS_SCHEDULE_WRITE_SCENARIO                                                                                     \
    "sc AS (UPDATE scenarios SET applied_at = now() WHERE id = $11::uuid "                                             \
    "  AND EXISTS (SELECT 1 FROM chk) RETURNING 1), "

/* SQL_SCHEDULE_WRITE, last part: the external_update alerts and the answer. An update by an external party (a user
 * of an organisation that is not a gemeente, au) raises its external_update alerts in this same transaction, one
 * per recipient (projectleider, owners of the step's stream, followers; not the author; only recipients who may
 * still read the project, docs/security.md), keyed by the change's first history id; each change names its step
 * (name and key): a change of many milestones' forecast dates is otherwise a list of identical field names. The
 * alerts are inserted by bs_external_update_alerts (migration 0053), called only when history rows were written,
 * the author is external and the project has a role or a follower at all, so that the recipients' query is
 * planned and started then, not with every write's plan; the payload's progress_date is the project's before the
 * write, as this statement reads it (pold). */
#define BS_SCHEDULE_WRITE_TAIL                                                                                         \
    "au AS (SELECT a.id, COALESCE(NULLIF(a.name, ''), a.email) AS name, o.name AS org FROM users a "                   \
    "  JOIN organisations o ON o.id = a.organisation_id WHERE lower(a.email) = lower($8) AND o.kind <> 'gemeente'), "  \
    "ext AS (SELECT bs_external_update_alerts($1::uuid, $14::text, $15::text, $16::text, $7, $8, $12::text, "          \
    "  $13::bigint, (SELECT min(id) FROM h), (SELECT string_agg("                                                      \
    "    COALESCE($18::jsonb->>h.step_key, h.step_key) || ' (' || h.step_key || '), ' || h.field || ': ' || "          \
    "    COALESCE(h.old_value, '-') || ' -> ' || COALESCE(h.new_value, '-'), E'\\n' ORDER BY h.id) FROM h), "          \
    "  (SELECT pold.progress_date FROM pold)) AS n "                                                                   \
    "  WHERE EXISTS (SELECT 1 FROM h) AND EXISTS (SELECT 1 FROM au) "                                                  \
    "  AND (EXISTS (SELECT 1 FROM project_roles WHERE project_id = $1::uuid) "                                         \
    "    OR EXISTS (SELECT 1 FROM follows WHERE project_id = $1::uuid))) "                                             \
    "SELECT id, (SELECT count(*) FROM h), (SELECT COALESCE(sum(n), 0) FROM ext), "                                     \
    "  CASE WHEN (SELECT COALESCE(sum(n), 0) FROM ext) > 0 THEN pg_notify('bs_alerts', '') END, "                      \
    "  (SELECT stamp FROM fs) FROM chk"

/* Writes a changed schedule in one statement, only when the project is still at the schedule version the change
 * was computed from: project row, step rows, links (when custom), history rows, an applied scenario, and the
 * external_update alerts of a change by an external party; with the audit rows of the project and step rows, the
 * project's forecast stamp, the notifier's dirty mark and the dashboard's mark, which the triggers then skip
 * (migrations 0040, 0046, 0048). $1 project id, $2 schedule version read, $3 custom
 * links (boolean), $4 planned completion, $5 steps (JSON records), $6 links (JSON records), $7 reason, $8 author
 * e-mail, $9 known_from date, $10 history (JSON records), $11 scenario id or NULL, $12 mail domain (Message-ID),
 * $13 due time (Unix seconds), $14 step key, $15 step name, $16 stream or NULL, $17 new progress date or NULL, $18
 * step names by key (JSON), $19 knelpunt or NULL, $20 the actor (JSON, bs__actor_json), $21 bouwstroom.sweep_wake
 * (bs__sweep_wake_setting), $22 the forecast stamp the state was read at (NULL: none to prove). Run alone in its own
 * transaction (bs__store_write_one: one round trip, committed before the answer). Returns the project id, the
 * number of history rows and alerts, the alerts' NOTIFY, and the new forecast stamp when it moved from $22 (NULL
 * when another writer had moved it since, or $22 was NULL) (no row: version conflict). */
static const bs_stmt SQL_SCHEDULE_WRITE = {"schedule_write",
                                           BS_SCHEDULE_WRITE_HEAD BS_SCHEDULE_WRITE_LINKS BS_SCHEDULE_WRITE_HISTORY
                                               BS_SCHEDULE_WRITE_SCENARIO BS_SCHEDULE_WRITE_TAIL,
                                           22};

/* SQL_SCHEDULE_WRITE without the links' and the scenario's CTEs, for a write that changes no links ($3 false) and
 * applies no scenario ($11 NULL), where those CTEs write nothing: the step writes (issue 17 item 1). PostgreSQL
 * starts and ends every node of a statement's plan at every execution, written or not; without these three (a
 * DELETE and two INSERT/UPDATE targets with their indexes and triggers) a write's plan is smaller. Same
 * parameters ($3 false, $6 and $11 unused) and answer. */
static const bs_stmt SQL_SCHEDULE_WRITE_STEPS = {
    "schedule_write_steps",
    /* $6 and $11 typed as in SQL_SCHEDULE_WRITE (an unused CTE without a write: the planner drops it) */
    BS_SCHEDULE_WRITE_HEAD
    "unused AS (SELECT $6::json AS links, $11::uuid AS scenario), " BS_SCHEDULE_WRITE_HISTORY BS_SCHEDULE_WRITE_TAIL,
    22};

/* SQL_SCHEDULE_WRITE_STEPS with the gate in it: the one-trip step write (issue 17 item 1, api/authz.c). The server
 * computed the write from the state its state cache holds at stamp $22 and from the gate's row it remembers for this
 * credential and project; the statement writes only when (gk) bs_gate for the credential gives exactly that row
 * ($25: its text, so the same user, e-mail, organisation, admin flag, token, scopes, beheerder organisations,
 * access, stream and developer flags: the same decision) and an API token has not expired by the server's clock
 * ($13, as the gate's own check), (lp) the project is still at schedule version $2, locked, and (ls) its forecast
 * stamp is still $22, locked — both before any row is written, in the order the write itself locks them (the
 * project row, then the stamp row), so that a one-trip write and a gate-and-write one on the same project wait for
 * each other instead of deadlocking. Otherwise chk's first condition (an InitPlan, evaluated before anything of
 * chk) calls bs_one_trip_unproven (migration 0062): the statement fails with SQLSTATE BS001 and its transaction
 * is rolled back — not even the marks its statement triggers make for a statement that writes no row are left —
 * and the server runs the gate and the write as before. Parameters: SQL_SCHEDULE_WRITE's, and $23 credential hash,
 * $24 credential kind (session, token), $25 the gate row's text (SQL_GATE_STATE's gate_row). Same answer. Without
 * fs2: ls holds the stamp row at $22, so fs always moves it (and returns the new stamp); fs2 would write nothing,
 * but its plan nodes would be started and its statement triggers fired at every write. */
#define BS_ONE_TRIP_GUARD_CTES                                                                                         \
    "gk AS (SELECT 1 FROM bs_gate($23, $24, $1::uuid) g LEFT JOIN api_tokens t ON t.id = g.o_token "                   \
    "  WHERE g::text = $25 AND (t.expires_at IS NULL OR extract(epoch FROM t.expires_at)::bigint > $13::bigint)), "    \
    "lp AS (SELECT 1 FROM projects WHERE id = $1::uuid AND schedule_version = $2::bigint "                             \
    "  AND EXISTS (SELECT 1 FROM gk) FOR NO KEY UPDATE), "                                                             \
    "ls AS (SELECT 1 FROM project_forecast_stamps WHERE project_id = $1::uuid AND stamp = $22::bigint "                \
    "  AND EXISTS (SELECT 1 FROM lp) FOR NO KEY UPDATE), "
static const bs_stmt SQL_SCHEDULE_WRITE_ONE_TRIP = {
    "schedule_write_one_trip",
    BS_SCHEDULE_WRITE_HEAD_G(
        BS_ONE_TRIP_GUARD_CTES, "AND (SELECT bs_one_trip_unproven() WHERE NOT EXISTS (SELECT 1 FROM ls)) IS NULL ",
        "") "unused AS (SELECT $6::json AS links, $11::uuid AS scenario), " BS_SCHEDULE_WRITE_HISTORY
        BS_SCHEDULE_WRITE_TAIL,
    25};

/* A project's schedule history as {count, results} (NULL when the project does not exist). $1 project id, $2 step
 * key or NULL for every step, $3 true when the caller may read who changed what and why (else changed_by and
 * reason are left out). */
static const bs_stmt SQL_STEP_HISTORY_LIST = {
    "step_history_list",
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM projects WHERE id = $1::uuid) THEN "
    "json_build_object('count', (SELECT count(*) FROM schedule_history WHERE project_id = $1::uuid "
    "  AND ($2::text IS NULL OR step_key = $2)), "
    "'results', COALESCE((SELECT json_agg(CASE WHEN $3::boolean THEN e ELSE e - 'reason' - 'changed_by' END "
    "  ORDER BY id) FROM (SELECT id, jsonb_build_object('id', id, 'step', step_key, 'field', field, "
    "  'old_value', old_value, 'new_value', new_value, 'reason', reason, 'changed_by', changed_by, "
    "  'changed_at', changed_at, 'known_from', known_from) AS e FROM schedule_history "
    "  WHERE project_id = $1::uuid AND ($2::text IS NULL OR step_key = $2)) h), '[]')) END",
    3};

#endif
