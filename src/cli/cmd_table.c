/* cmd_table.c: `wsnas table import|info|query|oracle|build|merge`: build a
 * tabular benchmark file from CSV/JSON or by training architectures, and
 * inspect, query or merge it. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "wsnas/par.h"
#include "wsnas/proxy.h"
#include "wsnas/table.h"
#include "wsnas/tablebuild.h"

static void table_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table <import|info|query|oracle|build|merge|attr|upgrade> ...  (wsnas table <sub> "
               "--help)\n"
               "  import  build a table file from CSV / JSON inputs\n"
               "  info    list benchmarks, metrics, attributes and fill counts\n"
               "  query   all metrics of one architecture, with rank and percentile\n"
               "  oracle  the best architecture of a benchmark\n"
               "  build   train architectures from scratch into a benchmark (resumable, MPI)\n"
               "  merge   join shards of a built benchmark\n"
               "  attr    set attributes of a benchmark or metric (values untouched)\n"
               "  upgrade rewrite a table written before checksums, with checksums\n");
}

static void import_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table import -o OUT.h5 [options] INPUT...\n"
               "Builds a table (schema: include/wsnas/table.h) from CSV files (header row, an\n"
               "architecture-string column) and JSON files (*.json, objects keyed by\n"
               "architecture string). Writes OUT.h5.tmp, then renames it.\n\n"
               "options:\n"
               "  -o, --output FILE        the table to write (required)\n"
               "  --preset NAME            built-in mapping; 'nb201' maps nb201_merged.csv's\n"
               "                           NB201 v1.1 nb201_* and e12_* columns (default: none)\n"
               "  --map [FILE:]COL=B/M     column COL (of input FILE) -> benchmark B, metric M;\n"
               "                           repeatable (default: none)\n"
               "  --spec FILE.json         a JSON mapping spec, see table.h (default: none)\n"
               "  --arch-col NAME          CSV architecture column (default arch_str)\n"
               "  --attr B:KEY=VALUE       string attribute of benchmark B; repeatable\n"
               "  --allow-missing          keep architectures absent from an input as NaN\n"
               "                           (default: missing architectures are an error)\n"
               "  -h, --help               this help\n");
}

static int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"preset", required_argument, NULL, 'p'},
        {"map", required_argument, NULL, 'm'},
        {"spec", required_argument, NULL, 's'},
        {"arch-col", required_argument, NULL, 'a'},
        {"attr", required_argument, NULL, 't'},
        {"allow-missing", no_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ws_table_import *im = ws_table_import_alloc();
    ws_error err = {0};
    const char *out = NULL;
    int c, rc = 0;
    if (!im) {
        ws_error_set(&err, WS_ENOMEM, "out of memory");
        return ws_cli_fail("table import", &err);
    }
    optind = 1;
    while (!rc && (c = ws_cli_getopt(argc, argv, "o:h", opts)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'p': rc = ws_table_import_preset(im, optarg, &err); break;
        case 'm': rc = ws_table_import_map(im, optarg, &err); break;
        case 'a': rc = ws_table_import_arch_column(im, optarg, &err); break;
        case 'M': ws_table_import_allow_missing(im, 1); break;
        case 's': {
            char *text = NULL;
            rc = ws_file_read_text(optarg, &text, &err);
            if (!rc) rc = ws_table_import_spec(im, text, optarg, &err);
            free(text);
            break;
        }
        case 't': {
            char bench[WS_TABLE_NAME_MAX], key[WS_TABLE_NAME_MAX];
            const char *colon = strchr(optarg, ':'), *eq = colon ? strchr(colon, '=') : NULL;
            if (!colon || !eq || colon - optarg >= WS_TABLE_NAME_MAX ||
                eq - colon - 1 >= WS_TABLE_NAME_MAX) {
                rc = ws_error_set(&err, WS_EINVAL, "--attr '%s': expected BENCH:KEY=VALUE", optarg);
                break;
            }
            snprintf(bench, sizeof bench, "%.*s", (int)(colon - optarg), optarg);
            snprintf(key, sizeof key, "%.*s", (int)(eq - colon - 1), colon + 1);
            rc = ws_table_import_bench_attr(im, bench, key, eq + 1, &err);
            break;
        }
        case 'h':
            import_usage(stdout);
            ws_table_import_free(im);
            return 0;
        default:
            ws_table_import_free(im);
            return 2;
        }
    }
    if (!rc && !out) {
        ws_table_import_free(im);
        return ws_cli_usage_error("missing -o OUT.h5");
    }
    if (!rc)
        rc =
            ws_table_import_run(im, (const char *const *)(argv + optind), argc - optind, out, &err);
    ws_table_import_free(im);
    if (rc) return ws_cli_fail("table import", &err);
    return 0;
}

/* Parses FILE and optional --bench/--metric/--select-by for info, query,
 * oracle; positional arguments are returned through pos[] (npos exact). */
