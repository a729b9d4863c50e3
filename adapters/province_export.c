/*
 * Province exports: quality checks, per-year counts, GeoJSON and CSV writers.
 * See province_export.h and docs/exports.md.
 */
#include "province_export.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "block_rules.h"

static const char *const count_names[BS_PC_COUNT] = {
    "homes_remaining",       "demolition",
    "completions_2019",      "completions_2020_2024",
    "completions_2025_2029", "completions_2030_2050",
    "completions_unknown",   "type_grondgebonden",
    "type_appartement",      "type_onbekend",
    "tenure_koop",           "tenure_huur",
    "tenure_onbekend",       "koop_price_min_cents",
    "koop_price_max_cents",  "huur_rent_min_cents",
    "huur_rent_max_cents",
};

static const char *const qc_names[BS_QC_COUNT] = {"mandatory",   "code_list",       "counts",
                                                  "price_class", "confidentiality", "geometry"};

/* The 33 count columns in their order (docs/exports.md §3). */
// clang-format off
/* one row per building type, as in the export's column order */
#define CELL_LIST(X, P) \
    X(P, eengezins_koop1) X(P, eengezins_koop2) X(P, eengezins_koop3) X(P, eengezins_koop4) \
    X(P, eengezins_koop_onb) X(P, eengezins_huur1) X(P, eengezins_huur2) X(P, eengezins_huur3) \
    X(P, eengezins_huur4) X(P, eengezins_huur_onb) X(P, eengezins_onbekend) \
    X(P, meergezins_koop1) X(P, meergezins_koop2) X(P, meergezins_koop3) X(P, meergezins_koop4) \
    X(P, meergezins_koop_onb) X(P, meergezins_huur1) X(P, meergezins_huur2) X(P, meergezins_huur3) \
    X(P, meergezins_huur4) X(P, meergezins_huur_onb) X(P, meergezins_onbekend) \
    X(P, onbekend_koop1) X(P, onbekend_koop2) X(P, onbekend_koop3) X(P, onbekend_koop4) \
    X(P, onbekend_koop_onb) X(P, onbekend_huur1) X(P, onbekend_huur2) X(P, onbekend_huur3) \
    X(P, onbekend_huur4) X(P, onbekend_huur_onb) X(P, onbekend_onbekend)
// clang-format on
#define CELL_NAME(P, n) #P #n,

static const char *const cell_names[BS_EXPORT_N_CELLS] = {CELL_LIST(CELL_NAME, )};

const char *bs_plan_count_name(bs_plan_count c) {
    return (unsigned)c < BS_PC_COUNT ? count_names[c] : "?";
}

const char *bs_qc_name(bs_qc_kind k) {
    return (unsigned)k < BS_QC_COUNT ? qc_names[k] : "?";
}

const char *bs_export_cell_name(int c) {
    return c >= 0 && c < BS_EXPORT_N_CELLS ? cell_names[c] : "?";
}

/* ---- plan records from JSON ---- */

static char *dup_or_null(const char *s) {
    if (!s) return NULL;
    char *r = bs_strdup(s);
    return r;
}

void bs_export_plans_free(bs_export_plan *plans, int n) {
    for (int i = 0; plans && i < n; i++) {
        bs_export_plan *p = &plans[i];
        free(p->id);
        free(p->source_key);
        free(p->name);
        free(p->gemeente);
        free(p->provincie);
        free(p->plantype);
        free(p->planstatus);
        free(p->confidentiality);
        free(p->progress_date);
        free(p->geometry_crs);
        json_decref(p->geometry);
        json_decref(p->plusvelden);
        json_decref(p->blocks);
    }
    free(plans);
}

int bs_export_plans_from_json(const json_t *array, bs_export_plan **plans, int *n, bs_err *err) {
    *plans = NULL;
    *n = 0;
    if (!json_is_array(array)) {
        return bs_err_set(err, BS_EINVAL, NULL, "plan records: a JSON array is required");
    }
    size_t cnt = json_array_size(array);
    bs_export_plan *ps = bs_calloc(cnt ? cnt : 1, sizeof *ps);
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"id", offsetof(bs_export_plan, id)},
        {"source_key", offsetof(bs_export_plan, source_key)},
        {"name", offsetof(bs_export_plan, name)},
        {"gemeente", offsetof(bs_export_plan, gemeente)},
        {"provincie", offsetof(bs_export_plan, provincie)},
        {"plantype", offsetof(bs_export_plan, plantype)},
        {"planstatus", offsetof(bs_export_plan, planstatus)},
        {"confidentiality", offsetof(bs_export_plan, confidentiality)},
        {"progress_date", offsetof(bs_export_plan, progress_date)},
        {"geometry_crs", offsetof(bs_export_plan, geometry_crs)},
    };
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(array, i);
        bs_export_plan *p = &ps[i];
        for (int c = 0; c < BS_PC_COUNT; c++) p->count[c] = BS_EXPORT_MISSING;
        if (!json_is_object(o)) {
            bs_export_plans_free(ps, (int)cnt);
            return bs_err_set(err, BS_EINVAL, NULL, "plan records[%zu]: an object is required", i);
        }
        for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++) {
            json_t *v = json_object_get(o, strs[k].name);
            if (!v || json_is_null(v)) continue;
            char buf[32];
            const char *s = json_string_value(v);
            if (!s && json_is_integer(v)) { /* source keys may come as numbers */
                snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                s = buf;
            }
            if (!s) {
                bs_export_plans_free(ps, (int)cnt);
                return bs_err_set(err, BS_EINVAL, NULL, "plan records[%zu].%s: a string is required", i, strs[k].name);
            }
            *(char **)((char *)p + strs[k].off) = dup_or_null(s);
        }
        for (int c = 0; c < BS_PC_COUNT; c++) {
            json_t *v = json_object_get(o, count_names[c]);
            if (!v || json_is_null(v)) continue;
            if (!json_is_integer(v)) {
                bs_export_plans_free(ps, (int)cnt);
                return bs_err_set(err, BS_EINVAL, NULL, "plan records[%zu].%s: an integer or null is required", i,
                                  count_names[c]);
            }
            p->count[c] = json_integer_value(v);
            if (p->count[c] == BS_EXPORT_MISSING) p->count[c]++; /* keep the sentinel free */
        }
        json_t *pv = json_object_get(o, "plusvelden");
        if (json_is_object(pv)) p->plusvelden = json_incref(pv);
        json_t *bl = json_object_get(o, "blocks");
        if (json_is_array(bl))
            p->blocks = json_incref(bl);
        else if (bl && !json_is_null(bl)) {
            bs_export_plans_free(ps, (int)cnt);
            return bs_err_set(err, BS_EINVAL, NULL, "plan records[%zu].blocks: an array or null is required", i);
        }
        json_t *g = json_object_get(o, "geometry");
        if (json_is_object(g))
            p->geometry = json_incref(g);
        else if (g && !json_is_null(g)) {
            bs_export_plans_free(ps, (int)cnt);
            return bs_err_set(err, BS_EINVAL, NULL, "plan records[%zu].geometry: an object or null is required", i);
        }
    }
    *plans = ps;
    *n = (int)cnt;
    return 0;
}

