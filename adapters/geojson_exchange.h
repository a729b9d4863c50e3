/*
 * Bouwstroom adapter: GeoJSON exchange of projects (docs/geo.md §2) — export of the projects
 * table as a FeatureCollection in RD New (EPSG:28992, with a "crs" member as in the EIB
 * file: GeoJSON 2008 style) or in WGS84 per RFC 7946 (no "crs" member, lon/lat, rings by
 * the right-hand rule), and the import of such a file back. docs/geo.md has the format.
 *
 * One feature per project: "id" = the project's UUID (RFC 7946 §3.2), "properties" = the
 * exchange columns below with the projects table's own names, "geometry" = the stored
 * geometry converted to the file's CRS and rounded (RD 0.01 m, degrees 1e-7), or null.
 * Export → import → export of the RD form is byte-identical; through WGS84 the geometry
 * comes back within 1 cm.
 *
 * Process state (project_steps, links, history, scenarios) is not part of the exchange: an
 * imported new project starts in the initial state of its planstatus, as the EIB import
 * does; an existing one (same source + source_key) keeps its process state.
 */
#ifndef BS_GEOJSON_EXCHANGE_H
#define BS_GEOJSON_EXCHANGE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <uv.h>

#include "engine.h"
#include "err.h"
#include "geo.h"
#include "store.h"

/* Errors are the shells' currency (err.h). The export functions return 0 (BS_OK) or
 *   BS_EINTERNAL   the result lacks an exchange column (the caller's SELECT), or PROJ failed
 *   BS_EMALFORMED  a stored row is malformed (geometry not JSON, unknown geometry_crs)
 *   BS_EINVAL      a geometry could not be converted between CRSs (bs_geo_transform_geometry)
 *   BS_EIO         the output sink refused the data
 * with the message in the bs_err (may be NULL). */

/* ---- export ---- */

/* "SELECT <exchange columns> FROM projects p": the statement the export rows must come
 * from (the caller appends WHERE / ORDER BY / LIMIT, e.g. an authorisation filter or keyset
 * paging; see BS_GEOJSON_EXPORT_ORDER). Static string. Column names are the projects
 * table's; geometry comes as text. */
const char *bs_geojson_export_select(void);

/* The same select with the columns plusvelden and blocks first: the current values of the
 * project's plusvelden that are not retired (JSON text, docs/homes-and-goals.md), only those
 * flagged public where public_only_sql (an SQL boolean over the query, e.g. "a.access =
 * 'public'" or "false") holds; and the project's woningblokken (a JSON array of objects with
 * the blocks API's members homes … correction, oldest first; docs/blocks.md), NULL where the
 * project has none or public_only_sql holds. A new string (caller frees). The feature carries
 * them as the properties "plusvelden" and "blocks" when there are any. */
char *bs_geojson_export_select_plusvelden(const char *public_only_sql);

/* ORDER BY clause that gives the same order in every database (byte "C" collation; numeric
 * source keys by length first, so "9" < "10"). */
#define BS_GEOJSON_EXPORT_ORDER " ORDER BY p.source COLLATE \"C\", length(p.source_key), p.source_key COLLATE \"C\""

/* Receives output bytes; returns 0, or non-zero to stop the export (→ BS_EIO). */
typedef int (*bs_geojson_sink)(const char *data, size_t len, void *arg);

/* Builds the Feature of row `row` of res (a result of bs_geojson_export_select(); columns
 * found by name, extra columns ignored) with its geometry converted from the row's
 * geometry_crs to `crs` and rounded; rfc7946 ring order when crs is BS_CRS_WGS84.
 * *feature receives a new reference. Returns 0 or an error above; message in err. */
int bs_geojson_feature_from_row(bs_geo *geo, const PGresult *res, int row, bs_crs crs, json_t **feature, bs_err *err);

/* Streaming writer: head, then rows (any number of results, e.g. pages), then tail.
 * Output: {"type":"FeatureCollection"[,"crs":…],"features":[ one feature per line ]} with a
 * final newline; the "crs" member ("urn:ogc:def:crs:EPSG::<code>") is written for every
 * CRS except WGS84 (RFC 7946 §4 has no crs member). *n_written counts the features written
 * so far (start at 0; it decides the separators). Same returns as above. */
int bs_geojson_write_head(bs_crs crs, bs_geojson_sink sink, void *arg, bs_err *err);
int bs_geojson_write_rows(bs_geo *geo, const PGresult *res, bs_crs crs, long *n_written, bs_geojson_sink sink,
                          void *arg, bs_err *err);
int bs_geojson_write_tail(bs_geojson_sink sink, void *arg, bs_err *err);

