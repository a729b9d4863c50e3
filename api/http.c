/*
 * HTTP server on h2o 2.2.5 (libuv flavour). See http.h.
 */
#include "http.h"

#include <stddef.h>

#include "alloc.h"
#include "conn_limit.h"
#include "netaddr.h"
#include "overflow.h"

#include <h2o.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if !H2O_USE_LIBUV
#error "Bouwstroom needs the libuv flavour of h2o (libh2o, not libh2o-evloop)"
#endif

/* h2o refuses larger bodies itself (plain text); up to this size the API answers 413
 * problem+json for bodies over BS_HTTP_MAX_BODY_BYTES */
#define H2O_MAX_BODY_BYTES (8 * 1024 * 1024)

/* Pending connections the kernel queues before they are accepted (nginx's default; Linux
 * caps it at net.core.somaxconn). */
#define LISTEN_BACKLOG 511

struct bs_http {
    uv_loop_t *loop;
    uv_tcp_t listener;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    bs_http_handler handler;
    void *hctx;
    int inflight;
    bool stopping;
    uv_timer_t drain;
    uint64_t deadline;
    void (*done)(void *);
    void *done_arg;
    bs_conn_limits *limits; /* owned; outlives the struct while connections close (conn_limit.h) */
    bs_overflow *overflow;  /* owned: connections over a cap, being answered */
    bs_cidr_list trusted;   /* owned copy of the trusted proxies */
};

/* An accepted client connection: the libuv handle h2o reads and writes (first member: the
 * block is freed through the handle's address) and what the caps counted it as. */
typedef struct http_conn {
    uv_tcp_t tcp;
    bs_conn_limits *limits; /* not owned */
    bs_netaddr peer;
} http_conn;

typedef struct route_handler {
    h2o_handler_t super;
    bs_http *http;
} route_handler;

struct req_guard {
    bs_req *req; /* cleared when the request is released first */
};

/* One allocation of a request's pool: freed together when the request is released. */
struct pool_item {
    struct pool_item *next;
    max_align_t data[];
};

struct bs_req {
    struct pool_item *pool;  /* bs_req_alloc: everything freed in req_release */
    h2o_req_t *h;            /* NULL once h2o has freed the request (client gone) */
    struct req_guard *guard; /* lives in h->pool */
    bs_http *http;
    char *method, *path, *query, *base; /* in the pool */
    char *raw_path;                     /* in the pool: the path as received (see bs_req_raw_path) */
    char peer[BS_NETADDR_TEXT];         /* the TCP peer's address, "" when unknown */
    char client[BS_NETADDR_TEXT];       /* the client's address (X-Forwarded-For of a trusted proxy) */
    void *data;
    void *auth; /* owned through auth_free */
    void (*auth_free)(void *);
    bool (*respond_hook)(bs_req *, void *); /* bs_req_set_respond_hook */
    void *respond_hook_arg;
};

static void guard_dispose(void *p) {
    struct req_guard *g = p;
    if (g->req) g->req->h = NULL;
}

void *bs_req_alloc(bs_req *req, size_t size) {
    struct pool_item *it = bs_calloc(1, sizeof *it + size);
    it->next = req->pool;
    req->pool = it;
    return it->data;
}

static char *dup_iov(bs_req *r, const char *base, size_t len) {
    char *s = bs_req_alloc(r, len + 1);
    if (len) memcpy(s, base, len);
    s[len] = 0;
    return s;
}

/* Most X-Forwarded-For headers read from one request (a proxy appends to one header). */
#define XFF_MAX 8

/* The TCP peer of h and the client address (netaddr.h: X-Forwarded-For is read only when the
 * peer is a trusted proxy), as text into r. */
