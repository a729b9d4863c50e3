/*
 * Asynchronous PostgreSQL pool on the libuv loop. See store.h.
 */
#include "store.h"
#include "conninfo.h"
#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

enum conn_state { CONN_CONNECTING, CONN_IDLE, CONN_BUSY, CONN_HELD, CONN_DEAD };
enum job_kind { JOB_QUERY, JOB_SCRIPT, JOB_ACQUIRE, JOB_COPY };

/* Bytes handed to PQputCopyData at a time. */
#define COPY_CHUNK_BYTES (64 * 1024)

typedef struct job {
    struct job *next;
    enum job_kind kind;
    char *sql; /* owned */
    int n_params;
    char **params; /* owned, n_params entries (NULL = SQL NULL) */
    bs_store_cb cb;
    bs_conn_cb ccb;
    void *arg;
    bool internal_release; /* ROLLBACK issued by release: the conn goes back to the pool after */
    const bs_stmt *stmt;   /* a named statement (sql NULL): prepared on the connection at first use */
    bool preparing;        /* the running round trip is the PREPARE of stmt, the execution follows */
    char *copy_data;       /* owned (JOB_COPY): the rows in COPY's text format */
    size_t copy_len, copy_off;
    int copy_phase; /* JOB_COPY: 0 statement sent, 1 sending rows, 2 end of data sent */
} job;

struct bs_conn {
    bs_store *store;
    PGconn *pg;
    uv_poll_t *poll; /* owned; freed in its close callback */
    int fd;
    int events;
    enum conn_state state;
    bool held;                /* acquired by a caller (state HELD when no query runs) */
    job *cur;                 /* running job (state BUSY) */
    PGresult *last;           /* last result of the running job */
    char *first_err;          /* first error of the running job */
    const bs_stmt **prepared; /* the named statements prepared on this session (reset on reconnect) */
    int n_prepared, cap_prepared;
    uv_timer_t deadline; /* the connect timeout of the attempt in progress (conninfo.h) */
    int variant;         /* the conninfo variant (host order) of the next attempt */
    int timed_out;       /* attempts in a row that ran out of time: after one per host, a failure */
};

struct bs_store {
    uv_loop_t *loop;
    bs_conninfo ci; /* the connection string as given, its host rotations and connect timeout */
    bs_conn conns[32];
    int n;
    job *head, *tail;
    int n_queued;
    bs_store_ready_cb ready;
    void *ready_arg;
    bool ready_called;
    int n_connected;
    bool closing;
    int open_handles;
    void (*done)(void *);
    void *done_arg;
    uv_timer_t kick;  /* starts connecting on the first loop turn; closed by bs_store_close */
    uv_timer_t retry; /* reconnects dead connections after a failure at run time */
    struct bs_store_sub {
        bs_store *store;
        char channel[64];
        bs_notify_cb cb;
        void *arg;
        bool used;
    } subs[16];
    bs_conn *listen_conn; /* held for LISTEN while there are subscribers */
    bool listen_pending;  /* acquiring it */
    bool listen_busy;     /* its LISTEN script runs */
    bool listen_again;    /* a channel was added while it ran */
};

static void conn_poll_cb(uv_poll_t *h, int status, int events);
static void retry_cb(uv_timer_t *t);
static void dispatch(bs_store *s);
static void conn_start_connect(bs_conn *c);
static void conn_send(bs_conn *c, job *j);
static void conn_lost(bs_conn *c, const char *why);

static void job_free(job *j) {
    if (!j) return;
    free(j->sql);
    for (int i = 0; i < j->n_params; i++) free(j->params[i]);
    free(j->params);
    free(j->copy_data);
    free(j);
}

static job *job_new(enum job_kind kind, const char *sql, int n_params, const char *const *params) {
    job *j = bs_calloc(1, sizeof *j);
    j->kind = kind;
    if (sql) j->sql = bs_strdup(sql);
    if (n_params > 0) {
        j->params = bs_calloc((size_t)n_params, sizeof(char *));
        for (int i = 0; i < n_params; i++) j->params[i] = params[i] ? bs_strdup(params[i]) : NULL;
    }
    j->n_params = n_params;
    return j;
}

static void handle_closed(bs_store *s) {
    s->open_handles--;
    if (s->closing && s->open_handles == 0) {
        for (int i = 0; i < s->n; i++) {
            if (s->conns[i].pg) PQfinish(s->conns[i].pg);
            s->conns[i].pg = NULL;
            free(s->conns[i].prepared);
        }
        void (*done)(void *) = s->done;
        void *arg = s->done_arg;
        bs_conninfo_free(&s->ci);
        free(s);
        if (done) done(arg);
    }
}

