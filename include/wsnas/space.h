/* space.h: the NAS-Bench-201 cell search space: 5 ops, 6 edges, 15,625
 * architectures, strings and indices identical to the official API. */
#ifndef WSNAS_SPACE_H
#define WSNAS_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "wsnas/common.h"

/* The closed op enum, in NB201 order (the column order of the 6x5 matrix). */
enum ws_op {
    WS_OP_NONE = 0,
    WS_OP_SKIP,
    WS_OP_CONV1X1,
    WS_OP_CONV3X3,
    WS_OP_AVGPOOL,
    WS_OP_COUNT
};
extern const char *const ws_op_names[WS_OP_COUNT]; /* "none", "skip_connect", ... */

#define WS_NODES 4
#define WS_EDGES 6        /* 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 */
#define WS_ARCH_COUNT 15625
#define WS_ISO_CLASSES 6466
#define WS_ARCH_STR_MAX 128 /* longest official string + NUL fits */

extern const int ws_edge_src[WS_EDGES]; /* {0,0,1,0,1,2} */
extern const int ws_edge_dst[WS_EDGES]; /* {1,2,2,3,3,3} */

/* One architecture: the op on each edge. */
typedef struct ws_arch {
    uint8_t op[WS_EDGES];
} ws_arch;

/* "|nor_conv_3x3~0|+|...|" -> arch. Errors name the character offset and what
 * was expected. */
int ws_arch_parse(const char *s, ws_arch *out, ws_error *err);
/* Writes the official string; buf must hold WS_ARCH_STR_MAX bytes. */
void ws_arch_format(const ws_arch *a, char *buf);
/* Ops as six digits "421211" (edge order above). */
void ws_arch_digits(const ws_arch *a, char buf[WS_EDGES + 1]);
/* Lexicographic position in the Cartesian product (edge 1<-0 outermost),
 * i.e. the position BEFORE the official shuffle: 0..15624. */
int ws_arch_product_rank(const ws_arch *a);
ws_arch ws_arch_from_product_rank(int rank);

/* Official index <-> architecture (Python random.seed(88) shuffle). */
typedef struct ws_space ws_space;
ws_space *ws_space_alloc(void);
void ws_space_free(ws_space *sp);
int ws_space_index(const ws_space *sp, const ws_arch *a);   /* 0..15624 */
ws_arch ws_space_arch(const ws_space *sp, int index);

#endif
