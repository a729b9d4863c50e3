/*
 * Bouwstroom engine core: critical path scheduling (forward and backward pass).
 *
 * Pure: takes the schema, the project's progress, the data date and a calendar.
 * Internal time is the working-day index model (see calendar.h): a step of d working
 * days starting at boundary k occupies working days k … k+d-1 and finishes at
 * boundary k+d. FS: ES(s) >= EF(p) + lag, SS: ES(s) >= ES(p) + lag, FF: EF(s) >= EF(p) + lag,
 * SF: EF(s) >= ES(p) + lag (PMI precedence diagramming; calendar-day lags count from the
 * exact date). Output dates are inclusive civil dates (issue #2 conventions); total and free
 * float are in working days (docs/scheduling.md §3, §5, §6).
 */
#ifndef BS_SCHEDULE_H
#define BS_SCHEDULE_H

#include "calendar.h"
#include "schema.h"

typedef enum bs_step_status {
    BS_STATUS_OPEN = 0, /* not started (gepland / voorspeld) */
    BS_STATUS_STARTED,  /* actual start known, not finished */
    BS_STATUS_DONE,     /* realised (gerealiseerd) */
    BS_STATUS_SKIPPED,  /* not applicable to this project (optional step not carried) */
} bs_step_status;

/* Per-step facts of one project, indexed like schema->steps. */
typedef struct bs_progress {
    bs_step_status status;
    bs_day actual_start;   /* BS_DAY_NONE when unknown */
    bs_day actual_finish;  /* BS_DAY_NONE when unknown (or not done) */
    bool actual_estimated; /* realised, but dates unknown (derived from planstatus) */
} bs_progress;

/* Per-step result. Dates are inclusive civil dates, BS_DAY_NONE when not applicable
 * (skipped steps; realised steps without known dates have no early/late dates). */
typedef struct bs_step_result {
    bs_day early_start, early_finish;
    bs_day late_start, late_finish;
    int32_t total_float;  /* working days; 0 for realised and skipped steps */
    bool critical;        /* total_float <= 0 and not realised/skipped */
    bool out_of_sequence; /* realised or started while a predecessor is not realised */
    /* internal boundaries (working-day indexes), for tests and the forecast */
    int32_t es_b, ef_b, ls_b, lf_b;
    /* free float, near-critical, a missed deadline */
    int32_t free_float;   /* working days the step can slip without moving any successor's
                             * early dates (or the project finish); 0 for realised/skipped */
    bool near_critical;   /* 0 < total_float <= the near-critical threshold */
    bool deadline_missed; /* finish-no-later-than constraint that the early finish exceeds */
} bs_step_result;

/* A knelpunt (bottleneck): a finish-no-later-than deadline that cannot be met. */
typedef struct bs_knelpunt {
    int32_t step;         /* index into schema->steps */
    bs_day deadline;      /* inclusive: the step must finish on or before this date */
    bs_day early_finish;  /* the earliest possible finish (inclusive date) */
    int32_t overshoot_wd; /* working days by which the early finish exceeds the deadline */
} bs_knelpunt;

typedef struct bs_schedule {
    int32_t n_steps;
    bs_step_result *steps; /* owned; n_steps */
    bs_day progress_date;  /* as given (= data_date when the input left it BS_DAY_NONE) */
    bs_day data_date;
    bs_day project_finish; /* inclusive date of the latest early finish, BS_DAY_NONE if all done */
    int32_t n_out_of_sequence;
    /* near-critical threshold, critical paths, knelpunten, a cycle (filled by both entry points;
     * freed by bs_schedule_free) */
    int32_t near_critical_wd; /* the near-critical threshold used (working days) */
    int32_t n_paths;          /* critical paths: chains of critical steps, in link order */
    int32_t *path_offsets;    /* owned; n_paths + 1 offsets into path_steps */
    int32_t *path_steps;      /* owned; step indexes, path p = [offsets[p], offsets[p+1]) */
    int32_t n_knelpunten;
    bs_knelpunt *knelpunten; /* owned; n_knelpunten, in step order */
    int32_t n_cycle;         /* BS_SCHEDULE_ECYCLE only: the cycle found in the link set */
    int32_t *cycle;          /* owned; step indexes a -> b -> … (first not repeated) */
    bool common_pass;        /* computed by the common-case pass (bs_schedule_common_case);
                              * false: the general pass. The results are the same either way */
} bs_schedule;

