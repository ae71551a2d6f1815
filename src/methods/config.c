/* config.c: search configuration: presets, JSON files (cJSON), --set
 * overrides, range checks, and the manifest JSON (see include/wsnas/config.h).
 * One table lists every key with its type, place in the struct and range, so
 * parsing, checking and printing cannot disagree. */
#include "wsnas/config.h"
#include "wsnas/method.h"
#include "wsnas/json.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum key_type { K_INT, K_DBL, K_STR, K_BOOL, K_U64 };

struct key {
    const char *name;
    int type;
    size_t off, size; /* size: string capacity */
    double lo, hi;
    const char *choices; /* K_STR: space-separated allowed values, or NULL = any */
    const char *doc;     /* one line of meaning (wsnas search --list-keys) */
};

#define KI(n, lo, hi, d) {#n, K_INT, offsetof(ws_search_config, n), 0, lo, hi, NULL, d}
#define KB(n, d) {#n, K_BOOL, offsetof(ws_search_config, n), 0, 0, 1, NULL, d}
#define KD(n, lo, hi, d) {#n, K_DBL, offsetof(ws_search_config, n), 0, lo, hi, NULL, d}
#define KS(n, ch, d)                                                                            \
    {#n, K_STR, offsetof(ws_search_config, n), sizeof(((ws_search_config *)0)->n), 0, 0, ch, d}

/* clang-format off */
static const struct key keys[] = {
    KS(method, NULL, "the search method (update rules, order and defaults: methods.md 2)"),
    KS(preset, "paper cpu", "the defaults: paper = the published setup, cpu = a small CPU setup"),
    KS(label, NULL, "the name reports group this run under (a suite variant; \"\" = the method)"),
    KS(dataset, "fashion-mnist cifar10", "the images searched on"),
    KS(data_dir, NULL, "dataset directory (\"\" = the dataset's default)"),
    KS(split_file, NULL, "cifar10: NB201's train/valid halves file (\"\" = seeded random halves)"),
    KI(image_size, 8, 32, "network input side in pixels (images are resized to it)"),
    KI(train_size, 0, 10000000, "images of the weight-training split used (0 = all)"),
    KI(valid_size, 0, 10000000, "images of the architecture (valid) split used (0 = all)"),
    KI(eval_size, 0, 10000000, "valid images scored for the supernet accuracy per epoch (0 = all)"),
    KB(augment, "random crop and horizontal flip on the search batches"),
    KI(batch, 1, 4096, "images per step (weight and architecture batches)"),
    KI(C, 1, 256, "channels of the first stage of the supernet (x2, x4 in later stages)"),
    KI(N, 1, 16, "cells per stage"),
    KB(cell_bn_track, "cell BNs keep running statistics (0: batch statistics always)"),
    KI(pc_k, 1, 16, "partial channels K: each edge runs its ops on C/K channels (1 = off)"),
    KS(pc_sample, "shuffle random", "which C/K channels: shuffle (the PC-DARTS code), random (the paper)"),
    KI(epochs, 1, 100000, "search epochs"),
    KI(lr_epochs, 0, 100000, "cosine learning-rate horizon in epochs (0 = epochs)"),
    KD(lr, 0, 10, "weight learning rate at the start (SGD, cosine per epoch)"),
    KD(lr_min, 0, 10, "weight learning rate at the end of the cosine"),
    KD(momentum, 0, 0.999999, "SGD momentum of the weights"),
    KD(weight_decay, 0, 1, "L2 weight decay of the weights"),
    KB(nesterov, "Nesterov momentum"),
    KD(grad_clip, 0, 1e9, "clip the weight-gradient norm at this value (0 = no clipping)"),
    KB(clip_includes_arch, "the clipped norm also counts the architecture gradients (AutoDL's quirk)"),
    KB(single_level, "ERM: both updates on training data (0: bilevel, architecture on valid)"),
    KS(erm_data, "auto train all", "ERM's training images: train split, all (train + valid), auto"),
    KD(arch_lr, 0, 10, "Adam learning rate of the architecture logits"),
    KD(arch_beta1, 0, 0.999999, "Adam beta1 of the architecture logits"),
    KD(arch_beta2, 0, 0.999999999, "Adam beta2 of the architecture logits"),
    KD(arch_eps, 1e-20, 1, "Adam epsilon of the architecture logits"),
    KD(arch_weight_decay, 0, 10, "weight decay of the architecture logits"),
    KD(arch_init_std, 0, 10, "architecture logits start as this std times N(0,1)"),
    KD(eg_eta, 0, 100, "GAEA: exponentiated-gradient step size on the simplex"),
    KD(eg_floor, 1e-12, 0.05, "GAEA: lower bound of every simplex weight"),
    KD(entropic_reg, 0, 100, "GAEA: entropic regulariser beta (sum theta ln(theta K))"),
    KB(exclude_none, "remove 'none' from the op set"),
    KI(warmup_epochs, 0, 100000, "epochs of weight training before architecture updates start"),
    KD(tau_max, 1e-6, 1e6, "GDAS: Gumbel-softmax temperature at the first epoch (linear decay)"),
    KD(tau_min, 1e-6, 1e6, "GDAS: Gumbel-softmax temperature at the last epoch"),
    KI(select_k, 1, 15625, "RS-WS: architectures sampled at selection, the best one is kept"),
    KI(select_batch, 1, 100000, "RS-WS: held-out images that score each sampled architecture"),
    {"seed", K_U64, offsetof(ws_search_config, seed), 0, 0, 9007199254740991.0, NULL,
     "random seed (every stream: init, data order, augmentation, sampling)"},
    KI(threads, 1, 256, "OpenMP threads"),
};
/* clang-format on */

int ws_config_key_count(void) { return (int)WS_ARRAY_LEN(keys); }
const char *ws_config_key_name(int i)
{
    return i >= 0 && i < (int)WS_ARRAY_LEN(keys) ? keys[i].name : NULL;
}

const char *ws_config_key_doc(int i)
{
    return i >= 0 && i < (int)WS_ARRAY_LEN(keys) ? keys[i].doc : NULL;
}

void ws_config_key_type(int i, char *buf, size_t n)
{
    WS_ASSERT(i >= 0 && i < (int)WS_ARRAY_LEN(keys));
    const struct key *k = &keys[i];
    switch (k->type) {
    case K_INT: snprintf(buf, n, "int %.0f..%.0f", k->lo, k->hi); break;
    case K_U64: snprintf(buf, n, "int %.0f..2^53-1", k->lo); break;
    case K_BOOL: snprintf(buf, n, "bool 0|1"); break;
    case K_DBL: snprintf(buf, n, "real %g..%g", k->lo, k->hi); break;
    default:
        if (!strcmp(k->name, "method")) {
            buf[0] = '\0';
            for (int m = 0; m < WS_METHOD_COUNT; m++)
                snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", m ? "|" : "",
                         ws_method_name(m));
        } else if (k->choices) {
            snprintf(buf, n, "%s", k->choices);
            for (char *p = buf; *p; p++)
                if (*p == ' ') *p = '|';
        } else {
            snprintf(buf, n, "text");
        }
    }
}

