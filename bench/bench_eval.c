/* bench_eval.c: speed of one-shot scoring (ws_oneshot_score, the
 * forward-only scorer of src/supernet/score.c).
 * Without arguments: 200 uniformly drawn architectures, 256 held-out images
 * (wsnas eval's default is 1024, about 4x these times), at the cpu preset's
 * network (C=8, N=1, 16x16x1, 10 classes; batch 256), BN in batch and
 * running mode, at the threads OMP_NUM_THREADS gives (1 if unset).
 * With --config: the issue-13 figure, scoring isomorphism classes of NB201
 * with a search's shared weights (BN in batch mode, 256 images in one batch,
 * the `wsnas eval --all-iso --images 256` work):
 *   bench_eval --config full|c16s16|c8s16|c4s16 [--archs K (64)] [--threads T (2)]
 *              [--list FILE]
 * scores K classes spread evenly over the 6,466 in product-rank order (K =
 * 6466: all of them) and prints seconds per class and the projected time for
 * all 6,466; --list writes the K architectures (six op digits, edge order,
 * one a line) for bench/torch_score.py, which scores them in PyTorch.
 * The line ends with a hash of the K accuracies' bits (old and new engines
 * give the same hash when they score alike).
 * Random weights and images: the time does not depend on their values.
 * Environment: BENCH_CPUTIME=1 times process CPU instead of wall clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "wsnas/eval.h"
#include "wsnas/nn.h"
#include "wsnas/supernet.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(getenv("BENCH_CPUTIME") ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bench_net {
    ws_net *net;
    float *x;
    int *y;
} bench_net;

static int bench_net_alloc(bench_net *b, int C, int N, int ch, int side, int n_img)
{
    ws_net_config nc = {.C = C, .N = N, .in_channels = ch, .in_size = side, .classes = 10,
                        .max_batch = 256, .cell_bn_affine = 0, .cell_bn_track = 1,
                        .standalone = 0, .pc_k = 1};
    ws_error err = {0};
    b->net = ws_net_alloc(&nc, &err);
    if (!b->net) {
        fprintf(stderr, "bench_eval: %s\n", err.msg);
        return 1;
    }
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 1, WS_STREAM_INIT);
    ws_net_init(b->net, &rng);
    size_t img = (size_t)ch * (size_t)side * (size_t)side;
    b->x = malloc((size_t)n_img * img * sizeof *b->x);
    b->y = malloc((size_t)n_img * sizeof *b->y);
    if (!b->x || !b->y) return 1;
    for (size_t i = 0; i < (size_t)n_img * img; i++) b->x[i] = (float)ws_pcg32_normal(&rng);
    for (int i = 0; i < n_img; i++) b->y[i] = (int)ws_pcg32_bounded(&rng, 10);
    return 0;
}

static void bench_net_free(bench_net *b)
{
    free(b->x);
    free(b->y);
    ws_net_free(b->net);
}

static int cpu_preset(void)
{
    printf("one-shot scoring of 200 architectures with shared weights (%d thread(s))\n",
           ws_nn_threads());
    const int n_img = 256, n_arch = 200;
    bench_net b;
    ws_space *sp = ws_space_alloc();
    if (!sp || bench_net_alloc(&b, 8, 1, 1, 16, n_img)) return 1;
    int *archs = malloc(WS_ARCH_COUNT * sizeof *archs);
    double *acc = malloc((size_t)n_arch * sizeof *acc);
    ws_error err = {0};
    int n = 0;
    if (!archs || !acc || ws_oneshot_sample(sp, WS_ONESHOT_UNIFORM, n_arch, 1, archs, &n, &err))
        return 1;
    for (int mode = WS_BN_BATCH; mode <= WS_BN_RUNNING; mode++) {
        double t0 = now();
        if (ws_oneshot_score(b.net, sp, archs, n, b.x, b.y, n_img, 256, mode, NULL, NULL, 0, acc,
                             &err)) {
            fprintf(stderr, "score failed: %s\n", err.msg);
            return 1;
        }
        double dt = now() - t0;
        printf("  %-44s BN %-7s %6.2f s (%5.1f ms/arch, %6.0f img/s)\n",
               "cpu preset C=8 N=1 16x16x1, 256 images:", mode == WS_BN_BATCH ? "batch" : "running",
               dt, 1e3 * dt / n, (double)n * n_img / dt);
    }
    free(archs);
    free(acc);
    ws_space_free(sp);
    bench_net_free(&b);
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The K classes: every (6466/K)-th in product-rank order (rank * 16384 + index). */
static int spread_classes(const ws_space *sp, int K, int *out)
{
    static int key[WS_ISO_CLASSES];
    int n = 0;
    for (int i = 0; i < WS_ARCH_COUNT; i++)
        if (ws_space_iso_class(sp, i) == i) {
            ws_arch a = ws_space_arch(sp, i);
            key[n++] = ws_arch_product_rank(&a) * 16384 + i;
        }
    qsort(key, (size_t)n, sizeof *key, cmp_int);
    if (K > n) K = n;
    for (int k = 0; k < K; k++) out[k] = key[(int)((long)k * n / K)] % 16384;
    return K;
}

