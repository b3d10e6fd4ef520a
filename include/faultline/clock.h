/* A node's local clock: what the node believes the time is, as a function of true time.
 *
 * Two readings, as on a real machine:
 *   mono(t)  the monotonic clock: runs at rate 1 + drift (parts per billion internally,
 *            written in ppm in scenarios), sped up or slowed down while a slew is under
 *            way; never jumps. mono(0) = 0. Timeouts and backoff waits run on it.
 *   wall(t)  the wall clock: mono(t) + offset + every step taken by time t. Leases and TTLs
 *            compared against timestamps run on it, so a step moves their expiry.
 *
 * The whole schedule (drift, slews, steps) is known before the run starts: scenarios state
 * clock faults on the timeline. So the clock is a fixed piecewise-linear function, and a
 * timer armed for a local duration converts to one exact true time when it is armed.
 *
 * Arithmetic is integer only (nanoseconds, ppb), so results are the same on every
 * platform. Invariants: breakpoints are sorted by true time; mono is continuous and never
 * decreases (a slow clock may read the same nanosecond twice); fl_clock_mono_after(t, d)
 * is the least true time u with mono(u) >= mono(t) + d. */
#ifndef FAULTLINE_CLOCK_H
#define FAULTLINE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include <faultline/status.h>
#include <faultline/time.h>

/* Rates are bounded so that a clock always moves forward: |drift + slews| <= 10%. */
#define FL_CLOCK_MAX_PPB 100000000

typedef struct fl_clock fl_clock;

/* A clock with a fixed offset (wall - true at time 0) and drift (ppb: 1000 = 1 ppm).
 * NULL on allocation failure. */
fl_clock *fl_clock_new(fl_time offset, int64_t drift_ppb);
void fl_clock_free(fl_clock *c);
/* An independent copy of c, its whole schedule included (a member's clock starts as its
 * node's). NULL on allocation failure. */
fl_clock *fl_clock_copy(const fl_clock *c);

/* Schedules a step: at true time `at` the wall clock jumps by `by` (either sign). */
fl_status fl_clock_step(fl_clock *c, fl_time at, fl_time by);
/* Schedules a slew: from true time `at`, the clock runs faster (by > 0) or slower by
 * rate_ppb until it has gained (or lost) |by| of local time; returns when it ends in *end.
 * FL_INVALID when rate_ppb <= 0 or the combined rate would leave the bound. */
fl_status fl_clock_slew(fl_clock *c, fl_time at, fl_time by, int64_t rate_ppb, fl_time *end);

/* True when the clock reads true time exactly (no offset, drift, steps or slews). */
bool fl_clock_is_true(const fl_clock *c);
/* Readings at true time t (t >= 0). */
fl_time fl_clock_mono(const fl_clock *c, fl_time t);
fl_time fl_clock_wall(const fl_clock *c, fl_time t);
/* The least true time u >= now with mono(u) >= mono(now) + d (d >= 0): when a timer for a
 * local duration d, armed at now, fires. Saturates at FL_TIME_MAX. */
fl_time fl_clock_mono_after(const fl_clock *c, fl_time now, fl_time d);
/* The least true time u >= now with wall(u) >= target: when a wall-clock deadline (a lease
 * expiry, a TTL) is reached. Saturates at FL_TIME_MAX. */
fl_time fl_clock_wall_reaches(const fl_clock *c, fl_time now, fl_time target);
/* The drift in ppb at true time t (drift plus any slew under way). */
int64_t fl_clock_rate_ppb(const fl_clock *c, fl_time t);

#endif
