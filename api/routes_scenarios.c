/*
 * Routes of what-if and scenarios: compute a schedule with changes (nothing stored), save,
 * list, compare, apply and delete named scenarios (docs/api.md "Scheduling").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "api_internal.h"
#include "authz.h"
#include "checks.h"
#include "handlers.h"
#include "paging.h"
#include "routes_forecast.h"
#include "routes_scenarios_sql.h"
#include "schedule_ctx.h"
#include "whatif.h"

/* Applies a changes array to a copy of the sched_state; sends the problem and returns -1 on error. */
static int apply_changes(sctx *c, const json_t *changes, sched_state *ns, bs_schedule *s) {
    char field[128], msg[512];
    if (sched_state_copy(c, ns) != 0) abort();
    const bs_calendar *cal = &c->api->engine->calendar;
    if (bs_whatif_apply_in(&ns->edit, c->schema, changes, cal->first_day, cal->last_day, field, sizeof field, msg,
                           sizeof msg) != 0) {
        bs__fail_as(c->req, BS_EINVAL, NULL, "Invalid change", field, "%s", msg);
        sched_state_free(ns);
        return -1;
    }
    bs_schedule_err e = sched_compute(c, ns->progress, &ns->edit, s);
    if (e == BS_SCHEDULE_ECYCLE) {
        sched_cycle_problem(c, s, "changes");
        bs_schedule_free(s);
        sched_state_free(ns);
        return -1;
    }
    if (e != BS_SCHEDULE_OK) {
        bs__fail_as(c->req, BS_EINVAL, "schedule_failed", "Schedule could not be computed", "changes", "%s",
                    bs_schedule_strerror(e));
        sched_state_free(ns);
        return -1;
    }
    return 0;
}

/* The project finish's shift in working days (after - before, boundaries as the milestone
 * shifts), or null when either plan has no open work left. */
static json_t *finish_shift(const sctx *c, const bs_schedule *s0, const bs_schedule *s1) {
    if (s0->project_finish == BS_DAY_NONE || s1->project_finish == BS_DAY_NONE) return json_null();
    const bs_calendar *cal = c->cal ? c->cal : &c->api->engine->calendar;
    return json_integer(bs_calendar_boundary_after(cal, s1->project_finish) -
                        bs_calendar_boundary_after(cal, s0->project_finish));
}

/* what-if / compare: {schedule, milestone_shifts} without saving. */
static json_t *whatif_result(sctx *c, const json_t *changes, bool *ok, sched_state *keep) {
    sched_state ns;
    bs_schedule s1, s0;
    *ok = false;
    if (apply_changes(c, changes, &ns, &s1) != 0) return NULL;
    if (sched_compute(c, c->progress, &c->edit, &s0) != BS_SCHEDULE_OK) {
        bs__fail_as(c->req, BS_EINTERNAL, "schedule_failed", "Schedule could not be computed", NULL,
                    "current schedule");
        bs_schedule_free(&s1);
        sched_state_free(&ns);
        return NULL;
    }
    json_t *o = json_object();
    json_object_set_new(o, "schedule", sched_render(c, ns.progress, &ns.edit, ns.planned, &s1));
    json_object_set_new(o, "milestone_shifts", sched_milestone_shifts(c, c->progress, &s0, ns.progress, &s1));
    json_object_set_new(o, "project_finish_before", bs_date_json(s0.project_finish));
    json_object_set_new(o, "project_finish_after", bs_date_json(s1.project_finish));
    json_object_set_new(o, "project_finish_shift_working_days", finish_shift(c, &s0, &s1));
    bs_schedule_free(&s0);
    bs_schedule_free(&s1);
    if (keep)
        *keep = ns; /* the caller needs the what-if network (forecast shifts) */
    else
        sched_state_free(&ns);
    *ok = true;
    return o;
}

/* A what-if waiting for its forecast shifts (docs/forecasting.md) from the thread pool. */
typedef struct whatif_job {
    sctx *c;
    json_t *o;      /* the response so far */
    sched_state ns; /* the what-if network; alive until the callback */
} whatif_job;

