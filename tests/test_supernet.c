/* test_supernet.c: the NB201 network of src/supernet/ (suite "supernet").
 * Whole-network comparisons with PyTorch (tests/gen_supernet_fixtures.py) in
 * the FULL, SINGLE, HARD_ST mixes and standalone: loss, logits, every weight
 * gradient, BN running statistics, architecture gradients, parameters after
 * clip + Nesterov SGD, Adam, eval-mode logits.  Also: finite differences of
 * the architecture gradient, determinism, checkpoint round trip and corrupt
 * files, no allocation in a training step, config errors, the one-shot
 * scorer against ordinary forwards, and a learning test on real
 * Fashion-MNIST. */
#include <criterion/criterion.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/supernet/internal.h"
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
static void expect_close_floor(const char *what, const float *got, const double *ref, size_t n,
                               double rel, double floor)
{
    double atol = rel * fmax(maxabs(ref, n), floor); /* values that are 0 in exact arithmetic (e.g. the bias gradient of a BN feeding a BN) are rounding noise */
    double r = wsfx_compare_f(what, got, ref, n, atol, rel);
    cr_expect(r <= 1.0, "%s: mismatch (score %g)", what, r);
}

static void expect_close(const char *what, const float *got, const double *ref, size_t n,
                         double rel)
{
    expect_close_floor(what, got, ref, n, rel, 1e-4);
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
        /* running means of BN inputs that are zero-mean in exact arithmetic are
         * float noise of O(1) activations: floor 1e-3 (atol 1e-7) there */
        expect_close_floor(key, which == 0 ? grad : p, t->data, t->numel, rel,
                           which == 1 ? 1e-3 : 1e-4);
        count++;
    }
    /* the fixture has no tensors the network lacks */
    int in_fx = 0;
    for (int i = 0; i < fx->count; i++)
        if (strncmp(fx->t[i].name, prefix, strlen(prefix)) == 0) in_fx++;
    cr_expect_eq(count, in_fx, "%s: network has %d tensors, fixture %d", prefix, count, in_fx);
}

/* pc_k > 1: the fixture holds its own initial values (C = 8) and pc_seed
 * (0: the PC-DARTS code's form, else the random form with that seed). */
static void check_mode(const char *file, int mode, int affine, int track, int standalone)
{
    ws_nn_init(1);
    wsfx *fx = wsfx_load(file);
    cr_assert(fx);
    const wsfx_tensor *tpc = wsfx_get(fx, "pc_k");
    int pc_k = tpc ? (int)tpc->data[0] : 1;
    uint64_t pc_seed = pc_k > 1 ? (uint64_t)need(fx, "pc_seed")->data[0] : 0;
    wsfx *init = wsfx_get(fx, "x") ? fx : wsfx_load("supernet_init.wsfx");
    cr_assert(init);
    int arch[WS_EDGES];
    if (standalone) {
        const wsfx_tensor *a = need(fx, "arch");
        for (int e = 0; e < WS_EDGES; e++) arch[e] = (int)a->data[e];
    }
    ws_net_config cfg = small_config(affine, track, standalone ? arch : NULL);
    if (pc_k > 1) {
        cfg.C = 8;
        cfg.pc_k = pc_k;
        cfg.pc_random = pc_seed != 0;
    }
    if (wsfx_get(fx, "C")) cfg.C = (int)need(fx, "C")->data[0];
    if (wsfx_get(fx, "S")) cfg.in_size = (int)need(fx, "S")->data[0];
    cr_assert(cfg.in_size <= 16);
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&cfg, &err);
    cr_assert(net, "%s", err.msg);
    float x[4 * 3 * 16 * 16];
    int labels[4];
    load_init(net, init, x, labels);
    ws_mix mix, *pm = NULL;
    if (!standalone) {
        mix_from_fixture(fx, mode, &mix);
        mix.pc_seed = pc_seed;
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
    if (init != fx) wsfx_free(init);
    wsfx_free(fx);
}

Test(supernet, torch_full) { check_mode("supernet_full.wsfx", WS_MIX_FULL, 0, 1, 0); }
Test(supernet, torch_single) { check_mode("supernet_single.wsfx", WS_MIX_SINGLE, 0, 0, 0); }
Test(supernet, torch_hard_st) { check_mode("supernet_hardst.wsfx", WS_MIX_HARD_ST, 0, 1, 0); }
Test(supernet, torch_standalone) { check_mode("supernet_standalone.wsfx", 0, 1, 1, 1); }
/* PC-DARTS partial channels: K = 4 first channels + shuffle; K = 2 random */
Test(supernet, torch_pc_shuffle) { check_mode("supernet_pc_shuffle.wsfx", WS_MIX_FULL, 0, 1, 0); }
/* C = 8 on 16x16 inputs: stage-1 and stage-2 3x3 convolutions run Winograd */
Test(supernet, torch_c8s16_winograd) { check_mode("supernet_c8s16.wsfx", WS_MIX_FULL, 0, 1, 0); }
Test(supernet, torch_pc_random) { check_mode("supernet_pc_random.wsfx", WS_MIX_FULL, 0, 0, 0); }

/* ---- architecture gradient by finite differences -------------------------- */

static void random_input(float *x, int *labels, int B, int Cin, int S, int classes,
                         uint64_t seed)
{
    ws_pcg32 r;
    ws_pcg32_seed(&r, seed, 7);
    for (size_t i = 0; i < (size_t)B * Cin * S * S; i++) x[i] = (float)ws_pcg32_normal(&r);
    for (int b = 0; b < B; b++) labels[b] = (int)ws_pcg32_bounded(&r, (uint32_t)classes);
}

/* A small supernet (C = 8 with partial channels) initialised from `seed`
 * (*rng: that stream after the initialisation), and a random batch of 4 from
 * `data_seed` (x holds 4 x 3 x 8 x 8). */
static ws_net *seeded_net(int pc_k, int pc_random, uint64_t seed, uint64_t data_seed,
                          ws_pcg32 *rng, float *x, int *labels)
{
    ws_net_config cfg = small_config(0, 1, NULL);
    if (pc_k > 1) {
        cfg.C = 8;
        cfg.pc_k = pc_k;
        cfg.pc_random = pc_random;
    }
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&cfg, &err);
    cr_assert(net, "%s", err.msg);
    ws_pcg32_stream(rng, seed, WS_STREAM_INIT);
    ws_net_init(net, rng);
    random_input(x, labels, 4, 3, 8, 10, data_seed);
    return net;
}

