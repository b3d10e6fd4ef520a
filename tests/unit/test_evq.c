/* The event queue against a sorted reference: random schedule / pop / deferred pop /
 * cancel, FIFO ties, stale handles, growth. */
#include <stdlib.h>
#include <string.h>

#include <faultline/rng.h>

#include "core/evq.h"
#include "testutil.h"

/* Reference: an unsorted array; the least (at, seq) is found by a scan. */
typedef struct ref {
    fl_ev *v;
    size_t n;
} ref;

static size_t ref_min(const ref *r)
{
    size_t m = 0;
    for (size_t i = 1; i < r->n; i++)
        if (r->v[i].at < r->v[m].at || (r->v[i].at == r->v[m].at && r->v[i].seq < r->v[m].seq))
            m = i;
    return m;
}

START_TEST(matches_sorted_reference)
{
    fl_evq *q = fl_evq_new();
    ref r = {malloc(100000 * sizeof(fl_ev)), 0};
    uint32_t *tids = malloc(100000 * sizeof *tids), *gens = malloc(100000 * sizeof *gens);
    uint64_t *tseq = malloc(100000 * sizeof *tseq);
    size_t ntimers = 0;
    fl_rng rng;
    fl_rng_seed(&rng, 1, "evq");
    uint64_t seq = 0;
    fl_time now = 0;
    for (int op = 0; op < 100000; op++) {
        uint64_t c = fl_rng_below(&rng, 10);
        if (c < 5 || r.n == 0) { /* schedule; small time range so ties are common */
            fl_ev ev = {now + (fl_time)fl_rng_below(&rng, 50), seq++, op, 0, 0};
            if (c == 0) {
                uint32_t gen;
                ev.tid = fl_evq_timer_reserve(q, &gen);
                tids[ntimers] = ev.tid;
                gens[ntimers] = gen;
                tseq[ntimers++] = ev.seq;
            }
            ck_assert_int_eq(fl_evq_push(q, &ev), 0);
            r.v[r.n++] = ev;
        } else if (c < 8) { /* pop, alternating plain and deferred */
            fl_ev got;
            ck_assert(c == 5 ? fl_evq_pop_deferred(q, &got) : fl_evq_pop(q, &got));
            size_t m = ref_min(&r);
            ck_assert_uint_eq(got.seq, r.v[m].seq);
            ck_assert_int_eq(got.at, r.v[m].at);
            now = got.at;
            r.v[m] = r.v[--r.n];
        } else if (ntimers) { /* cancel a random timer (it may have fired already) */
            size_t k = fl_rng_below(&rng, ntimers);
            size_t pos = r.n;
            for (size_t i = 0; i < r.n; i++)
                if (r.v[i].seq == tseq[k])
                    pos = i;
            bool pending = pos < r.n;
            ck_assert_int_eq(fl_evq_timer_cancel(q, tids[k], gens[k]), pending);
            ck_assert(!fl_evq_timer_cancel(q, tids[k], gens[k])); /* twice: no */
            if (pending)
                r.v[pos] = r.v[--r.n];
            tids[k] = tids[ntimers - 1], gens[k] = gens[ntimers - 1], tseq[k] = tseq[--ntimers];
        }
        ck_assert_uint_eq(fl_evq_size(q), r.n);
        if (op % 1000 == 0) {
            fl_evq_peek(q); /* settles a deferred pop */
            ck_assert(fl_evq_valid(q));
        }
    }
    while (r.n) {
        fl_ev got;
        ck_assert(fl_evq_pop(q, &got));
        size_t m = ref_min(&r);
        ck_assert_uint_eq(got.seq, r.v[m].seq);
        r.v[m] = r.v[--r.n];
    }
    fl_ev none;
    ck_assert(!fl_evq_pop(q, &none));
    ck_assert_ptr_null(fl_evq_peek(q));
    free(r.v);
    free(tids);
    free(gens);
    free(tseq);
    fl_evq_free(q);
}
END_TEST

START_TEST(equal_times_pop_in_scheduling_order)
{
    fl_evq *q = fl_evq_new();
    for (uint64_t s = 0; s < 5000; s++) {
        fl_ev ev = {(fl_time)(s % 3) * 10, s, 0, 0, 0};
        fl_evq_push(q, &ev);
    }
    fl_time last_at = -1;
    uint64_t last_seq = 0;
    fl_ev got;
    while (fl_evq_pop(q, &got)) {
        if (got.at == last_at)
            ck_assert_uint_gt(got.seq, last_seq);
        else
            ck_assert_int_gt(got.at, last_at);
        last_at = got.at;
        last_seq = got.seq;
    }
    fl_evq_free(q);
}
END_TEST

START_TEST(stale_handles)
{
    fl_evq *q = fl_evq_new();
    uint32_t gen, gen2;
    uint32_t t = fl_evq_timer_reserve(q, &gen);
    fl_ev ev = {5, 0, 0, 0, t};
    fl_evq_push(q, &ev);
    fl_ev got;
    ck_assert(fl_evq_pop(q, &got));
    ck_assert(!fl_evq_timer_cancel(q, t, gen)); /* fired */
    uint32_t t2 = fl_evq_timer_reserve(q, &gen2);
    ck_assert_uint_eq(t2, t);            /* the entry is reused ... */
    ck_assert_uint_ne(gen2, gen);        /* ... under a new generation */
    ev = (fl_ev){6, 1, 0, 0, t2};
    fl_evq_push(q, &ev);
    ck_assert(!fl_evq_timer_cancel(q, t, gen)); /* the old handle cannot touch it */
    ck_assert(fl_evq_timer_cancel(q, t2, gen2));
    ck_assert_uint_eq(fl_evq_size(q), 0);
    ck_assert(!fl_evq_timer_cancel(q, 0, 0));
    ck_assert(!fl_evq_timer_cancel(q, 999, 0));
    fl_evq_free(q);
}
END_TEST

START_TEST(grows_and_stays_compact)
{
    fl_evq *q = fl_evq_new();
    fl_rng rng;
    fl_rng_seed(&rng, 4, "grow");
    for (uint64_t s = 0; s < 300000; s++) {
        fl_ev ev = {(fl_time)fl_rng_below(&rng, 1000000), s, s, 1, 0};
        ck_assert_int_eq(fl_evq_push(q, &ev), 0);
    }
    ck_assert(fl_evq_valid(q));
    /* 32-byte records in a doubling array: at most 64 bytes per pending event */
    ck_assert_uint_le(fl_evq_bytes(q), 64 * 300000 + 4096);
    fl_ev got, prev = {0, 0, 0, 0, 0};
    for (int i = 0; i < 300000; i++) {
        ck_assert(fl_evq_pop(q, &got));
        ck_assert(got.at > prev.at || (got.at == prev.at && got.seq > prev.seq) || i == 0);
        prev = got;
    }
    fl_evq_free(q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("evq");
    TCase *tc = tcase_create("evq");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, matches_sorted_reference);
    tcase_add_test(tc, equal_times_pop_in_scheduling_order);
    tcase_add_test(tc, stale_handles);
    tcase_add_test(tc, grows_and_stays_compact);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
