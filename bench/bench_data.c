/* bench_data.c: speed of the data module: whole-dataset load time
 * (Fashion-MNIST gz, CIFAR-10 binaries) and the cost of one augmented batch
 * of 64 (resize + flip + padded crop + normalise) at 16x16x1 and 32x32x3.
 * Usage: bench_data [cifar10_dir (default ../shared/cifar10)] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wsnas/data.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Best of `reps` loads, seconds; returns the last dataset in *keep. */
static double time_load(int which, const char *dir, ws_dataset **keep)
{
    double best = 1e30;
    *keep = NULL;
    for (int r = 0; r < 3; r++) {
        ws_dataset *d = NULL;
        ws_error err = {0};
        double t0 = now();
        int rc = which == 0 ? ws_dataset_load_fashion_mnist(NULL, 1, &d, &err)
                            : ws_dataset_load_cifar10(dir, 1, &d, &err);
        double t = now() - t0;
        if (rc) {
            printf("  load failed: %s\n", err.msg);
            return -1;
        }
        if (t < best) best = t;
        ws_dataset_free(*keep);
        *keep = d;
    }
    return best;
}

/* Mean microseconds per batch of 64 over `iters` ws_batcher_next calls. */
static double time_batches(const ws_dataset *d, int out_size, int iters)
{
    ws_error err = {0};
    ws_transform tf;
    if (ws_transform_default(d->name, out_size, 1, d, &tf, &err)) {
        printf("  %s\n", err.msg);
        return -1;
    }
    ws_batcher *b = ws_batcher_alloc(d, NULL, 64, &tf, 1, 1, &err);
    if (!b) {
        printf("  %s\n", err.msg);
        return -1;
    }
    size_t img = (size_t)d->channels * out_size * out_size;
    float *x = malloc(64 * img * sizeof *x);
    int y[64];
    double sink = 0;
    for (int i = 0; i < 50; i++) ws_batcher_next(b, x, y); /* warm-up */
    double t0 = now();
    for (int i = 0; i < iters; i++) {
        ws_batcher_next(b, x, y);
        sink += x[i % (64 * img)];
    }
    double us = (now() - t0) / iters * 1e6;
    if (sink == 12345.678) printf(" "); /* keep the work observable */
    free(x);
    ws_batcher_free(b);
    return us;
}

int main(int argc, char **argv)
{
    const char *cifar = argc > 1 ? argv[1] : "../shared/cifar10";
    ws_dataset *fm = NULL, *c10 = NULL;
    printf("data loading (best of 3)\n");
    double t = time_load(0, NULL, &fm);
    if (t >= 0) printf("  fashion-mnist train (60000x1x28x28, gz): %.3f s\n", t);
    t = time_load(1, cifar, &c10);
    if (t >= 0) printf("  cifar10 train (50000x3x32x32, 5 files): %.3f s\n", t);
    printf("augmented batch of 64 (ws_batcher_next: resize, flip, crop, normalise)\n");
    if (fm) {
        printf("  fashion-mnist 28 -> 16x16x1 (pad 2x2 mean, crop pad 2): %.1f us/batch\n",
               time_batches(fm, 16, 4000));
        printf("  fashion-mnist 28 -> 32x32x1 (zero pad, crop pad 4):    %.1f us/batch\n",
               time_batches(fm, 32, 4000));
    }
    if (c10) {
        printf("  cifar10 32x32x3 (crop pad 4):                          %.1f us/batch\n",
               time_batches(c10, 32, 2000));
        printf("  cifar10 32 -> 16x16x3 (2x2 mean, crop pad 2):          %.1f us/batch\n",
               time_batches(c10, 16, 2000));
    }
    ws_dataset_free(fm);
    ws_dataset_free(c10);
    return 0;
}
