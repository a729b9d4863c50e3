/*
 * Routes of alerts and calendar feeds: organisations, users, project roles,
 * follows, alert rules, feed tokens, the alert list, and GET /calendar/{token}.ics.
 * docs/api.md "Alerts and calendar feeds"; docs/notifier.md.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

#include "api_internal.h"
#include "handlers.h"
#include "auth.h"
#include "authz.h"
#include "ical.h"
#include "paging.h"
#include "routes_notify_sql.h"

/* ---- small helpers ---- */

typedef struct req_ctx {
    bs_api *api;
    bs_req *req;
    char a[64], b[64]; /* ids from the path */
    char token_id[40];
    char scope[16], stream[16];
    char *token;           /* owned: a new feed token, shown once */
    const char *fields[4]; /* created_or_conflict: the field of each leading check column */
} req_ctx;

static req_ctx *ctx_new(bs_api *api, bs_req *req) {
    req_ctx *c = bs_calloc(1, sizeof *c);
    c->api = api;
    c->req = req;
    return c;
}

static void ctx_free(req_ctx *c) {
    free(c->token);
    free(c);
}

/* Parses the JSON object body and refuses members not in allowed (NULL-terminated);
 * NULL after sending a 400/415/422 problem. */
json_t *bs__body_object(bs_req *req, const char *const *allowed) {
    size_t len = 0;
    const char *body = bs_req_body(req, &len);
    bs_err err = {0};
    json_t *doc = bs_decode_object(body, len, bs_req_header(req, "content-type"), true, allowed, &err);
    if (!doc) bs__fail_err(req, &err, NULL);
    return doc;
}

bool bs__str_field(bs_req *req, json_t *doc, const char *name, bool required, size_t max, const char **out) {
    bs_err err = {0};
    if (bs_decode_string(doc, name, required, max, out, &err) == 0) return true;
    bs__fail_err(req, &err, NULL);
    return false;
}

bool bs__uuid_field(bs_req *req, json_t *doc, const char *name, bool required, const char **out) {
    bs_err err = {0};
    if (bs_decode_uuid(doc, name, required, out, &err) == 0) return true;
    bs__fail_err(req, &err, NULL);
    return false;
}

bool bs__one_of(bs_req *req, const char *name, const char *v, const char *const *allowed) {
    if (!v) return true;
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(v, allowed[i]) == 0) return true;
    char d[300];
    size_t o = (size_t)snprintf(d, sizeof d, "%s must be one of", name);
    for (size_t i = 0; allowed[i] && o < sizeof d; i++)
        o += (size_t)snprintf(d + o, sizeof d - o, "%s %s", i ? "," : "", allowed[i]);
    bs__fail(req, BS_EINVAL, name, "%s", d);
    return false;
}

/* Sends the JSON text in column 0 of the first row with status, or 404 for no row. */
static void send_row_json(const PGresult *res, const char *err, void *arg) {
    req_ctx *c = arg;
    bs__send_row0(c->req, res, err, 200, "Not found", "id", "No such resource");
    ctx_free(c);
}

static void sha256_hex(const char *s, char out[65]) {
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(s, strlen(s), md, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- organisations and users ---- */

/* Answers the erasure: (not_self, json). Erasing oneself is 409 naming id; no row or a NULL json
 * (unknown user) is 404. */
static void erased(const PGresult *res, const char *err, void *arg) {
    req_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        bs__fail(c->req, BS_ECONFLICT, "id",
                 "An administrator cannot erase themselves: another administrator of the installation must");
    } else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 1)) {
        bs__fail(c->req, BS_ENOTFOUND, "id", "No such user");
    } else {
        const char *text = PQgetvalue(res, 0, 1);
        bs_req_respond(c->req, 200, JSON_CT, text, strlen(text), NULL);
    }
    ctx_free(c);
}

/* POST /api/v1/users/{id}/erase (administrator of the installation): erasure of a person
 * (AVG/GDPR art. 17) by the SQL function bs_erase_user (migration 0016, docs/security.md
 * §8a): name and address removed everywhere, a pseudonym where history and audit need an
 * author, credentials and subscriptions ended, one audit row 'ERASE'. 200 {id, pseudonym,
 * erased_at}; 404 for an unknown user; erasing again answers the same pseudonym; 409 (id) for
 * the caller themselves (so the API never erases the last administrator: the caller is one). */
/* GET /api/v1/users/{id}: yourself, an administrator, or a beheerder of the user's
 * organisation; anyone else gets 404. */
void bs__get_user(bs_api *api, bs_req *req, const bs_path *path) {
    req_ctx *c = ctx_new(api, req);
    const bs_principal *pr = bs__principal(req);
    const char *p[4] = {path->ref, pr->user_id, pr->is_admin ? "t" : "f", pr->beheerder_orgs};
    bs_store_exec(api->store, &SQL_USER_GET, p, send_row_json, c);
}

/* A user's own settings: the user themself or an administrator of the installation (a
 * beheerder reads them with GET /users/{id} but does not choose them for the user). */
static bool own_settings(bs_req *req, const char *user) {
    const bs_principal *pr = bs__principal(req);
    if (pr->is_admin || strcmp(user, pr->user_id) == 0) return true;
    bs__fail(req, BS_EFORBIDDEN, "id", "You can read and change only your own settings");
    return false;
}

