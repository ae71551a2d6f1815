/* checkpoint.c: checkpoint files of named blobs, and the network's part.
 *
 * File layout (all integers little endian):
 *   magic    8 bytes  "WSNASCK\0"
 *   version  u32      2 (1 is read and rewritten too: the same container; search
 *                     checkpoints of version 1 hold raw structs, see
 *                     src/methods/search_ckpt.c)
 *   count    u32      number of entries
 *   count entries, each:
 *     name_len u32      1..255
 *     name     name_len bytes (no NUL)
 *     size     u64      payload bytes
 *     crc32    u32      zlib crc32 of name bytes then payload
 *     payload  size bytes
 *   end: nothing follows the last entry (trailing bytes are an error).
 * Names are unique.  The network writes (ws_net_save):
 *   "net.config"     int32[16]: C, N, in_channels, in_size, classes,
 *                    cell_bn_affine, cell_bn_track, standalone, pc_k, the 6
 *                    arch ops, 0
 *   "<tensor name>"  float32 data of every parameter and buffer (names and
 *                    shapes in supernet.h; PyTorch's row-major order)
 *   "momentum/<parameter name>"  float32 SGD momentum of each parameter
 * and ws_net_load refuses non-finite values and negative running variances.
 * Callers add their own blobs (arch parameters, Adam state, rng, counters).
 * Files are written to path.tmp, fsynced and renamed over path (and the
 * directory fsynced). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

#define CK_MAGIC "WSNASCK"
#define CK_VERSION 2u
#define CK_VERSION_MIN 1u
#define CK_NAME_MAX 255

typedef struct ck_entry {
    char *name;
    unsigned char *data;
    size_t size;
} ck_entry;

struct ws_ckpt {
    ck_entry *e;
    size_t n, cap;
    unsigned version; /* of the file read; CK_VERSION for a new one */
};

ws_ckpt *ws_ckpt_alloc(void)
{
    ws_ckpt *ck = calloc(1, sizeof(ws_ckpt));
    if (ck) ck->version = CK_VERSION;
    return ck;
}

unsigned ws_ckpt_version(const ws_ckpt *ck) { return ck->version; }
size_t ws_ckpt_count(const ws_ckpt *ck) { return ck->n; }

const char *ws_ckpt_entry(const ws_ckpt *ck, size_t i, size_t *bytes)
{
    if (i >= ck->n) return NULL;
    if (bytes) *bytes = ck->e[i].size;
    return ck->e[i].name;
}

static void ck_clear(ws_ckpt *ck)
{
    for (size_t i = 0; i < ck->n; i++) {
        free(ck->e[i].name);
        free(ck->e[i].data);
    }
    ck->n = 0;
}

void ws_ckpt_free(ws_ckpt *ck)
{
    if (!ck) return;
    ck_clear(ck);
    free(ck->e);
    free(ck);
}

static ck_entry *ck_find(const ws_ckpt *ck, const char *name)
{
    for (size_t i = 0; i < ck->n; i++)
        if (strcmp(ck->e[i].name, name) == 0) return &ck->e[i];
    return NULL;
}

int ws_ckpt_put(ws_ckpt *ck, const char *name, const void *data, size_t bytes, ws_error *err)
{
    size_t L = name ? strlen(name) : 0;
    if (L < 1 || L > CK_NAME_MAX)
        return ws_error_set(err, WS_EINVAL, "checkpoint: entry name of %zu bytes, expected 1..%d",
                            L, CK_NAME_MAX);
    unsigned char *copy = malloc(bytes ? bytes : 1);
    if (!copy) return ws_error_set(err, WS_ENOMEM, "checkpoint: out of memory for '%s'", name);
    if (bytes) memcpy(copy, data, bytes);
    ck_entry *e = ck_find(ck, name);
    if (e) { /* replace */
        free(e->data);
        e->data = copy;
        e->size = bytes;
        return 0;
    }
    if (ck->n == ck->cap) {
        size_t cap = ck->cap ? 2 * ck->cap : 32;
        ck_entry *ne = realloc(ck->e, cap * sizeof *ne);
        if (!ne) {
            free(copy);
            return ws_error_set(err, WS_ENOMEM, "checkpoint: out of memory");
        }
        ck->e = ne;
        ck->cap = cap;
    }
    char *nm = strdup(name);
    if (!nm) {
        free(copy);
        return ws_error_set(err, WS_ENOMEM, "checkpoint: out of memory");
    }
    ck->e[ck->n++] = (ck_entry){nm, copy, bytes};
    return 0;
}

