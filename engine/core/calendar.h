/*
 * Bouwstroom engine core: civil dates and the Dutch working-day calendar.
 *
 * Pure code: no I/O, no clock, no globals. Dates are civil dates (Europe/Amsterdam
 * is irrelevant here: there is no time of day) represented as day numbers.
 */
#ifndef BS_CALENDAR_H
#define BS_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A civil date as a day number: days since 1970-01-01 (that day is 0). Proleptic
 * Gregorian calendar. Algorithm: Howard Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms" (days_from_civil / civil_from_days). */
typedef int32_t bs_day;

/* "No date" sentinel for optional dates. */
#define BS_DAY_NONE INT32_MIN

/* Day number of the civil date y-m-d (month 1..12, day 1..31). No validation:
 * use bs_date_valid first for untrusted input. */
bs_day bs_date_from_ymd(int y, int m, int d);

/* Splits a day number into year, month (1..12) and day (1..31). */
void bs_date_to_ymd(bs_day day, int *y, int *m, int *d);

/* True when y-m-d is an existing Gregorian date with 1 <= y <= 9999. */
bool bs_date_valid(int y, int m, int d);

/* Parses exactly "YYYY-MM-DD" (ISO 8601 calendar date, extended format) into *out.
 * Returns 0, or -1 when the text is not of that form or not an existing date. */
int bs_date_parse(const char *s, bs_day *out);

/* Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). Returns buf. */
char *bs_date_format(bs_day day, char buf[static 11]);

/* ISO 8601 weekday: 1 = Monday … 7 = Sunday. */
int bs_weekday(bs_day day);

/* Easter Sunday of a Gregorian year (anonymous Gregorian algorithm,
 * "Meeus/Jones/Butcher", Meeus: Astronomical Algorithms, ch. 8). */
bs_day bs_easter_sunday(int year);

/* Dutch public holidays (domain brief §4). */
typedef enum bs_holiday {
    BS_HOLIDAY_NONE = 0,
    BS_HOLIDAY_NIEUWJAARSDAG,
    BS_HOLIDAY_GOEDE_VRIJDAG,
    BS_HOLIDAY_EERSTE_PAASDAG,
    BS_HOLIDAY_TWEEDE_PAASDAG,
    BS_HOLIDAY_KONINGSDAG,         /* 27 Apr (26 Apr when 27th is Sunday), from 2014 */
    BS_HOLIDAY_KONINGINNEDAG,      /* 30 Apr (29 Apr when 30th is Sunday), before 2014 */
    BS_HOLIDAY_BEVRIJDINGSDAG,     /* 5 May */
    BS_HOLIDAY_HEMELVAARTSDAG,     /* Easter + 39 */
    BS_HOLIDAY_EERSTE_PINKSTERDAG, /* Easter + 49 */
    BS_HOLIDAY_TWEEDE_PINKSTERDAG, /* Easter + 50 */
    BS_HOLIDAY_EERSTE_KERSTDAG,
    BS_HOLIDAY_TWEEDE_KERSTDAG,
} bs_holiday;

/* Official Dutch name of a holiday ("Goede Vrijdag", "Koningsdag", …); "" for NONE. */
const char *bs_holiday_name(bs_holiday h);

/* Which holidays count as days off for an organisation. */
typedef enum bs_bevrijdingsdag_rule {
    BS_BEVRIJDINGSDAG_NEVER = 0,
    BS_BEVRIJDINGSDAG_LUSTRUM, /* only in years divisible by 5 (2020, 2025, …) */
    BS_BEVRIJDINGSDAG_YEARLY,
} bs_bevrijdingsdag_rule;

typedef struct bs_calendar_options {
    bool goede_vrijdag;                    /* Goede Vrijdag is a day off */
    bs_bevrijdingsdag_rule bevrijdingsdag; /* when 5 May is a day off */
} bs_calendar_options;

/* Default organisation options: Goede Vrijdag off = false, Bevrijdingsdag lustrum. */
bs_calendar_options bs_calendar_default_options(void);

/* The holiday (per these options) falling on day, or BS_HOLIDAY_NONE. Works for any
 * year; does not look at weekends (a holiday on a Sunday is still reported). */
bs_holiday bs_holiday_on(const bs_calendar_options *opt, bs_day day);

/*
 * A working-day calendar over a fixed range of years, precomputed for O(1) lookups.
 * Working days are Monday–Friday that are not holidays under the options.
 *
 * Working-day index model (TaskJuggler / MS Project): working days in the range are
 * numbered 0, 1, 2, … A "boundary" b is the instant just before working day b (so
 * the instant at the end of working day b-1, including the weekend that follows it).
 *
 * Owner: the caller owns the struct; bs_calendar_free releases the tables.
 */
typedef struct bs_calendar {
    bs_calendar_options options;
    bs_day first_day;      /* 1 Jan of first year */
    bs_day last_day;       /* 31 Dec of last year */
    int32_t n_working;     /* number of working days in the range */
    int32_t *count_before; /* [day - first_day]: working days strictly before day; size last-first+2 */
    bs_day *wd_date;       /* [index]: date of working day index; size n_working */
} bs_calendar;

/* Builds the calendar for years first_year..last_year (inclusive; at most 400 years).
 * Returns 0, or -1 on a bad range or out of memory (cal is then left freeable). */
int bs_calendar_init(bs_calendar *cal, const bs_calendar_options *opt, int first_year, int last_year);

/* Releases the tables. Safe on a zeroed or failed calendar. */
void bs_calendar_free(bs_calendar *cal);

/* True when day is inside the calendar's range. */
bool bs_calendar_covers(const bs_calendar *cal, bs_day day);

/* True when day is a working day. Days outside the range: weekdays count as working. */
bool bs_calendar_is_working(const bs_calendar *cal, bs_day day);

/* Boundary at the start of day: the index of the first working day on or after day
 * (= number of working days strictly before day). Clamped to [0, n_working] outside the range. */
int32_t bs_calendar_boundary_before(const bs_calendar *cal, bs_day day);

/* Boundary at the end of day: number of working days on or before day
 * (= bs_calendar_boundary_before(day + 1)). */
int32_t bs_calendar_boundary_after(const bs_calendar *cal, bs_day day);

/* Date of working day index i (clamped into [0, n_working-1]). */
bs_day bs_calendar_wd_date(const bs_calendar *cal, int32_t index);

/* Adds n working days (n may be negative) to a working day: the date of the working day
 * n positions further. When day is not a working day it first moves forward to the next
 * working day (n >= 0) or back to the previous one (n < 0). */
bs_day bs_calendar_add_working_days(const bs_calendar *cal, bs_day day, int32_t n);

/* Algemene termijnenwet art. 1 and 3: if day (the last day of a statutory term) is a
 * Saturday, Sunday or a recognised holiday (Nieuwjaarsdag, Goede Vrijdag, 2e Paasdag,
 * Hemelvaartsdag, 2e Pinksterdag, 1e and 2e Kerstdag, Koningsdag/Koninginnedag, 5 May
 * every year), returns the next day that is none of these; otherwise day. Independent of
 * the organisation options. */
bs_day bs_atw_term_end(bs_day day);

#endif
