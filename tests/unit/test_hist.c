/* The log-linear histogram against a sorted reference. */
#include <math.h>
#include <stdlib.h>

#include <faultline/hist.h>
#include <faultline/rng.h>

#include "testutil.h"

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(percentiles_within_one_percent)
{
    const int n = 200000;
    int64_t *v = malloc(n * sizeof *v);
    fl_hist *h = fl_hist_new();
    fl_rng r;
    fl_rng_seed(&r, 1, "hist");
    double sum = 0;
    for (int i = 0; i < n; i++) {
        /* lognormal over six decades: ns to ms */
        double z = sqrt(-2 * log(fl_rng_uniform_pos(&r))) * cos(6.283185307179586 * fl_rng_uniform(&r));
        v[i] = (int64_t)exp(10 + 3 * z);
        sum += (double)v[i];
        fl_hist_record(h, v[i]);
    }
    qsort(v, n, sizeof *v, cmp);
    const double qs[] = {0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        size_t rank = (size_t)ceil(qs[i] * n);
        int64_t exact = v[rank - 1], got = fl_hist_quantile(h, qs[i]);
        ck_assert_msg(fabs((double)(got - exact)) <= 0.01 * (double)exact + 0.5,
                      "q=%g: %ld vs %ld", qs[i], (long)got, (long)exact);
    }
    ck_assert_int_eq(fl_hist_quantile(h, 1), v[n - 1]);
    ck_assert_int_eq(fl_hist_max(h), v[n - 1]);
    ck_assert_int_eq(fl_hist_min(h), v[0]);
    ck_assert_uint_eq(fl_hist_count(h), n);
    ck_assert_double_eq_tol(fl_hist_mean(h), sum / n, 1e-6 * sum / n);
    free(v);
    fl_hist_free(h);
}
END_TEST

START_TEST(small_values_exact)
{
    fl_hist *h = fl_hist_new();
    for (int i = 0; i < 100; i++)
        fl_hist_record(h, i);
    ck_assert_int_eq(fl_hist_quantile(h, 0.5), 49);
    ck_assert_int_eq(fl_hist_quantile(h, 0.01), 0);
    ck_assert_int_eq(fl_hist_quantile(h, 0.99), 98);
    fl_hist_record(h, -5); /* negatives count as 0 */
    ck_assert_int_eq(fl_hist_min(h), 0);
    fl_hist_record(h, INT64_MAX);
    ck_assert_int_eq(fl_hist_max(h), INT64_MAX);
    fl_hist_reset(h);
    ck_assert_uint_eq(fl_hist_count(h), 0);
    ck_assert_int_eq(fl_hist_quantile(h, 0.5), 0);
    ck_assert_double_eq(fl_hist_mean(h), 0);
    fl_hist_free(h);
}
END_TEST

START_TEST(merge_equals_recording_all)
{
    fl_hist *a = fl_hist_new(), *b = fl_hist_new(), *all = fl_hist_new();
    fl_rng r;
    fl_rng_seed(&r, 2, "merge");
    for (int i = 0; i < 50000; i++) {
        int64_t x = (int64_t)(fl_rng_next(&r) >> 20);
        fl_hist_record(i % 3 ? a : b, x);
        fl_hist_record(all, x);
    }
    fl_hist_merge(a, b);
    ck_assert_uint_eq(fl_hist_count(a), fl_hist_count(all));
    ck_assert_int_eq(fl_hist_min(a), fl_hist_min(all));
    ck_assert_int_eq(fl_hist_max(a), fl_hist_max(all));
    for (double q = 0.01; q < 1; q += 0.01)
        ck_assert_int_eq(fl_hist_quantile(a, q), fl_hist_quantile(all, q));
    fl_hist_free(a);
    fl_hist_free(b);
    fl_hist_free(all);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("hist");
    tcase_add_test(tc, percentiles_within_one_percent);
    tcase_add_test(tc, small_values_exact);
    tcase_add_test(tc, merge_equals_recording_all);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
