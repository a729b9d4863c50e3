/*
 * Lead-time estimators: Kaplan–Meier, Greenwood, quantiles, lognormal/Weibull MLE with
 * right-censoring, AIC choice, conditional remaining time. See estimate.h for the contract
 * and the sources of the formulas.
 */
#include "estimate.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define LOG_SQRT_2PI 0.91893853320467274178

const char *bs_est_strerror(bs_est_err e) {
    switch (e) {
    case BS_EST_OK: return "ok";
    case BS_EST_ENOMEM: return "out of memory";
    case BS_EST_EINVAL: return "invalid observations (need finite times > 0)";
    case BS_EST_ETOOFEW: return "too few events to fit (need >= 2 events at >= 2 distinct times)";
    case BS_EST_ENOCONV: return "maximum likelihood did not converge";
    }
    return "unknown error";
}

const char *bs_dist_family_name(bs_dist_family f) {
    return f == BS_DIST_WEIBULL ? "weibull" : "lognormal";
}

/* ---- observations ---- */

typedef struct raw_obs {
    double t;
    unsigned char e;
} raw_obs;

static int cmp_raw(const void *a, const void *b) {
    const raw_obs *x = a, *y = b;
    if (x->t < y->t) return -1;
    if (x->t > y->t) return 1;
    return (int)y->e - (int)x->e;
}

void bs_obs_free(bs_obs_set *s) {
    if (!s) return;
    free(s->time);
    free(s->events);
    free(s->censored);
    memset(s, 0, sizeof *s);
}

int bs_obs_collapse(const double *time, const unsigned char *event, size_t n, bs_obs_set *out) {
    memset(out, 0, sizeof *out);
    if (n == 0 || n > INT32_MAX) return BS_EST_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(time[i]) || time[i] <= 0) return BS_EST_EINVAL;
    raw_obs *r = bs_malloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++) {
        r[i].t = time[i];
        r[i].e = event[i] ? 1 : 0;
    }
    qsort(r, n, sizeof *r, cmp_raw);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (r[i].t != r[i - 1].t) m++;
    out->time = bs_malloc(m * sizeof *out->time);
    out->events = bs_calloc(m, sizeof *out->events);
    out->censored = bs_calloc(m, sizeof *out->censored);
    int32_t k = -1;
    for (size_t i = 0; i < n; i++) {
        if (k < 0 || r[i].t != out->time[k]) out->time[++k] = r[i].t;
        if (r[i].e) {
            out->events[k]++;
            out->n_events++;
        } else {
            out->censored[k]++;
            out->n_censored++;
        }
    }
    out->n = k + 1;
    free(r);
    return BS_EST_OK;
}

/* ---- normal distribution helpers ---- */

double bs_qnorm(double p) {
    /* Wichura, M. J. (1988) Algorithm AS 241: The percentage points of the normal
     * distribution. Applied Statistics 37, 477–484 (PPND16), as used by R's qnorm. */
    if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
    double q = p - 0.5, r, val;
    if (fabs(q) <= 0.425) {
        r = 0.180625 - q * q;
        val = q *
              (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
                   45921.953931549871457) *
                      r +
                  13731.693765509461125) *
                     r +
                 1971.5909503065514427) *
                    r +
                133.14166789178437745) *
                   r +
               3.387132872796366608) /
              (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r +
                   21213.794301586595867) *
                      r +
                  5394.1960214247511077) *
                     r +
                 687.1870074920579083) *
                    r +
                42.313330701600911252) *
                   r +
               1.0);
        return val;
    }
    r = q < 0 ? p : 1 - p;
    r = sqrt(-log(r));
    if (r <= 5.0) {
        r -= 1.6;
        val = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
                   1.27045825245236838258) *
                      r +
                  3.64784832476320460504) *
                     r +
                 5.7694972214606914055) *
                    r +
                4.6303378461565452959) *
                   r +
               1.42343711074968357734) /
              (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
                   0.14810397642748007459) *
                      r +
                  0.68976733498510000455) *
                     r +
                 1.6763848301838038494) *
                    r +
                2.05319162663775882187) *
                   r +
               1.0);
    } else {
        r -= 5.0;
        val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
                   0.026532189526576123093) *
                      r +
                  0.29656057182850489123) *
                     r +
                 1.7848265399172913358) *
                    r +
                5.4637849111641143699) *
                   r +
               6.6579046435011037772) /
              (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
                   7.868691311456132591e-4) *
                      r +
                  0.0148753612908506148525) *
                     r +
                 0.13692988092273580531) *
                    r +
                0.59983220655588793769) *
                   r +
               1.0);
    }
    return q < 0 ? -val : val;
}

