/*
 * ZGW adapter. See zgw.h and docs/adapters.md.
 */
#include "zgw.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "calendar.h"
#include "clock.h"
#include "geo.h"
#include "http_client.h"
#include "zgw_sql.h"

#define CATALOG_TTL_MS (3600 * 1000)

typedef struct catalog {
    char *zaaktype;      /* URL of the zaaktype version valid on day */
    json_t *statustypen; /* [{url, omschrijving, volgnummer, isEindstatus}] sorted by volgnummer */
    json_t *roltypen;    /* results of GET /roltypen?zaaktype= */
    json_t *resultaattypen;
    uint64_t fetched_ms; /* uv_now */
    char day[11];        /* the day the zaaktype was chosen for */
} catalog;

struct bs_zgw {
    uv_loop_t *loop;
    const bs_clock *clock; /* the runtime clock (NULL: the system clock) */
    bs_store *store;
    json_t *cfg;
    const char *zaken, *catalogi, *client_id, *secret, *user_id, *user_repr, *zaaktype_id, *rsin, *verantw;
    long timeout_ms;
    bs_hc *http;
    bs_outbox *outbox;
    catalog cat;
    int jobs; /* zjobs alive */
    bool stopping;
    int closing; /* parts still closing */
    void (*done)(void *);
    void *done_arg;
};

static const bs_adapter_ops ZGW_OPS;

/* ---------------------------------------------------------------- small helpers */

static const char *cfg_str(const json_t *cfg, const char *key, const char *def) {
    const char *s = json_string_value(json_object_get(cfg, key));
    return s && *s ? s : def;
}

static long cfg_int(const json_t *cfg, const char *key, long def) {
    json_t *v = json_object_get(cfg, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : def;
}

bool bs_zgw_rsin_valid(const char *s) {
    if (!s || strlen(s) != 9) return false;
    int sum = 0, nonzero = 0;
    for (int i = 0; i < 9; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        int d = s[i] - '0';
        nonzero |= d;
        sum += i < 8 ? d * (9 - i) : -d;
    }
    return nonzero && sum % 11 == 0;
}

/* today's civil date YYYY-MM-DD in Europe/Amsterdam at the runtime clock's now (the one
 * DST rule, bs_clock_today_amsterdam; `serve --clock` moves it) */
static void today_amsterdam(const bs_zgw *z, char out[11]) {
    bs_date_format(bs_clock_today_amsterdam(z->clock), out);
}

/* copies at most max_chars UTF-8 characters of s */
static char *utf8_prefix(const char *s, size_t max_chars) {
    size_t i = 0, n = 0;
    while (s[i] && n < max_chars) {
        i++;
        while ((s[i] & 0xC0) == 0x80) i++;
        n++;
    }
    char *r = bs_malloc(i + 1);
    memcpy(r, s, i);
    r[i] = 0;
    return r;
}

static char *b64url(const unsigned char *in, size_t len) {
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = bs_malloc(cap);
    if (out) sodium_bin2base64(out, cap, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

char *bs_zgw_jwt(const char *client_id, const char *secret, const char *user_id, const char *user_representation,
                 long long now_s) {
    if (sodium_init() < 0) return NULL;
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    json_t *claims = json_object();
    json_object_set_new(claims, "iss", json_string(client_id));
    json_object_set_new(claims, "iat", json_integer(now_s));
    json_object_set_new(claims, "client_id", json_string(client_id));
    json_object_set_new(claims, "user_id", json_string(user_id ? user_id : ""));
    json_object_set_new(claims, "user_representation", json_string(user_representation ? user_representation : ""));
    char *payload = bs_json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(claims);
    char *h64 = b64url((const unsigned char *)header, strlen(header));
    char *p64 = b64url((const unsigned char *)payload, strlen(payload));
    free(payload);
    size_t sl = strlen(h64) + 1 + strlen(p64);
    char *signing = bs_malloc(sl + 1);
    snprintf(signing, sl + 1, "%s.%s", h64, p64);
    free(h64);
    free(p64);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)signing, sl);
    crypto_auth_hmacsha256_final(&st, mac);
    char *s64 = b64url(mac, sizeof mac);
    char *jwt = bs_malloc(sl + 1 + strlen(s64) + 1);
    sprintf(jwt, "%s.%s", signing, s64);
    free(signing);
    free(s64);
    return jwt;
}

/* ---------------------------------------------------------------- geometry (swappable) */

/* The adapter's coordinate conversions go through the one PROJ wrapper (geo.h: network off,
 * log kept, transformations created on first use). One context, made on first use and kept
 * until bs_zgw_proj_free: the adapter runs on the loop thread only, and a bs_geo belongs to
 * one thread. The conversion itself is arithmetic (proj_trans), microseconds. */
static bs_geo *zgw_geo;

int bs_zgw_to_wgs84(const char *crs, double x, double y, double *lon, double *lat) {
    if (crs && strcmp(crs, "EPSG:4326") == 0) {
        *lon = x;
        *lat = y;
        return 0;
    }
    if (crs && strcmp(crs, "EPSG:28992") != 0) return -1;
    if (!zgw_geo && bs_geo_open(&zgw_geo, NULL) != BS_OK) return -1;
    double a, b;
    if (bs_geo_point(zgw_geo, BS_CRS_RD, BS_CRS_WGS84, x, y, &a, &b, NULL) != BS_OK || !isfinite(a) || !isfinite(b))
        return -1;
    *lon = a;
    *lat = b;
    return 0;
}

void bs_zgw_proj_free(void) {
    bs_geo_close(zgw_geo);
    zgw_geo = NULL;
}

static void ring_sums(const json_t *ring, double *a, double *cx, double *cy) {
    size_t n = json_array_size(ring);
    for (size_t i = 0; i + 1 < n; i++) {
        const json_t *p = json_array_get(ring, i), *q = json_array_get(ring, i + 1);
        double x0 = json_number_value(json_array_get(p, 0)), y0 = json_number_value(json_array_get(p, 1));
        double x1 = json_number_value(json_array_get(q, 0)), y1 = json_number_value(json_array_get(q, 1));
        double c = x0 * y1 - x1 * y0;
        *a += c;
        *cx += (x0 + x1) * c;
        *cy += (y0 + y1) * c;
    }
}

int bs_zgw_centroid(const json_t *g, double *x, double *y) {
    const char *type = json_string_value(json_object_get(g, "type"));
    const json_t *coords = json_object_get(g, "coordinates");
    if (!type || !json_is_array(coords)) return -1;
    if (strcmp(type, "Point") == 0) {
        *x = json_number_value(json_array_get(coords, 0));
        *y = json_number_value(json_array_get(coords, 1));
        return 0;
    }
    double a = 0, cx = 0, cy = 0;
    if (strcmp(type, "Polygon") == 0) {
        ring_sums(json_array_get(coords, 0), &a, &cx, &cy);
    } else if (strcmp(type, "MultiPolygon") == 0) {
        for (size_t i = 0; i < json_array_size(coords); i++)
            ring_sums(json_array_get(json_array_get(coords, i), 0), &a, &cx, &cy);
    } else {
        return -1;
    }
    if (fabs(a) < 1e-12) return -1;
    *x = cx / (3 * a);
    *y = cy / (3 * a);
    return 0;
}

/* ---------------------------------------------------------------- configuration */

int bs_zgw_config_load(const char *path, json_t **out, bs_err *err) {
    json_error_t je;
    json_t *cfg = json_load_file(path, 0, &je);
    if (!cfg)
        return bs_err_set(err, json_error_code(&je) == json_error_cannot_open_file ? BS_EIO : BS_EMALFORMED, NULL,
                          "%s:%d:%d: %s", path, je.line, je.column, je.text);
    const char *problem = NULL;
    if (!json_is_object(cfg)) problem = "not a JSON object";
    const char *keys[] = {"zaken_url", "catalogi_url"};
    for (int i = 0; !problem && i < 2; i++) {
        const char *u = cfg_str(cfg, keys[i], NULL);
        if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0))
            problem = i == 0 ? "zaken_url must be an http(s) URL" : "catalogi_url must be an http(s) URL";
    }
    if (!problem && !cfg_str(cfg, "client_id", NULL)) problem = "client_id is required";
    if (!problem && !cfg_str(cfg, "secret", NULL)) {
        const char *env = getenv(cfg_str(cfg, "secret_env", "BOUWSTROOM_ZGW_SECRET"));
        if (env && *env)
            json_object_set_new(cfg, "secret", json_string(env));
        else
            problem = "secret is required (\"secret\", or the variable named by \"secret_env\")";
    }
    if (!problem && !cfg_str(cfg, "zaaktype_identificatie", NULL)) problem = "zaaktype_identificatie is required";
    if (!problem && !bs_zgw_rsin_valid(cfg_str(cfg, "bronorganisatie", NULL)))
        problem = "bronorganisatie must be a 9-digit RSIN passing the 11-test";
    if (!problem && cfg_str(cfg, "verantwoordelijke_organisatie", NULL) &&
        !bs_zgw_rsin_valid(cfg_str(cfg, "verantwoordelijke_organisatie", NULL)))
        problem = "verantwoordelijke_organisatie must be a 9-digit RSIN passing the 11-test";
    json_t *map = json_object_get(cfg, "statussen");
    if (!problem && !json_is_object(map))
        problem = "statussen must be an object: step key → statustype omschrijving or volgnummer";
    const char *k;
    json_t *v;
    if (!problem)
        json_object_foreach(map, k, v) if (!json_is_string(v) && !json_is_integer(v)) problem =
            "statussen values must be a statustype omschrijving (string) or volgnummer (integer)";
    if (problem) {
        json_decref(cfg);
        return bs_err_set(err, BS_EINVAL, NULL, "%s: %s", path, problem);
    }
    *out = cfg;
    return 0;
}

