/*
 * Unit tests of the policy-goal core (engine/core/goals.c; docs/homes-and-goals.md
 * "Beleidsdoelen"): the probability that a goal is met against the exact Poisson-binomial
 * answer, quantiles, windows (per year), percentage and maximum goals, the per-project
 * importance P(late | missed) − P(late), and the refusal of bad input.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "goals.h"
#include "rng.h"

enum { NP = 12, NS = 20000 };

/* P(X = k) of the Poisson-binomial X = Σ Bernoulli(p_i), by the convolution recurrence
 * (pmf has n + 1 entries). */
static void poisson_binomial(const double *p, int n, double *pmf) {
    memset(pmf, 0, (size_t)(n + 1) * sizeof *pmf);
    pmf[0] = 1;
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k >= 0; k--) pmf[k] = pmf[k] * (1 - p[i]) + (k > 0 ? pmf[k - 1] * p[i] : 0);
}

/* Project i delivers its one home on `before` with probability p[i], else on `after`; planned on `before`. */
typedef struct synth {
    bs_goal_project proj[NP];
    bs_goal_block blk[NP];
    bs_day planned[NP];
    bs_day *samples;
} synth;

static void synth_make(synth *x, const double *p, bs_day before, bs_day after, uint64_t seed) {
    bs_rng r;
    bs_rng_seed(&r, seed);
    x->samples = malloc((size_t)NP * NS * sizeof *x->samples);
    for (int i = 0; i < NP; i++) {
        for (int s = 0; s < NS; s++) x->samples[(size_t)i * NS + s] = bs_rng_uniform(&r) < p[i] ? before : after;
        x->planned[i] = before;
        x->proj[i] = (bs_goal_project){1, &x->planned[i], x->samples + (size_t)i * NS};
        x->blk[i] = (bs_goal_block){i, 0, 1, 1, false, BS_DAY_NONE};
    }
}

static void test_poisson_binomial_exact(void **state) {
    (void)state;
    const double p[NP] = {0.95, 0.9, 0.85, 0.8, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1};
    bs_day deadline = bs_date_from_ymd(2030, 12, 31);
    synth x;
    synth_make(&x, p, deadline, deadline + 1, 11);
    double pmf[NP + 1];
    poisson_binomial(p, NP, pmf);
    for (int target = 3; target <= 10; target++) {
        bs_day from = BS_DAY_NONE;
        bs_goal_spec g = {.target = target, .n_windows = 1, .from = &from, .to = &deadline};
        bs_goal_result res;
        assert_int_equal(bs_goal_compute(&g, x.proj, NP, x.blk, NP, NS, &res), BS_GOAL_OK);
        double exact = 0;
        for (int k = target; k <= NP; k++) exact += pmf[k];
        double se = sqrt(exact * (1 - exact) / NS);
        assert_true(fabs(res.p_met - exact) <= 4 * se + 1e-12);
        assert_true(fabs(res.windows[0].p_met - res.p_met) < 1e-15);
        assert_true(res.windows[0].planned == NP);
        assert_int_equal(res.n_missed, NS - (int32_t)llround(res.p_met * NS));
        /* the quantiles: where the exact CDF is not within noise of the level, they are exact */
        double cdf = 0;
        int med = -1, q20 = -1;
        bool clear = true;
        for (int k = 0; k <= NP; k++) {
            cdf += pmf[k];
            if (med < 0 && cdf >= 0.5) med = k;
            if (q20 < 0 && cdf >= 0.2) q20 = k;
            if (fabs(cdf - 0.5) < 0.02 || fabs(cdf - 0.2) < 0.02) clear = false;
        }
        assert_true(clear);
        assert_true(res.windows[0].p50 == med);
        assert_true(res.windows[0].p80 == q20);
        /* the mean is Σ p_i */
        double mean = 0;
        for (int i = 0; i < NP; i++) mean += p[i];
        assert_true(fabs(res.windows[0].mean - mean) < 4 * sqrt(NP * 0.25 / NS));
        /* each project's own distribution: 0 or 1 home, P(1) ≈ p_i */
        for (int i = 0; i < NP; i++) {
            const bs_goal_project_result *pr = &res.projects[i];
            assert_true(pr->n_dist >= 1 && pr->n_dist <= 2);
            double p1 = pr->dist_value[pr->n_dist - 1] == 1 ? pr->dist_prob[pr->n_dist - 1] : 0;
            assert_true(fabs(p1 - p[i]) <= 4 * sqrt(p[i] * (1 - p[i]) / NS) + 1e-12);
            assert_true(fabs(pr->p_late - (1 - p1)) < 1e-9);
            /* independent projects: late in a missed sample is likelier than overall */
            if (res.n_missed > 0 && p[i] < 0.999) assert_true(pr->importance > 0);
        }
        bs_goal_result_free(&res);
    }
    /* a maximum goal is met exactly where the minimum goal of target + 1 is missed */
    bs_day from = BS_DAY_NONE;
    bs_goal_spec gmax = {.maximum = true, .target = 6, .n_windows = 1, .from = &from, .to = &deadline};
    bs_goal_spec gmin = {.target = 7, .n_windows = 1, .from = &from, .to = &deadline};
    bs_goal_result a, b;
    assert_int_equal(bs_goal_compute(&gmax, x.proj, NP, x.blk, NP, NS, &a), BS_GOAL_OK);
    assert_int_equal(bs_goal_compute(&gmin, x.proj, NP, x.blk, NP, NS, &b), BS_GOAL_OK);
    assert_true(fabs(a.p_met + b.p_met - 1) < 1e-12);
    /* for a maximum goal, "late" is ahead of plan: planned on time, so never */
    assert_true(a.projects[0].p_late == 0);
    bs_goal_result_free(&a);
    bs_goal_result_free(&b);
    free(x.samples);
}

