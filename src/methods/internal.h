/* internal.h: what the method modules share (src/methods only). */
#ifndef WSNAS_METHODS_INTERNAL_H
#define WSNAS_METHODS_INTERNAL_H

#include "wsnas/data.h"
#include "wsnas/method.h"

/* Zero grads, forward on the weight batch with mix, backward, clip, SGD.
 * Stores loss and hits in ctx. */
void ws_method_weight_step_(ws_method_state *st, ws_method_ctx *ctx, const ws_mix *mix);
/* Forward/backward on the architecture batch with mix (train mode); returns
 * dL/dmix in g.  Computes no weight gradients (the block is left as it was). */
void ws_method_arch_grad_(ws_method_ctx *ctx, const ws_mix *mix, ws_mix_grad *g);
/* The partial-channel draw of the next forward pass (0 for other methods);
 * advances st->rng_pc.  Only the random form (pc_sample) reads it. */
uint64_t ws_method_pc_seed_(ws_method_state *st);
/* PC-DARTS edge normalisation: edge_scale from beta (softmax per node, or
 * the simplex values for GAEA), and its backward to dbeta. */
void ws_method_edge_scale_(const ws_method_state *st, float scale[WS_EDGES]);
void ws_method_edge_scale_backward_(const ws_method_state *st, const float *dscale,
                                    float *dbeta);

/* The rows of the table (each in its own file) */
extern const ws_method_def ws_method_rsws, ws_method_darts, ws_method_darts2, ws_method_gdas,
    ws_method_gaea_darts, ws_method_gaea_gdas, ws_method_pc_darts, ws_method_gaea_pc_darts;

/* Row parts several methods share: 1e-3 N(0,1) logits for alpha (and beta
 * with WS_MF_PC); softmax(alpha) weights; argmax derivation; the GAEA
 * simplex start, theta weights and GAEA's defaults (methods.md 2.5, 2.6). */
void ws_method_init_logits_(ws_method_state *st, const ws_search_config *cfg, ws_pcg32 *init);
void ws_method_weights_softmax_(const ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT]);
void ws_method_derive_argmax_(const ws_method_state *st, ws_arch *out);
void ws_gaea_init_(ws_method_state *st, const ws_search_config *cfg, ws_pcg32 *init);
void ws_gaea_weights_(const ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT]);
void ws_gaea_preset_(ws_search_config *cfg, int paper);
void ws_gdas_epoch_tau_(ws_method_state *st, const ws_search_config *cfg, int epoch);

/* per-method steps */
void ws_rsws_step_(ws_method_state *st, ws_method_ctx *ctx);
void ws_darts_step_(ws_method_state *st, ws_method_ctx *ctx);  /* darts, pc-darts */
void ws_darts2_step_(ws_method_state *st, ws_method_ctx *ctx);
void ws_gdas_step_(ws_method_state *st, ws_method_ctx *ctx);
void ws_gaea_step_(ws_method_state *st, ws_method_ctx *ctx);   /* gaea-darts, gaea-pc-darts */
void ws_gaea_gdas_step_(ws_method_state *st, ws_method_ctx *ctx);
/* DARTS mixture: w = softmax(alpha) per edge over allowed ops (+ PC scale). */
void ws_darts_mix_(const ws_method_state *st, ws_mix *mix);
/* Adam on alpha (and beta for PC) from mixing-weight gradients. */
void ws_darts_adam_(ws_method_state *st, const ws_search_config *cfg, const ws_mix_grad *g);

/* ---- the search driver's checkpoint (search_ckpt.c) ----------------------- */
/* Counters of the run saved with the network and the method state. */
typedef struct ws_search_run_state {
    int32_t next_epoch; /* epochs finished */
    int32_t best_epoch; /* best supernet valid accuracy so far (-1: none yet) */
    double best_valid;
    ws_arch best_arch;
} ws_search_run_state;
/* Adds the search's entries (format in search_ckpt.c) to ck, which already
 * holds the network's. */
int ws_search_ckpt_save_(ws_ckpt *ck, const ws_search_config *cfg, const ws_method_state *st,
                         const ws_search_run_state *rs, const ws_batcher *wb,
                         const ws_batcher *ab, ws_error *err);
/* The checks of ws_search_ckpt_load_ that need no network or data (made
 * before the data is loaded, so that a bad checkpoint is refused at once). */
int ws_search_ckpt_precheck_(const ws_ckpt *ck, const char *path, const ws_search_config *cfg,
                             ws_error *err);
/* Checks a checkpoint read from `path` (version 2, or the legacy version 1)
 * field by field against cfg (steps = iterations per epoch) and only then
 * loads net, st, rs and the two batchers.  Errors name the file once. */
int ws_search_ckpt_load_(const ws_ckpt *ck, const char *path, const ws_search_config *cfg,
                         int steps, ws_net *net, ws_method_state *st, ws_search_run_state *rs,
                         ws_batcher *wb, ws_batcher *ab, ws_error *err);

#endif
