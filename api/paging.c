/*
 * Bouwstroom API: the one paging rule of every list. See paging.h.
 */
#include "paging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#include "api_internal.h"

bs_page *bs__page_new(bs_req *req) {
    long page, size;
    if (!bs__int_param(req, "page", 1, 1, BS_PAGE_MAX, &page) ||
        !bs__int_param(req, "page_size", BS_PAGE_SIZE_DEFAULT, 1, BS_PAGE_SIZE_MAX, &size))
        return NULL;
    bs_page *pg = bs_calloc(1, sizeof *pg);
    pg->req = req;
    pg->page = page;
    pg->size = size;
    snprintf(pg->limit, sizeof pg->limit, "%ld", size);
    snprintf(pg->offset, sizeof pg->offset, "%ld", (page - 1) * size);
    pg->nf_title = "Not found";
    pg->nf_detail = "No such resource";
    return pg;
}

void bs__page_free(bs_page *pg) {
    if (!pg) return;
    free(pg->keep);
    free(pg);
}

static bool unreserved(unsigned char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
           ch == '.' || ch == '~';
}

/* Appends s to *buf (length *len); encode: every byte outside the unreserved set (RFC 3986
 * §2.3) percent-encoded, else verbatim. */
static void append(char **buf, size_t *len, const char *s, bool encode) {
    size_t n = strlen(s);
    char *b = bs_realloc(*buf, *len + 3 * n + 1);
    size_t o = *len;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (!encode || unreserved(*p))
            b[o++] = (char)*p;
        else
            o += (size_t)snprintf(b + o, 4, "%%%02X", *p);
    }
    b[o] = 0;
    *buf = b;
    *len = o;
}

void bs__page_keep(bs_page *pg, const char *name, const char *value) {
    if (!value) return;
    append(&pg->keep, &pg->keep_len, "&", false);
    append(&pg->keep, &pg->keep_len, name, true);
    append(&pg->keep, &pg->keep_len, "=", false);
    append(&pg->keep, &pg->keep_len, value, true);
}

/* The absolute URL of page number page of the list: the request's path (its segments, as
 * matched), then page and page_size, then the kept filters. */
static json_t *page_url(const bs_page *pg, long page) {
    char *u = NULL;
    size_t len = 0;
    append(&u, &len, bs_req_base_url(pg->req), false);
    /* the segments without empty ones: //api/v1/projects/ is /api/v1/projects */
    const char *p = bs_req_path(pg->req);
    while (*p) {
        size_t seg = strcspn(p, "/");
        if (seg > 0) {
            char part[1024];
            snprintf(part, sizeof part, "%.*s", (int)(seg < sizeof part ? seg : sizeof part - 1), p);
            append(&u, &len, "/", false);
            append(&u, &len, part, true);
        }
        p += seg;
        if (*p == '/') p++;
    }
    char q[64];
    snprintf(q, sizeof q, "?page=%ld&page_size=%ld", page, pg->size);
    append(&u, &len, q, false);
    if (pg->keep) append(&u, &len, pg->keep, false);
    json_t *s = json_string(u);
    free(u);
    return s;
}

json_t *bs__page_envelope(const bs_page *pg, long long count, json_t *results) {
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer(count));
    json_object_set_new(o, "next", (long long)pg->page * pg->size < count ? page_url(pg, pg->page + 1) : json_null());
    json_object_set_new(o, "previous", pg->page > 1 ? page_url(pg, pg->page - 1) : json_null());
    json_object_set_new(o, "results", results ? results : json_array());
    return o;
}

void bs__page_query_done(const PGresult *res, const char *err, void *arg) {
    bs_page *pg = arg;
    if (err) {
        bs__problem_db(pg->req, err);
    } else if (PQntuples(res) == 0 || PQnfields(res) < 2 || PQgetisnull(res, 0, 0)) {
        bs__fail_as(pg->req, BS_ENOTFOUND, NULL, pg->nf_title, pg->nf_field, "%s", pg->nf_detail);
    } else {
        json_t *results = PQgetisnull(res, 0, 1) ? NULL : json_loads(PQgetvalue(res, 0, 1), 0, NULL);
        if (results && !json_is_array(results)) {
            json_decref(results);
            results = NULL;
        }
        bs__respond_json(pg->req, 200, bs__page_envelope(pg, atoll(PQgetvalue(res, 0, 0)), results));
    }
    bs__page_free(pg);
}
