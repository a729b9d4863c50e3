/*
 * Bouwstroom adapter: plusvelden in the project imports (the GeoJSON exchange and the Excel
 * project list; docs/homes-and-goals.md "Plusvelden").
 *
 * Before an import's pipeline runs, BS_IMPORT_PV_DEFS loads the active project definitions
 * (one query, on the loop). On the thread pool each value is checked against the definition
 * of the project's owner — of the existing project, else of the gemeente organisation that
 * will own it — with the pure validator (engine/core/plusveld.h), and the checked values go
 * into the record's "plusvelden" (a staging column, import_pipeline.h). In the import's
 * transaction bs_import_plan_plusvelden's statement appends the values that differ from the
 * current ones (versioned, audited); a definition changed or retired since the check aborts
 * the import (bs_plusveld_stale, migration 0033).
 */
#ifndef BS_IMPORT_PLUSVELDEN_H
#define BS_IMPORT_PLUSVELDEN_H

#include <jansson.h>

#include "calendar.h"
#include "err.h"
#include "import_pipeline.h"
#include "plusveld.h"
#include "store.h"

/* Loads the definitions: no parameters; one row whose column 0 is JSON text
 * {"orgs": {org id: [project definition]}, "block_orgs": {org id: [block definition]},
 * "gemeenten": {name: org id}, "projects": {source US source_key: owner org id}} (US = the
 * unit separator 0x1f), covering the organisations with an active definition. */
extern const bs_stmt BS_IMPORT_PV_DEFS;

/* The definitions (a JSON array, borrowed from defs; NULL: none) that apply to the project
 * (source, source_key) of gemeente: those of its owner when it exists in defs' "projects",
 * else those of the gemeente organisation. defs may be NULL (none loaded). */
const json_t *bs_import_pv_definitions(const json_t *defs, const char *source, const char *source_key,
                                       const char *gemeente);

/* The block definitions (a JSON array, borrowed from defs; NULL: none) of the owner of the
 * project (source, source_key) of gemeente, chosen as bs_import_pv_definitions chooses. */
const json_t *bs_import_pv_block_definitions(const json_t *defs, const char *source, const char *source_key,
                                             const char *gemeente);

/* Checks value v (JSON, borrowed; null clears) of the plusveld key against the applicable
 * definitions (bs_import_pv_definitions; may be NULL), patterns from cache (the import's own,
 * used on one thread). Returns a new {"definition_id", "version", "value"} for the record's
 * "plusvelden", or NULL with err (field "plusvelden.<key>"): unknown_field when no active
 * definition has the key, else bs_pv_check_value's problem. */
json_t *bs_import_pv_check(const json_t *defs, const char *key, json_t *v, bs_pv_cache *cache, bs_err *err);

/* Adds the statement that appends the batch's checked plusveld values (staging column
 * plusvelden) with known_from today and the importing actor as author. source: the
 * projects' source when the records do not carry it (the Excel import), else NULL. */
void bs_import_plan_plusvelden(bs_import_plan *plan, bs_day today, const char *source);

/* Adds the statement that appends the checked plusveld values of the staged blocks: the
 * record's "blocks" object carries, beside "blocks", "plusvelden": an array parallel to the
 * blocks of null or {key: bs_import_pv_check's object} (block definitions). Each value goes to
 * the stored block equal to the file's (the n-th of equal ones), when it differs from that
 * block's current value; known_from today, the importing actor as author, audited; a
 * definition changed or retired since the check aborts the import. Must run after
 * bs_import_plan_blocks' statement. source: as bs_import_plan_plusvelden. */
void bs_import_plan_block_plusvelden(bs_import_plan *plan, bs_day today, const char *source);

#endif
