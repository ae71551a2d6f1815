/* test_robust.c: issue 14's search guarantees end to end through the CLI:
 * SIGKILL at random moments (before the first checkpoint too) and resume
 * to the same bits; legacy (version 1) checkpoints written by commit
 * d41c6d5 resume exactly like the same state in the current format;
 * crafted and copied checkpoints are refused with one line naming the file
 * and nothing changed; a diverging run stops with the last good
 * checkpoint and a "diverged" manifest. */
#include <cJSON.h>
#include <criterion/criterion.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "robust_util.h"
#include "wsnas/config.h"
#include "wsnas/data.h"
#include "wsnas/json.h"
#include "wsnas/rng.h"
#include "wsnas/search.h"
#include "wsnas/supernet.h"
#include "wsnas/table.h"

#define SMALL                                                                                 \
    "--set C=4 --set image_size=8 --set train_size=192 --set valid_size=128 --set eval_size=64 " \
    "--set batch=32 --set select_k=5 --set select_batch=64"

static int exists(const char *dir, const char *name)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* `wsnas search <args>` in the background (output discarded). */
static pid_t spawn_search(const char *args)
{
    const char *bin = getenv("WSNAS_BIN");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "exec '%s' search %s >/dev/null 2>&1", bin, args);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Waits for pid; 0 if it exited with 0, -1 if it was killed, else its status. */
static int reap(pid_t pid)
{
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
    }
    if (WIFSIGNALED(st)) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
}

static const char *status_of(const char *dir, char *buf, size_t n)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    char *text = rb_slurp(p, NULL);
    buf[0] = '\0';
    const char *s = text ? strstr(text, "\"status\":") : NULL;
    if (s) sscanf(s, "\"status\":%*[ \t]\"%31[^\"]\"", buf);
    free(text);
    (void)n;
    return buf;
}

/* The same search killed `kills` times at seeded random moments (the first
 * kill as soon as its manifest exists, i.e. before the first checkpoint),
 * resumed each time, must end with the files of an uninterrupted run. */
static void kill_and_resume(const char *method, const char *extra, uint64_t seed, int kills)
{
    if (!getenv("WSNAS_BIN") || !wsfx_tmp_dir()) cr_skip_test("WSNAS_BIN / WSNAS_TMP not set");
    char a[1024], b[1024], args[3000], err[4096], st[32];
    snprintf(a, sizeof a, "%s", wsfx_tmp_path("rb_kill_ref"));
    snprintf(a + strlen(a), sizeof a - strlen(a), "_%s_%d", method, (int)getpid());
    snprintf(b, sizeof b, "%s", wsfx_tmp_path("rb_kill_part"));
    snprintf(b + strlen(b), sizeof b - strlen(b), "_%s_%d", method, (int)getpid());
    rb_rm_rf(a), rb_rm_rf(b);
    const char *common = "--epochs 3 --seed 5 " SMALL;
    snprintf(args, sizeof args, "search --method %s %s %s --out '%s'", method, common, extra, a);
    double t0 = now_s();
    cr_assert_eq(rb_run(args, err, sizeof err), 0, "%s", err);
    const double T = now_s() - t0;
    ws_pcg32 r;
    ws_pcg32_seed(&r, seed, 14);
    int before_first = 0, done = 0;
    for (int k = 0; k <= kills && !done; k++) {
        if (exists(b, "manifest.json"))
            snprintf(args, sizeof args, "--resume '%s'", b);
        else
            snprintf(args, sizeof args, "--method %s %s %s --out '%s'", method, common, extra, b);
        pid_t pid = spawn_search(args);
        if (k == kills) { /* let the last one finish */
            cr_assert_eq(reap(pid), 0, "%s: the last resume failed", method);
            done = 1;
            break;
        }
        if (k == 0) { /* as soon as the manifest exists */
            for (int i = 0; i < 100000 && !exists(b, "manifest.json"); i++) usleep(200);
            kill(pid, SIGKILL);
            before_first = !exists(b, "checkpoint.bin");
        } else {
            usleep((useconds_t)(1e6 * T * 1.2 * ws_pcg32_double(&r)));
            kill(pid, SIGKILL);
        }
        int rc = reap(pid);
        cr_assert(rc <= 0, "%s: attempt %d exited with %d before the kill", method, k, rc);
        done = rc == 0;
    }
    cr_expect(before_first, "%s: the first kill came after the first checkpoint", method);
    cr_expect(rb_same_search(a, b), "%s: killed and resumed run differs", method);
    cr_expect_str_eq(status_of(b, st, sizeof st), "complete");
    rb_rm_rf(a), rb_rm_rf(b);
}

Test(robust, kill_at_random_moments_gdas) { kill_and_resume("gdas", "", 20261206u, 6); }
Test(robust, kill_at_random_moments_gaea_pc_darts)
{
    kill_and_resume("gaea-pc-darts", "--set pc_k=2 --set pc_sample=random", 77u, 6);
}

/* ---- legacy checkpoints ---------------------------------------------------- */

/* The version-1 structs as commit d41c6d5 wrote them (x86-64). */
typedef struct legacy_run {
    int32_t next_epoch, best_epoch;
    double best_valid;
    uint8_t best_arch[6];
} legacy_run;
typedef struct legacy_method {
    int32_t id, ops_mask[5];
    float a[30], beta[6], m[36], v[36];
    float adam[5];
    int64_t adam_t;
    float tau;
    int32_t arch_updates_on;
    uint64_t rng[6];
    float darch_last[30];
    uint8_t selected[6];
    int32_t selected_valid;
} legacy_method;

static void put(ws_ckpt *ck, const char *name, const void *p, size_t n)
{
    ws_error err = {0};
    cr_assert_eq(ws_ckpt_put(ck, name, p, n, &err), 0, "%s", err.msg);
}

/* Rewrites dir's version-1 checkpoint in the version-2 layout documented in
 * src/methods/search_ckpt.c, independently of that code. */
