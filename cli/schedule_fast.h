/*
 * The fast reader of one JSON Lines project of `bouwstroom schedule --jsonl`: the common,
 * valid subset of the input of docs/scheduling.md §9 read in one pass over the text, without
 * a JSON tree. Whatever it does not take (an error of any kind, an escape in a string, a what-if
 * op other than add_link, a member it does not know, a duplicate member, a number with a
 * fraction) it leaves to the general path (jansson + bs_offline_state_parse), which gives the
 * answer or the error message: the results are the same either way
 * (tests/integration/test_schedule_jsonl.py compares them with the single-project mode).
 */
#ifndef BS_SCHEDULE_FAST_H
#define BS_SCHEDULE_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "schedule.h"
#include "whatif.h"

/* What the fast reader fills besides progress and the edits. */
typedef struct bs_fast_line {
    bs_day progress_date, data_date; /* progress_date BS_DAY_NONE when absent */
    bool every_day;                  /* "calendar": {"every_day_working": true} */
    bs_calendar_options cal;         /* otherwise the organisation options */
    const char *id;                  /* the "id" member's JSON text (an integer or a plain string), or NULL */
    size_t id_len;
} bs_fast_line;

/* What the fast reader needs once per schema: a hash table of its step keys, scratch. */
typedef struct bs_fast_reader {
    const bs_schema *schema;
    int32_t *slots; /* owned; step index + 1, 0 = empty; mask + 1 entries */
    uint32_t mask;
    unsigned char *seen; /* owned; n_steps bytes */
} bs_fast_reader;

/* Takes a reader for schema (which must outlive it); release with bs_fast_reader_free. */
void bs_fast_reader_init(bs_fast_reader *r, const bs_schema *schema);
void bs_fast_reader_free(bs_fast_reader *r);

/* Reads one line (text, len bytes; no NUL needed) of a project's input for r's schema: fills
 * progress (n_steps entries), e (initialised from the schema by the caller, edited here) and
 * out. Returns true when the line was read; false when the general path must read it
 * (progress, e and out are then unspecified: the caller starts them afresh). */
bool bs_fast_line_read(bs_fast_reader *r, const char *text, size_t len, bs_progress *progress, bs_sched_edit *e,
                       bs_fast_line *out);

#endif
