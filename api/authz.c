/*
 * Bouwstroom API: the gate — one table of endpoints and what each needs, authentication
 * (bearer API tokens, session cookies) and the authorisation decision (see authz.h and
 * docs/security.md).
 */
#include "authz.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

#include "api_internal.h"
#include "auth.h"
#include "authz_sql.h"
#include "handlers.h"
#include "router.h"

int bs_query_unknown_param(const char *query, const char *allowed, char *name, size_t name_len) {
    for (const char *p = query; p && *p;) {
        size_t seg = strcspn(p, "&");
        size_t klen = strcspn(p, "=&");
        if (klen > 0) {
            bool known = false;
            for (const char *a = allowed; a && *a && !known;) {
                while (*a == ' ') a++;
                size_t alen = strcspn(a, " ");
                known = alen == klen && strncmp(a, p, klen) == 0;
                a += alen;
            }
            if (!known) {
                /* the name as sent, raw bytes outside printable ASCII percent-encoded */
                size_t o = 0;
                for (size_t i = 0; i < klen && o + 4 < name_len && i < 100; i++) {
                    unsigned char ch = (unsigned char)p[i];
                    if (ch > 0x20 && ch < 0x7f)
                        name[o++] = (char)ch;
                    else
                        o += (size_t)snprintf(name + o, name_len - o, "%%%02X", ch);
                }
                if (name_len) name[o < name_len ? o : name_len - 1] = 0;
                return 1;
            }
        }
        p += seg;
        if (*p == '&') p++;
    }
    return 0;
}

bs_access bs_access_parse(const char *s) {
    if (!s) return BS_ACCESS_NONE;
    if (strcmp(s, "lead") == 0) return BS_ACCESS_LEAD;
    if (strcmp(s, "write") == 0) return BS_ACCESS_WRITE;
    if (strcmp(s, "read") == 0) return BS_ACCESS_READ;
    if (strcmp(s, "public") == 0) return BS_ACCESS_PUBLIC;
    if (strcmp(s, "aggregate") == 0) return BS_ACCESS_AGGREGATE;
    return BS_ACCESS_NONE;
}

static bool is_project_need(bs_need n) {
    return n == BS_NEED_PROJECT_VIEW || n == BS_NEED_PROJECT_PUBLIC || n == BS_NEED_PROJECT_READ ||
           n == BS_NEED_STEP_WRITE || n == BS_NEED_PROJECT_WRITE || n == BS_NEED_PROJECT_LEAD;
}

bs_authz_result bs_authz_decide(const bs_authz_input *in) {
    if (!in) return BS_AUTHZ_FORBIDDEN;
    if (in->need == BS_NEED_PUBLIC || in->need == BS_NEED_WEBHOOK || in->need == BS_NEED_PROBE) return BS_AUTHZ_ALLOW;
    /* token scopes bound everything a token can do: reads need read, writes need write */
    if (in->authenticated && ((!in->write_method && !in->scope_read) || (in->write_method && !in->scope_write)))
        return BS_AUTHZ_FORBIDDEN;
    switch (in->need) {
    case BS_NEED_USER: return in->authenticated ? BS_AUTHZ_ALLOW : BS_AUTHZ_UNAUTHENTICATED;
    case BS_NEED_INSTALL_ADMIN:
        if (!in->authenticated) return BS_AUTHZ_UNAUTHENTICATED;
        return in->is_admin && in->scope_admin ? BS_AUTHZ_ALLOW : BS_AUTHZ_FORBIDDEN;
    case BS_NEED_ORG_ADMIN:
        if (!in->authenticated) return BS_AUTHZ_UNAUTHENTICATED;
        return (in->is_admin || in->is_org_admin) && in->scope_admin ? BS_AUTHZ_ALLOW : BS_AUTHZ_FORBIDDEN;
    default: break;
    }
    if (!is_project_need(in->need)) return BS_AUTHZ_FORBIDDEN; /* unknown need: deny */
    bs_access a = in->project_exists ? in->access : BS_ACCESS_NONE;
    bool stream = in->project_exists && in->stream;
    if (a <= BS_ACCESS_AGGREGATE && !stream) return in->authenticated ? BS_AUTHZ_NOT_FOUND : BS_AUTHZ_UNAUTHENTICATED;
    /* the set: a need is met by the level or by the stream flag, whichever grants it */
    bool ok;
    switch (in->need) {
    case BS_NEED_PROJECT_VIEW: ok = a >= BS_ACCESS_PUBLIC || stream; break;
    case BS_NEED_PROJECT_PUBLIC: ok = a >= BS_ACCESS_PUBLIC; break;
    case BS_NEED_PROJECT_READ: ok = a >= BS_ACCESS_READ; break;
    case BS_NEED_STEP_WRITE: ok = a >= BS_ACCESS_WRITE || (stream && in->developer_org && in->step_private); break;
    case BS_NEED_PROJECT_WRITE: ok = a >= BS_ACCESS_WRITE; break;
    case BS_NEED_PROJECT_LEAD: ok = a >= BS_ACCESS_LEAD; break;
    default: ok = false; break;
    }
    /* anonymous callers never write; POST on the public need (what-if) stores nothing */
    if (ok && in->write_method && !in->authenticated && in->need != BS_NEED_PROJECT_PUBLIC) ok = false;
    if (!ok) return in->authenticated ? BS_AUTHZ_FORBIDDEN : BS_AUTHZ_UNAUTHENTICATED;
    return BS_AUTHZ_ALLOW;
}

