/* pool.c: average pools on channel-major (C,N,H,W) activations: 3x3 stride 1
 * pad 1 with count_include_pad=False (NB201's avg_pool_3x3), 2x2 stride 2
 * (the reduction cell's shortcut), and the global average pool that feeds the
 * classifier.  Each (c,n) plane is independent; OpenMP splits planes. */
#include "nn_internal.h"

#include <string.h>

/* Number of valid cells of the 3-window centred at i in [0,n). */
static inline int pool3_count1(int i, int n) { return 1 + (i > 0) + (i < n - 1); }

/* Direct 3x3 loops: the reference form, used for very wide planes. */
static void avgpool3_forward_generic(float *out, const float *inp, int P, int H, int W)
{
#pragma omp parallel for schedule(static)
    for (int p = 0; p < P; p++) {
        const float *x = inp + (size_t)p * H * W;
        float *o = out + (size_t)p * H * W;
        for (int y = 0; y < H; y++) {
            int y0 = y > 0 ? y - 1 : 0, y1 = y < H - 1 ? y + 1 : H - 1;
            int cy = pool3_count1(y, H);
            for (int xx = 0; xx < W; xx++) {
                int x0 = xx > 0 ? xx - 1 : 0, x1 = xx < W - 1 ? xx + 1 : W - 1;
                float s = 0.0f;
                for (int yy = y0; yy <= y1; yy++)
                    for (int xi = x0; xi <= x1; xi++) s += x[yy * W + xi];
                o[y * W + xx] = s / (float)(cy * pool3_count1(xx, W));
            }
        }
    }
}

/* dinp[i] += sum over outputs o whose window holds i of dout[o]/count(o);
 * the 3x3 window is symmetric, so this is a gather over i's neighbours. */
static void avgpool3_backward_generic(float *dinp, const float *dout, int P, int H, int W)
{
#pragma omp parallel for schedule(static)
    for (int p = 0; p < P; p++) {
        const float *g = dout + (size_t)p * H * W;
        float *d = dinp + (size_t)p * H * W;
        for (int y = 0; y < H; y++) {
            int y0 = y > 0 ? y - 1 : 0, y1 = y < H - 1 ? y + 1 : H - 1;
            for (int xx = 0; xx < W; xx++) {
                int x0 = xx > 0 ? xx - 1 : 0, x1 = xx < W - 1 ? xx + 1 : W - 1;
                float s = 0.0f;
                for (int yy = y0; yy <= y1; yy++)
                    for (int xi = x0; xi <= x1; xi++)
                        s += g[yy * W + xi] / (float)(pool3_count1(yy, H) * pool3_count1(xi, W));
                d[y * W + xx] += s;
            }
        }
    }
}

/* Separable form: the 3x3 window sum is a 3-row sum of horizontal 3-sums, and
 * the divisor count(y,x) = cy(y)*cx(x) factorises.  Backward is the same box
 * sum applied to dout/count (the window is symmetric).  Rows up to
 * POOL3_WMAX wide use three rolling row buffers on the stack. */
#define POOL3_WMAX 512

/* h[x] = v[x-1] + v[x] + v[x+1] (missing neighbours skipped); v = src * scale
 * when icx != NULL (scale = icy_r * icx[x]), formed in h first. */
static inline void pool3_hsum(float *h, const float *src, int W, const float *icx, float icy_r)
{
    if (!icx && W > 1) { /* plain form, vectorises */
        h[0] = src[0] + src[1];
        for (int x = 1; x < W - 1; x++) h[x] = src[x - 1] + src[x] + src[x + 1];
        h[W - 1] = src[W - 2] + src[W - 1];
        return;
    }
    float v0 = icx ? src[0] * icy_r * icx[0] : src[0];
    if (W == 1) {
        h[0] = v0;
        return;
    }
    /* rolling window: prev, cur, next */
    float prev = v0, cur = icx ? src[1] * icy_r * icx[1] : src[1];
    h[0] = prev + cur;
    for (int x = 1; x < W - 1; x++) {
        float next = icx ? src[x + 1] * icy_r * icx[x + 1] : src[x + 1];
        h[x] = prev + cur + next;
        prev = cur;
        cur = next;
    }
    h[W - 1] = prev + cur;
}

