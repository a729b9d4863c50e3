/*
 * The sheet Woningblokken of the Excel project-list import. See xlsx_blocks.h and
 * docs/exchange.md "Woningblokken".
 */
#include "xlsx_blocks.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "import_blocks.h"

/* The columns: the project key, then the block's members (BS_BLOCK_MEMBERS' names), each with
 * the headers accepted (compared case-insensitively after trimming). */
enum { C_KEY, C_HOMES, C_KIND, C_TYPE, C_TENURE, C_PRICE, C_GROUP, C_MILESTONE, C_FROM, C_TO, C_CORR, N_COLS };
static const struct {
    const char *member;     /* NULL: the project key */
    const char *headers[8]; /* NULL-terminated */
} cols[N_COLS] = {
    [C_KEY] = {NULL, {"source_key", "sleutel", "kenmerk", "projectnummer", "projectnr", "project"}},
    [C_HOMES] = {"homes", {"homes", "woningen", "aantal woningen", "aantal"}},
    [C_KIND] = {"kind", {"kind", "soort"}},
    [C_TYPE] = {"home_type", {"home_type", "woningtype", "type"}},
    [C_TENURE] = {"tenure", {"tenure", "eigendom", "huur/koop"}},
    [C_PRICE] = {"price_class", {"price_class", "prijsklasse", "prijscategorie"}},
    [C_GROUP] = {"target_group", {"target_group", "doelgroep"}},
    [C_MILESTONE] = {"milestone", {"milestone", "mijlpaal"}},
    [C_FROM] = {"period_from", {"period_from", "jaar van", "van"}},
    [C_TO] = {"period_to", {"period_to", "jaar tot", "tot"}},
    [C_CORR] = {"correction", {"correction", "correctie"}},
};

typedef struct blocks_ctx {
    bs_block_milestone_fn is_milestone;
    const void *arg;
    json_t *by_key, *errors;
    size_t max_errors;
    long *error_count, *rows;
    bool have_header;
    int64_t col[N_COLS];
    char header[N_COLS][64];
} blocks_ctx;

__attribute__((format(printf, 6, 7))) static void sheet_error(blocks_ctx *c, uint32_t row, int k, const char *value,
                                                              const char *field, const char *fmt, ...) {
    (*c->error_count)++;
    if (json_array_size(c->errors) >= c->max_errors) return;
    char msg[480], cn[4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *e = json_object();
    json_object_set_new(e, "sheet", json_string(BS_XLSX_BLOCKS_SHEET));
    json_object_set_new(e, "row", json_integer(row));
    bool has_col = k >= 0 && c->col[k] >= 0;
    json_object_set_new(e, "column", has_col ? json_string(bs_xlsx_col_name((uint32_t)c->col[k], cn)) : json_null());
    json_object_set_new(e, "header", has_col ? json_string(c->header[k]) : json_null());
    json_object_set_new(e, "field", field ? json_string(field) : json_null());
    json_object_set_new(e, "value", value ? json_string(value) : json_null());
    json_object_set_new(e, "message", json_string(msg));
    json_array_append_new(c->errors, e);
}

/* The cell's text, trimmed, into out (cap bytes); "" when blank. */
static const char *cell_text(const bs_xlsx_cell *cell, char *out, size_t cap) {
    out[0] = 0;
    if (!cell || cell->type == BS_XLSX_EMPTY) return out;
    const char *s = cell->text;
    size_t n = cell->text_len;
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n >= cap) n = cap - 1;
    memcpy(out, s, n);
    out[n] = 0;
    return out;
}

static void header_row(blocks_ctx *c, uint32_t row, const bs_xlsx_cell *cells, size_t n) {
    c->have_header = true;
    for (size_t i = 0; i < n; i++) {
        char t[64];
        cell_text(&cells[i], t, sizeof t);
        if (!t[0]) continue;
        int found = -1;
        for (int k = 0; k < N_COLS && found < 0; k++)
            for (int h = 0; cols[k].headers[h] && found < 0; h++)
                if (strcasecmp(t, cols[k].headers[h]) == 0) found = k;
        if (found < 0 || c->col[found] >= 0) {
            char cn[4];
            (*c->error_count)++;
            if (json_array_size(c->errors) < c->max_errors) {
                json_t *e =
                    json_pack("{s:s, s:i, s:s, s:s, s:n, s:s, s:s}", "sheet", BS_XLSX_BLOCKS_SHEET, "row", (int)row,
                              "column", bs_xlsx_col_name(cells[i].col, cn), "header", t, "field", "value", t, "message",
                              found < 0 ? "unknown column: see docs/exchange.md for the Woningblokken columns"
                                        : "a second column of the same member");
                json_array_append_new(c->errors, e);
            }
            continue;
        }
        c->col[found] = cells[i].col;
        snprintf(c->header[found], sizeof c->header[found], "%s", t);
    }
    if (c->col[C_KEY] < 0)
        sheet_error(c, row, -1, NULL, "source_key", "required column missing: source_key (the project's key)");
    if (c->col[C_HOMES] < 0) sheet_error(c, row, -1, NULL, "blocks.homes", "required column missing: homes (woningen)");
}

