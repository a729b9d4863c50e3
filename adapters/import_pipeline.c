/*
 * The one import pipeline of project records. See import_pipeline.h.
 */
#include "import_pipeline.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "copy_text.h"

/* The staging table's columns, in COPY order, with the projects table's types (and the
 * geometry's compression method). */
static const struct {
    const char *name;
    const char *type;
} staging_cols[] = {
    {"id", "uuid"},
    {"source", "text"},
    {"source_key", "text"},
    {"name", "text"},
    {"gemeente", "text"},
    {"provincie", "text"},
    {"plantype", "text"},
    {"plantype_raw", "text"},
    {"planstatus", "text"},
    {"planstatus_raw", "text"},
    {"homes_remaining", "integer"},
    {"demolition", "integer"},
    {"completions_2019", "integer"},
    {"completions_2020_2024", "integer"},
    {"completions_2025_2029", "integer"},
    {"completions_2030_2050", "integer"},
    {"completions_unknown", "integer"},
    {"type_grondgebonden", "integer"},
    {"type_appartement", "integer"},
    {"type_onbekend", "integer"},
    {"tenure_huur", "integer"},
    {"tenure_koop", "integer"},
    {"tenure_onbekend", "integer"},
    {"expected_period", "text"},
    {"expected_by", "date"},
    {"progress_date", "date"},
    {"progress_date_estimated", "boolean"},
    {"datum_raw", "text"},
    {"schatting", "text"},
    /* lz4, not the default pglz: a staged row over 2 KB compresses its largest value, mostly the
     * geometry, and pglz cost ≈ 20 % of the staging COPY (issue 17 item 4); the compressed value
     * goes into projects as it is (PostgreSQL does not recompress a compressed value it copies) */
    {"geometry", "jsonb COMPRESSION lz4"},
    {"geometry_crs", "text"},
    {"process_schema_key", "text"},
    {"process_schema_version", "integer"},
    {"planned_completion", "date"},
    {"confidentiality", "text"},
    {"koop_price_min_cents", "bigint"},
    {"koop_price_max_cents", "bigint"},
    {"huur_rent_min_cents", "bigint"},
    {"huur_rent_max_cents", "bigint"},
    {"steps", "text[]"},
    {"step_keys", "text[]"},
    {"blocks", "jsonb"},
    {"plusvelden", "jsonb"}, /* checked values of plusvelden by key (geojson_exchange.c) */
};
#define N_STAGING_COLS (sizeof staging_cols / sizeof staging_cols[0])

typedef struct import_batch {
    char *copy; /* owned: the rows in COPY text format */
    size_t len;
    int n_records;
    /* with bs_import_plan_copy_inserted: each record's rows for the target (COPY text or binary
     * tuples, record i
     * from row_off[i] to row_off[i + 1]) and the records by their "id" (sorted by strcmp, for
     * bsearch; a record without one has ""). All owned. */
    char *rows;
    size_t *row_off;
    struct record_id *by_id;
} import_batch;

/* A record's "id" and its number in the batch. */
typedef struct record_id {
    char id[40];
    int rec;
} record_id;

/* bs_import_plan_copy_inserted */
typedef struct import_copy {
    char *sql;              /* owned: "COPY <target> FROM STDIN [(FORMAT binary)]"; NULL = none */
    bool binary;            /* the rows are binary tuples: the COPY gets the header and trailer */
    bs_import_rows_fn rows; /* writes a record's rows */
    void *rows_arg;
    char *setting; /* owned: the count's setting */
    const char *what;
} import_copy;

typedef struct import_stmt {
    char *sql; /* owned */
    const char *what;
    bool counts;
    bool in_order; /* bs_import_plan_stmt_in_order */
    int n_params;
    char *params[4]; /* owned (NULL = SQL NULL) */
} import_stmt;

struct bs_import_plan {
    char *begin_sql; /* owned; NULL = "BEGIN" */
    bool per_batch;
    import_stmt stmts[BS_IMPORT_MAX_STMTS];
    int n_stmts;
    import_stmt setup;    /* bs_import_plan_setup: sql NULL = none */
    import_copy copy_ins; /* bs_import_plan_copy_inserted */
    int connections;      /* bs_import_plan_connections; 0 = 1 */
    /* batches, n_batches and n_records are written by prepare (pool thread) and, once streaming
     * is on, read by the store (loop) at the same time: both under mu */
    uv_mutex_t mu;
    import_batch *batches; /* owned */
    int n_batches, cap_batches;
    int n_records;
    int expected;     /* records expected in all (bs_import_plan_expect), 0 = unknown */
    bool stream;      /* batches may be stored while prepare runs (bs_import_plan_stream) */
    bool first;       /* bs_import_plan_stream_first: the setup runs in the first batch's transaction */
    uv_async_t *wake; /* borrowed: the pipeline's, sent when a batch was added while streaming */
};

