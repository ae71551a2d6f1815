/* runner.c: runs a suite: writes each run's resolved config, spawns
 * `wsnas search` then `wsnas eval` per run in a pool of subprocesses
 * (OMP_NUM_THREADS = the suite's threads, output to the run's log), marks
 * finished runs, skips them when run again, splits runs across MPI ranks, and
 * ends with `wsnas report` on rank 0. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_internal.h"
#include "wsnas/par.h"
#include "wsnas/table.h"

static int parent_dir(const char *path, ws_error *err)
{
    char buf[WS_BENCH_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return 0;
    *slash = '\0';
    return ws_dir_make(buf, err);
}

/* The markers, configs and lists through a temporary file, fsync and rename. */
static int write_atomic(const char *path, const char *text, ws_error *err)
{
    return ws_file_write_atomic(path, text, strlen(text), err);
}

/* Sets every key of `over` in `cfg` (its values win); 0 or WS_ENOMEM. */
static int merge_keys(cJSON *cfg, const cJSON *over)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, over)
    {
        cJSON *dup = cJSON_Duplicate(it, 1);
        if (!dup) return WS_ENOMEM;
        if (cJSON_GetObjectItemCaseSensitive(cfg, it->string))
            cJSON_ReplaceItemInObjectCaseSensitive(cfg, it->string, dup);
        else
            cJSON_AddItemToObject(cfg, it->string, dup);
    }
    return 0;
}

/* config, then method_config[method], then a variant's config and its name
 * as "label" (later keys win); NULL when out of memory. */
cJSON *ws_suite_run_config(const ws_suite *s, const ws_suite_run *r)
{
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(s->root, "config");
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(s->root, "method_config");
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(s->root, "variants");
    const cJSON *var = strcmp(r->label, r->method) && vs
                           ? cJSON_GetObjectItemCaseSensitive(vs, r->label)
                           : NULL;
    cJSON *cfg = base ? cJSON_Duplicate(base, 1) : cJSON_CreateObject();
    int bad = !cfg || merge_keys(cfg, mc ? cJSON_GetObjectItemCaseSensitive(mc, r->method) : NULL);
    if (!bad && var) {
        cJSON *lb = cJSON_CreateString(r->label);
        bad = merge_keys(cfg, cJSON_GetObjectItemCaseSensitive(var, "config")) || !lb;
        if (!bad && cJSON_GetObjectItemCaseSensitive(cfg, "label"))
            cJSON_ReplaceItemInObjectCaseSensitive(cfg, "label", lb);
        else if (!bad)
            cJSON_AddItemToObject(cfg, "label", lb);
        else
            cJSON_Delete(lb);
    }
    if (bad) {
        cJSON_Delete(cfg);
        return NULL;
    }
    return cfg;
}

static int write_run_config(const ws_suite *s, const ws_suite_run *r, ws_error *err)
{
    cJSON *cfg = ws_suite_run_config(s, r);
    char *text = cfg ? cJSON_Print(cfg) : NULL;
    cJSON_Delete(cfg);
    if (!text) return ws_error_set(err, WS_ENOMEM, "out of memory");
    size_t n = strlen(text);
    char *withnl = malloc(n + 2);
    int rc = withnl ? 0 : ws_error_set(err, WS_ENOMEM, "out of memory");
    if (!rc) {
        memcpy(withnl, text, n);
        withnl[n] = '\n';
        withnl[n + 1] = '\0';
        rc = parent_dir(r->config, err);
        if (!rc) rc = write_atomic(r->config, withnl, err);
    }
    free(withnl);
    cJSON_free(text);
    return rc;
}

/* ---- argv -------------------------------------------------------------------------- */

void ws_bench_argv_free(char **argv)
{
    if (!argv) return;
    for (char **p = argv; *p; p++) free(*p);
    free(argv);
}

typedef struct argv_buf {
    char **v;
    int n, cap, oom;
} argv_buf;

static void push(argv_buf *a, const char *s)
{
    if (a->oom) return;
    if (a->n + 2 > a->cap) {
        int cap = a->cap ? 2 * a->cap : 32;
        char **p = realloc(a->v, (size_t)cap * sizeof *p);
        if (!p) {
            a->oom = 1;
            return;
        }
        a->v = p;
        a->cap = cap;
    }
    char *d = strdup(s);
    if (!d) {
        a->oom = 1;
        return;
    }
    a->v[a->n++] = d;
    a->v[a->n] = NULL;
}