static inline const float *pool3_scale_row(float *row, const float *src, int W,
                                           const float *icx, float icy_r)
{
    for (int x = 0; x < W; x++) row[x] = src[x] * (icy_r * icx[x]);
    return row;
}

/* dst = box3(src) * icy*icx (forward) or dst += box3(src * icy*icx) (backward).
 * Backward scales one row at a time into a stack row, then sums like forward. */
static void pool3_plane(float *dst, const float *src, int H, int W, const float *icx,
                        const float *icy, int backward)
{
    float buf[3][POOL3_WMAX];
    /* backward: rows of src scaled by the counts, then summed like forward */
#define POOL3_ROW(r) (backward ? pool3_scale_row(scaled, src + (size_t)(r) * W, W, icx, icy[r]) \
                               : src + (size_t)(r) * W)
    float scaled[POOL3_WMAX];
    memset(scaled, 0, sizeof(float) * (size_t)W);
    pool3_hsum(buf[0], POOL3_ROW(0), W, NULL, 1.0f);
    if (H > 1) pool3_hsum(buf[1], POOL3_ROW(1), W, NULL, 1.0f);
    for (int y = 0; y < H; y++) {
        const float *a = y > 0 ? buf[(y - 1) % 3] : NULL, *b = buf[y % 3];
        const float *c = y < H - 1 ? buf[(y + 1) % 3] : NULL;
        float *d = dst + (size_t)y * W;
        if (backward) {
            if (a && c)
                for (int x = 0; x < W; x++) d[x] += a[x] + b[x] + c[x];
            else if (a)
                for (int x = 0; x < W; x++) d[x] += a[x] + b[x];
            else if (c)
                for (int x = 0; x < W; x++) d[x] += b[x] + c[x];
            else
                for (int x = 0; x < W; x++) d[x] += b[x];
        } else {
            float iy = icy[y];
            if (a && c)
                for (int x = 0; x < W; x++) d[x] = (a[x] + b[x] + c[x]) * (iy * icx[x]);
            else if (a)
                for (int x = 0; x < W; x++) d[x] = (a[x] + b[x]) * (iy * icx[x]);
            else if (c)
                for (int x = 0; x < W; x++) d[x] = (b[x] + c[x]) * (iy * icx[x]);
            else
                for (int x = 0; x < W; x++) d[x] = b[x] * (iy * icx[x]);
        }
        /* the row y+2 sum replaces row y-1's slot */
        if (y + 2 < H) pool3_hsum(buf[(y + 2) % 3], POOL3_ROW(y + 2), W, NULL, 1.0f);
    }
#undef POOL3_ROW
}

#ifdef __AVX512F__
#include <immintrin.h>
/* pool3_plane for W % 16 == 0, rows as 16-lane vectors: the same sums in the
 * same order (a missing neighbour enters as a masked-out 0). */
