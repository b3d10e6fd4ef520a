/* Requests made of tries: see caller.h. */
#include "model/caller.h"

#include <string.h>

#include "core/alloc.h"
#include "core/hist_int.h"
#include "node/station.h"

typedef struct op {
    fl_time t_start;
    fl_time deadline;     /* FL_TIME_MAX when none */
    fl_time last_backoff;
    uint64_t tag;
    fl_call call;
    int64_t result;       /* the winning try's answer */
    fl_timer acquire;     /* waiting for a pool connection: its timeout */
    fl_timer hedge;       /* the next hedge, or FL_TIMER_NONE */
    uint32_t live[FL_HEDGE_MAX + 1]; /* tries in flight: the first, then its hedges */
    uint32_t next;        /* free list */
    uint16_t tries;
    uint8_t waiting;      /* in the pool's wait queue */
    uint8_t nlive;        /* entries of live[] */
    uint8_t hedges;       /* hedges sent for the current attempt */
    uint8_t in_use;       /* started and not yet finished (not on the free list) */
    uint32_t first;       /* the attempt's first try (a success by another is a hedge's win) */
} op;

struct fl_caller {
    fl_world *w;
    const fl_host *host;
    uint32_t index, target;
    int zone;
    fl_client_policy pol;
    fl_budget budget;
    fl_rng jitter;
    int h_retry, h_acquire, h_hedge;
    int col_tries; /* -1: none */
    /* Tries in the open window [tries_from, tries_until) not yet added to col_tries (a
     * column of ones: added as a count, the cell is the same; fl_caller_flush_series). */
    fl_time tries_from, tries_until;
    uint64_t tries_pending;
    char name[64]; /* its owner, for events.jsonl */
    /* Connection pool (when pol.pool_size): connections in use and a FIFO of waiting
     * requests (cancelled waiters are skipped when they reach the head). */
    int conns;
    uint32_t *waitq;
    size_t wq_head, wq_len, wq_cap;
    uint64_t pool_waits, pool_timeouts, pool_waited; /* pool_waited: the whole run */
    fl_time pool_wait_total;
    fl_caller_done_fn done;
    void *ctx;

    op *ops;
    fl_pool ops_pool; /* over ops, linked by next (core/pool.h) */

    uint64_t ended, tries, try_errors[FL_OUT_COUNT];
    fl_hist *try_latency;

    /* Circuit breaker (when pol.breaker). */
    enum { BR_CLOSED, BR_OPEN, BR_HALF_OPEN } br_state;
    fl_time br_window_start, br_open_until;
    uint32_t br_ok, br_failed;        /* tries ended in the current window */
    int br_probes_out, br_probes_ok;  /* half-open: probes let through, and succeeded */
    uint64_t br_opened, fallbacks, short_circuited;

    /* Hedging (when pol.hedge_after or pol.hedge_quantile). */
    fl_hist *hedge_hist;  /* successful try latencies since the start (quantile mode) */
    fl_time hedge_delay;  /* current delay; 0: none yet (too few tries to estimate) */
    uint64_t hedges_sent, hedge_wins, abandoned;
};

#define HEDGE_MIN_SAMPLES 20 /* successes seen before a percentile delay is trusted */
#define HEDGE_REESTIMATE 64  /* the percentile is re-read every this many successes */

/* May a try go out now? Moves open -> half-open when the open time is over. */
static bool breaker_allows(fl_caller *c, fl_time now)
{
    if (!c->pol.breaker)
        return true;
    if (c->br_state == BR_OPEN && now >= c->br_open_until) {
        c->br_state = BR_HALF_OPEN;
        c->br_probes_out = c->br_probes_ok = 0;
        fl_world_event(c->w, now, c->name, "breaker-half-open", "%s breaker half-open: probing",
                       c->name);
    }
    if (c->br_state == BR_OPEN)
        return false;
    if (c->br_state == BR_HALF_OPEN) {
        if (c->br_probes_out >= c->pol.br_probes)
            return false;
        c->br_probes_out++;
    }
    return true;
}

static void breaker_open(fl_caller *c, fl_time now)
{
    c->br_state = BR_OPEN;
    c->br_open_until = fl_host_after(c->host, now, c->pol.br_open_for);
    c->br_opened++;
    fl_world_event(c->w, now, c->name, "breaker-open", "%s breaker opens", c->name);
}

