/*
 * Beleidsdoelen: the probability that a policy goal is met. See goals.h.
 */
#include "goals.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void bs_goal_result_free(bs_goal_result *out) {
    if (!out) return;
    for (int32_t j = 0; out->projects && j < out->n_projects; j++) {
        free(out->projects[j].dist_value);
        free(out->projects[j].dist_prob);
    }
    free(out->projects);
    free(out->windows);
    memset(out, 0, sizeof *out);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* type-1 quantile of sorted v[0..n): the ceil(p n)-th smallest */
static double quantile1(const double *sorted, int32_t n, double p) {
    int32_t k = (int32_t)ceil(p * n) - 1;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return sorted[k];
}

static bool in_window(const bs_goal_spec *g, int32_t w, bs_day d) {
    if (d == BS_DAY_NONE) return false;
    return (g->from[w] == BS_DAY_NONE || d >= g->from[w]) && d <= g->to[w];
}

/* The delivery day of block bk in sample s (s < 0: the plan). */
static bs_day day_of(const bs_goal_project *p, const bs_goal_block *bk, int32_t s, int32_t ns) {
    if (bk->fixed) return bk->fixed_day;
    const bs_goal_project *pj = &p[bk->project];
    return s < 0 ? pj->planned[bk->col] : pj->samples[(size_t)bk->col * (size_t)ns + (size_t)s];
}

static double value_of(const bs_goal_spec *g, double num, double den) {
    if (!g->percentage) return num;
    return den > 0 ? 100.0 * num / den : 0.0;
}

static bool meets(const bs_goal_spec *g, double v) {
    /* a relative tolerance so that 100 · 3 / 10 meets a target of 30 */
    double eps = 1e-9 * (fabs(g->target) + 1);
    return g->maximum ? v <= g->target + eps : v >= g->target - eps;
}

static int check_input(const bs_goal_spec *g, const bs_goal_project *p, int32_t np, const bs_goal_block *b, int32_t nb,
                       int32_t ns) {
    if (!g || g->n_windows < 1 || g->n_windows > BS_GOAL_MAX_WINDOWS || !g->from || !g->to) return BS_GOAL_EINVAL;
    if (np < 0 || nb < 0 || ns < 1 || (np > 0 && !p) || (nb > 0 && !b)) return BS_GOAL_EINVAL;
    for (int32_t k = 0; k < nb; k++)
        if (b[k].project < 0 || b[k].project >= np ||
            (!b[k].fixed && (b[k].col < 0 || b[k].col >= p[b[k].project].n_cols)))
            return BS_GOAL_EINVAL;
    return BS_GOAL_OK;
}

/* Per window and sample: Σ num and Σ den of the blocks delivered in the window (num, den: n_windows * ns). */
static void window_sums(const bs_goal_spec *g, const bs_goal_project *p, const bs_goal_block *b, int32_t nb, int32_t ns,
                        double *num, double *den) {
    int32_t nw = g->n_windows;
    for (int32_t k = 0; k < nb; k++) {
        for (int32_t s = 0; s < ns; s++)
            for (int32_t w = 0; w < nw; w++)
                if (in_window(g, w, day_of(p, &b[k], s, ns))) {
                    num[(size_t)w * ns + s] += b[k].num;
                    den[(size_t)w * ns + s] += b[k].den;
                }
    }
}

/* Fills the window results and met[s] (every window meets the target in sample s). */
static int window_results(const bs_goal_spec *g, const bs_goal_project *p, const bs_goal_block *b, int32_t nb,
                          int32_t ns, const double *num, const double *den, unsigned char *met, bs_goal_result *out) {
    int32_t nw = g->n_windows;
    double *v = bs_malloc((size_t)ns * sizeof *v);
    if (!v) return BS_GOAL_ENOMEM;
    memset(met, 1, (size_t)ns);
    for (int32_t w = 0; w < nw; w++) {
        bs_goal_window *o = &out->windows[w];
        double pn = 0, pd = 0, sum = 0;
        int32_t n_met = 0;
        for (int32_t k = 0; k < nb; k++)
            if (in_window(g, w, day_of(p, &b[k], -1, ns))) {
                pn += b[k].num;
                pd += b[k].den;
            }
        o->planned = value_of(g, pn, pd);
        for (int32_t s = 0; s < ns; s++) {
            v[s] = value_of(g, num[(size_t)w * ns + s], den[(size_t)w * ns + s]);
            sum += v[s];
            if (meets(g, v[s]))
                n_met++;
            else
                met[s] = 0;
        }
        qsort(v, (size_t)ns, sizeof *v, cmp_double);
        o->p50 = quantile1(v, ns, 0.5);
        o->p80 = quantile1(v, ns, 0.2);
        o->mean = sum / ns;
        o->p_met = (double)n_met / ns;
    }
    free(v);
    return BS_GOAL_OK;
}