static void fd_arch(int mode, int pc_k, int pc_random)
{
    ws_nn_init(1);
    float x[4 * 3 * 8 * 8];
    int labels[4];
    ws_pcg32 rng; /* after the initialisation: the mixing weights' draws */
    ws_net *net = seeded_net(pc_k, pc_random, 5, 11, &rng, x, labels);
    ws_mix mix;
    ws_mix_init(&mix, mode);
    mix.pc_seed = 4242;
    for (int e = 0; e < WS_EDGES; e++) {
        double s = 0.0;
        for (int o = 0; o < WS_OP_COUNT; o++) s += mix.w[e][o] = 0.2f + ws_pcg32_float(&rng);
        for (int o = 0; o < WS_OP_COUNT; o++) mix.w[e][o] = (float)(mix.w[e][o] / s);
        mix.sel[e] = (uint8_t)ws_pcg32_bounded(&rng, WS_OP_COUNT);
        mix.edge_scale[e] = 0.7f + 0.6f * ws_pcg32_float(&rng);
        if (mode == WS_MIX_HARD_ST) /* near one-hot as GDAS's h: large bare scalars would
                                       drown the node values in float32 rounding */
            for (int o = 0; o < WS_OP_COUNT; o++)
                mix.w[e][o] = o == mix.sel[e] ? 0.9f : 0.02f * ws_pcg32_float(&rng);
    }
    ws_net_forward(net, x, labels, 4, &mix, 1, NULL);
    ws_mix_grad dm;
    ws_net_backward(net, &dm);
    /* The loss is only piecewise smooth (ReLU kinks, BN over 4 images), so
     * steps must be small; float32 then limits the accuracy of one
     * component.  Each component is checked loosely, the directional
     * derivative along the gradient (a large signal) tightly. */
    double gg = 0.0;
    float dir[WS_EDGES][WS_OP_COUNT + 1];
    for (int e = 0; e < WS_EDGES; e++)
        for (int o = 0; o <= WS_OP_COUNT; o++) {
            double an = o < WS_OP_COUNT ? dm.dw[e][o] : dm.dedge_scale[e];
            dir[e][o] = (float)an;
            gg += an * an;
            float *v = o < WS_OP_COUNT ? &mix.w[e][o] : &mix.edge_scale[e];
            float v0 = *v, h = 2e-4f;
            *v = v0 + h;
            double lp = ws_net_forward(net, x, labels, 4, &mix, 1, NULL);
            *v = v0 - h;
            double lm = ws_net_forward(net, x, labels, 4, &mix, 1, NULL);
            *v = v0;
            double fd = (lp - lm) / ((double)(v0 + h) - (double)(v0 - h));
            cr_expect(fabs(fd - an) <= 5e-3 + 5e-2 * fabs(an), "edge %d op %d: fd %g analytic %g",
                      e, o, fd, an);
        }
    ws_mix base = mix;
    double t = 2e-4 / sqrt(gg), L[2];
    for (int sgn = 0; sgn < 2; sgn++) {
        mix = base;
        for (int e = 0; e < WS_EDGES; e++)
            for (int o = 0; o <= WS_OP_COUNT; o++) {
                float *v = o < WS_OP_COUNT ? &mix.w[e][o] : &mix.edge_scale[e];
                *v += (float)((sgn ? -t : t) * dir[e][o]);
            }
        L[sgn] = ws_net_forward(net, x, labels, 4, &mix, 1, NULL);
    }
    double dd = (L[0] - L[1]) / (2 * t);
    cr_expect(fabs(dd - gg) <= 1e-2 * gg, "directional derivative: fd %g analytic %g", dd, gg);
    ws_net_free(net);
}

Test(supernet, fd_arch_full) { fd_arch(WS_MIX_FULL, 1, 0); }
Test(supernet, fd_arch_hard_st) { fd_arch(WS_MIX_HARD_ST, 1, 0); }
Test(supernet, fd_arch_pc_shuffle) { fd_arch(WS_MIX_FULL, 4, 0); }
Test(supernet, fd_arch_pc_random) { fd_arch(WS_MIX_FULL, 2, 1); }

/* The architecture-only backward gives the same dL/dmix bit for bit and
 * leaves the weight gradients alone. */
static void arch_backward_same(int pc_k, int mode)
{
    ws_nn_init(2);
    float x[4 * 3 * 8 * 8];
    int labels[4];
    ws_pcg32 rng;
    ws_net *net = seeded_net(pc_k, 0, 9, 12, &rng, x, labels);
    ws_mix mix;
    ws_mix_init(&mix, mode);
    for (int e = 0; e < WS_EDGES; e++) {
        mix.sel[e] = (uint8_t)(1 + e % 4);
        mix.edge_scale[e] = 0.5f + 0.1f * (float)e;
        for (int o = 0; o < WS_OP_COUNT; o++)
            mix.w[e][o] = mode == WS_MIX_HARD_ST ? (o == mix.sel[e]) : 0.1f + 0.05f * (float)o;
    }
    ws_mix_grad full, arch;
    ws_net_zero_grad(net);
    ws_net_forward(net, x, labels, 4, &mix, 1, NULL);
    ws_net_backward(net, &full);
    size_t n;
    float *g = ws_net_grads(net, &n);
    double gsum = 0.0;
    for (size_t i = 0; i < n; i++) gsum += fabs(g[i]);
    cr_expect(gsum > 0.0);
    ws_net_zero_grad(net);
    ws_net_forward(net, x, labels, 4, &mix, 1, NULL);
    ws_net_backward_arch(net, &arch);
    cr_expect(!memcmp(&full, &arch, sizeof full), "arch-only backward changed dL/dmix");
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) nonzero += g[i] != 0.0f;
    cr_expect_eq(nonzero, 0, "%zu weight gradients written", nonzero);
    ws_net_free(net);
}

Test(supernet, backward_arch_full) { arch_backward_same(1, WS_MIX_FULL); }
Test(supernet, backward_arch_hard_st) { arch_backward_same(1, WS_MIX_HARD_ST); }
Test(supernet, backward_arch_pc) { arch_backward_same(4, WS_MIX_FULL); }

/* ws_net_zero_grad and ws_net_clip_grad_norm skip the cell convolutions'
 * weight gradients no backward reached since the last zero_grad (most of
 * them in a single-path step): against a network whose gradients were
 * handed out (ws_net_grads: every pass runs over the whole block), the same
 * norms, parameters and gradients bit for bit over FULL, SINGLE (none and
 * skip edges included) and HARD_ST steps, clipped (max norm 0.05) and not. */
