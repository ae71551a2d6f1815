/* split.c: index lists: NB201 split files (cJSON), deterministic random and
 * class-stratified splits, the documented Fashion-MNIST train/valid split. */
#include "wsnas/data.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "wsnas/json.h"

void ws_index_list_free(ws_index_list *l)
{
    if (!l) return;
    free(l->idx);
    l->idx = NULL;
    l->n = 0;
}

static int list_alloc(ws_index_list *l, int n, ws_error *err)
{
    l->n = 0;
    l->idx = malloc((size_t)(n > 0 ? n : 1) * sizeof *l->idx);
    if (!l->idx) return ws_error_set(err, WS_ENOMEM, "index list: cannot allocate %d entries", n);
    l->n = n;
    return 0;
}

int ws_index_list_all(int n, ws_index_list *out, ws_error *err)
{
    if (n < 0) return ws_error_set(err, WS_EINVAL, "index list of %d entries", n);
    int rc = list_alloc(out, n, err);
    if (rc) return rc;
    for (int i = 0; i < n; i++) out->idx[i] = i;
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Strict decimal parse of a JSON string or number entry; -1 if invalid. */
static long parse_index(const cJSON *e)
{
    if (cJSON_IsNumber(e)) {
        double v = e->valuedouble;
        if (v < 0 || v > 2147483647.0 || v != (double)(long)v) return -1;
        return (long)v;
    }
    if (!cJSON_IsString(e) || !e->valuestring || !e->valuestring[0]) return -1;
    const char *s = e->valuestring;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return -1;
    errno = 0;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (errno || *end || v > 2147483647L) return -1;
    return v;
}

int ws_split_load_nb201(const char *split_file, const char *key, ws_index_list *out,
                        ws_error *err)
{
    out->n = 0;
    out->idx = NULL;
    uint8_t *text = NULL;
    size_t len = 0;
    int rc = ws_data_read_file(split_file, 0, &text, &len, err);
    if (rc) return rc;
    cJSON *root = NULL;
    ws_json_error je;
    rc = ws_json_parse((const char *)text, len, &root, &je);
    free(text);
    if (rc)
        return ws_error_set(err, WS_EFORMAT, "%s: byte %ld: not valid JSON (line %ld, column %ld: "
                            "%s)", split_file, je.offset, je.line, je.column, je.what);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    const cJSON *list = NULL;
    if (!cJSON_IsObject(root)) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: top level is not a JSON object", split_file);
    } else if (!v) {
        rc = ws_error_set(err, WS_ENOTFOUND, "%s: no key '%s'", split_file, key);
    } else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 2 &&
               cJSON_IsArray(cJSON_GetArrayItem(v, 1))) {
        list = cJSON_GetArrayItem(v, 1); /* NB201: ["int", [...]] */
    } else if (cJSON_IsArray(v)) {
        list = v; /* a plain list is accepted too */
    } else {
        rc = ws_error_set(err, WS_EFORMAT, "%s: key '%s': expected [\"int\", [indices]]",
                          split_file, key);
    }
    int n = list ? cJSON_GetArraySize(list) : 0;
    if (!rc && n < 1)
        rc = ws_error_set(err, WS_EFORMAT, "%s: key '%s': empty index list", split_file, key);
    if (!rc) rc = list_alloc(out, n, err);
    int i = 0;
    const cJSON *e;
    if (!rc) {
        cJSON_ArrayForEach(e, list) {
            long x = parse_index(e);
            if (x < 0) {
                rc = ws_error_set(err, WS_EFORMAT,
                                  "%s: key '%s': entry %d: expected a non-negative integer",
                                  split_file, key, i);
                break;
            }
            out->idx[i++] = (int)x;
        }
    }
    cJSON_Delete(root);
    if (!rc) { /* uniqueness, on a sorted copy (indices may be large) */
        int *sorted = malloc((size_t)n * sizeof *sorted);
        if (!sorted) rc = ws_error_set(err, WS_ENOMEM, "%s: out of memory", split_file);
        if (sorted) {
            memcpy(sorted, out->idx, (size_t)n * sizeof *sorted);
            qsort(sorted, (size_t)n, sizeof *sorted, cmp_int);
            for (int j = 1; !rc && j < n; j++)
                if (sorted[j] == sorted[j - 1])
                    rc = ws_error_set(err, WS_EFORMAT, "%s: key '%s': index %d repeated",
                                      split_file, key, sorted[j]);
            free(sorted);
        }
    }
    if (rc) ws_index_list_free(out);
    return rc;
}

