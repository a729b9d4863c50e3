/*
 * Bouwstroom notifier worker: plans alerts for changed projects, keeps the durable timers
 * and delivers due alerts by SMTP. Runs on the server's libuv loop.
 *
 * Durability (docs/notifier.md): a change to a followed project marks it in
 * notifier_dirty in the change's own transaction (trigger); the worker re-plans it and
 * writes milestone revisions and alert rows in one transaction that also removes the mark.
 * Due times live in alerts.due_at; the loop sleeps until the next one and is woken by
 * LISTEN/NOTIFY. Delivery is the mail outbox on the durable queue (engine/runtime/queue.h): claims
 * with FOR UPDATE SKIP LOCKED and a short lease kept alive by a heartbeat, so a crash
 * re-sends at most the message whose 250 was not recorded, with the same Message-ID.
 */
#ifndef BS_WORKER_H
#define BS_WORKER_H

#include <stdbool.h>
#include <uv.h>

#include "clock.h"
#include "engine.h"
#include "store.h"

typedef struct bs_notifier_config {
    const char *smtp_url;      /* NULL: plan and keep alerts, send nothing */
    const char *smtp_username; /* may be NULL */
    const char *smtp_password;
    bool require_starttls;
    const char *mail_from;           /* envelope and From address; its domain names the Message-IDs */
    const char *base_url;            /* public URL of the API, for links in mails */
    int max_parallel;                /* SMTP sends in flight (default 16) */
    int retry_base_s;                /* first retry after about this many seconds (default 30): jittered,
                                        doubling, at most 1 h (bs_queue_backoff_ms) */
    int lease_ms;                    /* lease of a claimed alert in ms (default 30000), kept alive by the
                                        outbox's heartbeat; BOUWSTROOM_QUEUE_LEASE_MS (tests) */
    const unsigned char *server_key; /* 32 bytes (copied): derives invitation secrets; NULL: invitations fail */
    bool no_daily_replan;            /* true: this node never claims the daily re-plan (another node does;
                                * BOUWSTROOM_DAILY_REPLAN=0; docs/scheduling.md §5a) */
    bs_day (*today)(void *arg);      /* the organisation's today (days since 1970-01-01) for data dates
                                 * and alert plans, the API's (`serve --today` pins both); NULL:
                                 * today in Europe/Amsterdam from the clock */
    void *today_arg;
} bs_notifier_config;

typedef struct bs_notifier bs_notifier;

/* Starts the worker. The strings in cfg are copied. */
bs_notifier *bs_notifier_start(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const bs_clock *clock,
                               const bs_notifier_config *cfg);

/* Whether the worker runs (false: n is NULL or stopping), with one line into why (len
 * bytes): the mail outbox's state, or that alerts are planned but not sent (no SMTP server).
 * For readiness (GET /readyz). */
bool bs_notifier_running(const bs_notifier *n, char *why, size_t len);

/* Stops: no new work is claimed; alerts claimed but not yet handed to SMTP are given back;
 * sends in flight finish and their outcomes are recorded (a database that stays away is
 * waited for up to 10 s, engine/runtime/queue.h); done is called when all handles are
 * closed. */
void bs_notifier_stop(bs_notifier *n, void (*done)(void *arg), void *arg);

#endif
