/*
 * Unit tests of the province exports (docs/exports.md): the dated configuration, the spreading rule,
 * the joint split and per-year allocation, each quality check, and golden files of every
 * export of the synthetic plans in tests/fixtures/export/plans.json.
 * BS_UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "province_config.h"
#include "province_export.h"
#include "province_xlsx.h"

#define CONFIG_PATH BS_SOURCE_DIR "/processes/provinces/province-exports.json"
#define FIXTURE BS_SOURCE_DIR "/tests/fixtures/export/plans.json"
#define GOLDEN BS_SOURCE_DIR "/tests/golden/export/"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return b;
}

static void load_config(bs_province_config *c) {
    size_t len;
    char *t = slurp(CONFIG_PATH, &len);
    assert_non_null(t);
    bs_err err = {0};
    int rc = bs_province_config_parse(t, len, c, &err);
    if (rc != 0) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    free(t);
}

static int config_errors(const char *json, bs_err *err) {
    bs_province_config c;
    int rc = bs_province_config_parse(json, strlen(json), &c, err);
    bs_province_config_free(&c);
    return rc;
}

static bs_day day(const char *s) {
    bs_day d;
    assert_int_equal(bs_date_parse(s, &d), 0);
    return d;
}

/* ---- configuration ---- */

static void test_config_shipped(void **state) {
    (void)state;
    bs_province_config c;
    load_config(&c);
    assert_non_null(bs_province_config_export(&c, "zuid-holland"));
    assert_non_null(bs_province_config_export(&c, "gelderland"));
    const bs_export_profile *x = bs_province_config_export(&c, "excel");
    assert_non_null(x);
    assert_true(bs_export_profile_covers(x, "Noord-Holland"));
    assert_true(bs_export_profile_covers(x, "Flevoland"));
    assert_false(bs_export_profile_covers(bs_province_config_export(&c, "gelderland"), "Zuid-Holland"));
    assert_int_equal(x->min_confidentiality, bs_confidentiality_rank("extern_mede_overheden"));
    const bs_code_list *ps = bs_province_config_code_list(&c, "status_planologisch");
    assert_int_equal(ps->n_values, 9);
    assert_true(bs_code_list_has(ps, "4B"));
    assert_false(bs_code_list_has(ps, "onbekend"));
    /* Zuid-Holland price classes (domain brief §7), amounts in cents */
    const bs_price_table *t = bs_price_table_at(&c, "Zuid-Holland", day("2026-06-30"));
    assert_non_null(t);
    assert_int_equal(t->koop_lower_cents[1], 28000000);
    assert_int_equal(t->koop_lower_cents[2], 39000000);
    assert_int_equal(t->koop_lower_cents[3], 60000000);
    assert_int_equal(t->huur_lower_cents[1], 69400);
    assert_int_equal(t->huur_lower_cents[2], 88000);
    assert_int_equal(t->huur_lower_cents[3], 112300);
    assert_non_null(strstr(t->sources, "domain brief"));
    assert_null(bs_price_table_at(&c, "Zuid-Holland", day("2023-12-31"))); /* before valid_from */
    assert_null(bs_price_table_at(&c, "Gelderland", day("2026-06-30")));   /* none configured */
    bs_province_config_free(&c);
}

static void test_price_class_bounds(void **state) {
    (void)state;
    const int64_t lo[4] = {0, 28000000, 39000000, 60000000};
    assert_int_equal(bs_price_class_of(lo, 0), 1);
    assert_int_equal(bs_price_class_of(lo, 27999999), 1);
    assert_int_equal(bs_price_class_of(lo, 28000000), 2); /* lower bounds are inclusive */
    assert_int_equal(bs_price_class_of(lo, 38999999), 2);
    assert_int_equal(bs_price_class_of(lo, 39000000), 3);
    assert_int_equal(bs_price_class_of(lo, 60000000), 4);
    assert_int_equal(bs_price_class_of(lo, 900000000), 4);
    assert_int_equal(bs_price_class_of(lo, -1), 0);
}

#define CFG_HEAD                                                                                                       \
    "{\"format\":\"bouwstroom-province-exports/1\",\"sources\":{\"s\":\"a source\"},"                                  \
    "\"code_lists\":{\"status_planologisch\":[\"1A\"],\"plantype\":[\"uitleg\"],"                                      \
    "\"vertrouwelijkheid\":[\"openbaar\"]},"
#define CFG_EXPORTS                                                                                                    \
    "\"exports\":{\"x\":{\"name\":\"X\",\"provinces\":[\"P\"],\"crs\":\"EPSG:28992\","                                 \
    "\"min_confidentiality\":\"openbaar\",\"mandatory\":[\"plannaam\"],\"sources\":[\"s\"]}}}"
#define TABLE(from, to, k)                                                                                             \
    "{\"provincie\":\"P\",\"valid_from\":" from ",\"valid_to\":" to ",\"koop_lower_cents\":" k                         \
    ",\"huur_lower_cents\":[0,1,2,3],\"sources\":[\"s\"]}"

static void test_config_dated_tables(void **state) {
    (void)state;
    const char *two = CFG_HEAD "\"price_classes\":[" TABLE("\"2024-01-01\"", "null", "[0,10,20,30]") "," TABLE(
        "\"2025-01-01\"", "null", "[0,11,21,31]") "]," CFG_EXPORTS;
    bs_province_config c;
    bs_err err = {0};
    assert_int_equal(bs_province_config_parse(two, strlen(two), &c, &err), 0);
    /* an open-ended table holds until the next one starts */
    assert_int_equal(bs_price_table_at(&c, "P", day("2024-12-31"))->koop_lower_cents[1], 10);
    assert_int_equal(bs_price_table_at(&c, "P", day("2025-01-01"))->koop_lower_cents[1], 11);
    assert_int_equal(bs_price_table_at(&c, "P", day("2031-07-01"))->koop_lower_cents[1], 11);
    bs_province_config_free(&c);
    const char *closed =
        CFG_HEAD "\"price_classes\":[" TABLE("\"2024-01-01\"", "\"2024-12-31\"", "[0,10,20,30]") "]," CFG_EXPORTS;
    assert_int_equal(bs_province_config_parse(closed, strlen(closed), &c, &err), 0);
    assert_non_null(bs_price_table_at(&c, "P", day("2024-12-31")));
    assert_null(bs_price_table_at(&c, "P", day("2025-01-01")));
    bs_province_config_free(&c);
}

