/*
 * Planmonitor-style Excel workbook of a province export. See province_xlsx.h.
 */
#include "province_xlsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "alloc.h"

static lxw_error write_table(lxw_workbook *wb, const bs_export *ex, bs_export_table_kind kind, const char *name,
                             lxw_format *bold) {
    lxw_worksheet *ws = workbook_add_worksheet(wb, name);
    if (!ws) return LXW_ERROR_MEMORY_MALLOC_FAILED;
    const char *const *cols;
    int nc = bs_export_table_columns(kind, &cols);
    lxw_error e = LXW_NO_ERROR;
    for (int c = 0; c < nc && !e; c++) e = worksheet_write_string(ws, 0, (lxw_col_t)c, cols[c], bold);
    /* Plannen: the geometry as GeoJSON text in the export's CRS after the plan columns, so the
     * import reads the workbook back (docs/exchange.md); a cell holds at most 32,767 characters */
    bool geometry = kind == BS_TABLE_PLANS;
    if (geometry && !e) e = worksheet_write_string(ws, 0, (lxw_col_t)nc, "geometrie", bold);
    /* Plannen: then the plusvelden the province asks for (bs_export_plusveld_columns) */
    /* DetailPlanning: then the block plusvelden it asks for (bs_export_block_plusveld_columns) */
    const char *const *pv_names = NULL;
    int npv = geometry                  ? bs_export_plusveld_columns(ex, &pv_names)
              : kind == BS_TABLE_DETAIL ? bs_export_block_plusveld_columns(ex, &pv_names)
                                        : 0;
    int pv_col = geometry ? nc + 1 : nc; /* the first plusveld column */
    for (int c = 0; c < npv && !e; c++) e = worksheet_write_string(ws, 0, (lxw_col_t)(pv_col + c), pv_names[c], bold);
    int next_item = 0;
    worksheet_freeze_panes(ws, 1, 0);
    int rows = bs_export_table_rows(ex, kind);
    bs_cell *cells = bs_calloc((size_t)nc, sizeof *cells);
    char buf[BS_EXPORT_ROW_BUF];
    for (int r = 0; r < rows && !e; r++) {
        bs_export_table_row(ex, kind, r, cells, buf);
        for (int c = 0; c < nc && !e; c++) {
            lxw_row_t row = (lxw_row_t)(r + 1);
            lxw_col_t col = (lxw_col_t)c;
            switch (cells[c].kind) {
            case BS_CELL_TEXT: e = worksheet_write_string(ws, row, col, cells[c].s, NULL); break;
            case BS_CELL_INT: e = worksheet_write_number(ws, row, col, (double)cells[c].n, NULL); break;
            case BS_CELL_BOOL: e = worksheet_write_boolean(ws, row, col, (int)cells[c].n, NULL); break;
            default: break;
            }
        }
        if (geometry && !e) {
            while (next_item < ex->n_items && !ex->items[next_item].included) next_item++;
            const json_t *g = next_item < ex->n_items ? ex->plans[ex->items[next_item++].plan].geometry : NULL;
            char *gt = g ? json_dumps(g, JSON_COMPACT) : NULL;
            if (gt && strlen(gt) <= 32767 /* Excel cell limit */)
                e = worksheet_write_string(ws, (lxw_row_t)(r + 1), (lxw_col_t)nc, gt, NULL);
            free(gt);
        }
        for (int c = 0; c < npv && !e; c++) {
            char pv_buf[BS_EXPORT_ROW_BUF];
            bs_cell cell = geometry ? bs_export_plusveld_cell(ex, r, c, pv_buf, sizeof pv_buf)
                                    : bs_export_block_plusveld_cell(ex, r, c, pv_buf, sizeof pv_buf);
            lxw_row_t row = (lxw_row_t)(r + 1);
            lxw_col_t col = (lxw_col_t)(pv_col + c);
            if (cell.kind == BS_CELL_TEXT) e = worksheet_write_string(ws, row, col, cell.s, NULL);
            if (cell.kind == BS_CELL_INT) e = worksheet_write_number(ws, row, col, (double)cell.n, NULL);
            if (cell.kind == BS_CELL_BOOL) e = worksheet_write_boolean(ws, row, col, (int)cell.n, NULL);
        }
    }
    free(cells);
    return e;
}

