/*
 * Alert e-mail rendering. See mail.h.
 */
#include "mail.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "calendar.h"

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

/* Makes room for n more bytes and the NUL. */
static void reserve(buf *b, size_t n) {
    if (b->len + n + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1) cap *= 2;
    b->p = bs_realloc(b->p, cap);
    b->cap = cap;
}

static void put(buf *b, const char *s, size_t n) {
    reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void puts_(buf *b, const char *s) {
    put(b, s, strlen(s));
}

static void putc_(buf *b, char c) {
    put(b, &c, 1);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(buf *b, const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n) v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n) v |= s[i + 2];
        putc_(b, b64[(v >> 18) & 63]);
        putc_(b, b64[(v >> 12) & 63]);
        putc_(b, i + 1 < n ? b64[(v >> 6) & 63] : '=');
        putc_(b, i + 2 < n ? b64[v & 63] : '=');
    }
}

static bool needs_encoding(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e) return true;
    return false;
}

/* Length of the UTF-8 sequence starting with byte c (1 for invalid lead bytes). */
static size_t utf8_len(unsigned char c) {
    if (c >= 0xf0 && c < 0xf8) return 4;
    if (c >= 0xe0) return 3;
    if (c >= 0xc0) return 2;
    return 1;
}

char *bs_mail_encode_header(const char *s, size_t name_len) {
    buf b = {0};
    if (!needs_encoding(s)) {
        /* RFC 5322 §2.2.3: fold at white space so that lines stay within 78 characters */
        size_t col = name_len;
        const char *p = s;
        while (*p) {
            const char *sp = strchr(p + 1, ' ');
            size_t word = sp ? (size_t)(sp - p) : strlen(p);
            if (col + word > 78 && p != s && *p == ' ') {
                puts_(&b, "\r\n");
                col = 0;
            }
            put(&b, p, word);
            col += word;
            p += word;
        }
        return b.p ? b.p : bs_strdup("");
    }
    /* "=?UTF-8?B?" + base64 + "?=" ≤ 75 chars: 12 chars overhead leaves 63 → 45 bytes (15 groups of 3).
     * The first word shares its line with the field name: keep lines ≤ 78. */
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t i = 0;
    bool first = true;
    while (i < n) {
        size_t room = first && name_len < 30 ? 45 - ((name_len + 2) / 4) * 3 : 45;
        size_t take = 0;
        while (i + take < n) {
            size_t l = utf8_len(p[i + take]);
            if (i + take + l > n) l = n - i - take;
            if (take + l > room) break;
            take += l;
        }
        if (take == 0) take = utf8_len(p[i]) <= n - i ? utf8_len(p[i]) : n - i;
        if (!first) puts_(&b, "\r\n ");
        puts_(&b, "=?UTF-8?B?");
        base64(&b, p + i, take);
        puts_(&b, "?=");
        i += take;
        first = false;
    }
    return b.p;
}

/* Quoted-printable (RFC 2045 §6.7) with '\n' → CRLF hard line breaks and soft breaks so
 * no encoded line exceeds 76 characters; never splits an =XX escape. */
static void quoted_printable(buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    /* room for the worst case at once (every byte =XX, a soft break per 25 of them, CRLFs):
     * the bytes are then written in place, not appended one call at a time */
    size_t n = strlen(s);
    reserve(b, n * 3 + (n / 24 + 1) * 3 + n + 2);
    char *o = b->p + b->len;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r') continue;
        if (*p == '\n') {
            *o++ = '\r';
            *o++ = '\n';
            col = 0;
            continue;
        }
        char enc[4];
        size_t elen;
        bool trailing_ws = (*p == ' ' || *p == '\t') && (p[1] == '\n' || p[1] == 0 || p[1] == '\r');
        if ((*p >= 33 && *p <= 126 && *p != '=') || ((*p == ' ' || *p == '\t') && !trailing_ws)) {
            enc[0] = (char)*p;
            elen = 1;
        } else {
            enc[0] = '=';
            enc[1] = hex[*p >> 4];
            enc[2] = hex[*p & 15];
            elen = 3;
        }
        /* a '.' at line start is fine (SMTP dot-stuffing is the transport's job) */
        if (col + elen > 75) {
            memcpy(o, "=\r\n", 3);
            o += 3;
            col = 0;
        }
        memcpy(o, enc, elen);
        o += elen;
        col += elen;
    }
    b->len = (size_t)(o - b->p);
    b->p[b->len] = 0;
}

static bool header_safe(const char *s) {
    return s && !strpbrk(s, "\r\n<>");
}

