/*
 * Engine core benchmark: critical-path schedules of the shipped ppm-woningbouw schema,
 * for each planstatus class, as the import and GET …/schedule compute them.
 * Prints schedules per second and ns per schedule. Not a test: run `make bench`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "calendar.h"
#include "plan.h"
#include "schedule.h"
#include "schema.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    size_t len;
    char *text = slurp(BS_SOURCE_DIR "/processes/ppm-woningbouw.json", &len);
    if (!text) {
        perror("ppm-woningbouw.json");
        return 1;
    }
    bs_schema_problems probs = {0};
    bs_schema *s = bs_schema_load(text, len, false, &probs);
    free(text);
    if (!s) {
        fprintf(stderr, "schema invalid\n");
        return 1;
    }
    bs_calendar cal;
    bs_calendar_options opt = bs_calendar_default_options();
    double t0 = now_s();
    bs_calendar_init(&cal, &opt, 1990, 2150);
    double t_cal = now_s() - t0;
    static const char *codes[] = {"1A", "1B", "2A", "3", "4A", "onbekend"};
    bs_progress *prog[6];
    for (int c = 0; c < 6; c++) {
        prog[c] = calloc((size_t)s->n_steps, sizeof(bs_progress));
        bs_plan_initial_progress(s, codes[c], prog[c]);
    }
    bs_day dd = bs_date_from_ymd(2020, 4, 2);
    long sink = 0;
    t0 = now_s();
    for (long i = 0; i < iterations; i++) {
        bs_schedule out;
        if (bs_schedule_compute(s, prog[i % 6], dd + (bs_day)(i % 300), &cal, &out) != BS_SCHEDULE_OK) return 1;
        sink += out.project_finish;
        bs_schedule_free(&out);
    }
    double el = now_s() - t0;
    printf("calendar 1990-2150 built in %.3f ms\n", t_cal * 1e3);
    printf("schema %s: %d steps, %d links\n", s->key, s->n_steps, s->n_links);
    printf("%ld schedules in %.3f s: %.0f schedules/s, %.0f ns per schedule (checksum %ld)\n", iterations, el,
           iterations / el, el / (double)iterations * 1e9, sink);
    for (int c = 0; c < 6; c++) free(prog[c]);
    bs_calendar_free(&cal);
    bs_schema_free(s);
    return 0;
}
