/*
 * Bouwstroom API: the SQL of the gate (authz.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_AUTHZ_SQL_H
#define BS_AUTHZ_SQL_H

#include "schedule_state_sql.h"
#include "store.h"

/* The principal and its access to the addressed project in one round trip (bs_gate, migrations 0015 and 0047: one
 * SQL statement that PostgreSQL inlines here, planned with this statement once per connection). The last column (token_expires) is the API token's expiry (Unix seconds, NULL: none or a
 * session), compared with the server's clock (bs_api.clock, which `serve --clock` moves) as well as bs_gate's own
 * now(). $1 credential hash or '', $2 credential kind (session, token, none), $3 project id or NULL. */
static const bs_stmt SQL_GATE = {"gate",
                                 "SELECT g.*, extract(epoch FROM t.expires_at)::bigint AS token_expires "
                                 "FROM bs_gate($1, $2, $3::uuid) g "
                                 "LEFT JOIN api_tokens t ON t.id = g.o_token",
                                 3};

/* SQL_GATE and, in the same statement, the addressed project's scheduling state as SQL_SCHEDULE_LOAD_NOW loads it
 * (routes_schedule_sql.h): the gate of the step writes (BS_NEED_STEP_WRITE) and of GET …/schedule without known_on,
 * whose handlers then need no second round trip (issue 17 items 1 and 5). Columns after g.*: state_stamp (the project's forecast stamp, NULL when the project does not
 * exist), state_stale_months, state (the JSON; NULL when the project does not exist or when the stamp equals $4: the
 * server's state cache holds it, api/state_cache.h), gate_row (g as text: what the one-trip step write checks, SQL_SCHEDULE_WRITE_ONE_TRIP), token_expires last. The state is read whatever the decision; only
 * an allowed request uses it. Same parameters as SQL_GATE ($3 not NULL), and $4 the cached stamp or NULL. */
static const bs_stmt SQL_GATE_STATE = {
    "gate_state",
    "SELECT g.*, " BS_STATE_IF_CHANGED_COLUMNS("$3", "$4") ", "
                                                           "g::text AS gate_row, "
                                                           "extract(epoch FROM t.expires_at)::bigint AS token_expires "
                                                           "FROM bs_gate($1, $2, $3::uuid) g "
                                                           "LEFT JOIN api_tokens t ON t.id = g.o_token "
                                                           "LEFT JOIN " BS_STATE_STAMP_FROM("$3") " ON true",
    4};

#endif
