/*
 * libcurl multi on the libuv loop. See http_client.h.
 */
#include "http_client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct bs_hc {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int pending;      /* requests in flight */
    struct req *reqs; /* in flight (doubly linked) */
    int open_polls;   /* uv_poll handles not yet closed */
    bool closing, timer_closed;
    void (*done)(void *);
    void *done_arg;
};

typedef struct req {
    struct req *prev, *next;
    bs_hc *c;
    CURL *easy;
    struct curl_slist *headers;
    char *body; /* owned: the request body */
    char *resp; /* owned: bounded response buffer */
    size_t resp_len, resp_cap;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
    bs_hc_cb cb;
    void *arg;
} req;

typedef struct sock_ctx {
    uv_poll_t poll;
    bs_hc *c;
    curl_socket_t fd;
} sock_ctx;

static void maybe_freed(bs_hc *c) {
    if (!c->closing || c->pending > 0 || c->open_polls > 0 || !c->timer_closed) return;
    void (*done)(void *) = c->done;
    void *arg = c->done_arg;
    curl_multi_cleanup(c->multi);
    free(c);
    if (done) done(arg);
}

static void req_finish(req *r, long status, const char *error) {
    bs_hc *c = r->c;
    char *ct = NULL;
    if (status) curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
    bs_hc_response resp = {.status = status,
                           .body = r->resp ? r->resp : "",
                           .len = r->resp ? r->resp_len : 0,
                           .content_type = ct,
                           .error = error};
    char *ct_copy = ct ? bs_strdup(ct) : NULL; /* the easy handle goes before the callback runs */
    resp.content_type = ct_copy;
    if (r->prev)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    curl_multi_remove_handle(c->multi, r->easy);
    curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    c->pending--;
    r->cb(&resp, r->arg);
    free(ct_copy);
    free(r->body);
    free(r->resp);
    free(r);
}

static void check_done(bs_hc *c) {
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        req *r;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode rc = m->data.result;
        if (r->too_big) {
            req_finish(r, 0, "response body too large");
        } else if (rc != CURLE_OK) {
            char msg[CURL_ERROR_SIZE + 64];
            snprintf(msg, sizeof msg, "%s%s%s", curl_easy_strerror(rc), r->errbuf[0] ? ": " : "", r->errbuf);
            req_finish(r, 0, msg);
        } else {
            long code = 0;
            curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
            req_finish(r, code, NULL);
        }
    }
    if (c->closing) maybe_freed(c);
}

static void on_timer(uv_timer_t *t) {
    bs_hc *c = t->data;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

/* curl's timer callback: only (re)start the uv timer (stack-notes) */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    bs_hc *c = userp;
    if (c->timer_closed) return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

static void on_poll(uv_poll_t *p, int status, int events) {
    sock_ctx *s = p->data;
    bs_hc *c = s->c;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    check_done(c);
}

static void poll_closed(uv_handle_t *h) {
    sock_ctx *s = h->data;
    bs_hc *c = s->c;
    free(s);
    c->open_polls--;
    maybe_freed(c);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
    (void)easy;
    bs_hc *c = userp;
    sock_ctx *s = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, poll_closed);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = bs_calloc(1, sizeof *s);
        s->c = c;
        s->fd = fd;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        c->open_polls++;
        curl_multi_assign(c->multi, fd, s);
    }
    int ev = 0;
    if (what & CURL_POLL_IN) ev |= UV_READABLE;
    if (what & CURL_POLL_OUT) ev |= UV_WRITABLE;
    uv_poll_start(&s->poll, ev, on_poll);
    return 0;
}

static size_t write_cb(char *ptr, size_t size, size_t n, void *userdata) {
    req *r = userdata;
    size_t add = size * n;
    if (r->resp_len + add + 1 > BS_HC_MAX_BODY) {
        r->too_big = true;
        return 0; /* aborts the transfer */
    }
    if (r->resp_len + add + 1 > r->resp_cap) {
        size_t cap = r->resp_cap ? r->resp_cap : 4096;
        while (cap < r->resp_len + add + 1) cap *= 2;
        r->resp = bs_realloc(r->resp, cap);
        r->resp_cap = cap;
    }
    memcpy(r->resp + r->resp_len, ptr, add);
    r->resp_len += add;
    r->resp[r->resp_len] = 0;
    return add;
}

bs_hc *bs_hc_new(uv_loop_t *loop) {
    static bool global_done;
    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return NULL;
        global_done = true;
    }
    bs_hc *c = bs_calloc(1, sizeof *c);
    c->loop = loop;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        return NULL;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return c;
}

int bs_hc_request(bs_hc *c, const char *method, const char *url, const char *const *headers, int n_headers,
                  const char *body, size_t len, long timeout_ms, bs_hc_cb cb, void *arg) {
    if (c->closing) return -1;
    req *r = bs_calloc(1, sizeof *r);
    r->c = c;
    r->cb = cb;
    r->arg = arg;
    r->easy = curl_easy_init();
    if (!r->easy) {
        free(r);
        return -1;
    }
    for (int i = 0; i < n_headers; i++) r->headers = curl_slist_append(r->headers, headers[i]);
    r->headers = curl_slist_append(r->headers, "Expect:"); /* no 100-continue round trip */
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        /* libcurl silently re-sends a request once when a reused connection turns out dead
         * before any answer; for a POST that may have landed that is a second POST. A fresh
         * connection per non-idempotent request rules that out: a lost answer reaches the
         * caller, which looks up before it retries. */
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    }
    if (body) {
        r->body = bs_malloc(len + 1);
        memcpy(r->body, body, len);
        r->body[len] = 0;
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        curl_slist_free_all(r->headers);
        curl_easy_cleanup(e);
        free(r->body);
        free(r);
        return -1;
    }
    c->pending++;
    r->next = c->reqs;
    if (c->reqs) c->reqs->prev = r;
    c->reqs = r;
    return 0;
}

int bs_hc_pending(const bs_hc *c) {
    return c->pending;
}

static void timer_closed_cb(uv_handle_t *h) {
    bs_hc *c = h->data;
    c->timer_closed = true;
    maybe_freed(c);
}

void bs_hc_close(bs_hc *c, void (*done)(void *), void *arg) {
    c->closing = true;
    c->done = done;
    c->done_arg = arg;
    /* abort what is in flight: each callback runs once, with "aborted" */
    while (c->reqs) req_finish(c->reqs, 0, "aborted");
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, timer_closed_cb);
}
