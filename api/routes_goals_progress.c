/*
 * GET /api/v1/goals/{id}/progress (issue 18 item 3; docs/homes-and-goals.md "Beleidsdoelen"):
 * homes planned, P50/P80 homes by the deadline, the probability that the goal is met, and the
 * projects that matter most.
 *
 * The flow, all queries on the async store, the CPU work on the libuv thread pool:
 *   1. the goal (the caller may read it), 2. its contributing projects with their blocks per
 *   milestone and forecast stamp (SQL_GOAL_PROJECTS), 3. for the projects whose cached delivery
 *   samples are stale (engine/runtime/delivery.h: stamp, data date, milestones), their states in
 *   chunks and the own observations of their schemas, 4. on the pool: their delivery samples,
 *   then the goal (bs_goal_compute, pure), 5. on the loop: the new samples into the cache, the
 *   JSON. A project the caller may not read is listed without id, name and gemeente.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "alloc.h"
#include "api_internal.h"
#include "authz.h"
#include "delivery.h"
#include "goals.h"
#include "handlers.h"
#include "routes_goals_sql.h"

#define GP_CHUNK 250  /* project states per query */
#define GP_BATCH 16   /* stale projects forecast per work item */
#define GP_PARALLEL 2 /* work items of one request in the pool at once: others' work interleaves */

typedef struct gp_proj {
    char id[37];
    long long stamp;
    bs_day data_date;
    bool readable, failed;
    char *name, *gemeente, *cols; /* owned; cols: the milestones of its blocks, comma-joined */
    int32_t n_cols;
    int64_t *num, *den;         /* owned; n_cols: net homes matching the conditions / all */
    int32_t n_fix;              /* its blocks spread over years (0037): per year, delivered on 1 July */
    int32_t *fix_year;          /* owned; n_fix */
    int64_t *fix_num, *fix_den; /* owned; n_fix: as num, den */
    bool malformed;             /* its row could not be read: counted as not forecast */
    bs_delivery *d;             /* a reference (cached or computed); NULL: to compute */
    bs_project_state st;        /* when stale: its state (has_state) */
    bool has_state;
    int schema; /* index into the job's schemas */
} gp_proj;

typedef struct gp_job {
    uv_work_t work;
    bs_api *api;
    bs_req *req;
    char goal_id[37], user_id[40];
    json_t *goal; /* the goal as the API shows it */
    bs_day today;
    gp_proj *p; /* owned; n */
    int32_t n, *stale, n_stale, next;
    char **schema_keys; /* owned; n_schemas: the schemas of the stale projects */
    bs_own_obs *own;    /* owned; n_schemas */
    int n_schemas, next_schema;
    int32_t n_computed, n_failed;
    int32_t next_batch, in_flight; /* the stale projects' batches: next to queue, queued */
    bool batch_failed;
    bs_goal_result res;
    int32_t *order; /* owned; n: the projects by importance */
    int rc;
} gp_job;

static void gp_free(gp_job *j) {
    for (int32_t i = 0; i < j->n; i++) {
        gp_proj *p = &j->p[i];
        free(p->name);
        free(p->gemeente);
        free(p->cols);
        free(p->num);
        free(p->den);
        free(p->fix_year);
        free(p->fix_num);
        free(p->fix_den);
        bs_delivery_unref(p->d);
        if (p->has_state) bs_project_state_free(&p->st);
    }
    for (int k = 0; k < j->n_schemas; k++) {
        free(j->schema_keys[k]);
        bs_own_obs_free(&j->own[k]);
    }
    free(j->schema_keys);
    free(j->own);
    free(j->p);
    free(j->stale);
    free(j->order);
    bs_goal_result_free(&j->res);
    json_decref(j->goal);
    free(j);
}

static void gp_fail_db(gp_job *j, const char *err) {
    bs__problem_db(j->req, err);
    gp_free(j);
}

/* ---- 4. the pool ---- */

