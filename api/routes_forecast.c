/*
 * Routes of forecasts (docs/forecasting.md, docs/api.md):
 *   GET /api/v1/projects/{id}/forecast[?samples=&seed=]
 *   GET /api/v1/lead-times[?step=&gemeente=&size_class=&schema=]
 *
 * Both load the project (or filters) and the own observations of the schema with one or two
 * queries, then do the CPU work (fitting, Monte Carlo) with uv_queue_work on the libuv thread
 * pool, never on the loop thread, and render the JSON back on the loop.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "alloc.h"

#include "api_internal.h"
#include "handlers.h"
#include "estimate.h"
#include "forecast.h"
#include "leadtime.h"
#include "plan.h"
#include "project_forecast.h"
#include "routes_forecast.h"
#include "routes_forecast_sql.h"

#define FC_SAMPLES_MIN 100
#define FC_SAMPLES_MAX 20000

static json_t *num_or_null(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *unit_name(bs_unit u) {
    return u == BS_UNIT_CALENDAR_DAYS ? "calendar_days" : "working_days";
}

/* ---- GET /api/v1/projects/{id}/forecast ---- */

typedef struct fc_job {
    uv_work_t work;
    bs_api *api;
    bs_req *req;
    char id[37];
    long samples, seed;
    const bs_engine_schema *es;
    bs_progress *progress;  /* owned */
    bs_sched_edit edit;     /* owned (when edit.ov): the project's stored overrides and links */
    bs_day progress_date;   /* as stored: remaining durations and elapsed times are measured to it */
    bs_day data_date;       /* bs_data_date(progress_date, today) */
    const bs_calendar *cal; /* the owner organisation's */
    bs_size_class size;
    char gemeente[256];
    bs_own_obs own;
    /* results */
    bs_lt_model *models; /* owned; n_steps */
    unsigned char *has;  /* owned */
    bs_forecast fc;
    int rc;
} fc_job;

static void fc_job_free(fc_job *j) {
    free(j->progress);
    if (j->edit.ov) bs_sched_edit_free(&j->edit);
    bs_own_obs_free(&j->own);
    for (int32_t i = 0; j->models && i < j->es->schema->n_steps; i++) bs_lt_model_free(&j->models[i]);
    free(j->models);
    free(j->has);
    bs_forecast_free(&j->fc);
    free(j);
}

/* thread pool: fit the groups, then the Monte Carlo forecast (pure core) */
static void fc_work(uv_work_t *w) {
    fc_job *j = w->data;
    const bs_schema *s = j->es->schema;
    j->models = bs_calloc((size_t)s->n_steps, sizeof *j->models);
    j->has = bs_calloc((size_t)s->n_steps, 1);
    bs_ltdist *dist = bs_calloc((size_t)s->n_steps, sizeof *dist);
    if (!j->models || !j->has || !dist) {
        free(dist);
        j->rc = BS_SCHEDULE_ENOMEM;
        return;
    }
    bs_project_lt_models(j->es, j->size, j->gemeente, &j->own, j->models, dist, j->has);
    bs_forecast_input in = {.schema = s,
                            .progress = j->progress,
                            .progress_date = j->progress_date,
                            .data_date = j->data_date,
                            .cal = j->cal ? j->cal : &j->api->engine->calendar,
                            .dist = dist,
                            .has_dist = j->has,
                            .n_samples = (int32_t)j->samples,
                            .overrides = j->edit.ov, /* bs_schedule_with_edit's inputs, in one workspace */
                            .links = j->edit.links,
                            .n_links = j->edit.n_links};
    bs_rng rng;
    bs_rng_seed(&rng, (uint64_t)j->seed);
    j->rc = bs_forecast_compute(&in, &rng, &j->fc);
    free(dist);
}

/* The lead time of step i as the forecast used it (docs/forecasting.md §6): "source" says
 * where the step's duration in the samples came from, "p50"/"p80" are those durations (in the
 * step's unit), "model" is the fitted lead-time model (also when the forecast set it aside).
 *   own / reference   sampled from the model (own observations dominate, or the reference)
 *   planned           fixed by the planner: a duration set with PATCH (fixed "duration") or,
 *                     for a started step, a remaining duration (fixed "remaining");
 *                     p50 = p80 = that value in every sample
 *   realised          done or skipped: the actual dates, not sampled (p50, p80 null)
 *   schema            no lead-time model: the schema duration in every sample */
