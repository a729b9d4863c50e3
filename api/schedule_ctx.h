/*
 * Bouwstroom API: the request context shared by the scheduling routes (routes_schedule.c,
 * routes_steps.c, routes_scenarios.c). Internal to those three files.
 *
 * A scheduling request is decoded into an sctx by its handler (sctx_new), the project's
 * stored state is loaded into it (sched_load: one query, engine/runtime/engine.h), and then
 * its continuation (`then`) runs: it schedules with the engine core and answers, or writes
 * a change (sched_commit_state: one conditional statement, the answer after commit).
 */
#ifndef BS_SCHEDULE_CTX_H
#define BS_SCHEDULE_CTX_H

#include <jansson.h>
#include <stdbool.h>

#include "api_internal.h"
#include "checks.h"
#include "router.h"
#include "schedule.h"

enum kind {
    K_SCHEDULE,
    K_START,
    K_COMPLETE,
    K_PATCH,
    K_HISTORY,
    K_WHATIF,
    K_SCEN_LIST,
    K_SCEN_SAVE,
    K_SCEN_COMPARE,
    K_SCEN_APPLY,
    K_CHECKS,
    K_SCEN_DELETE
};

typedef struct sctx {
    bs_api *api;
    bs_req *req;
    enum kind kind;
    void (*then)(struct sctx *c); /* what runs once the project state is loaded */
    char id[37], key[128], sid[37], who[256], step_filter[128];
    bool has_known_on, has_step_filter;
    bs_day known_on, date;
    long near_critical;
    json_t *body; /* owned; request body */
    bs_check_thresholds th;
    /* loaded state */
    const bs_schema *schema;
    bs_progress *progress;    /* owned */
    bs_day *planned;          /* owned; 2 * n_steps: planned_start, planned_finish */
    bs_sched_edit edit;       /* owned */
    bs_day progress_date;     /* as stored (as it was on known_on) */
    bs_day data_date;         /* bs_data_date(progress_date, today or known_on) */
    bs_day new_progress_date; /* set by a progress report (commit_state); 0 = unchanged */
    int stale_months;         /* the owner organisation's stale_after_months */
    const bs_calendar *cal;   /* the owner organisation's calendar (NULL before the load: the default) */
    long long version;
    long long cache_stamp; /* the forecast stamp at which the state cache holds this state (-1: not cached) */
    long long state_stamp; /* the forecast stamp the state was read at (-1: unknown: known_on or a scenario) */
    json_t *scenario;      /* owned; the scenario row (compare/apply) */
    json_t *pending;       /* owned; response to send after commit */
    int pending_status;
    /* a step write's new state (owned; NULL: none), cached under the write's new stamp after the commit when
     * the write proved that nothing else moved the stamp since state_stamp (written, routes_schedule.c) */
    struct sched_state *written;
} sctx;

typedef struct sched_state {
    bs_progress *progress;
    bs_sched_edit edit;
    bs_day *planned;
} sched_state;

/* A context for a request of kind on the project (and step or scenario) in path; then runs
 * after sched_load (NULL for requests that load nothing). Never NULL. */
sctx *sctx_new(bs_api *api, bs_req *req, const bs_path *path, enum kind kind, void (*then)(sctx *c));
/* Frees c and everything it owns. */
void sctx_free(sctx *c);
/* Loads the project's stored state into c, then runs c->then (or answers 404/503 and frees c). */
void sched_load(sctx *c);
/* sched_load(c) when decoded, else frees c (the decoder has answered the problem). */
void sched_load_if(sctx *c, bool decoded);

/* Schedules progress with edits e over c's schema, calendar and data date (engine core). */
bs_schedule_err sched_compute(const sctx *c, const bs_progress *progress, const bs_sched_edit *e, bs_schedule *out);
/* The schedule document of GET …/schedule for s (new reference). */
json_t *sched_render(const sctx *c, const bs_progress *progress, const bs_sched_edit *e, const bs_day *planned,
                     const bs_schedule *s);
/* Answers 409 naming the cycle of s (a -> b -> … -> a) with field. */
void sched_cycle_problem(sctx *c, const bs_schedule *s, const char *field);
/* Milestone shifts between two schedules, working days (after - before, early finish). */
json_t *sched_milestone_shifts(const sctx *c, const bs_progress *p0, const bs_schedule *s0, const bs_progress *p1,
                               const bs_schedule *s1);
/* Answers GET …/schedule from the loaded state. */
void sched_send_schedule(sctx *c);

/* A copy of c's loaded state in ns (0; -1 when the schema's edits cannot be set up). */
int sched_state_copy(const sctx *c, sched_state *ns);
void sched_state_free(sched_state *ns);
/* Computes ns, renders it and writes the change with reason (history, step rows, links,
 * planned completion) in one statement; answers after commit (409 on a concurrent change,
 * field naming the input on a cycle). */
void sched_commit_state(sctx *c, sched_state *ns, const char *reason, const char *field);

/* The index of c->key in the schema, or -1 after a 404 problem naming key. */
int32_t sched_step_or_404(sctx *c);
/* The body's reason, or dflt when none was given. */
const char *sched_body_reason(sctx *c, const char *dflt);
/* Parses the JSON object body (members in allowed; an empty body is {} when !required) into
 * c->body, with the optional reason checked; false after a problem was sent. */
bool sched_parse_body(sctx *c, bool required, const char *const *allowed);

#endif
