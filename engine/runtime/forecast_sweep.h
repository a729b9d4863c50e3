/*
 * Bouwstroom runtime: the forecast sweep (issue 18 items 3-4; docs/homes-and-goals.md "The forecast
 * sweep", docs/operations.md "The forecast sweep").
 *
 * A background job of the server that keeps a forecast for every project with blocks: at start,
 * whenever a project's forecast stamp or blocks change (NOTIFY bs_forecast_sweep, migration 0038)
 * and every minute (the day moves the data date), it finds the projects whose delivery samples
 * (engine/runtime/delivery.h: the milestones their blocks use, 2,000 samples) are not in the
 * delivery cache under their current marker (stamp, data date, milestones), computes them on the
 * thread of its own per batch with bs_delivery_compute, at a lower CPU priority (nice + 10 by default:
 * on a busy machine the requests' work and PostgreSQL's win the cores, the sweep takes what is left;
 * issue 17 item 1) — a bounded number of projects in flight — puts them into the same cache the policy
 * goals read (so goal progress afterwards is warm), and stores per (project, milestone) the P50 and
 * P80 finish dates with the marker in project_milestone_forecasts, one statement per chunk of
 * projects, which the dashboard's homes-by-year view reads. Loop thread only.
 */
#ifndef BS_FORECAST_SWEEP_H
#define BS_FORECAST_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "delivery.h"
#include "engine.h"
#include "store.h"

typedef struct bs_forecast_sweep bs_forecast_sweep;

typedef struct bs_forecast_sweep_config {
    bs_day (*today)(void *arg); /* the data date's today (the API's clock) */
    void *today_arg;
    int poll_ms;  /* a pass at least this often (ms); 0: 60,000 */
    int batch;    /* projects per work item on the thread pool; 0: 8 */
    int parallel; /* batches of the sweep computing at once; 0: 1 */
    int nice;     /* nice increment of the threads that compute the batches (background work: the
                   * requests' threads win a busy core); 0: 10; < 0: none (the loop's priority) */
} bs_forecast_sweep_config;

/* What the sweep has done (GET /readyz's check). Counts since the start of the server. */
typedef struct bs_forecast_sweep_stats {
    bool running;           /* a pass is under way */
    int64_t passes;         /* passes completed */
    int64_t computed;       /* projects forecast (delivery samples computed) */
    int64_t failed;         /* projects that could not be forecast (stored as failed) */
    int64_t written;        /* projects whose rows were written */
    int32_t pending;        /* projects of the running pass still to forecast or store */
    int32_t last_projects;  /* projects with blocks in the last completed pass */
    const char *last_error; /* the last store error (static buffer of the sweep), "" when none */
} bs_forecast_sweep_stats;

/* Starts the sweep on loop with store, the engine e (its schemas and calendar, read on the thread
 * pool) and the delivery cache (the API's: the sweep puts what it computes there; both outlive the
 * sweep). The first pass starts at once. Returns the sweep (stop with bs_forecast_sweep_stop). */
bs_forecast_sweep *bs_forecast_sweep_start(uv_loop_t *loop, bs_store *store, const bs_engine *e,
                                           bs_delivery_cache *cache, const bs_forecast_sweep_config *cfg);

/* Stops the sweep: no new pass or batch starts; once the query or batch in flight has finished
 * (at most one batch of the thread pool), the sweep is freed and done(arg) is called. NULL s:
 * done(arg) at once. */
void bs_forecast_sweep_stop(bs_forecast_sweep *s, void (*done)(void *arg), void *arg);

/* The sweep's counts into out (s not NULL). */
void bs_forecast_sweep_get_stats(const bs_forecast_sweep *s, bs_forecast_sweep_stats *out);

/* The wake-up of the sweeps after a write that did not NOTIFY in its own transaction (issue 17
 * item 1: a NOTIFY holds PostgreSQL's database-wide notification lock through the commit's WAL
 * flush and serialises concurrent writers' commits). A writer sets the transaction-local setting
 * bouwstroom.sweep_wake = 'after' in its write (the trigger bs_forecast_sweep_notify then sends no
 * NOTIFY, migration 0045) and, after its COMMIT, calls bs_sweep_waker_wake: the in-process sweep
 * (if any) starts a pass at once, and one NOTIFY bs_forecast_sweep in a transaction of its own (no
 * xid, no WAL flush) wakes the other nodes' sweeps debounce_ms later, coalescing the wake-ups in
 * between. Never lost: a wake-up after the timer fired starts a new timer, so a NOTIFY is sent after
 * every write's commit. The sweeps' one-minute poll stays the backstop (a NOTIFY that failed). */
typedef struct bs_sweep_waker bs_sweep_waker;

/* A waker sending its NOTIFY through store on loop at most once per debounce_ms (ms; <= 0: 100).
 * Free with bs_sweep_waker_close. */
bs_sweep_waker *bs_sweep_waker_new(uv_loop_t *loop, bs_store *store, int debounce_ms);

/* The in-process sweep the waker starts directly (NULL: none, e.g. the sweep is switched off or
 * stopped). Not owned. */
void bs_sweep_waker_set_sweep(bs_sweep_waker *w, bs_forecast_sweep *s);

/* A write that set bouwstroom.sweep_wake = 'after' has committed: wake the sweeps (see above). A
 * void * signature so it can be the API's after-write hook (bs_api.sweep_wake); NULL w: nothing. */
void bs_sweep_waker_wake(void *w);

/* Stops the waker: no new NOTIFY; once the timer is closed and a NOTIFY in flight has answered,
 * the waker is freed and done(arg) is called. NULL w: done(arg) at once. A pending (debounced)
 * NOTIFY is sent at once first, so a write just before the shutdown still wakes the other nodes. */
void bs_sweep_waker_close(bs_sweep_waker *w, void (*done)(void *arg), void *arg);

#endif