static void legacy_to_v2(const char *dir)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    ws_error err = {0};
    ws_ckpt *in = ws_ckpt_alloc(), *out = ws_ckpt_alloc();
    cr_assert_eq(ws_ckpt_read(in, path, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_ckpt_version(in), 1);
    ws_search_config cfg;
    cr_assert_eq(ws_search_load_config(dir, &cfg, &err), 0, "%s", err.msg);
    legacy_run lr;
    legacy_method lm;
    cr_assert_eq(sizeof lr, 24);
    cr_assert_eq(sizeof lm, 680);
    cr_assert_eq(ws_ckpt_get(in, "search.run", &lr, sizeof lr, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_ckpt_get(in, "search.method", &lm, sizeof lm, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < ws_ckpt_count(in); i++) {
        size_t n = 0;
        const char *name = ws_ckpt_entry(in, i, &n);
        if (!strcmp(name, "search.run") || !strcmp(name, "search.method")) continue;
        void *buf = malloc(n ? n : 1);
        cr_assert_eq(ws_ckpt_get(in, name, buf, n, &err), 0);
        put(out, name, buf, n);
        free(buf);
    }
    uint64_t digest = 0; /* FNV-1a 64 of the compact config JSON (no later keys at default) */
    cr_assert_eq(ws_config_digest(&cfg, &digest), 0);
    char meta[256];
    snprintf(meta, sizeof meta,
             "wsnas-search-checkpoint 2\nmethod %s\nseed %llu\nconfig_digest %016llx\n"
             "epochs_done %d\n",
             cfg.method, (unsigned long long)cfg.seed, (unsigned long long)digest, lr.next_epoch);
    put(out, "search.meta", meta, strlen(meta));
    put(out, "search.next_epoch", &lr.next_epoch, 4);
    put(out, "search.best_epoch", &lr.best_epoch, 4);
    put(out, "search.best_valid", &lr.best_valid, 8);
    put(out, "search.best_arch", lr.best_arch, 6);
    put(out, "method.a", lm.a, sizeof lm.a);
    put(out, "method.beta", lm.beta, sizeof lm.beta);
    put(out, "method.adam_m", lm.m, sizeof lm.m);
    put(out, "method.adam_v", lm.v, sizeof lm.v);
    put(out, "method.adam_t", &lm.adam_t, 8);
    put(out, "method.tau", &lm.tau, 4);
    put(out, "method.arch_updates_on", &lm.arch_updates_on, 4);
    put(out, "method.rng_sample", &lm.rng[0], 16);
    put(out, "method.rng_select", &lm.rng[2], 16);
    put(out, "method.rng_pc", &lm.rng[4], 16);
    put(out, "method.darch_last", lm.darch_last, sizeof lm.darch_last);
    put(out, "method.selected", lm.selected, 6);
    put(out, "method.selected_valid", &lm.selected_valid, 4);
    cr_assert_eq(ws_ckpt_write(out, path, &err), 0, "%s", err.msg);
    ws_ckpt_free(in);
    ws_ckpt_free(out);
}

Test(robust, legacy_checkpoints_resume_exactly)
{
    if (!getenv("WSNAS_BIN") || !getenv("WSNAS_FIXTURES")) cr_skip_test("WSNAS_BIN unset");
    static const char *const runs[] = {"gdas", "gaea-pc-darts", "rs-ws"};
    for (int i = 0; i < 3; i++) {
        char fx[1200], v1[1200], v2[1200], args[2600], err[4096], st[32];
        snprintf(fx, sizeof fx, "%s/legacy_ckpt/%s", getenv("WSNAS_FIXTURES"), runs[i]);
        snprintf(v1, sizeof v1, "%s_%s_%d", wsfx_tmp_path("rb_legacy_v1"), runs[i],
                 (int)getpid());
        snprintf(v2, sizeof v2, "%s_%s_%d", wsfx_tmp_path("rb_legacy_v2"), runs[i],
                 (int)getpid());
        cr_assert_eq(rb_copy_dir(fx, v1), 0);
        cr_assert_eq(rb_copy_dir(fx, v2), 0);
        legacy_to_v2(v2);
        snprintf(args, sizeof args, "search --resume '%s'", v1);
        cr_assert_eq(rb_run(args, err, sizeof err), 0, "%s: %s", runs[i], err);
        snprintf(args, sizeof args, "search --resume '%s'", v2);
        cr_assert_eq(rb_run(args, err, sizeof err), 0, "%s: %s", runs[i], err);
        cr_expect(rb_same_search(v1, v2), "%s: the legacy checkpoint resumed differently", runs[i]);
        cr_expect_str_eq(status_of(v1, st, sizeof st), "complete", "%s", runs[i]);
        /* epoch 0's row is the fixture's; the new checkpoint has the new layout */
        char p[1300], q[1300];
        snprintf(p, sizeof p, "%s/epochs.csv", fx);
        snprintf(q, sizeof q, "%s/epochs.csv", v1);
        char *old = rb_slurp(p, NULL), *now = rb_slurp(q, NULL);
        cr_assert(old && now);
        cr_expect(!strncmp(old, now, strlen(old)), "%s: epoch 0 rewritten", runs[i]);
        cr_expect_eq(rb_lines(now), 3);
        free(old), free(now);
        ws_ckpt *ck = ws_ckpt_alloc();
        ws_error e2 = {0};
        snprintf(q, sizeof q, "%s/checkpoint.bin", v1);
        cr_expect_eq(ws_ckpt_read(ck, q, &e2), 0, "%s", e2.msg);
        cr_expect_eq(ws_ckpt_version(ck), 2);
        ws_ckpt_free(ck);
        rb_rm_rf(v1), rb_rm_rf(v2);
    }
}

/* ---- damaged and foreign checkpoints ------------------------------------------ */

typedef void (*ck_edit)(ws_ckpt *ck);

/* Applies `edit` to dir/checkpoint.bin (read, edit, write), then expects
 * `wsnas search --resume dir` to refuse with one stderr line naming the
 * checkpoint and containing `expect`, and to leave every file as it was. */
static void expect_refusal(const char *dir, ck_edit edit, const char *expect)
{
    char path[2048], args[2200], err[4096];
    snprintf(path, sizeof path, "%s/checkpoint.bin", dir);
    if (edit) {
        ws_error e = {0};
        ws_ckpt *ck = ws_ckpt_alloc();
        cr_assert_eq(ws_ckpt_read(ck, path, &e), 0, "%s", e.msg);
        edit(ck);
        cr_assert_eq(ws_ckpt_write(ck, path, &e), 0, "%s", e.msg);
        ws_ckpt_free(ck);
    }
    uint64_t before = rb_dir_digest(dir);
    snprintf(args, sizeof args, "search --resume '%s'", dir);
    int rc = rb_run(args, err, sizeof err);
    cr_expect(rc >= 1 && rc <= 125, "%s: exit %d (%s)", expect, rc, err);
    cr_expect_eq(rb_lines(err), 1, "%s: expected one line, got: %s", expect, err);
    cr_expect(strstr(err, path), "%s: the message does not name %s: %s", expect, path, err);
    cr_expect(strstr(err, expect), "expected '%s' in: %s", expect, err);
    cr_expect_eq(rb_dir_digest(dir), before, "%s: files changed by a refused resume", expect);
}

static void set_i32(ws_ckpt *ck, const char *name, int32_t v) { put(ck, name, &v, 4); }
static size_t entry_size(const ws_ckpt *ck, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < ws_ckpt_count(ck); i++)
        if (!strcmp(ws_ckpt_entry(ck, i, &n), name)) return n;
    return 0;
}
/* The search.meta text (NUL-terminated) into m. */
static void get_meta(const ws_ckpt *ck, char *m, size_t cap)
{
    size_t n = entry_size(ck, "search.meta");
    cr_assert(n > 0 && n < cap);
    cr_assert_eq(ws_ckpt_get(ck, "search.meta", m, n, NULL), 0);
    m[n] = '\0';
}
/* search.meta with another epochs_done line (consistent crafting). */
static void set_meta_epochs(ws_ckpt *ck, long epochs)
{
    char m[256];
    get_meta(ck, m, sizeof m);
    char *p = strstr(m, "epochs_done ");
    cr_assert(p);
    snprintf(p, sizeof m - (size_t)(p - m), "epochs_done %ld\n", epochs);
    put(ck, "search.meta", m, strlen(m));
}
static void edit_epoch_big(ws_ckpt *ck)
{
    set_i32(ck, "search.next_epoch", 1000000);
    set_meta_epochs(ck, 1000000);
}
static void edit_epoch_neg(ws_ckpt *ck) { set_i32(ck, "search.next_epoch", -5); }
static void edit_best_epoch(ws_ckpt *ck) { set_i32(ck, "search.best_epoch", 7); }
static void edit_theta_nan(ws_ckpt *ck)
{
    float a[30];
    cr_assert_eq(ws_ckpt_get(ck, "method.a", a, sizeof a, NULL), 0);
    a[7] = NAN;
    put(ck, "method.a", a, sizeof a);
}
static void edit_theta_off_simplex(ws_ckpt *ck)
{
    float a[30];
    cr_assert_eq(ws_ckpt_get(ck, "method.a", a, sizeof a, NULL), 0);
    a[6] = -0.5f; /* what once reached ws_simplex_floor_project's assertion */
    put(ck, "method.a", a, sizeof a);
}
static void edit_weight_nan(ws_ckpt *ck)
{
    size_t n = entry_size(ck, "stem.conv.weight");
    float *w = malloc(n);
    cr_assert_eq(ws_ckpt_get(ck, "stem.conv.weight", w, n, NULL), 0);
    w[3] = NAN;
    put(ck, "stem.conv.weight", w, n);
    free(w);
}
static void edit_meta_method(ws_ckpt *ck)
{
    char m[256];
    get_meta(ck, m, sizeof m);
    char *p = strstr(m, "method gaea-pc-darts\n");
    cr_assert(p);
    memmove(p + 12, p + 15, strlen(p + 15) + 1); /* gaea-pc-darts -> gaea-darts */
    put(ck, "search.meta", m, strlen(m));
}
static void edit_adam_t(ws_ckpt *ck)
{
    int64_t t = -3;
    put(ck, "method.adam_t", &t, 8);
}
static void edit_extra_entry(ws_ckpt *ck) { set_i32(ck, "search.surprise", 1); }
static void edit_rng_other_seed(ws_ckpt *ck)
{
    ws_pcg32 g;
    ws_pcg32_stream(&g, 123456, WS_STREAM_ARCH_SAMPLE);
    uint64_t v[2] = {g.state, g.inc};
    put(ck, "method.rng_sample", v, 16);
}
/* legacy version 1: the raw method struct */
static void edit_legacy_method(ws_ckpt *ck, int what)
{
    legacy_method lm;
    cr_assert_eq(ws_ckpt_get(ck, "search.method", &lm, sizeof lm, NULL), 0);
    if (what == 0) lm.id = 99;
    if (what == 1) lm.a[7] = NAN;
    if (what == 2) lm.selected[2] = 9; /* once reached ws_arch_format's assertion */
    if (what == 3) lm.a[6] = -0.5f;
    put(ck, "search.method", &lm, sizeof lm);
}
static void edit_l_id(ws_ckpt *ck) { edit_legacy_method(ck, 0); }
static void edit_l_nan(ws_ckpt *ck) { edit_legacy_method(ck, 1); }
static void edit_l_selected(ws_ckpt *ck) { edit_legacy_method(ck, 2); }
static void edit_l_simplex(ws_ckpt *ck) { edit_legacy_method(ck, 3); }
static void edit_l_epoch(ws_ckpt *ck)
{
    legacy_run lr;
    cr_assert_eq(ws_ckpt_get(ck, "search.run", &lr, sizeof lr, NULL), 0);
    lr.next_epoch = -5;
    put(ck, "search.run", &lr, sizeof lr);
}

Test(robust, damaged_checkpoints_refused_nothing_changed)
{
    if (!getenv("WSNAS_BIN") || !wsfx_tmp_dir()) cr_skip_test("WSNAS_BIN / WSNAS_TMP not set");
    char base[1100], run[1200], work[1200], args[3000], err[4096];
    snprintf(base, sizeof base, "%s_%d", wsfx_tmp_path("rb_damaged"), (int)getpid());
    rb_rm_rf(base);
    mkdir(base, 0755);
    snprintf(run, sizeof run, "%s/good", base);
    snprintf(args, sizeof args,
             "search --method gaea-pc-darts --epochs 2 --seed 7 " SMALL
             " --set pc_k=2 --set pc_sample=random --stop-after-epoch 1 --out '%s'",
             run);
    cr_assert_eq(rb_run(args, err, sizeof err), 0, "%s", err);
    snprintf(work, sizeof work, "%s/work", base);
    const struct {
        ck_edit edit;
        const char *expect;
    } v2[] = {
        {edit_epoch_big, "epochs done = 1000000"},
        {edit_epoch_neg, "search.meta says 1 epochs done"},
        {edit_best_epoch, "best epoch 7"},
        {edit_theta_nan, "method.a[1][2] is nan"},
        {edit_theta_off_simplex, "expected a simplex row"},
        {edit_weight_nan, "'stem.conv.weight' element 3 is nan"},
        {edit_meta_method, "checkpoint of method 'gaea-darts'"},
        {edit_adam_t, "method.adam_t = -3"},
        {edit_extra_entry, "unexpected entry 'search.surprise'"},
        {edit_rng_other_seed, "generator rng_sample is not one of seed 7"},
    };
    for (size_t i = 0; i < sizeof v2 / sizeof v2[0]; i++) {
        cr_assert_eq(rb_copy_dir(run, work), 0);
        expect_refusal(work, v2[i].edit, v2[i].expect);
    }
    /* a checkpoint copied from another seed's run */
    char other[1200];
    snprintf(other, sizeof other, "%s/seed8", base);
    snprintf(args, sizeof args,
             "search --method gaea-pc-darts --epochs 2 --seed 8 " SMALL
             " --set pc_k=2 --set pc_sample=random --stop-after-epoch 1 --out '%s'",
             other);
    cr_assert_eq(rb_run(args, err, sizeof err), 0, "%s", err);
    cr_assert_eq(rb_copy_dir(run, work), 0);
    snprintf(args, sizeof args, "cp '%s/checkpoint.bin' '%s/checkpoint.bin'", other, work);
    cr_assert_eq(system(args), 0);
    expect_refusal(work, NULL, "checkpoint of seed 8, but this run has seed 7");
    /* legacy version 1, from the fixtures */
    char fx[1200];
    snprintf(fx, sizeof fx, "%s/legacy_ckpt/gaea-pc-darts", getenv("WSNAS_FIXTURES"));
    const struct {
        ck_edit edit;
        const char *expect;
    } v1[] = {
        {edit_l_id, "checkpoint of method unknown (id 99)"},
        {edit_l_nan, "method.a[1][2] is nan"},
        {edit_l_simplex, "expected a simplex row"},
        {edit_l_epoch, "epochs done = -5"},
    };
    for (size_t i = 0; i < sizeof v1 / sizeof v1[0]; i++) {
        cr_assert_eq(rb_copy_dir(fx, work), 0);
        expect_refusal(work, v1[i].edit, v1[i].expect);
    }
    snprintf(fx, sizeof fx, "%s/legacy_ckpt/rs-ws", getenv("WSNAS_FIXTURES"));
    cr_assert_eq(rb_copy_dir(fx, work), 0);
    expect_refusal(work, edit_l_selected, "method.selected");
    /* another method's legacy checkpoint in this run */
    cr_assert_eq(rb_copy_dir(fx, work), 0);
    snprintf(args, sizeof args, "cp '%s/legacy_ckpt/gdas/checkpoint.bin' '%s/checkpoint.bin'",
             getenv("WSNAS_FIXTURES"), work);
    cr_assert_eq(system(args), 0);
    expect_refusal(work, NULL, "checkpoint of method 'gdas' (id 3), but this run is 'rs-ws'");
    /* a stopped run whose checkpoint is gone: not restarted silently */
    cr_assert_eq(rb_copy_dir(run, work), 0);
    snprintf(args, sizeof args, "%s/checkpoint.bin", work);
    remove(args);
    expect_refusal(work, NULL, "no checkpoint to resume from");
    rb_rm_rf(base);
}

/* ---- divergence ----------------------------------------------------------------- */

Test(robust, divergence_stops_with_last_good_checkpoint)
{
    if (!getenv("WSNAS_BIN") || !wsfx_tmp_dir()) cr_skip_test("WSNAS_BIN / WSNAS_TMP not set");
    char dir[1100], args[3000], err[4096], st[32];
    snprintf(dir, sizeof dir, "%s_%d", wsfx_tmp_path("rb_diverge"), (int)getpid());
    rb_rm_rf(dir);
    /* lr 10 with weight decay 1: p <- p - 10 (g + p) grows 9x per step */
    snprintf(args, sizeof args,
             "search --method darts --epochs 4 --seed 1 " SMALL
             " --set lr=10 --set lr_min=10 --set momentum=0 --set weight_decay=1 --out '%s'",
             dir);
    int rc = rb_run(args, err, sizeof err);
    cr_assert(rc >= 1 && rc <= 125, "exit %d: %s", rc, err);
    const char *line = strstr(err, "training diverged in epoch");
    cr_assert(line, "%s", err);
    cr_expect(strstr(line, "step") && strstr(line, "last good checkpoint"), "%s", line);
    cr_expect_eq(rb_lines(line), 1, "%s", err);
    cr_expect_str_eq(status_of(dir, st, sizeof st), "diverged");
    /* the checkpoint and the per-epoch rows stop at the last good epoch */
    char p[2048];
    snprintf(p, sizeof p, "%s/epochs.csv", dir);
    char *csv = rb_slurp(p, NULL);
    int rows = csv ? rb_lines(csv) - 1 : 0;
    free(csv);
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    char *man = rb_slurp(p, NULL);
    cr_assert(man);
    char want[64];
    snprintf(want, sizeof want, "\"epochs_done\":\t%d,", rows);
    cr_expect(strstr(man, want), "epochs.csv has %d rows; manifest:\n%s", rows, man);
    cr_expect(strstr(man, "\"divergence\":"), "%s", man);
    free(man);
    if (rows > 0) {
        ws_ckpt *ck = ws_ckpt_alloc();
        ws_error e = {0};
        snprintf(p, sizeof p, "%s/checkpoint.bin", dir);
        cr_expect_eq(ws_ckpt_read(ck, p, &e), 0, "%s", e.msg);
        int32_t ne = 0;
        cr_expect_eq(ws_ckpt_get(ck, "search.next_epoch", &ne, 4, &e), 0, "%s", e.msg);
        cr_expect_eq(ne, rows);
        ws_ckpt_free(ck);
    }
    rb_rm_rf(dir);
}

/* ---- generator provenance ----------------------------------------------------- */

Test(robust, pcg32_distance_and_batcher_seed_check)
{
    ws_pcg32 a, b;
    ws_pcg32_stream(&a, 7, WS_STREAM_AUGMENT);
    b = a;
    for (int i = 0; i < 12345; i++) ws_pcg32_next(&b);
    cr_expect_eq(ws_pcg32_distance(&a, &b), 12345u);
    cr_expect_eq(ws_pcg32_distance(&a, &a), 0u);
    ws_pcg32_stream(&b, 8, WS_STREAM_AUGMENT); /* another seed: ~2^63 draws away */
    cr_expect_gt(ws_pcg32_distance(&a, &b), WS_PCG32_PLAUSIBLE_DRAWS);
    /* a batcher's state is checked against the seed it was built with */
    ws_dataset *d = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_dataset_alloc(16, 1, 8, 8, 2, "mnist", &d, &err), 0, "%s", err.msg);
    for (int i = 0; i < 16; i++) d->labels[i] = i % 2;
    ws_transform tf;
    cr_assert_eq(ws_transform_default("mnist", 8, 1, d, &tf, &err), 0, "%s", err.msg);
    ws_batcher *b7 = ws_batcher_alloc(d, NULL, 4, &tf, 1, 7, &err);
    ws_batcher *b8 = ws_batcher_alloc(d, NULL, 4, &tf, 1, 8, &err);
    cr_assert(b7 && b8, "%s", err.msg);
    float x[4 * 64];
    int y[4];
    for (int k = 0; k < 9; k++) ws_batcher_next(b7, x, y);
    size_t n = ws_batcher_state_size(b7);
    void *st = malloc(n);
    ws_batcher_state_save(b7, st);
    ws_batcher *again = ws_batcher_alloc(d, NULL, 4, &tf, 1, 7, &err);
    cr_expect_eq(ws_batcher_state_check_seed(again, st, n, &err), 0, "%s", err.msg);
    cr_expect_eq(ws_batcher_state_check_seed(b8, st, n, &err), WS_EINVAL);
    cr_expect(strstr(err.msg, "another seed"), "%s", err.msg);
    free(st);
    ws_batcher_free(again);
    ws_batcher_free(b8);
    ws_batcher_free(b7);
    ws_dataset_free(d);
}

