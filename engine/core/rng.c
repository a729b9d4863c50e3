/*
 * Seeded PRNG: xoshiro256** seeded by splitmix64. See rng.h.
 */
#include "rng.h"

#include <math.h>

#include "estimate.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void bs_rng_seed(bs_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t bs_rng_next(bs_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double bs_rng_uniform(bs_rng *r) {
    /* (k + 0.5) / 2^53 for k in [0, 2^53): strictly inside (0, 1) */
    return ((double)(bs_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

double bs_rng_normal(bs_rng *r) {
    return bs_qnorm(bs_rng_uniform(r));
}

double bs_rng_gamma(bs_rng *r, double shape) {
    if (shape < 1.0) {
        double u = bs_rng_uniform(r);
        return bs_rng_gamma(r, shape + 1.0) * pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = bs_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = bs_rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}
