/*
 * Bouwstroom API: the SQL of the policy-goal routes (routes_goals.c; docs/homes-and-goals.md
 * "Beleidsdoelen").
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. The body of a write travels as one jsonb parameter whose members the handler has
 * validated; a member that is absent keeps the column's default (insert) or value (update).
 * Who may: reading a goal needs a role other than extern in its organisation; writing one the
 * role beheerder or management there (the policy advisers and managers; docs/security.md).
 */
#ifndef BS_ROUTES_GOALS_SQL_H
#define BS_ROUTES_GOALS_SQL_H

#include "engine.h"
#include "store.h"

/* A goal as the API shows it (g: a policy_goals row). */
#define GOAL_JSON                                                                                                      \
    "json_build_object('id', g.id, 'organisation_id', g.organisation_id, 'name', g.name, 'measure', g.measure, "       \
    "'direction', g.direction, 'target', g.target, 'period', g.period, 'year_from', g.year_from, 'year_to', "          \
    "g.year_to, 'conditions', g.conditions, 'gemeenten', g.gemeenten, 'created_at', g.created_at, 'updated_at', "      \
    "g.updated_at, 'retired_plusvelden', bs_goal_retired_plusvelden(g.organisation_id, g.conditions->'plusvelden'))"

/* Whether user $U may read (any role but extern) / write (beheerder, management) goals of organisation O. */
#define GOAL_READER(U, O)                                                                                              \
    "EXISTS (SELECT 1 FROM organisation_members m WHERE m.user_id = " U " AND m.organisation_id = " O                  \
    " AND m.role <> 'extern')"
#define GOAL_WRITER(U, O)                                                                                              \
    "EXISTS (SELECT 1 FROM organisation_members m WHERE m.user_id = " U " AND m.organisation_id = " O                  \
    " AND m.role IN ('beheerder', 'management'))"

/* One page of the goals the user may read: count and the page as JSON, oldest first. $1 user id, $2 organisation
 * id or NULL (all of the user's organisations), $3 limit, $4 offset. */
static const bs_stmt SQL_GOAL_LIST = {
    "goal_list",
    "WITH v AS (SELECT g.* FROM policy_goals g WHERE " GOAL_READER(
        "$1::uuid",
        "g.organisation_id") " AND ($2::uuid IS NULL OR g.organisation_id = $2::uuid)) "
                             "SELECT (SELECT count(*) FROM v), COALESCE((SELECT json_agg(" GOAL_JSON
                             " ORDER BY g.created_at, g.id) FROM "
                             "(SELECT * FROM v ORDER BY created_at, id LIMIT $3::bigint OFFSET $4::bigint) g), '[]')",
    4};

/* A goal the user may read, as JSON; no row otherwise. $1 goal id, $2 user id. Shared by the goal and progress
 * routes: defined once (routes_goals.c), since the store prepares a statement per bs_stmt. */
#define SQL_GOAL_GET_TEXT                                                                                              \
    "SELECT " GOAL_JSON " FROM policy_goals g WHERE g.id = $1::uuid AND " GOAL_READER("$2::uuid", "g.organisation_id")
extern const bs_stmt SQL_GOAL_GET;

/* Creates a goal when the user may write goals of the body's organisation. $1 user id, $2 validated body (jsonb).
 * The goal as JSON; no row when the user may not. */
static const bs_stmt SQL_GOAL_INSERT = {
    "goal_insert",
    "WITH ins AS (INSERT INTO policy_goals (organisation_id, name, measure, direction, target, period, year_from, "
    "  year_to, conditions, gemeenten) "
    "SELECT (j->>'organisation_id')::uuid, j->>'name', COALESCE(j->>'measure', 'homes'), "
    "  COALESCE(j->>'direction', 'minimum'), (j->>'target')::numeric, COALESCE(j->>'period', 'by_year'), "
    "  (j->>'year_from')::integer, (j->>'year_to')::integer, COALESCE(j->'conditions', '{}'), "
    "  CASE WHEN jsonb_typeof(j->'gemeenten') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(j->'gemeenten')) "
    "  END FROM (SELECT $2::jsonb AS j) s WHERE " GOAL_WRITER(
        "$1::uuid", "(j->>'organisation_id')::uuid") " RETURNING *) SELECT " GOAL_JSON " FROM ins g",
    2};

/* Changes the members of $3 (validated jsonb; a member present, null included, replaces the column) of goal $1 when
 * user $2 may write it. One row: the goal as JSON (NULL when not changed) and whether the user may read it. */