/* ---- strict JSON --------------------------------------------------------------- */

Test(robust, strict_json)
{
    static const struct {
        const char *text, *what;
        long line, column;
    } bad[] = {
        {"{\"a\": 1} x", "text after the JSON value", 1, 10},
        {"{\"a\": 1}\n{\"b\": 2}", "text after the JSON value", 2, 1},
        {"{\"a\": 01}", "leading zero", 1, 7},
        {"{\"a\": -.5}", "expected digits in a number", 1, 7},
        {"{\"a\": 1.}", "expected digits after the decimal point", 1, 7},
        {"{\"a\": 1e999}", "too large for a double", 1, 7},
        {"{\"a\": +1}", "expected a value", 1, 7},
        {"{\"a\": NaN}", "expected a value", 1, 7},
        {"{\"a\": 0x10}", "expected ',' or '}'", 1, 8},
        {"{\"a\": 1,}", "expected a \"key\"", 1, 9},
        {"[1, 2,]", "expected a value", 1, 7},
        {"{\"a\": \"x\ty\"}", "raw control character", 1, 9},
        {"{\"a\": \"\\q\"}", "unknown escape", 1, 8},
        {"{\"a\": \"\\ud800\"}", "lone UTF-16 surrogate", 1, 8},
        {"{\"a\": \"\xc3\x28\"}", "not valid UTF-8", 1, 8},
        {"{\"a\": 1, \"a\": 2}", "the key \"a\" appears twice", 1, 10},
        {"{\"a\": {\"b\": 1, \"b\": 1}}", "the key \"b\" appears twice", 1, 16},
        {"", "expected a value, got the end", 1, 1},
        {"{\"a\": tru}", "expected a value", 1, 7},
        {"{\"a\" 1}", "expected ':'", 1, 6},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cJSON *root = NULL;
        ws_json_error je;
        cr_expect_eq(ws_json_parse(bad[i].text, strlen(bad[i].text), &root, &je), -1, "accepted: %s",
                     bad[i].text);
        cr_expect_null(root);
        cr_expect(strstr(je.what, bad[i].what), "%s: '%s', expected '%s'", bad[i].text, je.what,
                  bad[i].what);
        cr_expect(je.line == bad[i].line && je.column == bad[i].column, "%s: at %ld:%ld, expected %ld:%ld",
                  bad[i].text, je.line, je.column, bad[i].line, bad[i].column);
    }
    static const char *const good[] = {"{}", " [ ] ", "{\"a\": -0.5e-3, \"b\": [true, false, null]}",
                                       "\"\\u00e9\\ud83d\\ude00 \xc3\xa9\"", "0", "-0", "1E+2"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct cJSON *root = NULL;
        ws_json_error je;
        cr_expect_eq(ws_json_parse(good[i], strlen(good[i]), &root, &je), 0, "%s: %s", good[i],
                     je.what);
        cJSON_Delete(root);
    }
    /* through a reader: a config file with text after the object */
    const char *path = wsfx_tmp_path("rb_trailing.json");
    rb_write(path, "{\"lr\": 0.05}\n}", 14);
    ws_search_config cfg;
    ws_error err = {0};
    cr_assert_eq(ws_config_preset("darts", "cpu", &cfg, &err), 0);
    cr_expect_eq(ws_config_apply_file(&cfg, path, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "rb_trailing.json:2: invalid JSON") &&
                  strstr(err.msg, "text after the JSON value"),
              "%s", err.msg);
    remove(path);
}

