/* Event queue: a 4-ary min-heap of 32-byte records ordered by (at, seq).
 *
 * Invariants:
 *   - heap[parent(i)] <= heap[i] in (at, seq) order, for every i > 0;
 *   - for a record with tid != 0: timers[tid].pos == its index in heap;
 *   - a free or cancelled timer entry has pos == POS_NONE and is on the free list.
 *
 * Why a 4-ary heap of records (and not of pointers): the key and the payload sit in the
 * same 32 bytes, so a sift reads 4 children from two cache lines and never chases a
 * pointer. Cancel is O(log n) through the timer table. Pop uses the "hole" strategy:
 * the hole at the root walks down to a leaf along the least children (3 compares per
 * level), then the last record is sifted up from there (usually 0-1 levels).
 */
#include "core/evq.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define POS_NONE UINT32_MAX
#define ARITY 4

typedef struct timer_slot {
    uint32_t pos;  /* heap index, or POS_NONE */
    uint32_t gen;  /* bumped each time the entry is released */
    uint32_t next; /* free-list link while free */
} timer_slot;

struct fl_evq {
    fl_ev *heap;
    size_t n, cap;
    /* heap[0] was handed out by fl_evq_pop_deferred but not yet removed: the next push
     * replaces it in place (one sift-down instead of a removal plus an insertion, the
     * common "each event schedules one more" pattern); any other call removes it first. */
    bool top_gone;
    timer_slot *timers; /* index 0 unused: tid 0 means "not a timer" */
    uint32_t ntimers, timers_cap, free_head;
};

static inline bool ev_less(const fl_ev *a, const fl_ev *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}


fl_evq *fl_evq_new(void)
{
    fl_evq *q = fl_calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->ntimers = 1;
    return q;
}

void fl_evq_free(fl_evq *q)
{
    if (!q)
        return;
    fl_free(q->heap);
    fl_free(q->timers);
    fl_free(q);
}

size_t fl_evq_size(const fl_evq *q) { return q->n - q->top_gone; }

size_t fl_evq_bytes(const fl_evq *q)
{
    return sizeof *q + q->cap * sizeof(fl_ev) + q->timers_cap * sizeof(timer_slot);
}

static inline void place(fl_evq *q, size_t i, const fl_ev *ev)
{
    q->heap[i] = *ev;
    if (ev->tid)
        q->timers[ev->tid].pos = (uint32_t)i;
}

static void sift_up(fl_evq *q, size_t i, const fl_ev *ev)
{
    while (i > 0) {
        size_t p = (i - 1) / ARITY;
        if (!ev_less(ev, &q->heap[p]))
            break;
        place(q, i, &q->heap[p]);
        i = p;
    }
    place(q, i, ev);
}

/* Index of the least child of the node whose first child is c (c < n). */
static inline size_t least_child(const fl_ev *h, size_t c, size_t n)
{
    size_t end = c + ARITY < n ? c + ARITY : n, m = c;
    for (size_t k = c + 1; k < end; k++)
        if (ev_less(&h[k], &h[m]))
            m = k;
    return m;
}

/* Places ev at index i and moves it down past smaller children. */
static void sift_down(fl_evq *q, size_t i, const fl_ev *ev)
{
    size_t n = q->n;
    fl_ev *h = q->heap;
    for (;;) {
        size_t c = i * ARITY + 1;
        if (c >= n)
            break;
        size_t m = least_child(h, c, n);
        if (!ev_less(&h[m], ev))
            break;
        place(q, i, &h[m]);
        i = m;
    }
    place(q, i, ev);
}

static void remove_at(fl_evq *q, size_t i);

/* Completes a deferred pop. */
static inline void settle(fl_evq *q)
{
    if (q->top_gone) {
        q->top_gone = false;
        remove_at(q, 0);
    }
}

