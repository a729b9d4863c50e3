/*
 * Routes of step updates: start, complete and correct (PATCH) one step of a project's
 * schedule (docs/api.md "Scheduling"). Each decodes its body, loads the project state
 * (schedule_ctx.h) and writes the change in one conditional statement.
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
#include "schedule_ctx.h"
#include "whatif.h"

static void do_start_complete(sctx *c) {
    int32_t i = sched_step_or_404(c);
    if (i < 0) return sctx_free(c);
    const bs_progress *p = &c->progress[i];
    char d[300], a[11], b[11];
    bool complete = c->kind == K_COMPLETE;
    if (p->status == BS_STATUS_SKIPPED) {
        snprintf(d, sizeof d, "Step '%s' does not apply to this project (make it apply with PATCH \"applies\": true)",
                 c->key);
        bs__fail_as(c->req, BS_ECONFLICT, "not_applicable", "Step does not apply", "key", "%s", d);
        return sctx_free(c);
    }
    if (complete && p->status == BS_STATUS_DONE && p->actual_finish != BS_DAY_NONE) {
        if (p->actual_finish == c->date) {
            sched_send_schedule(c);
        } else {
            snprintf(d, sizeof d,
                     "Step '%s' was already completed on %s; a different date (%s) is a correction (PATCH)", c->key,
                     bs_date_format(p->actual_finish, a), bs_date_format(c->date, b));
            bs__fail_as(c->req, BS_ECONFLICT, "already_completed", "Step already completed", "date", "%s", d);
        }
        return sctx_free(c);
    }
    if (!complete && p->status == BS_STATUS_DONE) {
        snprintf(d, sizeof d, "Step '%s' is already realised", c->key);
        bs__fail_as(c->req, BS_ECONFLICT, "already_completed", "Step already completed", "key", "%s", d);
        return sctx_free(c);
    }
    if (!complete && p->status == BS_STATUS_STARTED && p->actual_start != BS_DAY_NONE) {
        if (p->actual_start == c->date) {
            sched_send_schedule(c);
        } else {
            snprintf(d, sizeof d, "Step '%s' was already started on %s; a different date (%s) is a correction (PATCH)",
                     c->key, bs_date_format(p->actual_start, a), bs_date_format(c->date, b));
            bs__fail_as(c->req, BS_ECONFLICT, "already_started", "Step already started", "date", "%s", d);
        }
        return sctx_free(c);
    }
    if (complete && p->actual_start != BS_DAY_NONE && c->date < p->actual_start) {
        snprintf(d, sizeof d, "date %s is before the step's actual start %s", bs_date_format(c->date, a),
                 bs_date_format(p->actual_start, b));
        bs__fail_as(c->req, BS_EINVAL, NULL, "Invalid date", "date", "%s", d);
        return sctx_free(c);
    }
    sched_state ns;
    if (sched_state_copy(c, &ns) != 0) abort();
    bs_progress *q = &ns.progress[i];
    if (complete) {
        q->status = BS_STATUS_DONE;
        q->actual_finish = c->date;
        q->actual_estimated = false;
    } else {
        q->status = BS_STATUS_STARTED;
        q->actual_start = c->date;
        q->actual_estimated = false;
    }
    sched_commit_state(c, &ns, sched_body_reason(c, complete ? "completed" : "started"), "date");
}

/* PATCH fields: name, kind (0 date, 1 duration). */
static const struct {
    const char *name;
    int kind;
} patch_fields[] = {
    {"actual_start", 0},          {"actual_finish", 0},        {"planned_start", 0},      {"planned_finish", 0},
    {"start_no_earlier_than", 0}, {"finish_no_later_than", 0}, {"remaining_duration", 1}, {"duration", 1},
};

/* "applies": false skips an optional OPEN step (it leaves the schedule as a pass-through,
 * docs/scheduling.md §5.7), true brings a skipped step back as OPEN. Only optional steps can
 * be skipped (422 applies); a started or realised step cannot (409 has_progress: its facts
 * would be lost; correct them first). Asking for the state the step is in changes nothing.
 * Returns false after sending a problem. */
static bool patch_applies(sctx *c, int32_t i, bs_progress *q, bool applies) {
    const bs_step *st = &c->schema->steps[i];
    char d[300];
    if (applies) {
        if (q->status == BS_STATUS_SKIPPED) *q = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
        return true;
    }
    if (q->status == BS_STATUS_SKIPPED) return true;
    if (!st->optional) {
        snprintf(d, sizeof d, "Step '%s' is not optional in process schema %s: only optional steps can be skipped",
                 c->key, c->schema->key);
        bs__fail_as(c->req, BS_EINVAL, "not_optional", "Step is not optional", "applies", "%s", d);
        return false;
    }
    if (q->status != BS_STATUS_OPEN) {
        snprintf(d, sizeof d,
                 "Step '%s' is %s: a step with an actual start or finish cannot be skipped; "
                 "remove its actual dates first (PATCH actual_start/actual_finish null)",
                 c->key, bs_status_name(q->status));
        bs__fail_as(c->req, BS_ECONFLICT, "has_progress", "Step has progress", "applies", "%s", d);
        return false;
    }
    q->status = BS_STATUS_SKIPPED;
    return true;
}

