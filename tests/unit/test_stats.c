/* Quantiles and confidence intervals. */
#include <math.h>

#include <faultline/rng.h>

#include "core/stats.h"
#include "testutil.h"

START_TEST(t_quantiles_match_tables)
{
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 1), 12.7062, 1e-4);
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 2), 4.3027, 1e-4);
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 4), 2.7764, 1e-4);
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 29), 2.0452, 1e-4);
    ck_assert_double_eq_tol(fl_t_quantile(0.9995, 31), 3.6335, 1e-3);
    ck_assert_double_eq_tol(fl_t_quantile(0.025, 10), -2.2281, 1e-4);
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 1000000), 1.95996, 1e-5);
    ck_assert_double_eq_tol(fl_normal_quantile(0.975), 1.959964, 1e-6);
    ck_assert_double_eq_tol(fl_normal_quantile(0.5), 0, 1e-12);
    ck_assert_double_eq_tol(fl_normal_quantile(0.001), -3.090232, 1e-6);
    ck_assert(isnan(fl_t_quantile(0.5, 0)));
}
END_TEST

START_TEST(batch_interval_covers_the_mean)
{
    /* 400 independent replications of 3200 exponential samples spread over 32 batches:
     * the 95% interval must cover the true mean in 90-99% of them. */
    int covered = 0;
    const int reps = 400;
    for (int rep = 0; rep < reps; rep++) {
        fl_rng r;
        fl_rng_seed(&r, (uint64_t)rep, "cover");
        fl_batch b;
        fl_batch_init(&b, 0, 3200, 32);
        for (int t = 0; t < 3200; t++)
            fl_batch_add(&b, t, -log(fl_rng_uniform_pos(&r)));
        double hw = fl_batch_halfwidth(&b, 0.95);
        covered += fabs(fl_batch_mean(&b) - 1.0) <= hw;
    }
    ck_assert_int_ge(covered, (int)(0.90 * reps));
    ck_assert_int_le(covered, (int)(0.99 * reps));
}
END_TEST

START_TEST(batch_edges)
{
    fl_batch b;
    fl_batch_init(&b, 100, 200, 4);
    fl_batch_add(&b, 99, 1000); /* before the window */
    fl_batch_add(&b, 200, 1000); /* at its end: excluded */
    fl_batch_add(&b, 100, 1);
    ck_assert_double_eq(fl_batch_mean(&b), 1);
    ck_assert(isnan(fl_batch_halfwidth(&b, 0.95))); /* one batch: no interval */
    fl_batch_add(&b, 199, 3);
    ck_assert_double_eq(fl_batch_mean(&b), 2);
    ck_assert(!isnan(fl_batch_halfwidth(&b, 0.95)));
}
END_TEST

START_TEST(level_time_average)
{
    fl_level l;
    fl_level_init(&l, 10, 110, 4); /* batches of 25 */
    fl_level_set(&l, 0, 5);        /* before the window: only [10, 20) counts */
    fl_level_set(&l, 20, 1);
    fl_level_set(&l, 60, 3);
    fl_level_finish(&l, 110);
    /* 5*10 + 1*40 + 3*50 = 240 over 100 */
    ck_assert_double_eq_tol(fl_level_mean(&l), 2.4, 1e-12);
    ck_assert(!isnan(fl_level_halfwidth(&l, 0.95)));
    fl_level l2;
    fl_level_init(&l2, 0, 100, 4);
    fl_level_set(&l2, 0, 2);
    fl_level_finish(&l2, 100);
    ck_assert_double_eq(fl_level_mean(&l2), 2);
    ck_assert_double_eq(fl_level_halfwidth(&l2, 0.95), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    tcase_add_test(tc, t_quantiles_match_tables);
    tcase_add_test(tc, batch_interval_covers_the_mean);
    tcase_add_test(tc, batch_edges);
    tcase_add_test(tc, level_time_average);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
