/*
 * Bouwstroom: the error currency (err.h).
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fill(bs_err *e, int code, const char *field, const char *fmt, va_list ap) {
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

const char *bs_err_name(int code) {
    static const char *const names[] = {
        "OK",         "EINVAL",  "EREQUIRED", "EBADPARAM", "EMALFORMED", "ENOTFOUND",    "ECONFLICT", "EUNAUTH",
        "EFORBIDDEN", "EMETHOD", "ETOOLARGE", "EMEDIA",    "ERATE",      "EUNAVAILABLE", "EIO",       "EINTERNAL"};
    if (code > 0 || -code >= (int)(sizeof names / sizeof names[0])) return "EUNKNOWN";
    return names[-code];
}
