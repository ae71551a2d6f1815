/* test_tablebuild.c: table builds: recipes and sets; resume after a real
 * interruption (a child process killed mid-build) equals an uninterrupted
 * build; --limit steps; shard + merge equals one build; merge refuses other
 * recipes and conflicting rows; the CLI (real standalone training on a tiny
 * recipe, unfilled lookups, --train-missing, MPI equality) where the
 * engine is linked. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "wsnas/data.h"
#include "wsnas/table.h"
#include "wsnas/tablebuild.h"

static void clean(const char *path)
{
    char b[1200];
    remove(path);
    snprintf(b, sizeof b, "%s.tmp", path);
    remove(b);
    snprintf(b, sizeof b, "%s.raw.tmp", path);
    remove(b);
    snprintf(b, sizeof b, "%s.progress", path);
    remove(b);
    for (int r = 0; r < 4; r++) {
        snprintf(b, sizeof b, "%s.progress.rank%d", path, r);
        remove(b);
    }
}

/* A deterministic stand-in for training: a hash of (ops, seed, recipe C),
 * so that the plumbing is tested fast; `die_after` > 0 makes the process
 * _exit in the middle of that many-th call (a crash, mid-architecture). */
static int toy_calls, toy_die_after;
static int toy_train(void *ctx, const ws_build_recipe *r, const ws_arch *a, int slot,
                     double *valid, double *test, double *seconds, ws_error *err)
{
    (void)ctx;
    (void)err;
    if (toy_die_after > 0 && ++toy_calls == toy_die_after) _exit(7);
    uint64_t h = 1469598103934665603ull ^ r->seeds[slot] ^ ((uint64_t)r->C << 40);
    for (int e = 0; e < WS_EDGES; e++) h = (h ^ a->op[e]) * 1099511628211ull;
    *valid = (double)(h % 100000) / 1000.0;
    *test = (double)((h >> 20) % 100000) / 1000.0;
    *seconds = 0.25;
    return 0;
}

static ws_build_recipe tiny_recipe(void)
{
    ws_build_recipe r;
    ws_build_recipe_default(&r);
    ws_error err = {0};
    cr_assert_eq(ws_build_recipe_parse("train=64;valid=32;test=32;size=8;C=2;N=1;epochs=1;"
                                       "batch=32;seeds=3,4",
                                       &r, &err),
                 0, "%s", err.msg);
    return r;
}

static int run_build(const char *out, const ws_build_recipe *r, const ws_build_set *set, int limit,
                     int *trained, int *remaining, ws_error *err)
{
    ws_build_opts o = {.out = out, .bench = "toy", .recipe = r, .set = set, .train = toy_train,
                       .limit = limit, .size = 1};
    return ws_table_build(&o, trained, remaining, err);
}

/* Every column of benchmark `bench` equal bit for bit (train_seconds too:
 * the toy trainer's times are constant), same filled mask and recipe. */
