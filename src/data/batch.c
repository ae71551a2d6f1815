/* batch.c: preprocessing (resize, flip, padded random crop, normalisation)
 * and the batch iterator: a new permutation per epoch, random batches with
 * replacement, fixed evaluation batches, and exact save/restore of its state.
 * All memory is allocated in ws_batcher_alloc. */
#include "wsnas/data.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- transforms ----------------------------------------------------------- */

typedef struct nb201_norm {
    const char *name;
    int side;
    float mean[3], std[3]; /* pixel units; divided by 255 on use */
} nb201_norm;

/* methods.md 1.6 ([AD] get_datasets). */
static const nb201_norm nb201_norms[] = {
    {"cifar10", 32, {125.3f, 123.0f, 113.9f}, {63.0f, 62.1f, 66.7f}},
    {"cifar100", 32, {129.3f, 124.1f, 112.4f}, {68.2f, 65.4f, 70.4f}},
    {"imagenet16-120", 16, {122.68f, 116.66f, 104.01f}, {63.22f, 61.26f, 65.09f}},
};

int ws_transform_default(const char *dataset_name, int out_size, int augment,
                         const ws_dataset *train_set, ws_transform *tf, ws_error *err)
{
    memset(tf, 0, sizeof *tf);
    const nb201_norm *nb = NULL;
    for (size_t i = 0; i < WS_ARRAY_LEN(nb201_norms); i++)
        if (dataset_name && strcasecmp(dataset_name, nb201_norms[i].name) == 0)
            nb = &nb201_norms[i];
    if (out_size <= 0) {
        if (train_set) out_size = train_set->height;
        else if (nb) out_size = nb->side;
        else
            return ws_error_set(err, WS_EINVAL, "transform for '%s': no size and no train set",
                                dataset_name ? dataset_name : "(null)");
    }
    if (out_size > 1024)
        return ws_error_set(err, WS_EINVAL, "transform: out_size %d, expected 1..1024", out_size);
    tf->out_size = out_size;
    if (nb) {
        for (int c = 0; c < 3; c++) {
            tf->mean[c] = nb->mean[c] / 255.0f;
            tf->std[c] = nb->std[c] / 255.0f;
        }
    } else {
        if (!train_set)
            return ws_error_set(err, WS_EINVAL, "transform for '%s': needs the training set to "
                                "compute mean/std", dataset_name ? dataset_name : "(null)");
        int C = train_set->channels;
        size_t plane = (size_t)train_set->height * train_set->width;
        uint64_t s[3] = {0, 0, 0}, q[3] = {0, 0, 0};
        for (int i = 0; i < train_set->n; i++)
            for (int c = 0; c < C; c++) {
                const uint8_t *p = train_set->pixels + ((size_t)i * C + c) * plane;
                uint64_t a = 0, b = 0;
                for (size_t k = 0; k < plane; k++) {
                    a += p[k];
                    b += (uint64_t)p[k] * p[k];
                }
                s[c] += a;
                q[c] += b;
            }
        double cnt = (double)train_set->n * (double)plane;
        for (int c = 0; c < 3; c++) {
            int cc = c < C ? c : C - 1;
            double m = (double)s[cc] / cnt, v = (double)q[cc] / cnt - m * m;
            tf->mean[c] = (float)(m / 255.0);
            tf->std[c] = (float)(sqrt(v > 0 ? v : 0) / 255.0);
            if (!(tf->std[c] > 0)) tf->std[c] = 1.0f; /* constant images */
        }
    }
    int digits = dataset_name && (strcasecmp(dataset_name, "mnist") == 0 ||
                                  strcasecmp(dataset_name, "idx") == 0);
    tf->crop_pad = augment ? out_size / 8 : 0;
    tf->flip = augment && !digits;
    return 0;
}

/* ---- the batcher ------------------------------------------------------------ */

