/* search_ckpt.c: the search driver's part of a checkpoint (everything but
 * the network): writing it, reading it back (the current self-describing
 * version 2 and the legacy version 1) and checking every field before the
 * run uses any of it.
 *
 * Version 2 (written; entries in native byte order, little endian on x86-64):
 *   "search.meta"             text, five lines:
 *                               wsnas-search-checkpoint 2
 *                               method <name>
 *                               seed <integer>
 *                               config_digest <16 hex digits> (ws_config_digest)
 *                               epochs_done <integer>
 *   "search.next_epoch"       int32: epochs finished (= epochs_done)
 *   "search.best_epoch"       int32: epoch of the best supernet valid accuracy
 *   "search.best_valid"       float64: that accuracy (%)
 *   "search.best_arch"        uint8[6]: that epoch's derived architecture
 *   "method.a"                float32[6][5]: alpha logits, or theta (GAEA)
 *   "method.beta"             float32[6]: PC-DARTS edge normalisation
 *   "method.adam_m", "method.adam_v"   float32[36]: Adam moments
 *   "method.adam_t"           int64: Adam steps taken
 *   "method.tau"              float32: Gumbel temperature
 *   "method.arch_updates_on"  int32
 *   "method.rng_sample", "method.rng_select", "method.rng_pc"
 *                             uint64[2]: PCG32 state and increment
 *   "method.darch_last"       float32[30]: last architecture gradient
 *   "method.selected"         uint8[6], "method.selected_valid" int32 (RS-WS)
 *   "search.batcher_w", "search.batcher_a"  the batchers' state blobs
 *   and the network's entries (src/supernet/checkpoint.c).
 * What the configuration determines (method id, op mask, Adam
 * hyper-parameters, the generators' increments) is rebuilt from it and
 * compared, not trusted.
 *
 * Version 1 (read only, written by wsnas up to commit d41c6d5): the same
 * network and batcher entries, "search.run" and "search.method" as raw C
 * structs (frozen below as legacy_run_v1 / legacy_method_v1), no record of
 * method, seed or configuration.  Its method is checked through the struct's
 * id, its seed through the generators' increments (a function of the seed),
 * its configuration through the manifest (ws_search_check_resume) and the
 * network shape.
 *
 * Both versions are decoded into a candidate state, then every field is
 * range-checked (method.c's invariants: simplex rows for GAEA, finite
 * values, counters within the run); only then are net, method state,
 * counters and batchers written.  Unknown or missing entries are errors. */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "wsnas/search.h"

#define META_MAGIC "wsnas-search-checkpoint 2"

/* ---- the version-1 layout (x86-64 SysV, as commit d41c6d5 wrote it) ------ */
typedef struct legacy_run_v1 {
    int32_t next_epoch, best_epoch;
    double best_valid;
    uint8_t best_arch[6];
} legacy_run_v1;

typedef struct legacy_method_v1 {
    int32_t id;
    int32_t ops_mask[5];
    float a[6][5], beta[6], m[36], v[36];
    float adam_lr, adam_beta1, adam_beta2, adam_eps, adam_weight_decay;
    int64_t adam_t;
    float tau;
    int32_t arch_updates_on;
    uint64_t rng_sample[2], rng_select[2], rng_pc[2];
    float darch_last[30];
    uint8_t selected[6];
    int32_t selected_valid;
} legacy_method_v1;

_Static_assert(sizeof(legacy_run_v1) == 24, "search.run of version 1 has 24 bytes");
_Static_assert(sizeof(legacy_method_v1) == 680, "search.method of version 1 has 680 bytes");
_Static_assert(offsetof(legacy_method_v1, adam_t) == 480, "version 1 layout");
_Static_assert(offsetof(legacy_method_v1, rng_sample) == 496, "version 1 layout");
_Static_assert(offsetof(legacy_method_v1, selected_valid) == 672, "version 1 layout");
_Static_assert(WS_EDGES == 6 && WS_OP_COUNT == 5, "the checkpoint layout assumes NB201's 6x5");

