/*
 * Routes of beleidsdoelen, policy goals (issue 18 item 3; docs/homes-and-goals.md
 * "Beleidsdoelen"):
 *   GET/POST /api/v1/goals, GET/PATCH/DELETE /api/v1/goals/{id}, GET /api/v1/goals/{id}/progress
 *
 * A goal belongs to an organisation: its members (any role but extern) read it, its beheerders
 * and management (the policy advisers and managers) write it. The progress is in
 * routes_goals_progress.c. Every write runs through bs__store_write, so the audit trigger
 * records its actor.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api_internal.h"
#include "authz.h"
#include "handlers.h"
#include "paging.h"
#include "plusveld.h"
#include "routes_goals_sql.h"

const bs_stmt SQL_GOAL_GET = {"goal_get", SQL_GOAL_GET_TEXT, 2};

static const char *const MEMBERS[] = {"organisation_id", "name",    "measure",    "direction", "target", "period",
                                      "year_from",       "year_to", "conditions", "gemeenten", NULL};
static const char *const MEASURES[] = {"homes", "percentage", NULL};
static const char *const DIRECTIONS[] = {"minimum", "maximum", NULL};
static const char *const PERIODS[] = {"by_year", "per_year", NULL};
static const char *const PLANSTATUS[] = {"1A", "1B", "1C", "2A", "2B", "2C", "3", "4A", "4B", "onbekend", NULL};
static const char *const PLANTYPES[] = {"uitleg", "verdichting", "transformatie", "herstructurering", "onbekend", NULL};
static const char *const KINDS[] = {"nieuwbouw", "transformatie", "sloop", NULL};
static const char *const HOME_TYPES[] = {"grondgebonden", "meergezins", "onbekend", NULL};
static const char *const TENURES[] = {"huur", "koop", "onbekend", NULL};
static const char *const PRICE_CLASSES[] = {"koop1", "koop2", "koop3", "koop4",    "koop_onb", "huur1",
                                            "huur2", "huur3", "huur4", "huur_onb", "onbekend", NULL};

/* The conditions a goal takes: a code list (NULL: free text of 1 to 200 bytes). The plusvelden
 * condition (an object, checked against the organisation's definitions once they are loaded:
 * plusvelden_checked) is handled apart. */
static const struct {
    const char *name;
    const char *const *codes;
} CONDITIONS[] = {{"planstatus", PLANSTATUS},
                  {"plantype", PLANTYPES},
                  {"gemeente", NULL},
                  {"kind", KINDS},
                  {"home_type", HOME_TYPES},
                  {"tenure", TENURES},
                  {"price_class", PRICE_CLASSES},
                  {"target_group", NULL}};

/* One member of conditions: a non-empty array (at most 100) of allowed values. field: "conditions.<name>". */
static bool condition_values(bs_req *req, const char *field, json_t *v, const char *const *codes) {
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 100) {
        bs__fail(req, BS_EINVAL, field, "%s must be an array of 1 to 100 values", field);
        return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        const char *s = json_is_string(e) ? json_string_value(e) : "";
        if (codes) {
            if (!bs__one_of(req, field, s, codes)) return false;
        } else if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > 200) {
            bs__fail(req, BS_EINVAL, field, "every value of %s must be a string of 1 to 200 bytes", field);
            return false;
        }
    }
    return true;
}

/* The conditions object: known members only (an unknown one, e.g. a plusveld, is a 422 naming it). */
static bool conditions_member(bs_req *req, json_t *doc) {
    json_t *c = json_object_get(doc, "conditions");
    if (!c) return true;
    if (!json_is_object(c)) {
        bs__fail(req, BS_EINVAL, "conditions", "conditions must be an object of code lists");
        return false;
    }
    const char *k;
    json_t *v;
    json_object_foreach(c, k, v) {
        char field[160];
        snprintf(field, sizeof field, "conditions.%.100s", k);
        if (strcmp(k, "plusvelden") == 0) {
            if (!json_is_object(v) || json_object_size(v) > 50) {
                bs__fail(req, BS_EINVAL, field, "%s must be an object of at most 50 plusveld keys", field);
                return false;
            }
            continue;
        }
        size_t i = 0, n = sizeof CONDITIONS / sizeof CONDITIONS[0];
        while (i < n && strcmp(CONDITIONS[i].name, k) != 0) i++;
        if (i == n) {
            bs__fail(req, BS_EINVAL, field,
                     "%s is not a condition; conditions are planstatus, plantype, gemeente, kind, home_type, "
                     "tenure, price_class, target_group, plusvelden",
                     field);
            return false;
        }
        if (!condition_values(req, field, v, CONDITIONS[i].codes)) return false;
    }
    return true;
}

