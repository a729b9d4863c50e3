/*
 * Bouwstroom API internals shared by the route modules (routes*.c). Not a public surface.
 */
#ifndef BS_API_INTERNAL_H
#define BS_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "alloc.h"
#include "api.h"
#include "decode.h"
#include "err.h"

#define JSON_CT "application/json"
#define PROBLEM_CT "application/problem+json"

/* Sends body (reference stolen) as application/json with status. */
void bs__respond_json(bs_req *req, int status, json_t *body);
/* body as compact JSON text (*len bytes, NUL-terminated) in a buffer of the calling thread that json_dumpb writes
 * into and that is reused by the next call (issue 17: json_dumps grew a string and copied it, per response). Valid
 * until the next call or bs__json_text_done on the thread. Aborts when out of memory (jansson writes nothing). */
const char *bs__json_text(const json_t *body, size_t *len);
/* Gives back a buffer of bs__json_text that grew beyond 1 MB (a large answer is not kept between responses). */
void bs__json_text_done(void);

/* ---- errors: one mapping from bs_err to problem+json (api/problem.c) ----
 * The code (BS_E*, err.h) gives the status, the default machine code ("type" ends in it)
 * and title; problem and title (static strings, NULL = the code's) name a more specific
 * problem; field is the offending body member, query parameter or header (NULL: none); the
 * printf-formatted detail is one readable line. */

/* Sends the problem of e, with extra response headers (pairs name, value, …, NULL) or NULL. */
void bs__fail_err(bs_req *req, const bs_err *e, const char *const *extra_headers);
/* Same with extension members (RFC 9457 §3.2; a JSON object, reference stolen, may be NULL):
 * added after the standard members, which they cannot replace — except invalid_params when
 * e has no field: a validation that reports every problem passes them all there. */
void bs__fail_doc(bs_req *req, const bs_err *e, json_t *extensions, const char *const *extra_headers);
/* Sends a problem with the code's own machine code and title. */
void bs__fail(bs_req *req, int code, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same with a specific machine code and title. */
void bs__fail_as(bs_req *req, int code, const char *problem, const char *title, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Same with extra response headers (WWW-Authenticate, Allow, Retry-After). */
void bs__fail_ex(bs_req *req, int code, const char *problem, const char *title, const char *field,
                 const char *const *extra_headers, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* Answers a query whose column 0 of row 0 is the response body (JSON text): err → 503
 * problem; no row or NULL → 404 problem (title, field, detail); status 204 → no body; else
 * the text with status. The callbacks of the route modules end in this. */
void bs__send_row0(bs_req *req, const PGresult *res, const char *err, int status, const char *title, const char *field,
                   const char *detail);
/* The absolute base of links into the web app: api->public_url (serve --public-url), else
 * the request's scheme://authority. No trailing slash. */
const char *bs__public_base(const bs_api *api, const bs_req *req);
/* 503 problem for a store error (logged to stderr). */
void bs__problem_db(bs_req *req, const char *err);

bool bs__method_is(const bs_req *req, const char *m);
/* Optional integer query parameter in [min, max] (default dflt). false = problem sent. */
bool bs__int_param(bs_req *req, const char *name, long dflt, long min, long max, long *out);
/* Checks the body's Content-Type is application/json (parameters allowed); a body without a
 * Content-Type is refused too. false = 415 problem sent. */
bool bs__json_content_type(bs_req *req);
/* Copies an optional header (UTF-8, at most max bytes) into out; "" when absent.
 * false = 400 problem naming the header sent. */
bool bs__text_header(bs_req *req, const char *name, size_t max, char *out, size_t outlen);
/* Optional text query parameter (percent-decoded, UTF-8). false = problem sent. */
bool bs__text_param(bs_req *req, const char *name, char *out, size_t len, bool *has);

/* Parses the JSON object body and refuses members not in allowed (NULL-terminated);
 * NULL after sending a 400/415/422 problem. The caller owns the result. */
json_t *bs__body_object(bs_req *req, const char *const *allowed);
/* String member name of doc (1..max bytes); *out NULL when absent and not required.
 * false after a 422 problem naming the field. */
bool bs__str_field(bs_req *req, json_t *doc, const char *name, bool required, size_t max, const char **out);
/* Same for a UUID member. */
bool bs__uuid_field(bs_req *req, json_t *doc, const char *name, bool required, const char **out);
/* Whether day d, the input named field, lies in the engine's working-day calendar
 * (engine/runtime/engine.h: BS_CALENDAR_FIRST_YEAR-01-01 .. BS_CALENDAR_LAST_YEAR-12-31);
 * else sends a date_out_of_range problem with code (BS_EINVAL for a body member,
 * BS_EBADPARAM for a query parameter) named field whose detail gives the range, and returns
 * false. */
bool bs__date_in_calendar(bs_req *req, const bs_api *api, int code, const char *field, bs_day d);
/* The "reason" member of doc, the one rule for every endpoint that takes a reason: a string
 * of 1 to BS_REASON_MAX_BYTES bytes that is not only white space (ASCII or Unicode spaces).
 * required: absent is refused too; otherwise absent gives *out NULL. false after a 422
 * problem naming reason. */
bool bs__reason_field(bs_req *req, json_t *doc, bool required, const char **out);
/* v (may be NULL = absent) must be one of allowed (NULL-terminated); false after a 422 problem. */
bool bs__one_of(bs_req *req, const char *name, const char *v, const char *const *allowed);

/* The server's cache of parsed project states and rendered schedules (api/state_cache.h; bs_api.state_cache), made at
 * the first use with BS_STATE_CACHE_ENTRIES entries and BS_STATE_CACHE_BYTES bytes at most. Never NULL. */
struct bs_state_cache *bs__state_cache(bs_api *api);
/* The forecast stamp at which the state cache holds project_id's state, or -1 when it holds none. */
long long bs__state_cache_stamp(bs_api *api, const char *project_id);
#define BS_STATE_CACHE_ENTRIES 8192
#define BS_STATE_CACHE_BYTES (16u << 20)

#endif