static json_t *lead_time_json(const fc_job *j, int32_t i) {
    const bs_step *st = &j->es->schema->steps[i];
    const bs_progress *p = &j->progress[i];
    const bs_step_override *ov = j->edit.ov ? &j->edit.ov[i] : NULL;
    json_t *model = json_null();
    if (j->has[i]) {
        const bs_lt_model *m = &j->models[i];
        model = json_object();
        json_object_set_new(model, "source", json_string(m->own_dominates ? "own" : "reference"));
        json_object_set_new(model, "own_weight", json_real(m->own_weight));
        json_object_set_new(model, "family", json_string(bs_dist_family_name(m->dist.family)));
        json_object_set_new(model, "p50", json_real(bs_dist_quantile(&m->dist, 0.5)));
        json_object_set_new(model, "p80", json_real(bs_dist_quantile(&m->dist, 0.8)));
    }
    json_t *lt;
    if (p->status == BS_STATUS_DONE || p->status == BS_STATUS_SKIPPED) {
        lt = json_object();
        json_object_set_new(lt, "source", json_string("realised"));
        json_object_set_new(lt, "p50", json_null());
        json_object_set_new(lt, "p80", json_null());
    } else if ((ov && ov->duration >= 0) || (ov && p->status == BS_STATUS_STARTED && ov->remaining >= 0)) {
        bool dur = ov->duration >= 0 && !(p->status == BS_STATUS_STARTED && ov->remaining >= 0);
        int32_t v = dur ? ov->duration : ov->remaining;
        lt = json_object();
        json_object_set_new(lt, "source", json_string("planned"));
        json_object_set_new(lt, "fixed", json_string(dur ? "duration" : "remaining"));
        json_object_set_new(lt, "p50", json_integer(v));
        json_object_set_new(lt, "p80", json_integer(v));
    } else if (json_is_object(model)) {
        /* sampled from the model: its fields at the top level, as before */
        lt = json_deep_copy(model);
    } else {
        lt = json_object();
        json_object_set_new(lt, "source", json_string("schema"));
        json_object_set_new(lt, "p50", json_integer(st->duration));
        json_object_set_new(lt, "p80", json_integer(st->duration));
    }
    json_object_set_new(lt, "model", model);
    return lt;
}

static void fc_after(uv_work_t *w, int status) {
    fc_job *j = w->data;
    if (status != 0 || j->rc != BS_SCHEDULE_OK) {
        bs__fail_as(j->req, BS_EINTERNAL, "forecast_failed", "Forecast could not be computed", NULL, "%s",
                    status ? "cancelled" : bs_schedule_strerror((bs_schedule_err)j->rc));
        fc_job_free(j);
        return;
    }
    const bs_schema *s = j->es->schema;
    json_t *o = json_object();
    json_object_set_new(o, "project_id", json_string(j->id));
    json_object_set_new(o, "process_schema", json_string(s->key));
    json_object_set_new(o, "progress_date", bs_date_json(j->progress_date));
    json_object_set_new(o, "data_date", bs_date_json(j->data_date));
    json_object_set_new(o, "samples", json_integer(j->samples));
    json_object_set_new(o, "seed", json_integer(j->seed));
    json_object_set_new(o, "size_class", json_string(bs_size_class_name(j->size)));
    json_object_set_new(o, "gemeente", json_string(j->gemeente));
    json_t *comp = json_object();
    json_object_set_new(comp, "planned", bs_date_json(j->fc.completion_planned));
    json_object_set_new(comp, "p50", bs_date_json(j->fc.completion_p50));
    json_object_set_new(comp, "p80", bs_date_json(j->fc.completion_p80));
    json_object_set_new(o, "completion", comp);
    json_t *ms = json_array(), *steps = json_array();
    for (int32_t i = 0; i < s->n_steps; i++) {
        const bs_step *st = &s->steps[i];
        const bs_forecast_step *fs = &j->fc.steps[i];
        json_t *x = json_object();
        json_object_set_new(x, "key", json_string(st->key));
        json_object_set_new(x, "name", json_string(st->name));
        json_object_set_new(x, "status", json_string(bs_status_name(j->progress[i].status)));
        json_object_set_new(x, "planned", bs_date_json(fs->planned));
        json_object_set_new(x, "p50", bs_date_json(fs->p50));
        json_object_set_new(x, "p80", bs_date_json(fs->p80));
        if (st->milestone) {
            json_array_append_new(ms, x);
            continue;
        }
        json_object_set_new(x, "criticality", json_real(fs->criticality));
        json_object_set_new(x, "unit", json_string(unit_name(st->unit)));
        json_object_set_new(x, "lead_time", lead_time_json(j, i));
        json_array_append_new(steps, x);
    }
    json_object_set_new(o, "milestones", ms);
    json_object_set_new(o, "steps", steps);
    json_object_set_new(o, "own_observations", json_integer((json_int_t)j->own.n));
    json_object_set_new(o, "reference", json_string(j->es->reference ? j->es->reference->label : ""));
    bs__respond_json(j->req, 200, o);
    fc_job_free(j);
}

