/*
 * Bouwstroom adapter: coordinate conversion between RD New (EPSG:28992), WGS84
 * (EPSG:4326) and ETRS89 (EPSG:4258) with PROJ (Debian libproj, PROJ 9 API), and the
 * in-place conversion of GeoJSON geometries (RFC 7946 §3.1). See docs/geo.md.
 *
 * Axis order everywhere in this module: RD as (x = easting, y = northing) in metres;
 * geographic CRSs as (longitude, latitude) in decimal degrees, the order of GeoJSON
 * (RFC 7946 §3.1.1) — not the EPSG axis order (latitude first), which
 * proj_normalize_for_visualization removes.
 *
 * Accuracy: Debian's proj-data lacks the Dutch RDNAPTRANS™2018 correction grid
 * (nl_nsgi_rdtrans2018.tif), so PROJ uses a 7-parameter Helmert transformation
 * (EPSG "Amersfoort to ETRS89 (8)" / "Amersfoort to WGS 84 (3)/(4)") plus the oblique
 * stereographic projection. Against the 10,000 official NSGI validation points the
 * horizontal error is at most 0.24 m (docs/geo.md has the figures). When the grid is
 * installed locally (PROJ_DATA), PROJ picks it up by itself. PROJ's network access
 * (CDN grids) is switched off: a conversion never does I/O beyond proj.db.
 *
 * Not thread-safe: one bs_geo per thread (a PJ_CONTEXT belongs to one thread).
 */
#ifndef BS_GEO_H
#define BS_GEO_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Errors are the shells' currency (err.h): 0 (BS_OK) or
 *   BS_EINTERNAL   PROJ could not create the context or the transformation
 *   BS_EMALFORMED  malformed input: unknown CRS, bad GeoJSON geometry, non-finite number
 *   BS_EINVAL      a coordinate could not be transformed (outside the domain)
 * with the message in the bs_err (may be NULL); field is left empty. */

/* The supported coordinate reference systems; the value is the EPSG code. */
typedef enum bs_crs {
    BS_CRS_RD = 28992,    /* Amersfoort / RD New: x, y in metres */
    BS_CRS_WGS84 = 4326,  /* WGS 84: lon, lat in degrees (RFC 7946 default CRS) */
    BS_CRS_ETRS89 = 4258, /* ETRS89: lon, lat in degrees (the CRS of RDNAPTRANS™2018) */
} bs_crs;

typedef struct bs_geo bs_geo;

/* Creates a conversion context (its own PJ_CONTEXT, network off, PROJ log messages kept
 * for error texts instead of printed). Transformations are created lazily on first use.
 * *out receives the context (free with bs_geo_close). Returns BS_OK or BS_EINTERNAL
 * (message in err, may be NULL). */
int bs_geo_open(bs_geo **out, bs_err *err);

/* Frees the context and its transformations. NULL is allowed. */
void bs_geo_close(bs_geo *geo);

/* Parses a CRS name as it appears in GeoJSON "crs" members and in projects.geometry_crs:
 * "EPSG:28992", "urn:ogc:def:crs:EPSG::28992", "urn:ogc:def:crs:EPSG:6.x:28992",
 * "urn:ogc:def:crs:OGC:1.3:CRS84" / "OGC:CRS84" (= WGS84 lon/lat, RFC 7946 §4), likewise
 * 4326 and 4258. Returns BS_OK with *out set, or BS_EMALFORMED for anything else. */
int bs_geo_crs_parse(const char *name, bs_crs *out);

/* "EPSG:28992", "EPSG:4326" or "EPSG:4258" (static string; NULL for a value not in bs_crs). */
const char *bs_geo_crs_name(bs_crs crs);

/* Decimals that bs_geo_transform_geometry rounds to in crs: 2 for RD (1 cm), 7 for the
 * geographic CRSs (1e-7 degree ≈ 1.1 cm north-south in the Netherlands). */
int bs_geo_crs_decimals(bs_crs crs);

/* Converts one point from → to (axis order above), unrounded. from == to copies.
 * Returns BS_OK, BS_EMALFORMED (non-finite input), BS_EINTERNAL (transformation could
 * not be created) or BS_EINVAL (PROJ could not transform this point); message in err. */
int bs_geo_point(bs_geo *geo, bs_crs from, bs_crs to, double a, double b, double *out_a, double *out_b, bs_err *err);

/* Converts n points in place with one proj_trans_generic call: xs[i], ys[i] are (x, y) or
 * (lon, lat). Unrounded. Same returns as bs_geo_point; on BS_EINVAL the arrays hold
 * PROJ's output (HUGE_VAL for the failed points). */
int bs_geo_points(bs_geo *geo, bs_crs from, bs_crs to, double *xs, double *ys, size_t n, bs_err *err);

/* Converts every position of a GeoJSON geometry object (Point, MultiPoint, LineString,
 * MultiLineString, Polygon, MultiPolygon, GeometryCollection; RFC 7946 §3.1) in place from
 * → to and rounds x/y (or lon/lat) to bs_geo_crs_decimals(to); a third element (height) is
 * kept as it is. With from == to it only rounds. When rfc7946_rings is non-zero, polygon
 * rings are reordered to the right-hand rule afterwards (exterior counterclockwise, holes
 * clockwise; RFC 7946 §3.1.6) — orientation is measured in the output plane (lon/lat or
 * x/y). Checks the structure: positions of ≥ 2 finite numbers, LineStrings of ≥ 2 and
 * closed rings of ≥ 4 positions. Returns BS_OK, BS_EMALFORMED (malformed; the geometry
 * may be partly converted), BS_EINTERNAL or BS_EINVAL; message in err. geo may be NULL
 * when from == to (checking and rounding only; no PROJ involved). */
int bs_geo_transform_geometry(bs_geo *geo, json_t *geometry, bs_crs from, bs_crs to, int rfc7946_rings, bs_err *err);

/* Describes the coordinate operation PROJ actually applies from → to at the point (a, b):
 * its name and its PROJ pipeline definition ("name: +proj=pipeline …"), written into buf
 * (buf_size bytes). With the Dutch grid missing this shows the Helmert fallback.
 * Returns BS_OK or an error status as bs_geo_point. */
int bs_geo_describe(bs_geo *geo, bs_crs from, bs_crs to, double a, double b, char *buf, size_t buf_size);

#endif
