/* cost.c: parameter and multiply-add counts of the NB201 macro network for
 * one architecture or for the supernet (layer list in methods.md 1.1). */
#include "wsnas/space.h"

ws_macro ws_macro_nb201(int classes)
{
    ws_macro m = {.C = 16,
                  .N = 5,
                  .in_channels = 3,
                  .in_size = 32,
                  .classes = classes,
                  .cell_bn_affine = 1,
                  .conv_bias = 0};
    return m;
}

int ws_macro_check(const ws_macro *m, ws_error *err)
{
    if (m->C < 1 || m->C > 4096)
        return ws_error_set(err, WS_EINVAL, "C = %d: expected 1..4096", m->C);
    if (m->N < 1 || m->N > 1000)
        return ws_error_set(err, WS_EINVAL, "N = %d: expected 1..1000", m->N);
    if (m->in_channels < 1 || m->in_channels > 4096)
        return ws_error_set(err, WS_EINVAL, "in_channels = %d: expected 1..4096", m->in_channels);
    if (m->in_size < 4 || m->in_size > 4096 || m->in_size % 4)
        return ws_error_set(err, WS_EINVAL, "in_size = %d: expected a multiple of 4 in 4..4096",
                            m->in_size);
    if (m->classes < 1 || m->classes > 1000000)
        return ws_error_set(err, WS_EINVAL, "classes = %d: expected 1..1000000", m->classes);
    return 0;
}

/* Per-edge cost of op `op` at C channels on an HxH map (params or MACs). */
static int64_t edge_params(int op, int64_t C, const ws_macro *m)
{
    int64_t bn = m->cell_bn_affine ? 2 * C : 0, bias = m->conv_bias ? C : 0;
    switch (op) {
    case WS_OP_CONV1X1: return C * C + bias + bn;
    case WS_OP_CONV3X3: return 9 * C * C + bias + bn;
    default: return 0; /* none, skip, avg_pool (Cin == Cout: no preprocessing) */
    }
}

static int64_t edge_macs(int op, int64_t C, int64_t HW, const ws_macro *m)
{
    int64_t bias = m->conv_bias ? C * HW : 0;
    switch (op) {
    case WS_OP_CONV1X1: return C * C * HW + bias;
    case WS_OP_CONV3X3: return 9 * C * C * HW + bias;
    default: return 0;
    }
}

/* Sum over the 3N cells; a == NULL sums both convs on every edge. */
static int64_t cells_cost(const ws_arch *a, const ws_macro *m, int macs)
{
    int64_t total = 0;
    for (int s = 0; s < 3; s++) {
        int64_t C = (int64_t)m->C << s, H = m->in_size >> s;
        int64_t cell = 0;
        for (int e = 0; e < WS_EDGES; e++)
            for (int op = 0; op < WS_OP_COUNT; op++) {
                if (a && a->op[e] != op) continue;
                cell += macs ? edge_macs(op, C, H * H, m) : edge_params(op, C, m);
            }
        total += cell * m->N;
    }
    return total;
}

/* Stem, two ResNet reduction blocks and head: fixed by the macro shape. */
static int64_t skeleton_cost(const ws_macro *m, int macs)
{
    int64_t C = m->C, H = m->in_size, K = m->classes, total = 0;
    int64_t px = macs ? H * H : 1;
    total += 9 * m->in_channels * C * px + (macs ? 0 : 2 * C); /* stem conv + BN */
    for (int r = 0; r < 2; r++) {
        int64_t ci = C << r, co = C << (r + 1), H2 = H >> (r + 1);
        int64_t p2 = macs ? H2 * H2 : 1;
        total += 9 * ci * co * p2 + (macs ? 0 : 2 * co); /* conv_a (stride 2) + BN */
        total += 9 * co * co * p2 + (macs ? 0 : 2 * co); /* conv_b + BN */
        total += ci * co * p2;                           /* shortcut 1x1 after 2x2 pool */
    }
    int64_t Cl = C << 2;
    total += (macs ? 0 : 2 * Cl) + Cl * K + K; /* head BN, linear with bias */
    return total;
}

int64_t ws_arch_param_count(const ws_arch *a, const ws_macro *m)
{
    if (ws_macro_check(m, NULL)) return -1;
    return skeleton_cost(m, 0) + cells_cost(a, m, 0);
}

int64_t ws_arch_flops(const ws_arch *a, const ws_macro *m)
{
    if (ws_macro_check(m, NULL)) return -1;
    return skeleton_cost(m, 1) + cells_cost(a, m, 1);
}
