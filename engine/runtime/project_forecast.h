/*
 * Bouwstroom runtime: forecasting one stored project (docs/forecasting.md), shared by the forecast
 * routes and the notifier. The work itself is pure and runs on the thread pool.
 */
#ifndef BS_PROJECT_FORECAST_H
#define BS_PROJECT_FORECAST_H

#include <libpq-fe.h>
#include <stddef.h>

#include "engine.h"
#include "forecast.h"
#include "leadtime.h"

/* Own observations of a schema: realised steps with known dates and running steps, with the
 * covariates of their project ($1 = schema key; the engine filters and converts them:
 * bs_lt_observe_project). */
#define BS_OBS_SQL                                                                                                     \
    "SELECT s.project_id, s.step_key, s.status, s.actual_start, s.actual_finish, p.progress_date, p.gemeente, "        \
    "p.provincie, p.plantype, COALESCE(p.homes_remaining, 0) "                                                         \
    "FROM project_steps s JOIN projects p ON p.id = s.project_id "                                                     \
    "WHERE p.process_schema_key = $1 AND NOT s.actual_estimated AND s.actual_start IS NOT NULL "                       \
    "AND s.status IN ('done', 'started') ORDER BY s.project_id"

/* BS_OBS_SQL as the one named statement (store.h) of every caller (the forecast, lead-time
 * and shift routes, the notifier's planning). $1 schema key. */
extern const bs_stmt BS_STMT_OWN_OBSERVATIONS;

/* Own observations, copied out of the PGresult. */
typedef struct bs_own_obs {
    bs_lt_obs *obs; /* owned; n */
    size_t n;
    char *strings; /* owned; the covariate strings the observations point into */
    bs_lt_counts counts;
} bs_own_obs;

/* Converts BS_OBS_SQL rows into observations (rows of one project are adjacent); working
 * days per cal. Returns 0, or -1 out of memory. Free with bs_own_obs_free. */
int bs_own_obs_from_result(const PGresult *res, const bs_schema *schema, const bs_calendar *cal, bs_own_obs *out);
void bs_own_obs_free(bs_own_obs *o);

/* Lead-time models of every step with a duration (milestones and schemas without a reference
 * history get none): the schema's reference history for size class `size`, shrunk toward the
 * own observations of that size class and `gemeente` (bs_lt_model_build). models, dist, has:
 * n_steps entries each, written; has[i] = 1 where a model was built, and dist[i] then points
 * into models[i] (free the models with bs_lt_model_free; dist owns nothing). Pure. */
void bs_project_lt_models(const bs_engine_schema *es, bs_size_class size, const char *gemeente, const bs_own_obs *own,
                          bs_lt_model *models, bs_ltdist *dist, unsigned char *has);

/* Forecasts a project: lead-time models per step from the schema's reference history
 * shrunk toward the own observations of its size class and gemeente (bs_lt_model_build),
 * then n_samples Monte Carlo schedules with the project's stored edits, seeded (same seed,
 * same answer). Pure; safe on the thread pool. out: free with bs_forecast_free.
 * Returns a bs_schedule_err (BS_SCHEDULE_OK on success). */
int bs_project_forecast(const bs_engine *e, const bs_project_state *st, const bs_own_obs *own, int32_t n_samples,
                        uint64_t seed, bs_forecast *out);

/* bs_project_forecast that also writes the per-sample finish days of the steps keep_steps[0..n_keep)
 * into keep_finish (n_keep * n_samples, [k * n_samples + s]; bs_forecast_input.keep_*). */
int bs_project_forecast_keep(const bs_engine *e, const bs_project_state *st, const bs_own_obs *own, int32_t n_samples,
                             uint64_t seed, const int32_t *keep_steps, int32_t n_keep, bs_day *keep_finish,
                             bs_forecast *out);

#endif