/* The length of "{name}" at p (name: a-z 0-9 _), or 0: other braces are text. */
static size_t placeholder_len(const char *p)
{
    if (*p != '{') return 0;
    size_t n = 1;
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_') n++;
    return n > 1 && p[n] == '}' ? n + 1 : 0;
}

/* Expands {placeholders} of `tmpl` for run r (NULL for the report); an
 * unknown {name} is an error. */
int ws_suite_expand(const ws_suite *s, const ws_suite_run *r, const char *tmpl, char *out, size_t n,
                  ws_error *err)
{
    char seed[16] = "";
    char ckpt[WS_BENCH_PATH_MAX + 32] = "";
    if (r) {
        snprintf(seed, sizeof seed, "%u", (unsigned)r->seed);
        snprintf(ckpt, sizeof ckpt, "%s/checkpoint.bin", r->dir);
    }
    const struct {
        const char *key, *val;
    } subs[] = {
        {"{method}", r ? r->label : NULL},   {"{seed}", r ? seed : NULL},
        {"{dataset}", r ? r->dataset : NULL}, {"{run_dir}", r ? r->dir : NULL},
        {"{checkpoint}", r ? ckpt : NULL},    {"{table}", s->table_used},
        {"{table_bench}", s->table_bench ? s->table_bench : ""},
        {"{results_dir}", s->results_dir},    {"{plots_dir}", s->plots_dir},
    };
    size_t w = 0;
    for (const char *p = tmpl; *p;) {
        size_t k;
        for (k = 0; k < WS_ARRAY_LEN(subs); k++)
            if (!strncmp(p, subs[k].key, strlen(subs[k].key))) break;
        if (k == WS_ARRAY_LEN(subs) && placeholder_len(p))
            return ws_error_set(err, WS_EINVAL,
                                "'%s': unknown placeholder '%.*s' (expected {method} {seed} "
                                "{dataset} {run_dir} {checkpoint} {table} {table_bench} "
                                "{results_dir} {plots_dir})",
                                tmpl, (int)placeholder_len(p), p);
        if (k < WS_ARRAY_LEN(subs)) {
            if (!subs[k].val)
                return ws_error_set(err, WS_EINVAL, "'%s': %s is not available in report_args",
                                    tmpl, subs[k].key);
            size_t l = strlen(subs[k].val);
            if (w + l >= n) return ws_error_set(err, WS_EINVAL, "'%s': expansion too long", tmpl);
            memcpy(out + w, subs[k].val, l);
            w += l;
            p += strlen(subs[k].key);
        } else {
            if (w + 1 >= n) return ws_error_set(err, WS_EINVAL, "'%s': expansion too long", tmpl);
            out[w++] = *p++;
        }
    }
    out[w] = '\0';
    return 0;
}

/* Pushes the expanded strings of array `obj`[key]. */
static int push_extra_from(argv_buf *a, const ws_suite *s, const ws_suite_run *r,
                           const cJSON *obj, const char *key, ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key), *it;
    char buf[4096];
    cJSON_ArrayForEach(it, v)
    {
        int rc = ws_suite_expand(s, r, it->valuestring, buf, sizeof buf, err);
        if (rc) return rc;
        push(a, buf);
    }
    return 0;
}

static int push_extra(argv_buf *a, const ws_suite *s, const ws_suite_run *r, const char *key,
                      ws_error *err)
{
    return push_extra_from(a, s, r, s->root, key, err);
}

static int dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int file_exists(const char *p)
{
    return access(p, F_OK) == 0;
}

char **ws_bench_argv(const ws_suite *s, const char *wsnas, const char *step, int i, ws_error *err)
{
    return ws_bench_argv_part(s, wsnas, step, i, WS_BENCH_ARGS_ALL, err);
}