/* ---- the gate ---- */

typedef struct gate {
    bs_api *api;
    bs_req *req;
    bs_authz_next next;
    const bs_route *route;
    bs_path path;
    bs_principal *pr;
    bool has_credential;
    char kind[16], hash[BS_SECRET_HASH_BYTES]; /* the credential (read_credential) */
} gate;

/* The columns of bs_gate's row (migration 0047) that the gate reads, by position, then token_expires and gate_row:
 * from SQL_GATE / SQL_GATE_STATE's result, or from the memo below. */
enum { GATE_COLS = 12, GATE_EXPIRES = GATE_COLS, GATE_ROW_TEXT, GATE_N };
typedef struct gate_row {
    const char *v[GATE_N]; /* "" when NULL, as PQgetvalue */
    bool null[GATE_N];
} gate_row;

static void row_of_result(const PGresult *res, gate_row *row) {
    int text_col = PQfnumber(res, "gate_row");
    for (int i = 0; i < GATE_N; i++) {
        int col = i < GATE_COLS ? i : i == GATE_EXPIRES ? PQnfields(res) - 1 : text_col;
        row->null[i] = col < 0 || PQgetisnull(res, 0, col);
        row->v[i] = col < 0 ? "" : PQgetvalue(res, 0, col);
    }
}

/* ---- the gate memo: the gate rows of recent step writes and schedule reads, per credential and project ---- */

/* Slots of the memo: sets of GATE_MEMO_WAYS by project and credential, the least recently used of a full set replaced
 * (as many as the state cache's entries, BS_STATE_CACHE_ENTRIES: ≈ 150 bytes each, plus ≈ 300 for a row). */
#define GATE_MEMO_SLOTS 8192
#define GATE_MEMO_WAYS 4

typedef struct memo_slot {
    char project[40], kind[16], hash[BS_SECRET_HASH_BYTES];
    char *values; /* the GATE_N values, each NUL-terminated, one after the other (NULL: empty slot) */
    bool null[GATE_N];
    unsigned long long used; /* the memo's clock when last put or found */
} memo_slot;

struct bs_gate_memo {
    memo_slot slot[GATE_MEMO_SLOTS];
    unsigned long long clock;
};

void bs_gate_memo_free(struct bs_gate_memo *m) {
    if (!m) return;
    for (size_t i = 0; i < GATE_MEMO_SLOTS; i++) free(m->slot[i].values);
    free(m);
}

/* The slot of (project, kind, hash): its slot when the memo holds it, else (put) the slot to use for it: an empty one
 * of its set or the least recently used; NULL when not held and !put. */