static void whatif_shifts_done(json_t *shifts, const char *err, void *arg) {
    whatif_job *w = arg;
    if (shifts) {
        json_object_set_new(w->o, "forecast_shifts", shifts);
    } else {
        json_object_set_new(w->o, "forecast_shifts", json_null());
        json_object_set_new(w->o, "forecast_error", json_string(err ? err : "forecast failed"));
    }
    bs__respond_json(w->c->req, 200, w->o);
    sched_state_free(&w->ns);
    sctx_free(w->c);
    free(w);
}

static void scen_saved(const PGresult *res, const char *err, void *arg) {
    sctx *c = arg;
    if (err && strstr(err, "scenarios_project_id_name_key")) {
        bs__fail_as(c->req, BS_ECONFLICT, "duplicate", "Scenario exists", "name",
                    "This project already has a scenario with this name");
    } else if (err) {
        bs__problem_db(c->req, err);
    } else {
        json_t *o = c->pending;
        c->pending = NULL;
        json_object_set_new(o, "id", json_string(PQgetvalue(res, 0, 0)));
        json_object_set_new(o, "created_at", json_string(PQgetvalue(res, 0, 1)));
        bs__respond_json(c->req, 201, o);
    }
    sctx_free(c);
}

static void do_scen_save(sctx *c) {
    json_t *name = json_object_get(c->body, "name");
    if (!json_is_string(name) || !*json_string_value(name) || strlen(json_string_value(name)) > 200) {
        bs__fail(c->req, BS_EREQUIRED, "name", "name is required: 1 to 200 characters");
        return sctx_free(c);
    }
    json_t *changes = json_object_get(c->body, "changes");
    bool ok;
    json_t *o = whatif_result(c, changes, &ok, NULL);
    if (!ok) return sctx_free(c);
    json_object_set_new(o, "name", json_incref(name));
    json_object_set_new(o, "changes", json_incref(changes));
    json_object_set_new(o, "created_by", json_string(c->who));
    c->pending = o;
    char *ct = bs_json_dumps(changes, JSON_COMPACT);
    const char *params[4] = {c->id, json_string_value(name), ct, c->who};
    bs__store_write(c->api, c->req, &SQL_SCENARIO_INSERT, params, scen_saved, c);
    free(ct);
}

static bool scenario_or_404(sctx *c) {
    if (!c->scenario) {
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Scenario not found", "scenario_id",
                    "This project has no scenario with this id");
        return false;
    }
    return true;
}

/* The what-if answer of changes with its forecast shifts; extra (stolen, may be NULL) is added
 * to it as "scenario". Answers once the forecast is done. */
static void whatif_answer(sctx *c, const json_t *changes, json_t *extra) {
    bool ok;
    whatif_job *w = bs_calloc(1, sizeof *w);
    w->c = c;
    w->o = whatif_result(c, changes, &ok, &w->ns);
    if (!ok) {
        json_decref(extra);
        free(w);
        sctx_free(c);
        return;
    }
    if (extra) json_object_set_new(w->o, "scenario", extra);
    /* P50/P80 with and without the changes, same seed (common random numbers) */
    bs__forecast_shifts(c->api, c->id, c->schema, c->progress, c->progress_date, c->data_date, c->cal,
                        bs_schedule_with_edit, &c->edit, bs_schedule_with_edit, &w->ns.edit,
                        BS_FORECAST_DEFAULT_SAMPLES, 1, whatif_shifts_done, w);
}

static void do_whatif(sctx *c) {
    whatif_answer(c, json_object_get(c->body, "changes"), NULL);
}

static void do_scen_compare(sctx *c) {
    if (!scenario_or_404(c)) return sctx_free(c);
    whatif_answer(c, json_object_get(c->scenario, "changes"), json_incref(c->scenario));
}

