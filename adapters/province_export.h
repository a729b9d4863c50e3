/*
 * Bouwstroom adapter: province exports of the plans (domain brief §5 and §7).
 *
 * Pure: takes plan records, the dated configuration (province_config.h) and the reference
 * date; no I/O, no clock. The builder computes, per plan in the export's scope, the quality
 * checks and the per-year counts in the Planmonitor Wonen column pattern
 * {eengezins|meergezins|onbekend}_{koop1..4|koop_onb|huur1..4|huur_onb|onbekend} and the same
 * with prefix sloop_ — from the plan's woningblokken when it has some, else from its plan counts —;
 * the writers turn the result into text (GeoJSON, CSV) in memory, so the
 * CLI writes files and the API can send the same bytes. The Excel writer is province_xlsx.h.
 * Rules (spreading, the joint split, price classes, counts from blocks, checks): docs/exports.md.
 */
#ifndef BS_PROVINCE_EXPORT_H
#define BS_PROVINCE_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "province_config.h"

/* Count fields of a plan record; BS_EXPORT_MISSING = SQL NULL / absent. */
#define BS_EXPORT_MISSING INT64_MIN
typedef enum bs_plan_count {
    BS_PC_HOMES_REMAINING,    /* Aantalrest */
    BS_PC_DEMOLITION,         /* Sloop as stored: <= 0 (demolition written negative) */
    BS_PC_C2019,              /* completions per period: OP2019 */
    BS_PC_C2020_2024,         /* OP202024 */
    BS_PC_C2025_2029,         /* Op202529 */
    BS_PC_C2030_2050,         /* Op20302050 */
    BS_PC_CUNKNOWN,           /* OPLONB: period unknown */
    BS_PC_TYPE_GRONDGEBONDEN, /* WTYPGGB → eengezins */
    BS_PC_TYPE_APPARTEMENT,   /* WTYPAPP → meergezins */
    BS_PC_TYPE_ONBEKEND,      /* WTYPONB */
    BS_PC_TENURE_KOOP,        /* KOOP */
    BS_PC_TENURE_HUUR,        /* HUUR */
    BS_PC_TENURE_ONBEKEND,    /* HRKPONB */
    BS_PC_KOOP_PRICE_MIN,     /* purchase price range of the koop homes, cents (optional) */
    BS_PC_KOOP_PRICE_MAX,
    BS_PC_HUUR_RENT_MIN, /* monthly rent range of the huur homes, cents (optional) */
    BS_PC_HUUR_RENT_MAX,
    BS_PC_COUNT
} bs_plan_count;

/* JSON member name of a count field (the projects column name, e.g. "completions_2019"). */
const char *bs_plan_count_name(bs_plan_count c);

/* One plan record (a row of table projects). Strings NULL = missing. */
typedef struct bs_export_plan {
    char *id, *source_key, *name, *gemeente, *provincie, *plantype, *planstatus; /* owned */
    char *confidentiality; /* owned; a code of projects.confidentiality */
    char *progress_date;   /* owned; YYYY-MM-DD */
    char *geometry_crs;    /* owned; e.g. "EPSG:28992" */
    json_t *geometry;      /* owned reference; NULL = none */
    int64_t count[BS_PC_COUNT];
    json_t *plusvelden; /* owned reference: the current plusveld values, key → value; NULL = none */
    json_t *blocks;     /* owned reference: the project's woningblokken, a JSON array of the objects of
                           BS_EXPORT_PLAN_BLOCKS; NULL or [] = none (the counts come from count[]) */
} bs_export_plan;

/* The projects columns a plan record is selected with ("SELECT " BS_EXPORT_PLAN_COLUMNS
 * " FROM projects p …", then json_agg of the rows): the CLI and the API use this list. */
#define BS_EXPORT_PLAN_COLUMNS                                                                                         \
    "p.id, p.source_key, p.name, p.gemeente, p.provincie, p.plantype, p.planstatus, p.confidentiality, "               \
    "p.progress_date, p.geometry, p.geometry_crs, p.homes_remaining, p.demolition, p.completions_2019, "               \
    "p.completions_2020_2024, p.completions_2025_2029, p.completions_2030_2050, p.completions_unknown, "               \
    "p.type_grondgebonden, p.type_appartement, p.type_onbekend, p.tenure_koop, p.tenure_huur, "                        \
    "p.tenure_onbekend, p.koop_price_min_cents, p.koop_price_max_cents, p.huur_rent_min_cents, "                       \
    "p.huur_rent_max_cents"

