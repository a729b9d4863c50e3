/*
 * Notifier worker. See worker.h and docs/notifier.md.
 */
#include "worker.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts.h"
#include "alloc.h"
#include "auth.h"
#include "project_forecast.h"
#include "mail.h"
#include "queue.h"
#include "smtp.h"
#include "templates.h"
#include "worker_sql.h"

#define CLAIM_BATCH 200      /* alerts per claim at most (the queue bounds it further by the send rate) */
#define MAX_HELD 800         /* alerts claimed and not yet recorded at most (ditto; issue 17 item 6) */
#define LEASE_MS 30000       /* default lease of a claimed alert, kept alive by the queue's heartbeat */
#define SAFETY_POLL_MS 30000 /* re-check even without a notification */
#define MAX_WANTS 4096
#define NOTIFIER_SAMPLES 500 /* forecast samples per re-planned project (P50/P80 in alerts and feeds) */

struct bs_notifier {
    uv_loop_t *loop;
    bs_store *store;
    const bs_engine *engine;
    const bs_clock *clock;
    char *smtp_url, *smtp_user, *smtp_pass, *mail_from, *mail_domain, *base_url;
    bool require_starttls;
    bool has_key;
    unsigned char server_key[BS_SERVER_KEY_BYTES]; /* invitation secrets (bs_invitation_token) */
    bs_smtp *smtp;
    int64_t lease_ms;
    uv_timer_t safety_timer, replan_timer;
    int open_handles;
    int32_t replan_day; /* the last local day this node saw re-planned (claimed here or elsewhere) */
    int32_t replan_pending_day;
    bool replanning, no_daily_replan;
    bs_day (*today)(void *arg);
    void *today_arg;
    bs_store_sub *plan_sub; /* LISTEN bs_notifier */
    bs_queue *queue;        /* the mail outbox; NULL without SMTP */
    bool planning, plan_again;
    bool digesting;
    int db_ops; /* store queries in flight that point at this struct */
    bool stopping;
    void (*done)(void *);
    void *done_arg;
};

static void plan_start(bs_notifier *n);
static void maybe_done(bs_notifier *n);
static void digests_start(bs_notifier *n);

static void log_err(const char *what, const char *err) {
    fprintf(stderr, "notifier: %s: %s\n", what, err);
}

/* ---------------------------------------------------------------- planning */

typedef struct plan_ctx {
    bs_notifier *n;
    bs_conn *conn;
    char project_id[40];
    bs_project_state st; /* the project as stored (with its schedule edits) */
    bs_own_obs own;      /* own lead-time observations of the schema */
    bs_forecast fc;      /* P50/P80 per step (thread pool) */
    int fc_rc;
    bs_day *baseline;     /* owned; n_steps: first recorded P50 per step */
    bs_schedule sched;    /* planned from the data date (thread pool); valid when sched_rc is OK */
    bs_schedule reported; /* planned from the progress date: the facts as last reported */
    int sched_rc;
    bool has_sched, has_reported;
    uv_work_t work;
    char *steps_json, *wants_json;
} plan_ctx;

static void plan_ctx_reset(plan_ctx *c) {
    bs_project_state_free(&c->st);
    bs_own_obs_free(&c->own);
    bs_forecast_free(&c->fc);
    memset(&c->fc, 0, sizeof c->fc);
    free(c->baseline);
    c->baseline = NULL;
    if (c->has_sched) bs_schedule_free(&c->sched);
    if (c->has_reported) bs_schedule_free(&c->reported);
    c->has_sched = c->has_reported = false;
    free(c->steps_json);
    free(c->wants_json);
    c->steps_json = c->wants_json = NULL;
    c->project_id[0] = 0;
}

static void plan_ctx_free(plan_ctx *c) {
    plan_ctx_reset(c);
    free(c);
}

/* Ends a planning run (error, stop, or empty queue). The safety poll retries after errors. */
static void plan_finish(plan_ctx *c, const char *err) {
    bs_notifier *n = c->n;
    if (err) log_err("planning alerts", err);
    if (c->conn) bs_store_release(c->conn);
    plan_ctx_free(c);
    n->planning = false;
    if (n->stopping) {
        maybe_done(n);
        return;
    }
    if (n->plan_again && !err) {
        n->plan_again = false;
        plan_start(n);
    }
    digests_start(n);
    if (n->queue) bs_queue_kick(n->queue); /* a plan may have made alerts due now */
}

static void plan_next_project(plan_ctx *c);

