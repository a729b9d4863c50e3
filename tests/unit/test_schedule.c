/*
 * Unit tests for engine/core/schedule.c: hand-computed schedules (the reasoning is in
 * the comment of each test) and randomised invariants.
 *
 * Calendar: 2024–2030, default options (Goede Vrijdag is worked, 5 May off in lustrum
 * years only). Dates used below, 2026: Thu 1 Jan Nieuwjaarsdag; Easter Sun 5 April, so
 * Fri 3 April (Goede Vrijdag) is a working day and Mon 6 April (2e Paasdag) is not;
 * Mon 27 April Koningsdag; Tue 5 May is a working day; Thu 14 May Hemelvaartsdag;
 * Mon 25 May 2e Pinksterdag. June 2026 has no holidays.
 *
 * Schemas are built directly as bs_schema structs (no JSON loader): see mk_schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendar.h"
#include "schedule.h"
#include "schema.h"

/* ---- helpers ---- */

#define WD BS_UNIT_WORKING_DAYS
#define CD BS_UNIT_CALENDAR_DAYS

typedef struct tstep {
    const char *key;
    int32_t duration; /* 0 = milestone */
    bs_unit unit;
    bool statutory;
} tstep;

typedef struct tlink {
    const char *pred, *succ;
    int32_t lag;
    bs_unit lag_unit;
    bs_link_type type;
} tlink;

#define STEP(k, d)                                                                                                     \
    { (k), (d), WD, false }
#define MS(k)                                                                                                          \
    { (k), 0, WD, false }
#define CSTEP(k, d, stat)                                                                                              \
    { (k), (d), CD, (stat) }
#define FS(a, b, lag)                                                                                                  \
    { (a), (b), (lag), WD, BS_LINK_FS }
#define FSC(a, b, lag)                                                                                                 \
    { (a), (b), (lag), CD, BS_LINK_FS }

static char *xstrdup(const char *s) {
    char *d = malloc(strlen(s) + 1);
    assert_non_null(d);
    return strcpy(d, s);
}

static int32_t find_step(const bs_schema *s, const char *key) {
    for (int32_t i = 0; i < s->n_steps; i++)
        if (strcmp(s->steps[i].key, key) == 0) return i;
    fail_msg("no step %s", key);
    return -1;
}

/* Fills a bs_schema: steps, links, each step's preds/succs (link indexes) and a
 * topological order (Kahn, lowest index first). Fails the test on a cycle. */
static bs_schema *mk_schema(const tstep *steps, int32_t n, const tlink *links, int32_t m) {
    bs_schema *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->key = xstrdup("test");
    s->name = xstrdup("test schema");
    s->version = 1;
    s->n_steps = n;
    s->steps = calloc((size_t)n + 1, sizeof *s->steps);
    s->n_links = m;
    s->links = calloc((size_t)m + 1, sizeof *s->links);
    s->topo = calloc((size_t)n + 1, sizeof *s->topo);
    assert_true(s->steps && s->links && s->topo);
    for (int32_t i = 0; i < n; i++) {
        bs_step *st = &s->steps[i];
        st->key = xstrdup(steps[i].key);
        st->name = xstrdup(steps[i].key);
        st->duration = steps[i].duration;
        st->milestone = steps[i].duration == 0;
        st->unit = steps[i].unit;
        st->statutory = steps[i].statutory;
        st->preds = calloc((size_t)m + 1, sizeof *st->preds);
        st->succs = calloc((size_t)m + 1, sizeof *st->succs);
        assert_true(st->preds && st->succs);
    }
    for (int32_t l = 0; l < m; l++) {
        bs_link *k = &s->links[l];
        k->pred = find_step(s, links[l].pred);
        k->succ = find_step(s, links[l].succ);
        k->type = links[l].type;
        k->lag = links[l].lag;
        k->lag_unit = links[l].lag_unit;
        s->steps[k->succ].preds[s->steps[k->succ].n_preds++] = l;
        s->steps[k->pred].succs[s->steps[k->pred].n_succs++] = l;
    }
    int32_t *indeg = calloc((size_t)n + 1, sizeof *indeg);
    assert_non_null(indeg);
    for (int32_t i = 0; i < n; i++) indeg[i] = s->steps[i].n_preds;
    int32_t head = 0, tail = 0;
    for (int32_t i = 0; i < n; i++)
        if (indeg[i] == 0) s->topo[tail++] = i;
    while (head < tail) {
        const bs_step *st = &s->steps[s->topo[head++]];
        for (int32_t j = 0; j < st->n_succs; j++) {
            int32_t q = s->links[st->succs[j]].succ;
            if (--indeg[q] == 0) s->topo[tail++] = q;
        }
    }
    free(indeg);
    assert_int_equal(tail, n); /* acyclic */
    return s;
}

static void free_schema(bs_schema *s) {
    if (!s) return;
    for (int32_t i = 0; i < s->n_steps; i++) {
        free(s->steps[i].key);
        free(s->steps[i].name);
        free(s->steps[i].preds);
        free(s->steps[i].succs);
    }
    free(s->steps);
    free(s->links);
    free(s->topo);
    free(s->key);
    free(s->name);
    free(s);
}

static bs_progress *open_progress(int32_t n) {
    bs_progress *p = calloc((size_t)n + 1, sizeof *p);
    assert_non_null(p);
    for (int32_t i = 0; i < n; i++) {
        p[i].status = BS_STATUS_OPEN;
        p[i].actual_start = p[i].actual_finish = BS_DAY_NONE;
    }
    return p;
}

static bs_day D(const char *s) {
    bs_day d = 0;
    if (bs_date_parse(s, &d) != 0) fail_msg("test date does not parse: %s", s);
    return d;
}

static const char *fmt(bs_day d, char buf[static 11]) {
    if (d == BS_DAY_NONE) return strcpy(buf, "none");
    return bs_date_format(d, buf);
}

