/*
 * HTTP API routes. See api.h, docs/api.md and docs/openapi.json.
 *
 * Every error answer is made by api/problem.c from a bs_err (engine/core/err.h).
 */
#include "api.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_internal.h"
#include "authz.h"
#include "bpmn.h"
#include "handlers.h"
#include "paging.h"
#include "geo.h"
#include "plan.h"
#include "routes_sql.h"
#include "web.h"

/* ---- responses ---- */

/* The buffer bs__json_text writes into, one per thread (the loop's, in practice), kept between responses up to
 * JSON_BUF_KEEP bytes. */
#define JSON_BUF_KEEP ((size_t)1 << 20)
static _Thread_local char *json_buf;
static _Thread_local size_t json_cap;

const char *bs__json_text(const json_t *body, size_t *len) {
    size_t n = json_dumpb(body, json_buf, json_cap, JSON_COMPACT);
    if (n >= json_cap && n > 0) { /* too small: grow to what jansson asked for (and the NUL), and write again */
        size_t cap = n + n / 4 + 1024;
        free(json_buf);
        json_buf = bs_malloc(cap);
        json_cap = cap;
        n = json_dumpb(body, json_buf, json_cap, JSON_COMPACT);
    }
    if (n == 0 || n >= json_cap) { /* jansson failed: out of memory, or a body no caller builds */
        fprintf(stderr, "bouwstroom: JSON text of a response could not be written\n");
        abort();
    }
    json_buf[n] = '\0';
    *len = n;
    return json_buf;
}

void bs__json_text_done(void) {
    if (json_cap <= JSON_BUF_KEEP) return;
    free(json_buf);
    json_buf = NULL;
    json_cap = 0;
}

void bs__respond_json(bs_req *req, int status, json_t *body) {
    size_t len;
    const char *text = bs__json_text(body, &len);
    bs_req_respond(req, status, JSON_CT, text, len, NULL);
    bs__json_text_done();
    json_decref(body);
}

/* ---- helpers ---- */

bs_day bs_today_amsterdam(void *arg) {
    return bs_clock_today_amsterdam((const bs_clock *)arg);
}

const char *bs__public_base(const bs_api *api, const bs_req *req) {
    return api->public_url && *api->public_url ? api->public_url : bs_req_base_url(req);
}

bool bs__method_is(const bs_req *req, const char *m) {
    return strcmp(bs_req_method(req), m) == 0;
}

/* ---- GET /healthz: liveness ---- */

/* The process serves: answered by the loop itself, without the database (a database outage
 * is readiness's business, GET /readyz; restarting the process would not cure it). */
void bs__health(bs_api *api, bs_req *req, const bs_path *path) {
    (void)api;
    (void)path;
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("ok"));
    static const char *const h[] = {"Cache-Control", "no-store", NULL};
    char *text = bs_json_dumps(o, JSON_COMPACT);
    json_decref(o);
    bs_req_respond(req, 200, JSON_CT, text, strlen(text), h);
    free(text);
}

/* ---- GET /readyz: readiness (docs/operations.md "Liveness and readiness") ---- */

/* Appends {"name", "ok", "detail"} to checks; returns ok. */
static bool add_check(json_t *checks, const char *name, bool ok, const char *detail) {
    json_t *c = json_object();
    json_object_set_new(c, "name", json_string(name));
    json_object_set_new(c, "ok", json_boolean(ok));
    json_object_set_new(c, "detail", json_string(detail));
    json_array_append_new(checks, c);
    return ok;
}

/* The database and migration checks from SQL_READY's answer (or its error). */
static void database_checks(const bs_api *api, const PGresult *res, const char *err, json_t *checks) {
    char d[300];
    if (err) {
        snprintf(d, sizeof d, "unreachable: %s", err);
        add_check(checks, "database", false, d);
        if (api->migrations) add_check(checks, "migrations", false, "unknown: the database is unreachable");
        return;
    }
    bool recovery = strcmp(PQgetvalue(res, 0, 0), "t") == 0, tx_ro = strcmp(PQgetvalue(res, 0, 1), "on") == 0,
         default_ro = strcmp(PQgetvalue(res, 0, 2), "on") == 0;
    if (recovery)
        add_check(checks, "database", false, "a standby (in recovery): it refuses every write");
    else if (default_ro || tx_ro)
        add_check(checks, "database", false,
                  default_ro ? "read-only: default_transaction_read_only is on (every write is refused)"
                             : "read-only: transaction_read_only is on (every write is refused)");
    else
        add_check(checks, "database", true, "a writable primary");
    if (!api->migrations) return;
    long applied = atol(PQgetvalue(res, 0, 3)), unknown = atol(PQgetvalue(res, 0, 4));
    int k = snprintf(d, sizeof d, "%ld of the %d migrations of this build applied", applied, api->n_migrations);
    if (unknown) snprintf(d + k, sizeof d - (size_t)k, "; %ld more applied by a newer build", unknown);
    add_check(checks, "migrations", applied == api->n_migrations, d);
}

