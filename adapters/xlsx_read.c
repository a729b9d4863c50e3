/*
 * Bounded .xlsx reader on libzip and expat. See xlsx_read.h.
 */
#include "xlsx_read.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "alloc.h"
#include "calendar.h"

/* The reader's own kinds of failure, recorded by the XML handlers (xml_ctx.status) and
 * mapped to the error currency by set_err. */
enum {
    ERR_IO = -1,      /* the file could not be read */
    ERR_ZIP = -2,     /* not a zip archive, truncated, or a part could not be inflated */
    ERR_PACKAGE = -3, /* a zip, but no workbook, or a required part is missing */
    ERR_XML = -4,     /* a part is not well-formed XML (or has a DOCTYPE) */
    ERR_FORMAT = -5,  /* well-formed XML with content SpreadsheetML does not allow */
    ERR_LIMIT = -6,   /* a bound of bs_xlsx_limits was exceeded */
    ERR_NOMEM = -7,
    ERR_ARG = -8 /* no such sheet, or a NULL argument */
};

#define READ_CHUNK 65536
#define NS_SEP '|' /* expat namespace separator: element names arrive as "uri|local" */

struct bs_xlsx {
    zip_t *zip;
    void *data; /* owned: the copied buffer of bs_xlsx_open_buffer (libzip reads it) */
    bs_xlsx_limits lim;
    size_t total_bytes; /* uncompressed bytes read so far */
    bool date1904;
    int n_sheets;
    char **sheet_names; /* owned, n_sheets */
    char **sheet_paths; /* owned, n_sheets: part names in the zip ("xl/worksheets/sheet1.xml") */
    char **sst;         /* owned: shared strings */
    size_t *sst_len;
    size_t n_sst, cap_sst;
    unsigned char *xf_date; /* owned: per cellXfs entry, 1 when its number format is a date */
    size_t n_xf;
};

/* ---- small helpers ---- */

/* The reader's own kinds of failure map to the error currency (err.h) here, in one place:
 * the code, and the kind as the bs_err's problem and title. */
static const struct {
    int status, code;
    const char *problem, *title;
} kinds[] = {
    {ERR_IO, BS_EIO, "xlsx_io", "file not readable"},
    {ERR_ZIP, BS_EMALFORMED, "xlsx_zip", "not a zip archive (or damaged)"},
    {ERR_PACKAGE, BS_EMALFORMED, "xlsx_package", "not an Excel workbook"},
    {ERR_XML, BS_EMALFORMED, "xlsx_xml", "malformed XML"},
    {ERR_FORMAT, BS_EMALFORMED, "xlsx_format", "invalid SpreadsheetML content"},
    {ERR_LIMIT, BS_ETOOLARGE, "xlsx_limit", "limit exceeded"},
    {ERR_NOMEM, BS_EINTERNAL, "xlsx_nomem", "out of memory"},
    {ERR_ARG, BS_EINVAL, "xlsx_arg", "invalid argument"},
};

/* Fills err for a failure of kind status and returns its BS_E* code; BS_XLSX_OK and
 * BS_XLSX_STOPPED are returned as they are (err untouched). */
__attribute__((format(printf, 3, 4))) static int set_err(bs_err *err, int status, const char *fmt, ...) {
    if (status >= 0) return status;
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] - 1 && kinds[k].status != status) k++;
    if (!err) return kinds[k].code;
    err->code = kinds[k].code;
    err->problem = kinds[k].problem;
    err->title = kinds[k].title;
    err->field[0] = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return kinds[k].code;
}

char *bs_xlsx_col_name(uint32_t col, char buf[static 4]) {
    char tmp[4];
    int n = 0;
    uint32_t c = col + 1;
    while (c > 0 && n < 3) {
        tmp[n++] = (char)('A' + (c - 1) % 26);
        c = (c - 1) / 26;
    }
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n] = 0;
    return buf;
}

/* Bounded growable byte buffer (curl's dynbuf idea): appends fail beyond max bytes. */
typedef struct dbuf {
    char *p;
    size_t len, cap, max;
} dbuf;

/* 0, -1 over the limit, -2 out of memory. Keeps the contents NUL-terminated. */
static int dbuf_add(dbuf *b, const char *s, size_t n) {
    if (n > b->max || b->len > b->max - n) return -1;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 64;
        while (nc < b->len + n + 1) nc *= 2;
        b->p = bs_realloc(b->p, nc);
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return 0;
}

static const char *local_name(const char *name) {
    const char *s = strrchr(name, NS_SEP);
    return s ? s + 1 : name;
}

/* Value of the attribute without namespace called name, or NULL. */
static const char *attr(const char **atts, const char *name) {
    for (int i = 0; atts[i]; i += 2)
        if (strcmp(atts[i], name) == 0) return atts[i + 1];
    return NULL;
}

/* Value of a namespaced attribute with this local name (r:id), or NULL. */
static const char *attr_ns(const char **atts, const char *local) {
    for (int i = 0; atts[i]; i += 2) {
        const char *s = strrchr(atts[i], NS_SEP);
        if (s && strcmp(s + 1, local) == 0) return atts[i + 1];
    }
    return NULL;
}

/* ---- dates ---- */

int bs_xlsx_serial_to_date(double serial, bool date1904, int32_t *day, int32_t *ms) {
    if (!isfinite(serial) || serial < 0) return -1;
    double whole = floor(serial);
    double frac = serial - whole;
    if (whole > 3000000) return -1;
    int64_t d = (int64_t)whole;
    int64_t t = llround(frac * 86400000.0);
    if (t >= 86400000) {
        d += 1;
        t -= 86400000;
    }
    int64_t base;
    if (date1904) {
        base = bs_date_from_ymd(1904, 1, 1);
    } else {
        base = bs_date_from_ymd(1899, 12, 30);
        if (serial < 60) d += 1; /* serials 0–59 count from 1899-12-31 (before the fictitious 1900-02-29) */
    }
    int64_t r = base + d;
    if (r > bs_date_from_ymd(9999, 12, 31)) return -1;
    *day = (int32_t)r;
    *ms = (int32_t)t;
    return 0;
}

