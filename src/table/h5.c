/* h5.c: low-level HDF5 writing of the table schema (table.h) and the atomic
 * path-based writers (copy to <path>.tmp, modify, fsync, rename). Every
 * hid_t and herr_t is checked; every handle is closed on every path.
 * Datasets are written as one chunk, deflated (level 9), with HDF5's
 * Fletcher-32 checksum of the stored chunk, and
 * files with the HDF5 1.10 format (checksummed superblock, object headers
 * and attribute heaps), so that a damaged byte fails on reading. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table_internal.h"

void ws_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static herr_t last_error_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    char *buf = data, minor[160] = "";
    H5Eget_msg(e->min_num, NULL, minor, sizeof minor);
    if (e->desc && e->desc[0])
        snprintf(buf, 240, "%s%s%s", minor, minor[0] ? ": " : "", e->desc);
    else
        snprintf(buf, 240, "%s", minor);
    return 0;
}

const char *ws_h5_last_error(char *buf, size_t n)
{
    char b[240] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, last_error_cb, b); /* keeps the innermost */
    snprintf(buf, n, "%s", b[0] ? b : "no HDF5 detail");
    return buf;
}

hid_t ws_h5_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110) < 0) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

void ws_h5_close_id(hid_t *id)
{
    if (*id < 0) return;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: H5Fclose(*id); break;
    case H5I_GROUP: H5Gclose(*id); break;
    case H5I_DATATYPE: H5Tclose(*id); break;
    case H5I_DATASPACE: H5Sclose(*id); break;
    case H5I_DATASET: H5Dclose(*id); break;
    case H5I_ATTR: H5Aclose(*id); break;
    default: break;
    }
    *id = -1;
}

int ws_table_check_name(const char *what, const char *name, ws_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= WS_TABLE_NAME_MAX)
        return ws_error_set(err, WS_EINVAL, "%s name '%s': expected 1..%d characters", what,
                            name ? name : "", WS_TABLE_NAME_MAX - 1);
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return ws_error_set(err, WS_EINVAL, "%s name '%s' is reserved", what, name);
    for (size_t i = 0; i < n; i++)
        if (name[i] == '/' || name[i] < 0x21 || name[i] > 0x7e)
            return ws_error_set(err, WS_EINVAL,
                                "%s name '%s': character %zu must be printable ASCII, not '/' "
                                "or a space",
                                what, name, i + 1);
    return 0;
}

int ws_table_tmp_path(const char *path, char *buf, size_t n, ws_error *err)
{
    int w = snprintf(buf, n, "%s.tmp", path);
    if (w < 0 || (size_t)w >= n) return ws_error_set(err, WS_EINVAL, "%s: path too long", path);
    return 0;
}

/* Sets a fixed-length (NUL-terminated) UTF-8 string attribute on obj,
 * replacing it.  Fixed length keeps the text inside the checksummed object
 * header; variable-length strings live in HDF5's global heap, which has no
 * checksum. */