/* ---- import ---- */

#define BS_GEOJSON_MAX_ERRORS 50

typedef struct bs_geojson_import_result {
    int read;      /* features in the file */
    int inserted;  /* new projects */
    int updated;   /* existing projects (same source + source_key) whose attributes changed */
    int unchanged; /* existing projects, nothing changed */
    int invalid;   /* features with errors (when > 0 nothing was imported) */
    char crs[16];  /* the file's CRS, e.g. "EPSG:28992" */
    int n_errors;  /* entries in errors[] (the first BS_GEOJSON_MAX_ERRORS) */
    struct {
        int feature;       /* 0-based index in "features" */
        char message[200]; /* e.g. "properties.planstatus: '5' is not a planstatus code" */
    } errors[BS_GEOJSON_MAX_ERRORS];
    /* code 0: imported. Otherwise nothing was imported: BS_EINVAL (problem "invalid_features",
     * field "body": not a FeatureCollection, unknown crs, invalid features), BS_EUNAVAILABLE
     * (the store failed), BS_EMALFORMED (bs_geojson_import_text: the body is not JSON;
     * bs_geojson_import_file: malformed file) / BS_EIO (bs_geojson_import_file: unreadable). */
    bs_err err;
} bs_geojson_import_result;

typedef void (*bs_geojson_import_cb)(const bs_geojson_import_result *result, void *arg);

/* Imports a FeatureCollection in the export format into the store, all or nothing: every
 * feature is checked first (required properties source, source_key, name, gemeente,
 * provincie, plantype and planstatus codes, progress_date; types of the others; each block of
 * the optional "blocks" array by the blocks API's rules (bs_import_block_check; the plan
 * counts are then derived from the blocks, import_blocks.h); geometry
 * structure; unique id and source + source_key in the file) and any error rejects the whole
 * file (result->invalid, errors listed); otherwise one transaction upserts by (source,
 * source_key). The CRS comes from the "crs" member (EPSG:28992, 4326, 4258 in the forms
 * bs_geo_crs_parse knows), none = WGS84 (RFC 7946 §4); geometries are stored in that CRS
 * (projects.geometry_crs), rounded as on export. A new project gets the feature's id (a
 * fresh one when absent or taken), its initial process state and planned_completion;
 * expected_period/expected_by are recomputed from the counts (bs_eib_expected_by).
 * Runs on the import pipeline (import_pipeline.h): checking, conversion and scheduling on
 * the libuv thread pool, then COPY into the staging table and set-wise statements on the
 * loop. collection: a reference is taken (the caller may drop its own at once, but must not
 * change the collection until cb has run). actor_json (may be NULL): who imports, for the
 * audit log (bs_store_begin_as). progress (may be NULL) gets progress lines. cb is called
 * once, on the loop, with result->err.code 0 on success. */
void bs_geojson_import(uv_loop_t *loop, bs_store *store, const bs_engine *engine, json_t *collection, FILE *progress,
                       const char *actor_json, bs_geojson_import_cb cb, void *arg);

/* The check of an import, pure (no store, no files, no clock): the part of bs_geojson_import
 * that runs on the thread pool before anything is stored. root is the parsed document,
 * engine has the schemas and the calendar, today is the import's civil date (a new project is
 * planned from max(progress_date, today)), settings (may be NULL) which version of a schema
 * new projects of each gemeente organisation get, {"gemeente:NAME|KEY": version} (a feature
 * without process_schema_version gets its organisation's, else the shipped one). Fills r (read, invalid, crs, n_errors/errors and,
 * when the file is refused, err: BS_EINVAL "invalid_features") and returns the records to
 * store (a new JSON array of project records, the staging columns of import_pipeline.h), or
 * NULL when the file is refused. The fuzz target tests/fuzz/fuzz_geojson.c calls it. */
json_t *bs_geojson_import_check(const bs_engine *engine, json_t *root, bs_day today, const json_t *settings,
                                bs_geojson_import_result *r);

/* The same for a request body (text, len bytes; copied): parsed on the thread pool too. JSON
 * that does not parse gives BS_EMALFORMED on field "body" with "Malformed JSON at line L,
 * column C: …" (nothing imported). */
void bs_geojson_import_text(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const char *text, size_t len,
                            FILE *progress, const char *actor_json, bs_geojson_import_cb cb, void *arg);

/* The same for a file (read and parsed on the thread pool): an unreadable file gives BS_EIO,
 * malformed JSON BS_EMALFORMED with its line and column. */
void bs_geojson_import_file(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const char *path, FILE *progress,
                            const char *actor_json, bs_geojson_import_cb cb, void *arg);

#endif
