/* Pieces shared by the commands that run many simulations (compare, sweep): a job pool
 * on threads, reading a figure of a summary by its dotted path, the mean with its 95%
 * Student-t interval, and mkdir -p. Internal to the library. */
#ifndef FL_SCENARIO_POOL_H
#define FL_SCENARIO_POOL_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Calls fn(ctx, i) once for every i in [0, n), on up to `threads` threads at once
 * (<= 0: the number of processors; never more than n). Jobs are handed out in index
 * order; fn must not depend on which thread runs it. Returns when every job is done.
 * Without threads to be had, the jobs run on the calling thread. */
void fl__pool_run(size_t n, int threads, void (*fn)(void *ctx, size_t i), void *ctx);

/* A figure of a summary by dotted path; keys may hold dots (the longest key wins). NULL
 * when absent. */
const cJSON *fl__figure(const cJSON *summary, const char *path);

/* What reading a figure found. */
typedef enum fl__fig_state {
    FL__FIG_ABSENT = 0, /* not in the summary, null, or not a number or true/false */
    FL__FIG_VALUE,      /* a number; true/false as 1/0 */
    FL__FIG_CENSORED,   /* a censored duration (figures.h) the run did not observe: *value
                         * is the bound duration_s - origin, NaN when the bound is unknown */
} fl__fig_state;

/* Reads a figure of a summary as a number, by the catalogue's type: a censored duration
 * whose flag is false is FL__FIG_CENSORED (never a silent NaN). *value is NaN when absent. */
fl__fig_state fl__figure_read(const cJSON *summary, const char *path, double *value);

/* A number of a summary as it reads back from the summary's text (cJSON_Print, then
 * parse): NaN when item is not a number or not finite (printed as null), else the value
 * of its shortest printed form (15 significant digits when they give it back within an
 * epsilon, else 17). Reading the summary object through this gives exactly what a run's
 * summary.json gives, without printing and parsing the whole summary. */
double fl__summary_number(const cJSON *item);
/* fl__figure_read on the figures as read back from the summary's text (as above). */
fl__fig_state fl__figure_read_printed(const cJSON *summary, const char *path, double *value);

/* Mean and 95% half-width (t(0.975, k-1) * sd / sqrt(k)) over the k non-NaN values of x.
 * Mean NaN when k = 0; half-width NaN when k < 2. *k_out (if not NULL) gets k. */
void fl__mean_ci95(const double *x, size_t n, double *mean, double *hw, size_t *k_out);

/* mkdir -p; 0 or -1 with errno set. */
int fl__mkdirs(const char *dir);

#endif
