/*
 * CPM core benchmark on the anchor's graphs (issue 17 item 2): the N projects × 40 steps of
 * ../shared/bench/dag_gen.py, regenerated here bit for bit from its docstring (splitmix64),
 * each scheduled by bs_schedule_compute_ws (forward and backward pass, total and free float,
 * near-critical flags, critical paths, calendar dates; these graphs take the common-case pass,
 * docs/scheduling.md §6.1) on the Dutch working-day calendar of the anchor (Goede Vrijdag
 * worked, 5 May off every year). The graphs are generated before the timed part into flat
 * arrays (all projects' overrides, then all links back to back); the timed part is the
 * scheduling of all N projects with one workspace (bs_schedule_ws), each result read (the
 * finish, a float, the number of critical paths); the hash of every critical path is computed
 * in one more, untimed pass.
 * Not a test: bench/bench_cpm.py runs it beside ../shared/bench/networkx-cpm.py and compares
 * the results task by task; `make bench`.
 *
 * Usage: bench_cpm [--warmup=W] N [RUNS [DUMP]]
 *   W untimed passes over all projects first (bench_cpm.py: 1, as its networkx side);
 *   prints each timed pass's wall-clock and thread CPU time (CLOCK_MONOTONIC,
 *   CLOCK_THREAD_CPUTIME_ID), then "RESULT bench_cpm: tasks=… links=… min=…s median=…s
 *   cpu_min=…s cpu_median=…s …"; with DUMP, writes one line
 *   per task "p,i,start,finish,float": start = the date of the working day the task starts
 *   on (a milestone: the working day after its instant, as networkx-cpm.py dates it), finish
 *   = inclusive early finish date ("-" for a milestone), float = total float in working days.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "schedule.h"
#include "schema.h"

#define STEPS 40
#define MAX_LINKS 128
#define SEED 20260101ULL

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread (s): the work itself, without the time other processes hold the
 * core (the machine is shared); Linux counts it in nanoseconds. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t sm_next(uint64_t *s) {
    *s += 0x9E3779B97F4A7C15ULL;
    uint64_t z = *s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

typedef struct project {
    bs_step_override ov[STEPS];
    bs_link links[MAX_LINKS];
    int32_t n_links;
} project;

/* All projects in flat arrays: overrides STEPS per project, links back to back. */
typedef struct flat {
    bs_step_override *ov; /* n * STEPS */
    bs_link *links;
    long *link_off; /* n + 1 */
} flat;

static bool is_milestone(int i) {
    return i == 0 || i == 13 || i == 26 || i == 39;
}

static void add_link(project *g, int32_t pred, int32_t succ, bs_link_type t, int32_t lag) {
    g->links[g->n_links++] = (bs_link){pred, succ, t, lag, BS_UNIT_WORKING_DAYS};
}

/* Project p of dag_gen.py (gen_project), as overrides and links; step 0 pinned (SNET) at the
 * project's start, 2026-01-05 + 7 (p mod 13) days. */
static void gen_project(project *g, uint64_t p) {
    uint64_t s = (SEED << 32) ^ p;
    bool has_succ[STEPS] = {false};
    g->n_links = 0;
    for (int i = 0; i < STEPS; i++) {
        bool ms = is_milestone(i);
        int32_t dur = ms ? 0 : 1 + (int32_t)(sm_next(&s) % 15);
        g->ov[i] = (bs_step_override){.duration = dur, .remaining = -1, .snet = BS_DAY_NONE, .fnlt = BS_DAY_NONE};
        int32_t pred = -1;
        if (i >= 1) {
            uint64_t r = sm_next(&s);
            uint64_t span = (uint64_t)(i - 1 < 3 ? i - 1 : 3);
            if (i >= 3 && !ms && r % 4 == 0)
                pred = i - 2 - (int32_t)(sm_next(&s) % span);
            else
                pred = i - 1;
            r = sm_next(&s);
            int32_t lag = r % 4 == 0 ? 1 + (int32_t)(sm_next(&s) % 5) : 0;
            add_link(g, pred, i, BS_LINK_FS, lag);
            has_succ[pred] = true;
        }
        if (i >= 3 && !ms) {
            uint64_t r = sm_next(&s);
            if (r % 3 == 0) {
                uint64_t span = (uint64_t)(i - 1 < 3 ? i - 1 : 3);
                int32_t j = i - 2 - (int32_t)(sm_next(&s) % span);
                bs_link_type kind = sm_next(&s) % 2 == 0 ? BS_LINK_SS : BS_LINK_FS;
                int32_t lag = (int32_t)(sm_next(&s) % 3);
                if (j != pred) {
                    add_link(g, j, i, kind, lag);
                    has_succ[j] = true;
                }
            }
        }
        if (ms && i > 0) {
            int prev = i == 13 ? 0 : i == 26 ? 13 : 26;
            for (int k = prev; k < i; k++)
                if (!has_succ[k] && k != pred) {
                    add_link(g, k, i, BS_LINK_FS, 0);
                    has_succ[k] = true;
                }
        }
    }
    g->ov[0].snet = bs_date_from_ymd(2026, 1, 5) + 7 * (bs_day)(p % 13);
}

