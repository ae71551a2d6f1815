/* build.c: `wsnas table build` and `merge`: the build state (results per
 * row for every recipe seed), the resume sidecar files, the training loop
 * (serial, sharded or split across MPI ranks with rank 0 gathering), the
 * atomic table writer and the merge of shards.  Format and semantics in
 * include/wsnas/tablebuild.h. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table_internal.h"
#include "wsnas/par.h"
#include "wsnas/tablebuild.h"

#define PROGRESS_MAGIC "wsnas-build-progress 1"

/* Results of one benchmark, per row (every member of a trained class). */
typedef struct build_state {
    int n_seeds, epochs;
    uint8_t filled[WS_ARCH_COUNT];
    double valid[WS_BUILD_MAX_SEEDS][WS_ARCH_COUNT];
    double test[WS_BUILD_MAX_SEEDS][WS_ARCH_COUNT];
    double seconds[WS_ARCH_COUNT]; /* mean over seeds */
} build_state;

static build_state *state_alloc(const ws_build_recipe *r, ws_error *err)
{
    build_state *s = malloc(sizeof *s);
    if (!s) {
        ws_error_set(err, WS_ENOMEM, "out of memory");
        return NULL;
    }
    memset(s->filled, 0, sizeof s->filled);
    for (int k = 0; k < WS_BUILD_MAX_SEEDS; k++)
        for (int i = 0; i < WS_ARCH_COUNT; i++) s->valid[k][i] = s->test[k][i] = NAN;
    for (int i = 0; i < WS_ARCH_COUNT; i++) s->seconds[i] = NAN;
    s->n_seeds = r->n_seeds;
    s->epochs = r->epochs;
    return s;
}

/* Records one class's results (per seed valid, test, seconds) for every
 * member of the class of `rep`. */
static void state_put(build_state *s, const ws_space *sp, int rep, const double *v,
                      const double *t, const double *sec)
{
    int members[WS_ARCH_COUNT];
    int m = ws_space_iso_members(sp, rep, members, WS_ARCH_COUNT);
    double mean_s = 0;
    for (int k = 0; k < s->n_seeds; k++) mean_s += sec[k];
    mean_s /= s->n_seeds;
    for (int j = 0; j < m; j++) {
        int i = members[j];
        for (int k = 0; k < s->n_seeds; k++) {
            s->valid[k][i] = v[k];
            s->test[k][i] = t[k];
        }
        s->seconds[i] = mean_s;
        s->filled[i] = 1;
    }
}

static void metric_name(char *buf, size_t n, const char *what, int epochs, const uint32_t *seed)
{
    if (seed)
        snprintf(buf, n, "%s_%d_seed%u", what, epochs, (unsigned)*seed);
    else
        snprintf(buf, n, "%s_%d", what, epochs);
}

/* ---- reading a built benchmark from a table ------------------------------------ */

int ws_table_build_recipe(const char *path, const char *bench, ws_build_recipe *r, ws_error *err)
{
    ws_table *t = NULL;
    int rc = ws_table_open(path, &t, err);
    if (rc) return rc;
    const char *text = ws_table_bench_attr(t, bench, "recipe");
    if (!text) {
        rc = ws_error_set(err, WS_ENOTFOUND, "%s: benchmark '%s' has no build recipe", path,
                          bench);
    } else {
        ws_build_recipe_default(r);
        rc = ws_build_recipe_parse(text, r, err);
        if (rc) ws_error_prefix(err, "%s: benchmark '%s'", path, bench);
    }
    ws_table_close(t);
    return rc;
}

/* Loads the built benchmark `bench` of table t (path names it) into s; its
 * recipe text must equal `recipe_text`.  Absent benchmark: nothing loaded. */
