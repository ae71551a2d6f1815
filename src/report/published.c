/* published.c: a paper's published rows (bench/published/NAME.csv, format
 * in published.h) read and checked, and written beside wsnas's own rows in
 * the paper's layout: nb201_table.csv (tidy) and nb201_table.md (Markdown),
 * each published row followed by the wsnas rows of the method it maps to. */
#include "published.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *key, *label;
} pub_cols[WS_PUB_COLS] = {
    {"c10_valid", "C10 valid"},   {"c10_test", "C10 test"},   {"c100_valid", "C100 valid"},
    {"c100_test", "C100 test"},   {"in16_valid", "IN16 valid"}, {"in16_test", "IN16 test"},
};

void ws_published_free(ws_published *p)
{
    if (!p) return;
    free(p->rows);
    free(p);
}

/* A cell that may be empty (NAN) or a finite number in [lo, hi]. */
static int cell_opt(const ws_csv *c, size_t row, int col, double lo, double hi, double *v,
                    ws_error *err)
{
    const char *s = ws_csv_cell(c, row, col);
    if (!s[0]) {
        *v = NAN;
        return 0;
    }
    int rc = ws_csv_double(c, row, col, v, err);
    if (rc) return rc;
    if (*v < lo || *v > hi)
        return ws_error_set(err, WS_EFORMAT, "%s:%zu: column '%s': %g is out of range [%g, %g]",
                            c->path, row + 2, c->header[col], *v, lo, hi);
    return 0;
}

static int text_ok(const char *s, int name_only)
{
    if (!s[0]) return 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || ch == '|') return 0;
        if (name_only && !(ch == '-' || ch == '.' || ch == '_' || (ch >= '0' && ch <= '9') ||
                           (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return 0;
    }
    return 1;
}

static int find_col(const ws_csv *c, const char *name, int *col, ws_error *err)
{
    *col = ws_csv_col(c, name);
    if (*col < 0)
        return ws_error_set(err, WS_EFORMAT, "%s:1: missing column '%s' (format: %s)", c->path,
                            name, "src/report/published.h");
    return 0;
}

static int load_row(const ws_csv *c, size_t i, const int *col, ws_published_row *r,
                    ws_error *err)
{
    const char *name = ws_csv_cell(c, i, col[0]), *ours = ws_csv_cell(c, i, col[1]);
    const char *src = ws_csv_cell(c, i, col[2 + 2 * WS_PUB_COLS + 1]);
    if (!text_ok(name, 0) || strlen(name) >= sizeof r->row)
        return ws_error_set(err, WS_EFORMAT, "%s:%zu: column 'row': expected 1..%zu characters, "
                            "no '|'", c->path, i + 2, sizeof r->row - 1);
    if (!text_ok(ours, 1) || strlen(ours) >= sizeof r->ours)
        return ws_error_set(err, WS_EFORMAT, "%s:%zu: column 'ours': expected a method name or "
                            "'-'", c->path, i + 2);
    if (!text_ok(src, 0) || strlen(src) >= sizeof r->source)
        return ws_error_set(err, WS_EFORMAT, "%s:%zu: column 'source': expected 1..%zu "
                            "characters, no '|'", c->path, i + 2, sizeof r->source - 1);
    snprintf(r->row, sizeof r->row, "%s", name);
    snprintf(r->ours, sizeof r->ours, "%s", ours);
    snprintf(r->source, sizeof r->source, "%s", src);
    int rc = 0;
    for (int k = 0; k < WS_PUB_COLS && !rc; k++) {
        rc = cell_opt(c, i, col[2 + 2 * k], 0, 100, &r->mean[k], err);
        if (!rc) rc = cell_opt(c, i, col[3 + 2 * k], 0, 100, &r->std[k], err);
        if (!rc && isnan(r->mean[k]) && !isnan(r->std[k]))
            rc = ws_error_set(err, WS_EFORMAT, "%s:%zu: column '%s_std' without its mean",
                              c->path, i + 2, pub_cols[k].key);
    }
    if (!rc) rc = cell_opt(c, i, col[2 + 2 * WS_PUB_COLS], 0, 1e9, &r->search_s, err);
    return rc;
}

int ws_published_load(const char *path, ws_published **out, ws_error *err)
{
    *out = NULL;
    ws_csv *c = NULL;
    int rc = ws_csv_read(path, &c, err);
    if (rc) return rc;
    int col[2 + 2 * WS_PUB_COLS + 2];
    char name[48];
    rc = find_col(c, "row", &col[0], err);
    if (!rc) rc = find_col(c, "ours", &col[1], err);
    for (int k = 0; k < WS_PUB_COLS && !rc; k++) {
        snprintf(name, sizeof name, "%s_mean", pub_cols[k].key);
        rc = find_col(c, name, &col[2 + 2 * k], err);
        snprintf(name, sizeof name, "%s_std", pub_cols[k].key);
        if (!rc) rc = find_col(c, name, &col[3 + 2 * k], err);
    }
    if (!rc) rc = find_col(c, "search_s", &col[2 + 2 * WS_PUB_COLS], err);
    if (!rc) rc = find_col(c, "source", &col[3 + 2 * WS_PUB_COLS], err);
    if (!rc && (c->n_cols != (int)WS_ARRAY_LEN(col) || c->n_rows == 0))
        rc = ws_error_set(err, WS_EFORMAT, "%s: expected the %d columns of "
                          "src/report/published.h and at least one row", path,
                          (int)WS_ARRAY_LEN(col));
    ws_published *p = rc ? NULL : calloc(1, sizeof *p);
    if (!rc && p) p->rows = calloc(c->n_rows, sizeof *p->rows);
    if (!rc && (!p || !p->rows)) rc = ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; !rc && i < c->n_rows; i++) {
        rc = load_row(c, i, col, &p->rows[i], err);
        p->n++;
    }
    ws_csv_free(c);
    if (rc) {
        ws_published_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* The summary column of published column k, or -1. */
static int sum_col(const ws_eval_summary *s, int k)
{
    for (int c = 0; c < s->n_cols; c++)
        if (!strcmp(s->cols[c].label, pub_cols[k].label)) return c;
    return -1;
}

static int sum_method(const ws_eval_summary *s, const char *name)
{
    for (int m = 0; m < s->n_methods; m++)
        if (!strcmp(s->method[m], name)) return m;
    return -1;
}

static int published_for(const ws_published *p, const char *method)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->rows[i].ours, method)) return 1;
    return 0;
}

