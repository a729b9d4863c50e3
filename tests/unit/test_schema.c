/*
 * Unit tests: engine/core/schema.c (process schema loading and validation) and the shipped
 * processes/ppm-woningbouw.json.
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

#ifndef BS_SOURCE_DIR
#error "compile with -DBS_SOURCE_DIR=\"\\\"/path/to/source\\\"\""
#endif

#define PPM_PATH BS_SOURCE_DIR "/processes/ppm-woningbouw.json"

/* ---------------------------------------------------------------------------------- */
/* Helpers                                                                            */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap) break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else {
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bs_schema *load_ppm(void) {
    size_t len = 0;
    char *text = read_file(PPM_PATH, &len);
    assert_non_null(text);
    bs_schema_problems p;
    bs_schema *s = bs_schema_load(text, len, false, &p);
    for (size_t i = 0; i < p.count; i++) print_error("%s: %s\n", p.items[i].path, p.items[i].message);
    assert_int_equal(p.count, 0);
    assert_non_null(s);
    bs_schema_problems_free(&p);
    free(text);
    return s;
}

static bs_schema *load_str(const char *json, bool allow_all, bs_schema_problems *p) {
    return bs_schema_load(json, strlen(json), allow_all, p);
}

static void print_problems(const bs_schema_problems *p) {
    for (size_t i = 0; i < p->count; i++) print_error("  %s: %s\n", p->items[i].path, p->items[i].message);
}

/* Asserts a problem with exactly this path whose message contains text. */
static void expect_problem(const bs_schema_problems *p, const char *path, const char *text) {
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].path, path) == 0 && strstr(p->items[i].message, text)) return;
    print_error("no problem at %s containing '%s'; problems:\n", path, text);
    print_problems(p);
    fail();
}

/* Loads json, expects failure, and returns the problems (caller frees). */
static bs_schema_problems expect_fail(const char *json, bool allow_all) {
    bs_schema_problems p;
    bs_schema *s = load_str(json, allow_all, &p);
    if (s) {
        bs_schema_free(s);
        fail_msg("schema unexpectedly loaded");
    }
    assert_true(p.count > 0);
    return p;
}

/* Minimal valid header around a steps array body. */
#define SCHEMA(steps) "{\"key\":\"t\",\"name\":\"Test\",\"version\":1,\"steps\":[" steps "]}"
#define MS(k) "{\"key\":\"" k "\",\"name\":\"" k "\",\"stream\":\"public\",\"milestone\":true}"

static int32_t step_of(const bs_schema *s, const char *key) {
    int32_t i = bs_schema_find(s, key);
    if (i < 0) fail_msg("step %s not in schema", key);
    return i;
}

/* True when step a is a transitive predecessor of step b. */
static bool precedes(const bs_schema *s, int32_t a, int32_t b) {
    bool *seen = calloc((size_t)s->n_steps, sizeof *seen);
    int32_t *stack = malloc((size_t)s->n_steps * sizeof *stack);
    assert_non_null(seen);
    assert_non_null(stack);
    int32_t sp = 0;
    bool found = false;
    stack[sp++] = b;
    while (sp > 0 && !found) {
        const bs_step *st = &s->steps[stack[--sp]];
        for (int32_t k = 0; k < st->n_preds; k++) {
            int32_t p = s->links[st->preds[k]].pred;
            if (p == a) found = true;
            if (!seen[p]) {
                seen[p] = true;
                stack[sp++] = p;
            }
        }
    }
    free(seen);
    free(stack);
    return found;
}

static bool has_direct_pred(const bs_schema *s, int32_t succ, int32_t pred) {
    for (int32_t k = 0; k < s->steps[succ].n_preds; k++)
        if (s->links[s->steps[succ].preds[k]].pred == pred) return true;
    return false;
}

/* ---------------------------------------------------------------------------------- */
/* The shipped schema                                                                 */

static const char *const REQUIRED_KEYS[] = {
    "initiatief_ingediend",
    "initiatief_ontvangen",
    "principeakkoord",
    "intentieovereenkomst",
    "anterieure_overeenkomst",
    "omgevingsplan_ontwerp_ter_inzage",
    "omgevingsplan_vastgesteld",
    "omgevingsplan_onherroepelijk",
    "uitwerkingsplan_wijzigingsplan",
    "vergunningaanvraag_ingediend",
    "omgevingsvergunning_verleend",
    "bouwrijp",
    "aannemer_gegund",
    "voorverkoop_behaald",
    "start_bouw",
    "eerste_oplevering",
    "laatste_oplevering",
    "woonrijp",
    "financiele_afwikkeling",
    "grond_verworven",
    "architect_gekozen",
    "voorlopig_ontwerp",
    "definitief_ontwerp",
    "programma_van_eisen",
    "start_verkoop",
    "registratie_start_bouw",
    "nazorg",
    "beroepstermijn_omgevingsplan",
    "beslistermijn_omgevingsvergunning",
};

static const char *const MILESTONES[] = {
    "initiatief_ingediend",
    "principeakkoord",
    "intentieovereenkomst",
    "anterieure_overeenkomst",
    "omgevingsplan_vastgesteld",
    "omgevingsplan_onherroepelijk",
    "vergunningaanvraag_ingediend",
    "omgevingsvergunning_verleend",
    "bouwrijp",
    "aannemer_gegund",
    "voorverkoop_behaald",
    "start_bouw",
    "eerste_oplevering",
    "laatste_oplevering",
};

