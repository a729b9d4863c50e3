/*
 * `bouwstroom export --geojson rd|wgs84 [--out FILE]` and `bouwstroom import-geojson FILE`:
 * the GeoJSON exchange of projects (adapters/geojson_exchange.h) on the
 * command line. See docs/geo.md.
 */
#ifndef BS_GEOJSON_CMD_H
#define BS_GEOJSON_CMD_H

#include <uv.h>

#include "engine.h"
#include "geo.h"
#include "store.h"

/* What the command will do; filled by bs_cli_geojson_prepare before the loop starts. */
typedef struct bs_cli_geojson {
    int is_export;        /* 1: export, 0: import-geojson */
    bs_crs crs;           /* export: the file's CRS */
    const char *out_path; /* export: the output file (written to FILE.tmp, then renamed); NULL = stdout */
    const char *in_path;  /* import-geojson: the file */
    bs_geo *geo;          /* export: the PROJ context (owned; freed when the command finishes) */
    void (*done)(int rc, void *arg);
    void *arg;
    const bs_engine *engine;
} bs_cli_geojson;

/* Parses the arguments of command ("export" or "import-geojson"; argv without the command
 * name). Returns 0 when c is ready, else the exit code 2 after a one-line usage message on
 * stderr (1 when PROJ cannot start). */
int bs_cli_geojson_prepare(const char *command, int argc, char **argv, bs_cli_geojson *c);

/* Runs the prepared command on the store (async, on the loop); prints a summary (export: on
 * stderr when the GeoJSON goes to stdout) and calls done with the exit code: 0 success,
 * 1 failure (message on stderr; an import with invalid features lists them and imports
 * nothing). c must stay alive until done. */
void bs_cli_geojson_run(uv_loop_t *loop, bs_store *store, const bs_engine *engine, bs_cli_geojson *c,
                        void (*done)(int rc, void *arg), void *arg);

#endif
