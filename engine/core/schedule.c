/*
 * Bouwstroom engine core: critical path scheduling (forward and backward pass).
 * Conventions: schedule.h and docs/scheduling.md. Pure: no I/O, no globals.
 *
 * Time model. A boundary b is a working-day index instant (calendar.h). Besides its
 * boundaries each step carries its start and finish *instants* as day numbers X meaning
 * "the start of day X" (= the end of day X-1). Working-day arithmetic only needs
 * boundaries; instants are kept so that calendar-day lags count from the exact date (a
 * calendar-day step may finish on a Saturday) and so that a milestone carries the date of
 * what it follows. boundary(X) = bs_calendar_boundary_before(X).
 *
 * Links (PMI Practice Standard for Scheduling, precedence diagramming method): the anchor
 * of the predecessor (its finish for FS/FF, its start for SS/SF) shifted by the lag gives a
 * bound (boundary + instant); FS/SS bound the successor's start, FF/SF its finish. All
 * comparisons are on boundaries, so "finish no earlier than the end of Friday" and "finish
 * at the end of Friday" are the same. The backward pass mirrors each rule.
 *
 * Complexity: one pass over steps and links forward, one backward, O(steps + links). The
 * only stepping is for statutory steps (the Algemene termijnenwet moves an end by at most
 * four days).
 */
#include "schedule.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* A bound: boundary, instant and milestone display flag (end of day x-1 vs start of x). */
typedef struct cand {
    bool set;
    int32_t b;
    bs_day x;
    bool end_of_day;
} cand;

typedef struct scratch {
    cand s_anchor;    /* start anchor (for SS/SF successors) */
    cand f_anchor;    /* finish anchor (for FS/FF successors) */
    int64_t ys;       /* backward: latest start instant (BS_DAY_NONE = unbounded skipped) */
    int64_t yf;       /* backward: latest finish instant */
    int32_t rs_b;     /* STARTED: boundary at which the remaining work starts */
    int32_t rem;      /* STARTED: remaining duration used (step's unit) */
    bool not_done;    /* skipped steps: some predecessor reached through it is not DONE */
    bool not_started; /* skipped steps: some predecessor reached through it is OPEN */
} scratch;

typedef struct ctx {
    const bs_schema *schema;
    const bs_progress *progress;
    const bs_step_override *ov;
    const bs_calendar *cal;
    const bs_link *links;
    int32_t n_links;
    int32_t *pred_off, *pred_idx; /* CSR: links into each step */
    int32_t *succ_off, *succ_idx; /* CSR: links out of each step */
    int32_t *topo;
    int32_t *dur;                         /* effective durations */
    int32_t *crit, *cpred, *coff, *csucc; /* the critical subgraph (critical_paths) */
    int32_t *branch;                      /* critical_paths' branch stack (n; the in-degrees of
                                           * build_graph before) */
    bool topo_kahn;                       /* topo is Kahn's order (else the index order) */
    int32_t crit_starts;                  /* >= 0: the common pass built the critical subgraph
                                           * and this many steps start a path; -1: not built */
    bs_day data_date;
    int32_t dd_b;         /* boundary at the start of the data date */
    bs_day progress_date; /* remaining durations are measured from it (≤ data_date) */
    int32_t pd_b;         /* boundary at the start of the progress date */
    bs_schedule_err err;
} ctx;

/* ---- the calendar's lookups, inlined (same results as calendar.c's; the hot path of every
 * pass) ---- */

static inline int32_t cal_before(const bs_calendar *cal, bs_day day) {
    if (day < cal->first_day) return 0;
    if ((int64_t)day > (int64_t)cal->last_day + 1) return cal->n_working;
    return cal->count_before[day - cal->first_day];
}

static inline int32_t cal_after(const bs_calendar *cal, bs_day day) {
    if (day >= cal->last_day) return day < cal->first_day ? 0 : cal->n_working;
    return cal->count_before[day + 1 - cal->first_day];
}

/* ---- range-checked calendar helpers: on a range error they set c->err ---- */

static void range_error(ctx *c) {
    if (c->err == BS_SCHEDULE_OK) c->err = BS_SCHEDULE_ERANGE;
}

/* Date of working day index i. */
static inline __attribute__((always_inline)) bs_day wd(ctx *c, int64_t i) {
    if (i < 0 || i >= c->cal->n_working) {
        range_error(c);
        return c->cal->first_day;
    }
    return c->cal->wd_date[i];
}

/* The latest instant whose boundary is b: the start of working day b (or just after the
 * range when b = n_working). */
static inline __attribute__((always_inline)) int64_t instant_of_boundary(ctx *c, int64_t b) {
    if (b >= c->cal->n_working) return (int64_t)c->cal->last_day + 1;
    return wd(c, b);
}

/* A day number that must be a date inside the calendar (hi_extra = 1 also allows the
 * instant just after the range, last_day + 1). */
static inline __attribute__((always_inline)) bs_day in_range(ctx *c, int64_t day, int hi_extra) {
    if (day < c->cal->first_day || day > (int64_t)c->cal->last_day + hi_extra) {
        range_error(c);
        return c->cal->first_day;
    }
    return (bs_day)day;
}

static inline __attribute__((always_inline)) int32_t boundary_of_instant(ctx *c, int64_t x) {
    return cal_before(c->cal, in_range(c, x, 1));
}

/* A milestone or a step of duration 0 (dur[] is 0 for every milestone). */
static inline bool is_ms(const ctx *c, int32_t i) {
    return c->dur[i] == 0;
}

static bool needs_dates(const bs_step *s) /* finish is not simply wd(start + d - 1) */
{
    return s->unit == BS_UNIT_CALENDAR_DAYS || s->statutory;
}

/* Inclusive finish date of a non-milestone step of d days that starts on working day k, or
 * (for calendar-day steps) on start_date when that is given. */
static inline __attribute__((always_inline)) bs_day finish_date(ctx *c, const bs_step *s, int32_t d, int64_t k,
                                                                bs_day start_date) {
    bs_day f;
    if (s->unit == BS_UNIT_CALENDAR_DAYS) {
        if (start_date == BS_DAY_NONE) start_date = wd(c, k);
        f = in_range(c, (int64_t)start_date + d - 1, 0);
    } else {
        f = wd(c, k + d - 1);
    }
    if (s->statutory) f = in_range(c, bs_atw_term_end(f), 0); /* Algemene termijnenwet art. 1 */
    return f;
}

static int32_t ef_b_of_start(ctx *c, const bs_step *s, int32_t d, int64_t k) {
    if (!needs_dates(s)) return (int32_t)(k + d);
    return cal_after(c->cal, finish_date(c, s, d, k, BS_DAY_NONE));
}

static bool known_dates(const bs_progress *p) {
    return p->status == BS_STATUS_DONE && !p->actual_estimated && p->actual_finish != BS_DAY_NONE;
}

static bs_day ov_snet(const ctx *c, int32_t i) {
    return c->ov ? c->ov[i].snet : BS_DAY_NONE;
}

static bs_day ov_fnlt(const ctx *c, int32_t i) {
    return c->ov ? c->ov[i].fnlt : BS_DAY_NONE;
}

static bool targets_finish(bs_link_type t) {
    return t == BS_LINK_FF || t == BS_LINK_SF;
}

static bool from_start(bs_link_type t) {
    return t == BS_LINK_SS || t == BS_LINK_SF;
}

/* ---- forward pass ---- */

