/* naswot.c: NASWOT (Mellor et al. 2021) as nas-without-training
 * score_networks.py with --score hook_logdet: for the 128-image minibatch
 * (no augmentation, train-mode BN), every ReLU's input gives each image a
 * binary code c (input > 0); K = sum over ReLUs of c c^T + (1-c)(1-c)^T,
 * i.e. K_ab = sum over units of [c_a = c_b] = D - Hamming(c_a, c_b);
 * score = log |det K| (numpy's slogdet; LU here).  The ReLUs are the
 * network's (one per conv op of a live edge, two per reduction block, the
 * head's); the reference's network also runs the dead edges' ReLUs. */
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

void proxy_naswot_accumulate(double *K, const float *x, int C, int B, int HW)
{
    /* codes packed per image: bit (k, i) of image b */
    size_t D = (size_t)C * HW, words = (D + 63) / 64;
    uint64_t *code = (uint64_t *)(K + (size_t)B * B);
    memset(code, 0, (size_t)B * words * sizeof *code);
    for (int k = 0; k < C; k++)
        for (int b = 0; b < B; b++) {
            const float *p = x + ((size_t)k * B + b) * HW;
            uint64_t *cb = code + (size_t)b * words;
            size_t base = (size_t)k * HW;
            for (int i = 0; i < HW; i++)
                if (p[i] > 0.0f) cb[(base + i) >> 6] |= (uint64_t)1 << ((base + i) & 63);
        }
    for (int a = 0; a < B; a++)
        for (int b = a; b < B; b++) {
            const uint64_t *ca = code + (size_t)a * words, *cb = code + (size_t)b * words;
            uint64_t ham = 0;
            for (size_t w = 0; w < words; w++) ham += (uint64_t)__builtin_popcountll(ca[w] ^ cb[w]);
            double v = (double)(D - ham);
            K[(size_t)a * B + b] += v;
            if (b != a) K[(size_t)b * B + a] += v;
        }
}

double proxy_logdet(double *K, int n)
{
    gsl_matrix_view m = gsl_matrix_view_array(K, (size_t)n, (size_t)n);
    gsl_permutation *p = gsl_permutation_alloc((size_t)n);
    int sign = 0;
    double ld = NAN;
    if (p) { /* GSL reports an exactly singular matrix as an error: log|det| = -inf */
        ld = gsl_linalg_LU_decomp(&m.matrix, p, &sign) == 0 ? gsl_linalg_LU_lndet(&m.matrix)
                                                             : -INFINITY;
        for (int i = 0; i < n; i++)
            if (K[(size_t)i * n + i] == 0.0) ld = -INFINITY;
    }
    gsl_permutation_free(p);
    return ld;
}

int proxy_naswot(ws_proxy_scorer *s, double *score, ws_error *err)
{
    int B = s->naswot.n;
    ws_net_forward(s->net, s->naswot.x, s->naswot.y, B, &s->mix, 1, NULL);
    ws_net_relu relus[512];
    int n = ws_net_relus(s->net, relus, (int)WS_ARRAY_LEN(relus));
    if (n > (int)WS_ARRAY_LEN(relus))
        return ws_error_set(err, WS_ERANGE, "naswot: %d ReLUs, room for %d", n,
                            (int)WS_ARRAY_LEN(relus));
    size_t maxw = 0;
    for (int i = 0; i < n; i++) {
        size_t w = ((size_t)relus[i].C * relus[i].HW + 63) / 64;
        if (w > maxw) maxw = w;
    }
    double *K = proxy_dbuf(s, (size_t)B * B + (size_t)B * maxw, err);
    if (!K) return err ? err->code : WS_ENOMEM;
    memset(K, 0, (size_t)B * B * sizeof *K);
    for (int i = 0; i < n; i++) proxy_naswot_accumulate(K, relus[i].x, relus[i].C, B, relus[i].HW);
    *score = proxy_logdet(K, B);
    /* the LU overwrote K; nothing else reads it */
    return 0;
}
