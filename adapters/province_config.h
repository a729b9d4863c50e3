/*
 * Bouwstroom adapter: the dated configuration of the province exports (docs/exports.md §6).
 *
 * Parses and validates processes/provinces/province-exports.json (format
 * "bouwstroom-province-exports/1", docs/exports.md §6): code lists, price-class tables per
 * province with their validity dates, and per export (zuid-holland, gelderland, excel) the
 * provinces it covers, its mandatory fields and the lowest confidentiality it may receive.
 * Pure: takes the file's bytes, no I/O, no clock.
 */
#ifndef BS_PROVINCE_CONFIG_H
#define BS_PROVINCE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "err.h"

#define BS_PRICE_CLASSES 4 /* koop1..4 and huur1..4 (domain brief §7) */

/* Fields the exports know; the names are the export's property names (docs/exports.md §3). */
typedef enum bs_export_field {
    BS_EF_PLAN_ID,  /* projects.id (uuid) */
    BS_EF_OBJECTID, /* projects.source_key */
    BS_EF_PLANNAAM,
    BS_EF_GEMEENTE,
    BS_EF_PROVINCIE,
    BS_EF_PLANTYPE,            /* code list "plantype" */
    BS_EF_STATUS_PLANOLOGISCH, /* code list "status_planologisch" */
    BS_EF_VERTROUWELIJKHEID,   /* code list "vertrouwelijkheid" */
    BS_EF_PEILDATUM,           /* progress_date: the date of the figures */
    BS_EF_AANTAL_REST,         /* homes_remaining */
    BS_EF_GEOMETRY,
    BS_EF_COUNT
} bs_export_field;

/* Property name of a field ("plan_id", "plannaam", …, "geometry"); static string. */
const char *bs_export_field_name(bs_export_field f);

/* Confidentiality levels from low to high audience (domain brief §2; the codes of
 * projects.confidentiality, migration 0010). Returns the rank 0 (prive) … 6 (openbaar),
 * or -1 for an unknown code or NULL. */
int bs_confidentiality_rank(const char *code);

typedef struct bs_code_list {
    char *name;    /* owned: "status_planologisch", "plantype", "vertrouwelijkheid" */
    char **values; /* owned; n_values */
    int n_values;
} bs_code_list;

/* One dated price-class table of one province. */
typedef struct bs_price_table {
    char *provincie;                            /* owned; as in projects.provincie */
    bs_day valid_from, valid_to;                /* inclusive; valid_to BS_DAY_NONE = open-ended */
    int64_t koop_lower_cents[BS_PRICE_CLASSES]; /* purchase price lower bounds, [0] = 0, ascending */
    int64_t huur_lower_cents[BS_PRICE_CLASSES]; /* monthly rent lower bounds, [0] = 0, ascending */
    char *sources;                              /* owned; the cited sources' texts joined by " | " */
} bs_price_table;

typedef struct bs_export_profile {
    char *key;        /* owned: "zuid-holland", "gelderland", "excel" */
    char *name;       /* owned */
    char **provinces; /* owned; n_provinces; "*" = every province */
    int n_provinces;
    char *crs;               /* owned: "EPSG:28992" */
    int min_confidentiality; /* rank (bs_confidentiality_rank) */
    bool mandatory[BS_EF_COUNT];
    /* the plusvelden the province asks for ("plusvelden": {column: plusveld key}; docs/exports.md):
     * extra columns of the plan table after its own, each the value of the plan's plusveld of
     * that key (owned; n_plusvelden of each, in the configuration's order) */
    char **pv_columns, **pv_keys;
    int n_plusvelden;
    /* the block plusvelden the province asks for ("block_plusvelden": {column: plusveld key};
     * docs/exports.md §6): extra columns of the detail table (DetailPlanning) after its own, each
     * the values of that plusveld of the blocks counted in the row (owned; n_block_plusvelden) */
    char **bpv_columns, **bpv_keys;
    int n_block_plusvelden;
} bs_export_profile;

typedef struct bs_province_config {
    bs_code_list *code_lists; /* owned; n_code_lists */
    int n_code_lists;
    bs_price_table *prices; /* owned; n_prices */
    int n_prices;
    bs_export_profile *exports; /* owned; n_exports */
    int n_exports;
} bs_province_config;

/* Parses and validates the configuration text (len bytes, UTF-8 JSON). Checks: the format
 * tag; every code list non-empty without duplicates, and the three the checks use present;
 * price tables: known source keys, valid dates with valid_from <= valid_to, lower bounds
 * starting at 0 and strictly ascending, no two tables of one province overlapping in time;
 * exports: known field names in mandatory, a known min_confidentiality, at least one
 * province. Returns 0 and fills *out (free with bs_province_config_free), or BS_EMALFORMED
 * (not JSON) or BS_EINVAL with every problem found in err->msg (one per line, with its JSON
 * path; err may be NULL); *out is then empty. */
int bs_province_config_parse(const char *text, size_t len, bs_province_config *out, bs_err *err);

/* Frees what the configuration holds (safe on a zeroed or failed one). */
void bs_province_config_free(bs_province_config *c);

/* The export profile with this key, or NULL. */
const bs_export_profile *bs_province_config_export(const bs_province_config *c, const char *key);

/* True when the profile covers plans of this province (exact name, or the profile has "*"). */
bool bs_export_profile_covers(const bs_export_profile *p, const char *provincie);

/* The code list with this name, or NULL. */
const bs_code_list *bs_province_config_code_list(const bs_province_config *c, const char *name);

/* True when value is in the list (exact, case-sensitive). False for NULL. */
bool bs_code_list_has(const bs_code_list *l, const char *value);

/* The price table of provincie in force on day (valid_from <= day <= valid_to), or NULL
 * when that province has none for that day. */
const bs_price_table *bs_price_table_at(const bs_province_config *c, const char *provincie, bs_day day);

/* Price class 1..4 of an amount (cents, >= 0) given ascending lower bounds; the class whose
 * lower bound is the largest one <= amount. Returns 0 for a negative amount. */
int bs_price_class_of(const int64_t lower_cents[BS_PRICE_CLASSES], int64_t amount_cents);

#endif