/* gemeenten: null (the organisation's own projects) or 1 to 500 gemeente names (a region). */
static bool gemeenten_member(bs_req *req, json_t *doc) {
    json_t *v = json_object_get(doc, "gemeenten");
    if (!v || json_is_null(v)) return true;
    if (json_is_array(v) && json_array_size(v) > 500) {
        bs__fail(req, BS_EINVAL, "gemeenten", "gemeenten takes at most 500 names");
        return false;
    }
    return condition_values(req, "gemeenten", v, NULL);
}

/* An optional code-list member (a string of allowed; never null). */
static bool code_member(bs_req *req, json_t *doc, const char *name, const char *const *allowed) {
    json_t *v = json_object_get(doc, name);
    if (!v) return true;
    return bs__one_of(req, name, json_is_string(v) ? json_string_value(v) : "", allowed);
}

/* An optional year member, 1900..2200; nullable: null allowed. */
static bool year_member(bs_req *req, json_t *doc, const char *name, bool nullable) {
    json_t *v = json_object_get(doc, name);
    if (!v || (nullable && json_is_null(v))) return true;
    if (!json_is_integer(v) || json_integer_value(v) < 1900 || json_integer_value(v) > 2200) {
        bs__fail(req, BS_EINVAL, name, "%s must be a year from 1900 to 2200%s", name, nullable ? " or null" : "");
        return false;
    }
    return true;
}

/* target: a number >= 0 (homes, or percent up to 100 when the body's measure is percentage). */
static bool target_member(bs_req *req, json_t *doc) {
    json_t *v = json_object_get(doc, "target");
    if (!v) return true;
    json_t *m = json_object_get(doc, "measure");
    bool pct = json_is_string(m) && strcmp(json_string_value(m), "percentage") == 0;
    double t = json_is_number(v) ? json_number_value(v) : -1;
    if (!json_is_number(v) || !isfinite(t) || t < 0 || t > (pct ? 100 : 1e8)) {
        bs__fail(req, BS_EINVAL, "target", "target must be a number from 0 to %s",
                 pct ? "100 (percent)" : "10^8 (homes)");
        return false;
    }
    return true;
}

/* The years of a new goal: by_year takes year_to only; per_year year_from <= year_to, < 100 years. */
static bool years_of_new(bs_req *req, json_t *doc) {
    json_t *per = json_object_get(doc, "period"), *yf = json_object_get(doc, "year_from");
    bool per_year = json_is_string(per) && strcmp(json_string_value(per), "per_year") == 0;
    if (!json_object_get(doc, "year_to")) {
        bs__fail(req, BS_EREQUIRED, "year_to", "year_to is required: the year by which (or up to which) it counts");
        return false;
    }
    if (!per_year && yf && !json_is_null(yf)) {
        bs__fail(req, BS_EINVAL, "year_from", "year_from belongs to a goal per year (period per_year)");
        return false;
    }
    if (per_year && (!yf || json_is_null(yf))) {
        bs__fail(req, BS_EREQUIRED, "year_from", "a goal per year needs year_from, the first year");
        return false;
    }
    json_int_t a = per_year ? json_integer_value(yf) : 0, b = json_integer_value(json_object_get(doc, "year_to"));
    if (per_year && (b < a || b - a >= 100)) {
        bs__fail(req, BS_EINVAL, "year_to", "year_to must be from year_from to 99 years after it");
        return false;
    }
    return true;
}

/* Validates the body of a POST (create) or PATCH. The body as compact JSON (caller frees), or
 * NULL after a problem naming the field. */