void ws_config_key_value(const ws_search_config *cfg, int i, char *buf, size_t n)
{
    WS_ASSERT(i >= 0 && i < (int)WS_ARRAY_LEN(keys));
    const struct key *k = &keys[i];
    const char *base = (const char *)cfg + k->off;
    switch (k->type) {
    case K_STR: snprintf(buf, n, "%s", base[0] ? base : "\"\""); break;
    case K_BOOL:
    case K_INT: snprintf(buf, n, "%d", *(const int *)base); break;
    case K_U64: snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)base); break;
    default: snprintf(buf, n, "%g", *(const double *)base); break;
    }
}

static const struct key *key_find(const char *name)
{
    for (size_t i = 0; i < WS_ARRAY_LEN(keys); i++)
        if (!strcmp(keys[i].name, name)) return &keys[i];
    return NULL;
}

static int unknown_key(const char *source, const char *name, ws_error *err)
{
    const char *names[WS_ARRAY_LEN(keys)], *best = NULL;
    for (size_t i = 0; i < WS_ARRAY_LEN(keys); i++) {
        names[i] = keys[i].name;
        size_t kl = strlen(keys[i].name);
        if (kl >= 3 && !strncmp(name, keys[i].name, kl)) best = keys[i].name; /* batchsize */
    }
    if (!best) best = ws_suggest(name, names, (int)WS_ARRAY_LEN(keys));
    if (best)
        return ws_error_set(err, WS_EINVAL, "%s: unknown key '%s' (did you mean '%s'?)", source,
                            name, best);
    return ws_error_set(err, WS_EINVAL,
                        "%s: unknown key '%s' (wsnas search --list-keys lists them)", source,
                        name);
}