/* The plan records' woningblokken (docs/blocks.md), appended to BS_EXPORT_PLAN_COLUMNS: a JSON array
 * (NULL when the project has none), oldest block first, of objects {homes, kind, home_type, tenure,
 * price_class, correction, period_from, period_to, spread_homes, plusvelden}: spread_homes the
 * block's homes per year of its spread ([[year, homes], …] by bs_block_spread_homes, migration
 * 0037, the one copy of that rule; NULL without a spread), plusvelden the block's current plusveld
 * values that are not retired (only the public ones where the SQL boolean public_only holds), as
 * BS_EXPORT_PLAN_PLUSVELDEN. The export derives the per-year counts from them (docs/exports.md
 * §4.6). */
#define BS_EXPORT_PLAN_BLOCKS(public_only)                                                                             \
    "(SELECT json_agg(json_build_object('homes', b.homes, 'kind', b.kind, 'home_type', b.home_type, 'tenure', "        \
    "b.tenure, 'price_class', b.price_class, 'correction', b.correction, 'period_from', b.period_from, 'period_to', "  \
    "b.period_to, 'spread_homes', (SELECT json_agg(json_build_array(s.year, s.homes) ORDER BY s.year) "                \
    "FROM bs_block_spread_homes(b.homes, b.spread) s WHERE b.spread IS NOT NULL), 'plusvelden', "                      \
    "bs_plusvelden_values(p.id, b.id, NULL, " public_only ")) ORDER BY b.created_at, b.id) "                           \
    "FROM project_blocks b WHERE b.project_id = p.id) AS blocks"

/* The plan records' plusvelden (docs/homes-and-goals.md), appended to BS_EXPORT_PLAN_COLUMNS:
 * the current values of the plan's plusvelden that are not retired; only the public ones
 * where the SQL boolean public_only holds (a caller who sees the plan as public facts). */
#define BS_EXPORT_PLAN_PLUSVELDEN(public_only) "bs_plusvelden_values(p.id, NULL, NULL, " public_only ") AS plusvelden"

/* Parses plan records from a JSON array of objects whose members are the projects column
 * names (id, source_key, name, gemeente, provincie, plantype, planstatus, confidentiality,
 * progress_date, geometry, geometry_crs and the count names of bs_plan_count_name); absent or
 * null members are missing values. Used for the database rows (the CLI selects them as JSON)
 * and the test fixtures. Returns 0 with *plans (free with bs_export_plans_free) and *n, or
 * BS_EINVAL with the message in err (a member of the wrong type, not an array; err may be
 * NULL). */
int bs_export_plans_from_json(const json_t *array, bs_export_plan **plans, int *n, bs_err *err);

/* Frees n plan records and the array. */
void bs_export_plans_free(bs_export_plan *plans, int n);

/* Quality checks (docs/exports.md §5). A plan with any error is left out of the export. */
typedef enum bs_qc_kind {
    BS_QC_MANDATORY,       /* a mandatory value is missing */
    BS_QC_CODE_LIST,       /* a value is not in its code list */
    BS_QC_COUNTS,          /* counts do not add up (or a count is invalid) */
    BS_QC_PRICE_CLASS,     /* a price range spans two price classes (or is invalid) */
    BS_QC_CONFIDENTIALITY, /* confidentiality below what the province may see */
    BS_QC_GEOMETRY,        /* geometry missing or not in the export CRS */
    BS_QC_COUNT
} bs_qc_kind;

/* Short code of a check ("mandatory", "code_list", "counts", "price_class",
 * "confidentiality", "geometry"); static string. */
const char *bs_qc_name(bs_qc_kind k);

#define BS_EXPORT_MAX_ISSUES 24
typedef struct bs_export_issue {
    bs_qc_kind kind;
    char text[200]; /* readable: "status_planologisch: 'onbekend' is not in the code list" */
} bs_export_issue;

