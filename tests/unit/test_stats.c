/* Quantiles and confidence intervals: t and normal quantiles against printed tables and
 * against 17-digit reference values, the batch cut, exact level integration across batch
 * boundaries, and the coverage of batch-means intervals over independent replications. */
#include <math.h>
#include <stdint.h>

#include <faultline/rng.h>

#include "core/stats.h"
#include "testutil.h"

/* |got - want| <= rel * |want| */
#define ck_rel(got, want, rel)                                                              \
    ck_assert_msg(fabs((got) - (want)) <= (rel)*fabs(want), "%s = %.17g, want %.17g", #got,  \
                  (double)(got), (double)(want))

START_TEST(t_quantiles_match_tables)
{
    /* Printed 4-decimal tables: within half a unit of the last place. */
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 1), 12.7062, 5e-5);
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 2), 4.3027, 5e-5);
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 4), 2.7764, 5e-5);
    ck_assert_double_eq_tol(fl_t_quantile(0.975, 29), 2.0452, 5e-5);
    ck_assert_double_eq_tol(fl_t_quantile(0.975, INT32_MAX), 1.95996, 5e-6); /* df = inf */
    /* 17-digit values (the exact t CDF inverted in 30-digit arithmetic): 1e-9 relative,
     * far inside the 1e-6 that confidence intervals need. */
    ck_rel(fl_t_quantile(0.975, 1), 12.706204736174693, 1e-9);
    ck_rel(fl_t_quantile(0.975, 2), 4.3026527297494618, 1e-9);
    ck_rel(fl_t_quantile(0.975, 3), 3.1824463052837084, 1e-9);
    ck_rel(fl_t_quantile(0.975, 4), 2.7764451051977935, 1e-9);
    ck_rel(fl_t_quantile(0.975, 29), 2.0452296421327039, 1e-9);
    ck_rel(fl_t_quantile(0.975, 31), 2.0395134463964081, 1e-9);
    ck_rel(fl_t_quantile(0.995, 10), 3.1692726726169507, 1e-9);
    ck_rel(fl_t_quantile(0.95, 5), 2.0150483733330235, 1e-9);
    ck_rel(fl_t_quantile(0.9995, 31), 3.6334563497583717, 1e-9);
    ck_rel(fl_t_quantile(0.9995, 3), 12.923978636687964, 1e-9);
    ck_rel(fl_t_quantile(0.999, 63), 3.2247087385453935, 1e-9);
    ck_rel(fl_t_quantile(0.6, 7), 0.26316686135202275, 1e-9);
    ck_rel(fl_t_quantile(0.025, 10), -2.2281388519862747, 1e-9);
    ck_rel(fl_t_quantile(0.975, 5000), 1.9604385517065075, 1e-9);
    ck_rel(fl_t_quantile(0.975, INT32_MAX), 1.9599639845400539, 1e-9);
    /* symmetry, the centre, monotonicity in df */
    for (int df = 1; df <= 200; df++) {
        ck_assert_double_eq(fl_t_quantile(0.125, df), -fl_t_quantile(0.875, df));
        ck_assert_double_eq(fl_t_quantile(0.5, df), 0);
        ck_assert_double_gt(fl_t_quantile(0.975, df), fl_t_quantile(0.975, df + 1));
    }
    ck_assert(isnan(fl_t_quantile(0.5, 0)));
    ck_assert(isnan(fl_t_quantile(0, 5)));
    ck_assert(isnan(fl_t_quantile(1, 5)));
    ck_assert(isnan(fl_t_quantile(NAN, 5)));
}
END_TEST

START_TEST(normal_quantiles)
{
    ck_rel(fl_normal_quantile(0.975), 1.9599639845400539, 1e-13);
    ck_rel(fl_normal_quantile(1e-10), -6.3613409024040562, 1e-13);
    ck_assert_double_eq(fl_normal_quantile(0.5), 0);
    ck_assert_double_eq(fl_normal_quantile(0.25), -fl_normal_quantile(0.75));
    ck_assert(isinf(fl_normal_quantile(0)) && fl_normal_quantile(0) < 0);
    ck_assert(isinf(fl_normal_quantile(1)) && fl_normal_quantile(1) > 0);
    ck_assert(isnan(fl_normal_quantile(-0.1)));
}
END_TEST

