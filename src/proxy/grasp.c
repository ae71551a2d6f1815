/* grasp.c: GraSP (Wang et al. 2020) as zero-cost-nas measures/grasp.py with
 * T = 1 and one iteration: g = dL/dw of the 64-image cross-entropy over the
 * conv/linear weights, H g the Hessian-vector product of the same loss
 * (w.r.t. those weights), score = -sum w * (H g).  The reference gets H g
 * by double backward; here by central differences of the gradient along g,
 * H g ~ (dL/dw(w + h g) - dL/dw(w - h g)) / 2h with the step
 * h = GRASP_STEP ||w|| / ||g|| (norms over the conv/linear weights), BN and
 * other parameters held fixed.  Only sum w (H g) is needed, so each side is
 * reduced to sum w * dL/dw(w +- h g) in double. */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Measured against double backward on the tiny network of
 * tests/gen_proxy_fixtures.py (5 cells): relative steps of 1e-3 .. 4e-6
 * cross ReLU kinks (errors of 50% to 10x), 3e-7 loses to float rounding
 * (4-34%), 1e-6 .. 2e-6 agree to 0.2-1%.  The full network has far more
 * units near a kink, so its grasp values are an approximation (README). */
#define GRASP_STEP 2e-6

/* sum over conv/linear weights of w0 * dL/dw at w0 + t g. */
static double side(ws_proxy_scorer *s, double t)
{
    float *w = ws_net_params(s->net, NULL);
    const float *w0 = s->w_save, *g = s->g_ce;
    for (int l = 0; l < s->n_layers; l++) {
        const proxy_layer *L = &s->layers[l];
        for (size_t i = L->off; i < L->off + L->numel; i++) w[i] = (float)(w0[i] + t * g[i]);
    }
    ws_net_zero_grad(s->net);
    ws_net_forward(s->net, s->grad.x, s->grad.y, s->grad.n, &s->mix, 1, NULL);
    ws_net_backward(s->net, NULL);
    const float *gr = ws_net_grads(s->net, NULL);
    double sum = 0.0;
    for (int l = 0; l < s->n_layers; l++) {
        const proxy_layer *L = &s->layers[l];
        for (size_t i = L->off; i < L->off + L->numel; i++) sum += (double)w0[i] * gr[i];
    }
    return sum;
}

int proxy_grasp(ws_proxy_scorer *s, double *score, ws_error *err)
{
    int rc = proxy_pass_ce(s, err);
    if (rc) return rc;
    float *w = ws_net_params(s->net, NULL);
    memcpy(s->w_save, w, s->n_params * sizeof *w);
    double ww = 0.0, gg = 0.0;
    for (int l = 0; l < s->n_layers; l++) {
        const proxy_layer *L = &s->layers[l];
        for (size_t i = L->off; i < L->off + L->numel; i++) {
            ww += (double)w[i] * w[i];
            gg += (double)s->g_ce[i] * s->g_ce[i];
        }
    }
    if (!(gg > 0.0)) { /* no gradient reaches the weights: H g = 0 */
        *score = 0.0;
        return 0;
    }
    double h = GRASP_STEP * sqrt(ww / gg);
    double plus = side(s, h), minus = side(s, -h);
    memcpy(w, s->w_save, s->n_params * sizeof *w);
    *score = -(plus - minus) / (2.0 * h);
    return 0;
}
