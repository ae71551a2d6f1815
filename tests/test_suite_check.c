/* test_suite_check.c: `wsnas bench` checks the whole suite before its first
 * job (and --dry-run runs the same checks): a missing, truncated or
 * bit-flipped table, an unknown table_bench or metric, a missing file an
 * argument names, a bad config key or value of any method or variant, an
 * unknown or misplaced placeholder, and a directory that cannot be written
 * are each refused with one line naming the suite file, exit 1, nothing
 * written and no job started. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "robust_util.h"

/* The pieces of a suite that pass; each bad case replaces one. */
typedef struct suite_parts {
    const char *table, *table_bench, *runs_dir, *config, *variants, *method_config, *eval_args,
        *report_args, *search_args, *more, *tail;
} suite_parts;


/* Writes D/suite.json from the parts ("%D" in a part is the test dir). */
static void write_suite(const char *d, const suite_parts *p)
{
    char text[8192], path[1200];
    int n = snprintf(
        text, sizeof text,
        "{\"name\": \"chk\", \"table\": \"%s\", \"table_bench\": \"%s\", \"runs_dir\": \"%s\",\n"
        " \"results_dir\": \"%s/results\", \"plots_dir\": \"%s/plots\",\n"
        " \"datasets\": [\"fashion-mnist\"], \"methods\": [\"darts\", \"gdas\", \"darts-x\"],\n"
        " \"seeds\": [1, 2], \"config\": %s, \"variants\": %s, \"method_config\": %s,\n"
        " \"eval_args\": %s, \"report_args\": %s, \"search_args\": %s%s}%s\n",
        p->table, p->table_bench, p->runs_dir, d, d, p->config, p->variants, p->method_config,
        p->eval_args, p->report_args, p->search_args, p->more, p->tail);
    cr_assert(n > 0 && (size_t)n < sizeof text);
    /* %D -> d */
    char out[12000];
    size_t w = 0;
    for (const char *q = text; *q && w + 1100 < sizeof out;) {
        if (q[0] == '%' && q[1] == 'D') {
            w += (size_t)snprintf(out + w, sizeof out - w, "%s", d);
            q += 2;
        } else {
            out[w++] = *q++;
        }
    }
    out[w] = '\0';
    snprintf(path, sizeof path, "%s/suite.json", d);
    cr_assert_eq(rb_write(path, out, w), 0);
}

static suite_parts good_parts(void)
{
    return (suite_parts){
        .table = "%D/t.h5",
        .table_bench = "fashion-mnist-small",
        .runs_dir = "%D/runs",
        .config = "{\"preset\": \"cpu\", \"epochs\": 2, \"C\": 4}",
        .variants = "{\"darts-x\": {\"method\": \"darts\", \"config\": {\"single_level\": true}}}",
        .method_config = "{\"gdas\": {\"tau_min\": 0.5}}",
        .eval_args = "[\"--truth\", \"fashion-mnist-small/valid_acc_4\", \"--out\", "
                     "\"{run_dir}/pairs-{seed}.csv\"]",
        .report_args = "[\"--plot-metric\", \"fashion-mnist-small/test_acc_4\", \"--no-plots\"]",
        .search_args = "[]",
        .more = "",
        .tail = "",
    };
}

/* A fresh test dir holding t.h5 (the committed table), the stand-in binary
 * (it records every call in D/calls) and a file named not-a-dir; each test
 * its own D (they run in parallel). */
static const char *setup(const char *name)
{
    static __thread char d[1100];
    snprintf(d, sizeof d, "%s", wsfx_tmp_path(name));
    const char *root = wsfx_root();
    if (!root) cr_skip_test("WSNAS_ROOT unset");
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cp '%s/bench/fashion-mnist-small.h5' '%s/t.h5' && "
             "printf '#!/bin/sh\\necho \"$*\" >> %s/calls\\nexit 0\\n' > '%s/fake' && "
             "chmod +x '%s/fake' && : > '%s/not-a-dir'",
             d, d, root, d, d, d, d, d);
    cr_assert_eq(system(cmd), 0);
    return d;
}

