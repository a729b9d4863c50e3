/*
 * bouwstroom summary: per province, the plans whose own expected completion period ends before
 * the P50 forecast of their last delivery (laatste_oplevering); docs/forecasting.md §7.
 *
 * Loads every plan with an expected completion period and the own lead-time observations, then
 * forecasts each plan on the libuv thread pool (uv_queue_work), not on the loop thread, with
 * BS_SUMMARY_SAMPLES samples (seed 1) instead of the API's 2,000: the summary needs one median
 * per plan, and identical inputs (plans with the same planstatus, size class, gemeente data and
 * data date) are forecast once and reused (the forecast is a pure function of its inputs and seed).
 */
#ifndef BS_SUMMARY_FORECAST_H
#define BS_SUMMARY_FORECAST_H

#include <uv.h>

#include "engine.h"
#include "store.h"

#define BS_SUMMARY_SAMPLES 500

typedef struct bs_summary_forecast bs_summary_forecast;

/* done: r (owned by the caller: free with bs_summary_forecast_free) or NULL with err. */
typedef void (*bs_summary_forecast_cb)(bs_summary_forecast *r, const char *err, void *arg);

void bs_summary_forecast_run(uv_loop_t *loop, bs_store *store, const bs_engine *engine, bs_summary_forecast_cb done,
                             void *arg);

/* Plans of a province whose expected_by lies before their P50 of laatste_oplevering; *n_forecast
 * receives the plans with an expected period and a forecast date. r may be NULL (then 0). */
long bs_summary_forecast_later(const bs_summary_forecast *r, const char *provincie, long *n_forecast);

/* Distinct forecasts computed and the wall time of the forecasting (for the summary's note). */
void bs_summary_forecast_stats(const bs_summary_forecast *r, long *n_plans, long *n_distinct, double *seconds);

void bs_summary_forecast_free(bs_summary_forecast *r);

#endif
