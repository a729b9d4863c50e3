/*
 * The forecast sweep. See forecast_sweep.h.
 *
 * A pass, all queries on the async store, the CPU work on threads of its own at a lower priority:
 *   1. prune rows of milestones no block uses (SQL_SWEEP_PRUNE; beside it, the compaction of the
 *   dashboards' data version marks, SQL_SWEEP_COMPACT), 2. list every project with blocks
 *   and the marker of its stored rows (SQL_SWEEP_LIST); a project is to compute when its delivery
 *   samples are not cached under its current marker (unless its stored rows say it failed under
 *   that marker), to write when its stored marker is not the current one, 3. per chunk of
 *   SWEEP_CHUNK such projects: the states of those to compute (SQL_SWEEP_STATES), the own
 *   observations of a schema not loaded in this pass, their samples in batches, each on a thread
 *   of its own (nice + cfg.nice), on the loop into the cache, then one SQL_SWEEP_WRITE of the
 *   chunk's rows. A notification or the poll
 *   during a pass asks for another pass after it.
 */
#include "forecast_sweep.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "forecast.h"
#include "forecast_sweep_sql.h"

#define SWEEP_CHUNK 128       /* projects per states query and per write statement */
#define SWEEP_POLL_MS 60000   /* a pass at least every minute (the day moves the data date) */
#define SWEEP_DEFAULT_BATCH 8 /* projects per work item */
#define SWEEP_RETRY_MS 5000   /* after a store error */
#define SWEEP_DEFAULT_NICE 10 /* the batches' threads: background work (forecast_sweep.h) */

typedef struct sw_item {
    char id[37];
    long long stamp;
    bs_day data_date;
    char *cols;          /* owned: the milestones, comma-joined, ascending */
    bool compute, write; /* to compute (cache miss), to write (stored marker differs) */
    bs_delivery *d;      /* a reference: cached or computed; NULL: not (yet) or failed */
    bs_project_state st; /* when has_state */
    bool has_state;
    int schema; /* index into the pass's observations; -1 none */
} sw_item;

typedef struct sw_batch {
    uv_thread_t thread;
    uv_async_t done; /* sent by the thread when the batch is computed */
    bs_forecast_sweep *s;
    int32_t k0, k1; /* items[k0..k1) */
} sw_batch;

struct bs_forecast_sweep {
    uv_loop_t *loop;
    bs_store *store;
    const bs_engine *engine;
    bs_delivery_cache *cache;
    bs_forecast_sweep_config cfg;
    uv_timer_t timer;
    bs_store_sub *sub;
    bool running, again, stopping;
    void (*done)(void *arg);
    void *done_arg;
    /* the pass */
    bs_day today;
    sw_item *items; /* owned; n */
    int32_t n, chunk0, chunk1, next_batch, in_flight;
    int32_t chunk_todo; /* projects of the chunk to compute or write */
    char **schema_keys; /* owned; n_schemas: schemas whose own observations this pass loaded */
    bs_own_obs *own;    /* owned; n_schemas */
    int n_schemas, next_schema;
    bs_forecast_sweep_stats stats;
    char last_error[256];
};

static void pass_next_chunk(bs_forecast_sweep *s);
static void pass_start(bs_forecast_sweep *s);
static void on_timer(uv_timer_t *t);

/* ---- the end of a pass, stopping ---- */

static void items_free(bs_forecast_sweep *s) {
    for (int32_t i = 0; i < s->n; i++) {
        free(s->items[i].cols);
        bs_delivery_unref(s->items[i].d);
        if (s->items[i].has_state) bs_project_state_free(&s->items[i].st);
    }
    free(s->items);
    s->items = NULL;
    s->n = 0;
    for (int k = 0; k < s->n_schemas; k++) {
        free(s->schema_keys[k]);
        bs_own_obs_free(&s->own[k]);
    }
    free(s->schema_keys);
    free(s->own);
    s->schema_keys = NULL;
    s->own = NULL;
    s->n_schemas = s->next_schema = 0;
}

