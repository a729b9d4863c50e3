/*
 * Bouwstroom engine core: lead-time estimators (docs/forecasting.md §3).
 *
 * Pure: no I/O, no clock, no globals. Durations are positive numbers in the step's own
 * unit (working days or calendar days; the caller converts — see docs/forecasting.md);
 * the estimators are unit-agnostic. An observation is (time, event): event = 1 when the
 * step finished after `time`, 0 when it was still running after `time` (right-censored).
 *
 * Formulas and their sources:
 *  - Kaplan–Meier product-limit estimator: Kaplan & Meier (1958), JASA 53:457–481.
 *  - Greenwood's variance: Greenwood (1926); log-scale confidence intervals as R's
 *    survival::survfit with conf.type = "log" (Therneau, survival package docs).
 *  - Quantiles: R's survival::quantile.survfit (findq, tolerance sqrt(.Machine$double.eps)).
 *  - Parametric fits: accelerated failure time model log T = mu + sigma W, W standard
 *    normal (lognormal) or standard minimum extreme value (Weibull, shape = 1/sigma,
 *    scale = exp(mu)); maximum likelihood with right-censoring (Kalbfleisch & Prentice,
 *    "The Statistical Analysis of Failure Time Data", 2nd ed. 2002, ch. 2–3), the same
 *    parametrisation and log-likelihood (on the time scale, including the Jacobian −log t
 *    of exact observations) as R's survival::survreg. AIC = −2 loglik + 2·2.
 */
#ifndef BS_ESTIMATE_H
#define BS_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Errors of this module. */
typedef enum bs_est_err {
    BS_EST_OK = 0,
    BS_EST_ENOMEM,
    BS_EST_EINVAL,  /* a time that is not finite and > 0, or n == 0 */
    BS_EST_ETOOFEW, /* fewer than 2 events or fewer than 2 distinct event times: no MLE */
    BS_EST_ENOCONV, /* Newton–Raphson did not converge */
} bs_est_err;

/* Readable text of an error code (static string). */
const char *bs_est_strerror(bs_est_err e);

/* ---- Kaplan–Meier ---- */

/* One point of the curve: one distinct observed time (event or censoring). */
typedef struct bs_km_point {
    double time;
    int64_t n_risk, n_event, n_censor;
    double surv;         /* S(time), right-continuous */
    double std_err;      /* sqrt(sum d/(n(n-d))): Greenwood SE of -log S (R's std.err); INFINITY when S = 0 */
    double lower, upper; /* conf.type = "log" limits; NAN when S = 0 */
} bs_km_point;

typedef struct bs_km {
    bs_km_point *pts; /* owned; n_pts, increasing time */
    int32_t n_pts;
    int64_t n_obs, n_events, n_censored;
} bs_km;

/* Weighted observations collapsed on (time, event): sorted by time, events before censorings at
 * equal times. Used by every estimator (fitting on the collapsed form is what makes 1,000,000
 * observations with integer day durations cheap). */
typedef struct bs_obs_set {
    double *time;      /* owned; n */
    int64_t *events;   /* owned; events at time[i] */
    int64_t *censored; /* owned; censorings at time[i] */
    int32_t n;         /* distinct times */
    int64_t n_events, n_censored;
} bs_obs_set;

/* Sorts and collapses n raw observations (time[i] > 0, event[i] 0/1). Returns bs_est_err. */
int bs_obs_collapse(const double *time, const unsigned char *event, size_t n, bs_obs_set *out);
/* Frees the arrays (the struct is the caller's; NULL is fine). */
void bs_obs_free(bs_obs_set *s);

/* Kaplan–Meier curve with Greenwood SEs and log-scale confidence limits at conf_level
 * (e.g. 0.95; z = Φ^-1(1 - (1-conf)/2)). Points at every distinct time, as R's survfit.
 * Returns bs_est_err; free with bs_km_free. */
int bs_km_fit(const bs_obs_set *obs, double conf_level, bs_km *out);
/* Frees the points (the struct is the caller's; NULL is fine). */
void bs_km_free(bs_km *km);

/* Quantile p (0 < p < 1) of the KM curve by R's quantile.survfit rule: the first time where
 * S <= 1 - p (within tol = sqrt(DBL_EPSILON)); when S equals 1 - p (within tol) over a flat
 * segment, the midpoint between its first time and the next time S drops (or the last time of
 * the curve when it never drops). Returns 1 and *out, or 0 when S never reaches 1 - p. */
int bs_km_quantile(const bs_km *km, double p, double *out);

/* Conditional quantile of the total duration given T > t0 from the curve: the first curve time
 * x > t0 with S(x) <= (1 - p) S(t0) (relative tolerance sqrt(DBL_EPSILON); no midpoint rule).
 * t0 <= 0 gives the first time S <= 1 - p. Returns 1 and *out, or 0 when the curve never gets there. */
int bs_km_cond_quantile(const bs_km *km, double t0, double p, double *out);

/* S(t) of the curve (1 before the first point). */
double bs_km_surv_at(const bs_km *km, double t);

/* ---- parametric: lognormal and Weibull ---- */

