/*
 * Unit tests of the pure parts of access (docs/security.md): the gate's decision (bs_authz_decide,
 * docs/security.md §4) and what an external developer sees of a schema
 * (bs_schema_stream_view, §5). The end-to-end matrix is tests/integration/test_authz_matrix.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authz.h"
#include "schema.h"

static bs_authz_input user_with(bs_need need, bs_access access, bool write) {
    return (bs_authz_input){.need = need,
                            .write_method = write,
                            .authenticated = true,
                            .scope_read = true,
                            .scope_write = true,
                            .scope_admin = true,
                            .project_exists = true,
                            .access = access};
}

static void test_public_and_user(void **state) {
    (void)state;
    bs_authz_input in = {.need = BS_NEED_PUBLIC};
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW);
    in.need = BS_NEED_WEBHOOK;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW);
    in.need = BS_NEED_PROBE;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW);
    in.need = BS_NEED_USER;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_UNAUTHENTICATED);
    in = user_with(BS_NEED_USER, BS_ACCESS_NONE, false);
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW);
    assert_int_equal(bs_authz_decide(NULL), BS_AUTHZ_FORBIDDEN);
    in.need = (bs_need)99; /* an unknown need is denied */
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN);
}

static void test_scopes(void **state) {
    (void)state;
    bs_authz_input in = user_with(BS_NEED_PROJECT_WRITE, BS_ACCESS_LEAD, true);
    in.scope_write = false; /* a read-only token cannot write, whatever its user may do */
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN);
    in = user_with(BS_NEED_PROJECT_READ, BS_ACCESS_LEAD, false);
    in.scope_read = false;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN);
    in = user_with(BS_NEED_INSTALL_ADMIN, BS_ACCESS_NONE, true);
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN); /* not an administrator */
    in.is_admin = true;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW);
    in.scope_admin = false;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN);
    in = user_with(BS_NEED_ORG_ADMIN, BS_ACCESS_NONE, true);
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN);
    in.is_org_admin = true;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW);
}

/* every project need against every access set (level × stream flag): the table of §4 */
static void test_project_needs(void **state) {
    (void)state;
    static const struct {
        bs_need need;
        bool write;
        bs_authz_result want[6];        /* level only: NONE, AGGREGATE, PUBLIC, READ, WRITE, LEAD */
        bs_authz_result want_stream[6]; /* the same levels plus the stream flag (external member) */
    } rows[] = {
        {BS_NEED_PROJECT_VIEW, false, {404, 404, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}},
        {BS_NEED_PROJECT_PUBLIC, false, {404, 404, 0, 0, 0, 0}, {403, 403, 0, 0, 0, 0}},
        {BS_NEED_PROJECT_PUBLIC, true, {404, 404, 0, 0, 0, 0}, {403, 403, 0, 0, 0, 0}},
        {BS_NEED_PROJECT_READ, false, {404, 404, 403, 0, 0, 0}, {403, 403, 403, 0, 0, 0}},
        {BS_NEED_PROJECT_READ, true, {404, 404, 403, 0, 0, 0}, {403, 403, 403, 0, 0, 0}},
        {BS_NEED_STEP_WRITE, true, {404, 404, 403, 403, 0, 0}, {403, 403, 403, 403, 0, 0}},
        {BS_NEED_PROJECT_WRITE, true, {404, 404, 403, 403, 0, 0}, {403, 403, 403, 403, 0, 0}},
        {BS_NEED_PROJECT_LEAD, true, {404, 404, 403, 403, 403, 0}, {403, 403, 403, 403, 403, 0}},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
        for (int a = 0; a < 6; a++)
            for (int st = 0; st < 2; st++) {
                bs_authz_input in = user_with(rows[r].need, (bs_access)a, rows[r].write);
                in.stream = st;
                bs_authz_result want = st ? rows[r].want_stream[a] : rows[r].want[a];
                bs_authz_result got = bs_authz_decide(&in);
                if (got != want)
                    fail_msg("need %d write %d access %d stream %d: got %d, want %d", rows[r].need, rows[r].write, a,
                             st, got, want);
                in.project_exists = false; /* an unknown project is not found, whatever the access */
                assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_NOT_FOUND);
            }
}

/* The access is a set: adding a part (the stream flag, a higher level) never takes an
 * allowed request away. Over every need, method, level, stream flag and step stream. */
static void test_set_monotone(void **state) {
    (void)state;
    static const bs_need needs[] = {BS_NEED_PROJECT_VIEW, BS_NEED_PROJECT_PUBLIC, BS_NEED_PROJECT_READ,
                                    BS_NEED_STEP_WRITE,   BS_NEED_PROJECT_WRITE,  BS_NEED_PROJECT_LEAD};
    for (size_t n = 0; n < sizeof needs / sizeof needs[0]; n++)
        for (int w = 0; w < 2; w++)
            for (int dev = 0; dev < 2; dev++)
                for (int priv = 0; priv < 2; priv++)
                    for (int a = 0; a < 6; a++) {
                        bs_authz_input in = user_with(needs[n], (bs_access)a, w);
                        in.developer_org = dev;
                        in.step_private = priv;
                        bool allowed = bs_authz_decide(&in) == BS_AUTHZ_ALLOW;
                        in.stream = true;
                        if (allowed && bs_authz_decide(&in) != BS_AUTHZ_ALLOW)
                            fail_msg("need %d access %d: adding stream took an allowed request away", needs[n], a);
                        for (int b = a + 1; b < 6; b++) {
                            bs_authz_input hi = user_with(needs[n], (bs_access)b, w);
                            hi.developer_org = dev;
                            hi.step_private = priv;
                            if (allowed && bs_authz_decide(&hi) != BS_AUTHZ_ALLOW)
                                fail_msg("need %d: level %d allowed, higher level %d not", needs[n], a, b);
                        }
                    }
}

