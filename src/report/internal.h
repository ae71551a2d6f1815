/* internal.h: the strict CSV reader used by the report, the outputs it
 * commits together and its gnuplot runner (src/report only). */
#ifndef WSNAS_REPORT_INTERNAL_H
#define WSNAS_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "wsnas/common.h"
#include "wsnas/report.h"

/* A CSV file in memory: the header and rows of fields (pointers into buf). */
typedef struct ws_csv {
    char path[1024];
    char *buf;
    int n_cols;
    char **header;  /* [n_cols] */
    size_t n_rows;
    char **cells;   /* [n_rows * n_cols] */
} ws_csv;

/* Reads `path`: WS_EIO if it cannot be read, WS_EFORMAT (file:line and
 * what was expected) if it is empty, has no header, a line without its
 * newline (truncated), a field count other than the header's, a quote, or a
 * duplicate header name. */
int ws_csv_read(const char *path, ws_csv **out, ws_error *err);
void ws_csv_free(ws_csv *c);
/* Column position by name, or -1. */
int ws_csv_col(const ws_csv *c, const char *name);
const char *ws_csv_cell(const ws_csv *c, size_t row, int col);
/* The cell as a finite number (WS_EFORMAT naming file, line and column). */
int ws_csv_double(const ws_csv *c, size_t row, int col, double *v, ws_error *err);
/* 1 if both have the same header. */
int ws_csv_same_header(const ws_csv *a, const ws_csv *b);

/* ---- outputs committed together (report.c) ------------------------------ */
#define MAX_OUT 40
#define PATH_MAX_ 1200
typedef struct outset {
    int n;
    char tmp[MAX_OUT][PATH_MAX_];
    char dst[MAX_OUT][PATH_MAX_];
} outset;
/* Registers dir/name and returns its .tmp path (or NULL when full). */
const char *out_add(outset *o, const char *dir, const char *name);
/* Opens dir/name's .tmp for writing (registered). */
FILE *out_open(outset *o, const char *dir, const char *name, ws_error *err);
int out_close(FILE *f, outset *o, ws_error *err);

/* ---- gnuplot (report.c) ---------------------------------------------------- */
typedef struct plotter {
    const char *gnuplot;
    char tmpdir[512];
    int n_files;
    char files[64][PATH_MAX_];
} plotter;
/* A data or script file in the plot temp dir (removed at the end). */
FILE *plot_file(plotter *p, const char *name, ws_error *err);
int run_gnuplot(plotter *p, const char *script, ws_error *err);
void gp_header(FILE *g, const char *png_tmp, const char *title, const char *xl, const char *yl);

/* ---- zero-cost proxies beside one-shot rank disorder (proxies.c) --------- */
struct ws_rundir;
struct ws_table;
typedef struct ws_report_proxy ws_report_proxy;
/* Opens opt->proxy_path and checks its proxy benchmark. */
int ws_report_proxy_load(const ws_report_options *opt, ws_report_proxy **out, ws_error *err);
void ws_report_proxy_free(ws_report_proxy *px);
/* results/proxy_corr.csv (every run with eval pairs: one-shot and each
 * proxy over the same architectures and truth) and, with a table, one
 * scatter plot per proxy against bench/metric over all architectures. */
int ws_report_proxy_outputs(ws_report_proxy *px, const struct ws_rundir *runs, int n,
                            const struct ws_table *t, const char *bench, const char *metric,
                            const ws_report_options *opt, outset *os, plotter *pl, ws_error *err);
/* The side-by-side table (after the outputs were written). */
void ws_report_proxy_print(const ws_report_proxy *px, FILE *out);

#endif
