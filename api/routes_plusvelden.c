/*
 * Routes of plusvelden (issue 18 item 2; docs/homes-and-goals.md "Plusvelden"): an
 * organisation's definitions of its own extra fields (list, add, change, retire) and the
 * values of those fields on its projects and their blocks (read, also as known on a date;
 * write; history).
 *
 * Definitions: read by the organisation's users (a form), written by its beheerders and the
 * administrators of the installation. A validation pattern is compiled when it is defined
 * (errors named with their offset) and, for values, taken from the API's cache of compiled
 * patterns (engine/core/plusveld.h, keyed by definition id and version). Values: written with
 * project write access; every value is checked by the pure validator (bs_pv_check_value),
 * the required check (bs_pv_required_now, over the project's done steps) runs over the values
 * after the write, and the changed values are appended in one statement that refuses a
 * definition changed or retired meanwhile (409). Writes run through bs__store_write, so the
 * audit trigger records the actor; the answer is sent after COMMIT.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api_internal.h"
#include "authz.h"
#include "calendar.h"
#include "handlers.h"
#include "paging.h"
#include "plusveld.h"
#include "routes_plusvelden_sql.h"

/* Most values one write may carry. */
#define PV_MAX_VALUES_PER_WRITE 200

/* ---- who may read and write an organisation's definitions ---- */

/* org lower-cased into out (at least 40 bytes). */
static void lower_id(const char *org, char *out) {
    size_t i = 0;
    for (; org[i] && i < 39; i++) out[i] = (char)tolower((unsigned char)org[i]);
    out[i] = 0;
}

static bool is_beheerder_of(const bs_principal *pr, const char *org) {
    return pr->beheerder_orgs && strstr(pr->beheerder_orgs, org) != NULL;
}

/* Whether the caller administers organisation org (lower case); else a 403 problem sent. */
static bool may_define(bs_req *req, const char *org) {
    const bs_principal *pr = bs__principal(req);
    if (pr->is_admin || is_beheerder_of(pr, org)) return true;
    bs__fail(req, BS_EFORBIDDEN, "id",
             "Only a beheerder of the organisation (or an administrator) defines its plusvelden");
    return false;
}

/* ---- the definition body ---- */

static const char *const DEF_MEMBERS[] = {
    "key", "applies_to", "label",      "type",    "required", "required_from_step",
    "min", "max",        "categories", "pattern", "public",   NULL};
static const char *const PATCH_MEMBERS[] = {
    "label", "required", "required_from_step", "min", "max", "categories", "pattern", "public", NULL};
static const char *const APPLIES[] = {"project", "block", NULL};

/* Whether key is a step of a loaded process schema. */
static bool is_step(const bs_engine *e, const char *key) {
    for (int i = 0; i < e->n_schemas; i++) {
        const bs_schema *sc = e->schemas[i].schema;
        for (int32_t j = 0; j < sc->n_steps; j++)
            if (strcmp(sc->steps[j].key, key) == 0) return true;
    }
    return false;
}

static bool fail_false(bs_req *req, const char *field, const char *msg) {
    bs__fail(req, BS_EINVAL, field, "%s", msg);
    return false;
}

/* A key (of a plusveld, or of a step: max 100): a-z first, then a-z 0-9 _, 1 to max bytes. */
static bool key_ok(const char *s, size_t max) {
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= max && s[0] >= 'a' && s[0] <= 'z' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static bool label_ok(bs_req *req, json_t *d) {
    json_t *l = json_object_get(d, "label");
    const char *langs[] = {"nl", "en"};
    if (!json_is_object(l) || json_object_size(l) != 2)
        return fail_false(req, "label", "label must be an object with nl and en (strings of 1 to 200 bytes)");
    for (int i = 0; i < 2; i++) {
        json_t *s = json_object_get(l, langs[i]);
        if (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) > 200 ||
            bs_blank_text(json_string_value(s), json_string_length(s))) {
            char f[16];
            snprintf(f, sizeof f, "label.%s", langs[i]);
            bs__fail(req, BS_EINVAL, f, "%s must be a text of 1 to 200 bytes", f);
            return false;
        }
    }
    return true;
}