/* ---- checks and counts ---- */

__attribute__((format(printf, 3, 4))) static void issue(bs_export_item *it, bs_qc_kind kind, const char *fmt, ...) {
    if (it->n_issues == BS_EXPORT_MAX_ISSUES) return;
    bs_export_issue *is = &it->issues[it->n_issues++];
    is->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->text, sizeof is->text, fmt, ap);
    va_end(ap);
}

static const char *field_value(const bs_export_plan *p, bs_export_field f) {
    switch (f) {
    case BS_EF_PLAN_ID: return p->id;
    case BS_EF_OBJECTID: return p->source_key;
    case BS_EF_PLANNAAM: return p->name;
    case BS_EF_GEMEENTE: return p->gemeente;
    case BS_EF_PROVINCIE: return p->provincie;
    case BS_EF_PLANTYPE: return p->plantype;
    case BS_EF_STATUS_PLANOLOGISCH: return p->planstatus;
    case BS_EF_VERTROUWELIJKHEID: return p->confidentiality;
    case BS_EF_PEILDATUM: return p->progress_date;
    default: return NULL;
    }
}

void bs_export_spread(int64_t total, int n_years, int64_t *out) {
    int64_t base = total / n_years;
    for (int i = 0; i < n_years; i++) out[i] = base;
    out[n_years - 1] += total - base * n_years;
}

/* A split (n parts) of total N: the parts as used (missing → 0; all missing → all in the
 * unknown part, the last one). Returns 0, 1 when a negative value discarded the split
 * (all in the unknown part), -1 when the parts do not add up to N (sum in *sum). */
static int take_split(const int64_t *v, int n, int64_t N, int64_t *out, int64_t *sum) {
    int missing = 0;
    bool negative = false;
    *sum = 0;
    for (int i = 0; i < n; i++) {
        if (v[i] == BS_EXPORT_MISSING) {
            missing++;
            out[i] = 0;
        } else {
            out[i] = v[i];
            if (v[i] < 0) negative = true;
        }
        *sum += out[i];
    }
    if (missing == n) {
        for (int i = 0; i < n; i++) out[i] = 0;
        out[n - 1] = N;
        *sum = N;
        return 0;
    }
    if (*sum != N) return -1;
    if (negative) {
        for (int i = 0; i < n; i++) out[i] = 0;
        out[n - 1] = N;
        return 1;
    }
    return 0;
}

static void euros(int64_t cents, char *buf, size_t len) {
    snprintf(buf, len, "%" PRId64 ".%02" PRId64 " euro", cents / 100, cents % 100);
}

/* The price class of a range [min, max] (count indexes); 0 when none or no table. */
static int price_class(const bs_export_plan *p, bs_export_item *it, bs_plan_count cmin, bs_plan_count cmax,
                       const char *what, const int64_t *lower) {
    int64_t lo = p->count[cmin], hi = p->count[cmax];
    if (lo == BS_EXPORT_MISSING && hi == BS_EXPORT_MISSING) return 0;
    if (lo == BS_EXPORT_MISSING || hi == BS_EXPORT_MISSING) {
        issue(it, BS_QC_PRICE_CLASS, "%s price range: both %s and %s are needed", what, count_names[cmin],
              count_names[cmax]);
        return 0;
    }
    if (lo < 0 || hi < lo) {
        issue(it, BS_QC_PRICE_CLASS, "%s price range: %s must be >= 0 and <= %s", what, count_names[cmin],
              count_names[cmax]);
        return 0;
    }
    if (!lower) return 0;
    int a = bs_price_class_of(lower, lo), b = bs_price_class_of(lower, hi);
    if (a != b) {
        char l[40], h[40], vf[11];
        euros(lo, l, sizeof l);
        euros(hi, h, sizeof h);
        issue(it, BS_QC_PRICE_CLASS, "%s price range %s to %s spans %s%d to %s%d (price table of %s from %s)", what, l,
              h, what, a, what, b, p->provincie, bs_date_format(it->prices->valid_from, vf));
        return 0;
    }
    return a;
}

/* Allocates the year totals y[0..n_years) over the cell totals (sum of y == sum of cells):
 * year by year, the year's total proportionally to what is left of each cell, largest
 * remainder first (ties: lower cell index). Rows and columns both add up exactly. */
static void allocate(const int64_t *cells_in, const int64_t *years, int n_years, int64_t (*out)[BS_EXPORT_N_CELLS]) {
    int64_t rem[BS_EXPORT_N_CELLS], m = 0;
    for (int c = 0; c < BS_EXPORT_N_CELLS; c++) {
        rem[c] = cells_in[c];
        m += rem[c];
    }
    for (int y = 0; y < n_years; y++) {
        int64_t Y = years[y], frac[BS_EXPORT_N_CELLS], given = 0;
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) out[y][c] = 0;
        if (Y == 0 || m == 0) continue;
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) {
            /* rem[c] * Y fits: both < 2^31 */
            out[y][c] = rem[c] * Y / m;
            frac[c] = rem[c] * Y % m;
            given += out[y][c];
        }
        for (int64_t left = Y - given; left > 0; left--) {
            int best = -1;
            for (int c = 0; c < BS_EXPORT_N_CELLS; c++)
                if (frac[c] > 0 && (best < 0 || frac[c] > frac[best])) best = c;
            if (best < 0) break; /* cannot happen: the remainders add up to left * m */
            out[y][best]++;
            frac[best] = 0;
        }
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) rem[c] -= out[y][c];
        m -= Y;
    }
}

#define N_YEAR_SLOTS (BS_EXPORT_LAST_YEAR - BS_EXPORT_FIRST_YEAR + 2) /* 2019..2050 + unknown */

