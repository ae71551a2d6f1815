/* conv_winograd.c: 3x3 stride-1 pad-1 convolution by Winograd F(2x2,3x3) on
 * channel-major data (C,N,H,W), AVX-512.  Each 2x2 output tile comes from a
 * 4x4 input patch: V = B^T d B (input transform), M = sum_ci U(co,ci) . V(ci)
 * elementwise in the 4x4 domain (U = G g G^T, the weight transform), Y =
 * A^T M A (output transform): 16 products per tile and channel pair instead
 * of 36, i.e. 2.25x fewer multiply-adds than the direct kernel
 * (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks").
 *
 * Vectors hold 16 tiles: a "chunk" is R = 32/W tile rows of W/2 tiles each
 * (W = 32: one tile row; 16: two; 8: four; AVX-512 also 4: eight, the two
 * tile rows of each of 4 consecutive images' 4x4 planes), so a 16-lane
 * vector of a chunk is built from R patch-row segments of W pixels by
 * even/odd lane permutes.
 * Threads take groups of consecutive chunks (over images and tile rows); each
 * transforms the inputs of its group for all input channels into a private
 * buffer V, forms M for 8 output channels at a time and writes their tiles.
 *
 * Used for the forward pass and for dinp (a forward pass with the transposed,
 * flipped kernel).  Determinism: every output element is summed over input
 * channels in order, whatever the thread count.
 *
 * ws_conv_wino_dweight: the weight gradient by the same algebra.  With
 * dM = A dY A^T per tile (the gradient of M), dU = sum over tiles dM . V and
 * dw += G^T dU G.  dU is summed vectorised over input channels (V transposed
 * in 16x16 blocks so a vector holds 16 channels of one tile), which keeps the
 * accumulators free of horizontal sums; see the comment above it.
 *
 * AVX2 + FMA (after the AVX-512 code, which it leaves as it was): vectors of
 * 8 tiles, the same algebra and summation order per output element, smaller
 * register blocks; the shapes taken are the same. */
#include "nn_internal.h"

#include <string.h>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

static int g_wino = 1;
void ws_nn_set_winograd(int on) { g_wino = on; }

/* Shapes handled: W in {8,16,32}, H a multiple of 2R, Cin 8..WS_WINO_MAX_CI,
 * Cout a multiple of 8; with AVX-512 also 4x4 planes (the last stage at
 * 16x16 inputs; any N: a chunk's missing images read as zeros and are not
 * written).  Small channel counts (PC-DARTS's C/4) stay direct: the
 * transforms would cost more than the multiply-adds saved. */
int ws_conv_wino_shape(int Cin, int H, int W, int Cout)
{
#if defined(__AVX512F__) || defined(__AVX2__)
#ifdef __AVX512F__
    if (W == 4) return H == 4 && Cin >= 8 && Cin <= WS_WINO_MAX_CI && Cout >= 8 && Cout % 8 == 0;
#endif
    if (W != 8 && W != 16 && W != 32) return 0;
    int R = 32 / W;
    return H > 0 && H % (2 * R) == 0 && Cin >= 8 && Cin <= WS_WINO_MAX_CI && Cout >= 8 &&
           Cout % 8 == 0;
#else
    (void)Cin, (void)H, (void)W, (void)Cout;
    return 0;
#endif
}

int ws_conv_wino_ok(int Cin, int H, int W, int Cout) { return g_wino && ws_conv_wino_shape(Cin, H, W, Cout); }

size_t ws_conv_wino_work(int Cin, int Cout) { return (size_t)16 * Cin * Cout; }

/* Slices of chunks the weight gradient is split into (a constant, so the
 * summation order never depends on the thread count). */
#define WINO_DW_SLICES 8

/* dweight: Cin a multiple of 16 (the transposed blocks), Cout of 8. */
int ws_conv_wino_dweight_ok(int Cin, int H, int W, int Cout)
{
    return g_wino && ws_conv_wino_shape(Cin, H, W, Cout) && Cin % 16 == 0 && Cout <= WS_WINO_MAX_CI;
}

size_t ws_conv_wino_dweight_work(int Cin, int Cout) { return (size_t)WINO_DW_SLICES * 16 * Cin * Cout; }

#if defined(__AVX2__) && !defined(__AVX512F__)
/* u[xi*4+nu] = (G g G^T)[xi][nu] for one 3x3 kernel g (row-major),
 * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. */
static void wino_kernel_transform(float u[16], const float g[9])
{
    float t[4][3]; /* G g */
    for (int c = 0; c < 3; c++) {
        t[0][c] = g[c];
        t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
        t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
        t[3][c] = g[6 + c];
    }
    for (int r = 0; r < 4; r++) {
        u[r * 4 + 0] = t[r][0];
        u[r * 4 + 1] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
        u[r * 4 + 2] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
        u[r * 4 + 3] = t[r][2];
    }
}
#endif

#ifdef __AVX512F__

/* wino_kernel_transform of the kernels k(co, ci), co = o0 .. o0+no-1 (no <=
 * 16), lane j for co = o0 + j, the same operations in the same order per
 * lane (so the same bits); U[(xn*Ci + ci)*Co + co] as ws_conv_wino_forward
 * lays it out.  The kernel is weight[co][ci] or, transposed, weight[ci][co]
 * rotated by 180 degrees. */
static void wino_kernel_transform16(float *U, const float *weight, int ci, int o0, int no, int Ci,
                                    int Co, int transposed)
{
    const __mmask16 m = (__mmask16)((1u << no) - 1u);
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    /* element (co, tap) at base + (co - o0) * step + tap */
    const float *base = transposed ? weight + ((size_t)ci * Co + o0) * 9 : weight + ((size_t)o0 * Ci + ci) * 9;
    const __m512i idx = _mm512_mullo_epi32(lane, _mm512_set1_epi32(transposed ? 9 : 9 * Ci));
    __m512 g[9];
    for (int t = 0; t < 9; t++)
        g[t] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, base + (transposed ? 8 - t : t), 4);
    const __m512 h = _mm512_set1_ps(0.5f);
    __m512 tt[4][3]; /* G g */
    for (int c = 0; c < 3; c++) {
        tt[0][c] = g[c];
        tt[1][c] = _mm512_mul_ps(h, _mm512_add_ps(_mm512_add_ps(g[c], g[3 + c]), g[6 + c]));
        tt[2][c] = _mm512_mul_ps(h, _mm512_add_ps(_mm512_sub_ps(g[c], g[3 + c]), g[6 + c]));
        tt[3][c] = g[6 + c];
    }
    for (int r = 0; r < 4; r++) {
        __m512 u[4];
        u[0] = tt[r][0];
        u[1] = _mm512_mul_ps(h, _mm512_add_ps(_mm512_add_ps(tt[r][0], tt[r][1]), tt[r][2]));
        u[2] = _mm512_mul_ps(h, _mm512_add_ps(_mm512_sub_ps(tt[r][0], tt[r][1]), tt[r][2]));
        u[3] = tt[r][2];
        for (int q = 0; q < 4; q++)
            _mm512_mask_storeu_ps(U + ((size_t)(r * 4 + q) * Ci + ci) * Co + o0, m, u[q]);
    }
}

/* Chunk geometry, fixed per call. */
typedef struct wino_geo {
    int N, H, W, R, cpp; /* R tile rows per chunk, cpp chunks per plane (W = 4: 0) */
    size_t HW, chs, nch; /* plane size, channel stride N*H*W, chunks per channel */
    __m512i even, odd, up, down, ilo, ihi;
    __mmask16 left, right; /* lanes whose tile has a left / right neighbour */
    /* W = 4: rows y0, y0+2 of two images' planes (y0 = -1..2) by a two-source
     * permute, and the lanes of one image's plane the chunk's rows a, a+2
     * (a = 0, 1) fill, from the even (h 0) or odd (h 1) image of a pair */
    __m512i r4idx[4], s4idx[2][2];
    __mmask16 r4m[4], s4m[2];
} wino_geo;