typedef enum bs_dist_family { BS_DIST_LOGNORMAL = 0, BS_DIST_WEIBULL = 1 } bs_dist_family;

/* "lognormal" or "weibull" (static string). */
const char *bs_dist_family_name(bs_dist_family f);

/* log T = mu + sigma W. Weibull: shape k = 1/sigma, scale λ = exp(mu). Lognormal: meanlog mu,
 * sdlog sigma. Units: those of the fitted times. */
typedef struct bs_dist {
    bs_dist_family family;
    double mu, sigma;
} bs_dist;

typedef struct bs_psfit {
    bs_dist dist;
    double loglik;                     /* on the time scale, as survreg's loglik[2] */
    double aic;                        /* -2 loglik + 4 */
    double var_mu, var_log_sigma, cov; /* inverse observed information at the MLE (survreg's var) */
    int iterations;
} bs_psfit;

/* Maximum-likelihood fit with right-censoring (Newton–Raphson on (mu, log sigma) with step
 * halving; converged when the relative change of the log-likelihood is below 1e-13 and the
 * gradient is negligible). Needs >= 2 events at >= 2 distinct times. Returns bs_est_err. */
int bs_survreg_fit(const bs_obs_set *obs, bs_dist_family family, bs_psfit *out);

/* Fits both families and chooses the lower AIC (ties: lognormal). best_out: the chosen fit.
 * Returns bs_est_err of the chosen fit (an error when neither family could be fitted). */
int bs_fit_best(const bs_obs_set *obs, bs_psfit *lognormal, bs_psfit *weibull, bs_psfit *best_out);

/* Survival function S(t) = P(T > t); t <= 0 gives 1. */
double bs_dist_surv(const bs_dist *d, double t);
/* Quantile: the t with P(T <= t) = p, 0 < p < 1. */
double bs_dist_quantile(const bs_dist *d, double p);
/* Conditional probability of finishing within delta more, having run t:
 * P(T <= t + delta | T > t) = 1 - S(t + delta) / S(t) (computed on the log scale). */
double bs_dist_cond_prob(const bs_dist *d, double t, double delta);
/* Conditional quantile of the total duration given T > t: the T with P(T <= x | T > t) = p. */
double bs_dist_cond_quantile(const bs_dist *d, double t, double p);
/* Draws a total duration T from the distribution conditional on T > t (t <= 0: unconditional),
 * by inversion: S(T) = U · S(t). Advances rng. */
double bs_dist_sample_cond(const bs_dist *d, double t, bs_rng *rng);

/* ---- lead-time distribution for forecasting: empirical (KM) mixed with parametric ---- */

/* S(x) = w·S_e(x) + (1 - w)·S_par(x), where S_e is a Kaplan–Meier curve up to its last time t_L
 * and continues beyond it with the parametric conditional tail, S_e(x) = S_e(t_L)·S_par(x)/S_par(t_L)
 * (when S_e(t_L) > 0). w = 0: purely parametric. A credibility-weighted mixture: the own curve
 * is trusted with weight w, the model of the parent groups with 1 - w (docs/forecasting.md §4).
 * Units: those of the fitted times. */
typedef struct bs_ltdist {
    bs_dist par;     /* parametric component and tail */
    double w;        /* weight of the empirical component, 0..1 */
    int32_t n_km;    /* empirical component: event times (increasing) and S just after each */
    double *km_time; /* owned; n_km */
    double *km_surv; /* owned; n_km */
} bs_ltdist;

/* A purely parametric distribution (no allocation; bs_ltdist_free is a no-op on it). */
bs_ltdist bs_ltdist_parametric(const bs_dist *d);
/* Empirical component from a KM curve (its drop points), weight w, parametric part/tail par.
 * Returns bs_est_err (ENOMEM). */
int bs_ltdist_from_km(const bs_km *km, const bs_dist *par, double w, bs_ltdist *out);
/* Deep copy (for callers that keep models). Returns bs_est_err. */
int bs_ltdist_copy(const bs_ltdist *src, bs_ltdist *out);
/* Frees the curve arrays (the struct is the caller's). */
void bs_ltdist_free(bs_ltdist *d);
/* S(x) of the mixture. */
double bs_ltdist_surv(const bs_ltdist *d, double x);
/* The smallest x > t with S(x) <= (1 - p)·S(t) (conditional quantile of the total duration
 * given T > t; t <= 0: unconditional), by bisection to 1e-9 relative on the monotone S. */
double bs_ltdist_cond_quantile(const bs_ltdist *d, double t, double p);
/* Draws T | T > t: picks the component with its posterior weight given T > t, then inverts that
 * component's conditional survival function. Advances rng. */
double bs_ltdist_sample_cond(const bs_ltdist *d, double t, bs_rng *rng);

/* Standard normal quantile Φ^-1(p), Wichura's AS 241 (PPND16), ~1e-16 relative accuracy. */
double bs_qnorm(double p);
/* Standard normal upper tail log Φc(z) = log P(Z > z), accurate for large z. */
double bs_log_pnorm_upper(double z);

#endif
