/* util.c: strict number parsing and error printing shared by subcommands. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int ws_cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!s[0] || errno || !end || *end) {
        fprintf(stderr, "wsnas: %s: expected an integer, got '%s'\n", opt, s);
        return 1;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "wsnas: %s: %ld is out of range [%ld, %ld]\n", opt, v, lo, hi);
        return 1;
    }
    *out = v;
    return 0;
}

int ws_cli_parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!s[0] || errno || !end || *end || !isfinite(v)) {
        fprintf(stderr, "wsnas: %s: expected a number, got '%s'\n", opt, s);
        return 1;
    }
    if (v < lo || v > hi) {
        fprintf(stderr, "wsnas: %s: %g is out of range [%g, %g]\n", opt, v, lo, hi);
        return 1;
    }
    *out = v;
    return 0;
}

int ws_cli_fail(const char *cmd, const ws_error *err)
{
    fprintf(stderr, "wsnas %s: %s\n", cmd, err && err->msg[0] ? err->msg : "failed");
    return 1;
}
