/* summary.c: final accuracies of derived architectures from a tabular
 * benchmark: per-method mean ± std over seeds, the oracle row and regret,
 * printed in the NB201 paper's layout (methods.md §4).  Default columns
 * leave out per-seed copies of a mean metric; times and costs get no
 * oracle or regret. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wsnas/eval.h"
#include "wsnas/stats.h"

static const struct {
    const char *bench, *metric, *label;
} paper_cols[6] = {
    {"cifar10-valid", "valid_acc_200", "C10 valid"},
    {"cifar10", "test_acc_200", "C10 test"},
    {"cifar100", "valid_acc_200", "C100 valid"},
    {"cifar100", "test_acc_200", "C100 test"},
    {"ImageNet16-120", "valid_acc_200", "IN16 valid"},
    {"ImageNet16-120", "test_acc_200", "IN16 test"},
};

static void set_col(ws_eval_column *c, const char *bench, const char *metric, const char *label)
{
    snprintf(c->bench, sizeof c->bench, "%s", bench);
    snprintf(c->metric, sizeof c->metric, "%s", metric);
    if (label)
        snprintf(c->label, sizeof c->label, "%s", label);
    else
        snprintf(c->label, sizeof c->label, "%.30s/%.30s", bench, metric);
}

int ws_eval_all_columns(const ws_table *t, ws_eval_column *cols, int cap)
{
    int n = 0;
    for (int b = 0; b < ws_table_benchmark_count(t); b++) {
        const char *bench = ws_table_benchmark_name(t, b);
        for (int m = 0; m < ws_table_metric_count(t, bench); m++) {
            if (n < cap) set_col(&cols[n], bench, ws_table_metric_name(t, bench, m), NULL);
            n++;
        }
    }
    return n;
}

/* 1 if `metric` is "<m>_seed<k>" and the benchmark also has <m> (the mean). */
static int is_seed_copy(const ws_table *t, const char *bench, const char *metric)
{
    const char *p = strstr(metric, "_seed");
    if (!p || !p[5]) return 0;
    for (const char *q = p + 5; *q; q++)
        if (*q < '0' || *q > '9') return 0;
    char mean[WS_TABLE_NAME_MAX];
    snprintf(mean, sizeof mean, "%.*s", (int)(p - metric), metric);
    return ws_table_column(t, bench, mean) != NULL;
}

int ws_eval_metric_has_optimum(const ws_table *t, const char *bench, const char *metric)
{
    static const char *const cost_units[] = {"s", "count", "M", "MFLOPs", "MB"};
    static const char *const cost_words[] = {"seconds", "time", "latency", "flops", "params",
                                             "seeds"};
    const char *unit = ws_table_metric_attr(t, bench, metric, "unit");
    for (size_t i = 0; unit && i < sizeof cost_units / sizeof *cost_units; i++)
        if (!strcmp(unit, cost_units[i])) return 0;
    for (size_t i = 0; i < sizeof cost_words / sizeof *cost_words; i++)
        if (strstr(metric, cost_words[i])) return 0;
    return 1;
}

int ws_eval_default_columns(const ws_table *t, ws_eval_column *cols, int cap)
{
    int have = 1;
    for (int i = 0; i < 6; i++)
        if (!ws_table_column(t, paper_cols[i].bench, paper_cols[i].metric)) have = 0;
    if (!have) {
        int n = 0;
        for (int b = 0; b < ws_table_benchmark_count(t); b++) {
            const char *bench = ws_table_benchmark_name(t, b);
            for (int m = 0; m < ws_table_metric_count(t, bench); m++) {
                const char *metric = ws_table_metric_name(t, bench, m);
                if (is_seed_copy(t, bench, metric)) continue;
                if (n < cap) set_col(&cols[n], bench, metric, NULL);
                n++;
            }
        }
        return n;
    }
    for (int i = 0; i < 6 && i < cap; i++)
        set_col(&cols[i], paper_cols[i].bench, paper_cols[i].metric, paper_cols[i].label);
    return 6;
}

void ws_eval_summary_free(ws_eval_summary *s)
{
    if (!s) return;
    free(s->cols);
    free(s->method);
    free(s->n_runs);
    free(s->mean);
    free(s->std);
    free(s->regret);
    free(s->oracle);
    free(s->oracle_index);
    free(s);
}

