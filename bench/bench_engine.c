/* bench_engine.c: speed of the CPU engine (src/supernet/) on the NB201
 * supernet, per configuration:
 *   weight step          zero grad, forward, backward, clip 5, Nesterov SGD
 *                        with the FULL softmax(alpha) mix (DARTS, GAEA-DARTS)
 *   DARTS-1st iteration  that weight step, then an architecture step on
 *                        another batch: forward, ws_net_backward_arch (dL/dmix
 *                        only), softmax chain rule to alpha, Adam
 *   GDAS iteration       a single-path weight step with GDAS's hard
 *                        straight-through weights (WS_MIX_HARD_ST: one op per
 *                        edge, h one-hot), then a single-path architecture
 *                        step with a new sample (forward, backward to h,
 *                        chain rule through softmax(alpha / tau), Adam)
 *   RS-WS step           a single-path weight step (WS_MIX_SINGLE) on a
 *                        uniform random architecture (none included)
 * The weight step and the DARTS iteration are medians over the steps; the
 * single-path rows are the mean over a fixed sequence of sampled ops
 * (PCG32, seed BENCH_SEQ_SEED, stream 0 for GDAS, 1 for RS-WS: 6 draws of
 * bounded(5) per sample, edge order), the same sequence bench/torch_engine.py
 * draws, because their cost depends on the ops drawn.  Also images/s,
 * GFLOP/s of the weight step (3 x forward multiply-adds x 2 x batch), peak
 * RSS and the kernels.  Configurations (methods.md 1.1, issues 3 and 13):
 *   full:   C=16 N=5 batch 64 3x32x32, 10 classes (NB201 CIFAR-10)
 *   c16s16: C=16 N=5 3x16x16   c8s16: C=8 N=5 3x16x16   c4s16: C=4 N=5 3x16x16
 *           (the NB201 campaign's cheaper rungs: CIFAR-10 downsampled)
 *   small:  C=8  N=1 batch 64 1x16x16 (the cpu preset, Fashion-MNIST)
 * Usage: bench_engine [--threads T (0 = all)] [--steps S (20)]
 *        [--config all|both|NAME[,NAME...]] [--pc]
 *   both = small,full; --pc: PC-DARTS partial channels, K = 4 (the code's
 *   form; weight step and DARTS iteration only).
 * Environment: BENCH_CPUTIME=1 times process CPU instead of wall clock.
 * bench/torch_engine.py runs the same networks in PyTorch for comparison. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "wsnas/nn.h"
#include "wsnas/supernet.h"

#define BENCH_B 64
#define BENCH_K 10
#define BENCH_SEQ_SEED 13u
#define BENCH_GDAS_TAU 10.0f /* GDAS's tau at the start of the search */

typedef struct bench_config {
    const char *name;
    int C, N, Cin, S;
} bench_config;

static const bench_config g_configs[] = {
    {"small", 8, 1, 1, 16},  {"c4s16", 4, 5, 3, 16}, {"c8s16", 8, 5, 3, 16},
    {"c16s16", 16, 5, 3, 16}, {"full", 16, 5, 3, 32},
};
#define N_CONFIGS ((int)(sizeof g_configs / sizeof g_configs[0]))

/* Wall time; process CPU time with BENCH_CPUTIME=1 (before/after comparisons
 * at one thread on a loaded machine). */
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
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double mean(const double *v, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++) s += v[i];
    return s / n;
}

/* w[e][.] = softmax(alpha[e][.] / tau) */
static void softmax_rows(const float *alpha, float tau, float w[WS_EDGES][WS_OP_COUNT])
{
    for (int e = 0; e < WS_EDGES; e++) {
        double mx = -1e30, s = 0.0;
        const float *a = alpha + e * WS_OP_COUNT;
        for (int o = 0; o < WS_OP_COUNT; o++) mx = fmax(mx, a[o] / tau);
        for (int o = 0; o < WS_OP_COUNT; o++) s += exp(a[o] / tau - mx);
        for (int o = 0; o < WS_OP_COUNT; o++) w[e][o] = (float)(exp(a[o] / tau - mx) / s);
    }
}

/* ga = d/dalpha of the loss through w = softmax(alpha / tau), given dL/dw */
static void softmax_rows_backward(float w[WS_EDGES][WS_OP_COUNT], float tau,
                                  const ws_mix_grad *dm, float *ga)
{
    for (int e = 0; e < WS_EDGES; e++) {
        double dot = 0.0;
        for (int o = 0; o < WS_OP_COUNT; o++) dot += (double)dm->dw[e][o] * w[e][o];
        for (int o = 0; o < WS_OP_COUNT; o++)
            ga[e * WS_OP_COUNT + o] = (float)(w[e][o] * (dm->dw[e][o] - dot) / tau);
    }
}

