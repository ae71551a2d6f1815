/* fisher.c: Fisher pruning's channel saliency (Theis et al. 2018) as
 * zero-cost-nas measures/fisher.py: for every conv/linear layer with output
 * a (B, C, H, W) and gradient dL/da of the 64-image cross-entropy pass,
 * del_k = 0.5 mean_n (sum_hw a * dL/da)^2 per output channel k; the
 * reference broadcasts del_k to every weight of channel k (fan_in =
 * weight.shape[1:] numel) before summing, so the score is
 * sum_layers sum_k fan_in * del_k.  The linear layer's output includes its
 * bias, as the reference's F.linear. */
#include <math.h>

#include "internal.h"

void proxy_fisher_probe(void *ctx, int fan_in, const float *x, const float *mean,
                        const float *rstd, const float *dy, int C, int B, int HW)
{
    ws_proxy_scorer *s = ctx;
    double total = 0.0;
    for (int k = 0; k < C; k++) {
        double inv = rstd ? 1.0 / rstd[k] : 1.0, mu = mean ? mean[k] : 0.0, sq = 0.0;
        for (int n = 0; n < B; n++) {
            const float *xp = x + ((size_t)k * B + n) * HW, *dp = dy + ((size_t)k * B + n) * HW;
            double g = 0.0;
            for (int i = 0; i < HW; i++) g += ((double)xp[i] * inv + mu) * dp[i];
            sq += g * g;
        }
        total += 0.5 * sq / B;
    }
    s->fisher += fan_in * total;
}

double proxy_fisher_linear(ws_proxy_scorer *s)
{
    const float *z = ws_net_logits(s->net);
    int B = s->grad.n, K = s->classes, Cf = 4 * s->recipe.C;
    double total = 0.0;
    for (int k = 0; k < K; k++) {
        double sq = 0.0;
        for (int n = 0; n < B; n++) {
            const float *zn = z + (size_t)n * K;
            double m = zn[0], den = 0.0;
            for (int j = 1; j < K; j++) m = zn[j] > m ? zn[j] : m;
            for (int j = 0; j < K; j++) den += exp(zn[j] - m);
            double p = exp(zn[k] - m) / den, dz = (p - (s->grad.y[n] == k)) / B;
            double g = zn[k] * dz;
            sq += g * g;
        }
        total += 0.5 * sq / B;
    }
    return Cf * total;
}

int proxy_fisher(ws_proxy_scorer *s, double *score, ws_error *err)
{
    int rc = proxy_pass_ce(s, err);
    if (rc) return rc;
    *score = s->fisher;
    return 0;
}
