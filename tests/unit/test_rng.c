/* Random streams: the reference generators' known answers, seeding by name (pinned, so a
 * change to seeding that would shift every run's numbers cannot pass unnoticed), stream
 * independence, and the unbiased bounded draw. */
#include <math.h>

#include <faultline/rng.h>

#include "testutil.h"

START_TEST(xoshiro_known_answers)
{
    /* xoshiro256** from the state {1, 2, 3, 4}: first outputs of the reference algorithm. */
    fl_rng r = {{1, 2, 3, 4}};
    ck_assert_uint_eq(fl_rng_next(&r), 11520ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 0ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 1509978240ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 1215971899390074240ULL);
}
END_TEST

START_TEST(fnv_known_answers)
{
    /* FNV-1a 64 published test vectors */
    ck_assert_uint_eq(fl_rng_hash_name(""), 0xcbf29ce484222325ULL);
    ck_assert_uint_eq(fl_rng_hash_name("a"), 0xaf63dc4c8601ec8cULL);
    ck_assert_uint_eq(fl_rng_hash_name("foobar"), 0x85944171f73967e8ULL);
}
END_TEST

START_TEST(splitmix_seeding)
{
    /* fl_rng_seed_raw fills the state with splitmix64's outputs: from 0 these are the
     * generator's published first four values. */
    fl_rng r;
    fl_rng_seed_raw(&r, 0);
    ck_assert_uint_eq(r.s[0], 0xe220a8397b1dcdafULL);
    ck_assert_uint_eq(r.s[1], 0x6e789e6aa1b965f4ULL);
    ck_assert_uint_eq(r.s[2], 0x06c45d188009454fULL);
    ck_assert_uint_eq(r.s[3], 0xf88bb8a8724c81ecULL);
}
END_TEST

START_TEST(named_seeding_is_pinned)
{
    /* Computed from the algorithm's description (FNV-1a, one splitmix64 step, XOR with the
     * seed, splitmix64 fill, xoshiro256**). Every run's numbers hang on these. */
    fl_rng r;
    fl_rng_seed(&r, 1, "users/arrivals");
    ck_assert_uint_eq(fl_rng_next(&r), 4017760898760169558ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 1942335990752274176ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 7084550123810580152ULL);
    fl_rng_seed(&r, 42, "api/service_time");
    ck_assert_uint_eq(fl_rng_next(&r), 17335292437218613230ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 2765922768367367887ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 14757196235944367047ULL);
}
END_TEST

/* Counts positions where two streams give the same 64-bit word (0 expected: a chance
 * match has probability 2^-64 per draw). */
static int same_words(fl_rng a, fl_rng b, int n)
{
    int same = 0;
    for (int i = 0; i < n; i++)
        same += fl_rng_next(&a) == fl_rng_next(&b);
    return same;
}

START_TEST(streams_are_named)
{
    fl_rng a, a2, b, c, d, e;
    fl_rng_seed(&a, 1, "users/arrivals");
    fl_rng_seed(&a2, 1, "users/arrivals");
    fl_rng_seed(&b, 1, "users/arrivalt"); /* one letter apart */
    fl_rng_seed(&c, 1, "api/service_time");
    fl_rng_seed(&d, 2, "users/arrivals"); /* the next seed */
    fl_rng_seed(&e, 0, "");
    ck_assert_int_eq(same_words(a, a2, 1000), 1000);
    ck_assert_int_eq(same_words(a, b, 1000), 0);
    ck_assert_int_eq(same_words(a, c, 1000), 0);
    ck_assert_int_eq(same_words(a, d, 1000), 0);
    ck_assert(e.s[0] | e.s[1] | e.s[2] | e.s[3]); /* never the all-zero state */
    /* Drawing from one stream leaves another untouched: streams share nothing. */
    fl_rng x, y, y2;
    fl_rng_seed(&x, 9, "x");
    fl_rng_seed(&y, 9, "y");
    y2 = y;
    for (int i = 0; i < 100; i++)
        fl_rng_next(&x);
    ck_assert_int_eq(same_words(y, y2, 100), 100);
}
END_TEST

