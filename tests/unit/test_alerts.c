/*
 * Notifier: alert planning (notifier/alerts.c), pure. A small two-stream schema, a
 * schedule from a data date, and recipients with different rules and streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "alerts.h"
#include "calendar.h"
#include "schedule.h"
#include "schema.h"
#include "templates.h"

/* public: akkoord (milestone) → vergunning (10 wd) → verleend (milestone)
 * private: ontwerp (20 wd) → aanvraag (milestone, needs akkoord) → bouw (30 wd, needs verleend) → oplevering */
static const char schema_json[] =
    "{\"key\":\"t\",\"name\":\"t\",\"version\":1,\"steps\":["
    "{\"key\":\"akkoord\",\"name\":\"Akkoord\",\"stream\":\"public\",\"phase\":\"initiatief\",\"milestone\":true},"
    "{\"key\":\"ontwerp\",\"name\":\"Ontwerp\",\"stream\":\"private\",\"phase\":\"ontwerp\","
    " \"duration\":{\"value\":20,\"unit\":\"working_days\"},\"source\":\"test\"},"
    "{\"key\":\"aanvraag\",\"name\":\"Aanvraag\",\"stream\":\"private\",\"phase\":\"voorbereiding\",\"milestone\":true,"
    " \"depends_on\":[{\"step\":\"ontwerp\"},{\"step\":\"akkoord\"}]},"
    "{\"key\":\"vergunning\",\"name\":\"Vergunning\",\"stream\":\"public\",\"phase\":\"voorbereiding\","
    " \"duration\":{\"value\":10,\"unit\":\"working_days\"},\"source\":\"test\",\"depends_on\":[{\"step\":\"aanvraag\"}]},"
    "{\"key\":\"verleend\",\"name\":\"Verleend\",\"stream\":\"public\",\"phase\":\"voorbereiding\",\"milestone\":true,"
    " \"depends_on\":[{\"step\":\"vergunning\"}]},"
    "{\"key\":\"bouw\",\"name\":\"Bouw\",\"stream\":\"private\",\"phase\":\"realisatie\","
    " \"duration\":{\"value\":30,\"unit\":\"working_days\"},\"source\":\"test\",\"depends_on\":[{\"step\":\"verleend\"}]},"
    "{\"key\":\"oplevering\",\"name\":\"Oplevering\",\"stream\":\"private\",\"phase\":\"realisatie\",\"milestone\":true,"
    " \"depends_on\":[{\"step\":\"bouw\"}]}]}";