typedef struct table_args {
    const char *bench, *metric, *select;
    const char *pos[2];
    int train_missing; /* query only */
    const char *data;  /* query --train-missing only */
} table_args;

static int parse_args(int argc, char **argv, const char *sub, int npos, table_args *ta,
                      void (*usage)(FILE *))
{
    static const struct option opts[] = {
        {"bench", required_argument, NULL, 'b'},
        {"metric", required_argument, NULL, 'm'},
        {"select-by", required_argument, NULL, 's'},
        {"train-missing", no_argument, NULL, 'T'},
        {"data", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    int nopt = ws_cli_hold_negatives(argc, argv, "h", opts); /* query T.h5 -1: an index */
    while ((c = ws_cli_getopt(nopt, argv, "h", opts)) != -1) {
        switch (c) {
        case 'b': ta->bench = optarg; break;
        case 'm': ta->metric = optarg; break;
        case 's': ta->select = optarg; break;
        case 'T': ta->train_missing = 1; break;
        case 'D': ta->data = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return 2;
        }
    }
    if ((ta->train_missing || ta->data) && strcmp(sub, "query"))
        return ws_cli_usage_error("--train-missing and --data belong to 'table query'");
    if (argc - optind != npos)
        return ws_cli_usage_error("expected %d argument%s, got %d", npos, npos > 1 ? "s" : "",
                                  argc - optind);
    for (int i = 0; i < npos; i++) ta->pos[i] = argv[optind + i];
    return -1;
}

static void info_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table info FILE\n"
               "Lists benchmarks, their attributes, metrics (fill counts, attributes).\n"
               "  -h, --help   this help\n");
}

static int cmd_info(int argc, char **argv)
{
    table_args ta = {0};
    int prc = parse_args(argc, argv, "info", 1, &ta, info_usage);
    if (prc >= 0) return prc;
    ws_table *t = NULL;
    ws_error err = {0};
    if (ws_table_open_legacy(ta.pos[0], &t, &err)) return ws_cli_fail("table info", &err);
    printf("%s: wsnas table version %d, %d architectures, %d benchmarks\n", ta.pos[0],
           WS_TABLE_VERSION, WS_ARCH_COUNT, ws_table_benchmark_count(t));
    const int weakest = ws_table_weakest_check(t);
    if (weakest == WS_TABLE_CHECK_FLETCHER32)
        printf("checksums: every dataset carries a Fletcher-32 checksum\n");
    else
        printf("checksums: some datasets carry %s (written by an earlier wsnas%s); `wsnas table "
               "upgrade %s -o OUT.h5` rewrites it with checksums\n",
               weakest == WS_TABLE_CHECK_NONE ? "no checksum" : "only deflate's adler32",
               weakest == WS_TABLE_CHECK_NONE ? "; other commands refuse it" : "", ta.pos[0]);
    for (int i = 0; i < ws_table_benchmark_count(t); i++) {
        const char *b = ws_table_benchmark_name(t, i), *k, *v;
        printf("\n[%s]\n", b);
        for (int a = 0; (k = ws_table_bench_attr_at(t, b, a, &v)); a++)
            printf("  @%s = %s\n", k, v);
        const uint8_t *filled = ws_table_filled(t, b);
        if (filled) {
            int n = 0;
            for (int r = 0; r < WS_ARCH_COUNT; r++) n += filled[r] != 0;
            printf("  filled mask: %d / %d\n", n, WS_ARCH_COUNT);
        }
        for (int j = 0; j < ws_table_metric_count(t, b); j++) {
            const char *m = ws_table_metric_name(t, b, j);
            printf("  %-20s %5d / %d filled, %s is better, checksum %s\n", m,
                   ws_table_fill_count(t, b, m), WS_ARCH_COUNT,
                   ws_table_higher_is_better(t, b, m) ? "higher" : "lower",
                   ws_table_checksum_name(ws_table_metric_check(t, b, m)));
            for (int a = 0; (k = ws_table_metric_attr_at(t, b, m, a, &v)); a++)
                printf("      @%s = %s\n", k, v);
        }
    }
    ws_table_close(t);
    return 0;
}

