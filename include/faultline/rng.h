/* Named random streams: xoshiro256** seeded through splitmix64 from (run seed, stream name).
 *
 * fl_rng is a small value type, not opaque: it is drawn from on every event, and the call
 * must inline. Each component owns its streams; adding a component never shifts another's
 * sequence, which is what gives baseline and fix common random numbers. */
#ifndef FAULTLINE_RNG_H
#define FAULTLINE_RNG_H

#include <stdint.h>

typedef struct fl_rng {
    uint64_t s[4];
} fl_rng;

/* 64-bit FNV-1a of a NUL-terminated name: the stream's identity. */
uint64_t fl_rng_hash_name(const char *name);
/* Seeds a stream from the run seed and its name. Same inputs, same sequence, everywhere. */
void fl_rng_seed(fl_rng *r, uint64_t seed, const char *name);
/* Seeds a stream from a raw 64-bit value (tests, known-answer vectors). */
void fl_rng_seed_raw(fl_rng *r, uint64_t seed);

static inline uint64_t fl__rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* Next 64 random bits (xoshiro256**). */
static inline uint64_t fl_rng_next(fl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = fl__rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = fl__rotl(s[3], 45);
    return result;
}

/* Uniform double in [0, 1), 53 bits. */
static inline double fl_rng_uniform(fl_rng *r) { return (double)(fl_rng_next(r) >> 11) * 0x1.0p-53; }
/* Uniform double in (0, 1]: safe to take a log of. */
static inline double fl_rng_uniform_pos(fl_rng *r)
{
    return (double)((fl_rng_next(r) >> 11) + 1) * 0x1.0p-53;
}
/* Uniform integer in [0, n), n > 0, without modulo bias (Lemire). */
uint64_t fl_rng_below(fl_rng *r, uint64_t n);

#endif
