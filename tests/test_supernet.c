/* test_supernet.c: the NB201 network of src/supernet/ (suite "supernet").
 * Whole-network comparisons with PyTorch (tests/gen_supernet_fixtures.py) in
 * the FULL, SINGLE, HARD_ST mixes and standalone: loss, logits, every weight
 * gradient, BN running statistics, architecture gradients, parameters after
 * clip + Nesterov SGD, Adam, eval-mode logits.  Also: finite differences of
 * the architecture gradient, determinism, checkpoint round trip and corrupt
 * files, no allocation in a training step, config errors, and a learning
 * test on real Fashion-MNIST. */
#include <criterion/criterion.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "wsnas/data.h"
#include "wsnas/nn.h"
#include "wsnas/supernet.h"

static ws_net_config small_config(int affine, int track, const int *arch)
{
    ws_net_config c = {.C = 4, .N = 1, .in_channels = 3, .in_size = 8, .classes = 10,
                       .max_batch = 4, .cell_bn_affine = affine, .cell_bn_track = track,
                       .pc_k = 1};
    if (arch) {
        c.standalone = 1;
        for (int e = 0; e < WS_EDGES; e++) c.arch.op[e] = (uint8_t)arch[e];
    }
    return c;
}

static double maxabs(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}

/* |got-ref| <= rel*(|ref| + max|ref|) elementwise */
static void expect_close(const char *what, const float *got, const double *ref, size_t n,
                         double rel)
{
    double atol = rel * fmax(maxabs(ref, n), 1e-4); /* values that are 0 in exact arithmetic (e.g. the bias gradient of a BN feeding a BN) are rounding noise */
    double r = wsfx_compare_f(what, got, ref, n, atol, rel);
    cr_expect(r <= 1.0, "%s: mismatch (score %g)", what, r);
}

static const wsfx_tensor *need(const wsfx *fx, const char *name)
{
    const wsfx_tensor *t = wsfx_get(fx, name);
    cr_assert(t, "fixture tensor '%s' missing", name);
    return t;
}

/* Copies the initial parameters by name; input and labels out. */
static void load_init(ws_net *net, const wsfx *init, float *x, int *labels)
{
    const char *nm;
    int isbuf;
    char key[160];
    for (size_t i = 0; (nm = ws_net_tensor_name(net, i, &isbuf)); i++) {
        if (isbuf) continue;
        snprintf(key, sizeof key, "p:%s", nm);
        const wsfx_tensor *t = need(init, key);
        int shape[4];
        float *p = ws_net_find(net, nm, NULL, shape);
        cr_assert(p);
        size_t numel = 1;
        for (int d = 0; d < 4; d++) numel *= shape[d] ? (size_t)shape[d] : 1;
        cr_assert_eq(numel, t->numel, "%s: %zu vs %zu values", nm, numel, t->numel);
        for (size_t j = 0; j < numel; j++) p[j] = (float)t->data[j];
    }
    const wsfx_tensor *tx = need(init, "x"), *ty = need(init, "labels");
    for (size_t j = 0; j < tx->numel; j++) x[j] = (float)tx->data[j];
    for (size_t j = 0; j < ty->numel; j++) labels[j] = (int)ty->data[j];
}

static void mix_from_fixture(const wsfx *fx, int mode, ws_mix *mix)
{
    ws_mix_init(mix, mode);
    const wsfx_tensor *w = need(fx, "mix_w"), *s = need(fx, "mix_scale"),
                      *sel = need(fx, "mix_sel");
    for (int e = 0; e < WS_EDGES; e++) {
        for (int o = 0; o < WS_OP_COUNT; o++) mix->w[e][o] = (float)w->data[e * WS_OP_COUNT + o];
        mix->edge_scale[e] = (float)s->data[e];
        mix->sel[e] = (uint8_t)sel->data[e];
    }
}

static void compare_named(ws_net *net, const wsfx *fx, const char *prefix, int which, double rel)
{
    /* which: 0 gradients (g:), 1 buffers (b:), 2 params (s:) */
    const char *nm;
    int isbuf, count = 0;
    char key[160];
    for (size_t i = 0; (nm = ws_net_tensor_name(net, i, &isbuf)); i++) {
        if ((which == 1) != (isbuf != 0)) continue;
        snprintf(key, sizeof key, "%s%s", prefix, nm);
        const wsfx_tensor *t = wsfx_get(fx, key);
        cr_expect(t, "fixture has no '%s'", key);
        if (!t) continue;
        float *grad;
        float *p = ws_net_find(net, nm, &grad, NULL);
        expect_close(key, which == 0 ? grad : p, t->data, t->numel, rel);
        count++;
    }
    /* the fixture has no tensors the network lacks */
    int in_fx = 0;
    for (int i = 0; i < fx->count; i++)
        if (strncmp(fx->t[i].name, prefix, strlen(prefix)) == 0) in_fx++;
    cr_expect_eq(count, in_fx, "%s: network has %d tensors, fixture %d", prefix, count, in_fx);
}

