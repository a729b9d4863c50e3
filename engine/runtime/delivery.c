/*
 * Per-project delivery samples and their cache. See delivery.h.
 */
#include "delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

bs_delivery *bs_delivery_ref(const bs_delivery *d) {
    bs_delivery *m = (bs_delivery *)(uintptr_t)d;
    m->refs++;
    return m;
}

void bs_delivery_unref(bs_delivery *d) {
    if (!d || --d->refs > 0) return;
    free(d->cols);
    free(d->planned);
    free(d->samples);
    free(d);
}

uint64_t bs_delivery_seed(const char *project_id) {
    uint64_t h = 14695981039346656037ULL; /* FNV-1a offset basis */
    for (const unsigned char *p = (const unsigned char *)project_id; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL; /* FNV prime */
    }
    return h;
}

/* The step indexes of the comma-separated keys in cols (-1: not a step of the schema); returns the count. */
static int32_t col_steps(const bs_schema *s, const char *cols, int32_t *idx, int32_t max) {
    int32_t n = 0;
    const char *p = cols;
    while (*p && n < max) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(len < sizeof key ? len : sizeof key - 1), p);
        idx[n++] = bs_schema_find(s, key);
        p += len + (e ? 1 : 0);
    }
    return n;
}

bs_delivery *bs_delivery_compute(const bs_engine *e, const bs_project_state *st, const bs_own_obs *own,
                                 const char *project_id, long long stamp, const char *cols, int32_t n_samples) {
    size_t ncomma = 1;
    for (const char *p = cols; *p; p++) ncomma += *p == ',';
    int32_t *idx = bs_malloc(ncomma * sizeof *idx), *keep = bs_malloc(ncomma * sizeof *keep);
    int32_t nc = col_steps(st->schema, cols, idx, (int32_t)ncomma), nk = 0;
    for (int32_t c = 0; c < nc; c++)
        if (idx[c] >= 0) keep[nk++] = idx[c];
    bs_day *kf = bs_malloc(((size_t)nk * (size_t)n_samples + 1) * sizeof *kf);
    bs_forecast fc;
    int rc = bs_project_forecast_keep(e, st, own, n_samples, bs_delivery_seed(project_id), keep, nk, kf, &fc);
    bs_delivery *d = NULL;
    if (rc == BS_SCHEDULE_OK) {
        d = bs_calloc(1, sizeof *d);
        d->refs = 1;
        snprintf(d->project_id, sizeof d->project_id, "%s", project_id);
        d->stamp = stamp;
        d->data_date = st->data_date;
        d->cols = bs_strdup(cols);
        d->n_cols = nc;
        d->n_samples = n_samples;
        d->planned = bs_malloc(((size_t)nc + 1) * sizeof *d->planned);
        d->samples = bs_malloc(((size_t)nc * (size_t)n_samples + 1) * sizeof *d->samples);
        for (int32_t c = 0, k = 0; c < nc; c++) {
            bs_day *dst = d->samples + (size_t)c * (size_t)n_samples;
            if (idx[c] < 0) {
                d->planned[c] = BS_DAY_NONE;
                for (int32_t s = 0; s < n_samples; s++) dst[s] = BS_DAY_NONE;
                continue;
            }
            d->planned[c] = fc.steps[idx[c]].planned;
            memcpy(dst, kf + (size_t)k * (size_t)n_samples, (size_t)n_samples * sizeof *dst);
            k++;
        }
        bs_forecast_free(&fc);
    }
    free(idx);
    free(keep);
    free(kf);
    return d;
}

/* ---- the cache: open addressing with linear probing, keyed by the project id ---- */

struct bs_delivery_cache {
    bs_delivery **slot; /* owned entries; cap slots */
    size_t cap, n;
};

bs_delivery_cache *bs_delivery_cache_new(void) {
    bs_delivery_cache *c = bs_calloc(1, sizeof *c);
    c->cap = 1024;
    c->slot = bs_calloc(c->cap, sizeof *c->slot);
    return c;
}

void bs_delivery_cache_free(bs_delivery_cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->cap; i++) bs_delivery_unref(c->slot[i]);
    free(c->slot);
    free(c);
}

static size_t find_slot(bs_delivery **slot, size_t cap, const char *id) {
    size_t i = (size_t)bs_delivery_seed(id) & (cap - 1);
    while (slot[i] && strcmp(slot[i]->project_id, id) != 0) i = (i + 1) & (cap - 1);
    return i;
}

const bs_delivery *bs_delivery_cache_get(const bs_delivery_cache *c, const char *project_id, long long stamp,
                                         bs_day data_date, const char *cols, int32_t n_samples) {
    const bs_delivery *d = c->slot[find_slot(c->slot, c->cap, project_id)];
    if (!d || d->stamp != stamp || d->data_date != data_date || d->n_samples != n_samples || strcmp(d->cols, cols))
        return NULL;
    return d;
}

int bs_delivery_cache_put(bs_delivery_cache *c, bs_delivery *d) {
    if (2 * (c->n + 1) > c->cap) {
        size_t cap = 2 * c->cap;
        bs_delivery **slot = bs_calloc(cap, sizeof *slot);
        if (!slot) {
            bs_delivery_unref(d);
            return -1;
        }
        for (size_t i = 0; i < c->cap; i++)
            if (c->slot[i]) slot[find_slot(slot, cap, c->slot[i]->project_id)] = c->slot[i];
        free(c->slot);
        c->slot = slot;
        c->cap = cap;
    }
    size_t i = find_slot(c->slot, c->cap, d->project_id);
    if (c->slot[i])
        bs_delivery_unref(c->slot[i]);
    else
        c->n++;
    c->slot[i] = d;
    return 0;
}

size_t bs_delivery_cache_count(const bs_delivery_cache *c, size_t *bytes) {
    size_t b = 0;
    for (size_t i = 0; i < c->cap; i++)
        if (c->slot[i]) b += (size_t)c->slot[i]->n_cols * (size_t)c->slot[i]->n_samples * sizeof(bs_day);
    if (bytes) *bytes = b;
    return c->n;
}