/* ---- writing -------------------------------------------------------------- */

static int put_rng(ws_ckpt *ck, const char *name, const ws_pcg32 *r, ws_error *err)
{
    uint64_t v[2] = {r->state, r->inc};
    return ws_ckpt_put(ck, name, v, sizeof v, err);
}

static int put_i32(ws_ckpt *ck, const char *name, int32_t v, ws_error *err)
{
    return ws_ckpt_put(ck, name, &v, sizeof v, err);
}

int ws_search_ckpt_save_(ws_ckpt *ck, const ws_search_config *cfg, const ws_method_state *st,
                         const ws_search_run_state *rs, const ws_batcher *wb,
                         const ws_batcher *ab, ws_error *err)
{
    uint64_t digest = 0;
    if (ws_config_digest(cfg, &digest)) return ws_error_set(err, WS_ENOMEM, "out of memory");
    char meta[256];
    snprintf(meta, sizeof meta, "%s\nmethod %s\nseed %" PRIu64 "\nconfig_digest %016" PRIx64
             "\nepochs_done %d\n", META_MAGIC, cfg->method, cfg->seed, digest,
             (int)rs->next_epoch);
    const int64_t t = st->adam.t;
    int rc = ws_ckpt_put(ck, "search.meta", meta, strlen(meta), err);
    if (!rc) rc = put_i32(ck, "search.next_epoch", rs->next_epoch, err);
    if (!rc) rc = put_i32(ck, "search.best_epoch", rs->best_epoch, err);
    if (!rc) rc = ws_ckpt_put(ck, "search.best_valid", &rs->best_valid, sizeof(double), err);
    if (!rc) rc = ws_ckpt_put(ck, "search.best_arch", rs->best_arch.op, WS_EDGES, err);
    if (!rc) rc = ws_ckpt_put(ck, "method.a", st->a, sizeof st->a, err);
    if (!rc) rc = ws_ckpt_put(ck, "method.beta", st->beta, sizeof st->beta, err);
    if (!rc) rc = ws_ckpt_put(ck, "method.adam_m", st->m, sizeof st->m, err);
    if (!rc) rc = ws_ckpt_put(ck, "method.adam_v", st->v, sizeof st->v, err);
    if (!rc) rc = ws_ckpt_put(ck, "method.adam_t", &t, sizeof t, err);
    if (!rc) rc = ws_ckpt_put(ck, "method.tau", &st->tau, sizeof st->tau, err);
    if (!rc) rc = put_i32(ck, "method.arch_updates_on", st->arch_updates_on, err);
    if (!rc) rc = put_rng(ck, "method.rng_sample", &st->rng_sample, err);
    if (!rc) rc = put_rng(ck, "method.rng_select", &st->rng_select, err);
    if (!rc) rc = put_rng(ck, "method.rng_pc", &st->rng_pc, err);
    if (!rc) rc = ws_ckpt_put(ck, "method.darch_last", st->darch_last, sizeof st->darch_last, err);
    if (!rc) rc = ws_ckpt_put(ck, "method.selected", st->selected.op, WS_EDGES, err);
    if (!rc) rc = put_i32(ck, "method.selected_valid", st->selected_valid, err);
    const ws_batcher *b[2] = {wb, ab};
    static const char *const bname[2] = {"search.batcher_w", "search.batcher_a"};
    for (int k = 0; k < 2 && !rc; k++) {
        size_t n = ws_batcher_state_size(b[k]);
        void *buf = malloc(n);
        if (!buf) return ws_error_set(err, WS_ENOMEM, "out of memory");
        ws_batcher_state_save(b[k], buf);
        rc = ws_ckpt_put(ck, bname[k], buf, n, err);
        free(buf);
    }
    return rc;
}

/* ---- reading --------------------------------------------------------------- */

