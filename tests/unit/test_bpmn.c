/*
 * The BPMN 2.0 exchange of process schemas (adapters/bpmn.h): every schema shipped in
 * processes/ and a schema using every field (SS/FF/SF links, leads, notes, optional steps,
 * statutory terms, texts with XML's special characters) survive export -> import as the same
 * schema (equal canonical JSON); the flow graph has the gateways bpmnlint asks for; an element
 * outside the subset is refused naming it and its line; a broken or inconsistent file is
 * refused; the writer escapes what XML needs escaped and refuses what XML cannot carry.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "bpmn.h"

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = bs_malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* export -> import gives the canonical form of json; returns the XML (owned). */
static char *assert_round_trip(const char *json, size_t len) {
    bs_err err = {0};
    char *canon = NULL, *xml = NULL, *back = NULL;
    if (bs_bpmn_canonical_json(json, len, &canon, &err) != 0) fail_msg("canonical: %s", err.msg);
    if (bs_bpmn_export(json, len, &xml, &err) != 0) fail_msg("export: %s", err.msg);
    if (bs_bpmn_import(xml, strlen(xml), &back, &err) != 0) fail_msg("import: %s", err.msg);
    assert_string_equal(back, canon);
    /* and a second round gives the same XML */
    char *xml2 = NULL;
    assert_int_equal(bs_bpmn_export(back, strlen(back), &xml2, &err), 0);
    assert_string_equal(xml2, xml);
    free(xml2);
    free(canon);
    free(back);
    return xml;
}

static void test_shipped_schemas_round_trip(void **state) {
    (void)state;
    DIR *d = opendir(BS_SOURCE_DIR "/processes");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/processes/%s", BS_SOURCE_DIR, e->d_name);
        size_t len;
        char *json = read_all(path, &len);
        free(assert_round_trip(json, len));
        free(json);
        n++;
    }
    closedir(d);
    assert_true(n >= 1);
}

/* the fixture the external validators read (tests/bpmn/run.sh) */
static void test_fixture_round_trips(void **state) {
    (void)state;
    size_t len;
    char *json = read_all(BS_SOURCE_DIR "/tests/bpmn/every-field.json", &len);
    free(assert_round_trip(json, len));
    free(json);
}

/* Every field, every link type, leads, texts with markup characters and line breaks. */
static const char RICH[] =
    "{\"key\": \"rich-1\", \"name\": \"Rijk <schema> & \\\"zo\\\"\", \"version\": 3,"
    " \"description\": \"regel 1\\nregel 2 <b>&amp;</b>\\ttab\","
    " \"steps\": ["
    "  {\"key\": \"a\", \"name\": \"Start A\", \"stream\": \"private\", \"milestone\": true},"
    "  {\"key\": \"b\", \"name\": \"B's \\\"werk\\\"\", \"stream\": \"public\", \"phase\": \"ontwerp\","
    "   \"duration\": {\"value\": 10, \"unit\": \"working_days\"}, \"source\": \"bron: <x> & y\\r\\nz\","
    "   \"note\": \"noot ]]> <!-- -->\","
    "   \"depends_on\": [{\"step\": \"a\", \"lag\": {\"value\": -3, \"unit\": \"calendar_days\"}, \"note\": \"lead \\\"3\\\"\"}]},"
    "  {\"key\": \"c\", \"name\": \"C\", \"stream\": \"public\", \"duration\": {\"value\": 42, \"unit\": \"calendar_days\"},"
    "   \"statutory\": true, \"optional\": true, \"applies_to\": {\"planstatus\": [\"1B\", \"2C\"]},"
    "   \"depends_on\": [{\"step\": \"a\"}, {\"step\": \"b\", \"type\": \"SS\", \"lag\": {\"value\": 5, \"unit\": \"working_days\"}}]},"
    "  {\"key\": \"d\", \"name\": \"D\", \"stream\": \"private\", \"duration\": {\"value\": 0, \"unit\": \"working_days\"},"
    "   \"depends_on\": [{\"step\": \"b\", \"type\": \"FF\"}, {\"step\": \"c\", \"type\": \"SF\"}]},"
    "  {\"key\": \"e\", \"name\": \"Ë — einde\", \"stream\": \"public\", \"milestone\": true,"
    "   \"duration\": {\"value\": 0, \"unit\": \"calendar_days\"}, \"depends_on\": [{\"step\": \"b\"}, {\"step\": \"c\"}]},"
    "  {\"key\": \"f\", \"name\": \"F los\", \"stream\": \"public\", \"duration\": {\"value\": 1, \"unit\": \"working_days\"}}"
    " ]}";

