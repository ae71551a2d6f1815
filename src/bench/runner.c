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

static int mkdir_p(const char *path, ws_error *err)
{
    char buf[WS_BENCH_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return ws_error_set(err, WS_EIO, "%s: cannot create directory: %s", buf,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return ws_error_set(err, WS_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
    return 0;
}

static int parent_dir(const char *path, ws_error *err)
{
    char buf[WS_BENCH_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return 0;
    *slash = '\0';
    return mkdir_p(buf, err);
}

static int write_atomic(const char *path, const char *text, ws_error *err)
{
    char tmp[WS_BENCH_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        remove(tmp);
        return ws_error_set(err, WS_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    return 0;
}

/* config merged with method_config[method] (keys of the latter win). */
static int write_run_config(const ws_suite *s, const ws_suite_run *r, ws_error *err)
{
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(s->root, "config");
    const cJSON *mc = cJSON_GetObjectItemCaseSensitive(s->root, "method_config");
    const cJSON *over = mc ? cJSON_GetObjectItemCaseSensitive(mc, r->method) : NULL, *it;
    cJSON *cfg = base ? cJSON_Duplicate(base, 1) : cJSON_CreateObject();
    if (!cfg) return ws_error_set(err, WS_ENOMEM, "out of memory");
    cJSON_ArrayForEach(it, over)
    {
        cJSON *dup = cJSON_Duplicate(it, 1);
        if (!dup) {
            cJSON_Delete(cfg);
            return ws_error_set(err, WS_ENOMEM, "out of memory");
        }
        if (cJSON_GetObjectItemCaseSensitive(cfg, it->string))
            cJSON_ReplaceItemInObjectCaseSensitive(cfg, it->string, dup);
        else
            cJSON_AddItemToObject(cfg, it->string, dup);
    }
    char *text = cJSON_Print(cfg);
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

/* Expands {placeholders} of `tmpl` for run r (NULL for the report). */
static int expand(const ws_suite *s, const ws_suite_run *r, const char *tmpl, char *out, size_t n,
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
        {"{method}", r ? r->method : NULL},   {"{seed}", r ? seed : NULL},
        {"{dataset}", r ? r->dataset : NULL}, {"{run_dir}", r ? r->dir : NULL},
        {"{checkpoint}", r ? ckpt : NULL},    {"{table}", s->table},
        {"{table_bench}", s->table_bench ? s->table_bench : ""},
        {"{results_dir}", s->results_dir},    {"{plots_dir}", s->plots_dir},
    };
    size_t w = 0;
    for (const char *p = tmpl; *p;) {
        size_t k;
        for (k = 0; k < WS_ARRAY_LEN(subs); k++)
            if (!strncmp(p, subs[k].key, strlen(subs[k].key))) break;
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

static int push_extra(argv_buf *a, const ws_suite *s, const ws_suite_run *r, const char *key,
                      ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->root, key), *it;
    char buf[4096];
    cJSON_ArrayForEach(it, v)
    {
        int rc = expand(s, r, it->valuestring, buf, sizeof buf, err);
        if (rc) return rc;
        push(a, buf);
    }
    return 0;
}

static int dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char **ws_bench_argv(const ws_suite *s, const char *wsnas, const char *step, int i, ws_error *err)
{
    argv_buf a = {0};
    const ws_suite_run *r = ws_suite_run_at(s, i);
    int rc = 0;
    char seed[16];
    push(&a, wsnas);
    if (!strcmp(step, "search")) {
        if (!r) {
            ws_error_set(err, WS_EINVAL, "run %d of %d", i, s->n_runs);
            return NULL;
        }
        snprintf(seed, sizeof seed, "%u", (unsigned)r->seed);
        push(&a, "search");
        if (dir_exists(r->dir)) {
            push(&a, "--resume");
            push(&a, r->dir);
        } else {
            push(&a, "--method");
            push(&a, r->method);
            push(&a, "--dataset");
            push(&a, r->dataset);
            push(&a, "--seed");
            push(&a, seed);
            push(&a, "--config");
            push(&a, r->config);
            push(&a, "--out");
            push(&a, r->dir);
            rc = push_extra(&a, s, r, "search_args", err);
        }
    } else if (!strcmp(step, "eval")) {
        if (!r) {
            ws_error_set(err, WS_EINVAL, "run %d of %d", i, s->n_runs);
            return NULL;
        }
        push(&a, "eval");
        push(&a, r->dir);
        push(&a, "--table");
        push(&a, s->table);
        if (s->table_bench) {
            push(&a, "--bench");
            push(&a, s->table_bench);
        }
        rc = push_extra(&a, s, r, "eval_args", err);
    } else if (!strcmp(step, "report")) {
        push(&a, "report");
        push(&a, "--table");
        push(&a, s->table);
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
    int step; /* 0 search, 1 eval */
} slot;

static const char *step_name(int step)
{
    return step ? "eval" : "search";
}

int ws_bench_run(const ws_suite *s, const ws_bench_opts *o, int *failed, ws_error *err)
{
    int size = o->size > 1 ? o->size : 1, rank = o->size > 1 ? o->rank : 0;
    int jobs = o->jobs > 0 ? o->jobs : s->jobs;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *failed = 0;
    int *mine = malloc((size_t)(s->n_runs + 1) * sizeof *mine), n_mine = 0;
    slot *slots = calloc((size_t)jobs, sizeof *slots);
    if (!mine || !slots) {
        free(mine);
        free(slots);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    for (int i = 0; i < s->n_runs; i++)
        if (i % size == rank) mine[n_mine++] = i;
    ws_bench_event ev = {0};
    ev.total = n_mine;
    int rc = 0, next = 0, running = 0, done = 0, nfail = 0;
#define EMIT(k, r, st)                                           \
    do {                                                         \
        if (o->event) {                                          \
            ev.kind = (k);                                       \
            ev.run = (r);                                        \
            ev.step = (st);                                      \
            ev.done = done;                                      \
            ev.failed = nfail;                                   \
            ev.running = running;                                \
            ev.elapsed = now_s(&t0);                             \
            o->event(o->event_ctx, s, &ev);                      \
        }                                                        \
    } while (0)
    while (!rc && (next < n_mine || running > 0)) {
        /* fill free slots */
        for (int j = 0; !rc && j < jobs && next < n_mine; j++) {
            if (slots[j].pid > 0) continue;
            int i = mine[next++];
            const ws_suite_run *r = &s->runs[i];
            if (access(r->done, F_OK) == 0) {
                done++;
                EMIT(WS_BENCH_SKIP, i, "search");
                j--; /* the slot is still free */
                continue;
            }
            rc = write_run_config(s, r, err);
            if (!rc) rc = parent_dir(r->log, err);
            char **argv = rc ? NULL : ws_bench_argv(s, o->wsnas, "search", i, err);
            if (!rc && !argv) rc = err ? err->code : WS_ENOMEM;
            pid_t pid = rc ? -1 : spawn(argv, r->log, s->threads, err);
            ws_bench_argv_free(argv);
            if (!rc && pid < 0) rc = err ? err->code : WS_EIO;
            if (rc) break;
            slots[j] = (slot){pid, i, 0};
            running++;
            EMIT(WS_BENCH_START, i, "search");
        }
        if (rc || running == 0) continue;
        /* reap */
        int reaped = 0;
        for (int j = 0; j < jobs; j++) {
            if (slots[j].pid <= 0) continue;
            int st = 0;
            pid_t w = waitpid(slots[j].pid, &st, WNOHANG);
            if (w == 0) continue;
            reaped = 1;
            int ok = w == slots[j].pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
            int i = slots[j].run, step = slots[j].step;
            const ws_suite_run *r = &s->runs[i];
            slots[j].pid = 0;
            running--;
            if (!ok) {
                nfail++;
                done++;
                EMIT(WS_BENCH_FAIL, i, step_name(step));
                continue;
            }
            if (step == 0 && s->eval) {
                char **argv = ws_bench_argv(s, o->wsnas, "eval", i, err);
                pid_t pid = argv ? spawn(argv, r->log, s->threads, err) : -1;
                ws_bench_argv_free(argv);
                if (pid < 0) {
                    rc = err ? err->code : WS_EIO;
                    break;
                }
                slots[j] = (slot){pid, i, 1};
                running++;
                EMIT(WS_BENCH_START, i, "eval");
                continue;
            }
            done++;
            rc = write_atomic(r->done, "done\n", err);
            EMIT(WS_BENCH_FINISH, i, step_name(step));
        }
        if (!reaped) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (rc) /* stop what still runs: its run stays unfinished and resumes later */
        for (int j = 0; j < jobs; j++)
            if (slots[j].pid > 0) {
                kill(slots[j].pid, SIGTERM);
                waitpid(slots[j].pid, NULL, 0);
            }
    free(mine);
    free(slots);
    /* every rank agrees on failures before the report */
    int bad = rc ? 1 : 0, fails = nfail;
    if (size > 1) {
        ws_error e2 = {0};
        int mpi_rc = ws_par_allreduce_max_int(&bad, &e2);
        if (!mpi_rc) mpi_rc = ws_par_allreduce_max_int(&fails, &e2);
        if (mpi_rc && !rc) {
            rc = mpi_rc;
            if (err) *err = e2;
        }
    }
    *failed = nfail;
    if (rc) return rc;
    if (bad) return ws_error_set(err, WS_EMPI, "another rank failed (see its message)");
    if (fails) return 0; /* no report over missing runs */
    if (rank == 0 && !o->no_report) {
        char **argv = ws_bench_argv(s, o->wsnas, "report", 0, err);
        if (!argv) return err ? err->code : WS_ENOMEM;
        pid_t pid = spawn(argv, NULL, s->threads, err);
        ws_bench_argv_free(argv);
        if (pid < 0) return err ? err->code : WS_EIO;
        int st = 0;
        waitpid(pid, &st, 0);
        EMIT(WS_BENCH_REPORT, -1, "report");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return ws_error_set(err, WS_EIO, "wsnas report failed (exit status %d)",
                                WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
#undef EMIT
    return 0;
}