/* ---------------------------------------------------------------- a job */

typedef struct zjob {
    bs_zgw *z;
    bs_outbox_job *job;
    json_t *project;  /* owned: the project as loaded */
    json_t *st;       /* borrowed: job->remote_state */
    json_t *looked;   /* owned: what was looked up remotely in this run */
    bool lookup;      /* look up before every POST (a retry or a reconcile) */
    bool patch;       /* project fields changed: PATCH the zaak */
    bool created;     /* the zaak was created in this run */
    catalog cat;      /* a catalog being fetched by this job (moved to z when complete) */
    const char *what; /* the request in flight, for errors: "POST /zaken" */
    void (*on_ok)(struct zjob *j, json_t *doc, long status);
    char *step; /* owned: the step of a status request in flight */
} zjob;

static void zj_next(zjob *j);

static void catalog_free(catalog *c) {
    free(c->zaaktype);
    json_decref(c->statustypen);
    json_decref(c->roltypen);
    json_decref(c->resultaattypen);
    memset(c, 0, sizeof *c);
}

static void zj_end(zjob *j, bs_outbox_rc rc, const char *error) {
    bs_zgw *z = j->z;
    const char *zaak = json_string_value(json_object_get(j->st, "zaak"));
    char *zaak_copy = zaak ? bs_strdup(zaak) : NULL;
    bs_outbox_job_done(j->job, rc, error, zaak_copy);
    free(zaak_copy);
    json_decref(j->project);
    json_decref(j->looked);
    catalog_free(&j->cat);
    free(j->step);
    free(j);
    z->jobs--;
}

/* The error code of a remote HTTP status (≥ 300): what the same answer of ours would carry. */
static int remote_code(long status) {
    switch (status) {
    case 401: return BS_EUNAUTH;
    case 403: return BS_EFORBIDDEN;
    case 404: return BS_ENOTFOUND;
    case 405: return BS_EMETHOD;
    case 409: return BS_ECONFLICT;
    case 413: return BS_ETOOLARGE;
    case 415: return BS_EMEDIA;
    case 429: return BS_ERATE;
    case 408: return BS_EUNAVAILABLE;
    default: return status >= 500 ? BS_EUNAVAILABLE : status >= 400 ? BS_EINVAL : BS_EINTERNAL;
    }
}

