/*
 * iCalendar feed renderer on libical. See ical.h and docs/notifier.md.
 *
 * How libical is used: the calendar's own properties are icalproperty objects rendered
 * with icalproperty_as_ical_string_r; every event value is a libical value (icaltimetype
 * for DTSTART/DTEND/DTSTAMP/LAST-MODIFIED, icalvalue TEXT for SUMMARY/DESCRIPTION/
 * CATEGORIES) formatted and escaped by libical's _r functions, and the content lines are
 * assembled here. Building each VEVENT as an icalcomponent gives byte-identical output
 * but costs about 3.6 times as much (8.3 ms instead of 2.3 ms for 1,000 events,
 * docs/performance.md), above the 5 ms target.
 *
 * libical's own folding is not relied upon. 3.0.16 does keep UTF-8 sequences whole and
 * lines <= 75 octets in our probes, but it prefers to break after a space, ';' or ':'
 * (lines of 30 octets and folds between a character and its variation selector), and
 * neither property is documented as a guarantee. So whatever libical returns is unfolded
 * and every content line is folded here at <= 75 octets, on UTF-8 character boundaries
 * (RFC 5545 §3.1), the same way for every line.
 */
#include "ical.h"

#include <libical/ical.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define FOLD_OCTETS 75 /* RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets */

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in seconds since the epoch. */
#define MIN_EPOCH_S INT64_C(-62135596800)
#define MAX_EPOCH_S INT64_C(253402300799)

const char *bs_ical_strerror(int err) {
    switch (err) {
    case BS_OK: return "ok";
    case BS_EINVAL: return "invalid input";
    case BS_EINTERNAL: return "out of memory"; /* or libical failed: the render cannot tell */
    case BS_ETOOLARGE: return "buffer too small";
    default: return "unknown error";
    }
}

/* ---- growable byte buffer ---------------------------------------------------------- */

typedef struct sbuf {
    char *p; /* owned */
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed: everything after is dropped */
} sbuf;

static bool buf_reserve(sbuf *b, size_t extra) {
    if (b->failed) return false;
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    b->p = bs_realloc(b->p, cap);
    b->cap = cap;
    return true;
}

static void buf_add(sbuf *b, const void *s, size_t n) {
    if (!buf_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* ---- UTF-8 --------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes available), decoding it into *cp;
 * 0 when the bytes there are not a valid, shortest-form, non-surrogate sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* Code points that attach to the previous one (combining marks, variation selectors,
 * zero-width joiner, emoji modifiers and tags): a fold is better placed before the
 * character they belong to. Folding there would still be valid iCalendar. */
static bool is_extender(uint32_t cp) {
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) || (cp >= 0x1DC0 && cp <= 0x1DFF) ||
           (cp >= 0x20D0 && cp <= 0x20FF) || cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F) ||
           (cp >= 0xFE20 && cp <= 0xFE2F) || (cp >= 0x1F3FB && cp <= 0x1F3FF) || (cp >= 0xE0020 && cp <= 0xE007F) ||
           (cp >= 0xE0100 && cp <= 0xE01EF);
}

/*
 * Normalises caller text into b (reset first) as described in ical.h: CRLF / CR -> LF,
 * LF kept when multiline else a space, other C0 controls and DEL -> space, invalid UTF-8
 * -> U+FFFD. libical then does the RFC 5545 §3.3.11 escaping (\\ \; \, \n); what is
 * removed here are the characters it would escape in ways RFC 5545 does not define
 * (\t, \r, \b, \f) or pass through raw (other controls, which TSAFE-CHAR excludes).
 */
static const char *clean_text(sbuf *b, const char *s, bool multiline) {
    b->len = 0;
    if (!buf_reserve(b, 0)) return NULL;
    b->p[0] = '\0';
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == '\r' || c == '\n') {
            i += (c == '\r' && i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
            buf_add(b, multiline ? "\n" : " ", 1);
        } else if (c < 0x20 || c == 0x7F) {
            buf_add(b, " ", 1);
            i++;
        } else if (c < 0x80) {
            size_t j = i + 1; /* copy a run of plain ASCII at once */
            while (j < n && p[j] >= 0x20 && p[j] < 0x7F) j++;
            buf_add(b, p + i, j - i);
            i = j;
        } else {
            uint32_t cp;
            size_t len = utf8_decode(p + i, n - i, &cp);
            if (len == 0) {
                buf_add(b, "\xEF\xBF\xBD", 3); /* U+FFFD */
                i++;
            } else {
                buf_add(b, p + i, len);
                i += len;
            }
        }
    }
    return b->failed ? NULL : b->p;
}