static void query_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table query FILE ARCH|INDEX [--bench B] [--train-missing [--data DIR]]\n"
               "Prints every metric of one architecture with its rank (1 = best),\n"
               "percentile (share of architectures it equals or beats) and the mean\n"
               "over its isomorphism class.  Rows of a built benchmark (wsnas table build)\n"
               "that were not trained are reported as not filled.\n"
               "  --bench B         only benchmark B (default: all)\n"
               "  --train-missing   if B's row is not filled, train the architecture with B's\n"
               "                    stored recipe and add it to FILE first (needs --bench)\n"
               "  --data DIR        dataset directory for --train-missing (default: the\n"
               "                    recipe dataset's default)\n"
               "  -h, --help        this help\n");
}

static int run_build(const char *cmd, const ws_build_opts *o, const char *data_dir, int quiet,
                     int *remaining);

/* Trains the class of `index` into built benchmark `bench` of `path`. */
static int train_missing(const char *path, const char *bench, const char *arch,
                         const char *data_dir)
{
    ws_build_recipe r;
    ws_build_set set = {0};
    ws_error err = {0};
    ws_space *sp = ws_space_alloc();
    if (!sp) return ws_cli_fail("table query", &err);
    int rc = ws_table_build_recipe(path, bench, &r, &err);
    if (!rc) rc = ws_build_set_list(sp, &arch, 1, &set, &err);
    ws_space_free(sp);
    if (rc) return ws_cli_fail("table query", &err);
    ws_build_opts o = {.out = path, .bench = bench, .recipe = &r, .set = &set, .size = 1};
    fprintf(stderr, "wsnas table query: training %s for benchmark '%s' (%d seed%s)\n", arch, bench,
            r.n_seeds, r.n_seeds > 1 ? "s" : "");
    rc = run_build("table query", &o, data_dir, 0, NULL);
    ws_build_set_free(&set);
    return rc;
}

