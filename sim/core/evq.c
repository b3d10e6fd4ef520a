/* Event queue: a ladder of unsorted buckets feeding a small 4-ary heap, with lazy cancel.
 *
 * Records are ordered by (at, seq). The structure splits the time line into nested regions,
 * nearest first:
 *
 *   heap      keys < near_end: a 4-ary min-heap on (at, seq); the only sorted part
 *   rungs     rung[nr-1] .. rung[0]: arrays of equal-width buckets (the ladder queue of
 *             Tang, Goh and Thng, 2005), each rung a refinement of one bucket of the rung
 *             above; a bucket is an unordered list of 2 KiB chunks of records
 *   top       keys >= top_start: one unordered bucket for the far future
 *
 * A push appends to the bucket its time falls in (O(1), no comparison with other records)
 * or, for the near future, enters the heap. When the heap runs dry the first non-empty
 * bucket of the deepest rung comes down: moved into the heap when it holds at most THRESH
 * records (or all share one time), otherwise spread over a new, finer rung; when the rungs
 * are used up the top is spread over a new rung 0. Each record is copied a few times, in
 * order, through memory that is streamed, and the heap stays around a hundred records, in
 * L1. A binary or 4-ary heap of 10^6 records instead pays a cache miss on most of its 10
 * levels at every pop and push.
 *
 * Cancel is lazy: it marks the timer's table entry dead (one write, wherever the record is)
 * and the record is dropped when its bucket comes down into the heap (or at the front, if
 * it was cancelled after that); when dead records outnumber a quarter of the live ones
 * (and 4096), a purge sweeps them out, so memory stays within 1.25x the live records.
 * Records never need to report where they are, which keeps every move a plain copy.
 *
 * Measured with tests/bench_evq.c (hold: each event schedules one at now + Exp(1 s);
 * timeout: each also cancels its previous timer and arms one at +1 s; through fl_sim_run,
 * -O3 release build, median of 5; this 2-core AMD EPYC VM). Bytes are fl_evq_bytes per
 * pending event, timer table included.
 *
 *   structure                     hold 10^3  hold 10^6  timeout 10^3  timeout 10^6  B/event
 *   4-ary heap, eager cancel          13.8        3.5           8.7           1.8  33.6/48.8
 *   ladder + heap, lazy (this)        17.2       15.9          12.1           3.8  34.4/45.2
 *
 * (M events/s; B/event at hold / timeout N = 10^6; both runs dispatch the same events in
 * the same order: bench_evq prints the same hash of the sequence for both.) The heap's eager cancel
 * kept a position for every timer and rewrote it at each move, a random write into the
 * table per move; lazy cancel needs none.
 *
 * Growth to 10^7 pending (2026-12-07, the same VM shared: load average 21-28, so figures
 * are CPU ns/event of the timed part, bench_evq hold N 5000000 1, medians of 3
 * interleaved runs, 2 at 10^7). "before": ranges found by a pass over the bucket, 4096
 * rung-0 buckets, 4 KiB pages, no prefetch; "after": this file.
 *
 *   N          10^3   10^4   10^5   10^6   10^7   10^7 / 10^3   B/event at 10^7
 *   before     68.6   71.0   79.3  122.2  245     3.6x          32.6 (peak RSS 312 MiB)
 *   after      68.9   60.5   65.2   86.3  129     1.9x          32.7 (peak RSS 315 MiB)
 *
 * At 10^7 every record is written into one of 1024 bucket heads and read back from memory
 * once (320 MB, far past any cache), and copied twice more. Sampling the timed part
 * (perf, cpu-clock; this VM has no hardware counters) put the stalls on two memory waits:
 * the pass over a bucket, which jumped every 512 B to a scattered chunk, and a push's store
 * into a far bucket's head, whose line was no longer cached. 2 KiB chunks and a prefetch
 * of the next line to write (see CH_SHIFT, bucket_append), `faultline bench --hold N`,
 * wall ns/event, 2026-12-07 05:55 UTC, load 1, three interleaved pairs of builds:
 *
 *   N          10^3          10^7          10^7 / 10^3   B/event at 10^3 / 10^7
 *   before     55.4-56.3     93.5-100.2    1.7x          79.9 / 32.7
 *   after      55.4-56.4     71.1-71.7     1.28x         142.4 / 33.3
 *
 * The 10^7 case depends on memory shared with other VMs: minutes later the same build gave
 * 72-103 ns/event at 10^7 (and 57-74 at 10^3), so compare builds interleaved, not runs
 * hours apart.
 *
 * Invariants (fl_evq_valid checks each):
 *   - heap[parent(i)] <= heap[i] in (at, seq) order; every heap key < near_end;
 *   - near_end == cur_start(rung[nr-1]), or top_start when nr == 0; rung[r].end ==
 *     cur_start(rung[r-1]), rung[0].end == top_start: the regions tile [0, inf);
 *   - a stored record lies in the bucket locate() names for its key, at or after its
 *     rung's cur; a bucket's chunks are full except its head chunk;
 *   - live + dead == records held; a record's timer slot (tid != 0) is LIVE or DEAD, and
 *     each LIVE or DEAD slot is named by exactly one record;
 *   - every chunk is in exactly one bucket or on the free list.
 * Keys are (uint64_t)at, at >= 0. Order is correct for any push (a time before near_end
 * simply enters the heap); monotone times, as fl_sim guarantees, are what keeps it fast.
 */