typedef enum bs_schedule_err {
    BS_SCHEDULE_OK = 0,
    BS_SCHEDULE_ENOMEM,
    BS_SCHEDULE_ERANGE,       /* a date falls outside the calendar's range */
    BS_SCHEDULE_EUNSUPPORTED, /* (no longer returned: every link type is supported) */
    BS_SCHEDULE_ECYCLE,       /* the (edited) link set has a cycle: out->cycle names it */
    BS_SCHEDULE_EINVAL,       /* an argument is invalid (link index, negative duration, …) */
} bs_schedule_err;

/* Default near-critical threshold in working days (docs/scheduling.md §6). */
#define BS_NEAR_CRITICAL_DEFAULT_WD 10

/* Per-step overrides of one project: -1 / BS_DAY_NONE = not overridden. */
typedef struct bs_step_override {
    int32_t duration;  /* planned duration in the step's unit (working or calendar days);
                             * ignored for milestones */
    int32_t remaining; /* STARTED steps: the given remaining duration, in the step's unit,
                             * used as is (not reduced by work done); the remaining work starts
                             * at the data date or later (retained logic). 0 is treated as 1: a
                             * started step that is not done finishes no earlier than the data
                             * date. -1: derived, planned − work done by the progress date
                             * (docs/scheduling.md §5.3) */
    bs_day snet;       /* start no earlier than (inclusive date) */
    bs_day fnlt;       /* finish no later than: a deadline (inclusive date) */
} bs_step_override;

/* Everything the extended entry point needs; the schema stays untouched (per-project edits
 * come as overrides and as a replacement link set). */
typedef struct bs_schedule_input {
    const bs_schema *schema;           /* validated; its links are used unless links != NULL */
    const bs_progress *progress;       /* n_steps entries */
    const bs_step_override *overrides; /* NULL or n_steps entries */
    const bs_link *links;              /* NULL = schema->links; else the project's link set
                                     * (pred/succ index schema->steps; may contain cycles:
                                     * BS_SCHEDULE_ECYCLE) */
    int32_t n_links;
    bs_day progress_date; /* the date up to which the project's facts are known: the
                                     * work done of a started step counts from its actual start
                                     * up to this date (working or calendar days per the step's
                                     * unit; 0 when it started on or after it), and its derived
                                     * remaining duration is planned − work done, ≥ 1
                                     * (docs/scheduling.md §5.3). ≤ data_date (else
                                     * BS_SCHEDULE_EINVAL); BS_DAY_NONE = data_date. Every caller
                                     * sets it (0 is a date: ERANGE) */
    bs_day data_date;     /* open work and the remaining work of started steps start no
                                     * earlier than the first working day on or after it */
    const bs_calendar *cal;
    int32_t near_critical_wd; /* < 0: BS_NEAR_CRITICAL_DEFAULT_WD */
    bool general_pass;        /* true: always the general pass, never the common-case pass
                               * (the results are the same; the differential tests set it) */
} bs_schedule_input;

/* True when a schedule input qualifies for the common-case pass (docs/scheduling.md §6.1):
 * every step OPEN; every step that is not a milestone (and whose duration, after its
 * override, is not 0) counted in working days and not statutory; every link's lag in working
 * days (any type, any sign); no finish-no-later-than override. Start-no-earlier-than and
 * duration overrides qualify. Such a schedule is computed on working-day boundaries alone,
 * with exactly the results of the general pass (which still runs when a date would fall
 * outside the calendar, to report BS_SCHEDULE_ERANGE). Pure; reads only in. */
