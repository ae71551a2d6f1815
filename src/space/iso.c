/* iso.c: the NATS-Bench isomorphism string of a cell (see space.h).
 * Built with plain copies (no printf): ws_space_alloc computes all 15,625. */
#include <string.h>

#include "wsnas/space.h"

enum { NODE_STR_MAX = 512 }; /* > any node string of a 4-node cell */

typedef struct iso_str {
    size_t len;
    char s[NODE_STR_MAX];
} iso_str;

static void iso_put(iso_str *d, const char *s, size_t n)
{
    WS_ASSERT(d->len + n < NODE_STR_MAX);
    memcpy(d->s + d->len, s, n);
    d->len += n;
    d->s[d->len] = '\0';
}

static int is_zero(const iso_str *x)
{
    return x->len == 1 && x->s[0] == '#';
}

int ws_arch_iso_string(const ws_arch *a, char *buf, size_t n)
{
    static const size_t op_len[WS_OP_COUNT] = {4, 12, 12, 12, 12};
    iso_str node[WS_NODES], term[WS_NODES - 1];
    node[0].len = 0;
    iso_put(&node[0], "0", 1);
    for (int i = 1; i < WS_NODES; i++) {
        for (int j = 0; j < i; j++) {
            int op = a->op[i * (i - 1) / 2 + j];
            WS_ASSERT(op >= 0 && op < WS_OP_COUNT);
            iso_str *t = &term[j];
            t->len = 0;
            if (op == WS_OP_NONE || is_zero(&node[j])) {
                iso_put(t, "#", 1);
            } else if (op == WS_OP_SKIP) {
                iso_put(t, node[j].s, node[j].len);
            } else {
                iso_put(t, "(", 1);
                iso_put(t, node[j].s, node[j].len);
                iso_put(t, ")@", 2);
                iso_put(t, ws_op_names[op], op_len[op]);
            }
        }
        /* sort the i terms (insertion sort over positions), then join */
        int ord[WS_NODES - 1];
        for (int j = 0; j < i; j++) {
            int k = j;
            while (k > 0 && strcmp(term[ord[k - 1]].s, term[j].s) > 0) {
                ord[k] = ord[k - 1];
                k--;
            }
            ord[k] = j;
        }
        node[i].len = 0;
        for (int j = 0; j < i; j++) {
            if (j) iso_put(&node[i], "+", 1);
            iso_put(&node[i], term[ord[j]].s, term[ord[j]].len);
        }
    }
    const iso_str *out = &node[WS_NODES - 1];
    if (out->len + 1 > n) {
        if (n) buf[0] = '\0';
        return -1;
    }
    memcpy(buf, out->s, out->len + 1);
    return (int)out->len;
}