int ws_split_random(int n, int n_first, uint64_t seed, ws_index_list *first,
                    ws_index_list *second, ws_error *err)
{
    first->n = 0;
    first->idx = NULL;
    if (second) {
        second->n = 0;
        second->idx = NULL;
    }
    if (n < 1 || n_first < 0 || n_first > n)
        return ws_error_set(err, WS_EINVAL, "random split of %d into %d + rest: expected "
                            "0 <= first <= n, n >= 1", n, n_first);
    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) return ws_error_set(err, WS_ENOMEM, "random split: out of memory");
    for (int i = 0; i < n; i++) perm[i] = (uint32_t)i;
    ws_pcg32 r;
    ws_pcg32_stream(&r, seed, WS_STREAM_SPLIT);
    ws_pcg32_shuffle_u32(&r, perm, (uint32_t)n);
    int rc = list_alloc(first, n_first, err);
    if (!rc && second) rc = list_alloc(second, n - n_first, err);
    if (!rc) {
        for (int i = 0; i < n_first; i++) first->idx[i] = (int)perm[i];
        qsort(first->idx, (size_t)n_first, sizeof(int), cmp_int);
        if (second) {
            for (int i = n_first; i < n; i++) second->idx[i - n_first] = (int)perm[i];
            qsort(second->idx, (size_t)(n - n_first), sizeof(int), cmp_int);
        }
    } else {
        ws_index_list_free(first);
        ws_index_list_free(second);
    }
    free(perm);
    return rc;
}

int ws_split_stratified(const ws_dataset *d, const ws_index_list *from, int size,
                        uint64_t seed, ws_index_list *out, ws_index_list *rest, ws_error *err)
{
    out->n = 0;
    out->idx = NULL;
    if (rest) {
        rest->n = 0;
        rest->idx = NULL;
    }
    int m = from ? from->n : d->n, K = d->classes;
    if (size < 0 || size > m)
        return ws_error_set(err, WS_EINVAL, "stratified subset of %d from %d items", size, m);
    for (int i = 0; i < m; i++) {
        int j = from ? from->idx[i] : i;
        if (j < 0 || j >= d->n)
            return ws_error_set(err, WS_ERANGE, "stratified subset: index %d at position %d "
                                "outside the %d images of %s", j, i, d->n, d->name);
        if (d->labels[j] < 0 || d->labels[j] >= K)
            return ws_error_set(err, WS_ERANGE, "stratified subset: image %d has label %d, "
                                "expected 0..%d", j, d->labels[j], K - 1);
    }
    /* Members grouped by class (stable: `from` order), then quotas. */
    int *start = calloc((size_t)K + 1, sizeof *start), *quota = calloc((size_t)K, sizeof *quota);
    uint32_t *members = malloc((size_t)(m > 0 ? m : 1) * sizeof *members);
    uint8_t *take = calloc((size_t)(m > 0 ? m : 1), 1); /* by position in `from` */
    int rc = 0;
    if (!start || !quota || !members || !take) {
        rc = ws_error_set(err, WS_ENOMEM, "stratified subset: out of memory");
        goto done;
    }
    for (int i = 0; i < m; i++) start[d->labels[from ? from->idx[i] : i] + 1]++;
    for (int k = 0; k < K; k++) start[k + 1] += start[k];
    {
        int *fill = calloc((size_t)K, sizeof *fill);
        if (!fill) {
            rc = ws_error_set(err, WS_ENOMEM, "stratified subset: out of memory");
            goto done;
        }
        for (int i = 0; i < m; i++) {
            int c = d->labels[from ? from->idx[i] : i];
            members[start[c] + fill[c]++] = (uint32_t)i;
        }
        free(fill);
    }
    for (int dealt = 0, k = 0; dealt < size; k = (k + 1) % K)
        if (quota[k] < start[k + 1] - start[k]) {
            quota[k]++;
            dealt++;
        }
    ws_pcg32 r;
    ws_pcg32_stream(&r, seed, WS_STREAM_SPLIT);
    for (int k = 0; k < K; k++) {
        uint32_t cnt = (uint32_t)(start[k + 1] - start[k]);
        ws_pcg32_shuffle_u32(&r, members + start[k], cnt);
        for (int q = 0; q < quota[k]; q++) take[members[start[k] + q]] = 1;
    }
    rc = list_alloc(out, size, err);
    if (!rc && rest) rc = list_alloc(rest, m - size, err);
    if (!rc) {
        int a = 0, b = 0;
        for (int i = 0; i < m; i++) {
            int j = from ? from->idx[i] : i;
            if (take[i]) out->idx[a++] = j;
            else if (rest) rest->idx[b++] = j;
        }
        qsort(out->idx, (size_t)a, sizeof(int), cmp_int);
        if (rest) qsort(rest->idx, (size_t)b, sizeof(int), cmp_int);
    } else {
        ws_index_list_free(out);
        ws_index_list_free(rest);
    }
done:
    free(start);
    free(quota);
    free(members);
    free(take);
    return rc;
}

int ws_split_fashion_mnist(const ws_dataset *train_set, ws_index_list *train,
                           ws_index_list *valid, ws_error *err)
{
    if (train_set->n != 60000 || train_set->classes != 10)
        return ws_error_set(err, WS_EINVAL, "Fashion-MNIST split: expected the 60,000-image "
                            "10-class training set, got %d images, %d classes (%s)",
                            train_set->n, train_set->classes, train_set->name);
    return ws_split_stratified(train_set, NULL, 30000, WS_FASHION_SPLIT_SEED, train, valid, err);
}