double bs_log_pnorm_upper(double z) {
    if (z < 20.0) return log(0.5 * erfc(z / M_SQRT2));
    /* Laplace's continued fraction for the Mills ratio Φc(z)/φ(z) = 1/(z+1/(z+2/(z+3/(z+…)))) */
    double cf = z;
    for (int k = 60; k >= 1; k--) cf = z + k / cf;
    return -0.5 * z * z - LOG_SQRT_2PI - log(cf);
}

/* ---- Kaplan–Meier ---- */

void bs_km_free(bs_km *km) {
    if (!km) return;
    free(km->pts);
    memset(km, 0, sizeof *km);
}

int bs_km_fit(const bs_obs_set *obs, double conf_level, bs_km *out) {
    memset(out, 0, sizeof *out);
    if (!obs || obs->n <= 0) return BS_EST_EINVAL;
    out->pts = bs_malloc((size_t)obs->n * sizeof *out->pts);
    double z = bs_qnorm(1.0 - (1.0 - conf_level) / 2.0);
    int64_t at_risk = obs->n_events + obs->n_censored;
    double s = 1.0, gw = 0.0;
    for (int32_t i = 0; i < obs->n; i++) {
        bs_km_point *p = &out->pts[i];
        int64_t d = obs->events[i], c = obs->censored[i];
        p->time = obs->time[i];
        p->n_risk = at_risk;
        p->n_event = d;
        p->n_censor = c;
        if (d > 0) {
            s *= (double)(at_risk - d) / (double)at_risk; /* product-limit factor (Kaplan & Meier 1958) */
            if (at_risk > d)
                gw += (double)d / ((double)at_risk * (double)(at_risk - d)); /* Greenwood (1926) */
            else
                gw = INFINITY;
        }
        p->surv = s;
        p->std_err = s > 0 ? sqrt(gw) : INFINITY;
        if (s > 0 && isfinite(p->std_err)) {
            p->lower = exp(log(s) - z * p->std_err);
            p->upper = fmin(1.0, exp(log(s) + z * p->std_err));
        } else {
            p->lower = p->upper = NAN;
        }
        at_risk -= d + c;
    }
    out->n_pts = obs->n;
    out->n_obs = obs->n_events + obs->n_censored;
    out->n_events = obs->n_events;
    out->n_censored = obs->n_censored;
    return BS_EST_OK;
}

double bs_km_surv_at(const bs_km *km, double t) {
    double s = 1.0;
    /* binary search: last point with time <= t */
    int32_t lo = 0, hi = km->n_pts - 1, found = -1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (km->pts[mid].time <= t) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found >= 0) s = km->pts[found].surv;
    return s;
}

int bs_km_quantile(const bs_km *km, double p, double *out) {
    /* R survival:::findq on x = c(0, time), y = c(0, 1 - surv) with duplicated y removed. */
    const double tol = sqrt(DBL_EPSILON);
    if (km->n_pts <= 0) return 0;
    double ymax = 1.0 - km->pts[km->n_pts - 1].surv;
    if (ymax < p) return 0;
    double xmax = km->pts[km->n_pts - 1].time;
    /* walk the de-duplicated sequence (x_j, y_j), j = 0 is (0, 0) */
    double x1 = NAN, x2 = NAN;
    int have1 = 0, have2 = 0;
    double prev_y = 0.0, y_last_dedup = 0.0;
    if (0.0 + tol >= p) {
        x1 = 0.0;
        have1 = 1;
    }
    if (0.0 - tol >= p) {
        x2 = 0.0;
        have2 = 1;
    }
    for (int32_t i = 0; i < km->n_pts; i++) {
        double y = 1.0 - km->pts[i].surv;
        if (y == prev_y) continue; /* duplicated(y): keep the first occurrence */
        prev_y = y;
        y_last_dedup = y;
        if (!have1 && y + tol >= p) {
            x1 = km->pts[i].time;
            have1 = 1;
        }
        if (!have2 && y - tol >= p) {
            x2 = km->pts[i].time;
            have2 = 1;
        }
    }
    if (!have1) return 0;
    if (fabs(p - y_last_dedup) < tol) {
        *out = (x1 + xmax) / 2.0;
        return 1;
    }
    if (!have2) return 0;
    *out = (x1 + x2) / 2.0;
    return 1;
}