static char *decode_goal(bs_req *req, bool create) {
    json_t *doc = bs__body_object(req, MEMBERS);
    if (!doc) return NULL;
    const char *s;
    bool ok = true;
    if (create) {
        ok = bs__uuid_field(req, doc, "organisation_id", true, &s) && bs__str_field(req, doc, "name", true, 200, &s);
        if (ok && !json_object_get(doc, "target")) {
            bs__fail(req, BS_EREQUIRED, "target", "target is required: the number of homes or the percentage");
            ok = false;
        }
    } else if (json_object_get(doc, "organisation_id")) {
        bs__fail(req, BS_EINVAL, "organisation_id", "a goal's organisation does not change; make a new goal");
        ok = false;
    }
    ok = ok && bs__str_field(req, doc, "name", false, 200, &s) && code_member(req, doc, "measure", MEASURES) &&
         code_member(req, doc, "direction", DIRECTIONS) && code_member(req, doc, "period", PERIODS) &&
         target_member(req, doc) && year_member(req, doc, "year_from", true) &&
         year_member(req, doc, "year_to", false) && conditions_member(req, doc) && gemeenten_member(req, doc);
    ok = ok && (!create || years_of_new(req, doc));
    char *text = ok ? bs_json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

/* ---- plusveld conditions (migration 0037; docs/homes-and-goals.md "Beleidsdoelen") ---- */

/* The definition of key in defs (SQL_GOAL_PV_DEFS's array), or NULL. */
static const json_t *pv_def_of(const json_t *defs, const char *key) {
    size_t i;
    const json_t *d;
    json_array_foreach(defs, i, d) if (strcmp(json_string_value(json_object_get(d, "key")), key) == 0) return d;
    return NULL;
}

/* A number range {"min": a, "max": b} (either may be null or absent, not both) of a number field. */
static int pv_range(json_t *c, const char *field, bs_pv_type t, bs_err *err) {
    if (t != BS_PV_INTEGER && t != BS_PV_DECIMAL)
        return bs_err_set(err, BS_EINVAL, field, "%s: a range {min, max} is only for integer and decimal plusvelden",
                          field);
    const char *k;
    json_t *v;
    bool any = false;
    json_object_foreach(c, k, v) {
        if (strcmp(k, "min") != 0 && strcmp(k, "max") != 0)
            return bs_err_set(err, BS_EINVAL, field, "%s: a range takes only min and max", field);
        if (!json_is_null(v) && !json_is_number(v))
            return bs_err_set(err, BS_EINVAL, field, "%s: %s must be a number or null", field, k);
        any = any || json_is_number(v);
    }
    const json_t *lo = json_object_get(c, "min"), *hi = json_object_get(c, "max");
    if (!any) return bs_err_set(err, BS_EINVAL, field, "%s: a range needs min, max or both", field);
    if (json_is_number(lo) && json_is_number(hi) && json_number_value(lo) > json_number_value(hi))
        return bs_err_set(err, BS_EINVAL, field, "%s: min must not be above max", field);
    return BS_OK;
}

/* One value v of a condition on definition d: checked with the plusveld validator for its type
 * (categories included; not its range or pattern: a value outside them just matches nothing).
 * A multi_category condition names one category (a value that holds it matches). */
static int pv_value(const json_t *d, const json_t *v, const char *field, bs_err *err) {
    const char *cats[BS_PV_MAX_CATEGORIES];
    bs_pv_def def;
    json_t *shape = json_pack("{s:O,s:O,s:O*}", "key", json_object_get(d, "key"), "type", json_object_get(d, "type"),
                              "categories", json_object_get(d, "categories"));
    int rc = shape && bs_pv_def_from_json(shape, &def, cats) == 0 ? BS_OK : BS_EINTERNAL;
    if (rc == BS_OK && json_is_null(v))
        rc = bs_err_set(err, BS_EINVAL, field, "%s: a condition value is not null", field);
    if (rc == BS_OK) {
        if (def.type == BS_PV_MULTI_CATEGORY) def.type = BS_PV_CATEGORY;
        rc = bs_pv_check_value(&def, v, err);
        if (rc != BS_OK) snprintf(err->field, sizeof err->field, "%s", field);
    } else if (rc == BS_EINTERNAL) {
        bs_err_set(err, BS_EINTERNAL, field, "the definition of %s could not be read", field);
    }
    json_decref(shape);
    return rc;
}

/* Checks conditions.plusvelden (cond: key -> value | [values] | {min, max}) against defs, the
 * organisation's definitions (retired ones flagged). 0, or a BS_E* code with err naming
 * conditions.plusvelden.<key>: an unknown or retired key, a wrong type or category, a bad range. */
static int plusvelden_checked(json_t *cond, const json_t *defs, bs_err *err) {
    const char *k;
    json_t *c;
    json_object_foreach(cond, k, c) {
        char field[96];
        snprintf(field, sizeof field, "conditions.plusvelden.%.60s", k);
        const json_t *d = pv_def_of(defs, k);
        if (!d)
            return bs_err_problem(err, BS_EINVAL, "unknown_field", "Unknown plusveld", field,
                                  "%s: the goal's organisation has no plusveld %.60s", field, k);
        if (json_is_true(json_object_get(d, "retired")))
            return bs_err_problem(err, BS_EINVAL, "retired_field", "Retired plusveld", field,
                                  "%s: the plusveld %.60s is retired and is no longer a condition", field, k);
        bs_pv_type t;
        if (bs_pv_type_parse(json_string_value(json_object_get(d, "type")), &t) != 0)
            return bs_err_set(err, BS_EINTERNAL, field, "the type of %s is unknown", field);
        int rc = BS_OK;
        if (json_is_object(c)) {
            rc = pv_range(c, field, t, err);
        } else if (json_is_array(c)) {
            if (json_array_size(c) == 0 || json_array_size(c) > 100)
                return bs_err_set(err, BS_EINVAL, field, "%s: a list of values takes 1 to 100 values", field);
            size_t i;
            json_t *v;
            json_array_foreach(c, i, v) if (rc == BS_OK) rc = pv_value(d, v, field, err);
        } else {
            rc = pv_value(d, c, field, err);
        }
        if (rc != BS_OK) return rc;
    }
    return BS_OK;
}

/* The field a violated table constraint is about (migration 0034), or NULL. */
static const char *constraint_field(const char *err) {
    if (strstr(err, "policy_goals_percentage")) return "target";
    if (strstr(err, "policy_goals_years")) return "year_from";
    return NULL;
}

typedef struct goal_ctx {
    bs_req *req;
    int status;
} goal_ctx;

static goal_ctx *ctx_new(bs_req *req, int status) {
    goal_ctx *c = bs_calloc(1, sizeof *c);
    c->req = req;
    c->status = status;
    return c;
}

static void goal_created(const PGresult *res, const char *err, void *arg) {
    goal_ctx *c = arg;
    const char *field = err ? constraint_field(err) : NULL;
    if (field)
        bs__fail(c->req, BS_EINVAL, field, "the goal's %s does not fit its other members", field);
    else if (!err && PQntuples(res) == 0)
        bs__fail(c->req, BS_EFORBIDDEN, "organisation_id",
                 "only a beheerder or management member of the organisation may set its goals");
    else
        bs__send_row0(c->req, res, err, c->status, "Goal not found", "id", "No goal with this id");
    free(c);
}

/* PATCH and DELETE: column 0 the answer (NULL: not written), column 1 whether the caller may read the goal. */
static void goal_changed(const PGresult *res, const char *err, void *arg) {
    goal_ctx *c = arg;
    const char *field = err ? constraint_field(err) : NULL;
    if (field)
        bs__fail(c->req, BS_EINVAL, field, "the goal's %s does not fit its other members (%s)", field,
                 strcmp(field, "target") == 0 ? "a percentage is at most 100"
                                              : "by_year takes no year_from; per_year needs year_from <= year_to");
    else if (!err && PQntuples(res) == 1 && PQgetisnull(res, 0, 0) && PQgetvalue(res, 0, 1)[0] == 't')
        bs__fail(c->req, BS_EFORBIDDEN, "id",
                 "only a beheerder or management member of the organisation may change its goals");
    else
        bs__send_row0(c->req, res, err, c->status, "Goal not found", "id", "No goal with this id");
    free(c);
}

static void goal_read(const PGresult *res, const char *err, void *arg) {
    goal_ctx *c = arg;
    bs__send_row0(c->req, res, err, 200, "Goal not found", "id", "No goal with this id");
    free(c);
}

void bs__list_goals(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char org[64];
    bool has_org;
    if (!bs__text_param(req, "organisation_id", org, sizeof org, &has_org)) return;
    if (has_org && !bs_is_uuid(org)) return bs__fail(req, BS_EBADPARAM, "organisation_id", "organisation_id is a UUID");
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    bs__page_keep(pg, "organisation_id", has_org ? org : NULL);
    const char *p[4] = {bs__principal(req)->user_id, has_org ? org : NULL, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_GOAL_LIST, p, bs__page_query_done, pg);
}

void bs__get_goal(bs_api *api, bs_req *req, const bs_path *path) {
    const char *p[2] = {path->ref, bs__principal(req)->user_id};
    bs_store_exec(api->store, &SQL_GOAL_GET, p, goal_read, ctx_new(req, 200));
}

/* A create or change waiting for the organisation's plusveld definitions. */
typedef struct pv_wait {
    bs_api *api;
    bs_req *req;
    char *body; /* owned: the validated body */
    char goal[40];
    bool create;
} pv_wait;

/* Writes the validated body (the create or the change). */
static void goal_write(bs_api *api, bs_req *req, bool create, const char *goal, const char *body) {
    if (create) {
        const char *p[2] = {bs__principal(req)->user_id, body};
        bs__store_write(api, req, &SQL_GOAL_INSERT, p, goal_created, ctx_new(req, 201));
    } else {
        const char *p[3] = {goal, bs__principal(req)->user_id, body};
        bs__store_write(api, req, &SQL_GOAL_UPDATE, p, goal_changed, ctx_new(req, 200));
    }
}

/* SQL_GOAL_PV_DEFS answered: check the plusveld conditions, then write. Without the right to write
 * (NULL definitions) the write itself answers 403 or 404 and stores nothing. */
static void pv_defs_loaded(const PGresult *res, const char *err, void *arg) {
    pv_wait *w = arg;
    if (err) {
        bs__problem_db(w->req, err);
    } else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
        goal_write(w->api, w->req, w->create, w->goal, w->body);
    } else {
        json_t *defs = json_loads(PQgetvalue(res, 0, 0), 0, NULL), *body = json_loads(w->body, 0, NULL);
        bs_err e = {0};
        int rc = defs && body
                     ? plusvelden_checked(json_object_get(json_object_get(body, "conditions"), "plusvelden"), defs, &e)
                     : bs_err_set(&e, BS_EINTERNAL, NULL, "the definitions could not be read");
        if (rc == BS_OK)
            goal_write(w->api, w->req, w->create, w->goal, w->body);
        else
            bs__fail_err(w->req, &e, NULL);
        json_decref(defs);
        json_decref(body);
    }
    free(w->body);
    free(w);
}

