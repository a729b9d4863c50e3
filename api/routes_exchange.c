/*
 * Routes of data exchange: province exports, GeoJSON export/import of projects, the
 * Excel project-list import, the adapter outbox state and the ZGW Notificaties webhook.
 * The gate (api/authz.c) has decided who may call each; every export holds only projects
 * the caller may read (bs_project_access, migration 0010).
 */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#include "api_internal.h"
#include "handlers.h"
#include "authz.h"
#include "geojson_exchange.h"
#include "outbox.h"
#include "province_export.h"
#include "province_xlsx.h"
#include "routes_exchange_sql.h"
#include "xlsx_projects.h"
#include "zgw.h"

#define XLSX_CT "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* ---- GET /api/v1/exports/{key}?date=&part=&format= ---- */

typedef struct export_job {
    bs_api *api;
    bs_req *req;
    char key[32], part[16], format[16];
    bs_day date;
} export_job;

static void send_text(bs_req *req, const char *ct, char *text, const char *filename) {
    if (!text) return bs__fail(req, BS_EINTERNAL, NULL, "out of memory building the export");
    char disp[160];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
    const char *h[] = {"Content-Disposition", disp, NULL};
    bs_req_respond(req, 200, ct, text, strlen(text), h);
    free(text);
}

static json_t *export_report(const bs_export *ex, const char *key, bs_day date) {
    json_t *o = json_object(), *by = json_object(), *left = json_array();
    char d[11];
    json_object_set_new(o, "export", json_string(key));
    json_object_set_new(o, "date", json_string(bs_date_format(date, d)));
    json_object_set_new(o, "included", json_integer(ex->n_included));
    json_object_set_new(o, "left_out", json_integer(ex->n_left_out));
    json_object_set_new(o, "out_of_scope", json_integer(ex->n_out_of_scope));
    for (int k = 0; k < BS_QC_COUNT; k++)
        json_object_set_new(by, bs_qc_name((bs_qc_kind)k), json_integer(ex->left_out_by[k]));
    json_object_set_new(o, "left_out_by", by);
    for (int i = 0; i < ex->n_items; i++) {
        const bs_export_item *it = &ex->items[i];
        if (it->included) continue;
        const bs_export_plan *p = &ex->plans[it->plan];
        json_t *e = json_object(), *issues = json_array();
        json_object_set_new(e, "id", json_string(p->id ? p->id : ""));
        json_object_set_new(e, "name", p->name ? json_string(p->name) : json_null());
        json_object_set_new(e, "gemeente", p->gemeente ? json_string(p->gemeente) : json_null());
        for (int k = 0; k < it->n_issues; k++) {
            json_t *is = json_object();
            json_object_set_new(is, "check", json_string(bs_qc_name(it->issues[k].kind)));
            json_object_set_new(is, "text", json_string(it->issues[k].text));
            json_array_append_new(issues, is);
        }
        json_object_set_new(e, "issues", issues);
        json_array_append_new(left, e);
    }
    json_object_set_new(o, "left_out_plans", left);
    return o;
}