#include "core/evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define ARITY 4
#define K_TOP 256   /* records per bucket aimed at when the top is spread into rung 0 */
#define K_RUNG 32   /* ... when a bucket is spread into a finer rung */
/* At most this many buckets in one rung: a push writes into the head chunk of a random
 * bucket of rung 0, so the heads (one cache line each in use) must stay in cache. With
 * K_TOP alone, 10^7 pending records made 39 000 buckets whose heads (2.5 MB of lines) miss
 * on every push; past 2^12 buckets the records per bucket grow instead, and the next rung
 * down takes them in one streamed pass (the same number of copies per record). */
#define MAX_SPREAD 4096
/* The top is spread over fewer: rung 0 takes nearly every push of a big hold model, and
 * with 1024 heads (64 KiB of lines, 24 KiB of bucket headers) they stay in L2 under other
 * work too; its buckets then hold 4x more and rung 1 takes them in the same one pass.
 * Measured at 10^7 pending (CPU time, load 30): 4096 -> 1024 heads, 141-171 -> 121-126
 * ns/event; 256 gave 125-142. */
#define MAX_SPREAD_TOP 1024
#define THRESH 128  /* a bucket of at most this many records goes straight to the heap */
#define MAX_RUNGS 8 /* deeper than this, a bucket goes to the heap whatever its size */
/* 64 records (2 KiB) per chunk. A bucket's chunks lie wherever the free list put them, so
 * a pass over a big bucket jumps once per chunk (and follows cnext, a likely miss, to
 * find the next): 2 KiB gives the hardware's stream prefetcher 32 lines in a row. Measured
 * at 10^7 pending (bench_evq hold, CPU ns/event, interleaved, quiet machine): 512 B 88-94,
 * 1 KiB 68-76, 2 KiB 65-76, 4 KiB 71-75 (512 B with 8 chunks read ahead, the others with 8
 * KiB or 12 KiB); at 10^3 all within noise (53-55). */
#define CH_SHIFT 6
#define CH (1u << CH_SHIFT)
#define SLAB_SHIFT 4 /* 16 chunks (32 KiB) per slab */
#define SLAB_RECS_SHIFT (CH_SHIFT + SLAB_SHIFT)
/* The first SMALL_SLABS slabs (2 MiB) are allocated one by one, so a small queue stays
 * small; past them slabs come BLOCK_SLABS at a time, one huge page (2 MiB) aligned to one
 * and advised to be one: at 10^7 records a push writes into a random one of thousands of
 * chunks over 320 MB, and with 4 KiB pages most of those writes missed the TLB. */
#define SMALL_SLABS 64u
#define BLOCK_SLABS 64u
#define MAX_RECORDS (1u << 31) /* stored records and timers, so indexes fit 31 bits */
#define PURGE_MIN 4096
#define NIL UINT32_MAX
#define TOP 0u /* bucket 0 is the top; rung buckets follow */

/* Timer slot states; a free slot holds T_FREE | the next free tid (0 ends the list). */
#define T_RESERVED 0u
#define T_LIVE 1u
#define T_DEAD 2u /* cancelled; its record is still queued */
#define T_FREE 0x80000000u

typedef struct timer_slot {
    uint32_t state;
    uint32_t gen; /* advances when the slot is cancelled or released */
} timer_slot;

typedef struct bucket {
    uint32_t head;  /* the chunk being filled (the others in its list are full), NIL if none */
    uint32_t count; /* records */
    uint64_t lo, hi; /* lo <= every key held <= hi (exact after appends; removals leave them
                        loose), so a bucket is spread without a pass to find its range */
} bucket;

#define EMPTY_BUCKET ((bucket){NIL, 0, UINT64_MAX, 0})

typedef struct rung {
    uint64_t start, end; /* keys [start, end); the last bucket reaches end */
    uint32_t base, nb;   /* buckets bk[base .. base + nb) */
    uint32_t cur;        /* buckets before cur are empty and will stay so */
    unsigned shift;      /* bucket width 2^shift ns */
} rung;

