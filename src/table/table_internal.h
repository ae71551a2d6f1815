/* table_internal.h: HDF5 helpers shared by the table reader, writers and
 * importer (src/table only). */
#ifndef WSNAS_TABLE_INTERNAL_H
#define WSNAS_TABLE_INTERNAL_H

#include <hdf5.h>
#include <stdio.h>

#include "wsnas/table.h"

#define WS_TABLE_ARCH_STRLEN WS_ARCH_STR_MAX /* fixed string size in /archs/arch_str */

/* Turns off HDF5's automatic error printing (idempotent). */
void ws_h5_quiet(void);
/* The innermost message of HDF5's error stack ("truncated file: eof =
 * ...", "data error detected by Fletcher32 checksum", ...) into buf. */
const char *ws_h5_last_error(char *buf, size_t n);
/* A file access list with the HDF5 1.10 format bounds (checksummed
 * metadata) for files wsnas creates or adds to; close it after use. */
hid_t ws_h5_fapl(void);
/* Closes any kind of handle if >= 0 and sets it to -1 (a file's close is
 * not checked here: use ws_h5_close where the final flush matters). */
void ws_h5_close_id(hid_t *id);
/* 0 if `name` is usable as a benchmark/metric/attribute name: 1..127
 * printable ASCII characters, no '/', not "." or "..". */
int ws_table_check_name(const char *what, const char *name, ws_error *err);
/* Creates `path` (truncating) with the version attribute, /archs and an
 * empty /benchmarks; *file stays open for writing. */
int ws_h5_create(const char *path, hid_t *file, ws_error *err);
/* Opens an existing table (read-only or read-write) after checking that the
 * file exists, is HDF5 and has the supported version. */
int ws_h5_open(const char *path, int write, hid_t *file, ws_error *err);
/* Closes a file opened above; returns nonzero (with err) if HDF5 fails. */
int ws_h5_close(hid_t file, const char *path, ws_error *err);
/* Creates or replaces a column / the filled mask / a group attribute in an
 * open file (`path` only names it in errors). */
int ws_h5_write_column(hid_t file, const char *path, const char *bench, const char *metric,
                       const double *values, const char *const *attrs, ws_error *err);
int ws_h5_write_filled(hid_t file, const char *path, const char *bench, const uint8_t *mask,
                       ws_error *err);
int ws_h5_set_bench_attr(hid_t file, const char *path, const char *bench, const char *key,
                         const char *value, ws_error *err);
/* ---- resume sidecars of long writers (sidecar.c; table build, proxy runs) -- */
/* "<out>.progress", or "<out>.progress.rank<R>" when size > 1. */
void ws_sidecar_path(char *buf, size_t n, const char *out, int rank, int size);
/* fn(file, ctx) for every existing sidecar of out (every rank's). */
int ws_sidecar_for_each(const char *out, int (*fn)(const char *file, void *ctx), void *ctx,
                        ws_error *err);
void ws_sidecar_remove_all(const char *out);
/* Opens `file` for appending; a new one gets the header "<magic>",
 * "bench <bench>", "recipe <recipe>" (fsynced). */
int ws_sidecar_open(FILE **f, const char *file, const char *magic, const char *bench,
                    const char *recipe, ws_error *err);
/* fflush + fsync after an appended line. */
int ws_sidecar_sync(FILE *f, const char *file, ws_error *err);
/* What a sidecar holds: its header and how many numbers each record line
 * "r CLASS X1 .. Xn" carries (`what` names them in messages; NaN is a
 * value only if allow_nan, infinities never are). */
#define WS_SIDECAR_MAX_VALUES 64
typedef struct ws_sidecar_format {
    const char *magic, *bench, *recipe;
    int n_values;
    int allow_nan;
    const char *what;
} ws_sidecar_format;
typedef void (*ws_sidecar_put_fn)(void *ctx, int cls, const double *x);
/* Checks the header and passes every record to put(ctx, class, x), in file
 * order; a torn last line (killed while writing) is ignored. */
int ws_sidecar_read(const char *file, const ws_sidecar_format *fmt, const ws_space *sp,
                    ws_sidecar_put_fn put, void *ctx, ws_error *err);
/* Appends the record "r cls x[0] .. x[n-1]" and fsyncs. */
int ws_sidecar_append(FILE *f, const char *file, int cls, const double *x, int n, ws_error *err);
/* "<path>.tmp" into buf; WS_EINVAL if it does not fit. */
int ws_table_tmp_path(const char *path, char *buf, size_t n, ws_error *err);
/* "<path>.raw.tmp" into buf: where a writer modifies a copy of a table
 * before ws_table_compact rewrites it to path. */
int ws_table_raw_path(const char *path, char *buf, size_t n, ws_error *err);
/* Reads raw (checksums required), writes it afresh (no space left by
 * replaced datasets) via out.tmp, reads that back and compares it bit for
 * bit, fsyncs and renames it to out; raw is removed either way. */
int ws_table_compact(const char *raw, const char *out, ws_error *err);

#endif