/* A try ended (ok or not): update the breaker. */
static void breaker_record(fl_caller *c, fl_time now, bool ok)
{
    if (!c->pol.breaker)
        return;
    if (c->br_state == BR_HALF_OPEN) {
        if (!ok) {
            breaker_open(c, now);
        } else if (++c->br_probes_ok >= c->pol.br_probes) {
            c->br_state = BR_CLOSED;
            fl_world_event(c->w, now, c->name, "breaker-close", "%s breaker closes", c->name);
            c->br_window_start = now;
            c->br_ok = c->br_failed = 0;
        }
        return;
    }
    if (c->br_state != BR_CLOSED)
        return; /* a late try from before the breaker opened */
    if (now >= fl_host_after(c->host, c->br_window_start, c->pol.br_window)) { /* tumbling */
        c->br_window_start = now;
        c->br_ok = c->br_failed = 0;
    }
    if (ok)
        c->br_ok++;
    else
        c->br_failed++;
    uint32_t n = c->br_ok + c->br_failed;
    if (n >= (uint32_t)c->pol.br_min && (double)c->br_failed >= c->pol.br_threshold * n)
        breaker_open(c, now);
}

static bool measured(const fl_world *w, fl_time start, fl_time now)
{
    return start >= w->warmup && now < w->duration;
}

static uint32_t op_new(fl_caller *c)
{
    uint32_t id;
    /* No room for another request fails the run (fl_sim_fail): never a refusal. */
    op *o = fl__pool_take(c->w->sim, &c->ops_pool, c->ops, sizeof *o, offsetof(op, next), 256,
                          &id);
    if (!o)
        return FL_NONE;
    c->ops = o;
    memset(&c->ops[id], 0, sizeof c->ops[id]);
    c->ops[id].hedge = FL_TIMER_NONE;
    return id;
}

/* The request ends: the callback learns its outcome; the record is recycled first, so the
 * callback may start new requests. */
static void finish(fl_caller *c, uint32_t oid, fl_outcome o)
{
    op *x = &c->ops[oid];
    if (x->hedge != FL_TIMER_NONE)
        fl_sim_timer_cancel(c->w->sim, x->hedge);
    x->in_use = 0;
    /* Only what the callback needs, read before the record goes back to the pool. */
    fl_time t_start = x->t_start;
    uint64_t tag = x->tag;
    int64_t result = x->result;
    fl__pool_put(&c->ops_pool, c->ops, sizeof *c->ops, offsetof(op, next), oid);
    if (measured(c->w, t_start, fl_sim_now(c->w->sim)))
        c->ended++;
    /* The outcome and the answer are decided here, not by the events: a breaker's fallback
     * and its refusal, or a stale and a fresh read, can dispatch the same events. */
    fl_sim_hash_mix(c->w->sim, (uint64_t)o);
    fl_sim_hash_mix(c->w->sim, (uint64_t)result);
    c->done(c->ctx, tag, o, t_start, o == FL_OUT_OK ? result : FL_VALUE_NONE);
}

static void send_try(fl_caller *c, uint32_t oid);
static void try_failed(fl_caller *c, uint32_t oid, fl_outcome o);

/* Queues request oid for a connection, with its acquire timeout. */
static void wait_for_connection(fl_caller *c, uint32_t oid, fl_time now)
{
    if (c->wq_len == c->wq_cap) {
        size_t cap = c->wq_cap ? c->wq_cap * 2 : 64;
        uint32_t *q = fl_malloc(cap * sizeof *q);
        if (!q) {
            finish(c, oid, FL_OUT_POOL);
            return;
        }
        for (size_t i = 0; i < c->wq_len; i++)
            q[i] = c->waitq[(c->wq_head + i) % c->wq_cap];
        fl_free(c->waitq);
        c->waitq = q;
        c->wq_cap = cap;
        c->wq_head = 0;
    }
    c->waitq[(c->wq_head + c->wq_len++) % c->wq_cap] = oid;
    op *x = &c->ops[oid];
    x->waiting = 1;
    x->acquire = FL_TIMER_NONE;
    x->last_backoff = now; /* reused while waiting: when the wait began */
    if (measured(c->w, x->t_start, now))
        c->pool_waits++;
    if (!c->pool_waited++) /* the first wait marks the pool's exhaustion (events.jsonl) */
        fl_world_event(c->w, now, c->name, "pool-exhausted", "%s: all %d pool connections "
                       "in use, requests wait", c->name, c->pol.pool_size);
    if (c->pol.pool_acquire_timeout > 0)
        fl_sim_timer_at(c->w->sim, fl_host_after(c->host, now, c->pol.pool_acquire_timeout),
                        c->h_acquire, oid, &x->acquire);
}

