/* forward.c: forward and backward passes of the NB201 network (stem, search
 * cells with the FULL / SINGLE / HARD_ST mixes or a standalone architecture,
 * ResNet reduction blocks, head) over the preallocated arena.  Activations are
 * channel-major (C, B, H, W).  Every reduction (architecture gradients) sums
 * per channel in double with a fixed partition, then serially, so results are
 * deterministic for a given thread count. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "wsnas/nn.h"

#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f

/* ---- small fused elementwise helpers ------------------------------------ */

/* dst (C,M) = (first ? 0 : dst) + c * (g[ch] * src + b[ch]); g/b NULL = 1/0. */
static void accum_affine(float *dst, const float *src, float c, const float *g, const float *b,
                         int C, size_t M, int first)
{
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < C; ch++) {
        float s = c * (g ? g[ch] : 1.0f), t = c * (b ? b[ch] : 0.0f);
        float *d = dst + (size_t)ch * M;
        const float *x = src + (size_t)ch * M;
        if (first)
            for (size_t i = 0; i < M; i++) d[i] = s * x[i] + t;
        else
            for (size_t i = 0; i < M; i++) d[i] += s * x[i] + t;
    }
}

/* dst[0..n) = (first ? 0 : dst) + v */
static void add_scalar(float *dst, float v, size_t n, int first)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dst[i] = (first ? 0.0f : dst[i]) + v;
}

static void zero(float *p, size_t n) { memset(p, 0, n * sizeof *p); }

/* The ReLU fused into the convolution where the kernels can, unless ReLU
 * masks are recorded or replayed (relu_mask.c: every ReLU then runs alone). */
static int relu_fused(const ws_net *net, int Cin, int H, int W, int Cout, int K, int stride,
                      int pad)
{
    return !ws_net_relu_mask_on_(net) && ws_conv2d_relu_fused_ok(Cin, H, W, Cout, K, stride, pad);
}

/* Sums of a run of n floats (and of products with x when x != NULL) and
 * sums of squared deviations: float lanes (vectorisable without
 * reassociation), folded into double every 256 elements in a fixed order;
 * deterministic.  AVX-512: 4 x 16 lanes, the tail by masked loads (zeros);
 * AVX2 and elsewhere: 16 lanes (AVX2: two vectors, the same bits as the
 * scalar lanes). */
#ifdef __AVX512F__
#include <immintrin.h>

static inline __m512d fold16(__m512d acc, __m512 v)
{
    acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    return _mm512_add_pd(acc, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(
                                  _mm512_castps_pd(v), 1))));
}

static inline __m512 load_tail(const float *p, size_t i, size_t n)
{
    if (i + 16 <= n) return _mm512_loadu_ps(p + i);
    return _mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1u), p + i);
}

#define RUN_MAX_X 4
static inline __attribute__((always_inline)) void
run_sums_nx(const float *a, const float *const *x, const int NX, size_t n, double *sa, double *sax)
{
    __m512d ta = _mm512_setzero_pd(), tx[RUN_MAX_X];
    for (int j = 0; j < NX; j++) tx[j] = _mm512_setzero_pd();
    for (size_t i = 0; i < n;) {
        size_t end = i + 256 < n ? i + 256 : n;
        __m512 la[4], lx[RUN_MAX_X][4];
        for (int k = 0; k < 4; k++) {
            la[k] = _mm512_setzero_ps();
            for (int j = 0; j < NX; j++) lx[j][k] = _mm512_setzero_ps();
        }
        for (; i + 64 <= end; i += 64) /* lanes k = 0..3 in turn, as run_sums */
            for (int k = 0; k < 4; k++) {
                __m512 va = _mm512_loadu_ps(a + i + 16 * k);
                la[k] = _mm512_add_ps(la[k], va);
                for (int j = 0; j < NX; j++)
                    lx[j][k] = _mm512_fmadd_ps(va, _mm512_loadu_ps(x[j] + i + 16 * k), lx[j][k]);
            }
        for (int k = 0; i < end; i += 16, k++) {
            __m512 va = load_tail(a, i, end);
            la[k] = _mm512_add_ps(la[k], va);
            for (int j = 0; j < NX; j++) lx[j][k] = _mm512_fmadd_ps(va, load_tail(x[j], i, end), lx[j][k]);
        }
        ta = fold16(ta, _mm512_add_ps(_mm512_add_ps(la[0], la[1]), _mm512_add_ps(la[2], la[3])));
        for (int j = 0; j < NX; j++)
            tx[j] = fold16(tx[j], _mm512_add_ps(_mm512_add_ps(lx[j][0], lx[j][1]),
                                                _mm512_add_ps(lx[j][2], lx[j][3])));
    }
    *sa = _mm512_reduce_add_pd(ta);
    for (int j = 0; j < NX; j++) sax[j] = _mm512_reduce_add_pd(tx[j]);
}

/* run_sums of a with nx (<= RUN_MAX_X) runs at once: sa = sum a, sax[j] =
 * sum a x[j], each the same bits as run_sums(a, x[j]) (and as
 * run_sums(x[j], a): the products commute) in one pass over a. */
static void run_sums_n(const float *a, const float *const *x, int nx, size_t n, double *sa,
                       double *sax)
{
    switch (nx) {
    case 0: run_sums_nx(a, x, 0, n, sa, sax); break;
    case 1: run_sums_nx(a, x, 1, n, sa, sax); break;
    case 2: run_sums_nx(a, x, 2, n, sa, sax); break;
    case 3: run_sums_nx(a, x, 3, n, sa, sax); break;
    default: run_sums_nx(a, x, 4, n, sa, sax); break;
    }
}

static void run_sums(const float *a, const float *x, size_t n, double *sa, double *sax)
{
    *sax = 0.0;
    if (x)
        run_sums_nx(a, &x, 1, n, sa, sax);
    else
        run_sums_nx(a, NULL, 0, n, sa, sax);
}

static double run_sqdev(const float *a, float m, size_t n)
{
    __m512d t = _mm512_setzero_pd();
    __m512 vm = _mm512_set1_ps(m);
    for (size_t i = 0; i < n;) {
        size_t end = i + 256 < n ? i + 256 : n;
        __m512 lv[4];
        for (int k = 0; k < 4; k++) lv[k] = _mm512_setzero_ps();
        for (int k = 0; i < end; i += 16, k = (k + 1) & 3) {
            __mmask16 mk = i + 16 <= end ? (__mmask16)0xFFFF : (__mmask16)((1u << (end - i)) - 1u);
            __m512 d = _mm512_maskz_sub_ps(mk, _mm512_maskz_loadu_ps(mk, a + i), vm);
            lv[k] = _mm512_fmadd_ps(d, d, lv[k]);
        }
        t = fold16(t, _mm512_add_ps(_mm512_add_ps(lv[0], lv[1]), _mm512_add_ps(lv[2], lv[3])));
    }
    return _mm512_reduce_add_pd(t);
}
#elif defined(__AVX2__)
#include <immintrin.h>

/* AVX2: the portable code's 16 float lanes as two 8-lane vectors, the same
 * operations in the same order (products rounded before they are added, no
 * fused multiply-add; the tail into lane 0; the lanes folded into double in
 * lane order), so the same bits as the portable form below. */
#define RUN_MAX_X 4
#define LANES 16

/* t += l[0] + ... + l[15] in double, one lane after another (l: two vectors) */
static inline double fold_lanes(double t, __m256 l0, __m256 l1)
{
    _Alignas(32) float l[LANES];
    _mm256_store_ps(l, l0);
    _mm256_store_ps(l + 8, l1);
    for (int k = 0; k < LANES; k++) t += l[k];
    return t;
}

/* lane 0 of l += v (the portable code's tail) */
static inline __m256 add_lane0(__m256 l, float v)
{
    return _mm256_blend_ps(l, _mm256_add_ps(l, _mm256_set1_ps(v)), 1);
}

