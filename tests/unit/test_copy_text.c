/*
 * The COPY text encoder of the import pipeline (adapters/copy_text.c): tab, newline, carriage
 * return and backslash escaped, SQL NULL as \N (and a string "\N" kept apart from it), UTF-8
 * copied as it is, numbers, booleans, text[] literals and JSON objects; and, with
 * BOUWSTROOM_DATABASE_URL, that PostgreSQL's COPY … FROM STDIN reads every field back as the
 * value it came from (skipped without it).
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
#include <libpq-fe.h>

#include "copy_text.h"

/* The field of v as the encoder writes it (owned by the caller). */
static char *field(const json_t *v, size_t flags) {
    bs_copy_buf o = {0};
    bs_copy_field(&o, v, flags);
    bs_copy_put(&o, "", 0); /* an empty value still gets its buffer */
    return o.p;
}

static void assert_field(json_t *v, const char *want) {
    char *got = field(v, JSON_COMPACT);
    assert_string_equal(got, want);
    free(got);
    json_decref(v);
}

static void test_text_escapes(void **state) {
    (void)state;
    assert_field(json_string("a\tb"), "a\\tb");
    assert_field(json_string("line 1\nline 2"), "line 1\\nline 2");
    assert_field(json_string("crlf\r\n"), "crlf\\r\\n");
    assert_field(json_string("C:\\plannen\\2020"), "C:\\\\plannen\\\\2020");
    assert_field(json_string("\\."), "\\\\."); /* never COPY's end-of-data marker */
    assert_field(json_string("\t\n\\\r"), "\\t\\n\\\\\\r");
    assert_field(json_string(""), "");
    assert_field(json_string("plain text, with 'quotes' and \"double quotes\""),
                 "plain text, with 'quotes' and \"double quotes\"");
}

static void test_null(void **state) {
    (void)state;
    assert_field(json_null(), "\\N");
    char *got = field(NULL, 0); /* an absent member */
    assert_string_equal(got, "\\N");
    free(got);
    assert_field(json_string("\\N"), "\\\\N"); /* the text \N is not NULL */
    assert_field(json_string("NULL"), "NULL");
}

static void test_utf8_as_is(void **state) {
    (void)state;
    const char *s = "\xc4\xb2sselmonde \xe2\x80\x93 caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8f\xa0";
    assert_field(json_string(s), s);
    assert_field(json_string("\xc3\xa9\t\xc3\xa9"), "\xc3\xa9\\t\xc3\xa9");
    /* bytes of a multi-byte sequence are never taken for an escape (all are >= 0x80) */
    assert_field(json_string("\xe2\x80\x8b\\"), "\xe2\x80\x8b\\\\");
}

static void test_numbers_and_booleans(void **state) {
    (void)state;
    assert_field(json_integer(-42), "-42");
    assert_field(json_integer(9007199254740993LL), "9007199254740993");
    assert_field(json_real(0.1), "0.10000000000000001"); /* reads back as the same double */
    assert_field(json_real(155000.5), "155000.5");
    assert_field(json_true(), "t");
    assert_field(json_false(), "f");
}

static void test_array_literal(void **state) {
    (void)state;
    json_t *a = json_array();
    json_array_append_new(a, json_string("open"));
    json_array_append_new(a, json_string("a\"b"));
    json_array_append_new(a, json_string("c\\d"));
    json_array_append_new(a, json_null());
    json_array_append_new(a, json_string("x,y {z}"));
    json_array_append_new(a, json_string("tab\there"));
    json_array_append_new(a, json_string("\xc3\xbc"));
    /* the literal {"open","a\"b","c\\d",NULL,"x,y {z}","tab<TAB>here","ü"}, escaped as COPY text */
    assert_field(a, "{\"open\",\"a\\\\\"b\",\"c\\\\\\\\d\",NULL,\"x,y {z}\",\"tab\\there\",\"\xc3\xbc\"}");
    assert_field(json_array(), "{}");
}

static void test_object_as_json(void **state) {
    (void)state;
    json_t *g = json_pack("{s:s, s:[f, f]}", "type", "Point", "coordinates", 155000.5, 463000.0);
    assert_field(g, "{\"type\":\"Point\",\"coordinates\":[155000.5,463000.0]}");
    /* JSON's own escape of a newline is a backslash and an n: the backslash is escaped for COPY */
    json_t *o = json_pack("{s:s}", "note", "a\nb");
    assert_field(o, "{\"note\":\"a\\\\nb\"}");
}

