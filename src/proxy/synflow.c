/* synflow.c: SynFlow (Tanaka et al. 2020) as zero-cost-nas
 * measures/synflow.py with bn=False: every parameter replaced by its
 * absolute value, batch norm bypassed, double precision, one all-ones input
 * image; R = sum of the logits; score = sum over conv and linear weights of
 * |w * dR/dw|.  The reference keeps the BN of the reduction blocks (its
 * network builds them whatever use_bn says); here every BN is bypassed, as
 * the method's definition (README: the measured effect).
 *
 * A separate, simple path in double: the BN-free network with |w| is linear
 * and positive on a positive input, so every ReLU is the identity (its mask
 * input > 0 is kept anyway).  Batch 1, planes (C, H, W) row-major; the
 * architecture's live edges only (the engine's standalone network). */
#include <math.h>
#include <string.h>

#include "internal.h"

/* ---- double kernels, one image ------------------------------------------------ */

/* out (Co, Ho, Wo) = conv(in (Ci, H, W), w (Co, Ci, K, K)), zero padding pad. */
static void conv_forward(double *out, const double *in, const double *w, int Ci, int H, int W,
                         int Co, int K, int stride, int pad)
{
    int Ho = (H + 2 * pad - K) / stride + 1, Wo = (W + 2 * pad - K) / stride + 1;
    memset(out, 0, (size_t)Co * Ho * Wo * sizeof *out);
    for (int co = 0; co < Co; co++) {
        double *o = out + (size_t)co * Ho * Wo;
        for (int ci = 0; ci < Ci; ci++) {
            const double *x = in + (size_t)ci * H * W;
            for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++) {
                    double wv = w[(((size_t)co * Ci + ci) * K + ky) * K + kx];
                    for (int oy = 0; oy < Ho; oy++) {
                        int iy = oy * stride + ky - pad;
                        if (iy < 0 || iy >= H) continue;
                        const double *xr = x + (size_t)iy * W;
                        double *orow = o + (size_t)oy * Wo;
                        if (stride == 1) {
                            int lo = pad - kx > 0 ? pad - kx : 0;
                            int hi = W + pad - kx < Wo ? W + pad - kx : Wo;
                            const double *xs = xr + kx - pad;
                            for (int ox = lo; ox < hi; ox++) orow[ox] += wv * xs[ox];
                        } else {
                            for (int ox = 0; ox < Wo; ox++) {
                                int ix = ox * stride + kx - pad;
                                if (ix >= 0 && ix < W) orow[ox] += wv * xr[ix];
                            }
                        }
                    }
                }
        }
    }
}

/* din += conv^T(dout), dw += dout (x) in; din may be NULL. */
static void conv_backward(double *din, double *dw, const double *dout, const double *in,
                          const double *w, int Ci, int H, int W, int Co, int K, int stride, int pad)
{
    int Ho = (H + 2 * pad - K) / stride + 1, Wo = (W + 2 * pad - K) / stride + 1;
    for (int co = 0; co < Co; co++) {
        const double *g = dout + (size_t)co * Ho * Wo;
        for (int ci = 0; ci < Ci; ci++) {
            const double *x = in + (size_t)ci * H * W;
            double *dx = din ? din + (size_t)ci * H * W : NULL;
            for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++) {
                    size_t wi = (((size_t)co * Ci + ci) * K + ky) * K + kx;
                    double wv = w[wi], acc = 0.0;
                    for (int oy = 0; oy < Ho; oy++) {
                        int iy = oy * stride + ky - pad;
                        if (iy < 0 || iy >= H) continue;
                        const double *gr = g + (size_t)oy * Wo, *xr = x + (size_t)iy * W;
                        double *dr = dx ? dx + (size_t)iy * W : NULL;
                        if (stride == 1) {
                            int lo = pad - kx > 0 ? pad - kx : 0;
                            int hi = W + pad - kx < Wo ? W + pad - kx : Wo;
                            const double *xs = xr + kx - pad;
                            for (int ox = lo; ox < hi; ox++) acc += gr[ox] * xs[ox];
                            if (dr) {
                                double *ds = dr + kx - pad;
                                for (int ox = lo; ox < hi; ox++) ds[ox] += wv * gr[ox];
                            }
                        } else {
                            for (int ox = 0; ox < Wo; ox++) {
                                int ix = ox * stride + kx - pad;
                                if (ix < 0 || ix >= W) continue;
                                acc += gr[ox] * xr[ix];
                                if (dr) dr[ix] += wv * gr[ox];
                            }
                        }
                    }
                    dw[wi] += acc;
                }
        }
    }
}