static inline __attribute__((always_inline)) void
run_sums_nx(const float *a, const float *const *x, const int NX, size_t n, double *sa, double *sax)
{
    double ta = 0.0, tx[RUN_MAX_X] = {0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    while (i < n) {
        size_t end = i + 256 < n ? i + 256 : n;
        __m256 la0 = _mm256_setzero_ps(), la1 = la0, lx0[RUN_MAX_X], lx1[RUN_MAX_X];
        for (int j = 0; j < NX; j++) lx0[j] = lx1[j] = la0;
        for (; i + LANES <= end; i += LANES) {
            __m256 v0 = _mm256_loadu_ps(a + i), v1 = _mm256_loadu_ps(a + i + 8);
            la0 = _mm256_add_ps(la0, v0);
            la1 = _mm256_add_ps(la1, v1);
            for (int j = 0; j < NX; j++) {
                lx0[j] = _mm256_add_ps(lx0[j], _mm256_mul_ps(v0, _mm256_loadu_ps(x[j] + i)));
                lx1[j] = _mm256_add_ps(lx1[j], _mm256_mul_ps(v1, _mm256_loadu_ps(x[j] + i + 8)));
            }
        }
        for (; i < end; i++) {
            la0 = add_lane0(la0, a[i]);
            for (int j = 0; j < NX; j++) lx0[j] = add_lane0(lx0[j], a[i] * x[j][i]);
        }
        ta = fold_lanes(ta, la0, la1);
        for (int j = 0; j < NX; j++) tx[j] = fold_lanes(tx[j], lx0[j], lx1[j]);
    }
    *sa = ta;
    for (int j = 0; j < NX; j++) sax[j] = tx[j];
}

/* run_sums of a with nx (<= RUN_MAX_X) runs in one pass over a: sa = sum a,
 * sax[j] = sum a x[j], each the same bits as run_sums(a, x[j]). */
static void run_sums_n(const float *a, const float *const *x, int nx, size_t n, double *sa,
                       double *sax)
{
    switch (nx) {
    case 0: run_sums_nx(a, x, 0, n, sa, sax); break;
    case 1: run_sums_nx(a, x, 1, n, sa, sax); break;
    case 2: run_sums_nx(a, x, 2, n, sa, sax); break;
    case 3: run_sums_nx(a, x, 3, n, sa, sax); break;
    default: run_sums_nx(a, x, 4, n, sa, sax); break;
    }
}

static void run_sums(const float *a, const float *x, size_t n, double *sa, double *sax)
{
    *sax = 0.0;
    if (x)
        run_sums_nx(a, &x, 1, n, sa, sax);
    else
        run_sums_nx(a, NULL, 0, n, sa, sax);
}

static double run_sqdev(const float *a, float m, size_t n)
{
    double t = 0.0;
    size_t i = 0;
    const __m256 vm = _mm256_set1_ps(m);
    while (i < n) {
        size_t end = i + 256 < n ? i + 256 : n;
        __m256 l0 = _mm256_setzero_ps(), l1 = l0;
        for (; i + LANES <= end; i += LANES) {
            __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), vm);
            __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), vm);
            l0 = _mm256_add_ps(l0, _mm256_mul_ps(d0, d0));
            l1 = _mm256_add_ps(l1, _mm256_mul_ps(d1, d1));
        }
        for (; i < end; i++) {
            float d = a[i] - m;
            l0 = add_lane0(l0, d * d);
        }
        t = fold_lanes(t, l0, l1);
    }
    return t;
}
#else
#define LANES 16
static void run_sums(const float *a, const float *x, size_t n, double *sa, double *sax)
{
    double ta = 0.0, tx = 0.0;
    size_t i = 0;
    while (i < n) {
        size_t end = i + 256 < n ? i + 256 : n;
        float la[LANES] = {0}, lx[LANES] = {0};
        if (x) {
            for (; i + LANES <= end; i += LANES)
                for (int l = 0; l < LANES; l++) {
                    la[l] += a[i + l];
                    lx[l] += a[i + l] * x[i + l];
                }
            for (; i < end; i++) {
                la[0] += a[i];
                lx[0] += a[i] * x[i];
            }
        } else {
            for (; i + LANES <= end; i += LANES)
                for (int l = 0; l < LANES; l++) la[l] += a[i + l];
            for (; i < end; i++) la[0] += a[i];
        }
        for (int l = 0; l < LANES; l++) {
            ta += la[l];
            tx += lx[l];
        }
    }
    *sa = ta;
    *sax = tx;
}

#define RUN_MAX_X 4
static void run_sums_n(const float *a, const float *const *x, int nx, size_t n, double *sa,
                       double *sax)
{
    for (int j = 0; j < nx; j++) run_sums(a, x[j], n, sa, &sax[j]);
    if (nx == 0) {
        double unused;
        run_sums(a, NULL, n, sa, &unused);
    }
}

static double run_sqdev(const float *a, float m, size_t n)
{
    double t = 0.0;
    size_t i = 0;
    while (i < n) {
        size_t end = i + 256 < n ? i + 256 : n;
        float lv[LANES] = {0};
        for (; i + LANES <= end; i += LANES)
            for (int l = 0; l < LANES; l++) {
                float d = a[i + l] - m;
                lv[l] += d * d;
            }
        for (; i < end; i++) {
            float d = a[i] - m;
            lv[0] += d * d;
        }
        for (int l = 0; l < LANES; l++) t += lv[l];
    }
    return t;
}
#endif

/* Per-channel sums: part[ch] = <a_ch, x_ch> (x NULL: sum of a_ch), part2[ch] =
 * sum a_ch when part2 != NULL. */
static void channel_dots(double *part, double *part2, const float *a, const float *x, int C,
                         size_t M)
{
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < C; ch++) {
        double s, s2;
        run_sums(a + (size_t)ch * M, x ? x + (size_t)ch * M : NULL, M, &s2, &s);
        part[ch] = x ? s : s2;
        if (part2) part2[ch] = s2;
    }
}

static double sum_all(ws_net *net, const float *a, int C, size_t M)
{
    double *p = net->dot_part;
    channel_dots(p, NULL, a, NULL, C, M);
    double s = 0.0;
    for (int ch = 0; ch < C; ch++) s += p[ch];
    return s;
}

/* BN forward: batch statistics when training or when running stats are not
 * tracked (updating them only when training, unless net->stats_frozen),
 * else running statistics. */
static void bn_forward(const ws_net *net, ws_bn *bn, float *out, const float *inp,
                       const float *g, const float *b, int C, int M, int train)
{
    if (train || !bn->rm) {
        int upd = train && !net->stats_frozen;
        /* scoring runs no backward: xhat is not kept */
        ws_batchnorm_forward_train(out, net->score_scratch ? NULL : bn->xhat, bn->mean, bn->rstd,
                                   inp, g, b,
                                   upd ? bn->rm : NULL, upd ? bn->rv : NULL, BN_MOMENTUM,
                                   BN_EPS, C, M);
        bn->train_stats = 1;
    } else {
        ws_batchnorm_forward_eval(out, inp, g, b, bn->rm, bn->rv, BN_EPS, C, M);
        bn->train_stats = 0;
    }
}

/* ---- cells ------------------------------------------------------------------ */

/* The ops run on edge e and their coefficients; returns the count.  *scalar
 * receives HARD_ST's bare-scalar sum. */
static int edge_ops(const ws_net *net, const ws_cell *cell, const ws_mix *mix, int e, int ops[],
                    float coef[], float *scalar)
{
    int n = 0;
    *scalar = 0.0f;
    if (net->cfg.standalone) {
        if (cell->live[e] && net->cfg.arch.op[e] != WS_OP_NONE) {
            ops[n] = net->cfg.arch.op[e];
            coef[n++] = 1.0f;
        }
        return n;
    }
    switch (mix->mode) {
    case WS_MIX_SINGLE:
        if (mix->sel[e] != WS_OP_NONE) {
            ops[n] = mix->sel[e];
            coef[n++] = 1.0f;
        }
        break;
    case WS_MIX_HARD_ST: {
        int k = mix->sel[e];
        float s = mix->edge_scale[e];
        for (int o = 0; o < WS_OP_COUNT; o++)
            if (o != k) *scalar += s * mix->w[e][o];
        float c = s * mix->w[e][k];
        if (k != WS_OP_NONE && c != 0.0f) {
            ops[n] = k;
            coef[n++] = c;
        }
        break;
    }
    default: /* WS_MIX_FULL */
        for (int o = 1; o < WS_OP_COUNT; o++) {
            float c = mix->edge_scale[e] * mix->w[e][o];
            if (c != 0.0f) {
                ops[n] = o;
                coef[n++] = c;
            }
        }
        break;
    }
    return n;
}

/* ---- the ops of one edge, fused per channel ---------------------------------
 * An edge's ops are summed into its destination with one pass per channel:
 * the convolutions run first (each into its BN's buffer, which for cell ops
 * holds the conv output y: xhat = (y - mean) * rstd is recomputed wherever
 * it is needed, never stored), then for every channel (256 KB at stage 1, so
 * its operands stay in L2) the BN statistics are formed and the weighted
 * sum is added to the destination in one pass (edge_combine).  One
 * parallel region serves the whole edge. */


/* A run of M floats of an edge's weighted sum: o[i] = (first ? 0 : o[i]) +
 * c_0 x_0[i] + ... + (a_0 y_0[i] + b_0) + ..., added left to right with
 * every product and sum rounded on its own (no fused multiply-add): ns plain
 * terms x_s with coefficients c, nb conv terms y_k with a = sc[k], b = sh[k]. */