/* The bound link l puts on its successor, from the predecessor's anchor a. */
static inline __attribute__((always_inline)) cand link_constraint(ctx *c, const bs_link *l, cand a) {
    cand k = {.set = false};
    if (!a.set) /* a skipped step without constraining predecessors */
        return k;
    k.set = true;
    if (l->lag_unit == BS_UNIT_WORKING_DAYS) {
        if (l->lag == 0) { /* the instant passes unchanged (a milestone keeps its flag) */
            k = a;
        } else { /* L working days after: the end of working day b-1 */
            int64_t b = (int64_t)a.b + l->lag;
            if (b < 1 || b > c->cal->n_working) {
                range_error(c);
                b = 1;
            }
            k.b = (int32_t)b;
            k.x = wd(c, b - 1) + 1;
            k.end_of_day = true;
        }
    } else { /* L calendar days after the instant */
        int64_t x = (int64_t)a.x + l->lag;
        k.b = boundary_of_instant(c, x);
        k.x = (bs_day)(c->err ? c->cal->first_day : x);
        k.end_of_day = a.end_of_day;
    }
    return k;
}

static bool better(const cand *a, const cand *best) {
    if (!best->set) return true;
    if (a->b != best->b) return a->b > best->b;
    if (a->x != best->x) return a->x > best->x;
    return a->end_of_day && !best->end_of_day;
}

/* Smallest working-day start k whose finish boundary is >= tb (finish-target bound). */
static int64_t min_start_for_finish(ctx *c, const bs_step *s, int32_t d, int32_t tb) {
    int64_t k;
    if (tb < 1) return INT32_MIN;
    if (s->unit == BS_UNIT_WORKING_DAYS) {
        k = (int64_t)tb - d;
    } else {
        int64_t first = (int64_t)wd(c, (int64_t)tb - 1) - d + 1; /* start date >= first */
        k = first < c->cal->first_day ? 0 : cal_before(c->cal, in_range(c, first, 1));
    }
    if (s->statutory) /* the Atw roll may let an earlier start reach the bound too */
        for (int g = 0; g < 8 && k - 1 >= 0 && c->err == BS_SCHEDULE_OK; g++) {
            if (ef_b_of_start(c, s, d, k - 1) < tb) break;
            k--;
        }
    return k;
}

static void forward_step(ctx *c, int32_t i, bs_step_result *res, scratch *sc) {
    const bs_schema *sch = c->schema;
    const bs_step *s = &sch->steps[i];
    const bs_progress *pg = &c->progress[i];
    bs_step_result *r = &res[i];
    scratch *x = &sc[i];
    const int32_t d = c->dur[i];
    *r = (bs_step_result){0}; /* the workspace is reused: every field starts at 0 */
    *x = (scratch){0};

    /* Predecessor bounds and out-of-sequence detection (through skipped steps). */
    cand best_s = {.set = false}, best_f = {.set = false}, best_all = {.set = false};
    cand best_fs = {.set = false}; /* STARTED: retained logic (FS only) */
    bool oos = false;
    const bool started = pg->status == BS_STATUS_STARTED, done = pg->status == BS_STATUS_DONE;
    for (int32_t j = c->pred_off[i]; j < c->pred_off[i + 1]; j++) {
        const bs_link *l = &c->links[c->pred_idx[j]];
        int32_t p = l->pred;
        bool p_not_done, p_open;
        if (c->progress[p].status == BS_STATUS_SKIPPED) {
            p_not_done = sc[p].not_done;
            p_open = sc[p].not_started;
        } else {
            p_not_done = c->progress[p].status != BS_STATUS_DONE;
            p_open = c->progress[p].status == BS_STATUS_OPEN;
        }
        switch (l->type) {
        case BS_LINK_FS: oos |= (started || done) && p_not_done; break;
        case BS_LINK_SS: oos |= (started || done) && p_open; break;
        case BS_LINK_FF: oos |= done && p_not_done; break;
        case BS_LINK_SF: oos |= done && p_open; break;
        }
        if (pg->status == BS_STATUS_SKIPPED) {
            x->not_done |= p_not_done;
            x->not_started |= p_open;
        }
        cand k = link_constraint(c, l, from_start(l->type) ? sc[p].s_anchor : sc[p].f_anchor);
        if (!k.set) continue;
        if (better(&k, &best_all)) best_all = k;
        if (targets_finish(l->type)) {
            if (better(&k, &best_f)) best_f = k;
        } else {
            if (better(&k, &best_s)) best_s = k;
            if (l->type == BS_LINK_FS && better(&k, &best_fs)) best_fs = k;
        }
    }

    r->early_start = r->early_finish = r->late_start = r->late_finish = BS_DAY_NONE;
    r->total_float = r->free_float = 0;
    r->critical = r->near_critical = r->deadline_missed = false;
    r->out_of_sequence = false;
    x->ys = x->yf = BS_DAY_NONE;
    x->rs_b = -1;
    x->rem = 0;

    switch (pg->status) {
    case BS_STATUS_SKIPPED:
        /* Zero-duration pass-through: its predecessors constrain its successors. */
        x->s_anchor = x->f_anchor = best_all;
        r->es_b = r->ef_b = best_all.set ? best_all.b : 0;
        return;

    case BS_STATUS_DONE:
        r->out_of_sequence = oos;
        if (!known_dates(pg)) {
            /* Realised, dates unknown: constrains successors through the data date only. */
            cand a = {.set = true, .b = c->dd_b, .x = c->data_date, .end_of_day = false};
            x->s_anchor = x->f_anchor = a;
            r->es_b = r->ef_b = c->dd_b;
            return;
        }
        {
            bs_day af = in_range(c, pg->actual_finish, 0);
            r->ef_b = cal_after(c->cal, af);
            r->early_finish = af;
            if (pg->actual_start != BS_DAY_NONE) {
                r->early_start = in_range(c, pg->actual_start, 0);
                r->es_b = cal_before(c->cal, r->early_start);
            } else if (is_ms(c, i)) {
                r->early_start = af;
                r->es_b = r->ef_b;
            } else if (s->unit == BS_UNIT_CALENDAR_DAYS) {
                r->early_start = in_range(c, (int64_t)af - d + 1, 0);
                r->es_b = cal_before(c->cal, r->early_start);
            } else {
                r->es_b = r->ef_b - d;
                r->early_start = wd(c, r->es_b);
            }
            x->f_anchor = (cand){.set = true, .b = r->ef_b, .x = af + 1, .end_of_day = true};
            x->s_anchor =
                is_ms(c, i) ? x->f_anchor : (cand){.set = true, .b = r->es_b, .x = r->early_start, .end_of_day = false};
        }
        return;

    case BS_STATUS_STARTED: {
        r->out_of_sequence = oos;
        bs_day as = in_range(c, pg->actual_start != BS_DAY_NONE ? pg->actual_start : c->data_date, 0);
        r->es_b = cal_before(c->cal, as);
        r->early_start = as;
        x->s_anchor = (cand){.set = true, .b = r->es_b, .x = as, .end_of_day = false};
        if (is_ms(c, i)) {
            /* A milestone cannot really be started: a zero-duration step at the data date. */
            bs_day xf = as > c->data_date ? as : c->data_date;
            r->ef_b = boundary_of_instant(c, xf);
            r->early_finish = xf;
            x->f_anchor = (cand){.set = true, .b = r->ef_b, .x = xf, .end_of_day = false};
            x->rs_b = r->ef_b;
            return;
        }
        /* Remaining work (retained logic): it starts at the data date, but not before the
         * actual start nor the bounds of FS predecessors; it finishes no earlier than FF/SF
         * bounds. Its duration is the planned duration minus the work done by the progress
         * date (working or calendar days, per the step's unit, from the actual start up to
         * the progress date; 0 when the step started on or after it), at least 1. Counting
         * only work done keeps a wait before the remaining work (a later FS predecessor, a
         * start after the progress date) out of the remaining duration: the logic already
         * places that wait (docs/scheduling.md §5.3). */
        int32_t ovr = c->ov ? c->ov[i].remaining : -1;
        int32_t rs_b = c->dd_b;
        if (r->es_b > rs_b) rs_b = r->es_b;
        if (best_fs.set && best_fs.b > rs_b) rs_b = best_fs.b;
        x->rs_b = rs_b;
        if (s->unit == BS_UNIT_WORKING_DAYS) {
            int32_t done_wd = c->pd_b > r->es_b ? c->pd_b - r->es_b : 0;
            int32_t rem = ovr >= 0 ? ovr : d - done_wd;
            if (rem < 1) rem = 1;
            x->rem = rem;
            int32_t ef_b = rs_b + rem;
            if (s->statutory) /* remaining part of a statutory term: Atw roll at its end */
                ef_b = cal_after(c->cal, in_range(c, bs_atw_term_end(wd(c, (int64_t)ef_b - 1)), 0));
            if (best_f.set && best_f.b > ef_b) ef_b = best_f.b;
            r->ef_b = ef_b;
            r->early_finish = wd(c, (int64_t)ef_b - 1);
        } else {
            int32_t done_cd = c->progress_date > as ? (int32_t)(c->progress_date - as) : 0;
            int32_t rem = ovr >= 0 ? ovr : d - done_cd;
            if (rem < 1) rem = 1;
            x->rem = rem;
            bs_day rs = c->data_date;
            if (as > rs) rs = as;
            if (rs_b > cal_before(c->cal, rs)) rs = wd(c, rs_b);
            bs_day f = in_range(c, (int64_t)rs + rem - 1, 0);
            if (s->statutory) f = in_range(c, bs_atw_term_end(f), 0);
            if (best_f.set && best_f.b > cal_after(c->cal, f)) f = wd(c, (int64_t)best_f.b - 1);
            r->early_finish = f;
            r->ef_b = cal_after(c->cal, f);
        }
        x->f_anchor = (cand){.set = true, .b = r->ef_b, .x = r->early_finish + 1, .end_of_day = true};
        return;
    }

    case BS_STATUS_OPEN: break;
    }

    bs_day snet = ov_snet(c, i);
    /* OPEN: not before the first working day on or after the data date. */
    if (is_ms(c, i)) {
        cand best = best_all;
        if (snet != BS_DAY_NONE) {
            cand k = {.set = true, .b = cal_before(c->cal, in_range(c, snet, 0)), .x = snet, .end_of_day = false};
            if (better(&k, &best)) best = k;
        }
        if (!best.set || best.b <= c->dd_b) { /* project start, or pinned at the data date */
            best.set = true;
            best.b = c->dd_b;
            best.x = wd(c, c->dd_b);
            best.end_of_day = false;
        }
        r->es_b = r->ef_b = best.b;
        x->s_anchor = x->f_anchor = best;
        r->early_start = r->early_finish = best.end_of_day ? best.x - 1 : best.x;
        return;
    }
    int64_t es = c->dd_b;
    if (best_s.set && best_s.b > es) es = best_s.b;
    if (best_f.set) {
        int64_t k = min_start_for_finish(c, s, d, best_f.b);
        if (k > es) es = k;
    }
    if (snet != BS_DAY_NONE) {
        int64_t k = cal_before(c->cal, in_range(c, snet, 0));
        if (k > es) es = k;
    }
    if (es >= c->cal->n_working) {
        range_error(c);
        es = 0;
    }
    r->es_b = (int32_t)es;
    r->early_start = wd(c, r->es_b);
    r->early_finish = finish_date(c, s, d, r->es_b, BS_DAY_NONE);
    r->ef_b = cal_after(c->cal, r->early_finish);
    x->s_anchor = (cand){.set = true, .b = r->es_b, .x = r->early_start, .end_of_day = false};
    x->f_anchor = (cand){.set = true, .b = r->ef_b, .x = r->early_finish + 1, .end_of_day = true};
}

