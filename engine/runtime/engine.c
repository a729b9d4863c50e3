/*
 * Engine context: schemas, calendar, schedule rendering. See engine.h.
 */
#include "engine.h"
#include <stdint.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "leadtime.h"

const bs_stmt BS_STMT_PROJECT_STATE = {"project_state", BS_PROJECT_STATE_SQL, 1};

#ifndef BS_SOURCE_DIR
#define BS_SOURCE_DIR "."
#endif

const char *bs_home(void) {
    const char *h = getenv("BOUWSTROOM_HOME");
    return h && *h ? h : BS_SOURCE_DIR;
}

char *bs_read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = bs_malloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (cap - len < 2) {
            buf = bs_realloc(buf, cap * 2);
            cap *= 2;
        }
    }
    int ferr = ferror(f);
    fclose(f);
    if (ferr) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The schema's problems: a summary line in err, the summary and one line per problem in
 * *report (when report is not NULL). */
static int schema_problems(const char *path, const bs_schema_problems *probs, bs_err *err, char **report) {
    bs_err_set(err, BS_EINVAL, NULL, "%s: %zu problem(s)", path, probs->count);
    bs_err_lines(report, "%s: %zu problem(s)", path, probs->count);
    for (size_t k = 0; k < probs->count; k++)
        bs_err_lines(report, "  %s: %s", probs->items[k].path, probs->items[k].message);
    return BS_EINVAL;
}

int bs_engine_init(bs_engine *e, const char *dir, bs_err *err, char **report) {
    return bs_engine_init_ex(e, dir, 0, err, report);
}

int bs_engine_init_ex(bs_engine *e, const char *dir, unsigned flags, bs_err *err, char **report) {
    memset(e, 0, sizeof *e);
    if (report) *report = NULL;
    bs_calendar_options opt = bs_calendar_default_options();
    if (bs_calendar_init(&e->calendar, &opt, BS_CALENDAR_FIRST_YEAR, BS_CALENDAR_LAST_YEAR) != 0)
        return bs_err_set(err, BS_EINTERNAL, NULL, "cannot build the working-day calendar");
    for (int g = 0; g < 2; g++)
        for (int b = 0; b < 3; b++) {
            bs_calendar_options o = {.goede_vrijdag = g == 1, .bevrijdingsdag = (bs_bevrijdingsdag_rule)b};
            if (bs_calendar_init(&e->variants[g][b], &o, BS_CALENDAR_FIRST_YEAR, BS_CALENDAR_LAST_YEAR) != 0)
                return bs_err_set(err, BS_EINTERNAL, NULL, "cannot build the working-day calendars");
        }
    DIR *d = opendir(dir);
    if (!d) return bs_err_set(err, BS_EIO, NULL, "cannot open process schema directory %s: %s", dir, strerror(errno));
    char *names[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 64) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) names[n++] = bs_strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), cmp_name);
    e->schemas = bs_calloc((size_t)(n ? n : 1), sizeof *e->schemas);
    e->deployed = bs_calloc(1, sizeof *e->deployed);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (rc != 0) {
            free(names[i]);
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *text = bs_read_file(path, &len);
        if (!text) {
            rc = bs_err_set(err, BS_EIO, NULL, "cannot read %s: %s", path, strerror(errno));
        } else {
            bs_schema_problems probs = {0};
            bs_schema *s = bs_schema_load(text, len, true, &probs); /* every link type (FS, SS, FF, SF) */
            if (!s) {
                rc = schema_problems(path, &probs, err, report);
                bs_schema_problems_free(&probs);
            } else {
                e->schemas[e->n_schemas].schema = s;
                e->schemas[e->n_schemas].json = json_loadb(text, len, 0, NULL);
                e->n_schemas++;
                /* the lead-time reference history of this schema (optional file) */
                char rpath[4200];
                snprintf(rpath, sizeof rpath, "%s/reference/%s.reference.json", dir, s->key);
                size_t rlen = 0;
                char *rtext = flags & BS_ENGINE_NO_REFERENCE ? NULL : bs_read_file(rpath, &rlen);
                if (rtext) {
                    bs_reference *ref = bs_calloc(1, sizeof *ref);
                    char rerr[512];
                    if (bs_reference_load(rtext, rlen, s, ref, rerr, sizeof rerr) != 0) {
                        rc = bs_err_set(err, BS_EINVAL, NULL, "%s: %s", rpath, rerr);
                        free(ref);
                    } else if (bs_reference_fit(ref, s) != 0) {
                        rc = bs_err_set(err, BS_EINVAL, NULL, "%s: the reference history could not be fitted", rpath);
                        bs_reference_free(ref);
                        free(ref);
                    } else {
                        e->schemas[e->n_schemas - 1].reference = ref;
                    }
                    free(rtext);
                }
            }
            free(text);
        }
        free(names[i]);
    }
    if (rc == 0 && e->n_schemas == 0) rc = bs_err_set(err, BS_EINVAL, NULL, "no process schemas (*.json) in %s", dir);
    return rc;
}

