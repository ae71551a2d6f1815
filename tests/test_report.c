/* test_report.c: `wsnas report` on synthetic run directories: the tidy
 * CSVs (values against the table), plots, rank correlations of eval pairs
 * against the scipy fixture, and damaged inputs (truncated CSV, missing
 * manifest, mixed configurations, ...): one error line, nothing written. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "robust_util.h"
#include "wsnas/config.h"
#include "wsnas/report.h"
#include "wsnas/search.h"
#include "wsnas/space.h"
#include "wsnas/table.h"

/* rm -rf DIR (test scratch only). */
static void rm_rf(const char *a)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", a);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", cmd);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert(f, "cannot write %s", p);
    fputs(text, f);
    fclose(f);
}

/* Replaces every `from` by `to` in dir/name (a crafted damage); to NULL
 * deletes from the match's second character through the end of its line. */
static void replace_in(const char *dir, const char *name, const char *from, const char *to)
{
    char p[1200], *text = NULL, out[1 << 16];
    ws_error err = {0};
    snprintf(p, sizeof p, "%s/%s", dir, name);
    cr_assert_eq(ws_file_read_text(p, &text, &err), 0, "%s", err.msg);
    size_t w = 0, lf = strlen(from), lt = to ? strlen(to) : 0;
    int n = 0;
    for (const char *q = text; *q;) {
        cr_assert(w + lt + 1 < sizeof out);
        if (!strncmp(q, from, lf) && !to) {
            out[w++] = *q++, n++;
            while (*q && *q != '\n') q++;
            q += *q == '\n';
        } else if (!strncmp(q, from, lf)) {
            memcpy(out + w, to, lt), w += lt, q += lf, n++;
        } else {
            out[w++] = *q++;
        }
    }
    out[w] = '\0';
    free(text);
    cr_assert(n > 0, "'%s' not in %s", from, p);
    write_text(dir, name, out);
}

/* base/NAME as wsnas search writes it (rb_write_run). */
static const char *make_run_final(const char *base, const char *name, const char *method,
                                  int seed, const char *cfg, int epochs, int arch0,
                                  int arch_final, int manifest_final)
{
    static __thread char dir[8][1200];
    static __thread int k;
    char *d = dir[k++ % 8];
    snprintf(d, 1200, "%s/%s", base, name);
    mkdir(base, 0777);
    char why[512];
    cr_assert_eq(rb_write_run(d, method, seed, cfg, epochs, arch0, arch_final, manifest_final,
                              why, sizeof why),
                 0, "%s", why);
    return d;
}

static const char *make_run(const char *base, const char *name, const char *method, int seed,
                            const char *cfg, int epochs, int arch0, int arch_final)
{
    return make_run_final(base, name, method, seed, cfg, epochs, arch0, arch_final, -1);
}

