/* The log-linear histogram against a sorted reference: percentile error within the bucket
 * bound, exact extremes and mean, merging, and the edges of the int64 range. */
#include <math.h>
#include <stdlib.h>

#include <faultline/hist.h>
#include <faultline/rng.h>

#include "core/alloc.h"
#include "testutil.h"

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Percentiles of lognormal data over six decades (ns to ms) against the sorted values:
 * the bucket holding rank ceil(q n) is at most 1/256 of its lower bound wide, so the
 * reported midpoint is within 2^-8 relative of the exact order statistic (the DESIGN bound
 * is 1%). */
START_TEST(percentiles_within_bucket_bound)
{
    const int n = 200000;
    int64_t *v = malloc(n * sizeof *v);
    fl_hist *h = fl_hist_new();
    ck_assert_ptr_nonnull(h);
    fl_rng r;
    fl_rng_seed(&r, 1, "hist");
    for (int i = 0; i < n; i++) {
        double z = sqrt(-2 * log(fl_rng_uniform_pos(&r))) * cos(6.283185307179586 * fl_rng_uniform(&r));
        v[i] = (int64_t)exp(10 + 3 * z);
        fl_hist_record(h, v[i]);
    }
    qsort(v, n, sizeof *v, cmp);
    double worst = 0;
    for (double q = 0.0005; q < 1; q += 0.0005) {
        size_t rank = (size_t)ceil(q * n);
        int64_t exact = v[rank - 1], got = fl_hist_quantile(h, q);
        double rel = fabs((double)(got - exact)) / (double)(exact ? exact : 1);
        worst = rel > worst ? rel : worst;
        ck_assert_msg(rel <= 0.01, "q=%g: %ld vs %ld", q, (long)got, (long)exact);
        ck_assert_msg(fabs((double)(got - exact)) <= (double)exact / 256 + 0.5, "q=%g: %ld vs %ld",
                      q, (long)got, (long)exact);
    }
    ck_assert_double_gt(worst, 0); /* the data does exercise the bucketed range */
    ck_assert_int_eq(fl_hist_quantile(h, 1), v[n - 1]);
    ck_assert_int_eq(fl_hist_quantile(h, 0), v[0]);
    ck_assert_int_eq(fl_hist_max(h), v[n - 1]);
    ck_assert_int_eq(fl_hist_min(h), v[0]);
    ck_assert_uint_eq(fl_hist_count(h), n);
    free(v);
    fl_hist_free(h);
}
END_TEST

START_TEST(small_values_exact)
{
    fl_hist *h = fl_hist_new();
    for (int i = 0; i < 100; i++)
        fl_hist_record(h, i);
    ck_assert_int_eq(fl_hist_quantile(h, 0.5), 49); /* rank 50 */
    ck_assert_int_eq(fl_hist_quantile(h, 0.01), 0);
    ck_assert_int_eq(fl_hist_quantile(h, 0.011), 1); /* rank ceil(1.1) = 2 */
    ck_assert_int_eq(fl_hist_quantile(h, 0.99), 98);
    ck_assert_int_eq(fl_hist_quantile(h, NAN), 0); /* treated as q <= 0: the min */
    ck_assert_double_eq(fl_hist_mean(h), 49.5);
    fl_hist_record(h, -5); /* negatives count as 0 */
    ck_assert_int_eq(fl_hist_min(h), 0);
    ck_assert_uint_eq(fl_hist_count(h), 101);
    fl_hist_free(h);
}
END_TEST

START_TEST(empty_and_reset)
{
    fl_alloc_fail_after(1);
    ck_assert_ptr_null(fl_hist_new());
    fl_alloc_fail_after(0);
    fl_hist *h = fl_hist_new();
    ck_assert_uint_eq(fl_hist_count(h), 0);
    ck_assert_int_eq(fl_hist_quantile(h, 0.5), 0);
    ck_assert_int_eq(fl_hist_min(h), 0);
    ck_assert_int_eq(fl_hist_max(h), 0);
    ck_assert_double_eq(fl_hist_mean(h), 0);
    for (int i = 0; i < 1000; i++)
        fl_hist_record(h, (int64_t)i * 1000003);
    fl_hist_reset(h);
    ck_assert_uint_eq(fl_hist_count(h), 0);
    ck_assert_int_eq(fl_hist_quantile(h, 0.5), 0);
    ck_assert_double_eq(fl_hist_mean(h), 0);
    fl_hist_record(h, 300); /* a reset histogram is as good as new */
    ck_assert_int_eq(fl_hist_quantile(h, 0.5), 300);
    ck_assert_int_eq(fl_hist_min(h), 300);
    ck_assert_int_eq(fl_hist_max(h), 300);
    fl_hist_free(h);
}
END_TEST

