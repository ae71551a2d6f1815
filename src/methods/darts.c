/* darts.c: DARTS first order (weights, then alpha; methods.md 2.2), DARTS
 * second order (unrolled alpha step first, then weights; 2.3) and PC-DARTS
 * (the first-order order with partial channels in the network and edge
 * normalisation beta).  alpha is a 6x5 logit matrix; w = softmax(alpha) per
 * edge; Adam (lr 3e-4, betas 0.5/0.999, L2 1e-3) on alpha and beta. */
#include <math.h>
#include <string.h>

#include "internal.h"

void ws_darts_mix_(const ws_method_state *st, ws_mix *mix)
{
    memset(mix, 0, sizeof *mix);
    mix->mode = WS_MIX_FULL;
    for (int e = 0; e < WS_EDGES; e++) ws_softmax_masked(st->a[e], st->ops_mask, WS_OP_COUNT, mix->w[e]);
    ws_method_edge_scale_(st, mix->edge_scale);
}

void ws_darts_adam_(ws_method_state *st, const ws_search_config *cfg, const ws_mix_grad *g)
{
    (void)cfg;
    float grad[WS_ARCH_N + WS_EDGES], w[WS_OP_COUNT];
    for (int e = 0; e < WS_EDGES; e++) {
        ws_softmax_masked(st->a[e], st->ops_mask, WS_OP_COUNT, w);
        ws_softmax_backward(w, g->dw[e], WS_OP_COUNT, &grad[e * WS_OP_COUNT]);
        for (int o = 0; o < WS_OP_COUNT; o++)
            if (!st->ops_mask[o]) grad[e * WS_OP_COUNT + o] = 0.0f;
    }
    memcpy(st->darch_last, grad, sizeof st->darch_last);
    size_t n = WS_ARCH_N;
    if (ws_method_flags(st->id) & WS_MF_PC) {
        ws_method_edge_scale_backward_(st, g->dedge_scale, &grad[WS_ARCH_N]);
        n += WS_EDGES;
    }
    /* alpha and beta are one flat vector for Adam (one step counter) */
    float p[WS_ARCH_N + WS_EDGES];
    memcpy(p, st->a, sizeof st->a);
    memcpy(p + WS_ARCH_N, st->beta, sizeof st->beta);
    ws_adam_step(&st->adam, p, grad, st->m, st->v, n);
    memcpy(st->a, p, sizeof st->a);
    memcpy(st->beta, p + WS_ARCH_N, sizeof st->beta);
}

void ws_darts_step_(ws_method_state *st, ws_method_ctx *ctx)
{
    ws_mix mix;
    ws_darts_mix_(st, &mix);
    mix.pc_seed = ws_method_pc_seed_(st);
    ws_method_weight_step_(st, ctx, &mix); /* 1. weights (AutoDL order) */
    if (!st->arch_updates_on) return;
    ws_darts_mix_(st, &mix);
    mix.pc_seed = ws_method_pc_seed_(st);
    ws_mix_grad g;
    ws_method_arch_grad_(ctx, &mix, &g); /* 2. alpha on the arch batch */
    ws_darts_adam_(st, ctx->cfg, &g);
}