int bs_km_cond_quantile(const bs_km *km, double t0, double p, double *out) {
    double s0 = t0 > 0 ? bs_km_surv_at(km, t0) : 1.0;
    if (s0 <= 0) return 0;
    double level = (1.0 - p) * s0 * (1.0 + sqrt(DBL_EPSILON));
    for (int32_t i = 0; i < km->n_pts; i++) {
        if (km->pts[i].time <= t0) continue;
        if (km->pts[i].surv <= level) {
            *out = km->pts[i].time;
            return 1;
        }
    }
    return 0;
}

/* ---- parametric families ---- */

/* Per-observation log-likelihood contribution on the log-time scale as a function of
 * z = (log t - mu)/sigma, and its first and second derivatives with respect to z:
 * events: log f(z) (the −log sigma term is added by the caller), censored: log S(z). */
static inline void contrib(bs_dist_family fam, int event, double z, double *l, double *a, double *ap) {
    if (fam == BS_DIST_LOGNORMAL) {
        if (event) {
            *l = -0.5 * z * z - LOG_SQRT_2PI;
            *a = -z;
            *ap = -1.0;
        } else {
            double ls = bs_log_pnorm_upper(z);
            double lam = exp(-0.5 * z * z - LOG_SQRT_2PI - ls); /* inverse Mills ratio φ/Φc */
            *l = ls;
            *a = -lam;
            *ap = -lam * (lam - z);
        }
    } else {
        double ez = exp(z);
        if (event) {
            *l = z - ez; /* standard minimum extreme value density */
            *a = 1.0 - ez;
            *ap = -ez;
        } else {
            *l = -ez;
            *a = -ez;
            *ap = -ez;
        }
    }
}

typedef struct llres {
    double ll, g_mu, g_tau, h_mm, h_mt, h_tt;
} llres;

static llres loglik_logscale(const bs_obs_set *o, bs_dist_family fam, double mu, double tau, int derivs) {
    llres r = {0};
    double sigma = exp(tau);
    for (int32_t i = 0; i < o->n; i++) {
        double y = log(o->time[i]);
        double z = (y - mu) / sigma;
        for (int ev = 1; ev >= 0; ev--) {
            int64_t w = ev ? o->events[i] : o->censored[i];
            if (!w) continue;
            double l, a, ap;
            contrib(fam, ev, z, &l, &a, &ap);
            double wd = (double)w;
            r.ll += wd * (l - (ev ? tau : 0.0));
            if (derivs) {
                r.g_mu += wd * (-a / sigma);
                r.g_tau += wd * (-a * z - (ev ? 1.0 : 0.0));
                r.h_mm += wd * (ap / (sigma * sigma));
                r.h_mt += wd * ((ap * z + a) / sigma);
                r.h_tt += wd * (ap * z * z + a * z);
            }
        }
    }
    return r;
}

