/*
 * Bouwstroom API: the connection caps — open client connections in total and per client
 * address (docs/operations.md "Connection limits"). Pure bookkeeping (no sockets, no clock):
 * api/http.c asks it at every accept and tells it at every close.
 */
#ifndef BS_CONN_LIMIT_H
#define BS_CONN_LIMIT_H

#include <stdbool.h>

#include "netaddr.h"

typedef struct bs_conn_limits bs_conn_limits;

/* The answer to a new connection. */
typedef enum bs_conn_verdict {
    BS_CONN_ADMIT = 0,       /* counted: serve it */
    BS_CONN_OVER_CLIENT = 1, /* its address holds max_per_client connections already */
    BS_CONN_OVER_TOTAL = 2,  /* max_total connections are open already */
} bs_conn_verdict;

/* Caps of max_total open connections (>= 1) and max_per_client per client address (>= 1).
 * Never NULL (alloc.h). */
bs_conn_limits *bs_conn_limits_new(int max_total, int max_per_client);

/* Frees l now when no connection is counted; else when the last one is released (the
 * server stops while idle keep-alive connections are still closing). */
void bs_conn_limits_free(bs_conn_limits *l);

/* A new connection from a: counts it and returns BS_CONN_ADMIT, or returns the cap it would
 * exceed and counts nothing. exempt (a trusted proxy, which carries many clients): the
 * per-address cap does not apply; the total does. */
bs_conn_verdict bs_conn_admit(bs_conn_limits *l, const bs_netaddr *a, bool exempt);

/* An admitted connection from a closed. */
void bs_conn_release(bs_conn_limits *l, const bs_netaddr *a);

/* Connections counted: in total, and from a. */
int bs_conn_open(const bs_conn_limits *l);
int bs_conn_open_from(const bs_conn_limits *l, const bs_netaddr *a);

/* File descriptors kept for everything but client connections: the database pool and its
 * LISTEN connection, SMTP and ZGW transfers, the files the server reads, libuv's own. */
#define BS_CONN_RESERVED_FDS 256
/* Defaults of the caps (docs/operations.md "Connection limits"). */
#define BS_CONN_DEFAULT_MAX_TOTAL 8192
#define BS_CONN_DEFAULT_MAX_PER_CLIENT 128

/* The largest total cap a process with nofile open files (RLIMIT_NOFILE) can keep without
 * running out of descriptors: nofile less BS_CONN_RESERVED_FDS and the max_overflow
 * connections answered over a cap; at least 16. */
int bs_conn_total_ceiling(long nofile, int max_overflow);

/* The caps given to bs_conn_limits_new. */
int bs_conn_max_total(const bs_conn_limits *l);
int bs_conn_max_per_client(const bs_conn_limits *l);

#endif