bool bs_xlsx_format_is_date(const char *f) {
    if (!f) return false;
    for (const char *p = f; *p && *p != ';'; p++) {
        char c = *p;
        if (c == '"') { /* quoted literal */
            p++;
            while (*p && *p != '"') p++;
            if (!*p) break;
        } else if (c == '\\' || c == '_' || c == '*') { /* escaped char, padding, fill */
            if (!p[1]) break;
            p++;
        } else if (c == '[') { /* [Red], [$-413], [>=100]: skip; [h] [mm] [ss] elapsed time: a time */
            const char *e = strchr(p, ']');
            if (!e) break;
            size_t n = (size_t)(e - p - 1);
            const char *in = p + 1;
            bool elapsed = n >= 1 && n <= 2;
            for (size_t i = 0; i < n && elapsed; i++)
                if (tolower((unsigned char)in[i]) != tolower((unsigned char)in[0]) ||
                    !strchr("hms", tolower((unsigned char)in[i])))
                    elapsed = false;
            if (elapsed) return true;
            p = e;
        } else if (strchr("dmyhsDMYHS", c)) {
            return true;
        }
    }
    return false;
}

static bool builtin_is_date(long id) {
    return (id >= 14 && id <= 22) || (id >= 45 && id <= 47);
}

/* ---- parts ---- */

/* Common head of every parse context: the handlers record the first error here and stop
 * the parser. */
typedef struct xml_ctx {
    XML_Parser p;
    bs_xlsx *x;
    const char *part;
    int status;
    char msg[400];
} xml_ctx;

__attribute__((format(printf, 3, 4))) static void ctx_fail(xml_ctx *c, int status, const char *fmt, ...) {
    if (c->status != BS_XLSX_OK) return;
    c->status = status;
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->msg, sizeof c->msg, "%s:%lu:%lu: %s", c->part, (unsigned long)XML_GetCurrentLineNumber(c->p),
             (unsigned long)XML_GetCurrentColumnNumber(c->p) + 1, what);
    XML_StopParser(c->p, XML_FALSE);
}

static void XMLCALL no_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal) {
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    ctx_fail(ud, ERR_XML, "document type declarations are not allowed");
}

static bool part_exists(bs_xlsx *x, const char *name) {
    return zip_name_locate(x->zip, name, 0) >= 0;
}

/* Streams the part through an expat parser with these handlers and ctx (whose head is an
 * xml_ctx). Returns a status; the message goes to err. */
static int parse_part(bs_xlsx *x, const char *name, xml_ctx *ctx, XML_StartElementHandler start,
                      XML_EndElementHandler end, XML_CharacterDataHandler text, bs_err *err) {
    zip_int64_t idx = zip_name_locate(x->zip, name, 0);
    if (idx < 0) return set_err(err, ERR_PACKAGE, "%s: part missing from the workbook", name);
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(x->zip, (zip_uint64_t)idx, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE) &&
        st.size > x->lim.max_part_bytes)
        return set_err(err, ERR_LIMIT, "%s: %llu bytes uncompressed, more than the limit of %zu", name,
                       (unsigned long long)st.size, x->lim.max_part_bytes);
    zip_file_t *zf = zip_fopen_index(x->zip, (zip_uint64_t)idx, 0);
    if (!zf) return set_err(err, ERR_ZIP, "%s: cannot open: %s", name, zip_strerror(x->zip));
    XML_Parser p = XML_ParserCreateNS(NULL, NS_SEP);
    if (!p) {
        zip_fclose(zf);
        return set_err(err, ERR_NOMEM, "%s: out of memory", name);
    }
    ctx->p = p;
    ctx->x = x;
    ctx->part = name;
    ctx->status = BS_XLSX_OK;
    ctx->msg[0] = 0;
    XML_SetUserData(p, ctx);
    XML_SetElementHandler(p, start, end);
    if (text) XML_SetCharacterDataHandler(p, text);
    XML_SetStartDoctypeDeclHandler(p, no_doctype);
    char *buf = bs_malloc(READ_CHUNK);
    int rc = BS_XLSX_OK;
    size_t part_bytes = 0;
    while (rc == BS_XLSX_OK) {
        zip_int64_t n = zip_fread(zf, buf, READ_CHUNK);
        if (n < 0) {
            rc = set_err(err, ERR_ZIP, "%s: cannot inflate: %s", name, zip_file_strerror(zf));
            break;
        }
        part_bytes += (size_t)n;
        x->total_bytes += (size_t)n;
        if (part_bytes > x->lim.max_part_bytes) {
            rc = set_err(err, ERR_LIMIT, "%s: more than %zu bytes uncompressed (limit per part)", name,
                         x->lim.max_part_bytes);
            break;
        }
        if (x->total_bytes > x->lim.max_total_bytes) {
            rc = set_err(err, ERR_LIMIT, "%s: the workbook inflates to more than %zu bytes (limit)", name,
                         x->lim.max_total_bytes);
            break;
        }
        if (XML_Parse(p, buf, (int)n, n == 0) != XML_STATUS_OK) {
            if (ctx->status != BS_XLSX_OK) {
                rc = set_err(err, ctx->status, "%s", ctx->msg);
            } else {
                rc = set_err(err, ERR_XML, "%s:%lu:%lu: malformed XML: %s", name,
                             (unsigned long)XML_GetCurrentLineNumber(p),
                             (unsigned long)XML_GetCurrentColumnNumber(p) + 1, XML_ErrorString(XML_GetErrorCode(p)));
            }
            break;
        }
        if (n == 0) break;
    }
    free(buf);
    XML_ParserFree(p);
    zip_fclose(zf);
    return rc;
}

