/* tablebuild.h: building a tabular benchmark by training architectures from
 * scratch (the engine's standalone mode) under one fixed recipe, resumably,
 * in shards or across MPI ranks, and merging shards.
 *
 * ---- What a build writes (table schema of table.h, one benchmark group) ----
 *   /benchmarks/<bench>               attributes: `recipe` (the canonical recipe
 *                                     text below; merge and resume compare it),
 *                                     one attribute per recipe key (readable
 *                                     alone), `built_by`, `description`.
 *   <bench>/valid_acc_<E>             mean over the recipe's seeds (percent)
 *   <bench>/test_acc_<E>              mean over seeds (percent)
 *   <bench>/valid_acc_<E>_seed<S>     per seed S (one column per recipe seed)
 *   <bench>/test_acc_<E>_seed<S>
 *   <bench>/train_seconds_<E>         mean wall time of one seed's training
 *                                     (not bit-reproducible; everything else is)
 *   <bench>/filled                    1 where the row has results
 *   E = the recipe's epochs.  Rows are official indices; every member of an
 *   isomorphism class gets its class's results (the class representative,
 *   its smallest index, is the architecture actually trained).
 *
 * ---- Recipe text ------------------------------------------------------------
 *   "dataset=fashion-mnist;train=2000;valid=1000;test=1000;subset_seed=1;
 *    size=16;C=8;N=1;epochs=4;batch=64;lr=0.1;lr_min=0;momentum=0.9;
 *    nesterov=1;wd=0.0005;augment=1;seeds=1,2"   (no spaces, one line)
 *   train/valid: class-balanced subsets (ws_split_stratified, subset_seed)
 *   of the dataset's train and valid halves (ws_split_fashion_mnist for
 *   fashion-mnist; the same stratified halving with seed 201 for mnist and
 *   cifar10); test: a class-balanced subset of the test set.  Training: SGD
 *   (PyTorch semantics) with cosine lr per epoch from lr to lr_min, batch
 *   `batch` (partial last batch kept), crop+flip augmentation if augment,
 *   cell BN affine with running statistics, weights initialised from
 *   ws_pcg32_stream(seed, WS_STREAM_INIT); batches from the seed too.
 *
 * ---- Resume -----------------------------------------------------------------
 * A build of OUT keeps a sidecar OUT.progress (text; one line per finished
 * architecture, flushed and fsynced); an interrupted build run again with the
 * same arguments continues from it and loses at most the architecture in
 * progress.  The table itself is written through OUT.tmp + rename at the end
 * (or after --limit new architectures), then the sidecar is removed.  If OUT
 * already holds the benchmark, its recipe must equal the build's and its
 * filled rows are kept and not trained again.
 */
#ifndef WSNAS_TABLEBUILD_H
#define WSNAS_TABLEBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "wsnas/common.h"
#include "wsnas/space.h"

#define WS_BUILD_MAX_SEEDS 8
#define WS_BUILD_RECIPE_MAX 512 /* canonical recipe text + NUL fits */

typedef struct ws_build_recipe {
    char dataset[32]; /* fashion-mnist | mnist | cifar10 */
    int train_n, valid_n, test_n;
    uint32_t subset_seed;
    int in_size, C, N;
    int epochs, batch;
    double lr, lr_min, momentum, wd;
    int nesterov, augment;
    int n_seeds;
    uint32_t seeds[WS_BUILD_MAX_SEEDS];
} ws_build_recipe;

/* A small Fashion-MNIST recipe (the values in the example above). */
void ws_build_recipe_default(ws_build_recipe *r);
/* Range checks with one message naming the key. */
int ws_build_recipe_check(const ws_build_recipe *r, ws_error *err);
/* Canonical text (see above) into buf[n]; WS_EINVAL if it does not fit. */
int ws_build_recipe_format(const ws_build_recipe *r, char *buf, size_t n, ws_error *err);
/* Parses canonical text or a user's "key=value;..." (any subset of the keys,
 * applied over *r; unknown keys and bad values are errors). */
int ws_build_recipe_parse(const char *text, ws_build_recipe *r, ws_error *err);

