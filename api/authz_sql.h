/*
 * Bouwstroom API: the SQL of the gate (authz.c).
 *
 * Named statements (bs_stmt, store.h): prepared once per connection, then only parameters
 * travel. Each says what it does and what its parameters are.
 */
#ifndef BS_AUTHZ_SQL_H
#define BS_AUTHZ_SQL_H

#include "store.h"

/* The principal and its access to the addressed project in one round trip (bs_gate, migration 0015, keeps its
 * plans per connection). The last column (token_expires) is the API token's expiry (Unix seconds, NULL: none or a
 * session), compared with the server's clock (bs_api.clock, which `serve --clock` moves) as well as bs_gate's own
 * now(). $1 credential hash or '', $2 credential kind (session, token, none), $3 project id or NULL. */
static const bs_stmt SQL_GATE = {"gate",
                                 "SELECT g.*, extract(epoch FROM t.expires_at)::bigint AS token_expires "
                                 "FROM bs_gate($1, $2, $3::uuid) g "
                                 "LEFT JOIN api_tokens t ON t.id = g.o_token",
                                 3};

#endif