static void expect_same_bench(const char *pa, const char *pb, const char *bench)
{
    ws_table *a = NULL, *b = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_table_open(pa, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_open(pb, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_metric_count(a, bench), ws_table_metric_count(b, bench));
    cr_assert_gt(ws_table_metric_count(a, bench), 0);
    for (int j = 0; j < ws_table_metric_count(a, bench); j++) {
        const char *m = ws_table_metric_name(a, bench, j);
        const double *ca = ws_table_column(a, bench, m), *cb = ws_table_column(b, bench, m);
        cr_assert(cb, "%s lacks %s", pb, m);
        cr_expect(!memcmp(ca, cb, WS_ARCH_COUNT * sizeof(double)), "%s/%s differs", bench, m);
    }
    cr_expect(!memcmp(ws_table_filled(a, bench), ws_table_filled(b, bench), WS_ARCH_COUNT));
    cr_expect_str_eq(ws_table_bench_attr(a, bench, "recipe"),
                     ws_table_bench_attr(b, bench, "recipe"));
    ws_table_close(a);
    ws_table_close(b);
}

Test(tablebuild, recipe_text_roundtrip_and_errors)
{
    ws_build_recipe r = tiny_recipe(), q;
    char text[WS_BUILD_RECIPE_MAX], text2[WS_BUILD_RECIPE_MAX];
    ws_error err = {0};
    cr_assert_eq(ws_build_recipe_format(&r, text, sizeof text, &err), 0);
    ws_build_recipe_default(&q);
    cr_assert_eq(ws_build_recipe_parse(text, &q, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_build_recipe_format(&q, text2, sizeof text2, &err), 0);
    cr_expect_str_eq(text, text2);
    cr_expect(strstr(text, "seeds=3,4"), "%s", text);
    const struct {
        const char *text, *want;
    } bad[] = {
        {"epoch=3", "unknown key 'epoch'"},
        {"C=0", "recipe C=0: expected 1..256"},
        {"lr=abc", "recipe lr='abc': expected a number"},
        {"size=10", "size=10: expected a multiple of 4"},
        {"seeds=1,1", "seeds: 1 appears twice"},
        {"dataset=svhn", "dataset 'svhn'"},
        {"train", "recipe item 'train': expected KEY=VALUE"},
    };
    for (size_t i = 0; i < WS_ARRAY_LEN(bad); i++) {
        ws_build_recipe before = r;
        err.msg[0] = '\0';
        cr_expect_neq(ws_build_recipe_parse(bad[i].text, &r, &err), 0, "%s accepted",
                      bad[i].text);
        cr_expect(strstr(err.msg, bad[i].want), "'%s': message '%s' lacks '%s'", bad[i].text,
                  err.msg, bad[i].want);
        cr_expect(!memcmp(&before, &r, sizeof r), "a refused recipe changed the recipe");
    }
}

Test(tablebuild, sets)
{
    ws_space *sp = ws_space_alloc();
    ws_build_set all = {0}, s10 = {0}, s40 = {0}, list = {0};
    ws_error err = {0};
    cr_assert_eq(ws_build_set_all(sp, &all, &err), 0);
    cr_expect_eq(all.n, WS_ISO_CLASSES);
    cr_assert_eq(ws_build_set_sample(sp, 10, 5, &s10, &err), 0);
    cr_assert_eq(ws_build_set_sample(sp, 40, 5, &s40, &err), 0);
    cr_expect_eq(s10.n, 10);
    cr_expect_eq(s40.n, 40);
    cr_expect(!memcmp(s10.index, s40.index, 10 * sizeof(int)), "sample is not prefix-stable");
    for (int i = 0; i < s40.n; i++) {
        cr_expect_eq(ws_space_iso_class(sp, s40.index[i]), s40.index[i]);
        for (int j = 0; j < i; j++) cr_expect_neq(s40.index[i], s40.index[j]);
    }
    /* two isomorphic strings (none on 1<-0 makes edges 2<-1, 3<-1 dead) */
    const char *archs[] = {"|none~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|"
                           "nor_conv_3x3~2|",
                           "|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|skip_connect~1|"
                           "nor_conv_3x3~2|",
                           "7"};
    cr_assert_eq(ws_build_set_list(sp, archs, 3, &list, &err), 0, "%s", err.msg);
    cr_expect_eq(list.n, 2, "isomorphic archs must collapse to one class");
    ws_build_set_free(&list);
    const char *badl[] = {"|nor_conv_3x3~0|+|bogus~0|"};
    cr_expect_neq(ws_build_set_list(sp, badl, 1, &list, &err), 0);
    cr_expect_neq(ws_build_set_sample(sp, 0, 1, &s10, &err), 0);
    ws_build_set_shard(&s40, 1, 3);
    cr_expect_eq(s40.n, 13);
    ws_build_set_free(&all);
    ws_build_set_free(&s10);
    ws_build_set_free(&s40);
    ws_build_set_free(&list);
    ws_space_free(sp);
}

Test(tablebuild, build_fills_classes_and_recipe)
{
    const char *out = wsfx_tmp_path("tb_basic.h5");
    clean(out);
    ws_build_recipe r = tiny_recipe();
    ws_space *sp = ws_space_alloc();
    ws_build_set set = {0};
    ws_error err = {0};
    cr_assert_eq(ws_build_set_sample(sp, 12, 1, &set, &err), 0);
    int trained = -1, left = -1;
    cr_assert_eq(run_build(out, &r, &set, 0, &trained, &left, &err), 0, "%s", err.msg);
    cr_expect_eq(trained, 12);
    cr_expect_eq(left, 0);
    ws_table *t = NULL;
    cr_assert_eq(ws_table_open(out, &t, &err), 0, "%s", err.msg);
    const uint8_t *filled = ws_table_filled(t, "toy");
    cr_assert(filled);
    int n_filled = 0, want = 0;
    for (int i = 0; i < WS_ARCH_COUNT; i++) n_filled += filled[i];
    for (int j = 0; j < set.n; j++) want += ws_space_iso_size(sp, set.index[j]);
    cr_expect_eq(n_filled, want, "every member of a trained class is filled");
    const double *v3 = ws_table_column(t, "toy", "valid_acc_1_seed3"),
                 *v4 = ws_table_column(t, "toy", "valid_acc_1_seed4"),
                 *vm = ws_table_column(t, "toy", "valid_acc_1");
    cr_assert(v3 && v4 && vm && ws_table_column(t, "toy", "test_acc_1") &&
              ws_table_column(t, "toy", "train_seconds_1"));
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        if (!filled[i]) {
            cr_expect(isnan(vm[i]));
            continue;
        }
        int c = ws_space_iso_class(sp, i);
        ws_arch a = ws_space_arch(sp, c);
        double v, te, s;
        toy_train(NULL, &r, &a, 0, &v, &te, &s, NULL);
        cr_expect_eq(v3[i], v, "row %d gets its class representative's result", i);
        cr_expect_eq(vm[i], (v3[i] + v4[i]) / 2);
    }
    int unfilled = 0;
    while (filled[unfilled]) unfilled++;
    double dummy;
    cr_expect_eq(ws_table_get(t, "toy", "test_acc_1", unfilled, &dummy, &err), WS_ENOTFOUND);
    cr_expect(strstr(err.msg, "is not filled (this built benchmark covers") &&
                  strstr(err.msg, "--train-missing"),
              "%s", err.msg);
    char text[WS_BUILD_RECIPE_MAX];
    ws_build_recipe_format(&r, text, sizeof text, &err);
    cr_expect_str_eq(ws_table_bench_attr(t, "toy", "recipe"), text);
    cr_expect_str_eq(ws_table_bench_attr(t, "toy", "recipe_C"), "2");
    /* every metric says its unit */
    for (int m = 0; m < ws_table_metric_count(t, "toy"); m++) {
        const char *name = ws_table_metric_name(t, "toy", m),
                   *unit = ws_table_metric_attr(t, "toy", name, "unit");
        cr_expect(unit && !strcmp(unit, strstr(name, "seconds") ? "s" : "%"), "%s: unit %s",
                  name, unit ? unit : "(none)");
    }
    ws_table_close(t);
    /* no sidecar left; a second run trains nothing */
    char pf[1200];
    snprintf(pf, sizeof pf, "%s.progress", out);
    cr_expect(access(pf, F_OK) != 0, "progress file left behind");
    cr_assert_eq(run_build(out, &r, &set, 0, &trained, &left, &err), 0, "%s", err.msg);
    cr_expect_eq(trained, 0);
    /* another recipe into the same benchmark is refused, the table kept */
    ws_build_recipe r2 = r;
    r2.epochs = 2;
    cr_expect_neq(run_build(out, &r2, &set, 0, &trained, &left, &err), 0);
    cr_expect(strstr(err.msg, "was built with recipe"), "%s", err.msg);
    ws_build_set_free(&set);
    ws_space_free(sp);
    clean(out);
}

Test(tablebuild, resume_after_kill_equals_uninterrupted)
{
    const char *a = wsfx_tmp_path("tb_resume_a.h5"), *b = wsfx_tmp_path("tb_resume_b.h5");
    clean(a);
    clean(b);
    ws_build_recipe r = tiny_recipe();
    ws_space *sp = ws_space_alloc();
    ws_build_set set = {0};
    ws_error err = {0};
    cr_assert_eq(ws_build_set_sample(sp, 9, 2, &set, &err), 0);
    cr_assert_eq(run_build(a, &r, &set, 0, NULL, NULL, &err), 0, "%s", err.msg);
    /* the child dies in the middle of the 4th architecture (its 8th training
     * call, seed 2 of 2): 3 architectures are in the sidecar */
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        toy_die_after = 8;
        ws_error e = {0};
        run_build(b, &r, &set, 0, NULL, NULL, &e);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7, "child did not die as planned");
    cr_expect(access(b, F_OK) != 0, "an interrupted build wrote the table");
    char pf[1200];
    snprintf(pf, sizeof pf, "%s.progress", b);
    cr_assert(access(pf, F_OK) == 0, "no progress sidecar after the kill");
    /* a torn last line (killed while writing) is ignored too */
    FILE *f = fopen(pf, "ab");
    fputs("r 12 4", f);
    fclose(f);
    int trained = -1, left = -1;
    cr_assert_eq(run_build(b, &r, &set, 0, &trained, &left, &err), 0, "%s", err.msg);
    cr_expect_eq(trained, 6, "resume retrained %d, expected 6 (3 were done)", trained);
    cr_expect_eq(left, 0);
    expect_same_bench(a, b, "toy");
    /* --limit steps: 4 + 4 + 1 equals one go */
    clean(b);
    cr_assert_eq(run_build(b, &r, &set, 4, &trained, &left, &err), 0, "%s", err.msg);
    cr_expect_eq(trained, 4);
    cr_expect_eq(left, 5);
    cr_assert_eq(run_build(b, &r, &set, 4, &trained, &left, &err), 0, "%s", err.msg);
    cr_expect_eq(left, 1);
    cr_assert_eq(run_build(b, &r, &set, 4, &trained, &left, &err), 0, "%s", err.msg);
    cr_expect_eq(trained, 1);
    cr_expect_eq(left, 0);
    expect_same_bench(a, b, "toy");
    /* a sidecar from another recipe is refused with its name */
    ws_build_recipe r2 = r;
    r2.seeds[1] = 9;
    clean(b);
    f = fopen(pf, "wb");
    fputs("wsnas-build-progress 1\nbench toy\nrecipe dataset=mnist\n", f);
    fclose(f);
    cr_expect_neq(run_build(b, &r2, &set, 0, NULL, NULL, &err), 0);
    cr_expect(strstr(err.msg, ".progress:3: progress made with another recipe"), "%s", err.msg);
    f = fopen(pf, "wb");
    fputs("wsnas-build-progress 1\nbench toy\n", f);
    char text[WS_BUILD_RECIPE_MAX];
    ws_build_recipe_format(&r, text, sizeof text, &err);
    fprintf(f, "recipe %s\nr 5 1 2\n", text);
    fclose(f);
    cr_expect_neq(run_build(b, &r, &set, 0, NULL, NULL, &err), 0);
    cr_expect(strstr(err.msg, ".progress:4: expected a class index") ||
                  strstr(err.msg, ".progress:4: expected 6 numbers"),
              "%s", err.msg);
    cr_expect(access(b, F_OK) != 0);
    clean(a);
    clean(b);
    ws_build_set_free(&set);
    ws_space_free(sp);
}

