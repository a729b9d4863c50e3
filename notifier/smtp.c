/*
 * SMTP sender. See smtp.h.
 *
 * Why the thread pool and not curl multi on the loop: libcurl's SMTP client waits for the
 * reply to the end of the message data in a blocking poll inside its DONE phase
 * (smtp_done → smtp_block_statemach, curl 7.88), even under the multi interface. On the
 * loop thread that would stall the HTTP API for a round trip per message — or for the
 * whole timeout with a slow server. So each send runs curl_easy_perform on a libuv
 * thread-pool thread (uv_queue_work); the result comes back on the loop. Easy handles
 * are pooled, so connections to the server are reused.
 */
#include "smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define MAX_POOLED_HANDLES 32

struct bs_smtp {
    uv_loop_t *loop;
    char *url, *username, *password;
    bool require_starttls, insecure_tls;
    long timeout_ms;
    uv_mutex_t mu;                     /* guards handles / n_handles (thread-pool threads) */
    CURL *handles[MAX_POOLED_HANDLES]; /* idle easy handles with their connection caches */
    int n_handles;
    int in_flight;
    bool closing;
    void (*done)(void *);
    void *done_arg;
};

typedef struct send_job {
    uv_work_t work;
    bs_smtp *smtp;
    char *from; /* owned: "<addr>" */
    struct curl_slist *rcpts;
    char *message; /* owned */
    size_t len, off;
    bs_smtp_cb cb;
    void *arg;
    CURLcode rc;
    long code;
    char errbuf[CURL_ERROR_SIZE];
} send_job;

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *userp) {
    send_job *j = userp;
    size_t room = size * nmemb, left = j->len - j->off;
    size_t n = left < room ? left : room;
    memcpy(dst, j->message + j->off, n);
    j->off += n;
    return n;
}

static CURL *take_handle(bs_smtp *s) {
    CURL *h = NULL;
    uv_mutex_lock(&s->mu);
    if (s->n_handles > 0) h = s->handles[--s->n_handles];
    uv_mutex_unlock(&s->mu);
    if (h) {
        curl_easy_reset(h); /* options back to defaults; the connection cache stays */
        return h;
    }
    return curl_easy_init();
}

static void give_handle(bs_smtp *s, CURL *h) {
    uv_mutex_lock(&s->mu);
    if (s->n_handles < MAX_POOLED_HANDLES) {
        s->handles[s->n_handles++] = h;
        h = NULL;
    }
    uv_mutex_unlock(&s->mu);
    if (h) curl_easy_cleanup(h);
}

/* thread pool: one SMTP transaction (blocking, bounded by the timeouts) */
static void send_work(uv_work_t *w) {
    send_job *j = w->data;
    bs_smtp *s = j->smtp;
    CURL *e = take_handle(s);
    if (!e) {
        j->rc = CURLE_OUT_OF_MEMORY;
        return;
    }
    curl_easy_setopt(e, CURLOPT_URL, s->url);
    curl_easy_setopt(e, CURLOPT_MAIL_FROM, j->from);
    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, j->rcpts);
    curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(e, CURLOPT_READDATA, j);
    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->len);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms < 10000 ? s->timeout_ms : 10000L);
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
    j->rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &j->code);
    give_handle(s, e);
}

static void maybe_free(bs_smtp *s) {
    if (!s->closing || s->in_flight > 0) return;
    for (int i = 0; i < s->n_handles; i++) curl_easy_cleanup(s->handles[i]); /* QUIT, close */
    uv_mutex_destroy(&s->mu);
    void (*done)(void *) = s->done;
    void *arg = s->done_arg;
    free(s->url);
    free(s->username);
    free(s->password);
    free(s);
    if (done) done(arg);
}

/* loop thread: classify and report */
static void send_after(uv_work_t *w, int status) {
    send_job *j = w->data;
    bs_smtp *s = j->smtp;
    s->in_flight--;
    bs_smtp_outcome o;
    char err[CURL_ERROR_SIZE + 128];
    if (status != 0) {
        o = BS_SMTP_RETRY;
        snprintf(err, sizeof err, "send cancelled");
    } else if (j->rc == CURLE_OK) {
        o = BS_SMTP_SENT;
        if (!j->code) j->code = 250;
    } else {
        snprintf(err, sizeof err, "%s%s%s (reply %ld)", curl_easy_strerror(j->rc), j->errbuf[0] ? ": " : "", j->errbuf,
                 j->code);
        /* RFC 5321 §4.2.1: 5yz permanent, 4yz transient; no reply = connection problem */
        o = j->code >= 500 && j->code < 600 ? BS_SMTP_FAILED : BS_SMTP_RETRY;
    }
    bs_smtp_cb cb = j->cb;
    void *arg = j->arg;
    long code = j->code;
    curl_slist_free_all(j->rcpts);
    free(j->from);
    free(j->message);
    free(j);
    cb(o, code, o == BS_SMTP_SENT ? NULL : err, arg);
    maybe_free(s);
}

bs_smtp *bs_smtp_new(uv_loop_t *loop, const bs_smtp_config *cfg) {
    static bool global_done = false;
    if (!global_done) { /* before any thread uses libcurl */
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = true;
    }
    bs_smtp *s = bs_calloc(1, sizeof *s);
    s->loop = loop;
    s->url = bs_strdup(cfg->url);
    s->username = cfg->username ? bs_strdup(cfg->username) : NULL;
    s->password = cfg->password ? bs_strdup(cfg->password) : NULL;
    s->require_starttls = cfg->require_starttls;
    s->insecure_tls = cfg->insecure_tls;
    s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    uv_mutex_init(&s->mu);
    return s;
}

void bs_smtp_send(bs_smtp *s, const char *from, const char *const *rcpts, int n, const char *message, size_t len,
                  bs_smtp_cb cb, void *arg) {
    if (s->closing) {
        cb(BS_SMTP_RETRY, 0, "sender closed", arg);
        return;
    }
    send_job *j = bs_calloc(1, sizeof *j);
    j->smtp = s;
    j->cb = cb;
    j->arg = arg;
    j->message = bs_malloc(len ? len : 1);
    memcpy(j->message, message, len);
    j->len = len;
    size_t fl = strlen(from) + 3;
    j->from = bs_malloc(fl);
    snprintf(j->from, fl, "<%s>", from);
    for (int i = 0; i < n; i++) {
        char addr[512];
        snprintf(addr, sizeof addr, "<%s>", rcpts[i]);
        j->rcpts = curl_slist_append(j->rcpts, addr);
    }
    j->work.data = j;
    s->in_flight++;
    if (uv_queue_work(s->loop, &j->work, send_work, send_after) != 0) {
        j->rc = CURLE_FAILED_INIT;
        send_after(&j->work, -1);
    }
}

int bs_smtp_in_flight(const bs_smtp *s) {
    return s->in_flight;
}

void bs_smtp_close(bs_smtp *s, void (*done)(void *), void *arg) {
    /* sends already on a thread finish (bounded by the timeout); their callbacks still run */
    s->done = done;
    s->done_arg = arg;
    s->closing = true;
    maybe_free(s);
}
