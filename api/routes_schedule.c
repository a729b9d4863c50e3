/*
 * Routes of scheduling: the schedule, its history and its quality checks, and the shared
 * machinery of every scheduling request (schedule_ctx.h): loading the project state,
 * scheduling it, writing a change. Steps: routes_steps.c; what-if and scenarios:
 * routes_scenarios.c. docs/api.md "Scheduling", docs/scheduling.md.
 *
 *   GET   /api/v1/projects/{id}/schedule[?known_on=YYYY-MM-DD&near_critical_days=N]
 *   POST  /api/v1/projects/{id}/steps/{key}/start      {"date", "reason"?}
 *   POST  /api/v1/projects/{id}/steps/{key}/complete   {"date", "reason"?}
 *   PATCH /api/v1/projects/{id}/steps/{key}            {"reason", fields…, "applies"?}
 *   GET   /api/v1/projects/{id}/history[?step=KEY]
 *   POST  /api/v1/projects/{id}/what-if                {"changes": […]}
 *   GET   /api/v1/projects/{id}/scenarios
 *   POST  /api/v1/projects/{id}/scenarios              {"name", "changes"}
 *   GET   /api/v1/projects/{id}/scenarios/{sid}/compare
 *   POST  /api/v1/projects/{id}/scenarios/{sid}/apply  {"reason"?}
 *   DELETE /api/v1/projects/{id}/scenarios/{sid}       (its creator, or a project lead)
 *   GET   /api/v1/projects/{id}/checks[?thresholds]
 *
 * Every state change is one SQL statement (one transaction) that writes the step rows, the
 * project's link set, the history rows (who, when, old, new, reason) and the cached
 * planned completion together, conditional on the project's schedule_version (a concurrent
 * change loses with 409); the response is sent after it committed.
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
#include "routes_schedule_sql.h"
#include "schedule_ctx.h"
#include "state_cache.h"
#include "whatif.h"

void sctx_free(sctx *c) {
    json_decref(c->body);
    json_decref(c->scenario);
    json_decref(c->pending);
    free(c->progress);
    free(c->planned);
    bs_sched_edit_free(&c->edit);
    if (c->written) sched_state_free(c->written);
    free(c->written);
    free(c);
}

/* ---- computing and rendering ---- */

bs_schedule_err sched_compute(const sctx *c, const bs_progress *progress, const bs_sched_edit *e, bs_schedule *out) {
    bs_schedule_input in = {.schema = c->schema,
                            .progress = progress,
                            .overrides = e->ov,
                            .links = e->links,
                            .n_links = e->n_links,
                            .progress_date = c->progress_date,
                            .data_date = c->data_date,
                            .cal = c->cal ? c->cal : &c->api->engine->calendar,
                            .near_critical_wd = (int32_t)c->near_critical};
    return bs_schedule_compute_ex(&in, out);
}

static void stream_filter(const sctx *c, json_t *o);

json_t *sched_render(const sctx *c, const bs_progress *progress, const bs_sched_edit *e, const bs_day *planned,
                     const bs_schedule *s) {
    json_t *o = bs_schedule_to_json(c->schema, progress, s);
    bs_sched_edit_annotate(o, c->schema, e);
    json_t *steps = json_object_get(o, "steps");
    for (int32_t i = 0; i < c->schema->n_steps; i++) {
        json_t *st = json_array_get(steps, (size_t)i);
        json_object_set_new_nocheck(st, "planned_start", bs_date_json(planned[2 * i]));
        json_object_set_new_nocheck(st, "planned_finish", bs_date_json(planned[2 * i + 1]));
    }
    json_object_set_new_nocheck(o, "project_id", json_string(c->id));
    json_object_set_new_nocheck(o, "process_schema", json_string(c->schema->key));
    return o;
}

/* 409 problem naming the cycle a -> b -> … -> a. */
void sched_cycle_problem(sctx *c, const bs_schedule *s, const char *field) {
    char d[1024];
    size_t off = (size_t)snprintf(d, sizeof d, "The links would form a cycle: ");
    json_t *path = json_array();
    for (int32_t k = 0; k <= s->n_cycle && off < sizeof d; k++) {
        const char *key = c->schema->steps[s->cycle[k % s->n_cycle]].key;
        off += (size_t)snprintf(d + off, sizeof d - off, "%s%s", k ? " -> " : "", key);
        json_array_append_new(path, json_string(key));
    }
    (void)path;
    json_decref(path);
    bs__fail_as(c->req, BS_ECONFLICT, "cycle", "Cycle in the links", field, "%s", d);
}