static int choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, v, n)) return 1;
        p += len + (e ? 1 : 0);
    }
    return 0;
}

/* Stores one value; `num`/`str` as parsed; errors name source and key. */
static int key_store_num(ws_search_config *cfg, const struct key *k, double v, const char *source,
                         ws_error *err)
{
    char *base = (char *)cfg + k->off;
    if (!isfinite(v))
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': expected a finite number", source,
                            k->name);
    if (k->type != K_DBL && v != floor(v))
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': expected an integer, got %.10g", source,
                            k->name, v);
    if (v < k->lo || v > k->hi)
        return ws_error_set(err, WS_ERANGE, "%s: key '%s': %.10g is out of range [%g, %g]", source,
                            k->name, v, k->lo, k->hi);
    switch (k->type) {
    case K_INT:
    case K_BOOL: *(int *)base = (int)v; break;
    case K_U64: *(uint64_t *)base = (uint64_t)v; break;
    case K_DBL: *(double *)base = v; break;
    default: WS_ASSERT(0);
    }
    return 0;
}

static int key_store_str(ws_search_config *cfg, const struct key *k, const char *v,
                         const char *source, ws_error *err)
{
    if (!strcmp(k->name, "method") && ws_method_lookup(v) < 0) {
        ws_method_unknown(v, err);
        return ws_error_prefix(err, "%s: key 'method'", source);
    }
    if (!strcmp(k->name, "label"))
        for (const char *p = v; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
                return ws_error_set(err, WS_EINVAL,
                                    "%s: key 'label': '%s' may use only A-Z a-z 0-9 . _ -", source,
                                    v);
    if (k->choices && !choice_ok(k->choices, v))
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': '%s' is not one of: %s", source,
                            k->name, v, k->choices);
    if (strlen(v) >= k->size)
        return ws_error_set(err, WS_EINVAL, "%s: key '%s': value longer than %zu characters",
                            source, k->name, k->size - 1);
    memcpy((char *)cfg + k->off, v, strlen(v) + 1);
    return 0;
}