/* PATCH /api/v1/users/{id} {"digest"?, "locale"?}: the user's own alert delivery (one morning
 * digest instead of one mail per alert) and mail language; alerts still waiting follow the new
 * digest choice. 200 with the user; 404 for an unknown or erased user. */
void bs__patch_user(bs_api *api, bs_req *req, const bs_path *path) {
    if (!own_settings(req, path->ref)) return;
    static const char *const allowed[] = {"digest", "locale", NULL};
    static const char *const locales[] = {"nl", "en", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *locale;
    json_t *digest = json_object_get(doc, "digest");
    if (!bs__str_field(req, doc, "locale", false, 2, &locale) || !bs__one_of(req, "locale", locale, locales)) {
        json_decref(doc);
        return;
    }
    if (digest && !json_is_boolean(digest)) {
        bs__fail(req, BS_EINVAL, "digest", "digest must be true or false");
        json_decref(doc);
        return;
    }
    req_ctx *c = ctx_new(api, req);
    const char *p[3] = {path->ref, digest ? (json_is_true(digest) ? "true" : "false") : NULL, locale};
    bs__store_write(api, req, &SQL_USER_PATCH, p, send_row_json, c);
    json_decref(doc);
}

/* GET /api/v1/users/{id}/alert-settings: digest, mail language, time zone and the effective
 * rule of every alert kind with its source (user, organisation, default). */
void bs__get_alert_settings(bs_api *api, bs_req *req, const bs_path *path) {
    if (!own_settings(req, path->ref)) return;
    req_ctx *c = ctx_new(api, req);
    const char *p[1] = {path->ref};
    bs_store_exec(api->store, &SQL_ALERT_SETTINGS, p, send_row_json, c);
}

void bs__erase_user(bs_api *api, bs_req *req, const bs_path *path) {
    const char *id = path->ref;
    req_ctx *c = ctx_new(api, req);
    const bs_principal *pr = bs__principal(req);
    const char *p[2] = {id, pr->user_id};
    bs__store_write(api, req, &SQL_USER_ERASE, p, erased, c);
}

static const char *const org_kinds[] = {"gemeente",  "ontwikkelaar", "woningcorporatie", "belegger",
                                        "provincie", "rijk",         "overig",           NULL};

/* Answers an insert whose statement returns (check…, json): every leading boolean column that
 * is false fails with its field from c->fields (404 when the field is "id", else 422); a NULL
 * json is a conflict (409 naming c->b); else 201 with the json. */
static void created_or_conflict(const PGresult *res, const char *err, void *arg) {
    req_ctx *c = arg;
    int last = err ? 0 : PQnfields(res) - 1;
    int failed = -1;
    for (int i = 0; !err && i < last && failed < 0; i++)
        if (strcmp(PQgetvalue(res, 0, i), "t") != 0) failed = i;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (failed >= 0) {
        const char *field = c->fields[failed] ? c->fields[failed] : c->a;
        if (field[0] == '!') /* a permission check column */
            bs__fail(c->req, BS_EFORBIDDEN, field + 1, "Your role does not allow this for the resource named here");
        else if (strcmp(field, "id") == 0)
            bs__fail(c->req, BS_ENOTFOUND, "id", "No project with this id");
        else if (strcmp(field, "time_zone") == 0)
            bs__fail(c->req, BS_EINVAL, "time_zone", "time_zone must be an IANA time zone name, e.g. Europe/Amsterdam");
        else
            bs__fail_as(c->req, BS_EINVAL, "unknown_reference", "Unknown reference", field,
                        "No such organisation, user or project");
    } else if (PQgetisnull(res, 0, last)) {
        bs__fail_as(c->req, BS_ECONFLICT, NULL, "Already exists", c->b, "A resource with this value already exists");
    } else {
        const char *t = PQgetvalue(res, 0, last);
        bs_req_respond(c->req, 201, JSON_CT, t, strlen(t), NULL);
    }
    ctx_free(c);
}

void bs__create_org(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"name", "kind", "region", "provincie", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *name, *kind, *region, *prov;
    if (!bs__str_field(req, doc, "name", true, 200, &name) || !bs__str_field(req, doc, "kind", false, 32, &kind) ||
        !bs__one_of(req, "kind", kind, org_kinds) || !bs__str_field(req, doc, "region", false, 200, &region) ||
        !bs__str_field(req, doc, "provincie", false, 100, &prov)) {
        json_decref(doc);
        return;
    }
    req_ctx *c = ctx_new(api, req);
    const char *p[4] = {name, kind ? kind : "gemeente", region, prov};
    bs__store_write(api, req, &SQL_ORGANISATION_INSERT, p, created_or_conflict, c);
    json_decref(doc);
}

void bs__create_user(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"organisation_id", "email",  "name", "locale",
                                          "time_zone",       "digest", "role", NULL};
    static const char *const roles[] = {"beheerder", "projectleider", "medewerker", "management",
                                        "raad",      "extern",        NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *org, *email, *name, *locale, *tz;
    static const char *const locales[] = {"nl", "en", NULL};
    json_t *digest = json_object_get(doc, "digest");
    if (!bs__uuid_field(req, doc, "organisation_id", true, &org) ||
        !bs__str_field(req, doc, "email", true, 254, &email) || !bs__str_field(req, doc, "name", false, 200, &name) ||
        !bs__str_field(req, doc, "locale", false, 2, &locale) || !bs__one_of(req, "locale", locale, locales) ||
        !bs__str_field(req, doc, "time_zone", false, 64, &tz)) {
        json_decref(doc);
        return;
    }
    const char *role;
    if (!bs__str_field(req, doc, "role", false, 32, &role) || !bs__one_of(req, "role", role, roles)) {
        json_decref(doc);
        return;
    }
    const bs_principal *pr = bs__principal(req);
    if (!bs_email_valid(email)) { /* RFC 5321 §4.1.2 Mailbox, plain ASCII */
        bs__fail(req, BS_EINVAL, "email", "email must be a plain ASCII mailbox (RFC 5321 §4.1.2) like name@example.nl");
        json_decref(doc);
        return;
    }
    if (digest && !json_is_boolean(digest)) {
        bs__fail(req, BS_EINVAL, "digest", "digest must be true or false");
        json_decref(doc);
        return;
    }
    req_ctx *c = ctx_new(api, req);
    snprintf(c->a, sizeof c->a, "organisation_id");
    snprintf(c->b, sizeof c->b, "email");
    const char *p[9] = {org,
                        email,
                        name ? name : "",
                        locale ? locale : "nl",
                        tz ? tz : "Europe/Amsterdam",
                        json_is_true(digest) ? "true" : "false",
                        role,
                        pr->is_admin ? "t" : "f",
                        pr->beheerder_orgs};
    /* the time zone is checked by PostgreSQL's own zone database; a beheerder adds users to
     * their own organisations only (an administrator of the installation to any); the role
     * defaults to medewerker in a gemeente, provincie or rijk, extern elsewhere */
    bs__store_write(api, req, &SQL_USER_INSERT, p, created_or_conflict, c);
    c->fields[0] = "organisation_id";
    c->fields[1] = "!organisation_id";
    c->fields[2] = "time_zone";
    json_decref(doc);
}

/* ---- follows and roles ---- */

void bs__follow(bs_api *api, bs_req *req, const bs_path *path) {
    const char *project = path->project;
    static const char *const allowed[] = {"user_id", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *user;
    const bs_principal *pr = bs__principal(req);
    if (!pr->authenticated) {
        json_decref(doc);
        return bs__fail(req, BS_EUNAUTH, "Authorization", "Following a project needs a user");
    }
    if (!bs__uuid_field(req, doc, "user_id", false, &user)) {
        json_decref(doc);
        return;
    }
    if (!user) user = pr->user_id;
    if (strcmp(user, pr->user_id) != 0 && pr->access < BS_ACCESS_LEAD) {
        bs__fail(req, BS_EFORBIDDEN, "user_id", "Only a project leader makes other users follow a project");
        json_decref(doc);
        return;
    }
    req_ctx *c = ctx_new(api, req);
    snprintf(c->a, sizeof c->a, "user_id");
    snprintf(c->b, sizeof c->b, "user_id");
    const char *p[2] = {project, user};
    /* alerts and feeds of a follower show the project: the follower must be able to read it */
    bs__store_write(api, req, &SQL_FOLLOW_INSERT, p, created_or_conflict, c);
    c->fields[0] = "id";
    c->fields[1] = "user_id";
    c->fields[2] = "!user_id";
    json_decref(doc);
}

static void deleted(const PGresult *res, const char *err, void *arg) {
    req_ctx *c = arg;
    if (err)
        bs__problem_db(c->req, err);
    else if (PQntuples(res) == 0)
        bs__fail(c->req, BS_ENOTFOUND, c->a, "Nothing to remove");
    else
        bs_req_respond(c->req, 204, NULL, "", 0, NULL);
    ctx_free(c);
}

void bs__unfollow(bs_api *api, bs_req *req, const bs_path *path) {
    const char *project = path->project, *user = path->ref;
    const bs_principal *pr = bs__principal(req);
    if (!pr->authenticated) return bs__fail(req, BS_EUNAUTH, "Authorization", "Following a project needs a user");
    if (strcmp(user, pr->user_id) != 0 && pr->access < BS_ACCESS_LEAD)
        return bs__fail(req, BS_EFORBIDDEN, "user_id", "Only a project leader ends another user's following");
    req_ctx *c = ctx_new(api, req);
    snprintf(c->a, sizeof c->a, "user_id");
    const char *p[2] = {project, user};
    bs__store_write(api, req, &SQL_FOLLOW_DELETE, p, deleted, c);
}

/* GET /api/v1/follows: the projects the caller follows (and may still read), by name. */
void bs__list_follows(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const bs_principal *pr = bs__principal(req);
    const char *p[3] = {pr->user_id, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_FOLLOW_LIST, p, bs__page_query_done, pg);
}

void bs__add_role(bs_api *api, bs_req *req, const bs_path *path) {
    const char *project = path->project;
    static const char *const allowed[] = {"user_id", "role", "stream", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *user, *role, *stream;
    static const char *const roles[] = {"projectleider", "stream_owner", NULL};
    static const char *const streams[] = {"public", "private", NULL};
    if (!bs__uuid_field(req, doc, "user_id", true, &user) || !bs__str_field(req, doc, "role", true, 32, &role) ||
        !bs__one_of(req, "role", role, roles) || !bs__str_field(req, doc, "stream", false, 16, &stream) ||
        !bs__one_of(req, "stream", stream, streams)) {
        json_decref(doc);
        return;
    }
    if ((strcmp(role, "stream_owner") == 0) != (stream != NULL)) {
        bs__fail(req, BS_EINVAL, "stream", "stream is required for a stream_owner and not allowed for a projectleider");
        json_decref(doc);
        return;
    }
    req_ctx *c = ctx_new(api, req);
    snprintf(c->a, sizeof c->a, "user_id");
    snprintf(c->b, sizeof c->b, "role");
    const char *p[4] = {project, user, role, stream};
    /* a role brings alerts about the project: the user must be able to see it (an external
     * member only as owner of the private stream) */
    bs__store_write(api, req, &SQL_PROJECT_ROLE_INSERT, p, created_or_conflict, c);
    c->fields[0] = "id";
    c->fields[1] = "user_id";
    c->fields[2] = "!user_id";
    json_decref(doc);
}

/* ---- who may touch whose settings ---- */

/* The principal may manage user's settings: the user themself or an administrator. */
static bool may_manage_user(const bs_principal *pr, const char *user) {
    return pr->is_admin || (user && strcmp(user, pr->user_id) == 0);
}

/* The principal may manage the organisation's settings: its beheerder or an administrator. */
static bool may_manage_org(const bs_principal *pr, const char *org) {
    return pr->is_admin || (org && pr->beheerder_orgs && strstr(pr->beheerder_orgs, org));
}

/* ---- alert rules ---- */

/* the kinds a rule turns on or off; follow_summary (a new follower's summary, docs/alerts.md)
 * is no rule kind: it holds only items of the overdue and blocked rules, as the user's rules
 * for those kinds allow, so a rule of that kind answers 422 naming kind */
static const char *const alert_kinds[] = {"milestone_upcoming", "milestone_overdue", "blocked_by_other_stream",
                                          "forecast_slipped",   "external_update",   NULL};

void bs__put_rule(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"organisation_id", "user_id", "kind", "enabled", "days", "basis", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *org, *user, *kind, *basis;
    static const char *const bases[] = {"planned", "p50", NULL};
    if (!bs__uuid_field(req, doc, "organisation_id", false, &org) ||
        !bs__uuid_field(req, doc, "user_id", false, &user) || !bs__str_field(req, doc, "kind", true, 40, &kind) ||
        !bs__one_of(req, "kind", kind, alert_kinds) || !bs__str_field(req, doc, "basis", false, 16, &basis) ||
        !bs__one_of(req, "basis", basis, bases)) {
        json_decref(doc);
        return;
    }
    if ((org == NULL) == (user == NULL)) {
        bs__fail(req, BS_EINVAL, "organisation_id",
                 "give either organisation_id (the organisation's rule) or user_id (a user's override)");
        json_decref(doc);
        return;
    }
    const bs_principal *pr = bs__principal(req);
    if (org ? !may_manage_org(pr, org) : !may_manage_user(pr, user)) {
        bs__fail(req, BS_EFORBIDDEN, org ? "organisation_id" : "user_id", "%s",
                 org ? "Only a beheerder of the organisation sets its rules" : "You can set only your own rules");
        json_decref(doc);
        return;
    }
    json_t *en = json_object_get(doc, "enabled"), *days = json_object_get(doc, "days");
    if (en && !json_is_boolean(en)) {
        bs__fail(req, BS_EINVAL, "enabled", "enabled must be true or false");
        json_decref(doc);
        return;
    }
    if (days && (!json_is_integer(days) || json_integer_value(days) < 0 || json_integer_value(days) > 365)) {
        bs__fail(req, BS_EINVAL, "days", "days must be an integer from 0 to 365");
        json_decref(doc);
        return;
    }
    char days_s[16];
    snprintf(days_s, sizeof days_s, "%lld", days ? (long long)json_integer_value(days) : 10LL);
    req_ctx *c = ctx_new(api, req);
    snprintf(c->a, sizeof c->a, "%s", org ? "organisation_id" : "user_id");
    snprintf(c->b, sizeof c->b, "kind");
    const char *p[6] = {org, user, kind, en ? (json_is_true(en) ? "true" : "false") : "true", days_s, basis};
    /* upsert; a user rule belongs to the user's organisation. Every follower's alerts are re-planned. */
    bs_store_exec(api->store, &SQL_ALERT_RULE_UPSERT, p, created_or_conflict, c);
    json_decref(doc);
}

void bs__list_rules(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char org[64], user[64];
    bool has_org, has_user;
    if (!bs__text_param(req, "organisation_id", org, sizeof org, &has_org) ||
        !bs__text_param(req, "user_id", user, sizeof user, &has_user))
        return;
    if ((has_org && !bs_is_uuid(org)) || (has_user && !bs_is_uuid(user)) || has_org == has_user) {
        bs__fail(req, BS_EBADPARAM, has_org ? "organisation_id" : "user_id",
                 "give organisation_id or user_id (a UUID)");
        return;
    }
    const bs_principal *pr = bs__principal(req);
    bool member_of_org = has_org && strcmp(org, pr->organisation_id) == 0;
    if (has_org ? !(member_of_org || may_manage_org(pr, org)) : !may_manage_user(pr, user))
        return bs__fail(req, BS_EFORBIDDEN, has_org ? "organisation_id" : "user_id",
                        "You can read your own rules and those of your organisation");
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    bs__page_keep(pg, "organisation_id", has_org ? org : NULL);
    bs__page_keep(pg, "user_id", has_user ? user : NULL);
    const char *p[4] = {has_org ? org : NULL, has_user ? user : NULL, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_ALERT_RULE_LIST, p, bs__page_query_done, pg);
}

/* ---- feed tokens ---- */

static void token_created(const PGresult *res, const char *err, void *arg) {
    req_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
    } else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0 && strcmp(c->a, "project_id") == 0 &&
               (strcmp(PQgetvalue(res, 0, 2), "none") == 0 || strcmp(PQgetvalue(res, 0, 2), "aggregate") == 0)) {
        /* an invisible project is not found (its existence does not leak) */
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Project not found", "project_id", "No project with this id");
    } else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0 && strcmp(c->a, "project_id") == 0) {
        bs__fail(
            c->req, BS_EFORBIDDEN, "project_id",
            "A project feed needs access public or more; an external developer can subscribe to the private stream");
    } else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        bs__fail_as(c->req, BS_EINVAL, "unknown_reference", "Unknown reference", c->a, "No such user or project");
    } else {
        json_t *o = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
        json_object_set_new(o, "token", json_string(c->token));
        char url[512];
        snprintf(url, sizeof url, "%s/calendar/%s.ics", bs_req_base_url(c->req), c->token);
        json_object_set_new(o, "url", json_string(url));
        bs__respond_json(c->req, 201, o);
    }
    ctx_free(c);
}

