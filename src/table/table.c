/* table.c: reading a table file (schema in table.h) into memory, every
 * value checked (finite or NaN, within its unit, filled 0/1, /archs equal
 * to the official enumeration) and every dataset's checksum noted; and the
 * queries on it: value, oracle, rank, isomorphism-class mean. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_internal.h"

typedef struct tb_kv {
    char *key, *value;
} tb_kv;

typedef struct tb_attrs {
    tb_kv *kv;
    int n, cap;
} tb_attrs;

typedef struct tb_metric {
    char *name;
    double *v; /* WS_ARCH_COUNT */
    tb_attrs attrs;
    int higher_better;
    int fill;
    int check; /* enum ws_table_check */
} tb_metric;

typedef struct tb_bench {
    char *name;
    tb_attrs attrs;
    tb_metric *m;
    int nm, capm;
    uint8_t *filled; /* WS_ARCH_COUNT or NULL */
    int filled_check;
} tb_bench;

struct ws_table {
    ws_space *sp;
    tb_bench *b;
    int nb;
    int archs_check; /* the weaker of /archs/ops and /archs/arch_str */
};

static const char *const check_names[] = {"none", "deflate (zlib adler32)", "fletcher32"};
_Static_assert(sizeof check_names / sizeof check_names[0] == WS_TABLE_CHECK_COUNT,
               "one name per ws_table_check");

/* The protection of a dataset's bytes: Fletcher-32, else deflate's adler32. */
static int dataset_check(hid_t d)
{
    hid_t p = H5Dget_create_plist(d);
    int best = WS_TABLE_CHECK_NONE, n = p >= 0 ? H5Pget_nfilters(p) : 0;
    for (int i = 0; i < n; i++) {
        unsigned flags = 0, cd[8];
        size_t ncd = 8;
        H5Z_filter_t f = H5Pget_filter2(p, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL);
        if (f == H5Z_FILTER_FLETCHER32) best = WS_TABLE_CHECK_FLETCHER32;
        else if (f == H5Z_FILTER_DEFLATE && best < WS_TABLE_CHECK_DEFLATE)
            best = WS_TABLE_CHECK_DEFLATE;
    }
    if (p >= 0) H5Pclose(p);
    return best;
}

static void attrs_free(tb_attrs *a)
{
    for (int i = 0; i < a->n; i++) {
        free(a->kv[i].key);
        free(a->kv[i].value);
    }
    free(a->kv);
}

static int table_read(const char *path, ws_table **out, ws_error *err);

/* The first dataset of t with no checksum at all into buf (1 if any). */
static int first_unchecked(const ws_table *t, char *buf, size_t n)
{
    if (t->archs_check == WS_TABLE_CHECK_NONE) return snprintf(buf, n, "/archs"), 1;
    for (int i = 0; i < t->nb; i++) {
        const tb_bench *b = &t->b[i];
        for (int j = 0; j < b->nm; j++)
            if (b->m[j].check == WS_TABLE_CHECK_NONE)
                return snprintf(buf, n, "/benchmarks/%s/%s", b->name, b->m[j].name), 1;
        if (b->filled && b->filled_check == WS_TABLE_CHECK_NONE)
            return snprintf(buf, n, "/benchmarks/%s/filled", b->name), 1;
    }
    return 0;
}

int ws_table_open_legacy(const char *path, ws_table **out, ws_error *err)
{
    return table_read(path, out, err);
}

int ws_table_open(const char *path, ws_table **out, ws_error *err)
{
    int rc = table_read(path, out, err);
    char where[2 * WS_TABLE_NAME_MAX + 32];
    if (rc || !first_unchecked(*out, where, sizeof where)) return rc;
    ws_table_close(*out);
    *out = NULL;
    return ws_error_set(err, WS_EFORMAT,
                        "%s: %s carries no checksum (a table written before wsnas checksummed "
                        "its tables): `wsnas table upgrade %s -o NEW.h5` rewrites it with "
                        "checksums, values bit for bit",
                        path, where, path);
}

void ws_table_close(ws_table *t)
{
    if (!t) return;
    for (int i = 0; i < t->nb; i++) {
        tb_bench *b = &t->b[i];
        for (int j = 0; j < b->nm; j++) {
            free(b->m[j].name);
            free(b->m[j].v);
            attrs_free(&b->m[j].attrs);
        }
        free(b->m);
        free(b->name);
        free(b->filled);
        attrs_free(&b->attrs);
    }
    free(t->b);
    ws_space_free(t->sp);
    free(t);
}