static int iso_classes(const char *cfg, int K, const char *list)
{
    static const struct {
        const char *name;
        int C, N, S;
    } cf[] = {{"full", 16, 5, 32}, {"c16s16", 16, 5, 16}, {"c8s16", 8, 5, 16}, {"c4s16", 4, 5, 16}};
    int c = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(cfg, cf[i].name)) c = i;
    if (c < 0) {
        fprintf(stderr, "bench_eval: --config '%s': expected full, c16s16, c8s16 or c4s16\n", cfg);
        return 2;
    }
    const int n_img = 256;
    bench_net b;
    ws_space *sp = ws_space_alloc();
    static int archs[WS_ISO_CLASSES];
    static double acc[WS_ISO_CLASSES];
    if (!sp || bench_net_alloc(&b, cf[c].C, cf[c].N, 3, cf[c].S, n_img)) return 1;
    int n = spread_classes(sp, K, archs);
    if (list) {
        FILE *f = fopen(list, "w");
        if (!f) {
            fprintf(stderr, "bench_eval: %s: cannot write\n", list);
            return 1;
        }
        for (int i = 0; i < n; i++) {
            char d[WS_EDGES + 1];
            ws_arch a = ws_space_arch(sp, archs[i]);
            ws_arch_digits(&a, d);
            fprintf(f, "%s\n", d);
        }
        if (fclose(f) != 0) {
            fprintf(stderr, "bench_eval: %s: write failed\n", list);
            return 1;
        }
    }
    ws_error err = {0};
    double t0 = now();
    if (ws_oneshot_score(b.net, sp, archs, n, b.x, b.y, n_img, 256, WS_BN_BATCH, NULL, NULL, 0,
                         acc, &err)) {
        fprintf(stderr, "bench_eval: %s\n", err.msg);
        return 1;
    }
    double dt = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    unsigned long long h = 1469598103934665603ull; /* FNV-1a of the accuracies' bits */
    const unsigned char *u = (const unsigned char *)acc;
    for (size_t i = 0; i < (size_t)n * sizeof *acc; i++) h = (h ^ u[i]) * 1099511628211ull;
    printf("%-6s C=%d N=%d 3x%dx%d  scoring %d classes (256 images, BN batch) %.2f s  "
           "%.4f s per class  all 6466 classes %.1f min  peak RSS %.0f MB  accuracies %016llx\n",
           cf[c].name, cf[c].C, cf[c].N, cf[c].S, cf[c].S, n, dt, dt / n, dt / n * 6466 / 60,
           ru.ru_maxrss / 1024.0, h);
    bench_net_free(&b);
    ws_space_free(sp);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *cfg = NULL, *list = NULL;
    int K = 64, threads = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            cfg = argv[++i];
        else if (!strcmp(argv[i], "--archs") && i + 1 < argc)
            K = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--list") && i + 1 < argc)
            list = argv[++i];
        else {
            fprintf(stderr, "usage: bench_eval [--config full|c16s16|c8s16|c4s16 [--archs K] "
                            "[--threads T] [--list FILE]]\n");
            return 2;
        }
    }
    if (!cfg) {
        const char *e = getenv("OMP_NUM_THREADS");
        ws_nn_init(e ? atoi(e) : 1);
        return cpu_preset();
    }
    if (K < 1 || K > WS_ISO_CLASSES || threads < 1 || threads > 64) {
        fprintf(stderr, "bench_eval: --archs 1..6466, --threads 1..64\n");
        return 2;
    }
    ws_nn_init(threads);
    printf("one-shot scoring: %d threads, convolutions: %s\n", ws_nn_threads(), ws_nn_conv_name());
    return iso_classes(cfg, K, list);
}