static void plan_committed(const PGresult *res, const char *err, void *arg) {
    (void)res;
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    /* next dirty project on the same connection */
    plan_ctx_reset(c);
    plan_next_project(c);
}

static void plan_written(const PGresult *res, const char *err, void *arg) {
    (void)res;
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    bs_conn_script(c->conn, "COMMIT", plan_committed, c);
}

/* The organisation's today for data dates and alert plans: the API's (so that `serve --today`
 * pins the API and the notifier alike), else today in Europe/Amsterdam from the clock. */
static bs_day notifier_today(const bs_notifier *n) {
    return n->today ? n->today(n->today_arg) : bs_clock_today_amsterdam(n->clock);
}

/* The recipients from the rows of SQL_PLAN_RECIPIENTS (user_id, pub, priv, kind, enabled, days,
 * basis; ordered by user) into rs (one per user; user ids point into res). Returns their
 * number. */
static int recipients_from_rows(const PGresult *res, bs_alert_recipient *rs) {
    int rows = PQntuples(res);
    int n_rs = 0;
    for (int r = 0; r < rows; r++) {
        const char *uid = PQgetvalue(res, r, 0);
        if (n_rs == 0 || strcmp(rs[n_rs - 1].user_id, uid) != 0) {
            rs[n_rs].user_id = uid;
            rs[n_rs].stream_public = strcmp(PQgetvalue(res, r, 1), "t") == 0;
            rs[n_rs].stream_private = strcmp(PQgetvalue(res, r, 2), "t") == 0;
            n_rs++;
        }
        const char *kind = PQgetvalue(res, r, 3);
        for (int k = 0; k < BS_ALERT_N_KINDS; k++)
            if (strcmp(kind, bs_alert_kind_name((bs_alert_kind)k)) == 0) {
                rs[n_rs - 1].enabled[k] = strcmp(PQgetvalue(res, r, 4), "t") == 0;
                rs[n_rs - 1].days[k] = atoi(PQgetvalue(res, r, 5));
                if (k == BS_ALERT_MILESTONE_UPCOMING)
                    rs[n_rs - 1].upcoming_from_p50 = strcmp(PQgetvalue(res, r, 6), "p50") == 0;
            }
    }
    return n_rs;
}

/* The steps as SQL_PLAN_WRITE stores them ($2): planned dates, status, P50 and P80. */
static json_t *steps_json(const plan_ctx *c, const bs_schedule *sched, const bs_day *p50) {
    const bs_schema *schema = c->st.schema;
    json_t *steps = json_array();
    for (int32_t i = 0; i < schema->n_steps; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "step_key", json_string(schema->steps[i].key));
        json_object_set_new(o, "planned_start", bs_date_json(sched->steps[i].early_start));
        json_object_set_new(o, "planned_finish", bs_date_json(sched->steps[i].early_finish));
        json_object_set_new(o, "status", json_string(bs_status_name(c->st.progress[i].status)));
        json_object_set_new(o, "p50", bs_date_json(p50[i]));
        json_object_set_new(o, "p80",
                            bs_date_json(c->fc_rc == BS_SCHEDULE_OK && c->fc.steps ? c->fc.steps[i].p80 : BS_DAY_NONE));
        json_array_append_new(steps, o);
    }
    return steps;
}

/* One planned alert as SQL_PLAN_WRITE inserts it ($3): its key, due date and the payload the
 * mail is written from. */