struct pipeline;

/* One connection of the store and the batch it stores (with bs_import_plan_connections, several
 * at once; otherwise one). */
typedef struct lane {
    struct pipeline *p;
    bs_conn *conn;
    int batch;     /* the batch it stores, -1 = none */
    int stmt;      /* the statement running in it */
    bool in_order; /* running the batch's in-order statements (its turn came) */
    bool in_tx;
    bool live;                        /* asked the store for a connection, or holds one */
    bool idle;                        /* every batch so far is taken; the next comes from prepare */
    bool turn;                        /* the batch's statements ran; it waits for the batch before it to commit */
    bool wants_setup;                 /* bs_import_plan_stream_first: batch 0 ran, the setup is not given yet */
    int inserted, updated, unchanged; /* the batch's counts, added to the outcome at its commit */
    char count[24];                   /* the rows bs_import_plan_copy_inserted copied (text) */
} lane;

typedef struct pipeline {
    uv_work_t work;
    bs_store *store;
    char *label; /* owned */
    FILE *progress;
    bs_import_prepare_fn prepare;
    bs_import_done_fn done;
    void *arg;
    bs_import_plan plan;
    bs_import_outcome out;
    char *begin_script; /* owned: the plan's BEGIN, the settings and the staging table */
    char *setup_begin;  /* owned: the plan's BEGIN and the settings (the setup's transaction) */
    char *copy_sql;     /* owned */
    lane lanes[BS_IMPORT_MAX_CONNECTIONS];
    int n_lanes;
    int n_live;       /* lanes live */
    int next_batch;   /* the first batch no lane has taken */
    int n_committed;  /* batches committed (in order) */
    int fail_batch;   /* the earliest batch that failed (-1: the setup); NO_FAIL = none */
    bool setup_done;  /* the setup committed (or there is none, or it runs in batch 0's transaction) */
    bool first_setup; /* bs_import_plan_stream_first: the setup was sent in batch 0's transaction */
    uv_async_t wake;  /* prepare added a batch (streaming) */
    bool prepared;    /* prepare has returned (the plan is the loop's alone) */
    bool storing;     /* the store was asked for a connection */
    bool store_ended; /* stored, failed or refused: finish once prepare has returned too */
} pipeline;

#define NO_FAIL INT_MAX

/* ---- the plan ---- */

void bs_import_plan_begin(bs_import_plan *plan, const char *begin_sql) {
    free(plan->begin_sql);
    plan->begin_sql = bs_strdup(begin_sql);
}

void bs_import_plan_commit_per_batch(bs_import_plan *plan, bool per_batch) {
    plan->per_batch = per_batch;
}

static void stmt_set(import_stmt *s, const char *what, bool counts, const char *sql, int n_params,
                     const char *const *params) {
    if (n_params > 4) abort(); /* a programming error */
    s->sql = bs_strdup(sql);
    s->what = what;
    s->counts = counts;
    s->n_params = n_params;
    for (int i = 0; i < n_params; i++) s->params[i] = params[i] ? bs_strdup(params[i]) : NULL;
}

static void stmt_free(import_stmt *s) {
    free(s->sql);
    for (int k = 0; k < s->n_params; k++) free(s->params[k]);
}

void bs_import_plan_stmt(bs_import_plan *plan, const char *what, bool counts, const char *sql, int n_params,
                         const char *const *params) {
    if (plan->n_stmts == BS_IMPORT_MAX_STMTS) abort(); /* a programming error */
    stmt_set(&plan->stmts[plan->n_stmts++], what, counts, sql, n_params, params);
}

void bs_import_plan_stmt_in_order(bs_import_plan *plan, const char *what, const char *sql, int n_params,
                                  const char *const *params) {
    bs_import_plan_stmt(plan, what, false, sql, n_params, params);
    plan->stmts[plan->n_stmts - 1].in_order = true;
}

