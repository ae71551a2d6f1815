/* test_nn.c: the numeric kernels (src/nn/).  Each kernel is checked three
 * ways: its forward against a double-precision reference written here; its
 * backward against central finite differences of that double reference
 * (loss = sum(dout * f(x)), computed in double); and both against the PyTorch
 * fixtures of tests/gen_nn_fixtures.py.  Also: backward accumulates into
 * pre-filled d* buffers, NULL d* are skipped, repeated calls give identical
 * bits, and ws_sgemm agrees with ws_sgemm_naive. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "../src/nn/nn_internal.h"
#include "fixture.h"
#include "wsnas/common.h"
#include "wsnas/nn.h"

/* The direct, Winograd and fused-ReLU kernels exist only in builds for a CPU
 * with AVX-512F or AVX2 (-march=native); elsewhere the portable paths run
 * (ws_nn_conv_name() then starts with "im2col") and the tests of those
 * kernels are skipped, visibly (the suite's skip list). */
#define SKIP_WITHOUT_DIRECT_KERNELS(what)                                                          \
    do {                                                                                          \
        if (strncmp(ws_nn_conv_name(), "im2col", 6) == 0)                                         \
            cr_skip_test("%s: this build has no direct kernels (the CPU lacks AVX-512F and AVX2)", \
                         what);                                                                   \
    } while (0)

/* ---- helpers --------------------------------------------------------------- */

static uint64_t g_seed = 88172645463325252ull;
static double urand(void)
{
    g_seed ^= g_seed << 13;
    g_seed ^= g_seed >> 7;
    g_seed ^= g_seed << 17;
    return (double)(g_seed >> 11) / 9007199254740992.0;
}
/* Roughly normal, float-representable values. */
static void fill(float *x, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(scale * (urand() + urand() + urand() - 1.5) * 2.0);
}
static float *fnew(size_t n) { return calloc(n ? n : 1, sizeof(float)); }
static double *dnew(size_t n) { return calloc(n ? n : 1, sizeof(double)); }
static double *to_d(const float *x, size_t n)
{
    double *d = dnew(n);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}
static float *to_f(const double *x, size_t n)
{
    float *f = fnew(n);
    for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
    return f;
}
static double maxabs_d(const double *x, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(x[i]));
    return m;
}
/* Float results against a double reference: tolerance scaled to the
 * reference's magnitude (float32 rounding of sums of a few hundred terms). */
static void expect_close(const char *what, const float *got, const double *ref, size_t n,
                         double rel)
{
    double atol = rel * fmax(maxabs_d(ref, n), 1e-3);
    double r = wsfx_compare_f(what, got, ref, n, atol, rel);
    cr_expect_leq(r, 1.0, "%s: mismatch ratio %g", what, r);
}

/* Central finite differences of L(ctx) with respect to p[0..n). */
typedef double (*loss_fn)(void *ctx);
static void fd_grad(double *grad, double *p, size_t n, loss_fn L, void *ctx)
{
    const double h = 1e-5;
    for (size_t i = 0; i < n; i++) {
        double v = p[i];
        p[i] = v + h;
        double lp = L(ctx);
        p[i] = v - h;
        double lm = L(ctx);
        p[i] = v;
        grad[i] = (lp - lm) / (2 * h);
    }
}
static double dot_d(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static wsfx *load_fx(const char *file)
{
    wsfx *fx = wsfx_load(file);
    cr_assert_not_null(fx, "cannot load fixture %s (WSNAS_FIXTURES)", file);
    return fx;
}
static const wsfx_tensor *get_t(const wsfx *fx, const char *name)
{
    const wsfx_tensor *t = wsfx_get(fx, name);
    cr_assert_not_null(t, "fixture tensor %s missing", name);
    return t;
}
static float *get_f(const wsfx *fx, const char *name) { const wsfx_tensor *t = get_t(fx, name); return to_f(t->data, t->numel); }

/* ---- GEMM -------------------------------------------------------------------- */

/* A thread count set by ws_nn_init (as `wsnas search --threads T` now does)
 * survives the first GEMM: the lazy initialisation of a process that never
 * called ws_nn_init resets OpenMP to one thread, and `wsnas search` used to
 * set its count with omp_set_num_threads alone, so every search ran on one
 * core.  Criterion forks each test, so this process starts uninitialised. */
Test(nn, explicit_thread_count_survives_first_gemm)
{
#ifdef _OPENMP
    ws_nn_init(2);
    float A[4] = {1, 2, 3, 4}, B[4] = {1, 0, 0, 1}, C[4] = {0};
    ws_sgemm(0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2);
    cr_expect_eq(C[3], 4.0f);
    cr_expect_eq(ws_nn_threads(), 2, "ws_nn_threads() %d", ws_nn_threads());
    int team = 0;
#pragma omp parallel
#pragma omp single
    team = omp_get_num_threads();
    cr_expect_eq(team, 2, "a parallel region after the first GEMM ran %d threads", team);
#else
    cr_skip_test("built without OpenMP");
#endif
}

Test(nn, gemm_matches_naive_all_transposes)
{
    ws_nn_init(0);
    cr_expect(strstr(ws_nn_gemm_name(), "BLIS") != NULL, "gemm name '%s'", ws_nn_gemm_name());
    const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {16, 300, 144}, {70, 9, 130}};
    for (size_t s = 0; s < WS_ARRAY_LEN(shapes); s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 5;
                float *A = fnew((size_t)lda * (ta ? K : M)), *B = fnew((size_t)ldb * (tb ? N : K));
                float *C1 = fnew((size_t)ldc * M), *C2 = fnew((size_t)ldc * M);
                fill(A, (size_t)lda * (ta ? K : M), 1.0);
                fill(B, (size_t)ldb * (tb ? N : K), 1.0);
                fill(C1, (size_t)ldc * M, 1.0);
                memcpy(C2, C1, sizeof(float) * ldc * M);
                ws_sgemm(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, 0.5f, C1, ldc);
                ws_sgemm_naive(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, 0.5f, C2, ldc);
                double *ref = to_d(C2, (size_t)ldc * M);
                char what[64];
                snprintf(what, sizeof what, "gemm %dx%dx%d t%d%d", M, N, K, ta, tb);
                expect_close(what, C1, ref, (size_t)ldc * M, 2e-6 * sqrt(K) + 1e-6);
                /* beta = 0 ignores NaN in C */
                for (size_t i = 0; i < (size_t)ldc * M; i++) C1[i] = NAN;
                ws_sgemm(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C1, ldc);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++) cr_expect(isfinite(C1[(size_t)i * ldc + j]));
                free(A), free(B), free(C1), free(C2), free(ref);
            }
    }
}

/* ---- convolution ----------------------------------------------------------- */

typedef struct conv_shape {
    int N, Cin, H, W, Cout, K, stride, pad;
} conv_shape;
static int co_dim(int H, const conv_shape *s) { return (H + 2 * s->pad - s->K) / s->stride + 1; }

/* out (Cout,N,Ho,Wo) from inp (Cin,N,H,W), double */
static void conv_ref(double *out, const double *inp, const double *w, const conv_shape *s)
{
    int Ho = co_dim(s->H, s), Wo = co_dim(s->W, s), K = s->K;
    for (int co = 0; co < s->Cout; co++)
        for (int n = 0; n < s->N; n++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    double acc = 0.0;
                    for (int ci = 0; ci < s->Cin; ci++)
                        for (int ky = 0; ky < K; ky++)
                            for (int kx = 0; kx < K; kx++) {
                                int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                                if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) continue;
                                acc += w[((co * s->Cin + ci) * K + ky) * K + kx] *
                                       inp[(((size_t)ci * s->N + n) * s->H + iy) * s->W + ix];
                            }
                    out[(((size_t)co * s->N + n) * Ho + oy) * Wo + ox] = acc;
                }
}
/* double reference backward (for shapes too large for finite differences) */
static void conv_ref_backward(double *dinp, double *dw, const double *dout, const double *inp,
                              const double *w, const conv_shape *s)
{
    int Ho = co_dim(s->H, s), Wo = co_dim(s->W, s), K = s->K;
    for (int co = 0; co < s->Cout; co++)
        for (int n = 0; n < s->N; n++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    double g = dout[(((size_t)co * s->N + n) * Ho + oy) * Wo + ox];
                    for (int ci = 0; ci < s->Cin; ci++)
                        for (int ky = 0; ky < K; ky++)
                            for (int kx = 0; kx < K; kx++) {
                                int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                                if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) continue;
                                size_t wi = ((size_t)(co * s->Cin + ci) * K + ky) * K + kx;
                                size_t ii = (((size_t)ci * s->N + n) * s->H + iy) * s->W + ix;
                                dw[wi] += g * inp[ii];
                                dinp[ii] += g * w[wi];
                            }
                }
}

typedef struct conv_ctx {
    conv_shape s;
    double *inp, *w, *dout, *out;
    size_t nout;
} conv_ctx;
static double conv_loss(void *p)
{
    conv_ctx *c = p;
    conv_ref(c->out, c->inp, c->w, &c->s);
    return dot_d(c->dout, c->out, c->nout);
}

/* Runs the kernel on random data and checks forward vs the double reference
 * and backward vs finite differences (fd=1) or the reference backward. */