static void derive_rows(const bs_export_plan *p, bs_export_item *it) {
    int64_t N = p->count[BS_PC_HOMES_REMAINING];
    int64_t S = p->count[BS_PC_DEMOLITION] == BS_EXPORT_MISSING ? 0 : -p->count[BS_PC_DEMOLITION];
    int64_t type[3], ten[3], per[5], sum;
    int rt = take_split(&p->count[BS_PC_TYPE_GRONDGEBONDEN], 3, N, type, &sum);
    int rr = take_split(&p->count[BS_PC_TENURE_KOOP], 3, N, ten, &sum);
    int rp = take_split(&p->count[BS_PC_C2019], 5, N, per, &sum);
    if (rt == 1) it->notes |= BS_NOTE_TYPE_DISCARDED;
    if (rr == 1) it->notes |= BS_NOTE_TENURE_DISCARDED;
    if (rp == 1) it->notes |= BS_NOTE_PERIOD_DISCARDED;
    /* joint split over the 33 cells */
    int64_t cells[BS_EXPORT_N_CELLS] = {0};
    int tcol[3] = {it->koop_class ? it->koop_class - 1 : 4, it->huur_class ? 4 + it->huur_class : 9, 10};
    int nz_t = 0, nz_r = 0;
    for (int i = 0; i < 3; i++) {
        nz_t += type[i] != 0;
        nz_r += ten[i] != 0;
    }
    if (N > 0) {
        if (nz_t <= 1 || nz_r <= 1) {
            for (int t = 0; t < 3; t++)
                for (int r = 0; r < 3; r++) cells[t * BS_EXPORT_N_TENURE_COLS + tcol[r]] += type[t] * ten[r] / N;
        } else {
            it->notes |= BS_NOTE_JOINT_UNKNOWN;
            for (int t = 0; t < 3; t++) cells[t * BS_EXPORT_N_TENURE_COLS + 10] = type[t];
        }
    }
    /* year totals */
    int64_t years[N_YEAR_SLOTS] = {0};
    bool est[N_YEAR_SLOTS] = {0};
    years[0] = per[0];
    static const struct { int first, n, part; } spans[] = {{2020, 5, 1}, {2025, 5, 2}, {2030, 21, 3}};
    for (int s = 0; s < 3; s++) {
        bs_export_spread(per[spans[s].part], spans[s].n, &years[spans[s].first - BS_EXPORT_FIRST_YEAR]);
        if (per[spans[s].part] > 0) {
            it->notes |= BS_NOTE_SPREAD;
            for (int k = 0; k < spans[s].n; k++) est[spans[s].first - BS_EXPORT_FIRST_YEAR + k] = true;
        }
    }
    years[N_YEAR_SLOTS - 1] = per[4];
    int64_t(*alloc)[BS_EXPORT_N_CELLS] = bs_calloc(N_YEAR_SLOTS, sizeof *alloc);
    allocate(cells, years, N_YEAR_SLOTS, alloc);
    it->rows = bs_calloc(N_YEAR_SLOTS, sizeof *it->rows);
    for (int y = 0; y < N_YEAR_SLOTS; y++) {
        bool unknown = y == N_YEAR_SLOTS - 1;
        if (years[y] == 0 && !(unknown && S > 0)) continue;
        bs_export_row *row = &it->rows[it->n_rows++];
        row->year = unknown ? 0 : BS_EXPORT_FIRST_YEAR + y;
        row->estimated = est[y];
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) row->build[c] = (int32_t)alloc[y][c];
        if (unknown) row->sloop[2 * BS_EXPORT_N_TENURE_COLS + 10] = (int32_t)S;
    }
    free(alloc);
}

/* ---- counts from blocks (docs/exports.md §4.6) ---- */

/* One block of a plan record, as the derivation uses it. */
typedef struct ex_block {
    int64_t homes;        /* > 0, or < 0 for a correction block */
    bool sloop;           /* kind sloop: counted in the sloop_ columns */
    int cell;             /* 0..32: type × tenure/price column */
    const json_t *spread; /* spread_homes [[year, homes], …], or NULL */
    int from, to;         /* period, 0 = none */
} ex_block;

/* The tenure/price column (0..10) of a block's tenure and price class: the class as is, onbekend
 * as the plan counts' rule (the plan's koop/huur class of its price range, else *_onb; tenure
 * onbekend → onbekend). -1 when the class is not one of the tenure's (or unknown). */
static int block_tenure_col(const char *tenure, const char *pc, const bs_export_item *it) {
    bool koop = strcmp(tenure, "koop") == 0, huur = strcmp(tenure, "huur") == 0;
    if (!koop && !huur && strcmp(tenure, "onbekend") != 0) return -1;
    if (strcmp(pc, "onbekend") == 0)
        return koop ? (it->koop_class ? it->koop_class - 1 : 4) : huur ? (it->huur_class ? 4 + it->huur_class : 9) : 10;
    if (strcmp(pc, "koop_onb") == 0) return koop ? 4 : -1;
    if (strcmp(pc, "huur_onb") == 0) return huur ? 9 : -1;
    if (strlen(pc) == 5 && pc[4] >= '1' && pc[4] <= '4') {
        if (koop && strncmp(pc, "koop", 4) == 0) return pc[4] - '1';
        if (huur && strncmp(pc, "huur", 4) == 0) return 5 + pc[4] - '1';
    }
    return -1;
}

static int year_or_0(const json_t *v) {
    json_int_t y = json_integer_value(v);
    return json_is_integer(v) && y >= 1900 && y <= 2200 ? (int)y : 0;
}

/* Reads and checks block j of a plan record into *b; false (with issues on it) when invalid. */
static bool read_block(const json_t *o, int j, bs_export_item *it, ex_block *b) {
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const char *type = json_string_value(json_object_get(o, "home_type"));
    const char *tenure = json_string_value(json_object_get(o, "tenure"));
    const char *pc = json_string_value(json_object_get(o, "price_class"));
    json_t *h = json_object_get(o, "homes");
    int n0 = it->n_issues, t = bs_block_code_index(type, BS_BLOCK_HOME_TYPES); /* its column group */
    memset(b, 0, sizeof *b);
    b->homes = json_integer_value(h);
    if (!json_is_integer(h) || b->homes == 0 || b->homes > INT32_MAX / 2 || b->homes < -(INT32_MAX / 2) ||
        (b->homes < 0 && !json_is_true(json_object_get(o, "correction"))))
        issue(it, BS_QC_COUNTS, "blocks[%d].homes: a positive number of homes (negative only in a correction block)",
              j);
    if (bs_block_code_index(kind, BS_BLOCK_KINDS) < 0)
        issue(it, BS_QC_COUNTS, "blocks[%d].kind: nieuwbouw, transformatie or sloop", j);
    if (t < 0) issue(it, BS_QC_COUNTS, "blocks[%d].home_type: grondgebonden, meergezins or onbekend", j);
    int r = tenure && pc ? block_tenure_col(tenure, pc, it) : -1;
    if (r < 0)
        issue(it, BS_QC_PRICE_CLASS, "blocks[%d].price_class: '%s' is not a price class of tenure '%s'", j,
              pc ? pc : "(none)", tenure ? tenure : "(none)");
    b->sloop = kind && strcmp(kind, "sloop") == 0;
    b->cell = t * BS_EXPORT_N_TENURE_COLS + r;
    json_t *sp = json_object_get(o, "spread_homes");
    b->spread = json_array_size(sp) > 0 ? sp : NULL;
    for (size_t k = 0; b->spread && k < json_array_size(sp); k++)
        if (!year_or_0(json_array_get(json_array_get(sp, k), 0)) ||
            !json_is_integer(json_array_get(json_array_get(sp, k), 1)))
            issue(it, BS_QC_COUNTS, "blocks[%d].spread_homes[%zu]: [year 1900..2200, homes] expected", j, k);
    b->from = year_or_0(json_object_get(o, "period_from"));
    b->to = year_or_0(json_object_get(o, "period_to"));
    if (!b->from || !b->to || b->to < b->from) b->from = b->to = 0;
    return it->n_issues == n0;
}

