/*
 * The answer to connections over a cap. See overflow.h.
 */
#include "overflow.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define HEAD_MAX 2048
#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct ovf {
    uv_tcp_t *tcp; /* owned: the first member of the block freed at close */
    uv_timer_t timer;
    uv_write_t wr;
    uv_shutdown_t sh;
    bs_overflow *set;
    struct ovf *prev, *next; /* in the set, oldest first */
    bs_conn_verdict why;
    int max;
    char head[HEAD_MAX]; /* the request head as received; after the answer, a discard buffer */
    size_t len;
    char *answer; /* the response, until written */
    bool answered, closing;
    int handles; /* open handles: tcp and timer */
} ovf;

struct bs_overflow {
    uv_loop_t *loop;
    int max_open;
    int open;   /* connections not yet freed */
    int active; /* of those, not closing */
    long answered;
    ovf *head, *tail;
};

bs_overflow *bs_overflow_new(uv_loop_t *loop, int max_open) {
    bs_overflow *o = bs_calloc(1, sizeof *o);
    o->loop = loop;
    o->max_open = max_open > 0 ? max_open : 1;
    return o;
}

int bs_overflow_open(const bs_overflow *o) {
    return o->open;
}

long bs_overflow_answered(const bs_overflow *o) {
    return o->answered;
}

void bs_overflow_free(bs_overflow *o) {
    free(o);
}

/* ---- closing ---- */

static void handle_closed(uv_handle_t *h) {
    ovf *c = h->data;
    if (--c->handles > 0) return;
    bs_overflow *o = c->set;
    if (c->prev)
        c->prev->next = c->next;
    else
        o->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        o->tail = c->prev;
    o->open--;
    free(c->answer);
    free(c->tcp);
    free(c);
}

static void close_conn(ovf *c) {
    if (c->closing) return;
    c->closing = true;
    c->set->active--;
    uv_read_stop((uv_stream_t *)c->tcp);
    uv_close((uv_handle_t *)c->tcp, handle_closed);
    uv_close((uv_handle_t *)&c->timer, handle_closed);
}

void bs_overflow_close_all(bs_overflow *o) {
    for (ovf *c = o->head; c; c = c->next) close_conn(c);
}

/* ---- the answer ---- */

/* The request target's path (before '?') of the request line in head[0..len), or "" when
 * there is none; *method receives the method ("" none). Bytes outside printable ASCII are
 * percent-encoded (the path is echoed as the problem's instance). */
static void request_line(const ovf *c, char *method, size_t mlen, char *path, size_t plen) {
    method[0] = path[0] = 0;
    const char *s = c->head, *end = memchr(s, '\n', c->len);
    if (!end) end = s + c->len;
    const char *sp = memchr(s, ' ', (size_t)(end - s));
    if (!sp) return;
    snprintf(method, mlen, "%.*s", (int)(sp - s), s);
    size_t o = 0;
    for (const char *p = sp + 1; p < end && *p != ' ' && *p != '?' && *p != '\r' && o + 4 < plen; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch > 0x20 && ch < 0x7f && ch != '%')
            path[o++] = (char)ch;
        else
            o += (size_t)snprintf(path + o, plen - o, "%%%02X", ch);
    }
    path[o] = 0;
}

/* A problem document (RFC 9457, as api/problem.c writes them) with one extension member
 * (name, value stolen; NULL: none). Caller frees. */
static char *problem_body(const char *code, const char *title, const char *detail, const char *instance,
                          const char *ext_name, json_t *ext) {
    json_t *p = json_object();
    char type[160];
    snprintf(type, sizeof type, "https://bouwstroom.nl/problems/%s", code);
    json_object_set_new(p, "type", json_string(type));
    json_object_set_new(p, "title", json_string(title));
    json_object_set_new(p, "status", json_integer(503));
    json_object_set_new(p, "detail", json_string(detail));
    json_object_set_new(p, "instance", json_string(instance));
    json_object_set_new(p, "code", json_string(code));
    json_object_set_new(p, "invalid_params", json_array());
    if (ext_name) json_object_set_new(p, ext_name, ext);
    char *text = bs_json_dumps(p, JSON_COMPACT);
    json_decref(p);
    return text;
}

/* The body and status line of c's answer (see overflow.h). Caller frees the body. */
static char *answer_body(const ovf *c, const char *path, const char **status, const char **type, bool *retry) {
    char detail[300];
    *retry = false;
    if (strcmp(path, "/healthz") == 0) {
        *status = "200 OK";
        *type = "application/json";
        return bs_strdup("{\"status\":\"ok\"}");
    }
    if (c->why == BS_CONN_OVER_CLIENT)
        snprintf(detail, sizeof detail,
                 "This client address has %d connections open, the most the server accepts from one address; "
                 "reuse or close them",
                 c->max);
    else
        snprintf(detail, sizeof detail, "The server has its maximum of %d client connections open", c->max);
    *status = "503 Service Unavailable";
    *type = "application/problem+json";
    if (strcmp(path, "/readyz") == 0) {
        json_t *checks = json_array(), *one = json_object();
        json_object_set_new(one, "name", json_string("connections"));
        json_object_set_new(one, "ok", json_false());
        json_object_set_new(one, "detail", json_string(detail));
        json_array_append_new(checks, one);
        char d[400];
        snprintf(d, sizeof d, "connections: %s", detail);
        return problem_body("not_ready", "Not ready", d, path, "checks", checks);
    }
    *retry = true;
    return problem_body("connection_limit", "Too many connections", detail, path[0] ? path : "/", NULL, NULL);
}