static void ready_done(const PGresult *res, const char *err, void *arg) {
    bs_req *req = arg;
    const bs_api *api = bs_req_get_data(req);
    json_t *checks = json_array();
    database_checks(api, res, err, checks);
    if (api->worker_checks) api->worker_checks(api->worker_checks_arg, checks);
    int open, max;
    long refused;
    bs_req_connections(req, &open, &max, &refused);
    char d[200];
    snprintf(d, sizeof d, "%d of at most %d client connections open; %ld answered over a cap since the start", open,
             max, refused);
    add_check(checks, "connections", open < max, d);
    char detail[BS_ERR_MSG_SIZE] = "";
    size_t i;
    json_t *c;
    json_array_foreach(checks, i, c) {
        if (json_is_true(json_object_get(c, "ok"))) continue;
        size_t l = strlen(detail);
        snprintf(detail + l, sizeof detail - l, "%s%s: %s", l ? "; " : "",
                 json_string_value(json_object_get(c, "name")), json_string_value(json_object_get(c, "detail")));
    }
    static const char *const h[] = {"Cache-Control", "no-store", NULL};
    if (!detail[0]) {
        json_t *o = json_object();
        json_object_set_new(o, "status", json_string("ready"));
        json_object_set_new(o, "checks", checks);
        char *text = bs_json_dumps(o, JSON_COMPACT);
        json_decref(o);
        bs_req_respond(req, 200, JSON_CT, text, strlen(text), h);
        free(text);
        return;
    }
    bs_err e;
    bs_err_problem(&e, BS_EUNAVAILABLE, "not_ready", "Not ready", NULL, "%s", detail);
    json_t *ext = json_object();
    json_object_set_new(ext, "checks", checks);
    bs__fail_doc(req, &e, ext, h);
}

void bs__ready(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    bs_req_set_data(req, api);
    const char *p[1] = {api->migrations ? api->migrations : "{}"};
    bs_store_exec(api->store, &SQL_READY, p, ready_done, req);
}

/* ---- GET /api/v1/openapi.json ---- */

void bs__openapi(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    if (!api->openapi_json) return bs__fail(req, BS_ENOTFOUND, NULL, "OpenAPI document not installed");
    bs_req_respond(req, 200, JSON_CT, api->openapi_json, api->openapi_len, NULL);
}

/* ---- GET /api/v1/app-config ---- */

void bs__app_config(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    json_t *map = json_object();
    json_object_set_new(map, "tiles", api->map_tiles ? json_string(api->map_tiles) : json_null());
    json_object_set_new(map, "attribution", json_string(api->map_attribution ? api->map_attribution : ""));
    json_t *o = json_object();
    json_object_set_new(o, "map", map);
    json_t *langs = json_array();
    json_array_append_new(langs, json_string("nl"));
    json_array_append_new(langs, json_string("en"));
    json_object_set_new(o, "languages", langs);
    json_object_set_new(o, "default_language", json_string("nl"));
    char *text = bs_json_dumps(o, JSON_COMPACT);
    json_decref(o);
    static const char *const cache[] = {"Cache-Control", "no-cache", NULL};
    bs_req_respond(req, 200, JSON_CT, text, strlen(text), cache);
    free(text);
}

/* ---- process schemas ---- */

void bs__list_schemas(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    json_t *results = json_array();
    long first = (pg->page - 1) * pg->size;
    for (long i = first; i < api->engine->n_schemas && i < first + pg->size; i++) {
        const bs_schema *s = api->engine->schemas[i].schema;
        json_t *o = json_object();
        json_object_set_new(o, "key", json_string(s->key));
        json_object_set_new(o, "name", json_string(s->name));
        json_object_set_new(o, "version", json_integer(s->version));
        json_object_set_new(o, "steps", json_integer(s->n_steps));
        json_object_set_new(o, "links", json_integer(s->n_links));
        json_array_append_new(results, o);
    }
    bs__respond_json(req, 200, bs__page_envelope(pg, api->engine->n_schemas, results));
    bs__page_free(pg);
}

