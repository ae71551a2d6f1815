/* test_table.c: the HDF5 table: write/read round trip, queries (oracle ties,
 * rank, iso mean), refusal of bad files and bad import inputs (one clear
 * message, nothing written), the NB201 optima from the shared data, the
 * genius JSON import against the CSV import, and the CLI on bad input. */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "wsnas/table.h"

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void must_not_exist(const char *path)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_expect(!exists(path), "%s was written", path);
    cr_expect(!exists(tmp), "%s was left behind", tmp);
}

static const char *shared(const char *rel)
{
    static __thread char buf[4][1024];
    static __thread int k;
    const char *dir = wsfx_shared_dir();
    char *p = buf[k++ % 4];
    snprintf(p, 1024, "%s/%s", dir ? dir : "", rel);
    if (!dir || !exists(p)) cr_skip_test("%s absent", p);
    return p;
}

Test(table, roundtrip_and_queries)
{
    const char *path = wsfx_tmp_path("t_roundtrip.h5");
    remove(path);
    ws_error err = {0};
    cr_assert_eq(ws_table_create(path, &err), 0, "%s", err.msg);
    static double acc[WS_ARCH_COUNT], loss[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        acc[i] = (i % 97) * 0.5;
        loss[i] = 1000.0 - i;
    }
    acc[3] = NAN;
    acc[500] = acc[200] = 60.0; /* tie for the best: smallest index wins */
    loss[7] = NAN;
    const char *attrs[] = {"split", "x-valid", "epochs", "200", NULL};
    cr_assert_eq(ws_table_write_column(path, "toy", "valid_acc_200", acc, attrs, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(ws_table_write_column(path, "toy", "train_loss", loss, NULL, &err), 0, "%s",
                 err.msg);
    for (int i = 0; i < WS_ARCH_COUNT; i++) acc[i] = i % 2 ? 1.0 : 2.0;
    cr_assert_eq(ws_table_write_column(path, "toy", "test_acc_200", acc, NULL, &err), 0);
    cr_assert_eq(ws_table_write_column(path, "toy", "test_acc_200", loss, NULL, &err), 0,
                 "replacing a column: %s", err.msg);
    cr_assert_eq(ws_table_set_bench_attr(path, "toy", "recipe", "sgd lr=0.1", &err), 0);
    cr_assert_eq(ws_table_set_bench_attr(path, "toy", "recipe", "sgd lr=0.2", &err), 0);
    cr_assert_eq(ws_table_set_bench_attr(path, "other", "note", "empty", &err), 0);
    static uint8_t mask[WS_ARCH_COUNT];
    for (int i = 0; i < 10; i++) mask[i] = 1;
    cr_assert_eq(ws_table_write_filled(path, "toy", mask, &err), 0, "%s", err.msg);
    /* refused writes leave the file as it was */
    cr_expect_eq(ws_table_write_column(path, "toy", "filled", acc, NULL, &err), WS_EINVAL);
    cr_expect_eq(ws_table_write_column(path, "a/b", "m", acc, NULL, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "'a/b'") != NULL, "%s", err.msg);
    cr_expect_eq(ws_table_write_column(path, "toy", "", acc, NULL, &err), WS_EINVAL);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_expect(!exists(tmp));

    ws_table *t = NULL;
    cr_assert_eq(ws_table_open(path, &t, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_benchmark_count(t), 2);
    cr_expect_str_eq(ws_table_benchmark_name(t, 0), "other");
    cr_expect_str_eq(ws_table_benchmark_name(t, 1), "toy");
    cr_expect_null(ws_table_benchmark_name(t, 2));
    cr_assert_eq(ws_table_metric_count(t, "toy"), 3);
    cr_expect_str_eq(ws_table_metric_name(t, "toy", 0), "test_acc_200");
    cr_expect_str_eq(ws_table_metric_name(t, "toy", 2), "valid_acc_200");
    cr_expect_eq(ws_table_metric_count(t, "nope"), 0);
    cr_expect_str_eq(ws_table_bench_attr(t, "toy", "recipe"), "sgd lr=0.2");
    cr_expect_str_eq(ws_table_bench_attr(t, "other", "note"), "empty");
    cr_expect_null(ws_table_bench_attr(t, "toy", "nope"));
    cr_expect_str_eq(ws_table_metric_attr(t, "toy", "valid_acc_200", "split"), "x-valid");
    cr_expect_str_eq(ws_table_metric_attr(t, "toy", "valid_acc_200", "epochs"), "200");
    cr_expect_eq(ws_table_fill_count(t, "toy", "valid_acc_200"), WS_ARCH_COUNT - 1);
    const uint8_t *f = ws_table_filled(t, "toy");
    cr_assert_not_null(f);
    cr_expect_eq(f[9], 1);
    cr_expect_eq(f[10], 0);
    cr_expect_null(ws_table_filled(t, "other"));
    cr_expect_eq(ws_table_higher_is_better(t, "toy", "valid_acc_200"), 1);
    cr_expect_eq(ws_table_higher_is_better(t, "toy", "train_loss"), 0);
    const double *col = ws_table_column(t, "toy", "test_acc_200");
    cr_assert_not_null(col);
    cr_expect_eq(col[5], 995.0);
    cr_expect_null(ws_table_column(t, "toy", "nope"));

    double v = 0;
    cr_expect_eq(ws_table_get(t, "toy", "valid_acc_200", 4, &v, &err), 0);
    cr_expect_eq(v, 2.0);
    cr_expect_eq(ws_table_get(t, "toy", "valid_acc_200", 3, &v, &err), WS_ENOTFOUND);
    cr_expect(strstr(err.msg, "no value for index 3 (missing, NaN)"), "%s", err.msg);
    cr_expect_eq(ws_table_get(t, "toy", "nope", 3, &v, &err), WS_ENOTFOUND);
    cr_expect(strstr(err.msg, "has no metric 'nope'") && strstr(err.msg, "valid_acc_200"), "%s",
              err.msg);
    cr_expect_eq(ws_table_get(t, "nope", "x", 3, &v, &err), WS_ENOTFOUND);
    cr_expect(strstr(err.msg, "no benchmark 'nope'"), "%s", err.msg);
    cr_expect_eq(ws_table_get(t, "toy", "valid_acc_200", WS_ARCH_COUNT, &v, &err), WS_ERANGE);

    int best = -1;
    cr_expect_eq(ws_table_oracle(t, "toy", "valid_acc_200", &best, &v, &err), 0);
    cr_expect_eq(best, 200);
    cr_expect_eq(v, 60.0);
    cr_expect_eq(ws_table_oracle(t, "toy", "train_loss", &best, &v, &err), 0);
    cr_expect_eq(best, WS_ARCH_COUNT - 1, "lower is better for a loss");
    cr_expect_eq(ws_table_oracle_by(t, "toy", "valid_acc_200", "test_acc_200", &best, &v, &err), 0);
    cr_expect_eq(best, 200);
    cr_expect_eq(v, 800.0);
    cr_expect_eq(ws_table_oracle_by(t, "toy", "test_acc_200", "train_loss", &best, &v, &err), 0);

    int rank = 0;
    double pct = 0;
    cr_expect_eq(ws_table_rank(t, "toy", "valid_acc_200", 500, &rank, &pct, &err), 0);
    cr_expect_eq(rank, 1);
    cr_expect_eq(pct, 100.0);
    cr_expect_eq(ws_table_rank(t, "toy", "train_loss", 0, &rank, &pct, &err), 0);
    cr_expect_eq(rank, WS_ARCH_COUNT - 1, "%d", rank); /* index 7 is NaN */
    cr_expect_eq(pct, 100.0 / (WS_ARCH_COUNT - 1));
    cr_expect_eq(ws_table_rank(t, "toy", "valid_acc_200", 3, &rank, &pct, &err), WS_ENOTFOUND);

    /* iso mean = mean over the members of the class */
    const ws_space *sp = ws_table_space(t);
    int members[WS_ARCH_COUNT], idx = -1;
    cr_assert_eq(
        ws_space_lookup(
            sp, "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
            &idx, NULL),
        0);
    int n = ws_space_iso_members(sp, idx, members, WS_ARCH_COUNT), cnt = 0;
    cr_assert_gt(n, 1);
    double sum = 0, mean = 0;
    for (int k = 0; k < n; k++) sum += loss[members[k]];
    cr_expect_eq(ws_table_iso_mean(t, "toy", "test_acc_200", idx, &mean, &cnt, &err), 0);
    cr_expect_eq(cnt, n);
    cr_expect(fabs(mean - sum / n) < 1e-9);
    ws_table_close(t);
    ws_table_close(NULL);
    remove(path);
}

/* Opens `path` read-write with the plain HDF5 API (to damage a table). */
static hid_t h5_rw(const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    return f;
}

Test(table, open_refuses_bad_files)
{
    ws_table *t = (ws_table *)1;
    ws_error err = {0};
    const char *missing = wsfx_tmp_path("t_open_missing.h5");
    remove(missing);
    cr_expect_eq(ws_table_open(missing, &t, &err), WS_EIO);
    cr_expect_null(t);
    cr_expect(strstr(err.msg, missing) && strstr(err.msg, "cannot open"), "%s", err.msg);

    const char *text = wsfx_tmp_path("t_open_text.h5");
    FILE *fp = fopen(text, "w");
    cr_assert_not_null(fp);
    fputs("index,arch_str\n", fp);
    fclose(fp);
    cr_expect_eq(ws_table_open(text, &t, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "not an HDF5 file"), "%s", err.msg);

    /* an HDF5 file that is not a table */
    const char *plain = wsfx_tmp_path("t_open_plain.h5");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fcreate(plain, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(f, 0);
    H5Fclose(f);
    cr_expect_eq(ws_table_open(plain, &t, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "no root attribute wsnas_table_version"), "%s", err.msg);

    /* wrong version */
    const char *ver = wsfx_tmp_path("t_open_version.h5");
    cr_assert_eq(ws_table_create(ver, &err), 0);
    f = h5_rw(ver);
    hid_t a = H5Aopen(f, "wsnas_table_version", H5P_DEFAULT);
    int two = 2;
    cr_assert_geq(H5Awrite(a, H5T_NATIVE_INT, &two), 0);
    H5Aclose(a);
    H5Fclose(f);
    cr_expect_eq(ws_table_open(ver, &t, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "version 2; this wsnas reads version 1"), "%s", err.msg);
    static double vals[WS_ARCH_COUNT];
    cr_expect_eq(ws_table_write_column(ver, "b", "m", vals, NULL, &err), WS_EFORMAT,
                 "writing into a wrong-version file");

    /* a column of the wrong length */
    const char *dims = wsfx_tmp_path("t_open_dims.h5");
    cr_assert_eq(ws_table_create(dims, &err), 0);
    f = h5_rw(dims);
    hid_t g = H5Gcreate2(f, "benchmarks/b", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n = 100;
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(g, "acc", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert_geq(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals), 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Gclose(g);
    H5Fclose(f);
    cr_expect_eq(ws_table_open(dims, &t, &err), WS_EFORMAT);
    cr_expect(
        strstr(err.msg, "/benchmarks/b/acc: expected 15625 values (1-D), got dimensions (100)"),
        "%s", err.msg);

    /* architecture rows in another order */
    const char *ops = wsfx_tmp_path("t_open_ops.h5");
    cr_assert_eq(ws_table_create(ops, &err), 0);
    f = h5_rw(ops);
    d = H5Dopen2(f, "archs/ops", H5P_DEFAULT);
    static uint8_t o[WS_ARCH_COUNT][WS_EDGES];
    cr_assert_geq(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, o), 0);
    o[17][2] = (uint8_t)((o[17][2] + 1) % WS_OP_COUNT);
    cr_assert_geq(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, o), 0);
    H5Dclose(d);
    H5Fclose(f);
    cr_expect_eq(ws_table_open(ops, &t, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "/archs/ops row 17 differs"), "%s", err.msg);
    cr_expect_null(t);
    remove(text);
    remove(plain);
    remove(ver);
    remove(dims);
    remove(ops);
}

/* Writes a complete toy CSV (index,arch_str,acc) and applies an edit to
 * data row `row` (0-based; -1 = none): "drop", "dup" (repeat row 0), or a
 * replacement line. */
static void write_toy_csv(const char *path, int row, const char *edit)
{
    ws_space *sp = ws_space_alloc();
    FILE *f = fopen(path, "w");
    cr_assert(sp && f);
    fputs("index,arch_str,acc\n", f);
    char s[WS_ARCH_STR_MAX], first[WS_ARCH_STR_MAX + 64] = "";
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        ws_arch a = ws_space_arch(sp, i);
        ws_arch_format(&a, s);
        char line[WS_ARCH_STR_MAX + 64];
        snprintf(line, sizeof line, "%d,%s,%g", i, s, 50.0 + (i % 89) * 0.25);
        if (i == 0) strcpy(first, line);
        if (i == row && !strcmp(edit, "drop")) continue;
        if (i == row && !strcmp(edit, "dup")) {
            fprintf(f, "%s\n", first);
            continue;
        }
        fprintf(f, "%s\n", i == row ? edit : line);
    }
    fclose(f);
    ws_space_free(sp);
}

/* Runs the import of `csv` with the mapping acc=toy/acc into `out`. */
static int import_toy(const char *csv, const char *out, int allow_missing, ws_error *err)
{
    ws_table_import *im = ws_table_import_alloc();
    cr_assert_not_null(im);
    int rc = ws_table_import_map(im, "acc=toy/acc", err);
    ws_table_import_allow_missing(im, allow_missing);
    const char *in[1] = {csv};
    if (!rc) rc = ws_table_import_run(im, in, 1, out, err);
    ws_table_import_free(im);
    return rc;
}

Test(table, import_csv_and_its_errors)
{
    const char *csv = wsfx_tmp_path("t_imp.csv"), *out = wsfx_tmp_path("t_imp.h5");
    ws_error err = {0};
    remove(out);
    write_toy_csv(csv, -1, "");
    cr_assert_eq(import_toy(csv, out, 0, &err), 0, "%s", err.msg);
    ws_table *t = NULL;
    cr_assert_eq(ws_table_open(out, &t, &err), 0, "%s", err.msg);
    const double *acc = ws_table_column(t, "toy", "acc");
    cr_assert_not_null(acc);
    for (int i = 0; i < WS_ARCH_COUNT; i++) cr_assert_eq(acc[i], 50.0 + (i % 89) * 0.25);
    cr_expect_str_eq(ws_table_metric_attr(t, "toy", "acc", "source"), "t_imp.csv:acc");
    cr_expect_str_eq(ws_table_bench_attr(t, "toy", "source"), csv);
    ws_table_close(t);
    remove(out);

    static const struct {
        int row;
        const char *edit;
        const char *msg; /* substring of the one-line error */
    } bad[] = {
        {4, "4,|nor_conv_3x3~0|+|bad~0|,1.0",
         "t_imp.csv:6: column 2 (arch_str): arch string offset 18: expected an op name"},
        {-2, "", "t_imp.csv:7: column 3 (acc): expected a number, got 'abc'"},
        {9, "drop", "t_imp.csv: 1 of 15625 architectures missing (first: index 9"},
        {12, "dup", "t_imp.csv:14: duplicate architecture"},
        {3, "3,x", "t_imp.csv:5: expected 3 fields, got 2"},
        {-3, "", "t_imp.csv:3: column 1 (index) is '7'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        if (bad[k].row == -2 || bad[k].row == -3) {
            /* edit a valid row's number / index in place */
            ws_space *sp = ws_space_alloc();
            char s[WS_ARCH_STR_MAX], line[256];
            int r = bad[k].row == -2 ? 5 : 1;
            ws_arch a = ws_space_arch(sp, r);
            ws_arch_format(&a, s);
            if (bad[k].row == -2)
                snprintf(line, sizeof line, "%d,%s,abc", r, s);
            else
                snprintf(line, sizeof line, "7,%s,1", s);
            ws_space_free(sp);
            write_toy_csv(csv, r, line);
        } else {
            write_toy_csv(csv, bad[k].row, bad[k].edit);
        }
        ws_error_clear(&err);
        cr_expect_neq(import_toy(csv, out, 0, &err), 0, "case %zu accepted", k);
        cr_expect(strstr(err.msg, bad[k].msg) != NULL, "case %zu: '%s' lacks '%s'", k, err.msg,
                  bad[k].msg);
        cr_expect(!strchr(err.msg, '\n'), "one line");
        must_not_exist(out);
    }
    /* missing rows are allowed on request and stay NaN */
    write_toy_csv(csv, 9, "drop");
    cr_assert_eq(import_toy(csv, out, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_open(out, &t, &err), 0, "%s", err.msg);
    cr_expect(isnan(ws_table_column(t, "toy", "acc")[9]));
    cr_expect_eq(ws_table_fill_count(t, "toy", "acc"), WS_ARCH_COUNT - 1);
    ws_table_close(t);
    remove(out);

    /* missing input, unmapped input, mapping to an absent column */
    const char *nofile = wsfx_tmp_path("t_imp_none.csv");
    remove(nofile);
    cr_expect_eq(import_toy(nofile, out, 0, &err), WS_EIO);
    cr_expect(strstr(err.msg, "t_imp_none.csv: cannot open"), "%s", err.msg);
    ws_table_import *im = ws_table_import_alloc();
    cr_assert_eq(ws_table_import_map(im, "zzz=toy/acc", &err), 0);
    const char *in[1] = {csv};
    cr_expect_eq(ws_table_import_run(im, in, 1, out, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "column 'zzz' (for toy/acc) is in no input"), "%s", err.msg);
    cr_expect_eq(ws_table_import_map(im, "acc=toy/acc", &err), WS_EINVAL,
                 "two columns -> one metric");
    cr_expect_eq(ws_table_import_map(im, "acc=toyacc", &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "expected BENCH/METRIC"), "%s", err.msg);
    cr_expect_eq(ws_table_import_map(im, "acc", &err), WS_EINVAL);
    ws_table_import_free(im);
    must_not_exist(out);
    remove(csv);
}

Test(table, import_spec_json)
{
    const char *csv = wsfx_tmp_path("t_spec.csv"), *out = wsfx_tmp_path("t_spec.h5");
    ws_error err = {0};
    write_toy_csv(csv, -1, "");
    ws_table_import *im = ws_table_import_alloc();
    cr_expect_eq(ws_table_import_spec(im, "{\"columns\": {", "s1", &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "s1: invalid JSON near byte"), "%s", err.msg);
    cr_expect_eq(ws_table_import_spec(im, "{\"colums\": {}}", "s2", &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "s2: unknown key 'colums'"), "%s", err.msg);
    cr_expect_eq(ws_table_import_spec(im, "{\"columns\": {\"acc\": 3}}", "s3", &err), WS_EFORMAT);
    cr_expect_eq(ws_table_import_preset(im, "nb202", &err), WS_EINVAL);
    cr_assert_eq(ws_table_import_spec(im,
                                      "{\"columns\": {\"t_spec.csv:acc\": {\"to\": \"toy/acc\", "
                                      "\"epochs\": 12, \"split\": \"x-valid\"},"
                                      " \"acc@again\": \"toy2/acc\"},"
                                      " \"benchmarks\": {\"toy\": {\"release\": \"r1\"}}}",
                                      "s4", &err),
                 0, "%s", err.msg);
    const char *in[1] = {csv};
    cr_assert_eq(ws_table_import_run(im, in, 1, out, &err), 0, "%s", err.msg);
    ws_table_import_free(im);
    ws_table *t = NULL;
    cr_assert_eq(ws_table_open(out, &t, &err), 0, "%s", err.msg);
    cr_expect_str_eq(ws_table_metric_attr(t, "toy", "acc", "epochs"), "12");
    cr_expect_str_eq(ws_table_metric_attr(t, "toy", "acc", "split"), "x-valid");
    cr_expect_str_eq(ws_table_bench_attr(t, "toy", "release"), "r1");
    cr_expect_eq(ws_table_column(t, "toy2", "acc")[77], ws_table_column(t, "toy", "acc")[77]);
    ws_table_close(t);
    remove(out);
    remove(csv);
}

/* Imports the merged CSV with the nb201 preset into `out`. */
static void import_nb201(const char *out)
{
    const char *csv = shared("nb201/nb201_merged.csv");
    ws_table_import *im = ws_table_import_alloc();
    ws_error err = {0};
    cr_assert_eq(ws_table_import_preset(im, "nb201", &err), 0, "%s", err.msg);
    const char *in[1] = {csv};
    cr_assert_eq(ws_table_import_run(im, in, 1, out, &err), 0, "%s", err.msg);
    ws_table_import_free(im);
}

Test(table, nb201_optima)
{
    const char *out = wsfx_tmp_path("t_nb201.h5");
    import_nb201(out);
    ws_table *t = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_table_open(out, &t, &err), 0, "%s", err.msg);
    cr_expect_str_eq(ws_table_bench_attr(t, "cifar10", "release"), "NAS-Bench-201-v1_1-096897");
    static const struct {
        const char *bench, *metric;
        int index;
        double value;
    } best[] = {
        {"cifar10", "test_acc_200", 6111, 94.37},
        {"cifar100", "test_acc_200", 9930, 73.51},
        {"ImageNet16-120", "test_acc_200", 857, 47.31},
        {"cifar10-valid", "valid_acc_200", 6111, 91.61},
        {"cifar10", "valid_acc_200", 6111, 91.61},
        {"cifar100", "valid_acc_200", 9930, 73.49},
        {"ImageNet16-120", "valid_acc_200", 10676, 46.73},
    };
    for (size_t k = 0; k < sizeof best / sizeof best[0]; k++) {
        int bi = -1;
        double v = 0;
        cr_expect_eq(ws_table_oracle(t, best[k].bench, best[k].metric, &bi, &v, &err), 0, "%s",
                     err.msg);
        cr_expect_eq(bi, best[k].index, "%s/%s: %d", best[k].bench, best[k].metric, bi);
        cr_expect(fabs(v - best[k].value) < 0.005, "%s/%s: %.6f", best[k].bench, best[k].metric, v);
    }
    double a = 0, b = 0;
    cr_expect_eq(ws_table_get(t, "cifar10", "test_acc_200", 6111, &a, NULL), 0);
    cr_expect_eq(ws_table_get(t, "cifar10", "test_acc_200", 13714, &b, NULL), 0);
    cr_expect_eq(a, b, "6111 and 13714 tie on cifar10 test");
    int rank = 0, idx = -1;
    cr_expect_eq(ws_table_rank(t, "cifar10", "test_acc_200", 13714, &rank, NULL, NULL), 0);
    cr_expect_eq(rank, 1);
    cr_assert_eq(
        ws_space_lookup(
            ws_table_space(t),
            "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|", &idx,
            NULL),
        0);
    cr_expect_eq(idx, 11472);
    cr_expect_eq(ws_table_get(t, "cifar10", "test_acc_200", idx, &a, NULL), 0);
    cr_expect(fabs(a - 93.91) < 0.005, "ResNet cifar10 test %f", a);
    ws_table_close(t);
    remove(out);
}

Test(table, genius_json_matches_csv)
{
    const char *c10 = shared("nb201/raw/genius/nasbench201_cifar10.json");
    const char *c100 = shared("nb201/raw/genius/nasbench201_cifar100.json");
    const char *in16 = shared("nb201/raw/genius/nasbench201_imagenet.json");
    const char *out_csv = wsfx_tmp_path("t_gen_csv.h5"), *out_json = wsfx_tmp_path("t_gen_json.h5");
    import_nb201(out_csv);
    ws_table_import *im = ws_table_import_alloc();
    ws_error err = {0};
    static const char *maps[] = {
        "nasbench201_cifar10.json:test_acc_200=cifar10/test_acc_200",
        "nasbench201_cifar10.json:val_acc_200=cifar10-valid/valid_acc_200",
        "nasbench201_cifar100.json:test_acc_200=cifar100/test_acc_200",
        "nasbench201_cifar100.json:val_acc_200=cifar100/valid_acc_200",
        "nasbench201_imagenet.json:test_acc_200=ImageNet16-120/test_acc_200",
        "nasbench201_imagenet.json:val_acc_200=ImageNet16-120/valid_acc_200",
    };
    for (size_t k = 0; k < sizeof maps / sizeof maps[0]; k++)
        cr_assert_eq(ws_table_import_map(im, maps[k], &err), 0, "%s", err.msg);
    const char *in[3] = {c10, c100, in16};
    cr_assert_eq(ws_table_import_run(im, in, 3, out_json, &err), 0, "%s", err.msg);
    ws_table_import_free(im);
    ws_table *tc = NULL, *tj = NULL;
    cr_assert_eq(ws_table_open(out_csv, &tc, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_open(out_json, &tj, &err), 0, "%s", err.msg);
    for (size_t k = 0; k < sizeof maps / sizeof maps[0]; k++) {
        char bench[64], metric[64];
        const char *target = strrchr(maps[k], '=') + 1;
        sscanf(target, "%63[^/]/%63s", bench, metric);
        const double *x = ws_table_column(tc, bench, metric),
                     *y = ws_table_column(tj, bench, metric);
        cr_assert(x && y, "%s/%s", bench, metric);
        int differ = 0;
        for (int i = 0; i < WS_ARCH_COUNT; i++) differ += x[i] != y[i];
        cr_expect_eq(differ, 0, "%s/%s: %d values differ", bench, metric, differ);
    }
    ws_table_close(tc);
    ws_table_close(tj);
    remove(out_csv);
    remove(out_json);
}

/* ---- CLI ---------------------------------------------------------------------- */

/* Runs `$WSNAS_BIN args` with stdout/stderr captured; returns the exit
 * status and the stderr text in err (n bytes). */
static int run_cli(const char *args, char *errbuf, size_t n, char *outbuf, size_t on)
{
    const char *bin = getenv("WSNAS_BIN");
    if (!bin) cr_skip_test("WSNAS_BIN unset");
    char en[64], on_[64];
    snprintf(en, sizeof en, "t_cli_err_%d.txt", (int)getpid());
    snprintf(on_, sizeof on_, "t_cli_out_%d.txt", (int)getpid());
    const char *eo = wsfx_tmp_path(en), *so = wsfx_tmp_path(on_);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>%s", bin, args, so, eo);
    int st = system(cmd);
    cr_assert(st != -1 && WIFEXITED(st));
    FILE *f = fopen(eo, "r");
    size_t r = f ? fread(errbuf, 1, n - 1, f) : 0;
    errbuf[r] = '\0';
    if (f) fclose(f);
    f = fopen(so, "r");
    r = f ? fread(outbuf, 1, on - 1, f) : 0;
    outbuf[r] = '\0';
    if (f) fclose(f);
    return WEXITSTATUS(st);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

Test(table, cli_bad_input)
{
    static char e[8192], o[65536];
    char args[2048];
    const char *dir = wsfx_tmp_dir();
    cr_assert_not_null(dir);
    /* missing input file */
    snprintf(args, sizeof args, "table import --map a=b/c -o %s/t_cli.h5 %s/t_cli_nope.csv", dir,
             dir);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 1);
    cr_expect(strstr(e, "wsnas table import: ") && strstr(e, "t_cli_nope.csv: cannot open"), "%s",
              e);
    cr_expect_eq(count_lines(e), 1, "%s", e);
    /* not an HDF5 file */
    char txt[1024];
    snprintf(txt, sizeof txt, "%s", wsfx_tmp_path("t_cli_text.h5"));
    FILE *f = fopen(txt, "w");
    fputs("hello\n", f);
    fclose(f);
    snprintf(args, sizeof args, "table info %s", txt);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 1);
    cr_expect(strstr(e, "not an HDF5 file"), "%s", e);
    cr_expect_eq(count_lines(e), 1, "%s", e);
    snprintf(args, sizeof args, "table oracle %s", txt);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 1);
    cr_expect_eq(count_lines(e), 1, "%s", e);
    /* a bad architecture */
    cr_expect_eq(
        run_cli("arch '|nor_conv_3x3~0|+|none~0|nor_conv_3x3~2|'", e, sizeof e, o, sizeof o), 1);
    cr_expect(strstr(e, "wsnas arch: arch string offset 38: expected input node index 1"), "%s", e);
    cr_expect_eq(count_lines(e), 1, "%s", e);
    cr_expect_eq(run_cli("arch 15625", e, sizeof e, o, sizeof o), 1);
    cr_expect(strstr(e, "out of range"), "%s", e);
    cr_expect_eq(run_cli("arch 11472 --C 0", e, sizeof e, o, sizeof o), 2);
    cr_expect(strstr(e, "--C"), "%s", e);
    /* a good architecture */
    cr_expect_eq(run_cli("arch 11472", e, sizeof e, o, sizeof o), 0, "%s", e);
    cr_expect(strstr(
        o, "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"));
    cr_expect(strstr(o, "params       559386"), "%s", o);
    /* every --help works */
    static const char *helps[] = {"arch --help",       "table --help",       "table import --help",
                                  "table info --help", "table query --help", "table oracle --help"};
    for (size_t k = 0; k < sizeof helps / sizeof helps[0]; k++) {
        cr_expect_eq(run_cli(helps[k], e, sizeof e, o, sizeof o), 0, "%s", helps[k]);
        cr_expect(strstr(o, "usage: wsnas"), "%s: %s", helps[k], o);
    }
    cr_expect_eq(run_cli("table frob", e, sizeof e, o, sizeof o), 2);
    remove(txt);
}

Test(table, cli_import_query_oracle)
{
    const char *csv = shared("nb201/nb201_merged.csv");
    static char e[8192], o[65536];
    char args[2048];
    char out[1024];
    snprintf(out, sizeof out, "%s", wsfx_tmp_path("t_cli_nb201.h5"));
    snprintf(args, sizeof args, "table import --preset nb201 %s -o %s", csv, out);
    cr_assert_eq(run_cli(args, e, sizeof e, o, sizeof o), 0, "%s", e);
    snprintf(args, sizeof args, "table oracle %s --bench cifar100", out);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 0, "%s", e);
    cr_expect(strstr(o, "test_acc_200 = 73.5133: index  9930"), "%s", o);
    snprintf(args, sizeof args, "table oracle %s --bench cifar10 --select-by valid_acc_200", out);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 0, "%s", e);
    cr_expect(strstr(o, "index  6111  test_acc_200 = 94.3733"), "%s", o);
    snprintf(args, sizeof args, "table oracle %s --bench nope", out);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 1);
    cr_expect(strstr(e, "no benchmark 'nope' in the table (it has: ImageNet16-120, cifar10, "
                        "cifar10-valid, cifar100)"),
              "%s", e);
    snprintf(args, sizeof args, "table oracle %s --metric nope", out);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 1);
    cr_expect_eq(count_lines(e), 1, "%s", e);
    snprintf(args, sizeof args, "table query %s 11472 --bench cifar10", out);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 0, "%s", e);
    cr_expect(strstr(o, "test_acc_200") && strstr(o, "93.91"), "%s", o);
    snprintf(args, sizeof args, "table query %s 99999", out);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 1);
    cr_expect(strstr(e, "out of range") && count_lines(e) == 1, "%s", e);
    snprintf(args, sizeof args, "table info %s", out);
    cr_expect_eq(run_cli(args, e, sizeof e, o, sizeof o), 0, "%s", e);
    cr_expect(strstr(o, "[ImageNet16-120]") && strstr(o, "15625 / 15625 filled"), "%s", o);
    remove(out);
}
