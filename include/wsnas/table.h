/* table.h: tabular benchmarks (ground truth per architecture) in one HDF5
 * file: import from CSV/JSON, read, look up, rank, oracle, and append
 * columns atomically.
 *
 * ---- File schema, version 1 (readable with h5py or h5dump alone) ---------
 *
 *   /                        attribute wsnas_table_version: int32 scalar = 1
 *                            (readers refuse other versions); optional
 *                            string attributes (e.g. created_by).
 *   /archs/arch_str          15625 fixed-length strings (128 bytes, NUL
 *                            terminated, ASCII): the official architecture
 *                            string of index i at row i.
 *                            Attribute description.
 *   /archs/ops               uint8 [15625][6]: op codes per edge (edge order
 *                            1<-0 2<-0 2<-1 3<-0 3<-1 3<-2; 0=none
 *                            1=skip_connect 2=nor_conv_1x1 3=nor_conv_3x3
 *                            4=avg_pool_3x3).  Readers check every row
 *                            against the official enumeration.  String
 *                            attributes edge_order ("1<-0 2<-0 ..."),
 *                            op_codes ("0=none 1=skip_connect ...") and
 *                            description.
 *   /benchmarks/<bench>      one group per benchmark setting, e.g. cifar10,
 *                            cifar10-valid, cifar100, ImageNet16-120 or a
 *                            user-built one.  Its attributes are strings
 *                            (UTF-8; fixed-length and NUL-terminated as wsnas
 *                            writes them, inside the checksummed object
 *                            header; variable-length in tables of earlier
 *                            versions, read as well): provenance such as
 *                            `source` (input files), `release` (e.g.
 *                            "NAS-Bench-201-v1_1-096897"), `description`, and
 *                            any others (a training recipe, say).
 *   /benchmarks/<bench>/<metric>
 *                            float64 [15625], row = official index, NaN =
 *                            missing.  Names like test_acc_200,
 *                            valid_acc_200, test_acc_12, valid_acc_12,
 *                            train_seconds_200.  String attributes: `unit`
 *                            ("%" for accuracies, "nats" for losses, "s" for
 *                            times; every writer of wsnas sets it), `split`,
 *                            `epochs`, `source`, `description`, and
 *                            optionally `better` = "higher" | "lower" (if
 *                            absent: "lower" when the name contains "loss",
 *                            "seconds" or "time", else "higher") and `unit`
 *                            = "%" (values in [0, 100]) | "s" (values >= 0);
 *                            wsnas writers set it for names containing
 *                            "acc" ("%") and "seconds" or "time" ("s").
 *   /benchmarks/<bench>/filled
 *                            optional uint8 [15625]: 1 where a row has been
 *                            filled (used by incremental table builds);
 *                            attributes description and unit ("flag").
 *   Other datasets (non-float, not `filled`) and subgroups of a benchmark
 *   group are ignored by the reader.  Accuracies are in percent.
 *
 * ---- Integrity -------------------------------------------------------------
 * wsnas writes every dataset as one chunk with HDF5's Fletcher-32 checksum
 * and the file in the HDF5 1.10 format (checksummed superblock, object
 * headers and attribute heaps), so a damaged byte fails the read.  Tables
 * of earlier wsnas versions (no checksum, or deflate's adler32 only) still
 * open; `wsnas table info` says which datasets carry which check.  The
 * reader checks every value on open: finite or NaN (no infinities), within
 * the metric's `unit`, `filled` 0 or 1, /archs/ops and /archs/arch_str the
 * official enumeration.
 *
 * ---- Writing --------------------------------------------------------------
 * Every writer works on a copy `<path>.tmp` and renames it over `path` at
 * the end, so a crash or error never leaves a half-written table behind
 * (the copy costs a few milliseconds for the NB201 table).  Not safe for two
 * writers of the same path at once.
 */
#ifndef WSNAS_TABLE_H
#define WSNAS_TABLE_H

#include <stdint.h>

#include "wsnas/common.h"
#include "wsnas/space.h"

#define WS_TABLE_VERSION 1
#define WS_TABLE_NAME_MAX 128 /* benchmark, metric and attribute-key names */

typedef struct ws_table ws_table;

/* Reads the whole table into memory (no HDF5 handle stays open).  A table
 * with a dataset that carries no checksum at all (neither Fletcher-32 nor
 * deflate's adler32: written by wsnas before tables had checksums) is
 * refused, naming the dataset and `wsnas table upgrade`. */
