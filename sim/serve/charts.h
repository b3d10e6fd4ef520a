/* The dashboard's finished charts, as SVG drawn by sim/out/svg.c from the files a job
 * wrote (timeseries.csv and events.jsonl of a run; runs/<variant>-seed<N>/ of a
 * comparison), never from the engine. */
#ifndef FL_SERVE_CHARTS_H
#define FL_SERVE_CHARTS_H

#include <stddef.h>
#include <stdio.h>

#include <faultline/status.h>

/* The chart names, indexed 0..FL_JOB_CHARTS-1 ("latency", "goodput", "nodes", "lesson":
 * the first lesson chart, the scenario's first declared one when it lists "charts"); -1
 * when `name` is none of them (compares have "latency", "goodput" and "lesson": the
 * lesson chart overlaid per variant, one colour per variant, from each one's seed 1). */
int fl_serve_chart_index(const char *name, int compare);

/* Writes chart `idx` of a run directory (variants NULL) or of a comparison directory
 * (its variants and seeds 1..seeds). `stamp` is the small grey line. */
fl_status fl_serve_chart(FILE *f, const char *dir, int idx, const char *scenario,
                         const char *const *variants, size_t nvariants, int seeds,
                         const char *stamp);
/* The same, knowing the scenario: its "charts" list chooses the lesson chart. */
struct fl_scenario;
fl_status fl_serve_chart_for(FILE *f, const char *dir, int idx, const struct fl_scenario *sc,
                             const char *const *variants, size_t nvariants, int seeds,
                             const char *stamp);

#endif
