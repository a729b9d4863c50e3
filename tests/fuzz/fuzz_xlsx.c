/*
 * Fuzz target: the .xlsx reader (adapters/xlsx_read.c: package relationships, workbook,
 * styles, shared strings, sheet rows) and the Excel project-list import on top of it
 * (adapters/xlsx_projects.c, bs_xlsx_projects_parse: the template and the Planmonitor
 * format). libzip and expat are not the target: an input is the parts of a workbook, which
 * this target zips (stored, uncompressed) before reading, so that mutations land in the XML
 * rather than in zip checksums:
 *
 *   @@ _rels/.rels
 *   <?xml …?><Relationships …>…
 *   @@ xl/workbook.xml
 *   …
 *
 * (a line "@@ NAME" starts a part; its text runs to the next such line). An input that
 * starts with "PK" is read as a zip archive as it is. tests/fuzz/xlsx_parts.py converts an
 * .xlsx file into this form. Invariants: every error names itself; rows and cells come in
 * the documented shape (ascending columns within the limits, texts NUL-terminated at
 * text_len, dates within a day); the import's report is the documented document.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "alloc.h"
#include "fuzz.h"
#include "xlsx_projects.h"
#include "xlsx_read.h"

#define MAX_PARTS 32
#define MAX_SHEETS 8

typedef struct parts {
    char *name[MAX_PARTS]; /* owned */
    const uint8_t *text[MAX_PARTS];
    size_t len[MAX_PARTS];
    size_t n;
} parts;

/* Cuts the input into parts at lines "@@ NAME". */
static void split_parts(const uint8_t *data, size_t size, parts *p) {
    memset(p, 0, sizeof *p);
    size_t pos = 0;
    while (pos + 3 <= size && p->n < MAX_PARTS) {
        if (!(memcmp(data + pos, "@@ ", 3) == 0 && (pos == 0 || data[pos - 1] == '\n'))) {
            const uint8_t *nl = memchr(data + pos, '\n', size - pos);
            if (!nl) break;
            pos = (size_t)(nl - data) + 1;
            continue;
        }
        const uint8_t *eol = memchr(data + pos, '\n', size - pos);
        size_t name_end = eol ? (size_t)(eol - data) : size;
        size_t start = eol ? name_end + 1 : size, end = start;
        while (end < size && !(end + 3 <= size && memcmp(data + end, "@@ ", 3) == 0 && data[end - 1] == '\n')) end++;
        size_t text_end = end > start && end < size ? end - 1 : end; /* the newline before "@@ " */
        p->name[p->n] = bs_fuzz_strndup(data + pos + 3, name_end - pos - 3);
        p->text[p->n] = data + start;
        p->len[p->n] = text_end - start;
        p->n++;
        pos = end;
    }
}

/* The parts as a zip archive in memory (malloc'd), or NULL when libzip refuses. */
static uint8_t *zip_parts(const parts *p, size_t *len) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_source_keep(src);
    zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    uint8_t *out = NULL;
    if (z) {
        for (size_t i = 0; i < p->n; i++) {
            zip_source_t *fs = zip_source_buffer(z, p->text[i], p->len[i], 0);
            zip_int64_t idx =
                fs && p->name[i][0] ? zip_file_add(z, p->name[i], fs, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) : -1;
            if (idx < 0)
                zip_source_free(fs);
            else
                zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
        }
        if (zip_close(z) != 0) zip_discard(z);
    }
    if (zip_source_open(src) == 0) {
        zip_source_seek(src, 0, SEEK_END);
        zip_int64_t size = zip_source_tell(src);
        zip_source_seek(src, 0, SEEK_SET);
        if (size > 0) {
            out = bs_malloc((size_t)size);
            if (zip_source_read(src, out, (zip_uint64_t)size) != size) {
                free(out);
                out = NULL;
            }
            *len = (size_t)size;
        }
        zip_source_close(src);
    }
    zip_source_free(src);
    zip_error_fini(&ze);
    return out;
}

static int check_row(uint32_t row, const bs_xlsx_cell *cells, size_t n, void *arg) {
    (void)arg;
    bs_fuzz_check(row >= 1 && row <= BS_XLSX_DEFAULT_MAX_ROWS && n > 0);
    for (size_t i = 0; i < n; i++) {
        const bs_xlsx_cell *c = &cells[i];
        bs_fuzz_check(c->col < BS_XLSX_DEFAULT_MAX_COLS && (i == 0 || c->col > cells[i - 1].col));
        bs_fuzz_check(c->text && c->text[c->text_len] == 0 && memchr(c->text, 0, c->text_len) == NULL);
        if (c->type == BS_XLSX_DATE) bs_fuzz_check(c->date_ms >= 0 && c->date_ms < 86400000);
        if (c->type == BS_XLSX_EMPTY) bs_fuzz_check(c->text_len == 0);
    }
    return 0;
}

static void check_err(int rc, const bs_err *err) {
    bs_fuzz_check(rc < 0 && err->code == rc && err->msg[0] && err->problem && err->title);
}

static void read_workbook(const uint8_t *zip, size_t len) {
    bs_xlsx_limits lim = {.max_part_bytes = 1 << 20, .max_total_bytes = 8 << 20};
    bs_xlsx *x = NULL;
    bs_err err = {0};
    int rc = bs_xlsx_open_buffer(zip, len, &lim, &x, &err);
    if (rc != BS_XLSX_OK) {
        bs_fuzz_check(x == NULL);
        check_err(rc, &err);
        return;
    }
    int n = bs_xlsx_sheet_count(x);
    bs_fuzz_check(n >= 0 && bs_xlsx_sheet_name(x, n) == NULL && bs_xlsx_sheet_name(x, -1) == NULL);
    for (int i = 0; i < n && i < MAX_SHEETS; i++) {
        const char *name = bs_xlsx_sheet_name(x, i);
        bs_fuzz_check(name && bs_xlsx_sheet_index(x, name) >= 0 && bs_xlsx_sheet_index(x, name) <= i);
        err = (bs_err){0};
        rc = bs_xlsx_read_rows(x, i, check_row, NULL, &err);
        if (rc != BS_XLSX_OK) check_err(rc, &err);
    }
    bs_xlsx_close(x);
}

static void import_projects(const uint8_t *zip, size_t len) {
    const bs_engine *e = bs_fuzz_engine();
    const bs_engine_schema *es = bs_engine_schema_get(e, "ppm-woningbouw");
    bs_fuzz_check(es != NULL);
    bs_xlsx_projects_options opt = {.today = bs_fuzz_today()};
    json_t *records = NULL, *report = NULL;
    int rc = bs_xlsx_projects_parse(zip, len, es->schema, &e->calendar, &opt, &records, &report);
    bs_fuzz_check(json_is_object(report) && json_is_boolean(json_object_get(report, "ok")));
    bs_fuzz_check(rc == 0 ? json_is_true(json_object_get(report, "ok")) && json_is_array(records) : records == NULL);
    json_t *errors = json_object_get(report, "errors");
    bs_fuzz_check(rc == 0 || (json_is_array(errors) && json_array_size(errors) > 0));
    json_decref(records);
    json_decref(report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *zip = NULL;
    size_t len = 0;
    if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
        zip = bs_malloc(size);
        memcpy(zip, data, size);
        len = size;
    } else {
        parts p;
        split_parts(data, size, &p);
        zip = zip_parts(&p, &len);
        for (size_t i = 0; i < p.n; i++) free(p.name[i]);
    }
    if (!zip) return 0;
    read_workbook(zip, len);
    import_projects(zip, len);
    free(zip);
    return 0;
}