static void poll_closed(uv_handle_t *h) {
    bs_store *s = h->data;
    free(h);
    handle_closed(s);
}

static void kick_closed(uv_handle_t *h) {
    handle_closed(h->data);
}

#define RECONNECT_MS 1000

static bool any_usable(const bs_store *s) {
    for (int i = 0; i < s->n; i++)
        if (s->conns[i].state != CONN_DEAD) return true;
    return false;
}

/* With no usable connection, queued jobs fail now (the API answers 503) instead of
 * waiting for a database that is down; reconnection is retried every RECONNECT_MS. */
static void fail_queue_if_down(bs_store *s, const char *why) {
    if (any_usable(s)) return;
    while (s->head) {
        job *j = s->head;
        s->head = j->next;
        if (!s->head) s->tail = NULL;
        s->n_queued--;
        if (j->kind == JOB_ACQUIRE)
            j->ccb(NULL, why, j->arg);
        else if (j->cb)
            j->cb(NULL, why, j->arg);
        job_free(j);
    }
}

static void schedule_reconnect(bs_store *s) {
    if (!s->closing && !uv_is_active((uv_handle_t *)&s->retry)) uv_timer_start(&s->retry, retry_cb, RECONNECT_MS, 0);
}

static void conn_close_poll(bs_conn *c) {
    if (!c->poll) return;
    uv_poll_stop(c->poll);
    c->poll->data = c->store;
    uv_close((uv_handle_t *)c->poll, poll_closed);
    c->poll = NULL;
    c->fd = -1;
}

/* (Re)creates the poll for the connection's current socket and sets its interest. */
static void conn_watch(bs_conn *c, int events) {
    int fd = PQsocket(c->pg);
    if (fd < 0) return;
    if (c->poll && c->fd != fd) conn_close_poll(c);
    if (!c->poll) {
        c->poll = bs_malloc(sizeof *c->poll);
        if (uv_poll_init_socket(c->store->loop, c->poll, fd) != 0) {
            free(c->poll);
            c->poll = NULL;
            return;
        }
        c->store->open_handles++;
        c->poll->data = c;
        c->fd = fd;
        c->events = 0;
    }
    /* While connecting, libpq may have left a host for the next one on a new socket with the old
     * one's number: the fd is the same, the socket is not, and a kept registration would watch
     * the closed one. uv_poll_start registers the socket anew, so call it at every step. */
    if (events != c->events || c->state == CONN_CONNECTING) {
        c->events = events;
        uv_poll_start(c->poll, events, conn_poll_cb);
    }
}

static void store_ready(bs_store *s, const char *err) {
    if (s->ready_called) return;
    s->ready_called = true;
    if (s->ready) s->ready(s, err, s->ready_arg);
}

/* Finishes the running job: state goes back to IDLE (or HELD), then the callback runs. */
static void conn_finish_job(bs_conn *c, const char *err) {
    job *j = c->cur;
    PGresult *res = c->last;
    c->cur = NULL;
    c->last = NULL;
    char *first_err = c->first_err;
    c->first_err = NULL;
    const char *e = err ? err : first_err;
    if (j && j->internal_release) {
        c->held = false;
        c->state = c->state == CONN_DEAD ? CONN_DEAD : CONN_IDLE;
    } else if (c->state != CONN_DEAD) {
        c->state = c->held ? CONN_HELD : CONN_IDLE;
    }
    if (c->state != CONN_DEAD) conn_watch(c, UV_READABLE);
    if (j && j->cb) j->cb(res, e, j->arg);
    if (res) PQclear(res);
    free(first_err);
    job_free(j);
    if (!c->store->closing) dispatch(c->store);
}

static void conn_lost(bs_conn *c, const char *why) {
    char msg[512];
    snprintf(msg, sizeof msg, "database connection lost: %s", why && *why ? why : "unknown");
    char *nl = strchr(msg, '\n');
    if (nl) *nl = 0;
    bool was_held = c->held;
    c->state = CONN_DEAD;
    conn_close_poll(c);
    if (c->cur) conn_finish_job(c, msg);
    if (!was_held && !c->store->closing)
        conn_start_connect(c);
    else if (was_held && !c->store->closing)
        schedule_reconnect(c->store);
}

/* The attempt failed (every host of the string refused, or ran out of time). */
static void conn_connect_failed(bs_conn *c, const char *why) {
    char msg[512];
    snprintf(msg, sizeof msg, "cannot connect to PostgreSQL: %s", why);
    char *nl = strchr(msg, '\n');
    if (nl) *nl = 0;
    uv_timer_stop(&c->deadline);
    c->timed_out = 0;
    c->state = CONN_DEAD;
    conn_close_poll(c);
    if (c->store->ready_called) { /* at run time: keep trying */
        fail_queue_if_down(c->store, msg);
        schedule_reconnect(c->store);
    }
    store_ready(c->store, msg);
}

