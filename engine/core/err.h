/*
 * Bouwstroom: the one error currency of the shells (docs/architecture.md "Errors").
 *
 * The runtime, the adapters, the notifier and the API report failure the same way, as libuv
 * and curl do: a function returns 0 or a negative BS_E* constant and fills one bs_err, whose
 * message buffer always has the same name (msg) and size (BS_ERR_MSG_SIZE). The API turns a
 * bs_err into an application/problem+json answer in one place (api/problem.c: the code gives
 * status, type and title; field names the offending input).
 *
 * The engine core keeps its own result enums where a result is a domain answer rather than
 * a failure (a cycle in the links, an infeasible constraint: schedule.h, schema.h); a shell
 * that must report one wraps it in a bs_err (usually BS_ECONFLICT or BS_EINVAL).
 */
#ifndef BS_ERR_H
#define BS_ERR_H

#include <stddef.h>

/* Size of bs_err.msg, bytes including the NUL. */
#define BS_ERR_MSG_SIZE 1024

/* The error codes: 0 is success, every failure is negative. The comment gives the HTTP
 * status each maps to (api/problem.c). */
enum {
    BS_OK = 0,
    BS_EINVAL = -1,        /* a body member is invalid (422) */
    BS_EREQUIRED = -2,     /* a required body member is missing (422) */
    BS_EBADPARAM = -3,     /* a path or query parameter or a header is invalid (400) */
    BS_EMALFORMED = -4,    /* the body is not well-formed (JSON, XLSX, GeoJSON) (400) */
    BS_ENOTFOUND = -5,     /* the resource does not exist or is not visible (404) */
    BS_ECONFLICT = -6,     /* the resource's state does not allow it (409) */
    BS_EUNAUTH = -7,       /* no or invalid credential (401) */
    BS_EFORBIDDEN = -8,    /* known, but not allowed (403) */
    BS_EMETHOD = -9,       /* the path exists for other methods (405) */
    BS_ETOOLARGE = -10,    /* the body is larger than the endpoint takes (413) */
    BS_EMEDIA = -11,       /* the body's media type is not one the endpoint takes (415) */
    BS_ERATE = -12,        /* too many requests; retry later (429) */
    BS_EUNAVAILABLE = -13, /* a dependency (store, SMTP, remote API) is down; retry (503) */
    BS_EIO = -14,          /* reading or writing a file or socket failed (500) */
    BS_EINTERNAL = -15,    /* a bug or an impossible state (500) */
};

/* One error. Zero-initialised means "no error". */
typedef struct bs_err {
    int code;                  /* BS_OK or a BS_E* constant */
    const char *problem;       /* static machine code of the problem when more specific than the
                          * code's ("already_started", "date_out_of_range"); NULL: the code's */
    const char *title;         /* static human title when more specific than the code's; NULL: the code's */
    char field[96];            /* the offending input (body member, query parameter, header); "" none;
                                * "conditions.plusvelden.<key>" (72 bytes) fits */
    char msg[BS_ERR_MSG_SIZE]; /* one readable line: what is wrong and what is accepted */
} bs_err;

/* Fills e (may be NULL: then only returns code) with code, field (NULL = none) and the
 * printf-formatted message; clears problem and title. Returns code, so that a function can
 * end in `return bs_err_set(err, BS_EINVAL, "name", "…")`. */
int bs_err_set(bs_err *e, int code, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same with a specific problem code and title (static strings, NULL = the code's). */
int bs_err_problem(bs_err *e, int code, const char *problem, const char *title, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Appends one line to e->msg (after a '\n' unless msg is empty; cut at BS_ERR_MSG_SIZE) and
 * sets e->code to code, for a validation that reports every problem it finds, one per line
 * (a configuration file's paths). problem, title and field are kept. e may be NULL. Returns
 * code. */
int bs_err_line(bs_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends one printf-formatted line to the heap string *report (NULL: starts one; lines are
 * separated by '\n'; free with free()), for reports longer than one message buffer. report
 * may be NULL: nothing is written. */
void bs_err_lines(char **report, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The constant's name without the BS_ prefix ("EINVAL"), "OK" for 0, "EUNKNOWN" otherwise. */
const char *bs_err_name(int code);

#endif
