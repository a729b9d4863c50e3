/*
 * The one import pipeline of project records. See import_pipeline.h.
 */
#include "import_pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "copy_text.h"

/* The staging table's columns, in COPY order, with the projects table's types. */
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
    {"geometry", "jsonb"},
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
} import_batch;

typedef struct import_stmt {
    char *sql; /* owned */
    const char *what;
    bool counts;
    int n_params;
    char *params[4]; /* owned (NULL = SQL NULL) */
} import_stmt;

struct bs_import_plan {
    char *begin_sql; /* owned; NULL = "BEGIN" */
    bool per_batch;
    import_stmt stmts[BS_IMPORT_MAX_STMTS];
    int n_stmts;
    /* batches, n_batches and n_records are written by prepare (pool thread) and, once streaming
     * is on, read by the store (loop) at the same time: both under mu */
    uv_mutex_t mu;
    import_batch *batches; /* owned */
    int n_batches, cap_batches;
    int n_records;
    int expected;     /* records expected in all (bs_import_plan_expect), 0 = unknown */
    bool stream;      /* batches may be stored while prepare runs (bs_import_plan_stream) */
    uv_async_t *wake; /* borrowed: the pipeline's, sent when a batch was added while streaming */
};

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
    char *copy_sql;     /* owned */
    bs_conn *conn;
    int batch; /* the batch being stored */
    int stmt;  /* the statement running in it */
    bool in_tx;
    uv_async_t wake;  /* prepare added a batch (streaming) */
    bool prepared;    /* prepare has returned (the plan is the loop's alone) */
    bool storing;     /* the store was asked for a connection */
    bool waiting;     /* every batch so far is stored; the next comes from prepare */
    bool store_ended; /* stored, failed or refused: finish once prepare has returned too */
} pipeline;

/* ---- the plan ---- */

void bs_import_plan_begin(bs_import_plan *plan, const char *begin_sql) {
    free(plan->begin_sql);
    plan->begin_sql = bs_strdup(begin_sql);
}

void bs_import_plan_commit_per_batch(bs_import_plan *plan, bool per_batch) {
    plan->per_batch = per_batch;
}

void bs_import_plan_stmt(bs_import_plan *plan, const char *what, bool counts, const char *sql, int n_params,
                         const char *const *params) {
    if (plan->n_stmts == BS_IMPORT_MAX_STMTS || n_params > 4) abort(); /* a programming error */
    import_stmt *s = &plan->stmts[plan->n_stmts++];
    s->sql = bs_strdup(sql);
    s->what = what;
    s->counts = counts;
    s->n_params = n_params;
    for (int i = 0; i < n_params; i++) s->params[i] = params[i] ? bs_strdup(params[i]) : NULL;
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
    bool any = plan->n_batches > 0;
    uv_mutex_unlock(&plan->mu);
    if (any) uv_async_send(plan->wake);
}

static void plan_add_batch(bs_import_plan *plan, const json_t *records, size_t from, size_t to, size_t json_flags) {
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
    for (int i = 0; i < plan->n_stmts; i++) {
        free(plan->stmts[i].sql);
        for (int k = 0; k < plan->stmts[i].n_params; k++) free(plan->stmts[i].params[k]);
    }
    for (int i = 0; i < plan->n_batches; i++) free(plan->batches[i].copy);
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
    free(p->copy_sql);
    free(p->label);
    free(p);
}

/* The store is done (or failed, or had nothing to do): release the connection and, once prepare
 * has returned too (it may still be adding batches after a failure while streaming), report. */
static void finish(pipeline *p) {
    if (p->conn) bs_store_release(p->conn); /* rolls an open transaction back */
    p->conn = NULL;
    p->store_ended = true;
    if (!p->prepared) return; /* prepared() comes back here */
    p->done(&p->out, p->arg);
    uv_close((uv_handle_t *)&p->wake, pipeline_closed);
}

static void fail(pipeline *p, const char *what, const char *err) {
    p->out.what = what;
    bs_err_set(&p->out.err, BS_EUNAVAILABLE, NULL, "%s", err ? err : "unknown error");
    finish(p);
}

static void progress_line(pipeline *p, const char *verb, int done_records) {
    if (!p->progress) return;
    fprintf(p->progress, "%s: %d/%d plans %s\n", p->label, done_records, records_total(p), verb);
    fflush(p->progress);
}

static void run_batch(pipeline *p);
static void run_stmt(pipeline *p);

static void committed(const PGresult *res, const char *err, void *arg) {
    (void)res;
    pipeline *p = arg;
    if (err) {
        fail(p, "commit failed", err);
        return;
    }
    p->in_tx = false;
    if (p->plan.per_batch) {
        p->out.stored += batch_at(p, p->batch).n_records;
        progress_line(p, "stored", p->out.stored);
        p->batch++;
        run_batch(p);
        return;
    }
    p->out.stored = p->plan.n_records;
    progress_line(p, "stored", p->out.stored);
    finish(p);
}

/* The batch's statements have run: commit it, or go on to the next batch in the same
 * transaction (the staging table emptied first). */
