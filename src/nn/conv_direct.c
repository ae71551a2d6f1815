/* conv_direct.c: direct AVX-512 (and AVX2 + FMA) convolution kernels for the
 * shapes NB201 runs most, on channel-major data: 1x1 stride 1 (a per-pixel
 * channel mix) and 3x3 stride 1 pad 1.  They avoid im2col and the GEMM's
 * packing, which dominate at C=16.  conv.c calls them when
 * ws_conv_direct_ok() says the shape fits and falls back to im2col + GEMM
 * otherwise (and when neither AVX-512F nor AVX2 is there).  The AVX2 forms
 * (after the AVX-512 ones) keep their structure with 8-lane vectors and
 * smaller register blocks; the AVX-512 code is unchanged by them.
 * The 3x3 kernels also serve stride 2 (pad 1) through a polyphase split.
 *
 * Determinism: every output element (and every weight gradient) is summed in
 * a fixed order that does not depend on the thread count: forward and dinp
 * split output pixels among threads; dweight splits the weight entries among
 * threads, each summing over images in order. */
#include "nn_internal.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>

/* ---- shared by the AVX-512 and AVX2 3x3 kernels (described below): the taps'
 * shifts and the polyphase split of stride 2 */
typedef struct c3_taps {
    int n;          /* number of taps */
    int id[9];      /* weight tap index ky*3+kx */
    long off[9];    /* float offset of the source pixel from the output pixel */
    int dy[9], dx[9];
} c3_taps;

/* Stride 1: shift (ky-1,kx-1) in the plane itself (sign -1 flips it). */
static void c3_taps_s1(c3_taps *tp, int W, int sign)
{
    tp->n = 9;
    for (int t = 0; t < 9; t++) {
        tp->id[t] = t;
        tp->dy[t] = sign * (t / 3 - 1), tp->dx[t] = sign * (t % 3 - 1);
        tp->off[t] = (long)tp->dy[t] * W + tp->dx[t];
    }
}
/* Stride 2 over polyphase sub-planes q = py*2+px, each qstride floats apart:
 * input row 2*oy + ky - 1 = 2*(oy+dy) + py.  Only taps of sub-plane `only`
 * (or all when only < 0); sign -1 gives the transposed (dinp) shifts. */
static void c3_taps_s2(c3_taps *tp, int Wo, size_t qstride, int only, int sign)
{
    tp->n = 0;
    for (int t = 0; t < 9; t++) {
        int ky = t / 3, kx = t % 3;
        int py = (ky + 1) & 1, px = (kx + 1) & 1, q = py * 2 + px;
        if (only >= 0 && q != only) continue;
        int k = tp->n++;
        tp->id[k] = t;
        tp->dy[k] = sign * (ky == 0 ? -1 : 0), tp->dx[k] = sign * (kx == 0 ? -1 : 0);
        tp->off[k] = (only >= 0 ? 0 : (long)(q * qstride)) + (long)tp->dy[k] * Wo + tp->dx[k];
    }
}

/* sub[q][c][n][oy][ox] = in[c][n][2oy+py][2ox+px] (relu: max(in, 0)), q =
 * py*2+px (H, W even). */
static void c3_polyphase(float *sub, const float *in, int C, int N, int H, int W, int relu)
{
    int Ho = H / 2, Wo = W / 2;
    size_t P = (size_t)C * N, qs = P * Ho * Wo;
#pragma omp parallel for schedule(static)
    for (size_t pl = 0; pl < P; pl++) {
        const float *x = in + pl * H * W;
        for (int oy = 0; oy < Ho; oy++)
            for (int py = 0; py < 2; py++) {
                const float *r = x + (size_t)(2 * oy + py) * W;
                float *d0 = sub + (size_t)(py * 2) * qs + (pl * Ho + oy) * Wo, *d1 = d0 + qs;
                if (relu)
                    for (int ox = 0; ox < Wo; ox++) {
                        d0[ox] = r[2 * ox] > 0.0f ? r[2 * ox] : 0.0f;
                        d1[ox] = r[2 * ox + 1] > 0.0f ? r[2 * ox + 1] : 0.0f;
                    }
                else
                    for (int ox = 0; ox < Wo; ox++) {
                        d0[ox] = r[2 * ox];
                        d1[ox] = r[2 * ox + 1];
                    }
            }
    }
}
/* dinp[c][n][2oy+py][2ox+px] += sub[q][c][n][oy][ox] */
/* gate (dinp's layout) non-NULL: only where gate > 0. */
static void c3_polyphase_add(float *dinp, const float *sub, int C, int N, int H, int W,
                             const float *gate)
{
    int Ho = H / 2, Wo = W / 2;
    size_t P = (size_t)C * N, qs = P * Ho * Wo;
#pragma omp parallel for schedule(static)
    for (size_t pl = 0; pl < P; pl++) {
        float *x = dinp + pl * H * W;
        for (int oy = 0; oy < Ho; oy++)
            for (int py = 0; py < 2; py++) {
                float *r = x + (size_t)(2 * oy + py) * W;
                const float *s0 = sub + (size_t)(py * 2) * qs + (pl * Ho + oy) * Wo, *s1 = s0 + qs;
                const float *gr = gate ? gate + pl * H * W + (size_t)(2 * oy + py) * W : NULL;
                if (gr)
                    for (int ox = 0; ox < Wo; ox++) {
                        r[2 * ox] += gr[2 * ox] > 0.0f ? s0[ox] : 0.0f;
                        r[2 * ox + 1] += gr[2 * ox + 1] > 0.0f ? s1[ox] : 0.0f;
                    }
                else
                    for (int ox = 0; ox < Wo; ox++) {
                        r[2 * ox] += s0[ox];
                        r[2 * ox + 1] += s1[ox];
                    }
            }
    }
}
#endif

#ifdef __AVX512F__

/* ---- 1x1: out(Cout, P) (+)= w(Cout, Cin) * in(Cin, P), element (o,i) at w[o*so + i*si] */
#define PW_MAXW 4096 /* Cout*Cin bound of pw_mix16's packed weights */
static void pw_mix16(float *out, const float *in, const float *w, int so, int si, int Cout,
                     int Cin, size_t P, int accumulate, int relu);
static void pw_mix16_gated(float *out, const float *in, const float *w, int so, int si, int Cout,
                           int Cin, size_t P, const float *gate);
/* relu: the input is read as max(in, 0) (ReLU -> conv without a ReLU tensor);
 * gate (Cout, P) non-NULL: out += (gate > 0 ? result : 0), the input
 * gradient of a ReLU before the convolution (accumulate must be 1). */