/* Asserts a result date ("none" for BS_DAY_NONE), printing both sides. */
#define assert_date(day, expected)                                                                                     \
    do {                                                                                                               \
        char buf_[11];                                                                                                 \
        fmt((day), buf_);                                                                                              \
        if (strcmp(buf_, (expected)) != 0) fail_msg("%s: got %s, expected %s", #day, buf_, (expected));                \
    } while (0)

/* A test case: calendar (from the group state), schema, progress, schedule. */
typedef struct tcase {
    const bs_calendar *cal;
    bs_schema *schema;
    bs_progress *progress;
    bs_schedule out;
} tcase;

static void tc_init(tcase *t, void **state, const tstep *steps, int32_t n, const tlink *links, int32_t m) {
    t->cal = *state;
    t->schema = mk_schema(steps, n, links, m);
    t->progress = open_progress(n);
    memset(&t->out, 0, sizeof t->out);
}

static void tc_run(tcase *t, const char *data_date) {
    bs_schedule_err e = bs_schedule_compute(t->schema, t->progress, D(data_date), t->cal, &t->out);
    if (e != BS_SCHEDULE_OK) fail_msg("bs_schedule_compute: %s", bs_schedule_strerror(e));
    assert_int_equal(t->out.n_steps, t->schema->n_steps);
    assert_non_null(t->out.steps);
}

static void tc_free(tcase *t) {
    bs_schedule_free(&t->out);
    free(t->progress);
    free_schema(t->schema);
}

static const bs_step_result *R(const tcase *t, const char *key) {
    return &t->out.steps[find_step(t->schema, key)];
}

static bs_progress *P(tcase *t, const char *key) {
    return &t->progress[find_step(t->schema, key)];
}

/* Early and late dates of a step plus its float and critical flag. */
static void check(const tcase *t, const char *key, const char *es, const char *ef, const char *ls, const char *lf,
                  int32_t tf, bool critical) {
    const bs_step_result *r = R(t, key);
    char a[11], b[11], c[11], d[11];
    fmt(r->early_start, a);
    fmt(r->early_finish, b);
    fmt(r->late_start, c);
    fmt(r->late_finish, d);
    if (strcmp(a, es) || strcmp(b, ef) || strcmp(c, ls) || strcmp(d, lf) || r->total_float != tf ||
        r->critical != critical)
        fail_msg("%s: got ES %s EF %s LS %s LF %s float %d critical %d; expected "
                 "ES %s EF %s LS %s LF %s float %d critical %d",
                 key, a, b, c, d, r->total_float, r->critical, es, ef, ls, lf, tf, critical);
}

#define N(a) ((int32_t)(sizeof(a) / sizeof((a)[0])))

static int setup_cal(void **state) {
    bs_calendar *cal = calloc(1, sizeof *cal);
    if (!cal) return -1;
    bs_calendar_options o = bs_calendar_default_options();
    if (bs_calendar_init(cal, &o, 2024, 2030) != 0) {
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

/* ---- hand-computed schedules ---- */

/* Chain with lags. Data date Mon 2 March 2026.
 *   A 5 wd: Mon 2 – Fri 6 March.
 *   A -FS +2 wd-> B: Mon 9 and Tue 10 are the lag; B 3 wd: Wed 11 – Fri 13 March.
 *   B -FS 0-> C 2 wd: the next working day, Mon 16 – Tue 17 March.
 *   C -FS +8 cd-> D: Tue 17 + 8 = Wed 25 March; D starts on the first working day after
 *   that, Thu 26 March; 5 wd: 26, 27, 30, 31 March, 1 April.
 * One path: everything critical with zero float; project finish Wed 1 April.
 *
 * Variant with C -FS +10 cd-> D: Tue 17 + 10 = Fri 27 March, D Mon 30 March – Fri 3 April
 * (Goede Vrijdag is worked). Now C may finish up to Thu 19 March (+10 = Sun 29, D still
 * starts Mon 30): the weekend absorbs two days, so A, B and C get float 2 and only D is
 * critical: C LS Wed 18, B LS Fri 13 (13, 16, 17 March), A must finish 2 wd before that,
 * LF Tue 10, LS Wed 4 March. */
static void test_chain_with_lags(void **state) {
    const tstep steps[] = {STEP("a", 5), STEP("b", 3), STEP("c", 2), STEP("d", 5)};
    const tlink links[] = {FS("a", "b", 2), FS("b", "c", 0), FSC("c", "d", 8)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-03-02");
    check(&t, "a", "2026-03-02", "2026-03-06", "2026-03-02", "2026-03-06", 0, true);
    check(&t, "b", "2026-03-11", "2026-03-13", "2026-03-11", "2026-03-13", 0, true);
    check(&t, "c", "2026-03-16", "2026-03-17", "2026-03-16", "2026-03-17", 0, true);
    check(&t, "d", "2026-03-26", "2026-04-01", "2026-03-26", "2026-04-01", 0, true);
    /* Index model: A occupies working days k … k+4 and finishes at boundary k+5. */
    const bs_step_result *a = R(&t, "a"), *b = R(&t, "b");
    assert_int_equal(a->es_b, bs_calendar_boundary_before(t.cal, D("2026-03-02")));
    assert_int_equal(a->ef_b, a->es_b + 5);
    assert_int_equal(b->es_b, a->ef_b + 2);
    assert_date(t.out.project_finish, "2026-04-01");
    assert_int_equal(t.out.n_out_of_sequence, 0);
    tc_free(&t);

    const tlink links10[] = {FS("a", "b", 2), FS("b", "c", 0), FSC("c", "d", 10)};
    tc_init(&t, state, steps, N(steps), links10, N(links10));
    tc_run(&t, "2026-03-02");
    check(&t, "a", "2026-03-02", "2026-03-06", "2026-03-04", "2026-03-10", 2, false);
    check(&t, "b", "2026-03-11", "2026-03-13", "2026-03-13", "2026-03-17", 2, false);
    check(&t, "c", "2026-03-16", "2026-03-17", "2026-03-18", "2026-03-19", 2, false);
    check(&t, "d", "2026-03-30", "2026-04-03", "2026-03-30", "2026-04-03", 0, true);
    assert_date(t.out.project_finish, "2026-04-03");
    tc_free(&t);
}

/* Parallel branches. Data date Mon 1 June 2026.
 *   S start milestone: no predecessors, so the start of Mon 1 June (displayed 1 June).
 *   S -> A 10 wd: Mon 1 – Fri 12 June.   S -> B 4 wd: Mon 1 – Thu 4 June.
 *   B -> MB milestone: end of Thu 4 June (displayed 4 June).
 *   A -> E, MB -> E; E 2 wd: Mon 15 – Tue 16 June. Project finish Tue 16 June.
 * Backward: E LS Mon 15. A LF = end of Fri 12 → LS Mon 1: float 0, critical.
 * MB must be reached by the end of Fri 12 June (boundary Mon 15): float = working days
 * from Fri 5 (its early boundary) to Mon 15 = 6; its late date is Fri 12 June.
 * B LF Fri 12, LS Tue 9 June (9, 10, 11, 12): float 6 (1–5 and 8 June), not critical. */
static void test_parallel_float(void **state) {
    const tstep steps[] = {MS("s"), STEP("a", 10), STEP("b", 4), MS("mb"), STEP("e", 2)};
    const tlink links[] = {FS("s", "a", 0), FS("s", "b", 0), FS("b", "mb", 0), FS("a", "e", 0), FS("mb", "e", 0)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-06-01");
    check(&t, "s", "2026-06-01", "2026-06-01", "2026-06-01", "2026-06-01", 0, true);
    check(&t, "a", "2026-06-01", "2026-06-12", "2026-06-01", "2026-06-12", 0, true);
    check(&t, "b", "2026-06-01", "2026-06-04", "2026-06-09", "2026-06-12", 6, false);
    check(&t, "mb", "2026-06-04", "2026-06-04", "2026-06-12", "2026-06-12", 6, false);
    check(&t, "e", "2026-06-15", "2026-06-16", "2026-06-15", "2026-06-16", 0, true);
    assert_date(t.out.project_finish, "2026-06-16");
    const bs_step_result *b = R(&t, "b");
    assert_int_equal(b->total_float, b->ls_b - b->es_b);
    assert_int_equal(b->lf_b, b->ls_b + 4);
    tc_free(&t);
}

/* Two equal critical paths. Data date Mon 1 June 2026.
 *   S -> A 3 wd -> E and S -> B 3 wd -> E: A and B both Mon 1 – Wed 3 June; E 1 wd Thu 4.
 *   A third branch S -> C 1 wd -> E has float 2 (LS Wed 3 June).
 * A and B are both critical with zero float; C is not. */
static void test_two_critical_paths(void **state) {
    const tstep steps[] = {MS("s"), STEP("a", 3), STEP("b", 3), STEP("c", 1), STEP("e", 1)};
    const tlink links[] = {FS("s", "a", 0), FS("s", "b", 0), FS("s", "c", 0),
                           FS("a", "e", 0), FS("b", "e", 0), FS("c", "e", 0)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-06-01");
    check(&t, "a", "2026-06-01", "2026-06-03", "2026-06-01", "2026-06-03", 0, true);
    check(&t, "b", "2026-06-01", "2026-06-03", "2026-06-01", "2026-06-03", 0, true);
    check(&t, "c", "2026-06-01", "2026-06-01", "2026-06-03", "2026-06-03", 2, false);
    check(&t, "e", "2026-06-04", "2026-06-04", "2026-06-04", "2026-06-04", 0, true);
    tc_free(&t);
}

/* Milestones at the start and after predecessors. Data date Mon 5 January 2026.
 *   M0 start milestone: the start of Mon 5 January (displayed 5 January); its successor
 *   A (1 wd) starts that Monday: a 1-day step has start = finish = Mon 5 January.
 *   A -> M1: the end of Mon 5 January, displayed 5 January (boundary - 1).
 *   M1 -> B 2 wd: the first working day after that instant, Tue 6 – Wed 7 January.
 *   B -> M2 -> M3 (lag 0): the instant passes unchanged, both displayed Wed 7 January.
 *   M3 -> C (+1 wd): Thu 8 is the lag, C 1 wd Fri 9 January.
 * Boundaries: M0 at b0 (start of 5 Jan), A b0 … b0+1, M1 at b0+1. */
static void test_milestones_start_of_day(void **state) {
    const tstep steps[] = {MS("m0"), STEP("a", 1), MS("m1"), STEP("b", 2), MS("m2"), MS("m3"), STEP("c", 1)};
    const tlink links[] = {FS("m0", "a", 0), FS("a", "m1", 0),  FS("m1", "b", 0),
                           FS("b", "m2", 0), FS("m2", "m3", 0), FS("m3", "c", 1)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-01-05");
    check(&t, "m0", "2026-01-05", "2026-01-05", "2026-01-05", "2026-01-05", 0, true);
    check(&t, "a", "2026-01-05", "2026-01-05", "2026-01-05", "2026-01-05", 0, true);
    check(&t, "m1", "2026-01-05", "2026-01-05", "2026-01-05", "2026-01-05", 0, true);
    check(&t, "b", "2026-01-06", "2026-01-07", "2026-01-06", "2026-01-07", 0, true);
    check(&t, "m2", "2026-01-07", "2026-01-07", "2026-01-07", "2026-01-07", 0, true);
    check(&t, "m3", "2026-01-07", "2026-01-07", "2026-01-07", "2026-01-07", 0, true);
    check(&t, "c", "2026-01-09", "2026-01-09", "2026-01-09", "2026-01-09", 0, true);
    int32_t b0 = bs_calendar_boundary_before(t.cal, D("2026-01-05"));
    assert_int_equal(R(&t, "m0")->es_b, b0);
    assert_int_equal(R(&t, "m0")->ef_b, b0);
    assert_int_equal(R(&t, "a")->es_b, b0);
    assert_int_equal(R(&t, "a")->ef_b, b0 + 1);
    assert_int_equal(R(&t, "m1")->es_b, b0 + 1);
    assert_date(t.out.project_finish, "2026-01-09");
    tc_free(&t);

    /* Data date on Saturday 3 January: the start milestone is pinned at the start of the
     * first working day on or after it, Mon 5 January; same dates as above. */
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-01-03");
    check(&t, "m0", "2026-01-05", "2026-01-05", "2026-01-05", "2026-01-05", 0, true);
    check(&t, "a", "2026-01-05", "2026-01-05", "2026-01-05", "2026-01-05", 0, true);
    tc_free(&t);
}

/* The issue example and a milestone after a multi-day step. Data date Fri 27 March 2026.
 *   A 5 wd from Fri 27 March: 27, 30, 31 March, 1, 2 April: finish Thu 2 April.
 *   A -> M: the end of Thu 2 April, displayed 2 April.
 *   M -> B 1 wd: Fri 3 April (Goede Vrijdag, worked under the default options).
 *   A -> M2 (+1 wd) -> nothing: M2 after a working-day lag is the end of Fri 3 April.
 * M2 has no successors: its late boundary is the project finish (end of Fri 3 April). */
static void test_milestone_after_predecessor(void **state) {
    const tstep steps[] = {STEP("a", 5), MS("m"), STEP("b", 1), MS("m2")};
    const tlink links[] = {FS("a", "m", 0), FS("m", "b", 0), FS("a", "m2", 1)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-03-27");
    check(&t, "a", "2026-03-27", "2026-04-02", "2026-03-27", "2026-04-02", 0, true);
    check(&t, "m", "2026-04-02", "2026-04-02", "2026-04-02", "2026-04-02", 0, true);
    check(&t, "b", "2026-04-03", "2026-04-03", "2026-04-03", "2026-04-03", 0, true);
    check(&t, "m2", "2026-04-03", "2026-04-03", "2026-04-03", "2026-04-03", 0, true);
    assert_int_equal(R(&t, "a")->ef_b - R(&t, "a")->es_b, 5);
    assert_int_equal(R(&t, "m")->es_b, R(&t, "a")->ef_b);
    assert_date(t.out.project_finish, "2026-04-03");
    tc_free(&t);
}

/* Calendar-day steps and the Algemene termijnenwet. Data date Mon 2 March 2026.
 *   T1 statutory 33 cd from Mon 2 March: 2 March + 32 = Fri 3 April, Goede Vrijdag — an
 *      Atw holiday even though the organisation works it — then the weekend and 2e Paasdag:
 *      the term ends Tue 7 April.
 *   N  the same 33 cd, not statutory: ends Fri 3 April (a working day for the organisation).
 *   N2 34 cd, not statutory: ends Sat 4 April; its EF boundary is the end of that day, i.e.
 *      the start of Tue 7 April (next working day).
 *   P 10 wd: Mon 2 – Fri 13 March. P -> T2 statutory 42 cd (a 6-week ter inzage): from
 *      Mon 16 March, 16 March + 41 = Sun 26 April, then Mon 27 April is Koningsdag: the
 *      term ends Tue 28 April.
 *   N2 -> MN milestone: a milestone carries the finish date of what it follows: Sat 4
 *      April (its boundary is the start of Tue 7 April). MN -> F.
 *   F end milestone after T1, N, MN, T2: the end of Tue 28 April. Project finish 28 April.
 * Backward (F's late instant: start of Wed 29 April, so every finish must be <= 28 April):
 *   Total float is the smaller of start float and finish float (docs/scheduling.md
 *   §6): they differ for calendar-day steps whose start can slip into a weekend or an Atw
 *   roll without moving the finish.
 *   T1: the latest working-day start whose term ends by 28 April: Fri 27 March (+32 = Tue 28
 *       April, no roll): start float 19 (2 – 26 March); finish float: working days after
 *       Tue 7 April up to Tue 28 April without Koningsdag = 14. Float 14.
 *   N:  same late dates; finish float from Fri 3 April: 7 – 28 April without 27 = 15.
 *   MN: late boundary = start of Wed 29 April, shown as Tue 28 April (end of day); float =
 *       working days 7 – 28 April without Koningsdag = 15.
 *   N2: start Thu 26 March (+33 = Tue 28 April): start float 18, finish float 15 (its EF
 *       boundary is the start of Tue 7 April). Float 15.
 *   T2: starting Wed 18 March still ends Tue 28 April (+41, no roll): start float 2 but finish
 *       float 0, so T2, which drives the project finish, is critical (a regression check: an
 *       earlier scheduler showed float 2). P (LS Wed 4 March) keeps a real float of 2: it may
 *       finish on Tue 17 March and T2, starting Wed 18, still ends on 28 April. */
static void test_calendar_days_and_atw(void **state) {
    const tstep steps[] = {CSTEP("t1", 33, true),
                           CSTEP("n", 33, false),
                           CSTEP("n2", 34, false),
                           STEP("p", 10),
                           CSTEP("t2", 42, true),
                           MS("mn"),
                           MS("f")};
    const tlink links[] = {FS("p", "t2", 0),  FS("t1", "f", 0), FS("n", "f", 0),
                           FS("n2", "mn", 0), FS("mn", "f", 0), FS("t2", "f", 0)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-03-02");
    check(&t, "t1", "2026-03-02", "2026-04-07", "2026-03-27", "2026-04-28", 14, false);
    check(&t, "n", "2026-03-02", "2026-04-03", "2026-03-27", "2026-04-28", 15, false);
    check(&t, "n2", "2026-03-02", "2026-04-04", "2026-03-26", "2026-04-28", 15, false);
    check(&t, "mn", "2026-04-04", "2026-04-04", "2026-04-28", "2026-04-28", 15, false);
    check(&t, "p", "2026-03-02", "2026-03-13", "2026-03-04", "2026-03-17", 2, false);
    check(&t, "t2", "2026-03-16", "2026-04-28", "2026-03-18", "2026-04-28", 0, true);
    check(&t, "f", "2026-04-28", "2026-04-28", "2026-04-28", "2026-04-28", 0, true);
    assert_int_equal(R(&t, "t1")->ef_b, bs_calendar_boundary_after(t.cal, D("2026-04-07")));
    assert_int_equal(R(&t, "n2")->ef_b, bs_calendar_boundary_before(t.cal, D("2026-04-07")));
    assert_date(t.out.project_finish, "2026-04-28");
    tc_free(&t);
}

/* Backward pass of a statutory step that needs stepping. Data date Mon 2 March 2026.
 *   X 16 wd: Mon 2 – Mon 23 March. Project finish Mon 23 March.
 *   T statutory 5 cd: Mon 2 – Fri 6 March. T -> G 1 wd: Mon 9 March. X, G -> F milestone.
 * Backward: G LS Mon 23 March, so T must end by Sun 22 March. A start on Wed 18 March would
 * end Sun 22 → Atw Mon 23: too late; Tue 17 → Sat 21 → Mon 23: too late; Mon 16 → Fri 20:
 * fits. T: LS Mon 16, LF Fri 20 March, float 10. */
static void test_statutory_backward_stepping(void **state) {
    const tstep steps[] = {STEP("x", 16), CSTEP("t", 5, true), STEP("g", 1), MS("f")};
    const tlink links[] = {FS("t", "g", 0), FS("x", "f", 0), FS("g", "f", 0)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-03-02");
    check(&t, "x", "2026-03-02", "2026-03-23", "2026-03-02", "2026-03-23", 0, true);
    check(&t, "t", "2026-03-02", "2026-03-06", "2026-03-16", "2026-03-20", 10, false);
    check(&t, "g", "2026-03-09", "2026-03-09", "2026-03-23", "2026-03-23", 10, false);
    check(&t, "f", "2026-03-23", "2026-03-23", "2026-03-23", "2026-03-23", 0, true);
    tc_free(&t);
}

/* Negative lags (leads). Data date Mon 1 June 2026.
 *   A 10 wd: Mon 1 – Fri 12 June (EF boundary = start of Mon 15).
 *   A -FS -3 wd-> B: ES = that boundary - 3 = Wed 10 June; B 4 wd: Wed 10 – Mon 15 June.
 *   A -FS -7 cd-> C: Fri 12 - 7 = Fri 5 June; C starts the first working day after, Mon 8;
 *      C 2 wd: Mon 8 – Tue 9 June.
 *   A -FS -20 wd-> D: before the data date, so D starts Mon 1 June (1 wd).
 * Project finish Mon 15 June (B). Backward: B critical; A must finish 3 wd before B's LS
 * (Wed 10) → LF Fri 12: critical. C: LF Mon 15, LS Fri 12: float 4. D: LS Mon 15, float 10. */
static void test_negative_lag(void **state) {
    const tstep steps[] = {STEP("a", 10), STEP("b", 4), STEP("c", 2), STEP("d", 1)};
    const tlink links[] = {FS("a", "b", -3), FSC("a", "c", -7), FS("a", "d", -20)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    tc_run(&t, "2026-06-01");
    check(&t, "a", "2026-06-01", "2026-06-12", "2026-06-01", "2026-06-12", 0, true);
    check(&t, "b", "2026-06-10", "2026-06-15", "2026-06-10", "2026-06-15", 0, true);
    check(&t, "c", "2026-06-08", "2026-06-09", "2026-06-12", "2026-06-15", 4, false);
    check(&t, "d", "2026-06-01", "2026-06-01", "2026-06-15", "2026-06-15", 10, false);
    assert_int_equal(R(&t, "b")->es_b, R(&t, "a")->ef_b - 3);
    assert_date(t.out.project_finish, "2026-06-15");
    tc_free(&t);
}

/* Realised steps. Data date Wed 15 April 2026.
 *   A DONE 2 – 20 March (known dates): keeps them; late = early, float 0, not critical.
 *   A2 DONE 5 wd, only actual_finish Thu 2 April known: its start is shown as EF - 5 wd,
 *      Fri 27 March.
 *   B DONE with actual_estimated: no dates at all; constrains successors only through the
 *      data date (its EF boundary is the data-date boundary).
 *   A -> C 3 wd: A's finish allows Mon 23 March, but C is unfinished and cannot start before
 *      the data date: Wed 15 – Fri 17 April.
 *   B -FS +2 wd-> D 1 wd: data-date boundary (start of Wed 15) + 2 = Fri 17 April.
 *   A -FS +30 cd-> E 1 wd: Fri 20 March + 30 = Sun 19 April → Mon 20 April.
 * Project finish Mon 20 April (E). C, D: LF Mon 20 April → float 1. */
static void test_realised(void **state) {
    const tstep steps[] = {STEP("a", 15), STEP("a2", 5), STEP("b", 4), STEP("c", 3), STEP("d", 1), STEP("e", 1)};
    const tlink links[] = {FS("a", "c", 0), FS("b", "d", 2), FSC("a", "e", 30)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    *P(&t, "a") = (bs_progress){BS_STATUS_DONE, D("2026-03-02"), D("2026-03-20"), false};
    *P(&t, "a2") = (bs_progress){BS_STATUS_DONE, BS_DAY_NONE, D("2026-04-02"), false};
    *P(&t, "b") = (bs_progress){BS_STATUS_DONE, BS_DAY_NONE, BS_DAY_NONE, true};
    tc_run(&t, "2026-04-15");
    check(&t, "a", "2026-03-02", "2026-03-20", "2026-03-02", "2026-03-20", 0, false);
    check(&t, "a2", "2026-03-27", "2026-04-02", "2026-03-27", "2026-04-02", 0, false);
    check(&t, "b", "none", "none", "none", "none", 0, false);
    check(&t, "c", "2026-04-15", "2026-04-17", "2026-04-16", "2026-04-20", 1, false);
    check(&t, "d", "2026-04-17", "2026-04-17", "2026-04-20", "2026-04-20", 1, false);
    check(&t, "e", "2026-04-20", "2026-04-20", "2026-04-20", "2026-04-20", 0, true);
    int32_t dd_b = bs_calendar_boundary_before(t.cal, D("2026-04-15"));
    assert_int_equal(R(&t, "b")->ef_b, dd_b);
    assert_int_equal(R(&t, "d")->es_b, dd_b + 2);
    assert_int_equal(R(&t, "a2")->ef_b - R(&t, "a2")->es_b, 5);
    assert_date(t.out.project_finish, "2026-04-20");
    assert_int_equal(t.out.n_out_of_sequence, 0);
    tc_free(&t);

    /* Everything realised: no project finish. */
    const tstep one[] = {STEP("a", 2)};
    tc_init(&t, state, one, 1, NULL, 0);
    *P(&t, "a") = (bs_progress){BS_STATUS_DONE, BS_DAY_NONE, BS_DAY_NONE, true};
    tc_run(&t, "2026-04-15");
    assert_int_equal(t.out.project_finish, BS_DAY_NONE);
    tc_free(&t);
}

/* Data date on a weekend, and started steps. Data date Sat 28 March 2026; the first
 * working day on or after it is Mon 30 March.
 *   A 2 wd, open, no predecessors: Mon 30 – Tue 31 March.   M start milestone: Mon 30.
 *     M has no successors, so its late instant is the project finish (end of Tue 31 =
 *     start of Wed 1 April): float 2, and as a start-of-day milestone its late date shows
 *     as Wed 1 April.
 *   S STARTED Wed 25 March, 5 wd: 25, 26, 27, 30, 31 March: finish Tue 31 (after the data
 *     date, kept).
 *   S2 STARTED Mon 23 March, 2 wd: would have finished Tue 24 — not done, so it finishes no
 *     earlier than the data date: at least one working day of remaining work from
 *     the data-date boundary, finish Mon 30 March. S2 -> Z 1 wd: Tue 31 March.
 *   K DONE milestone Fri 27 March -> Y 1 wd: Mon 30 March.
 * Project finish Tue 31 March. S2 and Z are critical; Y (LS Tue 31) has float 1. */
static void test_data_date_weekend(void **state) {
    const tstep steps[] = {STEP("a", 2), MS("m"), STEP("s", 5), STEP("s2", 2), STEP("z", 1), MS("k"), STEP("y", 1)};
    const tlink links[] = {FS("s2", "z", 0), FS("k", "y", 0)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    *P(&t, "s") = (bs_progress){BS_STATUS_STARTED, D("2026-03-25"), BS_DAY_NONE, false};
    *P(&t, "s2") = (bs_progress){BS_STATUS_STARTED, D("2026-03-23"), BS_DAY_NONE, false};
    *P(&t, "k") = (bs_progress){BS_STATUS_DONE, BS_DAY_NONE, D("2026-03-27"), false};
    tc_run(&t, "2026-03-28");
    int32_t dd_b = bs_calendar_boundary_before(t.cal, D("2026-03-28"));
    assert_int_equal(dd_b, bs_calendar_boundary_before(t.cal, D("2026-03-30")));
    check(&t, "a", "2026-03-30", "2026-03-31", "2026-03-30", "2026-03-31", 0, true);
    check(&t, "m", "2026-03-30", "2026-03-30", "2026-04-01", "2026-04-01", 2, false);
    check(&t, "s", "2026-03-25", "2026-03-31", "2026-03-25", "2026-03-31", 0, true);
    check(&t, "s2", "2026-03-23", "2026-03-30", "2026-03-23", "2026-03-30", 0, true);
    check(&t, "z", "2026-03-31", "2026-03-31", "2026-03-31", "2026-03-31", 0, true);
    check(&t, "k", "2026-03-27", "2026-03-27", "2026-03-27", "2026-03-27", 0, false);
    check(&t, "y", "2026-03-30", "2026-03-30", "2026-03-31", "2026-03-31", 1, false);
    assert_int_equal(R(&t, "a")->es_b, dd_b);
    assert_int_equal(R(&t, "s2")->ef_b, dd_b + 1);
    assert_int_equal(R(&t, "s")->ef_b, R(&t, "s")->es_b + 5);
    assert_date(t.out.project_finish, "2026-03-31");
    tc_free(&t);
}

/* Out-of-sequence progress. Data date Mon 1 June 2026.
 *   A OPEN -> B DONE: B is out of sequence (its predecessor is not done).
 *   B -> C STARTED: C's predecessor B is done: in sequence.
 *   A -> D STARTED: out of sequence.
 *   A -> K SKIPPED -> E DONE: E is out of sequence through the skipped step.
 *   F DONE -> K2 SKIPPED -> G DONE: in sequence.
 * Retained logic: D started out of sequence, so its remaining work (5 wd: started
 * Mon 1 June, it would run to Fri 5 June) waits for A (Mon 1 – Tue 2 June): Wed 3 – Tue 9
 * June. A realised successor (B) does not hold A back, but D's remaining work does: A is
 * critical (LF Tue 2 June), and so is D. C (started in sequence, finish Fri 5 June) now has
 * float 2 against the project finish Tue 9 June. */
static void test_out_of_sequence(void **state) {
    const tstep steps[] = {STEP("a", 2), STEP("b", 2), STEP("c", 5),  STEP("d", 5), STEP("k", 1),
                           STEP("e", 1), STEP("f", 1), STEP("k2", 1), STEP("g", 1)};
    const tlink links[] = {FS("a", "b", 0), FS("b", "c", 0),  FS("a", "d", 0), FS("a", "k", 0),
                           FS("k", "e", 0), FS("f", "k2", 0), FS("k2", "g", 0)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    const bs_progress done = {BS_STATUS_DONE, D("2026-05-20"), D("2026-05-22"), false};
    *P(&t, "b") = done;
    *P(&t, "c") = (bs_progress){BS_STATUS_STARTED, D("2026-06-01"), BS_DAY_NONE, false};
    *P(&t, "d") = (bs_progress){BS_STATUS_STARTED, D("2026-06-01"), BS_DAY_NONE, false};
    P(&t, "k")->status = BS_STATUS_SKIPPED;
    *P(&t, "e") = done;
    *P(&t, "f") = done;
    P(&t, "k2")->status = BS_STATUS_SKIPPED;
    *P(&t, "g") = done;
    tc_run(&t, "2026-06-01");
    assert_false(R(&t, "a")->out_of_sequence);
    assert_true(R(&t, "b")->out_of_sequence);
    assert_false(R(&t, "c")->out_of_sequence);
    assert_true(R(&t, "d")->out_of_sequence);
    assert_false(R(&t, "k")->out_of_sequence);
    assert_true(R(&t, "e")->out_of_sequence);
    assert_false(R(&t, "f")->out_of_sequence);
    assert_false(R(&t, "g")->out_of_sequence);
    assert_int_equal(t.out.n_out_of_sequence, 3);
    check(&t, "a", "2026-06-01", "2026-06-02", "2026-06-01", "2026-06-02", 0, true);
    check(&t, "c", "2026-06-01", "2026-06-05", "2026-06-03", "2026-06-09", 2, false);
    check(&t, "d", "2026-06-01", "2026-06-09", "2026-06-01", "2026-06-09", 0, true);
    check(&t, "k", "none", "none", "none", "none", 0, false);
    assert_date(t.out.project_finish, "2026-06-09");
    tc_free(&t);
}

/* A skipped optional step is bridged. Data date Mon 1 June 2026.
 *   A 3 wd: Mon 1 – Wed 3 June (EF boundary: start of Thu 4).
 *   A -(+1 wd)-> K SKIPPED (10 wd, ignored) -(+2 wd)-> B 2 wd: the lags add up: B starts 3 wd
 *     after A's finish boundary: Thu 4, Fri 5, Mon 8 are lag, B Tue 9 – Wed 10 June.
 *   A -(+5 cd)-> K3 SKIPPED -> D 1 wd: Wed 3 + 5 = Mon 8 June, D Tue 9 June; float 1.
 *   K2 SKIPPED without predecessors -> C 1 wd: no constraint, C starts at the data date.
 *   A -(+5 wd)-> K4 SKIPPED without successors: bounds nothing (A stays critical).
 * Skipped steps have no dates and no float; A and B are critical (the backward pass goes
 * through K as well). */
static void test_skipped_bridged(void **state) {
    const tstep steps[] = {STEP("a", 3), STEP("k", 10), STEP("b", 2), STEP("k2", 4),
                           STEP("c", 1), STEP("k3", 2), STEP("d", 1), MS("k4")};
    const tlink links[] = {FS("a", "k", 1),   FS("k", "b", 2),  FS("k2", "c", 0),
                           FSC("a", "k3", 5), FS("k3", "d", 0), FS("a", "k4", 5)};
    tcase t;
    tc_init(&t, state, steps, N(steps), links, N(links));
    P(&t, "k")->status = BS_STATUS_SKIPPED;
    P(&t, "k2")->status = BS_STATUS_SKIPPED;
    P(&t, "k3")->status = BS_STATUS_SKIPPED;
    P(&t, "k4")->status = BS_STATUS_SKIPPED;
    tc_run(&t, "2026-06-01");
    check(&t, "a", "2026-06-01", "2026-06-03", "2026-06-01", "2026-06-03", 0, true);
    check(&t, "k", "none", "none", "none", "none", 0, false);
    check(&t, "b", "2026-06-09", "2026-06-10", "2026-06-09", "2026-06-10", 0, true);
    check(&t, "c", "2026-06-01", "2026-06-01", "2026-06-10", "2026-06-10", 7, false);
    check(&t, "d", "2026-06-09", "2026-06-09", "2026-06-10", "2026-06-10", 1, false);
    assert_int_equal(R(&t, "b")->es_b, R(&t, "a")->ef_b + 3);
    assert_int_equal(R(&t, "k")->es_b, -1);
    assert_date(t.out.project_finish, "2026-06-10");
    tc_free(&t);
}

/* Unsupported link types and range errors. */
static void test_errors(void **state) {
    const tstep steps[] = {STEP("a", 3), STEP("b", 2)};
    tcase t;
    /* SS, FF and SF are supported. */
    for (bs_link_type ty = BS_LINK_SS; ty <= BS_LINK_SF; ty++) {
        const tlink links[] = {{"a", "b", 0, WD, ty}};
        tc_init(&t, state, steps, N(steps), links, N(links));
        assert_int_equal(bs_schedule_compute(t.schema, t.progress, D("2026-06-01"), t.cal, &t.out), BS_SCHEDULE_OK);
        assert_non_null(t.out.steps);
        tc_free(&t);
    }

    const tlink fs[] = {FS("a", "b", 0)};
    /* Data date outside the calendar (2024–2030). */
    tc_init(&t, state, steps, N(steps), fs, N(fs));
    assert_int_equal(bs_schedule_compute(t.schema, t.progress, D("2031-01-05"), t.cal, &t.out), BS_SCHEDULE_ERANGE);
    assert_null(t.out.steps);
    tc_free(&t);
    /* Work running past the end of the calendar. */
    tc_init(&t, state, steps, N(steps), fs, N(fs));
    assert_int_equal(bs_schedule_compute(t.schema, t.progress, D("2030-12-30"), t.cal, &t.out), BS_SCHEDULE_ERANGE);
    assert_null(t.out.steps);
    tc_free(&t);
    /* A lag before the start of the calendar. */
    const tlink lead[] = {FSC("a", "b", -4000)};
    tc_init(&t, state, steps, N(steps), lead, N(lead));
    assert_int_equal(bs_schedule_compute(t.schema, t.progress, D("2024-01-02"), t.cal, &t.out), BS_SCHEDULE_ERANGE);
    tc_free(&t);
    /* An empty schema is fine. */
    tc_init(&t, state, steps, 0, NULL, 0);
    assert_int_equal(bs_schedule_compute(t.schema, t.progress, D("2026-06-01"), t.cal, &t.out), BS_SCHEDULE_OK);
    assert_int_equal(t.out.n_steps, 0);
    assert_int_equal(t.out.project_finish, BS_DAY_NONE);
    tc_free(&t);
}

/* ---- randomised invariants ---- */

static uint32_t rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

/* A random DAG: n steps (a fifth milestones, calendar-day and statutory ones among them) and
 * m FS links from earlier to later steps with leads and lags in either unit. */
typedef struct random_dag {
    int32_t n, m;
    tstep *steps;
    char (*keys)[16];
    tlink *links;
} random_dag;

static void random_dag_make(uint64_t *seed, random_dag *g) {
    int32_t n = 2 + (int32_t)(rnd(seed) % 40);
    g->n = n;
    g->steps = calloc((size_t)n, sizeof *g->steps);
    g->keys = calloc((size_t)n, sizeof *g->keys);
    g->links = calloc((size_t)n * 3, sizeof *g->links);
    assert_true(g->steps && g->keys && g->links);
    for (int32_t i = 0; i < n; i++) {
        snprintf(g->keys[i], sizeof g->keys[i], "s%d", i);
        uint32_t r = rnd(seed) % 10;
        g->steps[i].key = g->keys[i];
        g->steps[i].duration = r < 2 ? 0 : 1 + (int32_t)(rnd(seed) % 30);
        g->steps[i].unit = r >= 7 ? CD : WD;
        g->steps[i].statutory = r >= 8 || r == 6;
    }
    g->m = 0;
    for (int32_t i = 1; i < n; i++)
        for (int k = 0; k < 3; k++)
            if (rnd(seed) % 3 == 0) {
                int32_t p = (int32_t)(rnd(seed) % (uint32_t)i);
                int32_t lag = (int32_t)(rnd(seed) % 21) - 8;
                g->links[g->m++] = (tlink){g->keys[p], g->keys[i], lag, rnd(seed) % 2 ? CD : WD, BS_LINK_FS};
            }
}

static void random_dag_free(random_dag *g) {
    free(g->steps);
    free(g->keys);
    free(g->links);
}

/* Random progress: an eighth of the steps skipped; with `realised` also done (with and
 * without dates) and started steps, their dates before the data date dd. */
static void random_progress(tcase *t, uint64_t *seed, int32_t n, bool realised, const char *dd) {
    for (int32_t i = 0; i < n; i++)
        if (rnd(seed) % 8 == 0) t->progress[i].status = BS_STATUS_SKIPPED;
    for (int32_t i = 0; i < n && realised; i++) {
        uint32_t r = rnd(seed) % 10;
        bs_day a = D(dd) - 60 + (bs_day)(rnd(seed) % 40);
        if (r == 0)
            t->progress[i] = (bs_progress){BS_STATUS_DONE, BS_DAY_NONE, BS_DAY_NONE, true};
        else if (r == 1)
            t->progress[i] = (bs_progress){BS_STATUS_DONE, a, a + (bs_day)(rnd(seed) % 20), false};
        else if (r == 2)
            t->progress[i] = (bs_progress){BS_STATUS_STARTED, a, BS_DAY_NONE, false};
    }
}

/* Prints the case (steps with their results, links) to stderr, for a failed invariant. */
static void dump_case(const tcase *t, const random_dag *g) {
    for (int32_t z = 0; z < g->n; z++) {
        const bs_step_result *q = &t->out.steps[z];
        char e1[11], e2[11], e3[11], e4[11];
        fprintf(stderr, "%s st%d d%d u%d stat%d: %s %s %s %s es%d ef%d ls%d lf%d tf%d\n", t->schema->steps[z].key,
                t->progress[z].status, t->schema->steps[z].duration, t->schema->steps[z].unit,
                t->schema->steps[z].statutory, fmt(q->early_start, e1), fmt(q->early_finish, e2),
                fmt(q->late_start, e3), fmt(q->late_finish, e4), q->es_b, q->ef_b, q->ls_b, q->lf_b, q->total_float);
    }
    for (int32_t z = 0; z < g->m; z++)
        fprintf(stderr, "%s -> %s %d%s\n", g->links[z].pred, g->links[z].succ, g->links[z].lag,
                g->links[z].lag_unit == CD ? "cd" : "wd");
}

/* The durations of open step i are respected: working days between the boundaries (at
 * least, for a statutory term), calendar days from a working day (a statutory term ends on
 * bs_atw_term_end). */
static void check_durations(const tcase *t, int32_t i) {
    const bs_step_result *r = &t->out.steps[i];
    const bs_step *s = &t->schema->steps[i];
    if (s->duration > 0 && s->unit == WD) {
        assert_true(r->ef_b >= r->es_b + s->duration);
        if (!s->statutory) {
            assert_int_equal(r->ef_b, r->es_b + s->duration);
            assert_int_equal(r->lf_b, r->ls_b + s->duration);
        }
    }
    if (s->duration > 0 && s->unit == CD) {
        bs_day f = r->early_start + s->duration - 1;
        assert_int_equal(r->early_finish, s->statutory ? bs_atw_term_end(f) : f);
        f = r->late_start + s->duration - 1;
        assert_int_equal(r->late_finish, s->statutory ? bs_atw_term_end(f) : f);
        assert_true(bs_calendar_is_working(t->cal, r->early_start));
    }
    if (s->duration > 0) assert_int_equal(r->ef_b, bs_calendar_boundary_after(t->cal, r->early_finish));
}

/* Every link into open step i holds in the early and in the late schedule, and ES is tight:
 * equal to the data date (boundary dd_b) or to the bound of some direct link from a
 * non-skipped predecessor (a bound through a skipped step is allowed too). */
static void check_links_and_tightness(const tcase *t, int32_t i, int32_t dd_b) {
    const bs_step_result *r = &t->out.steps[i];
    const bs_step *s = &t->schema->steps[i];
    bool tight = r->es_b == dd_b;
    for (int32_t j = 0; j < s->n_preds; j++) {
        const bs_link *l = &t->schema->links[s->preds[j]];
        if (t->progress[l->pred].status != BS_STATUS_OPEN) {
            tight = true; /* skipped, realised, started: hand-made tests */
            continue;
        }
        const bs_step_result *p = &t->out.steps[l->pred];
        /* Early schedule: ES(s) >= bound from p's early finish. */
        int32_t lo;
        if (l->lag_unit == WD) {
            lo = p->ef_b + l->lag;
        } else {
            bs_day x = t->schema->steps[l->pred].duration == 0 ? BS_DAY_NONE : p->early_finish + l->lag;
            lo = x == BS_DAY_NONE ? INT32_MIN : bs_calendar_boundary_after(t->cal, x);
        }
        if (lo != INT32_MIN) {
            assert_true(r->es_b >= lo);
            tight |= r->es_b == lo;
        }
        /* Late schedule. */
        if (l->lag_unit == WD)
            assert_true(r->ls_b >= p->lf_b + l->lag);
        else if (t->schema->steps[l->pred].duration > 0)
            assert_true(r->ls_b >= bs_calendar_boundary_after(t->cal, p->late_finish + l->lag));
        if (t->schema->steps[l->pred].duration == 0)
            tight = true; /* milestone instants: checked by the hand-made tests */
    }
    assert_true(tight);
}

/* The invariants of step i of a random case scheduled at data date dd (boundary dd_b; pf_b:
 * the project finish boundary). */
static void check_step(const tcase *t, const random_dag *g, int32_t i, const char *dd, int32_t dd_b, int32_t pf_b) {
    const bs_step_result *r = &t->out.steps[i];
    const bs_step *s = &t->schema->steps[i];
    const bs_step_status st = t->progress[i].status;
    if (st == BS_STATUS_SKIPPED) {
        assert_int_equal(r->early_start, BS_DAY_NONE);
        return;
    }
    if (st == BS_STATUS_DONE) {
        assert_int_equal(r->total_float, 0);
        assert_false(r->critical);
        assert_int_equal(r->late_start, r->early_start);
        return;
    }
    if (r->total_float < 0) {
        dump_case(t, g);
        fail_msg("negative float at %s (dd %s)", s->key, dd);
    }
    assert_true(r->lf_b <= pf_b);
    assert_int_equal(r->critical, r->total_float == 0);
    assert_true(r->ef_b >= dd_b);
    if (st == BS_STATUS_STARTED) return;
    assert_true(r->es_b >= dd_b);
    assert_true(r->total_float >= 0);
    /* the smaller of start and finish float */
    assert_int_equal(r->total_float, r->ls_b - r->es_b < r->lf_b - r->ef_b ? r->ls_b - r->es_b : r->lf_b - r->ef_b);
    assert_true(r->free_float >= 0 && r->free_float <= r->total_float);
    assert_int_equal(r->critical, r->total_float == 0);
    assert_true(r->lf_b <= pf_b);
    assert_true(r->early_start <= r->early_finish || s->duration == 0);
    assert_true(r->late_start >= r->early_start);
    assert_true(r->late_finish >= r->early_finish);
    check_durations(t, i);
    check_links_and_tightness(t, i, dd_b);
}

/* Random DAGs of open and skipped steps with mixed units, lags and statutory terms:
 * every link holds in the early and in the late schedule, ES is tight (equal to the data
 * date or to a link's bound), float >= 0 and = LS - ES, durations are respected. */
static void test_random_invariants(void **state) {
    const bs_calendar *cal = *state;
    uint64_t seed = 12345;
    for (int round = 0; round < 300; round++) {
        random_dag g;
        random_dag_make(&seed, &g);
        tcase t;
        tc_init(&t, state, g.steps, g.n, g.links, g.m);
        const char *dds[] = {"2026-03-28", "2026-04-03", "2026-12-24", "2025-05-05"};
        const char *dd = dds[round % 4];
        /* Every other round also has realised and started steps (before the data date). */
        random_progress(&t, &seed, g.n, round % 2, dd);
        tc_run(&t, dd);
        const int32_t dd_b = bs_calendar_boundary_before(cal, D(dd));
        int32_t pf_b = -1;
        for (int32_t i = 0; i < g.n; i++)
            if ((t.progress[i].status == BS_STATUS_OPEN || t.progress[i].status == BS_STATUS_STARTED) &&
                t.out.steps[i].ef_b > pf_b)
                pf_b = t.out.steps[i].ef_b;
        for (int32_t i = 0; i < g.n; i++) check_step(&t, &g, i, dd, dd_b, pf_b);
        tc_free(&t);
        random_dag_free(&g);
    }
}

/* Speed: 100,000 steps in 1,000 chains of 100 (each step linked from the previous one with
 * FS 0 wd and from the one before that with FS -1 cd; mixed units, statutory terms,
 * milestones): 198,000 links. Prints the compute time; O(steps + links). */
static void test_large(void **state) {
    (void)state;
    const int32_t n = 100000, chain = 100;
    bs_schema *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->key = xstrdup("large");
    s->name = xstrdup("large");
    s->n_steps = n;
    s->steps = calloc((size_t)n, sizeof *s->steps);
    s->links = calloc((size_t)n * 2, sizeof *s->links);
    s->topo = calloc((size_t)n, sizeof *s->topo);
    assert_true(s->steps && s->links && s->topo);
    for (int32_t i = 0; i < n; i++) {
        bs_step *st = &s->steps[i];
        char key[16];
        snprintf(key, sizeof key, "s%d", i);
        st->key = xstrdup(key);
        st->name = xstrdup(key);
        st->duration = i % 7 == 0 ? 0 : 1 + i % 3;
        st->milestone = st->duration == 0;
        st->unit = i % 5 == 0 ? CD : WD;
        st->statutory = i % 10 == 0;
        st->preds = calloc(2, sizeof *st->preds);
        st->succs = calloc(2, sizeof *st->succs);
        assert_true(st->preds && st->succs);
        s->topo[i] = i;
    }
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++)
        for (int32_t back = 1; back <= 2 && back <= i % chain; back++, m++) {
            s->links[m] = (bs_link){i - back, i, BS_LINK_FS, back == 1 ? 0 : -1, back == 1 ? WD : CD};
            s->steps[i].preds[s->steps[i].n_preds++] = m;
            s->steps[i - back].succs[s->steps[i - back].n_succs++] = m;
        }
    s->n_links = m;
    bs_progress *pg = open_progress(n);
    for (int32_t i = 0; i < n; i += 13) pg[i].status = BS_STATUS_SKIPPED;
    bs_calendar cal;
    bs_calendar_options o = bs_calendar_default_options();
    assert_int_equal(bs_calendar_init(&cal, &o, 2024, 2030), 0);
    bs_schedule out;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(bs_schedule_compute(s, pg, D("2026-01-05"), &cal, &out), BS_SCHEDULE_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("%d steps, %d links: %.1f ms\n", n, m,
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    assert_true(out.project_finish > D("2026-03-01"));
    int32_t crit = 0;
    for (int32_t i = 0; i < n; i++) crit += out.steps[i].critical;
    assert_true(crit > 0);
    bs_schedule_free(&out);
    free(pg);
    bs_calendar_free(&cal);
    free_schema(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_with_lags),
        cmocka_unit_test(test_parallel_float),
        cmocka_unit_test(test_two_critical_paths),
        cmocka_unit_test(test_milestones_start_of_day),
        cmocka_unit_test(test_milestone_after_predecessor),
        cmocka_unit_test(test_calendar_days_and_atw),
        cmocka_unit_test(test_statutory_backward_stepping),
        cmocka_unit_test(test_negative_lag),
        cmocka_unit_test(test_realised),
        cmocka_unit_test(test_data_date_weekend),
        cmocka_unit_test(test_out_of_sequence),
        cmocka_unit_test(test_skipped_bridged),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_random_invariants),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, setup_cal, teardown_cal);
}
