/* search.c: the search driver (see include/wsnas/search.h): loads the data
 * and splits, builds the supernet and the method, runs the epochs, writes the
 * per-epoch CSV rows, the manifest and an atomic checkpoint after every epoch,
 * and resumes exactly from that checkpoint. */
#include "wsnas/search.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "wsnas/data.h"
#include "wsnas/method.h"

#define WS_SEARCH_VERSION "wsnas-search 1"
#define DATA_SEED 201u /* subsets of the splits: fixed, so seeds share data */
#define EVAL_CHUNK 256

/* ---- small file helpers ----------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 14, n = 0;
    char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n - 1, f);
        if (n + 1 < cap) break;
        char *nb = realloc(b, cap *= 2);
        if (!nb) free(b);
        b = nb;
    }
    fclose(f);
    if (!b) return NULL;
    b[n] = '\0';
    if (len) *len = n;
    return b;
}

static int write_atomic(const char *path, const char *text, size_t n, ws_error *err)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    int ok = fwrite(text, 1, n, f) == n;
    ok &= fflush(f) == 0;
    ok &= fsync(fileno(f)) == 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return ws_error_set(err, WS_EIO, "%s: write failed: %s", path, strerror(errno));
    }
    return 0;
}

/* Rewrites a CSV keeping the header and the rows whose leading epoch is
 * below `epoch`, then appends `rows`. */