static void test_row(void **state) {
    (void)state;
    json_t *rec = json_pack("{s:s, s:i, s:n, s:b}", "name", "Plan\tZuid", "homes", 12, "datum", "estimated", 1);
    const char *cols[] = {"name", "homes", "datum", "missing", "estimated"};
    bs_copy_buf o = {0};
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        if (c) bs_copy_put(&o, "\t", 1);
        bs_copy_field(&o, json_object_get(rec, cols[c]), JSON_COMPACT);
    }
    bs_copy_put(&o, "\n", 1);
    assert_string_equal(o.p, "Plan\\tZuid\t12\t\\N\t\\N\tt\n");
    free(o.p);
    json_decref(rec);
}

/* ---- what PostgreSQL reads back ---- */

static PGresult *exec_ok(PGconn *pg, const char *sql, ExecStatusType want) {
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != want) fail_msg("%s: %s", sql, PQerrorMessage(pg));
    return r;
}

/* The values of a row, encoded and loaded with COPY, then compared in SQL with the same
 * values sent as parameters (no COPY involved). */
static void test_postgres_reads_back(void **state) {
    (void)state;
    const char *url = getenv("BOUWSTROOM_DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "test_copy_text: BOUWSTROOM_DATABASE_URL not set, PostgreSQL round trip skipped\n");
        skip();
    }
    PGconn *pg = PQconnectdb(url);
    if (PQstatus(pg) != CONNECTION_OK) fail_msg("connect: %s", PQerrorMessage(pg));
    PQclear(exec_ok(pg, "CREATE TEMP TABLE copy_text_t (s text, a text[], j jsonb, r float8, b boolean, n text)",
                    PGRES_COMMAND_OK));
    const char *text =
        "tab\there, newline\nthere, cr\rthere, backslash\\there, \\N, \\., \xc4\xb2ssel \xe6\x97\xa5\xe6\x9c\xac";
    json_t *rec = json_pack("{s:s, s:[s, s, n, s], s:{s:s, s:f}, s:f, s:b, s:n}", "s", text, "a", "a\"b\\c", "t\tn\n",
                            "\xc3\xbc", "j", "note", "line\nbreak \\ \xc3\xa9", "x", 0.1, "r", 0.1, "b", 0, "n");
    const char *cols[] = {"s", "a", "j", "r", "b", "n"};
    bs_copy_buf o = {0};
    for (int row = 0; row < 2; row++) { /* two rows: the row separator is right too */
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
            if (c) bs_copy_put(&o, "\t", 1);
            bs_copy_field(&o, json_object_get(rec, cols[c]), JSON_COMPACT);
        }
        bs_copy_put(&o, "\n", 1);
    }
    PQclear(exec_ok(pg, "COPY copy_text_t (s, a, j, r, b, n) FROM STDIN", PGRES_COPY_IN));
    assert_int_equal(PQputCopyData(pg, o.p, (int)o.len), 1);
    assert_int_equal(PQputCopyEnd(pg, NULL), 1);
    PGresult *r = PQgetResult(pg);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_msg("COPY: %s", PQerrorMessage(pg));
    assert_string_equal(PQcmdTuples(r), "2");
    PQclear(r);
    while ((r = PQgetResult(pg)) != NULL) PQclear(r);
    char *j = json_dumps(json_object_get(rec, "j"), JSON_COMPACT);
    const char *params[5] = {text, "a\"b\\c", "t\tn\n", "\xc3\xbc", j};
    r = PQexecParams(pg,
                     "SELECT count(*) FILTER (WHERE s = $1 AND a[1] = $2 AND a[2] = $3 AND a[3] IS NULL "
                     "  AND a[4] = $4 AND cardinality(a) = 4 AND j = $5::jsonb AND r = 0.1::float8 "
                     "  AND b = false AND n IS NULL), count(*) FROM copy_text_t",
                     5, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_msg("SELECT: %s", PQerrorMessage(pg));
    assert_string_equal(PQgetvalue(r, 0, 1), "2");
    assert_string_equal(PQgetvalue(r, 0, 0), "2"); /* every field of both rows as it was */
    PQclear(r);
    free(j);
    free(o.p);
    json_decref(rec);
    PQfinish(pg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_escapes),  cmocka_unit_test(test_null),
        cmocka_unit_test(test_utf8_as_is),    cmocka_unit_test(test_numbers_and_booleans),
        cmocka_unit_test(test_array_literal), cmocka_unit_test(test_object_as_json),
        cmocka_unit_test(test_row),           cmocka_unit_test(test_postgres_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
