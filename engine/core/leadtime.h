/*
 * Bouwstroom engine core: lead-time observations, the reference history and the shrunk
 * per-group lead-time model (docs/forecasting.md §1–§4). Pure: no I/O, no clock, no globals.
 *
 * Units: every duration is in its step's own unit (working days for working-day steps,
 * calendar days for calendar-day steps, as in the process schema).
 */
#ifndef BS_LEADTIME_H
#define BS_LEADTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "estimate.h"
#include "rng.h"
#include "schedule.h"
#include "schema.h"

/* Project size classes by homes still to build (docs/forecasting.md §1). */
typedef enum bs_size_class {
    BS_SIZE_1_10 = 0,
    BS_SIZE_11_50,
    BS_SIZE_51_200,
    BS_SIZE_OVER_200,
    BS_SIZE_UNKNOWN, /* 0 or unknown */
    BS_SIZE_N
} bs_size_class;

/* homes_remaining < 0 means unknown. 0 → onbekend. */
bs_size_class bs_size_class_of(int64_t homes_remaining);
/* "1-10", "11-50", "51-200", ">200", "onbekend". */
const char *bs_size_class_name(bs_size_class c);
/* Parses a name as above; -1 when unknown. */
int bs_size_class_parse(const char *s);

/* One duration observation with its covariates. Strings are borrowed (not owned). */
typedef struct bs_lt_obs {
    int32_t step;        /* schema step index */
    double time;         /* > 0, in the step's unit */
    unsigned char event; /* 1 finished, 0 still running (right-censored at the data date) */
    bs_size_class size;
    int32_t start_year;
    const char *gemeente, *provincie, *plantype; /* borrowed; may be NULL */
} bs_lt_obs;

typedef struct bs_lt_counts {
    int64_t events;    /* realised with known start and finish */
    int64_t censored;  /* running: censored at the project's data date */
    int64_t skipped;   /* skipped (not carried) / cancelled: counted, not used */
    int64_t estimated; /* realised with estimated dates (from the planstatus): not used */
    int64_t unusable;  /* started without a known start, finish before start, start after the data date */
} bs_lt_counts;

/* Duration of a step from start to finish (inclusive civil dates) in its unit: working days
 * = working days from the start's day up to and including the finish day (at least 1);
 * calendar days = finish - start + 1. Returns <= 0 when finish < start. */
double bs_lt_duration(const bs_calendar *cal, bs_unit unit, bs_day start, bs_day finish);
/* Elapsed time of a step running since start, censored at data_date (exclusive: the data
 * date is the first day whose facts are unknown): working days before data_date, or
 * data_date - start calendar days. */
double bs_lt_elapsed(const bs_calendar *cal, bs_unit unit, bs_day start, bs_day data_date);

/* Appends the observations of one project (non-milestone steps only) to out[*n] (capacity:
 * schema->n_steps more) and adds to counts. Realised steps with known (not estimated)
 * actual start and finish are events; started steps are censored at data_date (not today);
 * skipped steps are counted. Covariates are copied into each observation. */
void bs_lt_observe_project(const bs_schema *schema, const bs_progress *progress, bs_day data_date,
                           const bs_calendar *cal, bs_size_class size, const char *gemeente, const char *provincie,
                           const char *plantype, bs_lt_obs *out, size_t *n, bs_lt_counts *counts);

/* ---- reference history ---- */

typedef struct bs_ref_step {
    int32_t step; /* schema step index */
    bs_unit unit;
    double median[BS_SIZE_N]; /* in the step's unit */
    double sigma;             /* lognormal sdlog: log(p80 / median) / Φ^-1(0.8) */
    char *source;             /* owned */
} bs_ref_step;

