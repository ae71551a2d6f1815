/* internal.h: the ws_net structure shared by the files of src/supernet/
 * (net.c: layout and allocation; forward.c: forward and backward passes;
 * optim.c; checkpoint.c).  Activations are channel-major (C, B, H, W) as in
 * nn.h.  Every pointer below points into one of four blocks owned by ws_net:
 * params, grads (same layout), buffers (BN running stats), momentum (same
 * layout as params), and the arena (activations and scratch). */
#ifndef WSNAS_SUPERNET_INTERNAL_H
#define WSNAS_SUPERNET_INTERNAL_H

#include "wsnas/supernet.h"

#define WS_TENSOR_NAME_MAX 64

typedef struct ws_tensor_info {
    char name[WS_TENSOR_NAME_MAX];
    size_t off;   /* in floats, into params/grads/momentum or buffers */
    size_t numel;
    int shape[4];
    int is_buffer;
} ws_tensor_info;

/* A batch norm over C channels; parameters may be NULL (affine=False) and
 * running stats NULL (not tracked). Arena: xhat (C, B*HW), mean, rstd (C).
 * Cell-op BNs keep their input (the conv output) in `xhat` instead and
 * recompute xhat = (y - mean) * rstd where needed (forward.c). */
typedef struct ws_bn {
    float *g, *b, *dg, *db;
    float *rm, *rv;
    float *xhat, *mean, *rstd;
    int train_stats; /* 1 when the last forward normalised with batch stats */
} ws_bn;

/* ReLU -> conv KxK (stride 1) -> BN of one cell edge.  dw_zero: dw is all
 * +0.0 (set by ws_net_zero_grad, cleared when a backward adds into dw), so
 * the gradient passes over the flat block may skip it (net.c, optim.c). */
typedef struct ws_convop {
    int present;
    float *w, *dw;
    ws_bn bn;
    int dw_zero;
} ws_convop;

/* A run of the gradient block: the weight gradient of one cell convolution
 * (zero: its convop's dw_zero) or of other tensors (zero NULL: never known
 * zero).  The runs cover the block in order. */
typedef struct ws_grad_run {
    size_t off, n;
    int *zero;
} ws_grad_run;

typedef struct ws_cell {
    int C, H, W;          /* channels and spatial side */
    int live[WS_EDGES];   /* standalone: the edge is computed */
    ws_convop conv1[WS_EDGES], conv3[WS_EDGES];
    const float *node[4]; /* node[0] = the cell input (previous output) */
    float *nodebuf[4];    /* writable nodes 1..3 (arena) */
    float *relu[3];       /* relu(node j), j = 0..2 (arena) */
    float *pool[3];       /* avgpool3(node j) (arena) */
    int relu_used[3], pool_used[3]; /* computed in the last forward */
    int dead[4];          /* node j (1, 2) could not reach node 3 in the last
                             forward and was not computed (cell_dead_nodes) */
    /* partial channels (pc_k > 1), per edge: the processed channels of the
     * source node (Cp), their positions (C ints: index into sel or -1), the
     * gathered input (random form only; else a prefix of the node), and the
     * edge's own relu / avgpool of that input (Cp x B x H x W each) */
    int Cp;
    int *pc_sel[WS_EDGES], *pc_pos[WS_EDGES];
    const float *pc_in[WS_EDGES];
    float *pc_xbuf[WS_EDGES], *pc_relu[WS_EDGES], *pc_pool[WS_EDGES];
    int pc_ran[WS_EDGES], pc_relu_used[WS_EDGES], pc_pool_used[WS_EDGES];
} ws_cell;

typedef struct ws_redblock {
    int Cin, Cout, H, W;  /* input side H x W, output H/2 x W/2 */
    float *wa, *dwa, *wb, *dwb, *ws, *dws;
    ws_bn bna, bnb;
    float *relu_a;        /* relu(x) (Cin, B, H, W) */
    float *out_a;         /* BN_a output (Cout, B, H/2, W/2) */
    float *relu_b;        /* relu(out_a) */
    float *pooled;        /* avgpool2(x) (Cin, B, H/2, W/2) */
    float *out;           /* block output */
} ws_redblock;

/* One-shot scoring state (score.c): the batch of ws_net_score_begin and what
 * cell 0's nodes 1 and 2 hold (a code of the ops they were computed with; 0:
 * nothing usable), so consecutive architectures that share them skip them. */
typedef struct ws_score_state {
    int ready, batch_stats, node0_ok;
    int sig[3];
} ws_score_state;

typedef struct ws_relu_masks ws_relu_masks;

struct ws_net {
    ws_net_config cfg;
    ws_tensor_info *tensors;
    size_t n_tensors, cap_tensors;
    size_t n_params, n_buffers;
    float *params, *grads, *buffers, *momentum;
    ws_grad_run *grad_runs;          /* the gradient block's runs (net.c) */
    size_t n_grad_runs;
    int grads_exposed;               /* a writable gradient pointer was handed out
                                        (ws_net_grads, ws_net_find): no run is
                                        known zero from then on */
    float *arena;
    size_t arena_floats;
    size_t arena_large;              /* floats before the small region (net.c) */
    void *arena_map;                 /* what net.c allocated for the arena */
    size_t arena_map_bytes;

    /* stem */
    float *stem_w, *stem_dw;
    ws_bn stem_bn;
    float *x_in;     /* input converted to (Cin, B, H, W) */
    float *stem_out; /* (C, B, H, W) */

