/*
 * Bouwstroom: the error currency (err.h).
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

__attribute__((format(printf, 4, 0))) static void fill(bs_err *e, int code, const char *field, const char *fmt,
                                                       va_list ap) {
    e->code = code;
    e->problem = NULL;
    e->title = NULL;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int bs_err_set(bs_err *e, int code, const char *field, const char *fmt, ...) {
    if (!e) return code;
    va_list ap;
    va_start(ap, fmt);
    fill(e, code, field, fmt, ap);
    va_end(ap);
    return code;
}

int bs_err_problem(bs_err *e, int code, const char *problem, const char *title, const char *field, const char *fmt,
                   ...) {
    if (!e) return code;
    va_list ap;
    va_start(ap, fmt);
    fill(e, code, field, fmt, ap);
    va_end(ap);
    e->problem = problem;
    e->title = title;
    return code;
}

int bs_err_line(bs_err *e, int code, const char *fmt, ...) {
    if (!e) return code;
    e->code = code;
    size_t len = strnlen(e->msg, sizeof e->msg);
    if (len > 0 && len + 1 < sizeof e->msg) e->msg[len++] = '\n';
    if (len + 1 >= sizeof e->msg) return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg + len, sizeof e->msg - len, fmt, ap);
    va_end(ap);
    return code;
}

void bs_err_lines(char **report, const char *fmt, ...) {
    if (!report) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    size_t old = *report ? strlen(*report) : 0, sep = old ? 1 : 0;
    *report = bs_realloc(*report, old + sep + (size_t)n + 1);
    if (sep) (*report)[old] = '\n';
    va_start(ap, fmt);
    vsnprintf(*report + old + sep, (size_t)n + 1, fmt, ap);
    va_end(ap);
}

const char *bs_err_name(int code) {
    static const char *const names[] = {
        "OK",         "EINVAL",  "EREQUIRED", "EBADPARAM", "EMALFORMED", "ENOTFOUND",    "ECONFLICT", "EUNAUTH",
        "EFORBIDDEN", "EMETHOD", "ETOOLARGE", "EMEDIA",    "ERATE",      "EUNAVAILABLE", "EIO",       "EINTERNAL"};
    if (code > 0 || -code >= (int)(sizeof names / sizeof names[0])) return "EUNKNOWN";
    return names[-code];
}
