/*
 * What the fuzz targets share (fuzz.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fuzz.h"

const bs_engine *bs_fuzz_engine(void) {
    static bs_engine engine;
    static bool loaded;
    if (!loaded) {
        char *dir = bs_asprintf("%s/processes", bs_home());
        bs_err err = {0};
        if (bs_engine_init(&engine, dir, &err, NULL) != 0) {
            fprintf(stderr, "fuzz: cannot load the process schemas of %s: %s\n", dir, err.msg);
            abort();
        }
        free(dir);
        loaded = true;
    }
    return &engine;
}

bs_day bs_fuzz_today(void) {
    return bs_date_from_ymd(2024, 5, 15);
}

void bs__fuzz_fail(const char *what, const char *file, int line) {
    fprintf(stderr, "fuzz: invariant violated at %s:%d: %s\n", file, line, what);
    abort();
}

char *bs_fuzz_strndup(const uint8_t *data, size_t size) {
    char *s = bs_malloc(size + 1);
    if (size) memcpy(s, data, size);
    s[size] = 0;
    return s;
}

void bs_fuzz_split(bs_fuzz_fields *f, const uint8_t *data, size_t size, unsigned char sep, size_t n) {
    if (n > BS_FUZZ_MAX_FIELDS) n = BS_FUZZ_MAX_FIELDS;
    memset(f, 0, sizeof *f);
    f->n = n;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t end = size;
        if (i + 1 < n && pos < size) {
            const uint8_t *s = memchr(data + pos, sep, size - pos);
            if (s) end = (size_t)(s - data);
        }
        size_t len = pos < size ? end - pos : 0;
        f->field[i] = bs_fuzz_strndup(data + (pos < size ? pos : size), len);
        f->len[i] = len;
        pos = end < size ? end + 1 : size;
    }
}

void bs_fuzz_fields_free(bs_fuzz_fields *f) {
    for (size_t i = 0; i < f->n; i++) free(f->field[i]);
    f->n = 0;
}
