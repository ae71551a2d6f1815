/* rng.c: PCG32 (XSH-RR 64/32), following the reference pcg-c-basic
 * generator's definitions, plus float/normal/shuffle helpers. */
#include "wsnas/rng.h"

#include <math.h>

#define PCG_MULT 6364136223846793005ULL

uint32_t ws_pcg32_next(ws_pcg32 *rng)
{
    uint64_t old = rng->state;
    rng->state = old * PCG_MULT + rng->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

void ws_pcg32_seed(ws_pcg32 *rng, uint64_t initstate, uint64_t initseq)
{
    rng->state = 0u;
    rng->inc = (initseq << 1u) | 1u;
    ws_pcg32_next(rng);
    rng->state += initstate;
    ws_pcg32_next(rng);
}

void ws_pcg32_stream(ws_pcg32 *rng, uint64_t seed, uint64_t purpose)
{
    ws_pcg32_seed(rng, seed, purpose);
}

uint32_t ws_pcg32_bounded(ws_pcg32 *rng, uint32_t bound)
{
    /* Reject the low (2^32 mod bound) values so every residue is equally likely. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t r = ws_pcg32_next(rng);
        if (r >= threshold) return r % bound;
    }
}

float ws_pcg32_float(ws_pcg32 *rng)
{
    return (float)(ws_pcg32_next(rng) >> 8) * (1.0f / 16777216.0f);
}

double ws_pcg32_double(ws_pcg32 *rng)
{
    uint64_t hi = ws_pcg32_next(rng) >> 5; /* 27 bits */
    uint64_t lo = ws_pcg32_next(rng) >> 6; /* 26 bits */
    return (double)(hi * 67108864ULL + lo) * (1.0 / 9007199254740992.0);
}

double ws_pcg32_normal(ws_pcg32 *rng)
{
    double u1 = 1.0 - ws_pcg32_double(rng); /* (0, 1] */
    double u2 = ws_pcg32_double(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double ws_pcg32_exponential(ws_pcg32 *rng)
{
    return -log1p(-ws_pcg32_double(rng));
}

void ws_pcg32_shuffle_u32(ws_pcg32 *rng, uint32_t *a, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = ws_pcg32_bounded(rng, i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

uint64_t ws_pcg32_distance(const ws_pcg32 *from, const ws_pcg32 *to)
{
    /* Bit by bit from the bottom: bit k of the step count decides bit k of
     * the state once the lower bits agree, and 2^k steps of the LCG are
     * one step of the LCG with multiplier mult^(2^k) and increment
     * inc (1 + mult + ... + mult^(2^k - 1)). */
    uint64_t cur = from->state, mult = PCG_MULT, plus = from->inc, n = 0;
    for (uint64_t bit = 1; bit && cur != to->state; bit <<= 1) {
        if ((cur & bit) != (to->state & bit)) {
            cur = cur * mult + plus;
            n |= bit;
        }
        plus = (mult + 1) * plus;
        mult *= mult;
    }
    return n;
}