int ws_config_preset(const char *method, const char *preset, ws_search_config *cfg,
                     ws_error *err)
{
    int m = ws_method_lookup(method);
    if (m < 0) return ws_method_unknown(method, err);
    int paper = !strcmp(preset, "paper");
    if (!paper && strcmp(preset, "cpu"))
        return ws_error_set(err, WS_EINVAL, "unknown preset '%s' (expected paper or cpu)", preset);
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->method, sizeof cfg->method, "%s", method);
    snprintf(cfg->preset, sizeof cfg->preset, "%s", preset);
    /* common (methods.md 2.0); the method's row adds its own (preset) */
    cfg->batch = 64;
    cfg->augment = 1;
    cfg->lr = 0.025, cfg->lr_min = 0.001, cfg->momentum = 0.9;
    cfg->weight_decay = 5e-4, cfg->nesterov = 1;
    cfg->grad_clip = 5;
    cfg->arch_lr = 3e-4, cfg->arch_beta1 = 0.5, cfg->arch_beta2 = 0.999, cfg->arch_eps = 1e-8;
    cfg->arch_weight_decay = 1e-3, cfg->arch_init_std = 1e-3;
    cfg->eg_eta = 0.1, cfg->eg_floor = 1e-5;
    cfg->tau_max = 10, cfg->tau_min = 0.1;
    cfg->select_k = 100, cfg->select_batch = 512;
    cfg->pc_k = 1;
    snprintf(cfg->erm_data, sizeof cfg->erm_data, "auto");
    snprintf(cfg->pc_sample, sizeof cfg->pc_sample, "shuffle");
    cfg->threads = 1;
    cfg->seed = 1;
    cfg->epochs = 50; /* 2.8; rs-ws and gdas: 250, GAEA: 25 (their rows) */
    if (paper) {
        snprintf(cfg->dataset, sizeof cfg->dataset, "cifar10");
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "../shared/cifar10");
        snprintf(cfg->split_file, sizeof cfg->split_file, "../shared/nb201/splits/cifar-split.txt");
        cfg->image_size = 32;
        cfg->C = 16;
        cfg->N = 5;
        cfg->cell_bn_track = 1; /* BN1: the NB201 docs and GAEA (methods.md 7) */
    } else {
        snprintf(cfg->dataset, sizeof cfg->dataset, "fashion-mnist");
        cfg->image_size = 16;
        cfg->C = 8, cfg->N = 1;
        cfg->train_size = 4000, cfg->valid_size = 2000, cfg->eval_size = 1000;
        cfg->cell_bn_track = 0; /* harness default: batch statistics (methods.md 7) */
        cfg->epochs = 10;
        cfg->lr_epochs = 0; /* cosine over the run, so --epochs alone is enough */
        cfg->warmup_epochs = 0;
        cfg->select_k = 100, cfg->select_batch = 256;
    }
    const ws_method_def *def = ws_method_def_of(m);
    if (def->preset) def->preset(cfg, paper);
    return 0;
}

/* Parses a JSON object; errors give the line and byte offset. */
static int parse_object(const char *json, const char *source, cJSON **out, ws_error *err)
{
    cJSON *root = NULL;
    *out = NULL;
    int rc = ws_json_parse_text(json, source, 1, &root, err);
    if (rc) return rc;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ws_error_set(err, WS_EFORMAT, "%s: expected a JSON object of key: value", source);
    }
    *out = root;
    return 0;
}

int ws_config_apply_json(ws_search_config *cfg, const char *json, const char *source,
                         ws_error *err)
{
    cJSON *root;
    int prc = parse_object(json, source, &root, err);
    if (prc) return prc;
    ws_search_config tmp = *cfg;
    int rc = 0;
    for (cJSON *it = root->child; it && !rc; it = it->next) {
        const struct key *k = key_find(it->string);
        if (!k) {
            rc = unknown_key(source, it->string, err);
            break;
        }
        if (k->type == K_STR) {
            if (!cJSON_IsString(it)) {
                rc = ws_error_set(err, WS_EINVAL, "%s: key '%s': expected a string", source,
                                  k->name);
                break;
            }
            if ((!strcmp(k->name, "method") || !strcmp(k->name, "preset")) &&
                strcmp(it->valuestring, (const char *)cfg + k->off)) {
                rc = ws_error_set(err, WS_EINVAL,
                                  "%s: key '%s' is '%s' but the run uses '%s' (choose it with "
                                  "--method/--preset or in the file, consistently)",
                                  source, k->name, it->valuestring, (const char *)cfg + k->off);
                break;
            }
            rc = key_store_str(&tmp, k, it->valuestring, source, err);
        } else if (k->type == K_BOOL && cJSON_IsBool(it)) {
            rc = key_store_num(&tmp, k, cJSON_IsTrue(it) ? 1 : 0, source, err);
        } else if (cJSON_IsNumber(it)) {
            rc = key_store_num(&tmp, k, it->valuedouble, source, err);
        } else {
            rc = ws_error_set(err, WS_EINVAL, "%s: key '%s': expected %s", source, k->name,
                              k->type == K_BOOL ? "true/false or 0/1" : "a number");
        }
    }
    cJSON_Delete(root);
    if (!rc) *cfg = tmp;
    return rc;
}

