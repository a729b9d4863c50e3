/*
 * Bouwstroom: the allocation policy (alloc.h): allocate or abort with a message.
 */
#include "alloc.h"

#include <stdarg.h>
#include <stdbool.h>
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

/* ---- the compact writer of bs_json_dumps ---- */

typedef struct jbuf {
    char *s;
    size_t len, cap;
} jbuf;

static void jb_grow(jbuf *b, size_t more) {
    if (b->len + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more + 1) cap *= 2;
    b->s = bs_realloc(b->s, cap);
    b->cap = cap;
}

static void jb_put(jbuf *b, const char *p, size_t n) {
    jb_grow(b, n);
    memcpy(b->s + b->len, p, n);
    b->len += n;
}

/* A JSON string as jansson's dump writes it without JSON_ENSURE_ASCII / JSON_ESCAPE_SLASH:
 * '"' and '\\' escaped, \b \f \n \r \t short, other bytes below 0x20 as \u00XX (upper-case
 * hex, as jansson's "\\u%04X"); every other byte (UTF-8 included) as it is. */
static void jb_string(jbuf *b, const char *p, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    jb_grow(b, n + 2);
    b->s[b->len++] = '"';
    size_t run = 0; /* p[run..i) is not yet copied */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        jb_put(b, p + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            el = 6;
        }
        jb_put(b, e, el);
    }
    jb_put(b, p + run, n - run);
    jb_put(b, "\"", 1);
}

/* Appends json compactly; false when it holds a real or nests deeper than 512 (the caller
 * then lets jansson write the whole document: its float format and its loop check). */
static bool jb_value(jbuf *b, const json_t *json, int depth) {
    char num[32];
    if (depth > 512) return false;
    switch (json_typeof(json)) {
    case JSON_OBJECT: {
        const char *k;
        const json_t *v;
        bool first = true;
        jb_put(b, "{", 1);
        /* jansson iterates over a non-const object; nothing is changed */
        json_t *obj = (json_t *)(uintptr_t)json;
        json_object_foreach(obj, k, v) {
            if (!first) jb_put(b, ",", 1);
            first = false;
            jb_string(b, k, strlen(k));
            jb_put(b, ":", 1);
            if (!jb_value(b, v, depth + 1)) return false;
        }
        jb_put(b, "}", 1);
        return true;
    }
    case JSON_ARRAY: {
        size_t i;
        const json_t *v;
        jb_put(b, "[", 1);
        json_array_foreach(json, i, v) {
            if (i) jb_put(b, ",", 1);
            if (!jb_value(b, v, depth + 1)) return false;
        }
        jb_put(b, "]", 1);
        return true;
    }
    case JSON_STRING: jb_string(b, json_string_value(json), json_string_length(json)); return true;
    case JSON_INTEGER: {
        int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(json));
        jb_put(b, num, (size_t)n);
        return true;
    }
    case JSON_TRUE: jb_put(b, "true", 4); return true;
    case JSON_FALSE: jb_put(b, "false", 5); return true;
    case JSON_NULL: jb_put(b, "null", 4); return true;
    default: return false; /* JSON_REAL */
    }
}

char *bs_json_dumps(const json_t *json, size_t flags) {
    /* JSON_COMPACT, the answer of every API route: written here, byte for byte as jansson
     * writes it, without jansson's loop check (a hashtable insert keyed by the printed address
     * of every object and array it enters: most of its time on a schedule of 40 steps; issue
     * 17 item 1). Anything else (indent, sorted keys, reals) is jansson's own. */
    if (flags == JSON_COMPACT && (json_is_object(json) || json_is_array(json))) {
        jbuf b = {0};
        if (jb_value(&b, json, 0)) {
            b.s[b.len] = 0;
            return b.s;
        }
        free(b.s);
    }
    char *s = json_dumps(json, flags);
    if (!s) oom(0);
    return s;
}
