/* manifest.c: reading back the manifest.json that `wsnas search` writes
 * (search.c writes it; format in include/wsnas/search.h): every key known
 * and present, every value type- and range-checked, the configuration
 * resolved and validated like a config file, and the fields consistent
 * with each other (seed and threads with the config, the final
 * architecture with the status, ...).  Used by resume, `wsnas eval` and
 * `wsnas report`. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsnas/json.h"
#include "wsnas/search.h"

#define BAD(...) ws_error_set(err, WS_EFORMAT, __VA_ARGS__)

/* An integer in [lo, hi] (JSON numbers only). */
static int get_int(const cJSON *root, const char *key, double lo, double hi, double *out,
                   const char *path, ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return BAD("%s: \"%s\": expected an integer in [%.0f, %.0f]", path, key, lo, hi);
    *out = v->valuedouble;
    return 0;
}

static int get_str(const cJSON *root, const char *key, const char **out, const char *path,
                   ws_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsString(v)) return BAD("%s: \"%s\": expected a string", path, key);
    *out = v->valuestring;
    return 0;
}

/* Every key of `obj` is in `known` and every one of `required` is present. */
static int check_keys(const cJSON *obj, const char *where, const char *const *known, size_t nk,
                      size_t n_required, const char *path, ws_error *err)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        size_t k = 0;
        while (k < nk && strcmp(it->string, known[k])) k++;
        if (k == nk)
            return BAD("%s: %s\"%s\": unknown key (not a manifest of this wsnas search)", path,
                       where, it->string);
    }
    for (size_t k = 0; k < n_required; k++)
        if (!cJSON_GetObjectItemCaseSensitive(obj, known[k]))
            return BAD("%s: %smissing \"%s\"", path, where, known[k]);
    return 0;
}

/* "config": resolved from its method and preset like a config file, every
 * key present (but the later keys at their default), then validated. */
static int check_config(const cJSON *c, const char *path, ws_search_config *cfg, ws_error *err)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "method");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "preset");
    if (!cJSON_IsObject(c) || !cJSON_IsString(m) || !cJSON_IsString(p))
        return BAD("%s: expected a \"config\" object with \"method\" and \"preset\"", path);
    char *text = cJSON_PrintUnformatted(c);
    if (!text) return ws_error_set(err, WS_ENOMEM, "out of memory");
    char where[1200];
    snprintf(where, sizeof where, "%s: \"config\"", path);
    int rc = ws_config_preset(m->valuestring, p->valuestring, cfg, err);
    if (rc) ws_error_prefix(err, "%s", where);
    if (!rc) rc = ws_config_apply_json(cfg, text, where, err);
    free(text);
    for (int i = 0; !rc && i < ws_config_key_count(); i++) {
        const char *k = ws_config_key_name(i);
        if (!cJSON_GetObjectItemCaseSensitive(c, k) && !ws_config_key_is_later_default(cfg, k))
            rc = BAD("%s: missing key '%s'", where, k);
    }
    if (!rc && (rc = ws_config_validate(cfg, err))) ws_error_prefix(err, "%s", where);
    return rc;
}

static int check_arch(const cJSON *root, const char *key, ws_arch *a, const char *path,
                      ws_error *err)
{
    const char *s = NULL;
    int rc = get_str(root, key, &s, path, err);
    if (!rc && (rc = ws_arch_parse(s, a, err))) ws_error_prefix(err, "%s: \"%s\"", path, key);
    return rc;
}

static int check_data(const cJSON *d, const ws_search_config *cfg, ws_search_manifest *m,
                      const char *path, ws_error *err)
{
    static const char *const keys[] = {"dataset", "train_images", "valid_images",
                                       "arch_batches_from", "train_images_are"};
    if (!cJSON_IsObject(d)) return BAD("%s: \"data\": expected an object", path);
    int rc = check_keys(d, "\"data\": ", keys, 5, 5, path, err);
    const char *ds = NULL, *from = NULL, *are = NULL;
    double tr = 0, va = 0;
    if (!rc) rc = get_str(d, "dataset", &ds, path, err);
    if (!rc) rc = get_int(d, "train_images", 1, 1e8, &tr, path, err);
    if (!rc) rc = get_int(d, "valid_images", 1, 1e8, &va, path, err);
    if (!rc) rc = get_str(d, "arch_batches_from", &from, path, err);
    if (!rc) rc = get_str(d, "train_images_are", &are, path, err);
    if (rc) return rc;
    if (strcmp(ds, cfg->dataset))
        return BAD("%s: \"data.dataset\" '%s' is not the config's '%s'", path, ds, cfg->dataset);
    if (strcmp(from, cfg->single_level ? "train" : "valid"))
        return BAD("%s: \"data.arch_batches_from\": expected '%s' (single_level %d)", path,
                   cfg->single_level ? "train" : "valid", cfg->single_level);
    m->train_images = (int)tr;
    m->valid_images = (int)va;
    return 0;
}

static const char *const top_keys[] = {
    "config",     "seed",        "threads", "versions",       "host",   "start_time",
    "end_time",   "status",      "epochs_done", "resumes",    "data",   "final_arch",
    "best_valid_arch", "best_valid_epoch", "divergence"};
#define TOP_REQUIRED 12

