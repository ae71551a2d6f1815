/* data.h: how images get into the trainer.  Dataset loaders (IDX/MNIST,
 * Fashion-MNIST, CIFAR-10/100 binaries, ImageNet16-120 in the wsnas image
 * file layout below), index lists (NB201 split files, deterministic random and
 * class-stratified splits), preprocessing (resize, normalise, random crop and
 * flip) and a preallocated, resumable batch iterator.
 *
 * Labels are `int` (the engine's type, see nn.h / supernet.h), 0-based.
 * Every random draw comes from a ws_pcg32 stream derived from an explicit seed:
 *   epoch permutations      ws_pcg32_stream(seed, WS_STREAM_DATA_ORDER)
 *   crop offsets and flips  ws_pcg32_stream(seed, WS_STREAM_AUGMENT)
 *   random batches          ws_pcg32_stream(seed, WS_STREAM_VALID_PAIR)
 *   splits and subsets      ws_pcg32_stream(seed, WS_STREAM_SPLIT)
 * so a seed fixes every batch.  Two batchers built with the same seed draw
 * the same random numbers: give each batcher its own seed (for example
 * seed and seed + 1) when they must be independent.
 *
 * ---- wsnas image file layout (ImageNet16-120, or any small image set) ----
 * All integers little-endian.
 *   offset  size  field
 *   0       8     magic "WSNASIMG"
 *   8       4     version (uint32) = 1
 *   12      4     n        (uint32) number of records, >= 1
 *   16      4     classes  (uint32) 1..256
 *   20      4     channels (uint32) 1..3
 *   24      4     height   (uint32) 1..1024
 *   28      4     width    (uint32) 1..1024
 *   32      ...   n records of (1 + channels*height*width) bytes each:
 *                 label (uint8, 0-based, < classes), then the pixels
 *                 channel-planar, each plane row-major (as CIFAR's records).
 * The file size must be exactly 32 + n * (1 + C*H*W).
 * bench/tools/imagenet16_to_wsnas.py converts the official ImageNet16 pickles
 * (train_data_batch_1..10, val_data) to train/test files in this layout,
 * keeping labels 1..120 as 0..119 in file order (AutoDL's ImageNet16 class
 * with use_num_of_class_only=120).
 */
#ifndef WSNAS_DATA_H
#define WSNAS_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "wsnas/common.h"
#include "wsnas/rng.h"

/* ---- datasets ------------------------------------------------------------ */

typedef struct ws_dataset { /* owns its buffers */
    int n, channels, height, width, classes;
    uint8_t *pixels; /* (n, channels, height, width), 0..255 */
    int *labels;     /* (n), each in [0, classes) */
    char name[64];   /* "fashion-mnist", "mnist", "cifar10", "cifar100", "imagenet16-120", ... */
} ws_dataset;

/* Allocates a dataset with the given shape (pixels and labels zeroed);
 * 1..3 channels, sides 1..1024. */
int ws_dataset_alloc(int n, int channels, int height, int width, int classes,
                     const char *name, ws_dataset **out, ws_error *err);
void ws_dataset_free(ws_dataset *d);

/* IDX pair (MNIST layout: images magic 0x00000803 n rows cols, labels magic
 * 0x00000801 n), each gzipped or raw (detected by the gzip magic, not the
 * name).  channels = 1, classes = max label + 1, name "idx". */
int ws_dataset_load_idx(const char *images_path, const char *labels_path,
                        ws_dataset **out, ws_error *err);
/* dir/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] (the .gz name is tried
 * first).  dir NULL = /usr/share/datasets/fashion-mnist (Debian's
 * dataset-fashion-mnist).  classes = 10, name "fashion-mnist". */
#define WS_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
int ws_dataset_load_fashion_mnist(const char *dir, int train, ws_dataset **out,
                                  ws_error *err);
/* Same file names, name "mnist". dir must be given. */
int ws_dataset_load_mnist(const char *dir, int train, ws_dataset **out, ws_error *err);
/* CIFAR-10 binary version: dir/data_batch_1..5.bin (train = 50,000 in file
 * order) or dir/test_batch.bin; 3073-byte records (label, R, G, B planes). */