static int exists(const char *p)
{
    return access(p, F_OK) == 0;
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

static int is_png(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char m[8] = {0};
    size_t n = fread(m, 1, 8, f);
    fclose(f);
    return n == 8 && !memcmp(m, "\x89PNG\r\n\x1a\n", 8);
}

Test(report, entropy_only_without_table)
{
    const char *base = wsfx_tmp_path("rep_notable");
    rm_rf(base);
    const char *a = make_run(base, "a", "darts", 0, "\"epochs\": 4", 4, 100, -1);
    const char *b = make_run(base, "b", "darts", 1, "\"epochs\": 4", 4, 200, -1);
    const char *c = make_run(base, "c", "gaea-darts", 0, "\"epochs\": 4, \"eg_eta\": 0.2", 4, 300, -1);
    char res[1200], plots[1200];
    /* nested output directories that do not exist yet (mkdir -p) */
    snprintf(res, sizeof res, "%s/results/suite", base);
    snprintf(plots, sizeof plots, "%s/plots/suite", base);
    const char *dirs[] = {a, b, c};
    ws_report_options o = ws_report_options_default();
    o.results_dir = res;
    o.plots_dir = plots;
    ws_error err = {0};
    cr_assert_eq(ws_report_run(dirs, 3, &o, NULL, &err), 0, "%s", err.msg);
    char p[1300];
    snprintf(p, sizeof p, "%s/entropy.csv", res);
    cr_expect_eq(count_lines(p), 1 + 3 * 4);
    snprintf(p, sizeof p, "%s/epochs.csv", res);
    cr_expect_eq(count_lines(p), 1 + 3 * 4);
    snprintf(p, sizeof p, "%s/arch_weights.csv", res);
    cr_expect_eq(count_lines(p), 1 + 3 * 4 * WS_EDGES * WS_OP_COUNT);
    snprintf(p, sizeof p, "%s/runs.csv", res);
    cr_expect_eq(count_lines(p), 1 + 3);
    FILE *f = fopen(p, "r");
    char line[1024];
    cr_assert(fgets(line, sizeof line, f));
    cr_expect_str_eq(line, "method,seed,dataset,epochs,arch_index,arch,dir\n");
    cr_assert(fgets(line, sizeof line, f));
    cr_expect(!strncmp(line, "darts,0,cifar10,4,103,", 22), "%s", line);
    fclose(f);
    snprintf(p, sizeof p, "%s/trajectory.csv", res);
    cr_expect(!exists(p), "trajectory.csv written without a table");
    snprintf(p, sizeof p, "%s/entropy.png", plots);
    cr_expect(is_png(p), "%s is not a PNG", p);
    snprintf(p, sizeof p, "%s/entropy.png.tmp", plots);
    cr_expect(!exists(p));
}

/* A suite variant's runs (config "label") are reported under its name, so
 * two configurations of one method sit side by side. */
Test(report, variants_grouped_by_label)
{
    const char *base = wsfx_tmp_path("rep_label");
    rm_rf(base);
    const char *a = make_run(base, "a", "gaea-darts", 1,
                             "\"label\": \"gaea-darts-erm\", \"single_level\": true", 3, 100, -1);
    const char *b = make_run(base, "b", "gaea-darts", 1,
                             "\"label\": \"gaea-darts-bilevel\", \"single_level\": false", 3, 200,
                             -1);
    const char *c = make_run(base, "c", "gaea-darts", 1, "\"label\": \"badname\"", 3, 200, -1);
    replace_in(c, "manifest.json", "\"badname\"", "\"bad,name\"");
    char res[1200], plots[1200], p[1300], line[1024];
    snprintf(res, sizeof res, "%s/results", base);
    snprintf(plots, sizeof plots, "%s/plots", base);
    const char *dirs[] = {a, b, c};
    ws_report_options o = ws_report_options_default();
    o.results_dir = res;
    o.plots_dir = plots;
    ws_error err = {0};
    cr_assert_eq(ws_report_run(dirs, 2, &o, NULL, &err), 0, "%s", err.msg);
    snprintf(p, sizeof p, "%s/runs.csv", res);
    FILE *f = fopen(p, "r");
    cr_assert(f);
    cr_assert(fgets(line, sizeof line, f) && fgets(line, sizeof line, f));
    cr_expect(!strncmp(line, "gaea-darts-erm,1,", 17), "%s", line);
    cr_assert(fgets(line, sizeof line, f));
    cr_expect(!strncmp(line, "gaea-darts-bilevel,1,", 21), "%s", line);
    fclose(f);
    /* a label a CSV cannot carry is refused by name */
    cr_expect_neq(ws_report_run(dirs + 2, 1, &o, NULL, &err), 0);
    cr_expect(strstr(err.msg, "key 'label': 'bad,name'"), "%s", err.msg);
}

Test(report, true_accuracies_from_nb201_table)
{
    const char *shd = wsfx_shared_dir();
    char csv[1024];
    snprintf(csv, sizeof csv, "%s/nb201/nb201_merged.csv", shd ? shd : "");
    if (!shd || access(csv, R_OK) != 0) cr_skip_test("%s absent: report table test skipped", csv);
    const char *table = wsfx_tmp_path("rep_nb201.h5");
    char args[4096], out[16384];
    snprintf(args, sizeof args, "table import --preset nb201 '%s' -o '%s'", csv, table);
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "%s", out);
    const char *base = wsfx_tmp_path("rep_table");
    rm_rf(base);
    /* darts ends in the all-skip cell (1835) both seeds, gaea in 6111 (the C10 optimum) */
    const char *a = make_run(base, "d0", "darts", 0, "\"epochs\": 3", 3, 10, 1835);
    const char *b = make_run(base, "d1", "darts", 1, "\"epochs\": 3", 3, 20, 1835);
    const char *c = make_run(base, "g0", "gaea-darts", 0, "\"epochs\": 3", 3, 30, 6111);
    snprintf(args, sizeof args,
             "report --table '%s' --out-results '%s/res' --out-plots '%s/plots' '%s' '%s' '%s'",
             table, base, base, a, b, c);
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "54.30±0.00"), "DARTS all-skip C10 test not in the summary:\n%s", out);
    cr_expect(strstr(out, "94.37±0.00"), "gaea at the C10 optimum not in the summary:\n%s", out);
    char p[1300];
    snprintf(p, sizeof p, "%s/res/trajectory.csv", base);
    cr_expect_eq(count_lines(p), 1 + 3 * 3 * 6);
    snprintf(p, sizeof p, "%s/res/summary.csv", base);
    FILE *f = fopen(p, "r");
    cr_assert(f);
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "gaea-darts,cifar10,test_acc_200,C10 test,1,", 43)) {
            found = 1;
            /* mean, std, oracle, oracle_index, regret */
            double mean, std, oracle, regret;
            int oi;
            cr_expect_eq(sscanf(line + 43, "%lf,%lf,%lf,%d,%lf", &mean, &std, &oracle, &oi,
                                &regret),
                         5, "%s", line);
            cr_expect_eq(oi, 6111);
            cr_expect_float_eq(mean, oracle, 1e-12);
            cr_expect_float_eq(regret, 0.0, 1e-12);
        }
    fclose(f);
    cr_expect(found, "no gaea-darts C10 test row in summary.csv");
    /* the trajectory value of epoch 0 of d0 is the table's value of arch 10 */
    ws_table *t = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_table_open(table, &t, &err), 0, "%s", err.msg);
    double v10;
    cr_assert_eq(ws_table_get(t, "cifar10", "test_acc_200", 10, &v10, &err), 0);
    ws_table_close(t);
    snprintf(p, sizeof p, "%s/res/trajectory.csv", base);
    f = fopen(p, "r");
    found = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "darts,0,0,10,cifar10,test_acc_200,", 34)) {
            found = 1;
            cr_expect_float_eq(strtod(line + 34, NULL), v10, 1e-12, "%s", line);
        }
    fclose(f);
    cr_expect(found, "no trajectory row for darts seed 0 epoch 0");
    const char *pngs[] = {"entropy.png", "trajectory.png", "final.png"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/plots/%s", base, pngs[i]);
        cr_expect(is_png(p), "%s is not a PNG", p);
    }
    /* the published rows beside ours, in the paper's layout */
    const char *fxd = getenv("WSNAS_FIXTURES");
    cr_assert(fxd);
    char pub[1300];
    snprintf(pub, sizeof pub, "%s/../../bench/published/nb201-cifar10.csv", fxd);
    snprintf(args, sizeof args,
             "report --table '%s' --published '%s' --out-results '%s/res2' --no-plots '%s' '%s' "
             "'%s'",
             table, pub, base, a, b, c);
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "%s", out);
    snprintf(p, sizeof p, "%s/res2/nb201_table.md", base);
    char *md = NULL;
    cr_assert_eq(ws_file_read_text(p, &md, &err), 0, "%s", err.msg);
    const char *dv1 = strstr(md, "| DARTS-V1 | | 39.77±0.00 | 54.30±0.00 |");
    cr_expect(dv1, "no published DARTS-V1 row:\n%s", md);
    const char *ours = dv1 ? strstr(dv1, "\n| wsnas darts | 2 |") : NULL;
    cr_expect(ours && ours < strstr(dv1, "DARTS-V2"), "wsnas darts does not follow DARTS-V1:\n%s",
              md);
    cr_expect(ours && strstr(ours, "54.30±0.00 |"), "%s", md);
    cr_expect(strstr(md, "| wsnas gaea-darts | 1 |"), "an unmapped method is not listed:\n%s",
              md);
    free(md);
    /* a damaged published file is refused by line and column, nothing written */
    snprintf(p, sizeof p, "%s/bad-pub.csv", base);
    f = fopen(p, "w");
    cr_assert(f);
    fprintf(f, "row,ours,c10_valid_mean,c10_valid_std,c10_test_mean,c10_test_std,c100_valid_mean,"
               "c100_valid_std,c100_test_mean,c100_test_std,in16_valid_mean,in16_valid_std,"
               "in16_test_mean,in16_test_std,search_s,source\n"
               "X,darts,1,0,150,0,,,,,,,,,,paper\n");
    fclose(f);
    snprintf(args, sizeof args,
             "report --table '%s' --published '%s' --out-results '%s/res3' --no-plots '%s'", table,
             p, base, a);
    cr_expect_neq(wsfx_run_cli(args, out, sizeof out), 0);
    cr_expect(strstr(out, "bad-pub.csv:2: column 'c10_test_mean': 150 is out of range"), "%s",
              out);
    snprintf(p, sizeof p, "%s/res3/runs.csv", base);
    cr_expect(!exists(p), "a refused report wrote %s", p);
}

