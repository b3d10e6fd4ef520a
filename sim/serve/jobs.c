/* The worker pool: see jobs.h.
 *
 * Locking: one mutex for the queue and every job's shared fields. A worker holds it only
 * to pop a job or to publish (state, progress, a window line, the result), never while it
 * simulates or writes files, so the loop thread never waits long. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "serve/jobs.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <faultline/compare.h>
#include <faultline/run.h>

#include "core/alloc.h"
#include "out/report.h"

/* Wakes the loop: one byte, only when none is outstanding. Caller holds p->mu. */
static void wake_locked(fl_pool *p)
{
    if (p->wake_pending)
        return;
    p->wake_pending = true;
    ssize_t w;
    do
        w = write(p->wake_fd, "x", 1);
    while (w < 0 && errno == EINTR);
    /* EAGAIN: the socket is full of bytes the loop has yet to read; it will wake anyway. */
}

void fl_pool_woken(fl_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->wake_pending = false;
    pthread_mutex_unlock(&p->mu);
}

void fl_job_free(fl_job *j)
{
    if (!j)
        return;
    fl_free(j->variant);
    for (size_t i = 0; i < j->nvariants; i++)
        fl_free(j->variants[i]);
    fl_free(j->variants);
    for (size_t i = 0; i < j->nsets; i++)
        fl_free(j->sets[i]);
    fl_free(j->sets);
    for (size_t i = 0; i < j->nwindows; i++)
        fl_free(j->windows[i]);
    fl_free(j->windows);
    fl_free(j->result);
    fl_free(j->final_json);
    for (int i = 0; i < FL_JOB_CHARTS; i++)
        fl_free(j->charts[i]);
    fl_free(j);
}

/* Removes every occurrence of the folder part of `full` (what precedes its tail `rel`) from
 * msg, so that a message names files relative to the output or scenarios folder and never
 * shows where the server keeps them. */
static void strip_folder(char *msg, const char *full, const char *rel)
{
    size_t fl = strlen(full), rl = strlen(rel);
    if (rl >= fl || strcmp(full + fl - rl, rel) != 0)
        return;
    size_t pl = fl - rl;
    for (char *p = msg; (p = strstr(p, full)) != NULL;)
        memmove(p, p + pl, strlen(p + pl) + 1);
}

static void fail_msg(const fl_job *j, const fl_error *e, char *msg, size_t n)
{
    fl_error_format(e, msg, n);
    strip_folder(msg, j->dir, j->name);
    strip_folder(msg, j->scen->file, j->scen->rel);
}

