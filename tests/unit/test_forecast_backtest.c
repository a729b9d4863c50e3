/*
 * Rolling-origin backtest of the lead-time estimators (docs/forecasting.md §8) with a negative control.
 *
 * A fixed simulated history (seed BT_SEED): BT_PROJECTS projects starting over 15 years with a
 * growing start rate; every project runs BT_TYPES steps whose true durations come from families
 * the estimators do not fit (gamma, and mixtures of a fast and a slow regime). At each origin
 * (the 1st of January of years 5 … 13) only what was visible is fitted: steps finished before
 * the origin are events, steps running at the origin are right-censored at the origin. The
 * forecasts are then scored against the truth: steps starting in the year after the origin
 * (unconditional P50/P80: Kaplan–Meier quantile, the AIC-chosen parametric fit where the curve
 * does not reach the level) and steps running at the origin (conditional P50/P80 given the time
 * already elapsed, P(T <= x | T > elapsed)).
 *
 * Scoring: a random quarter of all step instances (drawn independently of their durations) is
 * scored, each at most once, half of them unconditionally at the last origin before their start,
 * half conditionally at the first origin after their start if still running there. Scoring every
 * instance at every origin would score the same step repeatedly (dependent outcomes) and let the
 * fit's own estimation error dominate the binomial interval; see docs/forecasting.md.
 *
 * Checks: at least 30% of visible steps censored at every origin; for every step type with >= 100
 * scored forecasts, P50 and P80 coverage inside the central 95% binomial interval around 0.5 and
 * 0.8; pooled P80 coverage in [0.75, 0.85] and P50 in [0.45, 0.55]. Negative control: the same
 * backtest with the censored steps dropped must FAIL these checks (asserted). Pinball losses are
 * printed (docs/forecasting.md holds the output).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "estimate.h"
#include "rng.h"

#ifndef BT_SEED
#define BT_SEED 1u
#endif
#define BT_PROJECTS 2000
#define BT_TYPES 6
#define BT_YEARS 15
#define BT_GROWTH 0.30 /* per year: the start rate grows like exp(0.30 t) */
#define YEAR 365.25
#ifndef BT_SCORE_SHARE
#define BT_SCORE_SHARE 0.25
#endif
#ifndef BT_COND_SHARE
#define BT_COND_SHARE 0.5
#endif
#ifndef BT_FIRST_ORIGIN
#define BT_FIRST_ORIGIN 5 /* origins: 1 January of years 5 … 13 */
#endif

typedef struct inst {
    double start, dur; /* days */
    bool scored;       /* in the scored sample, drawn independently of the duration */
    bool conditional;  /* scoring mode, drawn independently of the duration */
} inst;

static inst hist[BT_PROJECTS][BT_TYPES];

static double true_draw(int type, bs_rng *r) {
    switch (type) {
    case 0: return 120.0 * bs_rng_gamma(r, 2.0);
    case 1: return 100.0 * bs_rng_gamma(r, 3.0);
    case 2: /* objections: 30% take a slow path */
        return bs_rng_uniform(r) < 0.7 ? 200.0 * exp(0.3 * bs_rng_normal(r)) : 600.0 * exp(0.4 * bs_rng_normal(r));
    case 3: return 300.0 * bs_rng_gamma(r, 1.5);
    case 4: return bs_rng_uniform(r) < 0.8 ? 50.0 * bs_rng_gamma(r, 4.0) : 400.0 * bs_rng_gamma(r, 2.0);
    default: return 240.0 * bs_rng_gamma(r, 2.5);
    }
}

static void simulate(uint64_t seed) {
    bs_rng r;
    bs_rng_seed(&r, seed);
    double span = BT_YEARS * YEAR;
    for (int p = 0; p < BT_PROJECTS; p++) {
        /* start by inversion of the growing rate exp(g t) on [0, span] */
        double u = bs_rng_uniform(&r), g = BT_GROWTH / YEAR;
        double start = log(1 + u * (exp(g * span) - 1)) / g;
        for (int k = 0; k < BT_TYPES; k++) {
            hist[p][k].start = floor(start) + 45.0 * (k % 3); /* three steps start a bit later */
            double d = ceil(1.5 * true_draw(k, &r));
            hist[p][k].dur = d < 1 ? 1 : d;
            hist[p][k].conditional = bs_rng_uniform(&r) < BT_COND_SHARE;
            hist[p][k].scored = bs_rng_uniform(&r) < BT_SCORE_SHARE;
        }
    }
}

