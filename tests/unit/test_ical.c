/*
 * Unit tests for notifier/ical.c: the iCalendar feed renderer.
 * Round trip through libical's parser, folding (<= 75 octets, never inside a UTF-8
 * character) with Dutch text and emoji, TEXT escaping, exclusive DTEND, determinism,
 * render-time independence apart from DTSTAMP, SEQUENCE on a date change, UID and ETag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libical/ical.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample_feed.h"

#define T0 INT64_C(1764414000) /* 2025-11-29T11:00:00Z */
#define T1 INT64_C(1767225599) /* 2025-12-31T23:59:59Z */

static char *render_ok(const bs_ical_calendar *cal, int64_t dtstamp) {
    char *out = NULL;
    size_t len = 0;
    int rc = bs_ical_render(cal, dtstamp, &out, &len);
    assert_int_equal(rc, BS_OK);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    return out;
}

/* Logical lines: the text with every CRLF SPACE removed (RFC 5545 §3.1 unfolding). */
static char *unfold(const char *s) {
    size_t n = strlen(s);
    char *o = malloc(n + 1), *q = o;
    assert_non_null(o);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && s[i + 1] == '\n' && (s[i + 2] == ' ' || s[i + 2] == '\t')) {
            i += 2;
            continue;
        }
        *q++ = s[i];
    }
    *q = '\0';
    return o;
}

/* True when the unfolded text has the line exactly (CRLF-terminated). */
static bool has_line(const char *text, const char *line) {
    char *u = unfold(text);
    size_t n = strlen(line);
    bool found = false;
    for (const char *p = u; p && *p;) {
        const char *e = strstr(p, "\r\n");
        if (!e) break;
        if ((size_t)(e - p) == n && memcmp(p, line, n) == 0) {
            found = true;
            break;
        }
        p = e + 2;
    }
    free(u);
    return found;
}

static bool valid_utf8(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len = c < 0x80                   ? 1
                     : (c >= 0xC2 && c <= 0xDF) ? 2
                     : (c >= 0xE0 && c <= 0xEF) ? 3
                     : (c >= 0xF0 && c <= 0xF4) ? 4
                                                : 0;
        if (len == 0 || i + len > n) return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

/* Every physical line: ends in CRLF, <= 75 octets, valid UTF-8 on its own (so no fold
 * cut a character), no bare CR or LF, continuation lines start with one space. Returns
 * the number of folds. */
static int check_physical_lines(const char *text) {
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text);
    assert_true(n >= 2);
    assert_memory_equal(text + n - 2, "\r\n", 2);
    int folds = 0;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            assert_true(i > 0 && p[i - 1] == '\r');
            size_t len = i - 1 - start;
            if (len > 75) fail_msg("line of %zu octets: %.*s", len, (int)len, text + start);
            if (!valid_utf8(p + start, len)) fail_msg("line not valid UTF-8 on its own: %.*s", (int)len, text + start);
            if (p[start] == ' ') {
                folds++;
                assert_true(len >= 2); /* a fold never leaves an empty continuation */
            }
            start = i + 1;
        } else if (p[i] == '\r') {
            assert_true(i + 1 < n && p[i + 1] == '\n');
        }
    }
    return folds;
}

static icalcomponent *parse_ok(const char *text) {
    icalcomponent *c = icalparser_parse_string(text);
    assert_non_null(c);
    assert_int_equal(icalcomponent_isa(c), ICAL_VCALENDAR_COMPONENT);
    /* libical records problems as X-LIC-ERROR properties */
    int errors = icalcomponent_count_errors(c);
    if (errors) {
        char *s = icalcomponent_as_ical_string_r(c);
        fail_msg("libical found %d errors:\n%s", errors, s);
    }
    return c;
}

static void expect_date(struct icaltimetype t, bs_day day) {
    int y, m, d;
    bs_date_to_ymd(day, &y, &m, &d);
    assert_true(t.is_date);
    assert_int_equal(t.year, y);
    assert_int_equal(t.month, m);
    assert_int_equal(t.day, d);
}