/* ---- backward pass ---- */

/* Mirror of link_constraint: the latest anchor instant of the predecessor that keeps the
 * successor's bound at or before the successor's latest instant y. */
static inline __attribute__((always_inline)) int64_t mirror(ctx *c, const bs_link *l, int64_t y) {
    int64_t k;
    if (l->lag_unit == BS_UNIT_CALENDAR_DAYS) {
        k = y - l->lag;
    } else if (l->lag == 0) {
        k = y;
    } else {
        int64_t b = (int64_t)boundary_of_instant(c, y) - l->lag;
        if (b < 0) {
            range_error(c);
            b = 0;
        }
        k = instant_of_boundary(c, b);
    }
    if (k > (int64_t)c->cal->last_day + 1) k = (int64_t)c->cal->last_day + 1;
    return k;
}

/* Latest start (*ysb) and finish (*yf) instants of step i from its successors, the project
 * finish instant y_end and its deadline. A skipped step is no step: only its successors
 * bound it, and without any it bounds nothing (INT64_MAX). */
static void latest_instants(ctx *c, int32_t i, const scratch *sc, int64_t y_end, int64_t *ysb, int64_t *yf) {
    const bool skipped = c->progress[i].status == BS_STATUS_SKIPPED;
    int64_t f = skipped ? INT64_MAX : y_end, s = INT64_MAX;
    bs_day fnlt = ov_fnlt(c, i);
    if (!skipped && fnlt != BS_DAY_NONE && (int64_t)fnlt + 1 < f) f = (int64_t)fnlt + 1;
    for (int32_t j = c->succ_off[i]; j < c->succ_off[i + 1]; j++) {
        const bs_link *l = &c->links[c->succ_idx[j]];
        int32_t q = l->succ;
        bs_step_status st = c->progress[q].status;
        int64_t y;
        if (st == BS_STATUS_DONE) continue; /* realised successors are not held back by i */
        if (st == BS_STATUS_STARTED) {
            /* retained logic: FS bounds the remaining work, FF and SF the finish (as they do
             * forward, §5.3 step 5); SS bounds nothing: the start is a fact (a started
             * milestone has no remaining work: like a realised step) */
            if (is_ms(c, q)) continue;
            if (l->type == BS_LINK_FS)
                y = sc[q].ys;
            else if (targets_finish(l->type))
                y = sc[q].yf;
            else
                continue;
        } else {
            y = targets_finish(l->type) ? sc[q].yf : sc[q].ys;
        }
        if (y == BS_DAY_NONE) continue; /* a skipped successor that bounds nothing */
        int64_t k = mirror(c, l, y);
        if (from_start(l->type)) {
            if (k < s) s = k;
        } else if (k < f) {
            f = k;
        }
    }
    *ysb = s;
    *yf = f;
}

