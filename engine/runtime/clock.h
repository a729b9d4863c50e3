/*
 * Bouwstroom runtime: the injectable wall clock (used only by alerts, feeds and the
 * "not after today" check; the engine core never reads a clock).
 */
#ifndef BS_CLOCK_H
#define BS_CLOCK_H

#include <stdint.h>
#include <time.h>

typedef struct bs_clock {
    int64_t offset_s; /* added to the system clock; tests set it with `serve --clock` */
} bs_clock;

/* Now, seconds since the epoch (UTC). */
static inline int64_t bs_clock_now(const bs_clock *c) {
    return (int64_t)time(NULL) + (c ? c->offset_s : 0);
}

/* Now in milliseconds since the epoch (UTC), for timers. */
static inline int64_t bs_clock_now_ms(const bs_clock *c) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (c ? c->offset_s * 1000 : 0);
}

/* Today's civil date (days since 1970-01-01) in Europe/Amsterdam at this clock's now:
 * CET (UTC+1), CEST (UTC+2) from the last Sunday of March 01:00 UTC to the last Sunday of
 * October 01:00 UTC (EU Directive 2000/84/EC). */
static inline int32_t bs_clock_today_amsterdam(const bs_clock *c) {
    int64_t now = bs_clock_now(c);
    int64_t day = now >= 0 ? now / 86400 : -((-now + 86399) / 86400);
    /* year of day (Hinnant's civil_from_days, shortened) */
    int64_t z = day + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int64_t y = yoe + era * 400 + (mp >= 10 ? 1 : 0);
    /* last Sunday of March / October of y, as day numbers */
    int64_t dst[2];
    for (int i = 0; i < 2; i++) {
        int64_t m = i == 0 ? 3 : 10, yy = y, d = 31;
        int64_t e = (yy >= 0 ? yy : yy - 399) / 400, yoe2 = yy - e * 400;
        int64_t doy2 = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe2 = yoe2 * 365 + yoe2 / 4 - yoe2 / 100 + doy2;
        int64_t last = e * 146097 + doe2 - 719468; /* 31 March / 31 October */
        int64_t wd = ((last % 7) + 7 + 3) % 7;     /* 0 = Monday (1970-01-01 was a Thursday) */
        dst[i] = last - (wd + 1) % 7;              /* back to Sunday */
    }
    int64_t start = dst[0] * 86400 + 3600, end = dst[1] * 86400 + 3600;
    int64_t local = now + ((now >= start && now < end) ? 7200 : 3600);
    return (int32_t)(local >= 0 ? local / 86400 : -((-local + 86399) / 86400));
}

/* Formats t as an RFC 3339 UTC timestamp "YYYY-MM-DDTHH:MM:SSZ" into buf (≥ 21 bytes). */
static inline char *bs_clock_format(int64_t t, char *buf, size_t len) {
    time_t tt = (time_t)t;
    struct tm u;
    gmtime_r(&tt, &u);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &u);
    return buf;
}

#endif
