/*
 * Bouwstroom engine core: critical path scheduling (forward and backward pass).
 * Conventions: schedule.h and docs/scheduling.md. Pure: no I/O, no globals.
 *
 * Time model. A boundary b is a working-day index instant (calendar.h). Besides the
 * boundary each step carries its finish *instant* as a day number X meaning "the start
 * of day X" (= the end of day X-1). Working-day arithmetic only needs boundaries; the
 * instant is kept so that calendar-day lags count from the exact finish date (a
 * calendar-day step may finish on a Saturday) and so that a milestone carries the date
 * of what it follows. boundary(X) = bs_calendar_boundary_before(X).
 *
 * Complexity: one pass over steps and links forward, one backward, O(steps + links).
 * The only stepping is for statutory steps in the backward pass (the Algemene
 * termijnenwet moves an end by at most four days).
 */
#include "schedule.h"

#include <stdlib.h>

typedef struct scratch {
    bs_day xf;       /* finish instant (start-of-day day number); BS_DAY_NONE = no constraint */
    bs_day ys;       /* backward: latest start instant that keeps successors in place */
    bool end_of_day; /* milestone display: true = end of day xf-1, false = start of day xf */
    bool not_done;   /* skipped steps: some predecessor reached through it is not DONE */
} scratch;

typedef struct ctx {
    const bs_schema *schema;
    const bs_progress *progress;
    const bs_calendar *cal;
    bs_day data_date;
    int32_t dd_b;     /* boundary at the start of the data date */
    bs_schedule_err err;
} ctx;

/* A forward constraint on a step's start: boundary, instant and milestone display flag. */
typedef struct cand {
    bool set;
    int32_t b;
    bs_day x;
    bool end_of_day;
} cand;

/* ---- range-checked calendar helpers: on a range error they set c->err ---- */

static void range_error(ctx *c)
{
    if (c->err == BS_SCHEDULE_OK)
        c->err = BS_SCHEDULE_ERANGE;
}

/* Date of working day index i. */
static bs_day wd(ctx *c, int64_t i)
{
    if (i < 0 || i >= c->cal->n_working) {
        range_error(c);
        return c->cal->first_day;
    }
    return c->cal->wd_date[i];
}

/* A day number that must be a date inside the calendar (hi_extra = 1 also allows the
 * instant just after the range, last_day + 1). */
static bs_day in_range(ctx *c, int64_t day, int hi_extra)
{
    if (day < c->cal->first_day || day > (int64_t)c->cal->last_day + hi_extra) {
        range_error(c);
        return c->cal->first_day;
    }
    return (bs_day)day;
}

static int32_t boundary_of_instant(ctx *c, int64_t x)
{
    return bs_calendar_boundary_before(c->cal, in_range(c, x, 1));
}

static bool is_milestone(const bs_step *s)
{
    return s->milestone || s->duration == 0;
}

static bool needs_dates(const bs_step *s) /* finish is not simply wd(start + d - 1) */
{
    return s->unit == BS_UNIT_CALENDAR_DAYS || s->statutory;
}

/* Inclusive finish date of a non-milestone step that starts on working day k, or (for
 * calendar-day steps) on start_date when that is given (a started step's actual start). */
static bs_day finish_date(ctx *c, const bs_step *s, int64_t k, bs_day start_date)
{
    bs_day f;
    if (s->unit == BS_UNIT_CALENDAR_DAYS) {
        if (start_date == BS_DAY_NONE)
            start_date = wd(c, k);
        f = in_range(c, (int64_t)start_date + s->duration - 1, 0);
    } else {
        f = wd(c, k + s->duration - 1);
    }
    if (s->statutory)
        f = in_range(c, bs_atw_term_end(f), 0); /* Algemene termijnenwet art. 1 */
    return f;
}

static bool realised(bs_step_status st)
{
    return st == BS_STATUS_DONE;
}

