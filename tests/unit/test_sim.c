/* The engine: dispatch, clock, ties, limits, timers, hash, pending counts; small cases with
 * exact expectations, then the same properties at scale. */
#include <math.h>

#include <faultline/rng.h>
#include <faultline/sim.h>

#include "core/alloc.h"
#include "testutil.h"

typedef struct log {
    fl_time at[64];
    uint64_t arg[64];
    int n;
    int h;
    fl_timer timer;
} log_t;

static void record(fl_sim *sim, void *ctx, uint64_t arg)
{
    log_t *l = ctx;
    if (l->n < 64) {
        l->at[l->n] = fl_sim_now(sim);
        l->arg[l->n] = arg;
    }
    l->n++;
}

START_TEST(dispatch_in_time_then_scheduling_order)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    int h = fl_sim_handler(sim, record, &l);
    fl_sim_at(sim, 30, h, 3);
    fl_sim_at(sim, 10, h, 1);
    fl_sim_at(sim, 20, h, 2);
    fl_sim_at(sim, 10, h, 11); /* same time as arg 1, scheduled later: fires after it */
    ck_assert_uint_eq(fl_sim_pending(sim), 4);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK);
    ck_assert_int_eq(l.n, 4);
    uint64_t want[] = {1, 11, 2, 3};
    fl_time when[] = {10, 10, 20, 30};
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(l.arg[i], want[i]);
        ck_assert_int_eq(l.at[i], when[i]);
    }
    ck_assert_uint_eq(fl_sim_events(sim), 4);
    ck_assert_uint_eq(fl_sim_pending_max(sim), 4);
    fl_sim_free(sim);
}
END_TEST

START_TEST(run_until_stops_the_clock_there)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    int h = fl_sim_handler(sim, record, &l);
    fl_sim_at(sim, 5, h, 0);
    fl_sim_at(sim, 50, h, 0);
    ck_assert_int_eq(fl_sim_run(sim, 20), FL_OK);
    ck_assert_int_eq(l.n, 1);
    ck_assert_int_eq(fl_sim_now(sim), 20);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(fl_sim_now(sim), 50);
    fl_sim_free(sim);
}
END_TEST

/* A scheduling call that fails (the past, no such handler, a timer in the past) is a
 * model bug: it fails the simulation, which then never runs on, whether or not the
 * caller looked at the status. The first failure is the one reported. */
START_TEST(a_failed_schedule_fails_the_run)
{
    for (int k = 0; k < 4; k++) {
        fl_sim *sim = fl_sim_new(1);
        log_t l = {0};
        int h = fl_sim_handler(sim, record, &l);
        fl_sim_at(sim, 5, h, 0);
        fl_sim_at(sim, 50, h, 0);
        ck_assert_int_eq(fl_sim_run(sim, 20), FL_OK);
        ck_assert_int_eq(fl_sim_failed(sim), FL_OK);
        fl_timer t;
        fl_status st = k == 0   ? fl_sim_at(sim, 19, h, 0)
                       : k == 1 ? fl_sim_after(sim, -1, h, 0)
                       : k == 2 ? fl_sim_at(sim, 30, 99, 0)
                                : fl_sim_timer_at(sim, 19, h, 0, &t);
        ck_assert_int_eq(st, FL_INVALID);
        ck_assert_uint_eq(fl_sim_pending(sim), 1); /* not counted */
        ck_assert_int_eq(fl_sim_failed(sim), FL_INVALID);
        fl_sim_fail(sim, FL_NOMEM); /* sticky: the first failure stays */
        ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_INVALID);
        ck_assert_int_eq(l.n, 1); /* the event at 50 never ran */
        fl_sim_free(sim);
    }
}
END_TEST

static void fail_at_second(fl_sim *sim, void *ctx, uint64_t arg)
{
    log_t *l = ctx;
    (void)arg;
    if (++l->n == 2)
        fl_sim_fail(sim, FL_NOMEM); /* what a model does when it cannot allocate */
}

/* A failure recorded inside a handler stops the run after that event, with its status:
 * not FL_INTERRUPTED, and not FL_OK with the rest of the events still to come. */