static void edge_combine(float *o, int first, int ns, const float *const *x, const float *c,
                         int nb, const float *const *y, const float *a, const float *b, size_t M)
{
    size_t i = 0;
#ifdef __AVX512F__
    __m512 vc[2], va[2], vb[2];
    for (int s = 0; s < ns; s++) vc[s] = _mm512_set1_ps(c[s]);
    for (int k = 0; k < nb; k++) va[k] = _mm512_set1_ps(a[k]), vb[k] = _mm512_set1_ps(b[k]);
    for (; i + 16 <= M; i += 16) {
        __m512 v = first ? _mm512_setzero_ps() : _mm512_loadu_ps(o + i);
        for (int s = 0; s < ns; s++)
            v = _mm512_add_ps(v, _mm512_mul_ps(vc[s], _mm512_loadu_ps(x[s] + i)));
        for (int k = 0; k < nb; k++)
            v = _mm512_add_ps(v, _mm512_add_ps(_mm512_mul_ps(va[k], _mm512_loadu_ps(y[k] + i)), vb[k]));
        _mm512_storeu_ps(o + i, v);
    }
#elif defined(__AVX2__)
    __m256 vc[2], va[2], vb[2];
    for (int s = 0; s < ns; s++) vc[s] = _mm256_set1_ps(c[s]);
    for (int k = 0; k < nb; k++) va[k] = _mm256_set1_ps(a[k]), vb[k] = _mm256_set1_ps(b[k]);
    for (; i + 8 <= M; i += 8) {
        __m256 v = first ? _mm256_setzero_ps() : _mm256_loadu_ps(o + i);
        for (int s = 0; s < ns; s++)
            v = _mm256_add_ps(v, _mm256_mul_ps(vc[s], _mm256_loadu_ps(x[s] + i)));
        for (int k = 0; k < nb; k++)
            v = _mm256_add_ps(v, _mm256_add_ps(_mm256_mul_ps(va[k], _mm256_loadu_ps(y[k] + i)), vb[k]));
        _mm256_storeu_ps(o + i, v);
    }
#endif
    for (; i < M; i++) {
        float v = first ? 0.0f : o[i];
        for (int s = 0; s < ns; s++) {
            float p = c[s] * x[s][i];
            v += p;
        }
        for (int k = 0; k < nb; k++) {
            float p = a[k] * y[k][i];
            p += b[k];
            v += p;
        }
        o[i] = v;
    }
}

typedef struct edge_terms {
    int nsrc, nbn;
    const float *src[2];   /* skip: the input, pool: avgpool3(input) */
    float scf[2];
    int src_op[2];
    ws_bn *bn[2];          /* conv 1x1 / 3x3 BNs; bn->xhat holds the conv output */
    float *y[2];           /* the conv outputs: bn->xhat, or scratch when scoring */
    int pool_fused;        /* scoring: the pool term's src is the input; edge_forward
                              pools it plane by plane (no pool tensor) */
    float bcf[2];
    int bn_op[2];
    float *dy[2];          /* backward: dL/d(conv output), scr_a / scr_b */
    ws_convop *conv[2];
} edge_terms;

/* Sorts the ops of edge e into plain terms and conv terms; in the forward
 * (fwd = 1) also runs relu, pool and the convolutions.  When scoring, conv
 * term k writes scratch buffer slot + k (scr_b, scr_c, scr_a). */
static void edge_collect(ws_net *net, ws_cell *cell, int e, const int *ops, const float *coef,
                         int nops, const float *in, int Cc, float *relu, int *relu_used,
                         float *pool, int *pool_used, int fwd, int slot, edge_terms *t)
{
    float *const scr[3] = {net->scr_b, net->scr_c, net->scr_a};
    int B = net->B, H = cell->H, W = cell->W;
    memset(t, 0, sizeof *t);
    for (int k = 0; k < nops; k++) {
        int o = ops[k];
        if (o == WS_OP_SKIP || o == WS_OP_AVGPOOL) {
            /* the pool formed plane by plane inside the weighted sum (no
             * pool tensor) when nothing reads the tensor later: scoring, and
             * training forwards whose backward takes no architecture
             * gradient (SINGLE, standalone); the backward still runs the
             * pool's backward (pool_used) */
            int no_arch = net->cfg.standalone || net->mix.mode == WS_MIX_SINGLE;
            int fuse = o == WS_OP_AVGPOOL && fwd && (net->score_scratch || no_arch) &&
                       H <= WS_POOL3_PLANE_MAX && W <= WS_POOL3_PLANE_MAX;
            if (o == WS_OP_AVGPOOL && fwd && !fuse && !*pool_used) {
                ws_avgpool3_forward(pool, in, Cc, B, H, W);
                *pool_used = 1;
            }
            if (fuse && !net->score_scratch) *pool_used = 1;
            t->pool_fused |= fuse;
            t->src[t->nsrc] = o == WS_OP_SKIP || fuse ? in : pool;
            t->src_op[t->nsrc] = o;
            t->scf[t->nsrc++] = coef[k];
            continue;
        }
        ws_convop *op = o == WS_OP_CONV1X1 ? &cell->conv1[e] : &cell->conv3[e];
        int K = o == WS_OP_CONV1X1 ? 1 : 3;
        WS_ASSERT(op->present);
        float *y = net->score_scratch ? scr[slot + t->nbn] : op->bn.xhat;
        t->y[t->nbn] = y;
        /* the ReLU is applied as the convolution reads its input where the
         * kernels can (and its backward as they write the input gradient) */
        if (fwd && relu_fused(net, Cc, H, W, Cc, K, 1, K / 2)) {
            ws_conv2d_relu_forward(y, in, op->w, B, Cc, H, W, Cc, K, 1, K / 2, net->work);
        } else if (fwd) {
            if (!*relu_used) {
                ws_net_relu_forward_(net, relu, in, (size_t)Cc * B * H * W);
                *relu_used = 1;
            }
            ws_conv2d_forward(y, relu, op->w, B, Cc, H, W, Cc, K, 1, K / 2, net->work);
        }
        t->conv[t->nbn] = op;
        t->bn[t->nbn] = &op->bn;
        t->dy[t->nbn] = o == WS_OP_CONV1X1 ? net->scr_a : net->scr_b;
        t->bn_op[t->nbn] = o;
        t->bcf[t->nbn++] = coef[k];
    }
}

/* batch[k]: conv term k of t normalises with batch statistics. */
static void edge_batch_mode(const edge_terms *t, int train, int batch[2])
{
    for (int k = 0; k < t->nbn; k++) {
        batch[k] = train || !t->bn[k]->rm;
        t->bn[k]->train_stats = batch[k];
    }
}

/* Channel ch of t's conv terms: BN statistics (moving the running estimate
 * when training and not frozen), then term k = sc[k] * y[k] + sh[k] with BN
 * and the edge coefficient folded; y[k] is the term's channel run. */
static void edge_channel_affine(const ws_net *net, const edge_terms *t, const int *batch,
                                int train, int ch, size_t M, float *sc, float *sh,
                                const float **y)
{
    for (int k = 0; k < t->nbn; k++) {
        ws_bn *bn = t->bn[k];
        y[k] = t->y[k] + (size_t)ch * M;
        float muf, rs;
        if (batch[k]) {
            double su, unused;
            run_sums(y[k], NULL, M, &su, &unused);
            double mu = su / (double)M, v = run_sqdev(y[k], (float)mu, M);
            double var = v / (double)M;
            rs = (float)(1.0 / sqrt(var + BN_EPS));
            muf = (float)mu;
            if (train && bn->rm && !net->stats_frozen) {
                bn->rm[ch] = (float)((1.0 - BN_MOMENTUM) * bn->rm[ch] + BN_MOMENTUM * mu);
                double unb = M > 1 ? v / (double)(M - 1) : var;
                bn->rv[ch] = (float)((1.0 - BN_MOMENTUM) * bn->rv[ch] + BN_MOMENTUM * unb);
            }
        } else {
            muf = bn->rm[ch];
            rs = (float)(1.0 / sqrt((double)bn->rv[ch] + BN_EPS));
        }
        bn->mean[ch] = muf;
        bn->rstd[ch] = rs;
        float gs = t->bcf[k] * (bn->g ? bn->g[ch] : 1.0f);
        sc[k] = gs * rs;
        sh[k] = t->bcf[k] * (bn->b ? bn->b[ch] : 0.0f) - sc[k] * muf;
    }
}

/* dst (Cc channels) = (first ? 0 : dst) + sum_k coef[k] op_k(in).  Cell BN
 * in training form: biased variance to normalise, unbiased into the running
 * estimate (PyTorch); with running stats and train = 0, those instead. */
static void edge_forward(ws_net *net, ws_cell *cell, int e, const int *ops, const float *coef,
                         int nops, const float *in, int Cc, float *relu, int *relu_used,
                         float *pool, int *pool_used, float *dst, int first, int train)
{
    size_t M = (size_t)net->B * cell->H * cell->W;
    edge_terms t;
    edge_collect(net, cell, e, ops, coef, nops, in, Cc, relu, relu_used, pool, pool_used, 1, 0,
                 &t);
    if (t.nsrc + t.nbn == 0) return;
    int batch[2];
    edge_batch_mode(&t, train, batch);
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < Cc; ch++) {
        float sc[2], sh[2]; /* conv term k = sc * y + sh (BN and coefficient folded) */
        const float *y[2];
        edge_channel_affine(net, &t, batch, train, ch, M, sc, sh, y);
        const float *x[2];
        size_t off = (size_t)ch * M;
        for (int s = 0; s < t.nsrc; s++) x[s] = t.src[s] + off;
        if (!t.pool_fused) {
            edge_combine(dst + off, first, t.nsrc, x, t.scf, t.nbn, y, sc, sh, M);
            continue;
        }
        /* a few image planes at a time (up to 64 x 64 pixels), their pool
         * in an L1 buffer */
        size_t HW = (size_t)cell->H * cell->W, step = (WS_POOL3_PLANE_MAX * WS_POOL3_PLANE_MAX / HW) * HW;
        float pl[WS_POOL3_PLANE_MAX * WS_POOL3_PLANE_MAX];
        for (size_t q = 0; q < M; q += step) {
            size_t len = M - q < step ? M - q : step;
            const float *xq[2], *yq[2];
            for (int s = 0; s < t.nsrc; s++) xq[s] = x[s] + q;
            for (int k = 0; k < t.nbn; k++) yq[k] = y[k] + q;
            for (int s = 0; s < t.nsrc; s++)
                if (t.src_op[s] == WS_OP_AVGPOOL) {
                    ws_avgpool3_forward_planes(pl, xq[s], (int)(len / HW), cell->H, cell->W);
                    xq[s] = pl;
                }
            edge_combine(dst + off + q, first, t.nsrc, xq, t.scf, t.nbn, yq, sc, sh, len);
        }
    }
}