int ws_ckpt_get(const ws_ckpt *ck, const char *name, void *data, size_t bytes, ws_error *err)
{
    const ck_entry *e = ck_find(ck, name);
    if (!e) return ws_error_set(err, WS_ENOTFOUND, "checkpoint: no entry '%s'", name);
    if (e->size != bytes)
        return ws_error_set(err, WS_EFORMAT,
                            "checkpoint: entry '%s' has %zu bytes, expected %zu", name, e->size,
                            bytes);
    if (bytes) memcpy(data, e->data, bytes);
    return 0;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint32_t entry_crc(const ck_entry *e)
{
    uLong c = crc32(0L, Z_NULL, 0);
    c = crc32(c, (const Bytef *)e->name, (uInt)strlen(e->name));
    size_t off = 0;
    while (off < e->size) { /* zlib takes uInt lengths */
        size_t chunk = e->size - off > (1u << 30) ? (1u << 30) : e->size - off;
        c = crc32(c, e->data + off, (uInt)chunk);
        off += chunk;
    }
    return (uint32_t)c;
}

int ws_ckpt_write(const ws_ckpt *ck, const char *path, ws_error *err)
{
    size_t L = strlen(path);
    char *tmp = malloc(L + 5);
    if (!tmp) return ws_error_set(err, WS_ENOMEM, "checkpoint: out of memory");
    memcpy(tmp, path, L);
    memcpy(tmp + L, ".tmp", 5);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        ws_error_set(err, WS_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return WS_EIO;
    }
    int ok = 1;
    unsigned char hdr[16];
    memcpy(hdr, CK_MAGIC, 8);
    put_u32(hdr + 8, ck->version); /* a checkpoint read keeps its version */
    put_u32(hdr + 12, (uint32_t)ck->n);
    ok &= fwrite(hdr, 1, 16, f) == 16;
    for (size_t i = 0; i < ck->n && ok; i++) {
        const ck_entry *e = &ck->e[i];
        uint32_t nl = (uint32_t)strlen(e->name);
        unsigned char b[8];
        put_u32(b, nl);
        ok &= fwrite(b, 1, 4, f) == 4;
        ok &= fwrite(e->name, 1, nl, f) == nl;
        put_u64(b, e->size);
        ok &= fwrite(b, 1, 8, f) == 8;
        put_u32(b, entry_crc(e));
        ok &= fwrite(b, 1, 4, f) == 4;
        if (e->size) ok &= fwrite(e->data, 1, e->size, f) == e->size;
    }
    ok &= fflush(f) == 0;
    ok &= fclose(f) == 0;
    if (!ok) {
        ws_error_set(err, WS_EIO, "%s: write failed: %s", tmp, strerror(errno));
        remove(tmp);
        free(tmp);
        return WS_EIO;
    }
    int rc = ws_file_commit(tmp, path, err);
    free(tmp);
    return rc;
}

int ws_ckpt_read(ws_ckpt *ck, const char *path, ws_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ws_error_set(err, WS_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *buf = NULL;
    size_t size = 0;
    int rc = 0;
    if (fseek(f, 0, SEEK_END) != 0) goto ioerr;
    long end = ftell(f);
    if (end < 0 || fseek(f, 0, SEEK_SET) != 0) goto ioerr;
    size = (size_t)end;
    buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return ws_error_set(err, WS_ENOMEM, "%s: out of memory (%zu bytes)", path, size);
    }
    if (fread(buf, 1, size, f) != size) goto ioerr;
    fclose(f);
    f = NULL;
    ck_clear(ck);
    if (size < 16 || memcmp(buf, CK_MAGIC, 8) != 0) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: offset 0: not a wsnas checkpoint (bad magic)",
                          path);
        goto done;
    }
    uint32_t ver = get_u32(buf + 8), count = get_u32(buf + 12);
    if (ver < CK_VERSION_MIN || ver > CK_VERSION) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: offset 8: checkpoint version %u, expected %u..%u",
                          path, ver, CK_VERSION_MIN, CK_VERSION);
        goto done;
    }
    ck->version = ver;
    size_t off = 16;
    for (uint32_t i = 0; i < count; i++) {
        if (size - off < 4) goto trunc;
        uint32_t nl = get_u32(buf + off);
        if (nl < 1 || nl > CK_NAME_MAX) {
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s: offset %zu: entry %u name length %u, expected 1..%d", path, off,
                              i, nl, CK_NAME_MAX);
            goto done;
        }
        off += 4;
        if (size - off < (size_t)nl + 12) goto trunc;
        char name[CK_NAME_MAX + 1];
        memcpy(name, buf + off, nl);
        name[nl] = 0;
        if (strlen(name) != nl) {
            rc = ws_error_set(err, WS_EFORMAT, "%s: offset %zu: entry %u name contains NUL", path,
                              off, i);
            goto done;
        }
        off += nl;
        uint64_t psize = get_u64(buf + off);
        uint32_t crc = get_u32(buf + off + 8);
        off += 12;
        if (psize > size - off) {
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s: offset %zu: entry '%s' claims %llu bytes, only %zu remain "
                              "(truncated?)",
                              path, off - 12, name, (unsigned long long)psize, size - off);
            goto done;
        }
        if (ck_find(ck, name)) {
            rc = ws_error_set(err, WS_EFORMAT, "%s: offset %zu: duplicate entry '%s'", path,
                              off - 12 - nl - 4, name);
            goto done;
        }
        ck_entry tmp = {name, buf + off, (size_t)psize};
        uint32_t got = entry_crc(&tmp);
        if (got != crc) {
            rc = ws_error_set(err, WS_EFORMAT,
                              "%s: offset %zu: entry '%s' CRC32 %08x, expected %08x (corrupt)",
                              path, off, name, got, crc);
            goto done;
        }
        rc = ws_ckpt_put(ck, name, buf + off, (size_t)psize, err);
        if (rc) goto done;
        off += (size_t)psize;
    }
    if (off != size) {
        rc = ws_error_set(err, WS_EFORMAT, "%s: offset %zu: %zu trailing bytes after %u entries",
                          path, off, size - off, count);
        goto done;
    }
    goto done;