void bs__create_feed_token(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    static const char *const allowed[] = {"scope", "user_id", "project_id", "stream", "label", NULL};
    json_t *doc = bs__body_object(req, allowed);
    if (!doc) return;
    const char *scope, *user, *project, *stream, *label;
    static const char *const scopes[] = {"user", "project", "stream", NULL};
    static const char *const streams[] = {"public", "private", NULL};
    if (!bs__str_field(req, doc, "scope", true, 16, &scope) || !bs__one_of(req, "scope", scope, scopes) ||
        !bs__uuid_field(req, doc, "user_id", false, &user) ||
        !bs__uuid_field(req, doc, "project_id", false, &project) ||
        !bs__str_field(req, doc, "stream", false, 16, &stream) || !bs__one_of(req, "stream", stream, streams) ||
        !bs__str_field(req, doc, "label", false, 200, &label)) {
        json_decref(doc);
        return;
    }
    const bs_principal *pr = bs__principal(req);
    if (strcmp(scope, "user") == 0 && !user) user = pr->user_id;
    if (user && !may_manage_user(pr, user)) {
        bs__fail(req, BS_EFORBIDDEN, "user_id", "A user feed is made by its user");
        json_decref(doc);
        return;
    }
    const char *bad = NULL, *why = NULL;
    if (strcmp(scope, "user") == 0 && (!user || project || stream))
        bad = !user     ? "user_id"
              : project ? "project_id"
                        : "stream",
        why = "a user feed needs user_id and no project_id or stream";
    else if (strcmp(scope, "project") == 0 && (!project || stream || user))
        bad = !project ? "project_id"
              : stream ? "stream"
                       : "user_id",
        why = "a project feed needs project_id and no stream or user_id";
    else if (strcmp(scope, "stream") == 0 && (!project || !stream))
        bad = project ? "stream" : "project_id", why = "a stream feed needs project_id and stream";
    if (bad) {
        bs__fail(req, BS_EINVAL, bad, "%s", why);
        json_decref(doc);
        return;
    }
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        bs__fail(req, BS_EINTERNAL, NULL, "no randomness available");
        json_decref(doc);
        return;
    }
    req_ctx *c = ctx_new(api, req);
    c->token = bs_malloc(65);
    for (int i = 0; i < 32; i++) snprintf(c->token + 2 * i, 3, "%02x", raw[i]);
    char hash[65];
    sha256_hex(c->token, hash);
    snprintf(c->a, sizeof c->a, "%s", user ? "user_id" : "project_id");
    const char *p[7] = {hash, scope, user, project, stream, label, pr->user_id};
    /* a project feed needs the public facts (level public or more: the calendar holds only
     * milestone dates and forecasts); a stream feed of the private stream also the access
     * of its external developer (bs_project_access, migration 0015) */
    bs__store_write(api, req, &SQL_FEED_TOKEN_INSERT, p, token_created, c);
    json_decref(doc);
}