/* Summarises a problem+json body (RFC 7807; ZGW "Fout"/"ValidatieFout") into err: the code
 * of the HTTP status, the first invalidParams name as field, and one line "what: HTTP status
 * title; invalidParams: name (code), …". Returns the code. */
static int problem_summary(const bs_hc_response *r, const char *what, bs_err *err) {
    json_t *doc = json_loadb(r->body, r->len, 0, NULL);
    const char *title = json_string_value(json_object_get(doc, "title"));
    json_t *ip = json_object_get(doc, "invalidParams");
    int code =
        bs_err_set(err, remote_code(r->status), json_string_value(json_object_get(json_array_get(ip, 0), "name")),
                   "%s: HTTP %ld%s%s", what, r->status, title ? " " : "", title ? title : "");
    size_t n = strlen(err->msg), cap = sizeof err->msg;
    if (json_array_size(ip) > 0 && n + 1 < cap) {
        n += (size_t)snprintf(err->msg + n, cap - n, "; invalidParams:");
        size_t i;
        json_t *p;
        json_array_foreach(ip, i, p) {
            if (n + 1 >= cap) break;
            const char *name = json_string_value(json_object_get(p, "name"));
            const char *pcode = json_string_value(json_object_get(p, "code"));
            n += (size_t)snprintf(err->msg + n, cap - n, "%s %s%s%s%s", i ? "," : "", name ? name : "?",
                                  pcode ? " (" : "", pcode ? pcode : "", pcode ? ")" : "");
        }
    }
    json_decref(doc);
    return code;
}

static void on_response(const bs_hc_response *r, void *arg) {
    zjob *j = arg;
    bs_err err = {0};
    if (j->z->stopping) {
        zj_end(j, BS_OUTBOX_RETRY, "stopped");
        return;
    }
    if (r->status == 0) {
        bs_err_set(&err, BS_EUNAVAILABLE, NULL, "%s: %s", j->what, r->error ? r->error : "no response");
        zj_end(j, BS_OUTBOX_RETRY, err.msg);
        return;
    }
    if (r->status >= 500 || r->status == 408 || r->status == 429) {
        problem_summary(r, j->what, &err);
        zj_end(j, BS_OUTBOX_RETRY, err.msg);
        return;
    }
    if (r->status == 404 && j->on_ok) { /* callers that handle 404 themselves get a NULL doc */
        j->on_ok(j, NULL, 404);
        return;
    }
    if (r->status == 400 && strcmp(j->what, "POST /zaken") == 0 && !json_is_true(json_object_get(j->looked, "zaak"))) {
        /* "identificatie not unique": an earlier POST landed (its answer was lost): look it up */
        json_t *doc = json_loadb(r->body, r->len, 0, NULL);
        size_t i;
        json_t *p;
        bool dup = false;
        json_array_foreach(json_object_get(doc, "invalidParams"), i, p) {
            const char *name = json_string_value(json_object_get(p, "name"));
            if (name && strcmp(name, "identificatie") == 0) dup = true;
        }
        json_decref(doc);
        if (dup) {
            j->lookup = true;
            zj_next(j);
            return;
        }
    }
    if (r->status >= 300) {
        problem_summary(r, j->what, &err);
        zj_end(j, BS_OUTBOX_GIVE_UP, err.msg);
        return;
    }
    json_error_t je;
    json_t *doc = json_loadb(r->body, r->len, 0, &je);
    if (!doc) {
        bs_err_set(&err, BS_EUNAVAILABLE, NULL, "%s: HTTP %ld with a body that is not JSON: %s", j->what, r->status,
                   je.text);
        zj_end(j, BS_OUTBOX_RETRY, err.msg);
        return;
    }
    j->on_ok(j, doc, r->status);
    json_decref(doc);
}

/* Sends one request. base: the API's base URL; path_and_query is appended. body may be NULL. */
static void zj_request(zjob *j, const char *method, const char *base, const char *path_and_query, json_t *body,
                       const char *what, void (*on_ok)(zjob *, json_t *, long)) {
    bs_zgw *z = j->z;
    j->what = what;
    j->on_ok = on_ok;
    char *jwt = bs_zgw_jwt(z->client_id, z->secret, z->user_id, z->user_repr, (long long)bs_clock_now(z->clock));
    char auth[2048];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", jwt ? jwt : "");
    free(jwt);
    const char *headers[6];
    int nh = 0;
    headers[nh++] = auth;
    headers[nh++] = "Accept: application/json";
    if (body) headers[nh++] = "Content-Type: application/json";
    /* Zaken API: Accept-Crs and Content-Crs are required on /zaken (zaken-1.5.yaml) */
    if (base == z->zaken && strncmp(path_and_query, "/zaken", 6) == 0) {
        headers[nh++] = "Accept-Crs: EPSG:4326";
        headers[nh++] = "Content-Crs: EPSG:4326";
    }
    size_t ul = strlen(base) + strlen(path_and_query) + 1;
    char *url = bs_malloc(ul);
    snprintf(url, ul, "%s%s", base, path_and_query);
    char *b = body ? bs_json_dumps(body, JSON_COMPACT) : NULL;
    int rc = bs_hc_request(z->http, method, url, headers, nh, b, b ? strlen(b) : 0, z->timeout_ms, on_response, j);
    free(url);
    free(b);
    if (rc != 0) zj_end(j, BS_OUTBOX_RETRY, "cannot start an HTTP request");
}

/* query-string escaping of a URL or value */
static char *qesc(const char *s) {
    size_t n = strlen(s);
    char *o = bs_malloc(3 * n + 1), *p = o;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
            *p++ = (char)c;
        else
            p += sprintf(p, "%%%02X", c);
    }
    *p = 0;
    return o;
}

static const char *uuid_of(const char *url) {
    const char *s = url ? strrchr(url, '/') : NULL;
    return s ? s + 1 : "";
}

/* ---------------------------------------------------------------- catalog */