/* The schema of the path's key, or NULL after answering 404. */
static const bs_engine_schema *schema_of_path(bs_api *api, bs_req *req, const bs_path *path) {
    const char *key = path->ref;
    const bs_engine_schema *es = bs_engine_schema_get(api->engine, key);
    if (!es) {
        char d[200];
        snprintf(d, sizeof d, "No process schema with key '%.100s'", key);
        bs__fail_as(req, BS_ENOTFOUND, NULL, "Process schema not found", "key", "%s", d);
    }
    return es;
}

void bs__get_schema(bs_api *api, bs_req *req, const bs_path *path) {
    const bs_engine_schema *es = schema_of_path(api, req, path);
    if (es) bs__respond_json(req, 200, json_incref(es->json));
}

/* ---- GET /api/v1/process-schemas/{key}/bpmn: the schema as BPMN 2.0 (adapters/bpmn.h) ---- */

void bs__get_schema_bpmn(bs_api *api, bs_req *req, const bs_path *path) {
    const bs_engine_schema *es = schema_of_path(api, req, path);
    if (!es) return;
    char *json = bs_json_dumps(es->json, JSON_COMPACT);
    char *xml = NULL;
    bs_err err = {0};
    int rc = bs_bpmn_export(json, strlen(json), &xml, &err);
    free(json);
    if (rc) { /* a loaded schema always exports: a bug */
        bs__fail(req, BS_EINTERNAL, NULL, "the schema could not be written as BPMN: %s", err.msg);
        return;
    }
    char disp[200];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s-v%d.bpmn\"", es->schema->key, (int)es->schema->version);
    const char *h[] = {"Content-Disposition", disp, NULL};
    bs_req_respond(req, 200, "application/xml", xml, strlen(xml), h);
    free(xml);
}

/* ---- GET /api/v1/projects ---- */

typedef struct project_filters {
    char gemeente[256], provincie[256], planstatus[16], plantype[32], q[256], mine[8], knelpunt[8], sort[32],
        geometry[16];
    bool has_gemeente, has_provincie, has_planstatus, has_plantype, has_q, has_mine, has_knelpunt, has_sort,
        has_geometry;
} project_filters;

/* The orders of GET /api/v1/projects?sort= (a leading '-' reverses the key): the key's column, then
 * its ties (homes and the dates NULLS LAST both ways; gemeente for provincie; name but for name and
 * updated; id), so that pages never overlap. The ORDER BY itself is bs_project_list_page's
 * (migration 0068); this is the list of keys it takes. */
static const char *const project_sorts[] = {"name",  "gemeente",           "provincie",     "planstatus", "plantype",
                                            "homes", "planned_completion", "progress_date", "updated"};

/* Reads an optional positive integer query parameter. Returns false after sending a bs__problem. */
bool bs__int_param(bs_req *req, const char *name, long dflt, long min, long max, long *out) {
    bs_err err = {0};
    if (bs_decode_int_param(bs_req_query(req), name, dflt, min, max, out, &err) == 0) return true;
    bs__fail_err(req, &err, NULL);
    return false;
}

bool bs__json_content_type(bs_req *req) {
    size_t len = 0;
    bs_req_body(req, &len);
    bs_err err = {0};
    if (bs_decode_json_type(bs_req_header(req, "content-type"), len, &err) == 0) return true;
    bs__fail_err(req, &err, NULL);
    return false;
}

bool bs__text_header(bs_req *req, const char *name, size_t max, char *out, size_t outlen) {
    const char *v = bs_req_header(req, name);
    out[0] = 0;
    if (!v) return true;
    size_t n = strlen(v);
    if (n > max || n >= outlen || !bs_utf8_valid(v, n)) {
        char d[160];
        snprintf(d, sizeof d, "%s must be UTF-8 text of at most %zu bytes", name, max);
        bs__fail_as(req, BS_EBADPARAM, NULL, "Invalid header", name, "%s", d);
        return false;
    }
    memcpy(out, v, n + 1);
    return true;
}

bool bs__text_param(bs_req *req, const char *name, char *out, size_t len, bool *has) {
    int r = bs_query_param(bs_req_query(req), name, out, len);
    if (r < 0) {
        char d[160];
        snprintf(d, sizeof d, "%s is malformed (bad percent-encoding, NUL or not UTF-8) or longer than %zu bytes", name,
                 len - 1);
        bs__fail(req, BS_EBADPARAM, name, "%s", d);
        return false;
    }
    *has = r > 0;
    return true;
}

