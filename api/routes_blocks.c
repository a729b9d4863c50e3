/*
 * Routes of woningblokken (issue 18 item 1; docs/blocks.md): a project's blocks of homes —
 * list, add, change, delete. The gate has checked the project and the caller's access (read
 * for the list, write for the changes, as the other project sub-resources); every write runs
 * through bs__store_write, so the audit trigger records its actor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api_internal.h"
#include "authz.h"
#include "handlers.h"
#include "paging.h"
#include "routes_blocks_sql.h"

typedef struct block_ctx {
    bs_req *req;
    int status; /* of a successful answer */
} block_ctx;

static const char *const KINDS[] = {"nieuwbouw", "transformatie", "sloop", NULL};
static const char *const HOME_TYPES[] = {"grondgebonden", "meergezins", "onbekend", NULL};
static const char *const TENURES[] = {"huur", "koop", "onbekend", NULL};
static const char *const PRICE_CLASSES[] = {"koop1", "koop2", "koop3", "koop4",    "koop_onb", "huur1",
                                            "huur2", "huur3", "huur4", "huur_onb", "onbekend", NULL};
static const char *const MEMBERS[] = {"homes",       "kind",         "home_type", "tenure",
                                      "price_class", "target_group", "milestone", "period_from",
                                      "period_to",   "correction",   "spread",    NULL};

/* An optional integer member in [min, max]; nullable: null allowed. false after a 422 problem. */
static bool int_member(bs_req *req, json_t *doc, const char *name, long min, long max, bool nullable) {
    json_t *v = json_object_get(doc, name);
    if (!v || (nullable && json_is_null(v))) return true;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        bs__fail(req, BS_EINVAL, name, "%s must be an integer from %ld to %ld%s", name, min, max,
                 nullable ? " or null" : "");
        return false;
    }
    return true;
}

/* An optional code-list member (a string of allowed; never null). false after a 422 problem. */
static bool code_member(bs_req *req, json_t *doc, const char *name, const char *const *allowed) {
    json_t *v = json_object_get(doc, name);
    if (!v) return true;
    if (!json_is_string(v)) return bs__one_of(req, name, "", allowed);
    return bs__one_of(req, name, json_string_value(v), allowed);
}

/* Whether key is a milestone step of a loaded process schema version (every project plans with one). */
static bool is_milestone(const bs_engine *e, const char *key) {
    for (int i = 0; i < e->n_schemas; i++) {
        const bs_schema *sc = e->schemas[i].schema;
        for (int32_t j = 0; j < sc->n_steps; j++)
            if (sc->steps[j].milestone && strcmp(sc->steps[j].key, key) == 0) return true;
    }
    for (const bs_engine_version *v = bs_engine_deployed(e); v; v = v->next) /* and the deployed versions */
        for (int32_t j = 0; j < v->es.schema->n_steps; j++)
            if (v->es.schema->steps[j].milestone && strcmp(v->es.schema->steps[j].key, key) == 0) return true;
    return false;
}

/* A milestone: the key of a milestone step of the process (1 to 100 bytes). */
static bool milestone_member(bs_req *req, const bs_engine *e, json_t *doc) {
    json_t *v = json_object_get(doc, "milestone");
    if (!v) return true;
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    size_t n = strlen(s);
    if (n == 0 || n > 100 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != n) {
        bs__fail(req, BS_EINVAL, "milestone", "milestone must be a step key (a-z, 0-9, _; 1 to 100 bytes)");
        return false;
    }
    if (!is_milestone(e, s)) {
        bs__fail(req, BS_EINVAL, "milestone",
                 "milestone must be a milestone of the process (e.g. start_bouw, "
                 "laatste_oplevering); %s is not one",
                 s);
        return false;
    }
    return true;
}

/* The target group: a string of 1 to 200 bytes, or null (none). */
static bool target_group_member(bs_req *req, json_t *doc) {
    json_t *v = json_object_get(doc, "target_group");
    if (!v || json_is_null(v)) return true;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200) {
        bs__fail(req, BS_EINVAL, "target_group", "target_group must be a string of 1 to 200 bytes or null");
        return false;
    }
    return true;
}

/* One entry i of a spread: {"year": 1900..2200, "percent": 1..100}, its year not in seen[0..i). */
static bool spread_entry(bs_req *req, json_t *e, size_t i, const json_int_t *seen) {
    static const char *const members[] = {"year", "percent", NULL};
    char field[48];
    snprintf(field, sizeof field, "spread[%zu]", i);
    if (!json_is_object(e)) {
        bs__fail(req, BS_EINVAL, field, "%s must be an object {\"year\": ..., \"percent\": ...}", field);
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach(e, k, v) {
        size_t m = 0;
        while (members[m] && strcmp(members[m], k) != 0) m++;
        if (!members[m]) {
            snprintf(field, sizeof field, "spread[%zu].%.20s", i, k);
            bs__fail(req, BS_EINVAL, field, "%s is not a member of a spread entry (year, percent)", field);
            return false;
        }
    }
    json_t *y = json_object_get(e, "year"), *pc = json_object_get(e, "percent");
    snprintf(field, sizeof field, "spread[%zu].year", i);
    if (!json_is_integer(y) || json_integer_value(y) < 1900 || json_integer_value(y) > 2200) {
        bs__fail(req, BS_EINVAL, field, "%s must be a year from 1900 to 2200", field);
        return false;
    }
    for (size_t j = 0; j < i; j++)
        if (seen[j] == json_integer_value(y)) {
            bs__fail(req, BS_EINVAL, field, "%s: the year %lld is already in the spread", field,
                     (long long)json_integer_value(y));
            return false;
        }
    snprintf(field, sizeof field, "spread[%zu].percent", i);
    if (!json_is_integer(pc) || json_integer_value(pc) < 1 || json_integer_value(pc) > 100) {
        bs__fail(req, BS_EINVAL, field, "%s must be an integer from 1 to 100", field);
        return false;
    }
    return true;
}

/* spread: absent, null (delivered with its milestone) or an array of 1 to 100 entries
 * {"year", "percent"} with distinct years whose percents sum to exactly 100 (migration 0037). */
static bool spread_member(bs_req *req, json_t *doc) {
    json_t *v = json_object_get(doc, "spread");
    if (!v || json_is_null(v)) return true;
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 100) {
        bs__fail(req, BS_EINVAL, "spread", "spread must be null or an array of 1 to 100 {year, percent} entries");
        return false;
    }
    json_int_t seen[100], sum = 0;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!spread_entry(req, e, i, seen)) return false;
        seen[i] = json_integer_value(json_object_get(e, "year"));
        sum += json_integer_value(json_object_get(e, "percent"));
    }
    if (sum != 100) {
        bs__fail(req, BS_EINVAL, "spread", "the percents of spread must sum to exactly 100, not %lld", (long long)sum);
        return false;
    }
    return true;
}

