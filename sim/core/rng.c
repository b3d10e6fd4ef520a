/* Named random streams: see rng.h. */
#include <faultline/rng.h>

uint64_t fl_rng_hash_name(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

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
        r->s[0] = 1; /* the all-zero state is the one xoshiro cannot leave */
}

void fl_rng_seed(fl_rng *r, uint64_t seed, const char *name)
{
    /* Mix the name hash through splitmix first, so seeds s and s+1 of one stream and
     * streams with similar names start far apart. */
    uint64_t x = fl_rng_hash_name(name);
    uint64_t h = splitmix64(&x);
    fl_rng_seed_raw(r, seed ^ h);
}

uint64_t fl_rng_below(fl_rng *r, uint64_t n)
{
    /* Lemire's multiply-shift with rejection: unbiased, usually one multiplication. */
    uint64_t x = fl_rng_next(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n;
        while (l < t) {
            x = fl_rng_next(r);
            m = (__uint128_t)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
