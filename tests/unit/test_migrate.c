/*
 * Unit tests: engine/core/migrate.c (a project's progress moved to another version of its
 * process schema): carry-over, the import's rule for new steps, refusals, links.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "migrate.h"
#include "schema.h"

static bs_schema *load(const char *json) {
    bs_schema_problems p = {0};
    bs_schema *s = bs_schema_load(json, strlen(json), true, &p);
    for (size_t i = 0; i < p.count; i++) fprintf(stderr, "%s: %s\n", p.items[i].path, p.items[i].message);
    bs_schema_problems_free(&p);
    assert_non_null(s);
    return s;
}

#define STEP(K, DEPS)                                                                                                  \
    "{\"key\":\"" K "\",\"name\":\"" K "\",\"stream\":\"public\","                                                     \
    "\"duration\":{\"value\":5,\"unit\":\"working_days\"},\"depends_on\":[" DEPS "]}"
#define DEP(K) "{\"step\":\"" K "\"}"

/* a -> b -> c */
#define V1                                                                                                             \
    "{\"key\":\"k\",\"name\":\"K\",\"version\":1,\"steps\":[" STEP("a", "") "," STEP("b", DEP("a")) "," STEP(          \
        "c", DEP("b")) "]}"
/* a -> x -> b -> c, and d after c (optional, only for planstatus 1A) */
#define V2                                                                                                                                       \
    "{\"key\":\"k\",\"name\":\"K\",\"version\":2,\"steps\":[" STEP("a", "") "," STEP("x", DEP("a")) "," STEP(                                    \
        "b",                                                                                                                                     \
        DEP("x")) "," STEP("c",                                                                                                                  \
                           DEP("b")) ","                                                                                                         \
                                     "{\"key\":\"d\",\"name\":\"d\",\"stream\":\"public\",\"duration\":{\"value\":5,\"unit\":\"working_days\"}," \
                                     "\"optional\":true,\"applies_to\":{\"planstatus\":[\"1A\"]},\"depends_on\":[" DEP(                          \
                                         "c") "]}]}"

typedef struct fx {
    bs_schema *v1, *v2;
    bs_progress p[3]; /* a done with dates, b done estimated, c open */
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    f->v1 = load(V1);
    f->v2 = load(V2);
    f->p[0] = (bs_progress){BS_STATUS_DONE, 100, 110, false};
    f->p[1] = (bs_progress){BS_STATUS_DONE, BS_DAY_NONE, BS_DAY_NONE, true};
    f->p[2] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    bs_schema_free(f->v1);
    bs_schema_free(f->v2);
    free(f);
    return 0;
}

static void default_mapping_carries_and_realises(void **state) {
    fx *f = *state;
    bs_migrate_result r;
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, NULL, false, "3", NULL, 0, &r), 0);
    assert_int_equal(r.carried, 3);
    assert_int_equal(r.n_unmapped, 0);
    int32_t a = bs_schema_find(f->v2, "a"), x = bs_schema_find(f->v2, "x"), c = bs_schema_find(f->v2, "c"),
            d = bs_schema_find(f->v2, "d");
    assert_int_equal(r.progress[a].actual_start, 100);
    assert_int_equal(r.progress[a].actual_finish, 110);
    /* x lies before the realised b: realised with estimated dates, as the import marks steps */
    assert_int_equal(r.n_realised, 1);
    assert_int_equal(r.realised[0], x);
    assert_int_equal(r.progress[x].status, BS_STATUS_DONE);
    assert_true(r.progress[x].actual_estimated);
    assert_int_equal(r.progress[x].actual_finish, BS_DAY_NONE);
    assert_int_equal(r.progress[c].status, BS_STATUS_OPEN);
    assert_int_equal(r.progress[d].status, BS_STATUS_SKIPPED); /* optional, not for planstatus 3 */
    assert_int_equal(r.source[x], -1);
    assert_int_equal(r.source[c], bs_schema_find(f->v1, "c"));
    bs_migrate_result_free(&r);
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, NULL, false, "1A", NULL, 0, &r), 0);
    assert_int_equal(r.progress[d].status, BS_STATUS_OPEN); /* applies to 1A */
    bs_migrate_result_free(&r);
}

