/* Local clocks: see include/faultline/clock.h.
 *
 * Representation: rate changes (drift at 0, each slew's start and end) are folded into
 * segments {t, mono at t, ppb} sorted by t, rebuilt whenever a slew is added (only while a
 * scenario is loaded, never during a run). Steps are kept sorted with their running sum.
 * Readings binary-search the segment; a clock with a single segment and no step (the usual
 * case) is one multiply-add, and a true clock is the identity. */
#include <faultline/clock.h>

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#define BILLION 1000000000LL

typedef struct seg {
    fl_time t;    /* true time the segment starts */
    fl_time mono; /* mono reading at t */
    int64_t ppb;  /* rate - 1, in parts per billion */
} seg;

typedef struct change {
    fl_time t;
    int64_t dppb;
} change;

typedef struct step {
    fl_time t;
    fl_time by;
    fl_time sum; /* sum of the steps up to and including this one */
} step;

struct fl_clock {
    fl_time offset;
    int64_t drift;
    seg *segs;
    size_t nsegs;
    change *chg; /* every slew's two rate changes, in the order added */
    size_t nchg;
    step *steps;
    size_t nsteps;
};

/* d + d * ppb / 10^9 for d >= 0, in integer arithmetic that cannot overflow for
 * |ppb| <= FL_CLOCK_MAX_PPB and d < 2^63 / 1.1 (beyond that it saturates). */
static fl_time scale(fl_time d, int64_t ppb)
{
    int64_t q = d / BILLION, r = d % BILLION;
    int64_t extra = q * ppb + r * ppb / BILLION;
    if (extra > 0 && d > FL_TIME_MAX - extra)
        return FL_TIME_MAX;
    return d + extra;
}

/* An approximation of the least d >= 0 with scale(d, ppb) >= m (m >= 0); exact up to a
 * nanosecond or two, which callers correct by evaluating. */
static fl_time unscale(fl_time m, int64_t ppb)
{
    int64_t rate = BILLION + ppb; /* > 0 */
    int64_t q = m / rate, r = m % rate;
    if (q > (FL_TIME_MAX - BILLION) / BILLION)
        return FL_TIME_MAX;
    return q * BILLION + r * BILLION / rate;
}

fl_clock *fl_clock_new(fl_time offset, int64_t drift_ppb)
{
    if (drift_ppb > FL_CLOCK_MAX_PPB || drift_ppb < -FL_CLOCK_MAX_PPB)
        return NULL;
    fl_clock *c = fl_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->segs = fl_malloc(sizeof *c->segs);
    if (!c->segs) {
        fl_free(c);
        return NULL;
    }
    c->offset = offset;
    c->drift = drift_ppb;
    c->segs[0] = (seg){0, 0, drift_ppb};
    c->nsegs = 1;
    return c;
}

fl_clock *fl_clock_copy(const fl_clock *c)
{
    fl_clock *d = fl_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    *d = *c;
    d->segs = fl_malloc(c->nsegs * sizeof *d->segs);
    d->chg = c->nchg ? fl_malloc(c->nchg * sizeof *d->chg) : NULL;
    d->steps = c->nsteps ? fl_malloc(c->nsteps * sizeof *d->steps) : NULL;
    if (!d->segs || (c->nchg && !d->chg) || (c->nsteps && !d->steps)) {
        fl_clock_free(d);
        return NULL;
    }
    memcpy(d->segs, c->segs, c->nsegs * sizeof *d->segs);
    if (c->nchg)
        memcpy(d->chg, c->chg, c->nchg * sizeof *d->chg);
    if (c->nsteps)
        memcpy(d->steps, c->steps, c->nsteps * sizeof *d->steps);
    return d;
}

void fl_clock_free(fl_clock *c)
{
    if (!c)
        return;
    fl_free(c->segs);
    fl_free(c->chg);
    fl_free(c->steps);
    fl_free(c);
}

