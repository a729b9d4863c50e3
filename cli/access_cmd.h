/*
 * `bouwstroom user invite|disable|reset-2fa` and `bouwstroom token create|revoke`:
 * command-line administration of access. See access_cmd.c and docs/security.md §6.
 */
#ifndef BS_ACCESS_CMD_H
#define BS_ACCESS_CMD_H

#include <stdbool.h>

/* True when command + argv (argv[0] = subcommand) is one of the commands here. */
bool bs_cli_access_handles(const char *command, int argc, char **argv);

/* Checks the subcommand and its required argument; 0 when fine, else 2 after a usage
 * message on stderr. */
int bs_cli_access_check(const char *command, int argc, char **argv);

/* Runs the command against conninfo (migrations already applied) on a blocking connection.
 * Returns the exit code: 0 done, 1 failed (one-line message on stderr), 2 usage. */
int bs_cli_access_run(const char *conninfo, const char *command, int argc, char **argv);

#endif
