/* args.h: command-line options parsed by library calls that print nothing:
 * getopt_long with one-line errors ("unknown option '--epochz'; did you
 * mean '--epochs'?") and strict numbers.  The subcommands' parsers
 * (ws_search_args_parse, ws_oneshot_args_parse) are built on them, so that
 * `wsnas search`/`wsnas eval` and the suite check of `wsnas bench`
 * (src/bench/check.c) read arguments through the same code; main prints. */
#ifndef WSNAS_ARGS_H
#define WSNAS_ARGS_H

#include <getopt.h>

#include "wsnas/common.h"

/* getopt_long over argv (set optind = 1 before the first call): the option's
 * value, -1 at the end, or '?' with err set (WS_EINVAL) for an unknown
 * option (with the nearest long option when close), a missing value or a
 * value given to an option that takes none. */
int ws_args_getopt(int argc, char **argv, const char *shortopts, const struct option *lo,
                   ws_error *err);
/* One parsed option `c` with its value (NULL if it takes none) into user. */
typedef int (*ws_args_take_fn)(int c, const char *value, void *user, ws_error *err);
/* Every option of argv (from optind = 1) through take(); -h/--help (the
 * value 'h') sets *help and stops at once.  0 with optind at the first
 * positional argument, or the first error. */
int ws_args_each(int argc, char **argv, const struct option *lo, ws_args_take_fn take,
                 void *user, int *help, ws_error *err);
/* The long option named exactly `name` (n characters), or the only one it
 * abbreviates; NULL if none or several. */
const struct option *ws_args_long_option(const struct option *lo, const char *name, size_t n);
/* Strict numbers: the whole string a number in [lo, hi]; else WS_EINVAL
 * "OPT: expected an integer, got 'S'" or WS_ERANGE "OPT: V is out of range
 * [LO, HI]". */
int ws_args_long(const char *opt, const char *s, long lo, long hi, long *out, ws_error *err);
int ws_args_double(const char *opt, const char *s, double lo, double hi, double *out,
                   ws_error *err);

#endif
