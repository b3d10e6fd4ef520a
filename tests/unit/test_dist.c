/* Distributions: each one's sample mean, variance and quantiles against its analytic values
 * over 10^6 draws, with every bound stated as k standard errors of the estimate; the
 * lognormal fitted through (median, p99); exact parse errors; canonical text; Zipf
 * frequencies against theory. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/dist.h>

#include "core/alloc.h"
#include "testutil.h"

#define N 1000000
#define K 5.0 /* standard errors allowed: a correct sampler fails one check in ~1.7 million */

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
    fl_dist *d = (fl_dist *)&e; /* must come back NULL */
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

/* Draws N samples and checks, against the analytic values:
 *  - the mean within K standard errors, sqrt(var / N);
 *  - the variance within K standard errors, sqrt((m4 - s^4) / N) from the sample fourth
 *    central moment;
 *  - for q in {0.1, 0.5, 0.9, 0.99} where the quantile x_q is analytic, the fraction of
 *    samples below x_q (and at or below it, for atoms) brackets q within K binomial
 *    standard errors sqrt(q (1 - q) / N). */
static void check_moments(const char *text)
{
    fl_dist *d = parse(text);
    fl_rng r;
    fl_rng_seed(&r, 5, text);
    double *x = malloc(N * sizeof *x);
    double s = 0;
    int negative = 0;
    for (int i = 0; i < N; i++) {
        x[i] = fl_dist_sample_f(d, &r);
        negative += x[i] < 0;
        s += x[i];
    }
    ck_assert_int_eq(negative, 0);
    double m = s / N, m2 = 0, m4 = 0;
    for (int i = 0; i < N; i++) {
        double dv = x[i] - m;
        m2 += dv * dv;
        m4 += dv * dv * dv * dv;
    }
    m2 /= N - 1;
    m4 /= N;
    double mean = fl_dist_mean(d), var = fl_dist_variance(d);
    ck_assert_msg(fabs(m - mean) <= K * sqrt(var / N) + 1e-12 * fabs(mean),
                  "%s: mean %.9g vs %.9g", text, m, mean);
    double var_se = sqrt((m4 - m2 * m2) / N);
    ck_assert_msg(fabs(m2 - var) <= K * var_se + 1e-12 * var, "%s: variance %.9g vs %.9g",
                  text, m2, var);
    qsort(x, N, sizeof *x, cmp);
    const double qs[] = {0.1, 0.5, 0.9, 0.99};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double xq = fl_dist_quantile(d, qs[k]);
        if (isnan(xq))
            continue;
        size_t below = 0, at_or_below;
        while (below < N && x[below] < xq) /* x is sorted */
            below++;
        at_or_below = below;
        while (at_or_below < N && x[at_or_below] <= xq)
            at_or_below++;
        double se = sqrt(qs[k] * (1 - qs[k]) / N);
        ck_assert_msg((double)below / N <= qs[k] + K * se &&
                          (double)at_or_below / N >= qs[k] - K * se,
                      "%s: q=%g at %.9g has %g below, %g at or below", text, qs[k], xq,
                      (double)below / N, (double)at_or_below / N);
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
    check_moments("normal(1ms, 5ms)"); /* 42% clamped to 0: the moments of max(0, X) */
    check_moments("lognormal(mu=-7, sigma=0.5)");
    check_moments("lognormal(median=2ms, p99=20ms)");
    check_moments("pareto(scale=1ms, shape=4.5)"); /* fourth moment finite: SE defined */
    check_moments("weibull(scale=10ms, shape=0.7)");
    check_moments("weibull(scale=10ms, shape=3)");
    check_moments("empirical([1ms, 2ms, 2ms, 50ms])");
    check_moments("mix(0.95: const(10ms), 0.05: exp(100ms))");
    check_moments("mix(1: uniform(0s, 1ms), 3: normal(5ms, 1ms))");
}
END_TEST