static void set_addresses(const bs_http *http, bs_req *r, h2o_req_t *h) {
    struct sockaddr_storage ss;
    socklen_t sl = h->conn->callbacks->get_peername ? h->conn->callbacks->get_peername(h->conn, (void *)&ss) : 0;
    bs_netaddr peer = {0}, client;
    if (sl > 0) bs_netaddr_from_sockaddr((struct sockaddr *)&ss, &peer);
    bs_netaddr_format(&peer, r->peer, sizeof r->peer);
    const char *xff[XFF_MAX];
    size_t n = 0;
    if (bs_cidr_list_contains(&http->trusted, &peer))
        for (size_t i = 0; i < h->headers.size && n < XFF_MAX; i++) {
            h2o_header_t *hd = &h->headers.entries[i];
            if (hd->name->len != 15 || strncasecmp(hd->name->base, "x-forwarded-for", 15) != 0) continue;
            char *v = h2o_mem_alloc_pool(&h->pool, hd->value.len + 1);
            memcpy(v, hd->value.base, hd->value.len);
            v[hd->value.len] = 0;
            xff[n++] = v;
        }
    bs_client_address(&peer, &http->trusted, xff, n, &client);
    bs_netaddr_format(&client, r->client, sizeof r->client);
}

static int on_req(h2o_handler_t *self, h2o_req_t *h) {
    route_handler *rh = (route_handler *)self;
    bs_http *http = rh->http;
    bs_req *r = bs_calloc(1, sizeof *r);
    r->h = h;
    r->http = http;
    r->guard = h2o_mem_alloc_shared(&h->pool, sizeof *r->guard, guard_dispose);
    r->guard->req = r;
    r->method = dup_iov(r, h->method.base, h->method.len);
    /* a decoded NUL (%00) would cut the path short: such a path matches no route */
    if (memchr(h->path_normalized.base, 0, h->path_normalized.len))
        r->path = dup_iov(r, "/\x01", 2);
    else
        r->path = dup_iov(r, h->path_normalized.base, h->path_normalized.len);
    size_t raw_len = h->query_at != SIZE_MAX && h->query_at < h->path.len ? h->query_at : h->path.len;
    r->raw_path = bs_req_alloc(r, raw_len * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < raw_len; i++) {
        unsigned char ch = (unsigned char)h->path.base[i];
        if (ch > 0x20 && ch < 0x7f)
            r->raw_path[o++] = (char)ch;
        else
            o += (size_t)sprintf(r->raw_path + o, "%%%02X", ch);
    }
    r->raw_path[o] = 0;
    if (h->query_at != SIZE_MAX && h->query_at < h->path.len)
        r->query = dup_iov(r, h->path.base + h->query_at + 1, h->path.len - h->query_at - 1);
    else
        r->query = dup_iov(r, "", 0);
    size_t blen = h->authority.len + 16;
    r->base = bs_req_alloc(r, blen);
    snprintf(r->base, blen, "http://%.*s", (int)h->authority.len, h->authority.base);
    set_addresses(http, r, h);
    http->inflight++;
    http->handler(r, http->hctx);
    return 0;
}

static void http_release(bs_http *http);

/* h2o closed an admitted connection: it no longer counts. */
static void conn_closed(uv_handle_t *h) {
    http_conn *c = (http_conn *)h;
    bs_conn_release(c->limits, &c->peer);
    free(c);
}

/* A new connection: counted and handed to h2o, or, over a cap, answered by overflow.c
 * (docs/operations.md "Connection limits"). */
static void on_accept(uv_stream_t *listener, int status) {
    bs_http *http = listener->data;
    if (status != 0) return;
    http_conn *c = bs_calloc(1, sizeof *c);
    uv_tcp_init(listener->loop, &c->tcp);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    struct sockaddr_storage ss;
    int sl = sizeof ss;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sl) == 0)
        bs_netaddr_from_sockaddr((struct sockaddr *)&ss, &c->peer);
    bool exempt = bs_cidr_list_contains(&http->trusted, &c->peer);
    bs_conn_verdict v = bs_conn_admit(http->limits, &c->peer, exempt);
    if (v != BS_CONN_ADMIT) {
        int max = v == BS_CONN_OVER_CLIENT ? bs_conn_max_per_client(http->limits) : bs_conn_max_total(http->limits);
        bs_overflow_answer(http->overflow, &c->tcp, v, max);
        return;
    }
    c->limits = http->limits;
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, conn_closed);
    h2o_accept(&http->accept_ctx, sock);
}