/* The per-year table of a plan's blocks: slots lo..lo+n_years-1, then the unknown year. */
typedef struct year_table {
    int lo, n_years;                     /* n_years 0: only the unknown year */
    int64_t (*build)[BS_EXPORT_N_CELLS]; /* [n_years + 1] */
    int64_t (*sloop)[BS_EXPORT_N_CELLS];
    bool *est; /* [n_years + 1] geschat */
} year_table;

static int slot_of(const year_table *yt, int year) {
    return year ? year - yt->lo : yt->n_years;
}

/* Spreads the blocks of one period [from, to] and kind (sloop or not) that are not yet counted
 * (done[]) over its years: the period total by the §4.1 rule, the cells over the years by
 * allocate (§4.4), as the plan counts' periods. */
static void count_period(const ex_block *bl, int n, int first, bool *done, year_table *yt) {
    int from = bl[first].from, to = bl[first].to, ny = to - from + 1;
    bool sl = bl[first].sloop;
    int64_t cells[BS_EXPORT_N_CELLS] = {0}, total = 0;
    for (int j = first; j < n; j++)
        if (!done[j] && bl[j].homes > 0 && !bl[j].spread && bl[j].from == from && bl[j].to == to && bl[j].sloop == sl) {
            cells[bl[j].cell] += bl[j].homes;
            total += bl[j].homes;
            done[j] = true;
        }
    int64_t *years = bs_calloc((size_t)ny, sizeof *years);
    int64_t(*out)[BS_EXPORT_N_CELLS] = bs_calloc((size_t)ny, sizeof *out);
    bs_export_spread(total, ny, years);
    allocate(cells, years, ny, out);
    int64_t(*t)[BS_EXPORT_N_CELLS] = sl ? yt->sloop : yt->build;
    for (int k = 0; k < ny; k++) {
        if (years[k] > 0 && ny > 1) yt->est[slot_of(yt, from + k)] = true;
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) t[slot_of(yt, from + k)][c] += out[k][c];
    }
    free(years);
    free(out);
}

/* Takes amount homes of a correction block (cell own) out of the table t: from slot first, then
 * the unknown year, then the years from the last back; within a year from the own cell first,
 * then from the largest cell (ties: the earlier column). Returns what could not be taken. */
static int64_t net_correction(const year_table *yt, int64_t (*t)[BS_EXPORT_N_CELLS], int first, int own,
                              int64_t amount) {
    for (int k = -1; k <= yt->n_years && amount > 0; k++) {
        int s = k < 0 ? first : yt->n_years - k; /* first, unknown, last year, …, first year */
        if (k >= 0 && s == first) continue;
        int64_t *row = t[s];
        int64_t take = row[own] < amount ? row[own] : amount;
        row[own] -= take;
        amount -= take;
        while (amount > 0) {
            int best = 0;
            for (int c = 1; c < BS_EXPORT_N_CELLS; c++)
                if (row[c] > row[best]) best = c;
            if (row[best] == 0) break;
            take = row[best] < amount ? row[best] : amount;
            row[best] -= take;
            amount -= take;
        }
    }
    return amount;
}

/* Counts the correction blocks (negative homes) against the others (§4.6). false with an issue
 * when the blocks net to fewer than 0 homes. */
static bool count_corrections(const ex_block *bl, int n, year_table *yt, bs_export_item *it) {
    int64_t left = 0;
    for (int j = 0; j < n; j++) {
        const ex_block *b = &bl[j];
        if (b->homes >= 0) continue;
        int64_t(*t)[BS_EXPORT_N_CELLS] = b->sloop ? yt->sloop : yt->build;
        size_t k;
        json_t *e;
        if (b->spread) {
            json_array_foreach(b->spread, k, e) {
                left += net_correction(yt, t, slot_of(yt, year_or_0(json_array_get(e, 0))), b->cell,
                                       -json_integer_value(json_array_get(e, 1)));
            }
        } else {
            int first = b->from ? slot_of(yt, b->to) : yt->n_years;
            left += net_correction(yt, t, first, b->cell, -b->homes);
        }
    }
    if (left > 0)
        issue(it, BS_QC_COUNTS, "blocks: the correction blocks take %" PRId64 " homes more than the other blocks give",
              left);
    return left == 0;
}

/* The year range of a plan's blocks (spread years, periods) into yt->lo, n_years. */
static void year_range(const ex_block *bl, int n, year_table *yt) {
    int lo = 0, hi = 0;
    for (int j = 0; j < n; j++) {
        int ys[4] = {bl[j].from, bl[j].to, 0, 0};
        size_t k;
        json_t *e;
        json_array_foreach(bl[j].spread, k, e) {
            ys[3] = year_or_0(json_array_get(e, 0));
            if (ys[3] && (!lo || ys[3] < lo)) lo = ys[3];
            if (ys[3] > hi) hi = ys[3];
        }
        for (int i = 0; i < 3; i++) {
            if (ys[i] && (!lo || ys[i] < lo)) lo = ys[i];
            if (ys[i] > hi) hi = ys[i];
        }
    }
    yt->lo = lo;
    yt->n_years = lo ? hi - lo + 1 : 0;
}

/* The table's rows (years with a count, ascending, the unknown year last) into the item. */
static void emit_rows(const year_table *yt, bs_export_item *it) {
    it->rows = bs_calloc((size_t)yt->n_years + 1, sizeof *it->rows);
    for (int s = 0; s <= yt->n_years; s++) {
        bool any = false;
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) any |= yt->build[s][c] != 0 || yt->sloop[s][c] != 0;
        if (!any) continue;
        bs_export_row *row = &it->rows[it->n_rows++];
        row->year = s == yt->n_years ? 0 : yt->lo + s;
        row->estimated = yt->est[s];
        if (row->estimated) it->notes |= BS_NOTE_BLOCK_SPREAD;
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) {
            row->build[c] = (int32_t)yt->build[s][c];
            row->sloop[c] = (int32_t)yt->sloop[s][c];
            it->homes += yt->build[s][c];
            it->demolished += yt->sloop[s][c];
        }
    }
}

/* The per-year counts of a plan from its blocks (docs/exports.md §4.6): checks every block
 * (issues named blocks[j].member), then counts each block in its years — the shares of its
 * spread (geschat); else its period, spread as the plan counts' periods (geschat when the period
 * has several years); else the unknown year — and nets the correction blocks. Rows into it->rows. */