void bs_import_plan_setup(bs_import_plan *plan, const char *what, const char *sql, int n_params,
                          const char *const *params) {
    uv_mutex_lock(&plan->mu);     /* with bs_import_plan_stream_first the loop may be reading it */
    if (plan->setup.sql) abort(); /* a programming error: one setup statement */
    stmt_set(&plan->setup, what, false, sql, n_params, params);
    bool wake = plan->stream && plan->first;
    uv_mutex_unlock(&plan->mu);
    if (wake) uv_async_send(plan->wake); /* batch 0 may be waiting for it */
}

void bs_import_plan_copy_inserted(bs_import_plan *plan, const char *what, const char *target, bool binary,
                                  bs_import_rows_fn rows, void *rows_arg, const char *count_setting) {
    if (plan->copy_ins.sql) abort(); /* a programming error: one per plan */
    plan->copy_ins.sql = bs_asprintf("COPY %s FROM STDIN%s", target, binary ? " (FORMAT binary)" : "");
    plan->copy_ins.binary = binary;
    plan->copy_ins.rows = rows;
    plan->copy_ins.rows_arg = rows_arg;
    plan->copy_ins.setting = bs_strdup(count_setting);
    plan->copy_ins.what = what;
}

void bs_import_plan_connections(bs_import_plan *plan, int n) {
    plan->connections = n < 1 ? 1 : n > BS_IMPORT_MAX_CONNECTIONS ? BS_IMPORT_MAX_CONNECTIONS : n;
}

int bs_import_plan_records(const bs_import_plan *plan) {
    return plan->n_records; /* prepare's thread is the only writer */
}

void bs_import_plan_expect(bs_import_plan *plan, int n_records) {
    uv_mutex_lock(&plan->mu);
    plan->expected = n_records;
    uv_mutex_unlock(&plan->mu);
}

void bs_import_plan_stream(bs_import_plan *plan) {
    if (!plan->per_batch || plan->n_stmts == 0) abort(); /* a programming error: see the header */
    uv_mutex_lock(&plan->mu);
    plan->stream = true;
    /* with a setup statement the store begins at once: the setup's transaction (and the other
     * connections' acquisition) overlaps the preparation of the first batch */
    bool any = plan->n_batches > 0 || plan->setup.sql;
    uv_mutex_unlock(&plan->mu);
    if (any) uv_async_send(plan->wake);
}

void bs_import_plan_stream_first(bs_import_plan *plan) {
    if (!plan->per_batch || plan->n_stmts == 0 || plan->setup.sql) abort(); /* a programming error */
    uv_mutex_lock(&plan->mu);
    plan->first = true;
    plan->stream = true;
    bool any = plan->n_batches > 0;
    uv_mutex_unlock(&plan->mu);
    if (any) uv_async_send(plan->wake);
}

static int cmp_record_id(const void *a, const void *b) {
    return strcmp(((const record_id *)a)->id, ((const record_id *)b)->id);
}

/* The records' rows for bs_import_plan_copy_inserted, their ids and the order of the ids. */
static void batch_rows(const bs_import_plan *plan, import_batch *b, const json_t *records, size_t from) {
    size_t n = (size_t)b->n_records;
    bs_copy_buf rows = {0};
    bs_copy_put(&rows, "", 0); /* a batch without rows still gets its buffer */
    b->row_off = bs_calloc(n + 1, sizeof *b->row_off);
    b->by_id = bs_calloc(n ? n : 1, sizeof *b->by_id);
    for (size_t i = 0; i < n; i++) {
        const json_t *rec = json_array_get(records, from + i);
        const char *id = json_string_value(json_object_get(rec, "id"));
        if (id && strlen(id) < sizeof b->by_id[i].id) strcpy(b->by_id[i].id, id);
        b->by_id[i].rec = (int)i;
        plan->copy_ins.rows(&rows, rec, plan->copy_ins.rows_arg);
        b->row_off[i + 1] = rows.len;
    }
    qsort(b->by_id, n, sizeof *b->by_id, cmp_record_id);
    b->rows = rows.p;
}

