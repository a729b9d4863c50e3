/*
 * Bouwstroom API: the SQL of the woningblokken routes (routes_blocks.c; docs/blocks.md).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. The body of a write travels as one jsonb parameter whose members the handler has
 * validated; a member that is absent keeps the column's default (insert) or value (update).
 */
#ifndef BS_ROUTES_BLOCKS_SQL_H
#define BS_ROUTES_BLOCKS_SQL_H

#include "store.h"

/* The columns of a block as the API shows it (row_to_json of this select list). */
#define BLOCK_COLUMNS                                                                                                  \
    "id, project_id, homes, net_homes, kind, home_type, tenure, price_class, target_group, milestone, "                \
    "period_from, period_to, spread, correction, imported, created_at, updated_at"

/* One page of a project's blocks: count and the page as JSON, oldest first, each block with its current plusveld
 * values ("plusvelden": {key: value}, bs_plusvelden_values: the active block definitions of the project's owner, no
 * retired field, cleared values left out; {} when none). $1 project id, $2 limit, $3 offset. */
static const bs_stmt SQL_BLOCK_LIST = {
    "block_list",
    "SELECT (SELECT count(*) FROM project_blocks WHERE project_id = $1::uuid), "
    "COALESCE((SELECT json_agg(b ORDER BY b.created_at, b.id) FROM (SELECT " BLOCK_COLUMNS
    ", bs_plusvelden_values(project_id, id, NULL, false) AS plusvelden"
    " FROM project_blocks WHERE project_id = $1::uuid ORDER BY created_at, id LIMIT $2::bigint OFFSET $3::bigint) b), "
    "'[]')",
    3};

/* Adds a block to a project. $1 project id, $2 the validated body (jsonb). Returns the stored block as JSON. */
static const bs_stmt SQL_BLOCK_INSERT = {
    "block_insert",
    "WITH ins AS (INSERT INTO project_blocks (project_id, homes, kind, home_type, tenure, price_class, target_group, "
    "  milestone, period_from, period_to, correction, spread) "
    "SELECT $1::uuid, (j->>'homes')::integer, COALESCE(j->>'kind', 'nieuwbouw'), COALESCE(j->>'home_type', 'onbekend'), "
    "  COALESCE(j->>'tenure', 'onbekend'), COALESCE(j->>'price_class', 'onbekend'), j->>'target_group', "
    "  COALESCE(j->>'milestone', 'laatste_oplevering'), (j->>'period_from')::integer, (j->>'period_to')::integer, "
    "  COALESCE((j->>'correction')::boolean, false), "
    "  CASE WHEN jsonb_typeof(j->'spread') = 'array' THEN j->'spread' END FROM (SELECT $2::jsonb AS j) s "
    "RETURNING " BLOCK_COLUMNS ") SELECT row_to_json(ins) FROM ins",
    2};

/* Changes the members of $3 (validated jsonb; a member present, null included, replaces the column) of block $1 of
 * project $2. Returns the stored block as JSON, no row when the project has no such block. */
static const bs_stmt SQL_BLOCK_UPDATE = {
    "block_update",
    "WITH upd AS (UPDATE project_blocks b SET "
    "  homes = CASE WHEN j ? 'homes' THEN (j->>'homes')::integer ELSE homes END, "
    "  kind = CASE WHEN j ? 'kind' THEN j->>'kind' ELSE kind END, "
    "  home_type = CASE WHEN j ? 'home_type' THEN j->>'home_type' ELSE home_type END, "
    "  tenure = CASE WHEN j ? 'tenure' THEN j->>'tenure' ELSE tenure END, "
    "  price_class = CASE WHEN j ? 'price_class' THEN j->>'price_class' ELSE price_class END, "
    "  target_group = CASE WHEN j ? 'target_group' THEN j->>'target_group' ELSE target_group END, "
    "  milestone = CASE WHEN j ? 'milestone' THEN j->>'milestone' ELSE milestone END, "
    "  period_from = CASE WHEN j ? 'period_from' THEN (j->>'period_from')::integer ELSE period_from END, "
    "  period_to = CASE WHEN j ? 'period_to' THEN (j->>'period_to')::integer ELSE period_to END, "
    "  correction = CASE WHEN j ? 'correction' THEN (j->>'correction')::boolean ELSE correction END, "
    "  spread = CASE WHEN j ? 'spread' THEN (CASE WHEN jsonb_typeof(j->'spread') = 'array' THEN j->'spread' END) "
    "    ELSE spread END, "
    "  updated_at = now() "
    "FROM (SELECT $3::jsonb AS j) s WHERE b.id = $1::uuid AND b.project_id = $2::uuid "
    "RETURNING " BLOCK_COLUMNS ") SELECT row_to_json(upd) FROM upd",
    3};

/* Deletes block $1 of project $2. Returns one row when it existed. */
static const bs_stmt SQL_BLOCK_DELETE = {
    "block_delete", "DELETE FROM project_blocks WHERE id = $1::uuid AND project_id = $2::uuid RETURNING '{}'::text", 2};

#endif