Test(tablebuild, shard_merge_equals_single)
{
    const char *one = wsfx_tmp_path("tb_single.h5"), *p0 = wsfx_tmp_path("tb_shard0.h5"),
               *p1 = wsfx_tmp_path("tb_shard1.h5"), *p2 = wsfx_tmp_path("tb_shard2.h5"),
               *m = wsfx_tmp_path("tb_merged.h5"), *odd = wsfx_tmp_path("tb_other.h5");
    const char *all[] = {one, p0, p1, p2, m, odd};
    for (size_t i = 0; i < WS_ARRAY_LEN(all); i++) clean(all[i]);
    ws_build_recipe r = tiny_recipe();
    ws_space *sp = ws_space_alloc();
    ws_build_set set = {0};
    ws_error err = {0};
    cr_assert_eq(ws_build_set_sample(sp, 10, 3, &set, &err), 0);
    cr_assert_eq(run_build(one, &r, &set, 0, NULL, NULL, &err), 0, "%s", err.msg);
    const char *parts[] = {p0, p1, p2};
    for (int i = 0; i < 3; i++) {
        ws_build_set sh = {0};
        cr_assert_eq(ws_build_set_sample(sp, 10, 3, &sh, &err), 0);
        ws_build_set_shard(&sh, i, 3);
        cr_assert_eq(run_build(parts[i], &r, &sh, 0, NULL, NULL, &err), 0, "%s", err.msg);
        ws_build_set_free(&sh);
    }
    cr_assert_eq(ws_table_merge(m, "toy", parts, 3, &err), 0, "%s", err.msg);
    expect_same_bench(one, m, "toy");
    /* overlapping inputs that agree are fine */
    const char *dup[] = {one, p1};
    cr_assert_eq(ws_table_merge(m, "toy", dup, 2, &err), 0, "%s", err.msg);
    expect_same_bench(one, m, "toy");
    /* a different recipe is refused and nothing is written */
    ws_build_recipe r2 = r;
    r2.C = 3;
    cr_assert_eq(run_build(odd, &r2, &set, 0, NULL, NULL, &err), 0, "%s", err.msg);
    remove(m);
    const char *mixed[] = {p0, odd};
    cr_expect_neq(ws_table_merge(m, "toy", mixed, 2, &err), 0);
    cr_expect(strstr(err.msg, "refusing to merge different recipes"), "%s", err.msg);
    cr_expect(access(m, F_OK) != 0, "a refused merge wrote %s", m);
    /* a missing benchmark names it */
    cr_expect_neq(ws_table_merge(m, "nope", parts, 3, &err), 0);
    cr_expect(strstr(err.msg, "'nope'"), "%s", err.msg);
    for (size_t i = 0; i < WS_ARRAY_LEN(all); i++) clean(all[i]);
    ws_build_set_free(&set);
    ws_space_free(sp);
}