static int bench(const char *d, const char *extra, char *err, size_t cap)
{
    char args[4096];
    snprintf(args, sizeof args, "bench '%s/suite.json' --wsnas '%s/fake' %s", d, d, extra);
    return rb_run(args, err, cap);
}

/* Suite p is refused, real and --dry-run: exit 1, one line naming the
 * file (`names`) and saying `want`, the test directory unchanged. */
static void expect_refused(const char *d, const suite_parts *p, size_t i, const char *value,
                           const char *want, const char *names)
{
    write_suite(d, p);
    uint64_t before = rb_dir_digest(d);
    for (int dry = 0; dry < 2; dry++) {
        char err[4096];
        int st = bench(d, dry ? "--dry-run" : "", err, sizeof err);
        cr_expect_eq(st, 1, "case %zu (%s) dry %d: exit %d: %s", i, value, dry, st, err);
        cr_expect_eq(rb_lines(err), 1, "case %zu: not one line: %s", i, err);
        cr_expect(strstr(err, names), "case %zu: no '%s' named: %s", i, names, err);
        cr_expect(strstr(err, want), "case %zu: '%s' lacks '%s'", i, err, want);
        cr_expect_eq(rb_dir_digest(d), before, "case %zu dry %d: files changed", i, dry);
    }
}

Test(suite_check, good_suite_passes_and_writes_nothing)
{
    const char *d = setup("sc_good");
    suite_parts p = good_parts();
    write_suite(d, &p);
    uint64_t before = rb_dir_digest(d);
    char err[4096];
    cr_assert_eq(bench(d, "--dry-run", err, sizeof err), 0, "%s", err);
    cr_expect(strstr(err, "suite 'chk' checked"), "%s", err);
    cr_expect_eq(rb_dir_digest(d), before, "--dry-run changed the test directory");
    /* a real run starts jobs (the stand-in) */
    cr_assert_eq(bench(d, "", err, sizeof err), 0, "%s", err);
    char calls[1200];
    snprintf(calls, sizeof calls, "%s/calls", d);
    char *c = rb_slurp(calls, NULL);
    cr_assert(c, "no job ran");
    cr_expect(strstr(c, "search --method gdas"), "%s", c);
    cr_expect(strstr(c, "report --table"), "%s", c);
    free(c);
}

