/* run.c: scoring a set of classes into a proxy benchmark (ws_proxy_run):
 * what is done already (the table, then the progress sidecars), this rank's
 * share, scorers in parallel threads (one network each; inner kernels run
 * single-threaded, so the scores do not depend on the thread count), one
 * fsynced sidecar line per class, the gather at rank 0 under MPI and the
 * atomic write; and ws_proxy_merge.  Format in include/wsnas/proxy.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../table/table_internal.h"
#include "internal.h"
#include "wsnas/par.h"

#define PROGRESS_MAGIC "wsnas-proxy-progress 1"

/* Scores per row for the recipe's proxies, and the filled mask. */
typedef struct proxy_state {
    int n;                        /* proxies */
    uint8_t filled[WS_ARCH_COUNT];
    double *v;                    /* [n][WS_ARCH_COUNT] */
} proxy_state;

static int state_init(proxy_state *s, int n, ws_error *err)
{
    memset(s->filled, 0, sizeof s->filled);
    s->n = n;
    s->v = malloc((size_t)n * WS_ARCH_COUNT * sizeof *s->v);
    if (!s->v) return ws_error_set(err, WS_ENOMEM, "proxy: out of memory");
    for (size_t i = 0; i < (size_t)n * WS_ARCH_COUNT; i++) s->v[i] = NAN;
    return 0;
}

/* One class's scores for every member; params and flops per member. */
static void state_put(proxy_state *s, const ws_space *sp, const ws_proxy_recipe *r, int rep,
                      const double *v)
{
    int members[WS_ARCH_COUNT];
    int m = ws_space_iso_members(sp, rep, members, WS_ARCH_COUNT);
    ws_macro mac = proxy_macro(r, 10);
    for (int j = 0; j < m; j++) {
        int i = members[j];
        ws_arch a = ws_space_arch(sp, i);
        for (int p = 0; p < s->n; p++) {
            double x = v[p];
            if (r->proxies[p] == WS_PROXY_PARAMS) x = (double)ws_arch_param_count(&a, &mac);
            if (r->proxies[p] == WS_PROXY_FLOPS) x = (double)ws_arch_flops(&a, &mac);
            s->v[(size_t)p * WS_ARCH_COUNT + i] = x;
        }
        s->filled[i] = 1;
    }
}

/* ---- the benchmark in a table ----------------------------------------------------- */

int ws_proxy_is_benchmark(const char *path, const char *bench)
{
    ws_table *t = NULL;
    if (ws_table_open(path, &t, NULL)) return 0;
    int yes = ws_table_bench_attr(t, bench, "proxy_recipe") != NULL;
    ws_table_close(t);
    return yes;
}

/* Loads `bench` of t (named path) into s; its recipe must be recipe_text.
 * An absent benchmark loads nothing. */
static int state_load_table(proxy_state *s, const ws_table *t, const char *path,
                            const char *bench, const ws_proxy_recipe *r, const char *recipe_text,
                            ws_error *err)
{
    if (!ws_table_metric_count(t, bench) && !ws_table_bench_attr(t, bench, "proxy_recipe"))
        return 0;
    const char *have = ws_table_bench_attr(t, bench, "proxy_recipe");
    if (!have)
        return ws_error_set(err, WS_EINVAL,
                            "%s: benchmark '%s' exists but is not a proxy benchmark (no "
                            "proxy_recipe attribute)",
                            path, bench);
    if (strcmp(have, recipe_text))
        return ws_error_set(err, WS_EINVAL,
                            "%s: benchmark '%s' was scored with recipe '%s', not '%s' (choose "
                            "another --bench, or the same proxies and seed)",
                            path, bench, have, recipe_text);
    const uint8_t *filled = ws_table_filled(t, bench);
    if (!filled)
        return ws_error_set(err, WS_EFORMAT, "%s: benchmark '%s' has no filled mask", path, bench);
    for (int p = 0; p < s->n; p++) {
        const char *name = ws_proxy_names[r->proxies[p]];
        const double *col = ws_table_column(t, bench, name);
        if (!col)
            return ws_error_set(err, WS_EFORMAT, "%s: benchmark '%s' lacks column %s", path,
                                bench, name);
        for (int i = 0; i < WS_ARCH_COUNT; i++)
            if (filled[i]) s->v[(size_t)p * WS_ARCH_COUNT + i] = col[i];
    }
    for (int i = 0; i < WS_ARCH_COUNT; i++) s->filled[i] |= filled[i] != 0;
    return 0;
}