static int cmd_query(int argc, char **argv)
{
    table_args ta = {0};
    int prc = parse_args(argc, argv, "query", 2, &ta, query_usage);
    if (prc >= 0) return prc;
    if (ta.train_missing && !ta.bench) return ws_cli_usage_error("--train-missing needs --bench");
    ws_table *t = NULL;
    ws_error err = {0};
    if (ws_table_open(ta.pos[0], &t, &err)) return ws_cli_fail("table query", &err);
    const ws_space *sp = ws_table_space(t);
    int index;
    if (ws_space_lookup(sp, ta.pos[1], &index, &err)) {
        ws_table_close(t);
        return ws_cli_fail("table query", &err);
    }
    if (ta.bench && !ws_table_metric_count(t, ta.bench)) {
        ws_error_set(&err, WS_ENOTFOUND, "no benchmark '%s' with metrics in %s", ta.bench,
                     ta.pos[0]);
        ws_table_close(t);
        return ws_cli_fail("table query", &err);
    }
    if (ta.bench && ws_table_filled(t, ta.bench) && !ws_table_filled(t, ta.bench)[index]) {
        if (!ta.train_missing) {
            int n = 0;
            for (int i = 0; i < WS_ARCH_COUNT; i++) n += ws_table_filled(t, ta.bench)[i] != 0;
            ws_error_set(&err, WS_ENOTFOUND,
                         "%s: index %d is not filled in benchmark '%s' (%d of %d architectures "
                         "trained); add --train-missing to train it",
                         ta.pos[0], index, ta.bench, n, WS_ARCH_COUNT);
            ws_table_close(t);
            return ws_cli_fail("table query", &err);
        }
        ws_table_close(t);
        t = NULL;
        char idx[16];
        snprintf(idx, sizeof idx, "%d", index);
        int rc = train_missing(ta.pos[0], ta.bench, idx, ta.data);
        if (rc) return rc;
        if (ws_table_open(ta.pos[0], &t, &err)) return ws_cli_fail("table query", &err);
        sp = ws_table_space(t);
    }
    char s[WS_ARCH_STR_MAX];
    ws_arch a = ws_space_arch(sp, index);
    ws_arch_format(&a, s);
    printf("index %d  %s  (iso class %d, %d members)\n", index, s, ws_space_iso_class(sp, index),
           ws_space_iso_size(sp, index));
    printf("%-16s %-20s %12s %8s %11s %12s\n", "benchmark", "metric", "value", "rank", "percentile",
           "iso_mean");
    for (int i = 0; i < ws_table_benchmark_count(t); i++) {
        const char *b = ws_table_benchmark_name(t, i);
        if (ta.bench && strcmp(ta.bench, b)) continue;
        const uint8_t *filled = ws_table_filled(t, b);
        if (filled && !filled[index]) {
            printf("%-16s %-20s %12s  (not trained for this benchmark; --train-missing)\n", b, "*",
                   "not filled");
            continue;
        }
        for (int j = 0; j < ws_table_metric_count(t, b); j++) {
            const char *m = ws_table_metric_name(t, b, j);
            double v, pct, im;
            int rank, cnt;
            if (ws_table_rank(t, b, m, index, &rank, &pct, NULL)) {
                printf("%-16s %-20s %12s\n", b, m, "missing");
                continue;
            }
            WS_ASSERT(!ws_table_get(t, b, m, index, &v, NULL));
            if (ws_table_iso_mean(t, b, m, index, &im, &cnt, NULL)) im = NAN;
            printf("%-16s %-20s %12.6g %8d %10.3f%% %12.6g\n", b, m, v, rank, pct, im);
        }
    }
    ws_table_close(t);
    return 0;
}

static void oracle_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table oracle FILE [--bench B] [--metric M] [--select-by M2]\n"
               "The best architecture (ties: smallest index) of each benchmark that has M.\n"
               "  --bench B       only benchmark B (default: all)\n"
               "  --metric M      the metric (default test_acc_200)\n"
               "  --select-by M2  pick the best by M2 and report M (e.g. valid -> test)\n"
               "  -h, --help      this help\n");
}

