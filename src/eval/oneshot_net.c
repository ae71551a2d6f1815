/* oneshot_net.c: one-shot accuracy of architectures with the shared
 * supernet weights (methods.md §3.2): the path of each architecture is
 * fixed (WS_MIX_SINGLE) and its top-1 accuracy measured on a fixed held-out
 * set, with BatchNorm in one of three modes.  Batch and running statistics
 * use the supernet's forward-only scorer (ws_net_score_arch); recalibration
 * runs ordinary forwards and restores the network's BN buffers after every
 * architecture, so scores never depend on order. */
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "wsnas/eval.h"
#include "wsnas/nn.h"
#include "wsnas/supernet.h"

#define SCORE_MAX_THREADS 64

static int g_fast = 1;
void ws_oneshot_set_fast(int on) { g_fast = on; }

int ws_oneshot_parse_bn(const char *s, int *mode, ws_error *err)
{
    if (!strcmp(s, "batch")) *mode = WS_BN_BATCH;
    else if (!strcmp(s, "running")) *mode = WS_BN_RUNNING;
    else if (!strcmp(s, "recalibrate")) *mode = WS_BN_RECALIBRATE;
    else
        return ws_error_set(err, WS_EINVAL,
                            "BN mode '%s': expected batch, running or recalibrate", s);
    return 0;
}

/* Top-1 hits of one architecture over the held-out images. */
static long count_correct(ws_net *net, const ws_mix *mix, const float *x, const int *y, int n,
                          int batch, int train, size_t img)
{
    long hits = 0;
    for (int i = 0; i < n; i += batch) {
        int B = n - i < batch ? n - i : batch;
        int c = 0;
        ws_net_forward(net, x + (size_t)i * img, y + i, B, mix, train, &c);
        hits += c;
    }
    return hits;
}

/* Positions 0..n-1 of archs in ws_arch_product_rank order (edge 1<-0
 * outermost), so consecutive architectures share their leading ops. */