/* ---- suites ------------------------------------------------------------------------ */

#include "wsnas/bench.h"

static const char *suite_ok =
    "{\"name\": \"t\", \"table\": \"tb.h5\", \"table_bench\": \"fm\", \"runs_dir\": \"RUNS\",\n"
    " \"jobs\": 2, \"threads\": 1, \"datasets\": [\"fashion-mnist\"],\n"
    " \"methods\": [\"darts\", \"gdas\"], \"seeds\": [1, 2, 3],\n"
    " \"config\": {\"epochs\": 2, \"C\": 4}, \"method_config\": {\"gdas\": {\"C\": 8}},\n"
    " \"search_args\": [\"--tag\", \"{method}-{seed}\"], \"eval_args\": [\"--ckpt\", "
    "\"{checkpoint}\"]}";

Test(tablebuild, suite_parse_and_argv)
{
    ws_suite *s = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_suite_parse(suite_ok, "ok.json", &s, &err), 0, "%s", err.msg);
    cr_expect_eq(ws_suite_run_count(s), 6);
    const ws_suite_run *r = ws_suite_run_at(s, 4);
    cr_expect_str_eq(r->method, "gdas");
    cr_expect_eq(r->seed, 2);
    cr_expect_str_eq(r->dir, "RUNS/fashion-mnist/gdas/seed2");
    cr_expect_str_eq(r->done, "RUNS/fashion-mnist/gdas/seed2.done");
    char **av = ws_bench_argv(s, "/bin/wsnas", "search", 4, &err);
    cr_assert(av, "%s", err.msg);
    char line[2048] = "";
    for (char **p = av; *p; p++) snprintf(line + strlen(line), sizeof line - strlen(line), " %s", *p);
    cr_expect_str_eq(line, " /bin/wsnas search --method gdas --dataset fashion-mnist --seed 2 "
                           "--threads 1 --config RUNS/fashion-mnist/gdas/seed2.json --out "
                           "RUNS/fashion-mnist/gdas/seed2 --tag gdas-2");
    ws_bench_argv_free(av);
    av = ws_bench_argv(s, "/bin/wsnas", "eval", 0, &err);
    cr_assert(av);
    cr_expect_str_eq(av[2], "RUNS/fashion-mnist/darts/seed1");
    cr_expect_str_eq(av[6], "RUNS/fashion-mnist/darts/seed1/checkpoint.bin");
    ws_bench_argv_free(av);
    ws_suite_free(s);
}

