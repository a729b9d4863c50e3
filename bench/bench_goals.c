/*
 * Policy-goal benchmark (issue 18 item 3; docs/performance.md "Policy goals"): the progress of a
 * goal over every project with blocks of a database (the 4,348 imported plans under
 * `make bench-goals`), 2,000 samples per project, on one core, with the core and the cache as
 * GET /api/v1/goals/{id}/progress uses them (engine/runtime/delivery.h, engine/core/goals.h):
 *   cold     every project's delivery samples computed (bs_delivery_compute) and cached (reported)
 *   warm     every project's samples from the cache, the goal computed (bounded: <= 1 s)
 *   changed  one project's change marker moved: its samples recomputed, the others from the
 *            cache, the goal computed (bounded: <= 1 s)
 * The database is read once with blocking libpq before anything is timed (the server reads it
 * on the async store; bench/bench_goals.sh times the HTTP route too).
 *
 * Usage: bench_goals DATABASE_URL [TODAY [YEAR [REPEATS]]]   (defaults 2026-11-29, 2030, 5)
 */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delivery.h"
#include "engine.h"
#include "goals.h"
#include "project_forecast.h"

#ifndef BS_SOURCE_DIR
#define BS_SOURCE_DIR "."
#endif

typedef struct bproj {
    char id[37];
    long long stamp;
    char *cols; /* milestones, comma-joined, ascending */
    int32_t n_cols;
    int32_t *homes; /* n_cols: net homes per milestone */
    bs_project_state st;
    int ok, schema;
} bproj;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this (single-threaded) process: on the shared machine the wall time includes the
 * time other processes hold the core. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static PGresult *q(PGconn *c, const char *sql, const char *param) {
    const char *p[1] = {param};
    PGresult *r = PQexecParams(c, sql, param ? 1 : 0, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "bench_goals: %s", PQerrorMessage(c));
        exit(1);
    }
    return r;
}

/* The projects with blocks, their milestones and homes, stamps and states. */
static bproj *load_projects(PGconn *c, const bs_engine *e, bs_day today, int32_t *n_out) {
    PGresult *r = q(c,
                    "SELECT x.project_id, COALESCE(s.stamp, 0), string_agg(x.milestone, ',' ORDER BY x.milestone), "
                    "json_agg(x.h ORDER BY x.milestone), (SELECT json_build_object(" BS_PROJECT_STATE_MEMBERS
                    ") FROM projects p WHERE p.id = x.project_id) "
                    "FROM (SELECT project_id, milestone, sum(net_homes) AS h FROM project_blocks GROUP BY 1, 2) x "
                    "LEFT JOIN project_forecast_stamps s ON s.project_id = x.project_id "
                    "GROUP BY x.project_id, s.stamp ORDER BY x.project_id",
                    NULL);
    int32_t n = PQntuples(r);
    bproj *p = calloc((size_t)n + 1, sizeof *p);
    for (int32_t i = 0; i < n; i++) {
        snprintf(p[i].id, sizeof p[i].id, "%s", PQgetvalue(r, i, 0));
        p[i].stamp = atoll(PQgetvalue(r, i, 1));
        p[i].cols = strdup(PQgetvalue(r, i, 2));
        json_t *h = json_loads(PQgetvalue(r, i, 3), 0, NULL);
        p[i].n_cols = (int32_t)json_array_size(h);
        p[i].homes = calloc((size_t)p[i].n_cols + 1, sizeof *p[i].homes);
        for (int32_t k = 0; k < p[i].n_cols; k++) p[i].homes[k] = (int32_t)json_integer_value(json_array_get(h, k));
        json_decref(h);
        json_t *doc = json_loads(PQgetvalue(r, i, 4), 0, NULL);
        p[i].ok = doc && bs_project_state_parse(e, doc, today, &p[i].st) == 0;
        json_decref(doc);
        p[i].schema = -1;
        for (int s = 0; p[i].ok && s < e->n_schemas; s++)
            if (e->schemas[s].schema == p[i].st.schema) p[i].schema = s;
    }
    PQclear(r);
    *n_out = n;
    return p;
}

