/*
 * Bouwstroom adapters: outgoing HTTP with libcurl multi on the libuv loop
 * (stack-notes "libcurl multi on the loop"): one uv_poll per socket, one uv_timer for
 * curl's timeouts; nothing blocks the loop thread. Used by the case-system adapters.
 */
#ifndef BS_HTTP_CLIENT_H
#define BS_HTTP_CLIENT_H

#include <stddef.h>
#include <uv.h>

typedef struct bs_hc bs_hc;

/* Largest response body kept (bytes); a longer body fails the request (bounded buffer). */
#define BS_HC_MAX_BODY (4 * 1024 * 1024)

/* Result of one request. status: the HTTP status (0 when no response arrived: connection
 * refused, timeout, aborted; error then says why, else error is NULL). body: the response
 * body, NUL-terminated (len bytes; never NULL). content_type may be NULL. All pointers are
 * valid only during the callback. */
typedef struct bs_hc_response {
    long status;
    const char *body;
    size_t len;
    const char *content_type;
    const char *error;
} bs_hc_response;

typedef void (*bs_hc_cb)(const bs_hc_response *r, void *arg);

/* Creates a client on loop. Returns NULL when libcurl cannot be initialised. */
bs_hc *bs_hc_new(uv_loop_t *loop);

/* Starts a request. method "GET", "POST", "PATCH", …; url absolute; headers: n_headers
 * "Name: value" strings; body may be NULL (len 0). timeout_ms: the whole request. All
 * inputs are copied. cb is called exactly once (also on bs_hc_close, with status 0 and
 * error "aborted"). Returns 0, or -1 when the request could not be set up (cb not called). */
int bs_hc_request(bs_hc *c, const char *method, const char *url, const char *const *headers, int n_headers,
                  const char *body, size_t len, long timeout_ms, bs_hc_cb cb, void *arg);

/* Number of requests in flight. */
int bs_hc_pending(const bs_hc *c);

/* Aborts requests in flight (their callbacks run with error "aborted"), closes the handles
 * and frees the client; done (may be NULL) runs when everything is closed. */
void bs_hc_close(bs_hc *c, void (*done)(void *arg), void *arg);

#endif
