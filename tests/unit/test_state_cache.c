/*
 * The state cache (api/state_cache.h): an entry answers only for its stamp, a put replaces the
 * entry and its renderings, renderings are kept per key (data date, near_critical_days, view),
 * the least recently used entries go first when the bounds are reached, and what a get returns
 * is a copy independent of the caller's arrays. And bs_project_state_parse reads the step rows
 * as objects and as arrays (BS_PROJECT_STATE_MEMBERS_COMPACT) into the same state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>
#include <jansson.h>

#include "engine.h"
#include "state_cache.h"

#ifndef BS_SOURCE_DIR
#define BS_SOURCE_DIR "."
#endif

static bs_engine engine;

static int setup(void **state) {
    (void)state;
    bs_err err = {0};
    return bs_engine_init(&engine, BS_SOURCE_DIR "/processes", &err, NULL);
}

static int teardown(void **state) {
    (void)state;
    bs_engine_free(&engine);
    return 0;
}

/* A parsed state of the shipped schema with step i started on day base + i (a state to cache). */
static void make_state(bs_project_state *st, bs_day base) {
    json_t *doc =
        json_pack("{s:s, s:s, s:i, s:s, s:i, s:b, s:[]}", "progress_date", "2026-11-02", "schema", "ppm-woningbouw",
                  "schema_version", 1, "planstatus", "1A", "version", 7, "custom_links", 0, "links");
    json_t *steps = json_array();
    const bs_engine_schema *es = bs_engine_schema_get(&engine, "ppm-woningbouw");
    assert_non_null(es);
    for (int32_t i = 0; i < 3; i++) {
        char d[11];
        json_array_append_new(steps, json_pack("{s:s, s:s, s:s}", "step_key", es->schema->steps[i].key, "status",
                                               "started", "actual_start", bs_date_format(base + i, d)));
    }
    json_object_set_new(doc, "steps", steps);
    assert_int_equal(bs_project_state_parse(&engine, doc, BS_DAY_NONE, st), 0);
    json_decref(doc);
}

static bs_state_snapshot snap_of(const bs_project_state *st) {
    return (bs_state_snapshot){.schema = st->schema,
                               .cal = st->cal,
                               .progress = st->progress,
                               .planned = st->planned,
                               .edit = st->edit,
                               .progress_date = st->progress_date,
                               .version = st->version};
}

static void test_stamp_and_copy(void **state) {
    (void)state;
    bs_state_cache *c = bs_state_cache_new(16, 1u << 20);
    bs_project_state st;
    bs_day base = bs_date_from_ymd(2026, 10, 1);
    make_state(&st, base);
    bs_state_snapshot s = snap_of(&st);
    const char *id = "01a25083-d6a4-7abc-90ba-d657452cdf52";
    assert_int_equal(bs_state_cache_stamp(c, id), -1);
    assert_null(bs_state_cache_get(c, id, 5));
    bs_state_cache_put(c, id, 5, &s);
    assert_int_equal(bs_state_cache_stamp(c, id), 5);
    /* the cache holds a copy: changing the caller's arrays changes nothing cached */
    st.progress[0].actual_start = BS_DAY_NONE;
    const bs_state_snapshot *got = bs_state_cache_get(c, id, 5);
    assert_non_null(got);
    assert_int_equal(got->progress[0].actual_start, base);
    assert_int_equal(got->progress[2].actual_start, base + 2);
    assert_int_equal(got->version, 7);
    assert_ptr_equal(got->schema, st.schema);
    /* another stamp: no state */
    assert_null(bs_state_cache_get(c, id, 6));
    assert_null(bs_state_cache_get(c, id, 4));
    size_t n, bytes;
    unsigned long long hits, misses;
    bs_state_cache_stats(c, &n, &bytes, &hits, &misses);
    assert_int_equal(n, 1);
    assert_int_equal(hits, 1);
    assert_int_equal(misses, 3);
    bs_state_cache_drop(c, id);
    assert_null(bs_state_cache_get(c, id, 5));
    bs_project_state_free(&st);
    bs_state_cache_free(c);
}

