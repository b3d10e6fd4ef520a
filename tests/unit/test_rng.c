/* Random streams: the reference generator's known answers, seeding by name, and the
 * unbiased bounded draw. */
#include <math.h>

#include <faultline/rng.h>

#include "testutil.h"

START_TEST(xoshiro_known_answers)
{
    /* xoshiro256** from the state {1, 2, 3, 4}: first outputs of the reference code. */
    fl_rng r = {{1, 2, 3, 4}};
    ck_assert_uint_eq(fl_rng_next(&r), 11520ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 0ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 1509978240ULL);
    ck_assert_uint_eq(fl_rng_next(&r), 1215971899390074240ULL);
}
END_TEST

START_TEST(fnv_known_answers)
{
    ck_assert_uint_eq(fl_rng_hash_name(""), 0xcbf29ce484222325ULL);
    ck_assert_uint_eq(fl_rng_hash_name("a"), 0xaf63dc4c8601ec8cULL);
}
END_TEST

START_TEST(streams_are_named)
{
    fl_rng a, b, c, d;
    fl_rng_seed(&a, 1, "users/arrivals");
    fl_rng_seed(&b, 1, "users/arrivals");
    fl_rng_seed(&c, 1, "api/service_time");
    fl_rng_seed(&d, 2, "users/arrivals");
    int same_ab = 1, same_ac = 0, same_ad = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = fl_rng_next(&a);
        same_ab &= x == fl_rng_next(&b);
        same_ac += x == fl_rng_next(&c);
        same_ad += x == fl_rng_next(&d);
    }
    ck_assert(same_ab);
    ck_assert_int_eq(same_ac, 0);
    ck_assert_int_eq(same_ad, 0);
}
END_TEST

START_TEST(streams_are_uncorrelated)
{
    /* Sample correlation of uniforms from two streams of one seed: |r| < 5/sqrt(n). */
    fl_rng a, b;
    fl_rng_seed(&a, 7, "x");
    fl_rng_seed(&b, 7, "y");
    const int n = 1000000;
    double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        double x = fl_rng_uniform(&a), y = fl_rng_uniform(&b);
        sa += x, sb += y, sab += x * y, saa += x * x, sbb += y * y;
    }
    double cov = sab / n - (sa / n) * (sb / n);
    double r = cov / sqrt((saa / n - sa * sa / n / n) * (sbb / n - sb * sb / n / n));
    ck_assert_double_lt(fabs(r), 5 / sqrt(n));
}
END_TEST

START_TEST(uniform_ranges)
{
    fl_rng r;
    fl_rng_seed_raw(&r, 3);
    double lo = 1, hi = 0, sum = 0;
    for (int i = 0; i < 1000000; i++) {
        double u = fl_rng_uniform(&r), p = fl_rng_uniform_pos(&r);
        ck_assert(u >= 0 && u < 1);
        ck_assert(p > 0 && p <= 1);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        sum += u;
    }
    ck_assert_double_lt(lo, 1e-5);
    ck_assert_double_gt(hi, 1 - 1e-5);
    /* mean 1/2, sd of the mean sqrt(1/12/n): within 5 sd */
    ck_assert_double_lt(fabs(sum / 1e6 - 0.5), 5 * sqrt(1.0 / 12 / 1e6));
}
END_TEST

START_TEST(below_is_unbiased)
{
    /* Chi-square over 7 cells (a size that does not divide 2^64), 10^6 draws: the 99.9%
     * critical value for 6 degrees of freedom is 22.46. */
    fl_rng r;
    fl_rng_seed(&r, 11, "below");
    uint64_t cells[7] = {0};
    const int n = 1000000;
    for (int i = 0; i < n; i++) {
        uint64_t k = fl_rng_below(&r, 7);
        ck_assert_uint_lt(k, 7);
        cells[k]++;
    }
    double chi = 0, e = n / 7.0;
    for (int i = 0; i < 7; i++)
        chi += (cells[i] - e) * (cells[i] - e) / e;
    ck_assert_double_lt(chi, 22.46);
    ck_assert_uint_eq(fl_rng_below(&r, 1), 0);
    uint64_t big = (1ULL << 63) + 12345;
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_lt(fl_rng_below(&r, big), big);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("rng");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, xoshiro_known_answers);
    tcase_add_test(tc, fnv_known_answers);
    tcase_add_test(tc, streams_are_named);
    tcase_add_test(tc, streams_are_uncorrelated);
    tcase_add_test(tc, uniform_ranges);
    tcase_add_test(tc, below_is_unbiased);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
