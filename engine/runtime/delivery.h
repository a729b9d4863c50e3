/*
 * Bouwstroom runtime: per-project delivery samples for policy goals and their in-memory cache
 * (issue 18 item 3; docs/homes-and-goals.md "Beleidsdoelen").
 *
 * A project's delivery samples are the finish days, in each of BS_DELIVERY_SAMPLES Monte Carlo
 * samples of its forecast (bs_project_forecast's models, its stored edits), of the milestones its
 * blocks are delivered with. They are computed on the thread pool (bs_delivery_compute, pure) and
 * kept in a cache owned by the loop thread, keyed by the project id and a change marker: the
 * project's forecast stamp (project_forecast_stamps, migration 0034: bumped by every write to the
 * project's steps, links or forecast-relevant columns and its organisation's calendar), the data
 * date (today moves it) and the set of milestones. A goal's progress recomputes only the projects
 * whose marker changed. The seed is a hash of the project id, so a project's samples are the same
 * wherever and whenever they are computed from the same state (reproducible).
 */
#ifndef BS_DELIVERY_H
#define BS_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "project_forecast.h"

/* Samples per project: the forecast's default (2,000). */
#define BS_DELIVERY_SAMPLES BS_FORECAST_DEFAULT_SAMPLES

/* One project's delivery samples. cols: the milestone keys joined by ',' in ascending order (the
 * set of its blocks' milestones), n_cols of them; planned[c] the deterministic plan's finish day
 * of milestone c, samples[c * n_samples + s] its finish day in sample s (calendar days;
 * BS_DAY_NONE: skipped or not a step of the project's schema). */
typedef struct bs_delivery {
    char project_id[37];
    long long stamp;
    bs_day data_date;
    char *cols; /* owned */
    int32_t n_cols, n_samples;
    bs_day *planned; /* owned; n_cols */
    bs_day *samples; /* owned; n_cols * n_samples */
    int refs;        /* references (the cache's, each running job's); loop thread only */
} bs_delivery;

/* Takes a reference (loop thread): a job keeps the samples it reads on the thread pool alive
 * while the cache replaces them. Returns d. */
bs_delivery *bs_delivery_ref(const bs_delivery *d);

/* Drops a reference; the last frees what d owns and d (NULL fine). */
void bs_delivery_unref(bs_delivery *d);

/* The deterministic seed of a project's samples: FNV-1a (64 bit) of its id text. */
uint64_t bs_delivery_seed(const char *project_id);

/* Computes the delivery samples of a project (pure; safe on the thread pool): the forecast of
 * bs_project_forecast with n_samples samples and seed bs_delivery_seed(project_id), keeping the
 * finish days of the milestones in cols (comma-separated step keys, ascending; a key that is no
 * step of the project's schema gives BS_DAY_NONE). Returns a new bs_delivery holding one
 * reference (the caller's: bs_delivery_unref or bs_delivery_cache_put) with stamp and data_date set from the
 * arguments, or NULL when the forecast fails (out of memory, a scheduling error). */
bs_delivery *bs_delivery_compute(const bs_engine *e, const bs_project_state *st, const bs_own_obs *own,
                                 const char *project_id, long long stamp, const char *cols, int32_t n_samples);

/* The cache: project id → bs_delivery, an open-addressing hash table. Loop thread only. */
typedef struct bs_delivery_cache bs_delivery_cache;

bs_delivery_cache *bs_delivery_cache_new(void);
void bs_delivery_cache_free(bs_delivery_cache *c);

/* The cached samples of project_id when their marker equals (stamp, data_date, cols) and
 * n_samples matches; NULL otherwise (a miss: compute and put). The pointer stays valid until
 * the next bs_delivery_cache_put of the same project or the cache is freed (bs_delivery_ref to
 * keep it longer). */
const bs_delivery *bs_delivery_cache_get(const bs_delivery_cache *c, const char *project_id, long long stamp,
                                         bs_day data_date, const char *cols, int32_t n_samples);

/* Stores d (the caller's reference passes to the cache), replacing the project's earlier entry
 * (its cache reference dropped). Returns 0, -1 out of memory (the reference is then dropped). */
int bs_delivery_cache_put(bs_delivery_cache *c, bs_delivery *d);

/* Number of projects cached; the bytes their samples take. */
size_t bs_delivery_cache_count(const bs_delivery_cache *c, size_t *bytes);

#endif
