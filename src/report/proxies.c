/* proxies.c: `wsnas report --proxies`: zero-cost proxies (a proxy benchmark
 * written by `wsnas proxy`) beside each supernet's one-shot rank disorder:
 * Kendall tau-b and Spearman rho of the one-shot scores and of every proxy
 * over the same architectures (the run's eval_pairs.csv) against the same
 * truth, as a CSV and a printed table, and one scatter plot per proxy
 * against the table's plot metric over all architectures. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rundir.h"
#include "wsnas/proxy.h"
#include "wsnas/stats.h"
#include "wsnas/table.h"

struct ws_report_proxy {
    ws_table *t;
    char path[1024], bench[4 * WS_TABLE_NAME_MAX]; /* the benchmarks, comma-separated */
    int n_metrics;
    const char *metric[WS_PROXY_COUNT], *metric_bench[WS_PROXY_COUNT];
    const double *col[WS_PROXY_COUNT];
    /* per run with pairs: tau, rho, n of one-shot then each proxy */
    int n_rows;
    char (*method)[WS_RUNDIR_NAME_MAX];
    unsigned long long *seed;
    ws_proxy_corr *corr; /* [n_rows][1 + n_metrics] */
};

/* The metrics of benchmark b of px->t appended to px's columns (kept: the
 * table's own copy of the name, which outlives b). */
static int load_bench(ws_report_proxy *px, const char *b, ws_error *err)
{
    const char *kept = NULL;
    for (int i = 0; i < ws_table_benchmark_count(px->t); i++)
        if (!strcmp(ws_table_benchmark_name(px->t, i), b)) kept = ws_table_benchmark_name(px->t, i);
    if (!kept || !ws_table_bench_attr(px->t, b, "proxy_recipe"))
        return ws_error_set(err, WS_ENOTFOUND,
                            "--proxies %s: no proxy benchmark '%s' (see wsnas table info; "
                            "written by wsnas proxy)",
                            px->path, b);
    for (int m = 0; m < ws_table_metric_count(px->t, kept); m++) {
        const char *name = ws_table_metric_name(px->t, kept, m);
        for (int j = 0; j < px->n_metrics; j++)
            if (!strcmp(px->metric[j], name))
                return ws_error_set(err, WS_EINVAL,
                                    "--proxy-bench %s: proxy '%s' is in both '%s' and '%s'; "
                                    "name each proxy once",
                                    px->bench, name, px->metric_bench[j], kept);
        if (px->n_metrics == WS_PROXY_COUNT)
            return ws_error_set(err, WS_EINVAL, "--proxy-bench %s: more than %d proxies",
                                px->bench, WS_PROXY_COUNT);
        px->metric[px->n_metrics] = name;
        px->metric_bench[px->n_metrics] = kept;
        px->col[px->n_metrics++] = ws_table_column(px->t, kept, name);
    }
    return 0;
}

int ws_report_proxy_load(const ws_report_options *opt, ws_report_proxy **out, ws_error *err)
{
    *out = NULL;
    ws_report_proxy *px = calloc(1, sizeof *px);
    if (!px) return ws_error_set(err, WS_ENOMEM, "report: out of memory");
    const char *list = opt->proxy_bench ? opt->proxy_bench : "cifar10-proxies";
    snprintf(px->path, sizeof px->path, "%s", opt->proxy_path);
    int rc = 0;
    if ((size_t)snprintf(px->bench, sizeof px->bench, "%s", list) >= sizeof px->bench)
        rc = ws_error_set(err, WS_EINVAL, "--proxy-bench: list too long");
    if (!rc) rc = ws_table_open(px->path, &px->t, err);
    /* each comma-separated benchmark in turn */
    for (const char *p = list; !rc && p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char b[WS_TABLE_NAME_MAX];
        if (!len || len >= sizeof b)
            rc = ws_error_set(err, WS_EINVAL,
                              "--proxy-bench %s: expected benchmark names separated by commas",
                              list);
        else {
            memcpy(b, p, len);
            b[len] = '\0';
            rc = load_bench(px, b, err);
        }
        p = comma ? comma + 1 : NULL;
    }
    if (rc) {
        ws_report_proxy_free(px);
        return rc;
    }
    *out = px;
    return 0;
}

