/* internal.h: the scorer shared by the proxy files of src/proxy: the
 * network, the minibatches, the shared passes every proxy may ask for (each
 * run at most once per architecture) and the dispatch-table row type. */
#ifndef WSNAS_PROXY_INTERNAL_H
#define WSNAS_PROXY_INTERNAL_H

#include <stddef.h>

#include "wsnas/proxy.h"
#include "wsnas/supernet.h"

/* A conv or linear weight tensor of the network (the layers the reference
 * measures iterate over). */
typedef struct proxy_layer {
    size_t off, numel; /* into the parameter / gradient blocks */
    int fan_in;        /* weight.shape[1:] numel */
} proxy_layer;

struct ws_proxy_scorer {
    ws_proxy_recipe recipe;
    int classes;
    ws_proxy_batch grad, naswot;
    ws_net *net;          /* NULL when only params/flops are scored */
    ws_arch arch;         /* being scored */
    ws_mix mix;           /* SINGLE, its live edges' ops */
    int n_layers;
    proxy_layer *layers;
    size_t n_params;
    float *g_ce;          /* dL/dw of the cross-entropy pass (n_params) */
    float *w_save;        /* weights saved while grasp perturbs them */
    float *scratch;       /* max(grad.n * 3 * S * S, grad.n * classes) floats */
    double fisher;        /* accumulated by the conv probe during the CE pass */
    int have_ce;          /* the CE pass has run for this architecture */
    double *dbuf;         /* synflow / jacob_cov / naswot double scratch */
    size_t dbuf_n;
};

/* The cross-entropy forward/backward on the grad batch (train mode), once
 * per architecture: fills g_ce and the fisher sum; leaves the net's logits
 * of that pass.  Returns the loss through *loss when non-NULL. */
int proxy_pass_ce(ws_proxy_scorer *s, ws_error *err);
/* The recipe's NB201 macro network (for ws_arch_param_count / flops). */
ws_macro proxy_macro(const ws_proxy_recipe *r, int classes);
/* The double scratch, grown to at least n doubles. */
double *proxy_dbuf(ws_proxy_scorer *s, size_t n, ws_error *err);

/* One row of the dispatch table (registry.c). */
typedef int (*proxy_score_fn)(ws_proxy_scorer *s, double *score, ws_error *err);
typedef struct proxy_row {
    int id;
    const char *name;
    int batch;      /* images: 64 grad batch, 128 naswot batch, 1 synflow, 0 none */
    proxy_score_fn score;
    const char *reference;
    const char *definition;
} proxy_row;
const proxy_row *proxy_row_get(int id);

/* The proxies (one file each). */
int proxy_synflow(ws_proxy_scorer *s, double *score, ws_error *err);
int proxy_snip(ws_proxy_scorer *s, double *score, ws_error *err);
int proxy_grad_norm(ws_proxy_scorer *s, double *score, ws_error *err);
int proxy_fisher(ws_proxy_scorer *s, double *score, ws_error *err);
int proxy_grasp(ws_proxy_scorer *s, double *score, ws_error *err);
/* grasp's estimate at a relative step, with the ReLU masks frozen at w
 * (frozen = 1, what proxy_grasp runs) or free (0); grasp.c. */
int proxy_grasp_estimate(ws_proxy_scorer *s, double step, int frozen, double *score,
                         ws_error *err);
int proxy_jacob_cov(ws_proxy_scorer *s, double *score, ws_error *err);
int proxy_naswot(ws_proxy_scorer *s, double *score, ws_error *err);
int proxy_params(ws_proxy_scorer *s, double *score, ws_error *err);
int proxy_flops(ws_proxy_scorer *s, double *score, ws_error *err);

/* The conv probe of the CE pass (fisher.c): adds one convolution's terms. */
void proxy_fisher_probe(void *ctx, int fan_in, const float *x, const float *mean,
                        const float *rstd, const float *dy, int C, int B, int HW);
/* fisher's linear-layer term from the last forward's logits (fisher.c). */
double proxy_fisher_linear(ws_proxy_scorer *s);

/* log |det K| of a symmetric n x n matrix (LU, as numpy's slogdet);
 * -inf when singular (naswot.c). */
double proxy_logdet(double *K, int n);
/* jacob_cov's score of J (n x d rows): eigenvalues of corrcoef(J) (jacob_cov.c);
 * NaN when a row is constant. */
double proxy_jacob_score(const float *J, int n, int d, double *work);
/* naswot's kernel from binary codes: K += c c^T + (1-c)(1-c)^T for one
 * layer's input x (C, B, HW) (naswot.c). */
void proxy_naswot_accumulate(double *K, const float *x, int C, int B, int HW);

#endif