typedef struct score {
    int64_t n[BT_TYPES], hit50[BT_TYPES], hit80[BT_TYPES];
    double pin50[BT_TYPES], pin80[BT_TYPES];
    double min_censored_share;
} score;

static double pinball(double y, double q, double tau) {
    return y >= q ? tau * (y - q) : (1 - tau) * (q - y);
}

/* quantile of the visible data of one type, with the forecaster the product samples from when
 * own data dominates (bs_lt_model.sample at weight 1): the Kaplan–Meier curve, continued beyond its
 * last time by the AIC-chosen parametric fit's conditional tail (bs_ltdist) */
static int parametric_mode; /* sweep only: the AIC-chosen parametric fit alone */

static double forecast_q(const bs_km *km, const bs_psfit *fit, int have_fit, double elapsed, double p) {
    if (parametric_mode && have_fit) return bs_dist_cond_quantile(&fit->dist, elapsed, p);
    bs_dist fallback = {BS_DIST_WEIBULL, log(km->pts[km->n_pts - 1].time), 1.0};
    bs_ltdist d;
    assert_int_equal(bs_ltdist_from_km(km, have_fit ? &fit->dist : &fallback, 1.0, &d), BS_EST_OK);
    double q = bs_ltdist_cond_quantile(&d, elapsed, p);
    bs_ltdist_free(&d);
    return q;
}

/* Sweep mode only (BS_BACKTEST_SWEEP=N, not a test): the "oracle" forecaster uses the true
 * (conditional) quantiles, from 400,000 draws per step type, to show what the per-step binomial
 * check does to a perfectly calibrated forecaster. */
static int oracle_mode;
#define N_TRUTH 400000
static double *truth[BT_TYPES];

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void build_truth(void) {
    bs_rng r;
    bs_rng_seed(&r, 777);
    for (int k = 0; k < BT_TYPES; k++) {
        truth[k] = malloc(N_TRUTH * sizeof **truth);
        for (int i = 0; i < N_TRUTH; i++) {
            double d = ceil(1.5 * true_draw(k, &r));
            truth[k][i] = d < 1 ? 1 : d;
        }
        qsort(truth[k], N_TRUTH, sizeof **truth, cmp_dbl);
    }
}

static double oracle_q(int k, double elapsed, double p) {
    size_t lo = 0, hi = N_TRUTH; /* first index with truth > elapsed */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (truth[k][mid] <= elapsed)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t rest = N_TRUTH - lo;
    size_t idx = lo + (size_t)ceil(p * (double)rest) - 1;
    return truth[k][idx < N_TRUTH ? idx : N_TRUTH - 1];
}

