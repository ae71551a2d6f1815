/* gaea_pc_darts.c: the GAEA-PC-DARTS row: gaea-darts (theta on the simplex,
 * EG, architecture step first) with partial channels (pc_k = 4) and edge
 * normalisation simplices over each node's inputs, also updated by EG. */
#include "internal.h"

static void gaea_pc_darts_preset(ws_search_config *cfg, int paper)
{
    ws_gaea_preset_(cfg, paper);
    cfg->pc_k = 4;
}

const ws_method_def ws_method_gaea_pc_darts = {
    .name = "gaea-pc-darts", .flags = WS_MF_ARCH_BATCH | WS_MF_SIMPLEX | WS_MF_PC,
    .state = WS_MS_THETA | WS_MS_BETA, .preset = gaea_pc_darts_preset, .init = ws_gaea_init_,
    .epoch_begin = NULL, .step = ws_gaea_step_, .weights = ws_gaea_weights_,
    .derive = ws_method_derive_argmax_};
