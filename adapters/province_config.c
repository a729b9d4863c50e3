/*
 * Dated configuration of the province exports. See province_config.h.
 */
#include "province_config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define CONFIG_FORMAT "bouwstroom-province-exports/1"

static const char *const field_names[BS_EF_COUNT] = {
    "plan_id",           "objectid",  "plannaam",    "gemeente", "provincie", "plantype", "status_planologisch",
    "vertrouwelijkheid", "peildatum", "aantal_rest", "geometry",
};

static const char *const conf_codes[] = {"prive",       "intern_ambtelijk", "intern_bestuurlijk",
                                         "intern_raad", "extern_woonregio", "extern_mede_overheden",
                                         "openbaar"};

const char *bs_export_field_name(bs_export_field f) {
    return (unsigned)f < BS_EF_COUNT ? field_names[f] : "?";
}

int bs_confidentiality_rank(const char *code) {
    if (!code) return -1;
    for (int i = 0; i < (int)(sizeof conf_codes / sizeof conf_codes[0]); i++)
        if (strcmp(code, conf_codes[i]) == 0) return i;
    return -1;
}

/* The problems found so far: n, and their lines in err (bs_err_line). */
typedef struct errbuf {
    bs_err *err;
    int n;
} errbuf;

__attribute__((format(printf, 2, 3))) static void problem(errbuf *e, const char *fmt, ...) {
    e->n++;
    char line[BS_ERR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    bs_err_line(e->err, BS_EINVAL, "%s", line);
}

static char *xstrdup(const char *s) {
    char *r = bs_strdup(s ? s : "");
    return r;
}

void bs_province_config_free(bs_province_config *c) {
    if (!c) return;
    for (int i = 0; i < c->n_code_lists; i++) {
        for (int j = 0; j < c->code_lists[i].n_values; j++) free(c->code_lists[i].values[j]);
        free(c->code_lists[i].values);
        free(c->code_lists[i].name);
    }
    free(c->code_lists);
    for (int i = 0; i < c->n_prices; i++) {
        free(c->prices[i].provincie);
        free(c->prices[i].sources);
    }
    free(c->prices);
    for (int i = 0; i < c->n_exports; i++) {
        bs_export_profile *p = &c->exports[i];
        for (int j = 0; j < p->n_provinces; j++) free(p->provinces[j]);
        free(p->provinces);
        free(p->key);
        free(p->name);
        free(p->crs);
        for (int j = 0; j < p->n_plusvelden; j++) {
            free(p->pv_columns[j]);
            free(p->pv_keys[j]);
        }
        free(p->pv_columns);
        free(p->pv_keys);
        for (int j = 0; j < p->n_block_plusvelden; j++) {
            free(p->bpv_columns[j]);
            free(p->bpv_keys[j]);
        }
        free(p->bpv_columns);
        free(p->bpv_keys);
    }
    free(c->exports);
    memset(c, 0, sizeof *c);
}

static int parse_day(json_t *v, bs_day *out) {
    if (!json_is_string(v)) return -1;
    return bs_date_parse(json_string_value(v), out);
}

/* Joins the texts of the cited source keys; problems for unknown keys. */
static char *cite(json_t *sources, json_t *keys, const char *path, errbuf *e) {
    size_t cap = 1, len = 0;
    char *out = bs_calloc(1, 1);
    if (!json_is_array(keys) || json_array_size(keys) == 0) {
        problem(e, "%s.sources: a non-empty array of source keys is required", path);
        return out;
    }
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        const char *text =
            json_string_value(json_object_get(sources, json_string_value(k) ? json_string_value(k) : ""));
        if (!json_is_string(k) || !text) {
            problem(e, "%s.sources[%zu]: not a key of the top-level \"sources\"", path, i);
            continue;
        }
        size_t add = strlen(text) + 3;
        char *n = bs_realloc(out, cap + add);
        out = n;
        cap += add;
        len += (size_t)sprintf(out + len, "%s%s", len ? " | " : "", text);
    }
    return out;
}

