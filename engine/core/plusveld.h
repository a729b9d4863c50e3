/*
 * Plusvelden: an organisation's own extra fields on projects and blocks (issue 18 item 2;
 * docs/homes-and-goals.md "Plusvelden") — the pure validator of one value against its
 * definition, the PCRE2 validation pattern, and a cache of compiled patterns.
 *
 * Pure: no I/O, no clock, no globals. The cache is a value the caller owns and passes in.
 * A pattern is compiled in UTF mode (PCRE2_UTF | PCRE2_UCP) and must match the whole value
 * (PCRE2_ANCHORED | PCRE2_ENDANCHORED); JIT-compiled when the platform has it. Every match
 * runs under a match limit, a depth limit and a heap limit (the interpreter) or the match
 * limit and a bounded JIT stack (JIT), so a catastrophic pattern such as `(a+)+$` on a long
 * input stops with the problem `pattern_limit` instead of running for hours. A compiled
 * pattern keeps match data of its own: use it from one thread at a time (the API's loop).
 */
#ifndef BS_PLUSVELD_H
#define BS_PLUSVELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Longest key of a plusveld, bytes (a-z first, then a-z, 0-9, _): "plusvelden.<key>" fits a
 * bs_err field. */
#define BS_PV_KEY_MAX_BYTES 50
/* Longest validation pattern, bytes. */
#define BS_PV_PATTERN_MAX_BYTES 500
/* Deepest nesting of parentheses in a pattern (pcre2_set_parens_nest_limit). */
#define BS_PV_PATTERN_MAX_NEST 32
/* Longest text value, bytes (UTF-8). */
#define BS_PV_TEXT_MAX_BYTES 10000
/* Most categories of a definition, and longest category, bytes. */
#define BS_PV_MAX_CATEGORIES 200
#define BS_PV_CATEGORY_MAX_BYTES 100
/* The limits of one match (pcre2_set_match_limit, _depth_limit, _heap_limit in KiB; the JIT
 * stack in bytes). A text value of BS_PV_TEXT_MAX_BYTES against an ordinary pattern needs a
 * small fraction of these; `(a+)+$` on 30 characters already needs more. */
#define BS_PV_MATCH_LIMIT 200000u
#define BS_PV_DEPTH_LIMIT 2000u
#define BS_PV_HEAP_LIMIT_KIB 4096u
#define BS_PV_JIT_STACK_BYTES (256u * 1024u)
/* Largest integer value (the exact integers of a double: 2^53). */
#define BS_PV_INTEGER_MAX 9007199254740992LL

/* The type of a plusveld. */
typedef enum bs_pv_type {
    BS_PV_TEXT,
    BS_PV_INTEGER,
    BS_PV_DECIMAL,
    BS_PV_DATE, /* a civil date "YYYY-MM-DD" */
    BS_PV_BOOLEAN,
    BS_PV_CATEGORY,       /* one of the definition's categories */
    BS_PV_MULTI_CATEGORY, /* a non-empty array of distinct categories */
} bs_pv_type;

/* The type named s ("text", "integer", "decimal", "date", "boolean", "category",
 * "multi_category"): 0 with *out, or -1 for another name. */
int bs_pv_type_parse(const char *s, bs_pv_type *out);
/* The name of t (the inverse of bs_pv_type_parse). */
const char *bs_pv_type_name(bs_pv_type t);

/* A compiled validation pattern (opaque). */
typedef struct bs_pv_pattern bs_pv_pattern;

/* Compiles pattern[0..len) (UTF-8) for full matches in UTF mode. field names the input in
 * err (e.g. "pattern"). Returns 0 with *out (free with bs_pv_pattern_free), or BS_EINVAL with
 * err: problem pattern_too_long (more than BS_PV_PATTERN_MAX_BYTES bytes, or empty),
 * pattern_invalid (PCRE2's compile error, its message and the offset in bytes where it was
 * found, e.g. "missing closing parenthesis at offset 3"). */
