/* net.c: the NB201 network's configuration check, its tensor registry (names,
 * shapes, offsets into the flat parameter / gradient / momentum and buffer
 * blocks), the arena of activations sized for max_batch, initialisation and
 * the named-tensor lookups.  The layout is built by one function run twice:
 * pass 0 counts and names, pass 1 (after the blocks exist) sets pointers, so
 * the two can never disagree. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "wsnas/nn.h"

typedef struct layout_ctx {
    ws_net *net;
    int pass;           /* 0: register, 1: assign pointers */
    size_t ti;          /* next tensor index (pass 1) */
    size_t arena_used;  /* floats */
    size_t small_used;  /* floats of the small region (after the large tensors) */
    int failed;
} layout_ctx;

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

static float *reg_tensor(layout_ctx *lc, int is_buffer, float **grad, int d0, int d1, int d2,
                         int d3, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static float *reg_tensor(layout_ctx *lc, int is_buffer, float **grad, int d0, int d1, int d2,
                         int d3, const char *fmt, ...)
{
    ws_net *net = lc->net;
    size_t numel = (size_t)d0 * (d1 ? d1 : 1) * (d2 ? d2 : 1) * (d3 ? d3 : 1);
    if (lc->pass == 0) {
        if (net->n_tensors == net->cap_tensors) {
            size_t cap = net->cap_tensors ? 2 * net->cap_tensors : 64;
            ws_tensor_info *t = realloc(net->tensors, cap * sizeof *t);
            if (!t) {
                lc->failed = 1;
                return NULL;
            }
            net->tensors = t;
            net->cap_tensors = cap;
        }
        ws_tensor_info *t = &net->tensors[net->n_tensors++];
        memset(t, 0, sizeof *t);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->name, sizeof t->name, fmt, ap);
        va_end(ap);
        t->numel = numel;
        t->shape[0] = d0;
        t->shape[1] = d1;
        t->shape[2] = d2;
        t->shape[3] = d3;
        t->is_buffer = is_buffer;
        if (is_buffer) {
            t->off = net->n_buffers;
            net->n_buffers += numel;
        } else {
            t->off = net->n_params;
            net->n_params += numel;
        }
        if (grad) *grad = NULL;
        return NULL;
    }
    ws_tensor_info *t = &net->tensors[lc->ti++];
    if (is_buffer) {
        if (grad) *grad = NULL;
        return net->buffers + t->off;
    }
    if (grad) *grad = net->grads + t->off;
    return net->params + t->off;
}

static float *arena_take(layout_ctx *lc, size_t n)
{
    size_t off = lc->arena_used;
    lc->arena_used += round16(n);
    return lc->pass == 0 ? NULL : lc->net->arena + off;
}

/* Per-channel vectors (BN mean and rstd) go to one region after the large
 * tensors: interleaved with them, each write of a few floats would fault in
 * a whole 2 MB huge page next to a tensor the pass may never touch (one-shot
 * scoring writes every cell BN's mean but no cell BN's xhat). */
static float *arena_take_small(layout_ctx *lc, size_t n)
{
    size_t off = lc->small_used;
    lc->small_used += round16(n);
    return lc->pass == 0 ? NULL : lc->net->arena + lc->net->arena_large + off;
}

/* A BN of C channels over M = max_batch*HW values; affine/track as given. */
static void layout_bn(layout_ctx *lc, ws_bn *bn, int C, size_t M, int affine, int track,
                      const char *prefix)
{
    memset(bn, 0, sizeof *bn);
    if (affine) {
        bn->g = reg_tensor(lc, 0, &bn->dg, C, 0, 0, 0, "%s.weight", prefix);
        bn->b = reg_tensor(lc, 0, &bn->db, C, 0, 0, 0, "%s.bias", prefix);
    }
    if (track) {
        bn->rm = reg_tensor(lc, 1, NULL, C, 0, 0, 0, "%s.running_mean", prefix);
        bn->rv = reg_tensor(lc, 1, NULL, C, 0, 0, 0, "%s.running_var", prefix);
    }
    bn->xhat = arena_take(lc, (size_t)C * M);
    bn->mean = arena_take_small(lc, (size_t)C);
    bn->rstd = arena_take_small(lc, (size_t)C);
}