void ws_darts2_mix_grad(ws_method_ctx *ctx, const ws_mix *mix, ws_mix_grad *out)
{
    const ws_search_config *cfg = ctx->cfg;
    size_t np = 0, nb = 0, nm = 0, nc = 0;
    float *p = ws_net_params(ctx->net, &np);
    float *g = ws_net_grads(ctx->net, &np);
    float *mom = ws_net_momentum(ctx->net, &nm);
    float *buf = ws_net_buffers(ctx->net, &nb);
    float *cp = ws_net_params(ctx->net_copy, &nc);
    float *cg = ws_net_grads(ctx->net_copy, &nc);
    size_t ncb = 0;
    float *cbuf = ws_net_buffers(ctx->net_copy, &ncb);
    WS_ASSERT(nc == np && ncb == nb && nm == np);
    float *saved = ctx->scratch;
    /* 1. train-batch gradient g_w at the current weights */
    ws_net_zero_grad(ctx->net);
    ws_net_forward(ctx->net, ctx->x, ctx->y, ctx->B, mix, 1, NULL);
    ws_net_backward(ctx->net, NULL);
    /* 2. virtual step in the copy: w' = w - lr (mu m + g + wd w) (DARTS's
     *    formula: no Nesterov, no clipping); BN buffers copied too. */
    const double lr = ctx->lr, mu = cfg->momentum, wd = cfg->weight_decay;
    for (size_t i = 0; i < np; i++)
        cp[i] = (float)((double)p[i] - lr * (mu * mom[i] + (double)g[i] + wd * (double)p[i]));
    if (nb) memcpy(cbuf, buf, nb * sizeof(float));
    ws_net_zero_grad(ctx->net_copy);
    ws_mix_grad dval;
    ws_net_forward(ctx->net_copy, ctx->xa, ctx->ya, ctx->Ba, mix, 1, NULL);
    ws_net_backward(ctx->net_copy, &dval);
    /* 3. v = dL_val/dw'; eps = 0.01 / ||v||; H by central differences of
     *    grad_alpha L_train at w +- eps v on the same train batch. */
    double vn = 0;
    for (size_t i = 0; i < np; i++) vn += (double)cg[i] * cg[i];
    vn = sqrt(vn);
    *out = dval;
    if (!(vn > 0)) {
        ws_net_zero_grad(ctx->net);
        return;
    }
    const double eps = 0.01 / vn;
    memcpy(saved, p, np * sizeof(float));
    ws_mix_grad gp, gm;
    for (size_t i = 0; i < np; i++) p[i] = (float)((double)saved[i] + eps * cg[i]);
    ws_net_zero_grad(ctx->net);
    ws_net_forward(ctx->net, ctx->x, ctx->y, ctx->B, mix, 1, NULL);
    ws_net_backward(ctx->net, &gp);
    for (size_t i = 0; i < np; i++) p[i] = (float)((double)saved[i] - eps * cg[i]);
    ws_net_zero_grad(ctx->net);
    ws_net_forward(ctx->net, ctx->x, ctx->y, ctx->B, mix, 1, NULL);
    ws_net_backward(ctx->net, &gm);
    memcpy(p, saved, np * sizeof(float));
    ws_net_zero_grad(ctx->net);
    /* 4. arch gradient = d_alpha - lr * H */
    for (int e = 0; e < WS_EDGES; e++) {
        for (int o = 0; o < WS_OP_COUNT; o++)
            out->dw[e][o] = (float)((double)dval.dw[e][o] -
                                    lr * ((double)gp.dw[e][o] - gm.dw[e][o]) / (2 * eps));
        out->dedge_scale[e] =
            (float)((double)dval.dedge_scale[e] -
                    lr * ((double)gp.dedge_scale[e] - gm.dedge_scale[e]) / (2 * eps));
    }
}

void ws_darts2_step_(ws_method_state *st, ws_method_ctx *ctx)
{
    ws_mix mix;
    ws_darts_mix_(st, &mix);
    if (st->arch_updates_on) { /* 1. unrolled alpha step (methods.md 2.3) */
        ws_mix_grad g;
        ws_darts2_mix_grad(ctx, &mix, &g);
        ws_darts_adam_(st, ctx->cfg, &g);
        ws_darts_mix_(st, &mix);
    }
    ws_method_weight_step_(st, ctx, &mix); /* 2. weights */
}

const ws_method_def ws_method_darts = {
    .name = "darts", .flags = WS_MF_ARCH_BATCH, .state = WS_MS_LOGITS, .preset = NULL,
    .init = ws_method_init_logits_, .epoch_begin = NULL, .step = ws_darts_step_,
    .weights = ws_method_weights_softmax_, .derive = ws_method_derive_argmax_};