/* The project that carries the goal is the one that matters most. */
static void test_importance(void **state) {
    (void)state;
    const double p[NP] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    bs_day deadline = bs_date_from_ymd(2028, 12, 31);
    synth x;
    synth_make(&x, p, deadline - 30, deadline + 30, 5);
    x.blk[0].num = x.blk[0].den = 100; /* project 0: 100 homes; the others 1 */
    bs_day from = BS_DAY_NONE;
    bs_goal_spec g = {.target = 100, .n_windows = 1, .from = &from, .to = &deadline};
    bs_goal_result res;
    assert_int_equal(bs_goal_compute(&g, x.proj, NP, x.blk, NP, NS, &res), BS_GOAL_OK);
    assert_true(res.windows[0].planned == 111);
    /* met only when project 0 delivers: P(late 0 | missed) = 1 */
    assert_true(fabs(res.p_met - 0.5) < 4 * sqrt(0.25 / NS));
    assert_true(res.projects[0].p_late_missed == 1.0);
    assert_true(fabs(res.projects[0].importance - (1 - res.projects[0].p_late)) < 1e-12);
    for (int i = 1; i < NP; i++) {
        assert_true(fabs(res.projects[i].importance) < 0.05);
        assert_true(res.projects[i].importance < res.projects[0].importance);
    }
    bs_goal_result_free(&res);
    free(x.samples);
}