/* The JSON value of one member's cell (NULL: blank, the member is left out). Numbers become
 * integers when whole; TRUE/FALSE and ja/nee/true/false booleans for correction; the rest text
 * (bs_block_check then names what is wrong). */
static json_t *member_value(int k, const bs_xlsx_cell *cell) {
    char t[256];
    cell_text(cell, t, sizeof t);
    if (!t[0]) return NULL;
    if (cell->type == BS_XLSX_BOOL) return json_boolean(cell->number != 0);
    if (cell->type == BS_XLSX_NUMBER && cell->number == floor(cell->number) && fabs(cell->number) < 1e9)
        return json_integer((json_int_t)cell->number);
    if (k == C_CORR) {
        if (strcasecmp(t, "ja") == 0 || strcasecmp(t, "true") == 0 || strcasecmp(t, "waar") == 0) return json_true();
        if (strcasecmp(t, "nee") == 0 || strcasecmp(t, "false") == 0 || strcasecmp(t, "onwaar") == 0)
            return json_false();
    }
    if (cell->type == BS_XLSX_NUMBER) return json_real(cell->number);
    return json_string(t);
}

static void data_row(blocks_ctx *c, uint32_t row, const bs_xlsx_cell *cells, size_t n) {
    const bs_xlsx_cell *cl[N_COLS] = {0};
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        char t[8];
        if (cell_text(&cells[i], t, sizeof t)[0]) any = true;
        for (int k = 0; k < N_COLS; k++)
            if (c->col[k] == (int64_t)cells[i].col) cl[k] = &cells[i];
    }
    if (!any) return;
    (*c->rows)++;
    char key[201];
    cell_text(cl[C_KEY], key, sizeof key);
    if (!key[0]) sheet_error(c, row, C_KEY, "", "source_key", "required, but empty: the key of the project row");
    json_t *b = json_object();
    for (int k = C_HOMES; k < N_COLS; k++) {
        json_t *v = cl[k] ? member_value(k, cl[k]) : NULL;
        if (v) json_object_set_new(b, cols[k].member, v);
    }
    bs_err err = {0};
    json_t *checked = bs_import_block_check(c->is_milestone, c->arg, b, &err);
    if (!checked) {
        int k = C_HOMES;
        for (int j = C_HOMES; j < N_COLS; j++)
            if (strcmp(err.field, cols[j].member) == 0) k = j;
        char field[112], val[256];
        snprintf(field, sizeof field, "blocks.%s", err.field[0] ? err.field : "homes");
        sheet_error(c, row, k, cl[k] ? cell_text(cl[k], val, sizeof val) : "", field, "%s", err.msg);
    } else if (key[0]) {
        json_t *entry = json_object_get(c->by_key, key);
        if (!entry) {
            entry = json_pack("{s:i, s:[]}", "row", (int)row, "blocks");
            json_object_set_new(c->by_key, key, entry);
        }
        json_array_append_new(json_object_get(entry, "blocks"), checked);
        checked = NULL;
    }
    json_decref(checked);
    json_decref(b);
}

static int on_row(uint32_t row, const bs_xlsx_cell *cells, size_t n, void *arg) {
    blocks_ctx *c = arg;
    if (c->have_header) {
        if (c->col[C_KEY] >= 0 && c->col[C_HOMES] >= 0) data_row(c, row, cells, n);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char t[8];
        if (cell_text(&cells[i], t, sizeof t)[0]) {
            header_row(c, row, cells, n);
            break;
        }
    }
    return 0;
}

int bs_xlsx_blocks_read(bs_xlsx *x, int sheet, bs_block_milestone_fn is_milestone, const void *arg, json_t *by_key,
                        json_t *errors, size_t max_errors, long *error_count, long *rows, bs_err *err) {
    blocks_ctx c = {.is_milestone = is_milestone,
                    .arg = arg,
                    .by_key = by_key,
                    .errors = errors,
                    .max_errors = max_errors,
                    .error_count = error_count,
                    .rows = rows};
    for (int k = 0; k < N_COLS; k++) c.col[k] = -1;
    return bs_xlsx_read_rows(x, sheet, on_row, &c, err);
}