static void wino_geo_init(wino_geo *g, int N, int H, int W)
{
    g->N = N, g->H = H, g->W = W, g->R = 32 / W, g->cpp = H / (2 * g->R);
    g->HW = (size_t)H * W, g->chs = (size_t)N * H * W;
    g->nch = W == 4 ? (size_t)(N + 3) / 4 : (size_t)N * g->cpp;
    for (int y = 0; y < 4; y++) { /* y0 = y - 1; lane l: slot l/4 = image (l/8) row y0 + 2 ((l/4) % 2) */
        int ix[16];
        unsigned m = 0;
        for (int l = 0; l < 16; l++) {
            int row = y - 1 + 2 * ((l / 4) % 2);
            ix[l] = (l / 8) * 16 + (row >= 0 && row < 4 ? row : 0) * 4 + l % 4;
            if (row >= 0 && row < 4) m |= 1u << l;
        }
        g->r4idx[y] = _mm512_loadu_si512(ix), g->r4m[y] = (__mmask16)m;
    }
    for (int a = 0; a < 2; a++) { /* plane lane j (row j/4): row a from slot 2h, row a+2 from 2h+1 */
        unsigned m = 0;
        for (int h = 0; h < 2; h++) {
            int ix[16];
            for (int j = 0; j < 16; j++) {
                int row = j / 4;
                ix[j] = h * 8 + (row == a + 2 ? 4 : 0) + j % 4;
                if (h == 0 && (row == a || row == a + 2)) m |= 1u << j;
            }
            g->s4idx[h][a] = _mm512_loadu_si512(ix);
        }
        g->s4m[a] = (__mmask16)m;
    }
    int e[16], o[16], u[16], d[16], lo[16], hi[16], TW = W / 2;
    unsigned lm = 0, rm = 0;
    for (int l = 0; l < 16; l++) {
        e[l] = 2 * l, o[l] = 2 * l + 1;
        u[l] = l > 0 ? l - 1 : 0, d[l] = l < 15 ? l + 1 : 15;
        lo[l] = (l & 1) ? 16 + l / 2 : l / 2;           /* interleave even/odd, lanes 0..7 */
        hi[l] = (l & 1) ? 16 + 8 + l / 2 : 8 + l / 2;   /* lanes 8..15 */
        if (l % TW != 0) lm |= 1u << l;
        if (l % TW != TW - 1) rm |= 1u << l;
    }
    g->even = _mm512_loadu_si512(e), g->odd = _mm512_loadu_si512(o);
    g->up = _mm512_loadu_si512(u), g->down = _mm512_loadu_si512(d);
    g->ilo = _mm512_loadu_si512(lo), g->ihi = _mm512_loadu_si512(hi);
    g->left = (__mmask16)lm, g->right = (__mmask16)rm;
}

/* Halves of a vector (AVX-512F only, no DQ). */
static inline __m512 wino_join(__m256 a, __m256 b)
{
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(a)),
                                               _mm256_castps_pd(b), 1));
}
static inline __m256 wino_upper(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }

/* The 32 floats lo|hi = rows y_r = y0 + 2r (r < R) of plane p, W pixels each;
 * rows outside the plane read as zero.  W = 4: row r of the chunk is row
 * y0 + 2 (r % 2) of image r / 2 from p's (nimg images left from p; the
 * others read as zero). */
static inline __attribute__((always_inline)) void wino_load_rows_(__m512 *lo, __m512 *hi, const float *p, const wino_geo *g, int y0,
                                   int nimg)
{
    const int W = g->W, H = g->H;
    if (W == 4) {
        __m512 P[4];
        for (int k = 0; k < 4; k++) P[k] = k < nimg ? _mm512_loadu_ps(p + 16 * k) : _mm512_setzero_ps();
        __m512i ix = g->r4idx[y0 + 1];
        __mmask16 m = g->r4m[y0 + 1];
        *lo = _mm512_maskz_permutex2var_ps(m, P[0], ix, P[1]);
        *hi = _mm512_maskz_permutex2var_ps(m, P[2], ix, P[3]);
    } else if (W == 32) {
        int ok = y0 >= 0 && y0 < H;
        *lo = ok ? _mm512_loadu_ps(p + (size_t)y0 * 32) : _mm512_setzero_ps();
        *hi = ok ? _mm512_loadu_ps(p + (size_t)y0 * 32 + 16) : _mm512_setzero_ps();
    } else if (W == 16) {
        int y1 = y0 + 2;
        *lo = (y0 >= 0 && y0 < H) ? _mm512_loadu_ps(p + (size_t)y0 * 16) : _mm512_setzero_ps();
        *hi = (y1 >= 0 && y1 < H) ? _mm512_loadu_ps(p + (size_t)y1 * 16) : _mm512_setzero_ps();
    } else { /* W == 8: four rows of 8 */
        __m256 r[4];
        for (int k = 0; k < 4; k++) {
            int y = y0 + 2 * k;
            r[k] = (y >= 0 && y < H) ? _mm256_loadu_ps(p + (size_t)y * 8) : _mm256_setzero_ps();
        }
        *lo = wino_join(r[0], r[1]);
        *hi = wino_join(r[2], r[3]);
    }
}

/* As wino_load_rows_, then max(x, 0) when relu (the ReLU before a forward
 * convolution, applied as it is read: the same values as ws_relu_forward). */
static inline __attribute__((always_inline)) void wino_load_rows(__m512 *lo, __m512 *hi, const float *p, const wino_geo *g, int y0,
                                  int nimg, int relu)
{
    wino_load_rows_(lo, hi, p, g, y0, nimg);
    if (relu) {
        const __m512 z = _mm512_setzero_ps();
        *lo = _mm512_max_ps(*lo, z), *hi = _mm512_max_ps(*hi, z);
    }
}

/* Writes (or adds to) rows y_r = y0 + 2r of plane p from lo|hi; with a
 * gate plane gp (p's layout), only where gp > 0.  W = 4 (y0 = 0 or 1): rows
 * y0 and y0 + 2 of the nimg (at most 4) images from p's, as wino_load_rows_
 * reads them. */
static inline __attribute__((always_inline)) void wino_store_rows(float *p, const wino_geo *g, int y0, __m512 lo, __m512 hi,
                                   int accumulate, const float *gp, int nimg)
{
    const int W = g->W;
    if (W == 4) {
        const __m512 z = _mm512_setzero_ps();
        const __mmask16 m = g->s4m[y0];
        for (int k = 0; k < 4 && k < nimg; k++) {
            __m512 v = _mm512_permutexvar_ps(g->s4idx[k & 1][y0], k < 2 ? lo : hi);
            float *d = p + 16 * k;
            if (gp) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, gp + 16 * k), z, _CMP_GT_OQ), v);
            if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, d));
            _mm512_mask_storeu_ps(d, m, v);
        }
        return;
    }
    if (gp) {
        __m512 glo, ghi;
        const __m512 z = _mm512_setzero_ps();
        wino_load_rows_(&glo, &ghi, gp, g, y0, nimg);
        lo = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(glo, z, _CMP_GT_OQ), lo);
        hi = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(ghi, z, _CMP_GT_OQ), hi);
    }
    if (W == 32) {
        float *d = p + (size_t)y0 * 32;
        if (accumulate) lo = _mm512_add_ps(lo, _mm512_loadu_ps(d)), hi = _mm512_add_ps(hi, _mm512_loadu_ps(d + 16));
        _mm512_storeu_ps(d, lo), _mm512_storeu_ps(d + 16, hi);
    } else if (W == 16) {
        float *d0 = p + (size_t)y0 * 16, *d1 = p + (size_t)(y0 + 2) * 16;
        if (accumulate) lo = _mm512_add_ps(lo, _mm512_loadu_ps(d0)), hi = _mm512_add_ps(hi, _mm512_loadu_ps(d1));
        _mm512_storeu_ps(d0, lo), _mm512_storeu_ps(d1, hi);
    } else {
        __m256 r[4] = {_mm512_castps512_ps256(lo), wino_upper(lo), _mm512_castps512_ps256(hi),
                       wino_upper(hi)};
        for (int k = 0; k < 4; k++) {
            float *d = p + (size_t)(y0 + 2 * k) * 8;
            if (accumulate) r[k] = _mm256_add_ps(r[k], _mm256_loadu_ps(d));
            _mm256_storeu_ps(d, r[k]);
        }
    }
}

