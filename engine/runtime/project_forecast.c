/*
 * Forecasting one stored project. See project_forecast.h.
 */
#include "project_forecast.h"
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

const bs_stmt BS_STMT_OWN_OBSERVATIONS = {"forecast_observations", BS_OBS_SQL, 1};

/* ---- own observations (copied out of the PGresult) ---- */

void bs_own_obs_free(bs_own_obs *o) {
    free(o->obs);
    free(o->strings);
    memset(o, 0, sizeof *o);
}

/* Converts OBS_SQL rows into observations (rows of one project are adjacent). */
int bs_own_obs_from_result(const PGresult *res, const bs_schema *schema, const bs_calendar *cal, bs_own_obs *out) {
    memset(out, 0, sizeof *out);
    int n = PQntuples(res);
    size_t strbytes = 1;
    for (int r = 0; r < n; r++)
        strbytes += strlen(PQgetvalue(res, r, 6)) + strlen(PQgetvalue(res, r, 7)) + strlen(PQgetvalue(res, r, 8)) + 3;
    out->obs = bs_calloc((size_t)n + (size_t)schema->n_steps + 1, sizeof *out->obs);
    out->strings = bs_malloc(strbytes);
    bs_progress *prog = bs_calloc((size_t)schema->n_steps, sizeof *prog);
    size_t off = 0;
    int r = 0;
    while (r < n) {
        int r0 = r;
        const char *pid = PQgetvalue(res, r, 0);
        for (int32_t i = 0; i < schema->n_steps; i++)
            prog[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
        while (r < n && strcmp(PQgetvalue(res, r, 0), pid) == 0) {
            int32_t i = bs_schema_find(schema, PQgetvalue(res, r, 1));
            if (i >= 0) {
                bs_status_parse(PQgetvalue(res, r, 2), &prog[i].status);
                bs_date_parse(PQgetvalue(res, r, 3), &prog[i].actual_start);
                if (!PQgetisnull(res, r, 4)) bs_date_parse(PQgetvalue(res, r, 4), &prog[i].actual_finish);
            }
            r++;
        }
        bs_day dd;
        if (bs_date_parse(PQgetvalue(res, r0, 5), &dd) != 0) continue;
        char *gem = out->strings + off;
        off += (size_t)sprintf(gem, "%s", PQgetvalue(res, r0, 6)) + 1;
        char *prov = out->strings + off;
        off += (size_t)sprintf(prov, "%s", PQgetvalue(res, r0, 7)) + 1;
        char *pt = out->strings + off;
        off += (size_t)sprintf(pt, "%s", PQgetvalue(res, r0, 8)) + 1;
        bs_size_class sc = bs_size_class_of(atol(PQgetvalue(res, r0, 9)));
        bs_lt_observe_project(schema, prog, dd, cal, sc, gem, prov, pt, out->obs, &out->n, &out->counts);
    }
    free(prog);
    return 0;
}

void bs_project_lt_models(const bs_engine_schema *es, bs_size_class size, const char *gemeente, const bs_own_obs *own,
                          bs_lt_model *models, bs_ltdist *dist, unsigned char *has) {
    const bs_schema *s = es->schema;
    for (int32_t i = 0; i < s->n_steps; i++) {
        has[i] = 0;
        if (s->steps[i].milestone || !es->reference) continue;
        if (bs_lt_model_build(es->reference, i, (int)size, gemeente, own ? own->obs : NULL, own ? own->n : 0,
                              &models[i]) == BS_EST_OK) {
            dist[i] = models[i].sample; /* shallow: the models own the curves */
            has[i] = 1;
        }
    }
}

int bs_project_forecast(const bs_engine *e, const bs_project_state *st, const bs_own_obs *own, int32_t n_samples,
                        uint64_t seed, bs_forecast *out) {
    return bs_project_forecast_keep(e, st, own, n_samples, seed, NULL, 0, NULL, out);
}

int bs_project_forecast_keep(const bs_engine *e, const bs_project_state *st, const bs_own_obs *own, int32_t n_samples,
                             uint64_t seed, const int32_t *keep_steps, int32_t n_keep, bs_day *keep_finish,
                             bs_forecast *out) {
    const bs_schema *s = st->schema;
    const bs_engine_schema *es = bs_engine_schema_version(e, s->key, s->version);
    bs_lt_model *models = bs_calloc((size_t)s->n_steps + 1, sizeof *models);
    bs_ltdist *dist = bs_calloc((size_t)s->n_steps + 1, sizeof *dist);
    unsigned char *has = bs_calloc((size_t)s->n_steps + 1, 1);
    if (!es) {
        free(models);
        free(dist);
        free(has);
        return BS_SCHEDULE_ENOMEM;
    }
    bs_project_lt_models(es, bs_size_class_of(st->homes_remaining), st->gemeente, own, models, dist, has);
    bs_forecast_input in = {.schema = s,
                            .progress = st->progress,
                            .progress_date = st->progress_date,
                            .data_date = st->data_date,
                            .cal = st->cal ? st->cal : &e->calendar,
                            .dist = dist,
                            .has_dist = has,
                            .n_samples = n_samples,
                            .overrides = st->edit.ov, /* bs_schedule_with_edit's inputs, in one workspace */
                            .links = st->edit.links,
                            .n_links = st->edit.n_links,
                            .keep_steps = keep_steps,
                            .n_keep = n_keep,
                            .keep_finish = keep_finish};
    bs_rng rng;
    bs_rng_seed(&rng, seed);
    int rc = bs_forecast_compute(&in, &rng, out);
    for (int32_t i = 0; i < s->n_steps; i++) bs_lt_model_free(&models[i]);
    free(models);
    free(dist);
    free(has);
    return rc;
}