static void plan_add_batch(bs_import_plan *plan, const json_t *records, size_t from, size_t to, size_t json_flags) {
    import_batch nb = {.n_records = (int)(to - from)};
    if (plan->copy_ins.sql) batch_rows(plan, &nb, records, from);
    bs_copy_buf o = {0};
    for (size_t i = from; i < to; i++) {
        const json_t *rec = json_array_get(records, i);
        for (size_t c = 0; c < N_STAGING_COLS; c++) {
            if (c) bs_copy_put(&o, "\t", 1);
            bs_copy_field(&o, json_object_get(rec, staging_cols[c].name), json_flags);
        }
        bs_copy_put(&o, "\n", 1);
    }
    uv_mutex_lock(&plan->mu);
    if (plan->n_batches == plan->cap_batches) {
        plan->cap_batches = plan->cap_batches ? 2 * plan->cap_batches : 16;
        plan->batches = bs_reallocarray(plan->batches, (size_t)plan->cap_batches, sizeof *plan->batches);
    }
    import_batch *b = &plan->batches[plan->n_batches++];
    *b = nb;
    b->copy = o.p;
    b->len = o.len;
    b->n_records = (int)(to - from);
    plan->n_records += b->n_records;
    bool stream = plan->stream;
    uv_mutex_unlock(&plan->mu);
    if (stream) uv_async_send(plan->wake); /* the store may take it now */
}

void bs_import_plan_add_records(bs_import_plan *plan, const json_t *records, size_t json_flags) {
    size_t n = json_array_size(records);
    for (size_t from = 0; from < n; from += BS_IMPORT_BATCH_SIZE)
        plan_add_batch(plan, records, from, from + BS_IMPORT_BATCH_SIZE < n ? from + BS_IMPORT_BATCH_SIZE : n,
                       json_flags);
}

static void plan_free(bs_import_plan *plan) {
    free(plan->begin_sql);
    for (int i = 0; i < plan->n_stmts; i++) stmt_free(&plan->stmts[i]);
    stmt_free(&plan->setup);
    free(plan->copy_ins.sql);
    free(plan->copy_ins.setting);
    for (int i = 0; i < plan->n_batches; i++) {
        import_batch *b = &plan->batches[i];
        free(b->copy);
        free(b->rows);
        free(b->row_off);
        free(b->by_id);
    }
    free(plan->batches);
    uv_mutex_destroy(&plan->mu);
}

/* Batch i (a copy: the array may grow under the pool thread), or NULL members past the end. */
static import_batch batch_at(pipeline *p, int i) {
    import_batch b = {0};
    uv_mutex_lock(&p->plan.mu);
    if (i < p->plan.n_batches) b = p->plan.batches[i];
    uv_mutex_unlock(&p->plan.mu);
    return b;
}

static int batches_now(pipeline *p) {
    uv_mutex_lock(&p->plan.mu);
    int n = p->plan.n_batches;
    uv_mutex_unlock(&p->plan.mu);
    return n;
}

/* bs_import_plan_stream_first: prepare has given the setup. */
static bool setup_given(pipeline *p) {
    uv_mutex_lock(&p->plan.mu);
    bool given = p->plan.setup.sql != NULL;
    uv_mutex_unlock(&p->plan.mu);
    return given;
}

/* The total of the progress lines: the records of the plan, or while prepare runs the number it
 * expects when it said one. */
static int records_total(pipeline *p) {
    uv_mutex_lock(&p->plan.mu);
    int n = !p->prepared && p->plan.expected > p->plan.n_records ? p->plan.expected : p->plan.n_records;
    uv_mutex_unlock(&p->plan.mu);
    return n;
}

/* ---- storing, on the loop ---- */

static void pipeline_closed(uv_handle_t *h) {
    pipeline *p = h->data;
    plan_free(&p->plan);
    free(p->begin_script);
    free(p->setup_begin);
    free(p->copy_sql);
    free(p->label);
    free(p);
}

/* The end: done once, then the pipeline is freed. */
static void report(pipeline *p) {
    p->done(&p->out, p->arg);
    uv_close((uv_handle_t *)&p->wake, pipeline_closed);
}

/* The store is done (or failed, or had nothing to do): report once prepare has returned too (it
 * may still be adding batches after a failure while streaming; prepared() comes back here). */
static void store_finished(pipeline *p) {
    p->store_ended = true;
    if (p->prepared) report(p);
}

/* The lane ends: its connection back to the store (an open transaction is rolled back). The last
 * live lane ends the store's part. */
static void lane_stop(lane *l) {
    pipeline *p = l->p;
    if (l->conn) bs_store_release(l->conn);
    l->conn = NULL;
    l->in_tx = l->idle = l->turn = l->wants_setup = false;
    l->batch = -1;
    if (!l->live) return;
    l->live = false;
    if (--p->n_live == 0) store_finished(p);
}

/* A batch after the one that failed: its transaction is rolled back, not committed. */
static bool abandoned(const lane *l) {
    return l->p->fail_batch != NO_FAIL && l->batch > l->p->fail_batch;
}

/* Lane l failed: the earliest failed batch's error is the outcome's; the lanes storing later
 * batches stop (those waiting now; the others when their statement returns), earlier batches
 * still commit. */