/* Variants: a method under its own name and keys; --runs-dir moves every run. */
Test(tablebuild, suite_variants_and_relocation)
{
    const char *json =
        "{\"name\": \"v\", \"table\": \"tb.h5\", \"runs_dir\": \"RUNS\",\n"
        " \"datasets\": [\"cifar10\"], \"methods\": [\"darts\", \"gaea-darts-erm\"],\n"
        " \"seeds\": [1], \"variants\": {\"gaea-darts-erm\": {\"method\": \"gaea-darts\",\n"
        "   \"config\": {\"single_level\": true}}},\n"
        " \"method_eval_args\": {\"gaea-darts-erm\": [\"--all-iso\"]}}";
    ws_suite *s = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_suite_parse(json, "v.json", &s, &err), 0, "%s", err.msg);
    const ws_suite_run *r = ws_suite_run_at(s, 1);
    cr_expect_str_eq(r->method, "gaea-darts");
    cr_expect_str_eq(r->label, "gaea-darts-erm");
    cr_expect_str_eq(r->dir, "RUNS/cifar10/gaea-darts-erm/seed1");
    char **av = ws_bench_argv(s, "/bin/wsnas", "search", 1, &err);
    cr_assert(av, "%s", err.msg);
    cr_expect_str_eq(av[3], "gaea-darts");
    ws_bench_argv_free(av);
    av = ws_bench_argv(s, "/bin/wsnas", "eval", 1, &err);
    cr_assert(av, "%s", err.msg);
    int n_av = 0;
    while (av[n_av]) n_av++;
    cr_expect_str_eq(av[n_av - 1], "--all-iso", "method_eval_args not appended");
    ws_bench_argv_free(av);
    av = ws_bench_argv(s, "/bin/wsnas", "eval", 0, &err);
    cr_assert(av, "%s", err.msg);
    for (char **q = av; *q; q++) cr_expect_str_neq(*q, "--all-iso", "darts got gaea's eval args");
    ws_bench_argv_free(av);
    cr_assert_eq(ws_suite_relocate(s, "/elsewhere/runs", &err), 0, "%s", err.msg);
    cr_expect_str_eq(ws_suite_run_at(s, 0)->dir, "/elsewhere/runs/cifar10/darts/seed1");
    cr_expect_str_eq(ws_suite_run_at(s, 1)->done, "/elsewhere/runs/cifar10/gaea-darts-erm/seed1.done");
    ws_suite_free(s);
    const struct {
        const char *variants, *methods, *want;
    } bad[] = {
        {"{\"darts\": {\"method\": \"darts\"}}", "[\"darts\"]", "may not take a method's name"},
        {"{\"x\": {\"method\": \"dart\"}}", "[\"x\"]", "'variants.x.method': expected a known"},
        {"{\"x\": {\"method\": \"darts\", \"cfg\": {}}}", "[\"x\"]", "unknown key 'cfg'"},
        {"{\"x\": {\"method\": \"darts\", \"config\": {\"label\": \"y\"}}}", "[\"x\"]",
         "'label' is the variant's name"},
        {"{\"a b\": {\"method\": \"darts\"}}", "[\"darts\"]", "name 'a b'"},
        {"{\"x\": {\"method\": \"darts\"}}", "[\"y\"]", "unknown name 'y'"},
        {"{\"x\": {\"method\": \"darts\"}}, \"method_eval_args\": {\"gdas\": []}", "[\"x\"]",
         "'gdas' is not in 'methods'"},
        {"{\"x\": {\"method\": \"darts\"}}, \"method_eval_args\": {\"x\": [1]}", "[\"x\"]",
         "key 'x'[0]: expected a string"},
    };
    for (size_t i = 0; i < WS_ARRAY_LEN(bad); i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"name\": \"v\", \"table\": \"t\", \"runs_dir\": \"r\", \"datasets\": "
                 "[\"cifar10\"], \"seeds\": [1], \"methods\": %s, \"variants\": %s}",
                 bad[i].methods, bad[i].variants);
        s = NULL;
        cr_expect_neq(ws_suite_parse(text, "bad.json", &s, &err), 0, "accepted: %s", text);
        cr_expect(strstr(err.msg, bad[i].want), "message '%s' lacks '%s'", err.msg, bad[i].want);
        ws_suite_free(s);
    }
}

Test(tablebuild, suite_validation_errors)
{
    const struct {
        const char *json, *want;
    } bad[] = {
        {"{\"name\": \"t\",\n \"table\": }", "bad.json:2: invalid JSON"},
        {"[1]", "expected a JSON object"},
        {"{\"name\": \"t\", \"tabel\": \"x\"}", "unknown key 'tabel'"},
        {"{\"name\": \"t\", \"runs_dir\": \"r\", \"datasets\": [\"fashion-mnist\"], \"methods\": "
         "[\"darts\"], \"seeds\": [1]}",
         "missing key 'table'"},
        {"{\"name\": \"a b\"}", "key 'name': 'a b' may use only"},
        {"{\"name\": \"t\", \"table\": \"x\", \"runs_dir\": \"r\", \"datasets\": "
         "[\"fashion-mnist\"], \"methods\": [\"dart\"], \"seeds\": [1]}",
         "key 'methods'[0]: unknown name 'dart'"},
        {"{\"name\": \"t\", \"table\": \"x\", \"runs_dir\": \"r\", \"datasets\": "
         "[\"fashion-mnist\"], \"methods\": [\"darts\"], \"seeds\": [1, 1]}",
         "key 'seeds'[1]: 1 appears twice"},
        {"{\"name\": \"t\", \"table\": \"x\", \"runs_dir\": \"r\", \"datasets\": "
         "[\"fashion-mnist\"], \"methods\": [\"darts\"], \"seeds\": [1.5]}",
         "key 'seeds'[0]: expected an integer"},
        {"{\"name\": \"t\", \"table\": \"x\", \"runs_dir\": \"r\", \"datasets\": [], "
         "\"methods\": [\"darts\"], \"seeds\": [1]}",
         "key 'datasets': expected a non-empty array"},
        {"{\"name\": \"t\", \"table\": \"x\", \"runs_dir\": \"r\", \"jobs\": 0, \"datasets\": "
         "[\"fashion-mnist\"], \"methods\": [\"darts\"], \"seeds\": [1]}",
         "key 'jobs': 0 is out of range [1, 64]"},
        {"{\"name\": \"t\", \"table\": \"x\", \"runs_dir\": \"r\", \"datasets\": "
         "[\"fashion-mnist\"], \"methods\": [\"darts\"], \"seeds\": [1], \"method_config\": "
         "{\"gdsa\": {}}}",
         "key 'method_config': unknown method 'gdsa'"},
        {"{\"name\": \"t\", \"table\": \"x\", \"runs_dir\": \"r\", \"datasets\": "
         "[\"fashion-mnist\"], \"methods\": [\"darts\"], \"seeds\": [1], \"eval\": 1}",
         "key 'eval': expected true or false"},
        {"{\"name\": \"t\", \"table\": \"x\", \"runs_dir\": \"r\", \"datasets\": "
         "[\"fashion-mnist\"], \"methods\": [\"darts\"], \"seeds\": [1], \"eval_args\": [3]}",
         "key 'eval_args'[0]: expected a string"},
    };
    for (size_t i = 0; i < WS_ARRAY_LEN(bad); i++) {
        ws_suite *s = (ws_suite *)1;
        ws_error err = {0};
        cr_expect_neq(ws_suite_parse(bad[i].json, "bad.json", &s, &err), 0, "accepted: %s",
                      bad[i].json);
        cr_expect_null(s);
        cr_expect(strstr(err.msg, bad[i].want), "message '%s' lacks '%s'", err.msg, bad[i].want);
        cr_expect(!strncmp(err.msg, "bad.json", 8), "message '%s' does not name the file",
                  err.msg);
    }
}