START_TEST(batches_cut_evenly)
{
    /* [0, 10) in 4 batches: lengths 3, 3, 2, 2 (differing by at most 1 ns). */
    fl_batch b;
    fl_batch_init(&b, 0, 10, 4);
    const fl_time t[] = {0, 2, 3, 5, 6, 7, 8, 9};
    const int want[] = {0, 0, 1, 1, 2, 2, 3, 3};
    for (int i = 0; i < 8; i++) {
        fl_batch_add(&b, t[i], 1);
        ck_assert_uint_eq(b.count[want[i]], (uint64_t)(i % 2 + 1));
    }
    /* more batches than nanoseconds: one per ns */
    fl_batch_init(&b, 0, 3, 32);
    ck_assert_int_eq(b.cut.nb, 3);
    /* clamped to [2, 64] */
    fl_batch_init(&b, 0, 1000, 1000);
    ck_assert_int_eq(b.cut.nb, 64);
    fl_batch_init(&b, 0, 1000, 0);
    ck_assert_int_eq(b.cut.nb, 2);
}
END_TEST

START_TEST(batch_edges)
{
    fl_batch b;
    fl_batch_init(&b, 100, 200, 4);
    fl_batch_add(&b, 99, 1000);  /* before the window */
    fl_batch_add(&b, 200, 1000); /* at its end: excluded */
    ck_assert_double_eq(fl_batch_mean(&b), 0);
    fl_batch_add(&b, 100, 1);
    ck_assert_double_eq(fl_batch_mean(&b), 1);
    ck_assert(isnan(fl_batch_halfwidth(&b, 0.95))); /* one batch: no interval */
    fl_batch_add(&b, 199, 3);
    ck_assert_double_eq(fl_batch_mean(&b), 2);
    /* batch means 1 and 3: sd sqrt(2), t_{0.975,1} = 12.706: hw = 12.706 * sqrt(2) / sqrt(2) */
    ck_rel(fl_batch_halfwidth(&b, 0.95), 12.706204736174693, 1e-9);
    ck_assert(isnan(fl_batch_halfwidth(&b, 1.5)));
}
END_TEST

START_TEST(level_time_average)
{
    fl_level l;
    fl_level_init(&l, 10, 110, 4); /* batches of 25: [10,35) [35,60) [60,85) [85,110) */
    fl_level_set(&l, 0, 5);        /* before the window: only [10, 20) counts */
    fl_level_set(&l, 20, 1);
    fl_level_set(&l, 60, 3);
    fl_level_set(&l, 60, 3);       /* a repeat at the same time changes nothing */
    fl_level_set(&l, 200, 0);      /* past the end: integrates up to 110 only */
    fl_level_finish(&l, 300);
    /* area split exactly at the boundaries */
    ck_assert_double_eq(l.area[0], 5 * 10 + 1 * 15);
    ck_assert_double_eq(l.area[1], 1 * 25);
    ck_assert_double_eq(l.area[2], 3 * 25);
    ck_assert_double_eq(l.area[3], 3 * 25);
    /* 5*10 + 1*40 + 3*50 = 240 over 100 */
    ck_assert_double_eq_tol(fl_level_mean(&l), 2.4, 1e-12);
    ck_assert(!isnan(fl_level_halfwidth(&l, 0.95)));

    fl_level l2; /* a constant level: zero width */
    fl_level_init(&l2, 0, 100, 4);
    fl_level_set(&l2, 0, 2);
    fl_level_finish(&l2, 100);
    ck_assert_double_eq(fl_level_mean(&l2), 2);
    ck_assert_double_eq(fl_level_halfwidth(&l2, 0.95), 0);

    fl_level l3; /* a run that stopped at 50 of [0, 100): averaged over what was simulated */
    fl_level_init(&l3, 0, 100, 4);
    fl_level_set(&l3, 0, 4);
    fl_level_set(&l3, 30, 2);
    fl_level_finish(&l3, 50);
    ck_assert_double_eq(fl_level_mean(&l3), (4.0 * 30 + 2 * 20) / 50);
    /* two whole batches [0, 25) and [25, 50): means 4 and (4*5 + 2*20)/25 = 2.4 */
    ck_rel(fl_level_halfwidth(&l3, 0.95), 12.706204736174693 * 0.8, 1e-9);

    fl_level l4; /* one set spanning every batch */
    fl_level_init(&l4, 0, 1000, 64);
    fl_level_set(&l4, 0, 1);
    fl_level_finish(&l4, 1000);
    double total = 0;
    for (int i = 0; i < l4.cut.nb; i++)
        total += l4.area[i];
    ck_assert_double_eq(total, 1000);
    ck_assert_double_eq(fl_level_mean(&l4), 1);
}
END_TEST