static void pw_mix(float *out, const float *in, const float *w, int so, int si, int Cout,
                   int Cin, size_t P, int accumulate, int relu, const float *gate)
{
    if (Cin % 16 == 0 && Cout % 8 == 0 && Cin * Cout <= PW_MAXW) {
        if (gate)
            pw_mix16_gated(out, in, w, so, si, Cout, Cin, P, gate);
        else
            pw_mix16(out, in, w, so, si, Cout, Cin, P, accumulate, relu);
        return;
    }
    const __m512 z = _mm512_setzero_ps();
    size_t nvec = (P + 15) / 16, npair = (nvec + 1) / 2;
#pragma omp parallel for schedule(static)
    for (size_t q = 0; q < npair; q++) {
        size_t p0 = q * 32;
        size_t rem0 = P - p0, rem1 = P > p0 + 16 ? P - p0 - 16 : 0;
        __mmask16 m0 = rem0 >= 16 ? 0xFFFF : (__mmask16)((1u << rem0) - 1);
        __mmask16 m1 = rem1 >= 16 ? 0xFFFF : (__mmask16)((1u << rem1) - 1);
        for (int o0 = 0; o0 < Cout; o0 += 8) {
            int nb = Cout - o0 < 8 ? Cout - o0 : 8;
            __m512 a0[8], a1[8];
            for (int j = 0; j < 8; j++) a0[j] = a1[j] = _mm512_setzero_ps();
            for (int i = 0; i < Cin; i++) {
                const float *s = in + (size_t)i * P + p0;
                __m512 x0 = _mm512_maskz_loadu_ps(m0, s), x1 = _mm512_maskz_loadu_ps(m1, s + 16);
                if (relu) x0 = _mm512_max_ps(x0, z), x1 = _mm512_max_ps(x1, z);
                const float *wp = w + (size_t)o0 * so + (size_t)i * si;
                for (int j = 0; j < 8; j++) {
                    __m512 b = _mm512_set1_ps(j < nb ? wp[(size_t)j * so] : 0.0f);
                    a0[j] = _mm512_fmadd_ps(b, x0, a0[j]);
                    a1[j] = _mm512_fmadd_ps(b, x1, a1[j]);
                }
            }
            for (int j = 0; j < nb; j++) {
                float *d = out + (size_t)(o0 + j) * P + p0;
                if (gate) {
                    const float *gp = gate + (size_t)(o0 + j) * P + p0;
                    a0[j] = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m0, gp), z, _CMP_GT_OQ), a0[j]);
                    a1[j] = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m1, gp + 16), z, _CMP_GT_OQ), a1[j]);
                }
                if (accumulate) {
                    a0[j] = _mm512_add_ps(a0[j], _mm512_maskz_loadu_ps(m0, d));
                    a1[j] = _mm512_add_ps(a1[j], _mm512_maskz_loadu_ps(m1, d + 16));
                }
                _mm512_mask_storeu_ps(d, m0, a0[j]);
                _mm512_mask_storeu_ps(d + 16, m1, a1[j]);
            }
        }
    }
}

/* pw_mix for Cin % 16 == 0, Cout % 8 == 0: one 16-pixel vector at a time, its
 * 16-channel input slice held in registers while every output channel group
 * of 8 is formed, so each input is loaded once per chunk of 16 channels. */
#define PW_PREFETCH 128 /* floats ahead (8 lines) */
/* Packed weights: block (c0/16, o0/8) holds 16x8 values [k][j] = w(o0+j, c0+k),
 * so every broadcast is a constant offset from one pointer; returns Cout / 8. */
static int pw_pack16(float *wp_all, const float *w, int so, int si, int Cout, int Cin)
{
    int nob = Cout / 8;
    for (int c0 = 0; c0 < Cin; c0 += 16)
        for (int o0 = 0; o0 < Cout; o0 += 8)
            for (int k = 0; k < 16; k++)
                for (int j = 0; j < 8; j++)
                    wp_all[((c0 / 16) * nob + o0 / 8) * 128 + k * 8 + j] =
                        w[(size_t)(o0 + j) * so + (size_t)(c0 + k) * si];
    return nob;
}
static void pw_mix16(float *out, const float *in, const float *w, int so, int si, int Cout,
                     int Cin, size_t P, int accumulate, int relu)
{
    const __m512 z = _mm512_setzero_ps();
    float wp_all[PW_MAXW];
    int nob = pw_pack16(wp_all, w, so, si, Cout, Cin);
    size_t nvec = (P + 15) / 16;
#pragma omp parallel for schedule(static)
    for (size_t v = 0; v < nvec; v++) {
        size_t p0 = v * 16;
        __mmask16 m = P - p0 >= 16 ? 0xFFFF : (__mmask16)((1u << (P - p0)) - 1);
        for (int c0 = 0; c0 < Cin; c0 += 16) {
            __m512 x[16];
            const float *src = in + (size_t)c0 * P + p0;
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++) x[k] = _mm512_maskz_loadu_ps(m, src + (size_t)k * P);
            if (relu) {
#pragma GCC unroll 16
                for (int k = 0; k < 16; k++) x[k] = _mm512_max_ps(x[k], z);
            }
            /* 16+ channel streams 256 KB apart defeat the hardware prefetcher */
            if (p0 + PW_PREFETCH < P) {
#pragma GCC unroll 16
                for (int k = 0; k < 16; k++) _mm_prefetch((const char *)(src + (size_t)k * P + PW_PREFETCH), _MM_HINT_T0);
            }
            const float *wblk = wp_all + (size_t)(c0 / 16) * nob * 128;
            for (int o0 = 0; o0 < Cout; o0 += 8, wblk += 128) {
                __m512 a[8];
                float *d = out + (size_t)o0 * P + p0;
#pragma GCC unroll 8
                for (int j = 0; j < 8; j++)
                    a[j] = (c0 > 0 || accumulate) ? _mm512_maskz_loadu_ps(m, d + (size_t)j * P)
                                                  : _mm512_setzero_ps();
#pragma GCC unroll 16
                for (int k = 0; k < 16; k++)
#pragma GCC unroll 8
                    for (int j = 0; j < 8; j++)
                        a[j] = _mm512_fmadd_ps(_mm512_set1_ps(wblk[k * 8 + j]), x[k], a[j]);
#pragma GCC unroll 8
                for (int j = 0; j < 8; j++) _mm512_mask_storeu_ps(d + (size_t)j * P, m, a[j]);
            }
        }
    }
}

/* pw_mix16 with a gate: out += (gate > 0 ? sum : 0).  Each output vector's
 * whole sum over input channels is formed in registers from zero (input
 * slices reloaded from L1 per group of 8 outputs), then added to out.
 * pw_gated_vec does the 16 pixels at p0 (mask m) with packed weights wp_all. */
static inline __attribute__((always_inline)) void
pw_gated_vec(float *out, const float *in, const float *wp_all, int nob, int Cout, int Cin,
             size_t P, size_t p0, __mmask16 m, const float *gate)
{
    const __m512 z = _mm512_setzero_ps();
    for (int o0 = 0; o0 < Cout; o0 += 8) {
        __m512 a[8];
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) a[j] = _mm512_setzero_ps();
        for (int c0 = 0; c0 < Cin; c0 += 16) {
            const float *src = in + (size_t)c0 * P + p0;
            const float *wblk = wp_all + ((size_t)(c0 / 16) * nob + o0 / 8) * 128;
            if (o0 == 0 && p0 + PW_PREFETCH < P) {
#pragma GCC unroll 16
                for (int k = 0; k < 16; k++) _mm_prefetch((const char *)(src + (size_t)k * P + PW_PREFETCH), _MM_HINT_T0);
            }
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++) {
                __m512 x = _mm512_maskz_loadu_ps(m, src + (size_t)k * P);
#pragma GCC unroll 8
                for (int j = 0; j < 8; j++)
                    a[j] = _mm512_fmadd_ps(_mm512_set1_ps(wblk[k * 8 + j]), x, a[j]);
            }
        }
        if (p0 + PW_PREFETCH < P) {
#pragma GCC unroll 8
            for (int j = 0; j < 8; j++) {
                size_t q = (size_t)(o0 + j) * P + p0 + PW_PREFETCH;
                _mm_prefetch((const char *)(gate + q), _MM_HINT_T0);
                _mm_prefetch((const char *)(out + q), _MM_HINT_T0);
            }
        }
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++) {
            float *d = out + (size_t)(o0 + j) * P + p0;
            __mmask16 g = _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, gate + (size_t)(o0 + j) * P + p0), z, _CMP_GT_OQ);
            _mm512_mask_storeu_ps(d, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, d), _mm512_maskz_mov_ps(g, a[j])));
        }
    }
}

static void pw_mix16_gated(float *out, const float *in, const float *w, int so, int si, int Cout,
                           int Cin, size_t P, const float *gate)
{
    float wp_all[PW_MAXW];
    int nob = pw_pack16(wp_all, w, so, si, Cout, Cin);
    size_t nvec = (P + 15) / 16;
#pragma omp parallel for schedule(static)
    for (size_t v = 0; v < nvec; v++) {
        size_t p0 = v * 16;
        __mmask16 m = P - p0 >= 16 ? 0xFFFF : (__mmask16)((1u << (P - p0)) - 1);
        pw_gated_vec(out, in, wp_all, nob, Cout, Cin, P, p0, m, gate);
    }
}