static json_t *want_json(const plan_ctx *c, const bs_alert_want *w, const bs_alert_recipient *rs) {
    const bs_schema *schema = c->st.schema;
    const bs_step *st = &schema->steps[w->step];
    const bs_step *rst = &schema->steps[w->rev_step];
    json_t *o = json_object();
    json_object_set_new(o, "step_key", json_string(st->key));
    json_object_set_new(o, "rev_step", json_string(rst->key));
    json_object_set_new(o, "kind", json_string(bs_alert_kind_name(w->kind)));
    json_object_set_new(o, "user_id", json_string(rs[w->recipient].user_id));
    json_object_set_new(o, "due_date", bs_date_json(w->due_date));
    /* overdue and blocked: the news is the promised date, so it is the key's revision
     * (YYYYMMDD; docs/alerts.md "Late news once"): the same date is never planned twice,
     * and a new promised date is a new key even when the plan from today did not move */
    if ((w->kind == BS_ALERT_MILESTONE_OVERDUE || w->kind == BS_ALERT_BLOCKED) && w->date != BS_DAY_NONE) {
        int y, m, d;
        bs_date_to_ymd(w->date, &y, &m, &d);
        json_object_set_new(o, "revision", json_integer((json_int_t)y * 10000 + m * 100 + d));
    }
    json_t *p = json_object();
    json_object_set_new(p, "project_id", json_string(c->project_id));
    json_object_set_new(p, "project_name", json_string(c->st.name));
    json_object_set_new(p, "gemeente", json_string(c->st.gemeente));
    json_object_set_new(p, "step_key", json_string(st->key));
    json_object_set_new(p, "step_name", json_string(st->name));
    json_object_set_new(p, "stream", json_string(st->stream == BS_STREAM_PUBLIC ? "public" : "private"));
    json_object_set_new(p, "date", bs_date_json(w->date));
    json_object_set_new(p, "progress_date", bs_date_json(c->st.progress_date));
    json_object_set_new(p, "data_date", bs_date_json(c->st.data_date));
    if (c->fc_rc == BS_SCHEDULE_OK && c->fc.steps) {
        json_object_set_new(p, "p50", bs_date_json(c->fc.steps[w->step].p50));
        json_object_set_new(p, "p80", bs_date_json(c->fc.steps[w->step].p80));
    }
    if (w->kind == BS_ALERT_FORECAST_SLIPPED && c->baseline)
        json_object_set_new(p, "baseline_p50", bs_date_json(c->baseline[w->step]));
    if (w->kind == BS_ALERT_BLOCKED) {
        json_object_set_new(p, "blocking_step_key", json_string(rst->key));
        json_object_set_new(p, "blocking_step_name", json_string(rst->name));
        json_object_set_new(p, "blocking_stream", json_string(rst->stream == BS_STREAM_PUBLIC ? "public" : "private"));
    }
    json_object_set_new(o, "payload", p);
    return o;
}

static void plan_got_recipients(const PGresult *res, const char *err, void *arg) {
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    bs_notifier *n = c->n;
    int rows = PQntuples(res);
    bs_alert_recipient *rs = bs_calloc((size_t)rows + 1, sizeof *rs);
    int n_rs = recipients_from_rows(res, rs);
    if (!c->has_sched) {
        free(rs);
        plan_finish(c, bs_schedule_strerror((bs_schedule_err)c->sched_rc));
        return;
    }
    const bs_schedule sched = c->sched;
    /* the organisation's today (alerts are due at 07:00 local) */
    bs_day today = notifier_today(n);
    bs_alert_want *wants = bs_calloc(MAX_WANTS, sizeof *wants);
    const bs_schema *schema = c->st.schema;
    bs_day *p50 = bs_calloc((size_t)schema->n_steps + 1, sizeof *p50);
    for (int32_t i = 0; i < schema->n_steps; i++)
        p50[i] = c->fc_rc == BS_SCHEDULE_OK && c->fc.steps ? c->fc.steps[i].p50 : BS_DAY_NONE;
    /* overdue and blocked: against what the facts as last reported promised (the schedule
     * planned from the progress date); the stored dates and upcoming: from the data date */
    bs_alert_forecast afc = {.p50 = p50, .baseline = c->baseline, .reported = c->has_reported ? &c->reported : NULL};
    int n_w = bs_alert_plan(schema, c->st.progress, &sched, &afc, c->st.cal, today, rs, n_rs, wants, MAX_WANTS);

    json_t *steps = steps_json(c, &sched, p50);
    json_t *wa = json_array();
    for (int w = 0; w < n_w; w++) json_array_append_new(wa, want_json(c, &wants[w], rs));
    c->steps_json = bs_json_dumps(steps, JSON_COMPACT);
    c->wants_json = bs_json_dumps(wa, JSON_COMPACT);
    json_decref(steps);
    json_decref(wa);
    free(wants);
    free(p50);
    /* today (as above) and now from the injected clock: which alerts are already late for a
     * new follower, and when their summary is due (at once) */
    char today_s[11], now_s[24];
    bs_date_format(today, today_s);
    snprintf(now_s, sizeof now_s, "%lld", (long long)bs_clock_now(n->clock));
    /* the recipients of this plan as a PostgreSQL array literal of UUIDs: only their follows
     * are summarised (a follow committed after the recipients were read waits for its plan) */
    char *rcpt = bs_malloc((size_t)n_rs * 37 + 3);
    size_t rl = 0;
    rcpt[rl++] = '{';
    for (int i = 0; i < n_rs; i++) rl += (size_t)sprintf(rcpt + rl, "%s%s", i ? "," : "", rs[i].user_id);
    rcpt[rl++] = '}';
    rcpt[rl] = 0;
    const char *params[8] = {
        c->project_id, c->steps_json, c->wants_json, n->mail_domain,
        today_s,       now_s,         rcpt,          bs_schedule_has_knelpunt(&sched) ? "true" : "false"};
    bs_conn_exec(c->conn, &SQL_PLAN_WRITE, params, plan_written, c);
    free(rcpt);
    free(rs); /* after the query copied the params: user ids point into res */
}

