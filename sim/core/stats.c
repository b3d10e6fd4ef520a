/* Confidence-interval statistics: see stats.h. */
#include "core/stats.h"

#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Acklam's rational approximation of the normal quantile (relative error < 1.2e-9),
 * refined by one Halley step on erfc. */
double fl_normal_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    if (p <= 0)
        return -INFINITY;
    if (p >= 1)
        return INFINITY;
    double q, x;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - 0.02425) {
        q = p - 0.5;
        double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double e = 0.5 * erfc(-x / sqrt(2)) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* Regularised incomplete beta I_x(a, b) by Lentz's continued fraction. */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 300; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return h;
}

static double ibeta(double a, double b, double x)
{
    if (x <= 0)
        return 0;
    if (x >= 1)
        return 1;
    double bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1 - x));
    if (x < (a + 1) / (a + b + 2))
        return bt * betacf(a, b, x) / a;
    return 1 - bt * betacf(b, a, 1 - x) / b;
}

/* CDF of Student's t. */
static double t_cdf(double t, int df)
{
    double x = df / (df + t * t);
    double tail = 0.5 * ibeta(df / 2.0, 0.5, x);
    return t > 0 ? 1 - tail : tail;
}

double fl_t_quantile(double p, int df)
{
    if (df < 1 || !(p > 0 && p < 1))
        return NAN;
    if (df > 100000)
        return fl_normal_quantile(p);
    /* Cornish-Fisher start, then Newton on the exact CDF. */
    double z = fl_normal_quantile(p), z2 = z * z, n = df;
    double x = z + (z2 * z + z) / (4 * n) + (5 * z2 * z2 * z + 16 * z2 * z + 3 * z) / (96 * n * n);
    if (df == 1)
        x = tan(M_PI * (p - 0.5));
    else if (df == 2)
        x = (2 * p - 1) / sqrt(2 * p * (1 - p));
    else {
        for (int i = 0; i < 50; i++) {
            double f = t_cdf(x, df) - p;
            double pdf = exp(lgamma((n + 1) / 2) - lgamma(n / 2) - 0.5 * log(n * M_PI) -
                             (n + 1) / 2 * log1p(x * x / n));
            double step = f / pdf;
            x -= step;
            if (fabs(step) < 1e-12 * (1 + fabs(x)))
                break;
        }
    }
    return x;
}

static int clamp_nb(int nb)
{
    return nb < 2 ? 2 : nb > FL_BATCH_MAX ? FL_BATCH_MAX : nb;
}

void fl_batch_init(fl_batch *b, fl_time start, fl_time end, int nbatches)
{
    *b = (fl_batch){0};
    b->start = start;
    b->end = end > start ? end : start + 1;
    b->nb = clamp_nb(nbatches);
    b->len = (b->end - b->start + b->nb - 1) / b->nb;
    if (b->len < 1)
        b->len = 1;
}

void fl_batch_add(fl_batch *b, fl_time t, double v)
{
    if (t < b->start || t >= b->end)
        return;
    int i = (int)((t - b->start) / b->len);
    b->count[i]++;
    b->sum[i] += v;
    b->n++;
    b->total += v;
}

double fl_batch_mean(const fl_batch *b) { return b->n ? b->total / (double)b->n : 0; }

static double halfwidth(const double *means, int k, double conf)
{
    if (k < 2)
        return NAN;
    double m = 0, ss = 0;
    for (int i = 0; i < k; i++)
        m += means[i];
    m /= k;
    for (int i = 0; i < k; i++)
        ss += (means[i] - m) * (means[i] - m);
    double sd = sqrt(ss / (k - 1));
    return fl_t_quantile(1 - (1 - conf) / 2, k - 1) * sd / sqrt(k);
}

double fl_batch_halfwidth(const fl_batch *b, double conf)
{
    double means[FL_BATCH_MAX];
    int k = 0;
    for (int i = 0; i < b->nb; i++)
        if (b->count[i])
            means[k++] = b->sum[i] / (double)b->count[i];
    return halfwidth(means, k, conf);
}

void fl_level_init(fl_level *l, fl_time start, fl_time end, int nbatches)
{
    *l = (fl_level){0};
    l->start = start;
    l->end = end > start ? end : start + 1;
    l->nb = clamp_nb(nbatches);
    l->len = (l->end - l->start + l->nb - 1) / l->nb;
    if (l->len < 1)
        l->len = 1;
    l->last = start;
}

/* Integrates the current level over [l->last, t) clipped to the window. */
static void integrate(fl_level *l, fl_time t)
{
    if (t > l->end)
        t = l->end;
    fl_time from = l->last < l->start ? l->start : l->last;
    if (t <= from) {
        if (t > l->last)
            l->last = t;
        return;
    }
    if (l->level != 0) {
        int i = (int)((from - l->start) / l->len);
        while (from < t) {
            fl_time bend = l->start + (fl_time)(i + 1) * l->len;
            fl_time to = bend < t ? bend : t;
            l->area[i] += l->level * (double)(to - from);
            from = to;
            i++;
        }
    }
    l->last = t;
}

void fl_level_set(fl_level *l, fl_time t, double v)
{
    if (t > l->last)
        integrate(l, t);
    l->level = v;
}

void fl_level_finish(fl_level *l, fl_time end)
{
    integrate(l, end);
    if (end < l->end)
        l->end = end; /* a run that stopped early: average over what was simulated */
}

double fl_level_mean(const fl_level *l)
{
    double a = 0;
    for (int i = 0; i < l->nb; i++)
        a += l->area[i];
    fl_time span = l->end - l->start;
    return span > 0 ? a / (double)span : 0;
}

double fl_level_halfwidth(const fl_level *l, double conf)
{
    double means[FL_BATCH_MAX];
    int k = 0;
    for (int i = 0; i < l->nb; i++) {
        fl_time bs = l->start + (fl_time)i * l->len;
        fl_time be = bs + l->len < l->end ? bs + l->len : l->end;
        if (be - bs < l->len) /* a partial last batch would weigh wrongly */
            break;
        means[k++] = l->area[i] / (double)l->len;
    }
    return halfwidth(means, k, conf);
}
