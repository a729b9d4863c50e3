/*
 * Bouwstroom adapter: the sheet "Woningblokken" of the Excel project-list import (issue 18
 * item 1; docs/exchange.md "Woningblokken"): one block per row, its project named by the
 * project sheet's key (source_key), its members in columns recognised by header (English or
 * Dutch). Each block is checked with the rules of the blocks API (bs_import_block_check).
 */
#ifndef BS_XLSX_BLOCKS_H
#define BS_XLSX_BLOCKS_H

#include <jansson.h>

#include "block_rules.h"
#include "err.h"
#include "xlsx_read.h"

/* The name of the blocks sheet (compared exactly). */
#define BS_XLSX_BLOCKS_SHEET "Woningblokken"

/* Most plusveld columns ("plusveld:<key>") of the blocks sheet. */
#define BS_XLSX_BLOCKS_MAX_PV 64

/* Reads sheet `sheet` of x as the blocks sheet: a header row (the first row with any value;
 * the project key column and homes required), then one block per non-blank row. Every problem
 * is appended to errors (a JSON array; at most max_errors entries, *error_count counts all) as
 * {"sheet": "Woningblokken", "row", "column", "header", "field" ("blocks.<member>", e.g.
 * "blocks.spread[1].percent", or "source_key"), "value", "message"}. The checked blocks (all
 * eleven members, bs_import_block_check; spread from the column spreiding, "2027:40;2028:60")
 * go into by_key: {source_key: {"row": first row, "blocks": [...], "plusvelden": [...],
 * "unchecked": [...]}}, in the sheet's order; "plusvelden" is parallel to "blocks": null, or the
 * block's non-blank plusveld cells (columns "plusveld:<key>") as {key: {"row", "column",
 * "header", "cell": bs_xlsx_blocks_cell_json}} — checked later against the block definitions of
 * the project's owner, who is known only from the project sheet; "unchecked" holds those cells
 * of the key's refused rows (checked too, so every bad cell is reported at once). is_milestone/arg: the milestones a block
 * may name. *rows: the data rows read. Returns the reader's status (< 0: a file error in err). */
int bs_xlsx_blocks_read(bs_xlsx *x, int sheet, bs_block_milestone_fn is_milestone, const void *arg, json_t *by_key,
                        json_t *errors, size_t max_errors, long *error_count, long *rows, bs_err *err);

/* A cell kept beyond its row callback: a new {"type", "number", "text", "date_day", "col"}. */
json_t *bs_xlsx_blocks_cell_json(const bs_xlsx_cell *cell);

/* The cell of bs_xlsx_blocks_cell_json's object j (borrowed; its text points into j). */
bs_xlsx_cell bs_xlsx_blocks_cell_from_json(const json_t *j);

#endif
