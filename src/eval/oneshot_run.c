/* oneshot_run.c: `wsnas eval` end to end: rebuild a search run's supernet
 * from its manifest config and checkpoint, take its held-out images (the
 * search's valid split, as the search itself loaded it), score a sample of
 * architectures with the shared weights and compare with a table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "wsnas/config.h"
#include "wsnas/data.h"
#include "wsnas/eval.h"
#include "wsnas/search.h"
#include "wsnas/stats.h"
#include "wsnas/supernet.h"

/* The search driver's fixed seed for subsets of the splits (search.c). */

ws_oneshot_opts ws_oneshot_opts_default(void)
{
    return (ws_oneshot_opts){.bench = "cifar10-valid", .metric = "valid_acc_200",
                             .sample_mode = WS_ONESHOT_UNIFORM, .sample_size = 200, .seed = 1,
                             .images = 1024, .calib_images = 512, .bn_mode = WS_BN_BATCH,
                             .batch = 256};
}

/* The search's own data (the one data path of data.h, with the search
 * driver's choices: random halves, subsets with its fixed seed) and the
 * transform without augmentation. */
static int load_data(const ws_search_config *cfg, ws_dataset **d, ws_index_list *train,
                     ws_index_list *valid, ws_transform *tf, ws_error *err)
{
    ws_data_spec spec = ws_search_data_spec(cfg);
    ws_data data;
    int rc = ws_data_load(&spec, &data, err);
    if (rc) return rc;
    *d = data.train_set;
    *train = data.train;
    *valid = data.valid;
    return ws_transform_default((*d)->name, cfg->image_size, 0, *d, tf, err);
}

