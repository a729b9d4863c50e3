/*
 * Bouwstroom adapter: import of a project list from an Excel workbook.
 *
 * The template (docs/exchange.md): one sheet, a header row (the first row with any value),
 * then one project per row. Columns are recognised by their header, English or Dutch, in any
 * order and any case. Every row is validated and every problem reported (row number as Excel
 * shows it, column letter, header, field, the value, what is wrong); when there is any
 * problem nothing is imported, otherwise all rows are written in one transaction, idempotent
 * on (source, source_key) like the EIB import (eib_import.h), with their initial process
 * state and schedule.
 */
#ifndef BS_XLSX_PROJECTS_H
#define BS_XLSX_PROJECTS_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

#include "calendar.h"
#include "engine.h"
#include "schema.h"
#include "store.h"

/* Data rows one workbook may carry, and row errors reported in full (the rest are counted). */
#define BS_XLSX_PROJECTS_MAX_ROWS 50000
#define BS_XLSX_PROJECTS_MAX_ERRORS 1000

typedef struct bs_xlsx_projects_options {
    const char *source; /* projects.source tag; NULL → "xlsx" */
    const char *sheet;  /* sheet name; NULL → the first sheet */
    bs_day today;       /* civil date (Europe/Amsterdam) of the import: the peildatum of rows
                         * without one, and the latest peildatum allowed */
    const char *actor;  /* who imports, for the audit log (JSON, bs_store_begin_as); NULL = system */
    /* the plusveld definitions (import_plusvelden.h, BS_IMPORT_PV_DEFS's JSON; borrowed) the
     * columns "plusveld:<key>" are checked against; NULL: none (every such value is refused).
     * bs_xlsx_projects_import loads them itself. */
    const json_t *plusveld_definitions;
} bs_xlsx_projects_options;

/* Reads and validates the workbook in data (len bytes) against the template. Pure apart
 * from memory: no database, no files. schema: the process schema the projects get
 * (ppm-woningbouw); cal: the working-day calendar of their schedules.
 *
 * Returns 0 when every row is valid: *records (owned by the caller) is a JSON array of
 * project records for bs_projects_upsert_sql (source_key, the projects columns,
 * confidentiality, steps, planned_completion). Returns -1 otherwise; *records is NULL.
 * Either way *report (owned by the caller) is the result document:
 *   {"ok": bool, "stage": "validation" | "file", "sheet": name|null, "rows": data rows read,
 *    "error_count": n, "errors": [{"row": 7, "column": "D", "header": "Planstatus",
 *    "field": "planstatus", "value": "5X", "message": "…"}, …] (at most
 *    BS_XLSX_PROJECTS_MAX_ERRORS; row/column/header/field/value null where they do not apply)}
 * A file that cannot be read (not an .xlsx, no such sheet, malformed XML, a limit) gives
 * stage "file" and one error with the reader's message.
 * A workbook of the Excel export (sheets Plannen and DetailPlanning, the sheet to read being
 * Plannen) is read in that format instead: "format" is "planmonitor" (else "template"), each
 * error also names its "sheet", and the records also carry "id" (the plan_id) and the price
 * ranges of the price classes (docs/exchange.md "Planmonitor workbooks").
 * A template column headed "plusveld:<key>" carries the values of that plusveld
 * (docs/homes-and-goals.md): each checked against opt->plusveld_definitions, a bad one a row
 * error with field "plusvelden.<key>"; the records carry the checked values ("plusvelden").
 * A sheet named "Woningblokken" (template format only; xlsx_blocks.h) gives the projects their
 * blocks: each checked with the blocks API's rules (milestones: those of schema), a bad one an
 * error with "sheet" "Woningblokken" and field "blocks.<member>", a key without a project row
 * an error with field "source_key"; a record with blocks carries them ("blocks") and its counts
 * derived from them (bs_import_blocks_derive); the report then has "block_rows". The sheet's
 * "plusveld:<key>" cells are checked against the block definitions of the project's owner (a
 * bad one an error of the sheet with field "blocks.plusvelden.<key>") and carried beside the
 * blocks ("blocks"."plusvelden", bs_import_plan_block_plusvelden). */
int bs_xlsx_projects_parse(const void *data, size_t len, const bs_schema *schema, const bs_calendar *cal,
                           const bs_xlsx_projects_options *opt, json_t **records, json_t **report);

/* Receives the result document (owned by the callee: json_decref it). Shapes: those of
 * bs_xlsx_projects_parse when validation failed; on success
 *   {"ok": true, "sheet", "source", "rows", "inserted", "updated", "unchanged",
 *    "warnings": ["…"]}
 * and on a database failure {"ok": false, "stage": "database", "errors": [{"message"}]}
 * (the transaction was rolled back: nothing imported). */
typedef void (*bs_xlsx_projects_cb)(json_t *result, void *arg);

/* Imports the workbook in data (len bytes, copied: may be freed after the call) as projects
 * of the schema "ppm-woningbouw": parse and validation on the libuv thread pool, then one
 * transaction on the store (upsert, initial steps). The column projects.confidentiality is
 * written for new projects. opt->source and opt->sheet are copied. cb runs on the loop. */
void bs_xlsx_projects_import(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const void *data, size_t len,
                             const bs_xlsx_projects_options *opt, bs_xlsx_projects_cb cb, void *arg);

#endif