static void plan_got_baselines(const PGresult *res, const char *err, void *arg) {
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    const bs_schema *schema = c->st.schema;
    c->baseline = bs_malloc(sizeof *c->baseline * ((size_t)schema->n_steps + 1));
    for (int32_t i = 0; i < schema->n_steps; i++) c->baseline[i] = BS_DAY_NONE;
    for (int r = 0; r < PQntuples(res); r++) {
        int32_t i = bs_schema_find(schema, PQgetvalue(res, r, 0));
        if (i >= 0 && !PQgetisnull(res, r, 1)) bs_date_parse(PQgetvalue(res, r, 1), &c->baseline[i]);
    }
    const char *params[1] = {c->project_id};
    bs_conn_exec(c->conn, &SQL_PLAN_RECIPIENTS, params, plan_got_recipients, c);
}

/* thread pool: the Monte Carlo forecast of the project (pure) */
/* Thread pool: the project's schedules (from the data date; from the progress date when
 * earlier) and its forecast. Pure. */
static void plan_forecast_work(uv_work_t *w) {
    plan_ctx *c = w->data;
    const bs_calendar *cal = c->st.cal; /* the owner organisation's */
    c->sched_rc = bs_project_state_schedule(&c->st, cal, &c->sched);
    c->has_sched = c->sched_rc == BS_SCHEDULE_OK;
    if (c->has_sched && c->st.progress_date != c->st.data_date) {
        bs_project_state as_reported = c->st;
        as_reported.data_date = c->st.progress_date;
        c->has_reported = bs_project_state_schedule(&as_reported, cal, &c->reported) == BS_SCHEDULE_OK;
    }
    c->fc_rc = bs_project_forecast(c->n->engine, &c->st, &c->own, NOTIFIER_SAMPLES, 1, &c->fc);
}

static void plan_forecast_done(uv_work_t *w, int status) {
    plan_ctx *c = w->data;
    if (status != 0) c->fc_rc = BS_SCHEDULE_ENOMEM;
    const char *params[1] = {c->project_id};
    bs_conn_exec(c->conn, &SQL_PLAN_BASELINES, params, plan_got_baselines, c);
}

static void plan_got_obs(const PGresult *res, const char *err, void *arg) {
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    if (bs_own_obs_from_result(res, c->st.schema, &c->n->engine->calendar, &c->own) != 0) {
        plan_finish(c, "out of memory");
        return;
    }
    c->work.data = c;
    if (uv_queue_work(c->n->loop, &c->work, plan_forecast_work, plan_forecast_done) != 0) {
        c->fc_rc = c->sched_rc = BS_SCHEDULE_ENOMEM;
        plan_forecast_done(&c->work, 0);
    }
}

static void plan_got_state(const PGresult *res, const char *err, void *arg) {
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    json_t *doc = PQntuples(res) ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    int rc = doc ? bs_project_state_parse(c->n->engine, doc, notifier_today(c->n), &c->st) : -1;
    json_decref(doc);
    if (rc != 0) { /* project deleted meanwhile, or unknown schema: nothing to plan */
        bs_conn_script(c->conn, "COMMIT", plan_committed, c);
        return;
    }
    const char *params[1] = {c->st.schema->key};
    bs_conn_exec(c->conn, &BS_STMT_OWN_OBSERVATIONS, params, plan_got_obs, c);
}

static void plan_got_dirty(const PGresult *res, const char *err, void *arg) {
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    if (PQntuples(res) == 0) { /* queue empty */
        bs_conn_script(c->conn, "COMMIT", NULL, NULL);
        plan_finish(c, NULL);
        return;
    }
    snprintf(c->project_id, sizeof c->project_id, "%s", PQgetvalue(res, 0, 0));
    const char *params[1] = {c->project_id};
    bs_conn_exec(c->conn, &BS_STMT_PROJECT_STATE, params, plan_got_state, c);
}

static void plan_begun(const PGresult *res, const char *err, void *arg) {
    (void)res;
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    bs_conn_exec(c->conn, &SQL_PLAN_NEXT_DIRTY, NULL, plan_got_dirty, c);
}

