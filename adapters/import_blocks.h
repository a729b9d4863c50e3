/*
 * Bouwstroom adapter: woningblokken in the project imports of the exchange (the GeoJSON
 * import's property "blocks", the Excel project list's sheet Woningblokken; docs/blocks.md
 * "Exchange", docs/geo.md, docs/exchange.md).
 *
 * On the thread pool each block is checked with the one copy of the rules (bs_block_check,
 * engine/core/block_rules.h) and completed with the table's defaults; the record's plan
 * counts are then derived from its blocks (bs_import_blocks_derive). In the import's
 * transaction the statement of bs_import_plan_blocks makes each project's blocks exactly the
 * file's (all of them, also those added through the API; a project whose blocks already equal
 * the file's is not touched). A record without blocks leaves the project's blocks alone.
 */
#ifndef BS_IMPORT_BLOCKS_H
#define BS_IMPORT_BLOCKS_H

#include <jansson.h>

#include "block_rules.h"
#include "err.h"
#include "import_pipeline.h"

/* Checks block b (JSON, borrowed) as a new block (bs_block_check; is_milestone(key, arg)
 * tells the milestones: bs_engine_is_milestone with the engine, as the blocks API). Returns a new object with all eleven members of BS_BLOCK_MEMBERS (absent ones at
 * the table's defaults: kind nieuwbouw, home_type/tenure/price_class onbekend, target_group
 * null, milestone laatste_oplevering, periods null, correction false), or NULL with err
 * (field: the member). */
json_t *bs_import_block_check(bs_block_milestone_fn is_milestone, const void *arg, const json_t *b, bs_err *err);

/* Puts the checked blocks (a JSON array of bs_import_block_check's objects, borrowed) into
 * record rec as its "blocks" member and, when there is at least one block, sets the plan
 * counts from them (the decision of docs/blocks.md "Exchange"): homes_remaining = the homes
 * of the blocks that are not sloop (correction blocks count with their negative homes);
 * type_grondgebonden / type_appartement / type_onbekend by home_type (meergezins =
 * appartement), tenure_huur / tenure_koop / tenure_onbekend by tenure, over the same blocks;
 * completions_2019, _2020_2024, _2025_2029, _2030_2050 the blocks whose period lies within
 * that range, completions_unknown the others (no period, or one across two ranges);
 * demolition minus the homes of the sloop blocks (stored negative, as the EIB file's Sloop),
 * only when there is a sloop block (else the record's demolition stays as given). */
void bs_import_blocks_derive(json_t *rec, const json_t *blocks);

/* Adds the statement that replaces the blocks of each staged project whose record has
 * blocks. source: the projects' source when the records do not carry it (the Excel import),
 * else NULL. The statement must run after the projects' upsert. */
void bs_import_plan_blocks(bs_import_plan *plan, const char *source);

#endif
