/*
 * Bouwstroom adapter: import of provincial plan inventories in the EIB 2020 GeoJSON
 * format (domain brief §5; ../shared/data/plannen/eib-2020-rd.geojson).
 */
#ifndef BS_EIB_IMPORT_H
#define BS_EIB_IMPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "copy_text.h"
#include "engine.h"
#include "import_pipeline.h"
#include "store.h"

#define BS_IMPORT_MAX_WARNING_KINDS 16

typedef struct bs_import_result {
    int read;      /* features in the file */
    int inserted;  /* new projects */
    int updated;   /* existing projects whose data changed */
    int unchanged; /* existing projects, nothing changed */
    int rejected;  /* features that could not become a project (no usable OBJECTID) */
    int n_kinds;
    struct {
        const char *kind; /* static text, e.g. "planstatus spelling not recognised" */
        int count;
        char example[160]; /* first occurrence: "OBJECTID 17: 'X'" */
    } warnings[BS_IMPORT_MAX_WARNING_KINDS];
    char error[512]; /* set when the import failed (file unreadable, database error) */
} bs_import_result;

typedef void (*bs_import_cb)(const bs_import_result *result, void *arg);

/* Batches of an EIB import stored at once (bs_import_plan_connections); the CLI's store for
 * `bouwstroom import` has this many connections. */
#define BS_EIB_IMPORT_CONNECTIONS 2

/* The gemeente organisations an import of features (the file's "features" array, borrowed)
 * makes owners, for the setup that creates them before the batches: a new JSON array of
 * {"gemeente", "provincie", "batch"} (gemeente and provincie as the records get them,
 * 'onbekend' when missing; batch: the 0-based batch of BS_IMPORT_BATCH_SIZE plans the plan falls
 * in, counting only features with a usable, first-seen OBJECTID), one per distinct triple. */
json_t *bs_eib_gemeente_rows(json_t *features);

/* A UUIDv7 (RFC 9562 §5.7): unix_ms (milliseconds since the epoch, UTC) in the first 48 bits,
 * then the version (7), 74 random bits (randombytes_buf: sodium_init must have run) and the
 * variant; written to out as 36 lower-case characters and a NUL. The ids of new projects of an
 * EIB import: ascending across milliseconds, unguessable within one. */
void bs_eib_uuidv7(char out[37], int64_t unix_ms);

/* The step ids of an import's new projects (bs_eib_step_rows): UUIDv7 with a counter (RFC 9562
 * §6.2, method 1), the millisecond of the step's project (its id's first 48 bits), the version and
 * variant, 42 random bits of the import, and the counter: ascending across an import whose
 * projects' ids are (bs_eib_uuidv7 at ascending times), so the primary key grows at its right
 * end. Prepare's thread only. */
typedef struct bs_eib_step_ids {
    const bs_schema *schema; /* borrowed: the step keys of a record without "step_keys" */
    unsigned char middle[6]; /* bytes 6-11 of every id: the version, the variant and the random bits */
    uint32_t counter;        /* the next row's */
} bs_eib_step_ids;

/* Draws the import's random bits (randombytes_buf: sodium_init must have run), counter 0. */
void bs_eib_step_ids_init(bs_eib_step_ids *ids, const bs_schema *schema);

/* Appends to rows the initial project_steps rows of record rec (members id, a UUID's 36
 * characters, steps, and step_keys when its version has other steps than the schema's) as tuples
 * of COPY's binary format (no header or trailer: the pipeline's; no uuid text for PostgreSQL to
 * parse), columns (id, project_id, step_key, status, actual_estimated): one row per step, in
 * the order of the keys (strcmp: the order of project_steps' (project_id, step_key) index),
 * actual_estimated true for a step done, as the step statements write them
 * (bs_projects_steps_existing_sql); ids from ids (a bs_eib_step_ids *; a bs_import_rows_fn).
 * Nothing without an "id" (or with one that is not a UUID). */
void bs_eib_step_rows(bs_copy_buf *rows, const json_t *rec, void *ids);

