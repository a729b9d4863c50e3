/*
 * Bouwstroom engine core: the difference between two versions of a process schema
 * (schema_diff.h). Pure: no I/O.
 */
#include "schema_diff.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "whatif.h"

/* The step correspondence: map[i] is the index in `to` of step i of `from`, or -1; back[j]
 * the index in `from` of step j of `to`, or -1. */
typedef struct corr {
    int32_t *map;
    int32_t *back;
    bool *renamed; /* renamed[i]: step i of `from` is named in a rename */
} corr;

/* A sorted index of a schema's step keys, for lookups in O(log n). */
typedef struct key_ref {
    const char *key;
    int32_t index;
} key_ref;

static int cmp_key_ref(const void *a, const void *b) {
    return strcmp(((const key_ref *)a)->key, ((const key_ref *)b)->key);
}

static key_ref *key_index(const bs_schema *s) {
    key_ref *k = bs_calloc((size_t)s->n_steps + 1, sizeof *k);
    for (int32_t i = 0; i < s->n_steps; i++) k[i] = (key_ref){s->steps[i].key, i};
    qsort(k, (size_t)s->n_steps, sizeof *k, cmp_key_ref);
    return k;
}

static int32_t key_find(const key_ref *k, int32_t n, const char *key) {
    key_ref probe = {key, -1};
    const key_ref *hit = key ? bsearch(&probe, k, (size_t)n, sizeof *k, cmp_key_ref) : NULL;
    return hit ? hit->index : -1;
}

static void add_problem(bs_schema_problems *p, size_t i, const char *side, const char *msg, const char *key) {
    p->items = bs_reallocarray(p->items, p->count + 1, sizeof *p->items);
    p->items[p->count].path = bs_asprintf("$.rename[%zu].%s", i, side);
    p->items[p->count].message = bs_asprintf("%s \"%.64s\"", msg, key ? key : "");
    p->count++;
}

/* Applies the renames; reports every bad one. Returns true when all were usable. */
static bool apply_renames(const bs_schema *from, const bs_schema *to, const key_ref *kf, const key_ref *kt,
                          const bs_schema_rename *r, size_t n, corr *c, bs_schema_problems *problems) {
    size_t before = problems->count;
    for (size_t i = 0; i < n; i++) {
        int32_t a = key_find(kf, from->n_steps, r[i].from);
        int32_t b = key_find(kt, to->n_steps, r[i].to);
        if (a >= 0) c->renamed[a] = true;
        if (a < 0)
            add_problem(problems, i, "from", "the old version has no step", r[i].from);
        else if (c->map[a] >= 0)
            add_problem(problems, i, "from", "step renamed twice:", r[i].from);
        if (b < 0)
            add_problem(problems, i, "to", "the new version has no step", r[i].to);
        else if (c->back[b] >= 0)
            add_problem(problems, i, "to", "two steps renamed to", r[i].to);
        if (a >= 0 && b >= 0 && c->map[a] < 0 && c->back[b] < 0) {
            c->map[a] = b;
            c->back[b] = a;
        }
    }
    return problems->count == before;
}

/* Steps not renamed correspond by key, unless the key is already taken by a rename. */
static void match_by_key(const bs_schema *from, const bs_schema *to, const key_ref *kt, corr *c) {
    for (int32_t i = 0; i < from->n_steps; i++) {
        if (c->map[i] >= 0 || c->renamed[i]) continue;
        int32_t j = key_find(kt, to->n_steps, from->steps[i].key);
        if (j >= 0 && c->back[j] < 0) {
            c->map[i] = j;
            c->back[j] = i;
        }
    }
}

static const char *unit_name(bs_unit u) {
    return u == BS_UNIT_CALENDAR_DAYS ? "calendar_days" : "working_days";
}

static json_t *amount(int32_t value, bs_unit unit) {
    return json_pack("{s:i, s:s}", "value", (json_int_t)value, "unit", unit_name(unit));
}

static json_t *step_ref(const bs_step *st) {
    return json_pack("{s:s, s:s}", "key", st->key, "name", st->name);
}

static json_t *planstatus_list(const bs_step *st) {
    json_t *a = json_array();
    for (char **p = st->applies_to_planstatus; p && *p; p++) json_array_append_new(a, json_string(*p));
    return a;
}

static void constraint(json_t *out, const char *step, const char *field, json_t *a, json_t *b) {
    if (json_equal(a, b)) {
        json_decref(a);
        json_decref(b);
        return;
    }
    json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:o}", "step", step, "field", field, "from", a, "to", b));
}

/* Durations and constraints of one pair of corresponding steps. */
static void compare_step(const bs_step *a, const bs_step *b, json_t *d) {
    if (a->duration != b->duration || a->unit != b->unit)
        json_array_append_new(json_object_get(d, "durations_changed"),
                              json_pack("{s:s, s:o, s:o}", "step", b->key, "from", amount(a->duration, a->unit), "to",
                                        amount(b->duration, b->unit)));
    json_t *cc = json_object_get(d, "constraints_changed");
    constraint(cc, b->key, "stream", json_string(a->stream == BS_STREAM_PUBLIC ? "public" : "private"),
               json_string(b->stream == BS_STREAM_PUBLIC ? "public" : "private"));
    constraint(cc, b->key, "milestone", json_boolean(a->milestone), json_boolean(b->milestone));
    constraint(cc, b->key, "statutory", json_boolean(a->statutory), json_boolean(b->statutory));
    constraint(cc, b->key, "optional", json_boolean(a->optional), json_boolean(b->optional));
    constraint(cc, b->key, "applies_to", planstatus_list(a), planstatus_list(b));
}

