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
int ws_cmd_proxy(int argc, char **argv);

struct option;

/* Names the running subcommand ("search", "table import") for the prefix
 * "wsnas CMD:" of every message; ws_cli_prog() is "wsnas CMD". */
void ws_cli_set_command(const char *cmd);
const char *ws_cli_prog(void);
/* "wsnas CMD: <message>" on stderr. */
void ws_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "wsnas CMD: <message> (try 'wsnas CMD --help')" on stderr; returns 2. */
int ws_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* getopt_long, but a bad option prints one usage error (unknown option with
 * the nearest long option when close, missing value, value not taken) and
 * returns '?'. */
int ws_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *lo);
/* Moves the arguments that are negative numbers ("-1", "-0.5") and not an
 * option's value to the end of argv, and returns the argc to give getopt:
 * they stay positional values (argv[optind..argc) with the full argc)
 * instead of being read as options. */
int ws_cli_hold_negatives(int argc, char **argv, const char *shortopts,
                          const struct option *lo);
/* Strict number parsing for options: the whole string must be a number in
 * [lo, hi]; on failure prints "wsnas CMD: --opt: expected ..." and returns
 * nonzero. */
int ws_cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out);
int ws_cli_parse_double(const char *opt, const char *s, double lo, double hi, double *out);
/* An architecture list file: one official string or index per line; blank
 * lines and lines starting with '#' are skipped.  Fills `set` with their
 * classes (tablebuild.h); a bad line gives "FILE:LINE: ...". */
struct ws_space;
struct ws_build_set;
int ws_cli_archs_file(const char *path, const struct ws_space *sp, struct ws_build_set *set,
                      ws_error *err);
/* The architecture set of `table build` and `proxy`: --arch A (repeatable),
 * --archs-file F, --sample N [--sample-seed S] or --all, exactly one.
 * WS_CLI_SET_OPTIONS goes into the command's option table (getopt.h),
 * ws_cli_set_option takes its codes, ws_cli_set_problem checks the choice
 * after parsing and ws_cli_make_set makes the set of classes (tablebuild.h). */
enum {
    WS_CLI_OPT_ARCH = 0x100,
    WS_CLI_OPT_ARCHS_FILE,
    WS_CLI_OPT_SAMPLE,
    WS_CLI_OPT_SAMPLE_SEED,
    WS_CLI_OPT_ALL
};
#define WS_CLI_SET_OPTIONS                                            \
    {"arch", required_argument, NULL, WS_CLI_OPT_ARCH},               \
    {"archs-file", required_argument, NULL, WS_CLI_OPT_ARCHS_FILE},   \
    {"sample", required_argument, NULL, WS_CLI_OPT_SAMPLE},           \
    {"sample-seed", required_argument, NULL, WS_CLI_OPT_SAMPLE_SEED}, \
    {"all", no_argument, NULL, WS_CLI_OPT_ALL}
#define WS_CLI_SET_USAGE                                                     \
    "SET (one of):\n"                                                        \
    "  --arch A               an architecture string or index; repeatable\n" \
    "  --archs-file F         one architecture string or index per line\n"   \
    "  --sample N             N random classes (prefix-stable in N)\n"       \
    "  --all                  all 6,466 isomorphism classes\n"
typedef struct ws_cli_set_args {
    const char **archs; /* the --arch values (room for every argument) */
    int n_archs, all;
    const char *file;
    long sample, sample_seed;
} ws_cli_set_args;
/* Room for the --arch values of argc arguments; nonzero when out of memory. */
int ws_cli_set_args_init(ws_cli_set_args *s, int argc);
void ws_cli_set_args_free(ws_cli_set_args *s);
/* One getopt code: 0 when it is not a SET option, 1 taken, -1 a bad value
 * (printed). */
int ws_cli_set_option(ws_cli_set_args *s, int c, const char *arg);
/* NULL when exactly one SET was given, else what is wrong. */
const char *ws_cli_set_problem(const ws_cli_set_args *s);
int ws_cli_make_set(const ws_cli_set_args *s, struct ws_build_set *set, ws_error *err);
/* Prints "wsnas <cmd>: <message>" for a failed library call; returns 1. */
int ws_cli_fail(const char *cmd, const ws_error *err);

#endif
