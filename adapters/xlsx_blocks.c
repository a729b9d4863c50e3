/*
 * The sheet Woningblokken of the Excel project-list import. See xlsx_blocks.h and
 * docs/exchange.md "Woningblokken".
 */
#include "xlsx_blocks.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "import_blocks.h"

/* The columns: the project key, then the block's members (BS_BLOCK_MEMBERS' names), each with
 * the headers accepted (compared case-insensitively after trimming). */
enum {
    C_KEY,
    C_HOMES,
    C_KIND,
    C_TYPE,
    C_TENURE,
    C_PRICE,
    C_GROUP,
    C_MILESTONE,
    C_FROM,
    C_TO,
    C_CORR,
    C_SPREAD,
    N_COLS
};
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
    [C_SPREAD] = {"spread", {"spread", "spreiding"}},
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
    struct {
        int64_t col;
        char key[64];
        char header[80];
    } pv[BS_XLSX_BLOCKS_MAX_PV]; /* the plusveld columns ("plusveld:<key>") */
    int n_pv;
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

/* An error of the header row at cell (its text t). */
static void header_error(blocks_ctx *c, uint32_t row, const bs_xlsx_cell *cell, const char *t, const char *msg) {
    char cn[4];
    (*c->error_count)++;
    if (json_array_size(c->errors) >= c->max_errors) return;
    json_array_append_new(c->errors, json_pack("{s:s, s:i, s:s, s:s, s:n, s:s, s:s}", "sheet", BS_XLSX_BLOCKS_SHEET,
                                               "row", (int)row, "column", bs_xlsx_col_name(cell->col, cn), "header", t,
                                               "field", "value", t, "message", msg));
}

/* Whether header text t names a plusveld column ("plusveld:<key>", the prefix in any case,
 * spaces around the key allowed, as the project sheet); registers it (or records an error). */
static bool pv_header(blocks_ctx *c, uint32_t row, const bs_xlsx_cell *cell, const char *t) {
    static const char prefix[] = "plusveld:";
    if (strncasecmp(t, prefix, sizeof prefix - 1) != 0) return false;
    const char *key = t + sizeof prefix - 1;
    while (isspace((unsigned char)*key)) key++;
    size_t n = strlen(key);
    bool ok = n >= 1 && n <= 50 && key[0] >= 'a' && key[0] <= 'z' &&
              strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
    for (int i = 0; ok && i < c->n_pv; i++)
        if (strcmp(c->pv[i].key, key) == 0) {
            header_error(c, row, cell, t, "a second column of the same plusveld");
            return true;
        }
    if (!ok)
        header_error(c, row, cell, t, "a plusveld column is named plusveld:<key>, the key a-z, 0-9 and _");
    else if (c->n_pv == BS_XLSX_BLOCKS_MAX_PV)
        header_error(c, row, cell, t, "too many plusveld columns");
    else {
        c->pv[c->n_pv].col = cell->col;
        snprintf(c->pv[c->n_pv].key, sizeof c->pv[c->n_pv].key, "%s", key);
        snprintf(c->pv[c->n_pv].header, sizeof c->pv[c->n_pv].header, "%s", t);
        c->n_pv++;
    }
    return true;
}

