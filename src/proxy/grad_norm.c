/* grad_norm.c: zero-cost-nas measures/grad_norm.py: the sum over conv and
 * linear layers of the L2 norm of the layer's weight gradient, L = the mean
 * cross-entropy of the 64-image minibatch, train-mode BN. */
#include <math.h>

#include "internal.h"

int proxy_grad_norm(ws_proxy_scorer *s, double *score, ws_error *err)
{
    int rc = proxy_pass_ce(s, err);
    if (rc) return rc;
    double sum = 0.0;
    for (int l = 0; l < s->n_layers; l++) {
        const proxy_layer *L = &s->layers[l];
        double q = 0.0;
        for (size_t i = L->off; i < L->off + L->numel; i++) q += (double)s->g_ce[i] * s->g_ce[i];
        sum += sqrt(q);
    }
    *score = sum;
    return 0;
}