int bs_pv_pattern_compile(const char *pattern, size_t len, const char *field, bs_pv_pattern **out, bs_err *err);
/* Frees p (NULL: nothing). */
void bs_pv_pattern_free(bs_pv_pattern *p);
/* Whether p was JIT-compiled (else the interpreter runs it). */
bool bs_pv_pattern_jit(const bs_pv_pattern *p);
/* Matches the whole of s[0..n) (UTF-8) against p under the limits above. Returns 1 when it
 * matches, 0 when not; BS_EINVAL with err (field) when a limit cut the match off (problem
 * pattern_limit: "the pattern needs more than the match limit … on this value") or the
 * value is not UTF-8 (problem invalid). */
int bs_pv_pattern_match(bs_pv_pattern *p, const char *s, size_t n, const char *field, bs_err *err);

/* One definition as the validator reads it (all pointers borrowed). */
typedef struct bs_pv_def {
    const char *key; /* the field's key; problems name it "plusvelden.<key>" */
    bs_pv_type type;
    bool has_min, has_max;
    double min, max;               /* integer, decimal: the value; text: its length in characters
                                    * (Unicode code points); other types have none */
    const char *const *categories; /* category, multi_category: the allowed values */
    size_t n_categories;
    bs_pv_pattern *pattern;         /* text only; NULL: none */
    bool required;                  /* required: always, or from required_from_step on */
    const char *required_from_step; /* NULL: always (when required); else a step key */
} bs_pv_def;

/* Reads a definition from its JSON form d (members key, type, min, max, categories,
 * required, required_from_step; as the API and the store give it) into *out, without a
 * pattern (the caller sets out->pattern). cats receives the categories (room for
 * BS_PV_MAX_CATEGORIES). out's strings point into d. Returns 0, or -1 when d has no key or an
 * unknown type. */
int bs_pv_def_from_json(const json_t *d, bs_pv_def *out, const char **cats);

/* Checks value v (JSON; null clears the value and is always accepted here — required is
 * bs_pv_required_now's) against d. Returns 0, or BS_EINVAL with err naming the field
 * "plusvelden.<key>" and the problem: type (wrong JSON type or a malformed date), too_long
 * (text over BS_PV_TEXT_MAX_BYTES), out_of_range (min/max), category (not an allowed
 * category, or a repeated one), pattern_mismatch, pattern_limit (bs_pv_pattern_match). */
int bs_pv_check_value(const bs_pv_def *d, const json_t *v, bs_err *err);

/* Whether d is required now: required, and either from no step or from a step that is in
 * done_steps (the keys of the project's steps with status done, n_done of them). */
bool bs_pv_required_now(const bs_pv_def *d, const char *const *done_steps, size_t n_done);

/* A cache of compiled patterns keyed by definition id and version (a changed definition has
 * a new version, so its old entry is never used again and is evicted in time). */
typedef struct bs_pv_cache bs_pv_cache;

/* A cache of at most capacity (>= 1) patterns; NULL when out of memory. */
bs_pv_cache *bs_pv_cache_new(size_t capacity);
/* Frees c and its patterns (NULL: nothing). */
void bs_pv_cache_free(bs_pv_cache *c);
/* The compiled pattern of definition id (at most 63 bytes) at version, whose source is
 * pattern: cached, or compiled now and cached (evicting the least recently used when full).
 * Owned by the cache; valid until the next call of bs_pv_cache_get or bs_pv_cache_free.
 * NULL with err (bs_pv_pattern_compile's, field named field) when it does not compile. */
bs_pv_pattern *bs_pv_cache_get(bs_pv_cache *c, const char *id, long version, const char *pattern, const char *field,
                               bs_err *err);
/* How many patterns c has compiled since it was made (a test of "compiled once"). */
unsigned long bs_pv_cache_compiles(const bs_pv_cache *c);

#endif