/* A connection came back: the longest-waiting live request takes it. */
static void release_connection(fl_caller *c)
{
    c->conns--;
    fl_time now = fl_sim_now(c->w->sim);
    while (c->wq_len && c->conns < c->pol.pool_size) {
        uint32_t oid = c->waitq[c->wq_head];
        c->wq_head = (c->wq_head + 1) % c->wq_cap;
        c->wq_len--;
        op *x = &c->ops[oid];
        if (!x->waiting)
            continue; /* gave up already */
        x->waiting = 0;
        fl_sim_timer_cancel(c->w->sim, x->acquire);
        if (measured(c->w, x->t_start, now))
            c->pool_wait_total += now - x->last_backoff;
        x->last_backoff = 0;
        send_try(c, oid);
    }
}

static void on_acquire_timeout(fl_sim *sim, void *ctx, uint64_t oid)
{
    fl_caller *c = ctx;
    op *x = &c->ops[oid];
    if (fl_sim_now(sim) < c->host->paused_until) { /* the node is stopped: fires on resume */
        fl_sim_timer_at(sim, c->host->paused_until, c->h_acquire, oid, &x->acquire);
        return;
    }
    x->waiting = 0; /* stays in the queue; skipped when it reaches the head */
    if (measured(c->w, x->t_start, fl_sim_now(sim)))
        c->pool_timeouts++;
    x->last_backoff = 0;
    try_failed(c, (uint32_t)oid, FL_OUT_POOL);
}

static void start_try(fl_caller *c, uint32_t oid)
{
    fl_world *w = c->w;
    fl_time now = fl_sim_now(w->sim);
    if (!breaker_allows(c, now)) {
        /* Short-circuited: no try goes out. With a fallback the caller gets a degraded
         * answer at once; without, the request fails at once. */
        if (measured(w, c->ops[oid].t_start, now)) {
            c->short_circuited++;
            if (c->pol.br_fallback)
                c->fallbacks++;
        }
        finish(c, oid, c->pol.br_fallback ? FL_OUT_OK : FL_OUT_CIRCUIT_OPEN);
        return;
    }
    c->ops[oid].tries++; /* a try that waits for a connection counts against attempts */
    if (c->pol.pool_size && c->conns >= c->pol.pool_size) {
        wait_for_connection(c, oid, now);
        return;
    }
    send_try(c, oid);
}

/* Sends a try of request oid now, on a connection of the pool (when there is one). */
static void send_try(fl_caller *c, uint32_t oid)
{
    fl_world *w = c->w;
    fl_time now = fl_sim_now(w->sim);
    uint32_t id = fl_req_new(w);
    if (id == FL_NONE) /* out of memory: the run has failed (fl_req_new), count nothing */
        return;
    c->conns++;
    op *x = &c->ops[oid];
    if (measured(w, x->t_start, now))
        c->tries++;
    if (__builtin_expect(now >= c->tries_until, 0)) {
        fl_caller_flush_series(c, true);
        c->tries_from = now / w->window * w->window;
        c->tries_until = c->tries_from + w->window;
    }
    c->tries_pending++;
    if (x->nlive == 0)
        x->first = id;
    x->live[x->nlive++] = id;
    fl_req *r = fl_req_at(w, id);
    r->t_issue = now;
    r->caller = c->index;
    r->op = oid;
    r->target = c->target;
    r->key = x->call.key;
    r->value = x->call.value;
    r->verb = x->call.verb;
    r->timeout = FL_TIMER_NONE;
    r->deadline = FL_TIME_MAX;
    fl_time expires = c->pol.timeout > 0 ? fl_host_after(c->host, now, c->pol.timeout)
                                          : FL_TIME_MAX;
    if (c->pol.propagate_deadline) /* the tighter of the request's deadline and this try's */
        r->deadline = expires < x->deadline ? expires : x->deadline;
    if (c->pol.timeout > 0)
        fl_sim_timer_at(w->sim, expires, w->h_timeout, id, &r->timeout);
    if (c->hedge_delay > 0 && x->hedges < c->pol.hedge_max && x->hedge == FL_TIMER_NONE)
        fl_sim_timer_at(w->sim, fl_host_after(c->host, now, c->hedge_delay), c->h_hedge, oid,
                        &x->hedge);
    fl_world_send(w, id);
}

/* The hedge delay ran out with the request's tries still out: one more try. A hedge
 * never waits: with the breaker open or the pool empty it is skipped. */