static void backward_step(ctx *c, int32_t i, bs_step_result *res, scratch *sc, int64_t y_end) {
    const bs_step *s = &c->schema->steps[i];
    bs_step_result *r = &res[i];
    scratch *x = &sc[i];
    const bs_step_status st = c->progress[i].status;
    const int32_t d = c->dur[i];

    int64_t ysb, y;
    latest_instants(c, i, sc, y_end, &ysb, &y);
    if (st == BS_STATUS_SKIPPED) {
        int64_t m = ysb < y ? ysb : y;
        x->ys = x->yf = m == INT64_MAX ? BS_DAY_NONE : m;
        return;
    }
    if (y < c->cal->first_day) {
        range_error(c);
        return;
    }

    if (st == BS_STATUS_STARTED) {
        /* The start is a fact: only the finish can move. float = LF_b - EF_b. */
        r->lf_b = boundary_of_instant(c, y);
        r->total_float = r->lf_b - r->ef_b;
        r->ls_b = r->es_b + r->total_float;
        if (r->total_float == 0) {
            r->late_start = r->early_start;
            r->late_finish = r->early_finish;
        } else {
            r->late_start = r->ls_b >= 0 ? wd(c, r->ls_b) : r->early_start;
            r->late_finish = is_ms(c, i)                        ? (bs_day)y
                             : s->unit == BS_UNIT_CALENDAR_DAYS ? (bs_day)(y - 1)
                                                                : wd(c, (int64_t)r->lf_b - 1);
        }
        x->yf = instant_of_boundary(c, r->lf_b);
        /* Latest start of the remaining work, for FS predecessors: the latest working day
         * from which R still ends by LF (not rs_b + float: when an FF/SF bound holds the
         * finish later than rs_b + R, the remaining work may start later than rs_b + float,
         * §5.5). A statutory term steps back while its Atw roll passes LF. */
        int64_t lrs;
        if (is_ms(c, i)) {
            lrs = r->lf_b;
        } else {
            /* the latest finish instant: exact for calendar days (a finish may be a Saturday) */
            int64_t yl = s->unit == BS_UNIT_CALENDAR_DAYS ? y : instant_of_boundary(c, r->lf_b);
            if (s->unit == BS_UNIT_WORKING_DAYS)
                lrs = (int64_t)r->lf_b - x->rem;
            else
                lrs =
                    yl - x->rem < c->cal->first_day ? -1 : (int64_t)cal_after(c->cal, in_range(c, yl - x->rem, 1)) - 1;
            if (s->statutory)
                for (; lrs >= 0 && c->err == BS_SCHEDULE_OK; lrs--)
                    if ((int64_t)finish_date(c, s, x->rem, lrs, BS_DAY_NONE) + 1 <= yl) break;
        }
        x->ys = lrs < 0 ? c->cal->first_day : instant_of_boundary(c, lrs);
    } else if (is_ms(c, i)) {
        if (ysb < y) y = ysb;
        r->ls_b = r->lf_b = boundary_of_instant(c, y);
        x->ys = x->yf = y;
        if (r->ls_b == r->es_b)
            r->late_start = r->early_start;
        else
            r->late_start = sc[i].f_anchor.end_of_day ? wd(c, (int64_t)r->lf_b - 1) : wd(c, r->lf_b);
        r->late_finish = r->late_start;
        r->total_float = r->ls_b - r->es_b;
    } else {
        /* Latest working-day start k whose finish instant (finish date + 1) is <= y. */
        int64_t k;
        if (!needs_dates(s)) {
            k = (int64_t)boundary_of_instant(c, y) - d;
        } else {
            if (s->unit == BS_UNIT_CALENDAR_DAYS) {
                int64_t last_start = y - d; /* start date + d - 1 <= y - 1 */
                if (last_start < c->cal->first_day)
                    k = -1;
                else
                    k = (int64_t)cal_after(c->cal, in_range(c, last_start, 1)) - 1;
            } else {
                k = (int64_t)boundary_of_instant(c, y) - d;
            }
            for (; k >= 0 && c->err == BS_SCHEDULE_OK; k--)
                if ((int64_t)finish_date(c, s, d, k, BS_DAY_NONE) + 1 <= y) break;
        }
        /* Start bounds (SS/SF successors): the start date wd(k) <= ysb. */
        if (ysb != INT64_MAX) {
            int64_t ks = ysb < c->cal->first_day ? -1 : (int64_t)cal_after(c->cal, in_range(c, ysb, 1)) - 1;
            if (ysb > c->cal->last_day) ks = c->cal->n_working;
            if (ks < k) k = ks;
        }
        if (k < 0) {
            range_error(c);
            return;
        }
        r->ls_b = (int32_t)k;
        r->late_start = wd(c, k);
        r->late_finish = finish_date(c, s, d, k, BS_DAY_NONE);
        r->lf_b = cal_after(c->cal, r->late_finish);
        x->ys = r->late_start;
        x->yf = instant_of_boundary(c, r->lf_b);
        /* Total float: the smaller of start float and finish float (Primavera P6 "smallest
         * of start and finish float"). They differ only for calendar-day/statutory steps
         * whose start can slip into a weekend or an Atw roll without moving the finish. */
        int32_t sf = r->ls_b - r->es_b, ff = r->lf_b - r->ef_b;
        r->total_float = sf < ff ? sf : ff;
    }
    r->critical = r->total_float <= 0;
}

/* ---- graph: CSR adjacency, topological order, cycles ---- */

/* Kahn's algorithm, lowest index first: fills c->topo from the in-degrees in indeg (consumed)
 * and returns the number of steps ordered (< n: a cycle). */
static int32_t kahn(ctx *c, int32_t n, int32_t *indeg) {
    int32_t head = 0, tail = 0;
    for (int32_t i = 0; i < n; i++)
        if (indeg[i] == 0) c->topo[tail++] = i;
    /* topo doubles as the queue */
    while (head < tail) {
        int32_t i = c->topo[head++];
        for (int32_t j = c->succ_off[i]; j < c->succ_off[i + 1]; j++) {
            int32_t q = c->links[c->succ_idx[j]].succ;
            if (--indeg[q] == 0) c->topo[tail++] = q;
        }
    }
    return tail;
}

/* Builds the adjacency of the link set and a topological order (Kahn, lowest index first).
 * ordered: every link runs from a lower to a higher step index; the order is then the index
 * order (the same passes' results: any topological order gives them) and c->topo_kahn is
 * false (critical_paths orders its starting steps by Kahn's order itself when it needs to).
 * Returns false on a cycle and fills cycle and n_cycle (malloc'd) when that is not NULL. */
static bool build_graph(ctx *c, int32_t n, int32_t *indeg, bool ordered, int32_t **cycle, int32_t *n_cycle) {
    const int32_t m = c->n_links;
    memset(c->pred_off, 0, sizeof(int32_t) * ((size_t)n + 1));
    memset(c->succ_off, 0, sizeof(int32_t) * ((size_t)n + 1));
    for (int32_t l = 0; l < m; l++) {
        c->pred_off[c->links[l].succ + 1]++;
        c->succ_off[c->links[l].pred + 1]++;
    }
    for (int32_t i = 0; i < n; i++) {
        c->pred_off[i + 1] += c->pred_off[i];
        c->succ_off[i + 1] += c->succ_off[i];
    }
    /* fill in link order (indeg and topo serve as cursors; indeg ends as the in-degree) */
    for (int32_t i = 0; i < n; i++) indeg[i] = c->topo[i] = 0;
    for (int32_t l = 0; l < m; l++) {
        int32_t s = c->links[l].succ, p = c->links[l].pred;
        c->pred_idx[c->pred_off[s] + indeg[s]++] = l;
        c->succ_idx[c->succ_off[p] + c->topo[p]++] = l;
    }
    c->topo_kahn = !ordered;
    if (ordered) {
        for (int32_t i = 0; i < n; i++) c->topo[i] = i;
        return true;
    }
    if (kahn(c, n, indeg) == n) return true;
    if (cycle) {
        /* Every remaining step has a remaining predecessor: walk back until a repeat. */
        int32_t *mark = bs_calloc((size_t)n, sizeof *mark);
        int32_t *walk = bs_malloc(sizeof(int32_t) * ((size_t)n + 1));
        if (mark && walk) {
            int32_t v = -1;
            for (int32_t i = 0; i < n && v < 0; i++)
                if (indeg[i] > 0) v = i;
            int32_t len = 0;
            while (!mark[v]) {
                mark[v] = len + 1;
                walk[len++] = v;
                int32_t nx = -1;
                for (int32_t j = c->pred_off[v]; j < c->pred_off[v + 1] && nx < 0; j++) {
                    int32_t p = c->links[c->pred_idx[j]].pred;
                    if (indeg[p] > 0) nx = p;
                }
                v = nx;
            }
            int32_t from = mark[v] - 1, k = len - from;
            *cycle = bs_malloc(sizeof(int32_t) * (size_t)k);
            if (*cycle) {
                /* walk[from..len) goes against the links: reverse it */
                for (int32_t t = 0; t < k; t++) (*cycle)[t] = walk[len - 1 - t];
                /* rotate so that the lowest index comes first */
                int32_t lo = 0;
                for (int32_t t = 1; t < k; t++)
                    if ((*cycle)[t] < (*cycle)[lo]) lo = t;
                for (int32_t t = 0; t < k; t++) walk[t] = (*cycle)[(lo + t) % k];
                memcpy(*cycle, walk, sizeof(int32_t) * (size_t)k);
                *n_cycle = k;
            }
        }
        free(mark);
        free(walk);
    }
    return false;
}