/* Edges that can influence node 3 from node 0 in architecture a. */
void ws_arch_live_edges_(const ws_arch *a, int live[WS_EDGES])
{
    int from0[4] = {1, 0, 0, 0}, to3[4] = {0, 0, 0, 1};
    for (int e = 0; e < WS_EDGES; e++) /* edges sorted by destination */
        if (a->op[e] != WS_OP_NONE && from0[ws_edge_src[e]]) from0[ws_edge_dst[e]] = 1;
    for (int e = WS_EDGES - 1; e >= 0; e--)
        if (a->op[e] != WS_OP_NONE && to3[ws_edge_dst[e]]) to3[ws_edge_src[e]] = 1;
    for (int e = 0; e < WS_EDGES; e++)
        live[e] = a->op[e] != WS_OP_NONE && from0[ws_edge_src[e]] && to3[ws_edge_dst[e]];
}

static void layout(layout_ctx *lc)
{
    ws_net *net = lc->net;
    const ws_net_config *c = &net->cfg;
    size_t Bm = (size_t)c->max_batch;
    int S = c->in_size;
    char pre[WS_TENSOR_NAME_MAX];

    size_t maxact = (size_t)(c->C > c->in_channels ? c->C : c->in_channels) * Bm * S * S;
    net->x_in = arena_take(lc, (size_t)c->in_channels * Bm * S * S);
    net->stem_w = reg_tensor(lc, 0, &net->stem_dw, c->C, c->in_channels, 3, 3,
                             "stem.conv.weight");
    layout_bn(lc, &net->stem_bn, c->C, Bm * S * S, 1, 1, "stem.bn");
    net->stem_out = arena_take(lc, (size_t)c->C * Bm * S * S);

    int k = 0;
    for (int stage = 0; stage < 3; stage++) {
        int Cs = c->C << stage, Hs = S >> stage;
        size_t M = Bm * Hs * Hs;
        if (stage > 0) {
            ws_redblock *r = &net->red[stage - 1];
            int Cin = Cs / 2, Hin = Hs * 2;
            r->Cin = Cin;
            r->Cout = Cs;
            r->H = r->W = Hin;
            snprintf(pre, sizeof pre, "red.%d.bn_a", stage - 1);
            r->wa = reg_tensor(lc, 0, &r->dwa, Cs, Cin, 3, 3, "red.%d.conv_a.weight", stage - 1);
            layout_bn(lc, &r->bna, Cs, M, 1, 1, pre);
            snprintf(pre, sizeof pre, "red.%d.bn_b", stage - 1);
            r->wb = reg_tensor(lc, 0, &r->dwb, Cs, Cs, 3, 3, "red.%d.conv_b.weight", stage - 1);
            layout_bn(lc, &r->bnb, Cs, M, 1, 1, pre);
            r->ws = reg_tensor(lc, 0, &r->dws, Cs, Cin, 1, 1, "red.%d.shortcut.weight",
                               stage - 1);
            r->relu_a = arena_take(lc, (size_t)Cin * Bm * Hin * Hin);
            r->out_a = arena_take(lc, (size_t)Cs * M);
            r->relu_b = arena_take(lc, (size_t)Cs * M);
            r->pooled = arena_take(lc, (size_t)Cin * M);
            r->out = arena_take(lc, (size_t)Cs * M);
        }
        for (int i = 0; i < c->N; i++, k++) {
            ws_cell *cell = &net->cells[k];
            cell->C = Cs;
            cell->H = cell->W = Hs;
            if (c->standalone)
                ws_arch_live_edges_(&c->arch, cell->live);
            else
                for (int e = 0; e < WS_EDGES; e++) cell->live[e] = 1;
            int Cc = c->pc_k > 1 ? Cs / c->pc_k : Cs; /* channels the ops see */
            cell->Cp = c->pc_k > 1 ? Cc : 0;
            for (int e = 0; e < WS_EDGES; e++) {
                ws_convop *ops[2] = {&cell->conv1[e], &cell->conv3[e]};
                int kind[2] = {WS_OP_CONV1X1, WS_OP_CONV3X3};
                for (int t = 0; t < 2; t++) {
                    ws_convop *op = ops[t];
                    int K = t ? 3 : 1;
                    memset(op, 0, sizeof *op);
                    op->present = c->standalone ? (cell->live[e] && c->arch.op[e] == kind[t])
                                                : 1;
                    if (!op->present) continue;
                    op->w = reg_tensor(lc, 0, &op->dw, Cc, Cc, K, K,
                                       "cells.%d.edges.%d.conv%dx%d.weight", k, e, K, K);
                    snprintf(pre, sizeof pre, "cells.%d.edges.%d.bn%dx%d", k, e, K, K);
                    layout_bn(lc, &op->bn, Cc, M, c->cell_bn_affine, c->cell_bn_track, pre);
                }
                if (c->pc_k > 1) {
                    cell->pc_sel[e] = (int *)arena_take(lc, (size_t)Cc);
                    cell->pc_pos[e] = (int *)arena_take(lc, (size_t)Cs);
                    cell->pc_xbuf[e] = c->pc_random ? arena_take(lc, (size_t)Cc * M) : NULL;
                    cell->pc_relu[e] = arena_take(lc, (size_t)Cc * M);
                    cell->pc_pool[e] = arena_take(lc, (size_t)Cc * M);
                }
            }
            for (int n = 1; n < 4; n++) cell->node[n] = cell->nodebuf[n] = arena_take(lc, (size_t)Cs * M);
            for (int j = 0; j < 3; j++) {
                cell->relu[j] = arena_take(lc, (size_t)Cs * M);
                cell->pool[j] = arena_take(lc, (size_t)Cs * M);
            }
        }
    }
    net->Cf = c->C << 2;
    net->Hf = S >> 2;
    size_t Mf = Bm * net->Hf * net->Hf;
    layout_bn(lc, &net->head_bn, net->Cf, Mf, 1, 1, "head.bn");
    net->fc_w = reg_tensor(lc, 0, &net->fc_dw, c->classes, net->Cf, 0, 0, "head.fc.weight");
    net->fc_b = reg_tensor(lc, 0, &net->fc_db, c->classes, 0, 0, 0, "head.fc.bias");
    net->head_bn_out = arena_take(lc, (size_t)net->Cf * Mf);
    net->head_relu = arena_take(lc, (size_t)net->Cf * Mf);
    net->gap = arena_take(lc, Bm * net->Cf);
    net->logits = arena_take(lc, Bm * c->classes);
    net->probs = arena_take(lc, Bm * c->classes);
    net->dlogits = arena_take(lc, Bm * c->classes);
    net->dgap = arena_take(lc, Bm * net->Cf);

    net->scr_a = arena_take(lc, maxact);
    net->scr_b = arena_take(lc, maxact);
    net->scr_c = arena_take(lc, maxact);
    for (int i = 0; i < 2; i++) net->dact[i] = arena_take(lc, maxact);
    for (int i = 0; i < 3; i++) {
        net->dnode[i] = arena_take(lc, maxact);
        net->drelu[i] = arena_take(lc, maxact);
        net->dpool[i] = arena_take(lc, maxact);
    }
    if (c->pc_k > 1) { /* the largest Cp x B x H x W is stage 1's */
        size_t pcn = (size_t)(c->C / c->pc_k) * Bm * S * S;
        net->pc_m = arena_take(lc, pcn);
        net->pc_d = arena_take(lc, pcn);
        net->pc_dx = arena_take(lc, pcn);
        net->pc_drelu = arena_take(lc, pcn);
        net->pc_dpool = arena_take(lc, pcn);
    }
    /* conv work: the largest over every convolution shape used */
    size_t wmax = ws_conv2d_work_size(c->max_batch, c->in_channels, S, S, c->C, 3, 1, 1);
    for (int stage = 0; stage < 3; stage++) {
        int Cs = c->C << stage, Hs = S >> stage;
        size_t w3 = ws_conv2d_work_size(c->max_batch, Cs, Hs, Hs, Cs, 3, 1, 1);
        size_t w1 = ws_conv2d_work_size(c->max_batch, Cs, Hs, Hs, Cs, 1, 1, 0);
        if (w3 > wmax) wmax = w3;
        if (w1 > wmax) wmax = w1;
        if (c->pc_k > 1) {
            int Cp = Cs / c->pc_k;
            w3 = ws_conv2d_work_size(c->max_batch, Cp, Hs, Hs, Cp, 3, 1, 1);
            w1 = ws_conv2d_work_size(c->max_batch, Cp, Hs, Hs, Cp, 1, 1, 0);
            if (w3 > wmax) wmax = w3;
            if (w1 > wmax) wmax = w1;
        }
        if (stage > 0) {
            size_t wa = ws_conv2d_work_size(c->max_batch, Cs / 2, 2 * Hs, 2 * Hs, Cs, 3, 2, 1);
            size_t ws = ws_conv2d_work_size(c->max_batch, Cs / 2, Hs, Hs, Cs, 1, 1, 0);
            if (wa > wmax) wmax = wa;
            if (ws > wmax) wmax = ws;
        }
    }
    net->work_floats = wmax;
    net->work = arena_take(lc, wmax ? wmax : 1);
    net->dot_part = (double *)arena_take(lc, 10 * (size_t)(c->C << 2) + 4); /* 5 x 4C doubles */
    net->labels = (int *)arena_take(lc, Bm);
}