static int cmd_oracle(int argc, char **argv)
{
    table_args ta = {0};
    int prc = parse_args(argc, argv, "oracle", 1, &ta, oracle_usage);
    if (prc >= 0) return prc;
    const char *metric = ta.metric ? ta.metric : "test_acc_200";
    ws_table *t = NULL;
    ws_error err = {0};
    if (ws_table_open(ta.pos[0], &t, &err)) return ws_cli_fail("table oracle", &err);
    int shown = 0, rc = 0;
    for (int i = 0; !rc && i < ws_table_benchmark_count(t); i++) {
        const char *b = ws_table_benchmark_name(t, i);
        if (ta.bench && strcmp(ta.bench, b)) continue;
        if (!ta.bench &&
            (!ws_table_column(t, b, metric) || (ta.select && !ws_table_column(t, b, ta.select))))
            continue;
        int best;
        double v, sv = NAN;
        char s[WS_ARCH_STR_MAX];
        if (ta.select) {
            rc = ws_table_oracle_by(t, b, ta.select, metric, &best, &v, &err);
            if (!rc) WS_ASSERT(!ws_table_get(t, b, ta.select, best, &sv, NULL));
        } else {
            rc = ws_table_oracle(t, b, metric, &best, &v, &err);
        }
        if (rc) break;
        ws_arch a = ws_space_arch(ws_table_space(t), best);
        ws_arch_format(&a, s);
        if (ta.select)
            printf("%-16s best by %s = %.6g: index %5d  %s = %.6g  %s\n", b, ta.select, sv, best,
                   metric, v, s);
        else
            printf("%-16s %s = %.6g: index %5d  %s\n", b, metric, v, best, s);
        shown++;
    }
    if (!rc && !shown && ta.bench) { /* absent benchmark: the library names what exists */
        int best;
        double v;
        rc = ws_table_oracle(t, ta.bench, metric, &best, &v, &err);
        WS_ASSERT(rc);
        ws_error_prefix(&err, "%s", ta.pos[0]);
    } else if (!rc && !shown) {
        rc = ws_error_set(&err, WS_ENOTFOUND, "%s: no benchmark has metric '%s'%s%s", ta.pos[0],
                          metric, ta.select ? " and " : "", ta.select ? ta.select : "");
    }
    ws_table_close(t);
    return rc ? ws_cli_fail("table oracle", &err) : 0;
}

/* ---- build / merge ------------------------------------------------------------------ */

typedef struct build_view {
    int tty, rank, size;
    struct timespec t0;
} build_view;

static void build_progress(void *ctx, const ws_build_progress *p)
{
    build_view *v = ctx;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (double)(t1.tv_sec - v->t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - v->t0.tv_nsec);
    double eta = el / p->done * (p->total - p->done);
    char rank[32] = "";
    if (v->size > 1) snprintf(rank, sizeof rank, "[rank %d/%d] ", v->rank, v->size);
    fprintf(stderr, "%s%s[%d/%d] index %5d  valid %6.2f  test %6.2f  %6.1f s/seed  ETA %.0f s%s",
            v->tty ? "\r" : "", rank, p->done, p->total, p->index, p->valid_acc, p->test_acc,
            p->seconds, eta, v->tty ? "   " : "\n");
    if (v->tty && p->done == p->total) fputc('\n', stderr);
    fflush(stderr);
}

