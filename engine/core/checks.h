/*
 * Bouwstroom engine core: schedule quality checks, modelled on the DCMA 14-point
 * assessment (US Defense Contract Management Agency, "DCMA 14-Point Schedule Assessment",
 * 2009; checks 1 logic, 2 leads, 3 lags, 4 relationship types, 5 hard constraints, 6 high
 * float, 7 negative float, 8 high duration) plus out-of-sequence progress. Thresholds are
 * configurable; the project's defaults and their rationale: docs/scheduling.md §10. Pure.
 */
#ifndef BS_CHECKS_H
#define BS_CHECKS_H

#include "schedule.h"
#include "whatif.h"

typedef enum bs_check_id {
    BS_CHECK_MISSING_LOGIC = 0, /* DCMA 1: incomplete steps without predecessor or successor */
    BS_CHECK_LEADS,             /* DCMA 2: links with a negative lag */
    BS_CHECK_LAGS,              /* DCMA 3: links with a positive lag */
    BS_CHECK_FS_SHARE,          /* DCMA 4: share of finish-to-start links (a minimum) */
    BS_CHECK_HARD_CONSTRAINTS,  /* DCMA 5: steps with a finish-no-later-than constraint */
    BS_CHECK_HIGH_FLOAT,        /* DCMA 6: incomplete steps with total float > high_float_wd */
    BS_CHECK_NEGATIVE_FLOAT,    /* DCMA 7: incomplete steps with total float < 0 */
    BS_CHECK_HIGH_DURATION,     /* DCMA 8: incomplete steps with a duration > high_duration_wd */
    BS_CHECK_OUT_OF_SEQUENCE,   /* progress against the logic (retained logic applied) */
    BS_CHECK_COUNT
} bs_check_id;

typedef struct bs_check_thresholds {
    double max_pct[BS_CHECK_COUNT]; /* limit in percent (FS share: the minimum) */
    int32_t high_float_wd;          /* working days */
    int32_t high_duration_wd;       /* working days (calendar-day durations count x 5/7) */
} bs_check_thresholds;

typedef struct bs_check_result {
    bs_check_id id;
    int32_t count; /* items that fail the criterion (FS share: FS links) */
    int32_t total; /* the population (steps or links) */
    double pct;    /* 100 * count / total (0 when total = 0) */
    bool pass;
    int32_t *items; /* owned; step indexes (or link indexes for link checks) */
} bs_check_result;

/* Project defaults (docs/scheduling.md §10). */
bs_check_thresholds bs_check_default_thresholds(void);

/* Machine name ("missing_logic", …) and the DCMA check it models ("DCMA 1 Logic", …). */
const char *bs_check_name(bs_check_id id);
const char *bs_check_dcma(bs_check_id id);

/* Runs every check on a computed schedule of schema + progress + edit. out has
 * BS_CHECK_COUNT entries; free with bs_checks_free. Returns 0, or -1 out of memory. */
int bs_checks_compute(const bs_schema *schema, const bs_progress *progress, const bs_sched_edit *e,
                      const bs_schedule *sched, const bs_check_thresholds *th, bs_check_result *out);

void bs_checks_free(bs_check_result *out);

#endif