static void test_config_invalid(void **state) {
    (void)state;
    bs_err err = {0};
    struct {
        const char *json, *expect;
    } cases[] = {
        {"{\"format\":\"other\"}", "format"},
        {"not json", "not JSON"},
        {CFG_HEAD "\"price_classes\":[" TABLE("\"2024-01-01\"", "null", "[0,20,10,30]") "]," CFG_EXPORTS,
         "strictly ascending"},
        {CFG_HEAD "\"price_classes\":[" TABLE("\"2024-01-01\"", "null", "[5,10,20,30]") "]," CFG_EXPORTS,
         "class 1 starts at 0"},
        {CFG_HEAD "\"price_classes\":[" TABLE("\"2024-01-01\"", "null", "[0,10,20]") "]," CFG_EXPORTS,
         "koop_lower_cents"},
        {CFG_HEAD "\"price_classes\":[" TABLE("\"2024-01-01\"", "\"2025-06-30\"", "[0,10,20,30]") "," TABLE(
             "\"2025-01-01\"", "null", "[0,10,20,30]") "]," CFG_EXPORTS,
         "overlaps"},
        {CFG_HEAD "\"price_classes\":[" TABLE("\"2024-02-30\"", "null", "[0,10,20,30]") "]," CFG_EXPORTS, "valid_from"},
        {CFG_HEAD "\"price_classes\":[" TABLE("\"2024-05-01\"", "\"2024-01-01\"", "[0,10,20,30]") "]," CFG_EXPORTS,
         "before valid_from"},
        {CFG_HEAD "\"price_classes\":[],\"exports\":{\"x\":{\"provinces\":[\"P\"],\"crs\":\"EPSG:28992\","
                  "\"min_confidentiality\":\"geheim\",\"mandatory\":[\"kleur\"],\"sources\":[\"nope\"]}}}",
         "unknown field"},
        {CFG_HEAD "\"price_classes\":[],\"exports\":{\"x\":{\"provinces\":[\"P\"],\"crs\":\"EPSG:4326\","
                  "\"min_confidentiality\":\"openbaar\",\"mandatory\":[],\"sources\":[\"s\"]}}}",
         "EPSG:28992"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err.msg[0] = 0;
        /* "not json" is malformed; every other case is a well-formed file with invalid content */
        assert_int_equal(config_errors(cases[i].json, &err), i == 1 ? BS_EMALFORMED : BS_EINVAL);
        if (!strstr(err.msg, cases[i].expect)) fprintf(stderr, "case %zu: %s\n", i, err.msg);
        assert_non_null(strstr(err.msg, cases[i].expect));
    }
    /* all problems of a file are reported, not only the first, one per line */
    config_errors(cases[8].json, &err);
    assert_non_null(strstr(err.msg, "min_confidentiality"));
    assert_non_null(strstr(err.msg, "sources[0]"));
    assert_non_null(strchr(err.msg, '\n'));
}

/* ---- spreading ---- */

static void test_spread_remainder_last(void **state) {
    (void)state;
    int64_t y[21];
    bs_export_spread(24, 5, y);
    int64_t want1[5] = {4, 4, 4, 4, 8};
    assert_memory_equal(y, want1, sizeof want1);
    bs_export_spread(7, 5, y);
    int64_t want2[5] = {1, 1, 1, 1, 3};
    assert_memory_equal(y, want2, sizeof want2);
    bs_export_spread(3, 5, y); /* fewer homes than years: all in the last year */
    int64_t want3[5] = {0, 0, 0, 0, 3};
    assert_memory_equal(y, want3, sizeof want3);
    bs_export_spread(30, 21, y);
    for (int i = 0; i < 20; i++) assert_int_equal(y[i], 1);
    assert_int_equal(y[20], 10);
    bs_export_spread(10, 1, y);
    assert_int_equal(y[0], 10);
    bs_export_spread(0, 5, y);
    for (int i = 0; i < 5; i++) assert_int_equal(y[i], 0);
}

/* ---- quality checks on one plan ---- */

typedef struct fx {
    bs_province_config c;
    const bs_export_profile *zh;
    bs_export_plan p;
} fx;

static int fx_setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    load_config(&f->c);
    f->zh = bs_province_config_export(&f->c, "zuid-holland");
    bs_export_plan *p = &f->p;
    p->id = strdup("00000000-0000-4000-8000-0000000000aa");
    p->source_key = strdup("1");
    p->name = strdup("Proefplan");
    p->gemeente = strdup("Proefstad");
    p->provincie = strdup("Zuid-Holland");
    p->plantype = strdup("uitleg");
    p->planstatus = strdup("1A");
    p->confidentiality = strdup("extern_mede_overheden");
    p->progress_date = strdup("2025-01-01");
    p->geometry_crs = strdup("EPSG:28992");
    p->geometry = json_loads("{\"type\":\"Polygon\",\"coordinates\":[[[0,0],[1,0],[1,1],[0,0]]]}", 0, NULL);
    for (int i = 0; i < BS_PC_COUNT; i++) p->count[i] = BS_EXPORT_MISSING;
    int64_t v[] = {20, -4, 0, 10, 10, 0, 0, 12, 8, 0, 20, 0, 0};
    memcpy(p->count, v, sizeof v);
    *state = f;
    return 0;
}