static void test_ppm_loads(void **state) {
    (void)state;
    bs_schema *s = load_ppm();
    assert_string_equal(s->key, "ppm-woningbouw");
    assert_int_equal(s->version, 1);
    assert_non_null(s->name);
    assert_true(s->n_steps >= 25);
    int streams[2] = {0, 0};
    for (int32_t i = 0; i < s->n_steps; i++) streams[s->steps[i].stream]++;
    assert_true(streams[BS_STREAM_PUBLIC] > 0);
    assert_true(streams[BS_STREAM_PRIVATE] > 0);
    for (size_t k = 0; k < sizeof REQUIRED_KEYS / sizeof *REQUIRED_KEYS; k++) step_of(s, REQUIRED_KEYS[k]);
    for (size_t k = 0; k < sizeof MILESTONES / sizeof *MILESTONES; k++)
        assert_true(s->steps[step_of(s, MILESTONES[k])].milestone);
    assert_int_equal(s->steps[step_of(s, "initiatief_ingediend")].stream, BS_STREAM_PRIVATE);
    assert_int_equal(s->steps[step_of(s, "initiatief_ingediend")].n_preds, 0);
    assert_int_equal(s->steps[step_of(s, "vergunningaanvraag_ingediend")].stream, BS_STREAM_PRIVATE);
    bs_schema_free(s);
}

static void test_ppm_steps_are_well_formed(void **state) {
    (void)state;
    bs_schema *s = load_ppm();
    for (int32_t i = 0; i < s->n_steps; i++) {
        const bs_step *st = &s->steps[i];
        assert_non_null(st->name);
        assert_non_null(st->phase);
        if (st->milestone) {
            assert_int_equal(st->duration, 0);
        } else {
            /* every duration says where it comes from, citing the domain brief */
            if (!st->source || !strstr(st->source, "§3")) fail_msg("step %s: source must cite §3", st->key);
            assert_true(st->duration > 0);
        }
        if (st->statutory) assert_int_equal(st->unit, BS_UNIT_CALENDAR_DAYS);
        assert_int_equal(i, step_of(s, st->key)); /* keys unique */
    }
    /* the statutory terms */
    const bs_step *t = &s->steps[step_of(s, "omgevingsplan_ontwerp_ter_inzage")];
    assert_true(t->statutory);
    assert_int_equal(t->duration, 42);
    assert_int_equal(t->unit, BS_UNIT_CALENDAR_DAYS);
    t = &s->steps[step_of(s, "beroepstermijn_omgevingsplan")];
    assert_true(t->statutory);
    assert_int_equal(t->duration, 42);
    assert_int_equal(t->unit, BS_UNIT_CALENDAR_DAYS);
    t = &s->steps[step_of(s, "beslistermijn_omgevingsvergunning")];
    assert_true(t->statutory);
    assert_int_equal(t->duration, 56);
    assert_int_equal(t->unit, BS_UNIT_CALENDAR_DAYS);
    /* only FS links in the shipped file */
    for (int32_t l = 0; l < s->n_links; l++) assert_int_equal(s->links[l].type, BS_LINK_FS);
    /* the optional uitwerkingsplan/wijzigingsplan step */
    int32_t u = step_of(s, "uitwerkingsplan_wijzigingsplan");
    assert_true(s->steps[u].optional);
    const char *const carriers[] = {"1B", "2B", "1C", "2C"};
    const char *const others[] = {"1A", "2A", "3", "4A", "4B", "onbekend"};
    for (size_t k = 0; k < 4; k++) assert_true(bs_schema_step_applies(s, u, carriers[k]));
    for (size_t k = 0; k < 6; k++) assert_false(bs_schema_step_applies(s, u, others[k]));
    assert_false(bs_schema_step_applies(s, u, NULL));
    size_t n_codes = 0;
    while (s->steps[u].applies_to_planstatus[n_codes]) n_codes++;
    assert_int_equal(n_codes, 4);
    for (int32_t i = 0; i < s->n_steps; i++)
        if (i != u) assert_false(s->steps[i].optional);
    bs_schema_free(s);
}