Test(report, rank_correlation_of_eval_pairs_matches_scipy)
{
    wsfx *fx = wsfx_load("stats.wsfx");
    cr_assert(fx);
    const wsfx_tensor *x = wsfx_get(fx, "d2_x"), *y = wsfx_get(fx, "d2_y"),
                      *r = wsfx_get(fx, "d2_ref");
    cr_assert(x && y && r);
    const char *base = wsfx_tmp_path("rep_pairs");
    rm_rf(base);
    const char *a = make_run(base, "a", "rs-ws", 3, "\"epochs\": 2", 2, 0, -1);
    char p[1300];
    snprintf(p, sizeof p, "%s/eval_pairs.csv", a);
    FILE *f = fopen(p, "w");
    fprintf(f, "arch_index,arch,oneshot,true\n");
    ws_space *sp = ws_space_alloc();
    /* one-shot accuracies are percentages: x moved into [5, 95] by a
     * positive affine map, which leaves every statistic unchanged */
    double xmax = 0;
    for (size_t i = 0; i < x->numel; i++) xmax = fmax(xmax, fabs(x->data[i]));
    for (size_t i = 0; i < x->numel; i++) {
        char s[WS_ARCH_STR_MAX];
        ws_arch ar = ws_space_arch(sp, (int)i);
        ws_arch_format(&ar, s);
        fprintf(f, "%zu,%s,%.17g,%.17g\n", i, s, 50 + 45 * x->data[i] / xmax, y->data[i]);
    }
    ws_space_free(sp);
    fclose(f);
    char res[1200], plots[1200];
    snprintf(res, sizeof res, "%s/results", base);
    snprintf(plots, sizeof plots, "%s/plots", base);
    const char *dirs[] = {a};
    ws_report_options o = ws_report_options_default();
    o.results_dir = res;
    o.plots_dir = plots;
    ws_error err = {0};
    cr_assert_eq(ws_report_run(dirs, 1, &o, NULL, &err), 0, "%s", err.msg);
    snprintf(p, sizeof p, "%s/rank_corr.csv", res);
    f = fopen(p, "r");
    cr_assert(f);
    char line[2048];
    cr_assert(fgets(line, sizeof line, f));
    cr_expect_str_eq(line, "method,seed,n,kendall_tau_b,spearman_rho,pearson_r,p_at_1,p_at_5,"
                           "p_at_10,p_at_50\n");
    cr_assert(fgets(line, sizeof line, f));
    fclose(f);
    double got[7];
    int n;
    cr_assert_eq(sscanf(line, "rs-ws,3,%d,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &n, &got[0], &got[1],
                        &got[2], &got[3], &got[4], &got[5], &got[6]),
                 8, "%s", line);
    cr_expect_eq(n, (int)x->numel);
    cr_expect_leq(wsfx_compare_d("rank_corr.csv vs scipy", got, r->data, 7, 1e-12, 1e-12), 1.0);
    snprintf(p, sizeof p, "%s/oneshot.png", plots);
    cr_expect(is_png(p), "%s is not a PNG", p);
    snprintf(p, sizeof p, "%s/oneshot.csv", res);
    cr_expect_eq(count_lines(p), 1 + (int)x->numel);
    wsfx_free(fx);
}