char **ws_bench_argv_part(const ws_suite *s, const char *wsnas, const char *step, int i,
                          int extras, ws_error *err)
{
    argv_buf a = {0};
    const ws_suite_run *r = ws_suite_run_at(s, i);
    int rc = 0;
    char seed[16], threads[16], ckpt[WS_BENCH_PATH_MAX + 32];
    if (strcmp(step, "report") && !r) {
        ws_error_set(err, WS_EINVAL, "run %d of %d", i, s->n_runs);
        return NULL;
    }
    push(&a, wsnas);
    if (!strcmp(step, "search")) {
        snprintf(seed, sizeof seed, "%u", (unsigned)r->seed);
        snprintf(threads, sizeof threads, "%d", s->threads);
        snprintf(ckpt, sizeof ckpt, "%s/checkpoint.bin", r->dir);
        push(&a, "search");
        push(&a, "--method");
        push(&a, r->method);
        push(&a, "--dataset");
        push(&a, r->dataset);
        push(&a, "--seed");
        push(&a, seed);
        push(&a, "--threads");
        push(&a, threads);
        push(&a, "--config");
        push(&a, r->config);
        /* resume needs the first run's options too */
        push(&a, dir_exists(r->dir) && file_exists(ckpt) ? "--resume" : "--out");
        push(&a, r->dir);
        if (extras & WS_BENCH_ARGS_COMMON) rc = push_extra(&a, s, r, "search_args", err);
    } else if (!strcmp(step, "eval")) {
        push(&a, "eval");
        push(&a, r->dir);
        push(&a, "--table");
        push(&a, s->table_used);
        if (extras & WS_BENCH_ARGS_COMMON) rc = push_extra(&a, s, r, "eval_args", err);
        const cJSON *me = cJSON_GetObjectItemCaseSensitive(s->root, "method_eval_args");
        if (!rc && (extras & WS_BENCH_ARGS_METHOD) && me && cJSON_GetObjectItemCaseSensitive(me, r->label))
            rc = push_extra_from(&a, s, r, me, r->label, err);
    } else if (!strcmp(step, "report")) {
        push(&a, "report");
        push(&a, "--table");
        push(&a, s->table_used);
        push(&a, "--out-results");
        push(&a, s->results_dir);
        push(&a, "--out-plots");
        push(&a, s->plots_dir);
        rc = push_extra(&a, s, NULL, "report_args", err);
        for (int k = 0; k < s->n_runs; k++) push(&a, s->runs[k].dir);
    } else {
        rc = ws_error_set(err, WS_EINVAL, "unknown step '%s'", step);
    }
    if (!rc && a.oom) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    if (rc) {
        if (a.v) ws_bench_argv_free(a.v);
        return NULL;
    }
    return a.v;
}

/* ---- subprocesses ------------------------------------------------------------------ */

