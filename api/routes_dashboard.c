/*
 * Bouwstroom API: dashboards and the public rule (issue 18 item 4; docs/homes-and-goals.md
 * "Dashboards and the public rule", docs/security.md §3b).
 *
 *   GET /api/v1/dashboard?view=&group_by=         aggregates over the caller's projects, k = 5 rule
 *   GET /api/v1/public/dashboard?view=&group_by=  the same over openbaar projects only (anonymous)
 *   GET /api/v1/public/projects                   the public facts of every openbaar project
 *
 * The aggregates are computed in PostgreSQL (bs_dashboard, migration 0036) and cached here per
 * (view, group_by, caller) under the data version they were computed with
 * (dashboard_version.version: the sum of the marks the writing transactions of the feeding
 * tables append, migration 0044). A request reads the version (a sum over a few rows) and answers
 * the cached document when it was computed under that version; else it computes the document and
 * the version in one statement (one snapshot), caches and answers it. A read that sees more than
 * DASH_COMPACT_AT marks starts their compaction (one at a time per server).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "authz.h"
#include "engine.h"
#include "handlers.h"
#include "paging.h"
#include "routes_dashboard_sql.h"
#include "store.h"

/* Direct-mapped: a key hashes to one slot; a colliding key replaces it (bounded memory). */
#define DASH_SLOTS 512
/* A version read that sees more marks than this starts a compaction (bs_dashboard_compact, 0044). */
#define DASH_COMPACT_AT 32

typedef struct dash_entry {
    char *key;         /* owned; "view|group_by|user id or public", NULL: empty */
    long long version; /* the data version (dashboard_version.version) the body was computed under */
    char *body;        /* owned */
    size_t len;
} dash_entry;

typedef struct dash_req dash_req;

/* A computation in flight: requests of the same key that read a data version no newer than the one it
 * read wait for its answer instead of computing the same document again (many readers after one change). */
typedef struct dash_flight {
    char key[96];
    long long seen;    /* the data version its request read */
    dash_req *waiters; /* owned until answered */
    struct dash_flight *next;
} dash_flight;

struct bs_dash_cache {
    dash_entry slots[DASH_SLOTS];
    char *schemas; /* owned; {key: definition} of the engine's schemas (the shipped ones are not stored) */
    dash_flight *flights;
    bool compacting; /* a compaction of this server is in flight */
};

void bs_dash_cache_free(struct bs_dash_cache *c) {
    if (!c) return;
    for (size_t i = 0; i < DASH_SLOTS; i++) {
        free(c->slots[i].key);
        free(c->slots[i].body);
    }
    free(c->schemas);
    while (c->flights) { /* only when the loop stopped with computations in flight */
        dash_flight *f = c->flights;
        c->flights = f->next;
        free(f);
    }
    free(c);
}

static struct bs_dash_cache *dash_cache(bs_api *api) {
    if (api->dash_cache) return api->dash_cache;
    struct bs_dash_cache *c = bs_calloc(1, sizeof *c);
    json_t *o = json_object();
    for (int i = 0; api->engine && i < api->engine->n_schemas; i++) {
        const bs_engine_schema *es = &api->engine->schemas[i];
        if (es->schema && es->json) json_object_set(o, es->schema->key, es->json);
    }
    c->schemas = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!c->schemas) c->schemas = bs_strdup("{}");
    api->dash_cache = c;
    return c;
}

/* FNV-1a, 64 bits. */
static size_t slot_of(const char *key) {
    unsigned long long h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % DASH_SLOTS);
}

struct dash_req {
    bs_api *api;
    bs_req *req;
    bool public_only;
    char user[40];
    char view[16];
    char by[16];
    char key[96];
    dash_flight *flight; /* the computation this request started, or NULL */
    dash_req *next;      /* the next waiter of a flight */
};

static void dash_respond(bs_req *req, const char *body, size_t len) {
    static const char *const hdr[] = {"Cache-Control", "no-store", NULL};
    bs_req_respond(req, 200, JSON_CT, body, len, hdr);
}

/* Answers one request of a computation: the document, or the problem of err / of no document. */
static void answer(bs_req *req, const PGresult *res, const char *err) {
    if (err) {
        bs__problem_db(req, err);
    } else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) || PQgetisnull(res, 0, 1)) {
        bs__fail(req, BS_EINTERNAL, NULL, "the dashboard could not be computed");
    } else {
        dash_respond(req, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
    }
}

static void computed(const PGresult *res, const char *err, void *arg) {
    dash_req *d = arg;
    struct bs_dash_cache *c = dash_cache(d->api);
    if (!err && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) && !PQgetisnull(res, 0, 1)) {
        dash_entry *e = &c->slots[slot_of(d->key)];
        long long version = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        /* never replace a newer document of the same key with an older one */
        if (!e->key || strcmp(e->key, d->key) != 0 || e->version <= version) {
            free(e->key);
            free(e->body);
            e->key = bs_strdup(d->key);
            e->body = bs_strdup(PQgetvalue(res, 0, 0));
            e->len = (size_t)PQgetlength(res, 0, 0);
            e->version = version;
        }
    }
    dash_req *waiters = NULL;
    for (dash_flight **f = &c->flights; *f; f = &(*f)->next) {
        if (*f == d->flight) {
            dash_flight *done = *f;
            *f = done->next;
            waiters = done->waiters;
            free(done);
            break;
        }
    }
    answer(d->req, res, err);
    free(d);
    while (waiters) {
        dash_req *w = waiters;
        waiters = w->next;
        answer(w->req, res, err);
        free(w);
    }
}

