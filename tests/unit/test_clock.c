/* Local clocks: drift measured over 10^6 s matches its ppm, timers armed on a drifting or
 * slewing clock fire at the exact least true time, steps move wall-clock deadlines, and
 * every conversion is the exact inverse of the reading. */
#include <stdio.h>
#include <stdlib.h>

#include <faultline/clock.h>
#include <faultline/rng.h>

#include "core/alloc.h"
#include "testutil.h"

#define PPM 1000 /* ppb */

START_TEST(true_clock_is_identity)
{
    fl_clock *c = fl_clock_new(0, 0);
    ck_assert(fl_clock_is_true(c));
    ck_assert_int_eq(fl_clock_mono(c, 123456789), 123456789);
    ck_assert_int_eq(fl_clock_wall(c, 5 * FL_SEC), 5 * FL_SEC);
    ck_assert_int_eq(fl_clock_mono_after(c, 7, FL_SEC), FL_SEC + 7);
    ck_assert_int_eq(fl_clock_wall_reaches(c, 0, 3 * FL_SEC), 3 * FL_SEC);
    ck_assert_int_eq(fl_clock_mono_after(c, FL_SEC, FL_TIME_MAX), FL_TIME_MAX);
    fl_clock_free(c);
}
END_TEST

START_TEST(drift_over_a_million_seconds)
{
    /* +100 ppm gains exactly 100 s in 10^6 s; -35 ppm loses 35 s. */
    fl_clock *fast = fl_clock_new(0, 100 * PPM);
    fl_clock *slow = fl_clock_new(0, -35 * PPM);
    fl_time T = 1000000 * FL_SEC;
    ck_assert_int_eq(fl_clock_mono(fast, T) - T, 100 * FL_SEC);
    ck_assert_int_eq(fl_clock_mono(slow, T) - T, -35 * FL_SEC);
    ck_assert(!fl_clock_is_true(fast));
    /* A local 10^6 s timer fires early on the fast clock, late on the slow one. */
    fl_time u = fl_clock_mono_after(fast, 0, T);
    ck_assert(fl_clock_mono(fast, u) >= T && fl_clock_mono(fast, u - 1) < T);
    double measured_ppm = ((double)T / (double)u - 1) * 1e6;
    ck_assert(measured_ppm > 99.999 && measured_ppm < 100.001);
    u = fl_clock_mono_after(slow, 0, T);
    ck_assert(fl_clock_mono(slow, u) >= T && fl_clock_mono(slow, u - 1) < T);
    ck_assert(u > T);
    fl_clock_free(fast);
    fl_clock_free(slow);
}
END_TEST

START_TEST(offset_and_steps_move_wall_only)
{
    fl_clock *c = fl_clock_new(-2 * FL_SEC, 0);
    ck_assert_int_eq(fl_clock_wall(c, 0), -2 * FL_SEC);
    ck_assert_int_eq(fl_clock_step(c, 10 * FL_SEC, 5 * FL_SEC), FL_OK);
    ck_assert_int_eq(fl_clock_step(c, 20 * FL_SEC, -1 * FL_SEC), FL_OK);
    ck_assert_int_eq(fl_clock_wall(c, 10 * FL_SEC - 1), 8 * FL_SEC - 1);
    ck_assert_int_eq(fl_clock_wall(c, 10 * FL_SEC), 13 * FL_SEC);
    ck_assert_int_eq(fl_clock_wall(c, 25 * FL_SEC), 27 * FL_SEC);
    ck_assert_int_eq(fl_clock_mono(c, 25 * FL_SEC), 25 * FL_SEC); /* steps never touch mono */
    /* A lease expiring at wall 12 s: reached at the step (true 10 s), not at true 14 s. */
    ck_assert_int_eq(fl_clock_wall_reaches(c, 0, 12 * FL_SEC), 10 * FL_SEC);
    /* Wall 7 s: reached before the step, at true 9 s. */
    ck_assert_int_eq(fl_clock_wall_reaches(c, 0, 7 * FL_SEC), 9 * FL_SEC);
    /* From 19 s the wall reads 22 s and would reach 23.5 s at 20.5 s, but the backward
     * step at 20 s sets it to 22 s again: it gets there at 21.5 s. */
    ck_assert_int_eq(fl_clock_wall_reaches(c, 19 * FL_SEC, 23500 * FL_MS), 21500 * FL_MS);
    /* A target already passed is reached now. */
    ck_assert_int_eq(fl_clock_wall_reaches(c, 30 * FL_SEC, 0), 30 * FL_SEC);
    fl_clock_free(c);
}
END_TEST

