/* test_eval.c: statistics (tau-b, Spearman, Pearson, P@K against scipy
 * values from tests/gen_stats_fixtures.py; fast tau-b against the O(n^2)
 * count on random data with ties), final-accuracy summaries, the oracle and
 * regret, and the table-only baselines on the NB201 table. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "wsnas/rng.h"
#include "wsnas/stats.h"

static void check_stats_set(const wsfx *fx, const char *name)
{
    char kx[64], ky[64], kr[64];
    snprintf(kx, sizeof kx, "%s_x", name);
    snprintf(ky, sizeof ky, "%s_y", name);
    snprintf(kr, sizeof kr, "%s_ref", name);
    const wsfx_tensor *x = wsfx_get(fx, kx), *y = wsfx_get(fx, ky), *r = wsfx_get(fx, kr);
    cr_assert(x && y && r, "fixture %s missing", name);
    cr_assert_eq(r->numel, 3 + WS_STATS_TOPK_COUNT);
    size_t n = x->numel;
    double got[3 + WS_STATS_TOPK_COUNT];
    ws_error err = {0};
    cr_assert_eq(ws_stats_kendall_tau_b(x->data, y->data, n, &got[0], &err), 0, "%s", err.msg);
    cr_assert_eq(ws_stats_spearman(x->data, y->data, n, &got[1], &err), 0, "%s", err.msg);
    cr_assert_eq(ws_stats_pearson(x->data, y->data, n, &got[2], &err), 0, "%s", err.msg);
    for (int k = 0; k < WS_STATS_TOPK_COUNT; k++)
        cr_assert_eq(ws_stats_top_k_overlap(x->data, y->data, n, ws_stats_topk_fracs[k],
                                            &got[3 + k], NULL, &err),
                     0, "%s", err.msg);
    char what[64];
    snprintf(what, sizeof what, "stats %s (tau rho r P@1 P@5 P@10 P@50)", name);
    cr_expect_leq(wsfx_compare_d(what, got, r->data, r->numel, 1e-12, 1e-12), 1.0);
}

Test(eval, stats_match_scipy_with_ties)
{
    wsfx *fx = wsfx_load("stats.wsfx");
    cr_assert(fx, "tests/fixtures/stats.wsfx missing");
    check_stats_set(fx, "d0");
    check_stats_set(fx, "d1");
    check_stats_set(fx, "d2");
    check_stats_set(fx, "d3");
    wsfx_free(fx);
}

Test(eval, tau_b_fast_equals_naive_on_random_data)
{
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 7, 99);
    static double x[3000], y[3000];
    const size_t sizes[] = {2, 3, 5, 17, 64, 255, 1000, 3000};
    for (size_t s = 0; s < WS_ARRAY_LEN(sizes); s++) {
        size_t n = sizes[s];
        for (int variant = 0; variant < 3; variant++) {
            /* variant 0: continuous; 1: few distinct values; 2: y = f(x) + ties */
            for (size_t i = 0; i < n; i++) {
                if (variant == 0) {
                    x[i] = ws_pcg32_double(&rng);
                    y[i] = ws_pcg32_double(&rng);
                } else if (variant == 1) {
                    x[i] = ws_pcg32_bounded(&rng, 4);
                    y[i] = ws_pcg32_bounded(&rng, 3);
                } else {
                    x[i] = ws_pcg32_bounded(&rng, 20);
                    y[i] = floor(x[i] / 3) + ws_pcg32_bounded(&rng, 2);
                }
            }
            double fast, naive;
            ws_error err = {0};
            cr_assert_eq(ws_stats_kendall_tau_b(x, y, n, &fast, &err), 0, "%s", err.msg);
            cr_assert_eq(ws_stats_kendall_tau_b_naive(x, y, n, &naive, &err), 0, "%s", err.msg);
            if (isnan(naive)) {
                cr_expect(isnan(fast), "n=%zu variant %d: naive NaN, fast %g", n, variant, fast);
            } else {
                cr_expect(fabs(fast - naive) <= 1e-12, "n=%zu variant %d: fast %.17g naive %.17g",
                          n, variant, fast, naive);
            }
        }
    }
}

Test(eval, stats_edge_cases)
{
    ws_error err = {0};
    double x[4] = {1, 2, 3, 4}, c[4] = {5, 5, 5, 5}, v;
    cr_expect_eq(ws_stats_kendall_tau_b(x, x, 4, &v, &err), 0);
    cr_expect_float_eq(v, 1.0, 1e-15);
    double rev[4] = {4, 3, 2, 1};
    cr_expect_eq(ws_stats_kendall_tau_b(x, rev, 4, &v, &err), 0);
    cr_expect_float_eq(v, -1.0, 1e-15);
    cr_expect_eq(ws_stats_kendall_tau_b(x, c, 4, &v, &err), 0);
    cr_expect(isnan(v), "constant sample: tau should be NaN, got %g", v);
    cr_expect_eq(ws_stats_spearman(x, c, 4, &v, &err), 0);
    cr_expect(isnan(v));
    cr_expect_eq(ws_stats_pearson(c, x, 4, &v, &err), 0);
    cr_expect(isnan(v));
    cr_expect_eq(ws_stats_kendall_tau_b(x, x, 1, &v, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "at least 2"), "%s", err.msg);
    double bad[4] = {1, NAN, 3, 4};
    cr_expect_eq(ws_stats_spearman(x, bad, 4, &v, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "position 1"), "%s", err.msg);
    cr_expect_eq(ws_stats_top_k_overlap(x, x, 4, 0.0, &v, NULL, &err), WS_ERANGE);
    cr_expect_eq(ws_stats_top_k_overlap(x, x, 4, 1.5, &v, NULL, &err), WS_ERANGE);
    size_t k;
    cr_expect_eq(ws_stats_top_k_overlap(x, rev, 4, 0.5, &v, &k, &err), 0);
    cr_expect_eq(k, 2);
    cr_expect_float_eq(v, 0.0, 0);
    cr_expect_eq(ws_stats_top_k_overlap(x, rev, 4, 1.0, &v, &k, &err), 0);
    cr_expect_float_eq(v, 1.0, 0);
    double m, s;
    double w[4] = {1, 2, 3, 4};
    ws_stats_mean_std(w, 4, &m, &s);
    cr_expect_float_eq(m, 2.5, 1e-15);
    cr_expect_float_eq(s, sqrt(1.25), 1e-15);
}
