/*
 * The rules of one woningblok. See block_rules.h and docs/blocks.md.
 */
#include "block_rules.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *const BS_BLOCK_MEMBERS[] = {"homes",       "kind",         "home_type", "tenure",
                                        "price_class", "target_group", "milestone", "period_from",
                                        "period_to",   "correction",   "spread",    NULL};
const char *const BS_BLOCK_KINDS[] = {"nieuwbouw", "transformatie", "sloop", NULL};
const char *const BS_BLOCK_HOME_TYPES[] = {"grondgebonden", "meergezins", "onbekend", NULL};
const char *const BS_BLOCK_TENURES[] = {"huur", "koop", "onbekend", NULL};
const char *const BS_BLOCK_PRICE_CLASSES[] = {"koop1", "koop2", "koop3", "koop4",    "koop_onb", "huur1",
                                              "huur2", "huur3", "huur4", "huur_onb", "onbekend", NULL};

int bs_block_code_index(const char *v, const char *const *list) {
    for (int i = 0; v && list[i]; i++)
        if (strcmp(v, list[i]) == 0) return i;
    return -1;
}

static bool listed(const char *v, const char *const *allowed) {
    return bs_block_code_index(v, allowed) >= 0;
}

/* An optional integer member in [min, max]; nullable: null allowed. */
static int int_member(const json_t *doc, const char *name, long min, long max, bool nullable, bs_err *err) {
    json_t *v = json_object_get(doc, name);
    if (!v || (nullable && json_is_null(v))) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return bs_err_set(err, BS_EINVAL, name, "%s must be an integer from %ld to %ld%s", name, min, max,
                          nullable ? " or null" : "");
    return 0;
}

/* An optional code-list member (a string of allowed; never null). */
static int code_member(const json_t *doc, const char *name, const char *const *allowed, bs_err *err) {
    json_t *v = json_object_get(doc, name);
    if (!v || (json_is_string(v) && listed(json_string_value(v), allowed))) return 0;
    char d[300];
    size_t o = (size_t)snprintf(d, sizeof d, "%s must be one of", name);
    for (size_t i = 0; allowed[i] && o < sizeof d; i++)
        o += (size_t)snprintf(d + o, sizeof d - o, "%s %s", i ? "," : "", allowed[i]);
    return bs_err_set(err, BS_EINVAL, name, "%s", d);
}

/* A milestone: the key of a milestone step of the process (1 to 100 bytes). */
static int milestone_member(const json_t *doc, bs_block_milestone_fn is_milestone, const void *arg, bs_err *err) {
    json_t *v = json_object_get(doc, "milestone");
    if (!v) return 0;
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    size_t n = strlen(s);
    if (n == 0 || n > 100 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return bs_err_set(err, BS_EINVAL, "milestone", "milestone must be a step key (a-z, 0-9, _; 1 to 100 bytes)");
    if (!is_milestone(s, arg))
        return bs_err_set(err, BS_EINVAL, "milestone",
                          "milestone must be a milestone of the process (e.g. start_bouw, laatste_oplevering); %s is "
                          "not one",
                          s);
    return 0;
}

/* The target group: a string of 1 to 200 bytes, or null (none). */
static int target_group_member(const json_t *doc, bs_err *err) {
    json_t *v = json_object_get(doc, "target_group");
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200)
        return bs_err_set(err, BS_EINVAL, "target_group", "target_group must be a string of 1 to 200 bytes or null");
    return 0;
}

/* One entry i of a spread: {"year": 1900..2200, "percent": 1..100}, its year not in seen[0..i). */
static int spread_entry(const json_t *e, size_t i, const json_int_t *seen, bs_err *err) {
    static const char *const members[] = {"year", "percent", NULL};
    char field[48];
    snprintf(field, sizeof field, "spread[%zu]", i);
    if (!json_is_object(e))
        return bs_err_set(err, BS_EINVAL, field, "%s must be an object {\"year\": ..., \"percent\": ...}", field);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)e, k, v) {
        if (!listed(k, members)) {
            snprintf(field, sizeof field, "spread[%zu].%.20s", i, k);
            return bs_err_set(err, BS_EINVAL, field, "%s is not a member of a spread entry (year, percent)", field);
        }
    }
    json_t *y = json_object_get(e, "year"), *pc = json_object_get(e, "percent");
    snprintf(field, sizeof field, "spread[%zu].year", i);
    if (!json_is_integer(y) || json_integer_value(y) < 1900 || json_integer_value(y) > 2200)
        return bs_err_set(err, BS_EINVAL, field, "%s must be a year from 1900 to 2200", field);
    for (size_t j = 0; j < i; j++)
        if (seen[j] == json_integer_value(y))
            return bs_err_set(err, BS_EINVAL, field, "%s: the year %lld is already in the spread", field,
                              (long long)json_integer_value(y));
    snprintf(field, sizeof field, "spread[%zu].percent", i);
    if (!json_is_integer(pc) || json_integer_value(pc) < 1 || json_integer_value(pc) > 100)
        return bs_err_set(err, BS_EINVAL, field, "%s must be an integer from 1 to 100", field);
    return 0;
}