static int fx_teardown(void **state) {
    fx *f = *state;
    bs_province_config_free(&f->c);
    bs_export_plan *p = malloc(sizeof *p);
    *p = f->p;
    bs_export_plans_free(p, 1);
    free(f);
    return 0;
}

static bs_export_item check(fx *f) {
    bs_export_item it = {0};
    bs_export_check_plan(&f->c, f->zh, &f->p, day("2026-06-30"), &it);
    return it;
}

/* Exactly one issue, of kind k, whose text contains want. */
static void expect_only(fx *f, bs_qc_kind k, const char *want) {
    bs_export_item it = check(f);
    if (it.n_issues != 1 || it.issues[0].kind != k || !strstr(it.issues[0].text, want))
        for (int i = 0; i < it.n_issues; i++)
            fprintf(stderr, "  issue: %s: %s\n", bs_qc_name(it.issues[i].kind), it.issues[i].text);
    assert_false(it.included);
    assert_int_equal(it.n_issues, 1);
    assert_int_equal(it.issues[0].kind, k);
    assert_non_null(strstr(it.issues[0].text, want));
    assert_null(it.rows);
}

static void replace(char **field, const char *v) {
    free(*field);
    *field = v ? strdup(v) : NULL;
}

static void test_check_valid_plan(void **state) {
    fx *f = *state;
    bs_export_item it = check(f);
    assert_true(it.included);
    assert_int_equal(it.n_issues, 0);
    /* 10 in 2020-2024 (2,2,2,2,2), 10 in 2025-2029, unknown row only for the demolition */
    assert_int_equal(it.n_rows, 11);
    assert_int_equal(it.rows[0].year, 2020);
    assert_true(it.rows[0].estimated);
    assert_int_equal(it.rows[10].year, 0);
    assert_false(it.rows[10].estimated);
    /* sloop_: the negative Sloop made positive, type and tenure unknown */
    assert_int_equal(it.rows[10].sloop[2 * BS_EXPORT_N_TENURE_COLS + 10], 4);
    free(it.rows);
}

static void test_check_mandatory(void **state) {
    fx *f = *state;
    replace(&f->p.name, "");
    expect_only(f, BS_QC_MANDATORY, "plannaam");
    replace(&f->p.name, "Proefplan");
    replace(&f->p.gemeente, NULL);
    expect_only(f, BS_QC_MANDATORY, "gemeente");
}

static void test_check_mandatory_count(void **state) {
    fx *f = *state;
    for (int i = 0; i <= BS_PC_TENURE_ONBEKEND; i++) f->p.count[i] = BS_EXPORT_MISSING;
    expect_only(f, BS_QC_MANDATORY, "aantal_rest");
}

static void test_check_code_list(void **state) {
    fx *f = *state;
    replace(&f->p.planstatus, "onbekend");
    expect_only(f, BS_QC_CODE_LIST, "status_planologisch: 'onbekend'");
    replace(&f->p.planstatus, "1A");
    replace(&f->p.plantype, "Uitleggebied voor woningbouw");
    expect_only(f, BS_QC_CODE_LIST, "plantype");
}

static void test_check_counts(void **state) {
    fx *f = *state;
    f->p.count[BS_PC_C2025_2029] = 9; /* periods 19, aantal_rest 20 */
    expect_only(f, BS_QC_COUNTS, "completions per period add up to 19, aantal_rest is 20");
    f->p.count[BS_PC_C2025_2029] = 10;
    f->p.count[BS_PC_TYPE_APPARTEMENT] = 9;
    expect_only(f, BS_QC_COUNTS, "house types add up to 21");
    f->p.count[BS_PC_TYPE_APPARTEMENT] = 8;
    f->p.count[BS_PC_TENURE_HUUR] = 1;
    expect_only(f, BS_QC_COUNTS, "tenures add up to 21");
    f->p.count[BS_PC_TENURE_HUUR] = 0;
    f->p.count[BS_PC_DEMOLITION] = 3;
    expect_only(f, BS_QC_COUNTS, "negative number");
}

static void test_check_price_span(void **state) {
    fx *f = *state;
    f->p.count[BS_PC_KOOP_PRICE_MIN] = 35000000;
    f->p.count[BS_PC_KOOP_PRICE_MAX] = 45000000;
    expect_only(f, BS_QC_PRICE_CLASS, "spans koop2 to koop3");
    f->p.count[BS_PC_KOOP_PRICE_MAX] = 38999999; /* within koop2: fine, homes in koop2 */
    bs_export_item it = check(f);
    assert_true(it.included);
    assert_int_equal(it.koop_class, 2);
    int64_t koop2 = 0;
    for (int r = 0; r < it.n_rows; r++) koop2 += it.rows[r].build[1]; /* eengezins_koop2 */
    assert_int_equal(koop2, 12);
    free(it.rows);
    f->p.count[BS_PC_KOOP_PRICE_MAX] = BS_EXPORT_MISSING;
    expect_only(f, BS_QC_PRICE_CLASS, "both");
    f->p.count[BS_PC_KOOP_PRICE_MIN] = BS_EXPORT_MISSING;
    f->p.count[BS_PC_HUUR_RENT_MIN] = 90000;
    f->p.count[BS_PC_HUUR_RENT_MAX] = 120000;
    expect_only(f, BS_QC_PRICE_CLASS, "spans huur3 to huur4");
}

static void test_check_confidentiality(void **state) {
    fx *f = *state;
    replace(&f->p.confidentiality, "extern_woonregio");
    expect_only(f, BS_QC_CONFIDENTIALITY, "'extern_woonregio' is below 'extern_mede_overheden'");
    replace(&f->p.confidentiality, "openbaar");
    bs_export_item it = check(f);
    assert_true(it.included);
    free(it.rows);
}