bool bs__reason_field(bs_req *req, json_t *doc, bool required, const char **out) {
    bs_err err = {0};
    if (bs_decode_reason(doc, required, out, &err) == 0) return true;
    bs__fail_err(req, &err, NULL);
    return false;
}

bool bs__date_in_calendar(bs_req *req, const bs_api *api, int code, const char *field, bs_day d) {
    const bs_calendar *cal = &api->engine->calendar;
    if (bs_calendar_covers(cal, d)) return true;
    char msg[240], a[11], b[11], x[11];
    snprintf(msg, sizeof msg, "%s %s must lie between %s and %s (the working-day calendar's range)", field,
             bs_date_format(d, x), bs_date_format(cal->first_day, a), bs_date_format(cal->last_day, b));
    bs__fail_as(req, code, "date_out_of_range", "Date outside the calendar", field, "%s", msg);
    return false;
}

/* The list's context: the page and whether each project gets geometry_wgs84. */
typedef struct project_list {
    bs_page *pg;
    bs_api *api;
    bool wgs84;
} project_list;

/* Replaces a row's stored geometry (RD New or already WGS84, geometry_crs) by
 * geometry_wgs84: RFC 7946 GeoJSON in WGS84 lon/lat (PROJ, adapters/geo.h; null without a
 * geometry, without PROJ or when it cannot be converted). */
static void row_geometry_wgs84(bs_api *api, json_t *row) {
    json_t *g = json_object_get(row, "geometry");
    const char *crs_name = json_string_value(json_object_get(row, "geometry_crs"));
    bs_crs crs = BS_CRS_RD;
    json_t *out = NULL;
    if (json_is_object(g) && (!crs_name || bs_geo_crs_parse(crs_name, &crs) == BS_OK) &&
        (api->geo || crs == BS_CRS_WGS84)) {
        out = json_deep_copy(g);
        bs_err err = {0};
        if (bs_geo_transform_geometry(api->geo, out, crs, BS_CRS_WGS84, 1, &err) != BS_OK) {
            json_decref(out);
            out = NULL;
        }
    }
    json_object_set_new(row, "geometry_wgs84", out ? out : json_null());
}

static void project_list_done(const PGresult *res, const char *err, void *arg) {
    project_list *l = arg;
    if (err || PQntuples(res) == 0 || PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 1)) {
        bs__page_query_done(res, err, l->pg); /* answers the problem, frees pg */
        free(l);
        return;
    }
    json_t *results = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
    if (!json_is_array(results)) {
        json_decref(results);
        results = json_array();
    }
    size_t i;
    json_t *row;
    json_array_foreach(results, i, row) {
        if (l->wgs84) row_geometry_wgs84(l->api, row);
        json_object_del(row, "geometry");
        json_object_del(row, "geometry_crs");
    }
    /* coordinates are rounded to 7 decimals (bs_geo_crs_decimals): 10 significant digits
     * print them without binary noise (5.3493042, not 5.3493041999999997) */
    json_t *env = bs__page_envelope(l->pg, atoll(PQgetvalue(res, 0, 0)), results);
    char *text = bs_json_dumps(env, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(env);
    bs_req_respond(l->pg->req, 200, JSON_CT, text, strlen(text), NULL);
    free(text);
    bs__page_free(l->pg);
    free(l);
}

/* Reads and checks the list's filters; false after a 400 problem naming the parameter. sort, when
 * given, is a key of project_sorts, optionally preceded by '-'. */
