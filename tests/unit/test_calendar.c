/*
 * Unit tests for engine/core/calendar.c: civil dates, Easter, Dutch holidays, the
 * working-day calendar and the Algemene termijnenwet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "calendar.h"

static bs_day D(const char *s) {
    bs_day d = 0;
    if (bs_date_parse(s, &d) != 0) fail_msg("test date does not parse: %s", s);
    return d;
}

/* Asserts a date equals the expected "YYYY-MM-DD", printing both. */
#define assert_date(day, expected)                                                                                     \
    do {                                                                                                               \
        char buf_[11];                                                                                                 \
        bs_date_format((day), buf_);                                                                                   \
        if (strcmp(buf_, (expected)) != 0) fail_msg("%s: got %s, expected %s", #day, buf_, (expected));                \
    } while (0)

/* ---- civil dates ---- */

static void test_known_day_numbers(void **state) {
    (void)state;
    assert_int_equal(bs_date_from_ymd(1970, 1, 1), 0);
    assert_int_equal(bs_date_from_ymd(1969, 12, 31), -1);
    assert_int_equal(bs_date_from_ymd(2000, 3, 1), 11017);
    assert_int_equal(bs_date_from_ymd(1, 1, 1), -719162);
    assert_int_equal(bs_date_from_ymd(9999, 12, 31), 2932896);
    int y, m, d;
    bs_date_to_ymd(-719162, &y, &m, &d);
    assert_int_equal(y, 1);
    assert_int_equal(m, 1);
    assert_int_equal(d, 1);
    bs_date_to_ymd(BS_DAY_NONE, &y, &m, &d); /* must not overflow (UBSan) */
    assert_true(y < 0);
}

/* Every day of years 1..9999: ymd round trip, consecutive days step correctly, and
 * format/parse round trip. */
static void test_round_trip_all_days(void **state) {
    (void)state;
    const bs_day first = bs_date_from_ymd(1, 1, 1), last = bs_date_from_ymd(9999, 12, 31);
    int py = 0, pm = 12, pd = 31;
    for (bs_day day = first; day <= last; day++) {
        int y, m, d;
        bs_date_to_ymd(day, &y, &m, &d);
        assert_true(bs_date_valid(y, m, d));
        assert_int_equal(bs_date_from_ymd(y, m, d), day);
        if (d == 1) {
            assert_true((m == 1 && pm == 12 && y == py + 1) || (m == pm + 1 && y == py));
        } else {
            assert_int_equal(d, pd + 1);
            assert_int_equal(m, pm);
            assert_int_equal(y, py);
        }
        py = y;
        pm = m;
        pd = d;
        char buf[11];
        bs_day back = 0;
        assert_int_equal(bs_date_parse(bs_date_format(day, buf), &back), 0);
        assert_int_equal(back, day);
    }
    assert_int_equal(py, 9999);
    /* Day numbers beyond year 9999 and before year 1 still round-trip through ymd. */
    for (bs_day day = -3000000; day <= 4000000; day += 997) {
        int y, m, d;
        bs_date_to_ymd(day, &y, &m, &d);
        assert_int_equal(bs_date_from_ymd(y, m, d), day);
    }
}

static void test_parse_errors(void **state) {
    (void)state;
    bs_day out = 12345;
    const char *bad[] = {
        "2026-02-30", "2026-2-3",   "2026-02-03x", "",           "2026-02-0",  "2026/02/03",  " 2026-02-03",
        "2026-13-01", "2026-00-10", "2026-01-00",  "0000-01-01", "2023-02-29", "1900-02-29",  "2026-02-03 ",
        "20260203",   "+026-02-03", "2026-02",     "2026-02-",   "2026-04-31", "２026-02-03", "2026-02-3a",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bs_date_parse(bad[i], &out) != -1) fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(out, 12345); /* untouched on error */
    }
    assert_int_equal(bs_date_parse(NULL, &out), -1);

    assert_int_equal(bs_date_parse("2024-02-29", &out), 0);
    assert_int_equal(out, bs_date_from_ymd(2024, 2, 29));
    assert_int_equal(bs_date_parse("2000-02-29", &out), 0);
    assert_int_equal(bs_date_parse("0001-01-01", &out), 0);
    assert_int_equal(out, -719162);
    assert_int_equal(bs_date_parse("9999-12-31", &out), 0);
}