struct fl_evq {
    fl_ev *heap;
    size_t n, cap;
    /* heap[0] was handed out by a deferred pop but not yet removed: the next push replaces
     * it in place (one sift-down instead of a removal plus an insertion); any other call
     * removes it first. */
    bool top_gone;
    uint64_t near_end;
    size_t live, dead; /* live + dead == records held (live excludes a deferred pop) */

    /* chunk store: slabs of chunks; a record's global index is chunk << CH_SHIFT | slot */
    fl_ev **slab;
    uint32_t nslab, slab_cap;
    void **block; /* as allocated: slab[SMALL_SLABS + i * BLOCK_SLABS ..] lie in block[i] */
    uint32_t nblock;
    uint32_t nchunk, free_chunk, nfree; /* chunks handed out so far; the free list */
    uint32_t *cnext;                     /* per chunk: next in its bucket or free list */

    bucket *bk;
    uint32_t bk_cap;
    uint64_t top_start;
    rung rung[MAX_RUNGS];
    unsigned nr;

    timer_slot *timers; /* index 0 unused: tid 0 means "not a timer" */
    uint32_t ntimers, timers_cap, free_head;

    /* Scan mode: an allocation failed while bringing bucket scan_b down, so pops take its
     * least record by a linear scan until a later push lets the refill be retried. */
    bool scan;
    uint32_t scan_b;
};

static inline uint64_t key(const fl_ev *e) { return (uint64_t)e->at; }

/* Branch-free on purpose: heap comparisons are data-dependent coin flips. */
static inline bool ev_less(const fl_ev *a, const fl_ev *b)
{
    return (a->at < b->at) | ((a->at == b->at) & (a->seq < b->seq));
}

static inline fl_ev *rec(const fl_evq *q, uint32_t g)
{
    return &q->slab[g >> SLAB_RECS_SHIFT][g & ((1u << SLAB_RECS_SHIFT) - 1)];
}

/* Records in a bucket's head chunk, for a bucket of cnt > 0 records. */
static inline uint32_t head_fill(uint32_t cnt) { return ((cnt - 1) & (CH - 1)) + 1; }

fl_evq *fl_evq_new(void)
{
    fl_evq *q = fl_calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->bk = fl_malloc(64 * sizeof *q->bk);
    if (!q->bk) {
        fl_free(q);
        return NULL;
    }
    q->bk_cap = 64;
    q->bk[TOP] = EMPTY_BUCKET;
    q->free_chunk = NIL;
    q->ntimers = 1;
    return q;
}

void fl_evq_free(fl_evq *q)
{
    if (!q)
        return;
    for (uint32_t i = 0; i < q->nslab && i < SMALL_SLABS; i++)
        fl_free(q->slab[i]);
    for (uint32_t i = 0; i < q->nblock; i++)
        fl_free(q->block[i]);
    fl_free(q->block);
    fl_free(q->slab);
    fl_free(q->cnext);
    fl_free(q->bk);
    fl_free(q->heap);
    fl_free(q->timers);
    fl_free(q);
}

size_t fl_evq_size(const fl_evq *q) { return q->live; }

size_t fl_evq_bytes(const fl_evq *q)
{
    return sizeof *q + q->cap * sizeof(fl_ev) +
           (size_t)q->nslab * (sizeof(fl_ev) << SLAB_RECS_SHIFT) +
           q->slab_cap * (sizeof(fl_ev *) + (sizeof(uint32_t) << SLAB_SHIFT)) +
           q->nblock * sizeof(void *) +
           q->bk_cap * sizeof(bucket) + q->timers_cap * sizeof(timer_slot);
}

/* ---- chunk store ---- */

/* Adds one slab, or a block of BLOCK_SLABS past the first SMALL_SLABS. */
static int add_slab(fl_evq *q)
{
    uint32_t k = q->nslab < SMALL_SLABS ? 1 : BLOCK_SLABS;
    if (((size_t)(q->nslab + k) << SLAB_RECS_SHIFT) > MAX_RECORDS)
        return -1;
    if (q->nslab + k > q->slab_cap) {
        uint32_t cap = q->slab_cap ? q->slab_cap * 2 : 16;
        while (cap < q->nslab + k)
            cap *= 2;
        size_t bytes = ((size_t)cap << SLAB_SHIFT) * sizeof(uint32_t);
        uint32_t *nx = fl_realloc(q->cnext, bytes);
        if (!nx)
            return -1;
        q->cnext = nx;
        fl__advise_huge(nx, bytes);
        fl_ev **s = fl_realloc(q->slab, cap * sizeof *s);
        if (!s)
            return -1;
        q->slab = s;
        q->slab_cap = cap;
    }
    size_t slab_bytes = sizeof(fl_ev) << SLAB_RECS_SHIFT;
    if (k == 1) {
        fl_ev *s = fl_malloc(slab_bytes);
        if (!s)
            return -1;
        q->slab[q->nslab++] = s;
        return 0;
    }
    void **bl = fl_realloc(q->block, (q->nblock + 1) * sizeof *bl);
    if (!bl)
        return -1;
    q->block = bl;
    /* a huge page of slack, never touched, to align the block (so never resident) */
    size_t bytes = k * slab_bytes;
    void *raw = fl_malloc(bytes + FL_HUGE_PAGE);
    if (!raw)
        return -1;
    q->block[q->nblock++] = raw;
    char *p = (char *)(((uintptr_t)raw + FL_HUGE_PAGE - 1) & ~(uintptr_t)(FL_HUGE_PAGE - 1));
    fl__advise_huge(p, bytes);
    for (uint32_t i = 0; i < k; i++)
        q->slab[q->nslab++] = (fl_ev *)(void *)(p + i * slab_bytes);
    return 0;
}