int ws_dataset_load_cifar10(const char *dir, int train, ws_dataset **out, ws_error *err);
/* CIFAR-100 binary version: dir/train.bin or dir/test.bin; 3074-byte records
 * (coarse label, fine label, R, G, B); the fine label (0..99) is used. */
int ws_dataset_load_cifar100(const char *dir, int train, ws_dataset **out, ws_error *err);
/* The four loaders above check the official record count of every file
 * (MNIST and Fashion-MNIST 60,000 train / 10,000 test images; CIFAR-10
 * 10,000 per batch file; CIFAR-100 50,000 / 10,000): a file with more or
 * fewer records is refused by name.  This form loads `name` (mnist,
 * fashion-mnist, cifar10, cifar100) expecting `records` per file instead
 * (0 = any count), for small files made by tests. */
int ws_dataset_load_counted(const char *name, const char *dir, int train, int records,
                            ws_dataset **out, ws_error *err);
/* A file in the wsnas image layout above; name = "imagenet16-120" when the
 * file is 3x16x16 with 120 classes, otherwise "wsimg". */
int ws_dataset_load_wsimg(const char *path, ws_dataset **out, ws_error *err);
/* ws_dataset_load_wsimg, then checks 3x16x16 and 120 classes. */
int ws_dataset_load_imagenet16(const char *path, ws_dataset **out, ws_error *err);
/* Writes d (all of it, or only `idx` when idx != NULL) in the wsnas image
 * layout, through path.tmp and rename. Requires classes <= 256. */
struct ws_index_list;
int ws_dataset_save_wsimg(const ws_dataset *d, const struct ws_index_list *idx,
                          const char *path, ws_error *err);

/* ---- index lists ----------------------------------------------------------- */

typedef struct ws_index_list {
    int n;
    int *idx; /* (n) indices into a dataset */
} ws_index_list;

void ws_index_list_free(ws_index_list *l); /* frees idx, sets n = 0; NULL-safe */
/* 0..n-1. */
int ws_index_list_all(int n, ws_index_list *out, ws_error *err);

/* One key of an NB201 split file (JSON: key -> ["int", ["12", "40", ...]]):
 * "train"/"valid" in cifar-split.txt (25,000 each, into the CIFAR-10 train
 * set), "xvalid"/"xtest" in cifar100-test-split.txt (5,000 each) and
 * imagenet-16-120-test-split.txt (3,000 each), into the test sets.  Order as
 * in the file.  Indices must be non-negative and unique. */
int ws_split_load_nb201(const char *split_file, const char *key, ws_index_list *out,
                        ws_error *err);
/* Permutes 0..n-1 with ws_pcg32_shuffle_u32 on ws_pcg32_stream(seed,
 * WS_STREAM_SPLIT); first = the first n_first entries, second = the rest,
 * each sorted ascending. second may be NULL. */
int ws_split_random(int n, int n_first, uint64_t seed, ws_index_list *first,
                    ws_index_list *second, ws_error *err);
/* Class-balanced subset of `from` (NULL = all of d) of exactly `size` items:
 * quotas are dealt round-robin over classes 0..K-1 (skipping classes with no
 * items left) until `size` are dealt, so every class gets floor or ceil of
 * size/K when it has enough items; each class's members (in `from` order) are
 * shuffled with ws_pcg32_stream(seed, WS_STREAM_SPLIT), one shuffle per class
 * in class order, and the first quota are taken.  Output sorted ascending;
 * `rest` (may be NULL) gets the complement within `from`, sorted. */
int ws_split_stratified(const ws_dataset *d, const ws_index_list *from, int size,
                        uint64_t seed, ws_index_list *out, ws_index_list *rest,
                        ws_error *err);
#define ws_subset_stratified(d, from, size, seed, out, err) \
    ws_split_stratified((d), (from), (size), (seed), (out), NULL, (err))
