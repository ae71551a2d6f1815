/* method.c: the method interface (init, epoch_begin, step, derive) and the
 * weight/architecture passes every method shares.  The per-method update
 * orders live in rsws.c, darts.c, gdas.c and gaea.c. */
#include <math.h>
#include <string.h>

#include "internal.h"

int ws_method_is_gaea(int id)
{
    return id == WS_METHOD_GAEA_DARTS || id == WS_METHOD_GAEA_GDAS ||
           id == WS_METHOD_GAEA_PC_DARTS;
}
int ws_method_is_pc(int id) { return id == WS_METHOD_PC_DARTS || id == WS_METHOD_GAEA_PC_DARTS; }
int ws_method_uses_arch_batch(int id) { return id != WS_METHOD_RSWS; }

int ws_method_init(ws_method_state *st, const ws_search_config *cfg, uint64_t seed,
                   ws_error *err)
{
    memset(st, 0, sizeof *st);
    int id = ws_method_lookup(cfg->method);
    if (id < 0) return ws_error_set(err, WS_EINVAL, "unknown method '%s'", cfg->method);
    st->id = id;
    for (int o = 0; o < WS_OP_COUNT; o++) st->ops_mask[o] = 1;
    if (cfg->exclude_none) st->ops_mask[WS_OP_NONE] = 0;
    int allowed = cfg->exclude_none ? WS_OP_COUNT - 1 : WS_OP_COUNT;
    ws_pcg32 init;
    ws_pcg32_stream(&init, seed, WS_STREAM_ARCH_INIT);
    ws_pcg32_stream(&st->rng_sample, seed, WS_STREAM_ARCH_SAMPLE);
    ws_pcg32_stream(&st->rng_select, seed, WS_STREAM_SELECT);
    ws_pcg32_stream(&st->rng_pc, seed, WS_STREAM_PC);
    if (ws_method_is_gaea(id)) {
        /* uniform on every simplex (methods.md 2.5) */
        for (int e = 0; e < WS_EDGES; e++)
            for (int o = 0; o < WS_OP_COUNT; o++)
                st->a[e][o] = st->ops_mask[o] ? 1.0f / (float)allowed : 0.0f;
        /* beta: uniform over the edges into each node */
        for (int e = 0; e < WS_EDGES; e++) {
            int in = 0;
            for (int f = 0; f < WS_EDGES; f++) in += ws_edge_dst[f] == ws_edge_dst[e];
            st->beta[e] = 1.0f / (float)in;
        }
    } else if (id != WS_METHOD_RSWS) {
        /* 1e-3 N(0,1) logits (AutoDL arch_parameters init) */
        for (int e = 0; e < WS_EDGES; e++)
            for (int o = 0; o < WS_OP_COUNT; o++)
                st->a[e][o] = (float)(cfg->arch_init_std * ws_pcg32_normal(&init));
        if (ws_method_is_pc(id))
            for (int e = 0; e < WS_EDGES; e++)
                st->beta[e] = (float)(cfg->arch_init_std * ws_pcg32_normal(&init));
    }
    st->adam.lr = (float)cfg->arch_lr;
    st->adam.beta1 = (float)cfg->arch_beta1;
    st->adam.beta2 = (float)cfg->arch_beta2;
    st->adam.eps = (float)cfg->arch_eps;
    st->adam.weight_decay = (float)cfg->arch_weight_decay;
    st->adam.t = 0;
    st->tau = (float)cfg->tau_max;
    st->arch_updates_on = cfg->warmup_epochs == 0;
    return 0;
}

void ws_method_epoch_begin(ws_method_state *st, const ws_search_config *cfg, int epoch)
{
    st->arch_updates_on = epoch >= cfg->warmup_epochs;
    if (st->id == WS_METHOD_GDAS)
        st->tau = (float)ws_gdas_tau(cfg->tau_max, cfg->tau_min, epoch, cfg->epochs, 0);
    else if (st->id == WS_METHOD_GAEA_GDAS)
        st->tau = (float)ws_gdas_tau(cfg->tau_max, cfg->tau_min, epoch, cfg->epochs,
                                     cfg->warmup_epochs);
}

void ws_method_step(ws_method_state *st, ws_method_ctx *ctx)
{
    switch (st->id) {
    case WS_METHOD_RSWS: ws_rsws_step_(st, ctx); break;
    case WS_METHOD_DARTS:
    case WS_METHOD_PC_DARTS: ws_darts_step_(st, ctx); break;
    case WS_METHOD_DARTS2: ws_darts2_step_(st, ctx); break;
    case WS_METHOD_GDAS: ws_gdas_step_(st, ctx); break;
    default: ws_gaea_step_(st, ctx); break;
    }
}

void ws_method_weights(const ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT])
{
    if (ws_method_is_gaea(st->id)) {
        memcpy(p, st->a, sizeof st->a);
        return;
    }
    if (st->id == WS_METHOD_RSWS) { /* uniform sampling distribution */
        int allowed = 0;
        for (int o = 0; o < WS_OP_COUNT; o++) allowed += st->ops_mask[o];
        for (int e = 0; e < WS_EDGES; e++)
            for (int o = 0; o < WS_OP_COUNT; o++)
                p[e][o] = st->ops_mask[o] ? 1.0f / (float)allowed : 0.0f;
        return;
    }
    for (int e = 0; e < WS_EDGES; e++) ws_softmax_masked(st->a[e], st->ops_mask, WS_OP_COUNT, p[e]);
}

