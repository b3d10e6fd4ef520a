/* Per-window time series: named columns accumulated into fixed windows of virtual time,
 * written as CSV (one row per window, "t_s" first).
 *
 * Column kinds decide how values inside one window combine:
 *   FL_SERIES_SUM   counts and totals (requests, errors)           -> sum
 *   FL_SERIES_MAX   a gauge's peak in the window (queue depth)      -> max
 *   FL_SERIES_LAST  a gauge's value at the window's end             -> last set, carried on
 *   FL_SERIES_MEAN  a per-sample mean (latency)                     -> sum / samples
 *   FL_SERIES_RATE  a count per second of window                    -> sum / window_s
 * Adding is O(1) and allocation-free once the series is created. */
#ifndef FAULTLINE_SERIES_H
#define FAULTLINE_SERIES_H

#include <stdio.h>
#include <faultline/status.h>
#include <faultline/time.h>

typedef struct fl_series fl_series;

typedef enum fl_series_kind {
    FL_SERIES_SUM,
    FL_SERIES_MAX,
    FL_SERIES_LAST,
    FL_SERIES_MEAN,
    FL_SERIES_RATE,
} fl_series_kind;

/* A series covering [0, duration) in windows of `window` ns (the last may be partial).
 * Caller frees with fl_series_free; NULL on bad arguments or allocation failure. */
fl_series *fl_series_new(fl_time window, fl_time duration);
void fl_series_free(fl_series *s);
/* Adds a column; returns its index, or -1 on allocation failure. Names are copied. */
int fl_series_column(fl_series *s, const char *name, fl_series_kind kind);
/* Adds v to column c at time t (t outside [0, duration) is ignored). */
void fl_series_add(fl_series *s, int c, fl_time t, double v);
/* Adds a window's worth of samples gathered by the caller into the window holding t, as
 * that many fl_series_add calls would: n samples of sum `sum`, largest `max`, last `last`
 * (n == 0: nothing). When the cell is empty the result is exactly that of the calls; in
 * a cell already holding samples the sums are added once (for a column of ones, still
 * exactly). For hot paths that count per window and flush when the window ends. */
void fl_series_add_cell(fl_series *s, int c, fl_time t, double sum, double max, double last,
                        uint64_t n);
size_t fl_series_windows(const fl_series *s);
size_t fl_series_columns(const fl_series *s);
const char *fl_series_name(const fl_series *s, int c);
/* The combined value of column c in window w (see the kinds above). */
double fl_series_value(const fl_series *s, int c, size_t w);
/* Writes the CSV (header + rows) with a fixed, locale-independent number format. */
fl_status fl_series_write_csv(const fl_series *s, FILE *f);

#endif