static lxw_error write_notes(lxw_workbook *wb, const bs_export *ex, lxw_format *bold) {
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Toelichting");
    if (!ws) return LXW_ERROR_MEMORY_MALLOC_FAILED;
    char day[11], line[256];
    lxw_row_t r = 0;
    lxw_error e = LXW_NO_ERROR;
#define KV_S(k, v)                                                                                                     \
    do {                                                                                                               \
        if (!e) e = worksheet_write_string(ws, r, 0, (k), bold);                                                       \
        if (!e) e = worksheet_write_string(ws, r, 1, (v), NULL);                                                       \
        r++;                                                                                                           \
    } while (0)
#define KV_N(k, v)                                                                                                     \
    do {                                                                                                               \
        if (!e) e = worksheet_write_string(ws, r, 0, (k), bold);                                                       \
        if (!e) e = worksheet_write_number(ws, r, 1, (double)(v), NULL);                                               \
        r++;                                                                                                           \
    } while (0)
    KV_S("export", ex->profile->key);
    KV_S("omschrijving", ex->profile->name);
    KV_S("peildatum_export", bs_date_format(ex->date, day));
    KV_S("crs", ex->profile->crs);
    KV_N("plannen_geexporteerd", ex->n_included);
    KV_N("plannen_uitgesloten", ex->n_left_out);
    KV_N("plannen_buiten_bereik", ex->n_out_of_scope);
    for (int k = 0; k < BS_QC_COUNT; k++) {
        snprintf(line, sizeof line, "uitgesloten_%s", bs_qc_name(k));
        KV_N(line, ex->left_out_by[k]);
    }
    /* price tables in force on the reference date, with their sources */
    for (int i = 0; i < ex->config->n_prices; i++) {
        const bs_price_table *t = &ex->config->prices[i];
        if (bs_price_table_at(ex->config, t->provincie, ex->date) != t) continue;
        snprintf(line, sizeof line, "prijsklassen %s vanaf %s: koop ondergrenzen (cent)", t->provincie,
                 bs_date_format(t->valid_from, day));
        if (!e) e = worksheet_write_string(ws, r, 0, line, bold);
        for (int k = 0; k < BS_PRICE_CLASSES && !e; k++)
            e = worksheet_write_number(ws, r, (lxw_col_t)(1 + k), (double)t->koop_lower_cents[k], NULL);
        r++;
        snprintf(line, sizeof line, "prijsklassen %s vanaf %s: huur ondergrenzen (cent per maand)", t->provincie,
                 bs_date_format(t->valid_from, day));
        if (!e) e = worksheet_write_string(ws, r, 0, line, bold);
        for (int k = 0; k < BS_PRICE_CLASSES && !e; k++)
            e = worksheet_write_number(ws, r, (lxw_col_t)(1 + k), (double)t->huur_lower_cents[k], NULL);
        r++;
        KV_S("bron", t->sources);
    }
    KV_S("regels", "docs/exports.md: spreading of period totals, joint split, price classes, quality checks");
#undef KV_S
#undef KV_N
    return e;
}

/* The template's sheet "Kolommen": every column of the data sheets with what it holds
 * (docs/exports.md §3, docs/exchange.md). */
static lxw_error write_columns(lxw_workbook *wb, lxw_format *bold) {
    static const char *const rows[][3] = {
        {"Plannen", "plan_id", "id of the plan in Bouwstroom (uuid); a new id makes a new project"},
        {"Plannen", "objectid", "the plan's key in its source (EIB OBJECTID); unique in the file"},
        {"Plannen", "plannaam", "name of the plan"},
        {"Plannen", "gemeente", "municipality as written"},
        {"Plannen", "provincie", "one of the twelve provinces"},
        {"Plannen", "plantype", "uitleg, verdichting, transformatie, herstructurering or onbekend"},
        {"Plannen", "status_planologisch", "1A, 1B, 1C, 2A, 2B, 2C, 3, 4A or 4B"},
        {"Plannen", "vertrouwelijkheid",
         "prive, intern_ambtelijk, intern_bestuurlijk, intern_raad, extern_woonregio, "
         "extern_mede_overheden or openbaar"},
        {"Plannen", "peildatum", "date of the figures, YYYY-MM-DD"},
        {"Plannen", "aantal_rest", "homes still to build; the DetailPlanning counts add up to it"},
        {"Plannen", "sloop", "homes to demolish (positive); the sloop_ counts add up to it"},
        {"Plannen", "koop_prijsklasse", "koop1 … koop4 when the koop homes lie in one price class, else empty"},
        {"Plannen", "huur_prijsklasse", "huur1 … huur4 when the huur homes lie in one price class, else empty"},
        {"Plannen", "prijsklassen_vanaf", "start of the province's price table used (written by the export)"},
        {"Plannen", "verdeling", "type_en_eigendom, alleen_type (tenure onbekend) or geen (nothing to build)"},
        {"Plannen", "opmerkingen", "how the counts were derived (docs/exports.md §4)"},
        {"Plannen", "geometrie", "GeoJSON geometry in EPSG:28992 (RD New)"},
        {"DetailPlanning", "plan_id, objectid", "the plan of the row (as in Plannen)"},
        {"DetailPlanning", "jaar", "2019 … 2050, empty = year unknown"},
        {"DetailPlanning", "geschat", "TRUE when the year's count comes from spreading a period total"},
        {"DetailPlanning", "{eengezins|meergezins|onbekend}_{koop1…koop4|koop_onb|huur1…huur4|huur_onb|onbekend}",
         "homes completed that year per house type × tenure and price class"},
        {"DetailPlanning", "sloop_…", "homes demolished, the same 33 columns"},
        {"Uitgesloten", "plan_id, objectid, plannaam, gemeente, provincie, controle, fout",
         "plans the export left out, one row per error (not imported)"},
    };
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Kolommen");
    if (!ws) return LXW_ERROR_MEMORY_MALLOC_FAILED;
    lxw_error e = LXW_NO_ERROR;
    static const char *const head[3] = {"blad", "kolom", "omschrijving"};
    for (int c = 0; c < 3 && !e; c++) e = worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], bold);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0] && !e; r++)
        for (int c = 0; c < 3 && !e; c++)
            e = worksheet_write_string(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, rows[r][c], NULL);
    return e;
}

