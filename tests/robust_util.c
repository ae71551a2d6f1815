/* robust_util.c: see robust_util.h. */
#include "robust_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

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