/* The runner against a stand-in wsnas (a shell script that logs its calls,
 * creates the run directory, and fails for one chosen run). */
Test(tablebuild, runner_pool_resume_and_failure)
{
    const char *dir = wsfx_tmp_path("tb_runner");
    char cmd[8192], script[1100], calls[1100], suite[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(script, sizeof script, "%s/fake-wsnas", dir);
    snprintf(calls, sizeof calls, "%s/calls", dir);
    FILE *f = fopen(script, "w");
    cr_assert(f);
    fprintf(f,
            "#!/bin/sh\n"
            "echo \"$OMP_NUM_THREADS $*\" >> '%s'\n"
            "if [ \"$1\" = search ]; then\n"
            "  out=''; prev=''; for a in \"$@\"; do [ \"$prev\" = --out ] && out=$a; "
            "[ \"$prev\" = --resume ] && out=$a; prev=$a; done\n"
            "  mkdir -p \"$out\" && touch \"$out/checkpoint.bin\"\n"
            "  [ -f '%s/fail' ] && case \"$out\" in *gdas/seed2) exit 3;; esac\n"
            "fi\n"
            "exit 0\n",
            calls, dir);
    fclose(f);
    chmod(script, 0755);
    snprintf(suite, sizeof suite,
             "{\"name\": \"t\", \"table\": \"tb.h5\", \"runs_dir\": \"%s/runs\", \"jobs\": 2,"
             " \"datasets\": [\"fashion-mnist\"], \"methods\": [\"darts\", \"gdas\"], \"seeds\": "
             "[1, 2, 3], \"config\": {\"a\": 1}, \"method_config\": {\"gdas\": {\"a\": 2}}}",
             dir);
    ws_suite *s = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_suite_parse(suite, "s.json", &s, &err), 0, "%s", err.msg);
    /* 1: gdas seed 2 fails; no report */
    snprintf(cmd, sizeof cmd, "touch '%s/fail'", dir);
    cr_assert_eq(system(cmd), 0);
    ws_bench_opts o = {.wsnas = script, .size = 1};
    int failed = -1;
    cr_assert_eq(ws_bench_run(s, &o, &failed, &err), 0, "%s", err.msg);
    cr_expect_eq(failed, 1);
    snprintf(cmd, sizeof cmd,
             "test $(grep -c '^1 search --method' '%s') = 6 && test $(grep -c '^1 eval' '%s') = "
             "5 && ! grep -q report '%s'",
             calls, calls, calls);
    cr_expect_eq(system(cmd), 0, "expected 6 searches, 5 evals, no report");
    snprintf(cmd, sizeof cmd, "grep -q '\"a\":.*2' '%s/runs/fashion-mnist/gdas/seed1.json'", dir);
    cr_expect_eq(system(cmd), 0, "method_config did not override config");
    /* each finished search was evaluated at once: a part-way report covers 5 of 6 */
    snprintf(cmd, sizeof cmd, ": > '%s'", calls);
    cr_assert_eq(system(cmd), 0);
    int n_done = -1;
    cr_assert_eq(ws_bench_report_finished(s, &o, &n_done, &err), 0, "%s", err.msg);
    cr_expect_eq(n_done, 5);
    snprintf(cmd, sizeof cmd,
             "test $(wc -l < '%s') = 1 && grep -q '^1 report .*gdas/seed1 .*gdas/seed3$' '%s' && "
             "! grep -q 'gdas/seed2' '%s'",
             calls, calls, calls);
    cr_expect_eq(system(cmd), 0, "report-finished: expected one report over the 5 finished runs");
    /* 2: run again: only the failed run resumes (--resume), then the report */
    snprintf(cmd, sizeof cmd, "rm '%s/fail' && : > '%s'", dir, calls);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(ws_bench_run(s, &o, &failed, &err), 0, "%s", err.msg);
    cr_expect_eq(failed, 0);
    snprintf(cmd, sizeof cmd,
             "test $(wc -l < '%s') = 3 && grep -q '^1 search --method gdas .* --resume .*gdas/seed2$' "
             "'%s' && "
             "grep -q '^1 eval .*gdas/seed2 --table tb.h5' '%s' && "
             "grep -q '^1 report --table tb.h5 --out-results results --out-plots plots "
             ".*darts/seed1 .*gdas/seed3$' '%s'",
             calls, calls, calls, calls);
    cr_expect_eq(system(cmd), 0, "second run: expected resume of gdas seed 2, eval, report");
    ws_suite_free(s);
}

/* ---- MPI ------------------------------------------------------------------------------ */

/* "mpirun -np 2 --oversubscribe [--allow-run-as-root]", or skips the test. */
static void mpirun_cmd(char *buf, size_t n)
{
    if (system("command -v mpirun >/dev/null 2>&1") != 0)
        cr_skip_test("mpirun not found (openmpi-bin): MPI equality not tested");
    snprintf(buf, n, "ASAN_OPTIONS=detect_leaks=0 mpirun -np 2 --oversubscribe%s",
             geteuid() == 0 ? " --allow-run-as-root" : "");
}

static const char *wsnas_bin(void)
{
    const char *b = getenv("WSNAS_BIN");
    if (!b || access(b, X_OK)) cr_skip_test("WSNAS_BIN not set");
    return b;
}

