/* robust_util.c: see robust_util.h. */
#include "robust_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "fixture.h"
#include "wsnas/config.h"
#include "wsnas/search.h"
#include "wsnas/space.h"

int rb_run(const char *args, char *err, size_t cap)
{
    err[0] = '\0';
    const char *bin = getenv("WSNAS_BIN");
    if (!bin) return -1;
    char ef[1100], cmd[8192];
    static __thread int k;
    snprintf(ef, sizeof ef, "%s", wsfx_tmp_path(""));
    snprintf(ef + strlen(ef), sizeof ef - strlen(ef), "rb_err_%d_%d.txt", (int)getpid(), k++);
    int len = snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>'%s'", bin, args, ef);
    if (len < 0 || (size_t)len >= sizeof cmd) return -1;
    int st = system(cmd);
    size_t n = 0;
    char *text = rb_slurp(ef, &n);
    if (text) {
        snprintf(err, cap, "%s", text);
        free(text);
    }
    remove(ef);
    if (st == -1) return -1;
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int rb_lines(const char *s)
{
    int n = 0;
    for (const char *q = s; *q; q++) n += *q == '\n';
    if (*s && s[strlen(s) - 1] != '\n') n++;
    return n;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static uint64_t digest_into(uint64_t h, const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, by_name);
    if (n < 0) return 0;
    for (int i = 0; i < n; i++) {
        const char *nm = list[i]->d_name;
        if (strcmp(nm, ".") && strcmp(nm, "..")) {
            char p[2048];
            snprintf(p, sizeof p, "%s/%s", dir, nm);
            struct stat sb;
            h = fnv(h, nm, strlen(nm) + 1);
            if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                h = digest_into(h, p);
            } else {
                size_t len = 0;
                char *text = rb_slurp(p, &len);
                h = fnv(h, &len, sizeof len);
                if (text) h = fnv(h, text, len);
                free(text);
            }
        }
        free(list[i]);
    }
    free(list);
    return h;
}

uint64_t rb_dir_digest(const char *dir)
{
    return digest_into(14695981039346656037ull, dir);
}

int rb_rm_rf(const char *path)
{
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    return system(cmd);
}

int rb_copy_dir(const char *src, const char *dst)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dst, src, dst);
    return system(cmd);
}

char *rb_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *b = malloc(cap + 1);
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(b, 2 * cap + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!b) return NULL;
    b[n] = '\0';
    if (len) *len = n;
    return b;
}

int rb_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(data, 1, n, f) == n;
    ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

void rb_strip_wall(char *csv)
{
    char *w = csv;
    for (char *line = csv; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line), cut = len;
        int commas = 0;
        for (size_t i = len; i > 0; i--)
            if (line[i - 1] == ',' && ++commas == 2) {
                cut = i - 1;
                break;
            }
        memmove(w, line, cut);
        w += cut;
        *w++ = '\n';
        line += len + (nl ? 1 : 0);
    }
    *w = '\0';
}

