/*
 * Bouwstroom adapter: a bounded reader of Excel workbooks (.xlsx, Office Open XML
 * SpreadsheetML, ECMA-376 Part 1) on libzip and expat.
 *
 * Reads the package relationships (_rels/.rels → the workbook part), the workbook
 * (sheet names, date1904), its relationships (sheet, shared-string and style parts), the
 * shared strings, the cell formats (which cell styles show dates) and, on request, the
 * rows of one sheet, streamed: a sheet part is never held in memory as a whole.
 *
 * Bounds (bs_xlsx_limits): uncompressed bytes per part and in total (zip bombs), rows and
 * columns of a sheet. XML with a document type declaration is refused (no entity
 * expansion at all). Every error names the part and, for XML, the line and column.
 *
 * Errors are the shells' currency (err.h): every function that can fail returns 0
 * (BS_XLSX_OK) or a negative BS_E* code and fills one bs_err (may be NULL) with a one-line
 * message, the reader's kind of failure as problem and its English name as title:
 *   BS_EIO         xlsx_io       the file could not be read
 *   BS_EMALFORMED  xlsx_zip      not a zip archive, truncated, or a part could not be inflated
 *                  xlsx_package  a zip, but no workbook, or a required part is missing
 *                  xlsx_xml      a part is not well-formed XML (or has a DOCTYPE)
 *                  xlsx_format   well-formed XML with content SpreadsheetML does not allow
 *   BS_ETOOLARGE   xlsx_limit    a bound of bs_xlsx_limits was exceeded
 *   BS_EINVAL      xlsx_arg      no such sheet, or a NULL argument
 *   BS_EINTERNAL   xlsx_nomem    a library ran out of memory
 */
#ifndef BS_XLSX_READ_H
#define BS_XLSX_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The results that are not failures: success, and a read the row callback stopped. */
#define BS_XLSX_OK 0
#define BS_XLSX_STOPPED 1

typedef struct bs_xlsx_limits {
    size_t max_part_bytes;  /* uncompressed bytes of one part (XML file in the zip) */
    size_t max_total_bytes; /* uncompressed bytes of all parts read through one bs_xlsx */
    uint32_t max_rows;      /* highest row number a sheet may use (1-based) */
    uint32_t max_cols;      /* number of columns a sheet may use (A = 1) */
} bs_xlsx_limits;

/* Defaults: 64 MiB per part, 256 MiB in total, 1,048,576 rows and 16,384 columns (the
 * sheet size of Excel 2007 and later, "Excel specifications and limits"). */
#define BS_XLSX_DEFAULT_MAX_PART_BYTES ((size_t)64 << 20)
#define BS_XLSX_DEFAULT_MAX_TOTAL_BYTES ((size_t)256 << 20)
#define BS_XLSX_DEFAULT_MAX_ROWS 1048576u
#define BS_XLSX_DEFAULT_MAX_COLS 16384u

typedef struct bs_xlsx bs_xlsx;

/* Opens the workbook at path: reads the relationships, workbook, styles and shared strings
 * (not yet any sheet). limits may be NULL (defaults); zero fields take their defaults.
 * On success *out is set (free with bs_xlsx_close) and BS_XLSX_OK returned. */
int bs_xlsx_open_file(const char *path, const bs_xlsx_limits *limits, bs_xlsx **out, bs_err *err);

/* Same, from len bytes at data (e.g. an upload). The bytes are copied; data may be freed
 * after the call. */
int bs_xlsx_open_buffer(const void *data, size_t len, const bs_xlsx_limits *limits, bs_xlsx **out, bs_err *err);

/* Frees everything of x (NULL is fine). */
void bs_xlsx_close(bs_xlsx *x);

/* Number of sheets, in workbook order (the tab order Excel shows). */
int bs_xlsx_sheet_count(const bs_xlsx *x);

/* Name of sheet i (0-based), UTF-8, owned by x; NULL when i is out of range. */
const char *bs_xlsx_sheet_name(const bs_xlsx *x, int i);