static void parse_code_lists(json_t *root, bs_province_config *c, errbuf *e) {
    json_t *cl = json_object_get(root, "code_lists");
    if (!json_is_object(cl)) {
        problem(e, "code_lists: an object of code lists is required");
        return;
    }
    c->code_lists = bs_calloc(json_object_size(cl) + 1, sizeof *c->code_lists);
    const char *name;
    json_t *vals;
    json_object_foreach(cl, name, vals) {
        bs_code_list *l = &c->code_lists[c->n_code_lists++];
        l->name = xstrdup(name);
        if (!json_is_array(vals) || json_array_size(vals) == 0) {
            problem(e, "code_lists.%s: a non-empty array of strings is required", name);
            continue;
        }
        l->values = bs_calloc(json_array_size(vals), sizeof *l->values);
        size_t i;
        json_t *v;
        json_array_foreach(vals, i, v) {
            if (!json_is_string(v) || !*json_string_value(v)) {
                problem(e, "code_lists.%s[%zu]: a non-empty string is required", name, i);
                continue;
            }
            if (bs_code_list_has(l, json_string_value(v)))
                problem(e, "code_lists.%s[%zu]: '%s' occurs twice", name, i, json_string_value(v));
            l->values[l->n_values++] = xstrdup(json_string_value(v));
        }
    }
    static const char *const needed[] = {"status_planologisch", "plantype", "vertrouwelijkheid"};
    for (size_t i = 0; i < 3; i++)
        if (!bs_province_config_code_list(c, needed[i])) problem(e, "code_lists.%s: required", needed[i]);
    const bs_code_list *conf = bs_province_config_code_list(c, "vertrouwelijkheid");
    for (int i = 0; conf && i < conf->n_values; i++)
        if (bs_confidentiality_rank(conf->values[i]) < 0)
            problem(e, "code_lists.vertrouwelijkheid: '%s' is not a confidentiality level", conf->values[i]);
}

static void parse_bounds(json_t *arr, int64_t out[BS_PRICE_CLASSES], const char *path, errbuf *e) {
    if (!json_is_array(arr) || json_array_size(arr) != BS_PRICE_CLASSES) {
        problem(e, "%s: an array of %d integer lower bounds (cents) is required", path, BS_PRICE_CLASSES);
        return;
    }
    for (int k = 0; k < BS_PRICE_CLASSES; k++) {
        json_t *v = json_array_get(arr, (size_t)k);
        if (!json_is_integer(v)) {
            problem(e, "%s[%d]: an integer (cents) is required", path, k);
            return;
        }
        out[k] = json_integer_value(v);
    }
    if (out[0] != 0) problem(e, "%s[0]: class 1 starts at 0", path);
    for (int k = 1; k < BS_PRICE_CLASSES; k++)
        if (out[k] <= out[k - 1]) problem(e, "%s[%d]: lower bounds must be strictly ascending", path, k);
}

