/*
 * Bouwstroom API: the parsed scheduling state of recently used projects, and the rendered
 * GET …/schedule of each (issue 17 items 1 and 5: parsing the loaded state was a quarter of the
 * server's CPU per step write, rendering and writing the answer another 40 %).
 *
 * One cache per server (bs_api.state_cache), used on the loop thread only: no locks. Bounded by
 * entries and bytes, least recently used out first.
 *
 * Validity. An entry is keyed by the project id and the project's forecast stamp
 * (project_forecast_stamps.stamp, migration 0034; 0 when the project has no row): a value from
 * one sequence that every writer's statement triggers move when anything the state holds changes
 * (the step rows, the link rows, the project's schema, version, planstatus, progress date,
 * custom links, owner, schedule_version, and the owner's calendar), whoever writes: the API, an
 * import, a bulk schema migration, the CLI, another server node. The statements that load a
 * state (SQL_GATE_STATE, SQL_SCHEDULE_LOAD_STAMP) take the cached stamp and return the state only
 * when the stamp differs, in the same snapshot as the stamp they return, so a cached entry is
 * used only when it is what the database holds now. What the stamp does not cover is not cached
 * (the project's name, the owner's stale_after_months: loaded at every request).
 */
#ifndef BS_STATE_CACHE_H
#define BS_STATE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "schedule.h"
#include "whatif.h"

/* The cached state of one project, as bs_project_state_parse made it (data_date excepted: it
 * depends on today and is computed per request). */
typedef struct bs_state_snapshot {
    const bs_schema *schema; /* not owned: the engine's (versions are never freed while it runs) */
    const bs_calendar *cal;  /* not owned: the engine's */
    bs_progress *progress;   /* n_steps */
    bs_day *planned;         /* 2 * n_steps */
    bs_sched_edit edit;
    bs_day progress_date;
    long long version; /* projects.schedule_version */
} bs_state_snapshot;

/* What a rendered GET …/schedule depends on besides the state: the data date, the
 * near_critical_days parameter and the view (the full schedule, or an external member's stream
 * view: stream_filter in routes_schedule.c). */
typedef struct bs_render_key {
    bs_day data_date;
    long near_critical;
    bool stream_view;
} bs_render_key;

typedef struct bs_state_cache bs_state_cache;

/* A cache of at most max_entries projects and about max_bytes bytes (both > 0). Never NULL. */
bs_state_cache *bs_state_cache_new(size_t max_entries, size_t max_bytes);

/* Frees the cache and everything in it (NULL: nothing). */
void bs_state_cache_free(bs_state_cache *c);

/* The stamp cached for project id (a uuid's text), or -1 when none is (the stamps are >= 0). */
long long bs_state_cache_stamp(bs_state_cache *c, const char *id);

/* The state cached for project id at stamp (marked as used), or NULL. The pointers stay valid
 * until the next put or drop on the cache: copy what must outlive that (bs_state_snapshot_copy). */
const bs_state_snapshot *bs_state_cache_get(bs_state_cache *c, const char *id, long long stamp);

/* Caches a copy of s as project id's state at stamp, replacing what was cached for id (with its
 * renderings). Evicts the least recently used entries beyond the bounds. */
void bs_state_cache_put(bs_state_cache *c, const char *id, long long stamp, const bs_state_snapshot *s);

/* Forgets project id (nothing when it is not cached). */
void bs_state_cache_drop(bs_state_cache *c, const char *id);

/* The rendered body of GET …/schedule for project id at stamp and key (len bytes in *len; not
 * owned, valid until the next put or drop), or NULL when none is cached. */
const char *bs_state_cache_rendered(bs_state_cache *c, const char *id, long long stamp, const bs_render_key *key,
                                    size_t *len);

/* Keeps a copy of body (len bytes) as the rendering for key of project id at stamp, when the
 * entry of id is still at stamp (else nothing). At most two renderings per entry (the newest
 * replace the oldest). */
void bs_state_cache_set_rendered(bs_state_cache *c, const char *id, long long stamp, const bs_render_key *key,
                                 const char *body, size_t len);

/* Counts a miss: a state loaded from the database because the cached one (if any) was not at the project's stamp. */
void bs_state_cache_note_miss(bs_state_cache *c);

/* Entries and bytes held; hits (bs_state_cache_get found the state) and misses (it did not, or
 * bs_state_cache_note_miss) since the start (the server prints them when it stops; the benchmarks read them). */
void bs_state_cache_stats(const bs_state_cache *c, size_t *entries, size_t *bytes, unsigned long long *hits,
                          unsigned long long *misses);

/* A deep copy of s into out (arrays newly allocated with malloc; the caller owns them: progress and planned are
 * freed with free, edit with bs_sched_edit_free, as a request's sctx does). */
void bs_state_snapshot_copy(const bs_state_snapshot *s, bs_state_snapshot *out);

#endif
