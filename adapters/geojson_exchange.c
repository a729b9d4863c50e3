/*
 * GeoJSON exchange of projects. See geojson_exchange.h and docs/geo.md.
 */
#include "geojson_exchange.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "eib_import.h"
#include "import_pipeline.h"
#include "import_blocks.h"
#include "import_plusvelden.h"
#include "clock.h"
#include "plan.h"
#include "plusveld.h"

#define DEFAULT_SCHEMA_KEY "ppm-woningbouw"
/* jansson prints reals with "%.15g" here: the rounded coordinates (≤ 10 significant digits)
 * come out as their shortest decimal, the same on every export */
#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Kinds of exchange columns. */
enum { K_TEXT, K_INT, K_DATE, K_BOOL };
/* Roles: stored as given; required (import refuses a feature without it); derived (exported
 * for the reader, recomputed on import); key (source, source_key: the idempotency key). */
enum { R_PLAIN, R_REQUIRED, R_DERIVED, R_KEY };

/* The exchange columns, in export order (names = projects columns = property names). New
 * project attributes that belong to the exchange are added here (one line each). */
static const struct {
    const char *name;
    int kind;
    int role;
} cols[] = {
    {"source", K_TEXT, R_KEY},
    {"source_key", K_TEXT, R_KEY},
    {"name", K_TEXT, R_REQUIRED},
    {"gemeente", K_TEXT, R_REQUIRED},
    {"provincie", K_TEXT, R_REQUIRED},
    {"plantype", K_TEXT, R_REQUIRED},
    {"plantype_raw", K_TEXT, R_PLAIN},
    {"planstatus", K_TEXT, R_REQUIRED},
    {"planstatus_raw", K_TEXT, R_PLAIN},
    {"homes_remaining", K_INT, R_PLAIN},
    {"demolition", K_INT, R_PLAIN},
    {"completions_2019", K_INT, R_PLAIN},
    {"completions_2020_2024", K_INT, R_PLAIN},
    {"completions_2025_2029", K_INT, R_PLAIN},
    {"completions_2030_2050", K_INT, R_PLAIN},
    {"completions_unknown", K_INT, R_PLAIN},
    {"type_grondgebonden", K_INT, R_PLAIN},
    {"type_appartement", K_INT, R_PLAIN},
    {"type_onbekend", K_INT, R_PLAIN},
    {"tenure_huur", K_INT, R_PLAIN},
    {"tenure_koop", K_INT, R_PLAIN},
    {"tenure_onbekend", K_INT, R_PLAIN},
    {"expected_period", K_TEXT, R_DERIVED},
    {"expected_by", K_DATE, R_DERIVED},
    {"progress_date", K_DATE, R_REQUIRED},
    {"progress_date_estimated", K_BOOL, R_PLAIN},
    {"datum_raw", K_TEXT, R_PLAIN},
    {"schatting", K_TEXT, R_PLAIN},
    {"process_schema_key", K_TEXT, R_PLAIN},
    {"process_schema_version", K_INT, R_PLAIN},
    {"planned_completion", K_DATE, R_DERIVED},
    {"confidentiality", K_TEXT, R_PLAIN},
};
#define N_COLS (sizeof cols / sizeof cols[0])

/* ---- export ---- */

const char *bs_geojson_export_select(void) {
    static char sql[2048];
    if (!sql[0]) {
        size_t o = (size_t)snprintf(sql, sizeof sql, "SELECT p.id::text AS id");
        for (size_t i = 0; i < N_COLS; i++) o += (size_t)snprintf(sql + o, sizeof sql - o, ", p.%s", cols[i].name);
        snprintf(sql + o, sizeof sql - o, ", p.geometry::text AS geometry, p.geometry_crs FROM projects p");
    }
    return sql;
}

char *bs_geojson_export_select_plusvelden(const char *public_only_sql) {
    const char *rest = bs_geojson_export_select() + strlen("SELECT ");
    /* the blocks: the eleven members of the blocks API, in the API's order, then the block's
     * current plusveld values when it has any ("plusvelden", as the blocks list; retired fields
     * never); none for a caller who sees the project as public facts only (the blocks API needs
     * read access) */
#define BLOCK_MEMBERS_SQL                                                                                              \
    "'homes', b.homes, 'kind', b.kind, 'home_type', b.home_type, 'tenure', b.tenure, 'price_class', b.price_class, "   \
    "'target_group', b.target_group, 'milestone', b.milestone, 'period_from', b.period_from, 'period_to', "            \
    "b.period_to, 'correction', b.correction, 'spread', b.spread"
    return bs_asprintf("SELECT bs_plusvelden_values(p.id, NULL, NULL, %s)::text AS plusvelden, "
                       "CASE WHEN NOT (%s) THEN (SELECT json_agg((SELECT CASE WHEN q.pv = '{}'::jsonb THEN "
                       "json_build_object(" BLOCK_MEMBERS_SQL ") ELSE json_build_object(" BLOCK_MEMBERS_SQL
                       ", 'plusvelden', q.pv) END FROM (SELECT bs_plusvelden_values(p.id, b.id, NULL, false) AS pv) q) "
                       "ORDER BY b.created_at, b.id) FROM project_blocks b WHERE b.project_id = p.id)::text END AS "
                       "blocks, %s",
                       public_only_sql, public_only_sql, rest);
#undef BLOCK_MEMBERS_SQL
}

