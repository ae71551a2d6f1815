/* optim.c: the optimisers of methods.md 2.0 with PyTorch semantics: SGD with
 * momentum, Nesterov and L2 weight decay over the network's flat parameter
 * block; clip_grad_norm_ over all weight gradients (optionally with extra
 * values, AutoDL's alpha-in-clip quirk); the per-epoch cosine learning rate;
 * Adam for the small architecture-parameter vectors.  Norms sum in double
 * over fixed chunks, so results do not depend on scheduling. */
#include <math.h>

#include "internal.h"

#define CHUNK 65536

void ws_net_sgd_step(ws_net *net, const ws_sgd *opt)
{
    float *p = net->params, *g = net->grads, *m = net->momentum;
    const float lr = opt->lr, mu = opt->momentum, wd = opt->weight_decay;
    const int nest = opt->nesterov;
    size_t n = net->n_params;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float d = g[i] + wd * p[i];
        if (mu != 0.0f) {
            float b = mu * m[i] + d;
            m[i] = b;
            d = nest ? d + mu * b : b;
        }
        p[i] -= lr * d;
    }
}

/* Sum of squares of x[a, b); with net, the runs of net's gradient block
 * known to be +0.0 are skipped: each skipped term would add +0.0 to a sum of
 * squares (>= +0.0), so the bits are those of the plain loop. */
static double chunk_sumsq(const float *x, size_t a, size_t b, const ws_net *net)
{
    double s = 0.0;
    if (!net) {
        for (size_t i = a; i < b; i++) s += (double)x[i] * x[i];
        return s;
    }
    const ws_grad_run *runs = net->grad_runs;
    size_t nr = net->n_grad_runs, lo = 0, hi = nr; /* the first run ending after a */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (runs[mid].off + runs[mid].n <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t r = lo; r < nr && runs[r].off < b; r++) {
        if (ws_grad_run_zero_(net, &runs[r])) continue;
        size_t i0 = runs[r].off > a ? runs[r].off : a;
        size_t i1 = runs[r].off + runs[r].n < b ? runs[r].off + runs[r].n : b;
        for (size_t i = i0; i < i1; i++) s += (double)x[i] * x[i];
    }
    return s;
}

/* Groups of 64 chunks: partial sums per chunk, combined in chunk order (the
 * same bits at any thread count); net as in chunk_sumsq. */
static double sumsq_chunked(const float *x, size_t n, const ws_net *net)
{
    double total = 0.0;
    for (size_t g0 = 0; g0 < n; g0 += 64 * (size_t)CHUNK) {
        double part[64];
        int nch = 0;
        for (size_t a = g0; a < n && nch < 64; a += CHUNK) nch++;
#pragma omp parallel for schedule(static)
        for (int c = 0; c < nch; c++) {
            size_t a = g0 + (size_t)c * CHUNK, b = a + CHUNK < n ? a + CHUNK : n;
            part[c] = chunk_sumsq(x, a, b, net);
        }
        for (int c = 0; c < nch; c++) total += part[c];
    }
    return total;
}

double ws_net_clip_grad_norm(ws_net *net, double max_norm, float *extra, size_t n_extra)
{
    double ss = sumsq_chunked(net->grads, net->n_params, net);
    if (extra) ss += sumsq_chunked(extra, n_extra, NULL);
    double norm = sqrt(ss);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        float cf = (float)coef;
        float *g = net->grads;
        /* +0.0 * cf is +0.0 for cf >= 0: runs known zero stay as they are */
        int skip = cf >= 0.0f;
        size_t nr = net->n_grad_runs;
        const ws_grad_run *runs = net->grad_runs;
#pragma omp parallel
        for (size_t r = 0; r < nr; r++) {
            if (skip && ws_grad_run_zero_(net, &runs[r])) continue;
            float *gr = g + runs[r].off;
            size_t n = runs[r].n;
#pragma omp for schedule(static) nowait
            for (size_t i = 0; i < n; i++) gr[i] *= cf;
        }
        if (extra)
            for (size_t i = 0; i < n_extra; i++) extra[i] *= cf;
    }
    return norm;
}

double ws_cosine_lr(double lr_max, double lr_min, int epoch, int epochs)
{
    if (epochs <= 0) return lr_max;
    return lr_min + (lr_max - lr_min) * (1.0 + cos(M_PI * epoch / epochs)) / 2.0;
}

void ws_adam_step(ws_adam *opt, float *p, const float *g, float *m, float *v, size_t n)
{
    opt->t++;
    double bc1 = 1.0 - pow(opt->beta1, (double)opt->t);
    double bc2 = 1.0 - pow(opt->beta2, (double)opt->t);
    float step = (float)(opt->lr / bc1);
    float sbc2 = (float)sqrt(bc2);
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] + opt->weight_decay * p[i];
        m[i] = opt->beta1 * m[i] + (1.0f - opt->beta1) * gi;
        v[i] = opt->beta2 * v[i] + (1.0f - opt->beta2) * gi * gi;
        float denom = sqrtf(v[i]) / sbc2 + opt->eps;
        p[i] -= step * m[i] / denom;
    }
}
