/* test_tools.c: the converters of bench/tools/ from the official NB201 /
 * NATS-Bench files to a wsnas table.  tests/make_nb201_api_fixture.py writes
 * small files in the official structure and the values the API returns for
 * them; each converter's CSV + spec goes through `wsnas table import` and
 * every value is compared with the API's, every other value must be NaN.
 * Bad inputs (a pickle naming os.system, a truncated file, missing or
 * misplaced architectures) give one line and no output.  Also runs the
 * README's h5py/pandas snippet and checks its output against the table and
 * results/summary.csv.  Skips (saying so) when python3, or python3-torch for
 * the .pth, or h5py/pandas for the snippet, is absent. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "wsnas/table.h"

static char out_buf[1 << 16];

/* $WSNAS_TMP/<name>, emptied. */
static const char *fresh_dir(const char *name)
{
    static __thread char buf[4][500];
    static __thread int k;
    char *p = buf[k++ % 4], cmd[1200];
    snprintf(p, 500, "%s", wsfx_tmp_path(name));
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", p, p);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    return p;
}

static void need_python(const char *modules, const char *why)
{
    if (!wsfx_root()) cr_skip_test("WSNAS_ROOT unset");
    if (!wsfx_python_has(modules))
        cr_skip_test("%s ('%s -c \"import %s\"' fails)", why, wsfx_python(), modules);
}

/* Runs `python3 ROOT/<script> <args>`; returns the status, output in out_buf. */
static int run_py(const char *script, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s' %s", wsfx_python(), wsfx_root(), script, args);
    return wsfx_run_sh(cmd, out_buf, sizeof out_buf);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Compares the table with dir/expected.csv (bench,metric,index,value): equal
 * bits for the listed values, NaN for every other value of the listed
 * architectures and for all other architectures. */
static void check_table(const char *dir, const char *h5)
{
    ws_table *t = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_table_open(h5, &t, &err), 0, "%s", err.msg);
    char path[1200], line[512];
    snprintf(path, sizeof path, "%s/expected.csv", dir);
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    cr_assert(fgets(line, sizeof line, f));
    static char seen[4][WS_ARCH_COUNT];
    memset(seen, 0, sizeof seen);
    int n = 0, bad = 0, nfix = 0, fix[8];
    typedef struct {
        char bench[64], metric[64];
        int index;
    } key;
    static key keys[4096];
    while (fgets(line, sizeof line, f)) {
        key k;
        char val[64];
        cr_assert_eq(sscanf(line, "%63[^,],%63[^,],%d,%63s", k.bench, k.metric, &k.index, val),
                     4, "%s", line);
        double want = strcmp(val, "nan") ? strtod(val, NULL) : NAN, got = 0;
        const double *col = ws_table_column(t, k.bench, k.metric);
        cr_assert(col, "%s/%s not in the table", k.bench, k.metric);
        got = col[k.index];
        if (!(isnan(want) ? isnan(got) : got == want)) {
            if (bad++ < 5)
                cr_log_error("%s/%s[%d]: got %.17g, the API gives %.17g", k.bench, k.metric,
                             k.index, got, want);
        }
        cr_assert(n < 4096);
        keys[n++] = k;
        int known = 0;
        for (int j = 0; j < nfix; j++) known |= fix[j] == k.index;
        if (!known && nfix < 8) fix[nfix++] = k.index;
    }
    fclose(f);
    cr_expect_eq(bad, 0, "%d of %d values differ from the API's", bad, n);
    cr_expect_gt(n, 400);
    /* every other value: NaN */
    int extra = 0, metrics = 0;
    for (int b = 0; b < ws_table_benchmark_count(t); b++) {
        const char *bench = ws_table_benchmark_name(t, b);
        for (int m = 0; m < ws_table_metric_count(t, bench); m++, metrics++) {
            const char *metric = ws_table_metric_name(t, bench, m);
            const double *col = ws_table_column(t, bench, metric);
            cr_expect(ws_table_metric_attr(t, bench, metric, "unit"), "%s/%s: no unit", bench,
                      metric);
            cr_expect(ws_table_metric_attr(t, bench, metric, "api"), "%s/%s: no api", bench,
                      metric);
            for (int i = 0; i < WS_ARCH_COUNT; i++) {
                if (isnan(col[i])) continue;
                int listed = 0;
                for (int j = 0; j < n && !listed; j++)
                    listed = keys[j].index == i && !strcmp(keys[j].bench, bench) &&
                             !strcmp(keys[j].metric, metric);
                if (!listed && extra++ < 5)
                    cr_log_error("%s/%s[%d] = %g, expected NaN", bench, metric, i, col[i]);
            }
        }
    }
    cr_expect_eq(extra, 0, "%d values where the API has none", extra);
    cr_expect_eq(metrics, 144, "%d metrics", metrics);
    cr_expect_eq(nfix, 4);
    const char *by = ws_table_bench_attr(t, "cifar100", "converted_by");
    cr_expect(by && strstr(by, "bench/tools/"), "converted_by = %s", by ? by : "(none)");
    ws_table_close(t);
}