/* ---- reading -------------------------------------------------------------- */

typedef struct rd_ctx {
    const char *path;
    ws_error *err;
} rd_ctx;

/* Reads one scalar attribute as text (strings, integers and floats; others
 * give *out = NULL). */
static int read_attr_text(hid_t obj, const char *name, char **out, const char *where, ws_error *err)
{
    hid_t a = -1, t = -1, s = -1, mt = -1;
    int rc = 0;
    *out = NULL;
    if ((a = H5Aopen(obj, name, H5P_DEFAULT)) < 0 || (t = H5Aget_type(a)) < 0 ||
        (s = H5Aget_space(a)) < 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: cannot read attribute '%s'", where, name);
        goto done;
    }
    if (H5Sget_simple_extent_npoints(s) != 1) goto done; /* arrays are not shown */
    H5T_class_t cls = H5Tget_class(t);
    char num[64];
    if (cls == H5T_STRING) {
        htri_t vl = H5Tis_variable_str(t);
        if (vl > 0) {
            char *p = NULL;
            if ((mt = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 ||
                H5Tset_cset(mt, H5Tget_cset(t)) < 0 || H5Aread(a, mt, &p) < 0) {
                rc = ws_error_set(err, WS_EFORMAT, "%s: cannot read attribute '%s'", where, name);
                goto done;
            }
            *out = strdup(p ? p : "");
            H5free_memory(p);
        } else {
            size_t size = H5Tget_size(t);
            char *buf = calloc(1, size + 1);
            if (!buf || (mt = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(mt, size) < 0 ||
                H5Tset_cset(mt, H5Tget_cset(t)) < 0 || H5Aread(a, mt, buf) < 0) {
                free(buf);
                rc = ws_error_set(err, WS_EFORMAT, "%s: cannot read attribute '%s'", where, name);
                goto done;
            }
            *out = buf;
        }
    } else if (cls == H5T_INTEGER) {
        long long v;
        if (H5Aread(a, H5T_NATIVE_LLONG, &v) < 0) {
            rc = ws_error_set(err, WS_EFORMAT, "%s: cannot read attribute '%s'", where, name);
            goto done;
        }
        snprintf(num, sizeof num, "%lld", v);
        *out = strdup(num);
    } else if (cls == H5T_FLOAT) {
        double v;
        if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) {
            rc = ws_error_set(err, WS_EFORMAT, "%s: cannot read attribute '%s'", where, name);
            goto done;
        }
        snprintf(num, sizeof num, "%.17g", v);
        *out = strdup(num);
    } else {
        goto done;
    }
    if (!*out) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
done:
    ws_h5_close_id(&mt);
    ws_h5_close_id(&s);
    ws_h5_close_id(&t);
    ws_h5_close_id(&a);
    return rc;
}

typedef struct attr_iter {
    tb_attrs *dst;
    const char *where;
    ws_error *err;
    int rc;
} attr_iter;

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *op)
{
    (void)info;
    attr_iter *it = op;
    char *val = NULL;
    if ((it->rc = read_attr_text(loc, name, &val, it->where, it->err))) return -1;
    if (!val) return 0;
    tb_attrs *a = it->dst;
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 8;
        tb_kv *kv = realloc(a->kv, sizeof *kv * (size_t)cap);
        if (!kv) goto oom;
        a->kv = kv;
        a->cap = cap;
    }
    a->kv[a->n].key = strdup(name);
    if (!a->kv[a->n].key) goto oom;
    a->kv[a->n++].value = val;
    return 0;
oom:
    free(val);
    it->rc = ws_error_set(it->err, WS_ENOMEM, "out of memory");
    return -1;
}

static int read_attrs(hid_t obj, tb_attrs *dst, const char *where, ws_error *err)
{
    attr_iter it = {dst, where, err, 0};
    hsize_t idx = 0;
    if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, &it) < 0 && !it.rc)
        it.rc = ws_error_set(err, WS_EFORMAT, "%s: cannot list attributes", where);
    return it.rc;
}