static void zero_runs_same(int pc_k, int threads)
{
    ws_nn_init(threads);
    float x[4 * 3 * 8 * 8];
    int labels[4];
    ws_pcg32 rng, rng2;
    ws_net *a = seeded_net(pc_k, 0, 21, 22, &rng, x, labels);
    ws_net *b = seeded_net(pc_k, 0, 21, 22, &rng2, x, labels);
    size_t n;
    (void)ws_net_grads(b, &n); /* b: full passes from here on */
    ws_sgd sgd = {.lr = 0.1f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = 1};
    static const int modes[] = {WS_MIX_FULL, WS_MIX_SINGLE, WS_MIX_SINGLE, WS_MIX_HARD_ST,
                                WS_MIX_SINGLE, WS_MIX_FULL, WS_MIX_SINGLE};
    for (int it = 0; it < (int)(sizeof modes / sizeof modes[0]); it++) {
        ws_mix mix;
        ws_mix_init(&mix, modes[it]);
        for (int e = 0; e < WS_EDGES; e++) {
            mix.sel[e] = (uint8_t)((e + 2 * it) % WS_OP_COUNT);
            for (int o = 0; o < WS_OP_COUNT; o++)
                mix.w[e][o] = modes[it] == WS_MIX_HARD_ST ? (o == mix.sel[e]) : 0.1f + 0.05f * (float)o;
        }
        double max_norm = it % 2 ? 0.05 : 1e9, na, nb;
        ws_net *nets[2] = {a, b};
        double *norms[2] = {&na, &nb};
        for (int k = 0; k < 2; k++) {
            ws_net_zero_grad(nets[k]);
            ws_net_forward(nets[k], x, labels, 4, &mix, 1, NULL);
            ws_net_backward(nets[k], NULL);
            *norms[k] = ws_net_clip_grad_norm(nets[k], max_norm, NULL, 0);
            ws_net_sgd_step(nets[k], &sgd);
        }
        cr_expect(!memcmp(&na, &nb, sizeof na), "step %d: norm %.17g against %.17g", it, na, nb);
        cr_expect(it % 2 == 0 || na > max_norm, "step %d: the clip did not scale (%g)", it, na);
        size_t np;
        float *pa = ws_net_params(a, &np), *pb = ws_net_params(b, &np);
        cr_expect(!memcmp(pa, pb, np * sizeof *pa), "step %d: parameters differ", it);
    }
    float *ga = ws_net_grads(a, &n), *gb = ws_net_grads(b, &n);
    cr_expect(!memcmp(ga, gb, n * sizeof *ga), "gradients differ");
    ws_net_free(a);
    ws_net_free(b);
}

Test(supernet, zero_grad_runs_same_bits) { zero_runs_same(1, 1); }
Test(supernet, zero_grad_runs_same_bits_2_threads) { zero_runs_same(1, 2); }
Test(supernet, zero_grad_runs_same_bits_pc) { zero_runs_same(4, 2); }

/* Single-path mixes skip the nodes that cannot reach node 3 (cell->dead):
 * against the FULL mix with the same ops one-hot (which computes every
 * node), the same loss, logits and weight gradients bit for bit, for
 * architectures with node 2 dead (edge 2->3 none), node 1 dead (1->2 and
 * 1->3 none), both, and a node dead only through node 2.  And a node's one
 * pool edge, whose backward reads dL/d(destination) without the pool
 * gradient buffer when no architecture gradient is formed: the same weight
 * gradients as the FULL mix's backward with dL/dmix (which runs the buffer). */
Test(supernet, dead_nodes_skipped_same_bits)
{
    ws_nn_init(2);
    float x[4 * 3 * 8 * 8];
    int labels[4];
    static const uint8_t sels[][WS_EDGES] = {
        /* e: 0->1 0->2 1->2 0->3 1->3 2->3 */
        {WS_OP_CONV3X3, WS_OP_CONV1X1, WS_OP_AVGPOOL, WS_OP_SKIP, WS_OP_CONV3X3, WS_OP_NONE},
        {WS_OP_CONV1X1, WS_OP_CONV3X3, WS_OP_NONE, WS_OP_CONV1X1, WS_OP_NONE, WS_OP_SKIP},
        {WS_OP_CONV3X3, WS_OP_CONV3X3, WS_OP_NONE, WS_OP_CONV3X3, WS_OP_NONE, WS_OP_NONE},
        {WS_OP_SKIP, WS_OP_AVGPOOL, WS_OP_CONV3X3, WS_OP_CONV1X1, WS_OP_NONE, WS_OP_NONE},
    };
    static const int dead1[] = {0, 1, 1, 1}, dead2[] = {1, 0, 1, 1};
    ws_net_config cfg = small_config(0, 0, NULL); /* search cells: no running stats */
    cfg.C = 16; /* Winograd and the 1x1 kernels at 8x8 and 4x4 */
    random_input(x, labels, 4, 3, 8, 10, 32);
    for (int a = 0; a < (int)(sizeof sels / sizeof sels[0]); a++) {
        ws_error err = {0};
        ws_net *ns = ws_net_alloc(&cfg, &err), *nf = ws_net_alloc(&cfg, &err);
        ws_net *na = ws_net_alloc(&cfg, &err);
        cr_assert(ns && nf && na, "%s", err.msg);
        ws_pcg32 r1, r2, r3;
        ws_pcg32_stream(&r1, 31, WS_STREAM_INIT);
        ws_pcg32_stream(&r2, 31, WS_STREAM_INIT);
        ws_pcg32_stream(&r3, 31, WS_STREAM_INIT);
        ws_net_init(ns, &r1);
        ws_net_init(nf, &r2);
        ws_net_init(na, &r3);
        ws_mix ms, mf;
        ws_mix_init(&ms, WS_MIX_SINGLE);
        ws_mix_init(&mf, WS_MIX_FULL);
        for (int e = 0; e < WS_EDGES; e++) {
            ms.sel[e] = sels[a][e];
            for (int o = 0; o < WS_OP_COUNT; o++) mf.w[e][o] = o == sels[a][e] ? 1.0f : 0.0f;
        }
        ws_net_zero_grad(ns);
        ws_net_zero_grad(nf);
        float ls = ws_net_forward(ns, x, labels, 4, &ms, 1, NULL);
        float lf = ws_net_forward(nf, x, labels, 4, &mf, 1, NULL);
        cr_expect(!memcmp(&ls, &lf, sizeof ls), "arch %d: loss %.9g against %.9g", a, ls, lf);
        cr_expect(ns->cells[0].dead[1] == dead1[a] && ns->cells[0].dead[2] == dead2[a],
                  "arch %d: dead nodes %d %d", a, ns->cells[0].dead[1], ns->cells[0].dead[2]);
        cr_expect(!memcmp(ws_net_logits(ns), ws_net_logits(nf), 4 * 10 * sizeof(float)),
                  "arch %d: logits differ", a);
        ws_net_backward(ns, NULL);
        ws_net_backward(nf, NULL);
        ws_mix_grad dm;
        ws_net_zero_grad(na);
        ws_net_forward(na, x, labels, 4, &mf, 1, NULL);
        ws_net_backward(na, &dm);
        size_t n;
        float *gs = ws_net_grads(ns, &n), *gf = ws_net_grads(nf, &n), *ga = ws_net_grads(na, &n);
        cr_expect(!memcmp(gs, gf, n * sizeof *gs), "arch %d: gradients differ", a);
        cr_expect(!memcmp(gs, ga, n * sizeof *gs), "arch %d: gradients differ from the arch backward's", a);
        ws_net_free(ns);
        ws_net_free(nf);
        ws_net_free(na);
    }
}

