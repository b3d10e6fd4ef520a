/* Running a scenario: one (scenario, variant, seed, overrides) -> one result.
 *
 * A run is a pure function of those inputs: its summary JSON and CSV are byte-identical
 * run after run. Runs share nothing, so several may execute at once on different threads. */
#ifndef FAULTLINE_RUN_H
#define FAULTLINE_RUN_H

#include <stdbool.h>
#include <stdio.h>
#include <faultline/scenario.h>
#include <faultline/series.h>

typedef struct fl_run_config {
    const char *variant;     /* NULL or "baseline" for the baseline */
    uint64_t seed;           /* used when seed_given; else the scenario's seed */
    bool seed_given;
    const char *const *sets; /* "path=value" overrides, applied after the variant's */
    size_t nsets;
    uint64_t max_events;     /* 0 = no limit */
    bool history;            /* record every client operation (history.jsonl) */
    /* The figures only, for a caller that reads them and writes no files (compare, sweep,
     * explore without an output folder): the result has its summary's figures and its
     * expectations, but no summary text (fl_result_summary gives NULL) and no trace, and
     * cannot be written (fl_result_write: FL_USAGE). The figures are the same. */
    bool figures_only;
    /* Called every 1024 events with the fraction of simulated time done, and with 0
     * between the nodes of the model while it is built and once after the checkers ran;
     * so it must be cheap. Non-zero stops the run (a stop while building gives
     * FL_INTERRUPTED and no result), and then why_stopped (when set) names the reason for
     * the summary's "stopped_because" ("interrupted (SIGINT)", "wall-clock limit
     * (--max-wall)"). */
    int (*progress)(void *ctx, double fraction);
    const char *(*why_stopped)(void *ctx);
    void *progress_ctx;
    /* Optional, for live views (faultline serve): called with progress_ctx once per
     * finished window of the time series, in order, on the thread running fl_run. Window w
     * covers [w * window, (w + 1) * window) of simulated time and is finished once the
     * simulation has moved past its end; read its figures with fl_series_value(s, c, w)
     * and do not keep `s`. The windows left when the run ends are reported then (up to
     * where a run cut short stopped). Setting it changes nothing in the results. */
    void (*window)(void *ctx, const fl_series *s, size_t w);
} fl_run_config;

typedef struct fl_result fl_result;

/* Runs the scenario. On success *out is owned by the caller (fl_result_free); FL_LIMIT,
 * FL_INTERRUPTED or FL_NOMEM during the run still give a result, marked incomplete (when
 * there is memory for it; e says why). An allocation refused anywhere in the model stops
 * the run with FL_NOMEM, never counted as traffic. Bad variants or overrides give
 * FL_INVALID/FL_UNKNOWN with a message, and *out NULL; so does a stop while building
 * (FL_INTERRUPTED). */
fl_status fl_run(const fl_scenario *sc, const fl_run_config *cfg, fl_result **out, fl_error *e);
void fl_result_free(fl_result *r);

/* The summary as canonical JSON text (owned by the result); NULL for a figures-only run. */
const char *fl_result_summary(const fl_result *r);
/* The trace (events.jsonl: one JSON object per line, in time order; owned by the result);
 * NULL for a figures-only run. */
const char *fl_result_events(const fl_result *r);
/* Expectations for this variant: how many were stated and how many failed. */
int fl_result_expectations(const fl_result *r, int *failed);
/* Expectations naming a figure this run's summary does not have (a mistake in the file
 * that validate could not see: the figure depends on what happens in the run). Returns
 * how many; the first one's name goes into first (n bytes). */
int fl_result_unknown_figures(const fl_result *r, char *first, size_t n);
/* The compact human table printed by `faultline run`. */
void fl_result_print(const fl_result *r, FILE *f);
/* Writes the run folder dir as one unit: summary.json, timeseries.csv, events.jsonl (and
 * history.jsonl when recorded) go into a fresh "<dir>.tmp.<pid>" beside it, which then
 * replaces dir whole (a previous run's folder, history.jsonl and charts/ included, is
 * deleted). dir never mixes two runs' files; an interruption leaves the old folder or
 * the new one (or, between two renames, none). */
fl_status fl_result_write(const fl_result *r, const char *dir, fl_error *e);
/* fl_result_write in two steps, so that more (charts) can go into the folder before it
 * replaces dir: stage writes into the temporary folder and puts its path into
 * staged[n]; commit renames it over dir; discard deletes it (after a failure or a
 * signal). On a stage error nothing is left behind. */
fl_status fl_result_stage(const fl_result *r, const char *dir, char *staged, size_t n,
                          fl_error *e);
fl_status fl_result_commit(const char *staged, const char *dir, fl_error *e);
void fl_result_discard(const char *staged);
/* Writes the files into dir in place, each through a temporary name and a rename, leaving
 * other files there alone (run --force into a folder that is not a run's). */
fl_status fl_result_write_files(const fl_result *r, const char *dir, fl_error *e);

#endif
