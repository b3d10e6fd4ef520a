/* The engine loop: pop the least (at, seq) record, advance the clock, dispatch.
 *
 * Invariants: now never decreases; every pending record has at >= now; seq is unique and
 * increasing in scheduling order, so equal-time events fire in the order they were
 * scheduled and a run is a pure function of its inputs. */
#include "core/sim_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "fl_config.h"

/* The event hash folds 64-bit words into a 64-bit state: h = (rotl(h, 27) ^ w) * HASH_MUL.
 * For a fixed state the step is a bijection of w, and for a fixed w a bijection of the
 * state (a rotation, an xor, a multiplication by an odd constant), so two sequences of
 * equal length that differ in one word always end in different states; the rotation
 * carries a word's high bits down, where the next multiplication spreads them. */
#define STRICT_RECORDS 1024 /* see fl_sim_run */
#define HASH_MUL 0x9e3779b97f4a7c15ULL
#define HASH_SEED 0xcbf29ce484222325ULL

static inline uint64_t hash_step(uint64_t h, uint64_t w)
{
    return (((h << 27) | (h >> 37)) ^ w) * HASH_MUL;
}

void fl__panic(const fl_sim *sim, const char *file, int line, const char *what)
{
    /* A broken invariant is a bug in faultline, not bad input: say where, when, and stop. */
    fprintf(stderr, "faultline: panic at %s:%d (t=%.9fs, event %llu): %s\n", file, line,
            fl_time_to_s(sim->now), (unsigned long long)sim->events, what);
    abort();
}

fl_sim *fl_sim_new(uint64_t seed)
{
    fl_sim *s = fl_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->q = fl_evq_new();
    if (!s->q) {
        fl_free(s);
        return NULL;
    }
    s->seed = seed;
    s->hash = HASH_SEED;
    return s;
}

void fl_sim_free(fl_sim *sim)
{
    if (!sim)
        return;
    fl_evq_free(sim->q);
    fl_free(sim->handlers);
    fl_free(sim);
}

int fl_sim_handler(fl_sim *sim, fl_handler_fn fn, void *ctx)
{
    if (sim->nhandlers == sim->handlers_cap) {
        int cap = sim->handlers_cap ? sim->handlers_cap * 2 : 16;
        fl_handler *h = fl_realloc(sim->handlers, (size_t)cap * sizeof *h);
        if (!h)
            return -1;
        sim->handlers = h;
        sim->handlers_cap = cap;
    }
    sim->handlers[sim->nhandlers] = (fl_handler){fn, ctx};
    return sim->nhandlers++;
}

void fl_sim_fail(fl_sim *sim, fl_status st)
{
    if (st == FL_OK)
        return;
    if (sim->failed == FL_OK)
        sim->failed = st;
    sim->stop = true;
}

fl_status fl_sim_failed(const fl_sim *sim) { return sim->failed; }

/* A scheduling call that fails also fails the run (fl_sim_fail): its caller may ignore
 * the status, since the engine stops after the current event and reports the failure, so
 * a lost event can never pass for traffic the model decided. */
static fl_status fail(fl_sim *sim, fl_status st)
{
    fl_sim_fail(sim, st);
    return st;
}

static inline fl_status push(fl_sim *sim, fl_time at, int h, uint64_t arg, uint32_t tid)
{
    if (at < sim->now || h < 0 || h >= sim->nhandlers)
        return fail(sim, FL_INVALID);
    fl_ev ev = {at, sim->seq++, arg, (uint32_t)h, tid};
    if (fl_evq_push(sim->q, &ev) != 0)
        return fail(sim, FL_NOMEM);
    if (++sim->pending > sim->pending_max)
        sim->pending_max = sim->pending;
    return FL_OK;
}

fl_status fl_sim_at(fl_sim *sim, fl_time at, int h, uint64_t arg)
{
    return push(sim, at, h, arg, 0);
}

fl_status fl_sim_after(fl_sim *sim, fl_time delay, int h, uint64_t arg)
{
    if (delay < 0 || delay > FL_TIME_MAX - sim->now)
        return fail(sim, FL_INVALID);
    return push(sim, sim->now + delay, h, arg, 0);
}

