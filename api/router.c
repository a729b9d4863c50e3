/*
 * Bouwstroom API: matching a request against the route table (router.h), with the path
 * parameters parsed and validated once.
 */
#include "router.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api_internal.h"

/* How a path parameter is checked, and the 404 problem when it is malformed. */
typedef enum { P_UUID, P_POSITIVE, P_TEXT, P_FEED_TOKEN } path_kind;

typedef struct path_type {
    const char *after; /* the literal segment before the parameter ("projects") */
    const char *name;  /* the template's name ("{id}" → "id") */
    path_kind kind;
    size_t slot, slot_size; /* where the value goes: offsetof and sizeof a bs_path member */
    const char *field;      /* the problem's invalid_params name */
    const char *title;
    const char *detail;
} path_type;

#define SLOT(member) offsetof(bs_path, member), sizeof(((bs_path *)0)->member)

/* Every path parameter of the table, typed by the collection it follows. */
static const path_type path_types[] = {
    {"projects", "id", P_UUID, SLOT(project), "id", "Project not found",
     "A project id is a UUID (8-4-4-4-12 hexadecimal digits)"},
    {"steps", "key", P_TEXT, SLOT(step), "key", "Step not found", "No such step"},
    {"scenarios", "sid", P_UUID, SLOT(ref), "scenario_id", "Scenario not found", "A scenario id is a UUID"},
    {"goals", "id", P_UUID, SLOT(ref), "id", "Goal not found", "A goal id is a UUID"},
    {"blocks", "block_id", P_UUID, SLOT(ref), "block_id", "Block not found", "A block id is a UUID"},
    {"plusvelden", "key", P_TEXT, SLOT(sub), "key", "Plusveld not found", "No plusveld with this key"},
    {"follows", "user_id", P_UUID, SLOT(ref), "user_id", "Not found", "A user id is a UUID"},
    {"users", "id", P_UUID, SLOT(ref), "id", "Not found", "A user id is a UUID"},
    {"api-tokens", "id", P_UUID, SLOT(ref), "id", "Not found", "A token id is a UUID"},
    {"feed-tokens", "id", P_UUID, SLOT(ref), "id", "Not found", "A feed token id is a UUID"},
    {"organisations", "id", P_UUID, SLOT(ref), "id", "Not found", "An organisation id is a UUID"},
    {"events", "id", P_POSITIVE, SLOT(ref), "id", "Not found", "An event id is a positive integer"},
    {"process-schemas", "key", P_TEXT, SLOT(ref), "key", "Process schema not found", "No such process schema"},
    {"versions", "n", P_POSITIVE, SLOT(sub), "version", "Process schema version not found",
     "A version is a positive integer"},
    {"process-schema-versions", "key", P_TEXT, SLOT(sub), "key", "Not found", "No such process schema"},
    {"exports", "key", P_TEXT, SLOT(ref), "key", "No such export", "No such export"},
    {"migrations", "job_id", P_UUID, SLOT(ref), "job_id", "Migration not found", "A migration job id is a UUID"},
    {"calendar", "token", P_FEED_TOKEN, SLOT(ref), "token", "Feed not found", "No such feed"},
    {"unsubscribe", "token", P_TEXT, SLOT(ref), "token", "Not found", "Unknown unsubscribe link"},
};

static const path_type *path_type_of(const char *after, const char *name, size_t name_len) {
    for (size_t i = 0; i < sizeof path_types / sizeof path_types[0]; i++)
        if (strcmp(path_types[i].after, after) == 0 && strlen(path_types[i].name) == name_len &&
            strncmp(path_types[i].name, name, name_len) == 0)
            return &path_types[i];
    return NULL;
}

static bool value_ok(path_kind kind, const char *v) {
    switch (kind) {
    case P_UUID: return bs_is_uuid(v);
    case P_POSITIVE: return *v && *v != '0' && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 18;
    case P_FEED_TOKEN: /* 64 lower-case hexadecimal digits (notifier/ical.c) */
        if (strlen(v) != 64) return false;
        for (const char *c = v; *c; c++)
            if (!isxdigit((unsigned char)*c) || isupper((unsigned char)*c)) return false;
        return true;
    case P_TEXT: return *v != 0;
    }
    return false;
}