void bs_engine_free(bs_engine *e) {
    for (int i = 0; i < e->n_schemas; i++) {
        bs_schema_free(e->schemas[i].schema);
        bs_reference_free(e->schemas[i].reference);
        free(e->schemas[i].reference);
        json_decref(e->schemas[i].json);
    }
    free(e->schemas);
    for (bs_engine_version *v = e->deployed ? e->deployed->head : NULL, *next; v; v = next) {
        next = v->next;
        bs_schema_free(v->es.schema);
        json_decref(v->es.json);
        free(v);
    }
    free(e->deployed);
    bs_calendar_free(&e->calendar);
    for (int g = 0; g < 2; g++)
        for (int b = 0; b < 3; b++) bs_calendar_free(&e->variants[g][b]);
    memset(e, 0, sizeof *e);
}

const bs_calendar *bs_engine_calendar(const bs_engine *e, const bs_calendar_options *opt) {
    int b = (int)opt->bevrijdingsdag;
    if (b < 0 || b > 2) return &e->calendar;
    return &e->variants[opt->goede_vrijdag ? 1 : 0][b];
}

bs_calendar_options bs_calendar_options_json(const json_t *o) {
    bs_calendar_options opt = bs_calendar_default_options();
    const json_t *g = json_object_get(o, "goede_vrijdag");
    if (json_is_boolean(g)) opt.goede_vrijdag = json_is_true(g);
    const char *b = json_string_value(json_object_get(o, "bevrijdingsdag"));
    if (b && strcmp(b, "never") == 0) opt.bevrijdingsdag = BS_BEVRIJDINGSDAG_NEVER;
    if (b && strcmp(b, "lustrum") == 0) opt.bevrijdingsdag = BS_BEVRIJDINGSDAG_LUSTRUM;
    if (b && strcmp(b, "yearly") == 0) opt.bevrijdingsdag = BS_BEVRIJDINGSDAG_YEARLY;
    return opt;
}

const bs_engine_schema *bs_engine_schema_get(const bs_engine *e, const char *key) {
    for (int i = 0; i < e->n_schemas; i++)
        if (strcmp(e->schemas[i].schema->key, key) == 0) return &e->schemas[i];
    return NULL;
}

const bs_engine_schema *bs_engine_schema_version(const bs_engine *e, const char *key, long version) {
    const bs_engine_schema *es = bs_engine_schema_get(e, key);
    if (version <= 0 || (es && es->schema->version == version)) return es;
    if (!e->deployed) return NULL;
    for (bs_engine_version *v = __atomic_load_n(&e->deployed->head, __ATOMIC_ACQUIRE); v; v = v->next)
        if (v->es.schema->version == version && strcmp(v->es.schema->key, key) == 0) return &v->es;
    return NULL;
}

const bs_engine_version *bs_engine_deployed(const bs_engine *e) {
    return e->deployed ? __atomic_load_n(&e->deployed->head, __ATOMIC_ACQUIRE) : NULL;
}