static void derive_blocks(const bs_export_plan *p, bs_export_item *it) {
    int n = (int)json_array_size(p->blocks), n0 = it->n_issues;
    ex_block *bl = bs_calloc((size_t)n, sizeof *bl);
    bool *done = bs_calloc((size_t)n, sizeof *done);
    int64_t sum = 0;
    for (int j = 0; j < n; j++)
        if (read_block(json_array_get(p->blocks, (size_t)j), j, it, &bl[j]))
            sum += bl[j].homes < 0 ? -bl[j].homes : bl[j].homes;
    if (sum > INT32_MAX / 2) issue(it, BS_QC_COUNTS, "blocks: implausibly many homes (%" PRId64 ")", sum);
    it->from_blocks = true;
    year_table yt = {0};
    if (it->n_issues == n0) {
        year_range(bl, n, &yt);
        yt.build = bs_calloc((size_t)yt.n_years + 1, sizeof *yt.build);
        yt.sloop = bs_calloc((size_t)yt.n_years + 1, sizeof *yt.sloop);
        yt.est = bs_calloc((size_t)yt.n_years + 1, sizeof *yt.est);
        for (int j = 0; j < n; j++) {
            const ex_block *b = &bl[j];
            int64_t(*t)[BS_EXPORT_N_CELLS] = b->sloop ? yt.sloop : yt.build;
            size_t k;
            json_t *e;
            if (b->homes < 0 || done[j]) continue;
            if (b->spread) {
                json_array_foreach(b->spread, k, e) {
                    int s = slot_of(&yt, year_or_0(json_array_get(e, 0)));
                    t[s][b->cell] += json_integer_value(json_array_get(e, 1));
                    yt.est[s] = true; /* a share of the block's homes */
                }
            } else if (b->from) {
                count_period(bl, n, j, done, &yt);
            } else {
                t[yt.n_years][b->cell] += b->homes; /* no year: the unknown year */
            }
        }
        if (count_corrections(bl, n, &yt, it)) emit_rows(&yt, it);
        /* blocks that net to nothing report as a plan with nothing to build (no note), as the
         * plan counts would; so the Planmonitor workbook reads back the same (docs/exchange.md) */
        if (it->n_rows) it->notes |= BS_NOTE_BLOCKS;
    }
    free(yt.build);
    free(yt.sloop);
    free(yt.est);
    free(done);
    free(bl);
}

void bs_export_check_plan(const bs_province_config *config, const bs_export_profile *profile, const bs_export_plan *p,
                          bs_day date, bs_export_item *it) {
    int plan = it->plan;
    memset(it, 0, sizeof *it);
    it->plan = plan;
    /* a plan with blocks is counted from them (§4.6): aantal_rest and sloop are theirs */
    bool blocks = json_array_size(p->blocks) > 0;
    /* mandatory values */
    for (int f = 0; f < BS_EF_COUNT; f++) {
        if (!profile->mandatory[f] || f == BS_EF_GEOMETRY) continue;
        bool missing = f == BS_EF_AANTAL_REST ? !blocks && p->count[BS_PC_HOMES_REMAINING] == BS_EXPORT_MISSING
                                              : (!field_value(p, f) || !*field_value(p, f));
        if (missing) issue(it, BS_QC_MANDATORY, "%s: mandatory value missing", bs_export_field_name(f));
    }
    /* code lists */
    static const struct {
        bs_export_field f;
        const char *list;
    } coded[] = {{BS_EF_PLANTYPE, "plantype"},
                 {BS_EF_STATUS_PLANOLOGISCH, "status_planologisch"},
                 {BS_EF_VERTROUWELIJKHEID, "vertrouwelijkheid"}};
    for (size_t i = 0; i < sizeof coded / sizeof coded[0]; i++) {
        const char *v = field_value(p, coded[i].f);
        if (!v || !*v) continue;
        if (!bs_code_list_has(bs_province_config_code_list(config, coded[i].list), v))
            issue(it, BS_QC_CODE_LIST, "%s: '%s' is not in the code list", bs_export_field_name(coded[i].f), v);
    }
    bs_day d;
    if (p->progress_date && *p->progress_date && bs_date_parse(p->progress_date, &d) != 0)
        issue(it, BS_QC_MANDATORY, "peildatum: '%s' is not a date YYYY-MM-DD", p->progress_date);
    /* confidentiality */
    int rank = bs_confidentiality_rank(p->confidentiality);
    if (rank >= 0 && rank < profile->min_confidentiality) {
        const bs_code_list *cl = bs_province_config_code_list(config, "vertrouwelijkheid");
        const char *min = "?";
        for (int i = 0; cl && i < cl->n_values; i++)
            if (bs_confidentiality_rank(cl->values[i]) == profile->min_confidentiality) min = cl->values[i];
        issue(it, BS_QC_CONFIDENTIALITY, "vertrouwelijkheid '%s' is below '%s', the lowest level the province may see",
              p->confidentiality, min);
    }
    /* geometry */
    if (profile->mandatory[BS_EF_GEOMETRY]) {
        if (!p->geometry)
            issue(it, BS_QC_GEOMETRY, "geometry missing");
        else if (!json_is_string(json_object_get(p->geometry, "type")) ||
                 !json_is_array(json_object_get(p->geometry, "coordinates")))
            issue(it, BS_QC_GEOMETRY, "geometry is not a GeoJSON geometry (type and coordinates)");
        else if (!p->geometry_crs || strcmp(p->geometry_crs, profile->crs) != 0)
            issue(it, BS_QC_GEOMETRY, "geometry is in %s, the export needs %s",
                  p->geometry_crs ? p->geometry_crs : "an unknown CRS", profile->crs);
    }
    /* counts */
    int64_t N = p->count[BS_PC_HOMES_REMAINING];
    bool counts_ok = true;
    if (blocks) {
        /* checked on the blocks (derive_blocks) */
    } else if (N == BS_EXPORT_MISSING) {
        if (!profile->mandatory[BS_EF_AANTAL_REST]) issue(it, BS_QC_COUNTS, "aantal_rest missing: nothing to count");
        counts_ok = false;
    } else if (N < 0) {
        issue(it, BS_QC_COUNTS, "aantal_rest is negative (%" PRId64 ")", N);
        counts_ok = false;
    } else if (N > INT32_MAX / 2) {
        issue(it, BS_QC_COUNTS, "aantal_rest is implausibly large (%" PRId64 ")", N);
        counts_ok = false;
    } else {
        static const struct {
            bs_plan_count first;
            int n;
            const char *what;
        } splits[] = {{BS_PC_C2019, 5, "completions per period"},
                      {BS_PC_TYPE_GRONDGEBONDEN, 3, "house types"},
                      {BS_PC_TENURE_KOOP, 3, "tenures"}};
        for (size_t s = 0; s < 3; s++) {
            int64_t tmp[5], sum;
            if (take_split(&p->count[splits[s].first], splits[s].n, N, tmp, &sum) < 0) {
                issue(it, BS_QC_COUNTS, "%s add up to %" PRId64 ", aantal_rest is %" PRId64, splits[s].what, sum, N);
                counts_ok = false;
            }
        }
    }
    int64_t dem = p->count[BS_PC_DEMOLITION];
    if (!blocks && dem != BS_EXPORT_MISSING && (dem > 0 || dem < -(int64_t)(INT32_MAX / 2))) {
        issue(it, BS_QC_COUNTS, "sloop is %" PRId64 ": demolition is written as a negative number or 0", dem);
        counts_ok = false;
    }
    /* price classes */
    it->prices = bs_price_table_at(config, p->provincie, date);
    if (!it->prices) it->notes |= BS_NOTE_NO_PRICE_TABLE;
    it->koop_class = price_class(p, it, BS_PC_KOOP_PRICE_MIN, BS_PC_KOOP_PRICE_MAX, "koop",
                                 it->prices ? it->prices->koop_lower_cents : NULL);
    it->huur_class = price_class(p, it, BS_PC_HUUR_RENT_MIN, BS_PC_HUUR_RENT_MAX, "huur",
                                 it->prices ? it->prices->huur_lower_cents : NULL);
    if (blocks) derive_blocks(p, it);
    it->included = it->n_issues == 0;
    if (!it->included) {
        free(it->rows);
        it->rows = NULL;
        it->n_rows = 0;
    } else if (!blocks && counts_ok)
        derive_rows(p, it);
}

