/* One self-contained HTML report (inline CSS, charts as inline <svg>, no external asset)
 * from the files a run or a comparison wrote, to hand out or project.
 *
 * DIR is a run directory (summary.json, timeseries.csv, events.jsonl) or a compare
 * directory (compare.json, compare.csv, runs/<variant>-seed<N>/). Like plotting, the report
 * reads only those files, never the engine. The scenario's story, references and the
 * variants' "about" texts are not in them: they come from the optional scenario file.
 * The output is byte-identical for the same inputs (no clock, no path of DIR in it). */
#ifndef FL_OUT_REPORT_H
#define FL_OUT_REPORT_H

#include <faultline/status.h>

/* Writes out_file (NULL: DIR/report.html) through a temporary name and a rename.
 * scenario_file may be NULL. Errors: FL_USAGE when DIR is missing or is neither kind of
 * directory, or the scenario file names another scenario; FL_SYNTAX when an input file
 * is malformed; FL_IO when writing fails; FL_NOMEM. */
fl_status fl_report_write(const char *dir, const char *out_file, const char *scenario_file,
                          fl_error *e);
/* The same; for a compare directory, also writes each overlay chart (median over seeds per
 * variant, band from the lowest to the highest seed) into charts_dir (which must exist) as
 * overlay-<workload>-<figure>.svg. charts_dir NULL: none. */
fl_status fl_report_write_charts(const char *dir, const char *out_file, const char *scenario_file,
                                 const char *charts_dir, fl_error *e);

#endif
