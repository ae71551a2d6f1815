/* batchnorm.c: batch normalisation over (C, M) rows (channel-major layout, so
 * a channel is one contiguous run of M = N*H*W values), PyTorch semantics
 * (torch.nn.functional.batch_norm): training normalises with the biased batch
 * variance and updates running statistics with the unbiased one; evaluation
 * uses the running statistics.  Sums are accumulated in double, per channel,
 * in a fixed order; OpenMP splits channels only, so results do not depend on
 * the thread count. */
#include "wsnas/nn.h"

#include <math.h>

void ws_batchnorm_forward_train(float *out, float *xhat, float *mean, float *rstd,
                                const float *inp, const float *gamma, const float *beta,
                                float *running_mean, float *running_var, float momentum,
                                float eps, int C, int M)
{
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        const float *x = inp + (size_t)c * M;
        double s = 0.0;
        for (int i = 0; i < M; i++) s += x[i];
        double mu = s / M;
        double v = 0.0;
        for (int i = 0; i < M; i++) {
            double d = x[i] - mu;
            v += d * d;
        }
        double var = v / M;
        float rs = (float)(1.0 / sqrt(var + eps));
        float muf = (float)mu;
        float *xh = xhat + (size_t)c * M, *o = out + (size_t)c * M;
        float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
        for (int i = 0; i < M; i++) {
            float h = (x[i] - muf) * rs;
            xh[i] = h;
            o[i] = g * h + b;
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
        double sdy = 0.0, sdyx = 0.0;
        for (int i = 0; i < M; i++) {
            sdy += dy[i];
            sdyx += (double)dy[i] * xh[i];
        }
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
