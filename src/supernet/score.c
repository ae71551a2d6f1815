/* score.c: forward-only passes of single-path architectures for one-shot
 * scoring (methods.md 3.2).  ws_net_score_begin runs the stem on a batch;
 * every ws_net_score_arch then runs one architecture (WS_MIX_SINGLE) on it and
 * gives the same loss, logits and hits as ws_net_forward with that mix, but:
 *   - no BN running estimate moves and nothing is kept for a backward pass;
 *   - edges whose term cannot reach node 3 (or, with batch statistics, is
 *     an op of an all-zero node) are skipped: they change no output bit;
 *   - the stem, and the first cell's nodes 1 and 2 with their relu/avgpool,
 *     are reused from the previous architecture when it computed them from
 *     the same ops (an order that groups leading ops, e.g. by product rank,
 *     makes that frequent);
 *   - the cells share a few node buffers (score_nodes) instead of their
 *     own, and the cell convolutions write into three scratch buffers, so
 *     fewer distinct pages are touched (the resident set) and fewer cache
 *     lines;
 *   - each node is formed in one pass per channel over all its live edges
 *     (forward.c's node_forward_score), not one pass per edge.
 * Every kernel, and every sum, runs as in ws_net_forward, so the results are
 * the same bits (tests/test_supernet.c compares every isomorphism class). */
#include <string.h>

#include "internal.h"

void ws_net_score_begin(ws_net *net, const float *x, const int *labels, int B, int batch_stats)
{
    const ws_net_config *c = &net->cfg;
    WS_ASSERT(!c->standalone && c->pc_k == 1);
    net->have_forward = 0; /* no backward after scoring */
    net->stats_frozen = net->score_scratch = 1;
    ws_net_stem_forward_(net, x, labels, B, batch_stats);
    net->score = (ws_score_state){.ready = 1, .batch_stats = batch_stats};
}

/* Edges whose term can reach node 3 (not none, into a node that reaches
 * node 3).  With batch statistics also only edges out of nodes that node 0
 * reaches: any other node is zero, and so is every op of it (BN of a
 * constant), which is not so with running statistics. */
static void score_live(const ws_arch *a, int batch_stats, int lv[WS_EDGES])
{
    if (batch_stats) {
        ws_arch_live_edges_(a, lv);
        return;
    }
    int to3[4] = {0, 0, 0, 1};
    for (int e = WS_EDGES - 1; e >= 0; e--) /* edges sorted by destination */
        if (a->op[e] != WS_OP_NONE && to3[ws_edge_dst[e]]) to3[ws_edge_src[e]] = 1;
    for (int e = 0; e < WS_EDGES; e++) lv[e] = a->op[e] != WS_OP_NONE && to3[ws_edge_dst[e]];
}

/* Codes of what nodes 1 and 2 of a cell hold after the forward for live
 * edges lv (0: the node is not computed; see ws_net_cell_forward_): node 1
 * its edge's op or 6 for zeros; node 2 both edges' ops and, when edge 2
 * (1 -> 2) runs, node 1's code. */
static void node_codes(const ws_arch *a, const int lv[WS_EDGES], int code[3])
{
    int c1 = lv[0] || lv[2] || lv[4] ? (lv[0] ? 1 + a->op[0] : 6) : 0;
    int t1 = lv[1] ? 1 + a->op[1] : 0, t2 = lv[2] ? 1 + a->op[2] : 0;
    code[0] = 0;
    code[1] = c1;
    code[2] = lv[1] || lv[2] || lv[5] ? 1 + t1 + 6 * t2 + 36 * (t2 ? c1 : 0) : 0;
}