bs_http *bs_http_start(uv_loop_t *loop, const char *host, int port, const bs_http_limits *limits,
                       bs_http_handler handler, void *ctx, int *bound_port, bs_err *err) {
    bs_cidr_list trusted;
    if (bs_cidr_list_parse(limits->trusted_proxies, &trusted, err) != 0) {
        if (err) snprintf(err->field, sizeof err->field, "trusted_proxies");
        return NULL;
    }
    bs_http *http = bs_calloc(1, sizeof *http);
    http->loop = loop;
    http->trusted = trusted;
    http->limits = bs_conn_limits_new(limits->max_connections, limits->max_connections_per_client);
    http->overflow = bs_overflow_new(loop, limits->max_overflow > 0 ? limits->max_overflow : BS_HTTP_MAX_OVERFLOW);
    http->handler = handler;
    http->hctx = ctx;
    h2o_config_init(&http->config);
    http->config.max_request_entity_size = H2O_MAX_BODY_BYTES;
    http->config.http1.req_timeout =
        limits->request_timeout_ms > 0 ? (uint64_t)limits->request_timeout_ms : BS_HTTP_REQUEST_TIMEOUT_MS;
    h2o_hostconf_t *hostconf = h2o_config_register_host(&http->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *pathconf = h2o_config_register_path(hostconf, "/", 0);
    route_handler *rh = (route_handler *)h2o_create_handler(pathconf, sizeof *rh);
    rh->super.on_req = on_req;
    rh->http = http;

    struct sockaddr_storage addr;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0) {
        bs_err_set(err, BS_EINVAL, NULL, "invalid listen address %s", host);
        h2o_config_dispose(&http->config);
        http_release(http);
        return NULL;
    }
    uv_tcp_init(loop, &http->listener);
    http->listener.data = http;
    int rc = uv_tcp_bind(&http->listener, (struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&http->listener, LISTEN_BACKLOG, on_accept);
    if (rc != 0) {
        bs_err_set(err, BS_EIO, NULL, "cannot listen on %s:%d: %s", host, port, uv_strerror(rc));
        uv_close((uv_handle_t *)&http->listener, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        h2o_config_dispose(&http->config);
        http_release(http);
        return NULL;
    }
    struct sockaddr_storage got;
    int glen = sizeof got;
    uv_tcp_getsockname(&http->listener, (struct sockaddr *)&got, &glen);
    if (bound_port)
        *bound_port = got.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&got)->sin6_port)
                                                : ntohs(((struct sockaddr_in *)&got)->sin_port);
    h2o_context_init(&http->ctx, loop, &http->config);
    http->accept_ctx.ctx = &http->ctx;
    http->accept_ctx.hosts = http->config.hosts;
    return http;
}

/* Frees http's own parts and http (the caps' counts stay while connections close). */
static void http_release(bs_http *http) {
    bs_conn_limits_free(http->limits);
    bs_overflow_free(http->overflow);
    bs_cidr_list_free(&http->trusted);
    free(http);
}

static void http_free(uv_handle_t *h) {
    bs_http *http = h->data;
    void (*done)(void *) = http->done;
    void *arg = http->done_arg;
    /* h2o_context_dispose asserts while keep-alive connections are open (stack-notes);
     * the process is exiting, so the context and config are left to the OS. */
    http_release(http);
    if (done) done(arg);
}

static void drain_tick(uv_timer_t *t) {
    bs_http *http = t->data;
    if (bs_overflow_open(http->overflow) > 0) return; /* closed at stop: gone within a loop turn */
    if (http->inflight > 0 && uv_now(http->loop) < http->deadline) return;
    uv_timer_stop(t);
    http->drain.data = http;
    uv_close((uv_handle_t *)&http->drain, http_free);
}

static void listener_closed(uv_handle_t *h) {
    (void)h;
}

void bs_http_stop(bs_http *http, unsigned timeout_ms, void (*done)(void *), void *arg) {
    if (http->stopping) return;
    http->stopping = true;
    http->done = done;
    http->done_arg = arg;
    uv_close((uv_handle_t *)&http->listener, listener_closed);
    bs_overflow_close_all(http->overflow);
    h2o_context_request_shutdown(&http->ctx);
    http->deadline = uv_now(http->loop) + timeout_ms;
    uv_timer_init(http->loop, &http->drain);
    http->drain.data = http;
    uv_timer_start(&http->drain, drain_tick, 0, 20);
}

