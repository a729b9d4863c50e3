/*
 * Unit tests: engine/core/plusveld.c — the value validator of plusvelden (types, min/max,
 * categories, required from a step), the PCRE2 pattern (full match, UTF mode, compile errors
 * with their offset, the length bound, a catastrophic pattern cut off by the limits) and the
 * cache of compiled patterns (compiled once per definition version).
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

#include "plusveld.h"

/* Checks value (JSON text) against d: the problem code it gives, or "ok". */
static const char *verdict(const bs_pv_def *d, const char *value_json) {
    static char out[64];
    json_error_t je;
    json_t *v = json_loads(value_json, JSON_DECODE_ANY, &je);
    if (!v) fail_msg("bad JSON in the test: %s", value_json);
    bs_err err = {0};
    int rc = bs_pv_check_value(d, v, &err);
    json_decref(v);
    if (rc == 0) return "ok";
    char want[80];
    snprintf(want, sizeof want, "plusvelden.%s", d->key);
    assert_string_equal(err.field, want);
    snprintf(out, sizeof out, "%s", err.problem ? err.problem : "none");
    return out;
}

static void test_types(void **state) {
    (void)state;
    bs_pv_type t;
    assert_int_equal(bs_pv_type_parse("multi_category", &t), 0);
    assert_int_equal(t, BS_PV_MULTI_CATEGORY);
    assert_string_equal(bs_pv_type_name(t), "multi_category");
    assert_int_equal(bs_pv_type_parse("float", &t), -1);

    bs_pv_def i = {.key = "woningen", .type = BS_PV_INTEGER, .has_min = true, .min = 0, .has_max = true, .max = 500};
    assert_string_equal(verdict(&i, "12"), "ok");
    assert_string_equal(verdict(&i, "null"), "ok");
    assert_string_equal(verdict(&i, "12.5"), "type");
    assert_string_equal(verdict(&i, "\"12\""), "type");
    assert_string_equal(verdict(&i, "-1"), "out_of_range");
    assert_string_equal(verdict(&i, "501"), "out_of_range");
    assert_string_equal(verdict(&i, "500"), "ok");

    bs_pv_def dec = {.key = "opp", .type = BS_PV_DECIMAL, .has_max = true, .max = 2.5};
    assert_string_equal(verdict(&dec, "2.5"), "ok");
    assert_string_equal(verdict(&dec, "2"), "ok");
    assert_string_equal(verdict(&dec, "2.51"), "out_of_range");
    assert_string_equal(verdict(&dec, "true"), "type");

    bs_pv_def dt = {.key = "besluit", .type = BS_PV_DATE};
    assert_string_equal(verdict(&dt, "\"2026-02-28\""), "ok");
    assert_string_equal(verdict(&dt, "\"2026-02-29\""), "type");
    assert_string_equal(verdict(&dt, "\"28-02-2026\""), "type");

    bs_pv_def b = {.key = "gasloos", .type = BS_PV_BOOLEAN};
    assert_string_equal(verdict(&b, "false"), "ok");
    assert_string_equal(verdict(&b, "0"), "type");

    /* text length in characters, not bytes: "Ëë" is 2 characters, 4 bytes */
    bs_pv_def tx = {.key = "naam", .type = BS_PV_TEXT, .has_min = true, .min = 2, .has_max = true, .max = 2};
    assert_string_equal(verdict(&tx, "\"\\u00cb\\u00eb\""), "ok");
    assert_string_equal(verdict(&tx, "\"abc\""), "out_of_range");
    assert_string_equal(verdict(&tx, "\"a\""), "out_of_range");
    assert_string_equal(verdict(&tx, "5"), "type");
    char *big = malloc(BS_PV_TEXT_MAX_BYTES + 10);
    memset(big, 'x', BS_PV_TEXT_MAX_BYTES + 3);
    big[0] = '"';
    big[BS_PV_TEXT_MAX_BYTES + 2] = '"';
    big[BS_PV_TEXT_MAX_BYTES + 3] = 0;
    bs_pv_def tl = {.key = "lang", .type = BS_PV_TEXT};
    assert_string_equal(verdict(&tl, big), "too_long");
    free(big);
}

static void test_categories(void **state) {
    (void)state;
    static const char *const cats[] = {"laag", "midden", "hoog"};
    bs_pv_def c = {.key = "prio", .type = BS_PV_CATEGORY, .categories = cats, .n_categories = 3};
    assert_string_equal(verdict(&c, "\"midden\""), "ok");
    assert_string_equal(verdict(&c, "\"Midden\""), "category");
    assert_string_equal(verdict(&c, "[\"laag\"]"), "type");
    bs_pv_def m = {.key = "thema", .type = BS_PV_MULTI_CATEGORY, .categories = cats, .n_categories = 3};
    assert_string_equal(verdict(&m, "[\"laag\", \"hoog\"]"), "ok");
    assert_string_equal(verdict(&m, "[\"laag\", \"laag\"]"), "category");
    assert_string_equal(verdict(&m, "[\"laag\", \"zeer hoog\"]"), "category");
    assert_string_equal(verdict(&m, "[]"), "type");
    assert_string_equal(verdict(&m, "\"laag\""), "type");
    assert_string_equal(verdict(&m, "[1]"), "type");
}

