/*
 * `bouwstroom import-xlsx` and `bouwstroom xlsx-dump`. See xlsx_cmd.h.
 */
#include "xlsx_cmd.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "alloc.h"
#include "clock.h"
#include "xlsx_read.h"

#define MAX_FILE_BYTES ((size_t)128 << 20)

/* ---- xlsx-dump ---- */

typedef struct dump_ctx {
    json_t *cells;
} dump_ctx;

static const char *type_name(bs_xlsx_type t) {
    switch (t) {
    case BS_XLSX_EMPTY: return "empty";
    case BS_XLSX_NUMBER: return "number";
    case BS_XLSX_STRING: return "string";
    case BS_XLSX_BOOL: return "bool";
    case BS_XLSX_ERROR: return "error";
    case BS_XLSX_DATE: return "date";
    }
    return "?";
}

static int dump_row(uint32_t row, const bs_xlsx_cell *cells, size_t n, void *arg) {
    dump_ctx *d = arg;
    for (size_t i = 0; i < n; i++) {
        const bs_xlsx_cell *c = &cells[i];
        json_t *o = json_object();
        char cn[4], ref[24];
        snprintf(ref, sizeof ref, "%s%u", bs_xlsx_col_name(c->col, cn), row);
        json_object_set_new(o, "r", json_integer(row));
        json_object_set_new(o, "c", json_integer(c->col));
        json_object_set_new(o, "ref", json_string(ref));
        json_object_set_new(o, "t", json_string(type_name(c->type)));
        json_t *v;
        switch (c->type) {
        case BS_XLSX_NUMBER: v = json_real(c->number); break;
        case BS_XLSX_BOOL: v = json_boolean(c->number != 0); break;
        case BS_XLSX_STRING:
        case BS_XLSX_ERROR: v = json_stringn(c->text, c->text_len); break;
        case BS_XLSX_DATE: {
            char day[11], buf[40];
            bs_date_format(c->date_day, day);
            snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%03d", day, c->date_ms / 3600000, c->date_ms / 60000 % 60,
                     c->date_ms / 1000 % 60, c->date_ms % 1000);
            v = json_string(buf);
            break;
        }
        default: v = json_null();
        }
        json_object_set_new(o, "v", v ? v : json_null());
        json_array_append_new(d->cells, o);
    }
    return 0;
}

static int parse_size(const char *s, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v == 0) return -1;
    *out = (size_t)v;
    return 0;
}

int bs_cli_xlsx_dump(int argc, char **argv) {
    if (argc < 1 || argv[0][0] == '-') {
        fprintf(stderr, "usage: bouwstroom xlsx-dump FILE [--sheet NAME] [--max-part-bytes N] [--max-rows N] "
                        "[--max-cols N]\n");
        return 2;
    }
    const char *sheet = NULL;
    bs_xlsx_limits lim = {0};
    for (int i = 1; i < argc; i++) {
        size_t v = 0;
        if (i + 1 >= argc) {
            fprintf(stderr, "xlsx-dump: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--sheet") == 0) {
            sheet = argv[++i];
            continue;
        }
        if (parse_size(argv[i + 1], &v) != 0) {
            fprintf(stderr, "xlsx-dump: %s needs a positive number\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--max-part-bytes") == 0)
            lim.max_part_bytes = v;
        else if (strcmp(argv[i], "--max-rows") == 0)
            lim.max_rows = (uint32_t)v;
        else if (strcmp(argv[i], "--max-cols") == 0)
            lim.max_cols = (uint32_t)v;
        else {
            fprintf(stderr, "xlsx-dump: unknown option %s\n", argv[i]);
            return 2;
        }
        i++;
    }
    bs_err err = {0};
    bs_xlsx *x = NULL;
    int rc = bs_xlsx_open_file(argv[0], &lim, &x, &err);
    if (rc != BS_XLSX_OK) {
        fprintf(stderr, "xlsx-dump: %s (%s)\n", err.msg, err.title);
        return 1;
    }
    json_t *doc = json_object(), *sheets = json_array();
    json_object_set_new(doc, "date1904", json_boolean(bs_xlsx_date1904(x)));
    json_object_set_new(doc, "sheets", sheets);
    int exit_code = 0;
    for (int s = 0; s < bs_xlsx_sheet_count(x); s++) {
        if (sheet && strcmp(sheet, bs_xlsx_sheet_name(x, s)) != 0) continue;
        dump_ctx d = {json_array()};
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(bs_xlsx_sheet_name(x, s)));
        json_object_set_new(o, "cells", d.cells);
        json_array_append_new(sheets, o);
        rc = bs_xlsx_read_rows(x, s, dump_row, &d, &err);
        if (rc != BS_XLSX_OK) {
            fprintf(stderr, "xlsx-dump: %s: %s (%s)\n", argv[0], err.msg, err.title);
            exit_code = 1;
            break;
        }
    }
    if (sheet && json_array_size(sheets) == 0) {
        fprintf(stderr, "xlsx-dump: no sheet '%s'\n", sheet);
        exit_code = 1;
    }
    if (exit_code == 0) {
        char *text = json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (text) puts(text);
        free(text);
    }
    json_decref(doc);
    bs_xlsx_close(x);
    return exit_code;
}