/* The 40-step schema all projects share: working-day steps, milestones 0, 13, 26, 39. */
typedef struct base_schema {
    bs_schema sch;
    bs_step steps[STEPS];
    int32_t topo[STEPS];
    char keys[STEPS][8];
} base_schema;

static void base_schema_init(base_schema *b) {
    memset(b, 0, sizeof *b);
    for (int i = 0; i < STEPS; i++) {
        snprintf(b->keys[i], sizeof b->keys[i], "s%02d", i);
        b->steps[i].key = b->steps[i].name = b->keys[i];
        b->steps[i].milestone = is_milestone(i);
        b->steps[i].duration = is_milestone(i) ? 0 : 1;
        b->steps[i].unit = BS_UNIT_WORKING_DAYS;
        b->topo[i] = i;
    }
    b->sch.key = b->sch.name = "dag_gen";
    b->sch.steps = b->steps;
    b->sch.n_steps = STEPS;
    b->sch.topo = b->topo;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Schedules every project once; the schedules of the last pass stay in the workspace's
 * result of each call, so the dump recomputes (outside the timed part). With hash (an untimed
 * pass), counts the critical paths and hashes them (every step index of every path, in
 * order); the timed passes only add each project's finish, a float and its number of paths to
 * the checksum. -1 on failure. */
static long paths, path_steps;
static unsigned long long path_hash;

static int schedule_all(bs_schedule_input *in, bs_schedule_ws *ws, const flat *pr, long n, long long *cs, bool hash) {
    for (long p = 0; p < n; p++) {
        in->overrides = pr->ov + p * STEPS;
        in->links = pr->links + pr->link_off[p];
        in->n_links = (int32_t)(pr->link_off[p + 1] - pr->link_off[p]);
        bs_schedule out;
        if (bs_schedule_compute_ws(in, ws, &out) != BS_SCHEDULE_OK) return -1;
        *cs += out.steps[STEPS - 1].early_finish + out.steps[STEPS / 2].total_float + out.n_paths;
        if (!hash) continue;
        paths += out.n_paths;
        path_steps += out.path_offsets[out.n_paths];
        for (int32_t k = 0; k < out.path_offsets[out.n_paths]; k++)
            path_hash = path_hash * 31 + (unsigned)out.path_steps[k];
        for (int32_t k = 0; k <= out.n_paths; k++) path_hash = path_hash * 37 + (unsigned)out.path_offsets[k];
    }
    return 0;
}

static int dump(const char *path, bs_schedule_input *in, bs_schedule_ws *ws, const flat *pr, long n) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    for (long p = 0; p < n; p++) {
        in->overrides = pr->ov + p * STEPS;
        in->links = pr->links + pr->link_off[p];
        in->n_links = (int32_t)(pr->link_off[p + 1] - pr->link_off[p]);
        bs_schedule out;
        if (bs_schedule_compute_ws(in, ws, &out) != BS_SCHEDULE_OK) return fclose(f), -1;
        for (int i = 0; i < STEPS; i++) {
            const bs_step_result *r = &out.steps[i];
            char a[11], b[11];
            bs_date_format(bs_calendar_wd_date(in->cal, r->es_b), a);
            if (is_milestone(i))
                strcpy(b, "-");
            else
                bs_date_format(r->early_finish, b);
            fprintf(f, "%ld,%d,%s,%s,%d\n", p, i, a, b, r->total_float);
        }
    }
    return fclose(f);
}

