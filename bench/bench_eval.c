/* bench_eval.c: speed of one-shot scoring (ws_oneshot_score): 200 uniformly
 * drawn architectures, 256 held-out images (wsnas eval's default is 1024,
 * about 4x these times), at the cpu preset's network (C=8, N=1, 16x16x1,
 * 10 classes; batch 256), BN in batch and running mode.  (The full NB201 search network, C=16 N=5 at 32x32, is far slower
 * on this 2-core machine and is not run here.) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wsnas/eval.h"
#include "wsnas/supernet.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench(const char *what, int C, int N, int ch, int side, int n_img, int n_arch)
{
    ws_net_config nc = {.C = C, .N = N, .in_channels = ch, .in_size = side, .classes = 10,
                        .max_batch = 256, .cell_bn_affine = 0, .cell_bn_track = 1,
                        .standalone = 0, .pc_k = 1};
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&nc, &err);
    ws_space *sp = ws_space_alloc();
    if (!net || !sp) {
        fprintf(stderr, "alloc failed: %s\n", err.msg);
        return 1;
    }
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 1, WS_STREAM_INIT);
    ws_net_init(net, &rng);
    size_t img = (size_t)ch * (size_t)side * (size_t)side;
    float *x = malloc((size_t)n_img * img * sizeof *x);
    int *y = malloc((size_t)n_img * sizeof *y);
    int *archs = malloc(WS_ARCH_COUNT * sizeof *archs);
    double *acc = malloc((size_t)n_arch * sizeof *acc);
    if (!x || !y || !archs || !acc) return 1;
    for (size_t i = 0; i < (size_t)n_img * img; i++) x[i] = (float)ws_pcg32_normal(&rng);
    for (int i = 0; i < n_img; i++) y[i] = (int)ws_pcg32_bounded(&rng, 10);
    int n = 0;
    if (ws_oneshot_sample(sp, WS_ONESHOT_UNIFORM, n_arch, 1, archs, &n, &err)) return 1;
    for (int mode = WS_BN_BATCH; mode <= WS_BN_RUNNING; mode++) {
        double t0 = now();
        if (ws_oneshot_score(net, sp, archs, n, x, y, n_img, 256, mode, NULL, NULL, 0, acc,
                             &err)) {
            fprintf(stderr, "score failed: %s\n", err.msg);
            return 1;
        }
        double dt = now() - t0;
        printf("  %-44s BN %-7s %6.2f s (%5.1f ms/arch, %6.0f img/s)\n", what,
               mode == WS_BN_BATCH ? "batch" : "running", dt, 1e3 * dt / n,
               (double)n * n_img / dt);
    }
    free(x);
    free(y);
    free(archs);
    free(acc);
    ws_space_free(sp);
    ws_net_free(net);
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("one-shot scoring of 200 architectures with shared weights (1 thread unless "
           "OMP_NUM_THREADS)\n");
    if (bench("cpu preset C=8 N=1 16x16x1, 256 images:", 8, 1, 1, 16, 256, 200)) return 1;
    return 0;
}
