/* stats.h: rank statistics for comparing one-shot scores with true
 * accuracies: Kendall's tau-b (O(n log n), Knight's merge-sort algorithm;
 * GSL has none), Spearman's rho (GSL, average ranks for ties), Pearson's r
 * (GSL) and the top-K overlap P@K of Ning et al. (aw_nas), plus small
 * mean/std helpers for summaries.
 *
 * All take two samples x[0..n-1], y[0..n-1] of the same length.  NaN or
 * infinite entries are refused (WS_EINVAL naming the position).  A statistic
 * that is undefined because one sample is constant (a zero denominator) is
 * returned as NaN with status 0, as scipy does. */
#ifndef WSNAS_STATS_H
#define WSNAS_STATS_H

#include <stddef.h>

#include "wsnas/common.h"

/* Kendall's tau-b, as scipy.stats.kendalltau(x, y) (variant 'b'):
 * (concordant - discordant) / sqrt((n0 - n1)(n0 - n2)), n0 = n(n-1)/2,
 * n1/n2 = pairs tied in x / in y.  n >= 2.  O(n log n) time, O(n) memory
 * (allocated inside; WS_ENOMEM if that fails). */
int ws_stats_kendall_tau_b(const double *x, const double *y, size_t n, double *tau,
                           ws_error *err);
/* The same by direct O(n^2) pair counting (reference for tests). */
int ws_stats_kendall_tau_b_naive(const double *x, const double *y, size_t n, double *tau,
                                 ws_error *err);
/* Spearman's rho: Pearson's r of the average ranks (gsl_stats_spearman);
 * equals scipy.stats.spearmanr.  n >= 2. */
int ws_stats_spearman(const double *x, const double *y, size_t n, double *rho, ws_error *err);
/* Pearson's r (gsl_stats_correlation).  n >= 2. */
int ws_stats_pearson(const double *x, const double *y, size_t n, double *r, ws_error *err);

/* P@K: with k = max(1, floor(frac * n)), the fraction of the k items with
 * the highest y (truth) that are also among the k items with the highest x
 * (prediction).  Ties are broken by position (the earlier item ranks
 * higher), so the result is deterministic.  0 < frac <= 1, n >= 1.  *k_out
 * (may be NULL) receives k. */
int ws_stats_top_k_overlap(const double *x, const double *y, size_t n, double frac, double *p,
                           size_t *k_out, ws_error *err);

/* The K fractions reported by default: 1, 5, 10 and 50 %. */
#define WS_STATS_TOPK_COUNT 4
extern const double ws_stats_topk_fracs[WS_STATS_TOPK_COUNT];

/* Mean and population standard deviation (ddof = 0, as NB201's
 * visualize.py) of n values; n = 0 gives NaN for both. */
void ws_stats_mean_std(const double *v, size_t n, double *mean, double *std);

#endif