int ws_table_open(const char *path, ws_table **out, ws_error *err);
/* The same, but such a table is accepted (ws_table_weakest_check says so):
 * only for `table info` and ws_table_upgrade. */
int ws_table_open_legacy(const char *path, ws_table **out, ws_error *err);
/* Rewrites a table (also one without checksums) through wsnas's writers:
 * every benchmark, metric, value, filled mask and attribute, each dataset
 * with Fletcher-32; out is written via out.tmp, read back by ws_table_open
 * and compared bit for bit before the rename (on failure out is untouched). */
int ws_table_upgrade(const char *in, const char *out, ws_error *err);
void ws_table_close(ws_table *t); /* NULL-safe */
/* The search space the table was checked against (owned by the table). */
const ws_space *ws_table_space(const ws_table *t);

/* Benchmarks in name order (strcmp). */
int ws_table_benchmark_count(const ws_table *t);
const char *ws_table_benchmark_name(const ws_table *t, int i);
/* 15625 float64 values in index order, NaN = missing; NULL if absent. */
const double *ws_table_column(const ws_table *t, const char *bench, const char *metric);
/* Metrics of a benchmark in name order; 0 / NULL if the benchmark is absent. */
int ws_table_metric_count(const ws_table *t, const char *bench);
const char *ws_table_metric_name(const ws_table *t, const char *bench, int j);
/* 1 if larger values are better for this metric, 0 if smaller are, -1 if absent. */
int ws_table_higher_is_better(const ws_table *t, const char *bench, const char *metric);
/* The `filled` mask of a benchmark, or NULL if it has none. */
const uint8_t *ws_table_filled(const ws_table *t, const char *bench);
/* Number of non-NaN values of a column (0 if absent). */
int ws_table_fill_count(const ws_table *t, const char *bench, const char *metric);

/* How a dataset's bytes are protected (the order is the strength). */
enum ws_table_check {
    WS_TABLE_CHECK_NONE = 0,    /* written before checksums */
    WS_TABLE_CHECK_DEFLATE,     /* compressed only: zlib's adler32 */
    WS_TABLE_CHECK_FLETCHER32,  /* HDF5's Fletcher-32 filter */
    WS_TABLE_CHECK_COUNT
};
const char *ws_table_checksum_name(int check);
/* A metric's check (-1 if absent), and the weakest over every dataset. */
int ws_table_metric_check(const ws_table *t, const char *bench, const char *metric);
int ws_table_weakest_check(const ws_table *t);
/* The value range of a `unit` attribute: "%" [0, 100]; "s" and "nats"
 * >= 0; none or another unit: any finite number.  Returns 0. */
int ws_table_unit_range(const char *unit, double *lo, double *hi);
/* The unit wsnas writers give a metric by its name ("%" for names with
 * "acc", "s" for "seconds" or "time", else NULL). */
const char *ws_table_default_unit(const char *metric);

/* String attributes: value by key (NULL if absent), and iteration by
 * position (key and value, NULL past the end). */
const char *ws_table_bench_attr(const ws_table *t, const char *bench, const char *key);
const char *ws_table_bench_attr_at(const ws_table *t, const char *bench, int i, const char **value);
const char *ws_table_metric_attr(const ws_table *t, const char *bench, const char *metric,
                                 const char *key);
const char *ws_table_metric_attr_at(const ws_table *t, const char *bench, const char *metric,
                                    int i, const char **value);

/* One value; WS_ENOTFOUND (saying which) for an absent benchmark or metric
 * or a NaN entry, WS_ERANGE for a bad index. */
int ws_table_get(const ws_table *t, const char *bench, const char *metric, int index,
                 double *value, ws_error *err);
/* The best non-NaN value of a column (ties: smallest index). */
int ws_table_oracle(const ws_table *t, const char *bench, const char *metric, int *best_index,
                    double *best_value, ws_error *err);
/* Best by `select_metric` (ties: smallest index), reporting `report_metric`
 * of that architecture (e.g. best by valid, report test).  *best_index is
 * set even when the reported value is missing (then WS_ENOTFOUND). */
int ws_table_oracle_by(const ws_table *t, const char *bench, const char *select_metric,
                       const char *report_metric, int *best_index, double *reported,
                       ws_error *err);
/* rank = 1 + number of non-NaN values strictly better (1 = best; ties share
 * a rank); percentile = 100 (n - rank + 1) / n over the n non-NaN values,
 * i.e. the percentage of architectures that this one equals or beats. */
