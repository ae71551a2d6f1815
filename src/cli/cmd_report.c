/* cmd_report.c: `wsnas report DIR...`: tidy CSVs, the summary table and
 * plots from search run directories (format in include/wsnas/report.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "wsnas/report.h"

static void report_usage(FILE *f)
{
    fprintf(f,
            "usage: wsnas report [options] DIR...\n"
            "Aggregates search run directories (manifest.json, epochs.csv, optional\n"
            "arch_weights.csv and eval_pairs.csv) into tidy CSVs and PNG plots and prints\n"
            "the summary table.  Nothing is written if any input is damaged.\n\n"
            "options:\n"
            "  --out-results DIR   tidy CSV files (default results)\n"
            "  --out-plots DIR     PNG plots via gnuplot (default plots)\n"
            "  --no-plots          skip the plots\n"
            "  --table FILE        tabular benchmark for true accuracies, oracle and regret\n"
            "                      (default: none; then only entropies and logs)\n"
            "  --plot-metric B/M   accuracy shown in the plots (default cifar10/test_acc_200)\n"
            "  --published FILE    published rows (e.g. bench/published/nb201-cifar10.csv)\n"
            "                      beside ours in the paper's layout: nb201_table.csv/.md\n"
            "  --proxies FILE      a proxy benchmark (wsnas proxy): each proxy's tau/rho beside\n"
            "                      the one-shot ones over the same architectures, and a scatter\n"
            "                      plot per proxy (default: none)\n"
            "  --proxy-bench B,..  its benchmarks, comma-separated (default cifar10-proxies);\n"
            "                      every proxy is correlated over the architectures that all\n"
            "                      of them scored\n"
            "  -h, --help          this help\n");
}

int ws_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out-results", required_argument, 0, 'r'}, {"out-plots", required_argument, 0, 'p'},
        {"no-plots", no_argument, 0, 'n'},          {"table", required_argument, 0, 't'},
        {"plot-metric", required_argument, 0, 'm'}, {"help", no_argument, 0, 'h'},
        {"published", required_argument, 0, 'P'},
        {"proxies", required_argument, 0, 'x'},     {"proxy-bench", required_argument, 0, 'X'},
        {0, 0, 0, 0}};
    ws_report_options o = ws_report_options_default();
    int c;
    optind = 1;
    while ((c = ws_cli_getopt(argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 'r':
            o.results_dir = optarg;
            break;
        case 'p':
            o.plots_dir = optarg;
            break;
        case 'n':
            o.plots_dir = NULL;
            break;
        case 't':
            o.table_path = optarg;
            break;
        case 'm':
            o.plot_metric = optarg;
            break;
        case 'P':
            o.published = optarg;
            break;
        case 'x':
            o.proxy_path = optarg;
            break;
        case 'X':
            o.proxy_bench = optarg;
            break;
        case 'h':
            report_usage(stdout);
            return 0;
        default: return 2;
        }
    }
    if (optind >= argc) return ws_cli_usage_error("expected at least one run directory");
    ws_error err = {0};
    if (ws_report_run((const char *const *)(argv + optind), argc - optind, &o, stdout, &err))
        return ws_cli_fail("report", &err);
    return 0;
}
