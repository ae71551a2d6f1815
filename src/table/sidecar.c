/* sidecar.c: the resume sidecars of long table writers (wsnas table build,
 * wsnas proxy): OUT.progress (OUT.progress.rank<R> under MPI), a 3-line
 * header (magic, bench, recipe) then one fsynced line per finished item. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table_internal.h"

void ws_sidecar_path(char *buf, size_t n, const char *out, int rank, int size)
{
    if (size > 1)
        snprintf(buf, n, "%s.progress.rank%d", out, rank);
    else
        snprintf(buf, n, "%s.progress", out);
}

int ws_sidecar_for_each(const char *out, int (*fn)(const char *file, void *ctx), void *ctx,
                        ws_error *err)
{
    char dir[4096], prefix[4096], file[8300];
    const char *slash = strrchr(out, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
        if (!dir[0]) snprintf(dir, sizeof dir, "/");
        snprintf(prefix, sizeof prefix, "%s.progress", slash + 1);
    } else {
        snprintf(dir, sizeof dir, ".");
        snprintf(prefix, sizeof prefix, "%s.progress", out);
    }
    DIR *d = opendir(dir);
    if (!d) return ws_error_set(err, WS_EIO, "%s: cannot list: %s", dir, strerror(errno));
    size_t pl = strlen(prefix);
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (strncmp(e->d_name, prefix, pl)) continue;
        const char *rest = e->d_name + pl;
        if (*rest && strncmp(rest, ".rank", 5)) continue;
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        rc = fn(file, ctx);
    }
    closedir(d);
    return rc;
}

static int remove_cb(const char *file, void *ctx)
{
    (void)ctx;
    remove(file);
    return 0;
}

void ws_sidecar_remove_all(const char *out) { ws_sidecar_for_each(out, remove_cb, NULL, NULL); }

int ws_sidecar_sync(FILE *f, const char *file, ws_error *err)
{
    if (fflush(f) || fsync(fileno(f)))
        return ws_error_set(err, WS_EIO, "%s: write failed: %s", file, strerror(errno));
    return 0;
}

int ws_sidecar_open(FILE **f, const char *file, const char *magic, const char *bench,
                    const char *recipe, ws_error *err)
{
    int fresh = access(file, F_OK) != 0;
    *f = fopen(file, "ab");
    if (!*f) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", file, strerror(errno));
    if (fresh) fprintf(*f, "%s\nbench %s\nrecipe %s\n", magic, bench, recipe);
    int rc = ws_sidecar_sync(*f, file, err);
    if (rc) {
        fclose(*f);
        *f = NULL;
    }
    return rc;
}

static int header_check(const char *file, int lineno, const char *line, const char *magic,
                      const char *bench, const char *recipe, ws_error *err)
{
    if (lineno == 1 && strcmp(line, magic))
        return ws_error_set(err, WS_EFORMAT, "%s:1: expected '%s'", file, magic);
    if (lineno == 2 && (strncmp(line, "bench ", 6) || strcmp(line + 6, bench)))
        return ws_error_set(err, WS_EINVAL,
                            "%s:2: progress of another benchmark ('%s'); expected 'bench %s' "
                            "(remove the file to start over)",
                            file, line, bench);
    if (lineno == 3 && (strncmp(line, "recipe ", 7) || strcmp(line + 7, recipe)))
        return ws_error_set(err, WS_EINVAL,
                            "%s:3: progress made with another recipe ('%s'); this run's is '%s' "
                            "(remove the file to start over)",
                            file, line, recipe);
    return 0;
}

/* One record line "r CLASS X1 .. Xn" (after the header) into *cls and x. */
static int record_parse(const ws_sidecar_format *fmt, const ws_space *sp, const char *file,
                        int lineno, const char *line, int *cls, double *x, ws_error *err)
{
    if (strncmp(line, "r ", 2))
        return ws_error_set(err, WS_EFORMAT, "%s:%d: expected 'r CLASS VALUES...'", file, lineno);
    const char *p = line + 2;
    char *end;
    long idx = strtol(p, &end, 10);
    if (end == p || idx < 0 || idx >= WS_ARCH_COUNT || ws_space_iso_class(sp, (int)idx) != idx)
        return ws_error_set(err, WS_EFORMAT, "%s:%d: expected a class index", file, lineno);
    p = end;
    for (int q = 0; q < fmt->n_values; q++) {
        x[q] = strtod(p, &end);
        if (end == p || isinf(x[q]) || (isnan(x[q]) && !fmt->allow_nan))
            return ws_error_set(err, WS_EFORMAT, "%s:%d: expected %d numbers (%s)", file, lineno,
                                fmt->n_values, fmt->what);
        p = end;
    }
    if (*p) return ws_error_set(err, WS_EFORMAT, "%s:%d: trailing text '%s'", file, lineno, p);
    *cls = (int)idx;
    return 0;
}

int ws_sidecar_read(const char *file, const ws_sidecar_format *fmt, const ws_space *sp,
                    ws_sidecar_put_fn put, void *ctx, ws_error *err)
{
    if (fmt->n_values < 0 || fmt->n_values > WS_SIDECAR_MAX_VALUES)
        return ws_error_set(err, WS_EINVAL, "%s: %d values per record (at most %d)", file,
                            fmt->n_values, WS_SIDECAR_MAX_VALUES);
    FILE *f = fopen(file, "rb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", file, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = 0, cls = 0;
    double x[WS_SIDECAR_MAX_VALUES];
    while (!rc && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[len - 1] != '\n') break; /* torn last line: killed while writing it */
        line[len - 1] = '\0';
        if (lineno <= 3)
            rc = header_check(file, lineno, line, fmt->magic, fmt->bench, fmt->recipe, err);
        else if (!(rc = record_parse(fmt, sp, file, lineno, line, &cls, x, err)))
            put(ctx, cls, x);
    }
    free(line);
    fclose(f);
    return rc;
}

int ws_sidecar_append(FILE *f, const char *file, int cls, const double *x, int n, ws_error *err)
{
    fprintf(f, "r %d", cls);
    for (int q = 0; q < n; q++) fprintf(f, " %.17g", x[q]);
    fputc('\n', f);
    return ws_sidecar_sync(f, file, err);
}
