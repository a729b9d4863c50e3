/*
 * Bouwstroom engine core: process schemas (steps, milestones, dependencies).
 *
 * Loads a schema from JSON bytes (jansson), validates it and reports every problem at
 * once with its JSON path. The format and the rules are documented in
 * docs/process-schema.md; keep the two in step.
 *
 * Structure of the loader:
 *   1. json_loadb (syntax errors → one problem at "$" with line:column);
 *   2. top-level fields, then every step in document order (own fields, key syntax,
 *      duplicate keys, durations, applies_to, the shape of depends_on entries);
 *   3. dependency references (resolved against all keys, so forward references work),
 *      building the links;
 *   4. preds/succs, then Kahn's algorithm (lowest step index first); if steps remain,
 *      cycles are reported one by one ("cycle: a -> b -> a": the shortest cycle through
 *      the lowest-index step on one, found inside its strongly connected component,
 *      Tarjan) and the link closing each is set aside until the rest is acyclic.
 * Problems are sorted by (top level, step index), then by discovery order.
 */
#include "schema.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* Limits that keep the work and the integers bounded. */
enum {
    MAX_STEPS = 10000,       /* steps per schema */
    MAX_DEPS = 1000,         /* depends_on entries per step */
    MAX_DAYS = 36500,        /* |duration| and |lag| (100 years) */
    MAX_KEY_LEN = 64,        /* bytes in a step or schema key */
    MAX_CYCLE_REPORTS = 100, /* cycles reported before giving up */
};

/* Planstatus codes accepted in applies_to.planstatus. Same list as plan.h (national code
 * list, domain brief §2); duplicated here so that schema.c stays self-contained. */
static const char *const PLANSTATUS_CODES[] = {"1A", "1B", "1C", "2A", "2B", "2C", "3", "4A", "4B", "onbekend"};
#define N_PLANSTATUS_CODES (sizeof PLANSTATUS_CODES / sizeof PLANSTATUS_CODES[0])

/* Project phases of the VNG tool (domain brief §2), allowed in a step's "phase". */
static const char *const PHASES[] = {"concept",       "initiatief", "definitie", "ontwerp",
                                     "voorbereiding", "realisatie", "nazorg"};
#define N_PHASES (sizeof PHASES / sizeof PHASES[0])

/* Rank of a problem for sorting: top level first, then steps in document order (a cycle
 * is ranked with the step it is reported at, after that step's other problems). */
#define RANK_TOP 0
#define RANK_STEP(i) ((i) + 1)
#define RANK_CYCLES (MAX_STEPS + 2)

/* ------------------------------------------------------------------------------------ */
/* Problem collection                                                                   */

typedef struct problem_tmp {
    char *path;
    char *message;
    int rank;
    size_t seq;
} problem_tmp;

typedef struct ctx {
    problem_tmp *items;
    size_t n, cap;
    bool oom; /* an allocation failed: the result is NULL whatever else happened */
    int rank; /* rank of problems added now */
} ctx;

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = bs_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

__attribute__((format(printf, 3, 4))) static void add_problem(ctx *c, const char *path, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        c->items = bs_realloc(c->items, cap * sizeof *c->items);
        c->cap = cap;
    }
    problem_tmp *p = &c->items[c->n];
    p->path = dup_str(path);
    p->message = dup_str(buf);
    if (!p->path || !p->message) {
        free(p->path);
        free(p->message);
        c->oom = true;
        return;
    }
    p->rank = c->rank;
    p->seq = c->n;
    c->n++;
}