void bs_export_free(bs_export *ex) {
    for (int i = 0; ex->items && i < ex->n_items; i++) free(ex->items[i].rows);
    free(ex->items);
    free(ex->detail);
    free(ex->errors);
    memset(ex, 0, sizeof *ex);
}

int bs_export_build(const bs_province_config *config, const bs_export_profile *profile, const bs_export_plan *plans,
                    int n, bs_day date, bs_export *out) {
    memset(out, 0, sizeof *out);
    out->profile = profile;
    out->config = config;
    out->plans = plans;
    out->date = date;
    out->items = bs_calloc(n > 0 ? (size_t)n : 1, sizeof *out->items);
    for (int i = 0; i < n; i++) {
        if (!bs_export_profile_covers(profile, plans[i].provincie)) {
            out->n_out_of_scope++;
            continue;
        }
        bs_export_item *it = &out->items[out->n_items++];
        it->plan = i;
        bs_export_check_plan(config, profile, &plans[i], date, it);
        if (it->included) {
            out->n_included++;
            out->n_detail += it->n_rows;
        } else {
            out->n_left_out++;
            out->n_errors += it->n_issues;
            bool seen[BS_QC_COUNT] = {0};
            for (int k = 0; k < it->n_issues; k++) seen[it->issues[k].kind] = true;
            for (int k = 0; k < BS_QC_COUNT; k++) out->left_out_by[k] += seen[k];
        }
    }
    out->detail = bs_calloc((size_t)out->n_detail + 1, sizeof *out->detail);
    out->errors = bs_calloc((size_t)out->n_errors + 1, sizeof *out->errors);
    int d = 0, e = 0;
    for (int i = 0; i < out->n_items; i++) {
        const bs_export_item *it = &out->items[i];
        for (int r = 0; it->included && r < it->n_rows; r++) {
            out->detail[d].item = i;
            out->detail[d++].row = r;
        }
        for (int k = 0; !it->included && k < it->n_issues; k++) {
            out->errors[e].item = i;
            out->errors[e++].issue = k;
        }
    }
    return 0;
}

/* ---- tables ---- */

static const char *const plan_cols[] = {
    "plan_id",
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
};
#define N_PLAN_COLS ((int)(sizeof plan_cols / sizeof plan_cols[0]))
#define N_DETAIL_COLS (4 + 2 * BS_EXPORT_N_CELLS)
static const char *const detail_cols[N_DETAIL_COLS] = {"plan_id", "objectid", "jaar", "geschat",
                                                       CELL_LIST(CELL_NAME, ) CELL_LIST(CELL_NAME, sloop_)};
static const char *const left_cols[] = {"plan_id", "objectid", "plannaam", "gemeente", "provincie", "controle", "fout"};
#define N_LEFT_COLS ((int)(sizeof left_cols / sizeof left_cols[0]))

int bs_export_table_columns(bs_export_table_kind kind, const char *const **names) {
    switch (kind) {
    case BS_TABLE_PLANS: *names = plan_cols; return N_PLAN_COLS;
    case BS_TABLE_DETAIL: *names = detail_cols; return N_DETAIL_COLS;
    default: *names = left_cols; return N_LEFT_COLS;
    }
}

int bs_export_plusveld_columns(const bs_export *ex, const char *const **names) {
    *names = (const char *const *)ex->profile->pv_columns;
    return ex->profile->n_plusvelden;
}

int bs_export_table_rows(const bs_export *ex, bs_export_table_kind kind) {
    switch (kind) {
    case BS_TABLE_PLANS: return ex->n_included;
    case BS_TABLE_DETAIL: return ex->n_detail;
    default: return ex->n_errors;
    }
}

static bs_cell text(const char *s) {
    return (bs_cell){s ? BS_CELL_TEXT : BS_CELL_EMPTY, 0, s};
}
static bs_cell num(int64_t n) {
    return (bs_cell){BS_CELL_INT, n, NULL};
}

/* The item of the r-th included plan (items in input order). */
static const bs_export_item *included_item(const bs_export *ex, int r) {
    for (int i = 0; i < ex->n_items; i++)
        if (ex->items[i].included && r-- == 0) return &ex->items[i];
    return NULL;
}

static const char *class_name(const char *what, int k, char *buf) {
    if (!k) return NULL;
    sprintf(buf, "%s%d", what, k);
    return buf;
}

static const char *const note_texts[] = {
    "type split has a negative correction: all homes counted as type onbekend",
    "tenure split has a negative correction: all homes counted as tenure onbekend",
    "period split has a negative correction: all homes counted in year onbekend",
    "type and tenure both mixed without a joint split: tenure reported as onbekend",
    "no price table of the province in force on the export date: koop_onb/huur_onb",
    "period totals spread evenly over their years (remainder in the last year): geschat",
    "counts from the project's woningblokken",
    "block homes spread over years (a period evenly, a spread by its percentages): geschat",
};

/* A plusveld value as a cell: a text, integer or boolean as such, a decimal as text ("%.15g"), a
 * multi-category as its values joined by "; "; NULL or another JSON value empty. */
static bs_cell value_cell(const json_t *v, char *buf, size_t len) {
    if (json_is_string(v)) return text(json_string_value(v));
    if (json_is_integer(v)) return num(json_integer_value(v));
    if (json_is_boolean(v)) return (bs_cell){BS_CELL_BOOL, json_is_true(v), NULL};
    if (json_is_real(v)) {
        snprintf(buf, len, "%.15g", json_real_value(v));
        return text(buf);
    }
    if (!json_is_array(v)) return text(NULL);
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < json_array_size(v) && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "; " : "", json_string_value(json_array_get(v, i)));
    return text(buf);
}