static void test_required(void **state) {
    (void)state;
    static const char *const done[] = {"initiatief", "omgevingsplan_vastgesteld"};
    bs_pv_def never = {.key = "a", .type = BS_PV_TEXT};
    bs_pv_def always = {.key = "b", .type = BS_PV_TEXT, .required = true};
    bs_pv_def from = {
        .key = "c", .type = BS_PV_TEXT, .required = true, .required_from_step = "omgevingsplan_vastgesteld"};
    bs_pv_def later = {.key = "d", .type = BS_PV_TEXT, .required = true, .required_from_step = "start_bouw"};
    assert_false(bs_pv_required_now(&never, done, 2));
    assert_true(bs_pv_required_now(&always, NULL, 0));
    assert_false(bs_pv_required_now(&from, done, 1)); /* only initiatief done */
    assert_true(bs_pv_required_now(&from, done, 2));
    assert_false(bs_pv_required_now(&later, done, 2));
}

/* A compiled pattern for the test (fails the test when it does not compile). */
static bs_pv_pattern *compile(const char *src) {
    bs_pv_pattern *p = NULL;
    bs_err err = {0};
    if (bs_pv_pattern_compile(src, strlen(src), "pattern", &p, &err) != 0) fail_msg("%s: %s", src, err.msg);
    return p;
}

static void test_pattern(void **state) {
    (void)state;
    /* full match: a pattern that matches part of the value is not enough */
    bs_pv_pattern *p = compile("[0-9]{4}[A-Z]{2}");
    bs_pv_def d = {.key = "postcode", .type = BS_PV_TEXT, .pattern = p};
    assert_string_equal(verdict(&d, "\"5611AB\""), "ok");
    assert_string_equal(verdict(&d, "\"5611AB \""), "pattern_mismatch");
    assert_string_equal(verdict(&d, "\"x5611AB\""), "pattern_mismatch");
    bs_pv_pattern_free(p);

    /* UTF mode: \p{Lu} is one capital letter, also a non-ASCII one, as one character */
    p = compile("^\\p{Lu}\\p{Ll}+$");
    d = (bs_pv_def){.key = "plaats", .type = BS_PV_TEXT, .pattern = p};
    assert_string_equal(verdict(&d, "\"\\u00cbindhoven\""), "ok"); /* Ëindhoven */
    assert_string_equal(verdict(&d, "\"Eindhoven\""), "ok");
    assert_string_equal(verdict(&d, "\"eindhoven\""), "pattern_mismatch");
    assert_string_equal(verdict(&d, "\"\\u00ebindhoven\""), "pattern_mismatch"); /* ëindhoven */
    bs_pv_pattern_free(p);
    /* \w is Unicode-aware (UCP) */
    p = compile("\\w+");
    d.pattern = p;
    assert_string_equal(verdict(&d, "\"\\u00e9\\u00e8\""), "ok");
    bs_pv_pattern_free(p);

    /* compile errors name the offset */
    bs_err err = {0};
    bs_pv_pattern *q = NULL;
    assert_int_equal(bs_pv_pattern_compile("ab(c", 4, "pattern", &q, &err), BS_EINVAL);
    assert_null(q);
    assert_string_equal(err.problem, "pattern_invalid");
    assert_string_equal(err.field, "pattern");
    assert_non_null(strstr(err.msg, "at offset 4"));
    err = (bs_err){0};
    assert_int_equal(bs_pv_pattern_compile("a[b", 3, "pattern", &q, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "offset 3"));
    /* too long, empty */
    char long_src[BS_PV_PATTERN_MAX_BYTES + 2];
    memset(long_src, 'a', sizeof long_src - 1);
    long_src[sizeof long_src - 1] = 0;
    err = (bs_err){0};
    assert_int_equal(bs_pv_pattern_compile(long_src, strlen(long_src), "pattern", &q, &err), BS_EINVAL);
    assert_string_equal(err.problem, "pattern_too_long");
    assert_int_equal(bs_pv_pattern_compile(long_src, BS_PV_PATTERN_MAX_BYTES, "pattern", &q, &err), 0);
    bs_pv_pattern_free(q);
    assert_int_equal(bs_pv_pattern_compile("", 0, "pattern", &q, &err), BS_EINVAL);
    /* nesting deeper than the bound is refused */
    char nest[2 * (BS_PV_PATTERN_MAX_NEST + 2) + 2];
    size_t k = 0;
    for (int i = 0; i < BS_PV_PATTERN_MAX_NEST + 2; i++) nest[k++] = '(';
    nest[k++] = 'a';
    for (int i = 0; i < BS_PV_PATTERN_MAX_NEST + 2; i++) nest[k++] = ')';
    nest[k] = 0;
    err = (bs_err){0};
    assert_int_equal(bs_pv_pattern_compile(nest, k, "pattern", &q, &err), BS_EINVAL);
    assert_string_equal(err.problem, "pattern_invalid");
}

/* (a+)+$ against aaaa…ab: exponential backtracking, cut off by the limits with pattern_limit
 * — under JIT and in the interpreter alike. */