/* The expected value after the renderer's normalisation (ical.h "Text"). */
static char *normalised(const char *s, bool multiline) {
    size_t n = strlen(s);
    char *o = malloc(n + 1), *q = o;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' || s[i] == '\n') {
            if (s[i] == '\r' && s[i + 1] == '\n') i++;
            *q++ = multiline ? '\n' : ' ';
        } else if (s[i] == '\t') {
            *q++ = ' ';
        } else {
            *q++ = s[i];
        }
    }
    *q = '\0';
    return o;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_round_trip_libical(void **state) {
    (void)state;
    bs_sample_feed f;
    bs_sample_dutch(&f);
    char *text = render_ok(&f.cal, T0);
    icalcomponent *cal = parse_ok(text);

    icalproperty *p = icalcomponent_get_first_property(cal, ICAL_VERSION_PROPERTY);
    assert_string_equal(icalproperty_get_version(p), "2.0");
    p = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY);
    assert_int_equal(icalproperty_get_method(p), ICAL_METHOD_PUBLISH);
    p = icalcomponent_get_first_property(cal, ICAL_NAME_PROPERTY);
    assert_non_null(p);
    assert_string_equal(icalproperty_get_name(p), f.cal.name);
    p = icalcomponent_get_first_property(cal, ICAL_REFRESHINTERVAL_PROPERTY);
    assert_non_null(p);
    assert_int_equal(icaldurationtype_as_int(icalproperty_get_refreshinterval(p)), 60 * 60);

    int n = 0;
    for (icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT), n++) {
        assert_true(n < (int)f.cal.n_events);
        const bs_ical_event *e = &f.cal.events[n];
        assert_string_equal(icalcomponent_get_uid(ev), e->uid);
        expect_date(icalcomponent_get_dtstart(ev), e->start);
        expect_date(icalcomponent_get_dtend(ev), e->finish + 1);
        char *want = normalised(e->summary, false);
        assert_string_equal(icalcomponent_get_summary(ev), want);
        free(want);
        if (e->description) {
            want = normalised(e->description, true);
            assert_string_equal(icalcomponent_get_description(ev), want);
            free(want);
        } else {
            assert_null(icalcomponent_get_first_property(ev, ICAL_DESCRIPTION_PROPERTY));
        }
        assert_int_equal(icalcomponent_get_sequence(ev), e->sequence);
        struct icaltimetype stamp = icalcomponent_get_dtstamp(ev);
        assert_true(icaltime_is_utc(stamp));
        assert_int_equal(icaltime_as_timet(stamp), T0);
        p = icalcomponent_get_first_property(ev, ICAL_LASTMODIFIED_PROPERTY);
        assert_int_equal(icaltime_as_timet(icalproperty_get_lastmodified(p)), e->last_modified);
        p = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
        assert_int_equal(icalproperty_get_transp(p), ICAL_TRANSP_TRANSPARENT);
        p = icalcomponent_get_first_property(ev, ICAL_URL_PROPERTY);
        if (e->url)
            assert_string_equal(icalproperty_get_url(p), e->url);
        else
            assert_null(p);
        int k = 0;
        for (p = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY); p;
             p = icalcomponent_get_next_property(ev, ICAL_CATEGORIES_PROPERTY), k++)
            assert_string_equal(icalproperty_get_categories(p), e->categories[k]);
        assert_int_equal(k, (int)e->n_categories);
    }
    assert_int_equal(n, (int)f.cal.n_events);
    icalcomponent_free(cal);
    free(text);
    bs_sample_free(&f);
}

