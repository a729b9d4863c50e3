/*
 * Bouwstroom engine core: a seeded, reproducible pseudo-random number generator.
 *
 * xoshiro256** 1.0 (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 2021), seeded through splitmix64 (Steele, Lea & Flood 2014) as its authors
 * recommend. The state is a value owned by the caller and passed to every call: no globals.
 * The same seed gives the same stream on every platform.
 */
#ifndef BS_RNG_H
#define BS_RNG_H

#include <stdint.h>

typedef struct bs_rng {
    uint64_t s[4];
} bs_rng;

/* Seeds the state from one 64-bit seed (any value, 0 included). */
void bs_rng_seed(bs_rng *r, uint64_t seed);
/* Next 64 random bits. */
uint64_t bs_rng_next(bs_rng *r);
/* Uniform double in the open interval (0, 1) (53 random bits, never 0 or 1). */
double bs_rng_uniform(bs_rng *r);
/* Standard normal deviate (inversion of one uniform through bs_qnorm: one draw per call). */
double bs_rng_normal(bs_rng *r);
/* Gamma(shape, 1) deviate, Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables", ACM TOMS 26:363–372; shape < 1 via the boost U^(1/shape). */
double bs_rng_gamma(bs_rng *r, double shape);

#endif