/* Notes on how a plan's counts were derived (bit mask). */
#define BS_NOTE_TYPE_DISCARDED 1u   /* type split had a negative value: all as type onbekend */
#define BS_NOTE_TENURE_DISCARDED 2u /* tenure split had a negative value: all as tenure onbekend */
#define BS_NOTE_PERIOD_DISCARDED 4u /* period split had a negative value: all in year onbekend */
#define BS_NOTE_JOINT_UNKNOWN 8u    /* type and tenure both mixed: tenure reported as onbekend */
#define BS_NOTE_NO_PRICE_TABLE 16u  /* no price table of the province in force: *_onb */
#define BS_NOTE_SPREAD 32u          /* a multi-year period total was spread over its years */
#define BS_NOTE_BLOCKS 64u          /* counts from the project's woningblokken (docs/exports.md §4.6) */
#define BS_NOTE_BLOCK_SPREAD 128u   /* from blocks: a period or spread block spread over years (geschat rows) */

/* Count columns: 3 types × 11 tenure/price columns (BS_EXPORT_N_CELLS), in this order:
 * eengezins_koop1 … eengezins_koop4, eengezins_koop_onb, eengezins_huur1 … eengezins_huur4,
 * eengezins_huur_onb, eengezins_onbekend, then meergezins_…, onbekend_…. */
#define BS_EXPORT_N_TENURE_COLS 11
#define BS_EXPORT_N_CELLS 33

/* Column name of cell c (0..32), without prefix ("eengezins_koop1"); static string. */
const char *bs_export_cell_name(int c);

/* First and last calendar year of the periods (2019; 2030–2050 ends in 2050). */
#define BS_EXPORT_FIRST_YEAR 2019
#define BS_EXPORT_LAST_YEAR 2050

/* One per-year detail row of a plan. */
typedef struct bs_export_row {
    int year;                         /* 2019..2050 (from blocks 1900..2200), or 0 = year unknown */
    bool estimated;                   /* the year's count comes from spreading a period total */
    int32_t build[BS_EXPORT_N_CELLS]; /* homes completed */
    int32_t sloop[BS_EXPORT_N_CELLS]; /* homes demolished (positive) */
} bs_export_row;

typedef struct bs_export_item {
    int plan;      /* index into the plans given to bs_export_build */
    bool included; /* no errors: part of the export */
    int n_issues;
    bs_export_issue issues[BS_EXPORT_MAX_ISSUES];
    unsigned notes;               /* BS_NOTE_* */
    int koop_class, huur_class;   /* 1..4, or 0 = unknown (no range, no table) */
    const bs_price_table *prices; /* table in force on the reference date, or NULL */
    bs_export_row *rows;          /* owned; years with a non-zero count, ascending, unknown last */
    int n_rows;
    bool from_blocks;          /* the counts come from the plan's blocks (§4.6), not its count[] */
    int64_t homes, demolished; /* from_blocks: homes to build (net of corrections), homes to demolish */
} bs_export_item;

typedef struct bs_export {
    const bs_export_profile *profile; /* not owned */
    const bs_province_config *config; /* not owned */
    const bs_export_plan *plans;      /* not owned: must outlive the export */
    bs_day date;                      /* reference date: selects the price tables */
    bs_export_item *items;            /* owned; plans in the profile's scope, input order */
    int n_items;
    int n_out_of_scope; /* plans of other provinces (not counted as left out) */
    int n_included, n_left_out;
    int left_out_by[BS_QC_COUNT]; /* left-out plans having at least one error of a kind */
    struct {
        int item, row;
    } * detail; /* owned; n_detail: the detail rows of included plans */
    int n_detail;
    struct {
        int item, issue;
    } * errors; /* owned; n_errors: the errors of left-out plans */
    int n_errors;
} bs_export;

/* Builds the export of plans[0..n) for profile (of config) on reference date (the day the
 * export is made; selects each province's price table in force). Pure. Returns 0 and fills
 * *out (free with bs_export_free), or -1 when out of memory. */
int bs_export_build(const bs_province_config *config, const bs_export_profile *profile, const bs_export_plan *plans,
                    int n, bs_day date, bs_export *out);

/* Frees what the export owns (items, rows, indexes; not the plans or the configuration).
 * Safe on a zeroed export. */
void bs_export_free(bs_export *ex);

/* The quality checks and count derivation of one plan (what bs_export_build does per plan):
 * from plan->blocks when it has at least one (docs/exports.md §4.6: checks per block, the
 * counts, aantal_rest and sloop from the blocks; item->from_blocks), else from plan->count
 * (§4.1–§4.5). Exposed for unit tests and the API. item->rows owned by the caller (free()); NULL
 * when the plan is left out. */
void bs_export_check_plan(const bs_province_config *config, const bs_export_profile *profile,
                          const bs_export_plan *plan, bs_day date, bs_export_item *item);