static void conn_connect_step(bs_conn *c) {
    PostgresPollingStatusType r = PQconnectPoll(c->pg);
    switch (r) {
    case PGRES_POLLING_READING: conn_watch(c, UV_READABLE); break;
    case PGRES_POLLING_WRITING: conn_watch(c, UV_WRITABLE); break;
    case PGRES_POLLING_OK:
        uv_timer_stop(&c->deadline);
        c->timed_out = 0;
        PQsetnonblocking(c->pg, 1);
        c->state = CONN_IDLE;
        conn_watch(c, UV_READABLE);
        c->store->n_connected++;
        if (c->store->n_connected == c->store->n) store_ready(c->store, NULL);
        dispatch(c->store);
        break;
    default: conn_connect_failed(c, PQerrorMessage(c->pg)); break;
    }
}

/* The attempt ran out of time (a host that does not answer): start again with the next host
 * first; once every host has had its turn, it is a failure like any other (the reconnect timer
 * goes on with the rotation). */
static void deadline_cb(uv_timer_t *t) {
    bs_conn *c = t->data;
    bs_store *s = c->store;
    if (c->state != CONN_CONNECTING || s->closing) return;
    c->variant = (c->variant + 1) % s->ci.n_variants;
    conn_close_poll(c);
    if (++c->timed_out < s->ci.n_variants) {
        conn_start_connect(c);
        return;
    }
    char why[128];
    snprintf(why, sizeof why, "no answer within %d ms (connect_timeout) from %s", s->ci.connect_timeout_ms,
             s->ci.n_variants > 1 ? "any host" : "the host");
    conn_connect_failed(c, why);
}

static void conn_start_connect(bs_conn *c) {
    if (c->pg) PQfinish(c->pg);
    c->n_prepared = 0; /* a new session has none of the old one's prepared statements */
    c->pg = PQconnectStart(c->store->ci.variants[c->variant]);
    c->state = CONN_CONNECTING;
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
        uv_timer_stop(&c->deadline);
        c->timed_out = 0;
        c->state = CONN_DEAD;
        if (c->store->ready_called) {
            fail_queue_if_down(c->store, "cannot connect to PostgreSQL");
            schedule_reconnect(c->store);
        }
        store_ready(c->store, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return;
    }
    if (c->store->ci.connect_timeout_ms > 0)
        uv_timer_start(&c->deadline, deadline_cb, (uint64_t)c->store->ci.connect_timeout_ms, 0);
    conn_watch(c, UV_WRITABLE);
}

static void listen_ensure(bs_store *s);

static void retry_cb(uv_timer_t *t) {
    bs_store *s = t->data;
    listen_ensure(s);
    for (int i = 0; i < s->n && !s->closing; i++) {
        bs_conn *c = &s->conns[i];
        if (c->state == CONN_DEAD && !c->held) conn_start_connect(c);
    }
}

static void deliver_notifies(bs_conn *c) {
    PGnotify *n;
    while (c->pg && (n = PQnotifies(c->pg)) != NULL) {
        bs_store *s = c->store;
        for (size_t i = 0; i < sizeof s->subs / sizeof s->subs[0] && !s->closing; i++)
            if (s->subs[i].used && strcmp(s->subs[i].channel, n->relname) == 0)
                s->subs[i].cb(n->relname, n->extra ? n->extra : "", s->subs[i].arg);
        PQfreemem(n);
    }
}

static bool conn_has_prepared(const bs_conn *c, const bs_stmt *st) {
    for (int i = 0; i < c->n_prepared; i++)
        if (c->prepared[i] == st) return true;
    return false;
}

static void conn_add_prepared(bs_conn *c, const bs_stmt *st) {
    if (c->n_prepared == c->cap_prepared) {
        c->cap_prepared = c->cap_prepared ? 2 * c->cap_prepared : 32;
        c->prepared = bs_reallocarray(c->prepared, (size_t)c->cap_prepared, sizeof *c->prepared);
    }
    c->prepared[c->n_prepared++] = st;
}

/* The PREPARE of the running job's statement succeeded: remember it for this session and
 * send the execution. */
static void conn_prepared(bs_conn *c) {
    job *j = c->cur;
    if (c->last) PQclear(c->last);
    c->last = NULL;
    conn_add_prepared(c, j->stmt);
    conn_send(c, j);
}

/* Sends the rows of a COPY job without blocking: as much as libpq takes now, the rest when the
 * socket is writable again; then the end of data, after which the results are read as usual. */