/* One damaged input: the CLI fails with exactly one line containing `expect`
 * and writes neither results nor plots. */
static void expect_refused(const char *base, const char *dirs, const char *expect)
{
    char args[4096], out[8192];
    snprintf(args, sizeof args, "report --out-results '%s/res' --out-plots '%s/plots' %s", base,
             base, dirs);
    int st = wsfx_run_cli(args, out, sizeof out);
    cr_expect_neq(st, 0, "accepted: %s", dirs);
    cr_expect(strstr(out, expect), "expected '%s' in: %s", expect, out);
    int lines = 0;
    for (const char *q = out; *q; q++) lines += *q == '\n';
    cr_expect_eq(lines, 1, "expected one line, got: %s", out);
    char p[1300];
    snprintf(p, sizeof p, "%s/res", base);
    cr_expect(!exists(p), "%s written for %s", p, expect);
    snprintf(p, sizeof p, "%s/plots", base);
    cr_expect(!exists(p), "%s written for %s", p, expect);
}

#define ROW0 "0,0.025,0,2.1,30,28,1.5,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,000000,1.0,100"

Test(report, damaged_inputs_write_nothing)
{
    const char *base = wsfx_tmp_path("rep_damaged");
    rm_rf(base);
    const char *ok = make_run(base, "ok", "darts", 0, "\"epochs\": 3", 3, 10, -1);
    char dirs[4096], p[1300];
    const char *H = WS_SEARCH_EPOCHS_COLUMNS "\n";
    char text[4096];
    /* a truncated CSV: the last line cut in the middle */
    const char *tr = make_run(base, "trunc", "darts", 1, "\"epochs\": 3", 3, 10, -1);
    snprintf(text, sizeof text, "%s%s\n1,0.02", H, ROW0);
    write_text(tr, "epochs.csv", text);
    snprintf(dirs, sizeof dirs, "'%s' '%s'", ok, tr);
    expect_refused(base, dirs, "epochs.csv:3: last line has no newline");
    /* a missing manifest */
    const char *nm = make_run(base, "nomani", "darts", 2, "\"epochs\": 3", 3, 10, -1);
    snprintf(p, sizeof p, "%s/manifest.json", nm);
    remove(p);
    snprintf(dirs, sizeof dirs, "'%s' '%s'", ok, nm);
    expect_refused(base, dirs, "manifest.json: cannot open");
    /* mixed configurations: same method, different epochs */
    const char *mx = make_run(base, "mixed", "darts", 3, "\"epochs\": 50", 3, 10, -1);
    snprintf(dirs, sizeof dirs, "'%s' '%s'", ok, mx);
    expect_refused(base, dirs, "mixed configurations");
    expect_refused(base, dirs, "differ in config key 'epochs'");
    /* mixed datasets */
    const char *ds = make_run(base, "ds", "gaea-darts", 0, "\"epochs\": 3", 3, 10, -1);
    replace_in(ds, "manifest.json", "\"cifar10\"", "\"fashion-mnist\"");
    snprintf(dirs, sizeof dirs, "'%s' '%s'", ok, ds);
    expect_refused(base, dirs, "/ds has 'fashion-mnist'");
    /* the same run twice */
    snprintf(dirs, sizeof dirs, "'%s' '%s'", ok, ok);
    expect_refused(base, dirs, "are the same run");
    /* a ragged row */
    const char *rg = make_run(base, "ragged", "darts", 4, "\"epochs\": 3", 3, 10, -1);
    snprintf(text, sizeof text, "%s0,0.025,1.5\n", H);
    write_text(rg, "epochs.csv", text);
    snprintf(dirs, sizeof dirs, "'%s'", rg);
    expect_refused(base, dirs, "epochs.csv:2: expected 11 fields (as the header), got 3");
    /* invalid JSON and a manifest that is not wsnas search's */
    const char *bj = make_run(base, "badjson", "darts", 7, "\"epochs\": 3", 3, 10, -1);
    write_text(bj, "manifest.json", "{\"method\": \"darts\", \"seed\": ");
    snprintf(dirs, sizeof dirs, "'%s'", bj);
    expect_refused(base, dirs, "manifest.json: invalid JSON");
    write_text(bj, "manifest.json", "{\"seed\": 1}");
    expect_refused(base, dirs, "missing \"config\"");
    /* an empty epochs.csv and a missing one */
    const char *em = make_run(base, "empty", "darts", 8, "\"epochs\": 3", 3, 10, -1);
    write_text(em, "epochs.csv", "");
    snprintf(dirs, sizeof dirs, "'%s'", em);
    expect_refused(base, dirs, "epochs.csv: empty file");
    snprintf(p, sizeof p, "%s/epochs.csv", em);
    remove(p);
    expect_refused(base, dirs, "epochs.csv: cannot open");
    /* a nonexistent directory */
    snprintf(dirs, sizeof dirs, "'%s/nowhere'", base);
    expect_refused(base, dirs, "not a search run directory");
}

