/* pool.c: average pools on channel-major (C,N,H,W) activations: 3x3 stride 1
 * pad 1 with count_include_pad=False (NB201's avg_pool_3x3), 2x2 stride 2
 * (the reduction cell's shortcut), and the global average pool that feeds the
 * classifier.  Each (c,n) plane is independent; OpenMP splits planes. */
#include "wsnas/nn.h"

/* Number of valid cells of the 3-window centred at i in [0,n). */
static inline int pool3_count1(int i, int n) { return 1 + (i > 0) + (i < n - 1); }

void ws_avgpool3_forward(float *out, const float *inp, int C, int N, int H, int W)
{
    int P = C * N;
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
void ws_avgpool3_backward(float *dinp, const float *dout, int C, int N, int H, int W)
{
    if (!dinp) return;
    int P = C * N;
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
        const float *x = inp + (size_t)p * HW;
        double s = 0.0;
        for (int i = 0; i < HW; i++) s += x[i];
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
