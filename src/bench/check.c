/* check.c: a suite checked as a whole before its first job starts (`wsnas
 * bench`, and the same under --dry-run), so that nothing that can be known
 * up front fails after hours of searches: the table opens (checksums and
 * values checked) and holds table_bench and every BENCH/METRIC the eval and
 * report arguments name (or default to); the files and directories those
 * arguments name exist; every run's search config resolves and validates as
 * `wsnas search` resolves it; every {placeholder} is known where it is used;
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
static int check_metric(const ws_suite *s, const ws_table *t, const char *what, const char *opt,
                        const char *bm, int summary, ws_error *err)
{
    if (strchr(bm, '{')) return 0; /* expanded per run: the command checks it */
    const char *slash = strrchr(bm, '/');
    char bench[WS_TABLE_NAME_MAX];
    if (!slash || slash == bm || !slash[1] || (size_t)(slash - bm) >= sizeof bench)
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': %s '%s': expected BENCH/METRIC",
                            s->what, what, opt, bm);
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
                            "%s: key '%s': %s '%s': table %s has no such %s (see wsnas table "
                            "info)",
                            s->what, what, opt, bm, s->table, summary ? "summary column" : "metric");
    return 0;
}

/* A file or directory an argument names must be there. */
static int check_path_arg(const ws_suite *s, const cJSON *args, const char *what, const char *opt,
                          int want_dir, ws_error *err)
{
    const char *p = arg_value(args, opt);
    struct stat st;
    if (!p || strchr(p, '{')) return 0;
    if (stat(p, &st) || (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
        return ws_error_set(err, WS_ENOTFOUND, "%s: key '%s': %s '%s': %s", s->what, what, opt, p,
                            errno == ENOENT ? "not found"
                            : want_dir      ? "expected a directory"
                                            : "expected a file");
    return 0;
}

/* Eval arguments of one "methods" entry: eval_args then method_eval_args. */
static int check_eval_args(const ws_suite *s, const ws_table *t, const cJSON *me, const char *label,
                           ws_error *err)
{
    const cJSON *common = cJSON_GetObjectItemCaseSensitive(s->root, "eval_args");
    const cJSON *own = me ? cJSON_GetObjectItemCaseSensitive(me, label) : NULL;
    char key[64] = "eval_args";
    const char *opt = "--truth", *truth = own ? arg_value(own, "--truth") : NULL;
    if (truth) snprintf(key, sizeof key, "method_eval_args.%.40s", label);
    else truth = common ? arg_value(common, "--truth") : NULL;
    char def[2 * WS_TABLE_NAME_MAX + 2];
    if (!truth) {
        ws_oneshot_opts d = ws_oneshot_opts_default();
        snprintf(def, sizeof def, "%s/%s", d.bench, d.metric);
        truth = def;
        opt = "--truth (eval's default)";
    }
    int rc = check_metric(s, t, key, opt, truth, 0, err);
    for (int k = 0; !rc && k < 2; k++) {
        const cJSON *a = k ? own : common;
        if (!a) continue;
        snprintf(key, sizeof key, k ? "method_eval_args.%.40s" : "eval_args", label);
        rc = check_path_arg(s, a, key, "--data-dir", 1, err);
    }
    return rc;
}

/* The table: it opens, holds table_bench and the metrics the arguments name. */
static int check_table(const ws_suite *s, ws_error *err)
{
    ws_table *t = NULL;
    int rc = ws_table_open(s->table, &t, err);
    if (rc) return ws_error_prefix(err, "%s: key 'table'", s->what);
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
    const cJSON *me = cJSON_GetObjectItemCaseSensitive(s->root, "method_eval_args");
    const cJSON *methods = cJSON_GetObjectItemCaseSensitive(s->root, "methods"), *m;
    cJSON_ArrayForEach(m, methods)
    {
        if (rc || !s->eval) break;
        rc = check_eval_args(s, t, me, m->valuestring, err);
    }
    const cJSON *ra = cJSON_GetObjectItemCaseSensitive(s->root, "report_args");
    const char *pm = ra ? arg_value(ra, "--plot-metric") : NULL;
    if (!rc && pm) rc = check_metric(s, t, "report_args", "--plot-metric", pm, 1, err);
    if (!rc && ra) rc = check_path_arg(s, ra, "report_args", "--published", 0, err);
    ws_table_close(t);
    return rc;
}

/* Run i's config resolved as `wsnas search --method M --dataset D --seed S
 * --threads T --config FILE` resolves it (preset from the file, else cpu). */
static int check_run_config(const ws_suite *s, const ws_suite_run *r, ws_error *err)
{
    cJSON *j = ws_suite_run_config(s, r);
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    const cJSON *p = j ? cJSON_GetObjectItemCaseSensitive(j, "preset") : NULL;
    char preset[16], where[WS_BENCH_PATH_MAX + 128], set[64];
    snprintf(preset, sizeof preset, "%s", cJSON_IsString(p) ? p->valuestring : "cpu");
    cJSON_Delete(j);
    if (!text) return ws_error_set(err, WS_ENOMEM, "out of memory");
    snprintf(where, sizeof where, "%s: the config of '%s' on %s", s->what, r->label, r->dataset);
    ws_search_config cfg;
    memset(&cfg, 0, sizeof cfg);
    int rc = ws_config_preset(r->method, preset, &cfg, err);
    if (rc) ws_error_prefix(err, "%s", where);
    if (!rc) rc = ws_config_apply_json(&cfg, text, where, err);
    free(text);
    snprintf(set, sizeof set, "dataset=%s", r->dataset);
    if (!rc && (rc = ws_config_set(&cfg, set, err))) ws_error_prefix(err, "%s", where);
    cfg.seed = r->seed;
    cfg.threads = s->threads;
    if (!rc && (rc = ws_config_validate(&cfg, err))) ws_error_prefix(err, "%s", where);
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
    int rc = check_table(s, err);
    for (int i = 0; !rc && i < s->n_runs; i++) rc = check_run_config(s, &s->runs[i], err);
    if (!rc) rc = check_placeholders(s, err);
    if (!rc) rc = check_dir(s, s->runs_dir, s->runs_dir_moved ? "--runs-dir" : "key 'runs_dir'",
                            err);
    if (!rc) rc = check_dir(s, s->results_dir, "key 'results_dir'", err);
    if (!rc) rc = check_dir(s, s->plots_dir, "key 'plots_dir'", err);
    return rc;
}