Test(tablebuild, mpi_bench_equals_serial)
{
    char mpi[256], cmd[8192];
    mpirun_cmd(mpi, sizeof mpi);
    const char *bin = wsnas_bin(), *dir = wsfx_tmp_path("tb_mpibench");
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/A' '%s/B'", dir, dir, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/fake-wsnas", dir);
    FILE *f = fopen(cmd, "w");
    cr_assert(f);
    fputs("#!/bin/sh\necho \"$OMP_NUM_THREADS $*\" >> calls\n"
          "echo \"${OMPI_COMM_WORLD_RANK:-serial} ${OMPI_COMM_WORLD_SIZE:-unset}\" >> ranks\n"
          "if [ \"$1\" = search ]; then prev=''; for a in \"$@\"; do [ \"$prev\" = --out ] && "
          "mkdir -p \"$a\"; prev=$a; done; fi\nexit 0\n",
          f);
    fclose(f);
    chmod(cmd, 0755);
    /* a real table: wsnas bench checks the suite before its first job */
    const char *root = wsfx_root();
    if (!root) cr_skip_test("WSNAS_ROOT unset");
    snprintf(cmd, sizeof cmd, "cp '%s/bench/fashion-mnist-small.h5' '%s/t.h5'", root, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/suite.json", dir);
    f = fopen(cmd, "w");
    fprintf(f,
            "{\"name\": \"m\", \"table\": \"%s/t.h5\", \"runs_dir\": \"runs\", \"jobs\": 1, "
            "\"datasets\": [\"fashion-mnist\"], \"methods\": [\"darts\", \"gdas\", \"rs-ws\"], "
            "\"seeds\": [1, 2], \"eval_args\": [\"--truth\", \"fashion-mnist-small/valid_acc_4\"]}\n",
            dir);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "cd '%s/A' && '%s' bench ../suite.json --wsnas ../fake-wsnas 2>/dev/null && "
             "cd '%s/B' && %s '%s' bench ../suite.json --wsnas ../fake-wsnas 2>/dev/null && "
             "sort '%s/A/calls' > '%s/a' && sort '%s/B/calls' > '%s/b' && cmp -s '%s/a' '%s/b' && "
             "test $(wc -l < '%s/a') = 13",
             dir, bin, dir, mpi, bin, dir, dir, dir, dir, dir, dir, dir);
    cr_expect_eq(system(cmd), 0, "mpirun -np 2 wsnas bench differs from the serial run: %s", cmd);
    /* the work was split: rank 0 and rank 1 each ran searches, children saw no MPI size */
    snprintf(cmd, sizeof cmd,
             "grep -q '^0 unset' '%s/B/ranks' && grep -q '^1 unset' '%s/B/ranks' && "
             "! grep -qv '^serial unset' '%s/A/ranks' && test $(grep -c '^1 ' '%s/B/ranks') = 6",
             dir, dir, dir, dir);
    cr_expect_eq(system(cmd), 0, "runs were not split across the two ranks");
}

/* ---- real training (the engine's standalone mode) ----------------------------------- */

#define TINY_RECIPE "train=64;valid=32;test=32;size=8;C=2;N=1;epochs=1;batch=32;seeds=5"