static int csv_update(const char *path, const char *header, int epoch, const char *rows,
                      ws_error *err)
{
    size_t len = 0, hl = strlen(header), rl = strlen(rows);
    char *old = read_all(path, &len);
    size_t cap = hl + len + rl + 2;
    char *out = malloc(cap), *w = out;
    if (!out) {
        free(old);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    memcpy(w, header, hl), w += hl;
    if (old) {
        char *line = strchr(old, '\n');
        if (strncmp(old, header, hl)) {
            free(old), free(out);
            return ws_error_set(err, WS_EFORMAT, "%s: unexpected header (not written by this "
                                "version?)", path);
        }
        for (line = line ? line + 1 : NULL; line && *line;) {
            char *nl = strchr(line, '\n');
            size_t ll = nl ? (size_t)(nl - line) + 1 : strlen(line);
            if (atoi(line) < epoch) memcpy(w, line, ll), w += ll;
            line += ll;
        }
        free(old);
    }
    memcpy(w, rows, rl), w += rl;
    int rc = write_atomic(path, out, (size_t)(w - out), err);
    free(out);
    return rc;
}

static void iso_time(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- resume check --------------------------------------------------------------- */

/* The parsed manifest.json of a search directory (NULL and err set when it
 * cannot be read; a parse failure returns NULL with err untouched, so the
 * caller names what it expected). path receives the file name. */
static cJSON *manifest_read(const char *dir, char *path, size_t cap, int *rc, ws_error *err)
{
    snprintf(path, cap, "%s/manifest.json", dir);
    char *text = read_all(path, NULL);
    if (!text) {
        *rc = ws_error_set(err, WS_EIO, "%s: cannot read (not a search directory?)", path);
        return NULL;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    *rc = 0;
    return root;
}

int ws_search_check_resume(const ws_search_config *cfg, const char *dir, ws_error *err)
{
    char path[1100];
    int rc0;
    cJSON *root = manifest_read(dir, path, sizeof path, &rc0, err);
    if (rc0) return rc0;
    const cJSON *old = root ? cJSON_GetObjectItemCaseSensitive(root, "config") : NULL;
    if (!cJSON_IsObject(old)) {
        cJSON_Delete(root);
        return ws_error_set(err, WS_EFORMAT, "%s: no \"config\" object", path);
    }
    char *mine_text = ws_config_to_json(cfg);
    cJSON *mine = mine_text ? cJSON_Parse(mine_text) : NULL;
    free(mine_text);
    if (!mine) {
        cJSON_Delete(root);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (const cJSON *it = mine->child; it && !rc; it = it->next) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(old, it->string);
        if (!o || !cJSON_Compare(it, o, 1)) {
            char *a = cJSON_PrintUnformatted(it), *b = o ? cJSON_PrintUnformatted(o) : NULL;
            rc = ws_error_set(err, WS_EINVAL,
                              "%s was made with another configuration: key '%s' is %s there, "
                              "%s now; refusing to resume (nothing was changed)",
                              dir, it->string, b ? b : "absent", a ? a : "?");
            free(a), free(b);
        }
    }
    for (const cJSON *it = old->child; it && !rc; it = it->next)
        if (!cJSON_GetObjectItemCaseSensitive(mine, it->string))
            rc = ws_error_set(err, WS_EINVAL,
                              "%s was made with another configuration: unknown key '%s'; "
                              "refusing to resume", dir, it->string);
    cJSON_Delete(mine);
    cJSON_Delete(root);
    return rc;
}

int ws_search_load_config(const char *dir, ws_search_config *cfg, ws_error *err)
{
    char path[1100];
    int rc0;
    cJSON *root = manifest_read(dir, path, sizeof path, &rc0, err);
    if (rc0) return rc0;
    const cJSON *c = root ? cJSON_GetObjectItemCaseSensitive(root, "config") : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "method");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "preset");
    char *ctext = cJSON_IsObject(c) ? cJSON_PrintUnformatted(c) : NULL;
    int rc;
    if (!ctext || !cJSON_IsString(m) || !cJSON_IsString(p))
        rc = ws_error_set(err, WS_EFORMAT, "%s: no \"config\" object with method and preset",
                          path);
    else if (!(rc = ws_config_preset(m->valuestring, p->valuestring, cfg, err)))
        rc = ws_config_apply_json(cfg, ctext, path, err);
    free(ctext);
    cJSON_Delete(root);
    return rc;
}

/* ---- data ------------------------------------------------------------------------ */

typedef struct search_data {
    ws_dataset *d;
    ws_index_list train, valid;
    ws_transform tf;
} search_data;

static void data_free(search_data *sd)
{
    ws_dataset_free(sd->d);
    ws_index_list_free(&sd->train);
    ws_index_list_free(&sd->valid);
}

/* Single-level (ERM) training on both splits? (erm_data; auto: the GAEA
 * methods, whose ERM trains on the whole training set.) */
static int erm_uses_all(const ws_search_config *cfg)
{
    if (!cfg->single_level) return 0;
    if (!strcmp(cfg->erm_data, "all")) return 1;
    if (!strcmp(cfg->erm_data, "train")) return 0;
    return !strncmp(cfg->method, "gaea-", 5);
}

/* train = train followed by valid (valid stays for the supernet accuracy). */
static int join_valid_into_train(search_data *sd, ws_error *err)
{
    int n = sd->train.n + sd->valid.n;
    int *idx = malloc((size_t)n * sizeof *idx);
    if (!idx) return ws_error_set(err, WS_ENOMEM, "out of memory");
    memcpy(idx, sd->train.idx, (size_t)sd->train.n * sizeof *idx);
    memcpy(idx + sd->train.n, sd->valid.idx, (size_t)sd->valid.n * sizeof *idx);
    free(sd->train.idx);
    sd->train.idx = idx;
    sd->train.n = n;
    return 0;
}

static int data_load(const ws_search_config *cfg, search_data *sd, ws_error *err)
{
    memset(sd, 0, sizeof *sd);
    int cifar = strcmp(cfg->dataset, "fashion-mnist") != 0;
    ws_data_spec spec = {.dataset = cfg->dataset,
                         .dir = cfg->data_dir[0] ? cfg->data_dir
                                : cifar            ? "../shared/cifar10"
                                                   : NULL,
                         .split_file = cfg->split_file,
                         .halves = WS_HALVES_RANDOM,
                         .train_size = cfg->train_size,
                         .valid_size = cfg->valid_size,
                         .subset_seed = DATA_SEED};
    ws_data d;
    int rc = ws_data_load(&spec, &d, err);
    if (rc) return rc;
    sd->d = d.train_set;
    sd->train = d.train;
    sd->valid = d.valid;
    if (erm_uses_all(cfg)) rc = join_valid_into_train(sd, err);
    if (!rc) rc = ws_transform_default(sd->d->name, cfg->image_size, cfg->augment, sd->d, &sd->tf, err);
    if (rc) data_free(sd);
    return rc;
}

/* ---- evaluation ----------------------------------------------------------------- */

/* Top-1 accuracy (%) of `mix` on valid images [0, n) in eval mode. */
static double eval_acc(ws_net *net, ws_batcher *eb, const ws_mix *mix, int n, float *x, int *y)
{
    int hits = 0, seen = 0;
    for (int first = 0; first < n;) {
        int want = n - first < EVAL_CHUNK ? n - first : EVAL_CHUNK;
        int b = ws_batcher_fixed(eb, first, want, x, y);
        if (b <= 0) break;
        int c = 0;
        ws_net_forward(net, x, y, b, mix, 0, &c);
        hits += c, seen += b, first += b;
    }
    return seen ? 100.0 * hits / seen : 0.0;
}

/* RS-WS selection (methods.md 2.1): K uniform samples, each scored by top-1
 * on one batch of select_batch valid images (eval mode); the best (first on
 * ties) is kept. */
static void rsws_select(ws_method_state *st, const ws_search_config *cfg, ws_net *net,
                        ws_batcher *eb, float *x, int *y)
{
    int b = ws_batcher_fixed(eb, 0, cfg->select_batch, x, y);
    int best = -1;
    for (int k = 0; k < cfg->select_k; k++) {
        ws_arch a;
        ws_arch_sample_uniform(&st->rng_select, st->ops_mask, &a);
        ws_mix mix;
        memset(&mix, 0, sizeof mix);
        mix.mode = WS_MIX_SINGLE;
        for (int e = 0; e < WS_EDGES; e++) mix.sel[e] = a.op[e], mix.edge_scale[e] = 1.0f;
        int c = 0;
        ws_net_forward(net, x, y, b, &mix, 0, &c);
        if (c > best) best = c, st->selected = a;
    }
    st->selected_valid = 1;
}

/* ---- manifest ------------------------------------------------------------------- */

static int manifest_write(const ws_search_config *cfg, const char *dir, const char *status,
                          const char *start, const char *end, int epochs_done, int resumes,
                          const char *final_arch, const char *best_arch, int best_epoch,
                          const search_data *sd, ws_error *err)
{
    char *cj = ws_config_to_json(cfg);
    cJSON *root = cJSON_CreateObject();
    cJSON *conf = cj ? cJSON_Parse(cj) : NULL;
    free(cj);
    if (!root || !conf) {
        cJSON_Delete(root), cJSON_Delete(conf);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    cJSON_AddItemToObject(root, "config", conf);
    cJSON_AddNumberToObject(root, "seed", (double)cfg->seed);
    cJSON_AddNumberToObject(root, "threads", cfg->threads);
    cJSON *ver = cJSON_AddObjectToObject(root, "versions");
    cJSON_AddStringToObject(ver, "wsnas", WS_SEARCH_VERSION);
    cJSON_AddStringToObject(ver, "cjson", cJSON_Version());
    cJSON_AddStringToObject(ver, "compiler", __VERSION__);
    cJSON_AddStringToObject(root, "host", host);
    cJSON_AddStringToObject(root, "start_time", start);
    cJSON_AddStringToObject(root, "end_time", end ? end : "");
    cJSON_AddStringToObject(root, "status", status);
    cJSON_AddNumberToObject(root, "epochs_done", epochs_done);
    cJSON_AddNumberToObject(root, "resumes", resumes);
    cJSON *data = cJSON_AddObjectToObject(root, "data");
    cJSON_AddStringToObject(data, "dataset", sd->d->name);
    cJSON_AddNumberToObject(data, "train_images", sd->train.n);
    cJSON_AddNumberToObject(data, "valid_images", sd->valid.n);
    cJSON_AddStringToObject(data, "arch_batches_from", cfg->single_level ? "train" : "valid");
    cJSON_AddStringToObject(data, "train_images_are",
                            erm_uses_all(cfg) ? "train and valid splits (ERM on all)"
                                              : "train split");
    cJSON_AddStringToObject(root, "final_arch", final_arch ? final_arch : "");
    if (best_arch) {
        cJSON_AddStringToObject(root, "best_valid_arch", best_arch);
        cJSON_AddNumberToObject(root, "best_valid_epoch", best_epoch);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return ws_error_set(err, WS_ENOMEM, "out of memory");
    char path[1100];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    size_t n = strlen(text);
    text[n] = '\0';
    char *t2 = realloc(text, n + 2);
    if (!t2) {
        free(text);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    t2[n] = '\n', t2[n + 1] = '\0';
    int rc = write_atomic(path, t2, n + 1, err);
    free(t2);
    return rc;
}

/* Reads start_time/resumes back on resume. */
static void manifest_peek(const char *dir, char *start, size_t n, int *resumes)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = read_all(path, NULL);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "start_time");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, "resumes");
    if (cJSON_IsString(s)) snprintf(start, n, "%s", s->valuestring);
    if (cJSON_IsNumber(r)) *resumes = r->valueint;
    cJSON_Delete(root);
}

/* ---- the run -------------------------------------------------------------------- */

typedef struct run_state { /* counters saved in the checkpoint */
    int32_t next_epoch;
    int32_t best_epoch;
    double best_valid;
    ws_arch best_arch;
} run_state;

int ws_search_run(const ws_search_config *cfg, const ws_search_opts *o, ws_error *err)
{
    int rc = ws_config_validate(cfg, err);
    if (rc) return rc;
    const char *dir = o->out_dir;
    char path[1100], ckpt_path[1100];
    snprintf(ckpt_path, sizeof ckpt_path, "%s/checkpoint.bin", dir);
    if (o->resume) {
        if ((rc = ws_search_check_resume(cfg, dir, err))) return rc;
        if (access(ckpt_path, R_OK) != 0)
            return ws_error_set(err, WS_EIO, "%s: no checkpoint to resume from", ckpt_path);
    } else {
        snprintf(path, sizeof path, "%s/manifest.json", dir);
        if (access(path, F_OK) == 0)
            return ws_error_set(err, WS_EINVAL,
                                "%s already holds a search (use --resume %s, or another --out)",
                                dir, dir);
    }
    search_data sd;
    if ((rc = data_load(cfg, &sd, err))) return rc;
    const int id = ws_method_lookup(cfg->method);
    const ws_index_list *arch_idx = cfg->single_level ? &sd.train : &sd.valid;
    ws_net_config nc = {.C = cfg->C, .N = cfg->N, .in_channels = sd.d->channels,
                        .in_size = cfg->image_size, .classes = sd.d->classes,
                        .cell_bn_affine = 0, .cell_bn_track = cfg->cell_bn_track,
                        .standalone = 0, .pc_k = cfg->pc_k,
                        .pc_random = !strcmp(cfg->pc_sample, "random")};
    int maxb = cfg->batch;
    if (EVAL_CHUNK > maxb) maxb = EVAL_CHUNK;
    if (id == WS_METHOD_RSWS && cfg->select_batch > maxb) maxb = cfg->select_batch;
    nc.max_batch = maxb;
    const int S = cfg->image_size, CH = sd.d->channels;
    ws_batcher *wb = ws_batcher_alloc(sd.d, &sd.train, cfg->batch, &sd.tf, cfg->augment,
                                      cfg->seed, err);
    ws_batcher *ab = wb ? ws_batcher_alloc(sd.d, arch_idx, cfg->batch, &sd.tf, cfg->augment,
                                           cfg->seed + 1, err) : NULL;
    ws_batcher *eb = ab ? ws_batcher_alloc(sd.d, &sd.valid, EVAL_CHUNK, &sd.tf, 0, cfg->seed + 2,
                                           err) : NULL;
    ws_net *net = eb ? ws_net_alloc(&nc, err) : NULL;
    ws_net *net_copy = net && id == WS_METHOD_DARTS2 ? ws_net_alloc(&nc, err) : NULL;
    ws_ckpt *ck = NULL;
    size_t np = 0;
    float *x = NULL, *xa = NULL, *scratch = NULL;
    int *y = NULL, *ya = NULL;
    char *rows = NULL;
    if (!net || (id == WS_METHOD_DARTS2 && !net_copy)) {
        if (!err || !err->code) ws_error_set(err, WS_ENOMEM, "cannot build the search");
        rc = err ? err->code : WS_ENOMEM;
        goto done;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) { /* only once the inputs are good */
        rc = ws_error_set(err, WS_EIO, "%s: cannot create: %s", dir, strerror(errno));
        goto done;
    }
    ws_net_params(net, &np);
    x = malloc(sizeof(float) * (size_t)maxb * CH * S * S);
    xa = malloc(sizeof(float) * (size_t)maxb * CH * S * S);
    y = malloc(sizeof(int) * (size_t)maxb);
    ya = malloc(sizeof(int) * (size_t)maxb);
    scratch = id == WS_METHOD_DARTS2 ? malloc(sizeof(float) * np) : NULL;
    rows = malloc(1 << 16);
    if (!x || !xa || !y || !ya || !rows || (id == WS_METHOD_DARTS2 && !scratch)) {
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        goto done;
    }
    ws_pcg32 init;
    ws_pcg32_stream(&init, cfg->seed, WS_STREAM_INIT);
    ws_net_init(net, &init);
    if (net_copy) ws_net_init(net_copy, &init);
    ws_method_state st;
    if ((rc = ws_method_init(&st, cfg, cfg->seed, err))) goto done;
    run_state rs;
    memset(&rs, 0, sizeof rs); /* padding too: the blob is compared byte for byte */
    rs.best_epoch = -1, rs.best_valid = -1;
    const size_t wbs = ws_batcher_state_size(wb), abs_ = ws_batcher_state_size(ab);
    void *bstate = malloc(wbs > abs_ ? wbs : abs_);
    if (!bstate) {
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        goto done;
    }
    char start[64] = "", now[64];
    int resumes = 0;
    iso_time(start, sizeof start);
    ck = ws_ckpt_alloc();
    if (!ck) {
        free(bstate);
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        goto done;
    }
    if (o->resume) {
        manifest_peek(dir, start, sizeof start, &resumes);
        resumes++;
        if ((rc = ws_ckpt_read(ck, ckpt_path, err)) || (rc = ws_net_load(net, ck, err)) ||
            (rc = ws_ckpt_get(ck, "search.run", &rs, sizeof rs, err)) ||
            (rc = ws_ckpt_get(ck, "search.method", &st, sizeof st, err)) ||
            (rc = ws_ckpt_get(ck, "search.batcher_w", bstate, wbs, err)) ||
            (rc = ws_batcher_state_load(wb, bstate, wbs, err)) ||
            (rc = ws_ckpt_get(ck, "search.batcher_a", bstate, abs_, err)) ||
            (rc = ws_batcher_state_load(ab, bstate, abs_, err))) {
            ws_error_prefix(err, "%s", ckpt_path);
            free(bstate);
            goto done;
        }
    }
    if ((rc = manifest_write(cfg, dir, "running", start, NULL, rs.next_epoch, resumes, NULL, NULL,
                             -1, &sd, err))) {
        free(bstate);
        goto done;
    }
    const int lr_epochs = cfg->lr_epochs ? cfg->lr_epochs : cfg->epochs;
    const int eval_n = cfg->eval_size > 0 && cfg->eval_size < sd.valid.n ? cfg->eval_size
                                                                          : sd.valid.n;
    const int steps = ws_batcher_batches_per_epoch(wb);
    int stopped = 0;
    for (int epoch = rs.next_epoch; epoch < cfg->epochs; epoch++) {
        const double t0 = now_s();
        const double lr = ws_cosine_lr(cfg->lr, cfg->lr_min, epoch, lr_epochs);
        ws_method_epoch_begin(&st, cfg, epoch);
        ws_method_ctx ctx = {.net = net, .net_copy = net_copy, .cfg = cfg, .x = x, .y = y,
                             .xa = xa, .ya = ya, .lr = (float)lr, .scratch = scratch};
        ctx.sgd = (ws_sgd){.lr = (float)lr, .momentum = (float)cfg->momentum,
                           .weight_decay = (float)cfg->weight_decay, .nesterov = cfg->nesterov};
        double loss_sum = 0;
        long hits = 0, seen = 0;
        ws_search_progress pr = {.epoch = epoch, .epochs = cfg->epochs, .steps = steps, .lr = lr};
        for (int s = 0; s < steps; s++) {
            ctx.B = ws_batcher_next(wb, x, y);
            if (ctx.B <= 0) break;
            if (ws_method_uses_arch_batch(id)) ctx.Ba = ws_batcher_random(ab, xa, ya);
            ws_method_step(&st, &ctx);
            loss_sum += (double)ctx.loss * ctx.B;
            hits += ctx.correct, seen += ctx.B;
            if (o->progress) {
                double dt = now_s() - t0;
                pr.step = s + 1;
                pr.loss = loss_sum / (double)seen;
                pr.images_per_s = dt > 0 ? seen / dt : 0;
                double left = (double)(steps - s - 1) + (double)steps * (cfg->epochs - epoch - 1);
                pr.eta_s = dt / (s + 1) * left;
                o->progress(&pr, o->user);
            }
        }
        /* end of epoch: selection / supernet accuracy, entropy, derived arch */
        if (id == WS_METHOD_RSWS) rsws_select(&st, cfg, net, eb, x, y);
        ws_mix emix;
        ws_method_eval_mix(&st, &emix);
        const double vacc = eval_acc(net, eb, &emix, eval_n, x, y);
        float p[WS_EDGES][WS_OP_COUNT];
        ws_method_weights(&st, p);
        const double ent = ws_arch_entropy(&p[0][0]);
        ws_arch a;
        ws_method_derive(&st, &a);
        char astr[WS_ARCH_STR_MAX], digits[WS_EDGES + 1];
        ws_arch_format(&a, astr);
        ws_arch_digits(&a, digits);
        if (vacc > rs.best_valid) rs.best_valid = vacc, rs.best_epoch = epoch, rs.best_arch = a;
        const double wall = now_s() - t0;
        const double tacc = seen ? 100.0 * (double)hits / (double)seen : 0;
        const double tloss = seen ? loss_sum / (double)seen : 0;
        float tau = (id == WS_METHOD_GDAS || id == WS_METHOD_GAEA_GDAS) ? st.tau : 0.0f;
        snprintf(rows, 1 << 16, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%s,%s,%.3f,%.1f\n", epoch, lr,
                 (double)tau, tloss, tacc, vacc, ent, astr, digits, wall,
                 wall > 0 ? seen / wall : 0.0);
        snprintf(path, sizeof path, "%s/epochs.csv", dir);
        rc = csv_update(path,
                        "epoch,lr,tau,train_loss,train_acc,valid_acc,entropy,arch,arch_ops,"
                        "wall_s,images_per_s\n",
                        epoch, rows, err);
        if (rc) break;
        size_t off = 0;
        for (int e = 0; e < WS_EDGES; e++)
            for (int op = 0; op < WS_OP_COUNT; op++)
                off += (size_t)snprintf(rows + off, (1 << 16) - off, "%d,%d,%s,%.9g\n", epoch, e,
                                        ws_op_names[op], (double)p[e][op]);
        snprintf(path, sizeof path, "%s/arch_weights.csv", dir);
        if ((rc = csv_update(path, "epoch,edge,op,weight\n", epoch, rows, err))) break;
        if (ws_method_is_pc(id)) { /* PC-DARTS edge normalisation weights */
            float scale[WS_EDGES];
            ws_method_eval_mix(&st, &emix);
            memcpy(scale, emix.edge_scale, sizeof scale);
            off = 0;
            for (int e = 0; e < WS_EDGES; e++)
                off += (size_t)snprintf(rows + off, (1 << 16) - off, "%d,%d,%.9g\n", epoch, e,
                                        (double)scale[e]);
            snprintf(path, sizeof path, "%s/edge_weights.csv", dir);
            if ((rc = csv_update(path, "epoch,edge,weight\n", epoch, rows, err))) break;
        }
        /* checkpoint: everything the next epoch depends on */
        rs.next_epoch = epoch + 1;
        ws_ckpt_free(ck);
        ck = ws_ckpt_alloc();
        if (!ck) {
            rc = ws_error_set(err, WS_ENOMEM, "out of memory");
            break;
        }
        if ((rc = ws_net_save(net, ck, err)) ||
            (rc = ws_ckpt_put(ck, "search.run", &rs, sizeof rs, err)) ||
            (rc = ws_ckpt_put(ck, "search.method", &st, sizeof st, err)))
            break;
        ws_batcher_state_save(wb, bstate);
        if ((rc = ws_ckpt_put(ck, "search.batcher_w", bstate, wbs, err))) break;
        ws_batcher_state_save(ab, bstate);
        if ((rc = ws_ckpt_put(ck, "search.batcher_a", bstate, abs_, err))) break;
        if ((rc = ws_ckpt_write(ck, ckpt_path, err))) break;
        if (o->progress) {
            pr.epoch_done = 1, pr.step = steps;
            pr.loss = tloss, pr.train_acc = tacc, pr.valid_acc = vacc, pr.entropy = ent;
            pr.images_per_s = wall > 0 ? seen / wall : 0;
            memcpy(pr.arch, astr, sizeof astr);
            o->progress(&pr, o->user);
        }
        if (o->stop_after_epoch > 0 && epoch + 1 >= o->stop_after_epoch &&
            epoch + 1 < cfg->epochs) {
            stopped = 1;
            break;
        }
    }
    free(bstate);
    if (!rc) {
        ws_arch a;
        ws_method_derive(&st, &a);
        char astr[WS_ARCH_STR_MAX], bstr[WS_ARCH_STR_MAX];
        ws_arch_format(&a, astr);
        ws_arch_format(&rs.best_arch, bstr);
        iso_time(now, sizeof now);
        /* GAEA bilevel answers with the best-valid epoch's genotype (2.5) */
        int best = ws_method_is_gaea(id) && !cfg->single_level && rs.best_epoch >= 0;
        rc = manifest_write(cfg, dir, stopped ? "stopped" : "complete", start,
                            stopped ? NULL : now, rs.next_epoch, resumes, astr,
                            best ? bstr : NULL, rs.best_epoch, &sd, err);
    }
done:
    ws_ckpt_free(ck);
    free(x), free(xa), free(y), free(ya), free(scratch), free(rows);
    ws_net_free(net_copy);
    ws_net_free(net);
    ws_batcher_free(eb);
    ws_batcher_free(ab);
    ws_batcher_free(wb);
    data_free(&sd);
    return rc;
}
