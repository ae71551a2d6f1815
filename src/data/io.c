/* io.c: whole-file reads (raw or gzip via zlib) and byte-order helpers for
 * the dataset loaders. */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

uint32_t ws_data_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

uint32_t ws_data_le32(const uint8_t *p)
{
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

void ws_data_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

int ws_data_file_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* Raw read of a regular file whose size fstat gives. */
static int read_raw(FILE *f, const char *path, uint8_t **buf, size_t *len, ws_error *err)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        return ws_error_set(err, WS_EIO, "%s: not a regular file", path);
    if ((uint64_t)st.st_size > WS_DATA_MAX_BYTES)
        return ws_error_set(err, WS_EFORMAT, "%s: %lld bytes, more than the %zu-byte limit",
                            path, (long long)st.st_size, WS_DATA_MAX_BYTES);
    size_t n = (size_t)st.st_size;
    uint8_t *b = malloc(n + 1);
    if (!b) return ws_error_set(err, WS_ENOMEM, "%s: cannot allocate %zu bytes", path, n + 1);
    size_t got = fread(b, 1, n, f);
    if (got != n) {
        free(b);
        return ws_error_set(err, WS_EIO, "%s: read %zu of %zu bytes", path, got, n);
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

static int read_gzip(const char *path, uint8_t **buf, size_t *len, ws_error *err)
{
    gzFile g = gzopen(path, "rb");
    if (!g) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(g, 1u << 17);
    size_t cap = 1u << 20, n = 0;
    uint8_t *b = malloc(cap + 1);
    if (!b) {
        gzclose(g);
        return ws_error_set(err, WS_ENOMEM, "%s: cannot allocate %zu bytes", path, cap + 1);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= WS_DATA_MAX_BYTES) {
                free(b);
                gzclose(g);
                return ws_error_set(err, WS_EFORMAT,
                                    "%s: decompresses to more than the %zu-byte limit", path,
                                    WS_DATA_MAX_BYTES);
            }
            size_t ncap = cap * 2 > WS_DATA_MAX_BYTES ? WS_DATA_MAX_BYTES : cap * 2;
            uint8_t *nb = realloc(b, ncap + 1);
            if (!nb) {
                free(b);
                gzclose(g);
                return ws_error_set(err, WS_ENOMEM, "%s: cannot allocate %zu bytes", path,
                                    ncap + 1);
            }
            b = nb;
            cap = ncap;
        }
        size_t want = cap - n;
        if (want > (1u << 30)) want = 1u << 30;
        int r = gzread(g, b + n, (unsigned)want);
        if (r < 0) {
            int zerr = 0;
            const char *msg = gzerror(g, &zerr);
            long off = (long)gzoffset(g);
            int rc = ws_error_set(err, WS_EFORMAT,
                                  "%s: corrupt gzip data near compressed byte %ld "
                                  "(after %zu decompressed bytes): %s",
                                  path, off, n, msg ? msg : "unknown zlib error");
            free(b);
            gzclose(g);
            return rc;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    /* gzread returns 0 also for a truncated stream; gzerror tells. */
    int zerr = 0;
    const char *msg = gzerror(g, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END) {
        long off = (long)gzoffset(g);
        int rc = ws_error_set(err, WS_EFORMAT,
                              "%s: corrupt or truncated gzip data near compressed byte %ld "
                              "(after %zu decompressed bytes): %s",
                              path, off, n, msg ? msg : "unknown zlib error");
        free(b);
        gzclose(g);
        return rc;
    }
    gzclose(g);
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

int ws_data_read_file(const char *path, int allow_gzip, uint8_t **buf, size_t *len,
                      ws_error *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
    uint8_t magic[2] = {0, 0};
    size_t m = fread(magic, 1, 2, f);
    int gz = allow_gzip && m == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    int rc;
    if (gz) {
        fclose(f);
        return read_gzip(path, buf, len, err);
    }
    rewind(f);
    rc = read_raw(f, path, buf, len, err);
    fclose(f);
    return rc;
}