static void import_and_check(const char *dir, const char *prefix)
{
    char args[4096], h5[700];
    snprintf(h5, sizeof h5, "%s/nb201.h5", dir);
    snprintf(args, sizeof args, "table import --spec '%s.json' '%s.csv' -o '%s'", prefix, prefix,
             h5);
    cr_assert_eq(wsfx_run_cli(args, out_buf, sizeof out_buf), 0, "%s: %s", args, out_buf);
    check_table(dir, h5);
}

/* Writes the fixture `format` in $WSNAS_TMP/<name>, converts `input` (in
 * it) with `script` into <dir>/out.csv + .json, imports and checks it;
 * returns the directory. */
static const char *convert_fixture(const char *name, const char *format, const char *script,
                                   const char *input)
{
    const char *d = fresh_dir(name);
    char args[4096], prefix[600];
    snprintf(args, sizeof args, "'%s' --format %s", d, format);
    cr_assert_eq(run_py("tests/make_nb201_api_fixture.py", args), 0, "%s", out_buf);
    snprintf(prefix, sizeof prefix, "%s/out", d);
    snprintf(args, sizeof args, "'%s/%s' -o '%s' --allow-missing", d, input, prefix);
    cr_assert_eq(run_py(script, args), 0, "%s", out_buf);
    cr_expect(strstr(out_buf, "4 architectures, 144 metrics"), "%s", out_buf);
    import_and_check(d, prefix);
    return d;
}

Test(tools, nats_simple_dir_to_table)
{
    need_python("bz2, pickle", "python3 absent: NATS-Bench converter test skipped");
    convert_fixture("tools_nats", "nats", "bench/tools/nats_to_wsnas.py",
                    "NATS-tss-v1_0-3ffb9-simple");
}

Test(tools, nats_benchmark_file_to_table)
{
    need_python("bz2, pickle", "python3 absent: NATS-Bench converter test skipped");
    convert_fixture("tools_natsfile", "nats-file", "bench/tools/nats_to_wsnas.py",
                    "NATS-tss-v1_0-3ffb9.pickle.pbz2");
}

Test(tools, nb201_pth_to_table)
{
    need_python("torch, numpy", "python3-torch absent: NB201 .pth converter test skipped");
    const char *d = convert_fixture("tools_pth", "pth", "bench/tools/nb201_pth_to_wsnas.py",
                                    "NAS-Bench-201-v1_1-096897.pth");
    char args[4096];
    /* without --allow-missing the 15,621 absent architectures are an error */
    snprintf(args, sizeof args, "'%s/NAS-Bench-201-v1_1-096897.pth' -o '%s/x'", d, d);
    cr_expect_eq(run_py("bench/tools/nb201_pth_to_wsnas.py", args), 1, "%s", out_buf);
    cr_expect(strstr(out_buf, "15621 of 15625 architectures in arch2infos missing (first: 2)"),
              "%s", out_buf);
}

/* The converter fails with exit 1, one line naming `want`, and writes nothing. */
static void expect_refused(const char *args, const char *want, const char *out_prefix)
{
    cr_expect_eq(run_py("bench/tools/nats_to_wsnas.py", args), 1, "%s: %s", args, out_buf);
    cr_expect(strstr(out_buf, want), "expected '%s' in: %s", want, out_buf);
    cr_expect_eq(lines(out_buf), 1, "not one line: %s", out_buf);
    char p[700];
    snprintf(p, sizeof p, "%s.csv", out_prefix);
    cr_expect(access(p, F_OK) != 0, "%s written", p);
}

