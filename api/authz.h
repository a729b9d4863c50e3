/*
 * Bouwstroom API: authentication and authorisation in one place.
 *
 * Every endpoint is a row of the route table (api/router.h), which says what it needs
 * (bs_need). A request that matches no row is answered 404/405 by the dispatcher and never
 * reaches the gate or a handler (default deny). Before a handler runs, the gate
 *   1. reads the credential: `Authorization: Bearer <API token>` or the `bs_session` cookie;
 *   2. loads the principal and, for project routes, the principal's access to the project
 *      from the store in one query (SQL function bs_project_access, migration 0010 — the
 *      confidentiality policy of docs/security.md §3, used by every list, feed and export too);
 *   3. decides with bs_authz_decide (pure) and answers 401 / 403 / 404 problems, or hands
 *      the request to the handler with the principal attached (bs__principal).
 * Writes go through bs__store_write, which runs the statement in a transaction that first
 * sets the actor (bouwstroom.actor) read by the audit triggers, or bs__store_write_one for a
 * statement that sets the actor itself and runs alone in one round trip.
 */
#ifndef BS_AUTHZ_H
#define BS_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"

/* What an endpoint needs. */
typedef enum bs_need {
    BS_NEED_PUBLIC,         /* anyone, also anonymous (a credential, when sent, must be valid) */
    BS_NEED_WEBHOOK,        /* anyone; the Authorization header is the handler's own shared secret
                            * (ZGW Notificaties), not a Bouwstroom credential */
    BS_NEED_PROBE,          /* anyone; no credential is read, so the answer never waits for the
                            * database's verdict on one (GET /healthz, GET /readyz) */
    BS_NEED_USER,           /* an authenticated user */
    BS_NEED_INSTALL_ADMIN,  /* an administrator of the installation (users.is_admin), scope admin */
    BS_NEED_ORG_ADMIN,      /* is_admin, or beheerder of some organisation (the handler narrows), scope admin */
    BS_NEED_PROJECT_VIEW,   /* project access stream, public, read, write or lead */
    BS_NEED_PROJECT_PUBLIC, /* the project's public facts: public, read, write or lead (also
                            * anonymous on an openbaar project, also for POST: what-if stores nothing) */
    BS_NEED_PROJECT_READ,   /* project access read, write or lead (the people: members, scenarios) */
    BS_NEED_STEP_WRITE,     /* write or lead; or stream for a step of the private stream of the
                            * principal's own (developer) organisation */
    BS_NEED_PROJECT_WRITE,  /* write or lead */
    BS_NEED_PROJECT_LEAD,   /* lead */
} bs_need;

/* The best nested access level a principal has to one project, low to high (column
 * `access` of bs_project_access in SQL, migration 0015). A caller's access is a set: this
 * level plus, separately, the stream flag (an external member's private stream; `stream` in
 * bs_principal and bs_authz_input), docs/security.md §3. */
typedef enum bs_access {
    BS_ACCESS_NONE = 0,
    BS_ACCESS_AGGREGATE, /* counted in aggregates only (management, raad below their level) */
    BS_ACCESS_PUBLIC,    /* openbaar: the public facts of docs/security.md §3a only */
    BS_ACCESS_READ,
    BS_ACCESS_WRITE,
    BS_ACCESS_LEAD,
} bs_access;

/* Parses the SQL access text ('lead', 'write', 'read', 'public', 'aggregate'; NULL or
 * unknown = BS_ACCESS_NONE). */
bs_access bs_access_parse(const char *s);

/* The authenticated principal of a request, in the request's pool (bs_req_alloc). Strings
 * are NUL-terminated; "" when absent. */
typedef struct bs_principal {
    bool authenticated;
    bool via_token; /* bearer API token (else a session cookie) */
    bool is_admin;  /* administrator of the installation */
    bool scope_read, scope_write, scope_admin;
    char user_id[40];
    char email[256];
    char organisation_id[40]; /* home organisation */
    char token_id[40];        /* the API token, when via_token */
    char session_hash[72];    /* SHA-256 hex of the session secret, when a session */
    char *beheerder_orgs; /* in the request's pool; SQL array literal of organisations where the user is beheerder */
    /* project routes */
    char project_id[40];
    bs_access access;   /* best level */
    bool stream;        /* and stream access (external member) */
    bool developer_org; /* the principal's organisation owns the project's private stream */
    char address[64];   /* client IP address */
    /* step writes (BS_NEED_STEP_WRITE) and GET …/schedule: the project's scheduling state, loaded by the gate in the
     * same statement (SQL_GATE_STATE, the JSON of SQL_SCHEDULE_LOAD_NOW), in the request's pool; NULL otherwise */
    const char *state;
    /* with it: the project's forecast stamp the state was read at (-1: not read; api/state_cache.h), the owner's
     * stale_after_months (-1: NULL), and whether the state was left out because the server's state cache holds it at
     * that stamp (state NULL then) */
    long long state_stamp;
    int state_stale_months;
    bool state_cached;
    /* a one-trip step write (bs_authz_gate): the principal is the one the gate found for this credential and project
     * before (remembered), not yet proven; the write statement proves it (SQL_SCHEDULE_WRITE_ONE_TRIP with these:
     * the gate row's text, the credential's kind and hash, in the request's pool), and any other answer sends the
     * request through the gate again */
    bool one_trip;
    const char *gate_row, *cred_kind, *cred_hash;
} bs_principal;

