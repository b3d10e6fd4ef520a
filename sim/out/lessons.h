/* Lesson charts: the charts that carry what an incident teaches (who is primary, how far a
 * replica lags, what a key expiry sends to the backend, ...), one catalogue keyed by
 * component kind (lessons.c). Each entry turns a run's files (summary.json, timeseries.csv,
 * events.jsonl) into chart specifications; plot.c draws them with gnuplot as
 * charts/lesson-*.png and report.c draws them as SVG. Like the other charts, they read only
 * the files a run wrote. */
#ifndef FL_OUT_LESSONS_H
#define FL_OUT_LESSONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include <faultline/status.h>

/* timeseries.csv in memory: ncols columns (0 is t_s), nrows rows, NaN for an empty cell.
 * The one reader of the file for the chart writers (plot.c, report.c, serve/charts.c). */
typedef struct fl_csv {
    int ncols;
    size_t nrows;
    char **names;
    double *v; /* by column: v[col * nrows + row], so a column is an array to draw */
} fl_csv;

/* Reads run_dir/timeseries.csv strictly (numbers read without the locale; every row as
 * many fields as the header; RFC 4180 quoting in the header). *out NULL and FL_OK when
 * the file is absent; FL_SYNTAX naming file, line and field when malformed; FL_IO, FL_NOMEM. */
fl_status fl_csv_load(const char *run_dir, fl_csv **out, fl_error *e);
/* fl_csv_load for the charts that draw what they can: NULL when missing, unreadable or
 * malformed. */
fl_csv *fl_csv_read(const char *run_dir);
void fl_csv_free(fl_csv *c);
/* The column's index, or -1. */
int fl_csv_col(const fl_csv *c, const char *name);
static inline double fl_csv_at(const fl_csv *c, size_t row, int col)
{
    return c->v[(size_t)col * c->nrows + row];
}
/* Column col (nrows values), or NULL when col < 0. */
static inline const double *fl_csv_column(const fl_csv *c, int col)
{
    return col < 0 || !c->v ? NULL : c->v + (size_t)col * c->nrows;
}
/* Column "<prefix><suffix>", or NULL. */
const double *fl_csv_find(const fl_csv *c, const char *prefix, const char *suffix);

#define FL_LESSON_MAX_SERIES 24
#define FL_LESSON_MAX_MARKS 12 /* numbered markers per chart (the rest: ticks, counted) */

typedef enum fl_lesson_style {
    FL_LS_STEPS,  /* a value per window, as steps */
    FL_LS_DASHED, /* the same, dashed (a reference: issued load) */
    FL_LS_ROLE    /* a bar on row `row` while the column is > 0 (primary, holds the lock) */
} fl_lesson_style;

/* What a series draws of its columns: the column itself, or a figure of it and `more`
 * (a database's load is the sum of its caches' queries; a hit ratio is hits over hits and
 * misses). Every renderer computes it the same way: fl_lesson_value. */
typedef enum fl_lesson_op {
    FL_LOP_COL,   /* col */
    FL_LOP_SUM,   /* col + more[0] + ... */
    FL_LOP_SHARE  /* col / (col + more[0]); NaN when both are 0 */
} fl_lesson_op;

#define FL_LESSON_MAX_MORE 3

typedef struct fl_lesson_series {
    char col[200];   /* the CSV column (checked against the header: name characters only) */
    char title[120]; /* legend text */
    int col_index;   /* in the CSV */
    fl_lesson_style style;
    int axis;        /* 1 left, 2 right */
    int panel;       /* 0 top, 1 bottom (a second panel under the first) */
    int row;         /* FL_LS_ROLE: its row, from 1 at the bottom */
    int color;       /* palette index (a member keeps its colour in both panels) */
    fl_lesson_op op;
    int nmore;                           /* columns after col that op combines */
    char more[FL_LESSON_MAX_MORE][200];  /* their names (checked as col is) */
    int more_index[FL_LESSON_MAX_MORE];  /* and indices in the CSV */
} fl_lesson_series;

/* The series' value at a row of the CSV, as its op says. */
double fl_lesson_value(const fl_csv *csv, const fl_lesson_series *s, size_t row);

/* A moment drawn on the chart: numbered (the footer says what it was) or a tick. */
typedef struct fl_lesson_mark {
    double t;
    char label[160];
    bool tick; /* drawn as a small mark at the top, counted in the footer, not numbered */
} fl_lesson_mark;

