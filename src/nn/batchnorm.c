/* batchnorm.c: batch normalisation over (C, M) rows (channel-major layout, so
 * a channel is one contiguous run of M = N*H*W values), PyTorch semantics
 * (torch.nn.functional.batch_norm): training normalises with the biased batch
 * variance and updates running statistics with the unbiased one; evaluation
 * uses the running statistics.  Sums are accumulated in double, per channel,
 * in a fixed order; OpenMP splits channels only, so results do not depend on
 * the thread count.  Forward reads the input once for the statistics and once
 * to normalise; backward reads dout and xhat once for the sums and once more
 * for dinp. */
#include "nn_internal.h"

#include <math.h>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* ws_nn_sums (nn.h): the AVX-512 form keeps 16 double lanes and the AVX2 form
 * 4 x 4 (a product of two floats is exact in double, so a fused multiply-add
 * rounds as a multiply then add would); both add the lanes in a fixed order,
 * so the result is deterministic.  The portable form sums one after another. */
void ws_nn_sums(const float *a, const float *b, size_t n, double *s1, double *s2)
{
    size_t i = 0;
    double r1 = 0.0, r2 = 0.0;
#ifdef __AVX512F__
    __m512d p0 = _mm512_setzero_pd(), p1 = _mm512_setzero_pd();
    __m512d q0 = _mm512_setzero_pd(), q1 = _mm512_setzero_pd();
    for (; i + 16 <= n; i += 16) {
        __m512 va = _mm512_loadu_ps(a + i), vb = b ? _mm512_loadu_ps(b + i) : va;
        __m512d a0 = _mm512_cvtps_pd(_mm512_castps512_ps256(va));
        __m512d a1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(va), 1)));
        __m512d b0 = _mm512_cvtps_pd(_mm512_castps512_ps256(vb));
        __m512d b1 = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(vb), 1)));
        p0 = _mm512_add_pd(p0, a0);
        p1 = _mm512_add_pd(p1, a1);
        q0 = _mm512_fmadd_pd(a0, b0, q0);
        q1 = _mm512_fmadd_pd(a1, b1, q1);
    }
    r1 = _mm512_reduce_add_pd(_mm512_add_pd(p0, p1));
    r2 = _mm512_reduce_add_pd(_mm512_add_pd(q0, q1));
#elif defined(__AVX2__)
    __m256d p[4], q[4];
    for (int k = 0; k < 4; k++) p[k] = q[k] = _mm256_setzero_pd();
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 4; k++) {
            __m256d va = _mm256_cvtps_pd(_mm_loadu_ps(a + i + 4 * k));
            __m256d vb = b ? _mm256_cvtps_pd(_mm_loadu_ps(b + i + 4 * k)) : va;
            p[k] = _mm256_add_pd(p[k], va);
            q[k] = _mm256_fmadd_pd(va, vb, q[k]);
        }
    _Alignas(32) double l1[4], l2[4];
    _mm256_store_pd(l1, _mm256_add_pd(_mm256_add_pd(p[0], p[1]), _mm256_add_pd(p[2], p[3])));
    _mm256_store_pd(l2, _mm256_add_pd(_mm256_add_pd(q[0], q[1]), _mm256_add_pd(q[2], q[3])));
    r1 = (l1[0] + l1[1]) + (l1[2] + l1[3]);
    r2 = (l2[0] + l2[1]) + (l2[2] + l2[3]);
#endif
    for (; i < n; i++) {
        r1 += a[i];
        r2 += (double)a[i] * (b ? b[i] : a[i]);
    }
    *s1 = r1;
    *s2 = r2;
}

void ws_batchnorm_forward_train(float *out, float *xhat, float *mean, float *rstd,
                                const float *inp, const float *gamma, const float *beta,
                                float *running_mean, float *running_var, float momentum,
                                float eps, int C, int M)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const float *x = inp + (size_t)c * M;
        /* one pass: sum and sum of squares in double (float data keeps the
         * cancellation in E[x^2] - mean^2 far below float precision) */
        double s, ss;
        ws_nn_sums(x, NULL, (size_t)M, &s, &ss);
        double mu = s / M;
        double v = ss - s * mu;
        if (v < 0.0) v = 0.0;
        double var = v / M;
        float rs = (float)(1.0 / sqrt(var + eps));
        float muf = (float)mu;
        float *o = out + (size_t)c * M;
        float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        if (xhat) {
            float *xh = xhat + (size_t)c * M;
            for (int i = 0; i < M; i++) {
                float h = (x[i] - muf) * rs;
                xh[i] = h;
                o[i] = g * h + b;
            }
        } else {
            for (int i = 0; i < M; i++) o[i] = g * ((x[i] - muf) * rs) + b;
        }
        mean[c] = muf;
        rstd[c] = rs;
        if (running_mean)
            running_mean[c] = (float)((1.0 - momentum) * running_mean[c] + momentum * mu);
        if (running_var) {
            double unbiased = M > 1 ? v / (M - 1) : var;
            running_var[c] = (float)((1.0 - momentum) * running_var[c] + momentum * unbiased);
        }
    }
}

void ws_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                               const float *beta, const float *running_mean,
                               const float *running_var, float eps, int C, int M)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float rs = (float)(1.0 / sqrt((double)running_var[c] + eps));
        float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        float scale = g * rs, shift = b - running_mean[c] * scale;
        const float *x = inp + (size_t)c * M;
        float *o = out + (size_t)c * M;
        for (int i = 0; i < M; i++) o[i] = x[i] * scale + shift;
    }
}

/* dinp += rstd * g * (dout - mean(dout) - xhat * mean(dout*xhat)) */
void ws_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *xhat, const float *rstd, const float *gamma, int C,
                           int M)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const float *dy = dout + (size_t)c * M, *xh = xhat + (size_t)c * M;
        double sdy, sdyx;
        ws_nn_sums(dy, xh, (size_t)M, &sdy, &sdyx);
        if (dgamma) dgamma[c] += (float)sdyx;
        if (dbeta) dbeta[c] += (float)sdy;
        if (dinp) {
            float g = gamma ? gamma[c] : 1.0f;
            float k = g * rstd[c];
            float m1 = (float)(sdy / M), m2 = (float)(sdyx / M);
            float *dx = dinp + (size_t)c * M;
            for (int i = 0; i < M; i++) dx[i] += k * (dy[i] - m1 - xh[i] * m2);
        }
    }
}

void ws_batchnorm_backward_eval(float *dinp, float *dgamma, float *dbeta, const float *dout,
                                const float *inp, const float *gamma,
                                const float *running_mean, const float *running_var,
                                float eps, int C, int M)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        float rs = (float)(1.0 / sqrt((double)running_var[c] + eps));
        const float *dy = dout + (size_t)c * M, *x = inp + (size_t)c * M;
        if (dgamma || dbeta) {
            double sdy = 0.0, sdyx = 0.0;
            float mu = running_mean[c];
            for (int i = 0; i < M; i++) {
                sdy += dy[i];
                sdyx += (double)dy[i] * ((x[i] - mu) * rs);
            }
            if (dgamma) dgamma[c] += (float)sdyx;
            if (dbeta) dbeta[c] += (float)sdy;
        }
        if (dinp) {
            float k = (gamma ? gamma[c] : 1.0f) * rs;
            float *dx = dinp + (size_t)c * M;
            for (int i = 0; i < M; i++) dx[i] += k * dy[i];
        }
    }
}
