/* test_fuzz.c: issue 14's fuzz test, bounded in time: random mutations of
 * checkpoints (the current version 2 and the legacy version 1), run
 * directories, tables and suites, each fed to the command that reads it.
 * Every mutant must give a clean refusal (exit 1..125, one line on stderr,
 * no file changed) or a good result: a resumed search identical to the
 * unmutated resume, a table printing what the original prints, a report or
 * a suite check that succeeds without touching its inputs.  Each target
 * runs its mutants until its time budget (WSNAS_FUZZ_SECONDS, default 5 s)
 * or its count is spent, from a fixed seed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "robust_util.h"
#include "wsnas/data.h"
#include "wsnas/rng.h"
#include "wsnas/space.h"

#define MAX_MUTANTS 400
#define MIN_MUTANTS 8

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double budget_s(void)
{
    const char *e = getenv("WSNAS_FUZZ_SECONDS");
    double s = e ? atof(e) : 5.0;
    return s > 0 ? s : 5.0;
}

/* A binary mutant of data[0..n) into out (capacity n + 64): flips, a
 * truncation, appended bytes or a 32-bit field set to a boundary value. */
static size_t mutate_bytes(ws_pcg32 *r, const unsigned char *data, size_t n, unsigned char *out)
{
    memcpy(out, data, n);
    size_t m = n;
    switch (ws_pcg32_bounded(r, 5)) {
    case 0: /* 1..4 bit flips */
        for (int k = 1 + (int)ws_pcg32_bounded(r, 4); k > 0; k--)
            out[ws_pcg32_bounded(r, (uint32_t)n)] ^= (unsigned char)(1u << ws_pcg32_bounded(r, 8));
        break;
    case 1: /* a random byte */
        out[ws_pcg32_bounded(r, (uint32_t)n)] = (unsigned char)ws_pcg32_next(r);
        break;
    case 2: m = ws_pcg32_bounded(r, (uint32_t)n); break; /* truncated */
    case 3: /* trailing garbage */
        for (int k = 1 + (int)ws_pcg32_bounded(r, 63); k > 0; k--)
            out[m++] = (unsigned char)ws_pcg32_next(r);
        break;
    default: { /* an aligned 32-bit field set to a boundary value */
        static const uint32_t v[] = {0, 1, 0xffffffffu, 0x7fffffffu, 0x80000000u, 1000000u,
                                     0x7fc00000u /* NaN */, 0x7f800000u /* inf */};
        size_t at = (ws_pcg32_bounded(r, (uint32_t)(n / 4))) * 4;
        uint32_t x = v[ws_pcg32_bounded(r, 8)];
        memcpy(out + at, &x, 4);
    }
    }
    return m;
}

/* A text mutant: a character replaced by one the formats care about, a
 * character deleted or doubled, a line duplicated or dropped, or a cut. */
static size_t mutate_text(ws_pcg32 *r, const char *text, size_t n, char *out, size_t cap)
{
    static const char chars[] = "0123456789-+.,eE\"{}[]:|~\r\n \tnaxz";
    size_t at = ws_pcg32_bounded(r, (uint32_t)n), m = 0;
    switch (ws_pcg32_bounded(r, 5)) {
    case 0:
        memcpy(out, text, n);
        out[at] = chars[ws_pcg32_bounded(r, sizeof chars - 1)];
        m = n;
        break;
    case 1:
        memcpy(out, text, at);
        memcpy(out + at, text + at + 1, n - at - 1);
        m = n - 1;
        break;
    case 2:
        memcpy(out, text, at + 1);
        memcpy(out + at + 1, text + at, n - at);
        m = n + 1;
        break;
    case 3: { /* the line at `at` twice, or dropped */
        size_t b = at, e = at;
        while (b > 0 && text[b - 1] != '\n') b--;
        while (e < n && text[e] != '\n') e++;
        e += e < n;
        int twice = ws_pcg32_bounded(r, 2) && n + (e - b) < cap;
        memcpy(out, text, e);
        m = e;
        if (twice) memcpy(out + m, text + b, e - b), m += e - b;
        else m = b;
        memcpy(out + m, text + e, n - e);
        m += n - e;
        break;
    }
    default: memcpy(out, text, at), m = at; /* cut */
    }
    return m;
}

/* Runs `'$WSNAS_BIN' args` with stdout and stderr into the strings (each
 * NUL-terminated, stdout may be NULL); the exit status, 128 + signal. */