static void conv_check(conv_shape s, int fd)
{
    int Ho = co_dim(s.H, &s), Wo = co_dim(s.W, &s);
    size_t ni = (size_t)s.Cin * s.N * s.H * s.W, nw = (size_t)s.Cout * s.Cin * s.K * s.K;
    size_t no = (size_t)s.Cout * s.N * Ho * Wo;
    float *x = fnew(ni), *w = fnew(nw), *dy = fnew(no), *y = fnew(no), *dx = fnew(ni), *dw = fnew(nw);
    float *work = fnew(ws_conv2d_work_size(s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad));
    fill(x, ni, 1.0), fill(w, nw, 0.3), fill(dy, no, 1.0);
    ws_conv2d_forward(y, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
    ws_conv2d_backward(dx, dw, dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
    conv_ctx c = {s, to_d(x, ni), to_d(w, nw), to_d(dy, no), dnew(no), no};
    double *yref = dnew(no), *gx = dnew(ni), *gw = dnew(nw);
    conv_ref(yref, c.inp, c.w, &s);
    char what[128];
    snprintf(what, sizeof what, "conv N%d Cin%d %dx%d Cout%d K%d s%d p%d", s.N, s.Cin, s.H, s.W,
             s.Cout, s.K, s.stride, s.pad);
    expect_close(what, y, yref, no, 1e-5);
    if (fd) {
        fd_grad(gx, c.inp, ni, conv_loss, &c);
        fd_grad(gw, c.w, nw, conv_loss, &c);
    } else {
        conv_ref_backward(gx, gw, c.dout, c.inp, c.w, &s);
    }
    expect_close("conv dinp", dx, gx, ni, 1e-5);
    expect_close("conv dweight", dw, gw, nw, 1e-5);
    free(x), free(w), free(dy), free(y), free(dx), free(dw), free(work);
    free(c.inp), free(c.w), free(c.dout), free(c.out), free(yref), free(gx), free(gw);
}

Test(nn, conv_forward_backward_finite_differences)
{
    ws_nn_init(0);
    const conv_shape cases[] = {
        {2, 3, 6, 5, 4, 3, 1, 1}, {2, 3, 7, 6, 5, 3, 2, 1}, {3, 4, 5, 5, 6, 1, 1, 0},
        {2, 4, 6, 6, 3, 1, 2, 0}, {2, 2, 6, 7, 3, 3, 1, 0}, {1, 2, 5, 5, 2, 3, 2, 2},
        /* shapes of the direct AVX-512 / AVX2 kernels (16-lane vectors spanning 2 rows,
         * one row, and a 1x1 with a ragged pixel tail and odd channel counts;
         * AVX2's 8-lane vectors spanning 4 rows of 2 and 2 rows of 4) */
        {1, 8, 4, 8, 8, 3, 1, 1}, {2, 8, 2, 16, 16, 3, 1, 1}, {3, 5, 3, 5, 6, 1, 1, 0},
        {1, 8, 8, 16, 8, 3, 2, 1}, {1, 4, 4, 4, 4, 3, 1, 1}, {2, 4, 8, 8, 12, 3, 2, 1},
        {1, 4, 4, 2, 4, 3, 1, 1}, {1, 4, 6, 4, 8, 3, 1, 1},
    };
    for (size_t i = 0; i < WS_ARRAY_LEN(cases); i++) conv_check(cases[i], 1);
}

/* The per-element im2col and col2im (the form conv.c had before its span
 * copies): every column checks its input pixel's bounds. */
static void im2col_ref(float *col, const float *inp, int n0, int nb, const conv_shape *s)
{
    int Ho = co_dim(s->H, s), Wo = co_dim(s->W, s), K = s->K;
    size_t cols = (size_t)nb * Ho * Wo;
    for (int r = 0; r < s->Cin * K * K; r++) {
        int ci = r / (K * K), ky = (r / K) % K, kx = r % K;
        for (int n = 0; n < nb; n++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                    float v = 0.0f;
                    if (iy >= 0 && iy < s->H && ix >= 0 && ix < s->W)
                        v = inp[(((size_t)ci * s->N + n0 + n) * s->H + iy) * s->W + ix];
                    col[(size_t)r * cols + ((size_t)n * Ho + oy) * Wo + ox] = v;
                }
    }
}
static void col2im_ref(float *dinp, const float *col, int n0, int nb, const conv_shape *s)
{
    int Ho = co_dim(s->H, s), Wo = co_dim(s->W, s), K = s->K;
    size_t cols = (size_t)nb * Ho * Wo;
    for (int ci = 0; ci < s->Cin; ci++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++)
                for (int n = 0; n < nb; n++)
                    for (int oy = 0; oy < Ho; oy++)
                        for (int ox = 0; ox < Wo; ox++) {
                            int iy = oy * s->stride - s->pad + ky, ix = ox * s->stride - s->pad + kx;
                            if (iy < 0 || iy >= s->H || ix < 0 || ix >= s->W) continue;
                            dinp[(((size_t)ci * s->N + n0 + n) * s->H + iy) * s->W + ix] +=
                                col[((size_t)(ci * K + ky) * K + kx) * cols + ((size_t)n * Ho + oy) * Wo + ox];
                        }
}

/* im2col's span copies (and its shifted-plane copy for same-padded stride 1)
 * and col2im's span adds give the per-element form's bits: 5x5 pad 2, 3x3
 * pad 1 and others, stride 1 and 2, odd and non-square planes, a chunk of
 * images starting past the first. */
Test(nn, im2col_col2im_same_bits_as_per_element)
{
    ws_nn_init(2);
    const conv_shape cases[] = {
        {3, 2, 7, 9, 1, 5, 1, 2}, {2, 3, 5, 5, 1, 5, 2, 2}, {2, 2, 9, 7, 1, 3, 1, 1},
        {3, 2, 7, 5, 1, 3, 2, 1}, {2, 2, 8, 8, 1, 3, 2, 1}, {2, 3, 4, 13, 1, 5, 1, 2},
        {2, 2, 6, 5, 1, 3, 1, 0}, {2, 2, 5, 6, 1, 5, 2, 1}, {1, 2, 3, 3, 1, 5, 1, 2},
        {2, 1, 2, 2, 1, 5, 1, 2}, {2, 2, 1, 7, 1, 3, 1, 1}, {2, 2, 11, 3, 1, 3, 2, 2},
        {2, 1, 16, 16, 1, 3, 1, 1},
    };
    for (size_t k = 0; k < WS_ARRAY_LEN(cases); k++) {
        conv_shape s = cases[k];
        int Ho = co_dim(s.H, &s), Wo = co_dim(s.W, &s);
        int n0 = s.N > 1 ? 1 : 0, nb = s.N - n0;
        size_t ni = (size_t)s.Cin * s.N * s.H * s.W;
        size_t nc = (size_t)s.Cin * s.K * s.K * nb * Ho * Wo;
        float *x = fnew(ni), *c1 = fnew(nc), *c2 = fnew(nc), *d1 = fnew(ni), *d2 = fnew(ni);
        fill(x, ni, 1.0);
        x[0] = -0.0f;
        for (size_t i = 0; i < nc; i++) c1[i] = c2[i] = NAN; /* every column is written */
        ws_conv_im2col_(c1, x, n0, nb, s.N, s.Cin, s.H, s.W, s.K, s.stride, s.pad);
        im2col_ref(c2, x, n0, nb, &s);
        cr_expect_arr_eq(c1, c2, nc * sizeof *c1, "im2col case %zu (%dx%d K%d s%d p%d)", k, s.H,
                         s.W, s.K, s.stride, s.pad);
        fill(c1, nc, 1.0);
        fill(d1, ni, 1.0);
        memcpy(d2, d1, ni * sizeof *d1);
        ws_conv_col2im_add_(d1, c1, n0, nb, s.N, s.Cin, s.H, s.W, s.K, s.stride, s.pad);
        col2im_ref(d2, c1, n0, nb, &s);
        cr_expect_arr_eq(d1, d2, ni * sizeof *d1, "col2im case %zu (%dx%d K%d s%d p%d)", k, s.H,
                         s.W, s.K, s.stride, s.pad);
        free(x), free(c1), free(c2), free(d1), free(d2);
    }
}

/* Shapes where the kernel processes images in several chunks (column budget)
 * and NB201-sized channel counts, against the double reference backward. */
Test(nn, conv_chunked_and_wide_against_reference)
{
    ws_nn_init(0);
    const conv_shape cases[] = {
        {5, 16, 24, 24, 16, 3, 1, 1}, {3, 16, 16, 16, 32, 3, 2, 1}, {4, 16, 8, 8, 16, 1, 1, 0},
        {3, 32, 16, 16, 32, 3, 1, 1},
    };
    for (size_t i = 0; i < WS_ARRAY_LEN(cases); i++) conv_check(cases[i], 0);
}

Test(nn, conv_matches_pytorch)
{
    ws_nn_init(0);
    wsfx *fx = load_fx("nn_conv.wsfx");
    for (int i = 0;; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "c%d_shape", i);
        const wsfx_tensor *sh = wsfx_get(fx, nm);
        if (!sh) {
            cr_expect_geq(i, 6, "expected 6 conv cases, found %d", i);
            break;
        }
        const double *d = sh->data;
        conv_shape s = {(int)d[0], (int)d[1], (int)d[2], (int)d[3], (int)d[4], (int)d[5], (int)d[6], (int)d[7]};
#define G(suffix) (snprintf(nm, sizeof nm, "c%d_" suffix, i), get_t(fx, nm))
        const wsfx_tensor *ti = G("inp"), *tw = G("weight"), *to = G("out"), *tdo = G("dout"),
                          *tdi = G("dinp"), *tdw = G("dweight");
#undef G
        float *x = to_f(ti->data, ti->numel), *w = to_f(tw->data, tw->numel);
        float *dy = to_f(tdo->data, tdo->numel), *y = fnew(to->numel);
        float *dx = fnew(ti->numel), *dw = fnew(tw->numel);
        float *work = fnew(ws_conv2d_work_size(s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad));
        ws_conv2d_forward(y, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        ws_conv2d_backward(dx, dw, dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        expect_close("pytorch conv out", y, to->data, to->numel, 1e-5);
        expect_close("pytorch conv dinp", dx, tdi->data, tdi->numel, 1e-5);
        expect_close("pytorch conv dweight", dw, tdw->data, tdw->numel, 1e-5);
        free(x), free(w), free(dy), free(y), free(dx), free(dw), free(work);
    }
    wsfx_free(fx);
}

/* One convolution run twice, path 0 and path 1 of a kernel switch
 * (ws_nn_set_direct or ws_nn_set_winograd, left on afterwards): outputs y,
 * and when wanted dx and dw accumulated onto the same random pre-fill. */
typedef struct conv_paths {
    size_t ni, nw, no;
    float *x, *w, *dy, *work, *y[2], *dx[2], *dw[2];
} conv_paths;
static void conv_run_paths(conv_paths *r, conv_shape s, void (*set)(int), int want_dx, int want_dw)
{
    int Ho = co_dim(s.H, &s), Wo = co_dim(s.W, &s);
    r->ni = (size_t)s.Cin * s.N * s.H * s.W, r->nw = (size_t)s.Cout * s.Cin * s.K * s.K;
    r->no = (size_t)s.Cout * s.N * Ho * Wo;
    r->x = fnew(r->ni), r->w = fnew(r->nw), r->dy = fnew(r->no);
    r->work = fnew(ws_conv2d_work_size(s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad));
    fill(r->x, r->ni, 1.0), fill(r->w, r->nw, 0.3), fill(r->dy, r->no, 1.0);
    for (int path = 0; path < 2; path++) {
        r->y[path] = fnew(r->no), r->dx[path] = fnew(r->ni), r->dw[path] = fnew(r->nw);
        if (path == 0) fill(r->dx[0], r->ni, 1.0), fill(r->dw[0], r->nw, 1.0);
    }
    memcpy(r->dx[1], r->dx[0], r->ni * sizeof(float));
    memcpy(r->dw[1], r->dw[0], r->nw * sizeof(float));
    for (int path = 0; path < 2; path++) {
        set(path);
        ws_conv2d_forward(r->y[path], r->x, r->w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride,
                          s.pad, r->work);
        if (want_dx || want_dw)
            ws_conv2d_backward(want_dx ? r->dx[path] : NULL, want_dw ? r->dw[path] : NULL, r->dy,
                               r->x, r->w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad,
                               r->work);
    }
    set(1);
}
static void conv_paths_free(conv_paths *r)
{
    free(r->x), free(r->w), free(r->dy), free(r->work);
    for (int path = 0; path < 2; path++) free(r->y[path]), free(r->dx[path]), free(r->dw[path]);
}
/* path 1 of out (y, dx or dw) against path 0, at 1e-5 of the largest value */
static void conv_paths_close(const char *what, float *const v[2], size_t n)
{
    double *ref = to_d(v[0], n);
    expect_close(what, v[1], ref, n, 1e-5);
    free(ref);
}

/* The direct kernels against the im2col + GEMM path on NB201's shapes. */
Test(nn, conv_direct_matches_gemm_path)
{
    ws_nn_init(0);
    const conv_shape cases[] = {
        {2, 16, 32, 32, 16, 3, 1, 1}, {2, 32, 16, 16, 32, 3, 1, 1}, {4, 64, 8, 8, 64, 3, 1, 1},
        {2, 16, 16, 16, 32, 3, 1, 1}, {2, 16, 32, 32, 16, 1, 1, 0}, {2, 64, 8, 8, 64, 1, 1, 0},
        {3, 5, 7, 5, 13, 1, 1, 0}, {2, 16, 32, 32, 32, 3, 2, 1}, {2, 32, 16, 16, 64, 3, 2, 1},
        {2, 8, 16, 32, 16, 3, 2, 1},
        /* PC-DARTS partial channels (C/4, C/2: 4 and 8 channels per block of
         * the 3x3 kernel), plane and batch sizes whose vector count leaves a
         * remainder after the blocks of 3 or 6 vectors, 16-pixel planes */
        {2, 4, 32, 32, 4, 3, 1, 1}, {3, 8, 16, 16, 8, 3, 1, 1}, {3, 16, 8, 8, 16, 3, 1, 1},
        {2, 8, 32, 32, 8, 3, 1, 1}, {5, 4, 8, 8, 4, 3, 1, 1}, {1, 12, 4, 4, 12, 3, 1, 1},
        {3, 4, 4, 4, 8, 3, 1, 1}, {2, 4, 16, 16, 12, 3, 2, 1}, {2, 4, 32, 32, 4, 1, 1, 0},
    };
    for (size_t k = 0; k < WS_ARRAY_LEN(cases); k++) {
        conv_shape s = cases[k];
        conv_paths r;
        conv_run_paths(&r, s, ws_nn_set_direct, 1, 1);
        char what[128];
        snprintf(what, sizeof what, "direct vs gemm N%d Cin%d %dx%d Cout%d K%d", s.N, s.Cin, s.H,
                 s.W, s.Cout, s.K);
        conv_paths_close(what, r.y, r.no);
        conv_paths_close("direct vs gemm dinp (accumulated)", r.dx, r.ni);
        conv_paths_close("direct vs gemm dweight (accumulated)", r.dw, r.nw);
        conv_paths_free(&r);
    }
}

/* ReLU fused into the forward kernels (ws_conv2d_relu_forward: 1x1 direct,
 * 3x3 Winograd, 3x3 direct stride 1 and 2) against ws_relu_forward then
 * ws_conv2d_forward: the same bits; ws_conv2d_relu_backward against conv
 * backward on relu(x) then ws_relu_backward (1e-5: summation order). */
Test(nn, conv_relu_fused_same_bits)
{
    SKIP_WITHOUT_DIRECT_KERNELS("fused ReLU convolutions");
    ws_nn_init(2);
    const conv_shape cases[] = {
        {2, 16, 32, 32, 16, 1, 1, 0}, {2, 5, 7, 5, 13, 1, 1, 0}, {2, 16, 32, 32, 16, 3, 1, 1},
        {3, 32, 16, 16, 32, 3, 1, 1}, {2, 64, 8, 8, 64, 3, 1, 1},  {2, 4, 16, 16, 4, 3, 1, 1},
        {2, 16, 32, 32, 32, 3, 2, 1}, {2, 4, 16, 16, 8, 3, 2, 1},  {2, 64, 8, 8, 64, 1, 1, 0},
        {2, 32, 8, 8, 16, 1, 1, 0},
    };
    for (size_t k = 0; k < WS_ARRAY_LEN(cases); k++) {
        conv_shape s = cases[k];
        cr_assert(ws_conv2d_relu_fused_ok(s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad));
        int Ho = (s.H + 2 * s.pad - s.K) / s.stride + 1, Wo = (s.W + 2 * s.pad - s.K) / s.stride + 1;
        size_t ni = (size_t)s.N * s.Cin * s.H * s.W, no = (size_t)s.N * s.Cout * Ho * Wo;
        float *x = fnew(ni), *r = fnew(ni), *w = fnew((size_t)s.Cout * s.Cin * s.K * s.K);
        float *y1 = fnew(no), *y2 = fnew(no);
        float *work = fnew(ws_conv2d_work_size(s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad));
        fill(x, ni, 1.0);
        x[0] = -0.0f, x[1] = 0.0f; /* signed zeros read as +0, as ws_relu_forward gives */
        fill(w, (size_t)s.Cout * s.Cin * s.K * s.K, 0.3);
        ws_relu_forward(r, x, ni);
        ws_conv2d_forward(y1, r, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        ws_conv2d_relu_forward(y2, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        cr_expect_arr_eq(y1, y2, no * sizeof *y1, "case %zu: fused ReLU changes the output", k);
        /* backward: relu's gradient folded into dinp, dweight from relu(x);
         * against conv backward on relu(x) into a zeroed buffer, then the
         * relu backward into the same (nonzero) starting dinp */
        size_t nw = (size_t)s.Cout * s.Cin * s.K * s.K;
        float *dy = fnew(no), *g = fnew(ni), *dx1 = fnew(ni), *dx2 = fnew(ni);
        float *dw1 = fnew(nw), *dw2 = fnew(nw);
        fill(dy, no, 1.0);
        fill(dx1, ni, 0.5);
        memcpy(dx2, dx1, ni * sizeof *dx1);
        fill(dw1, nw, 0.5);
        memcpy(dw2, dw1, nw * sizeof *dw1);
        ws_conv2d_backward(g, dw1, dy, r, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad,
                           work);
        ws_relu_backward(dx1, g, x, ni);
        ws_conv2d_relu_backward(dx2, dw2, dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride,
                                s.pad, work);
        double *rdx = to_d(dx1, ni), *rdw = to_d(dw1, nw);
        expect_close("fused relu backward dinp", dx2, rdx, ni, 1e-5);
        expect_close("fused relu backward dweight", dw2, rdw, nw, 1e-5);
        for (size_t i = 0; i < ni; i++) /* where the ReLU stopped x, dinp is untouched */
            if (!(x[i] > 0.0f) && dx2[i] != dx1[i]) {
                cr_expect(0, "case %zu: dinp[%zu] moved where x <= 0", k, i);
                break;
            }
        free(rdx), free(rdw), free(dy), free(g), free(dx1), free(dx2), free(dw1), free(dw2);
        free(x), free(r), free(w), free(y1), free(y2), free(work);
    }
}

/* Two pool planes (ws_avgpool3_forward_planes) against ws_avgpool3_forward's. */
Test(nn, pool_planes_same_bits)
{
    const int sides[][2] = {{32, 32}, {16, 16}, {8, 8}, {5, 7}, {1, 3}, {64, 64},
                            {4, 4}, {2, 8}, {12, 4}};
    for (size_t k = 0; k < WS_ARRAY_LEN(sides); k++) {
        int H = sides[k][0], W = sides[k][1];
        size_t n = (size_t)3 * H * W;
        float *x = fnew(n), *y = fnew(n), *p = fnew((size_t)2 * H * W);
        fill(x, n, 1.0);
        ws_avgpool3_forward(y, x, 1, 3, H, W);
        ws_avgpool3_forward_planes(p, x + (size_t)H * W, 2, H, W);
        cr_expect_arr_eq(p, y + (size_t)H * W, (size_t)2 * H * W * sizeof *p,
                         "pool planes %dx%d", H, W);
        free(x), free(y), free(p);
    }
}

/* Winograd F(2x2,3x3) (3x3 stride 1, planes 8, 16 or 32 wide, or 4x4 with
 * AVX-512, Cin >= 8, Cout % 8 == 0) against the direct kernel
 * (ws_nn_set_winograd(0)) on NB201's shapes, forward and accumulated dinp;
 * dinp of the Cin 12 case falls back to the direct kernel while its forward
 * is Winograd.  4x4 planes: chunks of 4 images, N 6 and 1 leave a chunk
 * part empty. */
Test(nn, conv_winograd_matches_direct)
{
    SKIP_WITHOUT_DIRECT_KERNELS("Winograd forward");
    ws_nn_init(0);
    const conv_shape cases[] = {
        {2, 16, 32, 32, 16, 3, 1, 1}, {3, 32, 16, 16, 32, 3, 1, 1}, {2, 64, 8, 8, 64, 3, 1, 1},
        {2, 8, 16, 16, 16, 3, 1, 1},  {1, 16, 8, 8, 8, 3, 1, 1},    {2, 16, 12, 16, 16, 3, 1, 1},
        {3, 16, 2, 32, 8, 3, 1, 1},   {2, 12, 16, 16, 16, 3, 1, 1},
#ifdef __AVX512F__
        {4, 64, 4, 4, 64, 3, 1, 1},   {6, 32, 4, 4, 32, 3, 1, 1},   {1, 16, 4, 4, 8, 3, 1, 1},
        {7, 8, 4, 4, 16, 3, 1, 1},
#endif
    };
    for (size_t k = 0; k < WS_ARRAY_LEN(cases); k++) {
        conv_shape s = cases[k];
        conv_paths r;
        conv_run_paths(&r, s, ws_nn_set_winograd, 1, 0); /* path 0: direct, 1: Winograd */
        char what[128];
        snprintf(what, sizeof what, "winograd vs direct N%d Cin%d %dx%d Cout%d", s.N, s.Cin, s.H,
                 s.W, s.Cout);
        conv_paths_close(what, r.y, r.no);
        conv_paths_close("winograd vs direct dinp (accumulated)", r.dx, r.ni);
        cr_expect(memcmp(r.y[0], r.y[1], r.no * sizeof(float)) != 0,
                  "%s: same bits as the direct kernel (Winograd path not taken?)", what);
        conv_paths_free(&r);
    }
}

/* The Winograd weight gradient (Cin % 16 == 0) against the direct kernel
 * (ws_nn_set_winograd(0)), accumulated onto a random dw: NB201's shapes, each
 * product blocking (16 co x 16 ci, 8 x 32, 8 x 16), fewer chunks than slices
 * (N 1, 8x8: one chunk), tile-row blocks across images (12 rows of 16),
 * Cin 8, which falls back to the direct kernel (same bits), and (AVX-512)
 * 4x4 planes in chunks of 4 images, N 5 and 3 leaving one part empty. */
Test(nn, conv_winograd_dweight_matches_direct)
{
    SKIP_WITHOUT_DIRECT_KERNELS("Winograd weight gradient");
    ws_nn_init(0);
    const conv_shape cases[] = {
        {2, 16, 32, 32, 16, 3, 1, 1}, {3, 32, 16, 16, 32, 3, 1, 1}, {2, 64, 8, 8, 64, 3, 1, 1},
        {3, 16, 2, 32, 8, 3, 1, 1},   {1, 16, 8, 8, 8, 3, 1, 1},    {2, 16, 12, 16, 16, 3, 1, 1},
        {5, 32, 8, 8, 24, 3, 1, 1},   {3, 48, 16, 16, 16, 3, 1, 1}, {2, 8, 16, 16, 16, 3, 1, 1},
        {9, 16, 16, 16, 32, 3, 1, 1},
#ifdef __AVX512F__
        {4, 64, 4, 4, 64, 3, 1, 1},   {5, 32, 4, 4, 32, 3, 1, 1},   {3, 16, 4, 4, 16, 3, 1, 1},
        {6, 32, 4, 4, 16, 3, 1, 1},
#endif
    };
    for (size_t k = 0; k < WS_ARRAY_LEN(cases); k++) {
        conv_shape s = cases[k];
        conv_paths r;
        conv_run_paths(&r, s, ws_nn_set_winograd, 0, 1); /* path 0: direct, 1: Winograd */
        char what[128];
        snprintf(what, sizeof what, "winograd vs direct dweight (accumulated) N%d Cin%d %dx%d Cout%d",
                 s.N, s.Cin, s.H, s.W, s.Cout);
        conv_paths_close(what, r.dw, r.nw);
        int same = memcmp(r.dw[0], r.dw[1], r.nw * sizeof(float)) == 0;
        if (s.Cin % 16 == 0)
            cr_expect(!same, "%s: same bits as the direct kernel (Winograd path not taken?)", what);
        else
            cr_expect(same, "%s: the direct fallback should give the same bits", what);
        conv_paths_free(&r);
    }
}

/* Winograd shapes (8-, 16- and 32-wide planes, and 4x4 with AVX-512) against
 * finite differences of the double reference; the Cin 16 cases take the
 * Winograd weight gradient. */
Test(nn, conv_winograd_finite_differences)
{
    ws_nn_init(0);
    const conv_shape cases[] = {{1, 8, 8, 8, 8, 3, 1, 1},   {1, 8, 4, 16, 16, 3, 1, 1},
                                {1, 16, 2, 32, 8, 3, 1, 1}, {2, 16, 8, 8, 8, 3, 1, 1},
                                {1, 16, 4, 16, 8, 3, 1, 1}, {5, 16, 4, 4, 8, 3, 1, 1},
                                {2, 8, 4, 4, 16, 3, 1, 1}};
    for (size_t i = 0; i < WS_ARRAY_LEN(cases); i++) conv_check(cases[i], 1);
}

/* Odd input channel counts (the 3-channel stem): the direct kernels serve the
 * forward and dweight (dinp NULL); checked against the GEMM path and FD. */
Test(nn, conv_direct_odd_cin_weight_gradient)
{
    ws_nn_init(0);
    const conv_shape cases[] = {{2, 3, 16, 16, 16, 3, 1, 1}, {2, 3, 16, 16, 8, 3, 2, 1},
                                {1, 5, 8, 8, 8, 3, 1, 1}, {1, 3, 4, 8, 8, 3, 1, 1}};
    for (size_t k = 0; k < WS_ARRAY_LEN(cases); k++) {
        conv_shape s = cases[k];
        int Ho = co_dim(s.H, &s), Wo = co_dim(s.W, &s);
        size_t ni = (size_t)s.Cin * s.N * s.H * s.W, nw = (size_t)s.Cout * s.Cin * 9;
        size_t no = (size_t)s.Cout * s.N * Ho * Wo;
        float *x = fnew(ni), *w = fnew(nw), *dy = fnew(no), *y[2], *dw[2];
        float *work = fnew(ws_conv2d_work_size(s.N, s.Cin, s.H, s.W, s.Cout, 3, s.stride, 1));
        fill(x, ni, 1.0), fill(w, nw, 0.3), fill(dy, no, 1.0);
        for (int path = 0; path < 2; path++) {
            y[path] = fnew(no), dw[path] = fnew(nw);
            ws_nn_set_direct(path);
            ws_conv2d_forward(y[path], x, w, s.N, s.Cin, s.H, s.W, s.Cout, 3, s.stride, 1, work);
            ws_conv2d_backward(NULL, dw[path], dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, 3, s.stride, 1, work);
        }
        ws_nn_set_direct(1);
        double *ry = to_d(y[0], no), *rw = to_d(dw[0], nw);
        expect_close("odd Cin direct vs gemm out", y[1], ry, no, 1e-5);
        expect_close("odd Cin direct vs gemm dweight", dw[1], rw, nw, 1e-5);
        if (k == WS_ARRAY_LEN(cases) - 1) { /* small: finite differences too */
            conv_ctx c = {s, to_d(x, ni), to_d(w, nw), to_d(dy, no), dnew(no), no};
            double *gw = dnew(nw);
            fd_grad(gw, c.w, nw, conv_loss, &c);
            expect_close("odd Cin direct dweight vs FD", dw[1], gw, nw, 1e-5);
            free(c.inp), free(c.w), free(c.dout), free(c.out), free(gw);
        }
        free(x), free(w), free(dy), free(work), free(ry), free(rw);
        for (int path = 0; path < 2; path++) free(y[path]), free(dw[path]);
    }
}

/* Backward adds to what d* hold; NULL d* are skipped; same bits twice. */
Test(nn, conv_accumulates_skips_null_deterministic)
{
    ws_nn_init(0);
    const conv_shape cases[] = {{3, 16, 12, 12, 16, 3, 1, 1}, {3, 16, 12, 12, 16, 1, 1, 0},
                                {2, 8, 12, 12, 16, 3, 2, 1}, {3, 16, 16, 16, 16, 3, 1, 1},
                                {2, 32, 8, 8, 32, 3, 1, 1}, {2, 16, 16, 16, 32, 3, 2, 1}};
    for (size_t k = 0; k < WS_ARRAY_LEN(cases); k++) {
        conv_shape s = cases[k];
        int Ho = co_dim(s.H, &s), Wo = co_dim(s.W, &s);
        size_t ni = (size_t)s.Cin * s.N * s.H * s.W, nw = (size_t)s.Cout * s.Cin * s.K * s.K;
        size_t no = (size_t)s.Cout * s.N * Ho * Wo;
        float *x = fnew(ni), *w = fnew(nw), *dy = fnew(no), *y1 = fnew(no), *y2 = fnew(no);
        float *dx0 = fnew(ni), *dw0 = fnew(nw), *dx1 = fnew(ni), *dw1 = fnew(nw), *dx2 = fnew(ni),
              *dw2 = fnew(nw), *pre_x = fnew(ni), *pre_w = fnew(nw);
        float *work = fnew(ws_conv2d_work_size(s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad));
        fill(x, ni, 1.0), fill(w, nw, 0.3), fill(dy, no, 1.0), fill(pre_x, ni, 1.0), fill(pre_w, nw, 1.0);
        ws_conv2d_forward(y1, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        ws_conv2d_forward(y2, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        cr_expect(memcmp(y1, y2, no * sizeof(float)) == 0, "conv forward not bit-identical");
        ws_conv2d_backward(dx0, dw0, dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        memcpy(dx1, pre_x, ni * sizeof(float)), memcpy(dw1, pre_w, nw * sizeof(float));
        ws_conv2d_backward(dx1, dw1, dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        double *ex = dnew(ni), *ew = dnew(nw);
        for (size_t i = 0; i < ni; i++) ex[i] = (double)pre_x[i] + dx0[i];
        for (size_t i = 0; i < nw; i++) ew[i] = (double)pre_w[i] + dw0[i];
        expect_close("conv dinp accumulates", dx1, ex, ni, 1e-6);
        expect_close("conv dweight accumulates", dw1, ew, nw, 1e-6);
        /* NULL dinp: dweight alone; NULL dweight: dinp alone */
        ws_conv2d_backward(NULL, dw2, dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        ws_conv2d_backward(dx2, NULL, dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, s.K, s.stride, s.pad, work);
        cr_expect(memcmp(dx2, dx0, ni * sizeof(float)) == 0, "conv dinp differs with dweight NULL");
        cr_expect(memcmp(dw2, dw0, nw * sizeof(float)) == 0, "conv dweight differs with dinp NULL");
        free(x), free(w), free(dy), free(y1), free(y2), free(dx0), free(dw0), free(dx1), free(dw1);
        free(dx2), free(dw2), free(pre_x), free(pre_w), free(work), free(ex), free(ew);
    }
}

/* ---- batch norm ------------------------------------------------------------- */

typedef struct bn_ctx {
    int C, M, train;
    double *inp, *gamma, *beta, *rm, *rv, *dout, *out;
    double eps;
} bn_ctx;
static void bn_ref(bn_ctx *b)
{
    for (int c = 0; c < b->C; c++) {
        const double *x = b->inp + (size_t)c * b->M;
        double mu, var;
        if (b->train) {
            double s = 0.0, v = 0.0;
            for (int i = 0; i < b->M; i++) s += x[i];
            mu = s / b->M;
            for (int i = 0; i < b->M; i++) v += (x[i] - mu) * (x[i] - mu);
            var = v / b->M;
        } else {
            mu = b->rm[c], var = b->rv[c];
        }
        double g = b->gamma ? b->gamma[c] : 1.0, be = b->beta ? b->beta[c] : 0.0;
        for (int i = 0; i < b->M; i++)
            b->out[(size_t)c * b->M + i] = g * (x[i] - mu) / sqrt(var + b->eps) + be;
    }
}
static double bn_loss(void *p)
{
    bn_ctx *b = p;
    bn_ref(b);
    return dot_d(b->dout, b->out, (size_t)b->C * b->M);
}

static void bn_check(int C, int M, int train, int affine)
{
    size_t n = (size_t)C * M;
    float *x = fnew(n), *g = fnew(C), *be = fnew(C), *dy = fnew(n), *y = fnew(n), *xh = fnew(n);
    float *mean = fnew(C), *rstd = fnew(C), *rm = fnew(C), *rv = fnew(C);
    float *dx = fnew(n), *dg = fnew(C), *db = fnew(C);
    fill(x, n, 2.0), fill(g, C, 0.3), fill(be, C, 0.3), fill(dy, n, 1.0), fill(rm, C, 0.3);
    for (int c = 0; c < C; c++) g[c] += 1.0f, rv[c] = 0.5f + (float)urand();
    for (size_t i = 0; i < n; i++) x[i] += 0.7f;
    bn_ctx b = {C, M, train, to_d(x, n), affine ? to_d(g, C) : NULL, affine ? to_d(be, C) : NULL,
                to_d(rm, C), to_d(rv, C), to_d(dy, n), dnew(n), 1e-5};
    if (train) {
        ws_batchnorm_forward_train(y, affine ? xh : y, mean, rstd, x, affine ? g : NULL,
                                   affine ? be : NULL, NULL, NULL, 0.1f, 1e-5f, C, M);
        ws_batchnorm_backward(dx, affine ? dg : NULL, affine ? db : NULL, dy, affine ? xh : y,
                              rstd, affine ? g : NULL, C, M);
    } else {
        ws_batchnorm_forward_eval(y, x, affine ? g : NULL, affine ? be : NULL, rm, rv, 1e-5f, C, M);
        ws_batchnorm_backward_eval(dx, affine ? dg : NULL, affine ? db : NULL, dy, x,
                                   affine ? g : NULL, rm, rv, 1e-5f, C, M);
    }
    double *yref = dnew(n), *gx = dnew(n), *gg = dnew(C), *gb = dnew(C);
    bn_ref(&b);
    memcpy(yref, b.out, n * sizeof(double));
    char what[96];
    snprintf(what, sizeof what, "bn %s affine=%d C%d M%d out", train ? "train" : "eval", affine, C, M);
    expect_close(what, y, yref, n, 2e-6);
    fd_grad(gx, b.inp, n, bn_loss, &b);
    expect_close("bn dinp", dx, gx, n, 1e-5);
    if (affine) {
        fd_grad(gg, b.gamma, C, bn_loss, &b);
        fd_grad(gb, b.beta, C, bn_loss, &b);
        expect_close("bn dgamma", dg, gg, C, 1e-5);
        expect_close("bn dbeta", db, gb, C, 1e-5);
    }
    free(x), free(g), free(be), free(dy), free(y), free(xh), free(mean), free(rstd), free(rm);
    free(rv), free(dx), free(dg), free(db), free(b.inp), free(b.gamma), free(b.beta), free(b.rm);
    free(b.rv), free(b.dout), free(b.out), free(yref), free(gx), free(gg), free(gb);
}

Test(nn, batchnorm_finite_differences)
{
    bn_check(3, 40, 1, 1);
    bn_check(3, 40, 1, 0);
    bn_check(4, 30, 0, 1);
    bn_check(2, 30, 0, 0);
}

Test(nn, batchnorm_matches_pytorch)
{
    wsfx *fx = load_fx("nn_bn.wsfx");
    for (int t = 0; t < 2; t++) {
        char nm[64];
#define G(suffix) (snprintf(nm, sizeof nm, "t%d_" suffix, t), get_t(fx, nm))
        const double *sh = G("shape")->data;
        int N = (int)sh[0], C = (int)sh[1], M = N * (int)sh[2] * (int)sh[3], affine = (int)sh[4];
        size_t n = (size_t)C * M;
        float *x = to_f(G("inp")->data, n), *g = to_f(G("gamma")->data, C), *b = to_f(G("beta")->data, C);
        float *rm = to_f(G("rm0")->data, C), *rv = to_f(G("rv0")->data, C), *dy = to_f(G("dout")->data, n);
        float *y = fnew(n), *xh = fnew(n), *mean = fnew(C), *rstd = fnew(C), *dx = fnew(n);
        float *dg = fnew(C), *db = fnew(C);
        ws_batchnorm_forward_train(y, affine ? xh : y, mean, rstd, x, affine ? g : NULL,
                                   affine ? b : NULL, rm, rv, 0.1f, 1e-5f, C, M);
        expect_close("pytorch bn train out", y, G("out")->data, n, 2e-6);
        expect_close("pytorch bn running_mean", rm, G("rm1")->data, C, 1e-6);
        expect_close("pytorch bn running_var", rv, G("rv1")->data, C, 1e-6);
        ws_batchnorm_backward(dx, affine ? dg : NULL, affine ? db : NULL, dy, affine ? xh : y, rstd,
                              affine ? g : NULL, C, M);
        expect_close("pytorch bn train dinp", dx, G("dinp")->data, n, 1e-5);
        if (affine) {
            expect_close("pytorch bn dgamma", dg, G("dgamma")->data, C, 1e-5);
            expect_close("pytorch bn dbeta", db, G("dbeta")->data, C, 1e-5);
        }
#undef G
        free(x), free(g), free(b), free(rm), free(rv), free(dy), free(y), free(xh), free(mean);
        free(rstd), free(dx), free(dg), free(db);
    }
    const double *sh = get_t(fx, "e_shape")->data;
    int C = (int)sh[1], M = (int)sh[0] * (int)sh[2] * (int)sh[3];
    size_t n = (size_t)C * M;
    float *x = get_f(fx, "e_inp"), *g = get_f(fx, "e_gamma"), *b = get_f(fx, "e_beta");
    float *rm = get_f(fx, "e_rm"), *rv = get_f(fx, "e_rv"), *dy = get_f(fx, "e_dout");
    float *y = fnew(n), *dx = fnew(n), *dg = fnew(C), *db = fnew(C);
    ws_batchnorm_forward_eval(y, x, g, b, rm, rv, 1e-5f, C, M);
    ws_batchnorm_backward_eval(dx, dg, db, dy, x, g, rm, rv, 1e-5f, C, M);
    expect_close("pytorch bn eval out", y, get_t(fx, "e_out")->data, n, 2e-6);
    expect_close("pytorch bn eval dinp", dx, get_t(fx, "e_dinp")->data, n, 1e-5);
    expect_close("pytorch bn eval dgamma", dg, get_t(fx, "e_dgamma")->data, C, 1e-5);
    expect_close("pytorch bn eval dbeta", db, get_t(fx, "e_dbeta")->data, C, 1e-5);
    free(x), free(g), free(b), free(rm), free(rv), free(dy), free(y), free(dx), free(dg), free(db);
    wsfx_free(fx);
}

Test(nn, batchnorm_accumulates_and_deterministic)
{
    int C = 16, M = 4 * 9 * 9;
    size_t n = (size_t)C * M;
    float *x = fnew(n), *g = fnew(C), *be = fnew(C), *dy = fnew(n), *y1 = fnew(n), *y2 = fnew(n);
    float *xh = fnew(n), *mean = fnew(C), *rstd = fnew(C);
    float *dx0 = fnew(n), *dg0 = fnew(C), *db0 = fnew(C), *dx1 = fnew(n), *dg1 = fnew(C), *db1 = fnew(C);
    float *dx2 = fnew(n), *rm = fnew(C), *rv = fnew(C);
    fill(x, n, 1.0), fill(g, C, 1.0), fill(be, C, 1.0), fill(dy, n, 1.0);
    fill(dx1, n, 1.0), fill(dg1, C, 1.0), fill(db1, C, 1.0);
    for (int pass = 0; pass < 2; pass++) {
        float *y = pass ? y2 : y1;
        ws_batchnorm_forward_train(y, xh, mean, rstd, x, g, be, NULL, NULL, 0.1f, 1e-5f, C, M);
    }
    cr_expect(memcmp(y1, y2, n * sizeof(float)) == 0, "bn forward not bit-identical");
    double *ex = dnew(n), *eg = dnew(C), *eb = dnew(C);
    for (size_t i = 0; i < n; i++) ex[i] = dx1[i];
    for (int c = 0; c < C; c++) eg[c] = dg1[c], eb[c] = db1[c];
    ws_batchnorm_backward(dx0, dg0, db0, dy, xh, rstd, g, C, M);
    ws_batchnorm_backward(dx1, dg1, db1, dy, xh, rstd, g, C, M);
    for (size_t i = 0; i < n; i++) ex[i] += dx0[i];
    for (int c = 0; c < C; c++) eg[c] += dg0[c], eb[c] += db0[c];
    expect_close("bn dinp accumulates", dx1, ex, n, 1e-6);
    expect_close("bn dgamma accumulates", dg1, eg, C, 1e-6);
    expect_close("bn dbeta accumulates", db1, eb, C, 1e-6);
    ws_batchnorm_backward(dx2, NULL, NULL, dy, xh, rstd, g, C, M);
    cr_expect(memcmp(dx2, dx0, n * sizeof(float)) == 0, "bn dinp differs with NULL dgamma/dbeta");
    memset(dg1, 0, C * sizeof(float));
    ws_batchnorm_backward(NULL, dg1, NULL, dy, xh, rstd, g, C, M);
    cr_expect(memcmp(dg1, dg0, C * sizeof(float)) == 0, "bn dgamma differs with NULL dinp");
    /* eval backward accumulates too */
    for (int c = 0; c < C; c++) rm[c] = 0.1f * c, rv[c] = 1.0f + 0.05f * c;
    memset(dx0, 0, n * sizeof(float));
    ws_batchnorm_backward_eval(dx0, NULL, NULL, dy, x, g, rm, rv, 1e-5f, C, M);
    fill(dx1, n, 1.0);
    for (size_t i = 0; i < n; i++) ex[i] = (double)dx1[i] + dx0[i];
    ws_batchnorm_backward_eval(dx1, NULL, NULL, dy, x, g, rm, rv, 1e-5f, C, M);
    expect_close("bn eval dinp accumulates", dx1, ex, n, 1e-6);
    free(x), free(g), free(be), free(dy), free(y1), free(y2), free(xh), free(mean), free(rstd);
    free(dx0), free(dg0), free(db0), free(dx1), free(dg1), free(db1), free(dx2), free(rm), free(rv);
    free(ex), free(eg), free(eb);
}

/* ---- pools and ReLU: single-input ops ----------------------------------------- */

typedef struct op_ctx {
    int C, N, H, W;
    double *inp, *dout, *out;
    size_t nin, nout;
    void (*ref)(struct op_ctx *);
} op_ctx;
static double op_loss(void *p)
{
    op_ctx *o = p;
    o->ref(o);
    return dot_d(o->dout, o->out, o->nout);
}
static void pool3_ref(op_ctx *o)
{
    for (int p = 0; p < o->C * o->N; p++)
        for (int y = 0; y < o->H; y++)
            for (int x = 0; x < o->W; x++) {
                double s = 0.0;
                int cnt = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int yy = y + dy, xx = x + dx;
                        if (yy < 0 || yy >= o->H || xx < 0 || xx >= o->W) continue;
                        s += o->inp[((size_t)p * o->H + yy) * o->W + xx];
                        cnt++;
                    }
                o->out[((size_t)p * o->H + y) * o->W + x] = s / cnt;
            }
}
static void pool2_ref(op_ctx *o)
{
    int Ho = o->H / 2, Wo = o->W / 2;
    for (int p = 0; p < o->C * o->N; p++)
        for (int y = 0; y < Ho; y++)
            for (int x = 0; x < Wo; x++) {
                const double *r = o->inp + ((size_t)p * o->H + 2 * y) * o->W + 2 * x;
                o->out[((size_t)p * Ho + y) * Wo + x] = 0.25 * (r[0] + r[1] + r[o->W] + r[o->W + 1]);
            }
}
static void gap_ref(op_ctx *o)
{
    int HW = o->H * o->W;
    for (int c = 0; c < o->C; c++)
        for (int n = 0; n < o->N; n++) {
            double s = 0.0;
            for (int i = 0; i < HW; i++) s += o->inp[((size_t)c * o->N + n) * HW + i];
            o->out[(size_t)n * o->C + c] = s / HW;
        }
}
static void relu_ref(op_ctx *o)
{
    for (size_t i = 0; i < o->nin; i++) o->out[i] = o->inp[i] > 0 ? o->inp[i] : 0.0;
}

enum { OP_POOL3, OP_POOL2, OP_GAP, OP_RELU };
static void op_run(int op, float *out, float *dinp, const float *dout, const float *inp, int C,
                   int N, int H, int W)
{
    size_t n = (size_t)C * N * H * W;
    switch (op) {
    case OP_POOL3:
        if (out) ws_avgpool3_forward(out, inp, C, N, H, W);
        if (dout) ws_avgpool3_backward(dinp, dout, C, N, H, W);
        break;
    case OP_POOL2:
        if (out) ws_avgpool2_forward(out, inp, C, N, H, W);
        if (dout) ws_avgpool2_backward(dinp, dout, C, N, H, W);
        break;
    case OP_GAP:
        if (out) ws_gap_forward(out, inp, C, N, H, W);
        if (dout) ws_gap_backward(dinp, dout, C, N, H, W);
        break;
    default:
        if (out) ws_relu_forward(out, inp, n);
        if (dout) ws_relu_backward(dinp, dout, inp, n);
    }
}
static size_t op_nout(int op, int C, int N, int H, int W)
{
    return op == OP_POOL2 ? (size_t)C * N * (H / 2) * (W / 2) : op == OP_GAP ? (size_t)C * N : (size_t)C * N * H * W;
}
static const char *const op_names[] = {"avgpool3", "avgpool2", "gap", "relu"};

static void op_check(int op, int C, int N, int H, int W)
{
    size_t ni = (size_t)C * N * H * W, no = op_nout(op, C, N, H, W);
    float *x = fnew(ni), *dy = fnew(no), *y = fnew(no), *dx = fnew(ni), *pre = fnew(ni), *dx2 = fnew(ni);
    fill(x, ni, 1.0), fill(dy, no, 1.0), fill(pre, ni, 1.0);
    op_run(op, y, dx, dy, x, C, N, H, W);
    op_ctx o = {C, N, H, W, to_d(x, ni), to_d(dy, no), dnew(no), ni, no, NULL};
    o.ref = op == OP_POOL3 ? pool3_ref : op == OP_POOL2 ? pool2_ref : op == OP_GAP ? gap_ref : relu_ref;
    double *g = dnew(ni);
    op_loss(&o);
    char what[96];
    snprintf(what, sizeof what, "%s C%d N%d %dx%d out", op_names[op], C, N, H, W);
    expect_close(what, y, o.out, no, 1e-6);
    fd_grad(g, o.inp, ni, op_loss, &o);
    snprintf(what, sizeof what, "%s C%d N%d %dx%d dinp", op_names[op], C, N, H, W);
    expect_close(what, dx, g, ni, 1e-5);
    /* accumulate: pre + grad */
    memcpy(dx2, pre, ni * sizeof(float));
    op_run(op, NULL, dx2, dy, x, C, N, H, W);
    for (size_t i = 0; i < ni; i++) g[i] = (double)pre[i] + dx[i];
    expect_close("accumulates", dx2, g, ni, 1e-6);
    op_run(op, NULL, NULL, dy, x, C, N, H, W); /* NULL dinp: no-op, no crash */
    float *y2 = fnew(no);
    op_run(op, y2, NULL, NULL, x, C, N, H, W);
    cr_expect(memcmp(y, y2, no * sizeof(float)) == 0, "%s forward not bit-identical", op_names[op]);
    free(x), free(dy), free(y), free(dx), free(pre), free(dx2), free(y2), free(g);
    free(o.inp), free(o.dout), free(o.out);
}

Test(nn, pools_relu_finite_differences)
{
    op_check(OP_POOL3, 2, 3, 5, 6);
    op_check(OP_POOL3, 1, 2, 1, 4);
    op_check(OP_POOL3, 3, 2, 8, 8);
    op_check(OP_POOL2, 2, 3, 6, 8);
    op_check(OP_GAP, 3, 4, 5, 3);
    op_check(OP_RELU, 3, 2, 4, 5);
    op_check(OP_POOL3, 16, 4, 16, 16);
    op_check(OP_POOL3, 1, 1, 3, 520); /* wider than the separable path's row buffers */
    /* rows of 16-lane vectors (W % 16 == 0): one, two, three vectors; one row */
    op_check(OP_POOL3, 2, 2, 6, 32);
    op_check(OP_POOL3, 1, 2, 5, 48);
    op_check(OP_POOL3, 2, 1, 1, 16);
    op_check(OP_POOL3, 1, 1, 2, 32);
    /* whole planes of 16-lane vectors (W = 4 or 8): one, three, four vectors */
    op_check(OP_POOL3, 2, 3, 4, 4);
    op_check(OP_POOL3, 2, 2, 6, 8);
    op_check(OP_POOL3, 1, 2, 16, 4);
    op_check(OP_RELU, 16, 4, 16, 16);
}

Test(nn, pools_relu_match_pytorch)
{
    wsfx *fx = load_fx("nn_pool.wsfx");
    const char *pre[] = {"p3", "p2", "g", "r"};
    for (int op = 0; op < 4; op++) {
        char nm[64];
#define G(suffix) (snprintf(nm, sizeof nm, "%s_" suffix, pre[op]), get_t(fx, nm))
        int C, N, H, W;
        if (op == OP_RELU) {
            const wsfx_tensor *t = G("inp");
            N = t->dims[0], C = t->dims[1], H = t->dims[2], W = t->dims[3];
        } else {
            const double *sh = G("shape")->data;
            N = (int)sh[0], C = (int)sh[1], H = (int)sh[2], W = (int)sh[3];
        }
        const wsfx_tensor *ti = G("inp"), *to = G("out"), *tdo = G("dout"), *tdi = G("dinp");
#undef G
        float *x = to_f(ti->data, ti->numel), *dy = to_f(tdo->data, tdo->numel);
        float *y = fnew(to->numel), *dx = fnew(ti->numel);
        cr_assert_eq(to->numel, op_nout(op, C, N, H, W));
        op_run(op, y, dx, dy, x, C, N, H, W);
        expect_close(op_names[op], y, to->data, to->numel, 1e-6);
        expect_close(op_names[op], dx, tdi->data, tdi->numel, 1e-6);
        free(x), free(dy), free(y), free(dx);
    }
    wsfx_free(fx);
}

/* ---- linear and cross-entropy -------------------------------------------------- */

typedef struct lin_ctx {
    int N, C, OC;
    double *inp, *w, *b, *dout, *out;
} lin_ctx;
static double lin_loss(void *p)
{
    lin_ctx *l = p;
    for (int n = 0; n < l->N; n++)
        for (int o = 0; o < l->OC; o++) {
            double s = l->b[o];
            for (int c = 0; c < l->C; c++) s += l->inp[n * l->C + c] * l->w[o * l->C + c];
            l->out[n * l->OC + o] = s;
        }
    return dot_d(l->dout, l->out, (size_t)l->N * l->OC);
}

Test(nn, linear_finite_differences_and_accumulate)
{
    ws_nn_init(0);
    const int N = 6, C = 11, OC = 5;
    float *x = fnew(N * C), *w = fnew(OC * C), *b = fnew(OC), *dy = fnew(N * OC), *y = fnew(N * OC);
    float *dx = fnew(N * C), *dw = fnew(OC * C), *db = fnew(OC);
    fill(x, N * C, 1.0), fill(w, OC * C, 0.5), fill(b, OC, 0.5), fill(dy, N * OC, 1.0);
    fill(dx, N * C, 1.0), fill(dw, OC * C, 1.0), fill(db, OC, 1.0); /* pre-filled */
    double *px = to_d(dx, N * C), *pw = to_d(dw, OC * C), *pb = to_d(db, OC);
    ws_linear_forward(y, x, w, b, N, C, OC);
    ws_linear_backward(dx, dw, db, dy, x, w, N, C, OC);
    lin_ctx l = {N, C, OC, to_d(x, N * C), to_d(w, OC * C), to_d(b, OC), to_d(dy, N * OC), dnew(N * OC)};
    lin_loss(&l);
    expect_close("linear out", y, l.out, N * OC, 1e-6);
    double *gx = dnew(N * C), *gw = dnew(OC * C), *gb = dnew(OC);
    fd_grad(gx, l.inp, N * C, lin_loss, &l);
    fd_grad(gw, l.w, OC * C, lin_loss, &l);
    fd_grad(gb, l.b, OC, lin_loss, &l);
    for (int i = 0; i < N * C; i++) gx[i] += px[i];
    for (int i = 0; i < OC * C; i++) gw[i] += pw[i];
    for (int i = 0; i < OC; i++) gb[i] += pb[i];
    expect_close("linear dinp (pre-filled + fd)", dx, gx, N * C, 1e-5);
    expect_close("linear dweight (pre-filled + fd)", dw, gw, OC * C, 1e-5);
    expect_close("linear dbias (pre-filled + fd)", db, gb, OC, 1e-5);
    /* NULL skips; no bias */
    float *dw2 = fnew(OC * C), *y2 = fnew(N * OC);
    memcpy(dw2, w, 0);
    ws_linear_backward(NULL, dw2, NULL, dy, x, w, N, C, OC);
    for (int i = 0; i < OC * C; i++) gw[i] -= pw[i];
    expect_close("linear dweight alone", dw2, gw, OC * C, 1e-5);
    ws_linear_forward(y2, x, w, NULL, N, C, OC);
    for (int i = 0; i < N * OC; i++) l.out[i] = (double)y[i] - b[i % OC];
    expect_close("linear without bias", y2, l.out, N * OC, 1e-6);
    free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(db), free(px), free(pw);
    free(pb), free(l.inp), free(l.w), free(l.b), free(l.dout), free(l.out), free(gx), free(gw);
    free(gb), free(dw2), free(y2);
}

typedef struct ce_ctx {
    int N, K;
    double *z;
    const int *labels;
} ce_ctx;
static double ce_loss(void *p)
{
    ce_ctx *c = p;
    double L = 0.0;
    for (int n = 0; n < c->N; n++) {
        const double *z = c->z + (size_t)n * c->K;
        double mx = z[0], s = 0.0;
        for (int k = 1; k < c->K; k++) mx = fmax(mx, z[k]);
        for (int k = 0; k < c->K; k++) s += exp(z[k] - mx);
        L += mx + log(s) - z[c->labels[n]];
    }
    return L / c->N;
}

Test(nn, crossentropy_finite_differences_and_ties)
{
    const int N = 7, K = 10;
    int labels[7] = {0, 3, 9, 2, 2, 5, 7};
    float *z = fnew(N * K), *p = fnew(N * K), *dz = fnew(N * K);
    fill(z, N * K, 3.0);
    fill(dz, N * K, 1.0);
    double *pre = to_d(dz, N * K);
    int correct = -1;
    float L = ws_crossentropy_forward(p, z, labels, N, K, &correct);
    ce_ctx c = {N, K, to_d(z, N * K), labels};
    double Lref = ce_loss(&c);
    cr_expect(fabs(L - Lref) <= 1e-6 * fmax(1.0, fabs(Lref)), "loss %g vs %g", L, Lref);
    int hits = 0;
    for (int n = 0; n < N; n++) {
        int a = 0;
        for (int k = 1; k < K; k++)
            if (z[n * K + k] > z[n * K + a]) a = k;
        hits += a == labels[n];
        double s = 0.0;
        for (int k = 0; k < K; k++) s += p[n * K + k];
        cr_expect(fabs(s - 1.0) < 1e-5, "probs row %d sums to %g", n, s);
    }
    cr_expect_eq(correct, hits);
    ws_crossentropy_backward(dz, p, labels, N, K, 0.7f);
    double *g = dnew(N * K);
    fd_grad(g, c.z, N * K, ce_loss, &c);
    for (int i = 0; i < N * K; i++) g[i] = pre[i] + 0.7 * g[i];
    expect_close("crossentropy dlogits (pre-filled + fd)", dz, g, N * K, 1e-5);
    /* ties: lowest index wins */
    float zt[2 * 3] = {1.0f, 1.0f, 0.0f, 0.0f, 2.0f, 2.0f};
    int lt[2] = {1, 1}, ct = -1;
    ws_crossentropy_forward(p, zt, lt, 2, 3, &ct);
    cr_expect_eq(ct, 1, "ties: got %d hits, want 1 (row 0 picks 0, row 1 picks 1)", ct);
    ws_crossentropy_backward(NULL, p, labels, 2, 3, 1.0f);
    free(z), free(p), free(dz), free(pre), free(c.z), free(g);
}

Test(nn, linear_crossentropy_match_pytorch)
{
    ws_nn_init(0);
    wsfx *fx = load_fx("nn_linear.wsfx");
    const wsfx_tensor *ti = get_t(fx, "l_inp"), *tw = get_t(fx, "l_weight");
    int N = ti->dims[0], C = ti->dims[1], OC = tw->dims[0];
    float *x = get_f(fx, "l_inp"), *w = get_f(fx, "l_weight"), *b = get_f(fx, "l_bias");
    float *dy = get_f(fx, "l_dout"), *y = fnew(N * OC), *dx = fnew(N * C), *dw = fnew(OC * C), *db = fnew(OC);
    ws_linear_forward(y, x, w, b, N, C, OC);
    ws_linear_backward(dx, dw, db, dy, x, w, N, C, OC);
    expect_close("pytorch linear out", y, get_t(fx, "l_out")->data, N * OC, 1e-6);
    expect_close("pytorch linear dinp", dx, get_t(fx, "l_dinp")->data, N * C, 1e-6);
    expect_close("pytorch linear dweight", dw, get_t(fx, "l_dweight")->data, OC * C, 1e-6);
    expect_close("pytorch linear dbias", db, get_t(fx, "l_dbias")->data, OC, 1e-6);
    const wsfx_tensor *tz = get_t(fx, "x_logits"), *tl = get_t(fx, "x_labels");
    int NB = tz->dims[0], K = tz->dims[1];
    float *z = get_f(fx, "x_logits"), *p = fnew(NB * K), *dz = fnew(NB * K);
    int *lab = calloc(NB, sizeof(int)), correct = -1;
    for (int i = 0; i < NB; i++) lab[i] = (int)tl->data[i];
    float L = ws_crossentropy_forward(p, z, lab, NB, K, &correct);
    double Lref = get_t(fx, "x_loss")->data[0];
    cr_expect(fabs(L - Lref) <= 1e-6 * fmax(1.0, fabs(Lref)), "pytorch ce loss %g vs %g", L, Lref);
    cr_expect_eq(correct, (int)get_t(fx, "x_correct")->data[0]);
    expect_close("pytorch ce probs", p, get_t(fx, "x_probs")->data, NB * K, 1e-6);
    ws_crossentropy_backward(dz, p, lab, NB, K, 0.7f);
    expect_close("pytorch ce dlogits", dz, get_t(fx, "x_dlogits")->data, NB * K, 1e-6);
    free(x), free(w), free(b), free(dy), free(y), free(dx), free(dw), free(db), free(z), free(p);
    free(dz), free(lab);
    wsfx_free(fx);
}

/* ---- thread count and kernel selection ------------------------------------------ */

/* Every kernel here splits work so each output is summed in a fixed order, so
 * 1 and 2 threads give the same bits (stronger than the per-thread-count
 * determinism the engine promises). */
Test(nn, kernels_same_bits_for_1_and_2_threads)
{
    const int C = 16, N = 4, H = 16, W = 16, M = N * H * W;
    size_t n = (size_t)C * M, nw = (size_t)C * C * 9;
    float *x = fnew(n), *w = fnew(nw), *dy = fnew(n), *g = fnew(C), *b = fnew(C);
    fill(x, n, 1.0), fill(w, nw, 0.3), fill(dy, n, 1.0), fill(g, C, 1.0), fill(b, C, 1.0);
    float *res[2][9];
    size_t sz[9] = {n, n, nw, n, n, (size_t)C * C, n, n, n};
    float *work = fnew(ws_conv2d_work_size(N, C, H, W, C, 3, 1, 1) +
                       ws_conv2d_work_size(N, C, H, W, 2 * C, 3, 2, 1));
    float *mean = fnew(C), *rstd = fnew(C), *dg = fnew(C), *db = fnew(C);
    for (int th = 0; th < 2; th++) {
        ws_nn_init(th + 1);
        for (int k = 0; k < 9; k++) res[th][k] = fnew(sz[k]);
        float **r = res[th];
        ws_conv2d_forward(r[0], x, w, N, C, H, W, C, 3, 1, 1, work);
        ws_conv2d_backward(r[1], r[2], dy, x, w, N, C, H, W, C, 3, 1, 1, work);
        ws_conv2d_forward(r[3], x, w, N, C, H, W, C, 1, 1, 0, work);
        ws_conv2d_backward(r[4], r[5], dy, x, w, N, C, H, W, C, 1, 1, 0, work);
        ws_conv2d_forward(r[6], x, w, N, C, H, W, C / 2, 3, 2, 1, work); /* 16 -> 8, 8x8 */
        ws_batchnorm_forward_train(r[7], r[7], mean, rstd, x, NULL, NULL, NULL, NULL, 0.1f, 1e-5f, C, M);
        ws_batchnorm_backward(r[8], dg, db, dy, r[7], rstd, NULL, C, M);
        ws_avgpool3_backward(r[8], dy, C, N, H, W);
    }
    const char *names[9] = {"conv3 out", "conv3 dinp", "conv3 dw", "conv1 out", "conv1 dinp",
                            "conv1 dw", "conv3 s2 out", "bn out", "bn+pool dinp"};
    for (int k = 0; k < 9; k++) {
        cr_expect(memcmp(res[0][k], res[1][k], sz[k] * sizeof(float)) == 0,
                  "%s differs between 1 and 2 threads", names[k]);
        free(res[0][k]), free(res[1][k]);
    }
    free(x), free(w), free(dy), free(g), free(b), free(work), free(mean), free(rstd), free(dg), free(db);
}

/* The same for the 3x3 kernels on PC-DARTS partial-channel shapes (4 and 8
 * channels, a vector count that is not a multiple of the block) and a
 * stride-2 shape with 4 output channels. */
Test(nn, conv_partial_channels_same_bits_for_1_and_2_threads)
{
    const conv_shape cases[] = {{3, 4, 16, 16, 4, 3, 1, 1}, {5, 8, 8, 8, 8, 3, 1, 1},
                                {3, 8, 16, 16, 4, 3, 2, 1}};
    for (size_t k = 0; k < WS_ARRAY_LEN(cases); k++) {
        conv_shape s = cases[k];
        int Ho = co_dim(s.H, &s), Wo = co_dim(s.W, &s);
        size_t ni = (size_t)s.Cin * s.N * s.H * s.W, nw = (size_t)s.Cout * s.Cin * 9;
        size_t no = (size_t)s.Cout * s.N * Ho * Wo;
        float *x = fnew(ni), *w = fnew(nw), *dy = fnew(no), *y[2], *dx[2], *dw[2];
        float *work = fnew(ws_conv2d_work_size(s.N, s.Cin, s.H, s.W, s.Cout, 3, s.stride, 1));
        fill(x, ni, 1.0), fill(w, nw, 0.3), fill(dy, no, 1.0);
        for (int th = 0; th < 2; th++) {
            ws_nn_init(th + 1);
            y[th] = fnew(no), dx[th] = fnew(ni), dw[th] = fnew(nw);
            ws_conv2d_forward(y[th], x, w, s.N, s.Cin, s.H, s.W, s.Cout, 3, s.stride, 1, work);
            ws_conv2d_backward(dx[th], dw[th], dy, x, w, s.N, s.Cin, s.H, s.W, s.Cout, 3, s.stride,
                               1, work);
        }
        cr_expect(memcmp(y[0], y[1], no * sizeof(float)) == 0, "case %zu out differs", k);
        cr_expect(memcmp(dx[0], dx[1], ni * sizeof(float)) == 0, "case %zu dinp differs", k);
        cr_expect(memcmp(dw[0], dw[1], nw * sizeof(float)) == 0, "case %zu dweight differs", k);
        free(x), free(w), free(dy), free(work);
        for (int th = 0; th < 2; th++) free(y[th]), free(dx[th]), free(dw[th]);
    }
}

Test(nn, gemm_route_names_the_kernel)
{
    ws_nn_init(0);
    const char *name = ws_nn_gemm_name();
    cr_expect(strncmp(name, "BLIS ", 5) == 0, "gemm name '%s'", name);
    const char *env = getenv("BLIS_ARCH_TYPE");
#if defined(__x86_64__)
    if (!env && __builtin_cpu_supports("avx512f"))
        cr_expect(strstr(name, "skx") != NULL, "AVX-512 CPU but GEMM route '%s'", name);
#endif
    (void)env;
}

/* ws_relu_backward (AVX2: a blend) against the scalar loop bit for bit:
 * dinp untouched where inp <= 0 or NaN (a -0.0 in dinp stays -0.0). */
Test(nn, relu_backward_same_bits_as_scalar)
{
    ws_nn_init(2);
    const size_t ns[] = {1, 7, 8, 9, 100, 1027};
    for (size_t k = 0; k < WS_ARRAY_LEN(ns); k++) {
        size_t n = ns[k];
        float *x = fnew(n), *dy = fnew(n), *d1 = fnew(n), *d2 = fnew(n);
        fill(x, n, 1.0), fill(dy, n, 1.0), fill(d1, n, 1.0);
        for (size_t i = 0; i < n; i += 3) d1[i] = -0.0f;
        for (size_t i = 1; i < n; i += 5) x[i] = i % 2 ? NAN : -0.0f;
        memcpy(d2, d1, n * sizeof *d1);
        ws_relu_backward(d1, dy, x, n);
        for (size_t i = 0; i < n; i++)
            if (x[i] > 0.0f) d2[i] += dy[i];
        cr_expect_arr_eq(d1, d2, n * sizeof *d1, "relu backward n=%zu", n);
        free(x), free(dy), free(d1), free(d2);
    }
}

Test(nn, sums_in_double)
{
    const size_t ns[] = {0, 1, 15, 16, 17, 1000, 65541};
    for (size_t k = 0; k < WS_ARRAY_LEN(ns); k++) {
        size_t n = ns[k];
        float *a = fnew(n), *b = fnew(n);
        fill(a, n, 1.0), fill(b, n, 2.0);
        for (size_t i = 0; i < n; i++) a[i] += 3.0f; /* a mean to cancel against */
        double r1 = 0, r2 = 0, r3 = 0, m = 0;
        for (size_t i = 0; i < n; i++) {
            r1 += a[i], r2 += (double)a[i] * b[i], r3 += (double)a[i] * a[i];
            m += fabs((double)a[i] * b[i]) + (double)a[i] * a[i] + fabs(a[i]);
        }
        double s1, s2, t1, t2;
        ws_nn_sums(a, b, n, &s1, &s2);
        ws_nn_sums(a, NULL, n, &t1, &t2);
        /* recursive-summation bound: (n-1) u sum|terms| for either order */
        double tol = 1.2e-16 * (double)(n + 16) * (m + 1.0);
        cr_expect(fabs(s1 - r1) <= tol && fabs(t1 - r1) <= tol, "n=%zu sum %.17g %.17g vs %.17g", n, s1, t1, r1);
        cr_expect(fabs(s2 - r2) <= tol, "n=%zu dot %.17g vs %.17g", n, s2, r2);
        cr_expect(fabs(t2 - r3) <= tol, "n=%zu squares %.17g vs %.17g", n, t2, r3);
        free(a), free(b);
    }
}