/* Random partial channels: each draw is Cp distinct ascending channels, and
 * every channel is drawn equally often (chi-square at a fixed seed), also
 * for the pairs the conv ops would mix. */
Test(supernet, pc_random_sampling_uniform)
{
    ws_nn_init(1);
    ws_net_config cfg = small_config(0, 0, NULL);
    cfg.C = 8;
    cfg.pc_k = 4;
    cfg.pc_random = 1;
    cfg.max_batch = 1;
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&cfg, &err);
    cr_assert(net, "%s", err.msg);
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 3, WS_STREAM_INIT);
    ws_net_init(net, &rng);
    float x[3 * 8 * 8];
    int labels[1];
    random_input(x, labels, 1, 3, 8, 10, 13);
    ws_mix mix;
    ws_mix_init(&mix, WS_MIX_FULL);
    double count[8] = {0}, pair[28] = {0};
    int draws = 0, sel[64];
    for (int it = 0; it < 300; it++) {
        mix.pc_seed = 1000 + (uint64_t)it;
        ws_net_forward(net, x, labels, 1, &mix, 1, NULL);
        for (int e = 0; e < WS_EDGES; e++) { /* cell 0: C = 8, Cp = 2 */
            int n = ws_net_pc_channels(net, 0, e, sel);
            cr_assert_eq(n, 2);
            cr_assert(sel[0] >= 0 && sel[0] < sel[1] && sel[1] < 8, "draw %d %d", sel[0], sel[1]);
            count[sel[0]]++;
            count[sel[1]]++;
            pair[sel[1] * (sel[1] - 1) / 2 + sel[0]]++;
            draws++;
        }
        int n2 = ws_net_pc_channels(net, 1, 0, sel); /* cell 1: C = 16, Cp = 4 */
        cr_assert_eq(n2, 4);
        for (int i = 1; i < 4; i++) cr_assert(sel[i - 1] < sel[i] && sel[i] < 16);
    }
    double chi = 0.0, chp = 0.0, ec = 2.0 * draws / 8, ep = draws / 28.0;
    for (int c = 0; c < 8; c++) chi += (count[c] - ec) * (count[c] - ec) / ec;
    for (int p = 0; p < 28; p++) chp += (pair[p] - ep) * (pair[p] - ep) / ep;
    /* 0.1% critical values: chi2(7) 24.32, chi2(27) 55.48 (scipy.stats.chi2.ppf) */
    cr_expect(chi < 24.32, "channel counts chi2 = %g (7 dof)", chi);
    cr_expect(chp < 55.48, "pair counts chi2 = %g (27 dof)", chp);
    ws_net_free(net);
}

/* ---- determinism, checkpoint, allocation ------------------------------------ */

static ws_net *train_steps(const ws_net_config *cfg, int steps, int skip_init, ws_net *reuse,
                           int first_step)
{
    ws_error err = {0};
    ws_net *net = reuse ? reuse : ws_net_alloc(cfg, &err);
    cr_assert(net, "%s", err.msg);
    if (!skip_init) {
        ws_pcg32 rng;
        ws_pcg32_stream(&rng, 1, WS_STREAM_INIT);
        ws_net_init(net, &rng);
    }
    int B = cfg->max_batch, n = B * cfg->in_channels * cfg->in_size * cfg->in_size;
    float *x = malloc((size_t)n * sizeof *x);
    int *labels = malloc((size_t)B * sizeof *labels);
    ws_mix mix;
    ws_mix_init(&mix, WS_MIX_FULL);
    ws_sgd opt = {.lr = 0.05f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = 1};
    for (int s = first_step; s < first_step + steps; s++) {
        random_input(x, labels, B, cfg->in_channels, cfg->in_size, cfg->classes, 100 + s);
        ws_net_zero_grad(net);
        ws_net_forward(net, x, labels, B, cfg->standalone ? NULL : &mix, 1, NULL);
        ws_mix_grad dm;
        ws_net_backward(net, &dm);
        ws_net_clip_grad_norm(net, 5.0, &dm.dw[0][0], 30);
        ws_net_sgd_step(net, &opt);
    }
    free(x);
    free(labels);
    return net;
}

static int same_blocks(ws_net *a, ws_net *b)
{
    size_t n1, n2, m1, m2;
    float *pa = ws_net_params(a, &n1), *pb = ws_net_params(b, &n2);
    float *ba = ws_net_buffers(a, &m1), *bb = ws_net_buffers(b, &m2);
    float *ma = ws_net_momentum(a, NULL), *mb = ws_net_momentum(b, NULL);
    return n1 == n2 && m1 == m2 && !memcmp(pa, pb, n1 * 4) && !memcmp(ba, bb, m1 * 4) &&
           !memcmp(ma, mb, n1 * 4);
}

/* Two identical 3-step runs at 2 threads end with the same bits. */
static void expect_deterministic(const ws_net_config *cfg, const char *what)
{
    ws_nn_init(2);
    ws_net *a = train_steps(cfg, 3, 0, NULL, 0), *b = train_steps(cfg, 3, 0, NULL, 0);
    cr_expect(same_blocks(a, b), "two identical %s runs differ", what);
    ws_net_free(a);
    ws_net_free(b);
}

Test(supernet, deterministic_pc)
{
    ws_net_config cfg = small_config(0, 1, NULL);
    cfg.C = 8;
    cfg.pc_k = 2;
    cfg.pc_random = 1;
    expect_deterministic(&cfg, "partial-channel");
}

