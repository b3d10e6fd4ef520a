/* A caller: issues requests to one target under a client policy (client.h) and reports
 * each request's final outcome. A request is one or more tries: per-try timeout, retries
 * after backoff, a retry budget, a deadline. Workloads are callers at the edge; services
 * use one caller per downstream dependency, so the same policy code runs at every layer.
 *
 * Invariants: a request has either tries in flight (one, plus up to hedge_max hedges) or
 * one backoff timer pending, never both; every request started ends exactly once through
 * the done callback (unless the run ends first). */
#ifndef FL_MODEL_CALLER_H
#define FL_MODEL_CALLER_H

#include <cjson/cJSON.h>

#include "model/client.h"
#include "model/world.h"

typedef struct fl_caller fl_caller;

/* The request tagged `tag` ended with outcome o; it was started at t_start. value is what
 * the successful try's server answered (a read's version; FL_VALUE_NONE when none). */
typedef void (*fl_caller_done_fn)(void *ctx, uint64_t tag, fl_outcome o, fl_time t_start,
                                  int64_t value);

/* A caller of component `target` from `zone`, registered with the world (which routes
 * replies to it). owner names its random stream. Its timers run on host's clock and wait
 * while host is paused (host outlives the caller). NULL on allocation failure. */
fl_caller *fl_caller_new(fl_world *w, const char *owner, uint32_t target, int zone,
                         const fl_host *host, const fl_client_policy *pol,
                         fl_caller_done_fn done, void *ctx);
void fl_caller_free(fl_caller *c);
/* Starts a request now for `call` (NULL: a read of key 0). deadline (absolute,
 * FL_TIME_MAX for none) caps the policy's. */
void fl_caller_call(fl_caller *c, uint64_t tag, fl_time deadline, const fl_call *call);
/* Routed here by the world: the reply to, or the timeout of, try `req`. on_reply returns
 * false when the reply was put off (the caller's node is paused): it will be delivered
 * again, so the request record must stay. */
bool fl_caller_on_reply(fl_caller *c, uint32_t req);
void fl_caller_on_timeout(fl_caller *c, uint32_t req);
int fl_caller_zone(const fl_caller *c);
/* Requests started in [from, before) and not yet ended (O(requests ever in flight at
 * once): for the end-of-run report). */
uint64_t fl_caller_in_flight_started(const fl_caller *c, fl_time from, fl_time before);
/* Counts every try into column col of the world's series (per second). */
void fl_caller_series(fl_caller *c, int col);
/* Adds the tries counted in the open window to the series: all of them, or only once time
 * has left that window. Call at each sample and at the end of the run. */
void fl_caller_flush_series(fl_caller *c, bool all);
const fl_client_policy *fl_caller_policy(const fl_caller *c);
/* Adds tries, retry_amplification (tries per ended request), try_latency_ms and
 * try_errors_by_cause (measured requests only) to out. */
void fl_caller_report(const fl_caller *c, cJSON *out);

#endif
