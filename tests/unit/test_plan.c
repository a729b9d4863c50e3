/*
 * Unit tests: engine/core/plan.c (planstatus and plantype code lists, initial progress of
 * an imported plan) against the shipped processes/ppm-woningbouw.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

#ifndef BS_SOURCE_DIR
#error "compile with -DBS_SOURCE_DIR=\"\\\"/path/to/source\\\"\""
#endif

#define PPM_PATH BS_SOURCE_DIR "/processes/ppm-woningbouw.json"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb) free(buf);
        buf = nb;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int setup_ppm(void **state) {
    size_t len = 0;
    char *text = read_file(PPM_PATH, &len);
    if (!text) return -1;
    bs_schema_problems p;
    bs_schema *s = bs_schema_load(text, len, false, &p);
    free(text);
    for (size_t i = 0; i < p.count; i++) print_error("%s: %s\n", p.items[i].path, p.items[i].message);
    bs_schema_problems_free(&p);
    *state = s;
    return s ? 0 : -1;
}

static int teardown_ppm(void **state) {
    bs_schema_free(*state);
    return 0;
}

/* ---------------------------------------------------------------------------------- */
/* Planstatus                                                                         */

/* The 19 spellings in data/plannen/eib-2020-rd.geojson (domain brief §5). */
static const struct {
    const char *raw;
    const char *code;
} PLANSTATUS_SPELLINGS[] = {
    {"1A Onherroepelijk", "1A"},
    {"3 plan/besluit in voorbereiding", "3"},
    {"4A potentiele locatie in visie", "4A"},
    {"Onbekend", "onbekend"},
    {"3 In voorbereiding", "3"},
    {"4A Visie", "4A"},
    {"2A Vastgesteld plan/besluit", "2A"},
    {"2A Vastgesteld", "2A"},
    {"4B potentiele locatie optie", "4B"},
    {"1C onhr + wijzigingsbevoegdheid", "1C"},
    {"1B Onherroepelijk, uitwerkingsplicht", "1B"},
    {"4B Optie", "4B"},
    {"1B onhr + uitwerkingsplicht", "1B"},
    {"Status onbekend", "onbekend"},
    {"2C vastgesteld + Wijzigingebevoegdheid", "2C"},
    {"1C Onherroepelijk, wijzigingsbevoegdheid", "1C"},
    {"2B vastgesteld + Uitwerkingsplicht", "2B"},
    {"2C Vastgesteld, wijzigingsbevoegdheid", "2C"},
    {"2B Vastgesteld, uitwerkingsplicht", "2B"},
};

static void test_planstatus_real_spellings(void **state) {
    (void)state;
    size_t n = sizeof PLANSTATUS_SPELLINGS / sizeof *PLANSTATUS_SPELLINGS;
    assert_int_equal(n, 19);
    for (size_t i = 0; i < n; i++) {
        bool recognised = false;
        const char *code = bs_planstatus_normalise(PLANSTATUS_SPELLINGS[i].raw, &recognised);
        if (strcmp(code, PLANSTATUS_SPELLINGS[i].code) != 0 || !recognised)
            fail_msg("'%s' -> '%s' (recognised %d), want '%s'", PLANSTATUS_SPELLINGS[i].raw, code, recognised,
                     PLANSTATUS_SPELLINGS[i].code);
        assert_true(bs_planstatus_valid(code));
    }
}

