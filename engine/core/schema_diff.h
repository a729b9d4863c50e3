/*
 * Bouwstroom engine core: the difference between two versions of a process schema.
 *
 * Pure: a function of two loaded schemas (schema.h) and an explicit rename mapping; no I/O.
 * Format of the answer: docs/process-schema.md "Versions and their diff".
 */
#ifndef BS_SCHEMA_DIFF_H
#define BS_SCHEMA_DIFF_H

#include <jansson.h>
#include <stddef.h>

#include "schema.h"

/* One explicit rename: step `from` of the old schema is step `to` of the new one. */
typedef struct bs_schema_rename {
    const char *from; /* not owned */
    const char *to;   /* not owned */
} bs_schema_rename;

/* The difference from schema `from` to schema `to`.
 * Takes two loaded schemas and n_renames renames (may be 0 / NULL). A step of `from`
 * corresponds to the step of `to` it is renamed to, else to the step with the same key
 * (unless that key is the target of a rename); steps without a counterpart are removed or
 * added. Links are identified by their (corresponding) predecessor, successor and type; a
 * link whose lag changed, or whose type changed where the pair has one link on each side,
 * is "changed". Constraints compared per step: stream, milestone, statutory, optional,
 * applies_to (planstatus list).
 * Returns a new JSON object (the caller decrefs it):
 *   {"steps_added": [{key, name}], "steps_removed": [{key, name}],
 *    "steps_renamed": [{from, to}], "durations_changed": [{step, from: amount, to: amount}],
 *    "links_added": [{step, depends_on, type, lag}], "links_removed": [...],
 *    "links_changed": [{step, depends_on, from: {type, lag}, to: {type, lag}}],
 *    "constraints_changed": [{step, field, from, to}]}
 * where an amount is {value, unit}, step keys of added/changed items are those of `to`, of
 * removed ones those of `from`. Returns NULL with *problems filled (path "$.rename[i].from"
 * or ".to") when a rename names a step the schema lacks, or a step twice. The caller frees
 * problems with bs_schema_problems_free. */
json_t *bs_schema_diff(const bs_schema *from, const bs_schema *to, const bs_schema_rename *renames, size_t n_renames,
                       bs_schema_problems *problems);

#endif