static bool known_dates(const bs_progress *p)
{
    return p->status == BS_STATUS_DONE && !p->actual_estimated && p->actual_finish != BS_DAY_NONE;
}

/* ---- forward pass ---- */

/* The constraint link l (FS) puts on its successor, from the predecessor's finish. */
static cand link_constraint(ctx *c, const bs_link *l, const bs_step_result *rp,
                            const scratch *sp)
{
    cand k = {.set = false};
    if (sp->xf == BS_DAY_NONE) /* a skipped step without constraining predecessors */
        return k;
    k.set = true;
    if (l->lag_unit == BS_UNIT_WORKING_DAYS) {
        if (l->lag == 0) { /* the instant passes unchanged (a milestone keeps its flag) */
            k.b = rp->ef_b;
            k.x = sp->xf;
            k.end_of_day = sp->end_of_day;
        } else {           /* L working days after: the end of working day b-1 */
            int64_t b = (int64_t)rp->ef_b + l->lag;
            if (b < 1 || b > c->cal->n_working) {
                range_error(c);
                b = 1;
            }
            k.b = (int32_t)b;
            k.x = wd(c, b - 1) + 1;
            k.end_of_day = true;
        }
    } else {               /* L calendar days after the finish instant */
        int64_t x = (int64_t)sp->xf + l->lag;
        k.b = boundary_of_instant(c, x);
        k.x = (bs_day)(c->err ? c->cal->first_day : x);
        k.end_of_day = sp->end_of_day;
    }
    return k;
}

static bool better(const cand *a, const cand *best)
{
    if (!best->set)
        return true;
    if (a->b != best->b)
        return a->b > best->b;
    if (a->x != best->x)
        return a->x > best->x;
    return a->end_of_day && !best->end_of_day;
}

