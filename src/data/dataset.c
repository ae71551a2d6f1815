/* dataset.c: the image-set loaders (IDX/MNIST, Fashion-MNIST, CIFAR-10/100
 * binaries, the wsnas image layout) and its writer.  Every loader checks
 * sizes before touching bytes and names the file and byte offset of the
 * first bad value; on error nothing is returned (*out = NULL). */
#include "wsnas/data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define IDX_MAX_SIDE 1024
#define WSIMG_HEADER 32
#define WSIMG_VERSION 1u
static const char wsimg_magic[8] = {'W', 'S', 'N', 'A', 'S', 'I', 'M', 'G'};

int ws_dataset_alloc(int n, int channels, int height, int width, int classes,
                     const char *name, ws_dataset **out, ws_error *err)
{
    *out = NULL;
    if (n < 1 || channels < 1 || channels > 3 || height < 1 || width < 1 ||
        height > IDX_MAX_SIDE || width > IDX_MAX_SIDE || classes < 1)
        return ws_error_set(err, WS_EINVAL,
                            "dataset shape n=%d c=%d h=%d w=%d classes=%d: expected n >= 1, "
                            "1..3 channels, sides 1..%d, classes >= 1",
                            n, channels, height, width, classes, IDX_MAX_SIDE);
    size_t px = (size_t)n * (size_t)channels * (size_t)height * (size_t)width;
    ws_dataset *d = calloc(1, sizeof *d);
    if (d) {
        d->pixels = calloc(px, 1);
        d->labels = calloc((size_t)n, sizeof *d->labels);
    }
    if (!d || !d->pixels || !d->labels) {
        ws_dataset_free(d);
        return ws_error_set(err, WS_ENOMEM, "dataset: cannot allocate %zu pixels", px);
    }
    d->n = n;
    d->channels = channels;
    d->height = height;
    d->width = width;
    d->classes = classes;
    snprintf(d->name, sizeof d->name, "%s", name ? name : "");
    *out = d;
    return 0;
}

void ws_dataset_free(ws_dataset *d)
{
    if (!d) return;
    free(d->pixels);
    free(d->labels);
    free(d);
}

/* ---- IDX ------------------------------------------------------------------ */

int ws_dataset_load_idx(const char *images_path, const char *labels_path,
                        ws_dataset **out, ws_error *err)
{
    *out = NULL;
    uint8_t *im = NULL, *lb = NULL;
    size_t nim = 0, nlb = 0;
    int rc = ws_data_read_file(images_path, 1, &im, &nim, err);
    if (rc) return rc;
    rc = ws_data_read_file(labels_path, 1, &lb, &nlb, err);
    if (rc) {
        free(im);
        return rc;
    }
    ws_dataset *d = NULL;
    if (nim < 16) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: %zu bytes, shorter than the 16-byte IDX header",
                          images_path, nim);
        goto done;
    }
    if (ws_data_be32(im) != 0x00000803u) {
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s: byte 0: IDX magic 0x%08x, expected 0x00000803 (ubyte, 3 dims)",
                          images_path, ws_data_be32(im));
        goto done;
    }
    if (nlb < 8) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: %zu bytes, shorter than the 8-byte IDX header",
                          labels_path, nlb);
        goto done;
    }
    if (ws_data_be32(lb) != 0x00000801u) {
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s: byte 0: IDX magic 0x%08x, expected 0x00000801 (ubyte, 1 dim)",
                          labels_path, ws_data_be32(lb));
        goto done;
    }
    uint32_t n = ws_data_be32(im + 4), rows = ws_data_be32(im + 8), cols = ws_data_be32(im + 12);
    uint32_t nl = ws_data_be32(lb + 4);
    if (n < 1 || n > (1u << 28)) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 4: image count %u, expected 1..%u",
                          images_path, n, 1u << 28);
        goto done;
    }
    if (rows < 1 || rows > IDX_MAX_SIDE || cols < 1 || cols > IDX_MAX_SIDE) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 8: image size %ux%u, expected sides 1..%d",
                          images_path, rows, cols, IDX_MAX_SIDE);
        goto done;
    }
    size_t want = 16 + (size_t)n * rows * cols;
    if (nim != want) {
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s: %zu bytes, expected %zu for %u images of %ux%u (%s)", images_path,
                          nim, want, n, rows, cols, nim < want ? "truncated" : "trailing bytes");
        goto done;
    }
    if (nl != n) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 4: %u labels, but %s has %u images",
                          labels_path, nl, images_path, n);
        goto done;
    }
    if (nlb != 8 + (size_t)n) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: %zu bytes, expected %zu for %u labels (%s)",
                          labels_path, nlb, 8 + (size_t)n, n,
                          nlb < 8 + (size_t)n ? "truncated" : "trailing bytes");
        goto done;
    }
    int maxl = 0;
    for (uint32_t i = 0; i < n; i++)
        if (lb[8 + i] > maxl) maxl = lb[8 + i];
    rc = ws_dataset_alloc((int)n, 1, (int)rows, (int)cols, maxl + 1, "idx", &d, err);
    if (rc) goto done;
    memcpy(d->pixels, im + 16, (size_t)n * rows * cols);
    for (uint32_t i = 0; i < n; i++) d->labels[i] = lb[8 + i];