/* ---- tables ---------------------------------------------------------------------- */

/* A one-benchmark table at path through the library's writers. */
static void small_table(const char *path, double acc_of_5)
{
    ws_error err = {0};
    static double acc[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) acc[i] = 50 + (i % 41);
    acc[5] = acc_of_5;
    const char *attrs[] = {"unit", "%", NULL};
    remove(path);
    cr_assert_eq(ws_table_create(path, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_table_write_column(path, "b", "valid_acc_1", acc, attrs, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(ws_table_set_bench_attr(path, "b", "recipe", "r", &err), 0, "%s", err.msg);
}

/* Overwrites one element of dataset `name` in place (HDF5 recomputes the
 * checksum: a crafted file, not a damaged one). */
static void h5_poke(const char *path, const char *name, hid_t mtype, hsize_t row, const void *v)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    cr_assert(f >= 0);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), s = H5Dget_space(d);
    hsize_t one = 1, start[2] = {row, 0}, count[2] = {1, 1};
    int rank = H5Sget_simple_extent_ndims(s);
    H5Sselect_hyperslab(s, H5S_SELECT_SET, start, NULL, count, NULL);
    hid_t m = H5Screate_simple(1, &one, NULL);
    hid_t t = mtype;
    if (mtype == H5T_C_S1) {
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, WS_ARCH_STR_MAX);
    }
    cr_assert(rank >= 1 && H5Dwrite(d, t, m, s, H5P_DEFAULT, v) >= 0);
    if (t != mtype) H5Tclose(t);
    H5Sclose(m), H5Sclose(s), H5Dclose(d), H5Fclose(f);
}

