/*
 * The fast reader of one JSON Lines project (schedule_fast.h). Every rule below mirrors
 * bs_offline_state_parse and bs_whatif_apply (engine/core/whatif.c) for valid input; on
 * anything else it returns false and the general path answers.
 */
#include "schedule_fast.h"

#include <string.h>

#include "alloc.h"

typedef struct cur {
    const char *p, *end;
} cur;

static void skip_ws(cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static bool eat(cur *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A plain string: ASCII, no escape, no control character (else the general path). */
static bool str(cur *c, const char **s, size_t *n) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != '"') return false;
    const char *q = ++c->p;
    for (; c->p < c->end; c->p++) {
        unsigned char ch = (unsigned char)*c->p;
        if (ch == '"') {
            *s = q;
            *n = (size_t)(c->p - q);
            c->p++;
            return true;
        }
        if (ch == '\\' || ch < 0x20 || ch >= 0x80) return false;
    }
    return false;
}

/* An integer of at most 9 digits (no fraction, no exponent, no "-0"). */
static bool integer(cur *c, long long *v) {
    skip_ws(c);
    const char *q = c->p;
    bool neg = q < c->end && *q == '-';
    if (neg) q++;
    if (q >= c->end || *q < '0' || *q > '9') return false;
    if (*q == '0' && q + 1 < c->end && q[1] >= '0' && q[1] <= '9') return false;
    long long x = 0;
    int nd = 0;
    for (; q < c->end && *q >= '0' && *q <= '9'; q++) {
        x = x * 10 + (*q - '0');
        if (++nd > 9) return false;
    }
    if (q < c->end && (*q == '.' || *q == 'e' || *q == 'E')) return false;
    if (neg && x == 0) return false;
    *v = neg ? -x : x;
    c->p = q;
    return true;
}

/* true, false or null: 1, 0, 2; -1 for anything else (nothing consumed). */
static int literal(cur *c) {
    skip_ws(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "true", 4) == 0) return c->p += 4, 1;
    if (left >= 5 && memcmp(c->p, "false", 5) == 0) return c->p += 5, 0;
    if (left >= 4 && memcmp(c->p, "null", 4) == 0) return c->p += 4, 2;
    return -1;
}

static bool boolean(cur *c, bool *v) {
    int l = literal(c);
    if (l != 0 && l != 1) return false;
    *v = l == 1;
    return true;
}

/* A date "YYYY-MM-DD"; with allow_null, null gives BS_DAY_NONE. */
static bool date(cur *c, bs_day *d, bool allow_null) {
    if (allow_null && literal(c) == 2) return *d = BS_DAY_NONE, true;
    const char *s;
    size_t n;
    char b[11];
    if (!str(c, &s, &n) || n != 10) return false;
    memcpy(b, s, 10);
    b[10] = 0;
    return bs_date_parse(b, d) == 0;
}

/* An integer in [lo, hi]; null gives *present = false (an absent member). */
static bool int_or_null(cur *c, long long lo, long long hi, long long *v, bool *present) {
    if (literal(c) == 2) return *present = false, true;
    *present = true;
    return integer(c, v) && *v >= lo && *v <= hi;
}

/* A member name and its length. */
typedef struct name {
    const char *s;
    size_t n;
} name;

#define NAME(lit)                                                                                                      \
    { lit, sizeof(lit) - 1 }

/* The member name of the next key out of names (n of them), unseen before: its index, -1 else. */
static int member(cur *c, const name *names, int n, unsigned *seen) {
    const char *s;
    size_t len;
    if (!str(c, &s, &len) || !eat(c, ':')) return -1;
    for (int k = 0; k < n; k++)
        if (names[k].n == len && memcmp(names[k].s, s, len) == 0) {
            if (*seen & (1u << k)) return -1;
            *seen |= 1u << k;
            return k;
        }
    return -1;
}

/* After a member: ',' (another follows: true, *more) or '}' / ']' (close). */
static bool next(cur *c, char close, bool *more) {
    if (eat(c, ',')) return *more = true, true;
    *more = false;
    return eat(c, close);
}

static uint32_t hash(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t k = 0; k < n; k++) h = (h ^ (unsigned char)s[k]) * 16777619u;
    return h;
}

void bs_fast_reader_init(bs_fast_reader *r, const bs_schema *schema) {
    uint32_t size = 16;
    while (size < 2u * (uint32_t)schema->n_steps) size *= 2;
    r->schema = schema;
    r->mask = size - 1;
    r->slots = bs_calloc(size, sizeof *r->slots);
    r->seen = bs_calloc((size_t)schema->n_steps + 1, 1);
    for (int32_t i = 0; i < schema->n_steps; i++) {
        const char *k = schema->steps[i].key;
        uint32_t h = hash(k, strlen(k)) & r->mask;
        while (r->slots[h]) h = (h + 1) & r->mask;
        r->slots[h] = i + 1;
    }
}

