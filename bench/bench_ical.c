/*
 * Benchmark: render a 1,000-event iCalendar feed (notifier/ical.c on libical).
 *
 *   bench_ical [ITERATIONS [EVENTS_JSON]]
 *
 * Prints the time per render (median and best of ITERATIONS, default 200) and a
 * machine-readable line "bench_ical_ms_median=…". With EVENTS_JSON, also writes the same
 * events as JSON for bench/ical_generator_bench.mjs (ical-generator on Node.js), so that
 * scripts/bench_ical.sh can compare both on identical input.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sample_feed.h"

#define N_EVENTS 1000
#define DTSTAMP_S INT64_C(1764414000) /* 2025-11-29T11:00:00Z */

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void iso_date(bs_day d, char out[11]) {
    bs_date_format(d, out);
}

static void iso_utc(int64_t t, char out[32]) {
    int y, m, d;
    bs_date_to_ymd((bs_day)(t / 86400), &y, &m, &d);
    int64_t s = t % 86400;
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

static int write_events_json(const bs_ical_calendar *cal, const char *path) {
    json_t *root = json_object(), *evs = json_array();
    char buf[32];
    json_object_set_new(root, "name", json_string(cal->name));
    json_object_set_new(root, "description", json_string(cal->description));
    json_object_set_new(root, "refresh_minutes", json_integer(cal->refresh_minutes));
    iso_utc(DTSTAMP_S, buf);
    json_object_set_new(root, "dtstamp", json_string(buf));
    for (size_t i = 0; i < cal->n_events; i++) {
        const bs_ical_event *e = &cal->events[i];
        json_t *o = json_object(), *cats = json_array();
        json_object_set_new(o, "uid", json_string(e->uid));
        json_object_set_new(o, "summary", json_string(e->summary));
        json_object_set_new(o, "description", json_string(e->description));
        iso_date(e->start, buf);
        json_object_set_new(o, "start", json_string(buf));
        iso_date(e->finish + 1, buf);
        json_object_set_new(o, "end_exclusive", json_string(buf));
        json_object_set_new(o, "sequence", json_integer(e->sequence));
        iso_utc(e->last_modified, buf);
        json_object_set_new(o, "last_modified", json_string(buf));
        json_object_set_new(o, "url", json_string(e->url));
        for (size_t k = 0; k < e->n_categories; k++) json_array_append_new(cats, json_string(e->categories[k]));
        json_object_set_new(o, "categories", cats);
        json_array_append_new(evs, o);
    }
    json_object_set_new(root, "events", evs);
    int rc = json_dump_file(root, path, JSON_COMPACT);
    json_decref(root);
    return rc;
}

int main(int argc, char **argv) {
    int iters = argc > 1 ? atoi(argv[1]) : 200;
    if (iters < 1) iters = 1;
    bs_sample_feed f;
    bs_sample_large(&f, N_EVENTS);
    if (argc > 2 && write_events_json(&f.cal, argv[2]) != 0) {
        fprintf(stderr, "bench_ical: cannot write %s\n", argv[2]);
        return 1;
    }
    double *ms = malloc(sizeof *ms * (size_t)iters);
    size_t len = 0;
    for (int w = 0; w < 5; w++) { /* warm-up */
        char *out;
        if (bs_ical_render(&f.cal, DTSTAMP_S, &out, &len) != 0) return 1;
        free(out);
    }
    for (int i = 0; i < iters; i++) {
        char *out;
        double t0 = now_ms();
        int rc = bs_ical_render(&f.cal, DTSTAMP_S + i, &out, &len);
        double t1 = now_ms();
        if (rc) {
            fprintf(stderr, "bench_ical: %s\n", bs_ical_strerror(rc));
            return 1;
        }
        free(out);
        ms[i] = t1 - t0;
    }
    qsort(ms, (size_t)iters, sizeof *ms, cmp_double);
    printf("bouwstroom (C, libical): %d events, %zu bytes, %d renders: median %.3f ms, "
           "best %.3f ms per render (target <= 5 ms)\n",
           N_EVENTS, len, iters, ms[iters / 2], ms[0]);
    printf("bench_ical_ms_median=%.3f\n", ms[iters / 2]);
    free(ms);
    bs_sample_free(&f);
    bs_ical_shutdown();
    return 0;
}
