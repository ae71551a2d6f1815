/* bench_nn.c: speed of the numeric kernels at NB201's search configuration
 * (C=16, 32x32, batch 64, channel-major), median milliseconds per call over
 * repeated runs, and the GEMM throughput (GFLOP/s) of the route in use, with
 * the kernel name (e.g. "BLIS 0.9.0 skx").  Compare BLIS kernels by running
 * with BLIS_ARCH_TYPE=3 (haswell) or 0 (skx).
 * Usage: bench_nn [threads (default: all cores)] [reps (default 15)]
 * Environment: BENCH_CPUTIME=1 times process CPU instead of wall clock (for
 * one thread on a loaded machine); BENCH_NO_DIRECT=1 sends every convolution
 * through im2col + GEMM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wsnas/nn.h"

/* Wall time; process CPU time with BENCH_CPUTIME=1 (comparing kernel
 * versions on a loaded machine, one thread). */
static clockid_t g_clock = CLOCK_MONOTONIC;
static double now(void)
{
    struct timespec t;
    clock_gettime(g_clock, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int g_reps = 15;
static double g_t[256];
/* out = median ms of `stmt` over g_reps runs after one warm-up run. */
#define TIME_MS(out, stmt)                                              \
    do {                                                                \
        stmt;                                                           \
        for (int r_ = 0; r_ < g_reps; r_++) {                           \
            double t0_ = now();                                         \
            stmt;                                                       \
            g_t[r_] = 1e3 * (now() - t0_);                              \
        }                                                               \
        qsort(g_t, (size_t)g_reps, sizeof(double), cmp_d);              \
        (out) = g_t[g_reps / 2];                                        \
    } while (0)

static float *rnd(size_t n, unsigned seed)
{
    float *x = malloc(n * sizeof(float));
    if (!x) {
        fprintf(stderr, "bench_nn: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((seed >> 8) * (1.0 / 16777216.0) - 0.5);
    }
    return x;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 0;
    const char *ct = getenv("BENCH_CPUTIME");
    if (ct && ct[0] == '1') g_clock = CLOCK_PROCESS_CPUTIME_ID;
    const char *nd = getenv("BENCH_NO_DIRECT"); /* 1: im2col + GEMM for every conv */
    if (nd && nd[0] == '1') ws_nn_set_direct(0);
    if (argc > 2) g_reps = atoi(argv[2]);
    if (g_reps < 1 || g_reps > 256) g_reps = 15;
    ws_nn_init(threads);
    printf("nn kernels: GEMM %s, %d thread(s), median of %d (%s)\n", ws_nn_gemm_name(),
           ws_nn_threads(), g_reps, g_clock == CLOCK_MONOTONIC ? "wall ms" : "CPU ms");
    printf("convolutions: %s\n", ws_nn_conv_name());

    /* GEMM throughput: square and the conv3 shape (Cout x N*H*W x Cin*9) */
    const int gs[][3] = {{1024, 1024, 1024}, {16, 65536, 144}, {144, 65536, 16}, {16, 144, 65536}};
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
        int M = gs[i][0], N = gs[i][1], K = gs[i][2];
        float *A = rnd((size_t)M * K, 1), *B = rnd((size_t)K * N, 2), *C = rnd((size_t)M * N, 3);
        double ms;
        TIME_MS(ms, ws_sgemm(0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N));
        printf("  sgemm %5dx%5dx%5d        %8.3f ms  %6.1f GFLOP/s\n", M, N, K, ms,
               2.0 * M * N * K / (ms * 1e6));
        free(A), free(B), free(C);
    }

    const int C = 16, N = 64, H = 32, W = 32, M = N * H * W;
    size_t n = (size_t)C * M;
    float *x = rnd(n, 4), *y = rnd(n, 5), *dy = rnd(n, 6), *dx = rnd(n, 7), *xh = rnd(n, 8);
    float *w3 = rnd(16 * 16 * 9, 9), *w1 = rnd(16 * 16, 10), *dw = rnd(32 * 16 * 9, 11);
    float *w3r = rnd(32 * 16 * 9, 12), *y2 = rnd(n * 2, 13);
    float *g = rnd(C, 14), *b = rnd(C, 15), *mean = rnd(C, 16), *rstd = rnd(C, 17);
    float *rm = rnd(C, 18), *rv = rnd(C, 19), *dg = rnd(C, 20), *db = rnd(C, 21);
    for (int c = 0; c < C; c++) rv[c] = 1.0f;
    size_t ws3 = ws_conv2d_work_size(N, C, H, W, C, 3, 1, 1);
    size_t ws1 = ws_conv2d_work_size(N, C, H, W, C, 1, 1, 0);
    size_t wsr = ws_conv2d_work_size(N, C, H, W, 32, 3, 2, 1);
    size_t wsz = ws3 > ws1 ? ws3 : ws1;
    if (wsr > wsz) wsz = wsr;
    float *work = rnd(wsz ? wsz : 1, 22);
    printf("kernels at C=%d N=%d %dx%d (work %.1f MB)\n", C, N, H, W, wsz * 4.0 / 1e6);
#define ROW(name, stmt)                          \
    do {                                         \
        double ms_;                              \
        TIME_MS(ms_, stmt);                      \
        printf("  %-34s %8.3f ms\n", name, ms_); \
    } while (0)
    double f3, b3;
    TIME_MS(f3, ws_conv2d_forward(y, x, w3, N, C, H, W, C, 3, 1, 1, work));
    printf("  %-34s %8.3f ms  %6.1f GFLOP/s\n", "conv3x3 s1 forward", f3, 2.0 * M * C * C * 9 / (f3 * 1e6));
    TIME_MS(b3, ws_conv2d_backward(dx, dw, dy, x, w3, N, C, H, W, C, 3, 1, 1, work));
    printf("  %-34s %8.3f ms  %6.1f GFLOP/s\n", "conv3x3 s1 backward (dinp+dw)", b3, 4.0 * M * C * C * 9 / (b3 * 1e6));
    ROW("conv3x3 s1 backward dinp only", ws_conv2d_backward(dx, NULL, dy, x, w3, N, C, H, W, C, 3, 1, 1, work));
    ROW("conv3x3 s1 backward dweight only", ws_conv2d_backward(NULL, dw, dy, x, w3, N, C, H, W, C, 3, 1, 1, work));
    ws_nn_set_winograd(0);
    ROW("  dweight only, direct (no Winograd)", ws_conv2d_backward(NULL, dw, dy, x, w3, N, C, H, W, C, 3, 1, 1, work));
    ws_nn_set_winograd(1);
    ROW("conv1x1 forward", ws_conv2d_forward(y, x, w1, N, C, H, W, C, 1, 1, 0, work));
    ROW("conv1x1 backward (dinp+dw)", ws_conv2d_backward(dx, dw, dy, x, w1, N, C, H, W, C, 1, 1, 0, work));
    /* the ReLU before a convolution folded into its backward, against the
     * two steps it replaces (conv backward into a buffer, ReLU backward) */
    ROW("conv1x1 + relu backward, 2 steps", (memset(y, 0, n * sizeof *y),
        ws_conv2d_backward(y, dw, dy, x, w1, N, C, H, W, C, 1, 1, 0, work), ws_relu_backward(dx, y, x, n)));
    if (ws_conv2d_relu_fused_ok(C, H, W, C, 1, 1, 0)) /* the fused rows need the direct kernels */
        ROW("conv1x1 relu-fused backward", ws_conv2d_relu_backward(dx, dw, dy, x, w1, N, C, H, W, C, 1, 1, 0, work));
    ROW("conv3x3 + relu backward, 2 steps", (memset(y, 0, n * sizeof *y),
        ws_conv2d_backward(y, dw, dy, x, w3, N, C, H, W, C, 3, 1, 1, work), ws_relu_backward(dx, y, x, n)));
    if (ws_conv2d_relu_fused_ok(C, H, W, C, 3, 1, 1))
        ROW("conv3x3 relu-fused backward", ws_conv2d_relu_backward(dx, dw, dy, x, w3, N, C, H, W, C, 3, 1, 1, work));
    ROW("conv3x3 s2 16->32 forward", ws_conv2d_forward(y2, x, w3r, N, C, H, W, 32, 3, 2, 1, work));
    ROW("conv3x3 s2 16->32 backward", ws_conv2d_backward(dx, dw, y2, x, w3r, N, C, H, W, 32, 3, 2, 1, work));
    {
        float *img = rnd((size_t)3 * M, 30), *ws = rnd(16 * 3 * 9, 31);
        size_t wst = ws_conv2d_work_size(N, 3, H, W, C, 3, 1, 1);
        float *wk = rnd(wst, 32);
        ROW("stem conv3x3 3->16 forward", ws_conv2d_forward(y, img, ws, N, 3, H, W, C, 3, 1, 1, wk));
        ROW("stem conv3x3 3->16 backward (dw)", ws_conv2d_backward(NULL, dw, dy, img, ws, N, 3, H, W, C, 3, 1, 1, wk));
        free(img), free(ws), free(wk);
    }
    ROW("batchnorm train forward", ws_batchnorm_forward_train(y, xh, mean, rstd, x, g, b, rm, rv, 0.1f, 1e-5f, C, M));
    ROW("batchnorm backward", ws_batchnorm_backward(dx, dg, db, dy, xh, rstd, g, C, M));
    ROW("batchnorm eval forward", ws_batchnorm_forward_eval(y, x, g, b, rm, rv, 1e-5f, C, M));
    ROW("relu forward", ws_relu_forward(y, x, n));
    ROW("relu backward", ws_relu_backward(dx, dy, x, n));
    ROW("avgpool3 forward", ws_avgpool3_forward(y, x, C, N, H, W));
    ROW("avgpool3 backward", ws_avgpool3_backward(dx, dy, C, N, H, W));
    ROW("avgpool2 forward", ws_avgpool2_forward(y, x, C, N, H, W));
    ROW("avgpool2 backward", ws_avgpool2_backward(dx, dy, C, N, H, W));
    ROW("global avg pool forward", ws_gap_forward(y, x, C, N, H, W));
    ROW("global avg pool backward", ws_gap_backward(dx, dy, C, N, H, W));
    {
        float *lw = rnd(10 * 64, 23), *lb = rnd(10, 24), *lo = rnd(64 * 10, 25), *p = rnd(640, 26);
        float *dlw = rnd(640, 27), *dlb = rnd(10, 28), *din = rnd(64 * 64, 29);
        int lab[64];
        for (int i = 0; i < 64; i++) lab[i] = i % 10;
        ROW("linear 64->10 forward (N=64)", ws_linear_forward(lo, x, lw, lb, 64, 64, 10));
        ROW("linear backward", ws_linear_backward(din, dlw, dlb, lo, x, lw, 64, 64, 10));
        ROW("cross-entropy forward+backward", (ws_crossentropy_forward(p, lo, lab, 64, 10, NULL),
                                               ws_crossentropy_backward(dlw, p, lab, 64, 10, 1.0f)));
        free(lw), free(lb), free(lo), free(p), free(dlw), free(dlb), free(din);
    }
    /* NB201's later stages: the same bytes per tensor, 2x and 4x the channels */
    for (int st = 1; st <= 2; st++) {
        int Cs = C << st, Hs = H >> st;
        float *wst3 = rnd((size_t)Cs * Cs * 9, 40), *dws = rnd((size_t)Cs * Cs * 9, 41);
        float *wk = rnd(ws_conv2d_work_size(N, Cs, Hs, Hs, Cs, 3, 1, 1), 42);
        char nm[64];
        snprintf(nm, sizeof nm, "conv3x3 s1 C%d %dx%d forward", Cs, Hs, Hs);
        ROW(nm, ws_conv2d_forward(y, x, wst3, N, Cs, Hs, Hs, Cs, 3, 1, 1, wk));
        snprintf(nm, sizeof nm, "conv3x3 s1 C%d %dx%d backward", Cs, Hs, Hs);
        ROW(nm, ws_conv2d_backward(dx, dws, dy, x, wst3, N, Cs, Hs, Hs, Cs, 3, 1, 1, wk));
        snprintf(nm, sizeof nm, "conv3x3 s1 C%d %dx%d dweight only", Cs, Hs, Hs);
        ROW(nm, ws_conv2d_backward(NULL, dws, dy, x, wst3, N, Cs, Hs, Hs, Cs, 3, 1, 1, wk));
        ws_nn_set_winograd(0);
        ROW("  dweight only, direct (no Winograd)", ws_conv2d_backward(NULL, dws, dy, x, wst3, N, Cs, Hs, Hs, Cs, 3, 1, 1, wk));
        ws_nn_set_winograd(1);
        snprintf(nm, sizeof nm, "conv1x1 C%d %dx%d forward", Cs, Hs, Hs);
        ROW(nm, ws_conv2d_forward(y, x, wst3, N, Cs, Hs, Hs, Cs, 1, 1, 0, wk));
        snprintf(nm, sizeof nm, "conv1x1 C%d %dx%d backward", Cs, Hs, Hs);
        ROW(nm, ws_conv2d_backward(dx, dws, dy, x, wst3, N, Cs, Hs, Hs, Cs, 1, 1, 0, wk));
        snprintf(nm, sizeof nm, "conv1x1 C%d %dx%d dweight only", Cs, Hs, Hs);
        ROW(nm, ws_conv2d_backward(NULL, dws, dy, x, wst3, N, Cs, Hs, Hs, Cs, 1, 1, 0, wk));
        free(wst3), free(dws), free(wk);
    }
    /* PC-DARTS partial channels: the cell convs on C/4 and C/2 channels */
    for (int k = 4; k >= 2; k /= 2)
        for (int st = 0; st <= 2; st++) {
            int Cs = (C << st) / k, Hs = H >> st;
            float *wst3 = rnd((size_t)Cs * Cs * 9, 43), *dws = rnd((size_t)Cs * Cs * 9, 44);
            float *wk = rnd(ws_conv2d_work_size(N, Cs, Hs, Hs, Cs, 3, 1, 1), 45);
            char nm[64];
            snprintf(nm, sizeof nm, "pc C/%d conv3x3 C%d %dx%d fwd", k, Cs, Hs, Hs);
            ROW(nm, ws_conv2d_forward(y, x, wst3, N, Cs, Hs, Hs, Cs, 3, 1, 1, wk));
            snprintf(nm, sizeof nm, "pc C/%d conv3x3 C%d %dx%d bwd", k, Cs, Hs, Hs);
            ROW(nm, ws_conv2d_backward(dx, dws, dy, x, wst3, N, Cs, Hs, Hs, Cs, 3, 1, 1, wk));
            snprintf(nm, sizeof nm, "pc C/%d conv1x1 C%d %dx%d fwd", k, Cs, Hs, Hs);
            ROW(nm, ws_conv2d_forward(y, x, wst3, N, Cs, Hs, Hs, Cs, 1, 1, 0, wk));
            snprintf(nm, sizeof nm, "pc C/%d conv1x1 C%d %dx%d bwd", k, Cs, Hs, Hs);
            ROW(nm, ws_conv2d_backward(dx, dws, dy, x, wst3, N, Cs, Hs, Hs, Cs, 1, 1, 0, wk));
            free(wst3), free(dws), free(wk);
        }
    free(x), free(y), free(dy), free(dx), free(xh), free(w3), free(w1), free(dw), free(w3r), free(y2);
    free(g), free(b), free(mean), free(rstd), free(rm), free(rv), free(dg), free(db), free(work);
    return 0;
}
