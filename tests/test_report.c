/* test_report.c: `wsnas report` on synthetic run directories: the tidy
 * CSVs (values against the table), plots, rank correlations of eval pairs
 * against the scipy fixture, and damaged inputs (truncated CSV, missing
 * manifest, mixed configurations, ...): one error line, nothing written. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "wsnas/report.h"
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

/* A run directory base/NAME with `epochs` epochs; arch of epoch e is
 * arch0 + e - 1 (arch_final if >= 0 for the last), entropy 1.6 - 0.1 e. */
static const char *make_run(const char *base, const char *name, const char *method, int seed,
                            const char *cfg, int epochs, int arch0, int arch_final)
{
    static __thread char dir[8][1200];
    static __thread int k;
    char *d = dir[k++ % 8];
    snprintf(d, 1200, "%s/%s", base, name);
    mkdir(base, 0777);
    mkdir(d, 0777);
    char text[4096];
    snprintf(text, sizeof text,
             "{\"method\": \"%s\", \"seed\": %d, \"dataset\": \"cifar10\", \"config\": {%s, "
             "\"seed\": %d}}\n",
             method, seed, cfg, seed);
    write_text(d, "manifest.json", text);
    char *p = text;
    p += sprintf(p, "epoch,lr,entropy,arch_index\n");
    for (int e = 1; e <= epochs; e++)
        p += sprintf(p, "%d,0.025,%.3f,%d\n", e, 1.6 - 0.1 * e,
                     e == epochs && arch_final >= 0 ? arch_final : arch0 + e - 1);
    write_text(d, "epochs.csv", text);
    write_text(d, "arch_weights.csv", "epoch,edge,op,weight\n1,0,0,0.2\n");
    return d;
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
    const char *c = make_run(base, "c", "gaea", 0, "\"epochs\": 4, \"eta\": 0.1", 4, 300, -1);
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
    cr_expect_eq(count_lines(p), 1 + 3);
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
    const char *c = make_run(base, "c", "gaea-darts", 1, "\"label\": \"bad,name\"", 3, 200, -1);
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
    cr_expect(strstr(err.msg, "config.label"), "%s", err.msg);
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
    const char *c = make_run(base, "g0", "gaea", 0, "\"epochs\": 3", 3, 30, 6111);
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
        if (!strncmp(line, "gaea,cifar10,test_acc_200,C10 test,1,", 37)) {
            found = 1;
            /* mean, std, oracle, oracle_index, regret */
            double mean, std, oracle, regret;
            int oi;
            cr_expect_eq(sscanf(line + 37, "%lf,%lf,%lf,%d,%lf", &mean, &std, &oracle, &oi,
                                &regret),
                         5, "%s", line);
            cr_expect_eq(oi, 6111);
            cr_expect_float_eq(mean, oracle, 1e-12);
            cr_expect_float_eq(regret, 0.0, 1e-12);
        }
    fclose(f);
    cr_expect(found, "no gaea C10 test row in summary.csv");
    /* the trajectory value of epoch 1 of d0 is the table's value of arch 10 */
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
        if (!strncmp(line, "darts,0,1,10,cifar10,test_acc_200,", 34)) {
            found = 1;
            cr_expect_float_eq(strtod(line + 34, NULL), v10, 1e-12, "%s", line);
        }
    fclose(f);
    cr_expect(found, "no trajectory row for darts seed 0 epoch 1");
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
    cr_expect(strstr(md, "| wsnas gaea | 1 |"), "an unmapped method is not listed:\n%s", md);
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
    fprintf(f, "arch_index,oneshot,true\n");
    for (size_t i = 0; i < x->numel; i++) fprintf(f, "%zu,%.17g,%.17g\n", i, x->data[i], y->data[i]);
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

Test(report, damaged_inputs_write_nothing)
{
    const char *base = wsfx_tmp_path("rep_damaged");
    rm_rf(base);
    const char *ok = make_run(base, "ok", "darts", 0, "\"epochs\": 3", 3, 10, -1);
    char dirs[4096], p[1300];
    /* a truncated CSV: the last line cut in the middle */
    const char *tr = make_run(base, "trunc", "darts", 1, "\"epochs\": 3", 3, 10, -1);
    snprintf(p, sizeof p, "%s/epochs.csv", tr);
    write_text(tr, "epochs.csv", "epoch,lr,entropy,arch_index\n1,0.025,1.5,10\n2,0.02");
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
    const char *ds = make_run(base, "ds", "gaea", 0, "\"epochs\": 3", 3, 10, -1);
    write_text(ds, "manifest.json", "{\"method\": \"gaea\", \"seed\": 0, \"dataset\": \"cifar100\"}");
    snprintf(dirs, sizeof dirs, "'%s' '%s'", ok, ds);
    expect_refused(base, dirs, "/ds has 'cifar100'");
    /* the same run twice */
    snprintf(dirs, sizeof dirs, "'%s' '%s'", ok, ok);
    expect_refused(base, dirs, "are the same run");
    /* a ragged row */
    const char *rg = make_run(base, "ragged", "darts", 4, "\"epochs\": 3", 3, 10, -1);
    write_text(rg, "epochs.csv", "epoch,lr,entropy,arch_index\n1,0.025,1.5\n");
    snprintf(dirs, sizeof dirs, "'%s'", rg);
    expect_refused(base, dirs, "epochs.csv:2: expected 4 fields (as the header), got 3");
    /* not a number */
    const char *nn = make_run(base, "nan", "darts", 5, "\"epochs\": 3", 3, 10, -1);
    write_text(nn, "epochs.csv", "epoch,lr,entropy,arch_index\n1,0.025,abc,10\n");
    snprintf(dirs, sizeof dirs, "'%s'", nn);
    expect_refused(base, dirs, "epochs.csv:2: column 'entropy': expected a number, got 'abc'");
    /* a bad architecture */
    const char *ba = make_run(base, "badarch", "darts", 6, "\"epochs\": 3", 3, 10, -1);
    write_text(ba, "epochs.csv", "epoch,lr,entropy,arch_index\n1,0.025,1.5,15625\n");
    snprintf(dirs, sizeof dirs, "'%s'", ba);
    expect_refused(base, dirs, "epochs.csv:2: column 'arch_index'");
    /* invalid JSON and a missing key */
    const char *bj = make_run(base, "badjson", "darts", 7, "\"epochs\": 3", 3, 10, -1);
    write_text(bj, "manifest.json", "{\"method\": \"darts\", \"seed\": ");
    snprintf(dirs, sizeof dirs, "'%s'", bj);
    expect_refused(base, dirs, "manifest.json: invalid JSON");
    write_text(bj, "manifest.json", "{\"seed\": 1}");
    expect_refused(base, dirs, "\"method\": expected a string");
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

/* The layout of the methods branch's search driver: method, dataset and seed
 * inside "config", epochs.csv with both arch and arch_index, final_arch. */
Test(report, search_driver_layout)
{
    const char *base = wsfx_tmp_path("rep_driver");
    rm_rf(base);
    mkdir(base, 0777);
    char d[2][1200];
    for (int s = 0; s < 2; s++) {
        snprintf(d[s], sizeof d[s], "%s/run%d", base, s);
        mkdir(d[s], 0777);
        char text[2048];
        snprintf(text, sizeof text,
                 "{\"config\": {\"method\": \"gaea-darts\", \"preset\": \"cpu\", \"dataset\": "
                 "\"fashion-mnist\", \"data_dir\": \"/x%d\", \"epochs\": 2, \"seed\": %d, "
                 "\"threads\": %d}, \"seed\": %d, \"threads\": %d, \"status\": \"done\", "
                 "\"final_arch\": \"|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_"
                 "connect~0|skip_connect~1|skip_connect~2|\"}\n",
                 s, s, s + 1, s, s + 1);
        write_text(d[s], "manifest.json", text);
        write_text(d[s], "epochs.csv",
                   "epoch,lr,tau,train_loss,train_acc,valid_acc,entropy,arch,arch_index,wall_s,"
                   "images_per_s\n"
                   "0,0.025,0,2.1,30,28,1.5,|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,7,1.0,"
                   "100\n"
                   "1,0.02,0,1.9,35,33,1.2,|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_"
                   "connect~0|nor_conv_3x3~1|nor_conv_1x1~2|,6111,1.0,100\n");
    }
    char res[1300];
    snprintf(res, sizeof res, "%s/results", base);
    const char *dirs[] = {d[0], d[1]};
    ws_report_options o = ws_report_options_default();
    o.results_dir = res;
    o.plots_dir = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_report_run(dirs, 2, &o, NULL, &err), 0, "%s", err.msg);
    char p[1400], line[1024];
    snprintf(p, sizeof p, "%s/runs.csv", res);
    FILE *f = fopen(p, "r");
    cr_assert(f);
    cr_assert(fgets(line, sizeof line, f) && fgets(line, sizeof line, f));
    fclose(f);
    /* the manifest's final_arch (all-skip, 1835) wins over the last epoch's 6111 */
    cr_expect(!strncmp(line, "gaea-darts,0,fashion-mnist,2,1835,", 34), "%s", line);
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
    for (int r = 0; r < 3; r++) {
        char text[512] = "arch_index,arch,oneshot,true,truth\n";
        for (int i = 0; i < 5; i++)
            snprintf(text + strlen(text), sizeof text - strlen(text),
                     "%d,x,%d,%d,b/test_acc_4\n", i, 10 * i + r, i % 3);
        write_text(d[r], "eval_pairs.csv", text);
    }
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