/* Scoring: node i of the cell in one pass per channel.  The convolutions of
 * its live edges (one op each: a single-path mix) run first, each into its
 * own scratch buffer (at most three edges: scr_b, scr_c, scr_a), then for
 * every channel the BN statistics of each conv term are formed and the
 * edges' terms are added in edge order, a few planes at a time, so the
 * node's run stays in L1 between the terms instead of going back to memory
 * once per edge.  Every element is the same expression as edge_forward's
 * edge after edge (o = 0 + t_0, then o + t_1, ...), so the same bits. */
static int node_forward_score(ws_net *net, ws_cell *cell, int i, const ws_cell_plan *pl,
                              float *node, int train)
{
    edge_terms t[3];
    int batch[3][2], ne = 0, slot = 0, Cc = cell->C;
    for (int e = 0; e < WS_EDGES; e++) {
        if (ws_edge_dst[e] != i || !pl->live[e]) continue;
        int j = ws_edge_src[e];
        int ops[WS_OP_COUNT];
        float coef[WS_OP_COUNT], s;
        int nops = edge_ops(net, cell, &net->mix, e, ops, coef, &s);
        WS_ASSERT(s == 0.0f && ne < 3);
        edge_collect(net, cell, e, ops, coef, nops, cell->node[j], Cc, pl->relu[j],
                     &cell->relu_used[j], pl->pool[j], &cell->pool_used[j], 1, slot, &t[ne]);
        if (t[ne].nsrc + t[ne].nbn == 0) continue;
        slot += t[ne].nbn;
        WS_ASSERT(slot <= 3);
        edge_batch_mode(&t[ne], train, batch[ne]);
        ne++;
    }
    if (!ne) return 0;
    size_t HW = (size_t)cell->H * cell->W, M = (size_t)net->B * HW;
    size_t P = WS_POOL3_PLANE_MAX * WS_POOL3_PLANE_MAX, step = HW <= P ? (P / HW) * HW : M;
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < Cc; ch++) {
        float sc[3][2], sh[3][2], pb[WS_POOL3_PLANE_MAX * WS_POOL3_PLANE_MAX];
        const float *y[3][2], *x[3][2];
        size_t off = (size_t)ch * M;
        for (int k = 0; k < ne; k++) {
            edge_channel_affine(net, &t[k], batch[k], train, ch, M, sc[k], sh[k], y[k]);
            for (int s = 0; s < t[k].nsrc; s++) x[k][s] = t[k].src[s] + off;
        }
        for (size_t q = 0; q < M; q += step) {
            size_t len = M - q < step ? M - q : step;
            for (int k = 0; k < ne; k++) {
                const float *xq[2], *yq[2];
                for (int s = 0; s < t[k].nsrc; s++) xq[s] = x[k][s] + q;
                for (int b = 0; b < t[k].nbn; b++) yq[b] = y[k][b] + q;
                for (int s = 0; s < t[k].nsrc; s++)
                    if (t[k].pool_fused && t[k].src_op[s] == WS_OP_AVGPOOL) {
                        ws_avgpool3_forward_planes(pb, xq[s], (int)(len / HW), cell->H, cell->W);
                        xq[s] = pb;
                    }
                edge_combine(node + off + q, k == 0, t[k].nsrc, xq, t[k].scf, t[k].nbn, yq,
                             sc[k], sh[k], len);
            }
        }
    }
    return 1;
}

/* One channel's input-gradient writes in edge_backward, in one pass over dy:
 * os[s] += cs[s] dy (skip, pool), ok[k] = a[k] dy + b[k] y[k] + c0[k] (the
 * BN input gradient of conv term k); each element the same expression (so
 * the same bits) as separate loops. */
typedef struct edge_grad_pass {
    const float *dy;
    size_t M;
    int ns, nk;
    float *os[2];
    float cs[2];
    float *ok[2];
    const float *y[2];
    float a[2], b[2], c0[2];
} edge_grad_pass;

static void edge_grad_write(const edge_grad_pass *g)
{
    size_t M = g->M, i = 0;
#ifdef __AVX512F__
    for (; i < M; i += 16) {
        __mmask16 m = i + 16 <= M ? (__mmask16)0xFFFF : (__mmask16)((1u << (M - i)) - 1u);
        __m512 v = _mm512_maskz_loadu_ps(m, g->dy + i);
        for (int s = 0; s < g->ns; s++) {
            __m512 o = _mm512_maskz_loadu_ps(m, g->os[s] + i);
            _mm512_mask_storeu_ps(g->os[s] + i, m, _mm512_add_ps(o, _mm512_mul_ps(_mm512_set1_ps(g->cs[s]), v)));
        }
        for (int k = 0; k < g->nk; k++) {
            __m512 y = _mm512_maskz_loadu_ps(m, g->y[k] + i);
            __m512 r = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(g->a[k]), v),
                                     _mm512_mul_ps(_mm512_set1_ps(g->b[k]), y));
            _mm512_mask_storeu_ps(g->ok[k] + i, m, _mm512_add_ps(r, _mm512_set1_ps(g->c0[k])));
        }
    }
#else
#ifdef __AVX2__
    /* the scalar loops' expressions, 8 elements at a time (the same bits) */
    for (; i + 8 <= M; i += 8) {
        __m256 v = _mm256_loadu_ps(g->dy + i);
        for (int s = 0; s < g->ns; s++) {
            __m256 o = _mm256_loadu_ps(g->os[s] + i);
            _mm256_storeu_ps(g->os[s] + i, _mm256_add_ps(o, _mm256_mul_ps(_mm256_set1_ps(g->cs[s]), v)));
        }
        for (int k = 0; k < g->nk; k++) {
            __m256 y = _mm256_loadu_ps(g->y[k] + i);
            __m256 r = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(g->a[k]), v),
                                     _mm256_mul_ps(_mm256_set1_ps(g->b[k]), y));
            _mm256_storeu_ps(g->ok[k] + i, _mm256_add_ps(r, _mm256_set1_ps(g->c0[k])));
        }
    }
#endif
    size_t i0 = i;
    for (int s = 0; s < g->ns; s++)
        for (i = i0; i < M; i++) g->os[s][i] += g->cs[s] * g->dy[i];
    for (int k = 0; k < g->nk; k++)
        for (i = i0; i < M; i++) g->ok[k][i] = g->a[k] * g->dy[i] + g->b[k] * g->y[k][i] + g->c0[k];
#endif
}

void ws_edge_combine_(float *o, int first, int ns, const float *const *x, const float *c, int nb,
                      const float *const *y, const float *a, const float *b, size_t M)
{
    edge_combine(o, first, ns, x, c, nb, y, a, b, M);
}

void ws_edge_grad_write_(const float *dy, size_t M, int ns, float *const *os, const float *cs,
                         int nk, float *const *ok, const float *const *y, const float *a,
                         const float *b, const float *c0)
{
    edge_grad_pass g = {dy, M, ns, nk, {NULL}, {0}, {NULL}, {NULL}, {0}, {0}, {0}};
    for (int s = 0; s < ns; s++) g.os[s] = os[s], g.cs[s] = cs[s];
    for (int k = 0; k < nk; k++) g.ok[k] = ok[k], g.y[k] = y[k], g.a[k] = a[k], g.b[k] = b[k], g.c0[k] = c0[k];
    edge_grad_write(&g);
}

void ws_run_sums_n_(const float *a, const float *const *x, int nx, size_t n, double *sa,
                    double *sax)
{
    run_sums_n(a, x, nx, n, sa, sax);
}

double ws_run_sqdev_(const float *a, float m, size_t n) { return run_sqdev(a, m, n); }

/* Backward of edge_forward given d = dL/d(dst) (Cc channels): dskip +=
 * coef d (skip), dpool += coef d (pool); each conv's input gradient into
 * drelu and, when net->wgrad, its weight and BN gradients.  g[o] receives
 * <d, op_o(in)> and *sum_d (when not NULL) sum d, as sum_all forms it (when
 * arch).  Returns 0 when the edge has nothing to do (and nothing is set).
 * With xhat = (y - mu) rs: <d, xhat> = rs (<d, y> - mu sum d), and the BN
 * input gradient c rs g (d - mean d - xhat mean(d xhat)) is A d + B y + C0
 * per channel. */
