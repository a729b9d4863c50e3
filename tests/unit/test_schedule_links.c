/*
 * Unit tests of the extended scheduler: SS/FF/SF links with positive and negative
 * lags in both units across weekends, holidays and a DST change; constraints and
 * knelpunten; remaining durations; retained logic; free float; critical paths; cycles from
 * link edits; what-if changes; the calendar-day float anomaly (a regression check) on the shipped
 * schema. Every expected value is hand-computed in the comment above the test.
 *
 * Calendar 2026, default options: Easter Sun 5 April (Fri 3 April worked, Mon 6 April off),
 * Mon 27 April Koningsdag, Tue 5 May worked (not a lustrum year), Thu 14 May Hemelvaart,
 * Mon 25 May 2e Pinksterdag. Summer time starts Sun 29 March and ends Sun 25 October 2026:
 * civil dates are unaffected (no arithmetic in seconds), which the tests spanning those
 * weekends show.
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
#include "schedule.h"
#include "schema.h"
#include "whatif.h"

static bs_day D(const char *s) {
    bs_day d = 0;
    if (bs_date_parse(s, &d) != 0) fail_msg("test date does not parse: %s", s);
    return d;
}

static const char *fmt(bs_day d, char buf[static 11]) {
    if (d == BS_DAY_NONE) return strcpy(buf, "none");
    return bs_date_format(d, buf);
}

typedef struct tc {
    const bs_calendar *cal;
    bs_schema *schema;
    bs_progress *progress;
    bs_sched_edit edit;
    bs_schedule out;
} tc;

static void tc_load(tc *t, void **state, const char *json) {
    memset(t, 0, sizeof *t);
    t->cal = *state;
    bs_schema_problems p = {0};
    t->schema = bs_schema_load(json, strlen(json), true, &p);
    if (!t->schema) fail_msg("schema: %s: %s", p.count ? p.items[0].path : "?", p.count ? p.items[0].message : "?");
    t->progress = calloc((size_t)t->schema->n_steps, sizeof *t->progress);
    assert_non_null(t->progress);
    for (int32_t i = 0; i < t->schema->n_steps; i++)
        t->progress[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    assert_int_equal(bs_sched_edit_init(&t->edit, t->schema), 0);
}

/* Schedules with progress date progress_date (NULL = the data date) and data_date. */
static bs_schedule_err tc_try_pd(tc *t, const char *progress_date, const char *data_date) {
    bs_schedule_input in = {.schema = t->schema,
                            .progress = t->progress,
                            .overrides = t->edit.ov,
                            .links = t->edit.links,
                            .n_links = t->edit.n_links,
                            .progress_date = progress_date ? D(progress_date) : BS_DAY_NONE,
                            .data_date = D(data_date),
                            .cal = t->cal,
                            .near_critical_wd = 3};
    bs_schedule_free(&t->out);
    return bs_schedule_compute_ex(&in, &t->out);
}

static bs_schedule_err tc_try(tc *t, const char *data_date) {
    return tc_try_pd(t, NULL, data_date);
}

static void tc_run_pd(tc *t, const char *progress_date, const char *data_date) {
    bs_schedule_err e = tc_try_pd(t, progress_date, data_date);
    if (e != BS_SCHEDULE_OK) fail_msg("bs_schedule_compute_ex: %s", bs_schedule_strerror(e));
}

static void tc_run(tc *t, const char *data_date) {
    bs_schedule_err e = tc_try(t, data_date);
    if (e != BS_SCHEDULE_OK) fail_msg("bs_schedule_compute_ex: %s", bs_schedule_strerror(e));
}

static void tc_free(tc *t) {
    bs_schedule_free(&t->out);
    bs_sched_edit_free(&t->edit);
    free(t->progress);
    bs_schema_free(t->schema);
}

static int32_t idx(const tc *t, const char *key) {
    int32_t i = bs_schema_find(t->schema, key);
    if (i < 0) fail_msg("no step %s", key);
    return i;
}

static const bs_step_result *R(const tc *t, const char *key) {
    return &t->out.steps[idx(t, key)];
}

