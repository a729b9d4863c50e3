/*
 * Differential test of the common-case pass of the scheduler (docs/scheduling.md §6.1): every
 * schedule is computed twice, by the common-case pass (chosen automatically) and by the
 * general pass (bs_schedule_input.general_pass), and the two results must be identical field
 * by field: dates, boundaries, total and free float, critical and near-critical flags, the
 * project finish, the critical paths (same steps, same order) and the return code.
 *
 * The graphs are random (the engine's own rng, fixed seeds): 1–60 steps, milestones and steps
 * of duration 0, FS/SS/FF/SF links with working-day lags from −6 to +8 (leads included), several
 * sources and sinks, a random topological order (step indexes are permuted, so the index order
 * is not a topological order; every third graph in index order, which takes a shortcut), start-no-earlier-than dates on weekends and holidays, data dates
 * around Easter, Christmas and the calendar's edges (where the range errors are), and random
 * near-critical thresholds. Then each graph is changed in one way that leaves the common case
 * (a started, realised or skipped step, a calendar-day lag or step, a statutory step, a
 * deadline): bs_schedule_common_case must say no, the general pass must compute it, and the
 * forced and automatic results must still agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "rng.h"
#include "schedule.h"
#include "schema.h"

#define MAX_STEPS 60
#define MAX_LINKS 240

typedef struct graph {
    bs_schema sch;
    bs_step steps[MAX_STEPS];
    bs_link links[MAX_LINKS];
    bs_progress progress[MAX_STEPS];
    bs_step_override ov[MAX_STEPS];
    char keys[MAX_STEPS][16];
    int32_t n_links;
    bs_day data_date;
    int32_t near_critical_wd;
} graph;

static uint32_t below(bs_rng *r, uint32_t n) {
    return (uint32_t)(bs_rng_next(r) % n);
}

/* A random graph of the common case. Links run from an earlier to a later position of a
 * random permutation of the steps (acyclic, but not in index order). */