int bs_engine_add_version(const bs_engine *e, const char *definition, size_t len, bs_err *err) {
    bs_schema_problems probs = {0};
    bs_schema *s = bs_schema_load(definition, len, true, &probs);
    if (!s) {
        bs_err_set(err, BS_EINVAL, NULL, "a stored process schema does not load: %s: %s",
                   probs.count ? probs.items[0].path : "$", probs.count ? probs.items[0].message : "?");
        bs_schema_problems_free(&probs);
        return BS_EINVAL;
    }
    if (bs_engine_schema_version(e, s->key, s->version)) {
        bs_schema_free(s);
        return 0;
    }
    bs_engine_version *v = bs_calloc(1, sizeof *v);
    v->es.schema = s;
    v->es.json = json_loadb(definition, len, 0, NULL);
    v->next = e->deployed->head;
    __atomic_store_n(&e->deployed->head, v, __ATOMIC_RELEASE);
    return 0;
}

static bool has_milestone(const bs_schema *sc, const char *key) {
    for (int32_t j = 0; j < sc->n_steps; j++)
        if (sc->steps[j].milestone && strcmp(sc->steps[j].key, key) == 0) return true;
    return false;
}

bool bs_engine_is_milestone(const char *key, const void *arg) {
    const bs_engine *e = arg;
    for (int i = 0; i < e->n_schemas; i++)
        if (has_milestone(e->schemas[i].schema, key)) return true;
    for (const bs_engine_version *v = bs_engine_deployed(e); v; v = v->next)
        if (has_milestone(v->es.schema, key)) return true;
    return false;
}

static const char *const status_names[] = {"open", "started", "done", "skipped"};

int bs_status_parse(const char *s, bs_step_status *out) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, status_names[i]) == 0) {
            *out = (bs_step_status)i;
            return 0;
        }
    return -1;
}

const char *bs_status_name(bs_step_status s) {
    return (unsigned)s < 4 ? status_names[s] : "open";
}

bs_day bs_json_date(const json_t *v) {
    bs_day d;
    const char *t = json_string_value(v);
    return t && bs_date_parse(t, &d) == 0 ? d : BS_DAY_NONE;
}

json_t *bs_date_json(bs_day d) {
    char buf[11];
    /* without jansson's UTF-8 check: the text is ASCII digits and dashes */
    return d == BS_DAY_NONE ? json_null() : json_string_nocheck(bs_date_format(d, buf));
}

int bs_link_from_json(const bs_schema *schema, const json_t *o, int32_t succ, bs_link *l) {
    const char *pk = json_string_value(json_object_get(o, "pred"));
    int32_t p = pk ? bs_schema_find(schema, pk) : -1;
    if (succ < 0) {
        const char *sk = json_string_value(json_object_get(o, "succ"));
        succ = sk ? bs_schema_find(schema, sk) : -1;
    }
    if (p < 0 || succ < 0) return -1;
    *l = (bs_link){p, succ, BS_LINK_FS, 0, BS_UNIT_WORKING_DAYS};
    bs_link_type_parse(json_string_value(json_object_get(o, "type")), &l->type);
    l->lag = (int32_t)json_integer_value(json_object_get(o, "lag"));
    bs_unit_parse(json_string_value(json_object_get(o, "lag_unit")), &l->lag_unit);
    return 0;
}

bs_day bs_data_date(bs_day progress_date, bs_day today) {
    if (progress_date == BS_DAY_NONE) return today;
    if (today == BS_DAY_NONE) return progress_date;
    return today > progress_date ? today : progress_date;
}

/* The columns of a stored step row, in BS_PROJECT_STATE_STEP_COLUMNS order (engine.h). */
enum step_field_ix {
    SF_STEP_KEY,
    SF_STATUS,
    SF_ACTUAL_START,
    SF_ACTUAL_FINISH,
    SF_ACTUAL_ESTIMATED,
    SF_REMAINING,
    SF_DURATION,
    SF_PLANNED_START,
    SF_PLANNED_FINISH,
    SF_SNET,
    SF_FNLT
};
static const char *const step_field_names[] = {"step_key",
                                               "status",
                                               "actual_start",
                                               "actual_finish",
                                               "actual_estimated",
                                               "remaining_duration",
                                               "duration_override",
                                               "planned_start",
                                               "planned_finish",
                                               "start_no_earlier_than",
                                               "finish_no_later_than"};

