/*
 * Adapter outbox worker. See outbox.h and docs/adapters.md.
 */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "outbox_sql.h"
#include "queue.h"

struct bs_outbox {
    uv_loop_t *loop;
    bs_store *store;
    const bs_adapter_ops *ops;
    void *self;
    char *adapter;
    bs_queue_config qc;
    int reconcile_interval_s;
    char *gemeenten; /* PostgreSQL text[] literal, NULL = every project */
    bs_queue *queue; /* started once the subscription is written */
    int db_ops;      /* queries in flight that point at this struct */
    bool once, stopping;
    void (*idle)(void *);
    void *idle_arg;
    void (*done)(void *);
    void *done_arg;
};

typedef struct job_priv {
    bs_outbox *w;
    bs_queue_item *qi;
    char *ids; /* '{1,2,…}' */
} job_priv;

static void maybe_freed(bs_outbox *w);

static void log_err(bs_outbox *w, const char *what, const char *err) {
    fprintf(stderr, "adapters[%s]: %s: %s\n", w->adapter, what, err);
}

/* ---------------------------------------------------------------- the adapter outbox on the queue */

/* The statements of the queue are SQL_ADAPTER_* in outbox_sql.h (engine/runtime/queue.h
 * gives each its parameters; the adapter is the extra one). A row of the queue is a project
 * with due events: its adapter_projects row is leased (lease_until, the database's clock; the
 * queue's $1 is not used) and the due events count an attempt; the project's events form one
 * job. */

static void job_free(void *self, bs_queue_item *qi) {
    (void)self;
    bs_outbox_job *job = qi->data;
    if (!job) return;
    job_priv *p = job->worker_private;
    free(p->ids);
    free(p);
    free(job->remote_url);
    json_decref(job->remote_state);
    json_decref(job->events);
    free(job);
}

void bs_outbox_job_done(bs_outbox_job *job, bs_outbox_rc rc, const char *error, const char *remote_url) {
    job_priv *p = job->worker_private;
    bs_outbox *w = p->w;
    char next[32] = "";
    const char *status = rc == BS_OUTBOX_OK ? "done" : "failed";
    if (rc == BS_OUTBOX_RETRY) {
        const bs_queue_policy *pol = bs_queue_policy_of(w->queue);
        snprintf(next, sizeof next, "%lld",
                 (long long)bs_queue_backoff_ms(job->attempt, pol->retry_base_ms, pol->retry_cap_ms,
                                                bs_queue_jitter(w->queue)));
    }
    char *state = bs_json_dumps(job->remote_state, JSON_COMPACT);
    char err_line[1024];
    snprintf(err_line, sizeof err_line, "%s", error ? error : "");
    const char *params[9] = {w->adapter,
                             job->project_id,
                             p->ids,
                             status,
                             rc == BS_OUTBOX_OK ? NULL : err_line,
                             rc == BS_OUTBOX_RETRY ? next : NULL,
                             remote_url,
                             state,
                             job->reconcile ? "true" : "false"};
    if (rc != BS_OUTBOX_OK)
        fprintf(stderr, "adapters[%s]: project %s: %s%s\n", w->adapter, job->project_id, err_line,
                rc == BS_OUTBOX_RETRY ? " (will retry)" : " (given up)");
    bs_queue_finish(p->qi, &SQL_ADAPTER_OUTCOME, params);
    free(state);
}

/* A claimed project (columns: project_id, remote_url, remote_state, events) as a job. */
static void job_decode(void *self, const PGresult *res, int r, bs_queue_item *qi) {
    bs_outbox *w = self;
    bs_outbox_job *job = bs_calloc(1, sizeof *job);
    job_priv *p = bs_calloc(1, sizeof *p);
    p->w = w;
    p->qi = qi;
    job->worker_private = p;
    qi->data = job;
    snprintf(job->project_id, sizeof job->project_id, "%s", PQgetvalue(res, r, 0));
    snprintf(qi->id, sizeof qi->id, "%s", job->project_id);
    if (!PQgetisnull(res, r, 1)) job->remote_url = bs_strdup(PQgetvalue(res, r, 1));
    job->remote_state = json_loads(PQgetvalue(res, r, 2), 0, NULL);
    if (!json_is_object(job->remote_state)) {
        json_decref(job->remote_state);
        job->remote_state = json_object();
    }
    job->events = json_loads(PQgetvalue(res, r, 3), 0, NULL);
    if (!json_is_array(job->events)) {
        json_decref(job->events);
        job->events = json_array();
    }
    size_t cap = 2 + json_array_size(job->events) * 21, len = 0;
    p->ids = bs_malloc(cap + 1);
    p->ids[len++] = '{';
    size_t i;
    json_t *e;
    json_array_foreach(job->events, i, e) {
        len += (size_t)snprintf(p->ids + len, cap + 1 - len, "%s%lld", i ? "," : "",
                                (long long)json_integer_value(json_object_get(e, "id")));
        int a = (int)json_integer_value(json_object_get(e, "attempts"));
        if (a > job->attempt) job->attempt = a;
        const char *kind = json_string_value(json_object_get(e, "kind"));
        if (kind && strcmp(kind, "reconcile") == 0) job->reconcile = true;
    }
    p->ids[len++] = '}';
    p->ids[len] = 0;
    qi->attempt = job->attempt;
}

