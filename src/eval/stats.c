/* stats.c: Kendall's tau-b by Knight's O(n log n) algorithm (sort by (x, y),
 * then count the discordant pairs as the swaps of a merge sort by y),
 * Spearman and Pearson through GSL, the top-K overlap P@K, mean/std. */
#include "wsnas/stats.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const double ws_stats_topk_fracs[WS_STATS_TOPK_COUNT] = {0.01, 0.05, 0.10, 0.50};

static int check_inputs(const double *x, const double *y, size_t n, size_t min_n, ws_error *err)
{
    if (n < min_n)
        return ws_error_set(err, WS_EINVAL, "need at least %zu paired values, got %zu", min_n, n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return ws_error_set(err, WS_EINVAL, "first sample, position %zu: expected a finite "
                                "number, got %g", i, x[i]);
        if (!isfinite(y[i]))
            return ws_error_set(err, WS_EINVAL, "second sample, position %zu: expected a finite "
                                "number, got %g", i, y[i]);
    }
    return 0;
}

typedef struct pair_xy {
    double x, y;
} pair_xy;

static int cmp_xy(const void *a, const void *b)
{
    const pair_xy *p = a, *q = b;
    if (p->x < q->x) return -1;
    if (p->x > q->x) return 1;
    if (p->y < q->y) return -1;
    if (p->y > q->y) return 1;
    return 0;
}

/* Number of pairs tied within runs of equal values of a sorted array
 * (sum over runs of t(t-1)/2). */
static uint64_t tied_pairs_sorted(const double *v, size_t n)
{
    uint64_t pairs = 0, run = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && v[i] == v[i - 1]) {
            run++;
        } else {
            pairs += run * (run - 1) / 2;
            run = 1;
        }
    }
    return pairs;
}

/* Bottom-up merge sort of v (n) using tmp (n); returns the number of
 * exchanges, i.e. pairs (i < j) with v[i] > v[j] strictly (equal values are
 * not counted: the left one is taken first). */
static uint64_t merge_sort_count(double *v, double *tmp, size_t n)
{
    uint64_t swaps = 0;
    double *src = v, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (src[i] <= src[j]) {
                    dst[k++] = src[i++];
                } else {
                    swaps += mid - i; /* src[j] jumps over every remaining left value */
                    dst[k++] = src[j++];
                }
            }
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
    return swaps;
}

/* tau-b = num / sqrt((n0 - n1)(n0 - n2)); NaN when a sample is constant. */
static double tau_b_ratio(double num, uint64_t n0, uint64_t n1, uint64_t n2)
{
    double dx = (double)(n0 - n1), dy = (double)(n0 - n2);
    if (dx == 0.0 || dy == 0.0) return NAN;
    return num / (sqrt(dx) * sqrt(dy));
}

int ws_stats_kendall_tau_b(const double *x, const double *y, size_t n, double *tau,
                           ws_error *err)
{
    int rc = check_inputs(x, y, n, 2, err);
    if (rc) return rc;
    pair_xy *p = malloc(n * sizeof *p);
    double *v = malloc(n * sizeof *v);
    double *tmp = malloc(n * sizeof *tmp);
    if (!p || !v || !tmp) {
        free(p);
        free(v);
        free(tmp);
        return ws_error_set(err, WS_ENOMEM, "kendall tau: out of memory for %zu values", n);
    }
    for (size_t i = 0; i < n; i++) p[i] = (pair_xy){x[i], y[i]};
    qsort(p, n, sizeof *p, cmp_xy);
    /* n1: tied in x; n3: tied in both (runs of equal (x, y) in the sort). */
    uint64_t n1 = 0, n3 = 0, run_x = 1, run_xy = 1;
    for (size_t i = 1; i <= n; i++) {
        int same_x = i < n && p[i].x == p[i - 1].x;
        int same_xy = same_x && p[i].y == p[i - 1].y;
        if (same_x) {
            run_x++;
        } else {
            n1 += run_x * (run_x - 1) / 2;
            run_x = 1;
        }
        if (same_xy) {
            run_xy++;
        } else {
            n3 += run_xy * (run_xy - 1) / 2;
            run_xy = 1;
        }
    }
    for (size_t i = 0; i < n; i++) v[i] = p[i].y;
    /* Pairs out of order in y after sorting by (x, y) are the discordant
     * ones (pairs tied in x are in y order, so they add no swaps). */
    uint64_t swaps = merge_sort_count(v, tmp, n);
    uint64_t n2 = tied_pairs_sorted(v, n);
    uint64_t n0 = (uint64_t)n * (uint64_t)(n - 1) / 2;
    /* concordant - discordant = n0 - n1 - n2 + n3 - 2 * discordant */
    double num = (double)n0 - (double)n1 - (double)n2 + (double)n3 - 2.0 * (double)swaps;
    *tau = tau_b_ratio(num, n0, n1, n2);
    free(p);
    free(v);
    free(tmp);
    return 0;
}