/* dw(Cout,Cin) += dout(Cout,P) * relu?(in)(Cin,P)^T.  Threads own 4x4 weight tiles;
 * positions go in blocks of PW_BLOCK, each block's sums added in order.
 * pw_dw_tile forms one block's sums r[a*4+c] of the tile at (o0, i0). */
#define PW_BLOCK 2048
static inline __attribute__((always_inline)) void
pw_dw_tile(float r[16], const float *dout, const float *in, int o0, int i0, int Cout, int Cin,
           size_t P, size_t b0, size_t bl, int relu)
{
    const __m512 z = _mm512_setzero_ps();
    __m512 acc[4][4];
    for (int a = 0; a < 4; a++)
        for (int c = 0; c < 4; c++) acc[a][c] = _mm512_setzero_ps();
    const float *g[4], *x[4];
    for (int a = 0; a < 4; a++) {
        g[a] = dout + (size_t)(o0 + a < Cout ? o0 + a : o0) * P + b0;
        x[a] = in + (size_t)(i0 + a < Cin ? i0 + a : i0) * P + b0;
    }
    for (size_t p = 0; p < bl; p += 16) {
        __mmask16 m = bl - p >= 16 ? 0xFFFF : (__mmask16)((1u << (bl - p)) - 1);
        __m512 gv[4], xv[4];
        for (int a = 0; a < 4; a++) {
            gv[a] = _mm512_maskz_loadu_ps(m, g[a] + p);
            xv[a] = _mm512_maskz_loadu_ps(m, x[a] + p);
            if (relu) xv[a] = _mm512_max_ps(xv[a], z);
        }
        for (int a = 0; a < 4; a++)
            for (int c = 0; c < 4; c++) acc[a][c] = _mm512_fmadd_ps(gv[a], xv[c], acc[a][c]);
    }
    for (int a = 0; a < 4; a++)
        for (int c = 0; c < 4; c++) r[a * 4 + c] = _mm512_reduce_add_ps(acc[a][c]);
}

static void pw_dweight(float *dw, const float *dout, const float *in, int Cout, int Cin, size_t P,
                       int relu)
{
    int tco = (Cout + 3) / 4, tci = (Cin + 3) / 4, ntile = tco * tci;
#pragma omp parallel
    for (size_t b0 = 0; b0 < P; b0 += PW_BLOCK) {
        size_t bl = P - b0 < PW_BLOCK ? P - b0 : PW_BLOCK;
#pragma omp for schedule(static) nowait
        for (int t = 0; t < ntile; t++) {
            int o0 = (t / tci) * 4, i0 = (t % tci) * 4;
            float r[16];
            pw_dw_tile(r, dout, in, o0, i0, Cout, Cin, P, b0, bl, relu);
            for (int a = 0; a < 4 && o0 + a < Cout; a++)
                for (int c = 0; c < 4 && i0 + c < Cin; c++)
                    dw[(size_t)(o0 + a) * Cin + i0 + c] += r[a * 4 + c];
        }
    }
}

/* Tile t of one block's ReLU-gated weight-gradient sums, stored (not added)
 * into that block's part pk (Cout x Cin). */
static void pw_dw_part_tile(float *pk, const float *dout, const float *in, int t, int tci,
                            int Cout, int Cin, size_t P, size_t b0, size_t bl)
{
    int o0 = (t / tci) * 4, i0 = (t % tci) * 4;
    float r[16];
    pw_dw_tile(r, dout, in, o0, i0, Cout, Cin, P, b0, bl, 1);
    for (int a = 0; a < 4 && o0 + a < Cout; a++)
        for (int c = 0; c < 4 && i0 + c < Cin; c++) pk[(size_t)(o0 + a) * Cin + i0 + c] = r[a * 4 + c];
}

/* The backward of a ReLU-fused 1x1 (pw_dweight with relu, then pw_mix16_gated
 * into dinp) in one pass over dout and in: threads take blocks of PW_BLOCK
 * positions, form each block's weight-gradient sums into part and the block's
 * input gradient while its operands are in L2; the sums are then added to dw
 * block by block in order.  Every value is the same expression in the same
 * order as the two kernels', so the same bits.  0: the shape is not served. */
#define PW_FUSED_MAX 16384 /* blocks x Cout x Cin of part */
static int pw_backward_relu(float *dinp, float *dw, const float *dout, const float *in,
                            const float *w, int Cout, int Cin, size_t P)
{
    size_t nblk = (P + PW_BLOCK - 1) / PW_BLOCK, nw = (size_t)Cout * Cin;
    if (Cout % 16 || Cin % 8 || nw > PW_MAXW || nblk * nw > PW_FUSED_MAX) return 0;
    float wp_all[PW_MAXW], part[PW_FUSED_MAX];
    int nob = pw_pack16(wp_all, w, 1, Cin, Cin, Cout);
    int tci = (Cin + 3) / 4, ntile = ((Cout + 3) / 4) * tci;
    if (nblk < (size_t)ws_nn_threads()) {
        /* fewer blocks than threads (small planes: 1024 positions at 4x4,
         * batch 64): the threads share each block, its weight tiles and its
         * pixel vectors split among them; every value is computed as below */
#pragma omp parallel
        for (size_t k = 0; k < nblk; k++) {
            size_t b0 = k * PW_BLOCK, bl = P - b0 < PW_BLOCK ? P - b0 : PW_BLOCK;
            float *pk = part + k * nw;
#pragma omp for schedule(static) nowait
            for (int t = 0; t < ntile; t++) {
                pw_dw_part_tile(pk, dout, in, t, tci, Cout, Cin, P, b0, bl);
            }
            size_t nv = (bl + 15) / 16;
#pragma omp for schedule(static) nowait
            for (size_t v = 0; v < nv; v++) {
                size_t p0 = b0 + v * 16;
                __mmask16 m = P - p0 >= 16 ? 0xFFFF : (__mmask16)((1u << (P - p0)) - 1);
                pw_gated_vec(dinp, dout, wp_all, nob, Cin, Cout, P, p0, m, in);
            }
        }
    } else {
#pragma omp parallel for schedule(static)
        for (size_t k = 0; k < nblk; k++) {
            size_t b0 = k * PW_BLOCK, bl = P - b0 < PW_BLOCK ? P - b0 : PW_BLOCK;
            float *pk = part + k * nw;
            for (int t = 0; t < ntile; t++) {
                pw_dw_part_tile(pk, dout, in, t, tci, Cout, Cin, P, b0, bl);
            }
            for (size_t p0 = b0; p0 < b0 + bl; p0 += 16) {
                __mmask16 m = P - p0 >= 16 ? 0xFFFF : (__mmask16)((1u << (P - p0)) - 1);
                pw_gated_vec(dinp, dout, wp_all, nob, Cin, Cout, P, p0, m, in);
            }
        }
    }
    for (size_t k = 0; k < nblk; k++)
        for (size_t i = 0; i < nw; i++) dw[i] += part[k * nw + i];
    return 1;
}

/* ---- 3x3, stride 1 pad 1 and stride 2 pad 1 -------------------------------------
 * A plane of H*W output pixels is covered by 16-lane vectors of consecutive
 * pixels (W % 16 == 0, or 16 % W == 0 so one vector spans 16/W rows).  Each
 * tap reads a source plane at a fixed float offset from the (ci,n) plane base,
 * shifted by (dy,dx) pixels, under a lane mask that zeroes pixels whose source
 * lies outside the plane (the padding).  Stride 1: the source is the input and
 * tap (ky,kx) has shift (ky-1,kx-1).  Stride 2: the source is the input split
 * into its four polyphase sub-planes (row and column parity), each of the
 * output's size, and every tap becomes a shift by -1 or 0 in one of them. */
typedef struct tap_masks {
    __mmask16 m[9];
} tap_masks;

