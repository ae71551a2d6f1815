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
#include "wsnas/search.h"

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

/* The header of c is exactly `cols` (or `alt` if not NULL). */
static int check_header(const ws_csv *c, const char *cols, const char *alt, ws_error *err)
{
    char got[1024] = "";
    for (int k = 0; k < c->n_cols; k++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? "," : "", c->header[k]);
    if (!strcmp(got, cols) || (alt && !strcmp(got, alt))) return 0;
    return ws_error_set(err, WS_EFORMAT, "%s:1: expected the columns %s%s%s, got %s", c->path,
                        cols, alt ? " or " : "", alt ? alt : "", got);
}

/* Cell (row i, col) as a number in [lo, hi] (an integer if `integer`). */
static int cell_num(const ws_csv *c, size_t i, int col, double lo, double hi, int integer,
                    double *v, ws_error *err)
{
    int rc = ws_csv_double(c, i, col, v, err);
    if (rc) return rc;
    if ((integer && *v != floor(*v)) || *v < lo || *v > hi)
        return ws_error_set(err, WS_EFORMAT, "%s:%zu: column '%s': expected %s in [%g, %g], got '%s'",
                            c->path, i + 2, c->header[col], integer ? "an integer" : "a number",
                            lo, hi, ws_csv_cell(c, i, col));
    return 0;
}

/* Cell (row i, col) as an official architecture string: its index. */
static int cell_arch(const ws_space *sp, const ws_csv *c, size_t i, int col, ws_arch *a, int *idx,
                     ws_error *err)
{
    const char *s = ws_csv_cell(c, i, col);
    char official[WS_ARCH_STR_MAX];
    if (ws_arch_parse(s, a, err))
        return ws_error_prefix(err, "%s:%zu: column '%s'", c->path, i + 2, c->header[col]);
    ws_arch_format(a, official);
    if (strcmp(official, s))
        return ws_error_set(err, WS_EFORMAT, "%s:%zu: column '%s': expected the official string %s",
                            c->path, i + 2, c->header[col], official);
    *idx = ws_space_index(sp, a);
    return 0;
}

/* epochs.csv as `wsnas search` writes it: its columns, one row per epoch
 * from 0, every number in its range, arch an official string and arch_ops
 * its digits; as many rows as the manifest has epochs done (or more, for a
 * running search that has not rewritten its manifest), all when complete. */
