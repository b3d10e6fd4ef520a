/* Confidence-interval statistics: see stats.h.
 *
 * Quantiles are computed for the lower tail q = min(p, 1 - p) and mirrored, because a
 * small probability is represented with full relative precision while 1 - q is not; for
 * the same reason the t CDF is evaluated through whichever of its two incomplete-beta
 * forms is small (the tail for q < 1/4, the centre above), each with its argument and
 * its complement computed separately. Nothing here allocates or keeps state. */
#include "core/stats.h"

#include <math.h>
#include <stdio.h>

#define PI 3.14159265358979323846

/* ---- the normal quantile ---------------------------------------------------------- */

/* Acklam's rational approximation (relative error < 1.2e-9) for the lower tail q <= 1/2,
 * then one Halley step on erfc, which is accurate in relative terms for small q. */
static double normal_lower(double q)
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
    double x, e;
    if (q < 0.02425) {
        double r = sqrt(-2 * log(q));
        x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
            ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
        e = 0.5 * erfc(-x / sqrt(2)) - q; /* Phi(x) - q, both small: erfc keeps digits */
    } else {
        double h = q - 0.5, r = h * h; /* q - 0.5 is exact here */
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * h /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        e = 0.5 * erf(x / sqrt(2)) - h; /* (Phi(x) - 1/2) - (q - 1/2): no cancellation at 0 */
    }
    /* Halley: u = e / phi(x); x -= u / (1 + x u / 2). */
    double u = e * sqrt(2 * PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double fl_normal_quantile(double p)
{
    if (p == 0)
        return -INFINITY;
    if (p == 1)
        return INFINITY;
    if (!(p > 0 && p < 1))
        return NAN;
    if (p == 0.5)
        return 0;
    return p < 0.5 ? normal_lower(p) : -normal_lower(1 - p); /* 1 - p is exact for p >= 1/2 */
}

/* ---- Student's t ------------------------------------------------------------------ */

/* The continued fraction of I_x(a, b) (modified Lentz), converging fast for
 * x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1, d = 1 - (a + b) * x / (a + 1);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 20000; m++) {
        /* even step d_{2m}, then odd step d_{2m+1} */
        double aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? 1 / tiny : 1 / d;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        d = 1 + aa * d;
        d = fabs(d) < tiny ? 1 / tiny : 1 / d;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return h;
}

/* ln I_x(a, b), the regularised incomplete beta, given x and y = 1 - x computed separately
 * (so a y near 0 keeps its digits). In logs so that far tails do not underflow. */
static double log_ibeta(double a, double b, double x, double y)
{
    if (x <= 0)
        return -INFINITY;
    if (y <= 0)
        return 0;
    double log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y);
    if (x < (a + 1) / (a + b + 2))
        return log_front + log(beta_cf(a, b, x) / a);
    return log1p(-exp(log_front) * beta_cf(b, a, y) / b);
}

/* For t > 0: ln P(T > t) = ln(I_{n/(n+t^2)}(n/2, 1/2) / 2) when tail is set, else
 * ln P(0 < T <= t) = ln(I_{t^2/(n+t^2)}(1/2, n/2) / 2). */
static double log_t_part(double t, double n, int tail)
{
    double t2 = t * t;
    double x = n / (n + t2), y = t2 / (n + t2);
    return (tail ? log_ibeta(n / 2, 0.5, x, y) : log_ibeta(0.5, n / 2, y, x)) - log(2.0);
}

static double log_t_pdf(double t, double n)
{
    return lgamma((n + 1) / 2) - lgamma(n / 2) - 0.5 * log(n * PI) -
           (n + 1) / 2 * log1p(t * t / n);
}

/* Cornish-Fisher expansion of the t quantile in powers of 1/n around the normal quantile
 * z (Abramowitz & Stegun 26.7.5, terms to 1/n^4). */
static double t_expansion(double z, double n)
{
    double z2 = z * z;
    double g1 = (z2 + 1) * z / 4;
    double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
    double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
    double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
    return z + (g1 + (g2 + (g3 + g4 / n) / n) / n) / n;
}