START_TEST(lognormal_through_median_and_p99)
{
    fl_dist *d = parse("lognormal(median=2ms, p99=20ms)");
    ck_assert_double_eq_tol(fl_dist_quantile(d, 0.5), 2e6, 1e-6);
    ck_assert_double_eq_tol(fl_dist_quantile(d, 0.99), 20e6, 1e-5);
    /* And the samples: the fractions at or below 2 ms and 20 ms are 0.5 and 0.99 within
     * K binomial standard errors. */
    fl_rng r;
    fl_rng_seed(&r, 8, "fit");
    int le_med = 0, le_p99 = 0;
    for (int i = 0; i < N; i++) {
        fl_time t = fl_dist_sample(d, &r);
        le_med += t <= 2 * FL_MS;
        le_p99 += t <= 20 * FL_MS;
    }
    ck_assert_double_le(fabs(le_med / (double)N - 0.5), K * sqrt(0.5 * 0.5 / N));
    ck_assert_double_le(fabs(le_p99 / (double)N - 0.99), K * sqrt(0.99 * 0.01 / N));
    fl_dist_free(d);
}
END_TEST

START_TEST(analytic_values)
{
    fl_dist *d = parse("exp(5ms)");
    ck_assert_double_eq_tol(fl_dist_quantile(d, 0.5), 5e6 * log(2), 1e-6);
    ck_assert(isnan(fl_dist_quantile(d, 0)) && isnan(fl_dist_quantile(d, 1)));
    fl_dist_free(d);
    d = parse("pareto(scale=1ms, shape=1)");
    ck_assert(isnan(fl_dist_mean(d)) && isnan(fl_dist_variance(d))); /* undefined */
    ck_assert_double_eq_tol(fl_dist_quantile(d, 0.5), 2e6, 1e-6);
    fl_dist_free(d);
    d = parse("weibull(scale=10ms, shape=1)"); /* exp(10ms) */
    ck_assert_double_eq_tol(fl_dist_mean(d), 1e7, 1e-6);
    ck_assert_double_eq_tol(fl_dist_variance(d), 1e14, 1e2);
    fl_dist_free(d);
    d = parse("empirical([5ms, 1ms, 3ms, 2ms])");
    ck_assert_double_eq(fl_dist_quantile(d, 0.25), 1e6); /* the ceil(q n)-th smallest */
    ck_assert_double_eq(fl_dist_quantile(d, 0.26), 2e6);
    ck_assert_double_eq(fl_dist_quantile(d, 0.999), 5e6);
    ck_assert_double_eq(fl_dist_mean(d), 2.75e6);
    fl_dist_free(d);
    d = parse("mix(1: const(1ms), 1: const(3ms))");
    ck_assert_double_eq(fl_dist_mean(d), 2e6);
    ck_assert_double_eq(fl_dist_variance(d), 1e12);
    ck_assert(isnan(fl_dist_quantile(d, 0.5)));
    fl_dist_free(d);
    d = fl_dist_const(7);
    fl_rng r;
    fl_rng_seed(&r, 1, "c");
    ck_assert_int_eq(fl_dist_sample(d, &r), 7);
    fl_dist_free(d);
    d = fl_dist_exp(FL_MS);
    ck_assert_double_eq(fl_dist_mean(d), 1e6);
    fl_dist_free(d);
    fl_dist_free(NULL);
}
END_TEST