static int check_config(const ws_net_config *c, ws_error *err)
{
    if (c->C < 1 || c->C > 4096)
        return ws_error_set(err, WS_EINVAL, "network: C = %d, expected 1..4096", c->C);
    if (c->N < 1 || c->N > 64)
        return ws_error_set(err, WS_EINVAL, "network: N = %d, expected 1..64", c->N);
    if (c->in_channels < 1 || c->in_channels > 64)
        return ws_error_set(err, WS_EINVAL, "network: in_channels = %d, expected 1..64",
                            c->in_channels);
    if (c->in_size < 4 || c->in_size > 1024 || c->in_size % 4 != 0)
        return ws_error_set(err, WS_EINVAL,
                            "network: in_size = %d, expected a multiple of 4 in 4..1024",
                            c->in_size);
    if (c->classes < 1 || c->classes > 100000)
        return ws_error_set(err, WS_EINVAL, "network: classes = %d, expected 1..100000",
                            c->classes);
    if (c->max_batch < 1 || c->max_batch > 65536)
        return ws_error_set(err, WS_EINVAL, "network: max_batch = %d, expected 1..65536",
                            c->max_batch);
    if ((c->cell_bn_affine != 0 && c->cell_bn_affine != 1) ||
        (c->cell_bn_track != 0 && c->cell_bn_track != 1) ||
        (c->standalone != 0 && c->standalone != 1))
        return ws_error_set(err, WS_EINVAL,
                            "network: cell_bn_affine, cell_bn_track and standalone must be 0 or 1");
    if (c->standalone)
        for (int e = 0; e < WS_EDGES; e++)
            if (c->arch.op[e] >= WS_OP_COUNT)
                return ws_error_set(err, WS_EINVAL, "network: arch edge %d has op %d, expected 0..%d",
                                    e, c->arch.op[e], WS_OP_COUNT - 1);
    if (c->pc_k < 1 || c->pc_k > 64 || c->C % c->pc_k != 0)
        return ws_error_set(err, WS_EINVAL,
                            "network: pc_k = %d, expected 1..64 dividing C = %d", c->pc_k, c->C);
    if (c->pc_k > 1 && c->standalone)
        return ws_error_set(err, WS_EINVAL,
                            "network: partial channels (pc_k = %d) apply to the supernet only, "
                            "not to a standalone network", c->pc_k);
    if (c->pc_random != 0 && c->pc_random != 1)
        return ws_error_set(err, WS_EINVAL, "network: pc_random = %d, expected 0 or 1",
                            c->pc_random);
    /* sizes stay within int for the kernels */
    double big = (double)(c->C > c->in_channels ? c->C : c->in_channels) * c->max_batch *
                 c->in_size * c->in_size;
    if (big > 1.5e9)
        return ws_error_set(err, WS_ERANGE,
                            "network: C x max_batch x in_size^2 = %.0f floats per activation, "
                            "limit 1.5e9",
                            big);
    return 0;
}

