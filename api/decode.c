/*
 * Bouwstroom API: pure decoding of request bodies and query strings (decode.h).
 */
#include "decode.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"

int bs_decode_json_type(const char *content_type, size_t body_len, bs_err *err) {
    if (!content_type && body_len == 0) return 0; /* no body, no type */
    /* media type exactly application/json, parameters (charset) allowed: RFC 9110 §8.3.1 */
    size_t tl = content_type ? strcspn(content_type, "; \t") : 0;
    if (content_type && tl == 16 && strncasecmp(content_type, "application/json", 16) == 0) return 0;
    return bs_err_set(err, BS_EMEDIA, "Content-Type", "%s",
                      content_type ? "The body must be application/json"
                                   : "Content-Type is missing; the body must be application/json");
}

json_t *bs_decode_object(const char *body, size_t len, const char *content_type, bool required,
                         const char *const *allowed, bs_err *err) {
    if (bs_decode_json_type(content_type, len, err) != 0) return NULL;
    if (!body || !len) {
        if (!required) return json_object();
        bs_err_set(err, BS_EMALFORMED, "body", "The request body is empty; a JSON object is expected");
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (!doc) {
        bs_err_set(err, BS_EMALFORMED, "body", "Malformed JSON at line %d, column %d: %s", e.line, e.column, e.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        bs_err_set(err, BS_EMALFORMED, "body", "The body must be a JSON object");
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++) ok = strcmp(allowed[i], k) == 0;
        if (!ok) {
            bs_err_problem(err, BS_EINVAL, "unknown_field", "Unknown field", k, "unknown field '%.100s'", k);
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

int bs_decode_string(const json_t *doc, const char *name, bool required, size_t max, const char **out, bs_err *err) {
    const json_t *v = json_object_get(doc, name);
    *out = NULL;
    if (!v || json_is_null(v)) return required ? bs_err_set(err, BS_EREQUIRED, name, "%s is required", name) : 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
        return bs_err_set(err, BS_EINVAL, name, "%s must be a non-empty string of at most %zu bytes", name, max);
    *out = json_string_value(v);
    return 0;
}

bool bs_is_uuid(const char *s) {
    unsigned char b[16];
    return bs_uuid_bytes(s, b); /* one definition of a UUID's text (auth.c) */
}

int bs_decode_uuid(const json_t *doc, const char *name, bool required, const char **out, bs_err *err) {
    int rc = bs_decode_string(doc, name, required, 36, out, err);
    if (rc != 0) return rc;
    if (*out && !bs_is_uuid(*out)) {
        *out = NULL;
        return bs_err_set(err, BS_EINVAL, name, "%s must be a UUID", name);
    }
    return 0;
}

bool bs_blank_text(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        if (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
            i++;
        } else if (i + 1 < n && s[i] == 0xc2 && s[i + 1] == 0xa0) {
            i += 2;
        } else if (i + 2 < n) {
            unsigned cp = ((s[i] & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);
            if ((s[i] & 0xf0) != 0xe0 ||
                !(cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
                  cp == 0x205f || cp == 0x3000 || cp == 0xfeff))
                return false;
            i += 3;
        } else {
            return false;
        }
    }
    return true;
}

int bs_decode_reason(const json_t *doc, bool required, const char **out, bs_err *err) {
    const json_t *r = json_object_get(doc, "reason");
    *out = NULL;
    if (!r && !required) return 0;
    if (!json_is_string(r) || json_string_length(r) > BS_REASON_MAX_BYTES ||
        bs_blank_text(json_string_value(r), json_string_length(r)))
        return bs_err_set(err, r ? BS_EINVAL : BS_EREQUIRED, "reason",
                          "reason %s text of 1 to %d bytes that is not only white space",
                          required ? "is required:" : "must be", BS_REASON_MAX_BYTES);
    *out = json_string_value(r);
    return 0;
}

/* ---- query strings ---- */

bool bs_utf8_valid(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int bs_query_param(const char *q, const char *name, char *out, size_t outlen) {
    size_t nlen = strlen(name);
    const char *p = q;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t seglen = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', seglen);
        size_t klen = eq ? (size_t)(eq - p) : seglen;
        if (klen == nlen && strncmp(p, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : p + seglen;
            const char *end = p + seglen;
            size_t o = 0;
            while (v < end) {
                int c = (unsigned char)*v;
                if (c == '+') {
                    c = ' ';
                    v++;
                } else if (c == '%') {
                    if (end - v < 3) return -1;
                    int hi = hexval(v[1]), lo = hexval(v[2]);
                    if (hi < 0 || lo < 0) return -1;
                    c = hi * 16 + lo;
                    if (c == 0) return -1;
                    v += 3;
                } else {
                    v++;
                }
                if (o + 1 >= outlen) return -1;
                out[o++] = (char)c;
            }
            out[o] = 0;
            return bs_utf8_valid(out, o) ? 1 : -1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

int bs_decode_int_param(const char *query, const char *name, long dflt, long min, long max, long *out, bs_err *err) {
    char buf[32];
    int r = bs_query_param(query, name, buf, sizeof buf);
    *out = dflt;
    if (r == 0) return 0;
    char *end = NULL;
    bool digits = r > 0 && *buf && strspn(buf + (buf[0] == '-'), "0123456789") == strlen(buf + (buf[0] == '-'));
    long v = digits ? strtol(buf, &end, 10) : 0;
    if (r < 0 || !digits || *end || v < min || v > max)
        return bs_err_set(err, BS_EBADPARAM, name, "%s must be an integer from %ld to %ld", name, min, max);
    *out = v;
    return 0;
}
