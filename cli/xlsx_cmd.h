/*
 * `bouwstroom import-xlsx FILE [--source TAG] [--sheet NAME] [--today YYYY-MM-DD]` (a
 * project list from Excel, adapters/xlsx_projects.h) and `bouwstroom xlsx-dump FILE`
 * (every cell of a workbook as JSON, no database; the reader's test oracle compares it with
 * openpyxl).
 */
#ifndef BS_XLSX_CMD_H
#define BS_XLSX_CMD_H

#include <stddef.h>
#include <uv.h>

#include "engine.h"
#include "store.h"
#include "xlsx_projects.h"

/* `xlsx-dump FILE [--sheet NAME] [--max-part-bytes N] [--max-rows N] [--max-cols N]`:
 * prints {"date1904": bool, "sheets": [{"name", "cells": [{"r": row (1-based), "c": column
 * (0-based), "ref": "B3", "t": "empty|number|string|bool|error|date", "v": value}]}]} on
 * stdout; a date's v is "YYYY-MM-DDTHH:MM:SS.mmm". argv[0] is FILE. Returns the exit code:
 * 0, 1 when the workbook cannot be read (message with part and line on stderr), 2 usage. */
int bs_cli_xlsx_dump(int argc, char **argv);

/* What `import-xlsx` works on; filled by bs_cli_import_xlsx_prepare before the loop runs. */
typedef struct bs_import_xlsx {
    char *data; /* owned: the file's bytes */
    size_t len;
    const char *path, *source, *sheet; /* borrowed from argv */
    bs_day today;                      /* --today, else today in Europe/Amsterdam */
} bs_import_xlsx;

/* Parses argv (argv[0] = FILE, then the options) and reads the file (at most 128 MiB).
 * Returns 0 when c is ready, else the exit code (2 usage, 1 unreadable file) after a
 * message on stderr. */
int bs_cli_import_xlsx_prepare(int argc, char **argv, bs_import_xlsx *c);

/* Runs the import on the loop; prints the counts, or every row error (row, column, header,
 * value, message) and "nothing imported". done receives the exit code (0 imported, 1 errors
 * or failure). Frees c->data. */
void bs_cli_import_xlsx_run(uv_loop_t *loop, bs_store *store, const bs_engine *engine, bs_import_xlsx *c,
                            void (*done)(int rc, void *arg), void *arg);

#endif
