/* pc_darts.c: the PC-DARTS row (methods.md 2.7): DARTS's order and Adam with
 * partial channels (pc_k = 4) in the network and the edge normalisation beta
 * (WS_MF_PC: logits, softmax per node). */
#include "internal.h"

static void pc_darts_preset(ws_search_config *cfg, int paper)
{
    (void)paper;
    cfg->pc_k = 4;
}

const ws_method_def ws_method_pc_darts = {
    .name = "pc-darts", .flags = WS_MF_ARCH_BATCH | WS_MF_PC,
    .state = WS_MS_LOGITS | WS_MS_BETA, .preset = pc_darts_preset,
    .init = ws_method_init_logits_, .epoch_begin = NULL, .step = ws_darts_step_,
    .weights = ws_method_weights_softmax_, .derive = ws_method_derive_argmax_};
