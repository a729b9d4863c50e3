/*
 * The schedule JSON of `bouwstroom schedule` written as text directly (no JSON tree): the
 * same members in the same order as bs_schedule_to_json + bs_sched_edit_annotate +
 * "process_schema" (docs/scheduling.md §9), compact, for the JSON Lines mode.
 */
#ifndef BS_SCHEDULE_OUT_H
#define BS_SCHEDULE_OUT_H

#include <stddef.h>
#include <string.h>

#include "schedule.h"
#include "whatif.h"

/* A growable text buffer (bs_realloc: never fails). */
typedef struct bs_textbuf {
    char *p;
    size_t len, cap;
} bs_textbuf;

/* Frees the buffer's memory (safe twice). */
void bs_textbuf_free(bs_textbuf *b);

/* Makes room for n more bytes. */
void bs_textbuf_reserve(bs_textbuf *b, size_t n);

/* Appends n bytes. */
static inline void bs_textbuf_put(bs_textbuf *b, const char *s, size_t n) {
    if (b->len + n > b->cap) bs_textbuf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* Appends s as a JSON string (quotes, escapes of '"', '\\' and control characters; UTF-8
 * passed through). */
void bs_textbuf_json_string(bs_textbuf *b, const char *s);

/* What writing many schedules of one schema needs once: every step's key and name as JSON
 * strings, and the text of dates already written (a small direct-mapped cache). */
typedef struct bs_schedule_writer {
    const bs_schema *schema;
    char **key_json, **name_json; /* owned; n_steps each, quoted and escaped */
    size_t *key_len, *name_len;
    bs_day cache_day[1024];    /* BS_DAY_NONE = empty */
    char cache_text[1024][12]; /* "\"YYYY-MM-DD\"" */
} bs_schedule_writer;

/* Takes a writer for schema (which must outlive it); release with bs_schedule_writer_free. */
void bs_schedule_writer_init(bs_schedule_writer *w, const bs_schema *schema);
void bs_schedule_writer_free(bs_schedule_writer *w);

/* Appends one schedule object of w's schema (no newline): id (the JSON text of a value echoed
 * first as "id", id_len bytes; NULL for none), then the members of bs_schedule_to_json (dates
 * inclusive civil dates YYYY-MM-DD or null, floats in working days), the project's edits of
 * bs_sched_edit_annotate and "process_schema". */
void bs_schedule_write(bs_textbuf *b, bs_schedule_writer *w, const char *id, size_t id_len, const bs_progress *progress,
                       const bs_schedule *sched, const bs_sched_edit *e);

#endif
