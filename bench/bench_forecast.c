/*
 * Forecasting benchmarks (docs/performance.md, "Forecasting"):
 *  1. fitting every group on 1,000,000 observations: per step (25 steps) and per step × size
 *     class (125 groups) the Kaplan–Meier curve with Greenwood SEs, the lognormal and Weibull
 *     maximum-likelihood fits with censoring and the AIC choice (sorting/collapsing included);
 *  2. a 2,000-sample Monte Carlo forecast of one project of the 42-step ppm-woningbouw schema
 *     (25 steps with durations), with reference lead-time distributions.
 * Usage: bench_forecast [n_observations] [repeats]. Prints one line per measurement.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "estimate.h"
#include "forecast.h"
#include "leadtime.h"
#include "plan.h"
#include "rng.h"

#ifndef BS_SOURCE_DIR
#define BS_SOURCE_DIR "."
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Observations per group (step k, size class c: index k * BS_SIZE_N + c): times and event flags. */
typedef struct obs_groups {
    int32_t n;
    double **t;
    unsigned char **e;
    size_t *len, *cap;
} obs_groups;

/* n_obs observations spread at random over the reference steps and size classes: lognormal
 * around the reference median, 30 % censored at a uniform fraction of their time. */
static void make_observations(const bs_reference *ref, long n_obs, bs_rng *r, obs_groups *og) {
    int32_t ng = ref->n * BS_SIZE_N;
    og->n = ng;
    og->t = calloc((size_t)ng, sizeof *og->t);
    og->e = calloc((size_t)ng, sizeof *og->e);
    og->len = calloc((size_t)ng, sizeof *og->len);
    og->cap = calloc((size_t)ng, sizeof *og->cap);
    for (long i = 0; i < n_obs; i++) {
        int32_t k = (int32_t)(bs_rng_next(r) % (uint64_t)ref->n);
        int c = (int)(bs_rng_next(r) % BS_SIZE_N);
        int32_t g = k * BS_SIZE_N + c;
        if (og->len[g] == og->cap[g]) {
            og->cap[g] = og->cap[g] ? 2 * og->cap[g] : 1024;
            og->t[g] = realloc(og->t[g], og->cap[g] * sizeof **og->t);
            og->e[g] = realloc(og->e[g], og->cap[g]);
        }
        double t = ceil(ref->steps[k].median[c] * exp(ref->steps[k].sigma * bs_rng_normal(r)));
        int ev = bs_rng_uniform(r) >= 0.3;
        if (!ev) t = ceil(t * bs_rng_uniform(r));
        og->t[g][og->len[g]] = t < 1 ? 1 : t;
        og->e[g][og->len[g]] = (unsigned char)ev;
        og->len[g]++;
    }
}

static void free_observations(obs_groups *og) {
    for (int32_t g = 0; g < og->n; g++) {
        free(og->t[g]);
        free(og->e[g]);
    }
    free(og->t);
    free(og->e);
    free(og->len);
    free(og->cap);
}

/* Fits every group of step k (all size classes pooled, then each class): Kaplan–Meier with
 * Greenwood SEs, the parametric fits and the AIC choice. Returns the number of fits, -1 when
 * one failed. */
static int fit_step_groups(const obs_groups *og, int32_t k) {
    size_t tot = 0;
    for (int c = 0; c < BS_SIZE_N; c++) tot += og->len[k * BS_SIZE_N + c];
    double *at = malloc(tot * sizeof *at);
    unsigned char *ae = malloc(tot);
    size_t m = 0;
    for (int c = 0; c < BS_SIZE_N; c++) {
        int32_t g = k * BS_SIZE_N + c;
        memcpy(at + m, og->t[g], og->len[g] * sizeof *at);
        memcpy(ae + m, og->e[g], og->len[g]);
        m += og->len[g];
    }
    int fits = 0;
    for (int c = -1; c < BS_SIZE_N; c++) {
        const double *tt = c < 0 ? at : og->t[k * BS_SIZE_N + c];
        const unsigned char *ee = c < 0 ? ae : og->e[k * BS_SIZE_N + c];
        size_t nn = c < 0 ? tot : og->len[k * BS_SIZE_N + c];
        bs_obs_set os;
        bs_km km;
        bs_psfit best;
        if (bs_obs_collapse(tt, ee, nn, &os) != 0 || bs_km_fit(&os, 0.95, &km) != 0 ||
            bs_fit_best(&os, NULL, NULL, &best) != 0) {
            fits = -1;
            break;
        }
        double q;
        bs_km_quantile(&km, 0.8, &q);
        bs_km_free(&km);
        bs_obs_free(&os);
        fits++;
    }
    free(at);
    free(ae);
    return fits;
}