static void test_ppm_dependencies(void **state) {
    (void)state;
    bs_schema *s = load_ppm();
#define BEFORE(a, b) assert_true(precedes(s, step_of(s, a), step_of(s, b)))
    BEFORE("initiatief_ingediend", "principeakkoord");
    BEFORE("initiatief_ontvangen", "principeakkoord");
    BEFORE("principeakkoord", "intentieovereenkomst");
    BEFORE("intentieovereenkomst", "anterieure_overeenkomst");
    BEFORE("intentieovereenkomst", "omgevingsplan_vastgesteld");
    BEFORE("anterieure_overeenkomst", "omgevingsplan_vastgesteld");
    BEFORE("omgevingsplan_ontwerp_ter_inzage", "omgevingsplan_vastgesteld");
    BEFORE("omgevingsplan_vastgesteld", "beroepstermijn_omgevingsplan");
    BEFORE("beroepstermijn_omgevingsplan", "omgevingsplan_onherroepelijk");
    /* uitwerkingsplan/wijzigingsplan: after onherroepelijk, before the permit (domain §2) */
    BEFORE("omgevingsplan_onherroepelijk", "uitwerkingsplan_wijzigingsplan");
    BEFORE("uitwerkingsplan_wijzigingsplan", "omgevingsvergunning_verleend");
    /* permit: application and a planological basis even without the optional step */
    BEFORE("vergunningaanvraag_ingediend", "omgevingsvergunning_verleend");
    BEFORE("beslistermijn_omgevingsvergunning", "omgevingsvergunning_verleend");
    assert_true(
        has_direct_pred(s, step_of(s, "omgevingsvergunning_verleend"), step_of(s, "omgevingsplan_onherroepelijk")));
    BEFORE("definitief_ontwerp", "vergunningaanvraag_ingediend");
    /* start bouw: permit + bouwrijp + aannemer + sales threshold, all direct */
    int32_t sb = step_of(s, "start_bouw");
    assert_true(has_direct_pred(s, sb, step_of(s, "omgevingsvergunning_verleend")));
    assert_true(has_direct_pred(s, sb, step_of(s, "bouwrijp")));
    assert_true(has_direct_pred(s, sb, step_of(s, "aannemer_gegund")));
    assert_true(has_direct_pred(s, sb, step_of(s, "voorverkoop_behaald")));
    BEFORE("grond_verworven", "bouwrijp");
    BEFORE("start_verkoop", "voorverkoop_behaald");
    BEFORE("start_bouw", "registratie_start_bouw");
    BEFORE("start_bouw", "eerste_oplevering");
    BEFORE("eerste_oplevering", "laatste_oplevering");
    BEFORE("laatste_oplevering", "woonrijp");
    BEFORE("woonrijp", "financiele_afwikkeling");
    BEFORE("laatste_oplevering", "nazorg");
    assert_false(precedes(s, step_of(s, "start_bouw"), step_of(s, "principeakkoord")));
#undef BEFORE
    /* cross-stream links exist in both directions */
    bool pub_to_priv = false, priv_to_pub = false;
    for (int32_t l = 0; l < s->n_links; l++) {
        bs_stream a = s->steps[s->links[l].pred].stream, b = s->steps[s->links[l].succ].stream;
        pub_to_priv |= a == BS_STREAM_PUBLIC && b == BS_STREAM_PRIVATE;
        priv_to_pub |= a == BS_STREAM_PRIVATE && b == BS_STREAM_PUBLIC;
    }
    assert_true(pub_to_priv);
    assert_true(priv_to_pub);
    bs_schema_free(s);
}

static void test_ppm_topo_and_adjacency(void **state) {
    (void)state;
    bs_schema *s = load_ppm();
    int32_t *pos = malloc((size_t)s->n_steps * sizeof *pos);
    assert_non_null(pos);
    for (int32_t i = 0; i < s->n_steps; i++) pos[i] = -1;
    for (int32_t k = 0; k < s->n_steps; k++) {
        assert_in_range(s->topo[k], 0, s->n_steps - 1);
        assert_int_equal(pos[s->topo[k]], -1); /* a permutation */
        pos[s->topo[k]] = k;
    }
    int32_t n_preds = 0, n_succs = 0;
    for (int32_t l = 0; l < s->n_links; l++) assert_true(pos[s->links[l].pred] < pos[s->links[l].succ]);
    for (int32_t i = 0; i < s->n_steps; i++) {
        for (int32_t k = 0; k < s->steps[i].n_preds; k++) assert_int_equal(s->links[s->steps[i].preds[k]].succ, i);
        for (int32_t k = 0; k < s->steps[i].n_succs; k++) assert_int_equal(s->links[s->steps[i].succs[k]].pred, i);
        n_preds += s->steps[i].n_preds;
        n_succs += s->steps[i].n_succs;
    }
    assert_int_equal(n_preds, s->n_links);
    assert_int_equal(n_succs, s->n_links);
    free(pos);
    bs_schema_free(s);
}

/* Forward pass in approximate working days (calendar days × 5/7, no holidays): the
 * default plan must be realistic (domain §3: ~10 years with delays, 2–3 years building). */
static void test_ppm_critical_path_is_realistic(void **state) {
    (void)state;
    bs_schema *s = load_ppm();
    double *ef = calloc((size_t)s->n_steps, sizeof *ef);
    assert_non_null(ef);
    for (int32_t k = 0; k < s->n_steps; k++) {
        int32_t i = s->topo[k];
        double es = 0;
        for (int32_t j = 0; j < s->steps[i].n_preds; j++) {
            const bs_link *l = &s->links[s->steps[i].preds[j]];
            double lag = l->lag_unit == BS_UNIT_CALENDAR_DAYS ? l->lag * 5.0 / 7.0 : l->lag;
            if (ef[l->pred] + lag > es) es = ef[l->pred] + lag;
        }
        const bs_step *st = &s->steps[i];
        ef[i] = es + (st->unit == BS_UNIT_CALENDAR_DAYS ? st->duration * 5.0 / 7.0 : st->duration);
    }
    const double wd_per_year = 255.0;
    double total = ef[step_of(s, "laatste_oplevering")] - ef[step_of(s, "initiatief_ingediend")];
    double build = ef[step_of(s, "laatste_oplevering")] - ef[step_of(s, "start_bouw")];
    print_message("initiatief -> laatste oplevering: %.1f years; construction %.1f years\n", total / wd_per_year,
                  build / wd_per_year);
    assert_true(total >= 6 * wd_per_year && total <= 9 * wd_per_year);
    assert_true(build >= 2 * wd_per_year && build <= 3 * wd_per_year);
    free(ef);
    bs_schema_free(s);
}

