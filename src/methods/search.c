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
#include "wsnas/json.h"
#include "wsnas/method.h"

#define DATA_SEED 201u /* subsets of the splits: fixed, so seeds share data */
#define EVAL_CHUNK 256

/* ---- small file helpers ----------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    char *text = NULL;
    if (ws_file_read_text(path, &text, NULL)) return NULL;
    if (len) *len = strlen(text);
    return text;
}

/* The leading epoch of a CSV row ("12,..."), or -1 if it has none. */
static long row_epoch(const char *line)
{
    long v = 0;
    const char *p = line;
    if (*p < '0' || *p > '9') return -1;
    while (*p >= '0' && *p <= '9' && v < 100000000) v = v * 10 + (*p++ - '0');
    return *p == ',' ? v : -1;
}

/* Reads a per-epoch CSV written by this driver and returns (malloc'd, in
 * *kept) its header and the rows of epochs below `epoch`.  It must have
 * this header, `per_epoch` rows of each epoch 0..epoch-1 in order, rows of
 * no epoch beyond `epoch` (a kill between this file and the checkpoint
 * leaves rows of `epoch` itself) and the header's field count on every
 * row.  A missing file is empty (an error if epoch > 0). */
static int csv_kept(const char *path, const char *header, int per_epoch, int epoch, char **kept,
                    size_t *klen, ws_error *err)
{
    *kept = NULL;
    size_t len = 0, hl = strlen(header);
    int fields = 1;
    for (const char *q = header; *q && *q != '\n'; q++) fields += *q == ',';
    char *old = read_all(path, &len);
    if (!old && epoch > 0)
        return ws_error_set(err, WS_EFORMAT, "%s: missing, but the checkpoint has %d epochs",
                            path, epoch);
    char *out = malloc(hl + len + 1), *w = out;
    if (!out) {
        free(old);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    memcpy(w, header, hl), w += hl;
    int rc = 0;
    if (old && strncmp(old, header, hl))
        rc = ws_error_set(err, WS_EFORMAT, "%s:1: expected the header '%.*s'", path,
                          (int)hl - 1, header);
    long want = 0, have = 0, lineno = 1;
    for (char *line = old ? old + hl : NULL; !rc && line && *line; lineno++) {
        char *nl = strchr(line, '\n');
        if (!nl) {
            rc = ws_error_set(err, WS_EFORMAT, "%s:%ld: last line has no newline (truncated)",
                              path, lineno + 1);
            break;
        }
        size_t ll = (size_t)(nl - line) + 1;
        long e = row_epoch(line);
        int f = 1;
        for (const char *q = line; q < nl; q++) f += *q == ',';
        if (e < 0 || f != fields)
            rc = ws_error_set(err, WS_EFORMAT, "%s:%ld: expected %d fields starting with the "
                              "epoch", path, lineno + 1, fields);
        else if (e < epoch) {
            if (e != want)
                rc = ws_error_set(err, WS_EFORMAT, "%s:%ld: epoch %ld, expected %ld (rows of "
                                  "every epoch in order)", path, lineno + 1, e, want);
            else if (++have == per_epoch)
                want++, have = 0;
            memcpy(w, line, ll), w += ll;
        } else if (e > epoch) {
            rc = ws_error_set(err, WS_EFORMAT, "%s:%ld: epoch %ld, but the checkpoint has only "
                              "%d epochs", path, lineno + 1, e, epoch);
        }
        line += ll;
    }
    if (!rc && want < epoch)
        rc = ws_error_set(err, WS_EFORMAT, "%s: %ld complete epochs, but the checkpoint has %d "
                          "(expected %d rows per epoch)", path, want, epoch, per_epoch);
    free(old);
    if (rc) {
        free(out);
        return rc;
    }
    *kept = out;
    *klen = (size_t)(w - out);
    return 0;
}

/* Rewrites a CSV keeping the header and the rows of epochs below `epoch`
 * (checked as csv_kept does), then appends `rows`. */
static int csv_update(const char *path, const char *header, int per_epoch, int epoch,
                      const char *rows, ws_error *err)
{
    char *kept = NULL;
    size_t kl = 0, rl = strlen(rows);
    int rc = csv_kept(path, header, per_epoch, epoch, &kept, &kl, err);
    if (rc) return rc;
    char *out = realloc(kept, kl + rl + 1);
    if (!out) {
        free(kept);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    memcpy(out + kl, rows, rl);
    rc = ws_file_write_atomic(path, out, kl + rl, err);
    free(out);
    return rc;
}

#define EPOCHS_HEADER WS_SEARCH_EPOCHS_COLUMNS "\n"
#define WEIGHTS_HEADER WS_SEARCH_WEIGHTS_COLUMNS "\n"
#define EDGES_HEADER "epoch,edge,weight\n"

/* The per-epoch files of dir hold every epoch below `epoch` (resume). */
static int csv_check_all(const char *dir, int pc, int epoch, ws_error *err)
{
    static const char *const name[3] = {"epochs.csv", "arch_weights.csv", "edge_weights.csv"};
    static const char *const header[3] = {EPOCHS_HEADER, WEIGHTS_HEADER, EDGES_HEADER};
    static const int per[3] = {1, WS_EDGES * WS_OP_COUNT, WS_EDGES};
    for (int k = 0; k < (pc ? 3 : 2); k++) {
        char path[1100], *kept = NULL;
        size_t kl;
        snprintf(path, sizeof path, "%s/%s", dir, name[k]);
        int rc = csv_kept(path, header[k], per[k], epoch, &kept, &kl, err);
        free(kept);
        if (rc) return rc;
    }
    return 0;
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

/* The parsed manifest.json of a search directory (NULL, *rc and err set
 * when it cannot be read or is not strict JSON). path receives the file
 * name. */
static cJSON *manifest_read(const char *dir, char *path, size_t cap, int *rc, ws_error *err)
{
    snprintf(path, cap, "%s/manifest.json", dir);
    char *text = read_all(path, NULL);
    if (!text) {
        *rc = ws_error_set(err, WS_EIO, "%s: cannot read (not a search directory?)", path);
        return NULL;
    }
    cJSON *root = NULL;
    *rc = ws_json_parse_text(text, path, 0, &root, err);
    free(text);
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
        if (!o && ws_config_key_is_later_default(cfg, it->string)) continue; /* older record */
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
    ws_search_manifest m;
    int rc = ws_search_manifest_read(dir, &m, err);
    if (!rc) *cfg = m.cfg;
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
    return (ws_method_flags(ws_method_lookup(cfg->method)) & WS_MF_SIMPLEX) != 0;
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

ws_data_spec ws_search_data_spec(const ws_search_config *cfg)
{
    int cifar = strcmp(cfg->dataset, "fashion-mnist") != 0;
    return (ws_data_spec){.dataset = cfg->dataset,
                          .dir = cfg->data_dir[0] ? cfg->data_dir
                                 : cifar            ? "../shared/cifar10"
                                                    : NULL,
                          .split_file = cfg->split_file,
                          .halves = WS_HALVES_RANDOM,
                          .train_size = cfg->train_size,
                          .valid_size = cfg->valid_size,
                          .subset_seed = DATA_SEED};
}

static int data_load(const ws_search_config *cfg, search_data *sd, ws_error *err)
{
    memset(sd, 0, sizeof *sd);
    ws_data_spec spec = ws_search_data_spec(cfg);
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

/* What the manifest says about the run beyond its configuration. */
typedef struct run_record {
    const char *status;   /* running, stopped, complete, diverged */
    char start[64];
    const char *end;      /* NULL: not finished */
    int epochs_done, resumes;
    const char *final_arch, *best_arch; /* NULL: none */
    int best_epoch;
    const char *diverged; /* what went non-finite, with div_epoch/div_step */
    int div_epoch, div_step;
} run_record;

static int manifest_write(const ws_search_config *cfg, const char *dir, const run_record *rr,
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
    cJSON_AddStringToObject(root, "start_time", rr->start);
    cJSON_AddStringToObject(root, "end_time", rr->end ? rr->end : "");
    cJSON_AddStringToObject(root, "status", rr->status);
    cJSON_AddNumberToObject(root, "epochs_done", rr->epochs_done);
    cJSON_AddNumberToObject(root, "resumes", rr->resumes);
    cJSON *data = cJSON_AddObjectToObject(root, "data");
    cJSON_AddStringToObject(data, "dataset", sd->d->name);
    cJSON_AddNumberToObject(data, "train_images", sd->train.n);
    cJSON_AddNumberToObject(data, "valid_images", sd->valid.n);
    cJSON_AddStringToObject(data, "arch_batches_from", cfg->single_level ? "train" : "valid");
    cJSON_AddStringToObject(data, "train_images_are",
                            erm_uses_all(cfg) ? "train and valid splits (ERM on all)"
                                              : "train split");
    cJSON_AddStringToObject(root, "final_arch", rr->final_arch ? rr->final_arch : "");
    if (rr->best_arch) {
        cJSON_AddStringToObject(root, "best_valid_arch", rr->best_arch);
        cJSON_AddNumberToObject(root, "best_valid_epoch", rr->best_epoch);
    }
    if (rr->diverged) {
        cJSON *d = cJSON_AddObjectToObject(root, "divergence");
        cJSON_AddNumberToObject(d, "epoch", rr->div_epoch);
        cJSON_AddNumberToObject(d, "step", rr->div_step);
        cJSON_AddStringToObject(d, "what", rr->diverged);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return ws_error_set(err, WS_ENOMEM, "out of memory");
    char path[1100];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    size_t n = strlen(text);
    char *t2 = realloc(text, n + 2);
    if (!t2) {
        free(text);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    t2[n] = '\n', t2[n + 1] = '\0';
    int rc = ws_file_write_atomic(path, t2, n + 1, err);
    free(t2);
    return rc;
}

/* On resume: start_time, resumes, status and epochs_done of the manifest
 * (whose config ws_search_check_resume has compared already), which is
 * checked whole. */
static int manifest_peek(const char *dir, run_record *rr, char *status, size_t ns, ws_error *err)
{
    ws_search_manifest m;
    int rc = ws_search_manifest_read(dir, &m, err);
    if (rc) return rc;
    snprintf(rr->start, sizeof rr->start, "%s", m.start_time);
    rr->resumes = m.resumes;
    rr->epochs_done = m.epochs_done;
    snprintf(status, ns, "%s", m.status);
    return 0;
}

/* ---- the run -------------------------------------------------------------------- */

/* Everything one search holds in memory. */
typedef struct search_run {
    search_data sd;
    ws_batcher *wb, *ab, *eb;
    ws_net *net, *net_copy;
    ws_method_state st;
    ws_search_run_state rs;
    float *x, *xa, *scratch;
    int *y, *ya;
    char *rows;
    unsigned flags; /* the method's row (WS_MF_*) */
    int maxb, steps;
} search_run;

static void run_free(search_run *R)
{
    free(R->x), free(R->xa), free(R->y), free(R->ya), free(R->scratch), free(R->rows);
    ws_net_free(R->net_copy);
    ws_net_free(R->net);
    ws_batcher_free(R->eb);
    ws_batcher_free(R->ab);
    ws_batcher_free(R->wb);
    data_free(&R->sd);
}

/* Data, batchers, network and buffers; nothing on disk. */
static int run_alloc(const ws_search_config *cfg, search_run *R, ws_error *err)
{
    memset(R, 0, sizeof *R);
    int rc = data_load(cfg, &R->sd, err);
    if (rc) { /* data_load freed what it had */
        memset(&R->sd, 0, sizeof R->sd);
        return rc;
    }
    search_data *sd = &R->sd;
    R->flags = ws_method_flags(ws_method_lookup(cfg->method));
    const ws_index_list *arch_idx = cfg->single_level ? &sd->train : &sd->valid;
    ws_net_config nc = {.C = cfg->C, .N = cfg->N, .in_channels = sd->d->channels,
                        .in_size = cfg->image_size, .classes = sd->d->classes,
                        .cell_bn_affine = 0, .cell_bn_track = cfg->cell_bn_track,
                        .standalone = 0, .pc_k = cfg->pc_k,
                        .pc_random = !strcmp(cfg->pc_sample, "random")};
    int maxb = cfg->batch;
    if (EVAL_CHUNK > maxb) maxb = EVAL_CHUNK;
    if ((R->flags & WS_MF_SELECT) && cfg->select_batch > maxb) maxb = cfg->select_batch;
    nc.max_batch = R->maxb = maxb;
    const size_t img = (size_t)sd->d->channels * (size_t)cfg->image_size * cfg->image_size;
    R->wb = ws_batcher_alloc(sd->d, &sd->train, cfg->batch, &sd->tf, cfg->augment, cfg->seed,
                             err);
    R->ab = R->wb ? ws_batcher_alloc(sd->d, arch_idx, cfg->batch, &sd->tf, cfg->augment,
                                     cfg->seed + 1, err)
                  : NULL;
    R->eb = R->ab ? ws_batcher_alloc(sd->d, &sd->valid, EVAL_CHUNK, &sd->tf, 0, cfg->seed + 2,
                                     err)
                  : NULL;
    R->net = R->eb ? ws_net_alloc(&nc, err) : NULL;
    R->net_copy = R->net && (R->flags & WS_MF_UNROLLED) ? ws_net_alloc(&nc, err) : NULL;
    if (!R->net || ((R->flags & WS_MF_UNROLLED) && !R->net_copy)) {
        if (!err || !err->code) ws_error_set(err, WS_ENOMEM, "cannot build the search");
        return err ? err->code : WS_ENOMEM;
    }
    size_t np = 0;
    ws_net_params(R->net, &np);
    R->x = malloc(sizeof(float) * (size_t)maxb * img);
    R->xa = malloc(sizeof(float) * (size_t)maxb * img);
    R->y = malloc(sizeof(int) * (size_t)maxb);
    R->ya = malloc(sizeof(int) * (size_t)maxb);
    R->scratch = (R->flags & WS_MF_UNROLLED) ? malloc(sizeof(float) * np) : NULL;
    R->rows = malloc(1 << 16);
    if (!R->x || !R->xa || !R->y || !R->ya || !R->rows || ((R->flags & WS_MF_UNROLLED) && !R->scratch))
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    ws_pcg32 init;
    ws_pcg32_stream(&init, cfg->seed, WS_STREAM_INIT);
    ws_net_init(R->net, &init);
    if (R->net_copy) ws_net_init(R->net_copy, &init);
    if ((rc = ws_method_init(&R->st, cfg, cfg->seed, err))) return rc;
    memset(&R->rs, 0, sizeof R->rs);
    R->rs.best_epoch = -1, R->rs.best_valid = -1;
    R->steps = ws_batcher_batches_per_epoch(R->wb);
    return 0;
}

/* Resume, before the data is loaded: the manifest's record and the
 * checkpoint, read and checked as far as it can be without the network
 * (*ck stays NULL when the run was killed before its first checkpoint: it
 * starts again from epoch 0).  Nothing is written. */
static int resume_prepare(const ws_search_config *cfg, const char *dir, const char *ckpt_path,
                          run_record *rr, ws_ckpt **ck, ws_error *err)
{
    char status[32] = "";
    *ck = NULL;
    int rc = manifest_peek(dir, rr, status, sizeof status, err);
    if (rc) return rc;
    rr->resumes++;
    if (access(ckpt_path, F_OK) != 0) {
        if (rr->epochs_done > 0 || (strcmp(status, "running") && strcmp(status, "diverged")))
            return ws_error_set(err, WS_EIO,
                                "%s: no checkpoint to resume from, but %s/manifest.json records "
                                "status '%s' after %d epochs (restore the checkpoint, or start "
                                "over in another --out)",
                                ckpt_path, dir, status, rr->epochs_done);
        return 0;
    }
    if (!(*ck = ws_ckpt_alloc())) return ws_error_set(err, WS_ENOMEM, "out of memory");
    rc = ws_ckpt_read(*ck, ckpt_path, err);
    if (!rc) rc = ws_search_ckpt_precheck_(*ck, ckpt_path, cfg, err);
    return rc;
}

/* Resume, once network and batchers exist: the rest of the checkpoint's
 * checks, the load, and the per-epoch files it continues. */
static int resume_load(const ws_search_config *cfg, const char *dir, const char *ckpt_path,
                       const ws_ckpt *ck, search_run *R, ws_error *err)
{
    int rc = ck ? ws_search_ckpt_load_(ck, ckpt_path, cfg, R->steps, R->net, &R->st, &R->rs,
                                       R->wb, R->ab, err)
                : 0;
    if (!rc) rc = csv_check_all(dir, (R->flags & WS_MF_PC) != 0, R->rs.next_epoch, err);
    return rc;
}

/* One epoch's rows of epochs.csv, arch_weights.csv (and edge_weights.csv). */
static int epoch_records(const char *dir, search_run *R, int epoch, const char *line,
                         ws_error *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    int rc = csv_update(path, EPOCHS_HEADER, 1, epoch, line, err);
    if (rc) return rc;
    float p[WS_EDGES][WS_OP_COUNT];
    ws_method_weights(&R->st, p);
    size_t off = 0;
    for (int e = 0; e < WS_EDGES; e++)
        for (int op = 0; op < WS_OP_COUNT; op++)
            off += (size_t)snprintf(R->rows + off, (1 << 16) - off, "%d,%d,%s,%.9g\n", epoch, e,
                                    ws_op_names[op], (double)p[e][op]);
    snprintf(path, sizeof path, "%s/arch_weights.csv", dir);
    if ((rc = csv_update(path, WEIGHTS_HEADER, WS_EDGES * WS_OP_COUNT, epoch, R->rows, err)))
        return rc;
    if (!(R->flags & WS_MF_PC) != 0) return 0;
    ws_mix emix; /* PC-DARTS edge normalisation weights */
    ws_method_eval_mix(&R->st, &emix);
    off = 0;
    for (int e = 0; e < WS_EDGES; e++)
        off += (size_t)snprintf(R->rows + off, (1 << 16) - off, "%d,%d,%.9g\n", epoch, e,
                                (double)emix.edge_scale[e]);
    snprintf(path, sizeof path, "%s/edge_weights.csv", dir);
    return csv_update(path, EDGES_HEADER, WS_EDGES, epoch, R->rows, err);
}

/* Checkpoint: everything the next epoch depends on, after checking that
 * the weights and architecture parameters are finite. */
static int epoch_checkpoint(const ws_search_config *cfg, const char *ckpt_path, search_run *R,
                            ws_error *err)
{
    ws_ckpt *ck = ws_ckpt_alloc();
    if (!ck) return ws_error_set(err, WS_ENOMEM, "out of memory");
    int rc = ws_net_save(R->net, ck, err);
    if (!rc) rc = ws_search_ckpt_save_(ck, cfg, &R->st, &R->rs, R->wb, R->ab, err);
    if (!rc) rc = ws_ckpt_write(ck, ckpt_path, err);
    ws_ckpt_free(ck);
    return rc;
}

/* What is not finite after an epoch (weights, BN statistics, momentum,
 * architecture parameters), into what[]; 0 if everything is. */
static int epoch_diverged(const search_run *R, char *what, size_t n)
{
    ws_error e = {0};
    if (ws_net_check_finite(R->net, &e)) {
        snprintf(what, n, "%.300s", e.msg);
        return 1;
    }
    const float *a = &R->st.a[0][0];
    for (int i = 0; i < WS_ARCH_N + WS_EDGES; i++) {
        float v = i < WS_ARCH_N ? a[i] : R->st.beta[i - WS_ARCH_N];
        if (!isfinite(v)) {
            snprintf(what, n, "architecture parameter %d is %g", i, (double)v);
            return 1;
        }
    }
    return 0;
}

/* What the phases of one search share. */
typedef struct search_ctx {
    const ws_search_config *cfg;
    const ws_search_opts *o;
    const char *dir;
    char ckpt_path[1100];
    search_run R;
    run_record rr;
    int eval_n, lr_epochs, stopped;
    char what[400]; /* non-empty: diverged (what went non-finite) */
} search_ctx;

/* Phase 1, set up: check the directory, load a resumed run's checkpoint,
 * allocate data, network and buffers, then (inputs good) create the
 * directory and write the running manifest. */
static int run_setup(search_ctx *S, ws_error *err)
{
    const ws_search_config *cfg = S->cfg;
    char path[1100];
    snprintf(S->ckpt_path, sizeof S->ckpt_path, "%s/checkpoint.bin", S->dir);
    int rc = 0;
    if (S->o->resume) {
        if ((rc = ws_search_check_resume(cfg, S->dir, err))) return rc;
    } else {
        snprintf(path, sizeof path, "%s/manifest.json", S->dir);
        if (access(path, F_OK) == 0)
            return ws_error_set(err, WS_EINVAL,
                                "%s already holds a search (use --resume %s, or another --out)",
                                S->dir, S->dir);
    }
    S->rr = (run_record){.status = "running", .best_epoch = -1};
    iso_time(S->rr.start, sizeof S->rr.start);
    ws_ckpt *ck = NULL;
    if (S->o->resume && (rc = resume_prepare(cfg, S->dir, S->ckpt_path, &S->rr, &ck, err)))
        goto done;
    if ((rc = run_alloc(cfg, &S->R, err))) goto done;
    if (S->o->resume && (rc = resume_load(cfg, S->dir, S->ckpt_path, ck, &S->R, err))) goto done;
    if (mkdir(S->dir, 0755) != 0 && errno != EEXIST) { /* only once the inputs are good */
        rc = ws_error_set(err, WS_EIO, "%s: cannot create: %s", S->dir, strerror(errno));
        goto done;
    }
    S->rr.epochs_done = S->R.rs.next_epoch;
    rc = manifest_write(cfg, S->dir, &S->rr, &S->R.sd, err);
    S->lr_epochs = cfg->lr_epochs ? cfg->lr_epochs : cfg->epochs;
    S->eval_n = cfg->eval_size > 0 && cfg->eval_size < S->R.sd.valid.n ? cfg->eval_size
                                                                       : S->R.sd.valid.n;
done:
    ws_ckpt_free(ck);
    return rc;
}

/* The training steps of one epoch, with the divergence guard and progress;
 * returns the summed loss and the hits and images seen. */
static void epoch_steps(search_ctx *S, int epoch, double lr, double t0, double *loss_sum,
                        long *hits, long *seen)
{
    const ws_search_config *cfg = S->cfg;
    search_run *R = &S->R;
    const int steps = R->steps;
    ws_method_ctx ctx = {.net = R->net, .net_copy = R->net_copy, .cfg = cfg, .x = R->x,
                         .y = R->y, .xa = R->xa, .ya = R->ya, .lr = (float)lr,
                         .scratch = R->scratch};
    ctx.sgd = (ws_sgd){.lr = (float)lr, .momentum = (float)cfg->momentum,
                       .weight_decay = (float)cfg->weight_decay, .nesterov = cfg->nesterov};
    ws_search_progress pr = {.epoch = epoch, .epochs = cfg->epochs, .steps = steps, .lr = lr};
    for (int s = 0; s < steps; s++) {
        ctx.B = ws_batcher_next(R->wb, R->x, R->y);
        if (ctx.B <= 0) break;
        if (R->flags & WS_MF_ARCH_BATCH) ctx.Ba = ws_batcher_random(R->ab, R->xa, R->ya);
        ws_method_step(&R->st, &ctx);
        /* divergence guard: the loss and the clip norm are computed anyway */
        if (!isfinite(ctx.loss) || !isfinite(ctx.grad_norm)) {
            snprintf(S->what, sizeof S->what, "%s = %g",
                     isfinite(ctx.loss) ? "gradient norm" : "loss",
                     isfinite(ctx.loss) ? ctx.grad_norm : (double)ctx.loss);
            S->rr.div_epoch = epoch, S->rr.div_step = s + 1;
            break;
        }
        *loss_sum += (double)ctx.loss * ctx.B;
        *hits += ctx.correct, *seen += ctx.B;
        if (S->o->progress) {
            double dt = now_s() - t0;
            pr.step = s + 1;
            pr.loss = *loss_sum / (double)*seen;
            pr.images_per_s = dt > 0 ? *seen / dt : 0;
            double left = (double)(steps - s - 1) + (double)steps * (cfg->epochs - epoch - 1);
            pr.eta_s = dt / (s + 1) * left;
            S->o->progress(&pr, S->o->user);
        }
    }
}

/* The end of an epoch: selection or supernet accuracy, entropy, derived
 * architecture, the CSV rows, the checkpoint and the progress line. */
static int epoch_close(search_ctx *S, int epoch, double lr, double t0, double loss_sum, long hits,
                       long seen, ws_error *err)
{
    const ws_search_config *cfg = S->cfg;
    search_run *R = &S->R;
    if (R->flags & WS_MF_SELECT) rsws_select(&R->st, cfg, R->net, R->eb, R->x, R->y);
    ws_mix emix;
    ws_method_eval_mix(&R->st, &emix);
    const double vacc = eval_acc(R->net, R->eb, &emix, S->eval_n, R->x, R->y);
    float p[WS_EDGES][WS_OP_COUNT];
    ws_method_weights(&R->st, p);
    const double ent = ws_arch_entropy(&p[0][0]);
    ws_arch a;
    ws_method_derive(&R->st, &a);
    char astr[WS_ARCH_STR_MAX], digits[WS_EDGES + 1], line[1024];
    ws_arch_format(&a, astr);
    ws_arch_digits(&a, digits);
    if (vacc > R->rs.best_valid) R->rs.best_valid = vacc, R->rs.best_epoch = epoch, R->rs.best_arch = a;
    const double wall = now_s() - t0;
    const double tacc = seen ? 100.0 * (double)hits / (double)seen : 0;
    const double tloss = seen ? loss_sum / (double)seen : 0;
    float tau = (R->flags & WS_MF_TAU) ? R->st.tau : 0.0f;
    snprintf(line, sizeof line, "%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%s,%s,%.3f,%.1f\n", epoch, lr,
             (double)tau, tloss, tacc, vacc, ent, astr, digits, wall,
             wall > 0 ? seen / wall : 0.0);
    int rc = epoch_records(S->dir, R, epoch, line, err);
    if (rc) return rc;
    R->rs.next_epoch = epoch + 1;
    if ((rc = epoch_checkpoint(cfg, S->ckpt_path, R, err))) return rc;
    if (S->o->progress) {
        ws_search_progress pr = {.epoch = epoch, .epochs = cfg->epochs, .steps = R->steps,
                                 .lr = lr, .epoch_done = 1, .step = R->steps};
        pr.loss = tloss, pr.train_acc = tacc, pr.valid_acc = vacc, pr.entropy = ent;
        pr.images_per_s = wall > 0 ? seen / wall : 0;
        memcpy(pr.arch, astr, sizeof astr);
        S->o->progress(&pr, S->o->user);
    }
    return 0;
}

/* Phase 3, the epoch loop: steps, the guard, the end of every epoch, and
 * --stop-after-epoch. */
static int run_epochs(search_ctx *S, ws_error *err)
{
    const ws_search_config *cfg = S->cfg;
    for (int epoch = S->R.rs.next_epoch; epoch < cfg->epochs; epoch++) {
        const double t0 = now_s();
        const double lr = ws_cosine_lr(cfg->lr, cfg->lr_min, epoch, S->lr_epochs);
        ws_method_epoch_begin(&S->R.st, cfg, epoch);
        double loss_sum = 0;
        long hits = 0, seen = 0;
        epoch_steps(S, epoch, lr, t0, &loss_sum, &hits, &seen);
        if (!S->what[0] && epoch_diverged(&S->R, S->what, sizeof S->what))
            S->rr.div_epoch = epoch, S->rr.div_step = S->R.steps;
        if (S->what[0]) break;
        int rc = epoch_close(S, epoch, lr, t0, loss_sum, hits, seen, err);
        if (rc) return rc;
        if (S->o->stop_after_epoch > 0 && epoch + 1 >= S->o->stop_after_epoch &&
            epoch + 1 < cfg->epochs) {
            S->stopped = 1;
            break;
        }
    }
    return 0;
}

/* Phase 4, finish: the final manifest (complete, stopped or diverged). */
static int run_finish(search_ctx *S, ws_error *err)
{
    const ws_search_config *cfg = S->cfg;
    search_run *R = &S->R;
    run_record *rr = &S->rr;
    if (S->what[0]) { /* the last good checkpoint stays; the manifest says why */
        rr->status = "diverged";
        rr->diverged = S->what;
        rr->epochs_done = R->rs.next_epoch;
        int rc = manifest_write(cfg, S->dir, rr, &R->sd, err);
        if (rc) return rc;
        return ws_error_set(err, WS_ERANGE,
                            "%s: training diverged in epoch %d (from 0, as in epochs.csv) at "
                            "step %d of %d (%s); stopped: the last good checkpoint (%d epochs) "
                            "is kept and manifest.json says \"diverged\"",
                            S->dir, rr->div_epoch, rr->div_step, R->steps, S->what,
                            (int)R->rs.next_epoch);
    }
    ws_arch a;
    ws_method_derive(&R->st, &a);
    char astr[WS_ARCH_STR_MAX], bstr[WS_ARCH_STR_MAX], now[64];
    ws_arch_format(&a, astr);
    ws_arch_format(&R->rs.best_arch, bstr);
    iso_time(now, sizeof now);
    /* GAEA bilevel answers with the best-valid epoch's genotype (2.5) */
    int best = (R->flags & WS_MF_SIMPLEX) && !cfg->single_level && R->rs.best_epoch >= 0;
    rr->status = S->stopped ? "stopped" : "complete";
    rr->end = S->stopped ? NULL : now;
    rr->epochs_done = R->rs.next_epoch;
    rr->final_arch = astr;
    rr->best_arch = best ? bstr : NULL;
    rr->best_epoch = R->rs.best_epoch;
    return manifest_write(cfg, S->dir, rr, &R->sd, err);
}

int ws_search_run(const ws_search_config *cfg, const ws_search_opts *o, ws_error *err)
{
    int rc = ws_config_validate(cfg, err);
    if (rc) return rc;
    search_ctx *S = calloc(1, sizeof *S);
    if (!S) return ws_error_set(err, WS_ENOMEM, "out of memory");
    S->cfg = cfg, S->o = o, S->dir = o->out_dir;
    rc = run_setup(S, err); /* phase 2, resume, happens inside set-up */
    if (!rc) rc = run_epochs(S, err);
    if (!rc) rc = run_finish(S, err);
    run_free(&S->R);
    free(S);
    return rc;
}