static void export_plans_loaded(const PGresult *res, const char *err, void *arg) {
    export_job *j = arg;
    bs_req *req = j->req;
    if (err) {
        bs__problem_db(req, err);
        free(j);
        return;
    }
    json_t *arr = json_loadb(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), 0, NULL);
    bs_export_plan *plans = NULL;
    int n = 0;
    bs_err e = {0};
    if (!arr || bs_export_plans_from_json(arr, &plans, &n, &e) != 0) {
        json_decref(arr);
        bs__fail(req, BS_EINTERNAL, NULL, "plan records unreadable");
        free(j);
        return;
    }
    json_decref(arr);
    const bs_export_profile *prof = bs_province_config_export(j->api->province_config, j->key);
    bs_export ex;
    if (bs_export_build(j->api->province_config, prof, plans, n, j->date, &ex) != 0) {
        bs__fail(req, BS_EINTERNAL, NULL, "out of memory building the export");
    } else {
        char fn[96], d[11];
        bs_date_format(j->date, d);
        bool report = strcmp(j->part, "report") == 0;
        if (report) {
            bs__respond_json(req, 200, export_report(&ex, j->key, j->date));
        } else if (strcmp(j->format, "xlsx") == 0) {
            char *bytes = NULL;
            size_t len = 0;
            if (bs_export_xlsx_bytes(&ex, NULL, &bytes, &len, &e) != 0) {
                bs__fail_err(req, &e, NULL); /* BS_EIO: 500 */
            } else {
                char disp[160];
                snprintf(disp, sizeof disp, "attachment; filename=\"planmonitor-%s.xlsx\"",
                         d); /* as the CLI names it */
                const char *h[] = {"Content-Disposition", disp, NULL};
                bs_req_respond(req, 200, XLSX_CT, bytes, len, h);
                free(bytes);
            }
        } else if (strcmp(j->format, "csv") == 0) {
            bs_export_table_kind kind = strcmp(j->part, "detail") == 0     ? BS_TABLE_DETAIL
                                        : strcmp(j->part, "left_out") == 0 ? BS_TABLE_LEFT_OUT
                                                                           : BS_TABLE_PLANS;
            snprintf(fn, sizeof fn, "%s-%s-%s.csv", j->key, j->part, d);
            send_text(req, "text/csv; charset=utf-8", bs_export_csv(&ex, kind), fn);
        } else if (strcmp(j->part, "detail") == 0) {
            snprintf(fn, sizeof fn, "%s-detail-%s.geojson", j->key, d);
            send_text(req, "application/geo+json", bs_export_geojson_detail(&ex), fn);
        } else {
            snprintf(fn, sizeof fn, "%s-%s.geojson", j->key, d);
            /* Zuid-Holland: plans with their per-year counts; Gelderland's plan layer: without */
            send_text(req, "application/geo+json", bs_export_geojson_plans(&ex, strcmp(j->key, "zuid-holland") == 0),
                      fn);
        }
        bs_export_free(&ex);
    }
    bs_export_plans_free(plans, n);
    free(j);
}

static bool one_of_param(bs_req *req, const char *name, char *out, size_t len, const char *dflt,
                         const char *const *allowed, const char *msg) {
    bool has;
    if (!bs__text_param(req, name, out, len, &has)) return false;
    if (!has) snprintf(out, len, "%s", dflt);
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(out, allowed[i]) == 0) return true;
    bs__fail(req, BS_EBADPARAM, name, "%s", msg);
    return false;
}

void bs__get_export(bs_api *api, bs_req *req, const bs_path *path) {
    const char *key = path->ref;
    if (!api->province_config || !bs_province_config_export(api->province_config, key))
        return bs__fail_as(
            req, BS_ENOTFOUND, NULL, "No such export", "key",
            "The exports are zuid-holland, gelderland and excel (processes/provinces/province-exports.json)");
    export_job *j = bs_calloc(1, sizeof *j);
    j->api = api;
    j->req = req;
    snprintf(j->key, sizeof j->key, "%.31s", key);
    static const char *const parts[] = {"plans", "detail", "left_out", "report", NULL};
    static const char *const formats[] = {"geojson", "csv", "xlsx", NULL};
    char date[16];
    bool has_date;
    bool excel = strcmp(key, "excel") == 0;
    if (!one_of_param(req, "part", j->part, sizeof j->part, "plans", parts,
                      "part must be plans, detail, left_out or report") ||
        !one_of_param(req, "format", j->format, sizeof j->format, excel ? "xlsx" : "geojson", formats,
                      "format must be geojson, csv or xlsx") ||
        !bs__text_param(req, "date", date, sizeof date, &has_date)) {
        free(j);
        return;
    }
    j->date = api->today(api->today_arg);
    if (has_date && bs_date_parse(date, &j->date) != 0) {
        free(j);
        return bs__fail(req, BS_EBADPARAM, "date", "date must be YYYY-MM-DD");
    }
    if (has_date && !bs__date_in_calendar(req, api, BS_EBADPARAM, "date", j->date)) {
        free(j);
        return;
    }
    if ((strcmp(j->format, "xlsx") == 0) != excel && strcmp(j->part, "report") != 0) {
        free(j);
        return bs__fail(req, BS_EBADPARAM, "format", "%s",
                        excel ? "the excel export is a workbook: format=xlsx"
                              : "xlsx is the format of the excel export");
    }
    if (excel && strcmp(j->format, "xlsx") == 0 && strcmp(j->part, "plans") != 0 && strcmp(j->part, "report") != 0) {
        free(j);
        return bs__fail(req, BS_EBADPARAM, "part",
                        "the workbook holds every part (Plannen, DetailPlanning, Uitgesloten); "
                        "use part=report for the quality report as JSON");
    }
    if (strcmp(j->format, "geojson") == 0 && strcmp(j->part, "left_out") == 0) {
        free(j);
        return bs__fail(req, BS_EBADPARAM, "part", "the list of left-out plans is part=report (JSON) or format=csv");
    }
    const char *p[1] = {bs__principal(req)->authenticated ? bs__principal(req)->user_id : NULL};
    /* only plans the caller may read; the province's own rule then decides what is exported */
    bs_store_exec(api->store, &SQL_EXPORT_PLANS, p, export_plans_loaded, j);
}