/* The distinct values of x[0..ns) and their shares, ascending. A project's contribution takes few
 * values (sums of its blocks), so they are counted in a short list first; x is sorted only when
 * there are more than 64. */
static int distribution(double *x, int32_t ns, bs_goal_project_result *r) {
    enum { FEW = 64 };
    double v[FEW];
    int32_t cnt[FEW], m = 0;
    for (int32_t s = 0; s < ns && m <= FEW; s++) {
        int32_t k = 0;
        while (k < m && v[k] != x[s]) k++;
        if (k == m) {
            if (m == FEW) {
                m = FEW + 1;
                break;
            }
            v[m] = x[s];
            cnt[m++] = 0;
        }
        cnt[k]++;
    }
    if (m > FEW) { /* many values: sort and count runs */
        qsort(x, (size_t)ns, sizeof *x, cmp_double);
        m = 0;
        for (int32_t s = 0; s < ns; s++)
            if (s == 0 || x[s] != x[s - 1]) m++;
    } else { /* insertion sort of the few values with their counts */
        for (int32_t a = 1; a < m; a++)
            for (int32_t b = a; b > 0 && v[b - 1] > v[b]; b--) {
                double tv = v[b];
                int32_t tc = cnt[b];
                v[b] = v[b - 1];
                cnt[b] = cnt[b - 1];
                v[b - 1] = tv;
                cnt[b - 1] = tc;
            }
    }
    r->dist_value = bs_malloc((size_t)m * sizeof *r->dist_value);
    r->dist_prob = bs_malloc((size_t)m * sizeof *r->dist_prob);
    if (!r->dist_value || !r->dist_prob) return BS_GOAL_ENOMEM;
    r->n_dist = m;
    if (m <= FEW) {
        for (int32_t k = 0; k < m; k++) {
            r->dist_value[k] = v[k];
            r->dist_prob[k] = (double)cnt[k] / ns;
        }
        return BS_GOAL_OK;
    }
    int32_t k = -1, run = 0;
    for (int32_t s = 0; s <= ns; s++) {
        if (s == ns || s == 0 || x[s] != x[s - 1]) {
            if (k >= 0) r->dist_prob[k] = (double)run / ns; /* a count over n, not a running sum of 1/n */
            if (s == ns) break;
            r->dist_value[++k] = x[s];
            run = 0;
        }
        run++;
    }
    return BS_GOAL_OK;
}

/* Project j's (p: all projects) lateness per sample (late[s]) and its distribution in the last window. bidx: the
 * indexes of its nbj blocks. cum, last: ns scratch each. */
static int project_result(const bs_goal_spec *g, const bs_goal_project *p, const bs_goal_block *b, const int32_t *bidx,
                          int32_t nbj, int32_t ns, unsigned char *late, double *cum, double *last,
                          bs_goal_project_result *r) {
    int32_t nw = g->n_windows, lw = nw - 1;
    memset(late, 0, (size_t)ns);
    memset(last, 0, (size_t)ns * sizeof *last);
    for (int32_t q = 0; q < nbj; q++) {
        const bs_goal_block *bk = &b[bidx[q]];
        if (in_window(g, lw, day_of(p, bk, -1, ns))) r->planned += bk->num;
        for (int32_t s = 0; s < ns; s++)
            if (in_window(g, lw, day_of(p, bk, s, ns))) last[s] += bk->num;
    }
    for (int32_t w = 0; w < nw; w++) {
        double plan = 0;
        memset(cum, 0, (size_t)ns * sizeof *cum);
        for (int32_t q = 0; q < nbj; q++) {
            const bs_goal_block *bk = &b[bidx[q]];
            bs_day pd = day_of(p, bk, -1, ns);
            if (pd != BS_DAY_NONE && pd <= g->to[w]) plan += bk->num;
            for (int32_t s = 0; s < ns; s++) {
                bs_day d = day_of(p, bk, s, ns);
                if (d != BS_DAY_NONE && d <= g->to[w]) cum[s] += bk->num;
            }
        }
        for (int32_t s = 0; s < ns; s++)
            if (g->maximum ? cum[s] > plan : cum[s] < plan) late[s] = 1;
    }
    return distribution(last, ns, r);
}

