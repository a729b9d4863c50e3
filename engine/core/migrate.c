/*
 * Engine core: moving a project to another version of its process schema. See migrate.h.
 */
#include "migrate.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void bs_migrate_result_free(bs_migrate_result *r) {
    free(r->progress);
    free(r->source);
    free(r->unmapped);
    free(r->realised);
    if (r->edit.ov) bs_sched_edit_free(&r->edit);
    memset(r, 0, sizeof *r);
}

static int refuse(bs_migrate_result *out, bs_migrate_refusal why, const char *step) {
    out->refusal = why;
    out->refused_step = step;
    return -1;
}

/* target[i]: the new step old step i maps to (-1: none). -1 after a refusal. */
static int map_targets(const bs_schema *from, const bs_schema *to, const bs_migrate_map *map, size_t n_map,
                       int32_t *target, bs_migrate_result *out) {
    bool *explicit = bs_calloc((size_t)from->n_steps + 1, sizeof *explicit);
    int rc = 0;
    for (size_t k = 0; k < n_map && rc == 0; k++) {
        int32_t i = map[k].from ? bs_schema_find(from, map[k].from) : -1;
        int32_t t = map[k].to ? bs_schema_find(to, map[k].to) : -1;
        if (i < 0)
            rc = refuse(out, BS_MIGRATE_UNKNOWN_FROM, map[k].from);
        else if (map[k].to && t < 0)
            rc = refuse(out, BS_MIGRATE_UNKNOWN_TO, map[k].from);
        else {
            explicit[i] = true;
            target[i] = t;
        }
    }
    for (int32_t i = 0; i < from->n_steps && rc == 0; i++)
        if (!explicit[i]) target[i] = bs_schema_find(to, from->steps[i].key);
    free(explicit);
    return rc;
}

/* New steps without a counterpart that precede (transitively, any link type) a realised step
 * become realised with estimated dates (the import's rule). */
static void realise_before(const bs_schema *to, bs_migrate_result *out) {
    bool *before = bs_calloc((size_t)to->n_steps + 1, sizeof *before);
    out->realised = bs_malloc(sizeof *out->realised * ((size_t)to->n_steps + 1));
    for (int32_t k = to->n_steps - 1; k >= 0; k--) { /* successors before predecessors */
        int32_t v = to->topo[k];
        const bs_step *st = &to->steps[v];
        for (int32_t j = 0; j < st->n_succs && !before[v]; j++) {
            int32_t s = to->links[st->succs[j]].succ;
            before[v] = before[s] || out->progress[s].status == BS_STATUS_DONE;
        }
    }
    for (int32_t v = 0; v < to->n_steps; v++)
        if (before[v] && out->source[v] < 0 && out->progress[v].status == BS_STATUS_OPEN) {
            out->progress[v] = (bs_progress){BS_STATUS_DONE, BS_DAY_NONE, BS_DAY_NONE, true};
            out->realised[out->n_realised++] = v;
        }
    free(before);
}

/* The project's own link set on the new version: links whose ends both have a counterpart. */
static void map_links(const bs_sched_edit *edit, const int32_t *target, bs_migrate_result *out) {
    out->edit.n_links = 0;
    for (int32_t k = 0; k < edit->n_links; k++) {
        bs_link l = edit->links[k];
        if (target[l.pred] < 0 || target[l.succ] < 0) {
            out->links_dropped++;
            continue;
        }
        l.pred = target[l.pred];
        l.succ = target[l.succ];
        if (out->edit.n_links == out->edit.cap_links) {
            out->edit.cap_links = out->edit.cap_links * 2 + 8;
            out->edit.links = bs_realloc(out->edit.links, sizeof *out->edit.links * (size_t)out->edit.cap_links);
        }
        out->edit.links[out->edit.n_links++] = l;
    }
}

int bs_migrate_project(const bs_schema *from, const bs_schema *to, const bs_progress *progress,
                       const bs_sched_edit *edit, bool custom_links, const char *planstatus, const bs_migrate_map *map,
                       size_t n_map, bs_migrate_result *out) {
    memset(out, 0, sizeof *out);
    int32_t *target = bs_malloc(sizeof *target * ((size_t)from->n_steps + 1));
    if (map_targets(from, to, map, n_map, target, out) != 0) {
        free(target);
        return -1;
    }
    out->source = bs_malloc(sizeof *out->source * ((size_t)to->n_steps + 1));
    for (int32_t v = 0; v < to->n_steps; v++) out->source[v] = -1;
    for (int32_t i = 0; i < from->n_steps; i++) {
        if (target[i] < 0) continue;
        if (out->source[target[i]] >= 0) {
            free(target);
            return refuse(out, BS_MIGRATE_TWICE, from->steps[i].key);
        }
        out->source[target[i]] = i;
    }
    out->unmapped = bs_malloc(sizeof *out->unmapped * ((size_t)from->n_steps + 1));
    for (int32_t i = 0; i < from->n_steps; i++) {
        if (target[i] >= 0) continue;
        if (progress[i].actual_start != BS_DAY_NONE || progress[i].actual_finish != BS_DAY_NONE) {
            free(target);
            return refuse(out, BS_MIGRATE_LOSES_ACTUAL, from->steps[i].key);
        }
        out->unmapped[out->n_unmapped++] = i;
    }
    bs_sched_edit_init(&out->edit, to);
    out->progress = bs_calloc((size_t)to->n_steps + 1, sizeof *out->progress);
    const char *ps = planstatus ? planstatus : "onbekend";
    for (int32_t v = 0; v < to->n_steps; v++) {
        int32_t i = out->source[v];
        bool applies = bs_schema_step_applies(to, v, ps);
        out->progress[v] = (bs_progress){applies ? BS_STATUS_OPEN : BS_STATUS_SKIPPED, BS_DAY_NONE, BS_DAY_NONE, false};
        if (i < 0) continue;
        out->carried++;
        if (progress[i].status != BS_STATUS_SKIPPED || !applies) out->progress[v] = progress[i];
        if (edit) out->edit.ov[v] = edit->ov[i];
    }
    if (custom_links && edit) map_links(edit, target, out);
    realise_before(to, out);
    free(target);
    return 0;
}
