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
#include "err.h"
#include "schedule.h"
#include "schema.h"
#include "store.h"
#include "whatif.h"

typedef struct bs_engine_schema {
    bs_schema *schema;              /* owned */
    json_t *json;                   /* owned; the schema document as loaded (for the API) */
    struct bs_reference *reference; /* owned; the fitted lead-time reference history from
                                     * processes/reference/<key>.reference.json, NULL when absent */
} bs_engine_schema;

/* The versions of process schemas deployed through the API (process_schemas, migration 0030): a list
 * that only grows. The loop prepends (bs_engine_add_version) while worker threads may walk it, so
 * the head is read and written atomically and a node never changes or goes away before
 * bs_engine_free. */
typedef struct bs_engine_version {
    bs_engine_schema es;            /* owned; reference NULL (the reference history fits the shipped version) */
    struct bs_engine_version *next; /* older versions */
} bs_engine_version;

typedef struct bs_engine_versions {
    bs_engine_version *head; /* owned; newest first; atomic */
} bs_engine_versions;

typedef struct bs_engine {
    bs_calendar calendar; /* default organisation calendar, 1990–2150 */
    /* the calendar of every organisation option (organisations.calendar_*, migration 0029), same
     * range: [goede_vrijdag][bevrijdingsdag] */
    bs_calendar variants[2][3];
    bs_engine_schema *schemas; /* owned; n_schemas: the shipped schemas of processes/ (version 1 of their key) */
    int n_schemas;
    bs_engine_versions *deployed; /* owned; the deployed versions (never NULL after bs_engine_init) */
} bs_engine;

/* First and last year the default calendar covers. */
#define BS_CALENDAR_FIRST_YEAR 1990
#define BS_CALENDAR_LAST_YEAR 2150

/* Loads every *.json process schema in dir (and its optional reference history,
 * reference/<key>.reference.json) and builds the calendar. Returns 0, or fills err (may be
 * NULL) and returns BS_EIO (a directory or file unreadable), BS_EINVAL (a schema or reference
 * history does not validate; no schema at all) or BS_EINTERNAL (the calendar). When a schema
 * does not validate, err->msg is the summary line ("path: N problem(s)") and *report (when
 * report is not NULL; a heap string, free() it; NULL when there is none) has the summary and
 * every problem of that file, one per line with its JSON path. */
int bs_engine_init(bs_engine *e, const char *processes_dir, bs_err *err, char **report);

/* bs_engine_init's flag: no lead-time reference history is read or fitted (every schema's
 * reference NULL), for a command that never forecasts (`bouwstroom import`: the fit is ≈ 45 ms of
 * CPU before the import can start; docs/performance.md "Import of the real plans"). */
#define BS_ENGINE_NO_REFERENCE 1u

/* bs_engine_init with flags (0 or BS_ENGINE_NO_REFERENCE); the same returns and errors. */
int bs_engine_init_ex(bs_engine *e, const char *processes_dir, unsigned flags, bs_err *err, char **report);

/* The calendar of these organisation options (never NULL). */
const bs_calendar *bs_engine_calendar(const bs_engine *e, const bs_calendar_options *opt);

/* Reads organisation calendar options {"goede_vrijdag": bool, "bevrijdingsdag": "never" |
 * "lustrum" | "yearly"}; what is absent or unknown keeps the default. */
bs_calendar_options bs_calendar_options_json(const json_t *o);

/* Frees everything the engine holds. */
void bs_engine_free(bs_engine *e);

/* The shipped schema with this key (version 1, from processes/), or NULL. */
const bs_engine_schema *bs_engine_schema_get(const bs_engine *e, const char *key);

/* Version `version` of the schema with this key: the shipped one when version is its version
 * (or <= 0: callers without a version), else a deployed version, or NULL when the engine holds
 * none. Safe on any thread. */
const bs_engine_schema *bs_engine_schema_version(const bs_engine *e, const char *key, long version);

/* Adds a deployed version: definition is its stored document (JSON text, len bytes; its
 * "version" is the stored version). A version the engine holds already is kept (0). Returns 0,
 * or BS_EINVAL (err set) when the document does not load. Called on the loop only: at start for
 * every stored version (SQL BS_ENGINE_VERSIONS_SQL) and when a deploy commits. The engine is
 * const to its other users; this appends to the list e->deployed points to. */
