/* util.c: what every subcommand shares: the "wsnas CMD:" prefix of its
 * messages, one-line usage errors ("... (try 'wsnas CMD --help')"), option
 * parsing with "did you mean", negative numbers kept as values, strict
 * number parsing and architecture list files. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wsnas/args.h"
#include "wsnas/space.h"
#include "wsnas/tablebuild.h"

static char g_prog[96] = "wsnas";

void ws_cli_set_command(const char *cmd)
{
    snprintf(g_prog, sizeof g_prog, "wsnas%s%s", cmd ? " " : "", cmd ? cmd : "");
}

const char *ws_cli_prog(void)
{
    return g_prog;
}

void ws_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", g_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int ws_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", g_prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (try '%s --help')\n", g_prog);
    va_end(ap);
    return 2;
}

int ws_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *lo)
{
    ws_error err = {0};
    int c = ws_args_getopt(argc, argv, shortopts, lo, &err);
    if (c == '?') ws_cli_usage_error("%s", err.msg);
    return c;
}

/* "-1", "-2.5", "-.5", "-1e3": a negative number, not an option. */
static int is_negative_number(const char *s)
{
    if (s[0] != '-' || !((s[1] >= '0' && s[1] <= '9') || s[1] == '.')) return 0;
    char *end = NULL;
    strtod(s, &end);
    return end && end != s && !*end;
}

/* Whether `prev` is an option whose value is the next argument. */
static int takes_next(const char *prev, const char *shortopts, const struct option *lo)
{
    if (!strncmp(prev, "--", 2)) {
        if (strchr(prev, '=')) return 0;
        const struct option *o = ws_args_long_option(lo, prev + 2, strlen(prev + 2));
        return o && o->has_arg == required_argument;
    }
    if (prev[0] != '-' || !prev[1] || prev[2]) return 0;
    const char *p = strchr(shortopts, prev[1]);
    return p && p[1] == ':';
}

int ws_cli_hold_negatives(int argc, char **argv, const char *shortopts,
                          const struct option *lo)
{
    char *held[256];
    int nh = 0, w = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            while (i < argc) argv[w++] = argv[i++];
            break;
        }
        if (nh < 256 && is_negative_number(argv[i]) &&
            !(i > 1 && takes_next(argv[i - 1], shortopts, lo))) {
            held[nh++] = argv[i];
            continue;
        }
        argv[w++] = argv[i];
    }
    for (int k = 0; k < nh; k++) argv[w++] = held[k];
    return argc - nh;
}

int ws_cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    ws_error err = {0};
    int rc = ws_args_long(opt, s, lo, hi, out, &err);
    if (rc) ws_cli_error("%s", err.msg);
    return rc != 0;
}

int ws_cli_parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    ws_error err = {0};
    int rc = ws_args_double(opt, s, lo, hi, out, &err);
    if (rc) ws_cli_error("%s", err.msg);
    return rc != 0;
}

int ws_cli_fail(const char *cmd, const ws_error *err)
{
    fprintf(stderr, "wsnas %s: %s\n", cmd, err && err->msg[0] ? err->msg : "failed");
    return 1;
}

int ws_cli_archs_file(const char *path, const ws_space *sp, ws_build_set *set, ws_error *err)
{
    char *text = NULL;
    int rc = ws_file_read_text(path, &text, err);
    if (rc) return rc;
    size_t n = 0, cap = 64;
    const char **lines = malloc(cap * sizeof *lines);
    if (!lines) rc = ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    int lineno = 0;
    for (char *l = text, *end; !rc && l && *l; l = end) {
        end = strchr(l, '\n');
        if (end) *end++ = '\0';
        lineno++;
        size_t len = strlen(l);
        if (len && l[len - 1] == '\r') l[--len] = '\0';
        while (*l == ' ' || *l == '\t') l++;
        if (!*l || *l == '#') continue;
        int index;
        if ((rc = ws_space_lookup(sp, l, &index, err))) {
            ws_error_prefix(err, "%s:%d", path, lineno);
            break;
        }
        if (n == cap) {
            const char **p = realloc(lines, (cap *= 2) * sizeof *lines);
            if (!p) {
                rc = ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
                break;
            }
            lines = p;
        }
        lines[n++] = l;
    }
    if (!rc && n == 0) rc = ws_error_set(err, WS_EINVAL, "%s: no architectures listed", path);
    if (!rc) rc = ws_build_set_list(sp, lines, (int)n, set, err);
    free(lines);
    free(text);
    return rc;
}

int ws_cli_set_args_init(ws_cli_set_args *s, int argc)
{
    memset(s, 0, sizeof *s);
    s->archs = calloc((size_t)argc + 1, sizeof *s->archs);
    return s->archs ? 0 : WS_ENOMEM;
}

void ws_cli_set_args_free(ws_cli_set_args *s)
{
    free(s->archs);
    s->archs = NULL;
}

int ws_cli_set_option(ws_cli_set_args *s, int c, const char *arg)
{
    int bad = 0;
    switch (c) {
    case WS_CLI_OPT_ARCH: s->archs[s->n_archs++] = arg; break;
    case WS_CLI_OPT_ARCHS_FILE: s->file = arg; break;
    case WS_CLI_OPT_SAMPLE:
        bad = ws_cli_parse_long("--sample", arg, 1, WS_ISO_CLASSES, &s->sample);
        break;
    case WS_CLI_OPT_SAMPLE_SEED:
        bad = ws_cli_parse_long("--sample-seed", arg, 0, 0x7fffffffL, &s->sample_seed);
        break;
    case WS_CLI_OPT_ALL: s->all = 1; break;
    default: return 0;
    }
    return bad ? -1 : 1;
}

const char *ws_cli_set_problem(const ws_cli_set_args *s)
{
    int n = (s->n_archs > 0) + (s->file != NULL) + (s->sample > 0) + s->all;
    return n == 1 ? NULL : "give exactly one of --arch/--archs-file, --sample, --all";
}

int ws_cli_make_set(const ws_cli_set_args *s, ws_build_set *set, ws_error *err)
{
    ws_space *sp = ws_space_alloc();
    if (!sp) return ws_error_set(err, WS_ENOMEM, "out of memory");
    int rc;
    if (s->file)
        rc = ws_cli_archs_file(s->file, sp, set, err);
    else if (s->n_archs)
        rc = ws_build_set_list(sp, s->archs, s->n_archs, set, err);
    else if (s->sample)
        rc = ws_build_set_sample(sp, (int)s->sample, (uint64_t)s->sample_seed, set, err);
    else
        rc = ws_build_set_all(sp, set, err);
    ws_space_free(sp);
    return rc;
}