/* Writes body, after checking its plusveld conditions (when it has any) against the definitions
 * of the goal's organisation (org for a create, the organisation of goal for a change). */
static void goal_write_checked(bs_api *api, bs_req *req, bool create, const char *goal, char *body) {
    json_t *doc = json_loads(body, 0, NULL);
    const json_t *pv = json_object_get(json_object_get(doc, "conditions"), "plusvelden");
    if (json_object_size(pv) == 0) {
        goal_write(api, req, create, goal, body);
        json_decref(doc);
        return free(body);
    }
    pv_wait *w = bs_calloc(1, sizeof *w);
    w->api = api;
    w->req = req;
    w->body = body;
    w->create = create;
    snprintf(w->goal, sizeof w->goal, "%s", goal ? goal : "");
    const char *org = create ? json_string_value(json_object_get(doc, "organisation_id")) : NULL;
    const char *p[3] = {org, create ? NULL : goal, bs__principal(req)->user_id};
    bs_store_exec(api->store, &SQL_GOAL_PV_DEFS, p, pv_defs_loaded, w);
    json_decref(doc);
}

void bs__create_goal(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char *body = decode_goal(req, true);
    if (body) goal_write_checked(api, req, true, NULL, body);
}

void bs__patch_goal(bs_api *api, bs_req *req, const bs_path *path) {
    char *body = decode_goal(req, false);
    if (body) goal_write_checked(api, req, false, path->ref, body);
}

void bs__delete_goal(bs_api *api, bs_req *req, const bs_path *path) {
    const char *p[2] = {path->ref, bs__principal(req)->user_id};
    bs__store_write(api, req, &SQL_GOAL_DELETE, p, goal_changed, ctx_new(req, 204));
}