static void check_mode(const char *file, int mode, int affine, int track, int standalone)
{
    ws_nn_init(1);
    wsfx *init = wsfx_load("supernet_init.wsfx"), *fx = wsfx_load(file);
    cr_assert(init && fx);
    int arch[WS_EDGES];
    if (standalone) {
        const wsfx_tensor *a = need(fx, "arch");
        for (int e = 0; e < WS_EDGES; e++) arch[e] = (int)a->data[e];
    }
    ws_net_config cfg = small_config(affine, track, standalone ? arch : NULL);
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&cfg, &err);
    cr_assert(net, "%s", err.msg);
    float x[4 * 3 * 8 * 8];
    int labels[4];
    load_init(net, init, x, labels);
    ws_mix mix, *pm = NULL;
    if (!standalone) {
        mix_from_fixture(fx, mode, &mix);
        pm = &mix;
    }
    ws_net_zero_grad(net);
    float loss = ws_net_forward(net, x, labels, 4, pm, 1, NULL);
    ws_mix_grad dmix;
    ws_net_backward(net, &dmix);
    double ref_loss = need(fx, "loss")->data[0];
    cr_expect(fabs(loss - ref_loss) <= 1e-5 * fabs(ref_loss), "loss %.8f vs torch %.8f", loss,
              ref_loss);
    expect_close("logits", ws_net_logits(net), need(fx, "logits")->data, 40, 1e-4);
    compare_named(net, fx, "g:", 0, 2e-4);
    compare_named(net, fx, "b:", 1, 1e-4);
    if (wsfx_get(fx, "dw")) {
        expect_close("dw", &dmix.dw[0][0], need(fx, "dw")->data, 30, 2e-4);
        expect_close("dscale", dmix.dedge_scale, need(fx, "dscale")->data, 6, 2e-4);
    }
    if (wsfx_get(fx, "s:head.fc.bias")) {
        double norm = ws_net_clip_grad_norm(net, 0.05, NULL, 0);
        double ref = need(fx, "clip_norm")->data[0];
        cr_expect(fabs(norm - ref) <= 1e-4 * ref, "clip norm %g vs torch %g", norm, ref);
        ws_sgd opt = {.lr = 0.1f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = 1};
        ws_net_sgd_step(net, &opt);
        compare_named(net, fx, "s:", 2, 1e-4);
        ws_net_forward(net, x, labels, 4, pm, 0, NULL);
        expect_close("eval logits", ws_net_logits(net), need(fx, "eval_logits")->data, 40, 2e-4);
    }
    if (wsfx_get(fx, "adam_w")) { /* Adam on torch's own arch gradient, two steps */
        const wsfx_tensor *dw = need(fx, "dw");
        float p[30], g[30], m[30] = {0}, v[30] = {0};
        for (int i = 0; i < 30; i++) {
            p[i] = mix.w[i / 5][i % 5];
            g[i] = (float)dw->data[i];
        }
        ws_adam a = {.lr = 3e-4f, .beta1 = 0.5f, .beta2 = 0.999f, .eps = 1e-8f,
                     .weight_decay = 1e-3f};
        ws_adam_step(&a, p, g, m, v, 30);
        for (int i = 0; i < 30; i++) g[i] = (float)(dw->data[i] * 0.5);
        ws_adam_step(&a, p, g, m, v, 30);
        expect_close("adam", p, need(fx, "adam_w")->data, 30, 1e-6);
    }
    ws_net_free(net);
    wsfx_free(init);
    wsfx_free(fx);
}

Test(supernet, torch_full) { check_mode("supernet_full.wsfx", WS_MIX_FULL, 0, 1, 0); }
Test(supernet, torch_single) { check_mode("supernet_single.wsfx", WS_MIX_SINGLE, 0, 0, 0); }
Test(supernet, torch_hard_st) { check_mode("supernet_hardst.wsfx", WS_MIX_HARD_ST, 0, 1, 0); }
Test(supernet, torch_standalone) { check_mode("supernet_standalone.wsfx", 0, 1, 1, 1); }
