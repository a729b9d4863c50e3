/*
 * Bouwstroom API: the one paging rule of every list (docs/api.md "Conventions").
 *
 * A list answers {"count", "next", "previous", "results"}: count is the number of items of
 * the whole list, results the items of the asked page, next/previous absolute URLs of the
 * neighbouring pages (null at the ends) that keep the request's filters. The query
 * parameters are page (from 1) and page_size (1..BS_PAGE_SIZE_MAX, default
 * BS_PAGE_SIZE_DEFAULT); a bad value is a 400 problem naming the parameter.
 *
 * Use: bs__page_new before the query; bs__page_keep for each filter the request gave;
 * bs_store_query with pg->limit and pg->offset as parameters and a SQL answer of one row
 * (count, JSON array of the page's items) and bs__page_query_done as the callback (it
 * answers and frees pg). The SQL orders by a unique key last so pages never overlap.
 */
#ifndef BS_API_PAGING_H
#define BS_API_PAGING_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "http.h"

#define BS_PAGE_SIZE_DEFAULT 50
#define BS_PAGE_SIZE_MAX 500
#define BS_PAGE_MAX 1000000

typedef struct bs_page {
    bs_req *req;
    long page, size;
    char limit[24], offset[24]; /* SQL parameter texts: LIMIT size OFFSET (page - 1) * size */
    char *keep;                 /* owned: "&name=value…" of the filters kept in next/previous */
    size_t keep_len;
    /* the 404 answer when the query gives no row or a NULL count (a parent gone) */
    const char *nf_title, *nf_field, *nf_detail;
} bs_page;

/* Reads page and page_size from the request's query. NULL after a 400 problem naming the
 * parameter; else a new context the caller frees (bs__page_free or bs__page_query_done). */
bs_page *bs__page_new(bs_req *req);
void bs__page_free(bs_page *pg);

/* Keeps the filter name=value (value percent-encoded) in next/previous; value NULL: the
 * request did not give it (nothing kept). Filters are kept in the order of the calls. */
void bs__page_keep(bs_page *pg, const char *name, const char *value);

/* The envelope of count items of which results (reference stolen; NULL: []) are the asked
 * page. */
json_t *bs__page_envelope(const bs_page *pg, long long count, json_t *results);

/* bs_store_query callback (arg: a bs_page): row 0 holds the count (column 0) and the page's
 * items as a JSON array (column 1, NULL: none); answers 200 with the envelope, 503 on a store
 * error, 404 (pg->nf_*) when there is no row or the count is NULL; frees pg. */
void bs__page_query_done(const PGresult *res, const char *err, void *arg);

#endif