static void test_check_geometry(void **state) {
    fx *f = *state;
    json_decref(f->p.geometry);
    f->p.geometry = NULL;
    expect_only(f, BS_QC_GEOMETRY, "geometry missing");
    f->p.geometry = json_loads("{\"type\":\"Point\",\"coordinates\":[5.1,52.1]}", 0, NULL);
    replace(&f->p.geometry_crs, "EPSG:4326");
    expect_only(f, BS_QC_GEOMETRY, "EPSG:4326");
}

/* Sums of a plan's rows: every year's cells add up to the year total, every cell over the
 * years to the joint split, every marginal to the plan's totals. */
static void test_joint_and_allocation(void **state) {
    fx *f = *state;
    /* both mixed: 12 eengezins, 8 meergezins; 15 koop, 5 huur → tenure reported onbekend */
    f->p.count[BS_PC_TENURE_KOOP] = 15;
    f->p.count[BS_PC_TENURE_HUUR] = 5;
    bs_export_item it = check(f);
    assert_true(it.included);
    assert_true(it.notes & BS_NOTE_JOINT_UNKNOWN);
    int64_t cell[BS_EXPORT_N_CELLS] = {0}, total = 0;
    for (int r = 0; r < it.n_rows; r++) {
        int64_t rs = 0;
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) {
            cell[c] += it.rows[r].build[c];
            rs += it.rows[r].build[c];
        }
        if (it.rows[r].year >= 2020 && it.rows[r].year <= 2029) assert_int_equal(rs, 2);
        total += rs;
    }
    assert_int_equal(total, 20);
    assert_int_equal(cell[10], 12); /* eengezins_onbekend */
    assert_int_equal(cell[21], 8);  /* meergezins_onbekend */
    free(it.rows);
    /* tenure concentrated (all huur), type mixed → exact: eengezins_huur_onb 12, meergezins_huur_onb 8 */
    f->p.count[BS_PC_TENURE_KOOP] = 0;
    f->p.count[BS_PC_TENURE_HUUR] = 20;
    it = check(f);
    assert_false(it.notes & BS_NOTE_JOINT_UNKNOWN);
    memset(cell, 0, sizeof cell);
    for (int r = 0; r < it.n_rows; r++)
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) cell[c] += it.rows[r].build[c];
    assert_int_equal(cell[9], 12);
    assert_int_equal(cell[20], 8);
    free(it.rows);
    /* a negative type correction discards the type split: all type onbekend */
    f->p.count[BS_PC_TYPE_GRONDGEBONDEN] = 25;
    f->p.count[BS_PC_TYPE_APPARTEMENT] = 0;
    f->p.count[BS_PC_TYPE_ONBEKEND] = -5;
    it = check(f);
    assert_true(it.included);
    assert_true(it.notes & BS_NOTE_TYPE_DISCARDED);
    memset(cell, 0, sizeof cell);
    for (int r = 0; r < it.n_rows; r++)
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) cell[c] += it.rows[r].build[c];
    assert_int_equal(cell[2 * BS_EXPORT_N_TENURE_COLS + 9], 20); /* onbekend_huur_onb */
    free(it.rows);
}

/* ---- golden files ---- */

