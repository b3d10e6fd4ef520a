/* Parameter sweeps: a grid of one or two parameters (each a list of values for a
 * `--set` path) times seeds 1..N, every point run with the same seeds (common random
 * numbers), each figure reported per point as mean +- 95% confidence interval.
 *
 * Runs execute on `jobs` threads and, when built with MPI and started by mpirun with more
 * than one process, across processes (run i on process i % size; process 0 gathers every
 * result and alone writes). Results are ordered by (grid point, seed), never by completion:
 * they do not depend on the number of threads or processes. */
#ifndef FAULTLINE_SWEEP_H
#define FAULTLINE_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <faultline/scenario.h>

#define FL_SWEEP_MAX_PARAMS 2     /* a line per metric, or a heat map */
#define FL_SWEEP_MAX_RUNS 10000   /* grid points x seeds */

typedef struct fl_sweep_param {
    char *path;    /* a `--set` path: "nodes.api.workers" */
    char **values; /* each a `--set` value: "8", "250ms", "exp(5ms)" */
    size_t nvalues;
} fl_sweep_param;

/* Parses "PATH=V1,V2,..." into *out (fl_sweep_param_free). Commas inside parentheses,
 * brackets, braces or double quotes do not split: "exponential(100ms, max=5s)" is one
 * value. FL_USAGE with a message for a missing path or value. */
fl_status fl_sweep_param_parse(const char *arg, fl_sweep_param *out, fl_error *e);
void fl_sweep_param_free(fl_sweep_param *p);

/* Where this process stands among the processes of a distributed sweep. */
typedef struct fl_sweep_dist {
    int rank, size; /* 0 and 1 when not distributed */
    bool mpi;       /* MPI was initialised here (fl_sweep_dist_end finalises it) */
} fl_sweep_dist;

/* Joins the distributed sweep when this build has MPI and the process was started by an
 * MPI launcher (mpirun, mpiexec, srun); otherwise rank 0 of 1. Call once per process,
 * before any thread starts; pair with fl_sweep_dist_end. */
fl_status fl_sweep_dist_begin(fl_sweep_dist *d, fl_error *e);
void fl_sweep_dist_end(fl_sweep_dist *d);
/* True when this build was made with MPI. */
bool fl_sweep_dist_built(void);

typedef struct fl_sweep_config {
    const char *variant;            /* NULL or "baseline" for the baseline */
    const fl_sweep_param *params;   /* 1 to FL_SWEEP_MAX_PARAMS, distinct paths */
    size_t nparams;
    int seeds;                      /* seeds 1..seeds; >= 1 */
    int jobs;                       /* threads per process; <= 0: the number of processors */
    const char *const *sets;        /* overrides applied to every run, before the grid's */
    size_t nsets;
    const char *const *metrics;     /* summary paths; NULL: each workload's goodput, p99
                                       latency, error rate, and recovery when measured */
    size_t nmetrics;
    const char *out_dir;            /* NULL: write nothing; else sweep.csv,
                                       sweep_summary.csv and sweep.json */
    /* Called after each run this process finishes, from the thread that ran it (calls are
     * serialised): done of total runs assigned to this process. May be NULL. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    const fl_sweep_dist *dist;      /* NULL: this process does every run */
    uint64_t max_events;            /* per run; 0: 10^11 */
    /* Limits and signals (may be NULL): asked before each run and every 1024 events of
     * every run. Non-zero stops the sweep: runs not started are skipped, runs under way
     * stop, and the files are written over the runs that finished (the others' figures
     * empty), sweep.json saying "complete": false and why_stopped(poll_ctx). */
    int (*poll)(void *ctx);
    const char *(*why_stopped)(void *ctx);
    void *poll_ctx;
} fl_sweep_config;

/* Runs the sweep. On success, on process 0, *json is sweep.json's text (caller frees with
 * free()); on the other processes of a distributed sweep *json is NULL. Stopped by poll
 * (or a run's max_events): FL_INTERRUPTED (FL_LIMIT) with *json set, marked incomplete
 * (this process's runs only, in a distributed sweep). On failure *json is
 * NULL and e says why: FL_USAGE / FL_UNKNOWN / FL_INVALID for bad input (a parameter, a
 * variant, an override, a grid too large), FL_IO, FL_NOMEM or a run's own status else. */
fl_status fl_sweep(const fl_scenario *sc, const fl_sweep_config *cfg, char **json, fl_error *e);

#endif