static void test_structure_and_no_tzid(void **state) {
    (void)state;
    bs_sample_feed f;
    bs_sample_dutch(&f);
    char *text = render_ok(&f.cal, T0);
    const char *head =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:" BS_ICAL_PRODID "\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nNAME:";
    assert_memory_equal(text, head, strlen(head));
    assert_true(has_line(text, "REFRESH-INTERVAL;VALUE=DURATION:PT60M"));
    assert_true(has_line(text, "X-PUBLISHED-TTL:PT60M"));
    assert_true(has_line(text, "X-WR-CALNAME:Bouwstroom — Coöperatie Ëindhoven\\; fase 2\\, "
                               "🏗️🏠 naïef café"));
    assert_true(has_line(text, "NAME:Bouwstroom — Coöperatie Ëindhoven\\; fase 2\\, "
                               "🏗️🏠 naïef café"));
    assert_true(has_line(text, "X-WR-CALDESC:Mijlpalen en stappen\\nvan project Ëindhoven\\, fase 2"));
    assert_true(has_line(text, "DTSTAMP:20251129T110000Z"));
    assert_true(has_line(text, "TRANSP:TRANSPARENT"));
    assert_null(strstr(text, "TZID"));
    assert_null(strstr(text, "VTIMEZONE"));
    size_t n = strlen(text);
    assert_string_equal(text + n - strlen("END:VEVENT\r\nEND:VCALENDAR\r\n"), "END:VEVENT\r\nEND:VCALENDAR\r\n");
    free(text);
    bs_sample_free(&f);
}

static void test_folding_dutch_and_emoji(void **state) {
    (void)state;
    /* The sample feed, then a sweep of paddings so that, for every alignment, a fold at a
     * fixed octet count would land inside "ë", "é", "—" or a 4-octet emoji. */
    bs_sample_feed f;
    bs_sample_dutch(&f);
    char *text = render_ok(&f.cal, T0);
    assert_true(check_physical_lines(text) >= 6);
    icalcomponent *c = parse_ok(text);
    icalcomponent_free(c);
    free(text);

    int naive_would_split = 0;
    for (int pad = 0; pad < 12; pad++) {
        char summary[512], desc[512];
        snprintf(
            summary, sizeof summary,
            "%.*sBouwrijp maken — fase 2 ëïé 🏗️🏠 ëïé 🏗️🏠 "
            "ëïéëïéëïé🏗️🏠🏗️🏠🏗️🏠 Coöperatie naïef café 🏗️🏠🏗️🏠🏗️🏠🏗️🏠 einde",
            pad, "xxxxxxxxxxxx");
        snprintf(desc, sizeof desc,
                 "%.*s🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠🏠\n"
                 "ééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
                 pad, "yyyyyyyyyyyy");
        f.events[0].summary = summary;
        f.events[0].description = desc;
        text = render_ok(&f.cal, T0);
        check_physical_lines(text);
        /* Would a fold at exactly 75 octets (then 74 + space) have cut a character? */
        char *u = unfold(text);
        for (const char *l = u; *l;) {
            const char *e = strstr(l, "\r\n");
            size_t len = (size_t)(e - l);
            for (size_t cut = 75; cut < len; cut += 74)
                if (((unsigned char)l[cut] & 0xC0) == 0x80) naive_would_split++;
            l = e + 2;
        }
        free(u);
        c = parse_ok(text);
        icalcomponent *ev = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
        assert_string_equal(icalcomponent_get_summary(ev), summary);
        assert_string_equal(icalcomponent_get_description(ev), desc);
        icalcomponent_free(c);
        free(text);
    }
    assert_true(naive_would_split > 20);
    bs_sample_free(&f);
}

static void test_fold_keeps_variation_selector(void **state) {
    (void)state;
    /* "🏗️" is U+1F3D7 U+FE0F: a fold between them is valid, but this renderer keeps them
     * together when it can. With 63 ASCII octets after "SUMMARY:" the octet-75 boundary
     * falls right after U+1F3D7. */
    char summary[256];
    snprintf(summary, sizeof summary, "%063d🏗️ na de bouwkeet", 0);
    bs_ical_event e = {.uid = "a.window.00000000-0000-0000-0000-000000000000@bouwstroom",
                       .summary = summary,
                       .start = bs_date_from_ymd(2026, 1, 5),
                       .finish = bs_date_from_ymd(2026, 1, 5),
                       .last_modified = T0};
    bs_ical_calendar cal = {.name = "x", .refresh_minutes = 60, .events = &e, .n_events = 1};
    char *text = render_ok(&cal, T0);
    check_physical_lines(text);
    assert_non_null(strstr(text, "\r\n 🏗️ na de bouwkeet\r\n"));
    free(text);
}

