/* suite.c: parsing and validating run suites (format in include/wsnas/bench.h)
 * with cJSON: every key known, every value type- and range-checked, one
 * message naming the file and the key. */
#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_internal.h"
#include "wsnas/json.h"
#include "wsnas/method.h"

/* The method names, from method.h's table. */
static const char *const *method_names(void)
{
    static const char *names[WS_METHOD_COUNT];
    for (int i = 0; i < WS_METHOD_COUNT; i++) names[i] = ws_method_name(i);
    return names;
}
static const char *const known_datasets[] = {"fashion-mnist", "mnist", "cifar10", "cifar100",
                                             "imagenet16-120"};

void ws_suite_free(ws_suite *s)
{
    if (!s) return;
    cJSON_Delete(s->root);
    free(s->runs);
    free(s);
}

const char *ws_suite_name(const ws_suite *s)
{
    return s->name;
}

int ws_suite_jobs(const ws_suite *s)
{
    return s->jobs;
}

int ws_suite_eval(const ws_suite *s)
{
    return s->eval;
}

int ws_suite_run_count(const ws_suite *s)
{
    return s->n_runs;
}

const ws_suite_run *ws_suite_run_at(const ws_suite *s, int i)
{
    return i >= 0 && i < s->n_runs ? &s->runs[i] : NULL;
}

static int in_list(const char *v, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v, list[i])) return 1;
    return 0;
}

static int get_string(const cJSON *root, const char *key, int required, const char **out,
                      const char *what, ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) {
        if (required) return ws_error_set(err, WS_EINVAL, "%s: missing key '%s'", what, key);
        return 0;
    }
    if (!cJSON_IsString(v) || !v->valuestring[0])
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': expected a non-empty string", what, key);
    if (strlen(v->valuestring) > 512)
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': longer than 512 characters", what, key);
    *out = v->valuestring;
    return 0;
}

static int get_int(const cJSON *root, const char *key, int lo, int hi, int *out, const char *what,
                   ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble)
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': expected an integer", what, key);
    if (v->valuedouble < lo || v->valuedouble > hi)
        return ws_error_set(err, WS_ERANGE, "%s: key '%s': %g is out of range [%d, %d]", what, key,
                            v->valuedouble, lo, hi);
    *out = (int)v->valuedouble;
    return 0;
}

/* A non-empty array of strings from `allowed` (or of anything if NULL). */
static int get_names(const cJSON *root, const char *key, const char *const *allowed, size_t n_allowed,
                     const cJSON **out, const char *what, ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key), *it;
    if (!v) return ws_error_set(err, WS_EINVAL, "%s: missing key '%s'", what, key);
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': expected a non-empty array", what, key);
    int i = 0;
    cJSON_ArrayForEach(it, v)
    {
        if (!cJSON_IsString(it) || strlen(it->valuestring) >= 32)
            return ws_error_set(err, WS_EINVAL, "%s: key '%s'[%d]: expected a short string", what,
                                key, i);
        if (allowed && !in_list(it->valuestring, allowed, n_allowed)) {
            char list[256] = "";
            for (size_t k = 0; k < n_allowed; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                         allowed[k]);
            const char *near = ws_suggest(it->valuestring, allowed, (int)n_allowed);
            if (near)
                return ws_error_set(err, WS_EINVAL,
                                    "%s: key '%s'[%d]: unknown name '%s' (did you mean '%s'?)",
                                    what, key, i, it->valuestring, near);
            return ws_error_set(err, WS_EINVAL, "%s: key '%s'[%d]: unknown name '%s' (expected %s)",
                                what, key, i, it->valuestring, list);
        }
        const cJSON *p = v->child;
        for (int k = 0; k < i; k++, p = p->next)
            if (!strcmp(p->valuestring, it->valuestring))
                return ws_error_set(err, WS_EINVAL, "%s: key '%s'[%d]: '%s' appears twice", what,
                                    key, i, it->valuestring);
        i++;
    }
    *out = v;
    return 0;
}

static int check_args(const cJSON *root, const char *key, const char *what, ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key), *it;
    if (!v) return 0;
    if (!cJSON_IsArray(v))
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': expected an array of strings", what, key);
    int i = 0;
    cJSON_ArrayForEach(it, v)
    {
        if (!cJSON_IsString(it))
            return ws_error_set(err, WS_EINVAL, "%s: key '%s'[%d]: expected a string", what, key,
                                i);
        i++;
    }
    return 0;
}