/* ---- GET /api/v1/exchange/geojson?crs=rd|wgs84 ---- */

typedef struct buf {
    char *data;
    size_t len, cap;
} buf;

static int buf_sink(const char *data, size_t len, void *arg) {
    buf *b = arg;
    if (b->len + len + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 65536);
        while (cap < b->len + len + 1) cap *= 2;
        char *n = bs_realloc(b->data, cap);
        if (!n) return -1;
        b->data = n;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

typedef struct gj_job {
    bs_api *api;
    bs_req *req;
    bs_crs crs;
} gj_job;

static void geojson_rows(const PGresult *res, const char *err, void *arg) {
    gj_job *j = arg;
    if (err) {
        bs__problem_db(j->req, err);
        free(j);
        return;
    }
    buf b = {0};
    long n = 0;
    bs_err e = {0};
    if (bs_geojson_write_head(j->crs, buf_sink, &b, &e) != BS_OK ||
        bs_geojson_write_rows(j->api->geo, res, j->crs, &n, buf_sink, &b, &e) != BS_OK ||
        bs_geojson_write_tail(buf_sink, &b, &e) != BS_OK) {
        bs__fail(j->req, BS_EINTERNAL, NULL, "%s", e.msg); /* stored data the export cannot write: 500 */
    } else {
        const char *h[] = {"Content-Disposition",
                           j->crs == BS_CRS_RD ? "attachment; filename=\"projects-rd.geojson\""
                                               : "attachment; filename=\"projects-wgs84.geojson\"",
                           NULL};
        bs_req_respond(j->req, 200, "application/geo+json", b.data, b.len, h);
    }
    free(b.data);
    free(j);
}

void bs__get_geojson(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char crs[16];
    static const char *const crss[] = {"rd", "wgs84", NULL};
    if (!one_of_param(req, "crs", crs, sizeof crs, "rd", crss, "crs must be rd (EPSG:28992) or wgs84 (RFC 7946)"))
        return;
    if (!api->geo) return bs__fail(req, BS_EUNAVAILABLE, NULL, "PROJ is not initialised");
    gj_job *j = bs_calloc(1, sizeof *j);
    j->api = api;
    j->req = req;
    j->crs = strcmp(crs, "rd") == 0 ? BS_CRS_RD : BS_CRS_WGS84;
    /* built, not a named statement: the select list is the GeoJSON exchange's (shared with the CLI) */
    char sql[4096];
    /* plusvelden: only the public ones of a project the caller sees as public facts */
    char *select = bs_geojson_export_select_plusvelden("a.access = 'public'");
    snprintf(
        sql, sizeof sql,
        "%s JOIN bs_project_access($1::uuid) a ON a.project_id = p.id AND a.access IN ('public','read','write','lead') %s",
        select, BS_GEOJSON_EXPORT_ORDER);
    free(select);
    const char *p[1] = {bs__principal(req)->authenticated ? bs__principal(req)->user_id : NULL};
    bs_store_query(api->store, sql, 1, p, geojson_rows, j);
}

/* ---- POST /api/v1/exchange/geojson, POST /api/v1/exchange/xlsx ---- */

/* The input a feature error is about, as a path into the file: "features[i]", followed by
 * the message's own path when it starts with one ("properties.blocks[2].homes: …" gives
 * "features[i].properties.blocks[2].homes"). */
static json_t *feature_error_field(int feature, const char *message) {
    const char *colon = strstr(message, ": ");
    size_t n = colon ? (size_t)(colon - message) : 0;
    if (n == 0 || n > 100 || memchr(message, ' ', n)) n = 0;
    char field[160];
    snprintf(field, sizeof field, "features[%d]%s%.*s", feature, n ? "." : "", (int)n, message);
    return json_string(field);
}

static void geojson_imported(const bs_geojson_import_result *r, void *arg) {
    bs_req *req = arg;
    json_t *o = json_object(), *errs = json_array();
    for (int i = 0; i < r->n_errors; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "feature", json_integer(r->errors[i].feature));
        json_object_set_new(e, "field", feature_error_field(r->errors[i].feature, r->errors[i].message));
        json_object_set_new(e, "message", json_string(r->errors[i].message));
        json_array_append_new(errs, e);
    }
    json_object_set_new(o, "read", json_integer(r->read));
    json_object_set_new(o, "inserted", json_integer(r->inserted));
    json_object_set_new(o, "updated", json_integer(r->updated));
    json_object_set_new(o, "unchanged", json_integer(r->unchanged));
    json_object_set_new(o, "invalid", json_integer(r->invalid));
    json_object_set_new(o, "crs", json_string(r->crs));
    if (r->err.code == BS_EMALFORMED) { /* the body is not JSON */
        json_decref(errs);
        json_decref(o);
        bs__fail(req, BS_EMALFORMED, "body", "%s", r->err.msg);
        return;
    }
    if (r->err.code == BS_OK || r->err.code == BS_EUNAVAILABLE) {
        json_decref(errs);
        if (r->err.code == BS_OK)
            bs__respond_json(req, 200, o);
        else {
            json_decref(o);
            bs__problem_db(req, r->err.msg);
        }
        return;
    }
    /* nothing was imported (BS_EINVAL "invalid_features"): a problem document with every bad feature */
    json_object_set_new(o, "errors", errs);
    bs__fail_doc(req, &r->err, o, NULL);
}

