/* gaea_gdas.c: the GAEA-GDAS row (methods.md 2.6): theta on the simplex,
 * Gumbel straight-through samples with logits (ln theta + g) / tau (the
 * steps in gaea.c), eta 0.01, entropic regulariser 0.01, and the
 * temperature schedule counted from the end of the warm-up. */
#include "internal.h"

static void gaea_gdas_tau(ws_method_state *st, const ws_search_config *cfg, int epoch)
{
    st->tau = (float)ws_gdas_tau(cfg->tau_max, cfg->tau_min, epoch, cfg->epochs,
                                 cfg->warmup_epochs);
}

static void gaea_gdas_preset(ws_search_config *cfg, int paper)
{
    cfg->nesterov = 0, cfg->weight_decay = 3e-4;
    cfg->exclude_none = 1; /* none stays excluded: the README's flag */
    cfg->eg_eta = 0.01, cfg->entropic_reg = 0.01;
    if (paper)
        cfg->warmup_epochs = 50, cfg->epochs = 250, cfg->lr_epochs = 0;
    else
        cfg->warmup_epochs = 2;
}

const ws_method_def ws_method_gaea_gdas = {
    .name = "gaea-gdas", .flags = WS_MF_ARCH_BATCH | WS_MF_SIMPLEX | WS_MF_SINGLE_PATH | WS_MF_TAU,
    .state = WS_MS_THETA, .preset = gaea_gdas_preset, .init = ws_gaea_init_,
    .epoch_begin = gaea_gdas_tau, .step = ws_gaea_gdas_step_, .weights = ws_gaea_weights_,
    .derive = ws_method_derive_argmax_};
