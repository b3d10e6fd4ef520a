/* Jobs: runs and comparisons executed off the event loop.
 *
 * A bounded FIFO of pending jobs feeds a fixed pool of worker threads. A worker reports
 * back through the job record (state, progress, one JSON line per finished window of a
 * run, the result), guarded by the pool's mutex, and wakes the loop by writing a byte to
 * a socketpair (at most one byte outstanding). Fields marked "loop" belong to the event
 * loop thread alone. */
#ifndef FL_SERVE_JOBS_H
#define FL_SERVE_JOBS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/catalog.h"

typedef enum fl_job_state {
    FL_JOB_QUEUED,
    FL_JOB_RUNNING,
    FL_JOB_DONE,
    FL_JOB_FAILED,
} fl_job_state;

typedef enum fl_job_kind { FL_JOB_RUN, FL_JOB_COMPARE } fl_job_kind;

#define FL_JOB_CHARTS 4

typedef struct fl_job {
    /* Set before the job is queued, then read-only. */
    fl_job_kind kind;
    unsigned long id;
    char name[24]; /* "r3", "c1" */
    const fl_catalog_entry *scen;
    char *variant;     /* run */
    uint64_t seed;     /* run */
    char **variants;   /* compare */
    size_t nvariants;
    int seeds;         /* compare */
    char **sets;
    size_t nsets;
    char dir[4096];    /* OUT/<name> */
    double window_s;   /* the scenario's window, for pacing */

    /* Guarded by the pool's mutex. */
    fl_job_state state;
    double progress;   /* 0..1 */
    char **windows;    /* run: one JSON object per finished window */
    size_t nwindows, capwindows;
    char *lessons;     /* run: the live lesson charts (JSON), set with window 0; may stay NULL */
    char *lessons_final; /* run: the same once done, with title, marks and shades; may be NULL */
    int runs_done;     /* compare: runs finished (their summary.json written) */
    char *result;      /* summary.json or compare JSON text, once done */
    char error[1400];  /* once failed */
    bool cancel;       /* the server is stopping */

    /* Loop thread only. */
    int watchers;      /* SSE streams reading this job: it is not evicted meanwhile */
    char *charts[FL_JOB_CHARTS]; /* SVG cache */
    char *final_json;  /* the GET answer, once the job has ended */
    struct fl_job *next_all;
    struct fl_job *next_queued; /* guarded: the pending FIFO */
} fl_job;

typedef struct fl_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fl_job *qhead, *qtail;
    size_t qlen, qmax;
    pthread_t *threads;
    int nthreads, started;
    bool stopping;
    bool wake_pending;
    int wake_fd; /* write end */
    uint64_t max_events;
    double max_wall_s;
    int compare_jobs;
} fl_pool;

/* Starts n worker threads. wake_fd is non-blocking; the loop reads the other end and
 * calls fl_pool_woken. */
int fl_pool_start(fl_pool *p, int n, size_t qmax, int wake_fd, uint64_t max_events,
                  double max_wall_s);
/* Queues a job; -1 when the queue is full (the caller answers 429). */
int fl_pool_submit(fl_pool *p, fl_job *j);
/* Called by the loop after reading the wake-up byte(s). */
void fl_pool_woken(fl_pool *p);
/* Cancels running jobs, fails queued ones, joins the workers. */
void fl_pool_stop(fl_pool *p);
void fl_job_free(fl_job *j);
/* Removes dir and everything under it (not following symbolic links); 0 when done or
 * when dir did not exist. Only ever given a job's own OUT/<name>. */
int fl_serve_rmtree(const char *dir);

#endif