/* base/r: 3 epochs of darts (architectures 100, 101, 6111) and 4 eval pairs. */
static const char *field_run(const char *base)
{
    rm_rf(base);
    const char *d = make_run(base, "r", "darts", 1, "\"epochs\": 3, \"C\": 4", 3, 100, 6111);
    char text[4096] = "arch_index,arch,oneshot,true,truth\n";
    ws_space *sp = ws_space_alloc();
    for (int k = 0; k < 4; k++) {
        char s[WS_ARCH_STR_MAX];
        ws_arch a = ws_space_arch(sp, k);
        ws_arch_format(&a, s);
        snprintf(text + strlen(text), sizeof text - strlen(text), "%d,%s,%d,%d,b/test_acc_4\n", k,
                 s, 50 + k, 60 + k);
    }
    ws_space_free(sp);
    write_text(d, "eval_pairs.csv", text);
    return d;
}

/* Every field of every file the report reads (issue 14): one damaged field
 * at a time in an otherwise good run is refused by file, line and column. */
Test(report, every_field_checked)
{
    const char *base = wsfx_tmp_path("rep_fields");
    struct {
        const char *file, *from, *to, *want;
    } bad[] = {
        /* epochs.csv */
        {"epochs.csv", "train_acc", "train_accuracy", "epochs.csv:1: expected the columns epoch,"},
        {"epochs.csv", "\n1,0.025", "\n2,0.025", "epochs.csv:3: column 'epoch': expected an integer in [1, 1]"},
        {"epochs.csv", ",1.400,", ",abc,", "epochs.csv:3: column 'entropy': expected a number, got 'abc'"},
        {"epochs.csv", ",1.400,", ",1.700,", "epochs.csv:3: column 'entropy': expected a number in [0, 1.60"},
        {"epochs.csv", ",2.1,30,28,", ",2.1,130,28,", "epochs.csv:2: column 'train_acc'"},
        {"epochs.csv", ",2.1,30,28,", ",2.1,30,-28,", "epochs.csv:2: column 'valid_acc'"},
        {"epochs.csv", "0.025,0,2.1", "-0.025,0,2.1", "epochs.csv:2: column 'lr'"},
        {"epochs.csv", ",1.0,100\n", ",1.0,inf\n", "epochs.csv:2: column 'images_per_s'"},
        {"epochs.csv", "|nor_conv_3x3~0|+|nor", "|conv_5x5~0|+|nor", "epochs.csv:2: column 'arch': arch string offset 1"},
        {"epochs.csv", ",333132,", ",333133,", "epochs.csv:4: column 'arch_ops': expected 333132"},
        {"epochs.csv", "\n2,0.025", NULL, "epochs.csv: 2 epochs: the manifest (complete, 3 of 3"},
        /* arch_weights.csv */
        {"arch_weights.csv", "\n1,5,avg_pool_3x3,0.2\n", "\n1,5,conv_7x7,0.2\n",
         "arch_weights.csv:61: column 'op': expected avg_pool_3x3, got 'conv_7x7'"},
        {"arch_weights.csv", "\n1,5,none,0.2\n", "\n1,17,none,0.2\n",
         "arch_weights.csv:57: column 'edge': expected an integer in [5, 5], got '17'"},
        {"arch_weights.csv", "\n1,5,none,0.2\n", "\n1,5,none,-0.2\n",
         "arch_weights.csv:57: column 'weight': expected a number in [0, 1], got '-0.2'"},
        {"arch_weights.csv", "\n1,5,none,0.2\n", "\n1,5,none,0.3\n",
         "arch_weights.csv:61: epoch 1 edge 5: the weights sum to 1.1"},
        {"arch_weights.csv", "\n1,5,none,0.2\n", NULL, "arch_weights.csv: 89 rows: expected 90"},
        /* manifest.json */
        {"manifest.json", "\"method\":\t\"darts\"", "\"method\":\t\"dartz\"", "unknown method 'dartz'"},
        {"manifest.json", "\"C\":\t4", "\"C\":\t-4", "manifest.json: \"config\": key 'C'"},
        {"manifest.json", "\"epochs_done\":\t3", "\"epochs_done\":\t\"3\"", "\"epochs_done\": expected an integer"},
        {"manifest.json", "\"final_arch\":\t\"|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_"
                          "connect~0|nor_conv_3x3~1|nor_conv_1x1~2|\"",
         "\"final_arch\":\t6111", "\"final_arch\": expected a string"},
        {"manifest.json", "\"status\":\t\"complete\"", "\"status\":\t\"done\"", "\"status\" 'done'"},
        {"manifest.json", "\"host\"", "\"hots\"", "\"hots\": unknown key"},
        /* eval_pairs.csv */
        {"eval_pairs.csv", "\n1,", "\n2,", "eval_pairs.csv:3: column 'arch' is architecture 1, column 'arch_index' says 2"},
        {"eval_pairs.csv", "\n1,", "\n0,", "eval_pairs.csv:3: column 'arch' is architecture 1"},
        {"eval_pairs.csv", ",50,", ",150,", "eval_pairs.csv:2: column 'oneshot': expected a number in [0, 100]"},
        {"eval_pairs.csv", ",b/test_acc_4\n1,", ",b/valid_acc_4\n1,", "eval_pairs.csv:3: column 'truth': expected 'b/valid_acc_4'"},
        {"eval_pairs.csv", "oneshot,true", "one_shot,true", "eval_pairs.csv:1: expected the columns"},
    };
    char dirs[1300], args[4096], out[8192];
    const char *d = field_run(base);
    snprintf(dirs, sizeof dirs, "'%s'", d);
    snprintf(args, sizeof args, "report --out-results '%s/res' --no-plots %s", base, dirs);
    cr_assert_eq(wsfx_run_cli(args, out, sizeof out), 0, "the good run: %s", out);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d = field_run(base);
        replace_in(d, bad[i].file, bad[i].from, bad[i].to);
        expect_refused(base, dirs, bad[i].want);
    }
}