static bool required_ok(bs_req *req, const bs_engine *e, json_t *d) {
    json_t *r = json_object_get(d, "required"), *s = json_object_get(d, "required_from_step");
    if (!json_is_boolean(r)) return fail_false(req, "required", "required must be true or false");
    if (json_is_null(s)) return true;
    if (!json_is_string(s) || !key_ok(json_string_value(s), 100) || !is_step(e, json_string_value(s)))
        return fail_false(req, "required_from_step",
                          "required_from_step must be the key of a step of the process (e.g. "
                          "omgevingsplan_vastgesteld) or null");
    if (!json_is_true(r)) return fail_false(req, "required_from_step", "required_from_step needs required: true");
    return true;
}

/* min and max: numbers for integer and decimal (integers for integer), lengths in characters (whole, >= 0) for
 * text; none for the other types. */
static bool range_ok(bs_req *req, json_t *d, bs_pv_type t) {
    const char *names[] = {"min", "max"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(d, names[i]);
        if (json_is_null(v)) continue;
        char m[160];
        if (t != BS_PV_INTEGER && t != BS_PV_DECIMAL && t != BS_PV_TEXT) {
            snprintf(m, sizeof m, "%s applies to types integer, decimal and text (a length) only", names[i]);
            return fail_false(req, names[i], m);
        }
        bool whole =
            json_is_integer(v) || (json_is_real(v) && json_real_value(v) == (double)(long long)json_real_value(v));
        if (!json_is_number(v) || ((t != BS_PV_DECIMAL) && !whole) || (t == BS_PV_TEXT && json_number_value(v) < 0) ||
            json_number_value(v) > 1e15 || json_number_value(v) < -1e15) {
            snprintf(m, sizeof m, "%s must be %s", names[i],
                     t == BS_PV_TEXT      ? "a length in characters (a whole number >= 0) or null"
                     : t == BS_PV_INTEGER ? "an integer or null"
                                          : "a number or null");
            return fail_false(req, names[i], m);
        }
    }
    json_t *lo = json_object_get(d, "min"), *hi = json_object_get(d, "max");
    if (json_is_number(lo) && json_is_number(hi) && json_number_value(lo) > json_number_value(hi))
        return fail_false(req, "max", "max must not be less than min");
    return true;
}

static bool categories_ok(bs_req *req, json_t *d, bs_pv_type t) {
    json_t *c = json_object_get(d, "categories");
    bool needs = t == BS_PV_CATEGORY || t == BS_PV_MULTI_CATEGORY;
    if (!needs)
        return json_is_null(c) ||
               fail_false(req, "categories", "categories apply to types category and multi_category only");
    if (!json_is_array(c) || json_array_size(c) == 0 || json_array_size(c) > BS_PV_MAX_CATEGORIES)
        return fail_false(req, "categories", "categories must be an array of 1 to 200 distinct texts");
    for (size_t i = 0; i < json_array_size(c); i++) {
        json_t *x = json_array_get(c, i);
        if (!json_is_string(x) || json_string_length(x) == 0 || json_string_length(x) > BS_PV_CATEGORY_MAX_BYTES)
            return fail_false(req, "categories", "each category must be a text of 1 to 100 bytes");
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(c, j)), json_string_value(x)) == 0)
                return fail_false(req, "categories", "categories must be distinct");
    }
    return true;
}

/* The pattern: text only; it must compile (PCRE2, UTF mode; errors with their offset). */
static bool pattern_ok(bs_req *req, json_t *d, bs_pv_type t) {
    json_t *p = json_object_get(d, "pattern");
    if (json_is_null(p)) return true;
    if (t != BS_PV_TEXT) return fail_false(req, "pattern", "pattern applies to type text only");
    if (!json_is_string(p)) return fail_false(req, "pattern", "pattern must be a PCRE2 regular expression (a text)");
    bs_pv_pattern *compiled = NULL;
    bs_err err = {0};
    if (bs_pv_pattern_compile(json_string_value(p), json_string_length(p), "pattern", &compiled, &err) != 0) {
        bs__fail_err(req, &err, NULL);
        return false;
    }
    bs_pv_pattern_free(compiled);
    return true;
}

