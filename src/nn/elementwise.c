/* elementwise.c: ReLU forward/backward over flat buffers. */
#include "wsnas/nn.h"

void ws_relu_forward(float *out, const float *inp, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

/* dinp += dout * (inp > 0) */
void ws_relu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    if (!dinp) return;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        if (inp[i] > 0.0f) dinp[i] += dout[i];
}