Test(tools, nats_converter_refuses_bad_input)
{
    need_python("bz2, pickle", "python3 absent: NATS-Bench converter test skipped");
    const char *d = fresh_dir("tools_bad");
    char args[4096], cmd[8192], prefix[600], src[600];
    snprintf(args, sizeof args, "'%s' --format evil", d);
    cr_assert_eq(run_py("tests/make_nb201_api_fixture.py", args), 0, "%s", out_buf);
    snprintf(prefix, sizeof prefix, "%s/out", d);
    /* a pickle that names os.system is refused without running it */
    snprintf(args, sizeof args, "'%s/evil' -o '%s' --allow-missing", d, prefix);
    expect_refused(args, "000000.pickle.pbz2: unexpected object posix.system", prefix);
    snprintf(cmd, sizeof cmd, "%s/EXECUTED", d);
    cr_expect(access(cmd, F_OK) != 0, "the pickle's os.system ran");

    snprintf(args, sizeof args, "'%s' --format nats", d);
    cr_assert_eq(run_py("tests/make_nb201_api_fixture.py", args), 0, "%s", out_buf);
    snprintf(src, sizeof src, "%s/NATS-tss-v1_0-3ffb9-simple", d);
    /* missing architectures without --allow-missing */
    snprintf(args, sizeof args, "'%s' -o '%s'", src, prefix);
    expect_refused(args, "15621 of 15625 architecture files missing (first: 000002.pickle.pbz2)",
                   prefix);
    /* a file in the wrong place */
    snprintf(cmd, sizeof cmd, "cp '%s/000001.pickle.pbz2' '%s/000002.pickle.pbz2'", src, src);
    cr_assert_eq(system(cmd), 0);
    snprintf(args, sizeof args, "'%s' -o '%s' --allow-missing", src, prefix);
    expect_refused(args, "000002.pickle.pbz2: hp 200: holds architecture 1 (", prefix);
    snprintf(cmd, sizeof cmd, "rm '%s/000002.pickle.pbz2'", src);
    cr_assert_eq(system(cmd), 0);
    /* a truncated file */
    snprintf(cmd, sizeof cmd, "head -c 3000 '%s/006111.pickle.pbz2' > '%s/t' && mv '%s/t' "
             "'%s/006111.pickle.pbz2'", src, src, src, src);
    cr_assert_eq(system(cmd), 0);
    expect_refused(args, "006111.pickle.pbz2: cannot unpickle: ", prefix);
    /* not bz2 at all */
    snprintf(cmd, sizeof cmd, "echo hello > '%s/006111.pickle.pbz2'", src);
    cr_assert_eq(system(cmd), 0);
    expect_refused(args, "006111.pickle.pbz2: cannot unpickle: Invalid data stream", prefix);
}

Test(tools, nats_converter_checks_meta_archs_against_the_records)
{
    need_python("bz2, pickle", "python3 absent: NATS-Bench converter test skipped");
    const char *d = fresh_dir("tools_order");
    char args[4096], prefix[600], src[600], cmd[8192];
    snprintf(args, sizeof args, "'%s' --format nats", d);
    cr_assert_eq(run_py("tests/make_nb201_api_fixture.py", args), 0, "%s", out_buf);
    snprintf(src, sizeof src, "%s/NATS-tss-v1_0-3ffb9-simple", d);
    snprintf(prefix, sizeof prefix, "%s/out", d);
    /* meta_archs 0 and 1 swapped: the records no longer match their place */
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import bz2, pickle, sys; p = sys.argv[1] + '/meta.pickle.pbz2'; "
             "m = pickle.load(bz2.open(p)); a = m['meta_archs']; a[0], a[1] = a[1], a[0]; "
             "pickle.dump(m, bz2.open(p, 'wb'))\" '%s'",
             wsfx_python(), src);
    cr_assert_eq(wsfx_run_sh(cmd, out_buf, sizeof out_buf), 0, "%s", out_buf);
    snprintf(args, sizeof args, "'%s' -o '%s' --allow-missing", src, prefix);
    expect_refused(args, "000000.pickle.pbz2: hp 12: holds architecture 0 ('|avg_pool_3x3~0|+",
                   prefix);
    /* a meta file of the wrong length */
    snprintf(cmd, sizeof cmd,
             "'%s' -c \"import bz2, pickle, sys; p = sys.argv[1] + '/meta.pickle.pbz2'; "
             "m = pickle.load(bz2.open(p)); m['meta_archs'].pop(); "
             "pickle.dump(m, bz2.open(p, 'wb'))\" '%s'",
             wsfx_python(), src);
    cr_assert_eq(wsfx_run_sh(cmd, out_buf, sizeof out_buf), 0, "%s", out_buf);
    expect_refused(args, "meta.pickle.pbz2: meta_archs: expected a list of 15625 architecture "
                   "strings", prefix);
}

/* ---- the README's h5py/pandas snippet ------------------------------------------- */

