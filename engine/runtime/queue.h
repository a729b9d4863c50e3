/*
 * Bouwstroom runtime: the durable queue — claim with a lease, perform, record the result —
 * over a table of PostgreSQL rows, on the libuv loop (docs/architecture.md "The durable
 * queue"). The notifier's mail outbox (notifier/worker.c) and the adapter outbox
 * (adapters/outbox.c) are tables of operations (bs_queue_ops) on it.
 *
 * What the queue guarantees, whatever the operation:
 * - a claim takes no more than the parallelism finishes within half a lease at the observed
 *   rate (queue_policy.h), and never a row this process still holds (the held ids are a
 *   parameter of the claim);
 * - short leases kept alive by a heartbeat (every lease / 3) while a row is held, so a dead
 *   node's rows are another node's within one lease;
 * - an outcome is recorded by the operation's statement; when that fails (the database is
 *   away) the outcome is kept in memory and written again with backoff, and nothing new is
 *   claimed or performed until every kept outcome is recorded;
 * - stopping: no new claims or performs; rows claimed but not begun are released at once;
 *   performs in flight finish and their outcomes are recorded, then the queue ends (after
 *   stop_deadline_ms an outcome that still cannot be recorded is given up, logged: its row's
 *   lease runs out and it is performed again);
 * - woken by NOTIFY on the operation's channel (one LISTEN connection of the store for all
 *   subscribers, bs_store_listen), by a timer at the next due time the operation reports, and
 *   by a safety poll.
 */
#ifndef BS_QUEUE_H
#define BS_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "clock.h"
#include "queue_policy.h"
#include "store.h"

typedef struct bs_queue bs_queue;

/* One claimed row. The operation reads id and attempt and owns data; the rest is the
 * queue's. Valid from decode until the queue frees it after its outcome was recorded (or
 * given up), which calls free_item first. */
typedef struct bs_queue_item {
    char id[64];                /* the row's key as text (a UUID, a bigint): an element of the ids arrays */
    int attempt;                /* attempts including this one (1 = the first) */
    void *data;                 /* the operation's state for this row (set by decode, freed by free_item) */
    bs_queue *q;                /* queue-private from here */
    struct bs_queue_item *next; /* every held item, in claim order */
    int state;                  /* waiting, performing, recording, backlog */
    int64_t started_ms;         /* loop time when perform began */
    bool in_beat;               /* named by the heartbeat in flight */
    int deferred;               /* outcome waits for that heartbeat: 1 alone, 2 batched */
    const bs_stmt *stmt;        /* the outcome's statement (static) */
    char **params;              /* owned copies of its stmt->n_params parameters */
} bs_queue_item;

/* The operations of one queue. Its statements are named statements (bs_stmt, store.h:
 * prepared once per connection), declared in the operation's *_sql.h; they get text
 * parameters: ids are PostgreSQL array literals of the held items' ids ('{…}'); now is the
 * queue's clock in seconds since the epoch with milliseconds ("1764000000.123"), lease in
 * seconds ("30.000"); the extra parameters of bs_queue_config follow each statement's own, so
 * a statement's n_params is its own count below plus n_extra (bs_queue_ops_check). */
typedef struct bs_queue_ops {
    const char *name;    /* for log lines: "notifier", "adapters[zgw]" */
    const char *channel; /* NOTIFY channel that wakes the queue; NULL: timer and poll only */
    /* claims up to $4 due rows that are not in $3, leasing them until $1 + $2:
     * $1 now, $2 lease, $3 held ids, $4 limit, $5… extra; returns the rows decode reads */
    const bs_stmt *claim;
    /* extends the leases of the rows in $3 that are still this claim's to $1 + $2:
     * $1 now, $2 lease, $3 ids, $4… extra */
    const bs_stmt *heartbeat;
    /* gives back rows claimed but never performed (at stop), due at once, their attempt not
     * counted: $1 now, $2 ids, $3… extra; NULL: their leases run out */
    const bs_stmt *release;
    /* the next due time of a row not in $2, epoch milliseconds in one row and column (NULL
     * when nothing waits): $1 now, $2 held ids, $3… extra; NULL: the safety poll alone */
    const bs_stmt *next_due;
    /* fills it->id, it->attempt and it->data from row of a claim's result */
    void (*decode)(void *self, const PGresult *res, int row, bs_queue_item *it);
    /* performs it; ends, now or later on the loop, in exactly one bs_queue_finish(it, …) */
    void (*perform)(void *self, bs_queue_item *it);
    /* frees it->data (may be NULL) */
    void (*free_item)(void *self, bs_queue_item *it);
    /* optional: the common outcome for many rows at once (bs_queue_finish_batched):
     * $1 ids, $2 now (no extra parameters) */
    const bs_stmt *batch;
    /* optional: runs on every safety poll tick (e.g. an operation's own periodic work) */
    void (*on_poll)(void *self, bs_queue *q);
} bs_queue_ops;

