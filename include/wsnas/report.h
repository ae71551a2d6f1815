/* report.h: `wsnas report`: aggregate search run directories into tidy
 * CSV files (one row per observation, stable column names), a printed
 * summary table and gnuplot PNG plots.
 *
 * ---- Run directory (as written by `wsnas search`, issue 5) ---------------
 *   manifest.json    object with "method" (string) and "seed" (integer >= 0),
 *                    optionally "dataset" (string) (each at the top level
 *                    or inside "config"), "config" (object: the resolved
 *                    configuration) and "final_arch" or "final_arch_index"
 *                    (official string or index; RS-WS's selected
 *                    architecture).  Runs of one method must have equal
 *                    "config" apart from the keys seed, out, resume,
 *                    threads and data_dir (and all runs the same
 *                    "dataset"), else "mixed configurations".
 *   epochs.csv       header row, one row per epoch; needs the columns
 *                    `epoch` (integer), `entropy` (number) and `arch`
 *                    (official string or index) or `arch_index`.  Other
 *                    columns are carried through.  The derived architecture
 *                    is "final_arch" if given, else the last row's.
 *   arch_weights.csv optional, any columns (carried through).
 *   eval_pairs.csv   optional (`wsnas eval`): columns `arch_index`,
 *                    `oneshot` and `true` (numbers).
 * CSV files: comma-separated, no quoting, every line (the last included)
 * ends with a newline and has as many fields as the header.
 *
 * ---- Outputs ----------------------------------------------------------------
 * results/ (each file written to NAME.tmp, then renamed):
 *   runs.csv        method,seed,dataset,epochs,arch_index,arch,dir
 *   epochs.csv      method,seed + the runs' epochs.csv columns
 *   arch_weights.csv method,seed + its columns (when the runs have it)
 *   entropy.csv     method,seed,epoch,entropy,entropy_max (ln K, K = the
 *                   ops the run chooses among: 5, or 4 with exclude_none)
 *   with a table:
 *   trajectory.csv  method,seed,epoch,arch_index,benchmark,metric,value
 *   final.csv       method,seed,arch_index,benchmark,metric,value
 *   summary.csv     method,benchmark,metric,label,runs,mean,std_ddof0,oracle,
 *                   oracle_index,regret  (std: population, ddof = 0, as
 *                   NB201; oracle, oracle_index and regret empty for a
 *                   time or cost, ws_eval_metric_has_optimum)
 *   with eval_pairs.csv:
 *   oneshot.csv     method,seed,arch_index,oneshot,true
 *   rank_corr.csv   method,seed,n,kendall_tau_b,spearman_rho,pearson_r,
 *                   p_at_1,p_at_5,p_at_10,p_at_50
 *   with proxies (proxy_path) and pairs:
 *   proxy_corr.csv  method,seed,scorer,n,kendall_tau_b,spearman_rho: scorer
 *                   "oneshot" and each proxy, over the run's eval_pairs
 *                   architectures against the same truth
 *   with published rows (--published):
 *   nb201_table.csv source,row,method,runs,label,mean,std,search_s
 *   nb201_table.md  the paper's layout, published rows beside ours
 * plots/ (gnuplot, pngcairo), one colour per method throughout:
 *   entropy.png     entropy / ln K per method and epoch (ceiling named)
 *   with a table: trajectory.png (one panel per method: the plotted
 *   metric of each epoch's architecture) and final.png (each seed and
 *   mean ± std of the final architecture, y range fitted);
 *   with pairs: oneshot.png (one-shot vs true accuracy, Kendall tau-b per
 *   method in the legend, the truth metric named on the axis);
 *   with proxies and a table: proxy_<name>.png (the proxy against the
 *   plot metric, all architectures).
 * Every input is read and checked before anything is written: a damaged
 * input gives one error line and no output. */
#ifndef WSNAS_REPORT_H
#define WSNAS_REPORT_H

#include <stdio.h>

#include "wsnas/common.h"

typedef struct ws_report_options {
    const char *results_dir; /* "results"; NULL = no CSV output */
    const char *plots_dir;   /* "plots"; NULL = no plots */
    const char *table_path;  /* NULL = no true accuracies */
    const char *plot_metric; /* "BENCH/METRIC" for the accuracy plots; NULL =
                                cifar10/test_acc_200 if present, else the
                                first summary column */
    const char *gnuplot;     /* the program to run; NULL = "gnuplot" */
    const char *published;   /* published rows (format: src/report/published.h) printed
                                beside ours in the paper's layout (nb201_table.csv/.md);
                                needs table_path; NULL = none */
    const char *proxy_path;  /* a table with a proxy benchmark (wsnas proxy); NULL = none */
    const char *proxy_bench; /* its benchmarks, comma-separated; NULL = "cifar10-proxies" */
} ws_report_options;

ws_report_options ws_report_options_default(void);

/* Reads the run directories, writes the outputs and prints the summary
 * (or, without a table, one line per run) to `out` (may be NULL). */
int ws_report_run(const char *const *dirs, int n_dirs, const ws_report_options *opt, FILE *out,
                  ws_error *err);

#endif