Test(supernet, deterministic)
{
    ws_net_config cfg = small_config(0, 1, NULL);
    cfg.C = 6;
    cfg.in_size = 12;
    cfg.max_batch = 8;
    expect_deterministic(&cfg, "full-mix");
}

/* ---- one-shot scorer -------------------------------------------------------- */
typedef struct rank_idx {
    int rank, index;
} rank_idx;
static int rank_idx_cmp(const void *a, const void *b)
{
    const rank_idx *x = a, *y = b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* ws_net_score_arch against ws_net_forward (SINGLE mix) on every isomorphism
 * class in product-rank order (so the first cell's nodes are reused as in
 * wsnas eval): the same loss, hits and logits bit for bit, with batch
 * statistics and with (perturbed) running statistics, and the BN buffers
 * untouched.  C = 4 on 8x8 inputs runs the direct 3x3 kernels; N = 3 cells
 * per stage exercise the scorer's alternating node-3 buffers.  With n_max
 * below 6,466: a random sample of n_max classes in random order. */
static void score_every_class(int threads, int track, int n_max, int N)
{
    ws_nn_init(threads);
    ws_net_config cfg = small_config(0, track, NULL);
    cfg.N = N;
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&cfg, &err);
    ws_space *sp = ws_space_alloc();
    cr_assert(net && sp, "%s", err.msg);
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 11, WS_STREAM_INIT);
    ws_net_init(net, &rng);
    size_t nb;
    float *buf = ws_net_buffers(net, &nb);
    for (size_t i = 0; i < nb; i++) /* means near 0, variances near 1 */
        buf[i] = i % 2 ? 0.5f + (float)ws_pcg32_double(&rng) : 0.3f * (float)ws_pcg32_normal(&rng);
    float *saved = malloc(nb * sizeof *saved);
    static float x[4 * 3 * 64];
    int y[4];
    for (int i = 0; i < 4 * 3 * 64; i++) x[i] = (float)ws_pcg32_normal(&rng);
    for (int i = 0; i < 4; i++) y[i] = (int)ws_pcg32_bounded(&rng, 10);
    memcpy(saved, buf, nb * sizeof *buf);
    static rank_idx ord[WS_ARCH_COUNT];
    int n = 0;
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        if (ws_space_iso_class(sp, i) != i) continue;
        ws_arch a = ws_space_arch(sp, i);
        ord[n++] = (rank_idx){ws_arch_product_rank(&a), i};
    }
    cr_assert_eq(n, WS_ISO_CLASSES);
    qsort(ord, (size_t)n, sizeof *ord, rank_idx_cmp);
    if (n > n_max) { /* a random sample in random order: other reuse patterns */
        for (int i = 0; i < n_max; i++) {
            int j = i + (int)ws_pcg32_bounded(&rng, (uint32_t)(n - i));
            rank_idx t = ord[i];
            ord[i] = ord[j];
            ord[j] = t;
        }
        n = n_max;
    }
    for (int bs = 1; bs >= 0; bs--) {
        int bad = 0;
        for (int k = 0; k < n; k += 64) { /* blocks: forwards, then the scorer on them */
            int m = n - k < 64 ? n - k : 64, hits[64];
            float loss[64], logits[64][40];
            for (int i = 0; i < m; i++) {
                ws_arch a = ws_space_arch(sp, ord[k + i].index);
                ws_mix mix;
                ws_mix_init(&mix, WS_MIX_SINGLE);
                memcpy(mix.sel, a.op, sizeof mix.sel);
                loss[i] = ws_net_forward(net, x, y, 4, &mix, bs, &hits[i]);
                memcpy(logits[i], ws_net_logits(net), sizeof logits[i]);
                memcpy(buf, saved, nb * sizeof *buf);
            }
            ws_net_score_begin(net, x, y, 4, bs);
            for (int i = 0; i < m; i++) {
                ws_arch a = ws_space_arch(sp, ord[k + i].index);
                int c = -1;
                float l = ws_net_score_arch(net, &a, &c);
                int same = l == loss[i] && c == hits[i] &&
                           !memcmp(ws_net_logits(net), logits[i], sizeof logits[i]);
                if (!same && bad++ < 5)
                    cr_expect(0, "threads %d track %d batch_stats %d: architecture %d: loss %.9g "
                                 "vs %.9g, hits %d vs %d", threads, track, bs, ord[k + i].index,
                              l, loss[i], c, hits[i]);
            }
        }
        cr_expect_eq(bad, 0, "batch_stats %d: %d classes differ", bs, bad);
        cr_expect_arr_eq(buf, saved, nb * sizeof *buf, "the scorer moved BN buffers");
    }
    free(saved);
    ws_space_free(sp);
    ws_net_free(net);
}

Test(supernet, score_arch_equals_forward_every_class) { score_every_class(1, 1, WS_ISO_CLASSES, 2); }
Test(supernet, score_arch_equals_forward_2_threads) { score_every_class(2, 0, 700, 3); }
Test(supernet, score_arch_equals_forward_n4) { score_every_class(1, 1, 500, 4); }

static char *tmp_path(const char *name)
{
    const char *d = wsfx_tmp_dir();
    static char buf[4][512];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 512, "%s/supernet_%d_%s", d ? d : "/tmp", (int)getpid(), name);
    return p;
}