/* v[xi*4+nu] (16 vectors of 16 tiles) = B^T d B for chunk (n, ty0) of plane p,
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; patch row i of tile row ty
 * is plane row 2ty-1+i, patch column j of tile tx is pixel 2tx-1+j. */
static inline __attribute__((always_inline)) void wino_input_tile(__m512 *v, const float *p, const wino_geo *g, int ty0, int nimg,
                                   int relu)
{
    __m512 d[4][4];
    for (int i = 0; i < 4; i++) {
        __m512 lo, hi;
        wino_load_rows(&lo, &hi, p, g, 2 * ty0 - 1 + i, nimg, relu);
        __m512 ev = _mm512_permutex2var_ps(lo, g->even, hi); /* pixel 2tx   */
        __m512 od = _mm512_permutex2var_ps(lo, g->odd, hi);  /* pixel 2tx+1 */
        d[i][0] = _mm512_maskz_permutexvar_ps(g->left, g->up, od);    /* 2tx-1 */
        d[i][1] = ev;
        d[i][2] = od;
        d[i][3] = _mm512_maskz_permutexvar_ps(g->right, g->down, ev); /* 2tx+2 */
    }
    __m512 e[4][4];
    for (int j = 0; j < 4; j++) {
        e[0][j] = _mm512_sub_ps(d[0][j], d[2][j]);
        e[1][j] = _mm512_add_ps(d[1][j], d[2][j]);
        e[2][j] = _mm512_sub_ps(d[2][j], d[1][j]);
        e[3][j] = _mm512_sub_ps(d[1][j], d[3][j]);
    }
    for (int i = 0; i < 4; i++) {
        v[i * 4 + 0] = _mm512_sub_ps(e[i][0], e[i][2]);
        v[i * 4 + 1] = _mm512_add_ps(e[i][1], e[i][2]);
        v[i * 4 + 2] = _mm512_sub_ps(e[i][2], e[i][1]);
        v[i * 4 + 3] = _mm512_sub_ps(e[i][1], e[i][3]);
    }
}

/* Y = A^T m A (A^T = [1 1 1 0; 0 1 -1 -1]) for 16 tiles, written as the
 * 2x2 output pixels of chunk (ty0) in plane p. */
static inline __attribute__((always_inline)) void wino_output_tile(float *p, const wino_geo *g, int ty0, const __m512 *m,
                                    int accumulate, const float *gp, int nimg)
{
    __m512 f[2][4];
    for (int j = 0; j < 4; j++) {
        f[0][j] = _mm512_add_ps(_mm512_add_ps(m[j], m[4 + j]), m[8 + j]);
        f[1][j] = _mm512_sub_ps(_mm512_sub_ps(m[4 + j], m[8 + j]), m[12 + j]);
    }
    for (int a = 0; a < 2; a++) {
        __m512 y0 = _mm512_add_ps(_mm512_add_ps(f[a][0], f[a][1]), f[a][2]); /* pixel 2tx   */
        __m512 y1 = _mm512_sub_ps(_mm512_sub_ps(f[a][1], f[a][2]), f[a][3]); /* pixel 2tx+1 */
        __m512 lo = _mm512_permutex2var_ps(y0, g->ilo, y1);
        __m512 hi = _mm512_permutex2var_ps(y0, g->ihi, y1);
        wino_store_rows(p, g, 2 * ty0 + a, lo, hi, accumulate, gp, nimg);
    }
}

/* Image and first tile row of chunk c (W = 4: images 4c .. 4c+3). */
static inline void wino_chunk_at(const wino_geo *g, size_t c, int *n, int *ty0)
{
    if (g->W == 4)
        *n = (int)(4 * c), *ty0 = 0;
    else
        *n = (int)(c / (size_t)g->cpp), *ty0 = (int)(c % (size_t)g->cpp) * g->R;
}

/* Chunks per thread work item: the input-transform buffer holds
 * WINO_NV x 16 x Cin vectors (at most WINO_V_VECS). */
#define WINO_NV 3
#define WINO_OB 8
#define WINO_V_VECS (2 * 16 * 64) /* NV 3 up to Cin 42, 2 up to 64 */

/* acc[k][j] = sum_ci U[xn][ci][o0+j] * V[k][xn][ci] for NV chunks, 8 channels. */
static inline __attribute__((always_inline)) void
wino_product(__m512 *mo, const __m512 *V, const float *U, int Ci, int Co, int o0, int xn,
             const int NV)
{
    __m512 acc[WINO_NV][WINO_OB];
    for (int k = 0; k < WINO_NV; k++)
        for (int j = 0; j < WINO_OB; j++) acc[k][j] = _mm512_setzero_ps();
    const __m512 *vx[WINO_NV];
    for (int k = 0; k < WINO_NV; k++) vx[k] = V + ((size_t)(k < NV ? k : 0) * 16 + xn) * Ci;
    const float *u = U + (size_t)xn * Ci * Co + o0;
    for (int ci = 0; ci < Ci; ci++) {
        __m512 x[WINO_NV];
        for (int k = 0; k < NV; k++) x[k] = vx[k][ci];
        const float *w = u + (size_t)ci * Co;
        for (int j = 0; j < WINO_OB; j++) {
            __m512 b = _mm512_set1_ps(w[j]);
            for (int k = 0; k < NV; k++) acc[k][j] = _mm512_fmadd_ps(b, x[k], acc[k][j]);
        }
    }
    /* mo[(k*WINO_OB + j)*16 + xn] */
    for (int k = 0; k < NV; k++)
        for (int j = 0; j < WINO_OB; j++) mo[((size_t)k * WINO_OB + j) * 16 + xn] = acc[k][j];
}

typedef struct wino_args {
    float *out;
    const float *inp, *U;
    int Ci, Co, accumulate, nv, relu;
    const float *gate;
    const wino_geo *g;
} wino_args;

/* One work item: chunks c0 .. c0+NV-1 (numbered n*cpp + row block); WC the
 * plane width, a constant after inlining (the row loads and stores then
 * carry no width dispatch). */