static void dropping_an_estimated_step_is_allowed(void **state) {
    fx *f = *state;
    bs_migrate_map m[] = {{"b", NULL}};
    bs_migrate_result r;
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, NULL, false, "3", m, 1, &r), 0);
    assert_int_equal(r.n_unmapped, 1);
    assert_int_equal(r.unmapped[0], bs_schema_find(f->v1, "b"));
    int32_t b = bs_schema_find(f->v2, "b");
    assert_int_equal(r.progress[b].status, BS_STATUS_OPEN); /* b of version 2 starts afresh */
    assert_int_equal(r.n_realised, 0);                      /* nothing realised after a and before b */
    bs_migrate_result_free(&r);
}

static void refusals_name_the_step(void **state) {
    fx *f = *state;
    bs_migrate_result r;
    bs_migrate_map lose[] = {{"a", NULL}};
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, NULL, false, "3", lose, 1, &r), -1);
    assert_int_equal(r.refusal, BS_MIGRATE_LOSES_ACTUAL);
    assert_string_equal(r.refused_step, "a");
    bs_migrate_result_free(&r);
    bs_migrate_map unknown[] = {{"nope", "x"}};
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, NULL, false, "3", unknown, 1, &r), -1);
    assert_int_equal(r.refusal, BS_MIGRATE_UNKNOWN_FROM);
    assert_string_equal(r.refused_step, "nope");
    bs_migrate_result_free(&r);
    bs_migrate_map to_nothing[] = {{"c", "zzz"}};
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, NULL, false, "3", to_nothing, 1, &r), -1);
    assert_int_equal(r.refusal, BS_MIGRATE_UNKNOWN_TO);
    assert_string_equal(r.refused_step, "c");
    bs_migrate_result_free(&r);
    bs_migrate_map twice[] = {{"b", "c"}}; /* c maps onto c by its key as well */
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, NULL, false, "3", twice, 1, &r), -1);
    assert_int_equal(r.refusal, BS_MIGRATE_TWICE);
    bs_migrate_result_free(&r);
    /* the removed step a project still needs: version 1 without its counterpart of a */
    bs_migrate_map rename[] = {{"a", "x"}};
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, NULL, false, "3", rename, 1, &r), 0);
    assert_int_equal(r.progress[bs_schema_find(f->v2, "x")].actual_finish, 110); /* the actual moved along */
    bs_migrate_result_free(&r);
}

static void edits_and_custom_links_carry_over(void **state) {
    fx *f = *state;
    bs_sched_edit e;
    assert_int_equal(bs_sched_edit_init(&e, f->v1), 0);
    int32_t c1 = bs_schema_find(f->v1, "c");
    e.ov[c1].duration = 9;
    e.ov[c1].fnlt = 500;
    bs_migrate_map m[] = {{"b", NULL}};
    bs_migrate_result r;
    assert_int_equal(bs_migrate_project(f->v1, f->v2, f->p, &e, true, "3", m, 1, &r), 0);
    int32_t c2 = bs_schema_find(f->v2, "c");
    assert_int_equal(r.edit.ov[c2].duration, 9);
    assert_int_equal(r.edit.ov[c2].fnlt, 500);
    /* the project's own links a->b and b->c both end at the dropped b */
    assert_int_equal(r.links_dropped, 2);
    assert_int_equal(r.edit.n_links, 0);
    bs_migrate_result_free(&r);
    bs_sched_edit_free(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(default_mapping_carries_and_realises, setup, teardown),
        cmocka_unit_test_setup_teardown(dropping_an_estimated_step_is_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_name_the_step, setup, teardown),
        cmocka_unit_test_setup_teardown(edits_and_custom_links_carry_over, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
