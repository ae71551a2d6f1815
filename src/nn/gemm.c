/* gemm.c: the single-precision GEMM every convolution and linear layer uses,
 * routed to BLIS (Debian libblis, native API with a per-call thread count),
 * plus a plain-C reference (ws_sgemm_naive) for tests, and the engine's
 * initialisation (thread count, GEMM kernel selection).
 *
 * Kernel selection: BLIS 0.9.0 picks its haswell kernels on AVX-512 CPUs it
 * does not recognise; it reads BLIS_ARCH_TYPE once, at initialisation, as an
 * integer arch_t id (so "skx" only works because atoi gives 0 == skx), so
 * ws_nn_init sets BLIS_ARCH_TYPE to the numeric BLIS_ARCH_SKX when the CPU
 * has AVX-512F and the variable is not already set (a user setting wins).
 * bli_init must run before bli_arch_query_id: querying first aborts when
 * BLIS_ARCH_TYPE is set (the kernel registry is not yet filled).
 * Measured on the 2-core AVX-512 machine, one thread (bench_nn): skx gives
 * 166 GFLOP/s on 1024^3 against haswell's 107, but haswell's "sup" kernels
 * win on skinny shapes (M=16: 72 against 28 GFLOP/s).  The engine's hot
 * convolutions run in conv_direct.c, so the GEMM serves the classifier and
 * fallback shapes; skx is kept for the large ones. */
#include "wsnas/nn.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <blis.h>

#define WS_GEMM_THREAD_FLOPS 2e7

static int g_inited;
static int g_threads = 1;
static char g_name[96] = "BLIS (not initialised)";

void ws_nn_init(int threads)
{
    if (!g_inited) {
#if defined(__x86_64__) || defined(__i386__)
        if (getenv("BLIS_ARCH_TYPE") == NULL && __builtin_cpu_supports("avx512f"))
        {
            char v[16];
            snprintf(v, sizeof v, "%d", (int)BLIS_ARCH_SKX);
            setenv("BLIS_ARCH_TYPE", v, 0);
        }
#endif
        /* First BLIS call: fixes the architecture for the process. */
        bli_init();
        arch_t id = bli_arch_query_id();
        snprintf(g_name, sizeof g_name, "BLIS %s %s", bli_info_get_version_str(),
                 bli_arch_string(id));
        g_inited = 1;
    }
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_num_procs();
    omp_set_num_threads(threads);
#else
    threads = 1;
#endif
    g_threads = threads;
}

const char *ws_nn_gemm_name(void)
{
    if (!g_inited) ws_nn_init(g_threads);
    return g_name;
}

int ws_nn_threads(void) { return g_threads; }

void ws_sgemm(int transa, int transb, int M, int N, int K, float alpha, const float *A,
              int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    if (!g_inited) ws_nn_init(g_threads);
    /* Row-major op(A) is M x K: element (i,k) at A[i*lda+k] (or A[k*lda+i]). */
    inc_t rsa = transa ? 1 : lda, csa = transa ? lda : 1;
    inc_t rsb = transb ? 1 : ldb, csb = transb ? ldb : 1;
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    /* BLIS threads only for GEMMs big enough to amortise waking them (a
     * thread count that is fixed per shape, so results stay deterministic). */
    int nt = 2.0 * M * N * K >= WS_GEMM_THREAD_FLOPS ? g_threads : 1;
#ifdef _OPENMP
    if (omp_in_parallel()) nt = 1;
#endif
    bli_rntm_set_num_threads(nt, &rntm);
    bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, M, N, K, &alpha, (float *)(uintptr_t)A, rsa, csa,
                 (float *)(uintptr_t)B, rsb, csb, &beta, C, ldc, 1, NULL, &rntm);
}

void ws_sgemm_naive(int transa, int transb, int M, int N, int K, float alpha, const float *A,
                    int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int k = 0; k < K; k++) {
                float a = transa ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                float b = transb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                s += (double)a * b;
            }
            float *c = &C[(size_t)i * ldc + j];
            /* beta == 0 overwrites (C may hold NaN), as BLAS does. */
            *c = (float)(alpha * s + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
}