/* Reads a 1-D dataset of WS_ARCH_COUNT elements into buf (memory type mt).
 * Returns 1 (without error) if the dataset is not of class `cls`. */
static int read_column(hid_t g, const char *name, H5T_class_t cls, hid_t mt, void *buf,
                       int *check, const char *where, ws_error *err)
{
    hid_t d = -1, s = -1, t = -1;
    int rc = 0;
    char why[240];
    if ((d = H5Dopen2(g, name, H5P_DEFAULT)) < 0 || (t = H5Dget_type(d)) < 0 ||
        (s = H5Dget_space(d)) < 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: cannot open dataset", where);
        goto done;
    }
    if (H5Tget_class(t) != cls) {
        rc = 1;
        goto done;
    }
    hsize_t dims[8] = {0};
    int nd = H5Sget_simple_extent_ndims(s);
    if (nd < 0 || nd > 8 || H5Sget_simple_extent_dims(s, dims, NULL) < 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: cannot read its dimensions", where);
        goto done;
    }
    if (nd != 1 || dims[0] != WS_ARCH_COUNT) {
        char shape[128] = "";
        size_t pos = 0;
        for (int i = 0; i < nd && pos < sizeof shape - 24; i++)
            pos += (size_t)snprintf(shape + pos, sizeof shape - pos, "%s%llu", i ? "x" : "",
                                    (unsigned long long)dims[i]);
        rc = ws_error_set(err, WS_EFORMAT, "%s: expected %d values (1-D), got dimensions (%s)",
                          where, WS_ARCH_COUNT, nd ? shape : "scalar");
        goto done;
    }
    *check = dataset_check(d);
    if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = ws_error_set(err, WS_EFORMAT, "%s: cannot read values: the file is damaged (%s)",
                          where, ws_h5_last_error(why, sizeof why));
done:
    ws_h5_close_id(&s);
    ws_h5_close_id(&t);
    ws_h5_close_id(&d);
    return rc;
}

static int default_higher_better(const char *metric)
{
    return !(strstr(metric, "loss") || strstr(metric, "seconds") || strstr(metric, "time"));
}

static const char *attrs_get(const tb_attrs *a, const char *key)
{
    for (int i = 0; i < a->n; i++)
        if (!strcmp(a->kv[i].key, key)) return a->kv[i].value;
    return NULL;
}

static int metric_cmp(const void *pa, const void *pb)
{
    return strcmp(((const tb_metric *)pa)->name, ((const tb_metric *)pb)->name);
}

static int bench_cmp(const void *pa, const void *pb)
{
    return strcmp(((const tb_bench *)pa)->name, ((const tb_bench *)pb)->name);
}

/* H5I_GROUP, H5I_DATASET or another type of the object `name` in loc; -1
 * (with err) if it cannot be opened: a damaged object is an error, not an
 * object to skip. */
static int object_kind(hid_t loc, const char *name, const char *where, ws_error *err)
{
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o < 0) {
        char why[240];
        ws_error_set(err, WS_EFORMAT, "%s: cannot open: the file is damaged (%s)", where,
                     ws_h5_last_error(why, sizeof why));
        return -1;
    }
    int type = (int)H5Iget_type(o);
    H5Oclose(o);
    return type;
}

/* Every value finite or NaN, and within the metric's declared unit. */
static int check_values(const tb_metric *m, const char *where, ws_error *err)
{
    double lo = -INFINITY, hi = INFINITY;
    const char *unit = attrs_get(&m->attrs, "unit");
    ws_table_unit_range(unit, &lo, &hi);
    for (int k = 0; k < WS_ARCH_COUNT; k++) {
        double v = m->v[k];
        if (isnan(v)) continue;
        if (!isfinite(v) || v < lo || v > hi)
            return ws_error_set(err, WS_EFORMAT, "%s: row %d is %g, expected %s", where, k, v,
                                isfinite(hi) ? "a percentage in [0, 100] or NaN"
                                : isfinite(lo) ? "a value >= 0 (its unit) or NaN"
                                               : "a finite number or NaN");
    }
    return 0;
}

