/*
 * Bouwstroom API: process schema versions (issue 19, item 1; docs/api.md "Process schema
 * versions", docs/process-schema.md "Versions").
 *
 *   POST /api/v1/process-schemas                          deploy the next version of a key
 *   GET  /api/v1/process-schemas/{key}/versions           a key's versions (paged)
 *   GET  /api/v1/process-schemas/{key}/versions/{n}       one version's document
 *   GET  /api/v1/process-schemas/{key}/diff?from=&to=     the difference of two versions
 *
 * A deployed document is validated by the engine's loader (bs_schema_load) with every
 * problem and its path; the shipped schemas of processes/ are version 1 of their key and are
 * answered from memory (migration 0030 says why they are not stored).
 */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api_internal.h"
#include "authz.h"
#include "engine.h"
#include "handlers.h"
#include "http.h"
#include "paging.h"
#include "schema.h"
#include "schema_diff.h"

#include "routes_schema_versions_sql.h"

#define MAX_RENAMES 1000

typedef struct sv_ctx {
    bs_api *api;
    bs_req *req;
    char key[256];
    long from, to;
    json_t *from_doc, *to_doc; /* owned; shipped documents (referenced) or NULL */
    bs_schema_rename *renames; /* owned; n_renames, pointing into rename_text */
    size_t n_renames;
    char *rename_text; /* owned */
} sv_ctx;

static void sv_free(sv_ctx *c) {
    json_decref(c->from_doc);
    json_decref(c->to_doc);
    free(c->renames);
    free(c->rename_text);
    free(c);
}

/* The caller's organisations as a uuid[] literal (home organisation and those it administers),
 * in the request's pool. */
static const char *my_orgs(bs_req *req) {
    const bs_principal *pr = bs__principal(req);
    const char *b = pr->beheerder_orgs ? pr->beheerder_orgs : "{}";
    size_t n = strlen(b) + sizeof pr->organisation_id + 4;
    char *out = bs_req_alloc(req, n);
    if (!pr->organisation_id[0])
        snprintf(out, n, "%s", b);
    else if (strcmp(b, "{}") == 0)
        snprintf(out, n, "{%s}", pr->organisation_id);
    else
        snprintf(out, n, "{%s,%s", pr->organisation_id, b + 1);
    return out;
}

/* The shipped schema of key whose version is v (v 0: any), or NULL. */
static const bs_engine_schema *shipped(const bs_api *api, const char *key, long v) {
    const bs_engine_schema *es = bs_engine_schema_get(api->engine, key);
    return es && (v == 0 || es->schema->version == v) ? es : NULL;
}

/* ---- POST /api/v1/process-schemas ---- */

/* Answers every problem of a refused schema: 422, invalid_params named by their path in the
 * request body ("schema.steps[3].duration.value"). */
static void fail_schema(bs_req *req, const bs_schema_problems *p) {
    json_t *params = json_array();
    for (size_t i = 0; i < p->count; i++) {
        const char *path = p->items[i].path;
        char *name = bs_asprintf("schema%s", path[0] == '$' ? path + 1 : path);
        json_array_append_new(params, json_pack("{s:s, s:s, s:s}", "name", name, "code", "invalid_schema", "reason",
                                                p->items[i].message));
        free(name);
    }
    bs_err e = {.code = BS_EINVAL, .problem = "invalid_schema", .title = "Invalid process schema"};
    snprintf(e.msg, sizeof e.msg, "the process schema has %zu problem(s); each is listed in invalid_params", p->count);
    bs__fail_doc(req, &e, json_pack("{s:o}", "invalid_params", params), NULL);
}