/* Column f of a stored step row: an object (BS_PROJECT_STATE_MEMBERS, a migration's snapshot) or an array in
 * BS_PROJECT_STATE_STEP_COLUMNS order (BS_PROJECT_STATE_MEMBERS_COMPACT). Borrowed; NULL when absent. */
static json_t *step_field(const json_t *row, enum step_field_ix f) {
    return json_is_array(row) ? json_array_get(row, (size_t)f) : json_object_get(row, step_field_names[f]);
}

int bs_project_state_parse(const bs_engine *e, const json_t *doc, bs_day today, bs_project_state *out) {
    memset(out, 0, sizeof *out);
    out->cal = &e->calendar;
    const char *sk = json_string_value(json_object_get(doc, "schema"));
    long sv = (long)json_integer_value(json_object_get(doc, "schema_version"));
    const bs_engine_schema *es = sk ? bs_engine_schema_version(e, sk, sv) : NULL;
    out->progress_date = bs_json_date(json_object_get(doc, "progress_date"));
    out->data_date = bs_data_date(out->progress_date, today);
    if (!es || out->progress_date == BS_DAY_NONE || bs_sched_edit_init(&out->edit, es->schema) != 0) return -2;
    const bs_schema *schema = out->schema = es->schema;
    const int32_t n = schema->n_steps;
    out->version = json_integer_value(json_object_get(doc, "version"));
    snprintf(out->planstatus, sizeof out->planstatus, "%s",
             json_string_value(json_object_get(doc, "planstatus")) ?: "");
    snprintf(out->name, sizeof out->name, "%s", json_string_value(json_object_get(doc, "name")) ?: "");
    snprintf(out->gemeente, sizeof out->gemeente, "%s", json_string_value(json_object_get(doc, "gemeente")) ?: "");
    out->homes_remaining = (long)json_integer_value(json_object_get(doc, "homes_remaining"));
    bs_calendar_options copt = bs_calendar_options_json(json_object_get(doc, "calendar"));
    out->cal = bs_engine_calendar(e, &copt);
    out->progress = bs_calloc((size_t)n + 1, sizeof *out->progress);
    out->planned = bs_malloc(sizeof *out->planned * (2 * (size_t)n + 1));
    for (int32_t i = 0; i < n; i++) {
        out->progress[i] =
            (bs_progress){bs_schema_step_applies(schema, i, out->planstatus) ? BS_STATUS_OPEN : BS_STATUS_SKIPPED,
                          BS_DAY_NONE, BS_DAY_NONE, false};
        out->planned[2 * i] = out->planned[2 * i + 1] = BS_DAY_NONE;
    }
    size_t k;
    json_t *row;
    json_array_foreach(json_object_get(doc, "steps"), k, row) {
        const char *key = json_string_value(step_field(row, SF_STEP_KEY));
        int32_t i = key ? bs_schema_find(schema, key) : -1;
        if (i < 0) continue;
        bs_progress *p = &out->progress[i];
        const char *st = json_string_value(step_field(row, SF_STATUS));
        if (!st || bs_status_parse(st, &p->status) != 0) p->status = BS_STATUS_OPEN;
        p->actual_start = bs_json_date(step_field(row, SF_ACTUAL_START));
        p->actual_finish = bs_json_date(step_field(row, SF_ACTUAL_FINISH));
        p->actual_estimated = json_is_true(step_field(row, SF_ACTUAL_ESTIMATED));
        json_t *v;
        if (json_is_integer(v = step_field(row, SF_REMAINING)))
            out->edit.ov[i].remaining = (int32_t)json_integer_value(v);
        if (json_is_integer(v = step_field(row, SF_DURATION)))
            out->edit.ov[i].duration = (int32_t)json_integer_value(v);
        out->edit.ov[i].snet = bs_json_date(step_field(row, SF_SNET));
        out->edit.ov[i].fnlt = bs_json_date(step_field(row, SF_FNLT));
        out->planned[2 * i] = bs_json_date(step_field(row, SF_PLANNED_START));
        out->planned[2 * i + 1] = bs_json_date(step_field(row, SF_PLANNED_FINISH));
    }
    if (json_is_true(json_object_get(doc, "custom_links"))) {
        out->edit.n_links = 0;
        json_array_foreach(json_object_get(doc, "links"), k, row) {
            bs_link l;
            if (bs_link_from_json(schema, row, -1, &l) != 0) continue;
            if (out->edit.n_links == out->edit.cap_links) {
                bs_link *nl = bs_realloc(out->edit.links, sizeof *nl * ((size_t)out->edit.cap_links * 2 + 8));
                out->edit.links = nl;
                out->edit.cap_links = out->edit.cap_links * 2 + 8;
            }
            out->edit.links[out->edit.n_links++] = l;
        }
    }
    return 0;
}

