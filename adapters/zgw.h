/*
 * Bouwstroom ZGW adapter: keeps one zaak per project in a case system that implements the
 * VNG "API's voor Zaakgericht Werken" (Zaken API 1.5, Catalogi API 1.3, Notificaties API 1.0;
 * contracts in ../shared/contracts/zgw). Runs as an outbox adapter (outbox.h); the mapping,
 * configuration, idempotency and the webhook are described in docs/adapters.md.
 */
#ifndef BS_ZGW_H
#define BS_ZGW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "outbox.h"
#include "clock.h"
#include "err.h"
#include "store.h"

typedef struct bs_zgw bs_zgw;

/* Reads and checks the ZGW configuration (JSON, docs/adapters.md "Configuration") from
 * path. A missing "secret" is taken from the environment variable named by "secret_env"
 * (default BOUWSTROOM_ZGW_SECRET). Checks: base URLs http(s), client_id and secret present,
 * bronorganisatie a 9-digit RSIN passing the 11-test (elfproef; Handboek BSN/RSIN),
 * statussen an object of step key → statustype omschrijving (string) or volgnummer
 * (integer). Returns 0 with *out (new reference), or a BS_E* code with err filled (the
 * message starts with path): BS_EIO (the file cannot be opened), BS_EMALFORMED (not JSON;
 * path:line:column: what), BS_EINVAL (a member missing or invalid, as listed above). */
int bs_zgw_config_load(const char *path, json_t **out, bs_err *err);

/* True when s is a 9-digit RSIN/BSN passing the 11-test: Σ d_i·(9−i) for i = 0..7 minus d_8
 * is divisible by 11 (and not all zeros). */
bool bs_zgw_rsin_valid(const char *s);

/* Starts the ZGW adapter worker on loop with store (a pool of its own, ≥ 2 connections) and
 * cfg (from bs_zgw_config_load; a reference is taken). clock: the runtime clock (its today
 * picks the zaaktype version valid today and stamps the JWT's iat; NULL: the system clock;
 * it must outlive the adapter). once/idle as bs_outbox_start. Returns the worker, or NULL
 * with err filled (BS_EINTERNAL: libsodium or libcurl cannot be initialised). */
bs_zgw *bs_zgw_start(uv_loop_t *loop, bs_store *store, const bs_clock *clock, json_t *cfg, bool once,
                     void (*idle)(void *arg), void *idle_arg, bs_err *err);

/* Whether the worker's outbox runs, with one line into why (len bytes): bs_outbox_running. */
bool bs_zgw_running(const bs_zgw *z, char *why, size_t len);

/* Stops the worker (jobs in flight are aborted and retried later); done runs when freed. */
void bs_zgw_stop(bs_zgw *z, void (*done)(void *arg), void *arg);

/* The Notificaties webhook (notificaties-consumer.yaml, POST /notificaties), as a function
 * the API calls with the request's Authorization header value (NULL when absent) and body.
 * Compares authorization with the configured "notification_auth" in constant time.
 * Returns the HTTP status to answer: 401 (no Authorization), 403 (wrong value), 400 (body
 * not a notification: kanaal, hoofdObject, resource, resourceUrl, actie, aanmaakdatum), or
 * 204 — also for notifications about other zaken or channels, which are ignored. For a
 * notification on kanaal "zaken" whose hoofdObject is one of our zaken it schedules a
 * reconcile of that project (durably, adapter_events); scheduled (may be NULL) is called
 * with the number of events added once that is recorded. */
int bs_zgw_webhook(bs_zgw *z, const char *authorization, const char *body, size_t len, bs_outbox_count_cb scheduled,
                   void *arg);

/* As bs_zgw_webhook, without a running worker: cfg and store given directly (for the CLI). */
int bs_zgw_webhook_cfg(const json_t *cfg, bs_store *store, const char *authorization, const char *body, size_t len,
                       bs_outbox_count_cb scheduled, void *arg);

/* HS256 JSON Web Token (RFC 7519, RFC 7515 §A.1) for the ZGW APIs: claims iss = client_id,
 * iat = now (seconds since the epoch), client_id, user_id, user_representation (ZGW
 * "Autorisatie" spec). Returns a malloc'd "header.payload.signature" string, or NULL. */
char *bs_zgw_jwt(const char *client_id, const char *secret, const char *user_id, const char *user_representation,
                 long long now_s);

/* Converts a point from crs (e.g. "EPSG:28992", RD New; metres) to WGS84 (EPSG:4326) longitude
 * and latitude in degrees, through the PROJ wrapper of geo.h (network access off, so no grid is
 * fetched). crs NULL is taken as RD; EPSG:4326 is copied. Returns 0, or -1 for another CRS or
 * when PROJ cannot convert the point. Loop thread only (one PROJ context, kept). */
int bs_zgw_to_wgs84(const char *crs, double x, double y, double *lon, double *lat);

/* Frees the PROJ context bs_zgw_to_wgs84 created (bs_zgw_stop does it too). */
void bs_zgw_proj_free(void);

/* Centroid (area-weighted, of the exterior rings) of a GeoJSON Polygon or MultiPolygon, or the
 * coordinates of a Point, in the geometry's own units. Returns 0, or -1 for other shapes. */
int bs_zgw_centroid(const json_t *geometry, double *x, double *y);

#endif
