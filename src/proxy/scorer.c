/* scorer.c: one architecture at a time on a reusable network: the engine's
 * supernet with one op per live edge (WS_MIX_SINGLE; bit for bit the
 * standalone network), the minibatches, the shared cross-entropy pass, and
 * the loop over the recipe's proxies through the dispatch table.  Also the
 * recipe's minibatches from CIFAR-10's NB201 train split. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "wsnas/data.h"

/* ---- minibatches ------------------------------------------------------------ */
struct ws_proxy_data {
    float *xg, *xn;
    int *yg, *yn;
    int ng, nn;
};

void ws_proxy_data_free(ws_proxy_data *d)
{
    if (!d) return;
    free(d->xg);
    free(d->xn);
    free(d->yg);
    free(d->yn);
    free(d);
}

/* The first batch of n images of a seeded batcher over the train split. */
static int first_batch(const ws_data *dt, int n, int augment, uint64_t seed, float **x, int **y,
                       ws_error *err)
{
    ws_transform tf;
    int rc = ws_transform_default(dt->train_set->name, 32, augment, dt->train_set, &tf, err);
    if (rc) return rc;
    *x = malloc((size_t)n * 3 * 32 * 32 * sizeof **x);
    *y = malloc((size_t)n * sizeof **y);
    if (!*x || !*y) return ws_error_set(err, WS_ENOMEM, "proxy data: out of memory");
    ws_batcher *b = ws_batcher_alloc(dt->train_set, &dt->train, n, &tf, augment, seed, err);
    if (!b) return err && err->code ? err->code : WS_ENOMEM;
    int got = ws_batcher_next(b, *x, *y);
    ws_batcher_free(b);
    if (got != n)
        return ws_error_set(err, WS_ESTATE, "proxy data: batch of %d gave %d images", n, got);
    return 0;
}

