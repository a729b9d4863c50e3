/*
 * Bouwstroom API: the browser app's static files. See web.h and docs/web.md.
 */
#include "web.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "api_internal.h"

typedef struct web_file {
    char *path; /* URL path: "/index.html", "/assets/app-1a2b.js" */
    char *data;
    size_t len;
    const char *type;
    char etag[24]; /* "\"<16 hex digits>\"" */
} web_file;

struct bs_web {
    web_file *files; /* sorted by path (bsearch) */
    size_t n, cap, bytes;
    const web_file *index;
    char *csp;
};

/* Media types by file extension (RFC 9239 for text/javascript; IANA registry for the rest). */
static const char *media_type(const char *path) {
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".ttf", "font/ttf"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
    };
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i][0]) == 0) return types[i][1];
    return "application/octet-stream";
}

static web_file *find(const bs_web *web, const char *path) {
    size_t lo = 0, hi = web->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(web->files[mid].path, path);
        if (c == 0) return &web->files[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Adds or replaces (a theme override) the file at URL path url with the bytes of fs_path. */
static int add_file(bs_web *web, const char *url, const char *fs_path, size_t size, char *err, size_t errlen) {
    if (web->bytes + size > BS_WEB_MAX_BYTES) {
        snprintf(err, errlen, "%s: the app is larger than %d bytes", fs_path, BS_WEB_MAX_BYTES);
        return -1;
    }
    FILE *f = fopen(fs_path, "rb");
    char *data = bs_malloc(size ? size : 1);
    size_t got = f ? fread(data, 1, size, f) : 0;
    if (!f || got != size) {
        snprintf(err, errlen, "cannot read %s: %s", fs_path, f ? "short read" : strerror(errno));
        if (f) fclose(f);
        free(data);
        return -1;
    }
    fclose(f);
    web_file *wf = find(web, url);
    if (wf) { /* the theme directory replaces a built file */
        web->bytes -= wf->len;
        free(wf->data);
    } else {
        if (web->n == BS_WEB_MAX_FILES) {
            snprintf(err, errlen, "%s: more than %d files", fs_path, BS_WEB_MAX_FILES);
            free(data);
            return -1;
        }
        if (web->n == web->cap) {
            web->cap = web->cap ? web->cap * 2 : 64;
            web->files = bs_reallocarray(web->files, web->cap, sizeof *web->files);
        }
        size_t at = 0; /* keep the array sorted */
        while (at < web->n && strcmp(web->files[at].path, url) < 0) at++;
        memmove(&web->files[at + 1], &web->files[at], (web->n - at) * sizeof *web->files);
        web->n++;
        wf = &web->files[at];
        memset(wf, 0, sizeof *wf);
        wf->path = bs_strdup(url);
        wf->type = media_type(url);
    }
    wf->data = data;
    wf->len = size;
    web->bytes += size;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 (validator only, not security) */
    for (size_t i = 0; i < size; i++) h = (h ^ (unsigned char)data[i]) * 1099511628211ULL;
    snprintf(wf->etag, sizeof wf->etag, "\"%016llx\"", (unsigned long long)h);
    return 0;
}

/* Reads directory dir (URL prefix url, "" for the root) recursively; hidden entries skipped. */
static int load_dir(bs_web *web, const char *dir, const char *url, int depth, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char fs[4096], u[1024];
        struct stat st;
        if (snprintf(fs, sizeof fs, "%s/%s", dir, e->d_name) >= (int)sizeof fs ||
            snprintf(u, sizeof u, "%s/%s", url, e->d_name) >= (int)sizeof u) {
            snprintf(err, errlen, "%s/%s: path too long", dir, e->d_name);
            rc = -1;
        } else if (stat(fs, &st) != 0) {
            snprintf(err, errlen, "cannot stat %s: %s", fs, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            if (depth >= 8) {
                snprintf(err, errlen, "%s: directories nested too deep", fs);
                rc = -1;
            } else {
                rc = load_dir(web, fs, u, depth + 1, err, errlen);
            }
        } else if (S_ISREG(st.st_mode)) {
            rc = add_file(web, u, fs, (size_t)st.st_size, err, errlen);
        }
    }
    closedir(d);
    return rc;
}

/* The origin of a tile URL template for the CSP: scheme, "://" and host, with a "{s}"
 * subdomain label as a "*" wildcard; "" when url is NULL or has no http(s) origin. */
static void tile_origin(const char *url, char *out, size_t outlen) {
    out[0] = 0;
    if (!url) return;
    const char *p = strstr(url, "://");
    if (!p || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) return;
    size_t host_end = strcspn(p + 3, "/?#");
    size_t o = 0;
    for (const char *c = url; c < p + 3 + host_end && o + 2 < outlen; c++) {
        if (strncmp(c, "{s}", 3) == 0) {
            out[o++] = '*';
            c += 2;
        } else if (*c == ';' || *c == ',' || *c == ' ' || *c == '\'' || *c == '{' || *c == '}') {
            out[0] = 0; /* not something a CSP source may hold */
            return;
        } else {
            out[o++] = *c;
        }
    }
    out[o] = 0;
}

bs_web *bs_web_open(const char *web_dir, const char *theme_dir, const char *tile_url, char *err, size_t errlen) {
    bs_web *web = bs_calloc(1, sizeof *web);
    char theme_url[] = "/theme";
    if (load_dir(web, web_dir, "", 0, err, errlen) != 0 ||
        (theme_dir && load_dir(web, theme_dir, theme_url, 0, err, errlen) != 0)) {
        bs_web_free(web);
        return NULL;
    }
    web->index = find(web, "/index.html");
    if (!web->index) {
        snprintf(err, errlen, "%s holds no index.html (build the app: scripts/web.sh)", web_dir);
        bs_web_free(web);
        return NULL;
    }
    char origin[300];
    tile_origin(tile_url, origin, sizeof origin);
    web->csp = bs_asprintf("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:%s%s; connect-src 'self'; font-src 'self'; object-src 'none'; "
                           "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
                           origin[0] ? " " : "", origin);
    return web;
}

void bs_web_free(bs_web *web) {
    if (!web) return;
    for (size_t i = 0; i < web->n; i++) {
        free(web->files[i].path);
        free(web->files[i].data);
    }
    free(web->files);
    free(web->csp);
    free(web);
}

size_t bs_web_count(const bs_web *web) {
    return web->n;
}

const char *bs_web_csp(const bs_web *web) {
    return web->csp;
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* True when the request target as received (percent-encoded) is a plain path: no "." or ".."
 * segment, no backslash, no encoded slash or NUL, no bad escape (decoded once). */
static bool plain_path(const char *raw) {
    char seg[256];
    size_t n = 0;
    for (const char *p = raw;; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
            if (lo < 0) return false;
            c = hi * 16 + lo;
            if (c == '/' || c == 0) return false;
            p += 2;
        } else if (c == '/' || c == 0) {
            seg[n] = 0;
            if (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0) return false;
            n = 0;
            if (c == 0) return true;
            continue;
        }
        if (c == '\\') return false;
        if (n + 1 < sizeof seg) seg[n++] = (char)c;
    }
}

static bool has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether If-None-Match names etag (or is "*"). */
static bool etag_matches(const char *inm, const char *etag) {
    return inm && (strstr(inm, etag) || strcmp(inm, "*") == 0);
}

void bs_web_serve(const bs_web *web, bs_req *req) {
    const char *path = bs_req_path(req);
    const char *method = bs_req_method(req);
    static const char *const allow[] = {"Allow", "GET, HEAD", NULL};
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return bs__fail_ex(req, BS_EMETHOD, NULL, NULL, "method", allow,
                           "Method %.20s is not allowed here; the app's files take GET and HEAD", method);
    if (!plain_path(bs_req_raw_path(req)))
        return bs__fail_as(req, BS_EBADPARAM, "invalid_path", "Invalid path", "path", "%s",
                           "A path with a '.' or '..' segment, a backslash or an encoded slash is refused");
    const web_file *f = find(web, path);
    bool immutable = has_prefix(path, "/assets/");
    if (!f && (immutable || has_prefix(path, "/theme/")))
        return bs__fail(req, BS_ENOTFOUND, NULL, "No file at %.150s", bs_req_raw_path(req));
    if (!f) f = web->index; /* a client-side route */
    bool html = has_prefix(f->type, "text/html");
    const char *cache = immutable ? "public, max-age=31536000, immutable" : "no-cache";
    const char *headers[] = {"Cache-Control",
                             cache,
                             "ETag",
                             f->etag,
                             "X-Content-Type-Options",
                             "nosniff",
                             "Referrer-Policy",
                             "same-origin",
                             html ? "Content-Security-Policy" : NULL,
                             web->csp,
                             "X-Frame-Options",
                             "DENY",
                             NULL};
    if (etag_matches(bs_req_header(req, "if-none-match"), f->etag))
        return bs_req_respond(req, 304, NULL, "", 0, headers);
    bs_req_respond(req, 200, f->type, f->data, f->len, headers);
}
