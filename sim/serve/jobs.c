/* The worker pool: see jobs.h.
 *
 * Locking: one mutex for the queue and every job's shared fields. A worker holds it only
 * to pop a job or to publish (state, progress, a window line, the result), never while it
 * simulates or writes files, so the loop thread never waits long. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "serve/jobs.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <faultline/compare.h>
#include <faultline/run.h>

#include "core/alloc.h"
#include "out/lessons.h"
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
    cJSON_free(j->lessons);
    cJSON_free(j->lessons_final);
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
        if (j->kind == FL_JOB_COMPARE) /* complete (one cut short fails): every run done */
            j->runs_done = (int)j->nvariants * j->seeds;
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

/* The live lesson charts of a run, for the page to draw from the windows it streams: what
 * the lesson catalogue (out/lessons.h) declares for this run's kinds, given the columns of
 * its series (known from the first window) and the shape of the variant's model (the
 * catalogue reads summary.json's "nodes" kinds and "workloads" targets; before the run
 * ends the scenario file says them). No figure is known yet, so no chart title is
 * taken (the finished titles quote the run's figures): the page titles a live chart by
 * its axis. {"charts": [{"name", "ylabel", "ylabel2", "rows": [...], "series": [{"col",
 * "title", "style": "steps"|"dashed"|"role", "panel", "row", "color"}]}]}; NULL when the
 * run has no lesson chart or memory ran out. */
static bool add_final(cJSON *c, const fl_lesson *l)
{
    int groups[64];
    double gt[FL_LESSON_MAX_MARKS];
    char lines[FL_LESSON_MAX_MARKS][240];
    fl_lesson_number(l, groups, gt, lines, FL_LESSON_MAX_MARKS);
    cJSON *marks, *shades;
    if (!cJSON_AddStringToObject(c, "title", l->title) ||
        !(marks = cJSON_AddArrayToObject(c, "marks")) ||
        !(shades = cJSON_AddArrayToObject(c, "shades")))
        return false;
    if (!isnan(l->hline) && (!cJSON_AddNumberToObject(c, "hline", l->hline) ||
                             !cJSON_AddStringToObject(c, "hline_title", l->hline_title)))
        return false;
    if (l->tick_note[0] && !cJSON_AddStringToObject(c, "tick_note", l->tick_note))
        return false;
    for (int i = 0; i < l->nmarks; i++) {
        cJSON *m = cJSON_CreateObject();
        if (!m || !cJSON_AddItemToArray(marks, m))
            return cJSON_Delete(m), false;
        cJSON_AddNumberToObject(m, "t", l->marks[i].t);
        cJSON_AddStringToObject(m, "label", l->marks[i].label);
        cJSON_AddNumberToObject(m, "n", l->marks[i].tick ? 0 : groups[i]);
    }
    for (int i = 0; i < l->nshades; i++) {
        const fl_lesson_shade *x = &l->shades[i];
        cJSON *m = cJSON_CreateObject();
        if (!m || !cJSON_AddItemToArray(shades, m))
            return cJSON_Delete(m), false;
        cJSON_AddNumberToObject(m, "t0", x->t0);
        cJSON_AddNumberToObject(m, "t1", x->t1);
        cJSON_AddStringToObject(m, "label", x->label);
        cJSON_AddBoolToObject(m, "trigger", x->trigger);
        cJSON_AddBoolToObject(m, "finding", x->finding);
    }
    return true;
}

static char *lessons_json(const fl_lesson *ls, int n, bool final);

static char *live_lessons(const fl_job *j, const fl_series *s)
{
    const cJSON *shape = fl_catalog_shape(j->scen, j->variant);
    size_t nc = fl_series_columns(s);
    char **names = fl_calloc(nc + 1, sizeof *names);
    if (!shape || !names) {
        fl_free(names);
        return NULL;
    }
    names[0] = (char *)"t_s"; /* as in timeseries.csv; never freed here */
    for (size_t k = 0; k < nc; k++)
        names[k + 1] = (char *)fl_series_name(s, (int)k);
    fl_csv csv = {(int)nc + 1, 0, names, NULL}; /* the header alone: no row yet */
    int n = 0;
    size_t norder = 0;
    const char *const *order = fl_scenario_charts(j->scen->sc, &norder);
    fl_lesson *ls = fl_lessons_build(shape, "", &csv, order, norder, &n);
    fl_free(names);
    char *text = lessons_json(ls, n, false);
    fl_free(ls); /* fl_lessons_build's array comes from the project's allocator */
    return text;
}

/* The lesson charts as JSON for the page (see live_lessons); `final` adds what the finished
 * run says: the title (it quotes the run's figures), the capacity line, the events the
 * catalogue marks ("marks": {"t", "label", "n": its number, 0 for a tick}, numbered as the
 * finished charts number them) and the shaded spans ("shades": {"t0", "t1", "label",
 * "trigger", "finding"}). */
