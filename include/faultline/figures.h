/* The figure catalogue: what every figure a run writes into summary.json means, in one
 * place. compare, sweep and the report read it to know which way is better, the unit,
 * how to print a value, and whether a run can fail to produce the figure (a censored
 * duration: the recovery time of a run that never recovered).
 *
 * The catalogue is a plain table of path patterns, searched in order (the first pattern
 * that matches wins, so specific entries come before general ones):
 *
 *   pattern   dotted summary path; "*" matches one key (or, inside a key, any characters:
 *             "try_errors_by_cause.*"), "**" any number of keys (zero or more)
 *   unit      "ms", "s", "/s", "fraction" (0..1), "ratio", "" (a plain number or count)
 *   label     the figure in a few words, for verdict lines ("goodput", "recovery")
 *   better    which direction is better: higher, lower, or neither (a setting, a size, a
 *             mechanism's own count)
 *   type      number; count (an integer: printed with thousands separators); flag (a
 *             true/false outcome per run, compared as a proportion of runs); censored (a
 *             duration that a run may not observe: see below)
 *   floor     the smallest absolute difference that matters (0: only the relative
 *             minimum effect, 1% of the reference by default, applies)
 *
 * Censored durations. A "time until X" figure exists only in runs where X happened; the
 * sibling flag `flag` says whether it did. For a run where it did not, the duration is
 * at least (duration_s - origin), where `origin` is the sibling holding the time in s from
 * which the duration counts (the end of the last fault for recovery_s): that bound stands
 * in for the run's value (see compare.c for why this keeps a verdict conservative). With
 * no origin the bound is unknown and the duration is not comparable when a run is
 * censored; the flag is then the figure to compare.
 *
 * Each entry names the node kinds that write it (`kinds`: "cache", "store election"; NULL
 * for the run's, the workloads' and the callers' figures and those any node may have):
 * a kind's descriptor (`faultline list --kinds`) shows the entries tagged with it, so this
 * table stays the one place a figure's meaning lives. A unit test fails when a bundled
 * scenario writes a figure the table does not know. */
#ifndef FAULTLINE_FIGURES_H
#define FAULTLINE_FIGURES_H

#include <stddef.h>

typedef enum fl_figure_better {
    FL_BETTER_NEITHER = 0,
    FL_BETTER_HIGHER,
    FL_BETTER_LOWER,
} fl_figure_better;

typedef enum fl_figure_type {
    FL_FIGURE_NUMBER = 0,
    FL_FIGURE_COUNT,
    FL_FIGURE_FLAG,
    FL_FIGURE_CENSORED,
} fl_figure_type;

typedef struct fl_figure_info {
    const char *pattern;
    const char *unit;
    const char *label;
    fl_figure_better better;
    fl_figure_type type;
    double floor;
    const char *flag;   /* censored only: sibling true/false "was it observed" */
    const char *origin; /* censored only: sibling time (s) it counts from; NULL: unknown */
    const char *kinds;  /* the node kinds that write it, space-separated; NULL: see above */
    /* A safety property: a correct design keeps this figure at 0 whatever the faults
     * (lost acknowledged writes, split-brain time, mutual-exclusion violations, lost
     * messages). `faultline explore` counts any run where it is above 0 as a violation. */
    int invariant;
} fl_figure_info;

/* True when the entry is tagged with node kind `kind`. */
int fl_figure_of_kind(const fl_figure_info *f, const char *kind);

/* The entry for a summary path (the first pattern that matches), or NULL when the
 * catalogue has none. The entry is static: never freed. */
const fl_figure_info *fl_figure_lookup(const char *path);

/* The whole table (for listing and tests): *n gets the number of entries. */
const fl_figure_info *fl_figure_table(size_t *n);

/* True when pattern matches path (the catalogue's matching rule, see above). */
int fl_figure_match(const char *pattern, const char *path);

/* "higher", "lower" or "neither"; "number", "count", "flag" or "censored". */
const char *fl_figure_better_name(fl_figure_better b);
const char *fl_figure_type_name(fl_figure_type t);

#endif