void bs_fast_reader_free(bs_fast_reader *r) {
    free(r->slots);
    free(r->seen);
    r->slots = NULL;
    r->seen = NULL;
}

/* A step key (string) → index, -1 when unknown or not plain. */
static int32_t step_key(cur *c, const bs_fast_reader *r) {
    const char *s;
    size_t n;
    if (!str(c, &s, &n)) return -1;
    for (uint32_t h = hash(s, n) & r->mask; r->slots[h]; h = (h + 1) & r->mask) {
        const char *k = r->schema->steps[r->slots[h] - 1].key;
        if (strncmp(k, s, n) == 0 && k[n] == 0) return r->slots[h] - 1;
    }
    return -1;
}

typedef struct step_in {
    int status;
    bs_day as, af, snet, fnlt;
    bool est, has_est, has_snet, has_fnlt, has_rem, has_dur;
    long long rem, dur;
} step_in;

static bool step_member(cur *c, int k, step_in *v) {
    static const char *const st[] = {"open", "started", "done", "skipped"};
    const char *s;
    size_t n;
    switch (k) {
    case 0:
        if (!str(c, &s, &n)) return false;
        for (int q = 0; q < 4; q++)
            if (strlen(st[q]) == n && memcmp(st[q], s, n) == 0) v->status = q;
        return v->status >= 0;
    case 1: return date(c, &v->as, true);
    case 2: return date(c, &v->af, true);
    case 3: return v->has_est = true, boolean(c, &v->est);
    case 4: return int_or_null(c, 0, 36500, &v->rem, &v->has_rem);
    case 5: return int_or_null(c, 0, 36500, &v->dur, &v->has_dur);
    case 6: return v->has_snet = true, date(c, &v->snet, true);
    default: return v->has_fnlt = true, date(c, &v->fnlt, true);
    }
}

/* One step's state {…}, applied in the order of bs_offline_state_parse. */
static bool read_step(cur *c, const bs_schema *schema, int32_t i, bs_progress *pg, bs_step_override *ov) {
    static const name names[] = {
        NAME("status"),    NAME("actual_start"), NAME("actual_finish"),         NAME("actual_estimated"),
        NAME("remaining"), NAME("duration"),     NAME("start_no_earlier_than"), NAME("finish_no_later_than")};
    step_in v = {.status = -1, .as = BS_DAY_NONE, .af = BS_DAY_NONE};
    unsigned seen = 0;
    bool more = !eat(c, '}'); /* the '{' is read by read_steps */
    while (more) {
        int k = member(c, names, 8, &seen);
        if (k < 0 || !step_member(c, k, &v) || !next(c, '}', &more)) return false;
    }
    if (v.status >= 0) pg->status = (bs_step_status)v.status;
    if (v.as != BS_DAY_NONE) pg->actual_start = v.as;
    if (v.af != BS_DAY_NONE) pg->actual_finish = v.af;
    if (v.has_est) pg->actual_estimated = v.est;
    if (pg->status == BS_STATUS_DONE && pg->actual_finish == BS_DAY_NONE) pg->actual_estimated = true;
    if (pg->status == BS_STATUS_STARTED && pg->actual_start == BS_DAY_NONE) return false;
    if (v.has_rem) ov->remaining = (int32_t)v.rem;
    if (v.has_dur) {
        if (schema->steps[i].milestone && v.dur != 0) return false;
        ov->duration = (int32_t)v.dur;
    }
    if (v.has_snet) ov->snet = v.snet;
    if (v.has_fnlt) ov->fnlt = v.fnlt;
    return true;
}

/* "steps": {key: state, …}; seen has n_steps entries. */
static bool read_steps(cur *c, const bs_fast_reader *r, bs_progress *progress, bs_sched_edit *e) {
    const bs_schema *schema = r->schema;
    unsigned char *seen = r->seen;
    memset(seen, 0, (size_t)schema->n_steps);
    if (!eat(c, '{')) return false;
    bool more = !eat(c, '}');
    while (more) {
        int32_t i = step_key(c, r);
        if (i < 0 || seen[i] || !eat(c, ':') || !eat(c, '{')) return false;
        seen[i] = 1;
        if (!read_step(c, schema, i, &progress[i], &e->ov[i]) || !next(c, '}', &more)) return false;
    }
    return true;
}

