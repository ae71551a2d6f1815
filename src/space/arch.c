/* arch.c: the NB201 op and edge tables, and architecture strings: parsing
 * with offset-precise errors, formatting, op digits and the product rank
 * (position in the official enumeration before its shuffle). */
#include <ctype.h>
#include <string.h>

#include "wsnas/space.h"

const char *const ws_op_names[WS_OP_COUNT] = {
    "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3",
};
const int ws_edge_src[WS_EDGES] = {0, 0, 1, 0, 1, 2};
const int ws_edge_dst[WS_EDGES] = {1, 2, 2, 3, 3, 3};

_Static_assert(WS_OP_COUNT == 5, "NB201 has five ops; update ws_op_names");
_Static_assert(WS_EDGES == WS_NODES * (WS_NODES - 1) / 2, "one edge per node pair");
_Static_assert(sizeof ws_op_names / sizeof ws_op_names[0] == WS_OP_COUNT, "op name table");
_Static_assert(sizeof ws_edge_src / sizeof ws_edge_src[0] == WS_EDGES, "edge table");
_Static_assert(sizeof ws_edge_dst / sizeof ws_edge_dst[0] == WS_EDGES, "edge table");
_Static_assert(WS_ARCH_COUNT == 5 * 5 * 5 * 5 * 5 * 5, "5^6 architectures");

/* Describes what sits at s+pos for an error message: "end of string" or the
 * next few characters in quotes. */
static void describe_at(const char *s, size_t pos, char *out, size_t n)
{
    if (!s[pos]) {
        snprintf(out, n, "end of string");
        return;
    }
    size_t len = 0;
    while (s[pos + len] && len < 16) len++;
    char piece[24];
    for (size_t i = 0; i < len; i++)
        piece[i] = isprint((unsigned char)s[pos + i]) ? s[pos + i] : '?';
    piece[len] = '\0';
    snprintf(out, n, "'%s%s'", piece, s[pos + len] ? "..." : "");
}

static int expect_char(const char *s, size_t *pos, char c, ws_error *err)
{
    if (s[*pos] == c) {
        (*pos)++;
        return 0;
    }
    char got[40];
    describe_at(s, *pos, got, sizeof got);
    return ws_error_set(err, WS_EINVAL, "arch string offset %zu: expected '%c', got %s", *pos, c,
                        got);
}

int ws_arch_parse(const char *s, ws_arch *out, ws_error *err)
{
    if (!s) return ws_error_set(err, WS_EINVAL, "arch string: NULL");
    size_t pos = 0;
    ws_arch a;
    int e = 0;
    for (int node = 1; node < WS_NODES; node++) {
        if (node > 1 && expect_char(s, &pos, '+', err)) return WS_EINVAL;
        if (expect_char(s, &pos, '|', err)) return WS_EINVAL;
        for (int in = 0; in < node; in++, e++) {
            int op = -1;
            for (int o = 0; o < WS_OP_COUNT; o++) {
                size_t l = strlen(ws_op_names[o]);
                if (!strncmp(s + pos, ws_op_names[o], l) && s[pos + l] == '~') {
                    op = o;
                    pos += l;
                    break;
                }
            }
            if (op < 0) {
                char got[40];
                describe_at(s, pos, got, sizeof got);
                return ws_error_set(err, WS_EINVAL,
                                    "arch string offset %zu: expected an op name (none, "
                                    "skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3) "
                                    "followed by '~', got %s",
                                    pos, got);
            }
            pos++; /* the '~' checked above */
            if (s[pos] != (char)('0' + in) || isdigit((unsigned char)s[pos + 1])) {
                char got[40];
                describe_at(s, pos, got, sizeof got);
                return ws_error_set(err, WS_EINVAL,
                                    "arch string offset %zu: expected input node index %d "
                                    "(edge %d<-%d), got %s",
                                    pos, in, node, in, got);
            }
            pos++;
            if (expect_char(s, &pos, '|', err)) return WS_EINVAL;
            a.op[e] = (uint8_t)op;
        }
    }
    if (s[pos]) {
        char got[40];
        describe_at(s, pos, got, sizeof got);
        return ws_error_set(err, WS_EINVAL,
                            "arch string offset %zu: expected end of string, got %s", pos, got);
    }
    *out = a;
    return 0;
}

void ws_arch_format(const ws_arch *a, char *buf)
{
    size_t pos = 0;
    int e = 0;
    for (int node = 1; node < WS_NODES; node++) {
        if (node > 1) buf[pos++] = '+';
        buf[pos++] = '|';
        for (int in = 0; in < node; in++, e++) {
            WS_ASSERT(a->op[e] < WS_OP_COUNT);
            pos += (size_t)snprintf(buf + pos, WS_ARCH_STR_MAX - pos, "%s~%d|",
                                    ws_op_names[a->op[e]], in);
        }
    }
    WS_ASSERT(pos < WS_ARCH_STR_MAX);
    buf[pos] = '\0';
}

void ws_arch_digits(const ws_arch *a, char buf[WS_EDGES + 1])
{
    for (int e = 0; e < WS_EDGES; e++) {
        WS_ASSERT(a->op[e] < WS_OP_COUNT);
        buf[e] = (char)('0' + a->op[e]);
    }
    buf[WS_EDGES] = '\0';
}

int ws_arch_product_rank(const ws_arch *a)
{
    int r = 0;
    for (int e = 0; e < WS_EDGES; e++) {
        WS_ASSERT(a->op[e] < WS_OP_COUNT);
        r = r * WS_OP_COUNT + a->op[e];
    }
    return r;
}

ws_arch ws_arch_from_product_rank(int rank)
{
    WS_ASSERT(rank >= 0 && rank < WS_ARCH_COUNT);
    ws_arch a;
    for (int e = WS_EDGES - 1; e >= 0; e--) {
        a.op[e] = (uint8_t)(rank % WS_OP_COUNT);
        rank /= WS_OP_COUNT;
    }
    return a;
}
