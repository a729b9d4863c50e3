/*
 * The login limiter's SQL (migration 0025) against its C rule (bs_login_record_failure,
 * engine/runtime/auth.c, tested in test_auth.c) on a real PostgreSQL (BOUWSTROOM_DATABASE_URL;
 * skipped with 77 without it). The migration runs in a schema of its own inside one
 * transaction that is rolled back: nothing is left in the database.
 *
 * - bs_login_step (the policy the account counters and login_limits share) gives the C
 *   function's counters on random sequences of failures (random policies, times that jump
 *   forward, stand still and go back);
 * - bs_limit_failure (one counter row of login_limits) locks exactly when the C rule locks,
 *   and with the same end;
 * - rows whose lock and window have passed are deleted by a later failure;
 * - the erasure of a person deletes the counters of their e-mail address (a stand-in users
 *   table of the columns the trigger reads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "alloc.h"
#include "auth.h"
#include "engine.h"

static PGconn *conn;

/* Runs sql (no parameters) and fails the test unless it succeeds. */
static void exec_ok(const char *sql) {
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail_msg("%s: %s", sql, PQerrorMessage(conn));
    PQclear(r);
}

/* One row of text values from sql with n parameters. Caller clears. */
static PGresult *row(const char *sql, int n, const char *const *p) {
    PGresult *r = PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) fail_msg("%s: %s", sql, PQerrorMessage(conn));
    return r;
}

static int setup(void **state) {
    (void)state;
    exec_ok("BEGIN");
    exec_ok("CREATE SCHEMA bs_test_login_limits");
    exec_ok("SET LOCAL search_path = bs_test_login_limits");
    exec_ok("CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, erased_at timestamptz)");
    char *sql = bs_read_file(BS_SOURCE_DIR "/engine/runtime/migrations/0025_login_limits.sql", NULL);
    assert_non_null(sql);
    exec_ok(sql);
    free(sql);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    exec_ok("ROLLBACK");
    return 0;
}

static unsigned rng = 12345;
static unsigned next_rand(unsigned n) {
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % n;
}

static void test_step_matches_c(void **state) {
    (void)state;
    const int64_t t0 = 1764460800;
    int steps = 0, locks = 0;
    for (int seq = 0; seq < 40; seq++) {
        bs_login_policy pol = {
            .max_failures = 1 + (int)next_rand(6), .window_s = 1 + next_rand(60), .lockout_s = 1 + next_rand(60)};
        bs_login_counters c = {0};
        int64_t now = t0;
        for (int i = 0; i < 30; i++, steps++) {
            unsigned jump = next_rand(10);
            now += jump < 2 ? 0 : jump < 3 ? -(int64_t)next_rand(20) : (int64_t)next_rand(40);
            char a[7][24];
            snprintf(a[0], 24, "%d", c.failed_logins);
            snprintf(a[1], 24, "%lld", (long long)c.first_failed_at);
            snprintf(a[2], 24, "%lld", (long long)c.locked_until);
            snprintf(a[3], 24, "%lld", (long long)now);
            snprintf(a[4], 24, "%d", pol.max_failures);
            snprintf(a[5], 24, "%lld", (long long)pol.window_s);
            snprintf(a[6], 24, "%lld", (long long)pol.lockout_s);
            const char *p[7] = {a[0], a[1], a[2], a[3], a[4], a[5], a[6]};
            PGresult *r = row("SELECT * FROM bs_login_step($1::int, $2::bigint, $3::bigint, $4::bigint, $5::int, "
                              "$6::int, $7::int)",
                              7, p);
            locks += bs_login_record_failure(&pol, &c, now);
            assert_int_equal(atoi(PQgetvalue(r, 0, 0)), c.failed_logins);
            assert_int_equal(atoll(PQgetvalue(r, 0, 1)), c.first_failed_at);
            assert_int_equal(atoll(PQgetvalue(r, 0, 2)), c.locked_until);
            PQclear(r);
        }
    }
    assert_int_equal(steps, 1200);
    assert_true(locks > 20); /* the sequences reached the lock, not only the counting */
}

static void test_limit_failure_locks_like_c(void **state) {
    (void)state;
    const int64_t t0 = 1764460800;
    bs_login_policy pol = {.max_failures = 3, .window_s = 100, .lockout_s = 50};
    bs_login_counters c = {0};
    const int64_t times[] = {t0, t0 + 10, t0 + 20, t0 + 30, t0 + 69, t0 + 70, t0 + 80, t0 + 200, t0 + 201, t0 + 350};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char now[24];
        snprintf(now, sizeof now, "%lld", (long long)times[i]);
        const char *p[1] = {now};
        PGresult *r = row("SELECT bs_limit_failure('login_address', '192.0.2.1', $1::bigint, 3, 100, 50)", 1, p);
        bs_login_record_failure(&pol, &c, times[i]);
        int64_t want = c.locked_until > times[i] ? c.locked_until : 0;
        assert_int_equal(atoll(PQgetvalue(r, 0, 0)), want);
        PQclear(r);
    }
    /* another key of the same kind, and the same key of another kind, count apart */
    PGresult *r = row("SELECT bs_limit_failure('login_address', '192.0.2.2', 1764460800, 3, 100, 50), "
                      "bs_limit_failure('reset_address', '192.0.2.1', 1764460800, 1, 100, 50)",
                      0, NULL);
    assert_string_equal(PQgetvalue(r, 0, 0), "0");
    assert_string_equal(PQgetvalue(r, 0, 1), "1764460850");
    PQclear(r);
    /* much later, a failure of a third key deletes the rows that mean nothing any more */
    r = row("SELECT bs_limit_failure('login_email', 'a@b.test', 1764470800, 5, 900, 900)", 0, NULL);
    assert_string_equal(PQgetvalue(r, 0, 0), "0");
    PQclear(r);
    r = row("SELECT string_agg(kind || ' ' || key, ',') FROM login_limits", 0, NULL);
    assert_string_equal(PQgetvalue(r, 0, 0), "login_email a@b.test");
    PQclear(r);
}

static void test_erasure_forgets(void **state) {
    (void)state;
    exec_ok("INSERT INTO users VALUES (1, 'Piet@Gemeente.test', NULL), (2, 'ander@gemeente.test', NULL)");
    exec_ok("SELECT bs_limit_failure('reset_email', 'piet@gemeente.test', 1764460800, 3, 900, 900), "
            "bs_limit_failure('login_email', 'piet@gemeente.test', 1764460800, 5, 900, 900), "
            "bs_limit_failure('reset_email', 'ander@gemeente.test', 1764460800, 3, 900, 900), "
            "bs_limit_failure('login_address', 'piet@gemeente.test', 1764460800, 20, 900, 900)");
    exec_ok("UPDATE users SET email = 'x@erased.invalid', erased_at = now() WHERE id = 1");
    PGresult *r = row("SELECT string_agg(kind || ' ' || key, ',' ORDER BY kind, key) FROM login_limits", 0, NULL);
    assert_string_equal(PQgetvalue(r, 0, 0), "login_address piet@gemeente.test,reset_email ander@gemeente.test");
    PQclear(r);
}

int main(void) {
    const char *url = getenv("BOUWSTROOM_DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "test_login_limits: BOUWSTROOM_DATABASE_URL not set, skipped\n");
        return 77;
    }
    conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "test_login_limits: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_step_matches_c, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_failure_locks_like_c, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erasure_forgets, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    PQfinish(conn);
    return rc;
}