static void lane_fail(lane *l, const char *what, const char *err) {
    pipeline *p = l->p;
    if (l->batch < p->fail_batch) {
        p->fail_batch = l->batch;
        p->out.what = what;
        bs_err_set(&p->out.err, BS_EUNAVAILABLE, NULL, "%s", err ? err : "unknown error");
    }
    lane_stop(l);
    for (int i = 0; i < p->n_lanes; i++) {
        lane *o = &p->lanes[i];
        if (o->live && (o->idle || (o->turn && abandoned(o)))) lane_stop(o);
    }
}

static void progress_line(pipeline *p, const char *verb, int done_records) {
    if (!p->progress) return;
    fprintf(p->progress, "%s: %d/%d plans %s\n", p->label, done_records, records_total(p), verb);
    fflush(p->progress);
}

static void lane_next(lane *l);
static void run_stmt(lane *l);
static void wake_idle(pipeline *p);
static void batch_written(lane *l);

/* After a statement of lane l's batch: true when the batch goes on; false when it failed (err:
 * the lane fails with what) or the import was abandoned meanwhile (the lane stops). */
static bool lane_goes_on(lane *l, const char *err, const char *what) {
    if (err) {
        lane_fail(l, what, err);
        return false;
    }
    if (abandoned(l)) {
        lane_stop(l);
        return false;
    }
    return true;
}

/* bs_import_plan_stream_first: the setup ran in batch 0's transaction; then its COMMIT. */
static void first_setup_ran(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    if (!lane_goes_on(l, err, l->p->plan.setup.what)) return;
    batch_written(l);
}

/* Sends the setup statement in batch 0's transaction (lane l), after the batch's statements. */
static void first_setup_send(lane *l) {
    pipeline *p = l->p;
    p->first_setup = true;
    l->wants_setup = false;
    const import_stmt *s = &p->plan.setup; /* given: prepare no longer writes it */
    bs_conn_query(l->conn, s->sql, s->n_params, (const char *const *)s->params, first_setup_ran, l);
}

/* The batch's turn: the batch before it has committed; its in-order statements, then COMMIT. */
static void lane_turn(lane *l) {
    l->turn = false;
    l->in_order = true;
    l->stmt = 0;
    run_stmt(l);
}

static void committed(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    pipeline *p = l->p;
    if (err) {
        lane_fail(l, "commit failed", err);
        return;
    }
    l->in_tx = false;
    if (p->plan.per_batch) {
        p->out.stored += batch_at(p, l->batch).n_records;
        p->out.inserted += l->inserted;
        p->out.updated += l->updated;
        p->out.unchanged += l->unchanged;
        p->n_committed++;
        progress_line(p, "stored", p->out.stored);
        for (int i = 0; i < p->n_lanes; i++) /* the next batch's turn */
            if (p->lanes[i].turn && p->lanes[i].batch == p->n_committed) lane_turn(&p->lanes[i]);
    } else {
        p->out.stored = p->plan.n_records;
        progress_line(p, "stored", p->out.stored);
    }
    l->batch = -1;
    lane_next(l);
    if (p->plan.first) wake_idle(p); /* the batches after the first may begin now */
}

/* The batch's statements and in-order statements have run: commit it, or (one transaction for the
 * whole import) go on to the next batch in the same transaction. */
static void batch_written(lane *l) {
    pipeline *p = l->p;
    if (p->plan.first && l->batch == 0 && !p->first_setup) { /* the setup first, in this transaction */
        if (setup_given(p))
            first_setup_send(l);
        else
            l->wants_setup = true; /* wake_idle sends it when prepare gives it */
        return;
    }
    if (p->plan.per_batch || l->batch + 1 == p->plan.n_batches) { /* not streaming: the plan is complete */
        if (!p->plan.per_batch) progress_line(p, "written", p->plan.n_records);
        bs_conn_script(l->conn, "COMMIT", committed, l);
        return;
    }
    int written = 0;
    for (int i = 0; i <= l->batch; i++) written += p->plan.batches[i].n_records;
    progress_line(p, "written", written);
    l->batch = -1;
    lane_next(l);
}

/* The batch's statements (not in order) have run: its turn now, or once the batch before it has
 * committed. */
static void stmts_done(lane *l) {
    pipeline *p = l->p;
    if (!p->plan.per_batch || p->n_committed == l->batch)
        lane_turn(l);
    else
        l->turn = true;
}