static void fc_obs_loaded(const PGresult *res, const char *err, void *arg) {
    fc_job *j = arg;
    if (err) {
        bs__problem_db(j->req, err);
        fc_job_free(j);
        return;
    }
    if (bs_own_obs_from_result(res, j->es->schema, &j->api->engine->calendar, &j->own) != 0) {
        bs__fail(j->req, BS_EINTERNAL, NULL, "out of memory");
        fc_job_free(j);
        return;
    }
    j->work.data = j;
    /* the libuv thread pool of the loop the server runs on (cli: uv_default_loop) */
    if (uv_queue_work(uv_default_loop(), &j->work, fc_work, fc_after) != 0) {
        bs__fail_as(j->req, BS_EUNAVAILABLE, "busy", "Service unavailable", NULL, "could not queue the forecast");
        fc_job_free(j);
    }
}

static void fc_project_loaded(const PGresult *res, const char *err, void *arg) {
    fc_job *j = arg;
    if (err) {
        bs__problem_db(j->req, err);
        fc_job_free(j);
        return;
    }
    if (PQntuples(res) == 0) {
        bs__fail_as(j->req, BS_ENOTFOUND, NULL, "Project not found", "id", "No project with this id");
        fc_job_free(j);
        return;
    }
    json_t *doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    bs_project_state st;
    int rc = doc ? bs_project_state_parse(j->api->engine, doc, j->api->today(j->api->today_arg), &st) : -2;
    json_decref(doc);
    if (rc != 0) {
        bs_project_state_free(&st);
        bs__fail(j->req, BS_EINTERNAL, NULL, "The project refers to an unknown process schema");
        fc_job_free(j);
        return;
    }
    /* the forecast schedules every sample with the project's stored edits (overrides, links) */
    j->es = bs_engine_schema_version(j->api->engine, st.schema->key, st.schema->version);
    j->progress = st.progress;
    j->edit = st.edit;
    j->progress_date = st.progress_date;
    j->data_date = st.data_date;
    j->cal = st.cal;
    j->size = bs_size_class_of(st.homes_remaining);
    snprintf(j->gemeente, sizeof j->gemeente, "%s", st.gemeente);
    free(st.planned);
    const char *params[1] = {j->es->schema->key};
    bs_store_exec(j->api->store, &BS_STMT_OWN_OBSERVATIONS, params, fc_obs_loaded, j);
}

void bs__get_forecast(bs_api *api, bs_req *req, const bs_path *path) {
    const char *id = path->project;
    fc_job *j = bs_calloc(1, sizeof *j);
    j->api = api;
    j->req = req;
    snprintf(j->id, sizeof j->id, "%.36s", id);
    if (!bs__int_param(req, "samples", BS_FORECAST_DEFAULT_SAMPLES, FC_SAMPLES_MIN, FC_SAMPLES_MAX, &j->samples) ||
        !bs__int_param(req, "seed", 1, 0, 2147483647L, &j->seed)) {
        free(j);
        return;
    }
    const char *params[1] = {j->id};
    bs_store_exec(api->store, &BS_STMT_PROJECT_STATE, params, fc_project_loaded, j);
}