/* ---- import-xlsx ---- */

int bs_cli_import_xlsx_prepare(int argc, char **argv, bs_import_xlsx *c) {
    memset(c, 0, sizeof *c);
    if (argc < 1 || argv[0][0] == '-') {
        fprintf(stderr, "usage: bouwstroom import-xlsx FILE [--source TAG] [--sheet NAME] [--today YYYY-MM-DD]\n");
        return 2;
    }
    c->path = argv[0];
    c->today = bs_clock_today_amsterdam(NULL);
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) {
            fprintf(stderr, "import-xlsx: %s needs a value\n", argv[i]);
            return 2;
        }
        if (strcmp(argv[i], "--source") == 0) {
            c->source = argv[i + 1];
        } else if (strcmp(argv[i], "--sheet") == 0) {
            c->sheet = argv[i + 1];
        } else if (strcmp(argv[i], "--today") == 0) {
            if (bs_date_parse(argv[i + 1], &c->today) != 0) {
                fprintf(stderr, "import-xlsx: --today must be YYYY-MM-DD\n");
                return 2;
            }
        } else {
            fprintf(stderr, "import-xlsx: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (c->source && (!*c->source || strlen(c->source) > 100)) {
        fprintf(stderr, "import-xlsx: --source must be 1 to 100 characters\n");
        return 2;
    }
    struct stat st;
    if (stat(c->path, &st) != 0) {
        fprintf(stderr, "import-xlsx: %s: %s\n", c->path, strerror(errno));
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "import-xlsx: %s: not a regular file\n", c->path);
        return 1;
    }
    /* read at most MAX_FILE_BYTES + 1: a file that grows meanwhile cannot exhaust memory */
    FILE *f = fopen(c->path, "rb");
    if (!f) {
        fprintf(stderr, "import-xlsx: %s: %s\n", c->path, strerror(errno));
        return 1;
    }
    size_t cap = (size_t)st.st_size < MAX_FILE_BYTES ? (size_t)st.st_size + 1 : MAX_FILE_BYTES + 1;
    c->data = bs_malloc(cap);
    c->len = fread(c->data, 1, cap, f);
    bool more = c->len == cap && fgetc(f) != EOF;
    fclose(f);
    if (c->len > MAX_FILE_BYTES || (more && c->len >= MAX_FILE_BYTES)) {
        fprintf(stderr, "import-xlsx: %s: larger than %zu MiB\n", c->path, MAX_FILE_BYTES >> 20);
        free(c->data);
        c->data = NULL;
        return 1;
    }
    if (more) { /* grew past its stat size while read: read what was there when stat ran */
        fprintf(stderr, "import-xlsx: %s: the file changed while being read\n", c->path);
        free(c->data);
        c->data = NULL;
        return 1;
    }
    return 0;
}