/* Resolves a relationship target against the directory of the source part (ECMA-376
 * Part 2 §9.3: targets are relative URIs; "/x" is from the package root). */
static char *resolve_target(const char *source_dir, const char *target) {
    char path[1024];
    if (target[0] == '/')
        snprintf(path, sizeof path, "%s", target + 1);
    else
        snprintf(path, sizeof path, "%s%s", source_dir, target);
    /* collapse "x/../" and "./" */
    char *segs[128];
    int n = 0;
    char *save = NULL;
    for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (strcmp(s, ".") == 0) continue;
        if (strcmp(s, "..") == 0) {
            if (n) n--;
            continue;
        }
        if (n < 128) segs[n++] = s;
    }
    char out[1024];
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, o < sizeof out ? sizeof out - o : 0, "%s%s", i ? "/" : "", segs[i]);
    return bs_strdup(out);
}

/* -- relationships parts -- */

typedef struct rel {
    char *id, *type, *target;
} rel;

typedef struct rels_ctx {
    xml_ctx h;
    rel *rels;
    size_t n, cap;
} rels_ctx;

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    rels_ctx *c = ud;
    if (strcmp(local_name(name), "Relationship") != 0) return;
    const char *id = attr(atts, "Id"), *type = attr(atts, "Type"), *target = attr(atts, "Target");
    if (!id || !type || !target) return;
    const char *mode = attr(atts, "TargetMode");
    if (mode && strcmp(mode, "External") == 0) return;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        if (nc > 100000) {
            ctx_fail(&c->h, ERR_LIMIT, "too many relationships");
            return;
        }
        c->rels = bs_realloc(c->rels, nc * sizeof *c->rels);
        c->cap = nc;
    }
    rel *r = &c->rels[c->n++];
    r->id = bs_strdup(id);
    r->type = bs_strdup(type);
    r->target = bs_strdup(target);
}

static void XMLCALL ignore_end(void *ud, const XML_Char *name) {
    (void)ud, (void)name;
}

static void rels_free(rels_ctx *c) {
    for (size_t i = 0; i < c->n; i++) {
        free(c->rels[i].id);
        free(c->rels[i].type);
        free(c->rels[i].target);
    }
    free(c->rels);
}

static bool type_is(const char *type, const char *suffix) {
    size_t a = strlen(type), b = strlen(suffix);
    return a >= b && strcmp(type + a - b, suffix) == 0;
}

/* -- workbook -- */

typedef struct sheet_ref {
    char *name, *rid;
} sheet_ref;

typedef struct wb_ctx {
    xml_ctx h;
    sheet_ref *sheets;
    size_t n, cap;
    bool date1904;
} wb_ctx;

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    wb_ctx *c = ud;
    const char *ln = local_name(name);
    if (strcmp(ln, "workbookPr") == 0) {
        const char *v = attr(atts, "date1904");
        c->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
    } else if (strcmp(ln, "sheet") == 0) {
        const char *sn = attr(atts, "name"), *rid = attr_ns(atts, "id");
        if (!sn || !rid) {
            ctx_fail(&c->h, ERR_FORMAT, "<sheet> without name or r:id");
            return;
        }
        if (c->n == c->cap) {
            size_t nc = c->cap ? c->cap * 2 : 8;
            if (nc > 65536) {
                ctx_fail(&c->h, ERR_LIMIT, "too many sheets");
                return;
            }
            c->sheets = bs_realloc(c->sheets, nc * sizeof *c->sheets);
            c->cap = nc;
        }
        c->sheets[c->n].name = bs_strdup(sn);
        c->sheets[c->n].rid = bs_strdup(rid);
        c->n++;
    }
}

/* -- styles: numFmts and cellXfs -- */

typedef struct numfmt {
    long id;
    bool date;
    size_t pos; /* document order */
} numfmt;

typedef struct styles_ctx {
    xml_ctx h;
    numfmt *fmts;
    size_t n_fmts, cap_fmts;
    long *xf_fmt; /* numFmtId per cellXfs entry */
    size_t n_xf, cap_xf;
    int in_cellxfs;
} styles_ctx;

static void XMLCALL styles_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    styles_ctx *c = ud;
    const char *ln = local_name(name);
    if (strcmp(ln, "numFmt") == 0) {
        const char *id = attr(atts, "numFmtId"), *code = attr(atts, "formatCode");
        if (!id) return;
        if (c->n_fmts == c->cap_fmts) {
            size_t nc = c->cap_fmts ? c->cap_fmts * 2 : 16;
            c->fmts = bs_realloc(c->fmts, nc * sizeof *c->fmts);
            c->cap_fmts = nc;
        }
        c->fmts[c->n_fmts].id = strtol(id, NULL, 10);
        c->fmts[c->n_fmts].date = bs_xlsx_format_is_date(code);
        c->n_fmts++;
    } else if (strcmp(ln, "cellXfs") == 0) {
        c->in_cellxfs++;
    } else if (strcmp(ln, "xf") == 0 && c->in_cellxfs) {
        if (c->n_xf == c->cap_xf) {
            size_t nc = c->cap_xf ? c->cap_xf * 2 : 16;
            c->xf_fmt = bs_realloc(c->xf_fmt, nc * sizeof *c->xf_fmt);
            c->cap_xf = nc;
        }
        const char *id = attr(atts, "numFmtId");
        c->xf_fmt[c->n_xf++] = id ? strtol(id, NULL, 10) : 0;
    }
}