static memo_slot *memo_find(bs_api *api, const char *project, const char *kind, const char *hash, bool put) {
    if (!api->gate_memo) api->gate_memo = bs_calloc(1, sizeof *api->gate_memo);
    struct bs_gate_memo *m = api->gate_memo;
    unsigned long h = 5381;
    for (const char *p = project; *p; p++) h = h * 33 + (unsigned char)*p;
    for (const char *p = hash; *p; p++) h = h * 33 + (unsigned char)*p;
    memo_slot *set = &m->slot[(h % (GATE_MEMO_SLOTS / GATE_MEMO_WAYS)) * GATE_MEMO_WAYS], *victim = set;
    m->clock++;
    for (int w = 0; w < GATE_MEMO_WAYS; w++) {
        memo_slot *s = &set[w];
        if (s->values && strcmp(s->project, project) == 0 && strcmp(s->kind, kind) == 0 && strcmp(s->hash, hash) == 0) {
            s->used = m->clock;
            return s;
        }
        if (victim->values && (!s->values || s->used < victim->used)) victim = s;
    }
    if (!put) return NULL;
    victim->used = m->clock;
    return victim;
}

/* Remembers row as the gate's row of the credential (kind, hash) for project. */
static void memo_put(bs_api *api, const char *project, const char *kind, const char *hash, const gate_row *row) {
    memo_slot *m = memo_find(api, project, kind, hash, true);
    size_t n = 0;
    for (int i = 0; i < GATE_N; i++) n += strlen(row->v[i]) + 1;
    free(m->values);
    m->values = bs_malloc(n);
    char *o = m->values;
    for (int i = 0; i < GATE_N; i++) {
        size_t l = strlen(row->v[i]) + 1;
        memcpy(o, row->v[i], l);
        o += l;
        m->null[i] = row->null[i];
    }
    snprintf(m->project, sizeof m->project, "%s", project);
    snprintf(m->kind, sizeof m->kind, "%s", kind);
    snprintf(m->hash, sizeof m->hash, "%s", hash);
}

/* The remembered gate row of the credential for project into row (pointing into the memo: valid until the next
 * memo_put), or false. */
static bool memo_get(bs_api *api, const char *project, const char *kind, const char *hash, gate_row *row) {
    memo_slot *m = memo_find(api, project, kind, hash, false);
    if (!m) return false;
    const char *p = m->values;
    for (int i = 0; i < GATE_N; i++) {
        row->v[i] = p;
        row->null[i] = m->null[i];
        p += strlen(p) + 1;
    }
    return !row->null[GATE_ROW_TEXT];
}

/* A fresh principal of req in its pool (it lives exactly as long as the request): the client's address
 * (bs_req_client), the project id (path text, "" for none) and, when the credential's kind is "session", its hash
 * (hash: read_credential's; kind NULL or another kind: none). Nothing else is known yet: no user, no decision. */
static bs_principal *principal_new(bs_req *req, const char *project, const char *kind, const char *hash) {
    bs_principal *pr = bs_req_alloc(req, sizeof *pr);
    snprintf(pr->address, sizeof pr->address, "%s", bs_req_client(req));
    snprintf(pr->project_id, sizeof pr->project_id, "%s", project);
    if (kind && strcmp(kind, "session") == 0) snprintf(pr->session_hash, sizeof pr->session_hash, "%s", hash);
    return pr;
}

/* A copy of text in req's pool. */
static char *pool_strdup(bs_req *req, const char *text) {
    size_t n = strlen(text) + 1;
    return memcpy(bs_req_alloc(req, n), text, n);
}

const bs_principal *bs__principal(const bs_req *req) {
    return bs_req_get_auth(req);
}

/* Reads the credential: a bearer token or the bs_session cookie. kind = "token" or
 * "session"; hash = SHA-256 hex of the secret. false = none sent. */
static bool read_credential(bs_req *req, char *kind, size_t kind_len, char hash[BS_SECRET_HASH_BYTES]) {
    const char *auth = bs_req_header(req, "authorization");
    if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *t = auth + 7;
        while (*t == ' ') t++;
        snprintf(kind, kind_len, "token");
        bs_secret_hash(t, strlen(t), hash, BS_SECRET_HASH_BYTES);
        return true;
    }
    if (auth) { /* another scheme: treated as an invalid credential */
        snprintf(kind, kind_len, "invalid");
        hash[0] = 0;
        return true;
    }
    const char *cookie = bs_req_header(req, "cookie");
    for (const char *c = cookie; c && *c;) {
        while (*c == ' ' || *c == ';') c++;
        if (strncmp(c, "bs_session=", 11) == 0) {
            c += 11;
            size_t l = strcspn(c, ";");
            snprintf(kind, kind_len, "session");
            bs_secret_hash(c, l, hash, BS_SECRET_HASH_BYTES);
            return true;
        }
        c = strchr(c, ';');
    }
    return false;
}

