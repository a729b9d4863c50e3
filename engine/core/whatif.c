/*
 * Per-project schedule edits, what-if changes and the offline input. See whatif.h.
 */
#include "whatif.h"
#include <stdint.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

int bs_link_type_parse(const char *s, bs_link_type *out) {
    static const char *const names[] = {"FS", "SS", "FF", "SF"};
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, names[i]) == 0) {
            *out = (bs_link_type)i;
            return 0;
        }
    return -1;
}

const char *bs_link_type_name(bs_link_type t) {
    static const char *const names[] = {"FS", "SS", "FF", "SF"};
    return (unsigned)t < 4 ? names[t] : "FS";
}

int bs_unit_parse(const char *s, bs_unit *out) {
    if (s && strcmp(s, "working_days") == 0) {
        *out = BS_UNIT_WORKING_DAYS;
        return 0;
    }
    if (s && strcmp(s, "calendar_days") == 0) {
        *out = BS_UNIT_CALENDAR_DAYS;
        return 0;
    }
    return -1;
}

const char *bs_unit_name(bs_unit u) {
    return u == BS_UNIT_CALENDAR_DAYS ? "calendar_days" : "working_days";
}

int bs_sched_edit_init(bs_sched_edit *e, const bs_schema *schema) {
    memset(e, 0, sizeof *e);
    e->near_critical_wd = -1;
    e->n_steps = schema->n_steps;
    e->ov = bs_malloc(sizeof *e->ov * ((size_t)schema->n_steps + 1));
    e->cap_links = schema->n_links + 8;
    e->links = bs_malloc(sizeof *e->links * (size_t)e->cap_links);
    for (int32_t i = 0; i < schema->n_steps; i++)
        e->ov[i] = (bs_step_override){.duration = -1, .remaining = -1, .snet = BS_DAY_NONE, .fnlt = BS_DAY_NONE};
    if (schema->n_links > 0) memcpy(e->links, schema->links, sizeof *e->links * (size_t)schema->n_links);
    e->n_links = schema->n_links;
    return 0;
}

void bs_sched_edit_free(bs_sched_edit *e) {
    free(e->ov);
    free(e->links);
    e->ov = NULL;
    e->links = NULL;
    e->n_links = e->cap_links = 0;
}

int32_t bs_sched_edit_find_link(const bs_sched_edit *e, int32_t pred, int32_t succ) {
    for (int32_t l = 0; l < e->n_links; l++)
        if (e->links[l].pred == pred && e->links[l].succ == succ) return l;
    return -1;
}

int32_t bs_sched_edit_find_link_typed(const bs_sched_edit *e, int32_t pred, int32_t succ, bs_link_type t) {
    for (int32_t l = 0; l < e->n_links; l++)
        if (e->links[l].pred == pred && e->links[l].succ == succ && e->links[l].type == t) return l;
    return -1;
}

int32_t bs_sched_edit_count_links(const bs_sched_edit *e, int32_t pred, int32_t succ) {
    int32_t n = 0;
    for (int32_t l = 0; l < e->n_links; l++) n += e->links[l].pred == pred && e->links[l].succ == succ;
    return n;
}

/* ---- error reporting ---- */

typedef struct perr {
    char *field, *msg;
    size_t field_len, msg_len;
    bs_day first, last; /* dates outside [first, last] are refused (BS_DAY_NONE: no bound) */
} perr;