/* 3x3 average, stride 1, pad 1, count_include_pad=False; backward adds. */
static void pool3(double *out, const double *in, int C, int H, int W, int backward)
{
    for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int y0 = y > 0 ? y - 1 : 0, y1 = y < H - 1 ? y + 1 : H - 1;
                int x0 = x > 0 ? x - 1 : 0, x1 = x < W - 1 ? x + 1 : W - 1;
                double inv = 1.0 / ((y1 - y0 + 1) * (x1 - x0 + 1));
                const double *p = in + (size_t)c * H * W;
                double *q = out + (size_t)c * H * W;
                if (backward) { /* in = dout, out = din */
                    double g = p[(size_t)y * W + x] * inv;
                    for (int yy = y0; yy <= y1; yy++)
                        for (int xx = x0; xx <= x1; xx++) q[(size_t)yy * W + xx] += g;
                } else {
                    double s = 0.0;
                    for (int yy = y0; yy <= y1; yy++)
                        for (int xx = x0; xx <= x1; xx++) s += p[(size_t)yy * W + xx];
                    q[(size_t)y * W + x] = s * inv;
                }
            }
}

/* 2x2 average, stride 2: (C, H, W) <-> (C, H/2, W/2); backward adds. */
static void pool2(double *small, double *big, int C, int H, int W, int backward)
{
    int h = H / 2, w = W / 2;
    for (int c = 0; c < C; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double *b = big + ((size_t)c * H + 2 * y) * W + 2 * x;
                double *s = small + ((size_t)c * h + y) * w + x;
                if (backward) {
                    double g = 0.25 * *s;
                    b[0] += g, b[1] += g, b[W] += g, b[W + 1] += g;
                } else {
                    *s = 0.25 * (b[0] + b[1] + b[W] + b[W + 1]);
                }
            }
}

/* x * (x > 0) applied to a gradient: g *= (x > 0) (the ReLU's backward). */
static void relu_mask(double *g, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(x[i] > 0.0)) g[i] = 0.0;
}

/* ---- the network ---------------------------------------------------------------- */

typedef struct sf_tensor {
    const float *src; /* the engine's weights */
    double *w, *dw;   /* |w| and dR/dw */
    size_t n;
} sf_tensor;

typedef struct sf_net {
    ws_proxy_scorer *s;
    double *arena;
    size_t used, cap;
    int failed;
} sf_net;

static double *take(sf_net *f, size_t n)
{
    if (f->used + n > f->cap) {
        f->failed = 1;
        return NULL;
    }
    double *p = f->arena + f->used;
    f->used += n;
    memset(p, 0, n * sizeof *p);
    return p;
}

static int tensor(sf_net *f, sf_tensor *t, const char *name)
{
    int shape[4];
    t->src = ws_net_find(f->s->net, name, NULL, shape);
    if (!t->src) return -1;
    t->n = 1;
    for (int d = 0; d < 4; d++)
        if (shape[d]) t->n *= (size_t)shape[d];
    t->w = take(f, t->n);
    t->dw = take(f, t->n);
    if (!t->w) return -1;
    for (size_t i = 0; i < t->n; i++) t->w[i] = fabs((double)t->src[i]);
    return 0;
}

