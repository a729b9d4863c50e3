/*
 * Bouwstroom engine core: beleidsdoelen (policy goals), the probability that a goal is met
 * (issue 18 item 3; docs/homes-and-goals.md "Beleidsdoelen").
 *
 * Pure: no I/O, no clock, no globals. The input is, per contributing project, the Monte Carlo
 * delivery samples of the milestones its blocks are delivered with (bs_forecast_input.keep_*),
 * and the goal's blocks (homes counted toward the goal, and for a percentage goal the homes of
 * the denominator). Projects are treated as INDEPENDENT: each project's samples come from its
 * own forecast with its own seed, and sample s of the goal is the sum over projects of their
 * sample s, so the goal's totals are draws of the sum of independent project contributions (a
 * proper distribution, not a sum of quantiles). Shared causes (a council that slows every zoning
 * plan, a market downturn) are not modelled; they would widen the distribution.
 */
#ifndef BS_GOALS_H
#define BS_GOALS_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"

#define BS_GOAL_MAX_WINDOWS 200

/* One project's delivery samples: n_cols milestones (the distinct milestones its blocks are
 * delivered with). planned[c]: the finish day of milestone c in the deterministic plan;
 * samples[c * n_samples + s]: its finish day in sample s. Calendar days; BS_DAY_NONE: never
 * delivered (a skipped step). Not owned. */
typedef struct bs_goal_project {
    int32_t n_cols;
    const bs_day *planned;
    const bs_day *samples;
} bs_goal_project;

/* One block of homes of a contributing project: delivered with column col of project
 * `project`. num: the net homes it adds to the goal's value when it matches the goal's
 * conditions (0 otherwise; demolition negative); den: the net homes it adds to the denominator
 * of a percentage goal (every block of a project in the goal's scope). fixed: the block is
 * delivered on day fixed_day in the plan and in every sample (a share of a block spread over
 * years by percentages, docs/blocks.md: a stated plan, not forecast); col is then ignored. */
typedef struct bs_goal_block {
    int32_t project, col;
    int32_t num, den;
    bool fixed;
    bs_day fixed_day;
} bs_goal_block;

/* The goal. Windows: a goal "delivered by year Y" has one window (from BS_DAY_NONE, to 31 Dec
 * Y); a goal "per year from A to B" one window per year (1 Jan .. 31 Dec). A block counts in a
 * window when its delivery day d has from <= d <= to. value of a window = Σ num of the counted
 * blocks (homes), or for a percentage goal 100 · Σ num / Σ den (0 when Σ den <= 0). The goal is
 * met in a sample when every window's value is >= target (minimum) or <= target (maximum). */
typedef struct bs_goal_spec {
    bool percentage;
    bool maximum;
    double target; /* homes, or percent (0..100) */
    int32_t n_windows;
    const bs_day *from; /* n_windows; BS_DAY_NONE: no lower bound */
    const bs_day *to;   /* n_windows; the window's deadline (inclusive) */
} bs_goal_spec;

typedef struct bs_goal_window {
    double planned; /* the value with every milestone on its planned day */
    double p50;     /* median value over the samples (type-1 quantile at 0.5) */
    double p80;     /* the value reached or exceeded in at least 80 % of samples (type-1 quantile at 0.2) */
    double mean;
    double p_met; /* share of samples in which this window meets the target */
} bs_goal_window;

/* Per project. "Late" in a sample: for a minimum goal, at some window's deadline the project's
 * counted homes delivered so far (Σ num of its blocks with delivery day <= that deadline, from
 * any earlier day) are fewer than in the plan by that deadline; for a maximum goal "late" means
 * the opposite direction (more than planned: ahead of plan), the side that misses a maximum.
 * importance = P(late | goal missed) − P(late): how much more likely the project is late in the
 * samples where the goal is missed than overall (NaN when the goal is never missed). delivery:
 * the project's own distribution of its contribution to the value of the LAST window (Σ num
 * counted in that window): n_dist distinct values (ascending) and their shares of the samples. */
typedef struct bs_goal_project_result {
    double planned; /* contribution to the last window in the plan */
    double p_late, p_late_missed, importance;
    int32_t n_dist;
    double *dist_value, *dist_prob; /* owned; n_dist */
} bs_goal_project_result;

typedef struct bs_goal_result {
    int32_t n_windows, n_projects, n_samples;
    bs_goal_window *windows;          /* owned; n_windows */
    double p_met;                     /* share of samples in which every window meets the target */
    int32_t n_missed;                 /* samples in which the goal is missed */
    bs_goal_project_result *projects; /* owned; n_projects */
} bs_goal_result;

typedef enum bs_goal_err {
    BS_GOAL_OK = 0,
    BS_GOAL_EINVAL = 1, /* bad sizes, a block outside its project, no window, windows > BS_GOAL_MAX_WINDOWS */
    BS_GOAL_ENOMEM = 2
} bs_goal_err;

/* Computes the goal over n_samples aligned samples (every project has n_samples samples per
 * column). Returns a bs_goal_err; out: free with bs_goal_result_free (also after an error). */
int bs_goal_compute(const bs_goal_spec *g, const bs_goal_project *p, int32_t n_projects, const bs_goal_block *b,
                    int32_t n_blocks, int32_t n_samples, bs_goal_result *out);

/* Frees what out owns (NULL fine). */
void bs_goal_result_free(bs_goal_result *out);

#endif