/* The names every checkpoint of this run must hold besides the network's. */
static const char *const v2_names[] = {
    "search.meta",        "search.next_epoch",  "search.best_epoch",      "search.best_valid",
    "search.best_arch",   "method.a",           "method.beta",            "method.adam_m",
    "method.adam_v",      "method.adam_t",      "method.tau",             "method.arch_updates_on",
    "method.rng_sample",  "method.rng_select",  "method.rng_pc",          "method.darch_last",
    "method.selected",    "method.selected_valid", "search.batcher_w",    "search.batcher_a"};
static const char *const v1_names[] = {"search.run", "search.method", "search.batcher_w",
                                       "search.batcher_a"};

static int is_net_entry(const ws_net *net, const char *name)
{
    if (!strcmp(name, "net.config")) return 1;
    const char *base = strncmp(name, "momentum/", 9) ? name : name + 9;
    int is_buffer = 0;
    for (size_t i = 0;; i++) {
        const char *t = ws_net_tensor_name(net, i, &is_buffer);
        if (!t) return 0;
        if (!strcmp(t, base)) return base == name || !is_buffer;
    }
}

/* Every entry is one of the network's or one of `names`. */
static int check_entry_set(const ws_ckpt *ck, const char *path, const ws_net *net,
                           const char *const *names, size_t n, ws_error *err)
{
    for (size_t i = 0; i < ws_ckpt_count(ck); i++) {
        const char *e = ws_ckpt_entry(ck, i, NULL);
        int known = is_net_entry(net, e);
        for (size_t k = 0; k < n && !known; k++) known = !strcmp(e, names[k]);
        if (!known)
            return ws_error_set(err, WS_EFORMAT,
                                "%s: unexpected entry '%s' (version %u search checkpoint)", path,
                                e, ws_ckpt_version(ck));
    }
    return 0;
}

/* A fixed-size entry, errors naming the file once. */
static int get(const ws_ckpt *ck, const char *path, const char *name, void *out, size_t n,
               ws_error *err)
{
    int rc = ws_ckpt_get(ck, name, out, n, err);
    if (rc) {
        ws_error_clear(err);
        size_t have = 0;
        for (size_t i = 0; i < ws_ckpt_count(ck); i++)
            if (!strcmp(ws_ckpt_entry(ck, i, &have), name)) break;
        return rc == WS_ENOTFOUND
                   ? ws_error_set(err, WS_EFORMAT, "%s: no entry '%s' (not a complete search "
                                  "checkpoint)", path, name)
                   : ws_error_set(err, WS_EFORMAT, "%s: entry '%s' has %zu bytes, expected %zu",
                                  path, name, have, n);
    }
    return 0;
}

/* The "search.meta" text parsed: method, seed, digest, epochs. */
typedef struct ckpt_meta {
    char method[32];
    uint64_t seed, digest;
    long epochs_done;
} ckpt_meta;

static int parse_meta(const ws_ckpt *ck, const char *path, ckpt_meta *m, ws_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < ws_ckpt_count(ck); i++)
        if (!strcmp(ws_ckpt_entry(ck, i, &n), "search.meta")) break;
    char text[256];
    if (n == 0 || n >= sizeof text || ws_ckpt_get(ck, "search.meta", text, n, NULL))
        return ws_error_set(err, WS_EFORMAT, "%s: no valid 'search.meta' entry (expected %zu.."
                            "255 bytes of text)", path, sizeof META_MAGIC);
    text[n] = '\0';
    char magic[40] = "", method[32] = "", hex[24] = "", tail[4] = "";
    unsigned long long seed = 0;
    long ep = -1;
    int used = 0;
    if (strlen(text) != n ||
        sscanf(text, "%39[^\n]\nmethod %31[a-z0-9-]\nseed %llu\nconfig_digest %23[0-9a-f]\n"
                     "epochs_done %ld\n%n",
               magic, method, &seed, hex, &ep, &used) != 5 ||
        (size_t)used != n || strcmp(magic, META_MAGIC) || strlen(hex) != 16 ||
        sscanf(text + used, "%3s", tail) == 1)
        return ws_error_set(err, WS_EFORMAT,
                            "%s: entry 'search.meta': expected '%s' then method, seed, "
                            "config_digest and epochs_done lines",
                            path, META_MAGIC);
    snprintf(m->method, sizeof m->method, "%s", method);
    m->seed = seed;
    m->digest = strtoull(hex, NULL, 16);
    m->epochs_done = ep;
    char canon[256]; /* exactly as written: no extra spaces, signs or zeros */
    snprintf(canon, sizeof canon, "%s\nmethod %s\nseed %" PRIu64 "\nconfig_digest %016" PRIx64
             "\nepochs_done %ld\n", META_MAGIC, m->method, m->seed, m->digest, ep);
    if (strcmp(canon, text))
        return ws_error_set(err, WS_EFORMAT,
                            "%s: entry 'search.meta': not in the form wsnas writes ('%s' then "
                            "one 'key value' line each for method, seed, config_digest, "
                            "epochs_done)",
                            path, META_MAGIC);
    return 0;
}

