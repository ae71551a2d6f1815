/* published.h: published rows of a paper's results table, printed beside
 * wsnas's rows (`wsnas report --published FILE`; src/report only).
 *
 * ---- File format (bench/published/nb201-cifar10.csv) -----------------------
 * A CSV (the strict reader of internal.h) with the columns
 *   row, ours, c10_valid_mean, c10_valid_std, c10_test_mean, c10_test_std,
 *   c100_valid_mean, c100_valid_std, c100_test_mean, c100_test_std,
 *   in16_valid_mean, in16_valid_std, in16_test_mean, in16_test_std,
 *   search_s, source
 * row: the paper's name for the row; ours: the wsnas method or suite variant
 * it corresponds to ("-" for reference rows such as the optimum); the twelve
 * accuracy cells: a number in [0, 100] or empty (not published; a std needs
 * its mean); search_s: the published search time in seconds or empty;
 * source: where the numbers come from.  The columns are NB201's six (C10
 * valid = cifar10-valid/valid_acc_200, C10 test = cifar10/test_acc_200, C100
 * and IN16 valid/test = cifar100 and ImageNet16-120 valid/test_acc_200),
 * matched to the summary's columns by their labels. */
#ifndef WSNAS_REPORT_PUBLISHED_H
#define WSNAS_REPORT_PUBLISHED_H

#include <stdio.h>

#include "internal.h"
#include "rundir.h"
#include "wsnas/eval.h"

#define WS_PUB_COLS 6

typedef struct ws_published_row {
    char row[64], ours[32], source[200];
    double mean[WS_PUB_COLS], std[WS_PUB_COLS]; /* NAN: not published */
    double search_s;                            /* NAN: not published */
} ws_published_row;

typedef struct ws_published {
    int n;
    ws_published_row *rows;
} ws_published;

/* Reads and checks the file: WS_EFORMAT naming file, line and column. */
int ws_published_load(const char *path, ws_published **out, ws_error *err);
void ws_published_free(ws_published *p); /* NULL-safe */

/* Per summary method m: the mean over its runs of the search's wall seconds
 * (the sum of epochs.csv's wall_s; NAN without it) into out[m], and in
 * `machine` how the runs ran ("CPU, T threads" of the first run). */
void ws_published_search_seconds(const ws_rundir *runs, int n, const ws_eval_summary *s,
                                 double *out, char *machine, size_t cap);

/* The table in the paper's layout: each published row, then the wsnas row
 * of the method it maps to (mean±std over seeds, the seeds, search_s[m] the
 * mean search seconds of method m on `machine`), then the wsnas methods no
 * published row maps to. */
int ws_published_write_md(const ws_published *p, const ws_eval_summary *s, const double *search_s,
                          const char *machine, FILE *f);
/* Tidy: source,row,method,runs,label,mean,std,search_s (one row per cell). */
int ws_published_write_csv(const ws_published *p, const ws_eval_summary *s,
                           const double *search_s, FILE *f);

#endif
