/* cmd_eval.c: `wsnas eval RUN`: rank disorder of a trained supernet: a
 * sample of architectures scored with the shared weights against their true
 * accuracy from a table (tau-b, Spearman, Pearson, P@K; pairs to a CSV). */
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
    ws_oneshot_args a;
    ws_error err = {0};
    if (ws_oneshot_args_parse(argc, argv, &a, &err)) return ws_cli_usage_error("%s", err.msg);
    if (a.help) {
        eval_usage(stdout);
        return 0;
    }
    const ws_oneshot_opts *op = &a.o;
    const char *table = a.table;
    ws_table *t = NULL;
    if (ws_table_open(table, &t, &err)) return ws_cli_fail("eval", &err);
    ws_oneshot_result r;
    int rc = ws_oneshot_eval_run(op, t, &r, &err);
    ws_table_close(t);
    if (rc) return ws_cli_fail("eval", &err);
    static const char *bn_names[] = {"batch", "running", "recalibrate"};
    printf("run %s: %s seed %llu on %s; %zu architectures (%s, seed %llu), truth %s/%s%s\n",
           op->run, r.method, (unsigned long long)r.seed, r.dataset, r.stats.n,
           op->sample_mode == WS_ONESHOT_ISO_ALL  ? "one per isomorphism class"
           : op->sample_mode == WS_ONESHOT_FILLED ? "uniform over filled rows"
                                                : "uniform",
           (unsigned long long)op->seed, op->bench, op->metric, op->iso_mean ? " (class mean)" : "");
    printf("one-shot: %d held-out images, BN %s", r.images, bn_names[op->bn_mode]);
    if (op->bn_mode == WS_BN_RECALIBRATE) printf(" (%d calibration images)", r.calib_images);
    printf(", %.2f s (%.1f ms per architecture)\n", r.seconds,
           1e3 * r.seconds / (double)r.stats.n);
    printf("kendall_tau_b %.4f  spearman_rho %.4f  pearson_r %.4f\n", r.stats.kendall_tau_b,
           r.stats.spearman_rho, r.stats.pearson_r);
    printf("P@1%% %.3f  P@5%% %.3f  P@10%% %.3f  P@50%% %.3f\n", r.stats.p_at_k[0],
           r.stats.p_at_k[1], r.stats.p_at_k[2], r.stats.p_at_k[3]);
    return 0;
}
