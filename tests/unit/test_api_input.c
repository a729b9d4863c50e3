/*
 * Unit tests of input checks that keep answers honest: the gate's unknown query parameter
 * check (bs_query_unknown_param, docs/api.md "Query parameters") and the working-day
 * calendar's range for what-if dates (bs_whatif_apply_in, docs/api.md "Dates"), and the
 * pure body decoders (api/decode.h): every refusal names its field and code. The API
 * behaviour end to end is tests/integration/test_api_answers.py.
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

#include "authz.h"
#include "calendar.h"
#include "decode.h"
#include "schema.h"
#include "whatif.h"

static void test_unknown_param(void **state) {
    (void)state;
    char name[64];
    const char *list = "page page_size gemeente q";
    assert_int_equal(bs_query_unknown_param("", list, name, sizeof name), 0);
    assert_int_equal(bs_query_unknown_param(NULL, list, name, sizeof name), 0);
    assert_int_equal(bs_query_unknown_param("page=1&page_size=5&q=De%20Vaart", list, name, sizeof name), 0);
    assert_int_equal(bs_query_unknown_param("gemeente=&&q", list, name, sizeof name), 0); /* empty segment */
    assert_int_equal(bs_query_unknown_param("page=1&search=x", list, name, sizeof name), 1);
    assert_string_equal(name, "search");
    assert_int_equal(bs_query_unknown_param("mine", list, name, sizeof name), 1); /* no '=' */
    assert_string_equal(name, "mine");
    /* a prefix or an extension of a known name is another name */
    assert_int_equal(bs_query_unknown_param("pag=1", list, name, sizeof name), 1);
    assert_string_equal(name, "pag");
    assert_int_equal(bs_query_unknown_param("page_sizes=1", list, name, sizeof name), 1);
    assert_string_equal(name, "page_sizes");
    /* names are compared as sent: an encoded name is not the handler's name */
    assert_int_equal(bs_query_unknown_param("page%5Fsize=1", list, name, sizeof name), 1);
    assert_string_equal(name, "page%5Fsize");
    /* bytes outside printable ASCII are percent-encoded in the name reported */
    assert_int_equal(bs_query_unknown_param("\xc3\xa9\x01=1", list, name, sizeof name), 1);
    assert_string_equal(name, "%C3%A9%01");
    /* an endpoint without parameters */
    assert_int_equal(bs_query_unknown_param("a=1", "", name, sizeof name), 1);
    assert_string_equal(name, "a");
    /* a long name is cut, never overflows */
    char q[400];
    memset(q, 'x', sizeof q - 1);
    q[sizeof q - 1] = 0;
    char small[8];
    assert_int_equal(bs_query_unknown_param(q, list, small, sizeof small), 1);
    assert_true(strlen(small) < sizeof small);
}

static const char schema_json[] =
    "{\"key\":\"t\",\"name\":\"t\",\"version\":1,\"steps\":["
    "{\"key\":\"a\",\"name\":\"a\",\"stream\":\"public\",\"duration\":{\"value\":10,\"unit\":\"working_days\"},"
    "\"source\":\"t\"},"
    "{\"key\":\"m\",\"name\":\"m\",\"stream\":\"public\",\"milestone\":true,\"depends_on\":[{\"step\":\"a\"}]}]}";

static void test_whatif_range(void **state) {
    (void)state;
    bs_schema_problems probs = {0};
    bs_schema *s = bs_schema_load(schema_json, strlen(schema_json), true, &probs);
    if (!s && probs.count > 0) fail_msg("schema: %s: %s", probs.items[0].path, probs.items[0].message);
    assert_non_null(s);
    bs_sched_edit e;
    assert_int_equal(bs_sched_edit_init(&e, s), 0);
    bs_day first = bs_date_from_ymd(1990, 1, 1), last = bs_date_from_ymd(2150, 12, 31);
    char field[128], msg[256];
    const char *cases[][2] = {
        {"[{\"op\":\"set_constraint\",\"step\":\"a\",\"start_no_earlier_than\":\"1989-12-31\"}]",
         "changes[0].start_no_earlier_than"},
        {"[{\"op\":\"set_duration\",\"step\":\"a\",\"duration\":3},"
         "{\"op\":\"set_constraint\",\"step\":\"m\",\"finish_no_later_than\":\"2151-01-01\"}]",
         "changes[1].finish_no_later_than"},
    };
    for (size_t i = 0; i < 2; i++) {
        json_t *ch = json_loads(cases[i][0], 0, NULL);
        assert_non_null(ch);
        assert_int_equal(bs_whatif_apply_in(&e, s, ch, first, last, field, sizeof field, msg, sizeof msg), -1);
        assert_string_equal(field, cases[i][1]);
        assert_non_null(strstr(msg, "1990-01-01"));
        assert_non_null(strstr(msg, "2150-12-31"));
        /* without bounds the same change is accepted (the schedule reports the range later) */
        assert_int_equal(bs_whatif_apply(&e, s, ch, field, sizeof field, msg, sizeof msg), 0);
        json_decref(ch);
    }
    /* the edges themselves are inside */
    json_t *ch = json_loads("[{\"op\":\"set_constraint\",\"step\":\"a\",\"start_no_earlier_than\":\"1990-01-01\","
                            "\"finish_no_later_than\":\"2150-12-31\"}]",
                            0, NULL);
    assert_int_equal(bs_whatif_apply_in(&e, s, ch, first, last, field, sizeof field, msg, sizeof msg), 0);
    json_decref(ch);
    bs_sched_edit_free(&e);
    bs_schema_free(s);
    bs_schema_problems_free(&probs);
}