/* Blocks of 2 MB or more are 2 MB-aligned and asked to be backed by
 * transparent huge pages: the activations are 1-16 MB per tensor, walked by
 * 16-64 channel streams at once, and with 4 KB pages every stream misses the
 * TLB each 4 KB (and the first touch costs a page fault per 4 KB). */
#define HUGE_BYTES ((size_t)2 << 20)
static void *alloc_floats(size_t n)
{
    void *p = NULL;
    size_t bytes = (n ? n : 1) * sizeof(float);
    if (posix_memalign(&p, bytes >= HUGE_BYTES ? HUGE_BYTES : 64, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    if (bytes >= HUGE_BYTES) madvise(p, bytes, MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
    memset(p, 0, bytes);
    return p;
}

/* The arena: an anonymous mapping (zero-filled by the kernel, so no page is
 * touched before a pass uses it: one-shot scoring touches a small part of a
 * supernet's arena), 2 MB-aligned, on huge pages.  Under AddressSanitizer a
 * heap block instead, so overruns past its end are reported. */
#if defined(__SANITIZE_ADDRESS__) || !defined(MAP_ANONYMOUS)
static float *arena_alloc(ws_net *net, size_t n)
{
    net->arena_map = alloc_floats(n);
    net->arena_map_bytes = 0;
    return net->arena_map;
}
static void arena_free(ws_net *net) { free(net->arena_map); }
#else
static float *arena_alloc(ws_net *net, size_t n)
{
    size_t bytes = (n ? n : 1) * sizeof(float), len = bytes + HUGE_BYTES;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    net->arena_map = m;
    net->arena_map_bytes = len;
    uintptr_t a = ((uintptr_t)m + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
#ifdef MADV_HUGEPAGE
    madvise((void *)a, bytes, MADV_HUGEPAGE); /* advice only */
#endif
    return (float *)a;
}
static void arena_free(ws_net *net)
{
    if (net->arena_map) munmap(net->arena_map, net->arena_map_bytes);
}
#endif

/* The gradient block as runs (internal.h): each cell convolution's weight
 * gradient its own run, the tensors between them merged; 0 or -1 (memory). */
static int grad_runs_build(ws_net *net)
{
    size_t cap = 2 * (size_t)net->n_cells * WS_EDGES * 2 + 2, n = 0, pos = 0;
    ws_grad_run *r = malloc(cap * sizeof *r);
    if (!r) return -1;
    for (;;) { /* the next cell convolution's gradient at or after pos */
        ws_convop *next = NULL;
        size_t noff = net->n_params;
        for (int k = 0; k < net->n_cells; k++)
            for (int e = 0; e < WS_EDGES; e++) {
                ws_convop *ops[2] = {&net->cells[k].conv1[e], &net->cells[k].conv3[e]};
                for (int t = 0; t < 2; t++) {
                    if (!ops[t]->present) continue;
                    size_t off = (size_t)(ops[t]->dw - net->grads);
                    if (off >= pos && off < noff) noff = off, next = ops[t];
                }
            }
        if (noff > pos) r[n++] = (ws_grad_run){pos, noff - pos, NULL};
        if (!next) break;
        size_t numel = 0;
        for (size_t i = 0; i < net->n_tensors; i++)
            if (!net->tensors[i].is_buffer && net->tensors[i].off == noff) numel = net->tensors[i].numel;
        WS_ASSERT(numel > 0 && n < cap);
        r[n++] = (ws_grad_run){noff, numel, &next->dw_zero};
        pos = noff + numel;
    }
    net->grad_runs = r;
    net->n_grad_runs = n;
    return 0;
}

ws_net *ws_net_alloc(const ws_net_config *cfg, ws_error *err)
{
    if (!cfg) {
        ws_error_set(err, WS_EINVAL, "network: no configuration");
        return NULL;
    }
    if (check_config(cfg, err)) return NULL;
    ws_net *net = calloc(1, sizeof *net);
    if (!net) goto nomem;
    net->cfg = *cfg;
    if (!cfg->standalone) memset(&net->cfg.arch, 0, sizeof net->cfg.arch);
    net->n_cells = 3 * cfg->N;
    net->cells = calloc((size_t)net->n_cells, sizeof *net->cells);
    if (!net->cells) goto nomem;
    layout_ctx lc = {.net = net, .pass = 0};
    layout(&lc);
    if (lc.failed) goto nomem;
    net->arena_large = lc.arena_used;
    net->arena_floats = lc.arena_used + lc.small_used;
    net->params = alloc_floats(net->n_params);
    net->grads = alloc_floats(net->n_params);
    net->momentum = alloc_floats(net->n_params);
    net->buffers = alloc_floats(net->n_buffers);
    net->arena = arena_alloc(net, net->arena_floats);
    if (!net->params || !net->grads || !net->momentum || !net->buffers || !net->arena) goto nomem;
    lc = (layout_ctx){.net = net, .pass = 1};
    layout(&lc);
    WS_ASSERT(lc.ti == net->n_tensors && lc.arena_used + lc.small_used == net->arena_floats);
    if (grad_runs_build(net)) goto nomem;
    /* BN defaults: gamma 1, beta 0, running var 1 */
    for (size_t i = 0; i < net->n_tensors; i++) {
        ws_tensor_info *t = &net->tensors[i];
        size_t L = strlen(t->name);
        if (t->is_buffer && L > 12 && strcmp(t->name + L - 12, ".running_var") == 0)
            for (size_t j = 0; j < t->numel; j++) net->buffers[t->off + j] = 1.0f;
    }
    return net;
nomem:
    ws_net_free(net);
    ws_error_set(err, WS_ENOMEM, "network: out of memory (C=%d N=%d max_batch=%d)", cfg->C,
                 cfg->N, cfg->max_batch);
    return NULL;
}

ws_net *ws_net_clone(const ws_net *src, ws_error *err)
{
    ws_net *net = ws_net_alloc(&src->cfg, err);
    if (!net) return NULL;
    memcpy(net->params, src->params, src->n_params * sizeof *net->params);
    memcpy(net->momentum, src->momentum, src->n_params * sizeof *net->momentum);
    memcpy(net->buffers, src->buffers, src->n_buffers * sizeof *net->buffers);
    return net;
}

void ws_net_free(ws_net *net)
{
    if (!net) return;
    free(net->tensors);
    free(net->grad_runs);
    free(net->cells);
    free(net->params);
    free(net->grads);
    free(net->momentum);
    free(net->buffers);
    arena_free(net);
    ws_relu_masks_free_(net->rmask);
    free(net);
}

const ws_net_config *ws_net_get_config(const ws_net *net) { return &net->cfg; }

void ws_net_init(ws_net *net, ws_pcg32 *rng)
{
    for (size_t i = 0; i < net->n_tensors; i++) {
        const ws_tensor_info *t = &net->tensors[i];
        size_t L = strlen(t->name);
        if (t->is_buffer) {
            int var = L > 12 && strcmp(t->name + L - 12, ".running_var") == 0;
            for (size_t j = 0; j < t->numel; j++) net->buffers[t->off + j] = var ? 1.0f : 0.0f;
            continue;
        }
        float *p = net->params + t->off;
        int is_weight = L > 7 && strcmp(t->name + L - 7, ".weight") == 0;
        int is_bn = strstr(t->name, ".bn") != NULL;
        if (is_bn) { /* gamma 1, beta 0 */
            for (size_t j = 0; j < t->numel; j++) p[j] = is_weight ? 1.0f : 0.0f;
            continue;
        }
        /* conv / linear weight: fan_in = numel / out; fc bias: fan_in of fc */
        size_t fan_in;
        if (is_weight)
            fan_in = t->numel / (size_t)t->shape[0];
        else
            fan_in = (size_t)net->Cf;
        float bound = (float)(1.0 / sqrt((double)fan_in));
        for (size_t j = 0; j < t->numel; j++)
            p[j] = (2.0f * ws_pcg32_float(rng) - 1.0f) * bound;
    }
    memset(net->momentum, 0, net->n_params * sizeof(float));
    memset(net->grads, 0, net->n_params * sizeof(float));
}

float *ws_net_params(ws_net *net, size_t *count)
{
    if (count) *count = net->n_params;
    return net->params;
}
float *ws_net_grads(ws_net *net, size_t *count)
{
    if (count) *count = net->n_params;
    net->grads_exposed = 1; /* the caller may write them */
    return net->grads;
}
float *ws_net_buffers(ws_net *net, size_t *count)
{
    if (count) *count = net->n_buffers;
    return net->buffers;
}
float *ws_net_momentum(ws_net *net, size_t *count)
{
    if (count) *count = net->n_params;
    return net->momentum;
}

float *ws_net_find(ws_net *net, const char *name, float **grad, int shape[4])
{
    for (size_t i = 0; i < net->n_tensors; i++) {
        const ws_tensor_info *t = &net->tensors[i];
        if (strcmp(t->name, name) != 0) continue;
        if (shape) memcpy(shape, t->shape, sizeof t->shape);
        if (t->is_buffer) {
            if (grad) *grad = NULL;
            return net->buffers + t->off;
        }
        if (grad) {
            *grad = net->grads + t->off;
            net->grads_exposed = 1;
        }
        return net->params + t->off;
    }
    if (grad) *grad = NULL;
    return NULL;
}

const char *ws_net_tensor_name(const ws_net *net, size_t i, int *is_buffer)
{
    if (i >= net->n_tensors) return NULL;
    if (is_buffer) *is_buffer = net->tensors[i].is_buffer;
    return net->tensors[i].name;
}

/* Runs known to be zero already (a cell convolution no backward reached
 * since the last call: most of them in a single-path step) are skipped. */
void ws_net_zero_grad(ws_net *net)
{
    if (net->grads_exposed) {
        memset(net->grads, 0, net->n_params * sizeof(float));
        return;
    }
    for (size_t i = 0; i < net->n_grad_runs; i++) {
        const ws_grad_run *r = &net->grad_runs[i];
        if (!ws_grad_run_zero_(net, r)) memset(net->grads + r->off, 0, r->n * sizeof(float));
        if (r->zero) *r->zero = 1;
    }
}

const float *ws_net_logits(const ws_net *net) { return net->logits; }

int ws_net_pc_channels(const ws_net *net, int cell, int e, int *out)
{
    if (net->cfg.pc_k <= 1 || cell < 0 || cell >= net->n_cells || e < 0 || e >= WS_EDGES)
        return 0;
    const ws_cell *c = &net->cells[cell];
    if (!c->pc_ran[e]) return 0;
    memcpy(out, c->pc_sel[e], (size_t)c->Cp * sizeof *out);
    return c->Cp;
}

void ws_mix_init(ws_mix *mix, int mode)
{
    memset(mix, 0, sizeof *mix);
    mix->mode = mode;
    for (int e = 0; e < WS_EDGES; e++) {
        mix->edge_scale[e] = 1.0f;
        mix->sel[e] = WS_OP_SKIP;
        for (int o = 0; o < WS_OP_COUNT; o++) mix->w[e][o] = 1.0f / WS_OP_COUNT;
    }
}
