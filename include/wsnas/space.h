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

/* ---- Isomorphism -------------------------------------------------------- */
/* NATS-Bench's unique string (Structure.to_unique_str(consider_zero=True) in
 * AutoDL-Projects xautodl/models/cell_searchs/genotypes.py): node 0 is "0";
 * an edge gives "#" if its op is none or its input's string is exactly "#",
 * its input's string for skip_connect, else "(input)@op"; a node joins its
 * edges' strings, sorted (strcmp), with '+'.  The cell's string is node 3's.
 * Two architectures with the same string compute the same function. */
#define WS_ISO_STR_MAX 256 /* longest unique string + NUL fits */
/* Writes the string into buf (n bytes); returns its length, or -1 if it does
 * not fit (buf then holds "" when n > 0). */
int ws_arch_iso_string(const ws_arch *a, char *buf, size_t n);
/* Isomorphism class id = the smallest official index in the class. */
int ws_space_iso_class(const ws_space *sp, int index);
/* Number of architectures in the class of `index` (1..). */
int ws_space_iso_size(const ws_space *sp, int index);
/* The members (official indices, ascending) of the class of `index`:
 * writes up to `cap` of them into out and returns the class size. */
int ws_space_iso_members(const ws_space *sp, int index, int *out, int cap);
/* Number of distinct classes (6,466 for NB201). */
int ws_space_iso_count(const ws_space *sp);

/* Parses "123" (an official index 0..15624) or an architecture string. */
int ws_space_lookup(const ws_space *sp, const char *s, int *index, ws_error *err);

/* ---- Cost of the NB201 macro network ----------------------------------- */
/* The macro skeleton of methods.md 1.1: stem 3x3 conv + BN; N cells at C,
 * ResNet reduction to 2C, N cells, reduction to 4C, N cells; head BN, ReLU,
 * global pool, linear with bias.  Stem, reduction and head BNs are affine. */
typedef struct ws_macro {
    int C;              /* stage-1 channels (16) */
    int N;              /* cells per stage (5) */
    int in_channels;    /* 3 */
    int in_size;        /* square input side (32; 16 for ImageNet16-120) */
    int classes;        /* 10 / 100 / 120 */
    int cell_bn_affine; /* BN gamma/beta in cell convs: 1 standalone, 0 search */
    int conv_bias;      /* bias on cell convs (later AutoDL HEAD): 0 for NB201 */
} ws_macro;

/* The NB201 standalone network: C=16, N=5, 3x32x32 input, affine cell BN. */
ws_macro ws_macro_nb201(int classes);
/* 0 or WS_EINVAL with a message if a field is out of range (C, N, classes,
 * in_channels >= 1; in_size >= 4 and a multiple of 4). */
int ws_macro_check(const ws_macro *m, ws_error *err);
/* Trainable parameters of the network of architecture `a`, counted like
 * PyTorch's sum(p.numel()) over the NB201 network: every edge keeps its op,
 * reachable or not (as the benchmark's parameter figures).  a == NULL: the
 * supernet (a 1x1 and a 3x3 conv on every edge).  -1 if ws_macro_check fails. */
int64_t ws_arch_param_count(const ws_arch *a, const ws_macro *m);
/* Multiply-adds of one forward pass of one image, counted like AutoDL's
 * flop_benchmark.py: convolutions (k*k*Cin*Cout per output pixel, + Cout per
 * pixel if biased) and the linear layer (in*out + out); pooling, BN, ReLU
 * and additions are not counted.  a == NULL: the supernet, every op on every
 * edge.  -1 if ws_macro_check fails. */
int64_t ws_arch_flops(const ws_arch *a, const ws_macro *m);

#endif