/* Makes sure k chunks can be taken without allocating. */
static int reserve_chunks(fl_evq *q, uint32_t k)
{
    while (q->nfree + ((q->nslab << SLAB_SHIFT) - q->nchunk) < k)
        if (add_slab(q))
            return -1;
    return 0;
}

static inline uint32_t chunk_get(fl_evq *q)
{
    uint32_t c = q->free_chunk;
    if (c != NIL) {
        q->free_chunk = q->cnext[c];
        q->nfree--;
        return c;
    }
    if (q->nchunk == (q->nslab << SLAB_SHIFT) && add_slab(q))
        return NIL;
    return q->nchunk++;
}

static inline void chunk_put(fl_evq *q, uint32_t c)
{
    q->cnext[c] = q->free_chunk;
    q->free_chunk = c;
    q->nfree++;
}

/* Returns 0, or -1 when a chunk cannot be had (nothing changed). */
static inline int bucket_append(fl_evq *q, uint32_t b, const fl_ev *ev)
{
    bucket *B = &q->bk[b];
    uint32_t fill = B->count & (CH - 1);
    if (fill == 0) {
        uint32_t c = chunk_get(q);
        if (c == NIL)
            return -1;
        q->cnext[c] = B->head;
        B->head = c;
    }
    *rec(q, (B->head << CH_SHIFT) | fill) = *ev;
    /* Ask for the next line (two records on), to write: a far bucket's head is seldom
     * written and its next line is cold by then, and a store that misses holds up every
     * store behind it. At 10^7 pending 73-79 -> 63-66 ns/event. Unconditional (wrapping
     * inside the chunk): asking only from a line's first record cost 10 ns/event at 10^3
     * pending, in mispredicted branches. */
    __builtin_prefetch(rec(q, (B->head << CH_SHIFT) | ((fill + 2) & (CH - 1))), 1, 3);
    B->count++;
    uint64_t k = key(ev);
    B->lo = k < B->lo ? k : B->lo;
    B->hi = k > B->hi ? k : B->hi;
    return 0;
}

/* Removes record g of bucket b: the bucket's last record takes its place. */
static void bucket_remove(fl_evq *q, uint32_t b, uint32_t g)
{
    bucket *B = &q->bk[b];
    uint32_t last = (B->head << CH_SHIFT) | (head_fill(B->count) - 1);
    if (last != g)
        *rec(q, g) = *rec(q, last);
    if ((--B->count & (CH - 1)) == 0) {
        uint32_t h = B->head;
        B->head = q->cnext[h];
        chunk_put(q, h);
    }
}

/* ---- heap ---- */

