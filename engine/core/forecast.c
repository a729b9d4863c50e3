/*
 * Monte Carlo project forecast. See forecast.h.
 */
#include "forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "leadtime.h"

void bs_forecast_free(bs_forecast *f) {
    if (!f) return;
    free(f->steps);
    memset(f, 0, sizeof *f);
}

static int cmp_day(const void *a, const void *b) {
    bs_day x = *(const bs_day *)a, y = *(const bs_day *)b;
    return (x > y) - (x < y);
}

static bs_day pick(const bs_day *sorted, int32_t m, double p) {
    int32_t k = (int32_t)ceil(p * m) - 1; /* type 1: the ceil(p m)-th smallest */
    if (k < 0) k = 0;
    if (k >= m) k = m - 1;
    return sorted[k];
}

void bs_forecast_day_quantiles(bs_day *v, int32_t n, bs_day *p50, bs_day *p80) {
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++)
        if (v[i] != BS_DAY_NONE) v[m++] = v[i];
    if (m == 0) {
        *p50 = *p80 = BS_DAY_NONE;
        return;
    }
    qsort(v, (size_t)m, sizeof *v, cmp_day);
    *p50 = pick(v, m, 0.5);
    *p80 = pick(v, m, 0.8);
}

/* The schedule of one sample without a hook: the schema's links, no overrides. */
static bs_schedule_err default_schedule(const bs_schema *s, const bs_progress *progress, bs_day progress_date,
                                        bs_day data_date, const bs_calendar *cal, bs_schedule *out) {
    bs_schedule_input si = {.schema = s,
                            .progress = progress,
                            .progress_date = progress_date,
                            .data_date = data_date,
                            .cal = cal,
                            .near_critical_wd = -1};
    return bs_schedule_compute_ex(&si, out);
}

static bs_day step_finish(const bs_schedule *s, int32_t i, const bs_progress *p) {
    if (p[i].status == BS_STATUS_SKIPPED) return BS_DAY_NONE;
    return s->steps[i].early_finish;
}

int bs_forecast_compute(const bs_forecast_input *in, bs_rng *rng, bs_forecast *out) {
    memset(out, 0, sizeof *out);
    const bs_schema *sc = in->schema;
    int32_t n = sc->n_steps, ns = in->n_samples;
    if (ns < 1 || ns > BS_FORECAST_MAX_SAMPLES) return BS_SCHEDULE_EUNSUPPORTED;
    for (int32_t k = 0; k < in->n_keep; k++)
        if (!in->keep_steps || !in->keep_finish || in->keep_steps[k] < 0 || in->keep_steps[k] >= n)
            return BS_SCHEDULE_EUNSUPPORTED;
    bs_schema copy = *sc; /* shallow: links, topo and step strings are shared, durations per sample */
    copy.steps = bs_malloc((size_t)n * sizeof *copy.steps);
    bs_day *fin = bs_malloc((size_t)n * (size_t)ns * sizeof *fin); /* [step * ns + sample] */
    bs_day *comp = bs_malloc((size_t)ns * sizeof *comp);
    int32_t *crit = bs_calloc((size_t)n, sizeof *crit);
    double *elapsed = bs_malloc((size_t)n * sizeof *elapsed);
    out->steps = bs_calloc((size_t)n, sizeof *out->steps);
    int rc = BS_SCHEDULE_OK;
    memcpy(copy.steps, sc->steps, (size_t)n * sizeof *copy.steps);
    out->n_steps = n;
    out->n_samples = ns;
    /* the deterministic plan */
    bs_schedule plan;
    rc = in->schedule
             ? in->schedule(in->schedule_ctx, sc, in->progress, in->progress_date, in->data_date, in->cal, &plan)
             : default_schedule(sc, in->progress, in->progress_date, in->data_date, in->cal, &plan);
    if (rc != BS_SCHEDULE_OK) goto done;
    for (int32_t i = 0; i < n; i++) out->steps[i].planned = step_finish(&plan, i, in->progress);
    out->completion_planned = plan.project_finish;
    bs_schedule_free(&plan);
    /* elapsed: the work done by the progress date, as in the schedule's remaining duration */
    const bs_day pd = in->progress_date == BS_DAY_NONE ? in->data_date : in->progress_date;
    for (int32_t i = 0; i < n; i++) {
        const bs_progress *p = &in->progress[i];
        elapsed[i] = 0;
        if (p->status == BS_STATUS_STARTED && p->actual_start != BS_DAY_NONE && p->actual_start < pd)
            elapsed[i] = bs_lt_elapsed(in->cal, sc->steps[i].unit, p->actual_start, pd);
    }
    for (int32_t s = 0; s < ns; s++) {
        for (int32_t i = 0; i < n; i++) {
            const bs_progress *p = &in->progress[i];
            if (sc->steps[i].milestone || !in->has_dist || !in->has_dist[i]) continue;
            if (p->status != BS_STATUS_OPEN && p->status != BS_STATUS_STARTED) continue;
            double t = bs_ltdist_sample_cond(&in->dist[i], elapsed[i], rng);
            double d = ceil(t);
            if (d < 1) d = 1;
            if (d > 36500) d = 36500;
            copy.steps[i].duration = (int32_t)d;
        }
        bs_schedule sch;
        rc = in->schedule
                 ? in->schedule(in->schedule_ctx, &copy, in->progress, in->progress_date, in->data_date, in->cal, &sch)
                 : default_schedule(&copy, in->progress, in->progress_date, in->data_date, in->cal, &sch);
        if (rc != BS_SCHEDULE_OK) goto done;
        for (int32_t i = 0; i < n; i++) {
            fin[(size_t)i * (size_t)ns + (size_t)s] = step_finish(&sch, i, in->progress);
            crit[i] += sch.steps[i].critical ? 1 : 0;
        }
        comp[s] = sch.project_finish;
        for (int32_t k = 0; k < in->n_keep; k++)
            in->keep_finish[(size_t)k * (size_t)ns + (size_t)s] =
                fin[(size_t)in->keep_steps[k] * (size_t)ns + (size_t)s];
        bs_schedule_free(&sch);
    }
    for (int32_t i = 0; i < n; i++) {
        bs_day *v = &fin[(size_t)i * (size_t)ns];
        bs_forecast_day_quantiles(v, ns, &out->steps[i].p50, &out->steps[i].p80);
        out->steps[i].criticality = (double)crit[i] / ns;
    }
    bs_forecast_day_quantiles(comp, ns, &out->completion_p50, &out->completion_p80);
done:
    free(copy.steps);
    free(fin);
    free(comp);
    free(crit);
    free(elapsed);
    if (rc != BS_SCHEDULE_OK) bs_forecast_free(out);
    return rc;
}

static int32_t diff_days(bs_day a, bs_day b) {
    return a == BS_DAY_NONE || b == BS_DAY_NONE ? INT32_MIN : b - a;
}

int bs_forecast_diff(const bs_forecast *base, const bs_forecast *whatif, bs_forecast_shift *shifts) {
    if (base->n_steps != whatif->n_steps) return -1;
    for (int32_t i = 0; i < base->n_steps; i++) {
        shifts[i].p50_days = diff_days(base->steps[i].p50, whatif->steps[i].p50);
        shifts[i].p80_days = diff_days(base->steps[i].p80, whatif->steps[i].p80);
    }
    shifts[base->n_steps].p50_days = diff_days(base->completion_p50, whatif->completion_p50);
    shifts[base->n_steps].p80_days = diff_days(base->completion_p80, whatif->completion_p80);
    return 0;
}