void bs__post_geojson(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    const char *ct = bs_req_header(req, "content-type");
    if (!(ct && strncmp(ct, "application/geo+json", 20) == 0 && (!ct[20] || ct[20] == ';')) &&
        !bs__json_content_type(req))
        return;
    size_t len = 0;
    const char *body = bs_req_body(req, &len);
    if (!body || !len) return bs__fail(req, BS_EMALFORMED, "body", "Malformed JSON at line 0, column 0: empty");
    /* up to 8 MiB: parsed, checked and converted on the thread pool, not on the loop */
    char *actor = bs__actor_json(req, NULL, NULL);
    bs_geojson_import_text(api->loop, api->store, api->engine, body, len, NULL, actor, geojson_imported, req);
    free(actor);
}

static void xlsx_imported(json_t *result, void *arg) {
    bs_req *req = arg;
    if (json_is_true(json_object_get(result, "ok"))) {
        bs__respond_json(req, 200, result);
        return;
    }
    bs_err e;
    bs_err_problem(&e, BS_EINVAL, "invalid_rows", "The workbook was not imported", "body",
                   "see errors: every bad row with its column");
    bs__fail_doc(req, &e, result, NULL);
}

void bs__post_xlsx(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    const char *ct = bs_req_header(req, "content-type");
    if (!ct || (strncmp(ct, XLSX_CT, strlen(XLSX_CT)) != 0 && strncmp(ct, "application/octet-stream", 24) != 0))
        return bs__fail(req, BS_EMEDIA, "Content-Type", "%s",
                        "Send the workbook as " XLSX_CT " (or application/octet-stream)");
    char source[64], sheet[128];
    bool has_source, has_sheet;
    if (!bs__text_param(req, "source", source, sizeof source, &has_source) ||
        !bs__text_param(req, "sheet", sheet, sizeof sheet, &has_sheet))
        return;
    if ((has_source && (!*source || strlen(source) > 100)) || (has_sheet && !*sheet))
        return bs__fail(req, BS_EBADPARAM, has_source && (!*source || strlen(source) > 100) ? "source" : "sheet",
                        "source must be 1 to 100 characters; sheet must not be empty");
    size_t len = 0;
    const char *body = bs_req_body(req, &len);
    if (!body || !len)
        return bs__fail_as(req, BS_EBADPARAM, "empty_body", "Empty body", "body", "The workbook is missing");
    char *actor = bs__actor_json(req, NULL, NULL);
    bs_xlsx_projects_options opt = {.source = has_source ? source : NULL,
                                    .sheet = has_sheet ? sheet : NULL,
                                    .today = api->today(api->today_arg),
                                    .actor = actor};
    bs_xlsx_projects_import(api->loop, api->store, api->engine, body, len, &opt, xlsx_imported, req);
    free(actor);
}