fl_status fl_sim_timer_at(fl_sim *sim, fl_time at, int h, uint64_t arg, fl_timer *out)
{
    *out = FL_TIMER_NONE;
    if (at < sim->now || h < 0 || h >= sim->nhandlers)
        return fail(sim, FL_INVALID);
    uint32_t gen;
    uint32_t tid = fl_evq_timer_reserve(sim->q, &gen);
    if (!tid)
        return fail(sim, FL_NOMEM);
    fl_status st = push(sim, at, h, arg, tid);
    if (st != FL_OK) {
        fl_evq_timer_unreserve(sim->q, tid); /* never pushed */
        return st;
    }
    *out = ((uint64_t)gen << 32) | tid;
    return FL_OK;
}

bool fl_sim_timer_cancel(fl_sim *sim, fl_timer t)
{
    if (t == FL_TIMER_NONE)
        return false;
    if (!fl_evq_timer_cancel(sim->q, (uint32_t)t, (uint32_t)(t >> 32)))
        return false;
    sim->pending--;
    return true;
}

void fl_sim_stop(fl_sim *sim) { sim->stop = true; }

void fl_sim_set_event_limit(fl_sim *sim, uint64_t max_events) { sim->max_events = max_events; }

void fl_sim_set_progress(fl_sim *sim, uint64_t every, int (*fn)(void *ctx, fl_time now),
                         void *ctx)
{
    sim->progress_every = fn ? every : 0;
    sim->progress_fn = fn;
    sim->progress_ctx = ctx;
}

fl_status fl_sim_run(fl_sim *sim, fl_time until)
{
    fl_ev ev;
    if (sim->failed) /* sticky: a failed simulation never runs on */
        return sim->failed;
    sim->stop = false;
    uint64_t next_progress = sim->progress_every ? sim->events + sim->progress_every : UINT64_MAX;
    uint64_t limit = sim->max_events ? sim->max_events : UINT64_MAX;
    for (;;) {
        if (sim->events >= limit) {
            const fl_ev *top = fl_evq_peek(sim->q);
            if (top && top->at <= until)
                return FL_LIMIT;
            break;
        }
        if (!fl_evq_pop_until(sim->q, until, &ev))
            break;
        sim->pending--;
        sim->now = ev.at;
        sim->events++;
        /* Every dispatched event: when, which handler, its payload, and its place in
         * scheduling order (cancelled timers take sequence numbers too). */
        uint64_t hash = hash_step(sim->hash, (uint64_t)ev.at);
        hash = hash_step(hash, ev.seq);
        hash = hash_step(hash, ev.h);
        sim->hash = hash_step(hash, ev.arg);
        const fl_handler *hd = &sim->handlers[ev.h];
        hd->fn(sim, hd->ctx, ev.arg);
#if FL_INVARIANTS_STRICT
        /* The whole queue after every event while it holds up to STRICT_RECORDS records;
         * past that, every size / STRICT_RECORDS events, so checking costs about
         * STRICT_RECORDS record visits an event (a check after every event made
         * config-cache-feedback-2010's 60 s, 10^5 pending, take 92 s at -O0). A broken
         * structure stays broken, so a later check still finds it. */
        if (sim->strict_wait-- == 0) {
            fl_evq_peek(sim->q); /* settles a deferred pop, so the whole queue is checkable */
            if (!fl_evq_valid(sim->q) || sim->pending != fl_evq_size(sim->q))
                fl__panic(sim, __FILE__, __LINE__, "event queue invariant broken");
            sim->strict_wait = fl_evq_size(sim->q) / STRICT_RECORDS;
        }
#endif
        if (sim->events >= next_progress) {
            next_progress += sim->progress_every;
            if (sim->progress_fn(sim->progress_ctx, sim->now))
                sim->stop = true;
        }
        if (sim->stop)
            return sim->failed ? sim->failed : FL_INTERRUPTED;
    }
    if (until != FL_TIME_MAX && sim->now < until)
        sim->now = until;
    return FL_OK;
}

fl_time fl_sim_now(const fl_sim *sim) { return sim->now; }
uint64_t fl_sim_seed(const fl_sim *sim) { return sim->seed; }
uint64_t fl_sim_events(const fl_sim *sim) { return sim->events; }
uint64_t fl_sim_pending(const fl_sim *sim) { return sim->pending; }
uint64_t fl_sim_pending_max(const fl_sim *sim) { return sim->pending_max; }
uint64_t fl_sim_hash(const fl_sim *sim) { return sim->hash; }
void fl_sim_hash_mix(fl_sim *sim, uint64_t word) { sim->hash = hash_step(sim->hash, word); }
size_t fl_sim_queue_bytes(const fl_sim *sim) { return fl_evq_bytes(sim->q); }