static void plan_next_project(plan_ctx *c) {
    if (c->n->stopping) {
        plan_finish(c, NULL);
        return;
    }
    bs_conn_script(c->conn, "BEGIN", plan_begun, c);
}

static void plan_acquired(bs_conn *conn, const char *err, void *arg) {
    plan_ctx *c = arg;
    if (err) {
        plan_finish(c, err);
        return;
    }
    c->conn = conn;
    plan_next_project(c);
}

static void plan_start(bs_notifier *n) {
    if (n->stopping) return;
    if (n->planning) {
        n->plan_again = true;
        return;
    }
    n->planning = true;
    plan_ctx *c = bs_calloc(1, sizeof *c);
    c->n = n;
    bs_store_acquire(n->store, plan_acquired, c);
}

/* ---------------------------------------------------------------- daily re-plan */

/* The schedule's data date is the later of the progress date and today, so every live
 * project's stored dates, due times and alert plans move at local midnight. One node claims
 * the local day (the primary key of replan_runs decides) and, in the same statement, queues
 * every live project (one somebody follows, has a role in or holds a feed token of: the
 * projects bs_mark_projects_dirty queues) in notifier_dirty; the notifier of any node then
 * re-plans them one by one, CPU work on the thread pool. A node that dies after the claim
 * has committed the queue with it, so nothing waits on it. docs/scheduling.md §6. */

static void replan_arm(bs_notifier *n);

static void replan_claimed(const PGresult *res, const char *err, void *arg) {
    bs_notifier *n = arg;
    n->db_ops--;
    n->replanning = false;
    if (n->stopping) {
        maybe_done(n);
        return;
    }
    if (err) {
        log_err("claiming the daily re-plan", err); /* the safety poll tries again */
        return;
    }
    /* claimed here (1) or already by a node (0): either way the day is done */
    n->replan_day = n->replan_pending_day;
    if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "1") == 0)
        fprintf(stderr, "notifier: daily re-plan: %s projects queued\n", PQgetvalue(res, 0, 1));
}

/* Claims today's re-plan unless this node already saw it done. */
static void replan_check(bs_notifier *n) {
    if (n->stopping || n->replanning || n->no_daily_replan) return;
    bs_day today = bs_clock_today_amsterdam(n->clock);
    if (today == n->replan_day) return;
    char day[11], node[300], host[256] = "";
    gethostname(host, sizeof host - 1);
    snprintf(node, sizeof node, "%s:%ld", host, (long)getpid());
    bs_date_format(today, day);
    const char *params[2] = {day, node};
    n->replanning = true;
    n->replan_pending_day = today;
    n->db_ops++;
    bs_store_exec(n->store, &SQL_REPLAN_CLAIM, params, replan_claimed, n);
}

static void replan_fired(uv_timer_t *t) {
    bs_notifier *n = t->data;
    replan_check(n);
    replan_arm(n);
}

/* Arms the re-plan timer for one second after the next local midnight (Europe/Amsterdam;
 * midnight never falls in a DST change, which happens at 01:00 UTC). */
static void replan_arm(bs_notifier *n) {
    if (n->stopping) return;
    int64_t now_ms = bs_clock_now_ms(n->clock);
    bs_day today = bs_clock_today_amsterdam(n->clock);
    int64_t now_s = now_ms / 1000, offset_s = 3600; /* CET or CEST: the one that maps now onto today */
    if ((now_s + 7200) / 86400 == today && (now_s + 3600) / 86400 != today) offset_s = 7200;
    int64_t midnight_ms = ((int64_t)(today + 1) * 86400 - offset_s) * 1000;
    int64_t delay = midnight_ms - now_ms + 1000;
    if (delay < 1000) delay = 1000;
    uv_timer_start(&n->replan_timer, replan_fired, (uint64_t)delay, 0);
}

/* ---------------------------------------------------------------- digests */

static void digests_made(const PGresult *res, const char *err, void *arg) {
    bs_notifier *n = arg;
    n->db_ops--;
    n->digesting = false;
    if (n->stopping) {
        maybe_done(n);
        return;
    }
    if (err)
        log_err("building digests", err);
    else if (atoi(PQcmdTuples((PGresult *)(uintptr_t)res)) > 0 && n->queue)
        bs_queue_kick(n->queue); /* a digest alert is due now */
}

/* Builds the morning digests that are due (checked at start and on every safety poll, so
 * at least every 30 s within the 07:00–12:00 window). */