static void test_decode_object(void **state) {
    (void)state;
    static const char *const allowed[] = {"date", "reason", NULL};
    bs_err e = {0};
    json_t *doc =
        bs_decode_object("{\"date\":\"2026-12-01\"}", 21, "application/json; charset=utf-8", true, allowed, &e);
    assert_non_null(doc);
    json_decref(doc);

    assert_null(bs_decode_object("{}", 2, "text/plain", true, allowed, &e));
    assert_int_equal(e.code, BS_EMEDIA);
    assert_string_equal(e.field, "Content-Type");
    assert_null(bs_decode_object("{}", 2, NULL, true, allowed, &e));
    assert_int_equal(e.code, BS_EMEDIA);

    assert_null(bs_decode_object("", 0, NULL, true, allowed, &e));
    assert_int_equal(e.code, BS_EMALFORMED);
    assert_string_equal(e.field, "body");
    doc = bs_decode_object("", 0, NULL, false, allowed, &e); /* optional body: {} */
    assert_true(json_is_object(doc) && json_object_size(doc) == 0);
    json_decref(doc);

    assert_null(bs_decode_object("{\"date\":", 8, "application/json", true, allowed, &e));
    assert_int_equal(e.code, BS_EMALFORMED);
    assert_non_null(strstr(e.msg, "Malformed JSON at line 1"));
    assert_null(bs_decode_object("[1]", 3, "application/json", true, allowed, &e));
    assert_string_equal(e.msg, "The body must be a JSON object");
    assert_null(bs_decode_object("{\"a\":1,\"a\":2}", 13, "application/json", true, allowed, &e));
    assert_int_equal(e.code, BS_EMALFORMED); /* duplicate names */

    assert_null(bs_decode_object("{\"dat\":1}", 9, "application/json", true, allowed, &e));
    assert_int_equal(e.code, BS_EINVAL);
    assert_string_equal(e.problem, "unknown_field");
    assert_string_equal(e.field, "dat");
}

static void test_decode_fields(void **state) {
    (void)state;
    bs_err e = {0};
    const char *out = "x";
    json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:s}", "name", "Noord", "id", "5B0E2D8E-0c1a-4c5e-9d7a-2f4a1b3c9d10",
                            "n", 3, "bad_id", "5b0e2d8e", "empty", "");
    assert_int_equal(bs_decode_string(doc, "name", true, 10, &out, &e), 0);
    assert_string_equal(out, "Noord");
    assert_int_equal(bs_decode_string(doc, "missing", false, 10, &out, &e), 0);
    assert_null(out);
    assert_int_equal(bs_decode_string(doc, "missing", true, 10, &out, &e), BS_EREQUIRED);
    assert_string_equal(e.field, "missing");
    assert_int_equal(bs_decode_string(doc, "name", true, 4, &out, &e), BS_EINVAL); /* too long */
    assert_int_equal(bs_decode_string(doc, "n", true, 10, &out, &e), BS_EINVAL);   /* not a string */
    assert_int_equal(bs_decode_string(doc, "empty", true, 10, &out, &e), BS_EINVAL);
    assert_int_equal(bs_decode_uuid(doc, "id", true, &out, &e), 0);
    assert_int_equal(bs_decode_uuid(doc, "bad_id", true, &out, &e), BS_EINVAL);
    assert_string_equal(e.msg, "bad_id must be a UUID");
    json_decref(doc);
}

static void test_decode_reason(void **state) {
    (void)state;
    bs_err e = {0};
    const char *out = NULL;
    json_t *none = json_object();
    assert_int_equal(bs_decode_reason(none, false, &out, &e), 0);
    assert_null(out);
    assert_int_equal(bs_decode_reason(none, true, &out, &e), BS_EREQUIRED);
    assert_string_equal(e.field, "reason");
    json_decref(none);
    /* only white space, ASCII and Unicode (NBSP, ideographic space), is no reason */
    json_t *blank = json_pack("{s:s}", "reason", " \t\xc2\xa0\xe3\x80\x80");
    assert_int_equal(bs_decode_reason(blank, true, &out, &e), BS_EINVAL);
    json_decref(blank);
    json_t *ok = json_pack("{s:s}", "reason", " besluit raad ");
    assert_int_equal(bs_decode_reason(ok, true, &out, &e), 0);
    assert_string_equal(out, " besluit raad ");
    json_decref(ok);
    char big[BS_REASON_MAX_BYTES + 2];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    json_t *long_r = json_pack("{s:s}", "reason", big);
    assert_int_equal(bs_decode_reason(long_r, false, &out, &e), BS_EINVAL);
    json_decref(long_r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_param), cmocka_unit_test(test_whatif_range),
        cmocka_unit_test(test_decode_object), cmocka_unit_test(test_decode_fields),
        cmocka_unit_test(test_decode_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
