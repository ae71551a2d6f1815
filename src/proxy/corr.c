/* corr.c: rank correlation of a proxy column with a table column over the
 * rows where both are defined (Spearman's rho and Kendall's tau-b of
 * src/eval/stats.c). */
#include <math.h>
#include <stdlib.h>

#include "wsnas/proxy.h"
#include "wsnas/stats.h"

int ws_proxy_correlate(const double *proxy, const double *truth, const int *rows, int n_rows,
                       ws_proxy_corr *out, ws_error *err)
{
    int total = rows ? n_rows : WS_ARCH_COUNT;
    double *x = malloc((size_t)(total > 0 ? total : 1) * sizeof *x);
    double *y = malloc((size_t)(total > 0 ? total : 1) * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return ws_error_set(err, WS_ENOMEM, "correlation: out of memory");
    }
    size_t n = 0;
    for (int k = 0; k < total; k++) {
        int i = rows ? rows[k] : k;
        if (i < 0 || i >= WS_ARCH_COUNT || !isfinite(proxy[i]) || !isfinite(truth[i])) continue;
        x[n] = proxy[i];
        y[n++] = truth[i];
    }
    *out = (ws_proxy_corr){.n = n, .spearman = NAN, .kendall = NAN};
    int rc = 0;
    if (n >= 2) rc = ws_stats_spearman(x, y, n, &out->spearman, err);
    if (!rc && n >= 2) rc = ws_stats_kendall_tau_b(x, y, n, &out->kendall, err);
    free(x);
    free(y);
    return rc;
}