static void test_escaping(void **state) {
    (void)state;
    bs_ical_event e = {
        .uid = "start_bouw.milestone.0b6f3c1e-9d2a-4c55-8e7f-123456789abc@bouwstroom",
        .summary = "Start bouw, fase 2; blok A\\B\nregel2\ttab\x01"
                   "end",
        .description = "Gepland: 2026-03-02\nPrognose (P50): 2026-03-16, P80: 2026-03-30;\r\n"
                       "C:\\pad\rklaar\xff",
        .start = bs_date_from_ymd(2026, 3, 2),
        .finish = bs_date_from_ymd(2026, 3, 2),
        .sequence = 0,
        .last_modified = T0,
        .url = "https://bouwstroom.example/p?a=1&b=2;c,d",
        .categories = (const char *const[]){"Bouw, fase 2", "A;B"},
        .n_categories = 2,
    };
    bs_ical_calendar cal = {.name = "Feed, met; tekens\\",
                            .description = "regel 1\nregel 2",
                            .refresh_minutes = 1440,
                            .events = &e,
                            .n_events = 1};
    char *text = render_ok(&cal, T0);
    assert_true(has_line(text, "SUMMARY:Start bouw\\, fase 2\\; blok A\\\\B regel2 tab end"));
    assert_true(has_line(text, "DESCRIPTION:Gepland: 2026-03-02\\nPrognose (P50): 2026-03-16\\, "
                               "P80: 2026-03-30\\;\\nC:\\\\pad\\nklaar\xEF\xBF\xBD"));
    assert_true(has_line(text, "URL:https://bouwstroom.example/p?a=1&b=2;c,d"));
    assert_true(has_line(text, "CATEGORIES:Bouw\\, fase 2"));
    assert_true(has_line(text, "CATEGORIES:A\\;B"));
    assert_true(has_line(text, "NAME:Feed\\, met\\; tekens\\\\"));
    assert_true(has_line(text, "X-WR-CALNAME:Feed\\, met\\; tekens\\\\"));
    assert_true(has_line(text, "X-WR-CALDESC:regel 1\\nregel 2"));
    assert_true(has_line(text, "REFRESH-INTERVAL;VALUE=DURATION:PT1440M"));
    assert_true(has_line(text, "X-PUBLISHED-TTL:PT1440M"));
    check_physical_lines(text);
    icalcomponent *c = parse_ok(text);
    icalcomponent *ev = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
    assert_string_equal(icalcomponent_get_summary(ev), "Start bouw, fase 2; blok A\\B regel2 tab end");
    assert_string_equal(icalcomponent_get_description(ev),
                        "Gepland: 2026-03-02\nPrognose (P50): 2026-03-16, P80: 2026-03-30;\n"
                        "C:\\pad\nklaar\xEF\xBF\xBD");
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_URL_PROPERTY);
    assert_string_equal(icalproperty_get_url(p), e.url);
    icalcomponent_free(c);
    free(text);
}

