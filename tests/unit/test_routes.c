/*
 * The route table (api/route_table.c) against docs/openapi.json, both ways, and the
 * matcher (api/router.c): every row is an operation of the document with the same
 * operationId, every operation is a row, the query parameters a row accepts are the ones
 * the document declares, and path parameters are validated before any handler.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
/* cmocka after the standard headers */
#include <cmocka.h>
#include <jansson.h>

#include "router.h"

#ifndef BS_SOURCE_DIR
#define BS_SOURCE_DIR "."
#endif

static json_t *openapi(void) {
    json_error_t e;
    json_t *doc = json_load_file(BS_SOURCE_DIR "/docs/openapi.json", 0, &e);
    if (!doc) fail_msg("docs/openapi.json: %s (line %d)", e.text, e.line);
    return doc;
}

static void lower(const char *in, char *out, size_t n) {
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++) out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
    out[i] = 0;
}

/* Whether name is one of the space-separated names in list. */
static int listed(const char *list, const char *name) {
    size_t l = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ' ') p++;
        size_t w = strcspn(p, " ");
        if (w == l && strncmp(p, name, l) == 0) return 1;
        p += w;
    }
    return 0;
}

/* The query parameters an operation declares (its own and its path item's), resolving
 * local $refs to components/parameters. */
static void query_params(json_t *doc, json_t *item, json_t *op, char *out, size_t n) {
    out[0] = 0;
    json_t *lists[2] = {json_object_get(item, "parameters"), json_object_get(op, "parameters")};
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *p;
        json_array_foreach(lists[k], i, p) {
            const char *ref = json_string_value(json_object_get(p, "$ref"));
            if (ref) {
                const char *last = strrchr(ref, '/');
                p = json_object_get(json_object_get(json_object_get(doc, "components"), "parameters"), last + 1);
                assert_non_null(p);
            }
            if (strcmp(json_string_value(json_object_get(p, "in")), "query") != 0) continue;
            size_t l = strlen(out);
            snprintf(out + l, n - l, "%s%s", l ? " " : "", json_string_value(json_object_get(p, "name")));
        }
    }
}

static void every_row_is_a_documented_operation(void **state) {
    (void)state;
    json_t *doc = openapi();
    json_t *paths = json_object_get(doc, "paths");
    for (size_t r = 0; r < bs_n_routes; r++) {
        const bs_route *rt = &bs_routes[r];
        char m[16];
        lower(rt->method, m, sizeof m);
        json_t *item = json_object_get(paths, rt->path);
        json_t *op = json_object_get(item, m);
        if (!op) fail_msg("%s %s is in the route table but not in docs/openapi.json", rt->method, rt->path);
        const char *id = json_string_value(json_object_get(op, "operationId"));
        if (!id || strcmp(id, rt->operation_id) != 0)
            fail_msg("%s %s: operationId %s in the table, %s in docs/openapi.json", rt->method, rt->path,
                     rt->operation_id, id ? id : "(none)");
        assert_non_null(rt->handler);
        char q[1024];
        query_params(doc, item, op, q, sizeof q);
        for (const char *p = rt->query; *p;) { /* table ⊆ document */
            while (*p == ' ') p++;
            size_t w = strcspn(p, " ");
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)w, p);
            if (w && !listed(q, name))
                fail_msg("%s %s reads query parameter %s, which docs/openapi.json does not declare", rt->method,
                         rt->path, name);
            p += w;
        }
        for (const char *p = q; *p;) { /* document ⊆ table */
            while (*p == ' ') p++;
            size_t w = strcspn(p, " ");
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)w, p);
            if (w && !listed(rt->query, name))
                fail_msg("%s %s: docs/openapi.json declares query parameter %s, which the route refuses", rt->method,
                         rt->path, name);
            p += w;
        }
    }
    json_decref(doc);
}

static void every_operation_has_a_row(void **state) {
    (void)state;
    json_t *doc = openapi();
    const char *path;
    json_t *item;
    json_object_foreach(json_object_get(doc, "paths"), path, item) {
        static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
        for (int k = 0; k < 5; k++) {
            if (!json_object_get(item, methods[k])) continue;
            int found = 0;
            for (size_t r = 0; r < bs_n_routes && !found; r++) {
                char m[16];
                lower(bs_routes[r].method, m, sizeof m);
                found = strcmp(bs_routes[r].path, path) == 0 && strcmp(m, methods[k]) == 0;
            }
            if (!found) fail_msg("docs/openapi.json documents %s %s, which no route serves", methods[k], path);
        }
    }
    json_decref(doc);
}

static void rows_are_unique(void **state) {
    (void)state;
    for (size_t a = 0; a < bs_n_routes; a++)
        for (size_t b = a + 1; b < bs_n_routes; b++)
            if (strcmp(bs_routes[a].method, bs_routes[b].method) == 0 &&
                strcmp(bs_routes[a].path, bs_routes[b].path) == 0)
                fail_msg("%s %s is in the table twice", bs_routes[a].method, bs_routes[a].path);
}

