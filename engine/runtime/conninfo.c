/*
 * The connect timeout and the host rotations of a libpq connection string. See conninfo.h.
 */
#include "conninfo.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* The number of entries of a comma-separated libpq list (0 for NULL or ""). */
static int list_count(const char *v) {
    if (!v || !*v) return 0;
    int n = 1;
    for (const char *p = v; *p; p++)
        if (*p == ',') n++;
    return n;
}

/* The list v of n entries rotated left by r: entries r … n-1, then 0 … r-1. */
static char *list_rotated(const char *v, int n, int r) {
    size_t len = strlen(v);
    char *out = bs_malloc(len + 2);
    const char *start = v; /* the first character of entry r */
    for (int i = 0; i < r; i++) start = strchr(start, ',') + 1;
    size_t tail = len - (size_t)(start - v);
    memcpy(out, start, tail);
    if (r > 0 && r < n) {
        out[tail] = ',';
        memcpy(out + tail + 1, v, (size_t)(start - v) - 1);
        out[len] = 0;
    } else {
        out[tail] = 0;
    }
    return out;
}

/* Writes keyword='value' at p (after a space unless first; backslash and quote escaped, as
 * libpq's key=value syntax wants) and returns the end (a NUL there). */
static char *append_option(char *p, bool first, const char *keyword, const char *value) {
    if (!first) *p++ = ' ';
    size_t k = strlen(keyword);
    memcpy(p, keyword, k);
    p += k;
    *p++ = '=';
    *p++ = '\'';
    for (const char *v = value; *v; v++) {
        if (*v == '\\' || *v == '\'') *p++ = '\\';
        *p++ = *v;
    }
    *p++ = '\'';
    *p = 0;
    return p;
}

static bool is_host_list(const char *keyword) {
    return strcmp(keyword, "host") == 0 || strcmp(keyword, "hostaddr") == 0 || strcmp(keyword, "port") == 0;
}

/* The value of `options` in a variant: BS_SESSION_OPTIONS, then the string's own (val, may be
 * NULL), so that a -c switch the user gives comes later and wins. Owned by the caller. */
static char *session_options(const char *val) {
    if (!val || !*val) return bs_strdup(BS_SESSION_OPTIONS);
    size_t a = strlen(BS_SESSION_OPTIONS), b = strlen(val);
    char *out = bs_malloc(a + b + 2);
    memcpy(out, BS_SESSION_OPTIONS, a);
    out[a] = ' ';
    memcpy(out + a + 1, val, b + 1);
    return out;
}

/* The parsed options as one key=value string, each list of n_hosts entries rotated by r and
 * `options` with the store's session settings first (session_options). */
static char *variant(const PQconninfoOption *opts, int n_hosts, int r) {
    size_t size = 1 + strlen("options") + 2 * strlen(BS_SESSION_OPTIONS) + 6;
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val) size += strlen(o->keyword) + 2 * strlen(o->val) + 4; /* space, =, quotes */
    char *out = bs_malloc(size), *p = out;
    *p = 0;
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "options") == 0) {
            char *merged = session_options(o->val);
            p = append_option(p, p == out, o->keyword, merged);
            free(merged);
        } else if (!o->val) {
            continue;
        } else if (is_host_list(o->keyword) && list_count(o->val) == n_hosts) {
            char *rotated = list_rotated(o->val, n_hosts, r);
            p = append_option(p, p == out, o->keyword, rotated);
            free(rotated);
        } else {
            p = append_option(p, p == out, o->keyword, o->val);
        }
    }
    return out;
}

static int timeout_ms(const PQconninfoOption *opts) {
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "connect_timeout") != 0 || !o->val) continue;
        long s = strtol(o->val, NULL, 10);
        if (s <= 0) return 0;
        if (s < 2) s = 2; /* libpq: the minimum is 2 s */
        if (s > 86400) s = 86400;
        return (int)s * 1000;
    }
    return BS_CONNECT_TIMEOUT_DEFAULT_MS;
}

void bs_conninfo_init(bs_conninfo *ci, const char *conninfo) {
    ci->connect_timeout_ms = BS_CONNECT_TIMEOUT_DEFAULT_MS;
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    if (!opts) {
        ci->n_variants = 1;
        ci->variants = bs_calloc(1, sizeof *ci->variants);
        ci->variants[0] = bs_strdup(conninfo);
        return;
    }
    ci->connect_timeout_ms = timeout_ms(opts);
    int n_hosts = 1;
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "hostaddr") == 0)
            if (list_count(o->val) > n_hosts) n_hosts = list_count(o->val);
    ci->variants = bs_calloc((size_t)n_hosts, sizeof *ci->variants);
    for (int r = 0; r < n_hosts; r++) ci->variants[r] = variant(opts, n_hosts, r);
    ci->n_variants = n_hosts;
    PQconninfoFree(opts);
}

void bs_conninfo_free(bs_conninfo *ci) {
    for (int i = 0; i < ci->n_variants; i++) free(ci->variants[i]);
    free(ci->variants);
    ci->variants = NULL;
    ci->n_variants = 0;
}
