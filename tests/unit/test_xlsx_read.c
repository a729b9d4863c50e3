/*
 * The .xlsx reader (adapters/xlsx_read.c) on workbooks assembled here part by part with
 * libzip: the package relationships, sheet names and order, shared strings (rich text runs,
 * phonetic runs ignored), inline and formula strings, numbers, booleans, errors, dates by
 * built-in and custom formats in both date systems, sparse cells and cells without a
 * reference; serial conversion around the 1900 leap-year bug; the format rule; and the
 * refusals: not a zip, no workbook, truncated, malformed XML (part and line), a DOCTYPE
 * (entity expansion), a part over the limit, rows and columns beyond the limits, a shared
 * string index out of range. openpyxl is the independent oracle in
 * tests/integration/test_xlsx_import.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zip.h>

#include "calendar.h"
#include "xlsx_read.h"

/* ---- building workbooks ---- */

typedef struct part {
    const char *name, *text;
} part;

/* A zip archive holding the parts (deflated), in memory; caller frees. */
static unsigned char *make_zip(const part *parts, size_t n, size_t *len) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_source_keep(src);
    zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        zip_source_t *fs = zip_source_buffer(z, parts[i].text, strlen(parts[i].text), 0);
        assert_non_null(fs);
        assert_true(zip_file_add(z, parts[i].name, fs, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    assert_int_equal(zip_source_open(src), 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_END), 0);
    zip_int64_t size = zip_source_tell(src);
    assert_true(size > 0);
    assert_int_equal(zip_source_seek(src, 0, SEEK_SET), 0);
    unsigned char *buf = malloc((size_t)size);
    assert_non_null(buf);
    assert_int_equal(zip_source_read(src, buf, (zip_uint64_t)size), size);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    *len = (size_t)size;
    return buf;
}

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define REL_T "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

static const char root_rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" REL_T "officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";

