/*
 * Engine context: schemas, calendar, schedule rendering. See engine.h.
 */
#include "engine.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leadtime.h"

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
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
            } else {
                buf = nb;
                cap *= 2;
            }
        }
    }
    int ferr = ferror(f);
    fclose(f);
    if (buf && ferr) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    if (buf) buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}

static int cmp_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bs_engine_init(bs_engine *e, const char *dir, char *err, size_t errlen) {
    memset(e, 0, sizeof *e);
    bs_calendar_options opt = bs_calendar_default_options();
    if (bs_calendar_init(&e->calendar, &opt, BS_CALENDAR_FIRST_YEAR, BS_CALENDAR_LAST_YEAR) != 0) {
        snprintf(err, errlen, "cannot build the working-day calendar");
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open process schema directory %s: %s", dir, strerror(errno));
        return -1;
    }
    char *names[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 64) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof(char *), cmp_name);
    e->schemas = calloc((size_t)(n ? n : 1), sizeof *e->schemas);
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
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            rc = -1;
        } else {
            bs_schema_problems probs = {0};
            bs_schema *s = bs_schema_load(text, len, true, &probs); /* every link type (issue 3) */
            if (!s) {
                size_t off = (size_t)snprintf(err, errlen, "%s: %zu problem(s)", path, probs.count);
                for (size_t k = 0; k < probs.count && off < errlen; k++)
                    off += (size_t)snprintf(err + off, errlen - off, "\n  %s: %s", probs.items[k].path,
                                            probs.items[k].message);
                bs_schema_problems_free(&probs);
                rc = -1;
            } else {
                e->schemas[e->n_schemas].schema = s;
                e->schemas[e->n_schemas].json = json_loadb(text, len, 0, NULL);
                e->n_schemas++;
                /* issue 4: the lead-time reference history of this schema (optional file) */
                char rpath[4200];
                snprintf(rpath, sizeof rpath, "%s/reference/%s.reference.json", dir, s->key);
                size_t rlen = 0;
                char *rtext = bs_read_file(rpath, &rlen);
                if (rtext) {
                    bs_reference *ref = calloc(1, sizeof *ref);
                    char rerr[512];
                    if (!ref || bs_reference_load(rtext, rlen, s, ref, rerr, sizeof rerr) != 0) {
                        snprintf(err, errlen, "%s: %s", rpath, ref ? rerr : "out of memory");
                        free(ref);
                        rc = -1;
                    } else if (bs_reference_fit(ref, s) != 0) {
                        snprintf(err, errlen, "%s: the reference history could not be fitted", rpath);
                        bs_reference_free(ref);
                        free(ref);
                        rc = -1;
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
    if (rc == 0 && e->n_schemas == 0) {
        snprintf(err, errlen, "no process schemas (*.json) in %s", dir);
        rc = -1;
    }
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
    bs_calendar_free(&e->calendar);
    memset(e, 0, sizeof *e);
}

const bs_engine_schema *bs_engine_schema_get(const bs_engine *e, const char *key) {
    for (int i = 0; i < e->n_schemas; i++)
        if (strcmp(e->schemas[i].schema->key, key) == 0) return &e->schemas[i];
    return NULL;
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

int bs_project_state_from_result(const bs_engine *e, const PGresult *res, const bs_schema **schema_out,
                                 bs_progress **progress_out, bs_day *data_date) {
    int n = PQntuples(res);
    if (n == 0) return -1;
    const bs_engine_schema *es = bs_engine_schema_get(e, PQgetvalue(res, 0, 1));
    if (!es || bs_date_parse(PQgetvalue(res, 0, 0), data_date) != 0) return -2;
    const bs_schema *schema = es->schema;
    const char *planstatus = PQgetvalue(res, 0, 2);
    bs_progress *progress = calloc((size_t)schema->n_steps, sizeof *progress);
    if (!progress) abort();
    for (int32_t i = 0; i < schema->n_steps; i++) {
        progress[i].status = bs_schema_step_applies(schema, i, planstatus) ? BS_STATUS_OPEN : BS_STATUS_SKIPPED;
        progress[i].actual_start = progress[i].actual_finish = BS_DAY_NONE;
    }
    for (int r = 0; r < n; r++) {
        if (PQgetisnull(res, r, 3)) continue;
        int32_t i = bs_schema_find(schema, PQgetvalue(res, r, 3));
        if (i < 0) continue;
        bs_progress *p = &progress[i];
        if (bs_status_parse(PQgetvalue(res, r, 4), &p->status) != 0) p->status = BS_STATUS_OPEN;
        if (!PQgetisnull(res, r, 5)) bs_date_parse(PQgetvalue(res, r, 5), &p->actual_start);
        if (!PQgetisnull(res, r, 6)) bs_date_parse(PQgetvalue(res, r, 6), &p->actual_finish);
        p->actual_estimated = strcmp(PQgetvalue(res, r, 7), "t") == 0;
    }
    *schema_out = schema;
    *progress_out = progress;
    return 0;
}

bs_day bs_schedule_completion(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched) {
    int32_t i = bs_schema_find(schema, "laatste_oplevering");
    if (i < 0) return sched->project_finish;
    if (sched->steps[i].early_finish != BS_DAY_NONE) return sched->steps[i].early_finish;
    if (progress[i].status == BS_STATUS_DONE && progress[i].actual_finish != BS_DAY_NONE) return progress[i].actual_finish;
    return sched->project_finish;
}

static json_t *date_or_null(bs_day d) {
    if (d == BS_DAY_NONE) return json_null();
    char buf[11];
    return json_string(bs_date_format(d, buf));
}

json_t *bs_schedule_to_json(const bs_schema *schema, const bs_progress *progress, const bs_schedule *sched) {
    json_t *root = json_object();
    json_object_set_new(root, "data_date", date_or_null(sched->data_date));
    json_object_set_new(root, "project_finish", date_or_null(sched->project_finish));
    json_t *oos = json_array();
    json_t *steps = json_array();
    for (int32_t i = 0; i < schema->n_steps; i++) {
        const bs_step *st = &schema->steps[i];
        const bs_step_result *r = &sched->steps[i];
        const bs_progress *p = &progress[i];
        json_t *o = json_object();
        json_object_set_new(o, "key", json_string(st->key));
        json_object_set_new(o, "name", json_string(st->name));
        json_object_set_new(o, "stream", json_string(st->stream == BS_STREAM_PUBLIC ? "public" : "private"));
        json_object_set_new(o, "milestone", json_boolean(st->milestone));
        json_object_set_new(o, "status", json_string(bs_status_name(p->status)));
        json_object_set_new(o, "early_start", date_or_null(r->early_start));
        json_object_set_new(o, "early_finish", date_or_null(r->early_finish));
        json_object_set_new(o, "late_start", date_or_null(r->late_start));
        json_object_set_new(o, "late_finish", date_or_null(r->late_finish));
        bool open = p->status == BS_STATUS_OPEN || p->status == BS_STATUS_STARTED;
        json_object_set_new(o, "total_float", open ? json_integer(r->total_float) : json_null());
        json_object_set_new(o, "free_float", open ? json_integer(r->free_float) : json_null());
        json_object_set_new(o, "critical", json_boolean(r->critical));
        json_object_set_new(o, "near_critical", json_boolean(r->near_critical));
        json_object_set_new(o, "deadline_missed", json_boolean(r->deadline_missed));
        json_object_set_new(o, "out_of_sequence", json_boolean(r->out_of_sequence));
        json_object_set_new(o, "actual_start", date_or_null(p->actual_start));
        json_object_set_new(o, "actual_finish", date_or_null(p->actual_finish));
        json_object_set_new(o, "actual_estimated", json_boolean(p->actual_estimated));
        json_array_append_new(steps, o);
        if (r->out_of_sequence) json_array_append_new(oos, json_string(st->key));
    }
    json_object_set_new(root, "out_of_sequence", oos);
    json_object_set_new(root, "steps", steps);
    /* issue 3: critical paths (ordered step keys), near-critical threshold, knelpunten */
    json_object_set_new(root, "near_critical_days", json_integer(sched->near_critical_wd));
    json_t *paths = json_array();
    for (int32_t p = 0; p < sched->n_paths; p++) {
        json_t *path = json_array();
        for (int32_t k = sched->path_offsets[p]; k < sched->path_offsets[p + 1]; k++)
            json_array_append_new(path, json_string(schema->steps[sched->path_steps[k]].key));
        json_array_append_new(paths, path);
    }
    json_object_set_new(root, "critical_paths", paths);
    json_t *kp = json_array();
    for (int32_t k = 0; k < sched->n_knelpunten; k++) {
        const bs_knelpunt *b = &sched->knelpunten[k];
        json_t *o = json_object();
        json_object_set_new(o, "step", json_string(schema->steps[b->step].key));
        json_object_set_new(o, "kind", json_string("deadline_missed"));
        json_object_set_new(o, "deadline", date_or_null(b->deadline));
        json_object_set_new(o, "early_finish", date_or_null(b->early_finish));
        json_object_set_new(o, "overshoot_working_days", json_integer(b->overshoot_wd));
        json_array_append_new(kp, o);
    }
    json_object_set_new(root, "knelpunten", kp);
    return root;
}
