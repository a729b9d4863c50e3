/*
 * Runtime: one project moved to another schema version. See project_migrate.h.
 */
#include "project_migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

int bs_migrate_map_json(const json_t *obj, bs_migrate_map **out, const char **bad) {
    *out = NULL;
    *bad = NULL;
    if (!obj || json_is_null(obj)) return 0;
    if (!json_is_object(obj)) return -1;
    *out = bs_calloc(json_object_size(obj) + 1, sizeof **out);
    int n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)obj, k, v) {
        if (!json_is_string(v) && !json_is_null(v)) {
            *bad = k;
            free(*out);
            *out = NULL;
            return -1;
        }
        (*out)[n++] = (bs_migrate_map){k, json_string_value(v)};
    }
    return n;
}

void bs_project_migration_free(bs_project_migration *m) {
    json_decref(m->answer);
    json_decref(m->record);
    memset(m, 0, sizeof *m);
}

/* The finish of step i: its actual finish when realised with one, else its early finish. */
static bs_day finish_of(const bs_progress *p, const bs_schedule *s, int32_t i) {
    if (p[i].status == BS_STATUS_DONE && p[i].actual_finish != BS_DAY_NONE) return p[i].actual_finish;
    return s->steps[i].early_finish;
}

static json_t *milestones_json(const bs_project_state *st, const bs_schema *to, const bs_migrate_result *r,
                               const bs_schedule *s0, const bs_schedule *s1) {
    json_t *a = json_array();
    for (int32_t v = 0; v < to->n_steps; v++) {
        if (!to->steps[v].milestone) continue;
        int32_t i = r->source[v];
        bs_day before =
            i >= 0 && st->progress[i].status != BS_STATUS_SKIPPED ? finish_of(st->progress, s0, i) : BS_DAY_NONE;
        bs_day after = r->progress[v].status != BS_STATUS_SKIPPED ? finish_of(r->progress, s1, v) : BS_DAY_NONE;
        json_t *o = json_object();
        json_object_set_new(o, "key", json_string(to->steps[v].key));
        json_object_set_new(o, "name", json_string(to->steps[v].name));
        json_object_set_new(o, "before", bs_date_json(before));
        json_object_set_new(o, "after", bs_date_json(after));
        json_object_set_new(
            o, "delta_working_days",
            before != BS_DAY_NONE && after != BS_DAY_NONE
                ? json_integer(bs_calendar_boundary_after(st->cal, after) - bs_calendar_boundary_after(st->cal, before))
                : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *int_or_null(int32_t v) {
    return v >= 0 ? json_integer(v) : json_null();
}

/* The write record: the new version's step rows and (custom) links. */
static json_t *record_json(const json_t *doc, const bs_project_state *st, const bs_schema *to,
                           const bs_migrate_result *r, bool custom, bs_day completion) {
    json_t *rec = json_object(), *rows = json_array(), *links = json_array();
    json_object_set(rec, "id", json_object_get(doc, "id"));
    json_object_set_new(rec, "schema", json_string(to->key));
    json_object_set_new(rec, "sv", json_integer(st->version));
    json_object_set_new(rec, "pc", bs_date_json(completion));
    json_object_set_new(rec, "custom", json_boolean(custom));
    for (int32_t v = 0; v < to->n_steps; v++) {
        const bs_progress *p = &r->progress[v];
        const bs_step_override *ov = &r->edit.ov[v];
        int32_t i = r->source[v];
        json_t *o = json_object();
        json_object_set_new(o, "step_key", json_string(to->steps[v].key));
        json_object_set_new(o, "status", json_string(bs_status_name(p->status)));
        json_object_set_new(o, "actual_start", bs_date_json(p->actual_start));
        json_object_set_new(o, "actual_finish", bs_date_json(p->actual_finish));
        json_object_set_new(o, "actual_estimated", json_boolean(p->actual_estimated));
        json_object_set_new(o, "remaining_duration", int_or_null(ov->remaining));
        json_object_set_new(o, "duration_override", int_or_null(ov->duration));
        json_object_set_new(o, "planned_start", bs_date_json(i >= 0 ? st->planned[2 * i] : BS_DAY_NONE));
        json_object_set_new(o, "planned_finish", bs_date_json(i >= 0 ? st->planned[2 * i + 1] : BS_DAY_NONE));
        json_object_set_new(o, "start_no_earlier_than", bs_date_json(ov->snet));
        json_object_set_new(o, "finish_no_later_than", bs_date_json(ov->fnlt));
        json_array_append_new(rows, o);
    }
    for (int32_t k = 0; custom && k < r->edit.n_links; k++) {
        const bs_link *l = &r->edit.links[k];
        json_t *o = json_object();
        json_object_set_new(o, "ord", json_integer(k));
        json_object_set_new(o, "pred", json_string(to->steps[l->pred].key));
        json_object_set_new(o, "succ", json_string(to->steps[l->succ].key));
        json_object_set_new(o, "type", json_string(bs_link_type_name(l->type)));
        json_object_set_new(o, "lag", json_integer(l->lag));
        json_object_set_new(o, "lag_unit", json_string(bs_unit_name(l->lag_unit)));
        json_array_append_new(links, o);
    }
    json_t *keys = json_array();
    for (int32_t v = 0; v < to->n_steps; v++) json_array_append_new(keys, json_string(to->steps[v].key));
    json_object_set_new(rec, "keys", keys);
    json_object_set_new(rec, "steps", rows);
    json_object_set_new(rec, "links", links);
    return rec;
}

static void refused(bs_project_migration *out, const bs_schema *from, const bs_schema *to, const bs_migrate_result *r) {
    const char *k = r->refused_step ? r->refused_step : "?";
    out->status = r->refusal == BS_MIGRATE_LOSES_ACTUAL ? BS_ECONFLICT : BS_EINVAL;
    snprintf(out->field, sizeof out->field, "mapping.%.150s", k);
    switch (r->refusal) {
    case BS_MIGRATE_UNKNOWN_FROM:
        snprintf(out->message, sizeof out->message, "version %d of %s has no step '%.150s'", (int)from->version,
                 from->key, k);
        break;
    case BS_MIGRATE_UNKNOWN_TO:
        snprintf(out->message, sizeof out->message, "step '%.150s' is mapped onto a step version %d of %s lacks", k,
                 (int)to->version, to->key);
        break;
    case BS_MIGRATE_TWICE:
        snprintf(out->message, sizeof out->message,
                 "step '%.150s' maps onto a step of version %d that another step maps onto as well", k,
                 (int)to->version);
        break;
    default:
        snprintf(out->message, sizeof out->message,
                 "step '%.150s' has an actual date and no counterpart in version %d: map it to a step of that "
                 "version, or the date would be lost",
                 k, (int)to->version);
    }
}

static json_t *answer_json(const json_t *doc, const bs_project_state *st, const bs_schema *to,
                           const bs_migrate_result *r, const bs_schedule *s0, const bs_schedule *s1) {
    json_t *a = json_object(), *un = json_array(), *re = json_array();
    json_object_set(a, "project_id", json_object_get(doc, "id"));
    json_object_set_new(a, "from_version", json_integer(st->schema->version));
    json_object_set_new(a, "to_version", json_integer(to->version));
    json_object_set_new(a, "milestones", milestones_json(st, to, r, s0, s1));
    for (int32_t k = 0; k < r->n_unmapped; k++) {
        const bs_step *s = &st->schema->steps[r->unmapped[k]];
        char why[300];
        snprintf(why, sizeof why, "%s; its progress (%s) is kept in the project's history",
                 bs_schema_find(to, s->key) >= 0 ? "mapped to null" : "version has no step with this key",
                 bs_status_name(st->progress[r->unmapped[k]].status));
        json_array_append_new(un, json_pack("{s:s, s:s}", "key", s->key, "reason", why));
    }
    for (int32_t k = 0; k < r->n_realised; k++) json_array_append_new(re, json_string(to->steps[r->realised[k]].key));
    json_object_set_new(a, "unmapped_steps", un);
    json_object_set_new(a, "realised_steps", re);
    json_object_set_new(a, "carried_steps", json_integer(r->carried));
    return a;
}

void bs_project_migrate(const bs_engine *e, const json_t *doc, bs_day today, long to_version, const bs_migrate_map *map,
                        size_t n_map, bs_project_migration *out) {
    memset(out, 0, sizeof *out);
    bs_project_state st;
    if (bs_project_state_parse(e, doc, today, &st) != 0) {
        bs_project_state_free(&st);
        out->status = BS_EINTERNAL;
        snprintf(out->message, sizeof out->message, "the project refers to an unknown process schema version");
        return;
    }
    const bs_engine_schema *tes = bs_engine_schema_version(e, st.schema->key, to_version);
    if (!tes || to_version == st.schema->version) {
        out->status = BS_EINVAL;
        snprintf(out->field, sizeof out->field, "version");
        if (tes)
            snprintf(out->message, sizeof out->message, "the project is on version %ld of %s already", to_version,
                     st.schema->key);
        else
            snprintf(out->message, sizeof out->message, "%s has no version %ld", st.schema->key, to_version);
        bs_project_state_free(&st);
        return;
    }
    const bs_schema *to = tes->schema;
    bool custom = json_is_true(json_object_get(doc, "custom_links"));
    bs_migrate_result r;
    if (bs_migrate_project(st.schema, to, st.progress, &st.edit, custom, st.planstatus, map, n_map, &r) != 0) {
        refused(out, st.schema, to, &r);
        bs_migrate_result_free(&r);
        bs_project_state_free(&st);
        return;
    }
    bs_schedule s0, s1;
    bs_schedule_err e0 = bs_project_state_schedule(&st, st.cal, &s0);
    bs_schedule_err e1 = bs_schedule_with_edit(&r.edit, to, r.progress, st.progress_date, st.data_date, st.cal, &s1);
    if (e0 != BS_SCHEDULE_OK || e1 != BS_SCHEDULE_OK) {
        out->status = e1 == BS_SCHEDULE_ECYCLE ? BS_ECONFLICT : BS_EINTERNAL;
        snprintf(out->field, sizeof out->field, e1 != BS_SCHEDULE_OK ? "mapping" : "id");
        snprintf(out->message, sizeof out->message, "the %s version's schedule cannot be computed: %s",
                 e1 != BS_SCHEDULE_OK ? "new" : "current", bs_schedule_strerror(e1 != BS_SCHEDULE_OK ? e1 : e0));
    } else {
        out->answer = answer_json(doc, &st, to, &r, &s0, &s1);
        out->record = record_json(doc, &st, to, &r, custom, bs_schedule_completion(to, r.progress, &s1));
        out->carried = r.carried;
        out->realised = r.n_realised;
        out->unmapped = r.n_unmapped;
    }
    if (e0 == BS_SCHEDULE_OK || e0 == BS_SCHEDULE_ECYCLE) bs_schedule_free(&s0);
    if (e1 == BS_SCHEDULE_OK || e1 == BS_SCHEDULE_ECYCLE) bs_schedule_free(&s1);
    bs_migrate_result_free(&r);
    bs_project_state_free(&st);
}
