/* args.c: option parsing that reports through ws_error instead of printing
 * (args.h): getopt_long with "did you mean" and strict number parsing. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsnas/args.h"

const struct option *ws_args_long_option(const struct option *lo, const char *name, size_t n)
{
    const struct option *hit = NULL;
    int hits = 0;
    for (; lo && lo->name; lo++) {
        if (strlen(lo->name) == n && !strncmp(lo->name, name, n)) return lo;
        if (!strncmp(lo->name, name, n)) hit = lo, hits++;
    }
    return hits == 1 ? hit : NULL;
}

int ws_args_getopt(int argc, char **argv, const char *shortopts, const struct option *lo,
                   ws_error *err)
{
    char so[64];
    snprintf(so, sizeof so, ":%s", shortopts);
    opterr = 0;
    int c = getopt_long(argc, argv, so, lo, NULL);
    if (c != '?' && c != ':') return c;
    const char *tok = optind - 1 < argc && optind >= 1 ? argv[optind - 1] : "";
    char name[80];
    if (!strncmp(tok, "--", 2))
        snprintf(name, sizeof name, "%.*s", (int)strcspn(tok, "="), tok);
    else
        snprintf(name, sizeof name, "-%c", optopt ? optopt : '?');
    if (c == ':') {
        ws_error_set(err, WS_EINVAL, "option '%s' needs a value", name);
        return '?';
    }
    const struct option *o =
        name[1] == '-' ? ws_args_long_option(lo, name + 2, strlen(name + 2)) : NULL;
    if (o && o->has_arg == no_argument && strchr(tok, '=')) {
        ws_error_set(err, WS_EINVAL, "option '%s' takes no value", name);
        return '?';
    }
    const char *names[128];
    int n = 0;
    for (const struct option *p = lo; p && p->name && n < 128; p++) names[n++] = p->name;
    const char *near = name[1] == '-' ? ws_suggest(name + 2, names, n) : NULL;
    if (near)
        ws_error_set(err, WS_EINVAL, "unknown option '%s'; did you mean '--%s'?", name, near);
    else
        ws_error_set(err, WS_EINVAL, "unknown option '%s'", name);
    return '?';
}

int ws_args_each(int argc, char **argv, const struct option *lo, ws_args_take_fn take,
                 void *user, int *help, ws_error *err)
{
    int c;
    optind = 1;
    while ((c = ws_args_getopt(argc, argv, "h", lo, err)) != -1) {
        if (c == '?') return WS_EINVAL;
        if (c == 'h') {
            *help = 1;
            return 0;
        }
        int rc = take(c, optarg, user, err);
        if (rc) return rc;
    }
    return 0;
}

int ws_args_long(const char *opt, const char *s, long lo, long hi, long *out, ws_error *err)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!s[0] || errno || !end || *end)
        return ws_error_set(err, WS_EINVAL, "%s: expected an integer, got '%s'", opt, s);
    if (v < lo || v > hi)
        return ws_error_set(err, WS_ERANGE, "%s: %ld is out of range [%ld, %ld]", opt, v, lo, hi);
    *out = v;
    return 0;
}

int ws_args_double(const char *opt, const char *s, double lo, double hi, double *out,
                   ws_error *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!s[0] || errno || !end || *end || !isfinite(v))
        return ws_error_set(err, WS_EINVAL, "%s: expected a number, got '%s'", opt, s);
    if (v < lo || v > hi)
        return ws_error_set(err, WS_ERANGE, "%s: %g is out of range [%g, %g]", opt, v, lo, hi);
    *out = v;
    return 0;
}