static void parse_prices(json_t *root, json_t *sources, bs_province_config *c, errbuf *e) {
    json_t *arr = json_object_get(root, "price_classes");
    if (!json_is_array(arr)) {
        problem(e, "price_classes: an array is required (may be empty)");
        return;
    }
    c->prices = bs_calloc(json_array_size(arr) + 1, sizeof *c->prices);
    size_t i;
    json_t *t;
    json_array_foreach(arr, i, t) {
        char path[64];
        snprintf(path, sizeof path, "price_classes[%zu]", i);
        bs_price_table *p = &c->prices[c->n_prices++];
        const char *prov = json_string_value(json_object_get(t, "provincie"));
        if (!prov || !*prov) problem(e, "%s.provincie: a province name is required", path);
        p->provincie = xstrdup(prov);
        if (parse_day(json_object_get(t, "valid_from"), &p->valid_from) != 0) {
            problem(e, "%s.valid_from: a date YYYY-MM-DD is required", path);
            p->valid_from = BS_DAY_NONE;
        }
        json_t *to = json_object_get(t, "valid_to");
        p->valid_to = BS_DAY_NONE;
        if (to && !json_is_null(to) && parse_day(to, &p->valid_to) != 0)
            problem(e, "%s.valid_to: a date YYYY-MM-DD or null is required", path);
        if (p->valid_to != BS_DAY_NONE && p->valid_from != BS_DAY_NONE && p->valid_to < p->valid_from)
            problem(e, "%s: valid_to lies before valid_from", path);
        char sub[96];
        snprintf(sub, sizeof sub, "%s.koop_lower_cents", path);
        parse_bounds(json_object_get(t, "koop_lower_cents"), p->koop_lower_cents, sub, e);
        snprintf(sub, sizeof sub, "%s.huur_lower_cents", path);
        parse_bounds(json_object_get(t, "huur_lower_cents"), p->huur_lower_cents, sub, e);
        p->sources = cite(sources, json_object_get(t, "sources"), path, e);
    }
    /* no overlap per province */
    for (int a = 0; a < c->n_prices; a++)
        for (int b = a + 1; b < c->n_prices; b++) {
            const bs_price_table *x = &c->prices[a], *y = &c->prices[b];
            if (strcmp(x->provincie, y->provincie) != 0 || x->valid_from == BS_DAY_NONE || y->valid_from == BS_DAY_NONE)
                continue;
            bs_day xe = x->valid_to == BS_DAY_NONE ? INT32_MAX : x->valid_to;
            bs_day ye = y->valid_to == BS_DAY_NONE ? INT32_MAX : y->valid_to;
            /* an open-ended table ends where a later one starts: only equal starts or a closed
             * table reaching into the next one overlap */
            if (x->valid_to == BS_DAY_NONE && y->valid_from > x->valid_from) xe = y->valid_from - 1;
            if (y->valid_to == BS_DAY_NONE && x->valid_from > y->valid_from) ye = x->valid_from - 1;
            if (x->valid_from <= ye && y->valid_from <= xe)
                problem(e, "price_classes[%d] and [%d]: validity of the two %s tables overlaps", a, b, x->provincie);
        }
}

/* The plan table's own column names (province_export.c): a plusveld column must not reuse one. */
static const char *const plan_table_names[] = {"plan_id",
                                               "objectid",
                                               "plannaam",
                                               "gemeente",
                                               "provincie",
                                               "plantype",
                                               "status_planologisch",
                                               "vertrouwelijkheid",
                                               "peildatum",
                                               "aantal_rest",
                                               "sloop",
                                               "koop_prijsklasse",
                                               "huur_prijsklasse",
                                               "prijsklassen_vanaf",
                                               "verdeling",
                                               "opmerkingen",
                                               "geometrie",
                                               "detailplanning"};

/* Whether col is one of the detail table's own columns (plan_id, objectid, jaar, geschat and the
 * 66 counts {,sloop_}{eengezins|meergezins|onbekend}_{koop1..4|koop_onb|huur1..4|huur_onb|onbekend}). */
static bool detail_table_name(const char *col) {
    static const char *const own[] = {"plan_id", "objectid", "jaar", "geschat"};
    static const char *const types[] = {"eengezins_", "meergezins_", "onbekend_"};
    static const char *const cls[] = {"koop1", "koop2", "koop3", "koop4",    "koop_onb", "huur1",
                                      "huur2", "huur3", "huur4", "huur_onb", "onbekend"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcmp(col, own[i]) == 0) return true;
    if (strncmp(col, "sloop_", 6) == 0) col += 6;
    for (size_t t = 0; t < 3; t++)
        if (strncmp(col, types[t], strlen(types[t])) == 0)
            for (size_t c = 0; c < sizeof cls / sizeof cls[0]; c++)
                if (strcmp(col + strlen(types[t]), cls[c]) == 0) return true;
    return false;
}

static bool plan_table_name(const char *col) {
    for (size_t i = 0; i < sizeof plan_table_names / sizeof plan_table_names[0]; i++)
        if (strcmp(col, plan_table_names[i]) == 0) return true;
    return false;
}