START_TEST(full_int64_range)
{
    fl_hist *h = fl_hist_new();
    fl_hist_record(h, INT64_MAX);
    ck_assert_int_eq(fl_hist_quantile(h, 0.5), INT64_MAX); /* clamped to the exact max */
    fl_hist_record(h, (int64_t)1 << 62);
    /* rank 1 is 2^62, in the bucket [2^62, 2^62 + 2^54): its midpoint, rounded down */
    ck_assert_int_eq(fl_hist_quantile(h, 0.5), ((int64_t)1 << 62) + ((int64_t)1 << 53) - 1);
    ck_assert_int_eq(fl_hist_max(h), INT64_MAX);
    /* each power of two from 2^8 up: the midpoint stays within 2^-9 of a value in the
     * middle of its bucket */
    for (int e = 8; e < 63; e++) {
        fl_hist *g = fl_hist_new();
        int64_t x = ((int64_t)1 << e) + ((int64_t)1 << e) / 3;
        fl_hist_record(g, x);
        fl_hist_record(g, x + 1); /* two values so the min/max clamp is not the answer */
        int64_t got = fl_hist_quantile(g, 0.5);
        ck_assert_msg(fabs((double)got - (double)x) <= (double)x / 256, "2^%d: %ld vs %ld", e,
                      (long)got, (long)x);
        fl_hist_free(g);
    }
    fl_hist_free(h);
}
END_TEST

/* The mean comes from an exact integer sum: a double accumulator would lose these. */
START_TEST(mean_is_exact)
{
    fl_hist *h = fl_hist_new();
    const int64_t big = (int64_t)1 << 53;
    fl_hist_record(h, big);
    for (int i = 0; i < 1000; i++)
        fl_hist_record(h, 1); /* big + 1 == big in double: each 1 would vanish */
    ck_assert_double_eq(fl_hist_mean(h), (double)(big + 1000) / 1001);
    fl_hist_reset(h);
    for (int i = 0; i < 4; i++)
        fl_hist_record(h, INT64_MAX); /* the sum passes 2^64 */
    ck_assert_double_eq(fl_hist_mean(h), (double)INT64_MAX);
    fl_hist_free(h);
}
END_TEST

/* Every observable figure of h equals that of ref. */
static void same_hist(const fl_hist *h, const fl_hist *ref)
{
    ck_assert_uint_eq(fl_hist_count(h), fl_hist_count(ref));
    ck_assert_int_eq(fl_hist_min(h), fl_hist_min(ref));
    ck_assert_int_eq(fl_hist_max(h), fl_hist_max(ref));
    ck_assert_double_eq(fl_hist_mean(h), fl_hist_mean(ref)); /* bit for bit */
    for (int k = 0; k <= 1000; k++)
        ck_assert_int_eq(fl_hist_quantile(h, k / 1000.0), fl_hist_quantile(ref, k / 1000.0));
}