static void expect_table_refused(const char *path, const char *expect)
{
    char args[1200], err[4096];
    snprintf(args, sizeof args, "table info '%s'", path);
    int rc = rb_run(args, err, sizeof err);
    cr_expect(rc >= 1 && rc <= 125, "%s: exit %d", expect, rc);
    cr_expect_eq(rb_lines(err), 1, "%s", err);
    cr_expect(strstr(err, path) && strstr(err, expect), "expected '%s' in: %s", expect, err);
}

Test(robust, tables_checksummed_and_values_checked)
{
    if (!getenv("WSNAS_BIN")) cr_skip_test("WSNAS_BIN unset");
    char path[1100], work[1100], err[4096], args[2400];
    snprintf(path, sizeof path, "%s_%d.h5", wsfx_tmp_path("rb_table"), (int)getpid());
    snprintf(work, sizeof work, "%s_%d_w.h5", wsfx_tmp_path("rb_table"), (int)getpid());
    small_table(path, 60);
    ws_table *t = NULL;
    ws_error e = {0};
    cr_assert_eq(ws_table_open(path, &t, &e), 0, "%s", e.msg);
    cr_expect_eq(ws_table_metric_check(t, "b", "valid_acc_1"), WS_TABLE_CHECK_FLETCHER32);
    cr_expect_eq(ws_table_weakest_check(t), WS_TABLE_CHECK_FLETCHER32);
    ws_table_close(t);
    snprintf(args, sizeof args, "table info '%s'", path);
    cr_assert_eq(rb_run(args, err, sizeof err), 0, "%s", err);
    /* a writer refuses what the reader would */
    static double v[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) v[i] = 1;
    v[9] = INFINITY;
    cr_expect_eq(ws_table_write_column(path, "b", "x", v, NULL, &e), WS_EINVAL);
    v[9] = 150;
    const char *pct[] = {"unit", "%", NULL};
    cr_expect_eq(ws_table_write_column(path, "b", "test_acc_1", v, pct, &e), WS_EINVAL);
    /* crafted contents with valid checksums */
    const double inf = INFINITY, big = 150, neg = -5;
    const uint8_t two = 2;
    char name[WS_ARCH_STR_MAX] = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|";
    struct {
        const char *dset;
        hid_t type;
        hsize_t row;
        const void *v;
        const char *expect;
    } craft[] = {
        {"benchmarks/b/valid_acc_1", H5T_NATIVE_DOUBLE, 11, &inf, "row 11 is inf"},
        {"benchmarks/b/valid_acc_1", H5T_NATIVE_DOUBLE, 12, &big, "row 12 is 150, expected a percentage"},
        {"benchmarks/b/valid_acc_1", H5T_NATIVE_DOUBLE, 13, &neg, "row 13 is -5"},
        {"archs/arch_str", H5T_C_S1, 4, name, "/archs/arch_str row 4 is '|none~0|"},
        {"archs/ops", H5T_NATIVE_UINT8, 7, &two, "/archs/ops row 7 differs"},
    };
    for (size_t i = 0; i < sizeof craft / sizeof craft[0]; i++) {
        snprintf(args, sizeof args, "cp '%s' '%s'", path, work);
        cr_assert_eq(system(args), 0);
        h5_poke(work, craft[i].dset, craft[i].type, craft[i].row, craft[i].v);
        expect_table_refused(work, craft[i].expect);
    }
    /* filled must be 0 or 1 */
    static uint8_t mask[WS_ARCH_COUNT];
    cr_assert_eq(ws_table_write_filled(path, "b", mask, &e), 0, "%s", e.msg);
    snprintf(args, sizeof args, "cp '%s' '%s'", path, work);
    cr_assert_eq(system(args), 0);
    h5_poke(work, "benchmarks/b/filled", H5T_NATIVE_UINT8, 3, &two);
    expect_table_refused(work, "filled: row 3 is 2, expected 0 or 1");
    /* a truncated file says so */
    size_t n = 0;
    char *bytes = rb_slurp(path, &n);
    cr_assert(bytes);
    rb_write(work, bytes, n / 2);
    free(bytes);
    expect_table_refused(work, "truncated");
    remove(path), remove(work);
}