/* Coverage: over independent replications, the 95% batch-means interval must contain the
 * true mean in about 95% of them. With 400 replications the sd of the observed coverage
 * is 1.1%, so [0.90, 0.99] is more than 3.5 sd either side of 0.95 (and a broken
 * half-width, too narrow or too wide by a factor of 1.5, falls outside). */
START_TEST(batch_interval_covers_the_mean)
{
    int covered = 0;
    const int reps = 400;
    for (int rep = 0; rep < reps; rep++) {
        fl_rng r;
        fl_rng_seed(&r, (uint64_t)rep, "cover");
        fl_batch b;
        fl_batch_init(&b, 0, 3200, 32);
        for (int t = 0; t < 3200; t++)
            fl_batch_add(&b, t, -log(fl_rng_uniform_pos(&r))); /* exp(1): mean 1 */
        double hw = fl_batch_halfwidth(&b, 0.95);
        covered += fabs(fl_batch_mean(&b) - 1.0) <= hw;
    }
    ck_assert_int_ge(covered, (int)(0.90 * reps));
    ck_assert_int_le(covered, (int)(0.99 * reps));
}
END_TEST

/* The same for a time-weighted level: i.i.d. exp(1) levels held for i.i.d. exponential
 * times; the long-run time average is E[level * hold] / E[hold] = 1. */
START_TEST(level_interval_covers_the_mean)
{
    int covered = 0;
    const int reps = 400;
    const fl_time end = 100000;
    for (int rep = 0; rep < reps; rep++) {
        fl_rng r;
        fl_rng_seed(&r, (uint64_t)rep, "level");
        fl_level l;
        fl_level_init(&l, 0, end, 20);
        fl_time t = 0;
        while (t < end) {
            fl_level_set(&l, t, -log(fl_rng_uniform_pos(&r)));
            t += 1 + (fl_time)(-20 * log(fl_rng_uniform_pos(&r)));
        }
        fl_level_finish(&l, end);
        double hw = fl_level_halfwidth(&l, 0.95);
        covered += fabs(fl_level_mean(&l) - 1.0) <= hw;
    }
    ck_assert_int_ge(covered, (int)(0.90 * reps));
    ck_assert_int_le(covered, (int)(0.99 * reps));
}
END_TEST

/* The plain t interval from 32 batch means, as it was before the independence test. */
static double plain_halfwidth(const fl_batch *b)
{
    double m[FL_BATCH_MAX], mean = 0, ss = 0;
    int k = 0;
    for (int i = 0; i < b->cut.nb; i++)
        if (b->count[i])
            m[k++] = b->sum[i] / (double)b->count[i];
    for (int i = 0; i < k; i++)
        mean += m[i] / k;
    for (int i = 0; i < k; i++)
        ss += (m[i] - mean) * (m[i] - mean);
    return fl_t_quantile(0.975, k - 1) * sqrt(ss / (k - 1)) / sqrt(k);
}

/* Independent batches: the test leaves them alone nearly always (a one-sided 5% test, so
 * about 5% merge once), and almost never calls the interval unreliable (three tests in a
 * row would have to fail: about 5e-5). 2000 replications: merged at most 8% (the sd of
 * the merged share is 0.5%), unreliable at most 2 times. */
