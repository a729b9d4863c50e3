/*
 * Bouwstroom notifier: building alert e-mails (RFC 5322 + MIME). Pure: no I/O, the date
 * is an argument.
 */
#ifndef BS_MAIL_H
#define BS_MAIL_H

#include <stddef.h>
#include <stdint.h>

typedef struct bs_mail {
    const char *from_addr; /* "alerts@bouwstroom.example" */
    const char *from_name; /* display name, UTF-8, may be NULL */
    const char *to_addr;
    const char *to_name;          /* may be NULL */
    const char *subject;          /* UTF-8 */
    const char *message_id;       /* without angle brackets: "<id>@<domain>" content; stable per alert */
    int64_t date_utc;             /* seconds since the epoch, the Date header (written in UTC, +0000) */
    const char *text;             /* text/plain body, UTF-8, '\n' line ends */
    const char *html;             /* text/html body, UTF-8; NULL = single-part text/plain */
    const char *lang;             /* Content-Language, e.g. "nl" or "en"; may be NULL */
    const char *list_unsubscribe; /* one-click unsubscribe URL (https/http), or NULL: see bs_mail_render */
} bs_mail;

/* Renders the message: RFC 5322 header fields (Date per §3.3, From, To, Subject, Message-ID,
 * MIME-Version, Content-Type, Content-Language), a multipart/alternative body (RFC 2046
 * §5.1.4: text/plain first, then text/html) with a boundary derived from the Message-ID,
 * and quoted-printable parts (RFC 2045 §6.7) in UTF-8. Header text outside ASCII is encoded
 * as RFC 2047 encoded-words ("=?UTF-8?B?…?=", each ≤ 75 characters, never splitting a
 * UTF-8 character), folded so no line exceeds 78 characters. Lines end in CRLF.
 * With list_unsubscribe: "List-Unsubscribe: <URL>" (RFC 2369 §3.2) and "List-Unsubscribe-Post:
 * List-Unsubscribe=One-Click" (RFC 8058 §3.1); when the field would pass 78 characters it is
 * folded before the '<' (the URL itself cannot be folded: it has no white space), so the
 * line is 78 characters at most for URLs of up to 75 characters, and always below RFC 5322's
 * 998. The URL must be printable ASCII without space, '<', '>' or ',' (else NULL).
 * Returns a malloc'd NUL-terminated message (*len set when len is not NULL), or NULL when
 * an address contains CR, LF or angle brackets, or a name or the subject contains CR or LF
 * (header injection). */
char *bs_mail_render(const bs_mail *m, size_t *len);

/* RFC 2047 "B" encoding of a UTF-8 phrase for a header field whose name takes name_len
 * characters (e.g. 9 for "Subject: "): ASCII-only printable text is returned folded at spaces
 * (CRLF before a space, RFC 5322 §2.2.3) so lines stay within 78 characters; otherwise one or
 * more encoded-words separated by CRLF SP. Returns a malloc'd string. */
char *bs_mail_encode_header(const char *utf8, size_t name_len);

#endif
