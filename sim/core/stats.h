/* Statistics for confidence intervals: Student t and normal quantiles, batch means over
 * time for per-sample figures, and time-weighted levels with batches for time averages.
 *
 * Batch means: the measured window [start, end) is cut into nb equal batches of time; each
 * batch's mean is one observation, and the half-width of a confidence interval for the
 * overall mean is t_{1-(1-conf)/2, k-1} * sd(batch means) / sqrt(k), over the k non-empty
 * batches. Batches much longer than the system's relaxation time make the batch means
 * nearly independent, which is what the t interval assumes. Adding is O(1), allocation-free. */
#ifndef FL_CORE_STATS_H
#define FL_CORE_STATS_H

#include <stdint.h>
#include <faultline/time.h>

#define FL_BATCH_MAX 64

/* Quantile of Student's t with df >= 1 degrees of freedom at probability p in (0, 1). */
double fl_t_quantile(double p, int df);
/* Quantile of the standard normal at probability p in (0, 1). */
double fl_normal_quantile(double p);

typedef struct fl_batch {
    fl_time start, end, len; /* len: one batch's length */
    int nb;
    uint64_t count[FL_BATCH_MAX];
    double sum[FL_BATCH_MAX];
    uint64_t n;
    double total;
} fl_batch;

void fl_batch_init(fl_batch *b, fl_time start, fl_time end, int nbatches);
/* Adds a sample observed at time t (ignored outside [start, end)). */
void fl_batch_add(fl_batch *b, fl_time t, double v);
/* The mean of every sample added (0 when none). */
double fl_batch_mean(const fl_batch *b);
/* Half-width of the conf-level interval for the mean; NaN with fewer than 2 non-empty
 * batches. */
double fl_batch_halfwidth(const fl_batch *b, double conf);

typedef struct fl_level {
    fl_time start, end, len;
    int nb;
    double area[FL_BATCH_MAX]; /* integral of the level over each batch, in level*ns */
    double level;
    fl_time last;
} fl_level;

void fl_level_init(fl_level *l, fl_time start, fl_time end, int nbatches);
/* The level changes to v at time t (t never decreases). */
void fl_level_set(fl_level *l, fl_time t, double v);
/* Integrates the current level up to `end` (call once before reading). */
void fl_level_finish(fl_level *l, fl_time end);
/* Time average over [start, min(end, finish time)). */
double fl_level_mean(const fl_level *l);
double fl_level_halfwidth(const fl_level *l, double conf);

#endif
