/* cmd_baseline.c: `wsnas baseline TABLE`: table-only random search and
 * regularised evolution, and the zero-training proxy baseline (the top-1
 * by a zero-cost proxy of RS's architectures), over many seeds, summarised like the NB201 paper
 * (mean ± std per column, the optimum and the regret). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wsnas/eval.h"
#include "wsnas/proxy.h"

static void baseline_usage(FILE *f)
{
    fprintf(f,
            "usage: wsnas baseline TABLE.h5 [options]\n"
            "Runs table-only baselines (every 'training' is a lookup of the search metric)\n"
            "for many seeds and prints the final accuracies of the architectures found.\n\n"
            "options:\n"
            "  --method rs|rea         repeatable (default: both)\n"
            "  --budget N              architectures queried per run (default 100)\n"
            "  --budget-seconds S      simulated training seconds per run (default 0 = none;\n"
            "                          needs --time-metric)\n"
            "  --time-metric B/M       training-time column, e.g. cifar10-valid/train_seconds_12\n"
            "  --search B/M            search metric (default cifar10-valid/valid_acc_12, the\n"
            "                          12-epoch proxy of the NB201 scripts)\n"
            "  --seeds N               runs per method, seeds FIRST..FIRST+N-1 (default 500)\n"
            "  --first-seed S          (default 0)\n"
            "  --population P          REA population (default 10)\n"
            "  --sample-size S         REA tournament size (default 3)\n"
            "  --runs-csv FILE         one row per run (method, seed, arch, values) to FILE\n"
            "  --proxies FILE          a proxy benchmark (wsnas proxy) for --proxy\n"
            "  --proxy LIST            comma-separated proxies of FILE: per proxy a zero-training\n"
            "                          baseline, the top-1 by the proxy of the --budget\n"
            "                          architectures RS draws with the same seed (default: none)\n"
            "  --proxy-bench NAME      FILE's benchmark (default cifar10-proxies)\n"
            "  -h, --help              this help\n");
}

static int split_bm(const char *opt, const char *s, char *bench, char *metric)
{
    const char *slash = strrchr(s, '/');
    if (!slash || slash == s || !slash[1] || (size_t)(slash - s) >= WS_TABLE_NAME_MAX ||
        strlen(slash + 1) >= WS_TABLE_NAME_MAX) {
        ws_cli_usage_error("%s: expected BENCH/METRIC, got '%s'", opt, s);
        return 1;
    }
    memcpy(bench, s, (size_t)(slash - s));
    bench[slash - s] = '\0';
    strcpy(metric, slash + 1);
    return 0;
}

static int write_runs_csv(const char *path, const ws_table *t, const ws_eval_column *cols,
                          int n_cols, const ws_eval_run *runs, const ws_baseline_result *res,
                          int n_runs, ws_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open for writing", tmp);
    fprintf(f, "method,seed,arch_index,search_score,evaluated,seconds");
    for (int c = 0; c < n_cols; c++) fprintf(f, ",%s/%s", cols[c].bench, cols[c].metric);
    fprintf(f, "\n");
    for (int r = 0; r < n_runs; r++) {
        fprintf(f, "%s,%llu,%d,%.17g,%d,%.17g", runs[r].method,
                (unsigned long long)runs[r].seed, runs[r].arch_index, res[r].best_score,
                res[r].evaluated, res[r].seconds_used);
        for (int c = 0; c < n_cols; c++) {
            const double *col = ws_table_column(t, cols[c].bench, cols[c].metric);
            fprintf(f, ",%.17g", col[runs[r].arch_index]);
        }
        fprintf(f, "\n");
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return ws_error_set(err, WS_EIO, "%s: write failed", path);
    }
    return ws_file_commit(tmp, path, err);
}

/* The proxy columns of a proxy benchmark (wsnas proxy). */
typedef struct proxy_cols {
    ws_table *t;
    int n;
    char name[WS_PROXY_COUNT][WS_TABLE_NAME_MAX];
    const double *col[WS_PROXY_COUNT];
} proxy_cols;

static int load_proxies(const char *path, const char *bench, const char *list, proxy_cols *pc,
                        ws_error *err)
{
    ws_proxy_recipe r;
    int rc = ws_proxy_recipe_set_proxies(&r, list, err);
    if (!rc) rc = ws_table_open(path, &pc->t, err);
    if (!rc && !ws_table_bench_attr(pc->t, bench, "proxy_recipe"))
        rc = ws_error_set(err, WS_ENOTFOUND, "%s: no proxy benchmark '%s' (see wsnas table info)",
                          path, bench);
    for (int i = 0; !rc && i < r.n_proxies; i++) {
        const char *name = ws_proxy_names[r.proxies[i]];
        pc->col[i] = ws_table_column(pc->t, bench, name);
        if (!pc->col[i])
            rc = ws_error_set(err, WS_ENOTFOUND, "%s: benchmark '%s' has no proxy %s", path, bench,
                              name);
        snprintf(pc->name[i], sizeof pc->name[i], "%s", name);
        pc->n++;
    }
    return rc;
}