static void test_every_field_round_trips(void **state) {
    (void)state;
    char *xml = assert_round_trip(RICH, strlen(RICH));
    /* texts escaped, link types and leads in the extension elements */
    assert_non_null(strstr(xml, "name=\"Rijk &lt;schema&gt; &amp; &quot;zo&quot;\""));
    assert_non_null(strstr(xml, "source=\"bron: &lt;x&gt; &amp; y&#13;&#10;z\""));
    assert_non_null(strstr(xml, "<bpmn:documentation>noot ]]&gt; &lt;!-- --&gt;</bpmn:documentation>"));
    assert_non_null(strstr(xml, "<bs:dependency step=\"b\" type=\"SS\" lag=\"5\" lagUnit=\"working_days\" />"));
    assert_non_null(strstr(xml, "lag=\"-3\" lagUnit=\"calendar_days\" note=\"lead &quot;3&quot;\""));
    assert_non_null(strstr(xml, "<bs:appliesTo planstatus=\"2C\" />"));
    /* only FS links are sequence flows: b -> e, c -> e join; a forks to b, c */
    assert_non_null(strstr(xml, "<bpmn:parallelGateway id=\"Gateway_join_e\""));
    assert_non_null(strstr(xml, "<bpmn:parallelGateway id=\"Gateway_split_a\""));
    assert_non_null(strstr(xml, "sourceRef=\"Gateway_start\" targetRef=\"Activity_d\"")); /* d: no FS predecessor */
    free(xml);
}

/* The export's text with `insert` put before the line that holds `before`. */
static char *edited(const char *xml, const char *before, const char *insert, const char *drop) {
    const char *at = strstr(xml, before);
    assert_non_null(at);
    while (at > xml && at[-1] != '\n') at--;
    char *out = bs_asprintf("%.*s%s%s", (int)(at - xml), xml, insert, at);
    if (drop) {
        char *d = strstr(out, drop);
        assert_non_null(d);
        char *eol = strchr(d, '\n');
        while (d > out && d[-1] != '\n') d--;
        memmove(d, eol + 1, strlen(eol + 1) + 1);
    }
    return out;
}

static int line_of(const char *text, const char *what) {
    const char *at = strstr(text, what);
    int line = 1;
    for (const char *p = text; p < at; p++) line += *p == '\n';
    return line;
}