/* Writes the benchmark of s into out: a copy of `base` modified in
 * out.raw.tmp, compacted into out (ws_table_compact); `base` (NULL:
 * out if it exists) is the table whose other content is kept. */
static int state_write(const proxy_state *s, const char *out, const char *base, const char *bench,
                       const ws_proxy_recipe *r, const char *recipe_text, const char *description,
                       ws_error *err)
{
    char tmp[4096], batch[16], seed[32];
    hid_t f = -1;
    int rc = ws_table_raw_path(out, tmp, sizeof tmp, err);
    if (rc) return rc;
    if (!base && access(out, F_OK) == 0) base = out;
    if (base) {
        if ((rc = ws_h5_open(base, 0, &f, err)) || (rc = ws_h5_close(f, base, err))) return rc;
        if ((rc = ws_file_copy(base, tmp, err))) return rc;
        rc = ws_h5_open(tmp, 1, &f, err);
    } else {
        rc = ws_h5_create(tmp, &f, err);
    }
    if (rc) {
        remove(tmp);
        return rc;
    }
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)r->seed);
    for (int p = 0; !rc && p < s->n; p++) {
        int id = r->proxies[p];
        snprintf(batch, sizeof batch, "%d", ws_proxy_batch_size(id));
        const char *attrs[] = {"batch", batch, "seed", seed, "definition", ws_proxy_definition(id),
                               "reference", ws_proxy_reference(id), "better", "higher",
                               "source", "wsnas proxy", NULL};
        rc = ws_h5_write_column(f, out, bench, ws_proxy_names[id], s->v + (size_t)p * WS_ARCH_COUNT,
                                attrs, err);
    }
    if (!rc) rc = ws_h5_write_filled(f, out, bench, s->filled, err);
    if (!rc) rc = ws_h5_set_bench_attr(f, out, bench, "proxy_recipe", recipe_text, err);
    if (!rc) rc = ws_h5_set_bench_attr(f, out, bench, "built_by", "wsnas proxy", err);
    if (!rc)
        rc = ws_h5_set_bench_attr(f, out, bench, "description",
                                  description ? description
                                              : "zero-cost proxies at initialisation "
                                                "(include/wsnas/proxy.h)",
                                  err);
    int crc = ws_h5_close(f, tmp, rc ? NULL : err);
    if (!rc) rc = crc;
    if (!rc) return ws_table_compact(tmp, out, err);
    remove(tmp);
    return rc;
}

/* ---- progress sidecars --------------------------------------------------------------- */

_Static_assert(WS_PROXY_COUNT <= WS_SIDECAR_MAX_VALUES, "sidecar record too long");

typedef struct load_ctx {
    proxy_state *s;
    const ws_space *sp;
    const ws_proxy_recipe *r;
    const char *bench, *recipe_text;
    ws_error *err;
} load_ctx;

static void record_put(void *p, int rep, const double *v)
{
    load_ctx *c = p;
    state_put(c->s, c->sp, c->r, rep, v);
}

/* One sidecar into s: a record is the recipe's scores (NaN allowed: a
 * proxy undefined on that class). */
static int load_cb(const char *file, void *p)
{
    load_ctx *c = p;
    ws_sidecar_format fmt = {PROGRESS_MAGIC, c->bench, c->recipe_text, c->s->n, 1,
                             "one score per proxy"};
    return ws_sidecar_read(file, &fmt, c->sp, record_put, c, c->err);
}