static void from_legacy(const legacy_method_v1 *l, ws_method_state *c)
{
    c->id = l->id;
    for (int o = 0; o < WS_OP_COUNT; o++) c->ops_mask[o] = l->ops_mask[o];
    memcpy(c->a, l->a, sizeof c->a);
    memcpy(c->beta, l->beta, sizeof c->beta);
    memcpy(c->m, l->m, sizeof c->m);
    memcpy(c->v, l->v, sizeof c->v);
    c->adam = (ws_adam){l->adam_lr, l->adam_beta1, l->adam_beta2, l->adam_eps,
                        l->adam_weight_decay, (long)l->adam_t};
    c->tau = l->tau;
    c->arch_updates_on = l->arch_updates_on;
    c->rng_sample = (ws_pcg32){l->rng_sample[0], l->rng_sample[1]};
    c->rng_select = (ws_pcg32){l->rng_select[0], l->rng_select[1]};
    c->rng_pc = (ws_pcg32){l->rng_pc[0], l->rng_pc[1]};
    memcpy(c->darch_last, l->darch_last, sizeof c->darch_last);
    memcpy(c->selected.op, l->selected, WS_EDGES);
    c->selected_valid = l->selected_valid;
}

/* The method's generators are those of cfg's seed, a plausible number of
 * draws on (a generator of another seed is about 2^63 draws away). */
static int check_generators(const ws_method_state *c, const ws_search_config *cfg,
                            const char *path, ws_error *err)
{
    ws_method_state init;
    int rc = ws_method_init(&init, cfg, cfg->seed, err);
    if (rc) return rc;
    const ws_pcg32 *r[3] = {&c->rng_sample, &c->rng_select, &c->rng_pc};
    const ws_pcg32 *ri[3] = {&init.rng_sample, &init.rng_select, &init.rng_pc};
    static const char *const rn[3] = {"rng_sample", "rng_select", "rng_pc"};
    for (int k = 0; k < 3; k++)
        if (r[k]->inc != ri[k]->inc || ws_pcg32_distance(ri[k], r[k]) > WS_PCG32_PLAUSIBLE_DRAWS)
            return ws_error_set(err, WS_EINVAL,
                                "%s: generator %s is not one of seed %" PRIu64
                                " (copied from another run?)",
                                path, rn[k], cfg->seed);
    return 0;
}

/* The identity checks shared by resume and `wsnas eval`: the checkpoint
 * belongs to this method, seed and configuration. */
