/*
 * Bouwstroom engine core: the rules of one woningblok (issue 18 item 1; docs/blocks.md), the
 * one copy every write path checks a block with — the blocks API (POST, PATCH), the GeoJSON
 * exchange import (property blocks) and the Excel project-list import (sheet Woningblokken).
 *
 * A block is a JSON object with the members of BS_BLOCK_MEMBERS. The rules are those of the
 * table project_blocks (migration 0031), checked before the store sees the block so that every
 * path names the offending member the same way. Pure: no I/O; the milestones of the loaded
 * process schemas come in through a predicate.
 */
#ifndef BS_BLOCK_RULES_H
#define BS_BLOCK_RULES_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"

/* The members of a block as the API reads and writes them, NULL-terminated: homes, kind,
 * home_type, tenure, price_class, target_group, milestone, period_from, period_to,
 * correction, spread. */
extern const char *const BS_BLOCK_MEMBERS[];
/* The code lists (NULL-terminated): kind, home_type, tenure, price_class (the province
 * classes' codes koop1..4, huur1..4 plus koop_onb, huur_onb, onbekend). */
extern const char *const BS_BLOCK_KINDS[];
extern const char *const BS_BLOCK_HOME_TYPES[];
extern const char *const BS_BLOCK_TENURES[];
extern const char *const BS_BLOCK_PRICE_CLASSES[];

/* The index of code v in list (one of the NULL-terminated lists above), or -1 when v is NULL or
 * not in it. The lists' order is fixed: callers may map the index to columns (province exports). */
int bs_block_code_index(const char *v, const char *const *list);

/* Whether key is a milestone step of a loaded process schema; arg is the caller's. */
typedef bool (*bs_block_milestone_fn)(const char *key, const void *arg);

/* Checks block doc (a JSON object). create: a whole new block (homes required; absent members
 * take the table's defaults: kind nieuwbouw, home_type/tenure/price_class onbekend, milestone
 * laatste_oplevering, correction false), else a change (PATCH: only the members present).
 * Rules: no other members; homes an integer from -1,000,000 to 1,000,000, not 0, negative only
 * in a correction block (create); correction true or false; kind, home_type, tenure,
 * price_class one of their codes; target_group a string of 1 to 200 bytes or null; milestone a
 * step key (a-z, 0-9, _; 1 to 100 bytes) for which is_milestone holds; period_from/period_to
 * an integer year 1900-2200 or null, period_to not before period_from; spread null or 1 to 100
 * entries {"year": 1900-2200, "percent": 1-100} with distinct years and percents summing to
 * exactly 100 (errors name spread, spread[i], spread[i].year, spread[i].percent); a koop price class only
 * with tenure koop and a huur class only with tenure huur (create: with the defaults; a change:
 * when both members are present — the table's constraints check the rest). Returns 0, or
 * BS_EINVAL / BS_EREQUIRED with err (may be NULL) naming the member in err->field and a message
 * that starts with the member's name. */
int bs_block_check(const json_t *doc, bool create, bs_block_milestone_fn is_milestone, const void *arg, bs_err *err);

#endif
