/*
 * Bouwstroom API: decoding request bodies and query strings — pure functions (no I/O, no
 * request; the fuzz target tests/fuzz/fuzz_decode.c calls them directly), each
 * returning 0 or a BS_E* code with a bs_err naming the offending member (engine/core/err.h).
 * The handlers' wrappers (bs__body_object, bs__str_field, … in api_internal.h) send the
 * bs_err as a problem; tests call these directly (tests/unit/test_api_input.c).
 */
#ifndef BS_DECODE_H
#define BS_DECODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Longest reason accepted for a change (bytes). */
#define BS_REASON_MAX_BYTES 2000

/* Whether content_type (NULL: none sent) names application/json, parameters (charset)
 * allowed (RFC 9110 §8.3.1). A request without a body needs no type. 0 or BS_EMEDIA
 * (field Content-Type). */
int bs_decode_json_type(const char *content_type, size_t body_len, bs_err *err);

/* Parses body[0..len) (content_type as sent) as a JSON object whose members are all in
 * allowed (NULL-terminated), duplicate names refused. An empty body is {} when !required.
 * Returns the object (caller owns it) or NULL with err: BS_EMEDIA (Content-Type),
 * BS_EMALFORMED (body: empty, not JSON, not an object), BS_EINVAL with problem
 * unknown_field (the member's name). */
json_t *bs_decode_object(const char *body, size_t len, const char *content_type, bool required,
                         const char *const *allowed, bs_err *err);

/* String member name of doc of 1..max bytes; *out NULL when absent or null and not
 * required. 0, BS_EREQUIRED or BS_EINVAL (field name). *out points into doc. */
int bs_decode_string(const json_t *doc, const char *name, bool required, size_t max, const char **out, bs_err *err);
/* Same for a UUID (8-4-4-4-12 hexadecimal digits). */
int bs_decode_uuid(const json_t *doc, const char *name, bool required, const char **out, bs_err *err);

/* The "reason" member of doc, the one rule of every endpoint that takes a reason: a string
 * of 1 to BS_REASON_MAX_BYTES bytes that is not only white space (ASCII or Unicode spaces).
 * Absent: *out NULL, or BS_EREQUIRED when required. 0, BS_EREQUIRED or BS_EINVAL (reason). */
int bs_decode_reason(const json_t *doc, bool required, const char **out, bs_err *err);

/* Whether s[0..n) is only white space: ASCII space and controls \t \n \v \f \r, and the
 * Unicode spaces U+00A0, U+1680, U+2000..U+200B, U+2028, U+2029, U+202F, U+205F, U+3000,
 * U+FEFF (UTF-8). */
bool bs_blank_text(const char *s, size_t n);

/* Whether s is a UUID in the 8-4-4-4-12 form (either case). */
bool bs_is_uuid(const char *s);

/* ---- query strings and text (the request's query as h2o received it: raw, a=b&c=d) ---- */

/* True when s[0..n) is well-formed UTF-8 (RFC 3629 §4: no overlong forms, no surrogates,
 * nothing above U+10FFFF). */
bool bs_utf8_valid(const char *s, size_t n);

/* Percent-decodes a query parameter: finds name in query (a=b&c=d) and writes its decoded
 * value (NUL-terminated, '+' = space) into out (outlen bytes). Returns 1 when present,
 * 0 when absent, -1 when malformed (bad escape, NUL, not UTF-8) or too long. */
int bs_query_param(const char *query, const char *name, char *out, size_t outlen);

/* The integer query parameter name of query in [min, max]: *out = dflt when absent. 0, or
 * BS_EBADPARAM (field name: "name must be an integer from min to max") when malformed,
 * not an integer (digits with an optional leading '-') or out of range. */
int bs_decode_int_param(const char *query, const char *name, long dflt, long min, long max, long *out, bs_err *err);

#endif