static inline __attribute__((always_inline)) void wino_item(const wino_args *A, size_t c0, const int NV,
                                                            const int WC)
{
    wino_geo lg = *A->g;
    lg.W = WC, lg.R = 32 / WC;
    const wino_geo *g = &lg;
    const int Ci = A->Ci, Co = A->Co;
    _Alignas(64) __m512 V[WINO_V_VECS];
    _Alignas(64) __m512 mo[WINO_NV * WINO_OB * 16];
    int n[WINO_NV], ty0[WINO_NV];
    for (int k = 0; k < NV; k++) {
        size_t c = c0 + (size_t)k;
        wino_chunk_at(g, c, &n[k], &ty0[k]);
    }
    for (int k = 0; k < NV; k++)
        for (int ci = 0; ci < Ci; ci++) {
            __m512 v[16];
            wino_input_tile(v, A->inp + (size_t)ci * g->chs + (size_t)n[k] * g->HW, g, ty0[k],
                            g->N - n[k], A->relu);
            for (int xn = 0; xn < 16; xn++) V[((size_t)k * 16 + xn) * Ci + ci] = v[xn];
        }
    for (int o0 = 0; o0 < Co; o0 += WINO_OB) {
        _Pragma("GCC unroll 16")
        for (int xn = 0; xn < 16; xn++) wino_product(mo, V, A->U, Ci, Co, o0, xn, NV);
        for (int k = 0; k < NV; k++)
            for (int j = 0; j < WINO_OB; j++)
            {
                size_t po = (size_t)(o0 + j) * g->chs + (size_t)n[k] * g->HW;
                wino_output_tile(A->out + po, g, ty0[k], &mo[((size_t)k * WINO_OB + j) * 16],
                                 A->accumulate, A->gate ? A->gate + po : NULL, g->N - n[k]);
            }
    }
}
#define WINO_ITEMS(w)                                                                              \
    static void wino_item_full_##w(const wino_args *A, size_t c0) { wino_item(A, c0, WINO_NV, w); } \
    static void wino_item_2_##w(const wino_args *A, size_t c0) { wino_item(A, c0, 2, w); }         \
    static void wino_item_1_##w(const wino_args *A, size_t c0) { wino_item(A, c0, 1, w); }
WINO_ITEMS(4)
WINO_ITEMS(8)
WINO_ITEMS(16)
WINO_ITEMS(32)
#undef WINO_ITEMS
typedef void (*wino_item_fn)(const wino_args *A, size_t c0);
/* The work item of count cnt (3, 2 or 1 chunks) at width W. */
static wino_item_fn wino_item_for(int W, size_t cnt)
{
#define WINO_PICK(w) \
    case w: return cnt == WINO_NV ? wino_item_full_##w : cnt == 2 ? wino_item_2_##w : wino_item_1_##w;
    switch (W) {
    WINO_PICK(4)
    WINO_PICK(8)
    WINO_PICK(16)
    default: break;
    }
    return cnt == WINO_NV ? wino_item_full_32 : cnt == 2 ? wino_item_2_32 : wino_item_1_32;
#undef WINO_PICK
}
#elif defined(__AVX2__)
/* ---- AVX2 + FMA: vectors of 8 tiles.  A chunk is 8 tiles of one tile row
 * (W = 16: the row; W = 32: its left or right half) or of two (W = 8: 4 tiles
 * each); it is read as two halves of 8 pixels, half h at plane row
 * (2 ty_h - 1 + i) for patch row i, pixels x_h - 1 .. x_h + 8.  Threads take
 * groups of WINO_NV consecutive chunks (over images and chunks of a plane);
 * each transforms its inputs for all input channels into V, forms M for 4
 * output channels at a time and writes their tiles, as the AVX-512 form. */
typedef struct wino_geo {
    int N, H, W, cpp;    /* cpp chunks per plane */
    size_t HW, chs, nch; /* plane size, channel stride N*H*W, chunks per channel */
} wino_geo;

static void wino_geo_init(wino_geo *g, int N, int H, int W)
{
    g->N = N, g->H = H, g->W = W;
    g->cpp = W == 8 ? H / 4 : (H / 2) * (W / 16);
    g->HW = (size_t)H * W, g->chs = (size_t)N * H * W;
    g->nch = (size_t)N * g->cpp;
}

/* Chunk c of a plane: tile rows ty[h] and first pixels x[h] of its halves. */
static inline void wino_chunk(const wino_geo *g, int c, int ty[2], int x[2])
{
    if (g->W == 8) {
        ty[0] = 2 * c, ty[1] = 2 * c + 1, x[0] = x[1] = 0;
    } else {
        int per = g->W / 16;
        ty[0] = ty[1] = c / per, x[0] = (c % per) * 16, x[1] = x[0] + 8;
    }
}