/* Reads the datasets and attributes of one benchmark group. */
static int read_bench(hid_t bg, const char *path, tb_bench *b, ws_error *err)
{
    char where[512];
    snprintf(where, sizeof where, "%s: /benchmarks/%s", path, b->name);
    int kind = object_kind(bg, b->name, where, err);
    if (kind < 0) return err ? err->code : WS_EFORMAT;
    if (kind != H5I_GROUP) return 0; /* not a group: ignored */
    hid_t g = H5Gopen2(bg, b->name, H5P_DEFAULT);
    char why[240];
    if (g < 0)
        return ws_error_set(err, WS_EFORMAT, "%s: cannot open: the file is damaged (%s)", where,
                            ws_h5_last_error(why, sizeof why));
    int rc = read_attrs(g, &b->attrs, where, err);
    H5G_info_t info;
    info.nlinks = 0;
    if (!rc && H5Gget_info(g, &info) < 0)
        rc = ws_error_set(err, WS_EFORMAT, "%s: cannot list", where);
    for (hsize_t i = 0; !rc && i < info.nlinks; i++) {
        char name[WS_TABLE_NAME_MAX], mwhere[768];
        ssize_t len = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                                         H5P_DEFAULT);
        if (len < 0 || len >= (ssize_t)sizeof name) {
            rc = ws_error_set(err, WS_EFORMAT, "%s: entry %llu: name missing or too long", where,
                              (unsigned long long)i);
            break;
        }
        snprintf(mwhere, sizeof mwhere, "%s/%s", where, name);
        int type = object_kind(g, name, mwhere, err);
        if (type < 0) {
            rc = err ? err->code : WS_EFORMAT;
            break;
        }
        if (type != H5I_DATASET) continue; /* subgroups etc. are ignored */
        if (!strcmp(name, "filled")) {
            b->filled = malloc(WS_ARCH_COUNT);
            if (!b->filled) {
                rc = ws_error_set(err, WS_ENOMEM, "out of memory");
                break;
            }
            rc = read_column(g, name, H5T_INTEGER, H5T_NATIVE_UINT8, b->filled, &b->filled_check,
                             mwhere, err);
            if (rc == 1) rc = ws_error_set(err, WS_EFORMAT, "%s: expected an integer mask", mwhere);
            for (int k = 0; !rc && k < WS_ARCH_COUNT; k++)
                if (b->filled[k] > 1)
                    rc = ws_error_set(err, WS_EFORMAT, "%s: row %d is %d, expected 0 or 1", mwhere,
                                      k, b->filled[k]);
            continue;
        }
        if (b->nm == b->capm) {
            int cap = b->capm ? 2 * b->capm : 8;
            tb_metric *m = realloc(b->m, sizeof *m * (size_t)cap);
            if (!m) {
                rc = ws_error_set(err, WS_ENOMEM, "out of memory");
                break;
            }
            b->m = m;
            b->capm = cap;
        }
        tb_metric *m = &b->m[b->nm];
        memset(m, 0, sizeof *m);
        m->name = strdup(name);
        m->v = malloc(sizeof *m->v * WS_ARCH_COUNT);
        if (!m->name || !m->v) {
            free(m->name);
            free(m->v);
            rc = ws_error_set(err, WS_ENOMEM, "out of memory");
            break;
        }
        rc = read_column(g, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, m->v, &m->check, mwhere, err);
        hid_t d = -1;
        if (!rc && (d = H5Dopen2(g, name, H5P_DEFAULT)) < 0)
            rc = ws_error_set(err, WS_EFORMAT, "%s: cannot open", mwhere);
        if (!rc) rc = read_attrs(d, &m->attrs, mwhere, err);
        ws_h5_close_id(&d);
        b->nm++;       /* owned by b from here, freed by ws_table_close */
        if (rc == 1) { /* not a float dataset: ignored */
            b->nm--;
            free(m->name);
            free(m->v);
            attrs_free(&m->attrs);
            rc = 0;
            continue;
        }
        if (rc) break;
        const char *better = attrs_get(&m->attrs, "better");
        if (better && strcmp(better, "higher") && strcmp(better, "lower")) {
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s: attribute better = '%s': expected 'higher' or "
                              "'lower'",
                              mwhere, better);
            break;
        }
        m->higher_better = better ? !strcmp(better, "higher") : default_higher_better(name);
        if ((rc = check_values(m, mwhere, err))) break;
        for (int k = 0; k < WS_ARCH_COUNT; k++) m->fill += !isnan(m->v[k]);
    }
    H5Gclose(g);
    if (!rc && b->nm > 1) qsort(b->m, (size_t)b->nm, sizeof *b->m, metric_cmp);
    return rc;
}

