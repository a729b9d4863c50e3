/*
 * Bouwstroom API: the SQL of the what-if scenario routes (routes_scenarios.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_ROUTES_SCENARIOS_SQL_H
#define BS_ROUTES_SCENARIOS_SQL_H

#include "store.h"

/* Deletes a scenario of a project when the caller created it or may delete any. $1 scenario id, $2 project id, $3
 * may delete any (boolean), $4 caller e-mail. Returns how many existed and how many were deleted. */
static const bs_stmt SQL_SCENARIO_DELETE = {
    "scenario_delete",
    "WITH s AS (SELECT id, created_by FROM scenarios WHERE id = $1::uuid AND project_id = $2::uuid), "
    "d AS (DELETE FROM scenarios x USING s WHERE x.id = s.id AND ($3::boolean OR s.created_by = $4) "
    "  RETURNING x.id) "
    "SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM d)",
    4};

/* Saves a what-if scenario. $1 project id, $2 name, $3 changes (JSON array), $4 creator e-mail. Returns id,
 * created_at. */
static const bs_stmt SQL_SCENARIO_INSERT = {"scenario_insert",
                                            "INSERT INTO scenarios (project_id, name, changes, created_by) "
                                            "VALUES ($1::uuid, $2, $3::jsonb, $4) RETURNING id, created_at",
                                            4};

/* One page of a project's saved scenarios: count (NULL when the project does not exist) and the page as JSON. $1
 * project id, $2 limit, $3 offset. */
static const bs_stmt SQL_SCENARIO_LIST = {
    "scenario_list",
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM projects WHERE id = $1::uuid) THEN "
    "(SELECT count(*) FROM scenarios WHERE project_id = $1::uuid) END, "
    "COALESCE((SELECT json_agg(json_build_object('id', id, 'name', name, 'changes', changes, "
    "  'created_by', created_by, 'created_at', created_at, 'applied_at', applied_at) "
    "  ORDER BY created_at, id) FROM (SELECT * FROM scenarios WHERE project_id = $1::uuid "
    "  ORDER BY created_at, id LIMIT $2::bigint OFFSET $3::bigint) s), '[]')",
    3};

#endif
