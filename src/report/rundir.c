/* rundir.c: reading and checking search run directories for the report
 * (format in include/wsnas/report.h): the manifest, the per-epoch log, the
 * optional architecture weights and one-shot pairs; runs that cannot be
 * aggregated (same run twice, mixed configurations) are refused. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rundir.h"
#include "wsnas/json.h"

void ws_rundir_clear(ws_rundir *r)
{
    if (!r) return;
    cJSON_Delete(r->manifest);
    cJSON_Delete(r->config);
    ws_csv_free(r->epochs);
    ws_csv_free(r->weights);
    ws_csv_free(r->pairs);
    free(r->epoch);
    free(r->entropy);
    free(r->arch);
    free(r->pair_arch);
    free(r->pair_oneshot);
    free(r->pair_true);
    memset(r, 0, sizeof *r);
}

/* Names end up in CSV fields and plot labels: printable, no comma/quote. */
static int check_label(const char *path, const char *key, const char *s, ws_error *err)
{
    size_t n = strlen(s);
    if (n == 0 || n >= WS_RUNDIR_NAME_MAX)
        return ws_error_set(err, WS_EFORMAT, "%s: \"%s\": expected 1..%d characters", path, key,
                            WS_RUNDIR_NAME_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || ch == ',' || ch == '"' || ch == '\\')
            return ws_error_set(err, WS_EFORMAT,
                                "%s: \"%s\" '%s': expected no commas, quotes, backslashes or "
                                "control characters",
                                path, key, s);
    }
    return 0;
}

/* The manifest's config without the keys that legitimately differ. */
static cJSON *normalised_config(const cJSON *manifest)
{
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(manifest, "config");
    cJSON *c = cfg ? cJSON_Duplicate(cfg, 1) : cJSON_CreateObject();
    if (!c) return NULL;
    static const char *const ignore[] = {"seed", "out", "resume", "threads", "data_dir"};
    for (size_t i = 0; i < WS_ARRAY_LEN(ignore); i++)
        cJSON_DeleteItemFromObjectCaseSensitive(c, ignore[i]);
    return c;
}

static int parse_arch(const ws_space *sp, const char *path, size_t line, const char *what,
                      const char *s, int *idx, ws_error *err)
{
    if (ws_space_lookup(sp, s, idx, err))
        return ws_error_prefix(err, "%s:%zu: column '%s'", path, line, what);
    return 0;
}

static int load_epochs(ws_rundir *r, const ws_space *sp, ws_error *err)
{
    char path[WS_RUNDIR_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/epochs.csv", r->dir);
    int rc = ws_csv_read(path, &r->epochs, err);
    if (rc) return rc;
    const ws_csv *c = r->epochs;
    int ce = ws_csv_col(c, "epoch"), ch = ws_csv_col(c, "entropy");
    int ca = ws_csv_col(c, "arch");
    if (ca < 0) ca = ws_csv_col(c, "arch_index");
    if (ce < 0 || ch < 0 || ca < 0)
        return ws_error_set(err, WS_EFORMAT,
                            "%s:1: expected columns epoch, entropy and arch (or arch_index)",
                            path);
    if (c->n_rows == 0)
        return ws_error_set(err, WS_EFORMAT, "%s: no epochs: expected at least one data row",
                            path);
    r->n_epochs = (int)c->n_rows;
    r->epoch = malloc(c->n_rows * sizeof *r->epoch);
    r->entropy = malloc(c->n_rows * sizeof *r->entropy);
    r->arch = malloc(c->n_rows * sizeof *r->arch);
    if (!r->epoch || !r->entropy || !r->arch)
        return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < c->n_rows; i++) {
        double e;
        if ((rc = ws_csv_double(c, i, ce, &e, err))) return rc;
        if (e != floor(e) || e < 0 || e > 1e6)
            return ws_error_set(err, WS_EFORMAT,
                                "%s:%zu: column 'epoch': expected an integer >= 0, got '%s'", path,
                                i + 2, ws_csv_cell(c, i, ce));
        if (i > 0 && e <= r->epoch[i - 1])
            return ws_error_set(err, WS_EFORMAT,
                                "%s:%zu: column 'epoch': %g does not follow %d (expected "
                                "increasing epochs)",
                                path, i + 2, e, r->epoch[i - 1]);
        r->epoch[i] = (int)e;
        if ((rc = ws_csv_double(c, i, ch, &r->entropy[i], err))) return rc;
        if ((rc = parse_arch(sp, path, i + 2, c->header[ca], ws_csv_cell(c, i, ca), &r->arch[i],
                             err)))
            return rc;
    }
    return 0;
}

