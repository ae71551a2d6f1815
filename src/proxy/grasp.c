/* grasp.c: GraSP (Wang et al. 2020) as zero-cost-nas measures/grasp.py with
 * T = 1 and one iteration: g = dL/dw of the 64-image cross-entropy over the
 * conv/linear weights, H g the Hessian-vector product of the same loss
 * (w.r.t. those weights), score = -sum w * (H g).  The reference gets H g
 * by double backward, which takes ReLU'' = 0: it differentiates the network
 * with every ReLU's mask held at its value at w.  Here H g comes from
 * central differences of the gradient along g with those masks frozen too:
 * one forward at w records every ReLU's mask, and the two perturbed passes
 * replay them (ws_net_relu_mask_mode), so
 * H g ~ (dL/dw(w + h g) - dL/dw(w - h g)) / 2h is the difference quotient of
 * a smooth function, with h = GRASP_STEP ||w|| / ||g|| (norms over the
 * conv/linear weights), BN and other parameters held fixed.  Only
 * sum w (H g) is needed, so each side is reduced to sum w * dL/dw(w +- h g)
 * in double. */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Relative step, measured against double backward (README, GraSP section).
 * Masks frozen: on tests/fixtures/proxy_grasp.wsfx (C=8, N=2, 16x16) 1e-4
 * is off by 0.09-1.1% (truncation), 3e-5 by 0.01-0.1%, 1e-5 by 0.02-0.04%,
 * 2e-6 by 0.04-0.3% and 3e-7 by 0.5-1% (float rounding); on the full C=16
 * N=5 32x32 network in PyTorch float32 (tests/grasp_check.py, fz32) 1e-5 by
 * a median 0.12%.  Free ReLUs cross kinks at every step there (the old
 * estimate at 2e-6: relative errors of 5 to 33 on that fixture, signs
 * flipped on 2 of its 3 architectures; a median 13 on the full network). */
#define GRASP_STEP 1e-5

/* sum over conv/linear weights of w0 * dL/dw at w0 + t g (masks as set). */
static double grasp_side(ws_proxy_scorer *s, double t)
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

/* The two perturbed passes at relative step `step`; frozen = 1 replays the
 * masks of a forward at w (recorded here), 0 lets the ReLUs follow the
 * perturbed inputs (the old estimate, kept for tests/test_proxy.c). */
int proxy_grasp_estimate(ws_proxy_scorer *s, double step, int frozen, double *score,
                         ws_error *err)
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
    if (frozen) {
        rc = ws_net_relu_mask_mode(s->net, WS_RELU_MASK_RECORD, err);
        if (!rc) ws_net_forward(s->net, s->grad.x, s->grad.y, s->grad.n, &s->mix, 1, NULL);
        if (!rc) rc = ws_net_relu_mask_mode(s->net, WS_RELU_MASK_REPLAY, err);
        if (rc) {
            ws_net_relu_mask_mode(s->net, WS_RELU_MASK_OFF, NULL);
            return rc;
        }
    }
    double h = step * sqrt(ww / gg);
    double plus = grasp_side(s, h), minus = grasp_side(s, -h);
    ws_net_relu_mask_mode(s->net, WS_RELU_MASK_OFF, NULL);
    memcpy(w, s->w_save, s->n_params * sizeof *w);
    *score = -(plus - minus) / (2.0 * h);
    return 0;
}

int proxy_grasp(ws_proxy_scorer *s, double *score, ws_error *err)
{
    return proxy_grasp_estimate(s, GRASP_STEP, 1, score, err);
}