/* Fills the members a POST may leave out with their defaults (null, false, project). */
static void def_defaults(json_t *d) {
    const char *nullable[] = {"required_from_step", "min", "max", "categories", "pattern"};
    for (size_t i = 0; i < sizeof nullable / sizeof nullable[0]; i++)
        if (!json_object_get(d, nullable[i])) json_object_set_new(d, nullable[i], json_null());
    if (!json_object_get(d, "required")) json_object_set_new(d, "required", json_false());
    if (!json_object_get(d, "public")) json_object_set_new(d, "public", json_false());
    if (!json_object_get(d, "applies_to")) json_object_set_new(d, "applies_to", json_string("project"));
}

/* Validates a complete definition d (every member present); on success adds label_nl and label_en for the SQL and
 * returns its compact JSON (caller frees); NULL after a 422 problem naming the member. */
static char *def_validate(bs_req *req, const bs_engine *e, json_t *d) {
    bs_pv_type t;
    json_t *key = json_object_get(d, "key"), *ty = json_object_get(d, "type"), *pub = json_object_get(d, "public");
    if (!key_ok(json_string_value(key), BS_PV_KEY_MAX_BYTES))
        return fail_false(req, "key", "key must be 1 to 50 bytes: a-z first, then a-z, 0-9 and _"), NULL;
    if (!json_is_string(json_object_get(d, "applies_to")) ||
        !bs__one_of(req, "applies_to", json_string_value(json_object_get(d, "applies_to")), APPLIES))
        return NULL;
    if (bs_pv_type_parse(json_string_value(ty), &t) != 0)
        return fail_false(req, "type",
                          "type must be one of text, integer, decimal, date, boolean, category, multi_category"),
               NULL;
    if (!json_is_boolean(pub)) return fail_false(req, "public", "public must be true or false"), NULL;
    if (!label_ok(req, d) || !required_ok(req, e, d) || !range_ok(req, d, t) || !categories_ok(req, d, t) ||
        !pattern_ok(req, d, t))
        return NULL;
    json_t *l = json_object_get(d, "label");
    json_object_set(d, "label_nl", json_object_get(l, "nl"));
    json_object_set(d, "label_en", json_object_get(l, "en"));
    return bs_json_dumps(d, JSON_COMPACT);
}

/* ---- definitions: routes ---- */

typedef struct def_ctx {
    bs_req *req;
    bs_api *api;
    int status;
    char org[40];
    json_t *patch; /* PATCH: the body (owned) */
} def_ctx;

static def_ctx *def_ctx_new(bs_api *api, bs_req *req, const char *org, int status) {
    def_ctx *c = bs_calloc(1, sizeof *c);
    c->req = req;
    c->api = api;
    c->status = status;
    lower_id(org, c->org);
    return c;
}

static void def_ctx_free(def_ctx *c) {
    json_decref(c->patch);
    free(c);
}

/* GET /api/v1/organisations/{id}/plusvelden[?retired=false|true|all&applies_to=project|block]: one page of the
 * definitions; for its users, beheerders and administrators of the installation. */
void bs__list_plusvelden(bs_api *api, bs_req *req, const bs_path *path) {
    char org[40], retired[8] = "false", applies[16];
    bool has_r, has_a;
    lower_id(path->ref, org);
    const bs_principal *pr = bs__principal(req);
    if (!pr->is_admin && strcmp(pr->organisation_id, org) != 0 && !is_beheerder_of(pr, org))
        return bs__fail(req, BS_EFORBIDDEN, "id", "Only the organisation's users read its plusvelden");
    if (!bs__text_param(req, "retired", retired, sizeof retired, &has_r) ||
        !bs__text_param(req, "applies_to", applies, sizeof applies, &has_a))
        return;
    if (strcmp(retired, "false") != 0 && strcmp(retired, "true") != 0 && strcmp(retired, "all") != 0)
        return bs__fail(req, BS_EBADPARAM, "retired", "retired must be false (default), true or all");
    if (has_a && strcmp(applies, "project") != 0 && strcmp(applies, "block") != 0)
        return bs__fail(req, BS_EBADPARAM, "applies_to", "applies_to must be project or block");
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    bs__page_keep(pg, "retired", has_r ? retired : NULL);
    bs__page_keep(pg, "applies_to", has_a ? applies : NULL);
    const char *p[5] = {org, retired, has_a ? applies : NULL, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_PV_DEF_LIST, p, bs__page_query_done, pg);
}

