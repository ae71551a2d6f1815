/* test_data.c: the data module: loaders on real files (Fashion-MNIST from
 * Debian, the official CIFAR-10 binaries in /work/shared) and on tiny files
 * written here, error messages on bad input, a bounded fuzz of mutated
 * files, NB201 split files, random/stratified splits, the resize and
 * augmentation arithmetic against a direct re-implementation, and the batch
 * iterator (epochs, random and fixed batches, exact resume). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "fixture.h"
#include "wsnas/data.h"

/* ---- helpers ---------------------------------------------------------------- */

static void tmp_path(char *buf, size_t cap, const char *name)
{
    const char *t = wsfx_tmp_dir();
    cr_assert(t, "WSNAS_TMP unset");
    mkdir(t, 0755);
    snprintf(buf, cap, "%s/data_%s", t, name);
}

static void write_bytes(const char *path, const void *buf, size_t n, int gz)
{
    if (gz) {
        gzFile g = gzopen(path, "wb");
        cr_assert(g, "cannot write %s", path);
        if (n) cr_assert_eq(gzwrite(g, buf, (unsigned)n), (int)n);
        cr_assert_eq(gzclose(g), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        cr_assert(f, "cannot write %s", path);
        if (n) cr_assert_eq(fwrite(buf, 1, n, f), n);
        cr_assert_eq(fclose(f), 0);
    }
}

static uint8_t *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long m = ftell(f);
    rewind(f);
    uint8_t *b = malloc((size_t)m + 1);
    cr_assert_eq(fread(b, 1, (size_t)m, f), (size_t)m);
    fclose(f);
    *n = (size_t)m;
    return b;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* IDX images (n, r, c) with pixel (i, y, x) = (7i + 3y + x) & 255 and labels i % 10. */
static uint8_t *make_idx_images(int n, int r, int c, size_t *len)
{
    *len = 16 + (size_t)n * r * c;
    uint8_t *b = malloc(*len);
    put_be32(b, 0x803);
    put_be32(b + 4, (uint32_t)n);
    put_be32(b + 8, (uint32_t)r);
    put_be32(b + 12, (uint32_t)c);
    for (int i = 0; i < n; i++)
        for (int y = 0; y < r; y++)
            for (int x = 0; x < c; x++) b[16 + ((size_t)i * r + y) * c + x] = (uint8_t)(7 * i + 3 * y + x);
    return b;
}

static uint8_t *make_idx_labels(int n, size_t *len)
{
    *len = 8 + (size_t)n;
    uint8_t *b = malloc(*len);
    put_be32(b, 0x801);
    put_be32(b + 4, (uint32_t)n);
    for (int i = 0; i < n; i++) b[8 + i] = (uint8_t)(i % 10);
    return b;
}

/* CIFAR records: nlabel label bytes then 3072 pixels = (i*5 + k) & 255. */
static uint8_t *make_cifar(int n, int nlabel, int classes, size_t *len)
{
    size_t rec = (size_t)nlabel + 3072;
    *len = (size_t)n * rec;
    uint8_t *b = malloc(*len);
    for (int i = 0; i < n; i++) {
        uint8_t *r = b + (size_t)i * rec;
        if (nlabel == 2) r[0] = (uint8_t)(i % 20);
        r[nlabel - 1] = (uint8_t)((i * 3) % classes);
        for (int k = 0; k < 3072; k++) r[nlabel + k] = (uint8_t)(i * 5 + k);
    }
    return b;
}

/* A dataset whose pixels are a known function; labels i % classes. */
static ws_dataset *make_ds(int n, int c, int side, int classes)
{
    ws_dataset *d = NULL;
    ws_error err = {0};
    cr_assert_eq(ws_dataset_alloc(n, c, side, side, classes, "synthetic", &d, &err), 0, "%s",
                 err.msg);
    size_t img = (size_t)c * side * side;
    for (int i = 0; i < n; i++) {
        d->labels[i] = i % classes;
        for (size_t k = 0; k < img; k++) d->pixels[i * img + k] = (uint8_t)((i * 31 + k * 7) % 256);
    }
    return d;
}

static void check_valid_dataset(const ws_dataset *d)
{
    cr_assert(d->n >= 1 && d->channels >= 1 && d->channels <= 3 && d->height >= 1 &&
              d->width >= 1 && d->classes >= 1);
    for (int i = 0; i < d->n; i++)
        cr_assert(d->labels[i] >= 0 && d->labels[i] < d->classes, "label %d", d->labels[i]);
}

static ws_transform plain_tf(int S)
{
    ws_transform tf = {S, {0, 0, 0}, {1, 1, 1}, 0, 0};
    return tf;
}

/* ---- loaders on real data ---------------------------------------------------------- */

Test(data, fashion_mnist_from_debian)
{
    char p[512];
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte.gz", WS_FASHION_MNIST_DIR);
    FILE *f = fopen(p, "rb");
    if (!f) cr_skip_test("Fashion-MNIST (dataset-fashion-mnist) absent");
    fclose(f);
    ws_error err = {0};
    for (int train = 1; train >= 0; train--) {
        ws_dataset *d = NULL;
        cr_assert_eq(ws_dataset_load_fashion_mnist(NULL, train, &d, &err), 0, "%s", err.msg);
        int n = train ? 60000 : 10000;
        cr_expect_eq(d->n, n);
        cr_expect(d->channels == 1 && d->height == 28 && d->width == 28 && d->classes == 10);
        cr_expect_str_eq(d->name, "fashion-mnist");
        int cnt[10] = {0};
        for (int i = 0; i < d->n; i++) cnt[d->labels[i]]++;
        for (int k = 0; k < 10; k++) cr_expect_eq(cnt[k], n / 10, "class %d: %d", k, cnt[k]);
        if (train) {
            /* Pixel mean of the training set: 0.2860 on [0,1] (widely quoted). */
            ws_transform tf;
            cr_assert_eq(ws_transform_default(d->name, 32, 1, d, &tf, &err), 0, "%s", err.msg);
            cr_expect(fabsf(tf.mean[0] - 0.2860f) < 5e-4f, "mean %f", tf.mean[0]);
            cr_expect(fabsf(tf.std[0] - 0.3530f) < 5e-4f, "std %f", tf.std[0]);
            cr_expect_eq(tf.crop_pad, 4);
            cr_expect_eq(tf.flip, 1);
            ws_index_list a, b;
            cr_assert_eq(ws_split_fashion_mnist(d, &a, &b, &err), 0, "%s", err.msg);
            cr_expect_eq(a.n, 30000);
            cr_expect_eq(b.n, 30000);
            int ca[10] = {0}, i = 0, j = 0;
            for (int k = 0; k < a.n; k++) ca[d->labels[a.idx[k]]]++;
            for (int k = 0; k < 10; k++) cr_expect_eq(ca[k], 3000);
            while (i < a.n && j < b.n) { /* both sorted: disjoint and covering */
                cr_assert_neq(a.idx[i], b.idx[j]);
                if (a.idx[i] < b.idx[j]) i++;
                else j++;
            }
            ws_index_list_free(&a);
            ws_index_list_free(&b);
        }
        ws_dataset_free(d);
    }
}

Test(data, cifar10_official_binaries)
{
    const char *sh = wsfx_shared_dir();
    char dir[512], p[600];
    snprintf(dir, sizeof dir, "%s/cifar10", sh ? sh : "/nonexistent");
    snprintf(p, sizeof p, "%s/data_batch_1.bin", dir);
    FILE *f = fopen(p, "rb");
    if (!f) cr_skip_test("shared/cifar10 absent");
    fclose(f);
    ws_error err = {0};
    ws_dataset *tr = NULL, *te = NULL;
    cr_assert_eq(ws_dataset_load_cifar10(dir, 1, &tr, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_dataset_load_cifar10(dir, 0, &te, &err), 0, "%s", err.msg);
    cr_expect_eq(tr->n, 50000);
    cr_expect_eq(te->n, 10000);
    cr_expect(tr->channels == 3 && tr->height == 32 && tr->classes == 10);
    /* Label sequences and per-class counts from shared/cifar10/SOURCE.md. */
    static const int head_tr[10] = {6, 9, 9, 4, 1, 1, 2, 7, 8, 3};
    static const int head_te[15] = {3, 8, 8, 0, 6, 6, 1, 6, 3, 1, 0, 9, 5, 7, 9};
    for (int i = 0; i < 10; i++) cr_expect_eq(tr->labels[i], head_tr[i]);
    for (int i = 0; i < 15; i++) cr_expect_eq(te->labels[i], head_te[i]);
    int cnt[10] = {0};
    for (int i = 0; i < tr->n; i++) cnt[tr->labels[i]]++;
    for (int k = 0; k < 10; k++) cr_expect_eq(cnt[k], 5000);
    /* Per-channel pixel statistics (SOURCE.md): 125.307/122.950/113.865, 62.993/62.089/66.705. */
    ws_transform tf;
    cr_assert_eq(ws_transform_default("train-stats", 32, 0, tr, &tf, &err), 0, "%s", err.msg);
    static const double m[3] = {125.307, 122.950, 113.865}, s[3] = {62.993, 62.089, 66.705};
    for (int c = 0; c < 3; c++) {
        cr_expect(fabs(tf.mean[c] * 255.0 - m[c]) < 2e-3, "mean[%d] %f", c, tf.mean[c] * 255.0);
        cr_expect(fabs(tf.std[c] * 255.0 - s[c]) < 2e-3, "std[%d] %f", c, tf.std[c] * 255.0);
    }
    /* NB201 constants for the real name. */
    cr_assert_eq(ws_transform_default(tr->name, 0, 1, tr, &tf, &err), 0, "%s", err.msg);
    cr_expect(fabsf(tf.mean[0] - 125.3f / 255) < 1e-6f && fabsf(tf.std[2] - 66.7f / 255) < 1e-6f);
    cr_expect(tf.out_size == 32 && tf.crop_pad == 4 && tf.flip == 1);
    ws_dataset_free(tr);
    ws_dataset_free(te);
}

/* ---- loaders on tiny files ------------------------------------------------------------ */

Test(data, idx_raw_and_gzip_agree)
{
    size_t li, ll;
    uint8_t *im = make_idx_images(13, 5, 4, &li), *lb = make_idx_labels(13, &ll);
    char pi[512], pl[512], gi[512], gl[512];
    tmp_path(pi, sizeof pi, "idx_img");
    tmp_path(pl, sizeof pl, "idx_lab");
    tmp_path(gi, sizeof gi, "idx_img.gz");
    tmp_path(gl, sizeof gl, "idx_lab.gz");
    write_bytes(pi, im, li, 0);
    write_bytes(pl, lb, ll, 0);
    write_bytes(gi, im, li, 1);
    write_bytes(gl, lb, ll, 1);
    ws_error err = {0};
    ws_dataset *a = NULL, *b = NULL;
    cr_assert_eq(ws_dataset_load_idx(pi, pl, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_dataset_load_idx(gi, gl, &b, &err), 0, "%s", err.msg);
    cr_expect(a->n == 13 && a->height == 5 && a->width == 4 && a->channels == 1);
    cr_expect_eq(a->classes, 10);
    cr_expect_eq(memcmp(a->pixels, im + 16, li - 16), 0);
    cr_expect_eq(memcmp(a->pixels, b->pixels, li - 16), 0);
    for (int i = 0; i < 13; i++) cr_expect(a->labels[i] == i % 10 && b->labels[i] == i % 10);
    ws_dataset_free(a);
    ws_dataset_free(b);
    free(im);
    free(lb);
}

Test(data, cifar100_fine_labels_and_cifar10_dir)
{
    char dir[512], p[700];
    tmp_path(dir, sizeof dir, "c100");
    mkdir(dir, 0755);
    size_t n;
    uint8_t *b = make_cifar(7, 2, 100, &n);
    snprintf(p, sizeof p, "%s/train.bin", dir);
    write_bytes(p, b, n, 0);
    ws_error err = {0};
    ws_dataset *d = NULL;
    cr_assert_eq(ws_dataset_load_counted("cifar100", dir, 1, 7, &d, &err), 0, "%s", err.msg);
    cr_expect(d->n == 7 && d->classes == 100 && d->channels == 3);
    cr_expect_str_eq(d->name, "cifar100");
    for (int i = 0; i < 7; i++) {
        cr_expect_eq(d->labels[i], (i * 3) % 100, "fine label of %d", i);
        cr_expect_eq(memcmp(d->pixels + (size_t)i * 3072, b + (size_t)i * 3074 + 2, 3072), 0);
    }
    ws_dataset_free(d);
    /* A fine label of 100 is out of range: named with its byte offset (record 4, byte 1). */
    b[4 * 3074 + 1] = 100;
    write_bytes(p, b, n, 0);
    d = NULL;
    cr_expect_eq(ws_dataset_load_counted("cifar100", dir, 1, 7, &d, &err), WS_ERANGE);
    cr_expect_null(d);
    char want[64];
    snprintf(want, sizeof want, "byte %d: label 100", 4 * 3074 + 1);
    cr_expect(strstr(err.msg, want) && strstr(err.msg, "train.bin"), "%s", err.msg);
    free(b);
    /* CIFAR-10 directory of 5 tiny batches, then one missing. */
    tmp_path(dir, sizeof dir, "c10");
    mkdir(dir, 0755);
    b = make_cifar(3, 1, 10, &n);
    for (int k = 1; k <= 5; k++) {
        snprintf(p, sizeof p, "%s/data_batch_%d.bin", dir, k);
        write_bytes(p, b, n, 0);
    }
    cr_assert_eq(ws_dataset_load_counted("cifar10", dir, 1, 3, &d, &err), 0, "%s", err.msg);
    cr_expect_eq(d->n, 15);
    cr_expect_eq(d->labels[4], 3);
    ws_dataset_free(d);
    snprintf(p, sizeof p, "%s/data_batch_5.bin", dir);
    remove(p);
    d = NULL;
    cr_expect_eq(ws_dataset_load_counted("cifar10", dir, 1, 3, &d, &err), WS_EIO);
    cr_expect(strstr(err.msg, "data_batch_5.bin") != NULL, "%s", err.msg);
    cr_expect_null(d);
    free(b);
}

Test(data, wsimg_roundtrip_and_imagenet16_check)
{
    ws_dataset *d = make_ds(9, 3, 16, 120), *e = NULL;
    d->labels[3] = 119;
    char p[512];
    tmp_path(p, sizeof p, "in16.wsimg");
    ws_error err = {0};
    cr_assert_eq(ws_dataset_save_wsimg(d, NULL, p, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_dataset_load_imagenet16(p, &e, &err), 0, "%s", err.msg);
    cr_expect_str_eq(e->name, "imagenet16-120");
    cr_expect(e->n == 9 && e->classes == 120 && e->channels == 3 && e->height == 16);
    cr_expect_eq(memcmp(d->pixels, e->pixels, 9 * 768), 0);
    cr_expect_eq(memcmp(d->labels, e->labels, 9 * sizeof(int)), 0);
    ws_dataset_free(e);
    /* A subset through an index list. */
    int ids[2] = {8, 3};
    ws_index_list l = {2, ids};
    cr_assert_eq(ws_dataset_save_wsimg(d, &l, p, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_dataset_load_wsimg(p, &e, &err), 0, "%s", err.msg);
    cr_expect(e->n == 2 && e->labels[0] == 8 && e->labels[1] == 119);
    cr_expect_eq(memcmp(e->pixels + 768, d->pixels + 3 * 768, 768), 0);
    ws_dataset_free(e);
    ws_dataset_free(d);
    /* Not ImageNet16-shaped: the generic loader accepts, the ImageNet16 one refuses. */
    d = make_ds(4, 1, 8, 10);
    cr_assert_eq(ws_dataset_save_wsimg(d, NULL, p, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_dataset_load_wsimg(p, &e, &err), 0, "%s", err.msg);
    cr_expect_str_eq(e->name, "wsimg");
    ws_dataset_free(e);
    e = NULL;
    cr_expect_eq(ws_dataset_load_imagenet16(p, &e, &err), WS_EFORMAT);
    cr_expect_null(e);
    ws_dataset_free(d);
}

Test(data, bad_files_give_file_and_offset)
{
    size_t li, ll;
    uint8_t *im = make_idx_images(6, 4, 4, &li), *lb = make_idx_labels(6, &ll);
    char pi[512], pl[512];
    tmp_path(pi, sizeof pi, "bad_img");
    tmp_path(pl, sizeof pl, "bad_lab");
    ws_error err = {0};
    ws_dataset *d = NULL;
    /* wrong magic */
    im[3] = 0x02;
    write_bytes(pi, im, li, 0);
    write_bytes(pl, lb, ll, 0);
    cr_expect_eq(ws_dataset_load_idx(pi, pl, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, pi) && strstr(err.msg, "byte 0") && strstr(err.msg, "magic"),
              "%s", err.msg);
    im[3] = 0x03;
    /* truncated image file */
    write_bytes(pi, im, li - 5, 0);
    cr_expect_eq(ws_dataset_load_idx(pi, pl, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
    /* truncated gzip stream */
    char gz[512];
    tmp_path(gz, sizeof gz, "bad_img.gz");
    write_bytes(gz, im, li, 1);
    size_t gl;
    uint8_t *g = read_bytes(gz, &gl);
    write_bytes(gz, g, gl - 12, 0);
    cr_expect_eq(ws_dataset_load_idx(gz, pl, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "gzip") != NULL, "%s", err.msg);
    free(g);
    /* count mismatch between images and labels */
    write_bytes(pi, im, li, 0);
    put_be32(lb + 4, 5);
    write_bytes(pl, lb, ll - 1, 0);
    cr_expect_eq(ws_dataset_load_idx(pi, pl, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, pl) && strstr(err.msg, "byte 4"), "%s", err.msg);
    put_be32(lb + 4, 6);
    /* label out of range for Fashion-MNIST: named with its byte offset */
    char dir[512], p[700];
    tmp_path(dir, sizeof dir, "fm");
    mkdir(dir, 0755);
    lb[8 + 4] = 10;
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
    write_bytes(p, im, li, 0);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte.gz", dir);
    write_bytes(p, lb, ll, 1);
    cr_expect_eq(ws_dataset_load_counted("fashion-mnist", dir, 0, 6, &d, &err), WS_ERANGE);
    cr_expect(strstr(err.msg, "byte 12: label 10") != NULL, "%s", err.msg);
    lb[8 + 4] = 9;
    write_bytes(p, lb, ll, 1);
    cr_expect_eq(ws_dataset_load_counted("fashion-mnist", dir, 0, 6, &d, &err), 0, "%s", err.msg);
    cr_expect_eq(d->n, 6);
    ws_dataset_free(d);
    d = NULL;
    /* missing file */
    cr_expect_eq(ws_dataset_load_fashion_mnist(dir, 1, &d, &err), WS_EIO);
    cr_expect(strstr(err.msg, "train-images-idx3-ubyte") != NULL, "%s", err.msg);
    /* CIFAR size not a multiple of the record */
    tmp_path(dir, sizeof dir, "c10t");
    mkdir(dir, 0755);
    size_t n;
    uint8_t *c = make_cifar(2, 1, 10, &n);
    snprintf(p, sizeof p, "%s/test_batch.bin", dir);
    write_bytes(p, c, n - 100, 0);
    cr_expect_eq(ws_dataset_load_cifar10(dir, 0, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "test_batch.bin") && strstr(err.msg, "3073"), "%s", err.msg);
    cr_expect_null(d);
    free(c);
    free(im);
    free(lb);
}

/* The official loaders count records: a CIFAR-10 batch of 10,001 records, a
 * CIFAR-10 test batch of 9,999 and a Fashion-MNIST test set of 10,001 (1x1)
 * images are refused by file name; the counted form takes another count. */
Test(data, official_record_counts)
{
    char dir[512], p[700];
    tmp_path(dir, sizeof dir, "counts");
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/test.bin", dir);
    remove(p); /* from an earlier run */
    size_t n;
    uint8_t *b = make_cifar(10001, 1, 10, &n);
    for (int k = 1; k <= 5; k++) {
        snprintf(p, sizeof p, "%s/data_batch_%d.bin", dir, k);
        write_bytes(p, b, k == 3 ? n : n - 3073, 0); /* 10,000 records but batch 3 */
    }
    snprintf(p, sizeof p, "%s/test_batch.bin", dir);
    write_bytes(p, b, n - 2 * 3073, 0);
    ws_error err = {0};
    ws_dataset *d = NULL;
    cr_expect_eq(ws_dataset_load_cifar10(dir, 1, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "data_batch_3.bin: 10001 records, expected 10000 (the cifar10"),
              "%s", err.msg);
    cr_expect_null(d);
    cr_expect_eq(ws_dataset_load_cifar10(dir, 0, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "test_batch.bin: 9999 records, expected 10000"), "%s", err.msg);
    cr_assert_eq(ws_dataset_load_counted("cifar10", dir, 0, 9999, &d, &err), 0, "%s", err.msg);
    cr_expect_eq(d->n, 9999);
    ws_dataset_free(d);
    d = NULL;
    cr_expect_eq(ws_dataset_load_cifar100(dir, 0, &d, &err), WS_EIO); /* no test.bin */
    snprintf(p, sizeof p, "%s/test.bin", dir);
    free(b);
    b = make_cifar(10001, 2, 100, &n);
    write_bytes(p, b, n, 0);
    cr_expect_eq(ws_dataset_load_cifar100(dir, 0, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "test.bin: 10001 records, expected 10000 (the cifar100"), "%s",
              err.msg);
    free(b);
    size_t li, ll;
    uint8_t *im = make_idx_images(10001, 1, 1, &li), *lb = make_idx_labels(10001, &ll);
    snprintf(p, sizeof p, "%s/t10k-images-idx3-ubyte", dir);
    write_bytes(p, im, li, 0);
    snprintf(p, sizeof p, "%s/t10k-labels-idx1-ubyte", dir);
    write_bytes(p, lb, ll, 0);
    cr_expect_eq(ws_dataset_load_fashion_mnist(dir, 0, &d, &err), WS_EFORMAT);
    cr_expect(strstr(err.msg, "t10k-images-idx3-ubyte: 10001 records, expected 10000"), "%s",
              err.msg);
    cr_expect_eq(ws_dataset_load_mnist(dir, 0, &d, &err), WS_EFORMAT);
    cr_expect_null(d);
    cr_expect_eq(ws_dataset_load_counted("fashion-mnist", dir, 0, 10001, &d, &err), 0, "%s",
                 err.msg);
    ws_dataset_free(d);
    cr_expect_neq(ws_dataset_load_counted("svhn", dir, 0, 0, &d, &err), 0);
    free(im);
    free(lb);
}

/* Mutants of a valid file: truncations, byte flips, header rewrites.  Each load
 * must return an error with a message, or a valid dataset. */
static void mutate(ws_pcg32 *r, const uint8_t *src, size_t n, uint8_t *dst, size_t *m)
{
    memcpy(dst, src, n);
    *m = n;
    switch (ws_pcg32_bounded(r, 4)) {
    case 0: *m = ws_pcg32_bounded(r, (uint32_t)n); break; /* truncate */
    case 1: /* flip 1..4 random bytes */
        for (int k = 1 + (int)ws_pcg32_bounded(r, 4); k > 0; k--)
            dst[ws_pcg32_bounded(r, (uint32_t)n)] ^= (uint8_t)(1 + ws_pcg32_bounded(r, 255));
        break;
    case 2: /* a random byte in the first 32 (the headers) */
        dst[ws_pcg32_bounded(r, n < 32 ? (uint32_t)n : 32u)] = (uint8_t)ws_pcg32_next(r);
        break;
    default: /* extend with junk */
        for (int k = 0; k < 3; k++) dst[n + (size_t)k] = (uint8_t)ws_pcg32_next(r);
        *m = n + 1 + ws_pcg32_bounded(r, 3);
    }
}

static int fuzz_one(const char *path, const uint8_t *m, size_t mlen, int gz, int kind,
                    const char *other)
{
    write_bytes(path, m, mlen, gz);
    ws_error err = {0};
    ws_dataset *d = NULL;
    int rc;
    if (kind == 0) rc = ws_dataset_load_idx(path, other, &d, &err);
    else if (kind == 1) rc = ws_dataset_load_idx(other, path, &d, &err);
    else if (kind == 2) rc = ws_dataset_load_counted("cifar100", other, 0, 3, &d, &err);
    else if (kind == 3) rc = ws_dataset_load_counted("cifar10", other, 0, 3, &d, &err);
    else if (kind == 4) rc = ws_dataset_load_wsimg(path, &d, &err);
    else {
        ws_index_list l = {0, NULL};
        rc = ws_split_load_nb201(path, "train", &l, &err);
        if (rc == 0) {
            cr_assert(l.n >= 1 && l.idx);
            for (int i = 0; i < l.n; i++) cr_assert_geq(l.idx[i], 0);
        } else {
            cr_assert_null(l.idx);
            cr_assert(err.msg[0] != '\0', "error %d without a message", rc);
        }
        ws_index_list_free(&l);
        return rc != 0;
    }
    if (rc == 0) {
        cr_assert_not_null(d);
        check_valid_dataset(d);
        ws_dataset_free(d);
    } else {
        cr_assert_null(d);
        cr_assert(err.msg[0] != '\0', "error %d without a message", rc);
    }
    return rc != 0;
}

Test(data, fuzz_mutated_files_never_crash)
{
    size_t li, ll, lc, lw;
    uint8_t *im = make_idx_images(5, 4, 3, &li), *lb = make_idx_labels(5, &ll);
    size_t l10;
    uint8_t *cf = make_cifar(3, 2, 100, &lc), *c10 = make_cifar(3, 1, 10, &l10);
    static const char js[] = "{\"train\": [\"int\", [\"1\", \"3\", \"5\", \"8\"]], "
                             "\"valid\": [\"int\", [\"0\", \"2\"]]}";
    ws_dataset *ds = make_ds(4, 3, 5, 7);
    char pi[512], pl[512], pc_dir[512], pc[700], pc10[700], pw[512], pj[512];
    tmp_path(pi, sizeof pi, "fz_img");
    tmp_path(pl, sizeof pl, "fz_lab");
    tmp_path(pc_dir, sizeof pc_dir, "fz_c100");
    mkdir(pc_dir, 0755);
    snprintf(pc, sizeof pc, "%s/test.bin", pc_dir);
    snprintf(pc10, sizeof pc10, "%s/test_batch.bin", pc_dir);
    tmp_path(pw, sizeof pw, "fz.wsimg");
    tmp_path(pj, sizeof pj, "fz_split.json");
    ws_error err = {0};
    cr_assert_eq(ws_dataset_save_wsimg(ds, NULL, pw, &err), 0, "%s", err.msg);
    uint8_t *wb = read_bytes(pw, &lw);
    write_bytes(pi, im, li, 0);
    write_bytes(pl, lb, ll, 0);
    size_t cap = lc + 8;
    uint8_t *m = malloc(cap);
    ws_pcg32 r;
    ws_pcg32_seed(&r, 20260401u, 99u);
    int errors = 0, total = 0;
    for (int it = 0; it < 360; it++, total++) {
        size_t mlen;
        int kind = it % 6, gz = (it / 6) % 2;
        if (kind == 0) {
            mutate(&r, im, li, m, &mlen);
            errors += fuzz_one(pi, m, mlen, gz, 0, pl);
        } else if (kind == 1) {
            mutate(&r, lb, ll, m, &mlen);
            errors += fuzz_one(pl, m, mlen, gz, 1, pi);
        } else if (kind == 2) {
            mutate(&r, cf, lc, m, &mlen);
            errors += fuzz_one(pc, m, mlen, 0, 2, pc_dir);
        } else if (kind == 3) {
            mutate(&r, c10, l10, m, &mlen);
            errors += fuzz_one(pc10, m, mlen, 0, 3, pc_dir);
        } else if (kind == 4) {
            mutate(&r, wb, lw, m, &mlen);
            errors += fuzz_one(pw, m, mlen, 0, 4, NULL);
        } else {
            mutate(&r, (const uint8_t *)js, sizeof js - 1, m, &mlen);
            errors += fuzz_one(pj, m, mlen, 0, 5, NULL);
        }
        write_bytes(pi, im, li, 0); /* restore the partner files */
        write_bytes(pl, lb, ll, 0);
    }
    /* Most mutants must be rejected (label/pixel flips can stay valid). */
    cr_expect_gt(errors, total / 3, "%d of %d rejected", errors, total);
    cr_log_info("fuzz: %d of %d mutants rejected with an error, the rest loaded valid", errors,
                total);
    free(m);
    free(wb);
    free(im);
    free(lb);
    free(cf);
    free(c10);
    ws_dataset_free(ds);
}

/* ---- splits ------------------------------------------------------------------------ */

static int load_split(const char *file, const char *key, ws_index_list *l)
{
    const char *sh = wsfx_shared_dir();
    char p[512];
    snprintf(p, sizeof p, "%s/nb201/splits/%s", sh ? sh : "/nonexistent", file);
    FILE *f = fopen(p, "rb");
    if (!f) return -1;
    fclose(f);
    ws_error err = {0};
    cr_assert_eq(ws_split_load_nb201(p, key, l, &err), 0, "%s", err.msg);
    return 0;
}

static void check_halves(const char *file, const char *k1, const char *k2, int half, int total)
{
    ws_index_list a, b;
    if (load_split(file, k1, &a) != 0) cr_skip_test("shared/nb201/splits absent");
    cr_assert_eq(load_split(file, k2, &b), 0);
    cr_expect_eq(a.n, half, "%s %s: %d", file, k1, a.n);
    cr_expect_eq(b.n, half, "%s %s: %d", file, k2, b.n);
    uint8_t *seen = calloc((size_t)total, 1);
    for (int i = 0; i < a.n; i++) {
        cr_assert(a.idx[i] >= 0 && a.idx[i] < total, "%s: %d", file, a.idx[i]);
        cr_assert_eq(seen[a.idx[i]], 0);
        seen[a.idx[i]] = 1;
    }
    for (int i = 0; i < b.n; i++) {
        cr_assert(b.idx[i] >= 0 && b.idx[i] < total, "%s: %d", file, b.idx[i]);
        cr_assert_eq(seen[b.idx[i]], 0, "%s: index %d in both halves", file, b.idx[i]);
        seen[b.idx[i]] = 2;
    }
    int covered = 0;
    for (int i = 0; i < total; i++) covered += seen[i] != 0;
    cr_expect_eq(covered, total, "%s: the halves cover %d of %d", file, covered, total);
    free(seen);
    ws_index_list_free(&a);
    ws_index_list_free(&b);
}

Test(data, nb201_split_files)
{
    check_halves("cifar-split.txt", "train", "valid", 25000, 50000);
    check_halves("cifar100-test-split.txt", "xvalid", "xtest", 5000, 10000);
    check_halves("imagenet-16-120-test-split.txt", "xvalid", "xtest", 3000, 6000);
    /* The train/valid halves of ImageNet16-120's 151,700 training images. */
    check_halves("ImageNet16-120-split.txt", "train", "valid", 75850, 151700);
}

Test(data, split_file_errors)
{
    char p[512];
    tmp_path(p, sizeof p, "split.json");
    ws_error err = {0};
    ws_index_list l = {0, NULL};
    static const char *const bad[] = {
        "{\"train\": [\"int\", [\"1\", \"2\"]",           /* truncated JSON */
        "{\"train\": [\"int\", [\"1\", \"x2\"]]}",       /* not a number */
        "{\"train\": [\"int\", [\"1\", \"-2\"]]}",       /* negative */
        "{\"train\": [\"int\", [\"3\", \"4\", \"3\"]]}", /* repeated */
        "{\"train\": [\"int\", []]}",                    /* empty */
        "{\"valid\": [\"int\", [\"1\"]]}",               /* no such key */
        "[1, 2]",                                        /* not an object */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_bytes(p, bad[i], strlen(bad[i]), 0);
        int rc = ws_split_load_nb201(p, "train", &l, &err);
        cr_expect_neq(rc, 0, "case %zu accepted", i);
        cr_expect(strstr(err.msg, p) != NULL, "case %zu: %s", i, err.msg);
        cr_expect_null(l.idx);
    }
    const char *good = "{\"train\": [\"int\", [\"7\", \"0\", 3]]}";
    write_bytes(p, good, strlen(good), 0);
    cr_assert_eq(ws_split_load_nb201(p, "train", &l, &err), 0, "%s", err.msg);
    cr_expect(l.n == 3 && l.idx[0] == 7 && l.idx[1] == 0 && l.idx[2] == 3);
    ws_index_list_free(&l);
    /* An index past the dataset is caught when a batcher uses the list. */
    ws_dataset *d = make_ds(5, 1, 4, 2);
    ws_transform tf = plain_tf(4);
    cr_expect_null(ws_batcher_alloc(d, &(ws_index_list){1, (int[]){5}}, 2, &tf, 0, 1, &err));
    cr_expect(strstr(err.msg, "index 5") != NULL, "%s", err.msg);
    ws_dataset_free(d);
}

Test(data, random_split_deterministic_partition)
{
    ws_error err = {0};
    ws_index_list a, b, c, e;
    cr_assert_eq(ws_split_random(1000, 300, 5, &a, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(ws_split_random(1000, 300, 5, &c, NULL, &err), 0, "%s", err.msg);
    cr_expect(a.n == 300 && b.n == 700);
    cr_expect_eq(memcmp(a.idx, c.idx, 300 * sizeof(int)), 0, "same seed, same split");
    uint8_t seen[1000] = {0};
    for (int i = 0; i < a.n; i++) seen[a.idx[i]]++;
    for (int i = 0; i < b.n; i++) seen[b.idx[i]]++;
    for (int i = 0; i < 1000; i++) cr_assert_eq(seen[i], 1);
    for (int i = 1; i < a.n; i++) cr_assert_lt(a.idx[i - 1], a.idx[i]);
    cr_assert_eq(ws_split_random(1000, 300, 6, &e, NULL, &err), 0, "%s", err.msg);
    cr_expect_neq(memcmp(a.idx, e.idx, 300 * sizeof(int)), 0, "other seed, other split");
    ws_index_list_free(&c);
    cr_expect_neq(ws_split_random(10, 11, 1, &c, NULL, &err), 0);
    cr_expect_null(c.idx);
    ws_index_list_free(&a);
    ws_index_list_free(&b);
    ws_index_list_free(&e);
}

Test(data, stratified_subset_balanced)
{
    /* 10 classes, class k has 20 + 10k members, except class 3 with only 4. */
    enum { K = 10 };
    int n = 0, sizes[K];
    for (int k = 0; k < K; k++) n += sizes[k] = k == 3 ? 4 : 20 + 10 * k;
    ws_dataset *d = make_ds(n, 1, 2, K);
    for (int i = 0, k = 0, left = sizes[0]; i < n; i++) {
        while (left == 0) left = sizes[++k];
        d->labels[n - 1 - i] = k; /* classes in reverse order in the file */
        left--;
    }
    ws_error err = {0};
    ws_index_list s, rest, s2;
    cr_assert_eq(ws_split_stratified(d, NULL, 103, 9, &s, &rest, &err), 0, "%s", err.msg);
    cr_expect(s.n == 103 && rest.n == n - 103);
    int cnt[K] = {0};
    for (int i = 0; i < s.n; i++) cnt[d->labels[s.idx[i]]]++;
    /* Round robin: 4 rounds of 10 (class 3 then empty), 63 more over 9 classes: 11 each. */
    cr_expect_eq(cnt[3], 4);
    int tot = 0;
    for (int k = 0; k < K; k++) {
        if (k != 3) cr_expect_eq(cnt[k], 11, "class %d: %d", k, cnt[k]);
        tot += cnt[k];
    }
    cr_expect_eq(tot, 103);
    uint8_t *seen = calloc((size_t)n, 1);
    for (int i = 0; i < s.n; i++) seen[s.idx[i]]++;
    for (int i = 0; i < rest.n; i++) seen[rest.idx[i]]++;
    for (int i = 0; i < n; i++) cr_assert_eq(seen[i], 1);
    free(seen);
    cr_assert_eq(ws_subset_stratified(d, NULL, 103, 9, &s2, &err), 0);
    cr_expect_eq(memcmp(s.idx, s2.idx, 103 * sizeof(int)), 0);
    ws_index_list_free(&s2);
    /* From a list: only its members are used. */
    cr_assert_eq(ws_subset_stratified(d, &rest, 50, 9, &s2, &err), 0, "%s", err.msg);
    for (int i = 0; i < s2.n; i++) {
        int found = 0;
        for (int j = 0; j < rest.n && !found; j++) found = rest.idx[j] == s2.idx[i];
        cr_assert(found, "%d not in the source list", s2.idx[i]);
    }
    ws_index_list_free(&s2);
    ws_index_list_free(&s);
    ws_index_list_free(&rest);
    ws_dataset_free(d);
}

/* ---- transforms ---------------------------------------------------------------------- */

/* Pixel of the resized image (channel c, row y, col x), computed directly from
 * the documented rule: centred zero padding to max(in, S*k), k x k mean. */
static double ref_resized(const ws_dataset *d, int i, int c, int y, int x, int S)
{
    int in = d->height, k = in > S ? (in + S - 1) / S : 1;
    int padded = in > S ? S * k : S, off = (padded - in) / 2;
    double sum = 0;
    for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++) {
            int sy = y * k + ky - off, sx = x * k + kx - off;
            if (sy >= 0 && sy < in && sx >= 0 && sx < in)
                sum += d->pixels[(((size_t)i * d->channels + c) * in + sy) * in + sx];
        }
    return sum / (k * k);
}

Test(data, resize_pad_and_area)
{
    static const int cases[][2] = {{28, 32}, {28, 16}, {32, 16}, {16, 16}, {5, 8}, {7, 3}};
    ws_error err = {0};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int in = cases[t][0], S = cases[t][1];
        ws_dataset *d = make_ds(3, 2, in, 2);
        ws_transform tf = plain_tf(S);
        ws_batcher *b = ws_batcher_alloc(d, NULL, 3, &tf, 0, 1, &err);
        cr_assert_not_null(b, "%s", err.msg);
        cr_expect_eq(ws_batcher_side(b), S);
        float *x = malloc(3 * 2 * (size_t)S * S * sizeof *x);
        int y[3];
        cr_assert_eq(ws_batcher_fixed(b, 0, 3, x, y), 3);
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < 2; c++)
                for (int r = 0; r < S; r++)
                    for (int q = 0; q < S; q++) {
                        double want = ref_resized(d, i, c, r, q, S) / 255.0;
                        float got = x[(((size_t)i * 2 + c) * S + r) * S + q];
                        cr_assert(fabs(got - want) < 1e-6, "%d->%d img %d (%d,%d,%d): %f vs %f",
                                  in, S, i, c, r, q, got, want);
                    }
        /* 28 -> 32 puts image row 0 at row 2 and zeros on rows 0-1. */
        if (in == 28 && S == 32) {
            cr_expect_eq(x[0], 0.0f);
            cr_expect(fabsf(x[2 * 32 + 2] - d->pixels[0] / 255.0f) < 1e-7f);
        }
        free(x);
        ws_batcher_free(b);
        ws_dataset_free(d);
    }
}

/* The augmented image, built the literal way: flip the whole image, pad it
 * into a (S+2p)^2 zero array, cut at (dy, dx), normalise. */
static void ref_augment(const ws_dataset *d, int i, const ws_transform *tf, int flip, int dy,
                        int dx, float *out)
{
    int S = tf->out_size, p = tf->crop_pad, P = S + 2 * p, C = d->channels;
    double *pad = calloc((size_t)P * P, sizeof *pad);
    for (int c = 0; c < C; c++) {
        memset(pad, 0, (size_t)P * P * sizeof *pad);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                pad[(size_t)(y + p) * P + x + p] = ref_resized(d, i, c, y, flip ? S - 1 - x : x, S);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                out[((size_t)c * S + y) * S + x] =
                    (float)((pad[(size_t)(y + dy) * P + x + dx] / 255.0 - tf->mean[c]) / tf->std[c]);
    }
    free(pad);
}

Test(data, augmentation_matches_literal_crop_flip)
{
    ws_error err = {0};
    static const int cases[][3] = {{32, 32, 3}, {28, 32, 1}, {16, 16, 3}, {28, 16, 1}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int in = cases[t][0], S = cases[t][1], C = cases[t][2];
        ws_dataset *d = make_ds(20, C, in, 4);
        ws_transform tf;
        cr_assert_eq(ws_transform_default("synthetic", S, 1, d, &tf, &err), 0, "%s", err.msg);
        cr_expect_eq(tf.crop_pad, S / 8);
        enum { B = 8 };
        uint64_t seed = 4242 + t;
        ws_batcher *b = ws_batcher_alloc(d, NULL, B, &tf, 1, seed, &err);
        cr_assert_not_null(b, "%s", err.msg);
        size_t img = (size_t)C * S * S;
        float *x = malloc(B * img * sizeof *x), *want = malloc(img * sizeof *want);
        int y[B];
        /* Replay the documented draws: order stream for the permutation,
         * augment stream for (flip, dy, dx) per image. */
        ws_pcg32 ord, aug;
        ws_pcg32_stream(&ord, seed, WS_STREAM_DATA_ORDER);
        ws_pcg32_stream(&aug, seed, WS_STREAM_AUGMENT);
        uint32_t perm[20];
        for (int i = 0; i < 20; i++) perm[i] = (uint32_t)i;
        ws_pcg32_shuffle_u32(&ord, perm, 20);
        int flips = 0, shifted = 0;
        for (int batch = 0; batch < 2; batch++) {
            cr_assert_eq(ws_batcher_next(b, x, y), B);
            for (int i = 0; i < B; i++) {
                int j = (int)perm[batch * B + i];
                cr_expect_eq(y[i], d->labels[j]);
                int flip = (int)ws_pcg32_bounded(&aug, 2);
                int p = tf.crop_pad;
                int dy = (int)ws_pcg32_bounded(&aug, (uint32_t)(2 * p + 1));
                int dx = (int)ws_pcg32_bounded(&aug, (uint32_t)(2 * p + 1));
                flips += flip;
                shifted += dy != p || dx != p;
                ref_augment(d, j, &tf, flip, dy, dx, want);
                for (size_t k = 0; k < img; k++)
                    cr_assert(fabsf(x[i * img + k] - want[k]) < 1e-5f,
                              "%d->%d: image %d elem %zu: %f vs %f (flip %d dy %d dx %d)", in, S,
                              i, k, x[i * img + k], want[k], flip, dy, dx);
            }
        }
        cr_expect(flips > 0 && flips < 2 * B, "flips %d of %d", flips, 2 * B);
        cr_expect_gt(shifted, 0);
        free(x);
        free(want);
        ws_batcher_free(b);
        ws_dataset_free(d);
    }
}

Test(data, transform_defaults)
{
    ws_error err = {0};
    ws_transform tf;
    cr_assert_eq(ws_transform_default("cifar100", 0, 1, NULL, &tf, &err), 0, "%s", err.msg);
    cr_expect(tf.out_size == 32 && tf.crop_pad == 4 && tf.flip == 1);
    cr_expect(fabsf(tf.mean[1] - 124.1f / 255) < 1e-6f && fabsf(tf.std[0] - 68.2f / 255) < 1e-6f);
    cr_assert_eq(ws_transform_default("imagenet16-120", 0, 1, NULL, &tf, &err), 0, "%s", err.msg);
    cr_expect(tf.out_size == 16 && tf.crop_pad == 2);
    cr_expect(fabsf(tf.mean[2] - 104.01f / 255) < 1e-6f && fabsf(tf.std[1] - 61.26f / 255) < 1e-6f);
    cr_assert_eq(ws_transform_default("cifar10", 32, 0, NULL, &tf, &err), 0, "%s", err.msg);
    cr_expect(tf.crop_pad == 0 && tf.flip == 0);
    ws_dataset *d = make_ds(50, 1, 6, 3);
    cr_assert_eq(ws_transform_default("mnist", 8, 1, d, &tf, &err), 0, "%s", err.msg);
    cr_expect(tf.flip == 0 && tf.crop_pad == 1 && tf.out_size == 8);
    double s = 0, q = 0, cnt = 50 * 36;
    for (int i = 0; i < 50 * 36; i++) {
        s += d->pixels[i];
        q += (double)d->pixels[i] * d->pixels[i];
    }
    double m = s / cnt, sd = sqrt(q / cnt - m * m);
    cr_expect(fabs(tf.mean[0] - m / 255) < 1e-6 && fabs(tf.std[0] - sd / 255) < 1e-6,
              "mean %f std %f vs %f %f", tf.mean[0], tf.std[0], m / 255, sd / 255);
    cr_expect_neq(ws_transform_default("unknown", 8, 1, NULL, &tf, &err), 0);
    ws_dataset_free(d);
}

/* ---- the batcher ------------------------------------------------------------------ */

Test(data, epochs_are_permutations)
{
    enum { N = 203, BATCH = 64 };
    ws_dataset *d = make_ds(N + 10, 1, 4, 5);
    ws_index_list l;
    ws_error err = {0};
    cr_assert_eq(ws_index_list_all(N, &l, &err), 0);
    for (int i = 0; i < N; i++) l.idx[i] = i + 10; /* skip the first 10 images */
    ws_transform tf = plain_tf(4);
    ws_batcher *b = ws_batcher_alloc(d, &l, BATCH, &tf, 0, 77, &err);
    cr_assert_not_null(b, "%s", err.msg);
    cr_expect_eq(ws_batcher_batches_per_epoch(b), 4);
    float x[BATCH * 16];
    int y[BATCH], first[2][BATCH];
    for (int e = 0; e < 2; e++) {
        uint8_t seen[N + 10] = {0};
        for (int k = 0; k < 4; k++) {
            long ep;
            int bi;
            ws_batcher_position(b, &ep, &bi);
            cr_expect(ep == e && bi == k, "position %ld %d, want %d %d", ep, bi, e, k);
            int B = ws_batcher_next(b, x, y);
            cr_expect_eq(B, k < 3 ? BATCH : N - 3 * BATCH);
            for (int i = 0; i < B; i++) {
                /* Pixels 0 and 1 identify the image (make_ds: pixel 0 = 31 i mod 256,
                 * distinct for i < 256). */
                int id = -1;
                for (int j = 10; j < N + 10; j++)
                    if (fabsf(x[i * 16] - d->pixels[j * 16] / 255.0f) < 1e-7f &&
                        fabsf(x[i * 16 + 1] - d->pixels[j * 16 + 1] / 255.0f) < 1e-7f &&
                        d->labels[j] == y[i] && !seen[j]) {
                        id = j;
                        break;
                    }
                cr_assert_neq(id, -1, "epoch %d batch %d item %d: not a fresh image", e, k, i);
                seen[id] = 1;
                if (k == 0) first[e][i] = id;
            }
        }
        int c = 0;
        for (int j = 0; j < N + 10; j++) c += seen[j];
        cr_expect_eq(c, N);
    }
    cr_expect_neq(memcmp(first[0], first[1], sizeof first[0]), 0, "same order twice");
    ws_batcher_set_drop_last(b, 1);
    cr_expect_eq(ws_batcher_batches_per_epoch(b), 3);
    ws_batcher_free(b);
    ws_index_list_free(&l);
    ws_dataset_free(d);
    /* NB201's 25,000 / 64 = 391 iterations. */
    d = make_ds(25000, 1, 1, 2);
    tf = plain_tf(1);
    b = ws_batcher_alloc(d, NULL, 64, &tf, 0, 1, &err);
    cr_assert_not_null(b, "%s", err.msg);
    cr_expect_eq(ws_batcher_batches_per_epoch(b), 391);
    ws_batcher_free(b);
    ws_dataset_free(d);
}

Test(data, random_and_fixed_batches)
{
    enum { N = 40, BATCH = 16 };
    ws_dataset *d = make_ds(N, 1, 2, N); /* label = image number */
    ws_error err = {0};
    ws_transform tf = plain_tf(2);
    ws_batcher *b = ws_batcher_alloc(d, NULL, BATCH, &tf, 0, 5, &err), *b2;
    cr_assert_not_null(b, "%s", err.msg);
    float x[100 * 4];
    int y[100], cnt[N] = {0}, dup = 0;
    /* Random batches: the documented stream, uniform with replacement. */
    ws_pcg32 pair;
    ws_pcg32_stream(&pair, 5, WS_STREAM_VALID_PAIR);
    for (int r = 0; r < 250; r++) {
        cr_assert_eq(ws_batcher_random(b, x, y), BATCH);
        int in[N] = {0};
        for (int i = 0; i < BATCH; i++) {
            cr_assert_eq(y[i], (int)ws_pcg32_bounded(&pair, N));
            cnt[y[i]]++;
            dup += in[y[i]]++ > 0;
        }
    }
    double chi2 = 0, e = 250.0 * BATCH / N;
    for (int k = 0; k < N; k++) chi2 += (cnt[k] - e) * (cnt[k] - e) / e;
    cr_expect_lt(chi2, 72.1, "chi2 %f (39 dof, p = 0.001)", chi2); /* uniform */
    cr_expect_gt(dup, 0, "with replacement: repeats expected within a batch");
    /* random batches do not move the epoch iterator */
    long ep;
    int bi;
    ws_batcher_position(b, &ep, &bi);
    cr_expect(ep == 0 && bi == 0);
    /* Fixed batches: idx order, clipped at the end. */
    int ids[5] = {3, 1, 4, 1, 5};
    ws_index_list l = {5, ids};
    b2 = ws_batcher_alloc(d, &l, 2, &tf, 1, 5, &err);
    cr_assert_not_null(b2, "%s", err.msg);
    cr_expect_eq(ws_batcher_fixed(b2, 1, 100, x, y), 4);
    cr_expect(y[0] == 1 && y[1] == 4 && y[2] == 1 && y[3] == 5);
    cr_expect(fabsf(x[4] - d->pixels[4 * 4] / 255.0f) < 1e-7f, "unaugmented");
    cr_expect_eq(ws_batcher_fixed(b2, 5, 3, x, y), 0);
    ws_batcher_free(b2);
    ws_batcher_free(b);
    ws_dataset_free(d);
}

Test(data, resume_is_exact)
{
    enum { N = 150, BATCH = 32 };
    ws_dataset *d = make_ds(N, 3, 12, 10);
    ws_error err = {0};
    ws_transform tf;
    cr_assert_eq(ws_transform_default("synthetic", 16, 1, d, &tf, &err), 0, "%s", err.msg);
    ws_batcher *a = ws_batcher_alloc(d, NULL, BATCH, &tf, 1, 31, &err);
    cr_assert_not_null(a, "%s", err.msg);
    size_t img = 3 * 16 * 16;
    float *x = malloc(BATCH * img * sizeof *x), *x2 = malloc(BATCH * img * sizeof *x2);
    int y[BATCH], y2[BATCH];
    for (int k = 0; k < 4; k++) ws_batcher_next(a, x, y); /* into the last batch of epoch 0 */
    ws_batcher_random(a, x, y);
    size_t sz = ws_batcher_state_size(a);
    void *st = malloc(sz);
    cr_assert_eq(ws_batcher_state_save(a, st), 0);
    ws_batcher *b = ws_batcher_alloc(d, NULL, BATCH, &tf, 1, 999, &err);
    cr_assert_not_null(b, "%s", err.msg);
    cr_assert_eq(ws_batcher_state_load(b, st, sz, &err), 0, "%s", err.msg);
    for (int k = 0; k < 9; k++) { /* crosses two epoch boundaries */
        int B1, B2;
        if (k % 3 == 2) {
            B1 = ws_batcher_random(a, x, y);
            B2 = ws_batcher_random(b, x2, y2);
        } else {
            B1 = ws_batcher_next(a, x, y);
            B2 = ws_batcher_next(b, x2, y2);
        }
        cr_assert_eq(B1, B2);
        cr_assert_eq(memcmp(x, x2, (size_t)B1 * img * sizeof *x), 0, "step %d: pixels differ", k);
        cr_assert_eq(memcmp(y, y2, (size_t)B1 * sizeof *y), 0, "step %d: labels differ", k);
    }
    long e1, e2;
    int p1, p2;
    ws_batcher_position(a, &e1, &p1);
    ws_batcher_position(b, &e2, &p2);
    cr_expect(e1 == e2 && p1 == p2 && e1 >= 1);
    /* Corrupt or mismatched states are refused. */
    ((uint32_t *)((char *)st + sz - 4))[0] = N + 3;
    cr_expect_eq(ws_batcher_state_load(b, st, sz, &err), WS_EFORMAT);
    cr_expect_neq(ws_batcher_state_load(b, st, sz - 1, &err), 0);
    ws_batcher *c = ws_batcher_alloc(d, NULL, BATCH + 1, &tf, 1, 31, &err);
    cr_assert_eq(ws_batcher_state_save(a, st), 0);
    cr_expect_eq(ws_batcher_state_load(c, st, sz, &err), WS_EINVAL);
    ws_batcher_free(c);
    free(st);
    free(x);
    free(x2);
    ws_batcher_free(a);
    ws_batcher_free(b);
    ws_dataset_free(d);
}

Test(data, same_seed_same_batches_other_seed_other)
{
    ws_dataset *d = make_ds(100, 3, 8, 10);
    ws_error err = {0};
    ws_transform tf;
    cr_assert_eq(ws_transform_default("synthetic", 8, 1, d, &tf, &err), 0, "%s", err.msg);
    ws_batcher *a = ws_batcher_alloc(d, NULL, 10, &tf, 1, 3, &err);
    ws_batcher *b = ws_batcher_alloc(d, NULL, 10, &tf, 1, 3, &err);
    ws_batcher *c = ws_batcher_alloc(d, NULL, 10, &tf, 1, 4, &err);
    float x[3][10 * 192];
    int y[3][10];
    ws_batcher_next(a, x[0], y[0]);
    ws_batcher_next(b, x[1], y[1]);
    ws_batcher_next(c, x[2], y[2]);
    cr_expect_eq(memcmp(x[0], x[1], sizeof x[0]), 0);
    cr_expect_neq(memcmp(x[0], x[2], sizeof x[0]), 0);
    ws_batcher_free(a);
    ws_batcher_free(b);
    ws_batcher_free(c);
    ws_dataset_free(d);
}

/* ---- the ImageNet16 converter ---------------------------------------------------------- */

Test(data, imagenet16_converter_matches_autodl_filtering)
{
    const char *fx = getenv("WSNAS_FIXTURES");
    if (!fx) cr_skip_test("WSNAS_FIXTURES unset");
    if (!wsfx_python_has("pickle, struct"))
        cr_skip_test("python3 absent: ImageNet16 converter test skipped");
    char out[512], cmd[2048], got[700], want[700];
    tmp_path(out, sizeof out, "in16_out");
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/../../bench/tools/imagenet16_to_wsnas.py' '%s/data_in16' '%s' "
             "--no-md5 --partial >/dev/null",
             wsfx_python(), fx, fx, out);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    /* The expected files were written with numpy by tests/make_data_in16_fixture.py,
     * following AutoDL's ImageNet16 class (keep labels 1..120, target L - 1). */
    static const char *const split[2] = {"train", "test"};
    static const int count[2] = {21, 10};
    for (int s = 0; s < 2; s++) {
        snprintf(got, sizeof got, "%s/imagenet16-120-%s.wsimg", out, split[s]);
        snprintf(want, sizeof want, "%s/data_in16/expected-%s.wsimg", fx, split[s]);
        size_t ng, nw;
        uint8_t *g = read_bytes(got, &ng), *w = read_bytes(want, &nw);
        cr_expect_eq(ng, nw, "%s: %zu bytes vs %zu", split[s], ng, nw);
        cr_expect(ng == nw && memcmp(g, w, ng) == 0, "%s differs from the numpy reference", got);
        free(g);
        free(w);
        ws_dataset *d = NULL;
        ws_error err = {0};
        cr_assert_eq(ws_dataset_load_imagenet16(got, &d, &err), 0, "%s", err.msg);
        cr_expect_eq(d->n, count[s]);
        int lo = 1000, hi = -1;
        for (int i = 0; i < d->n; i++) {
            lo = d->labels[i] < lo ? d->labels[i] : lo;
            hi = d->labels[i] > hi ? d->labels[i] : hi;
        }
        cr_expect(lo >= 0 && hi <= 119, "labels %d..%d", lo, hi);
        if (s == 0) cr_expect(d->labels[0] == 0 && d->labels[1] == 119, "labels 1, 120 -> 0, 119");
        ws_dataset_free(d);
    }
    /* Without --no-md5 the fake files are refused. */
    snprintf(cmd, sizeof cmd,
             "'%s' '%s/../../bench/tools/imagenet16_to_wsnas.py' '%s/data_in16' '%s' "
             "--partial >/dev/null 2>&1",
             wsfx_python(), fx, fx, out);
    cr_expect_neq(system(cmd), 0);
}
