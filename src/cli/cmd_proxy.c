/* cmd_proxy.c: `wsnas proxy`: score zero-cost proxies of a sample, a list or
 * all NB201 architectures into a benchmark of a table file (resumable,
 * threads, MPI ranks), and `wsnas proxy --list`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "wsnas/nn.h"
#include "wsnas/par.h"
#include "wsnas/proxy.h"
#include "wsnas/table.h"
#include "wsnas/tablebuild.h"

static void proxy_usage(FILE *f)
{
    fprintf(f,
            "usage: wsnas proxy -o OUT.h5 SET [options]     (wsnas proxy --list)\n"
            "       wsnas proxy corr PROXIES.h5 TABLE.h5 [--bench NAME]\n"
            "Scores zero-cost proxies of NB201 architectures at initialisation (standalone\n"
            "network C=16 N=5 32x32, one CIFAR-10 minibatch of the NB201 train split fixed by\n"
            "the seed) into benchmark NAME of OUT.h5 (created if absent; other benchmarks\n"
            "kept): one metric per proxy.  Each isomorphism class is scored once (its\n"
            "smallest index) and shared by its members.  Resumable from OUT.h5.progress;\n"
            "under `mpirun -np K` the classes are split across the ranks and rank 0 writes.\n"
            "Definitions and references: wsnas proxy --list, include/wsnas/proxy.h.\n\n"
            WS_CLI_SET_USAGE
            "options:\n"
            "  -o, --output FILE      the table (required)\n"
            "  --bench NAME           benchmark group (default cifar10-proxies)\n"
            "  --proxy LIST           comma-separated proxies (default: all, see --list)\n"
            "  --seed S               weights and minibatches (default 1)\n"
            "  --data DIR             CIFAR-10 binaries (default ../shared/cifar10)\n"
            "  --split FILE           NB201 cifar-split.txt (default\n"
            "                         ../shared/nb201/splits/cifar-split.txt)\n"
            "  --sample-seed S        seed of --sample (default 0)\n"
            "  --threads T            scorers in parallel (default 1; the scores do not\n"
            "                         depend on it)\n"
            "  --limit K              stop after K newly scored classes (the table is written;\n"
            "                         run again to continue)\n"
            "  --description TEXT     description attribute of the benchmark\n"
            "  -q, --quiet            no progress display\n"
            "  --list                 the proxies: batch, reference, definition\n"
            "  -h, --help             this help\n"
            "corr: Spearman rho and Kendall tau-b of every proxy of benchmark NAME (default\n"
            "cifar10-proxies) against the test accuracies of TABLE (NB201: cifar10,\n"
            "cifar10-valid's valid, cifar100, ImageNet16-120) over the rows where both are\n"
            "defined.\n");
}

/* The truth columns: the NB201 paper's, where the table has them. */
static const char *const truth_cols[][3] = {
    {"cifar10", "test_acc_200", "C10 test"},
    {"cifar10-valid", "valid_acc_200", "C10 valid"},
    {"cifar100", "test_acc_200", "C100 test"},
    {"ImageNet16-120", "test_acc_200", "IN16 test"},
};

static int cmd_corr(int argc, char **argv)
{
    const char *bench = "cifar10-proxies", *pos[2];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bench") && i + 1 < argc)
            bench = argv[++i];
        else if (argv[i][0] == '-' || npos == 2) {
            fprintf(stderr, "wsnas proxy corr: unexpected '%s'; usage: wsnas proxy corr "
                            "PROXIES.h5 TABLE.h5 [--bench NAME]\n", argv[i]);
            return 2;
        } else
            pos[npos++] = argv[i];
    }
    if (npos != 2) {
        fprintf(stderr, "wsnas proxy corr: expected PROXIES.h5 TABLE.h5\n");
        return 2;
    }
    ws_table *p = NULL, *t = NULL;
    ws_error err = {0};
    int rc = ws_table_open(pos[0], &p, &err);
    if (!rc) rc = ws_table_open(pos[1], &t, &err);
    if (!rc && !ws_table_bench_attr(p, bench, "proxy_recipe"))
        rc = ws_error_set(&err, WS_ENOTFOUND, "%s: no proxy benchmark '%s' (see wsnas table info)",
                          pos[0], bench);
    int shown = 0;
    for (size_t c = 0; !rc && c < WS_ARRAY_LEN(truth_cols); c++)
        shown += ws_table_column(t, truth_cols[c][0], truth_cols[c][1]) != NULL;
    if (!rc && !shown)
        rc = ws_error_set(&err, WS_ENOTFOUND, "%s: none of the NB201 accuracy columns "
                          "(cifar10/test_acc_200, ...)", pos[1]);
    if (!rc) {
        printf("# %s/%s: %s\n%-10s", pos[0], bench, ws_table_bench_attr(p, bench, "proxy_recipe"),
               "proxy");
        for (size_t c = 0; c < WS_ARRAY_LEN(truth_cols); c++)
            if (ws_table_column(t, truth_cols[c][0], truth_cols[c][1]))
                printf(" %21s", truth_cols[c][2]);
        printf("\n%-10s", "");
        for (size_t c = 0; c < WS_ARRAY_LEN(truth_cols); c++)
            if (ws_table_column(t, truth_cols[c][0], truth_cols[c][1]))
                printf(" %7s %7s %5s", "rho", "tau", "n");
        printf("\n");
    }
    for (int m = 0; !rc && m < ws_table_metric_count(p, bench); m++) {
        const char *name = ws_table_metric_name(p, bench, m);
        const double *col = ws_table_column(p, bench, name);
        printf("%-10s", name);
        for (size_t c = 0; !rc && c < WS_ARRAY_LEN(truth_cols); c++) {
            const double *tc = ws_table_column(t, truth_cols[c][0], truth_cols[c][1]);
            if (!tc) continue;
            ws_proxy_corr r;
            rc = ws_proxy_correlate(col, tc, NULL, 0, &r, &err);
            if (!rc) printf(" %7.4f %7.4f %5zu", r.spearman, r.kendall, r.n);
        }
        printf("\n");
    }
    ws_table_close(p);
    ws_table_close(t);
    return rc ? ws_cli_fail("proxy corr", &err) : 0;
}