bs_cell bs_export_plusveld_cell(const bs_export *ex, int r, int c, char *buf, size_t len) {
    const bs_export_plan *p = &ex->plans[included_item(ex, r)->plan];
    return value_cell(json_object_get(p->plusvelden, ex->profile->pv_keys[c]), buf, len);
}

int bs_export_block_plusveld_columns(const bs_export *ex, const char *const **names) {
    *names = (const char *const *)ex->profile->bpv_columns;
    return ex->profile->n_block_plusvelden;
}

/* Whether block b (a plan record's block) is counted in year (0: the unknown year) by the rule
 * of §4.6; correction blocks are not. */
static bool block_in_year(const json_t *b, int year) {
    if (json_integer_value(json_object_get(b, "homes")) <= 0) return false;
    const json_t *sp = json_object_get(b, "spread_homes");
    if (json_array_size(sp) > 0) {
        size_t k;
        const json_t *e;
        json_array_foreach(sp, k, e) {
            if (year_or_0(json_array_get(e, 0)) == year && year) return true;
        }
        return false;
    }
    int from = year_or_0(json_object_get(b, "period_from")), to = year_or_0(json_object_get(b, "period_to"));
    if (from && to && from <= to) return year >= from && year <= to;
    return year == 0;
}

bs_cell bs_export_block_plusveld_cell(const bs_export *ex, int d, int c, char *buf, size_t len) {
    const bs_export_item *it = &ex->items[ex->detail[d].item];
    const bs_export_plan *p = &ex->plans[it->plan];
    if (!it->from_blocks) return text(NULL);
    int year = it->rows[ex->detail[d].row].year;
    const json_t *seen[64], *b;
    int n = 0;
    size_t j;
    json_array_foreach(p->blocks, j, b) {
        const json_t *v = json_object_get(json_object_get(b, "plusvelden"), ex->profile->bpv_keys[c]);
        if (!v || json_is_null(v) || !block_in_year(b, year) || n == 64) continue;
        bool dup = false;
        for (int i = 0; i < n && !dup; i++) dup = json_equal(seen[i], v);
        if (!dup) seen[n++] = v;
    }
    if (n <= 1) return value_cell(n ? seen[0] : NULL, buf, len);
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < n && o < len; i++) {
        char one[BS_EXPORT_ROW_BUF], nb[32];
        bs_cell v = value_cell(seen[i], one, sizeof one);
        const char *t = v.kind == BS_CELL_TEXT ? v.s : v.kind == BS_CELL_BOOL ? (v.n ? "true" : "false") : nb;
        if (v.kind == BS_CELL_INT) snprintf(nb, sizeof nb, "%" PRId64, v.n);
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "; " : "", t);
    }
    return text(buf);
}

void bs_export_table_row(const bs_export *ex, bs_export_table_kind kind, int r, bs_cell *cells,
                         char buf[BS_EXPORT_ROW_BUF]) {
    if (kind == BS_TABLE_PLANS) {
        /* the r-th included item, found by a scan (O(items) per row; fine for a few thousand plans) */
        const bs_export_item *it = included_item(ex, r);
        const bs_export_plan *p = &ex->plans[it->plan];
        cells[0] = text(p->id);
        cells[1] = text(p->source_key);
        cells[2] = text(p->name);
        cells[3] = text(p->gemeente);
        cells[4] = text(p->provincie);
        cells[5] = text(p->plantype);
        cells[6] = text(p->planstatus);
        cells[7] = text(p->confidentiality);
        cells[8] = text(p->progress_date);
        int64_t homes = it->from_blocks ? it->homes : p->count[BS_PC_HOMES_REMAINING];
        cells[9] = num(homes);
        cells[10] = num(it->from_blocks                                   ? it->demolished
                        : p->count[BS_PC_DEMOLITION] == BS_EXPORT_MISSING ? 0
                                                                          : -p->count[BS_PC_DEMOLITION]);
        cells[11] = text(class_name("koop", it->koop_class, buf));
        cells[12] = text(class_name("huur", it->huur_class, buf + 8));
        cells[13] = text(it->prices ? bs_date_format(it->prices->valid_from, buf + 16) : NULL);
        cells[14] = text(homes == 0                            ? "geen"
                         : (it->notes & BS_NOTE_JOINT_UNKNOWN) ? "alleen_type"
                                                               : "type_en_eigendom");
        size_t o = 32;
        buf[o] = 0;
        for (unsigned k = 0; k < sizeof note_texts / sizeof note_texts[0]; k++)
            if (it->notes & (1u << k)) {
                int w = snprintf(buf + o, BS_EXPORT_ROW_BUF - o, "%s%s", buf[32] ? "; " : "", note_texts[k]);
                if (w > 0 && o + (size_t)w < BS_EXPORT_ROW_BUF) o += (size_t)w;
            }
        cells[15] = buf[32] ? text(buf + 32) : text(NULL);
    } else if (kind == BS_TABLE_DETAIL) {
        const bs_export_item *it = &ex->items[ex->detail[r].item];
        const bs_export_row *row = &it->rows[ex->detail[r].row];
        const bs_export_plan *p = &ex->plans[it->plan];
        cells[0] = text(p->id);
        cells[1] = text(p->source_key);
        cells[2] = row->year ? num(row->year) : text(NULL);
        cells[3] = (bs_cell){BS_CELL_BOOL, row->estimated, NULL};
        for (int c = 0; c < BS_EXPORT_N_CELLS; c++) {
            cells[4 + c] = num(row->build[c]);
            cells[4 + BS_EXPORT_N_CELLS + c] = num(row->sloop[c]);
        }
    } else {
        const bs_export_item *it = &ex->items[ex->errors[r].item];
        const bs_export_issue *is = &it->issues[ex->errors[r].issue];
        const bs_export_plan *p = &ex->plans[it->plan];
        cells[0] = text(p->id);
        cells[1] = text(p->source_key);
        cells[2] = text(p->name);
        cells[3] = text(p->gemeente);
        cells[4] = text(p->provincie);
        cells[5] = text(bs_qc_name(is->kind));
        cells[6] = text(is->text);
    }
}

/* ---- writers ---- */

typedef struct dynbuf {
    char *p;
    size_t len, cap;
    bool failed;
} dynbuf;

