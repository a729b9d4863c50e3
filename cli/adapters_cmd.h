/*
 * bouwstroom adapters …: the adapter worker in `serve`, and the commands
 * `adapters run --once`, `adapters status`, `adapters retry`, `adapters notify`
 * (docs/adapters.md).
 */
#ifndef BS_ADAPTERS_CMD_H
#define BS_ADAPTERS_CMD_H

#include <stdbool.h>
#include <uv.h>

#include "clock.h"
#include "err.h"
#include "store.h"

typedef struct bs_cli_adapters bs_cli_adapters;

/* The ZGW configuration file: config_path, else BOUWSTROOM_ZGW_CONFIG; NULL when neither. */
const char *bs_cli_adapters_config_path(const char *config_path);

/* Starts the ZGW adapter worker on loop, on the runtime clock (NULL: the system clock), on
 * store (shared with the rest of the process; it must outlive the worker) from the
 * configuration file at path. once: process what is due, then call idle.
 * Returns the worker, or NULL with err filled: a configuration error as bs_zgw_config_load
 * (BS_EIO, BS_EMALFORMED, BS_EINVAL) or a start-up error as bs_zgw_start (BS_EINTERNAL). */
bs_cli_adapters *bs_cli_adapters_start(uv_loop_t *loop, const bs_clock *clock, bs_store *store, const char *path,
                                       bool once, void (*idle)(void *arg), void *idle_arg, bs_err *err);

/* Whether the worker's outbox runs, with one line into why (len bytes): bs_zgw_running. */
bool bs_cli_adapters_running(const bs_cli_adapters *a, char *why, size_t len);

/* Stops the worker (outcomes in flight are recorded first); done runs when everything is
 * freed. The store stays open. */
void bs_cli_adapters_stop(bs_cli_adapters *a, void (*done)(void *arg), void *arg);

/* Runs `adapters SUB …` (args after "adapters") with the command's store (migrated); done(rc)
 * is called once with the exit status. */
void bs_cli_adapters_command(uv_loop_t *loop, bs_store *store, int argc, char **argv, void (*done)(int rc, void *arg),
                             void *arg);

#endif