static int run_cli(const char *args, char *out, size_t ocap, char *err, size_t ecap)
{
    char of[1200], ef[1200], cmd[8192];
    snprintf(of, sizeof of, "%s_%d.txt", wsfx_tmp_path("fz_out"), (int)getpid());
    snprintf(ef, sizeof ef, "%s_%d.txt", wsfx_tmp_path("fz_err"), (int)getpid());
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", getenv("WSNAS_BIN"), args, of, ef);
    int st = system(cmd);
    char *o = rb_slurp(of, NULL), *e = rb_slurp(ef, NULL);
    if (out) snprintf(out, ocap, "%s", o ? o : "");
    snprintf(err, ecap, "%s", e ? e : "");
    free(o), free(e);
    remove(of), remove(ef);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A refusal is exit 1..125 and exactly one line on stderr. */
static void expect_clean_refusal(int st, const char *err, const char *what, int i)
{
    cr_expect(st >= 1 && st <= 125, "%s mutant %d: exit %d (%s)", what, i, st, err);
    cr_expect_eq(rb_lines(err), 1, "%s mutant %d: not one line: %s", what, i, err);
}

static void need_cli(void)
{
    if (!getenv("WSNAS_BIN") || !getenv("WSNAS_FIXTURES") || !wsfx_root())
        cr_skip_test("WSNAS_BIN, WSNAS_FIXTURES or WSNAS_ROOT unset");
}

/* ---- checkpoints ------------------------------------------------------------------ */

/* Resumes mutants of dir/checkpoint.bin (dir: a stopped search).  A refused
 * mutant leaves its directory as it was; an accepted one must end like the
 * unmutated resume (computed on the first acceptance). */
static int fuzz_checkpoints(const char *dir, const char *tag, uint64_t seed, double seconds)
{
    char work[1200], ref[1200], ck[1300], args[2600], err[4096];
    snprintf(work, sizeof work, "%s_%s", wsfx_tmp_path("fz_ck"), tag);
    snprintf(ref, sizeof ref, "%s_%s", wsfx_tmp_path("fz_ck_ref"), tag);
    snprintf(ck, sizeof ck, "%s/checkpoint.bin", dir);
    size_t n = 0;
    unsigned char *orig = (unsigned char *)rb_slurp(ck, &n);
    cr_assert(orig && n > 64, "%s", ck);
    unsigned char *buf = malloc(n + 64);
    ws_pcg32 r;
    ws_pcg32_seed(&r, seed, 1u);
    int have_ref = 0, i = 0;
    double t0 = now_s();
    for (; i < MAX_MUTANTS && (i < MIN_MUTANTS || now_s() - t0 < seconds); i++) {
        size_t m = mutate_bytes(&r, orig, n, buf);
        cr_assert_eq(rb_copy_dir(dir, work), 0);
        snprintf(ck, sizeof ck, "%s/checkpoint.bin", work);
        cr_assert_eq(rb_write(ck, buf, m), 0);
        uint64_t before = rb_dir_digest(work);
        snprintf(args, sizeof args, "search --resume '%s'", work);
        int st = run_cli(args, NULL, 0, err, sizeof err);
        if (st != 0) {
            expect_clean_refusal(st, err, tag, i);
            cr_expect_eq(rb_dir_digest(work), before, "%s mutant %d: refused but changed files",
                         tag, i);
            continue;
        }
        if (!have_ref) {
            cr_assert_eq(rb_copy_dir(dir, ref), 0);
            snprintf(args, sizeof args, "search --resume '%s'", ref);
            cr_assert_eq(run_cli(args, NULL, 0, err, sizeof err), 0, "%s", err);
            have_ref = 1;
        }
        cr_expect(rb_same_search(work, ref), "%s mutant %d: accepted, resumed differently", tag, i);
    }
    free(orig), free(buf);
    rb_rm_rf(work), rb_rm_rf(ref);
    return i;
}

Test(fuzz, checkpoints_v1_and_v2)
{
    need_cli();
    if (access(WS_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", R_OK))
        cr_skip_test("Fashion-MNIST (dataset-fashion-mnist) not installed");
    char v1[1200], v2[1200], args[2600], err[4096];
    snprintf(v1, sizeof v1, "%s/legacy_ckpt/gdas", getenv("WSNAS_FIXTURES"));
    snprintf(v2, sizeof v2, "%s", wsfx_tmp_path("fz_v2run"));
    rb_rm_rf(v2);
    snprintf(args, sizeof args,
             "search --method darts --epochs 2 --stop-after-epoch 1 --set C=4 --set image_size=8 "
             "--set train_size=192 --set valid_size=128 --set eval_size=64 --set batch=32 "
             "--out '%s'",
             v2);
    cr_assert_eq(run_cli(args, NULL, 0, err, sizeof err), 0, "%s", err);
    int a = fuzz_checkpoints(v1, "v1", 14001u, budget_s());
    int b = fuzz_checkpoints(v2, "v2", 14002u, budget_s());
    cr_log_info("fuzz: %d version-1 and %d version-2 checkpoint mutants", a, b);
    rb_rm_rf(v2);
}

/* ---- run directories (wsnas report) -------------------------------------------------- */

Test(fuzz, run_directories)
{
    need_cli();
    char base[1100]; /* wsfx_tmp_path's buffers rotate: a copy */
    snprintf(base, sizeof base, "%s", wsfx_tmp_path("fz_rundir"));
    char run[1200], work[1200], res[1300], why[512], p[1400], args[4096], err[4096];
    snprintf(run, sizeof run, "%s/orig", base);
    snprintf(work, sizeof work, "%s/r", base);
    snprintf(res, sizeof res, "%s/results", base);
    rb_rm_rf(base);
    mkdir(base, 0777);
    cr_assert_eq(rb_write_run(run, "darts", 1, "\"epochs\": 3", 3, 100, 6111, -1, why, sizeof why),
                 0, "%s", why);
    /* eval pairs of architectures 0..5 */
    char pairs[4096] = "arch_index,arch,oneshot,true,truth\n";
    ws_space *sp = ws_space_alloc();
    for (int k = 0; k < 6; k++) {
        char s[WS_ARCH_STR_MAX];
        ws_arch a = ws_space_arch(sp, k);
        ws_arch_format(&a, s);
        snprintf(pairs + strlen(pairs), sizeof pairs - strlen(pairs), "%d,%s,%d.5,%d,b/m\n", k, s,
                 40 + 3 * k, 70 - k);
    }
    ws_space_free(sp);
    snprintf(p, sizeof p, "%s/eval_pairs.csv", run);
    cr_assert_eq(rb_write(p, pairs, strlen(pairs)), 0);
    static const char *const files[] = {"manifest.json", "epochs.csv", "arch_weights.csv",
                                        "eval_pairs.csv"};
    snprintf(args, sizeof args, "report --no-plots --out-results '%s' '%s'", res, run);
    cr_assert_eq(run_cli(args, NULL, 0, err, sizeof err), 0, "the unmutated run: %s", err);
    ws_pcg32 r;
    ws_pcg32_seed(&r, 14003u, 1u);
    static char out[1 << 18];
    int i = 0, refused = 0;
    double t0 = now_s();
    for (; i < MAX_MUTANTS && (i < MIN_MUTANTS || now_s() - t0 < budget_s()); i++) {
        const char *f = files[ws_pcg32_bounded(&r, 4)];
        cr_assert_eq(rb_copy_dir(run, work), 0);
        rb_rm_rf(res);
        snprintf(p, sizeof p, "%s/%s", work, f);
        size_t n = 0;
        char *text = rb_slurp(p, &n);
        cr_assert(text && n > 2);
        size_t m = mutate_text(&r, text, n, out, sizeof out);
        free(text);
        cr_assert_eq(rb_write(p, out, m), 0);
        uint64_t before = rb_dir_digest(work);
        snprintf(args, sizeof args, "report --no-plots --out-results '%s' '%s'", res, work);
        int st = run_cli(args, NULL, 0, err, sizeof err);
        cr_expect_eq(rb_dir_digest(work), before, "%s mutant %d: the run directory changed", f, i);
        snprintf(p, sizeof p, "%s/runs.csv", res);
        if (st != 0) {
            refused++;
            expect_clean_refusal(st, err, f, i);
            cr_expect(access(res, F_OK) != 0, "%s mutant %d: refused but wrote %s", f, i, res);
        } else {
            cr_expect(access(p, F_OK) == 0, "%s mutant %d: accepted without runs.csv", f, i);
        }
    }
    cr_log_info("fuzz: %d run-directory mutants, %d refused", i, refused);
    cr_expect_gt(refused, 0, "no mutant refused: the mutations did not reach the checks");
    rb_rm_rf(base);
}

/* ---- tables (wsnas table info / query) ------------------------------------------------ */

Test(fuzz, tables)
{
    need_cli();
    char src[1200], t[1200], args[2600], err[4096];
    static char want_info[1 << 16], want_q[1 << 16], got[1 << 16];
    snprintf(src, sizeof src, "%s/bench/fashion-mnist-small.h5", wsfx_root());
    snprintf(t, sizeof t, "%s", wsfx_tmp_path("fz_table.h5"));
    size_t n = 0;
    unsigned char *orig = (unsigned char *)rb_slurp(src, &n);
    cr_assert(orig && n > 1000, "%s", src);
    unsigned char *buf = malloc(n + 64);
    cr_assert_eq(rb_write(t, orig, n), 0);
    snprintf(args, sizeof args, "table info '%s'", t);
    cr_assert_eq(run_cli(args, want_info, sizeof want_info, err, sizeof err), 0, "%s", err);
    snprintf(args, sizeof args, "table query '%s' 6111", t);
    cr_assert_eq(run_cli(args, want_q, sizeof want_q, err, sizeof err), 0, "%s", err);
    ws_pcg32 r;
    ws_pcg32_seed(&r, 14004u, 1u);
    int i = 0, refused = 0;
    double t0 = now_s();
    for (; i < MAX_MUTANTS && (i < MIN_MUTANTS || now_s() - t0 < budget_s()); i++) {
        size_t m = mutate_bytes(&r, orig, n, buf);
        cr_assert_eq(rb_write(t, buf, m), 0);
        for (int q = 0; q < 2; q++) {
            snprintf(args, sizeof args, q ? "table query '%s' 6111" : "table info '%s'", t);
            int st = run_cli(args, got, sizeof got, err, sizeof err);
            size_t len = 0;
            char *after = rb_slurp(t, &len);
            cr_expect(after && len == m && !memcmp(after, buf, m), "mutant %d: the table changed",
                      i);
            free(after);
            if (st != 0) {
                refused += q == 0;
                expect_clean_refusal(st, err, "table", i);
            } else {
                /* the path is the same, so the output must be too */
                cr_expect_str_eq(got, q ? want_q : want_info,
                                 "table mutant %d accepted with other output:\n%s", i, got);
            }
        }
    }
    cr_log_info("fuzz: %d table mutants, %d refused", i, refused);
    cr_expect_gt(refused, 0);
    free(orig), free(buf);
    remove(t);
}

/* ---- suites (wsnas bench --dry-run) ------------------------------------------------------ */

Test(fuzz, suites)
{
    need_cli();
    char d[1100];
    snprintf(d, sizeof d, "%s", wsfx_tmp_path("fz_suite"));
    char cmd[4096], path[1300], args[4096], err[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp '%s/bench/fashion-mnist-small.h5' '%s/t.h5'",
             d, d, wsfx_root(), d);
    cr_assert_eq(system(cmd), 0);
    char suite[4096];
    int len = snprintf(
        suite, sizeof suite,
        "{\"name\": \"fz\", \"table\": \"%s/t.h5\", \"table_bench\": \"fashion-mnist-small\",\n"
        " \"runs_dir\": \"%s/runs\", \"results_dir\": \"%s/res\", \"plots_dir\": \"%s/plots\",\n"
        " \"jobs\": 2, \"threads\": 1, \"datasets\": [\"fashion-mnist\"],\n"
        " \"methods\": [\"darts\", \"gdas\", \"v\"], \"seeds\": [1, 2],\n"
        " \"variants\": {\"v\": {\"method\": \"gaea-darts\", \"config\": {\"single_level\": true}}},\n"
        " \"config\": {\"preset\": \"cpu\", \"epochs\": 2, \"C\": 4},\n"
        " \"method_config\": {\"gdas\": {\"tau_min\": 0.5}},\n"
        " \"eval_args\": [\"--truth\", \"fashion-mnist-small/valid_acc_4\", \"--out\", "
        "\"{run_dir}/p{seed}.csv\"],\n"
        " \"report_args\": [\"--plot-metric\", \"fashion-mnist-small/test_acc_4\"]}\n",
        d, d, d, d);
    cr_assert(len > 0 && (size_t)len < sizeof suite);
    snprintf(path, sizeof path, "%s/suite.json", d);
    cr_assert_eq(rb_write(path, suite, (size_t)len), 0);
    snprintf(args, sizeof args, "bench '%s' --dry-run", path);
    cr_assert_eq(run_cli(args, NULL, 0, err, sizeof err), 0, "the unmutated suite: %s", err);
    ws_pcg32 r;
    ws_pcg32_seed(&r, 14005u, 1u);
    static char out[8192];
    int i = 0, refused = 0;
    double t0 = now_s();
    for (; i < MAX_MUTANTS && (i < MIN_MUTANTS || now_s() - t0 < budget_s()); i++) {
        size_t m = mutate_text(&r, suite, (size_t)len, out, sizeof out);
        cr_assert_eq(rb_write(path, out, m), 0);
        uint64_t before = rb_dir_digest(d);
        int st = run_cli(args, NULL, 0, err, sizeof err);
        if (st != 0) {
            refused++;
            expect_clean_refusal(st, err, "suite", i);
        }
        cr_expect_eq(rb_dir_digest(d), before, "suite mutant %d (exit %d): files changed:\n%.*s",
                     i, st, (int)m, out);
    }
    cr_log_info("fuzz: %d suite mutants, %d refused", i, refused);
    cr_expect_gt(refused, 0);
    rb_rm_rf(d);
}
