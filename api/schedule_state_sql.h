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
 * as of now ('later' empty), one row (none when the project does not exist). */
#define BS_SCHEDULE_STATE_NOW_SQL(ID)                                                                                  \
    "SELECT json_build_object(" BS_PROJECT_STATE_MEMBERS ", 'later', '[]'::json, " BS_SCHEDULE_LOAD_TAIL(ID, "NULL")

#endif
