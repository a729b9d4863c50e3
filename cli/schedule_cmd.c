/*
 * `bouwstroom schedule FILE.json`: the offline scheduler. Reads a process schema
 * plus a project's state (data date, actuals, constraints, what-if changes) and prints the
 * schedule JSON. No database, no clock: input format in docs/scheduling.md §9.
 */
#include "schedule_cmd.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "whatif.h"

static int fail(const char *field, const char *msg) {
    fprintf(stderr, "bouwstroom schedule: %s: %s\n", field, msg);
    return 1;
}

/* Loads the schema named by the input: "schema" (inline object), "schema_file" (path,
 * relative to the input file's directory) or "process_schema" (key of a shipped schema). */
static bs_schema *load_schema(const json_t *doc, const char *input_path) {
    char *text = NULL;
    size_t len = 0;
    json_t *inl = json_object_get(doc, "schema");
    json_t *file = json_object_get(doc, "schema_file");
    json_t *key = json_object_get(doc, "process_schema");
    char path[4096];
    if (inl) {
        text = json_dumps(inl, JSON_COMPACT);
        len = text ? strlen(text) : 0;
    } else if (file && json_is_string(file)) {
        const char *f = json_string_value(file);
        if (f[0] == '/') {
            snprintf(path, sizeof path, "%s", f);
        } else {
            char *dup = bs_strdup(input_path);
            snprintf(path, sizeof path, "%s/%s", dup ? dirname(dup) : ".", f);
            free(dup);
        }
        text = bs_read_file(path, &len);
        if (!text) {
            fail("schema_file", "cannot read the schema file");
            return NULL;
        }
    } else if (key && json_is_string(key)) {
        snprintf(path, sizeof path, "%s/processes/%s.json", bs_home(), json_string_value(key));
        text = bs_read_file(path, &len);
        if (!text) {
            fail("process_schema", "no shipped process schema with this key");
            return NULL;
        }
    } else {
        fail("schema", "give the process schema: \"schema\" (object), \"schema_file\" or \"process_schema\"");
        return NULL;
    }
    bs_schema_problems probs = {0};
    bs_schema *s = bs_schema_load(text, len, true, &probs);
    free(text);
    if (!s) {
        for (size_t k = 0; k < probs.count; k++)
            fprintf(stderr, "bouwstroom schedule: schema %s: %s\n", probs.items[k].path, probs.items[k].message);
        if (!probs.count) fail("schema", "out of memory");
        bs_schema_problems_free(&probs);
    }
    return s;
}

static int init_calendar(const json_t *doc, bs_calendar *cal) {
    json_t *c = json_object_get(doc, "calendar");
    bs_calendar_options opt = bs_calendar_default_options();
    if (c && !json_is_object(c)) return fail("calendar", "calendar must be an object"), -1;
    if (c && json_is_true(json_object_get(c, "every_day_working")))
        return bs_calendar_init_every_day(cal, BS_CALENDAR_FIRST_YEAR, BS_CALENDAR_LAST_YEAR);
    if (c) {
        json_t *g = json_object_get(c, "goede_vrijdag");
        if (g && !json_is_boolean(g)) return fail("calendar.goede_vrijdag", "must be a boolean"), -1;
        if (g) opt.goede_vrijdag = json_is_true(g);
        json_t *b = json_object_get(c, "bevrijdingsdag");
        if (b) {
            const char *v = json_is_string(b) ? json_string_value(b) : "";
            if (strcmp(v, "never") == 0)
                opt.bevrijdingsdag = BS_BEVRIJDINGSDAG_NEVER;
            else if (strcmp(v, "lustrum") == 0)
                opt.bevrijdingsdag = BS_BEVRIJDINGSDAG_LUSTRUM;
            else if (strcmp(v, "yearly") == 0)
                opt.bevrijdingsdag = BS_BEVRIJDINGSDAG_YEARLY;
            else
                return fail("calendar.bevrijdingsdag", "must be never, lustrum or yearly"), -1;
        }
    }
    return bs_calendar_init(cal, &opt, BS_CALENDAR_FIRST_YEAR, BS_CALENDAR_LAST_YEAR);
}

int bs_cli_schedule(int argc, char **argv) {
    if (argc < 1 || (argv[0][0] == '-' && argv[0][1] != 0)) {
        fprintf(stderr, "usage: bouwstroom schedule FILE.json   (- reads standard input)\n");
        return 2;
    }
    json_error_t jerr;
    json_t *doc = strcmp(argv[0], "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
                                            : json_load_file(argv[0], JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        fprintf(stderr, "bouwstroom schedule: %s:%d:%d: %s\n", argv[0], jerr.line, jerr.column, jerr.text);
        return 1;
    }
    int rc = 1;
    bs_calendar cal = {0};
    bs_sched_edit e = {0};
    bs_progress *progress = NULL;
    bs_schema *schema = load_schema(doc, argv[0]);
    if (!schema) goto out;
    if (init_calendar(doc, &cal) != 0) {
        fail("calendar", "cannot build the calendar");
        goto out;
    }
    progress = bs_calloc((size_t)schema->n_steps + 1, sizeof *progress);
    if (bs_sched_edit_init(&e, schema) != 0) {
        fail("$", "out of memory");
        goto out;
    }
    char field[256], msg[512];
    bs_day pd, dd;
    if (bs_offline_state_parse(doc, schema, progress, &pd, &dd, &e, field, sizeof field, msg, sizeof msg)) {
        fail(field, msg);
        goto out;
    }
    bs_schedule_input in = {.schema = schema,
                            .progress = progress,
                            .overrides = e.ov,
                            .links = e.links,
                            .n_links = e.n_links,
                            .progress_date = pd,
                            .data_date = dd,
                            .cal = &cal,
                            .near_critical_wd = e.near_critical_wd};
    bs_schedule sched;
    bs_schedule_err err = bs_schedule_compute_ex(&in, &sched);
    if (err == BS_SCHEDULE_ECYCLE) {
        fprintf(stderr, "bouwstroom schedule: changes: cycle: ");
        for (int32_t k = 0; k <= sched.n_cycle; k++)
            fprintf(stderr, "%s%s", k ? " -> " : "", schema->steps[sched.cycle[k % sched.n_cycle]].key);
        fprintf(stderr, "\n");
        bs_schedule_free(&sched);
        rc = 3;
        goto out;
    }
    if (err != BS_SCHEDULE_OK) {
        fail("$", bs_schedule_strerror(err));
        goto out;
    }
    json_t *o = bs_schedule_to_json(schema, progress, &sched);
    bs_sched_edit_annotate(o, schema, &e);
    json_object_set_new(o, "process_schema", json_string(schema->key));
    bs_schedule_free(&sched);
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (text) {
        puts(text);
        free(text);
        rc = 0;
    }
out:
    free(progress);
    bs_sched_edit_free(&e);
    bs_calendar_free(&cal);
    bs_schema_free(schema);
    json_decref(doc);
    return rc;
}