static void pool3_plane16(float *dst, const float *src, int H, int W, const float *icx,
                          const float *icy, int backward)
{
    float buf[3][POOL3_WMAX] __attribute__((aligned(64)));
    float scaled[POOL3_WMAX] __attribute__((aligned(64)));
    int nv = W / 16;
    for (int r = 0; r < H + 1; r++) {
        /* horizontal sums of row r into buf[r % 3], then output row r - 1 */
        if (r < H) {
            const float *x = src + (size_t)r * W;
            if (backward) {
                __m512 iy = _mm512_set1_ps(icy[r]);
                for (int v = 0; v < nv; v++)
                    _mm512_store_ps(scaled + v * 16, _mm512_mul_ps(_mm512_loadu_ps(x + v * 16),
                                                                   _mm512_mul_ps(iy, _mm512_loadu_ps(icx + v * 16))));
                x = scaled;
            }
            float *h = buf[r % 3];
            for (int v = 0; v < nv; v++) {
                __mmask16 ml = v == 0 ? 0xFFFE : 0xFFFF, mr = v == nv - 1 ? 0x7FFF : 0xFFFF;
                __m512 l = _mm512_maskz_loadu_ps(ml, x + v * 16 - 1);
                __m512 c = _mm512_loadu_ps(x + v * 16);
                __m512 rr = _mm512_maskz_loadu_ps(mr, x + v * 16 + 1);
                _mm512_store_ps(h + v * 16, _mm512_add_ps(_mm512_add_ps(l, c), rr));
            }
        }
        int y = r - 1;
        if (y < 0) continue;
        const float *a = y > 0 ? buf[(y - 1) % 3] : NULL, *b = buf[y % 3];
        const float *c = y < H - 1 ? buf[(y + 1) % 3] : NULL;
        float *d = dst + (size_t)y * W;
        __m512 iy = _mm512_set1_ps(icy[y]);
        for (int v = 0; v < nv; v++) {
            __m512 sum = _mm512_load_ps(b + v * 16);
            if (a) sum = _mm512_add_ps(_mm512_load_ps(a + v * 16), sum);
            if (c) sum = _mm512_add_ps(sum, _mm512_load_ps(c + v * 16));
            if (backward)
                _mm512_storeu_ps(d + v * 16, _mm512_add_ps(_mm512_loadu_ps(d + v * 16), sum));
            else
                _mm512_storeu_ps(d + v * 16, _mm512_mul_ps(sum, _mm512_mul_ps(iy, _mm512_loadu_ps(icx + v * 16))));
        }
    }
}

/* Planes narrower than a vector (W = 4 or 8, H*W a multiple of 16 and at
 * most POOL3_SMALL_MAX pixels: NB201's 8x8 and 4x4 stages) go as whole
 * planes of 16-lane vectors, several rows per vector.  The neighbours are
 * the same plane shifted by 1 (horizontal) and by W (vertical) pixels; a
 * lane whose neighbour is missing keeps its partial sum (masked add), so
 * every output is the same sums in the same order as pool3_plane. */
#define POOL3_SMALL_MAX 256
typedef struct pool3_small {
    int nv;                                     /* vectors per plane */
    __mmask16 ml[POOL3_SMALL_MAX / 16];         /* x > 0 */
    __mmask16 mr[POOL3_SMALL_MAX / 16];         /* x < W - 1 */
    __mmask16 mu[POOL3_SMALL_MAX / 16];         /* y > 0 */
    __mmask16 md[POOL3_SMALL_MAX / 16];         /* y < H - 1 */
    float scale[POOL3_SMALL_MAX] __attribute__((aligned(64))); /* icy[y] * icx[x] */
} pool3_small;

static int pool3_small_ok(int H, int W)
{
    return (W == 4 || W == 8) && H * W % 16 == 0 && H * W <= POOL3_SMALL_MAX;
}

static void pool3_small_init(pool3_small *m, int H, int W, const float *icx, const float *icy)
{
    m->nv = H * W / 16;
    for (int v = 0; v < m->nv; v++) {
        unsigned l = 0, r = 0, u = 0, d = 0;
        for (int b = 0; b < 16; b++) {
            int p = v * 16 + b, x = p % W, y = p / W;
            l |= (unsigned)(x > 0) << b, r |= (unsigned)(x < W - 1) << b;
            u |= (unsigned)(y > 0) << b, d |= (unsigned)(y < H - 1) << b;
            m->scale[p] = icy[y] * icx[x];
        }
        m->ml[v] = (__mmask16)l, m->mr[v] = (__mmask16)r;
        m->mu[v] = (__mmask16)u, m->md[v] = (__mmask16)d;
    }
}