static int cmp_change(const void *a, const void *b)
{
    const change *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* Folds c->chg into segments. FL_INVALID (segments unchanged) when a rate leaves the
 * bound; FL_NOMEM when memory runs out. */
static fl_status rebuild(fl_clock *c)
{
    change *sorted = fl_malloc(c->nchg * sizeof *sorted);
    seg *s = fl_malloc((c->nchg + 1) * sizeof *s);
    if (!sorted || !s) {
        fl_free(sorted);
        fl_free(s);
        return FL_NOMEM;
    }
    memcpy(sorted, c->chg, c->nchg * sizeof *sorted);
    qsort(sorted, c->nchg, sizeof *sorted, cmp_change); /* ties: sums commute */
    size_t n = 1;
    s[0] = (seg){0, 0, c->drift};
    for (size_t i = 0; i < c->nchg; i++) {
        seg *last = &s[n - 1];
        if (sorted[i].t != last->t) {
            fl_time m = scale(sorted[i].t - last->t, last->ppb);
            s[n++] = (seg){sorted[i].t, m > FL_TIME_MAX - last->mono ? FL_TIME_MAX : last->mono + m,
                           last->ppb};
            last = &s[n - 1];
        }
        last->ppb += sorted[i].dppb;
        /* Changes at one instant apply together: only the rate after all of them counts. */
        bool edge = i + 1 == c->nchg || sorted[i + 1].t != sorted[i].t;
        if (edge && (last->ppb > FL_CLOCK_MAX_PPB || last->ppb < -FL_CLOCK_MAX_PPB)) {
            fl_free(sorted);
            fl_free(s);
            return FL_INVALID;
        }
    }
    fl_free(sorted);
    fl_free(c->segs);
    c->segs = s;
    c->nsegs = n;
    return FL_OK;
}

fl_status fl_clock_slew(fl_clock *c, fl_time at, fl_time by, int64_t rate_ppb, fl_time *end)
{
    if (at < 0 || rate_ppb <= 0 || rate_ppb > FL_CLOCK_MAX_PPB || by == 0 || by == INT64_MIN)
        return FL_INVALID;
    fl_time gain = by < 0 ? -by : by;
    /* Gaining `gain` of local time at an extra rate_ppb takes ceil(gain * 10^9 / rate_ppb),
     * computed in two parts so that nothing overflows (rate_ppb < 10^9). */
    int64_t q = gain / rate_ppb, r = gain % rate_ppb;
    fl_time dur = q > (FL_TIME_MAX - BILLION) / BILLION
                      ? FL_TIME_MAX
                      : q * BILLION + (r * BILLION + rate_ppb - 1) / rate_ppb;
    fl_time stop = at > FL_TIME_MAX - dur ? FL_TIME_MAX : at + dur;
    change *g = fl_realloc(c->chg, (c->nchg + 2) * sizeof *g);
    if (!g)
        return FL_NOMEM;
    c->chg = g;
    int64_t sign = by < 0 ? -1 : 1;
    c->chg[c->nchg++] = (change){at, sign * rate_ppb};
    c->chg[c->nchg++] = (change){stop, -sign * rate_ppb};
    fl_status st = rebuild(c);
    if (st != FL_OK) {
        c->nchg -= 2;
        return st;
    }
    if (end)
        *end = stop;
    return FL_OK;
}

fl_status fl_clock_step(fl_clock *c, fl_time at, fl_time by)
{
    if (at < 0)
        return FL_INVALID;
    step *s = fl_realloc(c->steps, (c->nsteps + 1) * sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->steps = s;
    size_t i = c->nsteps++;
    while (i > 0 && s[i - 1].t > at) { /* stable: equal times keep the order given */
        s[i] = s[i - 1];
        i--;
    }
    s[i] = (step){at, by, 0};
    fl_time sum = 0;
    for (size_t k = 0; k < c->nsteps; k++)
        s[k].sum = sum += s[k].by;
    return FL_OK;
}

bool fl_clock_is_true(const fl_clock *c)
{
    return c->offset == 0 && c->nsegs == 1 && c->segs[0].ppb == 0 && c->nsteps == 0;
}

/* The segment holding true time t. */
static const seg *seg_at(const fl_clock *c, fl_time t)
{
    size_t lo = 0, hi = c->nsegs; /* segs[lo].t <= t < segs[hi].t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->segs[mid].t <= t)
            lo = mid;
        else
            hi = mid;
    }
    return &c->segs[lo];
}

fl_time fl_clock_mono(const fl_clock *c, fl_time t)
{
    const seg *s = c->nsegs == 1 ? c->segs : seg_at(c, t);
    fl_time m = scale(t - s->t, s->ppb);
    return m > FL_TIME_MAX - s->mono ? FL_TIME_MAX : s->mono + m;
}

int64_t fl_clock_rate_ppb(const fl_clock *c, fl_time t) { return seg_at(c, t)->ppb; }

/* Sum of the steps taken at or before t. */
static fl_time steps_by(const fl_clock *c, fl_time t)
{
    fl_time sum = 0;
    for (size_t i = 0; i < c->nsteps && c->steps[i].t <= t; i++)
        sum = c->steps[i].sum;
    return sum;
}

fl_time fl_clock_wall(const fl_clock *c, fl_time t)
{
    return fl_clock_mono(c, t) + c->offset + steps_by(c, t);
}

/* The least true u >= from with mono(u) >= target. */
static fl_time mono_reaches(const fl_clock *c, fl_time from, fl_time target)
{
    if (fl_clock_mono(c, from) >= target)
        return from;
    /* The segment where mono crosses target: the last one starting at or below it. */
    size_t lo = 0, hi = c->nsegs;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->segs[mid].mono <= target)
            lo = mid;
        else
            hi = mid;
    }
    const seg *s = &c->segs[lo];
    fl_time d = unscale(target - s->mono, s->ppb);
    if (d == FL_TIME_MAX || d > FL_TIME_MAX - s->t)
        return FL_TIME_MAX;
    fl_time u = s->t + d;
    if (u < from)
        u = from;
    /* unscale is within a few ns: settle on the least u exactly. */
    while (u < FL_TIME_MAX && fl_clock_mono(c, u) < target)
        u++;
    while (u > from && fl_clock_mono(c, u - 1) >= target)
        u--;
    return u;
}

fl_time fl_clock_mono_after(const fl_clock *c, fl_time now, fl_time d)
{
    if (d <= 0)
        return now;
    fl_time m = fl_clock_mono(c, now);
    if (m > FL_TIME_MAX - d)
        return FL_TIME_MAX;
    return mono_reaches(c, now, m + d);
}

fl_time fl_clock_wall_reaches(const fl_clock *c, fl_time now, fl_time target)
{
    fl_time from = now;
    size_t i = 0;
    while (i < c->nsteps && c->steps[i].t <= now)
        i++;
    for (;;) {
        /* Between steps i-1 and i the wall clock is mono + offset + the sum so far. */
        fl_time sum = i ? c->steps[i - 1].sum : 0;
        fl_time base = c->offset + sum;
        fl_time want = target - base;
        fl_time u = want <= 0 ? from : mono_reaches(c, from, want);
        if (i == c->nsteps || u < c->steps[i].t)
            return u;
        from = c->steps[i].t; /* not reached before the next step: it may jump past */
        while (i < c->nsteps && c->steps[i].t == from)
            i++;
        if (fl_clock_wall(c, from) >= target)
            return from;
    }
}
