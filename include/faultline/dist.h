/* Probability distributions of durations, written as short strings in scenario files.
 *
 *   const(1ms)                        always 1 ms
 *   uniform(1ms, 3ms)                 uniform on [a, b]
 *   exp(5ms)                          exponential with mean 5 ms
 *   normal(30ms, 2ms)                 mean, standard deviation (negative draws clamp to 0)
 *   lognormal(mu=-7, sigma=0.5)       of ln(seconds)
 *   lognormal(median=2ms, p99=20ms)   fitted through the median and the 99th percentile
 *   pareto(scale=1ms, shape=1.5)      x_m and alpha
 *   weibull(scale=10ms, shape=0.7)    lambda and k
 *   empirical([1ms, 2ms, 2ms, 50ms])  resampled uniformly from the list (an empirical CDF)
 *   mix(0.95: const(10ms), 0.05: exp(100s))   a mixture; weights are normalised
 *
 * Every duration argument takes the units of fl_parse_duration; a bare number is seconds.
 * Samples are in nanoseconds, rounded to the nearest integer and never negative. */
#ifndef FAULTLINE_DIST_H
#define FAULTLINE_DIST_H

#include <faultline/rng.h>
#include <faultline/status.h>
#include <faultline/time.h>

typedef struct fl_dist fl_dist;

/* Parses a distribution string. On success *out is a new distribution owned by the caller
 * (free with fl_dist_free). On failure returns FL_SYNTAX or FL_INVALID, leaves *out NULL
 * and writes "expected ..., got ..." into e->msg (e->path untouched). */
fl_status fl_dist_parse(const char *s, fl_dist **out, fl_error *e);
/* A constant distribution (never fails but for memory). */
fl_dist *fl_dist_const(fl_time v);
/* An exponential distribution with the given mean. */
fl_dist *fl_dist_exp(fl_time mean);
void fl_dist_free(fl_dist *d);

/* One draw, in nanoseconds, >= 0. */
fl_time fl_dist_sample(const fl_dist *d, fl_rng *r);
/* One draw as a double in nanoseconds (no rounding, may be used for rates and sizes). */
double fl_dist_sample_f(const fl_dist *d, fl_rng *r);
/* Analytic mean and variance in ns and ns^2 (NaN when undefined, e.g. pareto shape <= 1). */
double fl_dist_mean(const fl_dist *d);
double fl_dist_variance(const fl_dist *d);
/* Analytic quantile for 0 < q < 1 where closed-form (NaN otherwise). */
double fl_dist_quantile(const fl_dist *d, double q);
/* Canonical text form ("exp(5ms)"), for explain and summaries. */
void fl_dist_format(const fl_dist *d, char *buf, size_t n);

/* Zipf over ranks 1..n with exponent s > 0 (key choice). Sampling is O(1) expected
 * (rejection-inversion, Hormann & Derflinger). */
typedef struct fl_zipf fl_zipf;
fl_status fl_zipf_new(uint64_t n, double s, fl_zipf **out);
void fl_zipf_free(fl_zipf *z);
/* A rank in [1, n]. */
uint64_t fl_zipf_sample(const fl_zipf *z, fl_rng *r);

#endif