static int load_pairs(ws_rundir *r, ws_error *err)
{
    char path[WS_RUNDIR_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/eval_pairs.csv", r->dir);
    if (access(path, F_OK) != 0) return 0;
    int rc = ws_csv_read(path, &r->pairs, err);
    if (rc) return rc;
    const ws_csv *c = r->pairs;
    int ci = ws_csv_col(c, "arch_index"), co = ws_csv_col(c, "oneshot"),
        ct = ws_csv_col(c, "true");
    if (ci < 0 || co < 0 || ct < 0)
        return ws_error_set(err, WS_EFORMAT, "%s:1: expected columns arch_index, oneshot, true",
                            path);
    if (c->n_rows < 2)
        return ws_error_set(err, WS_EFORMAT, "%s: %zu pairs: expected at least 2", path,
                            c->n_rows);
    r->n_pairs = c->n_rows;
    r->pair_arch = malloc(c->n_rows * sizeof *r->pair_arch);
    r->pair_oneshot = malloc(c->n_rows * sizeof *r->pair_oneshot);
    r->pair_true = malloc(c->n_rows * sizeof *r->pair_true);
    if (!r->pair_arch || !r->pair_oneshot || !r->pair_true)
        return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < c->n_rows; i++) {
        double a;
        if ((rc = ws_csv_double(c, i, ci, &a, err))) return rc;
        if (a != floor(a) || a < 0 || a >= WS_ARCH_COUNT)
            return ws_error_set(err, WS_EFORMAT,
                                "%s:%zu: column 'arch_index': expected 0..%d, got '%s'", path,
                                i + 2, WS_ARCH_COUNT - 1, ws_csv_cell(c, i, ci));
        r->pair_arch[i] = (int)a;
        if ((rc = ws_csv_double(c, i, co, &r->pair_oneshot[i], err))) return rc;
        if ((rc = ws_csv_double(c, i, ct, &r->pair_true[i], err))) return rc;
    }
    return 0;
}

static const cJSON *manifest_item(const cJSON *manifest, const cJSON *config, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(manifest, key);
    if (!v && cJSON_IsObject(config)) v = cJSON_GetObjectItemCaseSensitive(config, key);
    return v;
}

