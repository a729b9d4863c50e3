/*
 * The forecast part of `bouwstroom summary` (docs/forecasting.md §7). See summary_forecast.h.
 */
#include "summary_forecast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "engine.h"
#include "forecast.h"
#include "leadtime.h"

typedef struct sf_plan {
    int provincie; /* index into r->provs */
    int schema;    /* index into engine->schemas */
    bs_day expected_by, progress_date, data_date;
    bs_size_class size;
    char *gemeente;        /* owned */
    bs_progress *progress; /* owned; schema n_steps */
    bs_day p50_last;       /* result: P50 of laatste_oplevering, BS_DAY_NONE when none */
} sf_plan;

struct bs_summary_forecast {
    uv_loop_t *loop;
    bs_store *store;
    const bs_engine *engine;
    bs_summary_forecast_cb done;
    void *arg;
    uv_work_t work;
    /* own observations per schema */
    bs_lt_obs **obs; /* owned; [n_schemas] */
    size_t *n_obs;
    char *strings;  /* owned; covariate strings of the observations */
    sf_plan *plans; /* owned; n_plans */
    long n_plans;
    char **provs; /* owned; n_provs */
    int n_provs;
    long *later, *with; /* owned; per province */
    long n_distinct;
    double seconds;
    int failed;
};

void bs_summary_forecast_free(bs_summary_forecast *r) {
    if (!r) return;
    for (int s = 0; r->obs && s < r->engine->n_schemas; s++) free(r->obs[s]);
    free(r->obs);
    free(r->n_obs);
    free(r->strings);
    for (long i = 0; i < r->n_plans; i++) {
        free(r->plans[i].gemeente);
        free(r->plans[i].progress);
    }
    free(r->plans);
    for (int i = 0; i < r->n_provs; i++) free(r->provs[i]);
    free(r->provs);
    free(r->later);
    free(r->with);
    free(r);
}

long bs_summary_forecast_later(const bs_summary_forecast *r, const char *provincie, long *n_forecast) {
    *n_forecast = 0;
    if (!r) return 0;
    for (int i = 0; i < r->n_provs; i++)
        if (strcmp(r->provs[i], provincie) == 0) {
            *n_forecast = r->with[i];
            return r->later[i];
        }
    return 0;
}

void bs_summary_forecast_stats(const bs_summary_forecast *r, long *n_plans, long *n_distinct, double *seconds) {
    *n_plans = r ? r->n_plans : 0;
    *n_distinct = r ? r->n_distinct : 0;
    *seconds = r ? r->seconds : 0;
}

static int schema_index(const bs_engine *e, const char *key) {
    for (int i = 0; i < e->n_schemas; i++)
        if (strcmp(e->schemas[i].schema->key, key) == 0) return i;
    return -1;
}

/* ---- memo of identical forecast inputs (exact byte comparison behind a 64-bit FNV-1a hash) ---- */

typedef struct memo_entry {
    uint64_t hash;
    unsigned char *key; /* owned */
    size_t len;
    bs_day value;
} memo_entry;

typedef struct memo {
    memo_entry *e;
    size_t cap, n;
} memo;

static uint64_t fnv1a(const unsigned char *p, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static memo_entry *memo_find(memo *m, const unsigned char *key, size_t len, uint64_t h, int *found) {
    if (m->n * 2 >= m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 1024;
        memo_entry *ne = bs_calloc(nc, sizeof *ne);
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->e[i].key) continue;
            size_t k = m->e[i].hash & (nc - 1);
            while (ne[k].key) k = (k + 1) & (nc - 1);
            ne[k] = m->e[i];
        }
        free(m->e);
        m->e = ne;
        m->cap = nc;
    }
    size_t k = h & (m->cap - 1);
    while (m->e[k].key) {
        if (m->e[k].hash == h && m->e[k].len == len && memcmp(m->e[k].key, key, len) == 0) {
            *found = 1;
            return &m->e[k];
        }
        k = (k + 1) & (m->cap - 1);
    }
    *found = 0;
    return &m->e[k];
}

static void put_bytes(unsigned char **p, const void *v, size_t n) {
    memcpy(*p, v, n);
    *p += n;
}

