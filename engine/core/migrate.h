/*
 * Bouwstroom engine core: moving a project's progress from one version of its process schema
 * to another (issue 19, item 2; docs/process-schema.md "Migrating projects").
 *
 * Pure: two loaded schemas, the project's progress and edits, a step mapping; no I/O.
 */
#ifndef BS_MIGRATE_H
#define BS_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schedule.h"
#include "schema.h"
#include "whatif.h"

/* One explicit mapping entry: step `from` of the old version becomes step `to` of the new one,
 * or is dropped (to NULL). Steps without an entry map to the step with the same key. */
typedef struct bs_migrate_map {
    const char *from; /* not owned */
    const char *to;   /* not owned; NULL = the step has no counterpart */
} bs_migrate_map;

/* Why a migration is refused (bs_migrate_result.refusal). */
typedef enum bs_migrate_refusal {
    BS_MIGRATE_OK = 0,
    BS_MIGRATE_UNKNOWN_FROM, /* a mapping names a step the old version lacks (422) */
    BS_MIGRATE_UNKNOWN_TO,   /* a mapping maps onto a step the new version lacks (422) */
    BS_MIGRATE_TWICE,        /* two old steps map onto one new step (422) */
    BS_MIGRATE_LOSES_ACTUAL  /* a step with an actual date has no counterpart (409) */
} bs_migrate_refusal;

typedef struct bs_migrate_result {
    bs_progress *progress; /* owned; to->n_steps: the project's progress on the new version */
    bs_sched_edit edit;    /* owned; the project's overrides carried over, and its link set (custom
                            * links mapped; links of a step without counterpart dropped) */
    int32_t *source;       /* owned; to->n_steps: the old step carried into each new one, -1 none */
    int32_t *unmapped;     /* owned; n_unmapped old step indexes without a counterpart */
    int32_t n_unmapped;
    int32_t *realised; /* owned; n_realised new steps marked realised (estimated) by the import rule */
    int32_t n_realised;
    int32_t carried;            /* how many new steps took an old step's progress and edits */
    int32_t links_dropped;      /* custom links dropped (an end has no counterpart) */
    bs_migrate_refusal refusal; /* BS_MIGRATE_OK unless refused */
    const char *refused_step;   /* the old step key (or mapping target) the refusal names; not owned */
} bs_migrate_result;

/* Moves a project from schema `from` to schema `to`.
 * Takes both loaded schemas, the project's progress (from->n_steps), its edits on `from` (NULL:
 * none), whether the project has its own link set (custom_links: edit->links are mapped;
 * otherwise the new version's links apply), its planstatus code, and n_map mapping entries.
 * Carries each old step's status, actual dates, estimated flag and overrides (duration,
 * remaining, start-no-earlier-than, finish-no-later-than; in the step's unit) to its
 * counterpart; a step skipped because it did not apply to the planstatus is re-evaluated
 * on the new version. A new step without a counterpart is open (skipped when it does not apply
 * to the planstatus) unless it is a transitive predecessor (over any link type) of a realised
 * (done) step: then it lies wholly before the progress date and is realised with estimated
 * dates (done, actual_estimated, no dates), the rule of the import (bs_plan_initial_progress,
 * engine/core/plan.h). An old step without a counterpart is listed in unmapped; its history is
 * the caller's to keep.
 * Returns 0 with *out filled (free with bs_migrate_result_free), or -1 with out->refusal and
 * out->refused_step set (out is still freeable): a mapping naming an unknown step, two old
 * steps onto one new step, or an old step with an actual start or finish date that has no
 * counterpart (its date would be lost). */
int bs_migrate_project(const bs_schema *from, const bs_schema *to, const bs_progress *progress,
                       const bs_sched_edit *edit, bool custom_links, const char *planstatus, const bs_migrate_map *map,
                       size_t n_map, bs_migrate_result *out);

/* Frees what bs_migrate_project allocated in r (the struct is the caller's). */
void bs_migrate_result_free(bs_migrate_result *r);

#endif
