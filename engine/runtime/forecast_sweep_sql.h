/*
 * The statements of the forecast sweep (engine/runtime/forecast_sweep.c; migration 0038).
 */
#ifndef BS_FORECAST_SWEEP_SQL_H
#define BS_FORECAST_SWEEP_SQL_H

#include "engine.h"
#include "store.h"

/* Removes the rows of milestones no (unspread) block of their project uses any more, marking the
 * dashboards' transaction (bs_dashboard_mark, 0044) once when it removed any. No parameters;
 * returns the count removed. */
static const bs_stmt SQL_SWEEP_PRUNE = {
    "sweep_prune",
    "WITH del AS (DELETE FROM project_milestone_forecasts f WHERE NOT EXISTS (SELECT 1 FROM project_blocks b "
    "  WHERE b.project_id = f.project_id AND b.spread IS NULL AND b.milestone = f.step_key) RETURNING 1), "
    "mark AS (SELECT bs_dashboard_mark() AS m WHERE EXISTS (SELECT 1 FROM del)) "
    "SELECT (SELECT count(*) FROM del), (SELECT count(*) FROM mark WHERE m)",
    0};

/* Replaces the marks of the dashboards' data version by one row of their summed weight when there are two
 * or more (bs_dashboard_compact, migration 0044: the version unchanged in every snapshot); so the table stays
 * small also when nobody reads a dashboard. Returns the number merged. */
static const bs_stmt SQL_SWEEP_COMPACT = {"sweep_compact_dashboard_marks", "SELECT bs_dashboard_compact(2)", 0};

/* Every project with blocks delivered with a milestone (not spread): id, forecast stamp (0 without
 * a row), progress date, the milestones of those blocks comma-joined in ascending order (as the
 * goals' SQL_GOAL_PROJECTS orders them, so the delivery cache's key is the same), and the marker of
 * its stored rows: stamp and data date (NULL when there are none or they disagree), milestones,
 * failed. No parameters. */
static const bs_stmt SQL_SWEEP_LIST = {
    "sweep_list",
    "WITH c AS (SELECT b.project_id, string_agg(DISTINCT b.milestone, ',' ORDER BY b.milestone) AS cols "
    "  FROM project_blocks b WHERE b.spread IS NULL GROUP BY b.project_id), "
    "f AS (SELECT f.project_id, CASE WHEN min(f.stamp) = max(f.stamp) AND min(f.data_date) = max(f.data_date) "
    "  THEN min(f.stamp) END AS stamp, min(f.data_date) AS data_date, "
    "  string_agg(f.step_key, ',' ORDER BY f.step_key) AS cols, bool_or(f.failed) AS failed "
    "  FROM project_milestone_forecasts f GROUP BY f.project_id) "
    "SELECT c.project_id, COALESCE(s.stamp, 0), p.progress_date, c.cols, f.stamp, f.data_date, f.cols, f.failed "
    "FROM c JOIN projects p ON p.id = c.project_id LEFT JOIN project_forecast_stamps s ON s.project_id = c.project_id "
    "LEFT JOIN f ON f.project_id = c.project_id ORDER BY c.project_id",
    0};

/* The scheduling state of the projects $1 (uuid[] literal): id and the BS_PROJECT_STATE_SQL JSON. */
static const bs_stmt SQL_SWEEP_STATES = {
    "sweep_states",
    "SELECT p.id, json_build_object(" BS_PROJECT_STATE_MEMBERS ") FROM projects p WHERE p.id = ANY ($1::uuid[])", 1};

/* Stores the rows $1 (JSON array of {project_id, step_key, planned, p50, p80 (dates or null),
 * stamp, data_date, failed}) computed with $2 samples: each listed project's rows become exactly
 * these (rows of other milestones removed; a project deleted meanwhile skipped). Marks the
 * dashboards' transaction once when a P50 or P80 changed or a row came or went (set-wise: one mark
 * per statement, none when only the marker moved). Returns rows written, rows whose dates the
 * dashboards read changed, rows removed, whether it marked. */
static const bs_stmt SQL_SWEEP_WRITE = {
    "sweep_write",
    "WITH r AS (SELECT r.* FROM json_to_recordset($1::json) AS r(project_id uuid, step_key text, planned date, "
    "  p50 date, p80 date, stamp bigint, data_date date, failed boolean) JOIN projects p ON p.id = r.project_id), "
    "old AS (SELECT f.project_id, f.step_key, f.p50, f.p80 FROM project_milestone_forecasts f "
    "  WHERE f.project_id IN (SELECT r.project_id FROM r)), "
    "del AS (DELETE FROM project_milestone_forecasts f WHERE f.project_id IN (SELECT r.project_id FROM r) "
    "  AND NOT EXISTS (SELECT 1 FROM r WHERE r.project_id = f.project_id AND r.step_key = f.step_key) RETURNING 1), "
    "up AS (INSERT INTO project_milestone_forecasts AS f (project_id, step_key, planned, p50, p80, stamp, data_date, "
    "  samples, failed, computed_at) SELECT r.project_id, r.step_key, r.planned, r.p50, r.p80, r.stamp, r.data_date, "
    "  $2::int, r.failed, now() FROM r "
    "  ON CONFLICT (project_id, step_key) DO UPDATE SET planned = EXCLUDED.planned, p50 = EXCLUDED.p50, "
    "  p80 = EXCLUDED.p80, stamp = EXCLUDED.stamp, data_date = EXCLUDED.data_date, samples = EXCLUDED.samples, "
    "  failed = EXCLUDED.failed, computed_at = EXCLUDED.computed_at RETURNING 1), "
    "ch AS (SELECT count(*) AS n FROM r LEFT JOIN old ON old.project_id = r.project_id AND old.step_key = r.step_key "
    "  WHERE old.project_id IS NULL OR (old.p50, old.p80) IS DISTINCT FROM (r.p50, r.p80)), "
    "mark AS (SELECT bs_dashboard_mark() AS m WHERE (SELECT ch.n FROM ch) > 0 OR EXISTS (SELECT 1 FROM del)) "
    "SELECT (SELECT count(*) FROM up), (SELECT ch.n FROM ch), (SELECT count(*) FROM del), (SELECT count(*) FROM mark WHERE m)",
    2};

#endif