static void deployed(const PGresult *res, const char *err, void *arg) {
    sv_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else {
        int failed = -1;
        for (int i = 0; i < 3 && failed < 0; i++)
            if (strcmp(PQgetvalue(res, 0, i), "t") != 0) failed = i;
        if (failed == 0)
            bs__fail(c->req, BS_EINVAL, "organisation_id", "No organisation with this id");
        else if (failed == 1)
            bs__fail(c->req, BS_EFORBIDDEN, "organisation_id",
                     "Only a beheerder of the organisation deploys its schemas; national schemas only an "
                     "administrator of the installation");
        else if (failed == 2)
            bs__fail_as(c->req, BS_ECONFLICT, "schema_key_taken", "Schema key of another organisation", "key",
                        "The key '%s' belongs to another organisation's schema", c->key);
        else {
            /* committed: the engine plans with the new version from now on (projects of an
             * organisation whose setting names it, migrations to it) */
            bs_err e = {0};
            if (bs_engine_add_version(c->api->engine, PQgetvalue(res, 0, 4), (size_t)PQgetlength(res, 0, 4), &e) != 0)
                fprintf(stderr, "deploy %s: %s\n", c->key, e.msg);
            bs_req_respond(c->req, 201, JSON_CT, PQgetvalue(res, 0, 3), (size_t)PQgetlength(res, 0, 3), NULL);
        }
    }
    sv_free(c);
}

/* Validates the body's schema with the engine's loader. Returns the loaded schema or NULL
 * after answering. doc's "version" is set to 1 when absent (the server assigns it). */
static bs_schema *validate(bs_req *req, json_t *doc) {
    if (!json_is_object(doc)) {
        bs__fail(req, BS_EINVAL, "schema", "schema must be a process schema document (a JSON object)");
        return NULL;
    }
    if (!json_object_get(doc, "version")) json_object_set_new(doc, "version", json_integer(1));
    char *text = bs_json_dumps(doc, JSON_COMPACT);
    bs_schema_problems probs = {0};
    bs_schema *s = bs_schema_load(text, strlen(text), true, &probs);
    free(text);
    if (!s) fail_schema(req, &probs);
    bs_schema_problems_free(&probs);
    return s;
}

void bs__deploy_schema(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"organisation_id", "schema", NULL};
    json_t *body = bs__body_object(req, allowed);
    if (!body) return;
    const char *org = NULL;
    json_t *doc = json_object_get(body, "schema");
    bs_schema *s = NULL;
    if (!json_is_null(json_object_get(body, "organisation_id")) &&
        !bs__uuid_field(req, body, "organisation_id", false, &org)) {
        json_decref(body);
        return;
    }
    if (!doc)
        bs__fail(req, BS_EREQUIRED, "schema", "schema is required: the process schema document");
    else
        s = validate(req, doc);
    if (!s) {
        json_decref(body);
        return;
    }
    const bs_principal *pr = bs__principal(req);
    sv_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    snprintf(c->key, sizeof c->key, "%s", s->key);
    const bs_engine_schema *es = shipped(api, s->key, 0);
    char sv[16];
    snprintf(sv, sizeof sv, "%d", es ? (int)es->schema->version : 0);
    char *text = bs_json_dumps(doc, JSON_COMPACT);
    const char *p[7] = {
        s->key, s->name, text, org, pr->is_admin ? "t" : "f", pr->beheerder_orgs ? pr->beheerder_orgs : "{}", sv};
    bs__store_write(api, req, &SQL_SCHEMA_VERSION_INSERT, p, deployed, c);
    free(text);
    bs_schema_free(s);
    json_decref(body);
}

/* ---- GET /api/v1/process-schemas/{key}/versions ---- */

void bs__list_schema_versions(bs_api *api, bs_req *req, const bs_path *path) {
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    pg->nf_title = "Process schema not found";
    pg->nf_field = "key";
    pg->nf_detail = "No process schema with this key";
    const bs_engine_schema *es = shipped(api, path->ref, 0);
    char sv[16];
    snprintf(sv, sizeof sv, "%d", es ? (int)es->schema->version : 0);
    const char *p[7] = {path->ref,
                        pg->limit,
                        pg->offset,
                        bs__principal(req)->is_admin ? "t" : "f",
                        my_orgs(req),
                        es ? es->schema->name : NULL,
                        sv};
    bs_store_exec(api->store, &SQL_SCHEMA_VERSION_LIST, p, bs__page_query_done, pg);
}

/* ---- GET /api/v1/process-schemas/{key}/versions/{n} ---- */

static void version_got(const PGresult *res, const char *err, void *arg) {
    sv_ctx *c = arg;
    bs__send_row0(c->req, res, err, 200, "Process schema version not found", "version",
                  "No version with this number of this process schema");
    sv_free(c);
}

