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
 */
#ifndef BS_CONNINFO_H
#define BS_CONNINFO_H

/* Without connect_timeout in the string the store waits at most this long for one attempt. */
#define BS_CONNECT_TIMEOUT_DEFAULT_MS 10000

typedef struct bs_conninfo {
    char **variants;        /* owned, n_variants strings: [0] the string exactly as given, [i] the same
                               options with the host list (host, hostaddr, and port when it has one
                               entry per host) rotated left by i, as keyword='value' pairs */
    int n_variants;         /* the number of hosts; 1 for one host or a string libpq does not parse */
    int connect_timeout_ms; /* the deadline of one attempt: connect_timeout (libpq: a value of 1 counts
                               as 2 s; 0 or less: no deadline), BS_CONNECT_TIMEOUT_DEFAULT_MS when absent */
} bs_conninfo;

/* Fills ci from conninfo (a URL or key=value string); never fails (a string libpq cannot parse
 * gets one variant, itself, and the default timeout: connecting reports libpq's error). */
void bs_conninfo_init(bs_conninfo *ci, const char *conninfo);

void bs_conninfo_free(bs_conninfo *ci);

#endif