static void conn_copy_push(bs_conn *c) {
    job *j = c->cur;
    while (j->copy_off < j->copy_len) {
        size_t n = j->copy_len - j->copy_off;
        if (n > COPY_CHUNK_BYTES) n = COPY_CHUNK_BYTES;
        int r = PQputCopyData(c->pg, j->copy_data + j->copy_off, (int)n);
        if (r < 0) {
            conn_lost(c, PQerrorMessage(c->pg));
            return;
        }
        if (r == 0) { /* libpq's buffer is full: wait until the socket drains */
            conn_watch(c, UV_READABLE | UV_WRITABLE);
            return;
        }
        j->copy_off += n;
    }
    if (j->copy_phase == 1) {
        int r = PQputCopyEnd(c->pg, NULL);
        if (r < 0) {
            conn_lost(c, PQerrorMessage(c->pg));
            return;
        }
        if (r == 0) {
            conn_watch(c, UV_READABLE | UV_WRITABLE);
            return;
        }
        j->copy_phase = 2;
    }
    int f = PQflush(c->pg);
    if (f < 0) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    conn_watch(c, f == 1 ? (UV_READABLE | UV_WRITABLE) : UV_READABLE);
}

static void conn_read_results(bs_conn *c) {
    if (!PQconsumeInput(c->pg)) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    while (c->cur && !PQisBusy(c->pg)) {
        if (c->cur->kind == JOB_COPY && c->cur->copy_phase == 1) break; /* rows still going out */
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
            if (c->cur->preparing && !c->first_err) {
                conn_prepared(c);
                return;
            }
            conn_finish_job(c, NULL);
            return;
        }
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_COPY_IN && c->cur->kind == JOB_COPY && c->cur->copy_phase == 0) {
            PQclear(r);
            c->cur->copy_phase = 1;
            conn_copy_push(c);
            return;
        }
        if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) && !c->first_err) {
            const char *m = PQresultErrorMessage(r);
            c->first_err = bs_strdup(m && *m ? m : "query failed");
            char *nl = strchr(c->first_err, '\n');
            if (nl) *nl = 0;
        }
        if (c->last) PQclear(c->last);
        c->last = r;
    }
    deliver_notifies(c);
}

static void conn_poll_cb(uv_poll_t *h, int status, int events) {
    bs_conn *c = h->data;
    if (c->state == CONN_CONNECTING) {
        conn_connect_step(c);
        return;
    }
    if (status < 0) {
        conn_lost(c, uv_strerror(status));
        return;
    }
    if (c->state == CONN_BUSY) {
        if ((events & UV_WRITABLE) && c->cur && c->cur->kind == JOB_COPY && c->cur->copy_phase == 1) {
            conn_copy_push(c);
            if (c->state != CONN_BUSY) return;
        } else if (events & UV_WRITABLE) {
            int f = PQflush(c->pg);
            if (f < 0) {
                conn_lost(c, PQerrorMessage(c->pg));
                return;
            }
            if (f == 0) conn_watch(c, UV_READABLE);
        }
        if (events & UV_READABLE) conn_read_results(c);
        return;
    }
    if (events & UV_READABLE) {
        /* idle: notices, notifications, or the server closing the connection */
        if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
            conn_lost(c, PQerrorMessage(c->pg));
            return;
        }
        deliver_notifies(c);
    }
}

/* Sends j: a script (simple protocol), a statement with parameters, or a named statement —
 * executed by name when this session has prepared it, else prepared first (PQsendPrepare; its
 * result starts the execution in conn_prepared). */
static int conn_send_job(bs_conn *c, job *j) {
    if (j->kind == JOB_SCRIPT || j->kind == JOB_COPY) return PQsendQuery(c->pg, j->sql);
    if (!j->stmt)
        return PQsendQueryParams(c->pg, j->sql, j->n_params, NULL, (const char *const *)j->params, NULL, NULL, 0);
    if (conn_has_prepared(c, j->stmt)) {
        j->preparing = false;
        return PQsendQueryPrepared(c->pg, j->stmt->name, j->n_params, (const char *const *)j->params, NULL, NULL, 0);
    }
    j->preparing = true;
    return PQsendPrepare(c->pg, j->stmt->name, j->stmt->sql, j->stmt->n_params, NULL);
}

static void conn_send(bs_conn *c, job *j) {
    c->cur = j;
    c->state = CONN_BUSY;
    int ok = conn_send_job(c, j);
    if (!ok) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c->pg));
        if (PQstatus(c->pg) == CONNECTION_BAD) {
            conn_lost(c, msg);
        } else {
            char *nl = strchr(msg, '\n');
            if (nl) *nl = 0;
            conn_finish_job(c, msg);
        }
        return;
    }
    int f = PQflush(c->pg);
    if (f < 0) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    conn_watch(c, f == 1 ? (UV_READABLE | UV_WRITABLE) : UV_READABLE);
}

