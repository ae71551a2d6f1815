/* recipe.c: the training recipe of a table build (defaults, checks, the
 * canonical "key=value;..." text stored in the table) and the sets of
 * architectures a build trains (listed, sampled, all isomorphism classes). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsnas/rng.h"
#include "wsnas/tablebuild.h"

void ws_build_recipe_default(ws_build_recipe *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dataset, sizeof r->dataset, "fashion-mnist");
    r->train_n = 2000;
    r->valid_n = 1000;
    r->test_n = 1000;
    r->subset_seed = 1;
    r->in_size = 16;
    r->C = 8;
    r->N = 1;
    r->epochs = 4;
    r->batch = 64;
    r->lr = 0.1;
    r->lr_min = 0.0;
    r->momentum = 0.9;
    r->wd = 5e-4;
    r->nesterov = 1;
    r->augment = 1;
    r->n_seeds = 2;
    r->seeds[0] = 1;
    r->seeds[1] = 2;
}

int ws_build_recipe_check(const ws_build_recipe *r, ws_error *err)
{
    if (strcmp(r->dataset, "fashion-mnist") && strcmp(r->dataset, "mnist") &&
        strcmp(r->dataset, "cifar10"))
        return ws_error_set(err, WS_EINVAL,
                            "recipe dataset '%s': expected fashion-mnist, mnist or cifar10",
                            r->dataset);
#define RANGE(v, name, lo, hi)                                                           \
    if ((v) < (lo) || (v) > (hi))                                                        \
        return ws_error_set(err, WS_ERANGE, "recipe %s=%g: expected %g..%g", name, (double)(v), \
                            (double)(lo), (double)(hi));
    RANGE(r->train_n, "train", 1, 60000);
    RANGE(r->valid_n, "valid", 1, 60000);
    RANGE(r->test_n, "test", 1, 10000);
    RANGE(r->in_size, "size", 4, 64);
    if (r->in_size % 4)
        return ws_error_set(err, WS_EINVAL, "recipe size=%d: expected a multiple of 4",
                            r->in_size);
    RANGE(r->C, "C", 1, 256);
    RANGE(r->N, "N", 1, 20);
    RANGE(r->epochs, "epochs", 1, 10000);
    RANGE(r->batch, "batch", 1, 4096);
    RANGE(r->lr, "lr", 0, 10);
    RANGE(r->lr_min, "lr_min", 0, 10);
    RANGE(r->momentum, "momentum", 0, 0.999999);
    RANGE(r->wd, "wd", 0, 1);
    RANGE(r->nesterov, "nesterov", 0, 1);
    RANGE(r->augment, "augment", 0, 1);
    RANGE(r->n_seeds, "seeds (count)", 1, WS_BUILD_MAX_SEEDS);
#undef RANGE
    for (int i = 0; i < r->n_seeds; i++)
        for (int j = 0; j < i; j++)
            if (r->seeds[i] == r->seeds[j])
                return ws_error_set(err, WS_EINVAL, "recipe seeds: %" PRIu32 " appears twice",
                                    r->seeds[i]);
    return 0;
}

/* The shortest %.Ng text that reads back as exactly v (the recipe text is
 * compared verbatim, so it must be canonical). */
