/* fixture.c: reader for WSFX reference-tensor files (see tests/wsfx.py).
 * Layout (little endian): "WSFX" magic, uint32 version (=1), uint32 count;
 * then per tensor: uint32 name length, name bytes (no NUL), uint32 ndim,
 * int32 dims[ndim], float64 data[prod(dims)] in C (row-major) order. */
#include "fixture.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static int rd(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n ? 0 : -1; }

wsfx *wsfx_load(const char *file)
{
    const char *dir = getenv("WSNAS_FIXTURES");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", file);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fixture: cannot open %s\n", path);
        return NULL;
    }
    char magic[4];
    uint32_t version, count;
    wsfx *fx = calloc(1, sizeof *fx);
    if (!fx || rd(f, magic, 4) || memcmp(magic, "WSFX", 4) || rd(f, &version, 4) || version != 1 ||
        rd(f, &count, 4) || count > 100000)
        goto bad;
    fx->t = calloc(count ? count : 1, sizeof *fx->t);
    if (!fx->t) goto bad;
    for (uint32_t i = 0; i < count; i++) {
        wsfx_tensor *t = &fx->t[i];
        uint32_t len, nd;
        if (rd(f, &len, 4) || len >= sizeof t->name || rd(f, t->name, len)) goto bad;
        t->name[len] = '\0';
        if (rd(f, &nd, 4) || nd > 8) goto bad;
        t->ndim = (int)nd;
        t->numel = 1;
        for (uint32_t d = 0; d < nd; d++) {
            int32_t v;
            if (rd(f, &v, 4) || v < 0) goto bad;
            t->dims[d] = v;
            t->numel *= (size_t)v;
        }
        t->data = malloc((t->numel ? t->numel : 1) * sizeof(double));
        fx->count = (int)i + 1;
        if (!t->data || rd(f, t->data, t->numel * sizeof(double))) goto bad;
    }
    fclose(f);
    return fx;
bad:
    fprintf(stderr, "fixture: %s is truncated or not a WSFX v1 file\n", path);
    fclose(f);
    wsfx_free(fx);
    return NULL;
}

void wsfx_free(wsfx *fx)
{
    if (!fx) return;
    for (int i = 0; i < fx->count; i++) free(fx->t[i].data);
    free(fx->t);
    free(fx);
}

const wsfx_tensor *wsfx_get(const wsfx *fx, const char *name)
{
    for (int i = 0; fx && i < fx->count; i++)
        if (!strcmp(fx->t[i].name, name)) return &fx->t[i];
    return NULL;
}

static double compare(const char *what, const float *gf, const double *gd, const double *ref,
                      size_t n, double atol, double rtol)
{
    double worst = 0, maxabs = 0;
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        double g = gf ? (double)gf[i] : gd[i];
        double d = fabs(g - ref[i]);
        double r = d / (atol + rtol * fabs(ref[i]));
        if (!(r <= worst)) worst = isnan(r) ? INFINITY : (r > worst ? r : worst);
        if (d > maxabs || isnan(d)) maxabs = d;
        if ((!(r <= 1.0)) && shown < 5) {
            fprintf(stderr, "  %s[%zu]: got %.9g, ref %.9g\n", what, i, g, ref[i]);
            shown++;
        }
    }
    if (!(worst <= 1.0))
        fprintf(stderr, "FAIL %s: max abs diff %.3g (atol %.1g, rtol %.1g)\n", what, maxabs, atol,
                rtol);
    return worst;
}

double wsfx_compare_f(const char *what, const float *got, const double *ref, size_t n, double atol,
                      double rtol)
{
    return compare(what, got, NULL, ref, n, atol, rtol);
}

double wsfx_compare_d(const char *what, const double *got, const double *ref, size_t n,
                      double atol, double rtol)
{
    return compare(what, NULL, got, ref, n, atol, rtol);
}

const char *wsfx_shared_dir(void)
{
    const char *s = getenv("WSNAS_SHARED");
    return s && s[0] ? s : NULL;
}

/* mkdir -p of dir (errors surface when a test uses the path). */
static void mkdir_parents(const char *dir)
{
    char p[4096];
    int n = snprintf(p, sizeof p, "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof p) return;
    for (char *q = p + 1; *q; q++) {
        if (*q != '/') continue;
        *q = '\0';
        mkdir(p, 0777);
        *q = '/';
    }
    mkdir(p, 0777);
}

/* $WSNAS_TMP, created if absent and made absolute, so that a test run on
 * its own (--filter) does not depend on the Makefile or another test
 * having made the directory, nor on the directory it changes into. */
const char *wsfx_tmp_dir(void)
{
    static __thread char abs[900];
    const char *s = getenv("WSNAS_TMP");
    if (!s || !s[0]) return NULL;
    mkdir_parents(s);
    char *r = realpath(s, NULL);
    int fits = r && strlen(r) < sizeof abs;
    if (fits) memcpy(abs, r, strlen(r) + 1);
    free(r);
    return fits ? abs : s;
}

const char *wsfx_tmp_path(const char *name)
{
    static __thread char buf[16][1024];
    static __thread int k;
    const char *dir = wsfx_tmp_dir();
    char *p = buf[k++ % 16];
    snprintf(p, 1024, "%s/%s", dir ? dir : "/tmp", name);
    return p;
}

int wsfx_run_sh(const char *cmd, char *out, size_t cap)
{
    out[0] = '\0';
    char full[8400];
    int len = snprintf(full, sizeof full, "%s 2>&1", cmd);
    if (len < 0 || (size_t)len >= sizeof full) {
        fprintf(stderr, "wsfx_run_sh: command longer than %zu bytes\n", sizeof full);
        return -1;
    }
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    while (fgetc(p) != EOF) {
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int wsfx_run_cli(const char *args, char *out, size_t cap)
{
    out[0] = '\0';
    const char *bin = getenv("WSNAS_BIN");
    if (!bin) {
        fprintf(stderr, "wsfx_run_cli: WSNAS_BIN unset\n");
        return -1;
    }
    char cmd[8192];
    int len = snprintf(cmd, sizeof cmd, "'%s' %s", bin, args);
    if (len < 0 || (size_t)len >= sizeof cmd) {
        fprintf(stderr, "wsfx_run_cli: command longer than %zu bytes\n", sizeof cmd);
        return -1;
    }
    return wsfx_run_sh(cmd, out, cap);
}

const char *wsfx_python(void)
{
    const char *s = getenv("WSNAS_PYTHON");
    return s && s[0] ? s : "python3";
}

int wsfx_python_has(const char *modules)
{
    char cmd[1024], out[256];
    snprintf(cmd, sizeof cmd, "'%s' -c 'import %s' >/dev/null", wsfx_python(), modules);
    return wsfx_run_sh(cmd, out, sizeof out) == 0;
}

const char *wsfx_root(void)
{
    const char *s = getenv("WSNAS_ROOT");
    return s && s[0] ? s : NULL;
}
