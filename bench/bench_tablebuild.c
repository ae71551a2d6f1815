/* bench_tablebuild.c: table-build throughput (issue 13 item 5): architectures
 * trained per hour with a recipe, the work of `wsnas table build`
 * (ws_build_trainer_run: the recipe's data loaded once, then per
 * architecture and seed a standalone network trained from scratch, SGD with
 * a cosine lr per epoch, augmented batches, then valid and test accuracy).
 *   bench_tablebuild [--recipe TEXT] [--archs K (8)] [--threads T (1)] [--list FILE]
 * Default recipe: the committed Fashion-MNIST table's (bench/build-fmnist-table.sh).
 * K isomorphism classes spread evenly over the 6,466 in product-rank order;
 * prints seconds per architecture (all the recipe's seeds) and architectures
 * per hour for one process; --list writes the K architectures (six op
 * digits a line) for bench/torch_tablebuild.py, which trains the same ones
 * with the same recipe in PyTorch.  Needs the recipe's dataset (Debian's
 * dataset-fashion-mnist, or --data-dir). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wsnas/nn.h"
#include "wsnas/tablebuild.h"

#define FMNIST_RECIPE                                                                        \
    "dataset=fashion-mnist;train=2000;valid=1000;test=1000;subset_seed=1;size=16;C=8;N=1;"  \
    "epochs=4;batch=64;lr=0.1;lr_min=0;momentum=0.9;nesterov=1;wd=0.0005;augment=1;seeds=1"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* K classes: every (6466/K)-th in product-rank order (as bench_eval). */
static int spread_classes(const ws_space *sp, int K, int *out)
{
    static int key[WS_ISO_CLASSES];
    int n = 0;
    for (int i = 0; i < WS_ARCH_COUNT; i++)
        if (ws_space_iso_class(sp, i) == i) {
            ws_arch a = ws_space_arch(sp, i);
            key[n++] = ws_arch_product_rank(&a) * 16384 + i;
        }
    qsort(key, (size_t)n, sizeof *key, cmp_int);
    if (K > n) K = n;
    for (int k = 0; k < K; k++) out[k] = key[(int)((long)k * n / K)] % 16384;
    return K;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *text = FMNIST_RECIPE, *list = NULL, *data_dir = NULL;
    int K = 8, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--recipe") && i + 1 < argc)
            text = argv[++i];
        else if (!strcmp(argv[i], "--archs") && i + 1 < argc)
            K = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--list") && i + 1 < argc)
            list = argv[++i];
        else if (!strcmp(argv[i], "--data-dir") && i + 1 < argc)
            data_dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_tablebuild [--recipe TEXT] [--archs K] [--threads T] "
                            "[--list FILE] [--data-dir DIR]\n");
            return 2;
        }
    }
    if (K < 1 || K > WS_ISO_CLASSES || threads < 1 || threads > 64) {
        fprintf(stderr, "bench_tablebuild: --archs 1..6466, --threads 1..64\n");
        return 2;
    }
    ws_error err = {0};
    ws_build_recipe r;
    ws_build_recipe_default(&r);
    char canon[WS_BUILD_RECIPE_MAX];
    if (ws_build_recipe_parse(text, &r, &err) ||
        ws_build_recipe_format(&r, canon, sizeof canon, &err)) {
        fprintf(stderr, "bench_tablebuild: %s\n", err.msg);
        return 2;
    }
    ws_nn_init(threads);
    ws_space *sp = ws_space_alloc();
    static int archs[WS_ISO_CLASSES];
    if (!sp) return 1;
    int n = spread_classes(sp, K, archs);
    if (list) {
        FILE *f = fopen(list, "w");
        if (!f) {
            fprintf(stderr, "bench_tablebuild: %s: cannot write\n", list);
            return 1;
        }
        for (int i = 0; i < n; i++) {
            char d[WS_EDGES + 1];
            ws_arch a = ws_space_arch(sp, archs[i]);
            ws_arch_digits(&a, d);
            fprintf(f, "%s\n", d);
        }
        if (fclose(f) != 0) return 1;
    }
    ws_build_trainer *t = NULL;
    double t0 = now();
    if (ws_build_trainer_alloc(&r, data_dir, &t, &err)) {
        fprintf(stderr, "bench_tablebuild: %s\n", err.msg);
        return 1;
    }
    double t_load = now() - t0, va = 0.0, ta = 0.0, secs;
    t0 = now();
    for (int i = 0; i < n; i++) {
        ws_arch a = ws_space_arch(sp, archs[i]);
        for (int s = 0; s < r.n_seeds; s++)
            if (ws_build_trainer_run(t, &r, &a, s, &va, &ta, &secs, &err)) {
                fprintf(stderr, "bench_tablebuild: %s\n", err.msg);
                return 1;
            }
    }
    double dt = (now() - t0) / n;
    printf("table build: %d thread(s), recipe %s\n", ws_nn_threads(), canon);
    printf("tablebuild %d classes  %.3f s per architecture (%d seed(s))  %.0f architectures per "
           "hour  (data loaded once in %.2f s)\n",
           n, dt, r.n_seeds, 3600.0 / dt, t_load);
    ws_build_trainer_free(t);
    ws_space_free(sp);
    return 0;
}