static void golden(const char *name, const char *got, size_t got_len) {
    char path[1024];
    snprintf(path, sizeof path, GOLDEN "%s", name);
    if (getenv("BS_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fwrite(got, 1, got_len, f);
        fclose(f);
        return;
    }
    size_t len = 0;
    char *want = slurp(path, &len);
    if (!want) fprintf(stderr, "golden file %s missing (BS_UPDATE_GOLDEN=1 writes it)\n", path);
    assert_non_null(want);
    if (len != got_len || memcmp(want, got, len) != 0) {
        fprintf(stderr, "%s differs from the golden file (%zu vs %zu bytes):\n%.*s\n", name, got_len, len,
                (int)(got_len < 4000 ? got_len : 4000), got);
        fail();
    }
    free(want);
}

static void golden_text(const char *name, char *text) {
    assert_non_null(text);
    golden(name, text, strlen(text));
    free(text);
}

typedef struct gx {
    bs_province_config c;
    bs_export_plan *plans;
    int n;
} gx;

static void load_fixture(gx *g) {
    load_config(&g->c);
    size_t len;
    char *t = slurp(FIXTURE, &len);
    assert_non_null(t);
    json_t *arr = json_loadb(t, len, 0, NULL);
    assert_non_null(arr);
    free(t);
    bs_err err = {0};
    assert_int_equal(bs_export_plans_from_json(arr, &g->plans, &g->n, &err), 0);
    json_decref(arr);
    assert_int_equal(g->n, 10);
}

static void unload_fixture(gx *g) {
    bs_export_plans_free(g->plans, g->n);
    bs_province_config_free(&g->c);
}

static void build(gx *g, const char *key, bs_export *ex) {
    assert_int_equal(
        bs_export_build(&g->c, bs_province_config_export(&g->c, key), g->plans, g->n, day("2026-06-30"), ex), 0);
}

/* ---- plusvelden a province asks for (configuration, not code) ---- */

#define CFG_PV_EXPORT(pv)                                                                                              \
    CFG_HEAD "\"price_classes\":[],\"exports\":{\"x\":{\"name\":\"X\",\"provinces\":[\"P\"],\"crs\":\"EPSG:28992\","   \
             "\"min_confidentiality\":\"openbaar\",\"mandatory\":[],\"plusvelden\":" pv ",\"sources\":[\"s\"]}}}"

/* ---- counts from blocks (docs/exports.md §4.6) ---- */

static void set_blocks(fx *f, const char *json) {
    json_decref(f->p.blocks);
    json_error_t e;
    f->p.blocks = json_loads(json, 0, &e);
    if (!f->p.blocks) fprintf(stderr, "%s\n", e.text);
    assert_non_null(f->p.blocks);
}

#define CELL(t, r) ((t)*BS_EXPORT_N_TENURE_COLS + (r)) /* t: 0 eengezins, 1 meergezins, 2 onbekend */

static void test_blocks_rows(void **state) {
    fx *f = *state;
    f->p.count[BS_PC_HOMES_REMAINING] = 999; /* the plan counts are not read when there are blocks */
    set_blocks(f, "["
                  "{\"homes\": 10, \"kind\": \"nieuwbouw\", \"home_type\": \"grondgebonden\", \"tenure\": \"koop\","
                  " \"price_class\": \"koop2\", \"period_from\": 2020, \"period_to\": 2024},"
                  "{\"homes\": 7, \"kind\": \"transformatie\", \"home_type\": \"meergezins\", \"tenure\": \"huur\","
                  " \"price_class\": \"onbekend\", \"spread_homes\": [[2027, 3], [2028, 4]]},"
                  "{\"homes\": 5, \"kind\": \"nieuwbouw\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                  " \"price_class\": \"onbekend\"},"
                  "{\"homes\": 4, \"kind\": \"sloop\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                  " \"price_class\": \"onbekend\"},"
                  "{\"homes\": -2, \"kind\": \"nieuwbouw\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                  " \"price_class\": \"onbekend\", \"correction\": true},"
                  "{\"homes\": 3, \"kind\": \"nieuwbouw\", \"home_type\": \"grondgebonden\", \"tenure\": \"koop\","
                  " \"price_class\": \"onbekend\", \"period_from\": 2019, \"period_to\": 2019},"
                  "{\"homes\": 11, \"kind\": \"nieuwbouw\", \"home_type\": \"meergezins\", \"tenure\": \"koop\","
                  " \"price_class\": \"koop4\", \"period_from\": 2020, \"period_to\": 2024}]");
    bs_export_item it = check(f);
    for (int i = 0; i < it.n_issues; i++) fprintf(stderr, "  issue: %s\n", it.issues[i].text);
    assert_true(it.included);
    assert_true(it.from_blocks);
    assert_int_equal(it.homes, 10 + 7 + 5 - 2 + 3 + 11);
    assert_int_equal(it.demolished, 4);
    assert_true(it.notes & BS_NOTE_BLOCKS);
    assert_true(it.notes & BS_NOTE_BLOCK_SPREAD);
    assert_false(it.notes & BS_NOTE_SPREAD);
    /* 2019, 2020-2024, 2027, 2028, unknown */
    assert_int_equal(it.n_rows, 9);
    int64_t col_total[BS_EXPORT_N_CELLS] = {0}, year_total[9] = {0};
    for (int r = 0; r < it.n_rows; r++)
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) {
            col_total[c] += it.rows[r].build[c];
            year_total[r] += it.rows[r].build[c];
        }
    /* 2019: a one-year period, stated (not geschat); koop without a price range: koop_onb */
    assert_int_equal(it.rows[0].year, 2019);
    assert_false(it.rows[0].estimated);
    assert_int_equal(it.rows[0].build[CELL(0, 4)], 3);
    /* 2020-2024: the period total 21 spread as the plan counts' periods: 4, 4, 4, 4, 5 */
    int64_t want[5] = {4, 4, 4, 4, 5};
    for (int y = 0; y < 5; y++) {
        assert_int_equal(it.rows[1 + y].year, 2020 + y);
        assert_true(it.rows[1 + y].estimated);
        assert_int_equal(year_total[1 + y], want[y]);
    }
    assert_int_equal(col_total[CELL(0, 1)], 10); /* eengezins_koop2 */
    assert_int_equal(col_total[CELL(1, 3)], 11); /* meergezins_koop4 */
    /* the spread: its shares in 2027 and 2028, geschat; huur without a range: huur_onb */
    assert_int_equal(it.rows[6].year, 2027);
    assert_true(it.rows[6].estimated);
    assert_int_equal(it.rows[6].build[CELL(1, 9)], 3);
    assert_int_equal(it.rows[7].build[CELL(1, 9)], 4);
    /* unknown year: 5 - 2 (the correction, netted in its own cell) and the sloop block */
    assert_int_equal(it.rows[8].year, 0);
    assert_false(it.rows[8].estimated);
    assert_int_equal(it.rows[8].build[CELL(2, 10)], 3);
    assert_int_equal(it.rows[8].sloop[CELL(2, 10)], 4);
    free(it.rows);
}

static void test_blocks_price_range(void **state) {
    fx *f = *state;
    f->p.count[BS_PC_KOOP_PRICE_MIN] = 40000000; /* koop3 of Zuid-Holland (from 390,000 euro) */
    f->p.count[BS_PC_KOOP_PRICE_MAX] = 45000000;
    set_blocks(f, "[{\"homes\": 6, \"kind\": \"nieuwbouw\", \"home_type\": \"grondgebonden\", \"tenure\": \"koop\","
                  " \"price_class\": \"onbekend\", \"period_from\": 2030, \"period_to\": 2030},"
                  "{\"homes\": 2, \"kind\": \"nieuwbouw\", \"home_type\": \"grondgebonden\", \"tenure\": \"koop\","
                  " \"price_class\": \"koop1\", \"period_from\": 2030, \"period_to\": 2030}]");
    bs_export_item it = check(f);
    assert_true(it.included);
    assert_int_equal(it.n_rows, 1);
    assert_int_equal(it.rows[0].build[CELL(0, 2)], 6); /* price class onbekend: the plan's class */
    assert_int_equal(it.rows[0].build[CELL(0, 0)], 2); /* a block's own class as is */
    free(it.rows);
}