static bool project_filters_read(bs_req *req, project_filters *f) {
    if (!bs__text_param(req, "gemeente", f->gemeente, sizeof f->gemeente, &f->has_gemeente) ||
        !bs__text_param(req, "provincie", f->provincie, sizeof f->provincie, &f->has_provincie) ||
        !bs__text_param(req, "planstatus", f->planstatus, sizeof f->planstatus, &f->has_planstatus) ||
        !bs__text_param(req, "plantype", f->plantype, sizeof f->plantype, &f->has_plantype) ||
        !bs__text_param(req, "q", f->q, sizeof f->q, &f->has_q) ||
        !bs__text_param(req, "mine", f->mine, sizeof f->mine, &f->has_mine) ||
        !bs__text_param(req, "knelpunt", f->knelpunt, sizeof f->knelpunt, &f->has_knelpunt) ||
        !bs__text_param(req, "sort", f->sort, sizeof f->sort, &f->has_sort) ||
        !bs__text_param(req, "geometry", f->geometry, sizeof f->geometry, &f->has_geometry))
        return false;
    if (f->has_mine && strcmp(f->mine, "true") != 0 && strcmp(f->mine, "false") != 0) {
        bs__fail(req, BS_EBADPARAM, "mine", "mine must be true or false");
        return false;
    }
    if (f->has_knelpunt && strcmp(f->knelpunt, "true") != 0 && strcmp(f->knelpunt, "false") != 0) {
        bs__fail(req, BS_EBADPARAM, "knelpunt", "knelpunt must be true or false");
        return false;
    }
    if (f->has_geometry && strcmp(f->geometry, "wgs84") != 0) {
        bs__fail(req, BS_EBADPARAM, "geometry", "geometry must be wgs84 (each project's geometry as WGS84 GeoJSON)");
        return false;
    }
    if (f->has_planstatus) {
        for (char *p = f->planstatus; *p; p++) *p = (char)toupper((unsigned char)*p);
        if (strcmp(f->planstatus, "ONBEKEND") == 0) strcpy(f->planstatus, "onbekend");
        if (!bs_planstatus_valid(f->planstatus)) {
            bs__fail(req, BS_EBADPARAM, "planstatus",
                     "planstatus must be one of 1A, 1B, 1C, 2A, 2B, 2C, 3, 4A, 4B, onbekend");
            return false;
        }
    }
    if (f->has_plantype) {
        for (char *p = f->plantype; *p; p++) *p = (char)tolower((unsigned char)*p);
        static const char *const types[] = {"uitleg", "verdichting", "transformatie", "herstructurering", "onbekend"};
        bool ok = false;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) ok = ok || strcmp(f->plantype, types[i]) == 0;
        if (!ok) {
            bs__fail(req, BS_EBADPARAM, "plantype",
                     "plantype must be one of uitleg, verdichting, transformatie, herstructurering, onbekend");
            return false;
        }
    }
    const char *key = f->has_sort ? f->sort + (f->sort[0] == '-') : "name";
    for (size_t i = 0; i < sizeof project_sorts / sizeof project_sorts[0]; i++)
        if (strcmp(key, project_sorts[i]) == 0) return true;
    bs__fail(req, BS_EBADPARAM, "sort",
             "sort must be one of name, gemeente, provincie, planstatus, plantype, homes, planned_completion, "
             "progress_date, updated, each optionally preceded by '-' (descending)");
    return false;
}

void bs__list_projects(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    project_filters f = {0};
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    if (!project_filters_read(req, &f)) {
        bs__page_free(pg);
        return;
    }
    const bs_principal *pr = bs__principal(req);
    bool mine = f.has_mine && strcmp(f.mine, "true") == 0;
    if (mine && !pr->authenticated) {
        static const char *const www[] = {"WWW-Authenticate", "Bearer realm=\"bouwstroom\"", NULL};
        bs__fail_ex(req, BS_EUNAUTH, NULL, NULL, "mine", www,
                    "mine=true lists the caller's own projects: send a credential");
        bs__page_free(pg);
        return;
    }
    /* next/previous keep the filters, planstatus and plantype as normalised */
    bs__page_keep(pg, "gemeente", f.has_gemeente ? f.gemeente : NULL);
    bs__page_keep(pg, "provincie", f.has_provincie ? f.provincie : NULL);
    bs__page_keep(pg, "planstatus", f.has_planstatus ? f.planstatus : NULL);
    bs__page_keep(pg, "plantype", f.has_plantype ? f.plantype : NULL);
    bs__page_keep(pg, "q", f.has_q ? f.q : NULL);
    bs__page_keep(pg, "mine", f.has_mine ? f.mine : NULL);
    bs__page_keep(pg, "knelpunt", f.has_knelpunt ? f.knelpunt : NULL);
    bs__page_keep(pg, "sort", f.has_sort ? f.sort : NULL);
    bs__page_keep(pg, "geometry", f.has_geometry ? f.geometry : NULL);
    const char *params[12] = {f.has_gemeente ? f.gemeente : NULL,
                              f.has_provincie ? f.provincie : NULL,
                              f.has_planstatus ? f.planstatus : NULL,
                              pg->limit,
                              pg->offset,
                              pr->authenticated ? pr->user_id : NULL,
                              f.has_q ? f.q : NULL,
                              mine ? "t" : "f",
                              f.has_plantype ? f.plantype : NULL,
                              f.has_knelpunt ? f.knelpunt : NULL,
                              f.has_geometry ? "t" : "f",
                              f.has_sort ? f.sort : "name"};
    project_list *l = bs_calloc(1, sizeof *l);
    l->pg = pg;
    l->api = api;
    l->wgs84 = f.has_geometry;
    /* only projects the caller may see in detail, in the filters, counted, ordered and paged by
     * bs_project_list_page (migration 0068; the reach of 0057/0064 per filter shape: the policy
     * of 0010/0015 evaluated only where the caller can reach, index-backed, each project looked up
     * once), a PL/pgSQL function whose plans each connection keeps: only the page's rows leave it
     * (docs/performance.md "National scale"). Names compared folded (bs_fold, migration 0021: case
     * and accents ignored); the order: a key of project_sorts, '-' for descending (checked here;
     * the function raises on any other). total is in every row (a page past the end: one row, id
     * NULL); the geometry only of the page's rows ($11: geometry=wgs84); json_agg keeps the
     * function's order (its ordinality). A named statement (SQL_PROJECT_LIST): the order is a parameter now. */
    bs_store_exec(api->store, &SQL_PROJECT_LIST, params, project_list_done, l);
}