done:
    free(im);
    free(lb);
    if (rc == 0) *out = d;
    return rc;
}

/* dir/base + ".gz" if present, else dir/base. */
static void idx_path(char *buf, size_t cap, const char *dir, const char *base)
{
    snprintf(buf, cap, "%s/%s.gz", dir, base);
    if (!ws_data_file_exists(buf)) snprintf(buf, cap, "%s/%s", dir, base);
}

/* The official counts: MNIST and Fashion-MNIST per set; CIFAR per file. */
#define MNIST_TRAIN 60000
#define MNIST_TEST 10000
#define CIFAR10_FILE 10000
#define CIFAR100_TRAIN 50000
#define CIFAR100_TEST 10000

/* `want` records (0 = any) in `path`, else the message. */
static int check_count(const char *path, size_t n, size_t want, const char *name, ws_error *err)
{
    if (!want || n == want) return 0;
    return ws_error_set(err, WS_EFORMAT, "%s: %zu records, expected %zu (the %s format)", path,
                        n, want, name);
}

static int load_mnist_like(const char *dir, int train, const char *name, size_t want,
                           ws_dataset **out, ws_error *err)
{
    *out = NULL;
    if (!dir) return ws_error_set(err, WS_EINVAL, "%s: no directory given", name);
    char ip[4096], lp[4096];
    const char *pre = train ? "train" : "t10k";
    char base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", pre);
    idx_path(ip, sizeof ip, dir, base);
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", pre);
    idx_path(lp, sizeof lp, dir, base);
    ws_dataset *d = NULL;
    int rc = ws_dataset_load_idx(ip, lp, &d, err);
    if (rc) return rc;
    if ((rc = check_count(ip, (size_t)d->n, want, name, err))) {
        ws_dataset_free(d);
        return rc;
    }
    if (d->classes > 10) {
        int i = 0;
        while (d->labels[i] < 10) i++;
        rc = ws_error_set(err, WS_ERANGE, "%s: byte %d: label %d, expected 0..9", lp, 8 + i,
                          d->labels[i]);
        ws_dataset_free(d);
        return rc;
    }
    d->classes = 10;
    snprintf(d->name, sizeof d->name, "%s", name);
    *out = d;
    return 0;
}

int ws_dataset_load_fashion_mnist(const char *dir, int train, ws_dataset **out, ws_error *err)
{
    return load_mnist_like(dir ? dir : WS_FASHION_MNIST_DIR, train, "fashion-mnist",
                           train ? MNIST_TRAIN : MNIST_TEST, out, err);
}

int ws_dataset_load_mnist(const char *dir, int train, ws_dataset **out, ws_error *err)
{
    return load_mnist_like(dir, train, "mnist", train ? MNIST_TRAIN : MNIST_TEST, out, err);
}

/* ---- CIFAR ---------------------------------------------------------------- */

/* Records of (nlabel label bytes, 3x32x32 pixels); label byte `which` is the
 * class, each label byte j must be < limits[j]. */
typedef struct cifar_fmt {
    int nlabel, which, limits[2], classes;
    const char *name;
} cifar_fmt;

