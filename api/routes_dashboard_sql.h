/*
 * Bouwstroom API: the SQL of the dashboard routes (routes_dashboard.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel.
 */
#ifndef BS_ROUTES_DASHBOARD_SQL_H
#define BS_ROUTES_DASHBOARD_SQL_H

#include "project_fields.h"
#include "store.h"

/* The data version of the dashboards (migration 0044: the sum of the weights of the marks this snapshot sees,
 * what the view dashboard_version reads) and the number of those marks. */
static const bs_stmt SQL_DASHBOARD_VERSION = {
    "dashboard_version", "SELECT COALESCE(sum(weight), 0)::bigint, count(*) FROM dashboard_marks", 0};

/* Replaces the marks of the data version by one row of their summed weight (bs_dashboard_compact, migration
 * 0044: the version unchanged in every snapshot) when there are at least $1 of them; returns the number merged
 * (0: fewer, or another compaction at work). */
static const bs_stmt SQL_DASHBOARD_COMPACT = {"dashboard_compact", "SELECT bs_dashboard_compact($1::int)", 1};

/* One dashboard (bs_dashboard, migration 0036) as JSON text and the data version it was computed under, in
 * one snapshot. $1 user id (NULL: public), $2 public only (boolean), $3 view, $4 group_by, $5 the engine's
 * schemas ({key: definition}, JSON). */
static const bs_stmt SQL_DASHBOARD_COMPUTE = {"dashboard_compute",
                                              "SELECT d::text, (SELECT version FROM dashboard_version) "
                                              "FROM bs_dashboard($1::uuid, $2::boolean, $3, $4, $5::jsonb) d",
                                              5};

/* The public facts of the openbaar projects (BS_PROJECT_FIELDS, docs/security.md §3a item 1) with their public
 * plusvelden (the current values of the owner's definitions marked public and not retired, {key: value}:
 * bs_plusvelden_values, migration 0033), one page ordered by name and id: (count, JSON array). $1 limit, $2
 * offset. */
static const bs_stmt SQL_PUBLIC_PROJECTS = {
    "public_projects",
    "SELECT (SELECT count(*) FROM projects WHERE confidentiality = 'openbaar'), "
    "  COALESCE((SELECT json_agg(r ORDER BY r.name, r.id) FROM (SELECT " BS_PROJECT_FIELDS ", created_at, "
    "  updated_at, bs_plusvelden_values(id, NULL, NULL, true) AS plusvelden FROM projects "
    "  WHERE confidentiality = 'openbaar' ORDER BY name, id "
    "  LIMIT $1::bigint OFFSET $2::bigint) r), '[]')",
    2};

#endif