static void digests_start(bs_notifier *n) {
    if (n->stopping || !n->smtp || n->digesting) return;
    n->digesting = true;
    char now_s[32];
    snprintf(now_s, sizeof now_s, "%lld", (long long)bs_clock_now(n->clock));
    const char *p[2] = {now_s, n->mail_domain};
    n->db_ops++;
    bs_store_exec(n->store, &SQL_DIGESTS_BUILD, p, digests_made, n);
}

static void safety_tick(uv_timer_t *t) {
    bs_notifier *n = t->data;
    replan_check(n);
    plan_start(n);
    digests_start(n);
}

/* ---------------------------------------------------------------- delivery: the mail outbox on the queue */

/* The statements of the mail outbox are SQL_MAIL_* in worker_sql.h (engine/runtime/queue.h
 * gives each its parameters). */

/* A claimed alert, rendered (or with the reason it cannot be). */
typedef struct send_item {
    bs_notifier *n;
    char id[40];
    int attempts;
    char *rcpt;    /* owned */
    char *message; /* owned: the rendered RFC 5322 message */
    size_t len;
    const char *error; /* static: why it cannot be sent (recorded failed) */
} send_item;

static void send_free(void *self, bs_queue_item *qi) {
    (void)self;
    send_item *it = qi->data;
    if (!it) return;
    free(it->rcpt);
    free(it->message);
    free(it);
}

/* Records the outcome of one send (RFC 5321 §4.2.1: 2yz sent, 5yz failed, else retried
 * after a jittered exponential backoff, RFC 5321 §4.5.4.1). */
static void on_sent(bs_smtp_outcome o, long code, const char *error, void *arg) {
    bs_queue_item *qi = arg;
    send_item *it = qi->data;
    bs_notifier *n = it->n;
    char code_s[16], now_s[32];
    snprintf(code_s, sizeof code_s, "%ld", o == BS_SMTP_SENT && code == 0 ? 250 : code);
    int64_t now_ms = bs_clock_now_ms(n->clock);
    const bs_stmt *stmt = o == BS_SMTP_SENT ? &SQL_MAIL_SENT : o == BS_SMTP_FAILED ? &SQL_MAIL_FAILED : &SQL_MAIL_RETRY;
    if (o == BS_SMTP_RETRY) {
        bs_queue *q = n->queue;
        const bs_queue_policy *pol = bs_queue_policy_of(q);
        now_ms += bs_queue_backoff_ms(it->attempts, pol->retry_base_ms, pol->retry_cap_ms, bs_queue_jitter(q));
    }
    snprintf(now_s, sizeof now_s, "%lld.%03lld", (long long)(now_ms / 1000), (long long)(now_ms % 1000));
    const char *p[4] = {it->id, now_s, code_s, error ? error : ""};
    if (o == BS_SMTP_SENT && strcmp(code_s, "250") == 0)
        bs_queue_finish_batched(qi, stmt, p); /* the common case: one UPDATE per 100 */
    else
        bs_queue_finish(qi, stmt, p);
}

static void send_perform(void *self, bs_queue_item *qi) {
    bs_notifier *n = self;
    send_item *it = qi->data;
    if (it->error) {
        on_sent(BS_SMTP_FAILED, 0, it->error, qi);
        return;
    }
    const char *rcpt[1] = {it->rcpt};
    bs_smtp_send(n->smtp, n->mail_from, rcpt, 1, it->message, it->len, on_sent, qi);
}

/* A claimed row (columns: id, kind, message_id, payload, email, name, locale, attempts,
 * user_id) rendered into the message to send. */