typedef struct run_ctx {
    bs_import_xlsx *c;
    void (*done)(int rc, void *arg);
    void *arg;
} run_ctx;

static const char *str_or(json_t *o, const char *k, const char *dflt) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

static void imported(json_t *res, void *arg) {
    run_ctx *r = arg;
    int rc = 0;
    if (json_is_true(json_object_get(res, "ok"))) {
        printf(
            "import-xlsx: %s, sheet '%s': %lld rows imported (%lld new, %lld updated, %lld unchanged), source '%s'\n",
            r->c->path, str_or(res, "sheet", "?"), json_integer_value(json_object_get(res, "rows")),
            json_integer_value(json_object_get(res, "inserted")), json_integer_value(json_object_get(res, "updated")),
            json_integer_value(json_object_get(res, "unchanged")), str_or(res, "source", "?"));
        size_t i;
        json_t *w;
        json_array_foreach(json_object_get(res, "warnings"), i, w)
            printf("import-xlsx: warning: %s\n", json_string_value(w));
    } else {
        rc = 1;
        json_t *errs = json_object_get(res, "errors");
        long long total = json_integer_value(json_object_get(res, "error_count"));
        const char *stage = str_or(res, "stage", "validation");
        if (strcmp(stage, "validation") == 0)
            printf("import-xlsx: %s, sheet '%s': %lld error%s in %lld rows; nothing imported\n", r->c->path,
                   str_or(res, "sheet", "?"), total, total == 1 ? "" : "s",
                   json_integer_value(json_object_get(res, "rows")));
        else
            printf("import-xlsx: %s: %s error; nothing imported\n", r->c->path, stage);
        size_t i;
        json_t *e;
        json_array_foreach(errs, i, e) {
            json_t *row = json_object_get(e, "row");
            const char *col = str_or(e, "column", NULL), *hdr = str_or(e, "header", NULL),
                       *field = str_or(e, "field", NULL), *val = str_or(e, "value", NULL);
            char where[400];
            size_t o = 0;
            where[0] = 0;
            const char *esheet = str_or(e, "sheet", NULL); /* a Planmonitor workbook: the sheet of the row */
            if (esheet)
                o += (size_t)snprintf(where + o, sizeof where - o, "sheet '%s'%s", esheet,
                                      json_is_integer(row) ? " " : "");
            if (json_is_integer(row))
                o += (size_t)snprintf(where + o, sizeof where - o, "row %lld", json_integer_value(row));
            if (col && o < sizeof where)
                o += (size_t)snprintf(where + o, sizeof where - o, "%scolumn %s", o ? ", " : "", col);
            if ((hdr || field) && o < sizeof where)
                o += (size_t)snprintf(where + o, sizeof where - o, " (%s)", hdr ? hdr : field);
            if (val && *val && o < sizeof where) snprintf(where + o, sizeof where - o, ": '%s'", val);
            printf("  %s%s%s\n", where, where[0] ? ": " : "", str_or(e, "message", "?"));
        }
        if (total > (long long)json_array_size(errs))
            printf("  … and %lld more\n", total - (long long)json_array_size(errs));
    }
    fflush(stdout);
    json_decref(res);
    void (*done)(int, void *) = r->done;
    void *darg = r->arg;
    free(r);
    done(rc, darg);
}

void bs_cli_import_xlsx_run(uv_loop_t *loop, bs_store *store, const bs_engine *engine, bs_import_xlsx *c,
                            void (*done)(int rc, void *arg), void *arg) {
    run_ctx *r = bs_calloc(1, sizeof *r);
    r->c = c;
    r->done = done;
    r->arg = arg;
    bs_xlsx_projects_options opt = {
        .source = c->source, .sheet = c->sheet, .today = c->today, .actor = "{\"label\":\"cli:import-xlsx\"}"};
    bs_xlsx_projects_import(loop, store, engine, c->data, c->len, &opt, imported, r);
    free(c->data); /* copied by the import */
    c->data = NULL;
}