/* Milestone shifts between two schedules, in working days (after - before, early finish). */
json_t *sched_milestone_shifts(const sctx *c, const bs_progress *p0, const bs_schedule *s0, const bs_progress *p1,
                               const bs_schedule *s1) {
    json_t *a = json_array();
    for (int32_t i = 0; i < c->schema->n_steps; i++) {
        if (!c->schema->steps[i].milestone) continue;
        const bs_step_result *r0 = &s0->steps[i], *r1 = &s1->steps[i];
        json_t *o = json_object();
        json_object_set_new(o, "step", json_string(c->schema->steps[i].key));
        json_object_set_new(o, "before", bs_date_json(r0->early_finish));
        json_object_set_new(o, "after", bs_date_json(r1->early_finish));
        bool both = p0[i].status != BS_STATUS_SKIPPED && p1[i].status != BS_STATUS_SKIPPED &&
                    r0->early_finish != BS_DAY_NONE && r1->early_finish != BS_DAY_NONE;
        json_object_set_new(o, "shift_working_days", both ? json_integer(r1->ef_b - r0->ef_b) : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- loading ---- */

static void dispatch(sctx *c);
static void loaded_stamp_row(const PGresult *res, const char *err, void *arg);

/* stale_progress: months without a progress report (organisations.stale_after_months) */
#define BS_STALE_AFTER_MONTHS_DEFAULT 6

static int link_from_json(const sctx *c, const json_t *o, int32_t succ, bs_link *l) {
    return bs_link_from_json(c->schema, o, succ, l);
}

static json_t *link_json(const sctx *c, const bs_link *l) {
    json_t *o = json_object();
    json_object_set_new(o, "pred", json_string(c->schema->steps[l->pred].key));
    json_object_set_new(o, "type", json_string(bs_link_type_name(l->type)));
    json_object_set_new(o, "lag", json_integer(l->lag));
    json_object_set_new(o, "lag_unit", json_string(bs_unit_name(l->lag_unit)));
    return o;
}

/* Reverts one history row (known_on reconstruction). */
static void revert(sctx *c, const json_t *h) {
    const char *key = json_string_value(json_object_get(h, "step_key"));
    const char *field = json_string_value(json_object_get(h, "field"));
    const char *old = json_string_value(json_object_get(h, "old_value")); /* NULL = none */
    if (field && strcmp(field, "progress_date") == 0) {
        bs_day d = BS_DAY_NONE;
        if (old && bs_date_parse(old, &d) == 0) c->progress_date = d;
        return;
    }
    int32_t i = key ? bs_schema_find(c->schema, key) : -1;
    if (i < 0 || !field) return;
    bs_progress *p = &c->progress[i];
    bs_step_override *ov = &c->edit.ov[i];
    bs_day d = BS_DAY_NONE;
    if (old) bs_date_parse(old, &d);
    int32_t n = old ? atoi(old) : -1;
    if (strcmp(field, "status") == 0) {
        if (!old || bs_status_parse(old, &p->status) != 0) p->status = BS_STATUS_OPEN;
    } else if (strcmp(field, "actual_start") == 0) {
        p->actual_start = d;
    } else if (strcmp(field, "actual_finish") == 0) {
        p->actual_finish = d;
    } else if (strcmp(field, "actual_estimated") == 0) {
        p->actual_estimated = old && strcmp(old, "true") == 0;
    } else if (strcmp(field, "remaining_duration") == 0) {
        ov->remaining = n;
    } else if (strcmp(field, "duration") == 0) {
        ov->duration = n;
    } else if (strcmp(field, "start_no_earlier_than") == 0) {
        ov->snet = d;
    } else if (strcmp(field, "finish_no_later_than") == 0) {
        ov->fnlt = d;
    } else if (strcmp(field, "planned_start") == 0) {
        c->planned[2 * i] = d;
    } else if (strcmp(field, "planned_finish") == 0) {
        c->planned[2 * i + 1] = d;
    } else if (strcmp(field, "link") == 0) {
        /* undo: remove the new link (if any), put the old one (if any) back */
        const char *nv = json_string_value(json_object_get(h, "new_value"));
        json_t *nref = nv ? json_loads(nv, 0, NULL) : NULL;
        json_t *oref = old ? json_loads(old, 0, NULL) : NULL;
        bs_link l;
        if (nref && link_from_json(c, nref, i, &l) == 0) {
            int32_t at = bs_sched_edit_find_link_typed(&c->edit, l.pred, i, l.type);
            if (at >= 0) c->edit.links[at] = c->edit.links[--c->edit.n_links];
        }
        if (oref && link_from_json(c, oref, i, &l) == 0) {
            if (c->edit.n_links < c->edit.cap_links) {
                c->edit.links[c->edit.n_links++] = l;
            } else {
                bs_link *nl = bs_realloc(c->edit.links, sizeof *nl * ((size_t)c->edit.cap_links * 2 + 8));
                if (nl) {
                    c->edit.links = nl;
                    c->edit.cap_links = c->edit.cap_links * 2 + 8;
                    c->edit.links[c->edit.n_links++] = l;
                }
            }
        }
        json_decref(nref);
        json_decref(oref);
    }
}

/* Reverts a move to another schema version (known_on before it; migration 0035): the state
 * becomes the history row's snapshot of the state before, planned with the old version. The
 * progress date stays as reverted so far. */
static void revert_migration(sctx *c, const json_t *doc, const json_t *h) {
    const json_t *snap = json_object_get(h, "snapshot");
    if (!json_is_object(snap)) return;
    json_t *d = json_deep_copy(doc);
    json_object_set(d, "schema_version", json_object_get(snap, "version"));
    json_object_set(d, "steps", json_object_get(snap, "steps"));
    json_object_set(d, "links", json_object_get(snap, "links"));
    json_object_set(d, "custom_links", json_object_get(snap, "custom_links"));
    bs_project_state st;
    int rc = bs_project_state_parse(c->api->engine, d, BS_DAY_NONE, &st);
    json_decref(d);
    if (rc != 0) {
        bs_project_state_free(&st);
        return;
    }
    free(c->progress);
    free(c->planned);
    bs_sched_edit_free(&c->edit);
    c->schema = st.schema;
    c->progress = st.progress;
    c->planned = st.planned;
    c->edit = st.edit;
}

/* ---- the state cache (state_cache.h) ---- */

struct bs_state_cache *bs__state_cache(bs_api *api) {
    if (!api->state_cache) api->state_cache = bs_state_cache_new(BS_STATE_CACHE_ENTRIES, BS_STATE_CACHE_BYTES);
    return api->state_cache;
}

long long bs__state_cache_stamp(bs_api *api, const char *project_id) {
    return bs_state_cache_stamp(bs__state_cache(api), project_id);
}

static bool is_step_write(const sctx *c) {
    return c->kind == K_START || c->kind == K_COMPLETE || c->kind == K_PATCH;
}

/* c's state as a snapshot (borrowing c's arrays). */
static bs_state_snapshot snapshot_of(const sctx *c) {
    return (bs_state_snapshot){.schema = c->schema,
                               .cal = c->cal,
                               .progress = c->progress,
                               .planned = c->planned,
                               .edit = c->edit,
                               .progress_date = c->progress_date,
                               .version = c->version};
}

/* Takes a copy of the cached state s (at stamp) into c, its data date as of today, then dispatches. */
static void take_cached(sctx *c, const bs_state_snapshot *s, long long stamp, int stale_months) {
    bs_state_snapshot own;
    bs_state_snapshot_copy(s, &own);
    c->schema = own.schema;
    c->cal = own.cal;
    c->progress = own.progress;
    c->planned = own.planned;
    c->edit = own.edit;
    c->progress_date = own.progress_date;
    c->version = own.version;
    c->data_date = bs_data_date(c->progress_date, c->api->today(c->api->today_arg));
    c->stale_months = stale_months >= 0 ? stale_months : BS_STALE_AFTER_MONTHS_DEFAULT;
    c->cache_stamp = stamp;
    dispatch(c);
}

/* Takes over the state document text (SQL_SCHEDULE_LOAD's JSON) into c, then dispatches. stamp: the project's
 * forecast stamp read with it, when the text is the state as of now without a scenario (it is then cached at that
 * stamp); -1 otherwise. */
static void loaded_text(sctx *c, const char *text, long long stamp) {
    json_t *doc = json_loads(text, 0, NULL);
    bs_project_state st;
    bs_day today = c->has_known_on ? BS_DAY_NONE : c->api->today(c->api->today_arg);
    if (!doc || bs_project_state_parse(c->api->engine, doc, today, &st) != 0) {
        json_decref(doc);
        bs_project_state_free(&st);
        bs__fail(c->req, BS_EINTERNAL, NULL, "The project refers to an unknown process schema");
        sctx_free(c);
        return;
    }
    /* the request takes over the parsed sched_state */
    c->schema = st.schema;
    c->progress = st.progress;
    c->planned = st.planned;
    c->edit = st.edit;
    c->progress_date = st.progress_date;
    c->data_date = st.data_date;
    c->version = st.version;
    c->cal = st.cal;
    /* a read caches what it loaded; a step write does not: its commit moves the stamp, and it caches its new state
     * after the commit instead (cache_written) */
    if (stamp >= 0 && !is_step_write(c)) {
        bs_state_snapshot snap = snapshot_of(c);
        bs_state_cache_put(bs__state_cache(c->api), c->id, stamp, &snap);
        c->cache_stamp = stamp;
    }
    json_t *sm = json_object_get(doc, "stale_after_months");
    c->stale_months = json_is_integer(sm) ? (int)json_integer_value(sm) : BS_STALE_AFTER_MONTHS_DEFAULT;
    size_t k;
    json_t *row;
    json_array_foreach(json_object_get(doc, "later"), k, row) {
        const char *field = json_string_value(json_object_get(row, "field"));
        if (field && strcmp(field, "process_schema_version") == 0)
            revert_migration(c, doc, row);
        else
            revert(c, row);
    }
    /* the plan as it was on known_on: the facts as then known, planned from that day */
    if (c->has_known_on) c->data_date = bs_data_date(c->progress_date, c->known_on);
    json_t *scen = json_object_get(doc, "scenario");
    if (json_is_object(scen)) c->scenario = json_incref(scen);
    json_decref(doc);
    dispatch(c);
}

/* The state of c's project as of now without a scenario: stamp (its forecast stamp), stale_months (-1: NULL) and
 * text (its JSON, NULL when the state cache holds it at stamp). Takes it (or the cached one) into c and dispatches;
 * when the cache no longer holds it (evicted meanwhile), loads it again without the cache. */
static void loaded_stamped(sctx *c, long long stamp, int stale_months, const char *text) {
    c->state_stamp = stamp;
    if (text) {
        bs_state_cache_note_miss(bs__state_cache(c->api));
        loaded_text(c, text, stamp);
        return;
    }
    const bs_state_snapshot *s = bs_state_cache_get(bs__state_cache(c->api), c->id, stamp);
    if (s) {
        take_cached(c, s, stamp, stale_months);
        return;
    }
    const char *params[2] = {c->id, NULL};
    bs_store_exec(c->api->store, &SQL_SCHEDULE_LOAD_STAMP, params, loaded_stamp_row, c);
}

static bool load_failed(sctx *c, const PGresult *res, const char *err) {
    if (err) {
        bs__problem_db(c->req, err);
        sctx_free(c);
        return true;
    }
    if (PQntuples(res) == 0) {
        bs_state_cache_drop(bs__state_cache(c->api), c->id);
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Project not found", "id", "No project with this id");
        sctx_free(c);
        return true;
    }
    return false;
}

/* The row of SQL_SCHEDULE_LOAD_STAMP: stamp, stale_after_months, state or NULL (cached at stamp). */
static void loaded_stamp_row(const PGresult *res, const char *err, void *arg) {
    sctx *c = arg;
    if (load_failed(c, res, err)) return;
    loaded_stamped(c, strtoll(PQgetvalue(res, 0, 0), NULL, 10),
                   PQgetisnull(res, 0, 1) ? -1 : atoi(PQgetvalue(res, 0, 1)),
                   PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2));
}

static void loaded(const PGresult *res, const char *err, void *arg) {
    sctx *c = arg;
    if (load_failed(c, res, err)) return;
    loaded_text(c, PQgetvalue(res, 0, 0), -1);
}

void sched_load(sctx *c) {
    char kd[11], stamp[24];
    /* a step write or GET …/schedule: the gate loaded the state with its decision (SQL_GATE_STATE), or found it
     * cached */
    const bs_principal *pr = bs__principal(c->req);
    if (pr && pr->state_stamp >= 0 && (pr->state || pr->state_cached) && !c->has_known_on && !c->sid[0] &&
        (is_step_write(c) || c->kind == K_SCHEDULE)) {
        loaded_stamped(c, pr->state_stamp, pr->state_stale_months, pr->state);
        return;
    }
    if (!c->has_known_on && !c->sid[0]) { /* as of now: through the state cache */
        long long cached = bs__state_cache_stamp(c->api, c->id);
        snprintf(stamp, sizeof stamp, "%lld", cached);
        const char *params[2] = {c->id, cached >= 0 ? stamp : NULL};
        bs_store_exec(c->api->store, &SQL_SCHEDULE_LOAD_STAMP, params, loaded_stamp_row, c);
        return;
    }
    if (!c->has_known_on) {
        const char *now[2] = {c->id, c->sid};
        bs_store_exec(c->api->store, &SQL_SCHEDULE_LOAD_NOW, now, loaded, c);
        return;
    }
    const char *params[3] = {c->id, bs_date_format(c->known_on, kd), c->sid[0] ? c->sid : NULL};
    bs_store_exec(c->api->store, &SQL_SCHEDULE_LOAD, params, loaded, c);
}

/* ---- writing: one statement, conditional on the schedule version ---- */

/* After a committed write (res: SQL_SCHEDULE_WRITE's row): its stamp has moved. When the write proved that nothing
 * else had moved the stamp since the one its state was read at (the fifth column: the new stamp, set by the
 * conditional upsert fs; NULL when the unconditional fs2 moved it), the project's state in the database is the state
 * c read plus what c wrote (c->written): cached under the new stamp, so that the next request of the project finds
 * it. Otherwise (another writer moved the stamp in between, or nothing to cache) the entry is dropped. */
static void cache_written(sctx *c, const PGresult *res) {
    bs_state_cache *cache = bs__state_cache(c->api);
    if (!c->written || PQnfields(res) < 5 || PQgetisnull(res, 0, 4)) {
        bs_state_cache_drop(cache, c->id);
        return;
    }
    bs_state_snapshot s = {.schema = c->schema,
                           .cal = c->cal,
                           .progress = c->written->progress,
                           .planned = c->written->planned,
                           .edit = c->written->edit,
                           .progress_date = c->new_progress_date ? c->new_progress_date : c->progress_date,
                           .version = c->version + 1}; /* SQL_SCHEDULE_WRITE's chk: schedule_version + 1 */
    bs_state_cache_put(cache, c->id, strtoll(PQgetvalue(res, 0, 4), NULL, 10), &s);
}

static void written(const PGresult *res, const char *err, void *arg) {
    sctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (PQntuples(res) == 0) {
        bs__fail_as(c->req, BS_ECONFLICT, NULL, "Concurrent update", "id",
                    "The project's schedule was changed by another request at the same time; reload and retry");
    } else {
        if (bs__principal(c->req)->one_trip) bs__one_trip_proven(c->api, c->req); /* the statement ran the gate */
        bs__sweep_woken(c->api); /* committed: wake the forecast sweeps (bs__sweep_wake_setting) */
        cache_written(c, res);
        json_t *p = c->pending;
        c->pending = NULL;
        bs__respond_json(c->req, c->pending_status, p);
    }
    sctx_free(c);
}

static void hist_add(json_t *hist, const char *step, const char *field, json_t *old, json_t *nw) {
    char *o = NULL, *n = NULL;
    json_t *row = json_object();
    json_object_set_new(row, "ord", json_integer((json_int_t)json_array_size(hist)));
    json_object_set_new(row, "step_key", step ? json_string(step) : json_null());
    json_object_set_new(row, "field", json_string(field));
    if (json_is_string(old))
        json_object_set(row, "old", old);
    else if (json_is_null(old))
        json_object_set_new(row, "old", json_null());
    else
        json_object_set_new(row, "old", json_string(o = bs_json_dumps(old, JSON_COMPACT | JSON_ENCODE_ANY)));
    if (json_is_string(nw))
        json_object_set(row, "new", nw);
    else if (json_is_null(nw))
        json_object_set_new(row, "new", json_null());
    else
        json_object_set_new(row, "new", json_string(n = bs_json_dumps(nw, JSON_COMPACT | JSON_ENCODE_ANY)));
    free(o);
    free(n);
    json_decref(old);
    json_decref(nw);
    json_array_append_new(hist, row);
}

static json_t *int_or_null(int32_t v) {
    return v >= 0 ? json_integer(v) : json_null();
}

static json_t *text_int(int32_t v) {
    char b[16];
    snprintf(b, sizeof b, "%d", v);
    return v >= 0 ? json_string(b) : json_null();
}

/* Appends to rows the stored row of every step whose progress, overrides or planned dates
 * differ between the loaded state (c) and ns, and to hist one entry per changed field. */
static void diff_steps(const sctx *c, const sched_state *ns, json_t *rows, json_t *hist) {
    const bs_schema *sch = c->schema;
    for (int32_t i = 0; i < sch->n_steps; i++) {
        const bs_progress *a = &c->progress[i], *b = &ns->progress[i];
        const bs_step_override *oa = &c->edit.ov[i], *ob = &ns->edit.ov[i];
        const char *k = sch->steps[i].key;
        bool changed = false;
#define DIFF_DATE(fa, fb, name)                                                                                        \
    if ((fa) != (fb)) {                                                                                                \
        hist_add(hist, k, name, bs_date_json(fa), bs_date_json(fb));                                                   \
        changed = true;                                                                                                \
    }
        if (a->status != b->status) {
            hist_add(hist, k, "status", json_string(bs_status_name(a->status)), json_string(bs_status_name(b->status)));
            changed = true;
        }
        DIFF_DATE(a->actual_start, b->actual_start, "actual_start")
        DIFF_DATE(a->actual_finish, b->actual_finish, "actual_finish")
        if (a->actual_estimated != b->actual_estimated) {
            hist_add(hist, k, "actual_estimated", json_string(a->actual_estimated ? "true" : "false"),
                     json_string(b->actual_estimated ? "true" : "false"));
            changed = true;
        }
        if (oa->remaining != ob->remaining) {
            hist_add(hist, k, "remaining_duration", text_int(oa->remaining), text_int(ob->remaining));
            changed = true;
        }
        if (oa->duration != ob->duration) {
            hist_add(hist, k, "duration", text_int(oa->duration), text_int(ob->duration));
            changed = true;
        }
        DIFF_DATE(c->planned[2 * i], ns->planned[2 * i], "planned_start")
        DIFF_DATE(c->planned[2 * i + 1], ns->planned[2 * i + 1], "planned_finish")
        DIFF_DATE(oa->snet, ob->snet, "start_no_earlier_than")
        DIFF_DATE(oa->fnlt, ob->fnlt, "finish_no_later_than")
#undef DIFF_DATE
        if (!changed) continue;
        json_t *r = json_object();
        json_object_set_new(r, "step_key", json_string(k));
        json_object_set_new(r, "status", json_string(bs_status_name(b->status)));
        json_object_set_new(r, "actual_start", bs_date_json(b->actual_start));
        json_object_set_new(r, "actual_finish", bs_date_json(b->actual_finish));
        json_object_set_new(r, "actual_estimated", json_boolean(b->actual_estimated));
        json_object_set_new(r, "remaining_duration", int_or_null(ob->remaining));
        json_object_set_new(r, "duration_override", int_or_null(ob->duration));
        json_object_set_new(r, "planned_start", bs_date_json(ns->planned[2 * i]));
        json_object_set_new(r, "planned_finish", bs_date_json(ns->planned[2 * i + 1]));
        json_object_set_new(r, "start_no_earlier_than", bs_date_json(ob->snet));
        json_object_set_new(r, "finish_no_later_than", bs_date_json(ob->fnlt));
        json_array_append_new(rows, r);
    }
}

/* Appends to hist the links changed (same pair and type, or the pair's one link changed
 * type), removed and added between c and ns; when any did, links receives ns's whole link
 * set. Returns whether any did. */
static bool diff_links(const sctx *c, const sched_state *ns, json_t *hist, json_t *links) {
    const bs_schema *sch = c->schema;
    bool links_changed = false;
    int32_t no = c->edit.n_links, nn = ns->edit.n_links;
    char *used_old = bs_calloc((size_t)no + 1, 1), *used_new = bs_calloc((size_t)nn + 1, 1);
    for (int pass = 0; pass < 2; pass++)
        for (int32_t l = 0; l < no; l++) {
            const bs_link *a = &c->edit.links[l];
            if (used_old[l]) continue;
            for (int32_t j = 0; j < nn; j++) {
                const bs_link *b = &ns->edit.links[j];
                if (used_new[j] || b->pred != a->pred || b->succ != a->succ || (pass == 0 && b->type != a->type))
                    continue;
                used_old[l] = used_new[j] = 1;
                if (b->type != a->type || b->lag != a->lag || b->lag_unit != a->lag_unit) {
                    hist_add(hist, sch->steps[a->succ].key, "link", link_json(c, a), link_json(c, b));
                    links_changed = true;
                }
                break;
            }
        }
    for (int32_t l = 0; l < no; l++)
        if (!used_old[l]) {
            hist_add(hist, sch->steps[c->edit.links[l].succ].key, "link", link_json(c, &c->edit.links[l]), json_null());
            links_changed = true;
        }
    for (int32_t j = 0; j < nn; j++)
        if (!used_new[j]) {
            hist_add(hist, sch->steps[ns->edit.links[j].succ].key, "link", json_null(),
                     link_json(c, &ns->edit.links[j]));
            links_changed = true;
        }
    free(used_old);
    free(used_new);
    if (links_changed)
        for (int32_t l = 0; l < ns->edit.n_links; l++) {
            json_t *o = link_json(c, &ns->edit.links[l]);
            json_object_set_new(o, "succ", json_string(sch->steps[ns->edit.links[l].succ].key));
            json_object_set_new(o, "ord", json_integer(l));
            json_array_append_new(links, o);
        }
    return links_changed;
}

/* Appends to hist the moved forecast finish of every unfinished milestone (the schedule of
 * c against s1, ns's schedule as sched_commit_state computed it: from the new progress date
 * when the change reports progress) and returns ns's planned completion (BS_DAY_NONE when the
 * loaded state's schedule cannot be computed); *knelpunt receives whether s1 has negative
 * float (1/0; -1 when no history could be computed). */
static bs_day diff_forecasts(sctx *c, const sched_state *ns, const bs_schedule *s1, json_t *hist, int *knelpunt) {
    const bs_schema *sch = c->schema;
    /* a progress report moves the progress date (commit_state): history row */
    bs_day today_d = c->new_progress_date, old_pd = c->progress_date;
    if (c->new_progress_date != 0) hist_add(hist, NULL, "progress_date", bs_date_json(old_pd), bs_date_json(today_d));
    /* forecast dates of milestones */
    bs_schedule s0;
    bs_day completion = BS_DAY_NONE;
    if (sched_compute(c, c->progress, &c->edit, &s0) == BS_SCHEDULE_OK) {
        for (int32_t i = 0; i < sch->n_steps; i++)
            if (sch->steps[i].milestone && s0.steps[i].early_finish != s1->steps[i].early_finish &&
                ns->progress[i].status != BS_STATUS_DONE)
                hist_add(hist, sch->steps[i].key, "forecast_finish", bs_date_json(s0.steps[i].early_finish),
                         bs_date_json(s1->steps[i].early_finish));
        completion = bs_schedule_completion(sch, ns->progress, s1);
        *knelpunt = bs_schedule_has_knelpunt(s1) ? 1 : 0;
        bs_schedule_free(&s0);
    }
    return completion;
}

/* Diffs the loaded state (c) against the new one (ns) and writes: step rows, links,
 * history (incl. forecast_finish of milestones), planned completion. Responds status with
 * response (stolen) after commit. The caller frees nothing of ns but its arrays. */
static void write_changes(sctx *c, const sched_state *ns, const bs_schedule *s1, const char *reason, json_t *response,
                          int status) {
    const bs_schema *sch = c->schema;
    json_t *rows = json_array(), *hist = json_array(), *links = json_array();
    diff_steps(c, ns, rows, hist);
    bool links_changed = diff_links(c, ns, hist, links);
    bool new_pd = c->new_progress_date != 0;
    bs_day today_d = c->new_progress_date;
    int knelpunt = -1;
    bs_day completion = diff_forecasts(c, ns, s1, hist, &knelpunt);
    c->pending = response;
    c->pending_status = status;
    char *rows_t = bs_json_dumps(rows, JSON_COMPACT), *links_t = bs_json_dumps(links, JSON_COMPACT),
         *hist_t = bs_json_dumps(hist, JSON_COMPACT);
    char ver[32], today[11], pc[11], pd[11];
    snprintf(ver, sizeof ver, "%lld", c->version);
    bs_date_format(c->api->today(c->api->today_arg), today);
    /* the step this change is about, for external-update alerts ("_project": a scenario) */
    int32_t si = c->key[0] ? bs_schema_find(sch, c->key) : -1;
    char now_s[24];
    snprintf(now_s, sizeof now_s, "%lld", (long long)bs_clock_now(c->api->clock));
    /* the names of the steps in the history, for the external-update alert's list of changes */
    json_t *names = json_object();
    size_t hi;
    json_t *hv;
    json_array_foreach(hist, hi, hv) {
        const char *hk = json_string_value(json_object_get(hv, "step_key"));
        int32_t hs = hk ? bs_schema_find(sch, hk) : -1;
        if (hs >= 0) json_object_set_new(names, hk, json_string(sch->steps[hs].name));
    }
    char *names_t = bs_json_dumps(names, JSON_COMPACT);
    json_decref(names);
    char *actor = bs__actor_json(c->req, NULL, NULL);
    char stamp[24];
    snprintf(stamp, sizeof stamp, "%lld", c->state_stamp);
    const char *params[22] = {c->id,
                              ver,
                              links_changed ? "true" : "false",
                              completion != BS_DAY_NONE ? bs_date_format(completion, pc) : NULL,
                              rows_t,
                              links_t,
                              reason,
                              c->who,
                              today,
                              hist_t,
                              c->sid[0] ? c->sid : NULL,
                              c->api->mail_domain ? c->api->mail_domain : "localhost",
                              now_s,
                              si >= 0 ? sch->steps[si].key : "_project",
                              si >= 0 ? sch->steps[si].name : "project",
                              si >= 0 ? (sch->steps[si].stream == BS_STREAM_PUBLIC ? "public" : "private") : NULL,
                              new_pd ? bs_date_format(today_d, pd) : NULL,
                              names_t,
                              knelpunt < 0 ? NULL
                              : knelpunt   ? "true"
                                           : "false",
                              actor,
                              bs__sweep_wake_setting(c->api),
                              c->written && c->state_stamp >= 0 ? stamp : NULL};
    const bs_principal *pr = bs__principal(c->req);
    if (pr->one_trip && !links_changed && !c->sid[0]) { /* the gate in the statement (api/authz.c try_one_trip) */
        const char *p25[25];
        memcpy(p25, params, sizeof params);
        p25[22] = pr->cred_hash;
        p25[23] = pr->cred_kind;
        p25[24] = pr->gate_row;
        bs__store_write_one(c->api, &SQL_SCHEDULE_WRITE_ONE_TRIP, p25, written, c);
    } else if (pr->one_trip) { /* not a step write's statement: never without the gate (answer taken back) */
        bs__fail(c->req, BS_EINTERNAL, NULL, "A one-trip write must be a step write");
        c->pending = NULL;
        json_decref(response);
        sctx_free(c);
    } else { /* the step writes change no links and apply no scenario: the smaller statement (same answer) */
        bs__store_write_one(c->api, links_changed || c->sid[0] ? &SQL_SCHEDULE_WRITE : &SQL_SCHEDULE_WRITE_STEPS,
                            params, written, c);
    }
    free(actor);
    free(names_t);
    free(rows_t);
    free(links_t);
    free(hist_t);
    json_decref(rows);
    json_decref(links);
    json_decref(hist);
}

int sched_state_copy(const sctx *c, sched_state *ns) {
    const int32_t n = c->schema->n_steps;
    memset(ns, 0, sizeof *ns);
    ns->progress = bs_malloc(sizeof *ns->progress * ((size_t)n + 1));
    ns->planned = bs_malloc(sizeof *ns->planned * (2 * (size_t)n + 1));
    if (bs_sched_edit_init(&ns->edit, c->schema) != 0) return -1;
    memcpy(ns->progress, c->progress, sizeof *ns->progress * (size_t)n);
    memcpy(ns->planned, c->planned, sizeof *ns->planned * 2 * (size_t)n);
    memcpy(ns->edit.ov, c->edit.ov, sizeof *ns->edit.ov * (size_t)n);
    free(ns->edit.links);
    ns->edit.links = bs_malloc(sizeof *ns->edit.links * ((size_t)c->edit.cap_links + 1));
    memcpy(ns->edit.links, c->edit.links, sizeof *ns->edit.links * (size_t)c->edit.n_links);
    ns->edit.n_links = c->edit.n_links;
    ns->edit.cap_links = c->edit.cap_links + 1;
    ns->edit.near_critical_wd = c->edit.near_critical_wd;
    return 0;
}

void sched_state_free(sched_state *ns) {
    free(ns->progress);
    free(ns->planned);
    bs_sched_edit_free(&ns->edit);
}

/* Computes ns, renders it, and writes the change (response after commit). */
void sched_commit_state(sctx *c, sched_state *ns, const char *reason, const char *field) {
    /* a progress report (start, complete, PATCH of a step) is made today by someone who knows
     * the project's facts: the progress date moves to today, never back (docs/scheduling.md §6) */
    bs_day today = c->api->today(c->api->today_arg), keep_pd = c->progress_date, keep_dd = c->data_date;
    if ((c->kind == K_START || c->kind == K_COMPLETE || c->kind == K_PATCH) && today > c->progress_date) {
        c->new_progress_date = today;
        c->progress_date = today;
        c->data_date = bs_data_date(today, today);
    }
    bs_schedule s;
    bs_schedule_err e = sched_compute(c, ns->progress, &ns->edit, &s);
    c->progress_date = keep_pd;
    c->data_date = keep_dd;
    if (e == BS_SCHEDULE_ECYCLE) {
        sched_cycle_problem(c, &s, field);
        bs_schedule_free(&s);
        sched_state_free(ns);
        sctx_free(c);
        return;
    }
    if (e != BS_SCHEDULE_OK) {
        bs__fail_as(c->req, BS_EINVAL, "schedule_failed", "Schedule could not be computed", field, "%s",
                    bs_schedule_strerror(e));
        sched_state_free(ns);
        sctx_free(c);
        return;
    }
    json_t *o = sched_render(c, ns->progress, &ns->edit, ns->planned, &s);
    stream_filter(c, o);
    /* a step write on the state as of now keeps its new state for the state cache (cache_written); c owns it */
    bool keep = is_step_write(c) && c->state_stamp >= 0;
    if (keep) {
        c->written = bs_malloc(sizeof *c->written);
        *c->written = *ns;
        memset(ns, 0, sizeof *ns);
    }
    /* s is also the new schedule of the history's forecast_finish rows: computed once */
    write_changes(c, keep ? c->written : ns, &s, reason, o, 200);
    bs_schedule_free(&s);
    if (!keep) sched_state_free(ns);
}

/* ---- handlers after loading ---- */

int32_t sched_step_or_404(sctx *c) {
    int32_t i = bs_schema_find(c->schema, c->key);
    if (i < 0) {
        char d[300];
        snprintf(d, sizeof d, "Process schema %s has no step '%.100s'", c->schema->key, c->key);
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Step not found", "key", "%s", d);
    }
    return i;
}

const char *sched_body_reason(sctx *c, const char *dflt) {
    json_t *r = json_object_get(c->body, "reason");
    return json_is_string(r) && *json_string_value(r) ? json_string_value(r) : dflt;
}

/* For an external developer with stream access only: only the private stream's steps and
 * the milestones they depend on (bs_schema_stream_view); nothing about the rest of the
 * project. A caller whose access set also holds public or more sees the full schedule. */
static void stream_filter(const sctx *c, json_t *o) {
    if (bs__principal(c->req)->access >= BS_ACCESS_PUBLIC) return;
    bool *vis = bs_calloc((size_t)c->schema->n_steps + 1, sizeof *vis);
    bs_schema_stream_view(c->schema, vis);
    json_t *steps = json_object_get(o, "steps"), *kept = json_array();
    for (int32_t i = 0; i < c->schema->n_steps; i++)
        if (vis[i]) json_array_append(kept, json_array_get(steps, (size_t)i));
    free(vis);
    static const char *const keep[] = {
        "project_id", "process_schema", "progress_date", "data_date", "schedule_version", "known_on", NULL};
    const char *k;
    void *tmp;
    json_object_foreach_safe(o, tmp, k, steps) {
        bool ok = false;
        for (size_t j = 0; keep[j] && !ok; j++) ok = strcmp(keep[j], k) == 0;
        if (!ok) json_object_del(o, k);
    }
    json_object_set_new(o, "steps", kept);
    json_object_set_new(o, "view", json_string("stream"));
}

/* Answers GET …/schedule from the rendering the state cache holds for c's state and view, when it holds one. */
static bool send_cached_rendering(sctx *c, const bs_render_key *key) {
    size_t len = 0;
    const char *body = bs_state_cache_rendered(bs__state_cache(c->api), c->id, c->cache_stamp, key, &len);
    if (!body) return false;
    bs_req_respond(c->req, 200, JSON_CT, body, len, NULL);
    return true;
}

void sched_send_schedule(sctx *c) {
    /* the same state (stamp), data date, near_critical_days and view render the same bytes */
    bool cacheable = c->cache_stamp >= 0 && !c->has_known_on && !c->sid[0];
    bs_render_key key = {.data_date = c->data_date,
                         .near_critical = c->near_critical,
                         .stream_view = bs__principal(c->req)->access < BS_ACCESS_PUBLIC};
    if (cacheable && send_cached_rendering(c, &key)) return;
    bs_schedule s;
    bs_schedule_err e = sched_compute(c, c->progress, &c->edit, &s);
    if (e != BS_SCHEDULE_OK) {
        bs__fail_as(c->req, BS_EINTERNAL, "schedule_failed", "Schedule could not be computed", NULL, "%s",
                    bs_schedule_strerror(e));
        if (e == BS_SCHEDULE_ECYCLE) bs_schedule_free(&s);
        return;
    }
    json_t *o = sched_render(c, c->progress, &c->edit, c->planned, &s);
    if (c->has_known_on) json_object_set_new(o, "known_on", bs_date_json(c->known_on));
    bs_schedule_free(&s);
    stream_filter(c, o);
    if (!cacheable) {
        bs__respond_json(c->req, 200, o);
        return;
    }
    size_t len;
    const char *text = bs__json_text(o, &len);
    bs_state_cache_set_rendered(bs__state_cache(c->api), c->id, c->cache_stamp, &key, text, len);
    bs_req_respond(c->req, 200, JSON_CT, text, len, NULL);
    bs__json_text_done();
    json_decref(o);
}

/* The stale_progress check: does the project's progress date lie more than `months`
 * calendar months before today (the organisation's local date)? A month back is the same
 * day of the month, or the month's last day when it has fewer days (31 March - 1 month =
 * 28/29 February). Returns the limit date: older progress dates are stale. */
static bs_day stale_limit(bs_day today, int months) {
    int y, m, d;
    bs_date_to_ymd(today, &y, &m, &d);
    int total = y * 12 + (m - 1) - months;
    y = total / 12;
    m = total % 12 + 1;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int last = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return bs_date_from_ymd(y, m, d > last ? last : d);
}

static json_t *stale_check(const sctx *c) {
    bs_day today = c->api->today(c->api->today_arg), limit = stale_limit(today, c->stale_months);
    bool pass = c->progress_date >= limit;
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string("stale_progress"));
    json_object_set_new(o, "models", json_string("no progress report for more than N months"));
    json_object_set_new(o, "progress_date", bs_date_json(c->progress_date));
    json_object_set_new(o, "max_months", json_integer(c->stale_months));
    json_object_set_new(o, "stale_before", bs_date_json(limit));
    json_object_set_new(o, "count", json_integer(pass ? 0 : 1));
    json_object_set_new(o, "total", json_integer(1));
    json_object_set_new(o, "pass", json_boolean(pass));
    return o;
}

static void do_checks(sctx *c) {
    bs_schedule s;
    bs_schedule_err e = sched_compute(c, c->progress, &c->edit, &s);
    if (e != BS_SCHEDULE_OK) {
        bs__fail_as(c->req, BS_EINTERNAL, "schedule_failed", "Schedule could not be computed", NULL, "%s",
                    bs_schedule_strerror(e));
        if (e == BS_SCHEDULE_ECYCLE) bs_schedule_free(&s);
        return sctx_free(c);
    }
    bs_check_result r[BS_CHECK_COUNT];
    if (bs_checks_compute(c->schema, c->progress, &c->edit, &s, &c->th, r) != 0) abort();
    json_t *arr = json_array();
    bool all = true;
    for (int k = 0; k < BS_CHECK_COUNT; k++) {
        json_t *o = json_object();
        bool link_check = k == BS_CHECK_LEADS || k == BS_CHECK_LAGS || k == BS_CHECK_FS_SHARE;
        json_object_set_new(o, "name", json_string(bs_check_name(r[k].id)));
        json_object_set_new(o, "models", json_string(bs_check_dcma(r[k].id)));
        json_object_set_new(o, "count", json_integer(r[k].count));
        json_object_set_new(o, "total", json_integer(r[k].total));
        json_object_set_new(o, "percent", json_real((double)(long)(r[k].pct * 10 + 0.5) / 10));
        json_object_set_new(o, k == BS_CHECK_FS_SHARE ? "min_percent" : "max_percent", json_real(c->th.max_pct[k]));
        if (k == BS_CHECK_HIGH_FLOAT)
            json_object_set_new(o, "threshold_working_days", json_integer(c->th.high_float_wd));
        if (k == BS_CHECK_HIGH_DURATION)
            json_object_set_new(o, "threshold_working_days", json_integer(c->th.high_duration_wd));
        json_object_set_new(o, "pass", json_boolean(r[k].pass));
        all &= r[k].pass;
        json_t *items = json_array();
        for (int32_t j = 0; j < r[k].count && k != BS_CHECK_FS_SHARE; j++) {
            if (link_check) {
                const bs_link *l = &c->edit.links[r[k].items[j]];
                json_t *lo = link_json(c, l);
                json_object_set_new(lo, "succ", json_string(c->schema->steps[l->succ].key));
                json_array_append_new(items, lo);
            } else {
                json_array_append_new(items, json_string(c->schema->steps[r[k].items[j]].key));
            }
        }
        json_object_set_new(o, link_check ? "links" : "steps", items);
        json_array_append_new(arr, o);
    }
    bs_checks_free(r);
    bs_schedule_free(&s);
    json_t *stale = stale_check(c);
    all &= json_is_true(json_object_get(stale, "pass"));
    json_array_append_new(arr, stale);
    json_t *o = json_object();
    json_object_set_new(o, "project_id", json_string(c->id));
    json_object_set_new(o, "pass", json_boolean(all));
    json_object_set_new(o, "checks", arr);
    bs__respond_json(c->req, 200, o);
    sctx_free(c);
}

/* Runs the request's continuation once its project state is loaded. */
static void dispatch(sctx *c) {
    c->then(c);
}

/* GET …/schedule, after loading: the schedule as known on known_on (or today). */
static void schedule_loaded(sctx *c) {
    if (c->has_known_on && c->known_on < c->progress_date) {
        char d[200], a[11], b[11];
        snprintf(d, sizeof d,
                 "Nothing was known of this project on %s: its facts count as known from its progress date %s",
                 bs_date_format(c->known_on, a), bs_date_format(c->progress_date, b));
        bs__fail_as(c->req, BS_EINVAL, "before_data_date", "Not known yet", "known_on", "%s", d);
    } else {
        sched_send_schedule(c);
    }
    sctx_free(c);
}

/* ---- lists that need no engine state ---- */

static void list_done(const PGresult *res, const char *err, void *arg) {
    sctx *c = arg;
    bs__send_row0(c->req, res, err, 200, "Project not found", "id", "No project with this id");
    sctx_free(c);
}

/* The history; at access public (an openbaar project seen by someone without read) the
 * entries carry no changed_by and no reason: those identify people (docs/security.md §3a). */
static void list_history(sctx *c) {
    const char *params[3] = {c->id, c->has_step_filter ? c->step_filter : NULL,
                             bs__principal(c->req)->access >= BS_ACCESS_READ ? "true" : "false"};
    bs_store_exec(c->api->store, &SQL_STEP_HISTORY_LIST, params, list_done, c);
}

/* ---- request parsing ---- */

/* Parses the JSON object body (members in allowed; an empty body is {} when !required)
 * into c->body, with the optional reason checked; false = problem sent. */
bool sched_parse_body(sctx *c, bool required, const char *const *allowed) {
    size_t len = 0;
    const char *body = bs_req_body(c->req, &len);
    bs_err err = {0};
    const char *reason;
    c->body = bs_decode_object(body, len, bs_req_header(c->req, "content-type"), required, allowed, &err);
    if (c->body && bs_decode_reason(c->body, false, &reason, &err) == 0) return true;
    bs__fail_err(c->req, &err, NULL);
    return false;
}

static bool parse_thresholds(sctx *c) {
    c->th = bs_check_default_thresholds();
    long v;
    if (!bs__int_param(c->req, "high_float_days", c->th.high_float_wd, 0, 36500, &v)) return false;
    c->th.high_float_wd = (int32_t)v;
    if (!bs__int_param(c->req, "high_duration_days", c->th.high_duration_wd, 0, 36500, &v)) return false;
    c->th.high_duration_wd = (int32_t)v;
    for (int k = 0; k < BS_CHECK_COUNT; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s_%s", bs_check_name((bs_check_id)k),
                 k == BS_CHECK_FS_SHARE ? "min_percent" : "max_percent");
        if (!bs__int_param(c->req, name, (long)c->th.max_pct[k], 0, 100, &v)) return false;
        c->th.max_pct[k] = (double)v;
    }
    return true;
}

