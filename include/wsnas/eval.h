/* eval.h: turning searches into answers: the final accuracies of derived
 * architectures looked up in a tabular benchmark (mean ± std over seeds per
 * method, the oracle row and the regret, laid out like the NB201 paper's
 * table, methods.md §4), and the table-only baselines (random search and
 * regularised evolution with a budget in architectures and optionally in
 * simulated training seconds), the non-weight-sharing rows of that table. */
#ifndef WSNAS_EVAL_H
#define WSNAS_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "wsnas/common.h"
#include "wsnas/table.h"

#define WS_EVAL_LABEL_MAX 64
#define WS_EVAL_METHOD_MAX 64

/* One column of a summary: a benchmark metric of the table. */
typedef struct ws_eval_column {
    char bench[WS_TABLE_NAME_MAX];
    char metric[WS_TABLE_NAME_MAX];
    char label[WS_EVAL_LABEL_MAX]; /* short header, e.g. "C10 test" */
} ws_eval_column;

/* The NB201 paper's six columns, when the table has them all:
 *   C10 valid  = cifar10-valid/valid_acc_200   C10 test  = cifar10/test_acc_200
 *   C100 valid = cifar100/valid_acc_200        C100 test = cifar100/test_acc_200
 *   IN16 valid = ImageNet16-120/valid_acc_200  IN16 test = ImageNet16-120/test_acc_200
 * otherwise every benchmark/metric of the table (label "bench/metric")
 * except per-seed copies "<m>_seed<k>" of a metric <m> the benchmark has.
 * Writes up to cap columns; returns how many there are (may exceed cap). */
int ws_eval_default_columns(const ws_table *t, ws_eval_column *cols, int cap);
/* 0 for times and costs, whose best value is no target (unit attribute s,
 * count, M, MFLOPs or MB, or a name with seconds, time, latency, flops,
 * params or seeds), 1 otherwise. */
int ws_eval_metric_has_optimum(const ws_table *t, const char *bench, const char *metric);
/* Every benchmark/metric of the table, in table order (same contract). */
int ws_eval_all_columns(const ws_table *t, ws_eval_column *cols, int cap);

/* One finished search: its method, seed and derived architecture. */
typedef struct ws_eval_run {
    char method[WS_EVAL_METHOD_MAX];
    uint64_t seed;
    int arch_index; /* official index 0..15624 */
} ws_eval_run;

/* Per method (in order of first appearance in the runs) and column: mean
 * and population std (ddof = 0, as NB201's visualize.py) of the table value
 * of each run's architecture, and the regret = oracle - mean (for metrics
 * where lower is better: mean - oracle, so regret >= 0 always).  The oracle
 * is the best value of the column (ties: smallest index); for a metric
 * without an optimum (ws_eval_metric_has_optimum) oracle and regret are NaN
 * and oracle_index -1. */
typedef struct ws_eval_summary {
    int n_cols;
    ws_eval_column *cols;
    int n_methods;
    char (*method)[WS_EVAL_METHOD_MAX];
    int *n_runs;          /* [n_methods] */
    double *mean, *std;   /* [n_methods * n_cols] */
    double *regret;       /* [n_methods * n_cols] */
    double *oracle;       /* [n_cols] */
    int *oracle_index;    /* [n_cols] */
} ws_eval_summary;

/* WS_EINVAL for a bad architecture index or no runs; WS_ENOTFOUND (naming
 * the run and column) if a run's value is missing from the table. */
int ws_eval_summarize(const ws_table *t, const ws_eval_column *cols, int n_cols,
                      const ws_eval_run *runs, int n_runs, ws_eval_summary **out,
                      ws_error *err);
void ws_eval_summary_free(ws_eval_summary *s); /* NULL-safe */
/* The summary as a text table (methods.md §4 layout): one row per method
 * "mean±std" per column with the number of seeds, then the oracle row, then
 * one regret row per method.  `f` is the caller's stream. */
void ws_eval_summary_print(const ws_eval_summary *s, FILE *f);

/* ---- Table-only baselines ------------------------------------------------ */
enum ws_baseline_method {
    WS_BASELINE_RS = 0, /* random search: uniform draws with replacement */
    WS_BASELINE_REA     /* regularised evolution (Real et al. 2019) */
};