/* The goal's progress from the cache: every project's samples looked up (a miss recomputed and
 * cached), then bs_goal_compute. Returns the seconds; *p_met, *recomputed. */
static double progress(const bs_engine *e, bs_delivery_cache *cache, bproj *p, int32_t n, const bs_own_obs *own,
                       const bs_goal_spec *g, double *p_met, int32_t *recomputed, double *p50, double *cpu) {
    double t0 = now_s(), c0 = cpu_s();
    bs_goal_project *gp = malloc(((size_t)n + 1) * sizeof *gp);
    size_t nbmax = 1;
    for (int32_t i = 0; i < n; i++) nbmax += (size_t)p[i].n_cols;
    bs_goal_block *bl = malloc(nbmax * sizeof *bl);
    int32_t np = 0, nb = 0;
    *recomputed = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!p[i].ok) continue;
        const bs_delivery *d =
            bs_delivery_cache_get(cache, p[i].id, p[i].stamp, p[i].st.data_date, p[i].cols, BS_DELIVERY_SAMPLES);
        if (!d) {
            bs_delivery *nd = bs_delivery_compute(e, &p[i].st, p[i].schema >= 0 ? &own[p[i].schema] : NULL, p[i].id,
                                                  p[i].stamp, p[i].cols, BS_DELIVERY_SAMPLES);
            if (!nd) continue;
            bs_delivery_cache_put(cache, nd);
            d = nd;
            (*recomputed)++;
        }
        gp[np] = (bs_goal_project){d->n_cols, d->planned, d->samples};
        for (int32_t c = 0; c < p[i].n_cols; c++)
            bl[nb++] = (bs_goal_block){np, c, p[i].homes[c], p[i].homes[c], false, BS_DAY_NONE};
        np++;
    }
    bs_goal_result res;
    if (bs_goal_compute(g, gp, np, bl, nb, BS_DELIVERY_SAMPLES, &res) != BS_GOAL_OK) {
        fprintf(stderr, "bench_goals: the goal computation failed\n");
        exit(1);
    }
    *p_met = res.p_met;
    if (p50) *p50 = res.windows[0].p50;
    double t = now_s() - t0;
    *cpu = cpu_s() - c0;
    printf("    planned %.0f, P50 %.0f, P80 %.0f homes by the deadline, P(met) %.4f, %d projects\n",
           res.windows[0].planned, res.windows[0].p50, res.windows[0].p80, res.p_met, np);
    bs_goal_result_free(&res);
    free(gp);
    free(bl);
    return t;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_goals DATABASE_URL [TODAY [YEAR [REPEATS]]]\n");
        return 2;
    }
    bs_day today;
    if (bs_date_parse(argc > 2 ? argv[2] : "2026-11-29", &today) != 0) return 2;
    int year = argc > 3 ? atoi(argv[3]) : 2030, reps = argc > 4 ? atoi(argv[4]) : 5;
    bs_engine e;
    bs_err err = {0};
    if (bs_engine_init(&e, BS_SOURCE_DIR "/processes", &err, NULL) != 0) {
        fprintf(stderr, "bench_goals: %s\n", err.msg);
        return 1;
    }
    PGconn *c = PQconnectdb(argv[1]);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bench_goals: %s", PQerrorMessage(c));
        return 1;
    }
    double t0 = now_s();
    int32_t n;
    bproj *p = load_projects(c, &e, today, &n);
    bs_own_obs *own = calloc((size_t)e.n_schemas + 1, sizeof *own);
    for (int s = 0; s < e.n_schemas; s++) {
        PGresult *r = q(c, BS_OBS_SQL, e.schemas[s].schema->key);
        bs_own_obs_from_result(r, e.schemas[s].schema, &e.calendar, &own[s]);
        PQclear(r);
    }
    PQfinish(c);
    int64_t total = 0;
    for (int32_t i = 0; i < n; i++)
        for (int32_t k = 0; k < p[i].n_cols; k++) total += p[i].homes[k];
    printf("== %d projects with blocks, %lld net homes; read in %.2f s (not timed below)\n", n, (long long)total,
           now_s() - t0);
    bs_day from = BS_DAY_NONE, to = bs_date_from_ymd(year, 12, 31);
    bs_goal_spec g = {.target = (double)total / 4, .n_windows = 1, .from = &from, .to = &to};
    printf("== goal: at least %.0f homes by %d-12-31, %d samples per project, one core\n", g.target, year,
           BS_DELIVERY_SAMPLES);
    bs_delivery_cache *cache = bs_delivery_cache_new();
    double pm, pm_warm = 0;
    int32_t rec;
    double p50, ccold;
    double cold = progress(&e, cache, p, n, own, &g, &pm, &rec, &p50, &ccold);
    g.target = p50; /* from here on a target near the median: P(met) near 0.5 */
    printf("== the target moved to the cold run's P50: %.0f homes\n", p50);
    size_t bytes;
    size_t cached = bs_delivery_cache_count(cache, &bytes);
    printf("cold (every forecast computed): %.2f s wall, %.2f s CPU, %d recomputed, %zu cached, %.1f MB of samples\n",
           cold, ccold, rec, cached, (double)bytes / 1e6);
    double *tw = calloc((size_t)reps + 1, sizeof *tw), *tc = calloc((size_t)reps + 1, sizeof *tc);
    double *uw = calloc((size_t)reps + 1, sizeof *uw), *uc = calloc((size_t)reps + 1, sizeof *uc);
    for (int k = 0; k < reps; k++) {
        double prev = pm_warm;
        tw[k] = progress(&e, cache, p, n, own, &g, &pm_warm, &rec, NULL, &uw[k]);
        if (rec != 0 || (k > 0 && pm_warm != prev))
            fprintf(stderr, "bench_goals: warm run recomputed %d or differs\n", rec);
    }
    for (int k = 0; k < reps; k++) {
        bproj *ch = &p[(size_t)(k + 1) * (size_t)n / (size_t)(reps + 1)];
        ch->stamp++; /* as the trigger does when one project changes */
        tc[k] = progress(&e, cache, p, n, own, &g, &pm, &rec, NULL, &uc[k]);
        if (rec != 1) fprintf(stderr, "bench_goals: one change recomputed %d\n", rec);
    }
    qsort(tw, (size_t)reps, sizeof *tw, cmp_d);
    qsort(tc, (size_t)reps, sizeof *tc, cmp_d);
    qsort(uw, (size_t)reps, sizeof *uw, cmp_d);
    qsort(uc, (size_t)reps, sizeof *uc, cmp_d);
    printf("warm (every project cached): wall median %.3f s, max %.3f s; CPU median %.3f s, max %.3f s; %d runs\n",
           tw[reps / 2], tw[reps - 1], uw[reps / 2], uw[reps - 1], reps);
    printf("one project changed: wall median %.3f s, max %.3f s; CPU median %.3f s, max %.3f s; %d runs (each a "
           "different project)\n",
           tc[reps / 2], tc[reps - 1], uc[reps / 2], uc[reps - 1], reps);
    free(tw);
    free(tc);
    free(uw);
    free(uc);
    bs_delivery_cache_free(cache);
    for (int32_t i = 0; i < n; i++) {
        free(p[i].cols);
        free(p[i].homes);
        if (p[i].ok) bs_project_state_free(&p[i].st);
    }
    free(p);
    for (int s = 0; s < e.n_schemas; s++) bs_own_obs_free(&own[s]);
    free(own);
    bs_engine_free(&e);
    return 0;
}