/* Validates the body of a POST (create: homes required) or PATCH. The body as compact JSON
 * (caller frees), or NULL after a problem naming the field. */
static char *decode_block(bs_req *req, const bs_engine *e, bool create) {
    json_t *doc = bs__body_object(req, MEMBERS);
    if (!doc) return NULL;
    json_t *homes = json_object_get(doc, "homes");
    json_t *corr = json_object_get(doc, "correction");
    bool ok = true;
    if (create && !homes) {
        bs__fail(req, BS_EREQUIRED, "homes", "homes is required: the number of homes of the block");
        ok = false;
    }
    ok = ok && int_member(req, doc, "homes", -1000000, 1000000, false);
    if (ok && homes && json_integer_value(homes) == 0) {
        bs__fail(req, BS_EINVAL, "homes", "homes must not be 0");
        ok = false;
    }
    if (ok && corr && !json_is_boolean(corr)) {
        bs__fail(req, BS_EINVAL, "correction", "correction must be true or false");
        ok = false;
    }
    if (ok && homes && json_integer_value(homes) < 0 && !json_is_true(corr) && create) {
        bs__fail(req, BS_EINVAL, "homes", "homes must be positive; only a correction block has negative homes");
        ok = false;
    }
    ok = ok && code_member(req, doc, "kind", KINDS) && code_member(req, doc, "home_type", HOME_TYPES) &&
         code_member(req, doc, "tenure", TENURES) && code_member(req, doc, "price_class", PRICE_CLASSES) &&
         target_group_member(req, doc) && milestone_member(req, e, doc) &&
         int_member(req, doc, "period_from", 1900, 2200, true) && int_member(req, doc, "period_to", 1900, 2200, true) &&
         spread_member(req, doc);
    char *text = ok ? bs_json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

/* The field a violated table constraint is about (migration 0031), or NULL. */
static const char *constraint_field(const char *err) {
    if (strstr(err, "project_blocks_homes")) return "homes";
    if (strstr(err, "project_blocks_period")) return "period_to";
    if (strstr(err, "project_blocks_price_tenure")) return "price_class";
    if (strstr(err, "project_blocks_spread")) return "spread";
    return NULL;
}

static void block_written(const PGresult *res, const char *err, void *arg) {
    block_ctx *c = arg;
    const char *field = err ? constraint_field(err) : NULL;
    if (field)
        bs__fail(c->req, BS_EINVAL, field, "the block's %s does not fit its other members (%s)", field,
                 strcmp(field, "homes") == 0         ? "negative homes only in a correction block"
                 : strcmp(field, "price_class") == 0 ? "a koop class needs tenure koop, a huur class tenure huur"
                 : strcmp(field, "spread") == 0      ? "years distinct, percents 1 to 100 summing to 100"
                                                     : "period_to must not be before period_from");
    else
        bs__send_row0(c->req, res, err, c->status, "Block not found", "block_id",
                      "This project has no block with this id");
    free(c);
}

static block_ctx *ctx_new(bs_req *req, int status) {
    block_ctx *c = bs_calloc(1, sizeof *c);
    c->req = req;
    c->status = status;
    return c;
}

void bs__list_blocks(bs_api *api, bs_req *req, const bs_path *path) {
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const char *p[3] = {path->project, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_BLOCK_LIST, p, bs__page_query_done, pg);
}

void bs__add_block(bs_api *api, bs_req *req, const bs_path *path) {
    char *body = decode_block(req, api->engine, true);
    if (!body) return;
    const char *p[2] = {path->project, body};
    bs__store_write(api, req, &SQL_BLOCK_INSERT, p, block_written, ctx_new(req, 201));
    free(body);
}

void bs__patch_block(bs_api *api, bs_req *req, const bs_path *path) {
    char *body = decode_block(req, api->engine, false);
    if (!body) return;
    const char *p[3] = {path->ref, path->project, body};
    bs__store_write(api, req, &SQL_BLOCK_UPDATE, p, block_written, ctx_new(req, 200));
    free(body);
}

void bs__delete_block(bs_api *api, bs_req *req, const bs_path *path) {
    const char *p[2] = {path->ref, path->project};
    bs__store_write(api, req, &SQL_BLOCK_DELETE, p, block_written, ctx_new(req, 204));
}
