/* bench.h: run suites (`wsnas bench SUITE.json`): a suite lists search runs
 * (method x seed x dataset, with config overrides), how to evaluate them
 * against a table and where the outputs go; the runner spawns `wsnas search`,
 * `wsnas eval` and `wsnas report` subprocesses in a pool of jobs, skips runs
 * already finished (resumable), and splits runs across MPI ranks.
 *
 * ---- Suite JSON (version 1; unknown keys are errors) -----------------------
 * {
 *   "name": "default",                    required; [A-Za-z0-9._-]+
 *   "description": "...",                 optional
 *   "table": "bench/fashion-mnist-small.h5", required: the ground-truth table
 *   "table_bench": "fashion-mnist-small", optional: its benchmark to use
 *   "runs_dir": "runs/default",           required: run directories go here
 *   "results_dir": "results",             default "results"
 *   "plots_dir": "plots",                 default "plots"
 *   "jobs": 2, "threads": 1,              pool size; OMP_NUM_THREADS per job
 *   "datasets": ["fashion-mnist"],        required, non-empty
 *   "methods": ["rs-ws", "darts", ...],   required, non-empty, known names
 *   "seeds": [1, 2, 3],                   required, non-empty, 0..2^31-1, unique
 *   "config": {...},                      search config for every run (passed
 *                                         as --config; the search checks keys)
 *   "method_config": {"gdas": {...}},     per-method keys over "config"
 *   "variants": {"gaea-darts-erm":        a method under its own name with its
 *       {"method": "gaea-darts",          own keys over "config" and
 *        "config": {"single_level": true}}}  "method_config"; "methods" may name
 *                                         it; the search records it as config
 *                                         key "label" and reports group by it
 *   "search_args": ["--epochs", "3"],     extra arguments of every search
 *   "eval": true | false,                 run `wsnas eval` per run (default true)
 *   "train_missing": true | false,        train the derived architectures that
 *                                         the table lacks (default false): the
 *                                         table is copied to <runs_dir>/table.h5,
 *                                         `wsnas table build --archs-file` adds
 *                                         them, and eval/report use the copy
 *   "eval_args": [...], "report_args": [...]  extra arguments
 *   "method_eval_args": {"rs-ws": ["--all-iso"]}  eval arguments after eval_args
 *                                         for one "methods" entry
 * }
 * Strings in *_args may use {method} {seed} {dataset} {run_dir} {table}
 * {table_bench} {results_dir} {plots_dir} {checkpoint} (report_args only
 * {table} {table_bench} {results_dir} {plots_dir}); any other {name} is an
 * error.
 * Paths are relative to the current directory.
 *
 * Run i lives in <runs_dir>/<dataset>/<method or variant>/seed<seed>/ (the search's
 * --out); beside it seed<seed>.json (the resolved config), seed<seed>.log
 * (the subprocesses' output), seed<seed>.searched (the search finished) and
 * seed<seed>.done (search and eval finished; the run is skipped).  A run
 * directory with a checkpoint.bin but no .searched is continued with
 * `wsnas search ... --resume DIR`; one without a checkpoint is moved aside
 * (DIR.incomplete-<time>) and started again.
 *
 * Phases: 1. searches (pool); 2. with train_missing, rank 0 trains the
 * derived architectures (manifest.json "final_arch" and the "arch" column of
 * epochs.csv: every epoch's argmax, for the trajectory) missing from the table;
 * 3. evals (pool: `wsnas eval DIR --table T [eval_args]`); 4. `wsnas report --table T --out-results R --out-plots P
 * [report_args] DIR...` on rank 0.  With MPI every rank runs the runs
 * i % size == rank in phases 1 and 3 and waits for the others between phases.
 */
#ifndef WSNAS_BENCH_H
#define WSNAS_BENCH_H

#include <stdint.h>

#include "wsnas/common.h"

#define WS_BENCH_PATH_MAX 1024

typedef struct ws_suite_run {
    char method[32], dataset[32];
    char label[32];                 /* the "methods" entry: the method or a variant name */
    uint32_t seed;
    char dir[WS_BENCH_PATH_MAX];    /* the search's --out */
    char config[WS_BENCH_PATH_MAX]; /* resolved config JSON */
    char log[WS_BENCH_PATH_MAX];
    char searched[WS_BENCH_PATH_MAX];
    char done[WS_BENCH_PATH_MAX];
} ws_suite_run;

typedef struct ws_suite ws_suite;

/* Parses and validates a suite (`what` names it in errors: "FILE: key 'x': ..."). */
int ws_suite_parse(const char *json, const char *what, ws_suite **out, ws_error *err);
int ws_suite_load(const char *path, ws_suite **out, ws_error *err);
/* Moves every run under `runs_dir` instead of the suite's (`wsnas bench
 * --runs-dir`, WSNAS_RUNS_DIR): long campaigns keep their runs outside the
 * work tree. */
int ws_suite_relocate(ws_suite *s, const char *runs_dir, ws_error *err);
/* Everything the suite needs before its first job starts, writing nothing:
 * the table opens and holds table_bench and the metrics of --truth (or
 * eval's default) and --plot-metric; files of --published and --data-dir
 * exist; every run's search config resolves and validates; every
 * {placeholder} is known where it is used; runs_dir, results_dir and
 * plots_dir are writable directories or can be created (src/bench/check.c). */
int ws_suite_check(const ws_suite *s, ws_error *err);
void ws_suite_free(ws_suite *s);
const char *ws_suite_name(const ws_suite *s);
int ws_suite_jobs(const ws_suite *s);
int ws_suite_eval(const ws_suite *s); /* 1 if runs are evaluated */
int ws_suite_run_count(const ws_suite *s);
const ws_suite_run *ws_suite_run_at(const ws_suite *s, int i);

/* Runner events for a progress display. */
enum ws_bench_event_kind { WS_BENCH_START, WS_BENCH_FINISH, WS_BENCH_FAIL, WS_BENCH_SKIP,
                           WS_BENCH_REPORT, WS_BENCH_TRAIN };
typedef struct ws_bench_event {
    int kind;       /* enum ws_bench_event_kind */
    int run;        /* index, or -1 for the report */
    const char *step; /* "search", "eval", "report" */
    int done, failed, running, total; /* over this rank's runs */
    double elapsed; /* seconds since the start */
} ws_bench_event;

typedef struct ws_bench_opts {
    const char *wsnas;  /* the binary to spawn (e.g. /proc/self/exe resolved) */
    int jobs;           /* > 0 overrides the suite's */
    int rank, size;     /* MPI split: run i belongs to rank i % size; rank 0 reports */
    int no_report;      /* skip `wsnas report` */
    void (*event)(void *ctx, const ws_suite *s, const ws_bench_event *e);
    void *event_ctx;
} ws_bench_opts;

/* Runs the suite.  *failed = failed runs (the report is skipped if any). */
int ws_bench_run(const ws_suite *s, const ws_bench_opts *o, int *failed, ws_error *err);

/* `wsnas report` over the runs that finished (search and eval) so far, for
 * a suite committed part-way; *n_done = how many (0: nothing written). */
int ws_bench_report_finished(const ws_suite *s, const ws_bench_opts *o, int *n_done,
                             ws_error *err);

/* The argv (NULL-terminated, malloc'd strings) of step "search", "eval" or
 * "report" for run i (i ignored for the report); for tests and --dry-run. */
char **ws_bench_argv(const ws_suite *s, const char *wsnas, const char *step, int i,
                     ws_error *err);
void ws_bench_argv_free(char **argv);

#endif
