/* rules.c: the small update rules the search methods are made of (see
 * include/wsnas/method.h): masked softmax and its backward, the GAEA
 * exponentiated-gradient step with an exact floored simplex projection,
 * Gumbel-softmax straight-through sampling, the GDAS temperature schedule,
 * entropy, uniform sampling and argmax derivation. */
#include <math.h>
#include <string.h>

#include "wsnas/method.h"

void ws_softmax_masked(const float *a, const int *mask, int n, float *p)
{
    double mx = -INFINITY;
    for (int i = 0; i < n; i++)
        if (!mask || mask[i])
            if (a[i] > mx) mx = a[i];
    double s = 0, e[16];
    WS_ASSERT(n <= 16);
    for (int i = 0; i < n; i++) {
        e[i] = (!mask || mask[i]) ? exp((double)a[i] - mx) : 0.0;
        s += e[i];
    }
    for (int i = 0; i < n; i++) p[i] = (float)(e[i] / s);
}

void ws_softmax_backward(const float *p, const float *dp, int n, float *da)
{
    double dot = 0;
    for (int i = 0; i < n; i++) dot += (double)p[i] * dp[i];
    for (int i = 0; i < n; i++) da[i] = (float)((double)p[i] * ((double)dp[i] - dot));
}

void ws_log_softmax_backward(const float *a, const int *mask, const float *dls, int n, float *da)
{
    float p[16];
    WS_ASSERT(n <= 16);
    ws_softmax_masked(a, mask, n, p);
    double s = 0;
    for (int i = 0; i < n; i++)
        if (!mask || mask[i]) s += dls[i];
    for (int i = 0; i < n; i++)
        da[i] = (!mask || mask[i]) ? (float)((double)dls[i] - (double)p[i] * s) : 0.0f;
}

void ws_simplex_floor_project(const double *t, const int *mask, int n, double floor, float *out)
{
    /* Find the set S of clamped entries: Z = sum_{free} t / (1 - |S| floor);
     * an entry joins S when t_i / Z < floor.  Adding entry i (t_i < floor Z)
     * gives Z' = (F - t_i) / (1 - (s+1) floor) > F / (1 - s floor) = Z, so Z
     * only grows, entries only join, and the loop ends within n rounds; the
     * result sums to s floor + F / Z = 1.  Floors are compared in double against the
     * float value of `floor`, so the rounded float result is >= (float)floor. */
    WS_ASSERT(n <= 16);
    const double fl = (double)(float)floor;
    int clamped[16] = {0}, allowed = 0;
    for (int i = 0; i < n; i++) allowed += (!mask || mask[i]);
    WS_ASSERT(allowed > 0 && fl * allowed < 1.0);
    double z = 0;
    for (int round = 0; round <= n; round++) {
        double free_sum = 0;
        int ns = 0;
        for (int i = 0; i < n; i++) {
            if (mask && !mask[i]) continue;
            if (clamped[i]) ns++;
            else free_sum += t[i];
        }
        if (free_sum <= 0) { /* everything underflowed: all free entries tie */
            for (int i = 0; i < n; i++) {
                if (mask && !mask[i]) out[i] = 0.0f;
                else out[i] = clamped[i] ? (float)fl : 0.0f;
            }
            int nf = allowed - ns;
            for (int i = 0; i < n; i++)
                if ((!mask || mask[i]) && !clamped[i]) out[i] = (float)((1.0 - ns * fl) / nf);
            return;
        }
        z = free_sum / (1.0 - ns * fl);
        int added = 0;
        for (int i = 0; i < n; i++)
            if ((!mask || mask[i]) && !clamped[i] && t[i] / z < fl) clamped[i] = 1, added = 1;
        if (!added) break;
    }
    for (int i = 0; i < n; i++) {
        if (mask && !mask[i]) out[i] = 0.0f;
        else out[i] = clamped[i] ? (float)fl : (float)(t[i] / z);
    }
}