int main(int argc, char **argv) {
    int warmup = 0;
    if (argc > 1 && strncmp(argv[1], "--warmup=", 9) == 0) {
        warmup = atoi(argv[1] + 9);
        argv++;
        argc--;
    }
    long n = argc > 1 ? atol(argv[1]) : 1000;
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    if (n <= 0 || runs <= 0 || runs > 100 || warmup < 0 || warmup > 100) {
        fprintf(stderr, "usage: bench_cpm [--warmup=W] N [RUNS [DUMP]]\n");
        return 2;
    }
    base_schema base;
    base_schema_init(&base);
    bs_calendar cal;
    bs_calendar_options o = {.goede_vrijdag = false, .bevrijdingsdag = BS_BEVRIJDINGSDAG_YEARLY};
    if (bs_calendar_init(&cal, &o, 2025, 2032) != 0) return 1;
    bs_progress prog[STEPS];
    for (int i = 0; i < STEPS; i++) prog[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    flat fl = {.ov = malloc(sizeof *fl.ov * (size_t)n * STEPS),
               .links = malloc(sizeof *fl.links * (size_t)n * MAX_LINKS),
               .link_off = malloc(sizeof *fl.link_off * ((size_t)n + 1))};
    if (!fl.ov || !fl.links || !fl.link_off) return 1;
    long links = 0;
    fl.link_off[0] = 0;
    for (long p = 0; p < n; p++) {
        project g;
        gen_project(&g, (uint64_t)p);
        memcpy(fl.ov + p * STEPS, g.ov, sizeof g.ov);
        memcpy(fl.links + links, g.links, sizeof *g.links * (size_t)g.n_links);
        links += g.n_links;
        fl.link_off[p + 1] = links;
    }
    const flat *pr = &fl;
    bs_day dd = bs_date_from_ymd(2026, 1, 5);
    bs_schedule_input in = {.schema = &base.sch,
                            .progress = prog,
                            .progress_date = BS_DAY_NONE,
                            .data_date = dd,
                            .cal = &cal,
                            .near_critical_wd = -1};
    bs_schedule_ws ws;
    bs_schedule_ws_init(&ws);
    double t[100], tc[100];
    long long cs = 0;
    for (int r = 0; r < warmup; r++) /* untimed: the first pass's page faults and cold caches */
        if (schedule_all(&in, &ws, pr, n, &cs, false) != 0) return 1;
    cs = 0;
    for (int r = 0; r < runs; r++) {
        double c0 = cpu_s(), t0 = now_s();
        if (schedule_all(&in, &ws, pr, n, &cs, false) != 0) {
            fprintf(stderr, "bench_cpm: a schedule failed\n");
            return 1;
        }
        t[r] = now_s() - t0;
        tc[r] = cpu_s() - c0;
    }
    printf("times (s, in run order):");
    for (int r = 0; r < runs; r++) printf(" %.6f", t[r]);
    printf("\ncpu times (s, in run order):");
    for (int r = 0; r < runs; r++) printf(" %.6f", tc[r]);
    printf("\n");
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    qsort(tc, (size_t)runs, sizeof tc[0], cmp_double);
    long long cs_untimed = 0;
    if (schedule_all(&in, &ws, pr, n, &cs_untimed, true) != 0) return 1;
    printf("critical paths per project: %.2f, %.1f steps each (hash %llx)\n", (double)paths / (double)n,
           (double)path_steps / (double)(paths ? paths : 1), path_hash);
    printf("RESULT bench_cpm: tasks=%ld links=%ld min=%.6fs median=%.6fs cpu_min=%.6fs cpu_median=%.6fs runs=%d "
           "warmup=%d ns_per_task=%.1f cpu_ns_per_task=%.1f checksum=%lld\n",
           n * STEPS, links, t[0], t[runs / 2], tc[0], tc[runs / 2], runs, warmup,
           t[runs / 2] / (double)(n * STEPS) * 1e9, tc[runs / 2] / (double)(n * STEPS) * 1e9, cs);
    int rc = 0;
    if (argc > 3 && dump(argv[3], &in, &ws, pr, n) != 0) {
        fprintf(stderr, "bench_cpm: cannot write %s\n", argv[3]);
        rc = 1;
    }
    bs_schedule_ws_free(&ws);
    free(fl.ov);
    free(fl.links);
    free(fl.link_off);
    bs_calendar_free(&cal);
    return rc;
}
