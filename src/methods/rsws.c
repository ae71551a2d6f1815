/* rsws.c: RS-WS / RSPS (methods.md 2.1): every batch trains one uniformly
 * random path (one op per edge, `none` included unless excluded); no
 * architecture parameters.  The selection (best of K sampled architectures
 * on one held-out batch) is run by the search driver after every epoch
 * through ws_rsws_select. */
#include <string.h>

#include "internal.h"

void ws_rsws_step_(ws_method_state *st, ws_method_ctx *ctx)
{
    ws_arch a;
    ws_arch_sample_uniform(&st->rng_sample, st->ops_mask, &a);
    ws_mix mix;
    memset(&mix, 0, sizeof mix);
    mix.mode = WS_MIX_SINGLE;
    for (int e = 0; e < WS_EDGES; e++) mix.sel[e] = a.op[e], mix.edge_scale[e] = 1.0f;
    ws_method_weight_step_(st, ctx, &mix);
}

/* The uniform sampling distribution over the allowed ops. */
static void rsws_weights(const ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT])
{
    int allowed = 0;
    for (int o = 0; o < WS_OP_COUNT; o++) allowed += st->ops_mask[o];
    for (int e = 0; e < WS_EDGES; e++)
        for (int o = 0; o < WS_OP_COUNT; o++)
            p[e][o] = st->ops_mask[o] ? 1.0f / (float)allowed : 0.0f;
}

/* The last selection, or all-none before the first. */
static void rsws_derive(const ws_method_state *st, ws_arch *out)
{
    if (st->selected_valid) *out = st->selected;
    else memset(out, 0, sizeof *out);
}

static void rsws_preset(ws_search_config *cfg, int paper)
{
    if (paper) cfg->epochs = 250; /* methods.md 2.8 */
}

const ws_method_def ws_method_rsws = {
    .name = "rs-ws", .flags = WS_MF_SINGLE_PATH | WS_MF_SELECT, .state = WS_MS_SELECTED,
    .preset = rsws_preset, .init = NULL, .epoch_begin = NULL, .step = ws_rsws_step_,
    .weights = rsws_weights, .derive = rsws_derive};
