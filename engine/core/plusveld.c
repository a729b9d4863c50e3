/*
 * Plusvelden: the value validator, the PCRE2 validation pattern and its cache (plusveld.h).
 *
 * PCRE2 (pcre2api(3)): pcre2_compile with PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED |
 * PCRE2_ENDANCHORED (a full match), PCRE2_NEVER_BACKSLASH_C (\C can split a UTF-8 character);
 * pcre2_jit_compile(PCRE2_JIT_COMPLETE) when available; one match context per pattern with
 * pcre2_set_match_limit, pcre2_set_depth_limit, pcre2_set_heap_limit (the interpreter) and a
 * JIT stack of bounded size (pcre2_jit_stack_assign) — JIT honours the match limit, and the
 * depth of its backtracking is bounded by its stack (PCRE2_ERROR_JIT_STACKLIMIT).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "plusveld.h"

#include <math.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "calendar.h"

static const char *const TYPE_NAMES[] = {"text", "integer", "decimal", "date", "boolean", "category", "multi_category"};

int bs_pv_type_parse(const char *s, bs_pv_type *out) {
    for (size_t i = 0; s && i < sizeof TYPE_NAMES / sizeof TYPE_NAMES[0]; i++)
        if (strcmp(s, TYPE_NAMES[i]) == 0) {
            *out = (bs_pv_type)i;
            return 0;
        }
    return -1;
}

const char *bs_pv_type_name(bs_pv_type t) {
    return (size_t)t < sizeof TYPE_NAMES / sizeof TYPE_NAMES[0] ? TYPE_NAMES[t] : "unknown";
}

/* ---- the pattern ---- */

struct bs_pv_pattern {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit_stack; /* NULL: interpreted */
};

void bs_pv_pattern_free(bs_pv_pattern *p) {
    if (!p) return;
    pcre2_match_data_free(p->md);
    pcre2_match_context_free(p->mctx);
    pcre2_jit_stack_free(p->jit_stack);
    pcre2_code_free(p->code);
    free(p);
}

bool bs_pv_pattern_jit(const bs_pv_pattern *p) {
    return p && p->jit_stack;
}

/* The match context with the limits, and the JIT stack when p->code was JIT-compiled. */
static int pattern_limits(bs_pv_pattern *p, const char *field, bs_err *err) {
    p->mctx = pcre2_match_context_create(NULL);
    p->md = pcre2_match_data_create_from_pattern(p->code, NULL);
    if (!p->mctx || !p->md) return bs_err_set(err, BS_EINTERNAL, field, "out of memory compiling the pattern");
    pcre2_set_match_limit(p->mctx, BS_PV_MATCH_LIMIT);
    pcre2_set_depth_limit(p->mctx, BS_PV_DEPTH_LIMIT);
    pcre2_set_heap_limit(p->mctx, BS_PV_HEAP_LIMIT_KIB);
    if (pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE) == 0) {
        p->jit_stack = pcre2_jit_stack_create(32 * 1024, BS_PV_JIT_STACK_BYTES, NULL);
        if (p->jit_stack) pcre2_jit_stack_assign(p->mctx, NULL, p->jit_stack);
    }
    return 0;
}