static const char wb_rels[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" REL_T "worksheet\" Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId7\" Type=\"" REL_T "worksheet\" Target=\"/xl/worksheets/data2.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"" REL_T "styles\" Target=\"styles.xml\"/>"
    "<Relationship Id=\"rId4\" Type=\"" REL_T "sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId5\" Type=\"" REL_T "hyperlink\" Target=\"http://example.org\" TargetMode=\"External\"/>"
    "</Relationships>";

/* sheet order in the workbook differs from the relationship ids on purpose */
static const char workbook[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_R "\">"
                               "<workbookPr/><sheets>"
                               "<sheet name=\"Projecten ✓\" sheetId=\"2\" r:id=\"rId7\"/>"
                               "<sheet name=\"Blad1\" sheetId=\"1\" r:id=\"rId1\"/>"
                               "</sheets></workbook>";

static const char workbook1904[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                   "<x:workbook xmlns:x=\"" NS_MAIN "\" xmlns:rel=\"" NS_R "\">"
                                   "<x:workbookPr date1904=\"1\"/><x:sheets>"
                                   "<x:sheet name=\"Projecten ✓\" sheetId=\"2\" rel:id=\"rId7\"/>"
                                   "<x:sheet name=\"Blad1\" sheetId=\"1\" rel:id=\"rId1\"/>"
                                   "</x:sheets></x:workbook>";

/* cellXfs: 0 general, 1 built-in 14 (date), 2 custom 164 (date-time), 3 custom 165 (number
 * with a quoted "d"), 4 built-in 4 (#,##0.00); cellStyleXfs has a date xf that must not count */
static const char styles[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                             "<styleSheet xmlns=\"" NS_MAIN "\">"
                             "<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\\ hh:mm\"/>"
                             "<numFmt numFmtId=\"165\" formatCode=\"0&quot; d&quot;\"/></numFmts>"
                             "<cellStyleXfs count=\"1\"><xf numFmtId=\"14\"/></cellStyleXfs>"
                             "<cellXfs count=\"5\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\" applyNumberFormat=\"1\"/>"
                             "<xf numFmtId=\"164\"/><xf numFmtId=\"165\"/><xf numFmtId=\"4\"/></cellXfs>"
                             "</styleSheet>";

static const char sst[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                          "<sst xmlns=\"" NS_MAIN "\" count=\"4\" uniqueCount=\"4\">"
                          "<si><t>naam</t></si>"
                          "<si><r><rPr><b/></rPr><t>Fryslân </t></r><r><t xml:space=\"preserve\">&amp; 🏠</t></r>"
                          "<rPh sb=\"0\" eb=\"1\"><t>PHONETIC</t></rPh></si>"
                          "<si><t/></si>"
                          "<si><t>line&#10;two</t></si>"
                          "</sst>";

static const char sheet_main[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<worksheet xmlns=\"" NS_MAIN "\"><dimension ref=\"A1:XFD9\"/><sheetData>\n"
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>1</v></c></row>\n"
    "<row r=\"2\"><c r=\"A2\"><v>17</v></c><c r=\"B2\"><v>-2.5E-3</v></c><c r=\"D2\" s=\"4\"><v>1234.5</v></c>"
    "<c r=\"E2\" s=\"3\"><v>12</v></c></row>\n"
    "<row r=\"4\"><c r=\"A4\" s=\"1\"><v>45292</v></c><c r=\"B4\" s=\"2\"><v>45292.75</v></c>"
    "<c r=\"C4\" t=\"d\"><v>2024-02-29T08:30:00</v></c><c r=\"D4\" s=\"1\"><v>60</v></c>"
    "<c r=\"E4\" s=\"1\"><v>-3</v></c></row>\n"
    "<row r=\"5\"><c r=\"A5\" t=\"b\"><v>1</v></c><c r=\"B5\" t=\"b\"><v>0</v></c><c r=\"C5\" t=\"e\"><v>#DIV/0!</v></c>"
    "<c r=\"D5\" t=\"str\"><f>A1&amp;\"x\"</f><v>naamx</v></c>"
    "<c r=\"E5\" t=\"inlineStr\"><is><r><t>in</t></r><r><t>line</t></r></is></c></row>\n"
    "<row r=\"6\"><c s=\"1\"/><c><v>3</v></c><c t=\"s\"><v>2</v></c><c r=\"XFD6\" t=\"s\"><v>3</v></c></row>\n"
    "<row><c t=\"inlineStr\"><is><t>next row</t></is></c></row>\n"
    "<row r=\"9\"/>\n"
    "</sheetData></worksheet>";

static const char sheet_small[] = "<?xml version=\"1.0\"?><worksheet xmlns=\"" NS_MAIN "\"><sheetData>"
                                  "<row r=\"1\"><c r=\"B1\"><v>1</v></c></row></sheetData></worksheet>";

static unsigned char *good_workbook(bool date1904, size_t *len) {
    part p[] = {
        {"[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"},
        {"_rels/.rels", root_rels},
        {"xl/workbook.xml", date1904 ? workbook1904 : workbook},
        {"xl/_rels/workbook.xml.rels", wb_rels},
        {"xl/styles.xml", styles},
        {"xl/sharedStrings.xml", sst},
        {"xl/worksheets/sheet1.xml", sheet_small},
        {"xl/worksheets/data2.xml", sheet_main}};
    return make_zip(p, sizeof p / sizeof p[0], len);
}

/* ---- collecting rows ---- */

typedef struct got_cell {
    uint32_t row, col;
    bs_xlsx_type type;
    double number;
    char text[64];
    int32_t day, ms;
} got_cell;

typedef struct got {
    got_cell cells[64];
    size_t n;
    uint32_t rows[16];
    size_t n_rows;
    int stop_after; /* rows; 0 = never */
} got;

static int collect(uint32_t row, const bs_xlsx_cell *cells, size_t n, void *arg) {
    got *g = arg;
    assert_true(g->n_rows < 16);
    g->rows[g->n_rows++] = row;
    for (size_t i = 0; i < n; i++) {
        assert_true(g->n < 64);
        got_cell *c = &g->cells[g->n++];
        c->row = row;
        c->col = cells[i].col;
        c->type = cells[i].type;
        c->number = cells[i].number;
        assert_non_null(cells[i].text);
        assert_int_equal(strlen(cells[i].text), cells[i].text_len);
        snprintf(c->text, sizeof c->text, "%s", cells[i].text);
        c->day = cells[i].date_day;
        c->ms = cells[i].date_ms;
    }
    return g->stop_after && (int)g->n_rows >= g->stop_after;
}

static const got_cell *cell_at(const got *g, uint32_t row, uint32_t col) {
    for (size_t i = 0; i < g->n; i++)
        if (g->cells[i].row == row && g->cells[i].col == col) return &g->cells[i];
    fail_msg("no cell at row %u col %u", row, col);
    return NULL;
}

/* ---- tests ---- */

static void test_serials(void **state) {
    (void)state;
    int32_t d, ms;
    static const struct {
        double serial;
        bool d1904;
        int y, m, day, ms;
    } v[] = {
        {1, false, 1900, 1, 1, 0},
        {59, false, 1900, 2, 28, 0},
        {60, false, 1900, 2, 28, 0},
        {61, false, 1900, 3, 1, 0},
        {45292, false, 2024, 1, 1, 0},
        {45292.75, false, 2024, 1, 1, 64800000},
        {0.5, false, 1899, 12, 31, 43200000},
        {2958465, false, 9999, 12, 31, 0},
        {0, true, 1904, 1, 1, 0},
        {43830, true, 2024, 1, 1, 0},
        {43830.999999999, true, 2024, 1, 2, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_int_equal(bs_xlsx_serial_to_date(v[i].serial, v[i].d1904, &d, &ms), 0);
        int y, m, dd;
        bs_date_to_ymd(d, &y, &m, &dd);
        if (y != v[i].y || m != v[i].m || dd != v[i].day || ms != v[i].ms)
            fail_msg("serial %.9f (%s): got %04d-%02d-%02d +%d ms, want %04d-%02d-%02d +%d ms", v[i].serial,
                     v[i].d1904 ? "1904" : "1900", y, m, dd, ms, v[i].y, v[i].m, v[i].day, v[i].ms);
    }
    assert_int_equal(bs_xlsx_serial_to_date(-1, false, &d, &ms), -1);
    assert_int_equal(bs_xlsx_serial_to_date(2958466, false, &d, &ms), -1);
}

static void test_format_rule(void **state) {
    (void)state;
    static const struct {
        const char *code;
        bool date;
    } v[] = {{"d-m-yyyy", true},        {"yyyy-mm-dd;@", true}, {"h:mm", true},
             {"[h]:mm:ss", true},       {"[ss]", true},         {"mmm yy", true},
             {"General", false},        {"0.00", false},        {"#,##0 \"dagen\"", false},
             {"[Red]0.00", false},      {"[$-413]0.00", false}, {"0\\d", false},
             {"0;[Red]d", false},       {"_-* #,##0_-", false}, {"0.0\" m²\"", false},
             {"[$€-413] #,##0", false}, {"DD/MM/YYYY", true},   {"", false}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (bs_xlsx_format_is_date(v[i].code) != v[i].date)
            fail_msg("format '%s': got %d, want %d", v[i].code, !v[i].date, v[i].date);
    assert_false(bs_xlsx_format_is_date(NULL));
}

static void test_col_names(void **state) {
    (void)state;
    char b[4];
    assert_string_equal(bs_xlsx_col_name(0, b), "A");
    assert_string_equal(bs_xlsx_col_name(25, b), "Z");
    assert_string_equal(bs_xlsx_col_name(26, b), "AA");
    assert_string_equal(bs_xlsx_col_name(701, b), "ZZ");
    assert_string_equal(bs_xlsx_col_name(702, b), "AAA");
    assert_string_equal(bs_xlsx_col_name(16383, b), "XFD");
}

static void check_main_sheet(const got *g, bool d1904) {
    /* row numbers as Excel shows them; row 9 has no cells and is not reported */
    assert_int_equal(g->n_rows, 6);
    static const uint32_t want_rows[] = {1, 2, 4, 5, 6, 7};
    for (size_t i = 0; i < 6; i++) assert_int_equal(g->rows[i], want_rows[i]);

    const got_cell *c = cell_at(g, 1, 0);
    assert_int_equal(c->type, BS_XLSX_STRING);
    assert_string_equal(c->text, "naam");
    c = cell_at(g, 1, 2); /* rich text runs joined, phonetic run left out */
    assert_string_equal(c->text, "Fryslân & 🏠");

    c = cell_at(g, 2, 0);
    assert_int_equal(c->type, BS_XLSX_NUMBER);
    assert_true(c->number == 17.0);
    assert_string_equal(c->text, "17");
    c = cell_at(g, 2, 1);
    assert_true(c->number == -0.0025);
    c = cell_at(g, 2, 3);
    assert_int_equal(c->type, BS_XLSX_NUMBER);
    c = cell_at(g, 2, 4); /* "0\" d\"": the d is quoted */
    assert_int_equal(c->type, BS_XLSX_NUMBER);

    int base = d1904 ? 1462 : 0; /* the same serials mean dates 1462 days later in 1904 */
    c = cell_at(g, 4, 0);
    assert_int_equal(c->type, BS_XLSX_DATE);
    assert_int_equal(c->day, bs_date_from_ymd(2024, 1, 1) + base);
    assert_int_equal(c->ms, 0);
    c = cell_at(g, 4, 1);
    assert_int_equal(c->type, BS_XLSX_DATE);
    assert_int_equal(c->day, bs_date_from_ymd(2024, 1, 1) + base);
    assert_int_equal(c->ms, 18 * 3600000);
    c = cell_at(g, 4, 2); /* ISO cell: the date as written in either system */
    assert_int_equal(c->type, BS_XLSX_DATE);
    assert_int_equal(c->day, bs_date_from_ymd(2024, 2, 29));
    assert_int_equal(c->ms, 8 * 3600000 + 30 * 60000);
    c = cell_at(g, 4, 3);
    assert_int_equal(c->type, BS_XLSX_DATE);
    assert_int_equal(c->day, d1904 ? bs_date_from_ymd(1904, 3, 1) : bs_date_from_ymd(1900, 2, 28));
    c = cell_at(g, 4, 4); /* negative serial in a date format: stays a number */
    assert_int_equal(c->type, BS_XLSX_NUMBER);
    assert_true(c->number == -3.0);

    c = cell_at(g, 5, 0);
    assert_int_equal(c->type, BS_XLSX_BOOL);
    assert_true(c->number == 1.0);
    c = cell_at(g, 5, 1);
    assert_int_equal(c->type, BS_XLSX_BOOL);
    assert_true(c->number == 0.0);
    c = cell_at(g, 5, 2);
    assert_int_equal(c->type, BS_XLSX_ERROR);
    assert_string_equal(c->text, "#DIV/0!");
    c = cell_at(g, 5, 3);
    assert_int_equal(c->type, BS_XLSX_STRING);
    assert_string_equal(c->text, "naamx");
    c = cell_at(g, 5, 4);
    assert_int_equal(c->type, BS_XLSX_STRING);
    assert_string_equal(c->text, "inline");

    /* cells without r follow the previous one; a styled cell without value is EMPTY */
    c = cell_at(g, 6, 0);
    assert_int_equal(c->type, BS_XLSX_EMPTY);
    assert_string_equal(c->text, "");
    c = cell_at(g, 6, 1);
    assert_true(c->number == 3.0);
    c = cell_at(g, 6, 2);
    assert_int_equal(c->type, BS_XLSX_STRING);
    assert_string_equal(c->text, "");
    c = cell_at(g, 6, 16383);
    assert_string_equal(c->text, "line\ntwo");
    c = cell_at(g, 7, 0);
    assert_string_equal(c->text, "next row");
}

static void test_workbook(void **state) {
    (void)state;
    for (int d1904 = 0; d1904 < 2; d1904++) {
        size_t len;
        unsigned char *zip = good_workbook(d1904, &len);
        bs_xlsx *x = NULL;
        bs_err err = {0};
        int rc = bs_xlsx_open_buffer(zip, len, NULL, &x, &err);
        free(zip); /* the reader keeps its own copy */
        if (rc != BS_XLSX_OK) fail_msg("open: %d %s", rc, err.msg);
        assert_int_equal(bs_xlsx_date1904(x), d1904);
        assert_int_equal(bs_xlsx_sheet_count(x), 2);
        assert_string_equal(bs_xlsx_sheet_name(x, 0), "Projecten ✓");
        assert_string_equal(bs_xlsx_sheet_name(x, 1), "Blad1");
        assert_null(bs_xlsx_sheet_name(x, 2));
        assert_int_equal(bs_xlsx_sheet_index(x, "Blad1"), 1);
        assert_int_equal(bs_xlsx_sheet_index(x, "blad1"), -1);

        got g = {0};
        rc = bs_xlsx_read_rows(x, 0, collect, &g, &err);
        if (rc != BS_XLSX_OK) fail_msg("read: %d %s", rc, err.msg);
        check_main_sheet(&g, d1904);

        got g2 = {0};
        assert_int_equal(bs_xlsx_read_rows(x, 1, collect, &g2, &err), BS_XLSX_OK);
        assert_int_equal(g2.n, 1);
        assert_int_equal(g2.cells[0].col, 1);

        got g3 = {.stop_after = 2}; /* the callback stops the stream */
        assert_int_equal(bs_xlsx_read_rows(x, 0, collect, &g3, &err), BS_XLSX_STOPPED);
        assert_int_equal(g3.n_rows, 2);
        assert_int_equal(bs_xlsx_read_rows(x, 2, collect, &g3, &err), BS_EINVAL);
        assert_string_equal(err.problem, "xlsx_arg");
        bs_xlsx_close(x);
    }
}

/* Which cell styles are dates when number formats are redefined: a custom code wins over the
 * built-in meaning of its id, and of an id defined twice the last definition counts (the
 * reader looks formats up sorted: its n_xf × n_fmts scan made a styles part of a few MB cost
 * minutes of CPU, one of 64 MB hours). */
static void test_style_lookup(void **state) {
    (void)state;
    static const char st[] =
        "<styleSheet xmlns=\"" NS_MAIN "\"><numFmts count=\"4\">"
        "<numFmt numFmtId=\"171\" formatCode=\"d-m\"/><numFmt numFmtId=\"170\" formatCode=\"yyyy\"/>"
        "<numFmt numFmtId=\"14\" formatCode=\"0.00\"/><numFmt numFmtId=\"170\" formatCode=\"0\"/>"
        "</numFmts><cellXfs><xf numFmtId=\"170\"/><xf numFmtId=\"14\"/><xf numFmtId=\"171\"/>"
        "<xf numFmtId=\"22\"/><xf numFmtId=\"999\"/></cellXfs></styleSheet>";
    static const char sheet[] = "<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"1\"><c s=\"0\"><v>45000</v></c>"
                                "<c s=\"1\"><v>45000</v></c><c s=\"2\"><v>45000</v></c><c s=\"3\"><v>45000</v></c>"
                                "<c s=\"4\"><v>45000</v></c><c s=\"5\"><v>45000</v></c></row></sheetData></worksheet>";
    part p[] = {{"_rels/.rels", root_rels},
                {"xl/workbook.xml", workbook},
                {"xl/_rels/workbook.xml.rels", wb_rels},
                {"xl/styles.xml", st},
                {"xl/sharedStrings.xml", sst},
                {"xl/worksheets/sheet1.xml", sheet_small},
                {"xl/worksheets/data2.xml", sheet}};
    size_t len;
    unsigned char *zip = make_zip(p, sizeof p / sizeof p[0], &len);
    bs_xlsx *x = NULL;
    bs_err err = {0};
    if (bs_xlsx_open_buffer(zip, len, NULL, &x, &err) != BS_XLSX_OK) fail_msg("open: %s", err.msg);
    free(zip);
    got g = {0};
    assert_int_equal(bs_xlsx_read_rows(x, 0, collect, &g, &err), BS_XLSX_OK);
    static const bs_xlsx_type want[] = {BS_XLSX_NUMBER, BS_XLSX_NUMBER, BS_XLSX_DATE,
                                        BS_XLSX_DATE,   BS_XLSX_NUMBER, BS_XLSX_NUMBER};
    for (uint32_t col = 0; col < 6; col++) assert_int_equal(cell_at(&g, 1, col)->type, want[col]);
    bs_xlsx_close(x);
}

/* Opens a workbook whose sheet 0 is this XML and reads it; returns the status, err filled. */
static int read_sheet_xml(const char *sheet_xml, const bs_xlsx_limits *lim, bs_err *err) {
    part p[] = {{"_rels/.rels", root_rels},
                {"xl/workbook.xml", workbook},
                {"xl/_rels/workbook.xml.rels", wb_rels},
                {"xl/styles.xml", styles},
                {"xl/sharedStrings.xml", sst},
                {"xl/worksheets/sheet1.xml", sheet_small},
                {"xl/worksheets/data2.xml", sheet_xml}};
    size_t len;
    unsigned char *zip = make_zip(p, sizeof p / sizeof p[0], &len);
    bs_xlsx *x = NULL;
    int rc = bs_xlsx_open_buffer(zip, len, lim, &x, err);
    free(zip);
    if (rc != BS_XLSX_OK) return rc;
    got g = {0};
    rc = bs_xlsx_read_rows(x, 0, collect, &g, err);
    bs_xlsx_close(x);
    return rc;
}

/* rc is want, err has the same code, the reader's kind as problem and needle in its message. */
static void expect(int rc, int want, const char *problem, const bs_err *err, const char *needle) {
    if (rc != want || err->code != want)
        fail_msg("status %d (%s), want %d; message: %s", rc, bs_err_name(rc), want, err->msg);
    if (!err->problem || strcmp(err->problem, problem) != 0)
        fail_msg("problem %s, want %s", err->problem ? err->problem : "(none)", problem);
    if (!strstr(err->msg, needle)) fail_msg("message '%s' lacks '%s'", err->msg, needle);
}

static void test_refusals(void **state) {
    (void)state;
    bs_err err = {0};
    bs_xlsx *x = NULL;
    /* not a zip */
    static const char text[] = "naam;gemeente\nA;B\n";
    expect(bs_xlsx_open_buffer(text, sizeof text - 1, NULL, &x, &err), BS_EMALFORMED, "xlsx_zip", &err,
           "not a zip archive");
    assert_null(x);
    expect(bs_xlsx_open_buffer("", 0, NULL, &x, &err), BS_EMALFORMED, "xlsx_zip", &err, "not a zip archive");
    /* a zip without a workbook */
    part other[] = {{"word/document.xml", "<w/>"}};
    size_t len;
    unsigned char *zip = make_zip(other, 1, &len);
    expect(bs_xlsx_open_buffer(zip, len, NULL, &x, &err), BS_EMALFORMED, "xlsx_package", &err, "no workbook");
    free(zip);
    /* truncated: the first 60% of a good workbook */
    zip = good_workbook(false, &len);
    expect(bs_xlsx_open_buffer(zip, len * 6 / 10, NULL, &x, &err), BS_EMALFORMED, "xlsx_zip", &err, "truncated");
    free(zip);
    /* a file that does not exist */
    expect(bs_xlsx_open_file("/nonexistent/x.xlsx", NULL, &x, &err), BS_EIO, "xlsx_io", &err, "/nonexistent/x.xlsx");

    /* malformed XML: part name and line */
    expect(read_sheet_xml("<?xml version=\"1.0\"?>\n<worksheet xmlns=\"" NS_MAIN "\"><sheetData>\n"
                          "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>\n<row r=\"2\"><c r=\"A2\"><v>2</v></row>\n",
                          NULL, &err),
           BS_EMALFORMED, "xlsx_xml", &err, "xl/worksheets/data2.xml:4:");
    assert_non_null(strstr(err.msg, "mismatched tag"));
    /* entity expansion is never attempted: a DOCTYPE is refused */
    expect(read_sheet_xml("<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
                          "<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>&b;</t></is></c></row>"
                          "</sheetData></worksheet>",
                          NULL, &err),
           BS_EMALFORMED, "xlsx_xml", &err, "document type declarations are not allowed");
    /* content errors name the cell */
    expect(read_sheet_xml("<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"3\"><c r=\"B3\" t=\"s\"><v>99</v></c>"
                          "</row></sheetData></worksheet>",
                          NULL, &err),
           BS_EMALFORMED, "xlsx_format", &err, "cell B3: shared string index '99'");
    expect(read_sheet_xml("<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"3\"><c r=\"C3\"><v>12abc</v></c>"
                          "</row></sheetData></worksheet>",
                          NULL, &err),
           BS_EMALFORMED, "xlsx_format", &err, "cell C3: number expected");
    /* a row or a cell inside a cell (found while writing tests/fuzz/fuzz_xlsx, whose
     * regression input it is: the inner row restarted the row's text under the open cell, whose
     * length then wrapped and was read far past the buffer) */
    expect(read_sheet_xml("<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"str\">"
                          "<v>abcdefghijklmnop</v><row r=\"1\"/></c></row></sheetData></worksheet>",
                          NULL, &err),
           BS_EMALFORMED, "xlsx_format", &err, "<row> inside row 1");
    expect(read_sheet_xml("<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"2\"><c r=\"A2\"><v>1</v>"
                          "<c r=\"B2\"><v>2</v></c></c></row></sheetData></worksheet>",
                          NULL, &err),
           BS_EMALFORMED, "xlsx_format", &err, "<c> inside a cell of row 2");
    /* limits: a part larger than allowed, rows and columns beyond the bounds */
    bs_xlsx_limits small = {.max_part_bytes = 300};
    expect(read_sheet_xml(sheet_main, &small, &err), BS_ETOOLARGE, "xlsx_limit", &err, "limit");
    bs_xlsx_limits rows = {.max_rows = 5};
    expect(read_sheet_xml(sheet_main, &rows, &err), BS_ETOOLARGE, "xlsx_limit", &err, "row 6 is beyond the limit");
    bs_xlsx_limits cols = {.max_cols = 100};
    expect(read_sheet_xml(sheet_main, &cols, &err), BS_ETOOLARGE, "xlsx_limit", &err, "column XFD of row 6");
    /* a workbook naming a sheet without its relationship */
    part dangling[] = {{"_rels/.rels", root_rels},
                       {"xl/workbook.xml", workbook},
                       {"xl/_rels/workbook.xml.rels",
                        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"/>"}};
    zip = make_zip(dangling, 3, &len);
    expect(bs_xlsx_open_buffer(zip, len, NULL, &x, &err), BS_EMALFORMED, "xlsx_package", &err, "rId7");
    free(zip);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serials),  cmocka_unit_test(test_format_rule), cmocka_unit_test(test_col_names),
        cmocka_unit_test(test_workbook), cmocka_unit_test(test_refusals),    cmocka_unit_test(test_style_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
