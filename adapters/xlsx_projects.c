/*
 * Excel import of a project list. See xlsx_projects.h and docs/exchange.md.
 */
#include "xlsx_projects.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "import_pipeline.h"
#include "import_blocks.h"
#include "import_plusvelden.h"
#include "eib_import.h"
#include "plan.h"
#include "xlsx_blocks.h"
#include "xlsx_read.h"

#define SCHEMA_KEY "ppm-woningbouw"
#define DEFAULT_SOURCE "xlsx"
#define MAX_TEXT_BYTES 200
#define MAX_COUNT 100000
/* EPSG:28992 (Amersfoort / RD New) area of use, metres (EPSG registry) */
#define RD_X_MIN (-7000.0)
#define RD_X_MAX 300000.0
#define RD_Y_MIN 289000.0
#define RD_Y_MAX 629000.0
/* Most plusveld columns ("plusveld:<key>") of one sheet. */
#define XLSX_PV_MAX_COLUMNS 100

typedef enum {
    F_SOURCE_KEY,
    F_NAME,
    F_GEMEENTE,
    F_PROVINCIE,
    F_PLANSTATUS,
    F_PLANTYPE,
    F_HOMES,
    F_EXPECTED,
    F_DATA_DATE,
    F_X,
    F_Y,
    F_CONFIDENTIALITY,
    F_GRONDGEBONDEN,
    F_APPARTEMENT,
    F_HUUR,
    F_KOOP,
    F_NOTE,
    N_FIELDS
} field_id;

/* The template: field name (as in error reports), required, accepted headers (compared after
 * folding: lower case, accents dropped, runs of spaces, '_', '-', '.' as one space, a trailing
 * '*' dropped). Keep docs/exchange.md in step. */
static const struct {
    const char *field;
    bool required;
    const char *headers[9];
} fields[N_FIELDS] = {
    [F_SOURCE_KEY] = {"source_key", true, {"source_key", "sleutel", "kenmerk", "projectnummer", "projectnr", "id"}},
    [F_NAME] = {"name", true, {"name", "naam", "projectnaam", "plannaam", "project"}},
    [F_GEMEENTE] = {"gemeente", true, {"gemeente", "municipality", "gem naam"}},
    [F_PROVINCIE] = {"provincie", true, {"provincie", "province"}},
    [F_PLANSTATUS] = {"planstatus", true, {"planstatus", "planologische status", "status planologisch", "status"}},
    [F_PLANTYPE] = {"plantype", false, {"plantype", "type plan", "soort plan"}},
    [F_HOMES] = {"homes", true, {"homes", "woningen", "aantal woningen", "homes remaining", "aantalrest", "aantal"}},
    [F_EXPECTED] = {"expected",
                    false,
                    {"expected", "expected completion", "oplevering", "verwachte oplevering", "jaar oplevering",
                     "gereed"}},
    [F_DATA_DATE] = {"progress_date", false, {"data date", "peildatum", "datum"}},
    [F_X] = {"x", false, {"x", "rd x", "x rd", "x coordinaat"}},
    [F_Y] = {"y", false, {"y", "rd y", "y rd", "y coordinaat"}},
    [F_CONFIDENTIALITY] = {"confidentiality", false, {"confidentiality", "vertrouwelijkheid"}},
    [F_GRONDGEBONDEN] = {"type_grondgebonden", false, {"grondgebonden", "type grondgebonden", "eengezins"}},
    [F_APPARTEMENT] = {"type_appartement", false, {"appartementen", "appartement", "type appartement", "meergezins"}},
    [F_HUUR] = {"tenure_huur", false, {"huur", "huurwoningen", "tenure huur"}},
    [F_KOOP] = {"tenure_koop", false, {"koop", "koopwoningen", "tenure koop"}},
    [F_NOTE] = {"note", false, {"note", "toelichting", "opmerking", "opmerkingen", "schatting"}},
};

/* Confidentiality levels, low → high audience (domain brief §2). */
static const char *const conf_codes[] = {"prive",       "intern_ambtelijk", "intern_bestuurlijk",
                                         "intern_raad", "extern_woonregio", "extern_mede_overheden",
                                         "openbaar"};
#define N_CONF (sizeof conf_codes / sizeof conf_codes[0])
#define CONF_MEDE_OVERHEDEN 5

static const char *const provinces[] = {"Groningen",    "Fryslân",    "Drenthe",       "Overijssel",
                                        "Flevoland",    "Gelderland", "Utrecht",       "Noord-Holland",
                                        "Zuid-Holland", "Zeeland",    "Noord-Brabant", "Limburg"};
#define N_PROVINCES (sizeof provinces / sizeof provinces[0])

/* Folds s into out: ASCII lower case, Latin-1 accented letters to their base letter, runs of
 * white space, '_', '-' and '.' to one space, trimmed, one trailing '*' dropped. */
static void fold(const char *s, size_t len, char *out, size_t cap) {
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < len && o + 2 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        char r = 0;
        if (c == 0xC3 && i + 1 < len) {
            unsigned char d = (unsigned char)s[i + 1] | 0x20; /* 0x80–0x9F upper → 0xA0–0xBF lower */
            static const char map[] = "aaaaaaaceeeeiiii"
                                      "dnooooo/ouuuuyty";
            if (d >= 0xA0 && d <= 0xBF) { /* a continuation byte: valid UTF-8 (expat's) has nothing else */
                r = map[d - 0xA0];
                i++;
            }
        } else if (c == ' ' || c == '_' || c == '-' || c == '.' || c == '\t' || c == '\n' || c == '\r') {
            space = true;
            continue;
        } else if (c < 0x80) {
            r = (char)tolower(c);
        } else {
            r = (char)c;
        }
        if (!r) continue;
        if (space && o > 0) out[o++] = ' ';
        space = false;
        out[o++] = r;
    }
    if (o > 0 && out[o - 1] == '*') o--;
    while (o > 0 && out[o - 1] == ' ') o--;
    out[o] = 0;
}

/* ---- the parse state ---- */

typedef struct parse_ctx {
    const bs_schema *schema;
    const bs_calendar *cal;
    const bs_xlsx_projects_options *opt;
    bool have_header;
    uint32_t header_row;
    int64_t field_col[N_FIELDS];  /* column of each field, -1 when absent */
    char *field_header[N_FIELDS]; /* owned: the header text as written */
    json_t *errors;               /* array */
    long error_count;
    long rows;         /* data rows (non-empty rows after the header) */
    json_t *records;   /* array */
    json_t *seen_keys; /* object: source_key → row number */
    bool too_many_rows;
    struct {
        int64_t col;
        char key[64];
        char *header;          /* owned: as written */
    } pv[XLSX_PV_MAX_COLUMNS]; /* the plusveld columns */
    int n_pv;
    bs_pv_cache *pv_cache; /* the patterns compiled for this workbook */
    /* the sheet Woningblokken (xlsx_blocks.h): {source_key: {"row", "blocks", "used"}}, read
     * before the project sheet; empty when the workbook has none */
    json_t *blocks;
} parse_ctx;