/* The number of bs_session values in all Cookie headers of req. */
static int session_cookie_count(const bs_req *req) {
    int n = 0;
    const char *cookie;
    for (int h = 0; (cookie = bs_req_header_at(req, "cookie", h)) != NULL; h++) {
        for (const char *c = cookie; *c;) {
            while (*c == ' ' || *c == ';') c++;
            if (strncmp(c, "bs_session=", 11) == 0) n++;
            c += strcspn(c, ";");
        }
    }
    return n;
}

/* Whether step is a step of the private stream. A key no loaded schema knows counts as
 * private here, so that the handler answers it with 404 (`key`) instead of the gate with 403.
 * Every shipped schema keeps a key in one stream (all loaded schemas agree on it). */
static bool step_is_private(const bs_api *api, const char *step) {
    for (int i = 0; i < api->engine->n_schemas; i++) {
        const bs_schema *s = api->engine->schemas[i].schema;
        for (int32_t k = 0; k < s->n_steps; k++)
            if (strcmp(s->steps[k].key, step) == 0) return s->steps[k].stream == BS_STREAM_PRIVATE;
    }
    for (const bs_engine_version *v = bs_engine_deployed(api->engine); v; v = v->next) /* deployed versions */
        for (int32_t k = 0; k < v->es.schema->n_steps; k++)
            if (strcmp(v->es.schema->steps[k].key, step) == 0)
                return v->es.schema->steps[k].stream == BS_STREAM_PRIVATE;
    return true;
}

static void refuse(bs_req *req, bs_authz_result r, const bs_path *m, const bs_authz_input *in) {
    static const char *const www[] = {"WWW-Authenticate", "Bearer realm=\"bouwstroom\"", NULL};
    switch (r) {
    case BS_AUTHZ_UNAUTHENTICATED:
        bs__fail_ex(req, BS_EUNAUTH, NULL, NULL, "Authorization", www,
                    "Send a bearer API token (Authorization: Bearer …) or log in (POST /api/v1/login)");
        break;
    case BS_AUTHZ_NOT_FOUND:
        bs__fail_as(req, BS_ENOTFOUND, NULL, "Project not found", "id", "No project with this id");
        break;
    default:
        if ((in->write_method && !in->scope_write) || (!in->write_method && !in->scope_read))
            bs__fail(req, BS_EFORBIDDEN, "Authorization", "%s",
                     in->write_method ? "The token's scopes do not include write"
                                      : "The token's scopes do not include read");
        else if ((in->need == BS_NEED_INSTALL_ADMIN || in->need == BS_NEED_ORG_ADMIN) && !in->scope_admin &&
                 (in->is_admin || in->is_org_admin))
            bs__fail(req, BS_EFORBIDDEN, "Authorization", "The token's scopes do not include admin");
        else if (m->step[0])
            bs__fail(req, BS_EFORBIDDEN, "key", "Your role does not allow changing this step");
        else if (m->project[0])
            bs__fail(req, BS_EFORBIDDEN, "id", "Your access to this project does not allow this");
        else
            bs__fail(req, BS_EFORBIDDEN, "Authorization", "Your role does not allow this request");
        break;
    }
}

/* Takes the project's state of SQL_GATE_STATE (when the statement was that) into the principal. */
static void gate_state(gate *g, const PGresult *res) {
    bs_principal *pr = g->pr;
    pr->state_stamp = -1;
    pr->state_stale_months = -1;
    int state_col = PQfnumber(res, "state"), stamp_col = PQfnumber(res, "state_stamp"),
        stale_col = PQfnumber(res, "state_stale_months");
    if (state_col < 0 || stamp_col < 0 || stale_col < 0 || PQgetisnull(res, 0, stamp_col)) return;
    pr->state_stamp = strtoll(PQgetvalue(res, 0, stamp_col), NULL, 10);
    if (!PQgetisnull(res, 0, stale_col)) pr->state_stale_months = atoi(PQgetvalue(res, 0, stale_col));
    if (!PQgetisnull(res, 0, state_col))
        pr->state = pool_strdup(g->req, PQgetvalue(res, 0, state_col));
    else
        pr->state_cached = true;
}

