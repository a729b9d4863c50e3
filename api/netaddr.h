/*
 * Bouwstroom API: client addresses — IP addresses, lists of trusted proxies (addresses and
 * CIDR blocks) and the client address of a request behind them (X-Forwarded-For). Pure: no
 * I/O, no sockets (a struct sockaddr is only read). docs/operations.md "Reverse proxy and
 * trusted proxies".
 */
#ifndef BS_NETADDR_H
#define BS_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

/* An IP address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is held as the IPv4 address
 * it maps, so that a dual-stack listener counts and trusts a client under one address. */
typedef struct bs_netaddr {
    int family;          /* AF_INET or AF_INET6; 0 = none (unknown) */
    unsigned char b[16]; /* network byte order; AF_INET uses b[0..3] (the rest is zero) */
} bs_netaddr;

/* Longest text of an address (INET6_ADDRSTRLEN), with the NUL. */
#define BS_NETADDR_TEXT 46

/* Parses an IPv4 or IPv6 address in text[0..len) (no port, no brackets; white space is not
 * trimmed). Returns 0, or BS_EINVAL (err may be NULL) when it is not an address. */
int bs_netaddr_parse(const char *text, size_t len, bs_netaddr *out, bs_err *err);

/* The address of sa (AF_INET or AF_INET6; an IPv4-mapped IPv6 address becomes IPv4).
 * Returns 0, or BS_EINVAL for another family or NULL. */
int bs_netaddr_from_sockaddr(const struct sockaddr *sa, bs_netaddr *out);

/* Writes the address's text (inet_ntop: "127.0.0.1", "2001:db8::1") into out (len bytes,
 * at least BS_NETADDR_TEXT to never cut it); "" for family 0. */
void bs_netaddr_format(const bs_netaddr *a, char *out, size_t len);

/* Whether a and b are the same address. */
bool bs_netaddr_equal(const bs_netaddr *a, const bs_netaddr *b);

/* A block of addresses: those whose first prefix bits equal addr's. */
typedef struct bs_cidr {
    bs_netaddr addr;
    int prefix; /* 0..32 (IPv4) or 0..128 (IPv6) */
} bs_cidr;

/* A list of blocks (trusted proxies). Zero-initialised = empty. */
typedef struct bs_cidr_list {
    bs_cidr *items; /* owned */
    size_t n;
} bs_cidr_list;

/* Parses a list of addresses and blocks separated by commas and/or white space:
 * "10.0.0.0/8, 192.168.1.10 ::1 fd00::/8". An address without /prefix is a block of one
 * (/32 or /128); an IPv4-mapped IPv6 block (::ffff:0:0/96 and longer) is held as IPv4.
 * Bits after the prefix are ignored (10.1.2.3/8 is 10.0.0.0/8). "" or NULL: the empty
 * list. Returns 0 with *out filled (free with bs_cidr_list_free), or BS_EINVAL with err
 * naming the entry (*out left empty). */
int bs_cidr_list_parse(const char *text, bs_cidr_list *out, bs_err *err);

/* Frees the list's items; the list is empty afterwards. */
void bs_cidr_list_free(bs_cidr_list *l);

/* Whether a lies in one of the list's blocks (false for family 0 or an empty list). */
bool bs_cidr_list_contains(const bs_cidr_list *l, const bs_netaddr *a);

/* The client address of a request whose TCP peer is peer and which carried the
 * X-Forwarded-For header values xff[0..n_xff) (in the order received; several headers are
 * one comma-separated list, RFC 9110 §5.3):
 *  - peer not in trusted (or no such header): peer — the header is the client's own text;
 *  - else the list is read from the right (the entry the nearest proxy appended) to the left,
 *    passing over entries that are themselves trusted proxies; the first entry that is not
 *    one is the client. An entry may be a bare address, "[v6]" or "[v6]:port", or
 *    "a.b.c.d:port". When an entry is not an address, the walk stops and the client is the
 *    last trusted hop reached (a proxy wrote something we cannot read; we do not guess past
 *    it); when every entry is a trusted proxy, the leftmost entry.
 * This is the rule of nginx's real_ip_recursive and of RFC 7239 §7.4's advice: only the
 * part of the list written by our own proxies can be believed. */
void bs_client_address(const bs_netaddr *peer, const bs_cidr_list *trusted, const char *const *xff, size_t n_xff,
                       bs_netaddr *out);

#endif
