/* loss.c: softmax cross-entropy averaged over the batch, as
 * torch.nn.functional.cross_entropy (reduction='mean'); the softmax is
 * max-shifted and summed in double. */
#include "wsnas/nn.h"

#include <math.h>

float ws_crossentropy_forward(float *probs, const float *logits, const int *labels, int N,
                              int K, int *correct)
{
    double loss = 0.0;
    int hits = 0;
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * K;
        float *p = probs + (size_t)n * K;
        int arg = 0;
        for (int k = 1; k < K; k++)
            if (z[k] > z[arg]) arg = k;
        double mx = z[arg], s = 0.0;
        for (int k = 0; k < K; k++) s += exp((double)z[k] - mx);
        double lse = mx + log(s);
        for (int k = 0; k < K; k++) p[k] = (float)exp((double)z[k] - lse);
        loss += lse - z[labels[n]];
        hits += arg == labels[n];
    }
    if (correct) *correct = hits;
    return (float)(loss / N);
}

/* dlogits += dloss * (probs - onehot) / N */
void ws_crossentropy_backward(float *dlogits, const float *probs, const int *labels, int N,
                              int K, float dloss)
{
    if (!dlogits) return;
    float s = dloss / (float)N;
    for (int n = 0; n < N; n++) {
        const float *p = probs + (size_t)n * K;
        float *d = dlogits + (size_t)n * K;
        for (int k = 0; k < K; k++) d[k] += s * (p[k] - (k == labels[n] ? 1.0f : 0.0f));
    }
}