/* The principal of row into g->pr and the decision for g's route. answer: refusals are answered (problem+json);
 * otherwise nothing is sent. Returns the decision (an unknown credential: BS_AUTHZ_UNAUTHENTICATED). */
static bs_authz_result gate_decide(gate *g, const gate_row *row, bool answer) {
    bs_req *req = g->req;
    bs_principal *pr = g->pr;
    const char *const *v = row->v;
    bool known = strcmp(v[0], "t") == 0;
    if (known && !row->null[GATE_EXPIRES] && strtoll(v[GATE_EXPIRES], NULL, 10) <= bs_clock_now(g->api->clock))
        known = false; /* the API token expired by the server's clock */
    if (g->has_credential && !known) {
        static const char *const www[] = {"WWW-Authenticate", "Bearer realm=\"bouwstroom\", error=\"invalid_token\"",
                                          NULL};
        if (answer)
            bs__fail_ex(req, BS_EUNAUTH, NULL, "Invalid credential", pr->session_hash[0] ? "Cookie" : "Authorization",
                        www, "The token or session is unknown, expired or revoked, or the user is disabled");
        return BS_AUTHZ_UNAUTHENTICATED;
    }
    if (known) {
        pr->authenticated = true;
        snprintf(pr->user_id, sizeof pr->user_id, "%s", v[1]);
        snprintf(pr->email, sizeof pr->email, "%s", v[2]);
        snprintf(pr->organisation_id, sizeof pr->organisation_id, "%s", v[3]);
        pr->is_admin = strcmp(v[4], "t") == 0;
        pr->via_token = !row->null[5];
        snprintf(pr->token_id, sizeof pr->token_id, "%s", v[5]);
        char scopes[64];
        snprintf(scopes, sizeof scopes, ",%s,", v[6]);
        pr->scope_read = strstr(scopes, ",read,") != NULL;
        pr->scope_write = strstr(scopes, ",write,") != NULL;
        pr->scope_admin = strstr(scopes, ",admin,") != NULL;
        pr->beheerder_orgs = pool_strdup(req, v[7]);
    } else {
        pr->beheerder_orgs = pool_strdup(req, "{}");
    }
    pr->access = bs_access_parse(row->null[8] ? NULL : v[8]);
    pr->developer_org = strcmp(v[10], "t") == 0;
    pr->stream = strcmp(v[11], "t") == 0;
    bool exists = strcmp(v[9], "t") == 0;

    bs_authz_input in = {
        .need = g->route->need,
        .write_method = !(bs__method_is(req, "GET") || bs__method_is(req, "HEAD")),
        .authenticated = pr->authenticated,
        .is_admin = pr->is_admin,
        .is_org_admin = pr->beheerder_orgs && strcmp(pr->beheerder_orgs, "{}") != 0,
        .scope_read = pr->scope_read,
        .scope_write = pr->scope_write,
        .scope_admin = pr->scope_admin,
        .project_exists = exists,
        .access = pr->access,
        .stream = pr->stream,
        .developer_org = pr->developer_org,
        .step_private = g->path.step[0] && step_is_private(g->api, g->path.step),
    };
    bs_authz_result r = bs_authz_decide(&in);
    if (r != BS_AUTHZ_ALLOW && answer) refuse(req, r, &g->path, &in);
    return r;
}

static void gate_loaded(const PGresult *res, const char *err, void *arg) {
    gate *g = arg;
    bs_req *req = g->req;
    if (err) {
        bs__problem_db(req, err);
        return;
    }
    gate_row row;
    row_of_result(res, &row);
    /* the row of a credential with the state (SQL_GATE_STATE): remembered for a one-trip step write of the project */
    if (g->has_credential && !row.null[GATE_ROW_TEXT] && g->path.project[0])
        memo_put(g->api, g->path.project, g->kind, g->hash, &row);
    if (gate_decide(g, &row, true) != BS_AUTHZ_ALLOW) return;
    gate_state(g, res);
    bs_req_set_auth(req, g->pr, NULL);
    g->next(g->api, req, g->route, &g->path);
}