/* /archs/arch_str: row i is the official string of index i. */
static int check_arch_strings(hid_t d, const char *path, const ws_space *sp, ws_error *err)
{
    hid_t t = H5Dget_type(d), mt = -1;
    char *strs = NULL, why[240];
    int rc = 0;
    size_t size = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0
                      ? H5Tget_size(t)
                      : 0;
    if (size < 2 || size > 4096) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: /archs/arch_str: expected fixed-length strings",
                          path);
        goto done;
    }
    strs = malloc((size_t)WS_ARCH_COUNT * size);
    if (!strs) {
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        goto done;
    }
    if ((mt = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(mt, size) < 0 ||
        H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, strs) < 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: /archs/arch_str: cannot read: the file is damaged "
                          "(%s)", path, ws_h5_last_error(why, sizeof why));
        goto done;
    }
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        char want[WS_ARCH_STR_MAX];
        const char *got = strs + (size_t)i * size;
        ws_arch a = ws_space_arch(sp, i);
        ws_arch_format(&a, want);
        if (strnlen(got, size) == size || strcmp(got, want)) {
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s: /archs/arch_str row %d is '%.*s', not the official '%s'", path,
                              i, (int)strnlen(got, size < 200 ? size : 200), got, want);
            break;
        }
    }
done:
    ws_h5_close_id(&mt);
    ws_h5_close_id(&t);
    free(strs);
    return rc;
}

/* Checks /archs/ops and /archs/arch_str against the space; *check gets
 * the weaker protection of the two. */
static int check_archs(hid_t f, const char *path, const ws_space *sp, int *check, ws_error *err)
{
    hid_t d = -1, s = -1;
    uint8_t *ops = malloc(WS_ARCH_COUNT * WS_EDGES);
    hsize_t dims[2] = {0, 0};
    int rc = 0;
    if (!ops) return ws_error_set(err, WS_ENOMEM, "out of memory");
    if (H5Lexists(f, "archs", H5P_DEFAULT) <= 0 || H5Lexists(f, "archs/ops", H5P_DEFAULT) <= 0 ||
        (d = H5Dopen2(f, "archs/ops", H5P_DEFAULT)) < 0 || (s = H5Dget_space(d)) < 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: missing dataset /archs/ops", path);
        goto done;
    }
    if (H5Sget_simple_extent_ndims(s) != 2 || H5Sget_simple_extent_dims(s, dims, NULL) < 0 ||
        dims[0] != WS_ARCH_COUNT || dims[1] != WS_EDGES) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: /archs/ops: expected dimensions %dx%d", path,
                          WS_ARCH_COUNT, WS_EDGES);
        goto done;
    }
    if (H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, ops) < 0) {
        char why[240];
        rc = ws_error_set(err, WS_EFORMAT, "%s: /archs/ops: cannot read: the file is damaged (%s)",
                          path, ws_h5_last_error(why, sizeof why));
        goto done;
    }
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        ws_arch a = ws_space_arch(sp, i);
        if (memcmp(a.op, ops + (size_t)i * WS_EDGES, WS_EDGES)) {
            char want[WS_EDGES + 1];
            ws_arch_digits(&a, want);
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s: /archs/ops row %d differs from the official index %d (%s)", path,
                              i, i, want);
            goto done;
        }
    }
    *check = dataset_check(d);
    ws_h5_close_id(&s);
    ws_h5_close_id(&d);
    if (H5Lexists(f, "archs/arch_str", H5P_DEFAULT) <= 0 ||
        (d = H5Dopen2(f, "archs/arch_str", H5P_DEFAULT)) < 0 || (s = H5Dget_space(d)) < 0 ||
        H5Sget_simple_extent_npoints(s) != WS_ARCH_COUNT)
        rc = ws_error_set(err, WS_EFORMAT, "%s: /archs/arch_str: expected %d strings", path,
                          WS_ARCH_COUNT);
    if (!rc) rc = check_arch_strings(d, path, sp, err);
    int c2 = d >= 0 ? dataset_check(d) : 0;
    if (c2 < *check) *check = c2;