/* The per-project results: lateness against the missed samples. */
static int project_results(const bs_goal_spec *g, const bs_goal_project *p, int32_t np, const bs_goal_block *b,
                           int32_t nb, int32_t ns, const unsigned char *met, bs_goal_result *out) {
    int32_t *start = bs_calloc((size_t)np + 1, sizeof *start);
    int32_t *order = bs_malloc(((size_t)nb + 1) * sizeof *order);
    int32_t *fill = bs_calloc((size_t)np + 1, sizeof *fill);
    unsigned char *late = bs_malloc((size_t)ns);
    double *cum = bs_malloc((size_t)ns * sizeof *cum), *last = bs_malloc((size_t)ns * sizeof *last);
    int rc = (!start || !order || !fill || !late || !cum || !last) ? BS_GOAL_ENOMEM : BS_GOAL_OK;
    if (rc == BS_GOAL_OK) {
        /* counting sort of the blocks by project */
        for (int32_t k = 0; k < nb; k++) start[b[k].project + 1]++;
        for (int32_t j = 0; j < np; j++) start[j + 1] += start[j];
        for (int32_t k = 0; k < nb; k++) order[start[b[k].project] + fill[b[k].project]++] = k;
    }
    for (int32_t j = 0; rc == BS_GOAL_OK && j < np; j++) {
        bs_goal_project_result *r = &out->projects[j];
        rc = project_result(g, p, b, order + start[j], start[j + 1] - start[j], ns, late, cum, last, r);
        int32_t n_late = 0, n_late_missed = 0;
        for (int32_t s = 0; s < ns; s++) {
            n_late += late[s];
            n_late_missed += late[s] && !met[s];
        }
        r->p_late = (double)n_late / ns;
        r->p_late_missed = out->n_missed > 0 ? (double)n_late_missed / out->n_missed : NAN;
        r->importance = out->n_missed > 0 ? r->p_late_missed - r->p_late : NAN;
    }
    free(start);
    free(order);
    free(fill);
    free(late);
    free(cum);
    free(last);
    return rc;
}

int bs_goal_compute(const bs_goal_spec *g, const bs_goal_project *p, int32_t n_projects, const bs_goal_block *b,
                    int32_t n_blocks, int32_t n_samples, bs_goal_result *out) {
    memset(out, 0, sizeof *out);
    int rc = check_input(g, p, n_projects, b, n_blocks, n_samples);
    if (rc != BS_GOAL_OK) return rc;
    int32_t ns = n_samples, nw = g->n_windows;
    out->n_windows = nw;
    out->n_projects = n_projects;
    out->n_samples = ns;
    out->windows = bs_calloc((size_t)nw, sizeof *out->windows);
    out->projects = bs_calloc((size_t)n_projects + 1, sizeof *out->projects);
    double *num = bs_calloc((size_t)nw * (size_t)ns, sizeof *num);
    double *den = bs_calloc((size_t)nw * (size_t)ns, sizeof *den);
    unsigned char *met = bs_malloc((size_t)ns);
    if (!out->windows || !out->projects || !num || !den || !met) rc = BS_GOAL_ENOMEM;
    if (rc == BS_GOAL_OK) {
        window_sums(g, p, b, n_blocks, ns, num, den);
        rc = window_results(g, p, b, n_blocks, ns, num, den, met, out);
    }
    if (rc == BS_GOAL_OK) {
        int32_t n_met = 0;
        for (int32_t s = 0; s < ns; s++) n_met += met[s];
        out->p_met = (double)n_met / ns;
        out->n_missed = ns - n_met;
        rc = project_results(g, p, n_projects, b, n_blocks, ns, met, out);
    }
    free(num);
    free(den);
    free(met);
    return rc;
}