int bs_survreg_fit(const bs_obs_set *o, bs_dist_family fam, bs_psfit *out) {
    memset(out, 0, sizeof *out);
    out->dist.family = fam;
    if (!o || o->n <= 0) return BS_EST_EINVAL;
    int n_event_times = 0;
    double sum_y = 0, sum_yy = 0, n_all = 0, sum_ye = 0, ne = 0;
    for (int32_t i = 0; i < o->n; i++) {
        double y = log(o->time[i]);
        double w = (double)(o->events[i] + o->censored[i]);
        sum_y += w * y;
        n_all += w;
        if (o->events[i]) {
            n_event_times++;
            sum_ye += (double)o->events[i] * y;
            sum_yy += (double)o->events[i] * y * y;
            ne += (double)o->events[i];
        }
    }
    if (o->n_events < 2 || n_event_times < 2) return BS_EST_ETOOFEW;
    double mean_e = sum_ye / ne;
    double var_e = sum_yy / ne - mean_e * mean_e;
    double mu = sum_y / n_all;
    double tau = log(var_e > 1e-8 ? sqrt(var_e) : 1.0);
    llres cur = loglik_logscale(o, fam, mu, tau, 1);
    int it, converged = 0;
    for (it = 1; it <= 200; it++) {
        /* Newton step: solve H d = -g (H negative definite near the maximum) */
        double det = cur.h_mm * cur.h_tt - cur.h_mt * cur.h_mt;
        double d_mu, d_tau;
        if (cur.h_mm < 0 && det > 0) {
            d_mu = -(cur.h_tt * cur.g_mu - cur.h_mt * cur.g_tau) / det;
            d_tau = -(-cur.h_mt * cur.g_mu + cur.h_mm * cur.g_tau) / det;
        } else { /* not concave here: a damped gradient step */
            double sc = 1.0 / (1.0 + fabs(cur.g_mu) + fabs(cur.g_tau));
            d_mu = cur.g_mu * sc;
            d_tau = cur.g_tau * sc;
        }
        if (d_tau > 2.0) d_tau = 2.0; /* keep sigma within a sane factor per step */
        if (d_tau < -2.0) d_tau = -2.0;
        double step = 1.0;
        llres nxt;
        int accepted = 0;
        for (int h = 0; h < 60; h++) {
            nxt = loglik_logscale(o, fam, mu + step * d_mu, tau + step * d_tau, 0);
            if (isfinite(nxt.ll) && nxt.ll >= cur.ll - 1e-12 * fabs(cur.ll)) {
                accepted = 1;
                break;
            }
            step *= 0.5;
        }
        if (!accepted) break;
        double old = cur.ll;
        mu += step * d_mu;
        tau += step * d_tau;
        cur = loglik_logscale(o, fam, mu, tau, 1);
        double rel = fabs(cur.ll - old) / (fabs(old) + 1e-300);
        if (rel < 1e-14 && fabs(step * d_mu) < 1e-10 * (1 + fabs(mu)) && fabs(step * d_tau) < 1e-10) {
            converged = 1;
            break;
        }
    }
    if (!converged) {
        /* accept when the gradient is negligible (flat at machine precision) */
        double gs = fabs(cur.g_mu) + fabs(cur.g_tau);
        if (!(gs < 1e-6 * (1 + fabs(cur.ll)))) return BS_EST_ENOCONV;
    }
    /* Jacobian of t = exp(y) for exact observations: log f_T(t) = log f_Y(y) - log t */
    double jac = 0;
    for (int32_t i = 0; i < o->n; i++)
        if (o->events[i]) jac += (double)o->events[i] * log(o->time[i]);
    out->dist.mu = mu;
    out->dist.sigma = exp(tau);
    out->loglik = cur.ll - jac;
    out->aic = -2.0 * out->loglik + 2.0 * 2.0;
    double det = cur.h_mm * cur.h_tt - cur.h_mt * cur.h_mt;
    if (det != 0) {
        out->var_mu = -cur.h_tt / det;
        out->var_log_sigma = -cur.h_mm / det;
        out->cov = cur.h_mt / det;
    }
    out->iterations = it;
    return BS_EST_OK;
}

int bs_fit_best(const bs_obs_set *o, bs_psfit *ln, bs_psfit *wb, bs_psfit *best) {
    bs_psfit a, b;
    int ea = bs_survreg_fit(o, BS_DIST_LOGNORMAL, &a);
    int eb = bs_survreg_fit(o, BS_DIST_WEIBULL, &b);
    if (ln) *ln = a;
    if (wb) *wb = b;
    if (ea != BS_EST_OK && eb != BS_EST_OK) return ea;
    if (ea != BS_EST_OK)
        *best = b;
    else if (eb != BS_EST_OK)
        *best = a;
    else
        *best = b.aic < a.aic ? b : a;
    return BS_EST_OK;
}