static void on_hedge(fl_sim *sim, void *ctx, uint64_t oid)
{
    fl_caller *c = ctx;
    op *x = &c->ops[oid];
    x->hedge = FL_TIMER_NONE;
    fl_time now = fl_sim_now(sim);
    if (now < c->host->paused_until) {
        fl_sim_timer_at(sim, c->host->paused_until, c->h_hedge, oid, &x->hedge);
        return;
    }
    if (x->nlive == 0 || x->nlive > FL_HEDGE_MAX || !breaker_allows(c, now) ||
        (c->pol.pool_size && c->conns >= c->pol.pool_size))
        return;
    x->hedges++;
    if (measured(c->w, x->t_start, now))
        c->hedges_sent++;
    send_try(c, (uint32_t)oid);
}

/* A try of request oid that will not be waited for any more (another try won): its
 * timeout is cancelled, its connection returned; its server may still work on it. */
static void abandon(fl_caller *c, uint32_t id)
{
    fl_world *w = c->w;
    fl_req *r = fl_req_at(w, id);
    fl_sim_timer_cancel(w->sim, r->timeout);
    r->timeout = FL_TIMER_NONE;
    if (measured(w, c->ops[r->op].t_start, fl_sim_now(w->sim)))
        c->abandoned++;
    fl_req_client_done(w, id);
}

/* A successful try's latency feeds the percentile the hedge delay follows. */
static void hedge_learn(fl_caller *c, fl_time latency)
{
    fl_hist_record(c->hedge_hist, latency);
    uint64_t n = fl_hist_count(c->hedge_hist);
    if (n >= HEDGE_MIN_SAMPLES && (n == HEDGE_MIN_SAMPLES || n % HEDGE_REESTIMATE == 0)) {
        fl_time d = fl_hist_quantile(c->hedge_hist, c->pol.hedge_quantile);
        c->hedge_delay = d > 0 ? d : 1;
    }
}

/* A try failed with cause o: retry after backoff when the policy and budget allow. */
static void try_failed(fl_caller *c, uint32_t oid, fl_outcome o)
{
    fl_time now = fl_sim_now(c->w->sim);
    op *x = &c->ops[oid];
    if (x->tries >= c->pol.attempts) {
        finish(c, oid, o);
        return;
    }
    if (!fl_budget_take(&c->budget, &c->pol)) {
        if (measured(c->w, x->t_start, now))
            c->try_errors[FL_OUT_BUDGET]++;
        finish(c, oid, o); /* the budget said no: the caller sees the try's failure */
        return;
    }
    fl_time wait = fl_client_backoff(&c->pol, x->tries, x->last_backoff, &c->jitter);
    x->last_backoff = wait;
    fl_time at = fl_host_after(c->host, now, wait);
    if (at >= x->deadline) {
        finish(c, oid, FL_OUT_DEADLINE);
        return;
    }
    if (wait == 0)
        start_try(c, oid);
    else
        fl_sim_at(c->w->sim, at, c->h_retry, oid);
}

static void on_retry(fl_sim *sim, void *ctx, uint64_t oid)
{
    fl_caller *c = ctx;
    if (fl_sim_now(sim) < c->host->paused_until) { /* the node is stopped: retry on resume */
        fl_sim_at(sim, c->host->paused_until, c->h_retry, oid);
        return;
    }
    start_try(c, (uint32_t)oid);
}

/* Returns the connection of a try that ended or was abandoned. */
static void return_connection(fl_caller *c)
{
    if (c->pol.pool_size)
        release_connection(c);
    else
        c->conns--;
}

static void try_done(fl_caller *c, uint32_t id, fl_outcome o)
{
    fl_world *w = c->w;
    fl_req *r = fl_req_at(w, id);
    uint32_t oid = r->op;
    fl_time now = fl_sim_now(w->sim);
    fl_time latency = now - r->t_issue;
    int64_t answer = r->value; /* read now: r may be freed and reused below */
    if (measured(w, c->ops[oid].t_start, now)) {
        fl__hist_record(c->try_latency, latency);
        if (o != FL_OUT_OK)
            c->try_errors[o]++;
    }
    if (o == FL_OUT_OK && c->pol.hedge_quantile > 0)
        hedge_learn(c, latency);
    fl_req_client_done(w, id);
    /* Take the try off the request's list of tries in flight. */
    op *x = &c->ops[oid];
    int k = 0;
    while (k < x->nlive && x->live[k] != id)
        k++;
    bool won_by_hedge = id != x->first; /* the first try may have failed meanwhile */
    for (; k + 1 < x->nlive; k++)
        x->live[k] = x->live[k + 1];
    x->nlive--;
    breaker_record(c, now, o == FL_OUT_OK);
    return_connection(c);
    x = &c->ops[oid]; /* returning a connection may start other requests' tries */
    if (o == FL_OUT_OK) {
        x->result = answer;
        if (won_by_hedge && measured(w, x->t_start, now))
            c->hedge_wins++;
        while (x->nlive) { /* the others lost the race */
            uint32_t other = x->live[--x->nlive];
            abandon(c, other);
            return_connection(c);
            x = &c->ops[oid];
        }
        finish(c, oid, o);
        return;
    }
    if (x->nlive) /* a hedge is still out: it may yet succeed */
        return;
    fl_sim_timer_cancel(w->sim, x->hedge);
    x->hedge = FL_TIMER_NONE;
    x->hedges = 0;
    try_failed(c, oid, o);
}

