/* gdas.c: GDAS (methods.md 2.4): one Gumbel-softmax straight-through hard
 * sample per forward pass, shared by all cells; logits = (log_softmax(alpha)
 * + g) / tau; the network runs only the selected op but every op's bare
 * weight h_j receives gradient (WS_MIX_HARD_ST).  Weights first (fresh
 * sample), then alpha (new sample, arch batch, Adam).  tau is set per epoch
 * at the start of every epoch (ws_gdas_epoch_tau_). */
#include <math.h>
#include <string.h>

#include "internal.h"

/* base = log_softmax(alpha) per edge; fills a HARD_ST mix and keeps p. */
static void gdas_sample(ws_method_state *st, ws_mix *mix, float p[WS_EDGES][WS_OP_COUNT])
{
    memset(mix, 0, sizeof *mix);
    mix->mode = WS_MIX_HARD_ST;
    for (int e = 0; e < WS_EDGES; e++) {
        float sm[WS_OP_COUNT], base[WS_OP_COUNT];
        ws_softmax_masked(st->a[e], st->ops_mask, WS_OP_COUNT, sm);
        for (int o = 0; o < WS_OP_COUNT; o++)
            base[o] = st->ops_mask[o] ? logf(sm[o]) : 0.0f;
        int k = ws_gumbel_st_sample(base, st->ops_mask, WS_OP_COUNT, st->tau, &st->rng_sample,
                                    p[e], mix->w[e]);
        mix->sel[e] = (uint8_t)k;
        mix->edge_scale[e] = 1.0f;
    }
}

void ws_gdas_step_(ws_method_state *st, ws_method_ctx *ctx)
{
    ws_mix mix;
    float p[WS_EDGES][WS_OP_COUNT];
    gdas_sample(st, &mix, p);
    ws_method_weight_step_(st, ctx, &mix); /* 1. weights */
    if (!st->arch_updates_on) return;
    gdas_sample(st, &mix, p); /* 2. alpha, new sample */
    ws_mix_grad g;
    ws_method_arch_grad_(ctx, &mix, &g);
    /* dL/dh -> dL/dbase (straight-through) -> dL/dalpha (log_softmax) */
    float grad[WS_ARCH_N + WS_EDGES];
    for (int e = 0; e < WS_EDGES; e++) {
        float dbase[WS_OP_COUNT];
        ws_gumbel_st_backward(p[e], g.dw[e], WS_OP_COUNT, st->tau, dbase);
        ws_log_softmax_backward(st->a[e], st->ops_mask, dbase, WS_OP_COUNT,
                                &grad[e * WS_OP_COUNT]);
    }
    memcpy(st->darch_last, grad, sizeof st->darch_last);
    ws_adam_step(&st->adam, &st->a[0][0], grad, st->m, st->v, WS_ARCH_N);
}

void ws_gdas_epoch_tau_(ws_method_state *st, const ws_search_config *cfg, int epoch)
{
    st->tau = (float)ws_gdas_tau(cfg->tau_max, cfg->tau_min, epoch, cfg->epochs, 0);
}

static void gdas_preset(ws_search_config *cfg, int paper)
{
    if (paper) cfg->epochs = 250; /* methods.md 2.8 */
}

const ws_method_def ws_method_gdas = {
    .name = "gdas", .flags = WS_MF_ARCH_BATCH | WS_MF_SINGLE_PATH | WS_MF_TAU,
    .state = WS_MS_LOGITS, .preset = gdas_preset, .init = ws_method_init_logits_,
    .epoch_begin = ws_gdas_epoch_tau_, .step = ws_gdas_step_,
    .weights = ws_method_weights_softmax_, .derive = ws_method_derive_argmax_};
