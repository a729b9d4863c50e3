/*
 * Fuzz target: the fast reader of `bouwstroom schedule --jsonl` (cli/schedule_fast.c), one
 * input = one line of a project's input for the shipped ppm-woningbouw schema.
 *
 * Invariant (differential): whenever the fast reader takes a line, the general path (jansson
 * with JSON_REJECT_DUPLICATES, then bs_offline_state_parse, as the single-project mode reads
 * it) accepts the same line and gives the same state: progress, overrides, link set,
 * near-critical threshold, progress and data dates, calendar options, and the same "id" text.
 * A line the fast reader leaves to the general path needs nothing from it.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fuzz.h"
#include "schedule_fast.h"
#include "whatif.h"

/* The calendar members as the single-project mode reads them (cli/schedule_cmd.c). */
static bool calendar_of(const json_t *doc, bool *every, bs_calendar_options *opt) {
    json_t *c = json_object_get(doc, "calendar");
    *opt = bs_calendar_default_options();
    *every = false;
    if (!c) return true;
    if (!json_is_object(c)) return false;
    if (json_is_true(json_object_get(c, "every_day_working"))) return *every = true, true;
    json_t *g = json_object_get(c, "goede_vrijdag");
    if (g && !json_is_boolean(g)) return false;
    if (g) opt->goede_vrijdag = json_is_true(g);
    json_t *b = json_object_get(c, "bevrijdingsdag");
    if (!b) return true;
    const char *v = json_is_string(b) ? json_string_value(b) : "";
    if (strcmp(v, "never") == 0) return opt->bevrijdingsdag = BS_BEVRIJDINGSDAG_NEVER, true;
    if (strcmp(v, "lustrum") == 0) return opt->bevrijdingsdag = BS_BEVRIJDINGSDAG_LUSTRUM, true;
    if (strcmp(v, "yearly") == 0) return opt->bevrijdingsdag = BS_BEVRIJDINGSDAG_YEARLY, true;
    return false;
}

/* The general path on the same line must give what the fast reader gave. */
static void compare(const bs_schema *schema, const char *text, size_t len, const bs_progress *fp,
                    const bs_sched_edit *fe, const bs_fast_line *fl) {
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    bs_fuzz_check(doc != NULL && json_is_object(doc));
    bs_fuzz_check(!json_object_get(doc, "schema") && !json_object_get(doc, "schema_file") &&
                  !json_object_get(doc, "process_schema"));
    bool every;
    bs_calendar_options opt;
    bs_fuzz_check(calendar_of(doc, &every, &opt));
    bs_fuzz_check(every == fl->every_day);
    bs_fuzz_check(every ||
                  (opt.goede_vrijdag == fl->cal.goede_vrijdag && opt.bevrijdingsdag == fl->cal.bevrijdingsdag));
    bs_progress *gp = bs_calloc((size_t)schema->n_steps + 1, sizeof *gp);
    bs_sched_edit ge;
    bs_sched_edit_init(&ge, schema);
    char field[256], msg[512];
    bs_day pd, dd;
    bs_fuzz_check(bs_offline_state_parse(doc, schema, gp, &pd, &dd, &ge, field, sizeof field, msg, sizeof msg) == 0);
    bs_fuzz_check(pd == fl->progress_date && dd == fl->data_date);
    bs_fuzz_check(memcmp(gp, fp, sizeof *gp * (size_t)schema->n_steps) == 0);
    bs_fuzz_check(memcmp(ge.ov, fe->ov, sizeof *ge.ov * (size_t)schema->n_steps) == 0);
    bs_fuzz_check(ge.n_links == fe->n_links && ge.near_critical_wd == fe->near_critical_wd);
    bs_fuzz_check(memcmp(ge.links, fe->links, sizeof *ge.links * (size_t)ge.n_links) == 0);
    json_t *id = json_object_get(doc, "id");
    bs_fuzz_check(!id == !fl->id);
    if (id) {
        char *t = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
        bs_fuzz_check(t && strlen(t) == fl->id_len && memcmp(t, fl->id, fl->id_len) == 0);
        free(t);
    }
    bs_sched_edit_free(&ge);
    free(gp);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const bs_schema *schema = bs_engine_schema_get(bs_fuzz_engine(), "ppm-woningbouw")->schema;
    static bs_fast_reader reader; /* kept for the process, as the engine */
    if (!reader.slots) bs_fast_reader_init(&reader, schema);
    char *text = bs_fuzz_strndup(data, size); /* a heap copy of exactly size bytes (+ NUL) */
    bs_progress *progress = bs_calloc((size_t)schema->n_steps + 1, sizeof *progress);
    bs_sched_edit e;
    bs_sched_edit_init(&e, schema);
    bs_fast_line fl;
    if (bs_fast_line_read(&reader, text, size, progress, &e, &fl)) {
        bs_fuzz_check(!fl.id || (fl.id >= text && fl.id + fl.id_len <= text + size));
        compare(schema, text, size, progress, &e, &fl);
    }
    bs_sched_edit_free(&e);
    free(progress);
    free(text);
    return 0;
}