static int h5_set_str_attr(hid_t obj, const char *key, const char *value, const char *where,
                           ws_error *err)
{
    hid_t t = -1, s = -1, a = -1;
    int rc = 0;
    htri_t ex = H5Aexists(obj, key);
    if (ex < 0 || (ex > 0 && H5Adelete(obj, key) < 0) || (t = H5Tcopy(H5T_C_S1)) < 0 ||
        H5Tset_size(t, strlen(value) + 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0 || (s = H5Screate(H5S_SCALAR)) < 0 ||
        (a = H5Acreate2(obj, key, t, s, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, t, value) < 0)
        rc = ws_error_set(err, WS_EIO, "%s: cannot write attribute '%s'", where, key);
    ws_h5_close_id(&a);
    ws_h5_close_id(&s);
    ws_h5_close_id(&t);
    return rc;
}

/* The schema's descriptive attributes (table.h): key, value, ..., NULL. */
static const char *const ops_attrs[] = {
    "description", "op code of each edge of architecture i (row i)",
    "edge_order", "1<-0 2<-0 2<-1 3<-0 3<-1 3<-2",
    "op_codes", "0=none 1=skip_connect 2=nor_conv_1x1 3=nor_conv_3x3 4=avg_pool_3x3",
    NULL};
static const char *const arch_str_attrs[] = {
    "description", "official NB201 architecture string of index i (row i)", NULL};
static const char *const filled_attrs[] = {
    "description", "1 where the row holds measured values, 0 where the architecture was not "
                   "trained (its values are NaN)",
    "unit", "flag", NULL};

/* Sets string attributes (key, value, ..., NULL) on the object `name` in loc. */
static int h5_set_attrs_on(hid_t loc, const char *name, const char *const *attrs,
                           const char *where, ws_error *err)
{
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o < 0) return ws_error_set(err, WS_EFORMAT, "%s: no object '%s'", where, name);
    int rc = 0;
    for (size_t i = 0; !rc && attrs[i]; i += 2) rc = h5_set_str_attr(o, attrs[i], attrs[i + 1], where, err);
    H5Oclose(o);
    return rc;
}

/* Writes a new dataset `name` in loc: `rank` dims, file type ftype, memory
 * type mtype. */
static int h5_write_dataset(hid_t loc, const char *name, int rank, const hsize_t *dims, hid_t ftype,
                            hid_t mtype, const void *data, const char *where, ws_error *err)
{
    hid_t s = -1, d = -1, dcpl = -1;
    int rc = 0;
    if ((s = H5Screate_simple(rank, dims, NULL)) < 0 || (dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
        H5Pset_chunk(dcpl, rank, dims) < 0 || H5Pset_deflate(dcpl, 9) < 0 ||
        H5Pset_fletcher32(dcpl) < 0 ||
        (d = H5Dcreate2(loc, name, ftype, s, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0 ||
        H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = ws_error_set(err, WS_EIO, "%s: cannot write dataset '%s'", where, name);
    ws_h5_close_id(&dcpl);
    ws_h5_close_id(&d);
    ws_h5_close_id(&s);
    return rc;
}

int ws_h5_create(const char *path, hid_t *file, ws_error *err)
{
    ws_h5_quiet();
    *file = -1;
    ws_space *sp = ws_space_alloc();
    char *strs = calloc(WS_ARCH_COUNT, WS_TABLE_ARCH_STRLEN);
    uint8_t *ops = malloc(WS_ARCH_COUNT * WS_EDGES);
    hid_t f = -1, g = -1, t = -1, s = -1, a = -1, fapl = ws_h5_fapl();
    int rc = 0;
    if (!sp || !strs || !ops || fapl < 0) {
        rc = ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        ws_arch arch = ws_space_arch(sp, i);
        ws_arch_format(&arch, strs + (size_t)i * WS_TABLE_ARCH_STRLEN);
        memcpy(ops + (size_t)i * WS_EDGES, arch.op, WS_EDGES);
    }
    if ((f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl)) < 0) {
        char why[240];
        rc = ws_error_set(err, WS_EIO, "%s: cannot create HDF5 file (%s)", path,
                          ws_h5_last_error(why, sizeof why));
        goto done;
    }
    const int version = WS_TABLE_VERSION;
    if ((s = H5Screate(H5S_SCALAR)) < 0 ||
        (a = H5Acreate2(f, "wsnas_table_version", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT)) <
            0 ||
        H5Awrite(a, H5T_NATIVE_INT, &version) < 0) {
        rc = ws_error_set(err, WS_EIO, "%s: cannot write the version attribute", path);
        goto done;
    }
    if ((rc = h5_set_str_attr(f, "created_by", "wsnas table", path, err))) goto done;
    if ((g = H5Gcreate2(f, "archs", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        (t = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(t, WS_TABLE_ARCH_STRLEN) < 0 ||
        H5Tset_strpad(t, H5T_STR_NULLTERM) < 0) {
        rc = ws_error_set(err, WS_EIO, "%s: cannot create /archs", path);
        goto done;
    }
    const hsize_t d1[1] = {WS_ARCH_COUNT}, d2[2] = {WS_ARCH_COUNT, WS_EDGES};
    if ((rc = h5_write_dataset(g, "arch_str", 1, d1, t, t, strs, path, err)) ||
        (rc = h5_write_dataset(g, "ops", 2, d2, H5T_STD_U8LE, H5T_NATIVE_UINT8, ops, path, err)) ||
        (rc = h5_set_attrs_on(g, "arch_str", arch_str_attrs, path, err)) ||
        (rc = h5_set_attrs_on(g, "ops", ops_attrs, path, err)))
        goto done;
    ws_h5_close_id(&g);
    if ((g = H5Gcreate2(f, "benchmarks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        rc = ws_error_set(err, WS_EIO, "%s: cannot create /benchmarks", path);
        goto done;
    }
done:
    ws_h5_close_id(&fapl);
    ws_h5_close_id(&a);
    ws_h5_close_id(&s);
    ws_h5_close_id(&t);
    ws_h5_close_id(&g);
    if (rc) ws_h5_close_id(&f);
    *file = f;
    free(ops);
    free(strs);
    ws_space_free(sp);
    return rc;
}

int ws_h5_open(const char *path, int write, hid_t *file, ws_error *err)
{
    ws_h5_quiet();
    *file = -1;
    FILE *fp = fopen(path, "rb");
    if (!fp) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
    fclose(fp);
    if (H5Fis_hdf5(path) <= 0) return ws_error_set(err, WS_EFORMAT, "%s: not an HDF5 file", path);
    /* new objects of a writer get the checksummed 1.10 format; reading takes any */
    hid_t fapl = write ? ws_h5_fapl() : H5P_DEFAULT;
    hid_t f = H5Fopen(path, write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    if (write) ws_h5_close_id(&fapl);
    if (f < 0) {
        char why[240];
        return ws_error_set(err, WS_EFORMAT, "%s: cannot open the HDF5 file%s: damaged or "
                            "truncated (%s)", path, write ? " for writing" : "",
                            ws_h5_last_error(why, sizeof why));
    }
    hid_t a = -1, s = -1, t = -1;
    int rc = 0, version = 0;
    htri_t ex = H5Aexists(f, "wsnas_table_version");
    if (ex <= 0) {
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s: not a wsnas table (no root attribute wsnas_table_version)", path);
    } else if ((a = H5Aopen(f, "wsnas_table_version", H5P_DEFAULT)) < 0 ||
               (s = H5Aget_space(a)) < 0 || (t = H5Aget_type(a)) < 0 ||
               H5Tget_class(t) != H5T_INTEGER || H5Sget_simple_extent_npoints(s) != 1 ||
               H5Aread(a, H5T_NATIVE_INT, &version) < 0) {
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s: attribute wsnas_table_version: expected one integer", path);
    } else if (version != WS_TABLE_VERSION) {
        rc = ws_error_set(err, WS_EFORMAT,
                          "%s: table format version %d; this wsnas reads version %d", path, version,
                          WS_TABLE_VERSION);
    }
    ws_h5_close_id(&t);
    ws_h5_close_id(&s);
    ws_h5_close_id(&a);
    if (rc) {
        ws_h5_close_id(&f);
        return rc;
    }
    *file = f;
    return 0;
}

int ws_h5_close(hid_t file, const char *path, ws_error *err)
{
    if (file >= 0 && H5Fclose(file) < 0)
        return ws_error_set(err, WS_EIO, "%s: closing the HDF5 file failed", path);
    return 0;
}

/* Opens (or creates) /benchmarks/<bench>. */
static hid_t h5_bench_group(hid_t file, const char *path, const char *bench, ws_error *err)
{
    if (ws_table_check_name("benchmark", bench, err)) return -1;
    hid_t b = -1, g = -1;
    htri_t ex = H5Lexists(file, "benchmarks", H5P_DEFAULT);
    if (ex > 0)
        b = H5Gopen2(file, "benchmarks", H5P_DEFAULT);
    else if (ex == 0)
        b = H5Gcreate2(file, "benchmarks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (b < 0) {
        ws_error_set(err, WS_EFORMAT, "%s: /benchmarks is not a group", path);
        return -1;
    }
    ex = H5Lexists(b, bench, H5P_DEFAULT);
    if (ex > 0)
        g = H5Gopen2(b, bench, H5P_DEFAULT);
    else if (ex == 0)
        g = H5Gcreate2(b, bench, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) ws_error_set(err, WS_EFORMAT, "%s: /benchmarks/%s is not a group", path, bench);
    ws_h5_close_id(&b);
    return g;
}

/* The float values of dataset `obj` lie within `unit` (a unit the reader
 * would refuse the table under is not set). */
static int h5_values_fit_unit(hid_t f, const char *obj, const char *unit, const char *where,
                              ws_error *err)
{
    double lo, hi;
    ws_table_unit_range(unit, &lo, &hi);
    hid_t d = H5Dopen2(f, obj, H5P_DEFAULT), t = d >= 0 ? H5Dget_type(d) : -1;
    int rc = 0;
    if (t >= 0 && H5Tget_class(t) == H5T_FLOAT && H5Dget_storage_size(d) > 0) {
        double *v = malloc(WS_ARCH_COUNT * sizeof *v);
        hid_t s = H5Dget_space(d);
        if (!v || H5Sget_simple_extent_npoints(s) != WS_ARCH_COUNT ||
            H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
            rc = ws_error_set(err, WS_EFORMAT, "%s: cannot read its values", where);
        for (int i = 0; !rc && i < WS_ARCH_COUNT; i++)
            if (!isnan(v[i]) && (v[i] < lo || v[i] > hi))
                rc = ws_error_set(err, WS_EINVAL, "%s: row %d is %g, outside unit '%s'", where, i,
                                  v[i], unit);
        free(v);
        ws_h5_close_id(&s);
    }
    ws_h5_close_id(&t);
    ws_h5_close_id(&d);
    return rc;
}

/* Removes link `name` from g if present. */
static int h5_unlink(hid_t g, const char *name, const char *path, ws_error *err)
{
    htri_t ex = H5Lexists(g, name, H5P_DEFAULT);
    if (ex < 0 || (ex > 0 && H5Ldelete(g, name, H5P_DEFAULT) < 0))
        return ws_error_set(err, WS_EIO, "%s: cannot replace '%s'", path, name);
    return 0;
}

int ws_h5_write_column(hid_t file, const char *path, const char *bench, const char *metric,
                       const double *values, const char *const *attrs, ws_error *err)
{
    int rc = ws_table_check_name("metric", metric, err);
    if (rc) return rc;
    if (!strcmp(metric, "filled"))
        return ws_error_set(err, WS_EINVAL, "metric name 'filled' is reserved for the mask");
    const char *unit = NULL;
    for (size_t i = 0; attrs && attrs[i]; i += 2) {
        if (ws_table_check_name("attribute", attrs[i], err)) return WS_EINVAL;
        if (!attrs[i + 1])
            return ws_error_set(err, WS_EINVAL, "attribute '%s' has no value", attrs[i]);
        if (!strcmp(attrs[i], "unit")) unit = attrs[i + 1];
    }
    double lo, hi; /* what the reader would refuse is not written */
    ws_table_unit_range(unit, &lo, &hi);
    for (int i = 0; i < WS_ARCH_COUNT; i++)
        if (!isnan(values[i]) && !(isfinite(values[i]) && values[i] >= lo && values[i] <= hi))
            return ws_error_set(err, WS_EINVAL, "%s/%s: row %d is %g, expected %s", bench, metric, i,
                                values[i], unit ? "a value within its unit or NaN"
                                                : "a finite number or NaN");
    hid_t g = h5_bench_group(file, path, bench, err), d = -1;
    if (g < 0) return err ? err->code : WS_EFORMAT;
    const hsize_t dims[1] = {WS_ARCH_COUNT};
    char where[512];
    snprintf(where, sizeof where, "%s: /benchmarks/%s/%s", path, bench, metric);
    rc = h5_unlink(g, metric, path, err);
    if (!rc)
        rc = h5_write_dataset(g, metric, 1, dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values, path,
                              err);
    if (!rc && (d = H5Dopen2(g, metric, H5P_DEFAULT)) < 0)
        rc = ws_error_set(err, WS_EIO, "%s: cannot reopen", where);
    for (size_t i = 0; !rc && attrs && attrs[i]; i += 2)
        rc = h5_set_str_attr(d, attrs[i], attrs[i + 1], where, err);
    ws_h5_close_id(&d);
    ws_h5_close_id(&g);
    return rc;
}

int ws_h5_write_filled(hid_t file, const char *path, const char *bench, const uint8_t *mask,
                       ws_error *err)
{
    for (int i = 0; i < WS_ARCH_COUNT; i++)
        if (mask[i] > 1)
            return ws_error_set(err, WS_EINVAL, "filled mask: entry %d is %d, expected 0 or 1", i,
                                mask[i]);
    hid_t g = h5_bench_group(file, path, bench, err);
    if (g < 0) return err ? err->code : WS_EFORMAT;
    const hsize_t dims[1] = {WS_ARCH_COUNT};
    int rc = h5_unlink(g, "filled", path, err);
    if (!rc)
        rc =
            h5_write_dataset(g, "filled", 1, dims, H5T_STD_U8LE, H5T_NATIVE_UINT8, mask, path, err);
    if (!rc) rc = h5_set_attrs_on(g, "filled", filled_attrs, path, err);
    ws_h5_close_id(&g);
    return rc;
}

/* The schema's descriptive attributes on /archs and every benchmark's
 * filled mask (for tables written before they existed). */
static int h5_schema_attrs(hid_t file, const char *path, ws_error *err)
{
    int rc = h5_set_attrs_on(file, "archs/arch_str", arch_str_attrs, path, err);
    if (!rc) rc = h5_set_attrs_on(file, "archs/ops", ops_attrs, path, err);
    hid_t b = rc ? -1 : H5Gopen2(file, "benchmarks", H5P_DEFAULT);
    if (!rc && b < 0) rc = ws_error_set(err, WS_EFORMAT, "%s: no /benchmarks group", path);
    H5G_info_t info;
    if (!rc && H5Gget_info(b, &info) < 0)
        rc = ws_error_set(err, WS_EFORMAT, "%s: /benchmarks", path);
    for (hsize_t i = 0; !rc && i < info.nlinks; i++) {
        char name[WS_TABLE_NAME_MAX + 16];
        if (H5Lget_name_by_idx(b, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, WS_TABLE_NAME_MAX,
                               H5P_DEFAULT) < 0) {
            rc = ws_error_set(err, WS_EFORMAT, "%s: /benchmarks entry %llu", path,
                              (unsigned long long)i);
            break;
        }
        strcat(name, "/filled");
        if (H5Lexists(b, name, H5P_DEFAULT) > 0) rc = h5_set_attrs_on(b, name, filled_attrs, path, err);
    }
    ws_h5_close_id(&b);
    return rc;
}

int ws_h5_set_bench_attr(hid_t file, const char *path, const char *bench, const char *key,
                         const char *value, ws_error *err)
{
    if (ws_table_check_name("attribute", key, err)) return WS_EINVAL;
    if (!value) return ws_error_set(err, WS_EINVAL, "attribute '%s' has no value", key);
    hid_t g = h5_bench_group(file, path, bench, err);
    if (g < 0) return err ? err->code : WS_EFORMAT;
    char where[512];
    snprintf(where, sizeof where, "%s: /benchmarks/%s", path, bench);
    int rc = h5_set_str_attr(g, key, value, where, err);
    ws_h5_close_id(&g);
    return rc;
}

/* ---- atomic path-based writers ---------------------------------------------- */

enum modify_kind { MOD_COLUMN, MOD_FILLED, MOD_ATTR, MOD_METRIC_ATTR, MOD_SCHEMA };

typedef struct table_mod {
    int kind;
    const char *bench, *metric, *key, *value;
    const double *values;
    const char *const *attrs;
    const uint8_t *mask;
} table_mod;

/* Validates `path` as a table, copies it to path.tmp, applies mod, renames. */
static int table_modify(const char *path, const table_mod *mod, ws_error *err)
{
    char tmp[4096];
    hid_t f = -1;
    int rc = ws_table_tmp_path(path, tmp, sizeof tmp, err);
    if (rc) return rc;
    if ((rc = ws_h5_open(path, 0, &f, err))) return rc;
    if ((rc = ws_h5_close(f, path, err))) return rc;
    if ((rc = ws_file_copy(path, tmp, err))) return rc;
    if ((rc = ws_h5_open(tmp, 1, &f, err))) {
        remove(tmp);
        return rc;
    }
    switch (mod->kind) {
    case MOD_COLUMN:
        rc = ws_h5_write_column(f, path, mod->bench, mod->metric, mod->values, mod->attrs, err);
        break;
    case MOD_FILLED: rc = ws_h5_write_filled(f, path, mod->bench, mod->mask, err); break;
    case MOD_METRIC_ATTR: {
        char obj[2 * WS_TABLE_NAME_MAX + 16], where[2 * WS_TABLE_NAME_MAX + 600];
        snprintf(obj, sizeof obj, "benchmarks/%s/%s", mod->bench, mod->metric);
        snprintf(where, sizeof where, "%s: /%s", path, obj);
        if (H5Lexists(f, "benchmarks", H5P_DEFAULT) <= 0 || H5Lexists(f, obj, H5P_DEFAULT) <= 0)
            rc = ws_error_set(err, WS_ENOTFOUND, "%s: no benchmark metric %s/%s", path, mod->bench,
                              mod->metric);
        else if (!strcmp(mod->key, "unit") && (rc = h5_values_fit_unit(f, obj, mod->value, where,
                                                                        err)))
            break;
        else
            rc = h5_set_attrs_on(f, obj, (const char *const[]){mod->key, mod->value, NULL}, where,
                                 err);
        break;
    }
    case MOD_SCHEMA: rc = h5_schema_attrs(f, path, err); break;
    default: rc = ws_h5_set_bench_attr(f, path, mod->bench, mod->key, mod->value, err); break;
    }
    int crc = ws_h5_close(f, tmp, rc ? NULL : err);
    if (!rc) rc = crc;
    if (!rc) return ws_file_commit(tmp, path, err);
    remove(tmp);
    return rc;
}

int ws_table_create(const char *path, ws_error *err)
{
    char tmp[4096];
    hid_t f = -1;
    int rc = ws_table_tmp_path(path, tmp, sizeof tmp, err);
    if (!rc) rc = ws_h5_create(tmp, &f, err);
    if (!rc) rc = ws_h5_close(f, tmp, err);
    if (!rc) return ws_file_commit(tmp, path, err);
    remove(tmp);
    return rc;
}

int ws_table_write_column(const char *path, const char *bench, const char *metric,
                          const double *values, const char *const *attrs, ws_error *err)
{
    table_mod m = {
        .kind = MOD_COLUMN, .bench = bench, .metric = metric, .values = values, .attrs = attrs};
    return table_modify(path, &m, err);
}

int ws_table_write_filled(const char *path, const char *bench, const uint8_t *mask, ws_error *err)
{
    table_mod m = {.kind = MOD_FILLED, .bench = bench, .mask = mask};
    return table_modify(path, &m, err);
}

int ws_table_set_metric_attr(const char *path, const char *bench, const char *metric,
                             const char *key, const char *value, ws_error *err)
{
    if (ws_table_check_name("benchmark", bench, err) || ws_table_check_name("metric", metric, err) ||
        ws_table_check_name("attribute", key, err))
        return WS_EINVAL;
    if (!value) return ws_error_set(err, WS_EINVAL, "attribute '%s' has no value", key);
    table_mod m = {.kind = MOD_METRIC_ATTR, .bench = bench, .metric = metric, .key = key,
                   .value = value};
    return table_modify(path, &m, err);
}

int ws_table_add_schema_attrs(const char *path, ws_error *err)
{
    table_mod m = {.kind = MOD_SCHEMA};
    return table_modify(path, &m, err);
}

int ws_table_set_bench_attr(const char *path, const char *bench, const char *key, const char *value,
                            ws_error *err)
{
    table_mod m = {.kind = MOD_ATTR, .bench = bench, .key = key, .value = value};
    return table_modify(path, &m, err);
}
