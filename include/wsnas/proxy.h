/* proxy.h: zero-cost proxies: training-free scores of an NB201 architecture
 * from its network at initialisation and one minibatch (Abdelfattah et al.,
 * ICLR 2021; Mellor et al., ICML 2021), scored over a sample, a list or all
 * 15,625 architectures and stored as a benchmark in the table schema of
 * table.h, so that proxies are queried, merged and reported like accuracies.
 *
 * ---- The network and the data ------------------------------------------------
 * The standalone NB201 network of the tables (C=16, N=5, 32x32, 10 classes;
 * cell BN affine, no conv bias; dead edges pruned), run by the engine as a
 * supernet with one op per edge (WS_MIX_SINGLE: bit for bit the standalone
 * network), weights from ws_net_init(ws_pcg32_stream(seed, WS_STREAM_INIT))
 * over the supernet's tensors, so every architecture that has an op on a
 * given edge starts from the same weights there (common random numbers).
 * Minibatches: the first batch of a ws_batcher over the NB201 CIFAR-10 train
 * split (cifar-split.txt key "train", 25,000 images) with the seed, NB201
 * normalisation; 64 images with crop+flip for the gradient proxies (as
 * zero-cost-nas's loader), 128 without augmentation for naswot (as
 * nas-without-training's `--augtype none`).  Train-mode BN (batch
 * statistics) everywhere, as the references.
 *
 * ---- The proxies (what each follows; batch = images per minibatch) -------------
 *   synflow    zero-cost-nas measures/synflow.py, batch 1 (all ones): every
 *              parameter |.|, BN bypassed (also in the reduction blocks, where
 *              the reference keeps it), double precision; R = sum of the
 *              logits; sum over conv and linear weights of |w * dR/dw|.
 *   snip       zero-cost-nas measures/snip.py, batch 64: sum |w * dL/dw| over
 *              conv and linear weights, L = mean cross-entropy.
 *   grad_norm  zero-cost-nas measures/grad_norm.py, batch 64: sum over conv
 *              and linear layers of ||dL/dW||_2.
 *   fisher     zero-cost-nas measures/fisher.py, batch 64: per conv/linear
 *              output channel k, 0.5 mean_n (sum_hw a * dL/da)^2 (a = the
 *              layer's output), times the channel's fan-in (the reference
 *              broadcasts it to every weight of the channel), summed.
 *   grasp      zero-cost-nas measures/grasp.py (T = 1), batch 64:
 *              -sum w * (H g) over conv and linear weights, g = dL/dw, H the
 *              Hessian; H g by central differences of the gradient along g
 *              with every ReLU's mask frozen at w (the reference: double
 *              backward, which takes ReLU'' = 0 as well).
 *   jacob_cov  zero-cost-nas measures/jacob_cov.py, batch 64: J = d(sum of
 *              logits)/dx per image, eigenvalues v of corrcoef(J),
 *              -sum (log(v + 1e-5) + 1/(v + 1e-5)).
 *   naswot     nas-without-training score_networks.py (hook_logdet), batch
 *              128: K = sum over ReLUs of c c^T + (1-c)(1-c)^T, c = (input >
 *              0) per image; log |det K|.
 *   params     trainable parameters (ws_arch_param_count), per architecture.
 *   flops      multiply-adds per image (ws_arch_flops), per architecture.
 * Higher is better for all of them.  A score that is not a finite number
 * (jacob_cov and naswot of a cell whose output does not depend on its input)
 * is stored as NaN ("undefined"), as zero-cost-nas does for jacob_cov.
 *
 * ---- The benchmark (schema of table.h) ---------------------------------------------
 *   /benchmarks/<bench>          attributes: proxy_recipe (the recipe text
 *                                below; resume and merge compare it),
 *                                built_by, description
 *   /benchmarks/<bench>/<proxy>  one metric per proxy; attributes batch,
 *                                seed, definition, reference, better=higher
 *   /benchmarks/<bench>/filled   1 where a row has been scored
 * Every member of an isomorphism class gets its class's scores (the class
 * representative, its smallest index, is the architecture scored), except
 * params and flops, which are counted per architecture.
 *   recipe text: "dataset=cifar10;split=train;C=16;N=5;size=32;seed=1;
 *                 proxies=synflow,snip,grad_norm"  (proxies in enum order)
 * Resume: OUT.progress (OUT.progress.rank<R> under MPI), one line per scored
 * class, fsynced; the table itself only through OUT.tmp + rename. */
#ifndef WSNAS_PROXY_H
#define WSNAS_PROXY_H

#include <stdint.h>

#include "wsnas/common.h"
#include "wsnas/space.h"

/* The closed proxy enum (the column order of a proxy benchmark). */
enum ws_proxy_id {
    WS_PROXY_SYNFLOW = 0,
    WS_PROXY_SNIP,
    WS_PROXY_GRAD_NORM,
    WS_PROXY_FISHER,
    WS_PROXY_GRASP,
    WS_PROXY_JACOB_COV,
    WS_PROXY_NASWOT,
    WS_PROXY_PARAMS,
    WS_PROXY_FLOPS,
    WS_PROXY_COUNT
};
extern const char *const ws_proxy_names[WS_PROXY_COUNT];

/* Name -> id; unknown names give one line listing the known ones. */
int ws_proxy_lookup(const char *name, int *id, ws_error *err);
/* Images per minibatch of the proxy (1 for synflow, 0 for params/flops). */
int ws_proxy_batch_size(int id);
/* One line: which reference the proxy follows, and its definition. */
const char *ws_proxy_reference(int id);
const char *ws_proxy_definition(int id);

