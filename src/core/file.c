/* file.c: whole-file reads for the small text inputs wsnas parses (JSON
 * manifests, configs, specs, CSVs) and whole-file copies (the start of an
 * atomic table rewrite): one checked loop each instead of a copy per module. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
