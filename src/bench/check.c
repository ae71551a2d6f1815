/* check.c: a suite checked as a whole before its first job starts (`wsnas
 * bench`, and the same under --dry-run), so that nothing that can be known
 * up front fails after hours of searches: the table opens (checksums and
 * values checked) and holds table_bench and every BENCH/METRIC the eval and
 * report arguments name (or default to); the files and directories those
 * arguments name exist; every {placeholder} is known where it is used;
 * every run's search and eval command line, as the runner would start it,
 * goes through `wsnas search`'s and `wsnas eval`'s own parsers and the
 * search's config resolution and validation (nothing run);
 * runs_dir, results_dir and plots_dir are directories that can be written
 * (or created).  Nothing is written. */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_internal.h"
#include "wsnas/config.h"
#include "wsnas/eval.h"
#include "wsnas/search.h"
#include "wsnas/table.h"

/* The value of option `opt` in the string array `args` ("--opt V" or
 * "--opt=V"), the last one given, or NULL. */
static const char *arg_value(const cJSON *args, const char *opt)
{
    const char *v = NULL;
    size_t n = strlen(opt);
    const cJSON *it;
    cJSON_ArrayForEach(it, args)
    {
        const char *a = it->valuestring;
        if (!strcmp(a, opt) && it->next && cJSON_IsString(it->next)) v = it->next->valuestring;
        else if (!strncmp(a, opt, n) && a[n] == '=') v = a + n + 1;
    }
    return v;
}

/* BENCH/METRIC in the table (as a summary column if `summary`). */
static int check_metric(const ws_suite *s, const ws_table *t, const char *what, const char *of,
                        const char *opt, const char *bm, int summary, ws_error *err)
{
    char key[256];
    snprintf(key, sizeof key, "'%s'%s%s", what, of ? " of " : "", of ? of : "");
    if (strchr(bm, '{')) return 0; /* expanded per run: the command checks it */
    const char *slash = strrchr(bm, '/');
    char bench[WS_TABLE_NAME_MAX];
    if (!slash || slash == bm || !slash[1] || (size_t)(slash - bm) >= sizeof bench)
        return ws_error_set(err, WS_EINVAL, "%s: key %s: %s '%s': expected BENCH/METRIC",
                            s->what, key, opt, bm);
    snprintf(bench, sizeof bench, "%.*s", (int)(slash - bm), bm);
    int found = ws_table_column(t, bench, slash + 1) != NULL;
    if (found && summary) {
        ws_eval_column cols[64];
        int n = ws_eval_default_columns(t, cols, 64);
        found = 0;
        for (int c = 0; c < n && c < 64; c++)
            found |= !strcmp(cols[c].bench, bench) && !strcmp(cols[c].metric, slash + 1);
    }
    if (!found)
        return ws_error_set(err, WS_ENOTFOUND,
                            "%s: key %s: %s '%s': table %s has no such %s (see wsnas table "
                            "info)",
                            s->what, key, opt, bm, s->table, summary ? "summary column" : "metric");
    return 0;
}