static const bs_stmt SQL_GOAL_UPDATE = {
    "goal_update",
    "WITH upd AS (UPDATE policy_goals g SET "
    "  name = CASE WHEN j ? 'name' THEN j->>'name' ELSE name END, "
    "  measure = CASE WHEN j ? 'measure' THEN j->>'measure' ELSE measure END, "
    "  direction = CASE WHEN j ? 'direction' THEN j->>'direction' ELSE direction END, "
    "  target = CASE WHEN j ? 'target' THEN (j->>'target')::numeric ELSE target END, "
    "  period = CASE WHEN j ? 'period' THEN j->>'period' ELSE period END, "
    "  year_from = CASE WHEN j ? 'year_from' THEN (j->>'year_from')::integer ELSE year_from END, "
    "  year_to = CASE WHEN j ? 'year_to' THEN (j->>'year_to')::integer ELSE year_to END, "
    "  conditions = CASE WHEN j ? 'conditions' THEN j->'conditions' ELSE conditions END, "
    "  gemeenten = CASE WHEN j ? 'gemeenten' THEN (CASE WHEN jsonb_typeof(j->'gemeenten') = 'array' THEN "
    "    ARRAY(SELECT jsonb_array_elements_text(j->'gemeenten')) END) ELSE gemeenten END, "
    "  updated_at = now() "
    "FROM (SELECT $3::jsonb AS j) s WHERE g.id = $1::uuid AND " GOAL_WRITER(
        "$2::uuid",
        "g.organisation_id") " RETURNING g.*) "
                             "SELECT (SELECT " GOAL_JSON
                             " FROM upd g), EXISTS (SELECT 1 FROM policy_goals g WHERE g.id = $1::uuid AND " GOAL_READER(
                                 "$2::uuid", "g.organisation_id") ")",
    3};

/* The plusveld definitions a goal's conditions are checked against: of organisation $1, or (when $1 is NULL) of the
 * organisation of goal $2, as a JSON array of {key, applies_to, type, categories, retired}, by key; NULL when user $3
 * may not write that organisation's goals (the write then answers 403 or 404). One row. */
static const bs_stmt SQL_GOAL_PV_DEFS = {
    "goal_pv_defs",
    "WITH o AS (SELECT COALESCE($1::uuid, (SELECT g.organisation_id FROM policy_goals g WHERE g.id = $2::uuid)) AS id) "
    "SELECT CASE WHEN " GOAL_WRITER(
        "$3::uuid",
        "o.id") " THEN COALESCE((SELECT json_agg(json_build_object('key', "
                "  d.key, 'applies_to', d.applies_to, 'type', d.type, 'categories', d.categories, 'retired', "
                "  d.retired_at IS NOT NULL) ORDER BY d.key) FROM plusveld_definitions d WHERE d.organisation_id = o.id), '[]') "
                "  END FROM o",
    3};

/* Deletes goal $1 when user $2 may write it. One row: '{}' when deleted (else NULL), whether the user may read it. */
static const bs_stmt SQL_GOAL_DELETE = {
    "goal_delete",
    "WITH del AS (DELETE FROM policy_goals g WHERE g.id = $1::uuid AND " GOAL_WRITER("$2::uuid", "g.organisation_id") " RETURNING 1) SELECT (SELECT '{}'::text FROM del), EXISTS (SELECT 1 FROM policy_goals g WHERE g.id = $1::uuid AND " GOAL_READER(
        "$2::uuid", "g.organisation_id") ")",
    2};

/* Whether a jsonb code list member C of the conditions (x.c) holds value V (absent: every value matches). */
#define COND(C, V) "(NOT x.c ? '" C "' OR " V " IN (SELECT jsonb_array_elements_text(x.c->'" C "')))"
#define COND_FOLD(C, V)                                                                                                \
    "(NOT x.c ? '" C "' OR bs_fold(" V ") IN (SELECT bs_fold(e) FROM jsonb_array_elements_text(x.c->'" C "') e))"

/* The block conditions over b (a project_blocks row) for goal x: code lists and block plusvelden (0037). */
#define BLOCK_CONDS                                                                                                                                                     \
    COND("kind", "b.kind")                                                                                                                                              \
    " AND " COND("home_type", "b.home_type") " AND " COND("tenure", "b.tenure") " AND " COND(                                                                           \
        "price_class",                                                                                                                                                  \
        "b.price_class") " AND " COND("target_group",                                                                                                                   \
                                      "b.target_group") " AND (NOT x.c ? 'plusvelden' OR bs_goal_plusvelden_match(x.organisation_id, x.c->'plusvelden', b.project_id, " \
                                                        "b.id))"

/* The contributing projects of goal $1 (by its scope and project conditions, project plusvelden included; only
 * projects with blocks, and for a homes goal only those with a block that matches) as seen by user $2. One row per
 * project, by id: id, forecast stamp (0: none), progress_date, whether the user may see it by name (read, write,
 * lead or public access: bs_project_access_reach), name, gemeente, its blocks delivered with a milestone per
 * milestone as a JSON array of [milestone, net homes matching the block conditions, all net homes] ordered by
 * milestone, and its blocks spread over years (0037) per year as a JSON array of [year, matching net homes, all net
 * homes] ordered by year (bs_block_spread_homes: the shares by largest remainder). A region goal (gemeenten) counts
 * another organisation's project only where the goal's organisation may see it by the confidentiality policy
 * (docs/security.md §3 rows 9-11: extern_woonregio and up for a gemeente of the same region, extern_mede_overheden
 * and up for the rijk or the project's provincie, openbaar for all). */