void bs__revoke_feed_token(bs_api *api, bs_req *req, const bs_path *path) {
    const char *id = path->ref;
    req_ctx *c = ctx_new(api, req);
    snprintf(c->a, sizeof c->a, "id");
    const bs_principal *pr = bs__principal(req);
    const char *p[3] = {id, pr->user_id, pr->is_admin ? "t" : "f"};
    bs__store_write(api, req, &SQL_FEED_TOKEN_REVOKE, p, deleted, c);
}

void bs__list_feed_tokens(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char user[64], project[64];
    bool has_user, has_project;
    if (!bs__text_param(req, "user_id", user, sizeof user, &has_user) ||
        !bs__text_param(req, "project_id", project, sizeof project, &has_project))
        return;
    if ((has_user && !bs_is_uuid(user)) || (has_project && !bs_is_uuid(project))) {
        bs__fail(req, BS_EBADPARAM, has_user ? "user_id" : "project_id", "must be a UUID");
        return;
    }
    const bs_principal *pr = bs__principal(req);
    /* the same rule and answer as GET /api/v1/alerts?user_id= (docs/security.md §4: own
     * feeds; an administrator of the installation: anyone's) */
    if (has_user && !may_manage_user(pr, user))
        return bs__fail(req, BS_EFORBIDDEN, "user_id", "You can list only your own feed tokens");
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    bs__page_keep(pg, "user_id", has_user ? user : NULL);
    bs__page_keep(pg, "project_id", has_project ? project : NULL);
    const char *p[6] = {has_user ? user : NULL,
                        has_project ? project : NULL,
                        pr->user_id,
                        pr->is_admin ? "t" : "f",
                        pg->limit,
                        pg->offset};
    bs_store_exec(api->store, &SQL_FEED_TOKEN_LIST, p, bs__page_query_done, pg);
}