/* ---- validation ---------------------------------------------------------------------- */

static bool day_ok(bs_day d) {
    /* 0001-01-01 .. 9999-12-31 */
    return d >= bs_date_from_ymd(1, 1, 1) && d <= bs_date_from_ymd(9999, 12, 31);
}

/* UID: printable ASCII without space (a TEXT value, but keeping it to these characters
 * means no escaping ever changes it between producers). */
static bool uid_ok(const char *s) {
    if (!s || !*s) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F || *p == ',' || *p == ';' || *p == '\\') return false;
    return true;
}

/* URL (RFC 3986 characters only; no escaping applies to URI values, RFC 5545 §3.3.13). */
static bool url_ok(const char *s) {
    if (!*s) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F || *p == '"' || *p == '<' || *p == '>' || *p == '\\' || *p == '^' || *p == '`' ||
            *p == '{' || *p == '|' || *p == '}')
            return false;
    return true;
}

static int validate(const bs_ical_calendar *cal) {
    if (!cal->name || !*cal->name) return BS_EINVAL;
    if (cal->refresh_minutes < 1 || cal->refresh_minutes > 7 * 24 * 60) return BS_EINVAL;
    if (cal->n_events && !cal->events) return BS_EINVAL;
    for (size_t i = 0; i < cal->n_events; i++) {
        const bs_ical_event *e = &cal->events[i];
        if (!uid_ok(e->uid) || !e->summary) return BS_EINVAL;
        /* DTEND = finish + 1 must still be a 4-digit year (RFC 5545 §3.3.4). */
        if (!day_ok(e->start) || !day_ok(e->finish) || e->finish < e->start ||
            e->finish >= bs_date_from_ymd(9999, 12, 31))
            return BS_EINVAL;
        if (e->sequence < 0) return BS_EINVAL;
        if (e->last_modified < MIN_EPOCH_S || e->last_modified > MAX_EPOCH_S) return BS_EINVAL;
        if (e->url && !url_ok(e->url)) return BS_EINVAL;
        if (e->n_categories && !e->categories) return BS_EINVAL;
        for (size_t k = 0; k < e->n_categories; k++)
            if (!e->categories[k]) return BS_EINVAL;
    }
    return BS_OK;
}

/* ---- libical values ------------------------------------------------------------------ */

static struct icaltimetype ical_date(bs_day day) {
    struct icaltimetype t = icaltime_null_date(); /* is_date = 1, no zone (floating) */
    bs_date_to_ymd(day, &t.year, &t.month, &t.day);
    return t;
}

/* UTC date-time from epoch seconds, computed with the engine's civil calendar (no libc
 * time zone state involved). RFC 5545 §3.3.5 form #2 (with "Z"). */
static struct icaltimetype ical_utc(int64_t epoch_s) {
    int64_t days = epoch_s / 86400, secs = epoch_s % 86400;
    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    struct icaltimetype t = icaltime_null_time();
    bs_date_to_ymd((bs_day)days, &t.year, &t.month, &t.day);
    t.hour = (int)(secs / 3600);
    t.minute = (int)(secs / 60 % 60);
    t.second = (int)(secs % 60);
    t.is_date = 0;
    t.zone = icaltimezone_get_utc_timezone(); /* static in libical: nothing allocated */
    return t;
}

static void fold_line(sbuf *out, const char *line, size_t n);
static void refold(sbuf *out, const char *s, size_t n, sbuf *line);

/* Renders prop (and frees it), unfolds libical's text and appends it folded to out;
 * false when prop is NULL or libical produced nothing. */
static bool emit_prop(sbuf *out, sbuf *line, icalproperty *prop) {
    if (!prop) return false;
    char *s = icalproperty_as_ical_string_r(prop);
    icalproperty_free(prop);
    if (!s) return false;
    refold(out, s, strlen(s), line);
    free(s);
    return true;
}

/* A de-facto X- property with a TEXT value (X-WR-CALNAME, X-WR-CALDESC), escaped per RFC
 * 5545 §3.3.11 here: libical 3.0 escapes backslash and newline in X- values but leaves
 * ';' and ',' raw (and adds VALUE=TEXT when given a TEXT value), so it is not used for
 * these two lines. text is already clean (clean_text). */