static void gen_graph(graph *g, bs_rng *r, const bs_calendar *cal, int round) {
    memset(g, 0, sizeof *g);
    int32_t n = 1 + (int32_t)below(r, MAX_STEPS);
    int32_t perm[MAX_STEPS];
    for (int32_t i = 0; i < n; i++) perm[i] = i;
    /* every third graph in index order (then the scheduler skips Kahn's order) */
    for (int32_t i = n - 1; i > 0 && round % 3 != 0; i--) {
        int32_t j = (int32_t)below(r, (uint32_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int32_t i = 0; i < n; i++) {
        bs_step *s = &g->steps[i];
        snprintf(g->keys[i], sizeof g->keys[i], "s%d", i);
        s->key = s->name = g->keys[i];
        s->unit = BS_UNIT_WORKING_DAYS;
        uint32_t k = below(r, 10);
        s->milestone = k < 2;
        s->duration = s->milestone ? 0 : 1 + (int32_t)below(r, 20);
        if (k == 9 && !s->milestone) s->unit = BS_UNIT_CALENDAR_DAYS; /* a milestone's unit */
        g->progress[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
        g->ov[i] = (bs_step_override){.duration = -1, .remaining = -1, .snet = BS_DAY_NONE, .fnlt = BS_DAY_NONE};
    }
    /* a step counted in calendar days qualifies only as a zero-duration step (override 0) */
    for (int32_t i = 0; i < n; i++)
        if (g->steps[i].unit == BS_UNIT_CALENDAR_DAYS || below(r, 12) == 0) g->ov[i].duration = 0;
    static const bs_day base_days[] = {0, 180, 360, 450, 700, 1090};
    const bs_day base = cal->first_day + base_days[round % 6];
    for (int32_t i = 0; i < n; i++) {
        if (below(r, 6) == 0) g->ov[i].snet = base + (bs_day)below(r, 40);
        if (below(r, 8) == 0 && !g->steps[i].milestone && g->steps[i].unit == BS_UNIT_WORKING_DAYS)
            g->ov[i].duration = 1 + (int32_t)below(r, 30);
    }
    int32_t density = 2 + (int32_t)below(r, 6);
    for (int32_t a = 0; a < n; a++)
        for (int32_t b = a + 1; b < n && g->n_links < MAX_LINKS; b++) {
            if (below(r, 100) >= (uint32_t)(b - a == 1 ? 40 : density)) continue;
            int32_t lag = below(r, 3) == 0 ? (int32_t)below(r, 15) - 6 : 0;
            g->links[g->n_links++] = (bs_link){perm[a], perm[b], (bs_link_type)below(r, 4), lag, BS_UNIT_WORKING_DAYS};
            if (below(r, 20) == 0 && g->n_links < MAX_LINKS) /* the same pair linked twice */
                g->links[g->n_links++] =
                    (bs_link){perm[a], perm[b], (bs_link_type)below(r, 4), (int32_t)below(r, 5), BS_UNIT_WORKING_DAYS};
        }
    g->sch.key = g->sch.name = "random";
    g->sch.steps = g->steps;
    g->sch.n_steps = n;
    g->data_date = base + (bs_day)below(r, 30);
    g->near_critical_wd = below(r, 4) == 0 ? -1 : (int32_t)below(r, 15);
}

static bs_schedule_input input_of(const graph *g, const bs_calendar *cal, bool general) {
    return (bs_schedule_input){.schema = &g->sch,
                               .progress = g->progress,
                               .overrides = g->ov,
                               .links = g->links,
                               .n_links = g->n_links,
                               .progress_date = BS_DAY_NONE,
                               .data_date = g->data_date,
                               .cal = cal,
                               .near_critical_wd = g->near_critical_wd,
                               .general_pass = general};
}

#define SAME(field)                                                                                                    \
    do {                                                                                                               \
        if (a->field != b->field)                                                                                      \
            fail_msg("round %d step %d: %s differs: common %ld, general %ld", round, i, #field, (long)a->field,        \
                     (long)b->field);                                                                                  \
    } while (0)

/* Asserts that two schedules are identical, field by field. */
static void assert_same(const bs_schedule *x, const bs_schedule *y, int round) {
    assert_int_equal(x->n_steps, y->n_steps);
    for (int32_t i = 0; i < x->n_steps; i++) {
        const bs_step_result *a = &x->steps[i], *b = &y->steps[i];
        SAME(early_start);
        SAME(early_finish);
        SAME(late_start);
        SAME(late_finish);
        SAME(total_float);
        SAME(critical);
        SAME(out_of_sequence);
        SAME(es_b);
        SAME(ef_b);
        SAME(ls_b);
        SAME(lf_b);
        SAME(free_float);
        SAME(near_critical);
        SAME(deadline_missed);
    }
    assert_int_equal(x->progress_date, y->progress_date);
    assert_int_equal(x->data_date, y->data_date);
    assert_int_equal(x->project_finish, y->project_finish);
    assert_int_equal(x->n_out_of_sequence, y->n_out_of_sequence);
    assert_int_equal(x->near_critical_wd, y->near_critical_wd);
    assert_int_equal(x->n_knelpunten, y->n_knelpunten);
    assert_int_equal(x->n_paths, y->n_paths);
    for (int32_t p = 0; p <= x->n_paths; p++) assert_int_equal(x->path_offsets[p], y->path_offsets[p]);
    for (int32_t k = 0; k < (x->n_paths ? x->path_offsets[x->n_paths] : 0); k++)
        assert_int_equal(x->path_steps[k], y->path_steps[k]);
}

typedef struct tally {
    int common, general, range_errors, paths;
} tally;

/* Schedules g both ways (two workspaces) and compares; counts which pass computed it. */
static void differential(const graph *g, const bs_calendar *cal, bs_schedule_ws *w1, bs_schedule_ws *w2, int round,
                         tally *t) {
    bs_schedule_input auto_in = input_of(g, cal, false), gen_in = input_of(g, cal, true);
    bs_schedule x, y;
    bs_schedule_err ex = bs_schedule_compute_ws(&auto_in, w1, &x);
    bs_schedule_err ey = bs_schedule_compute_ws(&gen_in, w2, &y);
    if (ex != ey)
        fail_msg("round %d: common %s, general %s", round, bs_schedule_strerror(ex), bs_schedule_strerror(ey));
    assert_false(y.common_pass);
    if (ex != BS_SCHEDULE_OK) {
        t->range_errors += ex == BS_SCHEDULE_ERANGE;
        return;
    }
    assert_same(&x, &y, round);
    if (x.common_pass)
        t->common++;
    else
        t->general++;
    t->paths += x.n_paths;
}

/* Random qualifying graphs: every one must go the common way (unless a date falls outside the
 * calendar: then both passes must report the same error) and match the general pass. */
static void test_common_matches_general(void **state) {
    const bs_calendar *cal = *state;
    bs_rng r;
    bs_rng_seed(&r, 20261207);
    bs_schedule_ws w1, w2;
    bs_schedule_ws_init(&w1);
    bs_schedule_ws_init(&w2);
    graph *g = malloc(sizeof *g);
    assert_non_null(g);
    tally t = {0};
    for (int round = 0; round < 6000; round++) {
        gen_graph(g, &r, cal, round);
        bs_schedule_input in = input_of(g, cal, false);
        assert_true(bs_schedule_common_case(&in));
        differential(g, cal, &w1, &w2, round, &t);
    }
    /* the common pass computed nearly all of them: it gives up only at the calendar's edges */
    print_message("common pass %d, general (range) %d, errors %d, critical paths %d\n", t.common, t.general,
                  t.range_errors, t.paths);
    assert_true(t.common > 4500);
    assert_true(t.paths > t.common);
    assert_true(t.range_errors > 0); /* the edges were reached */
    free(g);
    bs_schedule_ws_free(&w1);
    bs_schedule_ws_free(&w2);
}

/* One change that leaves the common case. */
static void disqualify(graph *g, bs_rng *r, int kind) {
    int32_t n = g->sch.n_steps, i = (int32_t)below(r, (uint32_t)n);
    switch (kind) {
    case 0:
        g->progress[i].status = BS_STATUS_STARTED;
        g->progress[i].actual_start = g->data_date - 3;
        break;
    case 1:
        g->progress[i].status = BS_STATUS_DONE;
        g->progress[i].actual_start = g->data_date - 10;
        g->progress[i].actual_finish = g->data_date - 2;
        break;
    case 2: g->progress[i].status = BS_STATUS_SKIPPED; break;
    case 3:
        if (g->n_links == 0) {
            g->progress[i].status = BS_STATUS_SKIPPED;
            break;
        }
        g->links[below(r, (uint32_t)g->n_links)].lag_unit = BS_UNIT_CALENDAR_DAYS;
        break;
    case 4:
        g->steps[i].milestone = false;
        g->steps[i].unit = BS_UNIT_CALENDAR_DAYS;
        g->steps[i].duration = 1 + (int32_t)below(r, 20);
        g->ov[i].duration = -1;
        break;
    case 5:
        g->steps[i].milestone = false;
        g->steps[i].unit = BS_UNIT_CALENDAR_DAYS;
        g->steps[i].statutory = true;
        g->steps[i].duration = 42;
        g->ov[i].duration = -1;
        break;
    default: g->ov[i].fnlt = g->data_date + (bs_day)below(r, 60); break;
    }
}

static void test_other_inputs_go_the_general_way(void **state) {
    const bs_calendar *cal = *state;
    bs_rng r;
    bs_rng_seed(&r, 17);
    bs_schedule_ws w1, w2;
    bs_schedule_ws_init(&w1);
    bs_schedule_ws_init(&w2);
    graph *g = malloc(sizeof *g);
    assert_non_null(g);
    tally t = {0};
    for (int round = 0; round < 1400; round++) {
        gen_graph(g, &r, cal, 1 + round % 4); /* away from the calendar's edges */
        disqualify(g, &r, round % 7);
        bs_schedule_input in = input_of(g, cal, false);
        assert_false(bs_schedule_common_case(&in));
        differential(g, cal, &w1, &w2, round, &t);
    }
    assert_int_equal(t.common, 0);
    assert_true(t.general > 1000);
    free(g);
    bs_schedule_ws_free(&w1);
    bs_schedule_ws_free(&w2);
}

/* bs_schedule_compute_ex (its own workspace) takes the common pass too, with the same result. */
static void test_compute_ex(void **state) {
    const bs_calendar *cal = *state;
    bs_rng r;
    bs_rng_seed(&r, 5);
    graph *g = malloc(sizeof *g);
    assert_non_null(g);
    int common = 0;
    for (int round = 0; round < 200; round++) {
        gen_graph(g, &r, cal, 2);
        bs_schedule_input a = input_of(g, cal, false), b = input_of(g, cal, true);
        bs_schedule x, y;
        assert_int_equal(bs_schedule_compute_ex(&a, &x), bs_schedule_compute_ex(&b, &y));
        if (x.n_steps) assert_same(&x, &y, round);
        common += x.common_pass;
        bs_schedule_free(&x);
        bs_schedule_free(&y);
    }
    assert_true(common > 150);
    free(g);
}

static int setup_cal(void **state) {
    bs_calendar *cal = calloc(1, sizeof *cal);
    if (!cal) return -1;
    bs_calendar_options o = bs_calendar_default_options();
    if (bs_calendar_init(cal, &o, 2025, 2027) != 0) {
        free(cal);
        return -1;
    }
    *state = cal;
    return 0;
}

static int teardown_cal(void **state) {
    bs_calendar_free(*state);
    free(*state);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_matches_general),
        cmocka_unit_test(test_other_inputs_go_the_general_way),
        cmocka_unit_test(test_compute_ex),
    };
    return cmocka_run_group_tests(tests, setup_cal, teardown_cal);
}