static void test_valid(void **state) {
    (void)state;
    assert_true(bs_date_valid(2024, 2, 29));
    assert_false(bs_date_valid(2023, 2, 29));
    assert_false(bs_date_valid(2100, 2, 29));
    assert_true(bs_date_valid(2400, 2, 29));
    assert_false(bs_date_valid(0, 1, 1));
    assert_false(bs_date_valid(10000, 1, 1));
    assert_false(bs_date_valid(2026, 6, 31));
    assert_true(bs_date_valid(2026, 7, 31));
}

static void test_format(void **state) {
    (void)state;
    char buf[11];
    assert_string_equal(bs_date_format(0, buf), "1970-01-01");
    assert_string_equal(bs_date_format(bs_date_from_ymd(2026, 3, 27), buf), "2026-03-27");
    assert_string_equal(bs_date_format(bs_date_from_ymd(5, 11, 9), buf), "0005-11-09");
}

static void test_weekday(void **state) {
    (void)state;
    assert_int_equal(bs_weekday(0), 4);                /* 1970-01-01 Thursday */
    assert_int_equal(bs_weekday(D("2026-03-27")), 5);  /* Friday */
    assert_int_equal(bs_weekday(D("2026-01-05")), 1);  /* Monday */
    assert_int_equal(bs_weekday(D("2026-01-04")), 7);  /* Sunday */
    assert_int_equal(bs_weekday(D("2000-01-01")), 6);  /* Saturday */
    assert_int_equal(bs_weekday(D("1969-12-28")), 7);  /* Sunday, negative day number */
    assert_int_equal(bs_weekday(D("0001-01-01")), 1);  /* proleptic Gregorian Monday */
    assert_int_equal(bs_weekday(BS_DAY_NONE) >= 1, 1); /* no overflow */
}

