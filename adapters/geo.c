/*
 * Coordinate conversion with PROJ. See geo.h and docs/geo.md.
 */
#include "geo.h"

#include <math.h>
#include <proj.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define N_CRS 3

struct bs_geo {
    PJ_CONTEXT *ctx;
    PJ *ops[N_CRS][N_CRS]; /* [from][to], created on first use, normalised to x/y and lon/lat */
    char last_log[256];    /* last message PROJ logged (for error texts) */
};

static int crs_index(bs_crs c) {
    switch (c) {
    case BS_CRS_RD: return 0;
    case BS_CRS_WGS84: return 1;
    case BS_CRS_ETRS89: return 2;
    }
    return -1;
}

static void log_to_buffer(void *app, int level, const char *msg) {
    (void)level;
    bs_geo *g = app;
    snprintf(g->last_log, sizeof g->last_log, "%s", msg ? msg : "");
}

int bs_geo_open(bs_geo **out, bs_err *err) {
    *out = NULL;
    bs_geo *g = bs_calloc(1, sizeof *g);
    g->ctx = proj_context_create();
    if (!g->ctx) {
        free(g);
        return bs_err_set(err, BS_EINTERNAL, NULL, "proj_context_create failed");
    }
    proj_log_func(g->ctx, g, log_to_buffer);
    proj_log_level(g->ctx, PJ_LOG_ERROR);
    proj_context_set_enable_network(g->ctx, 0);
    *out = g;
    return BS_OK;
}

void bs_geo_close(bs_geo *g) {
    if (!g) return;
    for (int i = 0; i < N_CRS; i++)
        for (int j = 0; j < N_CRS; j++)
            if (g->ops[i][j]) proj_destroy(g->ops[i][j]);
    proj_context_destroy(g->ctx);
    free(g);
}

const char *bs_geo_crs_name(bs_crs crs) {
    switch (crs) {
    case BS_CRS_RD: return "EPSG:28992";
    case BS_CRS_WGS84: return "EPSG:4326";
    case BS_CRS_ETRS89: return "EPSG:4258";
    }
    return NULL;
}

int bs_geo_crs_decimals(bs_crs crs) {
    return crs == BS_CRS_RD ? 2 : 7;
}

int bs_geo_crs_parse(const char *name, bs_crs *out) {
    if (!name) return BS_EMALFORMED;
    if (strcmp(name, "urn:ogc:def:crs:OGC:1.3:CRS84") == 0 || strcmp(name, "urn:ogc:def:crs:OGC::CRS84") == 0 ||
        strcmp(name, "OGC:CRS84") == 0) {
        *out = BS_CRS_WGS84;
        return BS_OK;
    }
    const char *code = NULL;
    if (strncmp(name, "EPSG:", 5) == 0) {
        code = name + 5;
    } else if (strncmp(name, "urn:ogc:def:crs:EPSG:", 21) == 0) {
        code = strchr(name + 21, ':'); /* urn:ogc:def:crs:EPSG:{version}:{code}, version may be empty */
        if (code) code++;
    }
    if (!code) return BS_EMALFORMED;
    if (strcmp(code, "28992") == 0)
        *out = BS_CRS_RD;
    else if (strcmp(code, "4326") == 0)
        *out = BS_CRS_WGS84;
    else if (strcmp(code, "4258") == 0)
        *out = BS_CRS_ETRS89;
    else
        return BS_EMALFORMED;
    return BS_OK;
}