static void cat_resultaattypen(zjob *j, json_t *doc, long status) {
    (void)status;
    if (!doc) {
        zj_end(j, BS_OUTBOX_GIVE_UP, "GET /resultaattypen: 404");
        return;
    }
    j->cat.resultaattypen = json_incref(json_object_get(doc, "results"));
    j->cat.fetched_ms = uv_now(j->z->loop);
    catalog_free(&j->z->cat);
    j->z->cat = j->cat; /* complete: the adapter's cache */
    memset(&j->cat, 0, sizeof j->cat);
    zj_next(j);
}

static void cat_roltypen(zjob *j, json_t *doc, long status) {
    (void)status;
    if (!doc) {
        zj_end(j, BS_OUTBOX_GIVE_UP, "GET /roltypen: 404");
        return;
    }
    j->cat.roltypen = json_incref(json_object_get(doc, "results"));
    char *zt = qesc(j->cat.zaaktype), q[2048];
    snprintf(q, sizeof q, "/resultaattypen?zaaktype=%s", zt);
    free(zt);
    zj_request(j, "GET", j->z->catalogi, q, NULL, "GET /resultaattypen", cat_resultaattypen);
}

static int by_volgnummer(const void *a, const void *b) {
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return (int)(json_integer_value(json_object_get(x, "volgnummer")) -
                 json_integer_value(json_object_get(y, "volgnummer")));
}

static void cat_statustypen(zjob *j, json_t *doc, long status) {
    (void)status;
    if (!doc) {
        zj_end(j, BS_OUTBOX_GIVE_UP, "GET /statustypen: 404");
        return;
    }
    json_t *res = json_object_get(doc, "results");
    size_t n = json_array_size(res);
    json_t **v = bs_calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = json_array_get(res, i);
    qsort(v, n, sizeof *v, by_volgnummer);
    j->cat.statustypen = json_array();
    for (size_t i = 0; i < n; i++) json_array_append(j->cat.statustypen, v[i]);
    free(v);
    char *zt = qesc(j->cat.zaaktype), q[2048];
    snprintf(q, sizeof q, "/roltypen?zaaktype=%s", zt);
    free(zt);
    zj_request(j, "GET", j->z->catalogi, q, NULL, "GET /roltypen", cat_roltypen);
}

static void cat_zaaktypen(zjob *j, json_t *doc, long status) {
    (void)status;
    if (!doc) {
        zj_end(j, BS_OUTBOX_GIVE_UP, "GET /zaaktypen: 404");
        return;
    }
    /* the version valid today: beginGeldigheid ≤ today < eindeGeldigheid (Catalogi API 1.3,
     * ZaakType; dates compare as YYYY-MM-DD strings); concept versions are not published */
    const char *today = j->cat.day, *found = NULL;
    size_t i;
    json_t *zt;
    json_array_foreach(json_object_get(doc, "results"), i, zt) {
        const char *b = json_string_value(json_object_get(zt, "beginGeldigheid"));
        const char *e = json_string_value(json_object_get(zt, "eindeGeldigheid"));
        if (json_is_true(json_object_get(zt, "concept"))) continue;
        if (b && strcmp(b, today) <= 0 && (!e || strcmp(today, e) < 0)) {
            found = json_string_value(json_object_get(zt, "url"));
            break;
        }
    }
    if (!found) {
        char err[300];
        snprintf(err, sizeof err, "configuration: no published zaaktype '%s' valid on %s in the Catalogi API",
                 j->z->zaaktype_id, today);
        zj_end(j, BS_OUTBOX_RETRY, err); /* may be published later */
        return;
    }
    j->cat.zaaktype = bs_strdup(found);
    char *q1 = qesc(found), q[2048];
    snprintf(q, sizeof q, "/statustypen?zaaktype=%s", q1);
    free(q1);
    zj_request(j, "GET", j->z->catalogi, q, NULL, "GET /statustypen", cat_statustypen);
}

static bool catalog_fresh(bs_zgw *z) {
    char today[11];
    today_amsterdam(z, today);
    return z->cat.zaaktype && strcmp(z->cat.day, today) == 0 && uv_now(z->loop) - z->cat.fetched_ms < CATALOG_TTL_MS;
}

static void catalog_fetch(zjob *j) {
    today_amsterdam(j->z, j->cat.day);
    char *id = qesc(j->z->zaaktype_id), q[1024];
    const char *catalogus = cfg_str(j->z->cfg, "catalogus", NULL);
    char *c = catalogus ? qesc(catalogus) : NULL;
    snprintf(q, sizeof q, "/zaaktypen?identificatie=%s%s%s", id, c ? "&catalogus=" : "", c ? c : "");
    free(id);
    free(c);
    zj_request(j, "GET", j->z->catalogi, q, NULL, "GET /zaaktypen", cat_zaaktypen);
}

/* the statustype a step maps to (config statussen: omschrijving or volgnummer), or NULL */
static json_t *statustype_for(bs_zgw *z, const char *step) {
    json_t *m = json_object_get(json_object_get(z->cfg, "statussen"), step);
    if (!m) return NULL;
    size_t i;
    json_t *st;
    json_array_foreach(z->cat.statustypen, i, st) {
        if (json_is_string(m) && json_equal(json_object_get(st, "omschrijving"), m)) return st;
        if (json_is_integer(m) && json_integer_value(json_object_get(st, "volgnummer")) == json_integer_value(m))
            return st;
    }
    return NULL;
}

static const char *roltype_for(bs_zgw *z, const char *generiek) {
    size_t i;
    json_t *rt;
    json_array_foreach(z->cat.roltypen, i, rt) {
        const char *g = json_string_value(json_object_get(rt, "omschrijvingGeneriek"));
        if (g && strcmp(g, generiek) == 0) return json_string_value(json_object_get(rt, "url"));
    }
    return NULL;
}

/* ---------------------------------------------------------------- the zaak */

static void identificatie(const zjob *j, char out[41]) {
    /* ≤ 40 characters (Zaak.identificatie maxLength 40): "BS-" + the project UUID's 32 hex digits */
    size_t n = 0;
    out[n++] = 'B';
    out[n++] = 'S';
    out[n++] = '-';
    for (const char *s = j->job->project_id; *s && n < 40; s++)
        if (*s != '-') out[n++] = (char)(*s >= 'a' && *s <= 'f' ? *s - 32 : *s);
    out[n] = 0;
}