typedef struct fixture {
    bs_schema *s;
    bs_calendar cal;
    bs_progress prog[7];
    bs_schedule sched;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    bs_schema_problems pr = {0};
    f->s = bs_schema_load(schema_json, strlen(schema_json), false, &pr);
    if (!f->s) return -1;
    bs_calendar_options o = bs_calendar_default_options();
    bs_calendar_init(&f->cal, &o, 2020, 2030);
    for (int i = 0; i < 7; i++) f->prog[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    /* akkoord realised; data date Mon 2026-01-05: ontwerp 5 Jan–30 Jan, aanvraag 30 Jan,
     * vergunning 2 Feb–13 Feb, verleend 13 Feb, bouw 16 Feb–27 Mar, oplevering 27 Mar */
    f->prog[0] = (bs_progress){BS_STATUS_DONE, BS_DAY_NONE, bs_date_from_ymd(2025, 12, 1), false};
    if (bs_schedule_compute(f->s, f->prog, bs_date_from_ymd(2026, 1, 5), &f->cal, &f->sched) != BS_SCHEDULE_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    bs_schedule_free(&f->sched);
    bs_calendar_free(&f->cal);
    bs_schema_free(f->s);
    free(f);
    return 0;
}

static int find(const bs_alert_want *w, int n, const bs_schema *s, const char *key, bs_alert_kind k, int r) {
    int32_t i = bs_schema_find(s, key);
    for (int j = 0; j < n; j++)
        if (w[j].step == i && w[j].kind == k && w[j].recipient == r) return j;
    return -1;
}

static bs_alert_recipient everyone(const char *id) {
    bs_alert_recipient r = {.user_id = id, .stream_public = true, .stream_private = true};
    for (int k = 0; k < BS_ALERT_N_KINDS; k++) r.enabled[k] = true;
    r.days[BS_ALERT_MILESTONE_UPCOMING] = 10;
    r.days[BS_ALERT_FORECAST_SLIPPED] = 10;
    return r;
}

static void test_upcoming_and_overdue(void **state) {
    fixture *f = *state;
    assert_int_equal(f->sched.steps[bs_schema_find(f->s, "verleend")].early_finish, bs_date_from_ymd(2026, 2, 13));
    bs_alert_recipient rs[1] = {everyone("pl")};
    bs_alert_want w[64];
    /* today 2026-02-02: aanvraag (30 Jan) is overdue, verleend (13 Feb) upcoming */
    int n = bs_alert_plan(f->s, f->prog, &f->sched, NULL, &f->cal, bs_date_from_ymd(2026, 2, 2), rs, 1, w, 64);
    int j = find(w, n, f->s, "verleend", BS_ALERT_MILESTONE_UPCOMING, 0);
    assert_true(j >= 0);
    /* 10 working days before Fri 13 Feb 2026 is Fri 30 Jan 2026 */
    assert_int_equal(w[j].due_date, bs_date_from_ymd(2026, 1, 30));
    j = find(w, n, f->s, "aanvraag", BS_ALERT_MILESTONE_OVERDUE, 0);
    assert_true(j >= 0);
    assert_int_equal(w[j].due_date, bs_date_from_ymd(2026, 2, 2)); /* first working day after Fri 30 Jan */
    assert_int_equal(find(w, n, f->s, "aanvraag", BS_ALERT_MILESTONE_UPCOMING, 0), -1);
    assert_int_equal(find(w, n, f->s, "akkoord", BS_ALERT_MILESTONE_OVERDUE, 0), -1); /* realised */
}

static void test_blocked_by_other_stream(void **state) {
    fixture *f = *state;
    bs_alert_recipient rs[1] = {everyone("pl")};
    bs_alert_want w[64];
    /* today 2026-02-20: verleend (public, 13 Feb) is overdue and bouw (private) waits on it */
    int n = bs_alert_plan(f->s, f->prog, &f->sched, NULL, &f->cal, bs_date_from_ymd(2026, 2, 20), rs, 1, w, 64);
    int j = find(w, n, f->s, "bouw", BS_ALERT_BLOCKED, 0);
    assert_true(j >= 0);
    assert_int_equal(w[j].rev_step, bs_schema_find(f->s, "verleend"));
    assert_int_equal(w[j].due_date, bs_date_from_ymd(2026, 2, 20));
    /* a step waiting on its own stream is not "blocked by the other stream" */
    assert_int_equal(find(w, n, f->s, "oplevering", BS_ALERT_BLOCKED, 0), -1);
    /* with the rule off, nothing */
    rs[0].enabled[BS_ALERT_BLOCKED] = false;
    n = bs_alert_plan(f->s, f->prog, &f->sched, NULL, &f->cal, bs_date_from_ymd(2026, 2, 20), rs, 1, w, 64);
    assert_int_equal(find(w, n, f->s, "bouw", BS_ALERT_BLOCKED, 0), -1);
}

static void test_stream_owner_and_overrides(void **state) {
    fixture *f = *state;
    bs_alert_recipient rs[2] = {everyone("pl"), everyone("dev")};
    rs[1].stream_public = false;                 /* owner of the private stream */
    rs[1].days[BS_ALERT_MILESTONE_UPCOMING] = 5; /* the user's own override */
    bs_alert_want w[64];
    int n = bs_alert_plan(f->s, f->prog, &f->sched, NULL, &f->cal, bs_date_from_ymd(2026, 2, 2), rs, 2, w, 64);
    assert_int_equal(find(w, n, f->s, "verleend", BS_ALERT_MILESTONE_UPCOMING, 1), -1); /* public: not theirs */
    int j = find(w, n, f->s, "oplevering", BS_ALERT_MILESTONE_UPCOMING, 1);
    assert_true(j >= 0);
    /* 5 working days before Fri 27 Mar 2026 is Fri 20 Mar 2026 */
    assert_int_equal(w[j].due_date, bs_date_from_ymd(2026, 3, 20));
    j = find(w, n, f->s, "oplevering", BS_ALERT_MILESTONE_UPCOMING, 0);
    assert_int_equal(w[j].due_date, bs_date_from_ymd(2026, 3, 13)); /* pl: 10 working days */
}

static void test_forecast_slipped_and_p50_basis(void **state) {
    fixture *f = *state;
    bs_day p50[7], base[7];
    for (int i = 0; i < 7; i++) p50[i] = base[i] = BS_DAY_NONE;
    int32_t op = bs_schema_find(f->s, "oplevering");
    base[op] = bs_date_from_ymd(2026, 4, 1);
    p50[op] = bs_date_from_ymd(2026, 4, 20); /* 19 calendar days later */
    bs_alert_forecast fc = {.p50 = p50, .baseline = base};
    bs_alert_recipient rs[1] = {everyone("pl")};
    bs_alert_want w[64];
    int n = bs_alert_plan(f->s, f->prog, &f->sched, &fc, &f->cal, bs_date_from_ymd(2026, 2, 2), rs, 1, w, 64);
    int j = find(w, n, f->s, "oplevering", BS_ALERT_FORECAST_SLIPPED, 0);
    assert_true(j >= 0);
    assert_int_equal(w[j].date, p50[op]);
    rs[0].days[BS_ALERT_FORECAST_SLIPPED] = 20; /* more than 19 days needed */
    n = bs_alert_plan(f->s, f->prog, &f->sched, &fc, &f->cal, bs_date_from_ymd(2026, 2, 2), rs, 1, w, 64);
    assert_int_equal(find(w, n, f->s, "oplevering", BS_ALERT_FORECAST_SLIPPED, 0), -1);
    /* upcoming counted back from the P50 (Mon 20 Apr 2026 − 10 wd = Mon 6 Apr 2026: Easter Monday
     * 6 Apr is a holiday, so the 10th working day back is Fri 3 Apr 2026) */
    rs[0].upcoming_from_p50 = true;
    n = bs_alert_plan(f->s, f->prog, &f->sched, &fc, &f->cal, bs_date_from_ymd(2026, 2, 2), rs, 1, w, 64);
    j = find(w, n, f->s, "oplevering", BS_ALERT_MILESTONE_UPCOMING, 0);
    assert_true(j >= 0);
    assert_int_equal(w[j].date, p50[op]);
    assert_int_equal(w[j].due_date, bs_calendar_add_working_days(&f->cal, p50[op], -10));
    assert_int_equal(w[j].due_date, bs_date_from_ymd(2026, 4, 3));
}

/* A new follower's summary (kind follow_summary, docs/alerts.md): one mail naming the project
 * and every late item, in Dutch and English, with the settings link and no unsubscribe link
 * (it is no rule kind). */
static void test_follow_summary_mail(void **state) {
    (void)state;
    json_t *p = json_pack(
        "{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
        "s:s, s:s}]}",
        "project_id", "11111111-1111-1111-1111-111111111111", "project_name", "Stationskwartier", "gemeente",
        "Voorbeeldstad", "items", "kind", "milestone_overdue", "project_id", "11111111-1111-1111-1111-111111111111",
        "project_name", "Stationskwartier", "step_key", "akkoord", "step_name", "Principeakkoord", "date", "2021-03-01",
        "kind", "blocked_by_other_stream", "project_id", "11111111-1111-1111-1111-111111111111", "project_name",
        "Stationskwartier", "step_key", "aanvraag", "step_name", "Aanvraag", "date", "2022-05-02", "blocking_step_name",
        "Vergunning", "blocking_stream", "public", "stream", "private");
    assert_non_null(p);
    bs_mail_text t = {0};
    assert_int_equal(bs_mail_text_build("follow_summary", "nl", p, "https://bs.example", &t), 0);
    assert_string_equal(t.subject, "Bouwstroom: Stationskwartier (Voorbeeldstad): 2 punten al te laat");
    assert_non_null(strstr(t.text, "U volgt nu Stationskwartier (Voorbeeldstad)"));
    assert_non_null(strstr(t.text, "- Mijlpaal verlopen: Principeakkoord (Stationskwartier), gepland 2021-03-01"));
    assert_non_null(strstr(t.text, "- Geblokkeerd: Aanvraag (Stationskwartier) wacht op Vergunning"));
    assert_non_null(strstr(t.text, "https://bs.example/projects/11111111-1111-1111-1111-111111111111/steps/akkoord"));
    assert_non_null(strstr(t.text, "https://bs.example/settings/alerts"));
    assert_null(strstr(t.text, "/unsubscribe/"));
    assert_non_null(strstr(t.html, "Principeakkoord"));
    bs_mail_text_free(&t);
    assert_int_equal(bs_mail_text_build("follow_summary", "en", p, "https://bs.example", &t), 0);
    assert_string_equal(t.subject, "Bouwstroom: Stationskwartier (Voorbeeldstad): 2 items already late");
    assert_non_null(strstr(t.text, "- Milestone overdue: Principeakkoord (Stationskwartier), planned 2021-03-01"));
    bs_mail_text_free(&t);
    json_decref(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upcoming_and_overdue),       cmocka_unit_test(test_blocked_by_other_stream),
        cmocka_unit_test(test_stream_owner_and_overrides), cmocka_unit_test(test_forecast_slipped_and_p50_basis),
        cmocka_unit_test(test_follow_summary_mail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
