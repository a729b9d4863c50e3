/*
 * GeoJSON exchange commands. See geojson_cmd.h.
 */
#include "geojson_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geojson_exchange.h"

int bs_cli_geojson_prepare(const char *command, int argc, char **argv, bs_cli_geojson *c) {
    memset(c, 0, sizeof *c);
    if (strcmp(command, "import-geojson") == 0) {
        if (argc != 1 || argv[0][0] == '-') {
            fprintf(stderr, "usage: bouwstroom import-geojson FILE\n");
            return 2;
        }
        c->in_path = argv[0];
        return 0;
    }
    c->is_export = 1;
    const char *form = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--geojson") == 0 && i + 1 < argc)
            form = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            c->out_path = argv[++i];
        else {
            form = NULL;
            break;
        }
    }
    if (!form || (strcmp(form, "rd") != 0 && strcmp(form, "wgs84") != 0)) {
        fprintf(stderr, "usage: bouwstroom export --geojson rd|wgs84 [--out FILE]\n");
        return 2;
    }
    c->crs = strcmp(form, "rd") == 0 ? BS_CRS_RD : BS_CRS_WGS84;
    bs_err err = {0};
    if (bs_geo_open(&c->geo, &err) != BS_OK) {
        fprintf(stderr, "bouwstroom export: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static void finish(bs_cli_geojson *c, int rc) {
    bs_geo_close(c->geo);
    c->geo = NULL;
    c->done(rc, c->arg);
}

static int file_sink(const char *data, size_t len, void *arg) {
    return fwrite(data, 1, len, (FILE *)arg) == len ? 0 : -1;
}

static void export_rows(const PGresult *res, const char *err, void *arg) {
    bs_cli_geojson *c = arg;
    if (err) {
        fprintf(stderr, "export failed: %s\n", err);
        finish(c, 1);
        return;
    }
    char tmp[4096];
    FILE *out = stdout;
    if (c->out_path) {
        snprintf(tmp, sizeof tmp, "%s.tmp", c->out_path);
        out = fopen(tmp, "w");
        if (!out) {
            fprintf(stderr, "export failed: %s: %s\n", tmp, strerror(errno));
            finish(c, 1);
            return;
        }
    }
    bs_err e = {0};
    long n = 0;
    int rc = bs_geojson_write_head(c->crs, file_sink, out, &e);
    if (rc == BS_OK) rc = bs_geojson_write_rows(c->geo, res, c->crs, &n, file_sink, out, &e);
    if (rc == BS_OK) rc = bs_geojson_write_tail(file_sink, out, &e);
    if (rc == BS_OK && fflush(out) != 0)
        rc = bs_err_set(&e, BS_EIO, NULL, "writing the output failed: %s", strerror(errno));
    if (c->out_path) {
        if (fclose(out) != 0 && rc == BS_OK)
            rc = bs_err_set(&e, BS_EIO, NULL, "writing %s failed: %s", tmp, strerror(errno));
        if (rc == BS_OK && rename(tmp, c->out_path) != 0)
            rc = bs_err_set(&e, BS_EIO, NULL, "renaming %s failed: %s", tmp, strerror(errno));
        if (rc != BS_OK) remove(tmp);
    }
    if (rc != BS_OK) {
        fprintf(stderr, "export failed: %s\n", e.msg);
        finish(c, 1);
        return;
    }
    fprintf(c->out_path ? stdout : stderr, "export: %ld projects written to %s (%s%s)\n", n,
            c->out_path ? c->out_path : "standard output", bs_geo_crs_name(c->crs),
            c->crs == BS_CRS_WGS84 ? ", RFC 7946" : "");
    finish(c, 0);
}

static void import_done(const bs_geojson_import_result *r, void *arg) {
    bs_cli_geojson *c = arg;
    if (r->n_errors) {
        printf("import-geojson: %d invalid features%s:\n", r->invalid,
               r->invalid > r->n_errors ? " (the first listed)" : "");
        for (int i = 0; i < r->n_errors; i++) printf("  feature %d: %s\n", r->errors[i].feature, r->errors[i].message);
    }
    if (r->err.code) {
        fprintf(stderr, "import-geojson failed: %s\n", r->err.msg);
        fflush(stdout);
        finish(c, 1);
        return;
    }
    printf("import-geojson: %d read (%s), %d new, %d updated, %d unchanged\n", r->read, r->crs, r->inserted, r->updated,
           r->unchanged);
    fflush(stdout);
    finish(c, 0);
}

void bs_cli_geojson_run(uv_loop_t *loop, bs_store *store, const bs_engine *engine, bs_cli_geojson *c,
                        void (*done)(int rc, void *arg), void *arg) {
    c->done = done;
    c->arg = arg;
    c->engine = engine;
    if (c->is_export) {
        char sql[4096];
        char *select = bs_geojson_export_select_plusvelden("false"); /* every project: all plusvelden */
        snprintf(sql, sizeof sql, "%s%s", select, BS_GEOJSON_EXPORT_ORDER);
        free(select);
        bs_store_query(store, sql, 0, NULL, export_rows, c);
    } else {
        bs_geojson_import_file(loop, store, engine, c->in_path, stdout, "{\"label\":\"cli:import-geojson\"}",
                               import_done, c);
    }
}
