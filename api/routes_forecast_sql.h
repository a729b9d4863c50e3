/*
 * Bouwstroom API: the SQL of the forecast, lead-time and shift routes (routes_forecast.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_ROUTES_FORECAST_SQL_H
#define BS_ROUTES_FORECAST_SQL_H

#include "engine.h"
#include "project_forecast.h"
#include "store.h"

#define SIZE_SQL                                                                                                       \
    "CASE WHEN p.homes_remaining IS NULL OR p.homes_remaining <= 0 THEN 'onbekend' "                                   \
    "WHEN p.homes_remaining <= 10 THEN '1-10' WHEN p.homes_remaining <= 50 THEN '11-50' "                              \
    "WHEN p.homes_remaining <= 200 THEN '51-200' ELSE '>200' END"

/* The observations of finished steps the estimates learn from and a project's state for the engine are the
 * runtime's statements, shared with the notifier: BS_STMT_OWN_OBSERVATIONS (project_forecast.h, $1 process schema
 * key) and BS_STMT_PROJECT_STATE (engine.h, $1 project id). */

/* Which projects' steps a caller's lead times may use (docs/security.md §3c): every step of a
 * project the caller may read in full (access read, write or lead: bs_project_access_reach, 0032);
 * the steps of every other project — aggregate-only, public facts only, stream only, or no access
 * at all — only for a step behind which at least 5 such projects stand within the requested group
 * (gemeente, size class), so that no figure of the group (a duration on the Kaplan–Meier curve, a
 * count of skipped steps) can be one confidential project's; below 5 they are left out of that
 * step altogether, in and outside the group (the k = 5 rule of the dashboards, §3b). The CTE
 * lt_o holds the candidate rows with `readable` and `in_group`; lt_k the steps whose hidden rows
 * may count. $1 schema key, $2 caller (user id), $3 gemeente or NULL, $4 size class or NULL. */
#define LT_VISIBLE_SQL(rows_where)                                                                                     \
    "WITH lt_r AS (SELECT a.project_id FROM bs_project_access_reach($2::uuid) a "                                      \
    "  WHERE a.access IN ('read', 'write', 'lead')), "                                                                 \
    "lt_o AS (SELECT s.project_id, s.step_key, s.status, s.actual_start, s.actual_finish, s.actual_estimated, "        \
    "  p.progress_date, p.gemeente, p.provincie, p.plantype, COALESCE(p.homes_remaining, 0) AS homes, "                \
    "  EXISTS (SELECT 1 FROM lt_r WHERE lt_r.project_id = p.id) AS readable, "                                         \
    "  (($3::text IS NULL OR p.gemeente = $3) AND ($4::text IS NULL OR " SIZE_SQL " = $4)) AS in_group "               \
    "  FROM project_steps s JOIN projects p ON p.id = s.project_id "                                                   \
    "  WHERE p.process_schema_key = $1 AND " rows_where "), "                                                          \
    "lt_k AS (SELECT step_key FROM lt_o WHERE NOT readable AND in_group GROUP BY step_key "                            \
    "  HAVING count(DISTINCT project_id) >= 5) "

/* The own observations of the lead-time route, BS_OBS_SQL's columns (project_forecast.h), under the
 * rule of LT_VISIBLE_SQL. $1 schema key, $2 caller, $3 gemeente or NULL, $4 size class or NULL. */
static const bs_stmt SQL_LEAD_TIME_OBS = {
    "lead_time_obs",
    LT_VISIBLE_SQL(
        "NOT s.actual_estimated AND s.actual_start IS NOT NULL AND s.status IN ('done', 'started')") "SELECT project_id, step_key, status, actual_start, actual_finish, progress_date, gemeente, provincie, "
                                                                                                     "plantype, homes FROM lt_o WHERE readable OR step_key IN (SELECT step_key FROM lt_k) ORDER BY project_id",
    4};

/* Per step of a process schema: how many steps of the group were skipped and how many realised steps carry
 * estimated dates (counted and reported, never used as durations), under the rule of LT_VISIBLE_SQL. $1 schema
 * key, $2 caller, $3 gemeente or NULL, $4 size class or NULL. */
static const bs_stmt SQL_LEAD_TIME_COUNTS = {
    "lead_time_counts",
    LT_VISIBLE_SQL(
        "s.status IN ('done', 'skipped')") "SELECT step_key, count(*) FILTER (WHERE status = 'skipped'), "
                                           "count(*) FILTER (WHERE status = 'done' AND (actual_estimated OR actual_start IS NULL OR actual_finish IS NULL)) "
                                           "FROM lt_o WHERE in_group AND (readable OR step_key IN (SELECT step_key FROM lt_k)) GROUP BY step_key",
    4};

/* A project's homes_remaining and gemeente. $1 project id. */
static const bs_stmt SQL_PROJECT_HOMES = {"project_homes",
                                          "SELECT homes_remaining, gemeente FROM projects WHERE id = $1::uuid", 1};

#endif