/* ---- alerts ---- */

void bs__list_alerts(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    char status[16], user[64], project[64], include[32];
    bool has_status, has_user, has_project, has_include;
    if (!bs__text_param(req, "status", status, sizeof status, &has_status) ||
        !bs__text_param(req, "include", include, sizeof include, &has_include) ||
        !bs__text_param(req, "user_id", user, sizeof user, &has_user) ||
        !bs__text_param(req, "project_id", project, sizeof project, &has_project))
        return;
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    static const char *const statuses[] = {"scheduled", "pending", "sent", "failed", "superseded", "digested", NULL};
    bool ok = !has_status;
    for (size_t i = 0; statuses[i] && !ok; i++) ok = strcmp(status, statuses[i]) == 0;
    if (!ok) {
        bs__fail(req, BS_EBADPARAM, "status",
                 "status must be one of scheduled, pending, sent, failed, superseded, digested");
        return bs__page_free(pg);
    }
    /* superseded alerts (replaced by a re-plan, never sent) are hidden unless asked for */
    if (has_include && strcmp(include, "superseded") != 0) {
        bs__fail(req, BS_EBADPARAM, "include", "include must be superseded");
        return bs__page_free(pg);
    }
    bool with_superseded = has_include || (has_status && strcmp(status, "superseded") == 0);
    if ((has_user && !bs_is_uuid(user)) || (has_project && !bs_is_uuid(project))) {
        bs__fail(req, BS_EBADPARAM, has_user ? "user_id" : "project_id", "must be a UUID");
        return bs__page_free(pg);
    }
    const bs_principal *pr = bs__principal(req);
    if (has_user && !may_manage_user(pr, user)) {
        bs__fail(req, BS_EFORBIDDEN, "user_id", "You can list only your own alerts");
        return bs__page_free(pg);
    }
    bs__page_keep(pg, "status", has_status ? status : NULL);
    bs__page_keep(pg, "user_id", has_user ? user : NULL);
    bs__page_keep(pg, "project_id", has_project ? project : NULL);
    bs__page_keep(pg, "include", has_include ? include : NULL);
    /* everybody sees their own alerts; an administrator everybody's */
    const char *p[6] = {has_status ? status : NULL,
                        has_user ? user : (pr->is_admin ? NULL : pr->user_id),
                        has_project ? project : NULL,
                        pg->limit,
                        pg->offset,
                        with_superseded ? "true" : "false"};
    bs_store_exec(api->store, &SQL_ALERT_LIST, p, bs__page_query_done, pg);
}

