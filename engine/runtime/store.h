/*
 * Bouwstroom runtime: asynchronous PostgreSQL store on the libuv loop.
 *
 * A small pool of libpq connections in non-blocking mode, each watched by a uv_poll on
 * its socket (stack-notes "libpq on the loop"). Nothing here blocks the loop thread:
 * connecting uses PQconnectStart/PQconnectPoll, queries PQsendQueryParams + PQflush.
 * One query at a time per connection; queries wait in a FIFO queue for a free one.
 */
#ifndef BS_STORE_H
#define BS_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct bs_store bs_store;
typedef struct bs_conn bs_conn;

/* Result callback. res is the last PGresult of the query (owned by the store: valid only
 * during the call; NULL when the connection failed). err is NULL on success, else a
 * one-line message (the PostgreSQL error text, or a connection error). The store keeps this
 * plain text rather than a bs_err (err.h): a store error is always reported to the shell's
 * caller as BS_EUNAVAILABLE with this text as the message. */
typedef void (*bs_store_cb)(const PGresult *res, const char *err, void *arg);

/* Called when the pool is connected (err NULL) or failed to connect (err set). */
typedef void (*bs_store_ready_cb)(bs_store *store, const char *err, void *arg);

/* Creates a pool of pool_size connections (1..32) to conninfo (URL or key=value) on loop
 * and starts connecting. ready is called once, when all connections are up or the first
 * has failed. Returns the store (freed by bs_store_close), or NULL when out of memory. */
bs_store *bs_store_open(uv_loop_t *loop, const char *conninfo, int pool_size, bs_store_ready_cb ready, void *arg);

/* Queues one statement with text parameters ($1 …, NULL = SQL NULL) on any free
 * connection. sql and params are copied. cb is always called exactly once (also when the
 * store is closing: err "store closed"). */
void bs_store_query(bs_store *store, const char *sql, int n_params, const char *const *params, bs_store_cb cb,
                    void *arg);

/* A named SQL statement, prepared once per connection (PostgreSQL's extended query protocol:
 * Parse once, then Bind/Execute with parameters only; PostgreSQL docs §55.2.3). Declared as a
 * static const object in its module's *_sql.h, with a comment saying what it does and what
 * each parameter is: the store keys the session's prepared statements by the object's address,
 * name is the statement's name on the server (unique in the process, [a-z0-9_]) and n_params
 * the number of $n parameters (all text). */
typedef struct bs_stmt {
    const char *name;
    const char *sql;
    int n_params;
} bs_stmt;

/* Runs named statement stmt with stmt->n_params text parameters (NULL = SQL NULL) on any free
 * connection: the first time on a connection it is prepared (one extra round trip), after that
 * only the parameters travel. Same contract as bs_store_query (params copied, cb exactly once).
 * A failed PREPARE (e.g. a syntax error) is reported to cb as the query's error. */
void bs_store_exec(bs_store *store, const bs_stmt *stmt, const char *const *params, bs_store_cb cb, void *arg);

/* Exclusive use of one connection, for transactions (BEGIN … COMMIT) and scripts.
 * cb receives the connection (or NULL with err when the store is closing). The holder must
 * call bs_store_release exactly once. */
typedef void (*bs_conn_cb)(bs_conn *conn, const char *err, void *arg);
void bs_store_acquire(bs_store *store, bs_conn_cb cb, void *arg);

/* Runs a statement on an acquired connection (same contract as bs_store_query). */
void bs_conn_query(bs_conn *conn, const char *sql, int n_params, const char *const *params, bs_store_cb cb, void *arg);

/* Runs a named statement on an acquired connection (same contract as bs_store_exec). */
void bs_conn_exec(bs_conn *conn, const bs_stmt *stmt, const char *const *params, bs_store_cb cb, void *arg);

/* Runs a script of several statements without parameters (simple query protocol) on an
 * acquired connection; cb gets the last result. */
