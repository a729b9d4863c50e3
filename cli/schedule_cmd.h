/*
 * `bouwstroom schedule FILE.json`: the offline scheduler (no database). See schedule_cmd.c
 * and docs/scheduling.md §9.
 */
#ifndef BS_SCHEDULE_CMD_H
#define BS_SCHEDULE_CMD_H

/* argv[0] = FILE.json ("-" = standard input). Prints the schedule JSON on stdout.
 * Returns the exit code: 0 ok, 1 invalid input (message naming the field on stderr),
 * 2 usage, 3 the links form a cycle (the cycle path on stderr). */
int bs_cli_schedule(int argc, char **argv);

#endif
