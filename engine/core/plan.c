/*
 * Bouwstroom engine core: plan code lists and the initial process state of a plan.
 *
 * Pure functions over strings and the schema; no I/O, no locale (ASCII case folding).
 * Spellings handled are those of the provincial inventories compiled by EIB (2020), see
 * domain brief §5; the code list is the national "planologische status" (§2).
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static const char *const PLANSTATUS_CODES[] = {"1A", "1B", "1C", "2A", "2B", "2C", "3", "4A", "4B", "onbekend"};
#define N_PLANSTATUS_CODES (sizeof PLANSTATUS_CODES / sizeof PLANSTATUS_CODES[0])

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Folds raw into out: ASCII lower case, leading/trailing white space dropped, inner runs of
 * white space collapsed to one space. Truncates at n - 1 bytes. Returns the length. */
static size_t fold(const char *raw, char *out, size_t n) {
    size_t o = 0;
    bool space = false;
    for (const char *p = raw; *p && o + 1 < n; p++) {
        if (is_space(*p)) {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < n) out[o++] = ' ';
        space = false;
        out[o++] = lower(*p);
    }
    out[o] = '\0';
    return o;
}

static bool starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Normalises a planstatus spelling to its code (see plan.h).
 * Rule: after folding case and white space, "" / "onbekend" / "status onbekend" → "onbekend"
 * (recognised); otherwise a leading code token: "1"/"2" + a/b/c, "4" + a/b (white space
 * between digit and letter tolerated), or "3", each followed by the end of the text or a
 * character that is not a letter or digit ("1A Onherroepelijk", "2C vastgesteld + …",
 * "3 In voorbereiding", "4b: optie"). Anything else → "onbekend" with *recognised = false
 * (e.g. "Onherroepelijk" without a code, "3A", "5"). recognised may be NULL. */
const char *bs_planstatus_normalise(const char *raw, bool *recognised) {
    bool dummy;
    if (!recognised) recognised = &dummy;
    *recognised = true;
    if (!raw) return "onbekend";
    char f[64];
    size_t n = fold(raw, f, sizeof f);
    if (n == 0 || strcmp(f, "onbekend") == 0 || strcmp(f, "status onbekend") == 0) return "onbekend";

    size_t k = 1;
    if (f[0] == '3') {
        if (!is_alnum(f[1])) return "3";
    } else if (f[0] == '1' || f[0] == '2' || f[0] == '4') {
        while (f[k] == ' ') k++;
        char letter = f[k];
        bool ok = letter == 'a' || letter == 'b' || (letter == 'c' && f[0] != '4');
        if (ok && !is_alnum(f[k + 1])) {
            static const char *const codes[3][3] = {{"1A", "1B", "1C"}, {"2A", "2B", "2C"}, {"4A", "4B", NULL}};
            int row = f[0] == '1' ? 0 : f[0] == '2' ? 1 : 2;
            return codes[row][letter - 'a'];
        }
    }
    *recognised = false;
    return "onbekend";
}

/* True for one of "1A","1B","1C","2A","2B","2C","3","4A","4B","onbekend" (exact). */
bool bs_planstatus_valid(const char *code) {
    if (!code) return false;
    for (size_t i = 0; i < N_PLANSTATUS_CODES; i++)
        if (strcmp(code, PLANSTATUS_CODES[i]) == 0) return true;
    return false;
}

/* Normalises a plantype spelling (see plan.h). After folding case and white space:
 * "" → onbekend (recognised); "onbekend" → onbekend (recognised); by leading word:
 *   verdichting…, inbreiding…, binnenstedelijk… → "verdichting"
 *     ("Verdichting", "Verdichtingslocatie");
 *   uitleg… → "uitleg" ("Uitleg", "Uitleggebied voor woningbouw");
 *   transformatie…, functieverandering…, functiewijziging… → "transformatie"
 *     ("Functieverandering Kantoren", "Functieverandering onbekend wat", …);
 *   herstructurering…, sloop… → "herstructurering" ("Sloop", "Sloop/nieuwbouw (woningen)").
 * Anything else → "onbekend" with *recognised = false. recognised may be NULL. */