/* ---- scoring ----------------------------------------------------------------------------- */

typedef struct work {
    const ws_proxy_opts *o;
    const ws_space *sp;
    proxy_state *s;
    const int *todo;
    int n_todo;
    int next, done, failed;
    FILE *pf;
    const char *pfile;
    double *mine; /* per scored class: index + scores */
    int n_mine;
    ws_error err;
} work;

/* One thread: its own scorer; takes classes in order, records each. */
static void worker(work *w, const ws_proxy_data *data)
{
    const ws_proxy_recipe *r = w->o->recipe;
    ws_proxy_scorer *sc = NULL;
    ws_error e = {0};
    ws_proxy_batch none = {0};
    int rc = ws_proxy_scorer_alloc(r, 10, data ? ws_proxy_data_grad(data) : none,
                                   data ? ws_proxy_data_naswot(data) : none, &sc, &e);
    int rec = 1 + r->n_proxies;
    double v[WS_PROXY_COUNT];
    for (;;) {
        int j = -1;
#pragma omp critical(proxy_take)
        {
            if (!rc && !w->failed && w->next < w->n_todo) j = w->next++;
        }
        if (j < 0) break;
        int rep = w->todo[j];
        ws_arch a = ws_space_arch(w->sp, rep);
        rc = ws_proxy_score(sc, &a, v, &e);
        if (rc) ws_error_prefix(&e, "index %d", rep);
#pragma omp critical(proxy_record)
        {
            if (!rc) rc = ws_sidecar_append(w->pf, w->pfile, rep, v, r->n_proxies, &e);
            if (!rc) {
                state_put(w->s, w->sp, r, rep, v);
                double *m = w->mine + (size_t)w->n_mine++ * rec;
                m[0] = rep;
                memcpy(m + 1, v, (size_t)r->n_proxies * sizeof *v);
                w->done++;
                if (w->o->progress) {
                    ws_proxy_progress p = {w->done, w->n_todo, rep};
                    w->o->progress(w->o->progress_ctx, &p);
                }
            }
        }
        if (rc) break;
    }
    ws_proxy_scorer_free(sc);
    if (rc) {
#pragma omp critical(proxy_record)
        {
            if (!w->failed) w->err = e;
            w->failed = 1;
        }
    }
}

static int score_todo(work *w, ws_error *err)
{
    const ws_proxy_opts *o = w->o;
    ws_proxy_data *data = NULL;
    int need = 0, rc = 0; /* synflow, params and flops read no images */
    for (int i = 0; i < o->recipe->n_proxies; i++) need |= ws_proxy_batch_size(o->recipe->proxies[i]) > 1;
    if (need) rc = ws_proxy_data_load(o->recipe, o->data_dir, o->split_file, &data, err);
    if (rc) return rc;
    int T = o->threads > 0 ? o->threads : 1;
    if (T > w->n_todo) T = w->n_todo > 0 ? w->n_todo : 1;
#ifdef _OPENMP
    omp_set_max_active_levels(1); /* kernels inside a worker run single-threaded */
#pragma omp parallel num_threads(T)
#endif
    worker(w, data);
    ws_proxy_data_free(data);
    if (w->failed) {
        if (err) *err = w->err;
        return w->err.code ? w->err.code : WS_ESTATE;
    }
    return 0;
}

/* Everyone agrees on failure (MPI); returns the first error. */
static int agree(int rc, int size, const char *what, ws_error *err)
{
    if (size <= 1) return rc;
    int any = rc;
    ws_error e2 = {0};
    if (ws_par_allreduce_max_int(&any, &e2) && !rc) {
        if (err) *err = e2;
        return e2.code;
    }
    if (!rc && any) return ws_error_set(err, WS_EMPI, "another rank failed %s", what);
    return rc;
}