/* GET /api/v1/alerts/upcoming: the caller's alerts still to be sent, soonest first, each with
 * its reason: what it is about (details), why the caller receives it (because) and the rule
 * that planned it (rule). */
void bs__list_upcoming_alerts(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const bs_principal *pr = bs__principal(req);
    const char *p[3] = {pr->user_id, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_ALERT_UPCOMING, p, bs__page_query_done, pg);
}

/* ---- GET /calendar/{token}.ics ---- */

static void feed_rows(const PGresult *res, const char *err, void *arg) {
    req_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
        ctx_free(c);
        return;
    }
    /* rows: project_id, project name, schema key, step_key, planned_start, planned_finish, status, revision,
     * changed_at (epoch s), calendar name, p50, p80, schema version */
    int n = PQntuples(res);
    bs_ical_event *ev = bs_calloc((size_t)n + 1, sizeof *ev);
    char **uids = bs_calloc((size_t)n + 1, sizeof(char *)), **sums = bs_calloc((size_t)n + 1, sizeof(char *)),
         **descs = bs_calloc((size_t)n + 1, sizeof(char *));
    int m = 0;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the data revision */
    for (int r = 0; r < n; r++) {
        const bs_engine_schema *es =
            bs_engine_schema_version(c->api->engine, PQgetvalue(res, r, 2), strtol(PQgetvalue(res, r, 12), NULL, 10));
        int32_t i = es ? bs_schema_find(es->schema, PQgetvalue(res, r, 3)) : -1;
        if (i < 0 || PQgetisnull(res, r, 4) || PQgetisnull(res, r, 5)) continue;
        const bs_step *st = &es->schema->steps[i];
        if (c->stream[0] && strcmp(c->stream, st->stream == BS_STREAM_PUBLIC ? "public" : "private") != 0) continue;
        bs_day s, f;
        if (bs_date_parse(PQgetvalue(res, r, 4), &s) || bs_date_parse(PQgetvalue(res, r, 5), &f)) continue;
        if (f < s) f = s;
        if (st->milestone) s = f;
        for (int col = 0; col < 12; col++)
            for (const char *q = PQgetvalue(res, r, col); *q; q++) h = (h ^ (unsigned char)*q) * 1099511628211ULL;
        uids[m] = bs_malloc(BS_ICAL_UID_MAX);
        if (bs_ical_uid(PQgetvalue(res, r, 0), st->key, st->milestone ? "milestone" : "window", uids[m],
                        BS_ICAL_UID_MAX) < 0) {
            free(uids[m]);
            uids[m] = NULL;
            continue;
        }
        const char *status = PQgetvalue(res, r, 6);
        bool done = strcmp(status, "done") == 0;
        size_t sl = strlen(st->name) + strlen(PQgetvalue(res, r, 1)) + 32;
        sums[m] = bs_malloc(sl);
        snprintf(sums[m], sl, "%s%s — %s", done ? "✓ " : "", st->name, PQgetvalue(res, r, 1));
        char sb[11], fb[11];
        size_t dl = 512 + strlen(st->name);
        /* the event's URL (the step's page in the web app) lives after the description, in
         * the same allocation */
        const char *base = bs__public_base(c->api, c->req);
        size_t ul = strlen(base) + strlen(st->key) + 64;
        descs[m] = bs_malloc(dl + ul);
        char *url = descs[m] + dl;
        snprintf(url, ul, "%s/projects/%s/steps/%s", base, PQgetvalue(res, r, 0), st->key);
        snprintf(descs[m], dl,
                 "%s\nStroom: %s\nGepland: %s t/m %s\nPrognose einde: P50 %s, P80 %s\nStatus: %s\n"
                 "Project: %s",
                 st->name, st->stream == BS_STREAM_PUBLIC ? "gemeente" : "ontwikkelaar", bs_date_format(s, sb),
                 bs_date_format(f, fb), PQgetisnull(res, r, 10) ? "nog niet berekend" : PQgetvalue(res, r, 10),
                 PQgetisnull(res, r, 11) ? "nog niet berekend" : PQgetvalue(res, r, 11), status, PQgetvalue(res, r, 1));
        ev[m] = (bs_ical_event){.uid = uids[m],
                                .summary = sums[m],
                                .description = descs[m],
                                .start = s,
                                .finish = f,
                                .sequence = atoi(PQgetvalue(res, r, 7)),
                                .last_modified = atoll(PQgetvalue(res, r, 8)),
                                .url = url};
        m++;
    }
    for (int i = 0; i < m; i++) h = (h ^ (uint64_t)ev[i].sequence) * 1099511628211ULL;
    char etag[BS_ICAL_ETAG_MAX];
    if (bs_ical_etag(c->token_id, h, etag) < 0) snprintf(etag, sizeof etag, "W/\"0\"");
    const char *inm = bs_req_header(c->req, "if-none-match");
    const char *hdr[] = {"etag", etag, "cache-control", "private, max-age=300", NULL};
    if (inm && (strcmp(inm, etag) == 0 || strcmp(inm, "*") == 0)) {
        bs_req_respond(c->req, 304, NULL, "", 0, hdr);
    } else {
        char name[300];
        snprintf(name, sizeof name, "Bouwstroom — %s", n ? PQgetvalue(res, 0, 9) : "geen projecten");
        bs_ical_calendar cal = {.name = name,
                                .description =
                                    "Mijlpalen en stappen uit Bouwstroom (geplande data; alerts gaan per e-mail)",
                                .refresh_minutes = 60,
                                .events = ev,
                                .n_events = (size_t)m};
        char *text = NULL;
        size_t len = 0;
        int rc = bs_ical_render(&cal, bs_clock_now(c->api->clock), &text, &len);
        if (rc != 0)
            bs__fail(c->req, BS_EINTERNAL, NULL, "%s", bs_ical_strerror(rc));
        else
            bs_req_respond(c->req, 200, "text/calendar; charset=utf-8", text, len, hdr);
        free(text);
    }
    for (int i = 0; i < m; i++) {
        free(uids[i]);
        free(sums[i]);
        free(descs[i]);
    }
    free(uids);
    free(sums);
    free(descs);
    free(ev);
    ctx_free(c);
}

