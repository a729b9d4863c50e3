/*
 * Lead-time observations, reference history and shrunk group models. See leadtime.h.
 */
#include "leadtime.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static const char *const size_names[BS_SIZE_N] = {"1-10", "11-50", "51-200", ">200", "onbekend"};

bs_size_class bs_size_class_of(int64_t h) {
    if (h <= 0) return BS_SIZE_UNKNOWN;
    if (h <= 10) return BS_SIZE_1_10;
    if (h <= 50) return BS_SIZE_11_50;
    if (h <= 200) return BS_SIZE_51_200;
    return BS_SIZE_OVER_200;
}

const char *bs_size_class_name(bs_size_class c) {
    return (unsigned)c < BS_SIZE_N ? size_names[c] : "onbekend";
}

int bs_size_class_parse(const char *s) {
    for (int i = 0; i < BS_SIZE_N; i++)
        if (strcmp(s, size_names[i]) == 0) return i;
    return -1;
}

double bs_lt_duration(const bs_calendar *cal, bs_unit unit, bs_day start, bs_day finish) {
    if (finish < start) return -1;
    if (unit == BS_UNIT_CALENDAR_DAYS) return (double)(finish - start) + 1.0;
    double d = (double)(bs_calendar_boundary_after(cal, finish) - bs_calendar_boundary_before(cal, start));
    return d < 1 ? 1 : d;
}

double bs_lt_elapsed(const bs_calendar *cal, bs_unit unit, bs_day start, bs_day data_date) {
    if (unit == BS_UNIT_CALENDAR_DAYS) return (double)(data_date - start);
    return (double)(bs_calendar_boundary_before(cal, data_date) - bs_calendar_boundary_before(cal, start));
}

void bs_lt_observe_project(const bs_schema *schema, const bs_progress *progress, bs_day data_date,
                           const bs_calendar *cal, bs_size_class size, const char *gemeente, const char *provincie,
                           const char *plantype, bs_lt_obs *out, size_t *n, bs_lt_counts *counts) {
    for (int32_t i = 0; i < schema->n_steps; i++) {
        const bs_step *st = &schema->steps[i];
        const bs_progress *p = &progress[i];
        if (st->milestone) continue;
        bs_lt_obs o = {.step = i, .size = size, .gemeente = gemeente, .provincie = provincie, .plantype = plantype};
        if (p->status == BS_STATUS_SKIPPED) {
            counts->skipped++;
            continue;
        }
        if (p->status == BS_STATUS_DONE) {
            if (p->actual_estimated || p->actual_start == BS_DAY_NONE || p->actual_finish == BS_DAY_NONE) {
                counts->estimated++;
                continue;
            }
            o.time = bs_lt_duration(cal, st->unit, p->actual_start, p->actual_finish);
            o.event = 1;
        } else if (p->status == BS_STATUS_STARTED) {
            if (p->actual_start == BS_DAY_NONE || p->actual_start >= data_date) {
                counts->unusable++;
                continue;
            }
            o.time = bs_lt_elapsed(cal, st->unit, p->actual_start, data_date);
            o.event = 0;
        } else {
            continue; /* open: nothing observed yet */
        }
        if (!(o.time > 0)) {
            counts->unusable++;
            continue;
        }
        int y, m, d;
        bs_date_to_ymd(p->actual_start, &y, &m, &d);
        o.start_year = y;
        out[(*n)++] = o;
        if (o.event)
            counts->events++;
        else
            counts->censored++;
    }
}

/* ---- reference ---- */

void bs_reference_free(bs_reference *ref) {
    if (!ref) return;
    for (int32_t i = 0; i < ref->n; i++) free(ref->steps[i].source);
    free(ref->steps);
    free(ref->label);
    free(ref->fit_step);
    free(ref->fit_size);
    free(ref->history);
    memset(ref, 0, sizeof *ref);
}