struct ws_batcher {
    const ws_dataset *d;
    int n, batch, augment, drop_last;
    int *idx;                    /* (n) copy of the index list */
    ws_transform tf;
    int C, S, in, k, off;        /* resize: data side in -> S; factor k, pad offset off */
    float scale[3], shift[3];    /* x = v * scale + shift, v in 0..255 */
    ws_pcg32 order, aug, pair;   /* DATA_ORDER, AUGMENT, VALID_PAIR */
    ws_pcg32 origin[3];          /* the three as the seed gave them (resume checks) */
    uint32_t *perm;              /* (n) current epoch's order */
    long epoch;                  /* epochs completed */
    int pos, have_perm;          /* next position in perm */
    float *base;                 /* (C, S, S) resized image, pixel units */
    uint16_t *pad;               /* (S*k, S*k) zero-padded plane when downsampling */
};

ws_batcher *ws_batcher_alloc(const ws_dataset *d, const ws_index_list *idx, int batch,
                             const ws_transform *tf, int augment, uint64_t seed, ws_error *err)
{
    if (!d || !tf) {
        ws_error_set(err, WS_EINVAL, "batcher: no dataset or transform");
        return NULL;
    }
    int n = idx ? idx->n : d->n;
    if (n < 1 || batch < 1) {
        ws_error_set(err, WS_EINVAL, "batcher on %s: %d images, batch %d: expected >= 1 each",
                     d->name, n, batch);
        return NULL;
    }
    if (d->height != d->width || d->channels < 1 || d->channels > 3) {
        ws_error_set(err, WS_EINVAL, "batcher on %s: %dx%dx%d images: expected square, "
                     "1..3 channels", d->name, d->channels, d->height, d->width);
        return NULL;
    }
    if (tf->out_size < 1 || tf->out_size > 1024 || tf->crop_pad < 0 ||
        tf->crop_pad > tf->out_size) {
        ws_error_set(err, WS_EINVAL, "batcher on %s: out_size %d, crop_pad %d: expected "
                     "1..1024 and 0..out_size", d->name, tf->out_size, tf->crop_pad);
        return NULL;
    }
    for (int c = 0; c < d->channels; c++)
        if (!(tf->std[c] > 0) || !isfinite(tf->std[c]) || !isfinite(tf->mean[c])) {
            ws_error_set(err, WS_EINVAL, "batcher on %s: channel %d: mean %g std %g, expected "
                         "finite, std > 0", d->name, c, tf->mean[c], tf->std[c]);
            return NULL;
        }
    for (int i = 0; idx && i < n; i++)
        if (idx->idx[i] < 0 || idx->idx[i] >= d->n) {
            ws_error_set(err, WS_ERANGE, "batcher on %s: index %d at position %d outside "
                         "0..%d", d->name, idx->idx[i], i, d->n - 1);
            return NULL;
        }
    ws_batcher *b = calloc(1, sizeof *b);
    int S = tf->out_size, C = d->channels;
    if (b) {
        b->idx = malloc((size_t)n * sizeof *b->idx);
        b->perm = malloc((size_t)n * sizeof *b->perm);
        b->base = malloc((size_t)C * S * S * sizeof *b->base);
        int k = d->height > S ? (d->height + S - 1) / S : 1;
        b->pad = calloc((size_t)S * k * S * k, sizeof *b->pad);
    }
    if (!b || !b->idx || !b->perm || !b->base || !b->pad) {
        ws_batcher_free(b);
        ws_error_set(err, WS_ENOMEM, "batcher on %s: out of memory", d->name);
        return NULL;
    }
    b->d = d;
    b->n = n;
    b->batch = batch;
    b->augment = augment != 0;
    b->tf = *tf;
    b->C = C;
    b->S = S;
    b->in = d->height;
    if (b->in > S) {
        b->k = (b->in + S - 1) / S;
        b->off = (S * b->k - b->in) / 2;
    } else {
        b->k = 1;
        b->off = (S - b->in) / 2;
    }
    for (int c = 0; c < C; c++) {
        b->scale[c] = 1.0f / (255.0f * tf->std[c]);
        b->shift[c] = -tf->mean[c] / tf->std[c];
    }
    for (int i = 0; i < n; i++) {
        b->idx[i] = idx ? idx->idx[i] : i;
        b->perm[i] = (uint32_t)i;
    }
    ws_pcg32_stream(&b->order, seed, WS_STREAM_DATA_ORDER);
    ws_pcg32_stream(&b->aug, seed, WS_STREAM_AUGMENT);
    ws_pcg32_stream(&b->pair, seed, WS_STREAM_VALID_PAIR);
    b->origin[0] = b->order, b->origin[1] = b->aug, b->origin[2] = b->pair;
    return b;
}

