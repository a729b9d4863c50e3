/*
 * Bouwstroom API: the thin HTTP layer over h2o 2.2.5 on the libuv loop.
 *
 * This is the only module that includes h2o headers, so that h2o could be replaced.
 * HTTP/1.1 only, plain TCP; bind to loopback and put a TLS reverse proxy in front in
 * production (docs/operations.md).
 */
#ifndef BS_HTTP_H
#define BS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "err.h"

typedef struct bs_http bs_http;
typedef struct bs_req bs_req;

/* Request handler: must eventually call bs_req_respond (or a helper) exactly once, now or
 * later from a callback on the loop. */
typedef void (*bs_http_handler)(bs_req *req, void *ctx);

/* The server's caps on client connections (docs/operations.md "Connection limits";
 * api/conn_limit.h, api/overflow.h). */
typedef struct bs_http_limits {
    int max_connections;            /* open client connections in total (>= 1) */
    int max_connections_per_client; /* open connections from one client address (>= 1); trusted
                                     * proxies are exempt */
    int max_overflow;               /* connections over a cap answered at once (0: BS_HTTP_MAX_OVERFLOW);
                                     * more are closed without an answer */
    const char *trusted_proxies;    /* addresses and CIDR blocks of the reverse proxies whose
                                     * X-Forwarded-For is believed (api/netaddr.h); NULL or "": none */
    int request_timeout_ms;         /* time for a whole request to arrive, ms (0:
                                     * BS_HTTP_REQUEST_TIMEOUT_MS) */
} bs_http_limits;

/* Default of bs_http_limits.max_overflow. */
#define BS_HTTP_MAX_OVERFLOW 64

/* Starts listening on host:port (port 0 = ephemeral) on loop, with the connection caps and
 * trusted proxies of limits (copied). Returns the server or NULL with err (may be NULL)
 * filled: BS_EINVAL (host is not an IPv4 or IPv6 address; or, with field
 * "trusted_proxies", an entry of the trusted proxies is not an address or block) or BS_EIO
 * (bind or listen failed, libuv's reason in the message). *bound_port receives the actual
 * port. */
bs_http *bs_http_start(uv_loop_t *loop, const char *host, int port, const bs_http_limits *limits,
                       bs_http_handler handler, void *ctx, int *bound_port, bs_err *err);

/* Stops accepting, asks open connections to close, and calls done once no request is in
 * flight (or after timeout_ms). The struct is freed after done returns. */
void bs_http_stop(bs_http *http, unsigned timeout_ms, void (*done)(void *arg), void *arg);

/* Request accessors. Strings are NUL-terminated copies owned by the request. */
const char *bs_req_method(const bs_req *req);
const char *bs_req_path(const bs_req *req);              /* normalised path, no query */
const char *bs_req_query(const bs_req *req);             /* raw query string after '?', or "" */
const char *bs_req_body(const bs_req *req, size_t *len); /* entity, or NULL */
/* A request header value (case-insensitive name), or NULL. */
const char *bs_req_header(const bs_req *req, const char *name);
/* The index-th (from 0) header of that name (case-insensitive), or NULL: a request may
 * repeat a header. */
const char *bs_req_header_at(const bs_req *req, const char *name, int index);
/* The request target's path as received (percent-encoding intact, without the query);
 * bytes outside printable ASCII are percent-encoded. For problem documents' "instance". */
const char *bs_req_raw_path(const bs_req *req);
/* scheme://authority of the request, e.g. "http://127.0.0.1:8080". */
const char *bs_req_base_url(const bs_req *req);

/* Sends the response (body copied) and releases the request. If the client has gone away
 * meanwhile, only releases it. extra_headers: NULL, or pairs name, value, …, NULL. */
void bs_req_respond(bs_req *req, int status, const char *content_type, const char *body, size_t len,
                    const char *const *extra_headers);

/* The authenticated principal of the request (api/authz.c): set once by the gate, freed
 * with free_fn when the request is released. */
void bs_req_set_auth(bs_req *req, void *auth, void (*free_fn)(void *));
void *bs_req_get_auth(const bs_req *req);
/* A hook called once by the next bs_req_respond of req, before anything is sent (hook NULL: none). When it returns
 * true, that response is dropped and req stays open: the hook has taken the request back and answers it later
 * (another bs_req_respond); false sends the response as usual. Not called when the client has gone away. For the
 * gate's one-trip step writes (api/authz.c): an answer other than a proven write is dropped and the request goes
 * through the gate again. */
void bs_req_set_respond_hook(bs_req *req, bool (*hook)(bs_req *, void *), void *arg);
/* The TCP peer's IP address as text ("127.0.0.1", "::1"), or "" when unknown. */
const char *bs_req_peer(const bs_req *req);
/* The client's IP address as text: the TCP peer's, or, when the peer is a trusted proxy,
 * the one its X-Forwarded-For names (bs_client_address, api/netaddr.h). What the login
 * limiter counts, sessions and the audit log record. "" when unknown. */
const char *bs_req_client(const bs_req *req);
/* The server's open client connections, its cap on them (bs_http_limits), and how many
 * connections it answered over a cap since it started (api/overflow.h). */
void bs_req_connections(const bs_req *req, int *open, int *max, long *refused);

/* The request's pool: size bytes, zeroed and aligned for any type, never NULL (alloc.h's
 * policy). Freed all at once when the request is released (bs_req_respond), so it is for
 * memory that lives exactly as long as the request — never for a context a store callback
 * may still touch after the answer was sent. */
void *bs_req_alloc(bs_req *req, size_t size);

/* Per-request scratch pointer for handlers. */
void bs_req_set_data(bs_req *req, void *data);
void *bs_req_get_data(const bs_req *req);

/* Default time for a whole request (line, headers and body) to arrive, milliseconds (h2o's
 * http1.req_timeout; bs_http_limits.request_timeout_ms overrides it). h2o 2.2.5 calls no handler before the body is complete and, when this
 * time runs out, closes the connection without a response (no 408: docs/api.md). */
#define BS_HTTP_REQUEST_TIMEOUT_MS 10000

/* Largest request body the API accepts (bytes); larger bodies get a 413 problem. */
#define BS_HTTP_MAX_BODY_BYTES (1024 * 1024)
/* Largest upload to the exchange imports (/api/v1/exchange/…: GeoJSON, Excel), bytes: the
 * whole GeoJSON export of the 4,348 real plans (about 5.5 MB) fits. */
#define BS_HTTP_MAX_UPLOAD_BYTES (8 * 1024 * 1024 - 1024)

#endif