static void XMLCALL styles_end(void *ud, const XML_Char *name) {
    styles_ctx *c = ud;
    if (strcmp(local_name(name), "cellXfs") == 0 && c->in_cellxfs) c->in_cellxfs--;
}

/* numFmts by id, equal ids in document order */
static int numfmt_cmp(const void *a, const void *b) {
    const numfmt *p = a, *q = b;
    if (p->id != q->id) return p->id < q->id ? -1 : 1;
    return p->pos < q->pos ? -1 : p->pos > q->pos;
}

/* Which cellXfs entries show dates: a custom numFmt of the entry's id wins over the built-in
 * meaning (the last one when an id is defined twice). Sorted and searched: n_xf × n_fmts
 * comparisons would let a styles part of a few MB cost hours. */
static void xf_dates(bs_xlsx *x, styles_ctx *sc) {
    for (size_t j = 0; j < sc->n_fmts; j++) sc->fmts[j].pos = j;
    if (sc->n_fmts) qsort(sc->fmts, sc->n_fmts, sizeof *sc->fmts, numfmt_cmp);
    x->xf_date = bs_calloc(sc->n_xf, 1);
    for (size_t i = 0; i < sc->n_xf; i++) {
        bool date = builtin_is_date(sc->xf_fmt[i]);
        size_t lo = 0, hi = sc->n_fmts; /* the first entry with an id above this one */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (sc->fmts[mid].id <= sc->xf_fmt[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo > 0 && sc->fmts[lo - 1].id == sc->xf_fmt[i]) date = sc->fmts[lo - 1].date;
        x->xf_date[i] = date;
    }
    x->n_xf = sc->n_xf;
}

/* -- shared strings: <si> with <t> directly or in <r> runs; phonetic <rPh> ignored -- */

typedef struct sst_ctx {
    xml_ctx h;
    dbuf text;
    bool in_si, in_t;
    int in_rph;
} sst_ctx;

static int sst_push(bs_xlsx *x, const char *s, size_t len) {
    if (x->n_sst == x->cap_sst) {
        size_t nc = x->cap_sst ? x->cap_sst * 2 : 64;
        x->sst = bs_realloc(x->sst, nc * sizeof *x->sst);
        x->sst_len = bs_realloc(x->sst_len, nc * sizeof *x->sst_len);
        x->cap_sst = nc;
    }
    char *d = bs_malloc(len + 1);
    memcpy(d, s, len);
    d[len] = 0;
    x->sst[x->n_sst] = d;
    x->sst_len[x->n_sst++] = len;
    return 0;
}

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    (void)atts;
    sst_ctx *c = ud;
    const char *ln = local_name(name);
    if (strcmp(ln, "si") == 0) {
        c->in_si = true;
        c->text.len = 0;
        if (c->text.p) c->text.p[0] = 0;
    } else if (strcmp(ln, "rPh") == 0) {
        c->in_rph++;
    } else if (strcmp(ln, "t") == 0 && c->in_si && !c->in_rph) {
        c->in_t = true;
    }
}

static void XMLCALL sst_end(void *ud, const XML_Char *name) {
    sst_ctx *c = ud;
    const char *ln = local_name(name);
    if (strcmp(ln, "si") == 0 && c->in_si) {
        c->in_si = false;
        if (sst_push(c->h.x, c->text.p ? c->text.p : "", c->text.len) != 0) ctx_fail(&c->h, ERR_NOMEM, "out of memory");
    } else if (strcmp(ln, "rPh") == 0 && c->in_rph) {
        c->in_rph--;
    } else if (strcmp(ln, "t") == 0) {
        c->in_t = false;
    }
}

static void XMLCALL sst_text(void *ud, const XML_Char *s, int len) {
    sst_ctx *c = ud;
    if (!c->in_t) return;
    int r = dbuf_add(&c->text, s, (size_t)len);
    if (r == -1) ctx_fail(&c->h, ERR_LIMIT, "shared string longer than the part limit");
    if (r == -2) ctx_fail(&c->h, ERR_NOMEM, "out of memory");
}

/* ---- open ---- */

void bs_xlsx_close(bs_xlsx *x) {
    if (!x) return;
    if (x->zip) zip_discard(x->zip);
    free(x->data);
    for (int i = 0; i < x->n_sheets; i++) {
        free(x->sheet_names[i]);
        free(x->sheet_paths[i]);
    }
    free(x->sheet_names);
    free(x->sheet_paths);
    for (size_t i = 0; i < x->n_sst; i++) free(x->sst[i]);
    free(x->sst);
    free(x->sst_len);
    free(x->xf_date);
    free(x);
}

static char *dir_of(const char *part) {
    const char *s = strrchr(part, '/');
    size_t n = s ? (size_t)(s - part) + 1 : 0;
    char *d = bs_malloc(n + 1);
    memcpy(d, part, n);
    d[n] = 0;
    return d;
}