/* The normalised transformation from → to (created on first use), or NULL (err set). */
static PJ *op_get(bs_geo *g, bs_crs from, bs_crs to, bs_err *err) {
    int i = crs_index(from), j = crs_index(to);
    if (i < 0 || j < 0) {
        bs_err_set(err, BS_EINTERNAL, NULL, "unsupported CRS (EPSG:%d → EPSG:%d)", (int)from, (int)to);
        return NULL;
    }
    if (g->ops[i][j]) return g->ops[i][j];
    g->last_log[0] = 0;
    PJ *raw = proj_create_crs_to_crs(g->ctx, bs_geo_crs_name(from), bs_geo_crs_name(to), NULL);
    if (!raw) {
        bs_err_set(err, BS_EINTERNAL, NULL, "PROJ cannot create %s → %s: %s", bs_geo_crs_name(from),
                   bs_geo_crs_name(to),
                   g->last_log[0] ? g->last_log : proj_context_errno_string(g->ctx, proj_context_errno(g->ctx)));
        return NULL;
    }
    PJ *norm = proj_normalize_for_visualization(g->ctx, raw);
    proj_destroy(raw);
    if (!norm) {
        bs_err_set(err, BS_EINTERNAL, NULL, "PROJ cannot normalise the axis order of %s → %s: %s",
                   bs_geo_crs_name(from), bs_geo_crs_name(to), g->last_log);
        return NULL;
    }
    g->ops[i][j] = norm;
    return norm;
}

int bs_geo_point(bs_geo *g, bs_crs from, bs_crs to, double a, double b, double *out_a, double *out_b, bs_err *err) {
    if (!isfinite(a) || !isfinite(b)) {
        return bs_err_set(err, BS_EMALFORMED, NULL, "coordinate is not a finite number");
    }
    if (from == to && crs_index(from) >= 0) {
        *out_a = a;
        *out_b = b;
        return BS_OK;
    }
    PJ *p = op_get(g, from, to, err);
    if (!p) return BS_EINTERNAL;
    PJ_COORD c = proj_coord(a, b, 0, HUGE_VAL);
    proj_errno_reset(p);
    PJ_COORD r = proj_trans(p, PJ_FWD, c);
    int e = proj_errno(p);
    if (e || !isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL) {
        bs_err_set(err, BS_EINVAL, NULL, "%s (%.9g, %.9g) cannot be converted to %s: %s", bs_geo_crs_name(from), a, b,
                   bs_geo_crs_name(to), e ? proj_context_errno_string(g->ctx, e) : "no result");
        proj_errno_reset(p);
        return BS_EINVAL;
    }
    *out_a = r.xy.x;
    *out_b = r.xy.y;
    return BS_OK;
}

int bs_geo_points(bs_geo *g, bs_crs from, bs_crs to, double *xs, double *ys, size_t n, bs_err *err) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(xs[i]) || !isfinite(ys[i])) {
            return bs_err_set(err, BS_EMALFORMED, NULL, "coordinate %zu is not a finite number", i);
        }
    if (n == 0 || (from == to && crs_index(from) >= 0)) return BS_OK;
    PJ *p = op_get(g, from, to, err);
    if (!p) return BS_EINTERNAL;
    proj_errno_reset(p);
    size_t done = proj_trans_generic(p, PJ_FWD, xs, sizeof *xs, n, ys, sizeof *ys, n, NULL, 0, 0, NULL, 0, 0);
    int e = proj_errno(p);
    proj_errno_reset(p);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(xs[i]) || !isfinite(ys[i]) || xs[i] == HUGE_VAL) {
            return bs_err_set(err, BS_EINVAL, NULL, "point %zu cannot be converted from %s to %s: %s", i,
                              bs_geo_crs_name(from), bs_geo_crs_name(to),
                              e ? proj_context_errno_string(g->ctx, e) : "no result");
        }
    if (done != n) {
        return bs_err_set(err, BS_EINVAL, NULL, "PROJ converted %zu of %zu points", done, n);
    }
    return BS_OK;
}

int bs_geo_describe(bs_geo *g, bs_crs from, bs_crs to, double a, double b, char *buf, size_t buf_size) {
    double x, y;
    bs_err err = {0};
    int rc = bs_geo_point(g, from, to, a, b, &x, &y, &err);
    if (rc != BS_OK) {
        snprintf(buf, buf_size, "%s", err.msg);
        return rc;
    }
    if (from == to) {
        snprintf(buf, buf_size, "identity (no operation)");
        return BS_OK;
    }
    PJ *p = g->ops[crs_index(from)][crs_index(to)];
    PJ *used = proj_trans_get_last_used_operation(p);
    PJ_PROJ_INFO info = proj_pj_info(used ? used : p);
    snprintf(buf, buf_size, "%s: %s", info.description ? info.description : "?",
             info.definition && *info.definition ? info.definition : "(no single pipeline)");
    if (used) proj_destroy(used);
    return BS_OK;
}