static int gather(proxy_state *s, const ws_space *sp, const ws_proxy_recipe *r, const double *mine,
                  int n, int rank, ws_error *err)
{
    double *all = NULL;
    int total = 0, rec = 1 + r->n_proxies;
    int rc = ws_par_gatherv_double(mine, n * rec, &all, &total, err);
    if (!rc && rank == 0)
        for (int o = 0; o + rec <= total; o += rec) state_put(s, sp, r, (int)all[o], all + o + 1);
    free(all);
    return rc;
}

int ws_proxy_run(const ws_proxy_opts *o, int *scored, int *remaining, ws_error *err)
{
    const ws_proxy_recipe *r = o->recipe;
    char recipe_text[WS_PROXY_RECIPE_MAX], pfile[4200];
    int rc = ws_proxy_recipe_format(r, recipe_text, sizeof recipe_text, err);
    if (!rc) rc = ws_table_check_name("benchmark", o->bench, err);
    if (rc) return rc;
    if (scored) *scored = 0;
    if (remaining) *remaining = 0;
    int rank = o->size > 1 ? o->rank : 0, size = o->size > 1 ? o->size : 1;
    ws_space *sp = ws_space_alloc();
    proxy_state s = {0};
    if (!sp) return ws_error_set(err, WS_ENOMEM, "out of memory");
    rc = state_init(&s, r->n_proxies, err);
    /* 1. what is done: the table, then the sidecars */
    if (!rc && access(o->out, F_OK) == 0) {
        ws_table *t = NULL;
        rc = ws_table_open(o->out, &t, err);
        if (!rc) rc = state_load_table(&s, t, o->out, o->bench, r, recipe_text, err);
        ws_table_close(t);
    }
    load_ctx lc = {&s, sp, r, o->bench, recipe_text, err};
    if (!rc) rc = ws_sidecar_for_each(o->out, load_cb, &lc, err);
    rc = agree(rc, size, "to load the state", err);
    /* 2. this rank's share of the unfilled classes */
    int *todo = NULL, n_todo = 0, n_unfilled = 0;
    if (!rc && !(todo = malloc((size_t)(o->n_set + 1) * sizeof *todo)))
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    for (int j = 0; !rc && j < o->n_set; j++) {
        int rep = o->set[j];
        if (rep < 0 || rep >= WS_ARCH_COUNT || ws_space_iso_class(sp, rep) != rep) {
            rc = ws_error_set(err, WS_EINVAL, "set item %d (%d) is not a class representative", j,
                              rep);
            break;
        }
        if (s.filled[rep]) continue;
        if (n_unfilled++ % size == rank) todo[n_todo++] = rep;
    }
    if (!rc && o->limit > 0 && n_todo > o->limit) n_todo = o->limit;
    /* 3. score, appending to this rank's sidecar */
    ws_sidecar_path(pfile, sizeof pfile, o->out, rank, size);
    work w = {.o = o, .sp = sp, .s = &s, .todo = todo, .n_todo = n_todo, .pfile = pfile};
    if (!rc && n_todo > 0)
        rc = ws_sidecar_open(&w.pf, pfile, PROGRESS_MAGIC, o->bench, recipe_text, err);
    if (!rc && !(w.mine = malloc(((size_t)n_todo * (1 + r->n_proxies) + 1) * sizeof *w.mine)))
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
    if (!rc && n_todo > 0) rc = score_todo(&w, err);
    if (w.pf) fclose(w.pf);
    free(todo);
    /* 4. gather at rank 0, write, drop the sidecars */
    rc = agree(rc, size, "while scoring (see its message)", err);
    if (!rc && size > 1) rc = gather(&s, sp, r, w.mine, w.n_mine, rank, err);
    free(w.mine);
    if (!rc && rank == 0) rc = state_write(&s, o->out, NULL, o->bench, r, recipe_text, o->description, err);
    rc = agree(rc, size, "to write the table (rank 0)", err);
    if (!rc) {
        if (rank == 0) ws_sidecar_remove_all(o->out);
        int left = 0;
        for (int j = 0; j < o->n_set; j++) left += !s.filled[o->set[j]];
        if (scored) *scored = w.done;
        if (remaining) *remaining = left;
    }
    free(s.v);
    ws_space_free(sp);
    return rc;
}

