/* The statistics and words of a verdict (compare, the report, the dashboard read the
 * words from compare.json): intervals for proportions, the verdict rules, and how numbers
 * are printed. Internal to the library.
 *
 * Verdict rules, for a variant's difference from the reference (variant minus reference)
 * with its 95% interval [lo, hi] and mean d:
 *   not comparable            the figure is absent from some run of either side (n/a), or
 *                             a duration was not observed and has no bound (fl__verdict_of
 *                             is not asked)
 *   no detectable difference  the interval holds 0
 *   negligible                the interval excludes 0 but |d| < the minimum effect
 *   better / worse            the interval excludes 0, |d| >= the minimum effect, in the
 *                             figure's better direction (figures.h)
 *   higher / lower            the same for a figure with no better direction */
#ifndef FL_SCENARIO_VERDICT_H
#define FL_SCENARIO_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include <faultline/figures.h>

/* The normal quantile for a two-sided 95% interval, Phi^-1(0.975). */
#define FL__Z95 1.959963984540054

typedef enum fl__verdict {
    FL__V_REFERENCE = 0,
    FL__V_BETTER,
    FL__V_WORSE,
    FL__V_HIGHER,
    FL__V_LOWER,
    FL__V_NEGLIGIBLE,
    FL__V_NONE,
    FL__V_NOT_COMPARABLE,
} fl__verdict;

const char *fl__verdict_name(fl__verdict v);

/* The verdict for mean difference d with interval [lo, hi] (lo <= d <= hi), by the rules
 * above; min_effect >= 0. */
fl__verdict fl__verdict_of(double d, double lo, double hi, double min_effect, fl_figure_better b);

/* Wilson's score interval for a proportion: k successes of n >= 1 trials, z the normal
 * quantile (1.96 for 95%). Never outside [0, 1]; [0, 0] for k = n = 0 is not asked. */
void fl__wilson(unsigned k, unsigned n, double z, double *lo, double *hi);

/* Newcombe's hybrid score interval (his method 10, 1998) for p1 - p2 = k1/n1 - k2/n2,
 * from the two Wilson intervals: d - sqrt((p1-l1)^2 + (u2-p2)^2) to
 * d + sqrt((u1-p1)^2 + (p2-l2)^2). */
void fl__newcombe(unsigned k1, unsigned n1, unsigned k2, unsigned n2, double z, double *lo,
                  double *hi);

/* x for people: |x| >= 10000, or a count (integer) >= 100, rounded to an integer with
 * thousands separators ("3,003,112"); else `sig` significant digits, no exponent, no
 * trailing zeros ("21.33", "0.000052"). Never "nan": a non-finite x gives "n/a". */
void fl__fmt_num(double x, int sig, bool integer, char *out, size_t n);

#endif