static void c3_masks(tap_masks *tm, const c3_taps *tp, int H, int W)
{
    for (int v = 0; v < H * W / 16; v++)
        for (int t = 0; t < tp->n; t++) {
            unsigned m = 0;
            for (int l = 0; l < 16; l++) {
                int p = v * 16 + l, y = p / W + tp->dy[t], x = p % W + tp->dx[t];
                if (y >= 0 && y < H && x >= 0 && x < W) m |= 1u << l;
            }
            tm[v].m[t] = (__mmask16)m;
        }
}

/* out (Co,N,H,W) (+)= sum_ci sum_tap wt[(ci*9+id)*Co + co] * src(ci, tap);
 * src planes (ci,n) at src + (ci*N+n)*H*W, H x W the output plane.  The
 * N*H*W/16 vectors of one channel are numbered g = n*nvp + v (v the vector
 * in its plane, nvp per plane), so vector g of channel c sits at
 * c*N*H*W + g*16 whatever its image.  A block is NV consecutive vectors times
 * OB output channels (NV*OB accumulators); NT, OB and NV are compile-time
 * constants after inlining, so the loops unroll with constant offsets.  Each
 * output element is summed over (ci, tap) in that order whatever the
 * blocking or thread split. */
static inline __attribute__((always_inline)) void
c3_block(float *out, const float *src, const float *wt, size_t chs, int Ci, int Co, size_t g,
         int nvp, int accumulate, int relu, const float *gate, const tap_masks *tm, const long *off,
         const int *id, const int NT, const int OB, const int NV)
{
    const __m512 z = _mm512_setzero_ps();
    const tap_masks *mk[6];
    _Pragma("GCC unroll 6")
    for (int k = 0; k < 6; k++) mk[k] = &tm[(g + (size_t)(k < NV ? k : 0)) % (size_t)nvp];
    for (int o0 = 0; o0 < Co; o0 += OB) {
        __m512 a[6][8];
        _Pragma("GCC unroll 6")
        for (int k = 0; k < 6; k++) /* all, so the compiler sees them set */
            _Pragma("GCC unroll 8")
            for (int j = 0; j < 8; j++) a[k][j] = _mm512_setzero_ps();
        for (int ci = 0; ci < Ci; ci++) {
            const float *s = src + (size_t)ci * chs + g * 16;
            const float *wc = wt + (size_t)ci * 9 * Co + o0;
            _Pragma("GCC unroll 9")
            for (int t = 0; t < NT; t++) {
                __m512 x[6];
                _Pragma("GCC unroll 6")
                for (int k = 0; k < 6; k++)
                    x[k] = k < NV ? _mm512_maskz_loadu_ps(mk[k]->m[t], s + k * 16 + off[t])
                                  : _mm512_setzero_ps();
                if (relu) {
                    _Pragma("GCC unroll 6")
                    for (int k = 0; k < NV; k++) x[k] = _mm512_max_ps(x[k], z);
                }
                const float *w8 = wc + (size_t)id[t] * Co;
                _Pragma("GCC unroll 8")
                for (int j = 0; j < OB; j++) {
                    __m512 b = _mm512_set1_ps(w8[j]);
                    _Pragma("GCC unroll 6")
                    for (int k = 0; k < NV; k++) a[k][j] = _mm512_fmadd_ps(b, x[k], a[k][j]);
                }
            }
        }
        _Pragma("GCC unroll 8")
        for (int j = 0; j < OB; j++)
            _Pragma("GCC unroll 6")
            for (int k = 0; k < NV; k++) {
                size_t od = (size_t)(o0 + j) * chs + (g + (size_t)k) * 16;
                float *d = out + od;
                if (gate)
                    a[k][j] = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(gate + od), z, _CMP_GT_OQ), a[k][j]);
                if (accumulate) a[k][j] = _mm512_add_ps(a[k][j], _mm512_loadu_ps(d));
                _mm512_storeu_ps(d, a[k][j]);
            }
    }
}

/* The arguments of one c3_forward call, shared by its blocks. */
typedef struct c3_args {
    float *out;
    const float *src, *wt;
    size_t chs;
    int Ci, Co, nvp, accumulate, relu;
    const float *gate;
    const tap_masks *tm;
    long off[9];
    int id[9];
} c3_args;
typedef void (*c3_block_fn)(const c3_args *A, size_t g);
/* One specialisation per (taps, channels per block, vectors per block): the
 * OpenMP region calls them through a pointer, since GCC outlines a parallel
 * region before it inlines constants into it. */
#define C3_DEF(nt, ob, nv) C3_DEF_(nt, ob, nv)
#define C3_DEF_(nt, ob, nv)                                                                       \
    static void c3_block_##nt##_##ob##_##nv(const c3_args *A, size_t g)                          \
    {                                                                                             \
        c3_block(A->out, A->src, A->wt, A->chs, A->Ci, A->Co, g, A->nvp, A->accumulate, A->relu, \
                 A->gate, A->tm, A->off, A->id, nt, ob, nv);                                      \
    }
#define C3_NV8 3 /* vectors per block with 8 output channels (2 and 4 measured slower) */
#define C3_NV4 6 /* and with 4 */
#define C3_DEF_NT(nt) C3_DEF(nt, 8, C3_NV8) C3_DEF(nt, 8, 1) C3_DEF(nt, 4, C3_NV4) C3_DEF(nt, 4, 1)
C3_DEF_NT(9)
C3_DEF_NT(4)
C3_DEF_NT(2)
C3_DEF_NT(1)
#undef C3_DEF_NT
#undef C3_DEF
#undef C3_DEF_

/* gate (out's layout) non-NULL: only where gate > 0 is the sum added. */
static void c3_forward(float *out, const float *src, const float *wt, int N, int Ci, int H,
                       int W, int Co, int accumulate, int relu, const float *gate,
                       const c3_taps *tp)
{
    tap_masks tm[WS_C3_MAX_VEC];
    c3_masks(tm, tp, H, W);
    c3_args A = {out, src, wt, (size_t)N * H * W, Ci, Co, H * W / 16, accumulate, relu, gate, tm,
                 {0}, {0}};
    for (int t = 0; t < tp->n; t++) A.off[t] = tp->off[t], A.id[t] = tp->id[t];
    c3_block_fn fn, fn1;
    int nv;
#define C3_FN(nt, ob, nv) C3_FN_(nt, ob, nv)
#define C3_FN_(nt, ob, nv) c3_block_##nt##_##ob##_##nv
#define C3_PICK(nt)                                                                               \
    case nt:                                                                                      \
        if (Co % 8 == 0)                                                                          \
            fn = C3_FN(nt, 8, C3_NV8), fn1 = C3_FN(nt, 8, 1), nv = C3_NV8;                        \
        else                                                                                      \
            fn = C3_FN(nt, 4, C3_NV4), fn1 = C3_FN(nt, 4, 1), nv = C3_NV4;                        \
        break;
    switch (tp->n) {
    C3_PICK(9)
    C3_PICK(4)
    C3_PICK(2)
    C3_PICK(1)
    default: WS_ASSERT(0 && "c3_forward: unsupported tap count"); return;
    }
#undef C3_PICK
#undef C3_FN
#undef C3_FN_
    /* blocks of nv vectors, then single vectors for the remainder */
    size_t G = (size_t)N * A.nvp, nfull = G / (size_t)nv, items = nfull + (G - nfull * nv);
#pragma omp parallel for schedule(static)
    for (size_t it = 0; it < items; it++) {
        if (it < nfull)
            fn(&A, it * (size_t)nv);
        else
            fn1(&A, nfull * (size_t)nv + (it - nfull));
    }
}

/* dw (Co,Ci,3,3) += sum_n sum_p dout(co,n,p) * src(ci,n,tap,p), all 9 taps
 * (tp->id[t] == t).  Threads own tiles of (4 output channels, 2 input
 * channels, 1 tap row ky) = 24 vector accumulators; images go in groups of
 * about C3_GROUP_PIXELS pixels (their planes stay in L2), each group's sums
 * added to dw in image order (the grouping depends on the shape only). */