int ws_rundir_load(const char *dir, const ws_space *sp, ws_rundir *r, ws_error *err)
{
    memset(r, 0, sizeof *r);
    if (strlen(dir) >= WS_RUNDIR_PATH_MAX)
        return ws_error_set(err, WS_EINVAL, "%.60s...: run directory path too long", dir);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    char path[WS_RUNDIR_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = NULL;
    int rc = ws_file_read_text(path, &text, err);
    if (rc) return ws_error_prefix(err, "not a search run directory");
    rc = ws_json_parse_text(text, path, 0, &r->manifest, err);
    free(text);
    if (rc) return rc;
    if (!cJSON_IsObject(r->manifest))
        return ws_error_set(err, WS_EFORMAT, "%s: expected a JSON object", path);
    /* method, seed and dataset at the top level, else in "config" */
    const cJSON *cf = cJSON_GetObjectItemCaseSensitive(r->manifest, "config");
    const cJSON *m = manifest_item(r->manifest, cf, "method");
    const cJSON *s = manifest_item(r->manifest, cf, "seed");
    const cJSON *d = manifest_item(r->manifest, cf, "dataset");
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(r->manifest, "final_arch");
    if (!fa) fa = cJSON_GetObjectItemCaseSensitive(r->manifest, "final_arch_index");
    if (!cJSON_IsString(m))
        return ws_error_set(err, WS_EFORMAT, "%s: \"method\": expected a string", path);
    if ((rc = check_label(path, "method", m->valuestring, err))) return rc;
    snprintf(r->method, sizeof r->method, "%s", m->valuestring);
    /* a suite variant (config "label") is reported under its own name */
    const cJSON *lb = cJSON_IsObject(cf) ? cJSON_GetObjectItemCaseSensitive(cf, "label") : NULL;
    if (lb && !cJSON_IsString(lb))
        return ws_error_set(err, WS_EFORMAT, "%s: \"config.label\": expected a string", path);
    if (lb && lb->valuestring[0]) {
        if ((rc = check_label(path, "config.label", lb->valuestring, err))) return rc;
        snprintf(r->method, sizeof r->method, "%s", lb->valuestring);
    }
    if (!cJSON_IsNumber(s) || s->valuedouble < 0 || s->valuedouble != floor(s->valuedouble) ||
        s->valuedouble > 9007199254740992.0)
        return ws_error_set(err, WS_EFORMAT, "%s: \"seed\": expected an integer >= 0", path);
    r->seed = (uint64_t)s->valuedouble;
    if (d) {
        if (!cJSON_IsString(d))
            return ws_error_set(err, WS_EFORMAT, "%s: \"dataset\": expected a string", path);
        if ((rc = check_label(path, "dataset", d->valuestring, err))) return rc;
        snprintf(r->dataset, sizeof r->dataset, "%s", d->valuestring);
    }
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(r->manifest, "config");
    if (cfg && !cJSON_IsObject(cfg))
        return ws_error_set(err, WS_EFORMAT, "%s: \"config\": expected an object", path);
    r->config = normalised_config(r->manifest);
    if (!r->config) return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    if ((rc = load_epochs(r, sp, err))) return rc;
    r->final_arch = r->arch[r->n_epochs - 1];
    if (fa) {
        char buf[32];
        const char *txt = NULL;
        if (cJSON_IsString(fa)) {
            txt = fa->valuestring;
        } else if (cJSON_IsNumber(fa)) {
            snprintf(buf, sizeof buf, "%.17g", fa->valuedouble);
            txt = buf;
        } else {
            return ws_error_set(err, WS_EFORMAT,
                                "%s: \"final_arch\": expected an architecture string or index",
                                path);
        }
        if (ws_space_lookup(sp, txt, &r->final_arch, err))
            return ws_error_prefix(err, "%s: \"final_arch\"", path);
    }
    snprintf(path, sizeof path, "%s/arch_weights.csv", dir);
    if (access(path, F_OK) == 0 && (rc = ws_csv_read(path, &r->weights, err))) return rc;
    return load_pairs(r, err);
}

/* The first key whose value differs between two config objects (NULL if equal). */
static const char *first_diff_key(const cJSON *a, const cJSON *b)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(b, it->string);
        if (!o || !cJSON_Compare(it, o, 1)) return it->string;
    }
    cJSON_ArrayForEach(it, b)
    {
        if (!cJSON_GetObjectItemCaseSensitive(a, it->string)) return it->string;
    }
    return NULL;
}

int ws_rundir_check_set(const ws_rundir *runs, int n, ws_error *err)
{
    for (int i = 0; i < n; i++) {
        const ws_rundir *a = &runs[i];
        for (int j = 0; j < i; j++) {
            const ws_rundir *b = &runs[j];
            if (!strcmp(a->method, b->method) && a->seed == b->seed)
                return ws_error_set(err, WS_EINVAL,
                                    "%s and %s are the same run (method %s, seed %llu): give "
                                    "each run once",
                                    b->dir, a->dir, a->method, (unsigned long long)a->seed);
        }
        const ws_rundir *f = &runs[0];
        if (strcmp(a->dataset, f->dataset))
            return ws_error_set(err, WS_EINVAL,
                                "mixed configurations: %s has dataset '%s', %s has '%s'", f->dir,
                                f->dataset, a->dir, a->dataset);
        if (!ws_csv_same_header(a->epochs, f->epochs))
            return ws_error_set(err, WS_EINVAL,
                                "mixed configurations: %s/epochs.csv and %s/epochs.csv have "
                                "different columns",
                                f->dir, a->dir);
        if (!a->weights != !f->weights || (a->weights && !ws_csv_same_header(a->weights, f->weights)))
            return ws_error_set(err, WS_EINVAL,
                                "mixed configurations: %s and %s differ in arch_weights.csv "
                                "(present or columns)",
                                f->dir, a->dir);
        for (int j = 0; j < i; j++) {
            const ws_rundir *b = &runs[j];
            if (strcmp(a->method, b->method)) continue;
            const char *key = first_diff_key(b->config, a->config);
            if (key)
                return ws_error_set(err, WS_EINVAL,
                                    "mixed configurations: %s and %s (method %s) differ in config "
                                    "key '%s'",
                                    b->dir, a->dir, a->method, key);
        }
    }
    return 0;
}