/* The spreading rule: a period total over n_years years, evenly, the remainder in the last
 * year (docs/exports.md §4.1). out[0..n_years). total >= 0, n_years >= 1. */
void bs_export_spread(int64_t total, int n_years, int64_t *out);

/* ---- tables: the rows every writer serialises ---- */

typedef enum bs_export_table_kind {
    BS_TABLE_PLANS,    /* one row per included plan: the plan properties */
    BS_TABLE_DETAIL,   /* one row per included plan and year: plan_id, objectid, jaar, geschat, counts */
    BS_TABLE_LEFT_OUT, /* one row per error of a left-out plan */
} bs_export_table_kind;

typedef enum bs_cell_kind { BS_CELL_EMPTY, BS_CELL_TEXT, BS_CELL_INT, BS_CELL_BOOL } bs_cell_kind;
typedef struct bs_cell {
    bs_cell_kind kind;
    int64_t n;     /* INT, BOOL (0/1) */
    const char *s; /* TEXT: borrowed from the export, its plans or static storage */
} bs_cell;

/* Column names of a table; returns their number. */
int bs_export_table_columns(bs_export_table_kind kind, const char *const **names);
/* The plusveld columns of the plan table (BS_TABLE_PLANS) that ex's profile maps
 * (bs_export_profile.pv_columns), after the table's own columns: their count, names receives
 * the names (the profile's). */
int bs_export_plusveld_columns(const bs_export *ex, const char *const **names);
/* Cell c of the plusveld columns of plan row r: the plan's value of the mapped plusveld — a
 * text, integer or boolean as such, a decimal as text ("%.15g"), a multi-category as its
 * values joined by "; " — or empty. Text cells point into the plan or into buf (len bytes). */
bs_cell bs_export_plusveld_cell(const bs_export *ex, int r, int c, char *buf, size_t len);

/* The block plusveld columns of the detail table (BS_TABLE_DETAIL) that ex's profile maps
 * (bs_export_profile.bpv_columns), after the table's own columns: their count, names receives the
 * names (the profile's). */
int bs_export_block_plusveld_columns(const bs_export *ex, const char *const **names);
/* Cell c of the block plusveld columns of detail row d (docs/exports.md §6): the values of the
 * mapped plusveld of the plan's blocks counted in that row's year (a spread block in its spread's
 * years, a period block in its period's, another in the unknown year; correction blocks not),
 * distinct, in block order: one value as bs_export_plusveld_cell gives it, several as text joined
 * by "; "; empty when none has a value or the plan is not counted from blocks. Text cells point
 * into the plan or into buf (len bytes). */
bs_cell bs_export_block_plusveld_cell(const bs_export *ex, int d, int c, char *buf, size_t len);

/* Number of rows of a table. */
int bs_export_table_rows(const bs_export *ex, bs_export_table_kind kind);

/* Fills cells[0..columns) with row r of the table (0 <= r < rows). buf holds the
 * formatted text cells of this row (valid until the next call with the same buf). */
#define BS_EXPORT_ROW_BUF 512
void bs_export_table_row(const bs_export *ex, bs_export_table_kind kind, int r, bs_cell *cells,
                         char buf[BS_EXPORT_ROW_BUF]);

/* ---- writers (in memory; the result is a malloc'd NUL-terminated UTF-8 text or NULL when
 * out of memory) ---- */

/* GeoJSON FeatureCollection of the included plans in RD New with a "crs" member
 * (urn:ogc:def:crs:EPSG::28992, as in the EIB file), one Feature per plan: the plan
 * properties (BS_TABLE_PLANS columns) and, when with_detail, a member "detailplanning":
 * an array of the plan's per-year rows (jaar, geschat and the 66 count columns). The
 * top level also carries "export" (profile key), "peildatum_export" (the reference date).
 * Zuid-Holland: with_detail = true; Gelderland's plan layer: false. */
char *bs_export_geojson_plans(const bs_export *ex, bool with_detail);

/* Gelderland DetailPlanning as GeoJSON: a FeatureCollection of features with
 * "geometry": null, one per BS_TABLE_DETAIL row. */
char *bs_export_geojson_detail(const bs_export *ex);

/* A table as CSV (RFC 4180: comma separated, CRLF line ends, fields with a comma, quote,
 * CR or LF quoted, quotes doubled), with a header line; booleans "true"/"false", empty
 * cells empty. */
char *bs_export_csv(const bs_export *ex, bs_export_table_kind kind);

#endif