const char *bs_req_method(const bs_req *r) {
    return r->method;
}
const char *bs_req_path(const bs_req *r) {
    return r->path;
}
const char *bs_req_query(const bs_req *r) {
    return r->query;
}
const char *bs_req_base_url(const bs_req *r) {
    return r->base;
}
void bs_req_set_data(bs_req *r, void *data) {
    r->data = data;
}
void *bs_req_get_data(const bs_req *r) {
    return r->data;
}
void bs_req_set_auth(bs_req *r, void *auth, void (*free_fn)(void *)) {
    if (r->auth_free) r->auth_free(r->auth);
    r->auth = auth;
    r->auth_free = free_fn;
}
void *bs_req_get_auth(const bs_req *r) {
    return r->auth;
}
void bs_req_set_respond_hook(bs_req *r, bool (*hook)(bs_req *, void *), void *arg) {
    r->respond_hook = hook;
    r->respond_hook_arg = arg;
}
const char *bs_req_peer(const bs_req *r) {
    return r->peer;
}
const char *bs_req_client(const bs_req *r) {
    return r->client;
}
void bs_req_connections(const bs_req *r, int *open, int *max, long *refused) {
    *open = bs_conn_open(r->http->limits);
    *max = bs_conn_max_total(r->http->limits);
    *refused = bs_overflow_answered(r->http->overflow);
}

const char *bs_req_body(const bs_req *r, size_t *len) {
    if (!r->h || !r->h->entity.base) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = r->h->entity.len;
    return r->h->entity.base;
}

const char *bs_req_header(const bs_req *r, const char *name) {
    return bs_req_header_at(r, name, 0);
}

const char *bs_req_raw_path(const bs_req *r) {
    return r->raw_path;
}

const char *bs_req_header_at(const bs_req *r, const char *name, int index) {
    if (!r->h) return NULL;
    size_t nlen = strlen(name);
    for (size_t i = 0; i < r->h->headers.size; i++) {
        h2o_header_t *hd = &r->h->headers.entries[i];
        if (hd->name->len == nlen && strncasecmp(hd->name->base, name, nlen) == 0 && index-- == 0) {
            /* copy into the request pool so it is NUL-terminated */
            char *v = h2o_mem_alloc_pool(&r->h->pool, hd->value.len + 1);
            memcpy(v, hd->value.base, hd->value.len);
            v[hd->value.len] = 0;
            return v;
        }
    }
    return NULL;
}

/* The reason phrase of every status the server sends (RFC 9110 §15; 429: RFC 6585 §4). */
static const char *reason_phrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

void bs_req_respond(bs_req *r, int status, const char *content_type, const char *body, size_t len,
                    const char *const *extra) {
    if (r->respond_hook && r->h) { /* once: the hook may take the request back (bs_req_set_respond_hook) */
        bool (*hook)(bs_req *, void *) = r->respond_hook;
        r->respond_hook = NULL;
        if (hook(r, r->respond_hook_arg)) return;
    }
    h2o_req_t *h = r->h;
    if (h) {
        h->res.status = status;
        h->res.reason = reason_phrase(status);
        if (content_type)
            h2o_add_header(&h->pool, &h->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type, strlen(content_type));
        for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2) {
            size_t nl = strlen(extra[i]);
            char *n = h2o_mem_alloc_pool(&h->pool, nl);
            memcpy(n, extra[i], nl);
            char *v = h2o_mem_alloc_pool(&h->pool, strlen(extra[i + 1]) + 1);
            strcpy(v, extra[i + 1]);
            h2o_add_header_by_str(&h->pool, &h->res.headers, n, nl, 0, NULL, v, strlen(v));
        }
        h->res.content_length = len;
        r->guard->req = NULL;
        h2o_send_inline(h, body, len);
    }
    r->http->inflight--;
    if (r->auth_free) r->auth_free(r->auth);
    for (struct pool_item *it = r->pool, *next; it; it = next) {
        next = it->next;
        free(it);
    }
    free(r);
}