int bs_reference_load(const char *text, size_t len, const bs_schema *schema, bs_reference *out, char *err,
                      size_t errlen) {
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    if (!doc) {
        snprintf(err, errlen, "line %d column %d: %s", je.line, je.column, je.text);
        return -1;
    }
    int rc = -1;
    json_t *steps = json_object_get(doc, "steps");
    json_t *label = json_object_get(doc, "label");
    json_t *seed = json_object_get(doc, "seed");
    json_t *per = json_object_get(doc, "observations_per_group");
    json_t *cs = json_object_get(doc, "censored_share");
    if (!json_is_object(steps) || !json_is_string(label) || !json_is_integer(seed) || !json_is_integer(per) ||
        !json_is_number(cs)) {
        snprintf(err, errlen,
                 "$: need label (string), seed, observations_per_group (integers), censored_share "
                 "(number) and steps (object)");
        goto done;
    }
    if (json_integer_value(per) < 10 || json_integer_value(per) > 100000 || json_number_value(cs) < 0 ||
        json_number_value(cs) >= 1) {
        snprintf(err, errlen, "$.observations_per_group must be 10..100000 and $.censored_share in [0, 1)");
        goto done;
    }
    out->label = bs_strdup(json_string_value(label));
    out->seed = (uint64_t)json_integer_value(seed);
    out->per_group = (int32_t)json_integer_value(per);
    out->censored_share = json_number_value(cs);
    out->steps = bs_calloc(json_object_size(steps) + 1, sizeof *out->steps);
    const char *key;
    json_t *v;
    const double z80 = bs_qnorm(0.8);
    json_object_foreach(steps, key, v) {
        int32_t i = bs_schema_find(schema, key);
        if (i < 0 || schema->steps[i].milestone) {
            snprintf(err, errlen, "$.steps.%s: not a non-milestone step of schema %s", key, schema->key);
            goto done;
        }
        json_t *unit = json_object_get(v, "unit"), *med = json_object_get(v, "median"),
               *p80 = json_object_get(v, "p80"), *src = json_object_get(v, "source"),
               *bys = json_object_get(v, "median_by_size_class");
        bs_unit u = json_is_string(unit) && strcmp(json_string_value(unit), "calendar_days") == 0
                        ? BS_UNIT_CALENDAR_DAYS
                        : BS_UNIT_WORKING_DAYS;
        if (!json_is_string(unit) || u != schema->steps[i].unit) {
            snprintf(err, errlen, "$.steps.%s.unit: must equal the schema step's unit", key);
            goto done;
        }
        if (!json_is_number(med) || !json_is_number(p80) || json_number_value(med) <= 0 ||
            json_number_value(p80) < json_number_value(med)) {
            snprintf(err, errlen, "$.steps.%s: need median > 0 and p80 >= median", key);
            goto done;
        }
        if (!json_is_string(src) || !*json_string_value(src)) {
            snprintf(err, errlen, "$.steps.%s.source: every reference parameter needs its source", key);
            goto done;
        }
        bs_ref_step *rs = &out->steps[out->n++];
        rs->step = i;
        rs->unit = u;
        rs->source = bs_strdup(json_string_value(src));
        double m = json_number_value(med);
        rs->sigma = log(json_number_value(p80) / m) / z80;
        if (rs->sigma < 0.01) rs->sigma = 0.01;
        for (int c = 0; c < BS_SIZE_N; c++) rs->median[c] = m;
        if (json_is_object(bys)) {
            for (int c = 0; c < BS_SIZE_N; c++) {
                json_t *x = json_object_get(bys, size_names[c]);
                if (x && (!json_is_number(x) || json_number_value(x) <= 0)) {
                    snprintf(err, errlen, "$.steps.%s.median_by_size_class.%s: must be a number > 0", key,
                             size_names[c]);
                    goto done;
                }
                if (x) rs->median[c] = json_number_value(x);
            }
        }
    }
    rc = 0;
done:
    json_decref(doc);
    if (rc != 0) bs_reference_free(out);
    return rc;
}