static double tensor_score(const sf_tensor *t)
{
    double s = 0.0;
    for (size_t i = 0; i < t->n; i++) s += fabs(t->w[i] * t->dw[i]);
    return s;
}

typedef struct sf_cell {
    double *node[4], *dnode[4];
    sf_tensor conv[WS_EDGES];
} sf_cell;

typedef struct sf_red {
    sf_tensor a, b, sc;
    double *in, *ya, *yb, *pooled; /* in: block input (kept by the previous cell) */
} sf_red;

/* Doubles needed for the whole double network. */
static size_t sf_size(const ws_proxy_recipe *r, int classes)
{
    size_t C = (size_t)r->C, S = (size_t)r->in_size, total = 0;
    total += 3 * S * S + 2 * C * S * S + 2 * (3 * C * 9); /* input, stem out, tmp; stem w, dw */
    for (int st = 0; st < 3; st++) {
        size_t Cs = C << st, Hs = S >> st, plane = Cs * Hs * Hs;
        total += (size_t)r->N * (7 * plane + 2 * WS_EDGES * Cs * Cs * 9);
        if (st) total += 2 * (Cs * Cs / 2 * 9 + Cs * Cs * 9 + Cs * Cs / 2) + 2 * plane + plane / 2;
    }
    total += 2 * (size_t)classes * 4 * C + 2 * 4 * C; /* fc w, dw; gap, dgap */
    return total + 64;
}

/* One cell: forward (nodes[0] given) or backward (dnode[3] given). */
static void cell_pass(const ws_proxy_scorer *s, sf_cell *c, int Cs, int Hs, double *tmp,
                      int backward)
{
    size_t plane = (size_t)Cs * Hs * Hs;
    const uint8_t *sel = s->mix.sel;
    if (!backward) {
        for (int i = 1; i < 4; i++) {
            memset(c->node[i], 0, plane * sizeof(double));
            for (int e = 0; e < WS_EDGES; e++) {
                if (ws_edge_dst[e] != i || sel[e] == WS_OP_NONE) continue;
                const double *x = c->node[ws_edge_src[e]];
                int op = sel[e];
                if (op == WS_OP_SKIP) {
                    for (size_t q = 0; q < plane; q++) c->node[i][q] += x[q];
                    continue;
                }
                if (op == WS_OP_AVGPOOL)
                    pool3(tmp, x, Cs, Hs, Hs, 0);
                else
                    conv_forward(tmp, x, c->conv[e].w, Cs, Hs, Hs, Cs, op == WS_OP_CONV3X3 ? 3 : 1,
                                 1, op == WS_OP_CONV3X3 ? 1 : 0);
                for (size_t q = 0; q < plane; q++) c->node[i][q] += tmp[q];
            }
        }
        return;
    }
    for (int j = 0; j < 3; j++) memset(c->dnode[j], 0, plane * sizeof(double));
    for (int i = 3; i >= 1; i--)
        for (int e = WS_EDGES - 1; e >= 0; e--) {
            if (ws_edge_dst[e] != i || sel[e] == WS_OP_NONE) continue;
            int j = ws_edge_src[e], op = sel[e];
            if (op == WS_OP_SKIP) {
                for (size_t q = 0; q < plane; q++) c->dnode[j][q] += c->dnode[i][q];
            } else if (op == WS_OP_AVGPOOL) {
                pool3(c->dnode[j], c->dnode[i], Cs, Hs, Hs, 1);
            } else {
                int K = op == WS_OP_CONV3X3 ? 3 : 1;
                memset(tmp, 0, plane * sizeof(double));
                conv_backward(tmp, c->conv[e].dw, c->dnode[i], c->node[j], c->conv[e].w, Cs, Hs,
                              Hs, Cs, K, 1, K / 2);
                relu_mask(tmp, c->node[j], plane);
                for (size_t q = 0; q < plane; q++) c->dnode[j][q] += tmp[q];
            }
        }
}

