/* cli.h: the subcommands of the `wsnas` binary and shared CLI helpers.
 * Each subcommand lives in its own cmd_*.c and is the only place, with
 * main, that prints to the user or chooses an exit status. */
#ifndef WSNAS_CLI_H
#define WSNAS_CLI_H

#include "wsnas/common.h"

typedef int (*ws_cmd_fn)(int argc, char **argv);

int ws_cmd_arch(int argc, char **argv);
int ws_cmd_table(int argc, char **argv);
int ws_cmd_baseline(int argc, char **argv);
int ws_cmd_report(int argc, char **argv);
int ws_cmd_eval(int argc, char **argv);
int ws_cmd_search(int argc, char **argv);
int ws_cmd_bench(int argc, char **argv);

/* Strict number parsing for options: the whole string must be a number in
 * [lo, hi]; on failure prints "wsnas: --opt: expected ..." and returns nonzero. */
int ws_cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out);
int ws_cli_parse_double(const char *opt, const char *s, double lo, double hi, double *out);
/* Prints "wsnas <cmd>: <message>" for a failed library call; returns 1. */
int ws_cli_fail(const char *cmd, const ws_error *err);

#endif