/* GET /api/v1/exchange/xlsx/template: the Excel export's workbook without plans (headers,
 * the Toelichting with today's price tables, a sheet "Kolommen" describing the columns);
 * POST /api/v1/exchange/xlsx reads it as nothing to import. Any signed-in user (no data). */
void bs__get_xlsx_template(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    const bs_export_profile *prof =
        api->province_config ? bs_province_config_export(api->province_config, "excel") : NULL;
    if (!prof)
        return bs__fail_as(
            req, BS_EUNAVAILABLE, NULL, "Exports unavailable", NULL,
            "The province export configuration is not loaded (processes/provinces/province-exports.json)");
    char *bytes = NULL;
    size_t len = 0;
    bs_err e = {0};
    if (bs_export_xlsx_template_bytes(api->province_config, prof, api->today(api->today_arg), NULL, &bytes, &len, &e) !=
        0)
        return bs__fail_err(req, &e, NULL); /* BS_EIO, BS_EINTERNAL: 500 */
    const char *h[] = {"Content-Disposition", "attachment; filename=\"planmonitor-template.xlsx\"", NULL};
    bs_req_respond(req, 200, XLSX_CT, bytes, len, h);
    free(bytes);
}

/* ---- adapters: GET /api/v1/adapters/events, POST …/events/{id}/retry ---- */

static void state_done(json_t *doc, const char *err, void *arg) {
    bs_req *req = arg;
    if (err) return bs__problem_db(req, err);
    bs__respond_json(req, 200, doc);
}

void bs__get_adapter_events(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char project[64];
    bool has;
    long limit;
    if (!bs__text_param(req, "project_id", project, sizeof project, &has) ||
        !bs__int_param(req, "limit", 100, 1, 1000, &limit))
        return;
    if (has && !bs_is_uuid(project)) return bs__fail(req, BS_EBADPARAM, "project_id", "project_id must be a UUID");
    bs_outbox_state_json(api->store, "zgw", has ? project : NULL, (int)limit, state_done, req);
}

static void retried(int n, const char *err, void *arg) {
    bs_req *req = arg;
    if (err) return bs__problem_db(req, err);
    if (n == 0) return bs__fail(req, BS_ENOTFOUND, "id", "No given-up event with this id");
    json_t *o = json_object();
    json_object_set_new(o, "rescheduled", json_integer(n));
    bs__respond_json(req, 200, o);
}

void bs__retry_adapter_event(bs_api *api, bs_req *req, const bs_path *path) {
    const char *id = path->ref;
    long long ev = strtoll(id, NULL, 10); /* a positive integer (router.c) */
    bs_outbox_retry(api->store, "zgw", ev, retried, req);
}

/* ---- POST /api/v1/zgw/notificaties (notificaties-consumer.yaml) ---- */

void bs__post_notification(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    if (!api->zgw_config) return bs__fail(req, BS_ENOTFOUND, NULL, "No ZGW adapter is configured (docs/adapters.md)");
    size_t len = 0;
    const char *body = bs_req_body(req, &len);
    int st = bs_zgw_webhook_cfg(api->zgw_config, api->store, bs_req_header(req, "authorization"), body ? body : "", len,
                                NULL, NULL);
    if (st == 204) return bs_req_respond(req, 204, NULL, "", 0, NULL);
    if (st == 401)
        return bs__fail_as(req, BS_EUNAUTH, NULL, "Authorization required", "Authorization",
                           "Send the Authorization value registered with the Notificaties API");
    if (st == 403)
        return bs__fail(req, BS_EFORBIDDEN, "Authorization", "The Authorization value is not the one registered");
    bs__fail_as(req, BS_EBADPARAM, NULL, "Not a notification", "body",
                "A notification has kanaal, hoofdObject, resource, resourceUrl, actie and aanmaakdatum");
}

/* ---- router ---- */