static int fit_filtered(const bs_lt_obs *obs, size_t n, int32_t step, int size, const char *gem, int fam_or_best,
                        bs_psfit *fit, int64_t *events, int64_t *censored) {
    double *t = bs_malloc((n ? n : 1) * sizeof *t);
    unsigned char *e = bs_malloc(n ? n : 1);
    size_t m = 0;
    int64_t ev = 0, ce = 0;
    for (size_t k = 0; k < n; k++) {
        const bs_lt_obs *o = &obs[k];
        if (o->step != step) continue;
        if (size >= 0 && (int)o->size != size) continue;
        if (gem && (!o->gemeente || strcmp(o->gemeente, gem) != 0)) continue;
        t[m] = o->time;
        e[m] = o->event;
        if (o->event)
            ev++;
        else
            ce++;
        m++;
    }
    if (events) *events = ev;
    if (censored) *censored = ce;
    int rc = BS_EST_ETOOFEW;
    if (m > 0) {
        bs_obs_set os;
        rc = bs_obs_collapse(t, e, m, &os);
        if (rc == BS_EST_OK) {
            if (fam_or_best < 0)
                rc = bs_fit_best(&os, NULL, NULL, fit);
            else
                rc = bs_survreg_fit(&os, (bs_dist_family)fam_or_best, fit);
            bs_obs_free(&os);
        }
    }
    free(t);
    free(e);
    return rc;
}

int bs_reference_fit(bs_reference *ref, const bs_schema *schema) {
    ref->n_schema_steps = schema->n_steps;
    ref->fit_step = bs_calloc((size_t)schema->n_steps, sizeof *ref->fit_step);
    ref->fit_size = bs_calloc((size_t)schema->n_steps * BS_SIZE_N, sizeof *ref->fit_size);
    size_t cap = (size_t)ref->n * BS_SIZE_N * (size_t)ref->per_group;
    ref->history = bs_calloc(cap ? cap : 1, sizeof *ref->history);
    bs_rng rng;
    bs_rng_seed(&rng, ref->seed);
    ref->n_history = 0;
    for (int32_t k = 0; k < ref->n; k++) {
        const bs_ref_step *rs = &ref->steps[k];
        for (int c = 0; c < BS_SIZE_N; c++) {
            for (int32_t j = 0; j < ref->per_group; j++) {
                double t = ceil(rs->median[c] * exp(rs->sigma * bs_rng_normal(&rng)));
                if (t < 1) t = 1;
                bs_lt_obs *o = &ref->history[ref->n_history++];
                o->step = rs->step;
                o->size = (bs_size_class)c;
                o->event = 1;
                if (bs_rng_uniform(&rng) < ref->censored_share) {
                    /* still running at the reference data date: censoring time = a uniform fraction
                     * of an independent draw (independent censoring, as the estimators assume) */
                    double cz = ceil(bs_rng_uniform(&rng) * rs->median[c] * exp(rs->sigma * bs_rng_normal(&rng)));
                    if (cz < 1) cz = 1;
                    if (cz < t) {
                        o->event = 0;
                        t = cz;
                    }
                }
                o->time = t;
                o->gemeente = "(reference)";
            }
        }
    }
    for (int32_t k = 0; k < ref->n; k++) {
        int32_t s = ref->steps[k].step;
        int rc = fit_filtered(ref->history, ref->n_history, s, -1, NULL, -1, &ref->fit_step[s], NULL, NULL);
        if (rc != BS_EST_OK) return rc;
        for (int c = 0; c < BS_SIZE_N; c++) {
            rc = fit_filtered(ref->history, ref->n_history, s, c, NULL, ref->fit_step[s].dist.family,
                              &ref->fit_size[(size_t)s * BS_SIZE_N + (size_t)c], NULL, NULL);
            if (rc != BS_EST_OK) return rc;
        }
    }
    return BS_EST_OK;
}