/* ---- GET /api/v1/lead-times ---- */

typedef struct lt_job {
    uv_work_t work;
    bs_api *api;
    bs_req *req;
    const bs_engine_schema *es;
    int32_t step; /* -1: all steps */
    int size;     /* -1: all */
    bool has_gemeente;
    char gemeente[256];
    char user[64]; /* the caller: whose access decides which projects' steps count (SQL_LEAD_TIME_OBS) */
    bs_own_obs own;
    int64_t (*counts)[3]; /* owned; per step: skipped, estimated, cancelled (reported) */
    json_t *out;          /* built in the pool (jansson objects are not shared with the loop meanwhile) */
} lt_job;

static void lt_job_free(lt_job *j) {
    bs_own_obs_free(&j->own);
    free(j->counts);
    if (j->out) json_decref(j->out);
    free(j);
}

static json_t *curve_json(const bs_km *km) {
    json_t *a = json_array();
    for (int32_t i = 0; i < km->n_pts; i++) {
        const bs_km_point *p = &km->pts[i];
        json_t *x = json_object();
        json_object_set_new(x, "t", json_real(p->time));
        json_object_set_new(x, "n_risk", json_integer(p->n_risk));
        json_object_set_new(x, "n_event", json_integer(p->n_event));
        json_object_set_new(x, "n_censor", json_integer(p->n_censor));
        json_object_set_new(x, "surv", json_real(p->surv));
        json_object_set_new(x, "lower", num_or_null(p->lower));
        json_object_set_new(x, "upper", num_or_null(p->upper));
        json_array_append_new(a, x);
    }
    return a;
}