static void forward_step(ctx *c, int32_t i, bs_step_result *res, scratch *sc)
{
    const bs_schema *sch = c->schema;
    const bs_step *s = &sch->steps[i];
    const bs_progress *pg = &c->progress[i];
    bs_step_result *r = &res[i];
    scratch *x = &sc[i];

    /* Predecessor constraints and out-of-sequence detection (through skipped steps). */
    cand best = {.set = false};
    bool pred_not_done = false;
    for (int32_t j = 0; j < s->n_preds; j++) {
        const bs_link *l = &sch->links[s->preds[j]];
        int32_t p = l->pred;
        if (c->progress[p].status == BS_STATUS_SKIPPED)
            pred_not_done |= sc[p].not_done;
        else
            pred_not_done |= !realised(c->progress[p].status);
        cand k = link_constraint(c, l, &res[p], &sc[p]);
        if (k.set && better(&k, &best))
            best = k;
    }

    r->early_start = r->early_finish = r->late_start = r->late_finish = BS_DAY_NONE;
    r->total_float = 0;
    r->critical = false;
    r->out_of_sequence = false;
    x->end_of_day = true;
    x->not_done = false;
    x->ys = BS_DAY_NONE;

    const int32_t d = s->duration;
    switch (pg->status) {
    case BS_STATUS_SKIPPED:
        /* Zero-duration pass-through: its predecessors constrain its successors. */
        x->not_done = pred_not_done;
        x->xf = best.set ? best.x : BS_DAY_NONE;
        x->end_of_day = best.end_of_day;
        r->es_b = r->ef_b = best.set ? best.b : 0;
        return;

    case BS_STATUS_DONE:
        r->out_of_sequence = pred_not_done;
        if (!known_dates(pg)) {
            /* Realised, dates unknown: constrains successors through the data date only. */
            x->xf = c->data_date;
            x->end_of_day = false;
            r->es_b = r->ef_b = c->dd_b;
            return;
        }
        {
            bs_day af = in_range(c, pg->actual_finish, 0);
            x->xf = af + 1;
            r->ef_b = bs_calendar_boundary_after(c->cal, af);
            r->early_finish = af;
            if (pg->actual_start != BS_DAY_NONE) {
                r->early_start = in_range(c, pg->actual_start, 0);
                r->es_b = bs_calendar_boundary_before(c->cal, r->early_start);
            } else if (is_milestone(s)) {
                r->early_start = af;
                r->es_b = r->ef_b;
            } else if (s->unit == BS_UNIT_CALENDAR_DAYS) {
                r->early_start = in_range(c, (int64_t)af - d + 1, 0);
                r->es_b = bs_calendar_boundary_before(c->cal, r->early_start);
            } else {
                r->es_b = r->ef_b - d;
                r->early_start = wd(c, r->es_b);
            }
        }
        return;

    case BS_STATUS_STARTED: {
        r->out_of_sequence = pred_not_done;
        bs_day as = in_range(c, pg->actual_start != BS_DAY_NONE ? pg->actual_start : c->data_date, 0);
        r->es_b = bs_calendar_boundary_before(c->cal, as);
        r->early_start = as;
        /* Not finished: the finish instant is not before the data date. */
        int64_t natural = is_milestone(s) ? as : (int64_t)finish_date(c, s, r->es_b, as) + 1;
        x->xf = (bs_day)(natural > c->data_date ? natural : c->data_date);
        r->ef_b = boundary_of_instant(c, x->xf);
        if (is_milestone(s)) {
            x->end_of_day = false;
            r->early_finish = x->xf;
        } else if (s->unit == BS_UNIT_CALENDAR_DAYS) {
            r->early_finish = x->xf - 1;
        } else {
            r->early_finish = wd(c, (int64_t)r->ef_b - 1);
        }
        return;
    }

    case BS_STATUS_OPEN:
        break;
    }

    /* OPEN: not before the first working day on or after the data date. */
    if (is_milestone(s)) {
        if (!best.set || best.b <= c->dd_b) { /* project start, or pinned at the data date */
            best.b = c->dd_b;
            best.x = wd(c, c->dd_b);
            best.end_of_day = false;
        }
        r->es_b = r->ef_b = best.b;
        x->xf = best.x;
        x->end_of_day = best.end_of_day;
        r->early_start = r->early_finish = best.end_of_day ? best.x - 1 : best.x;
        return;
    }
    r->es_b = best.set && best.b > c->dd_b ? best.b : c->dd_b;
    r->early_start = wd(c, r->es_b);
    r->early_finish = finish_date(c, s, r->es_b, BS_DAY_NONE);
    r->ef_b = bs_calendar_boundary_after(c->cal, r->early_finish);
    x->xf = r->early_finish + 1;
}

/* ---- backward pass ---- */

/* Latest instant at which step i may finish: the minimum over its unfinished successors'
 * bounds and the project finish instant y_end (no step may finish after the project; with
 * leads a successor's bound can lie beyond it). A skipped step is no step: only its
 * successors bound it, and without any it bounds nothing (INT64_MAX). */
static int64_t latest_finish_instant(ctx *c, int32_t i, const scratch *sc, int64_t y_end)
{
    if (c->progress[i].status == BS_STATUS_SKIPPED)
        y_end = INT64_MAX;
    const bs_schema *sch = c->schema;
    const bs_step *s = &sch->steps[i];
    int64_t y = INT64_MAX;
    for (int32_t j = 0; j < s->n_succs; j++) {
        const bs_link *l = &sch->links[s->succs[j]];
        int32_t q = l->succ;
        bs_step_status st = c->progress[q].status;
        if (st != BS_STATUS_OPEN && st != BS_STATUS_SKIPPED)
            continue; /* started/realised successors are not held back by i (forward pass) */
        int64_t ys = sc[q].ys, k;
        if (ys == BS_DAY_NONE)
            continue; /* a skipped successor that bounds nothing */
        if (l->lag_unit == BS_UNIT_CALENDAR_DAYS) {
            k = ys - l->lag;
        } else if (l->lag == 0) {
            k = ys;
        } else {
            int64_t b = (int64_t)boundary_of_instant(c, ys) - l->lag;
            if (b < 0) {
                range_error(c);
                b = 0;
            }
            k = b >= c->cal->n_working ? (int64_t)c->cal->last_day + 1 : c->cal->wd_date[b];
        }
        if (k > (int64_t)c->cal->last_day + 1)
            k = (int64_t)c->cal->last_day + 1;
        if (k < y)
            y = k;
    }
    return y < y_end ? y : y_end;
}