START_TEST(independent_batches_stay_as_they_are)
{
    int merged = 0, unreliable = 0;
    const int reps = 2000;
    for (int rep = 0; rep < reps; rep++) {
        fl_rng r;
        fl_rng_seed(&r, (uint64_t)rep, "iid");
        fl_batch b;
        fl_batch_init(&b, 0, 3200, 32);
        for (int t = 0; t < 3200; t++)
            fl_batch_add(&b, t, -log(fl_rng_uniform_pos(&r)));
        fl_ci ci = fl_batch_ci(&b, 0.95);
        merged += ci.merges > 0;
        unreliable += !ci.reliable;
        if (ci.merges == 0) { /* untouched: exactly the plain interval */
            ck_assert_int_eq(ci.batches, 32);
            ck_rel(ci.halfwidth, plain_halfwidth(&b), 1e-12);
        }
    }
    ck_assert_int_le(merged, (int)(0.08 * reps));
    ck_assert_int_le(unreliable, 2);
}
END_TEST

/* A correlated series: AR(1) samples x_t = phi x_{t-1} + sqrt(1 - phi^2) e_t (mean 0,
 * variance 1) with phi = 0.999, a memory of about 1000 samples, one batch. Adjacent batch
 * means are then correlated (about 0.4), the plain interval too narrow; the test merges
 * batches and the interval covers the mean more often. */
START_TEST(correlated_batches_are_merged)
{
    const int reps = 400, n = 32000;
    const double phi = 0.999, sd = sqrt(1 - phi * phi);
    int plain_cov = 0, cov = 0, merged = 0;
    for (int rep = 0; rep < reps; rep++) {
        fl_rng r;
        fl_rng_seed(&r, (uint64_t)rep, "ar1");
        fl_batch b;
        fl_batch_init(&b, 0, n, 32);
        double x = fl_normal_quantile(fl_rng_uniform_pos(&r));
        for (int t = 0; t < n; t++) {
            x = phi * x + sd * fl_normal_quantile(fl_rng_uniform_pos(&r));
            fl_batch_add(&b, t, x);
        }
        fl_ci ci = fl_batch_ci(&b, 0.95);
        merged += ci.merges > 0;
        double m = fl_batch_mean(&b);
        plain_cov += fabs(m) <= plain_halfwidth(&b);
        cov += fabs(m) <= ci.halfwidth;
        ck_assert_int_eq(ci.batches0, 32);
        ck_assert_int_eq(ci.batches, 32 >> ci.merges);
    }
    ck_assert_int_ge(merged, reps / 2);
    ck_assert_int_lt(plain_cov, (int)(0.90 * reps)); /* the flaw this test is about */
    ck_assert_int_ge(cov - plain_cov, reps / 20);    /* at least 5 points better */
}
END_TEST

/* A figure that drifts over the whole run (a trend, as faults make) stays correlated at
 * every batch size: the interval is reported unreliable, with a reason, for samples and
 * for levels alike. */
START_TEST(a_trend_is_unreliable)
{
    fl_batch b;
    fl_batch_init(&b, 0, 6400, 32);
    for (int t = 0; t < 6400; t++)
        fl_batch_add(&b, t, t * 1e-3 + (t % 7) * 0.01);
    fl_ci ci = fl_batch_ci(&b, 0.95);
    ck_assert(!ci.reliable);
    ck_assert_int_eq(ci.batches, FL_CI_MIN_BATCHES);
    ck_assert_int_eq(ci.merges, 2);
    ck_assert_double_gt(ci.lag1, 0.5);
    ck_assert(isfinite(ci.halfwidth)); /* still given, from the widest batches */
    char why[300];
    fl_ci_why(&ci, why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "correlated"));
    fl_level l;
    fl_level_init(&l, 0, 6400, 32);
    for (int t = 0; t < 6400; t++)
        fl_level_set(&l, t, t);
    fl_level_finish(&l, 6400);
    ck_assert(!fl_level_ci(&l, 0.95).reliable);
    ci.reliable = true;
    fl_ci_why(&ci, why, sizeof why);
    ck_assert_str_eq(why, "");
}
END_TEST