static int edge_backward(ws_net *net, ws_cell *cell, int e, const int *ops, const float *coef,
                         int nops, const float *d, const float *in, const float *relu,
                         const float *pool, float *dskip, float *drelu, float *dpool, int Cc,
                         int arch, double *g, double *sum_d)
{
    int B = net->B, H = cell->H, W = cell->W;
    size_t M = (size_t)B * H * W;
    edge_terms t;
    edge_collect(net, cell, e, ops, coef, nops, in, Cc, NULL, NULL, NULL, NULL, 0, 0, &t);
    for (int s = 0; s < t.nsrc; s++)
        if (t.src_op[s] == WS_OP_AVGPOOL) t.src[s] = pool;
    if (t.nsrc + t.nbn == 0) return 0;
    for (int k = 0; k < t.nbn; k++) WS_ASSERT(t.bn[k]->train_stats);
    double *p = net->dot_part; /* [0,Cc): sum d; then <d,xhat_k>; then <d,src_s> */
    int wg = net->wgrad;
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < Cc; ch++) {
        size_t off = (size_t)ch * M;
        const float *dy = d + off;
        /* one pass for sum d, <d, xhat_k> and (arch) <d, src_s> */
        const float *xs[RUN_MAX_X];
        int nx = 0;
        for (int k = 0; k < t.nbn; k++) xs[nx++] = t.bn[k]->xhat + off;
        if (arch)
            for (int s = 0; s < t.nsrc; s++) xs[nx++] = t.src[s] + off;
        double sd = 0.0, dots[RUN_MAX_X], sdx[2] = {0.0, 0.0};
        if (t.nbn || arch) /* (skip and pool alone need none of them) */
            run_sums_n(dy, xs, nx, M, &sd, dots);
        for (int k = 0; k < t.nbn; k++)
            sdx[k] = (double)t.bn[k]->rstd[ch] * (dots[k] - (double)t.bn[k]->mean[ch] * sd);
        p[ch] = sd;
        for (int k = 0; k < t.nbn; k++) p[(size_t)(1 + k) * Cc + ch] = sdx[k];
        /* then one pass writing every input gradient the edge's ops take */
        edge_grad_pass egp = {dy, M, t.nsrc, t.nbn, {NULL}, {0}, {NULL}, {NULL}, {0}, {0}, {0}};
        for (int s = 0; s < t.nsrc; s++) {
            p[(size_t)(3 + s) * Cc + ch] = arch ? dots[t.nbn + s] : 0.0;
            egp.os[s] = (t.src_op[s] == WS_OP_SKIP ? dskip : dpool) + off;
            egp.cs[s] = t.scf[s];
        }
        for (int k = 0; k < t.nbn; k++) {
            ws_bn *bn = t.bn[k];
            float c = t.bcf[k];
            if (wg && bn->dg) bn->dg[ch] += (float)(c * sdx[k]);
            if (wg && bn->db) bn->db[ch] += (float)(c * sd);
            float rs = bn->rstd[ch], mu = bn->mean[ch];
            float kk = c * rs * (bn->g ? bn->g[ch] : 1.0f);
            float md = (float)(sd / (double)M), mdx = (float)(sdx[k] / (double)M);
            egp.a[k] = kk;
            egp.b[k] = -kk * mdx * rs;
            egp.c0[k] = -kk * md + kk * mdx * rs * mu;
            egp.y[k] = bn->xhat + off;
            egp.ok[k] = t.dy[k] + off;
        }
        edge_grad_write(&egp);
    }
    if (arch) {
        if (sum_d) { /* sum d over the channels, as sum_all forms it */
            double a = 0.0;
            for (int ch = 0; ch < Cc; ch++) a += p[ch];
            *sum_d = a;
        }
        for (int s = 0; s < t.nsrc; s++) {
            double a = 0.0;
            for (int ch = 0; ch < Cc; ch++) a += p[(size_t)(3 + s) * Cc + ch];
            g[t.src_op[s]] = a;
        }
        for (int k = 0; k < t.nbn; k++) { /* <d, g xhat + b> */
            const ws_bn *bn = t.bn[k];
            double a = 0.0;
            for (int ch = 0; ch < Cc; ch++)
                a += (bn->g ? bn->g[ch] : 1.0) * p[(size_t)(1 + k) * Cc + ch] +
                     (bn->b ? bn->b[ch] * p[ch] : 0.0);
            g[t.bn_op[k]] = a;
        }
    }
    for (int k = 0; k < t.nbn; k++) {
        int K = t.bn_op[k] == WS_OP_CONV1X1 ? 1 : 3;
        ws_convop *op = t.conv[k];
        if (net->probe && wg)
            net->probe(net->probe_ctx, Cc * K * K, t.bn[k]->xhat, NULL, NULL, t.dy[k], Cc, B, H * W);
        if (wg) op->dw_zero = 0;
        if (relu_fused(net, Cc, H, W, Cc, K, 1, K / 2)) /* straight into d(node) */
            ws_conv2d_relu_backward(dskip, wg ? op->dw : NULL, t.dy[k], in, op->w, B, Cc, H, W,
                                    Cc, K, 1, K / 2, net->work);
        else
            ws_conv2d_backward(drelu, wg ? op->dw : NULL, t.dy[k], relu, op->w, B, Cc, H, W, Cc,
                               K, 1, K / 2, net->work);
    }
    return 1;
}

/* ---- partial channels (PC-DARTS) ------------------------------------------ */

/* Node channel that edge-output channel c lands in: PC-DARTS's
 * channel_shuffle(groups = pc_k) views (pc_k, Cp) and transposes, so c =
 * g*Cp + q goes to q*pc_k + g; identity in the random form. */
static inline size_t pc_dst(const ws_net *net, int c, int Cp)
{
    if (net->cfg.pc_random) return (size_t)c;
    return (size_t)(c % Cp) * (size_t)net->cfg.pc_k + (size_t)(c / Cp);
}

/* The channels edge e of cell k processes in this pass: sel (ascending) and
 * pos (position in sel or -1).  Random form: a partial Fisher-Yates draw of
 * Cp of C from the stream (mix.pc_seed, k*6+e). */
static void pc_select(ws_net *net, ws_cell *cell, int e)
{
    int C = cell->C, Cp = cell->Cp;
    int *sel = cell->pc_sel[e], *pos = cell->pc_pos[e];
    if (!net->cfg.pc_random) {
        for (int c = 0; c < C; c++) pos[c] = c < Cp ? c : -1;
        for (int i = 0; i < Cp; i++) sel[i] = i;
        return;
    }
    ws_pcg32 r;
    ws_pcg32_seed(&r, net->mix.pc_seed, (uint64_t)(cell - net->cells) * WS_EDGES + (uint64_t)e);
    for (int c = 0; c < C; c++) pos[c] = c; /* scratch: the draw */
    for (int i = 0; i < Cp; i++) {
        int j = i + (int)ws_pcg32_bounded(&r, (uint32_t)(C - i));
        int t = pos[i];
        pos[i] = pos[j];
        pos[j] = t;
    }
    for (int i = 0; i < Cp; i++) { /* insertion sort; Cp is small */
        int v = pos[i], a = i;
        for (; a > 0 && sel[a - 1] > v; a--) sel[a] = sel[a - 1];
        sel[a] = v;
    }
    for (int c = 0; c < C; c++) pos[c] = -1;
    for (int i = 0; i < Cp; i++) pos[sel[i]] = i;
}

/* Edge e with partial channels: m = sum_t coef[t] op_t(x[sel]) over Cp
 * channels; the edge output is m on the selected channels and bs * x on the
 * others, shuffled into node (first: overwrite). */
static void pc_edge_forward(ws_net *net, ws_cell *cell, int e, const float *xj, float *node,
                            const int *ops, const float *coef, int nops, int train, int first)
{
    int C = cell->C, Cp = cell->Cp;
    size_t M = (size_t)net->B * cell->H * cell->W;
    pc_select(net, cell, e);
    const int *sel = cell->pc_sel[e], *pos = cell->pc_pos[e];
    const float *xs = xj;
    if (net->cfg.pc_random) {
        float *g = cell->pc_xbuf[e];
#pragma omp parallel for schedule(static)
        for (int i = 0; i < Cp; i++)
            memcpy(g + (size_t)i * M, xj + (size_t)sel[i] * M, M * sizeof(float));
        xs = g;
    }
    cell->pc_in[e] = xs;
    cell->pc_ran[e] = 1;
    cell->pc_relu_used[e] = cell->pc_pool_used[e] = 0;
    float *m = net->pc_m;
    edge_forward(net, cell, e, ops, coef, nops, xs, Cp, cell->pc_relu[e], &cell->pc_relu_used[e],
                 cell->pc_pool[e], &cell->pc_pool_used[e], m, 1, train);
    float bs = net->mix.mode == WS_MIX_SINGLE ? 1.0f : net->mix.edge_scale[e];
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float *o = node + pc_dst(net, c, Cp) * M;
        const float *src;
        float s;
        if (pos[c] >= 0) {
            src = nops ? m + (size_t)pos[c] * M : NULL;
            s = 1.0f;
        } else {
            src = xj + (size_t)c * M;
            s = bs;
        }
        if (!src) {
            if (first) memset(o, 0, M * sizeof *o);
        } else if (first) {
            for (size_t i = 0; i < M; i++) o[i] = s * src[i];
        } else {
            for (size_t i = 0; i < M; i++) o[i] += s * src[i];
        }
    }
}

/* Backward of pc_edge_forward from d = dL/dnode: accumulates into dnj (the
 * source node's gradient) and the weights; g[o] = <d on the selected
 * channels, op_o>; returns <d, bypass> (when arch). */