static void emit_x_text(sbuf *out, sbuf *line, const char *name, const char *text) {
    line->len = 0;
    buf_add(line, name, strlen(name));
    buf_add(line, ":", 1);
    for (const char *p = text; *p; p++) {
        if (*p == '\\' || *p == ';' || *p == ',') {
            char two[2] = {'\\', *p};
            buf_add(line, two, 2);
        } else if (*p == '\n') {
            buf_add(line, "\\n", 2);
        } else {
            buf_add(line, p, 1);
        }
    }
    if (!line->failed) fold_line(out, line->p, line->len);
    line->len = 0;
}

/* The VCALENDAR's own properties (RFC 5545 §3.6, §3.7; RFC 7986 §5). */
static bool emit_calendar_props(sbuf *out, sbuf *line, const bs_ical_calendar *cal, sbuf *t) {
    const char *s;
    if (!emit_prop(out, line, icalproperty_new_version("2.0")) ||
        !emit_prop(out, line, icalproperty_new_prodid(BS_ICAL_PRODID)) ||
        !emit_prop(out, line, icalproperty_new_calscale("GREGORIAN")) ||
        !emit_prop(out, line, icalproperty_new_method(ICAL_METHOD_PUBLISH)))
        return false;
    if (!(s = clean_text(t, cal->name, false)) || !emit_prop(out, line, icalproperty_new_name(s))) return false;
    emit_x_text(out, line, "X-WR-CALNAME", s);
    if (cal->description) {
        if (!(s = clean_text(t, cal->description, true)) || !emit_prop(out, line, icalproperty_new_description(s)))
            return false;
        emit_x_text(out, line, "X-WR-CALDESC", s);
    }
    struct icaldurationtype d = icaldurationtype_null_duration();
    d.minutes = (unsigned int)cal->refresh_minutes;
    icalproperty *ri = icalproperty_new_refreshinterval(d);
    if (!ri) return false;
    /* RFC 7986 §5.7 requires the VALUE=DURATION parameter even though it is the default. */
    icalparameter *vp = icalparameter_new_value(ICAL_VALUE_DURATION);
    if (!vp) {
        icalproperty_free(ri);
        return false;
    }
    icalproperty_add_parameter(ri, vp);
    if (!emit_prop(out, line, ri)) return false;
    /* X-PUBLISHED-TTL (Microsoft): same interval, a DURATION written as is. */
    char ttl[32];
    snprintf(ttl, sizeof ttl, "X-PUBLISHED-TTL:PT%dM", (int)cal->refresh_minutes);
    fold_line(out, ttl, strlen(ttl));
    return !out->failed && !line->failed;
}

/* One content line "NAME[;PARAMS]:" + libical's rendering of a value, folded into out.
 * value_str is malloc'd by libical (an _r function) and freed here; false if NULL. */
static bool emit_line(sbuf *out, sbuf *line, const char *head, char *value_str) {
    if (!value_str) return false;
    line->len = 0;
    buf_add(line, head, strlen(head));
    buf_add(line, value_str, strlen(value_str));
    free(value_str);
    if (line->failed) return false;
    fold_line(out, line->p, line->len);
    line->len = 0;
    return true;
}

/* A TEXT value (RFC 5545 §3.3.11) escaped by libical: icalvalue_new_text copies the
 * clean text, icalvalue_as_ical_string_r escapes \ ; , and newline. */
static bool emit_text(sbuf *out, sbuf *line, const char *head, const char *clean) {
    if (!clean) return false;
    icalvalue *v = icalvalue_new_text(clean);
    if (!v) return false;
    char *s = icalvalue_as_ical_string_r(v);
    icalvalue_free(v);
    return emit_line(out, line, head, s);
}

/*
 * One VEVENT (RFC 5545 §3.6.1). Values are made and formatted by libical (icaltimetype,
 * icalvalue, the _r string functions); the lines are assembled here rather than through
 * icalproperty/icalcomponent, which cost about three times as much per event (see
 * docs/performance.md) and whose folding is redone anyway. dtstamp_str is the DTSTAMP
 * value, formatted once per render.
 */