static void test_pattern_bomb(void **state) {
    (void)state;
    bs_pv_pattern *p = compile("(a+)+$");
    printf("JIT: %s\n", bs_pv_pattern_jit(p) ? "yes" : "no");
    size_t n = 5000;
    char *s = malloc(n + 1);
    memset(s, 'a', n - 1);
    s[n - 1] = 'b';
    s[n] = 0;
    bs_err err = {0};
    int rc = bs_pv_pattern_match(p, s, n, "plusvelden.code", &err);
    assert_int_equal(rc, BS_EINVAL);
    assert_string_equal(err.problem, "pattern_limit");
    assert_string_equal(err.field, "plusvelden.code");
    /* the same pattern on a value it matches, and on a short one it does not */
    assert_int_equal(bs_pv_pattern_match(p, "aaaa", 4, "plusvelden.code", &err), 1);
    assert_int_equal(bs_pv_pattern_match(p, "aab", 3, "plusvelden.code", &err), 0);
    /* through the validator */
    bs_pv_def d = {.key = "code", .type = BS_PV_TEXT, .pattern = p};
    json_t *v = json_stringn(s, n);
    err = (bs_err){0};
    assert_int_equal(bs_pv_check_value(&d, v, &err), BS_EINVAL);
    assert_string_equal(err.problem, "pattern_limit");
    json_decref(v);
    free(s);
    bs_pv_pattern_free(p);
}

/* The JSON form the store and the API give (SQL_PV_LOAD, BS_IMPORT_PV_DEFS) read as a definition. */
static void test_def_from_json(void **state) {
    (void)state;
    json_t *d = json_loads("{\"id\": \"x\", \"key\": \"thema\", \"type\": \"multi_category\", \"min\": null, "
                           "\"max\": 3, \"categories\": [\"groen\", \"water\"], \"required\": true, "
                           "\"required_from_step\": \"start_bouw\"}",
                           0, NULL);
    assert_non_null(d);
    const char *cats[BS_PV_MAX_CATEGORIES];
    bs_pv_def def;
    assert_int_equal(bs_pv_def_from_json(d, &def, cats), 0);
    assert_string_equal(def.key, "thema");
    assert_int_equal(def.type, BS_PV_MULTI_CATEGORY);
    assert_false(def.has_min);
    assert_true(def.has_max);
    assert_int_equal((int)def.max, 3);
    assert_int_equal(def.n_categories, 2);
    assert_string_equal(def.categories[1], "water");
    assert_true(def.required);
    assert_string_equal(def.required_from_step, "start_bouw");
    assert_null(def.pattern);
    assert_string_equal(verdict(&def, "[\"water\"]"), "ok");
    json_object_set_new(d, "type", json_string("float"));
    assert_int_equal(bs_pv_def_from_json(d, &def, cats), -1);
    json_decref(d);
}

static void test_cache(void **state) {
    (void)state;
    bs_pv_cache *c = bs_pv_cache_new(2);
    bs_err err = {0};
    bs_pv_pattern *a1 = bs_pv_cache_get(c, "a", 1, "[a-z]+", "pattern", &err);
    assert_non_null(a1);
    assert_ptr_equal(bs_pv_cache_get(c, "a", 1, "[a-z]+", "pattern", &err), a1);
    assert_int_equal(bs_pv_cache_compiles(c), 1);
    /* a new version of the definition is compiled again (its pattern changed) */
    bs_pv_pattern *a2 = bs_pv_cache_get(c, "a", 2, "[0-9]+", "pattern", &err);
    assert_int_equal(bs_pv_cache_compiles(c), 2);
    assert_int_equal(bs_pv_pattern_match(a2, "12", 2, "x", &err), 1);
    assert_int_equal(bs_pv_pattern_match(a2, "ab", 2, "x", &err), 0);
    /* full: the least recently used is evicted */
    assert_non_null(bs_pv_cache_get(c, "b", 1, "b", "pattern", &err));
    assert_non_null(bs_pv_cache_get(c, "a", 2, "[0-9]+", "pattern", &err)); /* a used after b */
    assert_non_null(bs_pv_cache_get(c, "c", 1, "c", "pattern", &err));      /* evicts b */
    assert_int_equal(bs_pv_cache_compiles(c), 4);
    assert_non_null(bs_pv_cache_get(c, "a", 2, "[0-9]+", "pattern", &err));
    assert_int_equal(bs_pv_cache_compiles(c), 4);
    assert_non_null(bs_pv_cache_get(c, "b", 1, "b", "pattern", &err));
    assert_int_equal(bs_pv_cache_compiles(c), 5);
    /* a pattern that does not compile is not cached */
    assert_null(bs_pv_cache_get(c, "d", 1, "(", "pattern", &err));
    assert_string_equal(err.problem, "pattern_invalid");
    bs_pv_cache_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),         cmocka_unit_test(test_categories),   cmocka_unit_test(test_required),
        cmocka_unit_test(test_pattern),       cmocka_unit_test(test_pattern_bomb), cmocka_unit_test(test_cache),
        cmocka_unit_test(test_def_from_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