static void test_dtend_exclusive(void **state) {
    (void)state;
    struct {
        int y1, m1, d1, y2, m2, d2;
        const char *start, *end;
    } cases[] = {
        {2026, 3, 2, 2026, 3, 31, "20260302", "20260401"},    /* month end */
        {2026, 12, 14, 2026, 12, 31, "20261214", "20270101"}, /* year end */
        {2028, 2, 21, 2028, 2, 28, "20280221", "20280229"},   /* into 29 Feb (leap year) */
        {2028, 2, 29, 2028, 2, 29, "20280229", "20280301"},   /* on 29 Feb */
        {2027, 2, 28, 2027, 2, 28, "20270228", "20270301"},   /* 28 Feb, no leap year */
        {2100, 2, 28, 2100, 2, 28, "21000228", "21000301"},   /* 2100 is no leap year */
        {2000, 2, 28, 2000, 2, 28, "20000228", "20000229"},   /* 2000 is one */
        {2026, 6, 15, 2026, 6, 15, "20260615", "20260616"},   /* one day */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bs_ical_event e = {.uid = "u@bouwstroom",
                           .summary = "s",
                           .start = bs_date_from_ymd(cases[i].y1, cases[i].m1, cases[i].d1),
                           .finish = bs_date_from_ymd(cases[i].y2, cases[i].m2, cases[i].d2),
                           .last_modified = T0};
        bs_ical_calendar cal = {.name = "x", .refresh_minutes = 60, .events = &e, .n_events = 1};
        char *text = render_ok(&cal, T0);
        char want[64];
        snprintf(want, sizeof want, "DTSTART;VALUE=DATE:%s", cases[i].start);
        assert_true(has_line(text, want));
        snprintf(want, sizeof want, "DTEND;VALUE=DATE:%s", cases[i].end);
        if (!has_line(text, want)) fail_msg("case %zu: no line %s in\n%s", i, want, text);
        icalcomponent *c = parse_ok(text);
        icalcomponent *ev = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
        expect_date(icalcomponent_get_dtend(ev), e.finish + 1);
        icalcomponent_free(c);
        free(text);
    }
}

static void test_deterministic(void **state) {
    (void)state;
    bs_sample_feed f;
    bs_sample_large(&f, 1000);
    char *a = render_ok(&f.cal, T0), *b = render_ok(&f.cal, T0);
    assert_string_equal(a, b);
    check_physical_lines(a);
    icalcomponent *c = parse_ok(a);
    assert_int_equal(icalcomponent_count_components(c, ICAL_VEVENT_COMPONENT), 1000);
    icalcomponent_free(c);
    free(a);
    free(b);
    bs_sample_free(&f);
}

/* Splits text into physical lines (the array and strings are one allocation). */
static char **split_lines(char *text, size_t *n) {
    size_t cap = 16, k = 0;
    char **v = malloc(cap * sizeof *v);
    for (char *p = text; *p;) {
        char *e = strstr(p, "\r\n");
        assert_non_null(e);
        *e = '\0';
        if (k == cap) {
            char **w = realloc(v, (cap *= 2) * sizeof *v);
            assert_non_null(w);
            v = w;
        }
        v[k++] = p;
        p = e + 2;
    }
    *n = k;
    return v;
}

static void test_dtstamp_only_difference(void **state) {
    (void)state;
    bs_sample_feed f;
    bs_sample_large(&f, 200);
    char *a = render_ok(&f.cal, T0), *b = render_ok(&f.cal, T1);
    size_t na, nb;
    char **la = split_lines(a, &na), **lb = split_lines(b, &nb);
    assert_int_equal(na, nb);
    size_t diff = 0;
    for (size_t i = 0; i < na; i++) {
        if (strcmp(la[i], lb[i]) == 0) continue;
        diff++;
        assert_string_equal(la[i], "DTSTAMP:20251129T110000Z");
        assert_string_equal(lb[i], "DTSTAMP:20251231T235959Z");
    }
    assert_int_equal(diff, 200); /* one per event, and nothing else */
    free(la);
    free(lb);
    free(a);
    free(b);
    bs_sample_free(&f);
}