static void test_unknown_element_refused_naming_it(void **state) {
    (void)state;
    bs_err err = {0};
    char *xml = NULL, *json = NULL;
    assert_int_equal(bs_bpmn_export(RICH, strlen(RICH), &xml, &err), 0);
    char *bad =
        edited(xml, "<bpmn:sequenceFlow id=\"Flow_1\"", "    <bpmn:userTask id=\"Activity_x\" name=\"X\" />\n", NULL);
    assert_int_equal(bs_bpmn_import(bad, strlen(bad), &json, &err), BS_EINVAL);
    assert_null(json);
    assert_string_equal(err.field, "bpmn:userTask");
    char want[64];
    snprintf(want, sizeof want, "line %d: element bpmn:userTask", line_of(bad, "<bpmn:userTask"));
    assert_non_null(strstr(err.msg, want));
    free(bad);
    /* a foreign extension element (a modeler's) is outside the subset too */
    bad = edited(xml, "<bs:schema",
                 "      <camunda:properties xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" />\n", NULL);
    assert_int_equal(bs_bpmn_import(bad, strlen(bad), &json, &err), BS_EINVAL);
    assert_string_equal(err.field, "camunda:properties");
    free(bad);
    /* a known element in the wrong place */
    bad = edited(xml, "<bpmn:sequenceFlow id=\"Flow_1\"", "    <bs:dependency step=\"a\" />\n", NULL);
    assert_int_equal(bs_bpmn_import(bad, strlen(bad), &json, &err), BS_EINVAL);
    assert_string_equal(err.field, "bs:dependency");
    assert_non_null(strstr(err.msg, "not allowed where it stands"));
    free(bad);
    free(xml);
}

static void test_broken_files_refused(void **state) {
    (void)state;
    bs_err err = {0};
    char *xml = NULL, *json = NULL;
    assert_int_equal(bs_bpmn_export(RICH, strlen(RICH), &xml, &err), 0);
    /* not XML */
    assert_int_equal(bs_bpmn_import("<a", 2, &json, &err), BS_EMALFORMED);
    assert_non_null(strstr(err.msg, "XML syntax error at 1:"));
    /* a DOCTYPE (entity expansion) */
    const char *dt = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x/>";
    assert_int_equal(bs_bpmn_import(dt, strlen(dt), &json, &err), BS_EINVAL);
    /* a sequence flow removed: the FS dependency b -> e has no flow any more */
    char *bad = edited(xml, "<bpmn:process", "", "targetRef=\"Gateway_join_e\"");
    assert_int_equal(bs_bpmn_import(bad, strlen(bad), &json, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "has no sequence flow"));
    free(bad);
    /* a task without its bs:step */
    bad = edited(xml, "<bpmn:sequenceFlow id=\"Flow_1\"", "    <bpmn:task id=\"Activity_zz\" name=\"Z\" />\n", NULL);
    assert_int_equal(bs_bpmn_import(bad, strlen(bad), &json, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "has no bs:step"));
    free(bad);
    /* a second process */
    bad = edited(xml, "<bpmn:process", "  <bpmn:process id=\"Process_2\" />\n", NULL);
    assert_int_equal(bs_bpmn_import(bad, strlen(bad), &json, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "a second bpmn:process"));
    free(bad);
    /* an attribute that is no xsd:boolean is named by the loader */
    bad = edited(xml, "<bpmn:process", "", NULL);
    char *yes = strstr(bad, "statutory=\"true\"");
    memcpy(yes, "statutory=\"yes\" ", 16);
    assert_int_equal(bs_bpmn_import(bad, strlen(bad), &json, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "$.steps[2].statutory: \"statutory\" must be a boolean"));
    free(bad);
    /* the schema's own rules still hold: a negative duration, with its path */
    bad = edited(xml, "<bpmn:process", "", NULL);
    char *neg = strstr(bad, "duration=\"42\"");
    memcpy(neg, "duration=\"-4\"", 13);
    assert_int_equal(bs_bpmn_import(bad, strlen(bad), &json, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "$.steps[2].duration.value: negative duration -4"));
    free(bad);
    assert_null(json);
    free(xml);
}

static void test_escaping(void **state) {
    (void)state;
    struct {
        const char *in;
        bool attr;
        const char *out;
    } cases[] = {
        {"a & b < c > d", false, "a &amp; b &lt; c &gt; d"},
        {"\"quoted\" 'single'", false, "\"quoted\" 'single'"},
        {"\"quoted\" 'single'", true, "&quot;quoted&quot; 'single'"},
        {"tab\tline\ncr\r", false, "tab\tline\ncr&#13;"},
        {"tab\tline\ncr\r", true, "tab&#9;line&#10;cr&#13;"},
        {"ë — €", true, "ë — €"},
        {"", true, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = bs_xml_escape(cases[i].in, cases[i].attr);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
    assert_null(bs_xml_escape("bell\a", false));
    assert_null(bs_xml_escape("\x1f", true));
    /* a schema text XML cannot carry is refused by the export, naming where */
    const char *ctl =
        "{\"key\":\"k\",\"name\":\"bad\\u0001name\",\"version\":1,\"steps\":[{\"key\":\"a\",\"name\":\"A\","
        "\"stream\":\"public\",\"milestone\":true}]}";
    bs_err err = {0};
    char *xml = NULL;
    assert_int_equal(bs_bpmn_export(ctl, strlen(ctl), &xml, &err), BS_EINVAL);
    assert_string_equal(err.field, "name");
    assert_null(xml);
    /* an invalid schema is not exported: every problem with its path */
    const char *cyc =
        "{\"key\":\"k\",\"name\":\"n\",\"version\":1,\"steps\":[{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\","
        "\"milestone\":true,\"depends_on\":[{\"step\":\"a\"}]}]}";
    assert_int_equal(bs_bpmn_export(cyc, strlen(cyc), &xml, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "$.steps[0].depends_on[0]: cycle: a -> a"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_schemas_round_trip), cmocka_unit_test(test_fixture_round_trips),
        cmocka_unit_test(test_every_field_round_trips),    cmocka_unit_test(test_unknown_element_refused_naming_it),
        cmocka_unit_test(test_broken_files_refused),       cmocka_unit_test(test_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