/* ---- critical paths, free float, knelpunten ---- */

static bool unfinished(bs_step_status st) {
    return st == BS_STATUS_OPEN || st == BS_STATUS_STARTED;
}

#define MAX_PATHS 32

/* The critical subgraph, once per schedule: crit[i] (an unfinished critical step), cpred[i]
 * (it has a critical predecessor) and the CSR coff/csucc of its critical successors in link
 * order (a pair joined by two critical links appears twice, as in the link set). Returns the
 * number of steps that start a path (critical, without a critical predecessor). */
static int32_t critical_subgraph(ctx *c, const bs_step_result *res, int32_t n, int32_t *crit, int32_t *cpred,
                                 int32_t *coff, int32_t *csucc) {
    int32_t starts = 0;
    for (int32_t i = 0; i < n; i++) {
        crit[i] = res[i].critical & unfinished(c->progress[i].status);
        starts += crit[i];
        cpred[i] = 0;
    }
    coff[0] = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t k = coff[i];
        if (crit[i])
            for (int32_t j = c->succ_off[i]; j < c->succ_off[i + 1]; j++) {
                int32_t q = c->links[c->succ_idx[j]].succ;
                if (crit[q]) {
                    csucc[k++] = q;
                    starts -= !cpred[q];
                    cpred[q] = 1;
                }
            }
        coff[i + 1] = k;
    }
    return starts;
}

/* Enumerates chains of critical steps linked directly (depth-first from each critical step
 * without a critical predecessor, in topological order; successors in link order), at most
 * MAX_PATHS paths. */
static bs_schedule_err critical_paths(ctx *c, const bs_step_result *res, int32_t n, bs_schedule_ws *ws,
                                      bs_schedule *out) {
    int32_t used = 0, np = 0;
    size_t cap = ws->cap_path_steps;
    int32_t *steps = ws->path_steps;
    int32_t *offs = ws->path_offsets;
    int32_t *stack = ws->stack;
    int32_t *iter = ws->iter;
    int32_t *crit = c->crit, *cpred = c->cpred, *coff = c->coff, *csucc = c->csucc, *branch = c->branch;
    int32_t starts = c->crit_starts >= 0 ? c->crit_starts : critical_subgraph(c, res, n, crit, cpred, coff, csucc);
    offs[0] = 0;
    if (!c->topo_kahn && starts > 1) { /* paths start in Kahn's order: needed only when several do */
        for (int32_t i = 0; i < n; i++) branch[i] = c->pred_off[i + 1] - c->pred_off[i];
        kahn(c, n, branch);
        c->topo_kahn = true;
    }
    /* starts: the steps that start a path still to be visited (the walk stops after the
     * last: the rest of the order has none) */
    for (int32_t t = 0; t < n && np < MAX_PATHS && starts > 0; t++) {
        int32_t i = c->topo[t];
        if (!crit[i] || cpred[i]) continue;
        starts--;
        /* the stack holds a path of distinct steps (the link set is acyclic), so depth <= n;
         * iter[k] is the next successor of stack[k] to visit; branch[] lists the depths whose
         * step still has a successor to visit (deepest last) */
        int32_t depth = 1, nb = 0;
        stack[0] = i;
        for (;;) {
            /* descend along first successors down to a leaf (a step without a critical
             * successor) */
            int32_t v = stack[depth - 1];
            while (coff[v] != coff[v + 1]) {
                int32_t a = coff[v];
                if (coff[v + 1] - a > 1) {
                    iter[depth - 1] = a + 1;
                    branch[nb++] = depth - 1;
                }
                v = csucc[a];
                stack[depth++] = v;
            }
            if ((size_t)(used + depth) > cap) {
                while ((size_t)(used + depth) > cap) cap *= 2;
                steps = ws->path_steps = bs_realloc(steps, sizeof(int32_t) * cap);
                ws->cap_path_steps = cap;
            }
            memcpy(steps + used, stack, sizeof(int32_t) * (size_t)depth);
            used += depth;
            offs[++np] = used;
            if (np == MAX_PATHS || nb == 0) break;
            /* back up to the deepest step with a successor left, and take it */
            int32_t k = branch[nb - 1], it = iter[k]++;
            if (it + 1 == coff[stack[k] + 1]) nb--;
            depth = k + 1;
            stack[depth++] = csucc[it];
        }
    }
    out->n_paths = np;
    out->path_offsets = offs;
    out->path_steps = steps;
    return BS_SCHEDULE_OK;
}

/* Free float of unfinished step i: the least slack of its links to unfinished successors
 * (their early bound minus the bound i imposes), or the project finish minus its early
 * finish when it has none; never more than the total float, never below 0. */
static int32_t free_float(ctx *c, int32_t i, const bs_step_result *res, const scratch *sc, int32_t pf_b) {
    int64_t ff = INT64_MAX;
    bool any = false;
    for (int32_t j = c->succ_off[i]; j < c->succ_off[i + 1]; j++) {
        const bs_link *l = &c->links[c->succ_idx[j]];
        int32_t q = l->succ;
        bs_step_status st = c->progress[q].status;
        if (!unfinished(st)) continue;
        cand k = link_constraint(c, l, from_start(l->type) ? sc[i].s_anchor : sc[i].f_anchor);
        if (!k.set) continue;
        int64_t slack;
        if (st == BS_STATUS_STARTED) {
            if (l->type == BS_LINK_FS)
                slack = (int64_t)sc[q].rs_b - k.b;
            else if (targets_finish(l->type))
                slack = (int64_t)res[q].ef_b - k.b;
            else
                continue;
        } else if (targets_finish(l->type)) {
            slack = (int64_t)res[q].ef_b - k.b;
        } else {
            slack = (int64_t)res[q].es_b - k.b;
        }
        any = true;
        if (slack < ff) ff = slack;
    }
    if (!any) ff = (int64_t)pf_b - res[i].ef_b;
    if (ff > res[i].total_float) ff = res[i].total_float;
    return ff < 0 ? 0 : (int32_t)ff;
}

/* ---- the common-case pass (docs/scheduling.md §6.1) ----
 *
 * When every step is open, every step that is not a milestone is counted in working days and
 * is not statutory, every lag is in working days and no step has a deadline, the general
 * pass's instants are all determined by boundaries: a step starts at the start of working
 * day es_b and finishes at the end of working day ef_b - 1, a lag of L != 0 working days
 * gives the end of working day b + L - 1, and every latest instant of the backward pass is
 * the start of a working day (or the instant after the range). This pass computes the same
 * results on boundaries alone, with flat reads of es_b/ef_b/ls_b/lf_b; only milestones keep
 * the general pass's anchor (instant and display flag) for their dates. On anything that
 * would be a range error in the general pass it returns false (the caller then runs the
 * general pass, which reports the error). Checked against the general pass field by field
 * (tests/unit/test_schedule_common.c). */

/* True when step i may take the common-case pass: a milestone (or a step of duration 0), or
 * a working-day step that is not statutory; open; no deadline. */
static bool common_step(const bs_schema *schema, const bs_progress *progress, const bs_step_override *ov, int32_t i) {
    const bs_step *s = &schema->steps[i];
    if (progress[i].status != BS_STATUS_OPEN) return false;
    if (ov && ov[i].fnlt != BS_DAY_NONE) return false;
    int32_t d = s->duration;
    if (ov && ov[i].duration >= 0) d = ov[i].duration;
    if (s->milestone || d == 0) return true;
    return s->unit == BS_UNIT_WORKING_DAYS && !s->statutory;
}

bool bs_schedule_common_case(const bs_schedule_input *in) {
    const bs_schema *schema = in->schema;
    const bs_link *links = in->links ? in->links : schema->links;
    const int32_t m = in->links ? in->n_links : schema->n_links;
    for (int32_t i = 0; i < schema->n_steps; i++)
        if (!common_step(schema, in->progress, in->overrides, i)) return false;
    for (int32_t l = 0; l < m; l++)
        if (links[l].lag_unit != BS_UNIT_WORKING_DAYS) return false;
    return true;
}