/* Reads the package structure once x->zip is open. */
static int load(bs_xlsx *x, bs_err *err) {
    int rc;
    char *wb_path = NULL;
    /* 1. _rels/.rels → the officeDocument part (ECMA-376 Part 1 §9.2) */
    if (part_exists(x, "_rels/.rels")) {
        rels_ctx rc0 = {0};
        rc = parse_part(x, "_rels/.rels", &rc0.h, rels_start, ignore_end, NULL, err);
        if (rc == BS_XLSX_OK)
            for (size_t i = 0; i < rc0.n && !wb_path; i++)
                if (type_is(rc0.rels[i].type, "/officeDocument")) wb_path = resolve_target("", rc0.rels[i].target);
        rels_free(&rc0);
        if (rc != BS_XLSX_OK) return rc;
    }
    if (!wb_path && part_exists(x, "xl/workbook.xml")) wb_path = bs_strdup("xl/workbook.xml");
    if (!wb_path || !part_exists(x, wb_path)) {
        free(wb_path);
        return set_err(err, ERR_PACKAGE,
                       "no workbook in the zip archive (no officeDocument relationship in _rels/.rels, no "
                       "xl/workbook.xml): not an .xlsx file");
    }
    /* 2. the workbook: sheets and date system */
    wb_ctx wc = {0};
    rc = parse_part(x, wb_path, &wc.h, wb_start, ignore_end, NULL, err);
    x->date1904 = wc.date1904;
    /* 3. its relationships */
    char *dir = dir_of(wb_path);
    const char *base = strrchr(wb_path, '/');
    base = base ? base + 1 : wb_path;
    char rels_path[1024];
    snprintf(rels_path, sizeof rels_path, "%s_rels/%s.rels", dir ? dir : "", base);
    rels_ctx rs = {0};
    if (rc == BS_XLSX_OK) {
        if (part_exists(x, rels_path))
            rc = parse_part(x, rels_path, &rs.h, rels_start, ignore_end, NULL, err);
        else if (wc.n > 0)
            rc = set_err(err, ERR_PACKAGE, "%s: part missing from the workbook", rels_path);
    }
    char *sst_path = NULL, *styles_path = NULL;
    if (rc == BS_XLSX_OK) {
        x->sheet_names = bs_calloc(wc.n + 1, sizeof(char *));
        x->sheet_paths = bs_calloc(wc.n + 1, sizeof(char *));
        for (size_t i = 0; i < wc.n && rc == BS_XLSX_OK; i++) {
            const rel *r = NULL;
            for (size_t j = 0; j < rs.n && !r; j++)
                if (strcmp(rs.rels[j].id, wc.sheets[i].rid) == 0) r = &rs.rels[j];
            if (!r) {
                rc = set_err(err, ERR_PACKAGE, "%s: sheet '%s' refers to relationship %s, not in %s", wb_path,
                             wc.sheets[i].name, wc.sheets[i].rid, rels_path);
                break;
            }
            x->sheet_names[x->n_sheets] = bs_strdup(wc.sheets[i].name);
            x->sheet_paths[x->n_sheets] = resolve_target(dir, r->target);
            x->n_sheets++;
        }
        for (size_t j = 0; j < rs.n; j++) {
            if (!sst_path && type_is(rs.rels[j].type, "/sharedStrings"))
                sst_path = resolve_target(dir, rs.rels[j].target);
            if (!styles_path && type_is(rs.rels[j].type, "/styles"))
                styles_path = resolve_target(dir, rs.rels[j].target);
        }
    }
    for (size_t i = 0; i < wc.n; i++) {
        free(wc.sheets[i].name);
        free(wc.sheets[i].rid);
    }
    free(wc.sheets);
    rels_free(&rs);
    free(dir);
    free(wb_path);
    /* 4. styles: which cell formats show dates */
    if (rc == BS_XLSX_OK && styles_path && part_exists(x, styles_path)) {
        styles_ctx sc = {0};
        rc = parse_part(x, styles_path, &sc.h, styles_start, styles_end, NULL, err);
        if (rc == BS_XLSX_OK && sc.n_xf) xf_dates(x, &sc);
        free(sc.fmts);
        free(sc.xf_fmt);
    }
    /* 5. shared strings */
    if (rc == BS_XLSX_OK && sst_path && part_exists(x, sst_path)) {
        sst_ctx ss = {0};
        ss.text.max = x->lim.max_part_bytes;
        rc = parse_part(x, sst_path, &ss.h, sst_start, sst_end, sst_text, err);
        free(ss.text.p);
    }
    free(sst_path);
    free(styles_path);
    return rc;
}

static int open_common(bs_xlsx *x, zip_source_t *src, const bs_xlsx_limits *limits, bs_xlsx **out, bs_err *err) {
    x->lim = (bs_xlsx_limits){BS_XLSX_DEFAULT_MAX_PART_BYTES, BS_XLSX_DEFAULT_MAX_TOTAL_BYTES, BS_XLSX_DEFAULT_MAX_ROWS,
                              BS_XLSX_DEFAULT_MAX_COLS};
    if (limits) {
        if (limits->max_part_bytes) x->lim.max_part_bytes = limits->max_part_bytes;
        if (limits->max_total_bytes) x->lim.max_total_bytes = limits->max_total_bytes;
        if (limits->max_rows) x->lim.max_rows = limits->max_rows;
        if (limits->max_cols) x->lim.max_cols = limits->max_cols;
    }
    zip_error_t ze;
    zip_error_init(&ze);
    x->zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (!x->zip) {
        int code = zip_error_code_zip(&ze);
        int rc = set_err(err, code == ZIP_ER_READ || code == ZIP_ER_OPEN ? ERR_IO : ERR_ZIP,
                         "not a zip archive, or a damaged or truncated one (%s): an .xlsx file is a zip archive",
                         zip_error_strerror(&ze));
        zip_error_fini(&ze);
        zip_source_free(src);
        bs_xlsx_close(x);
        return rc;
    }
    zip_error_fini(&ze);
    if (zip_get_num_entries(x->zip, 0) <= 0) { /* libzip opens an empty file as an empty archive */
        bs_xlsx_close(x);
        return set_err(err, ERR_ZIP, "not a zip archive: the file is empty or holds no files");
    }
    int rc = load(x, err);
    if (rc != BS_XLSX_OK) {
        bs_xlsx_close(x);
        return rc;
    }
    *out = x;
    return BS_XLSX_OK;
}