int ws_proxy_data_load(const ws_proxy_recipe *r, const char *data_dir, const char *split_file,
                       ws_proxy_data **out, ws_error *err)
{
    *out = NULL;
    if (r->in_size != 32)
        return ws_error_set(err, WS_EINVAL, "proxy data: CIFAR-10 is 32x32, recipe size %d",
                            r->in_size);
    if (!split_file || !split_file[0])
        return ws_error_set(err, WS_EINVAL, "proxy data: NB201's cifar-split.txt is needed (--split)");
    ws_data_spec spec = {.dataset = "cifar10", .dir = data_dir, .split_file = split_file};
    ws_data dt;
    int rc = ws_data_load(&spec, &dt, err);
    if (rc) return rc;
    ws_proxy_data *d = calloc(1, sizeof *d);
    if (!d) rc = ws_error_set(err, WS_ENOMEM, "proxy data: out of memory");
    if (!rc) {
        d->ng = 64;
        d->nn = 128;
        rc = first_batch(&dt, d->ng, 1, r->seed, &d->xg, &d->yg, err);
    }
    if (!rc) rc = first_batch(&dt, d->nn, 0, r->seed, &d->xn, &d->yn, err);
    ws_data_free(&dt);
    if (rc) {
        ws_proxy_data_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

ws_proxy_batch ws_proxy_data_grad(const ws_proxy_data *d)
{
    return (ws_proxy_batch){.n = d->ng, .x = d->xg, .y = d->yg};
}

ws_proxy_batch ws_proxy_data_naswot(const ws_proxy_data *d)
{
    return (ws_proxy_batch){.n = d->nn, .x = d->xn, .y = d->yn};
}

/* ---- the scorer ------------------------------------------------------------------ */
void ws_proxy_scorer_free(ws_proxy_scorer *s)
{
    if (!s) return;
    ws_net_free(s->net);
    free(s->layers);
    free(s->g_ce);
    free(s->w_save);
    free(s->scratch);
    free(s->dbuf);
    free(s);
}

/* conv and linear weights: tensors named *.weight outside batch norms */
static int collect_layers(ws_proxy_scorer *s, ws_error *err)
{
    float *base = ws_net_params(s->net, &s->n_params);
    size_t cap = 0;
    for (size_t i = 0; ws_net_tensor_name(s->net, i, NULL); i++) cap++;
    s->layers = calloc(cap ? cap : 1, sizeof *s->layers);
    if (!s->layers) return ws_error_set(err, WS_ENOMEM, "proxy: out of memory");
    for (size_t i = 0; i < cap; i++) {
        int buf, shape[4];
        const char *name = ws_net_tensor_name(s->net, i, &buf);
        size_t L = strlen(name);
        if (buf || L < 7 || strcmp(name + L - 7, ".weight") || strstr(name, ".bn")) continue;
        float *p = ws_net_find(s->net, name, NULL, shape);
        size_t numel = (size_t)shape[0], fan = 1;
        for (int d = 1; d < 4; d++)
            if (shape[d]) fan *= (size_t)shape[d];
        numel *= fan;
        s->layers[s->n_layers++] = (proxy_layer){(size_t)(p - base), numel, (int)fan};
    }
    return 0;
}

int ws_proxy_scorer_alloc(const ws_proxy_recipe *r, int classes, ws_proxy_batch grad,
                          ws_proxy_batch naswot, ws_proxy_scorer **out, ws_error *err)
{
    *out = NULL;
    int max_batch = 1;
    for (int i = 0; i < r->n_proxies; i++) {
        int b = ws_proxy_batch_size(r->proxies[i]);
        const ws_proxy_batch *pb = b == 128 ? &naswot : b == 64 ? &grad : NULL;
        if (pb && (pb->n < 2 || !pb->x || !pb->y))
            return ws_error_set(err, WS_EINVAL, "proxy %s: needs a minibatch of >= 2 images",
                                ws_proxy_names[r->proxies[i]]);
        if (pb && pb->n > max_batch) max_batch = pb->n;
    }
    gsl_set_error_handler_off(); /* statuses are checked (jacob_cov, naswot) */
    ws_proxy_scorer *s = calloc(1, sizeof *s);
    if (!s) return ws_error_set(err, WS_ENOMEM, "proxy: out of memory");
    s->recipe = *r;
    s->classes = classes;
    s->grad = grad;
    s->naswot = naswot;
    ws_net_config nc = {.C = r->C, .N = r->N, .in_channels = 3, .in_size = r->in_size,
                        .classes = classes, .max_batch = max_batch, .cell_bn_affine = 1,
                        .cell_bn_track = 1, .standalone = 0, .pc_k = 1};
    int need_net = 0, rc = 0; /* params and flops are counted, not run */
    for (int i = 0; i < r->n_proxies; i++)
        need_net |= r->proxies[i] != WS_PROXY_PARAMS && r->proxies[i] != WS_PROXY_FLOPS;
    if (need_net) {
        rc = (s->net = ws_net_alloc(&nc, err)) ? 0 : (err && err->code ? err->code : WS_ENOMEM);
        if (!rc) rc = collect_layers(s, err);
        int grasp = 0;
        for (int i = 0; i < r->n_proxies; i++) grasp |= r->proxies[i] == WS_PROXY_GRASP;
        if (!rc && grasp) rc = ws_net_relu_mask_alloc(s->net, err);
    }
    size_t sc = (size_t)(grad.n > 0 ? grad.n : 1) * (3 * (size_t)r->in_size * r->in_size + (size_t)classes);
    if (!rc && need_net) {
        s->g_ce = malloc(s->n_params * sizeof *s->g_ce);
        s->w_save = malloc(s->n_params * sizeof *s->w_save);
        s->scratch = malloc(sc * sizeof *s->scratch);
        if (!s->g_ce || !s->w_save || !s->scratch) rc = ws_error_set(err, WS_ENOMEM, "proxy: out of memory");
    }
    if (rc) {
        ws_proxy_scorer_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

ws_net *ws_proxy_scorer_net(ws_proxy_scorer *s) { return s->net; }

ws_macro proxy_macro(const ws_proxy_recipe *r, int classes)
{
    ws_macro m = ws_macro_nb201(classes);
    m.C = r->C;
    m.N = r->N;
    m.in_size = r->in_size;
    return m;
}

double *proxy_dbuf(ws_proxy_scorer *s, size_t n, ws_error *err)
{
    if (n <= s->dbuf_n) return s->dbuf;
    double *p = realloc(s->dbuf, n * sizeof *p);
    if (!p) {
        ws_error_set(err, WS_ENOMEM, "proxy: out of memory (%zu doubles)", n);
        return NULL;
    }
    s->dbuf = p;
    s->dbuf_n = n;
    return p;
}

/* Edges that can influence node 3 from node 0 (the standalone network's). */
static void live_edges(const ws_arch *a, int live[WS_EDGES])
{
    int from0[4] = {1, 0, 0, 0}, to3[4] = {0, 0, 0, 1};
    for (int e = 0; e < WS_EDGES; e++)
        if (a->op[e] != WS_OP_NONE && from0[ws_edge_src[e]]) from0[ws_edge_dst[e]] = 1;
    for (int e = WS_EDGES - 1; e >= 0; e--)
        if (a->op[e] != WS_OP_NONE && to3[ws_edge_dst[e]]) to3[ws_edge_src[e]] = 1;
    for (int e = 0; e < WS_EDGES; e++)
        live[e] = a->op[e] != WS_OP_NONE && from0[ws_edge_src[e]] && to3[ws_edge_dst[e]];
}

int proxy_pass_ce(ws_proxy_scorer *s, ws_error *err)
{
    (void)err;
    if (s->have_ce) return 0;
    int fisher = 0;
    for (int i = 0; i < s->recipe.n_proxies; i++) fisher |= s->recipe.proxies[i] == WS_PROXY_FISHER;
    s->fisher = 0.0;
    ws_net_zero_grad(s->net);
    ws_net_forward(s->net, s->grad.x, s->grad.y, s->grad.n, &s->mix, 1, NULL);
    if (fisher) ws_net_set_conv_probe(s->net, proxy_fisher_probe, s);
    ws_net_backward(s->net, NULL);
    ws_net_set_conv_probe(s->net, NULL, NULL);
    if (fisher) s->fisher += proxy_fisher_linear(s);
    memcpy(s->g_ce, ws_net_grads(s->net, NULL), s->n_params * sizeof *s->g_ce);
    s->have_ce = 1;
    return 0;
}

int ws_proxy_score_current(ws_proxy_scorer *s, const ws_arch *a, double *scores, ws_error *err)
{
    s->arch = *a;
    int live[WS_EDGES];
    live_edges(a, live);
    ws_mix_init(&s->mix, WS_MIX_SINGLE);
    for (int e = 0; e < WS_EDGES; e++) s->mix.sel[e] = live[e] ? a->op[e] : WS_OP_NONE;
    s->have_ce = 0;
    for (int i = 0; i < s->recipe.n_proxies; i++) {
        const proxy_row *row = proxy_row_get(s->recipe.proxies[i]);
        int rc = row->score(s, &scores[i], err);
        if (rc) return ws_error_prefix(err, "proxy %s", row->name);
        if (!isfinite(scores[i])) scores[i] = NAN;
    }
    return 0;
}

int ws_proxy_score(ws_proxy_scorer *s, const ws_arch *a, double *scores, ws_error *err)
{
    if (s->net) {
        ws_pcg32 rng;
        ws_pcg32_stream(&rng, s->recipe.seed, WS_STREAM_INIT);
        ws_net_init(s->net, &rng);
    }
    return ws_proxy_score_current(s, a, scores, err);
}