static void dispatch(bs_store *s) {
    while (s->head && !s->closing) {
        bs_conn *free_conn = NULL;
        for (int i = 0; i < s->n; i++) {
            if (s->conns[i].state == CONN_IDLE && !s->conns[i].held) {
                free_conn = &s->conns[i];
                break;
            }
        }
        if (!free_conn) return;
        job *j = s->head;
        s->head = j->next;
        if (!s->head) s->tail = NULL;
        s->n_queued--;
        j->next = NULL;
        if (j->kind == JOB_ACQUIRE) {
            free_conn->held = true;
            free_conn->state = CONN_HELD;
            bs_conn_cb cb = j->ccb;
            void *arg = j->arg;
            job_free(j);
            cb(free_conn, NULL, arg);
        } else {
            conn_send(free_conn, j);
        }
    }
}

static void enqueue(bs_store *s, job *j) {
    if (s->closing) {
        if (j->kind == JOB_ACQUIRE)
            j->ccb(NULL, "store closed", j->arg);
        else if (j->cb)
            j->cb(NULL, "store closed", j->arg);
        job_free(j);
        return;
    }
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    s->n_queued++;
    dispatch(s);
}

static void kick_cb(uv_timer_t *t) {
    bs_store *s = t->data;
    for (int i = 0; i < s->n && !s->ready_called && !s->closing; i++) conn_start_connect(&s->conns[i]);
}

bs_store *bs_store_open(uv_loop_t *loop, const char *conninfo, int pool_size, bs_store_ready_cb ready, void *arg) {
    if (pool_size < 1) pool_size = 1;
    if (pool_size > 32) pool_size = 32;
    bs_store *s = bs_calloc(1, sizeof *s);
    s->loop = loop;
    bs_conninfo_init(&s->ci, conninfo);
    s->n = pool_size;
    s->ready = ready;
    s->ready_arg = arg;
    for (int i = 0; i < s->n; i++) {
        s->conns[i].store = s;
        s->conns[i].fd = -1;
        uv_timer_init(loop, &s->conns[i].deadline);
        s->conns[i].deadline.data = &s->conns[i];
        s->open_handles++;
    }
    /* connect on the first loop turn, so that ready never runs before the caller has the store */
    uv_timer_init(loop, &s->kick);
    s->kick.data = s;
    s->open_handles++;
    uv_timer_init(loop, &s->retry);
    s->retry.data = s;
    s->open_handles++;
    uv_timer_start(&s->kick, kick_cb, 0, 0);
    return s;
}

void bs_store_query(bs_store *s, const char *sql, int n_params, const char *const *params, bs_store_cb cb, void *arg) {
    job *j = job_new(JOB_QUERY, sql, n_params, params);
    j->cb = cb;
    j->arg = arg;
    enqueue(s, j);
}

void bs_store_acquire(bs_store *s, bs_conn_cb cb, void *arg) {
    job *j = job_new(JOB_ACQUIRE, NULL, 0, NULL);
    j->ccb = cb;
    j->arg = arg;
    enqueue(s, j);
}

static void conn_run(bs_conn *c, job *j) {
    if (c->store->closing || c->state == CONN_DEAD) {
        if (j->cb) j->cb(NULL, c->state == CONN_DEAD ? "database connection lost" : "store closed", j->arg);
        job_free(j);
        return;
    }
    conn_send(c, j);
}

void bs_conn_query(bs_conn *c, const char *sql, int n_params, const char *const *params, bs_store_cb cb, void *arg) {
    job *j = job_new(JOB_QUERY, sql, n_params, params);
    j->cb = cb;
    j->arg = arg;
    conn_run(c, j);
}

static job *stmt_job(const bs_stmt *stmt, const char *const *params, bs_store_cb cb, void *arg) {
    job *j = job_new(JOB_QUERY, NULL, stmt->n_params, params);
    j->stmt = stmt;
    j->cb = cb;
    j->arg = arg;
    return j;
}

void bs_store_exec(bs_store *s, const bs_stmt *stmt, const char *const *params, bs_store_cb cb, void *arg) {
    enqueue(s, stmt_job(stmt, params, cb, arg));
}

void bs_conn_exec(bs_conn *c, const bs_stmt *stmt, const char *const *params, bs_store_cb cb, void *arg) {
    conn_run(c, stmt_job(stmt, params, cb, arg));
}

void bs_conn_script(bs_conn *c, const char *sql, bs_store_cb cb, void *arg) {
    job *j = job_new(JOB_SCRIPT, sql, 0, NULL);
    j->cb = cb;
    j->arg = arg;
    conn_run(c, j);
}