/* Fashion-MNIST train/valid: the 60,000 training images split by
 * ws_split_stratified(d, NULL, 30000, WS_FASHION_SPLIT_SEED) into two
 * class-balanced halves of 30,000 (3,000 per class each). The 10,000-image
 * t10k set is the test set. */
#define WS_FASHION_SPLIT_SEED 201u
int ws_split_fashion_mnist(const ws_dataset *train_set, ws_index_list *train,
                           ws_index_list *valid, ws_error *err);

/* ---- one data path: dataset, train/valid/test index lists -------------------
 * Every consumer (wsnas search, eval, table build, proxy) loads and splits
 * its data through ws_data_load, so that they cannot drift apart:
 *   train set   fashion-mnist: Debian's (or dir); mnist, cifar10: dir;
 *   halves      fashion-mnist: ws_split_fashion_mnist; cifar10 with a split
 *               file: its "train" / "valid" keys (NB201's cifar-split.txt),
 *               in file order; otherwise (cifar10, mnist) halves of the
 *               training set with seed WS_FASHION_SPLIT_SEED (201): by
 *               ws_split_random (WS_HALVES_RANDOM, the search's) or by
 *               ws_split_stratified (WS_HALVES_STRATIFIED, table builds');
 *   subsets     train_size / valid_size > 0 and smaller than the half: a
 *               class-balanced subset (ws_split_stratified, subset_seed) of
 *               it; otherwise the whole half, in order;
 *   test        test_size > 0: the test set and a class-balanced subset of
 *               test_size images (subset_seed; all of them when test_size
 *               is the set's size); test_size = 0: no test set. */
enum ws_halves { WS_HALVES_RANDOM = 0, WS_HALVES_STRATIFIED };

typedef struct ws_data_spec {
    const char *dataset;        /* fashion-mnist | mnist | cifar10 */
    const char *dir;            /* NULL or "": fashion-mnist only (Debian's) */
    const char *split_file;     /* cifar10 only; NULL or "": halves */
    int halves;                 /* enum ws_halves */
    int train_size, valid_size; /* 0 = the whole half */
    int test_size;              /* 0 = no test set */
    uint64_t subset_seed;
} ws_data_spec;

typedef struct ws_data {
    ws_dataset *train_set;      /* train and valid index into it */
    ws_dataset *test_set;       /* NULL when test_size = 0 */
    ws_index_list train, valid, test;
} ws_data;

/* Loads as described above; on error *out is empty (nothing to free). */
int ws_data_load(const ws_data_spec *spec, ws_data *out, ws_error *err);
void ws_data_free(ws_data *d); /* NULL-safe; leaves *d empty */

/* ---- preprocessing ---------------------------------------------------------- */

/* Per image, in this order:
 * 1. resize to out_size x out_size (data must be square, side `in`):
 *    in == out: unchanged;
 *    in <  out: zero-pad centred, (out-in)/2 on the top/left, rest bottom/right
 *               (Fashion-MNIST 28 -> 32: 2 on each side);
 *    in >  out: k = ceil(in/out); zero-pad centred to out*k as above, then
 *               k x k average (Fashion-MNIST 28 -> 16: pad to 32, 2x2 mean;
 *               CIFAR 32 -> 16: plain 2x2 mean).  Zero = pixel value 0.
 * 2. if augmenting: horizontal flip with probability 1/2 (if flip), then
 *    random crop: pad crop_pad zeros (pixel value 0, i.e. before
 *    normalisation, as torchvision) on every side and cut out_size x out_size
 *    at offsets (dy, dx) uniform in [0, 2*crop_pad]^2.  Draw order per image:
 *    flip = bounded(2) (if flip), dy = bounded(2p+1), dx = bounded(2p+1)
 *    (if crop_pad > 0).
 * 3. normalise: x = (v/255 - mean[c]) / std[c].
 */
typedef struct ws_transform {
    int out_size;          /* network input side */
    float mean[3], std[3]; /* per channel (1..3), on the [0,1] scale */
    int crop_pad;          /* random crop padding (0 = off) */
    int flip;              /* random horizontal flip */
} ws_transform;