static void sf_work(uv_work_t *w) {
    bs_summary_forecast *r = w->data;
    uint64_t t0 = uv_hrtime();
    memo mm = {0};
    for (long pi = 0; pi < r->n_plans; pi++) {
        sf_plan *pl = &r->plans[pi];
        const bs_engine_schema *es = &r->engine->schemas[pl->schema];
        const bs_schema *s = es->schema;
        int32_t last = bs_schema_find(s, "laatste_oplevering");
        pl->p50_last = BS_DAY_NONE;
        if (last < 0) continue;
        bs_ltdist *dist = bs_calloc((size_t)s->n_steps, sizeof *dist);
        unsigned char *has = bs_calloc((size_t)s->n_steps, 1);
        bs_lt_model *models = bs_calloc((size_t)s->n_steps, sizeof *models);
        for (int32_t i = 0; models && i < s->n_steps; i++) {
            if (!s->steps[i].milestone && es->reference &&
                bs_lt_model_build(es->reference, i, (int)pl->size, pl->gemeente, r->obs[pl->schema],
                                  r->n_obs[pl->schema], &models[i]) == BS_EST_OK) {
                dist[i] = models[i].sample;
                has[i] = 1;
            }
        }
        size_t klen = 12 + (size_t)s->n_steps * (4 * 4 + 1 + 4 + 3 * 8 + 4); /* schema, progress and data date */
        for (int32_t i = 0; dist && i < s->n_steps; i++) klen += (size_t)dist[i].n_km * 16;
        unsigned char *key = bs_malloc(klen), *kp = key;

        int32_t sidx = pl->schema;
        put_bytes(&kp, &sidx, 4);
        put_bytes(&kp, &pl->progress_date, 4);
        put_bytes(&kp, &pl->data_date, 4);
        for (int32_t i = 0; i < s->n_steps; i++) {
            const bs_progress *p = &pl->progress[i];
            int32_t st = (int32_t)p->status, est = p->actual_estimated;
            put_bytes(&kp, &st, 4);
            put_bytes(&kp, &p->actual_start, 4);
            put_bytes(&kp, &p->actual_finish, 4);
            put_bytes(&kp, &est, 4);
            int32_t fam = (int32_t)dist[i].par.family;
            put_bytes(&kp, &has[i], 1);
            put_bytes(&kp, &fam, 4);
            put_bytes(&kp, &dist[i].par.mu, 8);
            put_bytes(&kp, &dist[i].par.sigma, 8);
            put_bytes(&kp, &dist[i].w, 8);
            put_bytes(&kp, &dist[i].n_km, 4);
            for (int32_t k = 0; k < dist[i].n_km; k++) {
                put_bytes(&kp, &dist[i].km_time[k], 8);
                put_bytes(&kp, &dist[i].km_surv[k], 8);
            }
        }
        size_t len = (size_t)(kp - key);
        uint64_t h = fnv1a(key, len);
        int found;
        memo_entry *me = memo_find(&mm, key, len, h, &found);
        if (found) {
            pl->p50_last = me->value;
            free(key);
        } else {
            bs_forecast_input in = {.schema = s,
                                    .progress = pl->progress,
                                    .progress_date = pl->progress_date,
                                    .data_date = pl->data_date,
                                    .cal = &r->engine->calendar,
                                    .dist = dist,
                                    .has_dist = has,
                                    .n_samples = BS_SUMMARY_SAMPLES};
            bs_rng rng;
            bs_rng_seed(&rng, 1);
            bs_forecast f;
            if (bs_forecast_compute(&in, &rng, &f) == BS_SCHEDULE_OK) {
                pl->p50_last = f.steps[last].p50;
                bs_forecast_free(&f);
            }
            me->hash = h;
            me->key = key;
            me->len = len;
            me->value = pl->p50_last;
            mm.n++;
        }
        for (int32_t i = 0; i < s->n_steps; i++) bs_lt_model_free(&models[i]);
        free(models);
        free(dist);
        free(has);
    }
    r->n_distinct = (long)mm.n;
    for (size_t i = 0; i < mm.cap; i++) free(mm.e[i].key);
    free(mm.e);
    r->seconds = (double)(uv_hrtime() - t0) * 1e-9;
}