static void header_row(blocks_ctx *c, uint32_t row, const bs_xlsx_cell *cells, size_t n) {
    c->have_header = true;
    for (size_t i = 0; i < n; i++) {
        char t[64];
        cell_text(&cells[i], t, sizeof t);
        if (!t[0]) continue;
        if (pv_header(c, row, &cells[i], t)) continue;
        int found = -1;
        for (int k = 0; k < N_COLS && found < 0; k++)
            for (int h = 0; cols[k].headers[h] && found < 0; h++)
                if (strcasecmp(t, cols[k].headers[h]) == 0) found = k;
        if (found < 0 || c->col[found] >= 0) {
            header_error(c, row, &cells[i], t,
                         found < 0 ? "unknown column: see docs/exchange.md for the Woningblokken columns"
                                   : "a second column of the same member");
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

/* The spread of a `spreiding` cell: "year:percent" pairs separated by ';' ("2027:40;2028:60";
 * spaces and a '%' after the percent allowed) as the API's [{"year", "percent"}]. NULL when the
 * text is not of that form (the rules themselves — years, percents summing to 100 — are
 * bs_block_check's). */
static json_t *spread_value(const char *t) {
    json_t *out = json_array();
    const char *s = t;
    while (*s) {
        char *end;
        long year = strtol(s, &end, 10), percent;
        if (end == s) break;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s++ != ':') break;
        percent = strtol(s, &end, 10);
        if (end == s) break;
        s = end;
        if (*s == '%') s++;
        while (isspace((unsigned char)*s)) s++;
        json_array_append_new(out, json_pack("{s:I, s:I}", "year", (json_int_t)year, "percent", (json_int_t)percent));
        if (*s == ';')
            s++;
        else if (*s)
            break;
        while (isspace((unsigned char)*s)) s++;
        if (!*s) return out;
    }
    json_decref(out);
    return NULL;
}

/* The plusveld cells of a block row (non-blank ones) as {key: {"row", "column", "header",
 * "cell": bs_xlsx_blocks_cell_json}}; NULL when there are none. */
static json_t *row_plusvelden(blocks_ctx *c, uint32_t row, const bs_xlsx_cell *cells, size_t n) {
    json_t *out = NULL;
    for (int k = 0; k < c->n_pv; k++)
        for (size_t i = 0; i < n; i++) {
            char t[8], cn[4];
            if ((int64_t)cells[i].col != c->pv[k].col || (!cell_text(&cells[i], t, sizeof t)[0])) continue;
            if (!out) out = json_object();
            json_object_set_new(out, c->pv[k].key,
                                json_pack("{s:i, s:s, s:s, s:o}", "row", (int)row, "column",
                                          bs_xlsx_col_name(cells[i].col, cn), "header", c->pv[k].header, "cell",
                                          bs_xlsx_blocks_cell_json(&cells[i])));
        }
    return out;
}

json_t *bs_xlsx_blocks_cell_json(const bs_xlsx_cell *cell) {
    return json_pack("{s:i, s:f, s:s%, s:i, s:i}", "type", (int)cell->type, "number", cell->number, "text", cell->text,
                     cell->text_len, "date_day", (int)cell->date_day, "col", (int)cell->col);
}

bs_xlsx_cell bs_xlsx_blocks_cell_from_json(const json_t *j) {
    bs_xlsx_cell c = {0};
    c.type = (bs_xlsx_type)json_integer_value(json_object_get(j, "type"));
    c.number = json_number_value(json_object_get(j, "number"));
    c.text = json_string_value(json_object_get(j, "text")) ?: "";
    c.text_len = json_string_length(json_object_get(j, "text"));
    c.date_day = (int32_t)json_integer_value(json_object_get(j, "date_day"));
    c.col = (uint32_t)json_integer_value(json_object_get(j, "col"));
    return c;
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
    bool bad_spread = false;
    for (int k = C_HOMES; k < N_COLS; k++) {
        json_t *v = cl[k] && k != C_SPREAD ? member_value(k, cl[k]) : NULL;
        if (v) json_object_set_new(b, cols[k].member, v);
    }
    char st[256];
    if (cl[C_SPREAD] && cell_text(cl[C_SPREAD], st, sizeof st)[0]) {
        json_t *sp = cl[C_SPREAD]->type == BS_XLSX_STRING ? spread_value(st) : NULL;
        if (sp)
            json_object_set_new(b, "spread", sp);
        else {
            bad_spread = true;
            sheet_error(c, row, C_SPREAD, st, "blocks.spread",
                        "write the spread as text, year:percent pairs separated by ';' (e.g. 2027:40;2028:60)");
        }
    }
    bs_err err = {0};
    json_t *checked = bad_spread ? NULL : bs_import_block_check(c->is_milestone, c->arg, b, &err);
    if (!checked && !bad_spread) {
        int k = C_HOMES;
        for (int j = C_HOMES; j < N_COLS; j++) {
            size_t ml = strlen(cols[j].member);
            if (strncmp(err.field, cols[j].member, ml) == 0 &&
                (err.field[ml] == 0 || err.field[ml] == '[' || err.field[ml] == '.'))
                k = j;
        }
        char field[112], val[256];
        snprintf(field, sizeof field, "blocks.%s", err.field[0] ? err.field : "homes");
        sheet_error(c, row, k, cl[k] ? cell_text(cl[k], val, sizeof val) : "", field, "%s", err.msg);
    }
    if (key[0]) {
        json_t *entry = json_object_get(c->by_key, key);
        if (!entry) {
            entry = json_pack("{s:i, s:[], s:[], s:[]}", "row", (int)row, "blocks", "plusvelden", "unchecked");
            json_object_set_new(c->by_key, key, entry);
        }
        json_t *pv = row_plusvelden(c, row, cells, n);
        if (checked) {
            json_array_append_new(json_object_get(entry, "blocks"), checked);
            json_array_append_new(json_object_get(entry, "plusvelden"), pv ? pv : json_null());
            checked = NULL;
        } else if (pv) {
            json_array_append_new(json_object_get(entry, "unchecked"), pv);
        }
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
