/* bench_engine.c: speed of the CPU engine (src/supernet/) on the NB201
 * supernet: median seconds per weight step (zero grad, forward, backward,
 * clip 5, Nesterov SGD) and per first-order DARTS iteration (that weight
 * step, then an architecture step on another batch: softmax(alpha) mix,
 * forward, backward to the mix, chain rule to alpha, Adam), images/s,
 * achieved GFLOP/s (3 x forward multiply-adds x 2 x batch per weight step),
 * peak RSS and the GEMM kernel.  Configurations (methods.md 1.1 / issue 3):
 *   full:  C=16 N=5 batch 64 3x32x32, 10 classes
 *   small: C=8  N=1 batch 64 1x16x16, 10 classes
 * Usage: bench_engine [--threads T (0 = all)] [--steps S (20)] [--config full|small|both]
 *        [--pc]   (--pc: PC-DARTS partial channels, K = 4, the code's form)
 * bench/torch_engine.py runs the same network in PyTorch for comparison. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "wsnas/nn.h"
#include "wsnas/supernet.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void softmax_rows(const float *alpha, ws_mix *mix)
{
    for (int e = 0; e < WS_EDGES; e++) {
        double mx = -1e30, s = 0.0;
        for (int o = 0; o < WS_OP_COUNT; o++) mx = fmax(mx, alpha[e * WS_OP_COUNT + o]);
        for (int o = 0; o < WS_OP_COUNT; o++) s += exp(alpha[e * WS_OP_COUNT + o] - mx);
        for (int o = 0; o < WS_OP_COUNT; o++)
            mix->w[e][o] = (float)(exp(alpha[e * WS_OP_COUNT + o] - mx) / s);
    }
}

static int run(const char *name, int C, int N, int Cin, int S, int steps, int pc_k)
{
    const int B = 64, K = 10;
    ws_net_config cfg = {.C = C, .N = N, .in_channels = Cin, .in_size = S, .classes = K,
                         .max_batch = B, .cell_bn_affine = 0, .cell_bn_track = 0, .pc_k = pc_k};
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&cfg, &err);
    if (!net) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        return 1;
    }
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 1, WS_STREAM_INIT);
    ws_net_init(net, &rng);
    size_t n = (size_t)B * Cin * S * S;
    float *x = malloc(n * sizeof *x), *xv = malloc(n * sizeof *xv);
    int y[64], yv[64];
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)ws_pcg32_normal(&rng);
        xv[i] = (float)ws_pcg32_normal(&rng);
    }
    for (int b = 0; b < B; b++) {
        y[b] = (int)ws_pcg32_bounded(&rng, K);
        yv[b] = (int)ws_pcg32_bounded(&rng, K);
    }
    float alpha[30], am[30] = {0}, av[30] = {0}, ga[30];
    for (int i = 0; i < 30; i++) alpha[i] = (float)(1e-3 * ws_pcg32_normal(&rng));
    ws_mix mix;
    ws_mix_init(&mix, WS_MIX_FULL);
    ws_sgd sgd = {.lr = 0.025f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = 1};
    ws_adam adam = {.lr = 3e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .eps = 1e-8f,
                    .weight_decay = 1e-3f};
    ws_mix_grad dm;
    double *tw = malloc((size_t)steps * sizeof *tw), *td = malloc((size_t)steps * sizeof *td);
    for (int it = -2; it < steps; it++) { /* two warm-up iterations */
        double t0 = now();
        softmax_rows(alpha, &mix);
        ws_net_zero_grad(net);
        ws_net_forward(net, x, y, B, &mix, 1, NULL);
        ws_net_backward(net, NULL); /* the weight step needs no dL/dmix */
        ws_net_clip_grad_norm(net, 5.0, NULL, 0);
        ws_net_sgd_step(net, &sgd);
        double t1 = now();
        /* architecture step (first order) on the other batch */
        softmax_rows(alpha, &mix);
        ws_net_forward(net, xv, yv, B, &mix, 1, NULL);
        ws_net_backward_arch(net, &dm); /* dL/dmix only, as the search does */
        for (int e = 0; e < WS_EDGES; e++) { /* d softmax */
            double dot = 0.0;
            for (int o = 0; o < WS_OP_COUNT; o++) dot += (double)dm.dw[e][o] * mix.w[e][o];
            for (int o = 0; o < WS_OP_COUNT; o++)
                ga[e * WS_OP_COUNT + o] = (float)(mix.w[e][o] * (dm.dw[e][o] - dot));
        }
        ws_adam_step(&adam, alpha, ga, am, av, 30);
        double t2 = now();
        if (it >= 0) {
            tw[it] = t1 - t0;
            td[it] = t2 - t0;
        }
    }
    ws_macro m = {.C = C, .N = N, .in_channels = Cin, .in_size = S, .classes = K};
    double flops = 3.0 * (double)ws_arch_flops(NULL, &m) * 2.0 * B;
    double mw = median(tw, steps), md = median(td, steps);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char gf[32] = "-"; /* partial channels: fewer flops than the formula counts */
    if (pc_k == 1) snprintf(gf, sizeof gf, "%.1f", flops / mw * 1e-9);
    printf("%-5s C=%d N=%d B=%d %dx%dx%d%s  weight step %.4f s  (%.0f img/s, %s GFLOP/s)  "
           "DARTS-1st iteration %.4f s  peak RSS %.0f MB\n",
           name, C, N, B, Cin, S, S, pc_k > 1 ? " PC K=4" : "", mw, B / mw, gf, md,
           ru.ru_maxrss / 1024.0);
    fflush(stdout);
    free(tw);
    free(td);
    free(x);
    free(xv);
    ws_net_free(net);
    return 0;
}

int main(int argc, char **argv)
{
    int threads = 0, steps = 20, pc_k = 1;
    const char *which = "both";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            which = argv[++i];
        else if (!strcmp(argv[i], "--pc"))
            pc_k = 4;
        else {
            fprintf(stderr, "usage: bench_engine [--threads T] [--steps S] [--config "
                            "full|small|both] [--pc]\n");
            return 2;
        }
    }
    if (steps < 1 || steps > 100000) {
        fprintf(stderr, "bench_engine: --steps %d, expected 1..100000\n", steps);
        return 2;
    }
    if (strcmp(which, "full") && strcmp(which, "small") && strcmp(which, "both")) {
        fprintf(stderr, "bench_engine: --config '%s', expected full, small or both\n", which);
        return 2;
    }
    ws_nn_init(threads);
    printf("engine: %d threads, GEMM %s, median of %d steps\n", ws_nn_threads(),
           ws_nn_gemm_name(), steps);
    printf("convolutions: %s\n", ws_nn_conv_name());
    fflush(stdout);
    int rc = 0;
    if (strcmp(which, "full")) rc |= run("small", 8, 1, 1, 16, steps, pc_k);
    if (strcmp(which, "small")) rc |= run("full", 16, 5, 3, 32, steps, pc_k);
    return rc;
}