bool fl_caller_on_reply(fl_caller *c, uint32_t id)
{
    fl_req *r = fl_req_at(c->w, id);
    /* The try was given up already (a late reply, wasted work), or the request is a copy
     * the network made, which this caller never had in flight: the record just ends. */
    if (r->client_done || r->dup)
        return true;
    fl_time now = fl_sim_now(c->w->sim);
    if (now < c->host->paused_until) { /* the node is stopped: it reads the reply on resume */
        fl_sim_at(c->w->sim, c->host->paused_until, c->w->h_arrive_client, id);
        return false;
    }
    fl_sim_timer_cancel(c->w->sim, r->timeout);
    try_done(c, id, (fl_outcome)r->outcome);
    return true;
}

void fl_caller_on_timeout(fl_caller *c, uint32_t id)
{
    /* The reply may still come: the try's record stays until the server is done too. */
    fl_req *r = fl_req_at(c->w, id);
    r->timeout = FL_TIMER_NONE;
    if (fl_sim_now(c->w->sim) < c->host->paused_until) { /* stopped: fires on resume */
        fl_sim_timer_at(c->w->sim, c->host->paused_until, c->w->h_timeout, id, &r->timeout);
        return;
    }
    bool held = !r->server_done; /* else the record is freed (and may be reused) below */
    try_done(c, id, FL_OUT_TIMEOUT);
    if (!held)
        return;
    /* Only now: the server's cancellation may answer at once, and the try must be off the
     * request's list by then. The record lives on (the server is not done with it). */
    fl_world_giveup(c->w, id);
}

void fl_caller_call(fl_caller *c, uint64_t tag, fl_time deadline, const fl_call *call)
{
    fl_time now = fl_sim_now(c->w->sim);
    uint32_t oid = op_new(c);
    if (oid == FL_NONE) /* out of memory: the run has failed, count nothing */
        return;
    op *x = &c->ops[oid];
    x->in_use = 1;
    x->t_start = now;
    x->tag = tag;
    if (call)
        x->call = *call;
    x->result = FL_VALUE_NONE;
    x->deadline = c->pol.deadline > 0 ? fl_host_after(c->host, now, c->pol.deadline) : FL_TIME_MAX;
    if (deadline < x->deadline)
        x->deadline = deadline;
    fl_budget_earn(&c->budget, &c->pol);
    if (now >= x->deadline) {
        finish(c, oid, FL_OUT_DEADLINE);
        return;
    }
    start_try(c, oid);
}

fl_caller *fl_caller_new(fl_world *w, const char *owner, uint32_t target, int zone,
                         const fl_host *host, const fl_client_policy *pol,
                         fl_caller_done_fn done, void *ctx)
{
    size_t cap = w->callers_cap;
    fl_caller **cs = fl__grow(w->sim, w->callers, &cap, (size_t)w->ncallers + 1, sizeof *cs, 8);
    if (!cs)
        return NULL;
    w->callers = cs;
    w->callers_cap = (uint32_t)cap; /* fewer callers than a uint32_t counts, doubled */
    fl_caller *c = fl_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->w = w;
    c->host = host;
    c->target = target;
    c->zone = zone;
    c->pol = *pol;
    c->done = done;
    c->ctx = ctx;
    c->ops_pool = (fl_pool)FL_POOL_INIT;
    c->col_tries = -1;
    snprintf(c->name, sizeof c->name, "%s", owner);
    fl_budget_init(&c->budget, pol);
    fl_world_stream(w, &c->jitter, owner, "backoff");
    c->try_latency = fl_hist_new();
    c->h_retry = fl_sim_handler(w->sim, on_retry, c);
    c->h_acquire = fl_sim_handler(w->sim, on_acquire_timeout, c);
    /* Only a hedging caller registers its handler: handler ids enter the event hash, which
     * should not change for scenarios that do not use the feature. */
    bool hedging = pol->hedge_after > 0 || pol->hedge_quantile > 0;
    c->h_hedge = hedging ? fl_sim_handler(w->sim, on_hedge, c) : 0;
    c->hedge_delay = pol->hedge_after;
    if (pol->hedge_quantile > 0)
        c->hedge_hist = fl_hist_new();
    if (!c->try_latency || c->h_retry < 0 || c->h_acquire < 0 || c->h_hedge < 0 ||
        (pol->hedge_quantile > 0 && !c->hedge_hist)) {
        fl_caller_free(c);
        return NULL;
    }
    c->index = w->ncallers;
    w->callers[w->ncallers++] = c;
    return c;
}

