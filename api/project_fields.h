/*
 * Bouwstroom API: the one list of a project's fields (shared by routes_sql.h and
 * routes_dashboard_sql.h).
 */
#ifndef BS_PROJECT_FIELDS_H
#define BS_PROJECT_FIELDS_H

/* The project's fields: the columns of projects that GET /api/v1/projects/{id} answers, the one list of
 * docs/security.md §3a item 1 (also the public facts of an openbaar project: GET /api/v1/public/projects,
 * routes_dashboard_sql.h). No person: organisations by id only. */
#define BS_PROJECT_FIELDS                                                                                              \
    "id, source, source_key, name, gemeente, provincie, "                                                              \
    "planstatus, planstatus_raw, plantype, plantype_raw, homes_remaining, demolition, "                                \
    "completions_2019, completions_2020_2024, completions_2025_2029, completions_2030_2050, "                          \
    "completions_unknown, type_grondgebonden, type_appartement, type_onbekend, tenure_huur, "                          \
    "tenure_koop, tenure_onbekend, expected_period, expected_by, progress_date, progress_date_estimated, "             \
    "datum_raw, schatting, process_schema_key, process_schema_version, planned_completion, "                           \
    "geometry_crs, geometry, owner_organisation_id, developer_organisation_id, confidentiality, knelpunt"

#endif
