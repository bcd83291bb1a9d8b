/* rng.h - a small deterministic PRNG (xoshiro256**, seeded through
 * splitmix64) whose whole state is four 64-bit words, so that it can be
 * saved in a checkpoint and restored bit for bit.
 *
 * Non-goals: cryptographic quality, streams that jump ahead.
 */
#ifndef GPT_RNG_H
#define GPT_RNG_H

#include <stdint.h>

typedef struct gpt_rng {
    uint64_t s[4]; /* xoshiro256** state; never all zero */
} gpt_rng_t;

/* The state for a seed (any value, 0 included). */
void gpt_rng_seed(gpt_rng_t *r, uint64_t seed);

/* The next 64 random bits. */
uint64_t gpt_rng_next(gpt_rng_t *r);

/* Uniform in [0, n) (n > 0), without modulo bias. */
uint64_t gpt_rng_below(gpt_rng_t *r, uint64_t n);

/* Uniform double in [0, 1) with 53 random bits. */
double gpt_rng_uniform(gpt_rng_t *r);

/* Standard normal (Box-Muller; consumes two draws per value). */
double gpt_rng_normal(gpt_rng_t *r);

#endif /* GPT_RNG_H */
