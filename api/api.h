/*
 * Bouwstroom API: routes of the HTTP API (docs/api.md, docs/openapi.json).
 */
#ifndef BS_API_H
#define BS_API_H

#include <uv.h>

#include "clock.h"
#include "engine.h"
#include "http.h"
#include "store.h"

typedef struct bs_api {
    uv_loop_t *loop;         /* not owned; the loop (thread-pool work: password hashing) */
    bs_store *store;         /* not owned */
    const bs_engine *engine; /* not owned */
    /* Today's civil date (Europe/Amsterdam). Injected so tests can set the clock. */
    bs_day (*today)(void *arg);
    void *today_arg;
    const bs_clock *clock;   /* not owned; the wall clock of feeds (DTSTAMP) and alerts */
    const char *mail_domain; /* not owned; names the Message-IDs of alerts written by the API */
    char *openapi_json;      /* owned; served at /api/v1/openapi.json */
    /* exchange and adapters (not owned; NULL when unavailable: the routes answer 404/503) */
    const struct bs_province_config *province_config; /* processes/provinces/province-exports.json */
    struct bs_geo *geo;                               /* PROJ context (RD <-> WGS84) */
    const struct json_t *zgw_config;                  /* ZGW adapter configuration (webhook) */
    const unsigned char *server_key;                  /* 32 bytes: invitation secrets (NULL: not mailed) */
    size_t openapi_len;
    /* the browser app (api/web.h; NULL: none, every path outside the table answers 404) and
     * the map of GET /api/v1/app-config (not owned; map_tiles NULL: no tiles) */
    const struct bs_web *web;
    const char *map_tiles, *map_attribution;
    /* not owned; the public URL of the server (serve --public-url; NULL: the request's own),
     * the base of links into the web app (invitations, calendar events) */
    const char *public_url;
    int token_max_days; /* longest validity of an API token made through the API, calendar
                                 days (`serve --token-max-days`; 0 = BS_TOKEN_MAX_DAYS_DEFAULT) */
    /* readiness (GET /readyz): the versions of the migrations this build expects applied
     * (owned; a text[] literal, bs_store_migration_versions; NULL: not checked), how many */
    char *migrations;
    int n_migrations;
    /* the workers beside the API (notifier, adapter outbox): appends one check per worker
     * ({"name", "ok", "detail"}) to checks, a JSON array; NULL: none. Set by the composition
     * root (cli/main.c), which knows them. */
    void (*worker_checks)(void *arg, struct json_t *checks);
    void *worker_checks_arg;
    /* the dashboards' cache (api/routes_dashboard.c): owned, made at the first dashboard
     * request, freed with bs_dash_cache_free; NULL before */
    struct bs_dash_cache *dash_cache;
    /* the parsed project states and rendered schedules (api/state_cache.h): owned, made at the first scheduling
     * request, freed with bs_state_cache_free; NULL before */
    struct bs_state_cache *state_cache;
    /* the policy goals' per-project delivery samples (engine/runtime/delivery.h; not owned: the
     * composition root makes and frees it; NULL: every progress computes every project) */
    struct bs_delivery_cache *delivery_cache;
    /* owned by the composition root: the compiled validation patterns of plusvelden
     * (engine/core/plusveld.h; NULL: compiled per request) */
    struct bs_pv_cache *plusveld_cache;
    /* called after the COMMIT of a step or block write that sent no NOTIFY of the forecast sweep
     * (bouwstroom.sweep_wake = 'after', migration 0045): bs_sweep_waker_wake of the composition
     * root, which wakes the sweeps (engine/runtime/forecast_sweep.h). NULL: the writes NOTIFY in
     * their own transaction, as before. */
    void (*sweep_wake)(void *arg);
    void *sweep_wake_arg;
    /* the gate rows of recent step writes and schedule reads per credential and project (api/authz.c, the one-trip
     * step writes): owned, made at the first, freed with bs_gate_memo_free; NULL before */
    struct bs_gate_memo *gate_memo;
    /* one-trip step writes tried (sent with the gate in the write statement) and proven (written); the others went
     * through the gate again. The server prints them when it stops (scripts/bench_write.sh, the tests read them). */
    unsigned long long one_trip_tried, one_trip_proven;
    bool one_trip_off; /* BOUWSTROOM_ONE_TRIP=0: every step write through the gate first (the tests compare) */
} bs_api;

/* Default of bs_api.token_max_days: one year (docs/operations.md). */
#define BS_TOKEN_MAX_DAYS_DEFAULT 365

/* Frees the dashboards' cache of an API (NULL: nothing). */
void bs_dash_cache_free(struct bs_dash_cache *c);

/* Frees the gate memo of an API (api/authz.c; NULL: nothing). */
void bs_gate_memo_free(struct bs_gate_memo *m);

/* Frees the state cache of an API (api/state_cache.h; NULL: nothing). */
void bs_state_cache_free(struct bs_state_cache *c);

/* The state cache's entries and bytes held, hits and misses since the start (api/state_cache.h). */
void bs_state_cache_stats(const struct bs_state_cache *c, size_t *entries, size_t *bytes, unsigned long long *hits,
                          unsigned long long *misses);

/* The bs_http_handler of the API: routes one request (ctx is a bs_api). */
void bs_api_handle(bs_req *req, void *ctx);

/* Resumes the bulk schema migrations (schema_migration_jobs, migration 0035) that were accepted
 * but not finished, e.g. before a restart: each runs on from its last written batch
 * (api/routes_migrate.c). Called once by `serve` after the listener is up. */
void bs_api_migrations_resume(bs_api *api);

/* Today's civil date in Europe/Amsterdam; arg is a const bs_clock * (or NULL: the system clock). */
bs_day bs_today_amsterdam(void *arg);

#endif
