/* Index pools and array growth (pool.h). */
#include "core/pool.h"

#include <pthread.h>
#include <string.h>

#include "core/alloc.h"

#define POOL_MAX (UINT32_MAX / 2) /* indexes stay below FL_POOL_NONE, caps below 2^32 */

void *fl__grow(fl_sim *sim, void *arr, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return arr;
    size_t c = *cap ? *cap : first;
    while (c < need && c <= SIZE_MAX / 2)
        c *= 2;
    void *n = c >= need && c <= SIZE_MAX / elem ? fl_realloc(arr, c * elem) : NULL;
    if (!n) {
        if (sim)
            fl_sim_fail(sim, FL_NOMEM);
        return NULL;
    }
    *cap = c;
    return n;
}

static uint32_t link_of(const void *arr, size_t elem, size_t link_off, uint32_t id)
{
    uint32_t v;
    memcpy(&v, (const char *)arr + (size_t)id * elem + link_off, sizeof v);
    return v;
}

void *fl__pool_take(fl_sim *sim, fl_pool *p, void *arr, size_t elem, size_t link_off,
                    uint32_t first, uint32_t *id)
{
    if (p->free != FL_POOL_NONE) {
        *id = p->free;
        p->free = link_of(arr, elem, link_off, *id);
        return arr;
    }
    size_t cap = p->cap;
    void *n = p->used >= POOL_MAX ? NULL : fl__grow(sim, arr, &cap, (size_t)p->used + 1, elem, first);
    if (!n) {
        if (sim && p->used >= POOL_MAX)
            fl_sim_fail(sim, FL_NOMEM);
        *id = FL_POOL_NONE;
        return NULL;
    }
    p->cap = (uint32_t)cap; /* at most 2 x POOL_MAX: doubling from a cap below it */
    *id = p->used++;
    return n;
}

void fl__pool_put(fl_pool *p, void *arr, size_t elem, size_t link_off, uint32_t id)
{
    memcpy((char *)arr + (size_t)id * elem + link_off, &p->free, sizeof p->free);
    p->free = id;
}

/* The spares: a few arrays per kind, shared by the threads of the process (a take or a
 * give is once per table per run, so one lock costs nothing measurable). */
static struct {
    void *arr;
    size_t bytes;
} spares[FL_SPARE_KINDS][FL_SPARE_KEEP];
static pthread_mutex_t spares_lock = PTHREAD_MUTEX_INITIALIZER;
static int batches; /* open batches (under spares_lock) */

void fl__spare_batch_begin(void)
{
    pthread_mutex_lock(&spares_lock);
    batches++;
    pthread_mutex_unlock(&spares_lock);
}

void fl__spare_batch_end(void)
{
    void *drop[FL_SPARE_KINDS * FL_SPARE_KEEP];
    int n = 0;
    pthread_mutex_lock(&spares_lock);
    if (batches > 0 && --batches == 0)
        for (int k = 0; k < FL_SPARE_KINDS; k++)
            for (int i = 0; i < FL_SPARE_KEEP; i++)
                if (spares[k][i].arr) {
                    drop[n++] = spares[k][i].arr;
                    spares[k][i].arr = NULL;
                    spares[k][i].bytes = 0;
                }
    pthread_mutex_unlock(&spares_lock);
    while (n > 0)
        fl_free(drop[--n]);
}

void *fl__spare_take(fl_spare_kind kind, size_t *bytes)
{
    void *arr = NULL;
    *bytes = 0;
    pthread_mutex_lock(&spares_lock);
    int best = -1;
    for (int i = 0; i < FL_SPARE_KEEP; i++)
        if (spares[kind][i].arr && (best < 0 || spares[kind][i].bytes > spares[kind][best].bytes))
            best = i;
    if (best >= 0) {
        arr = spares[kind][best].arr;
        *bytes = spares[kind][best].bytes;
        spares[kind][best].arr = NULL;
        spares[kind][best].bytes = 0;
    }
    pthread_mutex_unlock(&spares_lock);
    return arr;
}

void fl__spare_give(fl_spare_kind kind, void *arr, size_t bytes)
{
    if (!arr)
        return;
    pthread_mutex_lock(&spares_lock);
    int small = 0; /* an empty slot, else the smallest kept */
    for (int i = 0; i < FL_SPARE_KEEP; i++) {
        if (!spares[kind][i].arr) {
            small = i;
            break;
        }
        if (spares[kind][i].bytes < spares[kind][small].bytes)
            small = i;
    }
    void *drop = arr;
    if (batches > 0 && (!spares[kind][small].arr || spares[kind][small].bytes < bytes)) {
        drop = spares[kind][small].arr;
        spares[kind][small].arr = arr;
        spares[kind][small].bytes = bytes;
    }
    pthread_mutex_unlock(&spares_lock);
    fl_free(drop);
}