/* 1. fitting every group on n_obs observations, reps times; prints the median and minimum. */
static int bench_fit(const bs_reference *ref, long n_obs, int reps) {
    bs_rng r;
    bs_rng_seed(&r, 99);
    obs_groups og;
    make_observations(ref, n_obs, &r, &og);
    double *times = malloc((size_t)reps * sizeof *times);
    int fits = 0;
    for (int rep = 0; rep < reps && fits >= 0; rep++) {
        double t0 = now_s();
        fits = 0;
        for (int32_t k = 0; k < ref->n && fits >= 0; k++) {
            int f = fit_step_groups(&og, k);
            fits = f < 0 ? -1 : fits + f;
        }
        times[rep] = now_s() - t0;
    }
    free_observations(&og);
    if (fits < 0) {
        fprintf(stderr, "bench_forecast: fit failed\n");
        free(times);
        return 1;
    }
    qsort(times, (size_t)reps, sizeof *times, cmp_d);
    printf("fit: %ld observations, %d groups (KM + Greenwood + lognormal + Weibull + AIC): median %.3f s, min %.3f s "
           "(%d runs)\n",
           n_obs, fits, times[reps / 2], times[0], reps);
    free(times);
    return 0;
}

/* 2. a 2,000-sample forecast of one project (planstatus 3, 51–200 homes, Utrecht, reference
 * distributions only), 4 × reps times; prints the median and minimum time and the completion. */
static int bench_one_forecast(const bs_schema *s, const bs_reference *ref, int reps) {
    bs_progress *p = calloc((size_t)s->n_steps, sizeof *p);
    bs_plan_initial_progress(s, "3", p);
    bs_ltdist *d = calloc((size_t)s->n_steps, sizeof *d);
    unsigned char *has = calloc((size_t)s->n_steps, 1);
    for (int32_t i = 0; i < s->n_steps; i++) {
        bs_lt_model m;
        if (!s->steps[i].milestone && bs_lt_model_build(ref, i, BS_SIZE_51_200, "Utrecht", NULL, 0, &m) == 0) {
            d[i] = m.sample; /* no own observations: parametric, nothing allocated */
            has[i] = 1;
        }
    }
    bs_calendar cal;
    bs_calendar_options o = bs_calendar_default_options();
    bs_calendar_init(&cal, &o, 1990, 2150);
    bs_forecast_input in = {.schema = s,
                            .progress = p,
                            .progress_date = BS_DAY_NONE,
                            .data_date = bs_date_from_ymd(2020, 1, 1),
                            .cal = &cal,
                            .dist = d,
                            .has_dist = has,
                            .n_samples = BS_FORECAST_DEFAULT_SAMPLES};
    int freps = reps * 4;
    double *ft = malloc((size_t)freps * sizeof *ft);
    bs_forecast f = {0};
    bs_rng r;
    int rc = 0;
    for (int rep = 0; rep < freps; rep++) {
        bs_rng_seed(&r, 1);
        double t0 = now_s();
        if (bs_forecast_compute(&in, &r, &f) != 0) {
            fprintf(stderr, "bench_forecast: forecast failed\n");
            rc = 1;
            break;
        }
        ft[rep] = now_s() - t0;
        if (rep + 1 < freps) bs_forecast_free(&f);
    }
    if (rc == 0) {
        qsort(ft, (size_t)freps, sizeof *ft, cmp_d);
        char a[11], b[11];
        printf("forecast: %d steps, %d samples: median %.2f ms, min %.2f ms (%d runs); completion P50 %s P80 %s\n",
               s->n_steps, BS_FORECAST_DEFAULT_SAMPLES, ft[freps / 2] * 1e3, ft[0] * 1e3, freps,
               bs_date_format(f.completion_p50, a), bs_date_format(f.completion_p80, b));
        bs_forecast_free(&f);
    }
    free(ft);
    free(p);
    free(d);
    free(has);
    bs_calendar_free(&cal);
    return rc;
}

int main(int argc, char **argv) {
    long n_obs = argc > 1 ? atol(argv[1]) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/processes/ppm-woningbouw.json", BS_SOURCE_DIR);
    char *text = read_all(path, &len);
    bs_schema_problems pr = {0};
    bs_schema *s = text ? bs_schema_load(text, len, false, &pr) : NULL;
    free(text);
    snprintf(path, sizeof path, "%s/processes/reference/ppm-woningbouw.reference.json", BS_SOURCE_DIR);
    text = read_all(path, &len);
    bs_reference ref;
    char err[256];
    if (!s || !text || bs_reference_load(text, len, s, &ref, err, sizeof err) != 0 || bs_reference_fit(&ref, s) != 0) {
        fprintf(stderr, "bench_forecast: cannot load schema/reference\n");
        return 1;
    }
    free(text);
    int rc = bench_fit(&ref, n_obs, reps);
    if (rc == 0) rc = bench_one_forecast(s, &ref, reps);
    bs_reference_free(&ref);
    bs_schema_free(s);
    return rc;
}