/* An export's plusveld mapping `member` ("plusvelden" for the plan table, "block_plusvelden"
 * for the detail table): {column: plusveld key} (optional), the columns a province asks for;
 * column names 1 to 63 bytes, not one of the table's own (taken(col)); keys as a plusveld's
 * (a-z first, then a-z, 0-9, _). Into cols/keys (owned), *n. */
static void parse_plusvelden(const char *key, const char *member, json_t *pv, bool (*taken)(const char *), char ***cols,
                             char ***keys, int *n, errbuf *e) {
    if (!pv) return;
    if (!json_is_object(pv)) {
        problem(e, "exports.%s.%s: an object {column: plusveld key} is required", key, member);
        return;
    }
    *cols = bs_calloc(json_object_size(pv) + 1, sizeof **cols);
    *keys = bs_calloc(json_object_size(pv) + 1, sizeof **keys);
    const char *col;
    json_t *v;
    json_object_foreach(pv, col, v) {
        const char *k = json_string_value(v);
        size_t len = k ? strlen(k) : 0;
        if (!*col || strlen(col) > 63 || taken(col)) {
            problem(e, "exports.%s.%s.%.63s: a column name of 1 to 63 bytes that the %s table does not use", key,
                    member, col, taken == plan_table_name ? "plan" : "detail");
            continue;
        }
        if (len == 0 || len > 50 || k[0] < 'a' || k[0] > 'z' ||
            strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") != len) {
            problem(e, "exports.%s.%s.%.63s: a plusveld key (a-z first, then a-z, 0-9 and _) is required", key, member,
                    col);
            continue;
        }
        (*cols)[*n] = xstrdup(col);
        (*keys)[(*n)++] = xstrdup(k);
    }
}

static void parse_exports(json_t *root, json_t *sources, bs_province_config *c, errbuf *e) {
    json_t *ex = json_object_get(root, "exports");
    if (!json_is_object(ex) || json_object_size(ex) == 0) {
        problem(e, "exports: a non-empty object is required");
        return;
    }
    c->exports = bs_calloc(json_object_size(ex), sizeof *c->exports);
    const char *key;
    json_t *o;
    json_object_foreach(ex, key, o) {
        bs_export_profile *p = &c->exports[c->n_exports++];
        p->key = xstrdup(key);
        p->name = xstrdup(json_string_value(json_object_get(o, "name")));
        const char *crs = json_string_value(json_object_get(o, "crs"));
        if (!crs || strcmp(crs, "EPSG:28992") != 0)
            problem(e, "exports.%s.crs: \"EPSG:28992\" (RD New) is the only supported export CRS", key);
        p->crs = xstrdup(crs ? crs : "EPSG:28992");
        json_t *pr = json_object_get(o, "provinces");
        if (!json_is_array(pr) || json_array_size(pr) == 0) {
            problem(e, "exports.%s.provinces: a non-empty array of province names (or \"*\") is required", key);
        } else {
            p->provinces = bs_calloc(json_array_size(pr), sizeof *p->provinces);
            size_t i;
            json_t *v;
            json_array_foreach(pr, i, v) {
                if (!json_is_string(v)) {
                    problem(e, "exports.%s.provinces[%zu]: a string is required", key, i);
                    continue;
                }
                p->provinces[p->n_provinces++] = xstrdup(json_string_value(v));
            }
        }
        p->min_confidentiality = bs_confidentiality_rank(json_string_value(json_object_get(o, "min_confidentiality")));
        if (p->min_confidentiality < 0)
            problem(e, "exports.%s.min_confidentiality: one of prive … openbaar is required", key);
        json_t *m = json_object_get(o, "mandatory");
        if (!json_is_array(m)) problem(e, "exports.%s.mandatory: an array of field names is required", key);
        size_t i;
        json_t *v;
        json_array_foreach(m, i, v) {
            int f;
            for (f = 0; f < BS_EF_COUNT; f++)
                if (json_is_string(v) && strcmp(json_string_value(v), field_names[f]) == 0) break;
            if (f == BS_EF_COUNT)
                problem(
                    e,
                    "exports.%s.mandatory[%zu]: unknown field (known: plan_id, objectid, plannaam, gemeente, "
                    "provincie, plantype, status_planologisch, vertrouwelijkheid, peildatum, aantal_rest, geometry)",
                    key, i);
            else
                p->mandatory[f] = true;
        }
        parse_plusvelden(key, "plusvelden", json_object_get(o, "plusvelden"), plan_table_name, &p->pv_columns,
                         &p->pv_keys, &p->n_plusvelden, e);
        parse_plusvelden(key, "block_plusvelden", json_object_get(o, "block_plusvelden"), detail_table_name,
                         &p->bpv_columns, &p->bpv_keys, &p->n_block_plusvelden, e);
        char path[96];
        snprintf(path, sizeof path, "exports.%s", key);
        free(cite(sources, json_object_get(o, "sources"), path, e));
    }
}