static void test_blocks_checks(void **state) {
    fx *f = *state;
    set_blocks(f, "[{\"homes\": 6, \"kind\": \"nieuwbouw\", \"home_type\": \"meergezins\", \"tenure\": \"huur\","
                  " \"price_class\": \"koop2\"}]");
    expect_only(f, BS_QC_PRICE_CLASS, "blocks[0].price_class: 'koop2' is not a price class of tenure 'huur'");
    set_blocks(f, "[{\"homes\": 6, \"kind\": \"nieuwbouw\", \"home_type\": \"meergezins\", \"tenure\": \"huur\","
                  " \"price_class\": \"huur2\"}, {\"homes\": -1, \"kind\": \"nieuwbouw\", \"home_type\": "
                  "\"onbekend\", \"tenure\": \"onbekend\", \"price_class\": \"onbekend\"}]");
    expect_only(f, BS_QC_COUNTS, "blocks[1].homes");
    set_blocks(f, "[{\"homes\": 6, \"kind\": \"bouw\", \"home_type\": \"meergezins\", \"tenure\": \"huur\","
                  " \"price_class\": \"huur2\"}]");
    expect_only(f, BS_QC_COUNTS, "blocks[0].kind");
    /* a correction larger than the other blocks: left out */
    set_blocks(f, "[{\"homes\": 3, \"kind\": \"nieuwbouw\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                  " \"price_class\": \"onbekend\", \"period_from\": 2026, \"period_to\": 2026},"
                  "{\"homes\": -5, \"kind\": \"nieuwbouw\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                  " \"price_class\": \"onbekend\", \"correction\": true}]");
    expect_only(f, BS_QC_COUNTS, "take 2 homes more");
}

static void test_blocks_correction_order(void **state) {
    fx *f = *state;
    /* the correction (no period) takes the unknown year first, then the years from the last back,
     * within a year the largest cell first */
    set_blocks(f, "[{\"homes\": 4, \"kind\": \"nieuwbouw\", \"home_type\": \"grondgebonden\", \"tenure\": \"koop\","
                  " \"price_class\": \"onbekend\", \"period_from\": 2030, \"period_to\": 2030},"
                  "{\"homes\": 1, \"kind\": \"nieuwbouw\", \"home_type\": \"meergezins\", \"tenure\": \"koop\","
                  " \"price_class\": \"onbekend\", \"period_from\": 2030, \"period_to\": 2030},"
                  "{\"homes\": 9, \"kind\": \"nieuwbouw\", \"home_type\": \"grondgebonden\", \"tenure\": \"koop\","
                  " \"price_class\": \"onbekend\", \"period_from\": 2026, \"period_to\": 2026},"
                  "{\"homes\": 3, \"kind\": \"nieuwbouw\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                  " \"price_class\": \"onbekend\"},"
                  "{\"homes\": -5, \"kind\": \"nieuwbouw\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                  " \"price_class\": \"onbekend\", \"correction\": true}]");
    bs_export_item it = check(f);
    assert_true(it.included);
    assert_int_equal(it.homes, 12);
    assert_int_equal(it.n_rows, 2); /* the unknown year is used up */
    assert_int_equal(it.rows[0].year, 2026);
    assert_int_equal(it.rows[0].build[CELL(0, 4)], 9);
    assert_int_equal(it.rows[1].year, 2030);
    assert_int_equal(it.rows[1].build[CELL(0, 4)], 2);
    assert_int_equal(it.rows[1].build[CELL(1, 4)], 1);
    free(it.rows);
}

static void test_blocks_from_json(void **state) {
    (void)state;
    json_t *arr =
        json_loads("[{\"id\": \"a\", \"blocks\": [{\"homes\": 1}]}, {\"id\": \"b\", \"blocks\": null}]", 0, NULL);
    bs_export_plan *plans;
    int n;
    bs_err err = {0};
    assert_int_equal(bs_export_plans_from_json(arr, &plans, &n, &err), 0);
    assert_int_equal(json_array_size(plans[0].blocks), 1);
    assert_null(plans[1].blocks);
    bs_export_plans_free(plans, n);
    json_decref(arr);
    arr = json_loads("[{\"id\": \"a\", \"blocks\": 3}]", 0, NULL);
    assert_int_equal(bs_export_plans_from_json(arr, &plans, &n, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "blocks"));
    json_decref(arr);
}

static void test_config_plusvelden(void **state) {
    (void)state;
    const char *ok = CFG_PV_EXPORT("{\"energielabel\":\"energielabel\",\"sociaal\":\"woningen_sociaal\"}");
    bs_province_config c;
    bs_err err = {0};
    assert_int_equal(bs_province_config_parse(ok, strlen(ok), &c, &err), 0);
    const bs_export_profile *p = bs_province_config_export(&c, "x");
    assert_int_equal(p->n_plusvelden, 2);
    assert_string_equal(p->pv_columns[1], "sociaal");
    assert_string_equal(p->pv_keys[1], "woningen_sociaal");
    bs_province_config_free(&c);
    const char *clash = CFG_PV_EXPORT("{\"plannaam\":\"naam\"}");
    assert_int_equal(config_errors(clash, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "exports.x.plusvelden.plannaam"));
    const char *badkey = CFG_PV_EXPORT("{\"kolom\":\"Niet Goed\"}");
    assert_int_equal(config_errors(badkey, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "plusveld key"));
    const char *notobj = CFG_PV_EXPORT("[\"energielabel\"]");
    assert_int_equal(config_errors(notobj, &err), BS_EINVAL);
}

/* The shipped zuid-holland export with two plusvelden mapped: columns after the plan table's,
 * a plan's values in them (a multi-category joined), empty where a plan has none, in the
 * GeoJSON plan layer and the CSV alike. */