int bs_pv_pattern_compile(const char *pattern, size_t len, const char *field, bs_pv_pattern **out, bs_err *err) {
    *out = NULL;
    if (len == 0 || len > BS_PV_PATTERN_MAX_BYTES)
        return bs_err_problem(err, BS_EINVAL, "pattern_too_long", "Pattern too long", field,
                              "%s must be 1 to %d bytes; this one has %zu", field, BS_PV_PATTERN_MAX_BYTES, len);
    pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
    if (!cctx) return bs_err_set(err, BS_EINTERNAL, field, "out of memory compiling the pattern");
    pcre2_set_parens_nest_limit(cctx, BS_PV_PATTERN_MAX_NEST);
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_NEVER_BACKSLASH_C,
                                   &code, &offset, cctx);
    pcre2_compile_context_free(cctx);
    if (!re) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", code);
        return bs_err_problem(err, BS_EINVAL, "pattern_invalid", "Pattern does not compile", field,
                              "%s does not compile (PCRE2, UTF mode): %s at offset %zu", field, (const char *)msg,
                              (size_t)offset);
    }
    bs_pv_pattern *p = bs_calloc(1, sizeof *p);
    p->code = re;
    int rc = pattern_limits(p, field, err);
    if (rc != 0) {
        bs_pv_pattern_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int bs_pv_pattern_match(bs_pv_pattern *p, const char *s, size_t n, const char *field, bs_err *err) {
    int rc = pcre2_match(p->code, (PCRE2_SPTR)s, n, 0, 0, p->md, p->mctx);
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
        return bs_err_set(err, BS_EINVAL, field, "%s is not valid UTF-8", field);
    const char *which = rc == PCRE2_ERROR_MATCHLIMIT       ? "match limit"
                        : rc == PCRE2_ERROR_DEPTHLIMIT     ? "depth limit"
                        : rc == PCRE2_ERROR_HEAPLIMIT      ? "heap limit"
                        : rc == PCRE2_ERROR_JIT_STACKLIMIT ? "JIT stack limit"
                        : rc == PCRE2_ERROR_NOMEMORY       ? "memory limit"
                                                           : NULL;
    if (which)
        return bs_err_problem(err, BS_EINVAL, "pattern_limit", "Pattern too costly", field,
                              "checking %s against the field's pattern was cut off at the %s (%u steps); the "
                              "pattern backtracks catastrophically on this value: simplify the pattern",
                              field, which, BS_PV_MATCH_LIMIT);
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(rc, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", rc);
    return bs_err_problem(err, BS_EINVAL, "pattern_limit", "Pattern match failed", field,
                          "checking %s against the field's pattern failed: %s", field, (const char *)msg);
}

/* ---- the value ---- */

/* The number of Unicode code points of UTF-8 s[0..n) (continuation bytes not counted). */
static size_t utf8_chars(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
    return c;
}

static bool is_category(const bs_pv_def *d, const char *s) {
    for (size_t i = 0; i < d->n_categories; i++)
        if (strcmp(d->categories[i], s) == 0) return true;
    return false;
}

/* min/max of a number or a length x; what names it in the message ("" or " characters"). */
static int check_range(const bs_pv_def *d, double x, const char *what, const char *field, bs_err *err) {
    if ((d->has_min && x < d->min) || (d->has_max && x > d->max)) {
        char lo[40] = "", hi[40] = "";
        if (d->has_min) snprintf(lo, sizeof lo, "at least %.15g%s", d->min, what);
        if (d->has_max) snprintf(hi, sizeof hi, "at most %.15g%s", d->max, what);
        return bs_err_problem(err, BS_EINVAL, "out_of_range", "Value out of range", field, "%s must be %s%s%s", field,
                              lo, d->has_min && d->has_max ? " and " : "", hi);
    }
    return 0;
}

static int type_error(const bs_pv_def *d, const char *field, bs_err *err) {
    static const char *const expect[] = {"a string",
                                         "an integer",
                                         "a number",
                                         "a date YYYY-MM-DD",
                                         "true or false",
                                         "one of the field's categories (a string)",
                                         "a non-empty array of the field's categories"};
    size_t t = (size_t)d->type;
    return bs_err_problem(err, BS_EINVAL, "type", "Wrong type", field, "%s must be %s (type %s)", field,
                          t < sizeof expect / sizeof expect[0] ? expect[t] : "valid", bs_pv_type_name(d->type));
}

static int check_text(const bs_pv_def *d, const json_t *v, const char *field, bs_err *err) {
    if (!json_is_string(v)) return type_error(d, field, err);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > BS_PV_TEXT_MAX_BYTES || memchr(s, 0, n))
        return bs_err_problem(err, BS_EINVAL, "too_long", "Text too long", field,
                              "%s must be a text of at most %d bytes without NUL", field, BS_PV_TEXT_MAX_BYTES);
    int rc = check_range(d, (double)utf8_chars(s, n), " characters", field, err);
    if (rc != 0 || !d->pattern) return rc;
    rc = bs_pv_pattern_match(d->pattern, s, n, field, err);
    if (rc < 0) return rc;
    if (rc == 0)
        return bs_err_problem(err, BS_EINVAL, "pattern_mismatch", "Value does not match the pattern", field,
                              "%s does not match the field's pattern (the whole value must match)", field);
    return 0;
}

static int check_categories(const bs_pv_def *d, const json_t *v, const char *field, bs_err *err) {
    if (d->type == BS_PV_CATEGORY) {
        if (!json_is_string(v)) return type_error(d, field, err);
        if (!is_category(d, json_string_value(v)))
            return bs_err_problem(err, BS_EINVAL, "category", "Not an allowed category", field,
                                  "%s: %.100s is not one of the field's categories", field, json_string_value(v));
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0) return type_error(d, field, err);
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *x = json_array_get(v, i);
        if (!json_is_string(x)) return type_error(d, field, err);
        if (!is_category(d, json_string_value(x)))
            return bs_err_problem(err, BS_EINVAL, "category", "Not an allowed category", field,
                                  "%s: %.100s is not one of the field's categories", field, json_string_value(x));
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_string_value(json_array_get(v, j)), json_string_value(x)) == 0)
                return bs_err_problem(err, BS_EINVAL, "category", "Category repeated", field,
                                      "%s: %.100s is given twice", field, json_string_value(x));
    }
    return 0;
}