static int load_epochs(ws_rundir *r, const ws_space *sp, const ws_search_manifest *m,
                       ws_error *err)
{
    enum { E_EPOCH, E_LR, E_TAU, E_LOSS, E_TACC, E_VACC, E_ENT, E_ARCH, E_OPS, E_WALL, E_IPS };
    static const double lo[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const double hi[] = {0, 1e6, 1e6, 1e9, 100, 100, 0, 0, 0, 1e9, 1e12};
    char path[WS_RUNDIR_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/epochs.csv", r->dir);
    int rc = ws_csv_read(path, &r->epochs, err);
    if (rc) return rc;
    const ws_csv *c = r->epochs;
    if ((rc = check_header(c, WS_SEARCH_EPOCHS_COLUMNS, NULL, err))) return rc;
    if (c->n_rows == 0)
        return ws_error_set(err, WS_EFORMAT, "%s: no epochs: expected at least one data row",
                            path);
    const int want_all = !strcmp(m->status, "complete");
    if (c->n_rows > (size_t)m->cfg.epochs || c->n_rows < (size_t)m->epochs_done ||
        (want_all && c->n_rows != (size_t)m->cfg.epochs))
        return ws_error_set(err, WS_EFORMAT,
                            "%s: %zu epochs: the manifest (%s, %d of %d epochs done) expects %s",
                            path, c->n_rows, m->status, m->epochs_done, m->cfg.epochs,
                            want_all ? "all" : "at least those done and at most all");
    r->n_epochs = (int)c->n_rows;
    r->epoch = malloc(c->n_rows * sizeof *r->epoch);
    r->entropy = malloc(c->n_rows * sizeof *r->entropy);
    r->arch = malloc(c->n_rows * sizeof *r->arch);
    if (!r->epoch || !r->entropy || !r->arch)
        return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    const double max_entropy = log((double)WS_OP_COUNT) + 1e-4;
    for (size_t i = 0; i < c->n_rows; i++) {
        double v;
        if ((rc = cell_num(c, i, E_EPOCH, (double)i, (double)i, 1, &v, err))) return rc;
        r->epoch[i] = (int)v;
        for (int k = E_LR; k <= E_IPS && !rc; k++) {
            if (k == E_ARCH || k == E_OPS) continue;
            rc = cell_num(c, i, k, lo[k], k == E_ENT ? max_entropy : hi[k], 0,
                          k == E_ENT ? &r->entropy[i] : &v, err);
        }
        ws_arch a;
        char digits[WS_EDGES + 1];
        if (!rc) rc = cell_arch(sp, c, i, E_ARCH, &a, &r->arch[i], err);
        if (rc) return rc;
        ws_arch_digits(&a, digits);
        if (strcmp(ws_csv_cell(c, i, E_OPS), digits))
            return ws_error_set(err, WS_EFORMAT,
                                "%s:%zu: column 'arch_ops': expected %s (the digits of column "
                                "'arch'), got '%s'",
                                path, i + 2, digits, ws_csv_cell(c, i, E_OPS));
    }
    return 0;
}

/* arch_weights.csv: for every epoch of epochs.csv, every edge and op in
 * order, a weight in [0, 1]; each edge's weights sum to 1. */
static int load_weights(ws_rundir *r, ws_error *err)
{
    char path[WS_RUNDIR_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/arch_weights.csv", r->dir);
    int rc = ws_csv_read(path, &r->weights, err);
    if (rc) return rc;
    const ws_csv *c = r->weights;
    if ((rc = check_header(c, WS_SEARCH_WEIGHTS_COLUMNS, NULL, err))) return rc;
    const size_t per = WS_EDGES * WS_OP_COUNT;
    if (c->n_rows != (size_t)r->n_epochs * per)
        return ws_error_set(err, WS_EFORMAT,
                            "%s: %zu rows: expected %zu (%d epochs of epochs.csv x %d edges x %d "
                            "ops)",
                            path, c->n_rows, (size_t)r->n_epochs * per, r->n_epochs, WS_EDGES,
                            WS_OP_COUNT);
    double sum = 0, v;
    for (size_t i = 0; i < c->n_rows; i++) {
        const int e = r->epoch[i / per], edge = (int)(i / WS_OP_COUNT % WS_EDGES);
        const char *op = ws_op_names[i % WS_OP_COUNT];
        if ((rc = cell_num(c, i, 0, e, e, 1, &v, err)) ||
            (rc = cell_num(c, i, 1, edge, edge, 1, &v, err)))
            return rc;
        if (strcmp(ws_csv_cell(c, i, 2), op))
            return ws_error_set(err, WS_EFORMAT, "%s:%zu: column 'op': expected %s, got '%s'",
                                path, i + 2, op, ws_csv_cell(c, i, 2));
        if ((rc = cell_num(c, i, 3, 0, 1, 0, &v, err))) return rc;
        sum = i % WS_OP_COUNT ? sum + v : v;
        if (i % WS_OP_COUNT == WS_OP_COUNT - 1 && fabs(sum - 1) > 1e-4)
            return ws_error_set(err, WS_EFORMAT,
                                "%s:%zu: epoch %d edge %d: the weights sum to %.9g (expected 1)",
                                path, i + 2, e, edge, sum);
    }
    return 0;
}

/* eval_pairs.csv as `wsnas eval` writes it (the truth column since it was
 * added): arch_index and arch the same architecture, each once; one-shot
 * accuracies in [0, 100], finite truths, one truth metric. */
static int load_pairs(ws_rundir *r, const ws_space *sp, ws_error *err)
{
    char path[WS_RUNDIR_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/eval_pairs.csv", r->dir);
    if (access(path, F_OK) != 0) return 0;
    int rc = ws_csv_read(path, &r->pairs, err);
    if (rc) return rc;
    const ws_csv *c = r->pairs;
    if ((rc = check_header(c, "arch_index,arch,oneshot,true,truth", "arch_index,arch,oneshot,true",
                           err)))
        return rc;
    if (c->n_rows < 2)
        return ws_error_set(err, WS_EFORMAT, "%s: %zu pairs: expected at least 2", path,
                            c->n_rows);
    r->n_pairs = c->n_rows;
    r->pair_arch = malloc(c->n_rows * sizeof *r->pair_arch);
    r->pair_oneshot = malloc(c->n_rows * sizeof *r->pair_oneshot);
    r->pair_true = malloc(c->n_rows * sizeof *r->pair_true);
    uint8_t *seen = calloc(WS_ARCH_COUNT, 1);
    if (!r->pair_arch || !r->pair_oneshot || !r->pair_true || !seen) {
        free(seen);
        return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; i < c->n_rows && !rc; i++) {
        double a;
        ws_arch arch;
        int idx = -1;
        if ((rc = cell_num(c, i, 0, 0, WS_ARCH_COUNT - 1, 1, &a, err)) ||
            (rc = cell_arch(sp, c, i, 1, &arch, &idx, err)))
            break;
        r->pair_arch[i] = (int)a;
        if (idx != (int)a)
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s:%zu: column 'arch' is architecture %d, column 'arch_index' says "
                              "%d",
                              path, i + 2, idx, (int)a);
        else if (seen[idx]++)
            rc = ws_error_set(err, WS_EFORMAT, "%s:%zu: architecture %d appears twice", path,
                              i + 2, idx);
        if (!rc) rc = cell_num(c, i, 2, 0, 100, 0, &r->pair_oneshot[i], err);
        if (!rc) rc = ws_csv_double(c, i, 3, &r->pair_true[i], err);
        if (!rc && c->n_cols == 5 && (!ws_csv_cell(c, i, 4)[0] ||
                                      strcmp(ws_csv_cell(c, i, 4), ws_csv_cell(c, 0, 4))))
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s:%zu: column 'truth': expected '%s' (one truth metric per file)",
                              path, i + 2, ws_csv_cell(c, 0, 4));
    }
    free(seen);
    return rc;
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
    /* every key of the manifest wsnas search writes, checked (manifest.c) */
    ws_search_manifest m;
    if ((rc = ws_search_manifest_check(r->manifest, path, &m, err))) return rc;
    /* a suite variant (config "label") is reported under its own name */
    const char *name = m.cfg.label[0] ? m.cfg.label : m.cfg.method;
    if ((rc = check_label(path, m.cfg.label[0] ? "config.label" : "config.method", name, err)) ||
        (rc = check_label(path, "config.dataset", m.cfg.dataset, err)))
        return rc;
    snprintf(r->method, sizeof r->method, "%s", name);
    snprintf(r->dataset, sizeof r->dataset, "%s", m.cfg.dataset);
    r->seed = m.cfg.seed;
    r->config = normalised_config(r->manifest);
    if (!r->config) return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    if ((rc = load_epochs(r, sp, &m, err)) || (rc = load_weights(r, err))) return rc;
    r->final_arch = m.has_final ? ws_space_index(sp, &m.final_arch) : r->arch[r->n_epochs - 1];
    return load_pairs(r, sp, err);
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
