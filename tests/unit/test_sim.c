/* The engine: dispatch, clock, ties, limits, timers, hash. */
#include <faultline/sim.h>

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
    ck_assert_int_eq(fl_sim_at(sim, 19, h, 0), FL_INVALID); /* the past */
    ck_assert_int_eq(fl_sim_after(sim, -1, h, 0), FL_INVALID);
    ck_assert_int_eq(fl_sim_at(sim, 30, 99, 0), FL_INVALID); /* no such handler */
    ck_assert_int_eq(fl_sim_run(sim, FL_TIME_MAX), FL_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(fl_sim_now(sim), 50);
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

static uint64_t run_hash(fl_time shift)
{
    fl_sim *sim = fl_sim_new(1);
    log_t l = {0};
    int h = fl_sim_handler(sim, record, &l);
    for (int i = 0; i < 100; i++)
        fl_sim_at(sim, i * 10 + (i == 50 ? shift : 0), h, (uint64_t)i);
    fl_sim_run(sim, FL_TIME_MAX);
    uint64_t hash = fl_sim_hash(sim);
    fl_sim_free(sim);
    return hash;
}

START_TEST(hash_tells_runs_apart)
{
    ck_assert_uint_eq(run_hash(0), run_hash(0));
    ck_assert_uint_ne(run_hash(0), run_hash(1));
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

int main(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("sim");
    tcase_add_test(tc, dispatch_in_time_then_scheduling_order);
    tcase_add_test(tc, run_until_stops_the_clock_there);
    tcase_add_test(tc, limits_and_stop);
    tcase_add_test(tc, cancelled_timers_never_fire);
    tcase_add_test(tc, hash_tells_runs_apart);
    tcase_add_test(tc, progress_callback);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