int rb_same_search(const char *a, const char *b)
{
    static const char *const files[] = {"epochs.csv", "arch_weights.csv", "edge_weights.csv",
                                        "checkpoint.bin"};
    for (int i = 0; i < 4; i++) {
        char pa[1200], pb[1200];
        snprintf(pa, sizeof pa, "%s/%s", a, files[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, files[i]);
        size_t la = 0, lb = 0;
        char *fa = rb_slurp(pa, &la), *fb = rb_slurp(pb, &lb);
        int same = (!fa && !fb && i == 2) || (fa && fb);
        if (fa && fb) {
            if (i == 0) {
                rb_strip_wall(fa), rb_strip_wall(fb);
                la = strlen(fa), lb = strlen(fb);
            }
            same = la == lb && !memcmp(fa, fb, la);
        }
        if (!same) fprintf(stderr, "rb_same_search: %s and %s differ\n", pa, pb);
        free(fa), free(fb);
        if (!same) return 0;
    }
    return 1;
}

/* manifest.json of a run of `done` epochs (see rb_write_run). */
static int write_manifest(const char *d, const char *method, int seed, const char *cfg, int done,
                          int final, char *why, size_t cap)
{
    ws_search_config c;
    ws_error err = {0};
    char json[2048], path[1200];
    snprintf(json, sizeof json, "{%s}", cfg);
    int rc = ws_config_preset(method, "cpu", &c, &err);
    if (!rc) rc = ws_config_set(&c, "dataset=cifar10", &err);
    if (!rc) rc = ws_config_apply_json(&c, json, "test config", &err);
    c.seed = (uint64_t)seed;
    if (!rc) rc = ws_config_validate(&c, &err);
    if (rc) {
        snprintf(why, cap, "%s", err.msg);
        return -1;
    }
    char *ct = ws_config_to_json(&c);
    cJSON *m = cJSON_CreateObject(), *v = cJSON_CreateObject(), *dt = cJSON_CreateObject();
    cJSON_AddItemToObject(m, "config", cJSON_Parse(ct));
    free(ct);
    const int complete = done == c.epochs;
    char fa[WS_ARCH_STR_MAX] = "";
    if (complete) {
        ws_space *sp = ws_space_alloc();
        ws_arch a = ws_space_arch(sp, final);
        ws_arch_format(&a, fa);
        ws_space_free(sp);
    }
    cJSON_AddNumberToObject(m, "seed", seed);
    cJSON_AddNumberToObject(m, "threads", c.threads);
    cJSON_AddStringToObject(v, "wsnas", WS_SEARCH_VERSION);
    cJSON_AddStringToObject(v, "cjson", "1.7.15");
    cJSON_AddStringToObject(v, "compiler", "12.2.0");
    cJSON_AddItemToObject(m, "versions", v);
    cJSON_AddStringToObject(m, "host", "test");
    cJSON_AddStringToObject(m, "start_time", "2026-12-07T00:00:00Z");
    cJSON_AddStringToObject(m, "end_time", complete ? "2026-12-07T00:01:00Z" : "");
    cJSON_AddStringToObject(m, "status", complete ? "complete" : "running");
    cJSON_AddNumberToObject(m, "epochs_done", done);
    cJSON_AddNumberToObject(m, "resumes", 0);
    cJSON_AddStringToObject(dt, "dataset", "cifar10");
    cJSON_AddNumberToObject(dt, "train_images", 4000);
    cJSON_AddNumberToObject(dt, "valid_images", 2000);
    cJSON_AddStringToObject(dt, "arch_batches_from", c.single_level ? "train" : "valid");
    cJSON_AddStringToObject(dt, "train_images_are", "train split");
    cJSON_AddItemToObject(m, "data", dt);
    cJSON_AddStringToObject(m, "final_arch", fa);
    char *text = cJSON_Print(m);
    cJSON_Delete(m);
    snprintf(path, sizeof path, "%s/manifest.json", d);
    rc = text ? rb_write(path, text, strlen(text)) : -1;
    cJSON_free(text);
    if (rc) snprintf(why, cap, "%s: cannot write", path);
    return rc;
}

/* The epochs.csv row of epoch e (architecture index `arch`). */
static int epoch_row(char *p, const ws_space *sp, int e, int arch, double entropy)
{
    ws_arch a = ws_space_arch(sp, arch);
    char s[WS_ARCH_STR_MAX], dg[WS_EDGES + 1];
    ws_arch_format(&a, s);
    ws_arch_digits(&a, dg);
    return sprintf(p, "%d,0.025,0,2.1,30,28,%.3f,%s,%s,1.0,100\n", e, entropy, s, dg);
}

int rb_write_run(const char *dir, const char *method, int seed, const char *cfg, int epochs,
                 int arch0, int arch_final, int manifest_final, char *why, size_t cap)
{
    const int last = arch_final >= 0 ? arch_final : arch0 + epochs - 1;
    char path[1200];
    mkdir(dir, 0777);
    if (epochs < 1 || epochs > 200) {
        snprintf(why, cap, "epochs %d: expected 1..200", epochs);
        return -1;
    }
    if (write_manifest(dir, method, seed, cfg, epochs,
                       manifest_final >= 0 ? manifest_final : last, why, cap))
        return -1;
    static __thread char text[1 << 19];
    ws_space *sp = ws_space_alloc();
    char *p = text;
    p += sprintf(p, "%s\n", WS_SEARCH_EPOCHS_COLUMNS);
    for (int e = 0; e < epochs; e++)
        p += epoch_row(p, sp, e, e == epochs - 1 ? last : arch0 + e, e < 14 ? 1.5 - 0.1 * e : 0.1);
    ws_space_free(sp);
    snprintf(path, sizeof path, "%s/epochs.csv", dir);
    int rc = rb_write(path, text, (size_t)(p - text));
    p = text;
    p += sprintf(p, "%s\n", WS_SEARCH_WEIGHTS_COLUMNS);
    for (int e = 0; e < epochs; e++)
        for (int ed = 0; ed < WS_EDGES; ed++)
            for (int o = 0; o < WS_OP_COUNT; o++)
                p += sprintf(p, "%d,%d,%s,0.2\n", e, ed, ws_op_names[o]);
    snprintf(path, sizeof path, "%s/arch_weights.csv", dir);
    if (!rc) rc = rb_write(path, text, (size_t)(p - text));
    if (rc) snprintf(why, cap, "%s: cannot write", path);
    return rc;
}