static int column(const PGresult *res, const char *name, bs_err *err) {
    int c = PQfnumber(res, name);
    if (c < 0) bs_err_set(err, BS_EINTERNAL, NULL, "export: the result has no column %s", name);
    return c;
}

int bs_geojson_feature_from_row(bs_geo *geo, const PGresult *res, int row, bs_crs crs, json_t **feature, bs_err *err) {
    *feature = NULL;
    int c_id = column(res, "id", err), c_geom = column(res, "geometry", err), c_crs = column(res, "geometry_crs", err);
    if (c_id < 0 || c_geom < 0 || c_crs < 0) return BS_EINTERNAL;
    json_t *f = json_object();
    json_object_set_new(f, "type", json_string("Feature"));
    json_object_set_new(f, "id", json_string(PQgetvalue(res, row, c_id)));
    json_t *props = json_object();
    json_object_set_new(f, "properties", props);
    for (size_t i = 0; i < N_COLS; i++) {
        int c = column(res, cols[i].name, err);
        if (c < 0) {
            json_decref(f);
            return BS_EINTERNAL;
        }
        const char *v = PQgetvalue(res, row, c);
        json_t *j;
        if (PQgetisnull(res, row, c))
            j = json_null();
        else if (cols[i].kind == K_INT)
            j = json_integer(strtoll(v, NULL, 10));
        else if (cols[i].kind == K_BOOL)
            j = json_boolean(v[0] == 't');
        else
            j = json_string(v);
        json_object_set_new(props, cols[i].name, j);
    }
    int c_pv = PQfnumber(res, "plusvelden"); /* optional (bs_geojson_export_select_plusvelden) */
    if (c_pv >= 0 && !PQgetisnull(res, row, c_pv) && strcmp(PQgetvalue(res, row, c_pv), "{}") != 0)
        json_object_set_new(props, "plusvelden", json_loads(PQgetvalue(res, row, c_pv), 0, NULL));
    int c_blocks = PQfnumber(res, "blocks"); /* optional, as plusvelden; NULL: no blocks */
    if (c_blocks >= 0 && !PQgetisnull(res, row, c_blocks))
        json_object_set_new(props, "blocks", json_loads(PQgetvalue(res, row, c_blocks), 0, NULL));
    const char *source_key = PQgetvalue(res, row, PQfnumber(res, "source_key"));
    if (PQgetisnull(res, row, c_geom)) {
        json_object_set_new(f, "geometry", json_null());
    } else {
        json_error_t jerr;
        const char *gtext = PQgetvalue(res, row, c_geom);
        json_t *g = json_loadb(gtext, (size_t)PQgetlength(res, row, c_geom), 0, &jerr);
        bs_crs from;
        const char *crs_name = PQgetisnull(res, row, c_crs) ? NULL : PQgetvalue(res, row, c_crs);
        if (!g) {
            json_decref(f);
            return bs_err_set(err, BS_EMALFORMED, NULL, "project %s: stored geometry is not JSON: %s", source_key,
                              jerr.text);
        }
        if (bs_geo_crs_parse(crs_name, &from) != BS_OK) {
            json_decref(g);
            json_decref(f);
            return bs_err_set(err, BS_EMALFORMED, NULL, "project %s: geometry_crs '%s' is not supported", source_key,
                              crs_name ? crs_name : "(null)");
        }
        bs_err gerr = {0};
        int rc = bs_geo_transform_geometry(geo, g, from, crs, crs == BS_CRS_WGS84, &gerr);
        if (rc != BS_OK) {
            json_decref(g);
            json_decref(f);
            return bs_err_set(err, rc, NULL, "project %s: geometry: %s", source_key, gerr.msg);
        }
        json_object_set_new(f, "geometry", g);
    }
    *feature = f;
    return BS_OK;
}

static int emit(bs_geojson_sink sink, void *arg, const char *s, size_t n, bs_err *err) {
    if (sink(s, n, arg) != 0) return bs_err_set(err, BS_EIO, NULL, "export: writing the output failed");
    return BS_OK;
}

int bs_geojson_write_head(bs_crs crs, bs_geojson_sink sink, void *arg, bs_err *err) {
    char head[200];
    if (crs == BS_CRS_WGS84)
        snprintf(head, sizeof head, "{\"type\":\"FeatureCollection\",\"features\":[\n");
    else
        snprintf(head, sizeof head,
                 "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":"
                 "{\"name\":\"urn:ogc:def:crs:EPSG::%d\"}},\"features\":[\n",
                 (int)crs);
    return emit(sink, arg, head, strlen(head), err);
}

int bs_geojson_write_rows(bs_geo *geo, const PGresult *res, bs_crs crs, long *n_written, bs_geojson_sink sink,
                          void *arg, bs_err *err) {
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        json_t *f;
        int rc = bs_geojson_feature_from_row(geo, res, i, crs, &f, err);
        if (rc != BS_OK) return rc;
        char *text = bs_json_dumps(f, DUMP_FLAGS);
        json_decref(f);
        rc = *n_written ? emit(sink, arg, ",\n", 2, err) : BS_OK;
        if (rc == BS_OK) rc = emit(sink, arg, text, strlen(text), err);
        free(text);
        if (rc != BS_OK) return rc;
        (*n_written)++;
    }
    return BS_OK;
}

int bs_geojson_write_tail(bs_geojson_sink sink, void *arg, bs_err *err) {
    return emit(sink, arg, "\n]}\n", 4, err);
}

/* ---- import: checking ---- */