/* The anchor of step p that link type t counts from, as the general pass keeps it. */
static inline cand common_anchor(const ctx *c, const bs_step_result *res, const scratch *sc, int32_t p,
                                 bs_link_type t) {
    if (is_ms(c, p)) return sc[p].s_anchor;
    if (from_start(t)) return (cand){.set = true, .b = res[p].es_b, .x = c->cal->wd_date[res[p].es_b]};
    return (cand){.set = true, .b = res[p].ef_b, .x = c->cal->wd_date[res[p].ef_b - 1] + 1, .end_of_day = true};
}

/* Forward step of a milestone (or zero-duration step) i: the latest bound of its links and
 * its start-no-earlier-than, at least the data date (as forward_step). False on a range
 * error. */
static bool common_milestone(const ctx *c, int32_t i, bs_step_result *res, scratch *sc, int32_t snet_b) {
    const bs_calendar *cal = c->cal;
    cand best = {.set = false};
    for (int32_t j = c->pred_off[i]; j < c->pred_off[i + 1]; j++) {
        const bs_link *l = &c->links[c->pred_idx[j]];
        cand k = common_anchor(c, res, sc, l->pred, l->type);
        if (l->lag != 0) {
            int64_t b = (int64_t)k.b + l->lag;
            if (b < 1 || b > cal->n_working) return false;
            k = (cand){.set = true, .b = (int32_t)b, .x = cal->wd_date[b - 1] + 1, .end_of_day = true};
        }
        if (better(&k, &best)) best = k;
    }
    if (snet_b >= 0) {
        cand k = {.set = true, .b = snet_b, .x = ov_snet(c, i), .end_of_day = false};
        if (better(&k, &best)) best = k;
    }
    if (!best.set || best.b <= c->dd_b) best = (cand){.set = true, .b = c->dd_b, .x = cal->wd_date[c->dd_b]};
    bs_step_result *r = &res[i];
    r->es_b = r->ef_b = best.b;
    r->early_start = r->early_finish = best.end_of_day ? best.x - 1 : best.x;
    sc[i].s_anchor = sc[i].f_anchor = best;
    return true;
}

/* Forward pass of the common case in topological order: es_b, ef_b and the early dates of
 * every step (every other field reset as forward_step does), the project finish boundary
 * *pf_b and date *pf (the latest early finish boundary and date). False on a range error. */
static bool common_forward(const ctx *c, int32_t n, bs_step_result *res, scratch *sc, int32_t *pf_b, bs_day *pf) {
    const bs_calendar *cal = c->cal;
    const int32_t nw = cal->n_working;
    const bs_link *links = c->links;
    if (c->dd_b >= nw) return false;
    int32_t pb = -1;
    bs_day pd = INT32_MIN; /* = BS_DAY_NONE, below every date */
    for (int32_t t = 0; t < n; t++) {
        const int32_t i = c->topo[t], d = c->dur[i];
        bs_step_result *r = &res[i];
        *r = (bs_step_result){.late_start = BS_DAY_NONE, .late_finish = BS_DAY_NONE};
        int32_t snet_b = -1;
        bs_day snet = ov_snet(c, i);
        if (snet != BS_DAY_NONE) {
            if (snet < cal->first_day || snet > cal->last_day) return false;
            snet_b = cal->count_before[snet - cal->first_day];
        }
        if (is_ms(c, i)) {
            if (!common_milestone(c, i, res, sc, snet_b)) return false;
            pb = r->ef_b > pb ? r->ef_b : pb;
            pd = r->early_finish > pd ? r->early_finish : pd;
            continue;
        }
        int32_t es = c->dd_b > snet_b ? c->dd_b : snet_b;
        bool bad = false; /* branch-free: the link types and lags of a project are random */
        for (int32_t j = c->pred_off[i]; j < c->pred_off[i + 1]; j++) {
            const bs_link *l = &links[c->pred_idx[j]];
            const bs_step_result *q = &res[l->pred];
            const int32_t lag = l->lag;
            int32_t b = (from_start(l->type) ? q->es_b : q->ef_b) + lag;
            bad |= (lag != 0) & ((b < 1) | (b > nw));
            /* a finish bound: start = bound - d (a bound before boundary 1 binds nothing:
             * it is below es anyway, as es >= 0 > b - d) */
            b -= targets_finish(l->type) ? d : 0;
            es = b > es ? b : es;
        }
        if (bad || (int64_t)es + d > nw) return false;
        r->es_b = es;
        r->ef_b = es + d;
        r->early_start = cal->wd_date[es];
        r->early_finish = cal->wd_date[es + d - 1];
        pb = r->ef_b > pb ? r->ef_b : pb;
        pd = r->early_finish > pd ? r->early_finish : pd;
    }
    *pf_b = pb;
    *pf = pd;
    return true;
}

/* Backward pass of the common case (reverse topological order), on boundaries: every latest
 * instant of the general pass is the start of working day B (or the instant after the range,
 * B = n_working), so the latest start and finish of a successor are its ls_b and lf_b. pf_b:
 * the project finish boundary; nc: the near-critical threshold. Fills ls_b, lf_b, the late
 * dates, total float, the critical and near-critical flags, and free float in the same walk
 * over the links (as free_float: the least slack of the step's links, or the project finish
 * minus its early finish without successors; at most the total float, at least 0), and
 * crit, coff and csucc of critical_subgraph (valid when topo is the index order: the kept
 * successor lists then lie back to back in csucc[coff[0] .. n_links)). False on a range
 * error. */
static bool common_backward(const ctx *c, int32_t n, bs_step_result *res, const scratch *sc, int32_t pf_b, int32_t nc) {
    const bs_calendar *cal = c->cal;
    const int32_t nw = cal->n_working;
    const bs_link *links = c->links;
    /* the critical subgraph of critical_subgraph (index order = topological order here, so
     * each step's critical successors are known when it is reached): CSR filled from the
     * end, every step's successors in link order */
    int32_t *crit = c->crit, *coff = c->coff, *csucc = c->csucc;
    int32_t pos = c->n_links;
    coff[n] = pos;
    for (int32_t t = n - 1; t >= 0; t--) {
        const int32_t i = c->topo[t], d = c->dur[i];
        bs_step_result *r = &res[i];
        const int32_t es_b = r->es_b, ef_b = r->ef_b, end = pos;
        int32_t bf = pf_b, bs = INT32_MAX, ff = INT32_MAX;
        bool bad = false;
        /* descending: the minima do not depend on the order; the critical successors are
         * kept at pos.. in link order (a slot is taken only when the successor is critical;
         * pos - 1 >= the links left to visit - 1 >= 0) */
        for (int32_t j = c->succ_off[i + 1] - 1; j >= c->succ_off[i]; j--) {
            const bs_link *l = &links[c->succ_idx[j]];
            const bs_step_result *q = &res[l->succ];
            csucc[pos - 1] = l->succ;
            pos -= crit[l->succ];
            const bool to_finish = targets_finish(l->type), start = from_start(l->type);
            int32_t slack = (to_finish ? q->ef_b : q->es_b) - ((start ? es_b : ef_b) + l->lag);
            if (slack < ff) ff = slack;
            /* the latest boundary the successor allows (with a lag of 0 it is the
             * successor's own, in [0, nw]: the checks change nothing then) */
            int32_t k = (to_finish ? q->lf_b : q->ls_b) - l->lag;
            bad |= k < 0;
            k = k > nw ? nw : k;
            if (start)
                bs = k < bs ? k : bs;
            else
                bf = k < bf ? k : bf;
        }
        if (bad) return false;
        int32_t tf;
        if (d == 0) { /* a milestone */
            int32_t b = bs < bf ? bs : bf;
            r->ls_b = r->lf_b = b;
            if (b == es_b) {
                r->late_start = r->early_start;
            } else if (sc[i].s_anchor.end_of_day) {
                if (b < 1) return false;
                r->late_start = cal->wd_date[b - 1];
            } else {
                if (b >= nw) return false;
                r->late_start = cal->wd_date[b];
            }
            r->late_finish = r->late_start;
            tf = b - es_b;
        } else {
            int32_t k = bf - d;
            if (bs < k) k = bs;
            if (k < 0) return false;
            r->ls_b = k;
            r->lf_b = k + d;
            r->late_start = cal->wd_date[k];
            r->late_finish = cal->wd_date[k + d - 1];
            tf = k - es_b;
        }
        r->total_float = tf;
        r->critical = tf <= 0;
        crit[i] = tf <= 0;       /* every step is open here: critical = unfinished and critical */
        if (!crit[i]) pos = end; /* not critical: its successors are dropped */
        coff[i] = pos;
        r->near_critical = (uint32_t)tf - 1u < (uint32_t)nc; /* 0 < tf <= nc (nc >= 0) */
        if (ff == INT32_MAX) ff = pf_b - ef_b;
        if (ff > tf) ff = tf;
        r->free_float = ff < 0 ? 0 : ff;
    }
    return true;
}

