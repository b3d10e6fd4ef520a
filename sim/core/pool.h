/* Index pools and array growth: the one implementation every kind and the world use.
 *
 * An index pool hands out slots of an array that grows by doubling; a slot is named by its
 * index, never by a pointer (the array moves when it grows). A freed slot is kept on a
 * free list threaded through the slots themselves (a uint32_t link at link_off in each) and
 * is handed out again before any new one, last freed first, so a run reuses the same slots
 * in the same order every time. Growing is the only allocation: once the pool holds the
 * most slots ever live at once, taking and putting allocate nothing.
 *
 * Out of memory (or past 2^31 slots) fails the run through its sticky failure
 * (fl_sim_fail(sim, FL_NOMEM)): the caller drops what it was doing and counts nothing. */
#ifndef FL_CORE_POOL_H
#define FL_CORE_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <faultline/sim.h>

#define FL_POOL_NONE UINT32_MAX

typedef struct fl_pool {
    uint32_t used; /* slots ever handed out: the array's high-water mark */
    uint32_t cap;  /* slots allocated */
    uint32_t free; /* the first free slot, or FL_POOL_NONE */
} fl_pool;
#define FL_POOL_INIT {0, 0, FL_POOL_NONE}

/* Room for element `need - 1` of arr (cap elements of elem bytes): returns arr itself when
 * need <= *cap, else arr grown to the next doubling of *cap (`first` when *cap is 0) that
 * holds it, *cap updated. NULL after failing the run; arr is then untouched and still the
 * caller's. sim may be NULL while a world is being built (the caller reports FL_NOMEM). */
void *fl__grow(fl_sim *sim, void *arr, size_t *cap, size_t need, size_t elem, size_t first);

/* Takes a slot of pool p over arr (elements of elem bytes, link at link_off): the free
 * list's head, else a new one at the end, growing arr (from `first` slots) when full.
 * Returns the array (moved when it grew: store it) and sets *id; NULL after failing the
 * run, *id = FL_POOL_NONE. The slot's contents are the caller's to set. */
void *fl__pool_take(fl_sim *sim, fl_pool *p, void *arr, size_t elem, size_t link_off,
                    uint32_t first, uint32_t *id);
/* Gives slot id back (it goes first in line). */
void fl__pool_put(fl_pool *p, void *arr, size_t elem, size_t link_off, uint32_t id);

/* Spare tables, handed from a run that ended to the next run of this process (any thread):
 * a compare, sweep or explore runs the same scenario again and again, and its tables grow
 * to about the same size each time. A table given back keeps its storage (its contents
 * are garbage: a pool or ring hands out only slots it has set), so the next run neither
 * regrows it nor touches fresh pages (page faults). What a run computes never depends on
 * a table's capacity, only on the slots it uses: results are the same whether a table
 * came from the system or from an earlier run. */
typedef enum fl_spare_kind {
    FL_SPARE_REQS, /* the world's request table (fl_req) */
    FL_SPARE_RING, /* a station's queue ring */
    FL_SPARE_KINDS
} fl_spare_kind;
/* The largest spare of that kind (ownership passes to the caller) and its size in bytes
 * in *bytes; NULL and 0 when there is none. */
void *fl__spare_take(fl_spare_kind kind, size_t *bytes);
/* Keeps arr (bytes long, owned by the caller until now) for a later take, or frees it
 * (the smallest goes when FL_SPARE_KEEP of a kind are kept). NULL is a no-op. */
void fl__spare_give(fl_spare_kind kind, void *arr, size_t bytes);
#define FL_SPARE_KEEP 8 /* per kind: one per table of a run, for a few runs at once */
/* Spares are kept only while a batch of runs is open (the runs of a compare, sweep, explore
 * or frontier round: scenario/pool.c's fl__pool_run; bench's short runs): outside one, a
 * table given back is freed at once, and the end of the last open batch frees every spare.
 * So a long-lived process (the dashboard) holds no more than its live runs need, and never
 * the largest tables any earlier job grew. Batches nest and may overlap across threads. */
void fl__spare_batch_begin(void);
void fl__spare_batch_end(void);

#endif