static void backward_step(ctx *c, int32_t i, bs_step_result *res, scratch *sc, int64_t y_end)
{
    const bs_step *s = &c->schema->steps[i];
    bs_step_result *r = &res[i];
    scratch *x = &sc[i];
    const bs_step_status st = c->progress[i].status;
    const int32_t d = s->duration;

    int64_t y = latest_finish_instant(c, i, sc, y_end);
    if (y < c->cal->first_day) {
        range_error(c);
        return;
    }

    if (st == BS_STATUS_SKIPPED) {
        x->ys = y == INT64_MAX ? BS_DAY_NONE : (bs_day)y;
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
            r->late_start = wd(c, r->ls_b);
            r->late_finish = is_milestone(s) ? (bs_day)y
                           : s->unit == BS_UNIT_CALENDAR_DAYS ? (bs_day)(y - 1)
                           : wd(c, (int64_t)r->lf_b - 1);
        }
    } else if (is_milestone(s)) {
        r->ls_b = r->lf_b = boundary_of_instant(c, y);
        x->ys = (bs_day)y;
        if (r->ls_b == r->es_b)
            r->late_start = r->early_start;
        else
            r->late_start = x->end_of_day ? wd(c, (int64_t)r->lf_b - 1) : wd(c, r->lf_b);
        r->late_finish = r->late_start;
        r->total_float = r->ls_b - r->es_b;
    } else if (!needs_dates(s)) {
        r->lf_b = boundary_of_instant(c, y);
        r->ls_b = r->lf_b - d;
        r->late_start = wd(c, r->ls_b);
        r->late_finish = wd(c, (int64_t)r->lf_b - 1);
        x->ys = r->late_start;
        r->total_float = r->ls_b - r->es_b;
    } else {
        /* Latest working-day start k whose finish instant (finish date + 1) is <= y. */
        int64_t k;
        if (s->unit == BS_UNIT_CALENDAR_DAYS) {
            int64_t last_start = y - d; /* start date + d - 1 <= y - 1 */
            if (last_start < c->cal->first_day)
                k = -1;
            else
                k = (int64_t)bs_calendar_boundary_after(c->cal, in_range(c, last_start, 1)) - 1;
        } else {
            k = (int64_t)boundary_of_instant(c, y) - d;
        }
        bs_day f = BS_DAY_NONE;
        for (; k >= 0 && c->err == BS_SCHEDULE_OK; k--) {
            f = finish_date(c, s, k, BS_DAY_NONE);
            if ((int64_t)f + 1 <= y)
                break;
        }
        if (k < 0) {
            range_error(c);
            return;
        }
        r->ls_b = (int32_t)k;
        r->late_start = wd(c, k);
        r->late_finish = f;
        r->lf_b = bs_calendar_boundary_after(c->cal, f);
        x->ys = r->late_start;
        r->total_float = r->ls_b - r->es_b;
    }
    r->critical = r->total_float <= 0;
}

/* ---- public ---- */

static bool date_ok(const bs_calendar *cal, bs_day d)
{
    return d == BS_DAY_NONE || bs_calendar_covers(cal, d);
}