static void test_easter(void **state) {
    (void)state;
    /* Known Gregorian Easter Sundays (including the extremes 22 March and 25 April). */
    const char *known[][2] = {
        {"1818", "1818-03-22"}, {"1886", "1886-04-25"}, {"1943", "1943-04-25"}, {"1961", "1961-04-02"},
        {"2000", "2000-04-23"}, {"2008", "2008-03-23"}, {"2011", "2011-04-24"}, {"2016", "2016-03-27"},
        {"2019", "2019-04-21"}, {"2024", "2024-03-31"}, {"2025", "2025-04-20"}, {"2026", "2026-04-05"},
        {"2027", "2027-03-28"}, {"2038", "2038-04-25"}, {"2285", "2285-03-22"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        assert_date(bs_easter_sunday(atoi(known[i][0])), known[i][1]);
    for (int y = 1583; y <= 4099; y++) {
        bs_day e = bs_easter_sunday(y);
        assert_int_equal(bs_weekday(e), 7);
        assert_true(e >= bs_date_from_ymd(y, 3, 22) && e <= bs_date_from_ymd(y, 4, 25));
    }
}

/* ---- holidays ---- */

static void test_koningsdag_koninginnedag(void **state) {
    (void)state;
    bs_calendar_options o = bs_calendar_default_options();
    assert_false(o.goede_vrijdag);
    assert_int_equal(o.bevrijdingsdag, BS_BEVRIJDINGSDAG_LUSTRUM);

    /* 27 April 2025 is a Sunday: Koningsdag is Saturday 26 April. */
    assert_int_equal(bs_holiday_on(&o, D("2025-04-26")), BS_HOLIDAY_KONINGSDAG);
    assert_int_equal(bs_holiday_on(&o, D("2025-04-27")), BS_HOLIDAY_NONE);
    assert_int_equal(bs_holiday_on(&o, D("2026-04-27")), BS_HOLIDAY_KONINGSDAG);
    assert_int_equal(bs_holiday_on(&o, D("2014-04-26")), BS_HOLIDAY_KONINGSDAG); /* 27th Sunday */
    /* 30 April 2006 is a Sunday: Koninginnedag is Saturday 29 April. */
    assert_int_equal(bs_holiday_on(&o, D("2006-04-29")), BS_HOLIDAY_KONINGINNEDAG);
    assert_int_equal(bs_holiday_on(&o, D("2006-04-30")), BS_HOLIDAY_NONE);
    assert_int_equal(bs_holiday_on(&o, D("2013-04-30")), BS_HOLIDAY_KONINGINNEDAG);
    assert_int_equal(bs_holiday_on(&o, D("2013-04-27")), BS_HOLIDAY_NONE);
    assert_int_equal(bs_holiday_on(&o, D("2014-04-30")), BS_HOLIDAY_NONE);
    assert_string_equal(bs_holiday_name(BS_HOLIDAY_KONINGSDAG), "Koningsdag");
    assert_string_equal(bs_holiday_name(BS_HOLIDAY_GOEDE_VRIJDAG), "Goede Vrijdag");
    assert_string_equal(bs_holiday_name(BS_HOLIDAY_NONE), "");
}

static void test_holiday_options(void **state) {
    (void)state;
    bs_calendar_options o = bs_calendar_default_options();
    /* 2026: Easter 5 April. */
    assert_int_equal(bs_holiday_on(&o, D("2026-04-03")), BS_HOLIDAY_NONE);
    assert_int_equal(bs_holiday_on(&o, D("2026-04-05")), BS_HOLIDAY_EERSTE_PAASDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-04-06")), BS_HOLIDAY_TWEEDE_PAASDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-05-14")), BS_HOLIDAY_HEMELVAARTSDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-05-24")), BS_HOLIDAY_EERSTE_PINKSTERDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-05-25")), BS_HOLIDAY_TWEEDE_PINKSTERDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-01-01")), BS_HOLIDAY_NIEUWJAARSDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-12-25")), BS_HOLIDAY_EERSTE_KERSTDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-12-26")), BS_HOLIDAY_TWEEDE_KERSTDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-05-05")), BS_HOLIDAY_NONE); /* not lustrum */
    assert_int_equal(bs_holiday_on(&o, D("2025-05-05")), BS_HOLIDAY_BEVRIJDINGSDAG);
    assert_int_equal(bs_holiday_on(NULL, D("2025-05-05")), BS_HOLIDAY_BEVRIJDINGSDAG);

    o.goede_vrijdag = true;
    o.bevrijdingsdag = BS_BEVRIJDINGSDAG_YEARLY;
    assert_int_equal(bs_holiday_on(&o, D("2026-04-03")), BS_HOLIDAY_GOEDE_VRIJDAG);
    assert_int_equal(bs_holiday_on(&o, D("2026-05-05")), BS_HOLIDAY_BEVRIJDINGSDAG);
    /* 2016: Hemelvaartsdag fell on 5 May; the movable feast is reported. */
    assert_int_equal(bs_holiday_on(&o, D("2016-05-05")), BS_HOLIDAY_HEMELVAARTSDAG);

    o.bevrijdingsdag = BS_BEVRIJDINGSDAG_NEVER;
    assert_int_equal(bs_holiday_on(&o, D("2025-05-05")), BS_HOLIDAY_NONE);
}