static void def_written(const PGresult *res, const char *err, void *arg) {
    def_ctx *c = arg;
    if (err && strstr(err, "plusveld_definitions_key"))
        bs__fail_as(c->req, BS_ECONFLICT, "duplicate_key", "Key in use", "key",
                    "the organisation has a plusveld with this key already (retired ones included: a key is not "
                    "reused)");
    else if (err && strstr(err, "plusveld_definitions_organisation_id_fkey"))
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Organisation not found", "id", "No organisation with this id");
    else if (!err && c->status == 200 && PQntuples(res) == 0)
        bs__fail_as(c->req, BS_ECONFLICT, "changed", "Changed meanwhile", "key",
                    "the definition was changed or retired meanwhile; read it again");
    else
        bs__send_row0(c->req, res, err, c->status, "Plusveld not found", "key", "No plusveld with this key");
    def_ctx_free(c);
}

/* POST /api/v1/organisations/{id}/plusvelden: a new definition (201). */
void bs__add_plusveld(bs_api *api, bs_req *req, const bs_path *path) {
    char org[40];
    lower_id(path->ref, org);
    if (!may_define(req, org)) return;
    json_t *doc = bs__body_object(req, DEF_MEMBERS);
    if (!doc) return;
    if (!json_object_get(doc, "key") || !json_object_get(doc, "type") || !json_object_get(doc, "label")) {
        const char *miss = !json_object_get(doc, "key") ? "key" : !json_object_get(doc, "type") ? "type" : "label";
        bs__fail(req, BS_EREQUIRED, miss, "%s is required", miss);
        json_decref(doc);
        return;
    }
    def_defaults(doc);
    char *body = def_validate(req, api->engine, doc);
    json_decref(doc);
    if (!body) return;
    const char *p[2] = {org, body};
    bs__store_write(api, req, &SQL_PV_DEF_INSERT, p, def_written, def_ctx_new(api, req, org, 201));
    free(body);
}

/* PATCH, after loading the definition: the patch over it, validated, written if still at its version. */
static void def_loaded(const PGresult *res, const char *err, void *arg) {
    def_ctx *c = arg;
    if (err || PQntuples(res) != 1) {
        bs__send_row0(c->req, res, err, 200, "Plusveld not found", "key", "No plusveld with this key");
        return def_ctx_free(c);
    }
    json_t *d = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    if (!d || json_is_true(json_object_get(d, "retired"))) {
        if (d)
            bs__fail_as(c->req, BS_ECONFLICT, "retired", "Plusveld retired", "key",
                        "a retired plusveld is kept "
                        "as it was; define a new one with another key");
        else
            bs__problem_db(c->req, "unreadable definition");
        json_decref(d);
        return def_ctx_free(c);
    }
    const char *k;
    json_t *v;
    json_object_foreach(c->patch, k, v) json_object_set(d, k, v);
    char *body = def_validate(c->req, c->api->engine, d);
    if (body) {
        char ver[24];
        snprintf(ver, sizeof ver, "%lld", (long long)json_integer_value(json_object_get(d, "version")));
        const char *p[3] = {json_string_value(json_object_get(d, "id")), ver, body};
        bs__store_write(c->api, c->req, &SQL_PV_DEF_UPDATE, p, def_written, c);
        c = NULL;
    }
    free(body);
    json_decref(d);
    if (c) def_ctx_free(c);
}

/* PATCH /api/v1/organisations/{id}/plusvelden/{key}: label, required, rules, public (key, type and applies_to
 * stay). */