static void set_zaak(zjob *j, json_t *zaak) {
    json_object_set(j->st, "zaak", json_object_get(zaak, "url"));
    json_object_set(j->st, "zaak_uuid", json_object_get(zaak, "uuid"));
}

static void zaak_created(zjob *j, json_t *doc, long status) {
    (void)status;
    if (!doc || !json_string_value(json_object_get(doc, "url"))) {
        zj_end(j, BS_OUTBOX_RETRY, "POST /zaken: answer without url");
        return;
    }
    set_zaak(j, doc);
    j->created = true;
    zj_next(j);
}

static void zaak_looked_up(zjob *j, json_t *doc, long status) {
    (void)status;
    json_object_set_new(j->looked, "zaak", json_true());
    json_t *first = json_array_get(json_object_get(doc, "results"), 0);
    if (first && json_string_value(json_object_get(first, "url"))) set_zaak(j, first);
    zj_next(j);
}

static void zaak_verified(zjob *j, json_t *doc, long status) {
    json_object_set_new(j->looked, "zaak_get", json_true());
    if (!doc && status == 404) { /* gone remotely: forget what we had and create it again */
        json_object_clear(j->st);
        json_object_set_new(j->looked, "zaak", json_false());
        j->lookup = true;
    }
    zj_next(j);
}

static void zaak_patched(zjob *j, json_t *doc, long status) {
    (void)status;
    if (!doc) {
        json_object_clear(j->st);
        json_object_set_new(j->looked, "zaak_get", json_true());
    }
    json_object_set_new(j->looked, "patch", json_true());
    zj_next(j);
}

/* the fields of the zaak we own (POST and PATCH) */
static json_t *zaak_fields(zjob *j) {
    json_t *p = j->project, *b = json_object();
    char *omschr = utf8_prefix(json_string_value(json_object_get(p, "name")), 80);
    json_object_set_new(b, "omschrijving", json_string(omschr));
    free(omschr);
    char toel[1000];
    char *name = utf8_prefix(json_string_value(json_object_get(p, "name")), 300);
    snprintf(toel, sizeof toel, "Woningbouwproject %s, gemeente %s (Bouwstroom)", name,
             json_string_value(json_object_get(p, "gemeente")));
    free(name);
    char *t = utf8_prefix(toel, 1000);
    json_object_set_new(b, "toelichting", json_string(t));
    free(t);
    json_t *pc = json_object_get(p, "planned_completion");
    if (json_is_string(pc)) json_object_set(b, "einddatumGepland", pc);
    json_t *g = json_object_get(p, "geometry");
    double x, y, lon, lat;
    if (json_is_object(g) && bs_zgw_centroid(g, &x, &y) == 0 &&
        bs_zgw_to_wgs84(json_string_value(json_object_get(p, "geometry_crs")), x, y, &lon, &lat) == 0) {
        json_t *pt = json_object();
        json_object_set_new(pt, "type", json_string("Point"));
        json_t *c = json_array();
        json_array_append_new(c, json_real(round(lon * 1e7) / 1e7));
        json_array_append_new(c, json_real(round(lat * 1e7) / 1e7));
        json_object_set_new(pt, "coordinates", c);
        json_object_set_new(b, "zaakgeometrie", pt);
    }
    return b;
}

static void zaak_post(zjob *j) {
    bs_zgw *z = j->z;
    json_t *b = zaak_fields(j);
    char id[41];
    identificatie(j, id);
    json_object_set_new(b, "identificatie", json_string(id));
    json_object_set_new(b, "bronorganisatie", json_string(z->rsin));
    json_object_set_new(b, "verantwoordelijkeOrganisatie", json_string(z->verantw));
    json_object_set_new(b, "zaaktype", json_string(z->cat.zaaktype));
    json_object_set(b, "startdatum", json_object_get(j->project, "startdatum"));
    json_t *k = json_object();
    json_object_set_new(k, "bron", json_string("Bouwstroom"));
    json_object_set_new(k, "kenmerk", json_string(j->job->project_id));
    json_t *ks = json_array();
    json_array_append_new(ks, k);
    json_object_set_new(b, "kenmerken", ks);
    zj_request(j, "POST", z->zaken, "/zaken", b, "POST /zaken", zaak_created);
    json_decref(b);
}

/* ---------------------------------------------------------------- rollen */

static const char *const ROLES[2] = {"gemeente", "ontwikkelaar"};

static void rol_done(zjob *j, json_t *doc, long status) {
    (void)status;
    const char *role = j->step;
    json_t *rollen = json_object_get(j->st, "rollen");
    if (!rollen) {
        rollen = json_object();
        json_object_set_new(j->st, "rollen", rollen);
    }
    if (doc && json_object_get(doc, "results")) { /* a lookup */
        char key[64];
        snprintf(key, sizeof key, "rol:%s", role);
        json_object_set_new(j->looked, key, json_true());
        json_t *first = json_array_get(json_object_get(doc, "results"), 0);
        if (first) json_object_set(rollen, role, json_object_get(first, "url"));
    } else if (doc) {
        json_object_set(rollen, role, json_object_get(doc, "url"));
    }
    zj_next(j);
}

