/* load.c: the one data path of include/wsnas/data.h (ws_data_load): the
 * dataset, its train/valid halves, class-balanced subsets and the test set,
 * shared by the search driver, `wsnas eval`, table builds and proxies. */
#include <string.h>

#include "wsnas/data.h"

void ws_data_free(ws_data *d)
{
    if (!d) return;
    ws_dataset_free(d->train_set);
    ws_dataset_free(d->test_set);
    ws_index_list_free(&d->train);
    ws_index_list_free(&d->valid);
    ws_index_list_free(&d->test);
    memset(d, 0, sizeof *d);
}

static int load_sets(const ws_data_spec *s, ws_data *d, ws_error *err)
{
    const char *dir = s->dir && s->dir[0] ? s->dir : NULL;
    int test = s->test_size > 0, rc;
    if (!strcmp(s->dataset, "fashion-mnist")) {
        rc = ws_dataset_load_fashion_mnist(dir, 1, &d->train_set, err);
        if (!rc && test) rc = ws_dataset_load_fashion_mnist(dir, 0, &d->test_set, err);
        return rc;
    }
    if (strcmp(s->dataset, "mnist") && strcmp(s->dataset, "cifar10"))
        return ws_error_set(err, WS_EINVAL,
                            "dataset '%s': expected fashion-mnist, mnist or cifar10", s->dataset);
    if (!dir)
        return ws_error_set(err, WS_EINVAL, "dataset %s: a data directory is needed (--data)",
                            s->dataset);
    int (*load)(const char *, int, ws_dataset **, ws_error *) =
        !strcmp(s->dataset, "mnist") ? ws_dataset_load_mnist : ws_dataset_load_cifar10;
    rc = load(dir, 1, &d->train_set, err);
    if (!rc && test) rc = load(dir, 0, &d->test_set, err);
    return rc;
}

static int load_halves(const ws_data_spec *s, ws_data *d, ws_error *err)
{
    const ws_dataset *t = d->train_set;
    if (!strcmp(s->dataset, "fashion-mnist")) return ws_split_fashion_mnist(t, &d->train, &d->valid, err);
    if (s->split_file && s->split_file[0] && !strcmp(s->dataset, "cifar10")) {
        int rc = ws_split_load_nb201(s->split_file, "train", &d->train, err);
        if (!rc) rc = ws_split_load_nb201(s->split_file, "valid", &d->valid, err);
        for (int k = 0; !rc && k < 2; k++) {
            const ws_index_list *l = k ? &d->valid : &d->train;
            for (int i = 0; i < l->n; i++)
                if (l->idx[i] >= t->n) {
                    rc = ws_error_set(err, WS_ERANGE,
                                      "%s: key '%s': index %d outside the %d training images",
                                      s->split_file, k ? "valid" : "train", l->idx[i], t->n);
                    break;
                }
        }
        return rc;
    }
    if (s->halves == WS_HALVES_STRATIFIED)
        return ws_split_stratified(t, NULL, t->n / 2, WS_FASHION_SPLIT_SEED, &d->train, &d->valid,
                                   err);
    return ws_split_random(t->n, t->n / 2, WS_FASHION_SPLIT_SEED, &d->train, &d->valid, err);
}

/* A class-balanced subset of `size` of *l (kept whole when size <= 0 or
 * size >= its length). */
static int subset(const ws_dataset *d, ws_index_list *l, int size, uint64_t seed, ws_error *err)
{
    if (size <= 0 || size >= l->n) return 0;
    ws_index_list out = {0};
    int rc = ws_subset_stratified(d, l, size, seed, &out, err);
    if (rc) return rc;
    ws_index_list_free(l);
    *l = out;
    return 0;
}

int ws_data_load(const ws_data_spec *s, ws_data *out, ws_error *err)
{
    memset(out, 0, sizeof *out);
    if (!s->dataset)
        return ws_error_set(err, WS_EINVAL, "no dataset given");
    int rc = load_sets(s, out, err);
    if (!rc) rc = load_halves(s, out, err);
    if (!rc) rc = subset(out->train_set, &out->train, s->train_size, s->subset_seed, err);
    if (!rc) rc = subset(out->train_set, &out->valid, s->valid_size, s->subset_seed, err);
    if (!rc && out->test_set) {
        if (s->test_size > out->test_set->n)
            rc = ws_error_set(err, WS_ERANGE, "test subset of %d from the %d test images of %s",
                              s->test_size, out->test_set->n, s->dataset);
        else
            rc = ws_split_stratified(out->test_set, NULL, s->test_size, s->subset_seed,
                                     &out->test, NULL, err);
    }
    if (rc) ws_data_free(out);
    return rc;
}
