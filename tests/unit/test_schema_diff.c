/*
 * Unit tests: engine/core/schema_diff.c (the difference between two process schema
 * versions), on small schemas and on the shipped processes/ppm-woningbouw.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"
#include "schema_diff.h"

#ifndef BS_SOURCE_DIR
#error "compile with -DBS_SOURCE_DIR"
#endif

static bs_schema *load(const char *json) {
    bs_schema_problems p = {0};
    bs_schema *s = bs_schema_load(json, strlen(json), true, &p);
    for (size_t i = 0; i < p.count; i++) fprintf(stderr, "%s: %s\n", p.items[i].path, p.items[i].message);
    bs_schema_problems_free(&p);
    assert_non_null(s);
    return s;
}

#define V1                                                                                                             \
    "{\"key\":\"k\",\"name\":\"K\",\"version\":1,\"steps\":["                                                          \
    "{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\",\"duration\":{\"value\":5,\"unit\":\"working_days\"}},"       \
    "{\"key\":\"b\",\"name\":\"B\",\"stream\":\"public\",\"duration\":{\"value\":3,\"unit\":\"working_days\"},"        \
    "\"depends_on\":[{\"step\":\"a\"}]},"                                                                              \
    "{\"key\":\"c\",\"name\":\"C\",\"stream\":\"private\",\"duration\":{\"value\":2,\"unit\":\"working_days\"},"       \
    "\"depends_on\":[{\"step\":\"b\",\"lag\":{\"value\":1,\"unit\":\"working_days\"}}]},"                              \
    "{\"key\":\"d\",\"name\":\"D\",\"stream\":\"private\",\"milestone\":true,\"depends_on\":[{\"step\":\"c\"}]}]}"

/* b renamed to b2 and 4 days long, c's lag 2 and type SS, d removed, e added after c,
 * c optional for 1A. */
#define V2                                                                                                             \
    "{\"key\":\"k\",\"name\":\"K\",\"version\":2,\"steps\":["                                                          \
    "{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\",\"duration\":{\"value\":5,\"unit\":\"working_days\"}},"       \
    "{\"key\":\"b2\",\"name\":\"B\",\"stream\":\"public\",\"duration\":{\"value\":4,\"unit\":\"working_days\"},"       \
    "\"depends_on\":[{\"step\":\"a\"}]},"                                                                              \
    "{\"key\":\"c\",\"name\":\"C\",\"stream\":\"private\",\"duration\":{\"value\":2,\"unit\":\"working_days\"},"       \
    "\"optional\":true,\"applies_to\":{\"planstatus\":[\"1A\"]},"                                                      \
    "\"depends_on\":[{\"step\":\"b2\",\"type\":\"SS\",\"lag\":{\"value\":2,\"unit\":\"working_days\"}}]},"             \
    "{\"key\":\"e\",\"name\":\"E\",\"stream\":\"private\",\"duration\":{\"value\":1,\"unit\":\"calendar_days\"},"      \
    "\"depends_on\":[{\"step\":\"c\"}]}]}"

static const char *str(const json_t *o, const char *k) {
    return json_string_value(json_object_get(o, k));
}

static void identical_is_empty(void **state) {
    (void)state;
    bs_schema *a = load(V1), *b = load(V1);
    bs_schema_problems p = {0};
    json_t *d = bs_schema_diff(a, b, NULL, 0, &p);
    assert_non_null(d);
    const char *k;
    json_t *v;
    json_object_foreach(d, k, v) assert_int_equal(json_array_size(v), 0);
    assert_int_equal(json_object_size(d), 8);
    json_decref(d);
    bs_schema_free(a);
    bs_schema_free(b);
}

static void with_rename(void **state) {
    (void)state;
    bs_schema *a = load(V1), *b = load(V2);
    bs_schema_problems p = {0};
    bs_schema_rename r[] = {{"b", "b2"}};
    json_t *d = bs_schema_diff(a, b, r, 1, &p);
    assert_non_null(d);
    json_t *ren = json_object_get(d, "steps_renamed");
    assert_int_equal(json_array_size(ren), 1);
    assert_string_equal(str(json_array_get(ren, 0), "from"), "b");
    assert_string_equal(str(json_array_get(ren, 0), "to"), "b2");
    json_t *rem = json_object_get(d, "steps_removed"), *add = json_object_get(d, "steps_added");
    assert_int_equal(json_array_size(rem), 1);
    assert_string_equal(str(json_array_get(rem, 0), "key"), "d");
    assert_int_equal(json_array_size(add), 1);
    assert_string_equal(str(json_array_get(add, 0), "key"), "e");
    json_t *dur = json_object_get(d, "durations_changed");
    assert_int_equal(json_array_size(dur), 1);
    assert_string_equal(str(json_array_get(dur, 0), "step"), "b2");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(dur, 0), "from"), "value")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(dur, 0), "to"), "value")), 4);
    /* a->b kept (renamed end), b->c changed (SS, lag 2), c->d removed, c->e added */
    assert_int_equal(json_array_size(json_object_get(d, "links_changed")), 1);
    json_t *lc = json_array_get(json_object_get(d, "links_changed"), 0);
    assert_string_equal(str(lc, "step"), "c");
    assert_string_equal(str(lc, "depends_on"), "b2");
    assert_string_equal(str(json_object_get(lc, "from"), "type"), "FS");
    assert_string_equal(str(json_object_get(lc, "to"), "type"), "SS");
    json_t *lr = json_object_get(d, "links_removed"), *la = json_object_get(d, "links_added");
    assert_int_equal(json_array_size(lr), 1);
    assert_string_equal(str(json_array_get(lr, 0), "step"), "d");
    assert_int_equal(json_array_size(la), 1);
    assert_string_equal(str(json_array_get(la, 0), "step"), "e");
    /* c: optional false -> true, applies_to [] -> ["1A"] */
    json_t *cc = json_object_get(d, "constraints_changed");
    assert_int_equal(json_array_size(cc), 2);
    assert_string_equal(str(json_array_get(cc, 0), "field"), "optional");
    assert_string_equal(str(json_array_get(cc, 1), "field"), "applies_to");
    json_decref(d);
    bs_schema_free(a);
    bs_schema_free(b);
}