/* ---------------------------------------------------------------------------------- */
/* Loading: happy paths, defaults                                                     */

static void test_minimal_schema_and_defaults(void **state) {
    (void)state;
    bs_schema_problems p;
    bs_schema *s = load_str(SCHEMA(MS("a") ",{\"key\":\"b\",\"name\":\"B\",\"stream\":\"private\","
                                           "\"duration\":{\"value\":5,\"unit\":\"calendar_days\"},"
                                           "\"depends_on\":[{\"step\":\"a\"}]}"),
                            false, &p);
    assert_non_null(s);
    assert_int_equal(p.count, 0);
    assert_null(p.items);
    assert_int_equal(s->n_steps, 2);
    assert_int_equal(s->n_links, 1);
    assert_int_equal(s->links[0].pred, 0);
    assert_int_equal(s->links[0].succ, 1);
    assert_int_equal(s->links[0].type, BS_LINK_FS);
    assert_int_equal(s->links[0].lag, 0);
    assert_int_equal(s->links[0].lag_unit, BS_UNIT_WORKING_DAYS);
    assert_true(s->steps[0].milestone);
    assert_int_equal(s->steps[0].duration, 0);
    assert_null(s->steps[0].phase);
    assert_null(s->steps[0].source);
    assert_false(s->steps[1].statutory);
    assert_false(s->steps[1].optional);
    assert_null(s->steps[1].applies_to_planstatus);
    assert_int_equal(s->steps[1].duration, 5);
    assert_int_equal(s->steps[1].unit, BS_UNIT_CALENDAR_DAYS);
    assert_int_equal(s->steps[1].stream, BS_STREAM_PRIVATE);
    assert_int_equal(s->steps[0].n_succs, 1);
    assert_int_equal(s->steps[1].n_preds, 1);
    assert_int_equal(bs_schema_find(s, "b"), 1);
    assert_int_equal(bs_schema_find(s, "zz"), -1);
    assert_int_equal(bs_schema_find(s, NULL), -1);
    assert_true(bs_schema_step_applies(s, 0, "1A"));
    assert_true(bs_schema_step_applies(s, 0, NULL));
    assert_false(bs_schema_step_applies(s, 2, "1A"));
    assert_false(bs_schema_step_applies(s, -1, "1A"));
    bs_schema_free(s);
    bs_schema_free(NULL);
    bs_schema_problems_free(&p);
}

/* Topological order: lowest index first among ready steps, also for a document that lists
 * successors before their predecessors. */
static void test_topological_order(void **state) {
    (void)state;
    bs_schema_problems p;
    bs_schema *s = load_str(SCHEMA("{\"key\":\"c\",\"name\":\"C\",\"stream\":\"public\",\"milestone\":true,"
                                   "\"depends_on\":[{\"step\":\"b\"},{\"step\":\"a\"}]},"
                                   "{\"key\":\"b\",\"name\":\"B\",\"stream\":\"public\",\"milestone\":true,"
                                   "\"depends_on\":[{\"step\":\"a\"}]}," MS("a") "," MS("d")),
                            false, &p);
    assert_non_null(s);
    int32_t want[] = {2, 1, 0, 3}; /* a, b, c, d */
    for (int k = 0; k < 4; k++) assert_int_equal(s->topo[k], want[k]);
    bs_schema_free(s);
    bs_schema_problems_free(&p);
}

static void test_all_link_types_when_allowed(void **state) {
    (void)state;
    const char *json = SCHEMA(MS("a") "," MS("b") "," MS(
        "c") ","
             "{\"key\":\"d\",\"name\":\"D\",\"stream\":\"public\",\"milestone\":true,\"depends_on\":["
             "{\"step\":\"a\",\"type\":\"SS\",\"lag\":{\"value\":-3,\"unit\":\"calendar_days\"}},"
             "{\"step\":\"b\",\"type\":\"FF\"},{\"step\":\"c\",\"type\":\"SF\"},"
             "{\"step\":\"a\",\"type\":\"FS\",\"lag\":{\"value\":2,\"unit\":\"working_days\"},"
             "\"note\":\"why\"}]}");
    bs_schema_problems p;
    bs_schema *s = load_str(json, true, &p);
    assert_non_null(s);
    assert_int_equal(s->n_links, 4);
    assert_int_equal(s->links[0].type, BS_LINK_SS);
    assert_int_equal(s->links[0].lag, -3);
    assert_int_equal(s->links[0].lag_unit, BS_UNIT_CALENDAR_DAYS);
    assert_int_equal(s->links[1].type, BS_LINK_FF);
    assert_int_equal(s->links[2].type, BS_LINK_SF);
    assert_int_equal(s->links[3].type, BS_LINK_FS);
    assert_int_equal(s->links[3].lag, 2);
    bs_schema_free(s);
    /* the same text without the option: one problem per non-FS link */
    p = expect_fail(json, false);
    assert_int_equal(p.count, 3);
    expect_problem(&p, "$.steps[3].depends_on[0].type", "link type SS is not supported yet; only FS");
    expect_problem(&p, "$.steps[3].depends_on[1].type", "link type FF is not supported yet; only FS");
    expect_problem(&p, "$.steps[3].depends_on[2].type", "link type SF is not supported yet; only FS");
    bs_schema_problems_free(&p);
}

