/*
 * HTTP API routes. See api.h, docs/api.md and docs/openapi.json.
 *
 * Every error is application/bs__problem+json (RFC 9457) naming the offending field in
 * "invalid_params" (the ZGW APIs' convention, camelCase there as "invalidParams").
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
#include "plan.h"

#define PAGE_SIZE_DEFAULT 50
#define PAGE_SIZE_MAX 500

/* ---- responses ---- */

void bs__respond_json(bs_req *req, int status, json_t *body) {
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    bs_req_respond(req, status, JSON_CT, text, strlen(text), NULL);
    free(text);
}

/* Sends a bs__problem document. field may be NULL (no single offending field). */
void bs__problem_ex(bs_req *req, int status, const char *code, const char *title, const char *field,
                       const char *detail, const char *const *extra_headers) {
    json_t *p = json_object();
    char type[160];
    snprintf(type, sizeof type, "https://bouwstroom.nl/problems/%s", code);
    json_object_set_new(p, "type", json_string(type));
    json_object_set_new(p, "title", json_string(title));
    json_object_set_new(p, "status", json_integer(status));
    json_object_set_new(p, "detail", json_string(detail));
    json_object_set_new(p, "instance", json_string(bs_req_path(req)));
    json_object_set_new(p, "code", json_string(code));
    json_t *params = json_array();
    if (field) {
        json_t *ip = json_object();
        json_object_set_new(ip, "name", json_string(field));
        json_object_set_new(ip, "code", json_string(code));
        json_object_set_new(ip, "reason", json_string(detail));
        json_array_append_new(params, ip);
    }
    json_object_set_new(p, "invalid_params", params);
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    bs_req_respond(req, status, PROBLEM_CT, text, strlen(text), extra_headers);
    free(text);
}

void bs__problem(bs_req *req, int status, const char *code, const char *title, const char *field,
                    const char *detail) {
    bs__problem_ex(req, status, code, title, field, detail, NULL);
}

void bs__problem_db(bs_req *req, const char *err) {
    fprintf(stderr, "api: database error on %s %s: %s\n", bs_req_method(req), bs_req_path(req), err);
    bs__problem(req, 503, "database_unavailable", "Database unavailable", NULL,
            "The store could not complete the request; nothing was changed. Retry later.");
}

void bs__method_not_allowed(bs_req *req, const char *allow) {
    const char *hdr[] = {"allow", allow, NULL};
    char detail[128];
    snprintf(detail, sizeof detail, "Method %s is not allowed here; allowed: %s", bs_req_method(req), allow);
    bs__problem_ex(req, 405, "method_not_allowed", "Method not allowed", NULL, detail, hdr);
}

/* ---- helpers ---- */

bs_day bs_today_amsterdam(void *arg) {
    return bs_clock_today_amsterdam((const bs_clock *)arg);
}

bool bs__is_uuid(const char *s) {
    static const int dash[] = {8, 13, 18, 23};
    if (strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        bool d = i == dash[0] || i == dash[1] || i == dash[2] || i == dash[3];
        if (d ? s[i] != '-' : !isxdigit((unsigned char)s[i])) return false;
    }
    return true;
}

/* Splits path into at most max segments (in place in buf). Returns the count, or -1 when too many. */
static int split_path(const char *path, char *buf, size_t buflen, char **seg, int max) {
    snprintf(buf, buflen, "%s", path);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == max) return -1;
        seg[n++] = t;
    }
    return n;
}

bool bs__method_is(const bs_req *req, const char *m) {
    return strcmp(bs_req_method(req), m) == 0;
}

/* ---- GET /healthz ---- */

static void health_done(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_req *req = arg;
    if (err) {
        bs__problem(req, 503, "database_unavailable", "Database unavailable", NULL, err);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string("ok"));
    json_object_set_new(o, "database", json_string("ok"));
    bs__respond_json(req, 200, o);
}

/* ---- process schemas ---- */