/* One plane: dst = box3(src) * scale (forward) or dst += box3(src * scale)
 * (backward).  h (horizontal sums) sits 16 floats into a padded buffer, so
 * the shifted vertical loads stay inside it. */
static void pool3_plane_small(float *dst, const float *src, int W, const pool3_small *m,
                              int backward)
{
    float sc[POOL3_SMALL_MAX] __attribute__((aligned(64)));
    float hb[POOL3_SMALL_MAX + 32] __attribute__((aligned(64)));
    float *h = hb + 16;
    int nv = m->nv;
    if (backward) {
        for (int v = 0; v < nv; v++)
            _mm512_store_ps(sc + v * 16, _mm512_mul_ps(_mm512_loadu_ps(src + v * 16),
                                                       _mm512_load_ps(m->scale + v * 16)));
        src = sc;
    }
    for (int v = 0; v < nv; v++) { /* (x-1 + x) + x+1 */
        const float *x = src + v * 16;
        __m512 c = _mm512_loadu_ps(x);
        __m512 s = _mm512_mask_add_ps(c, m->ml[v], _mm512_maskz_loadu_ps(m->ml[v], x - 1), c);
        s = _mm512_mask_add_ps(s, m->mr[v], s, _mm512_maskz_loadu_ps(m->mr[v], x + 1));
        _mm512_store_ps(h + v * 16, s);
    }
    for (int v = 0; v < nv; v++) { /* (y-1 + y) + y+1 */
        const float *b = h + v * 16;
        __m512 c = _mm512_load_ps(b);
        __m512 s = _mm512_mask_add_ps(c, m->mu[v], _mm512_maskz_loadu_ps(m->mu[v], b - W), c);
        s = _mm512_mask_add_ps(s, m->md[v], s, _mm512_maskz_loadu_ps(m->md[v], b + W));
        float *d = dst + v * 16;
        if (backward)
            _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), s));
        else
            _mm512_storeu_ps(d, _mm512_mul_ps(s, _mm512_load_ps(m->scale + v * 16)));
    }
}
#endif

static void pool3_counts(float *ic, int n)
{
    for (int i = 0; i < n; i++) ic[i] = 1.0f / (float)pool3_count1(i, n);
}

/* Both directions of the 3x3 pool share one plane loop: backward (acc = 1)
 * scatters dout over the same windows, accumulating into dinp. */
static void avgpool3_planes(float *dst, const float *src, int P, int H, int W, int acc)
{
    float icx[POOL3_WMAX], icy[POOL3_WMAX];
    pool3_counts(icx, W), pool3_counts(icy, H);
#ifdef __AVX512F__
    if (pool3_small_ok(H, W)) {
        pool3_small m;
        pool3_small_init(&m, H, W, icx, icy);
#pragma omp parallel for schedule(static)
        for (int p = 0; p < P; p++)
            pool3_plane_small(dst + (size_t)p * H * W, src + (size_t)p * H * W, W, &m, acc);
        return;
    }
#endif
#pragma omp parallel for schedule(static)
    for (int p = 0; p < P; p++)
#ifdef __AVX512F__
        if (W % 16 == 0)
            pool3_plane16(dst + (size_t)p * H * W, src + (size_t)p * H * W, H, W, icx, icy, acc);
        else
#endif
            pool3_plane(dst + (size_t)p * H * W, src + (size_t)p * H * W, H, W, icx, icy, acc);
}