static void run_backtest(int drop_censored, score *sc) {
    memset(sc, 0, sizeof *sc);
    sc->min_censored_share = 1.0;
    double *t = malloc(BT_PROJECTS * sizeof *t);
    unsigned char *e = malloc(BT_PROJECTS);
    for (int year = BT_FIRST_ORIGIN; year <= 13; year++) {
        double origin = year * YEAR;
        int64_t vis = 0, cens = 0;
        for (int k = 0; k < BT_TYPES; k++) {
            size_t m = 0;
            for (int p = 0; p < BT_PROJECTS; p++) {
                const inst *x = &hist[p][k];
                if (x->start >= origin) continue;
                double end = x->start + x->dur;
                if (end <= origin) {
                    t[m] = x->dur;
                    e[m++] = 1;
                } else {
                    cens++;
                    if (drop_censored) continue;
                    double el = origin - x->start;
                    t[m] = el > 0 ? el : 0.5;
                    e[m++] = 0;
                }
            }
            vis += (int64_t)m;
            bs_obs_set os;
            bs_km km;
            bs_psfit best;
            assert_int_equal(bs_obs_collapse(t, e, m, &os), BS_EST_OK);
            assert_int_equal(bs_km_fit(&os, 0.95, &km), BS_EST_OK);
            int have_fit = bs_fit_best(&os, NULL, NULL, &best) == BS_EST_OK;
            for (int p = 0; p < BT_PROJECTS; p++) {
                const inst *x = &hist[p][k];
                /* every step is scored at most once (repeated scores of one step are not
                 * independent), in a mode drawn independently of its duration (x->conditional):
                 * unconditional at the last origin <= its start, or conditional at the first origin
                 * after its start if it is still running there. Both selections are ones the
                 * forecast conditions on (start time only; T > elapsed), so neither biases coverage. */
                if (!x->scored) continue;
                double elapsed;
                double o_before = floor(x->start / YEAR) * YEAR, o_after = o_before + YEAR;
                if (!x->conditional && fabs(o_before - origin) < 1)
                    elapsed = 0;
                else if (x->conditional && fabs(o_after - origin) < 1 && x->start + x->dur > origin)
                    elapsed = origin - x->start;
                else
                    continue;
                double q50 = oracle_mode ? oracle_q(k, elapsed, 0.5) : forecast_q(&km, &best, have_fit, elapsed, 0.5);
                double q80 = oracle_mode ? oracle_q(k, elapsed, 0.8) : forecast_q(&km, &best, have_fit, elapsed, 0.8);
                sc->n[k]++;
                sc->hit50[k] += x->dur <= q50;
                sc->hit80[k] += x->dur <= q80;
                sc->pin50[k] += pinball(x->dur, q50, 0.5);
                sc->pin80[k] += pinball(x->dur, q80, 0.8);
            }
            bs_km_free(&km);
            bs_obs_free(&os);
        }
        /* share censored among the visible steps (before any dropping) */
        double share = drop_censored ? (double)cens / (double)(vis + cens) : (double)cens / (double)vis;
        if (share < sc->min_censored_share) sc->min_censored_share = share;
    }
    free(t);
    free(e);
}

/* central 95% interval of Binomial(n, p) / n: [qbinom(0.025), qbinom(0.975)] / n */
static void binom_interval(int64_t n, double p, double *lo, double *hi) {
    double cdf = 0;
    int64_t klo = -1, khi = -1;
    for (int64_t k = 0; k <= n; k++) {
        double lp = lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) + k * log(p) +
                    (n - k) * log1p(-p);
        cdf += exp(lp);
        if (klo < 0 && cdf >= 0.025) klo = k;
        if (khi < 0 && cdf >= 0.975) khi = k;
    }
    *lo = (double)klo / (double)n;
    *hi = (double)khi / (double)n;
}

/* Returns the number of failed checks; prints the table when verbose. */
static int evaluate(const char *name, const score *sc, int verbose) {
    int failed = 0;
    int64_t N = 0, H50 = 0, H80 = 0;
    double P50 = 0, P80 = 0;
    if (verbose) {
        printf("\n%s\n", name);
        printf(
            "| step type | forecasts | P50 coverage | 95%% interval | P80 coverage | 95%% interval | pinball P50 | pinball P80 |\n");
        printf("|---|---|---|---|---|---|---|---|\n");
    }
    for (int k = 0; k < BT_TYPES; k++) {
        double c50 = (double)sc->hit50[k] / (double)sc->n[k], c80 = (double)sc->hit80[k] / (double)sc->n[k];
        double l50, h50, l80, h80;
        binom_interval(sc->n[k], 0.5, &l50, &h50);
        binom_interval(sc->n[k], 0.8, &l80, &h80);
        int bad = 0;
        if (sc->n[k] >= 100) {
            bad += c50 < l50 || c50 > h50;
            bad += c80 < l80 || c80 > h80;
        }
        failed += bad;
        if (verbose)
            printf("| %d | %lld | %.3f | %.3f–%.3f | %.3f | %.3f–%.3f | %.1f d | %.1f d |%s\n", k, (long long)sc->n[k],
                   c50, l50, h50, c80, l80, h80, sc->pin50[k] / (double)sc->n[k], sc->pin80[k] / (double)sc->n[k],
                   bad ? " FAIL" : "");
        N += sc->n[k];
        H50 += sc->hit50[k];
        H80 += sc->hit80[k];
        P50 += sc->pin50[k];
        P80 += sc->pin80[k];
    }
    double c50 = (double)H50 / (double)N, c80 = (double)H80 / (double)N;
    int pooled_bad = (c80 < 0.75 || c80 > 0.85) + (c50 < 0.45 || c50 > 0.55);
    failed += pooled_bad;
    if (verbose) {
        printf("| pooled | %lld | %.3f | 0.45–0.55 | %.3f | 0.75–0.85 | %.1f d | %.1f d |%s\n", (long long)N, c50, c80,
               P50 / (double)N, P80 / (double)N, pooled_bad ? " FAIL" : "");
        printf("minimum share of visible steps censored at an origin: %.3f\n", sc->min_censored_share);
    }
    return failed;
}

