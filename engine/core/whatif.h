/*
 * Bouwstroom engine core: per-project schedule edits.
 *
 * A bs_sched_edit is what a project adds to its process schema: per-step overrides
 * (duration, remaining duration, start-no-earlier-than, finish-no-later-than) and its own
 * link set (a copy of the schema's links, edited). What-if changes ({"op": …} objects,
 * docs/scheduling.md §8) and the offline input (`bouwstroom schedule FILE.json`, §9) are
 * parsed here from JSON: pure, no I/O, no clock.
 */
#ifndef BS_WHATIF_H
#define BS_WHATIF_H

#include <jansson.h>

#include "calendar.h"
#include "schedule.h"
#include "schema.h"

typedef struct bs_sched_edit {
    bs_step_override *ov; /* owned; n_steps entries */
    int32_t n_steps;
    bs_link *links; /* owned; the project's link set */
    int32_t n_links, cap_links;
    int32_t near_critical_wd; /* -1 = default */
} bs_sched_edit;

/* Starts from the schema: no overrides, the schema's links. Returns 0, -1 out of memory. */
int bs_sched_edit_init(bs_sched_edit *e, const bs_schema *schema);

/* Frees the arrays (the struct is the caller's). */
void bs_sched_edit_free(bs_sched_edit *e);

/* Index of the first link pred -> succ in e (any type), or -1. */
int32_t bs_sched_edit_find_link(const bs_sched_edit *e, int32_t pred, int32_t succ);

/* Index of the link pred -> succ of this type, or -1. */
int32_t bs_sched_edit_find_link_typed(const bs_sched_edit *e, int32_t pred, int32_t succ, bs_link_type t);

/* Number of links pred -> succ (a pair may be linked twice with different types, e.g. SS
 * and FF). */
int32_t bs_sched_edit_count_links(const bs_sched_edit *e, int32_t pred, int32_t succ);

/* Applies a JSON array of what-if changes in order. Ops (docs/scheduling.md §8):
 *   {"op":"set_link","pred":K,"succ":K,"type":"FS|SS|FF|SF","lag":N,"lag_unit":U,
 *    "current_type":T}   (an existing link; current_type picks one when the pair has two)
 *   {"op":"add_link", same fields}   (type FS, lag 0 working days by default; refused when
 *    the pair already has a link of that type)
 *   {"op":"remove_link","pred":K,"succ":K,"current_type":T}
 *   {"op":"set_duration","step":K,"duration":N}            (step's own unit; not a milestone)
 *   {"op":"set_constraint","step":K,"start_no_earlier_than":D|null,
 *                                    "finish_no_later_than":D|null}
 *   {"op":"set_remaining","step":K,"remaining":N}
 * On the first invalid change returns -1 and writes the offending field as a JSON path
 * ("changes[2].lag") into field and a one-line message into msg; returns 0 on success.
 * Cycles are not checked here: bs_schedule_compute_ex reports them (BS_SCHEDULE_ECYCLE). */
int bs_whatif_apply(bs_sched_edit *e, const bs_schema *schema, const json_t *changes, char *field, size_t field_len,
                    char *msg, size_t msg_len);

/* Same, refusing every date of a change before first or after last (calendar days, both
 * inclusive; BS_DAY_NONE = no bound), e.g. the working-day calendar's range, with the
 * change's member as field ("changes[0].start_no_earlier_than") and the range in msg. */
int bs_whatif_apply_in(bs_sched_edit *e, const bs_schema *schema, const json_t *changes, bs_day first, bs_day last,
                       char *field, size_t field_len, char *msg, size_t msg_len);

/* The offline input of `bouwstroom schedule` (docs/scheduling.md §9), without the schema:
 * "data_date" (required), "progress_date" (optional, <= data_date; *progress_date =
 * BS_DAY_NONE when absent, which the scheduler reads as data_date), "near_critical_days", "steps": {key: {"status", "actual_start",
 * "actual_finish", "actual_estimated", "remaining", "duration", "start_no_earlier_than",
 * "finish_no_later_than"}}, "changes": [what-if ops]. progress (n_steps entries) is filled
 * (OPEN by default), e is initialised from schema and edited. Returns 0, or -1 with
 * field/msg as above. */
int bs_offline_state_parse(const json_t *doc, const bs_schema *schema, bs_progress *progress, bs_day *progress_date,
                           bs_day *data_date, bs_sched_edit *e, char *field, size_t field_len, char *msg,
                           size_t msg_len);

/* The JSON string s made once into *slot (NULL at first) and shared by reference from then on: returns a new
 * reference to *slot; the caller decrefs *slot when done. For a rendering that repeats the same strings (step keys,
 * units, statuses: bs_sched_edit_annotate, bs_schedule_to_json). s must be valid UTF-8 (not checked: keys and names
 * come from validated schema files). */
json_t *bs_json_shared_string(json_t **slot, const char *s);

/* Adds the project's edits to a schedule JSON object (bs_schedule_to_json): per step
 * "duration" and "unit" (effective), "start_no_earlier_than", "finish_no_later_than",
 * "remaining" (null when not set), and top-level "links": [{pred, succ, type, lag,
 * lag_unit}] (the project's link set). */
void bs_sched_edit_annotate(json_t *schedule, const bs_schema *schema, const bs_sched_edit *e);

/* Builds a calendar on which every day is a working day (years first..last): working-day
 * and calendar-day units coincide. For differential tests against a plain longest-path
 * computation. Free with bs_calendar_free. Returns 0 or -1. */
int bs_calendar_init_every_day(bs_calendar *cal, int first_year, int last_year);

/* Parses "FS"/"SS"/"FF"/"SF"; -1 when unknown. */
int bs_link_type_parse(const char *s, bs_link_type *out);
/* "FS", "SS", "FF", "SF". */
const char *bs_link_type_name(bs_link_type t);
/* "working_days" / "calendar_days" ↔ bs_unit; parse returns -1 when unknown. */
int bs_unit_parse(const char *s, bs_unit *out);
const char *bs_unit_name(bs_unit u);

#endif