static void sift_up(fl_ev *h, size_t i, const fl_ev *ev)
{
    while (i > 0) {
        size_t p = (i - 1) / ARITY;
        if (!ev_less(ev, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = *ev;
}

/* Index of the least child of the family starting at c (c < n). */
static inline size_t least_child(const fl_ev *h, size_t c, size_t n)
{
    if (c + ARITY <= n) { /* a full family: a branch-free tournament */
        size_t a = c + ev_less(&h[c + 1], &h[c]);
        size_t b = c + 2 + ev_less(&h[c + 3], &h[c + 2]);
        return ev_less(&h[b], &h[a]) ? b : a;
    }
    size_t m = c;
    for (size_t k = c + 1; k < n; k++)
        if (ev_less(&h[k], &h[m]))
            m = k;
    return m;
}

static void sift_down(fl_ev *h, size_t n, size_t i, const fl_ev *ev)
{
    for (;;) {
        size_t c = i * ARITY + 1;
        if (c >= n)
            break;
        size_t m = least_child(h, c, n);
        if (!ev_less(&h[m], ev))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = *ev;
}

/* sift_down from the root when the heap is one family (n <= ARITY + 1: the root's
 * children are every other record), inline: the least of ev and the children takes the
 * root and ev takes that child's place, the layout sift_down gives. A simulation with a
 * few pending events (M/M/1: at most 3) pushes through here once per event. */
static inline void replace_root_small(fl_ev *h, size_t n, const fl_ev *ev)
{
    size_t m = 0;
    const fl_ev *best = ev;
    for (size_t k = 1; k < n; k++)
        if (ev_less(&h[k], best)) {
            best = &h[k];
            m = k;
        }
    if (m) {
        h[0] = h[m];
        h[m] = *ev;
    } else {
        h[0] = *ev;
    }
}

static void heapify(fl_ev *h, size_t n)
{
    if (n > 1)
        for (size_t i = (n - 2) / ARITY + 1; i-- > 0;) {
            fl_ev e = h[i];
            sift_down(h, n, i, &e);
        }
}

/* Removes the root: the hole walks down along the least children to a leaf (3 compares a
 * level, no early exit to mispredict), then the last record is sifted up from there
 * (usually 0-1 levels). */
static void heap_pop_root(fl_evq *q)
{
    size_t n = --q->n, i = 0;
    if (n == 0)
        return;
    fl_ev *h = q->heap;
    for (;;) {
        size_t c = i * ARITY + 1;
        if (c >= n)
            break;
        size_t m = least_child(h, c, n);
        h[i] = h[m];
        i = m;
    }
    if (i != n)
        sift_up(h, i, &h[n]);
}

static int heap_reserve(fl_evq *q, size_t need)
{
    if (need <= q->cap)
        return 0;
    size_t cap = q->cap ? q->cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    fl_ev *h = fl_realloc(q->heap, cap * sizeof *h);
    if (!h)
        return -1;
    q->heap = h;
    q->cap = cap;
    return 0;
}

/* Completes a deferred pop. */
static inline void settle(fl_evq *q)
{
    if (q->top_gone) {
        q->top_gone = false;
        heap_pop_root(q);
    }
}

/* ---- timers ---- */

static void release_timer(fl_evq *q, uint32_t tid)
{
    timer_slot *t = &q->timers[tid];
    t->state = T_FREE | q->free_head;
    t->gen++;
    q->free_head = tid;
}

/* True (and the record's slot released) when ev is a cancelled timer's record. */
static inline bool drop_if_dead(fl_evq *q, const fl_ev *ev)
{
    if (!ev->tid || q->timers[ev->tid].state != T_DEAD)
        return false;
    release_timer(q, ev->tid);
    q->dead--;
    return true;
}

/* ---- ladder ---- */

static inline uint64_t cur_start(const rung *r)
{
    return r->cur < r->nb ? r->start + ((uint64_t)r->cur << r->shift) : r->end;
}

static inline uint32_t rung_bucket(const rung *r, uint64_t k)
{
    uint64_t i = (k - r->start) >> r->shift;
    return r->base + (i < r->nb ? (uint32_t)i : r->nb - 1);
}

/* The bucket of a key >= near_end: the first region, from the far end, that starts at or
 * before it. */
static inline uint32_t locate(const fl_evq *q, uint64_t k)
{
    if (k >= q->top_start)
        return TOP;
    unsigned r = 0;
    while (k < cur_start(&q->rung[r]))
        r++;
    return rung_bucket(&q->rung[r], k);
}

int fl_evq_push(fl_evq *q, const fl_ev *ev)
{
    assert(ev->at >= 0);
    uint64_t k = key(ev);
    if (k < q->near_end) {
        if (q->top_gone) {
            q->top_gone = false;
            if (q->n <= ARITY + 1)
                replace_root_small(q->heap, q->n, ev);
            else
                sift_down(q->heap, q->n, 0, ev);
        } else {
            if (q->n == q->cap && heap_reserve(q, q->n + 1))
                return -1;
            sift_up(q->heap, q->n++, ev);
        }
    } else {
        settle(q);
        if (bucket_append(q, locate(q, k), ev))
            return -1;
        q->scan = false; /* the refill may succeed now */
    }
    q->live++;
    if (ev->tid)
        q->timers[ev->tid].state = T_LIVE;
    return 0;
}

/* Starts loading chunk c (NIL: nothing) into the cache: a bucket's chunks are scattered, so
 * the hardware prefetcher, which follows addresses in order, cannot see the next one. */
static inline void prefetch_chunk(const fl_evq *q, uint32_t c)
{
    if (c == NIL)
        return;
    const char *p = (const char *)rec(q, c << CH_SHIFT);
    for (size_t i = 0; i < CH * sizeof(fl_ev); i += 64)
        __builtin_prefetch(p + i);
}

/* A pass over a bucket's chunks keeps PF_AHEAD chunks (8 KiB) loading ahead of the one
 * it reads: at 10^7 records a big bucket comes from memory, and one chunk is read in less
 * time than memory takes to answer. *pf is the farthest chunk asked for so far. */
#define PF_AHEAD 4

static inline uint32_t prefetch_start(const fl_evq *q, uint32_t c)
{
    uint32_t pf = c;
    prefetch_chunk(q, c);
    for (unsigned i = 1; i < PF_AHEAD && pf != NIL; i++)
        if ((pf = q->cnext[pf]) != NIL)
            prefetch_chunk(q, pf);
    return pf;
}

/* At each chunk of the pass: one more chunk comes in. */
static inline void prefetch_next(const fl_evq *q, uint32_t *pf)
{
    if (*pf != NIL && (*pf = q->cnext[*pf]) != NIL)
        prefetch_chunk(q, *pf);
}

/* Spreads bucket b (keys [lo, hi], lo < hi) over a new rung [lo, end). Returns -1, nothing
 * changed, when space cannot be had. */
static int spawn(fl_evq *q, uint32_t b, uint64_t lo, uint64_t hi, uint64_t end)
{
    uint32_t c = q->bk[b].count, per = b == TOP ? K_TOP : K_RUNG;
    uint64_t most = b == TOP ? MAX_SPREAD_TOP : MAX_SPREAD;
    uint64_t want = c / per < 2 ? 2 : c / per > most ? most : c / per, span = hi - lo;
    /* the least power-of-two width that needs at most `want` buckets */
    unsigned shift = 0;
    while (shift < 63 && (span / want) >> shift)
        shift++;
    uint32_t nb = (uint32_t)((span >> shift) + 1);
    uint32_t base = q->nr ? q->rung[q->nr - 1].base + q->rung[q->nr - 1].nb : 1;
    if (base + nb > q->bk_cap) {
        uint32_t cap = q->bk_cap * 2;
        while (cap < base + nb)
            cap *= 2;
        bucket *nbk = fl_realloc(q->bk, cap * sizeof *nbk);
        if (!nbk)
            return -1;
        q->bk = nbk;
        q->bk_cap = cap;
    }
    /* Each chunk read is freed before the next, so the copy needs at most one new partial
     * chunk per bucket filled, plus two. */
    if (reserve_chunks(q, (nb < c ? nb : c) + 2))
        return -1;
    for (uint32_t i = 0; i < nb; i++)
        q->bk[base + i] = EMPTY_BUCKET;
    rung *r = &q->rung[q->nr++];
    *r = (rung){lo, end, base, nb, 0, shift};
    bucket src = q->bk[b];
    q->bk[b] = EMPTY_BUCKET;
    uint32_t in = head_fill(src.count);
    uint32_t pf = prefetch_start(q, src.head);
    for (uint32_t ch = src.head; ch != NIL; in = CH) {
        prefetch_next(q, &pf);
        const fl_ev *p = rec(q, ch << CH_SHIFT);
        for (uint32_t i = 0; i < in; i++)
            bucket_append(q, rung_bucket(r, key(&p[i])), &p[i]); /* cannot fail: reserved */
        uint32_t next = q->cnext[ch];
        chunk_put(q, ch);
        ch = next;
    }
    return 0;
}

/* Moves bucket b into the empty heap (capacity reserved). Cancelled records are dropped on
 * the way: a timeout is mostly cancelled long before its time comes, so most never enter
 * the heap at all. */
static void heap_from_bucket(fl_evq *q, uint32_t b)
{
    bucket src = q->bk[b];
    q->bk[b] = EMPTY_BUCKET;
    fl_ev *h = q->heap;
    size_t n = 0;
    uint32_t in = head_fill(src.count);
    uint32_t pf = prefetch_start(q, src.head);
    for (uint32_t ch = src.head; ch != NIL; in = CH) {
        prefetch_next(q, &pf);
        const fl_ev *p = rec(q, ch << CH_SHIFT);
        for (uint32_t i = 0; i < in; i++)
            if (!drop_if_dead(q, &p[i]))
                h[n++] = p[i];
        uint32_t next = q->cnext[ch];
        chunk_put(q, ch);
        ch = next;
    }
    q->n = n;
    heapify(h, n);
}

/* The heap is empty and records are stored: brings the least bucket down into the heap,
 * spawning rungs on the way, or enters scan mode when memory runs out. */
static void refill(fl_evq *q)
{
    for (;;) {
        uint32_t b;
        uint64_t end = 0, lo = 0, hi = 0;
        rung *r = NULL;
        if (q->nr == 0) {
            b = TOP;
        } else {
            r = &q->rung[q->nr - 1];
            while (r->cur < r->nb && q->bk[r->base + r->cur].count == 0)
                r->cur++;
            q->near_end = cur_start(r);
            if (r->cur == r->nb) { /* rung used up: its parent's current bucket is next */
                q->nr--;
                continue;
            }
            b = r->base + r->cur;
            end = r->cur + 1 < r->nb ? r->start + ((uint64_t)(r->cur + 1) << r->shift) : r->end;
        }
        uint32_t c = q->bk[b].count;
        assert(c > 0);
        lo = q->bk[b].lo;
        hi = q->bk[b].hi;
        if (!r)
            end = hi + 1;
        if (c > THRESH && lo < hi && q->nr < MAX_RUNGS) {
            uint64_t saved_top = q->top_start;
            if (r)
                r->cur++;
            else
                q->top_start = end;
            if (spawn(q, b, lo, hi, end) == 0) {
                q->near_end = lo;
                continue;
            }
            if (r)
                r->cur--;
            q->top_start = saved_top;
        }
        if (heap_reserve(q, c)) {
            q->scan = true;
            q->scan_b = b;
            return;
        }
        if (r)
            r->cur++;
        else
            q->top_start = end;
        heap_from_bucket(q, b);
        q->near_end = end;
        /* The next bucket of this rung is likely the next to come down (after as many
         * events as this one held): its chunks start loading now. */
        if (r && r->cur < r->nb)
            prefetch_start(q, q->bk[r->base + r->cur].head);
        return;
    }
}

/* The least live record, dropping cancelled ones on the way: heap[0], or in scan mode the
 * record at store index *g of bucket scan_b. NULL when the queue is empty. */
static const fl_ev *front(fl_evq *q, uint32_t *g)
{
    settle(q);
    for (;;) {
        if (q->n) {
            if (!drop_if_dead(q, &q->heap[0]))
                return &q->heap[0];
            heap_pop_root(q);
            continue;
        }
        if (q->live + q->dead == 0)
            return NULL;
        if (!q->scan)
            refill(q);
        if (!q->scan)
            continue;
        uint32_t b = q->scan_b, in = head_fill(q->bk[b].count);
        const fl_ev *m = NULL;
        for (uint32_t c = q->bk[b].head; c != NIL; c = q->cnext[c], in = CH)
            for (uint32_t i = 0; i < in; i++) {
                const fl_ev *e = rec(q, (c << CH_SHIFT) | i);
                if (!m || ev_less(e, m)) {
                    m = e;
                    *g = (c << CH_SHIFT) | i;
                }
            }
        if (!drop_if_dead(q, m))
            return m;
        bucket_remove(q, b, *g);
        if (q->bk[b].count == 0)
            q->scan = false;
    }
}

const fl_ev *fl_evq_peek(fl_evq *q)
{
    uint32_t g;
    return front(q, &g);
}

/* Removes m, the record front() returned with g, into *out. */
static void take(fl_evq *q, const fl_ev *m, uint32_t g, fl_ev *out, bool deferred)
{
    *out = *m;
    if (q->n) {
        if (deferred)
            q->top_gone = true;
        else
            heap_pop_root(q);
    } else {
        bucket_remove(q, q->scan_b, g);
        if (q->bk[q->scan_b].count == 0)
            q->scan = false;
    }
    q->live--;
    if (out->tid)
        release_timer(q, out->tid);
}

bool fl_evq_pop(fl_evq *q, fl_ev *out)
{
    uint32_t g = 0;
    const fl_ev *m = front(q, &g);
    if (!m)
        return false;
    take(q, m, g, out, false);
    return true;
}

bool fl_evq_pop_deferred(fl_evq *q, fl_ev *out)
{
    uint32_t g = 0;
    const fl_ev *m = front(q, &g);
    if (!m)
        return false;
    take(q, m, g, out, true);
    return true;
}

bool fl_evq_pop_until(fl_evq *q, fl_time until, fl_ev *out)
{
    uint32_t g = 0;
    const fl_ev *m = front(q, &g);
    if (!m || m->at > until)
        return false;
    take(q, m, g, out, true);
    return true;
}

uint32_t fl_evq_timer_reserve(fl_evq *q, uint32_t *gen)
{
    uint32_t tid = q->free_head;
    if (tid) {
        q->free_head = q->timers[tid].state & ~T_FREE;
    } else {
        if (q->ntimers >= q->timers_cap) {
            if (q->timers_cap >= MAX_RECORDS)
                return 0;
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
    q->timers[tid].state = T_RESERVED;
    *gen = q->timers[tid].gen;
    return tid;
}

void fl_evq_timer_unreserve(fl_evq *q, uint32_t tid)
{
    if (tid && tid < q->ntimers && q->timers[tid].state == T_RESERVED)
        release_timer(q, tid);
}

/* Drops every cancelled record. A bucket is rebuilt in place, chunk by chunk; if even two
 * spare chunks cannot be had the purge stops there, the queue consistent. */
static void purge(fl_evq *q)
{
    settle(q);
    fl_ev *h = q->heap;
    size_t n = 0;
    for (size_t i = 0; i < q->n; i++)
        if (!drop_if_dead(q, &h[i]))
            h[n++] = h[i];
    if (n != q->n) {
        q->n = n;
        heapify(h, n);
    }
    uint32_t nbk = q->nr ? q->rung[q->nr - 1].base + q->rung[q->nr - 1].nb : 1;
    for (uint32_t b = 0; b < nbk && q->dead; b++) {
        if (!q->bk[b].count)
            continue;
        if (reserve_chunks(q, 2))
            break;
        bucket src = q->bk[b];
        q->bk[b] = EMPTY_BUCKET;
        uint32_t in = head_fill(src.count);
        for (uint32_t ch = src.head; ch != NIL; in = CH) {
            const fl_ev *p = rec(q, ch << CH_SHIFT);
            for (uint32_t i = 0; i < in; i++)
                if (!drop_if_dead(q, &p[i]))
                    bucket_append(q, b, &p[i]);
            uint32_t next = q->cnext[ch];
            chunk_put(q, ch);
            ch = next;
        }
    }
    if (q->scan && q->bk[q->scan_b].count == 0)
        q->scan = false;
}

bool fl_evq_timer_cancel(fl_evq *q, uint32_t tid, uint32_t gen)
{
    if (tid == 0 || tid >= q->ntimers)
        return false;
    timer_slot *t = &q->timers[tid];
    if (t->gen != gen || t->state != T_LIVE)
        return false;
    t->state = T_DEAD; /* the slot waits for its record; the generation advances then */
    q->live--;
    q->dead++;
    if (q->dead > PURGE_MIN && q->dead > q->live / 4)
        purge(q);
    return true;
}

/* Counts a record for fl_evq_valid; false when its timer slot is not in use. */
static bool count_record(const fl_evq *q, const fl_ev *e, size_t *live, size_t *dead,
                         size_t *named)
{
    if (!e->tid) {
        (*live)++;
        return true;
    }
    if (e->tid >= q->ntimers)
        return false;
    uint32_t st = q->timers[e->tid].state;
    *live += st == T_LIVE;
    *dead += st == T_DEAD;
    (*named)++;
    return st == T_LIVE || st == T_DEAD;
}

bool fl_evq_valid(const fl_evq *q)
{
    if (q->top_gone)
        return true; /* mid-dispatch: heap[0] is stale until the next call settles it */
    size_t live = 0, dead = 0, named = 0;
    for (size_t i = 0; i < q->n; i++) {
        const fl_ev *e = &q->heap[i];
        if (i && ev_less(e, &q->heap[(i - 1) / ARITY]))
            return false;
        if (e->at < 0 || key(e) >= q->near_end || !count_record(q, e, &live, &dead, &named))
            return false;
    }
    if (q->near_end != (q->nr ? cur_start(&q->rung[q->nr - 1]) : q->top_start))
        return false;
    for (unsigned r = 0; r < q->nr; r++) {
        const rung *R = &q->rung[r];
        uint64_t end = r ? cur_start(&q->rung[r - 1]) : q->top_start;
        if (R->end != end || R->nb == 0 || R->cur > R->nb || R->start >= R->end ||
            R->base != (r ? q->rung[r - 1].base + q->rung[r - 1].nb : 1))
            return false;
        for (uint32_t i = 0; i < R->cur; i++)
            if (q->bk[R->base + i].count)
                return false;
    }
    uint32_t nbk = q->nr ? q->rung[q->nr - 1].base + q->rung[q->nr - 1].nb : 1;
    size_t chunks = 0;
    for (uint32_t b = 0; b < nbk; b++) {
        uint32_t cnt = q->bk[b].count, in = cnt ? head_fill(cnt) : 0, seen = 0;
        for (uint32_t c = q->bk[b].head; c != NIL; c = q->cnext[c], in = CH) {
            if (c >= q->nchunk || ++chunks > q->nchunk)
                return false;
            for (uint32_t i = 0; i < in; i++) {
                const fl_ev *e = rec(q, (c << CH_SHIFT) | i);
                if (e->at < 0 || key(e) < q->near_end || locate(q, key(e)) != b ||
                    key(e) < q->bk[b].lo || key(e) > q->bk[b].hi ||
                    !count_record(q, e, &live, &dead, &named))
                    return false;
            }
            seen += in;
        }
        if (seen != cnt)
            return false;
    }
    size_t nfree = 0;
    for (uint32_t c = q->free_chunk; c != NIL; c = q->cnext[c], nfree++)
        if (c >= q->nchunk || ++chunks > q->nchunk)
            return false;
    if (chunks != q->nchunk || nfree != q->nfree || live != q->live || dead != q->dead)
        return false;
    if (q->scan && (q->scan_b >= nbk || q->bk[q->scan_b].count == 0))
        return false;
    size_t in_use = 0;
    for (uint32_t t = 1; t < q->ntimers; t++)
        in_use += q->timers[t].state == T_LIVE || q->timers[t].state == T_DEAD;
    return in_use == named; /* as many records name a slot as slots are in use */
}