static void check(const tc *t, const char *key, const char *es, const char *ef, const char *ls, const char *lf,
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

/* Asserts critical path p is exactly the given keys (NULL-terminated). */
static void check_path(const tc *t, int32_t p, const char *const *keys) {
    assert_true(p < t->out.n_paths);
    int32_t k = t->out.path_offsets[p], end = t->out.path_offsets[p + 1];
    for (int i = 0; keys[i]; i++, k++) {
        if (k >= end) fail_msg("path %d is shorter than expected (missing %s)", p, keys[i]);
        const char *got = t->schema->steps[t->out.path_steps[k]].key;
        if (strcmp(got, keys[i]) != 0) fail_msg("path %d position %d: got %s, expected %s", p, i, got, keys[i]);
    }
    assert_int_equal(k, end);
}

#define STEP_WD(k, d)                                                                                                  \
    "{\"key\":\"" k "\",\"name\":\"" k "\",\"stream\":\"public\",\"source\":\"t\","                                    \
    "\"duration\":{\"value\":" #d ",\"unit\":\"working_days\"}"
#define STEP_CD(k, d)                                                                                                  \
    "{\"key\":\"" k "\",\"name\":\"" k "\",\"stream\":\"public\",\"source\":\"t\","                                    \
    "\"duration\":{\"value\":" #d ",\"unit\":\"calendar_days\"}"
#define DEP(p, t, lag, u) "{\"step\":\"" p "\",\"type\":\"" t "\",\"lag\":{\"value\":" #lag ",\"unit\":\"" u "\"}}"
#define SCHEMA_OPEN "{\"key\":\"t\",\"name\":\"t\",\"version\":1,\"steps\":["
#define SCHEMA(steps) SCHEMA_OPEN steps "]}"

/* SS links across the DST weekend. Data date Mon 23 March 2026.
 *   A 5 wd: Mon 23 – Fri 27 March.
 *   A -SS +2 wd-> B 5 wd: A's start boundary + 2 = Wed 25; B Wed 25, Thu 26, Fri 27, Mon 30,
 *     Tue 31 March (summer time starts Sun 29 March: nothing moves).
 *   B -SS -1 wd-> C 2 wd: Tue 24 – Wed 25 March (a lead).
 *   A -SS +6 cd-> D 1 wd: Mon 23 + 6 = Sun 29 March; D starts on the first working day on or
 *     after it, Mon 30 March.
 * Project finish Tue 31 March (B). Backward: B critical. A's latest start from the SS link is
 * B's LS (Wed 25) - 2 wd = Mon 23: A critical (its finish could slip, but not its start: the
 * smaller of start and finish float is 0). D: LS = LF = Tue 31, float 1, free float 1.
 * C: LS Mon 30, float 4 (24, 25, 26, 27 → 30), near-critical is 0 < float <= 3: not.
 * Critical path: a → b. */
static void test_ss(void **state) {
    tc t;
    tc_load(
        &t, state,
        SCHEMA(STEP_WD("a", 5) "}," STEP_WD("b", 5) ",\"depends_on\":[" DEP("a", "SS", 2, "working_days") "]}," STEP_WD(
            "c",
            2) ",\"depends_on\":[" DEP("b", "SS", -1,
                                       "working_days") "]}," STEP_WD("d",
                                                                     1) ",\"depends_on\":[" DEP("a", "SS", 6,
                                                                                                "calendar_days") "]}"));
    tc_run(&t, "2026-03-23");
    check(&t, "a", "2026-03-23", "2026-03-27", "2026-03-23", "2026-03-27", 0, true);
    check(&t, "b", "2026-03-25", "2026-03-31", "2026-03-25", "2026-03-31", 0, true);
    check(&t, "c", "2026-03-24", "2026-03-25", "2026-03-30", "2026-03-31", 4, false);
    check(&t, "d", "2026-03-30", "2026-03-30", "2026-03-31", "2026-03-31", 1, false);
    assert_true(R(&t, "d")->near_critical);
    assert_false(R(&t, "c")->near_critical);
    assert_int_equal(R(&t, "d")->free_float, 1);
    assert_int_equal(R(&t, "c")->free_float, 4);
    assert_int_equal(t.out.n_paths, 1);
    check_path(&t, 0, (const char *const[]){"a", "b", NULL});
    tc_free(&t);
}

/* FF and SF around Koningsdag. Data date Mon 20 April 2026; working days from then: Mon 20
 * (b0), 21, 22, 23, Fri 24 (b0+4), Tue 28 (b0+5; Mon 27 is Koningsdag), 29, 30, Fri 1 May
 * (b0+8), Mon 4 (b0+9), Tue 5 May (b0+10).
 *   A 5 wd: Mon 20 – Fri 24 April (EF boundary b0+5).
 *   A -FF +2 wd-> B 3 wd: B finishes no earlier than boundary b0+7 (end of Wed 29), so B
 *     starts at b0+4: Fri 24, Tue 28, Wed 29 April.
 *   A -FF -3 cd-> C 2 cd: A's finish instant (start of Sat 25) - 3 = start of Wed 22, so C
 *     finishes no earlier than the end of Tue 21: C Mon 20 – Tue 21 April.
 *   A -SF +1 wd-> D 4 wd: finish >= end of Mon 20; the data date binds: Mon 20 – Thu 23.
 *   A -SF +10 wd-> E 2 wd: finish >= boundary b0+10 (end of Mon 4 May): E Fri 1 – Mon 4 May.
 *   E -SF -2 wd-> F 1 wd (a lead): E's start boundary b0+8 - 2 = b0+6: F finishes no earlier
 *     than the end of Tue 28 April, so F is Tue 28 April; LF = project finish: float 4, free
 *     float 4.
 * Project finish Mon 4 May. Backward: E critical; through SF +10 A's latest start is b0:
 * critical. B: LF Mon 4 May, LS Thu 30 April: float 3. D: LS Wed 29 April, float 6.
 * C (calendar days): latest start Fri 1 May (ends Sat 2 May): start float 8, finish float
 * from end of Tue 21 April (b0+2) to end of Sat 2 May (b0+9) = 7: float 7.
 * Critical path: a → e. */
static void test_ff_sf(void **state) {
    tc t;
    tc_load(
        &t, state,
        SCHEMA(STEP_WD("a", 5) "}," STEP_WD("b", 3) ",\"depends_on\":[" DEP("a", "FF", 2, "working_days") "]}," STEP_CD("c", 2) ",\"depends_on\":[" DEP("a", "FF", -3, "calendar_days") "]}," STEP_WD(
            "d",
            4) ",\"depends_on\":[" DEP("a", "SF", 1,
                                       "working_days") "]}," STEP_WD("e",
                                                                     2) ",\"depends_on\":[" DEP("a", "SF", 10,
                                                                                                "working_days") "]}," STEP_WD("f",
                                                                                                                              1) ",\"depends_on\":[" DEP("e",
                                                                                                                                                         "SF",
                                                                                                                                                         -2,
                                                                                                                                                         "working_days") "]}"));
    tc_run(&t, "2026-04-20");
    check(&t, "f", "2026-04-28", "2026-04-28", "2026-05-04", "2026-05-04", 4, false);
    assert_int_equal(R(&t, "f")->free_float, 4);
    check(&t, "a", "2026-04-20", "2026-04-24", "2026-04-20", "2026-04-24", 0, true);
    check(&t, "b", "2026-04-24", "2026-04-29", "2026-04-30", "2026-05-04", 3, false);
    check(&t, "c", "2026-04-20", "2026-04-21", "2026-05-01", "2026-05-02", 7, false);
    check(&t, "d", "2026-04-20", "2026-04-23", "2026-04-29", "2026-05-04", 6, false);
    check(&t, "e", "2026-05-01", "2026-05-04", "2026-05-01", "2026-05-04", 0, true);
    assert_true(R(&t, "b")->near_critical);
    assert_int_equal(t.out.n_paths, 1);
    check_path(&t, 0, (const char *const[]){"a", "e", NULL});
    char b[11];
    assert_string_equal(fmt(t.out.project_finish, b), "2026-05-04");
    tc_free(&t);
}

/* A deadline that cannot be met, and a start-no-earlier-than. Data date Mon 1 June 2026.
 *   A 10 wd: Mon 1 – Fri 12 June.  A -> B 5 wd: Mon 15 – Fri 19 June.
 *   B finish-no-later-than Wed 17 June: LF = 17 June, LS Thu 11 June; float 17 - 19 June
 *     = -2 working days; A: LF Wed 10 June, float -2. Both critical; one knelpunt (b,
 *     deadline 17 June, early finish 19 June, 2 working days over).
 *   C start-no-earlier-than Wed 10 June, 2 wd: Wed 10 – Thu 11 June; LF = project finish
 *     Fri 19 June: float 6.
 * Removing the deadline (set_constraint with null) gives float 0 and no knelpunt. */
static void test_constraints(void **state) {
    tc t;
    tc_load(&t, state,
            SCHEMA(STEP_WD("a", 10) "}," STEP_WD("b", 5) ",\"depends_on\":[" DEP(
                "a", "FS", 0, "working_days") "]}," STEP_WD("c", 2) "}"));
    t.edit.ov[idx(&t, "b")].fnlt = D("2026-06-17");
    t.edit.ov[idx(&t, "c")].snet = D("2026-06-10");
    tc_run(&t, "2026-06-01");
    check(&t, "a", "2026-06-01", "2026-06-12", "2026-05-28", "2026-06-10", -2, true);
    check(&t, "b", "2026-06-15", "2026-06-19", "2026-06-11", "2026-06-17", -2, true);
    check(&t, "c", "2026-06-10", "2026-06-11", "2026-06-18", "2026-06-19", 6, false);
    assert_int_equal(t.out.n_knelpunten, 1);
    assert_int_equal(t.out.knelpunten[0].step, idx(&t, "b"));
    assert_int_equal(t.out.knelpunten[0].deadline, D("2026-06-17"));
    assert_int_equal(t.out.knelpunten[0].early_finish, D("2026-06-19"));
    assert_int_equal(t.out.knelpunten[0].overshoot_wd, 2);
    assert_true(R(&t, "b")->deadline_missed);
    check_path(&t, 0, (const char *const[]){"a", "b", NULL});

    char field[64], msg[256];
    json_t *ch = json_loads("[{\"op\":\"set_constraint\",\"step\":\"b\",\"finish_no_later_than\":null}]", 0, NULL);
    assert_int_equal(bs_whatif_apply(&t.edit, t.schema, ch, field, sizeof field, msg, sizeof msg), 0);
    json_decref(ch);
    tc_run(&t, "2026-06-01");
    check(&t, "b", "2026-06-15", "2026-06-19", "2026-06-15", "2026-06-19", 0, true);
    assert_int_equal(t.out.n_knelpunten, 0);
    tc_free(&t);
}

/* Progress: remaining durations, a started calendar-day step past its natural finish,
 * retained logic through SS and FF. Data date Wed 10 June 2026.
 *   A STARTED Mon 1 June, 20 wd, remaining 3 wd: finishes Fri 12 June (10, 11, 12).
 *   S STARTED Mon 1 June, 5 cd: would have ended Fri 5 June; not done, so it finishes no
 *     earlier than the data date: Wed 10 June (an earlier scheduler gave Tue 9 June).
 *   P OPEN 4 wd: Wed 10 – Mon 15 June.  P -SS-> Q STARTED Mon 8 June: out of sequence (Q
 *     started before P); P -FF-> Q: Q (10 wd, natural finish Fri 19 June) keeps its finish.
 *   P -FF +5 wd-> Q2 STARTED Tue 9 June, 2 wd, in sequence for SS/FF (not done): remaining
 *     work 1 day from the data date, but its finish waits for P + 5 wd: Mon 22 June.
 */
static void test_progress(void **state) {
    tc t;
    tc_load(
        &t, state,
        SCHEMA(STEP_WD("a", 20) "}," STEP_CD("s", 5) "}," STEP_WD("p", 4) "}," STEP_WD("q", 10) ",\"depends_on\":[" DEP(
            "p", "SS", 0,
            "working_days") "," DEP("p", "FF", 0,
                                    "working_days") "]}," STEP_WD("q2",
                                                                  2) ",\"depends_on\":[" DEP("p", "FF", 5,
                                                                                             "working_days") "]}"));
    t.progress[idx(&t, "a")] = (bs_progress){BS_STATUS_STARTED, D("2026-06-01"), BS_DAY_NONE, false};
    t.edit.ov[idx(&t, "a")].remaining = 3;
    t.progress[idx(&t, "s")] = (bs_progress){BS_STATUS_STARTED, D("2026-06-01"), BS_DAY_NONE, false};
    t.progress[idx(&t, "q")] = (bs_progress){BS_STATUS_STARTED, D("2026-06-08"), BS_DAY_NONE, false};
    t.progress[idx(&t, "q2")] = (bs_progress){BS_STATUS_STARTED, D("2026-06-09"), BS_DAY_NONE, false};
    tc_run(&t, "2026-06-10");
    char b[11];
    assert_string_equal(fmt(R(&t, "a")->early_finish, b), "2026-06-12");
    assert_string_equal(fmt(R(&t, "s")->early_finish, b), "2026-06-10");
    assert_string_equal(fmt(R(&t, "p")->early_finish, b), "2026-06-15");
    assert_string_equal(fmt(R(&t, "q")->early_finish, b), "2026-06-19");
    assert_string_equal(fmt(R(&t, "q2")->early_finish, b), "2026-06-22");
    assert_true(R(&t, "q")->out_of_sequence);
    assert_false(R(&t, "q2")->out_of_sequence);
    assert_int_equal(t.out.n_out_of_sequence, 1);
    /* project finish Mon 22 June: Q2 and P (through FF +5) are critical */
    assert_true(R(&t, "q2")->critical);
    assert_true(R(&t, "p")->critical);
    assert_int_equal(R(&t, "q")->total_float, 1);
    tc_free(&t);
}

/* ---- the progress date (docs/scheduling.md §5; the examples of §5.9) ----
 * 2026: Goede Vrijdag 3 April worked, Easter Monday 6 April and Koningsdag Mon 27 April off,
 * 5 May worked, Hemelvaart Thu 14 May and Pinkstermaandag 25 May off. */

/* Asserts the early start and finish of a step (inclusive dates). */
static void check_ef(const tc *t, const char *key, const char *es, const char *ef) {
    char a[11], b[11];
    fmt(R(t, key)->early_start, a);
    fmt(R(t, key)->early_finish, b);
    if (strcmp(a, es) || strcmp(b, ef)) fail_msg("%s: got ES %s EF %s, expected ES %s EF %s", key, a, b, es, ef);
}

static void set_started(tc *t, const char *key, const char *as) {
    t->progress[idx(t, key)] = (bs_progress){BS_STATUS_STARTED, D(as), BS_DAY_NONE, false};
}

static void set_done(tc *t, const char *key, const char *as, const char *af) {
    t->progress[idx(t, key)] = (bs_progress){BS_STATUS_DONE, D(as), D(af), false};
}

#define FS0(p) DEP(p, "FS", 0, "working_days")
#define PM_SCHEMA                                                                                                      \
    SCHEMA(STEP_WD("p", 10) "}," STEP_WD("s", 130) ",\"depends_on\":[" FS0(                                            \
        "p") "]},"                                                                                                     \
             "{\"key\":\"m\",\"name\":\"m\",\"stream\":\"public\",\"source\":\"t\",\"milestone\":true,"                \
             "\"duration\":{\"value\":0,\"unit\":\"working_days\"},\"depends_on\":[" FS0("s") "]}")

/* The doubled gap (§5.9 example 2). P (10 wd) DONE 23 Feb – Fri 6 March; S (130 wd) STARTED
 * Mon 9 March, the day after P finished; milestone M after S.
 *   PD = DD = Mon 2 March: work done 0 (S started after PD), R = 130, the remaining work
 *     starts Mon 9 March (S's start, P's bound): 130 wd from 9 March end Thu 10 Sept 2026
 *     (9 March – 10 Sept: 134 weekdays minus Easter Monday, Koningsdag, Hemelvaart and
 *     Pinkstermaandag). The old rule (R = natural finish − PD = 135) gave Thu 17 Sept: the
 *     5-day gap twice.
 *   PD 2 March, DD Mon 16 March: R = 130 from 16 March: Thu 17 Sept.
 *   PD = DD = 16 March: done = 5 (9–13 March), R = 125 from 16 March: Thu 10 Sept. */
static void test_progress_doubled_gap(void **state) {
    tc t;
    tc_load(&t, state, PM_SCHEMA);
    set_done(&t, "p", "2026-02-23", "2026-03-06");
    set_started(&t, "s", "2026-03-09");
    tc_run_pd(&t, "2026-03-02", "2026-03-02");
    check_ef(&t, "s", "2026-03-09", "2026-09-10");
    check(&t, "m", "2026-09-10", "2026-09-10", "2026-09-10", "2026-09-10", 0, true);
    assert_false(R(&t, "s")->out_of_sequence);
    tc_run_pd(&t, "2026-03-02", "2026-03-16");
    check_ef(&t, "s", "2026-03-09", "2026-09-17");
    tc_run_pd(&t, "2026-03-16", "2026-03-16");
    check_ef(&t, "s", "2026-03-09", "2026-09-10");
    /* the same with bs_schedule_compute (PD = DD) */
    bs_schedule o;
    assert_int_equal(bs_schedule_compute(t.schema, t.progress, D("2026-03-02"), t.cal, &o), BS_SCHEDULE_OK);
    char b[11];
    assert_string_equal(fmt(o.steps[idx(&t, "s")].early_finish, b), "2026-09-10");
    assert_int_equal(o.progress_date, D("2026-03-02"));
    bs_schedule_free(&o);
    tc_free(&t);
}

/* The issue's shape: the file's date (PD) lies before the predecessor's finish and today
 * (DD) a year and a half later. P DONE 17 Feb – Mon 3 March 2025, S (130 wd) STARTED Tue
 * 4 March 2025, PD Mon 6 Jan 2025.
 *   DD = PD: S runs 130 wd from Tue 4 March 2025 and ends Fri 5 Sept 2025 (as if R were
 *     given: 130 wd, no work done by PD).
 *   DD = Fri 4 Dec 2026: no work is known to be done, R = 130 from DD: Fri 11 June 2027.
 *   With R given as 130 the dates are the same: the derived R no longer contains the gap. */
static void test_progress_issue_case(void **state) {
    tc t;
    tc_load(&t, state, PM_SCHEMA);
    set_done(&t, "p", "2025-02-17", "2025-03-03");
    set_started(&t, "s", "2025-03-04");
    tc_run_pd(&t, "2025-01-06", "2025-01-06");
    check_ef(&t, "s", "2025-03-04", "2025-09-05");
    tc_run_pd(&t, "2025-01-06", "2026-12-04");
    check_ef(&t, "s", "2025-03-04", "2027-06-11");
    t.edit.ov[idx(&t, "s")].remaining = 130;
    tc_run_pd(&t, "2025-01-06", "2025-01-06");
    check_ef(&t, "s", "2025-03-04", "2025-09-05");
    tc_free(&t);
}

/* Work done up to PD, remaining work from DD (§5.9 examples 1, 4, 7).
 *   P (10 wd) DONE 2–13 Feb; S (20 wd) STARTED Mon 16 Feb; PD Fri 27 Feb, DD Mon 16 March:
 *     done 9 (16–20, 23–26 Feb), R 11: Mon 16 – Mon 30 March (not "finished today").
 *   A (10 wd) STARTED Mon 2 March, D (10 wd, FS after A) STARTED Wed 4 March, PD Fri 6 March,
 *     DD Mon 9 March: A done 4, R 6: 9–16 March; D done 2, R 8, after A: Tue 17 – Thu 26
 *     March (out of sequence, retained logic).
 *   G (20 wd) STARTED Mon 2 March with remaining 3, PD Fri 6 March, DD Mon 16 March: 16–18
 *     March. */
static void test_progress_work_done(void **state) {
    tc t;
    tc_load(&t, state,
            SCHEMA(STEP_WD("p", 10) "}," STEP_WD("s", 20) ",\"depends_on\":[" FS0("p") "]}," STEP_WD(
                "a", 10) "}," STEP_WD("d", 10) ",\"depends_on\":[" FS0("a") "]}," STEP_WD("g", 20) "}"));
    set_done(&t, "p", "2026-02-02", "2026-02-13");
    set_started(&t, "s", "2026-02-16");
    tc_run_pd(&t, "2026-02-27", "2026-03-16");
    check_ef(&t, "s", "2026-02-16", "2026-03-30");
    set_started(&t, "a", "2026-03-02");
    set_started(&t, "d", "2026-03-04");
    set_started(&t, "g", "2026-03-02");
    t.edit.ov[idx(&t, "g")].remaining = 3;
    tc_run_pd(&t, "2026-03-06", "2026-03-09");
    check_ef(&t, "a", "2026-03-02", "2026-03-16");
    check_ef(&t, "d", "2026-03-04", "2026-03-26");
    assert_true(R(&t, "d")->out_of_sequence);
    assert_false(R(&t, "a")->out_of_sequence);
    tc_run_pd(&t, "2026-03-06", "2026-03-16");
    check_ef(&t, "g", "2026-03-02", "2026-03-18");
    /* A: done 4, R 6 from Mon 16 March: Mon 23 March; D: R 8 after A: Tue 24 March – Thu 2 April */
    check_ef(&t, "a", "2026-03-02", "2026-03-23");
    check_ef(&t, "d", "2026-03-04", "2026-04-02");
    tc_free(&t);
}

/* Out of sequence with PD before DD (§5.9 example 3) and predecessors finishing before, at
 * and after the dates.
 *   A (10 wd) OPEN; D (10 wd, FS after A) STARTED Mon 2 March; PD Fri 6 March, DD Mon 9
 *     March: A 9–20 March; D done 4, R 6, waits for A: 23–30 March; both critical.
 *   P DONE Fri 13 March, S STARTED Mon 16 March (10 wd), PD = DD = Mon 16 March (the
 *     predecessor finished just before PD): done 0, R 10: 16–27 March.
 *   P DONE Wed 18 March (after PD and DD), S STARTED Thu 19 March: done 0, R 10 from S's
 *     start: Thu 19 March – Wed 1 April. */
static void test_progress_out_of_sequence(void **state) {
    tc t;
    tc_load(&t, state,
            SCHEMA(STEP_WD("a", 10) "}," STEP_WD("d", 10) ",\"depends_on\":[" FS0("a") "]}," STEP_WD(
                "p", 5) "}," STEP_WD("s", 10) ",\"depends_on\":[" FS0("p") "]}"));
    set_started(&t, "d", "2026-03-02");
    set_done(&t, "p", "2026-03-09", "2026-03-13");
    set_started(&t, "s", "2026-03-16");
    tc_run_pd(&t, "2026-03-06", "2026-03-09");
    check(&t, "a", "2026-03-09", "2026-03-20", "2026-03-09", "2026-03-20", 0, true);
    check_ef(&t, "d", "2026-03-02", "2026-03-30");
    assert_true(R(&t, "d")->critical);
    assert_true(R(&t, "d")->out_of_sequence);
    tc_run_pd(&t, "2026-03-16", "2026-03-16");
    check_ef(&t, "s", "2026-03-16", "2026-03-27");
    set_done(&t, "p", "2026-03-12", "2026-03-18");
    set_started(&t, "s", "2026-03-19");
    tc_run_pd(&t, "2026-03-16", "2026-03-16");
    check_ef(&t, "s", "2026-03-19", "2026-04-01");
    assert_false(R(&t, "s")->out_of_sequence);
    tc_free(&t);
}

/* Calendar days and statutory terms (§5.9 examples 5, 6).
 *   T (42 cd) STARTED Mon 2 March, PD Wed 11 March, DD Mon 16 March: done 9, R 33: 16 March
 *     + 32 = Fri 17 April.
 *   W (56 cd, statutory) STARTED Mon 2 March, PD = DD = Mon 16 March: done 14, R 42: nominal
 *     Sun 26 April, Koningsdag Mon 27: Tue 28 April (Atw art. 1, 3).
 *   U (10 cd) STARTED Wed 11 March, PD Mon 2 March, DD Mon 16 March: started after PD, done 0,
 *     R 10 from DD: Wed 25 March (the old rule took R = 20 March − 2 March + 1 = 19: Fri 3
 *     April).
 *   V (10 cd) after P (5 wd, DONE Mon 9 – Fri 13 March), STARTED Sat 14 March (calendar-day
 *     work may start on a Saturday), PD = DD = Wed 11 March: done 0, R 10; the remaining work
 *     starts on V's start Sat 14 March: Mon 23 March. */
static void test_progress_calendar_days(void **state) {
    tc t;
    tc_load(&t, state,
            SCHEMA(STEP_CD("t", 42) "}," STEP_CD("w", 56) ",\"statutory\":true}," STEP_CD("u", 10) "}," STEP_WD(
                "p", 5) "}," STEP_CD("v", 10) ",\"depends_on\":[" FS0("p") "]}"));
    set_started(&t, "t", "2026-03-02");
    set_started(&t, "w", "2026-03-02");
    set_started(&t, "u", "2026-03-11");
    tc_run_pd(&t, "2026-03-11", "2026-03-16");
    check_ef(&t, "t", "2026-03-02", "2026-04-17");
    tc_run_pd(&t, "2026-03-16", "2026-03-16");
    check_ef(&t, "w", "2026-03-02", "2026-04-28");
    tc_run_pd(&t, "2026-03-02", "2026-03-16");
    check_ef(&t, "u", "2026-03-11", "2026-03-25");
    set_done(&t, "p", "2026-03-09", "2026-03-13");
    set_started(&t, "v", "2026-03-14");
    tc_run_pd(&t, "2026-03-11", "2026-03-11");
    check_ef(&t, "v", "2026-03-14", "2026-03-23");
    tc_free(&t);
}

/* A started milestone, an open step, PD > DD refused (§5.9 example 8).
 *   A (5 wd) OPEN -> M (milestone) STARTED Wed 4 March -> B (3 wd); PD Mon 2 March, DD Sat
 *   14 March: M at the start of Sat 14 March; A Mon 16 – Fri 20 March; B Mon 16 – Wed 18
 *   March, float 2; M out of sequence. */
static void test_progress_milestone(void **state) {
    tc t;
    tc_load(&t, state,
            SCHEMA(STEP_WD("a",
                           5) "},"
                              "{\"key\":\"m\",\"name\":\"m\",\"stream\":\"public\",\"source\":\"t\",\"milestone\":true,"
                              "\"duration\":{\"value\":0,\"unit\":\"working_days\"},\"depends_on\":[" FS0(
                                  "a") "]}," STEP_WD("b", 3) ",\"depends_on\":[" FS0("m") "]}"));
    set_started(&t, "m", "2026-03-04");
    tc_run_pd(&t, "2026-03-02", "2026-03-14");
    check_ef(&t, "m", "2026-03-04", "2026-03-14");
    check_ef(&t, "a", "2026-03-16", "2026-03-20");
    check_ef(&t, "b", "2026-03-16", "2026-03-18");
    assert_int_equal(R(&t, "a")->total_float, 0);
    assert_int_equal(R(&t, "b")->total_float, 2);
    assert_true(R(&t, "m")->out_of_sequence);
    assert_int_equal(tc_try_pd(&t, "2026-03-16", "2026-03-14"), BS_SCHEDULE_EINVAL);
    tc_free(&t);
}

/* Properties over random progress (no given remaining durations, working-day steps, FS
 * links): (1) a step that started on or after PD is scheduled the same for every PD up to
 * its start (no work done, nothing else depends on PD); (2) moving PD later (up to DD) never
 * moves an early finish later (more work known done); (3) every started step finishes no
 * earlier than its remaining start + its remaining duration. */
static void test_progress_random(void **state) {
    uint32_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        char json[8192] = SCHEMA_OPEN;
        int n = 2 + (int)(seed % 9);
        size_t len = strlen(json);
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            int d = 1 + (int)((seed >> 8) % 30);
            len += (size_t)snprintf(json + len, sizeof json - len,
                                    "%s{\"key\":\"s%d\",\"name\":\"s\",\"stream\":\"public\",\"source\":\"t\","
                                    "\"duration\":{\"value\":%d,\"unit\":\"working_days\"}",
                                    i ? "," : "", i, d);
            if (i > 0) {
                seed = seed * 1103515245u + 12345u;
                int p = (int)((seed >> 8) % (uint32_t)i);
                len += (size_t)snprintf(json + len, sizeof json - len,
                                        ",\"depends_on\":[{\"step\":\"s%d\",\"type\":\"FS\",\"lag\":{\"value\":0,"
                                        "\"unit\":\"working_days\"}}]",
                                        p);
            }
            len += (size_t)snprintf(json + len, sizeof json - len, "}");
        }
        snprintf(json + len, sizeof json - len, "]}");
        tc t;
        tc_load(&t, state, json);
        /* statuses: started on a random day in Feb–March 2026; PD, DD in March–April */
        bs_day base = D("2026-02-02");
        for (int i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 8) % 3 == 0)
                t.progress[i] =
                    (bs_progress){BS_STATUS_STARTED, base + (bs_day)((seed >> 12) % 60), BS_DAY_NONE, false};
        }
        seed = seed * 1103515245u + 12345u;
        bs_day dd = D("2026-03-02") + (bs_day)((seed >> 8) % 50);
        bs_day pd1 = base - 7, pd2 = dd - (bs_day)((seed >> 16) % 20);
        char s_dd[11], s_pd1[11], s_pd2[11];
        bs_date_format(dd, s_dd);
        bs_date_format(pd1, s_pd1);
        bs_date_format(pd2, s_pd2);
        tc_run_pd(&t, s_pd1, s_dd);
        bs_day *ef1 = calloc((size_t)n, sizeof *ef1);
        assert_non_null(ef1);
        for (int i = 0; i < n; i++) ef1[i] = t.out.steps[i].early_finish;
        /* (1) PD just before the earliest start: same schedule as PD long before */
        bs_day first = BS_DAY_NONE;
        for (int i = 0; i < n; i++)
            if (t.progress[i].status == BS_STATUS_STARTED &&
                (first == BS_DAY_NONE || t.progress[i].actual_start < first))
                first = t.progress[i].actual_start;
        if (first != BS_DAY_NONE && first <= dd) {
            char s_first[11];
            tc_run_pd(&t, bs_date_format(first, s_first), s_dd);
            for (int i = 0; i < n; i++)
                if (t.out.steps[i].early_finish != ef1[i])
                    fail_msg("round %d: s%d moved when PD moved up to the first start", round, i);
        }
        /* (2), (3) */
        tc_run_pd(&t, s_pd2, s_dd);
        for (int i = 0; i < n; i++) {
            if (ef1[i] != BS_DAY_NONE && t.out.steps[i].early_finish > ef1[i])
                fail_msg("round %d: s%d finishes later with a later progress date", round, i);
            if (t.progress[i].status == BS_STATUS_STARTED) {
                int32_t es_b = bs_calendar_boundary_before(t.cal, t.progress[i].actual_start);
                int32_t pd_b = bs_calendar_boundary_before(t.cal, pd2);
                int32_t done = pd_b > es_b ? pd_b - es_b : 0;
                int32_t rem = t.schema->steps[i].duration - done;
                if (rem < 1) rem = 1;
                int32_t rs_b = bs_calendar_boundary_before(t.cal, dd);
                if (es_b > rs_b) rs_b = es_b;
                assert_true(t.out.steps[i].ef_b >= rs_b + rem);
            }
        }
        free(ef1);
        tc_free(&t);
    }
}