int fl_evq_push(fl_evq *q, const fl_ev *ev)
{
    if (q->top_gone) {
        q->top_gone = false;
        sift_down(q, 0, ev);
        return 0;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        fl_ev *h = fl_realloc(q->heap, cap * sizeof *h);
        if (!h)
            return -1;
        q->heap = h;
        q->cap = cap;
    }
    sift_up(q, q->n++, ev);
    return 0;
}

const fl_ev *fl_evq_peek(fl_evq *q)
{
    settle(q);
    return q->n ? &q->heap[0] : NULL;
}

static void release_timer(fl_evq *q, uint32_t tid)
{
    timer_slot *t = &q->timers[tid];
    t->pos = POS_NONE;
    t->gen++;
    t->next = q->free_head;
    q->free_head = tid;
}

/* Removes heap[i], refilling the hole from the last record. */
static void remove_at(fl_evq *q, size_t i)
{
    size_t n = --q->n;
    if (i == n)
        return;
    fl_ev last = q->heap[n];
    /* Walk the hole down to a leaf along the least children. */
    for (;;) {
        size_t c = i * ARITY + 1;
        if (c >= n)
            break;
        size_t m = least_child(q->heap, c, n);
        place(q, i, &q->heap[m]);
        i = m;
    }
    sift_up(q, i, &last);
}

bool fl_evq_pop_deferred(fl_evq *q, fl_ev *out)
{
    settle(q);
    if (!q->n)
        return false;
    *out = q->heap[0];
    q->top_gone = true;
    if (out->tid)
        release_timer(q, out->tid);
    return true;
}

bool fl_evq_pop(fl_evq *q, fl_ev *out)
{
    settle(q);
    if (!q->n)
        return false;
    *out = q->heap[0];
    remove_at(q, 0);
    if (out->tid)
        release_timer(q, out->tid);
    return true;
}

uint32_t fl_evq_timer_reserve(fl_evq *q, uint32_t *gen)
{
    uint32_t tid = q->free_head;
    if (tid) {
        q->free_head = q->timers[tid].next;
    } else {
        if (q->ntimers >= q->timers_cap) {
            uint32_t cap = q->timers_cap ? q->timers_cap * 2 : 256;
            timer_slot *t = fl_realloc(q->timers, (size_t)cap * sizeof *t);
            if (!t)
                return 0;
            q->timers = t;
            q->timers_cap = cap;
        }
        tid = q->ntimers++;
        q->timers[tid].gen = 0;
    }
    q->timers[tid].pos = POS_NONE;
    *gen = q->timers[tid].gen;
    return tid;
}

void fl_evq_timer_unreserve(fl_evq *q, uint32_t tid)
{
    if (tid && tid < q->ntimers && q->timers[tid].pos == POS_NONE)
        release_timer(q, tid);
}

bool fl_evq_timer_cancel(fl_evq *q, uint32_t tid, uint32_t gen)
{
    if (tid == 0 || tid >= q->ntimers)
        return false;
    timer_slot *t = &q->timers[tid];
    if (t->gen != gen || t->pos == POS_NONE)
        return false;
    settle(q); /* may move the timer: read its position after */
    remove_at(q, t->pos);
    release_timer(q, tid);
    return true;
}

bool fl_evq_valid(const fl_evq *q)
{
    if (q->top_gone)
        return true; /* mid-dispatch: heap[0] is stale until the next call settles it */
    for (size_t i = 1; i < q->n; i++)
        if (ev_less(&q->heap[i], &q->heap[(i - 1) / ARITY]))
            return false;
    for (size_t i = 0; i < q->n; i++) {
        uint32_t tid = q->heap[i].tid;
        if (tid && (tid >= q->ntimers || q->timers[tid].pos != i))
            return false;
    }
    size_t pending_timers = 0;
    for (uint32_t t = 1; t < q->ntimers; t++)
        if (q->timers[t].pos != POS_NONE) {
            if (q->timers[t].pos >= q->n || q->heap[q->timers[t].pos].tid != t)
                return false;
            pending_timers++;
        }
    (void)pending_timers;
    return true;
}