static void do_patch(sctx *c) {
    int32_t i = sched_step_or_404(c);
    if (i < 0) return sctx_free(c);
    const bs_step *st = &c->schema->steps[i];
    char d[300], a[11], b[11];
    json_t *japplies = json_object_get(c->body, "applies");
    if (c->progress[i].status == BS_STATUS_SKIPPED && !json_is_boolean(japplies)) {
        snprintf(d, sizeof d, "Step '%s' does not apply to this project (make it apply with \"applies\": true)",
                 c->key);
        bs__fail_as(c->req, BS_ECONFLICT, "not_applicable", "Step does not apply", "key", "%s", d);
        return sctx_free(c);
    }
    sched_state ns;
    if (sched_state_copy(c, &ns) != 0) abort();
    bs_progress *q = &ns.progress[i];
    if (japplies && !patch_applies(c, i, q, json_is_true(japplies))) goto bad;
    bs_step_override *ov = &ns.edit.ov[i];
    bs_day today = c->api->today(c->api->today_arg);
    for (size_t f = 0; f < sizeof patch_fields / sizeof patch_fields[0]; f++) {
        const char *name = patch_fields[f].name;
        json_t *v = json_object_get(c->body, name);
        if (!v) continue;
        if (patch_fields[f].kind == 1) {
            if (!json_is_null(v) &&
                (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 36500)) {
                snprintf(d, sizeof d,
                         "%s must be an integer number of days from 0 to 36500 (in the step's unit, %s), or null", name,
                         st->unit == BS_UNIT_CALENDAR_DAYS ? "calendar days" : "working days");
                bs__fail(c->req, BS_EINVAL, name, "%s", d);
                goto bad;
            }
            int32_t n = json_is_null(v) ? -1 : (int32_t)json_integer_value(v);
            if (strcmp(name, "duration") == 0) {
                if (st->milestone && n > 0) {
                    snprintf(d, sizeof d, "Step '%s' is a milestone: its duration is 0", c->key);
                    bs__fail(c->req, BS_EINVAL, name, "%s", d);
                    goto bad;
                }
                ov->duration = n;
            } else {
                if (n >= 0 && q->status != BS_STATUS_STARTED) {
                    snprintf(d, sizeof d, "remaining_duration applies to a started step; '%s' is %s", c->key,
                             bs_status_name(q->status));
                    bs__fail_as(c->req, BS_ECONFLICT, "not_started", "Step not started", name, "%s", d);
                    goto bad;
                }
                ov->remaining = n;
            }
            continue;
        }
        bs_day dv = BS_DAY_NONE;
        if (!json_is_null(v) && (dv = bs_json_date(v)) == BS_DAY_NONE) {
            snprintf(d, sizeof d, "%s must be an existing date YYYY-MM-DD or null", name);
            bs__fail_as(c->req, BS_EINVAL, NULL, "Invalid date", name, "%s", d);
            goto bad;
        }
        if (dv != BS_DAY_NONE && !bs__date_in_calendar(c->req, c->api, BS_EINVAL, name, dv)) goto bad;
        if (strncmp(name, "actual_", 7) == 0 && dv != BS_DAY_NONE && dv > today) {
            snprintf(d, sizeof d, "%s %s is after today (%s); an actual date cannot lie in the future", name,
                     bs_date_format(dv, a), bs_date_format(today, b));
            bs__fail_as(c->req, BS_EINVAL, "date_in_future", "Invalid date", name, "%s", d);
            goto bad;
        }
        if (strcmp(name, "actual_start") == 0) {
            q->actual_start = dv;
            if (dv != BS_DAY_NONE && q->status == BS_STATUS_OPEN) q->status = BS_STATUS_STARTED;
            if (dv == BS_DAY_NONE && q->status == BS_STATUS_STARTED) q->status = BS_STATUS_OPEN;
        } else if (strcmp(name, "actual_finish") == 0) {
            q->actual_finish = dv;
            if (dv != BS_DAY_NONE) {
                q->status = BS_STATUS_DONE;
                q->actual_estimated = false;
            } else if (q->status == BS_STATUS_DONE) {
                q->status = q->actual_start != BS_DAY_NONE ? BS_STATUS_STARTED : BS_STATUS_OPEN;
                q->actual_estimated = false;
            }
        } else if (strcmp(name, "planned_start") == 0) {
            ns.planned[2 * i] = dv;
        } else if (strcmp(name, "planned_finish") == 0) {
            ns.planned[2 * i + 1] = dv;
        } else if (strcmp(name, "start_no_earlier_than") == 0) {
            ov->snet = dv;
        } else {
            ov->fnlt = dv;
        }
    }
    if (q->actual_start != BS_DAY_NONE && q->actual_finish != BS_DAY_NONE && q->actual_finish < q->actual_start) {
        snprintf(d, sizeof d, "actual_finish %s is before actual_start %s", bs_date_format(q->actual_finish, a),
                 bs_date_format(q->actual_start, b));
        bs__fail_as(c->req, BS_EINVAL, NULL, "Invalid date", "actual_finish", "%s", d);
        goto bad;
    }
    if (ns.planned[2 * i] != BS_DAY_NONE && ns.planned[2 * i + 1] != BS_DAY_NONE &&
        ns.planned[2 * i + 1] < ns.planned[2 * i]) {
        bs__fail_as(c->req, BS_EINVAL, NULL, "Invalid date", "planned_finish",
                    "planned_finish is before planned_start");
        goto bad;
    }
    if (q->status != BS_STATUS_STARTED) ov->remaining = -1;
    sched_commit_state(c, &ns, sched_body_reason(c, ""), japplies ? "applies" : "key");
    return;
bad:
    sched_state_free(&ns);
    sctx_free(c);
}