done:
    ws_h5_close_id(&s);
    ws_h5_close_id(&d);
    free(ops);
    return rc;
}

/* The whole table, whatever its datasets' checksums. */
static int table_read(const char *path, ws_table **out, ws_error *err)
{
    *out = NULL;
    hid_t f = -1, bg = -1;
    int rc = ws_h5_open(path, 0, &f, err);
    if (rc) return rc;
    ws_table *t = calloc(1, sizeof *t);
    if (!t || !(t->sp = ws_space_alloc())) {
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = check_archs(f, path, t->sp, &t->archs_check, err))) goto done;
    if (H5Lexists(f, "benchmarks", H5P_DEFAULT) <= 0 ||
        (bg = H5Gopen2(f, "benchmarks", H5P_DEFAULT)) < 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: missing group /benchmarks", path);
        goto done;
    }
    H5G_info_t info;
    if (H5Gget_info(bg, &info) < 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: cannot list /benchmarks", path);
        goto done;
    }
    t->b = calloc(info.nlinks ? info.nlinks : 1, sizeof *t->b);
    if (!t->b) {
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        goto done;
    }
    for (hsize_t i = 0; i < info.nlinks; i++) {
        char name[WS_TABLE_NAME_MAX];
        ssize_t len = H5Lget_name_by_idx(bg, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                                         H5P_DEFAULT);
        if (len < 0 || len >= (ssize_t)sizeof name) {
            rc = ws_error_set(err, WS_EFORMAT, "%s: /benchmarks entry %llu: bad name", path,
                              (unsigned long long)i);
            goto done;
        }
        tb_bench *b = &t->b[t->nb];
        if (!(b->name = strdup(name))) {
            rc = ws_error_set(err, WS_ENOMEM, "out of memory");
            goto done;
        }
        t->nb++;
        if ((rc = read_bench(bg, path, b, err))) goto done;
    }
    qsort(t->b, (size_t)t->nb, sizeof *t->b, bench_cmp);