static double pc_edge_backward(ws_net *net, ws_cell *cell, int e, const float *d, float *dnj,
                               const int *ops, const float *coef, int nops, double *g, int arch)
{
    int C = cell->C, Cp = cell->Cp, B = net->B, H = cell->H, W = cell->W;
    size_t M = (size_t)B * H * W, np = (size_t)Cp * M;
    WS_ASSERT(cell->pc_ran[e]);
    const int *sel = cell->pc_sel[e], *pos = cell->pc_pos[e];
    const float *xs = cell->pc_in[e], *xj = cell->node[ws_edge_src[e]];
    if (nops) {
#pragma omp parallel for schedule(static)
        for (int i = 0; i < Cp; i++)
            memcpy(net->pc_d + (size_t)i * M, d + pc_dst(net, sel[i], Cp) * M,
                   M * sizeof(float));
        zero(net->pc_dx, np);
        if (cell->pc_relu_used[e]) zero(net->pc_drelu, np);
        if (cell->pc_pool_used[e]) zero(net->pc_dpool, np);
        edge_backward(net, cell, e, ops, coef, nops, net->pc_d, xs, cell->pc_relu[e],
                      cell->pc_pool[e], net->pc_dx, net->pc_drelu, net->pc_dpool, Cp, arch, g,
                      NULL);
        if (cell->pc_relu_used[e]) ws_relu_backward(net->pc_dx, net->pc_drelu, xs, np);
        if (cell->pc_pool_used[e]) ws_avgpool3_backward(net->pc_dx, net->pc_dpool, Cp, B, H, W);
    }
    float bs = net->mix.mode == WS_MIX_SINGLE ? 1.0f : net->mix.edge_scale[e];
    double *p = net->dot_part;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float *o = dnj + (size_t)c * M;
        p[c] = 0.0;
        if (pos[c] >= 0) {
            if (!nops) continue;
            const float *s = net->pc_dx + (size_t)pos[c] * M;
            for (size_t i = 0; i < M; i++) o[i] += s[i];
        } else {
            const float *s = d + pc_dst(net, c, Cp) * M, *x = xj + (size_t)c * M;
            if (arch) {
                double unused;
                run_sums(x, s, M, &unused, &p[c]);
            }
            for (size_t i = 0; i < M; i++) o[i] += bs * s[i];
        }
    }
    double t = 0.0;
    for (int c = 0; c < C; c++) t += p[c];
    return t;
}

/* ---- the cell -------------------------------------------------------------- */

void ws_cell_plan_own_(ws_cell *cell, ws_cell_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    for (int i = 1; i < 4; i++) plan->node[i] = cell->nodebuf[i];
    for (int j = 0; j < 3; j++) plan->relu[j] = cell->relu[j], plan->pool[j] = cell->pool[j];
    for (int e = 0; e < WS_EDGES; e++) plan->live[e] = 1;
}

/* dead[j] = 1 for the nodes j (1, 2) whose value cannot reach node 3: every
 * edge out of j runs no op (none in a single-path mix) or ends in a dead
 * node.  Their edges in would run for nothing (node 3 and the loss do not
 * depend on them; in the backward their gradient is exactly zero, so every
 * weight, input and mixing-weight gradient they would add is +0.0), so
 * neither pass computes them.  Only for single-path mixes of a supernet
 * without partial channels and without cell BN running statistics (which
 * PyTorch would still move), and not while scoring (score.c plans its own
 * edges). */
static void cell_dead_nodes(const ws_net *net, const ws_cell *cell, int dead[4])
{
    for (int j = 0; j < 4; j++) dead[j] = 0;
    const ws_net_config *c = &net->cfg;
    int mode = net->mix.mode;
    if (c->standalone || cell->Cp || c->cell_bn_track || net->score_scratch ||
        (mode != WS_MIX_SINGLE && mode != WS_MIX_HARD_ST))
        return;
    for (int j = 2; j >= 1; j--) {
        int reach = 0;
        for (int e = 0; e < WS_EDGES; e++) {
            if (ws_edge_src[e] != j || dead[ws_edge_dst[e]]) continue;
            int ops[WS_OP_COUNT];
            float coef[WS_OP_COUNT], s;
            reach |= edge_ops(net, cell, &net->mix, e, ops, coef, &s) > 0;
        }
        dead[j] = !reach;
    }
}

void ws_net_cell_forward_(ws_net *net, ws_cell *cell, const float *x, int train,
                          const ws_cell_plan *pl)
{
    const ws_mix *mix = &net->mix;
    int C = cell->C;
    size_t M = (size_t)net->B * cell->H * cell->W, n = (size_t)C * M;
    cell->node[0] = x;
    for (int i = 1; i < 4; i++) cell->node[i] = pl->node[i];
    for (int j = 0; j < 3; j++)
        if (!pl->keep[j]) cell->relu_used[j] = cell->pool_used[j] = 0;
    for (int e = 0; e < WS_EDGES; e++) cell->pc_ran[e] = 0;
    cell_dead_nodes(net, cell, cell->dead);
    for (int i = 1; i < 4; i++) {
        if (pl->keep[i] || cell->dead[i]) continue;
        float *node = pl->node[i];
        int first = 1, any = 0;
        float scal = 0.0f;
        if (net->score_scratch && !cell->Cp) {
            first = !node_forward_score(net, cell, i, pl, node, train);
            for (int e = 0; e < WS_EDGES; e++) any |= ws_edge_dst[e] == i && pl->live[e];
        }
        for (int e = 0; e < WS_EDGES && !(net->score_scratch && !cell->Cp); e++) {
            if (ws_edge_dst[e] != i || !pl->live[e]) continue;
            int j = ws_edge_src[e];
            int ops[WS_OP_COUNT];
            float coef[WS_OP_COUNT], s;
            int nops = edge_ops(net, cell, mix, e, ops, coef, &s);
            scal += s;
            any = 1;
            if (cell->Cp) {
                pc_edge_forward(net, cell, e, cell->node[j], node, ops, coef, nops, train, first);
                first = 0;
                continue;
            }
            edge_forward(net, cell, e, ops, coef, nops, cell->node[j], C, pl->relu[j],
                         &cell->relu_used[j], pl->pool[j], &cell->pool_used[j], node, first,
                         train);
            if (nops) first = 0;
        }
        int read = i == 3;
        for (int e = 0; e < WS_EDGES; e++) read |= ws_edge_src[e] == i && pl->live[e];
        if (!any && !read) continue; /* nothing reads node i: not computed */
        if (first || scal != 0.0f) add_scalar(node, scal, n, first);
    }
}

/* dst += contributions of node j's relu and pool branches */
static void node_finish_grad(ws_net *net, ws_cell *cell, int j, float *dn, const float *dpool)
{
    size_t M = (size_t)net->B * cell->H * cell->W, n = (size_t)cell->C * M;
    if (cell->relu_used[j])
        ws_net_relu_backward_(net, cell->relu[j], dn, net->drelu[j], cell->node[j], n);
    if (cell->pool_used[j])
        ws_avgpool3_backward(dn, dpool ? dpool : net->dpool[j], cell->C, net->B, cell->H, cell->W);
}

/* Nodes j whose pool gradient needs no buffer: one edge out of j pools it
 * (the edge's one op, coefficient 1) and no architecture gradient is formed
 * (the pooled tensor is not read).  That edge's backward would add 1 * d into
 * the zeroed dpool[j], whose values are then d's (but -0.0 read as +0.0, which
 * gives the same sums into d(node j), a buffer that only ever receives
 * additions), so the pool's backward reads d itself: pool_edge[j] = that
 * edge, else -1. */
static void cell_pool_direct(const ws_net *net, const ws_cell *cell, int arch, int pool_edge[3])
{
    for (int j = 0; j < 3; j++) pool_edge[j] = -1;
    if (arch || cell->Cp) return;
    int count[3] = {0, 0, 0};
    for (int e = 0; e < WS_EDGES; e++) {
        int j = ws_edge_src[e];
        if (cell->dead[ws_edge_dst[e]]) continue;
        int ops[WS_OP_COUNT];
        float coef[WS_OP_COUNT], s;
        int nops = edge_ops(net, cell, &net->mix, e, ops, coef, &s);
        for (int k = 0; k < nops; k++) {
            if (ops[k] != WS_OP_AVGPOOL) continue;
            count[j]++;
            pool_edge[j] = nops == 1 && coef[k] == 1.0f ? e : -2;
        }
    }
    for (int j = 0; j < 3; j++)
        if (count[j] != 1 || pool_edge[j] < 0) pool_edge[j] = -1;
}

