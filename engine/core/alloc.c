/*
 * Bouwstroom: the allocation policy (alloc.h): allocate or abort with a message.
 */
#include "alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Prints what could not be allocated and aborts. Nothing else is safe to do: any further
 * allocation may fail too, so the message is written with a fixed buffer. */
static void oom(size_t size) __attribute__((noreturn));
static void oom(size_t size) {
    fprintf(stderr, "bouwstroom: out of memory allocating %zu bytes\n", size);
    fflush(stderr);
    abort();
}

void *bs_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) oom(size);
    return p;
}

void *bs_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) oom(SIZE_MAX);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *bs_realloc(void *p, size_t size) {
    void *q = realloc(p, size ? size : 1);
    if (!q) oom(size);
    return q;
}

void *bs_reallocarray(void *p, size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) oom(SIZE_MAX);
    return bs_realloc(p, n * size);
}

char *bs_strdup(const char *s) {
    size_t n = strlen(s);
    char *d = bs_malloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

char *bs_strndup(const char *s, size_t n) {
    size_t l = strnlen(s, n);
    char *d = bs_malloc(l + 1);
    memcpy(d, s, l);
    d[l] = 0;
    return d;
}

char *bs_asprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) oom(0);
    char *s = bs_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void bs_free(void *p) {
    free(p);
}

char *bs_json_dumps(const json_t *json, size_t flags) {
    char *s = json_dumps(json, flags);
    if (!s) oom(0);
    return s;
}