typedef struct ws_baseline_config {
    int method;            /* enum ws_baseline_method */
    int budget_archs;      /* architectures "trained" (queried), >= 1 */
    double budget_seconds; /* simulated training seconds; 0 = no time budget */
    int population;        /* REA population (NB201 scripts: 10) */
    int sample_size;       /* REA tournament size (NB201 scripts: 3) */
} ws_baseline_config;

/* Defaults: RS, 100 architectures, no time budget, population 10, sample 3. */
ws_baseline_config ws_baseline_config_default(void);
/* Name <-> enum: "rs", "rea". */
int ws_baseline_parse_method(const char *s, int *method, ws_error *err);
const char *ws_baseline_method_name(int method);

typedef struct ws_baseline_result {
    int best_index;      /* best architecture by the search score */
    double best_score;   /* its score */
    int evaluated;       /* architectures queried */
    double seconds_used; /* sum of their costs (0 without costs) */
} ws_baseline_result;

/* One run.  score: 15625 values of the search metric (e.g.
 * cifar10-valid/valid_acc_12), NaN = never chosen as best; higher_better
 * says its direction.  cost: 15625 simulated training seconds or NULL
 * (then budget_seconds must be 0).  An architecture is queried only while
 * fewer than budget_archs have been and, with a time budget, only if its
 * cost still fits in what remains; the run stops at the first one that does
 * not fit.  All draws come from ws_pcg32_stream(seed, WS_STREAM_BASELINE).
 * REA: the population starts with `population` uniform random
 * architectures; each cycle samples `sample_size` members uniformly with
 * replacement, mutates the best (one uniformly chosen edge gets a different
 * op, uniformly), queries the child, adds it and removes the oldest. */
int ws_baseline_run(const ws_baseline_config *cfg, const ws_space *sp, const double *score,
                    int higher_better, const double *cost, uint64_t seed,
                    ws_baseline_result *res, ws_error *err);

/* ---- Rank disorder: samples, truth, comparison, pairs file --------------
 * The network-independent half of `wsnas eval`: which architectures are
 * scored, their true accuracy from a table, the statistics and the pairs
 * CSV that `wsnas report` reads (eval_pairs.csv). */
enum ws_oneshot_sample_mode {
    WS_ONESHOT_UNIFORM = 0, /* n distinct indices, uniform over the 15,625 */
    WS_ONESHOT_ISO_ALL,     /* one representative (smallest index) per isomorphism class */
    WS_ONESHOT_FILLED       /* n distinct indices, uniform over the rows the table has filled */
};

/* Writes the sample into out (room for WS_ARCH_COUNT) and its size into
 * *n_out.  UNIFORM: n (1..15625) distinct indices in draw order (partial
 * Fisher-Yates over ws_pcg32_stream(seed, WS_STREAM_SELECT)); ISO_ALL:
 * the 6,466 class representatives in index order (n and seed unused). */
int ws_oneshot_sample(const ws_space *sp, int mode, int n, uint64_t seed, int *out, int *n_out,
                      ws_error *err);
/* FILLED: n distinct indices among those with filled[i] != 0 (a table's
 * mask, e.g. a partial table built by `wsnas table build`), drawn like
 * UNIFORM but over the filled indices in increasing order; WS_ERANGE when
 * fewer than n are filled. */
int ws_oneshot_sample_filled(const uint8_t *filled, int n, uint64_t seed, int *out, int *n_out,
                             ws_error *err);
/* True value of each sampled architecture: the table value, or with
 * iso_mean the mean over its isomorphism class (Ning et al.'s
 * de-isomorphised ground truth).  WS_ENOTFOUND names a missing one. */
int ws_oneshot_truth(const ws_table *t, const char *bench, const char *metric, const int *archs,
                     int n, int iso_mean, double *truth, ws_error *err);

typedef struct ws_oneshot_stats {
    size_t n;
    double kendall_tau_b, spearman_rho, pearson_r;
    double p_at_k[4]; /* K = ws_stats_topk_fracs: 1, 5, 10, 50 % */
} ws_oneshot_stats;
int ws_oneshot_compare(const double *oneshot, const double *truth, size_t n,
                       ws_oneshot_stats *st, ws_error *err);
/* eval_pairs.csv: arch_index,arch,oneshot,true,truth (tmp + rename); the
 * column truth names the true metric ("BENCH/METRIC") on every row. */
