/* conv.c: 2-D convolution without bias on channel-major activations
 * (C,N,H,W), by im2col + GEMM.  Images are processed in chunks so the column
 * buffer stays small; inside a chunk the output columns of all its images form
 * one GEMM: out(Cout, nb*Ho*Wo) = weight(Cout, Cin*K*K) * col(Cin*K*K, nb*Ho*Wo),
 * written in place into the (Cout, N*Ho*Wo) output through ldc.  A 1x1,
 * stride-1, pad-0 convolution needs no column buffer: it is one GEMM on the
 * input itself.  Stride-1 1x1 and 3x3 pad-1 (stride 1 or 2) shapes go to the
 * direct AVX-512 or AVX2 kernels of conv_direct.c when they fit
 * (ws_conv_direct_ok).
 * Reference: torch.nn.functional.conv2d (cross-correlation). */
#include "nn_internal.h"

#include <string.h>

/* Column budget per chunk (floats in the column buffer), ~1 MB. */
#define CONV_COL_BUDGET (256 * 1024)

static int conv_out_dim(int H, int K, int stride, int pad) { return (H + 2 * pad - K) / stride + 1; }

static int conv_is_pointwise(int K, int stride, int pad) { return K == 1 && stride == 1 && pad == 0; }

/* Images per chunk: depends only on the shape, never on the thread count. */
static int conv_chunk_images(int N, int Cin, int K, int Ho, int Wo)
{
    size_t per_img = (size_t)Cin * K * K * Ho * Wo;
    int nb = (int)(CONV_COL_BUDGET / (per_img ? per_img : 1));
    if (nb < 1) nb = 1;
    if (nb > N) nb = N;
    return nb;
}

size_t ws_conv2d_work_size(int N, int Cin, int H, int W, int Cout, int K, int stride, int pad)
{
    size_t wsz = (size_t)Cout * Cin * K * K;
    if (ws_conv_direct_shape(Cin, H, W, Cout, K, stride, pad, 0)) {
        size_t d = ws_conv_direct_work(N, Cin, H, W, Cout, K, stride);
        if (d > wsz) wsz = d;
    }
    if (conv_is_pointwise(K, stride, pad)) return wsz;
    int Ho = conv_out_dim(H, K, stride, pad), Wo = conv_out_dim(W, K, stride, pad);
    int nb = conv_chunk_images(N, Cin, K, Ho, Wo);
    size_t col = (size_t)Cin * K * K * nb * Ho * Wo;
    return col > wsz ? col : wsz;
}

/* The output columns [*lo, *hi) of a row whose input pixel ix = ox*stride -
 * pad + kx lies inside [0, W); the others read padding. */
static void conv_span(int W, int Wo, int kx, int stride, int pad, int *lo, int *hi)
{
    int a = pad - kx, l = a > 0 ? (a + stride - 1) / stride : 0;
    int b = W - 1 + pad - kx, h = b >= 0 ? b / stride + 1 : 0;
    *lo = l < Wo ? l : Wo;
    *hi = h < Wo ? h : Wo;
    if (*hi < *lo) *hi = *lo;
}

/* One tap (ky, kx) of one image plane src (H x W) into its rows of col, dst
 * (Ho x Wo): per output row, the in-image span copied (memcpy at stride 1)
 * and the padding zeroed. */
static void im2col_plane(float *dst, const float *src, int H, int W, int Ho, int Wo, int ky,
                         int kx, int stride, int pad)
{
    int lo, hi;
    conv_span(W, Wo, kx, stride, pad, &lo, &hi);
    for (int oy = 0; oy < Ho; oy++) {
        int iy = oy * stride - pad + ky;
        float *d = dst + (size_t)oy * Wo;
        if (iy < 0 || iy >= H) {
            memset(d, 0, sizeof(float) * Wo);
            continue;
        }
        const float *s = src + (size_t)iy * W;
        int sx = kx - pad; /* ix = ox * stride + sx */
        if (lo > 0) memset(d, 0, sizeof(float) * lo);
        if (stride == 1)
            memcpy(d + lo, s + lo + sx, sizeof(float) * (hi - lo));
        else
            for (int ox = lo; ox < hi; ox++) d[ox] = s[ox * stride + sx];
        if (hi < Wo) memset(d + hi, 0, sizeof(float) * (Wo - hi));
    }
}

/* The same for a "same-padded" stride-1 tap (Ho = H, Wo = W): the plane
 * shifted by (ky - pad) rows and (kx - pad) columns is one contiguous copy
 * of the rows that exist; the columns that wrapped to the neighbouring row
 * and the missing rows are then zeroed. */