static void test_export_plusvelden(void **state) {
    (void)state;
    gx g;
    load_fixture(&g);
    bs_export_profile *p = NULL;
    for (int i = 0; i < g.c.n_exports; i++)
        if (strcmp(g.c.exports[i].key, "zuid-holland") == 0) p = &g.c.exports[i];
    assert_non_null(p);
    p->pv_columns = calloc(2, sizeof *p->pv_columns);
    p->pv_keys = calloc(2, sizeof *p->pv_keys);
    p->pv_columns[0] = strdup("duurzaamheid");
    p->pv_keys[0] = strdup("thema");
    p->pv_columns[1] = strdup("sociale_huur");
    p->pv_keys[1] = strdup("woningen_sociaal");
    p->n_plusvelden = 2;
    for (int i = 0; i < g.n; i++)
        if (strcmp(g.plans[i].source_key, "9001") == 0)
            g.plans[i].plusvelden = json_loads("{\"thema\":[\"energie\",\"water\"],\"woningen_sociaal\":12,"
                                               "\"niet_gevraagd\":\"x\"}",
                                               0, NULL);
    bs_export ex;
    build(&g, "zuid-holland", &ex);
    char *csv = bs_export_csv(&ex, BS_TABLE_PLANS);
    assert_non_null(csv);
    assert_non_null(strstr(csv, ",opmerkingen,duurzaamheid,sociale_huur\r\n"));
    assert_non_null(strstr(csv, ",energie; water,12\r\n"));
    assert_null(strstr(csv, "niet_gevraagd"));
    free(csv);
    char *gj = bs_export_geojson_plans(&ex, false);
    assert_non_null(gj);
    assert_non_null(strstr(gj, "\"duurzaamheid\":\"energie; water\",\"sociale_huur\":12"));
    assert_non_null(strstr(gj, "\"duurzaamheid\":null,\"sociale_huur\":null"));
    free(gj);
    bs_export_free(&ex);
    unload_fixture(&g);
}

#define CFG_BPV_EXPORT(bpv)                                                                                            \
    CFG_HEAD "\"price_classes\":[],\"exports\":{\"x\":{\"name\":\"X\",\"provinces\":[\"P\"],\"crs\":\"EPSG:28992\","   \
             "\"min_confidentiality\":\"openbaar\",\"mandatory\":[],\"block_plusvelden\":" bpv                         \
             ",\"sources\":[\"s\"]}}}"

static void test_config_block_plusvelden(void **state) {
    (void)state;
    const char *ok = CFG_BPV_EXPORT("{\"doelgroep\":\"doelgroep_code\",\"plannaam\":\"naam\"}");
    bs_province_config c;
    bs_err err = {0};
    assert_int_equal(bs_province_config_parse(ok, strlen(ok), &c, &err), 0);
    const bs_export_profile *p = bs_province_config_export(&c, "x");
    assert_int_equal(p->n_block_plusvelden, 2); /* plannaam is no detail column */
    assert_int_equal(p->n_plusvelden, 0);
    assert_string_equal(p->bpv_columns[0], "doelgroep");
    assert_string_equal(p->bpv_keys[0], "doelgroep_code");
    bs_province_config_free(&c);
    const char *clash[] = {CFG_BPV_EXPORT("{\"jaar\":\"x\"}"), CFG_BPV_EXPORT("{\"sloop_meergezins_huur_onb\":\"x\"}"),
                           CFG_BPV_EXPORT("{\"onbekend_koop3\":\"x\"}")};
    for (size_t i = 0; i < sizeof clash / sizeof clash[0]; i++) {
        assert_int_equal(config_errors(clash[i], &err), BS_EINVAL);
        assert_non_null(strstr(err.msg, "that the detail table does not use"));
    }
    const char *badkey = CFG_BPV_EXPORT("{\"kolom\":\"Niet Goed\"}");
    assert_int_equal(config_errors(badkey, &err), BS_EINVAL);
    assert_non_null(strstr(err.msg, "exports.x.block_plusvelden.kolom: a plusveld key"));
}

/* The shipped zuid-holland export with a block plusveld mapped to a detail column: per row the
 * distinct values of the blocks counted in that year, in the CSV and both GeoJSON forms. */
static void test_export_block_plusvelden(void **state) {
    (void)state;
    gx g;
    load_fixture(&g);
    bs_export_profile *p = NULL;
    for (int i = 0; i < g.c.n_exports; i++)
        if (strcmp(g.c.exports[i].key, "zuid-holland") == 0) p = &g.c.exports[i];
    assert_non_null(p);
    p->bpv_columns = calloc(1, sizeof *p->bpv_columns);
    p->bpv_keys = calloc(1, sizeof *p->bpv_keys);
    p->bpv_columns[0] = strdup("doelgroep");
    p->bpv_keys[0] = strdup("doelgroep_code");
    p->n_block_plusvelden = 1;
    for (int i = 0; i < g.n; i++)
        if (strcmp(g.plans[i].source_key, "9001") == 0)
            g.plans[i].blocks = json_loads(
                "[{\"homes\": 4, \"kind\": \"nieuwbouw\", \"home_type\": \"grondgebonden\", \"tenure\": \"koop\","
                " \"price_class\": \"onbekend\", \"period_from\": 2027, \"period_to\": 2027,"
                " \"plusvelden\": {\"doelgroep_code\": \"senioren\"}},"
                "{\"homes\": 2, \"kind\": \"nieuwbouw\", \"home_type\": \"meergezins\", \"tenure\": \"huur\","
                " \"price_class\": \"huur2\", \"period_from\": 2027, \"period_to\": 2027,"
                " \"plusvelden\": {\"doelgroep_code\": \"starters\"}},"
                "{\"homes\": 1, \"kind\": \"nieuwbouw\", \"home_type\": \"meergezins\", \"tenure\": \"huur\","
                " \"price_class\": \"huur2\", \"period_from\": 2027, \"period_to\": 2027,"
                " \"plusvelden\": {\"doelgroep_code\": \"senioren\"}},"
                "{\"homes\": 3, \"kind\": \"nieuwbouw\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                " \"price_class\": \"onbekend\", \"plusvelden\": {\"doelgroep_code\": \"senioren\", \"ander\": 1}},"
                "{\"homes\": 5, \"kind\": \"nieuwbouw\", \"home_type\": \"onbekend\", \"tenure\": \"onbekend\","
                " \"price_class\": \"onbekend\", \"spread_homes\": [[2028, 5]], \"plusvelden\": {}}]",
                0, NULL);
    bs_export ex;
    build(&g, "zuid-holland", &ex);
    char *csv = bs_export_csv(&ex, BS_TABLE_DETAIL);
    assert_non_null(csv);
    assert_non_null(strstr(csv, ",sloop_onbekend_onbekend,doelgroep\r\n"));
    assert_non_null(strstr(csv, ",2027,false,"));
    assert_non_null(strstr(csv, ",senioren; starters\r\n")); /* 2027: two blocks' values, distinct */
    assert_non_null(strstr(csv, ",2028,true,"));
    assert_non_null(strstr(csv, ",senioren\r\n")); /* the unknown year: the block without a period */
    assert_null(strstr(csv, "ander"));
    free(csv);
    char *gj = bs_export_geojson_detail(&ex);
    assert_non_null(gj);
    assert_non_null(strstr(gj, "\"doelgroep\":\"senioren; starters\""));
    assert_non_null(strstr(gj, "\"jaar\":2028,"));
    assert_non_null(strstr(gj, "\"doelgroep\":null")); /* 2028 and the plans without blocks */
    free(gj);
    char *zh = bs_export_geojson_plans(&ex, true);
    assert_non_null(zh);
    assert_non_null(strstr(zh, "\"doelgroep\":\"senioren; starters\""));
    free(zh);
    bs_export_free(&ex);
    unload_fixture(&g);
}