Test(supernet, checkpoint_resume_bitwise)
{
    ws_nn_init(1);
    ws_net_config cfg = small_config(0, 1, NULL);
    ws_net *ref = train_steps(&cfg, 4, 0, NULL, 0);
    ws_net *a = train_steps(&cfg, 2, 0, NULL, 0);
    ws_ckpt *ck = ws_ckpt_alloc();
    ws_error err = {0};
    cr_assert_eq(ws_net_save(a, ck, &err), 0, "%s", err.msg);
    uint64_t counter = 2;
    cr_assert_eq(ws_ckpt_put(ck, "step", &counter, sizeof counter, &err), 0);
    const char *path = tmp_path("a.ckpt");
    cr_assert_eq(ws_ckpt_write(ck, path, &err), 0, "%s", err.msg);
    ws_ckpt_free(ck);
    ws_net_free(a);

    ws_net *b = ws_net_alloc(&cfg, &err);
    ws_ckpt *ck2 = ws_ckpt_alloc();
    cr_assert_eq(ws_ckpt_read(ck2, path, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_net_load(b, ck2, &err), 0, "%s", err.msg);
    uint64_t got = 0;
    cr_assert_eq(ws_ckpt_get(ck2, "step", &got, sizeof got, &err), 0);
    cr_expect_eq(got, 2);
    cr_expect_eq(ws_ckpt_get(ck2, "step", &got, 4, &err), WS_EFORMAT);
    cr_expect_eq(ws_ckpt_get(ck2, "nothing", &got, 8, &err), WS_ENOTFOUND);
    train_steps(&cfg, 2, 1, b, 2);
    cr_expect(same_blocks(ref, b), "resumed run differs from the uninterrupted one");

    /* a network of another shape refuses the checkpoint */
    ws_net_config other = cfg;
    other.C = 5;
    ws_net *c = ws_net_alloc(&other, &err);
    cr_expect_eq(ws_net_load(c, ck2, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "C = 4"), "%s", err.msg);
    ws_net_free(c);
    ws_ckpt_free(ck2);
    ws_net_free(b);
    ws_net_free(ref);
    remove(path);
}

static long file_size(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

Test(supernet, checkpoint_corrupt)
{
    ws_error err = {0};
    ws_ckpt *ck = ws_ckpt_alloc();
    float data[100];
    for (int i = 0; i < 100; i++) data[i] = (float)i;
    ws_ckpt_put(ck, "a", data, sizeof data, &err);
    ws_ckpt_put(ck, "bb", data, 40, &err);
    const char *path = tmp_path("c.ckpt"), *bad = tmp_path("bad.ckpt");
    cr_assert_eq(ws_ckpt_write(ck, path, &err), 0, "%s", err.msg);
    ws_ckpt_free(ck);
    long n = file_size(path);
    unsigned char *buf = malloc((size_t)n + 8);
    FILE *f = fopen(path, "rb");
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    /* every truncation and every single-byte flip is rejected with a message */
    int rejected = 0, total = 0;
    for (long cut = 0; cut < n; cut += 7) {
        f = fopen(bad, "wb");
        fwrite(buf, 1, (size_t)cut, f);
        fclose(f);
        ws_ckpt *r = ws_ckpt_alloc();
        err.msg[0] = 0;
        int rc = ws_ckpt_read(r, bad, &err);
        total++;
        if (rc == WS_EFORMAT && strstr(err.msg, bad)) rejected++;
        ws_ckpt_free(r);
    }
    for (long pos = 0; pos < n; pos += 3) {
        buf[pos] ^= 0x10;
        f = fopen(bad, "wb");
        fwrite(buf, 1, (size_t)n, f);
        fclose(f);
        buf[pos] ^= 0x10;
        ws_ckpt *r = ws_ckpt_alloc();
        int rc = ws_ckpt_read(r, bad, &err);
        total++;
        if (rc == WS_EFORMAT) rejected++;
        ws_ckpt_free(r);
    }
    cr_expect_eq(rejected, total, "%d of %d damaged files accepted", total - rejected, total);
    /* trailing bytes */
    f = fopen(bad, "wb");
    fwrite(buf, 1, (size_t)n, f);
    fwrite("x", 1, 1, f);
    fclose(f);
    ws_ckpt *r = ws_ckpt_alloc();
    cr_expect_eq(ws_ckpt_read(r, bad, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "trailing"), "%s", err.msg);
    /* missing file, and the intact one */
    cr_expect_eq(ws_ckpt_read(r, tmp_path("absent.ckpt"), &err), WS_EIO);
    cr_expect_eq(ws_ckpt_read(r, path, &err), 0, "%s", err.msg);
    float back[100];
    cr_expect_eq(ws_ckpt_get(r, "a", back, sizeof back, &err), 0);
    cr_expect(!memcmp(back, data, sizeof back));
    /* unwritable destination: error, no file */
    cr_expect_eq(ws_ckpt_write(r, "/nonexistent-dir/x.ckpt", &err), WS_EIO);
    ws_ckpt_free(r);
    free(buf);
    remove(path);
    remove(bad);
}

Test(supernet, no_allocation_in_step)
{
    ws_nn_init(2);
    ws_net_config cfg = small_config(0, 1, NULL);
    ws_net *net = train_steps(&cfg, 2, 0, NULL, 0); /* warm up (threads, BLAS buffers) */
    struct mallinfo2 m0 = mallinfo2();
    train_steps(&cfg, 3, 1, net, 2); /* its two mallocs for x/labels are freed */
    struct mallinfo2 m1 = mallinfo2();
    cr_expect_eq(m0.uordblks, m1.uordblks, "heap in use changed: %zu -> %zu", m0.uordblks,
                 m1.uordblks);
    ws_net_free(net);
}

Test(supernet, config_errors)
{
    ws_error err = {0};
    ws_net_config c = small_config(0, 1, NULL);
    c.pc_k = 3; /* must divide C = 4 */
    cr_expect_null(ws_net_alloc(&c, &err));
    cr_expect(strstr(err.msg, "pc_k = 3"), "%s", err.msg);
    int arch3[WS_EDGES] = {3, 3, 3, 3, 3, 3};
    c = small_config(0, 1, arch3);
    c.pc_k = 2; /* partial channels are a supernet feature */
    cr_expect_null(ws_net_alloc(&c, &err));
    cr_expect(strstr(err.msg, "standalone"), "%s", err.msg);
    c = small_config(0, 1, NULL);
    c.pc_k = 2;
    c.pc_random = 2;
    cr_expect_null(ws_net_alloc(&c, &err));
    cr_expect(strstr(err.msg, "pc_random"), "%s", err.msg);
    c = small_config(0, 1, NULL);
    c.in_size = 10;
    cr_expect_null(ws_net_alloc(&c, &err));
    cr_expect(strstr(err.msg, "in_size = 10"), "%s", err.msg);
    c = small_config(0, 1, NULL);
    c.max_batch = 0;
    cr_expect_null(ws_net_alloc(&c, &err));
    cr_expect_eq(err.code, WS_EINVAL);
    c = small_config(2, 1, NULL);
    cr_expect_null(ws_net_alloc(&c, &err));
    int arch[6] = {0, 3, 2, 1, 7, 2};
    c = small_config(1, 1, arch);
    cr_expect_null(ws_net_alloc(&c, &err));
    cr_expect(strstr(err.msg, "edge 4"), "%s", err.msg);
}

/* Parameter counts: supernet and standalone agree with ws_arch_param_count
 * (standalone prunes dead edges, so compare an all-live architecture). */
Test(supernet, param_counts)
{
    ws_error err = {0};
    ws_macro m = {.C = 16, .N = 5, .in_channels = 3, .in_size = 32, .classes = 10,
                  .cell_bn_affine = 0, .conv_bias = 0};
    ws_net_config c = {.C = 16, .N = 5, .in_channels = 3, .in_size = 32, .classes = 10,
                       .max_batch = 1, .cell_bn_track = 1, .pc_k = 1};
    ws_net *net = ws_net_alloc(&c, &err);
    cr_assert(net, "%s", err.msg);
    size_t n;
    ws_net_params(net, &n);
    cr_expect_eq((long long)n, 1686106LL); /* methods.md 1.1 */
    cr_expect_eq((long long)n, (long long)ws_arch_param_count(NULL, &m));
    ws_net_free(net);
    ws_arch a;
    cr_assert_eq(ws_arch_parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|"
                               "nor_conv_3x3~1|skip_connect~2|",
                               &a, &err),
                 0);
    c.standalone = 1;
    c.arch = a;
    c.cell_bn_affine = 1;
    m.cell_bn_affine = 1;
    net = ws_net_alloc(&c, &err);
    ws_net_params(net, &n);
    cr_expect_eq((long long)n, (long long)ws_arch_param_count(&a, &m));
    cr_expect_eq((long long)n, 802426LL); /* README: wsnas arch */
    ws_net_free(net);
}

/* ---- it learns: a small standalone network on real Fashion-MNIST ------------ */

/* 28x28 u8 -> zero pad to 32x32 -> 2x2 mean -> 16x16, normalised. */
static void fmnist_16(const ws_dataset *d, int i, float *out)
{
    const uint8_t *px = d->pixels + (size_t)i * 28 * 28;
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) {
            float s = 0.0f;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int yy = 2 * y + dy - 2, xx = 2 * x + dx - 2;
                    if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28) s += px[yy * 28 + xx];
                }
            out[y * 16 + x] = (s / (4.0f * 255.0f) - 0.286f) / 0.353f;
        }
}

