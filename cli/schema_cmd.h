/*
 * `bouwstroom schema export-bpmn KEY|FILE` and `bouwstroom schema import-bpmn FILE`: the BPMN 2.0
 * exchange of process schemas (adapters/bpmn.h; docs/process-schema.md "BPMN 2.0 exchange").
 * Offline: no database.
 */
#ifndef BS_SCHEMA_CMD_H
#define BS_SCHEMA_CMD_H

/* argv[0] = the subcommand (export-bpmn, import-bpmn), argv[1] = a shipped schema's key or a
 * file ("-" = standard input). Prints the BPMN XML or the schema's canonical JSON on stdout.
 * Returns the exit code: 0 ok, 1 refused input (every problem on stderr), 2 usage. */
int bs_cli_schema(int argc, char **argv);

#endif