static int check_status(const cJSON *root, ws_search_manifest *m, const char *path,
                        ws_error *err)
{
    static const char *const st[] = {"running", "stopped", "complete", "diverged"};
    const char *s = NULL, *end = NULL;
    int rc = get_str(root, "status", &s, path, err);
    if (!rc) rc = get_str(root, "end_time", &end, path, err);
    if (rc) return rc;
    size_t k = 0;
    while (k < 4 && strcmp(s, st[k])) k++;
    if (k == 4)
        return BAD("%s: \"status\" '%s': expected running, stopped, complete or diverged", path, s);
    snprintf(m->status, sizeof m->status, "%s", s);
    const int complete = k == 2;
    if (complete != (end[0] != 0))
        return BAD("%s: \"end_time\": expected a time exactly when the status is complete", path);
    if (complete && m->epochs_done != m->cfg.epochs)
        return BAD("%s: status complete after %d of %d epochs", path, m->epochs_done,
                   m->cfg.epochs);
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(root, "divergence");
    if ((k == 3) != (dv != NULL))
        return BAD("%s: \"divergence\": expected exactly when the status is diverged", path);
    if (dv) {
        static const char *const dk[] = {"epoch", "step", "what"};
        double e = 0, stp = 0;
        const char *what = NULL;
        if (!cJSON_IsObject(dv)) return BAD("%s: \"divergence\": expected an object", path);
        if ((rc = check_keys(dv, "\"divergence\": ", dk, 3, 3, path, err)) ||
            (rc = get_int(dv, "epoch", 0, m->cfg.epochs - 1, &e, path, err)) ||
            (rc = get_int(dv, "step", 1, 1e9, &stp, path, err)) ||
            (rc = get_str(dv, "what", &what, path, err)))
            return rc;
    }
    /* a final architecture once a run has stopped or finished */
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(root, "final_arch");
    if (!cJSON_IsString(fa)) return BAD("%s: \"final_arch\": expected a string", path);
    m->has_final = fa->valuestring[0] != 0;
    if ((k == 1 || complete) && !m->has_final)
        return BAD("%s: \"final_arch\": expected the derived architecture of a %s run", path, s);
    if (m->has_final && (rc = check_arch(root, "final_arch", &m->final_arch, path, err)))
        return rc;
    m->best_epoch = -1;
    if (cJSON_GetObjectItemCaseSensitive(root, "best_valid_arch") ||
        cJSON_GetObjectItemCaseSensitive(root, "best_valid_epoch")) {
        double be = 0;
        if ((rc = check_arch(root, "best_valid_arch", &m->best_arch, path, err)) ||
            (rc = get_int(root, "best_valid_epoch", 0, m->epochs_done - 1, &be, path, err)))
            return rc;
        m->best_epoch = (int)be;
    }
    return 0;
}

int ws_search_manifest_check(const cJSON *root, const char *path, ws_search_manifest *m,
                             ws_error *err)
{
    memset(m, 0, sizeof *m);
    if (!cJSON_IsObject(root)) return BAD("%s: expected a JSON object", path);
    int rc = check_keys(root, "", top_keys, WS_ARRAY_LEN(top_keys), TOP_REQUIRED, path, err);
    if (!rc) rc = check_config(cJSON_GetObjectItemCaseSensitive(root, "config"), path, &m->cfg, err);
    if (rc) return rc;
    const ws_search_config *cfg = &m->cfg;
    double seed = 0, threads = 0, ed = 0, res = 0;
    const char *host = NULL, *start = NULL, *w = NULL, *cj = NULL, *cc = NULL;
    if ((rc = get_int(root, "seed", 0, 9007199254740991.0, &seed, path, err)) ||
        (rc = get_int(root, "threads", 1, 256, &threads, path, err)) ||
        (rc = get_int(root, "epochs_done", 0, cfg->epochs, &ed, path, err)) ||
        (rc = get_int(root, "resumes", 0, 1e9, &res, path, err)) ||
        (rc = get_str(root, "host", &host, path, err)) ||
        (rc = get_str(root, "start_time", &start, path, err)))
        return rc;
    if ((uint64_t)seed != cfg->seed || (int)threads != cfg->threads)
        return BAD("%s: \"seed\" %.0f / \"threads\" %.0f differ from the config's %llu / %d", path,
                   seed, threads, (unsigned long long)cfg->seed, cfg->threads);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "versions");
    static const char *const vk[] = {"wsnas", "cjson", "compiler"};
    if (!cJSON_IsObject(v)) return BAD("%s: \"versions\": expected an object", path);
    if ((rc = check_keys(v, "\"versions\": ", vk, 3, 3, path, err)) ||
        (rc = get_str(v, "wsnas", &w, path, err)) || (rc = get_str(v, "cjson", &cj, path, err)) ||
        (rc = get_str(v, "compiler", &cc, path, err)))
        return rc;
    if (strcmp(w, WS_SEARCH_VERSION))
        return BAD("%s: \"versions.wsnas\" '%s': this wsnas reads '%s'", path, w,
                   WS_SEARCH_VERSION);
    if (strlen(start) >= sizeof m->start_time)
        return BAD("%s: \"start_time\": longer than %zu characters", path,
                   sizeof m->start_time - 1);
    snprintf(m->start_time, sizeof m->start_time, "%s", start);
    m->epochs_done = (int)ed;
    m->resumes = (int)res;
    if ((rc = check_data(cJSON_GetObjectItemCaseSensitive(root, "data"), cfg, m, path, err)))
        return rc;
    return check_status(root, m, path, err);
}

int ws_search_manifest_read(const char *dir, ws_search_manifest *m, ws_error *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = NULL;
    if (ws_file_read_text(path, &text, err)) return ws_error_prefix(err, "not a search run directory");
    cJSON *root = NULL;
    int rc = ws_json_parse_text(text, path, 0, &root, err);
    free(text);
    if (!rc) rc = ws_search_manifest_check(root, path, m, err);
    cJSON_Delete(root);
    return rc;
}