static bool parse_date_field(sctx *c) {
    json_t *jd = json_object_get(c->body, "date");
    if (!jd) {
        bs__fail(c->req, BS_EREQUIRED, "date", "date is required (YYYY-MM-DD)");
        return false;
    }
    if ((c->date = bs_json_date(jd)) == BS_DAY_NONE) {
        bs__fail_as(c->req, BS_EINVAL, NULL, "Invalid date", "date",
                    "date must be an existing calendar date YYYY-MM-DD");
        return false;
    }
    if (!bs__date_in_calendar(c->req, c->api, BS_EINVAL, "date", c->date)) return false;
    bs_day today = c->api->today(c->api->today_arg);
    if (c->date > today) {
        char d[200], a[11], b[11];
        snprintf(d, sizeof d, "date %s is after today (%s); an actual date cannot lie in the future",
                 bs_date_format(c->date, a), bs_date_format(today, b));
        bs__fail_as(c->req, BS_EINVAL, "date_in_future", "Invalid date", "date", "%s", d);
        return false;
    }
    json_t *r = json_object_get(c->body, "reason");
    if (r && !json_is_string(r)) {
        bs__fail(c->req, BS_EINVAL, "reason", "reason must be a string");
        return false;
    }
    return true;
}

static bool decode_date_body(sctx *c) {
    static const char *const allowed[] = {"date", "reason", NULL};
    return sched_parse_body(c, true, allowed) && parse_date_field(c);
}

static bool decode_patch(sctx *c) {
    static const char *const allowed[] = {"reason",
                                          "actual_start",
                                          "actual_finish",
                                          "planned_start",
                                          "planned_finish",
                                          "start_no_earlier_than",
                                          "finish_no_later_than",
                                          "remaining_duration",
                                          "duration",
                                          "applies",
                                          NULL};
    if (!sched_parse_body(c, true, allowed)) return false;
    json_t *ap = json_object_get(c->body, "applies");
    const char *reason;
    if (!bs__reason_field(c->req, c->body, true, &reason)) return false;
    if (json_object_size(c->body) < 2) {
        bs__fail_as(c->req, BS_EREQUIRED, NULL, "Nothing to change", "body",
                    "give at least one of actual_start, actual_finish, planned_start, planned_finish, "
                    "start_no_earlier_than, finish_no_later_than, remaining_duration, duration, applies");
        return false;
    }
    if (ap && !json_is_boolean(ap)) {
        bs__fail(c->req, BS_EINVAL, "applies",
                 "applies must be true (the step applies to this project) or false (skip it)");
        return false;
    }
    if (json_is_false(ap) && json_object_size(c->body) > 2) {
        bs__fail(c->req, BS_EINVAL, "applies", "\"applies\": false skips the step: send it with a reason only");
        return false;
    }
    return true;
}

void bs__patch_step(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_PATCH, do_patch);
    sched_load_if(c, decode_patch(c));
}

void bs__start_step(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_START, do_start_complete);
    sched_load_if(c, decode_date_body(c));
}

void bs__complete_step(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_COMPLETE, do_start_complete);
    sched_load_if(c, decode_date_body(c));
}