void bs__patch_plusveld(bs_api *api, bs_req *req, const bs_path *path) {
    char org[40];
    lower_id(path->ref, org);
    if (!may_define(req, org)) return;
    json_t *doc = bs__body_object(req, PATCH_MEMBERS);
    if (!doc) return;
    if (json_object_size(doc) == 0) {
        json_decref(doc);
        return bs__fail_as(req, BS_EREQUIRED, NULL, "Nothing to change", "body",
                           "give one or more of label, required, required_from_step, min, max, categories, "
                           "pattern, public");
    }
    def_ctx *c = def_ctx_new(api, req, org, 200);
    c->patch = doc;
    const char *p[2] = {c->org, path->sub};
    bs_store_exec(api->store, &SQL_PV_DEF_GET, p, def_loaded, c);
}

static void def_retired(const PGresult *res, const char *err, void *arg) {
    def_ctx *c = arg;
    if (err && strstr(err, "plusveld_values_definition_id_fkey"))
        bs__fail_as(c->req, BS_ECONFLICT, "changed", "Changed meanwhile", "key",
                    "a value was written meanwhile; try again (the plusveld will be retired)");
    else if (!err && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "deleted") == 0)
        bs_req_respond(c->req, 204, NULL, NULL, 0, NULL);
    else if (!err && PQntuples(res) == 1)
        bs_req_respond(c->req, 200, JSON_CT, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1), NULL);
    else
        bs__send_row0(c->req, res, err, 200, "Plusveld not found", "key", "No plusveld with this key");
    def_ctx_free(c);
}

/* DELETE /api/v1/organisations/{id}/plusvelden/{key}: deleted (204) when no value was ever written, else retired
 * (200 with the definition). */
void bs__delete_plusveld(bs_api *api, bs_req *req, const bs_path *path) {
    char org[40];
    lower_id(path->ref, org);
    if (!may_define(req, org)) return;
    def_ctx *c = def_ctx_new(api, req, org, 200);
    const char *p[2] = {c->org, path->sub};
    bs__store_write(api, req, &SQL_PV_DEF_RETIRE, p, def_retired, c);
}

/* ---- values ---- */

typedef struct val_ctx {
    bs_req *req;
    bs_api *api;
    char project[40], block[40]; /* block "" : the project's own values */
    json_t *values;              /* the body's plusvelden (owned) */
    const char *reason;          /* in body (NULL: none) */
    json_t *body;                /* owned */
} val_ctx;

static void val_ctx_free(val_ctx *c) {
    json_decref(c->body);
    free(c);
}

/* The definition of key in defs (SQL_PV_LOAD's array), or NULL. */
static json_t *def_of(json_t *defs, const char *key) {
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) if (strcmp(json_string_value(json_object_get(d, "key")), key) == 0) return d;
    return NULL;
}

/* The compiled pattern of d: from the API's cache, or compiled into *own (freed by the caller) without one. */
static bs_pv_pattern *pattern_of(bs_api *api, json_t *d, bs_pv_pattern **own, bs_err *err) {
    const char *src = json_string_value(json_object_get(d, "pattern"));
    *own = NULL;
    if (!src) return NULL;
    char field[80];
    snprintf(field, sizeof field, "plusvelden.%s", json_string_value(json_object_get(d, "key")));
    if (api->plusveld_cache)
        return bs_pv_cache_get(api->plusveld_cache, json_string_value(json_object_get(d, "id")),
                               (long)json_integer_value(json_object_get(d, "version")), src, field, err);
    if (bs_pv_pattern_compile(src, strlen(src), field, own, err) != 0) return NULL;
    return *own;
}

/* Checks one value of the body against its definition; 0 or a BS_E* code with err. */
static int check_one(bs_api *api, json_t *defs, const char *key, json_t *v, bs_err *err) {
    char field[80];
    snprintf(field, sizeof field, "plusvelden.%.60s", key);
    json_t *d = def_of(defs, key);
    if (!d)
        return bs_err_problem(err, BS_EINVAL, "unknown_field", "Unknown plusveld", field,
                              "%s: the project's organisation has no active plusveld %.60s for this kind of object",
                              field, key);
    const char *cats[BS_PV_MAX_CATEGORIES];
    bs_pv_def def;
    bs_pv_def_from_json(d, &def, cats);
    bs_pv_pattern *own = NULL;
    if (json_string_value(json_object_get(d, "pattern"))) {
        def.pattern = pattern_of(api, d, &own, err);
        if (!def.pattern) return err->code ? err->code : BS_EINTERNAL;
    }
    int rc = bs_pv_check_value(&def, v, err);
    bs_pv_pattern_free(own);
    return rc;
}