static int state_load_table(build_state *s, const ws_table *t, const char *path, const char *bench,
                            const ws_build_recipe *r, const char *recipe_text, ws_error *err)
{
    if (!ws_table_metric_count(t, bench) && !ws_table_bench_attr(t, bench, "recipe")) return 0;
    const char *have = ws_table_bench_attr(t, bench, "recipe");
    if (!have)
        return ws_error_set(err, WS_EINVAL,
                            "%s: benchmark '%s' exists but was not made by a table build (no "
                            "recipe attribute)",
                            path, bench);
    if (strcmp(have, recipe_text))
        return ws_error_set(err, WS_EINVAL,
                            "%s: benchmark '%s' was built with recipe '%s', not '%s'", path, bench,
                            have, recipe_text);
    const uint8_t *filled = ws_table_filled(t, bench);
    if (!filled)
        return ws_error_set(err, WS_EFORMAT, "%s: benchmark '%s' has no filled mask", path,
                            bench);
    char name[WS_TABLE_NAME_MAX];
    const double *cv[WS_BUILD_MAX_SEEDS], *ct[WS_BUILD_MAX_SEEDS], *cs;
    for (int k = 0; k < r->n_seeds; k++) {
        metric_name(name, sizeof name, "valid_acc", r->epochs, &r->seeds[k]);
        cv[k] = ws_table_column(t, bench, name);
        metric_name(name, sizeof name, "test_acc", r->epochs, &r->seeds[k]);
        ct[k] = ws_table_column(t, bench, name);
        if (!cv[k] || !ct[k])
            return ws_error_set(err, WS_EFORMAT, "%s: benchmark '%s' lacks column %s", path,
                                bench, name);
    }
    metric_name(name, sizeof name, "train_seconds", r->epochs, NULL);
    cs = ws_table_column(t, bench, name);
    if (!cs)
        return ws_error_set(err, WS_EFORMAT, "%s: benchmark '%s' lacks column %s", path, bench,
                            name);
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        if (!filled[i]) continue;
        for (int k = 0; k < r->n_seeds; k++) {
            if (isnan(cv[k][i]) || isnan(ct[k][i]))
                return ws_error_set(err, WS_EFORMAT,
                                    "%s: benchmark '%s': row %d is marked filled but has no "
                                    "value for seed %u",
                                    path, bench, i, (unsigned)r->seeds[k]);
            s->valid[k][i] = cv[k][i];
            s->test[k][i] = ct[k][i];
        }
        s->seconds[i] = cs[i];
        s->filled[i] = 1;
    }
    return 0;
}

/* ---- progress sidecars ------------------------------------------------------------ */

/* A record is the valid, test and seconds of each seed, in seed order. */
_Static_assert(3 * WS_BUILD_MAX_SEEDS <= WS_SIDECAR_MAX_VALUES, "sidecar record too long");

typedef struct load_ctx {
    build_state *s;
    const ws_space *sp;
    const char *bench, *recipe_text;
    ws_error *err;
} load_ctx;

static void record_put(void *p, int rep, const double *x)
{
    load_ctx *c = p;
    double v[WS_BUILD_MAX_SEEDS], t[WS_BUILD_MAX_SEEDS], sec[WS_BUILD_MAX_SEEDS];
    for (int k = 0; k < c->s->n_seeds; k++) {
        v[k] = x[3 * k];
        t[k] = x[3 * k + 1];
        sec[k] = x[3 * k + 2];
    }
    state_put(c->s, c->sp, rep, v, t, sec);
}

static int load_cb(const char *file, void *p)
{
    load_ctx *c = p;
    ws_sidecar_format fmt = {PROGRESS_MAGIC, c->bench, c->recipe_text, 3 * c->s->n_seeds, 0,
                             "valid test seconds per seed"};
    return ws_sidecar_read(file, &fmt, c->sp, record_put, c, c->err);
}