#define C3_GROUP_PIXELS 2048
static void c3_dweight(float *dw, const float *dout, const float *src, int N, int Ci, int H,
                       int W, int Co, int relu, const c3_taps *tp)
{
    const __m512 z = _mm512_setzero_ps();
    int HW = H * W, nv = HW / 16;
    tap_masks tm[WS_C3_MAX_VEC];
    c3_masks(tm, tp, H, W);
    int ng = HW >= C3_GROUP_PIXELS ? 1 : C3_GROUP_PIXELS / HW;
    int tci = (Ci + 1) / 2, ntile = (Co / 4) * tci * 3; /* odd Ci: last tile's 2nd channel repeats the 1st, unwritten */
#pragma omp parallel
    for (int n0 = 0; n0 < N; n0 += ng) {
        int n1 = n0 + ng < N ? n0 + ng : N;
#pragma omp for schedule(static) nowait
        for (int t = 0; t < ntile; t++) {
            int o0 = (t / (tci * 3)) * 4, c0 = ((t / 3) % tci) * 2, ky = t % 3;
            long off[3] = {tp->off[ky * 3], tp->off[ky * 3 + 1], tp->off[ky * 3 + 2]};
            __m512 acc[4][2][3];
            _Pragma("GCC unroll 4")
            for (int a = 0; a < 4; a++)
                _Pragma("GCC unroll 4")
                for (int b = 0; b < 2; b++)
                    _Pragma("GCC unroll 4")
                    for (int k = 0; k < 3; k++) acc[a][b][k] = _mm512_setzero_ps();
            for (int n = n0; n < n1; n++) {
                const float *s0 = src + ((size_t)c0 * N + n) * HW;
                const float *s1 = c0 + 1 < Ci ? s0 + (size_t)N * HW : s0;
                const float *g = dout + ((size_t)o0 * N + n) * HW;
                size_t gs = (size_t)N * HW;
                for (int v = 0; v < nv; v++) {
                    size_t p = (size_t)v * 16;
                    __m512 x0[3], x1[3];
                    _Pragma("GCC unroll 4")
                    for (int k = 0; k < 3; k++) {
                        __mmask16 m = tm[v].m[ky * 3 + k];
                        x0[k] = _mm512_maskz_loadu_ps(m, s0 + p + off[k]);
                        x1[k] = _mm512_maskz_loadu_ps(m, s1 + p + off[k]);
                        if (relu) x0[k] = _mm512_max_ps(x0[k], z), x1[k] = _mm512_max_ps(x1[k], z);
                    }
                    /* 24 accumulators + 6 inputs + 1 dout vector: 31 registers */
                    _Pragma("GCC unroll 4")
                    for (int a = 0; a < 4; a++) {
                        __m512 gv = _mm512_loadu_ps(g + a * gs + p);
                        _Pragma("GCC unroll 4")
                        for (int k = 0; k < 3; k++) {
                            acc[a][0][k] = _mm512_fmadd_ps(gv, x0[k], acc[a][0][k]);
                            acc[a][1][k] = _mm512_fmadd_ps(gv, x1[k], acc[a][1][k]);
                        }
                    }
                }
            }
            _Pragma("GCC unroll 4")
            for (int a = 0; a < 4; a++)
                _Pragma("GCC unroll 4")
                for (int b = 0; b < 2; b++)
                    _Pragma("GCC unroll 4")
                    for (int k = 0; k < 3; k++)
                        if (c0 + b < Ci)
                            dw[(((size_t)(o0 + a) * Ci + c0 + b) * 3 + ky) * 3 + k] +=
                                _mm512_reduce_add_ps(acc[a][b][k]);
        }
    }
}

#elif defined(__AVX2__)
/* ---- AVX2 + FMA forms of the kernels above (8-lane vectors, 16 registers):
 * the same structure with smaller register blocks; each output element (and
 * each weight-gradient entry) is still summed in a fixed order that does not
 * depend on the thread count. */

/* Lanes l < n (n clamped to [0, 8]), as a maskload / maskstore mask. */
static inline __m256i lane_mask(size_t n)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 8 ? n : 8)), idx);
}
/* The lanes whose bit is set in m (bit l: lane l). */
static inline __m256i bits_mask(unsigned m)
{
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)m), bit), bit);
}
/* 8 floats at p, the lanes outside mask m read as zero (full: all lanes). */
static inline __m256 load8(const float *p, __m256i m, int full)
{
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}
/* Sum of the 8 lanes, in a fixed order. */
static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/* ---- 1x1: out(Cout, P) (+)= w(Cout, Cin) * in(Cin, P), element (o,i) at
 * w[o*so + i*si]; relu: the input is read as max(in, 0); gate (Cout, P)
 * non-NULL: out += (gate > 0 ? result : 0) (accumulate must be 1).  Threads
 * take 16 pixels (two vectors) at a time: their Cin input slices are first
 * copied into a small contiguous buffer (channel rows P floats apart all map
 * to one L1 set, so re-reading them in place per output block thrashes L1),
 * then 4 output channels per block are summed over input channels in order
 * from zero, with the weights packed per block. */
#define PW_OB 4
#define PW_PREFETCH8 64         /* floats ahead (4 lines) */
#define PW_MAXCI8 256           /* input channels of the staging buffer */
#define PW_MAXW8 (64 * 64 + 64) /* packed weights: ceil(Cout/4)*4 * Cin */
/* wp[((o0/4)*Cin + i)*4 + j] = w(o0+j, i), 0 past Cout; 0: too large. */
static int pw_pack4(float *wp, const float *w, int so, int si, int Cout, int Cin)
{
    int nob = (Cout + PW_OB - 1) / PW_OB;
    if ((size_t)nob * PW_OB * Cin > PW_MAXW8 || Cin > PW_MAXCI8) return 0;
    for (int b = 0; b < nob; b++)
        for (int i = 0; i < Cin; i++)
            for (int j = 0; j < PW_OB; j++) {
                int o = b * PW_OB + j;
                wp[((size_t)b * Cin + i) * PW_OB + j] = o < Cout ? w[(size_t)o * so + (size_t)i * si] : 0.0f;
            }
    return 1;
}

/* The 16 pixels at p0 (lanes m0, m1; full: all 16) of every output channel. */
static inline void pw_pair(float *out, const float *in, const float *wp, int Cout, int Cin,
                           size_t P, size_t p0, int full, __m256i m0, __m256i m1, int accumulate,
                           int relu, const float *gate)
{
    const __m256 z = _mm256_setzero_ps();
    _Alignas(32) float xs[PW_MAXCI8 * 16];
    for (int i = 0; i < Cin; i++) {
        const float *s = in + (size_t)i * P + p0;
        if (p0 + PW_PREFETCH8 < P) _mm_prefetch((const char *)(s + PW_PREFETCH8), _MM_HINT_T0);
        __m256 x0 = load8(s, m0, full), x1 = load8(s + 8, m1, full);
        if (relu) x0 = _mm256_max_ps(x0, z), x1 = _mm256_max_ps(x1, z);
        _mm256_store_ps(xs + i * 16, x0);
        _mm256_store_ps(xs + i * 16 + 8, x1);
    }
    for (int o0 = 0; o0 < Cout; o0 += PW_OB) {
        int nb = Cout - o0 < PW_OB ? Cout - o0 : PW_OB;
        const float *wb = wp + (size_t)(o0 / PW_OB) * Cin * PW_OB;
        __m256 a0[PW_OB], a1[PW_OB];
        for (int j = 0; j < PW_OB; j++) a0[j] = a1[j] = z;
        for (int i = 0; i < Cin; i++) {
            __m256 x0 = _mm256_load_ps(xs + i * 16), x1 = _mm256_load_ps(xs + i * 16 + 8);
            for (int j = 0; j < PW_OB; j++) {
                __m256 b = _mm256_broadcast_ss(wb + i * PW_OB + j);
                a0[j] = _mm256_fmadd_ps(b, x0, a0[j]);
                a1[j] = _mm256_fmadd_ps(b, x1, a1[j]);
            }
        }
        for (int j = 0; j < nb; j++) {
            float *d = out + (size_t)(o0 + j) * P + p0;
            const float *gp = gate ? gate + (size_t)(o0 + j) * P + p0 : NULL;
            if (p0 + PW_PREFETCH8 < P) {
                if (accumulate) _mm_prefetch((const char *)(d + PW_PREFETCH8), _MM_HINT_T0);
                if (gp) _mm_prefetch((const char *)(gp + PW_PREFETCH8), _MM_HINT_T0);
            }
            if (gp) {
                a0[j] = _mm256_and_ps(_mm256_cmp_ps(load8(gp, m0, full), z, _CMP_GT_OQ), a0[j]);
                a1[j] = _mm256_and_ps(_mm256_cmp_ps(load8(gp + 8, m1, full), z, _CMP_GT_OQ), a1[j]);
            }
            if (accumulate) {
                a0[j] = _mm256_add_ps(a0[j], load8(d, m0, full));
                a1[j] = _mm256_add_ps(a1[j], load8(d + 8, m1, full));
            }
            if (full) {
                _mm256_storeu_ps(d, a0[j]);
                _mm256_storeu_ps(d + 8, a1[j]);
            } else {
                _mm256_maskstore_ps(d, m0, a0[j]);
                _mm256_maskstore_ps(d + 8, m1, a1[j]);
            }
        }
    }
}

