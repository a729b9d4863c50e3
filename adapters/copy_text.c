/*
 * Values in COPY's text format. See copy_text.h.
 */
#include "copy_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void bs_copy_put(bs_copy_buf *o, const char *s, size_t n) {
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        while (o->len + n + 1 > cap) cap *= 2;
        o->p = bs_realloc(o->p, cap);
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = 0;
}

void bs_copy_text(bs_copy_buf *o, const char *s, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = s[i] == '\\'   ? "\\\\"
                          : s[i] == '\t' ? "\\t"
                          : s[i] == '\n' ? "\\n"
                          : s[i] == '\r' ? "\\r"
                                         : 0;
        if (!esc) continue;
        bs_copy_put(o, s + run, i - run);
        bs_copy_put(o, esc, 2);
        run = i + 1;
    }
    bs_copy_put(o, s + run, n - run);
}

/* An array of strings as a PostgreSQL array literal ({"a","b"}: every element quoted, " and \
 * escaped), itself escaped as a COPY field: written piece by piece through bs_copy_text (the
 * escaping is per byte), without a buffer of its own. */
static void copy_array(bs_copy_buf *o, const json_t *arr) {
    bs_copy_put(o, "{", 1);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *v = json_string_value(json_array_get(arr, i));
        if (i) bs_copy_put(o, ",", 1);
        if (!v) {
            bs_copy_put(o, "NULL", 4);
            continue;
        }
        bs_copy_put(o, "\"", 1);
        const char *run = v;
        for (const char *c = v; *c; c++) {
            if (*c != '"' && *c != '\\') continue;
            bs_copy_text(o, run, (size_t)(c - run));
            bs_copy_text(o, "\\", 1);
            run = c; /* the character itself starts the next run */
        }
        bs_copy_text(o, run, strlen(run));
        bs_copy_put(o, "\"", 1);
    }
    bs_copy_put(o, "}", 1);
}

/* json_dump_callback's sink: a piece of the dump, escaped as text into the buffer (data). */
static int dump_escaped(const char *buffer, size_t size, void *data) {
    bs_copy_text(data, buffer, size);
    return 0;
}

void bs_copy_field(bs_copy_buf *o, const json_t *v, size_t json_flags) {
    char num[40];
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING: bs_copy_text(o, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        bs_copy_put(o, num, strlen(num));
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        bs_copy_put(o, num, strlen(num));
        break;
    case JSON_TRUE: bs_copy_put(o, "t", 1); break;
    case JSON_FALSE: bs_copy_put(o, "f", 1); break;
    case JSON_ARRAY: copy_array(o, v); break;
    case JSON_OBJECT:
        /* jansson's dump written straight into the row, escaped as it comes (the text of
         * json_dumps, without its own growing buffer per object: issue 17 item 4) */
        if (json_dump_callback(v, dump_escaped, o, json_flags) != 0) { /* jansson's allocation failed */
            fprintf(stderr, "bouwstroom: out of memory writing a JSON field\n");
            abort();
        }
        break;
    case JSON_NULL: bs_copy_put(o, "\\N", 2); break;
    }
}
