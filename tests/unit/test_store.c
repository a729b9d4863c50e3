/*
 * The store's named statements (engine/runtime/store.c) against a real PostgreSQL
 * (BOUWSTROOM_DATABASE_URL; skipped with 77 without it): a statement is prepared once per
 * connection and executed by name after that (pg_prepared_statements counts its plans), a
 * failed PREPARE reaches the caller as the query's error and leaves the connection usable,
 * and a new session after a lost connection prepares its statements again. A multi-host string
 * whose first host never answers connects to the next one after connect_timeout.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc.h"
#include "store.h"

static const bs_stmt ADD_ONE = {"test_store_add_one", "SELECT $1::int + 1", 1};
static const bs_stmt BAD = {"test_store_bad", "SELEC $1::int", 1};
static const bs_stmt PLANS = {"test_store_plans",
                              "SELECT count(*), COALESCE(sum(generic_plans + custom_plans), 0) "
                              "FROM pg_prepared_statements WHERE name = $1",
                              1};

static const bs_stmt PID = {"test_store_pid", "SELECT pg_backend_pid()::text || $1", 1};
static const bs_stmt KILL = {"test_store_kill", "SELECT pg_terminate_backend(pg_backend_pid()) AND $1::boolean", 1};

static const bs_stmt SHOW = {"test_store_show", "SELECT current_setting('jit') || ' ' || current_setting($1)", 1};

static const char *url;

/* The outcome of one call, filled by the callbacks below. */
typedef struct {
    bool done;
    char err[256];
    char value[64], value2[64];
    bs_conn *conn;
} outcome;

static void got(const PGresult *res, const char *err, void *arg) {
    outcome *o = arg;
    o->done = true;
    snprintf(o->err, sizeof o->err, "%s", err ? err : "");
    if (!err && res && PQntuples(res) > 0) {
        snprintf(o->value, sizeof o->value, "%s", PQgetvalue(res, 0, 0));
        if (PQnfields(res) > 1) snprintf(o->value2, sizeof o->value2, "%s", PQgetvalue(res, 0, 1));
    }
}

static void acquired(bs_conn *conn, const char *err, void *arg) {
    outcome *o = arg;
    o->done = true;
    o->conn = conn;
    snprintf(o->err, sizeof o->err, "%s", err ? err : "");
}

static void ready(bs_store *s, const char *err, void *arg) {
    (void)s;
    outcome *o = arg;
    o->done = true;
    snprintf(o->err, sizeof o->err, "%s", err ? err : "");
}

static void closed(void *arg) {
    *(bool *)arg = true;
}

typedef struct {
    uv_loop_t loop;
    bs_store *store;
} fixture;

static fixture *open_store(int pool) {
    fixture *f = bs_calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    outcome o = {0};
    f->store = bs_store_open(&f->loop, url, pool, ready, &o);
    bs_run_until(&f->loop, &o.done);
    assert_string_equal(o.err, "");
    return f;
}

static void close_store(fixture *f) {
    bool done = false;
    bs_store_close(f->store, closed, &done);
    bs_run_until(&f->loop, &done);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
}

static outcome conn_exec(fixture *f, bs_conn *c, const bs_stmt *st, const char *param) {
    outcome o = {0};
    const char *p[1] = {param};
    bs_conn_exec(c, st, p, got, &o);
    bs_run_until(&f->loop, &o.done);
    return o;
}

static outcome store_exec(fixture *f, const bs_stmt *st, const char *param) {
    outcome o = {0};
    const char *p[1] = {param};
    bs_store_exec(f->store, st, p, got, &o);
    bs_run_until(&f->loop, &o.done);
    return o;
}