static void pw_mix(float *out, const float *in, const float *w, int so, int si, int Cout,
                   int Cin, size_t P, int accumulate, int relu, const float *gate)
{
    float wp[PW_MAXW8];
    WS_ASSERT(pw_pack4(wp, w, so, si, Cout, Cin) && "pw_mix: channel counts too large");
    size_t npair = (P + 15) / 16;
#pragma omp parallel for schedule(static)
    for (size_t q = 0; q < npair; q++) {
        size_t p0 = q * 16;
        __m256i m0 = lane_mask(P - p0), m1 = lane_mask(P > p0 + 8 ? P - p0 - 8 : 0);
        pw_pair(out, in, wp, Cout, Cin, P, p0, P - p0 >= 16, m0, m1, accumulate, relu, gate);
    }
}

/* dw(Cout,Cin) += dout(Cout,P) * relu?(in)(Cin,P)^T.  Threads own tiles of
 * 4 output x 2 input channels; positions go in blocks of PW_BLOCK, each
 * block's sums added in order (the thread of a tile is the same in every
 * block).  pw_dw_tile forms one block's sums r[a*2+c] of the tile at (o0, i0). */
#define PW_BLOCK 2048
static inline __attribute__((always_inline)) void
pw_dw_tile(float r[8], const float *dout, const float *in, int o0, int i0, int Cout, int Cin,
           size_t P, size_t b0, size_t bl, int relu)
{
    const __m256 z = _mm256_setzero_ps();
    __m256 acc[4][2];
    for (int a = 0; a < 4; a++) acc[a][0] = acc[a][1] = z;
    const float *g[4], *x[2];
    for (int a = 0; a < 4; a++) g[a] = dout + (size_t)(o0 + a < Cout ? o0 + a : o0) * P + b0;
    for (int c = 0; c < 2; c++) x[c] = in + (size_t)(i0 + c < Cin ? i0 + c : i0) * P + b0;
    for (size_t p = 0; p < bl; p += 8) {
        int full = bl - p >= 8;
        __m256i m = lane_mask(bl - p);
        __m256 gv[4], xv[2];
        for (int a = 0; a < 4; a++) gv[a] = load8(g[a] + p, m, full);
        for (int c = 0; c < 2; c++) {
            xv[c] = load8(x[c] + p, m, full);
            if (relu) xv[c] = _mm256_max_ps(xv[c], z);
        }
        for (int a = 0; a < 4; a++)
            for (int c = 0; c < 2; c++) acc[a][c] = _mm256_fmadd_ps(gv[a], xv[c], acc[a][c]);
    }
    for (int a = 0; a < 4; a++)
        for (int c = 0; c < 2; c++) r[a * 2 + c] = hsum8(acc[a][c]);
}

static void pw_dweight(float *dw, const float *dout, const float *in, int Cout, int Cin, size_t P,
                       int relu)
{
    int tci = (Cin + 1) / 2, ntile = ((Cout + 3) / 4) * tci;
#pragma omp parallel
    for (size_t b0 = 0; b0 < P; b0 += PW_BLOCK) {
        size_t bl = P - b0 < PW_BLOCK ? P - b0 : PW_BLOCK;
#pragma omp for schedule(static) nowait
        for (int t = 0; t < ntile; t++) {
            int o0 = (t / tci) * 4, i0 = (t % tci) * 2;
            float r[8];
            pw_dw_tile(r, dout, in, o0, i0, Cout, Cin, P, b0, bl, relu);
            for (int a = 0; a < 4 && o0 + a < Cout; a++)
                for (int c = 0; c < 2 && i0 + c < Cin; c++)
                    dw[(size_t)(o0 + a) * Cin + i0 + c] += r[a * 2 + c];
        }
    }
}

/* The one-pass ReLU-fused 1x1 backward is AVX-512 only: 0 = not served (the
 * caller runs pw_dweight and the gated pw_mix). */
static int pw_backward_relu(float *dinp, float *dw, const float *dout, const float *in,
                            const float *w, int Cout, int Cin, size_t P)
{
    (void)dinp, (void)dw, (void)dout, (void)in, (void)w, (void)Cout, (void)Cin, (void)P;
    return 0;
}

/* ---- 3x3 (taps and polyphase split above): 8-lane vectors of consecutive
 * pixels (W % 8 == 0, or 8 % W == 0), one lane-mask byte per vector and tap. */
typedef struct tap_masks8 {
    unsigned char m[9];
} tap_masks8;

static void c3_masks8(tap_masks8 *tm, const c3_taps *tp, int H, int W)
{
    for (int v = 0; v < H * W / 8; v++)
        for (int t = 0; t < tp->n; t++) {
            unsigned m = 0;
            for (int l = 0; l < 8; l++) {
                int p = v * 8 + l, y = p / W + tp->dy[t], x = p % W + tp->dx[t];
                if (y >= 0 && y < H && x >= 0 && x < W) m |= 1u << l;
            }
            tm[v].m[t] = (unsigned char)m;
        }
}

/* out (Co,N,H,W) (+)= sum_ci sum_tap wt[(ci*9+id)*Co + co] * src(ci, tap),
 * as the AVX-512 c3_block: vector g of a channel (g = n*nvp + v) at g*8; a
 * block is NV consecutive vectors x 4 output channels (12 accumulators at
 * NV = 3); each output summed over (ci, tap) in that order. */
