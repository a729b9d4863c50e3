/*
 * Bouwstroom engine core: plan code lists and the initial process state of a plan.
 *
 * Pure functions over strings and the schema; no I/O.
 */
#ifndef BS_PLAN_H
#define BS_PLAN_H

#include <stdbool.h>

#include "schedule.h"
#include "schema.h"

/* National planning status code list ("planologische status", domain brief §2):
 * "1A","1B","1C","2A","2B","2C","3","4A","4B", or "onbekend". */

/* Normalises a planstatus spelling as found in provincial files ("1A Onherroepelijk",
 * "3 plan/besluit in voorbereiding", "1C onhr + wijzigingsbevoegdheid", "Status onbekend",
 * NULL, "", …) to its code. Returns a static string: one of the codes above.
 * *recognised is set false when the spelling was not understood (result "onbekend"),
 * true otherwise (including explicit "Onbekend"/"Status onbekend" and empty/NULL, which are
 * recognised as unknown). */
const char *bs_planstatus_normalise(const char *raw, bool *recognised);

/* True for a valid planstatus code (including "onbekend"). */
bool bs_planstatus_valid(const char *code);

/* Plan type code list (lower case; the categories the provincial inventories use):
 * "uitleg" (uitleggebied), "verdichting" (binnenstedelijk), "transformatie"
 * (functieverandering of offices, industry, …), "herstructurering" (sloop/nieuwbouw),
 * "onbekend".
 * Normalises a spelling; unknown spellings give "onbekend" with *recognised = false;
 * empty/NULL gives "onbekend" with *recognised = true. Returns a static string. */
const char *bs_plantype_normalise(const char *raw, bool *recognised);

/* The step key (in the ppm-woningbouw schema) up to and including which a plan with this
 * planstatus code is realised: "3" → "principeakkoord", "2A/2B/2C" → "omgevingsplan_vastgesteld",
 * "1A/1B/1C" → "omgevingsplan_onherroepelijk"; NULL for 4A, 4B and onbekend. */
const char *bs_planstatus_realised_through(const char *code);

/* Initial progress of a plan imported with planstatus code (issue #2 §7):
 * every step that does not apply (optional and not carried) is SKIPPED; the step named by
 * bs_planstatus_realised_through and every transitive predecessor of it (either stream)
 * is DONE with actual_estimated = true and no dates; all else OPEN.
 * progress: schema->n_steps entries, written. Returns 0, or -1 when the realised-through
 * step is not in the schema. */
int bs_plan_initial_progress(const bs_schema *schema, const char *planstatus_code, bs_progress *progress);

#endif