typedef struct import_job {
    const bs_engine *engine;
    FILE *progress;
    bs_geojson_import_cb cb;
    void *arg;
    bs_geojson_import_result result; /* filled by prepare on the thread pool, then by done */
    json_t *collection;              /* owned reference, or NULL: parse text or path */
    char *text;                      /* owned: the body to parse (bs_geojson_import_text) */
    size_t text_len;
    char *path;       /* owned: the file to read (bs_geojson_import_file) */
    char *begin_sql;  /* owned: BEGIN, with the audit actor when given */
    json_t *settings; /* owned: the organisations' schema version settings (BS_IMPORT_VERSION_SETTINGS_SQL), or NULL */
    /* the plusveld definitions the features are checked against (BS_IMPORT_PV_DEFS), owned;
     * loaded before the pipeline runs */
    json_t *pv_defs;
    uv_loop_t *loop;
    bs_store *store;
} import_job;

/* What the check of one file needs (bs_geojson_import_check): pure, no job. */
typedef struct check_ctx {
    const bs_engine *engine;
    bs_day today;           /* the import's civil date: data date = max(progress_date, today) */
    const json_t *settings; /* {"gemeente:NAME|KEY": version}: the version a new project gets; NULL: shipped */
    bs_geojson_import_result *r;
    json_t *seen_keys, *seen_ids; /* source + source_key and ids seen so far in the file */
    /* plusvelden: the definitions (NULL: none loaded, a feature with values is refused) as
     * {"orgs": {org id: [definition]}, "gemeenten": {name: org id}, "projects": {source US
     * source_key: owner org id}}, and the patterns compiled for this import */
    const json_t *pv_defs;
    bs_pv_cache *pv_cache;
} check_ctx;

__attribute__((format(printf, 3, 4))) static void feature_error(bs_geojson_import_result *r, int feature,
                                                                const char *fmt, ...) {
    if (r->n_errors < BS_GEOJSON_MAX_ERRORS) {
        r->errors[r->n_errors].feature = feature;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->errors[r->n_errors].message, sizeof r->errors[r->n_errors].message, fmt, ap);
        va_end(ap);
        r->n_errors++;
    }
}

static bool is_uuid(const char *s) {
    static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(s) != sizeof pattern - 1) return false;
    for (size_t i = 0; pattern[i]; i++)
        if (pattern[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i])) return false;
    return true;
}

static bool is_code(const char *(*normalise)(const char *, bool *), const char *v) {
    bool recognised;
    return strcmp(normalise(v, &recognised), v) == 0;
}

/* Checks one property value and puts it into the record (absent → null). Returns false
 * after recording an error. */
static bool take_property(bs_geojson_import_result *r, int fi, json_t *props, size_t c, json_t *rec) {
    json_t *v = json_object_get(props, cols[c].name);
    const char *name = cols[c].name;
    bool required = cols[c].role == R_REQUIRED || cols[c].role == R_KEY;
    if (!v || json_is_null(v)) {
        if (required) {
            feature_error(r, fi, "properties.%s: required", name);
            return false;
        }
        json_object_set_new(rec, name, json_null());
        return true;
    }
    switch (cols[c].kind) {
    case K_TEXT:
        if (!json_is_string(v) || (required && json_string_length(v) == 0)) {
            feature_error(r, fi, "properties.%s: must be a%s string", name, required ? " non-empty" : "");
            return false;
        }
        if (strcmp(name, "planstatus") == 0 && !is_code(bs_planstatus_normalise, json_string_value(v))) {
            feature_error(r, fi, "properties.planstatus: '%.40s' is not a code (1A … 4B, onbekend)",
                          json_string_value(v));
            return false;
        }
        if (strcmp(name, "confidentiality") == 0) {
            static const char *const levels[] = {"prive",
                                                 "intern_ambtelijk",
                                                 "intern_bestuurlijk",
                                                 "intern_raad",
                                                 "extern_woonregio",
                                                 "extern_mede_overheden",
                                                 "openbaar",
                                                 NULL};
            bool ok = false;
            for (size_t k = 0; levels[k] && !ok; k++) ok = strcmp(levels[k], json_string_value(v)) == 0;
            if (!ok) {
                feature_error(r, fi,
                              "properties.confidentiality: '%.40s' is not a level (prive, intern_ambtelijk, "
                              "intern_bestuurlijk, intern_raad, extern_woonregio, extern_mede_overheden, "
                              "openbaar)",
                              json_string_value(v));
                return false;
            }
        }
        if (strcmp(name, "plantype") == 0 && !is_code(bs_plantype_normalise, json_string_value(v))) {
            feature_error(r, fi,
                          "properties.plantype: '%.40s' is not a code (uitleg, verdichting, "
                          "transformatie, herstructurering, onbekend)",
                          json_string_value(v));
            return false;
        }
        break;
    case K_INT: {
        double d = json_number_value(v);
        if (!json_is_number(v) || d != floor(d) || d < INT_MIN || d > INT_MAX) {
            feature_error(r, fi, "properties.%s: must be an integer or null", name);
            return false;
        }
        json_object_set_new(rec, name, json_integer((json_int_t)d));
        return true;
    }
    case K_DATE: {
        bs_day day;
        if (!json_is_string(v) || bs_date_parse(json_string_value(v), &day) != 0) {
            feature_error(r, fi, "properties.%s: must be a date YYYY-MM-DD", name);
            return false;
        }
        break;
    }
    case K_BOOL:
        if (!json_is_boolean(v)) {
            feature_error(r, fi, "properties.%s: must be true or false", name);
            return false;
        }
        break;
    }
    json_object_set(rec, name, v);
    return true;
}

