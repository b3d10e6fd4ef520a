/* The node a piece of code runs on, as that code sees it: its local clock and whether the
 * node is stopped (a stop-the-world pause). Owned by the node's component; stations and
 * callers on the node keep a pointer to it. */
#ifndef FL_NODE_HOST_H
#define FL_NODE_HOST_H

#include <faultline/clock.h>
#include <faultline/time.h>

/* Where code runs: a node's local clock and its stop-the-world state. The timeouts, waits
 * and breaker timers of a caller on a node run on the node's monotonic clock, and its
 * timers and replies are held while the node is paused (they all fire when it resumes). */
typedef struct fl_host {
    fl_clock *clock;      /* NULL: the node reads true time */
    fl_time paused_until; /* 0 when never paused */
} fl_host;

/* The true time at which a local duration d (>= 0) started at `now` has elapsed. */
static inline fl_time fl_host_after(const fl_host *h, fl_time now, fl_time d)
{
    if (h->clock)
        return fl_clock_mono_after(h->clock, now, d);
    return d > FL_TIME_MAX - now ? FL_TIME_MAX : now + d;
}

#endif
