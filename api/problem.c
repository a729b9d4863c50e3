/*
 * Bouwstroom API: the one mapping from the error currency (engine/core/err.h) to
 * application/problem+json (RFC 9457). Every error answer of the API is made here.
 *
 * The document: type (https://bouwstroom.nl/problems/<code>), title, status, detail,
 * instance (the request path as received), code, and invalid_params — the offending
 * field, query parameter or header ({name, code, reason}), the ZGW APIs' convention
 * (camelCase there as "invalidParams").
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#include "api_internal.h"

/* What each code answers: status, default machine code and title. */
static const struct {
    int code;
    int status;
    const char *problem;
    const char *title;
} map[] = {
    {BS_EINVAL, 422, "invalid", "Invalid field"},
    {BS_EREQUIRED, 422, "required", "Missing field"},
    {BS_EBADPARAM, 400, "invalid", "Invalid query parameter"},
    {BS_EMALFORMED, 400, "malformed_json", "Malformed request body"},
    {BS_ENOTFOUND, 404, "not_found", "Not found"},
    {BS_ECONFLICT, 409, "conflict", "Conflict"},
    {BS_EUNAUTH, 401, "unauthenticated", "Authentication required"},
    {BS_EFORBIDDEN, 403, "forbidden", "Forbidden"},
    {BS_EMETHOD, 405, "method_not_allowed", "Method not allowed"},
    {BS_ETOOLARGE, 413, "payload_too_large", "Payload too large"},
    {BS_EMEDIA, 415, "unsupported_media_type", "Unsupported media type"},
    {BS_ERATE, 429, "rate_limited", "Too many requests"},
    {BS_EUNAVAILABLE, 503, "unavailable", "Unavailable"},
    {BS_EIO, 500, "internal", "Internal error"},
    {BS_EINTERNAL, 500, "internal", "Internal error"},
};

void bs__fail_doc(bs_req *req, const bs_err *e, json_t *extensions, const char *const *extra_headers) {
    size_t i = 0;
    while (i < sizeof map / sizeof map[0] - 1 && map[i].code != e->code) i++;
    if (map[i].code != e->code) i = sizeof map / sizeof map[0] - 1; /* unknown: internal */
    int status = map[i].status;
    const char *code = e->problem ? e->problem : map[i].problem;
    const char *title = e->title ? e->title : map[i].title;
    json_t *p = json_object();
    char type[160];
    snprintf(type, sizeof type, "https://bouwstroom.nl/problems/%s", code);
    json_object_set_new(p, "type", json_string(type));
    json_object_set_new(p, "title", json_string(title));
    json_object_set_new(p, "status", json_integer(status));
    json_object_set_new(p, "detail", json_string(e->msg));
    json_object_set_new(p, "instance", json_string(bs_req_raw_path(req)));
    json_object_set_new(p, "code", json_string(code));
    json_t *params = json_array();
    if (e->field[0]) {
        json_t *ip = json_object();
        json_object_set_new(ip, "name", json_string(e->field));
        json_object_set_new(ip, "code", json_string(code));
        json_object_set_new(ip, "reason", json_string(e->msg));
        json_array_append_new(params, ip);
    }
    json_object_set_new(p, "invalid_params", params);
    /* a report of several problems (no single field) brings its own invalid_params */
    if (!e->field[0] && json_is_array(json_object_get(extensions, "invalid_params")))
        json_object_del(p, "invalid_params");
    if (extensions) {
        json_object_update_missing(p, extensions); /* the standard members win */
        json_decref(extensions);
    }
    char *text = bs_json_dumps(p, JSON_COMPACT);
    json_decref(p); /* out of memory: the allocation policy (alloc.h) */
    bs_req_respond(req, status, PROBLEM_CT, text, strlen(text), extra_headers);
    free(text);
}

void bs__fail_err(bs_req *req, const bs_err *e, const char *const *extra_headers) {
    bs__fail_doc(req, e, NULL, extra_headers);
}

__attribute__((format(printf, 7, 0))) static void fail_v(bs_req *req, int code, const char *problem, const char *title,
                                                         const char *field, const char *const *headers, const char *fmt,
                                                         va_list ap) {
    bs_err e = {.code = code, .problem = problem, .title = title};
    snprintf(e.field, sizeof e.field, "%s", field ? field : "");
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    bs__fail_err(req, &e, headers);
}

void bs__fail(bs_req *req, int code, const char *field, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_v(req, code, NULL, NULL, field, NULL, fmt, ap);
    va_end(ap);
}

void bs__fail_as(bs_req *req, int code, const char *problem, const char *title, const char *field, const char *fmt,
                 ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_v(req, code, problem, title, field, NULL, fmt, ap);
    va_end(ap);
}

void bs__fail_ex(bs_req *req, int code, const char *problem, const char *title, const char *field,
                 const char *const *extra_headers, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_v(req, code, problem, title, field, extra_headers, fmt, ap);
    va_end(ap);
}

void bs__problem_db(bs_req *req, const char *err) {
    fprintf(stderr, "api: database error on %s %s: %s\n", bs_req_method(req), bs_req_path(req), err);
    bs__fail_as(req, BS_EUNAVAILABLE, "database_unavailable", "Database unavailable", NULL,
                "The store could not complete the request; nothing was changed. Retry later.");
}