typedef struct bench {
    ws_net *net;
    float *x, *xv;
    int y[BENCH_B], yv[BENCH_B];
    float alpha[WS_EDGES * WS_OP_COUNT], am[WS_EDGES * WS_OP_COUNT], av[WS_EDGES * WS_OP_COUNT];
    ws_sgd sgd;
    ws_adam adam;
    ws_pcg32 seq_gdas, seq_rsws;
} bench;

static void weight_step(bench *b, const ws_mix *mix)
{
    ws_net_zero_grad(b->net);
    ws_net_forward(b->net, b->x, b->y, BENCH_B, mix, 1, NULL);
    ws_net_backward(b->net, NULL); /* the weight step needs no dL/dmix */
    ws_net_clip_grad_norm(b->net, 5.0, NULL, 0);
    ws_net_sgd_step(b->net, &b->sgd);
}

/* Architecture step on the other batch: w = softmax(alpha / tau) are the
 * mixing weights (FULL) or the soft part of h (HARD_ST: mix->w is h). */
static void arch_step(bench *b, const ws_mix *mix, float w[WS_EDGES][WS_OP_COUNT],
                      float tau)
{
    ws_mix_grad dm;
    float ga[WS_EDGES * WS_OP_COUNT];
    ws_net_forward(b->net, b->xv, b->yv, BENCH_B, mix, 1, NULL);
    ws_net_backward_arch(b->net, &dm);
    softmax_rows_backward(w, tau, &dm, ga);
    ws_adam_step(&b->adam, b->alpha, ga, b->am, b->av, WS_EDGES * WS_OP_COUNT);
}

/* One sampled single-path architecture: 6 draws of bounded(5). */
static void draw_sel(ws_pcg32 *r, uint8_t sel[WS_EDGES])
{
    for (int e = 0; e < WS_EDGES; e++) sel[e] = (uint8_t)ws_pcg32_bounded(r, WS_OP_COUNT);
}

/* HARD_ST mix for GDAS: sel drawn, h = one-hot(sel) (the straight-through
 * weights' values), w = softmax(alpha / tau) for the chain rule. */
static void gdas_mix(bench *b, ws_mix *mix, float w[WS_EDGES][WS_OP_COUNT])
{
    ws_mix_init(mix, WS_MIX_HARD_ST);
    draw_sel(&b->seq_gdas, mix->sel);
    softmax_rows(b->alpha, BENCH_GDAS_TAU, w);
    for (int e = 0; e < WS_EDGES; e++)
        for (int o = 0; o < WS_OP_COUNT; o++) mix->w[e][o] = o == mix->sel[e] ? 1.0f : 0.0f;
}

typedef struct bench_times {
    double weight, darts, gdas, rsws, rss_mb;
} bench_times;

/* Two warm-up iterations, then `steps` timed ones of each kind. */
static void bench_time(bench *b, int steps, int single_path, double *tw, double *td,
                       double *tg, double *tr)
{
    ws_mix mix;
    float w[WS_EDGES][WS_OP_COUNT];
    for (int it = -2; it < steps; it++) {
        double t0 = now();
        ws_mix_init(&mix, WS_MIX_FULL);
        softmax_rows(b->alpha, 1.0f, mix.w);
        weight_step(b, &mix);
        double t1 = now();
        softmax_rows(b->alpha, 1.0f, w);
        memcpy(mix.w, w, sizeof w);
        arch_step(b, &mix, w, 1.0f);
        double t2 = now();
        if (it >= 0) tw[it] = t1 - t0, td[it] = t2 - t0;
    }
    if (!single_path) return;
    for (int it = -2; it < steps; it++) {
        double t0 = now();
        gdas_mix(b, &mix, w);
        weight_step(b, &mix);
        gdas_mix(b, &mix, w);
        arch_step(b, &mix, w, BENCH_GDAS_TAU);
        double t1 = now();
        ws_mix_init(&mix, WS_MIX_SINGLE);
        draw_sel(&b->seq_rsws, mix.sel);
        weight_step(b, &mix);
        double t2 = now();
        if (it >= 0) tg[it] = t1 - t0, tr[it] = t2 - t1;
    }
}