/* An unchecksummed table as wsnas wrote them before: contiguous datasets. */
static void old_style_table(const char *path)
{
    ws_space *sp = ws_space_alloc();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    cr_assert(sp && f >= 0);
    int version = 1;
    hid_t s = H5Screate(H5S_SCALAR), a = H5Acreate2(f, "wsnas_table_version", H5T_STD_I32LE, s,
                                                   H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &version);
    H5Aclose(a), H5Sclose(s);
    char *strs = calloc(WS_ARCH_COUNT, WS_ARCH_STR_MAX);
    uint8_t *ops = malloc(WS_ARCH_COUNT * WS_EDGES);
    static double acc[WS_ARCH_COUNT];
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        ws_arch x = ws_space_arch(sp, i);
        ws_arch_format(&x, strs + (size_t)i * WS_ARCH_STR_MAX);
        memcpy(ops + (size_t)i * WS_EDGES, x.op, WS_EDGES);
        acc[i] = i % 100;
    }
    hid_t g = H5Gcreate2(f, "archs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, WS_ARCH_STR_MAX);
    hsize_t d1[1] = {WS_ARCH_COUNT}, d2[2] = {WS_ARCH_COUNT, WS_EDGES};
    s = H5Screate_simple(1, d1, NULL);
    hid_t d = H5Dcreate2(g, "arch_str", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, strs);
    H5Dclose(d), H5Sclose(s), H5Tclose(t);
    s = H5Screate_simple(2, d2, NULL);
    d = H5Dcreate2(g, "ops", H5T_STD_U8LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, ops);
    H5Dclose(d), H5Sclose(s), H5Gclose(g);
    hid_t bg = H5Gcreate2(f, "benchmarks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    g = H5Gcreate2(bg, "old", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(bg);
    s = H5Screate_simple(1, d1, NULL);
    d = H5Dcreate2(g, "test_acc_12", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, acc);
    H5Dclose(d), H5Sclose(s), H5Gclose(g), H5Fclose(f);
    free(strs), free(ops);
    ws_space_free(sp);
}

/* A table written before checksums: refused by every command but `table
 * info` (which says so) and `table upgrade`, which rewrites it with
 * checksums, values bit for bit. */
Test(robust, old_tables_refused_info_says_so_upgrade_rewrites)
{
    if (!getenv("WSNAS_BIN")) cr_skip_test("WSNAS_BIN unset");
    char path[1100], up[1200], err[4096], args[2600];
    snprintf(path, sizeof path, "%s_%d.h5", wsfx_tmp_path("rb_oldtable"), (int)getpid());
    snprintf(up, sizeof up, "%s.up.h5", path);
    remove(up);
    old_style_table(path);
    ws_table *t = NULL;
    ws_error e = {0};
    cr_expect_eq(ws_table_open(path, &t, &e), WS_EFORMAT);
    cr_expect(strstr(e.msg, "carries no checksum") && strstr(e.msg, "wsnas table upgrade"), "%s",
              e.msg);
    cr_assert_eq(ws_table_open_legacy(path, &t, &e), 0, "%s", e.msg);
    cr_expect_eq(ws_table_metric_check(t, "old", "test_acc_12"), WS_TABLE_CHECK_NONE);
    cr_expect_eq(ws_table_weakest_check(t), WS_TABLE_CHECK_NONE);
    ws_table_close(t);
    size_t n0 = 0, n1 = 0;
    char *before = rb_slurp(path, &n0);
    cr_assert(before);
    /* table info says so (stdout, exit 0) */
    snprintf(args, sizeof args, "table info '%s'", path);
    cr_expect_eq(rb_run(args, err, sizeof err), 0, "%s", err);
    snprintf(args, sizeof args, "'%s' table info '%s' 2>&1", getenv("WSNAS_BIN"), path);
    FILE *p = popen(args, "r");
    cr_assert(p);
    size_t n = fread(err, 1, sizeof err - 1, p);
    err[n] = '\0';
    cr_expect_eq(pclose(p), 0);
    cr_expect(strstr(err, "checksums: some datasets carry no checksum") &&
                  strstr(err, "other commands refuse it") && strstr(err, "checksum none"),
              "%s", err);
    /* a command that reads it: one line, exit 1 */
    snprintf(args, sizeof args, "table query '%s' 142", path);
    cr_expect_eq(rb_run(args, err, sizeof err), 1, "%s", err);
    cr_expect_eq(rb_lines(err), 1, "%s", err);
    cr_expect(strstr(err, "/benchmarks/old/test_acc_12 carries no checksum") ||
                  strstr(err, "/archs carries no checksum"),
              "%s", err);
    /* the upgrade: checksummed, the same values, the input untouched */
    snprintf(args, sizeof args, "table upgrade '%s' -o '%s'", path, path);
    cr_expect_eq(rb_run(args, err, sizeof err), 2, "in place: %s", err);
    snprintf(args, sizeof args, "table upgrade '%s' -o '%s'", path, up);
    cr_assert_eq(rb_run(args, err, sizeof err), 0, "%s", err);
    char *after = rb_slurp(path, &n1);
    cr_expect(after && n1 == n0 && !memcmp(before, after, n0), "the input changed");
    free(before);
    free(after);
    cr_assert_eq(ws_table_open(up, &t, &e), 0, "%s", e.msg);
    cr_expect_eq(ws_table_weakest_check(t), WS_TABLE_CHECK_FLETCHER32);
    double v = 0;
    for (int i = 0; i < WS_ARCH_COUNT; i += 97) {
        cr_expect_eq(ws_table_get(t, "old", "test_acc_12", i, &v, &e), 0, "%s", e.msg);
        cr_expect_eq(v, i % 100, "row %d: %g", i, v);
    }
    ws_table_close(t);
    /* a damaged input: refused, no output written */
    remove(up);
    snprintf(args, sizeof args, "head -c 3000 '%s' > '%s.cut'", path, path);
    cr_assert_eq(system(args), 0);
    snprintf(args, sizeof args, "table upgrade '%s.cut' -o '%s'", path, up);
    cr_expect_eq(rb_run(args, err, sizeof err), 1, "%s", err);
    cr_expect_eq(access(up, F_OK), -1, "output written from a damaged input");
}

Test(robust, import_refuses_out_of_range_values)
{
    if (!getenv("WSNAS_BIN")) cr_skip_test("WSNAS_BIN unset");
    char csv[1100], out[1100], err[4096], args[2400];
    snprintf(csv, sizeof csv, "%s_%d.csv", wsfx_tmp_path("rb_imp"), (int)getpid());
    snprintf(out, sizeof out, "%s_%d.h5", wsfx_tmp_path("rb_imp"), (int)getpid());
    ws_space *sp = ws_space_alloc();
    static const char *const bad[] = {"-5", "150", "100.0001"};
    for (int k = 0; k < 3; k++) {
        FILE *f = fopen(csv, "w");
        fprintf(f, "arch_str,acc,secs\n");
        for (int i = 0; i < WS_ARCH_COUNT; i++) {
            char s[WS_ARCH_STR_MAX];
            ws_arch a = ws_space_arch(sp, i);
            ws_arch_format(&a, s);
            fprintf(f, "%s,%s,%d\n", s, i == 20 ? bad[k] : "50", i);
        }
        fclose(f);
        remove(out);
        snprintf(args, sizeof args, "table import --map acc=b/test_acc_1 --map secs=b/train_seconds_1 "
                 "-o '%s' '%s'", out, csv);
        int rc = rb_run(args, err, sizeof err);
        char want[200];
        snprintf(want, sizeof want, ":22: column 2 (acc): %s is out of range for b/test_acc_1 "
                 "(unit %%: expected 0..100)", bad[k]);
        cr_expect(rc >= 1 && rc <= 125 && strstr(err, want) && rb_lines(err) == 1,
                  "exit %d, expected '%s' in: %s", rc, want, err);
        cr_expect(access(out, F_OK) != 0, "%s written", out);
    }
    ws_space_free(sp);
    remove(csv);
}

/* ---- messages ---------------------------------------------------------------------- */

/* The messages issue 14 found misleading: each names what is wrong once. */
Test(robust, messages_name_the_problem)
{
    if (!getenv("WSNAS_BIN") || !getenv("WSNAS_FIXTURES")) cr_skip_test("WSNAS_BIN unset");
    char err[4096], args[8192], dir[1100], p[1300];
    /* a negative index is a value, not an option */
    cr_expect_eq(rb_run("arch -1", err, sizeof err), 1, "%s", err);
    cr_expect(strstr(err, "architecture index -1 is out of range 0..15624") && rb_lines(err) == 1,
              "%s", err);
    /* a truncated table: HDF5's own reason */
    snprintf(p, sizeof p, "%s_%d.h5", wsfx_tmp_path("rb_msg_trunc"), (int)getpid());
    small_table(p, 50);
    size_t n = 0;
    char *t = rb_slurp(p, &n);
    cr_assert(t && n > 100);
    cr_assert_eq(rb_write(p, t, n / 2), 0);
    free(t);
    snprintf(args, sizeof args, "table info '%s'", p);
    cr_expect_eq(rb_run(args, err, sizeof err), 1, "%s", err);
    cr_expect(strstr(err, "damaged or truncated") && strstr(err, "truncated file"), "%s", err);
    remove(p);
    /* a damaged checkpoint: its path once */
    snprintf(dir, sizeof dir, "%s_%d", wsfx_tmp_path("rb_msg_ck"), (int)getpid());
    char fx[1200];
    snprintf(fx, sizeof fx, "%s/legacy_ckpt/gdas", getenv("WSNAS_FIXTURES"));
    cr_assert_eq(rb_copy_dir(fx, dir), 0);
    snprintf(p, sizeof p, "%s/checkpoint.bin", dir);
    t = rb_slurp(p, &n);
    cr_assert(t && n > 200);
    t[n / 2] ^= 0x10;
    cr_assert_eq(rb_write(p, t, n), 0);
    free(t);
    snprintf(args, sizeof args, "search --resume '%s'", dir);
    cr_expect_eq(rb_run(args, err, sizeof err), 1, "%s", err);
    const char *first = strstr(err, "checkpoint.bin");
    cr_expect(first && !strstr(first + 1, "checkpoint.bin") && rb_lines(err) == 1,
              "the path not exactly once: %s", err);
    /* CRLF run files report like LF ones */
    char why[512], res_a[1300], res_b[1300];
    rb_rm_rf(dir);
    mkdir(dir, 0777);
    snprintf(p, sizeof p, "%s/lf", dir);
    cr_assert_eq(rb_write_run(p, "darts", 1, "\"epochs\": 2", 2, 10, -1, -1, why, sizeof why), 0,
                 "%s", why);
    snprintf(args, sizeof args, "cp -r '%s/lf' '%s/crlf' && sed -i 's/$/\\r/' '%s/crlf/epochs.csv' "
             "'%s/crlf/arch_weights.csv'", dir, dir, dir, dir);
    cr_assert_eq(system(args), 0);
    snprintf(res_a, sizeof res_a, "%s/res_lf", dir);
    snprintf(res_b, sizeof res_b, "%s/res_crlf", dir);
    snprintf(args, sizeof args, "report --no-plots --out-results '%s' '%s/lf'", res_a, dir);
    cr_assert_eq(rb_run(args, err, sizeof err), 0, "%s", err);
    snprintf(args, sizeof args, "report --no-plots --out-results '%s' '%s/crlf'", res_b, dir);
    cr_assert_eq(rb_run(args, err, sizeof err), 0, "CRLF refused: %s", err);
    snprintf(args, sizeof args, "diff -r -x runs.csv '%s' '%s' >/dev/null", res_a, res_b);
    cr_expect_eq(system(args), 0, "CRLF files reported differently");
    rb_rm_rf(dir);
}