/* spread: absent, null (delivered with its milestone) or an array of 1 to 100 entries
 * {"year", "percent"} with distinct years whose percents sum to exactly 100 (migration 0037). */
static int spread_member(const json_t *doc, bs_err *err) {
    json_t *v = json_object_get(doc, "spread");
    if (!v || json_is_null(v)) return 0;
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 100)
        return bs_err_set(err, BS_EINVAL, "spread",
                          "spread must be null or an array of 1 to 100 {year, percent} entries");
    json_int_t seen[100], sum = 0;
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *e = json_array_get(v, i);
        int rc = spread_entry(e, i, seen, err);
        if (rc) return rc;
        seen[i] = json_integer_value(json_object_get(e, "year"));
        sum += json_integer_value(json_object_get(e, "percent"));
    }
    if (sum != 100)
        return bs_err_set(err, BS_EINVAL, "spread", "the percents of spread must sum to exactly 100, not %lld",
                          (long long)sum);
    return 0;
}

/* The rules between members (migration 0031's constraints project_blocks_period and
 * project_blocks_price_tenure): on create with the defaults, on a change when both are given. */
static int cross_rules(const json_t *doc, bool create, bs_err *err) {
    json_t *from = json_object_get(doc, "period_from"), *to = json_object_get(doc, "period_to");
    if (json_is_integer(from) && json_is_integer(to) && json_integer_value(to) < json_integer_value(from))
        return bs_err_set(err, BS_EINVAL, "period_to", "period_to must not be before period_from");
    json_t *price = json_object_get(doc, "price_class"), *tenure = json_object_get(doc, "tenure");
    if (!price || (!tenure && !create)) return 0;
    const char *p = json_string_value(price), *t = tenure ? json_string_value(tenure) : "onbekend";
    if (strcmp(p, "onbekend") == 0 || (strcmp(t, "koop") == 0 && strncmp(p, "koop", 4) == 0) ||
        (strcmp(t, "huur") == 0 && strncmp(p, "huur", 4) == 0))
        return 0;
    return bs_err_set(err, BS_EINVAL, "price_class",
                      "price_class %s does not fit tenure %s: a koop class needs tenure koop, a huur class tenure huur",
                      p, t);
}

int bs_block_check(const json_t *doc, bool create, bs_block_milestone_fn is_milestone, const void *arg, bs_err *err) {
    if (!json_is_object(doc)) return bs_err_set(err, BS_EINVAL, NULL, "a block must be a JSON object");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)doc, k, v) {
        if (!listed(k, BS_BLOCK_MEMBERS))
            return bs_err_set(err, BS_EINVAL, k,
                              "%.40s is not a member of a block (homes, kind, home_type, tenure, price_class, "
                              "target_group, milestone, period_from, period_to, correction, spread)",
                              k);
    }
    json_t *homes = json_object_get(doc, "homes"), *corr = json_object_get(doc, "correction");
    if (create && !homes)
        return bs_err_set(err, BS_EREQUIRED, "homes", "homes is required: the number of homes of the block");
    int rc = int_member(doc, "homes", -1000000, 1000000, false, err);
    if (rc) return rc;
    if (homes && json_integer_value(homes) == 0) return bs_err_set(err, BS_EINVAL, "homes", "homes must not be 0");
    if (corr && !json_is_boolean(corr))
        return bs_err_set(err, BS_EINVAL, "correction", "correction must be true or false");
    if (create && homes && json_integer_value(homes) < 0 && !json_is_true(corr))
        return bs_err_set(err, BS_EINVAL, "homes",
                          "homes must be positive; only a correction block has negative homes");
    if ((rc = code_member(doc, "kind", BS_BLOCK_KINDS, err)) ||
        (rc = code_member(doc, "home_type", BS_BLOCK_HOME_TYPES, err)) ||
        (rc = code_member(doc, "tenure", BS_BLOCK_TENURES, err)) ||
        (rc = code_member(doc, "price_class", BS_BLOCK_PRICE_CLASSES, err)) || (rc = target_group_member(doc, err)) ||
        (rc = milestone_member(doc, is_milestone, arg, err)) ||
        (rc = int_member(doc, "period_from", 1900, 2200, true, err)) ||
        (rc = int_member(doc, "period_to", 1900, 2200, true, err)) || (rc = spread_member(doc, err)))
        return rc;
    return cross_rules(doc, create, err);
}