void bs_conn_copy(bs_conn *c, const char *sql, const char *data, size_t len, bs_store_cb cb, void *arg) {
    job *j = job_new(JOB_COPY, sql, 0, NULL);
    j->copy_data = bs_malloc(len ? len : 1);
    if (len) memcpy(j->copy_data, data, len);
    j->copy_len = len;
    j->cb = cb;
    j->arg = arg;
    conn_run(c, j);
}

bool bs_conn_alive(const bs_conn *c) {
    return c->state != CONN_DEAD;
}

void bs_store_release(bs_conn *c) {
    bs_store *s = c->store;
    if (c->state == CONN_DEAD) {
        c->held = false;
        if (!s->closing) conn_start_connect(c);
        return;
    }
    PGTransactionStatusType ts = PQtransactionStatus(c->pg);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
        job *j = job_new(JOB_SCRIPT, "ROLLBACK", 0, NULL);
        j->internal_release = true;
        conn_run(c, j);
        return;
    }
    c->held = false;
    if (c->state == CONN_HELD) c->state = CONN_IDLE;
    if (!s->closing) dispatch(s);
}

static bool any_sub(const bs_store *s) {
    for (size_t i = 0; i < sizeof s->subs / sizeof s->subs[0]; i++)
        if (s->subs[i].used) return true;
    return false;
}

static void listen_run(bs_store *s);

/* The LISTEN script ran: tell every subscriber to look (notifications may have been missed
 * while nobody listened), or try again on the reconnect timer. */
static void listen_done(const PGresult *res, const char *err, void *arg) {
    (void)res;
    bs_store *s = arg;
    s->listen_busy = false;
    if (s->closing) return;
    if (!any_sub(s)) { /* the last subscriber left meanwhile */
        bs_store_release(s->listen_conn);
        s->listen_conn = NULL;
        return;
    }
    if (err) {
        fprintf(stderr, "store: LISTEN: %s\n", err);
        schedule_reconnect(s);
        return;
    }
    if (s->listen_again) {
        listen_run(s);
        return;
    }
    for (size_t i = 0; i < sizeof s->subs / sizeof s->subs[0] && !s->closing; i++)
        if (s->subs[i].used) s->subs[i].cb(s->subs[i].channel, NULL, s->subs[i].arg);
}

/* Issues LISTEN for every subscribed channel on the held connection. */
static void listen_run(bs_store *s) {
    if (s->listen_busy) {
        s->listen_again = true;
        return;
    }
    s->listen_again = false;
    char sql[sizeof s->subs / sizeof s->subs[0] * 80 + 1];
    size_t len = 0;
    sql[0] = 0;
    for (size_t i = 0; i < sizeof s->subs / sizeof s->subs[0]; i++)
        if (s->subs[i].used) len += (size_t)snprintf(sql + len, sizeof sql - len, "LISTEN \"%s\";", s->subs[i].channel);
    if (len == 0) return;
    s->listen_busy = true;
    bs_conn_script(s->listen_conn, sql, listen_done, s);
}

static void listen_acquired(bs_conn *conn, const char *err, void *arg) {
    bs_store *s = arg;
    s->listen_pending = false;
    if (err || s->closing) {
        if (conn) bs_store_release(conn);
        if (!s->closing) schedule_reconnect(s);
        return;
    }
    if (!any_sub(s)) {
        bs_store_release(conn);
        return;
    }
    s->listen_conn = conn;
    listen_run(s);
}

/* Holds a live LISTEN connection while there are subscribers: replaces a lost one. */
static void listen_ensure(bs_store *s) {
    if (s->closing || s->listen_pending || s->listen_busy) return;
    if (s->listen_conn && !bs_conn_alive(s->listen_conn)) {
        bs_store_release(s->listen_conn);
        s->listen_conn = NULL;
    }
    if (!s->listen_conn && any_sub(s)) {
        s->listen_pending = true;
        bs_store_acquire(s, listen_acquired, s);
    }
}

bs_store_sub *bs_store_listen(bs_store *s, const char *channel, bs_notify_cb cb, void *arg) {
    if (strlen(channel) >= sizeof s->subs[0].channel || strchr(channel, '"')) return NULL;
    for (size_t i = 0; i < sizeof s->subs / sizeof s->subs[0]; i++) {
        struct bs_store_sub *sub = &s->subs[i];
        if (sub->used) continue;
        sub->store = s;
        snprintf(sub->channel, sizeof sub->channel, "%s", channel);
        sub->cb = cb;
        sub->arg = arg;
        sub->used = true;
        if (s->listen_conn && bs_conn_alive(s->listen_conn))
            listen_run(s);
        else
            listen_ensure(s);
        return sub;
    }
    return NULL;
}