Test(report, gnuplot_failure_leaves_nothing_behind)
{
    const char *base = wsfx_tmp_path("rep_gpfail");
    rm_rf(base);
    const char *a = make_run(base, "a", "darts", 0, "\"epochs\": 3", 3, 10, -1);
    char res[1200], plots[1200], p[1300];
    snprintf(res, sizeof res, "%s/results", base);
    snprintf(plots, sizeof plots, "%s/plots", base);
    const char *dirs[] = {a};
    ws_report_options o = ws_report_options_default();
    o.results_dir = res;
    o.plots_dir = plots;
    o.gnuplot = "false"; /* exits 1 */
    ws_error err = {0};
    cr_expect_neq(ws_report_run(dirs, 1, &o, NULL, &err), 0);
    cr_expect(strstr(err.msg, "false failed"), "%s", err.msg);
    const char *files[] = {"runs.csv", "runs.csv.tmp", "entropy.csv", "epochs.csv.tmp"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", res, files[i]);
        cr_expect(!exists(p), "%s left behind", p);
    }
    o.gnuplot = "/nonexistent/gnuplot";
    cr_expect_neq(ws_report_run(dirs, 1, &o, NULL, &err), 0);
    cr_expect(strstr(err.msg, "/nonexistent/gnuplot"), "%s", err.msg);
}