/* The ```python block after `marker` in README.md, written to `path`. */
static void extract_snippet(const char *marker, const char *path)
{
    char readme[700], line[1024];
    snprintf(readme, sizeof readme, "%s/README.md", wsfx_root());
    FILE *f = fopen(readme, "r"), *o = fopen(path, "w");
    cr_assert(f && o, "%s / %s", readme, path);
    int state = 0, n = 0; /* 0 before the marker, 1 before the fence, 2 inside */
    while (fgets(line, sizeof line, f) && state < 3) {
        if (state == 0 && strstr(line, marker)) state = 1;
        else if (state == 1 && !strncmp(line, "```python", 9)) state = 2;
        else if (state == 2 && !strncmp(line, "```", 3)) state = 3;
        else if (state == 2) n += fputs(line, o) >= 0;
    }
    fclose(f);
    fclose(o);
    cr_assert_eq(state, 3, "README.md: no ```python block after '%s'", marker);
    cr_assert_gt(n, 5);
}

/* mean and std (the column named std*) of `metric` for `method` in summary.csv. */
static int summary_row(const char *csv, const char *method, const char *metric, double *mean,
                       double *std)
{
    FILE *f = fopen(csv, "r");
    cr_assert(f, "%s", csv);
    char line[2048];
    int c_mean = -1, c_std = -1, c_method = -1, c_metric = -1, found = 0;
    cr_assert(fgets(line, sizeof line, f));
    line[strcspn(line, "\r\n")] = '\0';
    int c = 0;
    for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ","), c++) {
        if (!strcmp(tok, "mean")) c_mean = c;
        if (!strncmp(tok, "std", 3) && c_std < 0) c_std = c;
        if (!strcmp(tok, "method")) c_method = c;
        if (!strcmp(tok, "metric")) c_metric = c;
    }
    cr_assert(c_mean >= 0 && c_std >= 0 && c_method >= 0 && c_metric >= 0, "%s: header", csv);
    while (!found && fgets(line, sizeof line, f)) {
        char *field[32];
        int n = 0;
        for (char *p = line, *q; n < 32; p = q + 1) {
            field[n++] = p;
            if (!(q = strchr(p, ','))) break;
            *q = '\0';
        }
        if (n > c_std && n > c_mean && !strcmp(field[c_method], method) &&
            !strcmp(field[c_metric], metric)) {
            *mean = strtod(field[c_mean], NULL);
            *std = strtod(field[c_std], NULL);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

Test(tools, readme_h5py_pandas_snippet)
{
    need_python("h5py, numpy, pandas",
                "python3-h5py or python3-pandas absent: README snippet test skipped");
    const char *py = wsfx_tmp_path("readme_snippet.py");
    extract_snippet("<!-- snippet: read-table-and-results -->", py);
    char cmd[2048], table[700], summary[700];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' '%s'", wsfx_root(), wsfx_python(), py);
    cr_assert_eq(wsfx_run_sh(cmd, out_buf, sizeof out_buf), 0, "%s:\n%s", cmd, out_buf);
    snprintf(table, sizeof table, "%s/bench/fashion-mnist-small.h5", wsfx_root());
    snprintf(summary, sizeof summary, "%s/results/summary.csv", wsfx_root());
    ws_table *t = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_table_open(table, &t, &err), 0, "%s", err.msg);
    int best = -1;
    double best_v = 0;
    cr_assert_eq(ws_table_oracle(t, "fashion-mnist-small", "test_acc_4", &best, &best_v, &err), 0,
                 "%s", err.msg);
    char want[512], arch[WS_ARCH_STR_MAX];
    ws_arch a = ws_space_arch(ws_table_space(t), best);
    ws_arch_format(&a, arch);
    snprintf(want, sizeof want, "best test_acc_4: %.2f at index %d %s\n", best_v, best, arch);
    cr_expect(strstr(out_buf, want), "expected '%s' in:\n%s", want, out_buf);
    ws_table_close(t);
    /* one line per method, equal to results/summary.csv's mean and std (ddof 0) */
    int methods = 0;
    for (char *line = strstr(out_buf, "\n"); line && line[1]; line = strchr(line + 1, '\n')) {
        char method[64];
        double m, s, want_m, want_s;
        int seeds;
        if (sscanf(line + 1, "%63s %lf ± %lf over %d seeds", method, &m, &s, &seeds) != 4)
            continue;
        methods++;
        cr_assert(summary_row(summary, method, "test_acc_4", &want_m, &want_s),
                  "%s: no row for %s", summary, method);
        cr_expect(fabs(m - want_m) < 0.006 && fabs(s - want_s) < 0.006,
                  "%s: snippet %.2f ± %.2f, summary.csv %.4f ± %.4f", method, m, s, want_m,
                  want_s);
    }
    cr_expect_geq(methods, 2, "no method lines in:\n%s", out_buf);
}