typedef struct rank_pos {
    int rank, pos;
} rank_pos;
static int rank_pos_cmp(const void *a, const void *b)
{
    const rank_pos *x = a, *y = b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Architectures per work item of the parallel scorer: consecutive ones in
 * product-rank order, so each thread still reuses first-cell nodes; fewer
 * (down to 1) when there are fewer than 8 items per thread, so the threads
 * still finish together on small samples. */
#define SCORE_CHUNK 16
static int score_chunk(int n_archs, int T)
{
    int q = n_archs / (8 * T);
    return q < 1 ? 1 : q > SCORE_CHUNK ? SCORE_CHUNK : q;
}

/* Batch or running statistics without recalibration: the forward-only
 * scorer of the supernet (ws_net_score_arch: the same hits as
 * count_correct), batches outer, architectures in product-rank order.  With
 * T > 1 threads, T copies of the network score different architectures at
 * once, each with one-thread kernels: the kernels give the same bits at any
 * thread count, and a score does not depend on which copy ran it. */
static int score_fast(ws_net *net, const ws_space *sp, const int *archs, int n_archs,
                      const float *x, const int *y, int n_images, int batch, int batch_stats,
                      size_t img, double *acc, ws_error *err)
{
    int T = 1;
#ifdef _OPENMP
    T = ws_nn_threads();
    if (T > n_archs) T = n_archs;
    if (T > SCORE_MAX_THREADS) T = SCORE_MAX_THREADS;
    if (T < 1) T = 1;
#endif
    rank_pos *ord = malloc((size_t)(n_archs ? n_archs : 1) * sizeof *ord);
    long *hits = calloc((size_t)(n_archs ? n_archs : 1), sizeof *hits);
    ws_net *nets[SCORE_MAX_THREADS] = {net};
    int rc = ord && hits ? 0 : ws_error_set(err, WS_ENOMEM, "one-shot: out of memory");
    for (int t = 1; t < T && !rc; t++)
        if (!(nets[t] = ws_net_clone(net, err))) rc = err->code ? err->code : WS_ENOMEM;
    if (rc) goto out;
    for (int a = 0; a < n_archs; a++) {
        ws_arch ar = ws_space_arch(sp, archs[a]);
        ord[a] = (rank_pos){ws_arch_product_rank(&ar), a};
    }
    qsort(ord, (size_t)n_archs, sizeof *ord, rank_pos_cmp);
    int chunk = score_chunk(n_archs, T), nchunks = (n_archs + chunk - 1) / chunk;
#pragma omp parallel num_threads(T) if (T > 1)
    {
        ws_net *my = nets[0];
#ifdef _OPENMP
        my = nets[omp_get_thread_num()];
        if (T > 1) omp_set_num_threads(1); /* this thread's kernels */
#endif
        for (int i = 0; i < n_images; i += batch) {
            int B = n_images - i < batch ? n_images - i : batch;
            ws_net_score_begin(my, x + (size_t)i * img, y + i, B, batch_stats);
#pragma omp for schedule(dynamic, 1)
            for (int q = 0; q < nchunks; q++)
                for (int k = q * chunk; k < n_archs && k < (q + 1) * chunk; k++) {
                    ws_arch ar = ws_space_arch(sp, archs[ord[k].pos]);
                    int c = 0;
                    ws_net_score_arch(my, &ar, &c);
                    hits[ord[k].pos] += c;
                }
        }
    }
    for (int a = 0; a < n_archs; a++) acc[a] = 100.0 * (double)hits[a] / (double)n_images;
out:
    for (int t = 1; t < T; t++) ws_net_free(nets[t]);
    free(ord);
    free(hits);
    return rc;
}

int ws_oneshot_score(ws_net *net, const ws_space *sp, const int *archs, int n_archs,
                     const float *x, const int *y, int n_images, int batch, int bn_mode,
                     const float *cx, const int *cy, int n_calib, double *acc, ws_error *err)
{
    const ws_net_config *cfg = ws_net_get_config(net);
    if (batch < 1 || batch > cfg->max_batch)
        return ws_error_set(err, WS_ERANGE, "one-shot batch %d: expected 1..%d (the network's "
                            "max_batch)", batch, cfg->max_batch);
    if (n_images < 1) return ws_error_set(err, WS_EINVAL, "one-shot: no held-out images");
    if (bn_mode == WS_BN_RECALIBRATE && (!cx || !cy || n_calib < 1))
        return ws_error_set(err, WS_EINVAL, "one-shot: recalibration needs calibration images");
    size_t img = (size_t)cfg->in_channels * (size_t)cfg->in_size * (size_t)cfg->in_size;
    if (bn_mode != WS_BN_RECALIBRATE && !cfg->standalone && cfg->pc_k == 1 && g_fast)
        return score_fast(net, sp, archs, n_archs, x, y, n_images, batch,
                          bn_mode == WS_BN_BATCH, img, acc, err);
    size_t nbuf = 0;
    float *buf = ws_net_buffers(net, &nbuf);
    float *saved = malloc((nbuf ? nbuf : 1) * sizeof *saved);
    if (!saved) return ws_error_set(err, WS_ENOMEM, "one-shot: out of memory");
    memcpy(saved, buf, nbuf * sizeof *buf);
    for (int a = 0; a < n_archs; a++) {
        ws_mix mix;
        memset(&mix, 0, sizeof mix);
        mix.mode = WS_MIX_SINGLE;
        ws_arch ar = ws_space_arch(sp, archs[a]);
        for (int e = 0; e < WS_EDGES; e++) {
            mix.sel[e] = ar.op[e];
            mix.edge_scale[e] = 1.0f;
        }
        long hits;
        if (bn_mode == WS_BN_BATCH) {
            /* batch statistics everywhere: train-mode forwards (they move the
             * running statistics, restored below) */
            hits = count_correct(net, &mix, x, y, n_images, batch, 1, img);
        } else {
            if (bn_mode == WS_BN_RECALIBRATE)
                count_correct(net, &mix, cx, cy, n_calib, batch, 1, img);
            hits = count_correct(net, &mix, x, y, n_images, batch, 0, img);
        }
        acc[a] = 100.0 * (double)hits / (double)n_images;
        memcpy(buf, saved, nbuf * sizeof *buf);
    }
    free(saved);
    return 0;
}