/* Node buffers of the scorer.  In the first stage, cell 0 keeps its own
 * buffers (its nodes 1 and 2 are reused across architectures) and cells
 * i >= 1 write nodes 1 and 2 into cell 1's buffers and node 3 into cell 1's
 * and cell 0's in turn (the input, cell i-1's node 3, is never a buffer cell
 * i writes; cell 0's node 3 is never reused).  The later stages (N >= 2) run
 * after a reduction block has read the first stage's output, so their nodes
 * are carved out of four of the first stage's node tensors (cell 1's three
 * and cell 0's node 3; each holds 2 tensors of the second stage, 4 of the
 * third) in the same pattern: the scorer touches 6 node tensors of the first
 * stage's size, not 3N of every stage. */
static void score_nodes(ws_net *net, int k, float *node[4])
{
    int N = net->cfg.N, st = k / N, i = k % N;
    ws_cell *c0 = &net->cells[0], *c1 = &net->cells[N > 1 ? 1 : 0];
    if (st == 0 || N == 1) {
        ws_cell *own = i == 0 ? &net->cells[k] : c1;
        for (int j = 1; j < 4; j++) node[j] = own->nodebuf[j];
        if (i >= 2 && i % 2 == 0) node[3] = c0->nodebuf[3];
        return;
    }
    float *slab[4] = {c1->nodebuf[1], c1->nodebuf[2], c1->nodebuf[3], c0->nodebuf[3]};
    const ws_cell *cs = &net->cells[k];
    size_t n = (size_t)cs->C * (size_t)net->cfg.max_batch * (size_t)cs->H * (size_t)cs->W;
    int per = 1 << st; /* tensors of this stage per first-stage tensor */
    int t[3] = {0, 1, 2};
    if (i > 0) t[0] = 3, t[1] = 4, t[2] = i % 2 ? 5 : 6;
    for (int j = 1; j < 4; j++) node[j] = slab[t[j - 1] / per] + (size_t)(t[j - 1] % per) * n;
}

/* The plan of cell k: the node buffers above, the relu and pool buffers
 * (where a kernel cannot fuse them) of the stage's cell 0 or, for cells
 * i >= 1, of its cell 1, the live edges; cell 0 reuses what the scoring
 * state says its nodes hold. */
static void score_plan(ws_net *net, int k, const int lv[WS_EDGES], const int code[3],
                       ws_cell_plan *pl)
{
    int i = k % net->cfg.N;
    ws_cell_plan_own_(&net->cells[i == 0 ? k : k - i + 1], pl);
    score_nodes(net, k, pl->node);
    memcpy(pl->live, lv, sizeof pl->live);
    if (k != 0) return;
    ws_score_state *s = &net->score;
    pl->keep[0] = s->node0_ok;
    for (int j = 1; j < 3; j++) pl->keep[j] = code[j] != 0 && code[j] == s->sig[j];
}

float ws_net_score_arch(ws_net *net, const ws_arch *a, int *correct)
{
    const ws_net_config *c = &net->cfg;
    ws_score_state *s = &net->score;
    WS_ASSERT(s->ready);
    ws_mix_init(&net->mix, WS_MIX_SINGLE);
    memcpy(net->mix.sel, a->op, sizeof net->mix.sel);
    int lv[WS_EDGES], code[3];
    score_live(a, s->batch_stats, lv);
    node_codes(a, lv, code);
    int train = s->batch_stats;
    const float *cur = net->stem_out;
    for (int k = 0; k < net->n_cells; k++) {
        if (k > 0 && k % c->N == 0) {
            ws_redblock *r = &net->red[k / c->N - 1];
            ws_net_red_forward_(net, r, cur, train);
            cur = r->out;
        }
        ws_cell_plan pl;
        score_plan(net, k, lv, code, &pl);
        ws_net_cell_forward_(net, &net->cells[k], cur, train, &pl);
        cur = net->cells[k].node[3];
    }
    s->node0_ok = 1;
    for (int j = 1; j < 3; j++) /* a node not computed keeps what it held */
        if (code[j]) s->sig[j] = code[j];
    return ws_net_head_forward_(net, cur, train, correct);
}