/* The required check over merged (the values after the write): 0, or BS_EINVAL naming the first missing field. */
static int check_required(json_t *defs, json_t *merged, json_t *done, bs_err *err) {
    const char *steps[512];
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(done) && n < 512; i++)
        steps[n++] = json_string_value(json_array_get(done, i));
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) {
        const char *cats[BS_PV_MAX_CATEGORIES];
        bs_pv_def def;
        bs_pv_def_from_json(d, &def, cats);
        json_t *v = json_object_get(merged, def.key);
        if (bs_pv_required_now(&def, steps, n) && (!v || json_is_null(v))) {
            char field[80];
            snprintf(field, sizeof field, "plusvelden.%s", def.key);
            return bs_err_problem(err, BS_EINVAL, "required", "Required plusveld missing", field,
                                  "%s is required%s%s%s", field, def.required_from_step ? " once step " : "",
                                  def.required_from_step ? def.required_from_step : "",
                                  def.required_from_step ? " is done, as it is" : "");
        }
    }
    return 0;
}

static void values_written(const PGresult *res, const char *err, void *arg);

/* After SQL_PV_LOAD: checks every value and the required rule, then appends the changes. */
static void values_loaded(const PGresult *res, const char *err, void *arg) {
    val_ctx *c = arg;
    if (err || PQntuples(res) != 1) {
        bs__send_row0(c->req, res, err, 200, "Not found", NULL, "No such project");
        return val_ctx_free(c);
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Block not found", "block_id",
                    "This project has no block with this id");
        return val_ctx_free(c);
    }
    json_t *defs = json_loads(PQgetvalue(res, 0, 1), 0, NULL), *cur = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
    json_t *done = json_loads(PQgetvalue(res, 0, 3), 0, NULL), *changes = json_array();
    bs_err e = {0};
    const char *k;
    json_t *v;
    json_object_foreach(c->values, k, v) {
        if (check_one(c->api, defs, k, v, &e) != 0) break;
        json_t *d = def_of(defs, k);
        json_array_append_new(changes, json_pack("{sOsOsO}", "definition_id", json_object_get(d, "id"), "version",
                                                 json_object_get(d, "version"), "value", v));
        if (json_is_null(v))
            json_object_del(cur, k);
        else
            json_object_set(cur, k, v);
    }
    if (!e.code) check_required(defs, cur, done, &e);
    if (e.code) {
        bs__fail_err(c->req, &e, NULL);
        val_ctx_free(c);
    } else {
        char *ch = bs_json_dumps(changes, JSON_COMPACT), day[11];
        bs_date_format(c->api->today(c->api->today_arg), day);
        const char *p[6] = {c->project, c->block[0] ? c->block : NULL, ch, day,
                            c->reason,  bs__principal(c->req)->email};
        json_object_set(c->body, "current", cur); /* the answer after the commit */
        bs__store_write(c->api, c->req, &SQL_PV_WRITE, p, values_written, c);
        free(ch);
    }
    json_decref(defs);
    json_decref(cur);
    json_decref(done);
    json_decref(changes);
}

static void values_written(const PGresult *res, const char *err, void *arg) {
    val_ctx *c = arg;
    if (err && strstr(err, "_fkey"))
        bs__fail_as(c->req, BS_ECONFLICT, "changed", "Changed meanwhile", "plusvelden",
                    "the block or a definition was removed meanwhile; read the form again");
    else if (err || PQntuples(res) != 1)
        bs__send_row0(c->req, res, err, 200, "Not found", NULL, "No such project");
    else if (strcmp(PQgetvalue(res, 0, 0), "0") != 0)
        bs__fail_as(c->req, BS_ECONFLICT, "changed", "Changed meanwhile", "plusvelden",
                    "a plusveld was changed or retired meanwhile; read the form again");
    else {
        json_t *o = json_object();
        json_object_set_new(o, "project_id", json_string(c->project));
        json_object_set_new(o, "block_id", c->block[0] ? json_string(c->block) : json_null());
        json_object_set(o, "plusvelden", json_object_get(c->body, "current"));
        json_object_set_new(o, "missing_required", json_array());
        json_object_set_new(o, "changed", json_integer(atol(PQgetvalue(res, 0, 1))));
        bs__respond_json(c->req, 200, o);
    }
    val_ctx_free(c);
}