START_TEST(samples_are_whole_nonnegative_ns)
{
    fl_dist *d = parse("normal(1ms, 5ms)"); /* often negative before clamping */
    fl_rng r;
    fl_rng_seed(&r, 1, "n");
    int zeros = 0, negative = 0;
    for (int i = 0; i < 100000; i++) {
        fl_time t = fl_dist_sample(d, &r);
        negative += t < 0;
        zeros += t == 0;
    }
    ck_assert_int_eq(negative, 0);
    /* P(X < 0) = Phi(-0.2) = 0.4207; sd of the count is 156: within 5 sd */
    ck_assert_int_le(abs(zeros - 42074), 5 * 156);
    fl_dist_free(d);
    d = parse("const(1.5ns)");
    ck_assert_int_eq(fl_dist_sample(d, &r), 2);
    fl_dist_free(d);
    /* A tail beyond an fl_time: capped, not wrapped. P(X > 9.2e9 s) = (3600 / 9.2e9)^0.36
     * = 0.5%, about 50 of 10,000 draws; the 99th percentile (1.3e9 s) is still held. */
    d = parse("pareto(scale=1h, shape=0.36)");
    fl_time most = 0;
    for (int i = 0; i < 10000; i++) {
        fl_time t = fl_dist_sample(d, &r);
        ck_assert_int_ge(t, FL_HOUR);
        most = t > most ? t : most;
    }
    ck_assert_int_eq(most, 9200000000000000000LL);
    fl_dist_free(d);
}
END_TEST

/* Draws that depend on no libm function are pinned: the stream (pinned in test_rng), the
 * 53-bit mapping and the arithmetic are exact, so these hold on every machine and compiler.
 * Empirical values are drawn from the sorted list. */
START_TEST(exact_draws_are_pinned)
{
    fl_dist *u = parse("uniform(1ms, 3ms)"), *e = parse("empirical([3ms, 1ms, 2ms])");
    fl_rng r;
    fl_rng_seed(&r, 1, "pin");
    const fl_time want[] = {2582610, 2282499, 1317995, 3000000, 2000000, 3000000};
    for (int i = 0; i < 6; i++)
        ck_assert_int_eq(fl_dist_sample(i < 3 ? u : e, &r), want[i]);
    fl_dist_free(u);
    fl_dist_free(e);
}
END_TEST

START_TEST(canonical_text)
{
    static const char *const same[] = {
        "const(1ms)", "uniform(1ms, 3ms)", "exp(5ms)", "normal(30ms, 2ms)",
        "lognormal(median=2ms, p99=20ms)", "lognormal(mu=-7, sigma=0.5)",
        "pareto(scale=1ms, shape=1.5)", "weibull(scale=10ms, shape=0.7)",
        "empirical([1ms, 2ms, 50ms])", "mix(0.95: const(10ms), 0.05: exp(100s))",
        "mix(1: mix(2: const(1ns), 1: const(2ns)), 3: exp(1.5us))",
    };
    static const char *const moved[][2] = {
        {"exponential(2s)", "exp(2s)"},
        {"exp(mean=2000ms)", "exp(2s)"},
        {"pareto(shape=1.5, scale=1ms)", "pareto(scale=1ms, shape=1.5)"},
        {"empirical([50ms, 1ms, 2ms])", "empirical([1ms, 2ms, 50ms])"},
        {"lognormal(p99=20ms, median=2ms)", "lognormal(median=2ms, p99=20ms)"},
        {"lognormal(-7.25, 5e-1)", "lognormal(mu=-7.25, sigma=0.5)"},
        {" normal( 30ms , 2ms ) ", "normal(30ms, 2ms)"},
        {"uniform(a=0.5s, b=90s)", "uniform(500ms, 90s)"},
        {"const(3600s)", "const(1h)"},
        {"mix(100: const(1ms), 0.000125: const(2ms))", "mix(100: const(1ms), 0.000125: const(2ms))"},
        {"mix(1e2: const(1ms), 1.25e-4: const(2ms))", "mix(100: const(1ms), 0.000125: const(2ms))"},
        {"weibull(scale=1ms, shape=2)", "weibull(scale=1ms, shape=2)"},
    };
    char buf[256];
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        fl_dist *d = parse(same[i]);
        fl_dist_format(d, buf, sizeof buf);
        ck_assert_str_eq(buf, same[i]);
        fl_dist_free(d);
    }
    for (size_t i = 0; i < sizeof moved / sizeof moved[0]; i++) {
        fl_dist *d = parse(moved[i][0]);
        fl_dist_format(d, buf, sizeof buf);
        ck_assert_str_eq(buf, moved[i][1]);
        fl_dist_free(d);
    }
    /* A short buffer is cut, never overrun. */
    fl_dist *d = parse("empirical([1ms, 2ms, 3ms, 4ms, 5ms, 6ms])");
    fl_dist_format(d, buf, 16);
    ck_assert_str_eq(buf, "empirical([1ms,");
    fl_dist_free(d);
}
END_TEST