static void list_schemas(bs_api *api, bs_req *req) {
    json_t *results = json_array();
    for (int i = 0; i < api->engine->n_schemas; i++) {
        const bs_schema *s = api->engine->schemas[i].schema;
        json_t *o = json_object();
        json_object_set_new(o, "key", json_string(s->key));
        json_object_set_new(o, "name", json_string(s->name));
        json_object_set_new(o, "version", json_integer(s->version));
        json_object_set_new(o, "steps", json_integer(s->n_steps));
        json_object_set_new(o, "links", json_integer(s->n_links));
        json_array_append_new(results, o);
    }
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer(api->engine->n_schemas));
    json_object_set_new(o, "next", json_null());
    json_object_set_new(o, "previous", json_null());
    json_object_set_new(o, "results", results);
    bs__respond_json(req, 200, o);
}

static void get_schema(bs_api *api, bs_req *req, const char *key) {
    const bs_engine_schema *es = bs_engine_schema_get(api->engine, key);
    if (!es) {
        char d[200];
        snprintf(d, sizeof d, "No process schema with key '%.100s'", key);
        bs__problem(req, 404, "not_found", "Process schema not found", "key", d);
        return;
    }
    bs__respond_json(req, 200, json_incref(es->json));
}

/* ---- GET /api/v1/projects ---- */

typedef struct list_ctx {
    bs_req *req;
    long page, page_size;
    char gemeente[256], provincie[256], planstatus[16];
    bool has_gemeente, has_provincie, has_planstatus;
} list_ctx;

static json_t *page_url(list_ctx *c, long page) {
    char buf[1024];
    size_t o = (size_t)snprintf(buf, sizeof buf, "%s/api/v1/projects?page=%ld&page_size=%ld", bs_req_base_url(c->req),
                                page, c->page_size);
    /* re-encode the filters */
    const struct {
        bool has;
        const char *name, *val;
    } f[] = {{c->has_gemeente, "gemeente", c->gemeente},
             {c->has_provincie, "provincie", c->provincie},
             {c->has_planstatus, "planstatus", c->planstatus}};
    for (size_t i = 0; i < 3; i++) {
        if (!f[i].has) continue;
        o += (size_t)snprintf(buf + o, sizeof buf - o, "&%s=", f[i].name);
        for (const unsigned char *p = (const unsigned char *)f[i].val; *p && o + 4 < sizeof buf; p++) {
            if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
                buf[o++] = (char)*p;
            else
                o += (size_t)snprintf(buf + o, sizeof buf - o, "%%%02X", *p);
        }
        buf[o] = 0;
    }
    return json_string(buf);
}

static void list_done(const PGresult *res, const char *err, void *arg) {
    list_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
        free(c);
        return;
    }
    long count = atol(PQgetvalue(res, 0, 0));
    json_t *results = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer(count));
    json_object_set_new(o, "next", c->page * c->page_size < count ? page_url(c, c->page + 1) : json_null());
    json_object_set_new(o, "previous", c->page > 1 ? page_url(c, c->page - 1) : json_null());
    json_object_set_new(o, "results", results ? results : json_array());
    bs__respond_json(c->req, 200, o);
    free(c);
}

/* Reads an optional positive integer query parameter. Returns false after sending a bs__problem. */
bool bs__int_param(bs_req *req, const char *name, long dflt, long min, long max, long *out) {
    char buf[32];
    int r = bs_query_param(bs_req_query(req), name, buf, sizeof buf);
    *out = dflt;
    if (r == 0) return true;
    char *end = NULL;
    long v = r > 0 ? strtol(buf, &end, 10) : 0;
    if (r < 0 || !*buf || *end || v < min || v > max) {
        char d[160];
        snprintf(d, sizeof d, "%s must be an integer from %ld to %ld", name, min, max);
        bs__problem(req, 400, "invalid", "Invalid query parameter", name, d);
        return false;
    }
    *out = v;
    return true;
}

