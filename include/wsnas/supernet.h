/* supernet.h: the NB201 macro network on the CPU, as a weight-sharing supernet
 * (every edge mixes ops with given weights) or as a standalone network for one
 * architecture.  All parameters, gradients, BN buffers and optimiser state
 * live in one block each (llm.c style); activations and scratch live in one
 * arena sized at allocation for `max_batch`, so a training step allocates
 * nothing.
 *
 * Input images are (N, Cin, H, W) row-major float (PyTorch's layout); the
 * network converts to its internal channel-major layout.
 *
 * Parameter names (the checkpoint layout and the PyTorch fixtures use them):
 *   stem.conv.weight, stem.bn.weight, stem.bn.bias
 *   cells.{k}.edges.{e}.conv1x1.weight, cells.{k}.edges.{e}.conv3x3.weight
 *       k = 0..3N-1 counts search cells only, e = 0..5 edge index; with
 *       partial channels these (and the cell BNs) have C/pc_k channels
 *   red.{r}.conv_a.weight, red.{r}.bn_a.weight, red.{r}.bn_a.bias,
 *   red.{r}.conv_b.weight, red.{r}.bn_b.weight, red.{r}.bn_b.bias,
 *   red.{r}.shortcut.weight                    r = 0, 1
 *   head.bn.weight, head.bn.bias, head.fc.weight, head.fc.bias
 *   (cells.{k}.edges.{e}.bn{1x1,3x3}.weight/bias only when cell_bn_affine)
 * Buffers: the same BN prefixes with .running_mean / .running_var.
 */
#ifndef WSNAS_SUPERNET_H
#define WSNAS_SUPERNET_H

#include <stddef.h>
#include <stdint.h>

#include "wsnas/common.h"
#include "wsnas/rng.h"
#include "wsnas/space.h"

typedef struct ws_net_config {
    int C;              /* stage-1 channels (NB201: 16) */
    int N;              /* search cells per stage (NB201: 5) */
    int in_channels;    /* 3 for CIFAR, 1 for Fashion-MNIST */
    int in_size;        /* square input side: 32 or 16 */
    int classes;
    int max_batch;      /* arena sized for this; larger batches are refused */
    int cell_bn_affine; /* 0 for search (NB201/GAEA), 1 for standalone training */
    int cell_bn_track;  /* running stats in cell BN; 0 = batch stats in eval too */
    int standalone;     /* 1: one fixed architecture `arch`, unreachable edges pruned */
    ws_arch arch;       /* used when standalone */
    int pc_k;           /* partial channels (PC-DARTS): each search-cell edge runs its
                           ops on C/pc_k of the C channels, the others bypass the ops
                           (pc_k = 1: off).  The edge's conv/BN tensors then have C/pc_k
                           channels.  Not with standalone. */
    int pc_random;      /* with pc_k > 1: 0 = the PC-DARTS code's form: the first C/pc_k
                           channels, then a channel shuffle with pc_k groups on the edge
                           output; 1 = the paper's form: a uniformly random C/pc_k channels
                           per cell, edge and forward pass (from ws_mix.pc_seed), no
                           shuffle */
} ws_net_config;

/* How the ops of each edge are mixed for one forward pass. */
enum ws_mix_mode {
    WS_MIX_FULL = 0, /* out = sum_o w[e][o] op_o(x); ops with w == 0 skipped */
    WS_MIX_SINGLE,   /* out = op_sel[e](x) (weight 1; no arch gradient) */
    WS_MIX_HARD_ST   /* GDAS: out = w[e][sel] op_sel(x) + sum_{o!=sel} w[e][o]
                        (w holds h, numerically one-hot); gradient reaches all w */
};

typedef struct ws_mix {
    int mode;                        /* enum ws_mix_mode */
    float w[WS_EDGES][WS_OP_COUNT];  /* FULL, HARD_ST */
    uint8_t sel[WS_EDGES];           /* SINGLE, HARD_ST */
    float edge_scale[WS_EDGES];      /* PC-DARTS edge normalisation; 1 = off
                                        (FULL, HARD_ST; SINGLE ignores it) */
    uint64_t pc_seed;                /* pc_random: the channel draw of this pass */
} ws_mix;

/* Sets mode, edge_scale 1, w uniform 1/5, sel skip_connect on every edge and
 * pc_seed 0. */
void ws_mix_init(ws_mix *mix, int mode);

/* Gradient of the loss with respect to the mixing weights. */
typedef struct ws_mix_grad {
    float dw[WS_EDGES][WS_OP_COUNT];
    float dedge_scale[WS_EDGES];
} ws_mix_grad;

typedef struct ws_net ws_net;

ws_net *ws_net_alloc(const ws_net_config *cfg, ws_error *err);
void ws_net_free(ws_net *net);
/* A new network of src's configuration with its parameters, BN buffers and
 * momentum (gradients zero, no forward state); NULL with err set. */
ws_net *ws_net_clone(const ws_net *src, ws_error *err);
const ws_net_config *ws_net_get_config(const ws_net *net);
/* PyTorch default init from `rng` (kaiming-uniform a=sqrt(5); BN 1/0). */
void ws_net_init(ws_net *net, ws_pcg32 *rng);