void bs_project_state_free(bs_project_state *s) {
    free(s->progress);
    free(s->planned);
    if (s->schema) bs_sched_edit_free(&s->edit);
    memset(s, 0, sizeof *s);
}

bs_schedule_err bs_schedule_with_edit(void *ctx, const bs_schema *sampled, const bs_progress *progress,
                                      bs_day progress_date, bs_day data_date, const bs_calendar *cal,
                                      bs_schedule *out) {
    const bs_sched_edit *e = ctx;
    bs_schedule_input in = {.schema = sampled,
                            .progress = progress,
                            .overrides = e ? e->ov : NULL,
                            .links = e ? e->links : NULL,
                            .n_links = e ? e->n_links : 0,
                            .progress_date = progress_date,
                            .data_date = data_date,
                            .cal = cal,
                            .near_critical_wd = -1};
    return bs_schedule_compute_ex(&in, out);
}

bs_schedule_err bs_project_state_schedule(const bs_project_state *s, const bs_calendar *cal, bs_schedule *out) {
    return bs_schedule_with_edit((void *)(uintptr_t)&s->edit, s->schema, s->progress, s->progress_date, s->data_date,
                                 cal, out);
}

bs_day bs_schedule_completion(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched) {
    int32_t i = bs_schema_find(schema, "laatste_oplevering");
    if (i < 0) return sched->project_finish;
    if (sched->steps[i].early_finish != BS_DAY_NONE) return sched->steps[i].early_finish;
    if (progress[i].status == BS_STATUS_DONE && progress[i].actual_finish != BS_DAY_NONE)
        return progress[i].actual_finish;
    return sched->project_finish;
}

/* The strings a rendering repeats, each made once per rendering and shared by reference (jansson counts them): the
 * step keys (a step's object, out_of_sequence, the critical paths), status and stream names (issue 17: the answer of
 * a step write is the whole schedule; fewer allocations). Keys and names come from validated schema files. */
typedef struct render_strings {
    const bs_schema *schema;
    json_t **keys; /* n_steps; made on first use */
    json_t *status[BS_STATUS_SKIPPED + 1], *stream[2];
} render_strings;

static json_t *key_string(render_strings *rs, int32_t i) {
    return bs_json_shared_string(&rs->keys[i], rs->schema->steps[i].key);
}

static void render_strings_free(render_strings *rs) {
    for (int32_t i = 0; i < rs->schema->n_steps; i++) json_decref(rs->keys[i]);
    free(rs->keys);
    for (size_t k = 0; k < sizeof rs->status / sizeof rs->status[0]; k++) json_decref(rs->status[k]);
    json_decref(rs->stream[0]);
    json_decref(rs->stream[1]);
}

