/*
 * The parts of a libpq connection string the store (store.c) acts on itself: the connect
 * timeout and the list of hosts.
 *
 * libpq honours connect_timeout only in its blocking PQconnectdb; with PQconnectStart and
 * PQconnectPoll, which the store uses on the loop, "it is the application's responsibility to
 * decide whether an excessive amount of time has elapsed" (libpq docs, PQconnectStartParams).
 * A host that does not answer at all (a dead machine behind a live network: SYNs dropped) would
 * hold a connection attempt until the kernel gives up (about two minutes on Linux), and with a
 * multi-host string (host=a,b&target_session_attrs=read-write) the next host would be tried only
 * then. So the store keeps the deadline itself and, when it passes, starts the attempt again with
 * the next host first: the variants below are the same string with its host list rotated.
 *
 * Every variant also carries the store's own session settings (BS_SESSION_OPTIONS) in libpq's
 * `options` keyword, before whatever `options` the string has (PostgreSQL applies the -c switches
 * in order, so a setting the user gives there wins).
 */
#ifndef BS_CONNINFO_H
#define BS_CONNINFO_H

/* The session settings of every connection the store opens (libpq `options`, command-line
 * switches for the backend). jit=off: the server's statements are short OLTP and list statements,
 * but some (the lead-time statements of api/routes_forecast_sql.h over every project of a schema)
 * are estimated above jit_above_cost at a national installation, and compiling them cost 0.7-1.0 s
 * of a 2.2-2.5 s EXPLAIN ANALYZE (docs/performance.md "National scale", docs/operations.md
 * "JIT"); a plan's cost estimate says little about its run time there. */
#define BS_SESSION_OPTIONS "-c jit=off"

/* Without connect_timeout in the string the store waits at most this long for one attempt. */
#define BS_CONNECT_TIMEOUT_DEFAULT_MS 10000

typedef struct bs_conninfo {
    char **variants;        /* owned, n_variants strings: [i] the string's options as keyword='value'
                               pairs, `options` prefixed with BS_SESSION_OPTIONS, and the host list
                               (host, hostaddr, and port when it has one entry per host) rotated
                               left by i; a string libpq does not parse: [0] exactly as given */
    int n_variants;         /* the number of hosts (at least 1); 1 for a string libpq does not parse */
    int connect_timeout_ms; /* the deadline of one attempt: connect_timeout (libpq: a value of 1 counts
                               as 2 s; 0 or less: no deadline), BS_CONNECT_TIMEOUT_DEFAULT_MS when absent */
} bs_conninfo;

/* Fills ci from conninfo (a URL or key=value string; any `options` in it are kept, after
 * BS_SESSION_OPTIONS); never fails (a string libpq cannot parse gets one variant, itself, and the
 * default timeout: connecting reports libpq's error). */
void bs_conninfo_init(bs_conninfo *ci, const char *conninfo);

void bs_conninfo_free(bs_conninfo *ci);

#endif