/* dx (zeroed here) = dL/d(cell input) from dout = dL/d(node 3). */
static void cell_backward(ws_net *net, ws_cell *cell, const float *dout, float *dx,
                          ws_mix_grad *dmix)
{
    const ws_mix *mix = &net->mix;
    int C = cell->C;
    size_t M = (size_t)net->B * cell->H * cell->W, n = (size_t)C * M;
    int arch = dmix && !net->cfg.standalone && mix->mode != WS_MIX_SINGLE;
    float *dn[3] = {dx, net->dnode[0], net->dnode[1]};
    int pool_edge[3];
    const float *pool_d[3] = {NULL, NULL, NULL}; /* d of pool_edge[j]'s destination */
    cell_pool_direct(net, cell, arch, pool_edge);
    /* the (up to 9) gradient buffers zeroed in one parallel region, each
     * in ZPARTS contiguous parts */
    float *zb[9];
    int nz = 0;
    for (int j = 0; j < 3; j++) {
        if (cell->dead[j]) continue; /* nothing writes or reads it */
        zb[nz++] = dn[j];
        if (cell->relu_used[j]) zb[nz++] = net->drelu[j];
        if (cell->pool_used[j] && pool_edge[j] < 0) zb[nz++] = net->dpool[j];
    }
    enum { ZPARTS = 8 };
#pragma omp parallel for schedule(static)
    for (int q = 0; q < nz * ZPARTS; q++) {
        size_t a = n * (size_t)(q % ZPARTS) / ZPARTS, b = n * (size_t)(q % ZPARTS + 1) / ZPARTS;
        zero(zb[q / ZPARTS] + a, b - a);
    }
    for (int i = 3; i >= 1; i--) {
        if (cell->dead[i]) continue; /* its gradient is zero: its edges add +0.0 */
        if (i < 3) node_finish_grad(net, cell, i, dn[i], pool_d[i]);
        const float *d = i == 3 ? dout : dn[i];
        double S = 0.0;
        int have_S = 0;
        for (int e = 0; e < WS_EDGES; e++) {
            if (ws_edge_dst[e] != i) continue;
            int j = ws_edge_src[e];
            int ops[WS_OP_COUNT];
            float coef[WS_OP_COUNT], s;
            int nops = edge_ops(net, cell, mix, e, ops, coef, &s);
            if (pool_edge[j] == e) { /* its pool's backward reads d (node_finish_grad) */
                pool_d[j] = d;
                continue;
            }
            double g[WS_OP_COUNT] = {0}, ds = 0.0, sd = 0.0;
            /* HARD_ST needs S = sum d: the first edge that runs forms it
             * in its pass over d */
            double *want_sd = arch && mix->mode == WS_MIX_HARD_ST && !have_S ? &sd : NULL;
            int sd_ran = 0;
            if (cell->Cp)
                ds = pc_edge_backward(net, cell, e, d, dn[j], ops, coef, nops, g, arch);
            else
                sd_ran = edge_backward(net, cell, e, ops, coef, nops, d, cell->node[j],
                                       cell->relu[j], cell->pool[j], dn[j], net->drelu[j],
                                       net->dpool[j], C, arch, g, want_sd);
            if (!arch) continue;
            float se = mix->edge_scale[e];
            if (mix->mode == WS_MIX_HARD_ST) {
                int k = mix->sel[e];
                if (!have_S && want_sd && sd_ran) {
                    S = sd;
                    have_S = 1;
                }
                if (!have_S) {
                    S = sum_all(net, d, C, M);
                    have_S = 1;
                }
                for (int o = 0; o < WS_OP_COUNT; o++) {
                    double go = o == k ? g[o] : S;
                    dmix->dw[e][o] += (float)(se * go);
                    ds += mix->w[e][o] * go;
                }
            } else {
                for (int o = 0; o < WS_OP_COUNT; o++) {
                    dmix->dw[e][o] += (float)(se * g[o]);
                    ds += mix->w[e][o] * g[o];
                }
            }
            dmix->dedge_scale[e] += (float)ds;
        }
    }
    node_finish_grad(net, cell, 0, dn[0], pool_d[0]);
}

/* ---- reduction block, stem, head ---------------------------------------- */

/* out = conv3x3(relu(x), stride) (pad 1): with the ReLU fused into the
 * convolution's reads, or through relu_buf where the kernels cannot. */
static void conv_relu_forward(ws_net *net, float *out, const float *x, float *relu_buf,
                              const float *w, int B, int Cin, int H, int W, int Cout, int stride)
{
    if (relu_fused(net, Cin, H, W, Cout, 3, stride, 1)) {
        ws_conv2d_relu_forward(out, x, w, B, Cin, H, W, Cout, 3, stride, 1, net->work);
        return;
    }
    ws_net_relu_forward_(net, relu_buf, x, (size_t)Cin * B * H * W);
    ws_conv2d_forward(out, relu_buf, w, B, Cin, H, W, Cout, 3, stride, 1, net->work);
}

/* Backward of conv_relu_forward: dx (the gradient of x) += relu'(x) * the
 * convolution's input gradient; dw += its weight gradient (NULL: none). */
static void conv_relu_backward(ws_net *net, float *dx, float *dw, const float *dout,
                               const float *x, const float *relu_buf, const float *w, int B,
                               int Cin, int H, int W, int Cout, int stride)
{
    if (relu_fused(net, Cin, H, W, Cout, 3, stride, 1)) {
        ws_conv2d_relu_backward(dx, dw, dout, x, w, B, Cin, H, W, Cout, 3, stride, 1, net->work);
        return;
    }
    size_t n = (size_t)Cin * B * H * W;
    zero(net->scr_c, n);
    ws_conv2d_backward(net->scr_c, dw, dout, relu_buf, w, B, Cin, H, W, Cout, 3, stride, 1,
                       net->work);
    ws_net_relu_backward_(net, relu_buf, dx, net->scr_c, x, n);
}

void ws_net_red_forward_(ws_net *net, ws_redblock *r, const float *x, int train)
{
    int B = net->B, H = r->H, W = r->W, Ho = H / 2, Wo = W / 2;
    size_t Mo = (size_t)B * Ho * Wo;
    conv_relu_forward(net, net->scr_a, x, r->relu_a, r->wa, B, r->Cin, H, W, r->Cout, 2);
    bn_forward(net, &r->bna, r->out_a, net->scr_a, r->bna.g, r->bna.b, r->Cout, (int)Mo, train);
    conv_relu_forward(net, net->scr_a, r->out_a, r->relu_b, r->wb, B, r->Cout, Ho, Wo, r->Cout, 1);
    bn_forward(net, &r->bnb, r->out, net->scr_a, r->bnb.g, r->bnb.b, r->Cout, (int)Mo, train);
    ws_avgpool2_forward(r->pooled, x, r->Cin, B, H, W);
    ws_conv2d_forward(net->scr_a, r->pooled, r->ws, B, r->Cin, Ho, Wo, r->Cout, 1, 1, 0,
                      net->work);
    accum_affine(r->out, net->scr_a, 1.0f, NULL, NULL, r->Cout, Mo, 0);
}

/* dx (zeroed here) from dout; x is the block input. */
static void red_backward(ws_net *net, ws_redblock *r, const float *x, const float *dout,
                         float *dx)
{
    int B = net->B, H = r->H, W = r->W, Ho = H / 2, Wo = W / 2;
    size_t Mo = (size_t)B * Ho * Wo, nin = (size_t)r->Cin * B * H * W, nout = r->Cout * Mo;
    zero(dx, nin);
    int wg = net->wgrad;
    if (net->probe && wg) { /* the shortcut's output is not kept: recompute it */
        ws_conv2d_forward(net->scr_c, r->pooled, r->ws, B, r->Cin, Ho, Wo, r->Cout, 1, 1, 0,
                          net->work);
        net->probe(net->probe_ctx, r->Cin, net->scr_c, NULL, NULL, dout, r->Cout, B, Ho * Wo);
    }
    /* shortcut */
    zero(net->scr_a, (size_t)r->Cin * Mo);
    ws_conv2d_backward(net->scr_a, wg ? r->dws : NULL, dout, r->pooled, r->ws, B, r->Cin, Ho, Wo,
                       r->Cout, 1, 1, 0, net->work);
    ws_avgpool2_backward(dx, net->scr_a, r->Cin, B, H, W);
    /* branch b */
    zero(net->scr_b, nout);
    ws_batchnorm_backward(net->scr_b, wg ? r->bnb.dg : NULL, wg ? r->bnb.db : NULL, dout,
                          r->bnb.xhat, r->bnb.rstd, r->bnb.g, r->Cout, (int)Mo);
    if (net->probe && wg)
        net->probe(net->probe_ctx, r->Cout * 9, r->bnb.xhat, r->bnb.mean, r->bnb.rstd, net->scr_b,
                   r->Cout, B, Ho * Wo);
    zero(net->scr_a, nout);
    conv_relu_backward(net, net->scr_a, wg ? r->dwb : NULL, net->scr_b, r->out_a, r->relu_b,
                       r->wb, B, r->Cout, Ho, Wo, r->Cout, 1);
    /* branch a */
    zero(net->scr_b, nout);
    ws_batchnorm_backward(net->scr_b, wg ? r->bna.dg : NULL, wg ? r->bna.db : NULL, net->scr_a,
                          r->bna.xhat, r->bna.rstd, r->bna.g, r->Cout, (int)Mo);
    if (net->probe && wg)
        net->probe(net->probe_ctx, r->Cin * 9, r->bna.xhat, r->bna.mean, r->bna.rstd, net->scr_b,
                   r->Cout, B, Ho * Wo);
    conv_relu_backward(net, dx, wg ? r->dwa : NULL, net->scr_b, x, r->relu_a, r->wa, B, r->Cin,
                       H, W, r->Cout, 2);
}

