/*
 * SMTP sender on libcurl multi + libuv. See smtp.h.
 */
#include "smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bs_smtp {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    char *url, *username, *password;
    bool require_starttls, insecure_tls;
    long timeout_ms;
    int in_flight;
    int open_handles;   /* timer + socket polls being closed */
    bool closing;
    void (*done)(void *);
    void *done_arg;
    struct send_job *jobs; /* in flight, for close */
    struct sock_ctx *socks; /* open polls, for close */
};

typedef struct send_job {
    struct send_job *next, *prev;
    bs_smtp *smtp;
    CURL *easy;
    struct curl_slist *rcpts;
    char *message;
    size_t len, off;
    bs_smtp_cb cb;
    void *arg;
    char errbuf[CURL_ERROR_SIZE];
} send_job;

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    bs_smtp *smtp;
    struct sock_ctx *next, *prev; /* the sender's open polls */
} sock_ctx;

static void maybe_free(bs_smtp *s) {
    if (!s->closing || s->open_handles > 0) return;
    void (*done)(void *) = s->done;
    void *arg = s->done_arg;
    free(s->url);
    free(s->username);
    free(s->password);
    free(s);
    if (done) done(arg);
}

static void handle_closed(uv_handle_t *h) {
    bs_smtp *s = h->data;
    if ((uv_handle_t *)&s->timer != h) free(h); /* a sock_ctx: its poll is the first member */
    s->open_handles--;
    maybe_free(s);
}

static void job_finish(send_job *j, bs_smtp_outcome o, long code, const char *err) {
    bs_smtp *s = j->smtp;
    if (j->prev)
        j->prev->next = j->next;
    else
        s->jobs = j->next;
    if (j->next) j->next->prev = j->prev;
    s->in_flight--;
    bs_smtp_cb cb = j->cb;
    void *arg = j->arg;
    curl_multi_remove_handle(s->multi, j->easy);
    curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->rcpts);
    free(j->message);
    char errcopy[CURL_ERROR_SIZE + 64];
    if (err) snprintf(errcopy, sizeof errcopy, "%s", err);
    free(j);
    cb(o, code, err ? errcopy : NULL, arg);
}

static void check_done(bs_smtp *s) {
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) continue;
        send_job *j = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
        CURLcode rc = msg->data.result;
        long code = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        if (rc == CURLE_OK) {
            job_finish(j, BS_SMTP_SENT, code ? code : 250, NULL);
            continue;
        }
        char err[CURL_ERROR_SIZE + 96];
        snprintf(err, sizeof err, "%s%s%s (reply %ld)", curl_easy_strerror(rc), j->errbuf[0] ? ": " : "", j->errbuf,
                 code);
        /* RFC 5321 §4.2.1: 5yz permanent, 4yz transient; no reply = connection problem */
        job_finish(j, code >= 500 && code < 600 ? BS_SMTP_FAILED : BS_SMTP_RETRY, code, err);
    }
}

static void on_poll(uv_poll_t *h, int status, int events) {
    sock_ctx *c = (sock_ctx *)h;
    bs_smtp *s = c->smtp;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(s->multi, c->fd, flags, &running);
    check_done(s);
}

/* Stops and closes a socket's poll and unlinks it. */
static void sock_close(sock_ctx *c) {
    bs_smtp *s = c->smtp;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->socks = c->next;
    if (c->next) c->next->prev = c->prev;
    uv_poll_stop(&c->poll);
    c->poll.data = s;
    uv_close((uv_handle_t *)&c->poll, handle_closed);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
    (void)easy;
    bs_smtp *s = userp;
    sock_ctx *c = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (c) {
            if (!s->closing) curl_multi_assign(s->multi, fd, NULL);
            sock_close(c);
        }
        return 0;
    }
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c) return -1;
        c->fd = fd;
        c->smtp = s;
        if (uv_poll_init_socket(s->loop, &c->poll, fd) != 0) {
            free(c);
            return -1;
        }
        s->open_handles++;
        c->next = s->socks;
        if (s->socks) s->socks->prev = c;
        s->socks = c;
        curl_multi_assign(s->multi, fd, c);
    }
    int ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) ev |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) ev |= UV_WRITABLE;
    uv_poll_start(&c->poll, ev, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t) {
    bs_smtp *s = t->data;
    int running;
    curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(s);
}

/* Only (re)starts the uv timer: curl_multi_socket_action must not run in here. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    bs_smtp *s = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&s->timer);
    else
        uv_timer_start(&s->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *userp) {
    send_job *j = userp;
    size_t room = size * nmemb, left = j->len - j->off;
    size_t n = left < room ? left : room;
    memcpy(dst, j->message + j->off, n);
    j->off += n;
    return n;
}

bs_smtp *bs_smtp_new(uv_loop_t *loop, const bs_smtp_config *cfg) {
    static bool global_done = false;
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = true;
    }
    bs_smtp *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->loop = loop;
    s->multi = curl_multi_init();
    s->url = strdup(cfg->url);
    s->username = cfg->username ? strdup(cfg->username) : NULL;
    s->password = cfg->password ? strdup(cfg->password) : NULL;
    s->require_starttls = cfg->require_starttls;
    s->insecure_tls = cfg->insecure_tls;
    s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    s->open_handles = 1;
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
    return s;
}

void bs_smtp_send(bs_smtp *s, const char *from, const char *const *rcpts, int n, const char *message, size_t len,
                  bs_smtp_cb cb, void *arg) {
    if (s->closing) {
        cb(BS_SMTP_RETRY, 0, "sender closed", arg);
        return;
    }
    send_job *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->smtp = s;
    j->cb = cb;
    j->arg = arg;
    j->message = malloc(len ? len : 1);
    memcpy(j->message, message, len);
    j->len = len;
    for (int i = 0; i < n; i++) {
        char addr[512];
        snprintf(addr, sizeof addr, "<%s>", rcpts[i]);
        j->rcpts = curl_slist_append(j->rcpts, addr);
    }
    char mfrom[512];
    snprintf(mfrom, sizeof mfrom, "<%s>", from);
    CURL *e = curl_easy_init();
    j->easy = e;
    curl_easy_setopt(e, CURLOPT_URL, s->url);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, mfrom);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, j->rcpts);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, j);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms < 10000 ? s->timeout_ms : 10000L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, j);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(e, CURLOPT_USE_SSL, s->require_starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
    if (s->insecure_tls) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (s->username) {
        curl_easy_setopt(e, CURLOPT_USERNAME, s->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, s->password ? s->password : "");
    }
    j->next = s->jobs;
    if (s->jobs) s->jobs->prev = j;
    s->jobs = j;
    s->in_flight++;
    curl_multi_add_handle(s->multi, e);
}

int bs_smtp_in_flight(const bs_smtp *s) {
    return s->in_flight;
}

void bs_smtp_close(bs_smtp *s, void (*done)(void *), void *arg) {
    s->done = done;
    s->done_arg = arg;
    while (s->jobs) job_finish(s->jobs, BS_SMTP_RETRY, 0, "sender closed");
    s->closing = true;
    /* stop watching first, then let curl close its cached connections, then close what is
     * left: the struct is freed when the last handle has closed */
    for (sock_ctx *c = s->socks; c; c = c->next) uv_poll_stop(&c->poll);
    curl_multi_cleanup(s->multi);
    s->multi = NULL;
    while (s->socks) sock_close(s->socks);
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, handle_closed);
}