/* ---- merge -------------------------------------------------------------------------------- */

/* The recipe of a proxy benchmark: only its proxy list is needed to read it. */
static int recipe_from_text(const char *text, ws_proxy_recipe *r, ws_error *err)
{
    ws_proxy_recipe_default(r);
    const char *p = strstr(text, "proxies="), *sd = strstr(text, ";seed=");
    if (!p || !sd) return ws_error_set(err, WS_EFORMAT, "proxy_recipe '%s': no seed= or proxies=", text);
    r->seed = strtoull(sd + 6, NULL, 10);
    return ws_proxy_recipe_set_proxies(r, p + 8, err);
}

int ws_proxy_merge(const char *out, const char *bench, const char *const *inputs, int n_inputs,
                   ws_error *err)
{
    if (n_inputs < 1) return ws_error_set(err, WS_EINVAL, "merge: no input tables");
    char recipe_text[WS_PROXY_RECIPE_MAX] = "", description[1024] = "";
    ws_proxy_recipe r;
    ws_space *sp = ws_space_alloc();
    proxy_state s = {0}, one = {0};
    int rc = sp ? 0 : ws_error_set(err, WS_ENOMEM, "out of memory");
    for (int n = 0; !rc && n < n_inputs; n++) {
        ws_table *t = NULL;
        if ((rc = ws_table_open(inputs[n], &t, err))) break;
        const char *have = ws_table_bench_attr(t, bench, "proxy_recipe");
        if (!have)
            rc = ws_error_set(err, WS_EINVAL, "%s: no proxy benchmark '%s' (no proxy_recipe attribute)",
                              inputs[n], bench);
        else if (n == 0) {
            snprintf(recipe_text, sizeof recipe_text, "%s", have);
            rc = recipe_from_text(have, &r, err);
            if (!rc) rc = state_init(&s, r.n_proxies, err);
            if (!rc) rc = state_init(&one, r.n_proxies, err);
            const char *d = ws_table_bench_attr(t, bench, "description");
            if (d) snprintf(description, sizeof description, "%s", d);
        } else if (strcmp(have, recipe_text))
            rc = ws_error_set(err, WS_EINVAL,
                              "%s: benchmark '%s' was scored with recipe '%s', but %s with '%s': "
                              "refusing to merge different recipes",
                              inputs[n], bench, have, inputs[0], recipe_text);
        if (!rc) {
            memset(one.filled, 0, sizeof one.filled);
            rc = state_load_table(&one, t, inputs[n], bench, &r, recipe_text, err);
        }
        ws_table_close(t);
        for (int i = 0; !rc && i < WS_ARCH_COUNT; i++) {
            if (!one.filled[i]) continue;
            for (int p = 0; p < r.n_proxies; p++) {
                size_t at = (size_t)p * WS_ARCH_COUNT + i;
                if (s.filled[i] && memcmp(&s.v[at], &one.v[at], sizeof(double))) {
                    rc = ws_error_set(err, WS_EINVAL,
                                      "%s: index %d %s = %.17g differs from an earlier input "
                                      "(%.17g): refusing to merge",
                                      inputs[n], i, ws_proxy_names[r.proxies[p]], one.v[at], s.v[at]);
                    break;
                }
                s.v[at] = one.v[at];
            }
            s.filled[i] = 1;
        }
    }
    if (!rc)
        rc = state_write(&s, out, inputs[0], bench, &r, recipe_text,
                         description[0] ? description : NULL, err);
    free(s.v);
    free(one.v);
    ws_space_free(sp);
    return rc;
}
