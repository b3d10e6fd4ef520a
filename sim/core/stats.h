/* Statistics for confidence intervals: Student t and normal quantiles, batch means over
 * time for per-sample figures, and time-weighted levels with batches for time averages.
 *
 * Batch means: the measured window [start, end) is cut into nb batches of time whose
 * lengths differ by at most 1 ns; each batch's mean is one observation, and the half-width
 * of the confidence interval for the overall mean is
 *     t_{1-(1-conf)/2, k-1} * sd(batch means) / sqrt(k)
 * over the k usable batches (non-empty ones for samples; whole ones for levels). Batches
 * much longer than the system's relaxation time make batch means nearly independent,
 * which is what the t interval assumes; when they are not, the interval is too narrow.
 * So the interval is built only after a test of independence: when the lag-1
 * autocorrelation of the k batch means exceeds z_0.95 / sqrt(k) (a one-sided 5% test:
 * under independence it is about normal with variance 1/k), adjacent batches are merged
 * in pairs and the test repeated, down to FL_CI_MIN_BATCHES; still correlated there, the
 * interval is reported unreliable (fl_ci.reliable), never passed off as sound.
 * Independent batches are merged about 4% of the time and called unreliable about 5e-5 of
 * the time (tests/unit/test_stats.c). fl_batch_add and fl_level_set are O(1) amortised
 * and allocation-free: they run on every event.
 *
 * Both structs are plain values (fixed arrays, no pointers): embed them, copy them, no
 * cleanup. Internal to the library (not in include/faultline). */
#ifndef FL_CORE_STATS_H
#define FL_CORE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <faultline/time.h>

#define FL_BATCH_MAX 64
/* The fewest batches an interval is tested on and merged down to. */
#define FL_CI_MIN_BATCHES 8

/* Quantile of Student's t with df >= 1 degrees of freedom at probability p in (0, 1),
 * to about 1e-10 relative or better (closed forms for df 1 and 2; Newton on the exact CDF
 * through the regularised incomplete beta; a fourth-order Cornish-Fisher expansion for
 * large df). NaN when df < 1 or p is outside (0, 1). Pass INT32_MAX for the normal limit. */
double fl_t_quantile(double p, int df);
/* Quantile of the standard normal at p in (0, 1): -inf at 0, +inf at 1, NaN otherwise
 * (Acklam's rational approximation refined by one Halley step; about 1e-15 relative). */
double fl_normal_quantile(double p);

/* How [start, end) is cut: nb batches, the first r of length q + 1, the rest q (q >= 1). */
typedef struct fl_batching {
    fl_time start, end;
    fl_time q;
    int r, nb;
} fl_batching;

typedef struct fl_batch {
    fl_batching cut;
    uint64_t count[FL_BATCH_MAX];
    double sum[FL_BATCH_MAX];
    uint64_t n;
    double total;
    fl_time cur_start, cur_end; /* the batch of the last sample, [cur_start, cur_end): a */
    int cur;                    /* cache, as samples mostly come in time order */
} fl_batch;

/* Starts collecting over [start, end) in nbatches batches (clamped to [2, 64], and to the
 * window's length in ns). An empty window (end <= start) is treated as [start, start + 1). */
void fl_batch_init(fl_batch *b, fl_time start, fl_time end, int nbatches);
/* fl_batch_add_at for a sample outside the cached batch (stats.c). */
int fl__batch_add_slow(fl_batch *b, fl_time t, double v);
/* fl_batch_add, returning the batch the sample went to (-1: outside the window). Inline:
 * it runs a few times per request, and most samples fall in the batch of the last one. */
static inline int fl_batch_add_at(fl_batch *b, fl_time t, double v)
{
    if (__builtin_expect(t < b->cur_start || t >= b->cur_end, 0))
        return fl__batch_add_slow(b, t, v);
    int i = b->cur;
    b->count[i]++;
    b->sum[i] += v;
    b->n++;
    b->total += v;
    return i;
}
/* Adds a sample observed at time t (ignored outside [start, end)). O(1). */
static inline void fl_batch_add(fl_batch *b, fl_time t, double v) { (void)fl_batch_add_at(b, t, v); }
/* The batches of a 0/1 figure sampled at the same times as `like`: like's counts, and
 * hits[i] ones in batch i (the rest zeros). The same values fl_batch_add would give for
 * those samples in any order, since sums of ones below 2^53 are exact. */