/* (even lanes of a|b, odd lanes of a|b): e = a0 a2 a4 a6 b0 b2 b4 b6 */
static inline void wino_deinterleave(__m256 a, __m256 b, __m256 *e, __m256 *o)
{
    __m256 se = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)); /* a0 a2 b0 b2 | a4 a6 b4 b6 */
    __m256 so = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(se), _MM_SHUFFLE(3, 1, 2, 0)));
    *o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(so), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* 8 pixels of row y of plane p from pixel x (masks: lanes outside the
 * plane's columns read 0); a row outside the plane reads as zeros; relu:
 * max(., 0) as it is read. */
static inline __m256 wino_row8(const float *p, const wino_geo *g, int y, int x, __m256i m,
                               int full, int relu)
{
    if (y < 0 || y >= g->H) return _mm256_setzero_ps();
    const float *r = p + (size_t)y * g->W + x;
    __m256 v = full ? _mm256_loadu_ps(r) : _mm256_maskload_ps(r, m);
    return relu ? _mm256_max_ps(v, _mm256_setzero_ps()) : v;
}

/* v[xi*4+nu] (16 vectors of 8 tiles) = B^T d B for chunk (ty, x) of plane p,
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]; patch row i of tile row t
 * is plane row 2t-1+i, patch column j of tile tx is pixel 2tx-1+j. */
static inline void wino_input_tile(__m256 *v, const float *p, const wino_geo *g, const int ty[2],
                                   const int x[2], int relu)
{
    const __m256i lm = _mm256_setr_epi32(0, -1, -1, -1, -1, -1, -1, -1); /* pixel x - 1 < 0 */
    const __m256i rm = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, -1, 0); /* pixel x + 8 >= W */
    __m256 d[4][4];
    for (int i = 0; i < 4; i++) {
        __m256 L[2], R[2];
        for (int h = 0; h < 2; h++) {
            int y = 2 * ty[h] - 1 + i;
            L[h] = wino_row8(p, g, y, x[h] - 1, lm, x[h] > 0, relu);       /* 2tx-1, 2tx */
            R[h] = wino_row8(p, g, y, x[h] + 1, rm, x[h] + 8 < g->W, relu); /* 2tx+1, 2tx+2 */
        }
        wino_deinterleave(L[0], L[1], &d[i][0], &d[i][1]);
        wino_deinterleave(R[0], R[1], &d[i][2], &d[i][3]);
    }
    __m256 e[4][4];
    for (int j = 0; j < 4; j++) {
        e[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
        e[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
        e[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
        e[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
    }
    for (int i = 0; i < 4; i++) {
        v[i * 4 + 0] = _mm256_sub_ps(e[i][0], e[i][2]);
        v[i * 4 + 1] = _mm256_add_ps(e[i][1], e[i][2]);
        v[i * 4 + 2] = _mm256_sub_ps(e[i][2], e[i][1]);
        v[i * 4 + 3] = _mm256_sub_ps(e[i][1], e[i][3]);
    }
}

/* Writes (or adds to) 8 pixels of row y of plane p from x; with a gate plane
 * gp (p's layout), only where gp > 0. */
static inline void wino_store8(float *p, const wino_geo *g, int y, int x, __m256 v, int accumulate,
                               const float *gp)
{
    size_t o = (size_t)y * g->W + x;
    if (gp) v = _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(gp + o), _mm256_setzero_ps(), _CMP_GT_OQ), v);
    if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(p + o));
    _mm256_storeu_ps(p + o, v);
}

/* Y = A^T m A (A^T = [1 1 1 0; 0 1 -1 -1]) for 8 tiles, written as the 2x2
 * output pixels of chunk (ty, x) in plane p. */
static inline void wino_output_tile(float *p, const wino_geo *g, const int ty[2], const int x[2],
                                    const __m256 *m, int accumulate, const float *gp)
{
    __m256 f[2][4];
    for (int j = 0; j < 4; j++) {
        f[0][j] = _mm256_add_ps(_mm256_add_ps(m[j], m[4 + j]), m[8 + j]);
        f[1][j] = _mm256_sub_ps(_mm256_sub_ps(m[4 + j], m[8 + j]), m[12 + j]);
    }
    for (int a = 0; a < 2; a++) {
        __m256 y0 = _mm256_add_ps(_mm256_add_ps(f[a][0], f[a][1]), f[a][2]); /* pixel 2tx   */
        __m256 y1 = _mm256_sub_ps(_mm256_sub_ps(f[a][1], f[a][2]), f[a][3]); /* pixel 2tx+1 */
        __m256 lo = _mm256_unpacklo_ps(y0, y1), hi = _mm256_unpackhi_ps(y0, y1);
        wino_store8(p, g, 2 * ty[0] + a, x[0], _mm256_permute2f128_ps(lo, hi, 0x20), accumulate, gp);
        wino_store8(p, g, 2 * ty[1] + a, x[1], _mm256_permute2f128_ps(lo, hi, 0x31), accumulate, gp);
    }
}

/* Chunks per work item and output channels per product block (12
 * accumulators); V holds WINO_NV x 16 x Cin vectors. */
#define WINO_NV 3
#define WINO_OB 4
#define WINO_V_VECS (WINO_NV * 16 * WS_WINO_MAX_CI)

/* mo[(k*OB + j)*16 + xn] = sum_ci U[xn][ci][o0+j] * V[k][xn][ci] for NV chunks. */
static inline __attribute__((always_inline)) void
wino_product(__m256 *mo, const __m256 *V, const float *U, int Ci, int Co, int o0, int xn,
             const int NV)
{
    __m256 acc[WINO_NV][WINO_OB];
    for (int k = 0; k < WINO_NV; k++)
        for (int j = 0; j < WINO_OB; j++) acc[k][j] = _mm256_setzero_ps();
    const __m256 *vx[WINO_NV];
    for (int k = 0; k < WINO_NV; k++) vx[k] = V + ((size_t)(k < NV ? k : 0) * 16 + xn) * Ci;
    const float *u = U + (size_t)xn * Ci * Co + o0;
    for (int ci = 0; ci < Ci; ci++) {
        __m256 x[WINO_NV];
        for (int k = 0; k < NV; k++) x[k] = vx[k][ci];
        const float *w = u + (size_t)ci * Co;
        for (int j = 0; j < WINO_OB; j++) {
            __m256 b = _mm256_set1_ps(w[j]);
            for (int k = 0; k < NV; k++) acc[k][j] = _mm256_fmadd_ps(b, x[k], acc[k][j]);
        }
    }
    for (int k = 0; k < NV; k++)
        for (int j = 0; j < WINO_OB; j++) mo[((size_t)k * WINO_OB + j) * 16 + xn] = acc[k][j];
}

typedef struct wino_args {
    float *out;
    const float *inp, *U;
    int Ci, Co, accumulate, nv, relu;
    const float *gate;
    const wino_geo *g;
} wino_args;

/* One work item: chunks c0 .. c0+NV-1 (numbered n*cpp + chunk of the plane). */
static inline __attribute__((always_inline)) void wino_item(const wino_args *A, size_t c0, const int NV)
{
    const wino_geo *g = A->g;
    const int Ci = A->Ci, Co = A->Co;
    _Alignas(32) __m256 V[WINO_V_VECS];
    _Alignas(32) __m256 mo[WINO_NV * WINO_OB * 16];
    int n[WINO_NV], ty[WINO_NV][2], x[WINO_NV][2];
    for (int k = 0; k < NV; k++) {
        size_t c = c0 + (size_t)k;
        n[k] = (int)(c / (size_t)g->cpp);
        wino_chunk(g, (int)(c % (size_t)g->cpp), ty[k], x[k]);
    }
    for (int k = 0; k < NV; k++)
        for (int ci = 0; ci < Ci; ci++) {
            __m256 v[16];
            wino_input_tile(v, A->inp + (size_t)ci * g->chs + (size_t)n[k] * g->HW, g, ty[k], x[k], A->relu);
            for (int xn = 0; xn < 16; xn++) V[((size_t)k * 16 + xn) * Ci + ci] = v[xn];
        }
    for (int o0 = 0; o0 < Co; o0 += WINO_OB) {
        _Pragma("GCC unroll 16")
        for (int xn = 0; xn < 16; xn++) wino_product(mo, V, A->U, Ci, Co, o0, xn, NV);
        for (int k = 0; k < NV; k++)
            for (int j = 0; j < WINO_OB; j++) {
                size_t po = (size_t)(o0 + j) * g->chs + (size_t)n[k] * g->HW;
                wino_output_tile(A->out + po, g, ty[k], x[k], &mo[((size_t)k * WINO_OB + j) * 16],
                                 A->accumulate, A->gate ? A->gate + po : NULL);
            }
    }
}
static void wino_item_full(const wino_args *A, size_t c0) { wino_item(A, c0, WINO_NV); }
static void wino_item_2(const wino_args *A, size_t c0) { wino_item(A, c0, 2); }
static void wino_item_1(const wino_args *A, size_t c0) { wino_item(A, c0, 1); }
typedef void (*wino_item_fn)(const wino_args *A, size_t c0);
static wino_item_fn wino_item_for(int W, size_t cnt)
{
    (void)W;
    return cnt == WINO_NV ? wino_item_full : cnt == 2 ? wino_item_2 : wino_item_1;
}
#endif /* __AVX512F__, __AVX2__ */


void ws_conv_wino_forward(float *out, const float *inp, const float *weight, int N, int Ci, int H,
                          int W, int Co, int transposed, int accumulate, int relu,
                          const float *gate, float *work)
{
#if defined(__AVX512F__) || defined(__AVX2__)
    WS_ASSERT(ws_conv_wino_shape(Ci, H, W, Co));
    /* U[(xn*Ci + ci)*Co + co]; the kernel k(co,ci) is weight[co][ci] or, for
     * dinp, weight[ci][co] rotated by 180 degrees */
    float *U = work;
    /* blocks of up to 16 output channels per input channel, so each xn's
     * row of the block is written as one run instead of 16 strided floats */
    int nob = (Co + 15) / 16;
    wino_geo g;
    wino_geo_init(&g, N, H, W);
    /* groups of NV chunks; NV shrinks with Ci so V stays within WINO_V_VECS */
    int nv = WINO_V_VECS / (16 * Ci);
    if (nv > WINO_NV) nv = WINO_NV;
    wino_args A = {out, inp, U, Ci, Co, accumulate, nv, relu, gate, &g};
    size_t C = g.nch, nfull = C / (size_t)nv, rem = C - nfull * (size_t)nv;
    size_t items = nfull + (rem ? 1 : 0);
    /* one parallel region: the kernel transform, then (after the loop's
     * barrier) the work items */
#pragma omp parallel
    {
#pragma omp for schedule(static)
    for (int b = 0; b < nob * Ci; b++) {
        int ci = b / nob, o0 = (b % nob) * 16, no = Co - o0 < 16 ? Co - o0 : 16;
#ifdef __AVX512F__
        /* the 16 kernels of the block in the lanes of one vector per tap */
        wino_kernel_transform16(U, weight, ci, o0, no, Ci, Co, transposed);
#else
        float ub[16][16]; /* [xn][co - o0] */
        for (int j = 0; j < no; j++) {
            int co = o0 + j;
            float k9[9], u[16];
            const float *src = transposed ? weight + ((size_t)ci * Co + co) * 9 : weight + ((size_t)co * Ci + ci) * 9;
            for (int t = 0; t < 9; t++) k9[t] = transposed ? src[8 - t] : src[t];
            wino_kernel_transform(u, k9);
            for (int xn = 0; xn < 16; xn++) ub[xn][j] = u[xn];
        }
        for (int xn = 0; xn < 16; xn++)
            memcpy(U + ((size_t)xn * Ci + ci) * Co + o0, ub[xn], (size_t)no * sizeof(float));
#endif
    }
#pragma omp for schedule(static)
    for (size_t it = 0; it < items; it++) {
        size_t c0 = it * (size_t)A.nv;
        size_t cnt = it < nfull ? (size_t)A.nv : rem;
        wino_item_for(W, cnt)(&A, c0);
    }
    }
#else
    (void)out, (void)inp, (void)weight, (void)N, (void)Ci, (void)H, (void)W, (void)Co;
    (void)transposed, (void)accumulate, (void)relu, (void)gate, (void)work;
    WS_ASSERT(0 && "Winograd convolution without AVX-512 or AVX2");
#endif
}

/* ---- weight gradient ------------------------------------------------------
 * Chunks (n, tile-row block) are split into WINO_DW_SLICES consecutive
 * slices; slice s sums its chunks in order into its own partial dU_s (in
 * work, layout [xn][co][ci]), and the slices are added in slice order before
 * dw += G^T dU G, so the result does not depend on the thread count.  Per
 * chunk a thread forms, in stack buffers:
 *   Vt[xn][tile][ci]  the input transform, transposed so 16 channels of one
 *                     tile share a vector (16x16 register transposes);
 *   dM[xn][co][tile]  the output-gradient transform A dY A^T;
 * and then for each xn adds the 16 rank-1 updates dM[xn][.][t] x Vt[xn][t][.]
 * to dU_s[xn] with vector accumulators over (8 or 16 co) x (16 or 32 ci):
 * each loaded channel vector serves 8-16 FMAs and each broadcast 1-2. */
#ifdef __AVX512F__
/* r[j] <- column j of the 16x16 matrix whose row i was r[i]. */
static inline void wino_transpose16(__m512 *r)
{
    __m512 a[16], b[16];
    for (int k = 0; k < 8; k++) { /* rows 2k, 2k+1 interleaved per 128-bit block */
        a[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        a[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 4; k++) { /* b[4k+c], block q: rows 4k..4k+3 of column 4q+c */
        __m512d x0 = _mm512_castps_pd(a[4 * k]), x1 = _mm512_castps_pd(a[4 * k + 1]);
        __m512d x2 = _mm512_castps_pd(a[4 * k + 2]), x3 = _mm512_castps_pd(a[4 * k + 3]);
        b[4 * k] = _mm512_castpd_ps(_mm512_unpacklo_pd(x0, x2));
        b[4 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(x0, x2));
        b[4 * k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(x1, x3));
        b[4 * k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(x1, x3));
    }
    for (int c = 0; c < 4; c++) { /* gather block q of b[c], b[4+c], b[8+c], b[12+c] */
        __m512 e0 = _mm512_shuffle_f32x4(b[c], b[4 + c], 0x88), e1 = _mm512_shuffle_f32x4(b[c], b[4 + c], 0xDD);
        __m512 e2 = _mm512_shuffle_f32x4(b[8 + c], b[12 + c], 0x88);
        __m512 e3 = _mm512_shuffle_f32x4(b[8 + c], b[12 + c], 0xDD);
        r[c] = _mm512_shuffle_f32x4(e0, e2, 0x88);
        r[4 + c] = _mm512_shuffle_f32x4(e1, e3, 0x88);
        r[8 + c] = _mm512_shuffle_f32x4(e0, e2, 0xDD);
        r[12 + c] = _mm512_shuffle_f32x4(e1, e3, 0xDD);
    }
}

/* m[xi*4+nu] = (A dY A^T)[xi][nu] (A = [1 0; 1 1; 1 -1; 0 -1]) for the 16
 * tiles of chunk ty0 of the output-gradient plane p. */
static inline __attribute__((always_inline)) void wino_grad_tile(__m512 *m, const float *p, const wino_geo *g, int ty0, int nimg)
{
    const __m512 z = _mm512_setzero_ps();
    __m512 c[2][4];
    for (int a = 0; a < 2; a++) {
        __m512 lo, hi;
        wino_load_rows(&lo, &hi, p, g, 2 * ty0 + a, nimg, 0);
        __m512 y0 = _mm512_permutex2var_ps(lo, g->even, hi); /* pixel 2tx   */
        __m512 y1 = _mm512_permutex2var_ps(lo, g->odd, hi);  /* pixel 2tx+1 */
        c[a][0] = y0, c[a][1] = _mm512_add_ps(y0, y1), c[a][2] = _mm512_sub_ps(y0, y1);
        c[a][3] = _mm512_sub_ps(z, y1);
    }
    for (int nu = 0; nu < 4; nu++) {
        m[nu] = c[0][nu];
        m[4 + nu] = _mm512_add_ps(c[0][nu], c[1][nu]);
        m[8 + nu] = _mm512_sub_ps(c[0][nu], c[1][nu]);
        m[12 + nu] = _mm512_sub_ps(z, c[1][nu]);
    }
}

/* ux[co*Ci + ci] (= when first) += sum_t mx[co*16 + t] * vx[t*Ci + ci] (one xn), blocks of
 * OB output channels x NCV vectors of 16 input channels; tiles in order. */
static inline __attribute__((always_inline)) void
wino_dw_product(float *ux, const float *vx, const float *mx, int Ci, int Co, int first,
                const int OB, const int NCV)
{
    for (int o0 = 0; o0 < Co; o0 += OB)
        for (int c0 = 0; c0 < Ci; c0 += 16 * NCV) {
            __m512 acc[16][2];
            for (int j = 0; j < OB; j++)
                for (int v = 0; v < NCV; v++)
                    acc[j][v] = first ? _mm512_setzero_ps() : _mm512_loadu_ps(ux + (size_t)(o0 + j) * Ci + c0 + 16 * v);
            _Pragma("GCC unroll 16")
            for (int t = 0; t < 16; t++) {
                __m512 x[2];
                for (int v = 0; v < NCV; v++) x[v] = _mm512_load_ps(vx + (size_t)t * Ci + c0 + 16 * v);
                for (int j = 0; j < OB; j++) {
                    __m512 b = _mm512_set1_ps(mx[(o0 + j) * 16 + t]);
                    for (int v = 0; v < NCV; v++) acc[j][v] = _mm512_fmadd_ps(b, x[v], acc[j][v]);
                }
            }
            for (int j = 0; j < OB; j++)
                for (int v = 0; v < NCV; v++) _mm512_storeu_ps(ux + (size_t)(o0 + j) * Ci + c0 + 16 * v, acc[j][v]);
        }
}

/* Out-of-line specialisations (constant blocking inside). */
#define WINO_DW_DEF(ob, ncv)                                                                     \
    static __attribute__((noinline)) void wino_dw_product_##ob##_##ncv(                          \
        float *ux, const float *vx, const float *mx, int Ci, int Co, int first)                  \
    {                                                                                             \
        wino_dw_product(ux, vx, mx, Ci, Co, first, ob, ncv);                                          \
    }
WINO_DW_DEF(8, 2)
WINO_DW_DEF(8, 1)
#undef WINO_DW_DEF
/* NB201's square shapes Ci = Co = 16, 32, 64: all offsets constant */
#define WINO_DW_SQ(c, ob, ncv)                                                                   \
    static __attribute__((noinline)) void wino_dw_product_sq##c(float *ux, const float *vx,      \
                                                                const float *mx, int first)      \
    {                                                                                             \
        wino_dw_product(ux, vx, mx, c, c, first, ob, ncv);                                        \
    }
WINO_DW_SQ(16, 16, 1)
WINO_DW_SQ(32, 8, 2)
WINO_DW_SQ(64, 8, 2)
#undef WINO_DW_SQ

typedef struct wino_dw_args {
    float *dU; /* WINO_DW_SLICES partials of 16*Co*Ci floats, [xn][co][ci] */
    const float *dout, *inp;
    int Ci, Co, variant; /* product: 16, 32, 64 (Ci = Co, constant), 1 (8 co x 32 ci), 2 (8 x 16) */
    int relu;            /* the input is read as max(inp, 0) */
    size_t per_slice, nchunks;
    const wino_geo *g;
} wino_dw_args;

/* Slice s of the chunks; WC the plane width, a constant after inlining (as
 * wino_item). */
static inline __attribute__((always_inline)) void wino_dw_slice_(const wino_dw_args *A, int s, const int WC)
{
    wino_geo lg = *A->g;
    lg.W = WC, lg.R = 32 / WC;
    const wino_geo *g = &lg;
    const int Ci = A->Ci, Co = A->Co;
    float *dU = A->dU + (size_t)s * 16 * Ci * Co;
    if (A->per_slice * (size_t)s >= A->nchunks) /* empty slice */
        for (size_t i = 0; i < (size_t)16 * Ci * Co; i++) dU[i] = 0.0f;
    /* xn blocks one cache line longer than needed, so the 16 stores of one
     * transform (one per xn) do not all map to the same L1 set at Ci = 64 */
    const size_t ldv = (size_t)16 * Ci + 16, ldm = (size_t)16 * Co + 16;
    _Alignas(64) float Vt[16 * (16 * WS_WINO_MAX_CI + 16)];
    _Alignas(64) float dM[16 * (16 * WS_WINO_MAX_CI + 16)];
    _Alignas(64) __m512 tmp[16 * 16]; /* [xn][ci % 16]: one block of 16 channels */
    size_t c0 = (size_t)s * A->per_slice, c1 = c0 + A->per_slice;
    if (c1 > A->nchunks) c1 = A->nchunks;
    for (size_t c = c0; c < c1; c++) {
        int n, ty0;
        wino_chunk_at(g, c, &n, &ty0);
        for (int cb = 0; cb < Ci; cb += 16) {
            for (int i = 0; i < 16; i++) {
                __m512 v[16];
                wino_input_tile(v, A->inp + (size_t)(cb + i) * g->chs + (size_t)n * g->HW, g, ty0,
                                g->N - n, A->relu);
                for (int xn = 0; xn < 16; xn++) tmp[xn * 16 + i] = v[xn];
            }
            for (int xn = 0; xn < 16; xn++) {
                wino_transpose16(&tmp[xn * 16]);
                for (int t = 0; t < 16; t++) _mm512_store_ps(Vt + xn * ldv + (size_t)t * Ci + cb, tmp[xn * 16 + t]);
            }
        }
        for (int co = 0; co < Co; co++) {
            __m512 m[16];
            wino_grad_tile(m, A->dout + (size_t)co * g->chs + (size_t)n * g->HW, g, ty0, g->N - n);
            for (int xn = 0; xn < 16; xn++) _mm512_store_ps(dM + xn * ldm + (size_t)co * 16, m[xn]);
        }
        for (int xn = 0; xn < 16; xn++) {
            float *ux = dU + (size_t)xn * Co * Ci;
            const float *vx = Vt + xn * ldv, *mx = dM + xn * ldm;
            int first = c == c0;
            switch (A->variant) {
            case 16: wino_dw_product_sq16(ux, vx, mx, first); break;
            case 32: wino_dw_product_sq32(ux, vx, mx, first); break;
            case 64: wino_dw_product_sq64(ux, vx, mx, first); break;
            case 1: wino_dw_product_8_2(ux, vx, mx, Ci, Co, first); break;
            default: wino_dw_product_8_1(ux, vx, mx, Ci, Co, first); break;
            }
        }
    }
}
static void wino_dw_slice_4(const wino_dw_args *A, int s) { wino_dw_slice_(A, s, 4); }
static void wino_dw_slice_8(const wino_dw_args *A, int s) { wino_dw_slice_(A, s, 8); }
static void wino_dw_slice_16(const wino_dw_args *A, int s) { wino_dw_slice_(A, s, 16); }
static void wino_dw_slice_32(const wino_dw_args *A, int s) { wino_dw_slice_(A, s, 32); }
static void wino_dw_slice(const wino_dw_args *A, int s)
{
    switch (A->g->W) {
    case 4: wino_dw_slice_4(A, s); break;
    case 8: wino_dw_slice_8(A, s); break;
    case 16: wino_dw_slice_16(A, s); break;
    default: wino_dw_slice_32(A, s); break;
    }
}
#elif defined(__AVX2__)
/* AVX2: the same sums with chunks of 8 tiles; V transposed in 8x8 blocks
 * (Vt[xn][tile][ci]), dM[xn][co][tile], and dU_s[xn] += the 8 rank-1 updates
 * with 4 co x 16 ci accumulators (8 vectors). */

/* r[j] <- column j of the 8x8 matrix whose row i was r[i]. */
static inline void wino_transpose8(__m256 *r)
{
    __m256 t[8], s[8];
    for (int k = 0; k < 4; k++) {
        t[2 * k] = _mm256_unpacklo_ps(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm256_unpackhi_ps(r[2 * k], r[2 * k + 1]);
    }
    for (int k = 0; k < 2; k++) { /* rows 4k..4k+3 */
        s[4 * k] = _mm256_shuffle_ps(t[4 * k], t[4 * k + 2], _MM_SHUFFLE(1, 0, 1, 0));
        s[4 * k + 1] = _mm256_shuffle_ps(t[4 * k], t[4 * k + 2], _MM_SHUFFLE(3, 2, 3, 2));
        s[4 * k + 2] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], _MM_SHUFFLE(1, 0, 1, 0));
        s[4 * k + 3] = _mm256_shuffle_ps(t[4 * k + 1], t[4 * k + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x31);
    }
}

/* m[xi*4+nu] = (A dY A^T)[xi][nu] (A = [1 0; 1 1; 1 -1; 0 -1]) for the 8
 * tiles of chunk (ty, x) of the output-gradient plane p. */
static inline void wino_grad_tile(__m256 *m, const float *p, const wino_geo *g, const int ty[2],
                                  const int x[2])
{
    const __m256 z = _mm256_setzero_ps();
    __m256 c[2][4];
    for (int a = 0; a < 2; a++) {
        __m256 y0, y1;
        wino_deinterleave(_mm256_loadu_ps(p + (size_t)(2 * ty[0] + a) * g->W + x[0]),
                          _mm256_loadu_ps(p + (size_t)(2 * ty[1] + a) * g->W + x[1]), &y0, &y1);
        c[a][0] = y0, c[a][1] = _mm256_add_ps(y0, y1), c[a][2] = _mm256_sub_ps(y0, y1);
        c[a][3] = _mm256_sub_ps(z, y1);
    }
    for (int nu = 0; nu < 4; nu++) {
        m[nu] = c[0][nu];
        m[4 + nu] = _mm256_add_ps(c[0][nu], c[1][nu]);
        m[8 + nu] = _mm256_sub_ps(c[0][nu], c[1][nu]);
        m[12 + nu] = _mm256_sub_ps(z, c[1][nu]);
    }
}

/* ux[co*Ci + ci] (= when first) += sum_t mx[co*8 + t] * vx[t*Ci + ci] (one xn),
 * blocks of 4 output channels x 16 input channels; tiles in order. */
static void wino_dw_product(float *ux, const float *vx, const float *mx, int Ci, int Co, int first)
{
    for (int o0 = 0; o0 < Co; o0 += 4)
        for (int c0 = 0; c0 < Ci; c0 += 16) {
            __m256 acc[4][2];
            for (int j = 0; j < 4; j++)
                for (int v = 0; v < 2; v++)
                    acc[j][v] = first ? _mm256_setzero_ps() : _mm256_loadu_ps(ux + (size_t)(o0 + j) * Ci + c0 + 8 * v);
            _Pragma("GCC unroll 8")
            for (int t = 0; t < 8; t++) {
                __m256 x0 = _mm256_load_ps(vx + (size_t)t * Ci + c0), x1 = _mm256_load_ps(vx + (size_t)t * Ci + c0 + 8);
                for (int j = 0; j < 4; j++) {
                    __m256 b = _mm256_set1_ps(mx[(o0 + j) * 8 + t]);
                    acc[j][0] = _mm256_fmadd_ps(b, x0, acc[j][0]);
                    acc[j][1] = _mm256_fmadd_ps(b, x1, acc[j][1]);
                }
            }
            for (int j = 0; j < 4; j++)
                for (int v = 0; v < 2; v++) _mm256_storeu_ps(ux + (size_t)(o0 + j) * Ci + c0 + 8 * v, acc[j][v]);
        }
}

typedef struct wino_dw_args {
    float *dU; /* WINO_DW_SLICES partials of 16*Co*Ci floats, [xn][co][ci] */
    const float *dout, *inp;
    int Ci, Co, variant; /* (the AVX-512 product's blocking; unused here) */
    int relu;            /* the input is read as max(inp, 0) */
    size_t per_slice, nchunks;
    const wino_geo *g;
} wino_dw_args;

static void wino_dw_slice(const wino_dw_args *A, int s)
{
    const wino_geo *g = A->g;
    const int Ci = A->Ci, Co = A->Co;
    float *dU = A->dU + (size_t)s * 16 * Ci * Co;
    if (A->per_slice * (size_t)s >= A->nchunks) /* empty slice */
        for (size_t i = 0; i < (size_t)16 * Ci * Co; i++) dU[i] = 0.0f;
    /* xn blocks one vector longer than needed (fewer L1 set conflicts) */
    const size_t ldv = (size_t)8 * Ci + 8, ldm = (size_t)8 * Co + 8;
    _Alignas(32) float Vt[16 * (8 * WS_WINO_MAX_CI + 8)];
    _Alignas(32) float dM[16 * (8 * WS_WINO_MAX_CI + 8)];
    _Alignas(32) __m256 tmp[16 * 8]; /* [xn][ci % 8]: one block of 8 channels */
    size_t c0 = (size_t)s * A->per_slice, c1 = c0 + A->per_slice;
    if (c1 > A->nchunks) c1 = A->nchunks;
    for (size_t c = c0; c < c1; c++) {
        int n = (int)(c / (size_t)g->cpp), ty[2], x[2];
        wino_chunk(g, (int)(c % (size_t)g->cpp), ty, x);
        for (int cb = 0; cb < Ci; cb += 8) {
            for (int i = 0; i < 8; i++) {
                __m256 v[16];
                wino_input_tile(v, A->inp + (size_t)(cb + i) * g->chs + (size_t)n * g->HW, g, ty, x, A->relu);
                for (int xn = 0; xn < 16; xn++) tmp[xn * 8 + i] = v[xn];
            }
            for (int xn = 0; xn < 16; xn++) {
                wino_transpose8(&tmp[xn * 8]);
                for (int t = 0; t < 8; t++) _mm256_store_ps(Vt + xn * ldv + (size_t)t * Ci + cb, tmp[xn * 8 + t]);
            }
        }
        for (int co = 0; co < Co; co++) {
            __m256 m[16];
            wino_grad_tile(m, A->dout + (size_t)co * g->chs + (size_t)n * g->HW, g, ty, x);
            for (int xn = 0; xn < 16; xn++) _mm256_store_ps(dM + xn * ldm + (size_t)co * 8, m[xn]);
        }
        for (int xn = 0; xn < 16; xn++)
            wino_dw_product(dU + (size_t)xn * Co * Ci, Vt + xn * ldv, dM + xn * ldm, Ci, Co, c == c0);
    }
}
#endif /* __AVX512F__, __AVX2__ */


void ws_conv_wino_dweight(float *dw, const float *dout, const float *inp, int N, int Ci, int H,
                          int W, int Co, int relu, float *work)
{
#if defined(__AVX512F__) || defined(__AVX2__)
    WS_ASSERT(ws_conv_wino_shape(Ci, H, W, Co) && Ci % 16 == 0);
    wino_geo g;
    wino_geo_init(&g, N, H, W);
    size_t nch = g.nch;
    wino_dw_args A = {work, dout, inp, Ci, Co, 2, relu, (nch + WINO_DW_SLICES - 1) / WINO_DW_SLICES, nch, &g};
    if (Ci == Co && (Ci == 16 || Ci == 32 || Ci == 64))
        A.variant = Ci;
    else if (Ci % 32 == 0)
        A.variant = 1;
    size_t su = (size_t)16 * Ci * Co;
    /* one parallel region: the slices, then (after the loop's barrier) the
     * reduction */
#pragma omp parallel
    {
#pragma omp for schedule(static)
    for (int s = 0; s < WINO_DW_SLICES; s++) wino_dw_slice(&A, s);
    /* dw[co][ci] += G^T dU G, dU the slices' sum in slice order,
     * G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1] */
#pragma omp for schedule(static)
    for (int co = 0; co < Co; co++) {
        float us[16][WS_WINO_MAX_CI];
        for (int xn = 0; xn < 16; xn++) {
            const float *p = work + ((size_t)xn * Co + co) * Ci;
            for (int ci = 0; ci < Ci; ci++) us[xn][ci] = p[ci];
            for (int s = 1; s < WINO_DW_SLICES; s++)
                for (int ci = 0; ci < Ci; ci++) us[xn][ci] += p[(size_t)s * su + ci];
        }
        for (int ci = 0; ci < Ci; ci++) {
            float u[16], t[3][4];
            for (int xn = 0; xn < 16; xn++) u[xn] = us[xn][ci];
            for (int nu = 0; nu < 4; nu++) {
                t[0][nu] = u[nu] + 0.5f * (u[4 + nu] + u[8 + nu]);
                t[1][nu] = 0.5f * (u[4 + nu] - u[8 + nu]);
                t[2][nu] = 0.5f * (u[4 + nu] + u[8 + nu]) + u[12 + nu];
            }
            float *d = dw + ((size_t)co * Ci + ci) * 9;
            for (int i = 0; i < 3; i++) {
                d[i * 3 + 0] += t[i][0] + 0.5f * (t[i][1] + t[i][2]);
                d[i * 3 + 1] += 0.5f * (t[i][1] - t[i][2]);
                d[i * 3 + 2] += 0.5f * (t[i][1] + t[i][2]) + t[i][3];
            }
        }
    }
    }
#else
    (void)dw, (void)dout, (void)inp, (void)N, (void)Ci, (void)H, (void)W, (void)Co, (void)relu, (void)work;
    WS_ASSERT(0 && "Winograd convolution without AVX-512 or AVX2");
#endif
}