void bs__get_schema_version(bs_api *api, bs_req *req, const bs_path *path) {
    long n = strtol(path->sub, NULL, 10);
    const bs_engine_schema *es = shipped(api, path->ref, n);
    if (es) {
        bs__respond_json(req, 200, json_incref(es->json));
        return;
    }
    sv_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    const char *p[5] = {path->ref, path->sub, path->sub, bs__principal(req)->is_admin ? "t" : "f", my_orgs(req)};
    bs_store_exec(api->store, &SQL_SCHEMA_VERSION_GET, p, version_got, c);
}

/* ---- GET /api/v1/process-schemas/{key}/diff?from=&to=&rename= ---- */

/* Parses rename=old:new,old:new into c->renames. false after a 400 naming rename. */
static bool parse_renames(bs_req *req, sv_ctx *c) {
    char text[8192];
    bool has = false;
    if (!bs__text_param(req, "rename", text, sizeof text, &has)) return false;
    if (!has || !text[0]) return true;
    c->rename_text = bs_strdup(text);
    char *save = NULL;
    for (char *pair = strtok_r(c->rename_text, ",", &save); pair; pair = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(pair, ':');
        if (!colon || colon == pair || !colon[1] || c->n_renames == MAX_RENAMES) {
            bs__fail(req, BS_EBADPARAM, "rename",
                     "rename is a comma-separated list of old:new step keys (at most %d), e.g. a:b,c:d", MAX_RENAMES);
            return false;
        }
        *colon = 0;
        c->renames = bs_reallocarray(c->renames, c->n_renames + 1, sizeof *c->renames);
        c->renames[c->n_renames++] = (bs_schema_rename){pair, colon + 1};
    }
    return true;
}

/* Loads a version's document (a stored definition is valid: it was validated on deploy). */
static bs_schema *load_doc(const json_t *doc) {
    char *text = bs_json_dumps(doc, JSON_COMPACT);
    bs_schema_problems probs = {0};
    bs_schema *s = bs_schema_load(text, strlen(text), true, &probs);
    bs_schema_problems_free(&probs);
    free(text);
    return s;
}

/* Answers the difference of c->from_doc and c->to_doc (both set). */
static void answer_diff(sv_ctx *c) {
    bs_schema *a = load_doc(c->from_doc), *b = load_doc(c->to_doc);
    bs_schema_problems probs = {0};
    json_t *d = a && b ? bs_schema_diff(a, b, c->renames, c->n_renames, &probs) : NULL;
    if (d) {
        json_t *ren = json_array();
        for (size_t i = 0; i < c->n_renames; i++)
            json_array_append_new(ren, json_pack("{s:s, s:s}", "from", c->renames[i].from, "to", c->renames[i].to));
        json_object_set_new(d, "key", json_string(c->key));
        json_object_set_new(d, "from", json_integer(c->from));
        json_object_set_new(d, "to", json_integer(c->to));
        json_object_set_new(d, "rename", ren);
        bs__respond_json(c->req, 200, d);
    } else if (!a || !b) {
        bs__fail(c->req, BS_EINTERNAL, NULL, "a stored version of '%s' no longer loads", c->key);
    } else {
        bs__fail(c->req, BS_EBADPARAM, "rename", "%s: %s", probs.items[0].path, probs.items[0].message);
    }
    bs_schema_problems_free(&probs);
    bs_schema_free(a);
    bs_schema_free(b);
}

static void diff_docs_got(const PGresult *res, const char *err, void *arg) {
    sv_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
        sv_free(c);
        return;
    }
    for (int i = 0; i < 2; i++) {
        json_t **slot = i == 0 ? &c->from_doc : &c->to_doc;
        if (*slot || PQgetisnull(res, 0, i)) continue;
        *slot = json_loadb(PQgetvalue(res, 0, i), (size_t)PQgetlength(res, 0, i), 0, NULL);
    }
    if (!c->from_doc || !c->to_doc)
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Process schema version not found", c->from_doc ? "to" : "from",
                    "No version %ld of process schema '%s'", c->from_doc ? c->to : c->from, c->key);
    else
        answer_diff(c);
    sv_free(c);
}