static void send_decode(void *self, const PGresult *res, int r, bs_queue_item *qi) {
    bs_notifier *n = self;
    snprintf(qi->id, sizeof qi->id, "%s", PQgetvalue(res, r, 0));
    qi->attempt = atoi(PQgetvalue(res, r, 7));
    send_item *it = bs_calloc(1, sizeof *it);
    qi->data = it;
    it->n = n;
    snprintf(it->id, sizeof it->id, "%s", PQgetvalue(res, r, 0));
    it->attempts = atoi(PQgetvalue(res, r, 7));
    json_t *payload = json_loads(PQgetvalue(res, r, 3), 0, NULL);
    if (payload && strcmp(PQgetvalue(res, r, 1), "invitation") == 0) {
        /* the secret is not stored: derived from the server key at send time */
        char token[BS_TOKEN_B64URL_BYTES];
        const char *inv = json_string_value(json_object_get(payload, "invitation_id"));
        if (n->has_key && inv && bs_invitation_token(n->server_key, inv, token, sizeof token) == BS_AUTH_OK) {
            json_object_set_new(payload, "token", json_string(token));
            sodium_memzero(token, sizeof token);
        } else {
            json_decref(payload);
            payload = NULL; /* cannot build: no server key */
        }
    }
    /* an alert of a rule kind carries the one-click unsubscribe link of that rule for
         * its recipient (RFC 8058; the token is a MAC under the server key) */
    char unsub_url[600];
    unsub_url[0] = 0;
    char utok[BS_UNSUBSCRIBE_TOKEN_BYTES];
    if (payload && n->has_key &&
        bs_unsubscribe_token(n->server_key, PQgetvalue(res, r, 8), PQgetvalue(res, r, 1), utok, sizeof utok) ==
            BS_AUTH_OK) {
        snprintf(unsub_url, sizeof unsub_url, "%s/unsubscribe/%s", n->base_url, utok);
        json_object_set_new(payload, "unsubscribe_url", json_string(unsub_url));
    }
    if (payload && strcmp(PQgetvalue(res, r, 1), "password_reset") == 0) {
        /* the reset secret is not stored either: derived from the server key at send time */
        char token[BS_TOKEN_B64URL_BYTES], label[64];
        const char *rid = json_string_value(json_object_get(payload, "reset_id"));
        snprintf(label, sizeof label, "password-reset:%s", rid ? rid : "");
        if (n->has_key && rid && bs_invitation_token(n->server_key, label, token, sizeof token) == BS_AUTH_OK) {
            json_object_set_new(payload, "token", json_string(token));
            sodium_memzero(token, sizeof token);
        } else {
            json_decref(payload);
            payload = NULL;
        }
    }
    bs_mail_text t = {0};
    if (!payload || bs_mail_text_build(PQgetvalue(res, r, 1), PQgetvalue(res, r, 6), payload, n->base_url, &t) != 0) {
        json_decref(payload);
        it->error = "cannot build the message (unknown kind or bad payload)";
        return;
    }
    json_decref(payload);
    bs_mail m = {.from_addr = n->mail_from,
                 .from_name = "Bouwstroom",
                 .to_addr = PQgetvalue(res, r, 4),
                 .to_name = PQgetvalue(res, r, 5),
                 .subject = t.subject,
                 .message_id = PQgetvalue(res, r, 2),
                 .date_utc = bs_clock_now(n->clock),
                 .text = t.text,
                 .html = t.html,
                 .lang = strcmp(PQgetvalue(res, r, 6), "en") == 0 ? "en" : "nl",
                 .list_unsubscribe = unsub_url[0] ? unsub_url : NULL};
    it->message = bs_mail_render(&m, &it->len);
    bs_mail_text_free(&t);
    if (!it->message) {
        it->error = "invalid address or header (refused to render)";
        return;
    }
    it->rcpt = bs_strdup(PQgetvalue(res, r, 4));
}

static const bs_queue_ops MAIL_OPS = {.name = "notifier",
                                      .channel = "bs_alerts",
                                      .claim = &SQL_MAIL_CLAIM,
                                      .heartbeat = &SQL_MAIL_HEARTBEAT,
                                      .release = &SQL_MAIL_RELEASE,
                                      .next_due = &SQL_MAIL_NEXT_DUE,
                                      .batch = &SQL_MAIL_SENT_BATCH,
                                      .decode = send_decode,
                                      .perform = send_perform,
                                      .free_item = send_free};

/* ---------------------------------------------------------------- start / stop */

static void on_plan_notify(const char *channel, const char *payload, void *arg) {
    (void)channel;
    (void)payload; /* NULL after a (re)LISTEN: changes may have been missed, plan too */
    plan_start(arg);
}