START_TEST(a_failure_inside_a_handler_stops_the_run)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    int h = fl_sim_handler(sim, fail_at_second, &l);
    for (int i = 0; i < 5; i++)
        fl_sim_at(sim, 10 * (i + 1), h, 0);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_NOMEM);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(fl_sim_now(sim), 20);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_NOMEM);
    ck_assert_int_eq(l.n, 2);
    fl_sim_free(sim);
}
END_TEST

static void fail_sim(void *sim) { fl_sim_fail(sim, FL_NOMEM); }

static void alloc_in_handler(fl_sim *sim, void *ctx, uint64_t arg)
{
    log_t *l = ctx;
    (void)sim;
    l->n++;
    if (arg) { /* a model that swallows the NULL, as some did */
        fl_alloc_fail_after(1);
        void *p = fl_malloc(64);
        fl_alloc_fail_after(0);
        ck_assert_ptr_null(p);
    }
}

/* The allocation-failure hook a run installs: an allocation refused inside a handler,
 * even one whose caller goes on, fails the simulation at the end of that event. */
START_TEST(a_refused_allocation_fails_the_run)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    int h = fl_sim_handler(sim, alloc_in_handler, &l);
    fl_sim_at(sim, 10, h, 0);
    fl_sim_at(sim, 20, h, 1);
    fl_sim_at(sim, 30, h, 0);
    long before = fl_alloc_failures();
    fl_alloc_on_failure(fail_sim, sim);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_NOMEM);
    fl_alloc_on_failure(NULL, NULL);
    ck_assert_int_eq(l.n, 2); /* the event at 30 never ran */
    ck_assert_int_eq(fl_alloc_failures(), before + 1);
    fl_sim_free(sim);
}
END_TEST

static void chain(fl_sim *sim, void *ctx, uint64_t arg)
{
    log_t *l = ctx;
    l->n++;
    fl_sim_after(sim, 1, l->h, arg + 1);
}

static void stopper(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)ctx;
    if (arg == 7)
        fl_sim_stop(sim);
}

START_TEST(limits_and_stop)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    l.h = fl_sim_handler(sim, chain, &l);
    fl_sim_at(sim, 0, l.h, 0);
    fl_sim_set_event_limit(sim, 100);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_LIMIT);
    ck_assert_uint_eq(fl_sim_events(sim), 100);
    ck_assert_int_eq(l.n, 100);
    fl_sim_free(sim);

    sim = fl_sim_new(1);
    int h = fl_sim_handler(sim, stopper, NULL);
    for (uint64_t i = 0; i < 10; i++)
        fl_sim_at(sim, (fl_time)i, h, i);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_INTERRUPTED);
    ck_assert_uint_eq(fl_sim_events(sim), 8);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK); /* resumes */
    ck_assert_uint_eq(fl_sim_events(sim), 10);
    fl_sim_free(sim);
}
END_TEST

static void cancel_other(fl_sim *sim, void *ctx, uint64_t arg)
{
    log_t *l = ctx;
    (void)arg;
    ck_assert(fl_sim_timer_cancel(sim, l->timer));
    ck_assert(!fl_sim_timer_cancel(sim, l->timer));
}

START_TEST(cancelled_timers_never_fire)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    int h = fl_sim_handler(sim, record, &l);
    int hc = fl_sim_handler(sim, cancel_other, &l);
    fl_timer t1, t2;
    ck_assert_int_eq(fl_sim_timer_at(sim, 100, h, 1, &t1), FL_OK);
    ck_assert_int_eq(fl_sim_timer_at(sim, 200, h, 2, &t2), FL_OK);
    ck_assert(t1 != FL_TIMER_NONE && t1 != t2);
    l.timer = t2;
    fl_sim_at(sim, 150, hc, 0); /* cancels t2 from inside a handler */
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK);
    ck_assert_int_eq(l.n, 1);
    ck_assert_uint_eq(l.arg[0], 1);
    ck_assert(!fl_sim_timer_cancel(sim, t1)); /* fired */
    ck_assert(!fl_sim_timer_cancel(sim, FL_TIMER_NONE));
    fl_timer t3;
    ck_assert_int_eq(fl_sim_timer_at(sim, 10, h, 0, &t3), FL_INVALID); /* the past */
    ck_assert(t3 == FL_TIMER_NONE);
    fl_sim_free(sim);
}
END_TEST