void bs__diff_schema_versions(bs_api *api, bs_req *req, const bs_path *path) {
    long from, to;
    if (!bs__int_param(req, "from", 0, 1, 1000000000, &from) || !bs__int_param(req, "to", 0, 1, 1000000000, &to))
        return;
    if (!from || !to) {
        bs__fail(req, BS_EBADPARAM, from ? "to" : "from", "from and to are required: the two version numbers");
        return;
    }
    sv_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    c->from = from;
    c->to = to;
    snprintf(c->key, sizeof c->key, "%s", path->ref);
    if (!parse_renames(req, c)) {
        sv_free(c);
        return;
    }
    const bs_engine_schema *sf = shipped(api, path->ref, from), *st = shipped(api, path->ref, to);
    if (sf) c->from_doc = json_incref(sf->json);
    if (st) c->to_doc = json_incref(st->json);
    if (sf && st) {
        answer_diff(c);
        sv_free(c);
        return;
    }
    char fs[24], ts[24];
    snprintf(fs, sizeof fs, "%ld", from);
    snprintf(ts, sizeof ts, "%ld", to);
    const char *p[5] = {path->ref, fs, ts, bs__principal(req)->is_admin ? "t" : "f", my_orgs(req)};
    bs_store_exec(api->store, &SQL_SCHEMA_VERSION_GET, p, diff_docs_got, c);
}

/* ---- the version new projects of an organisation get ----
 * PUT /api/v1/organisations/{id}/process-schema-versions/{key}, GET …/process-schema-versions */

static void org_setting_stored(const PGresult *res, const char *err, void *arg) {
    sv_ctx *c = arg;
    int failed = -1;
    for (int i = 0; !err && i < 3 && failed < 0; i++)
        if (strcmp(PQgetvalue(res, 0, i), "t") != 0) failed = i;
    if (err)
        bs__problem_db(c->req, err);
    else if (failed == 0)
        bs__fail(c->req, BS_ENOTFOUND, "id", "No organisation with this id");
    else if (failed == 1)
        bs__fail(c->req, BS_EFORBIDDEN, "id", "Only a beheerder of the organisation sets its schema versions");
    else if (failed == 2)
        bs__fail(c->req, BS_EINVAL, "version", "Process schema '%s' has no version %ld for this organisation", c->key,
                 c->to);
    else
        bs_req_respond(c->req, 200, JSON_CT, PQgetvalue(res, 0, 3), (size_t)PQgetlength(res, 0, 3), NULL);
    sv_free(c);
}

void bs__put_org_schema_version(bs_api *api, bs_req *req, const bs_path *path) {
    static const char *const allowed[] = {"version", NULL};
    json_t *body = bs__body_object(req, allowed);
    if (!body) return;
    const json_t *v = json_object_get(body, "version");
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
    int code = v ? BS_EINVAL : BS_EREQUIRED;
    json_decref(body); /* v is not used after this */
    if (n < 1 || n > 1000000000) {
        bs__fail(req, code, "version", "version is required: a version number of the schema (1 or more)");
        return;
    }
    const bs_principal *pr = bs__principal(req);
    sv_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    c->to = (long)n;
    snprintf(c->key, sizeof c->key, "%s", path->sub);
    const bs_engine_schema *es = shipped(api, path->sub, 0);
    char vs[24], sv[16];
    snprintf(vs, sizeof vs, "%ld", c->to);
    snprintf(sv, sizeof sv, "%d", es ? (int)es->schema->version : 0);
    const char *p[6] = {
        path->ref, path->sub, vs, pr->is_admin ? "t" : "f", pr->beheerder_orgs ? pr->beheerder_orgs : "{}", sv};
    bs__store_write(api, req, &SQL_ORG_SCHEMA_VERSION_UPSERT, p, org_setting_stored, c);
}

void bs__list_org_schema_versions(bs_api *api, bs_req *req, const bs_path *path) {
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    pg->nf_title = "Not found";
    pg->nf_field = "id";
    pg->nf_detail = "No organisation with this id that you administer";
    const bs_principal *pr = bs__principal(req);
    const char *p[5] = {path->ref, pg->limit, pg->offset, pr->is_admin ? "t" : "f",
                        pr->beheerder_orgs ? pr->beheerder_orgs : "{}"};
    bs_store_exec(api->store, &SQL_ORG_SCHEMA_VERSION_LIST, p, bs__page_query_done, pg);
}