static void feed_token_found(const PGresult *res, const char *err, void *arg) {
    req_ctx *c = arg;
    if (err) {
        bs__problem_db(c->req, err);
        ctx_free(c);
        return;
    }
    if (PQntuples(res) == 0) {
        bs__fail_as(c->req, BS_ENOTFOUND, NULL, "Feed not found", "token", "No such feed (or it was revoked)");
        ctx_free(c);
        return;
    }
    snprintf(c->token_id, sizeof c->token_id, "%s", PQgetvalue(res, 0, 0));
    snprintf(c->scope, sizeof c->scope, "%s", PQgetvalue(res, 0, 1));
    snprintf(c->stream, sizeof c->stream, "%s", PQgetvalue(res, 0, 4));
    const char *p[4] = {PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2),
                        PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3),
                        PQgetisnull(res, 0, 5) ? NULL : PQgetvalue(res, 0, 5), c->stream};
    /* a feed shows only projects its maker may still read (a stream feed of the private
     * stream: also with an external developer's stream access); confidentiality changes and
     * revoked memberships take effect at the next fetch */
    bs_store_exec(c->api->store, &SQL_FEED_EVENTS_LOAD, p, feed_rows, c);
}

void bs__get_feed(bs_api *api, bs_req *req, const bs_path *path) {
    const char *token = path->ref; /* 64 lower-case hexadecimal digits (router.c) */
    char hash[65];
    sha256_hex(token, hash);
    req_ctx *c = ctx_new(api, req);
    const char *p[1] = {hash};
    bs_store_exec(api->store, &SQL_FEED_TOKEN_FIND, p, feed_token_found, c);
}