done:
    ws_h5_close_id(&bg);
    int crc = ws_h5_close(f, path, rc ? NULL : err);
    if (!rc) rc = crc;
    if (rc) {
        ws_table_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- lookups ---------------------------------------------------------------- */

const ws_space *ws_table_space(const ws_table *t)
{
    return t->sp;
}

int ws_table_benchmark_count(const ws_table *t)
{
    return t->nb;
}

const char *ws_table_benchmark_name(const ws_table *t, int i)
{
    return i >= 0 && i < t->nb ? t->b[i].name : NULL;
}

static const tb_bench *find_bench(const ws_table *t, const char *bench)
{
    for (int i = 0; bench && i < t->nb; i++)
        if (!strcmp(t->b[i].name, bench)) return &t->b[i];
    return NULL;
}

static const tb_metric *find_metric(const ws_table *t, const char *bench, const char *metric)
{
    const tb_bench *b = find_bench(t, bench);
    for (int j = 0; b && metric && j < b->nm; j++)
        if (!strcmp(b->m[j].name, metric)) return &b->m[j];
    return NULL;
}

/* The column or WS_ENOTFOUND naming what exists instead. */
static const tb_metric *need_metric(const ws_table *t, const char *bench, const char *metric,
                                    ws_error *err)
{
    const tb_bench *b = find_bench(t, bench);
    char have[400] = "";
    size_t pos = 0;
    if (!b) {
        for (int i = 0; i < t->nb && pos < sizeof have - 130; i++)
            pos += (size_t)snprintf(have + pos, sizeof have - pos, "%s%s", i ? ", " : "",
                                    t->b[i].name);
        ws_error_set(err, WS_ENOTFOUND, "no benchmark '%s' in the table (it has: %s)",
                     bench ? bench : "(null)", t->nb ? have : "none");
        return NULL;
    }
    const tb_metric *m = find_metric(t, bench, metric);
    if (!m) {
        for (int j = 0; j < b->nm && pos < sizeof have - 130; j++)
            pos += (size_t)snprintf(have + pos, sizeof have - pos, "%s%s", j ? ", " : "",
                                    b->m[j].name);
        ws_error_set(err, WS_ENOTFOUND, "benchmark '%s' has no metric '%s' (it has: %s)", bench,
                     metric ? metric : "(null)", b->nm ? have : "none");
    }
    return m;
}

const double *ws_table_column(const ws_table *t, const char *bench, const char *metric)
{
    const tb_metric *m = find_metric(t, bench, metric);
    return m ? m->v : NULL;
}

int ws_table_metric_count(const ws_table *t, const char *bench)
{
    const tb_bench *b = find_bench(t, bench);
    return b ? b->nm : 0;
}

const char *ws_table_metric_name(const ws_table *t, const char *bench, int j)
{
    const tb_bench *b = find_bench(t, bench);
    return b && j >= 0 && j < b->nm ? b->m[j].name : NULL;
}

int ws_table_higher_is_better(const ws_table *t, const char *bench, const char *metric)
{
    const tb_metric *m = find_metric(t, bench, metric);
    return m ? m->higher_better : -1;
}

const uint8_t *ws_table_filled(const ws_table *t, const char *bench)
{
    const tb_bench *b = find_bench(t, bench);
    return b ? b->filled : NULL;
}

int ws_table_fill_count(const ws_table *t, const char *bench, const char *metric)
{
    const tb_metric *m = find_metric(t, bench, metric);
    return m ? m->fill : 0;
}

const char *ws_table_bench_attr(const ws_table *t, const char *bench, const char *key)
{
    const tb_bench *b = find_bench(t, bench);
    return b && key ? attrs_get(&b->attrs, key) : NULL;
}

static const char *attrs_at(const tb_attrs *a, int i, const char **value)
{
    if (i < 0 || i >= a->n) return NULL;
    if (value) *value = a->kv[i].value;
    return a->kv[i].key;
}

const char *ws_table_bench_attr_at(const ws_table *t, const char *bench, int i, const char **value)
{
    const tb_bench *b = find_bench(t, bench);
    return b ? attrs_at(&b->attrs, i, value) : NULL;
}

const char *ws_table_metric_attr(const ws_table *t, const char *bench, const char *metric,
                                 const char *key)
{
    const tb_metric *m = find_metric(t, bench, metric);
    return m && key ? attrs_get(&m->attrs, key) : NULL;
}

const char *ws_table_metric_attr_at(const ws_table *t, const char *bench, const char *metric, int i,
                                    const char **value)
{
    const tb_metric *m = find_metric(t, bench, metric);
    return m ? attrs_at(&m->attrs, i, value) : NULL;
}

static int check_index(int index, ws_error *err)
{
    if (index < 0 || index >= WS_ARCH_COUNT)
        return ws_error_set(err, WS_ERANGE, "architecture index %d is out of range 0..%d", index,
                            WS_ARCH_COUNT - 1);
    return 0;
}

int ws_table_get(const ws_table *t, const char *bench, const char *metric, int index, double *value,
                 ws_error *err)
{
    const tb_metric *m = need_metric(t, bench, metric, err);
    if (!m) return WS_ENOTFOUND;
    if (check_index(index, err)) return WS_ERANGE;
    const uint8_t *filled = ws_table_filled(t, bench);
    if (isnan(m->v[index]) && filled && !filled[index]) {
        int n = 0;
        for (int i = 0; i < WS_ARCH_COUNT; i++) n += filled[i] != 0;
        return ws_error_set(err, WS_ENOTFOUND,
                            "%s/%s: index %d is not filled (this built benchmark covers %d of %d "
                            "architectures; `wsnas table query FILE %d --bench %s --train-missing` "
                            "trains it)",
                            bench, metric, index, n, WS_ARCH_COUNT, index, bench);
    }
    if (isnan(m->v[index]))
        return ws_error_set(err, WS_ENOTFOUND, "%s/%s: no value for index %d (missing, NaN)", bench,
                            metric, index);
    *value = m->v[index];
    return 0;
}

/* 1 if a is strictly better than b under the metric's direction. */
static int better(const tb_metric *m, double a, double b)
{
    return m->higher_better ? a > b : a < b;
}

static int best_of(const tb_metric *m, const char *bench, int *best, ws_error *err)
{
    int bi = -1;
    for (int i = 0; i < WS_ARCH_COUNT; i++)
        if (!isnan(m->v[i]) && (bi < 0 || better(m, m->v[i], m->v[bi]))) bi = i;
    if (bi < 0)
        return ws_error_set(err, WS_ENOTFOUND, "%s/%s: every value is missing (NaN)", bench,
                            m->name);
    *best = bi;
    return 0;
}

int ws_table_oracle(const ws_table *t, const char *bench, const char *metric, int *best_index,
                    double *best_value, ws_error *err)
{
    const tb_metric *m = need_metric(t, bench, metric, err);
    if (!m) return WS_ENOTFOUND;
    int bi = -1, rc = best_of(m, bench, &bi, err);
    if (rc) return rc;
    *best_index = bi;
    *best_value = m->v[bi];
    return 0;
}

int ws_table_oracle_by(const ws_table *t, const char *bench, const char *select_metric,
                       const char *report_metric, int *best_index, double *reported, ws_error *err)
{
    const tb_metric *s = need_metric(t, bench, select_metric, err);
    if (!s) return WS_ENOTFOUND;
    const tb_metric *r = need_metric(t, bench, report_metric, err);
    if (!r) return WS_ENOTFOUND;
    int bi = -1, rc = best_of(s, bench, &bi, err);
    if (rc) return rc;
    *best_index = bi;
    *reported = r->v[bi];
    if (isnan(r->v[bi]))
        return ws_error_set(err, WS_ENOTFOUND,
                            "%s: best by %s is index %d, but its %s is missing (NaN)", bench,
                            select_metric, bi, report_metric);
    return 0;
}

int ws_table_rank(const ws_table *t, const char *bench, const char *metric, int index, int *rank,
                  double *percentile, ws_error *err)
{
    double v = 0;
    int rc = ws_table_get(t, bench, metric, index, &v, err);
    if (rc) return rc;
    const tb_metric *m = find_metric(t, bench, metric);
    int n = 0, ahead = 0;
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        if (isnan(m->v[i])) continue;
        n++;
        ahead += better(m, m->v[i], v);
    }
    *rank = ahead + 1;
    if (percentile) *percentile = 100.0 * (double)(n - ahead) / (double)n;
    return 0;
}