static json_t *lt_step_json(lt_job *j, int32_t i) {
    const bs_schema *s = j->es->schema;
    const bs_reference *ref = j->es->reference;
    const bs_step *st = &s->steps[i];
    bs_lt_model m;
    if (bs_lt_model_build(ref, i, j->size, j->has_gemeente ? j->gemeente : NULL, j->own.obs, j->own.n, &m) != BS_EST_OK)
        return NULL;
    json_t *x = json_object();
    json_object_set_new(x, "step", json_string(st->key));
    json_object_set_new(x, "name", json_string(st->name));
    json_object_set_new(x, "unit", json_string(unit_name(st->unit)));
    json_t *g = json_object();
    json_object_set_new(g, "size_class",
                        j->size >= 0 ? json_string(bs_size_class_name((bs_size_class)j->size)) : json_null());
    json_object_set_new(g, "gemeente", j->has_gemeente ? json_string(j->gemeente) : json_null());
    json_object_set_new(x, "group", g);
    /* the curve: own observations of the deepest level of the group whose own data carries at
     * least half the weight (>= κ events), else the reference history (step × size class) */
    int lsize[3] = {-1, -1, -1};
    const char *lgem[3] = {NULL, NULL, NULL};
    int nl = 1;
    if (j->size >= 0) lsize[nl++] = j->size;
    if (j->has_gemeente) {
        lsize[nl] = j->size;
        lgem[nl++] = j->gemeente;
    }
    int cl = -1;
    for (int l = 0; l < nl; l++)
        if (m.level[l].weight >= 0.5) cl = l;
    bool own_curve = cl >= 0;
    const bs_lt_obs *src = own_curve ? j->own.obs : ref->history;
    size_t nsrc = own_curve ? j->own.n : ref->n_history;
    int fsize = own_curve ? lsize[cl] : j->size;
    const char *fgem = own_curve ? lgem[cl] : NULL;
    double *t = bs_malloc((nsrc ? nsrc : 1) * sizeof *t);
    unsigned char *e = bs_malloc(nsrc ? nsrc : 1);
    size_t k = 0;
    int64_t own_ev = 0, own_ce = 0;
    for (size_t q = 0; q < j->own.n; q++) {
        const bs_lt_obs *o = &j->own.obs[q];
        if (o->step != i || (j->size >= 0 && (int)o->size != j->size) ||
            (j->has_gemeente && strcmp(o->gemeente, j->gemeente) != 0))
            continue;
        own_ev += o->event;
        own_ce += !o->event;
    }
    for (size_t q = 0; q < nsrc; q++) {
        const bs_lt_obs *o = &src[q];
        if (o->step != i || (fsize >= 0 && (int)o->size != fsize)) continue;
        if (fgem && strcmp(o->gemeente, fgem) != 0) continue;
        t[k] = o->time;
        e[k++] = o->event;
    }
    json_t *cg = json_object();
    json_object_set_new(cg, "size_class",
                        fsize >= 0 ? json_string(bs_size_class_name((bs_size_class)fsize)) : json_null());
    json_object_set_new(cg, "gemeente", fgem ? json_string(fgem) : json_null());
    json_object_set_new(x, "curve_group", cg);
    json_object_set_new(x, "source", json_string(own_curve ? "own" : "reference"));
    json_object_set_new(x, "own_weight", json_real(m.own_weight));
    bs_obs_set os;
    bs_km km = {0};
    if (k > 0 && bs_obs_collapse(t, e, k, &os) == BS_EST_OK) {
        bs_km_fit(&os, 0.95, &km);
        bs_obs_free(&os);
    }
    free(t);
    free(e);
    json_object_set_new(x, "events", json_integer(km.n_events));
    json_object_set_new(x, "censored", json_integer(km.n_censored));
    json_t *own = json_object();
    json_object_set_new(own, "events", json_integer(own_ev));
    json_object_set_new(own, "censored", json_integer(own_ce));
    json_object_set_new(own, "skipped", json_integer(j->counts[i][0]));
    json_object_set_new(own, "estimated_dates", json_integer(j->counts[i][1]));
    json_object_set_new(x, "own_observations", own);
    json_t *qs = json_object(), *mq = json_object();
    const double ps[3] = {0.5, 0.8, 0.9};
    const char *names[3] = {"p50", "p80", "p90"};
    for (int a = 0; a < 3; a++) {
        double q;
        json_object_set_new(qs, names[a], km.n_pts && bs_km_quantile(&km, ps[a], &q) ? json_real(q) : json_null());
        json_object_set_new(mq, names[a], json_real(bs_dist_quantile(&m.dist, ps[a])));
    }
    json_object_set_new(x, "quantiles", qs);
    json_t *model = json_object();
    json_object_set_new(model, "family", json_string(bs_dist_family_name(m.dist.family)));
    json_object_set_new(model, "mu", json_real(m.dist.mu));
    json_object_set_new(model, "sigma", json_real(m.dist.sigma));
    json_object_set_new(model, "quantiles", mq);
    /* what the forecast samples: own KM curve with this weight, the parametric model otherwise */
    json_object_set_new(model, "empirical_weight", json_real(m.sample.w));
    json_object_set_new(x, "model", model);
    json_object_set_new(x, "curve", km.n_pts ? curve_json(&km) : json_array());
    bs_km_free(&km);
    bs_lt_model_free(&m);
    return x;
}

static void lt_work(uv_work_t *w) {
    lt_job *j = w->data;
    const bs_schema *s = j->es->schema;
    json_t *steps = json_array();
    for (int32_t i = 0; i < s->n_steps; i++) {
        if (s->steps[i].milestone || (j->step >= 0 && i != j->step)) continue;
        json_t *x = lt_step_json(j, i);
        if (x) json_array_append_new(steps, x);
    }
    j->out = json_object();
    json_object_set_new(j->out, "process_schema", json_string(s->key));
    json_object_set_new(j->out, "reference", json_string(j->es->reference->label));
    json_object_set_new(j->out, "steps", steps);
}

static void lt_after(uv_work_t *w, int status) {
    lt_job *j = w->data;
    if (status != 0 || !j->out) {
        bs__fail(j->req, BS_EINTERNAL, NULL, "lead times could not be computed");
    } else {
        json_t *o = j->out;
        j->out = NULL;
        bs__respond_json(j->req, 200, o);
    }
    lt_job_free(j);
}