void ws_batcher_free(ws_batcher *b)
{
    if (!b) return;
    free(b->idx);
    free(b->perm);
    free(b->base);
    free(b->pad);
    free(b);
}

void ws_batcher_set_drop_last(ws_batcher *b, int drop_last)
{
    b->drop_last = drop_last != 0;
}

int ws_batcher_size(const ws_batcher *b) { return b->batch; }
int ws_batcher_count(const ws_batcher *b) { return b->n; }
int ws_batcher_channels(const ws_batcher *b) { return b->C; }
int ws_batcher_side(const ws_batcher *b) { return b->S; }

/* Step 1: image j of the dataset resized into b->base (C, S, S), pixel units.
 * Not called when the data already has side S (make_image reads the bytes). */
static void resize_into_base(ws_batcher *b, const uint8_t *src)
{
    const int C = b->C, S = b->S, in = b->in, k = b->k, off = b->off;
    float *dst = b->base;
    if (in < S) {
        memset(dst, 0, (size_t)C * S * S * sizeof *dst);
        for (int c = 0; c < C; c++)
            for (int y = 0; y < in; y++) {
                const uint8_t *s = src + ((size_t)c * in + y) * in;
                float *o = dst + ((size_t)c * S + y + off) * S + off;
                for (int x = 0; x < in; x++) o[x] = s[x];
            }
        return;
    }
    /* in > S: zero-pad to P = S*k in b->pad, then k x k means. */
    const int P = S * k;
    uint16_t *pad = b->pad; /* border zeroed by calloc, interior rewritten each time */
    const float inv = 1.0f / (float)(k * k);
    for (int c = 0; c < C; c++) {
        for (int y = 0; y < in; y++) {
            const uint8_t *s = src + ((size_t)c * in + y) * in;
            uint16_t *o = pad + (size_t)(y + off) * P + off;
            for (int x = 0; x < in; x++) o[x] = s[x];
        }
        float *oc = dst + (size_t)c * S * S;
        for (int oy = 0; oy < S; oy++) {
            const uint16_t *r0 = pad + (size_t)oy * k * P;
            if (k == 2) {
                const uint16_t *r1 = r0 + P;
                for (int ox = 0; ox < S; ox++)
                    oc[oy * S + ox] =
                        (float)(r0[2 * ox] + r0[2 * ox + 1] + r1[2 * ox] + r1[2 * ox + 1]) * inv;
                continue;
            }
            for (int ox = 0; ox < S; ox++) {
                unsigned sum = 0;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) sum += r0[(size_t)ky * P + ox * k + kx];
                oc[oy * S + ox] = (float)sum * inv;
            }
        }
    }
}

/* One output row: o[x] = row[sx] * sc + sh for x in [x0, x1) with sx = x + dx - p
 * (mirrored when flip), sh (a zero pixel) elsewhere.  T is uint8_t or float. */
#define CROP_ROW(T)                                                                        \
    static void crop_row_##T(float *o, const T *row, int S, int x0, int x1, int shift,    \
                             int flip, float sc, float sh)                                 \
    {                                                                                      \
        for (int x = 0; x < x0; x++) o[x] = sh;                                            \
        if (flip)                                                                          \
            for (int x = x0; x < x1; x++) o[x] = (float)row[S - 1 - (x + shift)] * sc + sh; \
        else                                                                               \
            for (int x = x0; x < x1; x++) o[x] = (float)row[x + shift] * sc + sh;          \
        for (int x = x1; x < S; x++) o[x] = sh;                                            \
    }
CROP_ROW(uint8_t)
CROP_ROW(float)

/* Steps 1-3 for dataset image j: resize, flip, padded crop, normalise into
 * out (C, S, S). */