/* five executions on one connection: one prepared statement, five plans used */
static void test_prepared_once(void **state) {
    (void)state;
    fixture *f = open_store(2);
    outcome a = {0};
    bs_store_acquire(f->store, acquired, &a);
    bs_run_until(&f->loop, &a.done);
    assert_non_null(a.conn);
    for (int i = 0; i < 5; i++) {
        char in[16], want[16];
        snprintf(in, sizeof in, "%d", 10 * i);
        snprintf(want, sizeof want, "%d", 10 * i + 1);
        outcome o = conn_exec(f, a.conn, &ADD_ONE, in);
        assert_string_equal(o.err, "");
        assert_string_equal(o.value, want);
    }
    outcome n = conn_exec(f, a.conn, &PLANS, ADD_ONE.name);
    assert_string_equal(n.err, "");
    assert_string_equal(n.value, "1");  /* prepared once on this session */
    assert_string_equal(n.value2, "5"); /* and executed five times by name */
    bs_store_release(a.conn);
    close_store(f);
}

/* a PREPARE that fails is the query's error; the connection stays usable and the bad
 * statement is not remembered as prepared (it fails again, the same way) */
static void test_bad_statement(void **state) {
    (void)state;
    fixture *f = open_store(1);
    for (int i = 0; i < 2; i++) {
        outcome o = store_exec(f, &BAD, "1");
        assert_non_null(strstr(o.err, "syntax error"));
        outcome ok = store_exec(f, &ADD_ONE, "41");
        assert_string_equal(ok.err, "");
        assert_string_equal(ok.value, "42");
    }
    close_store(f);
}

static void fired_cb(uv_timer_t *t) {
    *(bool *)t->data = true;
}

static void wait_ms(uv_loop_t *loop, uint64_t ms) {
    uv_timer_t t;
    bool fired = false;
    uv_timer_init(loop, &t);
    t.data = &fired;
    uv_timer_start(&t, fired_cb, ms, 0);
    bs_run_until(loop, &fired);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
}

/* the one connection of the pool is killed: the store reconnects, and the new session
 * prepares the statement again (a kept "prepared" mark would fail with "prepared statement
 * does not exist" forever) */
static void test_reprepared_after_reconnect(void **state) {
    (void)state;
    fixture *f = open_store(1);
    outcome o = store_exec(f, &ADD_ONE, "1");
    assert_string_equal(o.value, "2");
    outcome pid = store_exec(f, &PID, "");
    assert_string_equal(pid.err, "");
    outcome killed = store_exec(f, &KILL, "true");
    assert_string_not_equal(killed.err, ""); /* the session ended under the statement */
    bool ok = false;
    for (int i = 0; i < 200 && !ok; i++) { /* up to 20 s for the reconnect (expected: milliseconds) */
        outcome again = store_exec(f, &ADD_ONE, "7");
        if (!again.err[0]) {
            assert_string_equal(again.value, "8");
            ok = true;
        } else {
            assert_null(strstr(again.err, "does not exist"));
            wait_ms(&f->loop, 100);
        }
    }
    assert_true(ok);
    outcome other = store_exec(f, &PID, "");
    assert_string_not_equal(other.value, pid.value); /* a new session answered */
    close_store(f);
}

/* A port on loopback that never answers, as a dead machine behind a live network: a listener
 * with a backlog of 0 whose one place in the accept queue is taken (by *filler) drops every
 * further SYN, and nobody accepts. Returns the listener; *port is its port. */
static int blackhole(int *port, int *filler) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 0), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    *filler = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(*filler, (struct sockaddr *)&a, sizeof a), 0);
    return l;
}

/* The value of keyword in the test database's URL (def when absent). */
static void url_opt(const char *keyword, const char *def, char *buf, size_t len) {
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    assert_non_null(opts);
    snprintf(buf, len, "%s", def);
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0 && o->val) snprintf(buf, len, "%s", o->val);
    PQconninfoFree(opts);
}

/* host=127.0.0.1:<blackhole>,<the test database>: without a deadline of its own the store would
 * wait for the kernel to give up on the first host (about two minutes); with connect_timeout=2 it
 * starts again with the second host first and is connected after one timeout */
