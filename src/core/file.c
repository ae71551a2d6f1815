/* file.c: whole-file reads for the small text inputs wsnas parses (JSON
 * manifests, configs, specs, CSVs), whole-file copies (the start of an
 * atomic table rewrite) and the durable replace every writer ends with
 * (fsync the temporary file, rename it over the old one, fsync the
 * directory): one checked loop each instead of a copy per module. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wsnas/common.h"

int ws_file_read_text(const char *path, char **out, ws_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 14, n = 0, r;
    char *buf = malloc(cap + 1);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *p = realloc(buf, 2 * cap + 1);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) return ws_error_set(err, WS_ENOMEM, "%s: out of memory", path);
    if (bad) {
        free(buf);
        return ws_error_set(err, WS_EIO, "%s: read error after %zu bytes", path, n);
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

int ws_file_copy(const char *src, const char *dst, ws_error *err)
{
    FILE *in = fopen(src, "rb");
    if (!in) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", src, strerror(errno));
    FILE *out = fopen(dst, "wb");
    if (!out) {
        fclose(in);
        return ws_error_set(err, WS_EIO, "%s: cannot create: %s", dst, strerror(errno));
    }
    char buf[1 << 16];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = ws_error_set(err, WS_EIO, "%s: write failed: %s", dst, strerror(errno));
            break;
        }
    if (!rc && ferror(in)) rc = ws_error_set(err, WS_EIO, "%s: read failed", src);
    fclose(in);
    if (fclose(out) && !rc)
        rc = ws_error_set(err, WS_EIO, "%s: write failed: %s", dst, strerror(errno));
    if (rc) remove(dst);
    return rc;
}

/* fsync of an existing file or directory by path. */
static int sync_path(const char *path, int dir, ws_error *err)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return ws_error_set(err, WS_EIO, "%s: cannot open to sync: %s", path, strerror(errno));
    int bad = fsync(fd) != 0 && errno != EINVAL; /* some file systems cannot sync directories */
    int e = errno;
    close(fd);
    if (bad) return ws_error_set(err, WS_EIO, "%s: fsync failed: %s", path, strerror(e));
    return 0;
}

int ws_file_sync_dir(const char *path, ws_error *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) >= sizeof dir)
        return ws_error_set(err, WS_EINVAL, "%.60s...: path too long", path);
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    return sync_path(dir, 1, err);
}

int ws_file_commit(const char *tmp, const char *dst, ws_error *err)
{
    int rc = sync_path(tmp, 0, err);
    if (!rc && rename(tmp, dst) != 0)
        rc = ws_error_set(err, WS_EIO, "%s: cannot rename from %s: %s", dst, tmp, strerror(errno));
    if (rc) {
        remove(tmp);
        return rc;
    }
    return ws_file_sync_dir(dst, err);
}

int ws_file_write_atomic(const char *path, const void *data, size_t n, ws_error *err)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return ws_error_set(err, WS_EINVAL, "%.60s...: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    int ok = fwrite(data, 1, n, f) == n;
    ok &= fflush(f) == 0;
    int e = errno;
    ok &= fclose(f) == 0;
    if (!ok) {
        remove(tmp);
        return ws_error_set(err, WS_EIO, "%s: write failed: %s", tmp, strerror(e ? e : errno));
    }
    return ws_file_commit(tmp, path, err);
}

int ws_dir_make(const char *path, ws_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return ws_error_set(err, WS_EINVAL, "%.64s...: directory path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return ws_error_set(err, WS_EIO, "%s: cannot create directory: %s", buf,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return ws_error_set(err, WS_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return ws_error_set(err, WS_EIO, "%s: exists and is not a directory", buf);
    return 0;
}