void bs_store_unlisten(bs_store_sub *sub) {
    if (!sub) return;
    bs_store *s = sub->store;
    sub->used = false;
    if (!any_sub(s) && s->listen_conn && !s->listen_busy && !s->closing) {
        bs_store_release(s->listen_conn); /* its LISTENs stay: deliveries find no subscriber */
        s->listen_conn = NULL;
    }
}

int bs_store_pending(const bs_store *s) {
    int n = s->n_queued;
    for (int i = 0; i < s->n; i++)
        if (s->conns[i].state == CONN_BUSY || s->conns[i].held) n++;
    return n;
}

void bs_store_close(bs_store *s, void (*done)(void *), void *arg) {
    s->closing = true;
    s->done = done;
    s->done_arg = arg;
    store_ready(s, "store closed");
    while (s->head) {
        job *j = s->head;
        s->head = j->next;
        if (j->kind == JOB_ACQUIRE)
            j->ccb(NULL, "store closed", j->arg);
        else if (j->cb)
            j->cb(NULL, "store closed", j->arg);
        job_free(j);
    }
    s->tail = NULL;
    s->n_queued = 0;
    for (int i = 0; i < s->n; i++) {
        bs_conn *c = &s->conns[i];
        if (c->cur) {
            job *j = c->cur;
            c->cur = NULL;
            if (c->last) PQclear(c->last);
            c->last = NULL;
            free(c->first_err);
            c->first_err = NULL;
            if (j->cb) j->cb(NULL, "store closed", j->arg);
            job_free(j);
        }
        c->state = CONN_DEAD;
        conn_close_poll(c);
        uv_timer_stop(&c->deadline);
        c->deadline.data = s;
        uv_close((uv_handle_t *)&c->deadline, kick_closed);
    }
    /* the store is freed when its last handle has closed: never inside this call */
    uv_timer_stop(&s->kick);
    uv_close((uv_handle_t *)&s->kick, kick_closed);
    uv_timer_stop(&s->retry);
    uv_close((uv_handle_t *)&s->retry, kick_closed);
}

/* ---- migrations ---- */

typedef struct migrate_ctx {
    bs_store *store;
    bs_conn *conn;
    char *dir;
    char **files;
    int n_files;
    int next;
    int applied;
    char **done_versions;
    int n_done;
    bs_migrate_cb cb;
    void *arg;
    char *err;
} migrate_ctx;

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool migration_name_ok(const char *n) {
    size_t len = strlen(n);
    if (len < 10 || strcmp(n + len - 4, ".sql") != 0) return false;
    for (int i = 0; i < 4; i++)
        if (n[i] < '0' || n[i] > '9') return false;
    if (n[4] != '_') return false;
    for (size_t i = 5; i < len - 4; i++)
        if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_')) return false;
    return true;
}

static void migrate_finish(migrate_ctx *m) {
    if (m->conn) bs_store_release(m->conn);
    m->cb(m->err, m->applied, m->arg);
    for (int i = 0; i < m->n_files; i++) free(m->files[i]);
    free(m->files);
    for (int i = 0; i < m->n_done; i++) free(m->done_versions[i]);
    free(m->done_versions);
    free(m->dir);
    free(m->err);
    free(m);
}

static void migrate_unlocked(const PGresult *res, const char *err, void *arg) {
    (void)res;
    migrate_ctx *m = arg;
    if (err && !m->err) m->err = bs_strdup(err);
    migrate_finish(m);
}

static void migrate_next(migrate_ctx *m);

static void migrate_applied_one(const PGresult *res, const char *err, void *arg) {
    (void)res;
    migrate_ctx *m = arg;
    if (err) {
        char buf[768];
        snprintf(buf, sizeof buf, "migration %s failed: %s", m->files[m->next], err);
        m->err = bs_strdup(buf);
        bs_conn_script(m->conn, "ROLLBACK; SELECT pg_advisory_unlock(7262010)", migrate_unlocked, m);
        return;
    }
    m->applied++;
    m->next++;
    migrate_next(m);
}

static void migrate_next(migrate_ctx *m) {
    while (m->next < m->n_files) {
        const char *f = m->files[m->next];
        bool done = false;
        for (int i = 0; i < m->n_done; i++)
            if (strncmp(m->done_versions[i], f, 4) == 0 && strlen(m->done_versions[i]) == 4) done = true;
        if (!done) break;
        m->next++;
    }
    if (m->next >= m->n_files) {
        bs_conn_script(m->conn, "SELECT pg_advisory_unlock(7262010)", migrate_unlocked, m);
        return;
    }
    const char *f = m->files[m->next];
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", m->dir, f);
    char *body = bs_read_file(path, NULL);
    if (!body) {
        char buf[4200];
        snprintf(buf, sizeof buf, "cannot read migration %s: %s", path, strerror(errno));
        m->err = bs_strdup(buf);
        bs_conn_script(m->conn, "SELECT pg_advisory_unlock(7262010)", migrate_unlocked, m);
        return;
    }
    size_t need = strlen(body) + strlen(f) + 256;
    char *script = bs_malloc(need);
    snprintf(script, need, "BEGIN;\n%s\n;INSERT INTO schema_migrations (version, name) VALUES ('%.4s', '%s');\nCOMMIT;",
             body, f, f);
    free(body);
    bs_conn_script(m->conn, script, migrate_applied_one, m);
    free(script);
}