static void lt_obs_loaded(const PGresult *res, const char *err, void *arg) {
    lt_job *j = arg;
    if (err) {
        bs__problem_db(j->req, err);
        lt_job_free(j);
        return;
    }
    if (bs_own_obs_from_result(res, j->es->schema, &j->api->engine->calendar, &j->own) != 0) {
        bs__fail(j->req, BS_EINTERNAL, NULL, "out of memory");
        lt_job_free(j);
        return;
    }
    j->work.data = j;
    if (uv_queue_work(uv_default_loop(), &j->work, lt_work, lt_after) != 0) {
        bs__fail_as(j->req, BS_EUNAVAILABLE, "busy", "Service unavailable", NULL, "could not queue the computation");
        lt_job_free(j);
    }
}

static void lt_counts_loaded(const PGresult *res, const char *err, void *arg) {
    lt_job *j = arg;
    if (err) {
        bs__problem_db(j->req, err);
        lt_job_free(j);
        return;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        int32_t i = bs_schema_find(j->es->schema, PQgetvalue(res, r, 0));
        if (i < 0) continue;
        j->counts[i][0] += atol(PQgetvalue(res, r, 1));
        j->counts[i][1] += atol(PQgetvalue(res, r, 2));
    }
    const char *params[4] = {j->es->schema->key, j->user, j->has_gemeente ? j->gemeente : NULL,
                             j->size >= 0 ? bs_size_class_name((bs_size_class)j->size) : NULL};
    bs_store_exec(j->api->store, &SQL_LEAD_TIME_OBS, params, lt_obs_loaded, j);
}

void bs__get_lead_times(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    lt_job *j = bs_calloc(1, sizeof *j);
    j->api = api;
    j->req = req;
    j->step = -1;
    j->size = -1;
    char schema[128], step[128], size[32];
    bool has_schema, has_step, has_size;
    if (!bs__text_param(req, "schema", schema, sizeof schema, &has_schema) ||
        !bs__text_param(req, "step", step, sizeof step, &has_step) ||
        !bs__text_param(req, "size_class", size, sizeof size, &has_size) ||
        !bs__text_param(req, "gemeente", j->gemeente, sizeof j->gemeente, &j->has_gemeente)) {
        free(j);
        return;
    }
    char d[300];
    j->es = has_schema ? bs_engine_schema_get(api->engine, schema)
                       : (api->engine->n_schemas > 0 ? bs_engine_schema_get(api->engine, "ppm-woningbouw") : NULL);
    if (!j->es && !has_schema && api->engine->n_schemas > 0) j->es = &api->engine->schemas[0];
    if (!j->es) {
        snprintf(d, sizeof d, "no process schema '%.100s'", has_schema ? schema : "ppm-woningbouw");
        free(j);
        return bs__fail(req, BS_EBADPARAM, "schema", "%s", d);
    }
    if (!j->es->reference) {
        snprintf(d, sizeof d, "process schema %s has no lead-time reference history", j->es->schema->key);
        free(j);
        return bs__fail(req, BS_EBADPARAM, "schema", "%s", d);
    }
    if (has_step) {
        j->step = bs_schema_find(j->es->schema, step);
        if (j->step < 0 || j->es->schema->steps[j->step].milestone ||
            j->es->reference->fit_step[j->step].iterations == 0) {
            snprintf(d, sizeof d, "step '%.100s' is not a step with a duration in process schema %s", step,
                     j->es->schema->key);
            free(j);
            return bs__fail(req, BS_EBADPARAM, "step", "%s", d);
        }
    }
    if (has_size) {
        j->size = bs_size_class_parse(size);
        if (j->size < 0) {
            free(j);
            return bs__fail(req, BS_EBADPARAM, "size_class",
                            "size_class must be one of 1-10, 11-50, 51-200, >200, onbekend");
        }
    }
    if (j->has_gemeente && !*j->gemeente) {
        free(j);
        return bs__fail(req, BS_EBADPARAM, "gemeente", "gemeente must not be empty");
    }
    j->counts = bs_calloc((size_t)j->es->schema->n_steps, sizeof *j->counts);
    /* skipped (not carried / cancelled) and estimated realised steps of the group: counted and
     * reported, never used as durations */
    char sizebuf[16];
    snprintf(sizebuf, sizeof sizebuf, "%s", j->size >= 0 ? bs_size_class_name((bs_size_class)j->size) : "");
    snprintf(j->user, sizeof j->user, "%s", bs__principal(req)->user_id);
    const char *params[4] = {j->es->schema->key, j->user, j->has_gemeente ? j->gemeente : NULL,
                             j->size >= 0 ? sizebuf : NULL};
    bs_store_exec(api->store, &SQL_LEAD_TIME_COUNTS, params, lt_counts_loaded, j);
}

