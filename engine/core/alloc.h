/*
 * Bouwstroom: the one allocation policy (docs/architecture.md "Allocation").
 *
 * Every heap allocation in Bouwstroom goes through these functions. Out of memory is not a
 * condition any caller can repair on a server that shares its heap with every request, so
 * these never return NULL: on failure they print one line to stderr naming the size and
 * abort() (the policy of redis's zmalloc and libuv's uv__malloc). Callers therefore never
 * test the result. bs_free is free(); memory from these may also be passed to free().
 *
 * Request-scoped memory that lives exactly as long as one HTTP request comes from that
 * request's pool instead (bs_req_alloc, api/http.h).
 */
#ifndef BS_ALLOC_H
#define BS_ALLOC_H

#include <stddef.h>

/* malloc(size); size 0 gives a unique non-NULL pointer. Never NULL. */
void *bs_malloc(size_t size);
/* calloc(n, size): zeroed; n * size overflow aborts like out of memory. Never NULL. */
void *bs_calloc(size_t n, size_t size);
/* realloc(p, size); size 0 keeps a unique non-NULL pointer. Never NULL. */
void *bs_realloc(void *p, size_t size);
/* reallocarray(p, n, size): realloc with an overflow check on n * size. Never NULL. */
void *bs_reallocarray(void *p, size_t n, size_t size);
/* strdup(s) (s not NULL). Never NULL. */
char *bs_strdup(const char *s);
/* The first n bytes of s (fewer when s is shorter) plus a NUL. Never NULL. */
char *bs_strndup(const char *s, size_t n);
/* printf into a new string. Never NULL. */
char *bs_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* free(p); p may be NULL. */
void bs_free(void *p);

struct json_t;
/* json_dumps(json, flags) for an object or array (or any value with JSON_ENCODE_ANY):
 * jansson returns NULL then only when out of memory, which aborts as above. Never NULL;
 * free the result with free() (jansson's default allocator). */
char *bs_json_dumps(const struct json_t *json, size_t flags);

#endif
