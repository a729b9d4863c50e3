/*
 * The durable queue on the loop. See queue.h; the decisions are queue_policy.c's.
 */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

enum { ITEM_WAITING, ITEM_PERFORMING, ITEM_RECORDING, ITEM_BACKLOG };
#define N_TIMERS 6

struct bs_queue {
    uv_loop_t *loop;
    bs_store *store;
    const bs_queue_ops *ops;
    void *self;
    bs_queue_config cfg; /* extra: owned copies */
    char **extra;
    bs_store_sub *sub;
    bs_queue_item *items, *items_tail; /* every held item, in claim order */
    bs_queue_counts counts;
    double avg_ms;    /* observed mean duration of a perform (0: none yet) */
    bool maybe_due;   /* something may be due: claim when the policy allows */
    int claim_asked;  /* rows the claim in flight asked for */
    unsigned due_gen; /* the latest next-due question: only its answer arms the timer */
    bool beating;     /* a heartbeat is in flight */
    bool pumping;     /* pump is on the stack (an operation may finish synchronously) */
    bool idle_called;
    int backlog_failures; /* consecutive failed writes of the backlog */
    int db_ops;           /* statements in flight that point at the queue */
    uv_timer_t poll_timer, due_timer, beat_timer, backlog_timer, stop_timer, batch_timer;
    struct batch *batch; /* outcomes waiting for the batch statement (at most BS_QUEUE_BATCH_MS) */
    int open_handles;
    unsigned rng;
    void (*done)(void *);
    void *done_arg;
};

static void pump(bs_queue *q);
static void maybe_end(bs_queue *q);
static void release_waiting(bs_queue *q);

static void log_err(const bs_queue *q, const char *what, const char *err) {
    fprintf(stderr, "%s: %s: %s\n", q->ops->name, what, err);
}

/* ---------------------------------------------------------------- parameters */

