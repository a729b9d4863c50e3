/*
 * Connection caps: a count in total and one per client address. See conn_limit.h.
 *
 * The per-address counts live in a chained hash table with a bucket per expected connection
 * (a power of two >= max_total); an address is in it while it has a connection open, so the
 * table never holds more than max_total entries.
 */
#include "conn_limit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct entry {
    struct entry *next;
    bs_netaddr addr;
    int count;
};

struct bs_conn_limits {
    int max_total, max_per_client;
    int open;
    bool orphaned; /* bs_conn_limits_free was called while connections were open */
    size_t mask;   /* buckets - 1 */
    struct entry **buckets;
};

bs_conn_limits *bs_conn_limits_new(int max_total, int max_per_client) {
    bs_conn_limits *l = bs_calloc(1, sizeof *l);
    l->max_total = max_total > 0 ? max_total : 1;
    l->max_per_client = max_per_client > 0 ? max_per_client : 1;
    size_t n = 64;
    while (n < (size_t)l->max_total && n < ((size_t)1 << 20)) n *= 2;
    l->mask = n - 1;
    l->buckets = bs_calloc(n, sizeof *l->buckets);
    return l;
}

static void limits_free(bs_conn_limits *l) {
    for (size_t i = 0; i <= l->mask; i++)
        for (struct entry *e = l->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(l->buckets);
    free(l);
}

void bs_conn_limits_free(bs_conn_limits *l) {
    if (!l) return;
    if (l->open > 0)
        l->orphaned = true;
    else
        limits_free(l);
}

/* FNV-1a over the family and the address bytes. */
static size_t bucket_of(const bs_conn_limits *l, const bs_netaddr *a) {
    uint64_t h = 1469598103934665603ull;
    h = (h ^ (unsigned)a->family) * 1099511628211ull;
    for (int i = 0; i < 16; i++) h = (h ^ a->b[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 32)) & l->mask;
}

static struct entry **find(const bs_conn_limits *l, const bs_netaddr *a) {
    struct entry **p = &l->buckets[bucket_of(l, a)];
    while (*p && !bs_netaddr_equal(&(*p)->addr, a)) p = &(*p)->next;
    return p;
}

bs_conn_verdict bs_conn_admit(bs_conn_limits *l, const bs_netaddr *a, bool exempt) {
    struct entry **p = find(l, a);
    if (!exempt && *p && (*p)->count >= l->max_per_client) return BS_CONN_OVER_CLIENT;
    if (l->open >= l->max_total) return BS_CONN_OVER_TOTAL;
    if (!*p) {
        *p = bs_calloc(1, sizeof **p);
        (*p)->addr = *a;
    }
    (*p)->count++;
    l->open++;
    return BS_CONN_ADMIT;
}

void bs_conn_release(bs_conn_limits *l, const bs_netaddr *a) {
    struct entry **p = find(l, a);
    if (*p && --(*p)->count <= 0) {
        struct entry *e = *p;
        *p = e->next;
        free(e);
    }
    if (l->open > 0) l->open--;
    if (l->orphaned && l->open == 0) limits_free(l);
}

int bs_conn_open(const bs_conn_limits *l) {
    return l->open;
}

int bs_conn_open_from(const bs_conn_limits *l, const bs_netaddr *a) {
    struct entry **p = find(l, a);
    return *p ? (*p)->count : 0;
}

int bs_conn_max_total(const bs_conn_limits *l) {
    return l->max_total;
}

int bs_conn_max_per_client(const bs_conn_limits *l) {
    return l->max_per_client;
}

int bs_conn_total_ceiling(long nofile, int max_overflow) {
    long c = nofile - BS_CONN_RESERVED_FDS - (max_overflow > 0 ? max_overflow : 0);
    if (c > 1 << 24) c = 1 << 24;
    return c < 16 ? 16 : (int)c;
}
