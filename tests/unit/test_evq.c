/* The event queue against a sorted reference: random schedule / pop / deferred pop / cancel
 * over several time regimes (ties, spread, skewed, bursts, all scales), FIFO ties, stale handles,
 * growth across every resize boundary, pushes at the last popped time, the memory bound on
 * the hold model and under cancel storms, and allocation failures. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <faultline/rng.h>

#include "core/alloc.h"
#include "core/evq.h"
#include "testutil.h"

/* Check reports every passing ck_assert to its runner (a write(2) each): over millions of
 * checks that would be most of the run time, so these test first and call Check to fail. */
#define EXPECT(x)                                                                          \
    do {                                                                                   \
        if (!(x))                                                                          \
            ck_assert_msg(0, "%s", #x);                                                    \
    } while (0)

/* ---- reference: a binary heap with the least record on top; a cancelled record is
 * marked by its seq (unique in every test) and dropped when it comes to the top. (A sorted
 * array moved a tenth of a million records per push: 41 s of this test under ASan.) ---- */

typedef struct ref {
    fl_ev *v;
    size_t n;       /* records pending */
    size_t hn, cap; /* heap entries, cancelled ones included */
    uint8_t *live;  /* by seq: 1 while pending */
    size_t lcap;
} ref;

static bool less(const fl_ev *a, const fl_ev *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void ref_push(ref *r, const fl_ev *e)
{
    if (r->hn == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        EXPECT(r->v != NULL);
    }
    if (e->seq >= r->lcap) {
        size_t cap = r->lcap ? r->lcap : 1024;
        while (cap <= e->seq)
            cap *= 2;
        r->live = realloc(r->live, cap);
        EXPECT(r->live != NULL);
        memset(r->live + r->lcap, 0, cap - r->lcap);
        r->lcap = cap;
    }
    r->live[e->seq] = 1;
    size_t i = r->hn++;
    for (size_t p; i > 0 && less(e, &r->v[p = (i - 1) / 2]); i = p)
        r->v[i] = r->v[p];
    r->v[i] = *e;
    r->n++;
}

static void heap_drop_top(ref *r)
{
    fl_ev last = r->v[--r->hn];
    size_t i = 0;
    for (size_t c; (c = 2 * i + 1) < r->hn; i = c) {
        if (c + 1 < r->hn && less(&r->v[c + 1], &r->v[c]))
            c++;
        if (!less(&r->v[c], &last))
            break;
        r->v[i] = r->v[c];
    }
    r->v[i] = last;
}

static const fl_ev *ref_min(ref *r)
{
    while (r->hn && !r->live[r->v[0].seq])
        heap_drop_top(r);
    return r->n ? &r->v[0] : NULL;
}

/* Drops the least record (the one ref_min gives). */
static void ref_pop(ref *r)
{
    const fl_ev *m = ref_min(r);
    EXPECT(m != NULL);
    r->live[m->seq] = 0;
    heap_drop_top(r);
    r->n--;
}

/* Cancels the record with this seq when it is pending; true when it was. */
static bool ref_remove(ref *r, uint64_t seq)
{
    if (seq >= r->lcap || !r->live[seq])
        return false;
    r->live[seq] = 0;
    r->n--;
    return true;
}

static void ref_free(ref *r)
{
    free(r->v);
    free(r->live);
}

static void assert_same(const fl_ev *got, const fl_ev *want)
{
    if (got->at != want->at || got->seq != want->seq || got->arg != want->arg ||
        got->h != want->h || got->tid != want->tid)
        ck_assert_msg(0, "popped (at %lld, seq %llu), expected (at %lld, seq %llu)",
                      (long long)got->at, (unsigned long long)got->seq, (long long)want->at,
                      (unsigned long long)want->seq);
}

/* ---- the randomized comparison ---- */

enum { NARROW, SPREAD, SKEWED, BURSTS, SCALES, NREGIMES };

/* A delay in the regime's shape. */
static fl_time delay(fl_rng *rng, int regime)
{
    switch (regime) {
    case NARROW: /* ties everywhere */
        return (fl_time)fl_rng_below(rng, 50);
    case SPREAD: /* exponential, mean 1 s */
        return (fl_time)(-log(fl_rng_uniform_pos(rng)) * 1e9);
    case SKEWED: /* dense near future over a sparse far one */
        return (fl_time)(fl_rng_below(rng, 10) ? fl_rng_below(rng, 1000)
                                               : fl_rng_below(rng, (uint64_t)1 << 40));
    case BURSTS: /* a few distinct times, thousands of events at each */
        return (fl_time)(1000 * fl_rng_below(rng, 4));
    default: /* log-uniform from 1 ns to 1 s: every scale of the ladder at once */
        return (fl_time)fl_rng_below(rng, (uint64_t)1 << (1 + fl_rng_below(rng, 30)));
    }
}

typedef struct handle {
    uint32_t tid, gen;
    fl_time at;
    uint64_t seq;
} handle;

static void random_ops(int regime, uint64_t seed)
{
    fl_evq *q = fl_evq_new();
    ref r = {0};
    enum { MAXH = 200000 };
    handle *hs = malloc(MAXH * sizeof *hs);
    size_t nh = 0;
    fl_rng rng;
    fl_rng_seed(&rng, seed, "evq/random");
    uint64_t seq = 0;
    fl_time now = 0;
    for (int op = -20000; op < 100000 / FL_TEST_SCALE; op++) { /* 20000 pushes first: a deep ladder */
        uint64_t c = op < 0 ? 0 : fl_rng_below(&rng, 100);
        if (c < 45 || r.n == 0) {
            fl_ev ev = {now + delay(&rng, regime), seq++, fl_rng_next(&rng), (uint32_t)op & 7, 0};
            if (fl_rng_below(&rng, 3) == 0 && nh < MAXH) {
                uint32_t gen;
                ev.tid = fl_evq_timer_reserve(q, &gen);
                EXPECT(ev.tid != 0);
                hs[nh++] = (handle){ev.tid, gen, ev.at, ev.seq};
            }
            EXPECT(fl_evq_push(q, &ev) == 0);
            ref_push(&r, &ev);
        } else if (c < 75) { /* pop, deferred pop, or pop_until around the least time */
            fl_ev got;
            const fl_ev *want = ref_min(&r);
            if (c < 60) {
                EXPECT(c < 52 ? fl_evq_pop(q, &got) : fl_evq_pop_deferred(q, &got));
            } else {
                fl_time until = want->at + (fl_time)fl_rng_below(&rng, 3) - 1;
                if (!fl_evq_pop_until(q, until, &got)) {
                    EXPECT(want->at > until);
                    continue;
                }
                EXPECT(got.at <= until);
            }
            assert_same(&got, want);
            EXPECT(got.at >= now);
            now = got.at;
            ref_pop(&r);
        } else if (nh) { /* cancel a random timer: pending, fired, or already cancelled */
            size_t k = fl_rng_below(&rng, nh);
            bool pending = ref_remove(&r, hs[k].seq);
            EXPECT(fl_evq_timer_cancel(q, hs[k].tid, hs[k].gen) == pending);
            EXPECT(!fl_evq_timer_cancel(q, hs[k].tid, hs[k].gen)); /* twice: no */
            hs[k] = hs[--nh];
        }
        EXPECT(fl_evq_size(q) == r.n);
        if (op % 997 == 0) {
            const fl_ev *top = fl_evq_peek(q); /* also settles a deferred pop */
            if (r.n)
                assert_same(top, ref_min(&r));
            EXPECT(fl_evq_valid(q));
        }
    }
    while (r.n) {
        fl_ev got;
        EXPECT(fl_evq_pop(q, &got));
        assert_same(&got, ref_min(&r));
        ref_pop(&r);
    }
    fl_ev none;
    EXPECT(!fl_evq_pop(q, &none));
    EXPECT(!fl_evq_pop_until(q, FL_TIME_MAX, &none));
    EXPECT(fl_evq_peek(q) == NULL);
    EXPECT(fl_evq_size(q) == 0);
    EXPECT(fl_evq_valid(q));
    ref_free(&r);
    free(hs);
    fl_evq_free(q);
}

START_TEST(matches_sorted_reference)
{
    random_ops(_i, 1);
}
END_TEST

/* ---- ties ---- */

START_TEST(equal_times_pop_in_scheduling_order)
{
    fl_evq *q = fl_evq_new();
    uint64_t s = 0;
    for (; s < 5000; s++) {
        fl_ev ev = {(fl_time)(s % 3) * 10, s, 0, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
    }
    /* 100000 more at one time, pushed while the first ones pop: each pop adds one at the
     * popped time (the monotone boundary), which must come after every earlier one */
    fl_time last_at = -1;
    uint64_t last_seq = 0, pops = 0;
    fl_ev got;
    while (fl_evq_pop_deferred(q, &got)) {
        if (got.at == last_at)
            EXPECT(got.seq > last_seq);
        else
            EXPECT(got.at > last_at);
        last_at = got.at;
        last_seq = got.seq;
        if (s < 105000) {
            fl_ev ev = {got.at, s++, 0, 0, 0};
            EXPECT(fl_evq_push(q, &ev) == 0);
        }
        pops++;
    }
    EXPECT(pops == 105000);
    fl_evq_free(q);
}
END_TEST

/* ---- handles ---- */

START_TEST(stale_handles)
{
    fl_evq *q = fl_evq_new();
    uint32_t gen, gen2, gen3;
    uint32_t t = fl_evq_timer_reserve(q, &gen);
    fl_ev ev = {5, 0, 0, 0, t};
    fl_evq_push(q, &ev);
    fl_ev got;
    EXPECT(fl_evq_pop(q, &got));
    EXPECT(got.tid == t);
    EXPECT(!fl_evq_timer_cancel(q, t, gen)); /* fired */
    uint32_t t2 = fl_evq_timer_reserve(q, &gen2);
    EXPECT(t2 == t);     /* the entry is reused ... */
    EXPECT(gen2 != gen); /* ... under a new generation */
    ev = (fl_ev){6, 1, 0, 0, t2};
    fl_evq_push(q, &ev);
    EXPECT(!fl_evq_timer_cancel(q, t, gen)); /* the old handle cannot touch it */
    EXPECT(fl_evq_timer_cancel(q, t2, gen2));
    EXPECT(!fl_evq_timer_cancel(q, t2, gen2)); /* cancelled */
    EXPECT(fl_evq_size(q) == 0);
    EXPECT(fl_evq_peek(q) == NULL); /* the cancelled record never comes out */
    uint32_t t3 = fl_evq_timer_reserve(q, &gen3);
    EXPECT(!fl_evq_timer_cancel(q, t3, gen3)); /* reserved, never pushed */
    EXPECT(!fl_evq_timer_cancel(q, t2, gen2)); /* stale, whatever t3 is */
    fl_evq_timer_unreserve(q, t3);
    EXPECT(!fl_evq_timer_cancel(q, 0, 0));
    EXPECT(!fl_evq_timer_cancel(q, 999, 0));
    EXPECT(fl_evq_valid(q));
    fl_evq_free(q);
}
END_TEST

/* ---- growth ---- */

static int cmp_ev(const void *a, const void *b)
{
    return less(a, b) ? -1 : less(b, a) ? 1 : 0;
}

START_TEST(grows_across_resize_boundaries)
{
    /* around every capacity step: 64-record chunks, the 256-record heap, 128-record heap
     * loads, 1024-record slabs, the 64-bucket table, the 256-entry timer table */
    static const size_t sizes[] = {1,   2,    15,   16,   17,   63,   64,    65,   127, 128,
                                   129, 255,  256,  257,  511,  512,  1023,  1024, 1025,
                                   4097, 16385, 65537};
    fl_rng rng;
    fl_rng_seed(&rng, 3, "evq/grow");
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        fl_evq *q = fl_evq_new();
        fl_ev *v = malloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++) {
            v[i] = (fl_ev){(fl_time)fl_rng_below(&rng, 1u << 30), i, i, 1, 0};
            if (i % 4 == 0) {
                uint32_t gen;
                v[i].tid = fl_evq_timer_reserve(q, &gen);
            }
            EXPECT(fl_evq_push(q, &v[i]) == 0);
        }
        EXPECT(fl_evq_valid(q));
        EXPECT(fl_evq_size(q) == n);
        qsort(v, n, sizeof *v, cmp_ev);
        for (size_t i = 0; i < n; i++) {
            fl_ev got;
            EXPECT(fl_evq_pop(q, &got));
            assert_same(&got, &v[i]);
            if (i % 1000 == 0)
                EXPECT(fl_evq_valid(q));
        }
        EXPECT(fl_evq_size(q) == 0);
        free(v);
        fl_evq_free(q);
    }

    /* the heap itself past its first capacity: 1000 records at the time being popped */
    fl_evq *q = fl_evq_new();
    fl_ev ev = {1000, 0, 0, 0, 0}, got;
    fl_evq_push(q, &ev);
    EXPECT(fl_evq_peek(q) != NULL);
    for (uint64_t s = 1; s <= 1000; s++) {
        ev = (fl_ev){1000, s, 0, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
    }
    EXPECT(fl_evq_valid(q));
    for (uint64_t s = 0; s <= 1000; s++) {
        EXPECT(fl_evq_pop(q, &got));
        EXPECT(got.seq == s);
    }
    fl_evq_free(q);
}
END_TEST

/* ---- the monotone-time precondition, at its boundary ---- */

START_TEST(pushes_at_the_last_popped_time)
{
    /* A deep ladder (10^5 spread events); after each pop, events at exactly the popped
     * time, one ns later, and a little later again: the earliest allowed times, which land
     * in the heap, in the bucket just brought down, or just past it. */
    fl_evq *q = fl_evq_new();
    ref r = {0};
    fl_rng rng;
    fl_rng_seed(&rng, 5, "evq/monotone");
    uint64_t seq = 0;
    for (int i = 0; i < 100000; i++) {
        fl_ev ev = {(fl_time)(-log(fl_rng_uniform_pos(&rng)) * 1e9), seq++, 0, 0, 0};
        fl_evq_push(q, &ev);
        ref_push(&r, &ev);
    }
    for (int i = 0; i < 200000; i++) {
        fl_ev got;
        EXPECT(fl_evq_pop_deferred(q, &got));
        assert_same(&got, ref_min(&r));
        ref_pop(&r);
        int k = (int)fl_rng_below(&rng, 3);
        fl_time d = k == 0 ? 0 : k == 1 ? 1 : (fl_time)fl_rng_below(&rng, 1000000);
        fl_ev ev = {got.at + d, seq++, 0, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
        ref_push(&r, &ev);
        if (i % 20000 == 0) {
            fl_evq_peek(q);
            EXPECT(fl_evq_valid(q));
        }
    }
    ref_free(&r);
    fl_evq_free(q);
}
END_TEST

START_TEST(pushes_into_every_region)
{
    /* 1000 records at 0..999 and one at 1 s. The first pop spreads them over a rung of two
     * buckets (2^29 ns wide), then the dense first bucket over a finer rung (16 buckets of
     * 64 ns covering 0..1023) and brings its first bucket into the heap. Then one push
     * lands in each region: the heap, a fine bucket, the stretch between the fine rung's
     * data and its parent bucket's end (its last bucket reaches that far), the next
     * coarse bucket, the top. */
    fl_evq *q = fl_evq_new();
    ref r = {0};
    uint64_t seq = 0;
    for (fl_time t = 0; t < 1000; t++) {
        fl_ev ev = {t, seq++, 0, 0, 0};
        fl_evq_push(q, &ev);
        ref_push(&r, &ev);
    }
    fl_ev far = {FL_SEC, seq++, 0, 0, 0}, got;
    fl_evq_push(q, &far);
    ref_push(&r, &far);
    EXPECT(fl_evq_pop(q, &got) && got.at == 0);
    ref_pop(&r);
    static const fl_time at[] = {0,          63,         64,        1023,
                                 5000,       (1 << 29) - 1, 1 << 29, 3 * FL_SEC};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        fl_ev ev = {at[i], seq++, i, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
        ref_push(&r, &ev);
        EXPECT(fl_evq_valid(q));
    }
    while (r.n) {
        EXPECT(fl_evq_pop(q, &got));
        assert_same(&got, ref_min(&r));
        ref_pop(&r);
        EXPECT(fl_evq_valid(q));
    }
    ref_free(&r);
    fl_evq_free(q);
}
END_TEST

/* ---- memory ---- */

START_TEST(hold_model_stays_compact)
{
    /* the hold model at 2 * 10^5 pending: at most 48 bytes per pending event */
    fl_evq *q = fl_evq_new();
    fl_rng rng;
    fl_rng_seed(&rng, 6, "evq/hold");
    uint64_t seq = 0;
    const size_t n = 200000;
    for (size_t i = 0; i < n; i++) {
        fl_ev ev = {(fl_time)(-log(fl_rng_uniform_pos(&rng)) * 1e9), seq++, 0, 0, 0};
        fl_evq_push(q, &ev);
    }
    fl_time last = 0;
    for (int i = 0; i < 2000000 / FL_TEST_SCALE; i++) {
        fl_ev got;
        EXPECT(fl_evq_pop_deferred(q, &got));
        EXPECT(got.at >= last);
        last = got.at;
        fl_ev ev = {got.at + (fl_time)(-log(fl_rng_uniform_pos(&rng)) * 1e9), seq++, 0, 0, 0};
        fl_evq_push(q, &ev);
        if (i % 250000 == 0)
            EXPECT(fl_evq_bytes(q) <= (48 * n));
    }
    EXPECT(fl_evq_size(q) == n);
    EXPECT(fl_evq_bytes(q) <= (48 * n));
    fl_evq_peek(q);
    EXPECT(fl_evq_valid(q));
    fl_evq_free(q);
}
END_TEST

/* A top of 1.5 * 10^6 records is spread over at most 4096 buckets (about 370 records
 * each, past K_TOP), which then come down through a second rung: every record pops once,
 * in (at, seq) order, with many equal times (times drawn from 10^5 values). */
START_TEST(big_spread_keeps_order)
{
    fl_evq *q = fl_evq_new();
    fl_rng rng;
    fl_rng_seed(&rng, 8, "evq/big");
    const size_t n = 1500000;
    for (size_t i = 0; i < n; i++) {
        fl_ev ev = {(fl_time)fl_rng_below(&rng, 100000) * 1000, i, i, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
    }
    fl_ev prev = {-1, 0, 0, 0, 0}, got;
    size_t pops = 0;
    while (fl_evq_pop(q, &got)) {
        EXPECT(got.at > prev.at || (got.at == prev.at && got.seq > prev.seq));
        EXPECT(got.arg == got.seq);
        if (pops == 1 || pops == n / 2)
            EXPECT(fl_evq_valid(q));
        prev = got;
        pops++;
    }
    EXPECT(pops == n);
    fl_evq_free(q);
}
END_TEST

START_TEST(cancel_storm_is_swept)
{
    /* 10^6 one-hour timeouts, each cancelled at once, over 1000 live events: cancelled
     * records must not pile up (without the sweep they would hold 32 MB) */
    fl_evq *q = fl_evq_new();
    uint64_t seq = 0;
    for (int i = 0; i < 1000; i++) {
        fl_ev ev = {i, seq++, 0, 0, 0};
        fl_evq_push(q, &ev);
    }
    for (int i = 0; i < 1000000 / FL_TEST_SCALE; i++) {
        uint32_t gen;
        fl_ev ev = {FL_HOUR + i, seq++, 0, 0, 0};
        ev.tid = fl_evq_timer_reserve(q, &gen);
        EXPECT(fl_evq_push(q, &ev) == 0);
        EXPECT(fl_evq_timer_cancel(q, ev.tid, gen));
    }
    EXPECT(fl_evq_size(q) == 1000);
    EXPECT(fl_evq_bytes(q) < (1 << 20));
    EXPECT(fl_evq_valid(q));
    fl_ev got;
    for (int i = 0; i < 1000; i++) {
        EXPECT(fl_evq_pop(q, &got));
        EXPECT(got.at == i);
    }
    EXPECT(!fl_evq_pop(q, &got));
    fl_evq_free(q);
}
END_TEST

/* Ties at power-of-two boundaries (where bucket edges fall): 12 times, each k * 2^20 ns
 * or one less, 400 records each (more than go straight to the heap), pushed in random
 * order among hold-like records, some from inside handlers at the time being popped. Each
 * bucket's key range (kept as records arrive, never recomputed) must cover its records,
 * and every tie must come out in scheduling order. */
START_TEST(equal_times_across_bucket_boundaries)
{
    fl_evq *q = fl_evq_new();
    fl_rng rng;
    fl_rng_seed(&rng, 9, "evq/edges");
    uint64_t seq = 0;
    size_t pushed = 0;
    for (int i = 0; i < 12 * 400; i++) {
        int k = (int)fl_rng_below(&rng, 12);
        fl_ev ev = {(fl_time)((k / 2 + 1) << 20) - (k & 1), seq++, 0, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
        fl_ev far = {(fl_time)fl_rng_below(&rng, 1u << 24), seq++, 0, 0, 0};
        EXPECT(fl_evq_push(q, &far) == 0);
        pushed += 2;
    }
    EXPECT(fl_evq_valid(q));
    fl_ev prev = {-1, 0, 0, 0, 0}, got;
    size_t pops = 0;
    while (fl_evq_pop_deferred(q, &got)) {
        EXPECT(got.at > prev.at || (got.at == prev.at && got.seq > prev.seq));
        prev = got;
        pops++;
        if (pops % 3 == 0 && pushed < 30000) { /* a tie with the record just popped */
            fl_ev ev = {got.at, seq++, 0, 0, 0};
            EXPECT(fl_evq_push(q, &ev) == 0);
            pushed++;
        }
        if (pops % 997 == 0) {
            fl_evq_peek(q);
            EXPECT(fl_evq_valid(q));
        }
    }
    EXPECT(pops == pushed);
    fl_evq_free(q);
}
END_TEST

/* Timers far ahead (1-100 s, in rung 0 and the top) under a near hold model: half are
 * cancelled while their buckets are still far, some after a bucket was spread into a finer
 * rung. No cancelled timer pops, every other one does, in order. */
START_TEST(cancel_in_far_buckets)
{
    enum { NT = 200000 / FL_TEST_SCALE, NH = 2000 };
    fl_evq *q = fl_evq_new();
    fl_rng rng;
    fl_rng_seed(&rng, 10, "evq/farcancel");
    uint32_t *tid = malloc(NT * sizeof *tid), *gen = malloc(NT * sizeof *gen);
    bool *gone = calloc(NT, sizeof *gone);
    ck_assert(tid && gen && gone);
    uint64_t seq = 0;
    for (int i = 0; i < NH; i++) {
        fl_ev ev = {(fl_time)fl_rng_below(&rng, FL_MS), seq++, NT, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
    }
    for (uint32_t i = 0; i < NT; i++) {
        fl_ev ev = {FL_SEC + (fl_time)fl_rng_below(&rng, 99 * (uint64_t)FL_SEC), seq++, i, 0, 0};
        ev.tid = tid[i] = fl_evq_timer_reserve(q, &gen[i]);
        EXPECT(ev.tid != 0 && fl_evq_push(q, &ev) == 0);
    }
    size_t cancelled = 0, fired = 0;
    uint32_t next_cancel = 0;
    fl_ev prev = {-1, 0, 0, 0, 0}, got;
    while (fl_evq_pop(q, &got)) {
        EXPECT(got.at > prev.at || (got.at == prev.at && got.seq > prev.seq));
        prev = got;
        if (got.arg < NT) { /* a timer fired */
            EXPECT(!gone[got.arg]);
            gone[got.arg] = true;
            fired++;
            continue;
        }
        /* a hold event: cancels two random timers (those already gone refuse), then
         * schedules the next hold event while the far ones remain */
        for (int j = 0; j < 2 && next_cancel < NT; j++, next_cancel++) {
            uint32_t v = (uint32_t)fl_rng_below(&rng, NT);
            bool ok = fl_evq_timer_cancel(q, tid[v], gen[v]);
            EXPECT(ok == !gone[v]);
            if (ok) {
                gone[v] = true;
                cancelled++;
            }
        }
        if (next_cancel < NT) {
            fl_ev ev = {got.at + (fl_time)fl_rng_below(&rng, 200 * (uint64_t)FL_MS), seq++, NT,
                        0, 0};
            EXPECT(fl_evq_push(q, &ev) == 0);
        }
        if (fired % 5000 == 1) {
            fl_evq_peek(q);
            EXPECT(fl_evq_valid(q));
        }
    }
    EXPECT(cancelled + fired == NT);
    EXPECT(cancelled > NT / 4 && fired > NT / 4);
    EXPECT(fl_evq_size(q) == 0);
    free(tid);
    free(gen);
    free(gone);
    fl_evq_free(q);
}
END_TEST

/* The hold model grown past the slabs allocated one by one into huge-page blocks and past
 * the top's spread cap (a unit-sized stand-in for 10^7: 2^21 records, 64 MiB), then turned
 * over twice: order, size, invariants, and at most 40 bytes per pending record. */
START_TEST(hold_model_grows_into_blocks)
{
    const size_t n = ((size_t)1 << 21) / FL_TEST_SCALE;
    fl_evq *q = fl_evq_new();
    fl_rng rng;
    fl_rng_seed(&rng, 11, "evq/grow");
    uint64_t seq = 0;
    for (size_t i = 0; i < n; i++) {
        fl_ev ev = {(fl_time)(-log(fl_rng_uniform_pos(&rng)) * 1e9), seq++, 0, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
    }
    EXPECT(fl_evq_valid(q));
    fl_ev prev = {-1, 0, 0, 0, 0}, got;
    for (size_t i = 0; i < 2 * n; i++) {
        EXPECT(fl_evq_pop_deferred(q, &got));
        EXPECT(got.at > prev.at || (got.at == prev.at && got.seq > prev.seq));
        prev = got;
        fl_ev ev = {got.at + (fl_time)(-log(fl_rng_uniform_pos(&rng)) * 1e9), seq++, 0, 0, 0};
        EXPECT(fl_evq_push(q, &ev) == 0);
        if (i == n / 3) {
            fl_evq_peek(q);
            EXPECT(fl_evq_valid(q));
        }
    }
    EXPECT(fl_evq_size(q) == n);
    EXPECT(fl_evq_bytes(q) <= 40 * n);
    fl_evq_peek(q);
    EXPECT(fl_evq_valid(q));
    fl_evq_free(q);
}
END_TEST

/* ---- allocation failure ---- */

START_TEST(allocation_failures_keep_order)
{
    /* From op `start` on, the k-th allocation and every later one fail: a push may fail
     * (queue unchanged), a pop never does, and the order stays exact. Pushes outnumber
     * pops 2:1, so the store must grow while the allocator says no. */
    static const int starts[] = {0, 400, 1500};
    fl_rng rng;
    fl_rng_seed(&rng, 7, "evq/nomem");
    for (int ci = 0; ci < 6; ci++) {
        int start = starts[ci / 2];
        long k = 1 + ci % 2;
        fl_evq *q = fl_evq_new();
        ref r = {0};
        uint64_t seq = 0;
        for (int i = 0; i < 3000; i++) {
            fl_ev ev = {(fl_time)fl_rng_below(&rng, 1u << 20), seq++, 0, 0, 0};
            EXPECT(fl_evq_push(q, &ev) == 0);
            ref_push(&r, &ev);
        }
        fl_time now = 0;
        long failed = 0, refused = fl_alloc_failures();
        for (int op = 0; op < 6000; op++) {
            if (op == start)
                fl_alloc_fail_after(k);
            if (fl_rng_below(&rng, 3) != 0) {
                fl_ev ev = {now + (fl_time)fl_rng_below(&rng, 1u << 20), seq++, 0, 0, 0};
                if (fl_rng_below(&rng, 4) == 0) {
                    uint32_t gen;
                    ev.tid = fl_evq_timer_reserve(q, &gen);
                    if (!ev.tid) {
                        failed++;
                        continue;
                    }
                }
                size_t before = fl_evq_size(q);
                if (fl_evq_push(q, &ev) == 0) {
                    ref_push(&r, &ev);
                } else {
                    failed++;
                    EXPECT(fl_evq_size(q) == before);
                    fl_evq_timer_unreserve(q, ev.tid);
                }
            } else if (r.n) {
                fl_ev got;
                EXPECT(fl_evq_pop(q, &got));
                assert_same(&got, ref_min(&r));
                now = got.at;
                ref_pop(&r);
            }
            if (op % 500 == 0)
                EXPECT(fl_evq_valid(q));
        }
        refused = fl_alloc_failures() - refused;
        fl_alloc_fail_after(0);
        EXPECT(failed > 0);       /* pushes were refused ... */
        EXPECT(refused >= failed); /* ... each for an allocation that failed */
        while (r.n) {
            fl_ev got;
            EXPECT(fl_evq_pop(q, &got));
            assert_same(&got, ref_min(&r));
            ref_pop(&r);
        }
        EXPECT(fl_evq_valid(q));
        ref_free(&r);
        fl_evq_free(q);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("evq");
    TCase *tc = tcase_create("evq");
    tcase_set_timeout(tc, 240);
    tcase_add_loop_test(tc, matches_sorted_reference, 0, NREGIMES);
    tcase_add_test(tc, equal_times_pop_in_scheduling_order);
    tcase_add_test(tc, stale_handles);
    tcase_add_test(tc, grows_across_resize_boundaries);
    tcase_add_test(tc, pushes_at_the_last_popped_time);
    tcase_add_test(tc, pushes_into_every_region);
    tcase_add_test(tc, hold_model_stays_compact);
    tcase_add_test(tc, big_spread_keeps_order);
    tcase_add_test(tc, cancel_storm_is_swept);
    tcase_add_test(tc, allocation_failures_keep_order);
    tcase_add_test(tc, equal_times_across_bucket_boundaries);
    tcase_add_test(tc, cancel_in_far_buckets);
    tcase_add_test(tc, hold_model_grows_into_blocks);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