int ws_cmd_baseline(int argc, char **argv)
{
    static const struct option opts[] = {
        {"method", required_argument, 0, 'm'},     {"budget", required_argument, 0, 'b'},
        {"budget-seconds", required_argument, 0, 'B'},
        {"time-metric", required_argument, 0, 'T'}, {"search", required_argument, 0, 's'},
        {"seeds", required_argument, 0, 'n'},      {"first-seed", required_argument, 0, 'f'},
        {"population", required_argument, 0, 'P'}, {"sample-size", required_argument, 0, 'S'},
        {"runs-csv", required_argument, 0, 'o'},   {"help", no_argument, 0, 'h'},
        {"proxies", required_argument, 0, 'x'},    {"proxy", required_argument, 0, 'p'},
        {"proxy-bench", required_argument, 0, 'X'},
        {0, 0, 0, 0}};
    ws_baseline_config cfg = ws_baseline_config_default();
    int methods[2], n_methods = 0;
    long seeds = 500, first = 0, v;
    char search_b[WS_TABLE_NAME_MAX] = "cifar10-valid", search_m[WS_TABLE_NAME_MAX] =
                                                            "valid_acc_12";
    char time_b[WS_TABLE_NAME_MAX] = "", time_m[WS_TABLE_NAME_MAX] = "";
    const char *runs_csv = NULL, *proxies = NULL, *proxy_list = NULL,
               *proxy_bench = "cifar10-proxies";
    ws_error err = {0};
    int c;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'm': {
            int m;
            if (ws_baseline_parse_method(optarg, &m, &err)) return ws_cli_fail("baseline", &err);
            if (n_methods == 2 || (n_methods == 1 && methods[0] == m)) break;
            methods[n_methods++] = m;
            break;
        }
        case 'b':
            if (ws_cli_parse_long("--budget", optarg, 1, 1000000, &v)) return 2;
            cfg.budget_archs = (int)v;
            break;
        case 'B':
            if (ws_cli_parse_double("--budget-seconds", optarg, 0, 1e12, &cfg.budget_seconds))
                return 2;
            break;
        case 'T':
            if (split_bm("--time-metric", optarg, time_b, time_m)) return 2;
            break;
        case 's':
            if (split_bm("--search", optarg, search_b, search_m)) return 2;
            break;
        case 'n':
            if (ws_cli_parse_long("--seeds", optarg, 1, 1000000, &seeds)) return 2;
            break;
        case 'f':
            if (ws_cli_parse_long("--first-seed", optarg, 0, 1L << 40, &first)) return 2;
            break;
        case 'P':
            if (ws_cli_parse_long("--population", optarg, 1, 100000, &v)) return 2;
            cfg.population = (int)v;
            break;
        case 'S':
            if (ws_cli_parse_long("--sample-size", optarg, 1, 100000, &v)) return 2;
            cfg.sample_size = (int)v;
            break;
        case 'o':
            runs_csv = optarg;
            break;
        case 'x':
            proxies = optarg;
            break;
        case 'p':
            proxy_list = optarg;
            break;
        case 'X':
            proxy_bench = optarg;
            break;
        case 'h':
            baseline_usage(stdout);
            return 0;
        default: return 2;
        }
    }
    if (optind != argc - 1)
        return ws_cli_usage_error("expected one table file, got %d arguments", argc - optind);
    if (cfg.budget_seconds > 0 && !time_b[0])
        return ws_cli_usage_error("--budget-seconds needs --time-metric");
    if (!proxy_list != !proxies) return ws_cli_usage_error("--proxy and --proxies go together");
    if (n_methods == 0) {
        methods[n_methods++] = WS_BASELINE_RS;
        methods[n_methods++] = WS_BASELINE_REA;
    }
    ws_table *t = NULL;
    proxy_cols pc = {0};
    if (ws_table_open(argv[optind], &t, &err) ||
        (proxies && load_proxies(proxies, proxy_bench, proxy_list, &pc, &err))) {
        ws_table_close(t);
        ws_table_close(pc.t);
        return ws_cli_fail("baseline", &err);
    }
    int rc = 1;
    ws_eval_run *runs = NULL;
    ws_baseline_result *res = NULL;
    ws_eval_summary *sum = NULL;
    const double *score = ws_table_column(t, search_b, search_m);
    const double *cost = time_b[0] ? ws_table_column(t, time_b, time_m) : NULL;
    if (!score) {
        fprintf(stderr, "wsnas baseline: %s: no column %s/%s (see wsnas table info)\n",
                argv[optind], search_b, search_m);
        goto out;
    }
    if (time_b[0] && !cost) {
        fprintf(stderr, "wsnas baseline: %s: no column %s/%s (see wsnas table info)\n",
                argv[optind], time_b, time_m);
        goto out;
    }
    int higher = ws_table_higher_is_better(t, search_b, search_m);
    int n_runs = (n_methods + pc.n) * (int)seeds;
    runs = calloc((size_t)n_runs, sizeof *runs);
    res = calloc((size_t)n_runs, sizeof *res);
    if (!runs || !res) {
        fprintf(stderr, "wsnas baseline: out of memory\n");
        goto out;
    }
    for (int m = 0; m < n_methods; m++) {
        cfg.method = methods[m];
        for (long s = 0; s < seeds; s++) {
            int r = m * (int)seeds + (int)s;
            uint64_t seed = (uint64_t)(first + s);
            if (ws_baseline_run(&cfg, ws_table_space(t), score, higher, cost, seed, &res[r],
                                &err)) {
                ws_cli_fail("baseline", &err);
                goto out;
            }
            snprintf(runs[r].method, sizeof runs[r].method, "%s",
                     methods[m] == WS_BASELINE_REA ? "REA" : "RS");
            runs[r].seed = seed;
            runs[r].arch_index = res[r].best_index;
        }
    }
    for (int q = 0; q < pc.n; q++) { /* RS's draws, ranked by the proxy */
        ws_baseline_config pcfg = cfg;
        pcfg.method = WS_BASELINE_RS;
        for (long s = 0; s < seeds; s++) {
            int r = (n_methods + q) * (int)seeds + (int)s;
            uint64_t seed = (uint64_t)(first + s);
            if (ws_baseline_run(&pcfg, ws_table_space(t), pc.col[q], 1, NULL, seed, &res[r],
                                &err)) {
                ws_cli_fail("baseline", &err);
                goto out;
            }
            snprintf(runs[r].method, sizeof runs[r].method, "%s top-1", pc.name[q]);
            runs[r].seed = seed;
            runs[r].arch_index = res[r].best_index;
        }
    }
    ws_eval_column cols[64];
    int n_cols = ws_eval_default_columns(t, cols, 64);
    if (n_cols > 64) n_cols = 64;
    if (ws_eval_summarize(t, cols, n_cols, runs, n_runs, &sum, &err)) {
        ws_cli_fail("baseline", &err);
        goto out;
    }
    if (runs_csv && write_runs_csv(runs_csv, t, cols, n_cols, runs, res, n_runs, &err)) {
        ws_cli_fail("baseline", &err);
        goto out;
    }
    double mean_eval[2] = {0, 0}, mean_sec[2] = {0, 0};
    for (int m = 0; m < n_methods; m++)
        for (long s = 0; s < seeds; s++) {
            mean_eval[m] += res[m * seeds + s].evaluated / (double)seeds;
            mean_sec[m] += res[m * seeds + s].seconds_used / (double)seeds;
        }
    printf("# table-only baselines: %s, search metric %s/%s, budget %d architectures", argv[optind],
           search_b, search_m, cfg.budget_archs);
    if (cfg.budget_seconds > 0) printf(" and %g s of %s/%s", cfg.budget_seconds, time_b, time_m);
    printf(", seeds %ld..%ld", first, first + seeds - 1);
    for (int m = 0; m < n_methods; m++) {
        printf("; %s queried %.1f archs", ws_baseline_method_name(methods[m]), mean_eval[m]);
        if (cost) printf(" and %.0f s", mean_sec[m]);
    }
    for (int m = 0; m < n_methods; m++)
        if (methods[m] == WS_BASELINE_REA)
            printf("; REA population %d sample %d", cfg.population, cfg.sample_size);
    if (pc.n)
        printf("; proxies %s/%s: top-1 by the proxy of RS's architectures (no training)",
               proxies, proxy_bench);
    printf("\n");
    ws_eval_summary_print(sum, stdout);
    rc = 0;
out:
    ws_eval_summary_free(sum);
    free(runs);
    free(res);
    ws_table_close(t);
    ws_table_close(pc.t);
    return rc;
}
