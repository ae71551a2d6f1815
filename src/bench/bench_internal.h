/* bench_internal.h: the parsed suite shared by suite.c and runner.c
 * (src/bench only).  String fields point into the cJSON tree `root`. */
#ifndef WSNAS_BENCH_INTERNAL_H
#define WSNAS_BENCH_INTERNAL_H

#include <cJSON.h>

#include "wsnas/bench.h"

struct ws_suite {
    cJSON *root;
    const char *name, *table, *table_bench, *runs_dir, *results_dir, *plots_dir;
    int jobs, threads, eval, train_missing;
    char runs_dir_buf[WS_BENCH_PATH_MAX]; /* runs_dir (the suite's, or --runs-dir) */
    char table_used[WS_BENCH_PATH_MAX]; /* table, or <runs_dir>/table.h5 with train_missing */
    int n_runs;
    ws_suite_run *runs;
};

#endif