static void test_external_stream(void **state) {
    (void)state;
    bs_authz_input in = user_with(BS_NEED_STEP_WRITE, BS_ACCESS_NONE, true);
    in.stream = true;
    in.developer_org = true;
    in.step_private = true;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW); /* own organisation, private step */
    in.step_private = false;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN); /* the municipality's step */
    in.step_private = true;
    in.developer_org = false;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN); /* another organisation's stream */
    /* an external member of an openbaar project: its stream AND public */
    in = user_with(BS_NEED_STEP_WRITE, BS_ACCESS_PUBLIC, true);
    in.stream = in.developer_org = in.step_private = true;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW); /* still writes its own stream */
    in.step_private = false;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN); /* not the public stream */
    in = user_with(BS_NEED_PROJECT_PUBLIC, BS_ACCESS_PUBLIC, false);
    in.stream = true;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW); /* the forecast, like anonymous */
    in.need = BS_NEED_PROJECT_READ;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_FORBIDDEN); /* members: not public */
}

static void test_anonymous(void **state) {
    (void)state;
    bs_authz_input in = {.need = BS_NEED_PROJECT_VIEW, .project_exists = true, .access = BS_ACCESS_NONE};
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_UNAUTHENTICATED);
    in.access = BS_ACCESS_PUBLIC; /* openbaar */
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW);
    in.need = BS_NEED_PROJECT_PUBLIC;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW); /* forecast, checks, history */
    in.write_method = true;                                 /* what-if: stores nothing */
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_ALLOW);
    in.need = BS_NEED_PROJECT_READ; /* members, scenarios: not public facts */
    in.write_method = false;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_UNAUTHENTICATED);
    in.need = BS_NEED_STEP_WRITE; /* anonymous callers never write */
    in.write_method = true;
    in.access = BS_ACCESS_LEAD;
    assert_int_equal(bs_authz_decide(&in), BS_AUTHZ_UNAUTHENTICATED);
}

/* a schema where the private stream's build start depends on a public milestone through a
 * public non-milestone step, and an unrelated public milestone */
static const char schema_json[] =
    "{\"key\":\"t\",\"name\":\"t\",\"version\":1,\"steps\":["
    "{\"key\":\"pa\",\"name\":\"principeakkoord\",\"stream\":\"public\",\"milestone\":true},"
    "{\"key\":\"vg\",\"name\":\"vergunning\",\"stream\":\"public\",\"duration\":{\"value\":10,\"unit\":\"working_days\"},"
    "\"source\":\"t\",\"depends_on\":[{\"step\":\"pa\"}]},"
    "{\"key\":\"vv\",\"name\":\"vergunning verleend\",\"stream\":\"public\",\"milestone\":true,"
    "\"depends_on\":[{\"step\":\"vg\"}]},"
    "{\"key\":\"ont\",\"name\":\"ontwerp\",\"stream\":\"private\",\"duration\":{\"value\":5,\"unit\":\"working_days\"},"
    "\"source\":\"t\"},"
    "{\"key\":\"sb\",\"name\":\"start bouw\",\"stream\":\"private\",\"milestone\":true,"
    "\"depends_on\":[{\"step\":\"vv\"},{\"step\":\"ont\"}]},"
    "{\"key\":\"wr\",\"name\":\"woonrijp\",\"stream\":\"public\",\"milestone\":true,"
    "\"depends_on\":[{\"step\":\"sb\"}]}]}";

static void test_stream_view(void **state) {
    (void)state;
    bs_schema_problems probs = {0};
    bs_schema *s = bs_schema_load(schema_json, strlen(schema_json), true, &probs);
    if (!s && probs.count > 0) fail_msg("schema: %s: %s", probs.items[0].path, probs.items[0].message);
    assert_non_null(s);
    bool vis[6];
    assert_int_equal(bs_schema_stream_view(s, vis), 4);
    const char *want_visible[] = {"pa", "vv", "ont", "sb"};
    const char *want_hidden[] = {"vg", "wr"}; /* not a milestone / after the private steps */
    for (size_t i = 0; i < 4; i++) assert_true(vis[bs_schema_find(s, want_visible[i])]);
    for (size_t i = 0; i < 2; i++) assert_false(vis[bs_schema_find(s, want_hidden[i])]);
    assert_int_equal(bs_schema_stream_view(NULL, vis), -1);
    bs_schema_free(s);
    bs_schema_problems_free(&probs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_public_and_user), cmocka_unit_test(test_scopes),
        cmocka_unit_test(test_project_needs),   cmocka_unit_test(test_set_monotone),
        cmocka_unit_test(test_external_stream), cmocka_unit_test(test_anonymous),
        cmocka_unit_test(test_stream_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
