/*
 * Bouwstroom API: the SQL of the export, exchange and adapter routes (routes_exchange.c).
 * The GeoJSON export is not a named statement: its select list is the exchange's
 * (bs_geojson_export_select, geojson_exchange.c), assembled at run time and shared with the
 * CLI's `export --geojson`.
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_ROUTES_EXCHANGE_SQL_H
#define BS_ROUTES_EXCHANGE_SQL_H

#include "province_export.h"
#include "store.h"

/* The plan records of a province export (BS_EXPORT_PLAN_COLUMNS, province_export.h) that the caller may read (the
 * public facts of an openbaar plan included), as one JSON array ordered by provincie, gemeente, name, id; the
 * province's own rule (its confidentiality level and the quality checks) then decides what is exported. $1 caller
 * user id or NULL (anonymous). */
static const bs_stmt SQL_EXPORT_PLANS = {
    "export_plans",
    "SELECT COALESCE(json_agg(r ORDER BY r.provincie, r.gemeente, r.name, r.id), '[]') FROM ("
    "SELECT " BS_EXPORT_PLAN_COLUMNS ", " BS_EXPORT_PLAN_PLUSVELDEN("a.access = 'public'") ", " BS_EXPORT_PLAN_BLOCKS(
        "a.access = 'public'") " FROM projects p "
                               "JOIN bs_project_access($1::uuid) a ON a.project_id = p.id "
                               "AND a.access IN ('public','read','write','lead')) r",
    1};

#endif