static void make_image(ws_batcher *b, int j, int augment, float *out)
{
    const int C = b->C, S = b->S, p = augment ? b->tf.crop_pad : 0;
    int flip = 0, dy = p, dx = p;
    if (augment && b->tf.flip) flip = (int)ws_pcg32_bounded(&b->aug, 2);
    if (p > 0) {
        dy = (int)ws_pcg32_bounded(&b->aug, (uint32_t)(2 * p + 1));
        dx = (int)ws_pcg32_bounded(&b->aug, (uint32_t)(2 * p + 1));
    }
    const uint8_t *src = b->d->pixels + (size_t)j * C * b->in * b->in;
    const int direct = b->in == S;
    if (!direct) resize_into_base(b, src);
    /* out(y, x) = flipped(y + dy - p, x + dx - p), zero pixels outside. */
    const int x0 = p - dx > 0 ? p - dx : 0, x1 = S + p - dx < S ? S + p - dx : S;
    for (int c = 0; c < C; c++) {
        const float sc = b->scale[c], sh = b->shift[c];
        for (int y = 0; y < S; y++) {
            float *o = out + ((size_t)c * S + y) * S;
            int sy = y + dy - p;
            if (sy < 0 || sy >= S) {
                for (int x = 0; x < S; x++) o[x] = sh;
                continue;
            }
            size_t r = ((size_t)c * S + sy) * S;
            if (direct) crop_row_uint8_t(o, src + r, S, x0, x1, dx - p, flip, sc, sh);
            else crop_row_float(o, b->base + r, S, x0, x1, dx - p, flip, sc, sh);
        }
    }
}

static int epoch_limit(const ws_batcher *b)
{
    return b->drop_last ? b->n / b->batch * b->batch : b->n;
}

int ws_batcher_batches_per_epoch(const ws_batcher *b)
{
    return b->drop_last ? b->n / b->batch : (b->n + b->batch - 1) / b->batch;
}

void ws_batcher_position(const ws_batcher *b, long *epoch, int *batch_in_epoch)
{
    int limit = epoch_limit(b);
    if (b->have_perm && b->pos >= limit) {
        *epoch = b->epoch + 1;
        *batch_in_epoch = 0;
    } else {
        *epoch = b->epoch;
        *batch_in_epoch = (b->pos + b->batch - 1) / b->batch;
    }
}

int ws_batcher_next(ws_batcher *b, float *x, int *y)
{
    int limit = epoch_limit(b);
    if (limit == 0) return 0;
    if (!b->have_perm || b->pos >= limit) {
        if (b->have_perm) b->epoch++;
        for (int i = 0; i < b->n; i++) b->perm[i] = (uint32_t)i;
        ws_pcg32_shuffle_u32(&b->order, b->perm, (uint32_t)b->n);
        b->pos = 0;
        b->have_perm = 1;
    }
    int B = limit - b->pos < b->batch ? limit - b->pos : b->batch;
    size_t img = (size_t)b->C * b->S * b->S;
    for (int i = 0; i < B; i++) {
        int j = b->idx[b->perm[b->pos + i]];
        make_image(b, j, b->augment, x + (size_t)i * img);
        y[i] = b->d->labels[j];
    }
    b->pos += B;
    return B;
}

int ws_batcher_random(ws_batcher *b, float *x, int *y)
{
    size_t img = (size_t)b->C * b->S * b->S;
    for (int i = 0; i < b->batch; i++) {
        int j = b->idx[ws_pcg32_bounded(&b->pair, (uint32_t)b->n)];
        make_image(b, j, b->augment, x + (size_t)i * img);
        y[i] = b->d->labels[j];
    }
    return b->batch;
}

int ws_batcher_fixed(ws_batcher *b, int first, int B, float *x, int *y)
{
    if (first < 0 || B < 1 || first >= b->n) return 0;
    if (B > b->n - first) B = b->n - first;
    size_t img = (size_t)b->C * b->S * b->S;
    for (int i = 0; i < B; i++) {
        int j = b->idx[first + i];
        make_image(b, j, 0, x + (size_t)i * img);
        y[i] = b->d->labels[j];
    }
    return B;
}

/* ---- resumable state (native byte order; a checkpoint, not an exchange format) */

#define STATE_MAGIC 0x54425357u /* "WSBT" */
#define STATE_VERSION 1u

typedef struct state_head {
    uint32_t magic, version, n, batch, have_perm, pos;
    int64_t epoch;
    uint64_t rng[6]; /* order, aug, pair: state, inc */
} state_head;