static void compacted(const PGresult *res, const char *err, void *arg) {
    struct bs_dash_cache *c = arg;
    (void)res;
    c->compacting = false;
    if (err) fprintf(stderr, "dashboard: compaction of the data version's marks: %s\n", err);
}

/* Starts a compaction of the data version's marks unless one of this server is in flight. */
static void compact(bs_api *api, struct bs_dash_cache *c) {
    if (c->compacting) return;
    c->compacting = true;
    char min[16];
    snprintf(min, sizeof min, "%d", DASH_COMPACT_AT);
    const char *p[1] = {min};
    bs_store_exec(api->store, &SQL_DASHBOARD_COMPACT, p, compacted, c);
}

static void version_read(const PGresult *res, const char *err, void *arg) {
    dash_req *d = arg;
    if (err) {
        bs__problem_db(d->req, err);
        free(d);
        return;
    }
    struct bs_dash_cache *c = dash_cache(d->api);
    const dash_entry *e = &c->slots[slot_of(d->key)];
    long long seen = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -1;
    if (PQntuples(res) == 1 && strtoll(PQgetvalue(res, 0, 1), NULL, 10) > DASH_COMPACT_AT) compact(d->api, c);
    if (seen >= 0 && e->key && strcmp(e->key, d->key) == 0 && e->version >= seen) {
        dash_respond(d->req, e->body, e->len);
        free(d);
        return;
    }
    /* a computation of this key that read this version or a newer one is in flight: wait for it */
    for (dash_flight *f = c->flights; f; f = f->next) {
        if (seen >= 0 && f->seen >= seen && strcmp(f->key, d->key) == 0) {
            d->next = f->waiters;
            f->waiters = d;
            return;
        }
    }
    dash_flight *f = bs_calloc(1, sizeof *f);
    snprintf(f->key, sizeof f->key, "%s", d->key);
    f->seen = seen;
    f->next = c->flights;
    c->flights = f;
    d->flight = f;
    const char *p[5] = {d->public_only ? NULL : d->user, d->public_only ? "t" : "f", d->view, d->by, c->schemas};
    bs_store_exec(d->api->store, &SQL_DASHBOARD_COMPUTE, p, computed, d);
}

/* Reads view and group_by (defaults homes / planstatus, and step for the step views); false after a
 * 400 problem naming the parameter. */
static bool dash_params(bs_req *req, dash_req *d) {
    bool has;
    if (!bs__text_param(req, "view", d->view, sizeof d->view, &has)) return false;
    if (!has) snprintf(d->view, sizeof d->view, "homes");
    bool homes = strcmp(d->view, "homes") == 0;
    if (!homes && strcmp(d->view, "knelpunten") != 0 && strcmp(d->view, "lead_times") != 0) {
        bs__fail(req, BS_EBADPARAM, "view", "view must be one of homes, knelpunten, lead_times");
        return false;
    }
    if (!bs__text_param(req, "group_by", d->by, sizeof d->by, &has)) return false;
    if (!has) snprintf(d->by, sizeof d->by, "%s", homes ? "planstatus" : "step");
    static const char *const home_groups[] = {"planstatus", "plantype", "phase", "year", "home_type", "tenure", NULL};
    bool ok = false;
    for (size_t i = 0; homes && home_groups[i] && !ok; i++) ok = strcmp(d->by, home_groups[i]) == 0;
    if (!homes) ok = strcmp(d->by, "step") == 0;
    if (!ok) {
        if (homes)
            bs__fail(req, BS_EBADPARAM, "group_by",
                     "group_by of view homes must be one of planstatus, plantype, phase, year, home_type, tenure");
        else
            bs__fail(req, BS_EBADPARAM, "group_by", "group_by of view %s must be step", d->view);
        return false;
    }
    return true;
}

static void dashboard(bs_api *api, bs_req *req, bool public_only) {
    dash_req *d = bs_calloc(1, sizeof *d);
    d->api = api;
    d->req = req;
    d->public_only = public_only;
    if (!dash_params(req, d)) {
        free(d);
        return;
    }
    if (!public_only) snprintf(d->user, sizeof d->user, "%s", bs__principal(req)->user_id);
    snprintf(d->key, sizeof d->key, "%s|%s|%s", d->view, d->by, public_only ? "public" : d->user);
    bs_store_exec(api->store, &SQL_DASHBOARD_VERSION, NULL, version_read, d);
}

/* GET /api/v1/dashboard: the aggregates over every project the caller has any access to (aggregate-only
 * ones included, under the k = 5 rule of bs_dashboard, migration 0036). view homes (group_by planstatus,
 * plantype, phase, year, home_type, tenure; net homes, for year planned / P50 / P80), knelpunten or
 * lead_times (group_by step; calendar days). 400 naming view or group_by; 503 when the store fails. */
void bs__dashboard(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    dashboard(api, req, false);
}

/* GET /api/v1/public/dashboard: the same views over the openbaar projects only, whoever asks (also
 * anonymous; a credential sent must be valid). */
void bs__public_dashboard(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    dashboard(api, req, true);
}

/* GET /api/v1/public/projects: the public facts (docs/security.md §3a item 1: the project's fields, the one
 * list of GET /api/v1/projects/{id}) of every openbaar project, paged, ordered by name and id. Never a
 * person. Public plusvelden join here when plusvelden exist (SQL_PUBLIC_PROJECTS). */
void bs__public_projects(bs_api *api, bs_req *req, const bs_path *path) {
    (void)path;
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const char *p[2] = {pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_PUBLIC_PROJECTS, p, bs__page_query_done, pg);
}