bool bs__text_param(bs_req *req, const char *name, char *out, size_t len, bool *has) {
    int r = bs_query_param(bs_req_query(req), name, out, len);
    if (r < 0) {
        char d[160];
        snprintf(d, sizeof d, "%s is malformed (bad percent-encoding) or longer than %zu bytes", name, len - 1);
        bs__problem(req, 400, "invalid", "Invalid query parameter", name, d);
        return false;
    }
    *has = r > 0;
    return true;
}

static void list_projects(bs_api *api, bs_req *req) {
    list_ctx *c = calloc(1, sizeof *c);
    c->req = req;
    if (!bs__int_param(req, "page", 1, 1, 1000000, &c->page) ||
        !bs__int_param(req, "page_size", PAGE_SIZE_DEFAULT, 1, PAGE_SIZE_MAX, &c->page_size) ||
        !bs__text_param(req, "gemeente", c->gemeente, sizeof c->gemeente, &c->has_gemeente) ||
        !bs__text_param(req, "provincie", c->provincie, sizeof c->provincie, &c->has_provincie) ||
        !bs__text_param(req, "planstatus", c->planstatus, sizeof c->planstatus, &c->has_planstatus)) {
        free(c);
        return;
    }
    if (c->has_planstatus) {
        for (char *p = c->planstatus; *p; p++) *p = (char)toupper((unsigned char)*p);
        if (strcmp(c->planstatus, "ONBEKEND") == 0) strcpy(c->planstatus, "onbekend");
        if (!bs_planstatus_valid(c->planstatus)) {
            bs__problem(req, 400, "invalid", "Invalid query parameter", "planstatus",
                    "planstatus must be one of 1A, 1B, 1C, 2A, 2B, 2C, 3, 4A, 4B, onbekend");
            free(c);
            return;
        }
    }
    char limit[24], offset[24];
    snprintf(limit, sizeof limit, "%ld", c->page_size);
    snprintf(offset, sizeof offset, "%ld", (c->page - 1) * c->page_size);
    const char *params[5] = {c->has_gemeente ? c->gemeente : NULL, c->has_provincie ? c->provincie : NULL,
                             c->has_planstatus ? c->planstatus : NULL, limit, offset};
    bs_store_query(api->store,
                   "WITH f AS (SELECT id, name, gemeente, provincie, planstatus, plantype, homes_remaining, "
                   "  data_date, expected_by, planned_completion FROM projects "
                   "  WHERE ($1::text IS NULL OR gemeente = $1) AND ($2::text IS NULL OR provincie = $2) "
                   "  AND ($3::text IS NULL OR planstatus = $3)) "
                   "SELECT (SELECT count(*) FROM f), "
                   "  COALESCE((SELECT json_agg(r) FROM (SELECT * FROM f ORDER BY name, id "
                   "  LIMIT $4::bigint OFFSET $5::bigint) r), '[]')",
                   5, params, list_done, c);
}

/* ---- GET /api/v1/projects/{id} ---- */

static void project_done(const PGresult *res, const char *err, void *arg) {
    bs_req *req = arg;
    if (err) {
        bs__problem_db(req, err);
        return;
    }
    if (PQntuples(res) == 0) {
        bs__problem(req, 404, "not_found", "Project not found", "id", "No project with this id");
        return;
    }
    const char *text = PQgetvalue(res, 0, 0);
    bs_req_respond(req, 200, JSON_CT, text, strlen(text), NULL);
}

static void get_project(bs_api *api, bs_req *req, const char *id) {
    const char *params[1] = {id};
    bs_store_query(api->store,
                   "SELECT row_to_json(p) FROM (SELECT id, source, source_key, name, gemeente, provincie, "
                   "planstatus, planstatus_raw, plantype, plantype_raw, homes_remaining, demolition, "
                   "completions_2019, completions_2020_2024, completions_2025_2029, completions_2030_2050, "
                   "completions_unknown, type_grondgebonden, type_appartement, type_onbekend, tenure_huur, "
                   "tenure_koop, tenure_onbekend, expected_period, expected_by, data_date, data_date_estimated, "
                   "datum_raw, schatting, process_schema_key, process_schema_version, planned_completion, "
                   "geometry_crs, geometry, created_at, updated_at FROM projects WHERE id = $1::uuid) p",
                   1, params, project_done, req);
}