static char *read_text(const char *path, ws_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (n + 1 < cap) break;
        if (cap > (1u << 24)) {
            free(buf);
            buf = NULL;
            ws_error_set(err, WS_EFORMAT, "%s: larger than 16 MB", path);
            fclose(f);
            return NULL;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) free(buf);
        buf = nb, cap *= 2;
    }
    fclose(f);
    if (!buf) {
        ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

int ws_config_apply_file(ws_search_config *cfg, const char *path, ws_error *err)
{
    char *text = read_text(path, err);
    if (!text) return err ? err->code : WS_EIO;
    int rc = ws_config_apply_json(cfg, text, path, err);
    free(text);
    return rc;
}

int ws_config_peek_text(const char *text, const char *source, char method[32], char preset[16],
                        ws_error *err)
{
    method[0] = preset[0] = '\0';
    cJSON *root;
    int rc = parse_object(text, source, &root, err);
    if (rc) return rc;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "method");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "preset");
    if (cJSON_IsString(m)) snprintf(method, 32, "%s", m->valuestring);
    if (cJSON_IsString(p)) snprintf(preset, 16, "%s", p->valuestring);
    cJSON_Delete(root);
    return 0;
}

int ws_config_peek(const char *path, char method[32], char preset[16], ws_error *err)
{
    method[0] = preset[0] = '\0';
    char *text = read_text(path, err);
    if (!text) return err ? err->code : WS_EIO;
    int rc = ws_config_peek_text(text, path, method, preset, err);
    free(text);
    return rc;
}

int ws_config_set(ws_search_config *cfg, const char *assignment, ws_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return ws_error_set(err, WS_EINVAL, "--set '%s': expected key=value", assignment);
    char name[64];
    size_t nlen = (size_t)(eq - assignment);
    if (nlen >= sizeof name) return unknown_key("--set", assignment, err);
    memcpy(name, assignment, nlen);
    name[nlen] = '\0';
    const char *v = eq + 1;
    const struct key *k = key_find(name);
    if (!k) return unknown_key("--set", name, err);
    if (!strcmp(name, "method") || !strcmp(name, "preset"))
        return ws_error_set(err, WS_EINVAL, "--set: '%s' is chosen with --%s", name, name);
    if (k->type == K_STR) return key_store_str(cfg, k, v, "--set", err);
    if (k->type == K_BOOL && (!strcmp(v, "true") || !strcmp(v, "false")))
        return key_store_num(cfg, k, v[0] == 't', "--set", err);
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (!v[0] || errno || *end)
        return ws_error_set(err, WS_EINVAL, "--set: key '%s': expected a number, got '%s'", name,
                            v);
    return key_store_num(cfg, k, d, "--set", err);
}

