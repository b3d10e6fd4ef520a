/* See pool.h. */
#include "scenario/pool.h"

#include <errno.h>
#include <float.h>
#include <stdbool.h>
#include <stdlib.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/pool.h"
#include "core/stats.h"
#include <faultline/figures.h>

typedef struct pool {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n, next;
    pthread_mutex_t lock;
} pool;

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n)
            return NULL;
        p->fn(p->ctx, i);
    }
}

void fl__pool_run(size_t n, int threads, void (*fn)(void *ctx, size_t i), void *ctx)
{
    if (n == 0)
        return;
    pool p = {fn, ctx, n, 0, PTHREAD_MUTEX_INITIALIZER};
    int nthreads = threads > 0 ? threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nthreads < 1)
        nthreads = 1;
    if ((size_t)nthreads > n)
        nthreads = (int)n;
    fl__spare_batch_begin(); /* the runs hand their tables on to each other */
    pthread_t *th = fl_calloc((size_t)nthreads, sizeof *th);
    int started = 0;
    for (int t = 0; th && t < nthreads; t++)
        if (pthread_create(&th[t], NULL, worker, &p) == 0)
            started++;
    if (started == 0)
        worker(&p); /* no threads to be had: do the work here */
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    fl_free(th);
    fl__spare_batch_end();
    pthread_mutex_destroy(&p.lock);
}

const cJSON *fl__figure(const cJSON *o, const char *path)
{
    if (!*path)
        return o;
    const cJSON *best = NULL;
    size_t best_len = 0;
    for (const cJSON *it = cJSON_IsObject(o) ? o->child : NULL; it; it = it->next) {
        size_t l = strlen(it->string);
        if (l > best_len && strncmp(path, it->string, l) == 0 && (path[l] == 0 || path[l] == '.')) {
            const cJSON *r = fl__figure(it, path[l] ? path + l + 1 : path + l);
            if (r) {
                best = r;
                best_len = l;
            }
        }
    }
    return best;
}

/* The sibling of path's last key: "a.b.c" + "d" -> "a.b.d" (out holds n bytes). */
static void sibling(const char *path, const char *key, char *out, size_t n)
{
    const char *dot = strrchr(path, '.');
    int len = dot ? (int)(dot - path + 1) : 0;
    snprintf(out, n, "%.*s%s", len, path, key);
}

double fl__summary_number(const cJSON *item)
{
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble))
        return NAN;
    /* What cJSON's printer writes (integers exactly; else %1.15g when it reads back within
     * max(|a|, |b|) * DBL_EPSILON, else %1.17g, which is exact) and strtod reads back. */
    double d = item->valuedouble;
    char buf[64];
    snprintf(buf, sizeof buf, "%1.15g", d);
    double t = strtod(buf, NULL);
    return fabs(t - d) <= fmax(fabs(t), fabs(d)) * DBL_EPSILON ? t : d;
}

/* A number of the summary: as stored, or as printed and read back. */
static double num_of(const cJSON *v, bool printed)
{
    return printed ? fl__summary_number(v) : v->valuedouble;
}

static fl__fig_state figure_read(const cJSON *summary, const char *path, double *value,
                                 bool printed)
{
    *value = NAN;
    const cJSON *v = fl__figure(summary, path);
    const fl_figure_info *fi = fl_figure_lookup(path);
    if (fi && fi->type == FL_FIGURE_CENSORED && fi->flag) {
        char p[1024];
        sibling(path, fi->flag, p, sizeof p);
        const cJSON *flag = fl__figure(summary, p);
        if (cJSON_IsFalse(flag)) {
            const cJSON *end = cJSON_GetObjectItemCaseSensitive(summary, "duration_s");
            const cJSON *from = NULL;
            if (fi->origin) {
                sibling(path, fi->origin, p, sizeof p);
                from = fl__figure(summary, p);
            }
            if (cJSON_IsNumber(end) && cJSON_IsNumber(from))
                *value = num_of(end, printed) - num_of(from, printed);
            return FL__FIG_CENSORED;
        }
        if (!cJSON_IsTrue(flag))
            return FL__FIG_ABSENT; /* not measured at all (the run says why in a note) */
    }
    if (cJSON_IsNumber(v) && !(printed && !isfinite(v->valuedouble))) { /* printed: null */
        *value = num_of(v, printed);
        return FL__FIG_VALUE;
    }
    if (cJSON_IsBool(v)) {
        *value = cJSON_IsTrue(v) ? 1 : 0;
        return FL__FIG_VALUE;
    }
    return FL__FIG_ABSENT;
}

fl__fig_state fl__figure_read(const cJSON *summary, const char *path, double *value)
{
    return figure_read(summary, path, value, false);
}

fl__fig_state fl__figure_read_printed(const cJSON *summary, const char *path, double *value)
{
    return figure_read(summary, path, value, true);
}

void fl__mean_ci95(const double *x, size_t n, double *mean, double *hw, size_t *k_out)
{
    double s = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            s += x[i];
            k++;
        }
    *mean = k ? s / (double)k : NAN;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            ss += (x[i] - *mean) * (x[i] - *mean);
    *hw = k >= 2 ? fl_t_quantile(0.975, (int)k - 1) * sqrt(ss / (double)(k - 1)) / sqrt((double)k)
                 : NAN;
    if (k_out)
        *k_out = k;
}

int fl__mkdirs(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    if (!buf[0])
        return 0;
    for (char *p = buf + 1;; p++) {
        if (*p && *p != '/')
            continue;
        char c = *p;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        if (!c)
            return 0;
        *p = c;
    }
}
