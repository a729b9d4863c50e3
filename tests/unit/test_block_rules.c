/*
 * Unit tests: engine/core/block_rules.c — the rules of one woningblok that the blocks API and
 * the GeoJSON and Excel imports share (bs_block_check): every member's rule, the rules between
 * members on create and on a change, the member named in err.field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "block_rules.h"

/* The milestones of the test's process: start_bouw and laatste_oplevering. */
static bool milestone(const char *key, const void *arg) {
    (void)arg;
    return strcmp(key, "start_bouw") == 0 || strcmp(key, "laatste_oplevering") == 0;
}

/* Checks block (JSON text): "ok", or the member the error names and its code ("homes/-1"). */
static const char *verdict(const char *block, bool create) {
    static char out[128];
    json_error_t je;
    json_t *b = json_loads(block, 0, &je);
    if (!b) fail_msg("bad JSON in the test: %s", block);
    bs_err err = {0};
    int rc = bs_block_check(b, create, milestone, NULL, &err);
    json_decref(b);
    if (rc == 0) return "ok";
    assert_int_equal(rc, err.code);
    if (err.field[0]) assert_non_null(strstr(err.msg, err.field)); /* the message names the member */
    snprintf(out, sizeof out, "%s/%d", err.field, rc);
    return out;
}

static void test_members(void **state) {
    (void)state;
    assert_string_equal(verdict("{\"homes\": 40}", true), "ok");
    assert_string_equal(verdict("{\"homes\": 40, \"kind\": \"sloop\", \"home_type\": \"meergezins\", \"tenure\": "
                                "\"huur\", \"price_class\": \"huur2\", \"target_group\": \"starters\", \"milestone\": "
                                "\"start_bouw\", \"period_from\": 2026, \"period_to\": 2026, \"correction\": false}",
                                true),
                        "ok");
    assert_string_equal(verdict("{}", true), "homes/-2");
    assert_string_equal(verdict("{}", false), "ok");
    assert_string_equal(verdict("{\"homes\": 0}", true), "homes/-1");
    assert_string_equal(verdict("{\"homes\": 1.5}", true), "homes/-1");
    assert_string_equal(verdict("{\"homes\": 1000001}", true), "homes/-1");
    assert_string_equal(verdict("{\"homes\": -5}", true), "homes/-1");
    assert_string_equal(verdict("{\"homes\": -5, \"correction\": true}", true), "ok");
    assert_string_equal(verdict("{\"homes\": -5}", false), "ok"); /* a change: the table checks it */
    assert_string_equal(verdict("{\"homes\": 1, \"correction\": 1}", true), "correction/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"kind\": \"verbouw\"}", true), "kind/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"home_type\": null}", true), "home_type/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"tenure\": \"pacht\"}", true), "tenure/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"price_class\": \"koop5\"}", true), "price_class/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"target_group\": \"\"}", true), "target_group/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"target_group\": null}", true), "ok");
    assert_string_equal(verdict("{\"homes\": 1, \"milestone\": \"Start bouw\"}", true), "milestone/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"milestone\": \"omgevingsplan\"}", true), "milestone/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"period_from\": 1899}", true), "period_from/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"period_to\": null}", true), "ok");
    assert_string_equal(verdict("{\"homes\": 1, \"kleur\": \"rood\"}", true), "kleur/-1");
}

static void test_between_members(void **state) {
    (void)state;
    assert_string_equal(verdict("{\"homes\": 1, \"period_from\": 2030, \"period_to\": 2029}", true), "period_to/-1");
    assert_string_equal(verdict("{\"period_from\": 2030, \"period_to\": 2029}", false), "period_to/-1");
    /* a class of one tenure needs that tenure; on create an absent tenure is onbekend */
    assert_string_equal(verdict("{\"homes\": 1, \"price_class\": \"koop1\"}", true), "price_class/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"tenure\": \"huur\", \"price_class\": \"koop1\"}", true),
                        "price_class/-1");
    assert_string_equal(verdict("{\"homes\": 1, \"tenure\": \"koop\", \"price_class\": \"koop_onb\"}", true), "ok");
    assert_string_equal(verdict("{\"homes\": 1, \"tenure\": \"huur\", \"price_class\": \"onbekend\"}", true), "ok");
    /* a change of the class alone: the stored tenure decides (the table's constraint) */
    assert_string_equal(verdict("{\"price_class\": \"koop1\"}", false), "ok");
    assert_string_equal(verdict("{\"tenure\": \"huur\", \"price_class\": \"koop1\"}", false), "price_class/-1");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members),
        cmocka_unit_test(test_between_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