static bool emit_event(sbuf *out, sbuf *line, const bs_ical_event *e, const char *dtstamp_str, sbuf *t) {
    buf_add(out, "BEGIN:VEVENT\r\n", 14);
    /* UID: validated to printable ASCII without ',', ';', '\\': nothing to escape. */
    line->len = 0;
    buf_add(line, "UID:", 4);
    buf_add(line, e->uid, strlen(e->uid));
    if (line->failed) return false;
    fold_line(out, line->p, line->len);
    buf_add(out, "DTSTAMP:", 8); /* §3.8.7.2, UTC */
    buf_add(out, dtstamp_str, strlen(dtstamp_str));
    buf_add(out, "\r\n", 2);
    /* §3.8.2.4 / §3.8.2.2 with VALUE=DATE (§3.3.4): DTEND is exclusive (§3.6.1). */
    if (!emit_line(out, line, "DTSTART;VALUE=DATE:", icaltime_as_ical_string_r(ical_date(e->start))) ||
        !emit_line(out, line, "DTEND;VALUE=DATE:", icaltime_as_ical_string_r(ical_date(e->finish + 1))) ||
        !emit_text(out, line, "SUMMARY:", clean_text(t, e->summary, false)))
        return false;
    if (e->description && !emit_text(out, line, "DESCRIPTION:", clean_text(t, e->description, true))) return false;
    char seq[32];
    int n = snprintf(seq, sizeof seq, "SEQUENCE:%d\r\n", (int)e->sequence); /* §3.8.7.4 */
    buf_add(out, seq, (size_t)n);
    if (!emit_line(out, line, "LAST-MODIFIED:", icaltime_as_ical_string_r(ical_utc(e->last_modified)))) return false;
    buf_add(out, "TRANSP:TRANSPARENT\r\n", 20); /* §3.8.2.7 */
    if (e->url) {                               /* §3.8.4.6; URI values are not escaped (§3.3.13); validated */
        line->len = 0;
        buf_add(line, "URL:", 4);
        buf_add(line, e->url, strlen(e->url));
        if (line->failed) return false;
        fold_line(out, line->p, line->len);
    }
    for (size_t k = 0; k < e->n_categories; k++) /* §3.8.1.2, one property per category */
        if (!emit_text(out, line, "CATEGORIES:", clean_text(t, e->categories[k], false))) return false;
    buf_add(out, "END:VEVENT\r\n", 12);
    return !out->failed && !line->failed;
}

/* ---- folding ------------------------------------------------------------------------- */

/* Appends one logical content line (without line break) folded at <= FOLD_OCTETS octets
 * per physical line, CRLF SPACE between (RFC 5545 §3.1), never inside a UTF-8 sequence.
 * The line is valid UTF-8 (clean_text guarantees it for text; the rest is ASCII). */
static void fold_line(sbuf *out, const char *line, size_t n) {
    const unsigned char *p = (const unsigned char *)line;
    size_t pos = 0, room = FOLD_OCTETS;
    while (n - pos > room) {
        /* Last character boundary at or before pos + room. */
        size_t cut = pos + room;
        while (cut > pos && (p[cut] & 0xC0) == 0x80) cut--;
        /* Prefer not to separate a character from a combining mark / VS16 / ZWJ after it,
         * as long as at least half the room is used. */
        size_t alt = cut;
        for (int tries = 0; tries < 8 && alt > pos + room / 2; tries++) {
            uint32_t cp;
            if (utf8_decode(p + alt, n - alt, &cp) == 0 || !is_extender(cp)) break;
            alt--;
            while (alt > pos && (p[alt] & 0xC0) == 0x80) alt--;
        }
        {
            uint32_t cp;
            if (utf8_decode(p + alt, n - alt, &cp) != 0 && !is_extender(cp)) cut = alt;
        }
        if (cut == pos) /* cannot happen with valid UTF-8 (a sequence is <= 4 octets) */
            cut = pos + room;
        buf_add(out, p + pos, cut - pos);
        buf_add(out, "\r\n ", 3);
        pos = cut;
        room = FOLD_OCTETS - 1; /* the leading space counts */
    }
    buf_add(out, p + pos, n - pos);
    buf_add(out, "\r\n", 2);
}

/* Unfolds libical's output (line breaks "\r\n" or "\n"; a break followed by a space or
 * tab is a fold) and writes every content line folded again into out. */