/* The manifest's final_arch (all-skip, 1835) wins over the last epoch's
 * 6111; data_dir may differ between the runs of one method. */
Test(report, manifest_final_arch_wins)
{
    const char *base = wsfx_tmp_path("rep_driver");
    rm_rf(base);
    mkdir(base, 0777);
    const char *d[2];
    for (int s = 0; s < 2; s++) {
        char name[16], cfg[256];
        snprintf(name, sizeof name, "run%d", s);
        snprintf(cfg, sizeof cfg, "\"epochs\": 2, \"data_dir\": \"/x%d\", \"threads\": %d", s,
                 s + 1);
        d[s] = make_run_final(base, name, "gaea-darts", s, cfg, 2, 7, 6111, 1835);
    }
    char res[1300];
    snprintf(res, sizeof res, "%s/results", base);
    ws_report_options o = ws_report_options_default();
    o.results_dir = res;
    o.plots_dir = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_report_run(d, 2, &o, NULL, &err), 0, "%s", err.msg);
    char p[1400], line[1024];
    snprintf(p, sizeof p, "%s/runs.csv", res);
    FILE *f = fopen(p, "r");
    cr_assert(f);
    cr_assert(fgets(line, sizeof line, f) && fgets(line, sizeof line, f));
    fclose(f);
    cr_expect(!strncmp(line, "gaea-darts,0,cifar10,2,1835,", 28), "%s", line);
    snprintf(p, sizeof p, "%s/entropy.csv", res);
    cr_expect_eq(count_lines(p), 1 + 2 * 2);
}

/* The gnuplot scripts the report writes, captured by a stand-in gnuplot that
 * copies each script to DIR/NAME.gp and writes a PNG signature to the output. */
static const char *fake_gnuplot(const char *base, const char *cap)
{
    static __thread char path[1300];
    snprintf(path, sizeof path, "%s/fake-gnuplot.sh", base);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "#!/bin/sh\nmkdir -p '%s' && cp \"$1\" '%s'/$(basename \"$1\") || exit 1\n"
               "out=$(sed -n \"s/^set output '\\(.*\\)'$/\\1/p\" \"$1\")\n"
               "printf '\\211PNG\\r\\n\\032\\n' > \"$out\"\n",
            cap, cap);
    fclose(f);
    chmod(path, 0755);
    return path;
}

static char *slurp(const char *dir, const char *name)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *text = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_file_read_text(p, &text, &err), 0, "%s", err.msg);
    return text;
}

/* Labelled axes with units, fitted y ranges, entropy over its named ceiling
 * ln K (4 when none is excluded), one colour per method, tau per method. */