static void fmt_now(const bs_queue *q, char *buf, size_t len) {
    int64_t ms = bs_clock_now_ms(q->cfg.clock);
    snprintf(buf, len, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

static void fmt_lease(const bs_queue *q, char *buf, size_t len) {
    int64_t ms = q->cfg.policy.lease_ms;
    snprintf(buf, len, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

/* '{id,id,…}' of the held items in states (a bit mask of 1 << state); owned by the caller. */
static char *ids_literal(const bs_queue *q, unsigned states) {
    size_t cap = 3, len = 0;
    for (const bs_queue_item *it = q->items; it; it = it->next)
        if (states & (1u << it->state)) cap += strlen(it->id) + 1;
    char *s = bs_malloc(cap);
    s[len++] = '{';
    for (const bs_queue_item *it = q->items; it; it = it->next)
        if (states & (1u << it->state)) len += (size_t)snprintf(s + len, cap - len, "%s%s", len > 1 ? "," : "", it->id);
    s[len++] = '}';
    s[len] = 0;
    return s;
}

#define ALL_STATES 0xfu

/* The parameters of a statement: its n_own own ones followed by the extra ones (p holds at
 * least BS_QUEUE_MAX_PARAMS). */
#define BS_QUEUE_MAX_PARAMS 16
static void with_extra(const bs_queue *q, int n_own, const char *const *own, const char **p) {
    int n = 0;
    for (int i = 0; i < n_own && n < BS_QUEUE_MAX_PARAMS; i++) p[n++] = own[i];
    for (int i = 0; i < q->cfg.n_extra && n < BS_QUEUE_MAX_PARAMS; i++) p[n++] = q->extra[i];
}

/* Runs stmt with the statement's own parameters followed by the extra ones; arg is the queue. */
static void query(bs_queue *q, const bs_stmt *stmt, int n_own, const char *const *own, bs_store_cb cb) {
    const char *p[BS_QUEUE_MAX_PARAMS];
    with_extra(q, n_own, own, p);
    q->db_ops++;
    bs_store_exec(q->store, stmt, p, cb, q);
}

/* ---------------------------------------------------------------- items */

static void item_unlink(bs_queue *q, bs_queue_item *it) {
    bs_queue_item **pp = &q->items, *prev = NULL;
    while (*pp && *pp != it) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp) return;
    *pp = it->next;
    if (q->items_tail == it) q->items_tail = prev;
}

static int *state_count(bs_queue *q, int state) {
    switch (state) {
    case ITEM_WAITING: return &q->counts.waiting;
    case ITEM_PERFORMING: return &q->counts.performing;
    case ITEM_RECORDING: return &q->counts.recording;
    default: return &q->counts.backlog;
    }
}

static void item_set_state(bs_queue *q, bs_queue_item *it, int state) {
    (*state_count(q, it->state))--;
    it->state = state;
    (*state_count(q, state))++;
}

static void item_free(bs_queue *q, bs_queue_item *it) {
    (*state_count(q, it->state))--;
    item_unlink(q, it);
    q->ops->free_item(q->self, it);
    for (int i = 0; it->params && i < it->stmt->n_params; i++) free(it->params[i]);
    free(it->params);
    free(it);
}

/* ---------------------------------------------------------------- outcomes */

static void record(bs_queue_item *it);

static void backlog_fired(uv_timer_t *t) {
    bs_queue *q = t->data;
    bs_queue_item *it = q->items;
    while (it) {
        bs_queue_item *next = it->next; /* read first: a store that is down answers at once */
        if (it->state == ITEM_BACKLOG) record(it);
        it = next;
    }
}

static void arm_due(bs_queue *q);

/* An outcome (or a batch of them) was written. */
static void outcome_written(bs_queue *q) {
    q->backlog_failures = 0;
    /* the last outcome is in while nothing seemed due: a retry may have moved a due time
     * (once: look one more time now, and end when nothing is due) */
    if (!q->maybe_due && !q->counts.stopping && bs_queue_held(&q->counts) == 0) {
        if (q->cfg.once)
            q->maybe_due = true;
        else
            arm_due(q);
    }
}

/* An outcome could not be written: it is kept (it is in state backlog) and written again
 * after a backoff; nothing new is sent meanwhile. */
static void outcome_kept(bs_queue *q, const char *err) {
    if (!uv_is_active((uv_handle_t *)&q->backlog_timer)) {
        log_err(q, "recording an outcome (kept, written again when possible)", err);
        q->backlog_failures++;
        int64_t ms = bs_queue_backlog_retry_ms(q->backlog_failures, bs_queue_jitter(q));
        uv_timer_start(&q->backlog_timer, backlog_fired, (uint64_t)ms, 0);
    }
}

static void recorded(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_queue_item *it = arg;
    bs_queue *q = it->q;
    q->db_ops--;
    if (!err) {
        item_free(q, it);
        outcome_written(q);
    } else {
        item_set_state(q, it, ITEM_BACKLOG);
        outcome_kept(q, err);
    }
    pump(q);
}

static void record(bs_queue_item *it) {
    bs_queue *q = it->q;
    item_set_state(q, it, ITEM_RECORDING);
    q->db_ops++;
    bs_store_exec(q->store, it->stmt, (const char *const *)it->params, recorded, it);
}

/* Keeps the outcome's statement with the item (the backlog writes it from there). */
static void outcome_keep(bs_queue_item *it, const bs_stmt *stmt, const char *const *params) {
    bs_queue *q = it->q;
    q->avg_ms = bs_queue_observe(q->avg_ms, (int64_t)uv_now(q->loop) - it->started_ms);
    it->stmt = stmt;
    it->params = bs_calloc((size_t)stmt->n_params + 1, sizeof *it->params);
    for (int i = 0; i < stmt->n_params; i++) it->params[i] = params[i] ? bs_strdup(params[i]) : NULL;
}

static void batch_add(bs_queue_item *it);

void bs_queue_finish(bs_queue_item *it, const bs_stmt *stmt, const char *const *params) {
    outcome_keep(it, stmt, params);
    if (it->in_beat) { /* after the heartbeat that names it: it must not extend a lease this ends */
        item_set_state(it->q, it, ITEM_RECORDING);
        it->deferred = 1;
        return;
    }
    record(it);
}

/* Outcomes written together by the operation's batch statement. */
typedef struct batch {
    bs_queue *q;
    int n;
    bs_queue_item *items[BS_QUEUE_BATCH_MAX];
} batch;

static void batch_written(const PGresult *res, const char *err, void *arg) {
    (void)res;
    batch *b = arg;
    bs_queue *q = b->q;
    q->db_ops--;
    for (int i = 0; i < b->n; i++) {
        if (!err)
            item_free(q, b->items[i]);
        else
            item_set_state(q, b->items[i], ITEM_BACKLOG); /* kept: written one by one later */
    }
    free(b);
    if (!err)
        outcome_written(q);
    else
        outcome_kept(q, err);
    pump(q);
}

static void batch_flush(bs_queue *q) {
    uv_timer_stop(&q->batch_timer);
    batch *b = q->batch;
    if (!b) return;
    q->batch = NULL;
    size_t cap = 3, len = 0;
    for (int i = 0; i < b->n; i++) cap += strlen(b->items[i]->id) + 1;
    char *ids = bs_malloc(cap);
    ids[len++] = '{';
    for (int i = 0; i < b->n; i++) len += (size_t)snprintf(ids + len, cap - len, "%s%s", i ? "," : "", b->items[i]->id);
    ids[len++] = '}';
    ids[len] = 0;
    char now[32];
    fmt_now(q, now, sizeof now);
    const char *p[2] = {ids, now};
    q->db_ops++;
    bs_store_exec(q->store, q->ops->batch, p, batch_written, b);
    free(ids);
}

static void batch_fired(uv_timer_t *t) {
    batch_flush(t->data);
}

static void batch_add(bs_queue_item *it) {
    bs_queue *q = it->q;
    if (!q->batch) {
        q->batch = bs_calloc(1, sizeof *q->batch);
        q->batch->q = q;
    }
    q->batch->items[q->batch->n++] = it;
    if (q->batch->n == BS_QUEUE_BATCH_MAX)
        batch_flush(q);
    else if (!uv_is_active((uv_handle_t *)&q->batch_timer))
        uv_timer_start(&q->batch_timer, batch_fired, BS_QUEUE_BATCH_MS, 0);
}

/* Keeps the outcome like bs_queue_finish, and writes it with the batch statement. */
void bs_queue_finish_batched(bs_queue_item *it, const bs_stmt *stmt, const char *const *params) {
    bs_queue *q = it->q;
    if (!q->ops->batch) {
        bs_queue_finish(it, stmt, params);
        return;
    }
    outcome_keep(it, stmt, params);
    item_set_state(q, it, ITEM_RECORDING);
    if (it->in_beat)
        it->deferred = 2; /* after the heartbeat that names it */
    else
        batch_add(it);
    /* its parallel slot is free now, not only once the batch is written: the next waiting
     * item starts at once (waiting for the batch stalled every slot for BS_QUEUE_BATCH_MS
     * plus a commit, issue 17 item 6) */
    pump(q);
}

/* ---------------------------------------------------------------- claiming */

static void due_fired(uv_timer_t *t) {
    bs_queue *q = t->data;
    q->maybe_due = true;
    pump(q);
}

typedef struct due_ask {
    bs_queue *q;
    unsigned gen;
} due_ask;

static void got_next_due(const PGresult *res, const char *err, void *arg) {
    due_ask *a = arg;
    bs_queue *q = a->q;
    bool stale = a->gen != q->due_gen; /* a later question was asked: its answer counts */
    free(a);
    q->db_ops--;
    if (stale && !q->counts.stopping) return;
    if (q->counts.stopping) {
        maybe_end(q);
        return;
    }
    if (err) {
        log_err(q, "reading the next due time", err); /* the safety poll looks again */
        return;
    }
    if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
        uv_timer_stop(&q->due_timer);
        return;
    }
    int64_t delay = atoll(PQgetvalue(res, 0, 0)) - bs_clock_now_ms(q->cfg.clock);
    /* a due row that another node holds must not spin the timer */
    if (delay < 100) delay = 100;
    if (delay > q->cfg.poll_ms) delay = q->cfg.poll_ms;
    uv_timer_start(&q->due_timer, due_fired, (uint64_t)delay, 0);
}

/* Arms the timer at the next due time the operation reports. */
static void arm_due(bs_queue *q) {
    if (!q->ops->next_due || q->counts.stopping) return;
    char now[32];
    fmt_now(q, now, sizeof now);
    char *held = ids_literal(q, ALL_STATES);
    const char *p[2] = {now, held};
    due_ask *a = bs_calloc(1, sizeof *a);
    a->q = q;
    a->gen = ++q->due_gen;
    const char *pp[BS_QUEUE_MAX_PARAMS];
    with_extra(q, 2, p, pp);
    q->db_ops++;
    bs_store_exec(q->store, q->ops->next_due, pp, got_next_due, a);
    free(held);
}

static void claimed(const PGresult *res, const char *err, void *arg) {
    bs_queue *q = arg;
    q->db_ops--;
    q->counts.claiming = false;
    if (err) {
        if (!q->counts.stopping) log_err(q, "claiming", err); /* the poll, a NOTIFY or the timer try again */
        q->maybe_due = false;
        pump(q);
        return;
    }
    int rows = PQntuples(res);
    for (int r = 0; r < rows; r++) {
        bs_queue_item *it = bs_calloc(1, sizeof *it);
        it->q = q;
        it->attempt = 1;
        it->state = ITEM_WAITING;
        q->counts.waiting++;
        if (q->items_tail)
            q->items_tail->next = it;
        else
            q->items = it;
        q->items_tail = it;
        q->ops->decode(q->self, res, r, it);
    }
    if (q->counts.stopping) { /* claimed while stop began: give them back */
        release_waiting(q);
        maybe_end(q);
        return;
    }
    if (rows < q->claim_asked) { /* nothing more is due now: sleep until the next due time */
        q->maybe_due = false;
        if (!q->cfg.once) arm_due(q);
        if (rows == 0 && q->cfg.once && !q->idle_called && bs_queue_held(&q->counts) == 0) {
            q->idle_called = true;
            if (q->cfg.idle) q->cfg.idle(q->cfg.idle_arg);
        }
    }
    pump(q);
}

static void claim(bs_queue *q, int n) {
    char now[32], lease[32], lim[16];
    fmt_now(q, now, sizeof now);
    fmt_lease(q, lease, sizeof lease);
    snprintf(lim, sizeof lim, "%d", n);
    char *held = ids_literal(q, ALL_STATES);
    const char *p[4] = {now, lease, held, lim};
    q->counts.claiming = true;
    q->claim_asked = n;
    query(q, q->ops->claim, 4, p, claimed);
    free(held);
}

/* ---------------------------------------------------------------- heartbeat */

static void beaten(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_queue *q = arg;
    q->db_ops--;
    q->beating = false;
    if (err && q->counts.backlog == 0) log_err(q, "extending leases", err);
    /* outcomes that waited for this heartbeat are written now, after it */
    bs_queue_item *it = q->items;
    while (it) {
        bs_queue_item *next = it->next; /* read first: a store that is down answers at once */
        it->in_beat = false;
        int d = it->deferred;
        it->deferred = 0;
        if (d == 1)
            record(it);
        else if (d == 2)
            batch_add(it);
        it = next;
    }
    if (q->counts.stopping) maybe_end(q);
}

/* Extends the leases of the rows this process holds (not those whose outcome is being
 * written: that statement ends the lease, and a later heartbeat must not undo it). */
static void beat_fired(uv_timer_t *t) {
    bs_queue *q = t->data;
    if (q->beating || q->counts.waiting + q->counts.performing + q->counts.backlog == 0) return;
    char now[32], lease[32];
    fmt_now(q, now, sizeof now);
    fmt_lease(q, lease, sizeof lease);
    unsigned states = (1u << ITEM_WAITING) | (1u << ITEM_PERFORMING) | (1u << ITEM_BACKLOG);
    char *ids = ids_literal(q, states);
    for (bs_queue_item *it = q->items; it; it = it->next)
        if (states & (1u << it->state)) it->in_beat = true;
    const char *p[3] = {now, lease, ids};
    q->beating = true;
    query(q, q->ops->heartbeat, 3, p, beaten);
    free(ids);
}

/* ---------------------------------------------------------------- the state machine */

/* Hands waiting rows to the operation while the policy allows, then claims what it allows. */
static void pump(bs_queue *q) {
    const bs_queue_policy *pol = &q->cfg.policy;
    if (q->pumping) return; /* the pump on the stack goes on from where it is */
    q->pumping = true;
    while (bs_queue_may_perform(pol, &q->counts)) {
        bs_queue_item *it = q->items;
        while (it && it->state != ITEM_WAITING) it = it->next;
        if (!it) break;
        item_set_state(q, it, ITEM_PERFORMING);
        it->started_ms = (int64_t)uv_now(q->loop);
        q->ops->perform(q->self, it);
    }
    q->pumping = false;
    if (q->counts.stopping) {
        maybe_end(q);
        return;
    }
    if (!q->maybe_due) return;
    int n = bs_queue_claim_size(pol, &q->counts, q->avg_ms);
    if (n > 0) claim(q, n);
}

static void poll_fired(uv_timer_t *t) {
    bs_queue *q = t->data;
    if (q->ops->on_poll) q->ops->on_poll(q->self, q);
    q->maybe_due = true;
    pump(q);
}

static void on_notify(const char *channel, const char *payload, void *arg) {
    (void)channel;
    (void)payload; /* NULL after a (re)LISTEN: notifications may have been missed, look too */
    bs_queue_kick(arg);
}

void bs_queue_kick(bs_queue *q) {
    if (q->counts.stopping) return;
    q->maybe_due = true;
    pump(q);
}

double bs_queue_jitter(bs_queue *q) {
    q->rng = q->rng * 1103515245u + 12345u;
    return (double)((q->rng >> 8) & 0xffffff) / 16777216.0;
}

bool bs_queue_running(const bs_queue *q, char *why, size_t len) {
    const bs_queue_counts *c = &q->counts;
    if (c->stopping) {
        snprintf(why, len, "stopping");
        return false;
    }
    snprintf(why, len, "running: %d waiting, %d performing, %d outcome(s) kept until the database takes them",
             c->waiting, c->performing, c->backlog);
    return true;
}

const bs_queue_policy *bs_queue_policy_of(const bs_queue *q) {
    return &q->cfg.policy;
}

const char *bs_queue_ops_check(const bs_queue_ops *ops, int n_extra) {
    const struct {
        const bs_stmt *stmt;
        int n_own, n_extra;
    } want[] = {{ops->claim, 4, n_extra},
                {ops->heartbeat, 3, n_extra},
                {ops->release, 2, n_extra},
                {ops->next_due, 2, n_extra},
                {ops->batch, 2, 0}};
    if (!ops->claim) return "claim";
    if (!ops->heartbeat) return "heartbeat";
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const bs_stmt *st = want[i].stmt;
        if (st && (st->n_params != want[i].n_own + want[i].n_extra || st->n_params > BS_QUEUE_MAX_PARAMS))
            return st->name;
    }
    return NULL;
}

bs_queue *bs_queue_start(uv_loop_t *loop, bs_store *store, const bs_queue_ops *ops, void *self,
                         const bs_queue_config *cfg) {
    const char *bad = bs_queue_ops_check(ops, cfg->n_extra > 4 ? 4 : cfg->n_extra);
    if (bad) { /* a programming error: the store would read parameters that are not there */
        fprintf(stderr, "%s: statement %s does not take the queue's parameters\n", ops->name, bad);
        abort();
    }
    bs_queue *q = bs_calloc(1, sizeof *q);
    q->loop = loop;
    q->store = store;
    q->ops = ops;
    q->self = self;
    q->cfg = *cfg;
    bs_queue_policy *p = &q->cfg.policy;
    if (p->max_parallel < 1) p->max_parallel = 1;
    if (p->max_claim < 1) p->max_claim = 200;
    if (p->lease_ms <= 0) p->lease_ms = 30000;
    if (p->retry_base_ms <= 0) p->retry_base_ms = 30000;
    if (p->retry_cap_ms <= 0) p->retry_cap_ms = 3600000;
    if (q->cfg.poll_ms <= 0) q->cfg.poll_ms = 30000;
    if (q->cfg.stop_deadline_ms <= 0) q->cfg.stop_deadline_ms = 10000;
    if (q->cfg.n_extra > 4) q->cfg.n_extra = 4;
    q->extra = bs_calloc((size_t)q->cfg.n_extra + 1, sizeof *q->extra);
    for (int i = 0; i < q->cfg.n_extra; i++) q->extra[i] = cfg->extra[i] ? bs_strdup(cfg->extra[i]) : NULL;
    q->cfg.extra = NULL;
    q->rng = (unsigned)(uintptr_t)q ^ (unsigned)uv_hrtime();
    uv_timer_t *timers[N_TIMERS] = {&q->poll_timer,    &q->due_timer,  &q->beat_timer,
                                    &q->backlog_timer, &q->stop_timer, &q->batch_timer};
    for (int i = 0; i < N_TIMERS; i++) {
        uv_timer_init(loop, timers[i]);
        timers[i]->data = q;
    }
    q->open_handles = N_TIMERS;
    uv_timer_start(&q->poll_timer, poll_fired, (uint64_t)q->cfg.poll_ms, (uint64_t)q->cfg.poll_ms);
    uint64_t beat = (uint64_t)bs_queue_heartbeat_ms(p);
    uv_timer_start(&q->beat_timer, beat_fired, beat, beat);
    if (ops->channel && !q->cfg.once) q->sub = bs_store_listen(store, ops->channel, on_notify, q);
    q->maybe_due = true;
    pump(q);
    return q;
}

/* ---------------------------------------------------------------- stop */

static void handle_closed(uv_handle_t *h) {
    bs_queue *q = h->data;
    if (--q->open_handles > 0) return;
    void (*done)(void *) = q->done;
    void *arg = q->done_arg;
    for (int i = 0; i < q->cfg.n_extra; i++) free(q->extra[i]);
    free(q->extra);
    free(q);
    if (done) done(arg);
}

static void maybe_end(bs_queue *q) {
    if (!q->counts.stopping || !bs_queue_drained(&q->counts) || q->db_ops > 0 || q->beating) return;
    if (uv_is_closing((uv_handle_t *)&q->poll_timer)) return;
    uv_timer_t *timers[N_TIMERS] = {&q->poll_timer,    &q->due_timer,  &q->beat_timer,
                                    &q->backlog_timer, &q->stop_timer, &q->batch_timer};
    for (int i = 0; i < N_TIMERS; i++) {
        uv_timer_stop(timers[i]);
        uv_close((uv_handle_t *)timers[i], handle_closed);
    }
}

/* The stop deadline passed with outcomes that still cannot be written: give them up (their
 * leases run out and the rows are performed again, the same message for a mail). */
static void stop_deadline(uv_timer_t *t) {
    bs_queue *q = t->data;
    bs_queue_item *it = q->items;
    while (it) {
        bs_queue_item *next = it->next;
        if (it->state == ITEM_BACKLOG) {
            fprintf(stderr, "%s: stopping: the outcome of %s could not be recorded (done again after its lease)\n",
                    q->ops->name, it->id);
            item_free(q, it);
        }
        it = next;
    }
    uv_timer_stop(&q->backlog_timer);
    maybe_end(q);
}

static void released(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_queue *q = arg;
    q->db_ops--;
    if (err) log_err(q, "giving back unstarted rows (their leases run out)", err);
    maybe_end(q);
}

/* Gives back the rows claimed but not begun (stopping): due at once for any node. */
static void release_waiting(bs_queue *q) {
    if (q->counts.waiting == 0) return;
    char *ids = ids_literal(q, 1u << ITEM_WAITING);
    bs_queue_item *it = q->items;
    while (it) {
        bs_queue_item *next = it->next;
        if (it->state == ITEM_WAITING) item_free(q, it);
        it = next;
    }
    if (q->ops->release) {
        char now[32];
        fmt_now(q, now, sizeof now);
        const char *p[2] = {now, ids};
        query(q, q->ops->release, 2, p, released);
    }
    free(ids);
}

void bs_queue_stop(bs_queue *q, void (*done)(void *), void *arg) {
    q->done = done;
    q->done_arg = arg;
    q->counts.stopping = true;
    bs_store_unlisten(q->sub);
    q->sub = NULL;
    uv_timer_stop(&q->poll_timer);
    uv_timer_stop(&q->due_timer);
    release_waiting(q);
    uv_timer_start(&q->stop_timer, stop_deadline, (uint64_t)q->cfg.stop_deadline_ms, 0);
    maybe_end(q);
}