/* A file or directory an argument names must be there. */
static int check_path(const ws_suite *s, const char *key, const char *of, const char *opt,
                      const char *p, int want_dir, ws_error *err)
{
    struct stat st;
    if (!p || strchr(p, '{')) return 0;
    if (stat(p, &st) || (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
        return ws_error_set(err, WS_ENOTFOUND, "%s: key '%s'%s%s: %s '%s': %s", s->what, key,
                            of ? " of " : "", of ? of : "", opt, p,
                            errno == ENOENT ? "not found"
                            : want_dir      ? "expected a directory"
                                            : "expected a file");
    return 0;
}

/* The table: it opens (*out, for the runs' checks), holds table_bench and
 * the report's metric; the report's --published file exists. */
static int check_table(const ws_suite *s, ws_table **out, ws_error *err)
{
    ws_table *t = NULL;
    int rc = ws_table_open(s->table, &t, err);
    if (rc) return ws_error_prefix(err, "%s: key 'table'", s->what);
    *out = t;
    char list[512] = "";
    int has = !s->table_bench;
    for (int b = 0; b < ws_table_benchmark_count(t); b++) {
        const char *name = ws_table_benchmark_name(t, b);
        has |= s->table_bench && !strcmp(name, s->table_bench);
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", b ? ", " : "", name);
    }
    if (!has)
        rc = ws_error_set(err, WS_ENOTFOUND,
                          "%s: key 'table_bench': '%s' is not a benchmark of %s (it holds %s)",
                          s->what, s->table_bench, s->table, list);
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(s->root, "report_args");
    const char *pm = ra ? arg_value(ra, "--plot-metric") : NULL;
    if (!rc && pm) rc = check_metric(s, t, "report_args", NULL, "--plot-metric", pm, 1, err);
    if (!rc && ra)
        rc = check_path(s, "report_args", NULL, "--published", arg_value(ra, "--published"), 0,
                        err);
    return rc;
}

/* "run darts seed 1 on cifar10" (a variant: "run darts-x (darts) seed 1 ..."). */
static void run_name(const ws_suite_run *r, char *buf, size_t n)
{
    char method[48] = "";
    if (strcmp(r->label, r->method)) snprintf(method, sizeof method, " (%s)", r->method);
    snprintf(buf, n, "run %s%s seed %u on %s", r->label, method, (unsigned)r->seed, r->dataset);
}

static int argv_count(char **av)
{
    int n = 0;
    while (av[n]) n++;
    return n;
}

/* Prefixes `where` unless the message already starts with it. */
static int prefix_once(ws_error *err, const char *where)
{
    if (err && strncmp(err->msg, where, strlen(where))) ws_error_prefix(err, "%s", where);
    return err ? err->code : WS_EINVAL;
}

/* An option of the runner's own that the extra arguments changed. */
static int check_owned(const char *opt, const char *got, const char *want, const char *from,
                       ws_error *err)
{
    if (!got || !strcmp(got, want)) return 0;
    return ws_error_set(err, WS_EINVAL, "%s '%s' overrides the suite's '%s' (%s)", opt, got, want,
                        from);
}

/* The search options the runner sets itself, unchanged by search_args. */
static int check_search_owned(const ws_suite *s, const ws_suite_run *r, const ws_search_args *a,
                              ws_error *err)
{
    char seed[24], threads[24], v[24];
    snprintf(seed, sizeof seed, "%u", (unsigned)r->seed);
    snprintf(threads, sizeof threads, "%d", s->threads);
    int rc = check_owned("--method", a->method, r->method, "key 'methods'", err);
    if (!rc) rc = check_owned("--dataset", a->dataset, r->dataset, "key 'datasets'", err);
    snprintf(v, sizeof v, "%ld", a->seed);
    if (!rc) rc = check_owned("--seed", v, seed, "key 'seeds'", err);
    snprintf(v, sizeof v, "%ld", a->threads);
    if (!rc) rc = check_owned("--threads", v, threads, "key 'threads'", err);
    if (!rc) rc = check_owned("--config", a->config, r->config, "key 'config'", err);
    if (!rc) rc = check_owned("--out", a->out, r->dir, "key 'runs_dir'", err);
    if (!rc) rc = check_owned("--resume", a->resume, r->dir, "key 'runs_dir'", err);
    return rc;
}

/* Run i's search command line as the runner starts it (ws_bench_argv),
 * through `wsnas search`'s parser and config resolution and validation,
 * the run's config text (config, method_config, variant) standing for the
 * file the runner writes when it starts the run: first without search_args
 * (a fault is the config's), then with them. */
static int check_run_search(const ws_suite *s, int i, ws_error *err)
{
    const ws_suite_run *r = &s->runs[i];
    cJSON *j = ws_suite_run_config(s, r);
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!text) return ws_error_set(err, WS_ENOMEM, "out of memory");
    char name[160], where[WS_BENCH_PATH_MAX + 320];
    run_name(r, name, sizeof name);
    int rc = 0;
    for (int stage = 0; !rc && stage < 2; stage++) {
        if (stage)
            snprintf(where, sizeof where, "%s: key 'search_args' of %s", s->what, name);
        else
            snprintf(where, sizeof where, "%s: the config of '%s' on %s", s->what, r->label,
                     r->dataset);
        char **av = ws_bench_argv_part(s, "wsnas", "search", i, stage ? WS_BENCH_ARGS_COMMON : 0,
                                       err);
        if (!av) {
            rc = prefix_once(err, where);
            break;
        }
        ws_search_args a;
        ws_search_config cfg;
        rc = ws_search_args_parse(argv_count(av) - 1, av + 1, &a, err);
        if (!rc && (a.help || a.list_keys))
            rc = ws_error_set(err, WS_EINVAL, "'%s' prints and runs no search",
                              a.help ? "--help" : "--list-keys");
        if (!rc) rc = check_search_owned(s, r, &a, err);
        if (!rc) {
            a.config = where; /* names the config text in its messages */
            rc = ws_search_args_config(&a, text, &cfg, err);
        }
        if (rc) prefix_once(err, where);
        ws_bench_argv_free(av);
    }
    free(text);
    return rc;
}

/* Run i's eval command line as the runner starts it, through `wsnas
 * eval`'s parser, stage by stage: the runner's options, + eval_args, +
 * method_eval_args (a fault is the key last added); then the truth it
 * ends with is a metric of the table and a --data-dir exists. */
static int check_run_eval(const ws_suite *s, const ws_table *t, int i, ws_error *err)
{
    const ws_suite_run *r = &s->runs[i];
    static const int stages[] = {0, WS_BENCH_ARGS_COMMON, WS_BENCH_ARGS_ALL};
    char name[160], key[96] = "eval_args", where[WS_BENCH_PATH_MAX + 320];
    char truth_key[96] = "", data_key[96] = "", truth[2 * WS_TABLE_NAME_MAX + 2] = "";
    char data_dir[WS_BENCH_PATH_MAX] = "";
    run_name(r, name, sizeof name);
    int rc = 0;
    for (int k = 0; !rc && k < 3; k++) {
        if (k == 2) snprintf(key, sizeof key, "method_eval_args.%.40s", r->label);
        snprintf(where, sizeof where, "%s: key '%s' of %s", s->what, k ? key : "eval", name);
        char **av = ws_bench_argv_part(s, "wsnas", "eval", i, stages[k], err);
        if (!av) {
            rc = prefix_once(err, where);
            break;
        }
        ws_oneshot_args a;
        rc = ws_oneshot_args_parse(argv_count(av) - 1, av + 1, &a, err);
        if (!rc && a.help) rc = ws_error_set(err, WS_EINVAL, "'--help' prints and runs no eval");
        if (!rc) rc = check_owned("--table", a.table, s->table_used, "key 'table'", err);
        if (!rc && a.truth_given) {
            char now[sizeof truth];
            snprintf(now, sizeof now, "%s/%s", a.bench, a.metric);
            if (strcmp(now, truth)) snprintf(truth_key, sizeof truth_key, "%s", key);
            snprintf(truth, sizeof truth, "%s", now);
        } else if (!rc && !truth[0]) {
            snprintf(truth, sizeof truth, "%s/%s", a.o.bench, a.o.metric);
        }
        if (!rc && a.o.data_dir && strcmp(data_dir, a.o.data_dir)) {
            snprintf(data_key, sizeof data_key, "%s", key);
            snprintf(data_dir, sizeof data_dir, "%s", a.o.data_dir);
        }
        if (rc) prefix_once(err, where);
        ws_bench_argv_free(av);
    }
    if (!rc)
        rc = check_metric(s, t, truth_key[0] ? truth_key : "eval_args", name,
                          truth_key[0] ? "--truth" : "--truth (eval's default)", truth, 0, err);
    if (!rc && data_dir[0]) rc = check_path(s, data_key, name, "--data-dir", data_dir, 1, err);
    return rc;
}

/* Every string of `args` expands for run r (NULL: the report's). */
static int check_expand(const ws_suite *s, const ws_suite_run *r, const cJSON *args,
                        const char *key, ws_error *err)
{
    char buf[4096];
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, args)
    {
        if (ws_suite_expand(s, r, it->valuestring, buf, sizeof buf, err))
            return ws_error_prefix(err, "%s: key '%s'[%d]", s->what, key, i);
        i++;
    }
    return 0;
}