static int name_chars_ok(const char *p)
{
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* "variants": {"NAME": {"method": "M", "config": {...}}}: a method under its
 * own name with its own config keys (e.g. gaea-darts ERM and bilevel). */
static int check_variants(const cJSON *root, const char *what, ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "variants"), *it;
    if (!v) return 0;
    if (!cJSON_IsObject(v))
        return ws_error_set(err, WS_EINVAL, "%s: key 'variants': expected an object", what);
    cJSON_ArrayForEach(it, v)
    {
        const char *n = it->string;
        if (!n[0] || strlen(n) >= 32 || !name_chars_ok(n))
            return ws_error_set(err, WS_EINVAL,
                                "%s: key 'variants': name '%s': expected 1..31 of A-Z a-z 0-9 . _ -",
                                what, n);
        if (in_list(n, method_names(), WS_METHOD_COUNT))
            return ws_error_set(err, WS_EINVAL,
                                "%s: key 'variants.%s': a variant may not take a method's name",
                                what, n);
        if (!cJSON_IsObject(it))
            return ws_error_set(err, WS_EINVAL, "%s: key 'variants.%s': expected an object", what,
                                n);
        const cJSON *f;
        cJSON_ArrayForEach(f, it)
        {
            if (strcmp(f->string, "method") && strcmp(f->string, "config"))
                return ws_error_set(err, WS_EINVAL,
                                    "%s: key 'variants.%s': unknown key '%s' (expected method, "
                                    "config)",
                                    what, n, f->string);
        }
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(it, "method");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "config");
        if (!cJSON_IsString(m) || !in_list(m->valuestring, method_names(), WS_METHOD_COUNT))
            return ws_error_set(err, WS_EINVAL,
                                "%s: key 'variants.%s.method': expected a known method name", what,
                                n);
        if (c && !cJSON_IsObject(c))
            return ws_error_set(err, WS_EINVAL, "%s: key 'variants.%s.config': expected an object",
                                what, n);
        if (c && cJSON_GetObjectItemCaseSensitive(c, "label"))
            return ws_error_set(err, WS_EINVAL,
                                "%s: key 'variants.%s.config': 'label' is the variant's name", what,
                                n);
    }
    return 0;
}

/* The base method of a "methods" entry: itself, or its variant's method. */
static const char *entry_method(const cJSON *root, const char *name)
{
    if (in_list(name, method_names(), WS_METHOD_COUNT)) return name;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "variants");
    const cJSON *var = v ? cJSON_GetObjectItemCaseSensitive(v, name) : NULL;
    const cJSON *m = var ? cJSON_GetObjectItemCaseSensitive(var, "method") : NULL;
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int check_method_names(const cJSON *root, const cJSON *methods, const char *what,
                              ws_error *err)
{
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, methods)
    {
        if (!entry_method(root, it->valuestring)) {
            char list[256] = "";
            for (size_t k = 0; k < WS_METHOD_COUNT; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                         method_names()[k]);
            return ws_error_set(err, WS_EINVAL,
                                "%s: key 'methods'[%d]: unknown name '%s' (expected %s, or a name "
                                "of 'variants')",
                                what, i, it->valuestring, list);
        }
        i++;
    }
    return 0;
}

static int path_join(char *buf, const char *fmt_dir, const char *dataset, const char *method,
                     uint32_t seed, const char *suffix, const char *what, ws_error *err)
{
    int w = snprintf(buf, WS_BENCH_PATH_MAX, "%s/%s/%s/seed%u%s", fmt_dir, dataset, method,
                     (unsigned)seed, suffix);
    if (w < 0 || w >= WS_BENCH_PATH_MAX)
        return ws_error_set(err, WS_EINVAL, "%s: runs_dir too long", what);
    return 0;
}

/* Paths of every run under `runs_dir` (and the table copy of train_missing). */
static int suite_layout(ws_suite *s, const char *runs_dir, const char *what, ws_error *err)
{
    int rc = 0;
    if (runs_dir != s->runs_dir_buf)
        snprintf(s->runs_dir_buf, sizeof s->runs_dir_buf, "%s", runs_dir);
    s->runs_dir = s->runs_dir_buf;
    {
        int w = s->train_missing
                    ? snprintf(s->table_used, sizeof s->table_used, "%s/table.h5", s->runs_dir)
                    : snprintf(s->table_used, sizeof s->table_used, "%s", s->table);
        if (w < 0 || (size_t)w >= sizeof s->table_used)
            rc = ws_error_set(err, WS_EINVAL, "%s: runs_dir or table path too long", what);
    }
    for (int i = 0; i < s->n_runs && !rc; i++) {
        ws_suite_run *r = &s->runs[i];
        static const char *const suffix[] = {"", ".json", ".log", ".searched", ".done"};
        char *dst[] = {r->dir, r->config, r->log, r->searched, r->done};
        for (size_t k = 0; k < WS_ARRAY_LEN(suffix) && !rc; k++)
            rc = path_join(dst[k], runs_dir, r->dataset, r->label, r->seed, suffix[k], what, err);
    }
    return rc;
}