/* Starts argv with its output appended to `log` (NULL: inherit). */
static pid_t spawn(char **argv, const char *log, int threads, ws_error *err)
{
    int fd = -1;
    if (log) {
        fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0666);
        if (fd < 0) {
            ws_error_set(err, WS_EIO, "%s: cannot open: %s", log, strerror(errno));
            return -1;
        }
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        if (fd >= 0) close(fd);
        ws_error_set(err, WS_EIO, "fork failed: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char t[16];
        snprintf(t, sizeof t, "%d", threads);
        setenv("OMP_NUM_THREADS", t, 1);
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        /* the children are plain serial processes, not MPI ranks */
        unsetenv("OMPI_COMM_WORLD_SIZE");
        execv(argv[0], argv);
        fprintf(stderr, "wsnas bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (fd >= 0) close(fd);
    return pid;
}

static double now_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

typedef struct slot {
    pid_t pid;
    int run;
    const char *step; /* "search" or "eval" */
} slot;

typedef struct pool_ctx {
    const ws_suite *s;
    const ws_bench_opts *o;
    struct timespec t0;
    ws_bench_event ev;
} pool_ctx;

static void emit(pool_ctx *pc, int kind, int run, const char *step)
{
    if (!pc->o->event) return;
    pc->ev.kind = kind;
    pc->ev.run = run;
    pc->ev.step = step;
    pc->ev.elapsed = now_s(&pc->t0);
    pc->o->event(pc->o->event_ctx, pc->s, &pc->ev);
}

/* A search directory without a checkpoint cannot be resumed: move it aside. */
static int prepare_search(const ws_suite_run *r, ws_error *err)
{
    char ckpt[WS_BENCH_PATH_MAX + 32], aside[WS_BENCH_PATH_MAX + 64];
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.bin", r->dir);
    if (!dir_exists(r->dir) || file_exists(ckpt)) return 0;
    snprintf(aside, sizeof aside, "%s.incomplete-%ld", r->dir, (long)time(NULL));
    if (rename(r->dir, aside))
        return ws_error_set(err, WS_EIO, "%s: cannot move aside to %s: %s", r->dir, aside,
                            strerror(errno));
    return 0;
}

/* Starts `step` of run i in slot j (the search's config first). */
static int start_step(pool_ctx *pc, slot *sl, int i, const char *step, ws_error *err)
{
    const ws_suite *s = pc->s;
    const ws_suite_run *r = &s->runs[i];
    int rc = 0;
    if (!strcmp(step, "search")) {
        rc = write_run_config(s, r, err);
        if (!rc) rc = parent_dir(r->log, err);
        if (!rc) rc = prepare_search(r, err);
    }
    char **argv = rc ? NULL : ws_bench_argv(s, pc->o->wsnas, step, i, err);
    if (!rc && !argv) rc = err ? err->code : WS_ENOMEM;
    pid_t pid = rc ? -1 : spawn(argv, r->log, s->threads, err);
    ws_bench_argv_free(argv);
    if (!rc && pid < 0) rc = err ? err->code : WS_EIO;
    if (rc) return rc;
    *sl = (slot){pid, i, step};
    emit(pc, WS_BENCH_START, i, step);
    return 0;
}

/* Runs `step` ("search" or "eval") for the runs `mine` that lack their
 * marker, `jobs` at a time; writes the marker of each success.  Without
 * train_missing a finished search is evaluated at once in its slot, so a
 * long suite's finished runs are complete (`--report-finished`) before the
 * last search ends. */
static int run_pool(pool_ctx *pc, const char *step, const int *mine, int n_mine, int jobs,
                    int *nfail, ws_error *err)
{
    const ws_suite *s = pc->s;
    int is_search = !strcmp(step, "search");
    int eval_at_once = is_search && s->eval && !s->train_missing;
    slot *slots = calloc((size_t)jobs, sizeof *slots);
    if (!slots) return ws_error_set(err, WS_ENOMEM, "out of memory");
    int rc = 0, next = 0, running = 0;
    pc->ev.total = n_mine;
    pc->ev.done = 0;
    pc->ev.running = 0;
    while (!rc && (next < n_mine || running > 0)) {
        for (int j = 0; !rc && j < jobs && next < n_mine; j++) {
            if (slots[j].pid > 0) continue;
            int i = mine[next++];
            const ws_suite_run *r = &s->runs[i];
            const char *marker = is_search ? r->searched : r->done;
            const char *first = step;
            if (eval_at_once && file_exists(r->searched) && !file_exists(r->done))
                first = "eval"; /* searched before, never evaluated */
            else if (file_exists(r->done) || file_exists(marker) ||
                     (!is_search && !file_exists(r->searched))) {
                /* finished before, or its search failed (counted there) */
                pc->ev.done++;
                if (file_exists(r->done) || file_exists(marker)) emit(pc, WS_BENCH_SKIP, i, step);
                j--; /* the slot is still free */
                continue;
            }
            rc = start_step(pc, &slots[j], i, first, err);
            if (rc) break;
            running++;
            pc->ev.running = running;
        }
        if (rc || running == 0) continue;
        int reaped = 0;
        for (int j = 0; !rc && j < jobs; j++) {
            if (slots[j].pid <= 0) continue;
            int st = 0;
            pid_t w = waitpid(slots[j].pid, &st, WNOHANG);
            if (w == 0) continue;
            reaped = 1;
            int ok = w == slots[j].pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
            int i = slots[j].run;
            const ws_suite_run *r = &s->runs[i];
            int was_search = !strcmp(slots[j].step, "search");
            slots[j].pid = 0;
            if (!ok) {
                running--;
                pc->ev.running = running;
                pc->ev.done++;
                (*nfail)++;
                pc->ev.failed = *nfail;
                emit(pc, WS_BENCH_FAIL, i, slots[j].step);
                continue;
            }
            rc = write_atomic(was_search ? r->searched : r->done, "done\n", err);
            if (!rc && was_search && !s->eval) rc = write_atomic(r->done, "done\n", err);
            if (rc) break;
            emit(pc, WS_BENCH_FINISH, i, slots[j].step);
            if (was_search && eval_at_once) {
                rc = start_step(pc, &slots[j], i, "eval", err);
                continue;
            }
            running--;
            pc->ev.running = running;
            pc->ev.done++;
        }
        if (!reaped) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (rc) /* stop what still runs: those runs stay unfinished and resume later */
        for (int j = 0; j < jobs; j++)
            if (slots[j].pid > 0) {
                kill(slots[j].pid, SIGTERM);
                waitpid(slots[j].pid, NULL, 0);
            }
    free(slots);
    return rc;
}

static int run_wait(char **argv, const char *log, int threads, ws_error *err)
{
    pid_t pid = spawn(argv, log, threads, err);
    if (pid < 0) return err ? err->code : WS_EIO;
    int st = 0;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return ws_error_set(err, WS_EIO, "%s %s failed (exit status %d)%s%s", argv[0], argv[1],
                            WIFEXITED(st) ? WEXITSTATUS(st) : -1, log ? "; see " : "",
                            log ? log : "");
    return 0;
}

static int copy_path(const char *src, const char *dst, ws_error *err)
{
    char tmp[WS_BENCH_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    FILE *in = fopen(src, "rb");
    if (!in) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", src, strerror(errno));
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fclose(in);
        return ws_error_set(err, WS_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    }
    char buf[1 << 16];
    size_t n;
    int bad = 0;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0) bad = fwrite(buf, 1, n, out) != n;
    bad |= ferror(in);
    fclose(in);
    bad |= fclose(out) != 0;
    if (bad) {
        remove(tmp);
        return ws_error_set(err, WS_EIO, "%s: cannot copy to %s", src, dst);
    }
    return ws_file_commit(tmp, dst, err);
}

/* Trains the classes of the newline-separated architectures in `text` that
 * the table copy lacks: split round-robin over `jobs` parallel
 * `wsnas table build` processes (each on its own copy), then merged back. */
static int train_listed(const ws_suite *s, const ws_bench_opts *o, const char *list,
                        const char *text, const char *log, ws_error *err)
{
    ws_table *t = NULL;
    int rc = ws_table_open(s->table_used, &t, err);
    if (rc) return rc;
    const uint8_t *filled = ws_table_filled(t, s->table_bench);
    const ws_space *sp = ws_table_space(t);
    int *todo = malloc(WS_ARCH_COUNT * sizeof *todo), n_todo = 0;
    uint8_t *seen = calloc(WS_ARCH_COUNT, 1);
    if (!todo || !seen) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    const char *p = text;
    for (int line = 1; !rc && *p; line++) {
        size_t l = strcspn(p, "\n");
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)(l < 255 ? l : 255), p);
        p += l + (p[l] == '\n');
        int idx;
        if (ws_space_lookup(sp, buf, &idx, err)) {
            rc = ws_error_prefix(err, "%s:%d", list, line);
            break;
        }
        int c = ws_space_iso_class(sp, idx);
        if ((filled && filled[c]) || seen[c]) continue;
        seen[c] = 1;
        todo[n_todo++] = c;
    }
    ws_table_close(t);
    free(seen);
    int jobs = o->jobs > 0 ? o->jobs : s->jobs;
    if (jobs > n_todo) jobs = n_todo;
    if (jobs > 64) jobs = 64;
    pid_t pids[64];
    static char part[64][WS_BENCH_PATH_MAX + 128];
    char plist[WS_BENCH_PATH_MAX + 128];
    int started = 0;
    for (int k = 0; !rc && k < jobs; k++) {
        snprintf(part[k], sizeof part[k], "%s.part%d.h5", s->table_used, k);
        snprintf(plist, sizeof plist, "%s.part%d.txt", list, k);
        char *lines = malloc((size_t)n_todo * 8 + 1);
        size_t w = 0;
        if (!lines) {
            rc = ws_error_set(err, WS_ENOMEM, "out of memory");
            break;
        }
        for (int j = k; j < n_todo; j += jobs) w += (size_t)sprintf(lines + w, "%d\n", todo[j]);
        lines[w] = '\0';
        rc = write_atomic(plist, lines, err);
        free(lines);
        if (!rc && !file_exists(part[k])) rc = copy_path(s->table_used, part[k], err);
        if (rc) break;
        argv_buf a = {0};
        const char *args[] = {o->wsnas, "table", "build", "-q", "-o", part[k], "--bench",
                              s->table_bench, "--archs-file", plist};
        for (size_t q = 0; q < WS_ARRAY_LEN(args); q++) push(&a, args[q]);
        if (a.oom) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        pids[k] = rc ? -1 : spawn(a.v, log, s->threads, err);
        ws_bench_argv_free(a.v);
        if (!rc && pids[k] < 0) rc = err ? err->code : WS_EIO;
        if (!rc) started++;
    }
    free(todo);
    int bad = 0;
    for (int k = 0; k < started; k++) {
        int st = 0;
        waitpid(pids[k], &st, 0);
        bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    if (!rc && bad)
        rc = ws_error_set(err, WS_EIO, "wsnas table build failed; see %s", log);
    if (!rc && jobs > 0) {
        argv_buf a = {0};
        const char *args[] = {o->wsnas, "table", "merge", "-o", s->table_used, "--bench",
                              s->table_bench};
        for (size_t q = 0; q < WS_ARRAY_LEN(args); q++) push(&a, args[q]);
        for (int k = 0; k < jobs; k++) push(&a, part[k]);
        if (a.oom) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        if (!rc) rc = run_wait(a.v, log, s->threads, err);
        ws_bench_argv_free(a.v);
        for (int k = 0; !rc && k < jobs; k++) {
            remove(part[k]);
            snprintf(plist, sizeof plist, "%s.part%d.txt", list, k);
            remove(plist);
        }
    }
    return rc;
}

/* Phase 2: the runs' final architectures into a list; `wsnas table build`
 * trains those the table copy lacks (it skips filled ones). */
static int train_missing(const ws_suite *s, const ws_bench_opts *o, ws_error *err)
{
    char list[WS_BENCH_PATH_MAX + 32], log[WS_BENCH_PATH_MAX + 32];
    snprintf(list, sizeof list, "%s/derived-archs.txt", s->runs_dir);
    snprintf(log, sizeof log, "%s/train-missing.log", s->runs_dir);
    int rc = ws_dir_make(s->runs_dir, err);
    if (!rc && !file_exists(s->table_used)) rc = copy_path(s->table, s->table_used, err);
    size_t cap = 1 << 16, len = 0;
    char *text = rc ? NULL : malloc(cap);
    if (!rc && !text) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    int n = 0;
    for (int i = 0; !rc && i < s->n_runs; i++) {
        char path[WS_BENCH_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/manifest.json", s->runs[i].dir);
        FILE *f = fopen(path, "rb");
        if (!f) continue; /* a failed run: nothing derived */
        char buf[1 << 16];
        size_t m = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[m] = '\0';
        cJSON *j = cJSON_Parse(buf);
        const cJSON *fa = j ? cJSON_GetObjectItemCaseSensitive(j, "final_arch") : NULL;
        if (cJSON_IsString(fa) && strlen(fa->valuestring) < 200) {
            if (len + 256 > cap) {
                char *p = realloc(text, cap *= 2);
                if (!p) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
                else text = p;
            }
            if (!rc) {
                len += (size_t)snprintf(text + len, cap - len, "%s\n", fa->valuestring);
                n++;
            }
        } else if (cJSON_IsNumber(fa)) {
            len += (size_t)snprintf(text + len, cap - len, "%d\n", (int)fa->valuedouble);
            n++;
        }
        cJSON_Delete(j);
        /* the argmax architecture of every epoch (the report's trajectory) */
        snprintf(path, sizeof path, "%s/epochs.csv", s->runs[i].dir);
        f = fopen(path, "rb");
        char *line = NULL;
        size_t lcap = 0;
        int col = -1;
        for (int row = 0; !rc && f && getline(&line, &lcap, f) > 0; row++) {
            line[strcspn(line, "\r\n")] = '\0';
            char *save = NULL, *tok = strtok_r(line, ",", &save);
            for (int c = 0; tok; c++, tok = strtok_r(NULL, ",", &save)) {
                if (row == 0 && !strcmp(tok, "arch")) col = c;
                if (row == 0 || c != col || strlen(tok) >= 200) continue;
                if (len + 256 > cap) {
                    char *p = realloc(text, cap *= 2);
                    if (!p) {
                        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
                        break;
                    }
                    text = p;
                }
                len += (size_t)snprintf(text + len, cap - len, "%s\n", tok);
                n++;
            }
        }
        free(line);
        if (f) fclose(f);
    }
    if (!rc && n) {
        text[len] = '\0';
        rc = write_atomic(list, text, err);
    }
    if (!rc && n) rc = train_listed(s, o, list, text, log, err);
    free(text);
    return rc;
}

/* Agrees on failure across ranks: returns nonzero if any rank failed. */
static int agree(int rc, int size, ws_error *err)
{
    if (size <= 1) return rc;
    int bad = rc ? 1 : 0;
    ws_error e2 = {0};
    if (ws_par_allreduce_max_int(&bad, &e2)) {
        if (!rc && err) *err = e2;
        return rc ? rc : e2.code;
    }
    if (!rc && bad) return ws_error_set(err, WS_EMPI, "another rank failed (see its message)");
    return rc;
}

int ws_bench_run(const ws_suite *s, const ws_bench_opts *o, int *failed, ws_error *err)
{
    int size = o->size > 1 ? o->size : 1, rank = o->size > 1 ? o->rank : 0;
    int jobs = o->jobs > 0 ? o->jobs : s->jobs;
    pool_ctx pc = {.s = s, .o = o};
    clock_gettime(CLOCK_MONOTONIC, &pc.t0);
    *failed = 0;
    int *mine = malloc((size_t)(s->n_runs + 1) * sizeof *mine), n_mine = 0, nfail = 0;
    if (!mine) return ws_error_set(err, WS_ENOMEM, "out of memory");
    for (int i = 0; i < s->n_runs; i++)
        if (i % size == rank) mine[n_mine++] = i;
    /* 1. searches */
    int rc = run_pool(&pc, "search", mine, n_mine, jobs, &nfail, err);
    rc = agree(rc, size, err);
    /* 2. derived architectures the table lacks */
    if (!rc && s->train_missing && rank == 0) {
        emit(&pc, WS_BENCH_TRAIN, -1, "train-missing");
        rc = train_missing(s, o, err);
    }
    rc = agree(rc, size, err);
    /* 3. evals */
    if (!rc && s->eval) rc = run_pool(&pc, "eval", mine, n_mine, jobs, &nfail, err);
    rc = agree(rc, size, err);
    free(mine);
    int fails = nfail;
    if (!rc && size > 1 && ws_par_allreduce_max_int(&fails, err)) rc = err ? err->code : WS_EMPI;
    *failed = nfail;
    if (rc || fails) return rc; /* no report over missing runs */
    /* 4. report */
    if (rank == 0 && !o->no_report) {
        char **argv = ws_bench_argv(s, o->wsnas, "report", 0, err);
        if (!argv) return err ? err->code : WS_ENOMEM;
        rc = run_wait(argv, NULL, s->threads, err);
        ws_bench_argv_free(argv);
        if (!rc) emit(&pc, WS_BENCH_REPORT, -1, "report");
    }
    return rc;
}

int ws_bench_report_finished(const ws_suite *s, const ws_bench_opts *o, int *n_done,
                             ws_error *err)
{
    *n_done = 0;
    char **argv = ws_bench_argv(s, o->wsnas, "report", 0, err);
    if (!argv) return err ? err->code : WS_ENOMEM;
    int n = 0;
    while (argv[n]) n++;
    /* the run directories are the last n_runs arguments: drop the unfinished */
    int w = n - s->n_runs;
    for (int k = 0; k < s->n_runs; k++) {
        char *dir = argv[n - s->n_runs + k];
        if (file_exists(s->runs[k].done)) {
            argv[w++] = dir;
            (*n_done)++;
        } else {
            free(dir);
        }
    }
    argv[w] = NULL;
    int rc = *n_done ? run_wait(argv, NULL, s->threads, err)
                     : ws_error_set(err, WS_EINVAL, "suite '%s': no run has finished yet", s->name);
    ws_bench_argv_free(argv);
    return rc;
}