/* GET …/schedule as of now (no known_on) loads the project's state with the gate too: one round trip (issue 17 item 5;
 * only an economy: the handler loads the state itself when the gate did not). */
static bool gate_state_for_schedule(const bs_route *route, const bs_req *req) {
    return route->handler == bs__get_schedule && !strstr(bs_req_query(req), "known_on");
}

/* Runs the gate's statement for g (SQL_GATE, or SQL_GATE_STATE with the project's state) and continues in
 * gate_loaded. */
static void gate_run(gate *g) {
    /* a step write loads the project's state with the gate: one round trip fewer (issue 17 item 1); the state only
     * when it is not the one the state cache holds (the cached stamp: $4) */
    bool with_state =
        g->path.project[0] && (g->route->need == BS_NEED_STEP_WRITE || gate_state_for_schedule(g->route, g->req));
    char stamp[24];
    long long cached = with_state ? bs__state_cache_stamp(g->api, g->path.project) : -1;
    snprintf(stamp, sizeof stamp, "%lld", cached);
    const char *params[4] = {g->hash, g->kind, g->path.project[0] ? g->path.project : NULL, cached >= 0 ? stamp : NULL};
    bs_store_exec(g->api->store, with_state ? &SQL_GATE_STATE : &SQL_GATE, params, gate_loaded, g);
}

/* The respond hook of a one-trip step write (bs_req_set_respond_hook): the answer about to be sent is not a proven
 * write (a refusal of the body, a conflict, "not proven", an error): dropped, and the request goes through the gate
 * and the handler again, exactly as without the one trip. */
static bool one_trip_unproven(bs_req *req, void *arg) {
    gate *g = arg;
    g->pr = principal_new(g->req, g->path.project, g->kind, g->hash);
    bs_req_set_auth(req, g->pr, NULL);
    gate_run(g);
    return true;
}

void bs__one_trip_proven(bs_api *api, bs_req *req) {
    bs_req_set_respond_hook(req, NULL, NULL);
    api->one_trip_proven++;
}

/* The one-trip step write (issue 17 item 1): when the state cache holds the project's state (at a stamp > 0) and the
 * gate memo holds this credential's gate row for the project, and that row allows this step write, the handler runs
 * at once with that principal and the cached state, and its write statement runs the gate itself and writes only
 * when the gate gives the same row and the project's version and stamp are still the cached ones
 * (SQL_SCHEDULE_WRITE_ONE_TRIP). Any other answer is taken back (one_trip_unproven). Returns false (nothing done)
 * when the one trip does not apply. */
static bool try_one_trip(gate *g) {
    if (g->api->one_trip_off || g->route->need != BS_NEED_STEP_WRITE || !g->has_credential || !g->path.project[0])
        return false;
    if (strcmp(g->kind, "token") != 0 && strcmp(g->kind, "session") != 0) return false;
    long long cached = bs__state_cache_stamp(g->api, g->path.project);
    gate_row row;
    if (cached <= 0 || !memo_get(g->api, g->path.project, g->kind, g->hash, &row)) return false;
    if (gate_decide(g, &row, false) != BS_AUTHZ_ALLOW) {
        g->pr = principal_new(g->req, g->path.project, g->kind, g->hash);
        return false;
    }
    bs_principal *pr = g->pr;
    pr->state_stamp = cached;
    pr->state_stale_months = -1;
    pr->state_cached = true;
    pr->one_trip = true;
    pr->gate_row = pool_strdup(g->req, row.v[GATE_ROW_TEXT]);
    pr->cred_kind = g->kind;
    pr->cred_hash = g->hash;
    g->api->one_trip_tried++;
    bs_req_set_respond_hook(g->req, one_trip_unproven, g);
    bs_req_set_auth(g->req, pr, NULL);
    g->next(g->api, g->req, g->route, &g->path);
    return true;
}