/* Allocates the standalone trainer and runs the build; prints the outcome. */
static int run_build(const char *cmd, const ws_build_opts *o, const char *data_dir, int quiet,
                     int *remaining)
{
    ws_error err = {0};
    ws_build_trainer *tr = NULL;
    build_view view = {isatty(2), o->rank, o->size > 1 ? o->size : 1, {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &view.t0);
    ws_build_opts oo = *o;
    int trained = 0, left = 0;
    int rc = ws_build_trainer_alloc(o->recipe, data_dir, &tr, &err);
    if (!rc) {
        oo.train = ws_build_trainer_run;
        oo.train_ctx = tr;
        if (!quiet) {
            oo.progress = build_progress;
            oo.progress_ctx = &view;
        }
        rc = ws_table_build(&oo, &trained, &left, &err);
    }
    ws_build_trainer_free(tr);
    if (rc) return ws_cli_fail(cmd, &err);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (double)(t1.tv_sec - view.t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - view.t0.tv_nsec);
    if (!quiet && view.rank == 0)
        fprintf(stderr, "wsnas %s: %s: trained %d class%s%s in %.1f s; %d of the set %s\n", cmd,
                o->out, trained, trained == 1 ? "" : "es", view.size > 1 ? " on rank 0" : "", el,
                left, left ? "still to train (run again to continue)" : "left: complete");
    if (remaining) *remaining = left;
    return 0;
}

static void build_usage(FILE *f)
{
    fprintf(f,
            "usage: wsnas table build -o OUT.h5 --bench NAME [--recipe K=V;...] SET [options]\n"
            "Trains architectures from scratch (standalone NB201 network, SGD, cosine lr) under\n"
            "one recipe and writes their valid/test accuracy per seed and mean, training time\n"
            "and the filled mask into benchmark NAME of OUT.h5 (created if absent; other\n"
            "benchmarks kept).  Each isomorphism class is trained once (its smallest index)\n"
            "and its result shared by all members.  Resumable: an interrupted build run again\n"
            "continues from OUT.h5.progress.  Under `mpirun -np K` the classes are split\n"
            "across the ranks and rank 0 writes OUT.h5.  Schema: include/wsnas/tablebuild.h.\n\n"
            WS_CLI_SET_USAGE
            "options:\n"
            "  -o, --output FILE      the table (required)\n"
            "  --bench NAME           benchmark group (required)\n"
            "  --recipe TEXT          K=V;... over the defaults (default: OUT's stored recipe of\n"
            "                         NAME if any, else dataset=fashion-mnist;train=2000;\n"
            "                         valid=1000;test=1000;subset_seed=1;size=16;C=8;N=1;\n"
            "                         epochs=4;batch=64;lr=0.1;lr_min=0;momentum=0.9;\n"
            "                         nesterov=1;wd=0.0005;augment=1;seeds=1,2)\n"
            "  --sample-seed S        seed of --sample (default 0)\n"
            "  --shard I/K            train only items j with j %% K == I of the set\n"
            "  --limit K              stop after K newly trained classes (write the table;\n"
            "                         run again to continue)\n"
            "  --data DIR             dataset directory (default: Debian's Fashion-MNIST)\n"
            "  --description TEXT     description attribute of the benchmark\n"
            "  -q, --quiet            no progress display\n"
            "  -h, --help             this help\n");
}

static int cmd_build(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"bench", required_argument, NULL, 'b'},
        {"recipe", required_argument, NULL, 'r'},
        WS_CLI_SET_OPTIONS,
        {"shard", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'},
        {"data", required_argument, NULL, 'D'},
        {"description", required_argument, NULL, 'd'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *bench = NULL, *recipe_text = NULL, *data = NULL, *desc = NULL;
    ws_cli_set_args sa;
    int quiet = 0, shard_i = 0, shard_k = 1, c;
    long limit = 0;
    if (ws_cli_set_args_init(&sa, argc)) return 1;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "o:qh", opts)) != -1) {
        int bad = 0;
        switch (c) {
        case 'o': out = optarg; break;
        case 'b': bench = optarg; break;
        case 'r': recipe_text = optarg; break;
        case 'l': bad = ws_cli_parse_long("--limit", optarg, 1, WS_ISO_CLASSES, &limit); break;
        case 'D': data = optarg; break;
        case 'd': desc = optarg; break;
        case 'q': quiet = 1; break;
        case 's': {
            char tail = 0;
            if (sscanf(optarg, "%d/%d%c", &shard_i, &shard_k, &tail) != 2 || shard_k < 1 ||
                shard_i < 0 || shard_i >= shard_k) {
                ws_cli_usage_error("--shard '%s': expected I/K with 0 <= I < K", optarg);
                bad = 1;
            }
            break;
        }
        case 'h':
            build_usage(stdout);
            ws_cli_set_args_free(&sa);
            return 0;
        default: bad = ws_cli_set_option(&sa, c, optarg) > 0 ? 0 : 2; break; /* SET, else '?' */
        }
        if (bad) {
            ws_cli_set_args_free(&sa);
            return 2;
        }
    }
    const char *problem = !out ? "missing -o OUT.h5"
                          : !bench ? "missing --bench NAME"
                          : optind < argc ? "unexpected argument"
                                          : ws_cli_set_problem(&sa);
    if (problem) {
        ws_cli_usage_error("%s%s%s", problem, optind < argc ? " " : "",
                           optind < argc ? argv[optind] : "");
        ws_cli_set_args_free(&sa);
        return 2;
    }
    ws_error err = {0};
    int rc = ws_par_init(&err);
    int rank = ws_par_rank(), size = ws_par_size();
    if (!rc && size > 1 && shard_k > 1)
        rc = ws_error_set(&err, WS_EINVAL, "--shard and mpirun do not combine (the ranks shard)");
    ws_build_recipe r;
    ws_build_recipe_default(&r);
    if (!rc && !recipe_text && access(out, F_OK) == 0) {
        /* continue an existing benchmark with its own recipe */
        ws_error e2 = {0};
        if (ws_table_build_recipe(out, bench, &r, &e2) && e2.code != WS_ENOTFOUND) {
            err = e2;
            rc = e2.code;
        }
    }
    if (!rc && recipe_text) rc = ws_build_recipe_parse(recipe_text, &r, &err);
    ws_build_set set = {0};
    if (!rc) rc = ws_cli_make_set(&sa, &set, &err);
    ws_cli_set_args_free(&sa);
    if (rc) {
        ws_build_set_free(&set);
        ws_par_finalize();
        return ws_cli_fail("table build", &err);
    }
    if (shard_k > 1) ws_build_set_shard(&set, shard_i, shard_k);
    ws_build_opts o = {.out = out, .bench = bench, .recipe = &r, .set = &set, .limit = (int)limit,
                       .rank = rank, .size = size, .description = desc};
    rc = run_build("table build", &o, data, quiet, NULL);
    ws_build_set_free(&set);
    ws_par_finalize();
    return rc;
}

