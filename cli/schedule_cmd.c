/*
 * `bouwstroom schedule FILE.json`: the offline scheduler. Reads a process schema
 * plus a project's state (data date, actuals, constraints, what-if changes) and prints the
 * schedule JSON (compact; --pretty indents it). No database, no clock: input format in
 * docs/scheduling.md §9. `--jsonl` schedules many projects in one run: the schema once (by
 * key or file), one project's state a line in, one schedule a line out (docs/scheduling.md §9a).
 */
#include "schedule_cmd.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "schedule_fast.h"
#include "schedule_out.h"
#include "whatif.h"

static int fail(const char *field, const char *msg) {
    fprintf(stderr, "bouwstroom schedule: %s: %s\n", field, msg);
    return 1;
}

/* Loads a schema from its text (freed here); every problem on stderr, NULL then. */
static bs_schema *schema_from_text(char *text, size_t len) {
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
    return schema_from_text(text, len);
}

/* The schema of a JSON Lines run: the shipped schema key (--process-schema) or a file path
 * (--schema-file, relative to the working directory). Problems on stderr; NULL then. */
static bs_schema *load_run_schema(const char *key, const char *file) {
    char path[4096];
    size_t len = 0;
    if (key) snprintf(path, sizeof path, "%s/processes/%s.json", bs_home(), key);
    char *text = bs_read_file(key ? path : file, &len);
    if (!text) {
        if (key) fail("--process-schema", "no shipped process schema with this key");
        if (!key) fail("--schema-file", "cannot read the schema file");
        return NULL;
    }
    return schema_from_text(text, len);
}

/* The calendar of an input: *every (every day a working day) or the organisation options
 * *opt. Returns 0, or -1 with *field and *msg naming the problem. */
static int calendar_options(const json_t *doc, bool *every, bs_calendar_options *opt, const char **field,
                            const char **msg) {
    json_t *c = json_object_get(doc, "calendar");
    *opt = bs_calendar_default_options();
    *every = false;
    if (!c) return 0;
    if (!json_is_object(c)) return *field = "calendar", *msg = "calendar must be an object", -1;
    if (json_is_true(json_object_get(c, "every_day_working"))) return *every = true, 0;
    json_t *g = json_object_get(c, "goede_vrijdag");
    if (g && !json_is_boolean(g)) return *field = "calendar.goede_vrijdag", *msg = "must be a boolean", -1;
    if (g) opt->goede_vrijdag = json_is_true(g);
    json_t *b = json_object_get(c, "bevrijdingsdag");
    if (b) {
        const char *v = json_is_string(b) ? json_string_value(b) : "";
        if (strcmp(v, "never") == 0)
            opt->bevrijdingsdag = BS_BEVRIJDINGSDAG_NEVER;
        else if (strcmp(v, "lustrum") == 0)
            opt->bevrijdingsdag = BS_BEVRIJDINGSDAG_LUSTRUM;
        else if (strcmp(v, "yearly") == 0)
            opt->bevrijdingsdag = BS_BEVRIJDINGSDAG_YEARLY;
        else
            return *field = "calendar.bevrijdingsdag", *msg = "must be never, lustrum or yearly", -1;
    }
    return 0;
}

static int build_calendar(bool every, const bs_calendar_options *opt, bs_calendar *cal) {
    if (every) return bs_calendar_init_every_day(cal, BS_CALENDAR_FIRST_YEAR, BS_CALENDAR_LAST_YEAR);
    return bs_calendar_init(cal, opt, BS_CALENDAR_FIRST_YEAR, BS_CALENDAR_LAST_YEAR);
}

static int init_calendar(const json_t *doc, bs_calendar *cal) {
    bool every;
    bs_calendar_options opt;
    const char *field, *msg;
    if (calendar_options(doc, &every, &opt, &field, &msg) != 0) return fail(field, msg), -1;
    return build_calendar(every, &opt, cal);
}

/* One project (FILE.json, "-" = standard input): the schedule JSON on stdout, compact or
 * indented (pretty). Returns the exit code of bs_cli_schedule. */