void fl_batch_from_counts(fl_batch *b, const fl_batch *like, const uint64_t *hits);
/* The mean of every sample added (0 when none). */
double fl_batch_mean(const fl_batch *b);
/* A confidence interval from batch means, with the batching it rests on. */
typedef struct fl_ci {
    double halfwidth; /* NaN with fewer than 2 batches, or conf outside (0, 1) */
    int batches;      /* batch means used, after merging */
    int batches0;     /* usable batches before merging */
    int merges;       /* times adjacent batches were merged in pairs */
    double lag1;      /* lag-1 autocorrelation of those batch means (0 when untested) */
    bool reliable;    /* false: still correlated at FL_CI_MIN_BATCHES batches */
} fl_ci;

/* The conf-level interval for the mean, from the means of the non-empty batches, merged
 * as the header says. Half-width NaN with fewer than 2 non-empty batches. */
fl_ci fl_batch_ci(const fl_batch *b, double conf);
/* fl_batch_ci's half-width. */
double fl_batch_halfwidth(const fl_batch *b, double conf);
/* One sentence for a user saying why ci is unreliable ("" when it is reliable). */
void fl_ci_why(const fl_ci *ci, char *buf, size_t n);

typedef struct fl_level {
    fl_batching cut;
    double area[FL_BATCH_MAX]; /* integral of the level over each batch, in level*ns */
    double level;              /* the current level */
    fl_time last;              /* integrated up to here */
    fl_time stop;              /* fl_level_finish's time (end until then) */
    int cur;                   /* the batch holding `last` (a cache: time only advances) */
    fl_time cur_end;           /* its end */
} fl_level;

/* Starts a level of 0 over [start, end) in nbatches batches (clamped as for fl_batch). */
void fl_level_init(fl_level *l, fl_time start, fl_time end, int nbatches);
/* The level changes to v at time t. The previous level is integrated over [last, t)
 * clipped to the window, split across batch boundaries. A t earlier than the last change
 * only changes the level. O(1) amortised. */
void fl_level_set(fl_level *l, fl_time t, double v);
/* fl_level_set on n levels at once (n <= 4), for levels that were initialised with the same
 * window and batches and are only ever set together (so they share `last`): one walk over
 * time instead of n, with the same arithmetic per level, so the same figures. */
void fl_levels_set(fl_level *const *ls, const double *v, int n, fl_time t);

/* fl_levels_set for three levels, inline: most changes fall in the batch of the last one,
 * inside the window, and need one multiply-add per level (adding 0 * d to an area leaves
 * it exactly as it was, so a zero level needs no test). */
static inline void fl_levels_set3(fl_level *a, fl_level *b, fl_level *c, fl_time t, double va,
                                  double vb, double vc)
{
    if (t > a->last && t < a->cur_end && t <= a->stop && a->last >= a->cut.start) {
        double d = (double)(t - a->last);
        int i = a->cur;
        a->area[i] += a->level * d;
        b->area[i] += b->level * d;
        c->area[i] += c->level * d;
        a->last = b->last = c->last = t;
        a->level = va;
        b->level = vb;
        c->level = vc;
        return;
    }
    fl_level *const ls[3] = {a, b, c};
    const double v[3] = {va, vb, vc};
    fl_levels_set(ls, v, 3, t);
}
/* Integrates the current level up to `end` and closes the level: a run that stopped
 * before the window's end is averaged over what was simulated. Call once, before reading. */
void fl_level_finish(fl_level *l, fl_time end);
/* Time average over [start, min(end, finish time)) (0 for an empty span). */
double fl_level_mean(const fl_level *l);
/* The interval from the whole batches' time averages, merged as for fl_batch_ci;
 * half-width NaN with fewer than 2 whole batches. */
fl_ci fl_level_ci(const fl_level *l, double conf);
double fl_level_halfwidth(const fl_level *l, double conf);

#endif