static void attr_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table attr FILE --bench B [--metric M] KEY=VALUE...\n"
               "       wsnas table attr FILE --schema\n"
               "Sets string attributes of benchmark B's group, or of its metric M (or of its\n"
               "filled mask: --metric filled); --schema adds the schema's descriptive attributes\n"
               "(op codes and edge order on /archs/ops, descriptions on /archs/arch_str and the\n"
               "filled masks) to a table written before them.  Values are not touched: the\n"
               "file is copied to FILE.tmp, changed and renamed.\n"
               "  --bench B      the benchmark\n"
               "  --metric M     a metric of B (or filled) instead of B's group\n"
               "  --schema       the schema attributes\n"
               "  -h, --help     this help\n");
}

static int cmd_attr(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bench", required_argument, NULL, 'b'},
        {"metric", required_argument, NULL, 'm'},
        {"schema", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bench = NULL, *metric = NULL;
    int c, schema = 0;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'b': bench = optarg; break;
        case 'm': metric = optarg; break;
        case 's': schema = 1; break;
        case 'h': attr_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (optind >= argc) return ws_cli_usage_error("expected FILE");
    const char *path = argv[optind++];
    if (schema && (bench || metric || optind < argc))
        return ws_cli_usage_error("--schema takes no --bench, --metric or KEY=VALUE");
    if (!schema && (!bench || optind >= argc))
        return ws_cli_usage_error("expected --bench B and at least one KEY=VALUE (or --schema)");
    ws_error err = {0};
    if (schema)
        return ws_table_add_schema_attrs(path, &err) ? ws_cli_fail("table attr", &err) : 0;
    for (int i = optind; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i] || eq - argv[i] >= WS_TABLE_NAME_MAX)
            return ws_cli_usage_error("'%s': expected KEY=VALUE", argv[i]);
        char key[WS_TABLE_NAME_MAX];
        snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i]), argv[i]);
        int rc = metric ? ws_table_set_metric_attr(path, bench, metric, key, eq + 1, &err)
                        : ws_table_set_bench_attr(path, bench, key, eq + 1, &err);
        if (rc) return ws_cli_fail("table attr", &err);
    }
    return 0;
}