void bs_conn_script(bs_conn *conn, const char *sql, bs_store_cb cb, void *arg);

/* Loads rows with COPY … FROM STDIN on an acquired connection: sql is the COPY statement
 * (e.g. "COPY staging (a, b) FROM STDIN"), data the rows in the format it names (len bytes;
 * copied, so it may be freed after the call). The rows are sent without blocking the loop
 * (PQputCopyData as the socket drains, then PQputCopyEnd). cb as for bs_conn_query: err
 * NULL when the server accepted every row (PQcmdTuples of res gives their number), else the
 * server's message (e.g. a malformed row, with the line of the data). */
void bs_conn_copy(bs_conn *conn, const char *sql, const char *data, size_t len, bs_store_cb cb, void *arg);

/* False once the connection was lost (an acquired connection is not replaced while held:
 * release it and acquire another). */
bool bs_conn_alive(const bs_conn *conn);

/* Returns an acquired connection to the pool. If the connection is inside a failed or
 * open transaction, it is rolled back first. */
void bs_store_release(bs_conn *conn);

/* Number of queued jobs plus busy connections (for draining at shutdown). */
int bs_store_pending(const bs_store *store);

/* Closes all connections and frees the store once their handles are closed. Queued jobs
 * get err "store closed". done (may be NULL) is called when everything is released. */
void bs_store_close(bs_store *store, void (*done)(void *arg), void *arg);

/* Applies the SQL migrations in dir (files NNNN_name.sql, in name order) that are not yet
 * recorded in table schema_migrations, each in its own transaction together with its
 * record, under an advisory lock (safe to re-run, safe with concurrent starters).
 * cb: err NULL on success; n_applied = how many were applied now. */
typedef void (*bs_migrate_cb)(const char *err, int n_applied, void *arg);
void bs_store_migrate(bs_store *store, const char *dir, bs_migrate_cb cb, void *arg);

/* The versions (the NNNN of NNNN_name.sql) of the migrations in dir, as a PostgreSQL text[]
 * literal ("{0001,0002}"), *n of them; caller frees. NULL (errno set) when dir cannot be
 * read. What this build expects in schema_migrations (GET /readyz). */
char *bs_store_migration_versions(const char *dir, int *n);

/* LISTEN/NOTIFY on one connection for every subscriber. bs_store_listen subscribes cb to
 * channel (a plain identifier, at most 63 bytes): the store holds one connection of the pool
 * for LISTEN while it has subscribers, issues LISTEN for every subscribed channel on it, and
 * delivers each notification to every subscriber of its channel (payload "" when empty).
 * When that connection is lost it listens again on another one (every second while the
 * database is away); after every (re)LISTEN each subscriber is called once with payload NULL:
 * notifications may have been missed meanwhile, look now. At most 16 subscribers. Returns
 * the subscription (ended by bs_store_unlisten), or NULL when the table is full. */
typedef void (*bs_notify_cb)(const char *channel, const char *payload, void *arg);
typedef struct bs_store_sub bs_store_sub;
bs_store_sub *bs_store_listen(bs_store *store, const char *channel, bs_notify_cb cb, void *arg);

/* Ends a subscription: cb is not called again. The last one gives the LISTEN connection
 * back to the pool. sub may be NULL. */
void bs_store_unlisten(bs_store_sub *sub);

/* The script that opens a transaction whose writes the audit log attributes to actor_json
 * (a JSON object, migration 0010: {"user_id", "email", "organisation_id", "label",
 * "address"}): "BEGIN; SELECT set_config('bouwstroom.actor', '<actor>', true)", the actor
 * as an SQL string literal (quotes doubled; standard_conforming_strings, the default since
 * PostgreSQL 9.1). actor_json NULL: plain "BEGIN". Returns a malloc'd string (caller frees). */
char *bs_store_begin_as(const char *actor_json);

/* Runs the loop until *flag becomes true (helper for CLI commands). */
void bs_run_until(uv_loop_t *loop, const volatile bool *flag);

#endif