static void test_date_change_raises_sequence(void **state) {
    (void)state;
    bs_sample_feed f;
    bs_sample_dutch(&f);
    char *before = render_ok(&f.cal, T0);
    /* The step slips a week: the caller keeps the UID and raises SEQUENCE. */
    bs_ical_event *e = &f.events[2];
    e->start += 7;
    e->finish += 7;
    e->sequence += 1;
    char *after = render_ok(&f.cal, T0);
    icalcomponent *c1 = parse_ok(before), *c2 = parse_ok(after);
    icalcomponent *e1 = icalcomponent_get_first_component(c1, ICAL_VEVENT_COMPONENT);
    icalcomponent *e2 = icalcomponent_get_first_component(c2, ICAL_VEVENT_COMPONENT);
    for (int i = 0; i < 2; i++) {
        e1 = icalcomponent_get_next_component(c1, ICAL_VEVENT_COMPONENT);
        e2 = icalcomponent_get_next_component(c2, ICAL_VEVENT_COMPONENT);
    }
    assert_string_equal(icalcomponent_get_uid(e1), icalcomponent_get_uid(e2));
    assert_int_equal(icalcomponent_get_sequence(e2), icalcomponent_get_sequence(e1) + 1);
    expect_date(icalcomponent_get_dtstart(e2), bs_date_from_ymd(2027, 10, 7));
    expect_date(icalcomponent_get_dtend(e2), bs_date_from_ymd(2027, 10, 8));
    icalcomponent_free(c1);
    icalcomponent_free(c2);
    /* Exactly three lines differ: DTSTART, DTEND and SEQUENCE. */
    size_t na, nb;
    char **la = split_lines(before, &na), **lb = split_lines(after, &nb);
    assert_int_equal(na, nb);
    int diff = 0;
    for (size_t i = 0; i < na; i++) {
        if (strcmp(la[i], lb[i]) != 0) {
            diff++;
            assert_true(strncmp(lb[i], "DTSTART;", 8) == 0 || strncmp(lb[i], "DTEND;", 6) == 0 ||
                        strncmp(lb[i], "SEQUENCE:", 9) == 0);
        }
    }
    assert_int_equal(diff, 3);
    free(la);
    free(lb);
    free(before);
    free(after);
    bs_sample_free(&f);
}

static void test_uid(void **state) {
    (void)state;
    char buf[BS_ICAL_UID_MAX];
    int n = bs_ical_uid("0B6F3C1E-9D2A-4C55-8E7F-123456789ABC", "bouwrijp_maken", "window", buf, sizeof buf);
    assert_string_equal(buf, "bouwrijp_maken.window.0b6f3c1e-9d2a-4c55-8e7f-123456789abc@bouwstroom");
    assert_int_equal(n, (int)strlen(buf));
    char again[BS_ICAL_UID_MAX];
    bs_ical_uid("0b6f3c1e-9d2a-4c55-8e7f-123456789abc", "bouwrijp_maken", "window", again, sizeof again);
    assert_string_equal(buf, again); /* same event, same UID: stable */
    bs_ical_uid("0b6f3c1e-9d2a-4c55-8e7f-123456789abc", "bouwrijp_maken", "milestone", again, sizeof again);
    assert_string_not_equal(buf, again);
    const char *uuid = "0b6f3c1e-9d2a-4c55-8e7f-123456789abc";
    assert_int_equal(bs_ical_uid("0b6f3c1e9d2a4c558e7f123456789abc", "a", "b", buf, sizeof buf), BS_EINVAL);
    assert_int_equal(bs_ical_uid("0b6f3c1e-9d2a-4c55-8e7f-123456789abg", "a", "b", buf, sizeof buf), BS_EINVAL);
    assert_int_equal(bs_ical_uid(uuid, "", "b", buf, sizeof buf), BS_EINVAL);
    assert_int_equal(bs_ical_uid(uuid, "Bouw rijp", "b", buf, sizeof buf), BS_EINVAL);
    assert_int_equal(bs_ical_uid(uuid, "a", "b,c", buf, sizeof buf), BS_EINVAL);
    assert_int_equal(bs_ical_uid(uuid, "a", NULL, buf, sizeof buf), BS_EINVAL);
    assert_int_equal(bs_ical_uid(uuid, "a", "b", buf, 10), BS_ETOOLARGE);
    char key64[65];
    memset(key64, 'k', 64);
    key64[64] = '\0';
    n = bs_ical_uid(uuid, key64, key64, buf, sizeof buf);
    assert_true(n > 0 && (size_t)n < BS_ICAL_UID_MAX); /* the maximum fits */
}