START_TEST(parse_errors)
{
    /* Pinned by tests/bad as well: the scenario loader shows these after the JSON path. */
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
    ck_assert_str_eq(parse_err("exp(-1ms)"),
                     "\"exp(-1ms)\": bad duration \"-1ms\" (negative duration)");
    ck_assert_str_eq(parse_err("exp(0s)"), "\"exp(0s)\": exp needs a positive mean");
    ck_assert_str_eq(parse_err("uniform(3ms, 1ms)"),
                     "\"uniform(3ms, 1ms)\": uniform(a, b) needs a <= b");
    ck_assert_str_eq(parse_err("normal(5ms)"), "\"normal(5ms)\": normal takes 2 arguments: "
                                               "normal(mean, sd), e.g. normal(30ms, 2ms)");
    ck_assert_str_eq(parse_err("weibull(scale=1ms)"), "\"weibull(scale=1ms)\": weibull takes 2 "
                                                      "arguments: weibull(scale=1ms, shape=1.5)");
    ck_assert_str_eq(parse_err("lognormal(median=5ms, p99=1ms)"),
                     "\"lognormal(median=5ms, p99=1ms)\": lognormal needs 0 < median < p99");
    ck_assert_str_eq(parse_err("pareto(scale=1ms, shape=0)"),
                     "\"pareto(scale=1ms, shape=0)\": pareto needs a positive scale and shape");
    ck_assert_str_eq(parse_err("mix(0: const(1ms))"),
                     "\"mix(0: const(1ms))\": mix weights must be positive, got 0");
    ck_assert_str_eq(parse_err("exp(1ms) x"), "\"exp(1ms) x\": unexpected \"x\" after the "
                                              "distribution");
    ck_assert_str_eq(parse_err("5ms"), "\"5ms\": expected a name such as exp(5ms)");
    ck_assert_str_eq(parse_err(""), "\"\": expected a name such as exp(5ms)");
    ck_assert_str_eq(parse_err("empirical(1ms)"),
                     "\"empirical(1ms)\": empirical takes a list: empirical([1ms, 2ms, 5ms])");
    ck_assert_str_eq(parse_err("empirical([])"),
                     "\"empirical([])\": empirical needs at least one value");
    ck_assert_str_eq(parse_err("mix(1: mix(1: mix(1: mix(1: mix(1: mix(1: mix(1: mix(1: "
                               "mix(1: const(1ms))))))))))"),
                     "\"mix(1: mix(1: mix(1: mix(1: mix(1: mix(1: mix(1: mix(1: mix(\": "
                     "mixtures nested too deep");

    /* Did you mean: typos by edit distance, abbreviations by prefix, any case. */
    ck_assert_str_eq(parse_err("nromal(1ms, 2ms)"), "\"nromal(1ms, 2ms)\": unknown "
                                                    "distribution \"nromal\" (did you mean "
                                                    "\"normal\"?)");
    ck_assert_str_eq(parse_err("lognorm(mu=1, sigma=1)"),
                     "\"lognorm(mu=1, sigma=1)\": unknown distribution \"lognorm\" (did you "
                     "mean \"lognormal\"?)");
    ck_assert_str_eq(parse_err("uni(1ms, 2ms)"), "\"uni(1ms, 2ms)\": unknown distribution "
                                                 "\"uni\" (did you mean \"uniform\"?)");
    ck_assert_str_eq(parse_err("Exp(1ms)"), "\"Exp(1ms)\": unknown distribution \"Exp\" (did "
                                            "you mean \"exp\"?)");
    ck_assert_str_eq(parse_err("log_normal(mu=1, sigma=1)"),
                     "\"log_normal(mu=1, sigma=1)\": unknown distribution \"log_normal\" (did "
                     "you mean \"lognormal\"?)");

    /* Arguments by name: unknown names (with a suggestion), repeats, values. */
    ck_assert_str_eq(parse_err("pareto(scale=1ms, shpe=1.5)"),
                     "\"pareto(scale=1ms, shpe=1.5)\": pareto has no argument \"shpe\" (did you "
                     "mean \"shape\"?); expected pareto(scale=1ms, shape=1.5)");
    ck_assert_str_eq(parse_err("exp(rate=5ms)"), "\"exp(rate=5ms)\": exp has no argument "
                                                 "\"rate\"; expected exp(mean), e.g. exp(5ms)");
    ck_assert_str_eq(parse_err("pareto(scale=1ms, scale=2ms)"),
                     "\"pareto(scale=1ms, scale=2ms)\": argument \"scale\" given twice");
    ck_assert_str_eq(parse_err("lognormal(median=2ms, p98=9ms)"),
                     "\"lognormal(median=2ms, p98=9ms)\": lognormal has no argument \"p98\" "
                     "(did you mean \"p99\"?); expected lognormal(median=2ms, p99=20ms) or "
                     "lognormal(mu=-7, sigma=0.5)");
    ck_assert_str_eq(parse_err("lognormal(median=2ms, sigma=1)"),
                     "\"lognormal(median=2ms, sigma=1)\": lognormal takes median= and p99=, or "
                     "mu= and sigma=");
    ck_assert_str_eq(parse_err("lognormal(mu=-7, sigma=-1)"),
                     "\"lognormal(mu=-7, sigma=-1)\": lognormal needs sigma >= 0");
    ck_assert_str_eq(parse_err("lognormal(mu=-7,5, sigma=1)"),
                     "\"lognormal(mu=-7,5, sigma=1)\": lognormal takes 2 arguments: "
                     "lognormal(median=2ms, p99=20ms) or lognormal(mu=-7, sigma=0.5)");
    ck_assert_str_eq(parse_err("weibull(scale=1ms, shape=fast)"),
                     "\"weibull(scale=1ms, shape=fast)\": expected a number, got \"fast\"");
    ck_assert_str_eq(parse_err("weibull(scale=1ms, shape=nan)"),
                     "\"weibull(scale=1ms, shape=nan)\": expected a number, got \"nan\"");
    ck_assert_str_eq(parse_err("weibull(scale=0s, shape=2)"),
                     "\"weibull(scale=0s, shape=2)\": weibull needs a positive scale and shape");
    ck_assert_str_eq(parse_err("const()"), "\"const()\": const takes 1 argument: const(1ms)");
    ck_assert_str_eq(parse_err("const(1, 2, 3, 4, 5)"),
                     "\"const(1, 2, 3, 4, 5)\": const takes 1 argument: const(1ms)");
    ck_assert_str_eq(parse_err("const(1, 2, 3, 4, 5, 6, 7, 8, 9)"),
                     "\"const(1, 2, 3, 4, 5, 6, 7, 8, 9)\": too many arguments");
    ck_assert_str_eq(parse_err("uniform(1ms, )"), "\"uniform(1ms, )\": an empty argument");
    ck_assert_str_eq(parse_err("exp(=5ms)"), "\"exp(=5ms)\": expected name=value, got \"\"");
    char lng[200] = "const(1";
    memset(lng + 7, '0', 130);
    strcpy(lng + 137, "ns)");
    ck_assert_str_eq(parse_err(lng), "\"const(100000000000000000000000000000000000000000000000000000\": "
                                     "expected an argument of at most 120 characters, got "
                                     "\"10000000000000000000...\"");
    ck_assert_str_eq(parse_err("mix(const(1ms))"),
                     "\"mix(const(1ms))\": mix takes weight: distribution pairs, e.g. mix(0.9: "
                     "const(1ms), 0.1: exp(50ms))");
    ck_assert_str_eq(parse_err("mix(0.5: const(1ms), heavy: exp(1s))"),
                     "\"mix(0.5: const(1ms), heavy: exp(1s))\": expected a number, got "
                     "\"heavy\"");
    ck_assert_str_eq(parse_err("mix(1: expp(1s))"), "\"mix(1: expp(1s))\": unknown "
                                                    "distribution \"expp\" (did you mean "
                                                    "\"exp\"?)");
    ck_assert_str_eq(parse_err("empirical([1ms, , 2ms])"),
                     "\"empirical([1ms, , 2ms])\": bad duration \"\" (expected a number then a "
                     "unit, such as \"250ms\")");
    ck_assert_str_eq(parse_err("empirical([1ms, 2ms)"), "\"empirical([1ms, 2ms)\": missing ']'");
    ck_assert_str_eq(parse_err("exp"), "\"exp\": expected '(' after \"exp\"");
    /* Parameters whose draws mostly saturate measure the clamp: refused, also inside a mix. */
    ck_assert_str_eq(parse_err("lognormal(mu=-7, sigma=1e300)"),
                     "\"lognormal(mu=-7, sigma=1e300)\": lognormal: its 99th percentile is beyond "
                     "292 years, the longest duration a run holds, so its draws would saturate; "
                     "check the parameters");
    ck_assert_str_eq(parse_err("mix(0.5: exp(1ms), 0.5: pareto(scale=1h, shape=0.05))"),
                     "\"mix(0.5: exp(1ms), 0.5: pareto(scale=1h, shape=0.05))\": pareto: its 99th "
                     "percentile is beyond 292 years, the longest duration a run holds, so its "
                     "draws would saturate; check the parameters");
}
END_TEST

