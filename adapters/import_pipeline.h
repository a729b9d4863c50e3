/*
 * Bouwstroom adapter: the one import pipeline of project records (the EIB GeoJSON import,
 * the GeoJSON exchange import and the Excel project-list import run on it).
 *
 *   1. prepare (the import's own function) runs on the libuv thread pool (uv_queue_work):
 *      read and parse the input, validate, normalise, reproject, compute each plan's initial
 *      schedule, and fill a bs_import_plan: the project records (JSON objects with the
 *      staging columns below), in batches converted to COPY text on that thread, and the
 *      set-wise statements to run per batch. Nothing of this runs on the loop thread.
 *   2. on the loop, on one connection of the store (bs_store_acquire): per batch, the rows
 *      go into the temporary table bs_import_staging with COPY … FROM STDIN (bs_conn_copy)
 *      and the plan's statements run set-wise from there (INSERT … SELECT, ON CONFLICT …
 *      DO UPDATE); statement-level triggers (audit, change capture, adapter events;
 *      migrations 0004, 0011, 0024) see each batch once. Rows the records give for a table
 *      may go straight into it with a COPY of their own for the records the upsert inserted
 *      (bs_import_plan_copy_inserted: the EIB import's initial steps).
 *   3. transactions: either one per batch (commit_per_batch: the EIB import, a failed batch
 *      leaves the earlier ones stored) or one for the whole import (all or nothing). With one
 *      per batch, prepare may stream (bs_import_plan_stream): each batch is stored while the
 *      next ones are prepared; and several batches may be stored at once on several
 *      connections (bs_import_plan_connections), committed in batch order: the outcome is the
 *      one of storing them one after the other. A setup statement (bs_import_plan_setup) runs
 *      first, in a transaction of its own: what the batches would otherwise race on.
 *   4. progress lines, the counts (inserted / updated / unchanged), and one done callback on
 *      the loop, also when prepare refused the input or the store failed.
 *
 * The staging table is created in each transaction (ON COMMIT DROP), so a pooled connection
 * never keeps one, and a rollback removes it. Its columns are BS_IMPORT_STAGING_COLUMNS.
 */
#ifndef BS_IMPORT_PIPELINE_H
#define BS_IMPORT_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#include "copy_text.h"
#include "err.h"
#include "store.h"

/* Records per batch (one COPY and one run of the statements). */
#define BS_IMPORT_BATCH_SIZE 500

/* At most this many statements run per batch. */
#define BS_IMPORT_MAX_STMTS 8

/* At most this many batches are stored at once (bs_import_plan_connections). */
#define BS_IMPORT_MAX_CONNECTIONS 4

/* The staging table (bs_import_staging) has every projects column an import writes (id,
 * source, source_key, name, gemeente, provincie, plantype(_raw), planstatus(_raw), the count
 * columns, expected_period, expected_by, progress_date(_estimated), datum_raw, schatting,
 * geometry (jsonb), geometry_crs, process_schema_key/version, planned_completion,
 * confidentiality, the price range columns) with the projects table's types, and the initial
 * process state: "steps" (status names) and "step_keys" (the schema's step keys), text[] in
 * schema order; "plusvelden" (jsonb: the GeoJSON import's checked plusveld values). A record
 * member of another name is ignored; a missing one is NULL. */

/* What prepare builds (on the thread pool) and the pipeline stores (on the loop). Fill it
 * only through the functions below; the pipeline owns and frees it. */
typedef struct bs_import_plan bs_import_plan;

/* The script that opens each transaction, before the pipeline's own settings and staging
 * table: e.g. bs_store_begin_as(actor) or "BEGIN; SELECT set_config(…)". Copied. Default
 * "BEGIN". */
void bs_import_plan_begin(bs_import_plan *plan, const char *begin_sql);

/* One transaction per batch (true) or one for the whole import (false, the default). */
void bs_import_plan_commit_per_batch(bs_import_plan *plan, bool per_batch);

