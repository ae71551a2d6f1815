/* linear.c: fully connected layer, out (N,OC) = inp (N,C) weight(OC,C)^T + bias,
 * as torch.nn.functional.linear, through ws_sgemm. */
#include "wsnas/nn.h"

void ws_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC)
{
    ws_sgemm(0, 1, N, OC, C, 1.0f, inp, C, weight, C, 0.0f, out, OC);
    if (bias)
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OC; o++) out[(size_t)n * OC + o] += bias[o];
}

/* dinp (N,C) += dout * weight; dweight (OC,C) += dout^T * inp; dbias += sum_n dout */
void ws_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC)
{
    if (dinp) ws_sgemm(0, 0, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dweight) ws_sgemm(1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias)
        for (int o = 0; o < OC; o++) {
            double s = 0.0;
            for (int n = 0; n < N; n++) s += dout[(size_t)n * OC + o];
            dbias[o] += (float)s;
        }
}
