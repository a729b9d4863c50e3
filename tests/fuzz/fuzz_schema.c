/*
 * Fuzz target: the process schema loader (engine/core/schema.c, bs_schema_load) on any bytes,
 * with and without the SS/FF/SF link types. A schema that loads must be what the scheduler
 * relies on (keys unique and found, links within the steps and in both adjacency lists,
 * topo a topological order) and must schedule from every planstatus without a crash; a
 * refusal names at least one problem, each with a JSON path.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fuzz.h"
#include "plan.h"
#include "schedule.h"
#include "schema.h"

static void check_structure(const bs_schema *s) {
    bs_fuzz_check(s->key && s->name && s->n_steps > 0 && s->n_links >= 0 && s->topo);
    int32_t *pos = bs_calloc((size_t)s->n_steps, sizeof *pos);
    for (int32_t i = 0; i < s->n_steps; i++) pos[i] = -1;
    for (int32_t i = 0; i < s->n_steps; i++) {
        int32_t t = s->topo[i];
        bs_fuzz_check(t >= 0 && t < s->n_steps && pos[t] == -1);
        pos[t] = i;
    }
    for (int32_t i = 0; i < s->n_steps; i++) {
        const bs_step *st = &s->steps[i];
        bs_fuzz_check(st->key && st->name && bs_schema_find(s, st->key) == i);
        bs_fuzz_check(st->duration >= 0 && (!st->milestone || st->duration == 0));
        for (int32_t k = 0; k < st->n_preds; k++)
            bs_fuzz_check(st->preds[k] >= 0 && st->preds[k] < s->n_links && s->links[st->preds[k]].succ == i);
        for (int32_t k = 0; k < st->n_succs; k++)
            bs_fuzz_check(st->succs[k] >= 0 && st->succs[k] < s->n_links && s->links[st->succs[k]].pred == i);
        for (char **p = st->applies_to_planstatus; p && *p; p++) bs_fuzz_check(strlen(*p) < 1000000);
    }
    for (int32_t l = 0; l < s->n_links; l++) {
        const bs_link *k = &s->links[l];
        bs_fuzz_check(k->pred >= 0 && k->pred < s->n_steps && k->succ >= 0 && k->succ < s->n_steps);
        bs_fuzz_check(pos[k->pred] < pos[k->succ]);
    }
    free(pos);
}

static void schedule_all(const bs_schema *s) {
    static const char *const statuses[] = {"onbekend", "4B", "3A", "2A", "1A"};
    const bs_engine *e = bs_fuzz_engine();
    bs_progress *prog = bs_calloc((size_t)s->n_steps, sizeof *prog);
    for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++) {
        bs_plan_initial_progress(s, statuses[k], prog);
        for (int32_t i = 0; i < s->n_steps; i++) (void)bs_schema_step_applies(s, i, statuses[k]);
        bs_schedule sched;
        bs_schedule_err rc = bs_schedule_compute(s, prog, bs_fuzz_today(), &e->calendar, &sched);
        bs_fuzz_check(rc == BS_SCHEDULE_OK || rc == BS_SCHEDULE_ERANGE);
        if (rc == BS_SCHEDULE_OK) {
            bs_fuzz_check(sched.n_steps == s->n_steps);
            bs_schedule_free(&sched);
        }
    }
    free(prog);
    bool *visible = bs_calloc((size_t)s->n_steps, sizeof *visible);
    int32_t n = bs_schema_stream_view(s, visible);
    bs_fuzz_check(n >= 0 && n <= s->n_steps);
    free(visible);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    for (int all = 0; all < 2; all++) {
        bs_schema_problems problems = {0};
        bs_schema *s = bs_schema_load((const char *)data, size, all == 1, &problems);
        if (s) {
            bs_fuzz_check(problems.count == 0);
            check_structure(s);
            schedule_all(s);
            bs_schema_free(s);
        } else {
            bs_fuzz_check(problems.count > 0);
            for (size_t i = 0; i < problems.count; i++)
                bs_fuzz_check(problems.items[i].path && problems.items[i].path[0] == '$' && problems.items[i].message &&
                              problems.items[i].message[0]);
        }
        bs_schema_problems_free(&problems);
    }
    return 0;
}