static inline __attribute__((always_inline)) void
c3_block8(float *out, const float *src, const float *wt, size_t chs, int Ci, int Co, size_t g,
          int nvp, int accumulate, int relu, const float *gate, const tap_masks8 *tm,
          const long *off, const int *id, const int NT, const int NV)
{
    const __m256 z = _mm256_setzero_ps();
    __m256i mk[3][9];
    _Pragma("GCC unroll 3")
    for (int k = 0; k < NV; k++)
        _Pragma("GCC unroll 9")
        for (int t = 0; t < NT; t++) mk[k][t] = bits_mask(tm[(g + (size_t)k) % (size_t)nvp].m[t]);
    for (int o0 = 0; o0 < Co; o0 += 4) {
        __m256 a[3][4];
        _Pragma("GCC unroll 3")
        for (int k = 0; k < 3; k++)
            _Pragma("GCC unroll 4")
            for (int j = 0; j < 4; j++) a[k][j] = z;
        for (int ci = 0; ci < Ci; ci++) {
            const float *s = src + (size_t)ci * chs + g * 8;
            const float *wc = wt + (size_t)ci * 9 * Co + o0;
            _Pragma("GCC unroll 9")
            for (int t = 0; t < NT; t++) {
                __m256 x[3];
                _Pragma("GCC unroll 3")
                for (int k = 0; k < NV; k++) {
                    x[k] = _mm256_maskload_ps(s + k * 8 + off[t], mk[k][t]);
                    if (relu) x[k] = _mm256_max_ps(x[k], z);
                }
                const float *w4 = wc + (size_t)id[t] * Co;
                _Pragma("GCC unroll 4")
                for (int j = 0; j < 4; j++) {
                    __m256 b = _mm256_set1_ps(w4[j]);
                    _Pragma("GCC unroll 3")
                    for (int k = 0; k < NV; k++) a[k][j] = _mm256_fmadd_ps(b, x[k], a[k][j]);
                }
            }
        }
        _Pragma("GCC unroll 4")
        for (int j = 0; j < 4; j++)
            _Pragma("GCC unroll 3")
            for (int k = 0; k < NV; k++) {
                size_t od = (size_t)(o0 + j) * chs + (g + (size_t)k) * 8;
                float *d = out + od;
                if (gate)
                    a[k][j] = _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(gate + od), z, _CMP_GT_OQ), a[k][j]);
                if (accumulate) a[k][j] = _mm256_add_ps(a[k][j], _mm256_loadu_ps(d));
                _mm256_storeu_ps(d, a[k][j]);
            }
    }
}

typedef struct c3_args8 {
    float *out;
    const float *src, *wt;
    size_t chs;
    int Ci, Co, nvp, accumulate, relu;
    const float *gate;
    const tap_masks8 *tm;
    long off[9];
    int id[9];
} c3_args8;
typedef void (*c3_block8_fn)(const c3_args8 *A, size_t g);
#define C3_DEF8(nt, nv)                                                                           \
    static void c3_block8_##nt##_##nv(const c3_args8 *A, size_t g)                               \
    {                                                                                             \
        c3_block8(A->out, A->src, A->wt, A->chs, A->Ci, A->Co, g, A->nvp, A->accumulate, A->relu, \
                  A->gate, A->tm, A->off, A->id, nt, nv);                                         \
    }
#define C3_NV 3 /* vectors per block */
#define C3_DEF8_NT(nt) C3_DEF8(nt, 3) C3_DEF8(nt, 1)
C3_DEF8_NT(9)
C3_DEF8_NT(4)
C3_DEF8_NT(2)
C3_DEF8_NT(1)
#undef C3_DEF8_NT
#undef C3_DEF8

/* The tap masks of the largest plane the 3x3 kernels take (8-pixel vectors). */
#define C3_MAX_VEC8 (2 * WS_C3_MAX_VEC)

/* gate (out's layout) non-NULL: only where gate > 0 is the sum added. */
static void c3_forward(float *out, const float *src, const float *wt, int N, int Ci, int H,
                       int W, int Co, int accumulate, int relu, const float *gate,
                       const c3_taps *tp)
{
    tap_masks8 tm[C3_MAX_VEC8];
    c3_masks8(tm, tp, H, W);
    c3_args8 A = {out, src, wt, (size_t)N * H * W, Ci, Co, H * W / 8, accumulate, relu, gate, tm,
                  {0}, {0}};
    for (int t = 0; t < tp->n; t++) A.off[t] = tp->off[t], A.id[t] = tp->id[t];
    c3_block8_fn fn, fn1;
    switch (tp->n) {
    case 9: fn = c3_block8_9_3, fn1 = c3_block8_9_1; break;
    case 4: fn = c3_block8_4_3, fn1 = c3_block8_4_1; break;
    case 2: fn = c3_block8_2_3, fn1 = c3_block8_2_1; break;
    case 1: fn = c3_block8_1_3, fn1 = c3_block8_1_1; break;
    default: WS_ASSERT(0 && "c3_forward: unsupported tap count"); return;
    }
    size_t G = (size_t)N * A.nvp, nfull = G / C3_NV, items = nfull + (G - nfull * C3_NV);
#pragma omp parallel for schedule(static)
    for (size_t it = 0; it < items; it++) {
        if (it < nfull)
            fn(&A, it * C3_NV);
        else
            fn1(&A, nfull * C3_NV + (it - nfull));
    }
}

/* dw (Co,Ci,3,3) += sum_n sum_p dout(co,n,p) * src(ci,n,tap,p), all 9 taps
 * (tp->id[t] == t).  Threads own tiles of (4 output channels, 1 input
 * channel, 1 tap row ky) = 12 vector accumulators; images in groups of about
 * C3_GROUP_PIXELS pixels, each group's sums added to dw in image order (the
 * grouping depends on the shape only). */
#define C3_GROUP_PIXELS 2048
static void c3_dweight(float *dw, const float *dout, const float *src, int N, int Ci, int H,
                       int W, int Co, int relu, const c3_taps *tp)
{
    const __m256 z = _mm256_setzero_ps();
    int HW = H * W, nv = HW / 8;
    tap_masks8 tm[C3_MAX_VEC8];
    c3_masks8(tm, tp, H, W);
    int ng = HW >= C3_GROUP_PIXELS ? 1 : C3_GROUP_PIXELS / HW;
    int ntile = (Co / 4) * Ci * 3;
#pragma omp parallel
    for (int n0 = 0; n0 < N; n0 += ng) {
        int n1 = n0 + ng < N ? n0 + ng : N;
#pragma omp for schedule(static) nowait
        for (int t = 0; t < ntile; t++) {
            int o0 = (t / (Ci * 3)) * 4, c0 = (t / 3) % Ci, ky = t % 3;
            long off[3] = {tp->off[ky * 3], tp->off[ky * 3 + 1], tp->off[ky * 3 + 2]};
            __m256 acc[4][3];
            for (int a = 0; a < 4; a++)
                for (int k = 0; k < 3; k++) acc[a][k] = z;
            size_t gs = (size_t)N * HW;
            for (int n = n0; n < n1; n++) {
                const float *s0 = src + ((size_t)c0 * N + n) * HW;
                const float *g = dout + ((size_t)o0 * N + n) * HW;
                for (int v = 0; v < nv; v++) {
                    size_t p = (size_t)v * 8;
                    __m256 x[3];
                    _Pragma("GCC unroll 3")
                    for (int k = 0; k < 3; k++) {
                        x[k] = _mm256_maskload_ps(s0 + p + off[k], bits_mask(tm[v].m[ky * 3 + k]));
                        if (relu) x[k] = _mm256_max_ps(x[k], z);
                    }
                    _Pragma("GCC unroll 4")
                    for (int a = 0; a < 4; a++) {
                        __m256 gv = _mm256_loadu_ps(g + a * gs + p);
                        _Pragma("GCC unroll 3")
                        for (int k = 0; k < 3; k++) acc[a][k] = _mm256_fmadd_ps(gv, x[k], acc[a][k]);
                    }
                }
            }
            for (int a = 0; a < 4; a++)
                for (int k = 0; k < 3; k++)
                    dw[(((size_t)(o0 + a) * Ci + c0) * 3 + ky) * 3 + k] += hsum8(acc[a][k]);
        }
    }
}
#endif /* __AVX512F__, __AVX2__ */

static int g_direct = 1;
void ws_nn_set_direct(int on) { g_direct = on; }

/* Shapes the 3x3 kernels handle, given the output plane Ho x Wo: forward and
 * dweight need Cout % 4 == 0; dinp (a forward with the roles swapped) also
 * Cin % 4 == 0. */
