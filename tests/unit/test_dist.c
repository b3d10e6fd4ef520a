/* Distributions: each one's sample moments and quantiles against its analytic values over
 * 10^6 draws (bounds are k standard errors of the estimate, stated per check), parse
 * errors, formatting round trips, and Zipf frequencies. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/dist.h>

#include "testutil.h"

#define N 1000000

static fl_dist *parse(const char *s)
{
    fl_dist *d = NULL;
    fl_error e;
    fl_error_clear(&e);
    ck_assert_msg(fl_dist_parse(s, &d, &e) == FL_OK, "%s: %s", s, e.msg);
    return d;
}

static const char *parse_err(const char *s)
{
    static fl_error e;
    fl_dist *d = NULL;
    fl_error_clear(&e);
    ck_assert_msg(fl_dist_parse(s, &d, &e) != FL_OK, "%s parsed", s);
    ck_assert_ptr_null(d);
    return e.msg;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Draws N samples; checks the mean within 5 standard errors of the analytic mean, the
 * variance within 5 standard errors (using the sample fourth moment), and when the
 * quantile is analytic, the empirical median and p99 within 1.5%. */
static void check_moments(const char *text)
{
    fl_dist *d = parse(text);
    fl_rng r;
    fl_rng_seed(&r, 5, text);
    double *x = malloc(N * sizeof *x);
    double s = 0;
    for (int i = 0; i < N; i++) {
        x[i] = fl_dist_sample_f(d, &r);
        s += x[i];
    }
    double m = s / N, m2 = 0, m4 = 0;
    for (int i = 0; i < N; i++) {
        double dv = x[i] - m;
        m2 += dv * dv;
        m4 += dv * dv * dv * dv;
    }
    m2 /= N - 1;
    m4 /= N;
    double mean = fl_dist_mean(d), var = fl_dist_variance(d);
    ck_assert_msg(fabs(m - mean) <= 5 * sqrt(var / N) + 1e-9 * fabs(mean),
                  "%s: mean %g vs %g", text, m, mean);
    double var_se = sqrt((m4 - m2 * m2) / N);
    ck_assert_msg(fabs(m2 - var) <= 5 * var_se + 1e-9 * var, "%s: variance %g vs %g", text,
                  m2, var);
    double q50 = fl_dist_quantile(d, 0.5), q99 = fl_dist_quantile(d, 0.99);
    if (!isnan(q50)) {
        qsort(x, N, sizeof *x, cmp);
        ck_assert_msg(fabs(x[N / 2] - q50) <= 0.015 * fabs(q50) + 1, "%s: median %g vs %g",
                      text, x[N / 2], q50);
        ck_assert_msg(fabs(x[N / 100 * 99] - q99) <= 0.015 * fabs(q99) + 1, "%s: p99 %g vs %g",
                      text, x[N / 100 * 99], q99);
    }
    free(x);
    fl_dist_free(d);
}

START_TEST(moments)
{
    check_moments("const(1ms)");
    check_moments("uniform(1ms, 3ms)");
    check_moments("exp(5ms)");
    check_moments("normal(30ms, 2ms)");
    check_moments("lognormal(mu=-7, sigma=0.5)");
    check_moments("lognormal(median=2ms, p99=20ms)");
    check_moments("pareto(scale=1ms, shape=4.5)");
    check_moments("weibull(scale=10ms, shape=0.7)");
    check_moments("empirical([1ms, 2ms, 2ms, 50ms])");
    check_moments("mix(0.95: const(10ms), 0.05: exp(100ms))");
}
END_TEST

START_TEST(lognormal_through_median_and_p99)
{
    fl_dist *d = parse("lognormal(median=2ms, p99=20ms)");
    ck_assert_double_eq_tol(fl_dist_quantile(d, 0.5), 2e6, 1e-3);
    ck_assert_double_eq_tol(fl_dist_quantile(d, 0.99), 20e6, 1e-2);
    fl_dist_free(d);
}
END_TEST

START_TEST(samples_are_whole_nonnegative_ns)
{
    fl_dist *d = parse("normal(1ms, 5ms)"); /* often negative before clamping */
    fl_rng r;
    fl_rng_seed(&r, 1, "n");
    int zeros = 0;
    for (int i = 0; i < 100000; i++) {
        fl_time t = fl_dist_sample(d, &r);
        ck_assert_int_ge(t, 0);
        zeros += t == 0;
    }
    ck_assert_int_gt(zeros, 30000); /* P(X < 0) = 0.42 */
    fl_dist_free(d);
    d = parse("const(1.5ns)");
    ck_assert_int_eq(fl_dist_sample(d, &r), 2);
    fl_dist_free(d);
}
END_TEST