/* ---- project state (schedule, complete) ---- */


void bs__project_ctx_free(bs__project_ctx *c) {
    free(c->progress);
    free(c);
}

static void project_loaded(const PGresult *res, const char *err, void *arg) {
    bs__project_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
        bs__project_ctx_free(c);
        return;
    }
    int rc = bs_project_state_from_result(c->api->engine, res, &c->schema, &c->progress, &c->data_date);
    if (rc == -1) {
        bs__problem(c->req, 404, "not_found", "Project not found", "id", "No project with this id");
        bs__project_ctx_free(c);
        return;
    }
    if (rc != 0) {
        bs__problem(c->req, 500, "internal", "Internal error", NULL, "The project refers to an unknown process schema");
        bs__project_ctx_free(c);
        return;
    }
    c->next(c);
}

void bs__load_project(bs__project_ctx *c) {
    const char *params[1] = {c->id};
    bs_store_query(c->api->store, BS_PROJECT_STATE_SQL, 1, params, project_loaded, c);
}

/* Computes and sends the schedule of c; status is the HTTP status. */
void bs__send_schedule(bs__project_ctx *c, int status) {
    bs_schedule sched;
    bs_schedule_err e = bs_schedule_compute(c->schema, c->progress, c->data_date, &c->api->engine->calendar, &sched);
    if (e != BS_SCHEDULE_OK) {
        bs__problem(c->req, 500, "schedule_failed", "Schedule could not be computed", NULL, bs_schedule_strerror(e));
        return;
    }
    json_t *o = bs_schedule_to_json(c->schema, c->progress, &sched);
    json_object_set_new(o, "project_id", json_string(c->id));
    json_object_set_new(o, "process_schema", json_string(c->schema->key));
    bs_schedule_free(&sched);
    bs__respond_json(c->req, status, o);
}

static void schedule_next(bs__project_ctx *c) {
    bs__send_schedule(c, 200);
    bs__project_ctx_free(c);
}

/* ---- POST /api/v1/projects/{id}/steps/{key}/complete ---- */

static void complete_stored(const PGresult *res, const char *err, void *arg) {
    bs__project_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (PQntuples(res) == 0) {
        bs__problem(c->req, 409, "conflict", "Concurrent update", "key",
                "The step was changed by another request at the same time; reload and retry");
    } else {
        bs__send_schedule(c, 200);
    }
    bs__project_ctx_free(c);
}

