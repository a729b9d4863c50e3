/*
 * Forecast helpers for other route modules (docs/forecasting.md: the what-if response gains forecast
 * shifts). Not a public surface.
 */
#ifndef BS_ROUTES_FORECAST_H
#define BS_ROUTES_FORECAST_H

#include <jansson.h>

#include "api.h"
#include "forecast.h"

/* Called once on the loop thread: shifts (a new reference, the caller owns it) or NULL with err. */
typedef void (*bs__forecast_shifts_cb)(json_t *shifts, const char *err, void *arg);

/* Forecasts the project twice with the same seed (common random numbers) — as it stands (`base`
 * schedules one sample: e.g. bs_schedule_compute_ex with the project's stored link set and
 * overrides; NULL = the schema's network) and under a what-if (`whatif`: the same with the
 * changes applied) — on the libuv thread pool, and answers (the contexts must stay valid until cb)
 *   {"samples", "seed", "completion": {"p50", "p80", "what_if_p50", "what_if_p80", "p50_days",
 *    "p80_days"}, "milestones": [{"key", same fields}]}
 * with shifts in calendar days (what-if minus base; null where either has no date).
 * progress (schema->n_steps) is copied; progress_date, data_date and cal (the owner organisation's calendar, not
 * owned; NULL: the default) as in bs_forecast_input. samples 100..20000, seed >= 0. Lead times as in
 * GET …/forecast (reference + the project's size class and gemeente, own observations). */
void bs__forecast_shifts(bs_api *api, const char *project_id, const bs_schema *schema, const bs_progress *progress,
                         bs_day progress_date, bs_day data_date, const bs_calendar *cal, bs_forecast_schedule_fn base,
                         void *base_ctx, bs_forecast_schedule_fn whatif, void *whatif_ctx, long samples, long seed,
                         bs__forecast_shifts_cb cb, void *arg);

#endif