/* ---- Recipe ------------------------------------------------------------------ */
#define WS_PROXY_RECIPE_MAX 256
typedef struct ws_proxy_recipe {
    int C, N, in_size; /* the network (16, 5, 32) */
    uint64_t seed;     /* weights and minibatches (1) */
    int n_proxies;
    int proxies[WS_PROXY_COUNT]; /* ascending ids, no duplicates */
} ws_proxy_recipe;
/* CIFAR-10, C=16 N=5 32x32, seed 1, every proxy. */
void ws_proxy_recipe_default(ws_proxy_recipe *r);
/* Sets the proxies from a comma-separated list of names (any order; stored
 * ascending; duplicates and unknown names are errors). */
int ws_proxy_recipe_set_proxies(ws_proxy_recipe *r, const char *list, ws_error *err);
int ws_proxy_recipe_format(const ws_proxy_recipe *r, char *buf, size_t n, ws_error *err);

/* ---- Scoring one architecture ------------------------------------------------ */
/* One minibatch: x (n, 3, S, S) normalised, y (n) labels in [0, 10). */
typedef struct ws_proxy_batch {
    int n;
    const float *x;
    const int *y;
} ws_proxy_batch;

/* The minibatches of a recipe (64 augmented, 128 plain) from CIFAR-10's NB201
 * train split: data_dir holds the CIFAR-10 binaries, split_file is NB201's
 * cifar-split.txt. */
typedef struct ws_proxy_data ws_proxy_data;
int ws_proxy_data_load(const ws_proxy_recipe *r, const char *data_dir, const char *split_file,
                       ws_proxy_data **out, ws_error *err);
void ws_proxy_data_free(ws_proxy_data *d);
/* The gradient proxies' batch (64) and naswot's (128). */
ws_proxy_batch ws_proxy_data_grad(const ws_proxy_data *d);
ws_proxy_batch ws_proxy_data_naswot(const ws_proxy_data *d);

/* A scorer: the network (sized for the largest batch) and scratch; one per
 * thread.  `grad` and `naswot` (copied pointers; the batches must outlive
 * the scorer) are needed only when the recipe has a proxy that uses them. */
struct ws_net;
typedef struct ws_proxy_scorer ws_proxy_scorer;
int ws_proxy_scorer_alloc(const ws_proxy_recipe *r, int classes, ws_proxy_batch grad,
                          ws_proxy_batch naswot, ws_proxy_scorer **out, ws_error *err);
void ws_proxy_scorer_free(ws_proxy_scorer *s);
/* Initialises the weights from the recipe's seed and scores architecture a:
 * scores[i] for r->proxies[i] (NaN where undefined). */
int ws_proxy_score(ws_proxy_scorer *s, const ws_arch *a, double *scores, ws_error *err);
/* The same with the network's current weights (tests set their own through
 * ws_proxy_scorer_net first; NULL when the recipe has only params/flops). */
int ws_proxy_score_current(ws_proxy_scorer *s, const ws_arch *a, double *scores, ws_error *err);
struct ws_net *ws_proxy_scorer_net(ws_proxy_scorer *s);

/* ---- Scoring a set into a benchmark ------------------------------------------- */
typedef struct ws_proxy_progress {
    int done, total; /* of this call's (this rank's) work */
    int index;       /* class just scored */
} ws_proxy_progress;

typedef struct ws_proxy_opts {
    const char *out;        /* the table (created if absent; other benchmarks kept) */
    const char *bench;      /* benchmark group */
    const ws_proxy_recipe *recipe;
    const char *data_dir, *split_file;
    const int *set;         /* class representatives to score, in order */
    int n_set;
    int threads;            /* >= 1 scorers in parallel (results do not depend on it) */
    int limit;              /* > 0: stop after this many new classes (the table is written) */
    int rank, size;         /* MPI: size > 1 splits the classes; rank 0 writes */
    const char *description;
    void (*progress)(void *ctx, const ws_proxy_progress *p); /* may be NULL */
    void *progress_ctx;
} ws_proxy_opts;

/* Scores the unfilled classes of the set and writes the benchmark (see the
 * header comment).  *scored = classes scored by this call on this rank;
 * *remaining = classes of the set still unfilled after it. */
int ws_proxy_run(const ws_proxy_opts *o, int *scored, int *remaining, ws_error *err);

/* 1 if `bench` of the table at `path` is a proxy benchmark (has
 * proxy_recipe), 0 if not (or the file cannot be read). */
int ws_proxy_is_benchmark(const char *path, const char *bench);
/* Joins proxy benchmarks: every input must hold `bench` with the same
 * proxy_recipe (else one line naming both); rows filled in several inputs
 * must agree bit for bit.  Other benchmarks come from the first input. */
int ws_proxy_merge(const char *out, const char *bench, const char *const *inputs, int n_inputs,
                   ws_error *err);

/* ---- Correlation with a table -------------------------------------------------- */
typedef struct ws_proxy_corr {
    size_t n;                /* rows where both values are finite */
    double spearman, kendall; /* rho and tau-b (stats.h); NaN when n < 2 */
} ws_proxy_corr;
/* Over rows[0..n_rows) (rows NULL: all 15,625), skipping rows where either
 * value is NaN (scipy's nan_policy='omit', as Abdelfattah et al.'s
 * notebook).  WS_ENOMEM only. */
int ws_proxy_correlate(const double *proxy, const double *truth, const int *rows, int n_rows,
                       ws_proxy_corr *out, ws_error *err);

#endif