static void timer_closed(uv_handle_t *h) {
    bs_forecast_sweep *s = h->data;
    void (*done)(void *) = s->done;
    void *arg = s->done_arg;
    free(s);
    if (done) done(arg);
}

/* Ends the pass (ok: completed); when stopping, frees the sweep; else another pass when asked for. */
static void pass_end(bs_forecast_sweep *s, bool ok) {
    if (ok) {
        s->stats.passes++;
        s->stats.last_projects = s->n;
    }
    items_free(s);
    s->running = false;
    s->stats.running = false;
    s->stats.pending = 0;
    if (s->stopping) {
        uv_close((uv_handle_t *)&s->timer, timer_closed);
        return;
    }
    if (s->again) pass_start(s);
}

static void pass_fail(bs_forecast_sweep *s, const char *what, const char *err) {
    snprintf(s->last_error, sizeof s->last_error, "%s: %s", what, err);
    fprintf(stderr, "forecast sweep: %s\n", s->last_error);
    /* retry soon: the poll timer is re-armed shorter (a store that is away comes back) */
    if (!s->stopping) uv_timer_start(&s->timer, on_timer, SWEEP_RETRY_MS, (uint64_t)s->cfg.poll_ms);
    pass_end(s, false);
}

/* ---- 3c. the chunk's rows ---- */

static void chunk_written(const PGresult *res, const char *err, void *arg) {
    bs_forecast_sweep *s = arg;
    if (err) return pass_fail(s, "write", err);
    (void)res;
    s->stats.pending -= s->chunk_todo;
    if (s->stopping) return pass_end(s, false);
    s->chunk0 = s->chunk1;
    pass_next_chunk(s);
}

/* The rows of item p: per milestone its planned, P50 and P80 day (the forecast's type-1 quantiles
 * of the valid samples), or failed rows without dates. */
static void item_rows(const sw_item *p, json_t *rows, bs_day *tmp) {
    char date[11];
    const char *c = p->cols;
    for (int32_t k = 0; *c; k++) {
        const char *e = strchr(c, ',');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        json_t *r = json_object();
        json_object_set_new(r, "project_id", json_string(p->id));
        json_object_set_new(r, "step_key", json_stringn(c, len));
        json_object_set_new(r, "stamp", json_integer(p->stamp));
        bs_date_format(p->data_date, date);
        json_object_set_new(r, "data_date", json_string(date));
        json_object_set_new(r, "failed", json_boolean(p->d == NULL));
        if (p->d && k < p->d->n_cols) {
            bs_day p50, p80, planned = p->d->planned[k];
            memcpy(tmp, p->d->samples + (size_t)k * (size_t)p->d->n_samples, (size_t)p->d->n_samples * sizeof *tmp);
            bs_forecast_day_quantiles(tmp, p->d->n_samples, &p50, &p80);
            bs_day v[3] = {planned, p50, p80};
            const char *names[3] = {"planned", "p50", "p80"};
            for (int i = 0; i < 3; i++) {
                if (v[i] == BS_DAY_NONE) continue;
                bs_date_format(v[i], date);
                json_object_set_new(r, names[i], json_string(date));
            }
        }
        json_array_append_new(rows, r);
        c += len + (e ? 1 : 0);
    }
}

/* On the loop, after the chunk's batches: the new samples into the cache, the rows to the store. */
static void chunk_write(bs_forecast_sweep *s) {
    json_t *rows = json_array();
    bs_day *tmp = bs_malloc(((size_t)BS_DELIVERY_SAMPLES + 1) * sizeof *tmp);
    int32_t n_write = 0;
    for (int32_t i = s->chunk0; i < s->chunk1; i++) {
        sw_item *p = &s->items[i];
        if (p->compute) {
            if (p->d) {
                s->stats.computed++;
                bs_delivery_cache_put(s->cache, bs_delivery_ref(p->d));
            } else {
                s->stats.failed++;
            }
        }
        if (!p->write) continue;
        item_rows(p, rows, tmp);
        n_write++;
    }
    free(tmp);
    if (n_write == 0) {
        json_decref(rows);
        return chunk_written(NULL, NULL, s);
    }
    s->stats.written += n_write;
    char *doc = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);
    char samples[16];
    snprintf(samples, sizeof samples, "%d", BS_DELIVERY_SAMPLES);
    const char *params[2] = {doc, samples};
    bs_store_exec(s->store, &SQL_SWEEP_WRITE, params, chunk_written, s);
    free(doc);
}

