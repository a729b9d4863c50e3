/*
 * The connect timeout, host rotations and session settings (jit=off) of a libpq connection string
 * (engine/runtime/conninfo.c): each variant is read back with libpq's own parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "conninfo.h"

/* The value of keyword in conninfo as libpq parses it ("" when absent); buf holds it. */
static const char *opt(const char *conninfo, const char *keyword, char *buf, size_t len) {
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    assert_non_null(opts);
    buf[0] = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, keyword) == 0 && o->val) snprintf(buf, len, "%s", o->val);
    PQconninfoFree(opts);
    return buf;
}

#define assert_opt(conninfo, keyword, want)                                                                            \
    do {                                                                                                               \
        char buf_[256];                                                                                                \
        assert_string_equal(opt((conninfo), (keyword), buf_, sizeof buf_), (want));                                    \
    } while (0)

/* one host: one variant, the same options plus the store's session settings */
static void test_one_host(void **state) {
    (void)state;
    const char *url = "postgresql:///bouwstroom?host=/tmp/sock&user=postgres";
    bs_conninfo ci;
    bs_conninfo_init(&ci, url);
    assert_int_equal(ci.n_variants, 1);
    assert_opt(ci.variants[0], "host", "/tmp/sock");
    assert_opt(ci.variants[0], "dbname", "bouwstroom");
    assert_opt(ci.variants[0], "user", "postgres");
    assert_opt(ci.variants[0], "options", "-c jit=off");
    assert_int_equal(ci.connect_timeout_ms, BS_CONNECT_TIMEOUT_DEFAULT_MS);
    bs_conninfo_free(&ci);
}

/* jit=off merged into the user's own options (URL and key=value), theirs after ours so that a
 * setting they give wins; in every host rotation */
static void test_session_options(void **state) {
    (void)state;
    assert_string_equal(BS_SESSION_OPTIONS, "-c jit=off");
    bs_conninfo ci;
    bs_conninfo_init(&ci, "postgresql:///b?host=/tmp/s&options=-csearch_path%3Dbefore,public%20-c%20work_mem%3D7MB");
    assert_opt(ci.variants[0], "options", "-c jit=off -csearch_path=before,public -c work_mem=7MB");
    bs_conninfo_free(&ci);
    bs_conninfo_init(&ci, "host=/tmp/s dbname=b options='-c statement_timeout=5s'");
    assert_opt(ci.variants[0], "options", "-c jit=off -c statement_timeout=5s");
    assert_opt(ci.variants[0], "dbname", "b");
    bs_conninfo_free(&ci);
    bs_conninfo_init(&ci, "host=a,b dbname=b options='-c jit=on'");
    assert_int_equal(ci.n_variants, 2);
    assert_opt(ci.variants[0], "options", "-c jit=off -c jit=on"); /* the user's, later, wins */
    assert_opt(ci.variants[1], "options", "-c jit=off -c jit=on");
    assert_opt(ci.variants[1], "host", "b,a");
    bs_conninfo_free(&ci);
    bs_conninfo_init(&ci, "dbname=b");
    assert_opt(ci.variants[0], "options", "-c jit=off");
    bs_conninfo_free(&ci);
}

static void test_two_sockets_rotated(void **state) {
    (void)state;
    const char *url = "postgresql:///bouwstroom?host=/tmp/a,/tmp/b&user=postgres&target_session_attrs=read-write"
                      "&connect_timeout=3";
    bs_conninfo ci;
    bs_conninfo_init(&ci, url);
    assert_int_equal(ci.n_variants, 2);
    assert_opt(ci.variants[0], "host", "/tmp/a,/tmp/b");
    assert_opt(ci.variants[0], "target_session_attrs", "read-write");
    assert_opt(ci.variants[1], "host", "/tmp/b,/tmp/a");
    assert_opt(ci.variants[1], "dbname", "bouwstroom");
    assert_opt(ci.variants[1], "user", "postgres");
    assert_opt(ci.variants[1], "target_session_attrs", "read-write");
    assert_opt(ci.variants[1], "connect_timeout", "3");
    assert_int_equal(ci.connect_timeout_ms, 3000);
    bs_conninfo_free(&ci);
}

/* a port per host turns with its host; one port for all stays */
static void test_ports(void **state) {
    (void)state;
    bs_conninfo ci;
    bs_conninfo_init(&ci, "host=db1,db2,db3 port=5432,5433,5434 dbname=b");
    assert_int_equal(ci.n_variants, 3);
    assert_opt(ci.variants[1], "host", "db2,db3,db1");
    assert_opt(ci.variants[1], "port", "5433,5434,5432");
    assert_opt(ci.variants[2], "host", "db3,db1,db2");
    assert_opt(ci.variants[2], "port", "5434,5432,5433");
    bs_conninfo_free(&ci);
    bs_conninfo_init(&ci, "postgresql://db1:6000,db2:6000/b?target_session_attrs=read-write");
    assert_int_equal(ci.n_variants, 2);
    assert_opt(ci.variants[1], "host", "db2,db1");
    assert_opt(ci.variants[1], "port", "6000,6000");
    bs_conninfo_free(&ci);
    bs_conninfo_init(&ci, "host=db1,db2 port=6432");
    assert_opt(ci.variants[1], "host", "db2,db1");
    assert_opt(ci.variants[1], "port", "6432");
    bs_conninfo_free(&ci);
    bs_conninfo_init(&ci, "hostaddr=10.0.0.1,10.0.0.2 host=a.example,b.example");
    assert_int_equal(ci.n_variants, 2);
    assert_opt(ci.variants[1], "hostaddr", "10.0.0.2,10.0.0.1");
    assert_opt(ci.variants[1], "host", "b.example,a.example");
    bs_conninfo_free(&ci);
}

/* values with quotes, backslashes and spaces survive the key='value' form */
static void test_quoting(void **state) {
    (void)state;
    bs_conninfo ci;
    bs_conninfo_init(&ci, "host=a,b password='x\\'y\\\\z w' application_name=bouw");
    assert_int_equal(ci.n_variants, 2);
    assert_opt(ci.variants[1], "password", "x'y\\z w");
    assert_opt(ci.variants[1], "application_name", "bouw");
    bs_conninfo_free(&ci);
}

static void test_timeouts(void **state) {
    (void)state;
    static const struct {
        const char *conninfo;
        int ms;
    } cases[] = {
        {"host=a connect_timeout=1", 2000}, /* libpq's minimum */
        {"host=a connect_timeout=0", 0},    /* no deadline: as asked */
        {"host=a connect_timeout=-5", 0},   /* libpq: negative is none too */
        {"host=a connect_timeout=15", 15000},
        {"host=a", BS_CONNECT_TIMEOUT_DEFAULT_MS}, /* absent: the store's default */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bs_conninfo ci;
        bs_conninfo_init(&ci, cases[i].conninfo);
        assert_int_equal(ci.connect_timeout_ms, cases[i].ms);
        assert_int_equal(ci.n_variants, 1);
        assert_opt(ci.variants[0], "host", "a");
        bs_conninfo_free(&ci);
    }
    /* a string libpq cannot parse is passed through as given: libpq will say what is wrong */
    bs_conninfo ci;
    bs_conninfo_init(&ci, "not a connection string");
    assert_int_equal(ci.connect_timeout_ms, BS_CONNECT_TIMEOUT_DEFAULT_MS);
    assert_int_equal(ci.n_variants, 1);
    assert_string_equal(ci.variants[0], "not a connection string");
    bs_conninfo_free(&ci);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_host),
        cmocka_unit_test(test_session_options),
        cmocka_unit_test(test_two_sockets_rotated),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_timeouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
