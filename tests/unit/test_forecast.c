/*
 * Tests of engine/core/leadtime.c (observations, reference history, shrinkage) and
 * engine/core/forecast.c (Monte Carlo forecast).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "estimate.h"
#include "forecast.h"
#include "leadtime.h"
#include "rng.h"
#include "schedule.h"
#include "schema.h"

#ifndef BS_SOURCE_DIR
#define BS_SOURCE_DIR "."
#endif

static bs_calendar cal;

/* a → b (working days) → m (milestone); a → c (calendar days, shorter) → m */
static const char *mini =
    "{\"key\":\"mini\",\"name\":\"mini\",\"version\":1,\"steps\":["
    "{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\",\"duration\":{\"value\":10,\"unit\":\"working_days\"}},"
    "{\"key\":\"b\",\"name\":\"B\",\"stream\":\"public\",\"duration\":{\"value\":100,\"unit\":\"working_days\"},"
    " \"depends_on\":[{\"step\":\"a\"}]},"
    "{\"key\":\"c\",\"name\":\"C\",\"stream\":\"private\",\"duration\":{\"value\":20,\"unit\":\"calendar_days\"},"
    " \"depends_on\":[{\"step\":\"a\"}]},"
    "{\"key\":\"m\",\"name\":\"M\",\"stream\":\"public\",\"milestone\":true,"
    " \"depends_on\":[{\"step\":\"b\"},{\"step\":\"c\"}]}]}";