void ws_report_proxy_free(ws_report_proxy *px)
{
    if (!px) return;
    ws_table_close(px->t);
    free(px->method);
    free(px->seed);
    free(px->corr);
    free(px);
}

/* The run's pairs as columns (onesh, truth; NaN elsewhere) and the rows
 * where one-shot, the truth and every proxy are defined, so that all are
 * correlated over the same architectures; returns their number. */
static int same_rows(const ws_report_proxy *px, const ws_rundir *R, double *onesh, double *truth,
                     int *same)
{
    for (int i = 0; i < WS_ARCH_COUNT; i++) onesh[i] = truth[i] = NAN;
    for (size_t i = 0; i < R->n_pairs; i++) {
        onesh[R->pair_arch[i]] = R->pair_oneshot[i];
        truth[R->pair_arch[i]] = R->pair_true[i];
    }
    int n = 0;
    for (size_t i = 0; i < R->n_pairs; i++) {
        int a = R->pair_arch[i], ok = isfinite(onesh[a]) && isfinite(truth[a]);
        for (int m = 0; ok && m < px->n_metrics; m++) ok = isfinite(px->col[m][a]);
        if (ok) same[n++] = a;
    }
    return n;
}

/* tau/rho of one-shot and each proxy for every run with pairs, over the
 * same rows. */
static int correlate_runs(ws_report_proxy *px, const ws_rundir *runs, int n, ws_error *err)
{
    int k = 1 + px->n_metrics, rows = 0;
    for (int r = 0; r < n; r++) rows += runs[r].pairs != NULL;
    px->method = calloc((size_t)rows + 1, sizeof *px->method);
    px->seed = calloc((size_t)rows + 1, sizeof *px->seed);
    px->corr = calloc((size_t)(rows + 1) * k, sizeof *px->corr);
    if (!px->method || !px->seed || !px->corr) return ws_error_set(err, WS_ENOMEM, "report: out of memory");
    double *onesh = malloc(WS_ARCH_COUNT * sizeof *onesh), *truth = malloc(WS_ARCH_COUNT * sizeof *truth);
    int *same = malloc(WS_ARCH_COUNT * sizeof *same);
    int rc = onesh && truth && same ? 0 : ws_error_set(err, WS_ENOMEM, "report: out of memory");
    for (int r = 0; !rc && r < n; r++) {
        const ws_rundir *R = &runs[r];
        if (!R->pairs) continue;
        int n_same = same_rows(px, R, onesh, truth, same);
        ws_proxy_corr *c = px->corr + (size_t)px->n_rows * k;
        rc = ws_proxy_correlate(onesh, truth, same, n_same, &c[0], err);
        for (int m = 0; !rc && m < px->n_metrics; m++)
            rc = ws_proxy_correlate(px->col[m], truth, same, n_same, &c[1 + m], err);
        snprintf(px->method[px->n_rows], WS_RUNDIR_NAME_MAX, "%s", R->method);
        px->seed[px->n_rows++] = (unsigned long long)R->seed;
    }
    free(onesh);
    free(truth);
    free(same);
    return rc;
}

static int write_csv(const ws_report_proxy *px, const char *dir, outset *os, ws_error *err)
{
    FILE *f = out_open(os, dir, "proxy_corr.csv", err);
    if (!f) return err && err->code ? err->code : WS_EIO;
    fprintf(f, "method,seed,scorer,n,kendall_tau_b,spearman_rho\n");
    int k = 1 + px->n_metrics;
    for (int r = 0; r < px->n_rows; r++)
        for (int m = 0; m < k; m++) {
            const ws_proxy_corr *c = &px->corr[(size_t)r * k + m];
            fprintf(f, "%s,%llu,%s,%zu,%.17g,%.17g\n", px->method[r], px->seed[r],
                    m ? px->metric[m - 1] : "oneshot", c->n, c->kendall, c->spearman);
        }
    return out_close(f, os, err);
}

