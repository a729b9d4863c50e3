/*
 * Fuzz target: the iCalendar feed's text handling (notifier/ical.c, bs_ical_render): the
 * normalisation of caller text (line breaks, controls, invalid UTF-8), the TEXT escaping of
 * RFC 5545 §3.3.11 and the folding of content lines at 75 octets on UTF-8 boundaries (§3.1),
 * plus the UID and ETag helpers. An input is NUL-separated fields: calendar name, calendar
 * description, summary, event description, two categories, url, uid.
 *
 * The oracle is written here from the documentation (ical.h), independently of the renderer:
 * the input is valid exactly when the documented rules say so; the output is UTF-8, every
 * physical line ends in CRLF, is at most 75 octets and is UTF-8 on its own, a continuation
 * starts with a space; unfolded and unescaped, each text property is the input normalised as
 * documented (CRLF, CR and LF a newline where the value may span lines, else a space; other
 * controls a space; each byte that is not part of valid UTF-8 U+FFFD).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fuzz.h"
#include "ical.h"

/* Length of the valid, shortest-form, non-surrogate UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    if (s[0] < 0x80) return 1;
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (!len || len > n || s[0] > 0xF4) return 0;
    uint32_t cp = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

static bool utf8_ok(const char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len((const unsigned char *)s + i, n - i);
        if (!l) return false;
        i += l;
    }
    return true;
}

/* The documented normalisation of a text (ical.h "Text"). Caller frees. */
static char *normalise(const char *s, bool multiline) {
    size_t n = strlen(s), o = 0;
    char *out = bs_malloc(3 * n + 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' || c == '\n') {
            out[o++] = multiline ? '\n' : ' ';
            i += c == '\r' && s[i + 1] == '\n' ? 2 : 1;
        } else if (c < 0x20 || c == 0x7F) {
            out[o++] = ' ';
            i++;
        } else {
            size_t l = utf8_len((const unsigned char *)s + i, n - i);
            if (l) {
                memcpy(out + o, s + i, l);
                o += l;
                i += l;
            } else {
                memcpy(out + o, "\xEF\xBF\xBD", 3);
                o += 3;
                i++;
            }
        }
    }
    out[o] = 0;
    return out;
}

/* RFC 5545 §3.3.11 unescaping of a TEXT value; NULL when it holds an escape the RFC does not
 * define or a raw ',' ';' (a TEXT value with one item). Caller frees. */
static char *unescape(const char *v, size_t n) {
    char *out = bs_malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ',' || v[i] == ';') {
            free(out);
            return NULL;
        }
        if (v[i] != '\\') {
            out[o++] = v[i];
            continue;
        }
        char e = i + 1 < n ? v[++i] : 0;
        if (e == 'n' || e == 'N')
            out[o++] = '\n';
        else if (e == '\\' || e == ';' || e == ',')
            out[o++] = e;
        else {
            free(out);
            return NULL;
        }
    }
    out[o] = 0;
    return out;
}

/* Checks the physical lines and returns the unfolded text (caller frees). */
static char *check_lines_unfold(const char *ics, size_t len) {
    bs_fuzz_check(strlen(ics) == len && utf8_ok(ics, len));
    char *u = bs_malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        const char *crlf = strstr(ics + i, "\r\n");
        bs_fuzz_check(crlf != NULL);
        size_t n = (size_t)(crlf - (ics + i));
        bs_fuzz_check(n <= 75 && n > 0 && utf8_ok(ics + i, n));
        for (size_t k = 0; k < n; k++) bs_fuzz_check((unsigned char)ics[i + k] >= 0x20 && ics[i + k] != 0x7F);
        bool cont = ics[i] == ' ';
        if (!cont && o) u[o++] = '\n';
        memcpy(u + o, ics + i + cont, n - cont);
        o += n - cont;
        i += n + 2;
    }
    u[o] = 0;
    return u;
}

/* The start of the unfolded line that is exactly line. */
static const char *find_line(const char *unfolded, const char *line) {
    size_t n = strlen(line);
    for (const char *p = unfolded;; p++) {
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || !p[n])) return p;
        if (!(p = strchr(p, '\n'))) return NULL;
    }
}

