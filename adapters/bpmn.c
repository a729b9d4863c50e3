/*
 * BPMN 2.0 exchange of process schemas (bpmn.h; docs/process-schema.md "BPMN 2.0 exchange").
 * Common parts: the escaping writer and the canonical JSON. The export is in bpmn_export.c,
 * the import in bpmn_import.c.
 */
#include "bpmn.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bpmn_internal.h"
#include "schema.h"

/* ---- the writer ---- */

void bs__xb_put(bs__xbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        b->p = bs_realloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void bs__xb_printf(bs__xbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        bs__xb_put(b, small, (size_t)n);
        return;
    }
    char *big = bs_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    bs__xb_put(b, big, (size_t)n);
    free(big);
}

/* Appends s escaped (bs_xml_escape's rules). Returns false, appending nothing more, at a
 * character XML 1.0 cannot carry. */
bool bs__xb_escaped(bs__xbuf *b, const char *s, bool attribute) {
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        const char *rep = NULL;
        switch (*c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = attribute ? "&quot;" : NULL; break;
        case '\t': rep = attribute ? "&#9;" : NULL; break;
        case '\n': rep = attribute ? "&#10;" : NULL; break;
        case '\r': rep = "&#13;"; break; /* a raw CR in text is normalised to LF by a parser */
        default:
            if (*c < 0x20) return false;
        }
        if (rep)
            bs__xb_put(b, rep, strlen(rep));
        else
            bs__xb_put(b, (const char *)c, 1);
    }
    return true;
}

char *bs_xml_escape(const char *s, bool attribute) {
    bs__xbuf b = {0};
    bs__xb_put(&b, "", 0);
    if (!bs__xb_escaped(&b, s, attribute)) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---- loading and the canonical form ---- */

const char *bs__unit_name(int unit) {
    return unit == BS_UNIT_CALENDAR_DAYS ? "calendar_days" : "working_days";
}

const char *bs__link_type_name(int type) {
    static const char *const names[] = {"FS", "SS", "FF", "SF"};
    return type >= 0 && type < 4 ? names[type] : "FS";
}

int bs__schema_doc_load(const char *json, size_t len, bs__schema_doc *out, bs_err *err) {
    memset(out, 0, sizeof *out);
    bs_schema_problems pr = {0};
    out->schema = bs_schema_load(json, len, true, &pr);
    if (!out->schema) {
        bool syntax = pr.count == 1 && strncmp(pr.items[0].message, "JSON syntax", 11) == 0;
        int code = syntax ? BS_EMALFORMED : BS_EINVAL;
        bs_err_set(err, code, "schema", "%zu problem(s) in the process schema", pr.count);
        for (size_t i = 0; i < pr.count; i++) bs_err_line(err, code, "%s: %s", pr.items[i].path, pr.items[i].message);
        bs_schema_problems_free(&pr);
        return code;
    }
    json_error_t je;
    out->doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!out->doc) { /* the loader accepted it: cannot happen */
        bs_schema_free(out->schema);
        out->schema = NULL;
        return bs_err_set(err, BS_EINTERNAL, "schema", "JSON syntax error at %d:%d: %s", je.line, je.column, je.text);
    }
    return 0;
}

void bs__schema_doc_free(bs__schema_doc *d) {
    bs_schema_free(d->schema);
    json_decref(d->doc);
    memset(d, 0, sizeof *d);
}

const char *bs__doc_text(const json_t *obj, const char *name) {
    const json_t *v = json_object_get(obj, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const json_t *bs__doc_step(const bs__schema_doc *d, int32_t i) {
    return json_array_get(json_object_get(d->doc, "steps"), (size_t)i);
}

const json_t *bs__doc_dep(const bs__schema_doc *d, int32_t i, int32_t k) {
    return json_array_get(json_object_get(bs__doc_step(d, i), "depends_on"), (size_t)k);
}

static json_t *amount(int32_t value, int unit) {
    return json_pack("{s:i, s:s}", "value", (json_int_t)value, "unit", bs__unit_name(unit));
}

static void set_text(json_t *o, const char *name, const char *text) {
    if (text) json_object_set_new(o, name, json_string(text));
}

static json_t *canonical_step(const bs__schema_doc *d, int32_t i) {
    const bs_schema *s = d->schema;
    const bs_step *st = &s->steps[i];
    json_t *o = json_object();
    set_text(o, "key", st->key);
    set_text(o, "name", st->name);
    set_text(o, "stream", st->stream == BS_STREAM_PRIVATE ? "private" : "public");
    set_text(o, "phase", st->phase);
    json_object_set_new(o, "milestone", json_boolean(st->milestone));
    json_object_set_new(o, "duration", amount(st->duration, st->unit));
    json_object_set_new(o, "statutory", json_boolean(st->statutory));
    set_text(o, "source", st->source);
    json_object_set_new(o, "optional", json_boolean(st->optional));
    if (st->applies_to_planstatus) {
        json_t *codes = json_array();
        for (char **p = st->applies_to_planstatus; *p; p++) json_array_append_new(codes, json_string(*p));
        json_object_set_new(o, "applies_to", json_pack("{s:o}", "planstatus", codes));
    }
    json_t *deps = json_array();
    for (int32_t k = 0; k < st->n_preds; k++) {
        const bs_link *l = &s->links[st->preds[k]];
        json_t *dep = json_object();
        set_text(dep, "step", s->steps[l->pred].key);
        set_text(dep, "type", bs__link_type_name(l->type));
        json_object_set_new(dep, "lag", amount(l->lag, l->lag_unit));
        set_text(dep, "note", bs__doc_text(bs__doc_dep(d, i, k), "note"));
        json_array_append_new(deps, dep);
    }
    json_object_set_new(o, "depends_on", deps);
    set_text(o, "note", bs__doc_text(bs__doc_step(d, i), "note"));
    return o;
}

int bs_bpmn_canonical_json(const char *json, size_t len, char **out, bs_err *err) {
    *out = NULL;
    bs__schema_doc d;
    int rc = bs__schema_doc_load(json, len, &d, err);
    if (rc) return rc;
    json_t *o = json_object();
    set_text(o, "key", d.schema->key);
    set_text(o, "name", d.schema->name);
    json_object_set_new(o, "version", json_integer(d.schema->version));
    set_text(o, "description", bs__doc_text(d.doc, "description"));
    json_t *steps = json_array();
    for (int32_t i = 0; i < d.schema->n_steps; i++) json_array_append_new(steps, canonical_step(&d, i));
    json_object_set_new(o, "steps", steps);
    *out = bs_json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(o);
    bs__schema_doc_free(&d);
    return 0;
}