/* ---- router hook ---- */

/* ---- forecast shifts for the what-if endpoint (routes_forecast.h) ---- */

typedef struct sh_job {
    uv_work_t work;
    bs_api *api;
    char id[37];
    const bs_engine_schema *es;
    bs_progress *progress; /* owned */
    bs_day progress_date;
    bs_day data_date;
    const bs_calendar *cal; /* the owner organisation's; NULL: the default */
    bs_forecast_schedule_fn base_fn, whatif;
    void *base_ctx, *whatif_ctx;
    long samples, seed;
    bs__forecast_shifts_cb cb;
    void *arg;
    bs_size_class size;
    char gemeente[256];
    bs_own_obs own;
    bs_forecast base, wi;
    int rc;
} sh_job;

static void sh_job_free(sh_job *j) {
    free(j->progress);
    bs_own_obs_free(&j->own);
    bs_forecast_free(&j->base);
    bs_forecast_free(&j->wi);
    free(j);
}

static void sh_fail(sh_job *j, const char *err) {
    j->cb(NULL, err, j->arg);
    sh_job_free(j);
}

static void sh_work(uv_work_t *w) {
    sh_job *j = w->data;
    const bs_schema *s = j->es->schema;
    bs_ltdist *dist = bs_calloc((size_t)s->n_steps, sizeof *dist);
    unsigned char *has = bs_calloc((size_t)s->n_steps, 1);
    bs_lt_model *models = bs_calloc((size_t)s->n_steps, sizeof *models);
    if (!dist || !has || !models) {
        free(dist);
        free(has);
        free(models);
        j->rc = BS_SCHEDULE_ENOMEM;
        return;
    }
    bs_project_lt_models(j->es, j->size, j->gemeente, &j->own, models, dist, has);
    bs_forecast_input in = {.schema = s,
                            .progress = j->progress,
                            .progress_date = j->progress_date,
                            .data_date = j->data_date,
                            .cal = j->cal ? j->cal : &j->api->engine->calendar,
                            .dist = dist,
                            .has_dist = has,
                            .n_samples = (int32_t)j->samples,
                            .schedule = j->base_fn,
                            .schedule_ctx = j->base_ctx};
    bs_rng rng;
    bs_rng_seed(&rng, (uint64_t)j->seed);
    j->rc = bs_forecast_compute(&in, &rng, &j->base);
    if (j->rc == BS_SCHEDULE_OK) {
        in.schedule = j->whatif;
        in.schedule_ctx = j->whatif_ctx;
        bs_rng_seed(&rng, (uint64_t)j->seed); /* common random numbers */
        j->rc = bs_forecast_compute(&in, &rng, &j->wi);
    }
    for (int32_t i = 0; i < s->n_steps; i++) bs_lt_model_free(&models[i]);
    free(models);
    free(dist);
    free(has);
}

static void shift_fields(json_t *o, bs_day b50, bs_day b80, bs_day w50, bs_day w80) {
    json_object_set_new(o, "p50", bs_date_json(b50));
    json_object_set_new(o, "p80", bs_date_json(b80));
    json_object_set_new(o, "what_if_p50", bs_date_json(w50));
    json_object_set_new(o, "what_if_p80", bs_date_json(w80));
    json_object_set_new(o, "p50_days",
                        b50 == BS_DAY_NONE || w50 == BS_DAY_NONE ? json_null() : json_integer(w50 - b50));
    json_object_set_new(o, "p80_days",
                        b80 == BS_DAY_NONE || w80 == BS_DAY_NONE ? json_null() : json_integer(w80 - b80));
}

