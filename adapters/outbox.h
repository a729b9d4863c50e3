/*
 * Bouwstroom adapter framework: the durable outbox of engine events and the worker that
 * delivers them to remote systems (docs/adapters.md).
 *
 * Triggers of migration 0011 write adapter_events rows in the transaction of the change
 * (project created or changed, milestone realised, dates changed), only for adapters with a
 * row in adapter_subscriptions. The worker claims, per adapter, projects that have due
 * events — one project at a time per worker (adapter_projects row locked with FOR UPDATE
 * SKIP LOCKED, then leased for lease_s and kept alive by a heartbeat) — and hands the project with all its due events to
 * the adapter as one job. The adapter brings the remote system to the project's current
 * state (idempotent: it looks up what already landed before it re-creates anything) and
 * reports the outcome; the worker marks the job's events done, or failed with the error,
 * the attempt count and the next attempt (exponential backoff with jitter). A remote
 * system that is down costs a failed event and a later retry, never the loop or the event.
 */
#ifndef BS_OUTBOX_H
#define BS_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

#include "store.h"

/* Outcome of a job (bs_outbox_job_done). */
typedef enum bs_outbox_rc {
    BS_OUTBOX_OK = 0,      /* the remote system reflects the project: events done */
    BS_OUTBOX_RETRY = 1,   /* transient (network, timeout, 5xx, 429): retry with backoff */
    BS_OUTBOX_GIVE_UP = 2, /* permanent (4xx validation, configuration): failed, no next attempt */
} bs_outbox_rc;

/* One claimed project with its due events. Owned by the worker; valid until
 * bs_outbox_job_done. */
typedef struct bs_outbox_job {
    char project_id[40];  /* UUID text */
    char *remote_url;     /* owned by the job; NULL when nothing was created remotely yet */
    json_t *remote_state; /* owned by the job: the adapter's record of confirmed remote objects;
                             the adapter may change it; it is stored whatever the outcome */
    json_t *events;       /* owned by the job: [{id, kind, step_key, payload, attempts}] */
    int attempt;          /* highest attempt number among the events (1 = first try) */
    bool reconcile;       /* a reconcile event is among them (verify everything remotely) */
    void *worker_private;
} bs_outbox_job;

/* An adapter: sync brings the remote system in line with the project of job and then
 * calls bs_outbox_job_done(job, …) exactly once (asynchronously, on the loop). */
typedef struct bs_adapter_ops {
    const char *name; /* adapter_events.adapter, e.g. "zgw" */
    void (*sync)(void *self, bs_outbox_job *job);
} bs_adapter_ops;

typedef struct bs_outbox_config {
    int lease_s;                  /* lease of a claimed project, kept alive by the queue's heartbeat (default 30) */
    int lease_ms;                 /* the same in ms, when > 0 (tests: BOUWSTROOM_QUEUE_LEASE_MS) */
    int max_parallel;             /* jobs in flight (default 4) */
    int retry_base_ms;            /* first retry after about this (default 30000) */
    int retry_max_ms;             /* backoff cap (default 3600000) */
    int poll_ms;                  /* safety poll besides LISTEN bs_adapters (default 5000) */
    int reconcile_interval_s;     /* reconcile each linked project this often; 0 = never */
    const char *const *gemeenten; /* subscription: NULL = every project, else these gemeenten */
    int n_gemeenten;
} bs_outbox_config;

typedef struct bs_outbox bs_outbox;

/* Reports the outcome of job. rc as above; error: one line for last_error (NULL with OK).
 * remote_url: the remote object to remember (may be NULL: keep the stored one). The job is
 * freed by the call. */
void bs_outbox_job_done(bs_outbox_job *job, bs_outbox_rc rc, const char *error, const char *remote_url);

/* Starts a worker for one adapter on loop with store (shared: its one LISTEN connection
 * serves every subscriber; the worker is the adapter outbox on the durable queue,
 * engine/runtime/queue.h). Writes the subscription of cfg (replacing the adapter's rows) and, for a new
 * subscription, a project_created event for every matching project not yet linked.
 * once: claim until nothing is due, then call idle (then stop the worker). Returns NULL when
 * out of memory. The strings of cfg are copied. */
bs_outbox *bs_outbox_start(uv_loop_t *loop, bs_store *store, const bs_adapter_ops *ops, void *self,
                           const bs_outbox_config *cfg, bool once, void (*idle)(void *arg), void *idle_arg);

/* Wakes the worker now (e.g. after the webhook scheduled a reconcile). */
void bs_outbox_kick(bs_outbox *w);

/* Store of the worker (for adapters' own queries). */
bs_store *bs_outbox_store(bs_outbox *w);

/* Whether the outbox runs (false: stopping, or its queue never started because the
 * subscription could not be written at start), with one line into why (len bytes). For
 * readiness (GET /readyz). */
bool bs_outbox_running(const bs_outbox *w, char *why, size_t len);

/* Stops claiming; gives back projects claimed but not begun; waits for jobs in flight (their
 * adapters finish or fail them) until their outcomes are recorded, and for pending queries;
 * done (may be NULL) runs after the worker is freed. */
void bs_outbox_stop(bs_outbox *w, void (*done)(void *arg), void *arg);

/* Adds a reconcile event for the project of adapter linked to remote_url (e.g. a
 * Notificaties hoofdObject). cb: n = events added (0: not one of ours), err on failure. */
typedef void (*bs_outbox_count_cb)(int n, const char *err, void *arg);
void bs_outbox_schedule_reconcile(bs_store *store, const char *adapter, const char *remote_url, bs_outbox_count_cb cb,
                                  void *arg);

/* State for the API: {adapter, counts: {pending, failed, given_up, done}, projects_linked,
 * events: [{id, project_id, kind, step_key, status, attempts, next_attempt_at, last_error,
 * created_at, updated_at}] (not done, oldest first, at most limit), and with project_id set
 * also project: {remote_url, remote_state, synced_at, reconciled_at} (null when unlinked)}.
 * project_id may be NULL (all projects). cb gets a new reference (the callee owns it) or
 * NULL with err. */
typedef void (*bs_outbox_json_cb)(json_t *doc, const char *err, void *arg);
void bs_outbox_state_json(bs_store *store, const char *adapter, const char *project_id, int limit, bs_outbox_json_cb cb,
                          void *arg);

/* Operator retry: events of adapter that were given up (failed, no next attempt) become due
 * now; event_id > 0: only that event. cb: n = events rescheduled. */
void bs_outbox_retry(bs_store *store, const char *adapter, long long event_id, bs_outbox_count_cb cb, void *arg);

#endif