static int check_identity(const ws_ckpt *ck, const char *path, const ws_search_config *cfg,
                          ws_error *err)
{
    if (ws_ckpt_version(ck) >= 2) {
        ckpt_meta m;
        int rc = parse_meta(ck, path, &m, err);
        if (rc) return rc;
        uint64_t digest = 0;
        if (ws_config_digest(cfg, &digest)) return ws_error_set(err, WS_ENOMEM, "out of memory");
        if (strcmp(m.method, cfg->method))
            return ws_error_set(err, WS_EINVAL,
                                "%s: checkpoint of method '%s', but this run is '%s' (copied "
                                "from another run?)",
                                path, m.method, cfg->method);
        if (m.seed != cfg->seed)
            return ws_error_set(err, WS_EINVAL,
                                "%s: checkpoint of seed %" PRIu64 ", but this run has seed %" PRIu64
                                " (copied from another run?)",
                                path, m.seed, cfg->seed);
        if (m.digest != digest)
            return ws_error_set(err, WS_EINVAL,
                                "%s: checkpoint made with another configuration (digest %016" PRIx64
                                ", this run's is %016" PRIx64 ")",
                                path, m.digest, digest);
        return 0;
    }
    legacy_method_v1 l;
    int rc = get(ck, path, "search.method", &l, sizeof l, err);
    if (rc) return rc;
    int id = ws_method_lookup(cfg->method);
    if (l.id != id)
        return ws_error_set(err, WS_EINVAL, "%s: checkpoint of method %s%s%s (id %d), but this "
                            "run is '%s' (copied from another run?)",
                            path, l.id >= 0 && l.id < WS_METHOD_COUNT ? "'" : "",
                            l.id >= 0 && l.id < WS_METHOD_COUNT ? ws_method_name(l.id) : "unknown",
                            l.id >= 0 && l.id < WS_METHOD_COUNT ? "'" : "", (int)l.id, cfg->method);
    ws_method_state c;
    from_legacy(&l, &c);
    return check_generators(&c, cfg, path, err);
}

int ws_search_ckpt_verify(const ws_ckpt *ck, const char *path, const ws_search_config *cfg,
                          ws_error *err)
{
    return check_identity(ck, path, cfg, err);
}

static int get_rng(const ws_ckpt *ck, const char *path, const char *name, ws_pcg32 *r,
                   ws_error *err)
{
    uint64_t v[2];
    int rc = get(ck, path, name, v, sizeof v, err);
    if (!rc) *r = (ws_pcg32){v[0], v[1]};
    return rc;
}

/* Version 2: the stored fields over a freshly initialised state. */
static int read_v2(const ws_ckpt *ck, const char *path, ws_method_state *c,
                   ws_search_run_state *rs, ws_error *err)
{
    int64_t t = 0;
    int32_t i32[4];
    int rc = get(ck, path, "search.next_epoch", &i32[0], 4, err);
    if (!rc) rc = get(ck, path, "search.best_epoch", &i32[1], 4, err);
    if (!rc) rc = get(ck, path, "search.best_valid", &rs->best_valid, sizeof(double), err);
    if (!rc) rc = get(ck, path, "search.best_arch", rs->best_arch.op, WS_EDGES, err);
    if (!rc) rc = get(ck, path, "method.a", c->a, sizeof c->a, err);
    if (!rc) rc = get(ck, path, "method.beta", c->beta, sizeof c->beta, err);
    if (!rc) rc = get(ck, path, "method.adam_m", c->m, sizeof c->m, err);
    if (!rc) rc = get(ck, path, "method.adam_v", c->v, sizeof c->v, err);
    if (!rc) rc = get(ck, path, "method.adam_t", &t, sizeof t, err);
    if (!rc) rc = get(ck, path, "method.tau", &c->tau, sizeof c->tau, err);
    if (!rc) rc = get(ck, path, "method.arch_updates_on", &i32[2], 4, err);
    if (!rc) rc = get_rng(ck, path, "method.rng_sample", &c->rng_sample, err);
    if (!rc) rc = get_rng(ck, path, "method.rng_select", &c->rng_select, err);
    if (!rc) rc = get_rng(ck, path, "method.rng_pc", &c->rng_pc, err);
    if (!rc) rc = get(ck, path, "method.darch_last", c->darch_last, sizeof c->darch_last, err);
    if (!rc) rc = get(ck, path, "method.selected", c->selected.op, WS_EDGES, err);
    if (!rc) rc = get(ck, path, "method.selected_valid", &i32[3], 4, err);
    if (rc) return rc;
    rs->next_epoch = i32[0];
    rs->best_epoch = i32[1];
    c->adam.t = (long)t;
    c->arch_updates_on = i32[2];
    c->selected_valid = i32[3];
    ckpt_meta m;
    if ((rc = parse_meta(ck, path, &m, err))) return rc;
    if (m.epochs_done != rs->next_epoch)
        return ws_error_set(err, WS_EFORMAT, "%s: search.meta says %ld epochs done, "
                            "search.next_epoch %d", path, m.epochs_done, (int)rs->next_epoch);
    return 0;
}