START_TEST(merge_equals_recording_all)
{
    fl_hist *part[3] = {fl_hist_new(), fl_hist_new(), fl_hist_new()}, *all = fl_hist_new();
    fl_rng r;
    fl_rng_seed(&r, 2, "merge");
    for (int i = 0; i < 60000; i++) {
        int64_t x = (int64_t)(fl_rng_next(&r) >> (i % 50 + 1)); /* many magnitudes */
        fl_hist_record(part[i % 3], x);
        fl_hist_record(all, x);
    }
    /* Merged in either order into an empty histogram: the same as recording everything. */
    fl_hist *fwd = fl_hist_new(), *back = fl_hist_new();
    for (int k = 0; k < 3; k++) {
        fl_hist_merge(fwd, part[k]);
        fl_hist_merge(back, part[2 - k]);
    }
    same_hist(fwd, all);
    same_hist(back, all);
    /* Merging an empty histogram changes nothing; merging into a used one adds. */
    fl_hist *empty = fl_hist_new();
    fl_hist_merge(fwd, empty);
    same_hist(fwd, all);
    fl_hist_merge(empty, part[0]);
    same_hist(empty, part[0]);
    /* A histogram merged into itself counts everything twice. */
    fl_hist *twice = fl_hist_new();
    fl_hist_merge(twice, all);
    fl_hist_merge(twice, all);
    fl_hist_merge(fwd, fwd);
    same_hist(fwd, twice);
    for (int k = 0; k < 3; k++)
        fl_hist_free(part[k]);
    fl_hist_free(all);
    fl_hist_free(fwd);
    fl_hist_free(back);
    fl_hist_free(empty);
    fl_hist_free(twice);
}
END_TEST

/* Buckets are cleared as the touched range widens, not when the histogram is made: counts
 * left in reused memory (a freed histogram's, here, most likely handed back by malloc) or
 * before a reset never show. Values far apart leave a wide gap that must read as empty. */
START_TEST(stale_memory_never_counted)
{
    for (int round = 0; round < 4; round++) {
        fl_hist *dirty = fl_hist_new();
        ck_assert_ptr_nonnull(dirty);
        for (int64_t v = 1; v < INT64_MAX / 2; v += v / 300 + 1) /* every bucket, about */
            fl_hist_record(dirty, v);
        fl_hist_free(dirty);
        fl_hist *h = fl_hist_new(); /* likely the same memory, its counts still there */
        ck_assert_ptr_nonnull(h);
        fl_hist_record(h, 1000000);     /* the range starts in the middle ... */
        fl_hist_record(h, 3);           /* ... widens down ... */
        fl_hist_record(h, 1000000000);  /* ... and up, over dirty buckets */
        ck_assert_uint_eq(fl_hist_count(h), 3);
        ck_assert_int_eq(fl_hist_quantile(h, 0.3), 3);
        /* rank 2 of 3 is 10^6, within its bucket's 1/256 */
        int64_t med = fl_hist_quantile(h, 0.5);
        ck_assert_int_ge(med, 1000000 - 1000000 / 256);
        ck_assert_int_le(med, 1000000 + 1000000 / 256);
        int64_t top = fl_hist_quantile(h, 0.9); /* rank 3: past the gap above 10^6 */
        ck_assert_int_ge(top, 1000000000 - 1000000000 / 256);
        ck_assert_int_le(top, 1000000000);
        /* after a reset the old range is gone: one value at the far end, then one low */
        fl_hist_reset(h);
        fl_hist_record(h, 5000);
        fl_hist_record(h, 7);
        ck_assert_uint_eq(fl_hist_count(h), 2);
        ck_assert_int_eq(fl_hist_quantile(h, 0.5), 7);
        ck_assert_int_eq(fl_hist_quantile(h, 1.0), 5000);
        /* merging a range wider on both sides into h zeroes what it takes in */
        fl_hist *wide = fl_hist_new();
        fl_hist_record(wide, 1);
        fl_hist_record(wide, (int64_t)1 << 40);
        fl_hist_merge(h, wide);
        ck_assert_uint_eq(fl_hist_count(h), 4);
        ck_assert_int_eq(fl_hist_quantile(h, 0.25), 1);
        ck_assert_int_eq(fl_hist_quantile(h, 0.5), 7);
        int64_t q3 = fl_hist_quantile(h, 0.75);
        ck_assert_int_ge(q3, 5000 - 5000 / 256);
        ck_assert_int_le(q3, 5000 + 5000 / 256);
        fl_hist_free(wide);
        fl_hist_free(h);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("hist");
    tcase_add_test(tc, percentiles_within_bucket_bound);
    tcase_add_test(tc, small_values_exact);
    tcase_add_test(tc, empty_and_reset);
    tcase_add_test(tc, full_int64_range);
    tcase_add_test(tc, mean_is_exact);
    tcase_add_test(tc, merge_equals_recording_all);
    tcase_add_test(tc, stale_memory_never_counted);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
