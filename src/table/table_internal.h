/* table_internal.h: HDF5 helpers shared by the table reader, writers and
 * importer (src/table only). */
#ifndef WSNAS_TABLE_INTERNAL_H
#define WSNAS_TABLE_INTERNAL_H

#include <hdf5.h>

#include "wsnas/table.h"

#define WS_TABLE_ARCH_STRLEN WS_ARCH_STR_MAX /* fixed string size in /archs/arch_str */

/* Turns off HDF5's automatic error printing (idempotent). */
void ws_h5_quiet(void);
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
/* "<path>.tmp" into buf; WS_EINVAL if it does not fit. */
int ws_table_tmp_path(const char *path, char *buf, size_t n, ws_error *err);

#endif
