/* test_rng.c: PCG32 against the reference generator's published outputs,
 * and the statistical sanity of the derived draws. */
#include <criterion/criterion.h>
#include <math.h>

#include "wsnas/rng.h"

Test(rng, reference_vectors_seed42_seq54)
{
    /* pcg32-demo output for pcg32_srandom_r(&rng, 42u, 54u). */
    static const uint32_t expect[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                       0x83d2f293, 0xbfa4784b, 0xcbed606e};
    ws_pcg32 r;
    ws_pcg32_seed(&r, 42u, 54u);
    for (int i = 0; i < 6; i++) {
        uint32_t got = ws_pcg32_next(&r);
        cr_expect_eq(got, expect[i], "output %d: got 0x%08x, want 0x%08x", i, got, expect[i]);
    }
}

Test(rng, bounded_in_range_and_uniform)
{
    ws_pcg32 r;
    ws_pcg32_stream(&r, 7, WS_STREAM_ARCH_SAMPLE);
    enum { K = 7, DRAWS = 70000 };
    int count[K] = {0};
    for (int i = 0; i < DRAWS; i++) {
        uint32_t v = ws_pcg32_bounded(&r, K);
        cr_assert_lt(v, (uint32_t)K);
        count[v]++;
    }
    double chi2 = 0, e = (double)DRAWS / K;
    for (int k = 0; k < K; k++) chi2 += (count[k] - e) * (count[k] - e) / e;
    /* chi-square with 6 dof: P(chi2 > 22.46) = 0.001 */
    cr_expect_lt(chi2, 22.46, "chi2 = %g", chi2);
}

Test(rng, float_double_normal_moments)
{
    ws_pcg32 r;
    ws_pcg32_stream(&r, 1, WS_STREAM_INIT);
    double s = 0, s2 = 0, n1 = 0, n2 = 0, ex = 0;
    enum { N = 200000 };
    for (int i = 0; i < N; i++) {
        float f = ws_pcg32_float(&r);
        double d = ws_pcg32_double(&r);
        cr_assert(f >= 0.0f && f < 1.0f);
        cr_assert(d >= 0.0 && d < 1.0);
        s += d;
        s2 += d * d;
        double z = ws_pcg32_normal(&r);
        n1 += z;
        n2 += z * z;
        ex += ws_pcg32_exponential(&r);
    }
    cr_expect(fabs(s / N - 0.5) < 0.005);
    cr_expect(fabs(s2 / N - 1.0 / 3.0) < 0.005);
    cr_expect(fabs(n1 / N) < 0.01, "normal mean %g", n1 / N);
    cr_expect(fabs(n2 / N - 1.0) < 0.015, "normal var %g", n2 / N);
    cr_expect(fabs(ex / N - 1.0) < 0.01, "exp mean %g", ex / N);
}

Test(rng, streams_differ_and_repeat)
{
    ws_pcg32 a, b, c;
    ws_pcg32_stream(&a, 5, WS_STREAM_DATA_ORDER);
    ws_pcg32_stream(&b, 5, WS_STREAM_AUGMENT);
    ws_pcg32_stream(&c, 5, WS_STREAM_DATA_ORDER);
    int same_ab = 0;
    for (int i = 0; i < 100; i++) {
        uint32_t x = ws_pcg32_next(&a), y = ws_pcg32_next(&b), z = ws_pcg32_next(&c);
        same_ab += (x == y);
        cr_assert_eq(x, z);
    }
    cr_expect_lt(same_ab, 3);
}

Test(rng, shuffle_is_permutation)
{
    ws_pcg32 r;
    ws_pcg32_stream(&r, 3, WS_STREAM_SELECT);
    uint32_t a[1000];
    for (uint32_t i = 0; i < 1000; i++) a[i] = i;
    ws_pcg32_shuffle_u32(&r, a, 1000);
    int seen[1000] = {0}, fixed = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        cr_assert_lt(a[i], 1000u);
        seen[a[i]]++;
        fixed += (a[i] == i);
    }
    for (int i = 0; i < 1000; i++) cr_assert_eq(seen[i], 1);
    cr_expect_lt(fixed, 10);
}
