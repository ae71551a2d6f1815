/* darts2.c: the DARTS second-order row (methods.md 2.3): the unrolled
 * architecture step first, then the weights (ws_darts2_step_ in darts.c); it
 * needs a copy of the network and scratch (WS_MF_UNROLLED). */
#include "internal.h"

const ws_method_def ws_method_darts2 = {
    .name = "darts2", .flags = WS_MF_ARCH_BATCH | WS_MF_UNROLLED, .state = WS_MS_LOGITS,
    .preset = NULL, .init = ws_method_init_logits_, .epoch_begin = NULL,
    .step = ws_darts2_step_, .weights = ws_method_weights_softmax_,
    .derive = ws_method_derive_argmax_};
