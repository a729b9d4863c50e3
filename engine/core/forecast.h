/*
 * Bouwstroom engine core: Monte Carlo forecast of a project (docs/forecasting.md §5).
 *
 * Pure: no I/O, no clock, no globals; the PRNG state is an argument. Each sample draws a
 * duration for every unfinished step from its lead-time distribution (open steps: T; started
 * steps: T conditional on T > elapsed, the conditional remaining time), rounds it up to whole
 * days in the step's unit, and computes the critical-path schedule with bs_schedule_compute on a
 * shallow copy of the schema (so every link type, calendar rule, actual and the data date are
 * handled exactly as in the live schedule). Quantiles over samples are order statistics (the
 * inverse empirical distribution function, R's quantile type 1: the ceil(p·n)-th smallest).
 */
#ifndef BS_FORECAST_H
#define BS_FORECAST_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "estimate.h"
#include "rng.h"
#include "schedule.h"
#include "schema.h"

#define BS_FORECAST_DEFAULT_SAMPLES 2000
#define BS_FORECAST_MAX_SAMPLES 100000

/* Optional scheduling hook: computes the schedule of one sample. `sampled` is a shallow copy of
 * the input schema whose steps carry the sampled durations (in their units); the hook must not
 * keep it. progress_date (the date up to which the facts are known; BS_DAY_NONE = data_date)
 * and data_date are passed as bs_schedule_input takes them (docs/scheduling.md §5).
 * NULL = bs_schedule_compute_ws with the input's overrides and links (the schema's links when
 * none) in one workspace for every sample. A what-if caller
 * passes a hook that runs bs_schedule_compute_ex with its link set and overrides, so
 * the forecast follows the edited network; see docs/forecasting.md §5. */
typedef bs_schedule_err (*bs_forecast_schedule_fn)(void *ctx, const bs_schema *sampled, const bs_progress *progress,
                                                   bs_day progress_date, bs_day data_date, const bs_calendar *cal,
                                                   bs_schedule *out);

typedef struct bs_forecast_input {
    const bs_schema *schema;
    const bs_progress *progress; /* n_steps */
    bs_day progress_date;        /* facts known up to this date; remaining durations and the
                                      * elapsed time of started steps are measured up to it.
                                      * <= data_date; BS_DAY_NONE = data_date. Every caller sets
                                      * it (0 is a date) */
    bs_day data_date;            /* unfinished work is scheduled no earlier than this date */
    const bs_calendar *cal;
    const bs_ltdist *dist;            /* n_steps; used where has_dist[i] (bs_lt_model.sample) */
    const unsigned char *has_dist;    /* n_steps; 0 = keep the schema's duration (no spread) */
    int32_t n_samples;                /* 1..BS_FORECAST_MAX_SAMPLES */
    bs_forecast_schedule_fn schedule; /* NULL: bs_schedule_compute_ws; also used for the plan */
    void *schedule_ctx;
    /* Without a hook (schedule NULL): the per-step overrides (n_steps entries; NULL: none) and the
     * project's link set (links NULL: the schema's; n_links its length) as bs_schedule_input takes
     * them. Every sample is then scheduled in one workspace (bs_schedule_compute_ws): nothing is
     * allocated per sample. Ignored with a hook. */
    const bs_step_override *overrides;
    const bs_link *links;
    int32_t n_links;
    /* Optional per-sample finish days of chosen steps (the delivery milestones of a policy goal,
     * docs/homes-and-goals.md): n_keep step indexes; keep_finish (caller-owned, n_keep *
     * n_samples entries) receives the finish day of step keep_steps[k] in sample s at
     * [k * n_samples + s] (calendar day; BS_DAY_NONE when the step is skipped). n_keep 0 /
     * NULL: not written. An index outside the schema is EUNSUPPORTED. */
    const int32_t *keep_steps;
    int32_t n_keep;
    bs_day *keep_finish;
} bs_forecast_input;

typedef struct bs_forecast_step {
    bs_day planned;     /* finish of the deterministic schedule with the schema durations (BS_DAY_NONE: n/a) */
    bs_day p50, p80;    /* finish date quantiles over the samples (BS_DAY_NONE when no sample has one) */
    double criticality; /* share of samples in which the step is critical (0..1) */
} bs_forecast_step;

typedef struct bs_forecast {
    int32_t n_steps, n_samples;
    bs_forecast_step *steps;                                   /* owned; n_steps */
    bs_day completion_planned, completion_p50, completion_p80; /* project finish */
} bs_forecast;

/* Runs the forecast. rng: advanced by the draws (seed it with bs_rng_seed for reproducible
 * results: the same seed and inputs give the same forecast). Returns a bs_schedule_err
 * (BS_SCHEDULE_ENOMEM, ERANGE, EUNSUPPORTED from the scheduler; EUNSUPPORTED also for a bad
 * n_samples). out: free with bs_forecast_free. */
int bs_forecast_compute(const bs_forecast_input *in, bs_rng *rng, bs_forecast *out);

/* Frees the step array (the struct is the caller's; NULL is fine). */
void bs_forecast_free(bs_forecast *f);

/* The forecast's P50 and P80 of finish days: R's quantile type 1 (the ceil(p·m)-th smallest) over
 * the m valid days (not BS_DAY_NONE) among v[0..n) (calendar days). Reorders v in place (the valid
 * days compacted to the front, in no particular order). Both BS_DAY_NONE when no day is valid.
 * By selection (Hoare's FIND with a three-way partition), not by sorting: linear in n expected,
 * n log n at worst, no allocation. Used by the forecast itself and by the forecast sweep
 * (engine/runtime/forecast_sweep.c) on delivery samples. */
void bs_forecast_day_quantiles(bs_day *v, int32_t n, bs_day *p50, bs_day *p80);

/* Shift of a what-if forecast against the base forecast of the same project (computed with
 * the same seed, i.e. common random numbers): per step and for completion, p50/p80 of
 * `whatif` minus those of `base`, in calendar days (INT32_MIN where either has no date). */
typedef struct bs_forecast_shift {
    int32_t p50_days, p80_days;
} bs_forecast_shift;
/* shifts: n_steps + 1 entries (the last is the completion). Returns 0, -1 on mismatched sizes. */
int bs_forecast_diff(const bs_forecast *base, const bs_forecast *whatif, bs_forecast_shift *shifts);

#endif