static void migrate_got_versions(const PGresult *res, const char *err, void *arg) {
    migrate_ctx *m = arg;
    if (err) {
        m->err = bs_strdup(err);
        bs_conn_script(m->conn, "SELECT pg_advisory_unlock(7262010)", migrate_unlocked, m);
        return;
    }
    int n = PQntuples(res);
    m->done_versions = bs_calloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) m->done_versions[i] = bs_strdup(PQgetvalue(res, i, 0));
    m->n_done = n;
    migrate_next(m);
}

static void migrate_locked(const PGresult *res, const char *err, void *arg) {
    (void)res;
    migrate_ctx *m = arg;
    if (err) {
        m->err = bs_strdup(err);
        migrate_finish(m);
        return;
    }
    bs_conn_query(m->conn, "SELECT version FROM schema_migrations ORDER BY version", 0, NULL, migrate_got_versions, m);
}

static void migrate_acquired(bs_conn *conn, const char *err, void *arg) {
    migrate_ctx *m = arg;
    if (err) {
        m->err = bs_strdup(err);
        migrate_finish(m);
        return;
    }
    m->conn = conn;
    bs_conn_script(conn,
                   "SET client_min_messages = warning;"
                   "SELECT pg_advisory_lock(7262010);"
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version text PRIMARY KEY, name text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())",
                   migrate_locked, m);
}

/* The migration files of dir (NNNN_name.sql), sorted by name, into *files (*n of them; free
 * each and the array). -1 (errno set) when dir cannot be read. */
static int list_migrations(const char *dir, char ***files, int *n) {
    *files = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int cap = 16;
    *files = bs_malloc((size_t)cap * sizeof(char *));
    while ((e = readdir(d)) != NULL) {
        if (!migration_name_ok(e->d_name)) continue;
        if (*n == cap) {
            cap *= 2;
            *files = bs_realloc(*files, (size_t)cap * sizeof(char *));
        }
        (*files)[(*n)++] = bs_strdup(e->d_name);
    }
    closedir(d);
    qsort(*files, (size_t)*n, sizeof(char *), cmp_str);
    return 0;
}

void bs_store_migrate(bs_store *s, const char *dir, bs_migrate_cb cb, void *arg) {
    migrate_ctx *m = bs_calloc(1, sizeof *m);
    m->store = s;
    m->dir = bs_strdup(dir);
    m->cb = cb;
    m->arg = arg;
    if (list_migrations(dir, &m->files, &m->n_files) != 0) {
        char buf[4200];
        snprintf(buf, sizeof buf, "cannot open migrations directory %s: %s", dir, strerror(errno));
        m->err = bs_strdup(buf);
        migrate_finish(m);
        return;
    }
    bs_store_acquire(s, migrate_acquired, m);
}

char *bs_store_migration_versions(const char *dir, int *n) {
    char **files;
    if (list_migrations(dir, &files, n) != 0) return NULL;
    char *out = bs_malloc((size_t)*n * 5 + 3), *o = out;
    *o++ = '{';
    for (int i = 0; i < *n; i++) {
        if (i) *o++ = ',';
        memcpy(o, files[i], 4);
        o += 4;
        free(files[i]);
    }
    *o++ = '}';
    *o = 0;
    free(files);
    return out;
}

void bs_run_until(uv_loop_t *loop, const volatile bool *flag) {
    while (!*flag) {
        if (uv_run(loop, UV_RUN_ONCE) == 0 && !*flag) break;
    }
}

char *bs_store_begin_as(const char *actor_json) {
    if (!actor_json) return bs_strdup("BEGIN");
    size_t n = strlen(actor_json), q = 0;
    for (size_t i = 0; i < n; i++) q += actor_json[i] == '\'';
    static const char head[] = "BEGIN; SELECT set_config('bouwstroom.actor', '", tail[] = "', true)";
    char *out = bs_malloc(sizeof head + n + q + sizeof tail);
    char *o = out;
    memcpy(o, head, sizeof head - 1);
    o += sizeof head - 1;
    for (size_t i = 0; i < n; i++) {
        if (actor_json[i] == '\'') *o++ = '\'';
        *o++ = actor_json[i];
    }
    memcpy(o, tail, sizeof tail);
    return out;
}