static void test_backtest_calibrated(void **state) {
    (void)state;
    score sc;
    run_backtest(0, &sc);
    int failed = evaluate("Backtest (censored steps used)", &sc, 1);
    assert_true(sc.min_censored_share >= 0.30);
    int checked = 0;
    for (int k = 0; k < BT_TYPES; k++) checked += sc.n[k] >= 100;
    assert_int_equal(checked, BT_TYPES); /* every step type is scored by the per-step check */
    assert_int_equal(failed, 0);
}

static void test_negative_control_fails(void **state) {
    (void)state;
    score sc;
    run_backtest(1, &sc);
    int failed = evaluate("Negative control (censored steps dropped)", &sc, 1);
    /* the checks must be able to fail: dropping censored steps biases every forecast short */
    assert_true(failed > 0);
    int64_t N = 0, H80 = 0;
    for (int k = 0; k < BT_TYPES; k++) {
        N += sc.n[k];
        H80 += sc.hit80[k];
    }
    assert_true((double)H80 / (double)N < 0.75);
}

int main(void) {
    const char *sweep = getenv("BS_BACKTEST_SWEEP");
    if (sweep) { /* documentation tool: pass rates over seeds 1..N (docs/forecasting.md) */
        int n = atoi(sweep), pass_est = 0, pass_oracle = 0, pooled_est = 0, control_fails = 0, pass_param = 0,
            pooled_param = 0;
        double sum50 = 0, sum80 = 0;
        build_truth();
        for (int seed = 1; seed <= n; seed++) {
            simulate((uint64_t)seed);
            score sc;
            oracle_mode = 0;
            run_backtest(0, &sc);
            int f = evaluate("", &sc, 0);
            pass_est += f == 0 && sc.min_censored_share >= 0.30;
            int64_t N = 0, H50 = 0, H80 = 0;
            for (int k = 0; k < BT_TYPES; k++) {
                N += sc.n[k];
                H50 += sc.hit50[k];
                H80 += sc.hit80[k];
            }
            double c50 = (double)H50 / (double)N, c80 = (double)H80 / (double)N;
            pooled_est += c50 >= 0.45 && c50 <= 0.55 && c80 >= 0.75 && c80 <= 0.85;
            run_backtest(1, &sc);
            control_fails += evaluate("", &sc, 0) > 0;
            oracle_mode = 1;
            run_backtest(0, &sc);
            pass_oracle += evaluate("", &sc, 0) == 0;
            oracle_mode = 0;
            parametric_mode = 1;
            run_backtest(0, &sc);
            pass_param += evaluate("", &sc, 0) == 0;
            N = H50 = H80 = 0;
            for (int k = 0; k < BT_TYPES; k++) {
                N += sc.n[k];
                H50 += sc.hit50[k];
                H80 += sc.hit80[k];
            }
            c50 = (double)H50 / (double)N;
            c80 = (double)H80 / (double)N;
            pooled_param += c50 >= 0.45 && c50 <= 0.55 && c80 >= 0.75 && c80 <= 0.85;
            sum50 += c50;
            sum80 += c80;
            parametric_mode = 0;
        }
        printf("seeds 1..%d: estimator passes every check %d, pooled checks %d; true-quantile oracle passes every "
               "check %d; negative control fails %d; parametric-only (AIC) passes every check %d, pooled checks %d "
               "(mean pooled P50 %.3f, P80 %.3f)\n",
               n, pass_est, pooled_est, pass_oracle, control_fails, pass_param, pooled_param, sum50 / n, sum80 / n);
        return 0;
    }
    simulate(BT_SEED);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backtest_calibrated),
        cmocka_unit_test(test_negative_control_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