int ws_suite_relocate(ws_suite *s, const char *runs_dir, ws_error *err)
{
    if (!runs_dir[0]) return ws_error_set(err, WS_EINVAL, "runs directory: expected a path");
    if (strlen(runs_dir) > 512)
        return ws_error_set(err, WS_EINVAL, "runs directory: longer than 512 characters");
    s->runs_dir_moved = 1;
    return suite_layout(s, runs_dir, s->name, err);
}

int ws_suite_parse(const char *json, const char *what, ws_suite **out, ws_error *err)
{
    *out = NULL;
    cJSON *root = NULL;
    int prc = ws_json_parse_text(json, what, 1, &root, err);
    if (prc) return prc;
    ws_suite *s = calloc(1, sizeof *s);
    if (!s) {
        cJSON_Delete(root);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    s->root = root;
    snprintf(s->what, sizeof s->what, "%s", what);
    s->jobs = 1;
    s->threads = 1;
    s->eval = 1;
    s->results_dir = "results";
    s->plots_dir = "plots";
    int rc = 0;
    static const char *const keys[] = {
        "name",     "description", "table",       "table_bench", "runs_dir", "results_dir",
        "plots_dir", "jobs",       "threads",     "datasets",    "methods",  "seeds",
        "config",   "method_config", "search_args", "eval",      "eval_args", "report_args", "train_missing", "variants",
        "method_eval_args"};
    if (!cJSON_IsObject(root)) rc = ws_error_set(err, WS_EINVAL, "%s: expected a JSON object", what);
    const cJSON *it;
    if (!rc)
        cJSON_ArrayForEach(it, root)
        {
            const char *near = ws_suggest(it->string, keys, (int)WS_ARRAY_LEN(keys));
            if (!in_list(it->string, keys, WS_ARRAY_LEN(keys)) && near) {
                rc = ws_error_set(err, WS_EINVAL, "%s: unknown key '%s' (did you mean '%s'?)", what,
                                  it->string, near);
                break;
            }
            if (!in_list(it->string, keys, WS_ARRAY_LEN(keys))) {
                rc = ws_error_set(err, WS_EINVAL,
                                  "%s: unknown key '%s' (expected one of name, description, "
                                  "table, table_bench, runs_dir, results_dir, plots_dir, jobs, "
                                  "threads, datasets, methods, seeds, config, method_config, "
                                  "search_args, eval, eval_args, report_args, train_missing, variants, "
                                  "method_eval_args)",
                                  what, it->string);
                break;
            }
        }
    const char *desc = NULL;
    if (!rc) rc = get_string(root, "name", 1, &s->name, what, err);
    if (!rc && !name_chars_ok(s->name))
        rc = ws_error_set(err, WS_EINVAL, "%s: key 'name': '%s' may use only A-Z a-z 0-9 . _ -",
                          what, s->name);
    if (!rc) rc = get_string(root, "description", 0, &desc, what, err);
    if (!rc) rc = get_string(root, "table", 1, &s->table, what, err);
    if (!rc) rc = get_string(root, "table_bench", 0, &s->table_bench, what, err);
    if (!rc) rc = get_string(root, "runs_dir", 1, &s->runs_dir, what, err);
    if (!rc) rc = get_string(root, "results_dir", 0, &s->results_dir, what, err);
    if (!rc) rc = get_string(root, "plots_dir", 0, &s->plots_dir, what, err);
    if (!rc) rc = get_int(root, "jobs", 1, 64, &s->jobs, what, err);
    if (!rc) rc = get_int(root, "threads", 1, 256, &s->threads, what, err);
    const cJSON *datasets = NULL, *methods = NULL, *seeds, *v;
    if (!rc)
        rc = get_names(root, "datasets", known_datasets, WS_ARRAY_LEN(known_datasets), &datasets,
                       what, err);
    if (!rc) rc = check_variants(root, what, err);
    if (!rc) rc = get_names(root, "methods", NULL, 0, &methods, what, err);
    if (!rc) rc = check_method_names(root, methods, what, err);
    if (!rc) {
        seeds = cJSON_GetObjectItemCaseSensitive(root, "seeds");
        if (!seeds)
            rc = ws_error_set(err, WS_EINVAL, "%s: missing key 'seeds'", what);
        else if (!cJSON_IsArray(seeds) || !cJSON_GetArraySize(seeds))
            rc = ws_error_set(err, WS_EINVAL, "%s: key 'seeds': expected a non-empty array", what);
        int i = 0;
        if (!rc)
            cJSON_ArrayForEach(it, seeds)
            {
                if (!cJSON_IsNumber(it) || it->valuedouble != (double)(long)it->valuedouble ||
                    it->valuedouble < 0 || it->valuedouble > 2147483647.0) {
                    rc = ws_error_set(err, WS_EINVAL,
                                      "%s: key 'seeds'[%d]: expected an integer in 0..2147483647",
                                      what, i);
                    break;
                }
                const cJSON *p = seeds->child;
                for (int k = 0; k < i; k++, p = p->next)
                    if (p->valuedouble == it->valuedouble) {
                        rc = ws_error_set(err, WS_EINVAL, "%s: key 'seeds'[%d]: %g appears twice",
                                          what, i, it->valuedouble);
                        break;
                    }
                if (rc) break;
                i++;
            }
    }
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "config")) && !cJSON_IsObject(v))
        rc = ws_error_set(err, WS_EINVAL, "%s: key 'config': expected an object", what);
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "method_config"))) {
        if (!cJSON_IsObject(v))
            rc = ws_error_set(err, WS_EINVAL, "%s: key 'method_config': expected an object", what);
        cJSON_ArrayForEach(it, v)
        {
            if (rc) break;
            if (!in_list(it->string, method_names(), WS_METHOD_COUNT))
                rc = ws_error_set(err, WS_EINVAL, "%s: key 'method_config': unknown method '%s'",
                                  what, it->string);
            else if (!cJSON_IsObject(it))
                rc = ws_error_set(err, WS_EINVAL, "%s: key 'method_config.%s': expected an object",
                                  what, it->string);
        }
    }
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "eval"))) {
        if (!cJSON_IsBool(v))
            rc = ws_error_set(err, WS_EINVAL, "%s: key 'eval': expected true or false", what);
        else
            s->eval = cJSON_IsTrue(v);
    }
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "train_missing"))) {
        if (!cJSON_IsBool(v))
            rc = ws_error_set(err, WS_EINVAL, "%s: key 'train_missing': expected true or false",
                              what);
        else
            s->train_missing = cJSON_IsTrue(v);
    }
    if (!rc && s->train_missing && !s->table_bench)
        rc = ws_error_set(err, WS_EINVAL, "%s: key 'train_missing' needs 'table_bench'", what);
    if (!rc) rc = check_args(root, "search_args", what, err);
    if (!rc) rc = check_args(root, "eval_args", what, err);
    if (!rc) rc = check_args(root, "report_args", what, err);
    if (!rc && (v = cJSON_GetObjectItemCaseSensitive(root, "method_eval_args"))) {
        if (!cJSON_IsObject(v))
            rc = ws_error_set(err, WS_EINVAL, "%s: key 'method_eval_args': expected an object",
                              what);
        cJSON_ArrayForEach(it, v)
        {
            if (rc) break;
            const cJSON *m;
            int listed = 0;
            cJSON_ArrayForEach(m, methods) listed |= !strcmp(m->valuestring, it->string);
            char key[64];
            snprintf(key, sizeof key, "method_eval_args.%.40s", it->string);
            if (!listed)
                rc = ws_error_set(err, WS_EINVAL,
                                  "%s: key 'method_eval_args': '%s' is not in 'methods'", what,
                                  it->string);
            else if (!cJSON_IsArray(it))
                rc = ws_error_set(err, WS_EINVAL, "%s: key '%s': expected an array of strings",
                                  what, key);
            else
                rc = check_args(v, it->string, what, err);
        }
    }
    /* runs: dataset-major, then method, then seed */
    if (!rc) {
        int n = cJSON_GetArraySize(datasets) * cJSON_GetArraySize(methods) *
                cJSON_GetArraySize(seeds);
        s->runs = calloc((size_t)n, sizeof *s->runs);
        if (!s->runs) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        const cJSON *d, *m, *sd;
        cJSON_ArrayForEach(d, datasets) cJSON_ArrayForEach(m, methods) cJSON_ArrayForEach(sd, seeds)
        {
            if (rc) break;
            ws_suite_run *r = &s->runs[s->n_runs++];
            snprintf(r->dataset, sizeof r->dataset, "%s", d->valuestring);
            snprintf(r->method, sizeof r->method, "%s", entry_method(root, m->valuestring));
            snprintf(r->label, sizeof r->label, "%s", m->valuestring);
            r->seed = (uint32_t)sd->valuedouble;
        }
    }
    if (!rc) rc = suite_layout(s, s->runs_dir, what, err);
    if (rc) {
        ws_suite_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int ws_suite_load(const char *path, ws_suite **out, ws_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    int big = buf && n == (1 << 20) - 1 && fgetc(f) != EOF;
    fclose(f);
    if (!buf) return ws_error_set(err, WS_ENOMEM, "out of memory");
    if (big) {
        free(buf);
        return ws_error_set(err, WS_EINVAL, "%s: larger than 1 MB", path);
    }
    buf[n] = '\0';
    int rc = ws_suite_parse(buf, path, out, err);
    free(buf);
    return rc;
}