/* Link edits: a cycle is refused with its path; what-if ops validate their fields. */
static void test_cycles_and_ops(void **state) {
    tc t;
    tc_load(
        &t, state,
        SCHEMA(STEP_WD("a", 1) "}," STEP_WD("b", 1) ",\"depends_on\":[" DEP("a", "FS", 0, "working_days") "]}," STEP_WD(
            "c", 1) ",\"depends_on\":[" DEP("b", "FS", 0, "working_days") "]}"));
    char field[64], msg[256];
    json_t *ch = json_loads("[{\"op\":\"add_link\",\"pred\":\"c\",\"succ\":\"a\",\"type\":\"SS\"}]", 0, NULL);
    assert_int_equal(bs_whatif_apply(&t.edit, t.schema, ch, field, sizeof field, msg, sizeof msg), 0);
    json_decref(ch);
    assert_int_equal(tc_try(&t, "2026-06-01"), BS_SCHEDULE_ECYCLE);
    assert_int_equal(t.out.n_cycle, 3);
    assert_int_equal(t.out.cycle[0], idx(&t, "a"));
    assert_int_equal(t.out.cycle[1], idx(&t, "b"));
    assert_int_equal(t.out.cycle[2], idx(&t, "c"));
    assert_null(t.out.steps);

    ch = json_loads("[{\"op\":\"remove_link\",\"pred\":\"c\",\"succ\":\"a\"},"
                    "{\"op\":\"set_link\",\"pred\":\"a\",\"succ\":\"b\",\"type\":\"FF\",\"lag\":-1}]",
                    0, NULL);
    assert_int_equal(bs_whatif_apply(&t.edit, t.schema, ch, field, sizeof field, msg, sizeof msg), 0);
    json_decref(ch);
    tc_run(&t, "2026-06-01");
    assert_int_equal(t.edit.links[bs_sched_edit_find_link(&t.edit, 0, 1)].type, BS_LINK_FF);

    const struct {
        const char *json, *field;
    } bad[] = {
        {"[{\"op\":\"set_link\",\"pred\":\"a\",\"succ\":\"c\"}]", "changes[0].succ"},
        {"[{\"op\":\"add_link\",\"pred\":\"a\",\"succ\":\"b\",\"type\":\"FF\"}]", "changes[0].type"},
        {"[{\"op\":\"add_link\",\"pred\":\"a\",\"succ\":\"b\",\"type\":\"SS\"},"
         "{\"op\":\"set_link\",\"pred\":\"a\",\"succ\":\"b\",\"lag\":2}]",
         "changes[1].current_type"},
        {"[{\"op\":\"remove_link\",\"pred\":\"a\",\"succ\":\"b\",\"current_type\":\"SF\"}]", "changes[0].current_type"},
        {"[{\"op\":\"add_link\",\"pred\":\"a\",\"succ\":\"zz\"}]", "changes[0].succ"},
        {"[{\"op\":\"add_link\",\"pred\":\"a\",\"succ\":\"c\",\"type\":\"XX\"}]", "changes[0].type"},
        {"[{\"op\":\"add_link\",\"pred\":\"a\",\"succ\":\"c\",\"lag_unit\":\"hours\"}]", "changes[0].lag_unit"},
        {"[{\"op\":\"set_duration\",\"step\":\"a\",\"duration\":-1}]", "changes[0].duration"},
        {"[{\"op\":\"set_constraint\",\"step\":\"a\",\"finish_no_later_than\":\"2026-02-30\"}]",
         "changes[0].finish_no_later_than"},
        {"[{\"op\":\"fly\"}]", "changes[0].op"},
        {"[{}, {\"op\":\"fly\"}]", "changes[0].op"},
        {"[{\"op\":\"set_duration\",\"step\":\"a\",\"duration\":2,\"x\":1}]", "changes[0].x"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        ch = json_loads(bad[k].json, 0, NULL);
        assert_non_null(ch);
        field[0] = 0;
        assert_int_equal(bs_whatif_apply(&t.edit, t.schema, ch, field, sizeof field, msg, sizeof msg), -1);
        if (strcmp(field, bad[k].field) != 0)
            fail_msg("%s: field %s, expected %s (%s)", bad[k].json, field, bad[k].field, msg);
        json_decref(ch);
    }
    /* the pair a -> b now has an FF and an SS link (added above): current_type picks one */
    assert_int_equal(bs_sched_edit_count_links(&t.edit, 0, 1), 2);
    ch = json_loads("[{\"op\":\"set_link\",\"pred\":\"a\",\"succ\":\"b\",\"current_type\":\"SS\",\"lag\":3}]", 0, NULL);
    assert_int_equal(bs_whatif_apply(&t.edit, t.schema, ch, field, sizeof field, msg, sizeof msg), 0);
    json_decref(ch);
    assert_int_equal(t.edit.links[bs_sched_edit_find_link_typed(&t.edit, 0, 1, BS_LINK_SS)].lag, 3);
    assert_int_equal(t.edit.links[bs_sched_edit_find_link_typed(&t.edit, 0, 1, BS_LINK_FF)].lag, -1);
    tc_free(&t);
}

/* The calendar-day float anomaly (regression) on the shipped schema: omgevingsplan_vastgesteld (+14 cd) →
 * beroepstermijn_omgevingsplan (42 cd, statutory) → omgevingsplan_onherroepelijk lie on the
 * critical path from data date Mon 5 January 2026; the term between two critical milestones
 * is now critical as well, and the critical path runs through all three in order. Every
 * unfinished step's float is the smaller of start and finish float. */
static void test_ppm_statutory_critical(void **state) {
    char path[4096];
    snprintf(path, sizeof path, "%s/processes/ppm-woningbouw.json", BS_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 17];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    tc t;
    tc_load(&t, state, buf);
    tc_run(&t, "2026-01-05");
    const char *chain[] = {"omgevingsplan_vastgesteld", "beroepstermijn_omgevingsplan", "omgevingsplan_onherroepelijk"};
    for (int k = 0; k < 3; k++)
        if (!R(&t, chain[k])->critical)
            fail_msg("%s is not critical (float %d)", chain[k], R(&t, chain[k])->total_float);
    assert_int_equal(t.out.n_paths, 1);
    int pos[3] = {-1, -1, -1};
    for (int32_t k = t.out.path_offsets[0]; k < t.out.path_offsets[1]; k++)
        for (int c = 0; c < 3; c++)
            if (t.out.path_steps[k] == idx(&t, chain[c])) pos[c] = k;
    assert_true(pos[0] >= 0 && pos[1] == pos[0] + 1 && pos[2] == pos[1] + 1);
    tc_free(&t);
}

/* ---- randomised invariants over all link types ---- */

static uint32_t rnd(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*s >> 33);
}