    int n_cells;     /* 3N */
    ws_cell *cells;
    ws_redblock red[2];

    /* head */
    int Cf, Hf;      /* final channels and side */
    ws_bn head_bn;
    float *head_bn_out, *head_relu, *gap, *logits, *probs, *dlogits, *dgap;
    float *fc_w, *fc_dw, *fc_b, *fc_db;

    /* scratch (arena) */
    float *scr_a, *scr_b, *scr_c;   /* one max-size activation each */
    float *dact[2];                  /* ping-pong layer gradients */
    float *dnode[3];                 /* cell node gradients (nodes 1,2 + spare) */
    float *drelu[3], *dpool[3];
    float *work;                     /* conv work */
    size_t work_floats;
    double *dot_part;                /* per-channel partial sums (max C) */
    /* partial channels: edge mixture, its gradient, input gradient, relu and
     * pool gradients (Cp x B x H x W at the largest stage each) */
    float *pc_m, *pc_d, *pc_dx, *pc_drelu, *pc_dpool;

    /* the last forward */
    int B, last_train, have_forward;
    int wgrad;                       /* this backward accumulates weight gradients */
    int *labels;                     /* max_batch */
    ws_net_conv_probe probe;         /* ws_net_set_conv_probe */
    void *probe_ctx;
    ws_mix mix;                      /* copy of the mix used */
    int stats_frozen;                /* BN running estimates are not updated (scoring) */
    int score_scratch;               /* cell conv outputs go to scr_b / scr_c (scoring) */
    ws_score_state score;
    ws_relu_masks *rmask;            /* ReLU mask record/replay (relu_mask.c); NULL: none */
};

/* ---- pieces of the forward pass (forward.c), composed by ws_net_forward and
 * by the one-shot scorer (score.c) ---------------------------------------- */

/* Buffers and shortcuts of one cell's forward: nodes 1..3 are written to
 * node[1..3], relu(node j) and avgpool3(node j) to relu[j] and pool[j];
 * live[e] = 0 skips edge e (scoring: its term cannot reach node 3, or is
 * exactly zero); keep[j] = 1: node j (j >= 1) already holds its value, and
 * for every j its relu and pool as the cell's relu_used / pool_used flags
 * say, from the previous call with this plan's buffers.  A node 1 or 2
 * without a live edge in or out is not computed. */
typedef struct ws_cell_plan {
    float *node[4], *relu[3], *pool[3];
    int live[WS_EDGES], keep[4];
} ws_cell_plan;

/* The plan of an ordinary forward: the cell's own buffers, every edge. */
void ws_cell_plan_own_(ws_cell *cell, ws_cell_plan *plan);
/* Input layout conversion and the stem (sets net->B and the labels). */
void ws_net_stem_forward_(ws_net *net, const float *x, const int *labels, int B, int train);
void ws_net_cell_forward_(ws_net *net, ws_cell *cell, const float *x, int train,
                          const ws_cell_plan *plan);
void ws_net_red_forward_(ws_net *net, ws_redblock *r, const float *x, int train);
/* Head from the last cell's output x: logits, then the mean cross-entropy. */
float ws_net_head_forward_(ws_net *net, const float *x, int train, int *correct);
/* ---- ReLUs with mask record/replay (relu_mask.c) ------------------------
 * out = relu(x) of the ReLU whose output buffer is out (the mask's key), and
 * its backward dx += relu'(x) dy; with the masks on, recording or replaying
 * (ws_net_relu_mask_mode) as the mode says.  _on_: the mode is not OFF (the
 * forward then runs no fused ReLU-convolution). */
int ws_net_relu_mask_on_(const ws_net *net);
void ws_net_relu_forward_(ws_net *net, float *out, const float *x, size_t n);
void ws_net_relu_backward_(ws_net *net, const float *out, float *dx, const float *dy,
                           const float *x, size_t n);
void ws_relu_masks_free_(ws_relu_masks *m);
/* ---- test hooks into forward.c's per-edge passes -------------------------
 * (tests/test_supernet.c compares their vector forms with the scalar
 * formulas bit for bit.)  edge_combine: o = (first ? 0 : o) + sum_s c[s]
 * x_s + sum_k (a[k] y_k + b[k]); edge_grad_write: os[s] += cs[s] dy, ok[k] =
 * a[k] dy + b[k] y_k + c0[k]; run_sums: sa = sum a, sax[j] = sum a x_j (nx
 * <= 4); run_sqdev: sum (a - m)^2. */
void ws_edge_combine_(float *o, int first, int ns, const float *const *x, const float *c, int nb,
                      const float *const *y, const float *a, const float *b, size_t M);
void ws_edge_grad_write_(const float *dy, size_t M, int ns, float *const *os, const float *cs,
                         int nk, float *const *ok, const float *const *y, const float *a,
                         const float *b, const float *c0);
void ws_run_sums_n_(const float *a, const float *const *x, int nx, size_t n, double *sa,
                    double *sax);
double ws_run_sqdev_(const float *a, float m, size_t n);
/* Whether gradient run r is known to be all +0.0 (net.c). */
static inline int ws_grad_run_zero_(const ws_net *net, const ws_grad_run *r)
{
    return !net->grads_exposed && r->zero && *r->zero;
}
/* Edges that can influence node 3 from node 0 in architecture a (net.c). */
void ws_arch_live_edges_(const ws_arch *a, int live[WS_EDGES]);

#endif