START_TEST(slew_gains_exactly_and_ends)
{
    fl_clock *c = fl_clock_new(0, 0);
    fl_time end = 0;
    /* Gain 50 ms at +500 ppm: takes 100 s. */
    ck_assert_int_eq(fl_clock_slew(c, 10 * FL_SEC, 50 * FL_MS, 500 * PPM, &end), FL_OK);
    ck_assert_int_eq(end, 110 * FL_SEC);
    ck_assert_int_eq(fl_clock_rate_ppb(c, 5 * FL_SEC), 0);
    ck_assert_int_eq(fl_clock_rate_ppb(c, 50 * FL_SEC), 500 * PPM);
    ck_assert_int_eq(fl_clock_rate_ppb(c, 110 * FL_SEC), 0);
    ck_assert_int_eq(fl_clock_mono(c, 10 * FL_SEC), 10 * FL_SEC);
    ck_assert_int_eq(fl_clock_mono(c, 110 * FL_SEC), 110 * FL_SEC + 50 * FL_MS);
    ck_assert_int_eq(fl_clock_mono(c, 200 * FL_SEC), 200 * FL_SEC + 50 * FL_MS);
    /* A slew backwards over the same window cancels the rate change. */
    ck_assert_int_eq(fl_clock_slew(c, 10 * FL_SEC, -50 * FL_MS, 500 * PPM, NULL), FL_OK);
    ck_assert_int_eq(fl_clock_mono(c, 200 * FL_SEC), 200 * FL_SEC);
    /* Bounds: a rate that would stop the clock is refused, and the clock is unchanged. */
    ck_assert_int_eq(fl_clock_slew(c, 0, FL_SEC, FL_CLOCK_MAX_PPB + 1, NULL), FL_INVALID);
    ck_assert_int_eq(fl_clock_slew(c, 0, FL_SEC, 0, NULL), FL_INVALID);
    ck_assert_int_eq(fl_clock_slew(c, 0, FL_SEC, FL_CLOCK_MAX_PPB, NULL), FL_OK);
    ck_assert_int_eq(fl_clock_slew(c, 0, FL_SEC, 1, NULL), FL_INVALID); /* over the bound */
    ck_assert_int_eq(fl_clock_mono(c, 0), 0);
    fl_clock_free(c);
    ck_assert_ptr_null(fl_clock_new(0, FL_CLOCK_MAX_PPB + 1));
}
END_TEST

/* Timers across segment edges: mono_after is the least true time whatever the schedule. */
START_TEST(timers_are_exact_inverses)
{
    fl_rng r;
    fl_rng_seed(&r, 42, "clock-test");
    for (int k = 0; k < 50; k++) {
        fl_clock *c = fl_clock_new((fl_time)(fl_rng_next(&r) % (20 * FL_SEC)) - 10 * FL_SEC,
                                   (int64_t)(fl_rng_next(&r) % (400 * PPM)) - 200 * PPM);
        for (int s = 0; s < 4; s++) {
            fl_time at = (fl_time)(fl_rng_next(&r) % (1000 * FL_SEC));
            fl_time by = (fl_time)(fl_rng_next(&r) % (2 * FL_SEC)) - FL_SEC;
            if (by != 0)
                ck_assert_int_eq(fl_clock_slew(c, at, by, 500 * PPM, NULL), FL_OK);
            ck_assert_int_eq(fl_clock_step(c, at, by), FL_OK);
        }
        for (int i = 0; i < 200; i++) {
            fl_time now = (fl_time)(fl_rng_next(&r) % (2000 * FL_SEC));
            fl_time d = (fl_time)(fl_rng_next(&r) % (100 * FL_SEC));
            fl_time u = fl_clock_mono_after(c, now, d);
            fl_time want = fl_clock_mono(c, now) + d;
            ck_assert(u >= now);
            ck_assert(fl_clock_mono(c, u) >= want);
            ck_assert(u == now || fl_clock_mono(c, u - 1) < want);
            /* mono never goes back */
            ck_assert(fl_clock_mono(c, now + FL_US) > fl_clock_mono(c, now) &&
                      fl_clock_mono(c, now + 1) >= fl_clock_mono(c, now));
            fl_time target = fl_clock_wall(c, now) + d - 5 * FL_SEC;
            fl_time v = fl_clock_wall_reaches(c, now, target);
            ck_assert(v >= now);
            ck_assert(fl_clock_wall(c, v) >= target);
            ck_assert(v == now || fl_clock_wall(c, v - 1) < target);
        }
        fl_clock_free(c);
    }
}
END_TEST