static void im2col_plane_same(float *dst, const float *src, int H, int W, int ky, int kx, int pad)
{
    int dy = ky - pad, dx = kx - pad;
    int y0 = dy < 0 ? -dy : 0, y1 = dy > 0 ? H - dy : H; /* output rows with a source row */
    if (y1 <= y0) {
        memset(dst, 0, sizeof(float) * H * W);
        return;
    }
    if (y0 > 0) memset(dst, 0, sizeof(float) * y0 * W);
    if (y1 < H) memset(dst + (size_t)y1 * W, 0, sizeof(float) * (H - y1) * W);
    /* d[p] = s[p + dy*W + dx] for p in rows [y0, y1), except the first
     * pixels (dx < 0) or last (dx > 0) of each row, fixed below */
    long sh = (long)dy * W + dx;
    size_t p0 = (size_t)y0 * W, p1 = (size_t)y1 * W;
    if (dx < 0) p0 -= dx; /* p0 + sh >= 0 */
    if (dx > 0) p1 -= dx; /* p1 + sh <= H*W */
    if (p1 > p0) memcpy(dst + p0, src + (long)p0 + sh, sizeof(float) * (p1 - p0));
    int adx = dx < 0 ? -dx : dx;
    if (adx >= W) {
        memset(dst + (size_t)y0 * W, 0, sizeof(float) * (y1 - y0) * W);
        return;
    }
    for (int y = y0; y < y1 && adx; y++) {
        float *d = dst + (size_t)y * W + (dx < 0 ? 0 : W - adx);
        memset(d, 0, sizeof(float) * adx);
    }
}

/* col (Cin*K*K, nb*Ho*Wo) from images n0..n0+nb-1 of inp (Cin,N,H,W). */
static void conv_im2col(float *col, const float *inp, int n0, int nb, int N, int Cin, int H,
                        int W, int K, int stride, int pad, int Ho, int Wo)
{
    int rows = Cin * K * K, same = stride == 1 && Ho == H && Wo == W;
    size_t cols = (size_t)nb * Ho * Wo;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) {
        int ci = r / (K * K), ky = (r / K) % K, kx = r % K;
        float *dst = col + (size_t)r * cols;
        for (int n = 0; n < nb; n++) {
            const float *src = inp + ((size_t)ci * N + n0 + n) * H * W;
            float *d = dst + (size_t)n * Ho * Wo;
            if (same)
                im2col_plane_same(d, src, H, W, ky, kx, pad);
            else
                im2col_plane(d, src, H, W, Ho, Wo, ky, kx, stride, pad);
        }
    }
}

/* dinp (Cin,N,H,W) images n0.. += col2im(dcol); parallel over input channels
 * so no two threads write the same element; fixed summation order (taps in
 * order; per tap each input pixel gets at most one term).  Per output row only
 * the in-image span is visited, as contiguous adds at stride 1. */
static void conv_col2im_add(float *dinp, const float *dcol, int n0, int nb, int N, int Cin,
                            int H, int W, int K, int stride, int pad, int Ho, int Wo)
{
    size_t cols = (size_t)nb * Ho * Wo;
#pragma omp parallel for schedule(static)
    for (int ci = 0; ci < Cin; ci++) {
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                const float *src = dcol + ((size_t)(ci * K + ky) * K + kx) * cols;
                int lo, hi;
                conv_span(W, Wo, kx, stride, pad, &lo, &hi);
                for (int n = 0; n < nb; n++) {
                    float *dst = dinp + ((size_t)ci * N + n0 + n) * H * W;
                    for (int oy = 0; oy < Ho; oy++) {
                        int iy = oy * stride - pad + ky;
                        if (iy < 0 || iy >= H) continue;
                        const float *s = src + ((size_t)n * Ho + oy) * Wo;
                        float *d = dst + (size_t)iy * W;
                        int sx = kx - pad;
                        if (stride == 1)
                            for (int ox = lo; ox < hi; ox++) d[ox + sx] += s[ox];
                        else
                            for (int ox = lo; ox < hi; ox++) d[ox * stride + sx] += s[ox];
                    }
                }
            }
    }
}

void ws_conv_im2col_(float *col, const float *inp, int n0, int nb, int N, int Cin, int H, int W,
                     int K, int stride, int pad)
{
    conv_im2col(col, inp, n0, nb, N, Cin, H, W, K, stride, pad, conv_out_dim(H, K, stride, pad),
                conv_out_dim(W, K, stride, pad));
}

void ws_conv_col2im_add_(float *dinp, const float *dcol, int n0, int nb, int N, int Cin, int H,
                         int W, int K, int stride, int pad)
{
    conv_col2im_add(dinp, dcol, n0, nb, N, Cin, H, W, K, stride, pad,
                    conv_out_dim(H, K, stride, pad), conv_out_dim(W, K, stride, pad));
}