/* ---- The set of architectures to train ------------------------------------ */
/* Class representatives (official indices, the class minimum), no
 * duplicates, in the order they will be trained.  The constructors below
 * overwrite `out` (free an old set first); on error `out` is empty. */
typedef struct ws_build_set {
    int n;
    int *index;
} ws_build_set;
void ws_build_set_free(ws_build_set *s); /* NULL-safe; n = 0 */
/* The classes of the given architectures (strings or indices), in the order
 * given, duplicates dropped. */
int ws_build_set_list(const ws_space *sp, const char *const *archs, int n_archs,
                      ws_build_set *out, ws_error *err);
/* A random sample: architectures in the order of a seeded permutation of
 * all 15,625 (ws_pcg32_stream(seed, WS_STREAM_SELECT)), mapped to their
 * classes, until n distinct classes are found.  Prefix-stable: the sample of
 * n is the start of the sample of n' > n. */
int ws_build_set_sample(const ws_space *sp, int n, uint64_t seed, ws_build_set *out,
                        ws_error *err);
/* All 6,466 classes, ascending. */
int ws_build_set_all(const ws_space *sp, ws_build_set *out, ws_error *err);
/* Keeps items j with j % k == i (0 <= i < k). */
void ws_build_set_shard(ws_build_set *s, int i, int k);

/* ---- Training one architecture --------------------------------------------- */
/* Trains `a` with seed slot `slot` of the recipe; writes accuracies in percent
 * and the wall time.  Must be deterministic in (recipe, a, seed). */
typedef int (*ws_build_train_fn)(void *ctx, const ws_build_recipe *r, const ws_arch *a, int slot,
                                 double *valid_acc, double *test_acc, double *seconds,
                                 ws_error *err);

/* The standalone trainer: data loaded and subsets cut once at allocation.
 * data_dir NULL = the dataset's default (Debian's Fashion-MNIST); cifar10 and
 * mnist need one. */
typedef struct ws_build_trainer ws_build_trainer;
int ws_build_trainer_alloc(const ws_build_recipe *r, const char *data_dir,
                           ws_build_trainer **out, ws_error *err);
void ws_build_trainer_free(ws_build_trainer *t);
/* A ws_build_train_fn; ctx = the ws_build_trainer. */
int ws_build_trainer_run(void *ctx, const ws_build_recipe *r, const ws_arch *a, int slot,
                         double *valid_acc, double *test_acc, double *seconds, ws_error *err);

/* ---- The build ---------------------------------------------------------------- */
typedef struct ws_build_progress {
    int done, total;  /* of this call's (this rank's) work */
    int index;        /* class just trained */
    double valid_acc, test_acc, seconds; /* its means over seeds */
} ws_build_progress;

typedef struct ws_build_opts {
    const char *out;               /* the table (created if absent) */
    const char *bench;             /* benchmark group name */
    const ws_build_recipe *recipe;
    const ws_build_set *set;       /* already sharded if wanted */
    ws_build_train_fn train;
    void *train_ctx;
    int limit;                     /* > 0: stop after this many new trainings (write, exit) */
    int rank, size;                /* MPI: size > 1 splits the work; rank 0 writes */
    const char *description;       /* optional `description` attribute */
    void (*progress)(void *ctx, const ws_build_progress *p); /* may be NULL */
    void *progress_ctx;
} ws_build_opts;

/* Runs the build (see the header comment).  *trained (may be NULL) = the
 * number of classes trained by this call on this rank; *remaining = how many
 * of the set are still unfilled after it (0 = complete). */
int ws_table_build(const ws_build_opts *o, int *trained, int *remaining, ws_error *err);

/* The recipe stored in a table's benchmark (WS_ENOTFOUND if none). */
int ws_table_build_recipe(const char *path, const char *bench, ws_build_recipe *r,
                          ws_error *err);

/* Joins built tables of one benchmark into `out` (tmp + rename): every input
 * must hold `bench` with the same recipe (else WS_EINVAL naming both); a row
 * filled in several inputs must agree (accuracies bit for bit).  Other
 * benchmarks are taken from the first input. */
int ws_table_merge(const char *out, const char *bench, const char *const *inputs, int n_inputs,
                   ws_error *err);

#endif