/* Maps python3-holidays 0.10.1 names (NL) to ours. */
static bs_holiday map_python_name(const char *name) {
    static const struct {
        const char *py;
        bs_holiday h;
    } map[] = {
        {"Nieuwjaarsdag", BS_HOLIDAY_NIEUWJAARSDAG},
        {"Goede Vrijdag", BS_HOLIDAY_GOEDE_VRIJDAG},
        {"Eerste paasdag", BS_HOLIDAY_EERSTE_PAASDAG},
        {"Tweede paasdag", BS_HOLIDAY_TWEEDE_PAASDAG},
        {"Koningsdag", BS_HOLIDAY_KONINGSDAG},
        {"Koninginnedag", BS_HOLIDAY_KONINGINNEDAG},
        {"Bevrijdingsdag", BS_HOLIDAY_BEVRIJDINGSDAG},
        {"Hemelvaart", BS_HOLIDAY_HEMELVAARTSDAG},
        {"Hemelvaartsdag", BS_HOLIDAY_HEMELVAARTSDAG},
        {"Eerste Pinksterdag", BS_HOLIDAY_EERSTE_PINKSTERDAG},
        {"Tweede Pinksterdag", BS_HOLIDAY_TWEEDE_PINKSTERDAG},
        {"Eerste Kerstdag", BS_HOLIDAY_EERSTE_KERSTDAG},
        {"Tweede Kerstdag", BS_HOLIDAY_TWEEDE_KERSTDAG},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(name, map[i].py) == 0) return map[i].h;
    return BS_HOLIDAY_NONE;
}

#ifndef PY /* overridable only to check that a missing interpreter fails the test */
#define PY "/usr/bin/python3"
#endif

/* Every Dutch holiday 2020–2035 against Debian's python3-holidays (an independent
 * implementation), run by this test. python3-holidays 0.10.1 has no Goede Vrijdag and
 * lists 5 May only in lustrum years, so we compare with that configuration; it does list
 * Eerste Paasdag and Eerste Pinksterdag (Sundays). The full sets are compared both ways. */
static void test_holidays_against_python_holidays(void **state) {
    (void)state;
    if (access(PY, X_OK) != 0)
        fail_msg(PY " is missing: this test needs Debian's python3 with python3-holidays "
                    "(apt-get install python3-holidays)");

    const char *cmd = PY " -c 'import holidays\n"
                         "for d, n in sorted(holidays.NL(years=range(2020, 2036)).items()):\n"
                         "    print(d.isoformat() + \"|\" + n)\n"
                         "print(\"END\")' 2>&1";
    FILE *p = popen(cmd, "r");
    if (!p) fail_msg("popen(" PY ") failed");

    const bs_day first = D("2020-01-01"), last = D("2035-12-31");
    const int32_t n_days = last - first + 1;
    bs_holiday *py = calloc((size_t)n_days, sizeof *py);
    assert_non_null(py);

    char line[512];
    char errors[2048] = ""; /* the first unexpected lines (e.g. a Python traceback) */
    size_t n_err = 0;
    int n_lines = 0, n_bad = 0;
    bool end = false;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, "END") == 0) {
            end = true;
            continue;
        }
        char *bar = strchr(line, '|');
        bs_day d = 0;
        bs_holiday h = BS_HOLIDAY_NONE;
        if (bar) {
            *bar = '\0';
            if (bs_date_parse(line, &d) == 0 && d >= first && d <= last) h = map_python_name(bar + 1);
            *bar = '|';
        }
        if (h == BS_HOLIDAY_NONE) { /* unparsable, out of range or an unknown name */
            n_bad++;
            if (n_err + strlen(line) + 2 < sizeof errors) n_err += (size_t)sprintf(errors + n_err, "%s\n", line);
            continue;
        }
        py[d - first] = h;
        n_lines++;
    }
    int status = pclose(p);
    if (status != 0 || !end || n_bad > 0) {
        free(py);
        fail_msg(PY " with python3-holidays failed (exit status %d, %d unexpected lines); "
                    "is python3-holidays installed (apt-get install python3-holidays)?\n%s",
                 status, n_bad, errors);
    }
    assert_true(n_lines > 16 * 9);

    bs_calendar_options o = bs_calendar_default_options(); /* no Goede Vrijdag, lustrum */
    int mismatches = 0;
    for (bs_day d = first; d <= last; d++) {
        bs_holiday ours = bs_holiday_on(&o, d);
        bs_holiday theirs = py[d - first];
        if (ours != theirs) {
            char buf[11];
            print_error("%s: ours \"%s\", python3-holidays \"%s\"\n", bs_date_format(d, buf), bs_holiday_name(ours),
                        bs_holiday_name(theirs));
            mismatches++;
        }
    }
    free(py);
    assert_int_equal(mismatches, 0);
}