/* ---- GeoJSON geometries ---- */

/* The positions of a geometry, collected for one bulk conversion. */
typedef struct walk {
    json_t **pos; /* borrowed */
    size_t n, cap;
    json_t **rings; /* polygon rings with their role, for the right-hand rule */
    int *exterior;
    size_t n_rings, rings_cap;
    bs_err *err;
} walk;

static int push_position(walk *w, json_t *p, const char *where) {
    if (!json_is_array(p) || json_array_size(p) < 2 || json_array_size(p) > 3) {
        return bs_err_set(w->err, BS_EMALFORMED, NULL, "%s: a position must be an array of 2 or 3 numbers", where);
    }
    for (size_t k = 0; k < json_array_size(p); k++) {
        json_t *v = json_array_get(p, k);
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            return bs_err_set(w->err, BS_EMALFORMED, NULL, "%s: a position must be an array of 2 or 3 numbers", where);
        }
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->pos = bs_realloc(w->pos, w->cap * sizeof *w->pos);
    }
    w->pos[w->n++] = p;
    return BS_OK;
}

static int push_positions(walk *w, json_t *arr, size_t min, const char *where) {
    if (!json_is_array(arr) || json_array_size(arr) < min) {
        return bs_err_set(w->err, BS_EMALFORMED, NULL, "%s: needs an array of at least %zu positions", where, min);
    }
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (push_position(w, json_array_get(arr, i), where) != BS_OK) return BS_EMALFORMED;
    return BS_OK;
}

static int push_polygon(walk *w, json_t *rings) {
    if (!json_is_array(rings)) {
        return bs_err_set(w->err, BS_EMALFORMED, NULL, "Polygon: coordinates must be an array of linear rings");
    }
    for (size_t r = 0; r < json_array_size(rings); r++) {
        json_t *ring = json_array_get(rings, r);
        if (push_positions(w, ring, 4, "Polygon ring") != BS_OK) return BS_EMALFORMED;
        json_t *first = json_array_get(ring, 0), *last = json_array_get(ring, json_array_size(ring) - 1);
        if (!json_equal(first, last)) { /* RFC 7946 §3.1.6: first and last positions are equivalent */
            return bs_err_set(w->err, BS_EMALFORMED, NULL,
                              "Polygon ring: not closed (first and last positions differ)");
        }
        if (w->n_rings == w->rings_cap) {
            w->rings_cap = w->rings_cap ? 2 * w->rings_cap : 16;
            w->rings = bs_realloc(w->rings, w->rings_cap * sizeof *w->rings);
            w->exterior = bs_realloc(w->exterior, w->rings_cap * sizeof *w->exterior);
        }
        w->rings[w->n_rings] = ring;
        w->exterior[w->n_rings++] = r == 0;
    }
    return BS_OK;
}