size_t ws_batcher_state_size(const ws_batcher *b)
{
    return sizeof(state_head) + (size_t)b->n * sizeof(uint32_t);
}

int ws_batcher_state_save(const ws_batcher *b, void *buf)
{
    state_head h = {STATE_MAGIC, STATE_VERSION, (uint32_t)b->n, (uint32_t)b->batch,
                    (uint32_t)b->have_perm, (uint32_t)b->pos, b->epoch,
                    {b->order.state, b->order.inc, b->aug.state, b->aug.inc, b->pair.state,
                     b->pair.inc}};
    memcpy(buf, &h, sizeof h);
    memcpy((char *)buf + sizeof h, b->perm, (size_t)b->n * sizeof(uint32_t));
    return 0;
}

int ws_batcher_state_load(ws_batcher *b, const void *buf, size_t size, ws_error *err)
{
    state_head h;
    if (size != ws_batcher_state_size(b))
        return ws_error_set(err, WS_EFORMAT, "batcher state: %zu bytes, expected %zu", size,
                            ws_batcher_state_size(b));
    memcpy(&h, buf, sizeof h);
    if (h.magic != STATE_MAGIC || h.version != STATE_VERSION)
        return ws_error_set(err, WS_EFORMAT, "batcher state: byte 0: bad magic or version");
    if (h.n != (uint32_t)b->n || h.batch != (uint32_t)b->batch)
        return ws_error_set(err, WS_EINVAL, "batcher state: saved for %u images in batches of "
                            "%u, this batcher has %d in batches of %d", h.n, h.batch, b->n,
                            b->batch);
    if (h.have_perm > 1 || h.pos > h.n || h.epoch < 0 || !(h.rng[1] & 1) || !(h.rng[3] & 1) ||
        !(h.rng[5] & 1))
        return ws_error_set(err, WS_EFORMAT, "batcher state: byte 16: inconsistent position "
                            "or generator");
    const uint32_t *perm = (const uint32_t *)((const char *)buf + sizeof h);
    uint8_t *seen = calloc((size_t)b->n, 1);
    if (!seen) return ws_error_set(err, WS_ENOMEM, "batcher state: out of memory");
    for (int i = 0; i < b->n; i++) {
        uint32_t v;
        memcpy(&v, perm + i, sizeof v);
        if (v >= (uint32_t)b->n || seen[v]) {
            free(seen);
            return ws_error_set(err, WS_EFORMAT, "batcher state: byte %zu: permutation entry "
                                "%u invalid", sizeof h + (size_t)i * 4, v);
        }
        seen[v] = 1;
    }
    free(seen);
    memcpy(b->perm, perm, (size_t)b->n * sizeof(uint32_t));
    b->have_perm = (int)h.have_perm;
    b->pos = (int)h.pos;
    b->epoch = (long)h.epoch;
    b->order = (ws_pcg32){h.rng[0], h.rng[1]};
    b->aug = (ws_pcg32){h.rng[2], h.rng[3]};
    b->pair = (ws_pcg32){h.rng[4], h.rng[5]};
    return 0;
}

int ws_batcher_state_check_seed(const ws_batcher *b, const void *buf, size_t size, ws_error *err)
{
    state_head h;
    if (size < sizeof h)
        return ws_error_set(err, WS_EFORMAT, "batcher state: %zu bytes, expected %zu", size,
                            ws_batcher_state_size(b));
    memcpy(&h, buf, sizeof h);
    static const char *const name[3] = {"data order", "augmentation", "pairing"};
    for (int k = 0; k < 3; k++) {
        ws_pcg32 g = {h.rng[2 * k], h.rng[2 * k + 1]};
        if (g.inc != b->origin[k].inc ||
            ws_pcg32_distance(&b->origin[k], &g) > WS_PCG32_PLAUSIBLE_DRAWS)
            return ws_error_set(err, WS_EINVAL,
                                "batcher state: byte %zu: the %s generator is not one of this "
                                "batcher's seed (saved by a run with another seed?)",
                                offsetof(state_head, rng) + 16 * (size_t)k, name[k]);
    }
    return 0;
}