const char *bs_plantype_normalise(const char *raw, bool *recognised) {
    static const struct {
        const char *prefix;
        const char *code;
    } map[] = {
        {"verdichting", "verdichting"},        {"inbreiding", "verdichting"},
        {"binnenstedelijk", "verdichting"},    {"uitleg", "uitleg"},
        {"transformatie", "transformatie"},    {"functieverandering", "transformatie"},
        {"functiewijziging", "transformatie"}, {"herstructurering", "herstructurering"},
        {"sloop", "herstructurering"},
    };
    bool dummy;
    if (!recognised) recognised = &dummy;
    *recognised = true;
    if (!raw) return "onbekend";
    char f[64];
    size_t n = fold(raw, f, sizeof f);
    if (n == 0 || strcmp(f, "onbekend") == 0) return "onbekend";
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (starts_with(f, map[i].prefix)) return map[i].code;
    *recognised = false;
    return "onbekend";
}

/* Step key realised by a plan with this planstatus code (see plan.h); NULL for 4A, 4B,
 * onbekend, NULL and invalid codes. The mapping follows domain brief §2: 3 ≈ plan in
 * voorbereiding (principeakkoord given), 2x ≈ vastgesteld, 1x ≈ onherroepelijk. */
const char *bs_planstatus_realised_through(const char *code) {
    if (!code) return NULL;
    if (strcmp(code, "3") == 0) return "principeakkoord";
    if (strcmp(code, "2A") == 0 || strcmp(code, "2B") == 0 || strcmp(code, "2C") == 0)
        return "omgevingsplan_vastgesteld";
    if (strcmp(code, "1A") == 0 || strcmp(code, "1B") == 0 || strcmp(code, "1C") == 0)
        return "omgevingsplan_onherroepelijk";
    return NULL;
}

/* Initial progress of a plan imported with a planstatus code (see plan.h).
 * Every step gets actual_start = actual_finish = BS_DAY_NONE. Steps that do not apply to
 * the code (bs_schema_step_applies) are SKIPPED; the realised-through step and all its
 * transitive predecessors over every link (both streams, any link type) are DONE with
 * actual_estimated = true, unless SKIPPED; the rest is OPEN. A NULL code counts as
 * "onbekend". Returns 0; -1 when the code is not a valid planstatus code or the
 * realised-through step is not in the schema (progress is then written with OPEN and
 * SKIPPED only), or on allocation failure. */
int bs_plan_initial_progress(const bs_schema *schema, const char *planstatus_code, bs_progress *progress) {
    if (!schema || !progress) return -1;
    const char *code = planstatus_code ? planstatus_code : "onbekend";
    for (int32_t i = 0; i < schema->n_steps; i++) {
        progress[i] = (bs_progress){
            .status = bs_schema_step_applies(schema, i, code) ? BS_STATUS_OPEN : BS_STATUS_SKIPPED,
            .actual_start = BS_DAY_NONE,
            .actual_finish = BS_DAY_NONE,
            .actual_estimated = false,
        };
    }
    if (!bs_planstatus_valid(code)) return -1;
    const char *through = bs_planstatus_realised_through(code);
    if (!through) return 0;
    int32_t target = bs_schema_find(schema, through);
    if (target < 0) return -1;

    /* depth-first walk backwards over the links */
    bool *seen = bs_calloc((size_t)schema->n_steps, sizeof *seen);
    int32_t *stack = bs_malloc((size_t)schema->n_steps * sizeof *stack);
    int32_t sp = 0;
    seen[target] = true;
    stack[sp++] = target;
    while (sp > 0) {
        int32_t v = stack[--sp];
        if (progress[v].status != BS_STATUS_SKIPPED) {
            progress[v].status = BS_STATUS_DONE;
            progress[v].actual_estimated = true;
        }
        const bs_step *st = &schema->steps[v];
        for (int32_t k = 0; k < st->n_preds; k++) {
            int32_t p = schema->links[st->preds[k]].pred;
            if (!seen[p]) {
                seen[p] = true;
                stack[sp++] = p;
            }
        }
    }
    free(seen);
    free(stack);
    return 0;
}