static int load_cifar(const char *dir, const char *const *files, int nfiles,
                      const cifar_fmt *fmt, size_t want, ws_dataset **out, ws_error *err)
{
    *out = NULL;
    if (!dir) return ws_error_set(err, WS_EINVAL, "%s: no directory given", fmt->name);
    enum { PIX = 3 * 32 * 32 };
    size_t rec = (size_t)fmt->nlabel + PIX;
    uint8_t *buf[8] = {NULL};
    size_t len[8] = {0};
    char path[8][4096];
    size_t total = 0;
    int rc = 0;
    WS_ASSERT(nfiles <= 8);
    for (int f = 0; f < nfiles && !rc; f++) {
        snprintf(path[f], sizeof path[f], "%s/%s", dir, files[f]);
        if (!ws_data_file_exists(path[f])) {
            rc = ws_error_set(err, WS_EIO,
                              "%s: missing file %s (expected the %s binary version there; "
                              "--data-dir DIR or the data_dir key chooses the directory)",
                              dir, files[f], fmt->name);
            break;
        }
        rc = ws_data_read_file(path[f], 0, &buf[f], &len[f], err);
        if (rc) break;
        if (len[f] == 0 || len[f] % rec != 0) {
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s: %zu bytes, not a positive multiple of the %zu-byte record "
                              "(truncated at byte %zu?)",
                              path[f], len[f], rec, len[f] - len[f] % rec);
            break;
        }
        if ((rc = check_count(path[f], len[f] / rec, want, fmt->name, err))) break;
        for (size_t off = 0; off < len[f]; off += rec)
            for (int j = 0; j < fmt->nlabel; j++)
                if (buf[f][off + (size_t)j] >= fmt->limits[j]) {
                    rc = ws_error_set(err, WS_ERANGE, "%s: byte %zu: label %d, expected 0..%d",
                                      path[f], off + (size_t)j, buf[f][off + (size_t)j],
                                      fmt->limits[j] - 1);
                    goto check_done;
                }
    check_done:
        total += len[f] / rec;
    }
    ws_dataset *d = NULL;
    if (!rc && total > (1u << 28))
        rc = ws_error_set(err, WS_EFORMAT, "%s: %zu records, too many", dir, total);
    if (!rc) rc = ws_dataset_alloc((int)total, 3, 32, 32, fmt->classes, fmt->name, &d, err);
    if (!rc) {
        size_t k = 0;
        for (int f = 0; f < nfiles; f++)
            for (size_t off = 0; off < len[f]; off += rec, k++) {
                d->labels[k] = buf[f][off + (size_t)fmt->which];
                memcpy(d->pixels + k * PIX, buf[f] + off + (size_t)fmt->nlabel, PIX);
            }
        *out = d;
    }
    for (int f = 0; f < nfiles; f++) free(buf[f]);
    return rc;
}

static const char *const cifar10_train[] = {"data_batch_1.bin", "data_batch_2.bin",
                                            "data_batch_3.bin", "data_batch_4.bin",
                                            "data_batch_5.bin"};
static const char *const cifar10_test[] = {"test_batch.bin"};
static const char *const cifar100_train[] = {"train.bin"};
static const char *const cifar100_test[] = {"test.bin"};
static const cifar_fmt cifar10_fmt = {1, 0, {10, 0}, 10, "cifar10"};
static const cifar_fmt cifar100_fmt = {2, 1, {20, 100}, 100, "cifar100"};

int ws_dataset_load_cifar10(const char *dir, int train, ws_dataset **out, ws_error *err)
{
    return load_cifar(dir, train ? cifar10_train : cifar10_test, train ? 5 : 1, &cifar10_fmt,
                      CIFAR10_FILE, out, err);
}

int ws_dataset_load_cifar100(const char *dir, int train, ws_dataset **out, ws_error *err)
{
    return load_cifar(dir, train ? cifar100_train : cifar100_test, 1, &cifar100_fmt,
                      train ? CIFAR100_TRAIN : CIFAR100_TEST, out, err);
}

int ws_dataset_load_counted(const char *name, const char *dir, int train, int records,
                            ws_dataset **out, ws_error *err)
{
    *out = NULL;
    if (records < 0) return ws_error_set(err, WS_EINVAL, "%s: %d records per file", name, records);
    size_t want = (size_t)records;
    if (!strcmp(name, "cifar10"))
        return load_cifar(dir, train ? cifar10_train : cifar10_test, train ? 5 : 1, &cifar10_fmt,
                          want, out, err);
    if (!strcmp(name, "cifar100"))
        return load_cifar(dir, train ? cifar100_train : cifar100_test, 1, &cifar100_fmt, want,
                          out, err);
    if (!strcmp(name, "mnist")) return load_mnist_like(dir, train, name, want, out, err);
    if (!strcmp(name, "fashion-mnist"))
        return load_mnist_like(dir ? dir : WS_FASHION_MNIST_DIR, train, name, want, out, err);
    return ws_error_set(err, WS_EINVAL, "dataset '%s': expected mnist, fashion-mnist, cifar10 or "
                        "cifar100", name);
}

/* ---- wsnas image layout ------------------------------------------------------ */