/* The feature's plusvelden (an object key: value, optional): each value checked against the
 * definition of the project's organisation (docs/homes-and-goals.md "Plusvelden"); the checked
 * values go into the record's "plusvelden". false after recording errors. */
static bool take_plusvelden(check_ctx *cx, int fi, json_t *props, json_t *rec) {
    json_t *pv = json_object_get(props, "plusvelden");
    if (!pv || json_is_null(pv)) return true;
    if (!json_is_object(pv)) {
        feature_error(cx->r, fi, "properties.plusvelden: must be an object key: value");
        return false;
    }
    const json_t *defs = bs_import_pv_definitions(cx->pv_defs, json_string_value(json_object_get(props, "source")),
                                                  json_string_value(json_object_get(props, "source_key")),
                                                  json_string_value(json_object_get(props, "gemeente")));
    json_t *out = json_object();
    bool ok = true;
    const char *k;
    json_t *v;
    json_object_foreach(pv, k, v) {
        bs_err err = {0};
        json_t *checked = bs_import_pv_check(defs, k, v, cx->pv_cache, &err);
        if (checked)
            json_object_set_new(out, k, checked);
        else
            feature_error(cx->r, fi, "properties.%s: %.150s", err.field, err.msg);
        ok = checked && ok;
    }
    if (ok && json_object_size(out))
        json_object_set_new(rec, "plusvelden", out);
    else
        json_decref(out);
    return ok;
}

/* The schema version a record's new project is planned with: the key (default ppm-woningbouw)
 * and version it names, else its owner organisation's setting (cx->settings), else the shipped
 * version; the record's process_schema_key and _version are set. NULL after a feature error. */
static const bs_engine_schema *record_schema(check_ctx *cx, json_t *rec, int fi) {
    bs_geojson_import_result *r = cx->r;
    if (json_is_null(json_object_get(rec, "process_schema_key")))
        json_object_set_new(rec, "process_schema_key", json_string(DEFAULT_SCHEMA_KEY));
    const char *skey = json_string_value(json_object_get(rec, "process_schema_key"));
    const bs_engine_schema *es = bs_engine_schema_get(cx->engine, skey);
    if (!es) {
        feature_error(r, fi, "properties.process_schema_key: schema '%.60s' is not loaded", skey);
        return NULL;
    }
    json_t *ver = json_object_get(rec, "process_schema_version");
    if (json_is_null(ver)) { /* the owner organisation's setting, else the shipped version */
        char sk[512];
        snprintf(sk, sizeof sk, "gemeente:%s|%s", json_string_value(json_object_get(rec, "gemeente")) ?: "", skey);
        json_t *set = cx->settings ? json_object_get(cx->settings, sk) : NULL;
        const bs_engine_schema *ev =
            set ? bs_engine_schema_version(cx->engine, skey, (long)json_integer_value(set)) : NULL;
        if (ev) es = ev;
        json_object_set_new(rec, "process_schema_version", json_integer(es->schema->version));
    } else if (!(es = bs_engine_schema_version(cx->engine, skey, (long)json_integer_value(ver))) ||
               json_integer_value(ver) < 1) {
        feature_error(r, fi,
                      "properties.process_schema_version: %s has no version %lld (the shipped one or one "
                      "deployed through POST /api/v1/process-schemas)",
                      skey, (long long)json_integer_value(ver));
        return NULL;
    }
    return es;
}

/* The plusvelden of block j of the feature (the block's member "plusvelden", an object key:
 * value, optional), each value checked against the block definitions of the project's owner
 * (defs), errors naming properties.blocks[j].plusvelden.<key>. Returns a new object key:
 * checked value, JSON null when the block has none, NULL after recording errors. */
static json_t *take_block_plusvelden(check_ctx *cx, int fi, size_t j, const json_t *pv, const json_t *defs) {
    if (!pv || json_is_null(pv)) return json_null();
    if (!json_is_object(pv)) {
        feature_error(cx->r, fi, "properties.blocks[%zu].plusvelden: must be an object key: value", j);
        return NULL;
    }
    json_t *out = json_object();
    bool ok = true;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)pv, k, v) {
        bs_err err = {0};
        json_t *checked = bs_import_pv_check(defs, k, v, cx->pv_cache, &err);
        if (checked)
            json_object_set_new(out, k, checked);
        else
            feature_error(cx->r, fi, "properties.blocks[%zu].%s: %.150s", j, err.field, err.msg);
        ok = checked && ok;
    }
    if (ok) return out;
    json_decref(out);
    return NULL;
}

/* The feature's blocks (an array of block objects, optional): each checked with the rules of
 * the blocks API (bs_import_block_check), errors naming properties.blocks[j].<member>, and its
 * plusvelden (take_block_plusvelden); the checked blocks go into the record and its plan
 * counts are derived from them (bs_import_blocks_derive; docs/blocks.md "Exchange"), the
 * blocks' checked plusvelden beside them (bs_import_plan_block_plusvelden). false after
 * recording errors. */
