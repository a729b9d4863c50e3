/*
 * Bouwstroom runtime: one project moved to another version of its process schema, from its
 * stored state to the API's answer and the rows to write (issue 19, item 2;
 * docs/process-schema.md "Migrating projects"). No I/O: runs on the loop (one project) and on
 * the thread pool (bulk migrations).
 */
#ifndef BS_PROJECT_MIGRATE_H
#define BS_PROJECT_MIGRATE_H

#include <jansson.h>

#include "engine.h"
#include "migrate.h"

/* The project's state for a migration: BS_PROJECT_STATE_MEMBERS and its id, as one JSON object
 * (the SELECT list of a query over projects p). */
#define BS_MIGRATE_STATE_JSON "json_build_object('id', p.id, " BS_PROJECT_STATE_MEMBERS ")"

/* The mapping member of a migration request, {"old step": "new step" | null}, as n entries
 * pointing into obj's strings (obj must outlive them; *out: free()). Returns the count, or -1
 * with *bad the offending key when a value is neither a string nor null (obj not an object:
 * *bad = NULL). NULL obj: 0 entries. */
int bs_migrate_map_json(const json_t *obj, bs_migrate_map **out, const char **bad);

typedef struct bs_project_migration {
    int status;        /* 0, or BS_EINVAL (a mapping or version refused, 422), BS_ECONFLICT (an actual date
                        * would be lost, 409), BS_EINTERNAL (the project cannot be planned) */
    char field[200];   /* the refused input: "mapping.<step>" or "version" */
    char message[400]; /* English, one line */
    json_t *answer;    /* owned; {project_id, from_version, to_version, milestones: [{key, name, before, after,
                        * delta_working_days}], unmapped_steps: [{key, reason}], realised_steps: [keys],
                        * carried_steps}; dates "YYYY-MM-DD" or null; delta in working days of the
                        * organisation's calendar (after - before; null when either is unknown) */
    json_t *record; /* owned; what the write statement takes: {id, schema (key), sv (schedule version read), pc (planned
                        * completion), custom (links), steps: [project_steps rows of the new version], keys
                        * (their step keys),
                        * links: [{ord, pred, succ, type, lag, lag_unit}]} */
    int32_t carried, realised, unmapped; /* counts, for a bulk job's summary */
} bs_project_migration;

/* Migrates the project whose state (BS_MIGRATE_STATE_JSON) is doc to version to_version of its
 * schema with the mapping (bs_migrate_project, engine/core/migrate.h), planning both versions
 * from the project's progress date and today (the organisation's local date: data date =
 * bs_data_date(progress_date, today)). Milestones are those of the new version; "before" is
 * the finish of the old step carried into it (actual finish when realised, else early finish).
 * Fills *out (free with bs_project_migration_free); out->status says whether it was refused. */
void bs_project_migrate(const bs_engine *e, const json_t *doc, bs_day today, long to_version, const bs_migrate_map *map,
                        size_t n_map, bs_project_migration *out);

void bs_project_migration_free(bs_project_migration *m);

#endif