/* Ends a job: result (owned, may be NULL) or the error text. */
static void finish(fl_pool *p, fl_job *j, char *result, const char *error)
{
    pthread_mutex_lock(&p->mu);
    if (result) {
        j->result = result;
        j->state = FL_JOB_DONE;
        j->progress = 1;
    } else {
        snprintf(j->error, sizeof j->error, "%s", error ? error : "failed");
        j->state = FL_JOB_FAILED;
    }
    wake_locked(p);
    pthread_mutex_unlock(&p->mu);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int fl_serve_rmtree(const char *dir)
{
    int rc = nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc != 0 && errno == ENOENT ? 0 : rc;
}

/* ---- one run -------------------------------------------------------------------------- */

typedef struct run_ctx {
    fl_pool *p;
    fl_job *j;
    struct timespec start;
    const char *why;
} run_ctx;

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int on_progress(void *ctx, double frac)
{
    run_ctx *c = ctx;
    pthread_mutex_lock(&c->p->mu);
    bool stop = c->j->cancel || c->p->stopping;
    if (frac > c->j->progress)
        c->j->progress = frac;
    pthread_mutex_unlock(&c->p->mu);
    if (stop) {
        c->why = "interrupted (the server is stopping)";
        return 1;
    }
    if (c->p->max_wall_s > 0 && since(&c->start) > c->p->max_wall_s) {
        c->why = "wall-clock limit (serve --max-wall)";
        return 1;
    }
    return 0;
}

static const char *why_stopped(void *ctx)
{
    return ((run_ctx *)ctx)->why;
}

/* One line per finished window: {"w": 12, "t_s": 12, "end_s": 13, "v": {"col": x, ...}}
 * (a window with no sample of a mean is null). */
static void on_window(void *ctx, const fl_series *s, size_t w)
{
    run_ctx *c = ctx;
    double win = fl_time_to_s(c->j->scen->window);
    double dur = fl_time_to_s(fl_scenario_duration(c->j->scen->sc));
    double t0 = (double)w * win, t1 = t0 + win < dur ? t0 + win : dur;
    cJSON *o = cJSON_CreateObject(), *v = NULL;
    char *text = NULL;
    if (o && cJSON_AddNumberToObject(o, "w", (double)w) && cJSON_AddNumberToObject(o, "t_s", t0) &&
        cJSON_AddNumberToObject(o, "end_s", t1) && (v = cJSON_AddObjectToObject(o, "v"))) {
        for (size_t k = 0; k < fl_series_columns(s); k++)
            cJSON_AddNumberToObject(v, fl_series_name(s, (int)k), fl_series_value(s, (int)k, w));
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    if (!text)
        return; /* out of memory: the stream misses a window, the run goes on */
    pthread_mutex_lock(&c->p->mu);
    fl_job *j = c->j;
    if (j->nwindows == j->capwindows) {
        size_t cap = j->capwindows ? 2 * j->capwindows : 128;
        char **nw = fl_realloc(j->windows, cap * sizeof *nw);
        if (nw) {
            j->windows = nw;
            j->capwindows = cap;
        }
    }
    if (j->nwindows < j->capwindows) {
        j->windows[j->nwindows++] = text;
        text = NULL;
    }
    wake_locked(c->p);
    pthread_mutex_unlock(&c->p->mu);
    cJSON_free(text);
}

static char *dup_text(const char *s)
{
    return s ? fl_strdup(s) : NULL;
}

static void do_run(fl_pool *p, fl_job *j)
{
    run_ctx c = {p, j, {0, 0}, NULL};
    clock_gettime(CLOCK_MONOTONIC, &c.start);
    fl_run_config cfg = {0};
    cfg.variant = j->variant;
    cfg.seed = j->seed;
    cfg.seed_given = true;
    cfg.sets = (const char *const *)j->sets;
    cfg.nsets = j->nsets;
    cfg.max_events = p->max_events;
    cfg.progress = on_progress;
    cfg.why_stopped = why_stopped;
    cfg.progress_ctx = &c;
    cfg.window = on_window;
    fl_result *r = NULL;
    fl_error e;
    char msg[1400];
    fl_run(j->scen->sc, &cfg, &r, &e);
    if (!r) {
        fail_msg(j, &e, msg, sizeof msg);
        finish(p, j, NULL, msg);
        return;
    }
    fl_status st = fl_result_write(r, j->dir, &e);
    if (st == FL_OK)
        st = fl_report_write(j->dir, NULL, j->scen->file, &e);
    char *text = st == FL_OK ? dup_text(fl_result_summary(r)) : NULL;
    fl_result_free(r);
    if (st != FL_OK || !text) {
        if (st == FL_OK)
            snprintf(msg, sizeof msg, "out of memory");
        else
            fail_msg(j, &e, msg, sizeof msg);
        finish(p, j, NULL, msg);
        return;
    }
    finish(p, j, text, NULL);
}

static void do_compare(fl_pool *p, fl_job *j)
{
    fl_compare_config cfg = {0};
    cfg.variants = (const char *const *)j->variants;
    cfg.nvariants = j->nvariants;
    cfg.seeds = j->seeds;
    cfg.jobs = p->compare_jobs;
    cfg.sets = (const char *const *)j->sets;
    cfg.nsets = j->nsets;
    cfg.out_dir = j->dir;
    char *json = NULL;
    fl_error e;
    char msg[1400];
    fl_status st = fl_compare(j->scen->sc, &cfg, &json, &e);
    if (st == FL_OK)
        st = fl_report_write(j->dir, NULL, j->scen->file, &e);
    char *text = st == FL_OK ? dup_text(json) : NULL;
    free(json);
    if (!text) {
        if (st == FL_OK)
            snprintf(msg, sizeof msg, "out of memory");
        else
            fail_msg(j, &e, msg, sizeof msg);
        finish(p, j, NULL, msg);
        return;
    }
    finish(p, j, text, NULL);
}

/* ---- the pool ------------------------------------------------------------------------- */

static void *worker(void *arg)
{
    fl_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->qhead && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stopping) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        fl_job *j = p->qhead;
        p->qhead = j->next_queued;
        if (!p->qhead)
            p->qtail = NULL;
        j->next_queued = NULL;
        p->qlen--;
        j->state = FL_JOB_RUNNING;
        wake_locked(p);
        pthread_mutex_unlock(&p->mu);
        if (j->kind == FL_JOB_RUN)
            do_run(p, j);
        else
            do_compare(p, j);
    }
}

int fl_pool_start(fl_pool *p, int n, size_t qmax, int wake_fd, uint64_t max_events,
                  double max_wall_s)
{
    memset(p, 0, sizeof *p);
    if (n < 1)
        n = 1;
    p->qmax = qmax;
    p->wake_fd = wake_fd;
    p->max_events = max_events;
    p->max_wall_s = max_wall_s;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    p->compare_jobs = cpus > n ? (int)(cpus / n) : 1;
    if (pthread_mutex_init(&p->mu, NULL))
        return -1;
    if (pthread_cond_init(&p->cv, NULL)) {
        pthread_mutex_destroy(&p->mu);
        return -1;
    }
    if (!(p->threads = fl_calloc((size_t)n, sizeof *p->threads))) {
        fl_pool_stop(p);
        return -1;
    }
    p->nthreads = n;
    for (int i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p)) {
            fl_pool_stop(p);
            return -1;
        }
        p->started++;
    }
    return 0;
}

int fl_pool_submit(fl_pool *p, fl_job *j)
{
    pthread_mutex_lock(&p->mu);
    if (p->qlen >= p->qmax || p->stopping) {
        pthread_mutex_unlock(&p->mu);
        return -1;
    }
    j->state = FL_JOB_QUEUED;
    j->next_queued = NULL;
    if (p->qtail)
        p->qtail->next_queued = j;
    else
        p->qhead = j;
    p->qtail = j;
    p->qlen++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void fl_pool_stop(fl_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    for (fl_job *j = p->qhead; j; j = j->next_queued) {
        j->state = FL_JOB_FAILED;
        snprintf(j->error, sizeof j->error, "the server stopped before this job ran");
    }
    p->qhead = p->qtail = NULL;
    p->qlen = 0;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    fl_free(p->threads);
    p->threads = NULL;
    p->started = 0;
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}