int ws_oneshot_write_pairs(const char *path, const ws_space *sp, const int *archs,
                           const double *oneshot, const double *truth, size_t n,
                           const char *truth_name, ws_error *err);

/* ---- One-shot scores with the shared weights (needs the supernet) -------- */
struct ws_net;
enum ws_bn_mode {
    WS_BN_BATCH = 0,   /* batch statistics everywhere (train-mode forwards) */
    WS_BN_RUNNING,     /* the network's eval mode: running statistics where kept */
    WS_BN_RECALIBRATE  /* per architecture: train-mode forwards over calibration
                          images re-estimate the running statistics, then eval */
};
/* "batch" | "running" | "recalibrate". */
int ws_oneshot_parse_bn(const char *s, int *mode, ws_error *err);
/* Top-1 accuracy (%) of each architecture with the path fixed (SINGLE mix)
 * on the held-out images x (n_images, Cin, S, S; normalised) in batches of
 * `batch` (<= the network's max_batch).  The BN buffers end as they began,
 * so the scores do not depend on the order.  Batch and running statistics
 * on a supernet without partial channels use the forward-only scorer
 * (ws_net_score_arch), architectures in product-rank order; the scores are
 * the same bits as ordinary forwards give. */
int ws_oneshot_score(struct ws_net *net, const ws_space *sp, const int *archs, int n_archs,
                     const float *x, const int *y, int n_images, int batch, int bn_mode,
                     const float *cx, const int *cy, int n_calib, double *acc, ws_error *err);

/* 0 sends ws_oneshot_score through ordinary forwards in every mode (tests
 * compare both routes); 1 (default) enables the forward-only scorer.  Not
 * thread-safe: set it between calls. */
void ws_oneshot_set_fast(int on);

/* ---- `wsnas eval`: one search run end to end ----------------------------- */
typedef struct ws_oneshot_opts {
    const char *run;          /* run directory, or its checkpoint file */
    const char *bench, *metric; /* ground truth (cifar10-valid/valid_acc_200) */
    int iso_mean;             /* truth = mean over the isomorphism class */
    int sample_mode;          /* WS_ONESHOT_UNIFORM (200) or WS_ONESHOT_ISO_ALL */
    int sample_size;
    uint64_t seed;            /* sample seed (1) */
    int images;               /* held-out images: the first of the run's valid split (1024) */
    int calib_images;         /* recalibration images from its train split (512) */
    int bn_mode;              /* enum ws_bn_mode (batch) */
    int batch;                /* forward batch (256) */
    const char *data_dir;     /* overrides the run's data_dir; NULL = the run's */
    const char *out_pairs;    /* NULL = <run dir>/eval_pairs.csv */
} ws_oneshot_opts;
ws_oneshot_opts ws_oneshot_opts_default(void);

/* `wsnas eval`'s command line (src/eval/oneshot_args.c, one option table),
 * for the command and the suite check.  o.bench/o.metric point into this
 * struct when --truth is given: do not copy it. */
typedef struct ws_oneshot_args {
    ws_oneshot_opts o;   /* o.run: the one positional argument */
    const char *table;   /* --table (required) */
    int truth_given;     /* --truth was given (else o has eval's default) */
    int help;
    char bench[WS_TABLE_NAME_MAX], metric[WS_TABLE_NAME_MAX];
} ws_oneshot_args;
/* Parses `wsnas eval ARGS` (argv[0] the command; argv may be permuted):
 * every option and value, one run directory and --table.  WS_EINVAL or
 * WS_ERANGE with one line; --help stops at once with a->help set. */
int ws_oneshot_args_parse(int argc, char **argv, ws_oneshot_args *a, ws_error *err);

typedef struct ws_oneshot_result {
    char method[32], dataset[32];
    uint64_t seed;
    int images, calib_images; /* actually used */
    double seconds;           /* scoring time */
    ws_oneshot_stats stats;
} ws_oneshot_result;
/* Rebuilds the run's supernet (manifest config + checkpoint), scores the
 * sample on the run's held-out images, compares with the table and writes
 * the pairs file.  The network shape, dataset, split and subsets are the
 * search's own (src/methods/search.c). */
int ws_oneshot_eval_run(const ws_oneshot_opts *o, const ws_table *t, ws_oneshot_result *res,
                        ws_error *err);

#endif
