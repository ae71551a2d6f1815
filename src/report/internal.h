/* internal.h: the strict CSV reader used by the report (src/report only). */
#ifndef WSNAS_REPORT_INTERNAL_H
#define WSNAS_REPORT_INTERNAL_H

#include <stddef.h>

#include "wsnas/common.h"

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

#endif