Test(supernet, learns_fashion_mnist)
{
    ws_error err = {0};
    ws_dataset *train = NULL, *test = NULL;
    if (ws_dataset_load_fashion_mnist(NULL, 1, &train, &err) != 0)
        cr_skip_test("Fashion-MNIST not available (%s)", err.msg);
    cr_assert_eq(ws_dataset_load_fashion_mnist(NULL, 0, &test, &err), 0, "%s", err.msg);
    ws_nn_init(1);
    ws_arch a;
    cr_assert_eq(ws_arch_parse("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|"
                               "avg_pool_3x3~1|nor_conv_3x3~2|",
                               &a, &err),
                 0);
    enum { NTRAIN = 2048, NTEST = 1000, B = 32, STEPS = 256 };
    ws_net_config cfg = {.C = 8, .N = 1, .in_channels = 1, .in_size = 16, .classes = 10,
                         .max_batch = B, .cell_bn_affine = 1, .cell_bn_track = 1,
                         .standalone = 1, .arch = a, .pc_k = 1};
    ws_net *net = ws_net_alloc(&cfg, &err);
    cr_assert(net, "%s", err.msg);
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 3, WS_STREAM_INIT);
    ws_net_init(net, &rng);
    float *xs = malloc((size_t)NTRAIN * 256 * sizeof *xs), *xt = malloc((size_t)NTEST * 256 * 4);
    for (int i = 0; i < NTRAIN; i++) fmnist_16(train, i, xs + (size_t)i * 256);
    for (int i = 0; i < NTEST; i++) fmnist_16(test, i, xt + (size_t)i * 256);
    ws_pcg32 order;
    ws_pcg32_stream(&order, 3, WS_STREAM_DATA_ORDER);
    uint32_t perm[NTRAIN];
    for (int i = 0; i < NTRAIN; i++) perm[i] = (uint32_t)i;
    float xb[B * 256];
    int yb[B];
    for (int s = 0; s < STEPS; s++) {
        int off = (s * B) % NTRAIN;
        if (off == 0) ws_pcg32_shuffle_u32(&order, perm, NTRAIN);
        for (int b = 0; b < B; b++) {
            memcpy(xb + b * 256, xs + (size_t)perm[off + b] * 256, 256 * sizeof(float));
            yb[b] = train->labels[perm[off + b]];
        }
        ws_sgd opt = {.lr = (float)ws_cosine_lr(0.1, 0.001, s, STEPS), .momentum = 0.9f,
                      .weight_decay = 5e-4f, .nesterov = 1};
        ws_net_zero_grad(net);
        ws_net_forward(net, xb, yb, B, NULL, 1, NULL);
        ws_net_backward(net, NULL);
        ws_net_clip_grad_norm(net, 5.0, NULL, 0);
        ws_net_sgd_step(net, &opt);
    }
    int hits = 0;
    for (int i = 0; i < NTEST; i += B) {
        int nb = NTEST - i < B ? NTEST - i : B, c = 0;
        ws_net_forward(net, xt + (size_t)i * 256, test->labels + i, nb, NULL, 0, &c);
        hits += c;
    }
    double acc = (double)hits / NTEST;
    cr_log_info("Fashion-MNIST 16x16, %d steps of %d on %d images: test accuracy %.3f", STEPS, B,
                NTRAIN, acc);
    cr_expect(acc >= 0.70, "test accuracy %.3f, expected >= 0.70 (chance 0.10)", acc);
    free(xs);
    free(xt);
    ws_net_free(net);
    ws_dataset_free(train);
    ws_dataset_free(test);
}

/* ---- the per-edge passes' vector forms against the scalar formulas -------- */

/* Fills n floats with values in [-2, 2) from a fixed generator, some exact
 * zeros among them. */
static void edge_fill(float *x, size_t n, uint32_t seed)
{
    uint32_t s = seed * 2654435761u + 1u;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (s >> 28) == 3 ? 0.0f : (float)((double)(s >> 8) / (double)(1u << 24) * 4.0 - 2.0);
    }
}

/* ws_edge_combine_ and ws_edge_grad_write_ (AVX-512, AVX2 or scalar) give the
 * bits of the scalar formula: every product and sum rounded on its own, left
 * to right; ragged lengths for the vector tails. */
