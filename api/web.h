/*
 * Bouwstroom API: the browser app's static files (docs/web.md "How the server serves it").
 *
 * The built app (scripts/web.sh: index.html, assets/<name>-<hash>.js|css, theme/…) is read
 * into memory once at start and served beside /api/ on its own prefixes: /assets/… immutable,
 * /theme/… (a municipality's --theme-dir overrides files of the built theme) and every other
 * path outside the router's prefixes falls back to index.html (client-side routes), no-cache.
 * Every HTML answer carries a strict Content-Security-Policy; every static answer
 * X-Content-Type-Options: nosniff and Referrer-Policy.
 */
#ifndef BS_WEB_H
#define BS_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

typedef struct bs_web bs_web;

/* Largest app the server loads: files, and bytes of all files together. */
#define BS_WEB_MAX_FILES 4096
#define BS_WEB_MAX_BYTES (64 * 1024 * 1024)

/* Reads every regular file under web_dir (which must hold index.html) and then under
 * theme_dir (NULL: none), whose files replace or add to web_dir's theme/…. tile_url is the
 * map's tile URL template (NULL: no tiles); its origin is added to the CSP's img-src, with a
 * "{s}" subdomain label as "*". Returns the app, or NULL with a message in err (errlen bytes):
 * missing directory or index.html, unreadable file, more than BS_WEB_MAX_FILES files or
 * BS_WEB_MAX_BYTES bytes. Free with bs_web_free. */
bs_web *bs_web_open(const char *web_dir, const char *theme_dir, const char *tile_url, char *err, size_t errlen);

void bs_web_free(bs_web *web);

/* Number of files loaded. */
size_t bs_web_count(const bs_web *web);

/* The Content-Security-Policy of HTML answers (owned by web). */
const char *bs_web_csp(const bs_web *web);

/* Answers req (any method; the caller decided the path is the app's, not the router's):
 * GET/HEAD of a loaded file → 200 (or 304 for a matching If-None-Match), a missing file under
 * /assets/ or /theme/ → 404 problem, any other path → index.html; other methods → 405
 * problem with Allow: GET, HEAD; a path with a "." or ".." segment, a backslash or an encoded
 * slash in the request target as received → 400 problem (field "path"). */
void bs_web_serve(const bs_web *web, bs_req *req);

#endif