/* The text need not be NUL-terminated: only len bytes are read. */
static void test_not_nul_terminated(void **state) {
    (void)state;
    const char *json = SCHEMA(MS("a"));
    size_t n = strlen(json);
    char *buf = malloc(n + 8);
    assert_non_null(buf);
    memcpy(buf, json, n);
    memcpy(buf + n, "garbage!", 8); /* no NUL anywhere */
    bs_schema_problems p;
    bs_schema *s = bs_schema_load(buf, n, false, &p);
    assert_non_null(s);
    assert_int_equal(p.count, 0);
    bs_schema_free(s);
    s = bs_schema_load(buf, n + 8, false, &p); /* the garbage is then a syntax error */
    assert_null(s);
    expect_problem(&p, "$", "JSON syntax error at 1:");
    bs_schema_problems_free(&p);
    free(buf);
    /* problems may be NULL */
    assert_null(bs_schema_load("{", 1, false, NULL));
}

/* ---------------------------------------------------------------------------------- */
/* Each error kind                                                                    */

static void test_syntax_error_line_column(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail("{\n  \"key\": \"t\",\n  \"steps\": [1,,]\n}", false);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0].path, "$");
    expect_problem(&p, "$", "JSON syntax error at 3:15:");
    bs_schema_problems_free(&p);
    /* duplicate object keys are refused by the parser too */
    p = expect_fail("{\"key\": \"t\",\n \"key\": \"u\"}", false);
    expect_problem(&p, "$", "JSON syntax error at 2:");
    expect_problem(&p, "$", "duplicate object key");
    bs_schema_problems_free(&p);
    p = expect_fail("", false);
    expect_problem(&p, "$", "JSON syntax error");
    bs_schema_problems_free(&p);
    p = expect_fail("[1]", false);
    expect_problem(&p, "$", "must be a JSON object, not an array");
    bs_schema_problems_free(&p);
}

static void test_missing_and_ill_typed_fields(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail("{\"name\":5,\"version\":\"1\"}", false);
    expect_problem(&p, "$.key", "missing required field \"key\"");
    expect_problem(&p, "$.name", "\"name\" must be a string, not an integer");
    expect_problem(&p, "$.version", "\"version\" must be an integer, not a string");
    expect_problem(&p, "$.steps", "missing required field \"steps\"");
    bs_schema_problems_free(&p);

    p = expect_fail("{\"key\":\"t\",\"name\":\"T\",\"version\":0,\"steps\":[]}", false);
    expect_problem(&p, "$.version", "must be 1 or more");
    expect_problem(&p, "$.steps", "at least one step");
    bs_schema_problems_free(&p);

    p = expect_fail(SCHEMA("{\"key\":\"a\"},"
                           "{\"key\":\"b\",\"name\":\"B\",\"stream\":\"public\",\"milestone\":\"yes\","
                           "\"duration\":{\"unit\":\"working_days\"},\"depends_on\":{\"step\":\"a\"}},"
                           "\"c\","
                           "{\"key\":\"d\",\"name\":\"D\",\"stream\":\"public\",\"duration\":5,"
                           "\"depends_on\":[\"a\",{\"type\":\"FS\"}]}"),
                    false);
    expect_problem(&p, "$.steps[0].name", "missing required field \"name\"");
    expect_problem(&p, "$.steps[0].stream", "missing required field \"stream\"");
    expect_problem(&p, "$.steps[0].duration", "missing required field \"duration\"");
    expect_problem(&p, "$.steps[1].milestone", "\"milestone\" must be a boolean, not a string");
    expect_problem(&p, "$.steps[1].duration.value", "missing required field \"value\"");
    expect_problem(&p, "$.steps[1].depends_on", "depends_on must be an array, not an object");
    expect_problem(&p, "$.steps[2]", "step must be an object, not a string");
    expect_problem(&p, "$.steps[3].duration", "duration must be an object");
    expect_problem(&p, "$.steps[3].depends_on[0]", "dependency must be an object");
    expect_problem(&p, "$.steps[3].depends_on[1].step", "missing required field \"step\"");
    bs_schema_problems_free(&p);
}

static void test_unknown_fields(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail(
        "{\"key\":\"t\",\"name\":\"T\",\"version\":1,\"colour\":1,\"steps\":["
        "{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\",\"milestone\":true,\"depend_on\":[],\"odd name\":1}]}",
        false);
    assert_int_equal(p.count, 3);
    expect_problem(&p, "$.colour", "unknown field \"colour\"");
    expect_problem(&p, "$.steps[0].depend_on", "unknown field \"depend_on\"");
    expect_problem(&p, "$.steps[0][\"odd name\"]", "unknown field \"odd name\"");
    bs_schema_problems_free(&p);
}