/* Defaults for a dataset name (ws_dataset.name):
 *  cifar10, cifar100, imagenet16-120: NB201 constants (methods.md 1.6);
 *  anything else: mean/std of all pixels of train_set (the raw images, before
 *  resizing), per channel, population std.
 *  crop_pad = out_size / 8 (4 at 32, 2 at 16), flip on, except for "mnist"
 *  and "idx" (digits are not mirror-symmetric: flip off).  Fashion-MNIST keeps
 *  flip on: a mirrored garment is the same class.
 *  augment = 0 sets crop_pad = 0 and flip = 0.
 *  out_size <= 0 means the data's own side. train_set may be NULL for the
 *  three NB201 datasets. */
int ws_transform_default(const char *dataset_name, int out_size, int augment,
                         const ws_dataset *train_set, ws_transform *tf, ws_error *err);

/* ---- batches ---------------------------------------------------------------- */

/* Everything is allocated in ws_batcher_alloc; the next/random/fixed calls
 * never allocate.  The batcher keeps a pointer to d (d must outlive it) and a
 * copy of idx (NULL = all of d).  x is (B, channels, S, S) float with
 * S = tf->out_size, y is (B) int labels. */
typedef struct ws_batcher ws_batcher;

ws_batcher *ws_batcher_alloc(const ws_dataset *d, const ws_index_list *idx, int batch,
                             const ws_transform *tf, int augment, uint64_t seed,
                             ws_error *err);
void ws_batcher_free(ws_batcher *b);
/* 1 = skip the partial last batch of each epoch (default 0: keep it, as NB201:
 * 25,000 / 64 -> 391 batches, the last of 40). */
void ws_batcher_set_drop_last(ws_batcher *b, int drop_last);
/* The next batch of the current epoch's permutation (epoch 0 starts at the
 * first call); after the epoch's last batch the next call draws a new
 * permutation.  Returns B, the images written (the last batch may be short;
 * 0 only when drop_last leaves no full batch). */
int ws_batcher_next(ws_batcher *b, float *x, int *y);
int ws_batcher_batches_per_epoch(const ws_batcher *b);
/* Epochs completed and batches taken in the current epoch. */
void ws_batcher_position(const ws_batcher *b, long *epoch, int *batch_in_epoch);
/* `batch` images drawn uniformly with replacement from idx (NB201's
 * SearchDataset valid pairing; also the GAEA ERM arch batch, which draws a
 * fresh shuffled batch: without replacement in a batch, a 4% chance of one
 * repeat at 64 of 50,000).  Augmented if the batcher augments.  Returns batch. */
int ws_batcher_random(ws_batcher *b, float *x, int *y);
/* Images idx[first .. first+B) (clipped to the list's end), never augmented,
 * for evaluation; any B >= 1.  Returns the number written (0 if first >= n). */
int ws_batcher_fixed(ws_batcher *b, int first, int B, float *x, int *y);
int ws_batcher_size(const ws_batcher *b);      /* the batch size */
int ws_batcher_count(const ws_batcher *b);     /* images in idx */
int ws_batcher_channels(const ws_batcher *b);  /* C of x */
int ws_batcher_side(const ws_batcher *b);      /* S of x */

/* Exact resume: the rng states, the permutation and the position.  The
 * state only loads into a batcher built on the same index count and batch
 * size (checked). */
size_t ws_batcher_state_size(const ws_batcher *b);
int ws_batcher_state_save(const ws_batcher *b, void *buf);
int ws_batcher_state_load(ws_batcher *b, const void *buf, size_t size, ws_error *err);
/* 0 if the state's generators are those of b's seed a plausible number of
 * draws on (ws_pcg32_distance): a resumed run's check that the state is its
 * own (ws_batcher_state_load itself takes any seed's state). */
int ws_batcher_state_check_seed(const ws_batcher *b, const void *buf, size_t size,
                                ws_error *err);

#endif