/* The flat blocks. Parameters and gradients share one layout. */
float *ws_net_params(ws_net *net, size_t *count);
float *ws_net_grads(ws_net *net, size_t *count);
float *ws_net_buffers(ws_net *net, size_t *count); /* BN running stats */
float *ws_net_momentum(ws_net *net, size_t *count); /* SGD momentum */
/* Named tensor lookup; shape has up to 4 dims, unused dims 0. Returns NULL
 * if absent. `grad` (optional) receives the matching gradient pointer. */
float *ws_net_find(ws_net *net, const char *name, float **grad, int shape[4]);
/* Iterate over named tensors: i = 0.. until it returns NULL. */
const char *ws_net_tensor_name(const ws_net *net, size_t i, int *is_buffer);

/* Forward pass on x (B, Cin, H, W) with labels; train=1 uses batch statistics
 * and updates running stats; train=0 uses running stats where tracked.
 * Returns the mean cross-entropy; *correct gets the top-1 hits if non-NULL.
 * mix is ignored for standalone networks (pass NULL). */
float ws_net_forward(ws_net *net, const float *x, const int *labels, int B,
                     const ws_mix *mix, int train, int *correct);
/* Backward of the last forward (must have been train=1). Accumulates into the
 * weight gradients and, if dmix != NULL, writes dL/dmix (overwrites), summed
 * over all cells.  FULL: dw[e][o] = edge_scale[e] <dL/dnode, op_o(x)>, 0 for
 * ops skipped because their weight was 0 (and for none); HARD_ST: the
 * selected op as FULL, every other op gets edge_scale[e] * sum(dL/dnode);
 * dedge_scale[e] = <dL/dnode, edge output before scaling>.  SINGLE and
 * standalone: dmix is zeroed.  With partial channels the op terms run over
 * the processed channels and dedge_scale also has <dL/dnode, bypass>.
 * B > max_batch or a missing mix abort
 * (WS_ASSERT): they are programming errors. */
void ws_net_backward(ws_net *net, ws_mix_grad *dmix);
/* As ws_net_backward but computes no weight gradients (the gradient block is
 * left untouched): the architecture step of DARTS-like methods, about a third
 * cheaper.  dmix is required. */
void ws_net_backward_arch(ws_net *net, ws_mix_grad *dmix);
void ws_net_zero_grad(ws_net *net);
/* Partial channels: the Cp = C/pc_k channels of node `src` that edge e of
 * search cell k processed in the last forward, ascending (count returned;
 * 0 when pc_k = 1 or the edge did not run). `out` holds up to 4C ints. */
int ws_net_pc_channels(const ws_net *net, int cell, int e, int *out);
/* Logits (B, classes) of the last forward. */
const float *ws_net_logits(const ws_net *net);

/* ---- One-shot scoring (forward only) --------------------------------------- */
/* Scoring of single-path architectures with the shared weights on one batch
 * x (B, Cin, H, W): begin runs the stem; every score_arch then gives the
 * same mean cross-entropy, logits (ws_net_logits) and top-1 hits as
 * ws_net_forward(net, x, labels, B, mix, batch_stats, correct) with mix =
 * WS_MIX_SINGLE and sel = a, but moves no BN running estimate, skips edges
 * that cannot influence the output and reuses the first cell's nodes that
 * the previous architecture of this batch computed from the same ops
 * (ordering architectures by ws_arch_product_rank makes that frequent).
 * batch_stats = 1: batch statistics in every BN; 0: running statistics where
 * tracked.  Supernets without partial channels only; no backward after it;
 * any ws_net_forward ends the batch. */
void ws_net_score_begin(ws_net *net, const float *x, const int *labels, int B, int batch_stats);
float ws_net_score_arch(ws_net *net, const ws_arch *a, int *correct);
/* ---- Inspection (zero-cost proxies, src/proxy) ---------------------------
 * Supernet (without partial channels) and standalone networks only. */
/* One ReLU of the last forward and its input x, (C, B, HW) channel-major.
 * One entry per ReLU module of the NB201 network that ran, in network order:
 * per search cell, one per convolution computed on an edge (the edge's
 * source node: the network has one ReLU per ReLU-conv-BN op, so k convs on
 * one node give k entries), cell = 0..3N-1, edge = e; per reduction block r
 * two, cell = -1-r, edge 0 (ReLU before conv_a) and 1 (before conv_b); the
 * head's, cell = -3, edge 0. */
typedef struct ws_net_relu {
    const float *x;
    int C, HW, cell, edge;
} ws_net_relu;
/* Writes up to cap entries of the last forward into out; returns the count
 * (may exceed cap). */
int ws_net_relus(const ws_net *net, ws_net_relu *out, int cap);
/* Called by ws_net_backward for every convolution (stem, cell ops,
 * reduction conv_a, conv_b, shortcut) with its fan-in (Cin*K*K), its output
 * y and dL/dy, both (C, B, HW) channel-major.  When rstd != NULL the engine
 * holds y only normalised: y = x / rstd[c] + mean[c]; else y = x. */