static int write_book(const bs_export *ex, const char *path, bool with_columns, bs_err *err) {
    lxw_workbook_options opt = {0};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    if (!wb) {
        return bs_err_set(err, BS_EIO, NULL, "%s: cannot create workbook", path);
    }
    lxw_doc_properties props = {0};
    props.title = (char *)ex->profile->name;
    props.author = "Bouwstroom";
    props.created = (time_t)ex->date * 86400; /* bs_day counts days since 1970-01-01 */
    workbook_set_properties(wb, &props);
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    lxw_error e = write_table(wb, ex, BS_TABLE_PLANS, "Plannen", bold);
    if (!e) e = write_table(wb, ex, BS_TABLE_DETAIL, "DetailPlanning", bold);
    if (!e) e = write_table(wb, ex, BS_TABLE_LEFT_OUT, "Uitgesloten", bold);
    if (!e) e = write_notes(wb, ex, bold);
    if (!e && with_columns) e = write_columns(wb, bold);
    lxw_error ce = workbook_close(wb); /* frees wb, writes the file */
    if (e || ce) {
        return bs_err_set(err, BS_EIO, NULL, "%s: %s", path, lxw_strerror(e ? e : ce));
    }
    return 0;
}

int bs_export_xlsx_write(const bs_export *ex, const char *path, bs_err *err) {
    return write_book(ex, path, false, err);
}

static int book_bytes(const bs_export *ex, bool with_columns, const char *tmpdir, char **bytes, size_t *len,
                      bs_err *err) {
    *bytes = NULL;
    *len = 0;
    if (!tmpdir) tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/bouwstroom-export-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    if (fd < 0) return bs_err_set(err, BS_EIO, NULL, "%s: %s", path, strerror(errno));
    close(fd);
    int rc = write_book(ex, path, with_columns, err);
    FILE *f = rc == 0 ? fopen(path, "rb") : NULL;
    if (rc == 0 && !f) rc = bs_err_set(err, BS_EIO, NULL, "%s: %s", path, strerror(errno));
    if (f) {
        size_t cap = 65536, n = 0;
        char *b = bs_malloc(cap);
        size_t got;
        while ((got = fread(b + n, 1, cap - n, f)) > 0) {
            n += got;
            if (n == cap) {
                b = bs_realloc(b, cap * 2);
                cap *= 2;
            }
        }
        if (ferror(f)) {
            rc = bs_err_set(err, BS_EIO, NULL, "%s: read failed", path);
            free(b);
        } else {
            *bytes = b;
            *len = n;
        }
        fclose(f);
    }
    unlink(path);
    return rc;
}

int bs_export_xlsx_bytes(const bs_export *ex, const char *tmpdir, char **bytes, size_t *len, bs_err *err) {
    return book_bytes(ex, false, tmpdir, bytes, len, err);
}

int bs_export_xlsx_template_bytes(const bs_province_config *config, const bs_export_profile *profile, bs_day date,
                                  const char *tmpdir, char **bytes, size_t *len, bs_err *err) {
    bs_export ex;
    if (bs_export_build(config, profile, NULL, 0, date, &ex) != 0) {
        *bytes = NULL;
        *len = 0;
        return bs_err_set(err, BS_EINTERNAL, NULL, "out of memory");
    }
    int rc = book_bytes(&ex, true, tmpdir, bytes, len, err);
    bs_export_free(&ex);
    return rc;
}
