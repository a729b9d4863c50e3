/*
 * Bouwstroom API: the route table and the one dispatcher (docs/architecture.md "Routes").
 *
 * Every endpoint is one row of `bs_routes` (api/route_table.c): method, path template (as
 * docs/openapi.json spells it), what the gate requires, the query parameters it reads, the
 * handler and the OpenAPI operationId. The gate (api/authz.c) and the dispatcher
 * (api/routes.c) read that table and nothing else; tests/unit/test_routes.c checks it against
 * docs/openapi.json both ways. A path that matches no row is answered 404, a path that
 * matches rows of other methods 405 with Allow, before anything else runs (default deny).
 *
 * Path parameters are typed by the collection they follow ("projects/{id}" is a project
 * UUID, "steps/{key}" a step key, …: `path_types` in route_table.c). They are parsed and
 * validated once, in bs_route_match, and reach the handler in a bs_path.
 */
#ifndef BS_ROUTER_H
#define BS_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "authz.h"
#include "err.h"

/* The path parameters of one request, validated. "" where the route has none. */
typedef struct bs_path {
    char project[40]; /* {id} of /api/v1/projects/{id}…: a UUID (lower or upper case as sent) */
    char step[128];   /* {key} of …/steps/{key}: a step key (the handler checks the schema) */
    char ref[256];    /* the route's other parameter: a resource id (UUID or event number,
                       * checked), a process schema or export key, a feed or unsubscribe token */
    char sub[128];    /* a second parameter after ref: a schema version ("versions/{n}") or the
                       * schema key of an organisation's setting */
} bs_path;

/* A handler: answers req exactly once (now or from a store callback). path lives only
 * during the call: copy what outlives it. */
typedef void (*bs_route_fn)(bs_api *api, bs_req *req, const bs_path *path);

/* One endpoint. HEAD is served wherever GET is. */
typedef struct bs_route {
    const char *method;       /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;         /* OpenAPI path template, e.g. "/api/v1/projects/{id}/steps/{key}" */
    bs_need need;             /* what the gate requires (authz.h) */
    const char *query;        /* the query parameters it reads, space-separated ("" none):
                               * any other is refused with 400 before the handler runs */
    bs_route_fn handler;      /* called after the gate allowed the request */
    const char *operation_id; /* operationId of this operation in docs/openapi.json */
    size_t max_body;          /* largest request body, bytes; 0 = BS_HTTP_MAX_BODY_BYTES */
} bs_route;

/* The table (api/route_table.c) and its length. */
extern const bs_route bs_routes[];
extern const size_t bs_n_routes;

/* Matches method and path (normalised, no query) against the table.
 * Returns 0 with *route and *path filled; or
 *  - BS_ENOTFOUND: no row has this path (err: title "Not found", no field), or a path
 *    parameter is malformed (err names it: "id", "scenario_id", "token", …);
 *  - BS_EMETHOD: rows exist for other methods; allow receives them ("GET, POST", allow_len
 *    bytes). */
int bs_route_match(const char *method, const char *path, const bs_route **route, bs_path *out, char *allow,
                   size_t allow_len, bs_err *err);

/* True when path (normalised) lies under a prefix of the table: its first segment is the
 * first segment of some row ("api", "healthz", "calendar", "unsubscribe"). Such paths are the
 * router's (unknown ones answer problem+json 404); all others are the web app's (api/web.h). */
bool bs_route_owns(const char *path);

/* The largest body the route takes, bytes (route NULL: BS_HTTP_MAX_BODY_BYTES). */
size_t bs_route_max_body(const bs_route *route);

/* The route a request was matched to (set by the gate; NULL before). */
const bs_route *bs__route(const bs_req *req);

#endif
