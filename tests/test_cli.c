/* test_cli.c: the wsnas binary's manners: --version, usage errors as one
 * line "wsnas CMD: ... (try 'wsnas CMD --help')" with exit 2, "did you mean"
 * only for close names (commands, subcommands, options, methods, keys),
 * negative numbers read as values where an index is expected, and
 * `search --list-keys` (type, cpu and paper defaults, meaning per key), and
 * `table attr` with the schema's attributes. */
#include <criterion/criterion.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "wsnas/config.h"
#include "wsnas/method.h"
#include "wsnas/table.h"

static char out[1 << 16];

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static int run(const char *args)
{
    int st = wsfx_run_cli(args, out, sizeof out);
    if (st < 0) cr_skip_test("WSNAS_BIN unset");
    return st;
}

Test(cli, version)
{
    cr_assert_eq(run("--version"), 0, "%s", out);
    cr_expect(!strncmp(out, "wsnas " WS_VERSION " (git ", 10 + strlen(WS_VERSION)), "%s", out);
    cr_expect(strstr(out, "CFLAGS") && strstr(out, "-std=c11"), "%s", out);
    cr_expect(strstr(out, "GEMM: BLIS "), "%s", out);
    cr_expect(strstr(out, "convolutions: "), "%s", out);
}

/* Every usage error: exit 2, one line, the command's prefix, the hint. */
Test(cli, usage_errors_are_one_line)
{
    static const struct {
        const char *args, *prog, *says;
    } cases[] = {
        {"serach", "wsnas", "unknown command 'serach'; did you mean 'search'?"},
        {"zzzzzz", "wsnas", "unknown command 'zzzzzz'"},
        {"search --out", "wsnas search", "option '--out' needs a value"},
        {"search --ot x", "wsnas search", "unknown option '--ot'; did you mean '--out'?"},
        {"search --help=1", "wsnas search", "option '--help' takes no value"},
        {"search --method darts", "wsnas search", "--out DIR (or --resume DIR) is required"},
        {"search --out a --resume b", "wsnas search", "give --out DIR or --resume DIR, not both"},
        {"search --method darts --out d extra", "wsnas search", "unexpected argument 'extra'"},
        {"arch", "wsnas arch", "expected one architecture string or index, got 0"},
        {"arch 1 2", "wsnas arch", "expected one architecture string or index, got 2"},
        {"arch --Cx 3 1", "wsnas arch", "unknown option '--Cx'"},
        {"table", "wsnas table", "expected a subcommand: import info query oracle build merge attr upgrade"},
        {"table quer x", "wsnas table", "unknown subcommand 'quer'; did you mean 'query'?"},
        {"table import x.csv", "wsnas table import", "missing -o OUT.h5"},
        {"table query x.h5", "wsnas table query", "expected 2 arguments, got 1"},
        {"table info", "wsnas table info", "expected 1 argument, got 0"},
        {"table merge -o x", "wsnas table merge", "missing --bench NAME"},
        {"table build -o x --bench b --all --shard 3/2", "wsnas table build",
         "--shard '3/2': expected I/K with 0 <= I < K"},
        {"baseline", "wsnas baseline", "expected one table file, got 0 arguments"},
        {"baseline --budgett 3 t.h5", "wsnas baseline",
         "unknown option '--budgett'; did you mean '--budget'?"},
        {"report", "wsnas report", "expected at least one run directory"},
        {"eval", "wsnas eval", "expected one run directory (or checkpoint) and --table"},
        {"bench", "wsnas bench", "expected one SUITE.json, got 0 arguments"},
        {"bench --jobs", "wsnas bench", "option '--jobs' needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int st = run(cases[i].args);
        char want[512];
        snprintf(want, sizeof want, "%s: %s (try '%s --help')\n", cases[i].prog, cases[i].says,
                 cases[i].prog);
        cr_expect_eq(st, 2, "wsnas %s: exit %d", cases[i].args, st);
        cr_expect_str_eq(out, want, "wsnas %s", cases[i].args);
        cr_expect_eq(lines(out), 1, "wsnas %s: %d lines", cases[i].args, lines(out));
    }
}

/* Other failures carry the command's prefix too, and suggest only close names. */
Test(cli, messages_prefix_and_suggestions)
{
    static const struct {
        const char *args, *starts;
        int status;
    } cases[] = {
        {"search --method dartz --out d", "wsnas search: unknown method 'dartz' (did you mean "
                                          "'darts'?)",
         1},
        {"search --method zzz --out d", "wsnas search: unknown method 'zzz' (expected one of: "
                                        "rs-ws darts",
         1},
        {"search --method darts --out d --set epoch=3",
         "wsnas search: --set: unknown key 'epoch' (did you mean 'epochs'?)", 1},
        {"search --method darts --out d --set foo=1",
         "wsnas search: --set: unknown key 'foo' (wsnas search --list-keys lists them)", 1},
        {"search --method darts --out d --seed x",
         "wsnas search: --seed: expected an integer, got 'x'", 2},
        {"arch --C 0 1", "wsnas arch: --C: 0 is out of range [1, 4096]", 2},
        {"table info /nonexistent.h5", "wsnas table info: /nonexistent.h5: cannot open", 1},
        {"search --method darts --preset paper --data-dir /nonexistent --out d --epochs 1",
         "wsnas search: /nonexistent: missing file data_batch_1.bin (expected the cifar10 binary "
         "version there; --data-dir DIR or the data_dir key chooses the directory)",
         1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char args[600];
        snprintf(args, sizeof args, "%s", cases[i].args);
        /* the output directory must not exist: use one under WSNAS_TMP */
        char *d = strstr(args, " --out d");
        if (d) snprintf(d, args + sizeof args - d, " --out '%s'%s", wsfx_tmp_path("cli_none"),
                        strstr(cases[i].args, " --out d") + 8);
        int st = run(args);
        cr_expect_eq(st, cases[i].status, "wsnas %s: exit %d\n%s", args, st, out);
        cr_expect(!strncmp(out, cases[i].starts, strlen(cases[i].starts)),
                  "wsnas %s:\n%s\nexpected it to start with\n%s", args, out, cases[i].starts);
        cr_expect_eq(lines(out), 1, "wsnas %s: %s", args, out);
    }
    /* close means close: no suggestion for names far from every candidate */
    cr_expect_eq(ws_suggest("foo", (const char *const[]){"C", "N", "lr"}, 3), NULL);
    cr_expect_eq(ws_suggest("C", (const char *const[]){"N"}, 1), NULL);
    cr_expect_str_eq(ws_suggest("serach", (const char *const[]){"search", "bench"}, 2), "search");
    const char *names[WS_METHOD_COUNT];
    for (int m = 0; m < WS_METHOD_COUNT; m++) names[m] = ws_method_name(m);
    cr_expect_str_eq(ws_suggest("gaea_darts", names, WS_METHOD_COUNT), "gaea-darts");
    cr_expect_eq(ws_edit_distance("ab", "ba"), 1, "a swap is one edit");
    cr_expect_eq(ws_edit_distance("kitten", "sitting"), 3);
}

/* Where an index is expected a negative number is a value (out of range),
 * not an unknown option; as an option's value it is that option's. */
Test(cli, negative_numbers_are_values)
{
    cr_expect_eq(run("arch -1"), 1, "%s", out);
    cr_expect_str_eq(out, "wsnas arch: architecture index -1 is out of range 0..15624\n");
    cr_expect_eq(run("arch --C 8 -20"), 1, "%s", out);
    cr_expect_str_eq(out, "wsnas arch: architecture index -20 is out of range 0..15624\n");
    cr_expect_eq(run("arch --C -1 5"), 2, "%s", out);
    cr_expect_str_eq(out, "wsnas arch: --C: -1 is out of range [1, 4096]\n");
    cr_expect_eq(run("arch -- 7"), 0, "%s", out);
    cr_expect(strstr(out, "index        7\n"), "%s", out);
    const char *root = wsfx_root();
    if (!root) cr_skip_test("WSNAS_ROOT unset");
    char args[800];
    snprintf(args, sizeof args, "table query '%s/bench/fashion-mnist-small.h5' -5", root);
    cr_expect_eq(run(args), 1, "%s", out);
    cr_expect_str_eq(out, "wsnas table query: architecture index -5 is out of range 0..15624\n");
}

Test(cli, search_list_keys)
{
    cr_assert_eq(run("search --list-keys --method gaea-darts"), 0, "%s", out);
    int n = ws_config_key_count();
    cr_expect_eq(lines(out), 3 + 2 * n, "%d lines for %d keys", lines(out), n);
    for (int i = 0; i < n; i++) {
        char want[256];
        snprintf(want, sizeof want, "\n%s ", ws_config_key_name(i));
        const char *at = strstr(out, want);
        cr_expect(at, "key %s not listed", ws_config_key_name(i));
        const char *doc = ws_config_key_doc(i);
        cr_expect(doc && strlen(doc) > 8, "key %s: no meaning", ws_config_key_name(i));
        if (at && doc) {
            const char *nl = strchr(at + 1, '\n');
            cr_expect(nl && !strncmp(nl + 1, "    ", 4) && !strncmp(nl + 5, doc, strlen(doc)),
                      "key %s: meaning not on the next line", ws_config_key_name(i));
        }
    }
    /* defaults per preset: GAEA-DARTS runs 25 epochs at C=24 in the paper preset */
    cr_expect(strstr(out, "\nepochs              int 1..100000                  10 | 25\n"), "%s",
              out);
    cr_expect(strstr(out, "\nC                   int 1..256                     8 | 24\n"), "%s",
              out);
    cr_expect(strstr(out, "defaults of method gaea-darts\n"), "%s", out);
    cr_assert_eq(run("search --list-keys"), 0);
    cr_expect(strstr(out, "defaults of method darts (--method M for another)"), "%s", out);
    cr_expect(strstr(out, "\nepochs              int 1..100000                  10 | 50\n"), "%s",
              out);
    cr_expect_eq(run("search --list-keys --method dartz"), 1);
    cr_expect(strstr(out, "did you mean 'darts'"), "%s", out);
}

/* A string attribute of an HDF5 object, or "" (caller's buffer). */
static const char *h5_attr(const char *file, const char *obj, const char *key, char *buf,
                           size_t n)
{
    buf[0] = '\0';
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return buf;
    hid_t a = H5Aopen_by_name(f, obj, key, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        hid_t t = H5Aget_type(a), mt = H5Tcopy(H5T_C_S1);
        char *v = NULL;
        H5Tset_size(mt, H5T_VARIABLE);
        H5Tset_cset(mt, H5T_CSET_UTF8);
        if (H5Tis_variable_str(t) > 0 && H5Aread(a, mt, &v) >= 0 && v) {
            snprintf(buf, n, "%s", v);
            H5free_memory(v);
        } else if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0) {
            /* fixed-length, as wsnas writes them now (checksummed object header) */
            size_t sz = H5Tget_size(t);
            char *fb = calloc(1, sz + 1);
            hid_t ft = H5Tcopy(H5T_C_S1);
            H5Tset_size(ft, sz);
            H5Tset_cset(ft, H5Tget_cset(t));
            if (fb && H5Aread(a, ft, fb) >= 0) snprintf(buf, n, "%s", fb);
            H5Tclose(ft);
            free(fb);
        }
        H5Tclose(mt);
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Fclose(f);
    return buf;
}

/* The schema's attributes on a new table; `table attr` sets attributes of a
 * benchmark and of a metric and adds the schema's to an old table, values
 * untouched; bad requests are one line. */
Test(cli, table_attr_and_schema_attributes)
{
    const char *root = wsfx_root();
    if (!root) cr_skip_test("WSNAS_ROOT unset");
    char buf[512];
    const char *fresh = wsfx_tmp_path("cli_schema.h5");
    ws_error err = {0};
    remove(fresh);
    cr_assert_eq(ws_table_create(fresh, &err), 0, "%s", err.msg);
    cr_expect_str_eq(h5_attr(fresh, "archs/ops", "edge_order", buf, sizeof buf),
                     "1<-0 2<-0 2<-1 3<-0 3<-1 3<-2");
    cr_expect_str_eq(h5_attr(fresh, "archs/ops", "op_codes", buf, sizeof buf),
                     "0=none 1=skip_connect 2=nor_conv_1x1 3=nor_conv_3x3 4=avg_pool_3x3");
    static uint8_t mask[WS_ARCH_COUNT];
    cr_assert_eq(ws_table_write_filled(fresh, "b", mask, &err), 0, "%s", err.msg);
    cr_expect(strstr(h5_attr(fresh, "benchmarks/b/filled", "description", buf, sizeof buf),
                     "not trained"),
              "%s", buf);
    /* an old table (written without them): attr adds them, values unchanged */
    char src[700], cmd[2000];
    snprintf(src, sizeof src, "%s/bench/fashion-mnist-small.h5", root);
    const char *old = wsfx_tmp_path("cli_attr.h5");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, old);
    cr_assert_eq(system(cmd), 0);
    ws_table *before = NULL, *after = NULL;
    cr_assert_eq(ws_table_open(old, &before, &err), 0, "%s", err.msg);
    char args[2000];
    snprintf(args, sizeof args, "table attr '%s' --schema", old);
    cr_expect_eq(run(args), 0, "%s", out);
    snprintf(args, sizeof args,
             "table attr '%s' --bench fashion-mnist-small --metric train_seconds_4 unit=s "
             "note='a b=c'", old);
    cr_expect_eq(run(args), 0, "%s", out);
    snprintf(args, sizeof args, "table attr '%s' --bench fashion-mnist-small description=all",
             old);
    cr_expect_eq(run(args), 0, "%s", out);
    cr_assert_eq(ws_table_open(old, &after, &err), 0, "%s", err.msg);
    cr_expect_str_eq(ws_table_metric_attr(after, "fashion-mnist-small", "train_seconds_4", "unit"),
                     "s");
    cr_expect_str_eq(ws_table_metric_attr(after, "fashion-mnist-small", "train_seconds_4", "note"),
                     "a b=c");
    cr_expect_str_eq(ws_table_bench_attr(after, "fashion-mnist-small", "description"), "all");
    cr_expect_str_eq(h5_attr(old, "archs/ops", "edge_order", buf, sizeof buf),
                     "1<-0 2<-0 2<-1 3<-0 3<-1 3<-2");
    for (int m = 0; m < ws_table_metric_count(before, "fashion-mnist-small"); m++) {
        const char *name = ws_table_metric_name(before, "fashion-mnist-small", m);
        const double *x = ws_table_column(before, "fashion-mnist-small", name),
                     *y = ws_table_column(after, "fashion-mnist-small", name);
        cr_assert(y, "%s lost", name);
        cr_expect_eq(memcmp(x, y, WS_ARCH_COUNT * sizeof *x), 0, "%s changed", name);
    }
    ws_table_close(before);
    ws_table_close(after);
    /* the committed table (bench/fmnist-table-attrs.sh): a unit on every metric */
    cr_assert_eq(ws_table_open(src, &before, &err), 0, "%s", err.msg);
    for (int m = 0; m < ws_table_metric_count(before, "fashion-mnist-small"); m++) {
        const char *name = ws_table_metric_name(before, "fashion-mnist-small", m);
        cr_expect(ws_table_metric_attr(before, "fashion-mnist-small", name, "unit"),
                  "%s: %s has no unit", src, name);
    }
    cr_expect(!strstr(ws_table_bench_attr(before, "fashion-mnist-small", "description"),
                      "random sample"),
              "the description still says 'random sample'");
    ws_table_close(before);
    /* the nb201 preset sets units too */
    const char *sh = wsfx_shared_dir();
    char csv[1200];
    snprintf(csv, sizeof csv, "%s/nb201/nb201_merged.csv", sh ? sh : "");
    if (sh && access(csv, R_OK) == 0) { /* else the nb201 part is skipped (no ../shared) */
        const char *imp = wsfx_tmp_path("cli_preset.h5");
        snprintf(args, sizeof args, "table import --preset nb201 '%s' -o '%s'", csv, imp);
        cr_assert_eq(run(args), 0, "%s", out);
        cr_assert_eq(ws_table_open(imp, &after, &err), 0, "%s", err.msg);
        for (int b = 0; b < ws_table_benchmark_count(after); b++) {
            const char *bench = ws_table_benchmark_name(after, b);
            for (int m = 0; m < ws_table_metric_count(after, bench); m++)
                cr_expect_str_eq(
                    ws_table_metric_attr(after, bench, ws_table_metric_name(after, bench, m),
                                         "unit"),
                    "%");
        }
        ws_table_close(after);
    }
    snprintf(args, sizeof args, "table attr '%s' --bench fashion-mnist-small --metric nope u=1",
             old);
    cr_expect_eq(run(args), 1, "%s", out);
    cr_expect(strstr(out, "wsnas table attr: ") && strstr(out, "no benchmark metric "
                                                                "fashion-mnist-small/nope"),
              "%s", out);
    snprintf(args, sizeof args, "table attr '%s' --schema --bench b", old);
    cr_expect_eq(run(args), 2, "%s", out);
    snprintf(args, sizeof args, "table attr '%s' --bench b novalue", old);
    cr_expect_eq(run(args), 2, "%s", out);
    cr_expect(strstr(out, "'novalue': expected KEY=VALUE"), "%s", out);
}