typedef void (*ws_net_conv_probe)(void *ctx, int fan_in, const float *x, const float *mean,
                                  const float *rstd, const float *dy, int C, int B, int HW);
/* Sets (fn NULL: clears) the probe. */
void ws_net_set_conv_probe(ws_net *net, ws_net_conv_probe fn, void *ctx);
/* ReLU mask replay (grasp's Hessian-vector product by differences): RECORD
 * makes every ReLU of the following passes store its mask (input > 0),
 * REPLAY makes them apply the recorded masks to their inputs instead (y =
 * x * mask, dx = dy * mask; the same batch size and architecture as
 * recorded), OFF (default) is the ordinary network.  Set the mode before a
 * forward and keep it through its backward.  ws_net_relu_mask_alloc
 * preallocates the masks (one byte per ReLU output element at max_batch;
 * not for partial-channel networks); the mode calls allocate nothing. */
typedef enum ws_relu_mask_mode {
    WS_RELU_MASK_OFF,
    WS_RELU_MASK_RECORD,
    WS_RELU_MASK_REPLAY,
    WS_RELU_MASK_MODE_COUNT
} ws_relu_mask_mode;
extern const char *const ws_relu_mask_mode_names[];
int ws_net_relu_mask_alloc(ws_net *net, ws_error *err);
/* WS_ESTATE: RECORD or REPLAY without the masks allocated, REPLAY before
 * a forward in RECORD mode. */
int ws_net_relu_mask_mode(ws_net *net, ws_relu_mask_mode mode, ws_error *err);
/* ws_net_backward from a given dL/dlogits (B, classes) instead of the
 * cross-entropy's; dx (B, Cin, H, W) receives dL/dx when non-NULL.  Weight
 * gradients accumulate as in ws_net_backward; no dmix. */
void ws_net_backward_logits(ws_net *net, const float *dlogits, float *dx);

/* ---- Optimisation -------------------------------------------------------- */
typedef struct ws_sgd {
    float lr, momentum, weight_decay;
    int nesterov;
} ws_sgd;
/* PyTorch SGD semantics: g += wd*p; m = mu*m + g; p -= lr*(nesterov ? g+mu*m : m). */
void ws_net_sgd_step(ws_net *net, const ws_sgd *opt);
/* Global L2 norm of the gradients; if > max_norm, scale by max_norm/(norm+1e-6)
 * (clip_grad_norm_). Returns the norm before clipping. `extra` (n floats) is
 * included in the norm and scaled too (AutoDL's alpha-in-clip quirk); may be NULL. */
double ws_net_clip_grad_norm(ws_net *net, double max_norm, float *extra, size_t n_extra);
/* Cosine schedule per epoch: lr_min + (lr_max-lr_min)(1+cos(pi e/E))/2. */
double ws_cosine_lr(double lr_max, double lr_min, int epoch, int epochs);

/* Adam on a small flat vector (architecture parameters): PyTorch semantics
 * with L2 weight decay added to the gradient. */
typedef struct ws_adam {
    float lr, beta1, beta2, eps, weight_decay;
    long t;
} ws_adam;
void ws_adam_step(ws_adam *opt, float *p, const float *g, float *m, float *v, size_t n);

/* ---- Checkpoint ----------------------------------------------------------- */
/* A checkpoint is a versioned file of named blobs (documented in
 * src/supernet/checkpoint.c). The network writes its params, buffers and
 * momentum; callers add their own blobs (arch params, rng state, counters). */
typedef struct ws_ckpt ws_ckpt;
ws_ckpt *ws_ckpt_alloc(void);
void ws_ckpt_free(ws_ckpt *ck);
int ws_ckpt_put(ws_ckpt *ck, const char *name, const void *data, size_t bytes, ws_error *err);
/* Returns WS_ENOTFOUND if absent, WS_EFORMAT if the size differs. */
int ws_ckpt_get(const ws_ckpt *ck, const char *name, void *data, size_t bytes, ws_error *err);
/* path.tmp, fsync, rename, fsync of the directory; the container version
 * is the one read (a new checkpoint: the current one). */
int ws_ckpt_write(const ws_ckpt *ck, const char *path, ws_error *err);
int ws_ckpt_read(ws_ckpt *ck, const char *path, ws_error *err);
/* Container version of the file read (1 or 2; 2 for a new checkpoint). */
unsigned ws_ckpt_version(const ws_ckpt *ck);
/* Entries in order: count, and name and size of entry i (NULL past the end). */
size_t ws_ckpt_count(const ws_ckpt *ck);
const char *ws_ckpt_entry(const ws_ckpt *ck, size_t i, size_t *bytes);
int ws_net_save(ws_net *net, ws_ckpt *ck, ws_error *err);
/* Checks the network config, every tensor's size and values (finite;
 * running variances >= 0) before copying anything into net. */
int ws_net_load(ws_net *net, const ws_ckpt *ck, ws_error *err);
/* WS_ERANGE naming the first non-finite parameter, buffer or momentum
 * value (a diverged run), else 0. */
int ws_net_check_finite(const ws_net *net, ws_error *err);

#endif