/* ---- field checks ----------------------------------------------------------- */

static int finite_all(const float *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i])) return i;
    return -1;
}

/* One simplex row as ws_eg_update_row leaves it: allowed entries in
 * [floor, 1], excluded ones 0, sum 1 (float rounding aside). */
static int simplex_ok(const float *p, const int *mask, int n, double floor)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (mask && !mask[i]) {
            if (p[i] != 0.0f) return 0;
            continue;
        }
        if (!(p[i] >= (float)floor && p[i] <= 1.0f)) return 0;
        sum += p[i];
    }
    return fabs(sum - 1.0) <= 1e-4;
}

static int ops_ok(const ws_arch *a, const int *mask)
{
    for (int e = 0; e < WS_EDGES; e++)
        if (a->op[e] >= WS_OP_COUNT || !mask[a->op[e]]) return 0;
    return 1;
}

#define BAD(...) ws_error_set(err, WS_EFORMAT, __VA_ARGS__)

static int check_arch_params(const ws_method_state *c, const ws_method_state *init,
                             const ws_search_config *cfg, const char *path, ws_error *err)
{
    int k;
    const unsigned st = ws_method_def_of(c->id)->state;
    if ((k = finite_all(&c->a[0][0], WS_ARCH_N)) >= 0)
        return BAD("%s: method.a[%d][%d] is %g, expected a finite number", path, k / WS_OP_COUNT,
                   k % WS_OP_COUNT, (double)c->a[k / WS_OP_COUNT][k % WS_OP_COUNT]);
    if ((k = finite_all(c->beta, WS_EDGES)) >= 0)
        return BAD("%s: method.beta[%d] is %g, expected a finite number", path, k,
                   (double)c->beta[k]);
    if (st & WS_MS_THETA) {
        for (int e = 0; e < WS_EDGES; e++)
            if (!simplex_ok(c->a[e], c->ops_mask, WS_OP_COUNT, cfg->eg_floor))
                return BAD("%s: method.a edge %d: expected a simplex row (entries in "
                           "[eg_floor %g, 1], excluded ops 0, sum 1)", path, e, cfg->eg_floor);
    } else if (!(st & WS_MS_LOGITS) && memcmp(c->a, init->a, sizeof c->a)) {
        return BAD("%s: method.a: RS-WS has no architecture parameters, expected zeros", path);
    }
    if (!(st & WS_MS_BETA)) {
        if (memcmp(c->beta, init->beta, sizeof c->beta))
            return BAD("%s: method.beta: expected its initial values (%s uses no edge "
                       "normalisation)", path, cfg->method);
    } else if (st & WS_MS_THETA) {
        for (int node = 1; node < WS_NODES; node++) {
            float b[WS_EDGES];
            int n = 0;
            for (int e = 0; e < WS_EDGES; e++)
                if (ws_edge_dst[e] == node) b[n++] = c->beta[e];
            if (!simplex_ok(b, NULL, n, cfg->eg_floor))
                return BAD("%s: method.beta of node %d: expected a simplex over its %d edges",
                           path, node, n);
        }
    }
    return 0;
}