static void test_bad_key_syntax(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail(
        "{\"key\":\"Bad Key\",\"name\":\"T\",\"version\":1,\"steps\":[" MS("Start") "," MS("1st") "," MS(
            "ok-dash") "," MS("") "," MS("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") "]}",
        false);
    expect_problem(&p, "$.key", "invalid key \"Bad Key\": must match ^[a-z][a-z0-9_-]*$");
    expect_problem(&p, "$.steps[0].key", "invalid key \"Start\": must match ^[a-z][a-z0-9_]*$");
    expect_problem(&p, "$.steps[1].key", "invalid key \"1st\"");
    expect_problem(&p, "$.steps[2].key", "invalid key \"ok-dash\"");
    expect_problem(&p, "$.steps[3].key", "\"key\" must not be empty");
    expect_problem(&p, "$.steps[4].key", "longer than 64 characters");
    bs_schema_problems_free(&p);
}

static void test_duplicate_key(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail(SCHEMA(MS("a") "," MS("b") "," MS("a")), false);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0].path, "$.steps[2].key");
    assert_string_equal(p.items[0].message, "duplicate step key \"a\" (first used at $.steps[0])");
    bs_schema_problems_free(&p);
}

static void test_unknown_reference(void **state) {
    (void)state;
    bs_schema_problems p =
        expect_fail(SCHEMA(MS("a") ",{\"key\":\"b\",\"name\":\"B\",\"stream\":\"public\",\"milestone\":true,"
                                   "\"depends_on\":[{\"step\":\"a\"},{\"step\":\"nope\"},{\"step\":\"a\"}]}"),
                    false);
    assert_int_equal(p.count, 2);
    expect_problem(&p, "$.steps[1].depends_on[1].step", "unknown step \"nope\"");
    expect_problem(&p, "$.steps[1].depends_on[2]", "duplicate dependency on step \"a\"");
    bs_schema_problems_free(&p);
}

#define DEP(k, d)                                                                                                      \
    "{\"key\":\"" k "\",\"name\":\"" k "\",\"stream\":\"public\",\"milestone\":true,"                                  \
    "\"depends_on\":[{\"step\":\"" d "\"}]}"

static void test_cycles_named(void **state) {
    (void)state;
    /* a -> b -> c -> a; x depends on the cycle but is not on it */
    bs_schema_problems p =
        expect_fail(SCHEMA(DEP("a", "c") "," DEP("b", "a") "," DEP("c", "b") "," DEP("x", "c")), false);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0].path, "$.steps[0].depends_on[0]");
    assert_string_equal(p.items[0].message, "cycle: a -> b -> c -> a");
    bs_schema_problems_free(&p);
    /* a self-dependency */
    p = expect_fail(SCHEMA(MS("z") "," DEP("s", "s")), false);
    assert_int_equal(p.count, 1);
    expect_problem(&p, "$.steps[1].depends_on[0]", "cycle: s -> s");
    bs_schema_problems_free(&p);
    /* two separate cycles, each reported */
    p = expect_fail(
        SCHEMA(DEP("a", "b") "," DEP("b", "a") "," MS("m") "," DEP("c", "e") "," DEP("d", "c") "," DEP("e", "d")),
        false);
    assert_int_equal(p.count, 2);
    assert_string_equal(p.items[0].message, "cycle: a -> b -> a");
    assert_string_equal(p.items[0].path, "$.steps[0].depends_on[0]");
    assert_string_equal(p.items[1].message, "cycle: c -> d -> e -> c");
    assert_string_equal(p.items[1].path, "$.steps[3].depends_on[0]");
    bs_schema_problems_free(&p);
    /* two cycles through one step */
    p = expect_fail(SCHEMA("{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\",\"milestone\":true,"
                           "\"depends_on\":[{\"step\":\"b\"},{\"step\":\"c\"}]}," DEP("b", "a") "," DEP("c", "a")),
                    false);
    assert_int_equal(p.count, 2);
    expect_problem(&p, "$.steps[0].depends_on[0]", "cycle: a -> b -> a");
    expect_problem(&p, "$.steps[0].depends_on[1]", "cycle: a -> c -> a");
    bs_schema_problems_free(&p);
}

/* A long cycle is named by its start, a cut middle and its length. */
static void test_long_cycle_message(void **state) {
    (void)state;
    enum { N = 200 };
    char *json = malloc(N * 128 + 128);
    assert_non_null(json);
    size_t m = (size_t)sprintf(json, "{\"key\":\"t\",\"name\":\"T\",\"version\":1,\"steps\":[");
    for (int i = 0; i < N; i++)
        m += (size_t)sprintf(json + m,
                             "%s{\"key\":\"step_%03d\",\"name\":\"S\",\"stream\":\"public\",\"milestone\":true,"
                             "\"depends_on\":[{\"step\":\"step_%03d\"}]}",
                             i ? "," : "", i, (i + N - 1) % N);
    sprintf(json + m, "]}");
    bs_schema_problems p = expect_fail(json, false);
    assert_int_equal(p.count, 1);
    assert_string_equal(p.items[0].path, "$.steps[0].depends_on[0]");
    assert_non_null(strstr(p.items[0].message, "cycle: step_000 -> step_001 -> step_002 -> "));
    assert_non_null(strstr(p.items[0].message, " -> ... -> step_000 (200 steps)"));
    assert_true(strlen(p.items[0].message) < 512);
    bs_schema_problems_free(&p);
    free(json);
}