/* Numbers inside distributions do not follow the locale's decimal point. */
START_TEST(locale_independent)
{
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR"};
    const char *set = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !set; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    if (set && strcmp(localeconv()->decimal_point, ".") != 0) {
        fl_dist *d = parse("lognormal(mu=-7.5, sigma=0.25)");
        char buf[128];
        fl_dist_format(d, buf, sizeof buf);
        ck_assert_str_eq(buf, "lognormal(mu=-7.5, sigma=0.25)");
        fl_dist_free(d);
        d = parse("mix(0.25: const(1ms), 0.75: const(3ms))");
        ck_assert_double_eq(fl_dist_mean(d), 2.5e6);
        fl_dist_format(d, buf, sizeof buf);
        ck_assert_str_eq(buf, "mix(0.25: const(1ms), 0.75: const(3ms))");
        fl_dist_free(d);
    }
    setlocale(LC_NUMERIC, "C");
}
END_TEST

/* Chi-square of Zipf(n, s) rank counts over 10^6 draws against k^-s / H(n, s). */
static void check_zipf(uint64_t n, double s, uint64_t seed)
{
    fl_zipf *z;
    ck_assert_int_eq(fl_zipf_new(n, s, &z), FL_OK);
    double h = 0;
    for (uint64_t k = 1; k <= n; k++)
        h += pow((double)k, -s);
    uint64_t *counts = calloc(n + 1, sizeof *counts);
    fl_rng r;
    fl_rng_seed(&r, seed, "zipf");
    int out = 0;
    for (int i = 0; i < N; i++) {
        uint64_t k = fl_zipf_sample(z, &r);
        out += k < 1 || k > n;
        counts[k >= 1 && k <= n ? k : 0]++;
    }
    ck_assert_int_eq(out, 0);
    double chi = 0;
    for (uint64_t k = 1; k <= n; k++) {
        double e = N * pow((double)k, -s) / h;
        chi += (counts[k] - e) * (counts[k] - e) / e;
    }
    /* n = 50: 49 degrees of freedom, 99.9% critical value 85.35 */
    ck_assert_msg(chi < 85.35, "zipf(%lu, %g): chi-square %g", (unsigned long)n, s, chi);
    free(counts);
    fl_zipf_free(z);
}