static void batch_written(pipeline *p) {
    if (p->plan.per_batch || p->batch + 1 == p->plan.n_batches) { /* not streaming: the plan is complete */
        if (!p->plan.per_batch) progress_line(p, "written", p->plan.n_records);
        bs_conn_script(p->conn, "COMMIT", committed, p);
        return;
    }
    int written = 0;
    for (int i = 0; i <= p->batch; i++) written += p->plan.batches[i].n_records;
    progress_line(p, "written", written);
    p->batch++;
    run_batch(p);
}

static void stmt_done(const PGresult *res, const char *err, void *arg) {
    pipeline *p = arg;
    const import_stmt *s = &p->plan.stmts[p->stmt];
    if (err) {
        fail(p, s->what, err);
        return;
    }
    if (s->counts) {
        int n = PQntuples(res), ins = 0;
        for (int i = 0; i < n; i++)
            if (strcmp(PQgetvalue(res, i, 0), "t") == 0) ins++;
        p->out.inserted += ins;
        p->out.updated += n - ins;
        p->out.unchanged += batch_at(p, p->batch).n_records - n;
    }
    p->stmt++;
    run_stmt(p);
}

static void run_stmt(pipeline *p) {
    if (p->stmt == p->plan.n_stmts) {
        batch_written(p);
        return;
    }
    const import_stmt *s = &p->plan.stmts[p->stmt];
    /* sent as text, not a named statement: an import's statements are assembled for its
     * source's columns, read the staging table of this transaction (created and dropped with
     * it, so nothing could be prepared before it exists), and run once per 500 records */
    bs_conn_query(p->conn, s->sql, s->n_params, (const char *const *)s->params, stmt_done, p);
}

static void copied(const PGresult *res, const char *err, void *arg) {
    (void)res;
    pipeline *p = arg;
    if (err) {
        fail(p, "loading the staging table failed", err);
        return;
    }
    p->stmt = 0;
    run_stmt(p);
}

static void copy_batch(pipeline *p) {
    import_batch b = batch_at(p, p->batch); /* its text stays where it is until the plan is freed */
    bs_conn_copy(p->conn, p->copy_sql, b.copy, b.len, copied, p);
}

static void begun(const PGresult *res, const char *err, void *arg) {
    (void)res;
    pipeline *p = arg;
    if (err) {
        fail(p, "BEGIN failed", err);
        return;
    }
    p->in_tx = true;
    copy_batch(p);
}

static void emptied(const PGresult *res, const char *err, void *arg) {
    (void)res;
    pipeline *p = arg;
    if (err) {
        fail(p, "emptying the staging table failed", err);
        return;
    }
    copy_batch(p);
}

static void run_batch(pipeline *p) {
    if (p->batch == batches_now(p)) {
        if (p->prepared)
            finish(p);
        else
            p->waiting = true; /* streaming: the next batch wakes us (or prepared() does) */
        return;
    }
    if (!p->in_tx)
        bs_conn_script(p->conn, p->begin_script, begun, p);
    else
        bs_conn_script(p->conn, "TRUNCATE bs_import_staging", emptied, p);
}

static void acquired(bs_conn *conn, const char *err, void *arg) {
    pipeline *p = arg;
    if (err) {
        fail(p, "database unavailable", err);
        return;
    }
    p->conn = conn;
    run_batch(p);
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
    p->begin_script = bs_asprintf("%s; SET LOCAL jit = off; "
                                  "CREATE TEMP TABLE bs_import_staging (%s) ON COMMIT DROP",
                                  p->plan.begin_sql ? p->plan.begin_sql : "BEGIN", defs);
    p->copy_sql = bs_asprintf("COPY bs_import_staging (%s) FROM STDIN", cols);
    free(cols);
    free(defs);
}

static void prepare_work(uv_work_t *w) {
    pipeline *p = w->data;
    p->out.prepare_rc = p->prepare(&p->plan, p->arg);
}

/* Asks the store for the connection (once). */
static void start_storing(pipeline *p) {
    p->storing = true;
    build_sql(p);
    bs_store_acquire(p->store, acquired, p);
}

/* Streaming: prepare added a batch. */
static void woken(uv_async_t *h) {
    pipeline *p = h->data;
    if (p->store_ended || p->prepared) return; /* prepared() takes over */
    if (!p->storing) {
        start_storing(p);
    } else if (p->waiting && p->batch < batches_now(p)) {
        p->waiting = false;
        run_batch(p);
    }
}

static void prepared(uv_work_t *w, int status) {
    pipeline *p = w->data;
    p->prepared = true;
    if (p->store_ended) { /* streaming, and the store failed meanwhile */
        finish(p);
        return;
    }
    if (status != 0) {
        if (p->storing) abort(); /* a started pool work item cannot be cancelled */
        fail(p, "import", "cancelled");
        return;
    }
    if (p->storing) { /* streaming: store what is left */
        if (p->waiting) {
            p->waiting = false;
            run_batch(p);
        }
        return;
    }
    if (p->out.prepare_rc != 0 || p->plan.n_batches == 0) {
        finish(p);
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
    p->work.data = p;
    uv_mutex_init(&p->plan.mu);
    uv_async_init(loop, &p->wake, woken);
    p->wake.data = p;
    p->plan.wake = &p->wake;
    uv_queue_work(loop, &p->work, prepare_work, prepared);
}