static void refold(sbuf *out, const char *s, size_t n, sbuf *line) {
    size_t i = 0;
    line->len = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '\r' && s[j] != '\n') j++;
        buf_add(line, s + i, j - i);
        size_t k = j;
        if (k < n && s[k] == '\r') k++;
        if (k < n && s[k] == '\n') k++;
        if (k < n && (s[k] == ' ' || s[k] == '\t')) {
            i = k + 1; /* a fold: the logical line goes on */
            continue;
        }
        if (line->len) fold_line(out, line->p, line->len);
        line->len = 0;
        i = k;
    }
}

/* ---- render -------------------------------------------------------------------------- */

int bs_ical_render(const bs_ical_calendar *cal, int64_t dtstamp, char **out, size_t *out_len) {
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!cal || !out) return BS_EINVAL;
    int rc = validate(cal);
    if (rc) return rc;
    if (dtstamp < MIN_EPOCH_S || dtstamp > MAX_EPOCH_S) return BS_EINVAL;

    sbuf text = {0}, line = {0}, res = {0};
    char *dtstamp_str = NULL;
    rc = BS_EINTERNAL;
    /* about 640 octets per event in practice: reserve once */
    if (!buf_reserve(&res, 1024 + cal->n_events * 700)) goto done;
    buf_add(&res, "BEGIN:VCALENDAR\r\n", 17);
    if (!emit_calendar_props(&res, &line, cal, &text)) goto done;
    dtstamp_str = icaltime_as_ical_string_r(ical_utc(dtstamp));
    if (!dtstamp_str) goto done;
    for (size_t i = 0; i < cal->n_events; i++)
        if (!emit_event(&res, &line, &cal->events[i], dtstamp_str, &text)) goto done;
    buf_add(&res, "END:VCALENDAR\r\n", 15);
    if (res.failed || line.failed || text.failed) goto done;
    *out = res.p;
    res.p = NULL;
    if (out_len) *out_len = res.len;
    rc = BS_OK;
done:
    free(dtstamp_str);
    free(text.p);
    free(line.p);
    free(res.p);
    return rc;
}

/* ---- UID and ETag -------------------------------------------------------------------- */

static bool key_ok(const char *s) {
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
    }
    return n >= 1 && n <= 64;
}

int bs_ical_uid(const char *project_uuid, const char *step_key, const char *kind, char *buf, size_t cap) {
    if (!project_uuid || !step_key || !kind || !buf) return BS_EINVAL;
    if (strlen(project_uuid) != 36 || !key_ok(step_key) || !key_ok(kind)) return BS_EINVAL;
    char uuid[37];
    for (int i = 0; i < 36; i++) {
        char c = project_uuid[i];
        bool hyphen = (i == 8 || i == 13 || i == 18 || i == 23);
        if (hyphen != (c == '-')) return BS_EINVAL;
        if (!hyphen) {
            if (c >= 'A' && c <= 'F')
                c = (char)(c - 'A' + 'a');
            else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                return BS_EINVAL;
        }
        uuid[i] = c;
    }
    uuid[36] = '\0';
    int n = snprintf(buf, cap, "%s.%s.%s@bouwstroom", step_key, kind, uuid);
    if (n < 0 || (size_t)n >= cap) {
        if (cap) buf[0] = '\0';
        return BS_ETOOLARGE;
    }
    return n;
}

/* FNV-1a 64 over the bytes, then the splitmix64 finaliser for a well-mixed result. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

int bs_ical_etag(const char *feed_identity, uint64_t revision, char buf[static BS_ICAL_ETAG_MAX]) {
    if (!feed_identity || !buf) return BS_EINVAL;
    unsigned char bytes[9];
    bytes[0] = BS_ICAL_FORMAT_VERSION;
    for (int i = 0; i < 8; i++) bytes[1 + i] = (unsigned char)(revision >> (8 * i));
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    h = fnv1a(h, bytes, 1);
    h = fnv1a(h, feed_identity, strlen(feed_identity) + 1); /* with its NUL: a separator */
    h = fnv1a(h, bytes + 1, 8);
    h ^= h >> 30;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h *= UINT64_C(0x94d049bb133111eb);
    h ^= h >> 31;
    return snprintf(buf, BS_ICAL_ETAG_MAX, "W/\"bsf%d-%016llx\"", BS_ICAL_FORMAT_VERSION, (unsigned long long)h);
}

void bs_ical_shutdown(void) {
    icaltimezone_free_builtin_timezones();
}