int bs_province_config_parse(const char *text, size_t len, bs_province_config *out, bs_err *err) {
    memset(out, 0, sizeof *out);
    errbuf e = {err, 0};
    if (err) *err = (bs_err){0};
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root)
        return bs_err_set(err, BS_EMALFORMED, NULL, "not JSON: line %d column %d: %s", je.line, je.column, je.text);
    const char *fmt = json_string_value(json_object_get(root, "format"));
    if (!fmt || strcmp(fmt, CONFIG_FORMAT) != 0) problem(&e, "format: \"%s\" is required", CONFIG_FORMAT);
    json_t *sources = json_object_get(root, "sources");
    if (!json_is_object(sources)) problem(&e, "sources: an object {key: citation text} is required");
    parse_code_lists(root, out, &e);
    parse_prices(root, sources, out, &e);
    parse_exports(root, sources, out, &e);
    json_decref(root);
    if (e.n) {
        bs_province_config_free(out);
        return BS_EINVAL;
    }
    return BS_OK;
}

const bs_export_profile *bs_province_config_export(const bs_province_config *c, const char *key) {
    for (int i = 0; key && i < c->n_exports; i++)
        if (strcmp(c->exports[i].key, key) == 0) return &c->exports[i];
    return NULL;
}

bool bs_export_profile_covers(const bs_export_profile *p, const char *provincie) {
    for (int i = 0; i < p->n_provinces; i++)
        if (strcmp(p->provinces[i], "*") == 0 || (provincie && strcmp(p->provinces[i], provincie) == 0)) return true;
    return false;
}

const bs_code_list *bs_province_config_code_list(const bs_province_config *c, const char *name) {
    for (int i = 0; i < c->n_code_lists; i++)
        if (strcmp(c->code_lists[i].name, name) == 0) return &c->code_lists[i];
    return NULL;
}

bool bs_code_list_has(const bs_code_list *l, const char *value) {
    if (!l || !value) return false;
    for (int i = 0; i < l->n_values; i++)
        if (strcmp(l->values[i], value) == 0) return true;
    return false;
}

const bs_price_table *bs_price_table_at(const bs_province_config *c, const char *provincie, bs_day day) {
    const bs_price_table *best = NULL;
    for (int i = 0; provincie && i < c->n_prices; i++) {
        const bs_price_table *t = &c->prices[i];
        if (strcmp(t->provincie, provincie) != 0 || day < t->valid_from) continue;
        if (t->valid_to != BS_DAY_NONE && day > t->valid_to) continue;
        if (!best || t->valid_from > best->valid_from) best = t; /* open-ended: the latest start wins */
    }
    return best;
}

int bs_price_class_of(const int64_t lower_cents[BS_PRICE_CLASSES], int64_t amount_cents) {
    if (amount_cents < 0) return 0;
    int k = 1;
    for (int i = 1; i < BS_PRICE_CLASSES; i++)
        if (amount_cents >= lower_cents[i]) k = i + 1;
    return k;
}