Test(report, plots_read_at_a_glance)
{
    const char *base = wsfx_tmp_path("rep_plots");
    rm_rf(base);
    mkdir(base, 0777);
    const char *table = wsfx_tmp_path("rep_plots.h5");
    ws_error err = {0};
    static double v[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) v[i] = 60.0 + (i % 200) * 0.1; /* 60..79.9 */
    const char *unit[] = {"unit", "%", NULL};
    cr_assert_eq(ws_table_create(table, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_write_column(table, "b", "test_acc_4", v, unit, &err), 0, "%s",
                 err.msg);
    const char *d[3] = {
        make_run(base, "d1", "darts", 1, "\"epochs\": 3", 3, 100, -1),
        make_run(base, "d2", "darts", 2, "\"epochs\": 3", 3, 110, -1),
        make_run(base, "g1", "gaea-darts", 1, "\"epochs\": 3, \"exclude_none\": true", 3, 120, -1)};
    ws_space *sp = ws_space_alloc();
    for (int r = 0; r < 3; r++) {
        char text[2048] = "arch_index,arch,oneshot,true,truth\n";
        for (int i = 0; i < 5; i++) {
            char s[WS_ARCH_STR_MAX];
            ws_arch ar = ws_space_arch(sp, i);
            ws_arch_format(&ar, s);
            snprintf(text + strlen(text), sizeof text - strlen(text),
                     "%d,%s,%d,%d,b/test_acc_4\n", i, s, 10 * i + r, i % 3);
        }
        write_text(d[r], "eval_pairs.csv", text);
    }
    ws_space_free(sp);
    char res[1300], plots[1300], cap[1300];
    snprintf(res, sizeof res, "%s/results", base);
    snprintf(plots, sizeof plots, "%s/plots", base);
    snprintf(cap, sizeof cap, "%s/scripts", base);
    ws_report_options o = ws_report_options_default();
    o.results_dir = res, o.plots_dir = plots, o.table_path = table, o.plot_metric = "b/test_acc_4";
    o.gnuplot = fake_gnuplot(base, cap);
    cr_assert_eq(ws_report_run(d, 3, &o, NULL, &err), 0, "%s", err.msg);
    /* entropy: normalised by ln K, K named per method, the range fitted */
    char *e = slurp(cap, "entropy.gp");
    cr_expect(strstr(e, "set ylabel \"mean edge entropy / ln K  (1 = uniform)\""), "%s", e);
    cr_expect(strstr(e, "'darts (K = 5)'") && strstr(e, "'gaea-darts (K = 4)'"), "%s", e);
    cr_expect(strstr(e, "ln 4 = 1.386") && strstr(e, "ln 5 = 1.609"), "%s", e);
    double lo, hi;
    const char *yr = strstr(e, "set yrange [");
    cr_assert(yr && sscanf(yr, "set yrange [%lf:%lf]", &lo, &hi) == 2, "%s", e);
    /* darts' entropies 1.5..1.3 / ln 5, gaea's 1.5..1.3 / ln 4 */
    cr_expect(lo < 1.3 / log(5) && lo > 1.3 / log(5) - 0.1, "ylow %g", lo);
    cr_expect(hi > 1.5 / log(4) && hi < 1.5 / log(4) + 0.1, "yhigh %g", hi);
    free(e);
    /* final: rotated method labels, a fitted range around the values, not from 0 */
    char *fin = slurp(cap, "final.gp");
    cr_expect(strstr(fin, "set xtics rotate by 30 right"), "%s", fin);
    cr_expect(strstr(fin, "set ylabel \"b/test_acc_4 (%)\""), "%s", fin);
    yr = strstr(fin, "set yrange [");
    cr_assert(yr && sscanf(yr, "set yrange [%lf:%lf]", &lo, &hi) == 2, "%s", fin);
    cr_expect(lo > 50 && hi > 79.9 && hi < 85, "final range [%g:%g]", lo, hi);
    cr_expect(strstr(fin, "ddof=0"), "%s", fin);
    free(fin);
    /* trajectory: one panel per method */
    char *tr = slurp(cap, "trajectory.gp");
    cr_expect(strstr(tr, "set multiplot layout 1,2"), "%s", tr);
    cr_expect(strstr(tr, "set title 'darts'") && strstr(tr, "set title 'gaea-darts'"), "%s", tr);
    free(tr);
    /* oneshot: the truth named, one colour and one tau per method */
    char *os = slurp(cap, "oneshot.gp");
    cr_expect(strstr(os, "set ylabel \"true accuracy: b/test_acc_4 (%)\""), "%s", os);
    const char *t1 = strstr(os, "title 'darts: tau-b "), *t2 = strstr(os, "title 'gaea-darts: tau-b ");
    cr_expect(t1 && t2, "%s", os);
    cr_expect(strstr(os, "(2 runs)") && strstr(os, "(1 run)"), "%s", os);
    const char *c1 = strstr(os, "lc rgb '#"), *c2 = c1 ? strstr(c1 + 1, "lc rgb '#") : NULL;
    cr_expect(c1 && c2 && strncmp(c1, c2, 16), "one colour for both methods:\n%s", os);
    free(os);
    /* entropy.csv names each run's ceiling */
    char *ec = slurp(res, "entropy.csv");
    cr_expect(!strncmp(ec, "method,seed,epoch,entropy,entropy_max\n", 38), "%s", ec);
    char want[64];
    snprintf(want, sizeof want, ",%.17g\n", log(4.0));
    cr_expect(strstr(ec, want), "no ln 4 ceiling in:\n%s", ec);
    free(ec);
}