/* out (Cout,N,Ho,Wo) = conv(inp (Cin,N,H,W), weight (Cout,Cin,K,K)) */
void ws_conv2d_forward(float *out, const float *inp, const float *weight, int N, int Cin, int H,
                       int W, int Cout, int K, int stride, int pad, float *work)
{
    int Ho = conv_out_dim(H, K, stride, pad), Wo = conv_out_dim(W, K, stride, pad);
    size_t HWo = (size_t)Ho * Wo;
    int ld_out = (int)(N * HWo);
    if (ws_conv_direct_ok(Cin, H, W, Cout, K, stride, pad, 0)) {
        ws_conv_direct_forward(out, inp, weight, N, Cin, H, W, Cout, K, stride, 0, work);
        return;
    }
    if (conv_is_pointwise(K, stride, pad)) {
        ws_sgemm(0, 0, Cout, ld_out, Cin, 1.0f, weight, Cin, inp, ld_out, 0.0f, out, ld_out);
        return;
    }
    int KK = Cin * K * K;
    int nb = conv_chunk_images(N, Cin, K, Ho, Wo);
    for (int n0 = 0; n0 < N; n0 += nb) {
        int m = N - n0 < nb ? N - n0 : nb;
        conv_im2col(work, inp, n0, m, N, Cin, H, W, K, stride, pad, Ho, Wo);
        ws_sgemm(0, 0, Cout, (int)(m * HWo), KK, 1.0f, weight, KK, work, (int)(m * HWo), 0.0f,
                 out + n0 * HWo, ld_out);
    }
}

static int g_relu_fusion = 1;
void ws_nn_set_relu_fusion(int on) { g_relu_fusion = on; }

int ws_conv2d_relu_fused_ok(int Cin, int H, int W, int Cout, int K, int stride, int pad)
{
    return g_relu_fusion && ws_conv_direct_ok(Cin, H, W, Cout, K, stride, pad, 1);
}

void ws_conv2d_relu_forward(float *out, const float *inp, const float *weight, int N, int Cin,
                            int H, int W, int Cout, int K, int stride, int pad, float *work)
{
    WS_ASSERT(ws_conv2d_relu_fused_ok(Cin, H, W, Cout, K, stride, pad));
    ws_conv_direct_forward(out, inp, weight, N, Cin, H, W, Cout, K, stride, 1, work);
}

void ws_conv2d_relu_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                             const float *weight, int N, int Cin, int H, int W, int Cout, int K,
                             int stride, int pad, float *work)
{
    WS_ASSERT(ws_conv2d_relu_fused_ok(Cin, H, W, Cout, K, stride, pad));
    ws_conv_direct_backward(dinp, dweight, dout, inp, weight, N, Cin, H, W, Cout, K, stride, 1,
                            work);
}

/* dweight (Cout,Cin,K,K) += dout * col^T ; dinp += col2im(weight^T * dout) */
void ws_conv2d_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                        const float *weight, int N, int Cin, int H, int W, int Cout, int K,
                        int stride, int pad, float *work)
{
    int Ho = conv_out_dim(H, K, stride, pad), Wo = conv_out_dim(W, K, stride, pad);
    size_t HWo = (size_t)Ho * Wo;
    int ld_out = (int)(N * HWo);
    if (ws_conv_direct_ok(Cin, H, W, Cout, K, stride, pad, dinp != NULL)) {
        ws_conv_direct_backward(dinp, dweight, dout, inp, weight, N, Cin, H, W, Cout, K, stride,
                                0, work);
        return;
    }
    if (conv_is_pointwise(K, stride, pad)) {
        if (dweight)
            ws_sgemm(0, 1, Cout, Cin, ld_out, 1.0f, dout, ld_out, inp, ld_out, 1.0f, dweight, Cin);
        if (dinp)
            ws_sgemm(1, 0, Cin, ld_out, Cout, 1.0f, weight, Cin, dout, ld_out, 1.0f, dinp, ld_out);
        return;
    }
    int KK = Cin * K * K;
    int nb = conv_chunk_images(N, Cin, K, Ho, Wo);
    for (int n0 = 0; n0 < N; n0 += nb) {
        int m = N - n0 < nb ? N - n0 : nb;
        int cols = (int)(m * HWo);
        const float *dout_c = dout + n0 * HWo;
        if (dweight) {
            conv_im2col(work, inp, n0, m, N, Cin, H, W, K, stride, pad, Ho, Wo);
            ws_sgemm(0, 1, Cout, KK, cols, 1.0f, dout_c, ld_out, work, cols, 1.0f, dweight, KK);
        }
        if (dinp) {
            ws_sgemm(1, 0, KK, cols, Cout, 1.0f, weight, KK, dout_c, ld_out, 0.0f, work, cols);
            conv_col2im_add(dinp, work, n0, m, N, Cin, H, W, K, stride, pad, Ho, Wo);
        }
    }
}

#ifdef __AVX512F__
#define CONV_ISA "AVX-512"
#else
#define CONV_ISA "AVX2"
#endif
const char *ws_nn_conv_name(void)
{
    static const char *const names[] = {
        "im2col + GEMM for every shape",
        "direct " CONV_ISA " (1x1, 3x3 stride 1/2), 3x3 stride-1 by Winograd F(2x2,3x3) where it "
        "fits, im2col + GEMM otherwise",
        "direct " CONV_ISA " (1x1, 3x3 stride 1/2), im2col + GEMM otherwise",
    };
    /* no AVX-512F or AVX2 */
    if (!ws_conv_direct_shape(16, 32, 32, 16, 3, 1, 1, 1)) return names[0];
    if (!ws_conv_direct_ok(16, 32, 32, 16, 3, 1, 1, 1)) return names[0];
    return ws_conv_wino_ok(16, 32, 32, 16) ? names[1] : names[2];
}