Test(suite_check, damaged_suites_refused_before_any_job)
{
    const char *d = setup("sc_bad");
    char cmd[8192];
    /* a truncated and a bit-flipped copy of the table */
    snprintf(cmd, sizeof cmd,
             "head -c 100000 '%s/t.h5' > '%s/trunc.h5' && cp '%s/t.h5' '%s/flip.h5' && "
             "printf '\\377' | dd of='%s/flip.h5' bs=1 seek=150000 conv=notrunc 2>/dev/null",
             d, d, d, d, d);
    cr_assert_eq(system(cmd), 0);
    struct {
        const char *field, *value, *want;
    } bad[] = {
        {"table", "%D/none.h5", "key 'table'"},
        {"table", "%D/trunc.h5", "key 'table'"},
        {"table", "%D/flip.h5", "key 'table'"},
        {"table_bench", "fashion-mnist", "'fashion-mnist' is not a benchmark of"},
        {"eval_args", "[\"--truth\", \"fashion-mnist-small/valid_acc_9\"]",
         "--truth 'fashion-mnist-small/valid_acc_9': table"},
        {"eval_args", "[\"--sample\", \"20\"]", "--truth (eval's default) 'cifar10-valid/"},
        {"eval_args", "[\"--truth=nobench\"]", "expected BENCH/METRIC"},
        {"eval_args", "[\"--truth\", \"fashion-mnist-small/valid_acc_4\", \"--data-dir\", "
                      "\"%D/nodata\"]",
         "--data-dir '"},
        {"report_args", "[\"--plot-metric\", \"fashion-mnist-small/nope\"]",
         "no such summary column"},
        {"report_args", "[\"--published\", \"%D/none.csv\"]", "--published '"},
        {"config", "{\"epoch\": 2}", "the config of 'darts' on fashion-mnist"},
        {"config", "{\"preset\": \"fast\"}", "the config of 'darts'"},
        {"config", "{\"C\": -4}", "the config of 'darts'"},
        {"variants", "{\"darts-x\": {\"method\": \"darts\", \"config\": {\"eg_eta\": \"x\"}}}",
         "the config of 'darts-x' on fashion-mnist"},
        {"method_config", "{\"gdas\": {\"tau_min\": 20}}", "the config of 'gdas'"},
        {"eval_args", "[\"--truth\", \"fashion-mnist-small/valid_acc_4\", \"--out\", "
                      "\"{run_dir}/{sed}.csv\"]",
         "key 'eval_args'[3]: '{run_dir}/{sed}.csv': unknown placeholder '{sed}'"},
        {"search_args", "[\"--tag\", \"{methd}\"]", "key 'search_args'[1]"},
        {"report_args", "[\"--no-plots\", \"{seed}\"]", "{seed} is not available in report_args"},
        {"runs_dir", "%D/not-a-dir/runs", "is not a directory"},
        {"runs_dir", "/proc/wsnas-none/runs", "cannot create directories in '/proc'"},
        {"tail", " {}", "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        suite_parts p = good_parts();
        const char **slot = !strcmp(bad[i].field, "table")           ? &p.table
                            : !strcmp(bad[i].field, "table_bench")   ? &p.table_bench
                            : !strcmp(bad[i].field, "runs_dir")      ? &p.runs_dir
                            : !strcmp(bad[i].field, "config")        ? &p.config
                            : !strcmp(bad[i].field, "variants")      ? &p.variants
                            : !strcmp(bad[i].field, "method_config") ? &p.method_config
                            : !strcmp(bad[i].field, "eval_args")     ? &p.eval_args
                            : !strcmp(bad[i].field, "report_args")   ? &p.report_args
                            : !strcmp(bad[i].field, "search_args")   ? &p.search_args
                                                                     : &p.tail;
        *slot = bad[i].value;
        expect_refused(d, &p, i, bad[i].value, bad[i].want, "suite.json");
    }
}

/* --runs-dir is checked like runs_dir and named as such. */
Test(suite_check, runs_dir_option_checked)
{
    const char *d = setup("sc_runsdir");
    suite_parts p = good_parts();
    write_suite(d, &p);
    char extra[1300], err[4096];
    snprintf(extra, sizeof extra, "--dry-run --runs-dir '%s/not-a-dir/x'", d);
    cr_expect_eq(bench(d, extra, err, sizeof err), 1, "%s", err);
    cr_expect(strstr(err, "--runs-dir '") && strstr(err, "is not a directory"), "%s", err);
}

/* Every run's search and eval command line, as the runner would start it,
 * goes through wsnas search's and wsnas eval's own parsers and the search's
 * config resolution (for that run's method, after config, method_config and
 * variants): a bad option, value or key in search_args, eval_args or
 * method_eval_args, an option the suite sets itself, or --help is refused
 * naming the key and the run, exit 1, nothing written, no job started. */
Test(suite_check, run_arguments_parsed_as_the_commands_do)
{
    const char *d = setup("sc_args");
    static const char *truth = "\"--truth\", \"fashion-mnist-small/valid_acc_4\"";
    char ev[6][256];
    snprintf(ev[0], sizeof ev[0], "[%s, \"--sampel\", \"20\"]", truth);
    snprintf(ev[1], sizeof ev[1], "[%s, \"--bn\", \"foo\"]", truth);
    snprintf(ev[2], sizeof ev[2], "[%s, \"--images\", \"0\"]", truth);
    snprintf(ev[3], sizeof ev[3], "[%s, \"--table\", \"%%D/t.h5x\"]", truth);
    snprintf(ev[4], sizeof ev[4], "[%s, \"--help\"]", truth);
    snprintf(ev[5], sizeof ev[5], "[%s, \"extra\"]", truth);
    struct {
        const char *field, *value, *want;
    } bad[] = {
        {"search_args", "[\"--set\", \"bogus_key=1\"]",
         "key 'search_args' of run darts seed 1 on fashion-mnist: --set: unknown key 'bogus_key'"},
        {"search_args", "[\"--epochz\", \"3\"]",
         "key 'search_args' of run darts seed 1 on fashion-mnist: unknown option '--epochz'; did "
         "you mean '--epochs'?"},
        {"search_args", "[\"--set\", \"lr=-5\"]", "of run darts seed 1 on fashion-mnist: --set: "
                                                 "key 'lr': -5 is out of range"},
        {"search_args", "[\"--epochs\", \"0\"]", "--epochs: 0 is out of range [1, 100000]"},
        {"search_args", "[\"--set\"]", "option '--set' needs a value"},
        {"search_args", "[\"--set\", \"lr\"]", "--set 'lr': expected key=value"},
        /* the runs of one method only: gdas has tau_min 0.5 from method_config */
        {"search_args", "[\"--set\", \"tau_max=0.4\"]", "of run gdas seed 1 on fashion-mnist: "},
        /* a placeholder that breaks one seed only */
        {"search_args", "[\"--set\", \"lr=0.{seed}\", \"--set\", \"eg_eta=x{seed}\"]",
         "of run darts seed 1 on fashion-mnist: --set: key 'eg_eta'"},
        {"search_args", "[\"--seed\", \"7\"]", "--seed '7' overrides the suite's '1' (key 'seeds')"},
        {"search_args", "[\"--method\", \"gdas\"]", "--method 'gdas' overrides the suite's 'darts'"},
        {"search_args", "[\"--out\", \"%D/elsewhere\"]", "--out '"},
        {"search_args", "[\"--resume\", \"%D/elsewhere\"]", "give --out DIR or --resume DIR"},
        {"search_args", "[\"--help\"]", "'--help' prints and runs no search"},
        {"search_args", "[\"--list-keys\"]", "'--list-keys' prints and runs no search"},
        {"search_args", "[\"stray\"]", "unexpected argument 'stray'"},
        {"eval_args", ev[0], "key 'eval_args' of run darts seed 1 on fashion-mnist: unknown option "
                             "'--sampel'; did you mean '--sample'?"},
        {"eval_args", ev[1], "key 'eval_args' of run darts seed 1 on fashion-mnist: BN mode 'foo'"},
        {"eval_args", ev[2], "--images: 0 is out of range"},
        {"eval_args", ev[3], "--table '"},
        {"eval_args", ev[4], "'--help' prints and runs no eval"},
        {"eval_args", ev[5], "expected one run directory (or checkpoint) and --table"},
        {"more", ", \"method_eval_args\": {\"gdas\": [\"--all-isos\"]}",
         "key 'method_eval_args.gdas' of run gdas seed 1 on fashion-mnist: unknown option "
         "'--all-isos'; did you mean '--all-iso'?"},
        {"more", ", \"method_eval_args\": {\"darts-x\": [\"--truth\", \"fashion-mnist-small/no\"]}",
         "key 'method_eval_args.darts-x' of run darts-x (darts) seed 1 on fashion-mnist: --truth "
         "'fashion-mnist-small/no': table"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        suite_parts p = good_parts();
        const char **slot = !strcmp(bad[i].field, "search_args") ? &p.search_args
                            : !strcmp(bad[i].field, "eval_args") ? &p.eval_args
                                                                 : &p.more;
        *slot = bad[i].value;
        expect_refused(d, &p, i, bad[i].value, bad[i].want, "suite.json: ");
    }
    /* what the commands accept passes: options after the runner's, a valid
     * --set for every method, eval options in both keys */
    suite_parts p = good_parts();
    p.search_args = "[\"--set\", \"lr=0.02\", \"--epochs\", \"1\", \"--single-level\"]";
    p.more = ", \"method_eval_args\": {\"gdas\": [\"--iso-mean\", \"--bn\", \"running\"]}";
    write_suite(d, &p);
    char err[4096];
    cr_expect_eq(bench(d, "--dry-run", err, sizeof err), 0, "%s", err);
}
