/*
 * Bouwstroom adapters: the SQL of the ZGW case-system adapter (zgw.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are. Included by zgw.c only.
 */
#ifndef BS_ZGW_SQL_H
#define BS_ZGW_SQL_H

#include "store.h"

/* A project as the ZGW adapter maps it onto a case, as one JSON document: id, name, gemeente, planned completion,
 * geometry and its CRS, the start date (the first realised step, else the progress date), the realised steps
 * (step key: finish date) and the developer (the organisation that holds the private stream, else the
 * organisation of a partner user with a role in the project). $1 project id. No row: the project is gone. */
static const bs_stmt SQL_ZGW_PROJECT = {
    "zgw_project",
    "SELECT json_build_object('id', p.id, 'name', p.name, 'gemeente', p.gemeente, "
    " 'planned_completion', p.planned_completion, 'geometry', p.geometry, 'geometry_crs', p.geometry_crs, "
    " 'startdatum', COALESCE((SELECT min(COALESCE(s.actual_start, s.actual_finish)) FROM project_steps s "
    "   WHERE s.project_id = p.id AND COALESCE(s.actual_start, s.actual_finish) IS NOT NULL), p.progress_date), "
    " 'realised', COALESCE((SELECT json_object_agg(s.step_key, s.actual_finish) FROM project_steps s "
    "   WHERE s.project_id = p.id AND s.actual_finish IS NOT NULL), '{}'::json), "
    /* the developer: the organisation that holds the private stream (docs/security.md §5); else the
     * organisation of a partner user with a role in the project */
    " 'developer', COALESCE((SELECT o.name FROM organisations o WHERE o.id = p.developer_organisation_id), "
    "   (SELECT o.name FROM project_roles r JOIN users u ON u.id = r.user_id "
    "   JOIN organisations o ON o.id = u.organisation_id WHERE r.project_id = p.id "
    "   AND o.kind IN ('ontwikkelaar','woningcorporatie','belegger') ORDER BY r.created_at, o.name LIMIT 1)))::text "
    "FROM projects p WHERE p.id = $1::uuid",
    1};

#endif
