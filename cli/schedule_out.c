/*
 * The schedule JSON written as text (schedule_out.h): one pass over the schedule, no JSON
 * tree. tests/integration/test_schedule_jsonl.py checks that every object equals the one the
 * single-project mode builds with jansson.
 */
#include "schedule_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"

void bs_textbuf_free(bs_textbuf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void bs_textbuf_reserve(bs_textbuf *b, size_t n) {
    if (b->len + n <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    b->p = bs_realloc(b->p, cap);
    b->cap = cap;
}

#define PUT(b, lit) bs_textbuf_put((b), (lit), sizeof(lit) - 1)

void bs_textbuf_json_string(bs_textbuf *b, const char *s) {
    size_t n = strlen(s);
    bs_textbuf_reserve(b, 6 * n + 2);
    char *o = b->p + b->len;
    *o++ = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            *o++ = '\\';
            *o++ = (char)*c;
        } else if (*c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(o, "\\u00", 4);
            o[4] = hex[*c >> 4];
            o[5] = hex[*c & 15];
            o += 6;
        } else {
            *o++ = (char)*c;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
}

static void put_int(bs_textbuf *b, long long v) {
    char t[24];
    int n = 24;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do t[--n] = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0) t[--n] = '-';
    bs_textbuf_put(b, t + n, (size_t)(24 - n));
}

static void put_bool(bs_textbuf *b, bool v) {
    if (v)
        PUT(b, "true");
    else
        PUT(b, "false");
}

/* "YYYY-MM-DD" or null (through w's cache of dates). */
static void put_date(bs_textbuf *b, bs_schedule_writer *w, bs_day d) {
    if (d == BS_DAY_NONE) {
        PUT(b, "null");
        return;
    }
    unsigned slot = (unsigned)d & 1023u;
    if (w->cache_day[slot] != d) {
        w->cache_text[slot][0] = '"';
        bs_date_format(d, w->cache_text[slot] + 1); /* writes 10 characters and a NUL */
        w->cache_text[slot][11] = '"';
        w->cache_day[slot] = d;
    }
    bs_textbuf_put(b, w->cache_text[slot], 12);
}

void bs_schedule_writer_init(bs_schedule_writer *w, const bs_schema *schema) {
    int32_t n = schema->n_steps;
    w->schema = schema;
    w->key_json = bs_calloc((size_t)n + 1, sizeof *w->key_json);
    w->name_json = bs_calloc((size_t)n + 1, sizeof *w->name_json);
    w->key_len = bs_calloc((size_t)n + 1, sizeof *w->key_len);
    w->name_len = bs_calloc((size_t)n + 1, sizeof *w->name_len);
    for (int32_t i = 0; i < n; i++) {
        bs_textbuf t = {0};
        bs_textbuf_json_string(&t, schema->steps[i].key);
        w->key_json[i] = t.p;
        w->key_len[i] = t.len;
        t = (bs_textbuf){0};
        bs_textbuf_json_string(&t, schema->steps[i].name);
        w->name_json[i] = t.p;
        w->name_len[i] = t.len;
    }
    for (int k = 0; k < 1024; k++) w->cache_day[k] = BS_DAY_NONE;
}

void bs_schedule_writer_free(bs_schedule_writer *w) {
    for (int32_t i = 0; w->key_json && i < w->schema->n_steps; i++) {
        free(w->key_json[i]);
        free(w->name_json[i]);
    }
    free(w->key_json);
    free(w->name_json);
    free(w->key_len);
    free(w->name_len);
    w->key_json = w->name_json = NULL;
    w->key_len = w->name_len = NULL;
}

static void put_key(bs_textbuf *b, const bs_schedule_writer *w, int32_t i) {
    bs_textbuf_put(b, w->key_json[i], w->key_len[i]);
}

/* One step: the members of bs_schedule_to_json, then those of bs_sched_edit_annotate. */
static void put_step(bs_textbuf *b, bs_schedule_writer *w, int32_t i, const bs_progress *p, const bs_step_result *r,
                     const bs_sched_edit *e) {
    const bs_step *st = &w->schema->steps[i];
    const bs_step_override *ov = &e->ov[i];
    bool open = p->status == BS_STATUS_OPEN || p->status == BS_STATUS_STARTED;
    PUT(b, "{\"key\":");
    put_key(b, w, i);
    PUT(b, ",\"name\":");
    bs_textbuf_put(b, w->name_json[i], w->name_len[i]);
    if (st->stream == BS_STREAM_PUBLIC)
        PUT(b, ",\"stream\":\"public\",\"milestone\":");
    else
        PUT(b, ",\"stream\":\"private\",\"milestone\":");
    put_bool(b, st->milestone);
    PUT(b, ",\"status\":");
    bs_textbuf_json_string(b, bs_status_name(p->status));
    PUT(b, ",\"early_start\":");
    put_date(b, w, r->early_start);
    PUT(b, ",\"early_finish\":");
    put_date(b, w, r->early_finish);
    PUT(b, ",\"late_start\":");
    put_date(b, w, r->late_start);
    PUT(b, ",\"late_finish\":");
    put_date(b, w, r->late_finish);
    PUT(b, ",\"total_float\":");
    if (open)
        put_int(b, r->total_float);
    else
        PUT(b, "null");
    PUT(b, ",\"free_float\":");
    if (open)
        put_int(b, r->free_float);
    else
        PUT(b, "null");
    PUT(b, ",\"critical\":");
    put_bool(b, r->critical);
    PUT(b, ",\"near_critical\":");
    put_bool(b, r->near_critical);
    PUT(b, ",\"deadline_missed\":");
    put_bool(b, r->deadline_missed);
    PUT(b, ",\"out_of_sequence\":");
    put_bool(b, r->out_of_sequence);
    PUT(b, ",\"actual_start\":");
    put_date(b, w, p->actual_start);
    PUT(b, ",\"actual_finish\":");
    put_date(b, w, p->actual_finish);
    PUT(b, ",\"actual_estimated\":");
    put_bool(b, p->actual_estimated);
    PUT(b, ",\"duration\":");
    put_int(b, ov->duration >= 0 && !st->milestone ? ov->duration : st->duration);
    PUT(b, ",\"unit\":");
    bs_textbuf_json_string(b, bs_unit_name(st->unit));
    PUT(b, ",\"statutory\":");
    put_bool(b, st->statutory);
    PUT(b, ",\"start_no_earlier_than\":");
    put_date(b, w, ov->snet);
    PUT(b, ",\"finish_no_later_than\":");
    put_date(b, w, ov->fnlt);
    PUT(b, ",\"remaining\":");
    if (ov->remaining >= 0)
        put_int(b, ov->remaining);
    else
        PUT(b, "null");
    PUT(b, "}");
}

/* "critical_paths", "knelpunten" and "links" (each preceded by a comma). */
static void put_paths_knelpunten_links(bs_textbuf *b, bs_schedule_writer *w, const bs_schedule *sched,
                                       const bs_sched_edit *e) {
    PUT(b, ",\"critical_paths\":[");
    for (int32_t p = 0; p < sched->n_paths; p++) {
        if (p) PUT(b, ",");
        PUT(b, "[");
        for (int32_t k = sched->path_offsets[p]; k < sched->path_offsets[p + 1]; k++) {
            if (k > sched->path_offsets[p]) PUT(b, ",");
            put_key(b, w, sched->path_steps[k]);
        }
        PUT(b, "]");
    }
    PUT(b, "],\"knelpunten\":[");
    for (int32_t k = 0; k < sched->n_knelpunten; k++) {
        const bs_knelpunt *kp = &sched->knelpunten[k];
        if (k) PUT(b, ",");
        PUT(b, "{\"step\":");
        put_key(b, w, kp->step);
        PUT(b, ",\"kind\":\"deadline_missed\",\"deadline\":");
        put_date(b, w, kp->deadline);
        PUT(b, ",\"early_finish\":");
        put_date(b, w, kp->early_finish);
        PUT(b, ",\"overshoot_working_days\":");
        put_int(b, kp->overshoot_wd);
        PUT(b, "}");
    }
    PUT(b, "],\"links\":[");
    for (int32_t l = 0; l < e->n_links; l++) {
        const bs_link *k = &e->links[l];
        if (l) PUT(b, ",");
        PUT(b, "{\"pred\":");
        put_key(b, w, k->pred);
        PUT(b, ",\"succ\":");
        put_key(b, w, k->succ);
        PUT(b, ",\"type\":");
        bs_textbuf_json_string(b, bs_link_type_name(k->type));
        PUT(b, ",\"lag\":");
        put_int(b, k->lag);
        PUT(b, ",\"lag_unit\":");
        bs_textbuf_json_string(b, bs_unit_name(k->lag_unit));
        PUT(b, "}");
    }
    PUT(b, "]");
}

void bs_schedule_write(bs_textbuf *b, bs_schedule_writer *w, const char *id, size_t id_len, const bs_progress *progress,
                       const bs_schedule *sched, const bs_sched_edit *e) {
    const bs_schema *schema = w->schema;
    PUT(b, "{");
    if (id) {
        PUT(b, "\"id\":");
        bs_textbuf_put(b, id, id_len);
        PUT(b, ",");
    }
    PUT(b, "\"progress_date\":");
    put_date(b, w, sched->progress_date);
    PUT(b, ",\"data_date\":");
    put_date(b, w, sched->data_date);
    PUT(b, ",\"project_finish\":");
    put_date(b, w, sched->project_finish);
    PUT(b, ",\"out_of_sequence\":[");
    bool first = true;
    for (int32_t i = 0; i < schema->n_steps; i++)
        if (sched->steps[i].out_of_sequence) {
            if (!first) PUT(b, ",");
            put_key(b, w, i);
            first = false;
        }
    PUT(b, "],\"steps\":[");
    for (int32_t i = 0; i < schema->n_steps; i++) {
        if (i) PUT(b, ",");
        put_step(b, w, i, &progress[i], &sched->steps[i], e);
    }
    PUT(b, "],\"near_critical_days\":");
    put_int(b, sched->near_critical_wd);
    put_paths_knelpunten_links(b, w, sched, e);
    PUT(b, ",\"process_schema\":");
    bs_textbuf_json_string(b, schema->key);
    PUT(b, "}");
}