static bool take_blocks(check_ctx *cx, int fi, json_t *props, json_t *rec) {
    json_t *blocks = json_object_get(props, "blocks");
    if (!blocks || json_is_null(blocks)) return true;
    if (!json_is_array(blocks)) {
        feature_error(cx->r, fi, "properties.blocks: must be an array of blocks");
        return false;
    }
    const json_t *defs = bs_import_pv_block_definitions(
        cx->pv_defs, json_string_value(json_object_get(props, "source")),
        json_string_value(json_object_get(props, "source_key")), json_string_value(json_object_get(props, "gemeente")));
    json_t *out = json_array(), *pvs = json_array();
    bool ok = true, any_pv = false;
    size_t j;
    json_t *b;
    json_array_foreach(blocks, j, b) {
        bs_err err = {0};
        json_t *bc = json_is_object(b) ? json_copy(b) : json_incref(b); /* the block without its plusvelden */
        json_t *pv =
            take_block_plusvelden(cx, fi, j, json_is_object(b) ? json_object_get(b, "plusvelden") : NULL, defs);
        if (json_is_object(bc)) json_object_del(bc, "plusvelden");
        json_t *checked = bs_import_block_check(bs_engine_is_milestone, cx->engine, bc, &err);
        json_decref(bc);
        if (checked)
            json_array_append_new(out, checked);
        else if (err.field[0])
            feature_error(cx->r, fi, "properties.blocks[%zu].%s: %.150s", j, err.field, err.msg);
        else
            feature_error(cx->r, fi, "properties.blocks[%zu]: %.150s", j, err.msg);
        ok = checked && pv && ok;
        any_pv = any_pv || json_is_object(pv);
        json_array_append_new(pvs, pv ? pv : json_null());
    }
    if (ok) bs_import_blocks_derive(rec, out);
    if (ok && any_pv) json_object_set(json_object_get(rec, "blocks"), "plusvelden", pvs);
    json_decref(pvs);
    json_decref(out);
    return ok;
}

/* The feature's id (optional): a UUID, once in the file (seen_ids), into the record. false
 * after recording an error. */
static bool take_id(bs_geojson_import_result *r, int fi, json_t *feature, json_t *seen_ids, json_t *rec) {
    json_t *id = json_object_get(feature, "id");
    if (!id || json_is_null(id)) return true;
    if (!json_is_string(id) || !is_uuid(json_string_value(id))) {
        feature_error(r, fi, "id: must be a UUID string (or absent)");
        return false;
    }
    if (json_object_get(seen_ids, json_string_value(id))) {
        feature_error(r, fi, "id: %s occurs twice in the file", json_string_value(id));
        return false;
    }
    json_object_set_new(seen_ids, json_string_value(id), json_true());
    json_object_set(rec, "id", id);
    return true;
}

/* Builds the record of one feature (NULL after recording errors). cx->seen_keys/seen_ids
 * detect duplicates within the file. */
static json_t *build_record(check_ctx *cx, int fi, json_t *feature, bs_crs crs) {
    bs_geojson_import_result *r = cx->r;
    json_t *seen_keys = cx->seen_keys, *seen_ids = cx->seen_ids;
    json_t *props = json_object_get(feature, "properties");
    if (!json_is_object(feature) || !json_is_string(json_object_get(feature, "type")) ||
        strcmp(json_string_value(json_object_get(feature, "type")), "Feature") != 0 || !json_is_object(props)) {
        feature_error(r, fi, "not a Feature with a \"properties\" object");
        return NULL;
    }
    json_t *rec = json_object();
    bool ok = true;
    for (size_t c = 0; c < N_COLS; c++)
        if (cols[c].role != R_DERIVED) ok = take_property(r, fi, props, c, rec) && ok;
    ok = take_plusvelden(cx, fi, props, rec) && ok;
    ok = take_blocks(cx, fi, props, rec) && ok; /* after the counts: it derives them */
    ok = take_id(r, fi, feature, seen_ids, rec) && ok;
    json_t *geom = json_object_get(feature, "geometry");
    if (geom && !json_is_null(geom)) {
        json_t *copy = json_deep_copy(geom);
        bs_err gerr = {0};
        if (bs_geo_transform_geometry(NULL, copy, crs, crs, 0, &gerr) != BS_OK) {
            feature_error(r, fi, "geometry: %s", gerr.msg);
            json_decref(copy);
            ok = false;
        } else {
            json_object_set_new(rec, "geometry", copy);
            json_object_set_new(rec, "geometry_crs", json_string(bs_geo_crs_name(crs)));
        }
    } else {
        json_object_set_new(rec, "geometry", json_null());
        json_object_set_new(rec, "geometry_crs", json_null());
    }
    if (!ok) {
        json_decref(rec);
        return NULL;
    }
    /* the idempotency key occurs once in the file */
    const char *source = json_string_value(json_object_get(rec, "source"));
    const char *source_key = json_string_value(json_object_get(rec, "source_key"));
    size_t kl = strlen(source) + strlen(source_key) + 2;
    char *key = bs_malloc(kl);
    snprintf(key, kl, "%s%c%s", source, '\x1f', source_key);
    bool dup = json_object_get(seen_keys, key) != NULL;
    json_object_set_new(seen_keys, key, json_true());
    free(key);
    if (dup) {
        feature_error(r, fi, "source %s, source_key %s occurs twice in the file", source, source_key);
        json_decref(rec);
        return NULL;
    }
    /* defaults */
    if (json_is_null(json_object_get(rec, "progress_date_estimated")))
        json_object_set_new(rec, "progress_date_estimated", json_false());
    const bs_engine_schema *es = record_schema(cx, rec, fi);
    if (!es) {
        json_decref(rec);
        return NULL;
    }
    const bs_schema *sc = es->schema; /* a new project is planned with the version it names */
    /* derived: the expected period from the counts, as the EIB import computes it */
    long op[4];
    static const char *const op_cols[4] = {"completions_2019", "completions_2020_2024", "completions_2025_2029",
                                           "completions_2030_2050"};
    for (int i = 0; i < 4; i++) op[i] = (long)json_integer_value(json_object_get(rec, op_cols[i]));
    const char *label = NULL;
    bs_day by = bs_eib_expected_by(op[0], op[1], op[2], op[3], &label);
    char datebuf[11];
    json_object_set_new(rec, "expected_period", label ? json_string(label) : json_null());
    json_object_set_new(rec, "expected_by", by != BS_DAY_NONE ? json_string(bs_date_format(by, datebuf)) : json_null());
    /* initial process state and planned completion (used for a new project only) */
    bs_day progress_date;
    bs_date_parse(json_string_value(json_object_get(rec, "progress_date")), &progress_date);
    bs_progress *prog = bs_calloc((size_t)sc->n_steps, sizeof *prog);
    bs_plan_initial_progress(sc, json_string_value(json_object_get(rec, "planstatus")), prog);
    json_t *keys = json_array(), *steps = json_array();
    for (int32_t i = 0; i < sc->n_steps; i++) {
        json_array_append_new(keys, json_string(sc->steps[i].key));
        json_array_append_new(steps, json_string(bs_status_name(prog[i].status)));
    }
    json_object_set_new(rec, "step_keys", keys);
    json_object_set_new(rec, "steps", steps);
    bs_schedule sched;
    json_t *pc = json_null();
    /* planned from the data date: the later of the file's date and the import's today */
    if (bs_schedule_compute(sc, prog, bs_data_date(progress_date, cx->today), &cx->engine->calendar, &sched) ==
        BS_SCHEDULE_OK) {
        bs_day completion = bs_schedule_completion(sc, prog, &sched);
        if (completion != BS_DAY_NONE) {
            json_decref(pc);
            pc = json_string(bs_date_format(completion, datebuf));
        }
        bs_schedule_free(&sched);
    }
    json_object_set_new(rec, "planned_completion", pc);
    free(prog);
    return rec;
}