/* ---- 3b. the chunk's samples on threads of their own ---- */

/* The batch's thread: lowers its own priority (Linux: the nice value is a thread's, setpriority(2)
 * NOTES; raising it needs no privilege), computes, tells the loop. */
static void batch_work(void *arg) {
    sw_batch *b = arg;
    bs_forecast_sweep *s = b->s;
    if (s->cfg.nice > 0) {
        errno = 0;
        int cur = getpriority(PRIO_PROCESS, 0);
        if (errno == 0) (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), cur + s->cfg.nice);
    }
    for (int32_t i = b->k0; i < b->k1; i++) {
        sw_item *p = &s->items[i];
        if (!p->compute || !p->has_state) continue;
        p->d = bs_delivery_compute(s->engine, &p->st, p->schema >= 0 ? &s->own[p->schema] : NULL, p->id, p->stamp,
                                   p->cols, BS_DELIVERY_SAMPLES);
    }
    uv_async_send(&b->done);
}

static void chunk_batches(bs_forecast_sweep *s);

static void batch_closed(uv_handle_t *h) {
    sw_batch *b = h->data;
    bs_forecast_sweep *s = b->s;
    free(b);
    s->in_flight--;
    chunk_batches(s);
}

/* On the loop: the batch's thread has sent its last word; it ends at once. */
static void batch_after(uv_async_t *a) {
    sw_batch *b = a->data;
    uv_thread_join(&b->thread);
    uv_close((uv_handle_t *)&b->done, batch_closed);
}

static void batch_unused(uv_handle_t *h) {
    free(h->data);
}

/* A thread for the batch items[k0..k1); false when none could be made. */
static bool batch_start(bs_forecast_sweep *s, int32_t k0, int32_t k1) {
    sw_batch *b = bs_calloc(1, sizeof *b);
    b->s = s;
    b->k0 = k0;
    b->k1 = k1;
    if (uv_async_init(s->loop, &b->done, batch_after) != 0) {
        free(b);
        return false;
    }
    b->done.data = b;
    if (uv_thread_create(&b->thread, batch_work, b) != 0) {
        uv_close((uv_handle_t *)&b->done, batch_unused);
        return false;
    }
    return true;
}

/* Keeps up to cfg.parallel batches of the chunk computing; when all are done, the write. */
static void chunk_batches(bs_forecast_sweep *s) {
    while (!s->stopping && s->in_flight < s->cfg.parallel && s->next_batch < s->chunk1) {
        int32_t k1 = s->next_batch + s->cfg.batch < s->chunk1 ? s->next_batch + s->cfg.batch : s->chunk1;
        if (!batch_start(s, s->next_batch, k1)) break;
        s->next_batch = k1;
        s->in_flight++;
    }
    if (s->in_flight > 0) return;
    if (s->stopping) return pass_end(s, false);
    if (s->next_batch < s->chunk1) return pass_fail(s, "queue", "could not queue the forecasts");
    chunk_write(s);
}

/* ---- 3a. the chunk's states and observations ---- */

static void load_obs(bs_forecast_sweep *s);

static void obs_loaded(const PGresult *res, const char *err, void *arg) {
    bs_forecast_sweep *s = arg;
    if (err) return pass_fail(s, "observations", err);
    int k = s->next_schema++;
    const bs_engine_schema *es = bs_engine_schema_get(s->engine, s->schema_keys[k]);
    if (!es || bs_own_obs_from_result(res, es->schema, &s->engine->calendar, &s->own[k]) != 0)
        memset(&s->own[k], 0, sizeof s->own[k]); /* no own observations: the reference history alone */
    load_obs(s);
}