/* The count of bs_import_plan_copy_inserted is set: the batch's next statement. */
static void count_set(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    if (!lane_goes_on(l, err, l->p->plan.copy_ins.what)) return;
    l->stmt++;
    run_stmt(l);
}

/* The rows of bs_import_plan_copy_inserted are in: their number to its setting. */
static void inserted_copied(const PGresult *res, const char *err, void *arg) {
    lane *l = arg;
    pipeline *p = l->p;
    if (!lane_goes_on(l, err, p->plan.copy_ins.what)) return;
    snprintf(l->count, sizeof l->count, "%s", PQcmdTuples((PGresult *)(uintptr_t)res)); /* libpq takes no const */
    const char *params[2] = {p->plan.copy_ins.setting, l->count};
    bs_conn_query(l->conn, "SELECT set_config($1, $2, true)", 2, params, count_set, l);
}

/* bs_import_plan_copy_inserted, after the counting statement (res: inserted, id per row): the
 * rows of the records it inserted, found by their id, in one COPY in the order of the records'
 * ids (strcmp: for a UUID's lower-case text, the order of its bytes, uuid's order in
 * PostgreSQL); none, and the batch goes on. */
static void copy_inserted(lane *l, const PGresult *res) {
    pipeline *p = l->p;
    import_batch b = batch_at(p, l->batch);
    bs_copy_buf o = {0};
    /* the binary format's header: signature, flags 0, no extension (PostgreSQL docs, COPY,
     * "Binary Format") */
    static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    size_t start = p->plan.copy_ins.binary ? sizeof header : 0;
    if (start) bs_copy_put(&o, header, sizeof header);
    /* the inserted records, marked by their place in by_id; their rows then go in the order of
     * their ids (by_id's), so that an index led by the id (project_steps' (project_id,
     * step_key)) takes them in its own order */
    bool *ins = bs_calloc(b.n_records ? (size_t)b.n_records : 1, sizeof *ins);
    for (int i = 0; PQnfields(res) > 1 && i < PQntuples(res); i++) {
        if (strcmp(PQgetvalue(res, i, 0), "t") != 0) continue;
        record_id key = {.rec = 0};
        snprintf(key.id, sizeof key.id, "%s", PQgetvalue(res, i, 1));
        const record_id *r = bsearch(&key, b.by_id, (size_t)b.n_records, sizeof *b.by_id, cmp_record_id);
        if (r) ins[r - b.by_id] = true;
    }
    for (int k = 0; k < b.n_records; k++) {
        if (!ins[k]) continue;
        int rec = b.by_id[k].rec;
        bs_copy_put(&o, b.rows + b.row_off[rec], b.row_off[rec + 1] - b.row_off[rec]);
    }
    free(ins);
    if (o.len > start && start) bs_copy_put(&o, "\377\377", 2); /* the trailer: a field count of -1 */
    if (o.len == start) {
        free(o.p);
        l->stmt++;
        run_stmt(l);
        return;
    }
    bs_conn_copy(l->conn, p->plan.copy_ins.sql, o.p, o.len, inserted_copied, l);
    free(o.p); /* bs_conn_copy copied it */
}

static void stmt_done(const PGresult *res, const char *err, void *arg) {
    lane *l = arg;
    pipeline *p = l->p;
    const import_stmt *s = &p->plan.stmts[l->stmt];
    if (!lane_goes_on(l, err, s->what)) return;
    if (s->counts) {
        int n = PQntuples(res), ins = 0;
        for (int i = 0; i < n; i++)
            if (strcmp(PQgetvalue(res, i, 0), "t") == 0) ins++;
        int unchanged = batch_at(p, l->batch).n_records - n;
        if (p->plan.per_batch) { /* counted when the batch commits */
            l->inserted += ins;
            l->updated += n - ins;
            l->unchanged += unchanged;
        } else {
            p->out.inserted += ins;
            p->out.updated += n - ins;
            p->out.unchanged += unchanged;
        }
        if (p->plan.copy_ins.sql) {
            copy_inserted(l, res);
            return;
        }
    }
    l->stmt++;
    run_stmt(l);
}

static void run_stmt(lane *l) {
    pipeline *p = l->p;
    while (l->stmt < p->plan.n_stmts && p->plan.stmts[l->stmt].in_order != l->in_order) l->stmt++;
    if (l->stmt == p->plan.n_stmts) {
        if (l->in_order)
            batch_written(l);
        else
            stmts_done(l);
        return;
    }
    const import_stmt *s = &p->plan.stmts[l->stmt];
    /* sent as text, not a named statement: an import's statements are assembled for its
     * source's columns, read the staging table of this transaction (created and dropped with
     * it, so nothing could be prepared before it exists), and run once per 500 records */
    bs_conn_query(l->conn, s->sql, s->n_params, (const char *const *)s->params, stmt_done, l);
}