double fl_t_quantile(double p, int df)
{
    if (df < 1 || !(p > 0 && p < 1))
        return NAN;
    if (p == 0.5)
        return 0;
    double q = p < 0.5 ? p : 1 - p; /* the lower tail; 1 - p is exact for p >= 1/2 */
    double sign = p < 0.5 ? -1 : 1;
    double n = df;
    if (df == 1) /* Cauchy: tan(pi (p - 1/2)), as -1 / tan(pi q) in the tail where the
                  * first form's argument would be near pi/2 and lose digits */
        return q < 0.25 ? sign / tan(PI * q) : sign * tan(PI * (0.5 - q));
    if (df == 2)
        return sign * (1 - 2 * q) / sqrt(2 * q * (1 - q));
    double z = -normal_lower(q);
    double t = t_expansion(z, n);
    /* The expansion's error grows like z^11 / n^5: below 1e-12 relative for n >= 3000 and
     * |z| <= 8 (q >= 6e-16), and for every double q once n >= 10^6. Newton elsewhere, where
     * the incomplete beta is also still cheap and precise. */
    if ((n >= 3000 && z <= 8) || n >= 1e6)
        return sign * t;
    if (q < 0.25) {
        /* Far out the tail is a power law, T(t) ~ t^-n: Newton on ln T against ln t
         * converges there in a few steps (on T against t it would crawl), and near the
         * normal it is no worse. Start from the power law's own inverse when t^2 >> n. */
        double log_t_pow = 0.5 * log(n) -
                           (log(q) + log(n) + lgamma(n / 2) + lgamma(0.5) - lgamma(n / 2 + 0.5)) / n;
        if (2 * log_t_pow > log(4 * n) && log_t_pow > log(t))
            t = exp(log_t_pow);
        double log_q = log(q);
        for (int i = 0; i < 200; i++) {
            double lt = log_t_part(t, n, 1);
            /* d ln T / d ln t = -t pdf(t) / T(t) */
            double step = (lt - log_q) * exp(lt - log(t) - log_t_pdf(t, n));
            if (step > 2) /* keep a wild first step in check */
                step = 2;
            else if (step < -2)
                step = -2;
            t *= exp(step);
            if (fabs(step) <= 1e-15)
                break;
        }
        return sign * t;
    }
    /* The centre: P(0 < T <= t) = 1/2 - q, increasing and concave on t > 0. */
    double target = 0.5 - q; /* exact for q in [1/4, 1/2] */
    if (!(t > 0))
        t = 1e-3;
    for (int i = 0; i < 100; i++) {
        double next = t - (exp(log_t_part(t, n, 0)) - target) / exp(log_t_pdf(t, n));
        if (!(next > 0))
            next = t / 2;
        if (fabs(next - t) <= 1e-15 * t) {
            t = next;
            break;
        }
        t = next;
    }
    return sign * t;
}

/* ---- cutting a window into batches ---------------------------------------------------- */

static void cut_init(fl_batching *c, fl_time start, fl_time end, int nbatches)
{
    if (end <= start)
        end = start + 1;
    fl_time span = end - start;
    int nb = nbatches < 2 ? 2 : nbatches > FL_BATCH_MAX ? FL_BATCH_MAX : nbatches;
    if (span < nb)
        nb = (int)span; /* every batch at least 1 ns long (may leave a single batch) */
    c->start = start;
    c->end = end;
    c->nb = nb;
    c->q = span / nb;
    c->r = (int)(span % nb);
}

/* Start of batch i (i = nb gives the end). */
static fl_time cut_start(const fl_batching *c, int i)
{
    return c->start + (fl_time)i * c->q + (i < c->r ? i : c->r);
}

/* The batch holding t, for start <= t < end. */
static int cut_index(const fl_batching *c, fl_time t)
{
    fl_time d = t - c->start, big = (fl_time)c->r * (c->q + 1);
    return d < big ? (int)(d / (c->q + 1)) : c->r + (int)((d - big) / c->q);
}