__attribute__((format(printf, 3, 4))) static int fail(perr *p, const char *field, const char *fmt, ...) {
    snprintf(p->field, p->field_len, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, p->msg_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* Fails at member name under path ("changes[2].lag"): the path is formatted only when a
 * member fails (parsing many projects must not format a path per member). */
__attribute__((format(printf, 4, 5))) static int fail_member(perr *p, const char *path, const char *name,
                                                             const char *fmt, ...) {
    snprintf(p->field, p->field_len, "%s.%s", path, name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, p->msg_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* Step key member → index. */
static int get_step(perr *p, const json_t *o, const char *name, const char *path, const bs_schema *schema,
                    int32_t *out) {
    json_t *v = json_object_get(o, name);
    if (!v) return fail_member(p, path, name, "%s is required (a step key)", name);
    if (!json_is_string(v)) return fail_member(p, path, name, "%s must be a step key (string)", name);
    int32_t i = bs_schema_find(schema, json_string_value(v));
    if (i < 0)
        return fail_member(p, path, name, "unknown step '%.100s' in process schema %s", json_string_value(v),
                           schema->key);
    *out = i;
    return 0;
}

static int get_int(perr *p, const json_t *o, const char *name, const char *path, int32_t min, int32_t max,
                   bool required, int32_t *out) {
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) {
        if (required) return fail_member(p, path, name, "%s is required (an integer number of days)", name);
        return 1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return fail_member(p, path, name, "%s must be an integer from %d to %d", name, min, max);
    *out = (int32_t)json_integer_value(v);
    return 0;
}

/* Optional date member: 1 = absent, 2 = explicit null, 0 = parsed. */
static int get_date(perr *p, const json_t *o, const char *name, const char *path, bs_day *out) {
    json_t *v = json_object_get(o, name);
    if (!v) return 1;
    if (json_is_null(v)) {
        *out = BS_DAY_NONE;
        return 2;
    }
    if (!json_is_string(v) || bs_date_parse(json_string_value(v), out) != 0)
        return fail_member(p, path, name, "%s must be a date YYYY-MM-DD or null", name);
    if ((p->first != BS_DAY_NONE && *out < p->first) || (p->last != BS_DAY_NONE && *out > p->last)) {
        char a[11], b[11];
        return fail_member(p, path, name, "%s must lie between %s and %s (the working-day calendar's range)", name,
                           bs_date_format(p->first, a), bs_date_format(p->last, b));
    }
    return 0;
}

static int check_members(perr *p, const json_t *o, const char *path, const char *const *allowed) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)o, k, v) {
        bool ok = false;
        for (int i = 0; allowed[i]; i++) ok |= strcmp(allowed[i], k) == 0;
        if (!ok) {
            char f[200];
            snprintf(f, sizeof f, "%s.%.60s", path, k);
            return fail(p, f, "unknown field '%.60s'", k);
        }
    }
    return 0;
}

#define MAX_LAG 3650

static int apply_one(bs_sched_edit *e, const bs_schema *schema, const json_t *ch, const char *path, perr *p) {
    char f[160];
    if (!json_is_object(ch)) return fail(p, path, "a change must be an object with an \"op\"");
    json_t *op = json_object_get(ch, "op");
    if (!op || !json_is_string(op))
        return fail_member(p, path, "op",
                           "op is required: set_link, add_link, remove_link, set_duration, "
                           "set_constraint or set_remaining");
    const char *o = json_string_value(op);
    if (strcmp(o, "set_link") == 0 || strcmp(o, "add_link") == 0 || strcmp(o, "remove_link") == 0) {
        static const char *const allowed[] = {"op", "pred", "succ", "type", "lag", "lag_unit", "current_type", NULL};
        static const char *const allowed_rm[] = {"op", "pred", "succ", "current_type", NULL};
        bool add = o[0] == 'a', rm = o[0] == 'r';
        if (check_members(p, ch, path, rm ? allowed_rm : allowed)) return -1;
        int32_t a, b;
        if (get_step(p, ch, "pred", path, schema, &a) || get_step(p, ch, "succ", path, schema, &b)) return -1;
        int32_t l = bs_sched_edit_find_link(e, a, b);
        if (!add) {
            json_t *ct = json_object_get(ch, "current_type");
            if (ct) {
                bs_link_type t;
                snprintf(f, sizeof f, "%s.current_type", path);
                if (!json_is_string(ct) || bs_link_type_parse(json_string_value(ct), &t) != 0)
                    return fail(p, f, "current_type must be FS, SS, FF or SF");
                l = bs_sched_edit_find_link_typed(e, a, b, t);
                if (l < 0)
                    return fail(p, f, "there is no %s link %s -> %s", json_string_value(ct), schema->steps[a].key,
                                schema->steps[b].key);
            } else if (bs_sched_edit_count_links(e, a, b) > 1) {
                snprintf(f, sizeof f, "%s.current_type", path);
                return fail(p, f, "%s -> %s has several links: say which with current_type", schema->steps[a].key,
                            schema->steps[b].key);
            }
            if (l < 0) {
                snprintf(f, sizeof f, "%s.succ", path);
                return fail(p, f, "there is no link %s -> %s", schema->steps[a].key, schema->steps[b].key);
            }
        }
        if (rm) {
            e->links[l] = e->links[--e->n_links];
            return 0;
        }
        bs_link nl = add ? (bs_link){a, b, BS_LINK_FS, 0, BS_UNIT_WORKING_DAYS} : e->links[l];
        json_t *t = json_object_get(ch, "type");
        if (t && (!json_is_string(t) || bs_link_type_parse(json_string_value(t), &nl.type) != 0))
            return fail_member(p, path, "type", "type must be FS, SS, FF or SF");
        int32_t lag;
        int r = get_int(p, ch, "lag", path, -MAX_LAG, MAX_LAG, false, &lag);
        if (r < 0) return -1;
        if (r == 0) nl.lag = lag;
        json_t *u = json_object_get(ch, "lag_unit");
        if (u && (!json_is_string(u) || bs_unit_parse(json_string_value(u), &nl.lag_unit) != 0))
            return fail_member(p, path, "lag_unit", "lag_unit must be working_days or calendar_days");
        if (add && bs_sched_edit_find_link_typed(e, a, b, nl.type) >= 0) {
            snprintf(f, sizeof f, "%s.type", path);
            return fail(p, f, "a %s link %s -> %s exists already; use set_link", bs_link_type_name(nl.type),
                        schema->steps[a].key, schema->steps[b].key);
        }
        if (!add && l >= 0) {
            for (int32_t m = 0; m < e->n_links; m++)
                if (m != l && e->links[m].pred == a && e->links[m].succ == b && e->links[m].type == nl.type) {
                    snprintf(f, sizeof f, "%s.type", path);
                    return fail(p, f, "%s -> %s has a %s link already", schema->steps[a].key, schema->steps[b].key,
                                bs_link_type_name(nl.type));
                }
        }
        if (add) {
            if (a == b) {
                snprintf(f, sizeof f, "%s.succ", path);
                return fail(p, f, "a step cannot depend on itself (cycle %s -> %s)", schema->steps[a].key,
                            schema->steps[a].key);
            }
            if (e->n_links == e->cap_links) {
                int32_t nc = e->cap_links * 2 + 8;
                e->links = bs_realloc(e->links, sizeof *e->links * (size_t)nc);
                e->cap_links = nc;
            }
            e->links[e->n_links++] = nl;
        } else {
            e->links[l] = nl;
        }
        return 0;
    }
    if (strcmp(o, "set_duration") == 0) {
        static const char *const allowed[] = {"op", "step", "duration", NULL};
        int32_t i, d;
        if (check_members(p, ch, path, allowed) || get_step(p, ch, "step", path, schema, &i) ||
            get_int(p, ch, "duration", path, 0, 36500, true, &d))
            return -1;
        if (schema->steps[i].milestone && d != 0) {
            snprintf(f, sizeof f, "%s.duration", path);
            return fail(p, f, "step '%s' is a milestone: its duration is 0", schema->steps[i].key);
        }
        e->ov[i].duration = d;
        return 0;
    }
    if (strcmp(o, "set_remaining") == 0) {
        static const char *const allowed[] = {"op", "step", "remaining", NULL};
        int32_t i, d;
        if (check_members(p, ch, path, allowed) || get_step(p, ch, "step", path, schema, &i) ||
            get_int(p, ch, "remaining", path, 0, 36500, true, &d))
            return -1;
        e->ov[i].remaining = d;
        return 0;
    }
    if (strcmp(o, "set_constraint") == 0) {
        static const char *const allowed[] = {"op", "step", "start_no_earlier_than", "finish_no_later_than", NULL};
        int32_t i;
        if (check_members(p, ch, path, allowed) || get_step(p, ch, "step", path, schema, &i)) return -1;
        bs_day d;
        int r = get_date(p, ch, "start_no_earlier_than", path, &d);
        if (r < 0) return -1;
        if (r != 1) e->ov[i].snet = d;
        r = get_date(p, ch, "finish_no_later_than", path, &d);
        if (r < 0) return -1;
        if (r != 1) e->ov[i].fnlt = d;
        return 0;
    }
    return fail_member(p, path, "op",
                       "unknown op '%.40s' (expected set_link, add_link, remove_link, set_duration, "
                       "set_constraint or set_remaining)",
                       o);
}

int bs_whatif_apply(bs_sched_edit *e, const bs_schema *schema, const json_t *changes, char *field, size_t field_len,
                    char *msg, size_t msg_len) {
    return bs_whatif_apply_in(e, schema, changes, BS_DAY_NONE, BS_DAY_NONE, field, field_len, msg, msg_len);
}

int bs_whatif_apply_in(bs_sched_edit *e, const bs_schema *schema, const json_t *changes, bs_day first, bs_day last,
                       char *field, size_t field_len, char *msg, size_t msg_len) {
    perr p = {field, msg, field_len, msg_len, first, last};
    if (!json_is_array(changes)) return fail(&p, "changes", "changes must be an array of {\"op\": …} objects");
    size_t i;
    json_t *ch;
    json_array_foreach((json_t *)(uintptr_t)changes, i, ch) {
        char path[64] = "changes[";
        size_t n = 8, k = i;
        char digits[24];
        int nd = 0;
        do digits[nd++] = (char)('0' + k % 10);
        while ((k /= 10) > 0);
        while (nd > 0) path[n++] = digits[--nd];
        path[n++] = ']';
        path[n] = 0;
        if (apply_one(e, schema, ch, path, &p)) return -1;
    }
    return 0;
}

int bs_offline_state_parse(const json_t *doc, const bs_schema *schema, bs_progress *progress, bs_day *progress_date,
                           bs_day *data_date, bs_sched_edit *e, char *field, size_t field_len, char *msg,
                           size_t msg_len) {
    perr p = {field, msg, field_len, msg_len, BS_DAY_NONE, BS_DAY_NONE};
    for (int32_t i = 0; i < schema->n_steps; i++)
        progress[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    if (!json_is_object(doc)) return fail(&p, "$", "the input must be a JSON object");
    json_t *dd = json_object_get(doc, "data_date");
    if (!dd || !json_is_string(dd) || bs_date_parse(json_string_value(dd), data_date) != 0)
        return fail(&p, "data_date", "data_date is required: a date YYYY-MM-DD");
    *progress_date = BS_DAY_NONE;
    json_t *pd = json_object_get(doc, "progress_date");
    if (pd && (!json_is_string(pd) || bs_date_parse(json_string_value(pd), progress_date) != 0))
        return fail(&p, "progress_date", "progress_date must be a date YYYY-MM-DD");
    if (pd && *progress_date > *data_date)
        return fail(&p, "progress_date", "progress_date must not be after data_date");
    int32_t nc;
    int r = get_int(&p, doc, "near_critical_days", "$", 0, 3650, false, &nc);
    if (r < 0) return -1;
    if (r == 0) e->near_critical_wd = nc;
    json_t *steps = json_object_get(doc, "steps");
    if (steps && !json_is_object(steps)) return fail(&p, "steps", "steps must be an object {step key: state}");
    const char *key;
    json_t *st;
    json_object_foreach(steps, key, st) {
        char path[200];
        snprintf(path, sizeof path, "steps.%.100s", key);
        int32_t i = bs_schema_find(schema, key);
        if (i < 0) return fail(&p, path, "unknown step '%.100s' in process schema %s", key, schema->key);
        if (!json_is_object(st)) return fail(&p, path, "a step state must be an object");
        static const char *const allowed[] = {
            "status",    "actual_start", "actual_finish",         "actual_estimated",
            "remaining", "duration",     "start_no_earlier_than", "finish_no_later_than",
            NULL};
        if (check_members(&p, st, path, allowed)) return -1;
        bs_progress *pg = &progress[i];
        json_t *s = json_object_get(st, "status");
        if (s) {
            static const char *const names[] = {"open", "started", "done", "skipped"};
            bool ok = false;
            for (int k = 0; k < 4 && json_is_string(s); k++)
                if (strcmp(json_string_value(s), names[k]) == 0) {
                    pg->status = (bs_step_status)k;
                    ok = true;
                }
            if (!ok) {
                char f[220];
                snprintf(f, sizeof f, "%s.status", path);
                return fail(&p, f, "status must be open, started, done or skipped");
            }
        }
        bs_day d;
        if ((r = get_date(&p, st, "actual_start", path, &d)) < 0) return -1;
        if (r == 0) pg->actual_start = d;
        if ((r = get_date(&p, st, "actual_finish", path, &d)) < 0) return -1;
        if (r == 0) pg->actual_finish = d;
        json_t *est = json_object_get(st, "actual_estimated");
        if (est) {
            if (!json_is_boolean(est)) {
                char f[220];
                snprintf(f, sizeof f, "%s.actual_estimated", path);
                return fail(&p, f, "actual_estimated must be a boolean");
            }
            pg->actual_estimated = json_is_true(est);
        }
        if (pg->status == BS_STATUS_DONE && pg->actual_finish == BS_DAY_NONE) pg->actual_estimated = true;
        if (pg->status == BS_STATUS_STARTED && pg->actual_start == BS_DAY_NONE) {
            char f[220];
            snprintf(f, sizeof f, "%s.actual_start", path);
            return fail(&p, f, "a started step needs actual_start");
        }
        int32_t v;
        if ((r = get_int(&p, st, "remaining", path, 0, 36500, false, &v)) < 0) return -1;
        if (r == 0) e->ov[i].remaining = v;
        if ((r = get_int(&p, st, "duration", path, 0, 36500, false, &v)) < 0) return -1;
        if (r == 0) {
            if (schema->steps[i].milestone && v != 0) {
                char f[220];
                snprintf(f, sizeof f, "%s.duration", path);
                return fail(&p, f, "step '%s' is a milestone: its duration is 0", key);
            }
            e->ov[i].duration = v;
        }
        if ((r = get_date(&p, st, "start_no_earlier_than", path, &d)) < 0) return -1;
        if (r != 1) e->ov[i].snet = d;
        if ((r = get_date(&p, st, "finish_no_later_than", path, &d)) < 0) return -1;
        if (r != 1) e->ov[i].fnlt = d;
    }
    json_t *changes = json_object_get(doc, "changes");
    if (changes && bs_whatif_apply(e, schema, changes, field, field_len, msg, msg_len)) return -1;
    return 0;
}

int bs_calendar_init_every_day(bs_calendar *cal, int first_year, int last_year) {
    memset(cal, 0, sizeof *cal);
    if (first_year < 1 || last_year < first_year || last_year - first_year >= 400) return -1;
    cal->options = bs_calendar_default_options();
    cal->first_day = bs_date_from_ymd(first_year, 1, 1);
    cal->last_day = bs_date_from_ymd(last_year, 12, 31);
    int32_t n = cal->last_day - cal->first_day + 1;
    cal->count_before = bs_malloc(sizeof(int32_t) * ((size_t)n + 2));
    cal->wd_date = bs_malloc(sizeof(bs_day) * (size_t)n);
    for (int32_t i = 0; i <= n + 1; i++) cal->count_before[i] = i <= n ? i : n;
    for (int32_t i = 0; i < n; i++) cal->wd_date[i] = cal->first_day + i;
    cal->n_working = n;
    return 0;
}

static json_t *date_json(bs_day d) {
    char buf[11];
    return d == BS_DAY_NONE ? json_null() : json_string_nocheck(bs_date_format(d, buf));
}

json_t *bs_json_shared_string(json_t **slot, const char *s) {
    if (!*slot) *slot = json_string_nocheck(s);
    return json_incref(*slot);
}

/* The link objects of bs_sched_edit_annotate: step keys, units and types each made once (issue 17: fewer allocations
 * in the answer of every step write). Keys come from validated schema files. */
static json_t *links_json(const bs_schema *schema, const bs_sched_edit *e) {
    json_t **keys = bs_calloc((size_t)schema->n_steps + 1, sizeof *keys);
    json_t *units[2] = {NULL, NULL}, *types[4] = {NULL, NULL, NULL, NULL};
    json_t *links = json_array();
    for (int32_t l = 0; l < e->n_links; l++) {
        const bs_link *k = &e->links[l];
        json_t *o = json_object();
        json_object_set_new_nocheck(o, "pred", bs_json_shared_string(&keys[k->pred], schema->steps[k->pred].key));
        json_object_set_new_nocheck(o, "succ", bs_json_shared_string(&keys[k->succ], schema->steps[k->succ].key));
        unsigned t = (unsigned)k->type, u = k->lag_unit == BS_UNIT_CALENDAR_DAYS;
        json_object_set_new_nocheck(o, "type",
                                    t < 4 ? bs_json_shared_string(&types[t], bs_link_type_name(k->type))
                                          : json_string(bs_link_type_name(k->type)));
        json_object_set_new_nocheck(o, "lag", json_integer(k->lag));
        json_object_set_new_nocheck(o, "lag_unit", bs_json_shared_string(&units[u], bs_unit_name(k->lag_unit)));
        json_array_append_new(links, o);
    }
    for (int32_t i = 0; i < schema->n_steps; i++) json_decref(keys[i]);
    free(keys);
    for (int k = 0; k < 4; k++) json_decref(types[k]);
    json_decref(units[0]);
    json_decref(units[1]);
    return links;
}

void bs_sched_edit_annotate(json_t *schedule, const bs_schema *schema, const bs_sched_edit *e) {
    json_t *steps = json_object_get(schedule, "steps");
    json_t *units[2] = {NULL, NULL};
    for (int32_t i = 0; i < schema->n_steps && json_is_array(steps); i++) {
        json_t *o = json_array_get(steps, (size_t)i);
        const bs_step *s = &schema->steps[i];
        const bs_step_override *ov = &e->ov[i];
        if (!o) break;
        json_object_set_new_nocheck(o, "duration",
                                    json_integer(ov->duration >= 0 && !s->milestone ? ov->duration : s->duration));
        json_object_set_new_nocheck(
            o, "unit", bs_json_shared_string(&units[s->unit == BS_UNIT_CALENDAR_DAYS], bs_unit_name(s->unit)));
        json_object_set_new_nocheck(o, "statutory", json_boolean(s->statutory));
        json_object_set_new_nocheck(o, "start_no_earlier_than", date_json(ov->snet));
        json_object_set_new_nocheck(o, "finish_no_later_than", date_json(ov->fnlt));
        json_object_set_new_nocheck(o, "remaining", ov->remaining >= 0 ? json_integer(ov->remaining) : json_null());
    }
    json_decref(units[0]);
    json_decref(units[1]);
    json_object_set_new_nocheck(schedule, "links", links_json(schema, e));
}