/* Random DAGs with every link type, both lag units, leads, milestones, calendar-day and
 * statutory steps, skipped/started/done steps and random constraints: the computation
 * succeeds; without deadlines no float is negative; critical <=> float <= 0; 0 <= free
 * float <= total float; every working-day-lag link between open non-statutory working-day
 * steps holds in the early and the late schedule; every critical path is a chain of linked
 * critical steps; a knelpunt exists exactly for each step whose early finish passes its
 * deadline. */
static void test_random_all_types(void **state) {
    uint64_t seed = 777;
    for (int round = 0; round < 400; round++) {
        int32_t n = 2 + (int32_t)(rnd(&seed) % 30);
        json_t *doc = json_object(), *steps = json_array();
        json_object_set_new(doc, "key", json_string("r"));
        json_object_set_new(doc, "name", json_string("r"));
        json_object_set_new(doc, "version", json_integer(1));
        for (int32_t i = 0; i < n; i++) {
            char key[16];
            snprintf(key, sizeof key, "s%d", i);
            json_t *st = json_object();
            json_object_set_new(st, "key", json_string(key));
            json_object_set_new(st, "name", json_string(key));
            json_object_set_new(st, "stream", json_string("public"));
            uint32_t r = rnd(&seed) % 10;
            if (r < 2) {
                json_object_set_new(st, "milestone", json_true());
            } else {
                json_t *d = json_object();
                json_object_set_new(d, "value", json_integer(1 + rnd(&seed) % 30));
                json_object_set_new(d, "unit", json_string(r >= 7 ? "calendar_days" : "working_days"));
                json_object_set_new(st, "duration", d);
                json_object_set_new(st, "source", json_string("t"));
                if (r >= 8) json_object_set_new(st, "statutory", json_true());
            }
            json_t *deps = json_array();
            for (int32_t p = 0; p < i; p++)
                if (rnd(&seed) % 6 == 0) {
                    static const char *const ty[] = {"FS", "SS", "FF", "SF"};
                    char pk[16];
                    snprintf(pk, sizeof pk, "s%d", p);
                    json_t *dep = json_object(), *lag = json_object();
                    json_object_set_new(dep, "step", json_string(pk));
                    json_object_set_new(dep, "type", json_string(ty[rnd(&seed) % 4]));
                    json_object_set_new(lag, "value", json_integer((json_int_t)(rnd(&seed) % 21) - 8));
                    json_object_set_new(lag, "unit", json_string(rnd(&seed) % 2 ? "calendar_days" : "working_days"));
                    json_object_set_new(dep, "lag", lag);
                    json_array_append_new(deps, dep);
                }
            if (json_array_size(deps))
                json_object_set_new(st, "depends_on", deps);
            else
                json_decref(deps);
            json_array_append_new(steps, st);
        }
        json_object_set_new(doc, "steps", steps);
        char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        tc t;
        tc_load(&t, state, text);
        free(text);
        const char *dds[] = {"2026-03-28", "2026-04-03", "2026-12-24", "2027-10-29"};
        const char *dd = dds[round % 4];
        bool deadlines = round % 3 == 0;
        for (int32_t i = 0; i < n; i++) {
            uint32_t r = rnd(&seed) % 12;
            bs_day a = D(dd) - 60 + (bs_day)(rnd(&seed) % 40);
            if (r == 0)
                t.progress[i].status = BS_STATUS_SKIPPED;
            else if (r == 1 && round % 2)
                t.progress[i] = (bs_progress){BS_STATUS_DONE, a, a + (bs_day)(rnd(&seed) % 20), false};
            else if (r == 2 && round % 2)
                t.progress[i] = (bs_progress){BS_STATUS_STARTED, a, BS_DAY_NONE, false};
            if (r == 3) t.edit.ov[i].snet = D(dd) + (bs_day)(rnd(&seed) % 60);
            if (r == 4 && deadlines) t.edit.ov[i].fnlt = D(dd) + (bs_day)(rnd(&seed) % 90);
            if (r == 5 && !t.schema->steps[i].milestone) t.edit.ov[i].duration = (int32_t)(rnd(&seed) % 40);
            if (t.progress[i].status == BS_STATUS_STARTED && rnd(&seed) % 2)
                t.edit.ov[i].remaining = (int32_t)(rnd(&seed) % 10);
        }
        tc_run(&t, dd);
        int32_t n_missed = 0;
        for (int32_t i = 0; i < n; i++) {
            const bs_step_result *r = &t.out.steps[i];
            bs_step_status st = t.progress[i].status;
            if (st != BS_STATUS_OPEN && st != BS_STATUS_STARTED) continue;
            if (!deadlines && r->total_float < 0)
                fail_msg("round %d: %s has negative float %d without deadlines", round, t.schema->steps[i].key,
                         r->total_float);
            assert_int_equal(r->critical, r->total_float <= 0);
            assert_true(r->free_float >= 0);
            assert_true(r->free_float <= (r->total_float > 0 ? r->total_float : 0));
            n_missed += r->deadline_missed;
            if (r->deadline_missed) assert_true(r->early_finish > t.edit.ov[i].fnlt);
        }
        assert_int_equal(n_missed, t.out.n_knelpunten);
        /* link bounds between open, non-statutory working-day steps with working-day lags */
        for (int32_t l = 0; l < t.edit.n_links; l++) {
            const bs_link *k = &t.edit.links[l];
            const bs_step *sp = &t.schema->steps[k->pred], *ss = &t.schema->steps[k->succ];
            if (t.progress[k->pred].status != BS_STATUS_OPEN || t.progress[k->succ].status != BS_STATUS_OPEN ||
                k->lag_unit != BS_UNIT_WORKING_DAYS || sp->unit != BS_UNIT_WORKING_DAYS ||
                ss->unit != BS_UNIT_WORKING_DAYS || sp->statutory || ss->statutory)
                continue;
            const bs_step_result *p = &t.out.steps[k->pred], *q = &t.out.steps[k->succ];
            int32_t a_e = k->type == BS_LINK_SS || k->type == BS_LINK_SF ? p->es_b : p->ef_b;
            int32_t a_l = k->type == BS_LINK_SS || k->type == BS_LINK_SF ? p->ls_b : p->lf_b;
            int32_t t_e = k->type == BS_LINK_FF || k->type == BS_LINK_SF ? q->ef_b : q->es_b;
            int32_t t_l = k->type == BS_LINK_FF || k->type == BS_LINK_SF ? q->lf_b : q->ls_b;
            if (t_e < a_e + k->lag || t_l < a_l + k->lag)
                fail_msg("round %d: link %s -%d %+d-> %s violated: early %d < %d or late %d < %d", round, sp->key,
                         k->type, k->lag, ss->key, t_e, a_e + k->lag, t_l, a_l + k->lag);
        }
        for (int32_t pth = 0; pth < t.out.n_paths; pth++)
            for (int32_t k = t.out.path_offsets[pth]; k < t.out.path_offsets[pth + 1]; k++) {
                int32_t v = t.out.path_steps[k];
                assert_true(t.out.steps[v].critical);
                if (k + 1 < t.out.path_offsets[pth + 1])
                    assert_true(bs_sched_edit_find_link(&t.edit, v, t.out.path_steps[k + 1]) >= 0);
            }
        tc_free(&t);
    }
}

