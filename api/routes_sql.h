/*
 * Bouwstroom API: the SQL of the health and project routes (routes.c). The project list builds its statement from the filters and the sort and is not a named statement.
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

#endif