/* Imports the plans of the GeoJSON file at path into the store as projects of the
 * schema "ppm-woningbouw" with their initial process state and schedule (issue #2 §7).
 * source: the projects' source tag ("eib-2020"); (source, OBJECTID) is the idempotency key.
 * Idempotent: a second run of the same file changes nothing. Runs on the import pipeline
 * (import_pipeline.h): the file is read, parsed and every plan computed on the libuv thread
 * pool; then each batch of plans is COPYed and stored in one transaction on the loop, up to
 * BS_EIB_IMPORT_CONNECTIONS batches at once, committed in order (the gemeente organisations
 * the later batches name created in the first batch's transaction, bs_import_plan_stream_first).
 * The file is read one feature at a time (jansson per value): the first batch is stored while a
 * thread reads the rest; a malformed file stores nothing (its error with the file's
 * line:column).
 * progress (may be NULL) receives progress lines. cb gets the result on the loop
 * (result->error non-empty on failure). */
void bs_eib_import(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const char *path, const char *source,
                   FILE *progress, bs_import_cb cb, void *arg);

/* The pure part of the import (no store, no files, no clock), one feature at a time: the
 * project record of feature (the projects columns, source_key = its OBJECTID, the initial
 * "steps" and "planned_completion" of bs_eib_plan_record, planned from max(progress date,
 * today) on cal) with r's warnings counted. crs: the file's (bs_eib_file_crs); seen: a JSON
 * object of the OBJECTIDs so far (updated). Returns a new record, or NULL when the feature
 * cannot become a project (no usable or a repeated OBJECTID: r->rejected counted). The fuzz
 * target tests/fuzz/fuzz_geojson.c calls it. */
json_t *bs_eib_feature_record(const bs_schema *schema, const bs_calendar *cal, json_t *feature, const char *crs,
                              json_t *seen, bs_day today, bs_import_result *r);

/* The statement that stores a batch's blocks (docs/blocks.md): the imported blocks
 * (project_blocks.imported) of each staged project whose record has a "blocks" member are
 * replaced by those; a staged record whose "id" is its project's (the batch inserted the project
 * with the record's id, bs_projects_upsert_sql) has none to replace. $1 source tag. Static string. */
const char *bs_projects_blocks_sql(void);

/* The CRS of an EIB file: "EPSG:28992" when its "crs" member names 28992, else "EPSG:4326"
 * (RFC 7946). Static string. */
const char *bs_eib_file_crs(const json_t *root);

/* Last day (inclusive civil date) of the latest completion period of a plan with a positive
 * count, and that period's label ("2019", "2020-2024", "2025-2029", "2030-2050");
 * OPLONB ignored. Returns BS_DAY_NONE (label NULL) when no period has a positive count. */
bs_day bs_eib_expected_by(long op2019, long op2020_2024, long op2025_2029, long op2030_2050, const char **label);

/* ---- shared with the other project importers (xlsx_projects.c) ---- */

/* Adds a plan's process state to rec, a project record (JSON object with the projects
 * columns): "process_schema_key", "process_schema_version", "steps" (status names in the
 * schema's step order: the initial progress for planstatus, bs_plan_initial_progress) and
 * "planned_completion" (YYYY-MM-DD, the schedule's laatste oplevering from data_date on
 * calendar cal; null when none). Returns 0, or -1 when the schedule could not be computed
 * (planned_completion null). */
int bs_eib_plan_record(json_t *rec, const bs_schema *schema, const bs_calendar *cal, const char *planstatus,
                       bs_day data_date);

/* A projects column outside the EIB set (e.g. confidentiality), with its SQL type; it must be
 * one of the staging table's columns (import_pipeline.h). */
typedef struct bs_project_column {
    const char *column;
    const char *type;
} bs_project_column;

/* The upsert of project records from the import pipeline's staging table (import_pipeline.h,
 * bs_import_staging: source_key, planned_completion, the EIB columns and the n_extra extra
 * ones), $1 = source tag. Inserts new (source, source_key) pairs, updates changed rows, leaves
 * equal rows alone; returns one row per inserted or updated project with a boolean
 * "inserted" and its "id" (bs_import_plan_copy_inserted). Caller frees. */
char *bs_projects_upsert_sql(const bs_project_column *extra, size_t n_extra);