/* ---- distribution functions ---- */

/* log S of the standardised variable */
static double log_surv_w(bs_dist_family f, double w) {
    return f == BS_DIST_LOGNORMAL ? bs_log_pnorm_upper(w) : -exp(w);
}

/* inverse of log S: the w with log S(w) = ls (ls < 0) */
static double inv_log_surv_w(bs_dist_family f, double ls) {
    if (f == BS_DIST_WEIBULL) return log(-ls);
    /* S(w) = exp(ls): w = Φ^-1(1 - exp(ls)) = -Φ^-1(exp(ls)); for tiny exp(ls) refine by Newton on log Φc */
    double s = exp(ls);
    double w = s > 1e-300 ? -bs_qnorm(s) : sqrt(-2.0 * ls);
    for (int k = 0; k < 3 && s < 1e-12; k++) {
        double cur = bs_log_pnorm_upper(w);
        double lam = exp(-0.5 * w * w - LOG_SQRT_2PI - cur);
        w += (cur - ls) / lam; /* d logS/dw = -lam */
    }
    return w;
}

double bs_dist_surv(const bs_dist *d, double t) {
    if (t <= 0) return 1.0;
    return exp(log_surv_w(d->family, (log(t) - d->mu) / d->sigma));
}

double bs_dist_quantile(const bs_dist *d, double p) {
    double w = d->family == BS_DIST_LOGNORMAL ? bs_qnorm(p) : log(-log1p(-p));
    return exp(d->mu + d->sigma * w);
}

double bs_dist_cond_prob(const bs_dist *d, double t, double delta) {
    double ls0 = t > 0 ? log_surv_w(d->family, (log(t) - d->mu) / d->sigma) : 0.0;
    double t1 = t + delta;
    if (t1 <= 0) return 0.0;
    double ls1 = log_surv_w(d->family, (log(t1) - d->mu) / d->sigma);
    return -expm1(ls1 - ls0);
}

double bs_dist_cond_quantile(const bs_dist *d, double t, double p) {
    double ls0 = t > 0 ? log_surv_w(d->family, (log(t) - d->mu) / d->sigma) : 0.0;
    double ls = ls0 + log1p(-p);
    return exp(d->mu + d->sigma * inv_log_surv_w(d->family, ls));
}

double bs_dist_sample_cond(const bs_dist *d, double t, bs_rng *rng) {
    double u = bs_rng_uniform(rng);
    double ls0 = t > 0 ? log_surv_w(d->family, (log(t) - d->mu) / d->sigma) : 0.0;
    double ls = ls0 + log(u);
    double x = exp(d->mu + d->sigma * inv_log_surv_w(d->family, ls));
    return x > t ? x : t;
}

/* ---- empirical/parametric mixture ---- */

bs_ltdist bs_ltdist_parametric(const bs_dist *d) {
    bs_ltdist x = {.par = *d, .w = 0, .n_km = 0, .km_time = NULL, .km_surv = NULL};
    return x;
}

void bs_ltdist_free(bs_ltdist *d) {
    if (!d) return;
    free(d->km_time);
    free(d->km_surv);
    d->km_time = d->km_surv = NULL;
    d->n_km = 0;
}

int bs_ltdist_from_km(const bs_km *km, const bs_dist *par, double w, bs_ltdist *out) {
    *out = bs_ltdist_parametric(par);
    int32_t m = 0;
    for (int32_t i = 0; i < km->n_pts; i++) m += km->pts[i].n_event > 0;
    if (m == 0 || w <= 0) return BS_EST_OK;
    out->km_time = bs_malloc((size_t)m * sizeof *out->km_time);
    out->km_surv = bs_malloc((size_t)m * sizeof *out->km_surv);
    for (int32_t i = 0; i < km->n_pts; i++) {
        if (km->pts[i].n_event == 0) continue;
        out->km_time[out->n_km] = km->pts[i].time;
        out->km_surv[out->n_km++] = km->pts[i].surv;
    }
    out->w = w > 1 ? 1 : w;
    return BS_EST_OK;
}

