/* Verdict statistics and wording: see verdict.h. */
#include "scenario/verdict.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *fl__verdict_name(fl__verdict v)
{
    static const char *const names[] = {"reference", "better",     "worse",
                                        "higher",    "lower",      "negligible",
                                        "no detectable difference", "not comparable"};
    return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "not comparable";
}

fl__verdict fl__verdict_of(double d, double lo, double hi, double min_effect, fl_figure_better b)
{
    if (!(lo > 0) && !(hi < 0))
        return FL__V_NONE; /* the interval holds 0 (or is not a number) */
    if (fabs(d) < min_effect)
        return FL__V_NEGLIGIBLE;
    if (b == FL_BETTER_NEITHER)
        return d > 0 ? FL__V_HIGHER : FL__V_LOWER;
    return (d > 0) == (b == FL_BETTER_HIGHER) ? FL__V_BETTER : FL__V_WORSE;
}

void fl__wilson(unsigned k, unsigned n, double z, double *lo, double *hi)
{
    double p = (double)k / n, z2 = z * z, den = 1 + z2 / n;
    double centre = (p + z2 / (2.0 * n)) / den;
    double half = z * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / den;
    /* At k = 0 and k = n the bound is exactly 0 or 1; rounding must not move it. */
    *lo = k == 0 ? 0 : fmax(0, centre - half);
    *hi = k == n ? 1 : fmin(1, centre + half);
}

void fl__newcombe(unsigned k1, unsigned n1, unsigned k2, unsigned n2, double z, double *lo,
                  double *hi)
{
    double l1, u1, l2, u2, p1 = (double)k1 / n1, p2 = (double)k2 / n2, d = p1 - p2;
    fl__wilson(k1, n1, z, &l1, &u1);
    fl__wilson(k2, n2, z, &l2, &u2);
    *lo = d - sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
    *hi = d + sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
}

/* An integer with thousands separators. */
static void fmt_int(double x, char *out, size_t n)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", fabs(x));
    size_t len = strlen(digits), o = 0;
    if (x < 0 && strcmp(digits, "0") != 0 && o + 1 < n)
        out[o++] = '-';
    for (size_t i = 0; i < len && o + 1 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0 && o + 1 < n)
            out[o++] = ',';
        if (o + 1 < n)
            out[o++] = digits[i];
    }
    out[o] = 0;
}

void fl__fmt_num(double x, int sig, bool integer, char *out, size_t n)
{
    if (!isfinite(x)) {
        snprintf(out, n, "n/a");
        return;
    }
    double a = fabs(x);
    if (a >= 10000 || (integer && a >= 100) || (integer && x == floor(x))) {
        fmt_int(x, out, n);
        return;
    }
    if (a == 0) {
        snprintf(out, n, "0");
        return;
    }
    int dec = sig - 1 - (int)floor(log10(a));
    dec = dec < 0 ? 0 : dec > 9 ? 9 : dec;
    snprintf(out, n, "%.*f", dec, x);
    if (strchr(out, '.')) { /* no trailing zeros: 80.20 -> 80.2, 3.00 -> 3 */
        char *e = out + strlen(out) - 1;
        while (*e == '0')
            *e-- = 0;
        if (*e == '.')
            *e = 0;
    }
    if (strcmp(out, "-0") == 0)
        snprintf(out, n, "0");
}