static bs_schema *load_schema(const char *json) {
    bs_schema_problems pr = {0};
    bs_schema *s = bs_schema_load(json, strlen(json), false, &pr);
    if (!s) {
        for (size_t i = 0; i < pr.count; i++) fprintf(stderr, "%s: %s\n", pr.items[i].path, pr.items[i].message);
        bs_schema_problems_free(&pr);
    }
    return s;
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

static int setup(void **state) {
    (void)state;
    bs_calendar_options o = bs_calendar_default_options();
    return bs_calendar_init(&cal, &o, 2000, 2060);
}

static int teardown(void **state) {
    (void)state;
    bs_calendar_free(&cal);
    return 0;
}

static void test_size_classes(void **state) {
    (void)state;
    assert_int_equal(bs_size_class_of(0), BS_SIZE_UNKNOWN);
    assert_int_equal(bs_size_class_of(-1), BS_SIZE_UNKNOWN);
    assert_int_equal(bs_size_class_of(1), BS_SIZE_1_10);
    assert_int_equal(bs_size_class_of(10), BS_SIZE_1_10);
    assert_int_equal(bs_size_class_of(11), BS_SIZE_11_50);
    assert_int_equal(bs_size_class_of(50), BS_SIZE_11_50);
    assert_int_equal(bs_size_class_of(51), BS_SIZE_51_200);
    assert_int_equal(bs_size_class_of(200), BS_SIZE_51_200);
    assert_int_equal(bs_size_class_of(201), BS_SIZE_OVER_200);
    assert_string_equal(bs_size_class_name(BS_SIZE_OVER_200), ">200");
    assert_int_equal(bs_size_class_parse("51-200"), BS_SIZE_51_200);
    assert_int_equal(bs_size_class_parse("huge"), -1);
}

static void test_observations(void **state) {
    (void)state;
    bs_schema *s = load_schema(mini);
    assert_non_null(s);
    bs_progress p[4];
    for (int i = 0; i < 4; i++) p[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    /* a: done Mon 2024-03-04 … Fri 2024-03-15: 10 working days */
    p[0] = (bs_progress){BS_STATUS_DONE, bs_date_from_ymd(2024, 3, 4), bs_date_from_ymd(2024, 3, 15), false};
    /* b: started Mon 2024-03-18, data date Mon 2024-04-01 (2e Paasdag): censored at the working days
     * before the data date: 18–22 March (5) and 25–29 March (5; Goede Vrijdag is worked by default) = 10 */
    p[1] = (bs_progress){BS_STATUS_STARTED, bs_date_from_ymd(2024, 3, 18), BS_DAY_NONE, false};
    /* c: skipped */
    p[2] = (bs_progress){BS_STATUS_SKIPPED, BS_DAY_NONE, BS_DAY_NONE, false};
    bs_lt_obs obs[8];
    size_t n = 0;
    bs_lt_counts c = {0};
    bs_day dd = bs_date_from_ymd(2024, 4, 1);
    bs_lt_observe_project(s, p, dd, &cal, BS_SIZE_11_50, "Utrecht", "Utrecht", "uitleg", obs, &n, &c);
    assert_int_equal(n, 2);
    assert_int_equal(c.events, 1);
    assert_int_equal(c.censored, 1);
    assert_int_equal(c.skipped, 1);
    assert_int_equal(obs[0].step, 0);
    assert_true(obs[0].event == 1 && obs[0].time == 10.0);
    assert_int_equal(obs[0].start_year, 2024);
    assert_string_equal(obs[0].gemeente, "Utrecht");
    assert_true(obs[1].event == 0 && obs[1].time == 10.0); /* censored at the data date, not at today */
    /* estimated realised steps are counted, not used; calendar-day durations count every day */
    p[0].actual_estimated = true;
    p[2] = (bs_progress){BS_STATUS_DONE, bs_date_from_ymd(2024, 3, 1), bs_date_from_ymd(2024, 3, 31), false};
    n = 0;
    memset(&c, 0, sizeof c);
    bs_lt_observe_project(s, p, dd, &cal, BS_SIZE_11_50, NULL, NULL, NULL, obs, &n, &c);
    assert_int_equal(c.estimated, 1);
    assert_int_equal(n, 2);
    assert_true(obs[1].step == 2 && obs[1].time == 31.0);
    bs_schema_free(s);
}

static bs_schema *ppm(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/processes/ppm-woningbouw.json", BS_SOURCE_DIR);
    size_t len;
    char *t = read_all(path, &len);
    assert_non_null(t);
    bs_schema_problems pr = {0};
    bs_schema *s = bs_schema_load(t, len, false, &pr);
    free(t);
    assert_non_null(s);
    return s;
}

static void load_reference(const bs_schema *s, bs_reference *ref) {
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/processes/reference/ppm-woningbouw.reference.json", BS_SOURCE_DIR);
    size_t len;
    char *t = read_all(path, &len);
    assert_non_null(t);
    int rc = bs_reference_load(t, len, s, ref, err, sizeof err);
    if (rc != 0) fail_msg("reference: %s", err);
    free(t);
    assert_int_equal(bs_reference_fit(ref, s), BS_EST_OK);
}

static void test_reference(void **state) {
    (void)state;
    bs_schema *s = ppm();
    bs_reference ref;
    load_reference(s, &ref);
    assert_non_null(strstr(ref.label, "REFERENCE DATA"));
    /* every non-milestone step has reference parameters with a source */
    int non_ms = 0;
    for (int32_t i = 0; i < s->n_steps; i++) non_ms += !s->steps[i].milestone;
    assert_int_equal(ref.n, non_ms);
    for (int32_t k = 0; k < ref.n; k++) {
        assert_true(strlen(ref.steps[k].source) > 20);
        assert_true(ref.fit_step[ref.steps[k].step].iterations > 0);
    }
    /* the fitted reference reproduces its parameters: median within 8% (400 draws per group) */
    int32_t b = bs_schema_find(s, "bouw_tot_eerste_oplevering");
    for (int c = 0; c < BS_SIZE_N; c++) {
        const bs_psfit *f = &ref.fit_size[(size_t)b * BS_SIZE_N + (size_t)c];
        double med = bs_dist_quantile(&f->dist, 0.5);
        double want = 0;
        for (int32_t k = 0; k < ref.n; k++)
            if (ref.steps[k].step == b) want = ref.steps[k].median[c];
        if (fabs(med / want - 1) > 0.08) fail_msg("size %d: median %.1f, parameter %.1f", c, med, want);
    }
    /* CBS: bigger projects build longer */
    double m_small = bs_dist_quantile(&ref.fit_size[(size_t)b * BS_SIZE_N + BS_SIZE_1_10].dist, 0.5);
    double m_big = bs_dist_quantile(&ref.fit_size[(size_t)b * BS_SIZE_N + BS_SIZE_OVER_200].dist, 0.5);
    assert_true(m_big > 1.3 * m_small);
    /* seeded: a second generation gives the same history */
    bs_reference ref2;
    load_reference(s, &ref2);
    assert_int_equal(ref.n_history, ref2.n_history);
    for (size_t i = 0; i < ref.n_history; i++) assert_true(ref.history[i].time == ref2.history[i].time);
    bs_reference_free(&ref2);
    /* a bad parameter file names the field */
    char err[256];
    bs_reference bad;
    const char *txt = "{\"label\":\"x\",\"seed\":1,\"observations_per_group\":50,\"censored_share\":0.1,"
                      "\"steps\":{\"bouwrijp_maken\":{\"unit\":\"working_days\",\"median\":100,\"p80\":150}}}";
    assert_int_equal(bs_reference_load(txt, strlen(txt), s, &bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "bouwrijp_maken.source"));
    bs_reference_free(&ref);
    bs_schema_free(s);
}

static void test_shrinkage(void **state) {
    (void)state;
    bs_schema *s = ppm();
    bs_reference ref;
    load_reference(s, &ref);
    int32_t st = bs_schema_find(s, "bouwrijp_maken");
    /* no own observations: the reference */
    bs_lt_model m;
    assert_int_equal(bs_lt_model_build(&ref, st, BS_SIZE_11_50, "Almere", NULL, 0, &m), BS_EST_OK);
    assert_int_equal(m.depth, 3);
    assert_true(m.dist.mu == m.reference.mu && m.dist.sigma == m.reference.sigma);
    assert_false(m.own_dominates);
    assert_true(m.own_weight == 0);
    assert_int_equal(m.sample_level, -1); /* samples the parametric reference */
    assert_true(m.sample.w == 0 && m.sample.n_km == 0);
    bs_lt_model_free(&m);
    /* own observations in Almere, 11-50 homes: 3× longer than the reference */
    bs_rng r;
    bs_rng_seed(&r, 5);
    bs_lt_obs obs[2000];
    size_t n = 0;
    double ref_med = bs_dist_quantile(&m.reference, 0.5);
    for (int i = 0; i < 20; i++)
        obs[n++] = (bs_lt_obs){.step = st,
                               .time = ceil(3 * ref_med * exp(0.3 * bs_rng_normal(&r))),
                               .event = 1,
                               .size = BS_SIZE_11_50,
                               .gemeente = "Almere"};
    assert_int_equal(bs_lt_model_build(&ref, st, BS_SIZE_11_50, "Almere", obs, n, &m), BS_EST_OK);
    /* the forecast samples the Almere KM curve with weight 0.5, mixed with the parent model */
    assert_int_equal(m.sample_level, 2);
    assert_true(fabs(m.sample.w - 0.5) < 1e-12 && m.sample.n_km > 5);
    assert_true(m.sample.par.mu == m.level[1].shrunk.mu);
    /* 20 events at every level: weight 20/(20+20) = 0.5 at each of the three levels */
    for (int l = 0; l < 3; l++) {
        assert_true(m.level[l].fitted);
        assert_int_equal(m.level[l].events, 20);
        assert_true(fabs(m.level[l].weight - 0.5) < 1e-12);
    }
    assert_true(fabs(m.own_weight - (1 - 0.125)) < 1e-12); /* 1 - (1/2)^3 */
    assert_true(m.own_dominates);
    double med = bs_dist_quantile(&m.dist, 0.5);
    assert_true(med > 2.0 * ref_med && med < 3.2 * ref_med);
    /* level 1 sits halfway (in mu) between the own fit and level 0 */
    assert_true(fabs(m.level[1].shrunk.mu - 0.5 * (m.level[1].own.mu + m.level[0].shrunk.mu)) < 1e-12);
    /* another gemeente with the same size class borrows from the step × size level only */
    bs_lt_model o;
    assert_int_equal(bs_lt_model_build(&ref, st, BS_SIZE_11_50, "Zwolle", obs, n, &o), BS_EST_OK);
    assert_false(o.level[2].fitted);
    assert_true(o.dist.mu == o.level[1].shrunk.mu);
    assert_int_equal(o.sample_level, 1); /* Zwolle has none: the size class's curve */
    bs_lt_model_free(&o);
    bs_lt_model_free(&m);
    /* many observations: own data takes over */
    for (int i = 0; i < 1500; i++)
        obs[n++] = (bs_lt_obs){.step = st,
                               .time = ceil(3 * ref_med * exp(0.3 * bs_rng_normal(&r))),
                               .event = 1,
                               .size = BS_SIZE_11_50,
                               .gemeente = "Almere"};
    assert_int_equal(bs_lt_model_build(&ref, st, BS_SIZE_11_50, "Almere", obs, n, &m), BS_EST_OK);
    assert_true(m.own_weight > 0.999);
    assert_true(fabs(bs_dist_quantile(&m.dist, 0.5) / (3 * ref_med) - 1) < 0.05);
    assert_true(m.sample.w > 0.98);
    assert_true(fabs(bs_ltdist_cond_quantile(&m.sample, 0, 0.5) / (3 * ref_med) - 1) < 0.05);
    bs_lt_model_free(&m);
    bs_reference_free(&ref);
    bs_schema_free(s);
}

static void run_mini(const bs_schema *s, const bs_progress *p, const bs_dist *d, const unsigned char *has, int ns,
                     uint64_t seed, bs_forecast *f) {
    bs_ltdist ld[4];
    for (int i = 0; i < 4; i++) ld[i] = bs_ltdist_parametric(&d[i]);
    bs_forecast_input in = {.schema = s,
                            .progress = p,
                            .progress_date = BS_DAY_NONE,
                            .data_date = bs_date_from_ymd(2025, 1, 6),
                            .cal = &cal,
                            .dist = ld,
                            .has_dist = has,
                            .n_samples = ns};
    bs_rng r;
    bs_rng_seed(&r, seed);
    assert_int_equal(bs_forecast_compute(&in, &r, f), BS_SCHEDULE_OK);
}

static void test_forecast_deterministic_and_reproducible(void **state) {
    (void)state;
    bs_schema *s = load_schema(mini);
    bs_progress p[4];
    for (int i = 0; i < 4; i++) p[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    bs_dist d[4] = {{BS_DIST_LOGNORMAL, log(10), 0.3},
                    {BS_DIST_LOGNORMAL, log(100), 0.4},
                    {BS_DIST_WEIBULL, log(20), 0.5},
                    {BS_DIST_LOGNORMAL, 0, 1}};
    unsigned char none[4] = {0, 0, 0, 0}, all[4] = {1, 1, 1, 0};
    /* without distributions every sample is the plan */
    bs_forecast f;
    run_mini(s, p, d, none, 50, 1, &f);
    assert_int_equal(f.completion_p50, f.completion_planned);
    assert_int_equal(f.completion_p80, f.completion_planned);
    assert_int_equal(f.steps[3].p50, f.steps[3].planned);
    assert_true(f.steps[1].criticality == 1.0 && f.steps[2].criticality == 0.0);
    bs_forecast_free(&f);
    /* seeded: same seed, same forecast; P50 <= P80 */
    bs_forecast f1, f2;
    run_mini(s, p, d, all, 2000, 42, &f1);
    run_mini(s, p, d, all, 2000, 42, &f2);
    assert_int_equal(f1.completion_p50, f2.completion_p50);
    assert_int_equal(f1.completion_p80, f2.completion_p80);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(f1.steps[i].p50, f2.steps[i].p50);
        assert_true(f1.steps[i].criticality == f2.steps[i].criticality);
        assert_true(f1.steps[i].p50 <= f1.steps[i].p80);
    }
    /* b (100 wd) almost always beats c (~20 calendar days) to the milestone */
    assert_true(f1.steps[1].criticality > 0.99);
    assert_true(f1.steps[2].criticality < 0.01);
    assert_true(f1.steps[0].criticality > 0.99);
    /* completion P50 ≈ plan start + median(a) + median(b): P50 of a sum of lognormals is near the
     * sum of medians (within a few working days for these spreads) */
    bs_day start = bs_date_from_ymd(2025, 1, 6);
    int32_t b0 = bs_calendar_boundary_before(&cal, start);
    int32_t p50_wd = bs_calendar_boundary_after(&cal, f1.completion_p50) - b0;
    assert_true(p50_wd > 105 && p50_wd < 125);
    bs_forecast_shift sh[5];
    assert_int_equal(bs_forecast_diff(&f1, &f2, sh), 0);
    assert_int_equal(sh[4].p50_days, 0);
    bs_forecast_free(&f1);
    bs_forecast_free(&f2);
    bs_schema_free(s);
}

/* keep_steps: the per-sample finish days of chosen steps; their type-1 P50/P80 are the forecast's,
 * and asking for them does not change the forecast (same seed, same draws) */
static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void test_forecast_keep_steps(void **state) {
    (void)state;
    bs_schema *s = load_schema(mini);
    bs_progress p[4];
    for (int i = 0; i < 4; i++) p[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    bs_dist d[4] = {{BS_DIST_LOGNORMAL, log(10), 0.3},
                    {BS_DIST_LOGNORMAL, log(100), 0.4},
                    {BS_DIST_WEIBULL, log(20), 0.5},
                    {BS_DIST_LOGNORMAL, 0, 1}};
    unsigned char all[4] = {1, 1, 1, 0};
    bs_ltdist ld[4];
    for (int i = 0; i < 4; i++) ld[i] = bs_ltdist_parametric(&d[i]);
    enum { NS = 999 };
    int32_t keep[2] = {3, 1};
    bs_day *kf = calloc(2 * NS, sizeof *kf);
    bs_forecast_input in = {.schema = s,
                            .progress = p,
                            .progress_date = BS_DAY_NONE,
                            .data_date = bs_date_from_ymd(2025, 1, 6),
                            .cal = &cal,
                            .dist = ld,
                            .has_dist = all,
                            .n_samples = NS,
                            .keep_steps = keep,
                            .n_keep = 2,
                            .keep_finish = kf};
    bs_rng r;
    bs_rng_seed(&r, 7);
    bs_forecast f, g;
    assert_int_equal(bs_forecast_compute(&in, &r, &f), BS_SCHEDULE_OK);
    run_mini(s, p, d, all, NS, 7, &g);
    assert_int_equal(f.completion_p80, g.completion_p80);
    for (int k = 0; k < 2; k++) {
        bs_day *v = kf + k * NS;
        for (int i = 0; i < NS; i++) assert_true(v[i] != BS_DAY_NONE && v[i] >= in.data_date);
        qsort(v, NS, sizeof *v, cmp_i32);
        assert_int_equal(v[499], f.steps[keep[k]].p50); /* ceil(0.5 * 999) = 500th smallest */
        assert_int_equal(v[799], f.steps[keep[k]].p80); /* ceil(0.8 * 999) = 800th */
    }
    bs_forecast_free(&f);
    bs_forecast_free(&g);
    /* an index outside the schema is refused */
    keep[0] = 4;
    bs_rng_seed(&r, 7);
    assert_int_equal(bs_forecast_compute(&in, &r, &f), BS_SCHEDULE_EUNSUPPORTED);
    free(kf);
    bs_schema_free(s);
}

static void test_forecast_running_step_conditional(void **state) {
    (void)state;
    bs_schema *s = load_schema(mini);
    bs_progress p[4];
    for (int i = 0; i < 4; i++) p[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    p[0] = (bs_progress){BS_STATUS_DONE, bs_date_from_ymd(2024, 1, 2), bs_date_from_ymd(2024, 1, 15), false};
    /* b has been running for about 250 working days at the data date (2025-01-06): far beyond its
     * median of 100; the forecast must use T | T > 250, not T */
    p[1] = (bs_progress){BS_STATUS_STARTED, bs_date_from_ymd(2024, 1, 16), BS_DAY_NONE, false};
    p[2] = (bs_progress){BS_STATUS_DONE, bs_date_from_ymd(2024, 1, 16), bs_date_from_ymd(2024, 2, 1), false};
    bs_dist d[4] = {{BS_DIST_LOGNORMAL, log(10), 0.3},
                    {BS_DIST_LOGNORMAL, log(100), 0.6},
                    {BS_DIST_WEIBULL, log(20), 0.5},
                    {BS_DIST_LOGNORMAL, 0, 1}};
    unsigned char all[4] = {1, 1, 1, 0};
    bs_forecast f;
    run_mini(s, p, d, all, 2000, 3, &f);
    double elapsed = bs_lt_elapsed(&cal, BS_UNIT_WORKING_DAYS, p[1].actual_start, bs_date_from_ymd(2025, 1, 6));
    double cq50 = bs_dist_cond_quantile(&d[1], elapsed, 0.5);
    bs_day want =
        bs_calendar_wd_date(&cal, bs_calendar_boundary_before(&cal, p[1].actual_start) + (int32_t)ceil(cq50) - 1);
    /* within 5 working days of the conditional median */
    int32_t diff = bs_calendar_boundary_before(&cal, f.steps[1].p50) - bs_calendar_boundary_before(&cal, want);
    if (abs(diff) > 5) fail_msg("p50 of the running step off by %d working days", diff);
    /* the realised step keeps its date in every sample */
    assert_int_equal(f.steps[0].p50, p[0].actual_finish);
    assert_int_equal(f.steps[0].p80, p[0].actual_finish);
    assert_true(f.steps[0].criticality == 0.0);
    bs_forecast_free(&f);
    bs_schema_free(s);
}

/* records the progress date a hook is given, then schedules as the default does */
static bs_schedule_err record_pd(void *ctx, const bs_schema *sampled, const bs_progress *progress, bs_day progress_date,
                                 bs_day data_date, const bs_calendar *c, bs_schedule *out) {
    bs_day *seen = ctx;
    *seen = progress_date;
    bs_schedule_input si = {.schema = sampled,
                            .progress = progress,
                            .progress_date = progress_date,
                            .data_date = data_date,
                            .cal = c,
                            .near_critical_wd = -1};
    return bs_schedule_compute_ex(&si, out);
}

/* The progress date reaches every schedule of the forecast (docs/scheduling.md §5): b (100 wd)
 * STARTED Tue 16 Jan 2024, facts known up to PD Fri 1 March 2024 (work done: the working days
 * 16 Jan – 29 Feb = 33), data date Mon 6 Jan 2025. The plan finishes b 67 working days from the
 * data date (not at the data date, as with PD = DD where b is overdue), and the samples draw b
 * conditional on T > 33 (the elapsed time at PD), so P50 lies near the data date + the
 * conditional median − 33. */
static void test_forecast_progress_date(void **state) {
    (void)state;
    bs_schema *s = load_schema(mini);
    bs_progress p[4];
    p[0] = (bs_progress){BS_STATUS_DONE, bs_date_from_ymd(2024, 1, 2), bs_date_from_ymd(2024, 1, 15), false};
    p[1] = (bs_progress){BS_STATUS_STARTED, bs_date_from_ymd(2024, 1, 16), BS_DAY_NONE, false};
    p[2] = (bs_progress){BS_STATUS_DONE, bs_date_from_ymd(2024, 1, 16), bs_date_from_ymd(2024, 2, 1), false};
    p[3] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    bs_dist d[4] = {{BS_DIST_LOGNORMAL, log(10), 0.3},
                    {BS_DIST_LOGNORMAL, log(100), 0.6},
                    {BS_DIST_WEIBULL, log(20), 0.5},
                    {BS_DIST_LOGNORMAL, 0, 1}};
    bs_ltdist ld[4];
    for (int i = 0; i < 4; i++) ld[i] = bs_ltdist_parametric(&d[i]);
    unsigned char none[4] = {0, 0, 0, 0}, all[4] = {1, 1, 1, 0};
    const bs_day pd = bs_date_from_ymd(2024, 3, 1), dd = bs_date_from_ymd(2025, 1, 6);
    int32_t dd_b = bs_calendar_boundary_before(&cal, dd);
    int32_t done = bs_calendar_boundary_before(&cal, pd) - bs_calendar_boundary_before(&cal, p[1].actual_start);
    assert_int_equal(done, 33);
    bs_day seen = 0;
    bs_forecast_input in = {.schema = s,
                            .progress = p,
                            .progress_date = pd,
                            .data_date = dd,
                            .cal = &cal,
                            .dist = ld,
                            .has_dist = none,
                            .n_samples = 20};
    bs_rng r;
    bs_rng_seed(&r, 5);
    bs_forecast f;
    assert_int_equal(bs_forecast_compute(&in, &r, &f), BS_SCHEDULE_OK);
    assert_int_equal(f.steps[1].planned, bs_calendar_wd_date(&cal, dd_b + 67 - 1));
    assert_int_equal(f.steps[1].p50, f.steps[1].planned);
    bs_forecast_free(&f);
    in.schedule = record_pd;
    in.schedule_ctx = &seen;
    assert_int_equal(bs_forecast_compute(&in, &r, &f), BS_SCHEDULE_OK);
    assert_int_equal(seen, pd);
    assert_int_equal(f.steps[1].planned, bs_calendar_wd_date(&cal, dd_b + 67 - 1));
    bs_forecast_free(&f);
    in.schedule = NULL;
    in.has_dist = all;
    in.n_samples = 2000;
    assert_int_equal(bs_forecast_compute(&in, &r, &f), BS_SCHEDULE_OK);
    double cq50 = bs_dist_cond_quantile(&d[1], done, 0.5);
    int32_t want_b = dd_b + (int32_t)ceil(cq50) - done - 1;
    int32_t diff = bs_calendar_boundary_before(&cal, f.steps[1].p50) - want_b;
    if (abs(diff) > 5) fail_msg("p50 of the running step off by %d working days", diff);
    bs_forecast_free(&f);
    bs_schema_free(s);
}

/* a what-if hook: the whole project may only start 100 calendar days later */
static bs_schedule_err later_start(void *ctx, const bs_schema *sampled, const bs_progress *progress,
                                   bs_day progress_date, bs_day data_date, const bs_calendar *c, bs_schedule *out) {
    int *calls = ctx;
    (*calls)++;
    assert_true(progress_date == BS_DAY_NONE);
    return bs_schedule_compute(sampled, progress, data_date + 100, c, out);
}

static void test_forecast_hook_and_shifts(void **state) {
    (void)state;
    bs_schema *s = load_schema(mini);
    bs_progress p[4];
    for (int i = 0; i < 4; i++) p[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    bs_dist d[4] = {{BS_DIST_LOGNORMAL, log(10), 0.3},
                    {BS_DIST_LOGNORMAL, log(100), 0.4},
                    {BS_DIST_WEIBULL, log(20), 0.5},
                    {BS_DIST_LOGNORMAL, 0, 1}};
    unsigned char all[4] = {1, 1, 1, 0};
    bs_forecast base, wi;
    run_mini(s, p, d, all, 1000, 9, &base);
    int calls = 0;
    bs_ltdist ld[4];
    for (int i = 0; i < 4; i++) ld[i] = bs_ltdist_parametric(&d[i]);
    bs_forecast_input in = {.schema = s,
                            .progress = p,
                            .progress_date = BS_DAY_NONE,
                            .data_date = bs_date_from_ymd(2025, 1, 6),
                            .cal = &cal,
                            .dist = ld,
                            .has_dist = all,
                            .n_samples = 1000,
                            .schedule = later_start,
                            .schedule_ctx = &calls};
    bs_rng r;
    bs_rng_seed(&r, 9); /* the same seed: common random numbers */
    assert_int_equal(bs_forecast_compute(&in, &r, &wi), BS_SCHEDULE_OK);
    assert_int_equal(calls, 1001); /* the plan + every sample */
    bs_forecast_shift sh[5];
    assert_int_equal(bs_forecast_diff(&base, &wi, sh), 0);
    /* 2025-04-16 (data date + 100) is a Wednesday: with common random numbers every sample moves by
     * the same number of working days, so the shift is 100 calendar days give or take a weekend
     * and the holidays in between */
    assert_true(sh[4].p50_days >= 95 && sh[4].p50_days <= 105);
    assert_true(sh[4].p80_days >= 95 && sh[4].p80_days <= 105);
    assert_true(sh[3].p50_days == sh[4].p50_days); /* the milestone is the completion */
    assert_true(wi.completion_planned > base.completion_planned + 90);
    bs_forecast_free(&base);
    bs_forecast_free(&wi);
    bs_schema_free(s);
}

/* bs_forecast_day_quantiles selects instead of sorting: the same type-1 P50/P80 as a sort, on sizes
 * 1..n, many shapes (few distinct days, wide ranges, sorted, reversed, organ pipe, all equal, with
 * BS_DAY_NONE among them), and v keeps the same multiset of valid days at its front */
static int cmp_day_ref(const void *a, const void *b) {
    bs_day x = *(const bs_day *)a, y = *(const bs_day *)b;
    return (x > y) - (x < y);
}

static void test_day_quantiles_select(void **state) {
    (void)state;
    bs_rng r;
    bs_rng_seed(&r, 7);
    enum { MAXN = 3000 };
    static bs_day v[MAXN], ref[MAXN], after[MAXN];
    int checked = 0;
    for (int shape = 0; shape < 8; shape++) {
        for (int32_t n = 1; n <= MAXN; n = n < 40 ? n + 1 : n * 3 / 2) {
            int32_t m = 0;
            for (int32_t i = 0; i < n; i++) {
                uint64_t x = bs_rng_next(&r);
                bs_day d;
                switch (shape) {
                case 0: d = 20000 + (bs_day)(x % 5); break;                              /* a few distinct days */
                case 1: d = 20000 + (bs_day)(x % 40000); break;                          /* wide range */
                case 2: d = 20000 + i; break;                                            /* sorted */
                case 3: d = 20000 + n - i; break;                                        /* reversed */
                case 4: d = 20000 + (i < n / 2 ? i : n - i); break;                      /* organ pipe */
                case 5: d = 21000; break;                                                /* all equal */
                case 6: d = x % 4 == 0 ? BS_DAY_NONE : 20000 + (bs_day)(x % 300); break; /* some skipped */
                default: d = i % 2 ? 20000 + i : 30000 - i; break;                       /* interleaved */
                }
                v[i] = d;
                if (d != BS_DAY_NONE) ref[m++] = d;
            }
            bs_day p50, p80;
            bs_forecast_day_quantiles(v, n, &p50, &p80);
            if (m == 0) {
                assert_int_equal(p50, BS_DAY_NONE);
                assert_int_equal(p80, BS_DAY_NONE);
                continue;
            }
            qsort(ref, (size_t)m, sizeof *ref, cmp_day_ref);
            int32_t k50 = (int32_t)ceil(0.5 * m) - 1, k80 = (int32_t)ceil(0.8 * m) - 1;
            assert_int_equal(p50, ref[k50 < 0 ? 0 : k50]);
            assert_int_equal(p80, ref[k80 < 0 ? 0 : k80]);
            memcpy(after, v, (size_t)m * sizeof *after);
            qsort(after, (size_t)m, sizeof *after, cmp_day_ref);
            assert_memory_equal(after, ref, (size_t)m * sizeof *ref);
            checked++;
        }
    }
    bs_day none[3] = {BS_DAY_NONE, BS_DAY_NONE, BS_DAY_NONE}, p50 = 0, p80 = 0;
    bs_forecast_day_quantiles(none, 3, &p50, &p80);
    assert_int_equal(p50, BS_DAY_NONE);
    assert_int_equal(p80, BS_DAY_NONE);
    assert_true(checked > 100);
}

/* The overrides and links given as inputs (one workspace, no hook) give the forecast that a hook
 * running bs_schedule_compute_ex with the same overrides and links gives, to the day and sample */
typedef struct edit_hook {
    const bs_step_override *ov;
    const bs_link *links;
    int32_t n_links;
    int calls;
} edit_hook;

static bs_schedule_err edit_schedule(void *ctx, const bs_schema *sampled, const bs_progress *progress,
                                     bs_day progress_date, bs_day data_date, const bs_calendar *c, bs_schedule *out) {
    edit_hook *h = ctx;
    h->calls++;
    bs_schedule_input in = {.schema = sampled,
                            .progress = progress,
                            .overrides = h->ov,
                            .links = h->links,
                            .n_links = h->n_links,
                            .progress_date = progress_date,
                            .data_date = data_date,
                            .cal = c,
                            .near_critical_wd = -1};
    return bs_schedule_compute_ex(&in, out);
}

static void test_forecast_edit_inputs_match_hook(void **state) {
    (void)state;
    bs_schema *s = load_schema(mini);
    bs_progress p[4];
    for (int i = 0; i < 4; i++) p[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    p[0] = (bs_progress){BS_STATUS_STARTED, bs_date_from_ymd(2024, 12, 16), BS_DAY_NONE, false};
    bs_step_override ov[4];
    for (int i = 0; i < 4; i++) ov[i] = (bs_step_override){-1, -1, BS_DAY_NONE, BS_DAY_NONE};
    ov[2].snet = bs_date_from_ymd(2025, 3, 3);  /* c no earlier than March */
    ov[3].fnlt = bs_date_from_ymd(2025, 6, 30); /* a deadline on the milestone */
    /* the project's own links: b and c start-to-start after a (lag 5 wd), both finish-to-start into m */
    bs_link links[4] = {{0, 1, BS_LINK_SS, 5, BS_UNIT_WORKING_DAYS},
                        {0, 2, BS_LINK_FS, 3, BS_UNIT_CALENDAR_DAYS},
                        {1, 3, BS_LINK_FS, 0, BS_UNIT_WORKING_DAYS},
                        {2, 3, BS_LINK_FS, 0, BS_UNIT_WORKING_DAYS}};
    bs_dist d[4] = {{BS_DIST_LOGNORMAL, log(10), 0.3},
                    {BS_DIST_LOGNORMAL, log(100), 0.4},
                    {BS_DIST_WEIBULL, log(20), 0.5},
                    {BS_DIST_LOGNORMAL, 0, 1}};
    bs_ltdist ld[4];
    for (int i = 0; i < 4; i++) ld[i] = bs_ltdist_parametric(&d[i]);
    unsigned char all[4] = {1, 1, 1, 0};
    int32_t keep[2] = {1, 3};
    enum { NS = 500 };
    static bs_day kf_hook[2 * NS], kf_ws[2 * NS];
    for (int with_links = 0; with_links < 2; with_links++) {
        edit_hook h = {ov, with_links ? links : NULL, with_links ? 4 : 0, 0};
        bs_forecast_input in = {.schema = s,
                                .progress = p,
                                .progress_date = bs_date_from_ymd(2025, 1, 3),
                                .data_date = bs_date_from_ymd(2025, 1, 6),
                                .cal = &cal,
                                .dist = ld,
                                .has_dist = all,
                                .n_samples = NS,
                                .schedule = edit_schedule,
                                .schedule_ctx = &h,
                                .keep_steps = keep,
                                .n_keep = 2,
                                .keep_finish = kf_hook};
        bs_forecast fh, fw;
        bs_rng r;
        bs_rng_seed(&r, 11);
        assert_int_equal(bs_forecast_compute(&in, &r, &fh), BS_SCHEDULE_OK);
        assert_int_equal(h.calls, NS + 1);
        in.schedule = NULL;
        in.schedule_ctx = NULL;
        in.overrides = ov;
        in.links = h.links;
        in.n_links = h.n_links;
        in.keep_finish = kf_ws;
        bs_rng_seed(&r, 11);
        assert_int_equal(bs_forecast_compute(&in, &r, &fw), BS_SCHEDULE_OK);
        assert_int_equal(h.calls, NS + 1); /* the hook is not called */
        assert_int_equal(fw.completion_planned, fh.completion_planned);
        assert_int_equal(fw.completion_p50, fh.completion_p50);
        assert_int_equal(fw.completion_p80, fh.completion_p80);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(fw.steps[i].planned, fh.steps[i].planned);
            assert_int_equal(fw.steps[i].p50, fh.steps[i].p50);
            assert_int_equal(fw.steps[i].p80, fh.steps[i].p80);
            assert_true(fw.steps[i].criticality == fh.steps[i].criticality);
        }
        assert_memory_equal(kf_ws, kf_hook, sizeof kf_ws);
        bs_forecast_free(&fh);
        bs_forecast_free(&fw);
    }
    bs_schema_free(s);
}

static void test_ltdist_mixture(void **state) {
    (void)state;
    /* own curve from 300 gamma-like durations (25% censored), tail and parent lognormal */
    bs_rng r;
    bs_rng_seed(&r, 21);
    double t[300];
    unsigned char e[300];
    for (int i = 0; i < 300; i++) {
        t[i] = ceil(40 * bs_rng_gamma(&r, 2.0));
        e[i] = bs_rng_uniform(&r) >= 0.25;
        if (!e[i]) t[i] = ceil(t[i] * bs_rng_uniform(&r));
    }
    bs_obs_set os;
    bs_km km;
    assert_int_equal(bs_obs_collapse(t, e, 300, &os), BS_EST_OK);
    assert_int_equal(bs_km_fit(&os, 0.95, &km), BS_EST_OK);
    bs_dist par = {BS_DIST_LOGNORMAL, log(120), 0.5};
    bs_ltdist d;
    assert_int_equal(bs_ltdist_from_km(&km, &par, 0.7, &d), BS_EST_OK);
    /* S is the mixture, at KM times and in the tail */
    double x = km.pts[km.n_pts / 2].time;
    double want = 0.7 * bs_km_surv_at(&km, x) + 0.3 * bs_dist_surv(&par, x);
    assert_true(fabs(bs_ltdist_surv(&d, x) - want) < 1e-12);
    double far = 2 * km.pts[km.n_pts - 1].time;
    assert_true(bs_ltdist_surv(&d, far) > 0 && bs_ltdist_surv(&d, far) < bs_ltdist_surv(&d, x));
    /* w = 1: the conditional quantile is the KM rule (first time S <= level) */
    bs_ltdist d1;
    assert_int_equal(bs_ltdist_from_km(&km, &par, 1.0, &d1), BS_EST_OK);
    double q1, q2;
    assert_int_equal(bs_km_cond_quantile(&km, 0, 0.5, &q1), 1);
    q2 = bs_ltdist_cond_quantile(&d1, 0, 0.5);
    assert_true(fabs(q1 - q2) < 1e-6 * q1);
    /* sampling agrees with the conditional quantiles (unconditional and given T > 60) */
    const double ts[2] = {0, 60};
    for (int k = 0; k < 2; k++) {
        double q50 = bs_ltdist_cond_quantile(&d, ts[k], 0.5), q80 = bs_ltdist_cond_quantile(&d, ts[k], 0.8);
        int b50 = 0, b80 = 0, n = 20000;
        for (int i = 0; i < n; i++) {
            double v = bs_ltdist_sample_cond(&d, ts[k], &r);
            assert_true(v >= ts[k]);
            b50 += v <= q50;
            b80 += v <= q80;
        }
        /* discrete KM steps: the share at the quantile can exceed p by the jump there */
        if (!(b50 / (double)n > 0.49 && b50 / (double)n < 0.53))
            fail_msg("t=%g: P50 share %.3f", ts[k], b50 / (double)n);
        if (!(b80 / (double)n > 0.79 && b80 / (double)n < 0.83))
            fail_msg("t=%g: P80 share %.3f", ts[k], b80 / (double)n);
    }
    bs_ltdist_free(&d);
    bs_ltdist_free(&d1);
    bs_km_free(&km);
    bs_obs_free(&os);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_classes),
        cmocka_unit_test(test_observations),
        cmocka_unit_test(test_reference),
        cmocka_unit_test(test_shrinkage),
        cmocka_unit_test(test_forecast_deterministic_and_reproducible),
        cmocka_unit_test(test_forecast_running_step_conditional),
        cmocka_unit_test(test_forecast_keep_steps),
        cmocka_unit_test(test_forecast_hook_and_shifts),
        cmocka_unit_test(test_forecast_progress_date),
        cmocka_unit_test(test_ltdist_mixture),
        cmocka_unit_test(test_day_quantiles_select),
        cmocka_unit_test(test_forecast_edit_inputs_match_hook),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
