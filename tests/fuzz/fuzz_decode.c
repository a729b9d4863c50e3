/*
 * Fuzz target: the request decoders, pure and without a request (api/decode.c,
 * api/router.c, api/authz.c): the path against the route table (bs_route_match, the typed
 * path parameters), the query string (bs_query_unknown_param, bs_query_param,
 * bs_decode_int_param), the Content-Type and the JSON body (bs_decode_object and the member
 * decoders), and a body's what-if changes (engine/core/whatif.c, bs_whatif_apply_in, as
 * POST …/scenarios takes them) scheduled with the shipped schema. An input is four lines:
 *
 *   METHOD /path            (no space: GET)
 *   query                   (after '?', raw)
 *   content type
 *   body…                   (the rest, newlines included)
 *
 * Invariants: a matched path's parameters are NUL-terminated and of their type (a project
 * id a UUID), every refusal fills its bs_err, a decoded query value is UTF-8 within its
 * buffer, an accepted integer lies in its range.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "authz.h"
#include "checks.h"
#include "decode.h"
#include "fuzz.h"
#include "router.h"
#include "schedule.h"
#include "whatif.h"

static const bs_route *match_path(const char *line) {
    char method[16] = "GET";
    const char *path = line, *sp = strchr(line, ' ');
    if (sp && (size_t)(sp - line) < sizeof method) {
        memcpy(method, line, (size_t)(sp - line));
        method[sp - line] = 0;
        path = sp + 1;
    }
    const bs_route *route = NULL;
    bs_path p;
    char allow[64]; /* as api/routes.c */
    bs_err err = {0};
    int rc = bs_route_match(method, path, &route, &p, allow, sizeof allow, &err);
    (void)bs_route_owns(path);
    bs_fuzz_check(bs_route_max_body(route) > 0 && strlen(allow) < sizeof allow);
    if (rc != 0) {
        bs_fuzz_check((rc == BS_ENOTFOUND || rc == BS_EMETHOD) && err.code == rc && err.msg[0]);
        return NULL;
    }
    bs_fuzz_check(route != NULL);
    bs_fuzz_check(strlen(p.project) < sizeof p.project && strlen(p.step) < sizeof p.step &&
                  strlen(p.ref) < sizeof p.ref);
    bs_fuzz_check(!p.project[0] || bs_is_uuid(p.project));
    return route;
}

/* Every parameter name of the route (or a few common ones), as the handlers read them. */
static void decode_query(const bs_route *route, const char *query) {
    char unknown[320], small[8];
    const char *names = route ? route->query : "page page_size q gemeente date";
    int u = bs_query_unknown_param(query, names, unknown, sizeof unknown);
    bs_fuzz_check((u == 0 || u == 1) && strlen(unknown) < sizeof unknown);
    if (bs_query_unknown_param(query, names, small, sizeof small)) bs_fuzz_check(strlen(small) < sizeof small);
    for (const char *a = names; *a;) {
        while (*a == ' ') a++;
        size_t n = strcspn(a, " ");
        if (!n) break;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)n, a);
        a += n;
        char value[256];
        int r = bs_query_param(query, name, value, sizeof value);
        bs_fuzz_check(r >= -1 && r <= 1);
        if (r == 1) bs_fuzz_check(strlen(value) < sizeof value && bs_utf8_valid(value, strlen(value)));
        r = bs_query_param(query, name, small, sizeof small);
        if (r == 1) bs_fuzz_check(strlen(small) < sizeof small);
        long v;
        bs_err err = {0};
        if (bs_decode_int_param(query, name, 7, -5, 1000, &v, &err) == 0)
            bs_fuzz_check(v >= -5 && v <= 1000);
        else
            bs_fuzz_check(err.code == BS_EBADPARAM && strcmp(err.field, name) == 0);
    }
}

/* A body's changes as a scenario takes them, scheduled and checked. */
static void whatif(const json_t *changes) {
    const bs_engine *e = bs_fuzz_engine();
    const bs_schema *schema = bs_engine_schema_get(e, "ppm-woningbouw")->schema;
    bs_sched_edit edit;
    bs_fuzz_check(bs_sched_edit_init(&edit, schema) == 0);
    char field[128], msg[512];
    int rc = bs_whatif_apply_in(&edit, schema, changes, e->calendar.first_day, e->calendar.last_day, field,
                                sizeof field, msg, sizeof msg);
    if (rc != 0) {
        bs_fuzz_check(rc == -1 && field[0] && msg[0]);
    } else {
        bs_progress *prog = bs_calloc((size_t)schema->n_steps, sizeof *prog);
        bs_schedule_input in = {.schema = schema,
                                .progress = prog,
                                .overrides = edit.ov,
                                .links = edit.links,
                                .n_links = edit.n_links,
                                .progress_date = bs_fuzz_today(),
                                .data_date = bs_fuzz_today(),
                                .cal = &e->calendar,
                                .near_critical_wd = -1};
        bs_schedule s = {0};
        bs_schedule_err se = bs_schedule_compute_ex(&in, &s);
        if (se == BS_SCHEDULE_OK) {
            bs_check_thresholds th = bs_check_default_thresholds();
            bs_check_result *r = bs_calloc(BS_CHECK_COUNT, sizeof *r);
            bs_fuzz_check(bs_checks_compute(schema, prog, &edit, &s, &th, r) == 0);
            bs_checks_free(r);
            free(r);
            json_t *o = json_object();
            bs_sched_edit_annotate(o, schema, &edit);
            json_decref(o);
        }
        bs_schedule_free(&s);
        free(prog);
    }
    bs_sched_edit_free(&edit);
}

static void decode_body(const char *content_type, const char *body, size_t len) {
    static const char *const allowed[] = {"date",    "reason",   "changes", "email",  "name",
                                          "user_id", "password", "role",    "stream", NULL};
    bs_err err = {0};
    const char *ct = content_type[0] ? content_type : NULL;
    for (int required = 0; required < 2; required++) {
        json_t *doc = bs_decode_object(body, len, ct, required, allowed, &err);
        if (!doc) {
            bs_fuzz_check(err.code < 0 && err.msg[0]);
            continue;
        }
        const char *s;
        for (const char *const *m = allowed; *m; m++) {
            if (bs_decode_string(doc, *m, required, 100, &s, &err) == 0 && s) bs_fuzz_check(strlen(s) <= 100);
            if (bs_decode_uuid(doc, *m, false, &s, &err) == 0 && s) bs_fuzz_check(bs_is_uuid(s));
        }
        if (bs_decode_reason(doc, required, &s, &err) == 0 && s) bs_fuzz_check(!bs_blank_text(s, strlen(s)));
        if (required && json_is_array(json_object_get(doc, "changes"))) whatif(json_object_get(doc, "changes"));
        json_decref(doc);
    }
    (void)bs_blank_text(body, len);
    (void)bs_utf8_valid(body, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bs_fuzz_fields f;
    bs_fuzz_split(&f, data, size, '\n', 4);
    const bs_route *route = match_path(f.field[0]);
    decode_query(route, f.field[1]);
    bs_err err = {0};
    if (bs_decode_json_type(f.field[2][0] ? f.field[2] : NULL, f.len[3], &err) != 0)
        bs_fuzz_check(err.code == BS_EMEDIA);
    decode_body(f.field[2], f.field[3], f.len[3]);
    bs_fuzz_fields_free(&f);
    return 0;
}