static int progress_append(FILE *f, const char *file, int rep, int n_seeds, const double *v,
                           const double *t, const double *sec, ws_error *err)
{
    double x[3 * WS_BUILD_MAX_SEEDS];
    for (int k = 0; k < n_seeds; k++) {
        x[3 * k] = v[k];
        x[3 * k + 1] = t[k];
        x[3 * k + 2] = sec[k];
    }
    return ws_sidecar_append(f, file, rep, x, 3 * n_seeds, err);
}

/* ---- writing ------------------------------------------------------------------------- */

/* Writes the benchmark of s into `out`: a copy of `base` modified in
 * out.raw.tmp, compacted into out (ws_table_compact); `base`
 * (may equal out, or be NULL = out if it exists) is the table whose other
 * content is kept. */
static int state_write(const build_state *s, const char *out, const char *base, const char *bench,
                       const ws_build_recipe *r, const char *recipe_text, const char *description,
                       ws_error *err)
{
    char tmp[4096], name[WS_TABLE_NAME_MAX], text[64], ep[16];
    hid_t f = -1;
    int rc = ws_table_raw_path(out, tmp, sizeof tmp, err);
    if (rc) return rc;
    if (!base && access(out, F_OK) == 0) base = out;
    if (base) {
        if ((rc = ws_h5_open(base, 0, &f, err))) return rc;
        if ((rc = ws_h5_close(f, base, err))) return rc;
        if ((rc = ws_file_copy(base, tmp, err))) return rc;
        rc = ws_h5_open(tmp, 1, &f, err);
    } else {
        rc = ws_h5_create(tmp, &f, err);
    }
    if (rc) {
        remove(tmp);
        return rc;
    }
    snprintf(ep, sizeof ep, "%d", r->epochs);
    double *col = malloc(WS_ARCH_COUNT * sizeof *col);
    if (!col) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    /* per seed, then means */
    for (int k = 0; !rc && k < r->n_seeds; k++) {
        snprintf(text, sizeof text, "%u", (unsigned)r->seeds[k]);
        const char *va[] = {"split", "valid", "epochs", ep, "seed", text, "unit", "%",
                            "description", "top-1 accuracy on the recipe's valid images, one seed",
                            "source", "wsnas table build", NULL};
        const char *ta[] = {"split", "test", "epochs", ep, "seed", text, "unit", "%",
                            "description", "top-1 accuracy on the recipe's test images, one seed",
                            "source", "wsnas table build", NULL};
        metric_name(name, sizeof name, "valid_acc", r->epochs, &r->seeds[k]);
        rc = ws_h5_write_column(f, out, bench, name, s->valid[k], va, err);
        metric_name(name, sizeof name, "test_acc", r->epochs, &r->seeds[k]);
        if (!rc) rc = ws_h5_write_column(f, out, bench, name, s->test[k], ta, err);
    }
    for (int which = 0; !rc && which < 2; which++) {
        const double(*src)[WS_ARCH_COUNT] = which ? s->test : s->valid;
        for (int i = 0; i < WS_ARCH_COUNT; i++) {
            if (!s->filled[i]) {
                col[i] = NAN;
                continue;
            }
            double m = 0;
            for (int k = 0; k < r->n_seeds; k++) m += src[k][i];
            col[i] = m / r->n_seeds;
        }
        const char *a[] = {"split", which ? "test" : "valid", "epochs", ep, "seed", "mean",
                           "unit", "%", "description",
                           which ? "top-1 accuracy on the recipe's test images, mean over seeds"
                                 : "top-1 accuracy on the recipe's valid images, mean over seeds",
                           "source", "wsnas table build", NULL};
        metric_name(name, sizeof name, which ? "test_acc" : "valid_acc", r->epochs, NULL);
        rc = ws_h5_write_column(f, out, bench, name, col, a, err);
    }
    if (!rc) {
        const char *a[] = {"epochs", ep, "unit", "s", "description",
                           "wall seconds of one seed's training, mean over seeds", "source",
                           "wsnas table build", NULL};
        metric_name(name, sizeof name, "train_seconds", r->epochs, NULL);
        rc = ws_h5_write_column(f, out, bench, name, s->seconds, a, err);
    }
    if (!rc) rc = ws_h5_write_filled(f, out, bench, s->filled, err);
    if (!rc) rc = ws_h5_set_bench_attr(f, out, bench, "recipe", recipe_text, err);
    if (!rc) rc = ws_h5_set_bench_attr(f, out, bench, "built_by", "wsnas table build", err);
    if (!rc && description)
        rc = ws_h5_set_bench_attr(f, out, bench, "description", description, err);
    /* one attribute per recipe key, for readers of the file alone */
    char rt[WS_BUILD_RECIPE_MAX];
    snprintf(rt, sizeof rt, "%s", recipe_text);
    char *save = NULL;
    for (char *item = strtok_r(rt, ";", &save); !rc && item; item = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) continue;
        *eq = '\0';
        char key[WS_TABLE_NAME_MAX];
        snprintf(key, sizeof key, "recipe_%s", item);
        rc = ws_h5_set_bench_attr(f, out, bench, key, eq + 1, err);
    }
    free(col);
    int crc = ws_h5_close(f, tmp, rc ? NULL : err);
    if (!rc) rc = crc;
    if (!rc) return ws_table_compact(tmp, out, err);
    remove(tmp);
    return rc;
}