/* The goal's windows: by_year one (up to 31 Dec year_to), per_year one per year. */
static int32_t goal_windows(const json_t *goal, bs_day *from, bs_day *to) {
    int yt = (int)json_integer_value(json_object_get(goal, "year_to"));
    if (strcmp(json_string_value(json_object_get(goal, "period")), "per_year") != 0) {
        from[0] = BS_DAY_NONE;
        to[0] = bs_date_from_ymd(yt, 12, 31);
        return 1;
    }
    int yf = (int)json_integer_value(json_object_get(goal, "year_from"));
    int32_t n = 0;
    for (int y = yf; y <= yt && n < BS_GOAL_MAX_WINDOWS; y++, n++) {
        from[n] = bs_date_from_ymd(y, 1, 1);
        to[n] = bs_date_from_ymd(y, 12, 31);
    }
    return n;
}

/* A project's sort key: importance (NaN last), then planned homes, both descending; then index. */
typedef struct gp_rank {
    double importance, planned;
    int32_t i;
} gp_rank;

static int cmp_rank(const void *a, const void *b) {
    const gp_rank *x = a, *y = b;
    if (x->importance != y->importance) return x->importance < y->importance ? 1 : -1;
    if (x->planned != y->planned) return x->planned < y->planned ? 1 : -1;
    return (x->i > y->i) - (x->i < y->i);
}

static void gp_work(uv_work_t *w) {
    gp_job *j = w->data;
    for (int32_t k = 0; k < j->n_stale; k++) j->n_computed += j->p[j->stale[k]].d != NULL;
    bs_goal_project *gp = bs_calloc((size_t)j->n + 1, sizeof *gp);
    int32_t *idx = bs_malloc(((size_t)j->n + 1) * sizeof *idx), np = 0, nb = 0;
    size_t max_blocks = 1;
    for (int32_t i = 0; i < j->n; i++) max_blocks += (size_t)j->p[i].n_cols + (size_t)j->p[i].n_fix;
    bs_goal_block *bl = bs_malloc(max_blocks * sizeof *bl);
    for (int32_t i = 0; i < j->n; i++) {
        gp_proj *p = &j->p[i];
        idx[i] = -1;
        /* a project whose blocks are all spread over years needs no forecast */
        if (p->malformed || (p->n_cols > 0 && (!p->d || p->d->n_cols != p->n_cols))) {
            p->failed = true;
            j->n_failed++;
            continue;
        }
        gp[np] = p->n_cols > 0 ? (bs_goal_project){p->d->n_cols, p->d->planned, p->d->samples}
                               : (bs_goal_project){0, NULL, NULL};
        for (int32_t c = 0; c < p->n_cols; c++)
            bl[nb++] = (bs_goal_block){np, c, (int32_t)p->num[c], (int32_t)p->den[c], false, BS_DAY_NONE};
        /* a spread block's share of a year: delivered on 1 July of that year in the plan and in every sample
         * (docs/blocks.md "Spread over years") */
        for (int32_t f = 0; f < p->n_fix; f++)
            bl[nb++] = (bs_goal_block){
                np, 0, (int32_t)p->fix_num[f], (int32_t)p->fix_den[f], true, bs_date_from_ymd(p->fix_year[f], 7, 1)};
        idx[i] = np++;
    }
    bs_day from[BS_GOAL_MAX_WINDOWS], to[BS_GOAL_MAX_WINDOWS];
    bs_goal_spec g = {.percentage = strcmp(json_string_value(json_object_get(j->goal, "measure")), "percentage") == 0,
                      .maximum = strcmp(json_string_value(json_object_get(j->goal, "direction")), "maximum") == 0,
                      .target = json_number_value(json_object_get(j->goal, "target")),
                      .n_windows = goal_windows(j->goal, from, to),
                      .from = from,
                      .to = to};
    j->rc = bs_goal_compute(&g, gp, np, bl, nb, BS_DELIVERY_SAMPLES, &j->res);
    /* the projects (job indexes of the computed ones) by importance */
    j->order = bs_malloc(((size_t)np + 1) * sizeof *j->order);
    for (int32_t i = 0; i < j->n; i++)
        if (idx[i] >= 0) j->order[idx[i]] = i;
    if (j->rc == BS_GOAL_OK) {
        gp_rank *by = bs_malloc(((size_t)np + 1) * sizeof *by);
        for (int32_t k = 0; k < np; k++) {
            double im = j->res.projects[k].importance;
            by[k] = (gp_rank){isnan(im) ? -INFINITY : im, j->res.projects[k].planned, k};
        }
        qsort(by, (size_t)np, sizeof *by, cmp_rank);
        int32_t *o = bs_malloc(((size_t)np + 1) * sizeof *o);
        for (int32_t k = 0; k < np; k++) o[k] = j->order[by[k].i];
        free(j->order);
        j->order = o;
        free(by);
    }
    free(gp);
    free(idx);
    free(bl);
}