static void upgrade_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table upgrade IN.h5 -o OUT.h5\n"
               "Rewrites a table written before wsnas checksummed its tables (other commands\n"
               "refuse it) through wsnas's writers: every benchmark, metric, value, filled mask\n"
               "and attribute, each dataset deflated with a Fletcher-32 checksum.  OUT.h5.tmp is\n"
               "read back and compared with IN bit for bit before it is renamed to OUT.h5.\n"
               "  -o, --output FILE   the rewritten table (required; may not be IN)\n"
               "  -h, --help          this help\n");
}

static int cmd_upgrade(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "o:h", opts)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': upgrade_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (!out || optind != argc - 1)
        return ws_cli_usage_error("%s", !out ? "missing -o OUT.h5" : "expected one IN.h5");
    if (!strcmp(out, argv[optind]))
        return ws_cli_usage_error("-o OUT.h5 must not be the input");
    ws_error err = {0};
    if (ws_table_upgrade(argv[optind], out, &err)) return ws_cli_fail("table upgrade", &err);
    return 0;
}

static void merge_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table merge -o OUT.h5 --bench NAME IN.h5...\n"
               "Joins shards of a built benchmark (wsnas table build --shard) or of a proxy\n"
               "benchmark (wsnas proxy): every input must\n"
               "hold NAME with the same recipe, and rows filled in several inputs must agree.\n"
               "Other benchmarks come from the first input.  Writes OUT.h5.tmp, then renames.\n"
               "  -o, --output FILE   the merged table (required)\n"
               "  --bench NAME        the benchmark (required)\n"
               "  -h, --help          this help\n");
}

static int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"bench", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *bench = NULL;
    int c;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "o:h", opts)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'b': bench = optarg; break;
        case 'h': merge_usage(stdout); return 0;
        default: return 2;
        }
    }
    if (!out || !bench || optind >= argc)
        return ws_cli_usage_error("%s", !out     ? "missing -o OUT.h5"
                                        : !bench ? "missing --bench NAME"
                                                 : "no input tables");
    ws_error err = {0};
    const char *const *in = (const char *const *)(argv + optind);
    int rc = ws_proxy_is_benchmark(in[0], bench) /* zero-cost proxies: wsnas proxy */
                 ? ws_proxy_merge(out, bench, in, argc - optind, &err)
                 : ws_table_merge(out, bench, in, argc - optind, &err);
    if (rc) return ws_cli_fail("table merge", &err);
    return 0;
}

int ws_cmd_table(int argc, char **argv)
{
    if (argc < 2)
        return ws_cli_usage_error(
            "expected a subcommand: import info query oracle build merge attr upgrade");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        table_usage(stdout);
        return 0;
    }
    static const struct {
        const char *name, *prog;
        ws_cmd_fn fn;
    } subs[] = {{"import", "table import", cmd_import}, {"info", "table info", cmd_info},
                {"query", "table query", cmd_query},    {"oracle", "table oracle", cmd_oracle},
                {"build", "table build", cmd_build},    {"merge", "table merge", cmd_merge},
                {"attr", "table attr", cmd_attr},       {"upgrade", "table upgrade", cmd_upgrade}};
    const char *names[WS_ARRAY_LEN(subs)];
    for (size_t i = 0; i < WS_ARRAY_LEN(subs); i++) {
        names[i] = subs[i].name;
        if (!strcmp(sub, subs[i].name)) {
            ws_cli_set_command(subs[i].prog);
            return subs[i].fn(argc - 1, argv + 1);
        }
    }
    const char *near = ws_suggest(sub, names, (int)WS_ARRAY_LEN(subs));
    if (near) return ws_cli_usage_error("unknown subcommand '%s'; did you mean '%s'?", sub, near);
    return ws_cli_usage_error("unknown subcommand '%s'", sub);
}