/* ---- import: storing ---- */

/* The file is refused: BS_EINVAL "invalid_features" on the body, nothing imported. */
static int fail_file(bs_geojson_import_result *r, const char *why) {
    bs_err_problem(&r->err, BS_EINVAL, "invalid_features", "The file was not imported", "body", "not imported: %s",
                   why);
    return -1;
}

/* The upsert (all exchange columns but planned_completion, which only a new row gets) and
 * the initial steps of new projects, from the pipeline's staging table. */
static void plan_statements(bs_import_plan *plan) {
    size_t cap = 8192;
    char *names = bs_calloc(1, cap), *sets = bs_calloc(1, cap), *cmp_old = bs_calloc(1, cap),
         *cmp_new = bs_calloc(1, cap);
    size_t on = 0, os = 0, oo = 0, ow = 0;
    for (size_t i = 0; i <= N_COLS + 1; i++) { /* + geometry, geometry_crs */
        const char *c = i < N_COLS ? cols[i].name : i == N_COLS ? "geometry" : "geometry_crs";
        if (i < N_COLS && (cols[i].role == R_KEY || strcmp(c, "planned_completion") == 0)) continue;
        if (i < N_COLS && strcmp(c, "confidentiality") == 0) continue; /* written by its own rule */
        const char *sep = on ? ", " : "";
        on += (size_t)snprintf(names + on, cap - on, "%s%s", sep, c);
        /* an existing project keeps its schema version: moving it is a migration, not an import */
        if (strcmp(c, "process_schema_key") == 0 || strcmp(c, "process_schema_version") == 0) continue;
        os += (size_t)snprintf(sets + os, cap - os, "%s%s = EXCLUDED.%s", os ? ", " : "", c, c);
        oo += (size_t)snprintf(cmp_old + oo, cap - oo, "%sprojects.%s", oo ? ", " : "", c);
        ow += (size_t)snprintf(cmp_new + ow, cap - ow, "%sEXCLUDED.%s", ow ? ", " : "", c);
    }
    size_t need = 8 * cap;
    char *upsert = bs_malloc(need);
    snprintf(upsert, need,
             /* the municipality (one gemeente organisation per name, as the EIB import makes
              * them) owns the project; the file's confidentiality level is kept, a missing one
              * follows the import rule (hard plans extern mede-overheden, else intern ambtelijk);
              * hard plans are raised to at least extern mede-overheden (docs/security.md §2) */
             "WITH x AS (SELECT * FROM bs_import_staging), "
             "orgs AS (INSERT INTO organisations (name, kind, provincie, import_key) "
             "  SELECT DISTINCT ON (x.gemeente) x.gemeente, 'gemeente', x.provincie, 'gemeente:' || x.gemeente "
             "  FROM x WHERE x.gemeente IS NOT NULL ORDER BY x.gemeente, x.provincie "
             "  ON CONFLICT (import_key) DO NOTHING RETURNING id, import_key) "
             "INSERT INTO projects (id, source, source_key, planned_completion, owner_organisation_id, "
             "confidentiality, %s) "
             "SELECT CASE WHEN x.id IS NULL OR EXISTS (SELECT 1 FROM projects q WHERE q.id = x.id) "
             "THEN gen_random_uuid() ELSE x.id END, x.source, x.source_key, x.planned_completion, "
             "COALESCE((SELECT id FROM orgs WHERE orgs.import_key = 'gemeente:' || x.gemeente), "
             "  (SELECT id FROM organisations o WHERE o.import_key = 'gemeente:' || x.gemeente)), "
             "CASE WHEN x.planstatus IN ('1A','1B','2A','2B') AND bs_confidentiality_rank(COALESCE(x.confidentiality, "
             "  'prive')) < 5 THEN 'extern_mede_overheden' ELSE COALESCE(x.confidentiality, 'intern_ambtelijk') END, "
             "%s FROM x "
             "ON CONFLICT (source, source_key) DO UPDATE SET %s, "
             "owner_organisation_id = COALESCE(projects.owner_organisation_id, EXCLUDED.owner_organisation_id), "
             /* an existing project keeps its level (the project leader's, PATCH): an import
              * only raises a hard plan to extern mede-overheden (docs/security.md §2) */
             "confidentiality = CASE WHEN EXCLUDED.planstatus IN ('1A','1B','2A','2B') "
             "  AND bs_confidentiality_rank(projects.confidentiality) < 5 THEN 'extern_mede_overheden' "
             "  ELSE projects.confidentiality END, updated_at = now() "
             "WHERE (%s) IS DISTINCT FROM (%s) "
             "RETURNING (xmax = 0) AS inserted",
             names, names, sets, cmp_old, cmp_new);
    bs_import_plan_stmt(plan, "storing projects failed", true, upsert, 0, NULL);
    bs_import_plan_stmt(plan, "storing process steps failed", false,
                        "INSERT INTO project_steps (project_id, step_key, status, actual_estimated) "
                        "SELECT p.id, u.step_key, u.status, u.status = 'done' "
                        "FROM bs_import_staging x "
                        "JOIN projects p ON p.source = x.source AND p.source_key = x.source_key "
                        "  AND p.process_schema_version = x.process_schema_version "
                        "CROSS JOIN LATERAL unnest(x.step_keys, x.steps) AS u(step_key, status) "
                        "WHERE NOT EXISTS (SELECT 1 FROM project_steps e "
                        "  WHERE e.project_id = p.id AND e.step_key = u.step_key) "
                        "ON CONFLICT (project_id, step_key) DO NOTHING",
                        0, NULL);
    free(upsert);
    free(names);
    free(sets);
    free(cmp_old);
    free(cmp_new);
}