/* The value of the k-th (0-based) unfolded line that starts with head after the line from. */
static const char *find_value(const char *unfolded, const char *from, const char *head, int k, size_t *n) {
    const char *p = find_line(unfolded, from);
    bs_fuzz_check(p != NULL);
    size_t hl = strlen(head);
    for (;;) {
        if (strncmp(p, head, hl) == 0 && k-- == 0) break;
        p = strchr(p, '\n');
        bs_fuzz_check(p != NULL);
        p++;
    }
    p += hl;
    *n = strcspn(p, "\n");
    return p;
}

static void check_text(const char *unfolded, const char *from, const char *head, int k, const char *input,
                       bool multiline) {
    size_t n;
    const char *v = find_value(unfolded, from, head, k, &n);
    char *got = unescape(v, n), *want = normalise(input, multiline);
    bs_fuzz_check(got != NULL && strcmp(got, want) == 0);
    free(got);
    free(want);
}

static bool uid_ok(const char *s) {
    if (!*s) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F || strchr(",;\\", *p)) return false;
    return true;
}

static bool url_ok(const char *s) {
    if (!*s) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F || strchr("\"<>\\^`{|}", *p)) return false;
    return true;
}

static void helpers(const bs_fuzz_fields *f) {
    char buf[BS_ICAL_UID_MAX], small[16], etag[BS_ICAL_ETAG_MAX];
    int n = bs_ical_uid(f->field[7], f->field[4], f->field[5], buf, sizeof buf);
    bs_fuzz_check(n == BS_EINVAL || (n > 0 && (size_t)n == strlen(buf) && (size_t)n < sizeof buf && uid_ok(buf)));
    n = bs_ical_uid(f->field[7], f->field[4], f->field[5], small, sizeof small);
    bs_fuzz_check(n == BS_EINVAL || n == BS_ETOOLARGE || (n > 0 && (size_t)n < sizeof small));
    n = bs_ical_etag(f->field[0], f->len[1], etag);
    bs_fuzz_check(n > 0 && (size_t)n == strlen(etag) && (size_t)n < sizeof etag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bs_fuzz_fields f;
    bs_fuzz_split(&f, data, size, 0, 8);
    const char *cats[2] = {f.field[4], f.field[5]};
    bs_day start = bs_date_from_ymd(2024, 6, 3);
    bs_ical_event ev = {.uid = f.field[7],
                        .summary = f.field[2],
                        .description = f.field[3],
                        .start = start,
                        .finish = start + 4,
                        .sequence = 1,
                        .last_modified = 1717000000,
                        .url = f.field[6][0] ? f.field[6] : NULL,
                        .categories = cats,
                        .n_categories = 2};
    bs_ical_calendar cal = {
        .name = f.field[0], .description = f.field[1], .refresh_minutes = 60, .events = &ev, .n_events = 1};
    bool valid = f.field[0][0] && uid_ok(ev.uid) && (!ev.url || url_ok(ev.url));
    char *ics = NULL;
    size_t len = 0;
    int rc = bs_ical_render(&cal, 1717171717, &ics, &len);
    bs_fuzz_check(valid ? rc == BS_OK : rc == BS_EINVAL);
    if (rc == BS_OK) {
        char *u = check_lines_unfold(ics, len);
        check_text(u, "BEGIN:VCALENDAR", "NAME:", 0, f.field[0], false);
        check_text(u, "BEGIN:VCALENDAR", "X-WR-CALNAME:", 0, f.field[0], false);
        check_text(u, "BEGIN:VCALENDAR", "DESCRIPTION:", 0, f.field[1], true);
        check_text(u, "BEGIN:VCALENDAR", "X-WR-CALDESC:", 0, f.field[1], true);
        check_text(u, "BEGIN:VEVENT", "SUMMARY:", 0, f.field[2], false);
        check_text(u, "BEGIN:VEVENT", "DESCRIPTION:", 0, f.field[3], true);
        check_text(u, "BEGIN:VEVENT", "CATEGORIES:", 0, f.field[4], false);
        check_text(u, "BEGIN:VEVENT", "CATEGORIES:", 1, f.field[5], false);
        free(u);
    } else {
        bs_fuzz_check(ics == NULL);
    }
    free(ics);
    helpers(&f);
    bs_fuzz_fields_free(&f);
    return 0;
}