/* ---- group model ---- */

static bs_dist blend(const bs_dist *own, const bs_dist *parent, double w) {
    bs_dist d = *parent;
    d.mu = w * own->mu + (1 - w) * parent->mu;
    d.sigma = exp(w * log(own->sigma) + (1 - w) * log(parent->sigma));
    return d;
}

int bs_lt_model_build(const bs_reference *ref, int32_t step, int size, const char *gemeente, const bs_lt_obs *obs,
                      size_t n, bs_lt_model *out) {
    memset(out, 0, sizeof *out);
    out->step = step;
    if (!ref || step < 0 || step >= ref->n_schema_steps || ref->fit_step[step].iterations == 0) return BS_EST_EINVAL;
    const bs_psfit *root = size >= 0 ? &ref->fit_size[(size_t)step * BS_SIZE_N + (size_t)size] : &ref->fit_step[step];
    out->family = root->dist.family;
    out->reference = root->dist;
    int lsize[3] = {-1, -1, -1};
    const char *lgem[3] = {NULL, NULL, NULL};
    out->depth = 1;
    if (size >= 0) lsize[out->depth++] = size;
    if (gemeente) {
        lsize[out->depth] = size;
        lgem[out->depth++] = gemeente;
    }
    bs_dist parent = root->dist;
    double own_w = 0; /* weight of own data in the final parameters */
    for (int l = 0; l < out->depth; l++) {
        bs_lt_level *lv = &out->level[l];
        bs_psfit f;
        int rc = fit_filtered(obs, n, step, lsize[l], lgem[l], out->family, &f, &lv->events, &lv->censored);
        if (rc == BS_EST_ENOMEM) return rc;
        lv->fitted = rc == BS_EST_OK;
        if (lv->fitted) {
            lv->own = f.dist;
            lv->weight = (double)lv->events / ((double)lv->events + BS_LT_KAPPA);
        }
        lv->shrunk = lv->fitted ? blend(&lv->own, &parent, lv->weight) : parent;
        own_w = lv->weight + (1 - lv->weight) * own_w;
        parent = lv->shrunk;
    }
    out->dist = parent;
    out->own_weight = own_w;
    out->own_dominates = own_w >= 0.5;
    /* the sampling distribution: KM of the deepest level with own events, mixed with its parent */
    out->sample = bs_ltdist_parametric(&out->dist);
    out->sample_level = -1;
    for (int l = out->depth - 1; l >= 0; l--) {
        if (out->level[l].events < 1) continue;
        double *t = bs_malloc(n * sizeof *t);
        unsigned char *e = bs_malloc(n);
        size_t m = 0;
        for (size_t k = 0; k < n; k++) {
            const bs_lt_obs *o = &obs[k];
            if (o->step != step || (lsize[l] >= 0 && (int)o->size != lsize[l])) continue;
            if (lgem[l] && (!o->gemeente || strcmp(o->gemeente, lgem[l]) != 0)) continue;
            t[m] = o->time;
            e[m++] = o->event;
        }
        bs_obs_set os;
        bs_km km;
        int rc = bs_obs_collapse(t, e, m, &os);
        free(t);
        free(e);
        if (rc != BS_EST_OK) return rc;
        rc = bs_km_fit(&os, 0.95, &km);
        bs_obs_free(&os);
        if (rc != BS_EST_OK) return rc;
        const bs_dist *par = l > 0 ? &out->level[l - 1].shrunk : &root->dist;
        double w = (double)out->level[l].events / ((double)out->level[l].events + BS_LT_KAPPA);
        rc = bs_ltdist_from_km(&km, par, w, &out->sample);
        bs_km_free(&km);
        if (rc != BS_EST_OK) return rc;
        out->sample_level = l;
        break;
    }
    return BS_EST_OK;
}

void bs_lt_model_free(bs_lt_model *m) {
    if (m) bs_ltdist_free(&m->sample);
}