/* returns true when a request was sent */
static bool rollen_step(zjob *j) {
    bs_zgw *z = j->z;
    json_t *rollen = json_object_get(j->st, "rollen");
    for (int r = 0; r < 2; r++) {
        const char *name = r == 0 ? json_string_value(json_object_get(j->project, "gemeente"))
                                  : json_string_value(json_object_get(j->project, "developer"));
        if (!name || !*name || json_object_get(rollen, ROLES[r])) continue;
        json_t *rc = json_object_get(z->cfg, "rollen");
        const char *generiek = cfg_str(rc, ROLES[r], r == 0 ? "behandelaar" : "initiator");
        const char *roltype = roltype_for(z, generiek);
        if (!roltype) continue; /* the zaaktype has no such roltype: nothing to map */
        free(j->step);
        j->step = bs_strdup(ROLES[r]);
        const char *zaak = json_string_value(json_object_get(j->st, "zaak"));
        char key[64];
        snprintf(key, sizeof key, "rol:%s", ROLES[r]);
        if (j->lookup && !json_object_get(j->looked, key)) {
            char *qz = qesc(zaak), *qr = qesc(roltype), q[4096];
            snprintf(q, sizeof q, "/rollen?zaak=%s&roltype=%s&betrokkeneType=%s", qz, qr,
                     r == 0 ? "organisatorische_eenheid" : "niet_natuurlijk_persoon");
            free(qz);
            free(qr);
            zj_request(j, "GET", z->zaken, q, NULL, "GET /rollen", rol_done);
            return true;
        }
        json_t *b = json_object();
        json_object_set_new(b, "zaak", json_string(zaak));
        json_object_set_new(b, "roltype", json_string(roltype));
        json_t *id = json_object();
        if (r == 0) {
            json_object_set_new(b, "betrokkeneType", json_string("organisatorische_eenheid"));
            json_object_set_new(b, "roltoelichting", json_string("Gemeente (Bouwstroom, publieke stroom)"));
            char *n50 = utf8_prefix(name, 50), *n24 = utf8_prefix(name, 24);
            json_object_set_new(id, "naam", json_string(n50));
            json_object_set_new(id, "identificatie", json_string(n24));
            free(n50);
            free(n24);
        } else {
            json_object_set_new(b, "betrokkeneType", json_string("niet_natuurlijk_persoon"));
            json_object_set_new(b, "roltoelichting", json_string("Ontwikkelaar (Bouwstroom, private stroom)"));
            char *n = utf8_prefix(name, 500);
            json_object_set_new(id, "statutaireNaam", json_string(n));
            free(n);
        }
        json_object_set_new(b, "betrokkeneIdentificatie", id);
        zj_request(j, "POST", z->zaken, "/rollen", b, "POST /rollen", rol_done);
        json_decref(b);
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------- statussen, resultaat */

static void status_done(zjob *j, json_t *doc, long status) {
    (void)status;
    json_t *ss = json_object_get(j->st, "statussen");
    if (!ss) {
        ss = json_object();
        json_object_set_new(j->st, "statussen", ss);
    }
    if (doc && json_object_get(doc, "results")) {
        char key[300];
        snprintf(key, sizeof key, "status:%s", j->step);
        json_object_set_new(j->looked, key, json_true());
        json_t *first = json_array_get(json_object_get(doc, "results"), 0);
        if (first) json_object_set(ss, j->step, json_object_get(first, "url"));
    } else if (doc) {
        json_object_set(ss, j->step, json_object_get(doc, "url"));
    }
    zj_next(j);
}

static void status_send(zjob *j, const char *step, json_t *stype) {
    bs_zgw *z = j->z;
    free(j->step);
    j->step = bs_strdup(step);
    const char *zaak = json_string_value(json_object_get(j->st, "zaak"));
    const char *stype_url = json_string_value(json_object_get(stype, "url"));
    char key[300];
    snprintf(key, sizeof key, "status:%s", step);
    if (j->lookup && !json_object_get(j->looked, key)) {
        char *qz = qesc(zaak), *qs = qesc(stype_url), q[4096];
        snprintf(q, sizeof q, "/statussen?zaak=%s&statustype=%s", qz, qs);
        free(qz);
        free(qs);
        zj_request(j, "GET", z->zaken, q, NULL, "GET /statussen", status_done);
        return;
    }
    json_t *b = json_object();
    json_object_set_new(b, "zaak", json_string(zaak));
    json_object_set_new(b, "statustype", json_string(stype_url));
    /* the civil date of the milestone at noon UTC: the same day in every Dutch time zone */
    char when[32];
    snprintf(when, sizeof when, "%sT12:00:00Z",
             json_string_value(json_object_get(json_object_get(j->project, "realised"), step)));
    json_object_set_new(b, "datumStatusGezet", json_string(when));
    char toel[300];
    snprintf(toel, sizeof toel, "Mijlpaal %s gerealiseerd (Bouwstroom)", step);
    json_object_set_new(b, "statustoelichting", json_string(toel));
    zj_request(j, "POST", z->zaken, "/statussen", b, "POST /statussen", status_done);
    json_decref(b);
}

static void resultaat_done(zjob *j, json_t *doc, long status) {
    (void)status;
    if (doc && json_object_get(doc, "results")) {
        json_object_set_new(j->looked, "resultaat", json_true());
        json_t *first = json_array_get(json_object_get(doc, "results"), 0);
        if (first) json_object_set(j->st, "resultaat", json_object_get(first, "url"));
    } else if (doc) {
        json_object_set(j->st, "resultaat", json_object_get(doc, "url"));
    }
    zj_next(j);
}

static bool resultaat_step(zjob *j) {
    bs_zgw *z = j->z;
    const char *want = cfg_str(z->cfg, "resultaattype_omschrijving", NULL);
    const char *rt = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(z->cat.resultaattypen, i, r) {
        const char *o = json_string_value(json_object_get(r, "omschrijving"));
        if (!want || (o && strcmp(o, want) == 0)) {
            rt = json_string_value(json_object_get(r, "url"));
            break;
        }
    }
    if (!rt) {
        zj_end(j, BS_OUTBOX_GIVE_UP, "configuration: no resultaattype to close the zaak with");
        return true;
    }
    const char *zaak = json_string_value(json_object_get(j->st, "zaak"));
    if (j->lookup && !json_object_get(j->looked, "resultaat")) {
        char *qz = qesc(zaak), q[4096];
        snprintf(q, sizeof q, "/resultaten?zaak=%s", qz);
        free(qz);
        zj_request(j, "GET", z->zaken, q, NULL, "GET /resultaten", resultaat_done);
        return true;
    }
    json_t *b = json_object();
    json_object_set_new(b, "zaak", json_string(zaak));
    json_object_set_new(b, "resultaattype", json_string(rt));
    json_object_set_new(b, "toelichting", json_string("Laatste oplevering gerealiseerd (Bouwstroom)"));
    zj_request(j, "POST", z->zaken, "/resultaten", b, "POST /resultaten", resultaat_done);
    json_decref(b);
    return true;
}

/* ---------------------------------------------------------------- the state machine */

/* Brings the remote zaak one request closer to the project; ends the job when nothing is left. */
static void zj_next(zjob *j) {
    bs_zgw *z = j->z;
    if (z->stopping) {
        zj_end(j, BS_OUTBOX_RETRY, "stopped");
        return;
    }
    if (!catalog_fresh(z)) {
        catalog_fetch(j);
        return;
    }
    /* the zaak */
    const char *zaak = json_string_value(json_object_get(j->st, "zaak"));
    if (!zaak) {
        if (j->lookup && !json_is_true(json_object_get(j->looked, "zaak"))) {
            char id[41], q[256];
            identificatie(j, id);
            snprintf(q, sizeof q, "/zaken?identificatie=%s&bronorganisatie=%s", id, z->rsin);
            zj_request(j, "GET", z->zaken, q, NULL, "GET /zaken", zaak_looked_up);
        } else {
            zaak_post(j);
        }
        return;
    }
    char path[200];
    snprintf(path, sizeof path, "/zaken/%s", json_string_value(json_object_get(j->st, "zaak_uuid")) ?: uuid_of(zaak));
    if (j->job->reconcile && !j->created && !json_object_get(j->looked, "zaak_get")) {
        zj_request(j, "GET", z->zaken, path, NULL, "GET /zaken/{uuid}", zaak_verified);
        return;
    }
    if (j->patch && !j->created && !json_object_get(j->looked, "patch")) {
        json_t *b = zaak_fields(j);
        zj_request(j, "PATCH", z->zaken, path, b, "PATCH /zaken/{uuid}", zaak_patched);
        json_decref(b);
        return;
    }
    if (rollen_step(j)) return;
    /* statussen of realised, mapped milestones, by volgnummer; the eindstatus last, after the resultaat */
    json_t *realised = json_object_get(j->project, "realised");
    json_t *done = json_object_get(j->st, "statussen");
    const char *eind_step = NULL;
    json_t *eind_type = NULL;
    size_t i;
    json_t *stype;
    json_array_foreach(z->cat.statustypen, i, stype) {
        const char *step;
        json_t *v;
        json_object_foreach(json_object_get(z->cfg, "statussen"), step, v) {
            (void)v;
            if (statustype_for(z, step) != stype || !json_object_get(realised, step)) continue;
            if (json_is_true(json_object_get(stype, "isEindstatus"))) {
                eind_step = step;
                eind_type = stype;
                continue;
            }
            if (!json_object_get(done, step)) {
                status_send(j, step, stype);
                return;
            }
        }
    }
    /* mapped steps whose statustype is missing from the zaaktype: a configuration error */
    const char *step;
    json_t *v;
    json_object_foreach(json_object_get(z->cfg, "statussen"), step, v) {
        (void)v;
        if (json_object_get(realised, step) && !statustype_for(z, step)) {
            char err[400];
            snprintf(err, sizeof err, "configuration: step %s maps to a statustype the zaaktype does not have", step);
            zj_end(j, BS_OUTBOX_GIVE_UP, err);
            return;
        }
    }
    if (eind_step && !json_object_get(done, eind_step)) {
        /* closing: the resultaat first, then the eindstatus (Zaken API: a zaak is closed by
         * its eindstatus, which requires a resultaat) */
        if (!json_object_get(j->st, "resultaat")) {
            resultaat_step(j);
            return;
        }
        status_send(j, eind_step, eind_type);
        return;
    }
    if (eind_step) json_object_set_new(j->st, "closed", json_true());
    zj_end(j, BS_OUTBOX_OK, NULL);
}

/* The project (SQL_ZGW_PROJECT, zgw_sql.h) is loaded: map it onto the case. */
static void project_loaded(const PGresult *res, const char *err, void *arg) {
    zjob *j = arg;
    if (err) {
        zj_end(j, BS_OUTBOX_RETRY, err);
        return;
    }
    if (PQntuples(res) == 0) {
        zj_end(j, BS_OUTBOX_OK, NULL); /* deleted meanwhile: its events went with it */
        return;
    }
    j->project = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    if (!j->project) {
        zj_end(j, BS_OUTBOX_GIVE_UP, "project JSON");
        return;
    }
    zj_next(j);
}

static void zgw_sync(void *self, bs_outbox_job *job) {
    bs_zgw *z = self;
    zjob *j = bs_calloc(1, sizeof *j);
    j->z = z;
    j->job = job;
    j->st = job->remote_state;
    j->looked = json_object();
    /* a retry (the first attempt may have landed without us hearing) or a reconcile: look up
     * before every POST, since the ZGW APIs have no idempotency keys */
    j->lookup = job->attempt > 1 || job->reconcile;
    size_t i;
    json_t *e;
    json_array_foreach(job->events, i, e) {
        const char *k = json_string_value(json_object_get(e, "kind"));
        if (k && (strcmp(k, "project_changed") == 0 || strcmp(k, "dates_changed") == 0)) j->patch = true;
    }
    z->jobs++;
    const char *p[1] = {job->project_id};
    bs_store_exec(z->store, &SQL_ZGW_PROJECT, p, project_loaded, j);
}

static const bs_adapter_ops ZGW_OPS = {.name = "zgw", .sync = zgw_sync};

/* ---------------------------------------------------------------- start / stop */

bs_zgw *bs_zgw_start(uv_loop_t *loop, bs_store *store, const bs_clock *clock, json_t *cfg, bool once,
                     void (*idle)(void *), void *idle_arg, bs_err *err) {
    if (sodium_init() < 0) {
        bs_err_set(err, BS_EINTERNAL, NULL, "libsodium cannot be initialised");
        return NULL;
    }
    bs_zgw *z = bs_calloc(1, sizeof *z);
    z->loop = loop;
    z->clock = clock;
    z->store = store;
    z->cfg = json_incref(cfg);
    z->zaken = cfg_str(cfg, "zaken_url", "");
    z->catalogi = cfg_str(cfg, "catalogi_url", "");
    z->client_id = cfg_str(cfg, "client_id", "");
    z->secret = cfg_str(cfg, "secret", "");
    z->user_id = cfg_str(cfg, "user_id", "bouwstroom");
    z->user_repr = cfg_str(cfg, "user_representation", "Bouwstroom");
    z->zaaktype_id = cfg_str(cfg, "zaaktype_identificatie", "");
    z->rsin = cfg_str(cfg, "bronorganisatie", "");
    z->verantw = cfg_str(cfg, "verantwoordelijke_organisatie", z->rsin);
    z->timeout_ms = cfg_int(cfg, "timeout_ms", 15000);
    z->http = bs_hc_new(loop);
    if (!z->http) {
        bs_err_set(err, BS_EINTERNAL, NULL, "libcurl cannot be initialised");
        json_decref(z->cfg);
        free(z);
        return NULL;
    }
    json_t *gs = json_object_get(cfg, "gemeenten");
    const char *gem[256];
    int ng = 0;
    for (size_t i = 0; i < json_array_size(gs) && ng < 256; i++)
        if (json_is_string(json_array_get(gs, i))) gem[ng++] = json_string_value(json_array_get(gs, i));
    bs_outbox_config oc = {.lease_s = (int)cfg_int(cfg, "lease_s", 30),
                           .max_parallel = (int)cfg_int(cfg, "max_parallel", 4),
                           .retry_base_ms = (int)cfg_int(cfg, "retry_base_ms", 30000),
                           .retry_max_ms = (int)cfg_int(cfg, "retry_max_ms", 3600000),
                           .poll_ms = (int)cfg_int(cfg, "poll_ms", 5000),
                           .reconcile_interval_s = (int)cfg_int(cfg, "reconcile_interval_s", 86400),
                           .gemeenten = ng ? gem : NULL,
                           .n_gemeenten = ng};
    const char *lease_ms = getenv("BOUWSTROOM_QUEUE_LEASE_MS"); /* tests: leases of seconds */
    if (lease_ms) oc.lease_ms = atoi(lease_ms);
    z->outbox = bs_outbox_start(loop, store, &ZGW_OPS, z, &oc, once, idle, idle_arg);
    return z;
}

static void part_closed(void *arg) {
    bs_zgw *z = arg;
    if (--z->closing > 0) return;
    void (*done)(void *) = z->done;
    void *darg = z->done_arg;
    catalog_free(&z->cat);
    json_decref(z->cfg);
    free(z);
    bs_zgw_proj_free();
    if (done) done(darg);
}

bool bs_zgw_running(const bs_zgw *z, char *why, size_t len) {
    if (z->stopping) {
        snprintf(why, len, "stopping");
        return false;
    }
    return bs_outbox_running(z->outbox, why, len);
}

void bs_zgw_stop(bs_zgw *z, void (*done)(void *), void *arg) {
    z->stopping = true;
    z->done = done;
    z->done_arg = arg;
    z->closing = 2;
    /* the outbox stops claiming and waits for the jobs in flight; closing the HTTP client
     * aborts their requests, so they end now ("stopped": retried after a restart) */
    bs_outbox_stop(z->outbox, part_closed, z);
    bs_hc_close(z->http, part_closed, z);
}

/* ---------------------------------------------------------------- Notificaties webhook */

typedef struct hook_ctx {
    bs_outbox_count_cb cb;
    void *arg;
    bs_outbox *kick;
} hook_ctx;

static void hook_scheduled(int n, const char *err, void *arg) {
    hook_ctx *h = arg;
    if (err) fprintf(stderr, "adapters[zgw]: notification: %s\n", err);
    if (n > 0 && h->kick) bs_outbox_kick(h->kick);
    if (h->cb) h->cb(n, err, h->arg);
    free(h);
}

static int webhook(const json_t *cfg, bs_store *store, bs_outbox *kick, const char *authorization, const char *body,
                   size_t len, bs_outbox_count_cb cb, void *arg) {
    const char *want = cfg_str(cfg, "notification_auth", NULL);
    if (!authorization || !*authorization) return 401;
    if (!want) return 403;
    /* constant time: compare keyed hashes of equal length, then the lengths */
    unsigned char key[crypto_generichash_KEYBYTES], a[32], b[32];
    randombytes_buf(key, sizeof key);
    crypto_generichash(a, sizeof a, (const unsigned char *)authorization, strlen(authorization), key, sizeof key);
    crypto_generichash(b, sizeof b, (const unsigned char *)want, strlen(want), key, sizeof key);
    if (sodium_memcmp(a, b, sizeof a) != 0) return 403;
    json_t *doc = json_loadb(body ? body : "", len, 0, NULL);
    /* Notificatie (notificaties-consumer.yaml): kanaal, hoofdObject, resource, resourceUrl, actie, aanmaakdatum */
    const char *req[] = {"kanaal", "hoofdObject", "resource", "resourceUrl", "actie", "aanmaakdatum"};
    for (int i = 0; i < 6; i++)
        if (!json_is_string(json_object_get(doc, req[i]))) {
            json_decref(doc);
            return 400;
        }
    if (strcmp(json_string_value(json_object_get(doc, "kanaal")), "zaken") == 0) {
        hook_ctx *h = bs_calloc(1, sizeof *h);
        h->cb = cb;
        h->arg = arg;
        h->kick = kick;
        bs_outbox_schedule_reconcile(store, "zgw", json_string_value(json_object_get(doc, "hoofdObject")),
                                     hook_scheduled, h);
    } else if (cb) {
        cb(0, NULL, arg);
    }
    json_decref(doc);
    return 204;
}

int bs_zgw_webhook(bs_zgw *z, const char *authorization, const char *body, size_t len, bs_outbox_count_cb cb,
                   void *arg) {
    return webhook(z->cfg, z->store, z->outbox, authorization, body, len, cb, arg);
}

int bs_zgw_webhook_cfg(const json_t *cfg, bs_store *store, const char *authorization, const char *body, size_t len,
                       bs_outbox_count_cb cb, void *arg) {
    return webhook(cfg, store, NULL, authorization, body, len, cb, arg);
}