/* The first n images of `idx` (no augmentation) into x, y. */
static int fill_images(const ws_dataset *d, const ws_index_list *idx, const ws_transform *tf,
                       int n, int batch, float *x, int *y, size_t img, ws_error *err)
{
    ws_batcher *b = ws_batcher_alloc(d, idx, batch, tf, 0, 0, err);
    if (!b) return err->code ? err->code : WS_ENOMEM;
    for (int first = 0; first < n;) {
        int want = n - first < batch ? n - first : batch;
        int got = ws_batcher_fixed(b, first, want, x + (size_t)first * img, y + first);
        if (got <= 0) {
            ws_batcher_free(b);
            return ws_error_set(err, WS_ESTATE, "held-out images: batch at %d failed", first);
        }
        first += got;
    }
    ws_batcher_free(b);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ws_oneshot_eval_run(const ws_oneshot_opts *o, const ws_table *t, ws_oneshot_result *res,
                        ws_error *err)
{
    memset(res, 0, sizeof *res);
    char dir[4096], ckpt[4200];
    struct stat sb;
    if (stat(o->run, &sb) != 0)
        return ws_error_set(err, WS_EIO, "%s: %s", o->run, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        snprintf(dir, sizeof dir, "%s", o->run);
        snprintf(ckpt, sizeof ckpt, "%s/checkpoint.bin", o->run);
    } else {
        snprintf(ckpt, sizeof ckpt, "%s", o->run);
        snprintf(dir, sizeof dir, "%s", o->run);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
    }
    if (!ws_table_column(t, o->bench, o->metric))
        return ws_error_set(err, WS_ENOTFOUND, "the table has no column %s/%s", o->bench,
                            o->metric);
    if (o->images < 1 || o->batch < 1 || (o->bn_mode == WS_BN_RECALIBRATE && o->calib_images < 1))
        return ws_error_set(err, WS_ERANGE, "images, batch and calibration images must be >= 1");
    ws_search_config cfg;
    int rc = ws_search_load_config(dir, &cfg, err);
    if (rc) return rc;
    ws_search_config recorded = cfg; /* what the checkpoint must belong to */
    if (o->data_dir) snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", o->data_dir);
    snprintf(res->method, sizeof res->method, "%s", cfg.method);
    snprintf(res->dataset, sizeof res->dataset, "%s", cfg.dataset);
    res->seed = cfg.seed;
    ws_dataset *d = NULL;
    ws_index_list train = {0}, valid = {0};
    ws_transform tf;
    ws_net *net = NULL;
    ws_ckpt *ck = NULL;
    float *x = NULL, *cx = NULL;
    int *y = NULL, *cy = NULL, *archs = NULL;
    double *oneshot = NULL, *truth = NULL;
    if ((rc = load_data(&cfg, &d, &train, &valid, &tf, err))) goto out;
    int n_img = o->images < valid.n ? o->images : valid.n;
    int n_cal = o->bn_mode == WS_BN_RECALIBRATE ? (o->calib_images < train.n ? o->calib_images
                                                                            : train.n)
                                                : 0;
    res->images = n_img;
    res->calib_images = n_cal;
    ws_net_config nc = {.C = cfg.C, .N = cfg.N, .in_channels = d->channels,
                        .in_size = cfg.image_size, .classes = d->classes, .max_batch = o->batch,
                        .cell_bn_affine = 0, .cell_bn_track = cfg.cell_bn_track,
                        .standalone = 0, .pc_k = cfg.pc_k,
                        .pc_random = !strcmp(cfg.pc_sample, "random")};
    size_t img = (size_t)d->channels * (size_t)cfg.image_size * (size_t)cfg.image_size;
    x = malloc((size_t)n_img * img * sizeof *x);
    y = malloc((size_t)n_img * sizeof *y);
    cx = n_cal ? malloc((size_t)n_cal * img * sizeof *cx) : NULL;
    cy = n_cal ? malloc((size_t)n_cal * sizeof *cy) : NULL;
    archs = malloc(WS_ARCH_COUNT * sizeof *archs);
    oneshot = malloc(WS_ARCH_COUNT * sizeof *oneshot);
    truth = malloc(WS_ARCH_COUNT * sizeof *truth);
    if (!x || !y || (n_cal && (!cx || !cy)) || !archs || !oneshot || !truth) {
        rc = ws_error_set(err, WS_ENOMEM, "eval: out of memory");
        goto out;
    }
    if ((rc = fill_images(d, &valid, &tf, n_img, o->batch, x, y, img, err))) goto out;
    if (n_cal && (rc = fill_images(d, &train, &tf, n_cal, o->batch, cx, cy, img, err))) goto out;
    net = ws_net_alloc(&nc, err);
    ck = ws_ckpt_alloc();
    if (!net || !ck) {
        rc = net ? ws_error_set(err, WS_ENOMEM, "eval: out of memory") : err->code;
        goto out;
    }
    if ((rc = ws_ckpt_read(ck, ckpt, err)) ||
        (rc = ws_search_ckpt_verify(ck, ckpt, &recorded, err)))
        goto out;
    if ((rc = ws_net_load(net, ck, err))) {
        ws_error_prefix(err, "%s", ckpt);
        goto out;
    }
    const ws_space *sp = ws_table_space(t);
    int n = 0;
    if (o->sample_mode == WS_ONESHOT_FILLED) {
        const uint8_t *mask = ws_table_filled(t, o->bench);
        if (!mask) {
            rc = ws_error_set(err, WS_ENOTFOUND, "eval: the table has no benchmark '%s'", o->bench);
            goto out;
        }
        rc = ws_oneshot_sample_filled(mask, o->sample_size, o->seed, archs, &n, err);
    } else {
        rc = ws_oneshot_sample(sp, o->sample_mode, o->sample_size, o->seed, archs, &n, err);
    }
    if (rc) goto out;
    if ((rc = ws_oneshot_truth(t, o->bench, o->metric, archs, n, o->iso_mean, truth, err)))
        goto out;
    double t0 = now_s();
    if ((rc = ws_oneshot_score(net, sp, archs, n, x, y, n_img, o->batch, o->bn_mode, cx, cy,
                               n_cal, oneshot, err)))
        goto out;
    res->seconds = now_s() - t0;
    if ((rc = ws_oneshot_compare(oneshot, truth, (size_t)n, &res->stats, err))) goto out;
    char pairs[4300];
    if (o->out_pairs)
        snprintf(pairs, sizeof pairs, "%s", o->out_pairs);
    else
        snprintf(pairs, sizeof pairs, "%s/eval_pairs.csv", dir);
    char truth_name[2 * WS_TABLE_NAME_MAX + 2];
    snprintf(truth_name, sizeof truth_name, "%s/%s", o->bench, o->metric);
    rc = ws_oneshot_write_pairs(pairs, sp, archs, oneshot, truth, (size_t)n, truth_name, err);
out:
    ws_ckpt_free(ck);
    ws_net_free(net);
    free(x);
    free(y);
    free(cx);
    free(cy);
    free(archs);
    free(oneshot);
    free(truth);
    ws_index_list_free(&train);
    ws_index_list_free(&valid);
    ws_dataset_free(d);
    return rc;
}
