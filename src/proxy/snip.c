/* snip.c: SNIP (Lee et al. 2019) as zero-cost-nas measures/snip.py: the
 * gradient of the loss with respect to a multiplicative mask of ones on
 * every conv/linear weight, i.e. sum |w * dL/dw|, L = the mean
 * cross-entropy of the 64-image minibatch, train-mode BN. */
#include <math.h>

#include "internal.h"

int proxy_snip(ws_proxy_scorer *s, double *score, ws_error *err)
{
    int rc = proxy_pass_ce(s, err);
    if (rc) return rc;
    const float *w = ws_net_params(s->net, NULL);
    double sum = 0.0;
    for (int l = 0; l < s->n_layers; l++) {
        const proxy_layer *L = &s->layers[l];
        for (size_t i = L->off; i < L->off + L->numel; i++) sum += fabs((double)w[i] * s->g_ce[i]);
    }
    *score = sum;
    return 0;
}