/* The write of a project's (block NULL) or block's values: body {"plusvelden": {key: value|null}, "reason"}. */
static void write_values(bs_api *api, bs_req *req, const bs_path *path, const char *block) {
    static const char *const allowed[] = {"plusvelden", "reason", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *reason = NULL;
    json_t *vals = json_object_get(doc, "plusvelden");
    if (!vals || !json_is_object(vals) || json_object_size(vals) == 0 ||
        json_object_size(vals) > PV_MAX_VALUES_PER_WRITE) {
        bs__fail(req, vals ? BS_EINVAL : BS_EREQUIRED, "plusvelden",
                 "plusvelden must be an object of 1 to %d members key: value (null clears a value)",
                 PV_MAX_VALUES_PER_WRITE);
        json_decref(doc);
        return;
    }
    if (!bs__reason_field(req, doc, false, &reason)) {
        json_decref(doc);
        return;
    }
    val_ctx *c = bs_calloc(1, sizeof *c);
    c->req = req;
    c->api = api;
    c->body = doc;
    c->values = vals;
    c->reason = reason;
    lower_id(path->project, c->project);
    if (block) lower_id(block, c->block);
    const char *p[2] = {c->project, block ? c->block : NULL};
    bs_store_exec(api->store, &SQL_PV_LOAD, p, values_loaded, c);
}

static void values_read(const PGresult *res, const char *err, void *arg) {
    bs_req *req = arg;
    if (!err && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
        return bs__fail_as(req, BS_ENOTFOUND, NULL, "Block not found", "block_id",
                           "This project has no block with this id");
    if (err || PQntuples(res) != 1) return bs__send_row0(req, res, err, 200, "Not found", NULL, "No such project");
    bs_req_respond(req, 200, JSON_CT, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1), NULL);
}

/* The read of a project's (block NULL) or block's values, ?known_on=YYYY-MM-DD for the values as known then. */
static void read_values(bs_api *api, bs_req *req, const bs_path *path, const char *block) {
    char kbuf[16];
    bool has = false;
    bs_day day;
    if (!bs__text_param(req, "known_on", kbuf, sizeof kbuf, &has)) return;
    if (has && bs_date_parse(kbuf, &day) != 0)
        return bs__fail(req, BS_EBADPARAM, "known_on", "known_on must be a date YYYY-MM-DD");
    const char *p[3] = {path->project, block, has ? kbuf : NULL};
    bs_store_exec(api->store, &SQL_PV_READ, p, values_read, req);
}

/* GET /api/v1/projects/{id}/plusvelden */
void bs__get_project_plusvelden(bs_api *api, bs_req *req, const bs_path *path) {
    read_values(api, req, path, NULL);
}

/* PATCH /api/v1/projects/{id}/plusvelden */
void bs__patch_project_plusvelden(bs_api *api, bs_req *req, const bs_path *path) {
    write_values(api, req, path, NULL);
}

/* GET /api/v1/projects/{id}/blocks/{block_id}/plusvelden */
void bs__get_block_plusvelden(bs_api *api, bs_req *req, const bs_path *path) {
    read_values(api, req, path, path->ref);
}

/* PATCH /api/v1/projects/{id}/blocks/{block_id}/plusvelden */
void bs__patch_block_plusvelden(bs_api *api, bs_req *req, const bs_path *path) {
    write_values(api, req, path, path->ref);
}

/* GET /api/v1/projects/{id}/plusvelden/history: every value ever written, retired fields included. */
void bs__get_plusvelden_history(bs_api *api, bs_req *req, const bs_path *path) {
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const char *p[3] = {path->project, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_PV_HISTORY, p, bs__page_query_done, pg);
}