void ws_published_search_seconds(const ws_rundir *runs, int n, const ws_eval_summary *s,
                                 double *out, char *machine, size_t cap)
{
    int threads = 0;
    for (int m = 0; m < s->n_methods; m++) {
        double total = 0;
        int k = 0;
        for (int r = 0; r < n; r++) {
            if (strcmp(runs[r].method, s->method[m])) continue;
            int col = ws_csv_col(runs[r].epochs, "wall_s");
            double sec = col < 0 ? NAN : 0;
            for (size_t e = 0; col >= 0 && e < runs[r].epochs->n_rows; e++)
                sec += strtod(ws_csv_cell(runs[r].epochs, e, col), NULL);
            total += sec, k++;
            const cJSON *th = cJSON_GetObjectItemCaseSensitive(runs[r].manifest, "threads");
            if (!threads && cJSON_IsNumber(th)) threads = (int)th->valuedouble;
        }
        out[m] = k ? total / k : NAN;
    }
    if (threads > 0) snprintf(machine, cap, "CPU, %d thread%s", threads, threads > 1 ? "s" : "");
    else snprintf(machine, cap, "CPU");
}

static void md_cell(FILE *f, double mean, double std)
{
    if (isnan(mean)) fprintf(f, " - |");
    else if (isnan(std)) fprintf(f, " %.2f |", mean);
    else fprintf(f, " %.2f±%.2f |", mean, std);
}

static void md_ours(FILE *f, const ws_eval_summary *s, int m, const double *search_s,
                    const char *machine)
{
    fprintf(f, "| wsnas %s | %d |", s->method[m], s->n_runs[m]);
    for (int k = 0; k < WS_PUB_COLS; k++) {
        int c = sum_col(s, k);
        size_t at = (size_t)m * (size_t)s->n_cols + (size_t)c;
        md_cell(f, c < 0 ? NAN : s->mean[at], c < 0 ? NAN : s->std[at]);
    }
    if (isnan(search_s[m])) fprintf(f, " - | %s |\n", machine);
    else fprintf(f, " %.0f | %s |\n", search_s[m], machine);
}

int ws_published_write_md(const ws_published *p, const ws_eval_summary *s, const double *search_s,
                          const char *machine, FILE *f)
{
    fprintf(f, "| row | runs |");
    for (int k = 0; k < WS_PUB_COLS; k++) fprintf(f, " %s |", pub_cols[k].label);
    fprintf(f, " search (s) | source |\n|---|---|");
    for (int k = 0; k < WS_PUB_COLS + 2; k++) fprintf(f, "---|");
    fprintf(f, "\n");
    for (int i = 0; i < p->n; i++) {
        const ws_published_row *r = &p->rows[i];
        fprintf(f, "| %s | |", r->row);
        for (int k = 0; k < WS_PUB_COLS; k++) md_cell(f, r->mean[k], r->std[k]);
        if (isnan(r->search_s)) fprintf(f, " - | %s |\n", r->source);
        else fprintf(f, " %.0f | %s (GPU) |\n", r->search_s, r->source);
        int m = strcmp(r->ours, "-") ? sum_method(s, r->ours) : -1;
        if (m >= 0) md_ours(f, s, m, search_s, machine);
    }
    for (int m = 0; m < s->n_methods; m++)
        if (!published_for(p, s->method[m])) md_ours(f, s, m, search_s, machine);
    return ferror(f) ? WS_EIO : 0;
}

static void csv_row(FILE *f, const char *src, const char *row, const char *method, int runs,
                    const char *label, double mean, double std, double search)
{
    fprintf(f, "%s,%s,%s,%d,%s,", src, row, method, runs, label);
    if (isnan(mean)) fprintf(f, ",");
    else fprintf(f, "%.17g,", mean);
    if (!isnan(std)) fprintf(f, "%.17g", std);
    fprintf(f, ",");
    if (!isnan(search)) fprintf(f, "%.17g", search);
    fprintf(f, "\n");
}

int ws_published_write_csv(const ws_published *p, const ws_eval_summary *s,
                           const double *search_s, FILE *f)
{
    fprintf(f, "source,row,method,runs,label,mean,std,search_s\n");
    for (int i = 0; i < p->n; i++) {
        const ws_published_row *r = &p->rows[i];
        for (int k = 0; k < WS_PUB_COLS; k++)
            if (!isnan(r->mean[k]))
                csv_row(f, "published", r->row, r->ours, 0, pub_cols[k].label, r->mean[k],
                        r->std[k], r->search_s);
    }
    for (int m = 0; m < s->n_methods; m++)
        for (int k = 0; k < WS_PUB_COLS; k++) {
            int c = sum_col(s, k);
            if (c < 0) continue;
            size_t at = (size_t)m * (size_t)s->n_cols + (size_t)c;
            csv_row(f, "wsnas", s->method[m], s->method[m], s->n_runs[m], pub_cols[k].label,
                    s->mean[at], s->std[at], search_s[m]);
        }
    return ferror(f) ? WS_EIO : 0;
}