/* ---- float of the predecessors of started steps (docs/scheduling.md §5.5, §5.9 examples 10
 * and 11). Total float (PMI, CPM): how far a step can slip without moving the project finish;
 * each case is confirmed by slipping the step with a start-no-earlier-than. ---- */

/* The project finish (a date) after setting step key's start-no-earlier-than to snet. */
static bs_day finish_with_snet(tc *t, const char *key, const char *snet, const char *dd) {
    t->edit.ov[idx(t, key)].snet = D(snet);
    tc_run(t, dd);
    bs_day f = t->out.project_finish;
    t->edit.ov[idx(t, key)].snet = BS_DAY_NONE;
    tc_run(t, dd);
    return f;
}

/* §5.9 example 10: an FF bound holds a started step's finish late. L 20 wd, A 3 wd, S 2 wd;
 * A -FS-> S, L -FF 0-> S; S STARTED Mon 2 March 2026, PD = DD = Mon 2 March.
 *   L: Mon 2 – Fri 27 March (20 weekdays). A: Mon 2 – Wed 4 March.
 *   S: R = 2, the remaining work from Thu 5 March (A's bound) would end Fri 6 March; the FF
 *     bound holds it to Fri 27 March. Project finish Fri 27 March; S and L critical.
 *   A: the remaining work of S may start as late as LF − R = Thu 26 March, so A's LF is Wed
 *     25 March, LS Mon 23 March: float 15 (the old rule rs_b + float gave LS = ES, float 0,
 *     critical). A from Mon 23 March (SNET) ends 25 March, S's remaining 26 – 27 March: the
 *     finish stays Fri 27 March; from Tue 24 March S ends Mon 30 March. */