/* Index of the sheet with exactly this name, or -1. */
int bs_xlsx_sheet_index(const bs_xlsx *x, const char *name);

/* True when the workbook uses the 1904 date system (workbookPr date1904). */
bool bs_xlsx_date1904(const bs_xlsx *x);

typedef enum bs_xlsx_type {
    BS_XLSX_EMPTY = 0, /* a cell element without a value (e.g. only a style) */
    BS_XLSX_NUMBER,
    BS_XLSX_STRING, /* shared string, inline string or a formula's string result */
    BS_XLSX_BOOL,
    BS_XLSX_ERROR, /* an error value such as "#DIV/0!" (text) */
    BS_XLSX_DATE   /* a number in a date/time format, or an ISO 8601 cell (t="d") */
} bs_xlsx_type;

typedef struct bs_xlsx_cell {
    uint32_t col; /* 0-based column index: A = 0, B = 1, …, XFD = 16383 */
    bs_xlsx_type type;
    double number;    /* NUMBER: the value; DATE: the serial in the workbook's date system;
                        * BOOL: 0 or 1; else 0 */
    const char *text; /* never NULL, NUL-terminated UTF-8, valid during the row callback only.
                        * STRING: the text; ERROR: the error code; NUMBER, DATE, BOOL: the value
                        * as written in the file (e.g. "17", "45292.5"); EMPTY: "" */
    size_t text_len;  /* bytes of text without the NUL */
    int32_t date_day; /* DATE: civil date as days since 1970-01-01 (bs_day) */
    int32_t date_ms;  /* DATE: milliseconds since midnight, 0 … 86,399,999 */
} bs_xlsx_cell;

/* Called once per <row> element of the sheet that has at least one cell element.
 * row: the row number as Excel shows it (1-based); cells: n_cells cells in the order of
 * the file (ascending columns), only those present (sparse: gaps are empty cells).
 * Return 0 to go on, anything else to stop reading. */
typedef int (*bs_xlsx_row_cb)(uint32_t row, const bs_xlsx_cell *cells, size_t n_cells, void *arg);

/* Streams the rows of sheet (0-based index) to cb. Returns BS_XLSX_OK after the last
 * row, BS_XLSX_STOPPED when cb stopped, or an error (with part name, line and column
 * for XML errors, the cell reference for content errors).
 *
 * Dates (ECMA-376 Part 1 §18.17.4): a number cell is a DATE when its style's number format
 * is a built-in date/time format (ids 14–22, 45–47) or a custom format whose first section
 * has one of d m y h s (either case) outside quoted text, backslash escapes and bracketed
 * parts other than the elapsed-time [h] [m] [s]. Serial to date, 1900 system: 1 =
 * 1900-01-01, and serials 61 and up count from 1899-12-30, so Excel's fictitious 1900-02-29
 * (serial 60; Lotus 1-2-3 compatibility) comes out as 1900-02-28, as in openpyxl. 1904
 * system: 0 = 1904-01-01. The fraction becomes milliseconds, rounded to nearest. A
 * date-formatted number below 0 or beyond 9999-12-31 stays a NUMBER. */
int bs_xlsx_read_rows(bs_xlsx *x, int sheet, bs_xlsx_row_cb cb, void *arg, bs_err *err);

/* Column letters of a 0-based column index ("A", "Z", "AA", "XFD") into buf; returns buf. */
char *bs_xlsx_col_name(uint32_t col, char buf[static 4]);

/* Civil date and milliseconds since midnight of a serial (see bs_xlsx_read_rows).
 * Returns 0, or -1 when the serial is not finite, below 0 or after 9999-12-31. */
int bs_xlsx_serial_to_date(double serial, bool date1904, int32_t *day, int32_t *ms);

/* True when a number format code shows a date or time (the rule of bs_xlsx_read_rows). */
bool bs_xlsx_format_is_date(const char *format_code);

#endif