START_TEST(format_round_trips)
{
    const char *texts[] = {"const(1ms)", "uniform(1ms, 3ms)", "exp(5ms)", "normal(30ms, 2ms)",
                           "lognormal(median=2ms, p99=20ms)", "pareto(scale=1ms, shape=1.5)",
                           "weibull(scale=10ms, shape=0.7)", "empirical([1ms, 2ms, 50ms])",
                           "mix(0.95: const(10ms), 0.05: exp(100s))", "exponential(2s)"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        fl_dist *a = parse(texts[i]);
        char buf[256];
        fl_dist_format(a, buf, sizeof buf);
        fl_dist *b = parse(buf);
        fl_rng ra, rb;
        fl_rng_seed(&ra, 1, "f");
        fl_rng_seed(&rb, 1, "f");
        for (int k = 0; k < 1000; k++)
            ck_assert_int_eq(fl_dist_sample(a, &ra), fl_dist_sample(b, &rb));
        fl_dist_free(a);
        fl_dist_free(b);
    }
}
END_TEST

START_TEST(parse_errors)
{
    ck_assert_str_eq(parse_err("expo(1ms)"),
                     "\"expo(1ms)\": unknown distribution \"expo\" (did you mean \"exp\"?)");
    ck_assert_str_eq(parse_err("gamma(1ms)"),
                     "\"gamma(1ms)\": unknown distribution \"gamma\" (known: const, uniform, exp, "
                     "normal, lognormal, pareto, weibull, empirical, mix)");
    ck_assert_str_eq(parse_err("exp(1ms"), "\"exp(1ms\": missing ')'");
    ck_assert_str_eq(parse_err("exp(1ms, 2ms)"),
                     "\"exp(1ms, 2ms)\": exp takes 1 argument: exp(mean), e.g. exp(5ms)");
    ck_assert_str_eq(parse_err("exp(fast)"), "\"exp(fast)\": bad duration \"fast\" (expected a "
                                             "number then a unit, such as \"250ms\")");
    ck_assert_str_eq(parse_err("exp(0s)"), "\"exp(0s)\": exp needs a positive mean");
    ck_assert_str_eq(parse_err("uniform(3ms, 1ms)"),
                     "\"uniform(3ms, 1ms)\": uniform(a, b) needs a <= b");
    ck_assert_str_eq(parse_err("lognormal(median=5ms, p99=1ms)"),
                     "\"lognormal(median=5ms, p99=1ms)\": lognormal needs 0 < median < p99");
    ck_assert_str_eq(parse_err("pareto(scale=1ms, shape=0)"),
                     "\"pareto(scale=1ms, shape=0)\": pareto needs a positive scale and shape");
    ck_assert_str_eq(parse_err("mix(0: const(1ms))"),
                     "\"mix(0: const(1ms))\": mix weights must be positive, got 0");
    ck_assert_str_eq(parse_err("exp(1ms) x"), "\"exp(1ms) x\": unexpected \"x\" after the "
                                              "distribution");
    ck_assert_str_eq(parse_err("5ms"), "\"5ms\": expected a name such as exp(5ms)");
    ck_assert_str_eq(parse_err("empirical(1ms)"),
                     "\"empirical(1ms)\": empirical takes a list: empirical([1ms, 2ms, 5ms])");
}
END_TEST

START_TEST(zipf_frequencies)
{
    /* P(k) = k^-s / H(n, s); check the first ranks within 5 standard errors. */
    const uint64_t n = 1000;
    const double s = 1.1;
    fl_zipf *z;
    ck_assert_int_eq(fl_zipf_new(n, s, &z), FL_OK);
    double h = 0;
    for (uint64_t k = 1; k <= n; k++)
        h += pow((double)k, -s);
    uint64_t counts[6] = {0};
    fl_rng r;
    fl_rng_seed(&r, 3, "zipf");
    for (int i = 0; i < N; i++) {
        uint64_t k = fl_zipf_sample(z, &r);
        ck_assert(k >= 1 && k <= n);
        if (k <= 5)
            counts[k]++;
    }
    for (uint64_t k = 1; k <= 5; k++) {
        double p = pow((double)k, -s) / h;
        ck_assert_msg(fabs(counts[k] / (double)N - p) <= 5 * sqrt(p * (1 - p) / N),
                      "rank %lu: %g vs %g", (unsigned long)k, counts[k] / (double)N, p);
    }
    fl_zipf_free(z);
    ck_assert_int_eq(fl_zipf_new(0, 1, &z), FL_INVALID);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("dist");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, moments);
    tcase_add_test(tc, lognormal_through_median_and_p99);
    tcase_add_test(tc, samples_are_whole_nonnegative_ns);
    tcase_add_test(tc, format_round_trips);
    tcase_add_test(tc, parse_errors);
    tcase_add_test(tc, zipf_frequencies);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