static void test_renderings(void **state) {
    (void)state;
    bs_state_cache *c = bs_state_cache_new(16, 1u << 20);
    bs_project_state st;
    make_state(&st, bs_date_from_ymd(2026, 10, 1));
    bs_state_snapshot s = snap_of(&st);
    const char *id = "p1";
    bs_render_key full = {.data_date = 100, .near_critical = 10, .stream_view = false};
    bs_render_key stream = {.data_date = 100, .near_critical = 10, .stream_view = true};
    bs_render_key nextday = {.data_date = 101, .near_critical = 10, .stream_view = false};
    size_t len = 0;
    /* no entry: nothing kept */
    bs_state_cache_set_rendered(c, id, 1, &full, "{\"a\":1}", 7);
    assert_null(bs_state_cache_rendered(c, id, 1, &full, &len));
    bs_state_cache_put(c, id, 1, &s);
    /* another stamp than the entry's: nothing kept, nothing answered */
    bs_state_cache_set_rendered(c, id, 2, &full, "{\"a\":2}", 7);
    assert_null(bs_state_cache_rendered(c, id, 1, &full, &len));
    bs_state_cache_set_rendered(c, id, 1, &full, "{\"full\":1}", 10);
    bs_state_cache_set_rendered(c, id, 1, &stream, "{\"stream\":1}", 12);
    const char *b = bs_state_cache_rendered(c, id, 1, &full, &len);
    assert_non_null(b);
    assert_int_equal(len, 10);
    assert_memory_equal(b, "{\"full\":1}", 10);
    b = bs_state_cache_rendered(c, id, 1, &stream, &len);
    assert_non_null(b);
    assert_memory_equal(b, "{\"stream\":1}", 12);
    assert_null(bs_state_cache_rendered(c, id, 2, &stream, &len));
    assert_null(bs_state_cache_rendered(c, id, 1, &nextday, &len));
    /* a third key replaces the oldest (full); the stream view stays apart */
    bs_state_cache_set_rendered(c, id, 1, &nextday, "{\"next\":1}", 10);
    assert_null(bs_state_cache_rendered(c, id, 1, &full, &len));
    b = bs_state_cache_rendered(c, id, 1, &stream, &len);
    assert_non_null(b);
    assert_memory_equal(b, "{\"stream\":1}", 12);
    /* a put at a new stamp drops the renderings */
    bs_state_cache_put(c, id, 3, &s);
    assert_null(bs_state_cache_rendered(c, id, 3, &stream, &len));
    assert_null(bs_state_cache_rendered(c, id, 3, &nextday, &len));
    bs_project_state_free(&st);
    bs_state_cache_free(c);
}

static void test_bounds(void **state) {
    (void)state;
    bs_project_state st;
    make_state(&st, bs_date_from_ymd(2026, 10, 1));
    bs_state_snapshot s = snap_of(&st);
    /* by count: 3 entries; the least recently used goes */
    bs_state_cache *c = bs_state_cache_new(3, 1u << 24);
    bs_state_cache_put(c, "a", 1, &s);
    bs_state_cache_put(c, "b", 1, &s);
    bs_state_cache_put(c, "c", 1, &s);
    assert_non_null(bs_state_cache_get(c, "a", 1)); /* a used: b is the least recently used */
    bs_state_cache_put(c, "d", 1, &s);
    assert_int_equal(bs_state_cache_stamp(c, "b"), -1);
    assert_int_equal(bs_state_cache_stamp(c, "a"), 1);
    assert_int_equal(bs_state_cache_stamp(c, "c"), 1);
    assert_int_equal(bs_state_cache_stamp(c, "d"), 1);
    bs_state_cache_free(c);
    /* by bytes: renderings count; the newest entry always stays */
    c = bs_state_cache_new(100, 64u << 10);
    static char big[40u << 10];
    memset(big, 'x', sizeof big);
    bs_render_key k = {.data_date = 1};
    bs_state_cache_put(c, "a", 1, &s);
    bs_state_cache_set_rendered(c, "a", 1, &k, big, sizeof big);
    bs_state_cache_put(c, "b", 1, &s);
    bs_state_cache_set_rendered(c, "b", 1, &k, big, sizeof big);
    size_t n, bytes;
    unsigned long long hits, misses;
    bs_state_cache_stats(c, &n, &bytes, &hits, &misses);
    assert_int_equal(n, 1);
    assert_true(bytes <= (64u << 10));
    assert_int_equal(bs_state_cache_stamp(c, "a"), -1);
    size_t len;
    assert_non_null(bs_state_cache_rendered(c, "b", 1, &k, &len));
    bs_state_cache_free(c);
    bs_project_state_free(&st);
}