int bs_engine_add_version(const bs_engine *e, const char *definition, size_t len, bs_err *err);

/* The newest deployed version (walk ->next for older ones), or NULL. Safe on any thread. */
const bs_engine_version *bs_engine_deployed(const bs_engine *e);

/* Every stored version, oldest first: key, version, definition (JSON text). */
#define BS_ENGINE_VERSIONS_SQL "SELECT key, version, definition::text FROM process_schemas ORDER BY key, version"

/* Whether key is a milestone step of a schema the engine (arg: a const bs_engine *) holds, a
 * shipped one or a deployed version: the predicate of bs_block_check (block_rules.h). Safe on
 * any thread (the deployed list is read as bs_engine_deployed does). */
bool bs_engine_is_milestone(const char *key, const void *arg);

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

/* The query that loads a project's stored scheduling state: $1 = project id (uuid text).
 * One row (none when the project does not exist), one column: a JSON object
 * {progress_date, schema, schema_version, planstatus, version, custom_links, name, gemeente, homes_remaining,
 *  steps: [project_steps rows: the columns bs_project_state_parse reads, not id, project_id, updated_at: a
 *  third less JSON to parse at every step write, issue 17], links: [project_links rows in order]}.
 * Extra JSON members may be appended by callers that need more (see routes_schedule.c). */
#define BS_PROJECT_STATE_HEAD                                                                                          \
    "'progress_date', p.progress_date, 'schema', p.process_schema_key, "                                               \
    "'schema_version', p.process_schema_version, 'planstatus', p.planstatus, "                                         \
    "'version', p.schedule_version, 'custom_links', p.custom_links, 'name', p.name, 'gemeente', p.gemeente, "          \
    "'homes_remaining', p.homes_remaining, "                                                                           \
    "'calendar', (SELECT json_build_object('goede_vrijdag', o.calendar_goede_vrijdag, 'bevrijdingsdag', "              \
    "  o.calendar_bevrijdingsdag) FROM organisations o WHERE o.id = p.owner_organisation_id), "
#define BS_PROJECT_STATE_STEP_COLUMNS                                                                                  \
    "s.step_key, s.status, s.actual_start, s.actual_finish, s.actual_estimated, s.remaining_duration, "                \
    "s.duration_override, s.planned_start, s.planned_finish, s.start_no_earlier_than, s.finish_no_later_than"
#define BS_PROJECT_STATE_LINKS                                                                                         \
    "'links', COALESCE((SELECT json_agg(l ORDER BY l.id) FROM project_links l WHERE l.project_id = p.id), '[]')"
#define BS_PROJECT_STATE_MEMBERS                                                                                       \
    BS_PROJECT_STATE_HEAD "'steps', COALESCE((SELECT json_agg(s) FROM (SELECT " BS_PROJECT_STATE_STEP_COLUMNS          \
                          " FROM project_steps s WHERE s.project_id = p.id) s), '[]'), " BS_PROJECT_STATE_LINKS
/* BS_PROJECT_STATE_MEMBERS with every step row as a JSON array of BS_PROJECT_STATE_STEP_COLUMNS in that order
 * instead of an object (bs_project_state_parse reads both): a seventh of the text, and no object (a hash table) per
 * row to build when it is parsed (issue 17: parsing the state was a quarter of the server's CPU per step write). */
#define BS_PROJECT_STATE_MEMBERS_COMPACT                                                                               \
    BS_PROJECT_STATE_HEAD "'steps', COALESCE((SELECT json_agg(json_build_array(" BS_PROJECT_STATE_STEP_COLUMNS         \
                          ")) FROM project_steps s WHERE s.project_id = p.id), '[]'), " BS_PROJECT_STATE_LINKS
#define BS_PROJECT_STATE_SQL                                                                                           \
    "SELECT json_build_object(" BS_PROJECT_STATE_MEMBERS ") FROM projects p WHERE p.id = $1::uuid"

/* BS_PROJECT_STATE_SQL as the one named statement (store.h) of every caller that loads a
 * project's state (the forecast routes, the notifier's planning): prepared once per
 * connection, whoever runs it first. $1 project id. */
extern const bs_stmt BS_STMT_PROJECT_STATE;