/* Every template matches itself with sample values: every parameter has a type. */
static void every_template_matches(void **state) {
    (void)state;
    for (size_t r = 0; r < bs_n_routes; r++) {
        char path[256] = "";
        const char *t = bs_routes[r].path;
        while (*t) {
            if (*t == '{') {
                const char *close = strchr(t, '}');
                const char *name = t + 1;
                const char *sample = "1";
                if (strncmp(name, "id", 2) == 0 || strncmp(name, "sid", 3) == 0 || strncmp(name, "user_id", 7) == 0 ||
                    strncmp(name, "block_id", 8) == 0 || strncmp(name, "job_id", 6) == 0)
                    sample = strstr(bs_routes[r].path, "events") ? "17" : "5b0e2d8e-0c1a-4c5e-9d7a-2f4a1b3c9d10";
                if (strncmp(name, "token", 5) == 0 && strstr(bs_routes[r].path, "calendar"))
                    sample = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
                strncat(path, sample, sizeof path - strlen(path) - 1);
                t = close + 1;
            } else {
                strncat(path, t, 1);
                t++;
            }
        }
        const bs_route *got = NULL;
        bs_path p;
        char allow[64];
        bs_err err = {0};
        int rc = bs_route_match(bs_routes[r].method, path, &got, &p, allow, sizeof allow, &err);
        if (rc != 0)
            fail_msg("%s %s (as %s) does not match: %s", bs_routes[r].method, bs_routes[r].path, path, err.msg);
        assert_ptr_equal(got, &bs_routes[r]);
    }
}

static void path_parameters_are_validated_once(void **state) {
    (void)state;
    const bs_route *r = NULL;
    bs_path p;
    char allow[64];
    bs_err err = {0};
    assert_int_equal(bs_route_match("POST", "/api/v1/projects/5B0E2D8E-0c1a-4c5e-9d7a-2f4a1b3c9d10/steps/s-12/start",
                                    &r, &p, allow, sizeof allow, &err),
                     0);
    assert_string_equal(r->operation_id, "startStep");
    assert_string_equal(p.project, "5B0E2D8E-0c1a-4c5e-9d7a-2f4a1b3c9d10");
    assert_string_equal(p.step, "s-12");
    assert_string_equal(p.ref, "");

    assert_int_equal(bs_route_match("GET", "/api/v1/projects/not-a-uuid/forecast", &r, &p, allow, sizeof allow, &err),
                     BS_ENOTFOUND);
    assert_string_equal(err.field, "id");
    assert_string_equal(err.title, "Project not found");

    assert_int_equal(bs_route_match("DELETE", "/api/v1/projects/5b0e2d8e-0c1a-4c5e-9d7a-2f4a1b3c9d10/scenarios/x", &r,
                                    &p, allow, sizeof allow, &err),
                     BS_ENOTFOUND);
    assert_string_equal(err.field, "scenario_id");

    assert_int_equal(bs_route_match("POST", "/api/v1/adapters/events/0/retry", &r, &p, allow, sizeof allow, &err),
                     BS_ENOTFOUND);
    assert_string_equal(err.field, "id");
    assert_int_equal(bs_route_match("POST", "/api/v1/adapters/events/42/retry", &r, &p, allow, sizeof allow, &err), 0);
    assert_string_equal(p.ref, "42");

    /* the feed: 64 lower-case hex digits and .ics; the token without the suffix */
    assert_int_equal(bs_route_match("GET", "/calendar/ABC.ics", &r, &p, allow, sizeof allow, &err), BS_ENOTFOUND);
    assert_string_equal(err.field, "token");
    assert_int_equal(bs_route_match("GET", "/calendar/abc", &r, &p, allow, sizeof allow, &err), BS_ENOTFOUND);
    assert_string_equal(err.field, "");
    assert_int_equal(bs_route_match("HEAD",
                                    "/calendar/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.ics",
                                    &r, &p, allow, sizeof allow, &err),
                     0);
    assert_string_equal(p.ref, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

static void methods_and_unknown_paths(void **state) {
    (void)state;
    const bs_route *r = NULL;
    bs_path p;
    char allow[64];
    bs_err err = {0};
    assert_int_equal(bs_route_match("DELETE", "/api/v1/feed-tokens", &r, &p, allow, sizeof allow, &err), BS_EMETHOD);
    assert_string_equal(allow, "GET, POST");
    assert_null(r);
    assert_int_equal(bs_route_match("GET", "/api/v1/nothing", &r, &p, allow, sizeof allow, &err), BS_ENOTFOUND);
    assert_string_equal(err.field, "");
    assert_int_equal(bs_route_match("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n", &r, &p, allow, sizeof allow, &err),
                     BS_ENOTFOUND);
    assert_int_equal(bs_route_match("HEAD", "/api/v1/projects", &r, &p, allow, sizeof allow, &err), 0);
    assert_string_equal(r->method, "GET");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_row_is_a_documented_operation),
        cmocka_unit_test(every_operation_has_a_row),
        cmocka_unit_test(rows_are_unique),
        cmocka_unit_test(every_template_matches),
        cmocka_unit_test(path_parameters_are_validated_once),
        cmocka_unit_test(methods_and_unknown_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