int bs_xlsx_open_buffer(const void *data, size_t len, const bs_xlsx_limits *limits, bs_xlsx **out, bs_err *err) {
    if (!out || (!data && len)) return set_err(err, ERR_ARG, "invalid argument");
    *out = NULL;
    bs_xlsx *x = bs_calloc(1, sizeof *x);
    x->data = bs_malloc(len ? len : 1);
    if (len) memcpy(x->data, data, len);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(x->data, len, 0, &ze);
    zip_error_fini(&ze);
    if (!src) {
        bs_xlsx_close(x);
        return set_err(err, ERR_NOMEM, "out of memory");
    }
    return open_common(x, src, limits, out, err);
}

int bs_xlsx_open_file(const char *path, const bs_xlsx_limits *limits, bs_xlsx **out, bs_err *err) {
    if (!out || !path) return set_err(err, ERR_ARG, "invalid argument");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return set_err(err, ERR_IO, "%s: %s", path, strerror(errno));
    fclose(f);
    bs_xlsx *x = bs_calloc(1, sizeof *x);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_file_create(path, 0, -1, &ze);
    zip_error_fini(&ze);
    if (!src) {
        bs_xlsx_close(x);
        return set_err(err, ERR_IO, "%s: cannot open", path);
    }
    int rc = open_common(x, src, limits, out, err);
    if (rc != BS_XLSX_OK && err && strncmp(err->msg, path, strlen(path)) != 0) { /* prefix the file name */
        char *t = bs_asprintf("%s: %s", path, err->msg);
        snprintf(err->msg, sizeof err->msg, "%s", t);
        free(t);
    }
    return rc;
}

int bs_xlsx_sheet_count(const bs_xlsx *x) {
    return x ? x->n_sheets : 0;
}

const char *bs_xlsx_sheet_name(const bs_xlsx *x, int i) {
    return x && i >= 0 && i < x->n_sheets ? x->sheet_names[i] : NULL;
}

int bs_xlsx_sheet_index(const bs_xlsx *x, const char *name) {
    if (!x || !name) return -1;
    for (int i = 0; i < x->n_sheets; i++)
        if (strcmp(x->sheet_names[i], name) == 0) return i;
    return -1;
}

bool bs_xlsx_date1904(const bs_xlsx *x) {
    return x && x->date1904;
}

/* ---- sheet rows ---- */

typedef enum { T_N, T_S, T_STR, T_INLINE, T_B, T_E, T_D } cell_t;

typedef struct pending_cell {
    uint32_t col;
    cell_t t;
    long style;
    bool has_v;      /* a <v> or an inline <is> was seen */
    size_t off, len; /* text in the row arena */
    bs_xlsx_type type;
    double number;
    int32_t day, ms;
    const char *shared; /* shared string (owned by x) */
    size_t shared_len;
} pending_cell;

typedef struct sheet_ctx {
    xml_ctx h;
    bs_xlsx_row_cb cb;
    void *arg;
    int depth_sheetdata;
    bool in_row, in_cell, in_v, in_is_t;
    int in_is, in_rph;
    uint32_t row, last_row, next_col;
    pending_cell cur;
    pending_cell *cells;
    size_t n_cells, cap_cells;
    bs_xlsx_cell *out;
    size_t cap_out;
    dbuf arena; /* texts of the row's cells */
    bool stopped;
} sheet_ctx;

