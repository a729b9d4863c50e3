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

/* Rearranges v[lo..hi] (inclusive) so that v[k] is the value a sort would put there, every
 * element before it <= v[k] and every element after it >= v[k] (a selection: Hoare's FIND, CACM 4(7)
 * 1961, with a three-way partition, Dijkstra's "Dutch national flag", so that runs of equal days
 * — most samples of a step share a few finish days — end the search at once). Pivot: the median of
 * the first, middle and last element. Expected linear time; after 2·log2(n) + 8 rounds without
 * finishing, the rest is heap-sorted, so never worse than n log n. */
static void heap_sift(bs_day *v, int32_t root, int32_t n) {
    for (;;) {
        int32_t c = 2 * root + 1;
        if (c >= n) return;
        if (c + 1 < n && v[c + 1] > v[c]) c++;
        if (v[root] >= v[c]) return;
        bs_day t = v[root];
        v[root] = v[c];
        v[c] = t;
        root = c;
    }
}

static void heap_sort(bs_day *v, int32_t n) {
    for (int32_t i = n / 2 - 1; i >= 0; i--) heap_sift(v, i, n);
    for (int32_t end = n - 1; end > 0; end--) {
        bs_day t = v[0];
        v[0] = v[end];
        v[end] = t;
        heap_sift(v, 0, end);
    }
}

static bs_day median3(bs_day a, bs_day b, bs_day c) {
    if (a > b) {
        bs_day t = a;
        a = b;
        b = t;
    }
    return c <= a ? a : c >= b ? b : c;
}

static void select_kth(bs_day *v, int32_t lo, int32_t hi, int32_t k) {
    int32_t budget = 8;
    for (int32_t n = hi - lo + 1; n > 1; n >>= 1) budget += 2;
    while (hi > lo) {
        if (budget-- == 0) {
            heap_sort(v + lo, hi - lo + 1);
            return;
        }
        bs_day piv = median3(v[lo], v[lo + (hi - lo) / 2], v[hi]);
        /* v[lo..lt) < piv, v[lt..i) == piv, v(gt..hi] > piv */
        int32_t lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            bs_day x = v[i];
            if (x < piv) {
                v[i++] = v[lt];
                v[lt++] = x;
            } else if (x > piv) {
                v[i] = v[gt];
                v[gt--] = x;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt - 1;
        else if (k > gt)
            lo = gt + 1;
        else
            return; /* v[k] == piv, in its sorted place */
    }
}

/* type 1: the ceil(p m)-th smallest, as an index into the sorted order */
static int32_t rank_of(int32_t m, double p) {
    int32_t k = (int32_t)ceil(p * m) - 1;
    if (k < 0) k = 0;
    if (k >= m) k = m - 1;
    return k;
}

void bs_forecast_day_quantiles(bs_day *v, int32_t n, bs_day *p50, bs_day *p80) {
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++)
        if (v[i] != BS_DAY_NONE) v[m++] = v[i];
    if (m == 0) {
        *p50 = *p80 = BS_DAY_NONE;
        return;
    }
    const int32_t k50 = rank_of(m, 0.5), k80 = rank_of(m, 0.8);
    select_kth(v, 0, m - 1, k50);
    *p50 = v[k50];
    /* everything after k50 is >= v[k50]; k80 >= k50 */
    if (k80 > k50) select_kth(v, k50 + 1, m - 1, k80);
    *p80 = v[k80];
}

/* The schedule of one sample without a hook: the input's overrides and links, computed in ws (out's arrays
 * point into ws until its next use). */
static bs_schedule_err default_schedule(const bs_forecast_input *fi, const bs_schema *s, bs_schedule_ws *ws,
                                        bs_schedule *out) {
    bs_schedule_input si = {.schema = s,
                            .progress = fi->progress,
                            .overrides = fi->overrides,
                            .links = fi->links,
                            .n_links = fi->links ? fi->n_links : 0,
                            .progress_date = fi->progress_date,
                            .data_date = fi->data_date,
                            .cal = fi->cal,
                            .near_critical_wd = -1};
    return bs_schedule_compute_ws(&si, ws, out);
}

/* One schedule of s: the hook's (out owned, free it with bs_schedule_free) or default_schedule's (in ws). */
static bs_schedule_err one_schedule(const bs_forecast_input *in, const bs_schema *s, bs_schedule_ws *ws,
                                    bs_schedule *out) {
    return in->schedule
               ? in->schedule(in->schedule_ctx, s, in->progress, in->progress_date, in->data_date, in->cal, out)
               : default_schedule(in, s, ws, out);
}

static void release_schedule(const bs_forecast_input *in, bs_schedule *s) {
    if (in->schedule) bs_schedule_free(s); /* a workspace's schedule is the workspace's */
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
    bs_schedule_ws ws;
    bs_schedule_ws_init(&ws);
    memcpy(copy.steps, sc->steps, (size_t)n * sizeof *copy.steps);
    out->n_steps = n;
    out->n_samples = ns;
    /* the deterministic plan */
    bs_schedule plan;
    rc = one_schedule(in, sc, &ws, &plan);
    if (rc != BS_SCHEDULE_OK) goto done;
    for (int32_t i = 0; i < n; i++) out->steps[i].planned = step_finish(&plan, i, in->progress);
    out->completion_planned = plan.project_finish;
    release_schedule(in, &plan);
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
        rc = one_schedule(in, &copy, &ws, &sch);
        if (rc != BS_SCHEDULE_OK) goto done;
        for (int32_t i = 0; i < n; i++) {
            fin[(size_t)i * (size_t)ns + (size_t)s] = step_finish(&sch, i, in->progress);
            crit[i] += sch.steps[i].critical ? 1 : 0;
        }
        comp[s] = sch.project_finish;
        for (int32_t k = 0; k < in->n_keep; k++)
            in->keep_finish[(size_t)k * (size_t)ns + (size_t)s] =
                fin[(size_t)in->keep_steps[k] * (size_t)ns + (size_t)s];
        release_schedule(in, &sch);
    }
    for (int32_t i = 0; i < n; i++) {
        bs_day *v = &fin[(size_t)i * (size_t)ns];
        bs_forecast_day_quantiles(v, ns, &out->steps[i].p50, &out->steps[i].p80);
        out->steps[i].criticality = (double)crit[i] / ns;
    }
    bs_forecast_day_quantiles(comp, ns, &out->completion_p50, &out->completion_p80);
done:
    bs_schedule_ws_free(&ws);
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