/* ---- the build ---------------------------------------------------------------------- */

/* Serialised results of one rank for the gather: per class 1 + 3*S doubles. */
static int gather_results(build_state *s, const ws_space *sp, const double *mine, int n_mine,
                          int rank, ws_error *err)
{
    double *all = NULL;
    int total = 0;
    int rc = ws_par_gatherv_double(mine, n_mine, &all, &total, err);
    if (rc || rank != 0) {
        free(all);
        return rc;
    }
    int rec = 1 + 3 * s->n_seeds;
    for (int o = 0; o + rec <= total; o += rec) {
        double v[WS_BUILD_MAX_SEEDS], t[WS_BUILD_MAX_SEEDS], sec[WS_BUILD_MAX_SEEDS];
        for (int k = 0; k < s->n_seeds; k++) {
            v[k] = all[o + 1 + 3 * k];
            t[k] = all[o + 2 + 3 * k];
            sec[k] = all[o + 3 + 3 * k];
        }
        state_put(s, sp, (int)all[o], v, t, sec);
    }
    free(all);
    return 0;
}

int ws_table_build(const ws_build_opts *o, int *trained, int *remaining, ws_error *err)
{
    const ws_build_recipe *r = o->recipe;
    char recipe_text[WS_BUILD_RECIPE_MAX], pfile[4200];
    int rc = ws_build_recipe_check(r, err);
    if (!rc) rc = ws_build_recipe_format(r, recipe_text, sizeof recipe_text, err);
    if (!rc) rc = ws_table_check_name("benchmark", o->bench, err);
    if (rc) return rc;
    if (trained) *trained = 0;
    if (remaining) *remaining = 0;
    int rank = o->size > 1 ? o->rank : 0, size = o->size > 1 ? o->size : 1;

    ws_space *sp = ws_space_alloc();
    build_state *s = sp ? state_alloc(r, err) : NULL;
    if (!sp || !s) {
        ws_space_free(sp);
        free(s);
        return sp ? (err ? err->code : WS_ENOMEM) : ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    /* 1. what is done already: the table, then every progress sidecar */
    if (access(o->out, F_OK) == 0) {
        ws_table *t = NULL;
        rc = ws_table_open(o->out, &t, err);
        if (!rc) rc = state_load_table(s, t, o->out, o->bench, r, recipe_text, err);
        ws_table_close(t);
    }
    load_ctx lc = {s, sp, o->bench, recipe_text, err};
    if (!rc) rc = ws_sidecar_for_each(o->out, load_cb, &lc, err);
    /* every rank has read the sidecars before anyone appends */
    int any = rc;
    if (ws_par_allreduce_max_int(&any, err) && !rc) rc = err ? err->code : WS_EMPI;
    if (!rc && any) rc = ws_error_set(err, WS_EMPI, "another rank failed to load the state");

    /* 2. this rank's work: unfilled items of the set, split across ranks */
    int *todo = NULL, n_todo = 0, n_unfilled = 0;
    if (!rc && !(todo = malloc((size_t)(o->set->n + 1) * sizeof *todo)))
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    for (int j = 0; !rc && j < o->set->n; j++) {
        int rep = o->set->index[j];
        if (rep < 0 || rep >= WS_ARCH_COUNT || ws_space_iso_class(sp, rep) != rep) {
            rc = ws_error_set(err, WS_EINVAL, "set item %d (%d) is not a class representative",
                              j, rep);
            break;
        }
        if (s->filled[rep]) continue;
        if (n_unfilled++ % size == rank) todo[n_todo++] = rep;
    }
    if (!rc && o->limit > 0 && n_todo > o->limit) n_todo = o->limit;

    /* 3. train, appending each result to this rank's sidecar */
    FILE *pf = NULL;
    double *mine = NULL;
    int n_mine = 0, done = 0, rec = 1 + 3 * r->n_seeds;
    ws_sidecar_path(pfile, sizeof pfile, o->out, rank, size);
    if (!rc && n_todo > 0) rc = ws_sidecar_open(&pf, pfile, PROGRESS_MAGIC, o->bench, recipe_text, err);
    if (!rc && !(mine = malloc((size_t)(n_todo * rec + 1) * sizeof *mine)))
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    for (int j = 0; !rc && j < n_todo; j++) {
        int rep = todo[j];
        ws_arch a = ws_space_arch(sp, rep);
        double v[WS_BUILD_MAX_SEEDS], t[WS_BUILD_MAX_SEEDS], sec[WS_BUILD_MAX_SEEDS];
        for (int k = 0; !rc && k < r->n_seeds; k++) {
            rc = o->train(o->train_ctx, r, &a, k, &v[k], &t[k], &sec[k], err);
            if (rc) ws_error_prefix(err, "training index %d seed %u", rep, (unsigned)r->seeds[k]);
        }
        if (rc) break;
        rc = progress_append(pf, pfile, rep, r->n_seeds, v, t, sec, err);
        if (rc) break;
        state_put(s, sp, rep, v, t, sec);
        double *m = mine + n_mine * rec;
        m[0] = rep;
        for (int k = 0; k < r->n_seeds; k++) {
            m[1 + 3 * k] = v[k];
            m[2 + 3 * k] = t[k];
            m[3 + 3 * k] = sec[k];
        }
        n_mine++;
        done++;
        if (o->progress) {
            ws_build_progress p = {done, n_todo, rep, 0, 0, 0};
            for (int k = 0; k < r->n_seeds; k++) {
                p.valid_acc += v[k] / r->n_seeds;
                p.test_acc += t[k] / r->n_seeds;
                p.seconds += sec[k] / r->n_seeds;
            }
            o->progress(o->progress_ctx, &p);
        }
    }
    if (pf) fclose(pf);
    free(todo);

    /* 4. agree on success, gather at rank 0, write, drop the sidecars */
    any = rc;
    if (size > 1) {
        ws_error e2 = {0};
        if (ws_par_allreduce_max_int(&any, &e2) && !rc) {
            rc = e2.code;
            if (err) *err = e2;
        }
        if (!rc && any) rc = ws_error_set(err, WS_EMPI, "another rank failed (see its message)");
        if (!rc) rc = gather_results(s, sp, mine, n_mine * rec, rank, err);
    }
    free(mine);
    if (!rc && rank == 0)
        rc = state_write(s, o->out, NULL, o->bench, r, recipe_text, o->description, err);
    if (size > 1) {
        any = rc;
        ws_error e2 = {0};
        if (ws_par_allreduce_max_int(&any, &e2) && !rc) {
            rc = e2.code;
            if (err) *err = e2;
        }
        if (!rc && any) rc = ws_error_set(err, WS_EMPI, "rank 0 failed to write the table");
    }
    if (!rc) {
        if (rank == 0) ws_sidecar_remove_all(o->out);
        int left = 0;
        for (int j = 0; j < o->set->n; j++) left += !s->filled[o->set->index[j]];
        if (trained) *trained = done;
        if (remaining) *remaining = left;
    }
    ws_space_free(sp);
    free(s);
    return rc;
}

/* ---- merge --------------------------------------------------------------------------- */

int ws_table_merge(const char *out, const char *bench, const char *const *inputs, int n_inputs,
                   ws_error *err)
{
    if (n_inputs < 1) return ws_error_set(err, WS_EINVAL, "merge: no input tables");
    ws_build_recipe r;
    char recipe_text[WS_BUILD_RECIPE_MAX], description[1024] = "";
    int rc = ws_table_build_recipe(inputs[0], bench, &r, err);
    if (!rc) rc = ws_build_recipe_format(&r, recipe_text, sizeof recipe_text, err);
    if (rc) return rc;
    ws_space *sp = ws_space_alloc();
    build_state *s = sp ? state_alloc(&r, err) : NULL, *one = s ? state_alloc(&r, err) : NULL;
    if (!sp || !s || !one) {
        ws_space_free(sp);
        free(s);
        free(one);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    for (int n = 0; !rc && n < n_inputs; n++) {
        ws_table *t = NULL;
        rc = ws_table_open(inputs[n], &t, err);
        if (rc) break;
        const char *have = ws_table_bench_attr(t, bench, "recipe");
        if (!have)
            rc = ws_error_set(err, WS_EINVAL, "%s: no built benchmark '%s' (no recipe attribute)",
                              inputs[n], bench);
        else if (strcmp(have, recipe_text))
            rc = ws_error_set(err, WS_EINVAL,
                              "%s: benchmark '%s' was built with recipe '%s', but %s with '%s': "
                              "refusing to merge different recipes",
                              inputs[n], bench, have, inputs[0], recipe_text);
        if (!rc && n == 0 && ws_table_bench_attr(t, bench, "description"))
            snprintf(description, sizeof description, "%s",
                     ws_table_bench_attr(t, bench, "description"));
        if (!rc) {
            memset(one->filled, 0, sizeof one->filled);
            rc = state_load_table(one, t, inputs[n], bench, &r, recipe_text, err);
        }
        ws_table_close(t);
        for (int i = 0; !rc && i < WS_ARCH_COUNT; i++) {
            if (!one->filled[i]) continue;
            if (s->filled[i]) {
                for (int k = 0; k < r.n_seeds; k++)
                    if (memcmp(&s->valid[k][i], &one->valid[k][i], sizeof(double)) ||
                        memcmp(&s->test[k][i], &one->test[k][i], sizeof(double))) {
                        rc = ws_error_set(err, WS_EINVAL,
                                          "%s: index %d (seed %u) differs from an earlier input "
                                          "(%.17g vs %.17g valid): refusing to merge",
                                          inputs[n], i, (unsigned)r.seeds[k], one->valid[k][i],
                                          s->valid[k][i]);
                        break;
                    }
                continue;
            }
            for (int k = 0; k < r.n_seeds; k++) {
                s->valid[k][i] = one->valid[k][i];
                s->test[k][i] = one->test[k][i];
            }
            s->seconds[i] = one->seconds[i];
            s->filled[i] = 1;
        }
    }
    if (!rc)
        rc = state_write(s, out, inputs[0], bench, &r, recipe_text,
                         description[0] ? description : NULL, err);
    ws_space_free(sp);
    free(s);
    free(one);
    return rc;
}
