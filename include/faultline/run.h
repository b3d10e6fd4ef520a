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
    /* Called now and then with the fraction of simulated time done; non-zero stops the
     * run, and then why_stopped (when set) names the reason for the summary's
     * "stopped_because" ("interrupted (SIGINT)", "wall-clock limit (--max-wall)"). */
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

/* Runs the scenario. On success *out is owned by the caller (fl_result_free); FL_LIMIT or
 * FL_INTERRUPTED still give a result, marked incomplete. Bad variants or overrides give
 * FL_INVALID/FL_UNKNOWN with a message, and *out NULL. */
fl_status fl_run(const fl_scenario *sc, const fl_run_config *cfg, fl_result **out, fl_error *e);
void fl_result_free(fl_result *r);

/* The summary as canonical JSON text (owned by the result). */
const char *fl_result_summary(const fl_result *r);
/* The trace (events.jsonl: one JSON object per line, in time order; owned by the result). */
const char *fl_result_events(const fl_result *r);
/* Expectations for this variant: how many were stated and how many failed. */
int fl_result_expectations(const fl_result *r, int *failed);
/* Expectations naming a figure this run's summary does not have (a mistake in the file
 * that validate could not see: the figure depends on what happens in the run). Returns
 * how many; the first one's name goes into first (n bytes). */
int fl_result_unknown_figures(const fl_result *r, char *first, size_t n);
/* The compact human table printed by `faultline run`. */
void fl_result_print(const fl_result *r, FILE *f);
/* Writes summary.json, timeseries.csv and events.jsonl into dir (created if missing), each
 * through a temporary name and rename: a reader never sees a half-written file. */
fl_status fl_result_write(const fl_result *r, const char *dir, fl_error *e);

#endif