/* ---- GET /api/v1/projects/{id} ---- */

void bs__send_row0(bs_req *req, const PGresult *res, const char *err, int status, const char *title, const char *field,
                   const char *detail) {
    if (err) return bs__problem_db(req, err);
    if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
        return bs__fail_as(req, BS_ENOTFOUND, NULL, title, field, "%s", detail);
    if (status == 204) return bs_req_respond(req, 204, NULL, "", 0, NULL);
    const char *text = PQgetvalue(res, 0, 0);
    bs_req_respond(req, status, JSON_CT, text, strlen(text), NULL);
}

static void project_done(const PGresult *res, const char *err, void *arg) {
    bs__send_row0(arg, res, err, 200, "Project not found", "id", "No project with this id");
}

void bs__get_project(bs_api *api, bs_req *req, const bs_path *path) {
    const char *id = path->project;
    /* access: the best level, or "stream" when the stream flag is all the caller has */
    static const char *const names[] = {"none", "aggregate", "public", "read", "write", "lead"};
    const bs_principal *pr = bs__principal(req);
    const char *params[3] = {id, pr->access >= BS_ACCESS_PUBLIC ? names[pr->access] : "stream",
                             pr->stream ? "true" : "false"};
    bs_store_exec(api->store, &SQL_PROJECT_GET, params, project_done, req);
}

/* ---- the one dispatcher ---- */

/* Runs after the gate (api/authz.c) allowed the request. */
static void dispatch(bs_api *api, bs_req *req, const bs_route *route, const bs_path *path) {
    route->handler(api, req, path);
}

void bs_api_handle(bs_req *req, void *ctx) {
    bs_api *api = ctx;
    /* the app's files on their own prefixes, beside the table's (api/web.h) */
    if (api->web && !bs_route_owns(bs_req_path(req))) return bs_web_serve(api->web, req);
    const bs_route *route = NULL;
    bs_path path;
    char allow[64];
    bs_err err = {0};
    int rc = bs_route_match(bs_req_method(req), bs_req_path(req), &route, &path, allow, sizeof allow, &err);
    size_t body_len = 0, max = bs_route_max_body(route);
    bs_req_body(req, &body_len);
    if (body_len > max) {
        char d[120];
        snprintf(d, sizeof d, "The request body is larger than %zu bytes", max);
        return bs__fail(req, BS_ETOOLARGE, "body", "%s", d);
    }
    const char *allow_header[] = {"allow", allow, NULL};
    if (rc == BS_EMETHOD) return bs__fail_err(req, &err, allow_header); /* the router's message */
    if (rc == BS_ENOTFOUND && !err.field[0])
        snprintf(err.msg, sizeof err.msg, "No resource at %.150s", bs_req_raw_path(req));
    if (rc != 0) return bs__fail_err(req, &err, NULL);
    char unknown[320];
    if (bs_query_unknown_param(bs_req_query(req), route->query, unknown, sizeof unknown)) {
        char d[700];
        snprintf(d, sizeof d, "Unknown query parameter '%s'; this endpoint takes %s%s", unknown,
                 *route->query ? "only: " : "no query parameters", route->query);
        return bs__fail_as(req, BS_EBADPARAM, "unknown_parameter", "Unknown query parameter", unknown, "%s", d);
    }
    /* every matched request passes the gate: authentication and authorisation */
    bs_authz_gate(api, req, route, &path, dispatch);
}
