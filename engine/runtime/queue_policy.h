/*
 * Bouwstroom runtime: the decisions of the durable queue (queue.h), pure.
 *
 * No I/O, no clock, no allocation: every input (counts, durations in milliseconds, a random
 * number) is an argument, so the state machine is tested without a database or a loop
 * (tests/unit/test_queue.c). queue.c asks these functions what to do and does it.
 *
 * The rules (docs/architecture.md "The durable queue"):
 * - this process holds no more than it can finish well within one lease: at most
 *   max(1, rate × lease / 2) items, where rate is the observed completion rate with the
 *   configured parallelism, and never more than max_held; before anything was observed, only
 *   the free parallel slots. A claim takes what is missing, at most max_claim rows, and is
 *   issued while half of that budget is still waiting in hand, so a fast operation does not
 *   run dry while the claim travels (issue 17 item 6);
 * - a lease is kept alive by a heartbeat every lease / 3 while items are held;
 * - results that could not be recorded (the database is away) form a backlog: while it is
 *   not empty nothing is claimed or performed, and it is written again after a backoff;
 * - stopping waits until nothing is held, performing or unrecorded (or the stop deadline).
 */
#ifndef BS_QUEUE_POLICY_H
#define BS_QUEUE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* The configuration of one queue. */
typedef struct bs_queue_policy {
    int max_parallel;  /* performs in flight at most (≥ 1) */
    int max_claim;     /* rows per claim at most (≥ 1) */
    int max_held;      /* rows held (claimed, outcome not yet recorded) at most; 0: max_claim */
    int64_t lease_ms;  /* a claimed item is another node's after this unless heartbeated (> 0) */
    int retry_base_ms; /* backoff of a failed perform: first retry after about this */
    int retry_cap_ms;  /* backoff cap */
} bs_queue_policy;

/* What this process holds of one queue, as the I/O shell counts it. */
typedef struct bs_queue_counts {
    int waiting;    /* claimed, not yet performing (this process holds the lease) */
    int performing; /* handed to the operation, outcome not yet known */
    int recording;  /* outcome known, its write in flight */
    int backlog;    /* outcome known, its write failed: kept in memory, written again later */
    bool claiming;  /* a claim statement is in flight */
    bool stopping;  /* stop was requested: no new claims or performs */
} bs_queue_counts;

/* Items whose lease this process holds and must keep alive: waiting + performing +
 * recording + backlog (a result that is not yet recorded still owns its row). */
int bs_queue_held(const bs_queue_counts *c);

/* How many items to claim now; 0 = do not claim. avg_ms: the observed mean duration of one
 * perform in milliseconds (0 = nothing observed yet). budget = max(1, floor(max_parallel ×
 * (lease_ms / 2) / avg_ms)) — the items the parallelism finishes in half a lease at the
 * observed rate — capped by max_held (max_claim when 0); without an observation, max_parallel.
 * Claims nothing while stopping, while a claim or a backlog is pending, or while the waiting
 * items are at least max(max_parallel, budget / 2) (enough in hand for every slot and for the
 * time a claim takes). Otherwise min(budget − held, max_claim), or 0 when that is not
 * positive. */
int bs_queue_claim_size(const bs_queue_policy *p, const bs_queue_counts *c, double avg_ms);

/* True when a waiting item may be handed to the operation now: not stopping, no backlog
 * (nothing new is sent while results are unrecorded), and a parallel slot free. */
bool bs_queue_may_perform(const bs_queue_policy *p, const bs_queue_counts *c);

/* True when a stopping queue may end: nothing held. */
bool bs_queue_drained(const bs_queue_counts *c);

/* The heartbeat interval in milliseconds: lease_ms / 3 (at least 50 ms), so that two beats
 * can be lost before a lease runs out. */
int64_t bs_queue_heartbeat_ms(const bs_queue_policy *p);

/* The new mean after one more perform of duration_ms (exponentially weighted, weight 1/4
 * for the new sample; the first sample is taken as is). Returns milliseconds. */
double bs_queue_observe(double avg_ms, int64_t duration_ms);

/* Backoff before attempt number attempt+1 after attempt failures (attempt ≥ 1; 0 is taken
 * as 1): "equal jitter" — half of min(cap_ms, base_ms·2^(attempt−1)) plus a uniform random
 * part up to the other half (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015;
 * the retry interval of RFC 5321 §4.5.4.1 grows the same way). rnd in [0, 1). Returns
 * milliseconds, never more than cap_ms. */
int64_t bs_queue_backoff_ms(int attempt, int base_ms, int cap_ms, double rnd);

/* The delay before writing a backlog again after failures consecutive failed writes
 * (≥ 1): bs_queue_backoff_ms with base 250 ms and cap 5 s. Returns milliseconds. */
int64_t bs_queue_backlog_retry_ms(int failures, double rnd);

#endif