void ws_avgpool3_forward_planes(float *out, const float *inp, int P, int H, int W)
{
    static const float inv[4] = {0.0f, 1.0f / 1.0f, 1.0f / 2.0f, 1.0f / 3.0f}; /* = 1/(float)k */
    float icx[WS_POOL3_PLANE_MAX], icy[WS_POOL3_PLANE_MAX];
    WS_ASSERT(H >= 1 && W >= 1 && H <= WS_POOL3_PLANE_MAX && W <= WS_POOL3_PLANE_MAX);
    for (int i = 0; i < W; i++) icx[i] = inv[pool3_count1(i, W)];
    for (int i = 0; i < H; i++) icy[i] = inv[pool3_count1(i, H)];
    size_t HW = (size_t)H * W;
#ifdef __AVX512F__
    if (pool3_small_ok(H, W)) { /* the 8x8 and 4x4 stages, as avgpool3_planes */
        pool3_small m;
        pool3_small_init(&m, H, W, icx, icy);
        for (int p = 0; p < P; p++) pool3_plane_small(out + p * HW, inp + p * HW, W, &m, 0);
        return;
    }
    if (W % 16 == 0) {
        for (int p = 0; p < P; p++) pool3_plane16(out + p * HW, inp + p * HW, H, W, icx, icy, 0);
        return;
    }
#endif
    for (int p = 0; p < P; p++) pool3_plane(out + p * HW, inp + p * HW, H, W, icx, icy, 0);
}

void ws_avgpool3_forward(float *out, const float *inp, int C, int N, int H, int W)
{
    int P = C * N;
    if (W > POOL3_WMAX || H > POOL3_WMAX) {
        avgpool3_forward_generic(out, inp, P, H, W);
        return;
    }
    avgpool3_planes(out, inp, P, H, W, 0);
}

void ws_avgpool3_backward(float *dinp, const float *dout, int C, int N, int H, int W)
{
    if (!dinp) return;
    int P = C * N;
    if (W > POOL3_WMAX || H > POOL3_WMAX) {
        avgpool3_backward_generic(dinp, dout, P, H, W);
        return;
    }
    avgpool3_planes(dinp, dout, P, H, W, 1);
}

void ws_avgpool2_forward(float *out, const float *inp, int C, int N, int H, int W)
{
    int P = C * N, Ho = H / 2, Wo = W / 2;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < P; p++) {
        const float *x = inp + (size_t)p * H * W;
        float *o = out + (size_t)p * Ho * Wo;
        for (int y = 0; y < Ho; y++)
            for (int xx = 0; xx < Wo; xx++) {
                const float *r0 = x + (2 * y) * W + 2 * xx, *r1 = r0 + W;
                o[y * Wo + xx] = 0.25f * (r0[0] + r0[1] + r1[0] + r1[1]);
            }
    }
}

void ws_avgpool2_backward(float *dinp, const float *dout, int C, int N, int H, int W)
{
    if (!dinp) return;
    int P = C * N, Ho = H / 2, Wo = W / 2;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < P; p++) {
        const float *g = dout + (size_t)p * Ho * Wo;
        float *d = dinp + (size_t)p * H * W;
        for (int y = 0; y < Ho; y++)
            for (int xx = 0; xx < Wo; xx++) {
                float v = 0.25f * g[y * Wo + xx];
                float *r0 = d + (2 * y) * W + 2 * xx, *r1 = r0 + W;
                r0[0] += v;
                r0[1] += v;
                r1[0] += v;
                r1[1] += v;
            }
    }
}

/* out (N,C) row-major = mean over H*W of inp (C,N,H,W) */
void ws_gap_forward(float *out, const float *inp, int C, int N, int H, int W)
{
    int P = C * N, HW = H * W;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < P; p++) {
        int c = p / N, n = p % N;
        double s, ss;
        ws_nn_sums(inp + (size_t)p * HW, NULL, (size_t)HW, &s, &ss);
        out[(size_t)n * C + c] = (float)(s / HW);
    }
}

void ws_gap_backward(float *dinp, const float *dout, int C, int N, int H, int W)
{
    if (!dinp) return;
    int P = C * N, HW = H * W;
#pragma omp parallel for schedule(static)
    for (int p = 0; p < P; p++) {
        int c = p / N, n = p % N;
        float v = dout[(size_t)n * C + c] / (float)HW;
        float *d = dinp + (size_t)p * HW;
        for (int i = 0; i < HW; i++) d[i] += v;
    }
}