static void test_durations(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail(
        SCHEMA(
            "{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\",\"duration\":{\"value\":-5,\"unit\":\"working_days\"}},"
            "{\"key\":\"b\",\"name\":\"B\",\"stream\":\"public\",\"duration\":{\"value\":5,\"unit\":\"weeks\"}},"
            "{\"key\":\"c\",\"name\":\"C\",\"stream\":\"public\",\"milestone\":true,"
            "\"duration\":{\"value\":3,\"unit\":\"working_days\"}},"
            "{\"key\":\"d\",\"name\":\"D\",\"stream\":\"public\",\"statutory\":true,"
            "\"duration\":{\"value\":42,\"unit\":\"working_days\"}},"
            "{\"key\":\"e\",\"name\":\"E\",\"stream\":\"public\",\"duration\":{\"value\":2.5,\"unit\":\"working_days\"}},"
            "{\"key\":\"f\",\"name\":\"F\",\"stream\":\"public\",\"duration\":{\"value\":99999,\"unit\":\"working_days\"}},"
            "{\"key\":\"g\",\"name\":\"G\",\"stream\":\"public\",\"milestone\":true,"
            "\"depends_on\":[{\"step\":\"a\",\"lag\":{\"value\":1,\"unit\":\"hours\"}}]}"),
        false);
    assert_int_equal(p.count, 7);
    expect_problem(&p, "$.steps[0].duration.value", "negative duration -5");
    expect_problem(&p, "$.steps[1].duration.unit", "unknown unit \"weeks\" (expected working_days or calendar_days)");
    expect_problem(&p, "$.steps[2].duration.value", "a milestone has duration 0, not 3");
    expect_problem(&p, "$.steps[3].duration.unit", "a statutory term counts in calendar_days");
    expect_problem(&p, "$.steps[4].duration.value", "must be an integer number of days, not a real number");
    expect_problem(&p, "$.steps[5].duration.value", "out of range");
    expect_problem(&p, "$.steps[6].depends_on[0].lag.unit", "unknown unit \"hours\"");
    bs_schema_problems_free(&p);
}

static void test_link_types(void **state) {
    (void)state;
    const char *json =
        SCHEMA(MS("a") ",{\"key\":\"b\",\"name\":\"B\",\"stream\":\"public\",\"milestone\":true,"
                       "\"depends_on\":[{\"step\":\"a\",\"type\":\"XS\"},{\"step\":\"a\",\"type\":\"SS\"},"
                       "{\"step\":\"a\",\"type\":7},{\"step\":\"a\"}]}");
    bs_schema_problems p = expect_fail(json, false);
    assert_int_equal(p.count, 3);
    expect_problem(&p, "$.steps[1].depends_on[0].type", "unknown link type \"XS\" (expected FS, SS, FF or SF)");
    assert_string_equal(p.items[1].path, "$.steps[1].depends_on[1].type");
    assert_string_equal(p.items[1].message, "link type SS is not supported yet; only FS");
    expect_problem(&p, "$.steps[1].depends_on[2].type", "\"type\" must be a string, not an integer");
    bs_schema_problems_free(&p);
    /* with all types allowed only the unknown and ill-typed ones remain */
    p = expect_fail(json, true);
    assert_int_equal(p.count, 2);
    expect_problem(&p, "$.steps[1].depends_on[0].type", "unknown link type \"XS\"");
    bs_schema_problems_free(&p);
}

static void test_stream_phase_optional(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail(
        SCHEMA("{\"key\":\"a\",\"name\":\"A\",\"stream\":\"gemeente\",\"milestone\":true,\"phase\":\"bouw\"},"
               "{\"key\":\"b\",\"name\":\"B\",\"stream\":\"public\",\"milestone\":true,\"optional\":true},"
               "{\"key\":\"c\",\"name\":\"C\",\"stream\":\"public\",\"milestone\":true,\"optional\":true,"
               "\"applies_to\":{\"planstatus\":[\"1B\",\"5X\",\"1b\",\"1B\"]}},"
               "{\"key\":\"d\",\"name\":\"D\",\"stream\":\"public\",\"milestone\":true,"
               "\"applies_to\":{\"planstatus\":[\"1B\"]}},"
               "{\"key\":\"e\",\"name\":\"E\",\"stream\":\"public\",\"milestone\":true,\"optional\":true,"
               "\"applies_to\":{\"planstatus\":[]}}"),
        false);
    expect_problem(&p, "$.steps[0].stream", "unknown stream \"gemeente\" (expected public or private)");
    expect_problem(&p, "$.steps[0].phase", "unknown phase \"bouw\"");
    expect_problem(&p, "$.steps[1].applies_to", "optional step without applies_to");
    expect_problem(&p, "$.steps[2].applies_to.planstatus[1]", "unknown planstatus code \"5X\"");
    expect_problem(&p, "$.steps[2].applies_to.planstatus[2]", "unknown planstatus code \"1b\"");
    expect_problem(&p, "$.steps[2].applies_to.planstatus[3]", "planstatus code \"1B\" listed twice");
    expect_problem(&p, "$.steps[3].applies_to", "only allowed on a step with \"optional\": true");
    expect_problem(&p, "$.steps[4].applies_to.planstatus", "at least one planstatus code");
    assert_int_equal(p.count, 8);
    bs_schema_problems_free(&p);
}