static int have_fmnist(void)
{
    return access(WS_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", R_OK) == 0;
}

static int real_calls, real_die_after;
static int real_train(void *ctx, const ws_build_recipe *r, const ws_arch *a, int slot,
                      double *valid, double *test, double *seconds, ws_error *err)
{
    if (real_die_after > 0 && ++real_calls == real_die_after) _exit(7);
    return ws_build_trainer_run(ctx, r, a, slot, valid, test, seconds, err);
}

/* Every accuracy column equal bit for bit (train_seconds is wall time). */
static void expect_same_acc(const char *pa, const char *pb, const char *bench)
{
    ws_table *a = NULL, *b = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_table_open(pa, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_open(pb, &b, &err), 0, "%s", err.msg);
    int n = 0;
    for (int j = 0; j < ws_table_metric_count(a, bench); j++) {
        const char *m = ws_table_metric_name(a, bench, j);
        if (!strncmp(m, "train_seconds", 13)) continue;
        const double *ca = ws_table_column(a, bench, m), *cb = ws_table_column(b, bench, m);
        cr_assert(cb, "%s lacks %s", pb, m);
        cr_expect(!memcmp(ca, cb, WS_ARCH_COUNT * sizeof(double)), "%s/%s differs", bench, m);
        n++;
    }
    cr_expect_geq(n, 4);
    cr_expect(!memcmp(ws_table_filled(a, bench), ws_table_filled(b, bench), WS_ARCH_COUNT));
    ws_table_close(a);
    ws_table_close(b);
}

Test(tablebuild, real_training_resume_equals_uninterrupted)
{
    if (!have_fmnist()) cr_skip_test("Fashion-MNIST (dataset-fashion-mnist) not installed");
    const char *a = wsfx_tmp_path("tb_real_a.h5"), *b = wsfx_tmp_path("tb_real_b.h5");
    clean(a);
    clean(b);
    ws_build_recipe r;
    ws_build_recipe_default(&r);
    ws_error err = {0};
    cr_assert_eq(ws_build_recipe_parse(TINY_RECIPE, &r, &err), 0, "%s", err.msg);
    ws_build_trainer *tr = NULL;
    cr_assert_eq(ws_build_trainer_alloc(&r, NULL, &tr, &err), 0, "%s", err.msg);
    ws_space *sp = ws_space_alloc();
    ws_build_set set = {0};
    cr_assert_eq(ws_build_set_sample(sp, 4, 9, &set, &err), 0);
    ws_build_opts o = {.out = a, .bench = "fm", .recipe = &r, .set = &set, .train = real_train,
                       .train_ctx = tr, .size = 1};
    cr_assert_eq(ws_table_build(&o, NULL, NULL, &err), 0, "%s", err.msg);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        real_die_after = 3; /* dies training the 3rd class */
        o.out = b;
        ws_error e = {0};
        ws_table_build(&o, NULL, NULL, &e);
        _exit(0);
    }
    int st = 0, trained = 0;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7, "child did not die as planned");
    o.out = b;
    cr_assert_eq(ws_table_build(&o, &trained, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(trained, 2);
    expect_same_acc(a, b, "fm");
    ws_table *t = NULL;
    cr_assert_eq(ws_table_open(a, &t, &err), 0);
    const double *v = ws_table_column(t, "fm", "valid_acc_1");
    for (int j = 0; j < set.n; j++)
        cr_expect(v[set.index[j]] >= 0 && v[set.index[j]] <= 100, "accuracy %g", v[set.index[j]]);
    ws_table_close(t);
    ws_build_trainer_free(tr);
    ws_build_set_free(&set);
    ws_space_free(sp);
    clean(a);
    clean(b);
}

/* Runs a shell command line; returns its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(tablebuild, cli_build_query_train_missing_and_mpi)
{
    if (!have_fmnist()) cr_skip_test("Fashion-MNIST (dataset-fashion-mnist) not installed");
    const char *bin = wsnas_bin(), *dir = wsfx_tmp_path("tb_cli");
    cr_assert_eq(sh("rm -rf '%s' && mkdir -p '%s'", dir, dir), 0);
    /* serial build of a sample of 4 classes */
    cr_assert_eq(sh("OMP_NUM_THREADS=1 '%s' table build -q -o '%s/s.h5' --bench fm --recipe '%s' "
                    "--sample 4 --sample-seed 3",
                    bin, dir, TINY_RECIPE),
                 0);
    /* an unfilled row: a clear message and status 1; then --train-missing trains it */
    ws_table *t = NULL;
    ws_error err = {0};
    char path[1200];
    snprintf(path, sizeof path, "%s/s.h5", dir);
    cr_assert_eq(ws_table_open(path, &t, &err), 0, "%s", err.msg);
    int idx = 0;
    while (ws_table_filled(t, "fm")[idx]) idx++;
    ws_table_close(t);
    cr_expect_eq(sh("cp '%s/s.h5' '%s/q.h5' && '%s' table query '%s/q.h5' %d --bench fm "
                    "2> '%s/err' >/dev/null",
                    dir, dir, bin, dir, idx, dir),
                 1);
    cr_expect_eq(sh("grep -q 'index %d is not filled in benchmark .fm. (4 of\\|index %d is not "
                    "filled in benchmark .fm.' '%s/err' && grep -q -- --train-missing '%s/err'",
                    idx, idx, dir, dir),
                 0, "no clear not-filled message");
    cr_expect_eq(sh("OMP_NUM_THREADS=1 '%s' table query '%s/q.h5' %d --bench fm --train-missing "
                    "> '%s/out' 2>/dev/null && grep -q 'test_acc_1 ' '%s/out'",
                    bin, dir, idx, dir, dir),
                 0, "--train-missing did not train and print the row");
    cr_expect_eq(sh("'%s' table query '%s/q.h5' %d --bench fm >/dev/null", bin, dir, idx), 0);
    /* shard 0/2 + 1/2 merged equals the single build */
    for (int i = 0; i < 2; i++)
        cr_assert_eq(sh("OMP_NUM_THREADS=1 '%s' table build -q -o '%s/p%d.h5' --bench fm "
                        "--recipe '%s' --sample 4 --sample-seed 3 --shard %d/2",
                        bin, dir, i, TINY_RECIPE, i),
                     0);
    cr_assert_eq(sh("'%s' table merge -o '%s/m.h5' --bench fm '%s/p0.h5' '%s/p1.h5'", bin, dir,
                    dir, dir),
                 0);
    char m[1200];
    snprintf(m, sizeof m, "%s/m.h5", dir);
    expect_same_acc(path, m, "fm");
    /* a different recipe is refused by merge, nothing written */
    cr_assert_eq(sh("OMP_NUM_THREADS=1 '%s' table build -q -o '%s/o.h5' --bench fm --recipe "
                    "'%s;epochs=2' --arch 1",
                    bin, dir, TINY_RECIPE),
                 0);
    cr_expect_eq(sh("'%s' table merge -o '%s/x.h5' --bench fm '%s/p0.h5' '%s/o.h5' 2>'%s/err'",
                    bin, dir, dir, dir, dir),
                 1);
    cr_expect_eq(sh("grep -q 'refusing to merge different recipes' '%s/err' && test ! -e "
                    "'%s/x.h5'",
                    dir, dir),
                 0);
    /* mpirun -np 2 equals the serial build */
    char mpi[256];
    if (system("command -v mpirun >/dev/null 2>&1") != 0)
        cr_skip_test("mpirun not found (openmpi-bin): MPI table build not tested");
    mpirun_cmd(mpi, sizeof mpi);
    cr_assert_eq(sh("OMP_NUM_THREADS=1 %s '%s' table build -q -o '%s/mpi.h5' --bench fm "
                    "--recipe '%s' --sample 4 --sample-seed 3",
                    mpi, bin, dir, TINY_RECIPE),
                 0);
    snprintf(m, sizeof m, "%s/mpi.h5", dir);
    expect_same_acc(path, m, "fm");
    cr_expect_eq(sh("ls '%s' | grep -q progress", dir), 1, "progress sidecars left behind");
}