static void sf_after(uv_work_t *w, int status) {
    bs_summary_forecast *r = w->data;
    if (status != 0 || r->failed) {
        r->done(NULL, "forecasting failed", r->arg);
        bs_summary_forecast_free(r);
        return;
    }
    for (long i = 0; i < r->n_plans; i++) {
        const sf_plan *pl = &r->plans[i];
        if (pl->p50_last == BS_DAY_NONE) continue;
        r->with[pl->provincie]++;
        if (pl->expected_by < pl->p50_last) r->later[pl->provincie]++;
    }
    r->done(r, NULL, r->arg);
}

static void sf_plans_loaded(const PGresult *res, const char *err, void *arg) {
    bs_summary_forecast *r = arg;
    if (err) {
        r->done(NULL, err, r->arg);
        bs_summary_forecast_free(r);
        return;
    }
    int n = PQntuples(res);
    r->plans = bs_calloc((size_t)n + 1, sizeof *r->plans);
    r->provs = bs_calloc(64, sizeof *r->provs);
    int row = 0;
    while (row < n) {
        const char *pid = PQgetvalue(res, row, 0);
        int si = schema_index(r->engine, PQgetvalue(res, row, 7));
        sf_plan *pl = &r->plans[r->n_plans];
        int r0 = row;
        if (si >= 0 && bs_date_parse(PQgetvalue(res, row, 2), &pl->expected_by) == 0 &&
            bs_date_parse(PQgetvalue(res, row, 3), &pl->progress_date) == 0) {
            /* plans are forecast from the data date: the later of the progress date and today */
            pl->data_date = bs_data_date(pl->progress_date, bs_clock_today_amsterdam(NULL));
            const bs_schema *s = r->engine->schemas[si].schema;
            pl->schema = si;
            pl->size = bs_size_class_of(atol(PQgetvalue(res, row, 5)));
            pl->gemeente = bs_strdup(PQgetvalue(res, row, 6));
            const char *prov = PQgetvalue(res, row, 1);
            int k;
            for (k = 0; k < r->n_provs; k++)
                if (strcmp(r->provs[k], prov) == 0) break;
            if (k == r->n_provs && r->n_provs < 64) r->provs[r->n_provs++] = bs_strdup(prov);
            pl->provincie = k < 64 ? k : 63;
            pl->progress = bs_calloc((size_t)s->n_steps, sizeof *pl->progress);
            const char *planstatus = PQgetvalue(res, row, 4);
            for (int32_t i = 0; i < s->n_steps; i++) {
                pl->progress[i].status = bs_schema_step_applies(s, i, planstatus) ? BS_STATUS_OPEN : BS_STATUS_SKIPPED;
                pl->progress[i].actual_start = pl->progress[i].actual_finish = BS_DAY_NONE;
            }
            for (; row < n && strcmp(PQgetvalue(res, row, 0), pid) == 0; row++) {
                if (PQgetisnull(res, row, 8)) continue;
                int32_t i = bs_schema_find(s, PQgetvalue(res, row, 8));
                if (i < 0) continue;
                bs_progress *p = &pl->progress[i];
                if (bs_status_parse(PQgetvalue(res, row, 9), &p->status) != 0) p->status = BS_STATUS_OPEN;
                if (!PQgetisnull(res, row, 10)) bs_date_parse(PQgetvalue(res, row, 10), &p->actual_start);
                if (!PQgetisnull(res, row, 11)) bs_date_parse(PQgetvalue(res, row, 11), &p->actual_finish);
                p->actual_estimated = strcmp(PQgetvalue(res, row, 12), "t") == 0;
            }
            r->n_plans++;
        }
        if (row == r0) /* skipped plan: move past its rows */
            while (row < n && strcmp(PQgetvalue(res, row, 0), pid) == 0) row++;
    }
    r->later = bs_calloc((size_t)r->n_provs + 1, sizeof *r->later);
    r->with = bs_calloc((size_t)r->n_provs + 1, sizeof *r->with);
    r->work.data = r;
    if (uv_queue_work(r->loop, &r->work, sf_work, sf_after) != 0) {
        r->done(NULL, "could not queue the forecasts", r->arg);
        bs_summary_forecast_free(r);
    }
}