static void address(buf *b, const char *field, const char *name, const char *addr) {
    puts_(b, field);
    puts_(b, ": ");
    if (name && *name) {
        if (needs_encoding(name)) {
            char *e = bs_mail_encode_header(name, strlen(field) + 2);
            puts_(b, e);
            free(e);
        } else {
            putc_(b, '"');
            for (const char *p = name; *p; p++) {
                if (*p == '"' || *p == '\\') putc_(b, '\\');
                putc_(b, *p);
            }
            putc_(b, '"');
        }
        puts_(b, " ");
    }
    puts_(b, "<");
    puts_(b, addr);
    puts_(b, ">\r\n");
}

static void date_header(buf *b, int64_t t) {
    static const char *const wd[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int y, m, d;
    bs_date_to_ymd((bs_day)days, &y, &m, &d);
    char s[64];
    snprintf(s, sizeof s, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", wd[bs_weekday((bs_day)days) - 1], d,
             mon[m - 1], y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    puts_(b, s);
}

char *bs_mail_render(const bs_mail *m, size_t *len) {
    if (!header_safe(m->from_addr) || !header_safe(m->to_addr) || !header_safe(m->message_id) ||
        (m->from_name && strpbrk(m->from_name, "\r\n")) || (m->to_name && strpbrk(m->to_name, "\r\n")))
        return NULL;
    if (m->list_unsubscribe) {
        const char *u = m->list_unsubscribe;
        if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0) return NULL;
        for (const unsigned char *p = (const unsigned char *)u; *p; p++)
            if (*p <= 0x20 || *p >= 0x7f || *p == '<' || *p == '>' || *p == ',') return NULL;
    }
    buf b = {0};
    date_header(&b, m->date_utc);
    address(&b, "From", m->from_name, m->from_addr);
    address(&b, "To", m->to_name, m->to_addr);
    if (m->subject && strpbrk(m->subject, "\r\n")) { /* header injection */
        free(b.p);
        return NULL;
    }
    char *subj = bs_mail_encode_header(m->subject ? m->subject : "", 9);
    puts_(&b, "Subject: ");
    puts_(&b, subj);
    puts_(&b, "\r\n");
    free(subj);
    puts_(&b, "Message-ID: <");
    puts_(&b, m->message_id);
    puts_(&b, ">\r\nMIME-Version: 1.0\r\n");
    if (m->lang) {
        puts_(&b, "Content-Language: ");
        puts_(&b, m->lang);
        puts_(&b, "\r\n");
    }
    puts_(&b, "Auto-Submitted: auto-generated\r\n");
    if (m->list_unsubscribe) {
        /* RFC 2369 §3.2 and RFC 8058 §3.1; folded (CRLF SP, RFC 5322 §2.2.3) before the '<'
         * when the line would pass 78 characters */
        puts_(&b, strlen("List-Unsubscribe: <>") + strlen(m->list_unsubscribe) > 78 ? "List-Unsubscribe:\r\n <"
                                                                                    : "List-Unsubscribe: <");
        puts_(&b, m->list_unsubscribe);
        puts_(&b, ">\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
    }
    if (!m->html) {
        puts_(&b, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
        quoted_printable(&b, m->text ? m->text : "");
        puts_(&b, "\r\n");
    } else {
        /* boundary: derived from the Message-ID so a re-render is byte-identical; "=_" cannot
         * occur in quoted-printable output (RFC 2045 §6.7 note) */
        unsigned long h = 5381;
        for (const char *p = m->message_id; *p; p++) h = h * 33 + (unsigned char)*p;
        char boundary[64];
        snprintf(boundary, sizeof boundary, "=_bouwstroom_%016lx", h);
        puts_(&b, "Content-Type: multipart/alternative; boundary=\"");
        puts_(&b, boundary);
        puts_(&b, "\"\r\n\r\nThis is a MIME message.\r\n");
        const char *bodies[2] = {m->text ? m->text : "", m->html};
        const char *types[2] = {"text/plain", "text/html"};
        for (int i = 0; i < 2; i++) {
            puts_(&b, "--");
            puts_(&b, boundary);
            puts_(&b, "\r\nContent-Type: ");
            puts_(&b, types[i]);
            puts_(&b, "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
            quoted_printable(&b, bodies[i]);
            puts_(&b, "\r\n");
        }
        puts_(&b, "--");
        puts_(&b, boundary);
        puts_(&b, "--\r\n");
    }
    if (len) *len = b.len;
    return b.p;
}