void bs_authz_gate(bs_api *api, bs_req *req, const bs_route *route, const bs_path *path, bs_authz_next next) {
    if (route->need == BS_NEED_PROBE) { /* liveness and readiness: the same answer for everyone */
        bs_principal *pr = principal_new(req, "", NULL, NULL);
        pr->beheerder_orgs = pool_strdup(req, "{}");
        bs_req_set_auth(req, pr, NULL);
        next(api, req, route, path);
        return;
    }
    /* one credential per request: with two, which one counts would be a guess */
    if (bs_req_header_at(req, "authorization", 1)) {
        bs__fail_as(req, BS_EBADPARAM, "ambiguous_credential", "Ambiguous credential", "Authorization",
                    "Send at most one Authorization header");
        return;
    }
    if (!bs_req_header_at(req, "authorization", 0) && session_cookie_count(req) > 1) {
        bs__fail_as(req, BS_EBADPARAM, "ambiguous_credential", "Ambiguous credential", "Cookie",
                    "Send at most one bs_session cookie");
        return;
    }
    if (route->need == BS_NEED_WEBHOOK) { /* its Authorization header is not ours to read */
        bs_principal *pr = principal_new(req, "", NULL, NULL);
        pr->beheerder_orgs = pool_strdup(req, "{}");
        bs_req_set_auth(req, pr, NULL);
        next(api, req, route, path);
        return;
    }
    char kind[16] = "", hash[BS_SECRET_HASH_BYTES] = "";
    bool cred = read_credential(req, kind, sizeof kind, hash);
    /* the principal and the gate's state live exactly as long as the request: its pool */
    bs_principal *pr = principal_new(req, path->project, cred ? kind : NULL, hash);
    if (!cred && !path->project[0] && route->need == BS_NEED_PUBLIC) {
        /* anonymous request for a public route: no store round trip */
        pr->beheerder_orgs = pool_strdup(req, "{}");
        bs_req_set_auth(req, pr, NULL);
        next(api, req, route, path);
        return;
    }
    gate *g = bs_req_alloc(req, sizeof *g);
    g->api = api;
    g->req = req;
    g->next = next;
    g->route = route;
    g->path = *path;
    g->pr = pr;
    g->has_credential = cred;
    snprintf(g->kind, sizeof g->kind, "%s", cred ? kind : "none");
    snprintf(g->hash, sizeof g->hash, "%s", cred ? hash : "");
    if (try_one_trip(g)) return;
    gate_run(g);
}

/* ---- writes with the actor set ---- */

typedef struct write_job {
    bs_conn *conn;
    const bs_stmt *stmt;
    int n;
    char **params;
    char *begin_sql; /* BEGIN; set_config of the actor (bs_store_begin_as) */
    bs_store_cb cb;
    void *arg;
    PGresult *copy;
    const bs_api *api; /* set: call api->sweep_wake after the COMMIT (bs__store_write_waking) */
} write_job;

static void write_job_free(write_job *j) {
    for (int i = 0; i < j->n; i++) free(j->params[i]);
    free(j->params);
    free(j->begin_sql);
    if (j->copy) PQclear(j->copy);
    free(j);
}

static void write_fail(write_job *j, const char *err) {
    if (j->conn) bs_store_release(j->conn);
    j->conn = NULL;
    j->cb(NULL, err, j->arg);
    write_job_free(j);
}

static void write_committed(const PGresult *res, const char *err, void *arg) {
    (void)res;
    write_job *j = arg;
    if (err) return write_fail(j, err);
    bs_store_release(j->conn);
    j->conn = NULL;
    if (j->api) bs__sweep_woken(j->api);
    j->cb(j->copy, NULL, j->arg);
    write_job_free(j);
}