int bs_pv_check_value(const bs_pv_def *d, const json_t *v, bs_err *err) {
    char field[64];
    snprintf(field, sizeof field, "plusvelden.%s", d->key);
    if (!v || json_is_null(v)) return 0;
    switch (d->type) {
    case BS_PV_TEXT: return check_text(d, v, field, err);
    case BS_PV_INTEGER:
        if (!json_is_integer(v) || llabs((long long)json_integer_value(v)) > BS_PV_INTEGER_MAX)
            return type_error(d, field, err);
        return check_range(d, (double)json_integer_value(v), "", field, err);
    case BS_PV_DECIMAL:
        if (!json_is_number(v) || !isfinite(json_number_value(v))) return type_error(d, field, err);
        return check_range(d, json_number_value(v), "", field, err);
    case BS_PV_DATE: {
        bs_day day;
        if (!json_is_string(v) || bs_date_parse(json_string_value(v), &day) != 0) return type_error(d, field, err);
        return 0;
    }
    case BS_PV_BOOLEAN: return json_is_boolean(v) ? 0 : type_error(d, field, err);
    case BS_PV_CATEGORY:
    case BS_PV_MULTI_CATEGORY: return check_categories(d, v, field, err);
    }
    return type_error(d, field, err);
}

int bs_pv_def_from_json(const json_t *d, bs_pv_def *out, const char **cats) {
    memset(out, 0, sizeof *out);
    out->key = json_string_value(json_object_get(d, "key"));
    if (!out->key || bs_pv_type_parse(json_string_value(json_object_get(d, "type")), &out->type) != 0) return -1;
    const json_t *lo = json_object_get(d, "min"), *hi = json_object_get(d, "max"),
                 *cs = json_object_get(d, "categories");
    out->has_min = json_is_number(lo);
    out->has_max = json_is_number(hi);
    out->min = json_number_value(lo);
    out->max = json_number_value(hi);
    for (size_t i = 0; i < json_array_size(cs) && i < BS_PV_MAX_CATEGORIES; i++)
        if (json_is_string(json_array_get(cs, i))) cats[out->n_categories++] = json_string_value(json_array_get(cs, i));
    out->categories = cats;
    out->required = json_is_true(json_object_get(d, "required"));
    out->required_from_step = json_string_value(json_object_get(d, "required_from_step"));
    return 0;
}

bool bs_pv_required_now(const bs_pv_def *d, const char *const *done_steps, size_t n_done) {
    if (!d->required) return false;
    if (!d->required_from_step) return true;
    for (size_t i = 0; i < n_done; i++)
        if (strcmp(done_steps[i], d->required_from_step) == 0) return true;
    return false;
}

/* ---- the cache ---- */

typedef struct pv_entry {
    char id[64];
    long version;
    unsigned long used; /* the cache's tick of the last use: the least is evicted */
    bs_pv_pattern *pattern;
} pv_entry;

struct bs_pv_cache {
    pv_entry *entries;
    size_t capacity, n;
    unsigned long tick, compiles;
};

bs_pv_cache *bs_pv_cache_new(size_t capacity) {
    if (capacity == 0) return NULL;
    bs_pv_cache *c = bs_calloc(1, sizeof *c);
    c->entries = bs_calloc(capacity, sizeof *c->entries);
    c->capacity = capacity;
    return c;
}

void bs_pv_cache_free(bs_pv_cache *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) bs_pv_pattern_free(c->entries[i].pattern);
    free(c->entries);
    free(c);
}

unsigned long bs_pv_cache_compiles(const bs_pv_cache *c) {
    return c ? c->compiles : 0;
}

bs_pv_pattern *bs_pv_cache_get(bs_pv_cache *c, const char *id, long version, const char *pattern, const char *field,
                               bs_err *err) {
    c->tick++;
    size_t slot = c->n, oldest = 0;
    for (size_t i = 0; i < c->n; i++) {
        pv_entry *e = &c->entries[i];
        if (strcmp(e->id, id) == 0) {
            if (e->version == version) {
                e->used = c->tick;
                return e->pattern;
            }
            slot = i; /* an older version of this definition: replaced */
        }
        if (e->used < c->entries[oldest].used) oldest = i;
    }
    bs_pv_pattern *p;
    if (bs_pv_pattern_compile(pattern, strlen(pattern), field, &p, err) != 0) return NULL;
    c->compiles++;
    if (slot == c->n && c->n == c->capacity) slot = oldest;
    if (slot < c->n)
        bs_pv_pattern_free(c->entries[slot].pattern);
    else
        c->n++;
    pv_entry *e = &c->entries[slot];
    snprintf(e->id, sizeof e->id, "%s", id);
    e->version = version;
    e->used = c->tick;
    e->pattern = p;
    return p;
}