int ws_stats_kendall_tau_b_naive(const double *x, const double *y, size_t n, double *tau,
                                 ws_error *err)
{
    int rc = check_inputs(x, y, n, 2, err);
    if (rc) return rc;
    int64_t c_minus_d = 0;
    uint64_t n1 = 0, n2 = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            if (dx == 0.0) n1++;
            if (dy == 0.0) n2++;
            if (dx != 0.0 && dy != 0.0) c_minus_d += ((dx > 0) == (dy > 0)) ? 1 : -1;
        }
    uint64_t n0 = (uint64_t)n * (uint64_t)(n - 1) / 2;
    *tau = tau_b_ratio((double)c_minus_d, n0, n1, n2);
    return 0;
}

static int is_constant(const double *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[0]) return 0;
    return 1;
}

int ws_stats_spearman(const double *x, const double *y, size_t n, double *rho, ws_error *err)
{
    int rc = check_inputs(x, y, n, 2, err);
    if (rc) return rc;
    if (is_constant(x, n) || is_constant(y, n)) {
        *rho = NAN;
        return 0;
    }
    double *work = malloc(2 * n * sizeof *work);
    if (!work) return ws_error_set(err, WS_ENOMEM, "spearman: out of memory for %zu values", n);
    *rho = gsl_stats_spearman(x, 1, y, 1, n, work);
    free(work);
    return 0;
}

int ws_stats_pearson(const double *x, const double *y, size_t n, double *r, ws_error *err)
{
    int rc = check_inputs(x, y, n, 2, err);
    if (rc) return rc;
    if (is_constant(x, n) || is_constant(y, n)) {
        *r = NAN;
        return 0;
    }
    *r = gsl_stats_correlation(x, 1, y, 1, n);
    return 0;
}

typedef struct val_idx {
    double v;
    size_t i;
} val_idx;

/* Descending by value, ties by ascending position. */
static int cmp_desc(const void *a, const void *b)
{
    const val_idx *p = a, *q = b;
    if (p->v > q->v) return -1;
    if (p->v < q->v) return 1;
    return (p->i > q->i) - (p->i < q->i);
}

int ws_stats_top_k_overlap(const double *x, const double *y, size_t n, double frac, double *p,
                           size_t *k_out, ws_error *err)
{
    int rc = check_inputs(x, y, n, 1, err);
    if (rc) return rc;
    if (!(frac > 0.0 && frac <= 1.0))
        return ws_error_set(err, WS_ERANGE, "top-K overlap: fraction %g: expected 0 < K <= 1",
                            frac);
    size_t k = (size_t)floor(frac * (double)n);
    if (k < 1) k = 1;
    val_idx *a = malloc(n * sizeof *a);
    unsigned char *in_true = calloc(n, 1);
    if (!a || !in_true) {
        free(a);
        free(in_true);
        return ws_error_set(err, WS_ENOMEM, "top-K overlap: out of memory for %zu values", n);
    }
    for (size_t i = 0; i < n; i++) a[i] = (val_idx){y[i], i};
    qsort(a, n, sizeof *a, cmp_desc);
    for (size_t i = 0; i < k; i++) in_true[a[i].i] = 1;
    for (size_t i = 0; i < n; i++) a[i] = (val_idx){x[i], i};
    qsort(a, n, sizeof *a, cmp_desc);
    size_t hit = 0;
    for (size_t i = 0; i < k; i++) hit += in_true[a[i].i];
    *p = (double)hit / (double)k;
    if (k_out) *k_out = k;
    free(a);
    free(in_true);
    return 0;
}

void ws_stats_mean_std(const double *v, size_t n, double *mean, double *std)
{
    if (n == 0) {
        *mean = *std = NAN;
        return;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += v[i];
    double m = s / (double)n, ss = 0.0;
    for (size_t i = 0; i < n; i++) ss += (v[i] - m) * (v[i] - m);
    *mean = m;
    *std = sqrt(ss / (double)n);
}