/* Parses "B12" into a 0-based column and a 1-based row. */
static int parse_ref(const char *s, uint32_t *col, uint32_t *row) {
    uint32_t c = 0, r = 0;
    int nl = 0, nd = 0;
    while (isalpha((unsigned char)*s)) {
        if (++nl > 3) return -1;
        c = c * 26 + (uint32_t)(toupper((unsigned char)*s) - 'A' + 1);
        s++;
    }
    while (isdigit((unsigned char)*s)) {
        if (++nd > 7) return -1;
        r = r * 10 + (uint32_t)(*s - '0');
        s++;
    }
    if (*s || nl == 0 || nd == 0 || r == 0) return -1;
    *col = c - 1;
    *row = r;
    return 0;
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    sheet_ctx *c = ud;
    if (c->h.status != BS_XLSX_OK) return;
    const char *ln = local_name(name);
    bs_xlsx *x = c->h.x;
    if (strcmp(ln, "sheetData") == 0) {
        c->depth_sheetdata++;
        return;
    }
    if (!c->depth_sheetdata) return;
    if (strcmp(ln, "row") == 0) {
        /* a row inside a row (or a cell) would restart the row's text arena under the open
         * cell: refused, like a cell inside a cell below */
        if (c->in_row) {
            ctx_fail(&c->h, ERR_FORMAT, "<row> inside row %u", c->row);
            return;
        }
        const char *r = attr(atts, "r");
        uint32_t rn = c->last_row + 1;
        if (r) {
            char *end;
            errno = 0;
            unsigned long v = strtoul(r, &end, 10);
            if (*end || errno || v == 0 || v > UINT32_MAX) {
                ctx_fail(&c->h, ERR_FORMAT, "row number '%s' is not a positive integer", r);
                return;
            }
            rn = (uint32_t)v;
        }
        if (rn > x->lim.max_rows) {
            ctx_fail(&c->h, ERR_LIMIT, "row %u is beyond the limit of %u rows", rn, x->lim.max_rows);
            return;
        }
        c->in_row = true;
        c->row = rn;
        c->next_col = 0;
        c->n_cells = 0;
        c->arena.len = 0;
    } else if (strcmp(ln, "c") == 0 && c->in_row) {
        if (c->in_cell) {
            ctx_fail(&c->h, ERR_FORMAT, "<c> inside a cell of row %u", c->row);
            return;
        }
        pending_cell *p = &c->cur;
        memset(p, 0, sizeof *p);
        const char *r = attr(atts, "r");
        p->col = c->next_col;
        if (r) {
            uint32_t col, row;
            if (parse_ref(r, &col, &row) != 0) {
                ctx_fail(&c->h, ERR_FORMAT, "cell reference '%s' is not valid", r);
                return;
            }
            if (row != c->row) {
                ctx_fail(&c->h, ERR_FORMAT, "cell %s inside row %u", r, c->row);
                return;
            }
            p->col = col;
        }
        if (p->col >= x->lim.max_cols) {
            char cn[4];
            ctx_fail(&c->h, ERR_LIMIT, "cell in column %s of row %u is beyond the limit of %u columns",
                     p->col < 18278 ? bs_xlsx_col_name(p->col, cn) : "?", c->row, x->lim.max_cols);
            return;
        }
        const char *t = attr(atts, "t");
        p->t = T_N;
        if (t) {
            if (strcmp(t, "n") == 0)
                p->t = T_N;
            else if (strcmp(t, "s") == 0)
                p->t = T_S;
            else if (strcmp(t, "str") == 0)
                p->t = T_STR;
            else if (strcmp(t, "inlineStr") == 0)
                p->t = T_INLINE;
            else if (strcmp(t, "b") == 0)
                p->t = T_B;
            else if (strcmp(t, "e") == 0)
                p->t = T_E;
            else if (strcmp(t, "d") == 0)
                p->t = T_D;
            else {
                ctx_fail(&c->h, ERR_FORMAT, "cell type t=\"%s\" is not a SpreadsheetML cell type", t);
                return;
            }
        }
        const char *s = attr(atts, "s");
        p->style = s ? strtol(s, NULL, 10) : 0;
        p->off = c->arena.len;
        c->in_cell = true;
        c->in_v = c->in_is_t = false;
        c->in_is = 0;
        c->in_rph = 0;
    } else if (c->in_cell) {
        if (strcmp(ln, "v") == 0) {
            c->in_v = true;
            c->cur.has_v = true;
        } else if (strcmp(ln, "is") == 0) {
            c->in_is++;
            c->cur.has_v = true;
        } else if (strcmp(ln, "rPh") == 0) {
            c->in_rph++;
        } else if (strcmp(ln, "t") == 0 && c->in_is && !c->in_rph) {
            c->in_is_t = true;
        }
    }
}

static void XMLCALL sheet_text(void *ud, const XML_Char *s, int len) {
    sheet_ctx *c = ud;
    if (!c->in_cell || !(c->in_v || c->in_is_t)) return;
    int r = dbuf_add(&c->arena, s, (size_t)len);
    if (r == -1) ctx_fail(&c->h, ERR_LIMIT, "row %u: cell texts longer than the part limit", c->row);
    if (r == -2) ctx_fail(&c->h, ERR_NOMEM, "out of memory");
}

/* Parses an ISO 8601 date or date-time of a t="d" cell. */
static int parse_iso(const char *s, int32_t *day, int32_t *ms) {
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || !bs_date_valid(y, mo, d)) return -1;
    const char *p = s + n;
    if (*p == 'T' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m) != 2) return -1;
        p += 1 + m;
        if (*p == ':') {
            char *end;
            sec = strtod(p + 1, &end);
            p = end;
        }
        if (*p == 'Z') p++;
    }
    if (*p || h > 23 || mi > 59 || sec < 0 || sec >= 61) return -1;
    *day = bs_date_from_ymd(y, mo, d);
    *ms = (int32_t)llround(((h * 60.0 + mi) * 60.0 + sec) * 1000.0);
    if (*ms >= 86400000) *ms = 86399999;
    return 0;
}

