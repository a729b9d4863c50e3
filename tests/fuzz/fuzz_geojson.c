/*
 * Fuzz target: the GeoJSON imports on any bytes, parsed as the API and the CLI parse them
 * (json_loadb): the exchange import's check (adapters/geojson_exchange.c,
 * bs_geojson_import_check: every feature's properties, codes, dates, geometry structure,
 * duplicates, the initial state and schedule of each plan) and the EIB import's record of
 * every feature (adapters/eib_import.c, bs_eib_feature_record: OBJECTID, names, codes, counts,
 * datum, geometry, schedule). Invariants: a refused file names why and stores nothing; an
 * accepted one gives one record per feature, each with its required columns; the result's
 * counts add up.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "eib_import.h"
#include "fuzz.h"
#include "geojson_exchange.h"

/* Features of one input the EIB import looks at (each is scheduled: keeps runs fast). */
#define MAX_EIB_FEATURES 64

/* The integer columns of a record fit the projects table's integer columns (or are null). */
static void check_counts(const json_t *rec) {
    static const char *const counts[] = {"homes_remaining",       "demolition",
                                         "completions_2019",      "completions_2020_2024",
                                         "completions_2025_2029", "completions_2030_2050",
                                         "completions_unknown",   "type_grondgebonden",
                                         "type_appartement",      "type_onbekend",
                                         "tenure_huur",           "tenure_koop",
                                         "tenure_onbekend"};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        const json_t *v = json_object_get(rec, counts[k]);
        bs_fuzz_check(!v || json_is_null(v) ||
                      (json_is_integer(v) && json_integer_value(v) >= INT32_MIN && json_integer_value(v) <= INT32_MAX));
    }
}

static void exchange(json_t *root) {
    bs_geojson_import_result *r = bs_calloc(1, sizeof *r);
    json_t *records = bs_geojson_import_check(bs_fuzz_engine(), root, bs_fuzz_today(), NULL, r);
    bs_fuzz_check(r->n_errors >= 0 && r->n_errors <= BS_GEOJSON_MAX_ERRORS && r->invalid >= 0);
    if (!records) {
        bs_fuzz_check(r->err.code == BS_EINVAL && r->err.msg[0]);
    } else {
        bs_fuzz_check(r->err.code == BS_OK && r->invalid == 0 && r->n_errors == 0);
        bs_fuzz_check(json_is_array(records) && json_array_size(records) == (size_t)r->read);
        size_t i;
        json_t *rec;
        json_array_foreach(records, i, rec) {
            static const char *const required[] = {"source",    "source_key", "name",       "gemeente",
                                                   "provincie", "plantype",   "planstatus", "progress_date"};
            for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
                bs_fuzz_check(json_is_string(json_object_get(rec, required[k])));
            bs_fuzz_check(json_is_array(json_object_get(rec, "steps")));
            check_counts(rec);
        }
        json_decref(records);
    }
    for (int i = 0; i < r->n_errors; i++)
        bs_fuzz_check(r->errors[i].feature >= 0 && r->errors[i].feature < r->read &&
                      strlen(r->errors[i].message) < sizeof r->errors[i].message);
    free(r);
}

static void eib(json_t *root) {
    json_t *features = json_object_get(root, "features");
    if (!json_is_array(features)) return;
    const bs_engine *e = bs_fuzz_engine();
    const bs_engine_schema *es = bs_engine_schema_get(e, "ppm-woningbouw");
    bs_fuzz_check(es != NULL);
    const char *crs = bs_eib_file_crs(root);
    bs_import_result *r = bs_calloc(1, sizeof *r);
    json_t *seen = json_object();
    size_t n = json_array_size(features), made = 0;
    for (size_t i = 0; i < n && i < MAX_EIB_FEATURES; i++) {
        json_t *rec =
            bs_eib_feature_record(es->schema, &e->calendar, json_array_get(features, i), crs, seen, bs_fuzz_today(), r);
        if (!rec) continue;
        made++;
        bs_fuzz_check(json_is_string(json_object_get(rec, "source_key")) &&
                      json_is_string(json_object_get(rec, "name")) &&
                      json_is_string(json_object_get(rec, "planstatus")) &&
                      json_is_string(json_object_get(rec, "progress_date")) &&
                      json_array_size(json_object_get(rec, "steps")) == (size_t)es->schema->n_steps);
        check_counts(rec);
        json_decref(rec);
    }
    bs_fuzz_check(made + (size_t)r->rejected == (n < MAX_EIB_FEATURES ? n : MAX_EIB_FEATURES));
    bs_fuzz_check(r->n_kinds >= 0 && r->n_kinds <= BS_IMPORT_MAX_WARNING_KINDS);
    for (int k = 0; k < r->n_kinds; k++)
        bs_fuzz_check(r->warnings[k].kind && r->warnings[k].count > 0 &&
                      strlen(r->warnings[k].example) < sizeof r->warnings[k].example);
    json_decref(seen);
    free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, size, 0, &jerr);
    if (!root) return 0;
    exchange(root);
    eib(root);
    json_decref(root);
    return 0;
}
