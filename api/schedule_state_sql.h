/*
 * Bouwstroom API: the SQL of a project's scheduling state as the scheduling routes load it
 * (routes_schedule_sql.h), shared with the gate (authz_sql.h), which loads it in the same
 * statement as the access decision for the step writes (issue 17 item 1: one round trip).
 */
#ifndef BS_SCHEDULE_STATE_SQL_H
#define BS_SCHEDULE_STATE_SQL_H

#include "engine.h"

/* The members after the state (BS_PROJECT_STATE_MEMBERS, 'later') of the project with id $ID: the scenario ($SID,
 * NULL: none) and the owner's staleness setting; ends the json_build_object. */
#define BS_SCHEDULE_LOAD_TAIL(ID, SID)                                                                                 \
    "'scenario', (SELECT row_to_json(x) FROM scenarios x WHERE x.id = " SID "::uuid AND x.project_id = p.id), "        \
    "'stale_after_months', (SELECT o.stale_after_months FROM organisations o WHERE o.id = p.owner_organisation_id)) "  \
    "FROM projects p WHERE p.id = " ID "::uuid"

/* The JSON object of SQL_SCHEDULE_LOAD_NOW (routes_schedule_sql.h) for project $ID without a scenario: the state
 * as of now ('later' empty; step rows as arrays, BS_PROJECT_STATE_MEMBERS_COMPACT), one row (none when the project
 * does not exist). */
#define BS_SCHEDULE_STATE_NOW_SQL(ID)                                                                                  \
    "SELECT json_build_object(" BS_PROJECT_STATE_MEMBERS_COMPACT                                                       \
    ", 'later', '[]'::json, " BS_SCHEDULE_LOAD_TAIL(ID, "NULL")

/* The project $ID's forecast stamp and its owner's stale_after_months, as the row source `ss` (no row when the project
 * does not exist): what the state cache (state_cache.h) checks a cached state by. The stamp (project_forecast_stamps,
 * migration 0034; 0 when the project has no row yet) is moved by the statement triggers of every writer when anything
 * BS_SCHEDULE_STATE_NOW_SQL reads changes, except the project's name and stale_after_months (read apart, never
 * cached). */
#define BS_STATE_STAMP_FROM(ID)                                                                                        \
    "(SELECT COALESCE(fs.stamp, 0) AS stamp, o.stale_after_months FROM projects p "                                    \
    "LEFT JOIN project_forecast_stamps fs ON fs.project_id = p.id "                                                    \
    "LEFT JOIN organisations o ON o.id = p.owner_organisation_id WHERE p.id = " ID "::uuid) ss"

/* The columns stamp, stale_after_months and state of project $ID, state (BS_SCHEDULE_STATE_NOW_SQL) only when the
 * stamp differs from $STAMP (the cached one, NULL: none), read in one snapshot with the stamp; FROM includes
 * BS_STATE_STAMP_FROM(ID). */
#define BS_STATE_IF_CHANGED_COLUMNS(ID, STAMP)                                                                         \
    "ss.stamp AS state_stamp, ss.stale_after_months AS state_stale_months, "                                           \
    "CASE WHEN ss.stamp IS DISTINCT FROM " STAMP "::bigint THEN (" BS_SCHEDULE_STATE_NOW_SQL(ID) ") END AS state"

#endif