static void complete_next(bs__project_ctx *c) {
    int32_t i = bs_schema_find(c->schema, c->step_key);
    char d[300];
    if (i < 0) {
        snprintf(d, sizeof d, "Process schema %s has no step '%.100s'", c->schema->key, c->step_key);
        bs__problem(c->req, 404, "not_found", "Step not found", "key", d);
        bs__project_ctx_free(c);
        return;
    }
    bs_progress *p = &c->progress[i];
    char datebuf[11], otherbuf[11];
    if (p->status == BS_STATUS_SKIPPED) {
        snprintf(d, sizeof d, "Step '%s' does not apply to this project", c->step_key);
        bs__problem(c->req, 409, "not_applicable", "Step does not apply", "key", d);
        bs__project_ctx_free(c);
        return;
    }
    if (p->status == BS_STATUS_DONE && p->actual_finish != BS_DAY_NONE) {
        if (p->actual_finish == c->date) { /* idempotent repeat */
            bs__send_schedule(c, 200);
        } else {
            snprintf(d, sizeof d, "Step '%s' was already completed on %s; a different date (%s) is a correction",
                     c->step_key, bs_date_format(p->actual_finish, otherbuf), bs_date_format(c->date, datebuf));
            bs__problem(c->req, 409, "already_completed", "Step already completed", "date", d);
        }
        bs__project_ctx_free(c);
        return;
    }
    if (p->actual_start != BS_DAY_NONE && c->date < p->actual_start) {
        snprintf(d, sizeof d, "date %s is before the step's actual start %s", bs_date_format(c->date, datebuf),
                 bs_date_format(p->actual_start, otherbuf));
        bs__problem(c->req, 422, "invalid", "Invalid date", "date", d);
        bs__project_ctx_free(c);
        return;
    }
    p->status = BS_STATUS_DONE;
    p->actual_finish = c->date;
    p->actual_estimated = false;
    bs_schedule sched;
    bs_schedule_err e = bs_schedule_compute(c->schema, c->progress, c->data_date, &c->api->engine->calendar, &sched);
    if (e != BS_SCHEDULE_OK) {
        bs__problem(c->req, 422, "schedule_failed", "Schedule could not be computed", "date", bs_schedule_strerror(e));
        bs__project_ctx_free(c);
        return;
    }
    char finish[11];
    bs_day completion = bs_schedule_completion(c->schema, c->progress, &sched);
    const char *finish_p = completion != BS_DAY_NONE ? bs_date_format(completion, finish) : NULL;
    bs_schedule_free(&sched);
    const char *params[4] = {c->id, c->step_key, bs_date_format(c->date, datebuf), finish_p};
    /* one statement = one transaction: the step and the project's cached finish together;
     * the condition makes a concurrent completion lose cleanly (409) */
    bs_store_query(c->api->store,
                   "WITH u AS (UPDATE project_steps SET status = 'done', actual_finish = $3::date, "
                   "  actual_estimated = false, updated_at = now() "
                   "  WHERE project_id = $1::uuid AND step_key = $2 AND (status <> 'done' OR actual_finish IS NULL) "
                   "  RETURNING 1), "
                   "ins AS (INSERT INTO project_steps (project_id, step_key, status, actual_finish) "
                   "  SELECT $1::uuid, $2, 'done', $3::date WHERE NOT EXISTS "
                   "  (SELECT 1 FROM project_steps WHERE project_id = $1::uuid AND step_key = $2) "
                   "  ON CONFLICT DO NOTHING RETURNING 1) "
                   "UPDATE projects SET planned_completion = $4::date, updated_at = now() "
                   "WHERE id = $1::uuid AND (EXISTS (SELECT 1 FROM u) OR EXISTS (SELECT 1 FROM ins)) RETURNING id",
                   4, params, complete_stored, c);
}

