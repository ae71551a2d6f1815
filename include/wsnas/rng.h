/* rng.h: PCG32 (O'Neill's pcg32, XSH-RR 64/32) with explicit state.
 * Every random draw in wsnas goes through a ws_pcg32 passed by pointer;
 * there is no global generator.  Streams for different purposes are derived
 * from one user seed with ws_pcg32_stream(), so adding draws to one purpose
 * never shifts another. */
#ifndef WSNAS_RNG_H
#define WSNAS_RNG_H

#include <stdint.h>

typedef struct ws_pcg32 {
    uint64_t state;
    uint64_t inc; /* always odd */
} ws_pcg32;

/* Purposes: the stream id passed to ws_pcg32_stream(). Append only. */
enum ws_stream {
    WS_STREAM_INIT = 1,   /* network weight initialisation */
    WS_STREAM_DATA_ORDER, /* epoch permutations */
    WS_STREAM_AUGMENT,    /* crop offsets and flips */
    WS_STREAM_VALID_PAIR, /* validation batch paired with each train batch */
    WS_STREAM_ARCH_INIT,  /* architecture parameter initialisation */
    WS_STREAM_ARCH_SAMPLE,/* RS-WS paths, GDAS Gumbel noise */
    WS_STREAM_SELECT,     /* candidate architectures for selection/eval */
    WS_STREAM_SPLIT,      /* dataset splits and subsets */
    WS_STREAM_BASELINE,   /* table-only baselines */
    WS_STREAM_PC,         /* partial-channel sampling */
    WS_STREAM_WORKER = 64 /* + worker/thread index */
};

/* pcg32_srandom_r: state from (initstate, initseq), as the reference. */
void ws_pcg32_seed(ws_pcg32 *rng, uint64_t initstate, uint64_t initseq);
/* The generator for `purpose` under the user seed `seed`. */
void ws_pcg32_stream(ws_pcg32 *rng, uint64_t seed, uint64_t purpose);
/* pcg32_random_r: next 32-bit output. */
uint32_t ws_pcg32_next(ws_pcg32 *rng);
/* Unbiased integer in [0, bound), bound >= 1 (pcg32_boundedrand_r). */
uint32_t ws_pcg32_bounded(ws_pcg32 *rng, uint32_t bound);
/* Uniform float in [0, 1) with 24 random bits. */
float ws_pcg32_float(ws_pcg32 *rng);
/* Uniform double in [0, 1) with 53 random bits (two outputs). */
double ws_pcg32_double(ws_pcg32 *rng);
/* Standard normal by Box-Muller, two uniforms per call, no cached spare. */
double ws_pcg32_normal(ws_pcg32 *rng);
/* Exp(1): -log(1 - U), U in [0,1), so never infinite. */
double ws_pcg32_exponential(ws_pcg32 *rng);
/* How many ws_pcg32_next calls take `from` to `to` (same inc), modulo 2^64:
 * a resumed generator must be a plausible number of draws past the one its
 * seed gives (a generator of another seed is ~2^63 draws away). */
uint64_t ws_pcg32_distance(const ws_pcg32 *from, const ws_pcg32 *to);
#define WS_PCG32_PLAUSIBLE_DRAWS (1ull << 40) /* more than any run draws */
/* Fisher-Yates shuffle of a[0..n-1] (i from n-1 down, j = bounded(i+1)). */
void ws_pcg32_shuffle_u32(ws_pcg32 *rng, uint32_t *a, uint32_t n);

#endif