void ws_eg_update_row(float *theta, const float *g, const int *mask, int n, double eta,
                      double floor)
{
    /* theta_i exp(-eta g_i) in the log domain, shifted by the max so that
     * nothing overflows; the shift cancels in the normalisation. */
    double lt[16], t[16], mx = -INFINITY;
    WS_ASSERT(n <= 16);
    for (int i = 0; i < n; i++) {
        if (mask && !mask[i]) continue;
        lt[i] = log((double)theta[i]) - eta * (double)g[i];
        if (lt[i] > mx) mx = lt[i];
    }
    for (int i = 0; i < n; i++) t[i] = (mask && !mask[i]) ? 0.0 : exp(lt[i] - mx);
    ws_simplex_floor_project(t, mask, n, floor, theta);
}

int ws_gumbel_st_sample(const float *base, const int *mask, int n, float tau, ws_pcg32 *rng,
                        float *p, float *h)
{
    WS_ASSERT(n <= 16);
    for (;;) {
        float logit[16] = {0};
        int ok = 1;
        for (int i = 0; i < n; i++) {
            if (mask && !mask[i]) {
                logit[i] = 0;
                continue;
            }
            double g = -log(ws_pcg32_exponential(rng));
            logit[i] = (float)(((double)base[i] + g) / tau);
            if (!isfinite(logit[i])) ok = 0;
        }
        if (!ok) continue; /* methods.md 2.4: re-draw on inf or NaN */
        ws_softmax_masked(logit, mask, n, p);
        int k = -1;
        for (int i = 0; i < n; i++) {
            if (mask && !mask[i]) continue;
            if (!isfinite(p[i])) ok = 0;
            if (k < 0 || p[i] > p[k]) k = i;
        }
        if (!ok || k < 0) continue;
        for (int i = 0; i < n; i++) h[i] = i == k ? 1.0f : 0.0f;
        return k;
    }
}

void ws_gumbel_st_backward(const float *p, const float *dh, int n, float tau, float *dbase)
{
    /* h = onehot - sg(p) + p, so dL/dp = dL/dh; logits = (base + g)/tau. */
    ws_softmax_backward(p, dh, n, dbase);
    for (int i = 0; i < n; i++) dbase[i] = (float)((double)dbase[i] / tau);
}

double ws_gdas_tau(double tau_max, double tau_min, int epoch, int epochs, int warmup)
{
    int e = epoch - warmup;
    if (e < 0) e = 0;
    int den = epochs - 1 > 1 ? epochs - 1 : 1;
    return tau_max - (tau_max - tau_min) * e / den;
}

double ws_arch_entropy(const float *p)
{
    double h = 0;
    for (int e = 0; e < WS_EDGES; e++)
        for (int o = 0; o < WS_OP_COUNT; o++)
            if (p[e * WS_OP_COUNT + o] > 0)
                h -= (double)p[e * WS_OP_COUNT + o] * log((double)p[e * WS_OP_COUNT + o]);
    return h / WS_EDGES;
}

void ws_arch_sample_uniform(ws_pcg32 *rng, const int *mask, ws_arch *out)
{
    int ops[WS_OP_COUNT], n = 0;
    for (int o = 0; o < WS_OP_COUNT; o++)
        if (!mask || mask[o]) ops[n++] = o;
    WS_ASSERT(n > 0);
    for (int e = 0; e < WS_EDGES; e++) out->op[e] = (uint8_t)ops[ws_pcg32_bounded(rng, (uint32_t)n)];
}

void ws_arch_argmax(const float *p, const int *mask, ws_arch *out)
{
    for (int e = 0; e < WS_EDGES; e++) {
        int k = -1;
        for (int o = 0; o < WS_OP_COUNT; o++) {
            if (mask && !mask[o]) continue;
            if (k < 0 || p[e * WS_OP_COUNT + o] > p[e * WS_OP_COUNT + k]) k = o;
        }
        out->op[e] = (uint8_t)k;
    }
}