static void copied(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    if (!lane_goes_on(l, err, "loading the staging table failed")) return;
    l->stmt = 0;
    l->in_order = false;
    run_stmt(l);
}

static void copy_batch(lane *l) {
    import_batch b = batch_at(l->p, l->batch); /* its text stays where it is until the plan is freed */
    bs_conn_copy(l->conn, l->p->copy_sql, b.copy, b.len, copied, l);
}

static void begun(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    if (err) {
        lane_fail(l, "BEGIN failed", err);
        return;
    }
    l->in_tx = true;
    if (abandoned(l)) {
        lane_stop(l);
        return;
    }
    copy_batch(l);
}

static void emptied(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    if (err) {
        lane_fail(l, "emptying the staging table failed", err);
        return;
    }
    copy_batch(l);
}

/* The lane takes the next batch, waits for prepare to add one, or ends (nothing left, or a
 * batch failed). */
static void lane_next(lane *l) {
    pipeline *p = l->p;
    l->idle = false;
    if (p->fail_batch != NO_FAIL) {
        lane_stop(l);
        return;
    }
    if (p->next_batch == batches_now(p)) {
        if (p->prepared)
            lane_stop(l);
        else
            l->idle = true; /* streaming: the next batch wakes us (or prepared() does) */
        return;
    }
    if (p->plan.first && p->next_batch > 0 && p->n_committed == 0) {
        l->idle = true; /* bs_import_plan_stream_first: batch 0's commit wakes us */
        return;
    }
    l->batch = p->next_batch++;
    l->inserted = l->updated = l->unchanged = 0;
    if (!l->in_tx)
        bs_conn_script(l->conn, p->begin_script, begun, l);
    else
        bs_conn_script(l->conn, "TRUNCATE bs_import_staging", emptied, l);
}

static void acquired(bs_conn *conn, const char *err, void *arg);

static void lane_acquire(lane *l) {
    l->live = true;
    l->p->n_live++;
    bs_store_acquire(l->p->store, acquired, l);
}

/* The setup committed: the other lanes ask for their connections, this one takes a batch. */
static void setup_committed(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    pipeline *p = l->p;
    if (err) {
        lane_fail(l, "commit failed", err);
        return;
    }
    p->setup_done = true;
    for (int i = 1; i < p->n_lanes; i++) lane_acquire(&p->lanes[i]);
    lane_next(l);
}

static void setup_ran(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    if (err) {
        lane_fail(l, l->p->plan.setup.what, err);
        return;
    }
    bs_conn_script(l->conn, "COMMIT", setup_committed, l);
}

static void setup_begun(const PGresult *res, const char *err, void *arg) {
    (void)res;
    lane *l = arg;
    if (err) {
        lane_fail(l, "BEGIN failed", err);
        return;
    }
    const import_stmt *s = &l->p->plan.setup;
    bs_conn_query(l->conn, s->sql, s->n_params, (const char *const *)s->params, setup_ran, l);
}

static void acquired(bs_conn *conn, const char *err, void *arg) {
    lane *l = arg;
    pipeline *p = l->p;
    if (err) {
        if (p->n_live > 1) /* another lane stores the batches */
            lane_stop(l);
        else
            lane_fail(l, "database unavailable", err);
        return;
    }
    l->conn = conn;
    if (!p->setup_done) {
        bs_conn_script(conn, p->setup_begin, setup_begun, l);
        return;
    }
    lane_next(l);
}

/* The transaction's opening: the plan's BEGIN; JIT compilation off (the triggers' set-wise
 * statements over a batch's transition tables cost more to compile, ≈ 0.5 s each, than to
 * run); the staging table, dropped at the end of the transaction. */
