/* config.h: the resolved configuration of one search (`wsnas search`).
 * A plain struct with a default for every field; JSON files (cJSON) and
 * `--set key=value` strings are applied on top of a preset.  Every key is
 * known by name (unknown keys are rejected with the nearest known name),
 * every value is type- and range-checked, and the resolved struct is written
 * back to JSON for the run's manifest.
 *
 * Resolution order (later wins): preset(method) -> config file -> --set
 * overrides -> explicit command-line flags (--seed, --epochs, --threads,
 * --data-dir).  Presets:
 *   "paper": the published setup of the method (methods.md 2.8): C=16 N=5,
 *            32x32 CIFAR-10 halves, batch 64, its epochs / optimiser / order;
 *   "cpu":   a small CPU default: C=8 N=1, 16x16 Fashion-MNIST, 4,000 train
 *            and 2,000 valid images, 10 epochs, otherwise the method's rules.
 */
#ifndef WSNAS_CONFIG_H
#define WSNAS_CONFIG_H

#include <stdint.h>

#include "wsnas/common.h"

typedef struct ws_search_config {
    /* what */
    char method[32];   /* rs-ws darts darts2 gdas gaea-darts gaea-gdas pc-darts gaea-pc-darts */
    char preset[16];   /* paper | cpu */
    char label[32];    /* the name reports group this run under (a suite variant such as
                          gaea-darts-erm); "" = the method.  [A-Za-z0-9._-] only */
    char dataset[32];  /* fashion-mnist | cifar10 */
    char data_dir[512];/* "" = the dataset's default directory */
    char split_file[512]; /* cifar10: NB201 cifar-split.txt; "" = seeded random halves */
    /* data */
    int image_size;    /* network input side (8..32) */
    int train_size;    /* images of the weight split used (0 = all) */
    int valid_size;    /* images of the architecture/valid split used (0 = all) */
    int eval_size;     /* valid images scored for supernet accuracy per epoch (0 = all used) */
    int augment;       /* random crop + flip on the search batches */
    int batch;
    /* network */
    int C, N;
    int cell_bn_track; /* running statistics in the cell BN */
    int pc_k;          /* partial channels (pc-darts family), 1 = off */
    char pc_sample[16];/* shuffle: the PC-DARTS code (first C/K channels, channel
                          shuffle); random: the paper's random C/K per edge and pass */
    /* schedule and weight optimiser */
    int epochs;
    int lr_epochs;     /* cosine horizon (0 = epochs); GAEA: 50 while running 25 */
    double lr, lr_min, momentum, weight_decay;
    int nesterov;
    double grad_clip;       /* <= 0: no clipping */
    int clip_includes_arch; /* AutoDL quirk (methods.md 2.2) */
    /* architecture */
    int single_level;       /* 1: ERM, both updates on training data */
    char erm_data[8];       /* ERM training images: train (the train split), all (train and
                               valid splits together: GAEA's ERM, methods.md 1.6), auto (all
                               for the GAEA methods, train otherwise) */
    double arch_lr, arch_beta1, arch_beta2, arch_eps, arch_weight_decay; /* Adam */
    double arch_init_std;   /* logit init 1e-3 N(0,1) */
    double eg_eta;          /* GAEA exponentiated-gradient step */
    double eg_floor;        /* GAEA simplex floor (1e-5) */
    double entropic_reg;    /* GAEA beta of sum theta ln(theta K) */
    int exclude_none;       /* remove 'none' from the op set */
    int warmup_epochs;      /* no architecture updates before this epoch */
    double tau_max, tau_min;/* Gumbel temperature, linear per epoch */
    int select_k, select_batch; /* RS-WS: best of K on one held-out batch */
    /* run */
    uint64_t seed;
    int threads;
} ws_search_config;

/* The ws_method_id of a method name (method.h's table), or -1. */
int ws_method_lookup(const char *name); /* index, or -1 */
/* WS_EINVAL "unknown method 'x'" with the nearest name when it is close,
 * else the list of methods. */
int ws_method_unknown(const char *name, ws_error *err);

/* Defaults for `method` under `preset` ("paper" or "cpu"). Unknown method or
 * preset: WS_EINVAL naming the known ones. */
int ws_config_preset(const char *method, const char *preset, ws_search_config *cfg,
                     ws_error *err);
/* Applies every key of the JSON object text `json` (source names the file in
 * errors). Keys "method" and "preset" must agree with cfg (they select the
 * preset before this call; see ws_config_peek). */
int ws_config_apply_json(ws_search_config *cfg, const char *json, const char *source,
                         ws_error *err);
/* Reads a file and applies it. */
int ws_config_apply_file(ws_search_config *cfg, const char *path, ws_error *err);
/* "key=value" (value parsed by the key's type). */
int ws_config_set(ws_search_config *cfg, const char *assignment, ws_error *err);
/* Cross-field checks (e.g. eg_floor * ops < 1, tau_min <= tau_max). */
int ws_config_validate(const ws_search_config *cfg, ws_error *err);
/* The "method" / "preset" strings of a config file (empty if absent). */
int ws_config_peek(const char *path, char method[32], char preset[16], ws_error *err);
/* The same for a config text (`source` names it in errors). */
int ws_config_peek_text(const char *text, const char *source, char method[32], char preset[16],
                        ws_error *err);
/* The whole config as a JSON object text (caller frees with free()); keys in
 * a fixed order, numbers printed exactly (%.17g), so two equal configs give
 * identical text. NULL on allocation failure. */
char *ws_config_to_json(const ws_search_config *cfg);
/* FNV-1a 64 of the configuration as compact JSON (ws_config_to_json, less
 * the keys of ws_config_key_is_later_default): what a checkpoint records of
 * the configuration it belongs to.  WS_ENOMEM if the text cannot be built. */
int ws_config_digest(const ws_search_config *cfg, uint64_t *digest);
/* 1 if `name` is a key added after runs were first recorded (config.c's
 * list) and cfg has its neutral default: a recorded run without the key
 * matches (resume, report), and the digest leaves it out. */
int ws_config_key_is_later_default(const ws_search_config *cfg, const char *name);
/* Number of keys, their names, one line of meaning, the type and range as
 * text ("int 1..100000", "real 0..10", "bool 0|1", "paper|cpu", "text"), and
 * the value of key i in a config as text (for wsnas search --list-keys). */
int ws_config_key_count(void);
const char *ws_config_key_name(int i);
const char *ws_config_key_doc(int i);
void ws_config_key_type(int i, char *buf, size_t n);
void ws_config_key_value(const ws_search_config *cfg, int i, char *buf, size_t n);

#endif