int ws_eval_summarize(const ws_table *t, const ws_eval_column *cols, int n_cols,
                      const ws_eval_run *runs, int n_runs, ws_eval_summary **out, ws_error *err)
{
    *out = NULL;
    if (n_runs < 1) return ws_error_set(err, WS_EINVAL, "summary: no runs");
    if (n_cols < 1) return ws_error_set(err, WS_EINVAL, "summary: no columns");
    for (int r = 0; r < n_runs; r++)
        if (runs[r].arch_index < 0 || runs[r].arch_index >= WS_ARCH_COUNT)
            return ws_error_set(err, WS_EINVAL,
                                "summary: run %d (%s, seed %llu): architecture index %d: "
                                "expected 0..%d",
                                r, runs[r].method, (unsigned long long)runs[r].seed,
                                runs[r].arch_index, WS_ARCH_COUNT - 1);
    ws_eval_summary *s = calloc(1, sizeof *s);
    size_t nc = (size_t)n_cols, nr = (size_t)n_runs;
    double *vals = malloc(nr * sizeof *vals);
    int *which = malloc(nr * sizeof *which);
    if (!s || !vals || !which) goto nomem;
    s->n_cols = n_cols;
    s->cols = malloc(nc * sizeof *s->cols);
    s->method = calloc(nr, sizeof *s->method);
    s->n_runs = calloc(nr, sizeof *s->n_runs);
    s->mean = malloc(nr * nc * sizeof(double));
    s->std = malloc(nr * nc * sizeof(double));
    s->regret = malloc(nr * nc * sizeof(double));
    s->oracle = malloc(nc * sizeof(double));
    s->oracle_index = malloc(nc * sizeof(int));
    if (!s->cols || !s->method || !s->n_runs || !s->mean || !s->std || !s->regret ||
        !s->oracle || !s->oracle_index)
        goto nomem;
    memcpy(s->cols, cols, nc * sizeof *cols);
    /* methods in order of first appearance */
    for (int r = 0; r < n_runs; r++) {
        int m = 0;
        while (m < s->n_methods && strcmp(s->method[m], runs[r].method)) m++;
        if (m == s->n_methods) {
            snprintf(s->method[m], WS_EVAL_METHOD_MAX, "%s", runs[r].method);
            s->n_methods++;
        }
        which[r] = m;
        s->n_runs[m]++;
    }
    int rc = 0;
    for (int c = 0; c < n_cols && !rc; c++) {
        const ws_eval_column *col = &cols[c];
        int optimum = ws_eval_metric_has_optimum(t, col->bench, col->metric);
        if (!ws_table_column(t, col->bench, col->metric)) {
            rc = ws_error_set(err, WS_ENOTFOUND, "summary: no metric %s/%s in the table",
                              col->bench, col->metric);
            break;
        }
        s->oracle[c] = NAN, s->oracle_index[c] = -1;
        if (optimum)
            rc = ws_table_oracle(t, col->bench, col->metric, &s->oracle_index[c], &s->oracle[c],
                                 err);
        if (rc) break;
        int higher = ws_table_higher_is_better(t, col->bench, col->metric);
        for (int m = 0; m < s->n_methods && !rc; m++) {
            size_t k = 0;
            for (int r = 0; r < n_runs && !rc; r++) {
                if (which[r] != m) continue;
                rc = ws_table_get(t, col->bench, col->metric, runs[r].arch_index, &vals[k++], err);
                if (rc)
                    ws_error_prefix(err, "summary: run %d (%s, seed %llu)", r, runs[r].method,
                                    (unsigned long long)runs[r].seed);
            }
            if (rc) break;
            size_t at = (size_t)m * nc + (size_t)c;
            ws_stats_mean_std(vals, k, &s->mean[at], &s->std[at]);
            s->regret[at] = !optimum ? NAN
                            : higher ? s->oracle[c] - s->mean[at]
                                     : s->mean[at] - s->oracle[c];
        }
    }
    free(vals);
    free(which);
    if (rc) {
        ws_eval_summary_free(s);
        return rc;
    }
    *out = s;
    return 0;
nomem:
    free(vals);
    free(which);
    ws_eval_summary_free(s);
    return ws_error_set(err, WS_ENOMEM, "summary: out of memory");
}

/* A number right-aligned in w columns, "-" for NaN (no optimum). */
static void print_num(FILE *f, int w, double v)
{
    if (isnan(v))
        fprintf(f, " %*s", w, "-");
    else
        fprintf(f, " %*.2f", w, v);
}

/* Width of column c: its label, at least 14. */
static int col_width(const ws_eval_summary *s, int c)
{
    int w = (int)strlen(s->cols[c].label);
    return w > 14 ? w : 14;
}

void ws_eval_summary_print(const ws_eval_summary *s, FILE *f)
{
    fprintf(f, "%-24s %5s", "method", "runs");
    for (int c = 0; c < s->n_cols; c++) fprintf(f, " %*s", col_width(s, c), s->cols[c].label);
    fprintf(f, "\n");
    for (int m = 0; m < s->n_methods; m++) {
        fprintf(f, "%-24.24s %5d", s->method[m], s->n_runs[m]);
        for (int c = 0; c < s->n_cols; c++) {
            size_t at = (size_t)m * (size_t)s->n_cols + (size_t)c;
            char cell[64];
            snprintf(cell, sizeof cell, "%.2f±%.2f", s->mean[at], s->std[at]);
            /* '±' is two bytes in UTF-8: pad one more */
            fprintf(f, " %*s", col_width(s, c) + 1, cell);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "%-24s %5s", "optimal", "");
    for (int c = 0; c < s->n_cols; c++) print_num(f, col_width(s, c), s->oracle[c]);
    fprintf(f, "\n");
    for (int m = 0; m < s->n_methods; m++) {
        char name[WS_EVAL_METHOD_MAX + 16];
        snprintf(name, sizeof name, "regret %.17s", s->method[m]);
        fprintf(f, "%-24.24s %5s", name, "");
        for (int c = 0; c < s->n_cols; c++)
            print_num(f, col_width(s, c), s->regret[(size_t)m * (size_t)s->n_cols + (size_t)c]);
        fprintf(f, "\n");
    }
    fprintf(f, "(mean±std over each method's seeds, std with ddof=0 as NB201; optimal = the best "
               "value in the table, regret its distance to the mean; - = a time or cost, no "
               "optimum)\n");
}