bs_schedule_err bs_schedule_compute(const bs_schema *schema, const bs_progress *progress,
                                    bs_day data_date, const bs_calendar *cal, bs_schedule *out)
{
    out->n_steps = 0;
    out->steps = NULL;
    out->data_date = data_date;
    out->project_finish = BS_DAY_NONE;
    out->n_out_of_sequence = 0;

    for (int32_t l = 0; l < schema->n_links; l++)
        if (schema->links[l].type != BS_LINK_FS)
            return BS_SCHEDULE_EUNSUPPORTED;
    if (!cal->count_before || cal->n_working <= 0 || !bs_calendar_covers(cal, data_date))
        return BS_SCHEDULE_ERANGE;
    for (int32_t i = 0; i < schema->n_steps; i++)
        if (schema->steps[i].duration < 0)
            return BS_SCHEDULE_ERANGE;

    const int32_t n = schema->n_steps;
    bs_step_result *res = calloc(n > 0 ? (size_t)n : 1, sizeof *res);
    scratch *sc = malloc((n > 0 ? (size_t)n : 1) * sizeof *sc);
    if (!res || !sc) {
        free(res);
        free(sc);
        return BS_SCHEDULE_ENOMEM;
    }

    ctx c = {.schema = schema, .progress = progress, .cal = cal, .data_date = data_date,
             .dd_b = bs_calendar_boundary_before(cal, data_date), .err = BS_SCHEDULE_OK};

    /* Forward pass in topological order. */
    for (int32_t t = 0; t < n && c.err == BS_SCHEDULE_OK; t++)
        forward_step(&c, schema->topo[t], res, sc);

    /* Project finish: the latest early finish of the unfinished steps. */
    int32_t pf_b = -1;
    bs_day pf = BS_DAY_NONE;
    for (int32_t i = 0; i < n && c.err == BS_SCHEDULE_OK; i++) {
        bs_step_status st = progress[i].status;
        if (st != BS_STATUS_OPEN && st != BS_STATUS_STARTED)
            continue;
        if (res[i].ef_b > pf_b)
            pf_b = res[i].ef_b;
        if (pf == BS_DAY_NONE || res[i].early_finish > pf)
            pf = res[i].early_finish;
    }

    /* Backward pass in reverse topological order (only when something is unfinished). */
    int64_t y_end = pf_b < 0 ? 0 : pf_b < cal->n_working ? cal->wd_date[pf_b]
                                                         : (int64_t)cal->last_day + 1;
    for (int32_t t = n - 1; t >= 0 && pf_b >= 0 && c.err == BS_SCHEDULE_OK; t--) {
        int32_t i = schema->topo[t];
        bs_step_status st = progress[i].status;
        if (st == BS_STATUS_OPEN || st == BS_STATUS_STARTED || st == BS_STATUS_SKIPPED)
            backward_step(&c, i, res, sc, y_end);
    }

    /* Realised and skipped steps: fixed; count out-of-sequence steps; check ranges. */
    for (int32_t i = 0; i < n && c.err == BS_SCHEDULE_OK; i++) {
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
            break;
        }
        out->n_out_of_sequence += r->out_of_sequence;
        if (!date_ok(cal, r->early_start) || !date_ok(cal, r->early_finish) ||
            !date_ok(cal, r->late_start) || !date_ok(cal, r->late_finish))
            range_error(&c);
    }
    free(sc);

    if (c.err != BS_SCHEDULE_OK) {
        free(res);
        out->n_out_of_sequence = 0;
        return c.err;
    }
    out->n_steps = n;
    out->steps = res;
    out->project_finish = pf;
    return BS_SCHEDULE_OK;
}

void bs_schedule_free(bs_schedule *s)
{
    if (!s)
        return;
    free(s->steps);
    s->steps = NULL;
    s->n_steps = 0;
}

const char *bs_schedule_strerror(bs_schedule_err e)
{
    switch (e) {
    case BS_SCHEDULE_OK: return "ok";
    case BS_SCHEDULE_ENOMEM: return "out of memory";
    case BS_SCHEDULE_ERANGE: return "a date falls outside the calendar's range";
    case BS_SCHEDULE_EUNSUPPORTED: return "unsupported link type (only FS is supported)";
    }
    return "unknown error";
}
