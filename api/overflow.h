/*
 * Bouwstroom API: the answer to a connection over a cap (api/conn_limit.h). Internal to
 * api/http.c; libuv only (no h2o): such a connection never reaches the HTTP server.
 *
 * The connection is read — at once, what has arrived with it, then for at most
 * BS_OVERFLOW_WAIT_MS — up to the end of the request head (at most 2 KiB), and answered once,
 * with Connection: close:
 *   GET|HEAD /healthz  200 {"status":"ok"} — the process serves (liveness);
 *   GET|HEAD /readyz   503 problem+json "not_ready" — this node takes no new connections;
 *   anything else,     503 problem+json "connection_limit" with Retry-After (also when no
 *   or no whole request head arrived in time).
 * Then the write side is shut down and the connection read (and discarded) until the client
 * closes it, at most BS_OVERFLOW_WAIT_MS more, so that the answer is not lost to a reset.
 * At most max_open such connections are held at once (their file descriptors are headroom
 * kept beside the cap): a new one takes the place of the oldest, which is answered 503 at
 * once (if it was not yet) and closed. A flood of idle connections thus only shortens how long
 * each waits; a client that sends its request with its connection (any HTTP client does) is
 * answered when it is accepted, and one whose request follows within the wait is answered
 * unless max_open newer connections arrived first.
 */
#ifndef BS_OVERFLOW_H
#define BS_OVERFLOW_H

#include <uv.h>

#include "conn_limit.h"

/* How long an over-cap connection is waited for: its request head, then its close, ms. */
#define BS_OVERFLOW_WAIT_MS 2000
/* Retry-After of the connection_limit answer, seconds: an idle connection is closed by the
 * server after BS_HTTP_REQUEST_TIMEOUT_MS (10 s), which frees a place. */
#define BS_OVERFLOW_RETRY_AFTER_S 10

typedef struct bs_overflow bs_overflow;

/* A set of over-cap connections answered on loop, at most max_open at once. Never NULL. */
bs_overflow *bs_overflow_new(uv_loop_t *loop, int max_open);

/* Answers tcp, an accepted connection (initialised on the set's loop) that exceeded the cap
 * why (max: that cap's value, for the detail). The set takes it: it is closed and then freed
 * with free() of the handle's address (tcp must be the first member of a malloc'd block). */
void bs_overflow_answer(bs_overflow *o, uv_tcp_t *tcp, bs_conn_verdict why, int max);

/* Closes every connection of the set now (the server stops). */
void bs_overflow_close_all(bs_overflow *o);

/* Connections of the set still open (answered or not). */
int bs_overflow_open(const bs_overflow *o);

/* Over-cap connections answered so far (GET /readyz reports it). */
long bs_overflow_answered(const bs_overflow *o);

/* Frees the set; only when bs_overflow_open is 0. */
void bs_overflow_free(bs_overflow *o);

#endif