void fl_caller_free(fl_caller *c)
{
    if (!c)
        return;
    fl_free(c->ops);
    fl_free(c->waitq);
    fl_hist_free(c->try_latency);
    fl_hist_free(c->hedge_hist);
    fl_free(c);
}

uint64_t fl_caller_in_flight_started(const fl_caller *c, fl_time from, fl_time before)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < c->ops_pool.used; i++)
        n += c->ops[i].in_use && c->ops[i].t_start >= from && c->ops[i].t_start < before;
    return n;
}

int fl_caller_zone(const fl_caller *c) { return c->zone; }
void fl_caller_series(fl_caller *c, int col) { c->col_tries = col; }

void fl_caller_flush_series(fl_caller *c, bool all)
{
    if (!c->tries_pending || (!all && fl_sim_now(c->w->sim) < c->tries_until))
        return;
    fl_series_add_cell(c->w->series, c->col_tries, c->tries_from, (double)c->tries_pending, 1,
                       1, c->tries_pending);
    c->tries_pending = 0;
}
const fl_client_policy *fl_caller_policy(const fl_caller *c) { return &c->pol; }

void fl_caller_report(const fl_caller *c, cJSON *out)
{
    cJSON_AddNumberToObject(out, "tries", (double)c->tries);
    cJSON_AddNumberToObject(out, "retry_amplification",
                            c->ended ? (double)c->tries / (double)c->ended : 0);
    cJSON *te = cJSON_AddObjectToObject(out, "try_errors_by_cause");
    for (int o = 1; o < FL_OUT_COUNT; o++)
        if (fl_world_outcome_possible(c->w, (fl_outcome)o))
            cJSON_AddNumberToObject(te, fl_outcome_name((fl_outcome)o), (double)c->try_errors[o]);
    fl_report_latency(out, "try_latency_ms", c->try_latency, NULL);
    if (c->pol.pool_size) {
        cJSON *p = cJSON_AddObjectToObject(out, "pool");
        cJSON_AddNumberToObject(p, "size", c->pol.pool_size);
        cJSON_AddNumberToObject(p, "waits", (double)c->pool_waits);
        cJSON_AddNumberToObject(p, "timeouts", (double)c->pool_timeouts);
        cJSON_AddNumberToObject(p, "mean_wait_ms",
                                c->pool_waits ? fl_time_to_ms(c->pool_wait_total) /
                                                    (double)c->pool_waits
                                              : 0);
    }
    if (c->pol.hedge_after > 0 || c->pol.hedge_quantile > 0) {
        cJSON *h = cJSON_AddObjectToObject(out, "hedge");
        cJSON_AddNumberToObject(h, "sent", (double)c->hedges_sent);
        cJSON_AddNumberToObject(h, "won", (double)c->hedge_wins);
        cJSON_AddNumberToObject(h, "abandoned_tries", (double)c->abandoned);
        cJSON_AddNumberToObject(h, "delay_ms_at_end", fl_time_to_ms(c->hedge_delay));
    }
    if (c->pol.breaker) {
        cJSON *b = cJSON_AddObjectToObject(out, "breaker");
        cJSON_AddNumberToObject(b, "opened", (double)c->br_opened);
        cJSON_AddNumberToObject(b, "short_circuited", (double)c->short_circuited);
        cJSON_AddNumberToObject(b, "fallbacks", (double)c->fallbacks);
        static const char *const states[] = {"closed", "open", "half-open"};
        cJSON_AddStringToObject(b, "state_at_end", states[c->br_state]);
    }
}