static int schedule_one(const char *input, bool pretty) {
    json_error_t jerr;
    json_t *doc = strcmp(input, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
                                          : json_load_file(input, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        fprintf(stderr, "bouwstroom schedule: %s:%d:%d: %s\n", input, jerr.line, jerr.column, jerr.text);
        return 1;
    }
    int rc = 1;
    bs_calendar cal = {0};
    bs_sched_edit e = {0};
    bs_progress *progress = NULL;
    bs_schema *schema = load_schema(doc, input);
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
    char *text = json_dumps(o, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
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

/* ---- JSON Lines: many projects, the schema once ---- */

#define N_CALENDARS 7 /* 2 (Goede Vrijdag) x 3 (Bevrijdingsdag) organisation calendars + every day */

typedef struct jsonl_run {
    const bs_schema *schema;
    bs_calendar cal[N_CALENDARS]; /* built when a line first asks for one */
    bool have_cal[N_CALENDARS];
    bs_schedule_ws ws;
    bs_progress *progress;
    bs_fast_reader reader;
    bs_textbuf out;
    bs_schedule_writer writer;
    long line, done, refused;
    bool write_failed;
} jsonl_run;

static void flush_out(jsonl_run *r) {
    if (r->out.len && fwrite(r->out.p, 1, r->out.len, stdout) != r->out.len) r->write_failed = true;
    r->out.len = 0;
}

/* Writes the error object of the current line: {"line", "id"?, "error": {"field",
 * "message", "cycle"?}}; id is the JSON text of the line's "id" (id_len bytes) or NULL. */
static void refuse(jsonl_run *r, const char *id, size_t id_len, const char *field, const char *msg,
                   const bs_schedule *cyc) {
    char t[32];
    int n = snprintf(t, sizeof t, "{\"line\":%ld,", r->line);
    bs_textbuf_put(&r->out, t, (size_t)n);
    if (id) {
        bs_textbuf_put(&r->out, "\"id\":", 5);
        bs_textbuf_put(&r->out, id, id_len);
        bs_textbuf_put(&r->out, ",", 1);
    }
    bs_textbuf_put(&r->out, "\"error\":{\"field\":", 17);
    bs_textbuf_json_string(&r->out, field);
    bs_textbuf_put(&r->out, ",\"message\":", 11);
    bs_textbuf_json_string(&r->out, msg);
    for (int32_t k = 0; cyc && k < cyc->n_cycle; k++) {
        if (k)
            bs_textbuf_put(&r->out, ",", 1);
        else
            bs_textbuf_put(&r->out, ",\"cycle\":[", 10);
        bs_textbuf_json_string(&r->out, r->schema->steps[cyc->cycle[k]].key);
    }
    if (cyc && cyc->n_cycle) bs_textbuf_put(&r->out, "]", 1);
    bs_textbuf_put(&r->out, "}}\n", 3);
    r->refused++;
}

/* The calendar of these options (built once per run), or NULL when it cannot be built. */
static const bs_calendar *calendar_for(jsonl_run *r, bool every, const bs_calendar_options *opt) {
    int k = every ? N_CALENDARS - 1 : (opt->goede_vrijdag ? 3 : 0) + (int)opt->bevrijdingsdag;
    if (!r->have_cal[k]) {
        if (build_calendar(every, opt, &r->cal[k]) != 0) return NULL;
        r->have_cal[k] = true;
    }
    return &r->cal[k];
}

/* The cycle message "cycle: a -> b -> a" into msg. */
static void cycle_message(const bs_schema *schema, const bs_schedule *s, char *msg, size_t len) {
    size_t used = (size_t)snprintf(msg, len, "cycle: ");
    for (int32_t k = 0; k <= s->n_cycle && used < len; k++)
        used += (size_t)snprintf(msg + used, len - used, "%s%s", k ? " -> " : "",
                                 schema->steps[s->cycle[k % s->n_cycle]].key);
}

/* Schedules a project whose state is read (r->progress, e, the dates) on cal and writes its
 * schedule or its error; id as in refuse. */
static void schedule_write(jsonl_run *r, const bs_calendar *cal, const bs_sched_edit *e, bs_day pd, bs_day dd,
                           const char *id, size_t id_len) {
    if (!cal) return refuse(r, id, id_len, "calendar", "cannot build the calendar", NULL);
    bs_schedule_input in = {.schema = r->schema,
                            .progress = r->progress,
                            .overrides = e->ov,
                            .links = e->links,
                            .n_links = e->n_links,
                            .progress_date = pd,
                            .data_date = dd,
                            .cal = cal,
                            .near_critical_wd = e->near_critical_wd};
    bs_schedule sched;
    bs_schedule_err err = bs_schedule_compute_ws(&in, &r->ws, &sched);
    if (err == BS_SCHEDULE_ECYCLE) {
        char msg[512];
        cycle_message(r->schema, &sched, msg, sizeof msg);
        refuse(r, id, id_len, "changes", msg, &sched);
    } else if (err != BS_SCHEDULE_OK) {
        refuse(r, id, id_len, "$", bs_schedule_strerror(err), NULL);
    } else {
        bs_schedule_write(&r->out, &r->writer, id, id_len, r->progress, &sched, e);
        bs_textbuf_put(&r->out, "\n", 1);
        r->done++;
    }
}

/* The general path: a parsed line (an object without schema members), read by
 * bs_offline_state_parse; id as in refuse. */
static void jsonl_project(jsonl_run *r, const json_t *doc, const char *id, size_t id_len) {
    bool every;
    bs_calendar_options opt;
    const char *cf, *cm;
    if (calendar_options(doc, &every, &opt, &cf, &cm) != 0) return refuse(r, id, id_len, cf, cm, NULL);
    bs_sched_edit e = {0};
    char field[256], msg[512];
    bs_day pd, dd;
    bs_sched_edit_init(&e, r->schema);
    if (bs_offline_state_parse(doc, r->schema, r->progress, &pd, &dd, &e, field, sizeof field, msg, sizeof msg))
        refuse(r, id, id_len, field, msg, NULL);
    else
        schedule_write(r, calendar_for(r, every, &opt), &e, pd, dd, id, id_len);
    bs_sched_edit_free(&e);
}

/* The general path for one line: jansson, then checks and bs_offline_state_parse. */
static void jsonl_general(jsonl_run *r, const char *text, size_t len) {
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        char msg[256];
        snprintf(msg, sizeof msg, "invalid JSON at column %d: %s", jerr.column, jerr.text);
        return refuse(r, NULL, 0, "$", msg, NULL);
    }
    const json_t *idv = json_is_object(doc) ? json_object_get(doc, "id") : NULL;
    char *id = idv ? json_dumps(idv, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    size_t id_len = id ? strlen(id) : 0;
    static const char *const schema_members[] = {"schema", "schema_file", "process_schema"};
    if (!json_is_object(doc)) {
        refuse(r, NULL, 0, "$", "a line must be a JSON object (one project's input)", NULL);
    } else {
        const char *given = NULL;
        for (int k = 0; k < 3 && !given; k++)
            if (json_object_get(doc, schema_members[k])) given = schema_members[k];
        if (given)
            refuse(r, id, id_len, given, "the schema is given once for the run: --process-schema or --schema-file",
                   NULL);
        else
            jsonl_project(r, doc, id, id_len);
    }
    free(id);
    json_decref(doc);
}

/* One input line: the fast reader when it takes the line, else the general path. */
static void jsonl_line(jsonl_run *r, const char *text, size_t len) {
    bs_sched_edit e;
    bs_fast_line fl;
    bs_sched_edit_init(&e, r->schema);
    if (bs_fast_line_read(&r->reader, text, len, r->progress, &e, &fl))
        schedule_write(r, calendar_for(r, fl.every_day, &fl.cal), &e, fl.progress_date, fl.data_date, fl.id, fl.id_len);
    else
        jsonl_general(r, text, len);
    bs_sched_edit_free(&e);
}

static bool blank(const char *s, size_t n) {
    for (size_t k = 0; k < n; k++)
        if (s[k] != ' ' && s[k] != '\t' && s[k] != '\r' && s[k] != '\n') return false;
    return true;
}

/* Reads the lines of input (a path or "-"), answers each, returns the exit code. */
static int schedule_jsonl(const char *input, const char *key, const char *file) {
    FILE *f = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
    if (!f) return fail(input, "cannot open the input");
    jsonl_run r = {0};
    bs_schema *schema = load_run_schema(key, file);
    if (!schema) {
        if (f != stdin) fclose(f);
        return 1;
    }
    r.schema = schema;
    r.progress = bs_calloc((size_t)schema->n_steps + 1, sizeof *r.progress);
    bs_fast_reader_init(&r.reader, schema);
    bs_schedule_writer_init(&r.writer, schema);
    bs_schedule_ws_init(&r.ws);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0 && !r.write_failed) {
        r.line++;
        if (blank(line, (size_t)n)) continue;
        jsonl_line(&r, line, (size_t)n);
        if (r.out.len >= (1u << 20)) flush_out(&r);
    }
    flush_out(&r);
    bool read_failed = ferror(f) != 0;
    free(line);
    if (f != stdin) fclose(f);
    for (int k = 0; k < N_CALENDARS; k++)
        if (r.have_cal[k]) bs_calendar_free(&r.cal[k]);
    bs_schedule_ws_free(&r.ws);
    bs_textbuf_free(&r.out);
    free(r.progress);
    bs_fast_reader_free(&r.reader);
    bs_schedule_writer_free(&r.writer);
    bs_schema_free(schema);
    if (fflush(stdout) != 0 || r.write_failed) return fail("output", "cannot write the output");
    if (read_failed) return fail(input, "read error");
    if (r.refused) {
        fprintf(stderr, "bouwstroom schedule: %ld of %ld projects refused (an error object on their line)\n", r.refused,
                r.refused + r.done);
        return 1;
    }
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: bouwstroom schedule [--pretty] FILE.json\n"
                    "       bouwstroom schedule --jsonl (--process-schema KEY | --schema-file FILE) FILE.jsonl\n"
                    "       (- reads standard input)\n");
    return 2;
}

int bs_cli_schedule(int argc, char **argv) {
    bool jsonl = false, pretty = false;
    const char *key = NULL, *file = NULL, *input = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--jsonl") == 0)
            jsonl = true;
        else if (strcmp(argv[i], "--pretty") == 0)
            pretty = true;
        else if (strcmp(argv[i], "--process-schema") == 0 && i + 1 < argc)
            key = argv[++i];
        else if (strcmp(argv[i], "--schema-file") == 0 && i + 1 < argc)
            file = argv[++i];
        else if ((argv[i][0] != '-' || argv[i][1] == 0) && !input)
            input = argv[i];
        else
            return usage();
    }
    if (!input) return usage();
    if (!jsonl) return key || file ? usage() : schedule_one(input, pretty);
    if (pretty || (!key == !file)) return usage();
    return schedule_jsonl(input, key, file);
}