static void load_obs(bs_forecast_sweep *s) {
    if (s->stopping) return pass_end(s, false);
    if (s->next_schema >= s->n_schemas) {
        s->next_batch = s->chunk0;
        return chunk_batches(s);
    }
    const char *params[1] = {s->schema_keys[s->next_schema]};
    bs_store_exec(s->store, &BS_STMT_OWN_OBSERVATIONS, params, obs_loaded, s);
}

static int schema_index(bs_forecast_sweep *s, const char *key) {
    for (int k = 0; k < s->n_schemas; k++)
        if (strcmp(s->schema_keys[k], key) == 0) return k;
    s->schema_keys = bs_realloc(s->schema_keys, ((size_t)s->n_schemas + 1) * sizeof *s->schema_keys);
    s->own = bs_realloc(s->own, ((size_t)s->n_schemas + 1) * sizeof *s->own);
    memset(&s->own[s->n_schemas], 0, sizeof *s->own);
    s->schema_keys[s->n_schemas] = bs_strdup(key);
    return s->n_schemas++;
}

static sw_item *chunk_item(bs_forecast_sweep *s, const char *id) {
    for (int32_t i = s->chunk0; i < s->chunk1; i++)
        if (strcmp(s->items[i].id, id) == 0) return &s->items[i];
    return NULL;
}

static void states_loaded(const PGresult *res, const char *err, void *arg) {
    bs_forecast_sweep *s = arg;
    if (err) return pass_fail(s, "states", err);
    for (int r = 0; r < PQntuples(res); r++) {
        sw_item *p = chunk_item(s, PQgetvalue(res, r, 0));
        if (!p || !p->compute || p->has_state) continue;
        json_t *doc = json_loads(PQgetvalue(res, r, 1), 0, NULL);
        if (!doc) continue;
        int rc = bs_project_state_parse(s->engine, doc, s->today, &p->st);
        json_decref(doc);
        if (rc != 0) continue; /* unknown schema: not forecast (stored as failed) */
        p->has_state = true;
        p->schema = schema_index(s, p->st.schema->key);
    }
    load_obs(s);
}

/* The next chunk: the states of its projects to compute (else straight to the write). */
static void pass_next_chunk(bs_forecast_sweep *s) {
    if (s->stopping) return pass_end(s, false);
    /* skip projects with nothing to do */
    while (s->chunk0 < s->n && !s->items[s->chunk0].compute && !s->items[s->chunk0].write) s->chunk0++;
    if (s->chunk0 >= s->n) return pass_end(s, true);
    int32_t end = s->chunk0, todo = 0, n_compute = 0;
    while (end < s->n && todo < SWEEP_CHUNK) {
        sw_item *p = &s->items[end++];
        todo += p->compute || p->write;
        n_compute += p->compute;
    }
    s->chunk1 = end;
    s->chunk_todo = todo;
    if (n_compute == 0) return chunk_write(s);
    char *ids = bs_malloc((size_t)n_compute * 38 + 3), *q = ids;
    *q++ = '{';
    for (int32_t i = s->chunk0, k = 0; i < s->chunk1; i++)
        if (s->items[i].compute) q += sprintf(q, "%s%s", k++ ? "," : "", s->items[i].id);
    *q++ = '}';
    *q = 0;
    const char *params[1] = {ids};
    bs_store_exec(s->store, &SQL_SWEEP_STATES, params, states_loaded, s);
    free(ids);
}

/* ---- 2. the projects ---- */