START_TEST(streams_are_uncorrelated)
{
    /* Sample correlation of uniforms from two streams of one seed: under independence it is
     * about normal with sd 1/sqrt(n); |r| < 5/sqrt(n). Same for the next seed's stream. */
    const int n = 1000000;
    const char *pairs[][2] = {{"x", "y"}, {"users/arrivals", "users/arrivals"}};
    const uint64_t seeds[][2] = {{7, 7}, {7, 8}};
    for (int k = 0; k < 2; k++) {
        fl_rng a, b;
        fl_rng_seed(&a, seeds[k][0], pairs[k][0]);
        fl_rng_seed(&b, seeds[k][1], pairs[k][1]);
        double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            double x = fl_rng_uniform(&a), y = fl_rng_uniform(&b);
            sa += x, sb += y, sab += x * y, saa += x * x, sbb += y * y;
        }
        double cov = sab / n - (sa / n) * (sb / n);
        double r = cov / sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
        ck_assert_msg(fabs(r) < 5 / sqrt(n), "pair %d: r = %g", k, r);
    }
}
END_TEST

START_TEST(uniform_ranges)
{
    fl_rng r;
    fl_rng_seed_raw(&r, 3);
    double lo = 1, hi = 0, sum = 0;
    int bad = 0;
    const int n = 1000000;
    for (int i = 0; i < n; i++) {
        double u = fl_rng_uniform(&r), p = fl_rng_uniform_pos(&r);
        bad += !(u >= 0 && u < 1) + !(p > 0 && p <= 1);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        sum += u;
    }
    ck_assert_int_eq(bad, 0);
    ck_assert_double_lt(lo, 1e-5);
    ck_assert_double_gt(hi, 1 - 1e-5);
    /* mean 1/2, sd of the mean sqrt(1/12/n): within 5 sd */
    ck_assert_double_lt(fabs(sum / n - 0.5), 5 * sqrt(1.0 / 12 / n));
    /* the extremes of the 53-bit grid */
    fl_rng z = {{0, 0, 0, 0}}; /* all-zero state: every output is 0 */
    ck_assert_double_eq(fl_rng_uniform(&z), 0);
    ck_assert_double_eq(fl_rng_uniform_pos(&z), 0x1.0p-53);
}
END_TEST

/* Chi-square statistic of counts against equal expectations. */
static double chi_square(const uint64_t *cells, int k, int n)
{
    double chi = 0, e = (double)n / k;
    for (int i = 0; i < k; i++)
        chi += ((double)cells[i] - e) * ((double)cells[i] - e) / e;
    return chi;
}

START_TEST(below_is_unbiased)
{
    const int n = 1000000;
    fl_rng r;
    fl_rng_seed(&r, 11, "below");
    /* 7 cells (7 does not divide 2^64), 10^6 draws: chi-square with 6 degrees of freedom,
     * 99.9% critical value 22.46. */
    uint64_t cells[7] = {0};
    int out_of_range = 0;
    for (int i = 0; i < n; i++) {
        uint64_t k = fl_rng_below(&r, 7);
        out_of_range += k >= 7;
        cells[k < 7 ? k : 0]++;
    }
    ck_assert_int_eq(out_of_range, 0);
    ck_assert_double_lt(chi_square(cells, 7, n), 22.46);

    /* n = 3 * 2^62: a plain multiply-shift maps two words to every multiple of 3 and one to
     * the others, so draws mod 3 would be 0 half the time; a modulo would put half of them
     * below 2^62. Only the rejection step makes both uniform. Chi-square with 2 degrees of
     * freedom, 99.9% critical value 13.82. */
    const uint64_t big = 3ULL << 62;
    uint64_t mod3[3] = {0}, third[3] = {0};
    for (int i = 0; i < n; i++) {
        uint64_t k = fl_rng_below(&r, big);
        out_of_range += k >= big;
        mod3[k % 3]++;
        third[k >> 62]++;
    }
    ck_assert_int_eq(out_of_range, 0);
    ck_assert_double_lt(chi_square(mod3, 3, n), 13.82);
    ck_assert_double_lt(chi_square(third, 3, n), 13.82);

    ck_assert_uint_eq(fl_rng_below(&r, 1), 0);
    ck_assert_uint_eq(fl_rng_below(&r, 0), 0); /* outside the contract, yet no division by 0 */
    ck_assert_uint_lt(fl_rng_below(&r, UINT64_MAX), UINT64_MAX);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("rng");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, xoshiro_known_answers);
    tcase_add_test(tc, fnv_known_answers);
    tcase_add_test(tc, splitmix_seeding);
    tcase_add_test(tc, named_seeding_is_pinned);
    tcase_add_test(tc, streams_are_named);
    tcase_add_test(tc, streams_are_uncorrelated);
    tcase_add_test(tc, uniform_ranges);
    tcase_add_test(tc, below_is_unbiased);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