static void test_progress_float_ff_bound(void **state) {
    tc t;
    tc_load(&t, state,
            SCHEMA(STEP_WD("l", 20) "}," STEP_WD("a", 3) "}," STEP_WD("s", 2) ",\"depends_on\":[" FS0("a") "," DEP(
                "l", "FF", 0, "working_days") "]}"));
    set_started(&t, "s", "2026-03-02");
    tc_run(&t, "2026-03-02");
    char b[11];
    assert_string_equal(fmt(t.out.project_finish, b), "2026-03-27");
    check(&t, "s", "2026-03-02", "2026-03-27", "2026-03-02", "2026-03-27", 0, true);
    check(&t, "l", "2026-03-02", "2026-03-27", "2026-03-02", "2026-03-27", 0, true);
    check(&t, "a", "2026-03-02", "2026-03-04", "2026-03-23", "2026-03-25", 15, false);
    /* free float 0: A's finish is what the remaining work of S waits for (§6 free float) */
    assert_int_equal(R(&t, "a")->free_float, 0);
    assert_string_equal(fmt(finish_with_snet(&t, "a", "2026-03-16", "2026-03-02"), b), "2026-03-27");
    assert_string_equal(fmt(finish_with_snet(&t, "a", "2026-03-23", "2026-03-02"), b), "2026-03-27");
    assert_string_equal(fmt(finish_with_snet(&t, "a", "2026-03-24", "2026-03-02"), b), "2026-03-30");
    tc_free(&t);
}