void ws_net_stem_forward_(ws_net *net, const float *x, const int *labels, int B, int train)
{
    const ws_net_config *c = &net->cfg;
    WS_ASSERT(B >= 1 && B <= c->max_batch);
    net->B = B;
    memcpy(net->labels, labels, (size_t)B * sizeof *labels);
    int S = c->in_size, Cin = c->in_channels;
    size_t HW = (size_t)S * S;
    /* (B, Cin, H, W) -> (Cin, B, H, W) */
#pragma omp parallel for collapse(2) schedule(static)
    for (int ch = 0; ch < Cin; ch++)
        for (int b = 0; b < B; b++)
            memcpy(net->x_in + ((size_t)ch * B + b) * HW, x + ((size_t)b * Cin + ch) * HW,
                   HW * sizeof(float));
    ws_conv2d_forward(net->scr_a, net->x_in, net->stem_w, B, Cin, S, S, c->C, 3, 1, 1, net->work);
    bn_forward(net, &net->stem_bn, net->stem_out, net->scr_a, net->stem_bn.g, net->stem_bn.b,
               c->C, (int)(B * HW), train);
}

float ws_net_head_forward_(ws_net *net, const float *x, int train, int *correct)
{
    int B = net->B, Cf = net->Cf;
    size_t Mf = (size_t)B * net->Hf * net->Hf;
    bn_forward(net, &net->head_bn, net->head_bn_out, x, net->head_bn.g, net->head_bn.b, Cf,
               (int)Mf, train);
    ws_net_relu_forward_(net, net->head_relu, net->head_bn_out, Cf * Mf);
    ws_gap_forward(net->gap, net->head_relu, Cf, B, net->Hf, net->Hf);
    ws_linear_forward(net->logits, net->gap, net->fc_w, net->fc_b, B, Cf, net->cfg.classes);
    return ws_crossentropy_forward(net->probs, net->logits, net->labels, B, net->cfg.classes,
                                   correct);
}

float ws_net_forward(ws_net *net, const float *x, const int *labels, int B, const ws_mix *mix,
                     int train, int *correct)
{
    const ws_net_config *c = &net->cfg;
    WS_ASSERT(c->standalone || mix != NULL);
    net->last_train = train;
    net->stats_frozen = net->score_scratch = 0;
    net->score.ready = 0; /* the stem and cell buffers are overwritten */
    if (mix)
        net->mix = *mix;
    else
        ws_mix_init(&net->mix, WS_MIX_SINGLE);
    ws_net_stem_forward_(net, x, labels, B, train);
    const float *cur = net->stem_out;
    for (int k = 0; k < net->n_cells; k++) {
        if (k > 0 && k % c->N == 0) {
            ws_redblock *r = &net->red[k / c->N - 1];
            ws_net_red_forward_(net, r, cur, train);
            cur = r->out;
        }
        ws_cell_plan plan;
        ws_cell_plan_own_(&net->cells[k], &plan);
        ws_net_cell_forward_(net, &net->cells[k], cur, train, &plan);
        cur = net->cells[k].node[3];
    }
    net->have_forward = 1;
    return ws_net_head_forward_(net, cur, train, correct);
}

/* dlogits NULL: the cross-entropy's; dx NULL: no input gradient. */
static void net_backward(ws_net *net, ws_mix_grad *dmix, const float *dlogits, float *dx)
{
    const ws_net_config *c = &net->cfg;
    int wg = net->wgrad;
    WS_ASSERT(net->have_forward && net->last_train);
    int B = net->B, Cf = net->Cf, K = c->classes;
    size_t Mf = (size_t)B * net->Hf * net->Hf;
    if (dmix) memset(dmix, 0, sizeof *dmix);
    zero(net->dlogits, (size_t)B * K);
    if (dlogits)
        memcpy(net->dlogits, dlogits, (size_t)B * K * sizeof *dlogits);
    else
        ws_crossentropy_backward(net->dlogits, net->probs, net->labels, B, K, 1.0f);
    zero(net->dgap, (size_t)B * Cf);
    ws_linear_backward(net->dgap, wg ? net->fc_dw : NULL, wg ? net->fc_db : NULL, net->dlogits,
                       net->gap, net->fc_w, B, Cf, K);
    float *dA = net->dact[0], *dB = net->dact[1];
    zero(net->scr_a, Cf * Mf);
    ws_gap_backward(net->scr_a, net->dgap, Cf, B, net->Hf, net->Hf);
    zero(net->scr_b, Cf * Mf);
    ws_net_relu_backward_(net, net->head_relu, net->scr_b, net->scr_a, net->head_bn_out, Cf * Mf);
    zero(dA, Cf * Mf);
    ws_batchnorm_backward(dA, wg ? net->head_bn.dg : NULL, wg ? net->head_bn.db : NULL,
                          net->scr_b, net->head_bn.xhat, net->head_bn.rstd, net->head_bn.g, Cf,
                          (int)Mf);
    for (int k = net->n_cells - 1; k >= 0; k--) {
        ws_cell *cell = &net->cells[k];
        cell_backward(net, cell, dA, dB, dmix);
        float *t = dA;
        dA = dB;
        dB = t;
        if (k > 0 && k % c->N == 0) {
            ws_redblock *r = &net->red[k / c->N - 1];
            const float *x = net->cells[k - 1].node[3];
            red_backward(net, r, x, dA, dB);
            t = dA;
            dA = dB;
            dB = t;
        }
    }
    if (!wg) return; /* the stem's input needs no gradient */
    int S = c->in_size;
    size_t M = (size_t)B * S * S;
    zero(net->scr_a, (size_t)c->C * M);
    ws_batchnorm_backward(net->scr_a, net->stem_bn.dg, net->stem_bn.db, dA, net->stem_bn.xhat,
                          net->stem_bn.rstd, net->stem_bn.g, c->C, (int)M);
    if (net->probe)
        net->probe(net->probe_ctx, c->in_channels * 9, net->stem_bn.xhat, net->stem_bn.mean,
                   net->stem_bn.rstd, net->scr_a, c->C, B, S * S);
    int Cin = c->in_channels;
    size_t HW = (size_t)S * S;
    if (dx) zero(net->scr_b, (size_t)Cin * M);
    ws_conv2d_backward(dx ? net->scr_b : NULL, net->stem_dw, net->scr_a, net->x_in, net->stem_w, B,
                       Cin, S, S, c->C, 3, 1, 1, net->work);
    if (!dx) return;
    /* (Cin, B, H, W) -> (B, Cin, H, W) */
#pragma omp parallel for collapse(2) schedule(static)
    for (int ch = 0; ch < Cin; ch++)
        for (int b = 0; b < B; b++)
            memcpy(dx + ((size_t)b * Cin + ch) * HW, net->scr_b + ((size_t)ch * B + b) * HW,
                   HW * sizeof(float));
}

void ws_net_backward(ws_net *net, ws_mix_grad *dmix)
{
    net->wgrad = 1;
    net_backward(net, dmix, NULL, NULL);
}

void ws_net_backward_arch(ws_net *net, ws_mix_grad *dmix)
{
    WS_ASSERT(dmix != NULL);
    net->wgrad = 0;
    net_backward(net, dmix, NULL, NULL);
}

void ws_net_backward_logits(ws_net *net, const float *dlogits, float *dx)
{
    WS_ASSERT(dlogits != NULL);
    net->wgrad = 1;
    net_backward(net, NULL, dlogits, dx);
}

void ws_net_set_conv_probe(ws_net *net, ws_net_conv_probe fn, void *ctx)
{
    net->probe = fn;
    net->probe_ctx = fn ? ctx : NULL;
}

int ws_net_relus(const ws_net *net, ws_net_relu *out, int cap)
{
    const ws_net_config *c = &net->cfg;
    WS_ASSERT(net->have_forward && c->pc_k == 1);
    int n = 0;
#define PUT(p, ch, hw, k, e)                                                                  \
    do {                                                                                      \
        if (n < cap) out[n] = (ws_net_relu){.x = (p), .C = (ch), .HW = (hw), .cell = (k),     \
                                            .edge = (e)};                                     \
        n++;                                                                                  \
    } while (0)
    for (int k = 0; k < net->n_cells; k++) {
        if (k > 0 && k % c->N == 0) {
            const ws_redblock *r = &net->red[k / c->N - 1];
            int rb = k / c->N - 1;
            PUT(net->cells[k - 1].node[3], r->Cin, r->H * r->W, -1 - rb, 0);
            PUT(r->out_a, r->Cout, (r->H / 2) * (r->W / 2), -1 - rb, 1);
        }
        const ws_cell *cell = &net->cells[k];
        for (int e = 0; e < WS_EDGES; e++) {
            if (cell->dead[ws_edge_dst[e]]) continue; /* its convolutions did not run */
            int ops[WS_OP_COUNT];
            float coef[WS_OP_COUNT], s;
            int nops = edge_ops(net, cell, &net->mix, e, ops, coef, &s);
            for (int q = 0; q < nops; q++)
                if (ops[q] == WS_OP_CONV1X1 || ops[q] == WS_OP_CONV3X3)
                    PUT(cell->node[ws_edge_src[e]], cell->C, cell->H * cell->W, k, e);
        }
    }
    PUT(net->head_bn_out, net->Cf, net->Hf * net->Hf, -3, 0);
#undef PUT
    return n;
}