/* ---- decoding each request (before any store round trip) ---- */

static bool decode_schedule(sctx *c) {
    char kbuf[16];
    bool has;
    if (!bs__int_param(c->req, "near_critical_days", BS_NEAR_CRITICAL_DEFAULT_WD, 0, 3650, &c->near_critical) ||
        !bs__text_param(c->req, "known_on", kbuf, sizeof kbuf, &has))
        return false;
    if (!has) return true;
    c->has_known_on = true;
    if (bs_date_parse(kbuf, &c->known_on) != 0) {
        bs__fail(c->req, BS_EBADPARAM, "known_on", "known_on must be a date YYYY-MM-DD");
        return false;
    }
    return bs__date_in_calendar(c->req, c->api, BS_EBADPARAM, "known_on", c->known_on);
}

/* A request context for route kind of the project (and step or scenario) in path. */
sctx *sctx_new(bs_api *api, bs_req *req, const bs_path *path, enum kind kind, void (*then)(sctx *c)) {
    sctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    c->kind = kind;
    c->then = then;
    c->near_critical = -1;
    c->cache_stamp = -1;
    c->state_stamp = -1;
    snprintf(c->id, sizeof c->id, "%.36s", path->project);
    snprintf(c->key, sizeof c->key, "%s", path->step);
    snprintf(c->sid, sizeof c->sid, "%.36s", path->ref);
    /* the author of a change is the authenticated user (the gate, api/authz.c) */
    const bs_principal *pr = bs__principal(req);
    snprintf(c->who, sizeof c->who, "%s", pr->authenticated ? pr->email : "anonymous");
    return c;
}

/* Loads the project's state and continues in dispatch, or frees c when decoding refused
 * the request (the problem is sent). */
void sched_load_if(sctx *c, bool decoded) {
    if (decoded)
        sched_load(c);
    else
        sctx_free(c);
}

/* ---- the handlers (route table: api/route_table.c) ---- */

void bs__get_schedule(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_SCHEDULE, schedule_loaded);
    sched_load_if(c, decode_schedule(c));
}

void bs__get_checks(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_CHECKS, do_checks);
    sched_load_if(c, parse_thresholds(c));
}

void bs__get_history(bs_api *api, bs_req *req, const bs_path *path) {
    sctx *c = sctx_new(api, req, path, K_HISTORY, NULL);
    if (bs__text_param(req, "step", c->step_filter, sizeof c->step_filter, &c->has_step_filter))
        list_history(c);
    else
        sctx_free(c);
}