static int check_optimiser(const ws_method_state *c, const ws_method_state *init,
                           const ws_method_state *want, long max_t, const char *path,
                           ws_error *err)
{
    int k;
    if ((k = finite_all(c->m, WS_ARCH_N + WS_EDGES)) >= 0)
        return BAD("%s: method.adam_m[%d] is %g, expected a finite number", path, k,
                   (double)c->m[k]);
    for (k = 0; k < WS_ARCH_N + WS_EDGES; k++)
        if (!(isfinite(c->v[k]) && c->v[k] >= 0))
            return BAD("%s: method.adam_v[%d] is %g, expected a finite number >= 0", path, k,
                       (double)c->v[k]);
    if ((k = finite_all(c->darch_last, WS_ARCH_N)) >= 0)
        return BAD("%s: method.darch_last[%d] is %g, expected a finite number", path, k,
                   (double)c->darch_last[k]);
    if (memcmp(&c->adam.lr, &init->adam.lr, 5 * sizeof(float)))
        return BAD("%s: Adam hyper-parameters differ from the configuration's (arch_lr, "
                   "arch_beta1, arch_beta2, arch_eps, arch_weight_decay)", path);
    if (c->adam.t < 0 || c->adam.t > max_t)
        return BAD("%s: method.adam_t = %ld, expected 0..%ld (one step per iteration)", path,
                   c->adam.t, max_t);
    if (memcmp(&c->tau, &want->tau, sizeof c->tau))
        return BAD("%s: method.tau = %g, expected %g (the schedule's value)", path,
                   (double)c->tau, (double)want->tau);
    if (c->arch_updates_on != want->arch_updates_on)
        return BAD("%s: method.arch_updates_on = %d, expected %d (the warm-up's value)", path,
                   c->arch_updates_on, want->arch_updates_on);
    return 0;
}

static int check_counters(const ws_method_state *c, const ws_search_run_state *rs,
                          const ws_search_config *cfg, const char *path, ws_error *err)
{
    if (rs->next_epoch < 1 || rs->next_epoch > cfg->epochs)
        return BAD("%s: epochs done = %d, expected 1..%d", path, (int)rs->next_epoch,
                   cfg->epochs);
    if (rs->best_epoch < 0 || rs->best_epoch >= rs->next_epoch)
        return BAD("%s: best epoch %d, expected 0..%d", path, (int)rs->best_epoch,
                   (int)rs->next_epoch - 1);
    if (!(rs->best_valid >= 0 && rs->best_valid <= 100))
        return BAD("%s: best valid accuracy %g, expected 0..100", path, rs->best_valid);
    if (!ops_ok(&rs->best_arch, c->ops_mask))
        return BAD("%s: best architecture: expected allowed op codes 0..4 on every edge", path);
    if (ws_method_def_of(c->id)->state & WS_MS_SELECTED) {
        if (c->selected_valid != 1 || !ops_ok(&c->selected, c->ops_mask))
            return BAD("%s: method.selected: expected RS-WS's selected architecture (allowed "
                       "op codes on every edge)", path);
    } else {
        static const ws_arch none;
        if (c->selected_valid != 0 || memcmp(&c->selected, &none, sizeof none))
            return BAD("%s: method.selected: expected none for %s", path, cfg->method);
    }
    return 0;
}

/* Every field of the candidate state against the configuration. */
static int check_state(const ws_method_state *c, const ws_search_run_state *rs,
                       const ws_search_config *cfg, int steps, const char *path, ws_error *err)
{
    ws_method_state init, want;
    int rc = ws_method_init(&init, cfg, cfg->seed, err);
    if (rc) return rc;
    if (c->id != init.id)
        return BAD("%s: method id %d, expected %d (%s)", path, c->id, init.id, cfg->method);
    if (memcmp(c->ops_mask, init.ops_mask, sizeof c->ops_mask))
        return BAD("%s: op mask differs from the configuration's (exclude_none = %d)", path,
                   cfg->exclude_none);
    if ((rc = check_counters(c, rs, cfg, path, err))) return rc;
    want = init;
    ws_method_epoch_begin(&want, cfg, rs->next_epoch - 1);
    if ((rc = check_arch_params(c, &init, cfg, path, err))) return rc;
    return check_optimiser(c, &init, &want, steps > 0 ? (long)rs->next_epoch * steps : LONG_MAX,
                           path, err);
}

