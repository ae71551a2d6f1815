/* rundir.h: one search run directory in memory (src/report only). */
#ifndef WSNAS_REPORT_RUNDIR_H
#define WSNAS_REPORT_RUNDIR_H

#include <stdint.h>

#include "internal.h"
#include "wsnas/space.h"

#define WS_RUNDIR_NAME_MAX 64
#define WS_RUNDIR_PATH_MAX 1024

struct cJSON;

typedef struct ws_rundir {
    char dir[WS_RUNDIR_PATH_MAX];
    char method[WS_RUNDIR_NAME_MAX];
    char dataset[WS_RUNDIR_NAME_MAX]; /* "" if the manifest has none */
    uint64_t seed;
    struct cJSON *manifest;
    struct cJSON *config; /* "config" without seed/out/resume/threads */
    ws_csv *epochs, *weights, *pairs; /* pairs may be NULL (not evaluated) */
    int n_epochs;
    int *epoch;       /* [n_epochs] */
    double *entropy;  /* [n_epochs] */
    int *arch;        /* [n_epochs] official index of the derived architecture */
    int final_arch;
    size_t n_pairs;
    int *pair_arch;
    double *pair_oneshot, *pair_true;
} ws_rundir;

/* Reads and checks one run directory: the manifest (every key, ws_search_manifest_check),
 * epochs.csv, arch_weights.csv and eval_pairs.csv field by field (errors name the file and
 * line). */
int ws_rundir_load(const char *dir, const ws_space *sp, ws_rundir *r, ws_error *err);
void ws_rundir_clear(ws_rundir *r);
/* Refuses a set that cannot be aggregated: the same (method, seed) twice,
 * different datasets, different epochs.csv / arch_weights.csv columns, or
 * runs of one method with different configs. */
int ws_rundir_check_set(const ws_rundir *runs, int n, ws_error *err);

#endif
