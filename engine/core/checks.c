/*
 * Schedule quality checks (DCMA-modelled). See checks.h and docs/scheduling.md §10.
 */
#include "checks.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

bs_check_thresholds bs_check_default_thresholds(void) {
    bs_check_thresholds t;
    memset(&t, 0, sizeof t);
    t.max_pct[BS_CHECK_MISSING_LOGIC] = 5;
    t.max_pct[BS_CHECK_LEADS] = 0;
    t.max_pct[BS_CHECK_LAGS] = 10;     /* DCMA 5%: statutory publication delays are lags */
    t.max_pct[BS_CHECK_FS_SHARE] = 90; /* a minimum */
    t.max_pct[BS_CHECK_HARD_CONSTRAINTS] = 5;
    t.max_pct[BS_CHECK_HIGH_FLOAT] = 5;
    t.max_pct[BS_CHECK_NEGATIVE_FLOAT] = 0;
    t.max_pct[BS_CHECK_HIGH_DURATION] = 5;
    t.max_pct[BS_CHECK_OUT_OF_SEQUENCE] = 0;
    t.high_float_wd = 130;    /* DCMA: 44 (2 months); here half a year, see docs */
    t.high_duration_wd = 260; /* DCMA: 44; here a year: construction is one step */
    return t;
}

const char *bs_check_name(bs_check_id id) {
    static const char *const n[] = {"missing_logic",    "leads",      "lags",           "fs_share",
                                    "hard_constraints", "high_float", "negative_float", "high_duration",
                                    "out_of_sequence"};
    return (unsigned)id < BS_CHECK_COUNT ? n[id] : "";
}

const char *bs_check_dcma(bs_check_id id) {
    static const char *const n[] = {"DCMA 1 Logic",
                                    "DCMA 2 Leads",
                                    "DCMA 3 Lags",
                                    "DCMA 4 Relationship types",
                                    "DCMA 5 Hard constraints",
                                    "DCMA 6 High float",
                                    "DCMA 7 Negative float",
                                    "DCMA 8 High duration",
                                    "(not DCMA) Out-of-sequence progress"};
    return (unsigned)id < BS_CHECK_COUNT ? n[id] : "";
}

static bool incomplete(bs_step_status s) {
    return s == BS_STATUS_OPEN || s == BS_STATUS_STARTED;
}

int bs_checks_compute(const bs_schema *schema, const bs_progress *progress, const bs_sched_edit *e,
                      const bs_schedule *sched, const bs_check_thresholds *th, bs_check_result *out) {
    const int32_t n = schema->n_steps, m = e->n_links;
    memset(out, 0, sizeof *out * BS_CHECK_COUNT);
    int32_t cap = (n > m ? n : m) + 1;
    for (int k = 0; k < BS_CHECK_COUNT; k++) {
        out[k].id = (bs_check_id)k;
        out[k].items = bs_malloc(sizeof(int32_t) * (size_t)cap);
    }
    int32_t *npred = bs_calloc((size_t)n + 1, sizeof *npred), *nsucc = bs_calloc((size_t)n + 1, sizeof *nsucc);
    for (int32_t l = 0; l < m; l++) {
        const bs_link *k = &e->links[l];
        npred[k->succ]++;
        nsucc[k->pred]++;
        out[BS_CHECK_LEADS].total++;
        out[BS_CHECK_LAGS].total++;
        out[BS_CHECK_FS_SHARE].total++;
        if (k->lag < 0) out[BS_CHECK_LEADS].items[out[BS_CHECK_LEADS].count++] = l;
        if (k->lag > 0) out[BS_CHECK_LAGS].items[out[BS_CHECK_LAGS].count++] = l;
        if (k->type == BS_LINK_FS) out[BS_CHECK_FS_SHARE].items[out[BS_CHECK_FS_SHARE].count++] = l;
    }
    for (int32_t i = 0; i < n; i++) {
        const bs_step *s = &schema->steps[i];
        const bs_step_result *r = &sched->steps[i];
        bool ms = s->milestone;
        if (progress[i].status == BS_STATUS_SKIPPED) continue;
        if (r->out_of_sequence) out[BS_CHECK_OUT_OF_SEQUENCE].items[out[BS_CHECK_OUT_OF_SEQUENCE].count++] = i;
        out[BS_CHECK_OUT_OF_SEQUENCE].total++;
        if (!incomplete(progress[i].status)) continue;
        /* DCMA 1 excludes the start and finish milestones: a milestone without
         * predecessors is a start, one without successors a finish. */
        out[BS_CHECK_MISSING_LOGIC].total++;
        if ((npred[i] == 0 && !ms) || (nsucc[i] == 0 && !ms))
            out[BS_CHECK_MISSING_LOGIC].items[out[BS_CHECK_MISSING_LOGIC].count++] = i;
        out[BS_CHECK_HARD_CONSTRAINTS].total++;
        if (e->ov[i].fnlt != BS_DAY_NONE)
            out[BS_CHECK_HARD_CONSTRAINTS].items[out[BS_CHECK_HARD_CONSTRAINTS].count++] = i;
        out[BS_CHECK_HIGH_FLOAT].total++;
        out[BS_CHECK_NEGATIVE_FLOAT].total++;
        if (r->total_float > th->high_float_wd) out[BS_CHECK_HIGH_FLOAT].items[out[BS_CHECK_HIGH_FLOAT].count++] = i;
        if (r->total_float < 0) out[BS_CHECK_NEGATIVE_FLOAT].items[out[BS_CHECK_NEGATIVE_FLOAT].count++] = i;
        if (!ms) {
            int32_t d = e->ov[i].duration >= 0 ? e->ov[i].duration : s->duration;
            int64_t dwd = s->unit == BS_UNIT_CALENDAR_DAYS ? (int64_t)d * 5 / 7 : d;
            out[BS_CHECK_HIGH_DURATION].total++;
            if (dwd > th->high_duration_wd) out[BS_CHECK_HIGH_DURATION].items[out[BS_CHECK_HIGH_DURATION].count++] = i;
        }
    }
    free(npred);
    free(nsucc);
    for (int k = 0; k < BS_CHECK_COUNT; k++) {
        bs_check_result *c = &out[k];
        c->pct = c->total ? 100.0 * c->count / c->total : 0;
        if (k == BS_CHECK_FS_SHARE)
            c->pass = c->total == 0 || c->pct >= th->max_pct[k];
        else
            c->pass = c->pct <= th->max_pct[k];
    }
    return 0;
}

void bs_checks_free(bs_check_result *out) {
    for (int k = 0; k < BS_CHECK_COUNT; k++) {
        free(out[k].items);
        out[k].items = NULL;
    }
}
