/* The discrete-event engine: one virtual clock and one event queue ordered by (time, seq).
 *
 * Handlers are registered once (fl_sim_handler) and events name them by id, so an event is a
 * 32-byte record: the engine stays allocation-free per event and its order is a pure
 * function of what was scheduled. Ties in time fire in scheduling order.
 *
 * Two kinds of event:
 *   fl_sim_at / fl_sim_after      fire-and-forget, cannot be cancelled (cheapest)
 *   fl_sim_timer_*                return a handle; cancel is O(log n) and frees the record
 * A handle stays valid until its event fires or is cancelled; using it after is harmless
 * (cancel returns false): handles carry a generation count. */
#ifndef FAULTLINE_SIM_H
#define FAULTLINE_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <faultline/status.h>
#include <faultline/time.h>

typedef struct fl_sim fl_sim;

/* An event handler: ctx is the pointer given at registration, arg the event's payload. */
typedef void (*fl_handler_fn)(fl_sim *sim, void *ctx, uint64_t arg);

/* A cancellable timer handle; FL_TIMER_NONE is never a live timer. */
typedef uint64_t fl_timer;
#define FL_TIMER_NONE ((fl_timer)0)

/* A new simulation at time 0. Caller frees with fl_sim_free. NULL on allocation failure. */
fl_sim *fl_sim_new(uint64_t seed);
void fl_sim_free(fl_sim *sim);

/* Registers a handler; returns its id (>= 0) or -1 on allocation failure. */
int fl_sim_handler(fl_sim *sim, fl_handler_fn fn, void *ctx);

/* Schedules handler h at absolute time `at` (>= now). Returns FL_OK, FL_NOMEM, or
 * FL_INVALID when at < now (a model bug: the engine never moves time backwards). A
 * failure also fails the simulation (fl_sim_fail): fl_sim_run stops after the current
 * event and returns it, so a caller inside a handler may ignore the status. */
fl_status fl_sim_at(fl_sim *sim, fl_time at, int h, uint64_t arg);
fl_status fl_sim_after(fl_sim *sim, fl_time delay, int h, uint64_t arg);
/* Cancellable variant: *out receives the handle (FL_TIMER_NONE on failure). */
fl_status fl_sim_timer_at(fl_sim *sim, fl_time at, int h, uint64_t arg, fl_timer *out);
/* Cancels a pending timer. Returns true when it was pending (it will never fire). */
bool fl_sim_timer_cancel(fl_sim *sim, fl_timer t);

/* Runs events in order until the queue is empty, the next event is later than `until`
 * (the clock then stops at `until`), fl_sim_stop was called, or the event limit is hit.
 * Returns FL_OK, FL_LIMIT (event limit), FL_INTERRUPTED (stop) or the failure recorded
 * by fl_sim_fail (at once, without running, when it was recorded before). */
fl_status fl_sim_run(fl_sim *sim, fl_time until);
/* Asks fl_sim_run to return after the current event (safe from a handler). */
void fl_sim_stop(fl_sim *sim);
/* Fails the simulation with st (FL_NOMEM when a model could not allocate, ...): sticky,
 * the first failure is kept, and fl_sim_run returns it after the current event. Models
 * call it where an allocation fails inside a handler, so that the failure stops the run
 * instead of being counted as traffic. FL_OK does nothing. */
void fl_sim_fail(fl_sim *sim, fl_status st);
/* The failure recorded by fl_sim_fail, FL_OK when none. */
fl_status fl_sim_failed(const fl_sim *sim);
/* Caps the number of events fl_sim_run may dispatch in total (0 = no cap). */
void fl_sim_set_event_limit(fl_sim *sim, uint64_t max_events);
/* Calls fn(ctx, now) every `every` dispatched events (progress bars, wall-clock limits).
 * A non-zero return from fn stops the run as fl_sim_stop would. */
void fl_sim_set_progress(fl_sim *sim, uint64_t every, int (*fn)(void *ctx, fl_time now),
                         void *ctx);

fl_time fl_sim_now(const fl_sim *sim);
uint64_t fl_sim_seed(const fl_sim *sim);
/* Events dispatched so far. */
uint64_t fl_sim_events(const fl_sim *sim);
/* Events pending now, and the most ever pending at once. */
uint64_t fl_sim_pending(const fl_sim *sim);
uint64_t fl_sim_pending_max(const fl_sim *sim);
/* A 64-bit hash of every dispatched event (time, sequence number, handler, payload) and of
 * every word a model mixed in with fl_sim_hash_mix: equal hashes mean the two runs
 * dispatched the same events in the same order with the same outcomes. */
uint64_t fl_sim_hash(const fl_sim *sim);
/* Mixes into the hash a word that decides an outcome an event's payload does not show
 * (a request's outcome code and answer, a batch's count). Call it from a handler, in
 * event order, so that it stays a pure function of the run's inputs. */
void fl_sim_hash_mix(fl_sim *sim, uint64_t word);
/* Bytes the engine holds for its queue and timer table. */
size_t fl_sim_queue_bytes(const fl_sim *sim);

#endif