typedef struct bs_reference {
    char *label; /* owned: the "REFERENCE DATA …" label */
    uint64_t seed;
    int32_t per_group; /* generated observations per step and size class */
    double censored_share;
    bs_ref_step *steps; /* owned; n */
    int32_t n;
    /* fits of the generated history (bs_reference_fit) */
    bs_psfit *fit_step; /* owned; [schema n_steps]; iterations 0 = none */
    bs_psfit *fit_size; /* owned; [schema n_steps * BS_SIZE_N] */
    int32_t n_schema_steps;
    bs_lt_obs *history; /* owned; the generated observations */
    size_t n_history;
} bs_reference;

/* Parses the reference parameters (processes/reference/<schema>.reference.json; format in
 * docs/forecasting.md) for schema: every step key must exist, be a non-milestone step with
 * the same unit, median > 0 and p80 >= median. Returns 0, or -1 with a message in err. */
int bs_reference_load(const char *json, size_t len, const bs_schema *schema, bs_reference *out, char *err,
                      size_t errlen);

/* The seeded generator: per reference step and size class, per_group lognormal durations
 * (median, sigma) rounded up to whole days; a censored_share of them is observed "still running"
 * at an independent censoring time (a uniform fraction of an independent draw, at least 1 day)
 * and right-censored there when the duration is longer. Deterministic for a given seed.
 * Stores the history in ref->history and fits it per step (all size classes pooled) and per
 * step × size class (family by AIC). Returns bs_est_err. */
int bs_reference_fit(bs_reference *ref, const bs_schema *schema);

/* Frees everything the reference holds (the struct is the caller's; NULL is fine). */
void bs_reference_free(bs_reference *ref);

/* ---- the lead-time model of one group, shrunk toward its parents ---- */

/* Credibility constant κ (events): a level with d events gets weight d / (d + κ) against its
 * parent (Bühlmann 1967 credibility form; see docs/forecasting.md). */
#define BS_LT_KAPPA 20.0

typedef struct bs_lt_level {
    int64_t events, censored;
    double weight; /* credibility weight of this level's own fit (0 when not fittable) */
    bool fitted;
    bs_dist own;    /* own MLE in the model's family (when fitted) */
    bs_dist shrunk; /* after shrinkage toward the parent */
} bs_lt_level;

typedef struct bs_lt_model {
    int32_t step;
    bs_dist_family family; /* the reference's AIC choice for the step × size class */
    bs_dist reference;     /* root: reference fit for step × size class */
    bs_lt_level level[3];  /* 0: step; then step × size class (when a size is given); then
                              * step (× size) × gemeente (when a gemeente is given) */
    int depth;             /* levels used (1–3 by the filters given) */
    bs_dist dist;          /* the final parametric model = level[depth-1].shrunk */
    bs_ltdist sample;      /* owned (bs_lt_model_free): what the forecast samples — the
                              * Kaplan–Meier curve of the deepest level with own events, weight
                              * d/(d + κ), mixed with (and tailed by) the shrunk parametric model of
                              * its parent levels; purely parametric without own events */
    int sample_level;      /* the level of the empirical component, -1 when none */
    bool own_dominates;    /* the final weight on own observations >= 0.5 */
    double own_weight;     /* total weight of own observations in dist's parameters */
} bs_lt_model;

/* Builds the model of step for the group (size, gemeente) from the reference and own
 * observations obs[n] (any steps; filtered here). size < 0: no size level; gemeente NULL: no
 * gemeente level. θ = (mu, log sigma) in the reference's family; each level's own MLE is
 * shrunk toward its parent: θ_level = w θ_own + (1 - w) θ_parent with w = d/(d + κ), d = events in
 * the level (w = 0 when the level cannot be fitted: < 2 events at 2 distinct times). The root
 * parent of the step level is the reference fit of step × size class (step only when size < 0),
 * so the reference's size effect survives until own data replaces it.
 * Returns bs_est_err (EINVAL when the step has no reference). */
int bs_lt_model_build(const bs_reference *ref, int32_t step, int size, const char *gemeente, const bs_lt_obs *obs,
                      size_t n, bs_lt_model *out);

/* Frees the model's sampling curve (the struct is the caller's). */
void bs_lt_model_free(bs_lt_model *m);

#endif
