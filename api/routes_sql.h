/*
 * Bouwstroom API: the SQL of the health and project routes (routes.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_ROUTES_SQL_H
#define BS_ROUTES_SQL_H

#include "project_fields.h"
#include "store.h"

/* Readiness of the database (GET /readyz): whether it is a standby (in recovery), whether this session's transactions
 * are read-only (default_transaction_read_only, e.g. ALTER DATABASE … SET, and transaction_read_only), how many of
 * this build's migrations are applied and how many applied ones this build does not know (a newer build migrated).
 * $1 this build's migration versions (text[]). */
static const bs_stmt SQL_READY = {"ready",
                                  "SELECT pg_is_in_recovery(), current_setting('transaction_read_only'), "
                                  "  current_setting('default_transaction_read_only'), "
                                  "  (SELECT count(*) FROM schema_migrations WHERE version = ANY($1::text[])), "
                                  "  (SELECT count(*) FROM schema_migrations WHERE version <> ALL($1::text[]))",
                                  1};

/* A project as JSON with the caller's access. $1 project id, $2 access (none … lead, or stream), $3 stream access
 * (boolean). */
static const bs_stmt SQL_PROJECT_GET = {
    "project_get",
    "SELECT row_to_json(p) FROM (SELECT " BS_PROJECT_FIELDS ", "
    "$2::text AS access, $3::boolean AS stream_access, created_at, updated_at, "
    "bs_plusvelden_values(id, NULL, NULL, $2::text NOT IN ('read', 'write', 'lead')) AS plusvelden FROM projects "
    "WHERE id = $1::uuid) p",
    3};

/* GET /api/v1/projects: the page of projects the caller may see in detail, from bs_project_list_page (migration 0068:
 * the filters, the count, the order and the page inside one PL/pgSQL function), as (count of all, JSON array of the
 * page's rows in the order: the list's columns, access, stream_access, geometry and geometry_crs). A page past the
 * end: the count and []. $1 gemeente, $2 provincie, $3 planstatus, $4 limit, $5 offset, $6 user id (NULL:
 * anonymous), $7 q (a part of the name), $8 mine (boolean), $9 plantype, $10 knelpunt (boolean), $11 whether the
 * geometry is fetched (boolean; only the page's rows), $12 sort (a key of project_sorts, '-' for descending); NULL:
 * no such filter. */
static const bs_stmt SQL_PROJECT_LIST = {
    "project_list",
    "SELECT max(a.total), COALESCE(json_agg(r ORDER BY a.ordinality) FILTER (WHERE a.id IS NOT NULL), '[]') "
    "FROM bs_project_list_page($6::uuid, $1::text, $2::text, $3::text, $9::text, $10::bool, $7::text, "
    "  $8::bool, $12::text, $4::bigint, $5::bigint) WITH ORDINALITY a "
    "LEFT JOIN LATERAL (SELECT geometry, geometry_crs FROM projects WHERE id = a.id AND $11::bool) g ON true "
    "CROSS JOIN LATERAL (SELECT a.id, a.name, a.gemeente, a.provincie, a.planstatus, a.plantype, "
    "  a.homes_remaining, a.progress_date, a.expected_by, a.planned_completion, a.confidentiality, "
    "  a.knelpunt, a.updated_at, a.access, a.stream_access, g.geometry, g.geometry_crs) r",
    12};

#endif