START_TEST(zipf_frequencies)
{
    check_zipf(50, 0.5, 1);
    check_zipf(50, 1.0, 2); /* the s = 1 special case of H */
    check_zipf(50, 1.0 + 1e-9, 3); /* just beside it, where cancellation would bite */
    check_zipf(50, 1.1, 4);
    check_zipf(50, 2.5, 5);

    /* First ranks of zipf(1000, 1.1) within K binomial standard errors. */
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
        if (k <= 5)
            counts[k]++;
    }
    for (uint64_t k = 1; k <= 5; k++) {
        double p = pow((double)k, -s) / h;
        ck_assert_msg(fabs(counts[k] / (double)N - p) <= K * sqrt(p * (1 - p) / N),
                      "rank %lu: %g vs %g", (unsigned long)k, counts[k] / (double)N, p);
    }
    fl_zipf_free(z);

    /* A huge key space stays in range; one key is always rank 1. */
    ck_assert_int_eq(fl_zipf_new(1000000000000ULL, 0.8, &z), FL_OK);
    for (int i = 0; i < 1000; i++) {
        uint64_t k = fl_zipf_sample(z, &r);
        ck_assert(k >= 1 && k <= 1000000000000ULL);
    }
    fl_zipf_free(z);
    ck_assert_int_eq(fl_zipf_new(1, 1.1, &z), FL_OK);
    ck_assert_uint_eq(fl_zipf_sample(z, &r), 1);
    fl_zipf_free(z);
    ck_assert_int_eq(fl_zipf_new(0, 1, &z), FL_INVALID);
    ck_assert_ptr_null(z);
    ck_assert_int_eq(fl_zipf_new(10, 0, &z), FL_INVALID);
    ck_assert_int_eq(fl_zipf_new(10, NAN, &z), FL_INVALID);
}
END_TEST