/* A handler that mixes a word into the hash, as a model does with a request's outcome. */
static void mixer(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)ctx;
    fl_sim_hash_mix(sim, arg * 3 + 1);
}

/* 100 events 10 ns apart; event 50 moved by `shift`, its payload changed by `arg50`, and
 * the word event 70 mixes in changed by `mix70`. */
static uint64_t run_hash(fl_time shift, uint64_t arg50, uint64_t mix70)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    int h = fl_sim_handler(sim, record, &l);
    int hm = fl_sim_handler(sim, mixer, NULL);
    for (int i = 0; i < 100; i++) {
        if (i == 70)
            fl_sim_at(sim, i * 10, hm, 70 + mix70);
        else
            fl_sim_at(sim, i * 10 + (i == 50 ? shift : 0), h, (uint64_t)i + (i == 50 ? arg50 : 0));
    }
    fl_sim_run(sim, FL_TIME_MAX);
    uint64_t hash = fl_sim_hash(sim);
    fl_sim_free(sim);
    return hash;
}

START_TEST(hash_tells_runs_apart)
{
    uint64_t base = run_hash(0, 0, 0);
    ck_assert_uint_eq(base, run_hash(0, 0, 0));
    ck_assert_uint_ne(base, run_hash(1, 0, 0));  /* one event later */
    ck_assert_uint_ne(base, run_hash(0, 1, 0));  /* one payload differs */
    ck_assert_uint_ne(base, run_hash(0, 0, 1));  /* one mixed-in outcome differs */
    /* Any single differing word changes the hash (the step is a bijection of the word and
     * of the state), including words that differ only in their highest bit. */
    ck_assert_uint_ne(base, run_hash(0, 1ULL << 63, 0));
    ck_assert_uint_ne(base, run_hash(0, 0, 1ULL << 62));
    ck_assert_uint_ne(run_hash(0, 1, 0), run_hash(0, 0, 1));
}
END_TEST

static int progress_calls;
static int progress(void *ctx, fl_time now)
{
    (void)ctx;
    (void)now;
    return ++progress_calls == 3; /* stop on the third call */
}

START_TEST(progress_callback)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    l.h = fl_sim_handler(sim, chain, &l);
    fl_sim_at(sim, 0, l.h, 0);
    fl_sim_set_progress(sim, 10, progress, NULL);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_INTERRUPTED);
    ck_assert_int_eq(progress_calls, 3);
    ck_assert_uint_eq(fl_sim_events(sim), 30);
    fl_sim_free(sim);
}
END_TEST

/* ---- at scale: order, ties, timers, counts ---- */

typedef struct walk {
    fl_rng rng;
    int h;
    fl_time last;
    uint64_t fired, bad_time, backwards;
} walk;

/* arg is the time the event was scheduled for */
static void wander(fl_sim *sim, void *ctx, uint64_t arg)
{
    walk *w = ctx;
    fl_time now = fl_sim_now(sim);
    w->bad_time += (uint64_t)now != arg;
    w->backwards += now < w->last;
    w->last = now;
    w->fired++;
    if (w->fired > 200000)
        return;
    int k = (int)fl_rng_below(&w->rng, 3); /* 0, 1 or 2 children: the queue breathes */
    for (int i = 0; i < k; i++) {
        uint64_t c = fl_rng_below(&w->rng, 4);
        fl_time d = c == 0 ? 0 : c == 1 ? (fl_time)fl_rng_below(&w->rng, 1000)
                                        : (fl_time)(-log(fl_rng_uniform_pos(&w->rng)) * 1e9);
        ck_assert_int_eq(fl_sim_after(sim, d, w->h, (uint64_t)(now + d)), FL_OK);
    }
}

