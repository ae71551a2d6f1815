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
