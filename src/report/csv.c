/* csv.c: a strict reader for the tidy CSV files of run directories: the
 * whole file in memory, fields split in place, every damage (truncation,
 * ragged rows, quotes) reported with file and line. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void ws_csv_free(ws_csv *c)
{
    if (!c) return;
    free(c->buf);
    free(c->header);
    free(c->cells);
    free(c);
}

/* Splits line (NUL-terminated, no newline) at commas into out[cap];
 * returns the field count (may exceed cap: then only cap are stored). */
static int split_fields(char *line, char **out, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *comma = strchr(p, ',');
        if (n < cap) out[n] = p;
        n++;
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

int ws_csv_read(const char *path, ws_csv **out, ws_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
    ws_csv *c = calloc(1, sizeof *c);
    if (!c) {
        fclose(f);
        return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    }
    snprintf(c->path, sizeof c->path, "%s", path);
    size_t cap = 1 << 16, n = 0, r;
    c->buf = malloc(cap + 1);
    while (c->buf && (r = fread(c->buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *p = realloc(c->buf, 2 * cap + 1);
            if (!p) {
                free(c->buf);
                c->buf = NULL;
                break;
            }
            c->buf = p;
            cap *= 2;
        }
    }
    int read_err = ferror(f);
    fclose(f);
    int rc = 0;
    if (!c->buf) {
        rc = ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (read_err) {
        rc = ws_error_set(err, WS_EIO, "%s: read error", path);
        goto out;
    }
    c->buf[n] = '\0';
    if (n == 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: empty file: expected a header row", path);
        goto out;
    }
    if (memchr(c->buf, '\0', n)) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: contains a NUL byte: expected text", path);
        goto out;
    }
    if (c->buf[n - 1] != '\n') {
        size_t line = 1;
        for (size_t i = 0; i < n; i++) line += c->buf[i] == '\n';
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s:%zu: last line has no newline: the file is truncated", path, line);
        goto out;
    }
    size_t n_lines = 0;
    for (size_t i = 0; i < n; i++) n_lines += c->buf[i] == '\n';
    /* header */
    char *line = c->buf, *nl = strchr(line, '\n');
    *nl = '\0';
    if (nl > line && nl[-1] == '\r') nl[-1] = '\0';
    if (!line[0]) {
        rc = ws_error_set(err, WS_EFORMAT, "%s:1: empty header row", path);
        goto out;
    }
    int cols = 1;
    for (const char *q = line; *q; q++) cols += *q == ',';
    c->header = malloc((size_t)cols * sizeof *c->header);
    c->cells = malloc((n_lines > 1 ? n_lines - 1 : 1) * (size_t)cols * sizeof *c->cells);
    if (!c->header || !c->cells) {
        rc = ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    c->n_cols = split_fields(line, c->header, cols);
    for (int j = 0; j < cols; j++) {
        if (strchr(c->header[j], '"')) {
            rc = ws_error_set(err, WS_EFORMAT, "%s:1: quoted fields are not supported", path);
            goto out;
        }
        if (!c->header[j][0]) {
            rc = ws_error_set(err, WS_EFORMAT, "%s:1: column %d has an empty name", path, j + 1);
            goto out;
        }
        for (int k = 0; k < j; k++)
            if (!strcmp(c->header[k], c->header[j])) {
                rc = ws_error_set(err, WS_EFORMAT, "%s:1: column '%s' appears twice", path,
                                  c->header[j]);
                goto out;
            }
    }
    line = nl + 1;
    for (size_t ln = 2; ln <= n_lines; ln++) {
        nl = strchr(line, '\n');
        *nl = '\0';
        if (nl > line && nl[-1] == '\r') nl[-1] = '\0';
        char **row = c->cells + c->n_rows * (size_t)cols;
        int got = split_fields(line, row, cols);
        if (got != cols) {
            rc = ws_error_set(err, WS_EFORMAT, "%s:%zu: expected %d fields (as the header), got %d",
                              path, ln, cols, got);
            goto out;
        }
        for (int j = 0; j < cols; j++)
            if (strchr(row[j], '"')) {
                rc = ws_error_set(err, WS_EFORMAT, "%s:%zu: quoted fields are not supported",
                                  path, ln);
                goto out;
            }
        c->n_rows++;
        line = nl + 1;
    }
out:
    if (rc) {
        ws_csv_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int ws_csv_col(const ws_csv *c, const char *name)
{
    for (int j = 0; j < c->n_cols; j++)
        if (!strcmp(c->header[j], name)) return j;
    return -1;
}

const char *ws_csv_cell(const ws_csv *c, size_t row, int col)
{
    return c->cells[row * (size_t)c->n_cols + (size_t)col];
}

int ws_csv_double(const ws_csv *c, size_t row, int col, double *v, ws_error *err)
{
    const char *s = ws_csv_cell(c, row, col);
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (!s[0] || errno || *end || !isfinite(x))
        return ws_error_set(err, WS_EFORMAT, "%s:%zu: column '%s': expected a number, got '%s'",
                            c->path, row + 2, c->header[col], s);
    *v = x;
    return 0;
}

int ws_csv_same_header(const ws_csv *a, const ws_csv *b)
{
    if (a->n_cols != b->n_cols) return 0;
    for (int j = 0; j < a->n_cols; j++)
        if (strcmp(a->header[j], b->header[j])) return 0;
    return 1;
}