static void job_perform(void *self, bs_queue_item *qi) {
    bs_outbox *w = self;
    w->ops->sync(w->self, qi->data);
}

/* ---------------------------------------------------------------- reconcile poll */

static void reconcile_polled(const PGresult *res, const char *err, void *arg) {
    bs_outbox *w = arg;
    w->db_ops--;
    if (w->stopping) {
        maybe_freed(w);
        return;
    }
    if (err)
        log_err(w, "reconcile poll", err);
    else if (atoi(PQgetvalue(res, 0, 0)) > 0 && w->queue)
        bs_queue_kick(w->queue);
}

/* On every safety poll of the queue: reconcile linked projects not verified for
 * reconcile_interval_s (at most 100 per tick). */
static void reconcile_poll(void *self, bs_queue *q) {
    (void)q;
    bs_outbox *w = self;
    if (w->stopping || w->reconcile_interval_s <= 0 || w->once) return;
    char iv[16];
    snprintf(iv, sizeof iv, "%d", w->reconcile_interval_s);
    const char *p[2] = {w->adapter, iv};
    w->db_ops++;
    bs_store_exec(w->store, &SQL_ADAPTER_RECONCILE_POLL, p, reconcile_polled, w);
}

static const bs_queue_ops JOB_OPS = {.name = "adapters",
                                     .channel = "bs_adapters",
                                     .claim = &SQL_ADAPTER_CLAIM,
                                     .heartbeat = &SQL_ADAPTER_HEARTBEAT,
                                     .release = &SQL_ADAPTER_RELEASE,
                                     .next_due = &SQL_ADAPTER_NEXT_DUE,
                                     .decode = job_decode,
                                     .perform = job_perform,
                                     .free_item = job_free,
                                     .on_poll = reconcile_poll};

/* ---------------------------------------------------------------- start / stop */

static void subscribed(const PGresult *res, const char *err, void *arg) {
    bs_outbox *w = arg;
    w->db_ops--;
    if (w->stopping) {
        maybe_freed(w);
        return;
    }
    if (err) {
        log_err(w, "writing the subscription", err);
        if (w->once && w->idle) w->idle(w->idle_arg);
        return;
    }
    long n = atol(PQgetvalue(res, 0, 0));
    if (n > 0) fprintf(stderr, "adapters[%s]: subscribed: %ld existing project(s) queued\n", w->adapter, n);
    const char *extra[1] = {w->adapter};
    w->qc.extra = extra;
    w->qc.n_extra = 1;
    w->queue = bs_queue_start(w->loop, w->store, &JOB_OPS, w, &w->qc);
    w->qc.extra = NULL;
}

/* The gemeenten as a text[] literal with every element quoted ("…", \ and " escaped). */
static char *gemeenten_literal(const char *const *g, int n) {
    size_t cap = 3;
    for (int i = 0; i < n; i++) cap += 2 * strlen(g[i]) + 3;
    char *s = bs_malloc(cap);
    size_t len = 0;
    s[len++] = '{';
    for (int i = 0; i < n; i++) {
        if (i) s[len++] = ',';
        s[len++] = '"';
        for (const char *c = g[i]; *c; c++) {
            if (*c == '"' || *c == '\\') s[len++] = '\\';
            s[len++] = *c;
        }
        s[len++] = '"';
    }
    s[len++] = '}';
    s[len] = 0;
    return s;
}

