/*
 * Scheduling benchmark: full recompute of 25,000 projects × 40 steps (1,000,000
 * steps) on one core, and the recompute of one project after one change. Each project has
 * its own random DAG (all four link types, leads and lags,
 * about 1.5 links per step) and its own durations, passed as per-project links and
 * overrides to bs_schedule_compute_ex on the Dutch working-day calendar: forward and
 * backward pass, total and free float, critical paths. Not a test: `make bench`. The
 * comparison with networkx is bench/bench_cpm.py (the anchor's graphs, networkx-cpm.py; the
 * old bench_schedule_nx.py, which built its graphs inside its timed part, is retired).
 *
 * Usage: bench_schedule [PROJECTS]   (default 25000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "schedule.h"
#include "schema.h"

#define STEPS 40

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 42;
static uint32_t rnd(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

static volatile long long sink;

typedef struct project {
    bs_step_override ov[STEPS];
    bs_link *links;
    int32_t n_links;
} project;

/* One base schema of 40 working-day steps in topological order; links and durations are per
 * project. */
typedef struct base_schema {
    bs_schema sch;
    bs_step steps[STEPS];
    int32_t topo[STEPS];
    char keys[STEPS][8];
} base_schema;

static void base_schema_init(base_schema *b) {
    memset(b, 0, sizeof *b);
    for (int i = 0; i < STEPS; i++) {
        snprintf(b->keys[i], sizeof b->keys[i], "s%d", i);
        b->steps[i].key = b->steps[i].name = b->keys[i];
        b->steps[i].duration = 1;
        b->steps[i].unit = BS_UNIT_WORKING_DAYS;
        b->topo[i] = i;
    }
    b->sch.key = b->sch.name = "bench";
    b->sch.steps = b->steps;
    b->sch.n_steps = STEPS;
    b->sch.topo = b->topo;
}

/* The next random project from rnd(): durations of 1–30 working days and one or two links
 * into each step but the first from earlier steps (no duplicates). g->links has room for
 * STEPS * 3 links and g->n_links is 0. */
static void random_project(project *g) {
    for (int i = 0; i < STEPS; i++) {
        g->ov[i] = (bs_step_override){
            .duration = 1 + (int32_t)(rnd() % 30), .remaining = -1, .snet = BS_DAY_NONE, .fnlt = BS_DAY_NONE};
        int k = i == 0 ? 0 : 1 + (int)(rnd() % 2);
        for (int j = 0; j < k; j++) {
            int32_t q = (int32_t)(rnd() % (uint32_t)i);
            bool dup = false;
            for (int32_t l = 0; l < g->n_links; l++) dup |= g->links[l].pred == q && g->links[l].succ == i;
            if (dup) continue;
            uint32_t t = rnd() % 10; /* 70% FS, 10% each SS/FF/SF */
            int32_t lag = rnd() % 4 == 0 ? (int32_t)(rnd() % 16) - 5 : 0;
            g->links[g->n_links++] =
                (bs_link){q, i, t < 7 ? BS_LINK_FS : (bs_link_type)(t - 6), lag, BS_UNIT_WORKING_DAYS};
        }
    }
}

/* Schedules project g; adds its ES/LS checksum (boundaries from dd_b) to *cs. -1 on failure. */
static int schedule_project(bs_schedule_input *in, const project *g, int32_t dd_b, long long *cs) {
    in->overrides = g->ov;
    in->links = g->links;
    in->n_links = g->n_links;
    bs_schedule out;
    if (bs_schedule_compute_ex(in, &out) != BS_SCHEDULE_OK) return -1;
    for (int i = 0; i < STEPS; i++) *cs += (out.steps[i].es_b - dd_b) + 3LL * (out.steps[i].ls_b - dd_b);
    bs_schedule_free(&out);
    return 0;
}

/* Full recompute of all projects, best of 3, in seconds; -1 on failure. */
static double time_full_recompute(bs_schedule_input *in, const project *pr, long n_proj, int32_t dd_b) {
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        long long cs = 0;
        double t0 = now_s();
        for (long p = 0; p < n_proj; p++)
            if (schedule_project(in, &pr[p], dd_b, &cs) != 0) return -1;
        double t = now_s() - t0;
        if (t < best) best = t;
        sink += cs; /* keeps the loop from being optimised away */
    }
    return best;
}

/* One change in one project, then its recompute: mean over iters changes, in µs; -1 on failure. */
static double time_one_change(bs_schedule_input *in, project *pr, long n_proj, long iters) {
    double t0 = now_s();
    for (long it = 0; it < iters; it++) {
        project *q = &pr[it % n_proj];
        q->ov[it % STEPS].duration = 1 + (int32_t)(it % 29);
        in->overrides = q->ov;
        in->links = q->links;
        in->n_links = q->n_links;
        bs_schedule out;
        if (bs_schedule_compute_ex(in, &out) != BS_SCHEDULE_OK) return -1;
        bs_schedule_free(&out);
    }
    return (now_s() - t0) / (double)iters * 1e6;
}

int main(int argc, char **argv) {
    long n_proj = argc > 1 ? atol(argv[1]) : 25000;
    if (n_proj < 1) return 2;
    base_schema base;
    base_schema_init(&base);
    bs_calendar cal;
    bs_calendar_options o = bs_calendar_default_options();
    if (bs_calendar_init(&cal, &o, 2020, 2060) != 0) return 1;
    bs_progress prog[STEPS];
    for (int i = 0; i < STEPS; i++) prog[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};

    project *pr = calloc((size_t)n_proj, sizeof *pr);
    if (!pr) return 1;
    long total_links = 0;
    for (long p = 0; p < n_proj; p++) {
        pr[p].links = malloc(sizeof(bs_link) * STEPS * 3);
        random_project(&pr[p]);
        total_links += pr[p].n_links;
    }
    bs_day dd = bs_date_from_ymd(2026, 1, 5);
    int32_t dd_b = bs_calendar_boundary_before(&cal, dd);
    bs_schedule_input in = {.schema = &base.sch,
                            .progress = prog,
                            .progress_date = BS_DAY_NONE,
                            .data_date = dd,
                            .cal = &cal,
                            .near_critical_wd = -1};

    double best = time_full_recompute(&in, pr, n_proj, dd_b);
    if (best < 0) return 1;
    long iters = 200000;
    double one_us = time_one_change(&in, pr, n_proj, iters);
    if (one_us < 0) return 1;
    printf("scheduling: %ld projects x %d steps = %ld steps, %ld links (all four types, leads/lags)\n", n_proj, STEPS,
           n_proj * STEPS, total_links);
    printf("engine full recompute (1 core, best of 3): %.3f s  (%.0f ns/step)\n", best,
           best / (double)(n_proj * STEPS) * 1e9);
    printf("engine recompute after one change in one project: %.2f us (mean of %ld)\n", one_us, iters);
    fflush(stdout);
    free(pr);
    bs_calendar_free(&cal);
    return 0;
}