static void without_rename_is_remove_and_add(void **state) {
    (void)state;
    bs_schema *a = load(V1), *b = load(V2);
    bs_schema_problems p = {0};
    json_t *d = bs_schema_diff(a, b, NULL, 0, &p);
    assert_int_equal(json_array_size(json_object_get(d, "steps_renamed")), 0);
    assert_int_equal(json_array_size(json_object_get(d, "steps_removed")), 2); /* b, d */
    assert_int_equal(json_array_size(json_object_get(d, "steps_added")), 2);   /* b2, e */
    assert_int_equal(json_array_size(json_object_get(d, "durations_changed")), 0);
    json_decref(d);
    bs_schema_free(a);
    bs_schema_free(b);
}

static void bad_renames_reported(void **state) {
    (void)state;
    bs_schema *a = load(V1), *b = load(V2);
    bs_schema_problems p = {0};
    bs_schema_rename r[] = {{"nope", "b2"}, {"b", "zz"}, {"a", "b2"}, {"a", "e"}};
    json_t *d = bs_schema_diff(a, b, r, 4, &p);
    assert_null(d);
    assert_int_equal(p.count, 3);
    assert_string_equal(p.items[0].path, "$.rename[0].from");
    assert_string_equal(p.items[1].path, "$.rename[1].to");
    assert_string_equal(p.items[2].path, "$.rename[3].from"); /* a renamed twice */
    bs_schema_problems_free(&p);
    bs_schema_free(a);
    bs_schema_free(b);
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

/* The shipped schema against itself with one step added and one duration changed. */
static void ppm_one_step_added(void **state) {
    (void)state;
    size_t len;
    char *text = slurp(BS_SOURCE_DIR "/processes/ppm-woningbouw.json", &len);
    json_t *doc = json_loadb(text, len, 0, NULL);
    free(text);
    assert_non_null(doc);
    json_t *steps = json_object_get(doc, "steps");
    json_t *first = json_array_get(steps, 0);
    const char *k0 = json_string_value(json_object_get(first, "key"));
    json_t *s1 = NULL;
    for (size_t i = 0; i < json_array_size(steps) && !s1; i++)
        if (json_object_get(json_array_get(steps, i), "duration")) s1 = json_array_get(steps, i);
    assert_non_null(s1);
    json_t *dur = json_object_get(s1, "duration");
    json_int_t old = json_integer_value(json_object_get(dur, "value"));
    char *v1 = json_dumps(doc, 0);
    json_object_set_new(dur, "value", json_integer(old + 7));
    json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:{s:i, s:s}, s:[{s:s}]}", "key", "extra_check", "name",
                                           "Extra toets", "stream", "public", "duration", "value", 5, "unit",
                                           "working_days", "depends_on", "step", k0));
    char *v2 = json_dumps(doc, 0);
    json_decref(doc);
    bs_schema *a = load(v1), *b = load(v2);
    free(v1);
    free(v2);
    bs_schema_problems p = {0};
    json_t *d = bs_schema_diff(a, b, NULL, 0, &p);
    assert_non_null(d);
    assert_int_equal(json_array_size(json_object_get(d, "steps_added")), 1);
    assert_int_equal(json_array_size(json_object_get(d, "links_added")), 1);
    assert_int_equal(json_array_size(json_object_get(d, "durations_changed")), 1);
    assert_int_equal(json_array_size(json_object_get(d, "steps_removed")), 0);
    assert_int_equal(json_array_size(json_object_get(d, "links_removed")), 0);
    assert_int_equal(json_array_size(json_object_get(d, "links_changed")), 0);
    assert_int_equal(json_array_size(json_object_get(d, "constraints_changed")), 0);
    json_decref(d);
    bs_schema_free(a);
    bs_schema_free(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identical_is_empty),
        cmocka_unit_test(with_rename),
        cmocka_unit_test(without_rename_is_remove_and_add),
        cmocka_unit_test(bad_renames_reported),
        cmocka_unit_test(ppm_one_step_added),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