trunc:
    rc = ws_error_set(err, WS_EFORMAT, "%s: truncated at offset %zu (%zu bytes, %u entries declared)",
                      path, size, size, count);
done:
    free(buf);
    if (rc) ck_clear(ck);
    return rc;
ioerr:
    rc = ws_error_set(err, WS_EIO, "%s: read failed: %s", path, strerror(errno));
    if (f) fclose(f);
    free(buf);
    return rc;
}

static void config_ints(const ws_net_config *c, int32_t v[16])
{
    memset(v, 0, 16 * sizeof *v);
    v[0] = c->C;
    v[1] = c->N;
    v[2] = c->in_channels;
    v[3] = c->in_size;
    v[4] = c->classes;
    v[5] = c->cell_bn_affine;
    v[6] = c->cell_bn_track;
    v[7] = c->standalone;
    v[8] = c->pc_k;
    for (int e = 0; e < WS_EDGES; e++) v[9 + e] = c->standalone ? c->arch.op[e] : 0;
}

int ws_net_save(ws_net *net, ws_ckpt *ck, ws_error *err)
{
    int32_t v[16];
    config_ints(&net->cfg, v);
    int rc = ws_ckpt_put(ck, "net.config", v, sizeof v, err);
    char nm[WS_TENSOR_NAME_MAX + 16];
    for (size_t i = 0; i < net->n_tensors && !rc; i++) {
        const ws_tensor_info *t = &net->tensors[i];
        const float *base = t->is_buffer ? net->buffers : net->params;
        rc = ws_ckpt_put(ck, t->name, base + t->off, t->numel * sizeof(float), err);
        if (!rc && !t->is_buffer) {
            snprintf(nm, sizeof nm, "momentum/%s", t->name);
            rc = ws_ckpt_put(ck, nm, net->momentum + t->off, t->numel * sizeof(float), err);
        }
    }
    return rc;
}

