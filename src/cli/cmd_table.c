/* cmd_table.c: `wsnas table import|info|query|oracle`: build a tabular
 * benchmark file from CSV/JSON and inspect or query it. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wsnas/table.h"

static void table_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table <import|info|query|oracle> ...  (wsnas table <sub> --help)\n"
               "  import  build a table file from CSV / JSON inputs\n"
               "  info    list benchmarks, metrics, attributes and fill counts\n"
               "  query   all metrics of one architecture, with rank and percentile\n"
               "  oracle  the best architecture of a benchmark\n");
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

static int read_text(const char *path, char **out, ws_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *p = realloc(buf, 2 * cap + 1);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    buf[n] = '\0';
    *out = buf;
    return 0;
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
    while (!rc && (c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'p': rc = ws_table_import_preset(im, optarg, &err); break;
        case 'm': rc = ws_table_import_map(im, optarg, &err); break;
        case 'a': rc = ws_table_import_arch_column(im, optarg, &err); break;
        case 'M': ws_table_import_allow_missing(im, 1); break;
        case 's': {
            char *text = NULL;
            rc = read_text(optarg, &text, &err);
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
            import_usage(stderr);
            ws_table_import_free(im);
            return 2;
        }
    }
    if (!rc && !out) {
        ws_table_import_free(im);
        fprintf(stderr, "wsnas table import: missing -o OUT.h5\n");
        return 2;
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
} table_args;

static int parse_args(int argc, char **argv, const char *sub, int npos, table_args *ta,
                      void (*usage)(FILE *))
{
    static const struct option opts[] = {
        {"bench", required_argument, NULL, 'b'},
        {"metric", required_argument, NULL, 'm'},
        {"select-by", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': ta->bench = optarg; break;
        case 'm': ta->metric = optarg; break;
        case 's': ta->select = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != npos) {
        fprintf(stderr, "wsnas table %s: expected %d argument%s\n", sub, npos, npos > 1 ? "s" : "");
        usage(stderr);
        return 2;
    }
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
    if (ws_table_open(ta.pos[0], &t, &err)) return ws_cli_fail("table info", &err);
    printf("%s: wsnas table version %d, %d architectures, %d benchmarks\n", ta.pos[0],
           WS_TABLE_VERSION, WS_ARCH_COUNT, ws_table_benchmark_count(t));
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
            printf("  %-20s %5d / %d filled, %s is better\n", m, ws_table_fill_count(t, b, m),
                   WS_ARCH_COUNT, ws_table_higher_is_better(t, b, m) ? "higher" : "lower");
            for (int a = 0; (k = ws_table_metric_attr_at(t, b, m, a, &v)); a++)
                printf("      @%s = %s\n", k, v);
        }
    }
    ws_table_close(t);
    return 0;
}

static void query_usage(FILE *f)
{
    fprintf(f, "usage: wsnas table query FILE ARCH|INDEX [--bench B]\n"
               "Prints every metric of one architecture with its rank (1 = best),\n"
               "percentile (share of architectures it equals or beats) and the mean\n"
               "over its isomorphism class.\n"
               "  --bench B    only benchmark B (default: all)\n"
               "  -h, --help   this help\n");
}

static int cmd_query(int argc, char **argv)
{
    table_args ta = {0};
    int prc = parse_args(argc, argv, "query", 2, &ta, query_usage);
    if (prc >= 0) return prc;
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

int ws_cmd_table(int argc, char **argv)
{
    if (argc < 2) {
        table_usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        table_usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "import")) return cmd_import(argc - 1, argv + 1);
    if (!strcmp(sub, "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(sub, "query")) return cmd_query(argc - 1, argv + 1);
    if (!strcmp(sub, "oracle")) return cmd_oracle(argc - 1, argv + 1);
    fprintf(stderr, "wsnas table: unknown subcommand '%s'\n", sub);
    table_usage(stderr);
    return 2;
}