/* A project's scheduling state: what bs_schedule_compute_ex needs, as stored. */
typedef struct bs_project_state {
    const bs_schema *schema; /* not owned */
    bs_progress *progress;   /* owned; schema->n_steps */
    bs_sched_edit edit;      /* owned; overrides and (when custom_links) the project's link set */
    bs_day *planned;         /* owned; 2 * n_steps: the stored planned_start, planned_finish */
    bs_day progress_date;    /* projects.progress_date: the facts are known up to this date */
    bs_day data_date;        /* bs_data_date(progress_date, today): open work starts no earlier */
    long long version;       /* projects.schedule_version */
    char planstatus[16];
    char name[256], gemeente[128];
    long homes_remaining;
    const bs_calendar *cal; /* the owner organisation's calendar (bs_engine_calendar; not owned): every
                             * schedule and forecast of the project counts working days on it */
} bs_project_state;

/* The schedule's data date (docs/scheduling.md §6): the later of progress_date (the date up
 * to which the project's facts are known) and today (the organisation's local date,
 * Europe/Amsterdam, from the runtime clock: bs_clock_today_amsterdam). Calendar days; either
 * may be BS_DAY_NONE (the other is returned). Every runtime caller that schedules, forecasts,
 * feeds or alerts takes its data date from here. */
bs_day bs_data_date(bs_day progress_date, bs_day today);

/* Parses the JSON of BS_PROJECT_STATE_SQL (its step rows objects, or arrays as BS_PROJECT_STATE_MEMBERS_COMPACT
 * writes them) (today: the organisation's local date, for
 * data_date = bs_data_date(progress_date, today); BS_DAY_NONE plans from progress_date as
 * stored, for the plan as it was known on a date): steps that do not apply to the planstatus are
 * SKIPPED, steps without a row OPEN; overrides (remaining_duration, duration_override,
 * start_no_earlier_than, finish_no_later_than) and, when custom_links, the stored link set.
 * Returns 0, or -2 when the project refers to an unknown schema or has no progress date
 * (out is then freeable). Free with bs_project_state_free. */
int bs_project_state_parse(const bs_engine *e, const json_t *doc, bs_day today, bs_project_state *out);

/* Parses one stored link {pred, succ, type, lag, lag_unit} (step keys) into l. Returns 0, or
 * -1 when a step is unknown. succ >= 0 overrides the row's successor. */
int bs_link_from_json(const bs_schema *schema, const json_t *o, int32_t succ, bs_link *l);

void bs_project_state_free(bs_project_state *s);

/* The project's schedule with its stored edits (bs_schedule_compute_ex), remaining durations
 * as of s->progress_date, open work from s->data_date. */
bs_schedule_err bs_project_state_schedule(const bs_project_state *s, const bs_calendar *cal, bs_schedule *out);

/* A bs_forecast_schedule_fn-compatible callback: schedules one sample with the edits of
 * ctx (a const bs_sched_edit *), progress_date (BS_DAY_NONE = data_date) and data_date as in
 * bs_schedule_input. */
bs_schedule_err bs_schedule_with_edit(void *ctx, const bs_schema *sampled, const bs_progress *progress,
                                      bs_day progress_date, bs_day data_date, const bs_calendar *cal, bs_schedule *out);

/* The planned completion of a project: the early finish of its "laatste_oplevering"
 * milestone (last homes handed over), its actual finish when realised, or the schedule's
 * project finish when the schema has no such step. Inclusive civil date or BS_DAY_NONE. */
bs_day bs_schedule_completion(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched);

/* A date as JSON: "YYYY-MM-DD", or null for BS_DAY_NONE. Returns a new reference. */
json_t *bs_date_json(bs_day d);

/* A JSON "YYYY-MM-DD" string as a date; BS_DAY_NONE for null, other types or bad dates. */
bs_day bs_json_date(const json_t *v);

/* Renders a computed schedule as the API's JSON object:
 * {"progress_date", "data_date", "project_finish", "out_of_sequence": [keys], "steps": [{key, name, stream,
 *  milestone, status, early_start, early_finish, late_start, late_finish, total_float,
 *  critical, out_of_sequence, actual_start, actual_finish, actual_estimated, free_float,
 *  near_critical, deadline_missed}], "near_critical_days", "critical_paths": [[keys in link
 *  order]], "knelpunten": [{step, kind, deadline, early_finish, overshoot_working_days}]}.
 * Dates as "YYYY-MM-DD" or null; total_float and free_float in working days (null for
 * skipped/realised).
 * Returns a new reference. */
json_t *bs_schedule_to_json(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched);

#endif