/* The step rows as objects (BS_PROJECT_STATE_MEMBERS) and as arrays (…_COMPACT): the same state. */
static void test_parse_row_forms(void **state) {
    (void)state;
    const char *head = "{\"progress_date\":\"2026-11-02\",\"schema\":\"ppm-woningbouw\",\"schema_version\":1,"
                       "\"planstatus\":\"1A\",\"version\":3,\"custom_links\":false,\"links\":[],\"steps\":[";
    const bs_engine_schema *es = bs_engine_schema_get(&engine, "ppm-woningbouw");
    const char *k0 = es->schema->steps[0].key, *k5 = es->schema->steps[5].key;
    char as_objects[2048], as_arrays[2048];
    snprintf(as_objects, sizeof as_objects,
             "%s{\"step_key\":\"%s\",\"status\":\"done\",\"actual_start\":\"2026-01-05\",\"actual_finish\":"
             "\"2026-02-06\",\"actual_estimated\":true,\"remaining_duration\":null,\"duration_override\":12,"
             "\"planned_start\":\"2026-01-01\",\"planned_finish\":\"2026-02-01\",\"start_no_earlier_than\":null,"
             "\"finish_no_later_than\":null},"
             "{\"step_key\":\"%s\",\"status\":\"started\",\"actual_start\":\"2026-10-05\",\"actual_finish\":null,"
             "\"actual_estimated\":false,\"remaining_duration\":7,\"duration_override\":null,\"planned_start\":null,"
             "\"planned_finish\":null,\"start_no_earlier_than\":\"2026-12-01\",\"finish_no_later_than\":"
             "\"2027-06-30\"}]}",
             head, k0, k5);
    snprintf(as_arrays, sizeof as_arrays,
             "%s[\"%s\",\"done\",\"2026-01-05\",\"2026-02-06\",true,null,12,\"2026-01-01\",\"2026-02-01\",null,null],"
             "[\"%s\",\"started\",\"2026-10-05\",null,false,7,null,null,null,\"2026-12-01\",\"2027-06-30\"]]}",
             head, k0, k5);
    json_t *a = json_loads(as_objects, 0, NULL), *b = json_loads(as_arrays, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    bs_project_state sa, sb;
    bs_day today = bs_date_from_ymd(2026, 11, 29);
    assert_int_equal(bs_project_state_parse(&engine, a, today, &sa), 0);
    assert_int_equal(bs_project_state_parse(&engine, b, today, &sb), 0);
    const size_t n = (size_t)sa.schema->n_steps;
    assert_int_equal(sa.progress[0].status, BS_STATUS_DONE);
    assert_int_equal(sa.edit.ov[0].duration, 12);
    assert_int_equal(sa.edit.ov[5].remaining, 7);
    assert_int_equal(sa.edit.ov[5].fnlt, bs_date_from_ymd(2027, 6, 30));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sa.progress[i].status, sb.progress[i].status);
        assert_int_equal(sa.progress[i].actual_start, sb.progress[i].actual_start);
        assert_int_equal(sa.progress[i].actual_finish, sb.progress[i].actual_finish);
        assert_int_equal(sa.progress[i].actual_estimated, sb.progress[i].actual_estimated);
        assert_int_equal(sa.planned[2 * i], sb.planned[2 * i]);
        assert_int_equal(sa.planned[2 * i + 1], sb.planned[2 * i + 1]);
        assert_int_equal(sa.edit.ov[i].duration, sb.edit.ov[i].duration);
        assert_int_equal(sa.edit.ov[i].remaining, sb.edit.ov[i].remaining);
        assert_int_equal(sa.edit.ov[i].snet, sb.edit.ov[i].snet);
        assert_int_equal(sa.edit.ov[i].fnlt, sb.edit.ov[i].fnlt);
    }
    assert_int_equal(sa.data_date, sb.data_date);
    bs_project_state_free(&sa);
    bs_project_state_free(&sb);
    json_decref(a);
    json_decref(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stamp_and_copy),
        cmocka_unit_test(test_renderings),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_parse_row_forms),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