int ws_config_validate(const ws_search_config *c, ws_error *err)
{
    if (ws_method_lookup(c->method) < 0) return ws_method_unknown(c->method, err);
    if (c->tau_min > c->tau_max)
        return ws_error_set(err, WS_ERANGE, "tau_min %g > tau_max %g", c->tau_min, c->tau_max);
    if (c->lr_min > c->lr)
        return ws_error_set(err, WS_ERANGE, "lr_min %g > lr %g", c->lr_min, c->lr);
    if (c->lr_epochs && c->lr_epochs < c->epochs)
        return ws_error_set(err, WS_ERANGE, "lr_epochs %d < epochs %d (0 = same as epochs)",
                            c->lr_epochs, c->epochs);
    int ops = c->exclude_none ? 4 : 5;
    if (c->eg_floor * ops >= 1)
        return ws_error_set(err, WS_ERANGE, "eg_floor %g: times %d ops must be < 1", c->eg_floor,
                            ops);
    int pc = (ws_method_flags(ws_method_lookup(c->method)) & WS_MF_PC) != 0;
    if (!pc && c->pc_k != 1)
        return ws_error_set(err, WS_EINVAL, "pc_k %d: only the pc-darts methods use partial "
                            "channels (set pc_k=1)", c->pc_k);
    if (c->pc_k > 1 && c->C % c->pc_k)
        return ws_error_set(err, WS_ERANGE, "pc_k %d must divide C %d", c->pc_k, c->C);
    if (!strcmp(c->dataset, "fashion-mnist") && c->image_size < 8)
        return ws_error_set(err, WS_ERANGE, "image_size %d too small", c->image_size);
    return 0;
}

char *ws_config_to_json(const ws_search_config *cfg)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    for (size_t i = 0; i < WS_ARRAY_LEN(keys); i++) {
        const struct key *k = &keys[i];
        const char *base = (const char *)cfg + k->off;
        cJSON *v = NULL;
        switch (k->type) {
        case K_STR: v = cJSON_CreateString(base); break;
        case K_BOOL: v = cJSON_CreateBool(*(const int *)base); break;
        case K_INT: v = cJSON_CreateNumber(*(const int *)base); break;
        case K_U64: v = cJSON_CreateNumber((double)*(const uint64_t *)base); break;
        case K_DBL: v = cJSON_CreateNumber(*(const double *)base); break;
        default: WS_ASSERT(0);
        }
        if (!v || !cJSON_AddItemToObject(o, k->name, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return NULL;
        }
    }
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

/* Keys added after runs were first recorded: manifests and checkpoints of
 * earlier versions lack them.  Each has a neutral default, the behaviour
 * from before it existed.  A recorded run without such a key resumes when
 * the key has that default now, and the key stays out of the config digest
 * while it has it, so that older runs remain resumable.  Every key added
 * from now on belongs here. */
static const char *const later_keys[] = {"label"};

int ws_config_key_is_later_default(const ws_search_config *cfg, const char *name)
{
    int later = 0;
    for (size_t i = 0; i < WS_ARRAY_LEN(later_keys); i++) later |= !strcmp(name, later_keys[i]);
    const struct key *k = later ? key_find(name) : NULL;
    ws_search_config def;
    if (!k || ws_config_preset(cfg->method, cfg->preset, &def, NULL)) return 0;
    const char *a = (const char *)cfg + k->off, *b = (const char *)&def + k->off;
    switch (k->type) {
    case K_STR: return !strcmp(a, b);
    case K_INT:
    case K_BOOL: return *(const int *)a == *(const int *)b;
    case K_U64: return *(const uint64_t *)a == *(const uint64_t *)b;
    default: return *(const double *)a == *(const double *)b;
    }
}

int ws_config_digest(const ws_search_config *cfg, uint64_t *digest)
{
    char *text = ws_config_to_json(cfg);
    cJSON *o = text ? cJSON_Parse(text) : NULL;
    free(text);
    for (size_t i = 0; o && i < WS_ARRAY_LEN(later_keys); i++)
        if (ws_config_key_is_later_default(cfg, later_keys[i]))
            cJSON_DeleteItemFromObjectCaseSensitive(o, later_keys[i]);
    text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text) return WS_ENOMEM;
    uint64_t h = 14695981039346656037ull; /* FNV-1a 64 offset basis */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    free(text);
    *digest = h;
    return 0;
}
