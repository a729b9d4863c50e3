/*
 * Bouwstroom runtime: the engine context shared by the API, the import and the CLI.
 *
 * Holds what the pure core needs as arguments: the loaded process schemas and the
 * working-day calendar. Loading reads files (the .json files in processes/), so it runs at start-up,
 * before the loop serves anything.
 */
#ifndef BS_ENGINE_H
#define BS_ENGINE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "calendar.h"
#include "schedule.h"
#include "schema.h"

typedef struct bs_engine_schema {
    bs_schema *schema; /* owned */
    json_t *json;      /* owned; the schema document as loaded (for the API) */
    struct bs_reference *reference; /* owned; issue 4: the fitted lead-time reference history from
                                     * processes/reference/<key>.reference.json, NULL when absent */
} bs_engine_schema;

typedef struct bs_engine {
    bs_calendar calendar;          /* default organisation calendar, 1990–2150 */
    bs_engine_schema *schemas;     /* owned; n_schemas */
    int n_schemas;
} bs_engine;

/* First and last year the default calendar covers. */
#define BS_CALENDAR_FIRST_YEAR 1990
#define BS_CALENDAR_LAST_YEAR 2150

/* Loads every *.json process schema in dir and builds the calendar. On failure writes a
 * message (all problems of the first bad file, one per line, with their paths) into
 * err (errlen bytes) and returns -1; returns 0 on success. */
int bs_engine_init(bs_engine *e, const char *processes_dir, char *err, size_t errlen);

/* Frees everything the engine holds. */
void bs_engine_free(bs_engine *e);

/* The schema with this key, or NULL. */
const bs_engine_schema *bs_engine_schema_get(const bs_engine *e, const char *key);

/* Directory of the installed data (migrations, processes): $BOUWSTROOM_HOME or the source
 * tree this binary was built from. Returns a static string. */
const char *bs_home(void);

/* Reads a whole file into a NUL-terminated buffer (caller frees); NULL with errno set. */
char *bs_read_file(const char *path, size_t *len_out);

/* Parses a progress row set: status text ('open','started','done','skipped') → enum.
 * Returns -1 for an unknown text. */
int bs_status_parse(const char *s, bs_step_status *out);

/* Status text of the API: "open", "started", "done", "skipped". */
const char *bs_status_name(bs_step_status s);

/* The query that loads a project's state: $1 = project id (uuid text). One row per step row
 * (at least one row when the project exists). Columns: data_date, process_schema_key,
 * planstatus, step_key, status, actual_start, actual_finish, actual_estimated, name, gemeente. */
#define BS_PROJECT_STATE_SQL                                                                                  \
    "SELECT p.data_date, p.process_schema_key, p.planstatus, s.step_key, s.status, s.actual_start, "        \
    "s.actual_finish, s.actual_estimated, p.name, p.gemeente "                                              \
    "FROM projects p LEFT JOIN project_steps s ON s.project_id = p.id WHERE p.id = $1::uuid"

/* Builds a project's progress from the result of BS_PROJECT_STATE_SQL: steps that do not
 * apply to its planstatus are SKIPPED, steps without a row OPEN. On success sets *schema,
 * *progress (malloc'd, schema->n_steps entries; caller frees) and *data_date and returns 0;
 * returns -1 when the result has no rows (no such project), -2 when the project refers to
 * an unknown schema or has an unreadable data date. */
int bs_project_state_from_result(const bs_engine *e, const PGresult *res, const bs_schema **schema,
                                 bs_progress **progress, bs_day *data_date);

/* The planned completion of a project: the early finish of its "laatste_oplevering"
 * milestone (last homes handed over), its actual finish when realised, or the schedule's
 * project finish when the schema has no such step. Inclusive civil date or BS_DAY_NONE. */
bs_day bs_schedule_completion(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched);

/* Renders a computed schedule as the API's JSON object:
 * {"data_date", "project_finish", "out_of_sequence": [keys], "steps": [{key, name, stream,
 *  milestone, status, early_start, early_finish, late_start, late_finish, total_float,
 *  critical, out_of_sequence, actual_start, actual_finish, actual_estimated, free_float,
 *  near_critical, deadline_missed}], "near_critical_days", "critical_paths": [[keys in link
 *  order]], "knelpunten": [{step, kind, deadline, early_finish, overshoot_working_days}]}.
 * Dates as "YYYY-MM-DD" or null; total_float and free_float in working days (null for
 * skipped/realised).
 * Returns a new reference. */
json_t *bs_schedule_to_json(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched);

#endif
