/* upgrade.c: the explicit path for a table written before wsnas checksummed
 * its tables (`wsnas table upgrade IN -o OUT`): IN is read with the legacy
 * reader (a dataset without any checksum accepted), every benchmark,
 * metric (values and string attributes), filled mask and benchmark
 * attribute is written again by wsnas's own writers (one chunk per dataset,
 * deflate and Fletcher-32, HDF5 1.10 format) into OUT.tmp, which is then
 * read back by the ordinary (checksum-requiring) reader and compared value
 * by value, bit for bit, before it is renamed to OUT.  The same rewrite
 * compacts the tables that `wsnas proxy` and `wsnas table build` write
 * chunk by chunk (ws_table_compact): HDF5 never reclaims the space of a
 * replaced dataset, so a table modified in place grows with every chunk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_internal.h"

#define UPGRADE_ATTRS_MAX 64

/* A metric's attributes as key, value, ..., NULL. */
static int metric_attrs(const ws_table *t, const char *b, const char *m, const char **kv)
{
    int n = 0;
    const char *k, *v;
    for (int a = 0; (k = ws_table_metric_attr_at(t, b, m, a, &v)) && n < 2 * UPGRADE_ATTRS_MAX;
         a++) {
        kv[n++] = k;
        kv[n++] = v;
    }
    kv[n] = NULL;
    return n / 2;
}

/* Every benchmark of t into the open file f (path names it in errors). */
static int write_all(const ws_table *t, hid_t f, const char *path, ws_error *err)
{
    int rc = 0;
    for (int i = 0; !rc && i < ws_table_benchmark_count(t); i++) {
        const char *b = ws_table_benchmark_name(t, i), *k, *v;
        for (int j = 0; !rc && j < ws_table_metric_count(t, b); j++) {
            const char *m = ws_table_metric_name(t, b, j), *kv[2 * UPGRADE_ATTRS_MAX + 1];
            metric_attrs(t, b, m, kv);
            rc = ws_h5_write_column(f, path, b, m, ws_table_column(t, b, m), kv, err);
        }
        const uint8_t *filled = ws_table_filled(t, b);
        if (!rc && filled) rc = ws_h5_write_filled(f, path, b, filled, err);
        for (int a = 0; !rc && (k = ws_table_bench_attr_at(t, b, a, &v)); a++)
            rc = ws_h5_set_bench_attr(f, path, b, k, v, err);
    }
    return rc;
}

/* 0 if u holds what t holds: the same benchmarks, metrics, values (bit for
 * bit), filled masks and attributes. */
static int compare(const ws_table *t, const ws_table *u, const char *path, ws_error *err)
{
    if (ws_table_benchmark_count(t) != ws_table_benchmark_count(u))
        return ws_error_set(err, WS_EFORMAT, "%s: benchmarks differ after writing", path);
    for (int i = 0; i < ws_table_benchmark_count(t); i++) {
        const char *b = ws_table_benchmark_name(t, i);
        if (ws_table_metric_count(t, b) != ws_table_metric_count(u, b))
            return ws_error_set(err, WS_EFORMAT, "%s: metrics of '%s' differ after writing", path,
                                b);
        for (int j = 0; j < ws_table_metric_count(t, b); j++) {
            const char *m = ws_table_metric_name(t, b, j), *k, *v, *w;
            const double *x = ws_table_column(t, b, m), *y = ws_table_column(u, b, m);
            if (!y || memcmp(x, y, WS_ARCH_COUNT * sizeof *x))
                return ws_error_set(err, WS_EFORMAT, "%s: /benchmarks/%s/%s differs after writing",
                                    path, b, m);
            for (int a = 0; (k = ws_table_metric_attr_at(t, b, m, a, &v)); a++)
                if (!(w = ws_table_metric_attr(u, b, m, k)) || strcmp(v, w))
                    return ws_error_set(err, WS_EFORMAT,
                                        "%s: attribute '%s' of /benchmarks/%s/%s differs after "
                                        "writing", path, k, b, m);
        }
        const uint8_t *f = ws_table_filled(t, b), *g = ws_table_filled(u, b);
        if (!f != !g || (f && memcmp(f, g, WS_ARCH_COUNT)))
            return ws_error_set(err, WS_EFORMAT, "%s: the filled mask of '%s' differs after writing",
                                path, b);
    }
    return 0;
}

/* Writes t afresh into out.tmp, reads it back, compares, renames to out. */
static int rewrite(const ws_table *t, const char *out, ws_error *err)
{
    char tmp[4096];
    int rc = ws_table_tmp_path(out, tmp, sizeof tmp, err);
    if (rc) return rc;
    ws_table *u = NULL;
    hid_t f = -1;
    rc = ws_h5_create(tmp, &f, err);
    if (!rc) rc = write_all(t, f, out, err);
    if (f >= 0) {
        int crc = ws_h5_close(f, tmp, rc ? NULL : err);
        if (!rc) rc = crc;
    }
    if (!rc) rc = ws_table_open(tmp, &u, err); /* every dataset checksummed now */
    if (!rc) rc = compare(t, u, out, err);
    ws_table_close(u);
    if (!rc) return ws_file_commit(tmp, out, err);
    remove(tmp);
    return rc;
}

int ws_table_upgrade(const char *in, const char *out, ws_error *err)
{
    ws_table *t = NULL;
    int rc = ws_table_open_legacy(in, &t, err);
    if (!rc) rc = rewrite(t, out, err);
    ws_table_close(t);
    return rc;
}

int ws_table_raw_path(const char *path, char *buf, size_t n, ws_error *err)
{
    int w = snprintf(buf, n, "%s.raw.tmp", path);
    if (w < 0 || (size_t)w >= n) return ws_error_set(err, WS_EINVAL, "%s: path too long", path);
    return 0;
}

int ws_table_compact(const char *raw, const char *out, ws_error *err)
{
    ws_table *t = NULL;
    int rc = ws_table_open(raw, &t, err);
    if (!rc) rc = rewrite(t, out, err);
    ws_table_close(t);
    remove(raw);
    return rc;
}