static int cmp_problem(const void *a, const void *b) {
    const problem_tmp *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Moves the collected problems into the public list (sorted), or frees them. */
static void hand_over(ctx *c, bs_schema_problems *out) {
    if (out && c->n) {
        qsort(c->items, c->n, sizeof *c->items, cmp_problem);
        out->items = bs_malloc(c->n * sizeof *out->items);
        if (out->items) {
            for (size_t i = 0; i < c->n; i++) {
                out->items[i].path = c->items[i].path;
                out->items[i].message = c->items[i].message;
            }
            out->count = c->n;
            free(c->items);
            c->items = NULL;
            c->n = 0;
            return;
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].path);
        free(c->items[i].message);
    }
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

/* ------------------------------------------------------------------------------------ */
/* Text helpers                                                                         */

/* Writes s as a quoted, escaped, one-line string into out (truncated at a UTF-8 character
 * boundary with "..." when long). For messages only. */
static const char *quote(char *out, size_t n, const char *s) {
    /* n >= 16; keep room for one escape (6), "...", the closing quote and the NUL */
    const size_t limit = n - 12 < 64 ? n - 12 : 64;
    size_t o = 0;
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (o >= limit) {
            while (o > 1 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) o--; /* continuation bytes */
            if (o > 1 && ((unsigned char)out[o - 1] & 0xC0) == 0xC0) o--;    /* their lead byte */
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7F) {
            o += (size_t)snprintf(out + o, n - o, "\\u%04x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}

/* Path of a member of the object at base: base.name, or base["name"] for odd names. */
static void child_path(char *out, size_t n, const char *base, const char *name) {
    bool plain = (*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') || *name == '_';
    for (const char *p = name; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
    if (plain && strlen(name) <= MAX_KEY_LEN) {
        snprintf(out, n, "%s.%s", base, name);
    } else {
        char q[96];
        snprintf(out, n, "%s[%s]", base, quote(q, sizeof q, name));
    }
}

static const char *json_type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* ^[a-z][a-z0-9_]*$ (step keys), with '-' allowed too for schema keys. */
static bool key_syntax_ok(const char *s, bool allow_dash) {
    if (!(*s >= 'a' && *s <= 'z')) return false;
    for (const char *p = s + 1; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || (allow_dash && *p == '-');
        if (!ok) return false;
    }
    return true;
}

static bool in_list(const char *s, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0) return true;
    return false;
}

/* ------------------------------------------------------------------------------------ */
/* Field readers: each reports a missing or ill-typed field at its own path.            */

/* Reports every member of obj not in allowed as "unknown field". */
static void check_fields(ctx *c, json_t *obj, const char *path, const char *const *allowed, size_t n_allowed) {
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v) {
        (void)v;
        if (!in_list(name, allowed, n_allowed)) {
            char p[256], q[96];
            child_path(p, sizeof p, path, name);
            add_problem(c, p, "unknown field %s", quote(q, sizeof q, name));
        }
    }
}

/* String member: NULL when absent (reported if required) or ill-typed (reported). */
static const char *get_string(ctx *c, json_t *obj, const char *path, const char *field, bool required, bool nonempty) {
    char p[256];
    json_t *v = json_object_get(obj, field);
    child_path(p, sizeof p, path, field);
    if (!v) {
        if (required) add_problem(c, p, "missing required field \"%s\"", field);
        return NULL;
    }
    if (!json_is_string(v)) {
        add_problem(c, p, "\"%s\" must be a string, not %s", field, json_type_name(v));
        return NULL;
    }
    const char *s = json_string_value(v);
    if (nonempty && *s == '\0') {
        add_problem(c, p, "\"%s\" must not be empty", field);
        return NULL;
    }
    return s;
}

/* Boolean member with a default. */
static bool get_bool(ctx *c, json_t *obj, const char *path, const char *field, bool dflt) {
    json_t *v = json_object_get(obj, field);
    if (!v) return dflt;
    if (!json_is_boolean(v)) {
        char p[256];
        child_path(p, sizeof p, path, field);
        add_problem(c, p, "\"%s\" must be a boolean, not %s", field, json_type_name(v));
        return dflt;
    }
    return json_is_true(v);
}

/* Parses a step or schema key and checks its syntax. NULL when missing or invalid. */
static const char *get_key(ctx *c, json_t *obj, const char *path, bool allow_dash) {
    const char *k = get_string(c, obj, path, "key", true, true);
    if (!k) return NULL;
    char p[256], q[96];
    child_path(p, sizeof p, path, "key");
    if (strlen(k) > MAX_KEY_LEN) {
        add_problem(c, p, "key %s is longer than %d characters", quote(q, sizeof q, k), MAX_KEY_LEN);
        return NULL;
    }
    if (!key_syntax_ok(k, allow_dash)) {
        add_problem(c, p, "invalid key %s: must match %s", quote(q, sizeof q, k),
                    allow_dash ? "^[a-z][a-z0-9_-]*$" : "^[a-z][a-z0-9_]*$");
        return NULL;
    }
    return k;
}

/* Parses an amount object {"value": int, "unit": "working_days"|"calendar_days"} at path.
 * what: "duration" or "lag" (for messages). Returns true when fully valid. */
static bool get_amount(ctx *c, json_t *v, const char *path, const char *what, bool allow_negative, int32_t *value,
                       bs_unit *unit) {
    static const char *const fields[] = {"value", "unit"};
    char p[256], q[96];
    if (!json_is_object(v)) {
        add_problem(c, path, "%s must be an object {\"value\": …, \"unit\": …}, not %s", what, json_type_name(v));
        return false;
    }
    check_fields(c, v, path, fields, 2);
    bool ok = true;
    json_t *jv = json_object_get(v, "value");
    child_path(p, sizeof p, path, "value");
    if (!jv) {
        add_problem(c, p, "missing required field \"value\"");
        ok = false;
    } else if (!json_is_integer(jv)) {
        add_problem(c, p, "%s value must be an integer number of days, not %s", what, json_type_name(jv));
        ok = false;
    } else {
        json_int_t x = json_integer_value(jv);
        if (x < 0 && !allow_negative) {
            add_problem(c, p, "negative %s %lld: must be 0 or more", what, (long long)x);
            ok = false;
        } else if (x > MAX_DAYS || x < -MAX_DAYS) {
            add_problem(c, p, "%s %lld out of range (at most %d days)", what, (long long)x, MAX_DAYS);
            ok = false;
        } else {
            *value = (int32_t)x;
        }
    }
    const char *u = get_string(c, v, path, "unit", true, false);
    child_path(p, sizeof p, path, "unit");
    if (!u) {
        ok = false;
    } else if (strcmp(u, "working_days") == 0) {
        *unit = BS_UNIT_WORKING_DAYS;
    } else if (strcmp(u, "calendar_days") == 0) {
        *unit = BS_UNIT_CALENDAR_DAYS;
    } else {
        add_problem(c, p, "unknown unit %s (expected working_days or calendar_days)", quote(q, sizeof q, u));
        ok = false;
    }
    return ok;
}

/* ------------------------------------------------------------------------------------ */
/* Key → step index hash (open addressing, FNV-1a).                                     */

typedef struct key_index {
    const char **keys; /* borrowed (strings live in the JSON document) */
    int32_t *idx;
    size_t cap; /* power of two */
} key_index;

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static bool key_index_init(key_index *ki, size_t n) {
    ki->cap = 16;
    while (ki->cap < 2 * n) ki->cap *= 2;
    ki->keys = bs_calloc(ki->cap, sizeof *ki->keys);
    ki->idx = bs_calloc(ki->cap, sizeof *ki->idx);
    return ki->keys && ki->idx;
}

static void key_index_free(key_index *ki) {
    free(ki->keys);
    free(ki->idx);
}

/* Index of key, or -1. */
static int32_t key_index_get(const key_index *ki, const char *key) {
    for (size_t h = hash_str(key) & (ki->cap - 1);; h = (h + 1) & (ki->cap - 1)) {
        if (!ki->keys[h]) return -1;
        if (strcmp(ki->keys[h], key) == 0) return ki->idx[h];
    }
}

/* Inserts key → i unless present; returns the index already stored, or i. */
static int32_t key_index_put(key_index *ki, const char *key, int32_t i) {
    size_t h = hash_str(key) & (ki->cap - 1);
    for (; ki->keys[h]; h = (h + 1) & (ki->cap - 1))
        if (strcmp(ki->keys[h], key) == 0) return ki->idx[h];
    ki->keys[h] = key;
    ki->idx[h] = i;
    return i;
}

/* ------------------------------------------------------------------------------------ */
/* Steps                                                                                */

/* Per-link bookkeeping for messages (where the dependency was written). */
typedef struct link_src {
    int32_t dep;  /* index in the successor's depends_on */
    bool removed; /* cut while enumerating cycles */
    bool type_ok; /* its type was valid (false: reported, stored as FS for the cycle check) */
} link_src;

typedef struct builder {
    ctx *c;
    bs_schema *s;
    json_t **deps; /* per step: its depends_on array (borrowed) or NULL */
    link_src *src; /* per link */
    int32_t cap_links;
    bool allow_all;
} builder;

static void parse_applies_to(builder *b, json_t *step, const char *spath, bs_step *st) {
    static const char *const fields[] = {"planstatus"};
    ctx *c = b->c;
    char path[128], p[160], q[96];
    json_t *at = json_object_get(step, "applies_to");
    snprintf(path, sizeof path, "%s.applies_to", spath);
    if (!at) {
        if (st->optional)
            add_problem(c, path,
                        "optional step without applies_to: say which projects carry it "
                        "({\"planstatus\": [...]})");
        return;
    }
    if (!st->optional) {
        add_problem(c, path, "applies_to is only allowed on a step with \"optional\": true");
        return;
    }
    if (!json_is_object(at)) {
        add_problem(c, path, "applies_to must be an object, not %s", json_type_name(at));
        return;
    }
    check_fields(c, at, path, fields, 1);
    json_t *list = json_object_get(at, "planstatus");
    snprintf(p, sizeof p, "%s.planstatus", path);
    if (!list) {
        add_problem(c, p, "missing required field \"planstatus\"");
        return;
    }
    if (!json_is_array(list)) {
        add_problem(c, p, "\"planstatus\" must be an array of planstatus codes, not %s", json_type_name(list));
        return;
    }
    size_t n = json_array_size(list);
    if (n == 0) {
        add_problem(c, p, "\"planstatus\" must name at least one planstatus code");
        return;
    }
    st->applies_to_planstatus = bs_calloc(n + 1, sizeof *st->applies_to_planstatus);
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        json_t *v = json_array_get(list, j);
        char ep[192];
        snprintf(ep, sizeof ep, "%s[%zu]", p, j);
        if (!json_is_string(v)) {
            add_problem(c, ep, "planstatus code must be a string, not %s", json_type_name(v));
            continue;
        }
        const char *code = json_string_value(v);
        if (!in_list(code, PLANSTATUS_CODES, N_PLANSTATUS_CODES)) {
            add_problem(c, ep, "unknown planstatus code %s (expected 1A, 1B, 1C, 2A, 2B, 2C, 3, 4A, 4B or onbekend)",
                        quote(q, sizeof q, code));
            continue;
        }
        bool dup = false;
        for (size_t m = 0; m < k; m++) dup = dup || strcmp(st->applies_to_planstatus[m], code) == 0;
        if (dup) {
            add_problem(c, ep, "planstatus code %s listed twice", quote(q, sizeof q, code));
            continue;
        }
        if (!(st->applies_to_planstatus[k] = dup_str(code))) {
            c->oom = true;
            return;
        }
        k++;
    }
}

/* Checks the shape of the depends_on entries (references are resolved later). */
static void check_depends_on(builder *b, json_t *step, const char *spath, int32_t i) {
    static const char *const fields[] = {"step", "type", "lag", "note"};
    ctx *c = b->c;
    char path[128], ep[160], p[192], q[96];
    json_t *deps = json_object_get(step, "depends_on");
    snprintf(path, sizeof path, "%s.depends_on", spath);
    if (!deps) return;
    if (!json_is_array(deps)) {
        add_problem(c, path, "depends_on must be an array, not %s", json_type_name(deps));
        return;
    }
    if (json_array_size(deps) > MAX_DEPS) {
        add_problem(c, path, "more than %d dependencies", MAX_DEPS);
        return;
    }
    b->deps[i] = deps;
    for (size_t j = 0; j < json_array_size(deps); j++) {
        json_t *d = json_array_get(deps, j);
        snprintf(ep, sizeof ep, "%s[%zu]", path, j);
        if (!json_is_object(d)) {
            add_problem(c, ep, "dependency must be an object {\"step\": …}, not %s", json_type_name(d));
            continue;
        }
        check_fields(c, d, ep, fields, 4);
        get_string(c, d, ep, "step", true, true);
        get_string(c, d, ep, "note", false, false);
        const char *t = get_string(c, d, ep, "type", false, false);
        snprintf(p, sizeof p, "%s.type", ep);
        if (t) {
            if (strcmp(t, "FS") != 0 && strcmp(t, "SS") != 0 && strcmp(t, "FF") != 0 && strcmp(t, "SF") != 0)
                add_problem(c, p, "unknown link type %s (expected FS, SS, FF or SF)", quote(q, sizeof q, t));
            else if (strcmp(t, "FS") != 0 && !b->allow_all)
                add_problem(c, p, "link type %s is not supported yet; only FS", t);
        }
        json_t *lag = json_object_get(d, "lag");
        if (lag) {
            int32_t v;
            bs_unit u;
            snprintf(p, sizeof p, "%s.lag", ep);
            get_amount(c, lag, p, "lag", true, &v, &u);
        }
    }
}

static void parse_step(builder *b, json_t *js, int32_t i, key_index *keys) {
    static const char *const fields[] = {"key",       "name",   "stream",   "phase",      "milestone",  "duration",
                                         "statutory", "source", "optional", "applies_to", "depends_on", "note"};
    ctx *c = b->c;
    bs_step *st = &b->s->steps[i];
    char spath[64], p[128], q[96];
    snprintf(spath, sizeof spath, "$.steps[%d]", (int)i);
    c->rank = RANK_STEP(i);
    if (!json_is_object(js)) {
        add_problem(c, spath, "step must be an object, not %s", json_type_name(js));
        return;
    }
    check_fields(c, js, spath, fields, sizeof fields / sizeof fields[0]);

    const char *key = get_key(c, js, spath, false);
    if (key) {
        int32_t first = key_index_put(keys, key, i);
        if (first != i) {
            snprintf(p, sizeof p, "%s.key", spath);
            add_problem(c, p, "duplicate step key %s (first used at $.steps[%d])", quote(q, sizeof q, key), (int)first);
        }
        if (!(st->key = dup_str(key))) c->oom = true;
    }

    const char *name = get_string(c, js, spath, "name", true, true);
    if (name && !(st->name = dup_str(name))) c->oom = true;

    const char *stream = get_string(c, js, spath, "stream", true, false);
    if (stream) {
        if (strcmp(stream, "public") == 0) {
            st->stream = BS_STREAM_PUBLIC;
        } else if (strcmp(stream, "private") == 0) {
            st->stream = BS_STREAM_PRIVATE;
        } else {
            snprintf(p, sizeof p, "%s.stream", spath);
            add_problem(c, p, "unknown stream %s (expected public or private)", quote(q, sizeof q, stream));
        }
    }

    const char *phase = get_string(c, js, spath, "phase", false, false);
    if (phase) {
        if (!in_list(phase, PHASES, N_PHASES)) {
            snprintf(p, sizeof p, "%s.phase", spath);
            add_problem(c, p,
                        "unknown phase %s (expected concept, initiatief, definitie, ontwerp, voorbereiding, "
                        "realisatie or nazorg)",
                        quote(q, sizeof q, phase));
        } else if (!(st->phase = dup_str(phase))) {
            c->oom = true;
        }
    }

    st->milestone = get_bool(c, js, spath, "milestone", false);
    st->statutory = get_bool(c, js, spath, "statutory", false);
    st->optional = get_bool(c, js, spath, "optional", false);

    json_t *dur = json_object_get(js, "duration");
    snprintf(p, sizeof p, "%s.duration", spath);
    st->duration = 0;
    st->unit = BS_UNIT_WORKING_DAYS;
    if (!dur) {
        if (!st->milestone) add_problem(c, p, "missing required field \"duration\" (only milestones may omit it)");
    } else {
        int32_t v = 0;
        bs_unit u = BS_UNIT_WORKING_DAYS;
        if (get_amount(c, dur, p, "duration", false, &v, &u)) {
            st->duration = v;
            st->unit = u;
            if (st->milestone && v != 0) {
                snprintf(p, sizeof p, "%s.duration.value", spath);
                add_problem(c, p, "a milestone has duration 0, not %d", (int)v);
            }
            if (st->statutory && u != BS_UNIT_CALENDAR_DAYS) {
                snprintf(p, sizeof p, "%s.duration.unit", spath);
                add_problem(c, p,
                            "a statutory term counts in calendar_days (Algemene termijnenwet), "
                            "not working_days");
            }
        }
    }
    if (st->statutory && st->milestone) {
        snprintf(p, sizeof p, "%s.statutory", spath);
        add_problem(c, p, "a milestone cannot be a statutory term (give the term its own step)");
    }

    const char *source = get_string(c, js, spath, "source", false, false);
    if (source && !(st->source = dup_str(source))) c->oom = true;
    get_string(c, js, spath, "note", false, false);

    parse_applies_to(b, js, spath, st);
    check_depends_on(b, js, spath, i);
}

/* Adds a link; grows the arrays. */
static void add_link(builder *b, int32_t pred, int32_t succ, bs_link_type type, int32_t lag, bs_unit lag_unit,
                     int32_t dep, bool type_ok) {
    bs_schema *s = b->s;
    if (s->n_links == b->cap_links) {
        int32_t cap = b->cap_links ? b->cap_links * 2 : 32;
        s->links = bs_realloc(s->links, (size_t)cap * sizeof *s->links);
        b->src = bs_realloc(b->src, (size_t)cap * sizeof *b->src);
        b->cap_links = cap;
    }
    s->links[s->n_links] = (bs_link){.pred = pred, .succ = succ, .type = type, .lag = lag, .lag_unit = lag_unit};
    b->src[s->n_links] = (link_src){.dep = dep, .removed = false, .type_ok = type_ok};
    s->n_links++;
}

static bs_link_type link_type_of(const char *t) {
    if (!t) return BS_LINK_FS;
    if (strcmp(t, "SS") == 0) return BS_LINK_SS;
    if (strcmp(t, "FF") == 0) return BS_LINK_FF;
    if (strcmp(t, "SF") == 0) return BS_LINK_SF;
    return BS_LINK_FS;
}

/* Resolves the dependency references of step i into links. Entries whose shape was
 * already reported are skipped silently; unresolved names are reported here. */
static void resolve_deps(builder *b, int32_t i, const key_index *keys) {
    ctx *c = b->c;
    json_t *deps = b->deps[i];
    if (!deps) return;
    c->rank = RANK_STEP(i);
    int32_t first_link = b->s->n_links;
    for (size_t j = 0; j < json_array_size(deps); j++) {
        json_t *d = json_array_get(deps, j);
        json_t *jstep = json_object_get(d, "step");
        if (!json_is_string(jstep) || !*json_string_value(jstep)) continue;
        const char *ref = json_string_value(jstep);
        char p[160], q[96];
        snprintf(p, sizeof p, "$.steps[%d].depends_on[%zu].step", (int)i, j);
        int32_t pred = key_index_get(keys, ref);
        if (pred < 0) {
            add_problem(c, p, "unknown step %s", quote(q, sizeof q, ref));
            continue;
        }
        json_t *jt = json_object_get(d, "type");
        const char *tname = json_is_string(jt) ? json_string_value(jt) : NULL;
        /* an invalid type was reported already; the link still counts for cycles */
        bool type_ok = !jt || (tname && (strcmp(tname, "FS") == 0 || strcmp(tname, "SS") == 0 ||
                                         strcmp(tname, "FF") == 0 || strcmp(tname, "SF") == 0));
        bs_link_type type = link_type_of(tname);
        int32_t lag = 0;
        bs_unit lag_unit = BS_UNIT_WORKING_DAYS;
        json_t *jl = json_object_get(d, "lag");
        if (json_is_object(jl)) {
            json_t *v = json_object_get(jl, "value");
            json_t *u = json_object_get(jl, "unit");
            if (json_is_integer(v) && json_integer_value(v) >= -MAX_DAYS && json_integer_value(v) <= MAX_DAYS)
                lag = (int32_t)json_integer_value(v);
            if (json_is_string(u) && strcmp(json_string_value(u), "calendar_days") == 0)
                lag_unit = BS_UNIT_CALENDAR_DAYS;
        }
        bool dup = false;
        for (int32_t l = first_link; l < b->s->n_links && !dup && type_ok; l++)
            dup = b->src[l].type_ok && b->s->links[l].pred == pred && b->s->links[l].type == type;
        if (dup) {
            snprintf(p, sizeof p, "$.steps[%d].depends_on[%zu]", (int)i, j);
            add_problem(c, p, "duplicate dependency on step %s", quote(q, sizeof q, ref));
            continue;
        }
        add_link(b, pred, i, type, lag, lag_unit, (int32_t)j, type_ok);
        if (c->oom) return;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Graph: cycles and topological order                                                  */

/* Min-heap of step indexes, for a deterministic Kahn order (lowest index first). */
static void heap_push(int32_t *h, int32_t *n, int32_t v) {
    int32_t i = (*n)++;
    h[i] = v;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        int32_t p = (i - 1) / 2, t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static int32_t heap_pop(int32_t *h, int32_t *n) {
    int32_t top = h[0];
    h[0] = h[--(*n)];
    for (int32_t i = 0;;) {
        int32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && h[l] < h[m]) m = l;
        if (r < *n && h[r] < h[m]) m = r;
        if (m == i) break;
        int32_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
    return top;
}

/* Fills step preds/succs arrays from the links (all links, including cut ones). */
static bool build_adjacency(bs_schema *s) {
    for (int32_t i = 0; i < s->n_steps; i++) s->steps[i].n_preds = s->steps[i].n_succs = 0;
    for (int32_t l = 0; l < s->n_links; l++) {
        s->steps[s->links[l].succ].n_preds++;
        s->steps[s->links[l].pred].n_succs++;
    }
    for (int32_t i = 0; i < s->n_steps; i++) {
        bs_step *st = &s->steps[i];
        if (st->n_preds) st->preds = bs_malloc((size_t)st->n_preds * sizeof *st->preds);
        if (st->n_succs) st->succs = bs_malloc((size_t)st->n_succs * sizeof *st->succs);
        st->n_preds = st->n_succs = 0;
    }
    for (int32_t l = 0; l < s->n_links; l++) {
        bs_step *succ = &s->steps[s->links[l].succ], *pred = &s->steps[s->links[l].pred];
        succ->preds[succ->n_preds++] = l;
        pred->succs[pred->n_succs++] = l;
    }
    return true;
}

/* Kahn's algorithm over the links not cut. Writes the order into topo (if not NULL) and
 * marks emitted steps in done. Returns the number of steps emitted. */
static int32_t kahn(const bs_schema *s, const link_src *src, int32_t *topo, bool *done, int32_t *indeg, int32_t *heap) {
    int32_t n = s->n_steps, hn = 0, out = 0;
    for (int32_t i = 0; i < n; i++) indeg[i] = 0, done[i] = false;
    for (int32_t l = 0; l < s->n_links; l++)
        if (!src[l].removed) indeg[s->links[l].succ]++;
    for (int32_t i = 0; i < n; i++)
        if (indeg[i] == 0) heap_push(heap, &hn, i);
    while (hn > 0) {
        int32_t v = heap_pop(heap, &hn);
        done[v] = true;
        if (topo) topo[out] = v;
        out++;
        const bs_step *st = &s->steps[v];
        for (int32_t k = 0; k < st->n_succs; k++) {
            int32_t l = st->succs[k];
            if (src[l].removed) continue;
            if (--indeg[s->links[l].succ] == 0) heap_push(heap, &hn, s->links[l].succ);
        }
    }
    return out;
}

/* Strongly connected components over the live links among steps not done (Tarjan,
 * iterative). Writes comp[v] (a component id, -1 for done steps) and comp_size[id].
 * Scratch: index, low, stack, fnode, fedge (n each), onstack (n). */
typedef struct scc_work {
    int32_t *index, *low, *stack, *fnode, *fedge, *comp, *comp_size;
    bool *onstack;
} scc_work;

static void scc(const bs_schema *s, const link_src *src, const bool *done, scc_work *w) {
    int32_t n = s->n_steps, counter = 0, sp = 0, n_comp = 0;
    for (int32_t i = 0; i < n; i++) w->index[i] = -1, w->comp[i] = -1, w->onstack[i] = false;
    for (int32_t root = 0; root < n; root++) {
        if (done[root] || w->index[root] >= 0) continue;
        int32_t fp = 0;
        w->fnode[fp] = root;
        w->fedge[fp++] = 0;
        w->index[root] = w->low[root] = counter++;
        w->stack[sp++] = root;
        w->onstack[root] = true;
        while (fp > 0) {
            int32_t v = w->fnode[fp - 1];
            const bs_step *st = &s->steps[v];
            if (w->fedge[fp - 1] < st->n_succs) {
                int32_t l = st->succs[w->fedge[fp - 1]++];
                int32_t x = s->links[l].succ;
                if (src[l].removed || done[x]) continue;
                if (w->index[x] < 0) {
                    w->index[x] = w->low[x] = counter++;
                    w->stack[sp++] = x;
                    w->onstack[x] = true;
                    w->fnode[fp] = x;
                    w->fedge[fp++] = 0;
                } else if (w->onstack[x] && w->index[x] < w->low[v]) {
                    w->low[v] = w->index[x];
                }
                continue;
            }
            if (w->low[v] == w->index[v]) {
                int32_t size = 0, x;
                do {
                    x = w->stack[--sp];
                    w->onstack[x] = false;
                    w->comp[x] = n_comp;
                    size++;
                } while (x != v);
                w->comp_size[n_comp++] = size;
            }
            fp--;
            if (fp > 0) {
                int32_t u = w->fnode[fp - 1];
                if (w->low[v] < w->low[u]) w->low[u] = w->low[v];
            }
        }
    }
}

/* Reports the cycles: while the live graph has one, take the lowest-index step on a
 * cycle, find the shortest cycle through it (BFS inside its strongly connected
 * component), report it at the dependency that closes it, and cut the links that close
 * it. Returns false on allocation failure. */
static bool report_cycles(builder *b, int32_t *topo) {
    bs_schema *s = b->s;
    ctx *c = b->c;
    int32_t n = s->n_steps;
    size_t ni = (size_t)n * sizeof(int32_t);
    bool *done = bs_malloc((size_t)n * sizeof *done);
    int32_t *indeg = bs_malloc(ni), *heap = bs_malloc(ni), *stack = bs_malloc(ni), *parent = bs_malloc(ni),
            *queue = bs_malloc(ni);
    scc_work w = {.index = bs_malloc(ni),
                  .low = bs_malloc(ni),
                  .stack = bs_malloc(ni),
                  .fnode = bs_malloc(ni),
                  .fedge = bs_malloc(ni),
                  .comp = bs_malloc(ni),
                  .comp_size = bs_malloc(ni),
                  .onstack = bs_malloc((size_t)n * sizeof(bool))};

    for (int reports = 0;; reports++) {
        int32_t emitted = kahn(s, b->src, topo, done, indeg, heap);
        if (emitted == n) break;
        if (reports == MAX_CYCLE_REPORTS) {
            c->rank = RANK_CYCLES;
            add_problem(c, "$.steps", "more than %d cycles; not all are listed", MAX_CYCLE_REPORTS);
            break;
        }
        /* lowest-index step on a cycle: in a component with another step, or with a self-link */
        scc(s, b->src, done, &w);
        int32_t start = -1;
        for (int32_t i = 0; i < n && start < 0; i++) {
            if (done[i]) continue;
            bool cyclic = w.comp_size[w.comp[i]] > 1;
            for (int32_t k = 0; k < s->steps[i].n_preds && !cyclic; k++) {
                int32_t l = s->steps[i].preds[k];
                cyclic = !b->src[l].removed && s->links[l].pred == i;
            }
            if (cyclic) start = i;
        }
        if (start < 0) { /* cannot happen: a residual graph holds a cycle; fail safely anyway */
            c->rank = RANK_CYCLES;
            add_problem(c, "$.steps", "the dependencies contain a cycle");
            break;
        }
        /* BFS from start inside its component until a step with a live link back to start */
        int32_t qh = 0, qt = 0, last = -1;
        for (int32_t i = 0; i < n; i++) parent[i] = -2;
        parent[start] = -1;
        queue[qt++] = start;
        while (qh < qt && last < 0) {
            int32_t u = queue[qh++];
            const bs_step *st = &s->steps[u];
            for (int32_t k = 0; k < st->n_succs; k++) {
                int32_t l = st->succs[k];
                if (b->src[l].removed) continue;
                int32_t x = s->links[l].succ;
                if (x == start) {
                    last = u;
                    break;
                }
                if (parent[x] == -2 && !done[x] && w.comp[x] == w.comp[start]) {
                    parent[x] = u;
                    queue[qt++] = x;
                }
            }
        }
        if (last < 0) { /* cannot happen: start lies on a cycle inside its component */
            c->rank = RANK_CYCLES;
            add_problem(c, "$.steps", "the dependencies contain a cycle");
            break;
        }
        /* path start … last, collected backwards */
        int32_t len = 0;
        for (int32_t v = last; v != -1; v = parent[v]) stack[len++] = v;
        /* "cycle: a -> b -> c -> a"; a long cycle is cut: "cycle: a -> b -> ... -> a (250 steps)" */
        char msg[400];
        const char *first = s->steps[start].key ? s->steps[start].key : "?";
        size_t m = (size_t)snprintf(msg, sizeof msg, "cycle: ");
        bool cut = false;
        for (int32_t k = len - 1; k >= 0; k--) {
            const char *key = s->steps[stack[k]].key ? s->steps[stack[k]].key : "?";
            if (m + strlen(key) + 4 + 8 + MAX_KEY_LEN + 24 > sizeof msg) {
                m += (size_t)snprintf(msg + m, sizeof msg - m, "... -> ");
                cut = true;
                break;
            }
            m += (size_t)snprintf(msg + m, sizeof msg - m, "%s -> ", key);
        }
        m += (size_t)snprintf(msg + m, sizeof msg - m, "%s", first);
        if (cut) snprintf(msg + m, sizeof msg - m, " (%d steps)", (int)len);
        /* the dependency of start on last closes the cycle; cut all such links */
        int32_t dep = -1;
        for (int32_t k = 0; k < s->steps[start].n_preds; k++) {
            int32_t l = s->steps[start].preds[k];
            if (s->links[l].pred == last && !b->src[l].removed) {
                if (dep < 0) dep = b->src[l].dep;
                b->src[l].removed = true;
            }
        }
        char path[96];
        snprintf(path, sizeof path, "$.steps[%d].depends_on[%d]", (int)start, (int)dep);
        c->rank = RANK_STEP(start);
        add_problem(c, path, "%s", msg);
    }
    free(done);
    free(indeg);
    free(heap);
    free(stack);
    free(parent);
    free(queue);
    free(w.index);
    free(w.low);
    free(w.stack);
    free(w.fnode);
    free(w.fedge);
    free(w.comp);
    free(w.comp_size);
    free(w.onstack);
    return true;
}

/* ------------------------------------------------------------------------------------ */
/* Public API                                                                           */

static void free_step(bs_step *st) {
    free(st->key);
    free(st->name);
    free(st->phase);
    free(st->source);
    if (st->applies_to_planstatus)
        for (char **p = st->applies_to_planstatus; *p; p++) free(*p);
    free(st->applies_to_planstatus);
    free(st->preds);
    free(st->succs);
}

/* Frees a schema and everything it owns (NULL is fine). */
void bs_schema_free(bs_schema *s) {
    if (!s) return;
    free(s->key);
    free(s->name);
    if (s->steps)
        for (int32_t i = 0; i < s->n_steps; i++) free_step(&s->steps[i]);
    free(s->steps);
    free(s->links);
    free(s->topo);
    free(s);
}

/* Frees the paths and messages of a problem list and resets it to empty (NULL is fine). */
void bs_schema_problems_free(bs_schema_problems *p) {
    if (!p) return;
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].path);
        free(p->items[i].message);
    }
    free(p->items);
    p->items = NULL;
    p->count = 0;
}

/* Loads and validates a process schema (format and rules: docs/process-schema.md).
 * Inputs: json/len, the UTF-8 JSON text (need not be NUL-terminated); allow_all_link_types:
 * false refuses SS/FF/SF links ("link type SS is not supported yet; only FS").
 * Output: a new schema with links, per-step preds/succs and a topological order (Kahn,
 * lowest step index first among ready steps), and problems->count = 0; or NULL with every
 * problem in *problems, sorted top-level fields first, then per step in document order
 * (a cycle is listed with the step it is reported at). problems may be NULL (the list is then discarded). NULL with no problem
 * listed means an allocation failed. Pure: no I/O, no globals. */
bs_schema *bs_schema_load(const char *json, size_t len, bool allow_all_link_types, bs_schema_problems *problems) {
    static const char *const top_fields[] = {"key", "name", "version", "description", "steps"};
    ctx c = {0};
    builder b = {.c = &c, .allow_all = allow_all_link_types};
    key_index keys = {0};
    bs_schema *s = NULL;
    json_t *root = NULL;
    if (problems) {
        problems->items = NULL;
        problems->count = 0;
    }

    json_error_t err;
    root = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES, &err);
    c.rank = RANK_TOP;
    if (!root) {
        add_problem(&c, "$", "JSON syntax error at %d:%d: %s", err.line, err.column, err.text);
        goto fail;
    }
    if (!json_is_object(root)) {
        add_problem(&c, "$", "a process schema must be a JSON object, not %s", json_type_name(root));
        goto fail;
    }
    s = bs_calloc(1, sizeof *s);
    check_fields(&c, root, "$", top_fields, sizeof top_fields / sizeof top_fields[0]);
    const char *key = get_key(&c, root, "$", true);
    if (key && !(s->key = dup_str(key))) goto oom;
    const char *name = get_string(&c, root, "$", "name", true, true);
    if (name && !(s->name = dup_str(name))) goto oom;
    get_string(&c, root, "$", "description", false, false);
    json_t *ver = json_object_get(root, "version");
    if (!ver) {
        add_problem(&c, "$.version", "missing required field \"version\"");
    } else if (!json_is_integer(ver)) {
        add_problem(&c, "$.version", "\"version\" must be an integer, not %s", json_type_name(ver));
    } else if (json_integer_value(ver) < 1 || json_integer_value(ver) > INT32_MAX) {
        add_problem(&c, "$.version", "\"version\" must be 1 or more, not %lld", (long long)json_integer_value(ver));
    } else {
        s->version = (int32_t)json_integer_value(ver);
    }

    json_t *steps = json_object_get(root, "steps");
    size_t n = 0;
    if (!steps) {
        add_problem(&c, "$.steps", "missing required field \"steps\"");
    } else if (!json_is_array(steps)) {
        add_problem(&c, "$.steps", "\"steps\" must be an array, not %s", json_type_name(steps));
    } else if ((n = json_array_size(steps)) == 0) {
        add_problem(&c, "$.steps", "\"steps\" must hold at least one step");
    } else if (n > MAX_STEPS) {
        add_problem(&c, "$.steps", "more than %d steps", MAX_STEPS);
        n = 0;
    }
    if (n == 0) goto fail;

    s->steps = bs_calloc(n, sizeof *s->steps);
    s->n_steps = (int32_t)n;
    b.deps = bs_calloc(n, sizeof *b.deps);
    if (!key_index_init(&keys, n)) goto oom;
    b.s = s;
    for (int32_t i = 0; i < s->n_steps; i++) {
        parse_step(&b, json_array_get(steps, (size_t)i), i, &keys);
        if (c.oom) goto oom;
    }
    for (int32_t i = 0; i < s->n_steps; i++) {
        resolve_deps(&b, i, &keys);
        if (c.oom) goto oom;
    }
    if (!build_adjacency(s)) goto oom;
    s->topo = bs_malloc(n * sizeof *s->topo);
    if (!report_cycles(&b, s->topo)) goto oom;
    if (c.oom) goto oom;
    if (c.n > 0) goto fail;

    json_decref(root);
    free(b.deps);
    free(b.src);
    key_index_free(&keys);
    return s;

oom:
    c.oom = true;
fail:
    hand_over(&c, problems);
    json_decref(root);
    free(b.deps);
    free(b.src);
    key_index_free(&keys);
    bs_schema_free(s);
    return NULL;
}

/* Index of the step with this key, or -1 (also for s or key NULL). Linear search. */
int32_t bs_schema_find(const bs_schema *s, const char *key) {
    if (!s || !key) return -1;
    for (int32_t i = 0; i < s->n_steps; i++)
        if (s->steps[i].key && strcmp(s->steps[i].key, key) == 0) return i;
    return -1;
}

/* True when step i applies to a project with planstatus code (exact code, e.g. "1B"):
 * non-optional steps always apply; an optional step applies when the code is in its
 * applies_to list. False for an index out of range, or an optional step and a NULL code. */
bool bs_schema_step_applies(const bs_schema *s, int32_t i, const char *planstatus) {
    if (!s || i < 0 || i >= s->n_steps) return false;
    const bs_step *st = &s->steps[i];
    if (!st->optional) return true;
    if (!planstatus || !st->applies_to_planstatus) return false;
    for (char **p = st->applies_to_planstatus; *p; p++)
        if (strcmp(*p, planstatus) == 0) return true;
    return false;
}

int32_t bs_schema_stream_view(const bs_schema *schema, bool *visible) {
    if (!schema || !visible) return -1;
    int32_t n = schema->n_steps;
    /* reach[i]: some private step depends on step i (i is an ancestor of a private step) */
    bool *reach = bs_calloc((size_t)(n > 0 ? n : 1), sizeof *reach);
    /* reverse topological order: a step's successors are settled before the step */
    for (int32_t t = n - 1; t >= 0; t--) {
        int32_t i = schema->topo[t];
        for (int32_t k = 0; k < schema->steps[i].n_succs && !reach[i]; k++) {
            int32_t j = schema->links[schema->steps[i].succs[k]].succ;
            reach[i] = schema->steps[j].stream == BS_STREAM_PRIVATE || reach[j];
        }
    }
    int32_t count = 0;
    for (int32_t i = 0; i < n; i++) {
        visible[i] = schema->steps[i].stream == BS_STREAM_PRIVATE || (schema->steps[i].milestone && reach[i]);
        count += visible[i];
    }
    free(reach);
    return count;
}