bs_outbox *bs_outbox_start(uv_loop_t *loop, bs_store *store, const bs_adapter_ops *ops, void *self,
                           const bs_outbox_config *cfg, bool once, void (*idle)(void *), void *idle_arg) {
    bs_outbox *w = bs_calloc(1, sizeof *w);
    w->loop = loop;
    w->store = store;
    w->ops = ops;
    w->self = self;
    w->adapter = bs_strdup(ops->name);
    w->qc.policy.lease_ms = (int64_t)(cfg->lease_s > 0 ? cfg->lease_s : 30) * 1000;
    if (cfg->lease_ms > 0) w->qc.policy.lease_ms = cfg->lease_ms;
    w->qc.policy.max_parallel = cfg->max_parallel > 0 ? cfg->max_parallel : 4;
    w->qc.policy.max_claim = w->qc.policy.max_parallel * 4;
    w->qc.policy.retry_base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : 30000;
    w->qc.policy.retry_cap_ms = cfg->retry_max_ms > 0 ? cfg->retry_max_ms : 3600000;
    w->qc.poll_ms = cfg->poll_ms > 0 ? cfg->poll_ms : 5000;
    w->qc.once = once;
    w->qc.idle = idle;
    w->qc.idle_arg = idle_arg;
    w->reconcile_interval_s = cfg->reconcile_interval_s;
    w->once = once;
    w->idle = idle;
    w->idle_arg = idle_arg;
    if (cfg->gemeenten && cfg->n_gemeenten > 0) w->gemeenten = gemeenten_literal(cfg->gemeenten, cfg->n_gemeenten);
    const char *p[2] = {w->adapter, w->gemeenten};
    w->db_ops++;
    bs_store_exec(store, &SQL_ADAPTER_SUBSCRIBE, p, subscribed, w);
    return w;
}

void bs_outbox_kick(bs_outbox *w) {
    if (w->queue) bs_queue_kick(w->queue);
}

bs_store *bs_outbox_store(bs_outbox *w) {
    return w->store;
}

static void maybe_freed(bs_outbox *w) {
    if (!w->stopping || w->queue || w->db_ops > 0) return;
    void (*done)(void *) = w->done;
    void *arg = w->done_arg;
    free(w->adapter);
    free(w->gemeenten);
    free(w);
    if (done) done(arg);
}

static void queue_stopped(void *arg) {
    bs_outbox *w = arg;
    w->queue = NULL;
    maybe_freed(w);
}

bool bs_outbox_running(const bs_outbox *w, char *why, size_t len) {
    if (w->stopping || !w->queue) {
        snprintf(why, len, "%s",
                 w->stopping     ? "stopping"
                 : w->db_ops > 0 ? "starting: writing its subscription"
                                 : "not running: its subscription was not written at start (the database was "
                                   "unavailable); restart the server");
        return false;
    }
    return bs_queue_running(w->queue, why, len);
}

void bs_outbox_stop(bs_outbox *w, void (*done)(void *), void *arg) {
    w->stopping = true;
    w->done = done;
    w->done_arg = arg;
    if (w->queue)
        bs_queue_stop(w->queue, queue_stopped, w);
    else
        maybe_freed(w);
}

/* ---------------------------------------------------------------- state for the API */

typedef struct q_ctx {
    bs_outbox_count_cb count_cb;
    bs_outbox_json_cb json_cb;
    void *arg;
    char adapter[64];
    bool with_project;
} q_ctx;

static void count_done(const PGresult *res, const char *err, void *arg) {
    q_ctx *q = arg;
    q->count_cb(err ? 0 : atoi(PQgetvalue(res, 0, 0)), err, q->arg);
    free(q);
}

void bs_outbox_schedule_reconcile(bs_store *store, const char *adapter, const char *remote_url, bs_outbox_count_cb cb,
                                  void *arg) {
    q_ctx *q = bs_calloc(1, sizeof *q);
    q->count_cb = cb;
    q->arg = arg;
    const char *p[2] = {adapter, remote_url};
    bs_store_exec(store, &SQL_ADAPTER_RECONCILE_SCHEDULE, p, count_done, q);
}

void bs_outbox_retry(bs_store *store, const char *adapter, long long event_id, bs_outbox_count_cb cb, void *arg) {
    q_ctx *q = bs_calloc(1, sizeof *q);
    q->count_cb = cb;
    q->arg = arg;
    char id[32];
    snprintf(id, sizeof id, "%lld", event_id);
    const char *p[2] = {adapter, id};
    bs_store_exec(store, &SQL_ADAPTER_RETRY, p, count_done, q);
}

static void state_done(const PGresult *res, const char *err, void *arg) {
    q_ctx *q = arg;
    if (err) {
        q->json_cb(NULL, err, q->arg);
        free(q);
        return;
    }
    json_error_t je;
    json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, &je);
    if (!doc)
        q->json_cb(NULL, je.text, q->arg);
    else
        q->json_cb(doc, NULL, q->arg);
    free(q);
}

void bs_outbox_state_json(bs_store *store, const char *adapter, const char *project_id, int limit, bs_outbox_json_cb cb,
                          void *arg) {
    q_ctx *q = bs_calloc(1, sizeof *q);
    q->json_cb = cb;
    q->arg = arg;
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit > 0 ? limit : 100);
    const char *p[3] = {adapter, project_id, lim};
    bs_store_exec(store, &SQL_ADAPTER_STATE, p, state_done, q);
}