/* Fills p from SQL_SWEEP_LIST row r and decides what to do with it. */
static void list_row(bs_forecast_sweep *s, const PGresult *res, int r, sw_item *p) {
    snprintf(p->id, sizeof p->id, "%s", PQgetvalue(res, r, 0));
    p->stamp = atoll(PQgetvalue(res, r, 1));
    bs_day pd = BS_DAY_NONE;
    if (!PQgetisnull(res, r, 2)) bs_date_parse(PQgetvalue(res, r, 2), &pd);
    p->data_date = bs_data_date(pd, s->today);
    p->cols = bs_strdup(PQgetvalue(res, r, 3));
    p->schema = -1;
    bs_day stored_dd = BS_DAY_NONE;
    if (!PQgetisnull(res, r, 5)) bs_date_parse(PQgetvalue(res, r, 5), &stored_dd);
    bool stored_current = !PQgetisnull(res, r, 4) && atoll(PQgetvalue(res, r, 4)) == p->stamp &&
                          stored_dd == p->data_date && strcmp(PQgetvalue(res, r, 6), p->cols) == 0;
    bool stored_failed = stored_current && PQgetvalue(res, r, 7)[0] == 't';
    const bs_delivery *d = bs_delivery_cache_get(s->cache, p->id, p->stamp, p->data_date, p->cols, BS_DELIVERY_SAMPLES);
    if (d) p->d = bs_delivery_ref(d);
    p->compute = !d && !stored_failed;
    p->write = !stored_current;
}

static void listed(const PGresult *res, const char *err, void *arg) {
    bs_forecast_sweep *s = arg;
    if (err) return pass_fail(s, "list", err);
    if (s->stopping) return pass_end(s, false);
    s->n = PQntuples(res);
    s->items = bs_calloc((size_t)s->n + 1, sizeof *s->items);
    s->stats.pending = 0;
    for (int32_t i = 0; i < s->n; i++) {
        list_row(s, res, i, &s->items[i]);
        s->stats.pending += s->items[i].compute || s->items[i].write;
    }
    s->chunk0 = 0;
    pass_next_chunk(s);
}

/* ---- 1. the start of a pass ---- */

static void pruned(const PGresult *res, const char *err, void *arg) {
    bs_forecast_sweep *s = arg;
    if (err) return pass_fail(s, "prune", err);
    (void)res;
    if (s->stopping) return pass_end(s, false);
    bs_store_exec(s->store, &SQL_SWEEP_LIST, NULL, listed, s);
}

static void marks_compacted(const PGresult *res, const char *err, void *arg) {
    (void)res;
    (void)arg;
    if (err) fprintf(stderr, "forecast sweep: compaction of the dashboards' marks: %s\n", err);
}

static void pass_start(bs_forecast_sweep *s) {
    if (s->stopping) return;
    if (s->running) {
        s->again = true; /* after this pass */
        return;
    }
    s->running = true;
    s->again = false;
    s->stats.running = true;
    s->today = s->cfg.today(s->cfg.today_arg);
    bs_store_exec(s->store, &SQL_SWEEP_PRUNE, NULL, pruned, s);
    /* beside the pass, not part of it (no argument: may answer after the sweep is freed) */
    bs_store_exec(s->store, &SQL_SWEEP_COMPACT, NULL, marks_compacted, NULL);
}

static void on_notify(const char *channel, const char *payload, void *arg) {
    (void)channel;
    (void)payload; /* NULL after a (re)LISTEN: changes may have been missed; a pass looks at all */
    pass_start(arg);
}

static void on_timer(uv_timer_t *t) {
    pass_start(t->data);
}

bs_forecast_sweep *bs_forecast_sweep_start(uv_loop_t *loop, bs_store *store, const bs_engine *e,
                                           bs_delivery_cache *cache, const bs_forecast_sweep_config *cfg) {
    bs_forecast_sweep *s = bs_calloc(1, sizeof *s);
    s->loop = loop;
    s->store = store;
    s->engine = e;
    s->cache = cache;
    s->cfg = *cfg;
    if (s->cfg.poll_ms <= 0) s->cfg.poll_ms = SWEEP_POLL_MS;
    if (s->cfg.batch <= 0) s->cfg.batch = SWEEP_DEFAULT_BATCH;
    if (s->cfg.parallel <= 0) s->cfg.parallel = 1;
    if (s->cfg.nice == 0) s->cfg.nice = SWEEP_DEFAULT_NICE;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    uv_timer_start(&s->timer, on_timer, (uint64_t)s->cfg.poll_ms, (uint64_t)s->cfg.poll_ms);
    /* woken by NOTIFY bs_forecast_sweep (migration 0038); the first (re)LISTEN calls with NULL */
    s->sub = bs_store_listen(store, "bs_forecast_sweep", on_notify, s);
    pass_start(s);
    return s;
}