int bs_ltdist_copy(const bs_ltdist *src, bs_ltdist *out) {
    *out = *src;
    out->km_time = out->km_surv = NULL;
    if (src->n_km == 0) return BS_EST_OK;
    out->km_time = bs_malloc((size_t)src->n_km * sizeof *out->km_time);
    out->km_surv = bs_malloc((size_t)src->n_km * sizeof *out->km_surv);
    memcpy(out->km_time, src->km_time, (size_t)src->n_km * sizeof *out->km_time);
    memcpy(out->km_surv, src->km_surv, (size_t)src->n_km * sizeof *out->km_surv);
    return BS_EST_OK;
}

/* log S_par(x) */
static double par_log_surv(const bs_dist *d, double x) {
    return x > 0 ? log_surv_w(d->family, (log(x) - d->mu) / d->sigma) : 0.0;
}

/* S_e(x): KM (right-continuous steps) up to the last event time, parametric tail after it */
static double emp_surv(const bs_ltdist *d, double x) {
    if (d->n_km == 0) return exp(par_log_surv(&d->par, x));
    int32_t lo = 0, hi = d->n_km - 1, found = -1; /* last drop time <= x */
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (d->km_time[mid] <= x) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found < d->n_km - 1) return found < 0 ? 1.0 : d->km_surv[found];
    double sl = d->km_surv[d->n_km - 1], tl = d->km_time[d->n_km - 1];
    if (sl <= 0 || x <= tl) return sl;
    return sl * exp(par_log_surv(&d->par, x) - par_log_surv(&d->par, tl));
}

double bs_ltdist_surv(const bs_ltdist *d, double x) {
    if (d->w <= 0 || d->n_km == 0) return exp(par_log_surv(&d->par, x));
    return d->w * emp_surv(d, x) + (1 - d->w) * exp(par_log_surv(&d->par, x));
}

/* smallest x > t with S(x) <= target for a non-increasing S (surv) */
static double invert_surv(const bs_ltdist *d, double (*surv)(const bs_ltdist *, double), double t, double target) {
    double lo = t > 0 ? t : 0, hi = lo > 1 ? 2 * lo : 2;
    while (surv(d, hi) > target && hi < 1e9) hi *= 2;
    for (int k = 0; k < 200 && hi - lo > 1e-9 * hi; k++) {
        double mid = 0.5 * (lo + hi);
        if (surv(d, mid) <= target)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

double bs_ltdist_cond_quantile(const bs_ltdist *d, double t, double p) {
    if (d->w <= 0 || d->n_km == 0) return bs_dist_cond_quantile(&d->par, t, p);
    double st = t > 0 ? bs_ltdist_surv(d, t) : 1.0;
    return invert_surv(d, bs_ltdist_surv, t, (1 - p) * st);
}

double bs_ltdist_sample_cond(const bs_ltdist *d, double t, bs_rng *rng) {
    if (d->w <= 0 || d->n_km == 0) return bs_dist_sample_cond(&d->par, t, rng);
    double se = t > 0 ? emp_surv(d, t) : 1.0, sp = t > 0 ? exp(par_log_surv(&d->par, t)) : 1.0;
    double a = d->w * se, b = (1 - d->w) * sp;
    if (a + b <= 0 || bs_rng_uniform(rng) * (a + b) >= a) return bs_dist_sample_cond(&d->par, t, rng);
    /* empirical component conditional on T > t: S_e(x) = u·S_e(t) */
    double target = bs_rng_uniform(rng) * se;
    double sl = d->km_surv[d->n_km - 1], tl = d->km_time[d->n_km - 1];
    if (target >= sl || sl <= 0) {
        for (int32_t i = 0; i < d->n_km; i++) /* first drop time > t with S <= target */
            if (d->km_time[i] > t && d->km_surv[i] <= target) return d->km_time[i];
        return tl > t ? tl : t;
    }
    /* the tail: S_par(x) = target / sl · S_par(tl) */
    double t0 = t > tl ? t : tl;
    double ls = log(target / sl) + par_log_surv(&d->par, tl);
    double x = exp(d->par.mu + d->par.sigma * inv_log_surv_w(d->par.family, ls));
    return x > t0 ? x : t0;
}
