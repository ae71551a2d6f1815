/* iso.c: the NATS-Bench isomorphism string of a cell (see space.h). */
#include <string.h>

#include "wsnas/space.h"

enum { NODE_STR_MAX = 512 }; /* > any node string of a 4-node cell */

static int term_cmp(const char *a, const char *b)
{
    return strcmp(a, b);
}

int ws_arch_iso_string(const ws_arch *a, char *buf, size_t n)
{
    char node[WS_NODES][NODE_STR_MAX];
    char term[WS_NODES - 1][NODE_STR_MAX];
    strcpy(node[0], "0");
    for (int i = 1; i < WS_NODES; i++) {
        for (int j = 0; j < i; j++) {
            int op = a->op[i * (i - 1) / 2 + j];
            WS_ASSERT(op >= 0 && op < WS_OP_COUNT);
            if (op == WS_OP_NONE || !strcmp(node[j], "#"))
                strcpy(term[j], "#");
            else if (op == WS_OP_SKIP)
                strcpy(term[j], node[j]);
            else {
                int w = snprintf(term[j], NODE_STR_MAX, "(%s)@%s", node[j], ws_op_names[op]);
                WS_ASSERT(w > 0 && w < NODE_STR_MAX);
            }
        }
        /* sort the i terms (insertion sort over indices), then join */
        int ord[WS_NODES - 1];
        for (int j = 0; j < i; j++) {
            int k = j;
            while (k > 0 && term_cmp(term[ord[k - 1]], term[j]) > 0) {
                ord[k] = ord[k - 1];
                k--;
            }
            ord[k] = j;
        }
        size_t pos = 0;
        for (int j = 0; j < i; j++) {
            size_t l = strlen(term[ord[j]]);
            WS_ASSERT(pos + l + 2 < NODE_STR_MAX);
            if (j) node[i][pos++] = '+';
            memcpy(node[i] + pos, term[ord[j]], l);
            pos += l;
        }
        node[i][pos] = '\0';
    }
    size_t len = strlen(node[WS_NODES - 1]);
    if (len + 1 > n) {
        if (n) buf[0] = '\0';
        return -1;
    }
    memcpy(buf, node[WS_NODES - 1], len + 1);
    return (int)len;
}