/* ---- working-day calendar ---- */

static int setup_cal(void **state) {
    bs_calendar *cal = calloc(1, sizeof *cal);
    if (!cal) return -1;
    bs_calendar_options o = bs_calendar_default_options();
    if (bs_calendar_init(cal, &o, 2020, 2030) != 0) {
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

static void test_calendar_init_errors(void **state) {
    (void)state;
    bs_calendar cal;
    assert_int_equal(bs_calendar_init(&cal, NULL, 2030, 2020), -1);
    bs_calendar_free(&cal);
    assert_int_equal(bs_calendar_init(&cal, NULL, 2000, 2400), -1); /* 401 years */
    bs_calendar_free(&cal);
    assert_int_equal(bs_calendar_init(&cal, NULL, 0, 10), -1);
    bs_calendar_free(&cal);
    assert_int_equal(bs_calendar_init(&cal, NULL, 9900, 10000), -1);
    bs_calendar_free(&cal);
    bs_calendar zero = {0};
    bs_calendar_free(&zero);
    assert_int_equal(bs_calendar_init(&cal, NULL, 1800, 2199), 0); /* 400 years */
    assert_int_equal(cal.first_day, D("1800-01-01"));
    assert_int_equal(cal.last_day, D("2199-12-31"));
    bs_calendar_free(&cal);
}

/* The tables agree with a day-by-day recount from bs_weekday and bs_holiday_on. */
static void test_calendar_tables(void **state) {
    const bs_calendar *cal = *state;
    assert_int_equal(cal->first_day, D("2020-01-01"));
    assert_int_equal(cal->last_day, D("2030-12-31"));
    int32_t count = 0;
    for (bs_day d = cal->first_day; d <= cal->last_day; d++) {
        bool working = bs_weekday(d) <= 5 && bs_holiday_on(&cal->options, d) == BS_HOLIDAY_NONE;
        assert_int_equal(bs_calendar_is_working(cal, d), working);
        assert_int_equal(bs_calendar_boundary_before(cal, d), count);
        if (working) {
            assert_int_equal(bs_calendar_wd_date(cal, count), d);
            count++;
        }
        assert_int_equal(bs_calendar_boundary_after(cal, d), count);
        assert_int_equal(bs_calendar_boundary_after(cal, d), bs_calendar_boundary_before(cal, d + 1));
        assert_true(bs_calendar_covers(cal, d));
    }
    assert_int_equal(cal->n_working, count);
    assert_false(bs_calendar_covers(cal, cal->first_day - 1));
    assert_false(bs_calendar_covers(cal, cal->last_day + 1));
}

static void test_calendar_boundaries(void **state) {
    const bs_calendar *cal = *state;
    /* Fri 27 March 2026 is a working day; the weekend belongs to boundary "end of Friday". */
    bs_day fri = D("2026-03-27"), sat = D("2026-03-28"), sun = D("2026-03-29"), mon = D("2026-03-30");
    assert_true(bs_calendar_is_working(cal, fri));
    assert_false(bs_calendar_is_working(cal, sat));
    assert_false(bs_calendar_is_working(cal, sun));
    int32_t b = bs_calendar_boundary_after(cal, fri);
    assert_int_equal(bs_calendar_boundary_before(cal, sat), b);
    assert_int_equal(bs_calendar_boundary_before(cal, sun), b);
    assert_int_equal(bs_calendar_boundary_before(cal, mon), b);
    assert_int_equal(bs_calendar_boundary_after(cal, sun), b);
    assert_int_equal(bs_calendar_boundary_before(cal, fri), b - 1);
    assert_int_equal(bs_calendar_wd_date(cal, b), mon);
    assert_int_equal(bs_calendar_wd_date(cal, b - 1), fri);
    /* 2e Paasdag 2026 (Mon 6 April) is not a working day; Goede Vrijdag is by default. */
    assert_false(bs_calendar_is_working(cal, D("2026-04-06")));
    assert_true(bs_calendar_is_working(cal, D("2026-04-03")));
    assert_false(bs_calendar_is_working(cal, D("2025-05-05"))); /* lustrum */
    assert_true(bs_calendar_is_working(cal, D("2026-05-05")));

    /* Clamping outside the range. */
    assert_int_equal(bs_calendar_boundary_before(cal, cal->first_day - 10), 0);
    assert_int_equal(bs_calendar_boundary_before(cal, cal->first_day), 0);
    assert_int_equal(bs_calendar_boundary_after(cal, cal->first_day - 1), 0);
    assert_int_equal(bs_calendar_boundary_before(cal, cal->last_day + 1), cal->n_working);
    assert_int_equal(bs_calendar_boundary_before(cal, cal->last_day + 100), cal->n_working);
    assert_int_equal(bs_calendar_boundary_after(cal, cal->last_day), cal->n_working);
    assert_int_equal(bs_calendar_boundary_after(cal, INT32_MAX), cal->n_working);
    assert_int_equal(bs_calendar_boundary_before(cal, BS_DAY_NONE), 0);
    assert_int_equal(bs_calendar_wd_date(cal, -5), D("2020-01-02"));
    assert_int_equal(bs_calendar_wd_date(cal, cal->n_working + 5), D("2030-12-31"));
    /* Outside the range weekdays count as working, holidays are not looked at. */
    assert_true(bs_calendar_is_working(cal, D("2031-01-01")));
    assert_false(bs_calendar_is_working(cal, D("2031-01-04")));
}

static void test_add_working_days(void **state) {
    const bs_calendar *cal = *state;
    /* Issue example: a 5-working-day step starting Fri 27 March 2026 occupies Fri 27,
     * Mon 30, Tue 31 March, Wed 1 and Thu 2 April: its finish is the 5th working day
     * counting the start, i.e. start + 4. */
    assert_date(bs_calendar_add_working_days(cal, D("2026-03-27"), 4), "2026-04-02");
    assert_date(bs_calendar_add_working_days(cal, D("2026-03-27"), 0), "2026-03-27");
    assert_date(bs_calendar_add_working_days(cal, D("2026-04-02"), -4), "2026-03-27");
    /* Over Easter 2026: Goede Vrijdag 3 April is worked by default, Mon 6 April is not. */
    assert_date(bs_calendar_add_working_days(cal, D("2026-04-02"), 1), "2026-04-03");
    assert_date(bs_calendar_add_working_days(cal, D("2026-04-03"), 1), "2026-04-07");
    /* A non-working start first moves forward (n >= 0) or back (n < 0). */
    assert_date(bs_calendar_add_working_days(cal, D("2026-03-28"), 0), "2026-03-30");
    assert_date(bs_calendar_add_working_days(cal, D("2026-03-28"), 1), "2026-03-31");
    assert_date(bs_calendar_add_working_days(cal, D("2026-03-28"), -1), "2026-03-26");
    /* Across the range edges weekdays count. */
    assert_date(bs_calendar_add_working_days(cal, D("2030-12-31"), 1), "2031-01-01");
    assert_date(bs_calendar_add_working_days(cal, D("2030-12-31"), 4), "2031-01-06");
    assert_date(bs_calendar_add_working_days(cal, D("2020-01-02"), -1), "2019-12-31");
    assert_date(bs_calendar_add_working_days(cal, D("2020-01-02"), -2), "2019-12-30");
    assert_date(bs_calendar_add_working_days(cal, D("2019-12-28"), 3), "2020-01-03");
    assert_date(bs_calendar_add_working_days(cal, D("2040-01-07"), -5), "2039-12-30");
    /* Round trip everywhere in the range. */
    for (int32_t i = 0; i < cal->n_working; i += 7) {
        bs_day d = bs_calendar_wd_date(cal, i);
        for (int32_t n = -30; n <= 30; n += 6) {
            bs_day e = bs_calendar_add_working_days(cal, d, n);
            assert_int_equal(bs_calendar_add_working_days(cal, e, -n), d);
        }
    }

    /* With Goede Vrijdag off. */
    bs_calendar c2;
    bs_calendar_options o = {.goede_vrijdag = true, .bevrijdingsdag = BS_BEVRIJDINGSDAG_NEVER};
    assert_int_equal(bs_calendar_init(&c2, &o, 2026, 2026), 0);
    assert_date(bs_calendar_add_working_days(&c2, D("2026-04-02"), 1), "2026-04-07");
    assert_date(bs_calendar_add_working_days(&c2, D("2026-03-27"), 4), "2026-04-02");
    bs_calendar_free(&c2);
}

/* ---- Algemene termijnenwet ---- */

static void test_atw(void **state) {
    (void)state;
    const char *cases[][2] = {
        {"2026-03-25", "2026-03-25"}, /* Wednesday: unchanged */
        {"2026-03-28", "2026-03-30"}, /* Saturday → Monday */
        {"2026-01-04", "2026-01-05"}, /* Sunday → Monday */
        {"2026-04-03", "2026-04-07"}, /* Goede Vrijdag, weekend, 2e Paasdag → Tuesday */
        {"2026-04-06", "2026-04-07"}, /* 2e Paasdag */
        {"2026-04-27", "2026-04-28"}, /* Koningsdag (Monday) */
        {"2026-05-05", "2026-05-06"}, /* 5 May counts every year, not only lustrum years */
        {"2026-05-14", "2026-05-15"}, /* Hemelvaartsdag */
        {"2026-05-25", "2026-05-26"}, /* 2e Pinksterdag */
        {"2026-12-25", "2026-12-28"}, /* 1e Kerstdag (Friday), weekend */
        {"2026-12-24", "2026-12-24"}, /* Christmas Eve is no holiday */
        {"2027-01-01", "2027-01-04"}, /* Nieuwjaarsdag (Friday), weekend */
        {"2025-12-25", "2025-12-29"}, /* Thu 25, Fri 26, weekend → Monday */
        {"2006-04-29", "2006-05-01"}, /* Koninginnedag on Saturday 29 April, Sunday */
        {"2025-04-26", "2025-04-28"}, /* Koningsdag on Saturday 26 April, Sunday */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_date(bs_atw_term_end(D(cases[i][0])), cases[i][1]);
    /* Every Atw end is a weekday and a working day under any organisation options. */
    bs_calendar_options all = {.goede_vrijdag = true, .bevrijdingsdag = BS_BEVRIJDINGSDAG_YEARLY};
    for (bs_day d = D("2020-01-01"); d <= D("2035-12-31"); d++) {
        bs_day e = bs_atw_term_end(d);
        assert_true(e >= d && e <= d + 4);
        assert_true(bs_weekday(e) <= 5);
        assert_int_equal(bs_holiday_on(&all, e), BS_HOLIDAY_NONE);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_day_numbers),
        cmocka_unit_test(test_round_trip_all_days),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_easter),
        cmocka_unit_test(test_koningsdag_koninginnedag),
        cmocka_unit_test(test_holiday_options),
        cmocka_unit_test(test_holidays_against_python_holidays),
        cmocka_unit_test(test_calendar_init_errors),
        cmocka_unit_test_setup_teardown(test_calendar_tables, setup_cal, teardown_cal),
        cmocka_unit_test_setup_teardown(test_calendar_boundaries, setup_cal, teardown_cal),
        cmocka_unit_test_setup_teardown(test_add_working_days, setup_cal, teardown_cal),
        cmocka_unit_test(test_atw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