/* §5.9 example 11: an SF link into a started step bounds its predecessor backward. A 2 wd,
 * A -SF +10 wd-> S, S 3 wd STARTED Mon 2 March 2026, Z 30 wd unrelated; PD = DD = 2 March.
 *   A: Mon 2 – Tue 3 March. S: R = 3 would end Wed 4 March; the SF bound (A's start + 10 wd)
 *     holds its finish to Fri 13 March. Z: Mon 2 March – Mon 13 April (30 wd: Easter Monday
 *     6 April off, Goede Vrijdag worked). Project finish Mon 13 April.
 *   S: LF 13 April, float 20 (16 March – 13 April). A's latest start is S's LF − 10 wd = Mon
 *     30 March: LS 30 March, LF 31 March, float 20 (the old rule ignored the SF link: float
 *     28). A from Mon 30 March (SNET) keeps the finish on 13 April; from Tue 31 March S ends
 *     Tue 14 April. */
static void test_progress_float_sf_backward(void **state) {
    tc t;
    tc_load(&t, state,
            SCHEMA(STEP_WD("a", 2) "}," STEP_WD("s", 3) ",\"depends_on\":[" DEP(
                "a", "SF", 10, "working_days") "]}," STEP_WD("z", 30) "}"));
    set_started(&t, "s", "2026-03-02");
    tc_run(&t, "2026-03-02");
    char b[11];
    assert_string_equal(fmt(t.out.project_finish, b), "2026-04-13");
    check(&t, "s", "2026-03-02", "2026-03-13", "2026-03-30", "2026-04-13", 20, false);
    check(&t, "z", "2026-03-02", "2026-04-13", "2026-03-02", "2026-04-13", 0, true);
    check(&t, "a", "2026-03-02", "2026-03-03", "2026-03-30", "2026-03-31", 20, false);
    assert_int_equal(R(&t, "a")->free_float, 0);
    assert_string_equal(fmt(finish_with_snet(&t, "a", "2026-03-30", "2026-03-02"), b), "2026-04-13");
    assert_string_equal(fmt(finish_with_snet(&t, "a", "2026-03-31", "2026-03-02"), b), "2026-04-14");
    tc_free(&t);
}

