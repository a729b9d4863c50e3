/*
 * Bouwstroom adapter: the Planmonitor-style Excel workbook of a province export (issue 7).
 *
 * Writes an .xlsx (Office Open XML, ECMA-376) with libxlsxwriter: sheet "Plannen" (one row
 * per included plan, BS_TABLE_PLANS), "DetailPlanning" (per plan and year, BS_TABLE_DETAIL),
 * "Uitgesloten" (the left-out plans, one row per error, BS_TABLE_LEFT_OUT) and "Toelichting"
 * (export, reference date, price tables used, counts). Column names as in docs/exports.md §3.
 * This module does file I/O (libxlsxwriter writes files); the export itself is built by the
 * pure province_export.h.
 */
#ifndef BS_PROVINCE_XLSX_H
#define BS_PROVINCE_XLSX_H

#include <stddef.h>

#include "province_export.h"

/* Writes the workbook of ex to path (created or replaced). The document's creation time is
 * the export's reference date at 00:00 UTC, so equal exports give equal sheets. Returns 0, or
 * -1 with a message in err (errlen bytes), e.g. the directory is not writable. */
int bs_export_xlsx_write(const bs_export *ex, const char *path, char *err, size_t errlen);

/* The same workbook in memory (for the API): written to a temporary file in tmpdir (NULL =
 * $TMPDIR or /tmp), read back and removed. Returns 0 with *bytes (malloc'd; caller frees)
 * and *len, or -1 with a message in err. */
int bs_export_xlsx_bytes(const bs_export *ex, const char *tmpdir, char **bytes, size_t *len, char *err,
                         size_t errlen);

#endif