Test(supernet, edge_passes_same_bits_as_scalar)
{
    const size_t Ms[] = {1, 7, 8, 9, 15, 16, 17, 31, 100, 256, 1031};
    for (size_t mi = 0; mi < WS_ARRAY_LEN(Ms); mi++) {
        size_t M = Ms[mi];
        float *buf = malloc(12 * M * sizeof *buf);
        float *x0 = buf, *x1 = buf + M, *y0 = buf + 2 * M, *y1 = buf + 3 * M, *o = buf + 4 * M;
        float *r = buf + 5 * M, *dy = buf + 6 * M, *os0 = buf + 7 * M, *os1 = buf + 8 * M;
        float *ok0 = buf + 9 * M, *ok1 = buf + 10 * M, *ref = buf + 11 * M;
        for (int k = 0; k < 5; k++) edge_fill(buf + (size_t)k * M, M, (uint32_t)(mi * 10 + k));
        edge_fill(dy, M, 77), edge_fill(os0, M, 78), edge_fill(os1, M, 79);
        const float c[2] = {0.3f, -1.7f}, a[2] = {1.25f, -0.37f}, b[2] = {0.11f, -2.5f};
        const float *xs[2] = {x0, x1}, *ys[2] = {y0, y1};
        for (int ns = 0; ns <= 2; ns++)
            for (int nb = 0; nb <= 2; nb++)
                for (int first = 0; first <= 1; first++) {
                    memcpy(r, o, M * sizeof *o);
                    ws_edge_combine_(r, first, ns, xs, c, nb, ys, a, b, M);
                    for (size_t i = 0; i < M; i++) {
                        float v = first ? 0.0f : o[i];
                        for (int s = 0; s < ns; s++) {
                            float p = c[s] * xs[s][i];
                            v += p;
                        }
                        for (int k = 0; k < nb; k++) {
                            float p = a[k] * ys[k][i];
                            p += b[k];
                            v += p;
                        }
                        ref[i] = v;
                    }
                    cr_expect_arr_eq(r, ref, M * sizeof *r, "edge_combine M=%zu ns=%d nb=%d first=%d",
                                     M, ns, nb, first);
                }
        /* grad write: two plain and two conv terms */
        float *os[2] = {os0, os1}, *ok[2] = {ok0, ok1};
        const float cs[2] = {0.7f, -0.2f}, c0[2] = {0.05f, -0.9f};
        float *eo0 = malloc(4 * M * sizeof *eo0), *eo1 = eo0 + M, *ek0 = eo0 + 2 * M, *ek1 = eo0 + 3 * M;
        for (size_t i = 0; i < M; i++) {
            eo0[i] = os0[i] + cs[0] * dy[i];
            eo1[i] = os1[i] + cs[1] * dy[i];
            ek0[i] = a[0] * dy[i] + b[0] * y0[i] + c0[0];
            ek1[i] = a[1] * dy[i] + b[1] * y1[i] + c0[1];
        }
        ws_edge_grad_write_(dy, M, 2, os, cs, 2, ok, ys, a, b, c0);
        cr_expect_arr_eq(os0, eo0, M * sizeof *os0, "edge_grad_write os[0] M=%zu", M);
        cr_expect_arr_eq(os1, eo1, M * sizeof *os1, "edge_grad_write os[1] M=%zu", M);
        cr_expect_arr_eq(ok0, ek0, M * sizeof *ok0, "edge_grad_write ok[0] M=%zu", M);
        cr_expect_arr_eq(ok1, ek1, M * sizeof *ok1, "edge_grad_write ok[1] M=%zu", M);
        free(eo0), free(buf);
    }
}

/* The scalar form of forward.c's run sums: 16 float lanes, products rounded
 * before they are added, the tail into lane 0, folded into double in lane
 * order every 256 elements. */
static void run_sums_scalar(const float *a, const float *x, size_t n, double *sa, double *sax)
{
    double ta = 0.0, tx = 0.0;
    for (size_t i = 0; i < n;) {
        size_t end = i + 256 < n ? i + 256 : n;
        float la[16] = {0}, lx[16] = {0};
        for (; i + 16 <= end; i += 16)
            for (int l = 0; l < 16; l++) {
                la[l] += a[i + l];
                if (x) {
                    float p = a[i + l] * x[i + l];
                    lx[l] += p;
                }
            }
        for (; i < end; i++) {
            la[0] += a[i];
            if (x) {
                float p = a[i] * x[i];
                lx[0] += p;
            }
        }
        for (int l = 0; l < 16; l++) ta += la[l], tx += lx[l];
    }
    *sa = ta, *sax = tx;
}

/* The AVX2 (and portable) run sums and squared deviations give the scalar
 * form's bits; the AVX-512 form (4 x 16 lanes with fused multiply-adds)
 * sums in its own order and is checked by the fixtures instead. */
Test(supernet, run_sums_same_bits_as_scalar)
{
#ifdef __AVX512F__
    cr_skip_test("the AVX-512 run sums use their own lane order (not the scalar form's)");
#endif
    const size_t ns[] = {0, 1, 15, 16, 17, 255, 256, 257, 1000, 4099};
    for (size_t k = 0; k < WS_ARRAY_LEN(ns); k++) {
        size_t n = ns[k];
        float *b = malloc((5 * n + 1) * sizeof *b), *a = b, *xs[4];
        for (int j = 0; j < 5; j++) edge_fill(b + (size_t)j * n, n, (uint32_t)(k * 5 + j + 1));
        for (int j = 0; j < 4; j++) xs[j] = b + (size_t)(j + 1) * n;
        for (int nx = 0; nx <= 4; nx++) {
            double sa, sax[4], ra, rx, unused;
            ws_run_sums_n_(a, (const float *const *)xs, nx, n, &sa, sax);
            run_sums_scalar(a, NULL, n, &ra, &unused);
            cr_expect(memcmp(&sa, &ra, sizeof sa) == 0, "n=%zu nx=%d sum %.17g vs %.17g", n, nx, sa, ra);
            for (int j = 0; j < nx; j++) {
                run_sums_scalar(a, xs[j], n, &unused, &rx);
                cr_expect(memcmp(&sax[j], &rx, sizeof rx) == 0, "n=%zu nx=%d dot %d %.17g vs %.17g",
                          n, nx, j, sax[j], rx);
            }
        }
        const float m = 0.37f;
        double t = 0.0, got = ws_run_sqdev_(a, m, n);
        for (size_t i = 0; i < n;) {
            size_t end = i + 256 < n ? i + 256 : n;
            float lv[16] = {0};
            for (; i + 16 <= end; i += 16)
                for (int l = 0; l < 16; l++) {
                    float d = a[i + l] - m, p = d * d;
                    lv[l] += p;
                }
            for (; i < end; i++) {
                float d = a[i] - m, p = d * d;
                lv[0] += p;
            }
            for (int l = 0; l < 16; l++) t += lv[l];
        }
        cr_expect(memcmp(&got, &t, sizeof t) == 0, "n=%zu sqdev %.17g vs %.17g", n, got, t);
        free(b);
    }
}
