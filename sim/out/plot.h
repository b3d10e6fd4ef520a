/* Charts: gnuplot scripts written next to a run's data, and drawn when gnuplot is there.
 * Plotting reads only the files a run wrote (summary.json, timeseries.csv, events.jsonl);
 * it never links the engine's state. */
#ifndef FL_OUT_PLOT_H
#define FL_OUT_PLOT_H

#include <stdbool.h>
#include <faultline/status.h>

typedef struct fl_gp_template {
    const char *name; /* "common", "latency", ... */
    const char *text;
} fl_gp_template;

/* The templates of tools/gnuplot, embedded at build time; ends with {0, 0}. */
extern const fl_gp_template fl_gp_templates[];

typedef struct fl_plot_report {
    int scripts;      /* chart scripts written */
    int images;       /* images drawn (0 when gnuplot is missing) */
    bool gnuplot;     /* gnuplot was found and ran */
    char charts_dir[4096];
} fl_plot_report;

/* Writes RUN_DIR/charts/<chart>.gp for every chart and, when gnuplot is on the PATH, draws
 * <chart>.png and <chart>.svg. A missing gnuplot is not an error (rep->gnuplot is false). */
fl_status fl_plot_run_dir(const char *run_dir, fl_plot_report *rep, fl_error *e);
/* The same; the lesson charts the scenario's "charts" list names (charts, ncharts) are
 * drawn first, in its order. `scenario` (NULL: not checked) must be the run's scenario. */
fl_status fl_plot_run_dir_for(const char *run_dir, const char *scenario,
                              const char *const *charts, size_t ncharts, fl_plot_report *rep,
                              fl_error *e);

#define FL_PLOT_SWEEP_MAX_VALUES 1000 /* values per parameter that a chart can show */

/* Charts of a sweep directory (sweep.json): for each metric, DIR/charts/sweep_<metric>.gp,
 * the metric's mean and 95% CI against the first parameter (a line per value of the
 * second); with two parameters also sweep_<metric>_heat.gp, a heat map. Each script holds
 * its data. PNG and SVG are drawn when gnuplot is on the PATH, as for fl_plot_run_dir. */
fl_status fl_plot_sweep_dir(const char *sweep_dir, fl_plot_report *rep, fl_error *e);

#endif
