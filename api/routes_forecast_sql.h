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

/* Per step of a process schema: how many steps were skipped and how many realised steps carry estimated dates
 * (counted and reported, never used as durations). $1 schema key, $2 gemeente or NULL, $3 size class or NULL. */
static const bs_stmt SQL_LEAD_TIME_COUNTS = {
    "lead_time_counts",
    "SELECT s.step_key, count(*) FILTER (WHERE s.status = 'skipped'), "
    "count(*) FILTER (WHERE s.status = 'done' AND (s.actual_estimated OR s.actual_start IS NULL "
    "OR s.actual_finish IS NULL)) "
    "FROM project_steps s JOIN projects p ON p.id = s.project_id "
    "WHERE p.process_schema_key = $1 AND ($2::text IS NULL OR p.gemeente = $2) "
    "AND ($3::text IS NULL OR " SIZE_SQL " = $3) GROUP BY s.step_key",
    3};

/* A project's homes_remaining and gemeente. $1 project id. */
static const bs_stmt SQL_PROJECT_HOMES = {"project_homes",
                                          "SELECT homes_remaining, gemeente FROM projects WHERE id = $1::uuid", 1};

#endif