void bs_forecast_sweep_stop(bs_forecast_sweep *s, void (*done)(void *arg), void *arg) {
    if (!s) {
        if (done) done(arg);
        return;
    }
    s->stopping = true;
    s->done = done;
    s->done_arg = arg;
    bs_store_unlisten(s->sub);
    s->sub = NULL;
    uv_timer_stop(&s->timer);
    /* a pass in flight ends at its next callback (pass_end closes the timer then) */
    if (!s->running) uv_close((uv_handle_t *)&s->timer, timer_closed);
}

void bs_forecast_sweep_get_stats(const bs_forecast_sweep *s, bs_forecast_sweep_stats *out) {
    *out = s->stats;
    out->last_error = s->last_error;
}

/* ---- the wake-up after a write's commit (issue 17 item 1; forecast_sweep.h) ---- */

#define SWEEP_WAKE_DEBOUNCE_MS 100

struct bs_sweep_waker {
    uv_loop_t *loop;
    bs_store *store;
    bs_forecast_sweep *sweep; /* not owned; NULL: none in this process */
    uv_timer_t timer;
    int debounce_ms;
    bool pending;  /* a NOTIFY is due when the timer fires */
    int in_flight; /* NOTIFYs sent, not yet answered */
    bool closing, timer_closed;
    void (*done)(void *arg);
    void *done_arg;
};

static void waker_maybe_free(bs_sweep_waker *w) {
    if (!w->closing || !w->timer_closed || w->in_flight > 0) return;
    void (*done)(void *) = w->done;
    void *arg = w->done_arg;
    free(w);
    if (done) done(arg);
}

static void waker_notified(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_sweep_waker *w = arg;
    w->in_flight--;
    /* a lost NOTIFY: the other nodes' sweeps find the change at their next poll (one minute) */
    if (err) fprintf(stderr, "forecast sweep: NOTIFY after a write: %s\n", err);
    waker_maybe_free(w);
}

static void waker_send(bs_sweep_waker *w) {
    w->pending = false;
    w->in_flight++;
    /* a transaction of its own with no xid: no WAL flush holds the notification lock */
    bs_store_query(w->store, "NOTIFY bs_forecast_sweep", 0, NULL, waker_notified, w);
}

static void waker_fire(uv_timer_t *t) {
    bs_sweep_waker *w = t->data;
    if (w->pending) waker_send(w);
}

static void waker_timer_closed(uv_handle_t *h) {
    bs_sweep_waker *w = h->data;
    w->timer_closed = true;
    waker_maybe_free(w);
}

bs_sweep_waker *bs_sweep_waker_new(uv_loop_t *loop, bs_store *store, int debounce_ms) {
    bs_sweep_waker *w = bs_calloc(1, sizeof *w);
    w->loop = loop;
    w->store = store;
    w->debounce_ms = debounce_ms > 0 ? debounce_ms : SWEEP_WAKE_DEBOUNCE_MS;
    uv_timer_init(loop, &w->timer);
    w->timer.data = w;
    return w;
}

void bs_sweep_waker_set_sweep(bs_sweep_waker *w, bs_forecast_sweep *s) {
    w->sweep = s;
}

void bs_sweep_waker_wake(void *arg) {
    bs_sweep_waker *w = arg;
    if (!w || w->closing) return;
    if (w->sweep) pass_start(w->sweep); /* this node's sweep: directly, no SQL */
    if (w->pending) return;             /* coalesced into the NOTIFY the timer sends */
    w->pending = true;
    uv_timer_start(&w->timer, waker_fire, (uint64_t)w->debounce_ms, 0);
}

void bs_sweep_waker_close(bs_sweep_waker *w, void (*done)(void *arg), void *arg) {
    if (!w) {
        if (done) done(arg);
        return;
    }
    w->closing = true;
    w->sweep = NULL;
    w->done = done;
    w->done_arg = arg;
    uv_timer_stop(&w->timer);
    if (w->pending) waker_send(w);
    uv_close((uv_handle_t *)&w->timer, waker_timer_closed);
}
