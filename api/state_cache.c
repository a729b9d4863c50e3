/*
 * The parsed scheduling state of recently used projects (state_cache.h): a chained hash table
 * on the project id and a doubly linked list in order of use (most recent first).
 */
#include "state_cache.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define RENDERINGS 2

typedef struct rendering {
    bs_render_key key;
    char *body; /* NULL: none */
    size_t len;
} rendering;

typedef struct entry {
    char id[40];
    long long stamp;
    bs_state_snapshot s; /* its arrays in the entry's own block, after it (one allocation per entry) */
    rendering r[RENDERINGS];
    size_t bytes;
    struct entry *prev, *next; /* use order */
    struct entry *chain;       /* hash bucket */
} entry;

struct bs_state_cache {
    entry **buckets;
    size_t n_buckets; /* a power of two */
    entry *head, *tail;
    size_t entries, bytes, max_entries, max_bytes;
    unsigned long long hits, misses;
};

static size_t hash_id(const char *id) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 1099511628211ULL;
    return (size_t)h;
}

bs_state_cache *bs_state_cache_new(size_t max_entries, size_t max_bytes) {
    bs_state_cache *c = bs_calloc(1, sizeof *c);
    c->max_entries = max_entries ? max_entries : 1;
    c->max_bytes = max_bytes ? max_bytes : 1;
    c->n_buckets = 64;
    while (c->n_buckets < c->max_entries && c->n_buckets < ((size_t)1 << 20)) c->n_buckets <<= 1;
    c->buckets = bs_calloc(c->n_buckets, sizeof *c->buckets);
    return c;
}

void bs_state_snapshot_copy(const bs_state_snapshot *s, bs_state_snapshot *out) {
    const size_t n = (size_t)s->schema->n_steps;
    *out = *s;
    out->progress = bs_malloc(sizeof *out->progress * (n + 1));
    memcpy(out->progress, s->progress, sizeof *out->progress * n);
    out->planned = bs_malloc(sizeof *out->planned * (2 * n + 1));
    memcpy(out->planned, s->planned, sizeof *out->planned * 2 * n);
    out->edit.ov = bs_malloc(sizeof *out->edit.ov * (n + 1));
    memcpy(out->edit.ov, s->edit.ov, sizeof *out->edit.ov * n);
    out->edit.cap_links = s->edit.n_links + 8;
    out->edit.links = bs_malloc(sizeof *out->edit.links * (size_t)out->edit.cap_links);
    if (s->edit.n_links > 0) memcpy(out->edit.links, s->edit.links, sizeof *out->edit.links * (size_t)s->edit.n_links);
}

/* Bytes of b rounded up to the alignment of any object. */
static size_t aligned(size_t b) {
    const size_t a = _Alignof(max_align_t);
    return (b + a - 1) / a * a;
}

/* A new entry in one block: the struct, then a copy of s's arrays (the cache's long-lived memory in one piece per
 * project, not five scattered among the requests' short-lived blocks: docs/performance.md "A full cache"). */
static entry *entry_new(const bs_state_snapshot *s) {
    const size_t n = (size_t)s->schema->n_steps, nl = (size_t)(s->edit.n_links > 0 ? s->edit.n_links : 0);
    const size_t at_p = aligned(sizeof(entry)), at_d = at_p + aligned(sizeof *s->progress * (n + 1)),
                 at_o = at_d + aligned(sizeof *s->planned * (2 * n + 1)),
                 at_l = at_o + aligned(sizeof *s->edit.ov * (n + 1)), size = at_l + sizeof *s->edit.links * (nl + 1);
    char *b = bs_calloc(1, size);
    entry *e = (entry *)(void *)b;
    e->s = *s;
    e->s.progress = (bs_progress *)(void *)(b + at_p);
    e->s.planned = (bs_day *)(void *)(b + at_d);
    e->s.edit.ov = (bs_step_override *)(void *)(b + at_o);
    e->s.edit.links = (bs_link *)(void *)(b + at_l);
    e->s.edit.cap_links = (int32_t)nl;
    memcpy(e->s.progress, s->progress, sizeof *s->progress * n);
    memcpy(e->s.planned, s->planned, sizeof *s->planned * 2 * n);
    memcpy(e->s.edit.ov, s->edit.ov, sizeof *s->edit.ov * n);
    if (nl > 0) memcpy(e->s.edit.links, s->edit.links, sizeof *s->edit.links * nl);
    e->bytes = size;
    return e;
}

static entry **slot(bs_state_cache *c, const char *id) {
    entry **p = &c->buckets[hash_id(id) & (c->n_buckets - 1)];
    while (*p && strcmp((*p)->id, id) != 0) p = &(*p)->chain;
    return p;
}