/* The insert of the initial project_steps of the staged records (members source_key and
 * steps, and step_keys when the record's version has other steps than $1's) in two
 * statements, $1 = bs_projects_step_keys_param, $2 = source tag, run in this
 * order after the upsert: bs_projects_steps_existing_sql gives projects that existed before
 * the transaction the steps they lack (existing step rows are kept; ON CONFLICT DO NOTHING),
 * bs_projects_steps_new_sql gives the projects whose row the transaction wrote and that have no
 * step all their steps (no conflict check: no other transaction can be inserting them; ids
 * ascending) and writes one summary row in the audit log (plans, steps inserted by both).
 * Static strings. */
const char *bs_projects_steps_existing_sql(void);
const char *bs_projects_steps_new_sql(void);

/* The audit summary row of bs_projects_steps_new_sql alone, to run later
 * (bs_import_plan_stmt_in_order): steps inserted are the transaction's settings
 * bouwstroom.import_steps_new and bouwstroom.import_steps (each 0 when not set); $1 source tag.
 * Static string. */
const char *bs_projects_steps_audit_sql(void);

/* bs_projects_steps_existing_sql for the projects the batch's upsert did not insert (a project
 * whose id is not its staged record's): with their steps COPYed (bs_projects_plan_steps_copied),
 * the others get the steps they lack, also one that this transaction updated and that has none.
 * $1 step keys, $2 source tag; the number inserted goes to bouwstroom.import_steps. Static
 * string. */
const char *bs_projects_steps_missing_sql(void);

/* Appends the two step statements above to plan (after the upsert), with the step keys of
 * schema and the source tag as parameters. */
void bs_projects_plan_steps(bs_import_plan *plan, const bs_schema *schema, const char *source);

/* The same steps and audit row for batches stored at once (bs_import_plan_connections), with the
 * steps of new projects COPYed straight into project_steps (issue 17 item 4: no executor per row,
 * the heap's multi-row insert): bs_eib_step_rows writes each record's rows (ids from ids, which
 * must stay until the import's end), and those of the records the upsert inserted go in right
 * after it (bs_import_plan_copy_inserted; count in bouwstroom.import_steps_new); then
 * bs_projects_steps_missing_sql for the other projects, and the audit summary row as an
 * in-order statement, so that the summary rows follow the batches' order as with one
 * connection. The upsert must be the plan's counting statement (bs_projects_upsert_sql, with
 * the records' "id" as an extra column). */
void bs_projects_plan_steps_copied(bs_import_plan *plan, const bs_schema *schema, const char *source,
                                   bs_eib_step_ids *ids);

/* Which version of a schema new projects of each gemeente organisation get
 * (organisation_schema_versions, migration 0030; docs/process-schema.md "Versions"): one row,
 * one column, a JSON object {"gemeente:NAME|KEY": version} over the organisations an import makes
 * owners (import_key 'gemeente:' || the gemeente). Read by every import before it runs. */
#define BS_IMPORT_VERSION_SETTINGS_SQL                                                                                 \
    "SELECT COALESCE(json_object_agg(o.import_key || '|' || s.schema_key, s.version), '{}') "                          \
    "FROM organisation_schema_versions s JOIN organisations o ON o.id = s.organisation_id "                            \
    "WHERE o.import_key IS NOT NULL"

/* Plans record rec (built by bs_eib_plan_record with the shipped schema: members gemeente,
 * planstatus, progress_date, process_schema_key) again with the version its gemeente's
 * organisation has set for its schema key (settings: BS_IMPORT_VERSION_SETTINGS_SQL's object;
 * NULL or no setting: rec is left as it is), from the data date max(progress_date, today); the
 * record then names that version and carries "step_keys", the version's step keys in the order
 * of its "steps" (the step statements read them; bs_projects_steps_existing_sql). A version the
 * engine does not hold leaves rec as it is. cal: the calendar the schedule is computed on. */
void bs_import_apply_version_setting(json_t *rec, const bs_engine *engine, const json_t *settings,
                                     const bs_calendar *cal, bs_day today);

/* The schema's step keys as a PostgreSQL text[] literal ("{a,b,c}"). Caller frees. */
char *bs_projects_step_keys_param(const bs_schema *schema);

#endif