bool bs_schedule_common_case(const bs_schedule_input *in);

/* Computes the schedule (= bs_schedule_compute_ex without overrides, with the schema's
 * links and the default near-critical threshold).
 * schema: validated (acyclic, topo set). progress: n_steps entries. data_date: both the
 * progress date (facts known up to it) and the data date (unfinished work starts no earlier
 * than the first working day on or after it). Realised steps with a known actual_finish keep their dates; realised steps
 * with actual_estimated constrain successors only through the data date. Started steps
 * finish no earlier than the data date; out-of-sequence started steps keep retained logic.
 * Every link type is supported (BS_SCHEDULE_EUNSUPPORTED is no longer returned).
 * out: filled on success (free with bs_schedule_free). Returns a bs_schedule_err. */
bs_schedule_err bs_schedule_compute(const bs_schema *schema, const bs_progress *progress, bs_day data_date,
                                    const bs_calendar *cal, bs_schedule *out);

/* Extended entry point: all four link types (FS, SS, FF, SF) with lags in working
 * or calendar days (negative = lead), per-step overrides (duration, remaining duration,
 * start-no-earlier-than, finish-no-later-than), a per-project link set, retained logic for
 * out-of-sequence progress, total and free float (working days; a deadline that cannot be
 * met gives negative float and a knelpunt record), critical paths as ordered step lists,
 * near-critical flags. Semantics and sources: docs/scheduling.md. Pure and thread-safe (no
 * globals; reads only its inputs). Returns BS_SCHEDULE_OK (out filled),
 * BS_SCHEDULE_ECYCLE (out->cycle/n_cycle name a cycle; call bs_schedule_free),
 * BS_SCHEDULE_EINVAL, BS_SCHEDULE_ERANGE or BS_SCHEDULE_ENOMEM (out empty). */
bs_schedule_err bs_schedule_compute_ex(const bs_schedule_input *in, bs_schedule *out);

/* Reusable memory for bs_schedule_compute_ws: every array a schedule needs (results, scratch,
 * adjacency, critical paths, knelpunten), grown to the largest project seen and reused, so
 * scheduling many projects allocates nothing per project. Zero it with bs_schedule_ws_init;
 * release with bs_schedule_ws_free. One workspace per thread. */
typedef struct bs_schedule_ws {
    size_t cap_steps, cap_ints, cap_path_steps;
    bs_step_result *steps;
    void *scratch;
    int32_t *ints, *stack, *iter, *path_offsets, *path_steps, *cycle;
    bs_knelpunt *knelpunten;
} bs_schedule_ws;

/* Takes a workspace and makes it empty (no allocation). */
void bs_schedule_ws_init(bs_schedule_ws *ws);

/* Releases a workspace's memory; every schedule computed in it becomes invalid (safe twice). */
void bs_schedule_ws_free(bs_schedule_ws *ws);

/* bs_schedule_compute_ex computed in the workspace ws: the same inputs, semantics, units
 * (dates inclusive civil dates, floats in working days) and return codes, but out's arrays
 * (steps, critical paths, knelpunten, cycle) point into ws: valid until the next call with ws
 * or bs_schedule_ws_free, and never passed to bs_schedule_free. Allocates only when a project
 * is larger than any before it in ws. Pure; thread-safe with one ws per thread. */
bs_schedule_err bs_schedule_compute_ws(const bs_schedule_input *in, bs_schedule_ws *ws, bs_schedule *out);

/* Frees the step array, the critical paths, the knelpunten and the cycle (safe twice). */
void bs_schedule_free(bs_schedule *s);

/* True when the schedule has a knelpunt: some step with negative total float (a deadline
 * that cannot be met; docs/scheduling.md). The flag `projects.knelpunt` (migration 0022). */
bool bs_schedule_has_knelpunt(const bs_schedule *s);

/* Human-readable text of an error code. */
const char *bs_schedule_strerror(bs_schedule_err e);

#endif
