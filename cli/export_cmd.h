/*
 * `bouwstroom export --province zuid-holland|gelderland|excel [--out DIR] [--date YYYY-MM-DD]`:
 * reads the plans from PostgreSQL, builds the province export with the pure
 * builders (adapters/province_export.h), writes its files into DIR and prints the quality-check
 * summary. Formats and rules: docs/exports.md.
 */
#ifndef BS_EXPORT_CMD_H
#define BS_EXPORT_CMD_H

#include "calendar.h"
#include "province_config.h"
#include "store.h"

/* What `export` will do; filled by bs_cli_export_prepare before the loop starts. */
typedef struct bs_export_opts {
    char key[32];              /* export profile: "zuid-holland", "gelderland", "excel" */
    const char *out_dir;       /* borrowed from argv; default "." */
    bs_day date;               /* reference date; default today in Europe/Amsterdam */
    bs_province_config config; /* owned; loaded from <home>/processes/provinces/province-exports.json */
} bs_export_opts;

/* Parses the options (argv after "export"), loads and validates the configuration (config_path)
 * and checks that DIR exists. Returns 0 when o is ready, else the exit code (2 usage, 1 other)
 * after a message on stderr. Free o with bs_cli_export_free in both cases. */
int bs_cli_export_prepare(int argc, char **argv, const char *config_path, bs_export_opts *o);

/* Frees the configuration held by o (safe on a zeroed or failed one). */
void bs_cli_export_free(bs_export_opts *o);

/* Loads the plans (async, on the loop), builds the export, writes the files, prints the
 * summary on stdout. done receives the exit code: 0 written (also when plans were left out),
 * 1 failure (message on stderr). o must stay alive until done. */
void bs_cli_export_run(bs_store *store, bs_export_opts *o, void (*done)(int rc, void *arg), void *arg);

#endif