static char *lessons_json(const fl_lesson *ls, int n, bool final)
{
    static const char *const styles[] = {"steps", "dashed", "role"};
    cJSON *o = cJSON_CreateObject(), *charts = cJSON_AddArrayToObject(o, "charts");
    for (int i = 0; i < n && charts; i++) {
        const fl_lesson *l = &ls[i];
        if (l->ns == 0)
            continue; /* a node the variant removed: its columns are not there */
        cJSON *c = cJSON_CreateObject(), *rows, *ser;
        if (!c || !cJSON_AddItemToArray(charts, c) || !cJSON_AddStringToObject(c, "name", l->name) ||
            !cJSON_AddStringToObject(c, "ylabel", l->ylabel) ||
            !cJSON_AddStringToObject(c, "ylabel2", l->ylabel2) ||
            !(rows = cJSON_AddArrayToObject(c, "rows")) ||
            !(ser = cJSON_AddArrayToObject(c, "series"))) {
            charts = NULL;
            break;
        }
        for (int r = 0; r < l->nrows; r++)
            cJSON_AddItemToArray(rows, cJSON_CreateString(l->rows[r]));
        if (final && !add_final(c, l)) {
            charts = NULL;
            break;
        }
        for (int k = 0; k < l->ns; k++) {
            const fl_lesson_series *x = &l->s[k];
            cJSON *e = cJSON_CreateObject();
            if (!e || !cJSON_AddItemToArray(ser, e)) {
                cJSON_Delete(e);
                charts = NULL;
                break;
            }
            cJSON_AddStringToObject(e, "col", x->col);
            cJSON_AddStringToObject(e, "title", x->title);
            cJSON_AddStringToObject(e, "style", styles[x->style]);
            cJSON_AddNumberToObject(e, "panel", x->panel);
            cJSON_AddNumberToObject(e, "row", x->row);
            cJSON_AddNumberToObject(e, "color", x->color);
            if (x->nmore) { /* a sum or share of columns (lessons.h, fl_lesson_value) */
                cJSON *more = cJSON_AddArrayToObject(e, "more");
                cJSON_AddStringToObject(e, "op", x->op == FL_LOP_SHARE ? "share" : "sum");
                for (int m = 0; more && m < x->nmore; m++)
                    cJSON_AddItemToArray(more, cJSON_CreateString(x->more[m]));
            }
        }
    }
    char *text = charts && cJSON_GetArraySize(charts) > 0 ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return text;
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
    char *lessons = w == 0 ? live_lessons(c->j, s) : NULL;
    pthread_mutex_lock(&c->p->mu);
    fl_job *j = c->j;
    if (lessons && !j->lessons) {
        j->lessons = lessons; /* published with window 0, so a stream sends it first */
        lessons = NULL;
    }
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
    cJSON_free(lessons);
}

static char *dup_text(const char *s)
{
    return s ? fl_strdup(s) : NULL;
}

/* The finished run's lesson charts, from the files it wrote (as every chart is drawn). */
static char *final_lessons(const fl_job *j, const fl_result *r)
{
    fl_csv *csv = fl_csv_read(j->dir);
    cJSON *summary = cJSON_Parse(fl_result_summary(r));
    int n = 0;
    size_t norder = 0;
    const char *const *order = fl_scenario_charts(j->scen->sc, &norder);
    fl_lesson *ls = csv && summary ? fl_lessons_build(summary, fl_result_events(r), csv, order,
                                                      norder, &n)
                                   : NULL;
    char *text = ls ? lessons_json(ls, n, true) : NULL;
    fl_free(ls);
    cJSON_Delete(summary);
    fl_csv_free(csv);
    return text;
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
    char *lessons = st == FL_OK ? final_lessons(j, r) : NULL;
    fl_result_free(r);
    if (st != FL_OK || !text) {
        if (st == FL_OK)
            snprintf(msg, sizeof msg, "out of memory");
        else
            fail_msg(j, &e, msg, sizeof msg);
        cJSON_free(lessons);
        finish(p, j, NULL, msg);
        return;
    }
    pthread_mutex_lock(&p->mu);
    j->lessons_final = lessons; /* before DONE, never changed after: read unlocked once done */
    pthread_mutex_unlock(&p->mu);
    finish(p, j, text, NULL);
}

/* A comparison's progress, for its status events: the runs whose summary.json is written
 * (the last file of a run's folder), counted at most every quarter of a second of wall
 * time from fl_compare's poll (asked before each run and every 1024 events). The poll also
 * stops the comparison when the server stops. */
typedef struct cmp_ctx {
    fl_pool *p;
    fl_job *j;
    struct timespec last;
    const char *why;
} cmp_ctx;

static int count_done(const char *dir)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/runs", dir);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    int n = 0;
    struct stat st;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/runs/%s/summary.json", dir, de->d_name);
        n += stat(path, &st) == 0;
    }
    closedir(d);
    return n;
}

static int cmp_poll(void *ctx)
{
    cmp_ctx *c = ctx;
    /* called from every thread of the comparison: the clock and the count under the lock */
    pthread_mutex_lock(&c->p->mu);
    bool count = since(&c->last) >= 0.25;
    if (count)
        clock_gettime(CLOCK_MONOTONIC, &c->last);
    pthread_mutex_unlock(&c->p->mu);
    int done = count ? count_done(c->j->dir) : 0;
    pthread_mutex_lock(&c->p->mu);
    bool stop = c->j->cancel || c->p->stopping;
    if (count && done > c->j->runs_done) {
        c->j->runs_done = done;
        double total = (double)c->j->nvariants * c->j->seeds;
        c->j->progress = total > 0 ? done / total : 0;
        wake_locked(c->p);
    }
    if (stop)
        c->why = "interrupted (the server is stopping)";
    pthread_mutex_unlock(&c->p->mu);
    return stop;
}

static const char *cmp_why(void *ctx)
{
    return ((cmp_ctx *)ctx)->why;
}

static void do_compare(fl_pool *p, fl_job *j)
{
    cmp_ctx cc = {p, j, {0, 0}, NULL};
    fl_compare_config cfg = {0};
    cfg.poll = cmp_poll;
    cfg.why_stopped = cmp_why;
    cfg.poll_ctx = &cc;
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
        else if (st == FL_INTERRUPTED && cc.why)
            snprintf(msg, sizeof msg, "%s", cc.why);
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
