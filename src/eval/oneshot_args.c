/* oneshot_args.c: the command line of `wsnas eval` as one library call (one
 * option table), run by cmd_eval.c on its argv and by the suite check
 * (src/bench/check.c) on every run's eval arguments. */
#include <stdio.h>
#include <string.h>

#include "wsnas/args.h"
#include "wsnas/eval.h"
#include "wsnas/space.h"

static const struct option eval_opts[] = {
    {"table", required_argument, 0, 't'},        {"truth", required_argument, 0, 'T'},
    {"sample", required_argument, 0, 'n'},       {"all-iso", no_argument, 0, 'A'},
    {"filled-only", no_argument, 0, 'F'},        {"iso-mean", no_argument, 0, 'I'},
    {"seed", required_argument, 0, 's'},         {"images", required_argument, 0, 'i'},
    {"bn", required_argument, 0, 'b'},           {"calib-images", required_argument, 0, 'c'},
    {"batch", required_argument, 0, 'B'},        {"data-dir", required_argument, 0, 'd'},
    {"out", required_argument, 0, 'o'},          {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

/* --truth BENCH/METRIC into a. */
static int take_truth(const char *v, ws_oneshot_args *a, ws_error *err)
{
    const char *slash = strrchr(v, '/');
    if (!slash || slash == v || !slash[1] || (size_t)(slash - v) >= sizeof a->bench ||
        strlen(slash + 1) >= sizeof a->metric)
        return ws_error_set(err, WS_EINVAL, "--truth: expected BENCH/METRIC, got '%s'", v);
    memcpy(a->bench, v, (size_t)(slash - v));
    a->bench[slash - v] = '\0';
    snprintf(a->metric, sizeof a->metric, "%s", slash + 1);
    a->o.bench = a->bench;
    a->o.metric = a->metric;
    a->truth_given = 1;
    return 0;
}

/* A count option in [lo, hi] into *dst. */
static int take_int(const char *opt, const char *v, long lo, long hi, int *dst, ws_error *err)
{
    long x;
    int rc = ws_args_long(opt, v, lo, hi, &x, err);
    if (!rc) *dst = (int)x;
    return rc;
}

/* One option with its value into a. */
static int take_option(int c, const char *v, void *user, ws_error *err)
{
    ws_oneshot_args *a = user;
    ws_oneshot_opts *o = &a->o;
    long x;
    switch (c) {
    case 't': a->table = v; return 0;
    case 'T': return take_truth(v, a, err);
    case 'n': return take_int("--sample", v, 2, WS_ARCH_COUNT, &o->sample_size, err);
    case 'A':
        o->sample_mode = WS_ONESHOT_ISO_ALL;
        o->iso_mean = 1;
        return 0;
    case 'F': o->sample_mode = WS_ONESHOT_FILLED; return 0;
    case 'I': o->iso_mean = 1; return 0;
    case 's': {
        int rc = ws_args_long("--seed", v, 0, 1L << 53, &x, err);
        if (!rc) o->seed = (uint64_t)x;
        return rc;
    }
    case 'i': return take_int("--images", v, 1, 1000000, &o->images, err);
    case 'b': return ws_oneshot_parse_bn(v, &o->bn_mode, err);
    case 'c': return take_int("--calib-images", v, 1, 1000000, &o->calib_images, err);
    case 'B': return take_int("--batch", v, 1, 4096, &o->batch, err);
    case 'd': o->data_dir = v; return 0;
    case 'o': o->out_pairs = v; return 0;
    default: return ws_error_set(err, WS_EINVAL, "unknown option");
    }
}

int ws_oneshot_args_parse(int argc, char **argv, ws_oneshot_args *a, ws_error *err)
{
    memset(a, 0, sizeof *a);
    a->o = ws_oneshot_opts_default();
    int rc = ws_args_each(argc, argv, eval_opts, take_option, a, &a->help, err);
    if (rc || a->help) return rc;
    if (optind != argc - 1 || !a->table)
        return ws_error_set(err, WS_EINVAL,
                            "expected one run directory (or checkpoint) and --table");
    a->o.run = argv[optind];
    return 0;
}