static void proxy_list(void)
{
    for (int i = 0; i < WS_PROXY_COUNT; i++)
        printf("%-10s batch %3d  %s\n           %s\n", ws_proxy_names[i], ws_proxy_batch_size(i),
               ws_proxy_reference(i), ws_proxy_definition(i));
}

typedef struct view {
    int tty, rank, size;
    struct timespec t0;
} view;

static double since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

static void show(void *ctx, const ws_proxy_progress *p)
{
    view *v = ctx;
    double el = since(&v->t0);
    if (v->tty || p->done % 100 == 0 || p->done == p->total) {
        char rank[32] = "";
        if (v->size > 1) snprintf(rank, sizeof rank, "[rank %d/%d] ", v->rank, v->size);
        fprintf(stderr, "%s%s[%d/%d] index %5d  %.0f s  ETA %.0f s%s", v->tty ? "\r" : "", rank,
                p->done, p->total, p->index, el, el / p->done * (p->total - p->done),
                v->tty ? "   " : "\n");
        if (v->tty && p->done == p->total) fputc('\n', stderr);
    }
}

int ws_cmd_proxy(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"bench", required_argument, NULL, 'b'},
        {"proxy", required_argument, NULL, 'p'},  {"seed", required_argument, NULL, 'S'},
        {"data", required_argument, NULL, 'D'},   {"split", required_argument, NULL, 's'},
        WS_CLI_SET_OPTIONS,                       {"threads", required_argument, NULL, 't'},
        {"limit", required_argument, NULL, 'l'},  {"description", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},        {"list", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *bench = "cifar10-proxies", *data = "../shared/cifar10",
               *split = "../shared/nb201/splits/cifar-split.txt", *desc = NULL;
    ws_cli_set_args sa;
    long seed = 1, threads = 1, limit = 0;
    int quiet = 0, c;
    ws_proxy_recipe r;
    ws_proxy_recipe_default(&r);
    ws_error err = {0};
    if (argc > 1 && !strcmp(argv[1], "corr")) return cmd_corr(argc - 1, argv + 1);
    if (ws_cli_set_args_init(&sa, argc)) return 1;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "o:qh", opts)) != -1) {
        int bad = 0;
        switch (c) {
        case 'o': out = optarg; break;
        case 'b': bench = optarg; break;
        case 'p':
            if (ws_proxy_recipe_set_proxies(&r, optarg, &err)) bad = 1;
            break;
        case 'S': bad = ws_cli_parse_long("--seed", optarg, 0, 0x7fffffffL, &seed); break;
        case 'D': data = optarg; break;
        case 's': split = optarg; break;
        case 't': bad = ws_cli_parse_long("--threads", optarg, 1, 256, &threads); break;
        case 'l': bad = ws_cli_parse_long("--limit", optarg, 1, WS_ISO_CLASSES, &limit); break;
        case 'd': desc = optarg; break;
        case 'q': quiet = 1; break;
        case 'L':
            proxy_list();
            ws_cli_set_args_free(&sa);
            return 0;
        case 'h':
            proxy_usage(stdout);
            ws_cli_set_args_free(&sa);
            return 0;
        default: bad = ws_cli_set_option(&sa, c, optarg) > 0 ? 0 : 2; break; /* SET, else '?' */
        }
        if (bad) {
            if (bad == 1 && err.msg[0]) ws_cli_fail("proxy", &err);
            ws_cli_set_args_free(&sa);
            return 2;
        }
    }
    const char *problem = !out                  ? "missing -o OUT.h5"
                          : optind < argc       ? "unexpected argument"
                                                : ws_cli_set_problem(&sa);
    if (problem) {
        ws_cli_set_args_free(&sa);
        return ws_cli_usage_error("%s%s%s", problem, optind < argc ? " " : "",
                                  optind < argc ? argv[optind] : "");
    }
    r.seed = (uint64_t)seed;
    ws_build_set set = {0};
    int rc = ws_cli_make_set(&sa, &set, &err);
    ws_cli_set_args_free(&sa);
    if (!rc) rc = ws_par_init(&err);
    if (rc) {
        ws_build_set_free(&set);
        return ws_cli_fail("proxy", &err);
    }
    ws_nn_init((int)threads);
    view v = {isatty(2), ws_par_rank(), ws_par_size(), {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &v.t0);
    ws_proxy_opts o = {.out = out, .bench = bench, .recipe = &r, .data_dir = data,
                       .split_file = split, .set = set.index, .n_set = set.n,
                       .threads = (int)threads, .limit = (int)limit, .rank = v.rank,
                       .size = v.size, .description = desc, .progress = quiet ? NULL : show,
                       .progress_ctx = &v};
    int scored = 0, left = 0;
    rc = ws_proxy_run(&o, &scored, &left, &err);
    ws_build_set_free(&set);
    ws_par_finalize();
    if (rc) return ws_cli_fail("proxy", &err);
    if (!quiet && v.rank == 0)
        fprintf(stderr, "wsnas proxy: %s: scored %d class%s%s in %.1f s (%ld thread%s); %d of the "
                        "set %s\n",
                out, scored, scored == 1 ? "" : "es", v.size > 1 ? " on rank 0" : "", since(&v.t0),
                threads, threads == 1 ? "" : "s", left,
                left ? "still to score (run again to continue)" : "left: complete");
    return 0;
}
