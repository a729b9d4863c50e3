/*
 * Bouwstroom adapter: the Planmonitor-style Excel workbook of a province export (docs/exports.md §2).
 *
 * Writes an .xlsx (Office Open XML, ECMA-376) with libxlsxwriter: sheet "Plannen" (one row
 * per included plan, BS_TABLE_PLANS), "DetailPlanning" (per plan and year, BS_TABLE_DETAIL),
 * "Uitgesloten" (the left-out plans, one row per error, BS_TABLE_LEFT_OUT) and "Toelichting"
 * (export, reference date, price tables used, counts). Column names as in docs/exports.md §3;
 * Plannen ends with "geometrie" (the plan's GeoJSON geometry) so that the Excel import can read
 * the workbook back (docs/exchange.md).
 * This module does file I/O (libxlsxwriter writes files); the export itself is built by the
 * pure province_export.h.
 */
#ifndef BS_PROVINCE_XLSX_H
#define BS_PROVINCE_XLSX_H

#include <stddef.h>

#include "err.h"
#include "province_export.h"

/* Writes the workbook of ex to path (created or replaced). The document's creation time is
 * the export's reference date at 00:00 UTC, so equal exports give equal sheets. Returns 0, or
 * BS_EIO with err filled ("path: what"), e.g. the directory is not writable. */
int bs_export_xlsx_write(const bs_export *ex, const char *path, bs_err *err);

/* The same workbook in memory (for the API): written to a temporary file in tmpdir (NULL =
 * $TMPDIR or /tmp), read back and removed. Returns 0 with *bytes (malloc'd; caller frees)
 * and *len, or BS_EIO with the message in err (may be NULL). */
int bs_export_xlsx_bytes(const bs_export *ex, const char *tmpdir, char **bytes, size_t *len, bs_err *err);

/* The empty template of the workbook (for GET /api/v1/exchange/xlsx/template): the export of
 * no plans for profile on date (header rows, the Toelichting with the price tables in force)
 * plus a sheet "Kolommen" describing every column. The import reads it as nothing to import.
 * Returns 0 with *bytes (malloc'd) and *len, or BS_EIO (or BS_EINTERNAL: the export could
 * not be built) with the message in err (may be NULL). */
int bs_export_xlsx_template_bytes(const bs_province_config *config, const bs_export_profile *profile, bs_day date,
                                  const char *tmpdir, char **bytes, size_t *len, bs_err *err);

#endif
