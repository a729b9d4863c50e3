/*
 * The schedule JSON of `bouwstroom schedule` written as text directly (no JSON tree): the
 * same members in the same order as bs_schedule_to_json + bs_sched_edit_annotate +
 * "process_schema" (docs/scheduling.md §9), compact, for the JSON Lines mode.
 */
#ifndef BS_SCHEDULE_OUT_H
#define BS_SCHEDULE_OUT_H

#include <stddef.h>

#include "schedule.h"
#include "whatif.h"

/* A growable text buffer (bs_realloc: never fails). */
typedef struct bs_textbuf {
    char *p;
    size_t len, cap;
} bs_textbuf;

/* Frees the buffer's memory (safe twice). */
void bs_textbuf_free(bs_textbuf *b);

/* Appends s as a JSON string (quotes, escapes of '"', '\\' and control characters; UTF-8
 * passed through). */
void bs_textbuf_json_string(bs_textbuf *b, const char *s);

/* Appends n bytes. */
void bs_textbuf_put(bs_textbuf *b, const char *s, size_t n);

/* Appends one schedule object (no newline): id (the JSON text of a value echoed first as "id",
 * id_len bytes; NULL for none),
 * then the members of bs_schedule_to_json (dates inclusive civil dates YYYY-MM-DD or null,
 * floats in working days), the project's edits of bs_sched_edit_annotate and "process_schema". */
void bs_schedule_write(bs_textbuf *b, const char *id, size_t id_len, const bs_schema *schema,
                       const bs_progress *progress, const bs_schedule *sched, const bs_sched_edit *e);

#endif