/* Placeholders: known, and only the report's in report_args. */
static int check_placeholders(const ws_suite *s, ws_error *err)
{
    const cJSON *root = s->root, *me = cJSON_GetObjectItemCaseSensitive(root, "method_eval_args");
    static const char *const keys[] = {"search_args", "eval_args"};
    int rc = 0;
    for (int i = 0; !rc && i < s->n_runs; i++) {
        const ws_suite_run *r = &s->runs[i];
        for (size_t k = 0; !rc && k < WS_ARRAY_LEN(keys); k++)
            rc = check_expand(s, r, cJSON_GetObjectItemCaseSensitive(root, keys[k]), keys[k], err);
        const cJSON *own = me ? cJSON_GetObjectItemCaseSensitive(me, r->label) : NULL;
        char key[64];
        snprintf(key, sizeof key, "method_eval_args.%.40s", r->label);
        if (!rc && own) rc = check_expand(s, r, own, key, err);
    }
    if (!rc)
        rc = check_expand(s, NULL, cJSON_GetObjectItemCaseSensitive(root, "report_args"),
                          "report_args", err);
    return rc;
}

/* `path` is a directory that can be written, or can be created: its
 * nearest existing ancestor is a directory in which a directory can be
 * made (a probe directory, removed at once). */
static int check_dir(const ws_suite *s, const char *path, const char *key, ws_error *err)
{
    char anc[WS_BENCH_PATH_MAX], probe[WS_BENCH_PATH_MAX + 32];
    snprintf(anc, sizeof anc, "%s", path);
    struct stat st;
    for (;;) {
        if (!stat(anc, &st)) break;
        if (errno != ENOENT && errno != ENOTDIR)
            return ws_error_set(err, WS_EIO, "%s: %s '%s': %s (at '%s')", s->what, key, path,
                                strerror(errno), anc);
        char *slash = strrchr(anc, '/');
        while (slash && slash > anc && slash[1] == '\0') { /* trailing slashes */
            *slash = '\0';
            slash = strrchr(anc, '/');
        }
        if (!slash) snprintf(anc, sizeof anc, ".");
        else if (slash == anc) anc[1] = '\0';
        else *slash = '\0';
    }
    if (!S_ISDIR(st.st_mode))
        return ws_error_set(err, WS_EINVAL, "%s: %s '%s': '%s' is not a directory", s->what, key,
                            path, anc);
    snprintf(probe, sizeof probe, "%s/.wsnas-check-XXXXXX", anc);
    if (!mkdtemp(probe))
        return ws_error_set(err, WS_EIO, "%s: %s '%s': cannot create directories in '%s': %s",
                            s->what, key, path, anc, strerror(errno));
    rmdir(probe);
    return 0;
}

int ws_suite_check(const ws_suite *s, ws_error *err)
{
    ws_table *t = NULL;
    int rc = check_table(s, &t, err);
    if (!rc) rc = check_placeholders(s, err);
    for (int i = 0; !rc && i < s->n_runs; i++) rc = check_run_search(s, i, err);
    for (int i = 0; !rc && s->eval && i < s->n_runs; i++) rc = check_run_eval(s, t, i, err);
    ws_table_close(t);
    if (!rc) rc = check_dir(s, s->runs_dir, s->runs_dir_moved ? "--runs-dir" : "key 'runs_dir'",
                            err);
    if (!rc) rc = check_dir(s, s->results_dir, "key 'results_dir'", err);
    if (!rc) rc = check_dir(s, s->plots_dir, "key 'plots_dir'", err);
    return rc;
}