static void fmt_exact(char *buf, size_t n, double v)
{
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

int ws_build_recipe_format(const ws_build_recipe *r, char *buf, size_t n, ws_error *err)
{
    char lr[32], lr_min[32], mom[32], wd[32];
    fmt_exact(lr, sizeof lr, r->lr);
    fmt_exact(lr_min, sizeof lr_min, r->lr_min);
    fmt_exact(mom, sizeof mom, r->momentum);
    fmt_exact(wd, sizeof wd, r->wd);
    int w = snprintf(buf, n,
                     "dataset=%s;train=%d;valid=%d;test=%d;subset_seed=%" PRIu32
                     ";size=%d;C=%d;N=%d;epochs=%d;batch=%d;lr=%s;lr_min=%s;"
                     "momentum=%s;nesterov=%d;wd=%s;augment=%d;seeds=",
                     r->dataset, r->train_n, r->valid_n, r->test_n, r->subset_seed, r->in_size,
                     r->C, r->N, r->epochs, r->batch, lr, lr_min, mom, r->nesterov, wd,
                     r->augment);
    for (int i = 0; w >= 0 && (size_t)w < n && i < r->n_seeds; i++)
        w += snprintf(buf + w, n - (size_t)w, "%s%" PRIu32, i ? "," : "", r->seeds[i]);
    if (w < 0 || (size_t)w >= n)
        return ws_error_set(err, WS_EINVAL, "recipe text longer than %zu bytes", n - 1);
    return 0;
}

static int parse_int(const char *key, const char *v, long lo, long hi, long *out, ws_error *err)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (!*v || errno || *end)
        return ws_error_set(err, WS_EINVAL, "recipe %s='%s': expected an integer", key, v);
    if (x < lo || x > hi)
        return ws_error_set(err, WS_ERANGE, "recipe %s=%ld: expected %ld..%ld", key, x, lo, hi);
    *out = x;
    return 0;
}

static int parse_num(const char *key, const char *v, double *out, ws_error *err)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || errno || *end || !isfinite(x))
        return ws_error_set(err, WS_EINVAL, "recipe %s='%s': expected a number", key, v);
    *out = x;
    return 0;
}

static int parse_seeds(const char *v, ws_build_recipe *r, ws_error *err)
{
    char buf[256];
    if (strlen(v) >= sizeof buf)
        return ws_error_set(err, WS_EINVAL, "recipe seeds: too long");
    snprintf(buf, sizeof buf, "%s", v);
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long s;
        if (n == WS_BUILD_MAX_SEEDS)
            return ws_error_set(err, WS_ERANGE, "recipe seeds='%s': at most %d seeds", v,
                                WS_BUILD_MAX_SEEDS);
        if (parse_int("seeds", tok, 0, 0x7fffffffL, &s, err)) return err ? err->code : WS_EINVAL;
        r->seeds[n++] = (uint32_t)s;
    }
    if (!n) return ws_error_set(err, WS_EINVAL, "recipe seeds='%s': expected S[,S...]", v);
    r->n_seeds = n;
    return 0;
}

static int apply_kv(ws_build_recipe *r, const char *k, const char *v, ws_error *err)
{
    long x;
    int rc = 0;
    if (!strcmp(k, "dataset")) {
        if (strlen(v) >= sizeof r->dataset)
            return ws_error_set(err, WS_EINVAL, "recipe dataset '%s': too long", v);
        snprintf(r->dataset, sizeof r->dataset, "%s", v);
        return 0;
    }
    if (!strcmp(k, "seeds")) return parse_seeds(v, r, err);
    struct {
        const char *key;
        int *ip;
        double *dp;
    } keys[] = {
        {"train", &r->train_n, NULL},   {"valid", &r->valid_n, NULL},
        {"test", &r->test_n, NULL},     {"size", &r->in_size, NULL},
        {"C", &r->C, NULL},             {"N", &r->N, NULL},
        {"epochs", &r->epochs, NULL},   {"batch", &r->batch, NULL},
        {"nesterov", &r->nesterov, NULL}, {"augment", &r->augment, NULL},
        {"lr", NULL, &r->lr},           {"lr_min", NULL, &r->lr_min},
        {"momentum", NULL, &r->momentum}, {"wd", NULL, &r->wd},
    };
    if (!strcmp(k, "subset_seed")) {
        if ((rc = parse_int(k, v, 0, 0x7fffffffL, &x, err))) return rc;
        r->subset_seed = (uint32_t)x;
        return 0;
    }
    for (size_t i = 0; i < WS_ARRAY_LEN(keys); i++) {
        if (strcmp(k, keys[i].key)) continue;
        if (keys[i].ip) {
            if ((rc = parse_int(k, v, -1000000000L, 1000000000L, &x, err))) return rc;
            *keys[i].ip = (int)x;
            return 0;
        }
        return parse_num(k, v, keys[i].dp, err);
    }
    return ws_error_set(err, WS_EINVAL,
                        "recipe: unknown key '%s' (expected dataset, train, valid, test, "
                        "subset_seed, size, C, N, epochs, batch, lr, lr_min, momentum, "
                        "nesterov, wd, augment, seeds)",
                        k);
}

