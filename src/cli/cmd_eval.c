/* cmd_eval.c: `wsnas eval RUN`: rank disorder of a trained supernet: a
 * sample of architectures scored with the shared weights against their true
 * accuracy from a table (tau-b, Spearman, Pearson, P@K; pairs to a CSV). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "wsnas/eval.h"
#include "wsnas/stats.h"

static void eval_usage(FILE *f)
{
    fprintf(f,
            "usage: wsnas eval RUN_DIR|CHECKPOINT --table FILE [options]\n"
            "Scores architectures with the shared weights of a search run (its manifest\n"
            "config and checkpoint.bin) on the first images of the run's valid split and\n"
            "compares with their true accuracy from the table.\n\n"
            "options:\n"
            "  --table FILE         tabular benchmark (required)\n"
            "  --truth B/M          ground truth (default cifar10-valid/valid_acc_200)\n"
            "  --sample N           N architectures drawn uniformly without replacement\n"
            "                       (default 200)\n"
            "  --all-iso            all 6,466 isomorphism classes instead (truth = class mean)\n"
            "  --filled-only        draw the sample among the rows the table has filled\n"
            "                       (tables built by `wsnas table build` may be partial)\n"
            "  --iso-mean           truth = mean over the isomorphism class\n"
            "  --seed S             sample seed (default 1)\n"
            "  --images N           held-out images (default 1024)\n"
            "  --bn MODE            batch | running | recalibrate (default batch)\n"
            "  --calib-images N     recalibration images from the train split (default 512)\n"
            "  --batch N            forward batch (default 256)\n"
            "  --data-dir DIR       dataset directory (default: the run's)\n"
            "  --out FILE           pairs CSV (default RUN_DIR/eval_pairs.csv)\n"
            "  -h, --help           this help\n");
}

int ws_cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"table", required_argument, 0, 't'},  {"truth", required_argument, 0, 'T'},
        {"sample", required_argument, 0, 'n'}, {"all-iso", no_argument, 0, 'A'},
        {"filled-only", no_argument, 0, 'F'},
        {"iso-mean", no_argument, 0, 'I'},     {"seed", required_argument, 0, 's'},
        {"images", required_argument, 0, 'i'}, {"bn", required_argument, 0, 'b'},
        {"calib-images", required_argument, 0, 'c'}, {"batch", required_argument, 0, 'B'},
        {"data-dir", required_argument, 0, 'd'}, {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    ws_oneshot_opts o = ws_oneshot_opts_default();
    const char *table = NULL;
    static char bench[WS_TABLE_NAME_MAX], metric[WS_TABLE_NAME_MAX];
    ws_error err = {0};
    long v;
    int c;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 't': table = optarg; break;
        case 'T': {
            const char *slash = strrchr(optarg, '/');
            if (!slash || slash == optarg || !slash[1] ||
                (size_t)(slash - optarg) >= sizeof bench || strlen(slash + 1) >= sizeof metric) {
                return ws_cli_usage_error("--truth: expected BENCH/METRIC, got '%s'", optarg);
            }
            memcpy(bench, optarg, (size_t)(slash - optarg));
            bench[slash - optarg] = '\0';
            snprintf(metric, sizeof metric, "%s", slash + 1);
            o.bench = bench;
            o.metric = metric;
            break;
        }
        case 'n':
            if (ws_cli_parse_long("--sample", optarg, 2, WS_ARCH_COUNT, &v)) return 2;
            o.sample_size = (int)v;
            break;
        case 'A':
            o.sample_mode = WS_ONESHOT_ISO_ALL;
            o.iso_mean = 1;
            break;
        case 'F': o.sample_mode = WS_ONESHOT_FILLED; break;
        case 'I': o.iso_mean = 1; break;
        case 's':
            if (ws_cli_parse_long("--seed", optarg, 0, 1L << 53, &v)) return 2;
            o.seed = (uint64_t)v;
            break;
        case 'i':
            if (ws_cli_parse_long("--images", optarg, 1, 1000000, &v)) return 2;
            o.images = (int)v;
            break;
        case 'b':
            if (ws_oneshot_parse_bn(optarg, &o.bn_mode, &err)) return ws_cli_fail("eval", &err);
            break;
        case 'c':
            if (ws_cli_parse_long("--calib-images", optarg, 1, 1000000, &v)) return 2;
            o.calib_images = (int)v;
            break;
        case 'B':
            if (ws_cli_parse_long("--batch", optarg, 1, 4096, &v)) return 2;
            o.batch = (int)v;
            break;
        case 'd': o.data_dir = optarg; break;
        case 'o': o.out_pairs = optarg; break;
        case 'h': eval_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind != argc - 1 || !table)
        return ws_cli_usage_error("expected one run directory (or checkpoint) and --table");
    o.run = argv[optind];
    ws_table *t = NULL;
    if (ws_table_open(table, &t, &err)) return ws_cli_fail("eval", &err);
    ws_oneshot_result r;
    int rc = ws_oneshot_eval_run(&o, t, &r, &err);
    ws_table_close(t);
    if (rc) return ws_cli_fail("eval", &err);
    static const char *bn_names[] = {"batch", "running", "recalibrate"};
    printf("run %s: %s seed %llu on %s; %zu architectures (%s, seed %llu), truth %s/%s%s\n",
           o.run, r.method, (unsigned long long)r.seed, r.dataset, r.stats.n,
           o.sample_mode == WS_ONESHOT_ISO_ALL  ? "one per isomorphism class"
           : o.sample_mode == WS_ONESHOT_FILLED ? "uniform over filled rows"
                                                : "uniform",
           (unsigned long long)o.seed, o.bench, o.metric, o.iso_mean ? " (class mean)" : "");
    printf("one-shot: %d held-out images, BN %s", r.images, bn_names[o.bn_mode]);
    if (o.bn_mode == WS_BN_RECALIBRATE) printf(" (%d calibration images)", r.calib_images);
    printf(", %.2f s (%.1f ms per architecture)\n", r.seconds,
           1e3 * r.seconds / (double)r.stats.n);
    printf("kendall_tau_b %.4f  spearman_rho %.4f  pearson_r %.4f\n", r.stats.kendall_tau_b,
           r.stats.spearman_rho, r.stats.pearson_r);
    printf("P@1%% %.3f  P@5%% %.3f  P@10%% %.3f  P@50%% %.3f\n", r.stats.p_at_k[0],
           r.stats.p_at_k[1], r.stats.p_at_k[2], r.stats.p_at_k[3]);
    return 0;
}
