/* The event queue behind fl_sim: records ordered by (at, seq), with cancellable timers.
 *
 * Internal to the engine; see evq.c's header for the structure chosen and the measurements
 * behind the choice. Every operation is allocation-free once storage has grown to the run's
 * peak (it grows in slabs and doubling arrays and never shrinks during a run). Pops and
 * cancels never fail for want of memory: a pop that cannot get it falls back to a slower
 * scan, in the same order. */
#ifndef FL_CORE_EVQ_H
#define FL_CORE_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <faultline/time.h>

/* 32 bytes: two records per cache line. tid is 0 for a fire-and-forget event, otherwise
 * the index (from 1) of its entry in the timer table. */
typedef struct fl_ev {
    fl_time at;
    uint64_t seq;
    uint64_t arg;
    uint32_t h;
    uint32_t tid;
} fl_ev;

typedef struct fl_evq fl_evq;

/* A new empty queue; the caller frees it with fl_evq_free. NULL on allocation failure. */
fl_evq *fl_evq_new(void);
/* Frees q and every record it holds (NULL is a no-op). */
void fl_evq_free(fl_evq *q);

/* Inserts a copy of *ev. Returns 0, or -1 on allocation failure (queue unchanged).
 * Precondition: ev->at >= the `at` of the last record popped (time never goes back), and
 * ev->at >= 0. */
int fl_evq_push(fl_evq *q, const fl_ev *ev);
/* Removes the least record into *out; false when empty. A popped timer's table entry is
 * released (its generation advances). */
bool fl_evq_pop(fl_evq *q, fl_ev *out);
/* Like fl_evq_pop, but the record's slot is reused by the next push (the usual case in a
 * simulation: handling an event schedules another). Same observable order as pop. */
bool fl_evq_pop_deferred(fl_evq *q, fl_ev *out);
/* Like fl_evq_pop_deferred, when the least record's `at` is <= until; false (nothing
 * removed) when the queue is empty or its least record is later. The engine's loop. */
bool fl_evq_pop_until(fl_evq *q, fl_time until, fl_ev *out);
/* The least record, or NULL when empty; valid until the next push/pop/cancel. */
const fl_ev *fl_evq_peek(fl_evq *q);
/* Records pending: pushed, and neither popped nor cancelled. */
size_t fl_evq_size(const fl_evq *q);
/* Bytes held (queue storage + timer table), including cancelled records not yet swept. */
size_t fl_evq_bytes(const fl_evq *q);

/* Reserves a timer-table entry; returns its tid (>= 1) and its generation in *gen,
 * or 0 on allocation failure. The entry is bound to the next push with that tid. */
uint32_t fl_evq_timer_reserve(fl_evq *q, uint32_t *gen);
/* Returns a reserved entry that was never pushed. */
void fl_evq_timer_unreserve(fl_evq *q, uint32_t tid);
/* Removes the pending timer (tid, gen): it will never pop, and the handle is stale at
 * once. False when it already fired or was cancelled, or was reserved and never pushed.
 * O(1) (amortized: now and then a sweep reclaims cancelled records' memory; see evq.c). */
bool fl_evq_timer_cancel(fl_evq *q, uint32_t tid, uint32_t gen);

/* Checks every structural invariant (for assert() and the strict build); true when sound. */
bool fl_evq_valid(const fl_evq *q);

#endif