int ws_build_recipe_parse(const char *text, ws_build_recipe *r, ws_error *err)
{
    char buf[2048];
    if (strlen(text) >= sizeof buf) return ws_error_set(err, WS_EINVAL, "recipe text too long");
    snprintf(buf, sizeof buf, "%s", text);
    ws_build_recipe tmp = *r;
    char *save = NULL;
    for (char *item = strtok_r(buf, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(item, '=');
        if (!eq || eq == item)
            return ws_error_set(err, WS_EINVAL, "recipe item '%s': expected KEY=VALUE", item);
        *eq = '\0';
        int rc = apply_kv(&tmp, item, eq + 1, err);
        if (rc) return rc;
    }
    int rc = ws_build_recipe_check(&tmp, err);
    if (!rc) *r = tmp;
    return rc;
}

/* ---- sets -------------------------------------------------------------------- */

void ws_build_set_free(ws_build_set *s)
{
    if (!s) return;
    free(s->index);
    s->index = NULL;
    s->n = 0;
}

/* Appends the class of `index` unless already present (seen[] by class). */
static void set_add(ws_build_set *s, const ws_space *sp, int index, uint8_t *seen)
{
    int c = ws_space_iso_class(sp, index);
    if (seen[c]) return;
    seen[c] = 1;
    s->index[s->n++] = c;
}

static int set_begin(ws_build_set *out, uint8_t **seen, ws_error *err)
{
    out->n = 0;
    out->index = malloc(WS_ARCH_COUNT * sizeof *out->index);
    *seen = calloc(WS_ARCH_COUNT, 1);
    if (!out->index || !*seen) {
        free(out->index);
        free(*seen);
        out->index = NULL;
        *seen = NULL;
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    return 0;
}

int ws_build_set_list(const ws_space *sp, const char *const *archs, int n_archs,
                      ws_build_set *out, ws_error *err)
{
    uint8_t *seen = NULL;
    int rc = set_begin(out, &seen, err);
    if (rc) return rc;
    for (int i = 0; !rc && i < n_archs; i++) {
        int index;
        rc = ws_space_lookup(sp, archs[i], &index, err);
        if (!rc) set_add(out, sp, index, seen);
    }
    free(seen);
    if (rc) ws_build_set_free(out);
    return rc;
}

int ws_build_set_sample(const ws_space *sp, int n, uint64_t seed, ws_build_set *out,
                        ws_error *err)
{
    if (n < 1 || n > WS_ISO_CLASSES)
        return ws_error_set(err, WS_ERANGE, "sample size %d: expected 1..%d", n, WS_ISO_CLASSES);
    uint8_t *seen;
    int rc = set_begin(out, &seen, err);
    if (rc) return rc;
    uint32_t *perm = malloc(WS_ARCH_COUNT * sizeof *perm);
    if (!perm) {
        free(seen);
        ws_build_set_free(out);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < WS_ARCH_COUNT; i++) perm[i] = i;
    ws_pcg32 rng;
    ws_pcg32_stream(&rng, seed, WS_STREAM_SELECT);
    ws_pcg32_shuffle_u32(&rng, perm, WS_ARCH_COUNT);
    for (int i = 0; i < WS_ARCH_COUNT && out->n < n; i++) set_add(out, sp, (int)perm[i], seen);
    free(perm);
    free(seen);
    return 0;
}

int ws_build_set_all(const ws_space *sp, ws_build_set *out, ws_error *err)
{
    uint8_t *seen;
    int rc = set_begin(out, &seen, err);
    if (rc) return rc;
    for (int i = 0; i < WS_ARCH_COUNT; i++)
        if (ws_space_iso_class(sp, i) == i) set_add(out, sp, i, seen);
    free(seen);
    return 0;
}

void ws_build_set_shard(ws_build_set *s, int i, int k)
{
    int m = 0;
    for (int j = 0; j < s->n; j++)
        if (j % k == i) s->index[m++] = s->index[j];
    s->n = m;
}