static void test_golden_zuid_holland(void **state) {
    (void)state;
    gx g;
    load_fixture(&g);
    bs_export ex;
    build(&g, "zuid-holland", &ex);
    assert_int_equal(ex.n_items, 6);
    assert_int_equal(ex.n_out_of_scope, 4);
    assert_int_equal(ex.n_included, 3); /* 9001, 9002, 9006 */
    assert_int_equal(ex.n_left_out, 3); /* 9003 price span, 9004 confidentiality + code list, 9005 */
    assert_int_equal(ex.left_out_by[BS_QC_PRICE_CLASS], 1);
    assert_int_equal(ex.left_out_by[BS_QC_CONFIDENTIALITY], 1);
    assert_int_equal(ex.left_out_by[BS_QC_CODE_LIST], 1);
    assert_int_equal(ex.left_out_by[BS_QC_GEOMETRY], 1);
    assert_int_equal(ex.left_out_by[BS_QC_COUNTS], 1);
    golden_text("zuid-holland.geojson", bs_export_geojson_plans(&ex, true));
    golden_text("zuid-holland-uitgesloten.csv", bs_export_csv(&ex, BS_TABLE_LEFT_OUT));
    bs_export_free(&ex);
    unload_fixture(&g);
}

static void test_golden_gelderland(void **state) {
    (void)state;
    gx g;
    load_fixture(&g);
    bs_export ex;
    build(&g, "gelderland", &ex);
    assert_int_equal(ex.n_included, 1);
    assert_int_equal(ex.n_left_out, 1);
    golden_text("gelderland-plannen.geojson", bs_export_geojson_plans(&ex, false));
    golden_text("gelderland-detailplanning.geojson", bs_export_geojson_detail(&ex));
    golden_text("gelderland-detailplanning.csv", bs_export_csv(&ex, BS_TABLE_DETAIL));
    golden_text("gelderland-uitgesloten.csv", bs_export_csv(&ex, BS_TABLE_LEFT_OUT));
    bs_export_free(&ex);
    unload_fixture(&g);
}

static void test_golden_excel(void **state) {
    (void)state;
    gx g;
    load_fixture(&g);
    bs_export ex;
    build(&g, "excel", &ex);
    assert_int_equal(ex.n_out_of_scope, 0);
    assert_int_equal(ex.n_included, 6); /* + 9007, 9009, 9010 */
    /* the sheets' contents as CSV, and the workbook itself (byte-stable: fixed creation time) */
    golden_text("excel-plannen.csv", bs_export_csv(&ex, BS_TABLE_PLANS));
    golden_text("excel-detailplanning.csv", bs_export_csv(&ex, BS_TABLE_DETAIL));
    golden_text("excel-uitgesloten.csv", bs_export_csv(&ex, BS_TABLE_LEFT_OUT));
    char *bytes;
    size_t len;
    bs_err err = {0};
    assert_int_equal(bs_export_xlsx_bytes(&ex, NULL, &bytes, &len, &err), 0);
    assert_true(len > 1000);
    assert_memory_equal(bytes, "PK\x03\x04", 4);
    golden("planmonitor.xlsx", bytes, len);
    free(bytes);
    bs_export_free(&ex);
    unload_fixture(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_shipped),
        cmocka_unit_test(test_price_class_bounds),
        cmocka_unit_test(test_config_dated_tables),
        cmocka_unit_test(test_config_invalid),
        cmocka_unit_test(test_spread_remainder_last),
        cmocka_unit_test_setup_teardown(test_check_valid_plan, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_mandatory, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_mandatory_count, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_code_list, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_counts, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_price_span, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_confidentiality, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_geometry, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_joint_and_allocation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_blocks_rows, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_blocks_price_range, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_blocks_checks, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_blocks_correction_order, fx_setup, fx_teardown),
        cmocka_unit_test(test_blocks_from_json),
        cmocka_unit_test(test_golden_zuid_holland),
        cmocka_unit_test(test_golden_gelderland),
        cmocka_unit_test(test_golden_excel),
        cmocka_unit_test(test_config_plusvelden),
        cmocka_unit_test(test_export_plusvelden),
        cmocka_unit_test(test_config_block_plusvelden),
        cmocka_unit_test(test_export_block_plusvelden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