/* ---- router ---- */

/* ---- one-click unsubscribe: GET/POST /unsubscribe/{token} (RFC 2369, RFC 8058) ----
 * The token (bs_unsubscribe_token: user, alert kind, MAC under the server key) is the only
 * credential: no cookie, no login. GET never changes anything (mail scanners prefetch
 * links, RFC 8058 §3.2): it answers a small page whose button POSTs. POST with the body
 * "List-Unsubscribe=One-Click" turns the user's rule of that kind off. */

static const char *unsub_kind_words(const char *kind, bool en) {
    static const char *const k[][3] = {
        {"milestone_upcoming", "naderende mijlpalen", "approaching milestones"},
        {"milestone_overdue", "verlopen mijlpalen", "overdue milestones"},
        {"blocked_by_other_stream", "stappen die op de andere stroom wachten", "steps blocked by the other stream"},
        {"forecast_slipped", "verschoven prognoses", "slipped forecasts"},
        {"external_update", "wijzigingen door externe partijen", "updates from external parties"}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (strcmp(kind, k[i][0]) == 0) return k[i][en ? 2 : 1];
    return kind;
}

static void unsub_page(bs_req *req, int status, const char *kind, const char *token, bool done) {
    char page[2048];
    const char *w = unsub_kind_words(kind, false);
    if (done)
        snprintf(
            page, sizeof page,
            "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Afgemeld</title></head><body>\n"
            "<p>U ontvangt geen meldingen over %s meer. Aanzetten kan weer via de "
            "<a href=\"/settings/alerts\">instellingen voor meldingen</a>.</p>\n</body></html>\n",
            w);
    else
        snprintf(
            page, sizeof page,
            "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Afmelden</title></head><body>\n"
            "<form method=\"post\" action=\"/unsubscribe/%s\">\n"
            "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\n"
            "<p>Geen meldingen over %s meer ontvangen?</p>\n"
            "<button type=\"submit\">Afmelden</button>\n</form>\n</body></html>\n",
            token, w);
    const char *h[] = {"cache-control", "no-store", "referrer-policy", "no-referrer", NULL};
    bs_req_respond(req, status, "text/html; charset=utf-8", page, strlen(page), h);
}

typedef struct unsub_ctx {
    bs_req *req;
    char kind[32];
} unsub_ctx;

static void unsubscribed(const PGresult *res, const char *err, void *arg) {
    unsub_ctx *c = arg;
    if (err)
        bs__problem_db(c->req, err);
    else if (PQntuples(res) == 0)
        bs__fail(c->req, BS_ENOTFOUND, "token", "This unsubscribe link's user no longer exists");
    else
        unsub_page(c->req, 200, c->kind, NULL, true);
    free(c);
}

void bs__unsubscribe(bs_api *api, bs_req *req, const bs_path *path) {
    const char *token = path->ref;
    bool get = bs__method_is(req, "GET") || bs__method_is(req, "HEAD");
    char uid[40], kind[32];
    int rc = api->server_key ? bs_unsubscribe_token_check(api->server_key, token, uid, sizeof uid, kind, sizeof kind)
                             : BS_AUTH_EINVAL;
    if (rc != BS_AUTH_OK) { /* forged, altered or malformed: the same answer */
        bs__fail(req, BS_ENOTFOUND, "token", "Unknown unsubscribe link");
        return;
    }
    if (get) {
        unsub_page(req, 200, kind, token, false);
        return;
    }
    /* RFC 8058 §3.1: the POST body carries "List-Unsubscribe=One-Click" (form-encoded or
     * multipart/form-data) */
    size_t len = 0;
    const char *body = bs_req_body(req, &len);
    static const char want[] = "List-Unsubscribe=One-Click";
    bool ok = false;
    for (size_t i = 0; body && i + sizeof want - 1 <= len && !ok; i++)
        ok = memcmp(body + i, want, sizeof want - 1) == 0;
    if (!ok && body) { /* multipart/form-data: name="List-Unsubscribe" … One-Click */
        bool name = false, val = false;
        for (size_t i = 0; i + 24 <= len; i++) {
            if (memcmp(body + i, "name=\"List-Unsubscribe\"", 23) == 0) name = true;
            if (name && i + 9 <= len && memcmp(body + i, "One-Click", 9) == 0) val = true;
        }
        ok = name && val;
    }
    if (!ok) {
        bs__fail_as(req, BS_EBADPARAM, NULL, "Invalid body", "List-Unsubscribe",
                    "The body must be List-Unsubscribe=One-Click (RFC 8058)");
        return;
    }
    unsub_ctx *c = bs_calloc(1, sizeof *c);
    c->req = req;
    snprintf(c->kind, sizeof c->kind, "%s", kind);
    /* audited as the user the link belongs to */
    char *actor = bs__actor_json(req, uid, NULL);
    const char *p[2] = {uid, kind};
    bs__store_write_actor(api, actor, &SQL_ALERT_UNSUBSCRIBE, p, unsubscribed, c);
    free(actor);
}