/* The whole response to c (status line, headers, body; see overflow.h). Caller frees. */
static char *answer_text(ovf *c) {
    char method[16], path[512];
    request_line(c, method, sizeof method, path, sizeof path);
    bool head_only = strcmp(method, "HEAD") == 0, known = head_only || strcmp(method, "GET") == 0;
    const char *status, *type;
    bool retry;
    char *body = answer_body(c, known ? path : "", &status, &type, &retry);
    char *text = bs_asprintf("HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n"
                             "Cache-Control: no-store\r\n\r\n%s",
                             status, type, strlen(body),
                             retry ? "Retry-After: " STR(BS_OVERFLOW_RETRY_AFTER_S) "\r\n" : "", head_only ? "" : body);
    free(body);
    return text;
}

static void shut_down(uv_shutdown_t *sh, int status) {
    ovf *c = sh->data;
    if (status < 0) close_conn(c); /* else read until the client closes, or the timer */
}

static void written(uv_write_t *wr, int status) {
    ovf *c = wr->data;
    free(c->answer);
    c->answer = NULL;
    if (status < 0 || c->closing) return close_conn(c);
    c->sh.data = c;
    if (uv_shutdown(&c->sh, (uv_stream_t *)c->tcp, shut_down) != 0) close_conn(c);
}

static void timed_out(uv_timer_t *t);

/* Answers c (once); the connection lingers until the client closes it or the timer runs out. */
static void answer(ovf *c) {
    c->answered = true;
    c->set->answered++;
    c->answer = answer_text(c);
    uv_buf_t b = uv_buf_init(c->answer, (unsigned)strlen(c->answer));
    c->wr.data = c;
    uv_timer_start(&c->timer, timed_out, BS_OVERFLOW_WAIT_MS, 0); /* the linger after the answer */
    if (uv_write(&c->wr, (uv_stream_t *)c->tcp, &b, 1, written) != 0) close_conn(c);
}

static void timed_out(uv_timer_t *t) {
    ovf *c = t->data;
    if (!c->answered)
        answer(c); /* no whole request head in time: the connection_limit answer */
    else
        close_conn(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)suggested;
    ovf *c = h->data;
    if (c->answered)
        *buf = uv_buf_init(c->head, sizeof c->head); /* discarded */
    else
        *buf = uv_buf_init(c->head + c->len, (unsigned)(sizeof c->head - c->len));
}

static bool head_complete(const ovf *c) {
    for (size_t i = 0; i + 1 < c->len; i++)
        if (c->head[i] == '\n' &&
            (c->head[i + 1] == '\n' || (c->head[i + 1] == '\r' && i + 2 < c->len && c->head[i + 2] == '\n')))
            return true;
    return false;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    (void)buf;
    ovf *c = s->data;
    if (c->closing) return;
    if (nread < 0) {
        if (!c->answered && nread == UV_EOF)
            answer(c); /* the client sent its request and closed its side */
        else
            close_conn(c);
        return;
    }
    if (c->answered || nread == 0) return;
    c->len += (size_t)nread;
    if (c->len == sizeof c->head || head_complete(c)) answer(c);
}

/* Makes room: the oldest connection of the set is answered now, if it was not yet (a write
 * the socket takes at once, or none), and closed. */
static void evict_oldest(bs_overflow *o) {
    ovf *c = o->head;
    while (c && c->closing) c = c->next;
    if (!c) return;
    if (!c->answered) {
        c->answered = true;
        o->answered++;
        char *text = answer_text(c);
        uv_buf_t b = uv_buf_init(text, (unsigned)strlen(text));
        uv_try_write((uv_stream_t *)c->tcp, &b, 1);
        free(text);
    }
    close_conn(c);
}

/* What arrived with the connection, read at once (before a burst of newer connections could
 * take its place). false when the client has closed it already or it failed. */
static bool read_now(ovf *c) {
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)c->tcp, &fd) != 0) return true;
    ssize_t n = recv(fd, c->head, sizeof c->head, MSG_DONTWAIT);
    if (n > 0) c->len = (size_t)n;
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

void bs_overflow_answer(bs_overflow *o, uv_tcp_t *tcp, bs_conn_verdict why, int max) {
    if (o->active >= o->max_open) evict_oldest(o);
    ovf *c = bs_calloc(1, sizeof *c);
    c->tcp = tcp;
    c->set = o;
    c->why = why;
    c->max = max;
    c->prev = o->tail;
    if (o->tail)
        o->tail->next = c;
    else
        o->head = c;
    o->tail = c;
    o->open++;
    o->active++;
    c->handles = 2;
    tcp->data = c;
    uv_timer_init(o->loop, &c->timer);
    c->timer.data = c;
    if (!read_now(c) || uv_read_start((uv_stream_t *)tcp, alloc_cb, on_read) != 0) return close_conn(c);
    if (c->len == sizeof c->head || head_complete(c))
        answer(c);
    else
        uv_timer_start(&c->timer, timed_out, BS_OVERFLOW_WAIT_MS, 0);
}