static void test_optional_step_loads(void **state) {
    (void)state;
    bs_schema_problems p;
    bs_schema *s = load_str(SCHEMA(MS("a") ",{\"key\":\"u\",\"name\":\"U\",\"stream\":\"public\",\"optional\":true,"
                                           "\"applies_to\":{\"planstatus\":[\"1B\",\"onbekend\"]},"
                                           "\"duration\":{\"value\":10,\"unit\":\"working_days\"}}"),
                            false, &p);
    assert_non_null(s);
    assert_true(s->steps[1].optional);
    assert_string_equal(s->steps[1].applies_to_planstatus[0], "1B");
    assert_string_equal(s->steps[1].applies_to_planstatus[1], "onbekend");
    assert_null(s->steps[1].applies_to_planstatus[2]);
    assert_true(bs_schema_step_applies(s, 1, "1B"));
    assert_true(bs_schema_step_applies(s, 1, "onbekend"));
    assert_false(bs_schema_step_applies(s, 1, "1A"));
    assert_false(bs_schema_step_applies(s, 1, "1b"));
    bs_schema_free(s);
    bs_schema_problems_free(&p);
}

/* Many problems at once, in document order (top level first, then per step). */
static void test_many_problems_at_once(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail(
        "{\"key\":\"t\",\"name\":\"T\",\"steps\":["
        "{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\",\"milestone\":true,\"depends_on\":[{\"step\":\"c\"}]},"
        "{\"key\":\"b\",\"name\":\"B\",\"stream\":\"private\",\"duration\":{\"value\":-3,\"unit\":\"working_days\"},"
        "\"depends_on\":[{\"step\":\"a\"},{\"step\":\"zz\"}]},"
        "{\"key\":\"c\",\"name\":\"C\",\"stream\":\"public\",\"duration\":{\"value\":5,\"unit\":\"weeks\"},"
        "\"depends_on\":[{\"step\":\"b\",\"type\":\"SS\"}]},"
        "{\"key\":\"b\",\"stream\":\"public\",\"milestone\":true}],"
        "\"version\":1.5}",
        false);
    assert_int_equal(p.count, 8);
    const char *const paths[] = {
        "$.version",                /* top level first, though written last */
        "$.steps[0].depends_on[0]", /* cycle a -> b -> c -> a */
        "$.steps[1].duration.value",
        "$.steps[1].depends_on[1].step",
        "$.steps[2].duration.unit",
        "$.steps[2].depends_on[0].type",
        "$.steps[3].key",
        "$.steps[3].name",
    };
    for (size_t i = 0; i < p.count; i++) assert_string_equal(p.items[i].path, paths[i]);
    assert_string_equal(p.items[1].message, "cycle: a -> b -> c -> a");
    bs_schema_problems_free(&p);
    bs_schema_problems_free(&p); /* idempotent */
}

/* Long and odd strings in messages are escaped and cut, and stay on one line. */
static void test_messages_one_line(void **state) {
    (void)state;
    bs_schema_problems p = expect_fail(
        SCHEMA("{\"key\":\"a\",\"name\":\"A\",\"stream\":\"public\",\"milestone\":true,\"depends_on\":[{\"step\":"
               "\"line\\nbreak \\\"quoted\\\" ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé\"}]}"),
        false);
    assert_int_equal(p.count, 1);
    assert_null(strchr(p.items[0].message, '\n'));
    assert_non_null(strstr(p.items[0].message, "unknown step \"line\\u000abreak \\\"quoted\\\" é"));
    assert_non_null(strstr(p.items[0].message, "...\""));
    bs_schema_problems_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ppm_loads),
        cmocka_unit_test(test_ppm_steps_are_well_formed),
        cmocka_unit_test(test_ppm_dependencies),
        cmocka_unit_test(test_ppm_topo_and_adjacency),
        cmocka_unit_test(test_ppm_critical_path_is_realistic),
        cmocka_unit_test(test_minimal_schema_and_defaults),
        cmocka_unit_test(test_topological_order),
        cmocka_unit_test(test_all_link_types_when_allowed),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_syntax_error_line_column),
        cmocka_unit_test(test_missing_and_ill_typed_fields),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_bad_key_syntax),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_unknown_reference),
        cmocka_unit_test(test_cycles_named),
        cmocka_unit_test(test_long_cycle_message),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_link_types),
        cmocka_unit_test(test_stream_phase_optional),
        cmocka_unit_test(test_optional_step_loads),
        cmocka_unit_test(test_many_problems_at_once),
        cmocka_unit_test(test_messages_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