START_TEST(time_never_decreases)
{
    fl_sim *sim = fl_sim_new(1);
    walk w = {0};
    fl_rng_seed(&w.rng, 2, "sim/walk");
    w.h = fl_sim_handler(sim, wander, &w);
    for (int i = 0; i < 5000; i++) {
        fl_time at = (fl_time)fl_rng_below(&w.rng, FL_SEC);
        fl_sim_at(sim, at, w.h, (uint64_t)at);
    }
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK);
    ck_assert_uint_eq(w.backwards, 0);
    ck_assert_uint_eq(w.bad_time, 0); /* each event fired at the time it was scheduled for */
    ck_assert_uint_eq(fl_sim_events(sim), w.fired);
    ck_assert_uint_eq(fl_sim_pending(sim), 0);
    fl_sim_free(sim);
}
END_TEST

typedef struct fifo {
    int h;
    uint64_t next, wrong;
} fifo;

/* Events 0..9999 are scheduled up front at t = 5; each of the first 5000 schedules
 * 10000 + arg at the same instant: the second wave fires after the whole first one. */
static void in_order(fl_sim *sim, void *ctx, uint64_t arg)
{
    fifo *f = ctx;
    f->wrong += arg != f->next++;
    if (arg < 5000)
        fl_sim_after(sim, 0, f->h, 10000 + arg);
}

START_TEST(ties_fire_in_scheduling_order_at_scale)
{
    fl_sim *sim = fl_sim_new(1);
    fifo f = {0};
    f.h = fl_sim_handler(sim, in_order, &f);
    for (uint64_t i = 0; i < 10000; i++)
        fl_sim_at(sim, 5, f.h, i);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK);
    ck_assert_uint_eq(f.next, 15000);
    ck_assert_uint_eq(f.wrong, 0);
    ck_assert_int_eq(fl_sim_now(sim), 5);
    fl_sim_free(sim);
}
END_TEST

typedef struct timers {
    fl_timer t[20000];
    fl_time when[20000];
    bool cancelled[20000];
    uint64_t fired_cancelled, fired_late, fired, h_cancel;
    fl_rng rng;
} timers;

static void timer_fired(fl_sim *sim, void *ctx, uint64_t arg)
{
    timers *ts = ctx;
    ts->fired++;
    ts->fired_cancelled += ts->cancelled[arg];
    ts->fired_late += fl_sim_now(sim) != ts->when[arg];
    ts->t[arg] = FL_TIMER_NONE;
}

/* Cancels a random third of the timers still pending, from inside the run. */
static void canceller(fl_sim *sim, void *ctx, uint64_t arg)
{
    timers *ts = ctx;
    (void)arg;
    for (int i = 0; i < 20000; i++)
        if (ts->t[i] != FL_TIMER_NONE && !ts->cancelled[i] && fl_rng_below(&ts->rng, 3) == 0) {
            ck_assert(fl_sim_timer_cancel(sim, ts->t[i]));
            ck_assert(!fl_sim_timer_cancel(sim, ts->t[i]));
            ts->cancelled[i] = true;
        }
}

START_TEST(cancelled_timers_never_fire_at_scale)
{
    fl_sim *sim = fl_sim_new(1);
    timers *ts = calloc(1, sizeof *ts);
    fl_rng_seed(&ts->rng, 3, "sim/timers");
    int h = fl_sim_handler(sim, timer_fired, ts);
    int hc = fl_sim_handler(sim, canceller, ts);
    for (int i = 0; i < 20000; i++) {
        ts->when[i] = (fl_time)fl_rng_below(&ts->rng, 10 * FL_SEC);
        ck_assert_int_eq(fl_sim_timer_at(sim, ts->when[i], h, (uint64_t)i, &ts->t[i]), FL_OK);
    }
    for (int k = 0; k < 5; k++)
        fl_sim_at(sim, k * 2 * FL_SEC, hc, 0);
    uint64_t cancelled_before_run = 0;
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK);
    for (int i = 0; i < 20000; i++)
        cancelled_before_run += ts->cancelled[i];
    ck_assert_uint_gt(cancelled_before_run, 5000);
    ck_assert_uint_eq(ts->fired_cancelled, 0);
    ck_assert_uint_eq(ts->fired_late, 0);
    ck_assert_uint_eq(ts->fired + cancelled_before_run, 20000);
    ck_assert_uint_eq(fl_sim_events(sim), ts->fired + 5);
    free(ts);
    fl_sim_free(sim);
}
END_TEST