int proxy_synflow(ws_proxy_scorer *s, double *score, ws_error *err)
{
    const ws_proxy_recipe *r = &s->recipe;
    int C = r->C, S = r->in_size, N = r->N, K = s->classes, Cf = 4 * C, Hf = S / 4;
    size_t cap = sf_size(r, K);
    sf_net f = {.s = s, .arena = proxy_dbuf(s, cap, err), .cap = cap};
    if (!f.arena) return err ? err->code : WS_ENOMEM;
    char name[64];
    sf_tensor stem, fc;
    sf_cell cells[3 * 64];
    sf_red red[2];
    if (3 * N > (int)WS_ARRAY_LEN(cells)) return ws_error_set(err, WS_ERANGE, "synflow: N = %d", N);
    int bad = tensor(&f, &stem, "stem.conv.weight") || tensor(&f, &fc, "head.fc.weight");
    double *x0 = take(&f, 3 * (size_t)S * S), *tmp = take(&f, (size_t)C * S * S);
    double *stem_out = take(&f, (size_t)C * S * S);
    for (int k = 0; !bad && k < 3 * N; k++) {
        int st = k / N, Cs = C << st, Hs = S >> st;
        size_t plane = (size_t)Cs * Hs * Hs;
        sf_cell *c = &cells[k];
        memset(c, 0, sizeof *c);
        for (int i = 1; i < 4; i++) c->node[i] = take(&f, plane);
        for (int j = 0; j < 4; j++) c->dnode[j] = take(&f, plane);
        for (int e = 0; !bad && e < WS_EDGES; e++) {
            int op = s->mix.sel[e];
            if (op != WS_OP_CONV1X1 && op != WS_OP_CONV3X3) continue;
            snprintf(name, sizeof name, "cells.%d.edges.%d.conv%dx%d.weight", k, e,
                     op == WS_OP_CONV3X3 ? 3 : 1, op == WS_OP_CONV3X3 ? 3 : 1);
            bad = tensor(&f, &c->conv[e], name);
        }
    }
    for (int b = 0; !bad && b < 2; b++) {
        int Cs = C << (b + 1), Hs = S >> (b + 1);
        snprintf(name, sizeof name, "red.%d.conv_a.weight", b);
        bad = tensor(&f, &red[b].a, name);
        snprintf(name, sizeof name, "red.%d.conv_b.weight", b);
        bad = bad || tensor(&f, &red[b].b, name);
        snprintf(name, sizeof name, "red.%d.shortcut.weight", b);
        bad = bad || tensor(&f, &red[b].sc, name);
        red[b].ya = take(&f, (size_t)Cs * Hs * Hs);
        red[b].yb = take(&f, (size_t)Cs * Hs * Hs);
        red[b].pooled = take(&f, (size_t)Cs / 2 * Hs * Hs);
    }
    double *gap = take(&f, (size_t)Cf), *dgap = take(&f, (size_t)Cf);
    if (bad || f.failed) return ws_error_set(err, WS_ESTATE, "synflow: network tensors missing");
    for (size_t i = 0; i < 3 * (size_t)S * S; i++) x0[i] = 1.0;

    /* forward */
    conv_forward(stem_out, x0, stem.w, 3, S, S, C, 3, 1, 1);
    double *cur = stem_out;
    for (int k = 0; k < 3 * N; k++) {
        int st = k / N, Cs = C << st, Hs = S >> st;
        if (k && k % N == 0) {
            sf_red *rb = &red[st - 1];
            size_t plane = (size_t)Cs * Hs * Hs;
            rb->in = cur;
            conv_forward(rb->ya, cur, rb->a.w, Cs / 2, 2 * Hs, 2 * Hs, Cs, 3, 2, 1);
            conv_forward(rb->yb, rb->ya, rb->b.w, Cs, Hs, Hs, Cs, 3, 1, 1);
            pool2(rb->pooled, rb->in, Cs / 2, 2 * Hs, 2 * Hs, 0);
            conv_forward(tmp, rb->pooled, rb->sc.w, Cs / 2, Hs, Hs, Cs, 1, 1, 0);
            for (size_t q = 0; q < plane; q++) rb->yb[q] += tmp[q]; /* block output */
            cur = rb->yb;
        }
        cells[k].node[0] = cur;
        cell_pass(s, &cells[k], Cs, Hs, tmp, 0);
        cur = cells[k].node[3];
    }
    for (int c = 0; c < Cf; c++) {
        double a = 0.0;
        for (int q = 0; q < Hf * Hf; q++) a += cur[(size_t)c * Hf * Hf + q];
        gap[c] = a / (Hf * Hf);
    }
    /* backward from dR/dlogits = 1 */
    for (int c = 0; c < Cf; c++) {
        double g = 0.0;
        for (int k = 0; k < K; k++) {
            fc.dw[(size_t)k * Cf + c] += gap[c];
            g += fc.w[(size_t)k * Cf + c];
        }
        dgap[c] = g;
    }
    double *dcur = cells[3 * N - 1].dnode[3];
    for (int c = 0; c < Cf; c++)
        for (int q = 0; q < Hf * Hf; q++)
            dcur[(size_t)c * Hf * Hf + q] = cur[(size_t)c * Hf * Hf + q] > 0.0 ? dgap[c] / (Hf * Hf) : 0.0;
    for (int k = 3 * N - 1; k >= 0; k--) {
        int st = k / N, Cs = C << st, Hs = S >> st;
        size_t plane = (size_t)Cs * Hs * Hs;
        cell_pass(s, &cells[k], Cs, Hs, tmp, 1);
        double *din = k ? cells[k - 1].dnode[3] : tmp;
        if (k && k % N == 0) {
            sf_red *rb = &red[st - 1];
            const double *d = cells[k].dnode[0];
            size_t pin = plane * 2; /* Cs/2 channels at 2Hs x 2Hs */
            memset(din, 0, pin * sizeof *din);
            double *dya = cells[k].dnode[1], *dpool = cells[k].dnode[2], *dxa = tmp;
            memset(dya, 0, plane * sizeof *dya);
            conv_backward(dya, rb->b.dw, d, rb->ya, rb->b.w, Cs, Hs, Hs, Cs, 3, 1, 1);
            relu_mask(dya, rb->ya, plane);
            memset(dxa, 0, pin * sizeof *dxa);
            conv_backward(dxa, rb->a.dw, dya, rb->in, rb->a.w, Cs / 2, 2 * Hs, 2 * Hs, Cs, 3, 2, 1);
            relu_mask(dxa, rb->in, pin);
            for (size_t q = 0; q < pin; q++) din[q] += dxa[q];
            memset(dpool, 0, plane / 2 * sizeof *dpool);
            conv_backward(dpool, rb->sc.dw, d, rb->pooled, rb->sc.w, Cs / 2, Hs, Hs, Cs, 1, 1, 0);
            pool2(dpool, din, Cs / 2, 2 * Hs, 2 * Hs, 1);
        } else if (k) {
            memcpy(din, cells[k].dnode[0], plane * sizeof *din);
        } else {
            conv_backward(NULL, stem.dw, cells[0].dnode[0], x0, stem.w, 3, S, S, C, 3, 1, 1);
        }
    }
    double total = tensor_score(&stem) + tensor_score(&fc);
    for (int k = 0; k < 3 * N; k++)
        for (int e = 0; e < WS_EDGES; e++)
            if (cells[k].conv[e].w) total += tensor_score(&cells[k].conv[e]);
    for (int b = 0; b < 2; b++)
        total += tensor_score(&red[b].a) + tensor_score(&red[b].b) + tensor_score(&red[b].sc);
    *score = total;
    return 0;
}