static void sh_after(uv_work_t *w, int status) {
    sh_job *j = w->data;
    if (status != 0 || j->rc != BS_SCHEDULE_OK) {
        sh_fail(j, status ? "cancelled" : bs_schedule_strerror((bs_schedule_err)j->rc));
        return;
    }
    const bs_schema *s = j->es->schema;
    json_t *o = json_object();
    json_object_set_new(o, "samples", json_integer(j->samples));
    json_object_set_new(o, "seed", json_integer(j->seed));
    json_t *c = json_object();
    shift_fields(c, j->base.completion_p50, j->base.completion_p80, j->wi.completion_p50, j->wi.completion_p80);
    json_object_set_new(o, "completion", c);
    json_t *ms = json_array();
    for (int32_t i = 0; i < s->n_steps; i++) {
        if (!s->steps[i].milestone) continue;
        json_t *x = json_object();
        json_object_set_new(x, "key", json_string(s->steps[i].key));
        shift_fields(x, j->base.steps[i].p50, j->base.steps[i].p80, j->wi.steps[i].p50, j->wi.steps[i].p80);
        json_array_append_new(ms, x);
    }
    json_object_set_new(o, "milestones", ms);
    j->cb(o, NULL, j->arg);
    sh_job_free(j);
}

static void sh_obs_loaded(const PGresult *res, const char *err, void *arg) {
    sh_job *j = arg;
    if (err) return sh_fail(j, err);
    if (bs_own_obs_from_result(res, j->es->schema, &j->api->engine->calendar, &j->own) != 0)
        return sh_fail(j, "out of memory");
    j->work.data = j;
    if (uv_queue_work(uv_default_loop(), &j->work, sh_work, sh_after) != 0) sh_fail(j, "could not queue the forecast");
}

static void sh_project_loaded(const PGresult *res, const char *err, void *arg) {
    sh_job *j = arg;
    if (err) return sh_fail(j, err);
    if (PQntuples(res) == 0) return sh_fail(j, "no such project");
    j->size = bs_size_class_of(PQgetisnull(res, 0, 0) ? 0 : atol(PQgetvalue(res, 0, 0)));
    snprintf(j->gemeente, sizeof j->gemeente, "%s", PQgetvalue(res, 0, 1));
    const char *params[1] = {j->es->schema->key};
    bs_store_exec(j->api->store, &BS_STMT_OWN_OBSERVATIONS, params, sh_obs_loaded, j);
}

void bs__forecast_shifts(bs_api *api, const char *project_id, const bs_schema *schema, const bs_progress *progress,
                         bs_day progress_date, bs_day data_date, const bs_calendar *cal, bs_forecast_schedule_fn base,
                         void *base_ctx, bs_forecast_schedule_fn whatif, void *whatif_ctx, long samples, long seed,
                         bs__forecast_shifts_cb cb, void *arg) {
    sh_job *j = bs_calloc(1, sizeof *j);
    const bs_engine_schema *es = bs_engine_schema_version(api->engine, schema->key, schema->version);
    if (!j || !es || samples < FC_SAMPLES_MIN || samples > FC_SAMPLES_MAX || seed < 0) {
        free(j);
        cb(NULL, !es ? "unknown process schema" : "samples must be 100..20000 and seed >= 0", arg);
        return;
    }
    j->api = api;
    snprintf(j->id, sizeof j->id, "%s", project_id);
    j->es = es;
    j->progress = bs_malloc((size_t)schema->n_steps * sizeof *j->progress);
    memcpy(j->progress, progress, (size_t)schema->n_steps * sizeof *j->progress);
    j->progress_date = progress_date;
    j->data_date = data_date;
    j->cal = cal;
    j->base_fn = base;
    j->base_ctx = base_ctx;
    j->whatif = whatif;
    j->whatif_ctx = whatif_ctx;
    j->samples = samples;
    j->seed = seed;
    j->cb = cb;
    j->arg = arg;
    const char *params[1] = {j->id};
    bs_store_exec(api->store, &SQL_PROJECT_HOMES, params, sh_project_loaded, j);
}