static void test_etag(void **state) {
    (void)state;
    char a[BS_ICAL_ETAG_MAX], b[BS_ICAL_ETAG_MAX];
    int n = bs_ical_etag("project:0b6f3c1e-9d2a-4c55-8e7f-123456789abc", 42, a);
    assert_int_equal(n, (int)strlen(a));
    assert_int_equal(n, (int)strlen("W/\"bsf2-0123456789abcdef\""));
    assert_memory_equal(a, "W/\"bsf2-", 8);
    assert_int_equal(a[n - 1], '"');
    bs_ical_etag("project:0b6f3c1e-9d2a-4c55-8e7f-123456789abc", 42, b);
    assert_string_equal(a, b);
    bs_ical_etag("project:0b6f3c1e-9d2a-4c55-8e7f-123456789abc", 43, b);
    assert_string_not_equal(a, b);
    bs_ical_etag("user:0b6f3c1e-9d2a-4c55-8e7f-123456789abc", 42, b);
    assert_string_not_equal(a, b);
    bs_ical_etag("", 0, b);
    assert_memory_equal(b, "W/\"bsf2-", 8);
    assert_int_equal(bs_ical_etag(NULL, 1, b), BS_EINVAL);
}

static void test_invalid_input(void **state) {
    (void)state;
    bs_ical_event good = {.uid = "u@bouwstroom",
                          .summary = "s",
                          .start = bs_date_from_ymd(2026, 1, 1),
                          .finish = bs_date_from_ymd(2026, 1, 2),
                          .last_modified = T0};
    bs_ical_calendar cal = {.name = "x", .refresh_minutes = 60, .events = &good, .n_events = 1};
    char *out = (char *)1;
    assert_int_equal(bs_ical_render(NULL, T0, &out, NULL), BS_EINVAL);
    assert_null(out);
    assert_int_equal(bs_ical_render(&cal, T0, NULL, NULL), BS_EINVAL);

    struct {
        const char *what;
        bs_ical_event e;
        bs_ical_calendar c;
    } bad[8];
    for (int i = 0; i < 8; i++) {
        bad[i].e = good;
        bad[i].c = cal;
    }
    bad[0].e.finish = good.start - 1; /* finish before start */
    bad[1].e.uid = "with space@bouwstroom";
    bad[2].e.uid = "";
    bad[3].e.sequence = -1;
    bad[4].e.url = "https://x.example/a b";
    bad[5].c.refresh_minutes = 0;
    bad[6].c.name = "";
    bad[7].e.finish = bs_date_from_ymd(9999, 12, 31); /* DTEND would be year 10000 */
    for (int i = 0; i < 8; i++) {
        bad[i].c.events = &bad[i].e;
        out = (char *)1;
        size_t len = 99;
        if (bs_ical_render(&bad[i].c, T0, &out, &len) != BS_EINVAL) fail_msg("case %d accepted", i);
        assert_null(out);
        assert_int_equal(len, 0);
    }
    assert_int_equal(bs_ical_render(&cal, INT64_C(253402300800) /* 10000-01-01 */, &out, NULL), BS_EINVAL);
    assert_string_equal(bs_ical_strerror(BS_EINVAL), "invalid input");
}

static void test_empty_feed(void **state) {
    (void)state;
    bs_ical_calendar cal = {.name = "Leeg", .refresh_minutes = 720};
    char *text = render_ok(&cal, T0);
    assert_null(strstr(text, "VEVENT"));
    assert_true(has_line(text, "END:VCALENDAR"));
    icalcomponent *c = parse_ok(text);
    icalcomponent_free(c);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_libical),
        cmocka_unit_test(test_structure_and_no_tzid),
        cmocka_unit_test(test_folding_dutch_and_emoji),
        cmocka_unit_test(test_fold_keeps_variation_selector),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_dtend_exclusive),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_dtstamp_only_difference),
        cmocka_unit_test(test_date_change_raises_sequence),
        cmocka_unit_test(test_uid),
        cmocka_unit_test(test_etag),
        cmocka_unit_test(test_invalid_input),
        cmocka_unit_test(test_empty_feed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bs_ical_shutdown();
    return rc;
}