static void build_sql(pipeline *p) {
    size_t cap = 4096, o = 0;
    char *cols = bs_malloc(cap), *defs = bs_malloc(cap);
    size_t od = 0;
    for (size_t c = 0; c < N_STAGING_COLS; c++) {
        o += (size_t)snprintf(cols + o, cap - o, "%s%s", c ? ", " : "", staging_cols[c].name);
        od +=
            (size_t)snprintf(defs + od, cap - od, "%s%s %s", c ? ", " : "", staging_cols[c].name, staging_cols[c].type);
    }
    const char *begin = p->plan.begin_sql ? p->plan.begin_sql : "BEGIN";
    p->begin_script = bs_asprintf("%s; SET LOCAL jit = off; "
                                  "CREATE TEMP TABLE bs_import_staging (%s) ON COMMIT DROP",
                                  begin, defs);
    p->setup_begin = bs_asprintf("%s; SET LOCAL jit = off", begin);
    p->copy_sql = bs_asprintf("COPY bs_import_staging (%s) FROM STDIN", cols);
    free(cols);
    free(defs);
}

static void prepare_work(uv_work_t *w) {
    pipeline *p = w->data;
    p->out.prepare_rc = p->prepare(&p->plan, p->arg);
}

/* Asks the store for the connections (once): the first alone while there is a setup to run. */
static void start_storing(pipeline *p) {
    p->storing = true;
    build_sql(p);
    p->n_lanes = p->plan.per_batch && p->plan.connections > 1 ? p->plan.connections : 1;
    /* bs_import_plan_stream_first: no setup transaction of its own (batch 0 runs it) */
    p->setup_done = p->plan.first || p->plan.setup.sql == NULL;
    for (int i = 0; i < p->n_lanes; i++) {
        p->lanes[i].p = p;
        p->lanes[i].batch = -1;
    }
    for (int i = 0; i < (p->setup_done ? p->n_lanes : 1); i++) lane_acquire(&p->lanes[i]);
}

/* Lanes waiting for prepare's next batch look again; batch 0 waiting for the setup
 * (bs_import_plan_stream_first) sends it once prepare has given it. */
static void wake_idle(pipeline *p) {
    for (int i = 0; i < p->n_lanes; i++) {
        lane *l = &p->lanes[i];
        if (l->wants_setup && setup_given(p))
            first_setup_send(l);
        else if (l->idle)
            lane_next(l);
    }
}

/* bs_import_plan_stream_first: prepare refused the input after batch 0 was handed over (before it
 * gave the setup, so nothing has committed): every batch is rolled back, the lanes stop. */
static void refuse_stored(pipeline *p) {
    p->fail_batch = -1; /* every batch abandoned; the outcome keeps prepare's refusal, no error */
    for (int i = 0; i < p->n_lanes; i++) {
        lane *l = &p->lanes[i];
        if (l->live && (l->idle || l->turn || l->wants_setup)) lane_stop(l);
    }
}

/* Streaming: prepare added a batch. */
static void woken(uv_async_t *h) {
    pipeline *p = h->data;
    if (p->store_ended || p->prepared) return; /* prepared() takes over */
    if (!p->storing)
        start_storing(p);
    else
        wake_idle(p);
}

static void prepared(uv_work_t *w, int status) {
    pipeline *p = w->data;
    p->prepared = true;
    if (p->store_ended) { /* streaming, and the store failed meanwhile */
        report(p);
        return;
    }
    if (status != 0) {
        if (p->storing) abort(); /* a started pool work item cannot be cancelled */
        p->out.what = "import";
        bs_err_set(&p->out.err, BS_EUNAVAILABLE, NULL, "cancelled");
        report(p);
        return;
    }
    if (p->storing) { /* streaming: store what is left */
        if (p->out.prepare_rc != 0) {
            if (!p->plan.first || p->first_setup) abort(); /* a programming error: see the header */
            refuse_stored(p);                              /* the last lane's stop reports */
            return;
        }
        if (p->plan.first && !setup_given(p)) abort(); /* a programming error: see the header */
        wake_idle(p);
        return;
    }
    if (p->out.prepare_rc != 0 || p->plan.n_batches == 0) {
        report(p);
        return;
    }
    start_storing(p);
}

void bs_import_pipeline_run(uv_loop_t *loop, bs_store *store, const char *label, FILE *progress,
                            bs_import_prepare_fn prepare, bs_import_done_fn done, void *arg) {
    pipeline *p = bs_calloc(1, sizeof *p);
    p->store = store;
    p->label = bs_strdup(label);
    p->progress = progress;
    p->prepare = prepare;
    p->done = done;
    p->arg = arg;
    p->fail_batch = NO_FAIL;
    p->work.data = p;
    uv_mutex_init(&p->plan.mu);
    uv_async_init(loop, &p->wake, woken);
    p->wake.data = p;
    p->plan.wake = &p->wake;
    uv_queue_work(loop, &p->work, prepare_work, prepared);
}