/* ---- 5. the answer ---- */

static json_t *num_or_null(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *window_json(const json_t *goal, const bs_goal_window *w, int32_t k) {
    json_t *o = json_object();
    bool per = strcmp(json_string_value(json_object_get(goal, "period")), "per_year") == 0;
    json_int_t y = per ? json_integer_value(json_object_get(goal, "year_from")) + k
                       : json_integer_value(json_object_get(goal, "year_to"));
    json_object_set_new(o, "year", json_integer(y));
    json_object_set_new(o, "planned", json_real(w->planned));
    json_object_set_new(o, "p50", json_real(w->p50));
    json_object_set_new(o, "p80", json_real(w->p80));
    json_object_set_new(o, "mean", json_real(w->mean));
    json_object_set_new(o, "probability_met", json_real(w->p_met));
    return o;
}

/* A project's entry; r is its result (by its index among the computed projects). */
static json_t *project_json(const gp_proj *p, const bs_goal_project_result *r) {
    json_t *o = json_object();
    json_object_set_new(o, "id", p->readable ? json_string(p->id) : json_null());
    json_object_set_new(o, "name", p->readable ? json_string(p->name) : json_null());
    json_object_set_new(o, "gemeente", p->readable ? json_string(p->gemeente) : json_null());
    json_object_set_new(o, "planned", json_real(r->planned));
    json_object_set_new(o, "p_late", json_real(r->p_late));
    json_object_set_new(o, "p_late_given_missed", num_or_null(r->p_late_missed));
    json_object_set_new(o, "importance", num_or_null(r->importance));
    json_t *dist = json_array();
    for (int32_t k = 0; k < r->n_dist; k++) {
        json_t *x = json_object();
        json_object_set_new(x, "value", json_real(r->dist_value[k]));
        json_object_set_new(x, "probability", json_real(r->dist_prob[k]));
        json_array_append_new(dist, x);
    }
    json_object_set_new(o, "delivery", dist);
    return o;
}

static json_t *progress_json(gp_job *j) {
    json_t *o = json_object();
    json_object_set_new(o, "goal", json_incref(j->goal));
    json_object_set_new(o, "samples", json_integer(BS_DELIVERY_SAMPLES));
    json_object_set_new(o, "independence", json_string("projects are treated as independent"));
    json_object_set_new(o, "probability_met", json_real(j->res.p_met));
    json_t *ws = json_array();
    for (int32_t k = 0; k < j->res.n_windows; k++)
        json_array_append_new(ws, window_json(j->goal, &j->res.windows[k], k));
    json_object_set_new(o, "windows", ws);
    json_t *ps = json_array();
    /* order holds the job indexes by importance; the result index of job index i is its rank in
     * the computed list, found again through the same order */
    int32_t np = j->res.n_projects;
    int32_t *res_of = bs_malloc(((size_t)j->n + 1) * sizeof *res_of);
    for (int32_t i = 0, k = 0; i < j->n; i++) res_of[i] = j->p[i].failed ? -1 : k++;
    for (int32_t k = 0; k < np; k++) {
        int32_t i = j->order[k];
        json_array_append_new(ps, project_json(&j->p[i], &j->res.projects[res_of[i]]));
    }
    free(res_of);
    json_object_set_new(o, "projects", ps);
    json_t *c = json_object();
    json_object_set_new(c, "projects", json_integer(j->n));
    json_object_set_new(c, "computed", json_integer(j->n_computed));
    json_object_set_new(c, "reused", json_integer(j->n - j->n_stale));
    json_object_set_new(c, "not_forecast", json_integer(j->n_failed));
    json_object_set_new(o, "forecasts", c);
    return o;
}

static void gp_after(uv_work_t *w, int status) {
    gp_job *j = w->data;
    /* the new samples into the cache (also when the goal failed: they are the project's) */
    for (int32_t k = 0; k < j->n_stale; k++) {
        gp_proj *p = &j->p[j->stale[k]];
        if (p->d && j->api->delivery_cache) bs_delivery_cache_put(j->api->delivery_cache, bs_delivery_ref(p->d));
    }
    if (status != 0 || j->rc != BS_GOAL_OK) {
        bs__fail_as(j->req, BS_EINTERNAL, "progress_failed", "Progress could not be computed", NULL, "%s",
                    status ? "cancelled" : "the goal computation failed");
    } else {
        bs__respond_json(j->req, 200, progress_json(j));
    }
    gp_free(j);
}

static void gp_queue(gp_job *j) {
    j->work.data = j;
    if (uv_queue_work(uv_default_loop(), &j->work, gp_work, gp_after) != 0) {
        bs__fail_as(j->req, BS_EUNAVAILABLE, "busy", "Service unavailable", NULL, "could not queue the computation");
        gp_free(j);
    }
}

/* One batch of stale projects: their delivery samples (pure). */
typedef struct gp_batch {
    uv_work_t work;
    gp_job *job;
    int32_t k0, k1; /* stale[k0..k1) */
} gp_batch;

static void gp_batch_work(uv_work_t *w) {
    gp_batch *b = w->data;
    gp_job *j = b->job;
    for (int32_t k = b->k0; k < b->k1; k++) {
        gp_proj *p = &j->p[j->stale[k]];
        if (!p->has_state) continue;
        p->d = bs_delivery_compute(j->api->engine, &p->st, p->schema >= 0 ? &j->own[p->schema] : NULL, p->id, p->stamp,
                                   p->cols, BS_DELIVERY_SAMPLES);
    }
}

static void gp_batches(gp_job *j);

static void gp_batch_after(uv_work_t *w, int status) {
    gp_batch *b = w->data;
    gp_job *j = b->job;
    free(b);
    j->in_flight--;
    if (status != 0) j->batch_failed = true;
    gp_batches(j);
}

/* Keeps up to GP_PARALLEL batches of stale projects in the pool; when all are done, the goal. */
static void gp_batches(gp_job *j) {
    while (!j->batch_failed && j->in_flight < GP_PARALLEL && j->next_batch < j->n_stale) {
        gp_batch *b = bs_calloc(1, sizeof *b);
        b->job = j;
        b->k0 = j->next_batch;
        b->k1 = j->next_batch + GP_BATCH < j->n_stale ? j->next_batch + GP_BATCH : j->n_stale;
        b->work.data = b;
        if (uv_queue_work(uv_default_loop(), &b->work, gp_batch_work, gp_batch_after) != 0) {
            free(b);
            j->batch_failed = true;
            break;
        }
        j->next_batch = b->k1;
        j->in_flight++;
    }
    if (j->in_flight > 0) return;
    if (j->batch_failed) {
        bs__fail_as(j->req, BS_EUNAVAILABLE, "busy", "Service unavailable", NULL, "could not queue the forecasts");
        return gp_free(j);
    }
    gp_queue(j);
}

/* ---- 3. the stale projects: states, then observations ---- */

static void gp_load_obs(gp_job *j);

static void gp_obs_loaded(const PGresult *res, const char *err, void *arg) {
    gp_job *j = arg;
    if (err) return gp_fail_db(j, err);
    int k = j->next_schema++;
    const bs_engine_schema *es = bs_engine_schema_get(j->api->engine, j->schema_keys[k]);
    if (bs_own_obs_from_result(res, es->schema, &j->api->engine->calendar, &j->own[k]) != 0) {
        bs__fail(j->req, BS_EINTERNAL, NULL, "out of memory");
        return gp_free(j);
    }
    gp_load_obs(j);
}

static void gp_load_obs(gp_job *j) {
    if (j->next_schema >= j->n_schemas) return gp_batches(j);
    const char *params[1] = {j->schema_keys[j->next_schema]};
    bs_store_exec(j->api->store, &BS_STMT_OWN_OBSERVATIONS, params, gp_obs_loaded, j);
}

static int schema_index(gp_job *j, const char *key) {
    for (int k = 0; k < j->n_schemas; k++)
        if (strcmp(j->schema_keys[k], key) == 0) return k;
    j->schema_keys = bs_realloc(j->schema_keys, ((size_t)j->n_schemas + 1) * sizeof *j->schema_keys);
    j->own = bs_realloc(j->own, ((size_t)j->n_schemas + 1) * sizeof *j->own);
    memset(&j->own[j->n_schemas], 0, sizeof *j->own);
    j->schema_keys[j->n_schemas] = bs_strdup(key);
    return j->n_schemas++;
}

static void gp_load_states(gp_job *j);

static void gp_states_loaded(const PGresult *res, const char *err, void *arg) {
    gp_job *j = arg;
    if (err) return gp_fail_db(j, err);
    for (int r = 0; r < PQntuples(res); r++) {
        gp_proj *p = NULL;
        for (int32_t k = j->next - GP_CHUNK; k < j->next && k < j->n_stale; k++)
            if (k >= 0 && strcmp(j->p[j->stale[k]].id, PQgetvalue(res, r, 0)) == 0) p = &j->p[j->stale[k]];
        json_t *doc = p ? json_loads(PQgetvalue(res, r, 1), 0, NULL) : NULL;
        if (!doc) continue;
        int rc = bs_project_state_parse(j->api->engine, doc, j->today, &p->st);
        json_decref(doc);
        p->has_state = true;
        if (rc != 0) {
            bs_project_state_free(&p->st);
            p->has_state = false;
            continue;
        }
        p->schema = schema_index(j, p->st.schema->key);
    }
    gp_load_states(j);
}

/* The next chunk of stale projects' states; then the observations. */
static void gp_load_states(gp_job *j) {
    if (j->next >= j->n_stale) return gp_load_obs(j);
    int32_t end = j->next + GP_CHUNK < j->n_stale ? j->next + GP_CHUNK : j->n_stale;
    char *ids = bs_malloc((size_t)(end - j->next) * 38 + 3), *q = ids;
    *q++ = '{';
    for (int32_t k = j->next; k < end; k++) q += sprintf(q, "%s%s", k > j->next ? "," : "", j->p[j->stale[k]].id);
    *q++ = '}';
    *q = 0;
    j->next = j->next + GP_CHUNK;
    const char *params[1] = {ids};
    bs_store_exec(j->api->store, &SQL_GOAL_STATES, params, gp_states_loaded, j);
    free(ids);
}

/* ---- 2. the contributing projects ---- */

/* Fills p's spread years from column 7 of SQL_GOAL_PROJECTS row r ([[year, num, den], ...]). false when malformed. */
static bool spread_years(const PGresult *res, int r, gp_proj *p) {
    json_t *a = json_loads(PQgetvalue(res, r, 7), 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return false;
    }
    p->n_fix = (int32_t)json_array_size(a);
    p->fix_year = bs_calloc((size_t)p->n_fix + 1, sizeof *p->fix_year);
    p->fix_num = bs_calloc((size_t)p->n_fix + 1, sizeof *p->fix_num);
    p->fix_den = bs_calloc((size_t)p->n_fix + 1, sizeof *p->fix_den);
    for (int32_t f = 0; f < p->n_fix; f++) {
        json_t *e = json_array_get(a, f);
        p->fix_year[f] = (int32_t)json_integer_value(json_array_get(e, 0));
        p->fix_num[f] = json_integer_value(json_array_get(e, 1));
        p->fix_den[f] = json_integer_value(json_array_get(e, 2));
    }
    json_decref(a);
    return true;
}

/* Fills p from one SQL_GOAL_PROJECTS row. Returns false on a malformed row. */
static bool project_row(gp_job *j, const PGresult *res, int r, gp_proj *p) {
    snprintf(p->id, sizeof p->id, "%s", PQgetvalue(res, r, 0));
    p->stamp = atoll(PQgetvalue(res, r, 1));
    bs_day pd = BS_DAY_NONE;
    if (!PQgetisnull(res, r, 2)) bs_date_parse(PQgetvalue(res, r, 2), &pd);
    p->data_date = bs_data_date(pd, j->today);
    p->readable = PQgetvalue(res, r, 3)[0] == 't';
    p->name = bs_strdup(PQgetvalue(res, r, 4));
    p->gemeente = bs_strdup(PQgetvalue(res, r, 5));
    p->schema = -1;
    json_t *a = json_loads(PQgetvalue(res, r, 6), 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return false;
    }
    p->n_cols = (int32_t)json_array_size(a);
    p->num = bs_calloc((size_t)p->n_cols + 1, sizeof *p->num);
    p->den = bs_calloc((size_t)p->n_cols + 1, sizeof *p->den);
    size_t len = 1;
    for (int32_t c = 0; c < p->n_cols; c++)
        len += strlen(json_string_value(json_array_get(json_array_get(a, c), 0)) ?: "") + 1;
    p->cols = bs_calloc(len, 1);
    for (int32_t c = 0; c < p->n_cols; c++) {
        json_t *e = json_array_get(a, c);
        if (c) strcat(p->cols, ",");
        strcat(p->cols, json_string_value(json_array_get(e, 0)) ?: "");
        p->num[c] = json_integer_value(json_array_get(e, 1));
        p->den[c] = json_integer_value(json_array_get(e, 2));
    }
    json_decref(a);
    return spread_years(res, r, p);
}

static void gp_projects_loaded(const PGresult *res, const char *err, void *arg) {
    gp_job *j = arg;
    if (err) return gp_fail_db(j, err);
    j->n = PQntuples(res);
    j->p = bs_calloc((size_t)j->n + 1, sizeof *j->p);
    j->stale = bs_malloc(((size_t)j->n + 1) * sizeof *j->stale);
    for (int32_t i = 0; i < j->n; i++) {
        gp_proj *p = &j->p[i];
        if (!project_row(j, res, i, p)) {
            p->malformed = true;
            continue;
        }
        if (p->n_cols == 0) continue; /* only spread blocks: no forecast needed */
        const bs_delivery *d = j->api->delivery_cache
                                   ? bs_delivery_cache_get(j->api->delivery_cache, p->id, p->stamp, p->data_date,
                                                           p->cols, BS_DELIVERY_SAMPLES)
                                   : NULL;
        if (d)
            p->d = bs_delivery_ref(d);
        else
            j->stale[j->n_stale++] = i;
    }
    gp_load_states(j);
}

/* ---- 1. the goal ---- */

static void gp_goal_loaded(const PGresult *res, const char *err, void *arg) {
    gp_job *j = arg;
    if (err) return gp_fail_db(j, err);
    if (PQntuples(res) == 0 || !(j->goal = json_loads(PQgetvalue(res, 0, 0), 0, NULL))) {
        bs__fail_as(j->req, BS_ENOTFOUND, NULL, "Goal not found", "id", "No goal with this id");
        return gp_free(j);
    }
    const char *params[2] = {j->goal_id, j->user_id};
    bs_store_exec(j->api->store, &SQL_GOAL_PROJECTS, params, gp_projects_loaded, j);
}

void bs__goal_progress(bs_api *api, bs_req *req, const bs_path *path) {
    gp_job *j = bs_calloc(1, sizeof *j);
    j->api = api;
    j->req = req;
    j->today = api->today(api->today_arg);
    snprintf(j->goal_id, sizeof j->goal_id, "%.36s", path->ref);
    snprintf(j->user_id, sizeof j->user_id, "%s", bs__principal(req)->user_id);
    const char *params[2] = {j->goal_id, j->user_id};
    bs_store_exec(api->store, &SQL_GOAL_GET, params, gp_goal_loaded, j);
}