static void finish_cell(sheet_ctx *c) {
    bs_xlsx *x = c->h.x;
    pending_cell *p = &c->cur;
    p->len = c->arena.len - p->off;
    const char *txt = c->arena.p ? c->arena.p + p->off : "";
    char ref[16], cn[4];
    snprintf(ref, sizeof ref, "%s%u", bs_xlsx_col_name(p->col, cn), c->row);
    p->type = BS_XLSX_EMPTY;
    if (p->has_v && p->len == 0 && p->t != T_STR && p->t != T_INLINE)
        p->has_v = false; /* <v/>: e.g. a formula without a cached value (openpyxl writes those) */
    if (p->has_v) {
        /* the text in the arena is not NUL-terminated per cell: copy for conversions */
        char num[64];
        size_t nl = p->len < sizeof num - 1 ? p->len : sizeof num - 1;
        memcpy(num, txt, nl);
        num[nl] = 0;
        switch (p->t) {
        case T_N: {
            char *end;
            const char *b = num;
            while (isspace((unsigned char)*b)) b++;
            if (p->len >= sizeof num - 1 || !*b) {
                ctx_fail(&c->h, ERR_FORMAT, "cell %s: number expected", ref);
                return;
            }
            double v = strtod(b, &end);
            while (isspace((unsigned char)*end)) end++;
            if (*end || !isfinite(v)) {
                ctx_fail(&c->h, ERR_FORMAT, "cell %s: number expected, not '%s'", ref, num);
                return;
            }
            p->number = v;
            p->type = BS_XLSX_NUMBER;
            if (p->style >= 0 && (size_t)p->style < x->n_xf && x->xf_date[p->style] &&
                bs_xlsx_serial_to_date(v, x->date1904, &p->day, &p->ms) == 0)
                p->type = BS_XLSX_DATE;
            break;
        }
        case T_S: {
            char *end;
            errno = 0;
            unsigned long i = strtoul(num, &end, 10);
            if (*end || errno || p->len >= sizeof num - 1 || !p->len || i >= x->n_sst) {
                ctx_fail(&c->h, ERR_FORMAT, "cell %s: shared string index '%s' not in the %zu shared strings", ref, num,
                         x->n_sst);
                return;
            }
            p->shared = x->sst[i];
            p->shared_len = x->sst_len[i];
            p->type = BS_XLSX_STRING;
            break;
        }
        case T_STR:
        case T_INLINE: p->type = BS_XLSX_STRING; break;
        case T_B:
            if (strcmp(num, "1") == 0 || strcmp(num, "true") == 0)
                p->number = 1;
            else if (strcmp(num, "0") == 0 || strcmp(num, "false") == 0)
                p->number = 0;
            else {
                ctx_fail(&c->h, ERR_FORMAT, "cell %s: boolean expected, not '%s'", ref, num);
                return;
            }
            p->type = BS_XLSX_BOOL;
            break;
        case T_E: p->type = BS_XLSX_ERROR; break;
        case T_D:
            if (p->len >= sizeof num - 1 || parse_iso(num, &p->day, &p->ms) != 0) {
                ctx_fail(&c->h, ERR_FORMAT, "cell %s: ISO 8601 date expected, not '%s'", ref, num);
                return;
            }
            {
                double base = x->date1904 ? bs_date_from_ymd(1904, 1, 1) : bs_date_from_ymd(1899, 12, 30);
                double serial = (double)p->day - base + p->ms / 86400000.0;
                if (!x->date1904 && serial < 61) serial -= 1;
                p->number = serial;
            }
            p->type = BS_XLSX_DATE;
            break;
        }
    }
    /* the terminating NUL of this cell's text (the next cell appends after it) */
    if (dbuf_add(&c->arena, "", 1) != 0) {
        ctx_fail(&c->h, ERR_LIMIT, "row %u: cell texts longer than the part limit", c->row);
        return;
    }
    if (c->n_cells == c->cap_cells) {
        size_t nc = c->cap_cells ? c->cap_cells * 2 : 16;
        c->cells = bs_realloc(c->cells, nc * sizeof *c->cells);
        c->cap_cells = nc;
    }
    if (c->n_cells && p->col <= c->cells[c->n_cells - 1].col) {
        ctx_fail(&c->h, ERR_FORMAT, "cell %s: columns out of order or repeated in row %u", ref, c->row);
        return;
    }
    c->cells[c->n_cells++] = *p;
    c->next_col = p->col + 1;
}

static void finish_row(sheet_ctx *c) {
    c->last_row = c->row;
    if (!c->n_cells) return;
    if (c->cap_out < c->n_cells) {
        c->out = bs_realloc(c->out, c->n_cells * sizeof *c->out);
        c->cap_out = c->n_cells;
    }
    for (size_t i = 0; i < c->n_cells; i++) {
        const pending_cell *p = &c->cells[i];
        bs_xlsx_cell *o = &c->out[i];
        o->col = p->col;
        o->type = p->type;
        o->number = p->number;
        o->date_day = p->type == BS_XLSX_DATE ? p->day : 0;
        o->date_ms = p->type == BS_XLSX_DATE ? p->ms : 0;
        if (p->shared) {
            o->text = p->shared;
            o->text_len = p->shared_len;
        } else if (p->type == BS_XLSX_EMPTY) {
            o->text = "";
            o->text_len = 0;
        } else {
            o->text = c->arena.p + p->off;
            o->text_len = p->len;
        }
    }
    if (c->cb(c->row, c->out, c->n_cells, c->arg) != 0) {
        c->stopped = true;
        c->h.status = BS_XLSX_STOPPED;
        XML_StopParser(c->h.p, XML_FALSE);
    }
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name) {
    sheet_ctx *c = ud;
    if (c->h.status != BS_XLSX_OK) return;
    const char *ln = local_name(name);
    if (strcmp(ln, "sheetData") == 0) {
        if (c->depth_sheetdata) c->depth_sheetdata--;
    } else if (c->in_cell) {
        if (strcmp(ln, "c") == 0) {
            c->in_cell = false;
            finish_cell(c);
        } else if (strcmp(ln, "v") == 0) {
            c->in_v = false;
        } else if (strcmp(ln, "is") == 0) {
            if (c->in_is) c->in_is--;
        } else if (strcmp(ln, "rPh") == 0) {
            if (c->in_rph) c->in_rph--;
        } else if (strcmp(ln, "t") == 0) {
            c->in_is_t = false;
        }
    } else if (strcmp(ln, "row") == 0 && c->in_row) {
        c->in_row = false;
        finish_row(c);
    }
}

int bs_xlsx_read_rows(bs_xlsx *x, int sheet, bs_xlsx_row_cb cb, void *arg, bs_err *err) {
    if (!x || !cb) return set_err(err, ERR_ARG, "invalid argument");
    if (sheet < 0 || sheet >= x->n_sheets)
        return set_err(err, ERR_ARG, "no sheet %d (the workbook has %d)", sheet, x->n_sheets);
    sheet_ctx c = {0};
    c.cb = cb;
    c.arg = arg;
    c.arena.max = x->lim.max_part_bytes;
    int rc = parse_part(x, x->sheet_paths[sheet], &c.h, sheet_start, sheet_end, sheet_text, err);
    if (rc == BS_XLSX_STOPPED) {
        if (err) *err = (bs_err){0};
        rc = BS_XLSX_STOPPED;
    }
    free(c.cells);
    free(c.out);
    free(c.arena.p);
    return rc;
}