/* One scatter per proxy: proxy (log scale when positive and spread over
 * more than three decades) against the truth column, all architectures. */
static int plot_scatter(const ws_report_proxy *px, int m, const double *truth, const char *bench,
                        const char *metric, const char *dir, outset *os, plotter *pl, ws_error *err)
{
    char name[96];
    snprintf(name, sizeof name, "proxy_%s.dat", px->metric[m]);
    FILE *f = plot_file(pl, name, err);
    if (!f) return err && err->code ? err->code : WS_EIO;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        double x = px->col[m][i];
        if (!isfinite(x) || !isfinite(truth[i])) continue;
        fprintf(f, "%.10g %.10g\n", x, truth[i]);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    if (fclose(f)) return ws_error_set(err, WS_EIO, "%s: write failed", name);
    ws_proxy_corr c;
    int rc = ws_proxy_correlate(px->col[m], truth, NULL, 0, &c, err);
    if (rc) return rc;
    snprintf(name, sizeof name, "proxy_%s.gp", px->metric[m]);
    FILE *g = plot_file(pl, name, err);
    if (!g) return err && err->code ? err->code : WS_EIO;
    char png[96], title[256], xl[160], yl[160];
    snprintf(png, sizeof png, "proxy_%s.png", px->metric[m]);
    snprintf(title, sizeof title, "%s at initialisation vs %s/%s: Spearman rho = %.3f, Kendall tau-b = %.3f (n = %zu)",
             px->metric[m], bench, metric, c.spearman, c.kendall, c.n);
    int logx = lo > 0 && hi / lo > 1e3;
    snprintf(xl, sizeof xl, "%s (%s)%s", px->metric[m], px->metric_bench[m], logx ? ", log scale" : "");
    snprintf(yl, sizeof yl, "%s/%s", bench, metric);
    gp_header(g, out_add(os, dir, png), title, xl, yl);
    if (logx) fprintf(g, "set logscale x\n");
    fprintf(g, "plot '%s/proxy_%s.dat' using 1:2 with points pt 7 ps 0.3 notitle\n", pl->tmpdir,
            px->metric[m]);
    fclose(g);
    return run_gnuplot(pl, pl->files[pl->n_files - 1], err);
}

int ws_report_proxy_outputs(ws_report_proxy *px, const ws_rundir *runs, int n, const ws_table *t,
                            const char *bench, const char *metric, const ws_report_options *opt,
                            outset *os, plotter *pl, ws_error *err)
{
    int rc = correlate_runs(px, runs, n, err);
    if (!rc && opt->results_dir && px->n_rows) rc = write_csv(px, opt->results_dir, os, err);
    const double *truth = t && bench ? ws_table_column(t, bench, metric) : NULL;
    for (int m = 0; !rc && truth && opt->plots_dir && pl->tmpdir[0] && m < px->n_metrics; m++)
        rc = plot_scatter(px, m, truth, bench, metric, opt->plots_dir, os, pl, err);
    return rc;
}

void ws_report_proxy_print(const ws_report_proxy *px, FILE *out)
{
    if (!px->n_rows) {
        fprintf(out, "proxies (%s): no run has eval_pairs.csv (wsnas eval) to compare with\n",
                px->path);
        return;
    }
    int k = 1 + px->n_metrics;
    fprintf(out, "rank correlation over each run's eval architectures: tau-b / rho (proxies: %s/%s)\n",
            px->path, px->bench);
    fprintf(out, "%-16s %6s %5s %15s", "method", "seed", "n", "one-shot");
    for (int m = 0; m < px->n_metrics; m++) fprintf(out, " %15s", px->metric[m]);
    fprintf(out, "\n");
    for (int r = 0; r < px->n_rows; r++) {
        const ws_proxy_corr *c = px->corr + (size_t)r * k;
        fprintf(out, "%-16s %6llu %5zu", px->method[r], px->seed[r], c[0].n);
        for (int m = 0; m < k; m++) fprintf(out, "   %6.3f/%6.3f", c[m].kendall, c[m].spearman);
        fprintf(out, "\n");
    }
}
