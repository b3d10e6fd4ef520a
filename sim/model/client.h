/* Client policies: what a caller does when a try fails or is slow.
 *
 *   "client": {"timeout": "1s", "attempts": 3, "backoff": "exponential(10ms, max=1s)",
 *              "jitter": "full", "retry_budget": 0.1, "deadline": "5s",
 *              "propagate_deadline": true, "slo": "100ms"}
 *
 * timeout     per try; the try is abandoned (the server may still work on it)
 * attempts    tries per request, the first included
 * backoff     "none", "constant(50ms)" or "exponential(base, max=cap)": the wait before
 *             retry n is base * 2^(n-1), capped
 * jitter      "none", "full" (uniform in [0, b]), "equal" (b/2 + uniform in [0, b/2]) or
 *             "decorrelated" (uniform in [base, 3 * previous wait], capped)
 * retry_budget  retries may be at most this fraction of first tries: a token bucket that
 *             earns `ratio` per first try (up to `burst` tokens, default 10) and spends 1
 *             per retry; a number is the ratio, or {"ratio": 0.1, "burst": 20}
 * deadline    for the whole request, retries included: no try starts after it
 * propagate_deadline  tries carry the deadline (the sooner of the request's deadline and
 *             the try's timeout) so servers that drop expired work can skip them
 * pool        a connection pool: {"size": 10, "acquire_timeout": "1s"}. At most `size` tries
 *             in flight; further tries wait in FIFO order for a connection, and fail with
 *             "pool_timeout" after acquire_timeout (none: wait forever). A try holds its
 *             connection until its reply or its timeout.
 * slo         a workload's only (or its "slo"): its SLO, see workload.c
 * breaker     a circuit breaker: {"threshold": 0.5, "window": "10s", "min_requests": 20,
 *             "open_for": "5s", "probes": 3, "fallback": false}. Closed, it counts the
 *             tries of the last `window`; when at least min_requests have ended and the
 *             failed fraction reaches threshold it opens: requests fail at once
 *             ("circuit_open"), or with fallback succeed at once with a degraded answer.
 *             After open_for it lets `probes` tries through (half-open): all succeed, it
 *             closes; one fails, it opens again.
 * hedge       hedged requests: when a try has not answered after a delay ("50ms") or after
 *             a percentile of this caller's recent successful tries ("p95"), send one more
 *             try of the same request ({"after": "p95", "max": 2}: up to two more). The
 *             first success wins and the other tries are abandoned (their servers work on,
 *             as wasted work); a failure waits for the tries still out before any retry.
 *             Hedges count as tries, not as attempts. */
#ifndef FL_MODEL_CLIENT_H
#define FL_MODEL_CLIENT_H

#include <stdbool.h>
#include <cjson/cJSON.h>
#include <faultline/rng.h>
#include <faultline/status.h>
#include <faultline/time.h>

typedef enum { FL_BACKOFF_NONE, FL_BACKOFF_CONSTANT, FL_BACKOFF_EXPONENTIAL } fl_backoff_kind;
typedef enum { FL_JITTER_NONE, FL_JITTER_FULL, FL_JITTER_EQUAL, FL_JITTER_DECORRELATED } fl_jitter;

typedef struct fl_client_policy {
    fl_time timeout, deadline, slo;
    int attempts;
    fl_backoff_kind backoff;
    fl_time base, cap;
    fl_jitter jitter;
    double budget_ratio; /* 0: no budget */
    double budget_burst;
    bool propagate_deadline;
    int pool_size;       /* 0: no pool limit */
    fl_time pool_acquire_timeout; /* 0: wait forever */
    bool breaker;        /* the fields below apply when set */
    double br_threshold;
    fl_time br_window, br_open_for;
    int br_min, br_probes;
    bool br_fallback;
    fl_time hedge_after;   /* > 0: hedge after this delay */
    double hedge_quantile; /* > 0: hedge after this quantile of recent try latencies */
    int hedge_max;         /* extra tries per attempt, 1..FL_HEDGE_MAX */
} fl_client_policy;

#define FL_HEDGE_MAX 3

/* Reads a "client" object (may be NULL: one try, no timeout). Only a workload's client
 * (workload: true) may give an "slo"; elsewhere nothing would measure it, so it is refused. */
fl_status fl_client_policy_read(const cJSON *client, const char *path, bool workload,
                                fl_client_policy *p, fl_error *e);
/* The wait before retry number `retry` (1 = the first retry); `prev` is the previous wait
 * (decorrelated jitter builds on it). */
fl_time fl_client_backoff(const fl_client_policy *p, int retry, fl_time prev, fl_rng *r);

/* The retry budget's token bucket. Starts full. */
typedef struct fl_budget {
    double tokens;
} fl_budget;
static inline void fl_budget_init(fl_budget *b, const fl_client_policy *p)
{
    b->tokens = p->budget_burst;
}
/* A first try earns its share. */
static inline void fl_budget_earn(fl_budget *b, const fl_client_policy *p)
{
    if (p->budget_ratio > 0) {
        b->tokens += p->budget_ratio;
        if (b->tokens > p->budget_burst)
            b->tokens = p->budget_burst;
    }
}
/* A retry may go ahead (and spends a token) or not. */
static inline bool fl_budget_take(fl_budget *b, const fl_client_policy *p)
{
    if (p->budget_ratio <= 0)
        return true;
    if (b->tokens < 1)
        return false;
    b->tokens -= 1;
    return true;
}

#endif
