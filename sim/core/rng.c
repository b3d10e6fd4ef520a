/* Named random streams: see rng.h.
 *
 * A stream's state is four 64-bit words filled by splitmix64 from one 64-bit value:
 * fl_rng_seed_raw takes that value as given, fl_rng_seed derives it from the run seed and
 * the FNV-1a hash of the stream's name. Invariant: the state is never all zero (the one
 * state xoshiro256** cannot leave). Everything here is integer arithmetic, so a stream's
 * sequence is the same on every compiler and machine. */
#include <faultline/rng.h>

uint64_t fl_rng_hash_name(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64-bit offset basis */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL; /* FNV-1a 64-bit prime */
    return h;
}

/* One step of splitmix64 (Steele, Lea and Flood's SplittableRandom finaliser). */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void fl_rng_seed_raw(fl_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1; /* cannot happen for four consecutive outputs, but cheap to guarantee */
}

void fl_rng_seed(fl_rng *r, uint64_t seed, const char *name)
{
    /* The name hash goes through splitmix before the XOR: FNV values of similar names
     * differ in few bits, and seed ^ raw_hash could make (seed s, name a) collide with
     * (seed s', name b) for small seeds. After mixing, a collision needs a 64-bit accident. */
    uint64_t x = fl_rng_hash_name(name);
    uint64_t h = splitmix64(&x);
    fl_rng_seed_raw(r, seed ^ h);
}

uint64_t fl_rng_below(fl_rng *r, uint64_t n)
{
    /* Lemire's nearly-divisionless method: the high word of x * n is uniform on [0, n) once
     * the low word is outside the short biased zone [0, 2^64 mod n); the division computing
     * that zone runs only when the low word is < n, with probability n / 2^64.
     * n == 0 returns 0 (the product is 0 and the rejection test never fires). */
    uint64_t x = fl_rng_next(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n; /* 2^64 mod n */
        while (l < t) {
            x = fl_rng_next(r);
            m = (__uint128_t)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