/* Per-year windows and a percentage goal, on fixed samples whose answer is known. */
static void test_windows_and_percentage(void **state) {
    (void)state;
    enum { S = 4 };
    /* project 0 (huur, 30 homes) delivers in 2026 in samples 0-1, in 2027 in 2-3; project 1
     * (koop, 70 homes) in 2027 always; planned: both 2026 */
    bs_day y26 = bs_date_from_ymd(2026, 6, 1), y27 = bs_date_from_ymd(2027, 6, 1);
    bs_day s0[S] = {y26, y26, y27, y27}, s1[S] = {y27, y27, y27, y27};
    bs_day pl0 = y26, pl1 = y26;
    bs_goal_project pr[2] = {{1, &pl0, s0}, {1, &pl1, s1}};
    bs_goal_block bl[2] = {{0, 0, 30, 30, false, BS_DAY_NONE}, {1, 0, 0, 70, false, BS_DAY_NONE}};
    bs_day from[2] = {bs_date_from_ymd(2026, 1, 1), bs_date_from_ymd(2027, 1, 1)};
    bs_day to[2] = {bs_date_from_ymd(2026, 12, 31), bs_date_from_ymd(2027, 12, 31)};
    /* at least 30 % huur of the homes delivered each year */
    bs_goal_spec g = {.percentage = true, .target = 30, .n_windows = 2, .from = from, .to = to};
    bs_goal_result res;
    assert_int_equal(bs_goal_compute(&g, pr, 2, bl, 2, S, &res), BS_GOAL_OK);
    assert_true(fabs(res.windows[0].planned - 30) < 1e-9); /* plan: 30 of 100 in 2026, none in 2027 */
    assert_true(res.windows[1].planned == 0);
    /* 2026: samples 0-1 100 % (30 of 30), 2-3 0 % (nothing delivered); 2027: 0 % or 30 % */
    assert_true(res.windows[0].p_met == 0.5);
    assert_true(res.windows[1].p_met == 0.5);
    assert_true(res.p_met == 0); /* never both */
    assert_true(res.windows[0].p50 == 0 && res.windows[0].p80 == 0);
    /* project 0 is late (behind plan at the 2026 deadline) in samples 2-3 */
    assert_true(res.projects[0].p_late == 0.5);
    assert_true(res.projects[0].p_late_missed == 0.5 && res.projects[0].importance == 0);
    /* project 1 counts no homes toward the value: never late */
    assert_true(res.projects[1].p_late == 0);
    /* the last window's contribution: project 0 gives 30 in samples 2-3 */
    assert_int_equal(res.projects[0].n_dist, 2);
    assert_true(res.projects[0].dist_value[1] == 30 && res.projects[0].dist_prob[1] == 0.5);
    assert_true(res.projects[0].planned == 0);
    bs_goal_result_free(&res);
    /* a skipped milestone (BS_DAY_NONE) never delivers */
    s1[0] = BS_DAY_NONE;
    bs_goal_block bl2[1] = {{1, 0, 70, 70, false, BS_DAY_NONE}};
    bs_day open = BS_DAY_NONE;
    bs_goal_spec g2 = {.target = 70, .n_windows = 1, .from = &open, .to = &to[1]};
    assert_int_equal(bs_goal_compute(&g2, pr, 2, bl2, 1, S, &res), BS_GOAL_OK);
    assert_true(res.p_met == 0.75);
    bs_goal_result_free(&res);
}

/* A project whose contribution takes many values (more than the short list holds): its
 * distribution equals a direct count. */
static void test_many_values(void **state) {
    (void)state;
    enum { C = 90, S = 3000 };
    bs_day *samp = malloc((size_t)C * S * sizeof *samp), planned[C];
    bs_goal_block bl[C];
    bs_rng r;
    bs_rng_seed(&r, 3);
    bs_day deadline = bs_date_from_ymd(2030, 12, 31), from = BS_DAY_NONE;
    for (int c = 0; c < C; c++) {
        planned[c] = deadline;
        bl[c] = (bs_goal_block){0, c, c + 1, c + 1, false, BS_DAY_NONE};
        for (int s = 0; s < S; s++) samp[(size_t)c * S + s] = bs_rng_uniform(&r) < 0.5 ? deadline : deadline + 1;
    }
    bs_goal_project pr = {C, planned, samp};
    bs_goal_spec g = {.target = 1, .n_windows = 1, .from = &from, .to = &deadline};
    bs_goal_result res;
    assert_int_equal(bs_goal_compute(&g, &pr, 1, bl, C, S, &res), BS_GOAL_OK);
    const bs_goal_project_result *p = &res.projects[0];
    assert_true(p->n_dist > 64);
    double total = 0, *sum = calloc(S, sizeof *sum);
    for (int s = 0; s < S; s++)
        for (int c = 0; c < C; c++) sum[s] += samp[(size_t)c * S + s] <= deadline ? c + 1 : 0;
    for (int k = 0; k < p->n_dist; k++) {
        if (k) assert_true(p->dist_value[k] > p->dist_value[k - 1]);
        int n = 0;
        for (int s = 0; s < S; s++) n += sum[s] == p->dist_value[k];
        assert_true(fabs(p->dist_prob[k] - (double)n / S) < 1e-12);
        total += p->dist_prob[k];
    }
    assert_true(fabs(total - 1) < 1e-9);
    bs_goal_result_free(&res);
    free(sum);
    free(samp);
}