START_TEST(copy_is_independent)
{
    /* A member's clock starts as a copy of its node's: same readings, then its own faults. */
    fl_clock *c = fl_clock_new(3 * FL_SEC, 20000);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(fl_clock_step(c, 10 * FL_SEC, -2 * FL_SEC), FL_OK);
    fl_time end;
    ck_assert_int_eq(fl_clock_slew(c, 20 * FL_SEC, FL_SEC, 1000000, &end), FL_OK);
    fl_clock *d = fl_clock_copy(c);
    ck_assert_ptr_nonnull(d);
    for (fl_time t = 0; t < 2000 * FL_SEC; t += 7 * FL_SEC + 13) {
        ck_assert_int_eq(fl_clock_mono(c, t), fl_clock_mono(d, t));
        ck_assert_int_eq(fl_clock_wall(c, t), fl_clock_wall(d, t));
    }
    ck_assert_int_eq(fl_clock_step(d, 30 * FL_SEC, -5 * FL_SEC), FL_OK);
    ck_assert_int_eq(fl_clock_wall(d, 40 * FL_SEC), fl_clock_wall(c, 40 * FL_SEC) - 5 * FL_SEC);
    ck_assert_int_eq(fl_clock_slew(d, 50 * FL_SEC, -FL_SEC, 500000, &end), FL_OK);
    ck_assert_int_lt(fl_clock_mono(d, 100 * FL_SEC), fl_clock_mono(c, 100 * FL_SEC));
    ck_assert_int_eq(fl_clock_wall(c, 40 * FL_SEC) - fl_clock_mono(c, 40 * FL_SEC), FL_SEC);
    fl_clock_free(c);
    fl_clock_free(d);
}
END_TEST

START_TEST(allocation_failures)
{
    for (unsigned n = 1; n <= 2; n++) {
        fl_alloc_fail_after(n);
        fl_clock *c = fl_clock_new(0, 0);
        fl_alloc_fail_after(0);
        ck_assert_ptr_null(c);
    }
    fl_clock *c = fl_clock_new(0, 0);
    for (unsigned n = 1; n <= 3; n++) {
        fl_alloc_fail_after(n);
        fl_status st = fl_clock_slew(c, FL_SEC, FL_MS, 500 * PPM, NULL);
        fl_alloc_fail_after(0);
        ck_assert_int_eq(st, FL_NOMEM);
        ck_assert(fl_clock_is_true(c));
    }
    fl_alloc_fail_after(1);
    ck_assert_int_eq(fl_clock_step(c, FL_SEC, FL_SEC), FL_NOMEM);
    fl_alloc_fail_after(0);
    ck_assert(fl_clock_is_true(c));
    fl_clock_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("clock");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, true_clock_is_identity);
    tcase_add_test(tc, drift_over_a_million_seconds);
    tcase_add_test(tc, offset_and_steps_move_wall_only);
    tcase_add_test(tc, slew_gains_exactly_and_ends);
    tcase_add_test(tc, timers_are_exact_inverses);
    tcase_add_test(tc, copy_is_independent);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return fl_test_run(s);
}