/* Appends a statement run after each batch's COPY, in the order added (at most
 * BS_IMPORT_MAX_STMTS). sql reads bs_import_staging; params ($1 …, at most 4, NULL = SQL
 * NULL) and sql are copied. what names the step in error messages ("storing projects
 * failed"). counts: the statement returns one row per inserted or updated project whose
 * first column is the boolean "inserted" (RETURNING (xmax = 0)); the batch's other records
 * count as unchanged. */
void bs_import_plan_stmt(bs_import_plan *plan, const char *what, bool counts, const char *sql, int n_params,
                         const char *const *params);

/* Appends a statement like bs_import_plan_stmt (counts false) that runs after the batch's other
 * statements, just before its COMMIT, and, when batches are stored at once
 * (bs_import_plan_connections), only once the batch before it has committed: for rows whose
 * order across batches shows, e.g. an audit summary row (audit_log.id comes from a sequence). */
void bs_import_plan_stmt_in_order(bs_import_plan *plan, const char *what, const char *sql, int n_params,
                                  const char *const *params);

/* One statement (at most one per plan; sql and params copied, at most 4, $1 …) run before the
 * first batch, in a transaction of its own (the plan's opening script, JIT off, no staging
 * table) committed before any batch begins: rows that batches stored at once would race on (an
 * upsert of one transaction cannot see a row another committed after its snapshot). Its failure
 * fails the import before anything is stored (what names it). Set before bs_import_plan_stream;
 * with bs_import_plan_stream_first, after it (see there). */
void bs_import_plan_setup(bs_import_plan *plan, const char *what, const char *sql, int n_params,
                          const char *const *params);

/* Appends record rec's rows (whole lines of COPY's text format, copy_text.h, or with binary
 * whole tuples of its binary format without the header and trailer; none is fine) to rows, for
 * bs_import_plan_copy_inserted. Runs on prepare's thread, within
 * bs_import_plan_add_records, once per record in the order added. */
typedef void (*bs_import_rows_fn)(bs_copy_buf *rows, const json_t *rec, void *arg);

/* One COPY per batch (at most one per plan; issue 17 item 4) straight into a table, of rows the
 * records give, for the records the batch's counting statement (bs_import_plan_stmt with counts)
 * inserted; it runs right after that statement, before the batch's next one. target names the
 * table and its columns ("project_steps (id, project_id, …)"); binary: COPY's binary format
 * (the pipeline adds its header and trailer), else text; rows (with rows_arg, borrowed
 * until the import's end) writes each record's rows when it is added; the counting statement
 * returns, after its "inserted" column, the text of the inserted record's "id" member (e.g.
 * RETURNING (xmax = 0), id): a row whose id no record of the batch has copies nothing. The number
 * of rows copied goes to the transaction's setting count_setting (set_config(…, true); not set
 * when the batch's inserted records have no rows), for the statements after it. what names the
 * step in error messages. Strings copied. Set before bs_import_plan_add_records. */
void bs_import_plan_copy_inserted(bs_import_plan *plan, const char *what, const char *target, bool binary,
                                  bs_import_rows_fn rows, void *rows_arg, const char *count_setting);

/* With one transaction per batch: store up to n batches at once (1 … BS_IMPORT_MAX_CONNECTIONS,
 * clamped; default 1), each on a connection of its own from the store (a store with fewer free
 * connections stores fewer at once). The batches commit in batch order (a batch whose statements
 * ran waits for the one before it); when a batch fails, the earlier ones still commit, the later
 * ones are rolled back, and the outcome has the earliest failed batch's error: the result is that
 * of storing the batches one after the other. The batches must not write the same rows (a batch
 * waiting for a row lock of a later batch would wait for ever): what they share goes in the setup.
 * The counts of a batch are added when it commits. Ignored with one transaction for the import. */
void bs_import_plan_connections(bs_import_plan *plan, int n);

/* Appends the records (a JSON array of objects, borrowed) in batches of BS_IMPORT_BATCH_SIZE,
 * each converted to COPY's text format (copy_text.h) in the staging column order: strings escaped,
 * integers and reals as numbers, true/false as t/f, arrays of strings as text[] literals,
 * objects (geometry) as JSON printed with json_flags (jansson's dump flags: the same text
 * gives the same jsonb), null or absent as NULL. */