/* Half-width from k batch means. */
static double halfwidth(const double *means, int k, double conf)
{
    if (k < 2 || !(conf > 0 && conf < 1))
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

/* Lag-1 autocorrelation of k values (0 when they are all equal). */
static double lag1(const double *x, int k)
{
    double m = 0, num = 0, den = 0;
    for (int i = 0; i < k; i++)
        m += x[i];
    m /= k;
    for (int i = 0; i < k; i++) {
        den += (x[i] - m) * (x[i] - m);
        if (i + 1 < k)
            num += (x[i] - m) * (x[i + 1] - m);
    }
    return den > 0 ? num / den : 0;
}

/* The interval from k batches given as (sum, weight) with weight > 0, each batch's mean
 * sum / weight: tested for independence and merged in pairs while correlated (see
 * stats.h). sum and w are scratch: merging overwrites them. */
static fl_ci ci_from(double *sum, double *w, int k, double conf)
{
    const double z95 = 1.6448536269514722; /* the standard normal's 0.95 quantile */
    double means[FL_BATCH_MAX];
    fl_ci ci = {.reliable = true, .batches0 = k};
    for (;;) {
        for (int i = 0; i < k; i++)
            means[i] = sum[i] / w[i];
        if (k < FL_CI_MIN_BATCHES)
            break; /* too few to test: the interval stands as the t formula gives it */
        ci.lag1 = lag1(means, k);
        if (ci.lag1 <= z95 / sqrt(k))
            break;
        if (k / 2 < FL_CI_MIN_BATCHES) {
            ci.reliable = false;
            break;
        }
        int h = k / 2; /* pairs; an odd batch out joins the last pair */
        for (int i = 0; i < h; i++) {
            sum[i] = sum[2 * i] + sum[2 * i + 1];
            w[i] = w[2 * i] + w[2 * i + 1];
        }
        if (k % 2) {
            sum[h - 1] += sum[k - 1];
            w[h - 1] += w[k - 1];
        }
        k = h;
        ci.merges++;
    }
    ci.batches = k;
    ci.halfwidth = halfwidth(means, k, conf);
    return ci;
}

void fl_ci_why(const fl_ci *ci, char *buf, size_t n)
{
    if (ci->reliable)
        snprintf(buf, n, "%s", "");
    else
        snprintf(buf, n,
                 "batch means are correlated (lag-1 autocorrelation %.2f with %d batches, "
                 "merged from %d): the figure drifts over the run (faults, a trend) or the "
                 "run is short for the system's memory, and the interval is too narrow",
                 ci->lag1, ci->batches, ci->batches0);
}

/* ---- batch means of samples ------------------------------------------------------------ */

void fl_batch_init(fl_batch *b, fl_time start, fl_time end, int nbatches)
{
    *b = (fl_batch){0};
    cut_init(&b->cut, start, end, nbatches);
}

int fl__batch_add_slow(fl_batch *b, fl_time t, double v)
{
    if (t < b->cut.start || t >= b->cut.end)
        return -1;
    int i = b->cur = cut_index(&b->cut, t);
    b->cur_start = cut_start(&b->cut, i);
    b->cur_end = cut_start(&b->cut, i + 1);
    b->count[i]++;
    b->sum[i] += v;
    b->n++;
    b->total += v;
    return i;
}

void fl_batch_from_counts(fl_batch *b, const fl_batch *like, const uint64_t *hits)
{
    *b = *like;
    uint64_t total = 0;
    for (int i = 0; i < like->cut.nb; i++) {
        b->sum[i] = (double)hits[i];
        total += hits[i];
    }
    b->total = (double)total;
}

double fl_batch_mean(const fl_batch *b) { return b->n ? b->total / (double)b->n : 0; }

fl_ci fl_batch_ci(const fl_batch *b, double conf)
{
    double sum[FL_BATCH_MAX], w[FL_BATCH_MAX];
    int k = 0;
    for (int i = 0; i < b->cut.nb; i++)
        if (b->count[i]) {
            sum[k] = b->sum[i];
            w[k++] = (double)b->count[i];
        }
    return ci_from(sum, w, k, conf);
}

double fl_batch_halfwidth(const fl_batch *b, double conf) { return fl_batch_ci(b, conf).halfwidth; }

/* ---- time-weighted levels -------------------------------------------------------------- */

void fl_level_init(fl_level *l, fl_time start, fl_time end, int nbatches)
{
    *l = (fl_level){0};
    cut_init(&l->cut, start, end, nbatches);
    l->last = l->cut.start;
    l->stop = l->cut.end;
    l->cur = 0;
    l->cur_end = cut_start(&l->cut, 1);
}

/* Integrates the current level over [last, t) clipped to the window. */
static void integrate(fl_level *l, fl_time t)
{
    if (t > l->stop)
        t = l->stop;
    fl_time from = l->last < l->cut.start ? l->cut.start : l->last;
    if (t <= from) {
        if (t > l->last)
            l->last = t;
        return;
    }
    if (l->level != 0) {
        while (from < t) {
            while (from >= l->cur_end) { /* each batch is passed once over a whole run */
                l->cur++;
                l->cur_end = cut_start(&l->cut, l->cur + 1);
            }
            fl_time to = l->cur_end < t ? l->cur_end : t;
            l->area[l->cur] += l->level * (double)(to - from);
            from = to;
        }
    }
    l->last = t;
}

/* integrate() for n levels that share their cut and their last change: one pass over the
 * batches, the same additions per level as n separate calls would make. */
static void integrate_n(fl_level *const *ls, int n, fl_time t)
{
    fl_level *l = ls[0];
    if (t > l->stop)
        t = l->stop;
    fl_time from = l->last < l->cut.start ? l->cut.start : l->last;
    if (t <= from) {
        if (t > l->last)
            for (int k = 0; k < n; k++)
                ls[k]->last = t;
        return;
    }
    while (from < t) {
        while (from >= l->cur_end) {
            l->cur++;
            l->cur_end = cut_start(&l->cut, l->cur + 1);
        }
        fl_time to = l->cur_end < t ? l->cur_end : t;
        double d = (double)(to - from);
        for (int k = 0; k < n; k++)
            if (ls[k]->level != 0)
                ls[k]->area[l->cur] += ls[k]->level * d;
        from = to;
    }
    for (int k = 0; k < n; k++) {
        ls[k]->last = t;
        ls[k]->cur = l->cur;
        ls[k]->cur_end = l->cur_end;
    }
}

void fl_levels_set(fl_level *const *ls, const double *v, int n, fl_time t)
{
    fl_level *l = ls[0];
    if (t > l->last) {
        /* Most changes fall in the batch of the last one, inside the window. */
        if (t < l->cur_end && t <= l->stop && l->last >= l->cut.start) {
            double d = (double)(t - l->last);
            for (int k = 0; k < n; k++) {
                if (ls[k]->level != 0)
                    ls[k]->area[l->cur] += ls[k]->level * d;
                ls[k]->last = t;
            }
        } else
            integrate_n(ls, n, t);
    }
    for (int k = 0; k < n; k++)
        ls[k]->level = v[k];
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
    if (end < l->stop)
        l->stop = end > l->cut.start ? end : l->cut.start;
}

double fl_level_mean(const fl_level *l)
{
    double a = 0;
    for (int i = 0; i < l->cut.nb; i++)
        a += l->area[i];
    fl_time span = l->stop - l->cut.start;
    return span > 0 ? a / (double)span : 0;
}

fl_ci fl_level_ci(const fl_level *l, double conf)
{
    double sum[FL_BATCH_MAX], w[FL_BATCH_MAX];
    int k = 0;
    for (int i = 0; i < l->cut.nb; i++) {
        fl_time bs = cut_start(&l->cut, i), be = cut_start(&l->cut, i + 1);
        if (be > l->stop) /* a batch cut short by an early stop would weigh wrongly */
            break;
        sum[k] = l->area[i];
        w[k++] = (double)(be - bs);
    }
    return ci_from(sum, w, k, conf);
}

double fl_level_halfwidth(const fl_level *l, double conf) { return fl_level_ci(l, conf).halfwidth; }