/* Property: in random small networks of working-day steps (all four link types, working-day
 * lags, some steps started, some with a given remaining duration, PD ≤ DD, no deadlines),
 * slipping an open step to ES + total float working days (start-no-earlier-than) leaves the
 * project finish where it was, and slipping it one working day further moves it. */
static void test_progress_float_slip_random(void **state) {
    uint64_t seed = 4242;
    int checked = 0, started_succ = 0;
    for (int round = 0; round < 300; round++) {
        int n = 2 + (int)(rnd(&seed) % 9);
        char json[16384] = SCHEMA_OPEN;
        size_t len = strlen(json);
        for (int i = 0; i < n; i++) {
            len += (size_t)snprintf(json + len, sizeof json - len,
                                    "%s{\"key\":\"s%d\",\"name\":\"s\",\"stream\":\"public\",\"source\":\"t\","
                                    "\"duration\":{\"value\":%u,\"unit\":\"working_days\"}",
                                    i ? "," : "", i, 1 + rnd(&seed) % 15);
            int nd = 0;
            for (int p = 0; p < i; p++) {
                if (rnd(&seed) % 3 != 0) continue;
                static const char *const ty[] = {"FS", "SS", "FF", "SF"};
                len += (size_t)snprintf(json + len, sizeof json - len,
                                        "%s{\"step\":\"s%d\",\"type\":\"%s\",\"lag\":{\"value\":%d,"
                                        "\"unit\":\"working_days\"}}",
                                        nd++ ? "," : ",\"depends_on\":[", p, ty[rnd(&seed) % 4],
                                        (int)(rnd(&seed) % 13) - 3);
            }
            len += (size_t)snprintf(json + len, sizeof json - len, "%s}", nd ? "]" : "");
        }
        snprintf(json + len, sizeof json - len, "]}");
        tc t;
        tc_load(&t, state, json);
        bs_day dd = D("2026-03-02") + (bs_day)(rnd(&seed) % 40);
        bs_day pd = dd - (bs_day)(rnd(&seed) % 15);
        for (int i = 0; i < n; i++) {
            uint32_t r = rnd(&seed) % 10;
            if (r < 4) {
                t.progress[i] =
                    (bs_progress){BS_STATUS_STARTED, dd - 30 + (bs_day)(rnd(&seed) % 35), BS_DAY_NONE, false};
                if (rnd(&seed) % 3 == 0) t.edit.ov[i].remaining = (int32_t)(rnd(&seed) % 8);
            } else if (r == 4) {
                bs_day a = dd - 40 + (bs_day)(rnd(&seed) % 20);
                t.progress[i] = (bs_progress){BS_STATUS_DONE, a, a + (bs_day)(rnd(&seed) % 15), false};
            }
        }
        char s_dd[11], s_pd[11];
        bs_date_format(dd, s_dd);
        bs_date_format(pd, s_pd);
        tc_run_pd(&t, s_pd, s_dd);
        const bs_day pf = t.out.project_finish;
        int32_t *es_b = calloc((size_t)n, sizeof *es_b), *tf = calloc((size_t)n, sizeof *tf);
        assert_non_null(es_b);
        assert_non_null(tf);
        for (int i = 0; i < n; i++) {
            es_b[i] = t.out.steps[i].es_b;
            tf[i] = t.out.steps[i].total_float;
        }
        for (int i = 0; i < n; i++) {
            if (t.progress[i].status != BS_STATUS_OPEN) continue;
            assert_true(tf[i] >= 0);
            bool before_started = false;
            for (int32_t l = 0; l < t.edit.n_links; l++)
                before_started |=
                    t.edit.links[l].pred == i && t.progress[t.edit.links[l].succ].status == BS_STATUS_STARTED;
            started_succ += before_started;
            for (int extra = 0; extra <= 1; extra++) {
                t.edit.ov[i].snet = bs_calendar_wd_date(t.cal, es_b[i] + tf[i] + extra);
                tc_run_pd(&t, s_pd, s_dd);
                bs_day got = t.out.project_finish;
                char a[11], b[11];
                if (extra == 0 && got != pf)
                    fail_msg("round %d: slipping s%d by its float %d moved the finish %s -> %s\n%s", round, i, tf[i],
                             fmt(pf, a), fmt(got, b), json);
                if (extra == 1 && got <= pf)
                    fail_msg("round %d: slipping s%d by float %d + 1 left the finish at %s\n%s", round, i, tf[i],
                             fmt(got, b), json);
            }
            t.edit.ov[i].snet = BS_DAY_NONE;
            checked++;
        }
        free(es_b);
        free(tf);
        tc_free(&t);
    }
    assert_true(checked > 300);
    assert_true(started_succ > 50); /* the property is exercised on predecessors of started steps */
}

static int setup_cal(void **state) {
    bs_calendar *cal = calloc(1, sizeof *cal);
    if (!cal) return -1;
    bs_calendar_options o = bs_calendar_default_options();
    if (bs_calendar_init(cal, &o, 2024, 2035) != 0) {
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
        cmocka_unit_test(test_ss),
        cmocka_unit_test(test_ff_sf),
        cmocka_unit_test(test_constraints),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_progress_doubled_gap),
        cmocka_unit_test(test_progress_issue_case),
        cmocka_unit_test(test_progress_work_done),
        cmocka_unit_test(test_progress_out_of_sequence),
        cmocka_unit_test(test_progress_calendar_days),
        cmocka_unit_test(test_progress_milestone),
        cmocka_unit_test(test_progress_random),
        cmocka_unit_test(test_cycles_and_ops),
        cmocka_unit_test(test_ppm_statutory_critical),
        cmocka_unit_test(test_random_all_types),
        cmocka_unit_test(test_progress_float_ff_bound),
        cmocka_unit_test(test_progress_float_sf_backward),
        cmocka_unit_test(test_progress_float_slip_random),
    };
    return cmocka_run_group_tests(tests, setup_cal, teardown_cal);
}