static void sf_obs_loaded(const PGresult *res, const char *err, void *arg) {
    bs_summary_forecast *r = arg;
    if (err) {
        r->done(NULL, err, r->arg);
        bs_summary_forecast_free(r);
        return;
    }
    int n = PQntuples(res), ns = r->engine->n_schemas;
    r->obs = bs_calloc((size_t)ns, sizeof *r->obs);
    r->n_obs = bs_calloc((size_t)ns, sizeof *r->n_obs);
    size_t strbytes = 1;
    for (int i = 0; i < n; i++) strbytes += strlen(PQgetvalue(res, i, 6)) + strlen(PQgetvalue(res, i, 7)) + 2;
    r->strings = bs_malloc(strbytes);
    size_t off = 0;
    int maxsteps = 1;
    for (int s = 0; s < ns; s++) {
        r->obs[s] = bs_calloc((size_t)n + (size_t)r->engine->schemas[s].schema->n_steps + 1, sizeof **r->obs);
        if (r->engine->schemas[s].schema->n_steps > maxsteps) maxsteps = r->engine->schemas[s].schema->n_steps;
    }
    bs_progress *prog = bs_calloc((size_t)maxsteps, sizeof *prog);
    int row = 0;
    while (row < n) {
        const char *pid = PQgetvalue(res, row, 0);
        int si = schema_index(r->engine, PQgetvalue(res, row, 9));
        int r0 = row;
        const bs_schema *s = si >= 0 ? r->engine->schemas[si].schema : NULL;
        for (int32_t i = 0; s && i < s->n_steps; i++)
            prog[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
        for (; row < n && strcmp(PQgetvalue(res, row, 0), pid) == 0; row++) {
            if (!s) continue;
            int32_t i = bs_schema_find(s, PQgetvalue(res, row, 1));
            if (i < 0) continue;
            bs_status_parse(PQgetvalue(res, row, 2), &prog[i].status);
            bs_date_parse(PQgetvalue(res, row, 3), &prog[i].actual_start);
            if (!PQgetisnull(res, row, 4)) bs_date_parse(PQgetvalue(res, row, 4), &prog[i].actual_finish);
        }
        bs_day dd;
        if (!s || bs_date_parse(PQgetvalue(res, r0, 5), &dd) != 0) continue;
        char *gem = r->strings + off;
        off += (size_t)sprintf(gem, "%s", PQgetvalue(res, r0, 6)) + 1;
        char *prov = r->strings + off;
        off += (size_t)sprintf(prov, "%s", PQgetvalue(res, r0, 7)) + 1;
        bs_lt_counts c = {0};
        bs_lt_observe_project(s, prog, dd, &r->engine->calendar, bs_size_class_of(atol(PQgetvalue(res, r0, 8))), gem,
                              prov, NULL, r->obs[si], &r->n_obs[si], &c);
    }
    free(prog);
    bs_store_query(
        r->store,
        "SELECT p.id, p.provincie, p.expected_by, p.progress_date, p.planstatus, COALESCE(p.homes_remaining, 0), "
        "p.gemeente, p.process_schema_key, s.step_key, s.status, s.actual_start, s.actual_finish, "
        "s.actual_estimated FROM projects p LEFT JOIN project_steps s ON s.project_id = p.id "
        "WHERE p.expected_by IS NOT NULL ORDER BY p.id",
        0, NULL, sf_plans_loaded, r);
}

void bs_summary_forecast_run(uv_loop_t *loop, bs_store *store, const bs_engine *engine, bs_summary_forecast_cb done,
                             void *arg) {
    bs_summary_forecast *r = bs_calloc(1, sizeof *r);
    r->loop = loop;
    r->store = store;
    r->engine = engine;
    r->done = done;
    r->arg = arg;
    bs_store_query(store,
                   "SELECT s.project_id, s.step_key, s.status, s.actual_start, s.actual_finish, p.progress_date, "
                   "p.gemeente, p.provincie, COALESCE(p.homes_remaining, 0), p.process_schema_key "
                   "FROM project_steps s JOIN projects p ON p.id = s.project_id "
                   "WHERE NOT s.actual_estimated AND s.actual_start IS NOT NULL AND s.status IN ('done', 'started') "
                   "ORDER BY s.project_id",
                   0, NULL, sf_obs_loaded, r);
}