void ws_method_derive(const ws_method_state *st, ws_arch *out)
{
    if (st->id == WS_METHOD_RSWS) {
        if (st->selected_valid) *out = st->selected;
        else memset(out, 0, sizeof *out);
        return;
    }
    float p[WS_EDGES][WS_OP_COUNT];
    ws_method_weights(st, p);
    ws_arch_argmax(&p[0][0], st->ops_mask, out);
}

void ws_method_eval_mix(const ws_method_state *st, ws_mix *mix)
{
    memset(mix, 0, sizeof *mix);
    for (int e = 0; e < WS_EDGES; e++) mix->edge_scale[e] = 1.0f;
    if (st->id == WS_METHOD_RSWS || st->id == WS_METHOD_GDAS || st->id == WS_METHOD_GAEA_GDAS) {
        ws_arch a;
        ws_method_derive(st, &a);
        mix->mode = WS_MIX_SINGLE;
        for (int e = 0; e < WS_EDGES; e++) mix->sel[e] = a.op[e];
        return;
    }
    mix->mode = WS_MIX_FULL;
    ws_method_weights(st, mix->w);
    if (ws_method_is_pc(st->id)) ws_method_edge_scale_(st, mix->edge_scale);
}

/* ---- shared passes --------------------------------------------------------- */

void ws_method_weight_step_(ws_method_state *st, ws_method_ctx *ctx, const ws_mix *mix)
{
    const ws_search_config *cfg = ctx->cfg;
    ws_net_zero_grad(ctx->net);
    int correct = 0;
    ctx->loss = ws_net_forward(ctx->net, ctx->x, ctx->y, ctx->B, mix, 1, &correct);
    ctx->correct = correct;
    ws_net_backward(ctx->net, NULL);
    ctx->grad_norm = 0;
    if (cfg->grad_clip > 0) {
        /* AutoDL quirk (methods.md 2.2): the clip norm includes the stale
         * architecture gradient; only the weights are stepped here. */
        float stale[WS_ARCH_N];
        memcpy(stale, st->darch_last, sizeof stale);
        ctx->grad_norm =
            ws_net_clip_grad_norm(ctx->net, cfg->grad_clip, cfg->clip_includes_arch ? stale : NULL,
                                  cfg->clip_includes_arch ? WS_ARCH_N : 0);
    }
    ws_net_sgd_step(ctx->net, &ctx->sgd);
}

void ws_method_arch_grad_(ws_method_ctx *ctx, const ws_mix *mix, ws_mix_grad *g)
{
    ws_net_forward(ctx->net, ctx->xa, ctx->ya, ctx->Ba, mix, 1, NULL);
    ws_net_backward_arch(ctx->net, g); /* no weight gradients: a third cheaper */
}

uint64_t ws_method_pc_seed_(ws_method_state *st)
{
    if (!ws_method_is_pc(st->id)) return 0;
    uint64_t hi = ws_pcg32_next(&st->rng_pc);
    return hi << 32 | ws_pcg32_next(&st->rng_pc);
}

void ws_method_edge_scale_(const ws_method_state *st, float scale[WS_EDGES])
{
    for (int e = 0; e < WS_EDGES; e++) scale[e] = 1.0f;
    if (!ws_method_is_pc(st->id)) return;
    for (int node = 1; node < WS_NODES; node++) {
        float b[WS_EDGES], p[WS_EDGES];
        int idx[WS_EDGES], n = 0;
        for (int e = 0; e < WS_EDGES; e++)
            if (ws_edge_dst[e] == node) idx[n] = e, b[n++] = st->beta[e];
        if (ws_method_is_gaea(st->id)) memcpy(p, b, sizeof(float) * (size_t)n);
        else ws_softmax_masked(b, NULL, n, p);
        for (int i = 0; i < n; i++) scale[idx[i]] = p[i];
    }
}

void ws_method_edge_scale_backward_(const ws_method_state *st, const float *dscale, float *dbeta)
{
    for (int e = 0; e < WS_EDGES; e++) dbeta[e] = 0.0f;
    if (!ws_method_is_pc(st->id)) return;
    for (int node = 1; node < WS_NODES; node++) {
        float b[WS_EDGES], p[WS_EDGES], dp[WS_EDGES], db[WS_EDGES];
        int idx[WS_EDGES], n = 0;
        for (int e = 0; e < WS_EDGES; e++)
            if (ws_edge_dst[e] == node) idx[n] = e, b[n] = st->beta[e], dp[n++] = dscale[e];
        if (ws_method_is_gaea(st->id)) {
            for (int i = 0; i < n; i++) dbeta[idx[i]] = dp[i];
            continue;
        }
        ws_softmax_masked(b, NULL, n, p);
        ws_softmax_backward(p, dp, n, db);
        for (int i = 0; i < n; i++) dbeta[idx[i]] = db[i];
    }
}