static int run(const bench_config *bc, int steps, int pc_k)
{
    const int B = BENCH_B, K = BENCH_K, C = bc->C, N = bc->N, Cin = bc->Cin, S = bc->S;
    ws_net_config cfg = {.C = C, .N = N, .in_channels = Cin, .in_size = S, .classes = K,
                         .max_batch = B, .cell_bn_affine = 0, .cell_bn_track = 0, .pc_k = pc_k};
    ws_error err = {0};
    bench b = {.sgd = {.lr = 0.025f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = 1},
               .adam = {.lr = 3e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .eps = 1e-8f,
                        .weight_decay = 1e-3f}};
    b.net = ws_net_alloc(&cfg, &err);
    if (!b.net) {
        fprintf(stderr, "bench_engine: %s\n", err.msg);
        return 1;
    }
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 1, WS_STREAM_INIT);
    ws_net_init(b.net, &rng);
    size_t n = (size_t)B * Cin * S * S;
    b.x = malloc(n * sizeof *b.x), b.xv = malloc(n * sizeof *b.xv);
    double *t = malloc((size_t)4 * steps * sizeof *t);
    if (!b.x || !b.xv || !t) {
        fprintf(stderr, "bench_engine: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        b.x[i] = (float)ws_pcg32_normal(&rng);
        b.xv[i] = (float)ws_pcg32_normal(&rng);
    }
    for (int i = 0; i < B; i++) {
        b.y[i] = (int)ws_pcg32_bounded(&rng, K);
        b.yv[i] = (int)ws_pcg32_bounded(&rng, K);
    }
    for (int i = 0; i < WS_EDGES * WS_OP_COUNT; i++) {
        b.alpha[i] = (float)(1e-3 * ws_pcg32_normal(&rng));
        b.am[i] = b.av[i] = 0.0f;
    }
    ws_pcg32_seed(&b.seq_gdas, BENCH_SEQ_SEED, 0);
    ws_pcg32_seed(&b.seq_rsws, BENCH_SEQ_SEED, 1);
    int single = pc_k == 1;
    bench_time(&b, steps, single, t, t + steps, t + 2 * steps, t + 3 * steps);
    ws_macro m = {.C = C, .N = N, .in_channels = Cin, .in_size = S, .classes = K};
    double flops = 3.0 * (double)ws_arch_flops(NULL, &m) * 2.0 * B;
    double mw = median(t, steps), md = median(t + steps, steps);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char gf[32] = "-", sp[96] = ""; /* partial channels: fewer flops than the formula counts */
    if (pc_k == 1) snprintf(gf, sizeof gf, "%.1f", flops / mw * 1e-9);
    if (single)
        snprintf(sp, sizeof sp, "  GDAS iteration %.4f s  RS-WS step %.4f s",
                 mean(t + 2 * steps, steps), mean(t + 3 * steps, steps));
    printf("%-6s C=%d N=%d B=%d %dx%dx%d%s  weight step %.4f s  (%.0f img/s, %s GFLOP/s)  "
           "DARTS-1st iteration %.4f s%s  peak RSS %.0f MB\n",
           bc->name, C, N, B, Cin, S, S, pc_k > 1 ? " PC K=4" : "", mw, B / mw, gf, md, sp,
           ru.ru_maxrss / 1024.0);
    fflush(stdout);
    free(t);
    free(b.x);
    free(b.xv);
    ws_net_free(b.net);
    return 0;
}

/* Marks the configurations named in a comma-separated list; 0 or an error. */
static int parse_configs(const char *list, int want[N_CONFIGS])
{
    if (!strcmp(list, "all")) {
        for (int i = 0; i < N_CONFIGS; i++) want[i] = 1;
        return 0;
    }
    if (!strcmp(list, "both")) list = "small,full";
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int i = 0; i < N_CONFIGS; i++)
            if (strlen(g_configs[i].name) == len && !strncmp(p, g_configs[i].name, len))
                want[i] = found = 1;
        if (!found) {
            fprintf(stderr, "bench_engine: --config '%.*s': expected all, both or a list of",
                    (int)len, p);
            for (int i = 0; i < N_CONFIGS; i++) fprintf(stderr, " %s", g_configs[i].name);
            fprintf(stderr, "\n");
            return 2;
        }
        p += len;
        if (*p == ',') p++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int threads = 0, steps = 20, pc_k = 1, want[N_CONFIGS] = {0};
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
                            "all|both|NAME[,NAME...]] [--pc]\n");
            return 2;
        }
    }
    if (steps < 1 || steps > 100000) {
        fprintf(stderr, "bench_engine: --steps %d, expected 1..100000\n", steps);
        return 2;
    }
    if (parse_configs(which, want)) return 2;
    const char *ct = getenv("BENCH_CPUTIME");
    if (ct && ct[0] == '1') g_clock = CLOCK_PROCESS_CPUTIME_ID;
    ws_nn_init(threads);
    printf("engine: %d threads, GEMM %s, median of %d steps (single-path rows: mean of %d "
           "sampled steps)%s\n",
           ws_nn_threads(), ws_nn_gemm_name(), steps, steps,
           g_clock == CLOCK_MONOTONIC ? "" : ", process CPU seconds");
    printf("convolutions: %s\n", ws_nn_conv_name());
    fflush(stdout);
    int rc = 0;
    for (int i = 0; i < N_CONFIGS; i++)
        if (want[i]) rc |= run(&g_configs[i], steps, pc_k);
    return rc;
}