/* The entry `name` holds n finite floats (and none negative if nonneg). */
static int entry_check_floats(const ws_ckpt *ck, const char *name, size_t n, int nonneg,
                              ws_error *err)
{
    const ck_entry *e = ck_find(ck, name);
    if (!e || e->size != n * sizeof(float))
        return ws_ckpt_get(ck, name, NULL, n * sizeof(float), err);
    for (size_t k = 0; k < n; k++) {
        float v;
        memcpy(&v, e->data + k * sizeof v, sizeof v);
        if (!isfinite(v) || (nonneg && v < 0))
            return ws_error_set(err, WS_EFORMAT,
                                "checkpoint: entry '%s' element %zu is %g, expected a finite%s "
                                "number",
                                name, k, (double)v, nonneg ? " non-negative" : "");
    }
    return 0;
}

int ws_net_load(ws_net *net, const ws_ckpt *ck, ws_error *err)
{
    int32_t v[16], want[16];
    config_ints(&net->cfg, want);
    int rc = ws_ckpt_get(ck, "net.config", v, sizeof v, err);
    if (rc) return rc;
    static const char *const field[16] = {"C", "N", "in_channels", "in_size", "classes",
                                          "cell_bn_affine", "cell_bn_track", "standalone",
                                          "pc_k", "arch op 0", "arch op 1", "arch op 2",
                                          "arch op 3", "arch op 4", "arch op 5", "reserved"};
    for (int i = 0; i < 16; i++)
        if (v[i] != want[i])
            return ws_error_set(err, WS_EFORMAT,
                                "checkpoint: network %s = %d, this network has %d", field[i], v[i],
                                want[i]);
    char nm[WS_TENSOR_NAME_MAX + 16];
    for (size_t i = 0; i < net->n_tensors; i++) { /* check everything before writing */
        const ws_tensor_info *t = &net->tensors[i];
        const size_t L = strlen(t->name), V = strlen(".running_var");
        const int var = L > V && !strcmp(t->name + L - V, ".running_var");
        int rc2 = entry_check_floats(ck, t->name, t->numel, var, err);
        snprintf(nm, sizeof nm, "momentum/%s", t->name);
        if (!rc2 && !t->is_buffer) rc2 = entry_check_floats(ck, nm, t->numel, 0, err);
        if (rc2) return rc2;
    }
    for (size_t i = 0; i < net->n_tensors; i++) {
        const ws_tensor_info *t = &net->tensors[i];
        float *base = t->is_buffer ? net->buffers : net->params;
        ws_ckpt_get(ck, t->name, base + t->off, t->numel * sizeof(float), NULL);
        if (!t->is_buffer) {
            snprintf(nm, sizeof nm, "momentum/%s", t->name);
            ws_ckpt_get(ck, nm, net->momentum + t->off, t->numel * sizeof(float), NULL);
        }
    }
    return 0;
}

int ws_net_check_finite(const ws_net *net, ws_error *err)
{
    for (size_t i = 0; i < net->n_tensors; i++) {
        const ws_tensor_info *t = &net->tensors[i];
        const float *base = t->is_buffer ? net->buffers : net->params;
        for (int pass = 0; pass < (t->is_buffer ? 1 : 2); pass++) {
            const float *v = (pass ? net->momentum : base) + t->off;
            for (size_t k = 0; k < t->numel; k++)
                if (!isfinite(v[k]))
                    return ws_error_set(err, WS_ERANGE, "%s%s element %zu is %g",
                                        pass ? "momentum of " : "", t->name, k, (double)v[k]);
        }
    }
    return 0;
}