/* The common-case pass: forward, project finish, backward with free float. Fills res and
 * *pf (the project finish date); false when the general pass must run instead (a range
 * error). */
static bool common_pass(ctx *c, int32_t n, bs_step_result *res, scratch *sc, int32_t nc, bs_day *pf) {
    int32_t pf_b;
    bs_day pfd;
    if (n == 0 || !common_forward(c, n, res, sc, &pf_b, &pfd)) return false;
    if (!common_backward(c, n, res, sc, pf_b, nc)) return false;
    if (!c->topo_kahn) { /* the critical subgraph is complete: cpred and the path starts */
        int32_t starts = 0;
        memset(c->cpred, 0, sizeof(int32_t) * (size_t)n);
        for (int32_t k = c->coff[0]; k < c->n_links; k++) c->cpred[c->csucc[k]] = 1;
        for (int32_t i = 0; i < n; i++) starts += c->crit[i] & !c->cpred[i];
        c->crit_starts = starts;
    }
    *pf = pfd;
    return true;
}

/* ---- public ---- */

static inline bool date_ok(const bs_calendar *cal, bs_day d) {
    return d == BS_DAY_NONE || (d >= cal->first_day && d <= cal->last_day);
}

static void out_init(bs_schedule *out, bs_day data_date, int32_t nc) {
    memset(out, 0, sizeof *out);
    out->data_date = data_date;
    out->progress_date = data_date;
    out->project_finish = BS_DAY_NONE;
    out->near_critical_wd = nc;
}

/* Makes room in ws for n steps and m links (grows, never shrinks). */
static void ws_reserve(bs_schedule_ws *ws, size_t nn, size_t mm) {
    if (nn > ws->cap_steps) {
        size_t cap = ws->cap_steps ? ws->cap_steps : 64;
        while (cap < nn) cap *= 2;
        free(ws->steps);
        free(ws->scratch);
        free(ws->stack);
        free(ws->iter);
        free(ws->knelpunten);
        ws->steps = bs_malloc(sizeof *ws->steps * cap);
        ws->scratch = bs_malloc(sizeof(scratch) * cap);
        ws->stack = bs_malloc(sizeof(int32_t) * cap);
        ws->iter = bs_malloc(sizeof(int32_t) * cap);
        ws->knelpunten = bs_malloc(sizeof *ws->knelpunten * cap);
        ws->cap_steps = cap;
    }
    size_t ni = 8 * nn + 3 * mm + 1;
    if (ni > ws->cap_ints) {
        size_t cap = ws->cap_ints ? ws->cap_ints : 512;
        while (cap < ni) cap *= 2;
        free(ws->ints);
        ws->ints = bs_malloc(sizeof(int32_t) * cap);
        ws->cap_ints = cap;
    }
    if (!ws->path_offsets) ws->path_offsets = bs_malloc(sizeof(int32_t) * (MAX_PATHS + 1));
    if (!ws->path_steps) {
        ws->cap_path_steps = 64;
        ws->path_steps = bs_malloc(sizeof(int32_t) * ws->cap_path_steps);
    }
    free(ws->cycle);
    ws->cycle = NULL;
}

/* The general pass (every case): forward and backward pass, realised and skipped steps,
 * free float, near-critical flags, deadlines and knelpunten into res and out. Returns the
 * project finish date (BS_DAY_NONE when nothing is unfinished); errors in c->err. */
static bs_day general_pass(ctx *c, const bs_schedule_input *in, int32_t n, bs_step_result *res, scratch *sc,
                           bs_schedule_ws *ws, bs_schedule *out) {
    const bs_progress *progress = in->progress;
    const bs_calendar *cal = in->cal;
    const int32_t nc = out->near_critical_wd;

    /* Forward pass in topological order. */
    for (int32_t t = 0; t < n && c->err == BS_SCHEDULE_OK; t++) forward_step(c, c->topo[t], res, sc);

    /* Project finish: the latest early finish of the unfinished steps. */
    int32_t pf_b = -1;
    bs_day pf = BS_DAY_NONE;
    for (int32_t i = 0; i < n && c->err == BS_SCHEDULE_OK; i++) {
        if (!unfinished(progress[i].status)) continue;
        if (res[i].ef_b > pf_b) pf_b = res[i].ef_b;
        if (pf == BS_DAY_NONE || res[i].early_finish > pf) pf = res[i].early_finish;
    }

    /* Backward pass in reverse topological order (only when something is unfinished). */
    int64_t y_end = pf_b < 0 ? 0 : instant_of_boundary(c, pf_b);
    for (int32_t t = n - 1; t >= 0 && pf_b >= 0 && c->err == BS_SCHEDULE_OK; t--) {
        int32_t i = c->topo[t];
        if (progress[i].status != BS_STATUS_DONE) backward_step(c, i, res, sc, y_end);
    }

    /* Realised and skipped steps: fixed; count out-of-sequence steps; check ranges. */
    int32_t n_kp = 0;
    for (int32_t i = 0; i < n && c->err == BS_SCHEDULE_OK; i++) {
        bs_step_result *r = &res[i];
        switch (progress[i].status) {
        case BS_STATUS_SKIPPED:
            r->es_b = r->ef_b = r->ls_b = r->lf_b = -1;
            r->early_start = r->early_finish = r->late_start = r->late_finish = BS_DAY_NONE;
            r->total_float = 0;
            r->critical = false;
            r->out_of_sequence = false;
            break;
        case BS_STATUS_DONE:
            r->ls_b = r->es_b;
            r->lf_b = r->ef_b;
            r->late_start = r->early_start;
            r->late_finish = r->early_finish;
            r->total_float = 0;
            r->critical = false;
            break;
        default:
            r->near_critical = r->total_float > 0 && r->total_float <= nc;
            r->free_float = free_float(c, i, res, sc, pf_b);
            break;
        }
        bs_day fnlt = ov_fnlt(c, i);
        if (fnlt != BS_DAY_NONE && r->early_finish != BS_DAY_NONE && r->early_finish > fnlt &&
            progress[i].status != BS_STATUS_SKIPPED) {
            r->deadline_missed = true;
            n_kp++;
        }
        out->n_out_of_sequence += r->out_of_sequence;
        if (!date_ok(cal, r->early_start) || !date_ok(cal, r->early_finish) || !date_ok(cal, r->late_start) ||
            !date_ok(cal, r->late_finish))
            range_error(c);
    }
    if (c->err == BS_SCHEDULE_OK && n_kp > 0) {
        out->knelpunten = ws->knelpunten;
        for (int32_t i = 0; i < n; i++)
            if (res[i].deadline_missed) {
                bs_day fnlt = in->overrides[i].fnlt;
                out->knelpunten[out->n_knelpunten++] =
                    (bs_knelpunt){.step = i,
                                  .deadline = fnlt,
                                  .early_finish = res[i].early_finish,
                                  .overshoot_wd = res[i].ef_b - cal_after(cal, fnlt)};
            }
    }
    return pf;
}