/* One what-if change: add_link only, as bs_whatif_apply does it. */
static bool read_change(cur *c, const bs_fast_reader *r, bs_sched_edit *e) {
    static const name names[] = {NAME("op"), NAME("pred"), NAME("succ"), NAME("type"), NAME("lag"), NAME("lag_unit")};
    unsigned seen = 0;
    int32_t a = -1, b = -1;
    bs_link nl = {0, 0, BS_LINK_FS, 0, BS_UNIT_WORKING_DAYS};
    bool is_add = false, more = !eat(c, '}');
    while (more) {
        int k = member(c, names, 6, &seen);
        const char *s;
        size_t n;
        char t[16];
        long long lag;
        bool present;
        if (k == 0) {
            if (!str(c, &s, &n)) return false;
            is_add = n == 8 && memcmp(s, "add_link", 8) == 0;
        } else if (k == 1 || k == 2) {
            int32_t i = step_key(c, r);
            if (i < 0) return false;
            *(k == 1 ? &a : &b) = i;
        } else if (k == 3 || k == 5) {
            if (!str(c, &s, &n) || n >= sizeof t) return false;
            memcpy(t, s, n);
            t[n] = 0;
            if (k == 3 ? bs_link_type_parse(t, &nl.type) != 0 : bs_unit_parse(t, &nl.lag_unit) != 0) return false;
        } else if (k == 4) {
            if (!int_or_null(c, -3650, 3650, &lag, &present)) return false;
            if (present) nl.lag = (int32_t)lag;
        } else {
            return false;
        }
        if (!next(c, '}', &more)) return false;
    }
    if (!is_add || a < 0 || b < 0 || a == b || bs_sched_edit_find_link_typed(e, a, b, nl.type) >= 0) return false;
    nl.pred = a;
    nl.succ = b;
    if (e->n_links == e->cap_links) {
        int32_t nc = e->cap_links * 2 + 8;
        e->links = bs_realloc(e->links, sizeof *e->links * (size_t)nc);
        e->cap_links = nc;
    }
    e->links[e->n_links++] = nl;
    return true;
}

static bool read_changes(cur *c, const bs_fast_reader *r, bs_sched_edit *e) {
    if (!eat(c, '[')) return false;
    bool more = !eat(c, ']');
    while (more)
        if (!eat(c, '{') || !read_change(c, r, e) || !next(c, ']', &more)) return false;
    return true;
}

static bool read_calendar(cur *c, bs_fast_line *out) {
    static const name names[] = {NAME("every_day_working"), NAME("goede_vrijdag"), NAME("bevrijdingsdag")};
    static const char *const rules[] = {"never", "lustrum", "yearly"};
    unsigned seen = 0;
    if (!eat(c, '{')) return false;
    bool more = !eat(c, '}');
    while (more) {
        int k = member(c, names, 3, &seen);
        const char *s;
        size_t n;
        bool ok = false;
        if (k == 0) ok = boolean(c, &out->every_day);
        if (k == 1) ok = boolean(c, &out->cal.goede_vrijdag);
        if (k == 2 && str(c, &s, &n))
            for (int q = 0; q < 3; q++)
                if (strlen(rules[q]) == n && memcmp(rules[q], s, n) == 0) {
                    out->cal.bevrijdingsdag = (bs_bevrijdingsdag_rule)q;
                    ok = true;
                }
        if (!ok || !next(c, '}', &more)) return false;
    }
    return true;
}

/* "id": an integer or a plain string, kept as its JSON text. */
static bool read_id(cur *c, bs_fast_line *out) {
    skip_ws(c);
    const char *start = c->p, *s;
    size_t n;
    long long v;
    if (!integer(c, &v) && !str(c, &s, &n)) return false;
    out->id = start;
    out->id_len = (size_t)(c->p - start);
    return true;
}

bool bs_fast_line_read(bs_fast_reader *r, const char *text, size_t len, bs_progress *progress, bs_sched_edit *e,
                       bs_fast_line *out) {
    const bs_schema *schema = r->schema;
    static const name names[] = {NAME("id"),       NAME("data_date"), NAME("progress_date"), NAME("near_critical_days"),
                                 NAME("calendar"), NAME("steps"),     NAME("changes")};
    cur c = {text, text + len};
    *out = (bs_fast_line){.progress_date = BS_DAY_NONE, .data_date = BS_DAY_NONE, .cal = bs_calendar_default_options()};
    for (int32_t i = 0; i < schema->n_steps; i++)
        progress[i] = (bs_progress){BS_STATUS_OPEN, BS_DAY_NONE, BS_DAY_NONE, false};
    unsigned seen = 0;
    if (!eat(&c, '{')) return false;
    bool more = !eat(&c, '}');
    while (more) {
        int k = member(&c, names, 7, &seen);
        long long v;
        bool ok = false, present;
        switch (k) {
        case 0: ok = read_id(&c, out); break;
        case 1: ok = date(&c, &out->data_date, false); break;
        case 2: ok = date(&c, &out->progress_date, false); break;
        case 3:
            ok = int_or_null(&c, 0, 3650, &v, &present);
            if (ok && present) e->near_critical_wd = (int32_t)v;
            break;
        case 4: ok = read_calendar(&c, out); break;
        case 5: ok = read_steps(&c, r, progress, e); break;
        case 6: ok = read_changes(&c, r, e); break;
        default: return false;
        }
        if (!ok || !next(&c, '}', &more)) return false;
    }
    skip_ws(&c);
    if (c.p != c.end || out->data_date == BS_DAY_NONE) return false;
    return out->progress_date == BS_DAY_NONE || out->progress_date <= out->data_date;
}
