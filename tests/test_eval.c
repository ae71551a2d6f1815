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
#include "wsnas/eval.h"
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

/* ---- final accuracies, oracle and regret on the NB201 table ------------- */

/* Builds the NB201 table into $WSNAS_TMP/<name> with the CLI (skips the
 * test visibly when ../shared is absent) and opens it. */
static ws_table *nb201_table(const char *name)
{
    const char *sh = wsfx_shared_dir();
    char csv[1024];
    snprintf(csv, sizeof csv, "%s/nb201/nb201_merged.csv", sh ? sh : "");
    if (!sh || access(csv, R_OK) != 0) cr_skip_test("%s absent: NB201 table tests skipped", csv);
    const char *bin = getenv("WSNAS_BIN");
    cr_assert(bin, "WSNAS_BIN unset");
    const char *out = wsfx_tmp_path(name);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' table import --preset nb201 '%s' -o '%s' >/dev/null", bin, csv,
             out);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "table import failed: %s", cmd);
    ws_table *t = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_table_open(out, &t, &err), 0, "%s", err.msg);
    return t;
}

static double round2(double v)
{
    return round(v * 100.0) / 100.0;
}

Test(eval, summary_oracle_regret_nb201)
{
    ws_table *t = nb201_table("eval_summary_nb201.h5");
    ws_eval_column cols[16];
    int n_cols = ws_eval_default_columns(t, cols, 16);
    cr_assert_eq(n_cols, 6);
    cr_expect_str_eq(cols[0].label, "C10 valid");
    cr_expect_str_eq(cols[0].bench, "cifar10-valid");
    cr_expect_str_eq(cols[5].metric, "test_acc_200");
    ws_error err = {0};
    int skip = -1, mixed_a = 1, mixed_b = 2;
    cr_assert_eq(ws_space_lookup(ws_table_space(t),
                                 "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~"
                                 "0|skip_connect~1|skip_connect~2|",
                                 &skip, &err),
                 0, "%s", err.msg);
    ws_eval_run runs[] = {
        {"darts", 0, skip}, {"best", 0, 6111}, {"darts", 1, skip}, {"mixed", 5, mixed_a},
        {"darts", 2, skip}, {"mixed", 6, mixed_b}, {"best", 1, 6111},
    };
    ws_eval_summary *s = NULL;
    cr_assert_eq(ws_eval_summarize(t, cols, n_cols, runs, WS_ARRAY_LEN(runs), &s, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(s->n_methods, 3);
    cr_expect_str_eq(s->method[0], "darts");
    cr_expect_str_eq(s->method[1], "best");
    cr_expect_str_eq(s->method[2], "mixed");
    cr_expect_eq(s->n_runs[0], 3);
    /* DARTS's all-skip cell: the NB201 paper's row, 39.77 54.30 15.03 15.61 16.43 16.32 (±0). */
    const double darts_paper[6] = {39.77, 54.30, 15.03, 15.61, 16.43, 16.32};
    /* The paper's optimal row is 91.61 94.37 73.49 73.51 46.77 47.31; the v1.1 table's IN16
     * valid optimum is 46.73 (checked against the column maximum below instead). */
    const double optimal_paper[6] = {91.61, 94.37, 73.49, 73.51, NAN, 47.31};
    for (int c = 0; c < 6; c++) {
        cr_expect_float_eq(round2(s->mean[c]), darts_paper[c], 1e-9, "darts %s: %.4f",
                           cols[c].label, s->mean[c]);
        cr_expect_float_eq(s->std[c], 0.0, 1e-12);
        const double *col = ws_table_column(t, cols[c].bench, cols[c].metric);
        double mx = -INFINITY;
        for (int i = 0; i < WS_ARCH_COUNT; i++)
            if (col[i] > mx) mx = col[i];
        cr_expect_eq(s->oracle[c], mx, "oracle %s", cols[c].label);
        if (!isnan(optimal_paper[c]))
            cr_expect_float_eq(round2(s->oracle[c]), optimal_paper[c], 1e-9, "optimal %s: %.4f",
                               cols[c].label, s->oracle[c]);
        cr_expect_float_eq(s->regret[c], s->oracle[c] - s->mean[c], 1e-12);
        /* mixed: mean and population std of two values, by hand */
        double a = col[mixed_a], b = col[mixed_b];
        size_t at = 2 * 6 + (size_t)c;
        cr_expect_float_eq(s->mean[at], (a + b) / 2, 1e-12);
        cr_expect_float_eq(s->std[at], fabs(a - b) / 2, 1e-12);
    }
    /* 6111 is the C10 test optimum (tied with 13714) and the C10 valid one: regret 0. */
    cr_expect_float_eq(s->regret[6 + 0], 0.0, 1e-12);
    cr_expect_float_eq(s->regret[6 + 1], 0.0, 1e-12);
    cr_expect(s->regret[6 + 2] > 0.0, "6111 is not the C100 valid optimum");
    ws_eval_summary_free(s);

    ws_eval_run bad = {"x", 3, WS_ARCH_COUNT};
    cr_expect_eq(ws_eval_summarize(t, cols, n_cols, &bad, 1, &s, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "architecture index 15625"), "%s", err.msg);
    cr_expect_null(s);
    ws_table_close(t);
}

/* Per-seed copies of a mean metric are no summary column; a time or cost
 * has no optimal row or regret (NaN, printed "-"); std is labelled ddof=0. */
Test(eval, summary_drops_seed_copies_and_costs_have_no_optimum)
{
    const char *path = wsfx_tmp_path("eval_costs.h5");
    remove(path);
    ws_error err = {0};
    static double v[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) v[i] = 10.0 + i % 50;
    cr_assert_eq(ws_table_create(path, &err), 0, "%s", err.msg);
    const char *unit_s[] = {"unit", "s", NULL}, *unit_m[] = {"unit", "M", NULL};
    static const char *const names[] = {"test_acc_4", "test_acc_4_seed1", "test_acc_4_seed2",
                                        "train_seconds_4", "other_seed1", "size"};
    for (int k = 0; k < 6; k++)
        cr_assert_eq(ws_table_write_column(path, "b", names[k], v,
                                           k == 3 ? unit_s : k == 5 ? unit_m : NULL, &err),
                     0, "%s", err.msg);
    ws_table *t = NULL;
    cr_assert_eq(ws_table_open(path, &t, &err), 0, "%s", err.msg);
    ws_eval_column cols[8];
    int n = ws_eval_default_columns(t, cols, 8);
    cr_assert_eq(n, 4, "%d columns", n);
    const char *want[] = {"b/other_seed1", "b/size", "b/test_acc_4", "b/train_seconds_4"};
    for (int c = 0; c < 4; c++) cr_expect_str_eq(cols[c].label, want[c]);
    cr_expect(ws_eval_metric_has_optimum(t, "b", "test_acc_4"));
    cr_expect(!ws_eval_metric_has_optimum(t, "b", "train_seconds_4"));
    cr_expect(!ws_eval_metric_has_optimum(t, "b", "size"), "unit M");
    ws_eval_run runs[] = {{"m", 1, 3}, {"m", 2, 10}};
    ws_eval_summary *s = NULL;
    cr_assert_eq(ws_eval_summarize(t, cols, 4, runs, 2, &s, &err), 0, "%s", err.msg);
    cr_expect_float_eq(s->oracle[2], 59.0, 0);
    cr_expect_float_eq(s->regret[2], 59.0 - 16.5, 1e-12);
    cr_expect_float_eq(s->std[2], 3.5, 1e-12, "population std of 13 and 20");
    for (int c = 1; c < 4; c += 2) {
        cr_expect(isnan(s->oracle[c]) && isnan(s->regret[c]), "%s has an optimum", want[c]);
        cr_expect_eq(s->oracle_index[c], -1);
        cr_expect_float_eq(s->mean[c], 16.5, 1e-12);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ws_eval_summary_print(s, f);
    fclose(f);
    cr_expect(strstr(buf, "ddof=0"), "%s", buf);
    const char *opt = strstr(buf, "optimal");
    cr_assert(opt, "%s", buf);
    double o[4];
    char dash1[4], dash2[4];
    cr_expect_eq(sscanf(opt, "optimal %lf %3s %lf %3s", &o[0], dash1, &o[2], dash2), 4, "%s",
                 opt);
    cr_expect_str_eq(dash1, "-");
    cr_expect_str_eq(dash2, "-");
    free(buf);
    ws_eval_summary_free(s);
    ws_table_close(t);
}

Test(eval, summary_missing_value_and_lower_is_better)
{
    const char *path = wsfx_tmp_path("eval_small.h5");
    remove(path);
    ws_error err = {0};
    static double acc[WS_ARCH_COUNT], loss[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        acc[i] = i % 100;
        loss[i] = 5.0 + (i % 7);
    }
    acc[42] = NAN;
    cr_assert_eq(ws_table_create(path, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_write_column(path, "b", "acc", acc, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_write_column(path, "b", "train_loss", loss, NULL, &err), 0, "%s",
                 err.msg);
    ws_table *t = NULL;
    cr_assert_eq(ws_table_open(path, &t, &err), 0, "%s", err.msg);
    ws_eval_column cols[4];
    cr_assert_eq(ws_eval_default_columns(t, cols, 4), 2);
    cr_expect_str_eq(cols[1].label, "b/train_loss");
    ws_eval_run runs[] = {{"m", 0, 3}, {"m", 1, 10}};
    ws_eval_summary *s = NULL;
    cr_assert_eq(ws_eval_summarize(t, cols, 2, runs, 2, &s, &err), 0, "%s", err.msg);
    cr_expect_float_eq(s->oracle[0], 99.0, 0);
    cr_expect_float_eq(s->regret[0], 99.0 - 6.5, 1e-12);
    /* loss: lower is better, oracle 5, mean (8 + 8) / 2 = 8, regret 3 >= 0 */
    cr_expect_float_eq(s->oracle[1], 5.0, 0);
    cr_expect_float_eq(s->regret[1], 3.0, 1e-12);
    ws_eval_summary_free(s);
    ws_eval_run nan_run = {"m", 9, 42};
    cr_expect_eq(ws_eval_summarize(t, cols, 2, &nan_run, 1, &s, &err), WS_ENOTFOUND);
    cr_expect(strstr(err.msg, "seed 9"), "%s", err.msg);
    ws_table_close(t);
}

/* ---- table-only baselines ---------------------------------------------- */

Test(eval, baseline_rs_matches_direct_draws_and_budgets)
{
    ws_space *sp = ws_space_alloc();
    cr_assert(sp);
    static double score[WS_ARCH_COUNT], cost[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        score[i] = (double)((i * 7919) % WS_ARCH_COUNT);
        cost[i] = 10.0;
    }
    ws_baseline_config cfg = ws_baseline_config_default();
    cfg.budget_archs = 37;
    ws_baseline_result r;
    ws_error err = {0};
    for (uint64_t seed = 0; seed < 20; seed++) {
        cr_assert_eq(ws_baseline_run(&cfg, sp, score, 1, NULL, seed, &r, &err), 0, "%s", err.msg);
        ws_pcg32 rng;
        ws_pcg32_stream(&rng, seed, WS_STREAM_BASELINE);
        int best = -1;
        for (int k = 0; k < 37; k++) {
            int idx = (int)ws_pcg32_bounded(&rng, WS_ARCH_COUNT);
            if (best < 0 || score[idx] > score[best]) best = idx;
        }
        cr_expect_eq(r.best_index, best, "seed %llu", (unsigned long long)seed);
        cr_expect_eq(r.evaluated, 37);
    }
    /* lower is better flips the choice */
    cr_assert_eq(ws_baseline_run(&cfg, sp, score, 0, NULL, 3, &r, &err), 0);
    ws_baseline_result r_hi;
    cr_assert_eq(ws_baseline_run(&cfg, sp, score, 1, NULL, 3, &r_hi, &err), 0);
    cr_expect(r.best_score < r_hi.best_score);
    /* time budget: 10 s each, 255 s -> 25 architectures, 250 s */
    cfg.budget_archs = 1000;
    cfg.budget_seconds = 255.0;
    for (int m = 0; m < 2; m++) {
        cfg.method = m;
        cr_assert_eq(ws_baseline_run(&cfg, sp, score, 1, cost, 1, &r, &err), 0, "%s", err.msg);
        cr_expect_eq(r.evaluated, 25);
        cr_expect_float_eq(r.seconds_used, 250.0, 1e-9);
    }
    cr_expect_eq(ws_baseline_run(&cfg, sp, score, 1, NULL, 1, &r, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "training times"), "%s", err.msg);
    cfg.budget_seconds = 0;
    cfg.budget_archs = 0;
    cr_expect_eq(ws_baseline_run(&cfg, sp, score, 1, NULL, 1, &r, &err), WS_ERANGE);
    ws_space_free(sp);
}

Test(eval, baseline_rea_determinism_and_search_quality)
{
    ws_space *sp = ws_space_alloc();
    cr_assert(sp);
    /* a smooth score: number of 3x3 convs, then 1x1 convs (optimum: all 3x3) */
    static double score[WS_ARCH_COUNT];
    int opt = -1;
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        ws_arch a = ws_space_arch(sp, i);
        double s = 0;
        for (int e = 0; e < WS_EDGES; e++)
            s += a.op[e] == WS_OP_CONV3X3 ? 1.0 : a.op[e] == WS_OP_CONV1X1 ? 0.5 : 0.0;
        score[i] = s;
        if (s == 6.0) opt = i;
    }
    ws_baseline_config cfg = ws_baseline_config_default();
    cfg.method = WS_BASELINE_REA;
    cfg.budget_archs = 300;
    ws_baseline_result a, b;
    ws_error err = {0};
    int rea_opt = 0, rs_opt = 0;
    for (uint64_t seed = 0; seed < 30; seed++) {
        cfg.method = WS_BASELINE_REA;
        cr_assert_eq(ws_baseline_run(&cfg, sp, score, 1, NULL, seed, &a, &err), 0, "%s", err.msg);
        cr_assert_eq(ws_baseline_run(&cfg, sp, score, 1, NULL, seed, &b, &err), 0, "%s", err.msg);
        cr_expect_eq(a.best_index, b.best_index, "REA not deterministic at seed %llu",
                     (unsigned long long)seed);
        cr_expect_eq(a.evaluated, 300);
        rea_opt += a.best_index == opt;
        cfg.method = WS_BASELINE_RS;
        cr_assert_eq(ws_baseline_run(&cfg, sp, score, 1, NULL, seed, &b, &err), 0, "%s", err.msg);
        rs_opt += b.best_index == opt;
    }
    /* 300 random draws hit the single optimum with probability 300/15625 ~ 2 %; evolution on
     * this smooth score should find it in most runs. */
    cr_expect_geq(rea_opt, 20, "REA found the optimum in %d/30 runs", rea_opt);
    cr_expect_leq(rs_opt, 5, "RS found the optimum in %d/30 runs", rs_opt);
    ws_space_free(sp);
}

/* Budget 100 over 500 seeds, searched on cifar10-valid valid_acc_12: the NB201 paper reports
 * (12,000 simulated seconds instead) REA 93.92±0.30 and RS 93.70±0.36 on C10 test. */
Test(eval, baseline_nb201_rea_beats_rs)
{
    ws_table *t = nb201_table("eval_baseline_nb201.h5");
    const double *score = ws_table_column(t, "cifar10-valid", "valid_acc_12");
    cr_assert(score);
    ws_eval_column cols[8];
    int n_cols = ws_eval_default_columns(t, cols, 8);
    cr_assert_eq(n_cols, 6);
    static ws_eval_run runs[1000];
    ws_error err = {0};
    ws_baseline_config cfg = ws_baseline_config_default();
    for (int m = 0; m < 2; m++)
        for (int s = 0; s < 500; s++) {
            cfg.method = m;
            ws_baseline_result r;
            cr_assert_eq(ws_baseline_run(&cfg, ws_table_space(t), score, 1, NULL, (uint64_t)s, &r,
                                         &err),
                         0, "%s", err.msg);
            ws_eval_run *run = &runs[m * 500 + s];
            snprintf(run->method, sizeof run->method, "%s", m ? "REA" : "RS");
            run->seed = (uint64_t)s;
            run->arch_index = r.best_index;
        }
    ws_eval_summary *sum = NULL;
    cr_assert_eq(ws_eval_summarize(t, cols, n_cols, runs, 1000, &sum, &err), 0, "%s", err.msg);
    double rs = sum->mean[1], rea = sum->mean[6 + 1];
    cr_expect(rea > rs, "REA %.3f should beat RS %.3f on C10 test", rea, rs);
    cr_expect(rs > 93.2 && rs < 94.2, "RS C10 test %.3f far from the paper's 93.70", rs);
    cr_expect(rea > 93.4 && rea < 94.37, "REA C10 test %.3f far from the paper's 93.92", rea);
    for (int c = 0; c < 6; c++) cr_expect(sum->regret[c] > 0 && sum->regret[6 + c] > 0);
    ws_eval_summary_free(sum);
    ws_table_close(t);
}

Test(eval, baseline_cli_bad_input)
{
    char out[8192];
    cr_expect_neq(wsfx_run_cli("baseline /nonexistent.h5", out, sizeof out), 0);
    cr_expect(strstr(out, "/nonexistent.h5"), "%s", out);
    cr_expect_neq(wsfx_run_cli("baseline --method bogus x.h5", out, sizeof out), 0);
    cr_expect(strstr(out, "unknown baseline 'bogus'"), "%s", out);
    cr_expect_neq(wsfx_run_cli("baseline --budget 0 x.h5", out, sizeof out), 0);
    cr_expect(strstr(out, "--budget"), "%s", out);
    cr_expect_neq(wsfx_run_cli("baseline --budget-seconds 100 x.h5", out, sizeof out), 0);
    cr_expect(strstr(out, "--time-metric"), "%s", out);
}

/* ---- rank disorder: sample, truth, statistics, pairs file ---------------- */

Test(eval, oneshot_sample_uniform_and_iso)
{
    ws_space *sp = ws_space_alloc();
    cr_assert(sp);
    static int a[WS_ARCH_COUNT], b[WS_ARCH_COUNT];
    static unsigned char seen[WS_ARCH_COUNT];
    int n = 0, m = 0;
    ws_error err = {0};
    cr_assert_eq(ws_oneshot_sample(sp, WS_ONESHOT_UNIFORM, 200, 5, a, &n, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(n, 200);
    cr_assert_eq(ws_oneshot_sample(sp, WS_ONESHOT_UNIFORM, 200, 5, b, &m, &err), 0);
    cr_expect_arr_eq(a, b, 200 * sizeof(int), "same seed, different sample");
    for (int i = 0; i < n; i++) {
        cr_assert(a[i] >= 0 && a[i] < WS_ARCH_COUNT);
        cr_expect(!seen[a[i]], "index %d drawn twice", a[i]);
        seen[a[i]] = 1;
    }
    cr_assert_eq(ws_oneshot_sample(sp, WS_ONESHOT_UNIFORM, 200, 6, b, &m, &err), 0);
    int same = 0;
    for (int i = 0; i < 200; i++) same += a[i] == b[i];
    cr_expect_lt(same, 5, "seeds 5 and 6 give nearly the same sample");
    /* the full sample is a permutation */
    memset(seen, 0, sizeof seen);
    cr_assert_eq(ws_oneshot_sample(sp, WS_ONESHOT_UNIFORM, WS_ARCH_COUNT, 1, a, &n, &err), 0);
    for (int i = 0; i < n; i++) seen[a[i]]++;
    for (int i = 0; i < WS_ARCH_COUNT; i++) cr_assert_eq(seen[i], 1, "index %d", i);
    cr_expect_eq(ws_oneshot_sample(sp, WS_ONESHOT_UNIFORM, 0, 1, a, &n, &err), WS_ERANGE);
    cr_expect_eq(ws_oneshot_sample(sp, WS_ONESHOT_UNIFORM, WS_ARCH_COUNT + 1, 1, a, &n, &err),
                 WS_ERANGE);
    cr_assert_eq(ws_oneshot_sample(sp, WS_ONESHOT_ISO_ALL, 0, 0, a, &n, &err), 0);
    cr_expect_eq(n, WS_ISO_CLASSES);
    for (int i = 0; i < n; i++) cr_expect_eq(ws_space_iso_class(sp, a[i]), a[i]);
    ws_space_free(sp);
}

/* A partial table: the sample comes only from filled rows, is distinct,
 * deterministic, covers every filled row when n equals their count, and a
 * request larger than the filled count is refused. */
Test(eval, oneshot_sample_filled_rows_only)
{
    static uint8_t mask[WS_ARCH_COUNT];
    static int a[WS_ARCH_COUNT], b[WS_ARCH_COUNT];
    static unsigned char seen[WS_ARCH_COUNT];
    int filled = 0, n = 0, m = 0;
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        mask[i] = (uint8_t)(i % 7 == 3 || i == WS_ARCH_COUNT - 1);
        filled += mask[i];
    }
    ws_error err = {0};
    cr_assert_eq(ws_oneshot_sample_filled(mask, 300, 9, a, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 300);
    cr_assert_eq(ws_oneshot_sample_filled(mask, 300, 9, b, &m, &err), 0);
    cr_expect_arr_eq(a, b, 300 * sizeof(int), "same seed, different sample");
    for (int i = 0; i < n; i++) {
        cr_assert(a[i] >= 0 && a[i] < WS_ARCH_COUNT);
        cr_expect(mask[a[i]], "index %d is not filled", a[i]);
        cr_expect(!seen[a[i]], "index %d drawn twice", a[i]);
        seen[a[i]] = 1;
    }
    memset(seen, 0, sizeof seen);
    cr_assert_eq(ws_oneshot_sample_filled(mask, filled, 2, a, &n, &err), 0);
    for (int i = 0; i < n; i++) seen[a[i]]++;
    for (int i = 0; i < WS_ARCH_COUNT; i++) cr_expect_eq(seen[i], mask[i], "index %d", i);
    cr_expect_eq(ws_oneshot_sample_filled(mask, filled + 1, 2, a, &n, &err), WS_ERANGE);
    cr_expect(strstr(err.msg, "expected 1.."), "message: %s", err.msg);
}

/* The 12-epoch accuracy as a stand-in "one-shot" score against the 200-epoch
 * one: the whole pipeline (sample, truth, statistics, pairs file) on real
 * data, the fast tau-b checked against the O(n^2) count. */
Test(eval, oneshot_pipeline_on_nb201_proxy)
{
    ws_table *t = nb201_table("eval_oneshot_nb201.h5");
    const ws_space *sp = ws_table_space(t);
    static int archs[WS_ARCH_COUNT];
    static double proxy[WS_ARCH_COUNT], truth[WS_ARCH_COUNT];
    int n = 0;
    ws_error err = {0};
    for (int mode = 0; mode < 2; mode++) {
        cr_assert_eq(ws_oneshot_sample(sp, mode, 200, 3, archs, &n, &err), 0, "%s", err.msg);
        cr_assert_eq(ws_oneshot_truth(t, "cifar10-valid", "valid_acc_12", archs, n, mode, proxy,
                                      &err),
                     0, "%s", err.msg);
        cr_assert_eq(ws_oneshot_truth(t, "cifar10-valid", "valid_acc_200", archs, n, mode, truth,
                                      &err),
                     0, "%s", err.msg);
        ws_oneshot_stats st;
        cr_assert_eq(ws_oneshot_compare(proxy, truth, (size_t)n, &st, &err), 0, "%s", err.msg);
        double naive;
        cr_assert_eq(ws_stats_kendall_tau_b_naive(proxy, truth, (size_t)n, &naive, &err), 0);
        cr_expect(fabs(st.kendall_tau_b - naive) < 1e-12, "tau %.15g naive %.15g",
                  st.kendall_tau_b, naive);
        /* 12 vs 200 epochs correlate strongly on NB201 (Pearson ~0.9 per its maintainer) */
        cr_expect(st.kendall_tau_b > 0.5 && st.spearman_rho > 0.7 && st.pearson_r > 0.7,
                  "mode %d: tau %.3f rho %.3f r %.3f", mode, st.kendall_tau_b, st.spearman_rho,
                  st.pearson_r);
        if (mode == 1) {
            /* iso mean: the representative's value is the class mean */
            double mean;
            int cnt;
            cr_assert_eq(ws_table_iso_mean(t, "cifar10-valid", "valid_acc_200", archs[17], &mean,
                                           &cnt, &err),
                         0);
            cr_expect_float_eq(truth[17], mean, 1e-12);
        }
    }
    const char *path = wsfx_tmp_path("eval_pairs_test.csv");
    cr_assert_eq(ws_oneshot_write_pairs(path, sp, archs, proxy, truth, 3, "cifar10-valid/valid_acc_200",
                                        &err),
                 0, "%s", err.msg);
    FILE *f = fopen(path, "r");
    cr_assert(f);
    char line[512];
    cr_assert(fgets(line, sizeof line, f));
    cr_expect_str_eq(line, "arch_index,arch,oneshot,true,truth\n");
    cr_assert(fgets(line, sizeof line, f));
    int idx;
    cr_expect_eq(sscanf(line, "%d,", &idx), 1);
    cr_expect_eq(idx, archs[0]);
    cr_expect(strstr(line, ",cifar10-valid/valid_acc_200\n"), "%s", line);
    fclose(f);
    cr_expect_eq(ws_oneshot_write_pairs("/nonexistent/dir/p.csv", sp, archs, proxy, truth, 3,
                                        "b/m", &err),
                 WS_EIO);
    ws_table_close(t);
}

Test(eval, baseline_cli_time_budget_and_runs_csv)
{
    const char *table = wsfx_tmp_path("eval_timed.h5");
    remove(table);
    ws_error err = {0};
    static double acc[WS_ARCH_COUNT], secs[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        acc[i] = (i * 37) % 1000 / 10.0;
        secs[i] = 100.0 + i % 3; /* 100, 101 or 102 s */
    }
    cr_assert_eq(ws_table_create(table, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_write_column(table, "b", "valid_acc_12", acc, NULL, &err), 0);
    cr_assert_eq(ws_table_write_column(table, "b", "train_seconds_12", secs, NULL, &err), 0);
    const char *csv = wsfx_tmp_path("eval_timed_runs.csv");
    remove(csv);
    char args[2048], out[8192];
    snprintf(args, sizeof args,
             "baseline '%s' --search b/valid_acc_12 --time-metric b/train_seconds_12 "
             "--budget 1000 --budget-seconds 1000 --seeds 4 --runs-csv '%s'",
             table, csv);
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "RS "), "%s", out);
    cr_expect(strstr(out, "REA "), "%s", out);
    FILE *f = fopen(csv, "r");
    cr_assert(f, "%s not written", csv);
    char line[1024];
    cr_assert(fgets(line, sizeof line, f));
    cr_expect_str_eq(line, "method,seed,arch_index,search_score,evaluated,seconds,"
                           "b/train_seconds_12,b/valid_acc_12\n");
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        char method[16];
        unsigned long long seed;
        int arch, evaluated;
        double score, seconds;
        cr_assert_eq(sscanf(line, "%15[^,],%llu,%d,%lf,%d,%lf", method, &seed, &arch, &score,
                            &evaluated, &seconds),
                     6, "%s", line);
        /* 100..102 s each within 1000 s: 9 or 10 architectures, never over budget */
        cr_expect(evaluated >= 9 && evaluated <= 10, "%s", line);
        cr_expect(seconds <= 1000.0 && seconds > 1000.0 - 102.0, "%s", line);
        cr_expect_float_eq(score, acc[arch], 1e-12, "%s", line);
        rows++;
    }
    fclose(f);
    cr_expect_eq(rows, 8);
    snprintf(args, sizeof args, "baseline '%s' --search b/nope", table);
    cr_expect_neq(wsfx_run_cli(args, out, sizeof out), 0);
    cr_expect(strstr(out, "no column b/nope"), "%s", out);
}

/* ---- one-shot scores with the shared weights --------------------------------- */
#include "wsnas/nn.h"
#include "wsnas/supernet.h"

Test(eval, oneshot_score_order_independent_and_matches_forward)
{
    ws_net_config nc = {.C = 4, .N = 1, .in_channels = 1, .in_size = 8, .classes = 10,
                        .max_batch = 16, .cell_bn_affine = 0, .cell_bn_track = 1,
                        .standalone = 0, .pc_k = 1};
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&nc, &err);
    cr_assert(net, "%s", err.msg);
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 3, WS_STREAM_INIT);
    ws_net_init(net, &rng);
    /* move the running statistics away from 0/1 with a few train forwards */
    enum { NI = 40, NC = 24 };
    static float x[NI * 64], cx[NC * 64];
    static int y[NI], cy[NC];
    for (int i = 0; i < NI * 64; i++) x[i] = (float)ws_pcg32_normal(&rng);
    for (int i = 0; i < NC * 64; i++) cx[i] = (float)ws_pcg32_normal(&rng) * 2.0f + 0.5f;
    for (int i = 0; i < NI; i++) y[i] = (int)ws_pcg32_bounded(&rng, 10);
    for (int i = 0; i < NC; i++) cy[i] = (int)ws_pcg32_bounded(&rng, 10);
    ws_mix full;
    memset(&full, 0, sizeof full);
    full.mode = WS_MIX_FULL;
    for (int e = 0; e < WS_EDGES; e++) {
        full.edge_scale[e] = 1.0f;
        for (int o = 0; o < WS_OP_COUNT; o++) full.w[e][o] = 0.2f;
    }
    ws_net_forward(net, cx, cy, 16, &full, 1, NULL);
    ws_space *sp = ws_space_alloc();
    cr_assert(sp);
    size_t nbuf;
    float *buf = ws_net_buffers(net, &nbuf);
    float *before = malloc(nbuf * sizeof *before);
    memcpy(before, buf, nbuf * sizeof *buf);
    int archs[4] = {1, 6111, 1835, 9930}, rev[4] = {9930, 1835, 6111, 1};
    for (int mode = 0; mode < 3; mode++) {
        double a[4], b[4];
        cr_assert_eq(ws_oneshot_score(net, sp, archs, 4, x, y, NI, 16, mode, cx, cy, NC, a, &err),
                     0, "%s", err.msg);
        cr_expect_arr_eq(buf, before, nbuf * sizeof *buf, "mode %d: BN buffers not restored", mode);
        cr_assert_eq(ws_oneshot_score(net, sp, rev, 4, x, y, NI, 16, mode, cx, cy, NC, b, &err), 0);
        for (int i = 0; i < 4; i++)
            cr_expect_eq(a[i], b[3 - i], "mode %d arch %d: %g vs %g in reverse order", mode,
                         archs[i], a[i], b[3 - i]);
        if (mode == WS_BN_RUNNING) {
            /* by hand: eval-mode forwards of the fixed path, batches of 16 */
            ws_arch ar = ws_space_arch(sp, archs[1]);
            ws_mix m;
            memset(&m, 0, sizeof m);
            m.mode = WS_MIX_SINGLE;
            for (int e = 0; e < WS_EDGES; e++) m.sel[e] = ar.op[e], m.edge_scale[e] = 1.0f;
            int hits = 0;
            for (int i = 0; i < NI; i += 16) {
                int c = 0;
                ws_net_forward(net, x + i * 64, y + i, NI - i < 16 ? NI - i : 16, &m, 0, &c);
                hits += c;
            }
            cr_expect_float_eq(a[1], 100.0 * hits / NI, 1e-12);
        }
    }
    double s;
    cr_expect_eq(ws_oneshot_score(net, sp, archs, 1, x, y, NI, 17, 0, NULL, NULL, 0, &s, &err),
                 WS_ERANGE);
    cr_expect_eq(ws_oneshot_score(net, sp, archs, 1, x, y, NI, 16, WS_BN_RECALIBRATE, NULL, NULL,
                                  0, &s, &err),
                 WS_EINVAL);
    int mode;
    cr_expect_eq(ws_oneshot_parse_bn("batchy", &mode, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "batch, running or recalibrate"), "%s", err.msg);
    free(before);
    ws_space_free(sp);
    ws_net_free(net);
}

/* The forward-only scorer (ws_oneshot_set_fast(1), the default) against
 * ordinary forwards (0): the same accuracies for batch and running
 * statistics over several batches (the last one short), at C = 8 on 16x16
 * inputs (Winograd 3x3 convolutions), at 2 threads (two copies of the
 * network score architectures side by side). */
Test(eval, oneshot_score_fast_equals_forwards)
{
    ws_nn_init(2);
    ws_net_config nc = {.C = 8, .N = 2, .in_channels = 3, .in_size = 16, .classes = 10,
                        .max_batch = 16, .cell_bn_affine = 0, .cell_bn_track = 1, .pc_k = 1};
    ws_error err = {0};
    ws_net *net = ws_net_alloc(&nc, &err);
    ws_space *sp = ws_space_alloc();
    cr_assert(net && sp, "%s", err.msg);
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, 8, WS_STREAM_INIT);
    ws_net_init(net, &rng);
    enum { NI = 40, IMG = 3 * 16 * 16, NA = 50 };
    static float x[NI * IMG];
    static int y[NI], archs[NA];
    for (int i = 0; i < NI * IMG; i++) x[i] = (float)ws_pcg32_normal(&rng);
    for (int i = 0; i < NI; i++) y[i] = (int)ws_pcg32_bounded(&rng, 10);
    ws_mix full;
    ws_mix_init(&full, WS_MIX_FULL);
    ws_net_forward(net, x, y, 16, &full, 1, NULL); /* running statistics away from 0/1 */
    for (int i = 0; i < NA; i++) archs[i] = (int)ws_pcg32_bounded(&rng, WS_ARCH_COUNT);
    for (int mode = WS_BN_BATCH; mode <= WS_BN_RUNNING; mode++) {
        double a[NA], b[NA];
        ws_oneshot_set_fast(0);
        cr_assert_eq(ws_oneshot_score(net, sp, archs, NA, x, y, NI, 16, mode, NULL, NULL, 0, a,
                                      &err), 0, "%s", err.msg);
        ws_oneshot_set_fast(1);
        cr_assert_eq(ws_oneshot_score(net, sp, archs, NA, x, y, NI, 16, mode, NULL, NULL, 0, b,
                                      &err), 0, "%s", err.msg);
        for (int i = 0; i < NA; i++)
            cr_expect_eq(a[i], b[i], "mode %d architecture %d: forwards %g, scorer %g", mode,
                         archs[i], a[i], b[i]);
    }
    ws_space_free(sp);
    ws_net_free(net);
}

/* A tiny real search (Fashion-MNIST, C=4, 8x8, 2 epochs) and `wsnas eval` on it. */
Test(eval, eval_cli_on_a_tiny_search)
{
    ws_table *t = nb201_table("eval_cli_nb201.h5");
    ws_table_close(t);
    const char *table = wsfx_tmp_path("eval_cli_nb201.h5");
    const char *run = wsfx_tmp_path("eval_cli_run");
    char args[4096], out[16384];
    snprintf(args, sizeof args, "rm -rf '%s'", run);
    cr_assert_eq(system(args), 0);
    snprintf(args, sizeof args,
             "search --method darts --set C=4 --set N=1 --set image_size=8 --set train_size=256 "
             "--set valid_size=128 --set eval_size=64 --set batch=32 --epochs 2 --seed 3 --out '%s'",
             run);
    int st = wsfx_run_cli(args, out, sizeof out);
    if (st != 0 && strstr(out, "fashion")) cr_skip_test("Fashion-MNIST unavailable: %s", out);
    cr_assert_eq(st, 0, "%s", out);
    snprintf(args, sizeof args, "eval '%s' --table '%s' --sample 30 --images 100 --batch 50", run,
             table);
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "30 architectures"), "%s", out);
    cr_expect(strstr(out, "100 held-out images, BN batch"), "%s", out);
    cr_expect(strstr(out, "kendall_tau_b"), "%s", out);
    char pairs[1200];
    snprintf(pairs, sizeof pairs, "%s/eval_pairs.csv", run);
    FILE *f = fopen(pairs, "r");
    cr_assert(f, "%s not written", pairs);
    char first[64 * 1024];
    size_t n1 = fread(first, 1, sizeof first - 1, f);
    first[n1] = '\0';
    fclose(f);
    int lines = 0;
    for (size_t i = 0; i < n1; i++) lines += first[i] == '\n';
    cr_expect_eq(lines, 31);
    /* deterministic: the same command gives the same file */
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "%s", out);
    f = fopen(pairs, "r");
    char second[64 * 1024];
    size_t n2 = fread(second, 1, sizeof second - 1, f);
    second[n2] = '\0';
    fclose(f);
    cr_expect(n1 == n2 && !memcmp(first, second, n1), "eval_pairs.csv differs between runs");
    /* other BN modes and the checkpoint path run too */
    snprintf(args, sizeof args,
             "eval '%s/checkpoint.bin' --table '%s' --sample 10 --images 64 --bn recalibrate "
             "--calib-images 64 --out '%s/p2.csv'",
             run, table, run);
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "(64 calibration images)"), "%s", out);
    /* the report reads the pairs */
    snprintf(args, sizeof args, "report --no-plots --out-results '%s/res' '%s'", run, run);
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "rank correlation darts seed 3: n 30"), "%s", out);
    /* bad input: one line, non-zero */
    snprintf(args, sizeof args, "eval '%s/nowhere' --table '%s'", run, table);
    cr_expect_neq(wsfx_run_cli(args, out, sizeof out), 0);
    cr_expect(strstr(out, "nowhere"), "%s", out);
    snprintf(args, sizeof args, "eval '%s' --table '%s' --bn fast", run, table);
    cr_expect_neq(wsfx_run_cli(args, out, sizeof out), 0);
    cr_expect(strstr(out, "BN mode 'fast'"), "%s", out);
    snprintf(args, sizeof args, "eval '%s' --table '%s' --truth cifar10/nope", run, table);
    cr_expect_neq(wsfx_run_cli(args, out, sizeof out), 0);
    cr_expect(strstr(out, "no column cifar10/nope"), "%s", out);
}