void bs_import_plan_add_records(bs_import_plan *plan, const json_t *records, size_t json_flags);

/* Records added so far. */
int bs_import_plan_records(const bs_import_plan *plan);

/* Streaming (issue 17): from this call on, the pipeline stores each batch as soon as prepare
 * has added it, on the loop, while prepare goes on reading and computing the next ones on the
 * pool thread — the import's CPU work and PostgreSQL's overlap. Only for one transaction per
 * batch (bs_import_plan_commit_per_batch(plan, true)) and once the opening script and every
 * statement are set (aborts otherwise: a programming error); prepare must not refuse the input
 * after it (it returns 0: batches may be committed already). With a setup statement
 * (bs_import_plan_setup) the store starts at this call: the setup runs and commits while the
 * first batch is prepared. Without it the pipeline waits for prepare to return. */
void bs_import_plan_stream(bs_import_plan *plan);

/* Streaming like bs_import_plan_stream, for a prepare that can hand over its first batch before
 * it knows the setup statement (issue 17 item 4: the EIB import stores the first 500 plans while
 * it reads the rest of the file, whose gemeenten the setup creates). Call it before any batch is
 * added and before bs_import_plan_setup, which prepare must then call before it returns 0. The
 * first batch is stored at once; after its statements (and its in-order ones) its transaction
 * runs the setup statement, as soon as prepare has given it, and then commits: the setup's rows
 * and the first batch's commit together, before any other batch begins (no lane takes batch 2
 * before batch 1 has committed), so nothing can race on them. Until it has given the setup,
 * prepare may still refuse the input (return non-zero): the first batch is then rolled back and
 * nothing is stored (outcome.prepare_rc tells). A store of one connection is enough. */
void bs_import_plan_stream_first(bs_import_plan *plan);

/* The number of records prepare expects to add in all (e.g. the features of a file before some
 * are rejected): the total of the progress lines while prepare still runs. */
void bs_import_plan_expect(bs_import_plan *plan, int n_records);

/* The end of an import, on the loop. */
typedef struct bs_import_outcome {
    int prepare_rc; /* what prepare returned: non-zero = nothing was stored */
    int inserted;   /* new projects */
    int updated;    /* existing projects whose row changed */
    int unchanged;  /* existing projects, nothing changed */
    int stored;     /* records in committed batches (all of them after success) */
    /* code 0: stored (or prepare refused: see prepare_rc). BS_EUNAVAILABLE: the store failed;
     * what says where ("BEGIN failed", "storing projects failed", "commit failed",
     * "database unavailable"), msg has the store's text; the open transaction was rolled
     * back (with commit_per_batch the earlier batches stay committed). */
    bs_err err;
    const char *what; /* static text, NULL when err.code is 0 */
} bs_import_outcome;

/* prepare runs on a thread of the libuv pool: it may read files and do CPU work, must not
 * touch the loop or the store, and fills plan. It returns 0 to store the plan, or anything
 * else to skip the database (the input was refused; outcome.prepare_rc tells). */
typedef int (*bs_import_prepare_fn)(bs_import_plan *plan, void *arg);

/* done runs once on the loop thread with the outcome (valid during the call). */
typedef void (*bs_import_done_fn)(const bs_import_outcome *outcome, void *arg);

/* Runs one import: prepare on the thread pool, then the batches on one connection of store
 * as described above. label prefixes the progress lines ("import: 500/4348 plans stored");
 * progress (may be NULL) receives them. arg is passed to prepare (on the pool thread) and
 * done (on the loop): until done runs, the caller must not touch what prepare writes.
 * A plan without records finishes without a database round trip. */
void bs_import_pipeline_run(uv_loop_t *loop, bs_store *store, const char *label, FILE *progress,
                            bs_import_prepare_fn prepare, bs_import_done_fn done, void *arg);

#endif