static void spawn_three(fl_sim *sim, void *ctx, uint64_t arg)
{
    log_t *l = ctx;
    l->n++;
    if (arg == 0)
        for (int i = 0; i < 3; i++)
            fl_sim_after(sim, 100, l->h, 1);
}

START_TEST(pending_counts)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    l.h = fl_sim_handler(sim, spawn_three, &l);
    ck_assert_uint_eq(fl_sim_pending(sim), 0);
    ck_assert_uint_eq(fl_sim_pending_max(sim), 0);
    fl_timer t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(fl_sim_timer_at(sim, 50 + i, l.h, 7, &t[i]), FL_OK);
    fl_sim_at(sim, 10, l.h, 0);
    ck_assert_uint_eq(fl_sim_pending(sim), 5);
    ck_assert(fl_sim_timer_cancel(sim, t[1]));
    ck_assert(!fl_sim_timer_cancel(sim, t[1]));
    ck_assert_uint_eq(fl_sim_pending(sim), 4);
    ck_assert_uint_eq(fl_sim_pending_max(sim), 5);
    /* t = 10 fires and schedules three at 110: 3 timers + 3 pending, max 6 */
    ck_assert_int_eq(fl_sim_run(sim, 20), FL_OK);
    ck_assert_uint_eq(fl_sim_pending(sim), 6);
    ck_assert_uint_eq(fl_sim_pending_max(sim), 6);
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK);
    ck_assert_uint_eq(fl_sim_pending(sim), 0);
    ck_assert_uint_eq(fl_sim_pending_max(sim), 6);
    ck_assert_int_eq(l.n, 1 + 3 + 3);
    ck_assert(!fl_sim_timer_cancel(sim, t[0])); /* fired */
    ck_assert_uint_eq(fl_sim_pending(sim), 0);
    fl_sim_free(sim);
}
END_TEST

START_TEST(limit_then_until)
{
    /* an event limit reached with nothing left before `until` is not FL_LIMIT: the run
     * is complete, and the clock moves to until */
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    int h = fl_sim_handler(sim, record, &l);
    fl_sim_at(sim, 5, h, 0);
    fl_sim_at(sim, 50, h, 0);
    fl_sim_set_event_limit(sim, 1);
    ck_assert_int_eq(fl_sim_run(sim, 20), FL_OK);
    ck_assert_int_eq(fl_sim_now(sim), 20);
    ck_assert_int_eq(fl_sim_run(sim, 60), FL_LIMIT); /* 50 is due, the limit says no */
    ck_assert_int_eq(fl_sim_now(sim), 20);
    ck_assert_int_eq(l.n, 1);
    fl_sim_free(sim);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("sim");
    tcase_add_test(tc, dispatch_in_time_then_scheduling_order);
    tcase_add_test(tc, run_until_stops_the_clock_there);
    tcase_add_test(tc, a_failed_schedule_fails_the_run);
    tcase_add_test(tc, a_failure_inside_a_handler_stops_the_run);
    tcase_add_test(tc, a_refused_allocation_fails_the_run);
    tcase_add_test(tc, limits_and_stop);
    tcase_add_test(tc, cancelled_timers_never_fire);
    tcase_add_test(tc, hash_tells_runs_apart);
    tcase_add_test(tc, progress_callback);
    tcase_add_test(tc, time_never_decreases);
    tcase_add_test(tc, ties_fire_in_scheduling_order_at_scale);
    tcase_add_test(tc, cancelled_timers_never_fire_at_scale);
    tcase_add_test(tc, pending_counts);
    tcase_add_test(tc, limit_then_until);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
