/* elementwise.c: ReLU forward/backward over flat buffers. */
#include "wsnas/nn.h"

#ifdef __AVX2__
#include <immintrin.h>
#endif

void ws_relu_forward(float *out, const float *inp, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

/* dinp += dout * (inp > 0): dinp is left as it is where inp <= 0 (AVX2: a
 * blend, so -0.0 stays -0.0; the same bits as the scalar loop). */
void ws_relu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    if (!dinp) return;
#ifdef __AVX2__
    size_t nv = n / 8;
#pragma omp parallel for schedule(static)
    for (size_t v = 0; v < nv; v++) {
        size_t i = v * 8;
        __m256 d = _mm256_loadu_ps(dinp + i);
        __m256 m = _mm256_cmp_ps(_mm256_loadu_ps(inp + i), _mm256_setzero_ps(), _CMP_GT_OQ);
        _mm256_storeu_ps(dinp + i, _mm256_blendv_ps(d, _mm256_add_ps(d, _mm256_loadu_ps(dout + i)), m));
    }
    for (size_t i = nv * 8; i < n; i++)
        if (inp[i] > 0.0f) dinp[i] += dout[i];
#else
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        if (inp[i] > 0.0f) dinp[i] += dout[i];
#endif
}
