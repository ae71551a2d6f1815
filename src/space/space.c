/* space.c: official NB201 index <-> architecture, and isomorphism classes.
 *
 * The official API lists the Cartesian product of ops (edge 1<-0 outermost,
 * 3<-2 fastest) and then runs Python's `random.seed(88); random.shuffle(l)`.
 * We reproduce CPython exactly:
 *   - random.seed(88) = MT19937 init_by_array(key = [88]) (a non-negative int
 *     is split into 32-bit chunks of abs(n), least significant first);
 *   - shuffle: for i = n-1 down to 1: j = _randbelow(i+1); swap x[i], x[j];
 *   - _randbelow(n): k = n.bit_length(); r = getrandbits(k) until r < n;
 *   - getrandbits(k), k <= 32: genrand_uint32() >> (32 - k).
 * The generator below is the reference MT19937 (Matsumoto & Nishimura,
 * mt19937ar.c), used only here; it is not a general-purpose RNG for wsnas. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wsnas/space.h"

enum { MT_N = 624, MT_M = 397 };

typedef struct mt19937 {
    uint32_t mt[MT_N];
    int mti;
} mt19937;

static void mt_init_genrand(mt19937 *g, uint32_t s)
{
    g->mt[0] = s;
    for (int i = 1; i < MT_N; i++)
        g->mt[i] = 1812433253u * (g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) + (uint32_t)i;
    g->mti = MT_N;
}

static void mt_init_by_array(mt19937 *g, const uint32_t *key, int len)
{
    mt_init_genrand(g, 19650218u);
    int i = 1, j = 0;
    for (int k = MT_N > len ? MT_N : len; k; k--) {
        g->mt[i] =
            (g->mt[i] ^ ((g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
        i++;
        j++;
        if (i >= MT_N) {
            g->mt[0] = g->mt[MT_N - 1];
            i = 1;
        }
        if (j >= len) j = 0;
    }
    for (int k = MT_N - 1; k; k--) {
        g->mt[i] = (g->mt[i] ^ ((g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        i++;
        if (i >= MT_N) {
            g->mt[0] = g->mt[MT_N - 1];
            i = 1;
        }
    }
    g->mt[0] = 0x80000000u;
}

static uint32_t mt_next(mt19937 *g)
{
    static const uint32_t mag01[2] = {0u, 0x9908b0dfu};
    if (g->mti >= MT_N) {
        int kk;
        uint32_t y;
        for (kk = 0; kk < MT_N - MT_M; kk++) {
            y = (g->mt[kk] & 0x80000000u) | (g->mt[kk + 1] & 0x7fffffffu);
            g->mt[kk] = g->mt[kk + MT_M] ^ (y >> 1) ^ mag01[y & 1u];
        }
        for (; kk < MT_N - 1; kk++) {
            y = (g->mt[kk] & 0x80000000u) | (g->mt[kk + 1] & 0x7fffffffu);
            g->mt[kk] = g->mt[kk + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1u];
        }
        y = (g->mt[MT_N - 1] & 0x80000000u) | (g->mt[0] & 0x7fffffffu);
        g->mt[MT_N - 1] = g->mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1u];
        g->mti = 0;
    }
    uint32_t y = g->mt[g->mti++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= (y >> 18);
    return y;
}

/* CPython Random._randbelow_with_getrandbits for 1 <= n < 2^32. */
static uint32_t py_randbelow(mt19937 *g, uint32_t n)
{
    int k = 0;
    while (k < 32 && (n >> k)) k++; /* n.bit_length() */
    uint32_t r;
    do r = mt_next(g) >> (32 - k);
    while (r >= n);
    return r;
}

struct ws_space {
    uint16_t rank_of_index[WS_ARCH_COUNT]; /* official index -> product rank */
    uint16_t index_of_rank[WS_ARCH_COUNT]; /* product rank -> official index */
    uint16_t iso_class[WS_ARCH_COUNT];     /* index -> smallest index in class */
    uint16_t iso_size[WS_ARCH_COUNT];      /* index -> class size */
    uint16_t iso_next[WS_ARCH_COUNT];      /* index -> next member (ascending), or itself */
    int iso_count;
};

/* Strings of all architectures packed in one arena, for sorting indices. */
typedef struct iso_arena {
    char *text;
    uint32_t off[WS_ARCH_COUNT];
} iso_arena;

static int iso_cmp(const void *pa, const void *pb, void *ctx)
{
    const iso_arena *ar = ctx;
    int a = *(const int *)pa, b = *(const int *)pb;
    int c = strcmp(ar->text + ar->off[a], ar->text + ar->off[b]);
    return c ? c : (a > b) - (a < b);
}

/* Assigns classes: sort indices by (string, index) and link each run of
 * equal strings. */