static void do_scen_apply(sctx *c) {
    if (!scenario_or_404(c)) return sctx_free(c);
    sched_state ns;
    bs_schedule s;
    if (apply_changes(c, json_object_get(c->scenario, "changes"), &ns, &s) != 0) return sctx_free(c);
    bs_schedule_free(&s);
    char reason[300];
    snprintf(reason, sizeof reason, "%s", sched_body_reason(c, ""));
    if (!reason[0])
        snprintf(reason, sizeof reason, "scenario '%.200s' applied",
                 json_string_value(json_object_get(c->scenario, "name")));
    sched_commit_state(c, &ns, reason, "scenario_id");
}

static void list_scenarios(sctx *c) {
    bs_page *pg = bs__page_new(c->req);
    if (pg) {
        pg->nf_title = "Project not found";
        pg->nf_field = "id";
        pg->nf_detail = "No project with this id";
        const char *params[3] = {c->id, pg->limit, pg->offset};
        bs_store_exec(c->api->store, &SQL_SCENARIO_LIST, params, bs__page_query_done, pg);
    }
    sctx_free(c);
}

static void scen_deleted(const PGresult *res, const char *err, void *arg) {
    sctx *c = arg;
    if (err)
        bs__problem_db(c->req, err);
    else if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "0") == 0)
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Scenario not found", "scenario_id",
                    "This project has no scenario with this id");
    else if (strcmp(PQgetvalue(res, 0, 1), "0") == 0)
        bs__fail(c->req, BS_EFORBIDDEN, "scenario_id", "Only the scenario's creator or a project lead may delete it");
    else
        bs_req_respond(c->req, 204, NULL, "", 0, NULL);
    sctx_free(c);
}

/* DELETE of a saved scenario: the gate let through project write (docs/security.md §4); of
 * those, its creator (scenarios.created_by, the e-mail of the caller that saved it) or a
 * project lead may delete it, others get 403. One statement; the audit trigger on scenarios
 * records the deleted row (its id and name) with the caller as actor. Answers 204, or 404
 * when this project has no scenario with that id (also one of another project). */
static void do_scen_delete(sctx *c) {
    const bs_principal *pr = bs__principal(c->req);
    const char *params[4] = {c->sid, c->id, pr->access >= BS_ACCESS_LEAD ? "t" : "f", c->who};
    bs__store_write(c->api, c->req, &SQL_SCENARIO_DELETE, params, scen_deleted, c);
}

/* A body with "changes" (what-if: only that; a scenario: with a name). */
static bool decode_changes(sctx *c, bool named) {
    static const char *const whatif[] = {"changes", NULL};
    static const char *const scenario[] = {"name", "changes", NULL};
    if (!sched_parse_body(c, true, named ? scenario : whatif)) return false;
    if (json_is_array(json_object_get(c->body, "changes"))) return true;
    bs__fail(c->req, BS_EREQUIRED, "changes", "changes is required: an array of {\"op\": …} objects (may be empty)");
    return false;
}

static bool decode_apply(sctx *c) {
    static const char *const allowed[] = {"reason", NULL};
    return sched_parse_body(c, false, allowed);
}

void bs__what_if(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_WHATIF, do_whatif);
    sched_load_if(c, decode_changes(c, false));
}

void bs__list_scenarios(bs_api *api, bs_req *req, const bs_path *path) {
    list_scenarios(sctx_new(api, req, path, K_SCEN_LIST, NULL));
}

void bs__save_scenario(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_SCEN_SAVE, do_scen_save);
    sched_load_if(c, decode_changes(c, true));
}

void bs__compare_scenario(bs_api *api, bs_req *req, const bs_path *path) {
    sched_load(sctx_new(api, req, path, K_SCEN_COMPARE, do_scen_compare));
}

void bs__apply_scenario(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_SCEN_APPLY, do_scen_apply);
    sched_load_if(c, decode_apply(c));
}

void bs__delete_scenario(bs_api *api, bs_req *req, const bs_path *path) {
    do_scen_delete(sctx_new(api, req, path, K_SCEN_DELETE, NULL));
}