static void unlink_use(bs_state_cache *c, entry *e) {
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void link_front(bs_state_cache *c, entry *e) {
    e->next = c->head;
    e->prev = NULL;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static void clear_renderings(bs_state_cache *c, entry *e) {
    for (int k = 0; k < RENDERINGS; k++) {
        c->bytes -= e->r[k].len;
        e->bytes -= e->r[k].len;
        free(e->r[k].body);
        e->r[k].body = NULL;
        e->r[k].len = 0;
    }
}

/* Removes the entry *p points to (its bucket's link) from everything and frees it. */
static void remove_at(bs_state_cache *c, entry **p) {
    entry *e = *p;
    *p = e->chain;
    unlink_use(c, e);
    clear_renderings(c, e);
    c->bytes -= e->bytes;
    c->entries--;
    free(e); /* with its arrays (entry_new) */
}

static void evict(bs_state_cache *c) {
    while (c->tail && (c->entries > c->max_entries || c->bytes > c->max_bytes) && c->tail != c->head)
        remove_at(c, slot(c, c->tail->id));
}

void bs_state_cache_free(bs_state_cache *c) {
    if (!c) return;
    while (c->head) remove_at(c, slot(c, c->head->id));
    free(c->buckets);
    free(c);
}

long long bs_state_cache_stamp(bs_state_cache *c, const char *id) {
    entry *e = *slot(c, id);
    return e ? e->stamp : -1;
}

const bs_state_snapshot *bs_state_cache_get(bs_state_cache *c, const char *id, long long stamp) {
    entry *e = *slot(c, id);
    if (!e || e->stamp != stamp) {
        c->misses++;
        return NULL;
    }
    c->hits++;
    unlink_use(c, e);
    link_front(c, e);
    return &e->s;
}

void bs_state_cache_put(bs_state_cache *c, const char *id, long long stamp, const bs_state_snapshot *s) {
    if (strlen(id) >= sizeof((entry *)0)->id) return;
    entry **p = slot(c, id);
    if (*p) remove_at(c, p);
    entry *e = entry_new(s);
    memcpy(e->id, id, strlen(id) + 1);
    e->stamp = stamp;
    e->chain = c->buckets[hash_id(id) & (c->n_buckets - 1)];
    c->buckets[hash_id(id) & (c->n_buckets - 1)] = e;
    link_front(c, e);
    c->entries++;
    c->bytes += e->bytes;
    evict(c);
}

void bs_state_cache_drop(bs_state_cache *c, const char *id) {
    entry **p = slot(c, id);
    if (*p) remove_at(c, p);
}

static bool same_key(const bs_render_key *a, const bs_render_key *b) {
    return a->data_date == b->data_date && a->near_critical == b->near_critical && a->stream_view == b->stream_view;
}

const char *bs_state_cache_rendered(bs_state_cache *c, const char *id, long long stamp, const bs_render_key *key,
                                    size_t *len) {
    entry *e = *slot(c, id);
    if (!e || e->stamp != stamp) return NULL;
    for (int k = 0; k < RENDERINGS; k++)
        if (e->r[k].body && same_key(&e->r[k].key, key)) {
            *len = e->r[k].len;
            return e->r[k].body;
        }
    return NULL;
}

void bs_state_cache_set_rendered(bs_state_cache *c, const char *id, long long stamp, const bs_render_key *key,
                                 const char *body, size_t len) {
    entry *e = *slot(c, id);
    if (!e || e->stamp != stamp) return;
    int at = RENDERINGS - 1; /* the older one goes: r[0] is the newest */
    for (int k = 0; k < RENDERINGS; k++)
        if (!e->r[k].body || same_key(&e->r[k].key, key)) {
            at = k;
            break;
        }
    c->bytes -= e->r[at].len;
    e->bytes -= e->r[at].len;
    free(e->r[at].body);
    memmove(&e->r[1], &e->r[0], sizeof e->r[0] * (size_t)at);
    e->r[0].key = *key;
    e->r[0].body = bs_malloc(len + 1);
    memcpy(e->r[0].body, body, len);
    e->r[0].body[len] = '\0';
    e->r[0].len = len;
    e->bytes += len;
    c->bytes += len;
    evict(c);
}

void bs_state_cache_note_miss(bs_state_cache *c) {
    c->misses++;
}

void bs_state_cache_stats(const bs_state_cache *c, size_t *entries, size_t *bytes, unsigned long long *hits,
                          unsigned long long *misses) {
    *entries = c->entries;
    *bytes = c->bytes;
    *hits = c->hits;
    *misses = c->misses;
}