static void add_error(parse_ctx *p, long row, int64_t col, field_id f, const char *header, const char *value,
                      const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void add_error_v(parse_ctx *p, long row, int64_t col, const char *field, const char *header, const char *value,
                        const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

static void add_error(parse_ctx *p, long row, int64_t col, field_id f, const char *header, const char *value,
                      const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_error_v(p, row, col, (int)f < N_FIELDS ? fields[f].field : NULL, header, value, fmt, ap);
    va_end(ap);
}

/* add_error with the field named (e.g. "plusvelden.<key>"; NULL: none). */
__attribute__((format(printf, 7, 8))) static void add_error_named(parse_ctx *p, long row, int64_t col,
                                                                  const char *field, const char *header,
                                                                  const char *value, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_error_v(p, row, col, field, header, value, fmt, ap);
    va_end(ap);
}

static void add_error_v(parse_ctx *p, long row, int64_t col, const char *field, const char *header, const char *value,
                        const char *fmt, va_list ap) {
    p->error_count++;
    if (json_array_size(p->errors) >= BS_XLSX_PROJECTS_MAX_ERRORS) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *e = json_object();
    json_object_set_new(e, "row", row > 0 ? json_integer(row) : json_null());
    char cn[4];
    json_object_set_new(e, "column", col >= 0 ? json_string(bs_xlsx_col_name((uint32_t)col, cn)) : json_null());
    json_object_set_new(e, "header", header ? json_string(header) : json_null());
    json_object_set_new(e, "field", field ? json_string(field) : json_null());
    json_object_set_new(e, "value", value ? json_string(value) : json_null());
    json_object_set_new(e, "message", json_string(msg));
    json_array_append_new(p->errors, e);
}

/* A cell as the user sees it, for error messages (buf ≥ 64 bytes; long strings truncated
 * at a character boundary). */
static const char *cell_display(const bs_xlsx_cell *c, char *buf, size_t cap) {
    switch (c->type) {
    case BS_XLSX_EMPTY: return "";
    case BS_XLSX_BOOL: return c->number != 0 ? "TRUE" : "FALSE";
    case BS_XLSX_DATE: {
        char d[11];
        bs_date_format(c->date_day, d);
        if (c->date_ms)
            snprintf(buf, cap, "%s %02d:%02d:%02d", d, c->date_ms / 3600000, c->date_ms / 60000 % 60,
                     c->date_ms / 1000 % 60);
        else
            snprintf(buf, cap, "%s", d);
        return buf;
    }
    default: {
        size_t n = c->text_len < cap - 1 ? c->text_len : cap - 1;
        while (n > 0 && n < c->text_len && ((unsigned char)c->text[n] & 0xC0) == 0x80) n--;
        memcpy(buf, c->text, n);
        buf[n] = 0;
        return buf;
    }
    }
}

static bool cell_blank(const bs_xlsx_cell *c) {
    if (!c || c->type == BS_XLSX_EMPTY) return true;
    if (c->type != BS_XLSX_STRING) return false;
    for (size_t i = 0; i < c->text_len; i++)
        if (!isspace((unsigned char)c->text[i])) return false;
    return true;
}

/* Per-row context for the field readers. */
typedef struct row_ctx {
    parse_ctx *p;
    uint32_t row;
    const bs_xlsx_cell *cell[N_FIELDS]; /* NULL when the row has no cell in that column */
    bool bad;
} row_ctx;

__attribute__((format(printf, 3, 4))) static void row_error(row_ctx *r, field_id f, const char *fmt, ...) {
    char msg[480], val[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *v = r->cell[f] ? cell_display(r->cell[f], val, sizeof val) : "";
    add_error(r->p, (long)r->row, r->p->field_col[f], f, r->p->field_header[f], v, "%s", msg);
    r->bad = true;
}

/* Text of a field: trimmed copy into out (cap bytes). Numbers give their written form
 * (integers without ".0"). Returns 1 with text, 0 when blank, -1 after an error. */
static int get_text(row_ctx *r, field_id f, char *out, size_t cap) {
    const bs_xlsx_cell *c = r->cell[f];
    out[0] = 0;
    if (cell_blank(c)) return 0;
    switch (c->type) {
    case BS_XLSX_STRING: {
        const char *s = c->text, *e = c->text + c->text_len;
        while (s < e && isspace((unsigned char)*s)) s++;
        while (e > s && isspace((unsigned char)e[-1])) e--;
        size_t n = (size_t)(e - s);
        if (n >= cap) {
            row_error(r, f, "text longer than %zu bytes", cap - 1);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)s[i] < 0x20 && s[i] != '\t') {
                row_error(r, f, "text contains a control character (line break?)");
                return -1;
            }
        memcpy(out, s, n);
        out[n] = 0;
        return 1;
    }
    case BS_XLSX_NUMBER:
        if (c->number == floor(c->number) && fabs(c->number) < 1e15)
            snprintf(out, cap, "%.0f", c->number);
        else
            snprintf(out, cap, "%.15g", c->number);
        return 1;
    case BS_XLSX_ERROR: row_error(r, f, "the cell holds the Excel error %s", c->text); return -1;
    case BS_XLSX_DATE: row_error(r, f, "text expected, not a date"); return -1;
    case BS_XLSX_BOOL: row_error(r, f, "text expected, not TRUE/FALSE"); return -1;
    default: return 0;
    }
}

/* Whole number of a field in [lo, hi]. Returns 1 with *out, 0 when blank, -1 after an error. */
static int get_int(row_ctx *r, field_id f, long lo, long hi, long *out) {
    const bs_xlsx_cell *c = r->cell[f];
    if (cell_blank(c)) return 0;
    double v;
    if (c->type == BS_XLSX_NUMBER) {
        v = c->number;
    } else if (c->type == BS_XLSX_STRING) {
        char buf[64];
        if (get_text(r, f, buf, sizeof buf) < 0) return -1;
        char *end;
        long l = strtol(buf, &end, 10);
        if (*end || end == buf) {
            row_error(r, f, "whole number expected");
            return -1;
        }
        v = (double)l;
    } else {
        row_error(r, f, "whole number expected");
        return -1;
    }
    if (v != floor(v)) {
        row_error(r, f, "whole number expected, not a fraction");
        return -1;
    }
    if (v < (double)lo || v > (double)hi) {
        row_error(r, f, "must lie between %ld and %ld", lo, hi);
        return -1;
    }
    *out = (long)v;
    return 1;
}

/* A date: a date cell, or text YYYY-MM-DD or D-M-YYYY (also with '/'); with allow_year a
 * year alone (number or text) counts too (*year_only set). Returns 1, 0 blank, -1 error. */
static int get_date(row_ctx *r, field_id f, bool allow_year, bs_day *out, bool *year_only) {
    const bs_xlsx_cell *c = r->cell[f];
    if (year_only) *year_only = false;
    if (cell_blank(c)) return 0;
    const char *expect = allow_year ? "a year (2028) or a date (a date cell, 2028-06-30 or 30-6-2028)"
                                    : "a date (a date cell, 2024-06-30 or 30-6-2024)";
    int y = 0, m = 0, d = 0;
    if (c->type == BS_XLSX_DATE) {
        bs_date_to_ymd(c->date_day, &y, &m, &d);
    } else if (c->type == BS_XLSX_NUMBER) {
        if (!allow_year || c->number != floor(c->number)) {
            row_error(r, f, "%s expected, found a number", expect);
            return -1;
        }
        y = (int)fmax(-1, fmin(c->number, 100000));
        m = 12;
        d = 31;
        if (year_only) *year_only = true;
    } else if (c->type == BS_XLSX_STRING) {
        char buf[64];
        if (get_text(r, f, buf, sizeof buf) < 0) return -1;
        int n = 0;
        char s1, s2;
        if (sscanf(buf, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && buf[n] == 0 && n == 10) {
        } else if (sscanf(buf, "%2d%c%2d%c%4d%n", &d, &s1, &m, &s2, &y, &n) == 5 && buf[n] == 0 && s1 == s2 &&
                   (s1 == '-' || s1 == '/') && n >= 8) {
        } else if (allow_year && sscanf(buf, "%4d%n", &y, &n) == 1 && buf[n] == 0 && n == 4) {
            m = 12;
            d = 31;
            if (year_only) *year_only = true;
        } else {
            row_error(r, f, "%s expected", expect);
            return -1;
        }
        if (!bs_date_valid(y, m, d)) {
            row_error(r, f, "not an existing date");
            return -1;
        }
    } else {
        row_error(r, f, "%s expected", expect);
        return -1;
    }
    if (y < BS_CALENDAR_FIRST_YEAR || y > BS_CALENDAR_LAST_YEAR) {
        row_error(r, f, "year %d outside %d–%d", y, BS_CALENDAR_FIRST_YEAR, BS_CALENDAR_LAST_YEAR);
        return -1;
    }
    *out = bs_date_from_ymd(y, m, d);
    return 1;
}

/* An RD coordinate in metres. Returns 1, 0 blank, -1 error. */
static int get_coord(row_ctx *r, field_id f, double lo, double hi, double *out) {
    const bs_xlsx_cell *c = r->cell[f];
    if (cell_blank(c)) return 0;
    double v;
    if (c->type == BS_XLSX_NUMBER) {
        v = c->number;
    } else if (c->type == BS_XLSX_STRING) {
        char buf[64], *end;
        if (get_text(r, f, buf, sizeof buf) < 0) return -1;
        for (char *q = buf; *q; q++)
            if (*q == ',') *q = '.'; /* Dutch decimal comma */
        v = strtod(buf, &end);
        if (*end || end == buf || !isfinite(v)) {
            row_error(r, f, "RD coordinate in metres expected (EPSG:28992)");
            return -1;
        }
    } else {
        row_error(r, f, "RD coordinate in metres expected (EPSG:28992)");
        return -1;
    }
    if (v < lo || v > hi) {
        row_error(r, f, "outside the RD New area (EPSG:28992: %s from %.0f to %.0f m)", f == F_X ? "x" : "y", lo, hi);
        return -1;
    }
    *out = v;
    return 1;
}

static void set_str(json_t *rec, const char *k, const char *v) {
    json_object_set_new(rec, k, v && *v ? json_string(v) : json_null());
}

/* source_key: text, or a whole number; unique in the file */
static void read_source_key(row_ctx *r, json_t *rec) {
    char key[MAX_TEXT_BYTES + 1];
    if (get_text(r, F_SOURCE_KEY, key, sizeof key) <= 0) return;
    const bs_xlsx_cell *c = r->cell[F_SOURCE_KEY];
    if (c->type == BS_XLSX_NUMBER && c->number != floor(c->number)) {
        row_error(r, F_SOURCE_KEY, "a key must be text or a whole number");
        return;
    }
    json_t *first = json_object_get(r->p->seen_keys, key);
    if (first)
        row_error(r, F_SOURCE_KEY, "the key occurs twice: also in row %lld", (long long)json_integer_value(first));
    else
        json_object_set_new(r->p->seen_keys, key, json_integer(r->row));
    json_object_set_new(rec, "source_key", json_string(key));
}

/* provincie: one of the twelve, compared folded ("friesland" accepted for Fryslân) */
static void read_provincie(row_ctx *r, json_t *rec) {
    char prov[MAX_TEXT_BYTES + 1], folded[256];
    if (get_text(r, F_PROVINCIE, prov, sizeof prov) <= 0) return;
    fold(prov, strlen(prov), folded, sizeof folded);
    const char *found = NULL;
    for (size_t i = 0; i < N_PROVINCES && !found; i++) {
        char fp[64];
        fold(provinces[i], strlen(provinces[i]), fp, sizeof fp);
        if (strcmp(fp, folded) == 0) found = provinces[i];
    }
    if (!found && strcmp(folded, "friesland") == 0) found = "Fryslân";
    if (found)
        set_str(rec, "provincie", found);
    else
        row_error(r, F_PROVINCIE,
                  "not one of the twelve provinces (Groningen, Fryslân, Drenthe, Overijssel, "
                  "Flevoland, Gelderland, Utrecht, Noord-Holland, Zuid-Holland, Zeeland, "
                  "Noord-Brabant, Limburg)");
}

/* planstatus (required, a national code) and plantype (optional); returns the planstatus
 * code, NULL when absent or not recognised */
static const char *read_plan_codes(row_ctx *r, json_t *rec) {
    char ps[MAX_TEXT_BYTES + 1], pt[MAX_TEXT_BYTES + 1];
    const char *ps_code = NULL;
    if (get_text(r, F_PLANSTATUS, ps, sizeof ps) > 0) {
        bool rec_ok;
        ps_code = bs_planstatus_normalise(ps, &rec_ok);
        if (!rec_ok) {
            ps_code = NULL;
            row_error(r, F_PLANSTATUS,
                      "not a planstatus code: use 1A, 1B, 1C, 2A, 2B, 2C, 3, 4A, 4B (national code list) or onbekend");
        } else {
            set_str(rec, "planstatus", ps_code);
            set_str(rec, "planstatus_raw", ps);
        }
    }
    int got = get_text(r, F_PLANTYPE, pt, sizeof pt);
    if (got >= 0) {
        bool rec_ok;
        const char *code = bs_plantype_normalise(got > 0 ? pt : NULL, &rec_ok);
        if (!rec_ok)
            row_error(r, F_PLANTYPE,
                      "not a plan type: use uitleg, verdichting, transformatie, herstructurering or "
                      "onbekend (or leave empty)");
        set_str(rec, "plantype", code);
        set_str(rec, "plantype_raw", got > 0 ? pt : NULL);
    }
    return ps_code;
}

/* the homes and their breakdown by type and by tenure, each breakdown at most the homes */
static void read_counts(row_ctx *r, json_t *rec) {
    long homes = 0;
    if (get_int(r, F_HOMES, 0, MAX_COUNT, &homes) > 0) json_object_set_new(rec, "homes_remaining", json_integer(homes));
    static const struct {
        field_id f;
        const char *col;
    } counts[] = {{F_GRONDGEBONDEN, "type_grondgebonden"},
                  {F_APPARTEMENT, "type_appartement"},
                  {F_HUUR, "tenure_huur"},
                  {F_KOOP, "tenure_koop"}};
    long cv[4] = {0};
    int cg[4];
    for (int i = 0; i < 4; i++) {
        cg[i] = get_int(r, counts[i].f, 0, MAX_COUNT, &cv[i]);
        if (cg[i] > 0) json_object_set_new(rec, counts[i].col, json_integer(cv[i]));
    }
    if (cg[0] > 0 && cg[1] > 0 && cv[0] + cv[1] > homes && r->cell[F_HOMES] && !r->bad)
        row_error(r, F_APPARTEMENT, "grondgebonden + appartementen (%ld) is more than the homes (%ld)", cv[0] + cv[1],
                  homes);
    if (cg[2] > 0 && cg[3] > 0 && cv[2] + cv[3] > homes && r->cell[F_HOMES] && !r->bad)
        row_error(r, F_KOOP, "huur + koop (%ld) is more than the homes (%ld)", cv[2] + cv[3], homes);
}

/* the expected completion (a year or a date) and the peildatum (default today, not after
 * today); returns the progress date */
static bs_day read_dates(row_ctx *r, json_t *rec) {
    parse_ctx *p = r->p;
    bs_day expected;
    bool year_only;
    char datebuf[11];
    if (get_date(r, F_EXPECTED, true, &expected, &year_only) > 0) {
        int y, m, d;
        bs_date_to_ymd(expected, &y, &m, &d);
        char period[8];
        snprintf(period, sizeof period, "%d", y);
        set_str(rec, "expected_period", period);
        set_str(rec, "expected_by", bs_date_format(expected, datebuf));
    }
    bs_day progress_date = p->opt->today;
    int dg = get_date(r, F_DATA_DATE, false, &progress_date, NULL);
    if (dg > 0 && progress_date > p->opt->today) {
        char t[11];
        row_error(r, F_DATA_DATE, "the peildatum lies after today (%s): it is the date of the figures",
                  bs_date_format(p->opt->today, t));
    }
    if (dg > 0) {
        char raw[64];
        set_str(rec, "datum_raw", cell_display(r->cell[F_DATA_DATE], raw, sizeof raw));
    }
    set_str(rec, "progress_date", bs_date_format(progress_date, datebuf));
    json_object_set_new(rec, "progress_date_estimated", json_false());
    return progress_date;
}

/* the location: both RD coordinates (a GeoJSON point in EPSG:28992) or neither */
static void read_location(row_ctx *r, json_t *rec) {
    double x = 0, y = 0;
    int gx = get_coord(r, F_X, RD_X_MIN, RD_X_MAX, &x), gy = get_coord(r, F_Y, RD_Y_MIN, RD_Y_MAX, &y);
    if (gx > 0 && gy > 0) {
        json_t *g = json_object();
        json_object_set_new(g, "type", json_string("Point"));
        json_t *co = json_array();
        json_array_append_new(co, json_real(x));
        json_array_append_new(co, json_real(y));
        json_object_set_new(g, "coordinates", co);
        json_object_set_new(rec, "geometry", g);
        set_str(rec, "geometry_crs", "EPSG:28992");
    } else if (gx == 0 && gy > 0) {
        row_error(r, F_X, "x is empty but y is given: give both RD coordinates or neither");
    } else if (gx > 0 && gy == 0) {
        row_error(r, F_Y, "y is empty but x is given: give both RD coordinates or neither");
    }
}

/* the confidentiality level: default intern_ambtelijk, extern_mede_overheden (and at least
 * that) for a plan with hard capacity (planstatus 1A, 1B, 2A, 2B) */
static void read_confidentiality(row_ctx *r, json_t *rec, const char *ps_code) {
    char conf[MAX_TEXT_BYTES + 1], folded[256];
    int gc = get_text(r, F_CONFIDENTIALITY, conf, sizeof conf);
    bool hard = ps_code &&
                (!strcmp(ps_code, "1A") || !strcmp(ps_code, "1B") || !strcmp(ps_code, "2A") || !strcmp(ps_code, "2B"));
    int level = hard ? CONF_MEDE_OVERHEDEN : 1;
    if (gc > 0) {
        fold(conf, strlen(conf), folded, sizeof folded);
        for (char *q = folded; *q; q++)
            if (*q == ' ') *q = '_';
        level = -1;
        for (size_t i = 0; i < N_CONF; i++)
            if (strcmp(folded, conf_codes[i]) == 0) level = (int)i;
        if (level < 0)
            row_error(r, F_CONFIDENTIALITY,
                      "not a confidentiality level: use prive, intern_ambtelijk, intern_bestuurlijk, intern_raad, "
                      "extern_woonregio, extern_mede_overheden or openbaar");
        else if (hard && level < CONF_MEDE_OVERHEDEN)
            row_error(r, F_CONFIDENTIALITY,
                      "a plan with hard capacity (planstatus %s) must be at least extern_mede_overheden", ps_code);
    }
    if (level >= 0) set_str(rec, "confidentiality", conf_codes[level]);
}

/* ---- plusvelden: columns "plusveld:<key>" (docs/homes-and-goals.md "Plusvelden") ---- */

/* Whether the header text[0..len) names a plusveld column ("plusveld:<key>", the prefix in
 * any case, spaces around the key allowed); writes the key (64 bytes) when so. */
static bool pv_header(const char *text, size_t len, char key[64]) {
    static const char prefix[] = "plusveld:";
    size_t np = sizeof prefix - 1;
    if (len < np || strncasecmp(text, prefix, np) != 0) return false;
    const char *s = text + np, *e = text + len;
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    size_t n = (size_t)(e - s) < 63 ? (size_t)(e - s) : 63;
    memcpy(key, s, n);
    key[n] = 0;
    return true;
}

/* A plusveld key: a-z first, then a-z, 0-9, _ (1 to BS_PV_KEY_MAX_BYTES bytes). */
static bool pv_key_ok(const char *k) {
    size_t n = strlen(k);
    return n >= 1 && n <= BS_PV_KEY_MAX_BYTES && k[0] >= 'a' && k[0] <= 'z' &&
           strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Registers a plusveld column of the header row (false: an error was added). */
static bool pv_column(parse_ctx *p, uint32_t row, const bs_xlsx_cell *c, const char *shown, const char *key) {
    if (!pv_key_ok(key)) {
        add_error(p, (long)row, c->col, N_FIELDS, shown, shown,
                  "a plusveld column is named plusveld:<key>, the key a-z, 0-9 and _");
        return false;
    }
    for (int i = 0; i < p->n_pv; i++)
        if (strcmp(p->pv[i].key, key) == 0) {
            add_error(p, (long)row, c->col, N_FIELDS, shown, shown, "a second column for plusveld %s", key);
            return false;
        }
    if (p->n_pv == XLSX_PV_MAX_COLUMNS) {
        add_error(p, (long)row, c->col, N_FIELDS, shown, shown, "more than %d plusveld columns", XLSX_PV_MAX_COLUMNS);
        return false;
    }
    p->pv[p->n_pv].col = c->col;
    snprintf(p->pv[p->n_pv].key, sizeof p->pv[p->n_pv].key, "%s", key);
    p->pv[p->n_pv].header = bs_strdup(shown);
    p->n_pv++;
    return true;
}

/* The cell as a JSON value for a plusveld of type (the definition's, "text" when unknown):
 * numbers, TRUE/FALSE and dates as such; a text converted where the type asks for it
 * (integer, decimal, boolean ja/nee/true/false/waar/onwaar, multi_category as values
 * separated by ';'); anything else left as it is for the validator to refuse. */
static json_t *pv_cell_value(const bs_xlsx_cell *c, const char *type) {
    char buf[64];
    switch (c->type) {
    case BS_XLSX_NUMBER:
        if (strcmp(type, "text") == 0 || strcmp(type, "category") == 0) {
            if (c->number == floor(c->number) && fabs(c->number) < 1e15)
                snprintf(buf, sizeof buf, "%.0f", c->number);
            else
                snprintf(buf, sizeof buf, "%.15g", c->number);
            return json_string(buf);
        }
        if (c->number == floor(c->number) && fabs(c->number) < 9e15) return json_integer((json_int_t)c->number);
        return json_real(c->number);
    case BS_XLSX_BOOL: return json_boolean(c->number != 0);
    case BS_XLSX_DATE: return json_string(bs_date_format(c->date_day, buf));
    default: break;
    }
    const char *s = c->text, *e = c->text + c->text_len;
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    size_t n = (size_t)(e - s);
    char *t = bs_strndup(s, n), *end = NULL;
    json_t *v = NULL;
    if (strcmp(type, "integer") == 0 || strcmp(type, "decimal") == 0) {
        for (char *q = t; *q; q++)
            if (*q == ',' && strcmp(type, "decimal") == 0) *q = '.';
        double d = n ? strtod(t, &end) : 0;
        if (n && end && !*end) v = d == floor(d) && fabs(d) < 9e15 ? json_integer((json_int_t)d) : json_real(d);
    } else if (strcmp(type, "boolean") == 0) {
        char f[16];
        fold(t, n, f, sizeof f);
        if (!strcmp(f, "ja") || !strcmp(f, "true") || !strcmp(f, "waar")) v = json_true();
        if (!strcmp(f, "nee") || !strcmp(f, "false") || !strcmp(f, "onwaar")) v = json_false();
    } else if (strcmp(type, "multi_category") == 0) {
        v = json_array();
        for (char *save = NULL, *part = strtok_r(t, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
            while (isspace((unsigned char)*part)) part++;
            size_t k = strlen(part);
            while (k > 0 && isspace((unsigned char)part[k - 1])) k--;
            if (k) json_array_append_new(v, json_stringn(part, k));
        }
    }
    if (!v) v = json_stringn(s, n);
    free(t);
    return v;
}

/* The row's plusvelden: each non-blank plusveld cell checked against the definition of the
 * project's organisation (import_plusvelden.h); the checked values go into rec's
 * "plusvelden", each bad one is a row error naming plusvelden.<key>. */
static void read_plusvelden(row_ctx *r, const bs_xlsx_cell *cells, size_t n, json_t *rec) {
    parse_ctx *p = r->p;
    if (!p->n_pv) return;
    const json_t *defs = bs_import_pv_definitions(
        p->opt->plusveld_definitions, p->opt->source ? p->opt->source : DEFAULT_SOURCE,
        json_string_value(json_object_get(rec, "source_key")), json_string_value(json_object_get(rec, "gemeente")));
    json_t *out = json_object();
    for (int k = 0; k < p->n_pv; k++) {
        const bs_xlsx_cell *c = NULL;
        for (size_t i = 0; i < n; i++)
            if ((int64_t)cells[i].col == p->pv[k].col) c = &cells[i];
        if (cell_blank(c)) continue;
        char val[256];
        if (c->type == BS_XLSX_ERROR) {
            char field[80];
            snprintf(field, sizeof field, "plusvelden.%s", p->pv[k].key);
            add_error_named(p, (long)r->row, p->pv[k].col, field, p->pv[k].header, cell_display(c, val, sizeof val),
                            "the cell holds the Excel error %s", c->text);
            r->bad = true;
            continue;
        }
        const char *type = "text";
        for (size_t i = 0; i < json_array_size(defs); i++)
            if (strcmp(json_string_value(json_object_get(json_array_get(defs, i), "key")), p->pv[k].key) == 0)
                type = json_string_value(json_object_get(json_array_get(defs, i), "type"));
        json_t *v = pv_cell_value(c, type);
        bs_err err = {0};
        json_t *checked = bs_import_pv_check(defs, p->pv[k].key, v, p->pv_cache, &err);
        if (checked) {
            json_object_set_new(out, p->pv[k].key, checked);
        } else {
            add_error_named(p, (long)r->row, p->pv[k].col, err.field, p->pv[k].header, cell_display(c, val, sizeof val),
                            "%s", err.msg);
            r->bad = true;
        }
        json_decref(v);
    }
    if (json_object_size(out)) json_object_set(rec, "plusvelden", out);
    json_decref(out);
}

/* An error of a plusveld cell of the sheet Woningblokken (cell: the entry of xlsx_blocks.h). */
static void block_pv_error(parse_ctx *p, const json_t *cell, const char *field, const char *value, const char *msg) {
    p->error_count++;
    if (json_array_size(p->errors) >= BS_XLSX_PROJECTS_MAX_ERRORS) return;
    json_array_append_new(p->errors,
                          json_pack("{s:s, s:O, s:O, s:O, s:s, s:s, s:s}", "sheet", BS_XLSX_BLOCKS_SHEET, "row",
                                    json_object_get(cell, "row"), "column", json_object_get(cell, "column"), "header",
                                    json_object_get(cell, "header"), "field", field, "value", value, "message", msg));
}

/* The plusveld cells of one block (xlsx_blocks.h: {key: cell entry}; borrowed) read as the
 * type of the block definition of the project's owner (defs) and checked
 * (bs_import_pv_check); each bad one an error of the blocks sheet naming
 * blocks.plusvelden.<key>. Returns a new {key: checked value} (null: none). */
static json_t *block_plusvelden(parse_ctx *p, const json_t *defs, const json_t *cells) {
    if (!json_is_object(cells)) return json_null();
    json_t *out = json_object();
    const char *key;
    json_t *e;
    json_object_foreach((json_t *)(uintptr_t)cells, key, e) {
        bs_xlsx_cell c = bs_xlsx_blocks_cell_from_json(json_object_get(e, "cell"));
        char field[96], val[256];
        snprintf(field, sizeof field, "blocks.plusvelden.%s", key);
        if (c.type == BS_XLSX_ERROR) {
            block_pv_error(p, e, field, cell_display(&c, val, sizeof val), "the cell holds an Excel error");
            continue;
        }
        const char *type = "text";
        for (size_t i = 0; i < json_array_size(defs); i++)
            if (strcmp(json_string_value(json_object_get(json_array_get(defs, i), "key")), key) == 0)
                type = json_string_value(json_object_get(json_array_get(defs, i), "type"));
        json_t *v = pv_cell_value(&c, type);
        bs_err err = {0};
        json_t *checked = bs_import_pv_check(defs, key, v, p->pv_cache, &err);
        if (checked)
            json_object_set_new(out, key, checked);
        else
            block_pv_error(p, e, field, cell_display(&c, val, sizeof val), err.msg);
        json_decref(v);
    }
    return out;
}

/* The blocks of the row's project from the sheet Woningblokken, if any: into the record, whose
 * plan counts are then derived from them (bs_import_blocks_derive; docs/blocks.md "Exchange"),
 * with their plusveld values checked against the block definitions of the project's owner
 * (block_plusvelden; "plusvelden" beside the blocks, bs_import_plan_block_plusvelden). */
static void take_blocks(parse_ctx *p, json_t *rec) {
    const char *key = json_string_value(json_object_get(rec, "source_key"));
    json_t *entry = key ? json_object_get(p->blocks, key) : NULL;
    if (!entry) return;
    json_object_set_new(entry, "used", json_true());
    bs_import_blocks_derive(rec, json_object_get(entry, "blocks"));
    const json_t *cells = json_object_get(entry, "plusvelden");
    const json_t *defs =
        bs_import_pv_block_definitions(p->opt->plusveld_definitions, p->opt->source ? p->opt->source : DEFAULT_SOURCE,
                                       key, json_string_value(json_object_get(rec, "gemeente")));
    json_t *pvs = json_array();
    bool any = false;
    for (size_t j = 0; j < json_array_size(cells); j++) {
        json_t *pv = block_plusvelden(p, defs, json_array_get(cells, j));
        any = any || json_object_size(pv) > 0;
        json_array_append_new(pvs, pv);
    }
    if (any) json_object_set(json_object_get(rec, "blocks"), "plusvelden", pvs);
    json_decref(pvs);
    const json_t *unchecked = json_object_get(entry, "unchecked"); /* of refused rows: errors only */
    for (size_t j = 0; j < json_array_size(unchecked); j++)
        json_decref(block_plusvelden(p, defs, json_array_get(unchecked, j)));
}

/* A block row whose key names no project row is an error of the blocks sheet. */
static void unused_blocks(parse_ctx *p, const char *sheet_name) {
    const char *key;
    json_t *entry;
    json_object_foreach(p->blocks, key, entry) {
        if (json_object_get(entry, "used")) continue;
        p->error_count++;
        if (json_array_size(p->errors) >= BS_XLSX_PROJECTS_MAX_ERRORS) continue;
        char msg[400];
        snprintf(msg, sizeof msg, "no project row with source_key %.100s in sheet %.100s", key, sheet_name);
        json_array_append_new(p->errors, json_pack("{s:s, s:O, s:n, s:n, s:s, s:s, s:s}", "sheet", BS_XLSX_BLOCKS_SHEET,
                                                   "row", json_object_get(entry, "row"), "column", "header", "field",
                                                   "source_key", "value", key, "message", msg));
    }
}

/* Whether key is a milestone step of the schema the projects are planned with (arg). */
static bool schema_milestone(const char *key, const void *arg) {
    const bs_schema *sc = arg;
    for (int32_t j = 0; j < sc->n_steps; j++)
        if (sc->steps[j].milestone && strcmp(sc->steps[j].key, key) == 0) return true;
    return false;
}

/* Validates one data row; appends its record when valid. */
static void data_row(parse_ctx *p, uint32_t row, const bs_xlsx_cell *cells, size_t n) {
    row_ctx r = {.p = p, .row = row};
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!cell_blank(&cells[i])) any = true;
        for (int f = 0; f < N_FIELDS; f++)
            if (p->field_col[f] == (int64_t)cells[i].col) r.cell[f] = &cells[i];
    }
    if (!any) return; /* blank rows are skipped */
    p->rows++;
    if (p->rows > BS_XLSX_PROJECTS_MAX_ROWS) {
        p->too_many_rows = true;
        return;
    }
    json_t *rec = json_object();
    char name[MAX_TEXT_BYTES + 1], gem[MAX_TEXT_BYTES + 1], note[1001];
    for (int f = 0; f < N_FIELDS; f++)
        if (fields[f].required && p->field_col[f] >= 0 && cell_blank(r.cell[f]))
            row_error(&r, f, "required, but empty");

    read_source_key(&r, rec);
    if (get_text(&r, F_NAME, name, sizeof name) > 0) set_str(rec, "name", name);
    if (get_text(&r, F_GEMEENTE, gem, sizeof gem) > 0) set_str(rec, "gemeente", gem);
    read_provincie(&r, rec);
    const char *ps_code = read_plan_codes(&r, rec);
    read_counts(&r, rec);
    bs_day progress_date = read_dates(&r, rec);
    read_location(&r, rec);
    read_confidentiality(&r, rec, ps_code);
    if (get_text(&r, F_NOTE, note, sizeof note) > 0) set_str(rec, "schatting", note);
    read_plusvelden(&r, cells, n, rec);
    take_blocks(p, rec);

    if (r.bad || p->error_count) { /* nothing will be imported: skip the schedule work */
        json_decref(rec);
        return;
    }
    if (bs_eib_plan_record(rec, p->schema, p->cal, ps_code, bs_data_date(progress_date, p->opt->today)) != 0) {
        add_error(p, (long)row, -1, N_FIELDS, NULL, NULL, "the project's schedule could not be computed");
        json_decref(rec);
        return;
    }
    json_array_append_new(p->records, rec);
}

static void header_row(parse_ctx *p, uint32_t row, const bs_xlsx_cell *cells, size_t n) {
    p->have_header = true;
    p->header_row = row;
    char text[512], folded[512];
    for (size_t i = 0; i < n; i++) {
        const bs_xlsx_cell *c = &cells[i];
        if (cell_blank(c)) continue;
        char disp[256];
        const char *shown = cell_display(c, disp, sizeof disp);
        if (c->type != BS_XLSX_STRING) {
            add_error(p, (long)row, c->col, N_FIELDS, NULL, shown, "header row: a column name (text) expected");
            continue;
        }
        size_t len = c->text_len < sizeof text - 1 ? c->text_len : sizeof text - 1;
        memcpy(text, c->text, len);
        text[len] = 0;
        char pv_key[64];
        if (pv_header(text, len, pv_key)) {
            pv_column(p, row, c, shown, pv_key);
            continue;
        }
        fold(text, len, folded, sizeof folded);
        int found = -1;
        for (int f = 0; f < N_FIELDS && found < 0; f++)
            for (int h = 0; fields[f].headers[h] && found < 0; h++) {
                char fh[64];
                fold(fields[f].headers[h], strlen(fields[f].headers[h]), fh, sizeof fh);
                if (strcmp(fh, folded) == 0) found = f;
            }
        if (found < 0) {
            add_error(p, (long)row, c->col, N_FIELDS, shown, shown,
                      "unknown column: see docs/exchange.md for the template's columns");
            continue;
        }
        if (p->field_col[found] >= 0) {
            char cn[4];
            add_error(p, (long)row, c->col, (field_id)found, shown, shown, "a second column for %s (the first is %s)",
                      fields[found].field, bs_xlsx_col_name((uint32_t)p->field_col[found], cn));
            continue;
        }
        p->field_col[found] = c->col;
        p->field_header[found] = bs_strdup(shown);
    }
    for (int f = 0; f < N_FIELDS; f++)
        if (fields[f].required && p->field_col[f] < 0) {
            char list[256];
            size_t o = 0;
            list[0] = 0;
            for (int h = 0; fields[f].headers[h]; h++)
                o += (size_t)snprintf(list + o, o < sizeof list ? sizeof list - o : 0, "%s'%s'", h ? ", " : "",
                                      fields[f].headers[h]);
            add_error(p, (long)row, -1, (field_id)f, NULL, NULL, "required column missing (header one of %s)", list);
        }
    if ((p->field_col[F_X] >= 0) != (p->field_col[F_Y] >= 0))
        add_error(p, (long)row, p->field_col[F_X] >= 0 ? p->field_col[F_X] : p->field_col[F_Y],
                  p->field_col[F_X] >= 0 ? F_Y : F_X, NULL, NULL, "RD coordinates need both an x and a y column");
}

static int on_row(uint32_t row, const bs_xlsx_cell *cells, size_t n, void *arg) {
    parse_ctx *p = arg;
    if (!p->have_header) {
        bool any = false;
        for (size_t i = 0; i < n; i++)
            if (!cell_blank(&cells[i])) any = true;
        if (any) header_row(p, row, cells, n);
        return 0;
    }
    data_row(p, row, cells, n);
    return p->too_many_rows ? 1 : 0;
}

/* ---- a Planmonitor export read back (docs/exchange.md "Planmonitor workbooks") ----
 *
 * The workbook the Excel export writes (province_xlsx.h): sheets Plannen (one row per plan),
 * DetailPlanning (per plan and year, the 33 + 33 count columns) and Toelichting (the price
 * tables in force). Every plan becomes a project record whose export gives the same rows
 * again: the counts the export derived (years, types, tenures, price classes) are turned
 * back into the stored totals they came from. Columns are found by their exact export
 * header; unknown extra columns are an error as in the template. */

#define PM_N_CELLS 33
#define PM_N_PLAN_COLS 17

enum {
    PC_ID,
    PC_KEY,
    PC_NAME,
    PC_GEM,
    PC_PROV,
    PC_TYPE,
    PC_STATUS,
    PC_CONF,
    PC_DATE,
    PC_N,
    PC_SLOOP,
    PC_KOOP,
    PC_HUUR,
    PC_VANAF,
    PC_VERDELING,
    PC_NOTES,
    PC_GEOM
};
static const char *const pm_plan_cols[PM_N_PLAN_COLS] = {"plan_id",
                                                         "objectid",
                                                         "plannaam",
                                                         "gemeente",
                                                         "provincie",
                                                         "plantype",
                                                         "status_planologisch",
                                                         "vertrouwelijkheid",
                                                         "peildatum",
                                                         "aantal_rest",
                                                         "sloop",
                                                         "koop_prijsklasse",
                                                         "huur_prijsklasse",
                                                         "prijsklassen_vanaf",
                                                         "verdeling",
                                                         "opmerkingen",
                                                         "geometrie"};
static const char *const pm_types[3] = {"eengezins", "meergezins", "onbekend"};
static const char *const pm_tenures[11] = {"koop1", "koop2", "koop3", "koop4",    "koop_onb", "huur1",
                                           "huur2", "huur3", "huur4", "huur_onb", "onbekend"};
static const char *const pm_plantypes[] = {"uitleg", "verdichting", "transformatie", "herstructurering", "onbekend"};
static const char *const pm_statuses[] = {"1A", "1B", "1C", "2A", "2B", "2C", "3", "4A", "4B"};
/* note texts of docs/exports.md §4 that carry information the counts do not */
#define PM_NOTE_TYPE "type split has a negative correction"
#define PM_NOTE_TENURE "tenure split has a negative correction"
#define PM_NOTE_PERIOD "period split has a negative correction"
#define PM_NOTE_BLOCKS "counts from the project's woningblokken" /* province_export.c, docs/exports.md §4.6 */

typedef struct pm_plan {
    long row;
    char id[40], key[MAX_TEXT_BYTES + 1], provincie[64], planstatus[8], date[11];
    json_t *rec; /* owned until appended */
    int64_t N, S;
    int koop_class, huur_class; /* 0 = empty */
    int verdeling;              /* 0 type_en_eigendom, 1 alleen_type, 2 geen */
    bool note_type, note_tenure, note_period;
    int64_t per[5];            /* 2019, 2020–2024, 2025–2029, 2030–2050, unknown year */
    int64_t cells[PM_N_CELLS]; /* build totals per cell over the years */
    int64_t sloop;             /* demolition over the rows */
    bool from_blocks;          /* opmerkingen: the export counted the plan from its blocks */
    json_t *blocks;            /* owned; from_blocks: a block per row and non-zero count (pm_block) */
} pm_plan;

typedef struct pm_price {
    char provincie[64];
    int64_t koop[4], huur[4];
    bool has_koop, has_huur;
} pm_price;

typedef struct pm_ctx {
    parse_ctx *p;
    const char *sheet; /* the sheet being read */
    bool have_header;
    int64_t col[70]; /* Plannen: column of each plan column; DetailPlanning: 4 + 66 */
    int n_cols;
    pm_plan *plans;
    size_t n_plans, cap_plans;
    json_t *by_id; /* plan_id → index into plans */
    pm_price prices[16];
    int n_prices;
    const char *detail_names[4 + 2 * PM_N_CELLS];
    char detail_buf[2 * PM_N_CELLS][40];
} pm_ctx;

__attribute__((format(printf, 6, 7))) static void pm_error(pm_ctx *c, long row, int64_t col, const char *column,
                                                           const bs_xlsx_cell *cell, const char *fmt, ...) {
    char msg[480], val[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t before = json_array_size(c->p->errors);
    add_error(c->p, row, col, N_FIELDS, column, cell ? cell_display(cell, val, sizeof val) : NULL, "%s", msg);
    if (json_array_size(c->p->errors) > before) {
        json_t *e = json_array_get(c->p->errors, before);
        json_object_set_new(e, "field", column ? json_string(column) : json_null());
        json_object_set_new(e, "sheet", json_string(c->sheet));
    }
}

static const bs_xlsx_cell *pm_cell(const bs_xlsx_cell *cells, size_t n, int64_t col) {
    if (col < 0) return NULL;
    for (size_t i = 0; i < n; i++)
        if ((int64_t)cells[i].col == col) return &cells[i];
    return NULL;
}

/* Header row of a sheet: each name of want[0..n) found exactly once (optional ones may be
 * absent: optional_from = index of the first optional name); other names are errors. */
static void pm_header(pm_ctx *c, uint32_t row, const bs_xlsx_cell *cells, size_t n, const char *const *want, int nw,
                      int optional_from) {
    c->have_header = true;
    c->n_cols = nw;
    for (int k = 0; k < nw; k++) c->col[k] = -1;
    for (size_t i = 0; i < n; i++) {
        if (cell_blank(&cells[i])) continue;
        char t[128];
        int found = -1;
        if (cells[i].type == BS_XLSX_STRING && cells[i].text_len < sizeof t) {
            memcpy(t, cells[i].text, cells[i].text_len);
            t[cells[i].text_len] = 0;
            for (int k = 0; k < nw && found < 0; k++)
                if (strcmp(t, want[k]) == 0) found = k;
        }
        if (found < 0 || c->col[found] >= 0) {
            pm_error(c, (long)row, cells[i].col, NULL, &cells[i],
                     found < 0 ? "unknown column of a %s sheet (docs/exchange.md)"
                               : "a second column of this name in %s",
                     c->sheet);
            continue;
        }
        c->col[found] = cells[i].col;
    }
    for (int k = 0; k < optional_from && k < nw; k++)
        if (c->col[k] < 0) pm_error(c, (long)row, -1, want[k], NULL, "required column %s missing", want[k]);
}

/* Text of a cell into out (cap bytes), trimmed; numbers as written. 1 text, 0 blank, -1 error. */
static int pm_text(pm_ctx *c, long row, int k, const char *const *names, const bs_xlsx_cell *cell, char *out,
                   size_t cap) {
    out[0] = 0;
    if (cell_blank(cell)) return 0;
    if (cell->type == BS_XLSX_NUMBER && cell->number == floor(cell->number) && fabs(cell->number) < 1e15) {
        snprintf(out, cap, "%.0f", cell->number);
        return 1;
    }
    if (cell->type != BS_XLSX_STRING) {
        pm_error(c, row, cell->col, names[k], cell, "text expected");
        return -1;
    }
    const char *s = cell->text, *e = cell->text + cell->text_len;
    while (s < e && isspace((unsigned char)*s)) s++;
    while (e > s && isspace((unsigned char)e[-1])) e--;
    if ((size_t)(e - s) >= cap) {
        pm_error(c, row, cell->col, names[k], cell, "text longer than %zu bytes", cap - 1);
        return -1;
    }
    memcpy(out, s, (size_t)(e - s));
    out[e - s] = 0;
    return 1;
}

/* A whole number in [lo, hi]; blank = 0 when blank_zero, else an error. 1 ok, -1 error. */
static int pm_int(pm_ctx *c, long row, int k, const char *const *names, const bs_xlsx_cell *cell, int64_t lo,
                  int64_t hi, bool blank_zero, int64_t *out) {
    *out = 0;
    if (cell_blank(cell)) {
        if (blank_zero) return 1;
        pm_error(c, row, c->col[k], names[k], NULL, "a whole number is required");
        return -1;
    }
    double v = cell->number;
    bool ok = cell->type == BS_XLSX_NUMBER;
    if (!ok && cell->type == BS_XLSX_STRING) {
        char t[32], *end;
        if (pm_text(c, row, k, names, cell, t, sizeof t) < 0) return -1;
        v = strtod(t, &end);
        ok = *t && !*end;
    }
    if (!ok || v != floor(v) || v < (double)lo || v > (double)hi) {
        pm_error(c, row, cell->col, names[k], cell, "a whole number %" PRId64 " to %" PRId64 " is required", lo, hi);
        return -1;
    }
    *out = (int64_t)v;
    return 1;
}

static bool pm_is_uuid(const char *s) {
    if (strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !isxdigit((unsigned char)s[i])) return false;
    return true;
}

static int pm_one_of(const char *v, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, list[i]) == 0) return (int)i;
    return -1;
}

/* plan_id (a UUID) and objectid (the plan's key), each unique in the sheet */
static void pm_plan_keys(pm_ctx *c, long r, const bs_xlsx_cell *const *cl, pm_plan *pl) {
    const char *const *nm = pm_plan_cols;
    int g = pm_text(c, r, PC_ID, nm, cl[PC_ID], pl->id, sizeof pl->id);
    if (g == 0 || (g > 0 && !pm_is_uuid(pl->id))) {
        pm_error(c, r, c->col[PC_ID], nm[PC_ID], cl[PC_ID], "plan_id must be a UUID (the plan's id)");
    } else if (g > 0 && json_object_get(c->by_id, pl->id)) {
        pm_error(c, r, c->col[PC_ID], nm[PC_ID], cl[PC_ID], "plan_id appears twice (first in row %ld)",
                 c->plans[json_integer_value(json_object_get(c->by_id, pl->id))].row);
    }
    g = pm_text(c, r, PC_KEY, nm, cl[PC_KEY], pl->key, sizeof pl->key);
    if (g == 0) pm_error(c, r, c->col[PC_KEY], nm[PC_KEY], NULL, "objectid (the plan's key) is required");
    if (g > 0) {
        json_t *seen = json_object_get(c->p->seen_keys, pl->key);
        if (seen)
            pm_error(c, r, c->col[PC_KEY], nm[PC_KEY], cl[PC_KEY],
                     "objectid appears twice (first in row %" JSON_INTEGER_FORMAT ")", json_integer_value(seen));
        else
            json_object_set_new(c->p->seen_keys, pl->key, json_integer(r));
    }
}

/* provincie, plantype (into ptype, 32 bytes), status_planologisch and vertrouwelijkheid, each
 * one of its codes; returns the confidentiality level, -1 when not a level */
static int pm_plan_codes(pm_ctx *c, long r, const bs_xlsx_cell *const *cl, pm_plan *pl, char ptype[32]) {
    const char *const *nm = pm_plan_cols;
    int g = pm_text(c, r, PC_PROV, nm, cl[PC_PROV], pl->provincie, sizeof pl->provincie);
    if (g == 0 || (g > 0 && pm_one_of(pl->provincie, provinces, N_PROVINCES) < 0))
        pm_error(c, r, c->col[PC_PROV], nm[PC_PROV], cl[PC_PROV], "provincie must be one of the twelve provinces");
    g = pm_text(c, r, PC_TYPE, nm, cl[PC_TYPE], ptype, 32);
    if (g == 0 || (g > 0 && pm_one_of(ptype, pm_plantypes, 5) < 0))
        pm_error(c, r, c->col[PC_TYPE], nm[PC_TYPE], cl[PC_TYPE],
                 "plantype must be uitleg, verdichting, transformatie, herstructurering or onbekend");
    g = pm_text(c, r, PC_STATUS, nm, cl[PC_STATUS], pl->planstatus, sizeof pl->planstatus);
    if (g == 0 || (g > 0 && pm_one_of(pl->planstatus, pm_statuses, 9) < 0))
        pm_error(c, r, c->col[PC_STATUS], nm[PC_STATUS], cl[PC_STATUS],
                 "status_planologisch must be one of 1A 1B 1C 2A 2B 2C 3 4A 4B");
    char conf[32];
    g = pm_text(c, r, PC_CONF, nm, cl[PC_CONF], conf, sizeof conf);
    int level = g > 0 ? pm_one_of(conf, conf_codes, N_CONF) : -1;
    if (level < 0)
        pm_error(c, r, c->col[PC_CONF], nm[PC_CONF], cl[PC_CONF],
                 "vertrouwelijkheid must be a level code (prive … openbaar)");
    return level;
}

/* peildatum: a date cell or YYYY-MM-DD, not after today, into pl->date */
static void pm_plan_date(pm_ctx *c, long r, const bs_xlsx_cell *const *cl, pm_plan *pl) {
    const char *const *nm = pm_plan_cols;
    char t[MAX_TEXT_BYTES + 1];
    bs_day dd = BS_DAY_NONE;
    if (cl[PC_DATE] && cl[PC_DATE]->type == BS_XLSX_DATE) {
        dd = cl[PC_DATE]->date_day;
    } else if (pm_text(c, r, PC_DATE, nm, cl[PC_DATE], t, sizeof t) > 0 && bs_date_parse(t, &dd) != 0) {
        dd = BS_DAY_NONE;
    }
    if (dd == BS_DAY_NONE) {
        pm_error(c, r, c->col[PC_DATE], nm[PC_DATE], cl[PC_DATE], "peildatum must be a date YYYY-MM-DD");
    } else if (dd > c->p->opt->today) {
        char td[11];
        pm_error(c, r, c->col[PC_DATE], nm[PC_DATE], cl[PC_DATE],
                 "the peildatum lies after today (%s): it is the date of the figures",
                 bs_date_format(c->p->opt->today, td));
    } else {
        bs_date_format(dd, pl->date);
    }
}

/* the koop and huur price classes: empty (0) or koop1 … koop4 / huur1 … huur4 */
static void pm_plan_price_classes(pm_ctx *c, long r, const bs_xlsx_cell *const *cl, pm_plan *pl) {
    const char *const *nm = pm_plan_cols;
    for (int k = PC_KOOP; k <= PC_HUUR; k++) {
        char v[16];
        int cls = 0;
        if (pm_text(c, r, k, nm, cl[k], v, sizeof v) > 0) {
            const char *what = k == PC_KOOP ? "koop" : "huur";
            size_t wl = strlen(what);
            if (strncmp(v, what, wl) == 0 && v[wl] >= '1' && v[wl] <= '4' && !v[wl + 1])
                cls = v[wl] - '0';
            else
                pm_error(c, r, c->col[k], nm[k], cl[k], "%s must be empty or %s1 … %s4", nm[k], what, what);
        }
        *(k == PC_KOOP ? &pl->koop_class : &pl->huur_class) = cls;
    }
}

/* geometrie: blank (NULL) or a GeoJSON geometry (new reference); NULL after an error */
static json_t *pm_plan_geometry(pm_ctx *c, long r, const bs_xlsx_cell *const *cl) {
    const char *const *nm = pm_plan_cols;
    json_t *geom = NULL;
    if (!cell_blank(cl[PC_GEOM])) {
        json_error_t je;
        if (cl[PC_GEOM]->type == BS_XLSX_STRING)
            geom = json_loadb(cl[PC_GEOM]->text, cl[PC_GEOM]->text_len, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(geom) || !json_is_string(json_object_get(geom, "type")) ||
            !json_is_array(json_object_get(geom, "coordinates"))) {
            pm_error(c, r, c->col[PC_GEOM], nm[PC_GEOM], cl[PC_GEOM],
                     "geometrie must be a GeoJSON geometry (type and coordinates) in EPSG:28992");
            json_decref(geom);
            geom = NULL;
        }
    }
    return geom;
}

/* The projects-table record of a valid plan row; takes the reference to geom. */
static json_t *pm_plan_record(const pm_plan *pl, const char *name, const char *gem, const char *ptype, int level,
                              json_t *geom) {
    json_t *rec = json_object();
    json_object_set_new(rec, "id", json_string(pl->id));
    json_object_set_new(rec, "source_key", json_string(pl->key));
    set_str(rec, "name", name);
    set_str(rec, "gemeente", gem);
    set_str(rec, "provincie", pl->provincie);
    set_str(rec, "plantype", ptype);
    set_str(rec, "plantype_raw", ptype);
    set_str(rec, "planstatus", pl->planstatus);
    set_str(rec, "planstatus_raw", pl->planstatus);
    set_str(rec, "progress_date", pl->date);
    json_object_set_new(rec, "progress_date_estimated", json_false());
    set_str(rec, "confidentiality", conf_codes[level]);
    if (geom) {
        json_object_set_new(rec, "geometry", geom);
        set_str(rec, "geometry_crs", "EPSG:28992");
    }
    json_object_set_new(rec, "homes_remaining", json_integer(pl->N));
    json_object_set_new(rec, "demolition", json_integer(-pl->S));
    return rec;
}

/* One row of the Plannen sheet, validated into the next plan (kept, with its record, only
 * when the row has no error). */
static void pm_plan_row(pm_ctx *c, uint32_t row, const bs_xlsx_cell *cells, size_t n) {
    const bs_xlsx_cell *cl[PM_N_PLAN_COLS];
    bool any = false;
    for (int k = 0; k < PM_N_PLAN_COLS; k++) {
        cl[k] = pm_cell(cells, n, c->col[k]);
        any |= !cell_blank(cl[k]);
    }
    if (!any) return;
    parse_ctx *p = c->p;
    if (++p->rows > BS_XLSX_PROJECTS_MAX_ROWS) {
        p->too_many_rows = true;
        return;
    }
    long r = (long)row;
    long errors_before = p->error_count;
    if (c->n_plans == c->cap_plans) {
        c->cap_plans = c->cap_plans ? 2 * c->cap_plans : 256;
        c->plans = bs_realloc(c->plans, c->cap_plans * sizeof *c->plans);
    }
    pm_plan *pl = &c->plans[c->n_plans];
    memset(pl, 0, sizeof *pl);
    pl->row = r;
    const char *const *nm = pm_plan_cols;
    char name[MAX_TEXT_BYTES + 1], gem[MAX_TEXT_BYTES + 1];
    pm_plan_keys(c, r, cl, pl);
    if (pm_text(c, r, PC_NAME, nm, cl[PC_NAME], name, sizeof name) == 0)
        pm_error(c, r, c->col[PC_NAME], nm[PC_NAME], NULL, "plannaam is required");
    if (pm_text(c, r, PC_GEM, nm, cl[PC_GEM], gem, sizeof gem) == 0)
        pm_error(c, r, c->col[PC_GEM], nm[PC_GEM], NULL, "gemeente is required");
    char ptype[32];
    int level = pm_plan_codes(c, r, cl, pl, ptype);
    pm_plan_date(c, r, cl, pl);
    pm_int(c, r, PC_N, nm, cl[PC_N], 0, MAX_COUNT, false, &pl->N);
    pm_int(c, r, PC_SLOOP, nm, cl[PC_SLOOP], 0, MAX_COUNT, true, &pl->S);
    pm_plan_price_classes(c, r, cl, pl);
    char verd[32];
    static const char *const verdelingen[] = {"type_en_eigendom", "alleen_type", "geen"};
    int g = pm_text(c, r, PC_VERDELING, nm, cl[PC_VERDELING], verd, sizeof verd);
    pl->verdeling = g > 0 ? pm_one_of(verd, verdelingen, 3) : -1;
    if (pl->verdeling < 0)
        pm_error(c, r, c->col[PC_VERDELING], nm[PC_VERDELING], cl[PC_VERDELING],
                 "verdeling must be type_en_eigendom, alleen_type or geen");
    char notes[1024];
    if (pm_text(c, r, PC_NOTES, nm, cl[PC_NOTES], notes, sizeof notes) > 0) {
        pl->note_type = strstr(notes, PM_NOTE_TYPE) != NULL;
        pl->note_tenure = strstr(notes, PM_NOTE_TENURE) != NULL;
        pl->note_period = strstr(notes, PM_NOTE_PERIOD) != NULL;
        pl->from_blocks = strstr(notes, PM_NOTE_BLOCKS) != NULL;
    }
    json_t *geom = pm_plan_geometry(c, r, cl);
    if (p->error_count != errors_before) {
        json_decref(geom);
        return;
    }
    pl->rec = pm_plan_record(pl, name, gem, ptype, level, geom);
    json_object_set_new(c->by_id, pl->id, json_integer((json_int_t)c->n_plans));
    c->n_plans++;
}

/* The block of count v in DetailPlanning column k (0..65: the 33 cells, then their sloop_) of a row
 * of year (0: unknown) and geschat est, such that the export counts it back in the same row and
 * column (docs/exchange.md "Planmonitor workbooks"): a geschat year as a spread of 100 % in that
 * year, another year as the period year–year, the unknown year without either; kind sloop for
 * the sloop_ columns, else nieuwbouw; type, tenure and price class of the column. */
static json_t *pm_block(int k, int64_t v, int64_t year, bool est) {
    static const char *const types[3] = {"grondgebonden", "meergezins", "onbekend"};
    static const char *const classes[11] = {"koop1", "koop2", "koop3", "koop4",    "koop_onb", "huur1",
                                            "huur2", "huur3", "huur4", "huur_onb", "onbekend"};
    int cell = k % PM_N_CELLS, tc = cell % 11;
    json_t *b = json_object();
    json_object_set_new(b, "homes", json_integer(v));
    json_object_set_new(b, "kind", json_string(k >= PM_N_CELLS ? "sloop" : "nieuwbouw"));
    json_object_set_new(b, "home_type", json_string(types[cell / 11]));
    json_object_set_new(b, "tenure", json_string(tc < 5 ? "koop" : tc < 10 ? "huur" : "onbekend"));
    json_object_set_new(b, "price_class", json_string(classes[tc]));
    json_object_set_new(b, "target_group", json_null());
    json_object_set_new(b, "milestone", json_string("laatste_oplevering"));
    bool period = year && !est;
    json_object_set_new(b, "period_from", period ? json_integer(year) : json_null());
    json_object_set_new(b, "period_to", period ? json_integer(year) : json_null());
    json_object_set_new(b, "correction", json_false());
    json_object_set_new(
        b, "spread", year && est ? json_pack("[{s:I, s:i}]", "year", (json_int_t)year, "percent", 100) : json_null());
    return b;
}

static void pm_detail_row(pm_ctx *c, uint32_t row, const bs_xlsx_cell *cells, size_t n, const char *const *names) {
    bool any = false;
    for (int k = 0; k < c->n_cols; k++) any |= !cell_blank(pm_cell(cells, n, c->col[k]));
    if (!any) return;
    long r = (long)row;
    char id[40];
    const bs_xlsx_cell *cid = pm_cell(cells, n, c->col[0]);
    json_t *ix = pm_text(c, r, 0, names, cid, id, sizeof id) > 0 ? json_object_get(c->by_id, id) : NULL;
    if (!ix) {
        pm_error(c, r, c->col[0], names[0], cid, "plan_id is not a plan of the Plannen sheet");
        return;
    }
    pm_plan *pl = &c->plans[json_integer_value(ix)];
    const bs_xlsx_cell *cy = pm_cell(cells, n, c->col[2]);
    int64_t year = 0;
    if (!cell_blank(cy) && pm_int(c, r, 2, names, cy, 2019, 2050, false, &year) < 0) return;
    int slot = year == 0 ? 4 : year == 2019 ? 0 : year <= 2024 ? 1 : year <= 2029 ? 2 : 3;
    const bs_xlsx_cell *ce = pm_cell(cells, n, c->col[3]);
    bool est = ce && ((ce->type == BS_XLSX_BOOL && ce->number != 0) ||
                      (ce->type == BS_XLSX_STRING && strcasecmp(ce->text, "true") == 0));
    if (pl->from_blocks && !pl->blocks) pl->blocks = json_array();
    for (int k = 0; k < 2 * PM_N_CELLS; k++) {
        int64_t v;
        if (pm_int(c, r, 4 + k, names, pm_cell(cells, n, c->col[4 + k]), 0, MAX_COUNT, true, &v) < 0) return;
        if (pl->from_blocks && v > 0) json_array_append_new(pl->blocks, pm_block(k, v, year, est));
        if (k < PM_N_CELLS) {
            pl->cells[k] += v;
            pl->per[slot] += v;
        } else {
            pl->sloop += v;
        }
    }
}

static void pm_notes_row(pm_ctx *c, const bs_xlsx_cell *cells, size_t n) {
    const bs_xlsx_cell *a = pm_cell(cells, n, 0);
    if (!a || a->type != BS_XLSX_STRING) return;
    char t[256], prov[64];
    size_t l = a->text_len < sizeof t - 1 ? a->text_len : sizeof t - 1;
    memcpy(t, a->text, l);
    t[l] = 0;
    /* "prijsklassen PROVINCIE vanaf YYYY-MM-DD: koop ondergrenzen (cent)" / ": huur …" */
    const char *v = strstr(t, " vanaf ");
    if (strncmp(t, "prijsklassen ", 13) != 0 || !v || (size_t)(v - t - 13) >= sizeof prov) return;
    memcpy(prov, t + 13, (size_t)(v - t - 13));
    prov[v - t - 13] = 0;
    bool koop = strstr(v, ": koop ") != NULL, huur = strstr(v, ": huur ") != NULL;
    if (!koop && !huur) return;
    pm_price *pp = NULL;
    for (int i = 0; i < c->n_prices; i++)
        if (strcmp(c->prices[i].provincie, prov) == 0) pp = &c->prices[i];
    if (!pp && c->n_prices < (int)(sizeof c->prices / sizeof c->prices[0])) {
        pp = &c->prices[c->n_prices++];
        memset(pp, 0, sizeof *pp);
        snprintf(pp->provincie, sizeof pp->provincie, "%s", prov);
    }
    if (!pp) return;
    for (int k = 0; k < 4; k++) { /* a bound that is not a number of cents from 0 to 2^53 counts as 0 */
        const bs_xlsx_cell *b = pm_cell(cells, n, 1 + k);
        bool ok = b && b->type == BS_XLSX_NUMBER && b->number >= 0 && b->number <= 9007199254740992.0;
        (koop ? pp->koop : pp->huur)[k] = ok ? (int64_t)b->number : 0;
    }
    *(koop ? &pp->has_koop : &pp->has_huur) = true;
}

/* The DetailPlanning headers (plan_id, objectid, jaar, geschat, the 33 + 33 count columns)
 * into names, their text in buf; per parse, as parses run in parallel on the thread pool. */
static void pm_detail_names_init(const char **names, char (*buf)[40]) {
    names[0] = "plan_id";
    names[1] = "objectid";
    names[2] = "jaar";
    names[3] = "geschat";
    for (int k = 0; k < 2 * PM_N_CELLS; k++) {
        int cc = k % PM_N_CELLS;
        snprintf(buf[k], 40, "%s%s_%s", k < PM_N_CELLS ? "" : "sloop_", pm_types[cc / 11], pm_tenures[cc % 11]);
        names[4 + k] = buf[k];
    }
}

typedef struct pm_read {
    pm_ctx *c;
    int which; /* 0 Plannen, 1 DetailPlanning, 2 Toelichting */
} pm_read;

static int pm_on_row(uint32_t row, const bs_xlsx_cell *cells, size_t n, void *arg) {
    pm_read *rd = arg;
    pm_ctx *c = rd->c;
    if (rd->which == 2) {
        pm_notes_row(c, cells, n);
        return 0;
    }
    if (!c->have_header) {
        bool any = false;
        for (size_t i = 0; i < n; i++) any |= !cell_blank(&cells[i]);
        if (!any) return 0;
        if (rd->which == 0)
            pm_header(c, row, cells, n, pm_plan_cols, PM_N_PLAN_COLS, PC_GEOM);
        else
            pm_header(c, row, cells, n, c->detail_names, 4 + 2 * PM_N_CELLS, 4 + 2 * PM_N_CELLS);
        return 0;
    }
    if (rd->which == 0)
        pm_plan_row(c, row, cells, n);
    else
        pm_detail_row(c, row, cells, n, c->detail_names);
    return c->p->too_many_rows ? 1 : 0;
}

/* The stored totals of one plan from what the export shows (the inverse of docs/exports.md
 * §4 on the values the export keeps; see docs/exchange.md for what it cannot keep). */
static bool pm_finish_plan(pm_ctx *c, pm_plan *pl) {
    const char *const *nm = pm_plan_cols;
    int64_t sum = 0;
    for (int k = 0; k < PM_N_CELLS; k++) sum += pl->cells[k];
    if (sum != pl->N) {
        pm_error(c, pl->row, c->col[PC_N], nm[PC_N], NULL,
                 "the plan's DetailPlanning counts add up to %" PRId64 ", aantal_rest is %" PRId64, sum, pl->N);
        return false;
    }
    if (pl->sloop != pl->S) {
        pm_error(c, pl->row, c->col[PC_SLOOP], nm[PC_SLOOP], NULL,
                 "the plan's DetailPlanning sloop_ counts add up to %" PRId64 ", sloop is %" PRId64, pl->sloop, pl->S);
        return false;
    }
    json_t *rec = pl->rec;
    int64_t N = pl->N;
    /* a plan the export counted from blocks gets them back (replacing its blocks; staging format) */
    if (pl->from_blocks)
        json_object_set_new(rec, "blocks",
                            json_pack("{s:o}", "blocks", pl->blocks ? json_incref(pl->blocks) : json_array()));
    /* periods; a discarded split (note) is kept as one: N+1 unknown, −1 in 2019 */
    static const char *const per_cols[5] = {"completions_2019", "completions_2020_2024", "completions_2025_2029",
                                            "completions_2030_2050", "completions_unknown"};
    int64_t per[5];
    memcpy(per, pl->per, sizeof per);
    if (pl->note_period) {
        memset(per, 0, sizeof per);
        per[0] = -1;
        per[4] = N + 1;
    }
    for (int k = 0; k < 5; k++) json_object_set_new(rec, per_cols[k], json_integer(per[k]));
    /* house types: the sums of each type's cells */
    int64_t type[3] = {0, 0, 0}, ten[3] = {0, 0, 0};
    for (int k = 0; k < PM_N_CELLS; k++) {
        type[k / 11] += pl->cells[k];
        int tc = k % 11;
        ten[tc < 5 ? 0 : tc < 10 ? 1 : 2] += pl->cells[k];
    }
    if (pl->note_type) {
        type[0] = -1, type[1] = 0, type[2] = N + 1;
    }
    if (pl->verdeling == 1) {
        /* both splits were mixed: the export kept only the type; a mixed tenure split that
         * claims the least (one koop home, the rest onbekend) gives the same export */
        ten[0] = 1, ten[1] = 0, ten[2] = N - 1;
    } else if (pl->note_tenure) {
        ten[0] = -1, ten[1] = 0, ten[2] = N + 1;
    }
    json_object_set_new(rec, "type_grondgebonden", json_integer(type[0]));
    json_object_set_new(rec, "type_appartement", json_integer(type[1]));
    json_object_set_new(rec, "type_onbekend", json_integer(type[2]));
    json_object_set_new(rec, "tenure_koop", json_integer(ten[0]));
    json_object_set_new(rec, "tenure_huur", json_integer(ten[1]));
    json_object_set_new(rec, "tenure_onbekend", json_integer(ten[2]));
    /* price classes → the class's range in the workbook's price table of the province */
    for (int w = 0; w < 2; w++) {
        int cls = w == 0 ? pl->koop_class : pl->huur_class;
        if (!cls) continue;
        const pm_price *pp = NULL;
        for (int i = 0; i < c->n_prices; i++)
            if (strcmp(c->prices[i].provincie, pl->provincie) == 0 &&
                (w == 0 ? c->prices[i].has_koop : c->prices[i].has_huur))
                pp = &c->prices[i];
        if (!pp) {
            pm_error(c, pl->row, c->col[w == 0 ? PC_KOOP : PC_HUUR], nm[w == 0 ? PC_KOOP : PC_HUUR], NULL,
                     "a price class needs the price table of %s in the Toelichting sheet", pl->provincie);
            return false;
        }
        const int64_t *lower = w == 0 ? pp->koop : pp->huur;
        int64_t lo = lower[cls - 1], hi = cls < 4 ? lower[cls] - 1 : lower[cls - 1];
        json_object_set_new(rec, w == 0 ? "koop_price_min_cents" : "huur_rent_min_cents", json_integer(lo));
        json_object_set_new(rec, w == 0 ? "koop_price_max_cents" : "huur_rent_max_cents", json_integer(hi));
    }
    const char *label = NULL;
    bs_day exp = bs_eib_expected_by(per[0] > 0 ? (long)per[0] : 0, per[1] > 0 ? (long)per[1] : 0,
                                    per[2] > 0 ? (long)per[2] : 0, per[3] > 0 ? (long)per[3] : 0, &label);
    char eb[11];
    if (exp != BS_DAY_NONE) {
        set_str(rec, "expected_period", label);
        set_str(rec, "expected_by", bs_date_format(exp, eb));
    }
    bs_day dd;
    bs_date_parse(pl->date, &dd);
    if (bs_eib_plan_record(rec, c->p->schema, c->p->cal, pl->planstatus, bs_data_date(dd, c->p->opt->today)) != 0) {
        pm_error(c, pl->row, -1, NULL, NULL, "the project's schedule could not be computed");
        return false;
    }
    return true;
}

/* Whether the workbook is a Planmonitor export: sheets Plannen and DetailPlanning, and the
 * sheet to import (opt->sheet, else the first) is Plannen. */
static bool is_planmonitor(bs_xlsx *x, const char *sheet) {
    int pl = bs_xlsx_sheet_index(x, "Plannen");
    if (pl < 0 || bs_xlsx_sheet_index(x, "DetailPlanning") < 0) return false;
    return sheet ? strcmp(sheet, "Plannen") == 0 : pl == 0;
}

/* Reads a Planmonitor export into p (records, errors, rows). Returns the reader's status
 * (< 0: a file error in err). */
static int pm_parse(bs_xlsx *x, parse_ctx *p, bs_err *err) {
    pm_ctx c = {.p = p, .by_id = json_object()};
    pm_detail_names_init(c.detail_names, c.detail_buf);
    static const char *const sheets[3] = {"Plannen", "DetailPlanning", "Toelichting"};
    int rc = 0;
    for (int w = 2; w >= 0 && rc >= 0 && !p->too_many_rows; w = w == 2 ? 0 : w == 0 ? 1 : -1) {
        int s = bs_xlsx_sheet_index(x, sheets[w]);
        if (s < 0) continue; /* Toelichting is optional: then no price classes */
        c.sheet = sheets[w];
        c.have_header = false;
        pm_read rd = {&c, w};
        rc = bs_xlsx_read_rows(x, s, pm_on_row, &rd, err);
        if (rc >= 0 && w < 2 && !c.have_header)
            pm_error(&c, -1, -1, NULL, NULL, "the %s sheet is empty: no header row", sheets[w]);
        if (w == 0 && p->error_count) break; /* the details of bad plans are not checked */
    }
    if (rc >= 0 && !p->too_many_rows && !p->error_count) {
        c.sheet = "Plannen";
        for (size_t i = 0; i < c.n_plans; i++)
            if (pm_finish_plan(&c, &c.plans[i]) && !p->error_count) {
                json_array_append(p->records, c.plans[i].rec);
            }
    }
    for (size_t i = 0; i < c.n_plans; i++) {
        json_decref(c.plans[i].rec);
        json_decref(c.plans[i].blocks);
    }
    free(c.plans);
    json_decref(c.by_id);
    p->have_header = true;
    return rc;
}

static json_t *file_report(const char *sheet, const char *msg) {
    json_t *rep = json_object();
    json_object_set_new(rep, "ok", json_false());
    json_object_set_new(rep, "stage", json_string("file"));
    json_object_set_new(rep, "sheet", sheet ? json_string(sheet) : json_null());
    json_object_set_new(rep, "rows", json_integer(0));
    json_object_set_new(rep, "error_count", json_integer(1));
    json_t *e = json_object();
    json_object_set_new(e, "row", json_null());
    json_object_set_new(e, "column", json_null());
    json_object_set_new(e, "header", json_null());
    json_object_set_new(e, "field", json_null());
    json_object_set_new(e, "value", json_null());
    json_object_set_new(e, "message", json_string(msg));
    json_t *errs = json_array();
    json_array_append_new(errs, e);
    json_object_set_new(rep, "errors", errs);
    return rep;
}

int bs_xlsx_projects_parse(const void *data, size_t len, const bs_schema *schema, const bs_calendar *cal,
                           const bs_xlsx_projects_options *opt, json_t **records, json_t **report) {
    *records = NULL;
    bs_err err = {0};
    bs_xlsx *x = NULL;
    if (bs_xlsx_open_buffer(data, len, NULL, &x, &err) != BS_XLSX_OK) {
        *report = file_report(NULL, err.msg);
        return -1;
    }
    int sheet = 0;
    if (opt->sheet) {
        sheet = bs_xlsx_sheet_index(x, opt->sheet);
        if (sheet < 0) {
            char msg[600];
            size_t o = (size_t)snprintf(msg, sizeof msg, "no sheet '%s' in the workbook (sheets:", opt->sheet);
            for (int i = 0; i < bs_xlsx_sheet_count(x) && o < sizeof msg; i++)
                o += (size_t)snprintf(msg + o, sizeof msg - o, "%s '%s'", i ? "," : "", bs_xlsx_sheet_name(x, i));
            if (o < sizeof msg) snprintf(msg + o, sizeof msg - o, ")");
            *report = file_report(opt->sheet, msg);
            bs_xlsx_close(x);
            return -1;
        }
    } else if (bs_xlsx_sheet_count(x) == 0) {
        *report = file_report(NULL, "the workbook has no sheets");
        bs_xlsx_close(x);
        return -1;
    }
    const char *sheet_name = bs_xlsx_sheet_name(x, sheet);
    parse_ctx p = {.schema = schema, .cal = cal, .opt = opt};
    for (int f = 0; f < N_FIELDS; f++) p.field_col[f] = -1;
    p.errors = json_array();
    p.records = json_array();
    p.seen_keys = json_object();
    p.pv_cache = bs_pv_cache_new(64);
    p.blocks = json_object();
    bool planmonitor = is_planmonitor(x, opt->sheet);
    int rc = 0, blocks_sheet = planmonitor ? -1 : bs_xlsx_sheet_index(x, BS_XLSX_BLOCKS_SHEET);
    long block_rows = 0;
    if (blocks_sheet >= 0 && blocks_sheet != sheet)
        rc = bs_xlsx_blocks_read(x, blocks_sheet, schema_milestone, schema, p.blocks, p.errors,
                                 BS_XLSX_PROJECTS_MAX_ERRORS, &p.error_count, &block_rows, &err);
    if (rc >= 0) rc = planmonitor ? pm_parse(x, &p, &err) : bs_xlsx_read_rows(x, sheet, on_row, &p, &err);
    if (rc >= 0 && !p.too_many_rows) unused_blocks(&p, sheet_name);
    json_t *rep = NULL;
    if (rc < 0) {
        rep = file_report(sheet_name, err.msg);
    } else if (p.too_many_rows) {
        char msg[200];
        snprintf(msg, sizeof msg, "more than %d project rows: split the file", BS_XLSX_PROJECTS_MAX_ROWS);
        rep = file_report(sheet_name, msg);
    } else {
        if (!p.have_header) add_error(&p, -1, -1, N_FIELDS, NULL, NULL, "the sheet is empty: no header row");
        rep = json_object();
        json_object_set_new(rep, "ok", json_boolean(p.error_count == 0));
        if (p.error_count) json_object_set_new(rep, "stage", json_string("validation"));
        json_object_set_new(rep, "sheet", json_string(sheet_name));
        json_object_set_new(rep, "format", json_string(planmonitor ? "planmonitor" : "template"));
        json_object_set_new(rep, "rows", json_integer(p.rows));
        if (blocks_sheet >= 0 && blocks_sheet != sheet)
            json_object_set_new(rep, "block_rows", json_integer(block_rows));
        json_object_set_new(rep, "error_count", json_integer(p.error_count));
        json_object_set_new(rep, "errors", json_incref(p.errors));
    }
    int result = -1;
    if (json_is_true(json_object_get(rep, "ok"))) {
        *records = json_incref(p.records);
        result = 0;
    }
    *report = rep;
    json_decref(p.errors);
    json_decref(p.records);
    json_decref(p.seen_keys);
    json_decref(p.blocks);
    for (int f = 0; f < N_FIELDS; f++) free(p.field_header[f]);
    for (int i = 0; i < p.n_pv; i++) free(p.pv[i].header);
    bs_pv_cache_free(p.pv_cache);
    bs_xlsx_close(x);
    return result;
}

/* ---- the import job: on the import pipeline (thread pool, then one transaction) ---- */

typedef struct import_job {
    const bs_engine *engine;
    const bs_schema *schema;
    void *data; /* owned copy of the workbook (freed once parsed) */
    size_t len;
    bs_xlsx_projects_options opt;
    char *source, *sheet; /* owned copies */
    char *actor;          /* owned copy of opt->actor */
    bs_xlsx_projects_cb cb;
    void *arg;
    json_t *records, *report; /* owned */
    json_t *pv_defs;          /* owned: the plusveld definitions (BS_IMPORT_PV_DEFS) */
    json_t *settings;         /* owned: the version settings (BS_IMPORT_VERSION_SETTINGS_SQL) */
    uv_loop_t *loop;
    bs_store *store;
} import_job;

static void job_free(import_job *job) {
    json_decref(job->pv_defs);
    json_decref(job->settings);
    json_decref(job->records);
    json_decref(job->report);
    free(job->data);
    free(job->source);
    free(job->sheet);
    free(job->actor);
    free(job);
}

static json_t *db_failure(const char *what, const char *err) {
    json_t *res = json_object();
    json_object_set_new(res, "ok", json_false());
    json_object_set_new(res, "stage", json_string("database"));
    char msg[1024];
    snprintf(msg, sizeof msg, "%s: %s (nothing imported)", what, err ? err : "unknown error");
    json_t *e = json_object();
    json_object_set_new(e, "message", json_string(msg));
    json_t *errs = json_array();
    json_array_append_new(errs, e);
    json_object_set_new(res, "errors", errs);
    json_object_set_new(res, "error_count", json_integer(1));
    return res;
}

static json_t *success(const import_job *job, const bs_import_outcome *o) {
    json_t *out = json_object();
    long n = (long)json_array_size(job->records);
    json_object_set_new(out, "ok", json_true());
    json_object_set_new(out, "sheet", json_incref(json_object_get(job->report, "sheet")));
    json_object_set_new(out, "format", json_incref(json_object_get(job->report, "format")));
    json_object_set_new(out, "source", json_string(job->source));
    json_object_set_new(out, "rows", json_integer(n));
    json_object_set_new(out, "inserted", json_integer(o->inserted));
    json_object_set_new(out, "updated", json_integer(o->updated));
    json_object_set_new(out, "unchanged", json_integer(n - o->inserted - o->updated));
    json_object_set_new(out, "warnings", json_array());
    return out;
}

/* On the thread pool: reads and validates the workbook; when every row is valid, the plan
 * (records, upsert and initial steps in one transaction as the importing actor). */
static int prepare(bs_import_plan *plan, void *arg) {
    import_job *job = arg;
    bs_xlsx_projects_parse(job->data, job->len, job->schema, &job->engine->calendar, &job->opt, &job->records,
                           &job->report);
    free(job->data); /* the workbook is not needed any more */
    job->data = NULL;
    if (!job->records) return -1; /* validation or file errors: the report is the result */
    /* a new project of a gemeente whose organisation has set a version of the schema gets it */
    size_t ri;
    json_t *rec;
    json_array_foreach(job->records, ri, rec)
        bs_import_apply_version_setting(rec, job->engine, job->settings, &job->engine->calendar, job->opt.today);
    /* the rows' confidentiality is an extra column (migration 0010 made projects.confidentiality) */
    static const bs_project_column conf_col[] = {{"confidentiality", "text"}};
    /* a Planmonitor export also carries the plan's id and its price classes (as ranges) */
    static const bs_project_column pm_cols[] = {{"confidentiality", "text"},        {"id", "uuid"},
                                                {"koop_price_min_cents", "bigint"}, {"koop_price_max_cents", "bigint"},
                                                {"huur_rent_min_cents", "bigint"},  {"huur_rent_max_cents", "bigint"}};
    bool pm = json_is_string(json_object_get(job->report, "format")) &&
              strcmp(json_string_value(json_object_get(job->report, "format")), "planmonitor") == 0;
    char *upsert =
        pm ? bs_projects_upsert_sql(pm_cols, sizeof pm_cols / sizeof pm_cols[0]) : bs_projects_upsert_sql(conf_col, 1);
    char *begin = bs_store_begin_as(job->actor);
    const char *p_upsert[1] = {job->source};
    bs_import_plan_begin(plan, begin);
    bs_import_plan_stmt(plan, "storing projects failed", true, upsert, 1, p_upsert);
    bs_projects_plan_steps(plan, job->schema, job->source);
    bs_import_plan_plusvelden(plan, job->opt.today, job->source);
    bs_import_plan_blocks(plan, job->source);
    bs_import_plan_block_plusvelden(plan, job->opt.today, job->source); /* after the blocks: it finds them */
    bs_import_plan_add_records(plan, job->records, JSON_COMPACT);
    free(upsert);
    free(begin);
    return 0;
}

static void done(const bs_import_outcome *o, void *arg) {
    import_job *job = arg;
    json_t *result;
    if (o->err.code != BS_OK)
        result = db_failure(o->what, o->err.msg); /* the transaction was rolled back */
    else if (o->prepare_rc != 0)
        result = json_incref(job->report);
    else
        result = success(job, o);
    job->cb(result, job->arg);
    job_free(job);
}

/* The plusveld definitions loaded: now the pipeline (the parse on the thread pool checks the plusveld columns). */
static void pv_defs_loaded(const PGresult *res, const char *err, void *arg) {
    import_job *job = arg;
    if (err || PQntuples(res) != 1) {
        job->cb(db_failure("loading the plusveld definitions failed", err ? err : "no answer"), job->arg);
        return job_free(job);
    }
    job->pv_defs = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    job->opt.plusveld_definitions = job->pv_defs;
    bs_import_pipeline_run(job->loop, job->store, "import-xlsx", NULL, prepare, done, job);
}

/* The version settings read: then the plusveld definitions (an unreadable setting fails the import). */
static void settings_read(const PGresult *res, const char *err, void *arg) {
    import_job *job = arg;
    if (err || PQntuples(res) != 1) {
        job->cb(db_failure("reading the schema version settings failed", err ? err : "no answer"), job->arg);
        return job_free(job);
    }
    job->settings = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    bs_store_exec(job->store, &BS_IMPORT_PV_DEFS, NULL, pv_defs_loaded, job);
}

void bs_xlsx_projects_import(uv_loop_t *loop, bs_store *store, const bs_engine *engine, const void *data, size_t len,
                             const bs_xlsx_projects_options *opt, bs_xlsx_projects_cb cb, void *arg) {
    import_job *job = bs_calloc(1, sizeof *job);
    job->engine = engine;
    job->cb = cb;
    job->arg = arg;
    job->opt = *opt;
    job->source = bs_strdup(opt->source ? opt->source : DEFAULT_SOURCE);
    job->sheet = opt->sheet ? bs_strdup(opt->sheet) : NULL;
    job->actor = opt->actor ? bs_strdup(opt->actor) : NULL;
    job->opt.source = job->source;
    job->opt.sheet = job->sheet;
    job->opt.actor = job->actor;
    const bs_engine_schema *es = bs_engine_schema_get(engine, SCHEMA_KEY);
    if (!es) {
        cb(db_failure("import", "process schema " SCHEMA_KEY " is not loaded"), arg);
        job_free(job);
        return;
    }
    job->schema = es->schema;
    job->data = bs_malloc(len ? len : 1);
    if (len) memcpy(job->data, data, len);
    job->len = len;
    job->loop = loop;
    job->store = store;
    bs_store_query(store, BS_IMPORT_VERSION_SETTINGS_SQL, 0, NULL, settings_read, job);
}