typedef struct fl_lesson_shade {
    double t0, t1;
    char label[120];
    bool trigger; /* a workload's rate step or a campaign: the incident's trigger */
    bool finding; /* what the run found (two lock holders), not a fault */
    bool dead;    /* a span where no request succeeded */
    bool sustain; /* a metastable run: from the faults' end on, the overload sustains itself */
} fl_lesson_shade;

typedef struct fl_lesson {
    char name[160];      /* file name without extension: lesson-<node>-<what> */
    char title[240];     /* the lesson, in one line */
    char ylabel[120], y2label[120], ylabel2[120]; /* ylabel2: the bottom panel's */
    char rows[16][64];   /* FL_LS_ROLE rows, from row 1 */
    int nrows;
    fl_lesson_series s[FL_LESSON_MAX_SERIES];
    int ns;
    double hline;        /* a horizontal reference on the left axis (capacity), or NaN */
    char hline_title[120];
    fl_lesson_mark marks[64];
    int nmarks;
    char tick_note[160]; /* the footer's line about the ticks ("14 key expiries") */
    fl_lesson_shade shades[16];
    int nshades;
    double t_end;        /* the run's end (x range) */
    char note[200];      /* a sentence written inside the last panel, at its top */
    bool declared;       /* named by the scenario's "charts" list */
} fl_lesson;

/* The lesson charts of one run (malloc'd array, *n of them; NULL and 0 when none), as the
 * catalogue declares them per kind of the run's nodes. The charts named in `order` (a
 * scenario's "charts" list, norder names) come first, in that order, marked declared;
 * the catalogue's others follow. */
fl_lesson *fl_lessons_build(const cJSON *summary, const char *events, const fl_csv *csv,
                            const char *const *order, size_t norder, int *n);

/* Spans of at least two windows, after the warm-up, where workload `wl` issued requests
 * and none succeeded ("<wl>.ok_per_s" is 0): their starts and ends into t0[], t1[]
 * (at most max); returns how many. */
int fl_run_dead_spans(const fl_csv *csv, const char *wl, double warm, double *t0, double *t1,
                      int max);
/* The same from the columns (t, ok per second, issued per second; nrows each). */
int fl_dead_spans(const double *t, const double *ok, const double *issued, size_t nrows,
                  double warm, double *t0, double *t1, int max);
/* The colour of a lesson chart's shade, the same in every renderer. */
const char *fl_lesson_shade_color(const fl_lesson_shade *s);

/* The names of the lesson charts the catalogue gives a scenario document ("nodes" and
 * "workloads" arrays, and what its variants "add"), '\n'-separated into buf: what a
 * scenario's "charts" list may name. */
void fl_lesson_names(const cJSON *doc, char *buf, size_t n);
/* Is name one of the lines of the '\n'-separated list? */
bool fl_lesson_listed(const char *list, const char *name);

/* A run directory as the chart writers read it: summary.json parsed, events.jsonl as text
 * (NULL when absent), timeseries.csv (NULL when absent). */
typedef struct fl_run_files {
    cJSON *summary;
    char *events;
    fl_csv *csv;
} fl_run_files;

/* Reads dir's files into r; FL_IO when summary.json is missing or not JSON (the other two
 * may be missing), FL_NOMEM. fl_run_files_free is safe after a failure. */
fl_status fl_run_files_read(const char *dir, fl_run_files *r);
void fl_run_files_free(fl_run_files *r);

/* One lesson chart overlaid across a comparison's variants: chart `name` of each variant's
 * run (runs[v], NULL or a run without that chart: left out), panel `panel`. One colour per
 * variant, a line style per metric; role bars are drawn per variant a little apart within
 * their row. Shades and markers are the first run's. */
fl_status fl_lesson_compare_svg(FILE *f, const char *name, const fl_run_files *const *runs,
                                const char *const *variants, size_t nvar, int panel,
                                const char *stamp);

/* The footer lines of a chart's numbered markers ("1  t=14 s: n3 promoted"): markers
 * closer than 2% of the x range share a number. Returns the count; groups[i] is the
 * number of marker i (from 1), 0 for a tick. */
int fl_lesson_number(const fl_lesson *l, int *groups, double *group_t, char lines[][240],
                     int max_lines);

/* Twelve distinguishable colours for the series (past twelve, gnuplot changes the dash). */
extern const char *const fl_lesson_palette[12];

/* Panel `panel` (0 or 1) of a lesson chart as one <svg> element (sim/out/svg.c): role bars
 * are thick lines at their row, numbered markers narrow dark bands labelled with their
 * number (fl_lesson_number's lines say what they are), ticks narrow grey bands. */
fl_status fl_lesson_svg(FILE *f, const fl_lesson *l, int panel, const fl_csv *csv,
                        const char *stamp);

#endif
