/* Line charts as self-contained <svg> elements, written by our own code (no gnuplot), so a
 * report or the dashboard can inline them in HTML with no external asset.
 *
 * A chart: title, axis labels (with units), linear or log y, "nice" tick values, a legend,
 * shaded x-intervals with labels (fault windows), any number of series each with an
 * optional band (e.g. min..max over seeds), and a small grey stamp line.
 *
 * Data rules: a point whose x or y is not finite breaks the line (a gap, not a drop to 0);
 * on a log axis a non-positive y breaks it too; a point alone between gaps is drawn as a
 * dot. An empty or all-gap chart is still drawn, with a "no data" note.
 *
 * Output is byte-deterministic: fixed layout, numbers with "%.6g" and '.' as the decimal
 * point whatever the locale, no ids (several charts can share one HTML page), no clock.
 * Every text is escaped for XML. Nothing here knows about runs or reports. */
#ifndef FL_OUT_SVG_H
#define FL_OUT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <faultline/status.h>

typedef struct fl_svg_series {
    const char *name;      /* legend text; NULL or "" leaves it out of the legend */
    const double *x, *y;   /* n points, x ascending */
    size_t n;
    const double *lo, *hi; /* optional band around the line, n points each; NULL: none */
    const char *color;     /* "#rrggbb"; NULL: fl_svg_color(series index) */
    double width;          /* stroke width in px; 0: 2 */
    bool dashed;
    int dash;              /* line style: 0 solid (or dashed), 1..: fl_svg_dash(dash) */
} fl_svg_series;

typedef struct fl_svg_shade {
    double x0, x1;     /* in data units; clipped to the x range */
    const char *label; /* may be NULL */
    const char *color; /* NULL: light red (a fault) */
} fl_svg_shade;

typedef struct fl_svg_chart {
    const char *title;
    const char *xlabel, *ylabel; /* with units, e.g. "time (s)" */
    const char *stamp;           /* small grey line at the bottom right; may be NULL */
    bool log_y;
    bool y_zero;       /* linear axis: always include 0 (counts, rates) */
    int width, height; /* px; 0: 760 x 360 (the legend adds rows below) */
    const fl_svg_series *series;
    size_t nseries;
    const fl_svg_shade *shades;
    size_t nshades;
    /* Optional: names for the rows 1..nycats of a linear y axis (who is primary, who holds
     * the lock): the axis spans 0.5..nycats+0.5 and shows these names, not numbers. */
    const char *const *ycats;
    size_t nycats;
} fl_svg_chart;

/* Writes one <svg> element. FL_INVALID for a NULL chart or series data, FL_IO on a write
 * error. */
fl_status fl_svg_write(FILE *f, const fl_svg_chart *c);

/* Nice linear ticks (steps of 1, 2 or 5 x 10^k, about `target` of them) covering [lo, hi]:
 * the range is widened to whole steps, returned in *lo_out, *hi_out. Returns the number
 * of ticks written (at most max). lo < hi, both finite. */
size_t fl_svg_ticks(double lo, double hi, int target, double *lo_out, double *hi_out,
                    double *ticks, size_t max);
/* Log ticks: whole decades covering [lo, hi] (0 < lo <= hi), at least one decade wide;
 * every k-th decade when there are many. */
size_t fl_svg_log_ticks(double lo, double hi, double *lo_out, double *hi_out, double *ticks,
                        size_t max);

/* v as "%.6g" with '.' as the decimal point whatever LC_NUMERIC says; -0 as "0". */
void fl_svg_num(double v, char *buf, size_t n);
/* The same, a whole number of four digits or more with thousands separators ("12,000"):
 * the tick labels. */
void fl_svg_num_grouped(double v, char *buf, size_t n);
/* The same with "%.*g" of `prec` significant digits (1..17). */
void fl_svg_numg(double v, int prec, char *buf, size_t n);
/* Writes s escaped for XML/HTML text and attributes (& < > " '); control characters,
 * which XML 1.0 forbids, become spaces. Returns 0, or -1 on a write error. */
int fl_svg_escape(FILE *f, const char *s);
/* A stroke-dasharray per line style 1.. (cycles; style 0 is solid): the metric's style
 * when the colour says the variant. */
const char *fl_svg_dash(int style);
/* The palette: a colour per series index (cycles). */
const char *fl_svg_color(size_t i);

#endif
