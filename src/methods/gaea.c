/* gaea.c: GAEA (methods.md 2.5, 2.6): theta lives on one simplex per edge
 * (uniform start) and is updated by exponentiated gradient,
 *   theta <- project(theta * exp(-eta g)),  every entry >= floor (1e-5),
 * architecture step first, then the weight step.
 *   gaea-darts:    theta is the mixing weight itself (no softmax).
 *   gaea-gdas:     Gumbel straight-through with logits (ln theta + g) / tau,
 *                  entropic regulariser beta * sum theta ln(theta K), no arch
 *                  updates during the warm-up epochs.
 *   gaea-pc-darts: gaea-darts with partial channels; the edge normalisation
 *                  weights are simplices over each node's inputs, also EG.
 * The regulariser's gradient beta (ln(theta K) + 1) is added for every
 * variant (beta = entropic_reg, 0 for gaea-darts by default). */
#include <math.h>
#include <string.h>

#include "internal.h"

static int allowed_ops(const ws_method_state *st)
{
    int k = 0;
    for (int o = 0; o < WS_OP_COUNT; o++) k += st->ops_mask[o];
    return k;
}

static void gaea_full_mix(ws_method_state *st, ws_mix *mix)
{
    memset(mix, 0, sizeof *mix);
    mix->mode = WS_MIX_FULL;
    memcpy(mix->w, st->a, sizeof st->a);
    ws_method_edge_scale_(st, mix->edge_scale);
    mix->pc_seed = ws_method_pc_seed_(st);
}

static void gaea_gdas_sample(ws_method_state *st, ws_mix *mix, float p[WS_EDGES][WS_OP_COUNT])
{
    memset(mix, 0, sizeof *mix);
    mix->mode = WS_MIX_HARD_ST;
    for (int e = 0; e < WS_EDGES; e++) {
        float base[WS_OP_COUNT];
        for (int o = 0; o < WS_OP_COUNT; o++)
            base[o] = st->ops_mask[o] ? logf(st->a[e][o]) : 0.0f;
        mix->sel[e] = (uint8_t)ws_gumbel_st_sample(base, st->ops_mask, WS_OP_COUNT, st->tau,
                                                   &st->rng_sample, p[e], mix->w[e]);
        mix->edge_scale[e] = 1.0f;
    }
}

static void gaea_arch_step(ws_method_state *st, ws_method_ctx *ctx, int gdas)
{
    const ws_search_config *cfg = ctx->cfg;
    const double K = allowed_ops(st);
    ws_mix mix;
    ws_mix_grad g;
    float grad[WS_EDGES][WS_OP_COUNT];
    if (gdas) {
        float p[WS_EDGES][WS_OP_COUNT];
        gaea_gdas_sample(st, &mix, p);
        ws_method_arch_grad_(ctx, &mix, &g);
        for (int e = 0; e < WS_EDGES; e++) {
            float dbase[WS_OP_COUNT];
            ws_gumbel_st_backward(p[e], g.dw[e], WS_OP_COUNT, st->tau, dbase);
            for (int o = 0; o < WS_OP_COUNT; o++) /* base = ln theta */
                grad[e][o] = st->ops_mask[o] ? dbase[o] / st->a[e][o] : 0.0f;
        }
    } else {
        gaea_full_mix(st, &mix);
        ws_method_arch_grad_(ctx, &mix, &g);
        memcpy(grad, g.dw, sizeof grad);
    }
    if (cfg->entropic_reg > 0)
        for (int e = 0; e < WS_EDGES; e++)
            for (int o = 0; o < WS_OP_COUNT; o++)
                if (st->ops_mask[o])
                    grad[e][o] += (float)(cfg->entropic_reg * (log((double)st->a[e][o] * K) + 1));
    memcpy(st->darch_last, grad, sizeof st->darch_last);
    for (int e = 0; e < WS_EDGES; e++)
        ws_eg_update_row(st->a[e], grad[e], st->ops_mask, WS_OP_COUNT, cfg->eg_eta, cfg->eg_floor);
    if (ws_method_flags(st->id) & WS_MF_PC) {
        /* edge normalisation simplices, one per node with >= 2 inputs */
        for (int node = 2; node < WS_NODES; node++) {
            float b[WS_EDGES], gb[WS_EDGES];
            int idx[WS_EDGES], n = 0;
            for (int e = 0; e < WS_EDGES; e++)
                if (ws_edge_dst[e] == node)
                    idx[n] = e, b[n] = st->beta[e], gb[n++] = g.dedge_scale[e];
            ws_eg_update_row(b, gb, NULL, n, cfg->eg_eta, cfg->eg_floor);
            for (int i = 0; i < n; i++) st->beta[idx[i]] = b[i];
        }
    }
}

/* Architecture step first (theta), then the weights; gdas: hard samples. */
static void gaea_step(ws_method_state *st, ws_method_ctx *ctx, int gdas)
{
    if (st->arch_updates_on) gaea_arch_step(st, ctx, gdas); /* 1. theta */
    ws_mix mix;
    if (gdas) {
        float p[WS_EDGES][WS_OP_COUNT];
        gaea_gdas_sample(st, &mix, p);
    } else {
        gaea_full_mix(st, &mix);
    }
    ws_method_weight_step_(st, ctx, &mix); /* 2. weights */
}

void ws_gaea_step_(ws_method_state *st, ws_method_ctx *ctx) { gaea_step(st, ctx, 0); }
void ws_gaea_gdas_step_(ws_method_state *st, ws_method_ctx *ctx) { gaea_step(st, ctx, 1); }

void ws_gaea_init_(ws_method_state *st, const ws_search_config *cfg, ws_pcg32 *init)
{
    (void)cfg, (void)init; /* no draws */
    const int allowed = allowed_ops(st);
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
}

void ws_gaea_weights_(const ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT])
{
    memcpy(p, st->a, sizeof st->a);
}

void ws_gaea_preset_(ws_search_config *cfg, int paper)
{
    /* 2.5: no Nesterov, wd 3e-4, 25 epochs of a 50-epoch cosine, no none;
     * the released config's C = 24 (paper preset) */
    cfg->nesterov = 0, cfg->weight_decay = 3e-4;
    cfg->exclude_none = 1;
    if (paper) cfg->epochs = 25, cfg->lr_epochs = 50, cfg->C = 24;
}

const ws_method_def ws_method_gaea_darts = {
    .name = "gaea-darts", .flags = WS_MF_ARCH_BATCH | WS_MF_SIMPLEX, .state = WS_MS_THETA,
    .preset = ws_gaea_preset_, .init = ws_gaea_init_, .epoch_begin = NULL,
    .step = ws_gaea_step_, .weights = ws_gaea_weights_, .derive = ws_method_derive_argmax_};
