/*
 * Client addresses and trusted proxies. See netaddr.h.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* An IPv4-mapped IPv6 address becomes the IPv4 address it maps. */
static void unmap(bs_netaddr *a) {
    if (a->family == AF_INET6 && memcmp(a->b, v4_mapped_prefix, 12) == 0) {
        memmove(a->b, a->b + 12, 4);
        memset(a->b + 4, 0, 12);
        a->family = AF_INET;
    }
}

int bs_netaddr_parse(const char *text, size_t len, bs_netaddr *out, bs_err *err) {
    char buf[BS_NETADDR_TEXT];
    memset(out, 0, sizeof *out);
    if (!text || len == 0 || len >= sizeof buf) return bs_err_set(err, BS_EINVAL, NULL, "not an IP address");
    memcpy(buf, text, len);
    buf[len] = 0;
    if (inet_pton(AF_INET, buf, out->b) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, out->b) == 1) {
        out->family = AF_INET6;
        unmap(out);
        return 0;
    }
    memset(out, 0, sizeof *out);
    return bs_err_set(err, BS_EINVAL, NULL, "'%s' is not an IP address", buf);
}

int bs_netaddr_from_sockaddr(const struct sockaddr *sa, bs_netaddr *out) {
    memset(out, 0, sizeof *out);
    if (sa && sa->sa_family == AF_INET) {
        out->family = AF_INET;
        memcpy(out->b, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa && sa->sa_family == AF_INET6) {
        out->family = AF_INET6;
        memcpy(out->b, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
        unmap(out);
        return 0;
    }
    return BS_EINVAL;
}

void bs_netaddr_format(const bs_netaddr *a, char *out, size_t len) {
    if (len == 0) return;
    out[0] = 0;
    char buf[BS_NETADDR_TEXT];
    if (!a || (a->family != AF_INET && a->family != AF_INET6)) return;
    if (!inet_ntop(a->family, a->b, buf, sizeof buf)) return;
    snprintf(out, len, "%s", buf);
}

bool bs_netaddr_equal(const bs_netaddr *a, const bs_netaddr *b) {
    return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

/* ---- blocks ---- */

static bool in_block(const bs_cidr *c, const bs_netaddr *a) {
    if (c->addr.family != a->family) return false;
    int full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(c->addr.b, a->b, (size_t)full) != 0) return false;
    if (rest == 0) return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (c->addr.b[full] & mask) == (a->b[full] & mask);
}

/* Parses one entry "addr" or "addr/prefix" of s[0..len). */
static int parse_block(const char *s, size_t len, bs_cidr *out, bs_err *err) {
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    bs_netaddr a;
    if (bs_netaddr_parse(s, alen, &a, NULL) != 0)
        return bs_err_set(err, BS_EINVAL, NULL, "'%.*s' is not an IP address or CIDR block", (int)len, s);
    /* the family as written: ::ffff:10.0.0.0/104 is 10.0.0.0/8 */
    bool written_v6 = memchr(s, ':', alen) != NULL;
    int max = written_v6 ? 128 : 32, prefix = max;
    if (slash) {
        const char *p = slash + 1, *end = s + len;
        if (p == end || end - p > 3) return bs_err_set(err, BS_EINVAL, NULL, "'%.*s': bad prefix", (int)len, s);
        prefix = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9') return bs_err_set(err, BS_EINVAL, NULL, "'%.*s': bad prefix", (int)len, s);
            prefix = prefix * 10 + (*p - '0');
        }
        if (prefix > max) return bs_err_set(err, BS_EINVAL, NULL, "'%.*s': the prefix is at most %d", (int)len, s, max);
    }
    if (written_v6 && a.family == AF_INET) { /* a mapped block */
        if (prefix < 96)
            return bs_err_set(err, BS_EINVAL, NULL, "'%.*s': an IPv4-mapped block needs a prefix of 96 or more",
                              (int)len, s);
        prefix -= 96;
    }
    out->addr = a;
    out->prefix = prefix;
    /* clear the bits after the prefix */
    int bits = a.family == AF_INET ? 32 : 128;
    for (int i = prefix; i < bits; i++) out->addr.b[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
    return 0;
}

static bool is_sep(char c) {
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int bs_cidr_list_parse(const char *text, bs_cidr_list *out, bs_err *err) {
    out->items = NULL;
    out->n = 0;
    if (!text) return 0;
    size_t cap = 0;
    const char *p = text;
    while (*p) {
        while (*p && is_sep(*p)) p++;
        const char *start = p;
        while (*p && !is_sep(*p)) p++;
        if (p == start) break;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 4;
            out->items = bs_reallocarray(out->items, cap, sizeof *out->items);
        }
        int rc = parse_block(start, (size_t)(p - start), &out->items[out->n], err);
        if (rc != 0) {
            bs_cidr_list_free(out);
            return rc;
        }
        out->n++;
    }
    return 0;
}

void bs_cidr_list_free(bs_cidr_list *l) {
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

bool bs_cidr_list_contains(const bs_cidr_list *l, const bs_netaddr *a) {
    if (!l || !a || a->family == 0) return false;
    for (size_t i = 0; i < l->n; i++)
        if (in_block(&l->items[i], a)) return true;
    return false;
}

/* ---- X-Forwarded-For ---- */

/* Parses one list entry s[0..len) (trimmed here): "addr", "[v6]", "[v6]:port", "v4:port". */
static int parse_entry(const char *s, size_t len, bs_netaddr *out) {
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (len && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close) return BS_EINVAL;
        size_t after = len - (size_t)(close - s) - 1;
        if (after && close[1] != ':') return BS_EINVAL;
        return bs_netaddr_parse(s + 1, (size_t)(close - s) - 1, out, NULL);
    }
    const char *colon = memchr(s, ':', len);
    if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) && memchr(s, '.', (size_t)(colon - s)))
        len = (size_t)(colon - s); /* a.b.c.d:port */
    return bs_netaddr_parse(s, len, out, NULL);
}

/* The entry before position end in value (entries are separated by commas): sets *start and
 * *len; returns false when none is left. */
static bool prev_entry(const char *value, size_t end, size_t *start, size_t *len) {
    if (end == 0) return false;
    size_t i = end;
    while (i > 0 && value[i - 1] != ',') i--;
    *start = i;
    *len = end - i;
    return true;
}

void bs_client_address(const bs_netaddr *peer, const bs_cidr_list *trusted, const char *const *xff, size_t n_xff,
                       bs_netaddr *out) {
    *out = *peer;
    if (!bs_cidr_list_contains(trusted, peer)) return;
    for (size_t h = n_xff; h-- > 0;) {
        const char *v = xff[h];
        if (!v) continue;
        size_t end = strlen(v), start, len;
        while (prev_entry(v, end, &start, &len)) {
            end = start ? start - 1 : 0;
            bs_netaddr a;
            bool blank = true;
            for (size_t k = 0; k < len; k++)
                if (v[start + k] != ' ' && v[start + k] != '\t') blank = false;
            if (blank) { /* "a, , b": an empty element (RFC 9110 §5.6.1 allows them) */
                if (start == 0) break;
                continue;
            }
            if (parse_entry(v + start, len, &a) != 0) return; /* unreadable: the last trusted hop */
            *out = a;
            if (!bs_cidr_list_contains(trusted, &a)) return;
            if (start == 0) break;
        }
    }
}