static void test_invalid(void **state) {
    (void)state;
    bs_day d = 0, none = BS_DAY_NONE, pl = 0;
    bs_goal_project pr = {1, &pl, &d};
    bs_goal_block bad = {0, 1, 1, 1, false, BS_DAY_NONE};
    bs_goal_spec g = {.target = 1, .n_windows = 1, .from = &none, .to = &d};
    bs_goal_result res;
    assert_int_equal(bs_goal_compute(&g, &pr, 1, &bad, 1, 1, &res), BS_GOAL_EINVAL);
    bs_goal_result_free(&res);
    bs_goal_block ok = {0, 0, 1, 1, false, BS_DAY_NONE};
    assert_int_equal(bs_goal_compute(&g, &pr, 1, &ok, 1, 0, &res), BS_GOAL_EINVAL);
    g.n_windows = 0;
    assert_int_equal(bs_goal_compute(&g, &pr, 1, &ok, 1, 1, &res), BS_GOAL_EINVAL);
    /* no projects at all: planned 0, never met for a positive minimum */
    g.n_windows = 1;
    assert_int_equal(bs_goal_compute(&g, NULL, 0, NULL, 0, 10, &res), BS_GOAL_OK);
    assert_true(res.p_met == 0 && res.windows[0].planned == 0);
    bs_goal_result_free(&res);
}

/* Fixed-day blocks (a block spread over years, docs/blocks.md): delivered on their day in the plan and
 * in every sample, whatever the project's samples; a project of only fixed blocks has no columns. */
static void test_fixed_blocks(void **state) {
    (void)state;
    enum { S = 5 };
    bs_day y26 = bs_date_from_ymd(2026, 3, 1), y28 = bs_date_from_ymd(2028, 3, 1);
    /* project 0: one milestone block of 10 homes, 2026 in samples 0-1, 2028 in 2-4, planned 2026 */
    bs_day s0[S] = {y26, y26, y28, y28, y28}, pl0 = y26;
    bs_goal_project pr[2] = {{1, &pl0, s0}, {0, NULL, NULL}};
    /* project 0 also has 3 homes fixed on 1 July 2027; project 1 (no columns) 4 in 2026 and 6 in 2027 */
    bs_goal_block bl[4] = {{0, 0, 10, 10, false, BS_DAY_NONE},
                           {0, 0, 3, 3, true, bs_date_from_ymd(2027, 7, 1)},
                           {1, 0, 4, 4, true, bs_date_from_ymd(2026, 7, 1)},
                           {1, 0, 6, 6, true, bs_date_from_ymd(2027, 7, 1)}};
    bs_day from[3] = {bs_date_from_ymd(2026, 1, 1), bs_date_from_ymd(2027, 1, 1), bs_date_from_ymd(2028, 1, 1)};
    bs_day to[3] = {bs_date_from_ymd(2026, 12, 31), bs_date_from_ymd(2027, 12, 31), bs_date_from_ymd(2028, 12, 31)};
    bs_goal_spec g = {.target = 9, .n_windows = 3, .from = from, .to = to};
    bs_goal_result res;
    assert_int_equal(bs_goal_compute(&g, pr, 2, bl, 4, S, &res), BS_GOAL_OK);
    /* 2027: 3 + 6 = 9 fixed homes in every sample, met always */
    assert_true(res.windows[1].planned == 9 && res.windows[1].p50 == 9 && res.windows[1].p80 == 9);
    assert_true(res.windows[1].mean == 9 && res.windows[1].p_met == 1);
    /* 2026: 4 fixed + 10 in samples 0-1; planned 14 */
    assert_true(res.windows[0].planned == 14 && fabs(res.windows[0].mean - (4 + 10 * 2.0 / S)) < 1e-12);
    assert_true(res.windows[0].p_met == 2.0 / S);
    /* project 1 is never late; its contribution to the last window (2028) is 0 in every sample */
    assert_true(res.projects[1].p_late == 0 && res.projects[1].n_dist == 1 && res.projects[1].dist_value[0] == 0);
    /* project 0 is late (behind plan at the 2026 deadline) in samples 2-4 */
    assert_true(res.projects[0].p_late == 3.0 / S);
    bs_goal_result_free(&res);
    /* a fixed block needs no valid column; a column block outside its project is still refused */
    bs_goal_block bad = {1, 0, 1, 1, false, BS_DAY_NONE};
    assert_int_equal(bs_goal_compute(&g, pr, 2, &bad, 1, S, &res), BS_GOAL_EINVAL);
    bs_goal_result_free(&res);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson_binomial_exact), cmocka_unit_test(test_importance),
        cmocka_unit_test(test_windows_and_percentage), cmocka_unit_test(test_many_values),
        cmocka_unit_test(test_fixed_blocks),           cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