/* The collection to import: the one given, or the body or file parsed here. Returns it (a new
 * reference), or NULL with result->err set. */
static json_t *load_collection(import_job *job) {
    if (job->collection) return json_incref(job->collection);
    json_error_t jerr;
    json_t *root = job->path ? json_load_file(job->path, 0, &jerr) : json_loadb(job->text, job->text_len, 0, &jerr);
    if (root) return root;
    if (!job->path)
        bs_err_set(&job->result.err, BS_EMALFORMED, "body", "Malformed JSON at line %d, column %d: %s", jerr.line,
                   jerr.column, jerr.text);
    else if (jerr.line > 0)
        bs_err_set(&job->result.err, BS_EMALFORMED, NULL, "cannot read %s:%d:%d: %s", job->path, jerr.line, jerr.column,
                   jerr.text);
    else
        bs_err_set(&job->result.err, BS_EIO, NULL, "cannot read %s: %s", job->path, jerr.text);
    return NULL;
}

/* Checks every feature and builds the records; they are returned only when every feature is
 * valid. */
static json_t *check_features(check_ctx *cx, json_t *features, bs_crs crs) {
    bs_geojson_import_result *r = cx->r;
    size_t n = json_array_size(features);
    r->read = (int)n;
    cx->seen_keys = json_object();
    cx->seen_ids = json_object();
    cx->pv_cache = bs_pv_cache_new(64);
    json_t *records = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *rec = build_record(cx, (int)i, json_array_get(features, i), crs);
        if (!rec)
            r->invalid++;
        else if (r->invalid == 0)
            json_array_append_new(records, rec);
        else
            json_decref(rec);
    }
    json_decref(cx->seen_keys);
    json_decref(cx->seen_ids);
    bs_pv_cache_free(cx->pv_cache);
    if (r->invalid) {
        json_decref(records);
        char msg[96];
        snprintf(msg, sizeof msg, "%d of %d features invalid; nothing imported", r->invalid, r->read);
        fail_file(r, msg);
        return NULL;
    }
    return records;
}

/* bs_geojson_import_check with the plusveld definitions (pv_defs, NULL: none). */
static json_t *check_import(const bs_engine *engine, json_t *root, bs_day today, const json_t *settings,
                            const json_t *pv_defs, bs_geojson_import_result *r) {
    json_t *features = json_object_get(root, "features");
    const char *type = json_string_value(json_object_get(root, "type"));
    bs_crs crs = BS_CRS_WGS84; /* RFC 7946 §4: no crs member = WGS84 lon/lat */
    json_t *crs_member = json_object_get(root, "crs");
    if (!json_is_object(root) || !type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(features)) {
        fail_file(r, "not a GeoJSON FeatureCollection (\"type\" and a \"features\" array)");
        return NULL;
    }
    if (crs_member && !json_is_null(crs_member) &&
        bs_geo_crs_parse(json_string_value(json_object_get(json_object_get(crs_member, "properties"), "name")), &crs) !=
            BS_OK) {
        fail_file(r, "the \"crs\" member names no supported CRS (EPSG:28992, EPSG:4326, EPSG:4258)");
        return NULL;
    }
    snprintf(r->crs, sizeof r->crs, "%s", bs_geo_crs_name(crs));
    check_ctx cx = {.engine = engine, .today = today, .settings = settings, .r = r, .pv_defs = pv_defs};
    return check_features(&cx, features, crs);
}