int ws_table_iso_mean(const ws_table *t, const char *bench, const char *metric, int index,
                      double *mean, int *count, ws_error *err)
{
    const tb_metric *m = need_metric(t, bench, metric, err);
    if (!m) return WS_ENOTFOUND;
    if (check_index(index, err)) return WS_ERANGE;
    int members[WS_ARCH_COUNT];
    int k = ws_space_iso_members(t->sp, index, members, WS_ARCH_COUNT), n = 0;
    double sum = 0;
    for (int i = 0; i < k; i++)
        if (!isnan(m->v[members[i]])) {
            sum += m->v[members[i]];
            n++;
        }
    if (count) *count = n;
    if (!n)
        return ws_error_set(err, WS_ENOTFOUND,
                            "%s/%s: no value for any of the %d architectures isomorphic to %d",
                            bench, metric, k, index);
    *mean = sum / n;
    return 0;
}

int ws_table_unit_range(const char *unit, double *lo, double *hi)
{
    *lo = -INFINITY, *hi = INFINITY;
    if (!unit) return 0;
    if (!strcmp(unit, "%")) *lo = 0, *hi = 100;
    else if (!strcmp(unit, "s") || !strcmp(unit, "nats")) *lo = 0;
    return 0; /* another unit: any finite number */
}

const char *ws_table_default_unit(const char *metric)
{
    if (strstr(metric, "acc")) return "%";
    if (strstr(metric, "seconds") || strstr(metric, "time")) return "s";
    return NULL;
}

const char *ws_table_checksum_name(int check)
{
    return check >= 0 && check < WS_TABLE_CHECK_COUNT ? check_names[check] : "?";
}

int ws_table_metric_check(const ws_table *t, const char *bench, const char *metric)
{
    const tb_metric *m = find_metric(t, bench, metric);
    return m ? m->check : -1;
}

int ws_table_weakest_check(const ws_table *t)
{
    int w = t->archs_check;
    for (int i = 0; i < t->nb; i++) {
        const tb_bench *b = &t->b[i];
        if (b->filled && b->filled_check < w) w = b->filled_check;
        for (int j = 0; j < b->nm; j++)
            if (b->m[j].check < w) w = b->m[j].check;
    }
    return w;
}