static int space_build_iso(ws_space *sp)
{
    iso_arena *ar = malloc(sizeof *ar);
    int *order = malloc(sizeof *order * WS_ARCH_COUNT);
    size_t cap = (size_t)WS_ARCH_COUNT * 64, used = 0;
    char *text = malloc(cap);
    if (!ar || !order || !text) goto fail;
    for (int i = 0; i < WS_ARCH_COUNT; i++) {
        char buf[WS_ISO_STR_MAX];
        ws_arch a = ws_space_arch(sp, i);
        int len = ws_arch_iso_string(&a, buf, sizeof buf);
        WS_ASSERT(len >= 0);
        if (used + (size_t)len + 1 > cap) {
            char *p = realloc(text, 2 * cap);
            if (!p) goto fail;
            text = p;
            cap *= 2;
        }
        memcpy(text + used, buf, (size_t)len + 1);
        ar->off[i] = (uint32_t)used;
        used += (size_t)len + 1;
        order[i] = i;
    }
    ar->text = text;
    qsort_r(order, WS_ARCH_COUNT, sizeof *order, iso_cmp, ar);
    sp->iso_count = 0;
    for (int lo = 0; lo < WS_ARCH_COUNT;) {
        const char *s = text + ar->off[order[lo]];
        int hi = lo + 1;
        while (hi < WS_ARCH_COUNT && !strcmp(text + ar->off[order[hi]], s)) hi++;
        for (int k = lo; k < hi; k++) {
            int idx = order[k];
            sp->iso_class[idx] = (uint16_t)order[lo];
            sp->iso_size[idx] = (uint16_t)(hi - lo);
            sp->iso_next[idx] = (uint16_t)(k + 1 < hi ? order[k + 1] : idx);
        }
        sp->iso_count++;
        lo = hi;
    }
    free(text);
    free(order);
    free(ar);
    return 0;
fail:
    free(text);
    free(order);
    free(ar);
    return -1;
}

ws_space *ws_space_alloc(void)
{
    ws_space *sp = malloc(sizeof *sp);
    if (!sp) return NULL;
    for (int r = 0; r < WS_ARCH_COUNT; r++) sp->rank_of_index[r] = (uint16_t)r;
    mt19937 g;
    const uint32_t key[1] = {88u};
    mt_init_by_array(&g, key, 1);
    for (uint32_t i = WS_ARCH_COUNT - 1; i >= 1; i--) {
        uint32_t j = py_randbelow(&g, i + 1);
        uint16_t t = sp->rank_of_index[i];
        sp->rank_of_index[i] = sp->rank_of_index[j];
        sp->rank_of_index[j] = t;
    }
    for (int i = 0; i < WS_ARCH_COUNT; i++) sp->index_of_rank[sp->rank_of_index[i]] = (uint16_t)i;
    if (space_build_iso(sp)) {
        free(sp);
        return NULL;
    }
    return sp;
}

void ws_space_free(ws_space *sp)
{
    free(sp);
}

int ws_space_index(const ws_space *sp, const ws_arch *a)
{
    return sp->index_of_rank[ws_arch_product_rank(a)];
}

ws_arch ws_space_arch(const ws_space *sp, int index)
{
    WS_ASSERT(index >= 0 && index < WS_ARCH_COUNT);
    return ws_arch_from_product_rank(sp->rank_of_index[index]);
}

int ws_space_iso_class(const ws_space *sp, int index)
{
    WS_ASSERT(index >= 0 && index < WS_ARCH_COUNT);
    return sp->iso_class[index];
}

int ws_space_iso_size(const ws_space *sp, int index)
{
    WS_ASSERT(index >= 0 && index < WS_ARCH_COUNT);
    return sp->iso_size[index];
}

int ws_space_iso_members(const ws_space *sp, int index, int *out, int cap)
{
    WS_ASSERT(index >= 0 && index < WS_ARCH_COUNT);
    int m = sp->iso_class[index], k = 0;
    for (;;) {
        if (k < cap) out[k] = m;
        k++;
        int next = sp->iso_next[m];
        if (next == m) break;
        m = next;
    }
    WS_ASSERT(k == sp->iso_size[index]);
    return k;
}

int ws_space_iso_count(const ws_space *sp)
{
    return sp->iso_count;
}

int ws_space_lookup(const ws_space *sp, const char *s, int *index, ws_error *err)
{
    if (!s || !*s)
        return ws_error_set(err, WS_EINVAL, "expected an architecture string or index, got ''");
    if ((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')) {
        char *end = NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || *end)
            return ws_error_set(err, WS_EINVAL, "expected an architecture index 0..%d, got '%s'",
                                WS_ARCH_COUNT - 1, s);
        if (v < 0 || v >= WS_ARCH_COUNT)
            return ws_error_set(err, WS_ERANGE, "architecture index %ld is out of range 0..%d", v,
                                WS_ARCH_COUNT - 1);
        *index = (int)v;
        return 0;
    }
    ws_arch a;
    int rc = ws_arch_parse(s, &a, err);
    if (rc) return rc;
    *index = ws_space_index(sp, &a);
    return 0;
}
