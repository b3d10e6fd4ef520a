/* Exploring fault schedules: random schedules drawn from a declared space, each run checked
 * for the properties a design must keep whatever the faults; each violation shrunk to a
 * minimal schedule and written as a runnable scenario; and the tipping point of a system
 * (the load at which it stops recovering, for each size of a trigger), found by bisection.
 *
 * The fault space is the scenario's "explore" section, overridden key by key by the
 * caller's (the command line's) object of the same form:
 *
 *   "explore": {"faults": ["partition", "pause"],   fault types (default: every fault
 *                                                   the scenario's kinds and zones allow)
 *               "targets": ["redis/0", "redis/2"],  nodes or members for node faults
 *                                                   (default: every node and member)
 *               "max_faults": 3,                    1..16 per schedule (default 3)
 *               "window": ["10s", "50s"],           when faults begin (default: from
 *                                                   10% to 50% of the run)
 *               "for": ["1s", "25s"],               how long (default 1% to 25% of the run)
 *               "factor": [1.5, 10],                slow: service-time multiplier
 *               "loss": [0.05, 0.5],                flaky: loss probability
 *               "add": ["10ms", "1s"],              slow_link: added latency
 *               "step": ["-10s", "10s"]}            clock: wall-clock step
 *
 * Properties. Safety: every figure the figure catalogue marks as an invariant (lost
 * acknowledged writes, split-brain time, mutual-exclusion violations, lost messages) must
 * stay 0, and every expectation of the variant written {"check": ..., "invariant": true}
 * must hold. Liveness: every "recovered" flag the catalogue ties to the end of the faults
 * (a censored duration counted from them) must be true.
 *
 * Determinism: run i's schedule and workload seed are a pure function of (seed, i);
 * results are kept by run index, violations grouped and shrunk in run order, and every
 * probe set of the frontier is fixed in advance: outputs do not depend on `jobs`. */
#ifndef FAULTLINE_EXPLORE_H
#define FAULTLINE_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <faultline/scenario.h>
#include <faultline/sweep.h>

#define FL_EXPLORE_MAX_FAULTS 16
#define FL_EXPLORE_MAX_RUNS 100000 /* each keeps its schedule and verdict (about 4 KiB) */

typedef struct fl_explore_config {
    const char *variant;      /* NULL or "baseline" */
    int runs;                 /* schedules to try; >= 1 */
    uint64_t seed;            /* the exploration's seed (schedules and workload seeds) */
    int jobs;                 /* threads; <= 0: the number of processors */
    /* NULL, or where this process stands among MPI processes (fl_sweep_dist_begin): the
     * search's runs are spread over them; process 0 gathers them, shrinks and writes, and
     * fl_explore returns FL_OK with *json NULL on the others. */
    const fl_sweep_dist *dist;
    bool keep_faults;         /* add the schedule to the scenario's faults, not replace them */
    bool safety_only;         /* check safety only (no liveness) */
    bool no_shrink;
    int max_found;            /* distinct violations shrunk and written (default 5) */
    const char *space_json;   /* an object of the "explore" section's form, over the file's */
    const char *const *sets;  /* overrides applied to every run */
    size_t nsets;
    const char *found_dir;    /* where NAME-k.json go; NULL: write none */
    const char *command;      /* the command line, for the found files' references */
    uint64_t max_events;      /* per run; 0: 10^11 */
    /* After each run of the search (serialised): runs done, faults tried, violations. */
    void (*progress)(void *ctx, size_t done, size_t total, uint64_t faults, size_t violations);
    void *progress_ctx;
    int (*poll)(void *ctx);   /* a limit or a signal: stops the search (as compare) */
    const char *(*why_stopped)(void *ctx);
    void *poll_ctx;
} fl_explore_config;

/* Runs the exploration. *json gets explore.json's text (caller frees with free()), also
 * when stopped early (FL_INTERRUPTED / FL_LIMIT, marked incomplete). *violations gets the
 * number of runs that broke a property. On bad input (variant, override, space): the
 * status with e set, *json NULL. */
fl_status fl_explore(const fl_scenario *sc, const fl_explore_config *cfg, char **json,
                     size_t *violations, fl_error *e);

/* "PATH=LO..HI": a `--set` path and two numbers with the same unit suffix ("300/s..700/s",
 * "1.5..4", "100ms..2s" is refused: one suffix for both). FL_USAGE with a message. */
typedef struct fl_explore_range {
    char path[256];
    double lo, hi;
    char unit[16]; /* the suffix written after each value: "/s", "ms", "" */
} fl_explore_range;
fl_status fl_explore_range_parse(const char *arg, fl_explore_range *out, fl_error *e);

typedef struct fl_frontier_config {
    const char *variant;
    fl_explore_range param;   /* the parameter bisected (the load) */
    fl_explore_range trigger; /* the trigger's size: `triggers` values from lo to hi */
    int triggers;             /* >= 1 (default 6) */
    int steps;                /* bisection steps per trigger (default 5) */
    int seeds;                /* seeds 1..seeds at every probe (default 5) */
    int jobs;
    const char *const *sets;
    size_t nsets;
    const char *out_dir;      /* frontier.csv, frontier.json, frontier.gp (+ images) */
    const char *over_csv;     /* a sweep.csv over the same two paths: drawn under the line */
    uint64_t max_events;
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    int (*poll)(void *ctx);
    const char *(*why_stopped)(void *ctx);
    void *poll_ctx;
} fl_frontier_config;

/* For each trigger size, bisects the parameter at which the system stops recovering (a
 * probe is stable when more than half its seeds recover), writing the boundary. *json as
 * for fl_explore. */
fl_status fl_frontier(const fl_scenario *sc, const fl_frontier_config *cfg, char **json,
                      fl_error *e);

#endif
