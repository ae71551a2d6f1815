/* method.c: the table of methods (one row per method, each defined in its
 * own file), the interface that dispatches through it (init, epoch_begin,
 * step, weights, derive, eval_mix), and the passes several rows share. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The table: one row per method, in ws_method_id order. */
static const ws_method_def *const table[] = {
    &ws_method_rsws,       &ws_method_darts,     &ws_method_darts2,
    &ws_method_gdas,       &ws_method_gaea_darts, &ws_method_gaea_gdas,
    &ws_method_pc_darts,   &ws_method_gaea_pc_darts,
};
_Static_assert(WS_ARRAY_LEN(table) == WS_METHOD_COUNT, "one row per ws_method_id");

const ws_method_def *ws_method_def_of(int id)
{
    WS_ASSERT(id >= 0 && id < WS_METHOD_COUNT);
    return table[id];
}
const char *ws_method_name(int id) { return id >= 0 && id < WS_METHOD_COUNT ? table[id]->name : NULL; }
unsigned ws_method_flags(int id) { return ws_method_def_of(id)->flags; }

int ws_method_lookup(const char *name)
{
    for (int i = 0; i < WS_METHOD_COUNT; i++)
        if (!strcmp(name, table[i]->name)) return i;
    return -1;
}

int ws_method_unknown(const char *name, ws_error *err)
{
    const char *names[WS_METHOD_COUNT];
    char list[256] = "";
    for (int i = 0; i < WS_METHOD_COUNT; i++) {
        names[i] = table[i]->name;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "", names[i]);
    }
    const char *near = ws_suggest(name, names, WS_METHOD_COUNT);
    if (near)
        return ws_error_set(err, WS_EINVAL, "unknown method '%s' (did you mean '%s'?)", name,
                            near);
    return ws_error_set(err, WS_EINVAL, "unknown method '%s' (expected one of: %s)", name, list);
}

int ws_method_init(ws_method_state *st, const ws_search_config *cfg, uint64_t seed,
                   ws_error *err)
{
    memset(st, 0, sizeof *st);
    int id = ws_method_lookup(cfg->method);
    if (id < 0) return ws_method_unknown(cfg->method, err);
    st->id = id;
    for (int o = 0; o < WS_OP_COUNT; o++) st->ops_mask[o] = 1;
    if (cfg->exclude_none) st->ops_mask[WS_OP_NONE] = 0;
    ws_pcg32 init;
    ws_pcg32_stream(&init, seed, WS_STREAM_ARCH_INIT);
    ws_pcg32_stream(&st->rng_sample, seed, WS_STREAM_ARCH_SAMPLE);
    ws_pcg32_stream(&st->rng_select, seed, WS_STREAM_SELECT);
    ws_pcg32_stream(&st->rng_pc, seed, WS_STREAM_PC);
    if (table[id]->init) table[id]->init(st, cfg, &init);
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
    if (table[st->id]->epoch_begin) table[st->id]->epoch_begin(st, cfg, epoch);
}

void ws_method_step(ws_method_state *st, ws_method_ctx *ctx) { table[st->id]->step(st, ctx); }

void ws_method_weights(const ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT])
{
    table[st->id]->weights(st, p);
}

void ws_method_derive(const ws_method_state *st, ws_arch *out) { table[st->id]->derive(st, out); }

void ws_method_eval_mix(const ws_method_state *st, ws_mix *mix)
{
    memset(mix, 0, sizeof *mix);
    for (int e = 0; e < WS_EDGES; e++) mix->edge_scale[e] = 1.0f;
    if (table[st->id]->flags & WS_MF_SINGLE_PATH) {
        ws_arch a;
        ws_method_derive(st, &a);
        mix->mode = WS_MIX_SINGLE;
        for (int e = 0; e < WS_EDGES; e++) mix->sel[e] = a.op[e];
        return;
    }
    mix->mode = WS_MIX_FULL;
    ws_method_weights(st, mix->w);
    if (table[st->id]->flags & WS_MF_PC) ws_method_edge_scale_(st, mix->edge_scale);
}

/* ---- what several rows share ------------------------------------------------- */

void ws_method_init_logits_(ws_method_state *st, const ws_search_config *cfg, ws_pcg32 *init)
{
    /* 1e-3 N(0,1) logits (AutoDL arch_parameters init) */
    for (int e = 0; e < WS_EDGES; e++)
        for (int o = 0; o < WS_OP_COUNT; o++)
            st->a[e][o] = (float)(cfg->arch_init_std * ws_pcg32_normal(init));
    if (table[st->id]->flags & WS_MF_PC)
        for (int e = 0; e < WS_EDGES; e++)
            st->beta[e] = (float)(cfg->arch_init_std * ws_pcg32_normal(init));
}

void ws_method_weights_softmax_(const ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT])
{
    for (int e = 0; e < WS_EDGES; e++) ws_softmax_masked(st->a[e], st->ops_mask, WS_OP_COUNT, p[e]);
}

void ws_method_derive_argmax_(const ws_method_state *st, ws_arch *out)
{
    float p[WS_EDGES][WS_OP_COUNT];
    ws_method_weights(st, p);
    ws_arch_argmax(&p[0][0], st->ops_mask, out);
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
    if (!(table[st->id]->flags & WS_MF_PC)) return 0;
    uint64_t hi = ws_pcg32_next(&st->rng_pc);
    return hi << 32 | ws_pcg32_next(&st->rng_pc);
}

void ws_method_edge_scale_(const ws_method_state *st, float scale[WS_EDGES])
{
    for (int e = 0; e < WS_EDGES; e++) scale[e] = 1.0f;
    if (!(table[st->id]->flags & WS_MF_PC)) return;
    for (int node = 1; node < WS_NODES; node++) {
        float b[WS_EDGES], p[WS_EDGES];
        int idx[WS_EDGES], n = 0;
        for (int e = 0; e < WS_EDGES; e++)
            if (ws_edge_dst[e] == node) idx[n] = e, b[n++] = st->beta[e];
        if (table[st->id]->flags & WS_MF_SIMPLEX) memcpy(p, b, sizeof(float) * (size_t)n);
        else ws_softmax_masked(b, NULL, n, p);
        for (int i = 0; i < n; i++) scale[idx[i]] = p[i];
    }
}

void ws_method_edge_scale_backward_(const ws_method_state *st, const float *dscale, float *dbeta)
{
    for (int e = 0; e < WS_EDGES; e++) dbeta[e] = 0.0f;
    if (!(table[st->id]->flags & WS_MF_PC)) return;
    for (int node = 1; node < WS_NODES; node++) {
        float b[WS_EDGES], p[WS_EDGES], dp[WS_EDGES], db[WS_EDGES];
        int idx[WS_EDGES], n = 0;
        for (int e = 0; e < WS_EDGES; e++)
            if (ws_edge_dst[e] == node) idx[n] = e, b[n] = st->beta[e], dp[n++] = dscale[e];
        if (table[st->id]->flags & WS_MF_SIMPLEX) {
            for (int i = 0; i < n; i++) dbeta[idx[i]] = dp[i];
            continue;
        }
        ws_softmax_masked(b, NULL, n, p);
        ws_softmax_backward(p, dp, n, db);
        for (int i = 0; i < n; i++) dbeta[idx[i]] = db[i];
    }
}