int ws_table_rank(const ws_table *t, const char *bench, const char *metric, int index, int *rank,
                  double *percentile, ws_error *err);
/* Mean over the non-NaN values of the isomorphism class of `index`
 * (ws_space_iso_class); *count = how many were averaged (may be NULL).
 * WS_ENOTFOUND if none. */
int ws_table_iso_mean(const ws_table *t, const char *bench, const char *metric, int index,
                      double *mean, int *count, ws_error *err);

/* ---- Writing (atomic, see above) ----------------------------------------- */
/* An empty table: version attribute, /archs, empty /benchmarks. */
int ws_table_create(const char *path, ws_error *err);
/* Creates or replaces /benchmarks/<bench>/<metric> (creating the group if
 * needed) from 15625 values; attrs = key, value, ..., NULL (may be NULL). */
int ws_table_write_column(const char *path, const char *bench, const char *metric,
                          const double *values, const char *const *attrs, ws_error *err);
/* Creates or replaces the `filled` mask (15625 bytes, 0/1) of a benchmark. */
int ws_table_write_filled(const char *path, const char *bench, const uint8_t *mask,
                          ws_error *err);
/* Sets (creates or replaces) a string attribute of a benchmark group,
 * creating the group if needed. */
int ws_table_set_bench_attr(const char *path, const char *bench, const char *key,
                            const char *value, ws_error *err);
/* Sets a string attribute of an existing metric (or of `filled`);
 * WS_ENOTFOUND if absent.  Values are not touched. */
int ws_table_set_metric_attr(const char *path, const char *bench, const char *metric,
                             const char *key, const char *value, ws_error *err);
/* Writes the schema's descriptive attributes (on /archs/arch_str,
 * /archs/ops and every filled mask) into a table written before them. */
int ws_table_add_schema_attrs(const char *path, ws_error *err);

/* ---- Import from CSV / JSON ------------------------------------------------
 * Inputs: CSV files (header row; one architecture-string column, default
 * "arch_str"; if a column "index" exists it must equal each row's official
 * index) and JSON files (*.json: one object keyed by architecture string,
 * each value an object of numbers, e.g. {"val_acc_200": ..}).  Empty CSV
 * cells, "nan" and JSON null read as NaN.
 *
 * A mapping sends one input column to one benchmark metric:
 *   "[FILE:]COLUMN=BENCH/METRIC"      FILE = an input's base name or path,
 *                                     needed only if several inputs have COLUMN.
 * A suffix "@TAG" on COLUMN is ignored, so that one column can feed several
 * targets in a spec (JSON keys are unique).
 * A spec is JSON:
 *   {"arch_column": "arch_str",                      (optional)
 *    "allow_missing": false,                         (optional)
 *    "columns": {"[FILE:]COLUMN": "BENCH/METRIC"
 *                | {"to": "BENCH/METRIC", "split": .., "epochs": .., ...}},
 *    "benchmarks": {"BENCH": {"release": .., "description": .., ...}}}
 * Extra string fields of a column object become the metric's attributes;
 * numbers are stored as their text.  Unknown keys are errors.
 * Every mapped column must name each of the 15625 architectures exactly once
 * unless allow_missing (missing rows stay NaN).  Each input must have at
 * least one mapped column. */
typedef struct ws_table_import ws_table_import;
ws_table_import *ws_table_import_alloc(void);
void ws_table_import_free(ws_table_import *im);
/* Built-in spec "nb201": nb201_merged.csv's NB201 v1.1 200-epoch columns
 * (nb201_*) and 12-epoch columns (e12_*) -> cifar10, cifar10-valid,
 * cifar100, ImageNet16-120. */
int ws_table_import_preset(ws_table_import *im, const char *name, ws_error *err);
/* Adds a spec (JSON text; `what` names it in errors). */
int ws_table_import_spec(ws_table_import *im, const char *json, const char *what, ws_error *err);
int ws_table_import_map(ws_table_import *im, const char *mapping, ws_error *err);
int ws_table_import_bench_attr(ws_table_import *im, const char *bench, const char *key,
                               const char *value, ws_error *err);
int ws_table_import_arch_column(ws_table_import *im, const char *name, ws_error *err);
void ws_table_import_allow_missing(ws_table_import *im, int allow);
/* Reads the inputs and writes `out` (via out.tmp + rename; nothing is
 * written on error). */
int ws_table_import_run(ws_table_import *im, const char *const *inputs, int n_inputs,
                        const char *out, ws_error *err);

#endif
