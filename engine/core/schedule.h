/*
 * Bouwstroom engine core: critical path scheduling (forward and backward pass).
 *
 * Pure: takes the schema, the project's progress, the data date and a calendar.
 * Internal time is the working-day index model (see calendar.h): a step of d working
 * days starting at boundary k occupies working days k … k+d-1 and finishes at
 * boundary k+d. FS: ES(s) >= EF(p) + lag. Output dates are inclusive civil dates
 * (issue #2 conventions, docs/scheduling.md).
 */
#ifndef BS_SCHEDULE_H
#define BS_SCHEDULE_H

#include "calendar.h"
#include "schema.h"

typedef enum bs_step_status {
    BS_STATUS_OPEN = 0,     /* not started (gepland / voorspeld) */
    BS_STATUS_STARTED,      /* actual start known, not finished */
    BS_STATUS_DONE,         /* realised (gerealiseerd) */
    BS_STATUS_SKIPPED,      /* not applicable to this project (optional step not carried) */
} bs_step_status;

/* Per-step facts of one project, indexed like schema->steps. */
typedef struct bs_progress {
    bs_step_status status;
    bs_day actual_start;    /* BS_DAY_NONE when unknown */
    bs_day actual_finish;   /* BS_DAY_NONE when unknown (or not done) */
    bool actual_estimated;  /* realised, but dates unknown (derived from planstatus) */
} bs_progress;

/* Per-step result. Dates are inclusive civil dates, BS_DAY_NONE when not applicable
 * (skipped steps; realised steps without known dates have no early/late dates). */
typedef struct bs_step_result {
    bs_day early_start, early_finish;
    bs_day late_start, late_finish;
    int32_t total_float;    /* working days; 0 for realised and skipped steps */
    bool critical;          /* total_float <= 0 and not realised/skipped */
    bool out_of_sequence;   /* realised or started while a predecessor is not realised */
    /* internal boundaries (working-day indexes), for tests and the forecast */
    int32_t es_b, ef_b, ls_b, lf_b;
} bs_step_result;

typedef struct bs_schedule {
    int32_t n_steps;
    bs_step_result *steps;  /* owned; n_steps */
    bs_day data_date;
    bs_day project_finish;  /* inclusive date of the latest early finish, BS_DAY_NONE if all done */
    int32_t n_out_of_sequence;
} bs_schedule;

typedef enum bs_schedule_err {
    BS_SCHEDULE_OK = 0,
    BS_SCHEDULE_ENOMEM,
    BS_SCHEDULE_ERANGE,       /* a date falls outside the calendar's range */
    BS_SCHEDULE_EUNSUPPORTED, /* a link type the scheduler does not support yet */
} bs_schedule_err;

/* Computes the schedule.
 * schema: validated (acyclic, topo set). progress: n_steps entries. data_date: the date up
 * to which facts are known; unfinished work starts no earlier than the first working day on
 * or after it. Realised steps with a known actual_finish keep their dates; realised steps
 * with actual_estimated constrain successors only through the data date.
 * out: filled on success (free with bs_schedule_free). Returns a bs_schedule_err. */
bs_schedule_err bs_schedule_compute(const bs_schema *schema, const bs_progress *progress,
                                    bs_day data_date, const bs_calendar *cal, bs_schedule *out);

/* Frees the step array. */
void bs_schedule_free(bs_schedule *s);

/* Human-readable text of an error code. */
const char *bs_schedule_strerror(bs_schedule_err e);

#endif