bs_notifier *bs_notifier_start(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const bs_clock *clock,
                               const bs_notifier_config *cfg) {
    bs_notifier *n = bs_calloc(1, sizeof *n);
    n->loop = loop;
    n->store = store;
    n->engine = engine;
    n->clock = clock;
    n->mail_from = bs_strdup(cfg->mail_from ? cfg->mail_from : "bouwstroom@localhost");
    const char *at = strrchr(n->mail_from, '@');
    n->mail_domain = bs_strdup(at ? at + 1 : "localhost");
    n->base_url = bs_strdup(cfg->base_url ? cfg->base_url : "http://127.0.0.1:8080");
    if (cfg->server_key) {
        memcpy(n->server_key, cfg->server_key, BS_SERVER_KEY_BYTES);
        n->has_key = true;
    }
    int max_parallel = cfg->max_parallel > 0 ? cfg->max_parallel : 16;
    int retry_base_s = cfg->retry_base_s > 0 ? cfg->retry_base_s : 30;
    n->lease_ms = cfg->lease_ms > 0 ? cfg->lease_ms : LEASE_MS;
    uv_timer_init(loop, &n->safety_timer);
    uv_timer_init(loop, &n->replan_timer);
    n->safety_timer.data = n->replan_timer.data = n;
    n->open_handles = 2;
    n->replan_day = BS_DAY_NONE;
    n->no_daily_replan = cfg->no_daily_replan;
    n->today = cfg->today;
    n->today_arg = cfg->today_arg;
    replan_check(n); /* a day whose midnight passed while no node ran is re-planned now */
    replan_arm(n);
    uv_timer_start(&n->safety_timer, safety_tick, SAFETY_POLL_MS, SAFETY_POLL_MS);
    /* planning: woken by NOTIFY bs_notifier; the first (re)LISTEN plans what waited */
    n->plan_sub = bs_store_listen(store, "bs_notifier", on_plan_notify, n);
    if (cfg->smtp_url && *cfg->smtp_url) {
        bs_smtp_config sc = {.url = cfg->smtp_url,
                             .username = cfg->smtp_username,
                             .password = cfg->smtp_password,
                             .require_starttls = cfg->require_starttls,
                             .timeout_ms = 30000};
        n->smtp = bs_smtp_new(loop, &sc);
        bs_queue_config qc = {.policy = {.max_parallel = max_parallel,
                                         .max_claim = CLAIM_BATCH,
                                         .max_held = MAX_HELD,
                                         .lease_ms = n->lease_ms,
                                         .retry_base_ms = retry_base_s * 1000,
                                         .retry_cap_ms = 3600 * 1000},
                              .poll_ms = SAFETY_POLL_MS,
                              .clock = clock};
        n->queue = bs_queue_start(loop, store, &MAIL_OPS, n, &qc);
        digests_start(n);
    }
    return n;
}

static void maybe_done(bs_notifier *n) {
    if (!n->stopping || n->open_handles > 0 || n->planning || n->replanning || n->db_ops > 0 || n->digesting) return;
    void (*done)(void *) = n->done;
    void *arg = n->done_arg;
    free(n->mail_from);
    free(n->mail_domain);
    free(n->base_url);
    free(n);
    if (done) done(arg);
}

static void timer_closed(uv_handle_t *h) {
    bs_notifier *n = h->data;
    n->open_handles--;
    maybe_done(n);
}

static void smtp_closed(void *arg) {
    bs_notifier *n = arg;
    n->open_handles--;
    maybe_done(n);
}

/* The outbox has drained (every send in flight finished and its outcome is recorded): the
 * SMTP sender can go. */
static void queue_stopped(void *arg) {
    bs_notifier *n = arg;
    n->queue = NULL;
    if (n->smtp) {
        bs_smtp *smtp = n->smtp;
        n->smtp = NULL; /* before the call: an idle sender closes at once and may end (free) n */
        bs_smtp_close(smtp, smtp_closed, n);
    } else {
        n->open_handles--;
        maybe_done(n);
    }
}

bool bs_notifier_running(const bs_notifier *n, char *why, size_t len) {
    if (!n || n->stopping) {
        snprintf(why, len, "%s", n ? "stopping" : "not started");
        return false;
    }
    if (!n->queue) {
        snprintf(why, len, "running: alerts are planned, not sent (no SMTP server configured)");
        return true;
    }
    char q[200];
    bool ok = bs_queue_running(n->queue, q, sizeof q);
    snprintf(why, len, "mail outbox %s", q);
    return ok;
}

void bs_notifier_stop(bs_notifier *n, void (*done)(void *), void *arg) {
    n->stopping = true;
    n->done = done;
    n->done_arg = arg;
    bs_store_unlisten(n->plan_sub);
    n->plan_sub = NULL;
    uv_timer_stop(&n->safety_timer);
    uv_close((uv_handle_t *)&n->safety_timer, timer_closed);
    uv_timer_stop(&n->replan_timer);
    uv_close((uv_handle_t *)&n->replan_timer, timer_closed);
    n->open_handles++; /* the outbox, then the SMTP sender */
    if (n->queue)
        bs_queue_stop(n->queue, queue_stopped, n);
    else
        queue_stopped(n);
}