void bs_schedule_ws_init(bs_schedule_ws *ws) {
    memset(ws, 0, sizeof *ws);
}

void bs_schedule_ws_free(bs_schedule_ws *ws) {
    if (!ws) return;
    free(ws->steps);
    free(ws->scratch);
    free(ws->ints);
    free(ws->stack);
    free(ws->iter);
    free(ws->path_offsets);
    free(ws->path_steps);
    free(ws->knelpunten);
    free(ws->cycle);
    memset(ws, 0, sizeof *ws);
}

bs_schedule_err bs_schedule_compute_ws(const bs_schedule_input *in, bs_schedule_ws *ws, bs_schedule *out) {
    const bs_schema *schema = in->schema;
    const bs_calendar *cal = in->cal;
    const int32_t nc = in->near_critical_wd < 0 ? BS_NEAR_CRITICAL_DEFAULT_WD : in->near_critical_wd;
    out_init(out, in->data_date, nc);

    const int32_t n = schema->n_steps;
    const bs_link *links = in->links ? in->links : schema->links;
    const int32_t m = in->links ? in->n_links : schema->n_links;
    if (m < 0 || (m > 0 && !links)) return BS_SCHEDULE_EINVAL;
    bool common = !in->general_pass; /* bs_schedule_common_case, checked on the way */
    bool bad = false, ordered = true;
    for (int32_t l = 0; l < m; l++) { /* unsigned: a negative index is out of range too */
        bad |= (uint32_t)links[l].pred >= (uint32_t)n || (uint32_t)links[l].succ >= (uint32_t)n ||
               (unsigned)links[l].type > BS_LINK_SF;
        common &= links[l].lag_unit == BS_UNIT_WORKING_DAYS;
        ordered &= links[l].pred < links[l].succ;
    }
    if (bad) return BS_SCHEDULE_EINVAL;
    if (!cal->count_before || cal->n_working <= 0 || !bs_calendar_covers(cal, in->data_date)) return BS_SCHEDULE_ERANGE;
    const bs_day pd = in->progress_date == BS_DAY_NONE ? in->data_date : in->progress_date;
    out->progress_date = pd;
    if (!bs_calendar_covers(cal, pd)) return BS_SCHEDULE_ERANGE;
    if (pd > in->data_date) return BS_SCHEDULE_EINVAL;

    const size_t nn = (size_t)n + 1, mm = (size_t)m + 1;
    ws_reserve(ws, nn, mm);
    bs_step_result *res = ws->steps;
    scratch *sc = ws->scratch;
    int32_t *ints = ws->ints;
    /* res[i] and sc[i] are zeroed by forward_step before anything reads them */
    ctx c = {.schema = schema,
             .progress = in->progress,
             .ov = in->overrides,
             .cal = cal,
             .links = links,
             .n_links = m,
             .data_date = in->data_date,
             .dd_b = cal_before(cal, in->data_date),
             .progress_date = pd,
             .pd_b = cal_before(cal, pd),
             .crit_starts = -1,
             .err = BS_SCHEDULE_OK};
    c.pred_off = ints;
    c.succ_off = c.pred_off + nn;
    c.topo = c.succ_off + nn;
    c.dur = c.topo + nn;
    int32_t *indeg = c.dur + nn;
    c.branch = indeg; /* free once build_graph is done */
    c.pred_idx = indeg + nn;
    c.succ_idx = c.pred_idx + mm;
    c.crit = c.succ_idx + mm;
    c.cpred = c.crit + nn;
    c.coff = c.cpred + nn;
    c.csucc = c.coff + nn;
    const bs_step_override *ov = in->overrides;
    for (int32_t i = 0; i < n; i++) {
        const bs_step *st = &schema->steps[i];
        int32_t d = st->duration;
        if (d < 0) return BS_SCHEDULE_ERANGE;
        if (ov && ov[i].duration >= 0 && !st->milestone) d = ov[i].duration;
        c.dur[i] = st->milestone ? 0 : d;
        /* common_step, with the duration just computed */
        common = common && in->progress[i].status == BS_STATUS_OPEN && (!ov || ov[i].fnlt == BS_DAY_NONE) &&
                 (c.dur[i] == 0 || (st->unit == BS_UNIT_WORKING_DAYS && !st->statutory));
    }
    if (!build_graph(&c, n, indeg, common && ordered, &ws->cycle, &out->n_cycle)) {
        out->cycle = ws->cycle;
        return BS_SCHEDULE_ECYCLE;
    }
    bs_day pf = BS_DAY_NONE;
    out->common_pass = common && common_pass(&c, n, res, sc, nc, &pf);
    if (!out->common_pass) pf = general_pass(&c, in, n, res, sc, ws, out);
    if (c.err == BS_SCHEDULE_OK) c.err = critical_paths(&c, res, n, ws, out);

    if (c.err != BS_SCHEDULE_OK) {
        out_init(out, in->data_date, nc);
        return c.err;
    }
    out->n_steps = n;
    out->steps = res;
    out->project_finish = pf;
    return BS_SCHEDULE_OK;
}

bs_schedule_err bs_schedule_compute_ex(const bs_schedule_input *in, bs_schedule *out) {
    bs_schedule_ws ws;
    bs_schedule_ws_init(&ws);
    bs_schedule_err e = bs_schedule_compute_ws(in, &ws, out);
    /* the result's arrays move out of the workspace: out owns them */
    if (out->steps == ws.steps) ws.steps = NULL;
    if (out->knelpunten == ws.knelpunten) ws.knelpunten = NULL;
    if (out->path_offsets == ws.path_offsets) ws.path_offsets = NULL;
    if (out->path_steps == ws.path_steps) ws.path_steps = NULL;
    if (out->cycle == ws.cycle) ws.cycle = NULL;
    bs_schedule_ws_free(&ws);
    return e;
}

bs_schedule_err bs_schedule_compute(const bs_schema *schema, const bs_progress *progress, bs_day data_date,
                                    const bs_calendar *cal, bs_schedule *out) {
    bs_schedule_input in = {.schema = schema,
                            .progress = progress,
                            .progress_date = BS_DAY_NONE,
                            .data_date = data_date,
                            .cal = cal,
                            .near_critical_wd = -1};
    bs_schedule_err e = bs_schedule_compute_ex(&in, out);
    if (e == BS_SCHEDULE_ECYCLE) { /* a validated schema is acyclic */
        bs_schedule_free(out);
        out_init(out, data_date, BS_NEAR_CRITICAL_DEFAULT_WD);
    }
    return e;
}

bool bs_schedule_has_knelpunt(const bs_schedule *s) {
    if (s->n_knelpunten > 0) return true;
    for (int32_t i = 0; i < s->n_steps; i++)
        if (s->steps[i].total_float < 0) return true;
    return false;
}

void bs_schedule_free(bs_schedule *s) {
    if (!s) return;
    free(s->steps);
    free(s->path_offsets);
    free(s->path_steps);
    free(s->knelpunten);
    free(s->cycle);
    s->steps = NULL;
    s->path_offsets = s->path_steps = s->cycle = NULL;
    s->knelpunten = NULL;
    s->n_steps = s->n_paths = s->n_knelpunten = s->n_cycle = 0;
}

const char *bs_schedule_strerror(bs_schedule_err e) {
    switch (e) {
    case BS_SCHEDULE_OK: return "ok";
    case BS_SCHEDULE_ENOMEM: return "out of memory";
    case BS_SCHEDULE_ERANGE: return "a date falls outside the calendar's range";
    case BS_SCHEDULE_EUNSUPPORTED: return "unsupported link type";
    case BS_SCHEDULE_ECYCLE: return "the links form a cycle";
    case BS_SCHEDULE_EINVAL: return "invalid argument";
    }
    return "unknown error";
}