static void test_planstatus_case_and_spacing(void **state) {
    (void)state;
    static const struct {
        const char *raw;
        const char *code;
    } cases[] = {
        {"1a onherroepelijk", "1A"},
        {"  2B   VASTGESTELD  ", "2B"},
        {"\t4b\n", "4B"},
        {"3", "3"},
        {"1 A Onherroepelijk", "1A"},
        {"2c-vastgesteld", "2C"},
        {"4A: visie", "4A"},
        {"3-in voorbereiding", "3"},
        {"1C", "1C"},
        {"STATUS   ONBEKEND", "onbekend"},
        {" onbekend ", "onbekend"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bool recognised = false;
        const char *code = bs_planstatus_normalise(cases[i].raw, &recognised);
        if (strcmp(code, cases[i].code) != 0 || !recognised)
            fail_msg("'%s' -> '%s' (recognised %d), want '%s'", cases[i].raw, code, recognised, cases[i].code);
    }
    /* empty and NULL: recognised as unknown */
    bool recognised = false;
    assert_string_equal(bs_planstatus_normalise("", &recognised), "onbekend");
    assert_true(recognised);
    recognised = false;
    assert_string_equal(bs_planstatus_normalise("   ", &recognised), "onbekend");
    assert_true(recognised);
    recognised = false;
    assert_string_equal(bs_planstatus_normalise(NULL, &recognised), "onbekend");
    assert_true(recognised);
    /* recognised may be NULL */
    assert_string_equal(bs_planstatus_normalise("1A Onherroepelijk", NULL), "1A");
}

static void test_planstatus_unknown_spellings(void **state) {
    (void)state;
    static const char *const bad[] = {
        "Onherroepelijk",   "Vastgesteld", "3A", "30 woningen", "4C",        "1D", "5", "4",
        "1 Onherroepelijk", "2bis",        "x",  "status",      "onbekend!", "?",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bool recognised = true;
        const char *code = bs_planstatus_normalise(bad[i], &recognised);
        if (strcmp(code, "onbekend") != 0 || recognised)
            fail_msg("'%s' -> '%s' (recognised %d), want onbekend, not recognised", bad[i], code, recognised);
    }
}

static void test_planstatus_valid(void **state) {
    (void)state;
    static const char *const good[] = {"1A", "1B", "1C", "2A", "2B", "2C", "3", "4A", "4B", "onbekend"};
    for (size_t i = 0; i < 10; i++) assert_true(bs_planstatus_valid(good[i]));
    static const char *const bad[] = {"1a", "4C", "3A", "Onbekend", "", " 1A", "1A "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) assert_false(bs_planstatus_valid(bad[i]));
    assert_false(bs_planstatus_valid(NULL));
}

static void test_planstatus_realised_through(void **state) {
    (void)state;
    assert_string_equal(bs_planstatus_realised_through("3"), "principeakkoord");
    assert_string_equal(bs_planstatus_realised_through("2A"), "omgevingsplan_vastgesteld");
    assert_string_equal(bs_planstatus_realised_through("2B"), "omgevingsplan_vastgesteld");
    assert_string_equal(bs_planstatus_realised_through("2C"), "omgevingsplan_vastgesteld");
    assert_string_equal(bs_planstatus_realised_through("1A"), "omgevingsplan_onherroepelijk");
    assert_string_equal(bs_planstatus_realised_through("1B"), "omgevingsplan_onherroepelijk");
    assert_string_equal(bs_planstatus_realised_through("1C"), "omgevingsplan_onherroepelijk");
    assert_null(bs_planstatus_realised_through("4A"));
    assert_null(bs_planstatus_realised_through("4B"));
    assert_null(bs_planstatus_realised_through("onbekend"));
    assert_null(bs_planstatus_realised_through(NULL));
    assert_null(bs_planstatus_realised_through("1a"));
}

/* ---------------------------------------------------------------------------------- */
/* Plantype                                                                           */

static void test_plantype_real_spellings(void **state) {
    (void)state;
    static const struct {
        const char *raw;
        const char *code;
    } cases[] = {
        {"Verdichting", "verdichting"},
        {"Onbekend", "onbekend"},
        {"Transformatie", "transformatie"},
        {"Verdichtingslocatie", "verdichting"},
        {"Herstructurering", "herstructurering"},
        {"Uitleg", "uitleg"},
        {"Functieverandering Bedrijven/industrie", "transformatie"},
        {"Uitleggebied voor woningbouw", "uitleg"},
        {"Sloop/nieuwbouw (woningen)", "herstructurering"},
        {"Functieverandering Maatschapelijk", "transformatie"},
        {"Functieverandering overig", "transformatie"},
        {"Functieverandering Kantoren", "transformatie"},
        {"Functieverandering onbekend wat", "transformatie"},
        {"Functieverandering Detailhandel", "transformatie"},
        {"Sloop", "herstructurering"},
        {"  VERDICHTING ", "verdichting"},
        {"uitleg", "uitleg"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bool recognised = false;
        const char *code = bs_plantype_normalise(cases[i].raw, &recognised);
        if (strcmp(code, cases[i].code) != 0 || !recognised)
            fail_msg("'%s' -> '%s' (recognised %d), want '%s'", cases[i].raw, code, recognised, cases[i].code);
    }
    bool recognised = false;
    assert_string_equal(bs_plantype_normalise(NULL, &recognised), "onbekend");
    assert_true(recognised);
    recognised = false;
    assert_string_equal(bs_plantype_normalise("", &recognised), "onbekend");
    assert_true(recognised);
    recognised = true;
    assert_string_equal(bs_plantype_normalise("Weiland", &recognised), "onbekend");
    assert_false(recognised);
    recognised = true;
    assert_string_equal(bs_plantype_normalise("Onbekende categorie", &recognised), "onbekend");
    assert_false(recognised);
    assert_string_equal(bs_plantype_normalise("Uitleg", NULL), "uitleg");
}

/* ---------------------------------------------------------------------------------- */
/* Initial progress                                                                   */

/* The expected realised set, computed independently of plan.c: a fixed point over the
 * links (a step is realised when it is the target or a predecessor of a realised step). */
static void closure(const bs_schema *s, int32_t target, bool *in) {
    for (int32_t i = 0; i < s->n_steps; i++) in[i] = i == target;
    for (bool changed = true; changed;) {
        changed = false;
        for (int32_t l = 0; l < s->n_links; l++)
            if (in[s->links[l].succ] && !in[s->links[l].pred]) in[s->links[l].pred] = changed = true;
    }
}

static int32_t idx(const bs_schema *s, const char *key) {
    int32_t i = bs_schema_find(s, key);
    if (i < 0) fail_msg("step %s not in schema", key);
    return i;
}

/* Checks progress for one code against the closure and returns the number of DONE steps. */
static int32_t check_progress(const bs_schema *s, const char *code, bs_progress *prog) {
    assert_int_equal(bs_plan_initial_progress(s, code, prog), 0);
    const char *through = bs_planstatus_realised_through(code);
    bool *in = calloc((size_t)s->n_steps, sizeof *in);
    assert_non_null(in);
    if (through) closure(s, idx(s, through), in);
    int32_t u = idx(s, "uitwerkingsplan_wijzigingsplan");
    bool carrier =
        strcmp(code, "1B") == 0 || strcmp(code, "1C") == 0 || strcmp(code, "2B") == 0 || strcmp(code, "2C") == 0;
    int32_t done = 0;
    for (int32_t i = 0; i < s->n_steps; i++) {
        assert_int_equal(prog[i].actual_start, BS_DAY_NONE);
        assert_int_equal(prog[i].actual_finish, BS_DAY_NONE);
        bs_step_status want = in[i] ? BS_STATUS_DONE : BS_STATUS_OPEN;
        if (i == u && !carrier) want = BS_STATUS_SKIPPED;
        if (prog[i].status != want)
            fail_msg("planstatus %s, step %s: status %d, want %d", code, s->steps[i].key, prog[i].status, want);
        assert_int_equal(prog[i].actual_estimated, want == BS_STATUS_DONE);
        done += want == BS_STATUS_DONE;
    }
    /* the optional step comes after onherroepelijk: open for every carrier */
    if (carrier) assert_int_equal(prog[u].status, BS_STATUS_OPEN);
    free(in);
    return done;
}

static void test_initial_progress_all_codes(void **state) {
    const bs_schema *s = *state;
    bs_progress *prog = calloc((size_t)s->n_steps, sizeof *prog);
    assert_non_null(prog);
    static const char *const codes[] = {"3", "2A", "1A", "1B", "4A", "onbekend", "1C", "2B", "2C", "4B"};
    int32_t done[10];
    for (size_t k = 0; k < 10; k++) done[k] = check_progress(s, codes[k], prog);
    assert_int_equal(done[4], 0);                  /* 4A */
    assert_int_equal(done[5], 0);                  /* onbekend */
    assert_int_equal(done[9], 0);                  /* 4B */
    assert_true(done[0] > 0 && done[0] < done[1]); /* 3 < 2A */
    assert_true(done[1] < done[2]);                /* 2A < 1A */
    assert_int_equal(done[2], done[3]);            /* 1A = 1B */
    assert_int_equal(done[1], done[7]);            /* 2A = 2B */
    free(prog);
}

static void test_initial_progress_3(void **state) {
    const bs_schema *s = *state;
    bs_progress *prog = calloc((size_t)s->n_steps, sizeof *prog);
    assert_non_null(prog);
    assert_int_equal(bs_plan_initial_progress(s, "3", prog), 0);
    static const char *const done[] = {"initiatief_ingediend", "initiatief_ontvangen", "principeverzoek_beoordeeld",
                                       "principeakkoord"};
    int32_t n_done = 0;
    for (int32_t i = 0; i < s->n_steps; i++) n_done += prog[i].status == BS_STATUS_DONE;
    assert_int_equal(n_done, 4);
    for (size_t k = 0; k < 4; k++) assert_int_equal(prog[idx(s, done[k])].status, BS_STATUS_DONE);
    assert_int_equal(prog[idx(s, "intentieovereenkomst")].status, BS_STATUS_OPEN);
    assert_int_equal(prog[idx(s, "uitwerkingsplan_wijzigingsplan")].status, BS_STATUS_SKIPPED);
    free(prog);
}

static void test_initial_progress_2a_1a_1b(void **state) {
    const bs_schema *s = *state;
    bs_progress *prog = calloc((size_t)s->n_steps, sizeof *prog);
    assert_non_null(prog);

    assert_int_equal(bs_plan_initial_progress(s, "2A", prog), 0);
    static const char *const done_2a[] = {"principeakkoord",           "intentieovereenkomst",
                                          "anterieure_overeenkomst",   "omgevingsplan_ontwerp_ter_inzage",
                                          "omgevingsplan_vastgesteld", "voorlopig_ontwerp",
                                          "onderzoeken_uitgevoerd"};
    for (size_t k = 0; k < sizeof done_2a / sizeof *done_2a; k++)
        assert_int_equal(prog[idx(s, done_2a[k])].status, BS_STATUS_DONE);
    static const char *const open_2a[] = {"beroepstermijn_omgevingsplan",
                                          "omgevingsplan_onherroepelijk",
                                          "vergunningaanvraag_ingediend",
                                          "grond_verworven",
                                          "start_bouw",
                                          "definitief_ontwerp"};
    for (size_t k = 0; k < sizeof open_2a / sizeof *open_2a; k++)
        assert_int_equal(prog[idx(s, open_2a[k])].status, BS_STATUS_OPEN);
    assert_int_equal(prog[idx(s, "uitwerkingsplan_wijzigingsplan")].status, BS_STATUS_SKIPPED);

    assert_int_equal(bs_plan_initial_progress(s, "1A", prog), 0);
    assert_int_equal(prog[idx(s, "omgevingsplan_onherroepelijk")].status, BS_STATUS_DONE);
    assert_int_equal(prog[idx(s, "beroepstermijn_omgevingsplan")].status, BS_STATUS_DONE);
    assert_int_equal(prog[idx(s, "omgevingsvergunning_verleend")].status, BS_STATUS_OPEN);
    assert_int_equal(prog[idx(s, "bouwrijp")].status, BS_STATUS_OPEN);
    assert_int_equal(prog[idx(s, "uitwerkingsplan_wijzigingsplan")].status, BS_STATUS_SKIPPED);

    assert_int_equal(bs_plan_initial_progress(s, "1B", prog), 0);
    assert_int_equal(prog[idx(s, "omgevingsplan_onherroepelijk")].status, BS_STATUS_DONE);
    assert_int_equal(prog[idx(s, "uitwerkingsplan_wijzigingsplan")].status, BS_STATUS_OPEN);
    assert_int_equal(prog[idx(s, "omgevingsvergunning_verleend")].status, BS_STATUS_OPEN);
    free(prog);
}

static void test_initial_progress_4a_onbekend(void **state) {
    const bs_schema *s = *state;
    bs_progress *prog = calloc((size_t)s->n_steps, sizeof *prog);
    assert_non_null(prog);
    static const char *const codes[] = {"4A", "4B", "onbekend"};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(bs_plan_initial_progress(s, codes[k], prog), 0);
        for (int32_t i = 0; i < s->n_steps; i++) {
            bs_step_status want = s->steps[i].optional ? BS_STATUS_SKIPPED : BS_STATUS_OPEN;
            assert_int_equal(prog[i].status, want);
            assert_false(prog[i].actual_estimated);
        }
    }
    /* NULL counts as onbekend */
    assert_int_equal(bs_plan_initial_progress(s, NULL, prog), 0);
    assert_int_equal(prog[0].status, BS_STATUS_OPEN);
    /* an invalid code is refused; progress is still written (nothing realised) */
    assert_int_equal(bs_plan_initial_progress(s, "1A Onherroepelijk", prog), -1);
    for (int32_t i = 0; i < s->n_steps; i++) assert_int_not_equal(prog[i].status, BS_STATUS_DONE);
    free(prog);
}

/* An optional step that is itself a predecessor of the realised-through step: realised
 * for a carrier, skipped for anyone else. A schema without the step gives -1. */
static void test_initial_progress_small_schemas(void **state) {
    (void)state;
    const char *json = "{\"key\":\"t\",\"name\":\"T\",\"version\":1,\"steps\":["
                       "{\"key\":\"principeakkoord\",\"name\":\"P\",\"stream\":\"public\",\"milestone\":true},"
                       "{\"key\":\"u\",\"name\":\"U\",\"stream\":\"public\",\"milestone\":true,\"optional\":true,"
                       "\"applies_to\":{\"planstatus\":[\"2B\"]},\"depends_on\":[{\"step\":\"principeakkoord\"}]},"
                       "{\"key\":\"omgevingsplan_vastgesteld\",\"name\":\"V\",\"stream\":\"public\",\"milestone\":true,"
                       "\"depends_on\":[{\"step\":\"u\"}]},"
                       "{\"key\":\"later\",\"name\":\"L\",\"stream\":\"private\",\"milestone\":true,"
                       "\"depends_on\":[{\"step\":\"omgevingsplan_vastgesteld\"}]}]}";
    bs_schema_problems p;
    bs_schema *s = bs_schema_load(json, strlen(json), false, &p);
    assert_non_null(s);
    bs_progress prog[4];
    assert_int_equal(bs_plan_initial_progress(s, "2B", prog), 0);
    assert_int_equal(prog[0].status, BS_STATUS_DONE);
    assert_int_equal(prog[1].status, BS_STATUS_DONE);
    assert_true(prog[1].actual_estimated);
    assert_int_equal(prog[2].status, BS_STATUS_DONE);
    assert_int_equal(prog[3].status, BS_STATUS_OPEN);
    assert_int_equal(bs_plan_initial_progress(s, "2A", prog), 0);
    assert_int_equal(prog[0].status, BS_STATUS_DONE); /* reached through the skipped step */
    assert_int_equal(prog[1].status, BS_STATUS_SKIPPED);
    assert_false(prog[1].actual_estimated);
    assert_int_equal(prog[2].status, BS_STATUS_DONE);
    assert_int_equal(prog[3].status, BS_STATUS_OPEN);
    /* 1A needs omgevingsplan_onherroepelijk, which this schema lacks */
    assert_int_equal(bs_plan_initial_progress(s, "1A", prog), -1);
    for (int i = 0; i < 4; i++) assert_int_not_equal(prog[i].status, BS_STATUS_DONE);
    bs_schema_free(s);
    bs_schema_problems_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planstatus_real_spellings),      cmocka_unit_test(test_planstatus_case_and_spacing),
        cmocka_unit_test(test_planstatus_unknown_spellings),   cmocka_unit_test(test_planstatus_valid),
        cmocka_unit_test(test_planstatus_realised_through),    cmocka_unit_test(test_plantype_real_spellings),
        cmocka_unit_test(test_initial_progress_small_schemas),
    };
    const struct CMUnitTest ppm_tests[] = {
        cmocka_unit_test(test_initial_progress_all_codes),
        cmocka_unit_test(test_initial_progress_3),
        cmocka_unit_test(test_initial_progress_2a_1a_1b),
        cmocka_unit_test(test_initial_progress_4a_onbekend),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("ppm-woningbouw", ppm_tests, setup_ppm, teardown_ppm);
    return failed;
}