static void test_connect_timeout_next_host(void **state) {
    (void)state;
    int port, filler, l = blackhole(&port, &filler);
    char host[256], pgport[16], dbname[128], user[128], conninfo[1024];
    url_opt("host", "/var/run/postgresql", host, sizeof host);
    url_opt("port", "5432", pgport, sizeof pgport);
    url_opt("dbname", "postgres", dbname, sizeof dbname);
    url_opt("user", "postgres", user, sizeof user);
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1,%s port=%d,%s dbname=%s user=%s connect_timeout=2", host, port,
             pgport, dbname, user);
    fixture *f = bs_calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    outcome o = {0};
    uint64_t t0 = uv_hrtime();
    f->store = bs_store_open(&f->loop, conninfo, 1, ready, &o);
    bs_run_until(&f->loop, &o.done);
    uint64_t took_ms = (uv_hrtime() - t0) / 1000000;
    assert_string_equal(o.err, "");
    assert_true(took_ms >= 1900); /* the first host did hold the attempt until the deadline */
    assert_true(took_ms < 60000); /* and not until the kernel's own timeout (an order of magnitude above 2 s) */
    outcome q = store_exec(f, &ADD_ONE, "1");
    assert_string_equal(q.err, "");
    assert_string_equal(q.value, "2");
    close_store(f);
    close(filler);
    close(l);
}

/* SHOW jit and SHOW setting from a session of a store opened on conninfo: "jit setting" */
static void show_from(const char *conninfo, const char *setting, char *out, size_t len) {
    fixture *f = bs_calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    outcome r = {0};
    f->store = bs_store_open(&f->loop, conninfo, 1, ready, &r);
    bs_run_until(&f->loop, &r.done);
    assert_string_equal(r.err, "");
    outcome o = store_exec(f, &SHOW, setting);
    assert_string_equal(o.err, "");
    snprintf(out, len, "%s", o.value);
    close_store(f);
}

/* the store's sessions run with jit=off: the test URL as given, the URL with options of its own
 * (kept), and the same as key=value pairs; a jit setting in the user's options wins */
static void test_session_jit_off(void **state) {
    (void)state;
    char got_[64], conninfo[1024];
    show_from(url, "jit", got_, sizeof got_);
    assert_string_equal(got_, "off off");
    /* scripts/pg.sh's URL has parameters; a BOUWSTROOM_DATABASE_URL given may have none */
    snprintf(conninfo, sizeof conninfo, "%s%soptions=-c%%20work_mem%%3D7MB", url, strchr(url, '?') ? "&" : "?");
    show_from(conninfo, "work_mem", got_, sizeof got_);
    assert_string_equal(got_, "off 7MB");
    char host[256], port[16], dbname[128], user[128];
    url_opt("host", "/var/run/postgresql", host, sizeof host);
    url_opt("port", "5432", port, sizeof port);
    url_opt("dbname", "postgres", dbname, sizeof dbname);
    url_opt("user", "postgres", user, sizeof user);
    snprintf(conninfo, sizeof conninfo, "host=%s port=%s dbname=%s user=%s options='-c work_mem=9MB'", host, port,
             dbname, user);
    show_from(conninfo, "work_mem", got_, sizeof got_);
    assert_string_equal(got_, "off 9MB");
    snprintf(conninfo, sizeof conninfo, "host=%s port=%s dbname=%s user=%s options='-c jit=on'", host, port, dbname,
             user);
    show_from(conninfo, "jit", got_, sizeof got_);
    assert_string_equal(got_, "on on");
}

int main(void) {
    url = getenv("BOUWSTROOM_DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "test_store: BOUWSTROOM_DATABASE_URL not set, skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepared_once),
        cmocka_unit_test(test_bad_statement),
        cmocka_unit_test(test_reprepared_after_reconnect),
        cmocka_unit_test(test_connect_timeout_next_host),
        cmocka_unit_test(test_session_jit_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
