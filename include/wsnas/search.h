/* search.h: the search driver behind `wsnas search`: data, supernet and
 * method wiring, per-epoch records, manifest, checkpoints and exact resume.
 *
 * Files in the output directory (all written through a temporary file and a
 * rename, so a crash leaves either the old or the new version):
 *   manifest.json     the resolved config, seed, threads, versions, host,
 *                     start/end times, status and the final architecture;
 *   epochs.csv        one row per epoch: epoch, lr, tau, train_loss,
 *                     train_acc, valid_acc, entropy, arch, arch_ops (its
 *                     six op digits), wall_s, images_per_s (the last two
 *                     are wall-time);
 *   arch_weights.csv  one row per (epoch, edge, op): epoch, edge, op, weight
 *                     (softmax(alpha), or theta for GAEA; RS-WS: its uniform
 *                     sampling distribution);
 *   checkpoint.bin    network, optimiser, method and data-iterator state after
 *                     the last finished epoch (ws_ckpt container version 2:
 *                     named entries plus a "search.meta" record of method,
 *                     seed, config digest and epochs; src/methods/search_ckpt.c).
 * The manifest's "status" is running, stopped (--stop-after-epoch), complete
 * or diverged (with "divergence": epoch, step and what was not finite).
 * Resuming continues from checkpoint.bin; rows of epochs at or after the
 * checkpoint's are rewritten, so the files end identical to an uninterrupted
 * run apart from the wall-time columns and the manifest's times.  Before
 * anything is written the checkpoint is checked field by field against the
 * manifest's configuration (method, seed, config digest; every counter,
 * architecture parameter, optimiser and generator state in range; the
 * legacy version-1 checkpoints of earlier wsnas by their method id,
 * generator streams and network shape), and the per-epoch files must hold
 * every epoch it has.  A run killed before its first checkpoint (manifest
 * "running", no checkpoint.bin) resumes from epoch 0.  A NaN or infinite
 * loss or gradient norm (checked every step), or weight, BN statistic,
 * momentum or architecture parameter (checked every epoch before the
 * checkpoint) stops the run: the last good checkpoint stays, the manifest
 * says "diverged" and the error names the epoch and step. */
#ifndef WSNAS_SEARCH_H
#define WSNAS_SEARCH_H

#include "wsnas/common.h"
#include "wsnas/config.h"
#include "wsnas/data.h"
#include "wsnas/space.h"

typedef struct ws_search_progress {
    int epoch, epochs;     /* 0-based epoch */
    int step, steps;       /* within the epoch; step == steps at the epoch's end */
    int epoch_done;        /* 1: the fields below are the epoch's summary */
    double loss;           /* running mean train loss of the epoch */
    double images_per_s, eta_s;
    double train_acc, valid_acc, entropy, lr;
    char arch[WS_ARCH_STR_MAX];
} ws_search_progress;

typedef void (*ws_search_progress_fn)(const ws_search_progress *p, void *user);

typedef struct ws_search_opts {
    const char *out_dir;
    int resume;              /* continue out_dir's search */
    int stop_after_epoch;    /* > 0: stop once this many epochs are done (tests) */
    ws_search_progress_fn progress; /* may be NULL; called from the driver thread */
    void *user;
} ws_search_opts;

#define WS_SEARCH_VERSION "wsnas-search 1" /* manifest "versions.wsnas" */
/* The headers of epochs.csv and arch_weights.csv (without the newline). */
#define WS_SEARCH_EPOCHS_COLUMNS \
    "epoch,lr,tau,train_loss,train_acc,valid_acc,entropy,arch,arch_ops,wall_s,images_per_s"
#define WS_SEARCH_WEIGHTS_COLUMNS "epoch,edge,op,weight"

/* A manifest.json written by wsnas search, read back and checked. */
typedef struct ws_search_manifest {
    ws_search_config cfg;  /* "config", resolved and validated */
    char status[16];       /* running, stopped, complete, diverged */
    char start_time[64];
    int epochs_done, resumes;
    int train_images, valid_images;
    int has_final;         /* "final_arch" is set (stopped or complete: always) */
    ws_arch final_arch;
    int best_epoch;        /* "best_valid_epoch", -1 if absent */
    ws_arch best_arch;
} ws_search_manifest;

/* Checks a parsed manifest (`path` names it in errors): exactly the keys
 * wsnas search writes, each of its type and range, a complete valid config,
 * seed and threads equal to the config's, versions.wsnas this version's,
 * data.dataset the config's, a status with what it implies (end_time and
 * epochs_done when complete, final_arch once stopped or complete, the
 * divergence record when diverged), official architecture strings. */
struct cJSON;
int ws_search_manifest_check(const struct cJSON *root, const char *path, ws_search_manifest *m,
                             ws_error *err);
/* Reads (strict JSON) and checks dir/manifest.json. */
int ws_search_manifest_read(const char *dir, ws_search_manifest *m, ws_error *err);

/* 0 if out_dir holds a search whose manifest config equals cfg (key by key);
 * otherwise an error naming the first differing key. */
int ws_search_check_resume(const ws_search_config *cfg, const char *out_dir, ws_error *err);
/* The configuration recorded in out_dir/manifest.json (for `--resume DIR`
 * without options, and `wsnas eval`); the whole manifest is checked
 * (ws_search_manifest_read). */
int ws_search_load_config(const char *out_dir, ws_search_config *cfg, ws_error *err);
/* 0 if the checkpoint read from `path` belongs to a search with config cfg:
 * its recorded method, seed and config digest (version 2), or for the
 * legacy version 1 the method id and the seed's generator streams.
 * Errors name the file and what differs. */
struct ws_ckpt;
int ws_search_ckpt_verify(const struct ws_ckpt *ck, const char *path,
                          const ws_search_config *cfg, ws_error *err);
/* ---- `wsnas search`'s command line (src/methods/search_args.c) ----------- */
/* The options as given (strings point into argv); numbers -1 when absent. */
typedef struct ws_search_args {
    const char *method, *dataset, *preset, *config, *out, *resume, *data_dir;
    const char *sets[64]; /* --set KEY=VALUE, in order */
    int n_sets;
    long seed, epochs, threads, stop_after_epoch;
    int single_level, list_keys, help;
} ws_search_args;
/* "rs-ws darts ..." (the method table's names). */
const char *ws_search_method_list(void);
/* Parses `wsnas search ARGS` (argv[0] the command; argv may be permuted):
 * every option, its value and the combination (--out or --resume, no
 * positional argument).  WS_EINVAL/WS_ERANGE with one line; --help stops
 * at once with a->help set. */
int ws_search_args_parse(int argc, char **argv, ws_search_args *a, ws_error *err);
/* The configuration those options give, as `wsnas search` runs it: the
 * preset of the method (--method, else the config file's "method"), the
 * config file (config_text, when not NULL, stands for the file a->config
 * names, not read then), --set in order, then --dataset, --data-dir,
 * --seed, --epochs, --threads, --single-level; validated.  --resume DIR
 * alone starts from DIR's recorded configuration. */
int ws_search_args_config(const ws_search_args *a, const char *config_text,
                          ws_search_config *cfg, ws_error *err);

/* Runs (or resumes) the search. */
int ws_search_run(const ws_search_config *cfg, const ws_search_opts *opts, ws_error *err);

/* The data a search of `cfg` trains and validates on (the one data path of
 * data.h: its dataset and directory, split file or seeded random halves,
 * subsets with the search's fixed seed); `wsnas eval` loads the same. */
ws_data_spec ws_search_data_spec(const ws_search_config *cfg);

#endif