static void complete_step(bs_api *api, bs_req *req, const char *id, const char *key) {
    const char *ct = bs_req_header(req, "content-type");
    if (ct && strncasecmp(ct, "application/json", 16) != 0) {
        bs__problem(req, 415, "unsupported_media_type", "Unsupported media type", "Content-Type",
                "The body must be application/json");
        return;
    }
    size_t len = 0;
    const char *body = bs_req_body(req, &len);
    json_error_t jerr;
    json_t *doc = body && len ? json_loadb(body, len, 0, &jerr) : NULL;
    char d[300];
    if (!doc) {
        if (!body || !len)
            snprintf(d, sizeof d, "The request body is empty; expected {\"date\": \"YYYY-MM-DD\"}");
        else
            snprintf(d, sizeof d, "Malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        bs__problem(req, 400, "malformed_json", "Malformed request body", "body", d);
        return;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        bs__problem(req, 400, "malformed_json", "Malformed request body", "body",
                "The body must be a JSON object {\"date\": \"YYYY-MM-DD\"}");
        return;
    }
    json_t *jd = json_object_get(doc, "date");
    bs_day date;
    if (!jd) {
        json_decref(doc);
        bs__problem(req, 422, "required", "Missing field", "date", "date is required (YYYY-MM-DD)");
        return;
    }
    if (!json_is_string(jd) || bs_date_parse(json_string_value(jd), &date) != 0) {
        json_decref(doc);
        bs__problem(req, 422, "invalid", "Invalid date", "date", "date must be an existing calendar date YYYY-MM-DD");
        return;
    }
    json_decref(doc);
    bs_day today = api->today(api->today_arg);
    if (date > today) {
        char a[11], b[11];
        snprintf(d, sizeof d, "date %s is after today (%s); an actual finish cannot lie in the future",
                 bs_date_format(date, a), bs_date_format(today, b));
        bs__problem(req, 422, "date_in_future", "Invalid date", "date", d);
        return;
    }
    bs__project_ctx *c = calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    snprintf(c->id, sizeof c->id, "%s", id);
    snprintf(c->step_key, sizeof c->step_key, "%s", key);
    c->date = date;
    c->next = complete_next;
    bs__load_project(c);
}

/* ---- router ---- */

void bs_api_handle(bs_req *req, void *ctx) {
    bs_api *api = ctx;
    char buf[1024];
    char *seg[8];
    int n = split_path(bs_req_path(req), buf, sizeof buf, seg, 8);
    bool get = bs__method_is(req, "GET") || bs__method_is(req, "HEAD");
    if (n < 0) return bs__problem(req, 404, "not_found", "Not found", NULL, "Path has too many segments");

    /* feature modules route their own resources first */
    if (bs__route_schedule(api, req, seg, n)) return;
    if (bs__route_forecast(api, req, seg, n)) return;
    if (bs__route_notify(api, req, seg, n)) return;

    if (n == 1 && strcmp(seg[0], "healthz") == 0) {
        if (!get) return bs__method_not_allowed(req, "GET");
        bs_store_query(api->store, "SELECT 1", 0, NULL, health_done, req);
        return;
    }
    if (n >= 2 && strcmp(seg[0], "api") == 0 && strcmp(seg[1], "v1") == 0) {
        if (n == 3 && strcmp(seg[2], "openapi.json") == 0) {
            if (!get) return bs__method_not_allowed(req, "GET");
            if (!api->openapi_json)
                return bs__problem(req, 404, "not_found", "Not found", NULL, "OpenAPI document not installed");
            bs_req_respond(req, 200, JSON_CT, api->openapi_json, api->openapi_len, NULL);
            return;
        }
        if (n >= 3 && strcmp(seg[2], "process-schemas") == 0) {
            if (n == 3) {
                if (!get) return bs__method_not_allowed(req, "GET");
                return list_schemas(api, req);
            }
            if (n == 4) {
                if (!get) return bs__method_not_allowed(req, "GET");
                return get_schema(api, req, seg[3]);
            }
        }
        if (n >= 3 && strcmp(seg[2], "projects") == 0) {
            if (n == 3) {
                if (!get) return bs__method_not_allowed(req, "GET");
                return list_projects(api, req);
            }
            if (!bs__is_uuid(seg[3]))
                return bs__problem(req, 404, "not_found", "Project not found", "id",
                               "A project id is a UUID (8-4-4-4-12 hexadecimal digits)");
            if (n == 4) {
                if (!get) return bs__method_not_allowed(req, "GET");
                return get_project(api, req, seg[3]);
            }
            if (n == 5 && strcmp(seg[4], "schedule") == 0) {
                if (!get) return bs__method_not_allowed(req, "GET");
                bs__project_ctx *c = calloc(1, sizeof *c);
                c->api = api;
                c->req = req;
                snprintf(c->id, sizeof c->id, "%s", seg[3]);
                c->next = schedule_next;
                bs__load_project(c);
                return;
            }
            if (n == 7 && strcmp(seg[4], "steps") == 0 && strcmp(seg[6], "complete") == 0) {
                if (!bs__method_is(req, "POST")) return bs__method_not_allowed(req, "POST");
                return complete_step(api, req, seg[3], seg[5]);
            }
        }
    }
    char d[200];
    snprintf(d, sizeof d, "No resource at %.150s", bs_req_path(req));
    bs__problem(req, 404, "not_found", "Not found", NULL, d);
}