static void compare_steps(const bs_schema *from, const bs_schema *to, const corr *c, json_t *d) {
    for (int32_t i = 0; i < from->n_steps; i++) {
        int32_t j = c->map[i];
        if (j < 0) {
            json_array_append_new(json_object_get(d, "steps_removed"), step_ref(&from->steps[i]));
            continue;
        }
        if (strcmp(from->steps[i].key, to->steps[j].key) != 0)
            json_array_append_new(json_object_get(d, "steps_renamed"),
                                  json_pack("{s:s, s:s}", "from", from->steps[i].key, "to", to->steps[j].key));
        compare_step(&from->steps[i], &to->steps[j], d);
    }
    for (int32_t j = 0; j < to->n_steps; j++)
        if (c->back[j] < 0) json_array_append_new(json_object_get(d, "steps_added"), step_ref(&to->steps[j]));
}

static json_t *link_json(const bs_schema *s, const bs_link *l) {
    return json_pack("{s:s, s:s, s:s, s:o}", "step", s->steps[l->succ].key, "depends_on", s->steps[l->pred].key, "type",
                     bs_link_type_name(l->type), "lag", amount(l->lag, l->lag_unit));
}

/* The link of `to` that corresponds to link l of `from` and is not yet matched: same
 * (mapped) predecessor and successor, and the same type when same_type. -1 when none. */
static int32_t find_link(const bs_schema *to, const corr *c, const bs_link *l, bool same_type, const bool *used) {
    int32_t p = c->map[l->pred], s = c->map[l->succ];
    if (p < 0 || s < 0) return -1;
    const bs_step *st = &to->steps[s];
    for (int32_t k = 0; k < st->n_preds; k++) {
        int32_t li = st->preds[k];
        const bs_link *m = &to->links[li];
        if (!used[li] && m->pred == p && (!same_type || m->type == l->type)) return li;
    }
    return -1;
}

static void record_link(const bs_schema *to, const bs_link *l, const bs_link *m, json_t *d) {
    if (l->type == m->type && l->lag == m->lag && l->lag_unit == m->lag_unit) return;
    json_t *a = json_pack("{s:s, s:o}", "type", bs_link_type_name(l->type), "lag", amount(l->lag, l->lag_unit));
    json_t *b = json_pack("{s:s, s:o}", "type", bs_link_type_name(m->type), "lag", amount(m->lag, m->lag_unit));
    json_array_append_new(json_object_get(d, "links_changed"),
                          json_pack("{s:s, s:s, s:o, s:o}", "step", to->steps[m->succ].key, "depends_on",
                                    to->steps[m->pred].key, "from", a, "to", b));
}

/* Links: first those of the same type, then the rest of a pair with a changed type. */
static void compare_links(const bs_schema *from, const bs_schema *to, const corr *c, json_t *d) {
    bool *used = bs_calloc((size_t)to->n_links + 1, sizeof *used);
    int32_t *match = bs_calloc((size_t)from->n_links + 1, sizeof *match);
    for (int32_t i = 0; i < from->n_links; i++) {
        match[i] = find_link(to, c, &from->links[i], true, used);
        if (match[i] >= 0) used[match[i]] = true;
    }
    for (int32_t i = 0; i < from->n_links; i++) {
        if (match[i] < 0) match[i] = find_link(to, c, &from->links[i], false, used);
        if (match[i] >= 0) used[match[i]] = true;
    }
    for (int32_t i = 0; i < from->n_links; i++) {
        if (match[i] >= 0)
            record_link(to, &from->links[i], &to->links[match[i]], d);
        else
            json_array_append_new(json_object_get(d, "links_removed"), link_json(from, &from->links[i]));
    }
    for (int32_t j = 0; j < to->n_links; j++)
        if (!used[j]) json_array_append_new(json_object_get(d, "links_added"), link_json(to, &to->links[j]));
    bs_free(used);
    bs_free(match);
}

json_t *bs_schema_diff(const bs_schema *from, const bs_schema *to, const bs_schema_rename *renames, size_t n_renames,
                       bs_schema_problems *problems) {
    if (!from || !to || !problems) return NULL;
    corr c = {bs_calloc((size_t)from->n_steps + 1, sizeof(int32_t)),
              bs_calloc((size_t)to->n_steps + 1, sizeof(int32_t)), bs_calloc((size_t)from->n_steps + 1, sizeof(bool))};
    key_ref *kf = key_index(from), *kt = key_index(to);
    for (int32_t i = 0; i < from->n_steps; i++) c.map[i] = -1;
    for (int32_t j = 0; j < to->n_steps; j++) c.back[j] = -1;
    json_t *d = NULL;
    if (apply_renames(from, to, kf, kt, renames, n_renames, &c, problems)) {
        match_by_key(from, to, kt, &c);
        d = json_object();
        static const char *const lists[] = {"steps_added", "steps_removed", "steps_renamed", "durations_changed",
                                            "links_added", "links_removed", "links_changed", "constraints_changed"};
        for (size_t k = 0; k < sizeof lists / sizeof *lists; k++) json_object_set_new(d, lists[k], json_array());
        compare_steps(from, to, &c, d);
        compare_links(from, to, &c, d);
    }
    bs_free(c.map);
    bs_free(c.back);
    bs_free(c.renamed);
    bs_free(kf);
    bs_free(kt);
    return d;
}