typedef struct bs_queue_config {
    bs_queue_policy policy;   /* parallelism, claim bound, lease, perform retry backoff */
    int poll_ms;              /* safety poll (default 30000) */
    int stop_deadline_ms;     /* stop gives up unrecordable outcomes after this (default 10000) */
    const char *const *extra; /* parameters after each statement's own (copied) */
    int n_extra;              /* at most 4 */
    const bs_clock *clock;    /* now of the statements (NULL: the system clock) */
    bool once;                /* call idle once nothing is due and nothing is held */
    void (*idle)(void *arg);  /* with once */
    void *idle_arg;
} bs_queue_config;

/* Checks that every statement of ops takes its own parameters (above) plus n_extra.
 * Returns NULL when they do, else the name of the first statement that does not. Pure. */
const char *bs_queue_ops_check(const bs_queue_ops *ops, int n_extra);

/* Starts a queue of ops on loop and store (which must outlive it) and claims what is due.
 * self is passed to every operation. The strings of cfg are copied. Returns the queue
 * (never NULL: allocation aborts, alloc.h). A statement of ops whose parameter count does not
 * fit cfg->n_extra (bs_queue_ops_check) is a programming error: the process aborts, naming
 * it. */
bs_queue *bs_queue_start(uv_loop_t *loop, bs_store *store, const bs_queue_ops *ops, void *self,
                         const bs_queue_config *cfg);

/* Something may be due now (a NOTIFY of another channel, an API call): claim. */
void bs_queue_kick(bs_queue *q);

/* Reports the outcome of it: the named statement stmt (static storage: it is kept until
 * recorded) with its stmt->n_params text parameters (copied; NULL = SQL NULL) writes it —
 * e.g. sent, failed, or a retry at a backoff (bs_queue_backoff_ms). Recorded now, or kept and
 * written again until it is (see above). The queue frees it afterwards: the caller must not
 * touch it again. */
void bs_queue_finish(bs_queue_item *it, const bs_stmt *stmt, const char *const *params);

/* Outcomes written together: at most this many per batch statement, at most this long after
 * the first of them (milliseconds). */
#define BS_QUEUE_BATCH_MAX 100
#define BS_QUEUE_BATCH_MS 20

/* Like bs_queue_finish, but the outcome is written together with others by the operation's
 * batch statement ($1 the ids of the batch, $2 now), within BS_QUEUE_BATCH_MS or when
 * BS_QUEUE_BATCH_MAX are waiting — for the common outcome of a busy queue (a 250). When the
 * batch cannot be written, each outcome is kept and later written by its own stmt/params,
 * as with bs_queue_finish. Without a batch statement it is bs_queue_finish. */
void bs_queue_finish_batched(bs_queue_item *it, const bs_stmt *stmt, const char *const *params);

/* A uniform random number in [0, 1) for the jitter of a backoff. */
double bs_queue_jitter(bs_queue *q);

/* Whether the queue runs (false once stop was requested), with one line into why (len
 * bytes): what it holds — rows waiting and performing, outcomes kept because the database
 * refused them. For readiness (GET /readyz). */
bool bs_queue_running(const bs_queue *q, char *why, size_t len);

/* The queue's policy (after defaults). */
const bs_queue_policy *bs_queue_policy_of(const bs_queue *q);

/* Stops the queue (see above); done (may be NULL) runs once it is freed. */
void bs_queue_stop(bs_queue *q, void (*done)(void *arg), void *arg);

#endif