static int collect(walk *w, json_t *g, int depth) {
    const char *type = json_string_value(json_object_get(g, "type"));
    if (!json_is_object(g) || !type) {
        return bs_err_set(w->err, BS_EMALFORMED, NULL, "geometry: an object with a \"type\" is required");
    }
    if (strcmp(type, "GeometryCollection") == 0) {
        json_t *gs = json_object_get(g, "geometries");
        if (!json_is_array(gs) || depth > 8) {
            return bs_err_set(w->err, BS_EMALFORMED, NULL,
                              "GeometryCollection: \"geometries\" must be an array (nesting ≤ 8)");
        }
        for (size_t i = 0; i < json_array_size(gs); i++)
            if (collect(w, json_array_get(gs, i), depth + 1) != BS_OK) return BS_EMALFORMED;
        return BS_OK;
    }
    json_t *c = json_object_get(g, "coordinates");
    if (strcmp(type, "Point") == 0) return push_position(w, c, "Point");
    if (strcmp(type, "MultiPoint") == 0) return push_positions(w, c, 0, "MultiPoint");
    if (strcmp(type, "LineString") == 0) return push_positions(w, c, 2, "LineString");
    if (strcmp(type, "Polygon") == 0) return push_polygon(w, c);
    if (strcmp(type, "MultiLineString") == 0 || strcmp(type, "MultiPolygon") == 0) {
        bool poly = type[5] == 'P';
        if (!json_is_array(c)) {
            return bs_err_set(w->err, BS_EMALFORMED, NULL, "%s: coordinates must be an array", type);
        }
        for (size_t i = 0; i < json_array_size(c); i++) {
            int rc =
                poly ? push_polygon(w, json_array_get(c, i)) : push_positions(w, json_array_get(c, i), 2, "LineString");
            if (rc != BS_OK) return rc;
        }
        return BS_OK;
    }
    return bs_err_set(w->err, BS_EMALFORMED, NULL, "geometry type '%s' is not a GeoJSON geometry type", type);
}

static double round_to(double v, double scale) {
    return round(v * scale) / scale + 0.0; /* + 0.0: no "-0.0" */
}

/* Twice the signed area of a ring in its plane (> 0: counterclockwise). */
static double ring_area2(json_t *ring) {
    double s = 0;
    size_t n = json_array_size(ring);
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *p = json_array_get(ring, i), *q = json_array_get(ring, i + 1);
        s += json_number_value(json_array_get(p, 0)) * json_number_value(json_array_get(q, 1)) -
             json_number_value(json_array_get(q, 0)) * json_number_value(json_array_get(p, 1));
    }
    return s;
}

static void ring_reverse(json_t *ring) {
    size_t n = json_array_size(ring);
    for (size_t i = 0; i < n / 2; i++) {
        json_t *a = json_incref(json_array_get(ring, i)), *b = json_incref(json_array_get(ring, n - 1 - i));
        json_array_set_new(ring, i, b);
        json_array_set_new(ring, n - 1 - i, a);
    }
}

int bs_geo_transform_geometry(bs_geo *g, json_t *geometry, bs_crs from, bs_crs to, int rfc7946_rings, bs_err *err) {
    if (crs_index(from) < 0 || crs_index(to) < 0) {
        return bs_err_set(err, BS_EMALFORMED, NULL, "unsupported CRS (EPSG:%d → EPSG:%d)", (int)from, (int)to);
    }
    walk w = {.err = err};
    int rc = collect(&w, geometry, 0);
    double *xs = NULL, *ys = NULL;
    if (rc == BS_OK && w.n) {
        xs = bs_malloc(w.n * sizeof *xs);
        ys = bs_malloc(w.n * sizeof *ys);
        for (size_t i = 0; i < w.n; i++) {
            xs[i] = json_number_value(json_array_get(w.pos[i], 0));
            ys[i] = json_number_value(json_array_get(w.pos[i], 1));
        }
        rc = bs_geo_points(g, from, to, xs, ys, w.n, err);
    }
    if (rc == BS_OK) {
        double scale = pow(10, bs_geo_crs_decimals(to));
        for (size_t i = 0; i < w.n; i++) {
            json_array_set_new(w.pos[i], 0, json_real(round_to(xs[i], scale)));
            json_array_set_new(w.pos[i], 1, json_real(round_to(ys[i], scale)));
        }
        if (rfc7946_rings)
            for (size_t r = 0; r < w.n_rings; r++) {
                double a = ring_area2(w.rings[r]);
                if ((w.exterior[r] && a < 0) || (!w.exterior[r] && a > 0)) ring_reverse(w.rings[r]);
            }
    }
    free(xs);
    free(ys);
    free(w.pos);
    free(w.rings);
    free(w.exterior);
    return rc;
}
