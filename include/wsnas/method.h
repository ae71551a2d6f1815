/* method.h: the architecture-search methods as one table and the small
 * update rules they are made of (methods.md section 2).  Each method is one
 * row (ws_method_def: name, flags, preset, init, epoch start, step, weights,
 * derive, checkpointed state) defined in its own file of src/methods/:
 *   rsws.c rs-ws, darts.c darts, darts2.c darts2, gdas.c gdas,
 *   gaea.c gaea-darts, gaea_gdas.c gaea-gdas, pc_darts.c pc-darts,
 *   gaea_pc_darts.c gaea-pc-darts
 * and method.c lists the rows (one line each) in ws_method_id order.  Adding
 * a method is one new file and one row; code outside a method's file asks
 * its flags, never its id.  The search driver (search.c) owns the network,
 * data and files; a method only sees a ws_method_ctx for one training step.
 *
 * Architecture parameters are a 6x5 matrix (edges x ops, NB201 op order) plus,
 * for the PC-DARTS family, 6 edge-normalisation parameters (beta).
 */
#ifndef WSNAS_METHOD_H
#define WSNAS_METHOD_H

#include <stdint.h>

#include "wsnas/common.h"
#include "wsnas/config.h"
#include "wsnas/rng.h"
#include "wsnas/space.h"
#include "wsnas/supernet.h"

enum ws_method_id {
    WS_METHOD_RSWS = 0,
    WS_METHOD_DARTS,
    WS_METHOD_DARTS2,
    WS_METHOD_GDAS,
    WS_METHOD_GAEA_DARTS,
    WS_METHOD_GAEA_GDAS,
    WS_METHOD_PC_DARTS,
    WS_METHOD_GAEA_PC_DARTS,
    WS_METHOD_COUNT
};

#define WS_ARCH_N (WS_EDGES * WS_OP_COUNT)

/* Everything a method carries between steps; plain data, so it is saved to
 * and restored from the checkpoint as one blob (ws_method_state_bytes). */
typedef struct ws_method_state {
    int id;
    int ops_mask[WS_OP_COUNT];        /* 1 = op allowed (exclude_none clears none) */
    float a[WS_EDGES][WS_OP_COUNT];   /* alpha logits, or theta for GAEA */
    float beta[WS_EDGES];             /* PC-DARTS edge normalisation (logits / simplex) */
    float m[WS_ARCH_N + WS_EDGES], v[WS_ARCH_N + WS_EDGES]; /* Adam moments */
    ws_adam adam;
    float tau;                        /* current Gumbel temperature */
    int arch_updates_on;              /* 0 during warm-up */
    ws_pcg32 rng_sample;              /* RS-WS paths, Gumbel noise */
    ws_pcg32 rng_select;              /* RS-WS candidates */
    ws_pcg32 rng_pc;                  /* partial-channel draws (pc_sample random) */
    float darch_last[WS_ARCH_N];      /* last arch gradient (clip_includes_arch quirk) */
    ws_arch selected;                 /* RS-WS: the last selection */
    int selected_valid;
} ws_method_state;

/* One step's inputs, prepared by the driver. */
typedef struct ws_method_ctx {
    ws_net *net;
    ws_net *net_copy;       /* darts2 only: same config, scratch for the unrolled step */
    const ws_search_config *cfg;
    const float *x;         /* weight batch (B, C, S, S) */
    const int *y;
    int B;
    const float *xa;        /* architecture batch (valid or, single-level, train) */
    const int *ya;
    int Ba;
    float lr;               /* current weight learning rate */
    ws_sgd sgd;
    float *scratch;         /* darts2: 3 * param count floats */
    /* outputs */
    float loss;             /* weight-step loss */
    int correct;            /* weight-step top-1 hits */
    double grad_norm;       /* weight-gradient norm before clipping (0 without
                               clipping); the driver's divergence guard reads
                               it with the loss */
} ws_method_ctx;

/* ---- the table ------------------------------------------------------------ */
enum ws_method_flag {
    WS_MF_ARCH_BATCH = 1u << 0, /* its step reads an architecture batch */
    WS_MF_SIMPLEX = 1u << 1,    /* GAEA: theta on the simplex (EG); bilevel answers the
                                   best-valid epoch's architecture */
    WS_MF_PC = 1u << 2,         /* partial channels and edge normalisation beta */
    WS_MF_SINGLE_PATH = 1u << 3,/* the supernet is evaluated on the derived architecture */
    WS_MF_TAU = 1u << 4,        /* a Gumbel temperature (logged in epochs.csv) */
    WS_MF_SELECT = 1u << 5,     /* no architecture parameters: best of K after each epoch */
    WS_MF_UNROLLED = 1u << 6,   /* second order: a network copy and scratch per step */
};
/* Which fields of ws_method_state carry the method's state in a checkpoint
 * (the others must keep their initial values; search_ckpt.c checks both). */
enum ws_method_state_field {
    WS_MS_LOGITS = 1u << 0,   /* a: alpha logits, with Adam moments */
    WS_MS_THETA = 1u << 1,    /* a: theta rows on the simplex */
    WS_MS_BETA = 1u << 2,     /* beta: edge normalisation (logits, or simplices with THETA) */
    WS_MS_SELECTED = 1u << 3, /* selected: the last selection */
};