/* The object of step i in bs_schedule_to_json. */
static json_t *step_json(render_strings *rs, int32_t i, const bs_progress *p, const bs_step_result *r) {
    const bs_step *st = &rs->schema->steps[i];
    bool public = st->stream == BS_STREAM_PUBLIC;
    bool open = p->status == BS_STATUS_OPEN || p->status == BS_STATUS_STARTED;
    json_t *o = json_object();
    json_object_set_new_nocheck(o, "key", key_string(rs, i));
    json_object_set_new_nocheck(o, "name", json_string_nocheck(st->name));
    json_object_set_new_nocheck(o, "stream", bs_json_shared_string(&rs->stream[public], public ? "public" : "private"));
    json_object_set_new_nocheck(o, "milestone", json_boolean(st->milestone));
    json_object_set_new_nocheck(o, "status",
                                (unsigned)p->status <= BS_STATUS_SKIPPED
                                    ? bs_json_shared_string(&rs->status[p->status], bs_status_name(p->status))
                                    : json_string(bs_status_name(p->status)));
    json_object_set_new_nocheck(o, "early_start", bs_date_json(r->early_start));
    json_object_set_new_nocheck(o, "early_finish", bs_date_json(r->early_finish));
    json_object_set_new_nocheck(o, "late_start", bs_date_json(r->late_start));
    json_object_set_new_nocheck(o, "late_finish", bs_date_json(r->late_finish));
    json_object_set_new_nocheck(o, "total_float", open ? json_integer(r->total_float) : json_null());
    json_object_set_new_nocheck(o, "free_float", open ? json_integer(r->free_float) : json_null());
    json_object_set_new_nocheck(o, "critical", json_boolean(r->critical));
    json_object_set_new_nocheck(o, "near_critical", json_boolean(r->near_critical));
    json_object_set_new_nocheck(o, "deadline_missed", json_boolean(r->deadline_missed));
    json_object_set_new_nocheck(o, "out_of_sequence", json_boolean(r->out_of_sequence));
    json_object_set_new_nocheck(o, "actual_start", bs_date_json(p->actual_start));
    json_object_set_new_nocheck(o, "actual_finish", bs_date_json(p->actual_finish));
    json_object_set_new_nocheck(o, "actual_estimated", json_boolean(p->actual_estimated));
    return o;
}

json_t *bs_schedule_to_json(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched) {
    render_strings rs = {.schema = schema, .keys = bs_calloc((size_t)schema->n_steps + 1, sizeof(json_t *))};
    json_t *root = json_object();
    json_object_set_new_nocheck(root, "progress_date", bs_date_json(sched->progress_date));
    json_object_set_new_nocheck(root, "data_date", bs_date_json(sched->data_date));
    json_object_set_new_nocheck(root, "project_finish", bs_date_json(sched->project_finish));
    json_t *oos = json_array();
    json_t *steps = json_array();
    for (int32_t i = 0; i < schema->n_steps; i++) {
        json_array_append_new(steps, step_json(&rs, i, &progress[i], &sched->steps[i]));
        if (sched->steps[i].out_of_sequence) json_array_append_new(oos, key_string(&rs, i));
    }
    json_object_set_new_nocheck(root, "out_of_sequence", oos);
    json_object_set_new_nocheck(root, "steps", steps);
    /* critical paths (ordered step keys), near-critical threshold, knelpunten */
    json_object_set_new_nocheck(root, "near_critical_days", json_integer(sched->near_critical_wd));
    json_t *paths = json_array();
    for (int32_t p = 0; p < sched->n_paths; p++) {
        json_t *path = json_array();
        for (int32_t k = sched->path_offsets[p]; k < sched->path_offsets[p + 1]; k++)
            json_array_append_new(path, key_string(&rs, sched->path_steps[k]));
        json_array_append_new(paths, path);
    }
    json_object_set_new_nocheck(root, "critical_paths", paths);
    json_t *kp = json_array();
    for (int32_t k = 0; k < sched->n_knelpunten; k++) {
        const bs_knelpunt *b = &sched->knelpunten[k];
        json_t *o = json_object();
        json_object_set_new_nocheck(o, "step", key_string(&rs, b->step));
        json_object_set_new_nocheck(o, "kind", json_string_nocheck("deadline_missed"));
        json_object_set_new_nocheck(o, "deadline", bs_date_json(b->deadline));
        json_object_set_new_nocheck(o, "early_finish", bs_date_json(b->early_finish));
        json_object_set_new_nocheck(o, "overshoot_working_days", json_integer(b->overshoot_wd));
        json_array_append_new(kp, o);
    }
    json_object_set_new_nocheck(root, "knelpunten", kp);
    render_strings_free(&rs);
    return root;
}