#define MAX_SEGMENTS 12

/* Splits path at '/' into seg (pointers into buf). Returns the count, -1 when too many or too long. */
static int split(const char *path, char *buf, size_t buflen, const char **seg) {
    if (strlen(path) >= buflen) return -1;
    strcpy(buf, path);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGMENTS) return -1;
        seg[n++] = t;
    }
    return n;
}

/* Matches one template against the segments. 1 = match (out filled), 0 = not this
 * template, -1 = this template's shape but a malformed parameter (*bad = its type). */
static int match_template(const char *tmpl, const char **seg, int n, bs_path *out, const path_type **bad) {
    char tb[160];
    const char *ts[MAX_SEGMENTS];
    if (split(tmpl, tb, sizeof tb, ts) != n) return 0;
    bs_path p = {{0}, {0}, {0}, {0}};
    const path_type *malformed = NULL;
    for (int i = 0; i < n; i++) {
        const char *open = strchr(ts[i], '{');
        if (!open) {
            if (strcmp(ts[i], seg[i]) != 0) return 0;
            continue;
        }
        /* "{name}" or "{name}.suffix": the literal suffix must match */
        const char *close = strchr(open, '}');
        const char *suffix = close + 1;
        size_t sl = strlen(suffix), vl = strlen(seg[i]);
        if (vl <= sl || strcmp(seg[i] + vl - sl, suffix) != 0) return 0;
        const path_type *t = path_type_of(i > 0 ? ts[i - 1] : "", open + 1, (size_t)(close - open - 1));
        if (!t) return 0; /* a template without a type: a table bug, caught by test_routes */
        char value[256];
        if (vl - sl >= sizeof value) {
            if (!malformed) malformed = t;
            continue;
        }
        memcpy(value, seg[i], vl - sl);
        value[vl - sl] = 0;
        if (!value_ok(t->kind, value)) {
            if (!malformed) malformed = t;
            continue;
        }
        snprintf((char *)&p + t->slot, t->slot_size, "%s", value);
    }
    if (malformed) {
        *bad = malformed;
        return -1;
    }
    *out = p;
    return 1;
}

int bs_route_match(const char *method, const char *path, const bs_route **route, bs_path *out, char *allow,
                   size_t allow_len, bs_err *err) {
    char buf[1024];
    const char *seg[MAX_SEGMENTS];
    int n = split(path, buf, sizeof buf, seg);
    bool head = strcmp(method, "HEAD") == 0;
    const path_type *bad = NULL;
    bool found = false;
    allow[0] = 0;
    *route = NULL;
    for (size_t r = 0; n >= 0 && r < bs_n_routes; r++) {
        bs_path p;
        const path_type *b = NULL;
        int m = match_template(bs_routes[r].path, seg, n, &p, &b);
        if (m == 0) continue;
        if (m < 0) {
            if (!bad) bad = b;
            continue;
        }
        found = true;
        if (strcmp(bs_routes[r].method, method) == 0 || (head && strcmp(bs_routes[r].method, "GET") == 0)) {
            *route = &bs_routes[r];
            *out = p;
            return 0;
        }
        if (!strstr(allow, bs_routes[r].method)) {
            size_t l = strlen(allow);
            snprintf(allow + l, allow_len - l, "%s%s", l ? ", " : "", bs_routes[r].method);
        }
    }
    if (found)
        return bs_err_set(err, BS_EMETHOD, "method", "Method %s is not allowed here; allowed: %s", method, allow);
    if (bad) return bs_err_problem(err, BS_ENOTFOUND, "not_found", bad->title, bad->field, "%s", bad->detail);
    return bs_err_problem(err, BS_ENOTFOUND, "not_found", "Not found", NULL, "No resource at %.150s", path);
}

bool bs_route_owns(const char *path) {
    const char *p = path + (*path == '/');
    size_t n = strcspn(p, "/");
    for (size_t r = 0; r < bs_n_routes; r++) {
        const char *t = bs_routes[r].path + 1;
        if (strcspn(t, "/") == n && strncmp(t, p, n) == 0) return true;
    }
    return false;
}

size_t bs_route_max_body(const bs_route *route) {
    return route && route->max_body ? route->max_body : BS_HTTP_MAX_BODY_BYTES;
}