json_t *bs_geojson_import_check(const bs_engine *engine, json_t *root, bs_day today, const json_t *settings,
                                bs_geojson_import_result *r) {
    return check_import(engine, root, today, settings, NULL, r);
}

/* On the thread pool: parses (when given text or a path), checks every feature, converts and
 * computes the records, and plans one transaction. */
static int prepare(bs_import_plan *plan, void *arg) {
    import_job *job = arg;
    bs_geojson_import_result *r = &job->result;
    json_t *root = load_collection(job);
    if (!root) return -1;
    /* today: the import's civil date in Europe/Amsterdam (the injected clock's) */
    bs_day today = bs_clock_today_amsterdam(NULL);
    json_t *records = check_import(job->engine, root, today, job->settings, job->pv_defs, r);
    json_decref(root);
    if (!records) return -1;
    bs_import_plan_add_records(plan, records, DUMP_FLAGS);
    json_decref(records);
    if (job->progress) {
        fprintf(job->progress, "import-geojson: %d features checked (%s), storing in one transaction\n", r->read,
                r->crs);
        fflush(job->progress);
    }
    bs_import_plan_begin(plan, job->begin_sql);
    plan_statements(plan);
    bs_import_plan_plusvelden(plan, today, NULL);
    bs_import_plan_blocks(plan, NULL);
    bs_import_plan_block_plusvelden(plan, today, NULL); /* after the blocks: it finds them */
    return 0;
}

static void job_free(import_job *job) {
    json_decref(job->pv_defs);
    json_decref(job->collection);
    free(job->text);
    free(job->path);
    free(job->begin_sql);
    json_decref(job->settings);
    free(job);
}

static void done(const bs_import_outcome *o, void *arg) {
    import_job *job = arg;
    job->result.inserted = o->inserted;
    job->result.updated = o->updated;
    job->result.unchanged = o->unchanged;
    if (o->err.code != BS_OK) /* the transaction was rolled back */
        bs_err_set(&job->result.err, BS_EUNAVAILABLE, NULL, "%s: %s", o->what, o->err.msg);
    job->cb(&job->result, job->arg);
    job_free(job);
}

/* The plusveld definitions loaded: now the pipeline (prepare on the thread pool checks against them). */
static void pv_defs_loaded(const PGresult *res, const char *err, void *arg) {
    import_job *job = arg;
    if (err || PQntuples(res) != 1) {
        bs_err_set(&job->result.err, BS_EUNAVAILABLE, NULL, "loading the plusveld definitions failed: %s",
                   err ? err : "no answer");
        job->cb(&job->result, job->arg);
        return job_free(job);
    }
    job->pv_defs = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    bs_import_pipeline_run(job->loop, job->store, "import-geojson", job->progress, prepare, done, job);
}

/* The version settings read: then the plusveld definitions (an unreadable setting fails the import). */
static void settings_read(const PGresult *res, const char *err, void *arg) {
    import_job *job = arg;
    if (err) {
        bs_err_set(&job->result.err, BS_EUNAVAILABLE, NULL, "reading the schema version settings: %s", err);
        job->cb(&job->result, job->arg);
        job_free(job);
        return;
    }
    job->settings = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    bs_store_exec(job->store, &BS_IMPORT_PV_DEFS, NULL, pv_defs_loaded, job);
}

static void run(uv_loop_t *loop, bs_store *store, import_job *job, FILE *progress, const char *actor_json,
                bs_geojson_import_cb cb, void *arg) {
    job->begin_sql = bs_store_begin_as(actor_json);
    job->progress = progress;
    job->cb = cb;
    job->arg = arg;
    job->loop = loop;
    job->store = store;
    bs_store_query(store, BS_IMPORT_VERSION_SETTINGS_SQL, 0, NULL, settings_read, job);
}

void bs_geojson_import(uv_loop_t *loop, bs_store *store, const bs_engine *engine, json_t *root, FILE *progress,
                       const char *actor_json, bs_geojson_import_cb cb, void *arg) {
    import_job *job = bs_calloc(1, sizeof *job);
    job->engine = engine;
    job->collection = json_incref(root);
    run(loop, store, job, progress, actor_json, cb, arg);
}

void bs_geojson_import_text(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const char *text, size_t len,
                            FILE *progress, const char *actor_json, bs_geojson_import_cb cb, void *arg) {
    import_job *job = bs_calloc(1, sizeof *job);
    job->engine = engine;
    job->text = bs_malloc(len ? len : 1);
    if (len) memcpy(job->text, text, len);
    job->text_len = len;
    run(loop, store, job, progress, actor_json, cb, arg);
}

void bs_geojson_import_file(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const char *path, FILE *progress,
                            const char *actor_json, bs_geojson_import_cb cb, void *arg) {
    import_job *job = bs_calloc(1, sizeof *job);
    job->engine = engine;
    job->path = bs_strdup(path);
    run(loop, store, job, progress, actor_json, cb, arg);
}
