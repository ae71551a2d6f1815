/* train.c: the standalone trainer of table builds: loads the recipe's data
 * once, cuts its class-balanced subsets, then trains one architecture from
 * scratch per call (SGD, cosine lr per epoch) and measures its valid and test
 * accuracy.  Deterministic in (recipe, architecture, seed) for a fixed
 * thread count; the order of calls does not matter. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wsnas/data.h"
#include "wsnas/supernet.h"
#include "wsnas/tablebuild.h"

struct ws_build_trainer {
    ws_build_recipe recipe;
    ws_dataset *train_set, *test_set;
    ws_index_list train_idx, valid_idx, test_idx;
    ws_transform tf;
    int eval_batch;
    float *x;
    int *y;
};

void ws_build_trainer_free(ws_build_trainer *t)
{
    if (!t) return;
    ws_dataset_free(t->train_set);
    ws_dataset_free(t->test_set);
    ws_index_list_free(&t->train_idx);
    ws_index_list_free(&t->valid_idx);
    ws_index_list_free(&t->test_idx);
    free(t->x);
    free(t->y);
    free(t);
}

int ws_build_trainer_alloc(const ws_build_recipe *r, const char *data_dir,
                           ws_build_trainer **out, ws_error *err)
{
    *out = NULL;
    int rc = ws_build_recipe_check(r, err);
    if (rc) return rc;
    ws_build_trainer *t = calloc(1, sizeof *t);
    if (!t) return ws_error_set(err, WS_ENOMEM, "out of memory");
    t->recipe = *r;
    /* the one data path: halves by stratified split (seed 201; Fashion-MNIST's
     * own), then the recipe's class-balanced subsets (subset_seed) */
    ws_data_spec spec = {.dataset = r->dataset, .dir = data_dir,
                         .halves = WS_HALVES_STRATIFIED, .train_size = r->train_n,
                         .valid_size = r->valid_n, .test_size = r->test_n,
                         .subset_seed = r->subset_seed};
    ws_data d;
    rc = ws_data_load(&spec, &d, err);
    if (!rc) {
        t->train_set = d.train_set;
        t->test_set = d.test_set;
        t->train_idx = d.train;
        t->valid_idx = d.valid;
        t->test_idx = d.test;
        if (r->train_n > t->train_idx.n || r->valid_n > t->valid_idx.n)
            rc = ws_error_set(err, WS_ERANGE,
                              "recipe subsets train=%d valid=%d exceed the %s splits (%d, %d)",
                              r->train_n, r->valid_n, r->dataset, t->train_idx.n,
                              t->valid_idx.n);
    }
    if (!rc) rc = ws_transform_default(t->train_set->name, r->in_size, r->augment, t->train_set,
                                       &t->tf, err);
    t->eval_batch = r->batch > 256 ? r->batch : 256;
    if (!rc) {
        size_t per = (size_t)t->train_set->channels * r->in_size * r->in_size;
        t->x = malloc((size_t)t->eval_batch * per * sizeof *t->x);
        t->y = malloc((size_t)t->eval_batch * sizeof *t->y);
        if (!t->x || !t->y) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    if (rc) {
        ws_build_trainer_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* Top-1 accuracy (percent) of net on the images of `idx`. */
static int evaluate(ws_build_trainer *t, ws_net *net, const ws_dataset *d, const ws_index_list *idx,
                    double *acc, ws_error *err)
{
    ws_batcher *b = ws_batcher_alloc(d, idx, t->eval_batch, &t->tf, 0, 0, err);
    if (!b) return err ? err->code : WS_ENOMEM;
    long hits = 0;
    int n;
    for (int first = 0; (n = ws_batcher_fixed(b, first, t->eval_batch, t->x, t->y)) > 0;
         first += n) {
        int correct = 0;
        ws_net_forward(net, t->x, t->y, n, NULL, 0, &correct);
        hits += correct;
    }
    *acc = 100.0 * (double)hits / (double)idx->n;
    ws_batcher_free(b);
    return 0;
}

int ws_build_trainer_run(void *ctx, const ws_build_recipe *r, const ws_arch *a, int slot,
                         double *valid_acc, double *test_acc, double *seconds, ws_error *err)
{
    ws_build_trainer *t = ctx;
    if (slot < 0 || slot >= r->n_seeds)
        return ws_error_set(err, WS_EINVAL, "seed slot %d of %d", slot, r->n_seeds);
    uint64_t seed = r->seeds[slot];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ws_net_config cfg = {
        .C = r->C,
        .N = r->N,
        .in_channels = t->train_set->channels,
        .in_size = r->in_size,
        .classes = t->train_set->classes,
        .max_batch = t->eval_batch,
        .cell_bn_affine = 1,
        .cell_bn_track = 1,
        .standalone = 1,
        .arch = *a,
        .pc_k = 1,
    };
    ws_net *net = ws_net_alloc(&cfg, err);
    if (!net) return err ? err->code : WS_ENOMEM;
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, seed, WS_STREAM_INIT);
    ws_net_init(net, &rng);
    ws_batcher *b = ws_batcher_alloc(t->train_set, &t->train_idx, r->batch, &t->tf, r->augment,
                                     seed, err);
    if (!b) {
        ws_net_free(net);
        return err ? err->code : WS_ENOMEM;
    }
    ws_sgd opt = {.momentum = (float)r->momentum, .weight_decay = (float)r->wd,
                  .nesterov = r->nesterov};
    int steps = ws_batcher_batches_per_epoch(b);
    for (int e = 0; e < r->epochs; e++) {
        opt.lr = (float)ws_cosine_lr(r->lr, r->lr_min, e, r->epochs);
        for (int s = 0; s < steps; s++) {
            int n = ws_batcher_next(b, t->x, t->y);
            ws_net_zero_grad(net);
            ws_net_forward(net, t->x, t->y, n, NULL, 1, NULL);
            ws_net_backward(net, NULL);
            ws_net_sgd_step(net, &opt);
        }
    }
    ws_batcher_free(b);
    int rc = evaluate(t, net, t->train_set, &t->valid_idx, valid_acc, err);
    if (!rc) rc = evaluate(t, net, t->test_set, &t->test_idx, test_acc, err);
    ws_net_free(net);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return rc;
}