int ws_dataset_load_wsimg(const char *path, ws_dataset **out, ws_error *err)
{
    *out = NULL;
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = ws_data_read_file(path, 0, &b, &len, err);
    if (rc) return rc;
    ws_dataset *d = NULL;
    if (len < WSIMG_HEADER) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: %zu bytes, shorter than the %d-byte header",
                          path, len, WSIMG_HEADER);
        goto done;
    }
    if (memcmp(b, wsimg_magic, 8) != 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 0: magic is not \"WSNASIMG\"", path);
        goto done;
    }
    uint32_t ver = ws_data_le32(b + 8), n = ws_data_le32(b + 12), k = ws_data_le32(b + 16);
    uint32_t c = ws_data_le32(b + 20), h = ws_data_le32(b + 24), w = ws_data_le32(b + 28);
    if (ver != WSIMG_VERSION) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 8: version %u, expected %u", path, ver,
                          WSIMG_VERSION);
        goto done;
    }
    if (n < 1 || n > (1u << 28)) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 12: count %u, expected 1..%u", path, n,
                          1u << 28);
        goto done;
    }
    if (k < 1 || k > 256) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 16: classes %u, expected 1..256", path, k);
        goto done;
    }
    if (c < 1 || c > 3) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 20: channels %u, expected 1..3", path, c);
        goto done;
    }
    if (h < 1 || h > IDX_MAX_SIDE || w < 1 || w > IDX_MAX_SIDE) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: byte 24: image size %ux%u, expected sides 1..%d",
                          path, h, w, IDX_MAX_SIDE);
        goto done;
    }
    size_t px = (size_t)c * h * w, rec = 1 + px, want = WSIMG_HEADER + (size_t)n * rec;
    if (len != want) {
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s: %zu bytes, expected %zu for %u records of %zu bytes (%s)", path,
                          len, want, n, rec, len < want ? "truncated" : "trailing bytes");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t off = WSIMG_HEADER + i * rec;
        if (b[off] >= k) {
            rc = ws_error_set(err, WS_ERANGE, "%s: byte %zu: label %d, expected 0..%u", path, off,
                              b[off], k - 1);
            goto done;
        }
    }
    int in16 = c == 3 && h == 16 && w == 16 && k == 120;
    rc = ws_dataset_alloc((int)n, (int)c, (int)h, (int)w, (int)k,
                          in16 ? "imagenet16-120" : "wsimg", &d, err);
    if (rc) goto done;
    for (size_t i = 0; i < n; i++) {
        size_t off = WSIMG_HEADER + i * rec;
        d->labels[i] = b[off];
        memcpy(d->pixels + i * px, b + off + 1, px);
    }
done:
    free(b);
    if (rc == 0) *out = d;
    return rc;
}

int ws_dataset_load_imagenet16(const char *path, ws_dataset **out, ws_error *err)
{
    ws_dataset *d = NULL;
    int rc = ws_dataset_load_wsimg(path, &d, err);
    if (rc) return rc;
    if (d->channels != 3 || d->height != 16 || d->width != 16 || d->classes != 120) {
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s: %dx%dx%d images with %d classes, expected ImageNet16-120's "
                          "3x16x16 with 120",
                          path, d->channels, d->height, d->width, d->classes);
        ws_dataset_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int ws_dataset_save_wsimg(const ws_dataset *d, const ws_index_list *idx, const char *path,
                          ws_error *err)
{
    if (d->classes > 256 || d->channels > 3)
        return ws_error_set(err, WS_EINVAL, "%s: %d classes / %d channels: the layout holds "
                            "at most 256 / 3", path, d->classes, d->channels);
    int n = idx ? idx->n : d->n;
    if (n < 1) return ws_error_set(err, WS_EINVAL, "%s: nothing to write", path);
    size_t px = (size_t)d->channels * d->height * d->width;
    uint8_t head[WSIMG_HEADER];
    memcpy(head, wsimg_magic, 8);
    ws_data_put_le32(head + 8, WSIMG_VERSION);
    ws_data_put_le32(head + 12, (uint32_t)n);
    ws_data_put_le32(head + 16, (uint32_t)d->classes);
    ws_data_put_le32(head + 20, (uint32_t)d->channels);
    ws_data_put_le32(head + 24, (uint32_t)d->height);
    ws_data_put_le32(head + 28, (uint32_t)d->width);
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return ws_error_set(err, WS_EINVAL, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot create", tmp);
    int ok = fwrite(head, 1, sizeof head, f) == sizeof head;
    for (int i = 0; i < n && ok; i++) {
        int j = idx ? idx->idx[i] : i;
        if (j < 0 || j >= d->n) {
            fclose(f);
            remove(tmp);
            return ws_error_set(err, WS_ERANGE, "%s: index %d at position %d outside 0..%d",
                                path, j, i, d->n - 1);
        }
        uint8_t lab = (uint8_t)d->labels[j];
        ok = fputc(lab, f) != EOF && fwrite(d->pixels + (size_t)j * px, 1, px, f) == px;
    }
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        remove(tmp);
        return ws_error_set(err, WS_EIO, "%s: write failed", path);
    }
    return ws_file_commit(tmp, path, err);
}