static const bs_stmt SQL_GOAL_PROJECTS = {
    "goal_projects",
    "WITH x AS (SELECT g.*, g.conditions AS c FROM policy_goals g WHERE g.id = $1::uuid), "
    "proj AS (SELECT p.id, p.name, p.gemeente, p.progress_date FROM projects p, x WHERE "
    "  (CASE WHEN x.gemeenten IS NULL THEN p.owner_organisation_id = x.organisation_id "
    "   ELSE bs_fold(p.gemeente) IN (SELECT bs_fold(e) FROM unnest(x.gemeenten) e) "
    "     AND (p.owner_organisation_id = x.organisation_id OR p.confidentiality = 'openbaar' "
    "       OR (bs_confidentiality_rank(p.confidentiality) >= 4 AND EXISTS (SELECT 1 FROM organisations go "
    "         JOIN organisations po ON po.id = p.owner_organisation_id WHERE go.id = x.organisation_id "
    "         AND go.kind = 'gemeente' AND go.region IS NOT NULL AND go.region = po.region)) "
    "       OR (bs_confidentiality_rank(p.confidentiality) >= 5 AND EXISTS (SELECT 1 FROM organisations go "
    "         WHERE go.id = x.organisation_id AND (go.kind = 'rijk' OR (go.kind = 'provincie' "
    "         AND go.provincie = p.provincie))))) END) "
    "  AND " COND("planstatus", "p.planstatus") " AND " COND("plantype", "p.plantype") " AND " COND_FOLD(
        "gemeente",
        "p.gemeente") " AND (NOT x.c ? 'plusvelden' OR bs_goal_plusvelden_match(x.organisation_id, x.c->'plusvelden', p.id, "
                      "NULL))), "
                      "blk AS (SELECT b.project_id, b.milestone, "
                      "  sum(CASE WHEN " BLOCK_CONDS
                      " THEN b.net_homes ELSE 0 END)::bigint AS num, sum(b.net_homes)::bigint AS den "
                      "  FROM project_blocks b JOIN proj ON proj.id = b.project_id, x WHERE b.spread IS NULL "
                      "  GROUP BY b.project_id, b.milestone), "
                      "fix AS (SELECT b.project_id, sp.year, "
                      "  sum(CASE WHEN " BLOCK_CONDS
                      " THEN sp.homes ELSE 0 END)::bigint AS num, sum(sp.homes)::bigint AS den "
                      "  FROM project_blocks b JOIN proj ON proj.id = b.project_id CROSS JOIN x "
                      "  CROSS JOIN LATERAL bs_block_spread_homes(b.net_homes, b.spread) sp WHERE b.spread IS NOT NULL "
                      "  GROUP BY b.project_id, sp.year), "
                      "bagg AS (SELECT blk.project_id, bool_or(blk.num <> 0) AS hit, "
                      "  json_agg(json_build_array(blk.milestone, blk.num, blk.den) ORDER BY blk.milestone) AS cols "
                      "  FROM blk GROUP BY blk.project_id), "
                      "fagg AS (SELECT fix.project_id, bool_or(fix.num <> 0) AS hit, "
                      "  json_agg(json_build_array(fix.year, fix.num, fix.den) ORDER BY fix.year) AS years "
                      "  FROM fix GROUP BY fix.project_id), "
                      "acc AS (SELECT r.project_id, bool_or(r.access IN ('read', 'write', 'lead', 'public')) AS readable "
                      "  FROM bs_project_access_reach($2::uuid) r GROUP BY r.project_id) "
                      "SELECT proj.id, COALESCE(s.stamp, 0), proj.progress_date, "
                      "  COALESCE(acc.readable, false), proj.name, proj.gemeente, "
                      "  COALESCE(bagg.cols, '[]'), COALESCE(fagg.years, '[]') "
                      "FROM proj LEFT JOIN bagg ON bagg.project_id = proj.id LEFT JOIN fagg ON fagg.project_id = proj.id "
                      "LEFT JOIN project_forecast_stamps s ON s.project_id = proj.id LEFT JOIN acc ON acc.project_id = proj.id, x "
                      "WHERE (bagg.project_id IS NOT NULL OR fagg.project_id IS NOT NULL) "
                      "  AND (x.measure = 'percentage' OR COALESCE(bagg.hit, false) OR COALESCE(fagg.hit, false)) ORDER BY proj.id",
    2};

/* The scheduling state of the projects $1 (uuid[] literal): id and the BS_PROJECT_STATE_SQL JSON. */
static const bs_stmt SQL_GOAL_STATES = {
    "goal_states",
    "SELECT p.id, json_build_object(" BS_PROJECT_STATE_MEMBERS ") FROM projects p WHERE p.id = ANY ($1::uuid[])", 1};

#endif