static void put(dynbuf *b, const char *s, size_t n) {
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n + 1) nc *= 2;
        b->p = bs_realloc(b->p, nc);
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void puts_(dynbuf *b, const char *s) {
    put(b, s, strlen(s));
}
static char *done(dynbuf *b) {
    if (b->failed || !b->p) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

static json_t *cell_json(const bs_cell *c) {
    switch (c->kind) {
    case BS_CELL_TEXT: return json_string(c->s);
    case BS_CELL_INT: return json_integer(c->n);
    case BS_CELL_BOOL: return json_boolean(c->n);
    default: return json_null();
    }
}

static json_t *row_object(const bs_export *ex, bs_export_table_kind kind, int r, int from_col) {
    const char *const *names;
    int nc = bs_export_table_columns(kind, &names);
    bs_cell cells[N_DETAIL_COLS];
    char buf[BS_EXPORT_ROW_BUF];
    bs_export_table_row(ex, kind, r, cells, buf);
    json_t *o = json_object();
    for (int c = from_col; c < nc; c++) json_object_set_new(o, names[c], cell_json(&cells[c]));
    return o;
}

/* The block plusveld columns of detail row d into o (a detail row object). */
static void add_block_plusvelden(const bs_export *ex, int d, json_t *o) {
    const char *const *names;
    int n = bs_export_block_plusveld_columns(ex, &names);
    char buf[BS_EXPORT_ROW_BUF];
    for (int c = 0; c < n; c++) {
        bs_cell cell = bs_export_block_plusveld_cell(ex, d, c, buf, sizeof buf);
        json_object_set_new(o, names[c], cell_json(&cell));
    }
}

/* The plusveld columns of plan row r into props (a feature's properties). */
static void add_plusvelden(const bs_export *ex, int r, json_t *props) {
    const char *const *names;
    int n = bs_export_plusveld_columns(ex, &names);
    char buf[BS_EXPORT_ROW_BUF];
    for (int c = 0; c < n; c++) {
        bs_cell cell = bs_export_plusveld_cell(ex, r, c, buf, sizeof buf);
        json_object_set_new(props, names[c], cell_json(&cell));
    }
}

#define JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

static void collection_head(dynbuf *b, const bs_export *ex, const char *name) {
    char day[11], line[512];
    snprintf(line, sizeof line,
             "{\n\"type\": \"FeatureCollection\",\n\"name\": \"%s\",\n\"export\": \"%s\",\n"
             "\"peildatum_export\": \"%s\",\n",
             name, ex->profile->key, bs_date_format(ex->date, day));
    puts_(b, line);
}

/* Appends one feature line: ",\n" between features. */
static void feature(dynbuf *b, json_t *f, bool first) {
    char *s = json_dumps(f, JSON_FLAGS);
    if (!s) {
        b->failed = true;
        return;
    }
    if (!first) puts_(b, ",\n");
    puts_(b, s);
    free(s);
}

char *bs_export_geojson_plans(const bs_export *ex, bool with_detail) {
    dynbuf b = {0};
    collection_head(&b, ex, with_detail ? "plannen_detailplanning" : "plannen");
    puts_(&b, "\"crs\": { \"type\": \"name\", \"properties\": { \"name\": \"urn:ogc:def:crs:EPSG::28992\" } },\n"
              "\"features\": [\n");
    int d = 0;
    for (int r = 0, i = 0; i < ex->n_items; i++) {
        const bs_export_item *it = &ex->items[i];
        if (!it->included) continue;
        json_t *f = json_object();
        json_object_set_new(f, "type", json_string("Feature"));
        json_t *props = row_object(ex, BS_TABLE_PLANS, r, 0);
        add_plusvelden(ex, r, props);
        if (with_detail) {
            json_t *rows = json_array();
            for (; d < ex->n_detail && ex->detail[d].item == i; d++) {
                json_t *o = row_object(ex, BS_TABLE_DETAIL, d, 2);
                add_block_plusvelden(ex, d, o);
                json_array_append_new(rows, o);
            }
            json_object_set_new(props, "detailplanning", rows);
        }
        json_object_set_new(f, "properties", props);
        json_object_set(f, "geometry", ex->plans[it->plan].geometry);
        feature(&b, f, r == 0);
        json_decref(f);
        r++;
    }
    puts_(&b, "\n]\n}\n");
    return done(&b);
}

char *bs_export_geojson_detail(const bs_export *ex) {
    dynbuf b = {0};
    collection_head(&b, ex, "detailplanning");
    puts_(&b, "\"features\": [\n");
    for (int r = 0; r < ex->n_detail; r++) {
        json_t *f = json_object();
        json_object_set_new(f, "type", json_string("Feature"));
        json_t *o = row_object(ex, BS_TABLE_DETAIL, r, 0);
        add_block_plusvelden(ex, r, o);
        json_object_set_new(f, "properties", o);
        json_object_set_new(f, "geometry", json_null());
        feature(&b, f, r == 0);
        json_decref(f);
    }
    puts_(&b, "\n]\n}\n");
    return done(&b);
}

static void csv_field(dynbuf *b, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        puts_(b, s);
        return;
    }
    puts_(b, "\"");
    for (const char *q = s; *q; q++) {
        if (*q == '"')
            puts_(b, "\"\"");
        else
            put(b, q, 1);
    }
    puts_(b, "\"");
}

char *bs_export_csv(const bs_export *ex, bs_export_table_kind kind) {
    dynbuf b = {0};
    const char *const *names;
    int nc = bs_export_table_columns(kind, &names);
    const char *const *pv_names = NULL;
    int npv = kind == BS_TABLE_PLANS    ? bs_export_plusveld_columns(ex, &pv_names)
              : kind == BS_TABLE_DETAIL ? bs_export_block_plusveld_columns(ex, &pv_names)
                                        : 0;
    for (int c = 0; c < nc + npv; c++) {
        if (c) puts_(&b, ",");
        csv_field(&b, c < nc ? names[c] : pv_names[c - nc]);
    }
    puts_(&b, "\r\n");
    bs_cell cells[N_DETAIL_COLS];
    char buf[BS_EXPORT_ROW_BUF], n[32];
    int rows = bs_export_table_rows(ex, kind);
    char pv_buf[BS_EXPORT_ROW_BUF];
    for (int r = 0; r < rows; r++) {
        bs_export_table_row(ex, kind, r, cells, buf);
        for (int c = 0; c < nc + npv; c++) {
            if (c) puts_(&b, ",");
            bs_cell cell = c < nc ? cells[c]
                           : kind == BS_TABLE_PLANS
                               ? bs_export_plusveld_cell(ex, r, c - nc, pv_buf, sizeof pv_buf)
                               : bs_export_block_plusveld_cell(ex, r, c - nc, pv_buf, sizeof pv_buf);
            switch (cell.kind) {
            case BS_CELL_TEXT: csv_field(&b, cell.s); break;
            case BS_CELL_INT:
                snprintf(n, sizeof n, "%" PRId64, cell.n);
                puts_(&b, n);
                break;
            case BS_CELL_BOOL: puts_(&b, cell.n ? "true" : "false"); break;
            default: break;
            }
        }
        puts_(&b, "\r\n");
    }
    return done(&b);
}
