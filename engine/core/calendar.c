/*
 * Bouwstroom engine core: civil dates and the Dutch working-day calendar.
 * See calendar.h for the contract of every public function. Pure: no I/O, no globals.
 */
#include "calendar.h"

#include <stdlib.h>

#include "alloc.h"

/* ---- civil dates (Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms") ---- */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;                                   /* [0, 399] */
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    const int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

bs_day bs_date_from_ymd(int y, int m, int d) {
    return (bs_day)days_from_civil(y, m, d);
}

void bs_date_to_ymd(bs_day day, int *y, int *m, int *d) {
    int64_t yy;
    civil_from_days(day, &yy, m, d);
    *y = (int)yy;
}

static bool is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m) {
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

bool bs_date_valid(int y, int m, int d) {
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int bs_date_parse(const char *s, bs_day *out) {
    if (!s) return -1;
    /* Checked left to right, so a short string stops at its NUL before reading past it. */
    int y = digits(s, 4);
    if (y < 0 || s[4] != '-') return -1;
    int m = digits(s + 5, 2);
    if (m < 0 || s[7] != '-') return -1;
    int d = digits(s + 8, 2);
    if (d < 0 || s[10] != '\0') return -1;
    if (!bs_date_valid(y, m, d)) return -1;
    *out = bs_date_from_ymd(y, m, d);
    return 0;
}

char *bs_date_format(bs_day day, char buf[static 11]) {
    int y, m, d;
    bs_date_to_ymd(day, &y, &m, &d);
    if (y >= 0 && y <= 9999) {
        buf[0] = (char)('0' + y / 1000);
        buf[1] = (char)('0' + y / 100 % 10);
        buf[2] = (char)('0' + y / 10 % 10);
        buf[3] = (char)('0' + y % 10);
    } else {
        buf[0] = buf[1] = buf[2] = buf[3] = '?'; /* not representable as YYYY */
    }
    buf[4] = '-';
    buf[5] = (char)('0' + m / 10);
    buf[6] = (char)('0' + m % 10);
    buf[7] = '-';
    buf[8] = (char)('0' + d / 10);
    buf[9] = (char)('0' + d % 10);
    buf[10] = '\0';
    return buf;
}

int bs_weekday(bs_day day) {
    /* 1970-01-01 (day 0) was a Thursday (ISO 4). */
    int64_t r = ((int64_t)day + 3) % 7;
    if (r < 0) r += 7;
    return (int)r + 1;
}

bs_day bs_easter_sunday(int year) {
    /* The Gregorian Easter cycle is 5,700,000 years: shift non-positive years into range
     * so C's truncating division behaves like the floor division the algorithm assumes. */
    int64_t Y = year;
    int64_t shift = 0;
    while (Y <= 0) {
        Y += 5700000;
        shift += 5700000;
    }
    int64_t a = Y % 19, b = Y / 100, c = Y % 100;
    int64_t d = b / 4, e = b % 4;
    int64_t f = (b + 8) / 25, g = (b - f + 1) / 3;
    int64_t h = (19 * a + b - d - g + 15) % 30;
    int64_t i = c / 4, k = c % 4;
    int64_t l = (32 + 2 * e + 2 * i - h - k) % 7;
    int64_t m = (a + 11 * h + 22 * l) / 451;
    int64_t month = (h + l - 7 * m + 114) / 31;
    int64_t day = (h + l - 7 * m + 114) % 31 + 1;
    return (bs_day)days_from_civil(Y - shift, month, day);
}

/* ---- Dutch holidays ---- */

const char *bs_holiday_name(bs_holiday h) {
    switch (h) {
    case BS_HOLIDAY_NONE: return "";
    case BS_HOLIDAY_NIEUWJAARSDAG: return "Nieuwjaarsdag";
    case BS_HOLIDAY_GOEDE_VRIJDAG: return "Goede Vrijdag";
    case BS_HOLIDAY_EERSTE_PAASDAG: return "Eerste Paasdag";
    case BS_HOLIDAY_TWEEDE_PAASDAG: return "Tweede Paasdag";
    case BS_HOLIDAY_KONINGSDAG: return "Koningsdag";
    case BS_HOLIDAY_KONINGINNEDAG: return "Koninginnedag";
    case BS_HOLIDAY_BEVRIJDINGSDAG: return "Bevrijdingsdag";
    case BS_HOLIDAY_HEMELVAARTSDAG: return "Hemelvaartsdag";
    case BS_HOLIDAY_EERSTE_PINKSTERDAG: return "Eerste Pinksterdag";
    case BS_HOLIDAY_TWEEDE_PINKSTERDAG: return "Tweede Pinksterdag";
    case BS_HOLIDAY_EERSTE_KERSTDAG: return "Eerste Kerstdag";
    case BS_HOLIDAY_TWEEDE_KERSTDAG: return "Tweede Kerstdag";
    }
    return "";
}

bs_calendar_options bs_calendar_default_options(void) {
    bs_calendar_options o = {.goede_vrijdag = false, .bevrijdingsdag = BS_BEVRIJDINGSDAG_LUSTRUM};
    return o;
}

#define MAX_HOLIDAYS_PER_YEAR 12

/* The holidays of one year under opt, in priority order: when two fall on the same day
 * (Hemelvaartsdag on 5 May, as in 2016; Hemelvaartsdag on 30 April), the earlier entry
 * wins in bs_holiday_on. Easter-based feasts come first because they never depend on the
 * options. Returns the count. */
static int holidays_of_year(const bs_calendar_options *opt, int year, bs_day days[MAX_HOLIDAYS_PER_YEAR],
                            bs_holiday kinds[MAX_HOLIDAYS_PER_YEAR]) {
    int n = 0;
    const bs_day easter = bs_easter_sunday(year);
#define ADD(dd, kk)                                                                                                    \
    do {                                                                                                               \
        days[n] = (dd);                                                                                                \
        kinds[n] = (kk);                                                                                               \
        n++;                                                                                                           \
    } while (0)
    if (opt->goede_vrijdag) ADD(easter - 2, BS_HOLIDAY_GOEDE_VRIJDAG);
    ADD(easter, BS_HOLIDAY_EERSTE_PAASDAG);
    ADD(easter + 1, BS_HOLIDAY_TWEEDE_PAASDAG);
    ADD(easter + 39, BS_HOLIDAY_HEMELVAARTSDAG);
    ADD(easter + 49, BS_HOLIDAY_EERSTE_PINKSTERDAG);
    ADD(easter + 50, BS_HOLIDAY_TWEEDE_PINKSTERDAG);
    ADD(bs_date_from_ymd(year, 1, 1), BS_HOLIDAY_NIEUWJAARSDAG);
    if (year >= 2014) {
        /* Koningsdag: 27 April, or 26 April when the 27th is a Sunday. */
        bs_day k = bs_date_from_ymd(year, 4, 27);
        ADD(bs_weekday(k) == 7 ? k - 1 : k, BS_HOLIDAY_KONINGSDAG);
    } else {
        /* Koninginnedag: 30 April, or 29 April when the 30th is a Sunday (applied to
         * every year before 2014; the historical dates before 1949 are not modelled). */
        bs_day k = bs_date_from_ymd(year, 4, 30);
        ADD(bs_weekday(k) == 7 ? k - 1 : k, BS_HOLIDAY_KONINGINNEDAG);
    }
    if (opt->bevrijdingsdag == BS_BEVRIJDINGSDAG_YEARLY ||
        (opt->bevrijdingsdag == BS_BEVRIJDINGSDAG_LUSTRUM && year % 5 == 0))
        ADD(bs_date_from_ymd(year, 5, 5), BS_HOLIDAY_BEVRIJDINGSDAG);
    ADD(bs_date_from_ymd(year, 12, 25), BS_HOLIDAY_EERSTE_KERSTDAG);
    ADD(bs_date_from_ymd(year, 12, 26), BS_HOLIDAY_TWEEDE_KERSTDAG);
#undef ADD
    return n;
}

bs_holiday bs_holiday_on(const bs_calendar_options *opt, bs_day day) {
    bs_calendar_options def = bs_calendar_default_options();
    if (!opt) opt = &def;
    int y, m, d;
    bs_date_to_ymd(day, &y, &m, &d);
    bs_day days[MAX_HOLIDAYS_PER_YEAR];
    bs_holiday kinds[MAX_HOLIDAYS_PER_YEAR];
    int n = holidays_of_year(opt, y, days, kinds);
    for (int i = 0; i < n; i++)
        if (days[i] == day) return kinds[i];
    return BS_HOLIDAY_NONE;
}

/* ---- the working-day calendar ---- */

int bs_calendar_init(bs_calendar *cal, const bs_calendar_options *opt, int first_year, int last_year) {
    if (!cal) return -1;
    cal->options = opt ? *opt : bs_calendar_default_options();
    cal->first_day = 0;
    cal->last_day = -1;
    cal->n_working = 0;
    cal->count_before = NULL;
    cal->wd_date = NULL;
    if (first_year < 1 || last_year > 9999 || first_year > last_year || last_year - first_year + 1 > 400) return -1;

    const bs_day first = bs_date_from_ymd(first_year, 1, 1);
    const bs_day last = bs_date_from_ymd(last_year, 12, 31);
    const int32_t n_days = last - first + 1;
    int32_t *cb = bs_calloc((size_t)n_days + 1, sizeof *cb);

    /* First mark days off with 1 in cb[i + 1], then turn it into a prefix count. */
    for (int y = first_year; y <= last_year; y++) {
        bs_day days[MAX_HOLIDAYS_PER_YEAR];
        bs_holiday kinds[MAX_HOLIDAYS_PER_YEAR];
        int n = holidays_of_year(&cal->options, y, days, kinds);
        for (int i = 0; i < n; i++) cb[days[i] - first + 1] = 1;
    }
    int wd = bs_weekday(first); /* weekday of day index 0 */
    int32_t count = 0;
    cb[0] = 0;
    for (int32_t i = 0; i < n_days; i++) {
        bool working = wd <= 5 && cb[i + 1] == 0;
        count += working;
        cb[i + 1] = count;
        wd = wd == 7 ? 1 : wd + 1;
    }

    bs_day *dates = bs_malloc((size_t)(count > 0 ? count : 1) * sizeof *dates);
    for (int32_t i = 0; i < n_days; i++)
        if (cb[i + 1] != cb[i]) dates[cb[i]] = first + i;

    cal->first_day = first;
    cal->last_day = last;
    cal->n_working = count;
    cal->count_before = cb;
    cal->wd_date = dates;
    return 0;
}

void bs_calendar_free(bs_calendar *cal) {
    if (!cal) return;
    free(cal->count_before);
    free(cal->wd_date);
    cal->count_before = NULL;
    cal->wd_date = NULL;
    cal->n_working = 0;
}

bool bs_calendar_covers(const bs_calendar *cal, bs_day day) {
    return cal->count_before && day >= cal->first_day && day <= cal->last_day;
}

bool bs_calendar_is_working(const bs_calendar *cal, bs_day day) {
    if (!bs_calendar_covers(cal, day)) return bs_weekday(day) <= 5;
    int32_t i = day - cal->first_day;
    return cal->count_before[i + 1] != cal->count_before[i];
}

int32_t bs_calendar_boundary_before(const bs_calendar *cal, bs_day day) {
    if (!cal->count_before || day < cal->first_day) return 0;
    if ((int64_t)day > (int64_t)cal->last_day + 1) return cal->n_working;
    return cal->count_before[day - cal->first_day];
}

int32_t bs_calendar_boundary_after(const bs_calendar *cal, bs_day day) {
    if (day >= cal->last_day) return day < cal->first_day ? 0 : cal->n_working;
    return bs_calendar_boundary_before(cal, day + 1);
}

bs_day bs_calendar_wd_date(const bs_calendar *cal, int32_t index) {
    if (cal->n_working <= 0) return BS_DAY_NONE;
    if (index < 0) index = 0;
    if (index >= cal->n_working) index = cal->n_working - 1;
    return cal->wd_date[index];
}

/* Extended working-day numbering for add_working_days: inside the range it is the table;
 * outside, every Monday–Friday counts (as bs_calendar_is_working says). wk_count counts
 * Monday–Friday days in [1970-01-05 (a Monday), day), negative before it. */
static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t wk_count(int64_t day) {
    int64_t t = day - 4;
    int64_t w = floor_div(t, 7);
    int64_t r = t - 7 * w; /* 0 = Monday … 6 = Sunday */
    return 5 * w + (r < 5 ? r : 5);
}

static int64_t wk_date(int64_t c) /* the weekday with wk_count == c */
{
    int64_t w = floor_div(c, 5);
    return 4 + 7 * w + (c - 5 * w);
}

static int64_t ext_index(const bs_calendar *cal, bs_day day) /* working days before day */
{
    if (!cal->count_before) return wk_count(day);
    if (day < cal->first_day) return wk_count(day) - wk_count(cal->first_day);
    if ((int64_t)day > (int64_t)cal->last_day + 1)
        return cal->n_working + wk_count(day) - wk_count((int64_t)cal->last_day + 1);
    return cal->count_before[day - cal->first_day];
}

static int64_t ext_date(const bs_calendar *cal, int64_t index) {
    if (!cal->count_before) return wk_date(index);
    if (index < 0) return wk_date(wk_count(cal->first_day) + index);
    if (index >= cal->n_working) return wk_date(wk_count((int64_t)cal->last_day + 1) + (index - cal->n_working));
    return cal->wd_date[index];
}

bs_day bs_calendar_add_working_days(const bs_calendar *cal, bs_day day, int32_t n) {
    int64_t idx = ext_index(cal, day);                        /* index of the first working day on/after day */
    if (!bs_calendar_is_working(cal, day) && n < 0) idx -= 1; /* the previous working day instead */
    int64_t r = ext_date(cal, idx + n);
    if (r > INT32_MAX) r = INT32_MAX;
    if (r <= INT32_MIN) r = INT32_MIN + 1;
    return (bs_day)r;
}

/* ---- Algemene termijnenwet ---- */

bs_day bs_atw_term_end(bs_day day) {
    /* Art. 3: Nieuwjaarsdag, 2e Paas- en Pinksterdag, both Kerstdagen, Hemelvaartsdag,
     * Koningsdag and 5 May; Goede Vrijdag is equated to them (art. 3 lid 2). The first
     * Paas- and Pinksterdag are Sundays. So: every holiday with Goede Vrijdag and 5 May
     * every year. */
    const bs_calendar_options atw = {.goede_vrijdag = true, .bevrijdingsdag = BS_BEVRIJDINGSDAG_YEARLY};
    while (day < INT32_MAX && (bs_weekday(day) >= 6 || bs_holiday_on(&atw, day) != BS_HOLIDAY_NONE)) day++;
    return day;
}