static void write_done(const PGresult *res, const char *err, void *arg) {
    write_job *j = arg;
    if (err) return write_fail(j, err);
    j->copy = PQcopyResult(res, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
    if (!j->copy) return write_fail(j, "out of memory copying a result");
    bs_conn_script(j->conn, "COMMIT", write_committed, j);
}

static void write_begun(const PGresult *res, const char *err, void *arg) {
    (void)res;
    write_job *j = arg;
    if (err) return write_fail(j, err);
    bs_conn_exec(j->conn, j->stmt, (const char *const *)j->params, write_done, j);
}

static void write_acquired(bs_conn *conn, const char *err, void *arg) {
    write_job *j = arg;
    if (err) return write_fail(j, err);
    j->conn = conn;
    bs_conn_script(conn, j->begin_sql, write_begun, j); /* BEGIN and the actor in one round trip */
}

/* Starts a write job: params copied, begin_sql (owned) run first, wake (NULL: none) called after the
 * COMMIT. */
static void write_start(bs_api *api, const bs_stmt *stmt, const char *const *params, bs_store_cb cb, void *arg,
                        char *begin_sql, const bs_api *wake) {
    write_job *j = bs_calloc(1, sizeof *j);
    int n_params = stmt->n_params;
    j->stmt = stmt;
    j->n = n_params;
    j->params = bs_calloc((size_t)(n_params > 0 ? n_params : 1), sizeof *j->params);
    for (int i = 0; i < n_params; i++) j->params[i] = params[i] ? bs_strdup(params[i]) : NULL;
    j->cb = cb;
    j->arg = arg;
    j->begin_sql = begin_sql;
    j->api = wake;
    bs_store_acquire(api->store, write_acquired, j);
}

void bs__store_write_actor(bs_api *api, const char *actor_json, const bs_stmt *stmt, const char *const *params,
                           bs_store_cb cb, void *arg) {
    write_start(api, stmt, params, cb, arg, bs_store_begin_as(actor_json), NULL);
}

void bs__store_write_waking(bs_api *api, bs_req *req, const bs_stmt *stmt, const char *const *params, bs_store_cb cb,
                            void *arg) {
    if (!api->sweep_wake) return bs__store_write(api, req, stmt, params, cb, arg);
    char *actor = bs__actor_json(req, NULL, NULL);
    char *begin = bs_store_begin_as(actor);
    free(actor);
    /* the same SELECT as the actor's: still one round trip */
    static const char wake[] = ", set_config('bouwstroom.sweep_wake', 'after', true)";
    size_t n = strlen(begin);
    char *sql = bs_malloc(n + sizeof wake);
    memcpy(sql, begin, n);
    memcpy(sql + n, wake, sizeof wake);
    free(begin);
    write_start(api, stmt, params, cb, arg, sql, api);
}

const char *bs__sweep_wake_setting(const bs_api *api) {
    return api->sweep_wake ? "after" : "";
}

void bs__sweep_woken(const bs_api *api) {
    if (api->sweep_wake) api->sweep_wake(api->sweep_wake_arg);
}

void bs__store_write_one(bs_api *api, const bs_stmt *stmt, const char *const *params, bs_store_cb cb, void *arg) {
    /* a named statement on any free connection is one extended-protocol exchange (Bind, Execute,
     * Sync): outside BEGIN it is its own transaction, committed at Sync, and bs_store_exec calls cb
     * only after ReadyForQuery, so with every result and the commit's error if it failed */
    bs_store_exec(api->store, stmt, params, cb, arg);
}

char *bs__actor_json(const bs_req *req, const char *user_id, const char *email) {
    const bs_principal *pr = req ? bs__principal(req) : NULL;
    json_t *a = json_object();
    if (user_id) {
        json_object_set_new(a, "user_id", json_string(user_id));
        json_object_set_new(a, "email", json_string(email ? email : ""));
        json_object_set_new(a, "label", json_string(email ? email : user_id));
    } else if (pr && pr->authenticated) {
        json_object_set_new(a, "user_id", json_string(pr->user_id));
        json_object_set_new(a, "email", json_string(pr->email));
        json_object_set_new(a, "organisation_id", json_string(pr->organisation_id));
        json_object_set_new(a, "label", json_string(pr->email));
    } else {
        json_object_set_new(a, "label", json_string("anonymous"));
    }
    if (req && bs_req_client(req)[0]) json_object_set_new(a, "address", json_string(bs_req_client(req)));
    char *s = bs_json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

void bs__store_write(bs_api *api, bs_req *req, const bs_stmt *stmt, const char *const *params, bs_store_cb cb,
                     void *arg) {
    char *actor = bs__actor_json(req, NULL, NULL);
    bs__store_write_actor(api, actor, stmt, params, cb, arg);
    free(actor);
}