/* Inputs of one decision (pure). */
typedef struct bs_authz_input {
    bs_need need;
    bool write_method; /* not GET/HEAD */
    bool authenticated;
    bool is_admin, is_org_admin;
    bool scope_read, scope_write, scope_admin;
    bool project_exists;
    bs_access access; /* best level granted by any rule */
    bool stream;      /* an external member: the private stream (in addition to access) */
    bool developer_org;
    bool step_private; /* the step addressed is in the private stream */
} bs_authz_input;

/* The outcome: allow, or the HTTP status of the refusal. */
typedef enum bs_authz_result {
    BS_AUTHZ_ALLOW = 0,
    BS_AUTHZ_UNAUTHENTICATED = 401, /* no or invalid credential where one is needed */
    BS_AUTHZ_FORBIDDEN = 403,       /* known and visible, but not allowed */
    BS_AUTHZ_NOT_FOUND = 404,       /* the project does not exist or is not visible */
} bs_authz_result;

/* Decides one request (docs/security.md §4) over the caller's access set (level + stream).
 * Pure; default deny for unknown needs. Invisible projects (level none or aggregate and no
 * stream) answer 404, so that their existence does not leak; anonymous requests for a
 * non-public project answer 401. A need is met when any part of the set meets it. */
bs_authz_result bs_authz_decide(const bs_authz_input *in);

struct bs_route;
struct bs_path;
/* What the gate calls for an allowed request: the matched route and its path parameters
 * (path lives only during the call). */
typedef void (*bs_authz_next)(bs_api *api, bs_req *req, const struct bs_route *route, const struct bs_path *path);

/* The gate for a request matched to route (router.h): refuses ambiguous credentials (400),
 * authenticates, loads the principal's access to path->project when there is one,
 * authorises with bs_authz_decide, then calls next for allowed requests. Answers every
 * refusal itself (problem+json). */
void bs_authz_gate(bs_api *api, bs_req *req, const struct bs_route *route, const struct bs_path *path,
                   bs_authz_next next);

/* A one-trip step write of req (bs_principal.one_trip) was proven: its statement wrote. Its answer is sent as it is
 * (no second gate); counted in api->one_trip_proven. */
void bs__one_trip_proven(bs_api *api, bs_req *req);

/* Finds the first query parameter of query (a=b&c=d, raw) whose name is not in allowed
 * (space-separated names; "" = none allowed). Returns 1 and writes that name as sent (bytes
 * outside printable ASCII percent-encoded, at most 100 bytes of it) into name, or 0 when
 * every parameter is known. Empty segments ("a=1&&b=2") are ignored. */
int bs_query_unknown_param(const char *query, const char *allowed, char *name, size_t name_len);

/* The principal of an allowed request (never NULL after the gate; anonymous: not authenticated). */
const bs_principal *bs__principal(const bs_req *req);

/* Runs one named write statement (stmt->n_params parameters, prepared once per connection) in
 * its own transaction after setting the transaction-local actor (bouwstroom.actor: user,
 * organisation, client address) that the audit triggers record. Same contract as
 * bs_store_exec: cb exactly once, res valid during the call, and it is called only after
 * COMMIT succeeded (or with err). */
void bs__store_write(bs_api *api, bs_req *req, const bs_stmt *stmt, const char *const *params, bs_store_cb cb,
                     void *arg);

/* Runs one named write statement that sets the actor itself: its last parameter
 * ($stmt->n_params) is the actor JSON (bs__actor_json), which the statement passes to
 * set_config('bouwstroom.actor', $n, true) before it writes anything the triggers audit. The
 * statement runs alone in its own (implicit) transaction, committed at the protocol's Sync
 * before PostgreSQL answers: one round trip instead of acquire, BEGIN, statement, COMMIT
 * (issue 17). Same contract as bs__store_write: params[n_params - 1] is the actor, cb exactly
 * once, called after the commit succeeded (or with err, the statement's or the commit's). */
void bs__store_write_one(bs_api *api, const bs_stmt *stmt, const char *const *params, bs_store_cb cb, void *arg);

/* bs__store_write for a write that changes project_blocks or a forecast stamp (migrations 0034,
 * 0038): when the composition root set api->sweep_wake, the transaction sets bouwstroom.sweep_wake =
 * 'after' (no NOTIFY in it, migration 0045) and api->sweep_wake is called after its COMMIT, before
 * cb (issue 17 item 1). Otherwise exactly bs__store_write. */
void bs__store_write_waking(bs_api *api, bs_req *req, const bs_stmt *stmt, const char *const *params, bs_store_cb cb,
                            void *arg);

/* The value of bouwstroom.sweep_wake a single-statement write (bs__store_write_one) sets with
 * set_config: "after" when api->sweep_wake is set (the caller then calls bs__sweep_woken after the
 * commit), else "" (the trigger sends its NOTIFY in the transaction, as before). */
const char *bs__sweep_wake_setting(const bs_api *api);

/* A write that set bouwstroom.sweep_wake = bs__sweep_wake_setting(api) has committed: calls
 * api->sweep_wake (the sweeps' wake-up, engine/runtime/forecast_sweep.h), if set. */
void bs__sweep_woken(const bs_api *api);

/* Same with an explicit actor (a JSON object, see migration 0010), e.g. the user who is
 * logging in. */
void bs__store_write_actor(bs_api *api, const char *actor_json, const bs_stmt *stmt, const char *const *params,
                           bs_store_cb cb, void *arg);

/* The actor JSON of req's principal (user_id/email given: that user instead), with the
 * client address. Caller frees. */
char *bs__actor_json(const bs_req *req, const char *user_id, const char *email);

#endif