/* The shortcuts on the per-event path give bit for bit what the plain calls give: three
 * levels set together against three set one by one (before the window, in one batch,
 * across batches, at equal times, past the end), the 0/1 batches built from counts
 * against samples added one by one, and batch adds out of time order. */
START_TEST(shortcuts_match_plain_calls)
{
    fl_rng r;
    fl_rng_seed(&r, 7, "stats/shortcuts");
    fl_level a, b, c, a1, b1, c1;
    fl_level_init(&a, 1000, 900000, 32);
    b = c = a1 = b1 = c1 = a;
    fl_batch x, like;
    fl_batch_init(&x, 1000, 900000, 32);
    like = x;
    uint64_t hits[FL_BATCH_MAX] = {0};
    fl_time t = 0;
    for (int i = 0; i < 20000; i++) {
        t += (fl_time)(fl_rng_next(&r) % 100); /* equal times too */
        double q = (double)(fl_rng_next(&r) % 7), w = (double)(fl_rng_next(&r) % 3);
        fl_level_set(&a, t, q + w);
        fl_level_set(&b, t, q);
        fl_level_set(&c, t, w);
        fl_levels_set3(&a1, &b1, &c1, t, q + w, q, w);
        bool hit = fl_rng_next(&r) % 3 == 0;
        fl_batch_add(&x, t, hit ? 1.0 : 0.0);
        int k = fl_batch_add_at(&like, t, 0.5);
        if (k >= 0)
            hits[k] += hit;
    }
    fl_level_finish(&a, t);
    fl_level_finish(&b, t);
    fl_level_finish(&c, t);
    fl_level_finish(&a1, t);
    fl_level_finish(&b1, t);
    fl_level_finish(&c1, t);
    ck_assert(t > 900000); /* the run crossed the window's end */
    for (int i = 0; i < a.cut.nb; i++) {
        ck_assert(a.area[i] == a1.area[i] && b.area[i] == b1.area[i] && c.area[i] == c1.area[i]);
        ck_assert(a.area[i] > 0);
    }
    fl_batch y;
    fl_batch_from_counts(&y, &like, hits);
    ck_assert(y.n == x.n && y.total == x.total);
    for (int i = 0; i < x.cut.nb; i++)
        ck_assert(y.count[i] == x.count[i] && y.sum[i] == x.sum[i]);
    /* Out of time order, the cached batch is not reused for a sample outside it. */
    fl_batch o, p;
    fl_batch_init(&o, 0, 3200, 32);
    fl_batch_init(&p, 0, 3200, 32);
    const fl_time ts[] = {150, 120, 90, 3100, 5, 150, 3199, 3200, -1, 101, 99, 100};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        fl_batch_add(&o, ts[i], (double)i);
        p.cur_start = p.cur_end = 0; /* no cache: the index computed every time */
        fl_batch_add(&p, ts[i], (double)i);
    }
    ck_assert(o.n == 10 && o.n == p.n);
    for (int i = 0; i < 32; i++)
        ck_assert(o.count[i] == p.count[i] && o.sum[i] == p.sum[i]);
    ck_assert(o.count[0] == 3 && o.count[1] == 5 && o.count[31] == 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, t_quantiles_match_tables);
    tcase_add_test(tc, normal_quantiles);
    tcase_add_test(tc, batches_cut_evenly);
    tcase_add_test(tc, batch_edges);
    tcase_add_test(tc, level_time_average);
    tcase_add_test(tc, shortcuts_match_plain_calls);
    tcase_add_test(tc, batch_interval_covers_the_mean);
    tcase_add_test(tc, level_interval_covers_the_mean);
    tcase_add_test(tc, independent_batches_stay_as_they_are);
    tcase_add_test(tc, correlated_batches_are_merged);
    tcase_add_test(tc, a_trend_is_unreliable);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
