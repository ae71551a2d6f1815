/* sidecar.c: the resume sidecars of long table writers (wsnas table build,
 * wsnas proxy): OUT.progress (OUT.progress.rank<R> under MPI), a 3-line
 * header (magic, bench, recipe) then one fsynced line per finished item. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
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

int ws_sidecar_header(const char *file, int lineno, const char *line, const char *magic,
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