/* Every allocation a parse makes can fail: the parse then reports FL_NOMEM, returns no
 * distribution and leaks nothing (the sanitizer build checks the last part). */
START_TEST(allocation_failures)
{
    const char *text = "mix(1: empirical([1ms, 2ms, 3ms, 4ms, 5ms, 6ms, 7ms, 8ms, 9ms]), "
                       "2: mix(1: exp(1ms), 1: const(2ms)), 3: const(1ms), 4: const(2ms), "
                       "5: const(3ms))";
    int failures = 0;
    for (long n = 1;; n++) {
        fl_alloc_fail_after(n);
        fl_dist *d = NULL;
        fl_error e;
        fl_error_clear(&e);
        fl_status st = fl_dist_parse(text, &d, &e);
        fl_alloc_fail_after(0);
        if (st == FL_OK) {
            ck_assert_ptr_nonnull(d);
            fl_dist_free(d);
            break;
        }
        ck_assert_int_eq(st, FL_NOMEM);
        ck_assert_str_eq(e.msg, "out of memory");
        ck_assert_ptr_null(d);
        failures++;
    }
    ck_assert_int_ge(failures, 10); /* every node, array and growth step was exercised */
    fl_zipf *z;
    fl_alloc_fail_after(1);
    ck_assert_int_eq(fl_zipf_new(10, 1, &z), FL_NOMEM);
    fl_alloc_fail_after(0);
    ck_assert_ptr_null(z);
    fl_alloc_fail_after(1);
    ck_assert_ptr_null(fl_dist_const(1));
    ck_assert_ptr_null(fl_dist_exp(1));
    fl_alloc_fail_after(0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("dist");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, moments);
    tcase_add_test(tc, lognormal_through_median_and_p99);
    tcase_add_test(tc, analytic_values);
    tcase_add_test(tc, samples_are_whole_nonnegative_ns);
    tcase_add_test(tc, exact_draws_are_pinned);
    tcase_add_test(tc, canonical_text);
    tcase_add_test(tc, parse_errors);
    tcase_add_test(tc, locale_independent);
    tcase_add_test(tc, zipf_frequencies);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
