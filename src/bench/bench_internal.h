/* bench_internal.h: the parsed suite shared by suite.c and runner.c
 * (src/bench only).  String fields point into the cJSON tree `root`. */
#ifndef WSNAS_BENCH_INTERNAL_H
#define WSNAS_BENCH_INTERNAL_H

#include <cJSON.h>

#include "wsnas/bench.h"

struct ws_suite {
    cJSON *root;
    char what[WS_BENCH_PATH_MAX]; /* the suite file, for messages */
    int runs_dir_moved;           /* runs_dir came from --runs-dir / WSNAS_RUNS_DIR */
    const char *name, *table, *table_bench, *runs_dir, *results_dir, *plots_dir;
    int jobs, threads, eval, train_missing;
    char runs_dir_buf[WS_BENCH_PATH_MAX]; /* runs_dir (the suite's, or --runs-dir) */
    char table_used[WS_BENCH_PATH_MAX]; /* table, or <runs_dir>/table.h5 with train_missing */
    int n_runs;
    ws_suite_run *runs;
};

/* A run's search config (config, method_config, variant and its label)
 * as a new cJSON object; NULL when out of memory (runner.c). */
cJSON *ws_suite_run_config(const ws_suite *s, const ws_suite_run *r);
/* Expands the {placeholders} of `tmpl` for run r (NULL: the report's
 * arguments, where run placeholders are errors); an unknown {name} is an
 * error (runner.c). */
int ws_suite_expand(const ws_suite *s, const ws_suite_run *r, const char *tmpl, char *out,
                    size_t n, ws_error *err);
/* ws_bench_argv with only some of the suite's extra arguments: COMMON
 * search_args (search) or eval_args (eval), METHOD method_eval_args; the
 * suite check parses them stage by stage to name the key at fault. */
enum { WS_BENCH_ARGS_COMMON = 1, WS_BENCH_ARGS_METHOD = 2, WS_BENCH_ARGS_ALL = 3 };
char **ws_bench_argv_part(const ws_suite *s, const char *wsnas, const char *step, int i,
                          int extras, ws_error *err);

#endif