#ifdef __AVX512F__
#define C3_LANES 16
#else
#define C3_LANES 8 /* AVX2 */
#endif
static inline int c3_shape_ok(int Cin, int Ho, int Wo, int Cout, int need_dinp)
{
    int HW = Ho * Wo;
    int lanes_ok = (Wo % C3_LANES == 0) || (Wo < C3_LANES && C3_LANES % Wo == 0);
    return lanes_ok && HW % C3_LANES == 0 && HW <= 16 * WS_C3_MAX_VEC && Cout % 4 == 0 && Cin > 0 &&
           (!need_dinp || Cin % 4 == 0);
}

int ws_conv_direct_shape(int Cin, int H, int W, int Cout, int K, int stride, int pad, int need_dinp)
{
#if defined(__AVX512F__) || defined(__AVX2__)
#ifdef __AVX512F__
    if (K == 1 && pad == 0 && stride == 1) return Cin > 0 && Cout > 0;
#else /* AVX2: pw_mix's packed weights and staging buffer bound the channels */
    if (K == 1 && pad == 0 && stride == 1)
        return Cin > 0 && Cout > 0 && Cin <= PW_MAXCI8 && Cout <= PW_MAXCI8 &&
               (size_t)((Cout + PW_OB - 1) / PW_OB) * PW_OB * Cin <= PW_MAXW8 &&
               (size_t)((Cin + PW_OB - 1) / PW_OB) * PW_OB * Cout <= PW_MAXW8;
#endif
    if (K == 3 && pad == 1 && stride == 1) return c3_shape_ok(Cin, H, W, Cout, need_dinp);
    if (K == 3 && pad == 1 && stride == 2)
        return H % 2 == 0 && W % 2 == 0 && c3_shape_ok(Cin, H / 2, W / 2, Cout, need_dinp);
#else
    (void)Cin, (void)H, (void)W, (void)Cout, (void)K, (void)stride, (void)pad, (void)need_dinp;
#endif
    return 0;
}

int ws_conv_direct_ok(int Cin, int H, int W, int Cout, int K, int stride, int pad, int need_dinp)
{
    return g_direct && ws_conv_direct_shape(Cin, H, W, Cout, K, stride, pad, need_dinp);
}

size_t ws_conv_direct_work(int N, int Cin, int H, int W, int Cout, int K, int stride)
{
    size_t w = (size_t)Cout * Cin * K * K;
    if (K == 3 && stride == 1) {
        size_t a = ws_conv_wino_work(Cin, Cout), b = ws_conv_wino_dweight_work(Cin, Cout);
        return a > b ? a : b;
    }
    return stride == 2 ? w + (size_t)Cin * N * H * W : w;
}

void ws_conv_direct_forward(float *out, const float *inp, const float *weight, int N, int Cin,
                            int H, int W, int Cout, int K, int stride, int relu, float *work)
{
#if defined(__AVX512F__) || defined(__AVX2__)
    size_t P = (size_t)N * H * W;
    if (K == 1) {
        pw_mix(out, inp, weight, Cin, 1, Cout, Cin, P, 0, relu, NULL);
        return;
    }
    if (stride == 1 && ws_conv_wino_ok(Cin, H, W, Cout)) {
        ws_conv_wino_forward(out, inp, weight, N, Cin, H, W, Cout, 0, 0, relu, NULL, work);
        return;
    }
    /* wt[(ci*9+tap)*Cout + co] = weight[co][ci][tap] */
    float *wt = work;
    for (int co = 0; co < Cout; co++)
        for (int ci = 0; ci < Cin; ci++)
            for (int t = 0; t < 9; t++) wt[((size_t)ci * 9 + t) * Cout + co] = weight[((size_t)co * Cin + ci) * 9 + t];
    c3_taps tp;
    if (stride == 1) {
        c3_taps_s1(&tp, W, 1);
        c3_forward(out, inp, wt, N, Cin, H, W, Cout, 0, relu, NULL, &tp);
    } else {
        int Ho = H / 2, Wo = W / 2;
        float *sub = work + (size_t)Cout * Cin * 9;
        c3_polyphase(sub, inp, Cin, N, H, W, relu);
        c3_taps_s2(&tp, Wo, (size_t)Cin * N * Ho * Wo, -1, 1);
        c3_forward(out, sub, wt, N, Cin, Ho, Wo, Cout, 0, 0, NULL, &tp);
    }
#else
    (void)out, (void)inp, (void)weight, (void)N, (void)Cin, (void)H, (void)W, (void)Cout, (void)K;
    (void)stride, (void)relu, (void)work;
    WS_ASSERT(0 && "direct convolution without AVX-512 or AVX2");
#endif
}

void ws_conv_direct_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                             const float *weight, int N, int Cin, int H, int W, int Cout, int K,
                             int stride, int relu, float *work)
{
#if defined(__AVX512F__) || defined(__AVX2__)
    size_t P = (size_t)N * H * W;
    const float *gate = relu ? inp : NULL; /* dinp only where the ReLU let inp through */
    if (K == 1) {
        if (dweight && dinp && relu && pw_backward_relu(dinp, dweight, dout, inp, weight, Cout, Cin, P))
            return;
        if (dweight) pw_dweight(dweight, dout, inp, Cout, Cin, P, relu);
        if (dinp) pw_mix(dinp, dout, weight, 1, Cin, Cin, Cout, P, 1, 0, gate);
        return;
    }
    /* dinp is a correlation of dout with the transposed kernel and negated
     * shifts: wt[(co*9+tap)*Cin + ci] = weight[co][ci][tap] */
    float *wt = work;
    c3_taps tp;
    if (stride == 1) {
        c3_taps_s1(&tp, W, 1);
        if (dweight && ws_conv_wino_dweight_ok(Cin, H, W, Cout))
            ws_conv_wino_dweight(dweight, dout, inp, N, Cin, H, W, Cout, relu, work);
        else if (dweight)
            c3_dweight(dweight, dout, inp, N, Cin, H, W, Cout, relu, &tp);
        if (dinp && ws_conv_wino_ok(Cout, H, W, Cin)) {
            ws_conv_wino_forward(dinp, dout, weight, N, Cout, H, W, Cin, 1, 1, 0, gate, work);
        } else if (dinp) {
            for (int co = 0; co < Cout; co++)
                for (int ci = 0; ci < Cin; ci++)
                    for (int t = 0; t < 9; t++)
                        wt[((size_t)co * 9 + t) * Cin + ci] = weight[((size_t)co * Cin + ci) * 9 + t];
            c3_taps_s1(&tp, W, -1);
            c3_forward(dinp, dout, wt, N, Cout, H, W, Cin, 1, 0, gate, &tp);
        }
        return;
    }
    int Ho = H / 2, Wo = W / 2;
    size_t qs = (size_t)Cin * N * Ho * Wo;
    float *sub = work + (size_t)Cout * Cin * 9;
    if (dweight) {
        c3_polyphase(sub, inp, Cin, N, H, W, relu);
        c3_taps_s2(&tp, Wo, qs, -1, 1);
        c3_dweight(dweight, dout, sub, N, Cin, Ho, Wo, Cout, 0, &tp);
    }
    if (dinp) {
        for (int co = 0; co < Cout; co++)
            for (int ci = 0; ci < Cin; ci++)
                for (int t = 0; t < 9; t++)
                    wt[((size_t)co * 9 + t) * Cin + ci] = weight[((size_t)co * Cin + ci) * 9 + t];
        /* each polyphase sub-plane of dinp from the taps that read it */
        for (int q = 0; q < 4; q++) {
            c3_taps_s2(&tp, Wo, qs, q, -1);
            c3_forward(sub + q * qs, dout, wt, N, Cout, Ho, Wo, Cin, 0, 0, NULL, &tp);
        }
        c3_polyphase_add(dinp, sub, Cin, N, H, W, gate);
    }
#else
    (void)dinp, (void)dweight, (void)dout, (void)inp, (void)weight, (void)N, (void)Cin, (void)H;
    (void)W, (void)Cout, (void)K, (void)stride, (void)relu, (void)work;
    WS_ASSERT(0 && "direct convolution without AVX-512 or AVX2");
#endif
}