struct ws_method_state;
struct ws_method_ctx;
typedef struct ws_method_def {
    const char *name;
    unsigned flags;  /* WS_MF_* */
    unsigned state;  /* WS_MS_*: what the checkpoint's method blob carries */
    /* the method's defaults over the common ones of ws_config_preset */
    void (*preset)(ws_search_config *cfg, int paper);
    /* architecture parameters from the init stream (NULL: none) */
    void (*init)(struct ws_method_state *st, const ws_search_config *cfg, ws_pcg32 *init);
    /* start of an epoch, after warm-up is set (NULL: nothing) */
    void (*epoch_begin)(struct ws_method_state *st, const ws_search_config *cfg, int epoch);
    /* one iteration: weight step and (unless warm-up) architecture step, in order */
    void (*step)(struct ws_method_state *st, struct ws_method_ctx *ctx);
    /* the 6x5 mixing probabilities */
    void (*weights)(const struct ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT]);
    /* the current discrete architecture */
    void (*derive)(const struct ws_method_state *st, ws_arch *out);
} ws_method_def;

/* The row of method `id` (0..WS_METHOD_COUNT-1), its name and flags. */
const ws_method_def *ws_method_def_of(int id);
const char *ws_method_name(int id);
unsigned ws_method_flags(int id);

/* ---- the interface -------------------------------------------------------- */
int ws_method_init(ws_method_state *st, const ws_search_config *cfg, uint64_t seed,
                   ws_error *err);
/* Called at the start of every epoch (tau schedule, warm-up). */
void ws_method_epoch_begin(ws_method_state *st, const ws_search_config *cfg, int epoch);
/* One iteration: the weight step and (unless warm-up) the architecture step,
 * in the method's order. */
void ws_method_step(ws_method_state *st, ws_method_ctx *ctx);
/* The current discrete architecture (argmax per edge over allowed ops;
 * RS-WS: the last selection, or argmax of nothing = all-none if none yet). */
void ws_method_derive(const ws_method_state *st, ws_arch *out);
/* The 6x5 mixing probabilities: softmax(alpha) (masked), or theta. */
void ws_method_weights(const ws_method_state *st, float p[WS_EDGES][WS_OP_COUNT]);
/* The mix used for evaluating the supernet (continuous for DARTS/GAEA,
 * the derived architecture for GDAS and RS-WS). */
void ws_method_eval_mix(const ws_method_state *st, ws_mix *mix);

/* ---- update rules (exposed for the tests) --------------------------------- */
/* Softmax over the allowed entries of a row (mask[i] = 0 -> p[i] = 0). */
void ws_softmax_masked(const float *a, const int *mask, int n, float *p);
/* Backward of p = softmax(a): da[i] = p[i] (dp[i] - sum_j p[j] dp[j]). */
void ws_softmax_backward(const float *p, const float *dp, int n, float *da);
/* Exponentiated-gradient step on one simplex row, in place:
 *   t_i = theta_i exp(-eta g_i)  (allowed entries; excluded entries stay 0),
 * then the exact projection onto {q : sum q = 1, q_i >= floor}: q_i =
 * max(floor, t_i / Z) with Z solved so the row sums to 1 (clamped entries
 * are found iteratively; a plain clamp-then-divide can dip below the floor).
 * Requires floor * allowed < 1. */
void ws_eg_update_row(float *theta, const float *g, const int *mask, int n, double eta,
                      double floor);
/* The projection alone (used by ws_eg_update_row): t >= 0 unnormalised. */
void ws_simplex_floor_project(const double *t, const int *mask, int n, double floor,
                              float *out);
/* Gumbel-softmax with straight-through hard sample on one row:
 * logits_i = (base_i + g_i) / tau, g_i = -log(E_i), E_i ~ Exp(1) (redrawn if
 * not finite); p = softmax(logits) over allowed entries; k = argmax p;
 * h = onehot(k) in value. Returns k. */
int ws_gumbel_st_sample(const float *base, const int *mask, int n, float tau, ws_pcg32 *rng,
                        float *p, float *h);
/* Straight-through backward: dL/dp = dL/dh; dbase = softmax_backward(p, dh) / tau. */
void ws_gumbel_st_backward(const float *p, const float *dh, int n, float tau, float *dbase);
/* Backward of log_softmax: da = dls - softmax(a) * sum(dls). */
void ws_log_softmax_backward(const float *a, const int *mask, const float *dls, int n,
                             float *da);
/* GDAS tau for `epoch` (0-based) of `epochs`, after `warmup` epochs:
 * tau_max - (tau_max - tau_min) * max(epoch - warmup, 0) / max(epochs - 1, 1)
 * (methods.md 2.4; 2.6 keeps the total epoch count in the denominator). */
double ws_gdas_tau(double tau_max, double tau_min, int epoch, int epochs, int warmup);
/* Mean over rows of -sum p ln p (natural log; 0 ln 0 = 0). */
double ws_arch_entropy(const float *p); /* p: 6x5 row-major */
/* A uniformly random op per edge from the allowed ops. */
void ws_arch_sample_uniform(ws_pcg32 *rng, const int *mask, ws_arch *out);
/* Argmax per edge over allowed ops (ties: lowest op index). */
void ws_arch_argmax(const float *p, const int *mask, ws_arch *out); /* p: 6x5 */

/* darts2: the second-order architecture gradient of methods.md 2.3 on the
 * given batches, written to dalpha (6x5, gradient w.r.t. the mixing weights
 * w = softmax(alpha), before the softmax backward) and, for PC, dbeta.
 * Leaves the network's parameters as they were; its gradient buffer is
 * zeroed at the end. Exposed for the tests. */
void ws_darts2_mix_grad(ws_method_ctx *ctx, const ws_mix *mix, ws_mix_grad *out);

#endif