/* Identity, decoding and every field of the method state and counters
 * (steps > 0 also bounds the Adam step count). */
static int decode_checked(const ws_ckpt *ck, const char *path, const ws_search_config *cfg,
                          int steps, ws_method_state *st, ws_search_run_state *rs, ws_error *err)
{
    const unsigned ver = ws_ckpt_version(ck);
    int rc = check_identity(ck, path, cfg, err);
    if (rc) return rc;
    ws_method_state c;
    ws_search_run_state r;
    memset(&r, 0, sizeof r);
    if ((rc = ws_method_init(&c, cfg, cfg->seed, err))) return rc;
    if (ver >= 2) {
        rc = read_v2(ck, path, &c, &r, err);
    } else {
        legacy_run_v1 lr;
        legacy_method_v1 lm;
        rc = get(ck, path, "search.run", &lr, sizeof lr, err);
        if (!rc) rc = get(ck, path, "search.method", &lm, sizeof lm, err);
        if (!rc) {
            r.next_epoch = lr.next_epoch;
            r.best_epoch = lr.best_epoch;
            r.best_valid = lr.best_valid;
            memcpy(r.best_arch.op, lr.best_arch, WS_EDGES);
            from_legacy(&lm, &c);
        }
    }
    if (!rc) rc = check_generators(&c, cfg, path, err);
    if (!rc) rc = check_state(&c, &r, cfg, steps, path, err);
    if (!rc) *st = c, *rs = r;
    return rc;
}

int ws_search_ckpt_precheck_(const ws_ckpt *ck, const char *path, const ws_search_config *cfg,
                             ws_error *err)
{
    ws_method_state c;
    ws_search_run_state r;
    return decode_checked(ck, path, cfg, 0, &c, &r, err);
}

int ws_search_ckpt_load_(const ws_ckpt *ck, const char *path, const ws_search_config *cfg,
                         int steps, ws_net *net, ws_method_state *st, ws_search_run_state *rs,
                         ws_batcher *wb, ws_batcher *ab, ws_error *err)
{
    int rc = ws_ckpt_version(ck) >= 2
                 ? check_entry_set(ck, path, net, v2_names, WS_ARRAY_LEN(v2_names), err)
                 : check_entry_set(ck, path, net, v1_names, WS_ARRAY_LEN(v1_names), err);
    ws_method_state c;
    ws_search_run_state r;
    if (!rc) rc = decode_checked(ck, path, cfg, steps, &c, &r, err);
    if (rc) return rc;
    /* the batchers' blobs are checked by their loader, the network's by
     * ws_net_load, each before it writes anything */
    size_t nw = ws_batcher_state_size(wb), na = ws_batcher_state_size(ab);
    void *buf = malloc(nw > na ? nw : na);
    if (!buf) return ws_error_set(err, WS_ENOMEM, "out of memory");
    ws_batcher *b[2] = {wb, ab};
    size_t sz[2] = {nw, na};
    static const char *const bname[2] = {"search.batcher_w", "search.batcher_a"};
    for (int k = 0; k < 2 && !rc; k++) {
        rc = get(ck, path, bname[k], buf, sz[k], err);
        if (!rc && ((rc = ws_batcher_state_check_seed(b[k], buf, sz[k], err)) ||
                    (rc = ws_batcher_state_load(b[k], buf, sz[k], err))))
            ws_error_prefix(err, "%s: entry '%s'", path, bname[k]);
    }
    free(buf);
    if (!rc && (rc = ws_net_load(net, ck, err))) {
        /* "checkpoint: ..." from the network: name the file instead */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        const char *rest = strncmp(msg, "checkpoint: ", 12) ? msg : msg + 12;
        ws_error_set(err, rc, "%s: %s", path, rest);
    }
    if (rc) return rc;
    *st = c;
    *rs = r;
    return 0;
}
