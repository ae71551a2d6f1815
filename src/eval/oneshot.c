/* oneshot.c: rank disorder of a supernet (methods.md §3.2), the parts that
 * do not need the network: the architecture sample (uniform or one per
 * isomorphism class), the true accuracies from a table, the statistics
 * (tau-b, Spearman, Pearson, P@K) and the pairs file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsnas/eval.h"
#include "wsnas/rng.h"
#include "wsnas/stats.h"

/* Partial Fisher-Yates over cand[0..m-1] in place: position i takes a
 * uniform pick of the rest, so cand[0..n-1] is the sample in draw order. */
static int draw_distinct(int *cand, int m, int n, uint64_t seed, int *n_out, ws_error *err)
{
    if (n < 1 || n > m)
        return ws_error_set(err, WS_ERANGE, "one-shot sample: size %d: expected 1..%d", n, m);
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, seed, WS_STREAM_SELECT);
    for (int i = 0; i < n; i++) {
        int j = i + (int)ws_pcg32_bounded(&rng, (uint32_t)(m - i));
        int tmp = cand[i];
        cand[i] = cand[j];
        cand[j] = tmp;
    }
    *n_out = n;
    return 0;
}

int ws_oneshot_sample(const ws_space *sp, int mode, int n, uint64_t seed, int *out, int *n_out,
                      ws_error *err)
{
    if (mode == WS_ONESHOT_ISO_ALL) {
        int k = 0;
        for (int i = 0; i < WS_ARCH_COUNT; i++)
            if (ws_space_iso_class(sp, i) == i) out[k++] = i;
        *n_out = k;
        return 0;
    }
    if (mode != WS_ONESHOT_UNIFORM)
        return ws_error_set(err, WS_EINVAL, "one-shot sample: unknown mode %d", mode);
    for (int i = 0; i < WS_ARCH_COUNT; i++) out[i] = i;
    return draw_distinct(out, WS_ARCH_COUNT, n, seed, n_out, err);
}

int ws_oneshot_sample_filled(const uint8_t *filled, int n, uint64_t seed, int *out, int *n_out,
                             ws_error *err)
{
    int k = 0;
    for (int i = 0; i < WS_ARCH_COUNT; i++)
        if (filled[i]) out[k++] = i;
    return draw_distinct(out, k, n, seed, n_out, err);
}

int ws_oneshot_truth(const ws_table *t, const char *bench, const char *metric, const int *archs,
                     int n, int iso_mean, double *truth, ws_error *err)
{
    for (int i = 0; i < n; i++) {
        int rc = iso_mean ? ws_table_iso_mean(t, bench, metric, archs[i], &truth[i], NULL, err)
                          : ws_table_get(t, bench, metric, archs[i], &truth[i], err);
        if (rc) return ws_error_prefix(err, "true accuracy of architecture %d", archs[i]);
    }
    return 0;
}

int ws_oneshot_compare(const double *oneshot, const double *truth, size_t n,
                       ws_oneshot_stats *st, ws_error *err)
{
    memset(st, 0, sizeof *st);
    st->n = n;
    int rc = ws_stats_kendall_tau_b(oneshot, truth, n, &st->kendall_tau_b, err);
    if (!rc) rc = ws_stats_spearman(oneshot, truth, n, &st->spearman_rho, err);
    if (!rc) rc = ws_stats_pearson(oneshot, truth, n, &st->pearson_r, err);
    for (int k = 0; k < WS_STATS_TOPK_COUNT && !rc; k++)
        rc = ws_stats_top_k_overlap(oneshot, truth, n, ws_stats_topk_fracs[k], &st->p_at_k[k],
                                    NULL, err);
    return rc;
}

int ws_oneshot_write_pairs(const char *path, const ws_space *sp, const int *archs,
                           const double *oneshot, const double *truth, size_t n,
                           const char *truth_name, ws_error *err)
{
    if (strpbrk(truth_name, ",\"\n"))
        return ws_error_set(err, WS_EINVAL, "truth metric '%s': no commas or quotes", truth_name);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return ws_error_set(err, WS_EINVAL, "%.80s...: path too long", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open for writing: %s", tmp,
                                strerror(errno));
    fprintf(f, "arch_index,arch,oneshot,true,truth\n");
    for (size_t i = 0; i < n; i++) {
        char s[WS_ARCH_STR_MAX];
        ws_arch a = ws_space_arch(sp, archs[i]);
        ws_arch_format(&a, s);
        fprintf(f, "%d,%s,%.17g,%.17g,%s\n", archs[i], s, oneshot[i], truth[i], truth_name);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return ws_error_set(err, WS_EIO, "%s: write failed", path);
    }
    return ws_file_commit(tmp, path, err);
}
