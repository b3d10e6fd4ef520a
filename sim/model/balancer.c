/* The `balancer` component: a load balancer in front of a set of backend nodes.
 *
 *   {"name": "lb", "kind": "balancer", "policy": "pinned", "connections": 40,
 *    "max_connection_age": "30s",
 *    "backends": ["b1", "b2", {"node": "b3", "joins": "75s"}, ...],
 *    "client": {"timeout": "1s"}}
 *
 * Each request is forwarded to one backend under the `client` policy (default: one try, no
 * timeout; a retry goes to the same backend) and answered with its outcome (`dependency`
 * when the call failed). The backend is chosen by `policy`:
 *
 *   round_robin        the next backend in the pool, per request
 *   random             a uniform draw over the pool, per request
 *   least_outstanding  the backend with the fewest requests in flight from this balancer
 *                      (ties: the first at or after a rotating cursor)
 *   p2c                two distinct backends drawn at random, the one with fewer in flight
 *                      (power of two choices; ties: the first drawn)
 *   hash               rendezvous (highest random weight) hashing of the request's key over
 *                      the pool: a key stays on its backend, and a join moves only the keys
 *                      the newcomer wins (about 1/n of them)
 *   pinned             long-lived connections (HTTP/2, gRPC channels): `connections` of
 *                      them are opened at the start, each to the backend that then holds the
 *                      fewest connections; every request travels on a connection drawn
 *                      uniformly, to that connection's backend. A connection is balanced
 *                      only when it is opened: with `max_connection_age` it is closed after
 *                      that age (jittered by +-10%, as gRPC's server-side MAX_CONNECTION_AGE
 *                      is) and reopened at once to the backend with the fewest connections
 *                      at that moment; without it, it stays where it was opened.
 *
 * The pool: backends named as strings are in it from the start; {"node": N, "joins": T}
 * joins at T (a scheduled capacity change: a scale-out, an instance count step), an event
 * (`backend-join`) on the timeline and in the charts. A backend's own state (a crash, a
 * slowdown) is its kind's. Without health checks a crashed backend keeps its share and
 * answers `refused`. `health_check` (interval, timeout, thresholds) sends each backend a
 * request every interval through its own caller, a real message the backend's workers
 * answer, so a crashed, hung, paused or saturated backend fails it; `unhealthy_threshold`
 * failures in a row take it out of the pool (`backend-unhealthy`), `healthy_threshold`
 * passes bring it back (`backend-healthy`); with none healthy, arrivals are refused.
 * `failover` sends everything to the first healthy backend in list order (a `failover`
 * event when that changes); with `dns` the balancer is a name: each of `clients` resolver
 * caches keeps the answer it resolved for `ttl` (a `late_fraction` of them `late_by` more)
 * and sends there, healthy or not, so clients move to the new answer as their caches
 * expire (the series NAME.stale_per_s counts the requests still sent to an old answer).
 * And `eject` is passive ejection:
 * passive ejection (outlier detection) takes a backend whose last `consecutive_failures`
 * calls were refused or timed out out of the pool for `for` (at most `max_ejected_fraction`
 * of the backends at once, at least one, never the last in the pool): `backend-ejected` and
 * `backend-back` events. Ejection needs a per-request policy (refused with `pinned`). A
 * `"standby": true` backend is outside the pool until an `autoscaler` sizing this balancer
 * adds it (model/balancer.h).
 *
 * Hot keys (`hash` only): with "hot_keys": {"keys": H, ...} the keys below H (a zipf
 * workload ranks its keys from 0, the most popular first) are handled apart, one of:
 *
 *   split: k      key splitting: a request for a hot key goes to one of k sub-keys drawn
 *                 uniformly, each hashed on its own (write sharding: a write lands on one
 *                 sub-key, a read reads one; the application merges or samples them, as
 *                 a sharded counter or a time-bucketed timeline does). Two sub-keys may
 *                 hash to the same backend: k sub-keys reach n (1 - (1 - 1/n)^k) of n
 *                 backends on average.
 *   replicas: r   hot-key replication: the key is held by the first r backends of its
 *                 rendezvous order; a read goes to one of them drawn uniformly, a write to
 *                 all r (the first answers the request; the copies' outcomes are only
 *                 counted), so writes cost r times the work.
 *
 * Faults: crash. While down, arrivals are `refused`; a request forwarded before the crash
 * gets no reply (its client times out). Pinned connections are kept (they are the
 * clients'). No clock, slow or pause: nothing here takes time or reads a clock of its own.
 * rollout: a new version pushed to the backends in waves, rolled back on the health of the
 * calls to them (rollout.c); the balancer keeps which backends run it (the series
 * NAME.new_version) and each one's calls since the rollout last looked.
 *
 * Report (nodes.NAME): policy, backends (in the pool at the end), sent (measured, after
 * the warm-up), and from the last join to the end of the run (`after_join`): sent,
 * max_to_mean (the busiest backend's requests over the mean per backend in the pool; 1 is
 * even, n over k when k of n backends take everything) and idle_backends (backends in the
 * pool sent less than a tenth of the mean). Pinned: connections, reconnects. Per backend
 * (`backends.B`): sent, sent_after_join, connections at the end (pinned) and the caller's
 * figures. Series: NAME.sent_per_s.B per backend, NAME.busiest_per_s and NAME.idlest_per_s
 * (over the backends in the pool), NAME.pool (backends in the pool). */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/balancer.h"
#include "model/caller.h"
#include "model/client.h"
#include "model/rollout.h"
#include "model/world.h"

#define MAX_BACKENDS 256
#define MAX_CONNECTIONS 100000

enum policy { P_ROUND_ROBIN, P_RANDOM, P_LEAST, P_P2C, P_HASH, P_PINNED, P_FAILOVER };
static const char *const policies[] = {"round_robin", "random", "least_outstanding", "p2c",
                                       "hash", "pinned", "failover", NULL};
#define MAX_DNS_CLIENTS 1000000

typedef struct balancer balancer;

typedef struct backend {
    balancer *b;
    uint32_t idx;      /* in b->be */
    uint32_t node;     /* component index */
    const char *name;  /* in the scenario document */
    fl_time joins;     /* 0: in the pool from the start */
    bool in_pool;
    bool standby;      /* outside the pool until an autoscaler adds it */
    bool taken;        /* being provisioned by an autoscaler */
    bool ejected;      /* out of the pool for failing (passive ejection) */
    uint32_t fails;    /* consecutive failed calls */
    uint64_t ejections;
    uint32_t outstanding; /* requests in flight from this balancer */
    uint32_t conns;       /* pinned connections on it */
    uint64_t sent, sent_after, window_sent;
    uint64_t seed; /* rendezvous hashing: this backend's salt */
    bool new_version;  /* runs a rollout's new version */
    uint64_t h_calls, h_fails; /* calls ended since the rollout last looked, failed ones */
    fl_time h_latency;         /* and their summed latency */
    fl_time h_since;           /* only calls sent since its version changed count */
    fl_caller *hc;             /* its health checks, or NULL */
    uint32_t hc_ok, hc_fail;   /* consecutive passed and failed checks */
    bool unhealthy;            /* out of the pool for failing its checks */
    uint64_t hc_sent, hc_failed;
    fl_caller *to;
    int col_sent;
} backend;

typedef struct conn {
    uint32_t be;
} conn;

struct balancer {
    fl_world *w;
    fl_component *c;
    const cJSON *cfg; /* the node's JSON, valid until connect() has run */
    char path[128];
    int policy;
    backend *be;
    uint32_t nbe;
    uint32_t *pool; /* indices of the backends in the pool, in backends order */
    uint32_t npool;
    uint32_t cursor;
    conn *conns;
    uint32_t nconns;
    fl_time max_age; /* 0: connections live for ever */
    fl_time last_join;
    fl_rng rng, age_rng;
    int h_join, h_expire;
    bool down;
    uint32_t gen;
    uint64_t sent, reconnects, refused;
    uint32_t eject_after; /* consecutive failures that eject a backend; 0: never */
    fl_time eject_for;
    double eject_max;     /* at most this fraction of the backends ejected at once (>= 1) */
    uint32_t nejected;
    int h_uneject;
    uint64_t ejections;
    fl_time lat_sum; /* calls ended since the autoscaler last asked (their latency) */
    uint64_t lat_n;
    int col_busiest, col_idlest, col_pool;
    /* Active health checks: a request to each backend every interval, under timeout. */
    fl_time hc_interval, hc_timeout; /* 0: none */
    long hc_down, hc_up;             /* failed (passed) checks in a row that take a backend
                                        out of (back into) the pool */
    int h_hc;
    uint64_t unhealthy_events;
    /* failover: the answer is the first backend of the pool; with dns, each client keeps
     * the answer it resolved until its cache expires (ttl, plus an overrun for late ones) */
    int32_t answer;        /* the current answer (backend index), -1: none */
    int32_t old_answer;    /* the answer before the last change (-1: none) */
    fl_time changed_at;    /* when the answer last changed */
    double shift_step;     /* dns.shift: the new answer's share grows by this ... */
    fl_time shift_every;   /* ... every this long after a change (0: all at once) */
    uint64_t answer_changes;
    fl_time dns_ttl;       /* 0: no dns (the balancer routes each request itself) */
    uint32_t dns_clients, dns_late; /* clients 0 .. dns_late-1 overrun their ttl */
    fl_dist *dns_late_by;
    uint32_t *dns_cached;  /* per client: the backend it resolved */
    fl_time *dns_expiry;   /* per client: when its cache expires */
    fl_rng dns_rng;
    uint64_t resolutions, stale_sent;
    fl_time last_stale;    /* -1: none */
    int col_stale;
    fl_rollout *rollout; /* the rollout to its backends, or NULL */
    uint32_t nnew;       /* backends on its new version */
    int col_new;
    uint64_t hot_below; /* keys below this are hot (0: none) */
    uint32_t split, replicas; /* one of them > 1 when hot keys are set */
    fl_rng hot_rng;
    uint64_t hot_sent, copies; /* measured: requests for hot keys; replica write copies */
    uint32_t *top; /* replicas: the top-r backends of a key (scratch, r entries) */
};

/* A forwarded copy of a replicated write: counted, never answered (tag bit 63). */
#define COPY_BIT (1ull << 63)

static bool measured(const balancer *b) { return fl_sim_now(b->w->sim) >= b->w->warmup; }

/* The pool in backends order (so the choice never depends on the order of joins), without
 * the backends failing their health checks. With failover, the first is the answer: a
 * change is an event (`failover`). */
static void rebuild_pool(balancer *b)
{
    b->npool = 0;
    for (uint32_t i = 0; i < b->nbe; i++)
        if (b->be[i].in_pool && !b->be[i].unhealthy)
            b->pool[b->npool++] = i;
    if (b->policy != P_FAILOVER || !b->npool || (int32_t)b->pool[0] == b->answer)
        return;
    int32_t was = b->answer;
    b->answer = (int32_t)b->pool[0];
    if (was < 0)
        return; /* the first answer, at the start */
    b->answer_changes++;
    b->old_answer = was;
    b->changed_at = fl_sim_now(b->w->sim);
    fl_world_event(b->w, fl_sim_now(b->w->sim), b->c->name, "failover",
                   "%s now answers %s (%s %s)%s", b->c->name, b->be[b->answer].name,
                   b->be[was].name, b->be[was].unhealthy ? "failed its health checks" : "left",
                   b->dns_ttl ? ": clients move as their cached answers expire" : "");
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* The pool's backend with the fewest pinned connections (ties: the first after the
 * cursor, so equal backends take turns). */
static uint32_t fewest_conns(balancer *b)
{
    uint32_t best = b->pool[b->cursor % b->npool];
    for (uint32_t k = 1; k < b->npool; k++) {
        uint32_t i = b->pool[(b->cursor + k) % b->npool];
        if (b->be[i].conns < b->be[best].conns)
            best = i;
    }
    b->cursor++;
    return best;
}

static uint32_t choose(balancer *b, uint64_t key)
{
    switch (b->policy) {
    case P_ROUND_ROBIN:
        return b->pool[b->cursor++ % b->npool];
    case P_RANDOM:
        return b->pool[fl_rng_below(&b->rng, b->npool)];
    case P_LEAST: {
        uint32_t best = b->pool[b->cursor % b->npool];
        for (uint32_t k = 1; k < b->npool; k++) {
            uint32_t i = b->pool[(b->cursor + k) % b->npool];
            if (b->be[i].outstanding < b->be[best].outstanding)
                best = i;
        }
        b->cursor++;
        return best;
    }
    case P_P2C: {
        if (b->npool == 1)
            return b->pool[0];
        uint32_t x = (uint32_t)fl_rng_below(&b->rng, b->npool);
        uint32_t y = (uint32_t)fl_rng_below(&b->rng, b->npool - 1);
        y += y >= x; /* distinct */
        uint32_t i = b->pool[x], j = b->pool[y];
        return b->be[j].outstanding < b->be[i].outstanding ? j : i;
    }
    case P_HASH: {
        if (key < b->hot_below && b->split > 1) /* sub-key j: its own hash */
            key = mix64(key ^ mix64(0x5b117ull + fl_rng_below(&b->hot_rng, b->split)));
        uint32_t best = b->pool[0];
        uint64_t top = mix64(key ^ b->be[best].seed);
        for (uint32_t k = 1; k < b->npool; k++) {
            uint32_t i = b->pool[k];
            uint64_t h = mix64(key ^ b->be[i].seed);
            if (h > top)
                top = h, best = i;
        }
        return best;
    }
    case P_FAILOVER: {
        if (!b->dns_ttl) /* none healthy: the last answer (it fails open) */
            return b->npool ? b->pool[0] : (uint32_t)b->answer;
        /* a client drawn uniformly; it resolves again when its cache has expired */
        uint32_t k = (uint32_t)fl_rng_below(&b->dns_rng, b->dns_clients);
        fl_time now = fl_sim_now(b->w->sim);
        if (now >= b->dns_expiry[k]) {
            b->dns_cached[k] = (uint32_t)b->answer; /* set from the start */
            if (b->shift_every && b->old_answer >= 0) { /* weights shifted in steps */
                double share = b->shift_step * (double)(1 + (now - b->changed_at) / b->shift_every);
                if (share < 1 && fl_rng_uniform(&b->dns_rng) >= share)
                    b->dns_cached[k] = (uint32_t)b->old_answer;
            }
            fl_time late = k < b->dns_late ? fl_dist_sample(b->dns_late_by, &b->dns_rng) : 0;
            b->dns_expiry[k] = now + b->dns_ttl + late;
            if (now >= b->w->warmup)
                b->resolutions++;
        }
        uint32_t i = b->dns_cached[k];
        if ((int32_t)i != b->answer) { /* a stale answer, still cached */
            fl_series_add(b->w->series, b->col_stale, now, 1);
            if (now >= b->w->warmup) {
                b->stale_sent++;
                b->last_stale = now;
            }
        }
        return i;
    }
    default: /* P_PINNED */
        return b->conns[fl_rng_below(&b->rng, b->nconns)].be;
    }
}

/* The r backends of the pool with the highest rendezvous weights for key, best first, into
 * b->top; returns how many (fewer when the pool is smaller). O(n r), r small. */
static uint32_t top_backends(balancer *b, uint64_t key, uint32_t r)
{
    uint32_t m = 0;
    uint64_t w[64];
    if (r > b->npool)
        r = b->npool;
    for (uint32_t k = 0; k < b->npool; k++) {
        uint32_t i = b->pool[k];
        uint64_t h = mix64(key ^ b->be[i].seed);
        uint32_t j = m < r ? m++ : r;
        if (j == r && h <= w[r - 1])
            continue;
        if (j == r)
            j = r - 1;
        while (j > 0 && w[j - 1] < h) {
            w[j] = w[j - 1];
            b->top[j] = b->top[j - 1];
            j--;
        }
        w[j] = h;
        b->top[j] = i;
    }
    return m;
}

static void on_uneject(fl_sim *sim, void *ctx, uint64_t i)
{
    balancer *b = ctx;
    backend *be = &b->be[i];
    if (!be->ejected)
        return;
    be->ejected = false;
    be->fails = 0;
    be->in_pool = true;
    b->nejected--;
    rebuild_pool(b);
    fl_world_event(b->w, fl_sim_now(sim), b->c->name, "backend-back",
                   "%s back in the pool after its ejection (%u in the pool)", be->name, b->npool);
}

/* Passive ejection (outlier detection): a backend whose last `consecutive_failures` calls
 * failed leaves the pool for `for`, unless as many as allowed are out already or it is the
 * last one. */
static void eject(balancer *b, backend *be)
{
    uint32_t total = b->npool + b->nejected;
    uint32_t cap = (uint32_t)(b->eject_max * total);
    if (cap < 1)
        cap = 1;
    if (b->nejected >= cap || b->npool <= 1)
        return;
    fl_time now = fl_sim_now(b->w->sim);
    be->ejected = true;
    be->in_pool = false;
    b->nejected++;
    rebuild_pool(b);
    if (now >= b->w->warmup) {
        b->ejections++;
        be->ejections++;
    }
    fl_sim_hash_mix(b->w->sim, 0xe1ec7ull << 16 | be->idx);
    fl_sim_after(b->w->sim, b->eject_for, b->h_uneject, be->idx);
    fl_world_event(b->w, now, b->c->name, "backend-ejected",
                   "%s ejected after %u calls in a row refused or timed out (%u left in the pool)", be->name,
                   be->fails, b->npool);
}

static void forwarded(void *ctx, uint64_t tag, fl_outcome o, fl_time t_start, int64_t value)
{
    backend *be = ctx;
    balancer *b = be->b;
    uint32_t req = (uint32_t)tag;
    be->outstanding--;
    if (tag & COPY_BIT)
        return; /* a replicated write's copy: its outcome is the backend's own figures */
    fl_time lat = fl_sim_now(b->w->sim) - t_start;
    b->lat_sum += lat;
    b->lat_n++;
    if (t_start >= be->h_since) { /* sent to the version it runs now */
        be->h_calls++;
        be->h_fails += o != FL_OUT_OK;
        be->h_latency += lat;
    }
    if (b->eject_after) {
        /* the backend is down or silent (refused, timed out), as a gateway failure is; an
         * answer it gave (rejected by a full queue, a dependency error) is not counted */
        bool failed = o == FL_OUT_REFUSED || o == FL_OUT_TIMEOUT;
        be->fails = failed ? be->fails + 1 : 0;
        if (be->fails >= b->eject_after && be->in_pool)
            eject(b, be);
    }
    if ((uint32_t)(tag >> 32) != b->gen || b->down) { /* forwarded before a crash: lost */
        fl_req_server_done(b->w, req);
        return;
    }
    if (o == FL_OUT_OK && value != FL_VALUE_NONE)
        fl_req_at(b->w, req)->value = value; /* a read's answer travels back */
    fl_world_reply(b->w, req, o == FL_OUT_OK ? FL_OUT_OK : FL_OUT_DEPENDENCY);
}

/* A health check ended: passed (answered ok) or failed (an error, a timeout, refused). */
static void hc_done(void *ctx, uint64_t tag, fl_outcome o, fl_time t_start, int64_t value)
{
    (void)tag, (void)t_start, (void)value;
    backend *be = ctx;
    balancer *b = be->b;
    fl_time now = fl_sim_now(b->w->sim);
    if (o == FL_OUT_OK) {
        be->hc_fail = 0;
        if (++be->hc_ok >= (uint32_t)b->hc_up && be->unhealthy) {
            be->unhealthy = false;
            fl_world_event(b->w, now, b->c->name, "backend-healthy",
                           "%s passed %u health checks in a row: back in the pool (%u)",
                           be->name, be->hc_ok, b->npool + be->in_pool);
            rebuild_pool(b);
        }
        return;
    }
    if (now >= b->w->warmup)
        be->hc_failed++;
    be->hc_ok = 0;
    if (++be->hc_fail >= (uint32_t)b->hc_down && !be->unhealthy) {
        be->unhealthy = true;
        if (now >= b->w->warmup)
            b->unhealthy_events++;
        fl_sim_hash_mix(b->w->sim, 0x4ea17ull << 16 | be->idx);
        fl_world_event(b->w, now, b->c->name, "backend-unhealthy",
                       "%s failed %u health checks in a row (%s): out of the pool (%u left)",
                       be->name, be->hc_fail, fl_outcome_name(o), b->npool - be->in_pool);
        rebuild_pool(b);
    }
}

/* Backend i's next health check: a request like any other, which its workers answer. */
static void on_hc(fl_sim *sim, void *ctx, uint64_t i)
{
    balancer *b = ctx;
    backend *be = &b->be[i];
    if (fl_sim_now(sim) >= b->w->warmup)
        be->hc_sent++;
    fl_call call = {0, 0, FL_VERB_READ};
    fl_caller_call(be->hc, 0, FL_TIME_MAX, &call);
    fl_sim_after(sim, b->hc_interval, b->h_hc, i);
}

/* Sends request q to backend be (a copy of a replicated write too), counted on be. */
static void forward(balancer *b, backend *be, const fl_req *q, uint64_t tag, fl_time now)
{
    be->outstanding++;
    be->window_sent++;
    if (measured(b)) {
        be->sent++;
        if (now >= b->last_join)
            be->sent_after++;
    }
    fl_series_add(b->w->series, be->col_sent, now, 1);
    fl_call call = {q->key, q->value, q->verb};
    fl_caller_call(be->to, tag, q->deadline, &call);
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    balancer *b = c->state;
    /* With no backend in the pool a request is refused, but a failover balancer keeps its
     * last answer (it fails open, as DNS health checking does when every record fails). */
    if (b->down || (b->npool == 0 && b->policy != P_FAILOVER)) {
        if (measured(b))
            b->refused++;
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    const fl_req *q = fl_req_at(w, id);
    fl_time now = fl_sim_now(w->sim);
    uint32_t pick;
    if (q->key < b->hot_below && measured(b))
        b->hot_sent++;
    if (q->key < b->hot_below && b->replicas > 1) {
        uint32_t m = top_backends(b, q->key, b->replicas);
        if (q->verb == FL_VERB_WRITE) { /* every replica takes the write; the first answers */
            pick = b->top[0];
            for (uint32_t k = 1; k < m; k++) {
                if (measured(b))
                    b->copies++;
                forward(b, &b->be[b->top[k]], q, COPY_BIT | (uint64_t)b->gen << 32 | id, now);
            }
        } else {
            pick = b->top[fl_rng_below(&b->hot_rng, m)];
        }
    } else {
        pick = choose(b, q->key);
    }
    if (measured(b))
        b->sent++;
    forward(b, &b->be[pick], q, (uint64_t)b->gen << 32 | id, now);
}

/* A connection's age limit: max_connection_age x U(0.9, 1.1). */
static fl_time conn_age(balancer *b)
{
    return (fl_time)((double)b->max_age * (0.9 + 0.2 * fl_rng_uniform(&b->age_rng)));
}

static void open_conn(balancer *b, uint32_t k)
{
    uint32_t i = fewest_conns(b);
    b->conns[k].be = i;
    b->be[i].conns++;
    if (b->max_age > 0)
        fl_sim_after(b->w->sim, conn_age(b), b->h_expire, k);
}

static void on_expire(fl_sim *sim, void *ctx, uint64_t k)
{
    (void)sim;
    balancer *b = ctx;
    b->be[b->conns[k].be].conns--;
    if (measured(b))
        b->reconnects++;
    open_conn(b, (uint32_t)k);
}

/* Every backend joining at this instant joins now, in one event. */
static void on_join(fl_sim *sim, void *ctx, uint64_t first)
{
    balancer *b = ctx;
    fl_time now = fl_sim_now(sim);
    if (b->be[first].in_pool)
        return; /* joined with an earlier one of the same instant */
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->nbe; i++)
        if (!b->be[i].in_pool && b->be[i].joins == b->be[first].joins) {
            b->be[i].in_pool = true;
            n++;
        }
    rebuild_pool(b);
    fl_world_event(b->w, now, b->c->name, "backend-join",
                   "%u backend%s join%s the pool (%u in all)%s", n, n == 1 ? "" : "s",
                   n == 1 ? "s" : "", b->npool,
                   b->policy == P_PINNED && b->max_age == 0 ? ": pinned connections stay"
                                                            : "");
}

static fl_status read_backends(balancer *b, const cJSON *arr, const char *path, fl_error *e)
{
    char p[300];
    fl_cfg_join(p, sizeof p, path, "backends");
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 ||
        cJSON_GetArraySize(arr) > MAX_BACKENDS)
        return fl_error_set(e, FL_INVALID, p,
                            "expected an array of 1 to %d backends, node names or "
                            "{\"node\": \"b3\", \"joins\": \"75s\"}",
                            MAX_BACKENDS);
    b->nbe = (uint32_t)cJSON_GetArraySize(arr);
    b->be = fl_calloc(b->nbe, sizeof *b->be);
    b->pool = fl_calloc(b->nbe, sizeof *b->pool);
    if (!b->be || !b->pool)
        return FL_NOMEM;
    static const char *const be_keys[] = {"node", "joins", "standby", NULL};
    uint32_t k = 0;
    fl_status st;
    for (const cJSON *it = arr->child; it; it = it->next, k++) {
        char ip[320];
        fl_cfg_index(ip, sizeof ip, p, (int)k);
        backend *be = &b->be[k];
        be->b = b;
        be->idx = k;
        if (cJSON_IsString(it)) {
            be->name = it->valuestring;
        } else if (cJSON_IsObject(it)) {
            if ((st = fl_cfg_known_keys(it, ip, be_keys, e)) ||
                (st = fl_cfg_string(it, ip, "node", FL_CFG_REQUIRED, NULL, &be->name, e)) ||
                (st = fl_cfg_duration(it, ip, "joins", FL_CFG_OPTIONAL, 0, 0, FL_TIME_MAX,
                                      &be->joins, e)) ||
                (st = fl_cfg_bool(it, ip, "standby", FL_CFG_OPTIONAL, false, &be->standby, e)))
                return st;
            if (be->standby && be->joins > 0) {
                char jp[340];
                return fl_error_set(e, FL_INVALID, fl_cfg_join(jp, sizeof jp, ip, "standby"),
                                    "a backend either joins at a time or waits on standby for "
                                    "an autoscaler, not both");
            }
            if (be->joins >= b->w->duration) {
                char jp[340];
                return fl_error_set(e, FL_INVALID, fl_cfg_join(jp, sizeof jp, ip, "joins"),
                                    "joins at or after the end of the run: it would never "
                                    "take a request");
            }
        } else {
            return fl_error_set(e, FL_INVALID, ip,
                                "expected a node name or {\"node\": \"b3\", \"joins\": \"75s\"}");
        }
        be->in_pool = be->joins == 0 && !be->standby;
        be->seed = fl_rng_hash_name(be->name);
        for (uint32_t j = 0; j < k; j++)
            if (strcmp(b->be[j].name, be->name) == 0)
                return fl_error_set(e, FL_INVALID, ip,
                                    "backend \"%s\" is listed twice (backends[%u])", be->name, j);
        if (be->joins > b->last_join)
            b->last_join = be->joins;
    }
    rebuild_pool(b);
    if (b->npool == 0)
        return fl_error_set(e, FL_INVALID, p,
                            "no backend is in the pool at the start: give at least one "
                            "without \"joins\" or \"standby\"");
    return FL_OK;
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    balancer *b = fl_calloc(1, sizeof *b);
    if (!b)
        return FL_NOMEM;
    c->state = b;
    b->w = w;
    b->c = c;
    b->cfg = cfg;
    snprintf(b->path, sizeof b->path, "%s", path);
    char p[300];
    long nconns;
    if (!cJSON_GetObjectItemCaseSensitive(cfg, "backends"))
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "backends"),
                            "required: the nodes the balancer spreads requests over");
    b->answer = b->old_answer = -1;
    b->last_stale = -1;
    if ((st = fl_cfg_enum(cfg, path, "policy", FL_CFG_OPTIONAL, P_ROUND_ROBIN, policies,
                          &b->policy, e)) ||
        (st = read_backends(b, cJSON_GetObjectItemCaseSensitive(cfg, "backends"), path, e)))
        return st;
    bool pinned = b->policy == P_PINNED;
    if (!pinned) {
        const char *only[] = {"connections", "max_connection_age"};
        for (int i = 0; i < 2; i++)
            if (cJSON_GetObjectItemCaseSensitive(cfg, only[i]))
                return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, only[i]),
                                    "only a \"pinned\" balancer has connections (policy is "
                                    "\"%s\", which balances every request)",
                                    policies[b->policy]);
    }
    if ((st = fl_kind_int(c, "connections", cfg, path, pinned ? FL_CFG_REQUIRED : FL_CFG_OPTIONAL,
                          0, &nconns, e)) ||
        (st = fl_kind_duration(c, "max_connection_age", cfg, path, FL_CFG_OPTIONAL, 0, &b->max_age,
                               e)))
        return st;
    const cJSON *ej = cJSON_GetObjectItemCaseSensitive(cfg, "eject");
    if (ej) {
        char ep[300];
        long n;
        fl_cfg_join(ep, sizeof ep, path, "eject");
        if (pinned)
            return fl_error_set(e, FL_INVALID, ep,
                                "a pinned connection would keep sending to an ejected backend "
                                "until it reopens: ejection is modelled for per-request policies "
                                "only");
        if ((st = fl_cfg_object(ej, ep, e)) ||
            (st = fl_kind_sub_keys(&fl_balancer_ops, "eject", ej, ep, e)) ||
            (st =
                 fl_kind_int(c, "eject.consecutive_failures", ej, ep, FL_CFG_OPTIONAL, 5, &n, e)) ||
            (st = fl_kind_duration(c, "eject.for", ej, ep, FL_CFG_OPTIONAL, 30 * FL_SEC,
                                   &b->eject_for, e)) ||
            (st = fl_kind_number(c, "eject.max_ejected_fraction", ej, ep, FL_CFG_OPTIONAL, 0.1,
                                 &b->eject_max, e)))
            return st;
        b->eject_after = (uint32_t)n;
    }
    const cJSON *hc = cJSON_GetObjectItemCaseSensitive(cfg, "health_check");
    if (hc) {
        char hp[300], q[340];
        fl_cfg_join(hp, sizeof hp, path, "health_check");
        if (pinned)
            return fl_error_set(e, FL_INVALID, hp,
                                "a pinned connection would keep sending to an unhealthy backend "
                                "until it reopens: health checks are modelled for per-request "
                                "policies only");
        if ((st = fl_cfg_object(hc, hp, e)) ||
            (st = fl_kind_sub_keys(&fl_balancer_ops, "health_check", hc, hp, e)) ||
            (st = fl_kind_duration(c, "health_check.interval", hc, hp, FL_CFG_OPTIONAL, 5 * FL_SEC,
                                   &b->hc_interval, e)) ||
            (st = fl_kind_duration(c, "health_check.timeout", hc, hp, FL_CFG_OPTIONAL, FL_SEC,
                                   &b->hc_timeout, e)) ||
            (st = fl_kind_int(c, "health_check.unhealthy_threshold", hc, hp, FL_CFG_OPTIONAL, 3,
                              &b->hc_down, e)) ||
            (st = fl_kind_int(c, "health_check.healthy_threshold", hc, hp, FL_CFG_OPTIONAL, 2,
                              &b->hc_up, e)))
            return st;
        if (b->hc_timeout > b->hc_interval)
            return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, hp, "timeout"),
                                "a check's timeout (%g s) is longer than the interval between "
                                "checks (%g s): checks would overlap",
                                fl_time_to_s(b->hc_timeout), fl_time_to_s(b->hc_interval));
        b->h_hc = fl_sim_handler(w->sim, on_hc, b);
        if (b->h_hc < 0)
            return FL_NOMEM;
    }
    const cJSON *dns = cJSON_GetObjectItemCaseSensitive(cfg, "dns");
    if (b->policy == P_FAILOVER && !hc)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "health_check"),
                            "required with \"failover\": the answer moves when the health "
                            "checks fail its backend");
    if (dns) {
        char dp[300];
        long nclients;
        double late;
        fl_cfg_join(dp, sizeof dp, path, "dns");
        if (b->policy != P_FAILOVER)
            return fl_error_set(e, FL_INVALID, dp, "only a \"failover\" balancer answers like "
                                                   "DNS (policy is \"%s\")",
                                policies[b->policy]);
        if ((st = fl_cfg_object(dns, dp, e)) ||
            (st = fl_kind_sub_keys(&fl_balancer_ops, "dns", dns, dp, e)) ||
            (st = fl_kind_duration(c, "dns.ttl", dns, dp, FL_CFG_REQUIRED, 0, &b->dns_ttl, e)) ||
            (st = fl_kind_int(c, "dns.clients", dns, dp, FL_CFG_OPTIONAL, 1000, &nclients, e)) ||
            (st = fl_kind_number(c, "dns.late_fraction", dns, dp, FL_CFG_OPTIONAL, 0, &late, e)) ||
            (st = fl_cfg_dist(dns, dp, "late_by", late > 0 ? FL_CFG_REQUIRED : FL_CFG_OPTIONAL,
                              NULL, &b->dns_late_by, e)))
            return st;
        if (late == 0 && b->dns_late_by) {
            char q[340];
            return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, dp, "late_by"),
                                "no client is late: give \"late_fraction\" too");
        }
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(dns, "shift");
        if (sh) {
            char sp[340];
            fl_cfg_join(sp, sizeof sp, dp, "shift");
            if ((st = fl_cfg_object(sh, sp, e)) ||
                (st = fl_kind_sub_keys(&fl_balancer_ops, "dns.shift", sh, sp, e)) ||
                (st = fl_kind_number(c, "dns.shift.step", sh, sp, FL_CFG_REQUIRED, 0,
                                     &b->shift_step, e)) ||
                (st = fl_kind_duration(c, "dns.shift.every", sh, sp, FL_CFG_REQUIRED, 0,
                                       &b->shift_every, e)))
                return st;
        }
        b->dns_clients = (uint32_t)nclients;
        b->dns_late = (uint32_t)(late * (double)nclients + 0.5);
        b->dns_cached = fl_calloc(b->dns_clients, sizeof *b->dns_cached);
        b->dns_expiry = fl_calloc(b->dns_clients, sizeof *b->dns_expiry);
        if (!b->dns_cached || !b->dns_expiry)
            return FL_NOMEM;
        fl_world_stream(w, &b->dns_rng, c->name, "dns");
        /* Caches filled before the run, at random times: they expire spread over one ttl. */
        for (uint32_t k = 0; k < b->dns_clients; k++) {
            b->dns_cached[k] = (uint32_t)b->answer;
            b->dns_expiry[k] = (fl_time)(fl_rng_uniform(&b->dns_rng) * (double)b->dns_ttl);
        }
        char col[300];
        snprintf(col, sizeof col, "%s.stale_per_s", c->name);
        if ((b->col_stale = fl_series_column(w->series, col, FL_SERIES_RATE)) < 0)
            return FL_NOMEM;
    }
    const cJSON *hk = cJSON_GetObjectItemCaseSensitive(cfg, "hot_keys");
    if (hk) {
        char hp[300];
        long keys, split, replicas;
        fl_cfg_join(hp, sizeof hp, path, "hot_keys");
        if (b->policy != P_HASH)
            return fl_error_set(e, FL_INVALID, hp,
                                "hot keys are a hashing balancer's (policy \"hash\"); policy "
                                "\"%s\" does not route by key", policies[b->policy]);
        if ((st = fl_cfg_object(hk, hp, e)) ||
            (st = fl_kind_sub_keys(&fl_balancer_ops, "hot_keys", hk, hp, e)) ||
            (st = fl_kind_int(c, "hot_keys.keys", hk, hp, FL_CFG_REQUIRED, 0, &keys, e)) ||
            (st = fl_kind_int(c, "hot_keys.split", hk, hp, FL_CFG_OPTIONAL, 0, &split, e)) ||
            (st = fl_kind_int(c, "hot_keys.replicas", hk, hp, FL_CFG_OPTIONAL, 0, &replicas, e)))
            return st;
        if ((split > 0) == (replicas > 0))
            return fl_error_set(e, FL_INVALID, hp,
                                "give one mitigation: \"split\" (key splitting over sub-keys) "
                                "or \"replicas\" (hot-key replication)");
        if (replicas > (long)b->nbe) {
            char rp[320];
            return fl_error_set(e, FL_INVALID, fl_cfg_join(rp, sizeof rp, hp, "replicas"),
                                "%ld replicas on %u backends: at most one per backend",
                                replicas, b->nbe);
        }
        b->hot_below = (uint64_t)keys;
        b->split = (uint32_t)split;
        b->replicas = (uint32_t)replicas;
        if (replicas && !(b->top = fl_calloc((size_t)replicas, sizeof *b->top)))
            return FL_NOMEM;
    }
    if (pinned) {
        b->nconns = (uint32_t)nconns;
        if (!(b->conns = fl_calloc(b->nconns, sizeof *b->conns)))
            return FL_NOMEM;
    }
    fl_world_stream(w, &b->rng, c->name, "choice");
    fl_world_stream(w, &b->age_rng, c->name, "connection_age");
    fl_world_stream(w, &b->hot_rng, c->name, "hot_keys");
    b->h_join = fl_sim_handler(w->sim, on_join, b);
    b->h_expire = fl_sim_handler(w->sim, on_expire, b);
    b->h_uneject = fl_sim_handler(w->sim, on_uneject, b);
    if (b->h_join < 0 || b->h_expire < 0 || b->h_uneject < 0)
        return FL_NOMEM;
    char col[300];
    for (uint32_t i = 0; i < b->nbe; i++) {
        snprintf(col, sizeof col, "%s.sent_per_s.%s", c->name, b->be[i].name);
        if ((b->be[i].col_sent = fl_series_column(w->series, col, FL_SERIES_RATE)) < 0)
            return FL_NOMEM;
    }
    snprintf(col, sizeof col, "%s.busiest_per_s", c->name);
    b->col_busiest = fl_series_column(w->series, col, FL_SERIES_LAST);
    snprintf(col, sizeof col, "%s.idlest_per_s", c->name);
    b->col_idlest = fl_series_column(w->series, col, FL_SERIES_LAST);
    snprintf(col, sizeof col, "%s.pool", c->name);
    b->col_pool = fl_series_column(w->series, col, FL_SERIES_LAST);
    if (b->col_busiest < 0 || b->col_idlest < 0 || b->col_pool < 0)
        return FL_NOMEM;
    /* Joins and the first connections are scheduled now (time 0). */
    for (uint32_t i = 0; i < b->nbe; i++)
        if (b->be[i].joins > 0 &&
            fl_sim_at(w->sim, b->be[i].joins, b->h_join, i) != FL_OK)
            return FL_NOMEM;
    for (uint32_t k = 0; k < b->nconns; k++)
        open_conn(b, k);
    return FL_OK;
}

static fl_status connect(fl_world *w, fl_component *c, fl_error *e)
{
    balancer *b = c->state;
    char p[300], ip[320];
    fl_status st;
    fl_cfg_join(p, sizeof p, b->path, "backends");
    fl_client_policy pol;
    if ((st = fl_client_policy_read(cJSON_GetObjectItemCaseSensitive(b->cfg, "client"),
                                    fl_cfg_join(ip, sizeof ip, b->path, "client"), false, &pol,
                                    e)))
        return st;
    for (uint32_t i = 0; i < b->nbe; i++) {
        backend *be = &b->be[i];
        fl_cfg_index(ip, sizeof ip, p, (int)i);
        if ((st = fl_world_find_node(w, be->name, c, NULL, ip, &be->node, e)))
            return st;
        char owner[300];
        snprintf(owner, sizeof owner, "%s->%s", c->name, be->name);
        if (!(be->to = fl_caller_new(w, owner, be->node, c->zone, &c->host, &pol, forwarded, be)))
            return FL_NOMEM;
        if (b->hc_interval) { /* one try under the check's timeout; the first checks spread
                                 over one interval */
            fl_client_policy hp;
            if ((st = fl_client_policy_read(NULL, ip, false, &hp, e)))
                return st;
            hp.timeout = b->hc_timeout;
            snprintf(owner, sizeof owner, "%s~health->%s", c->name, be->name);
            if (!(be->hc = fl_caller_new(w, owner, be->node, c->zone, &c->host, &hp, hc_done, be)) ||
                fl_sim_at(w->sim, (fl_time)((double)b->hc_interval * i / b->nbe), b->h_hc, i))
                return FL_NOMEM;
        }
    }
    b->cfg = NULL;
    /* A standby backend joins only when an autoscaler adds it: one must size this pool. */
    for (uint32_t i = 0; i < b->nbe; i++) {
        if (!b->be[i].standby)
            continue;
        bool sized = false;
        for (uint32_t k = 0; k < w->ncomps && !sized; k++) {
            const char *pool = fl__autoscaler_pool_name(w->comps[k]);
            sized = pool && strcmp(pool, c->name) == 0;
        }
        if (!sized)
            return fl_error_set(e, FL_INVALID, fl_cfg_index(ip, sizeof ip, p, (int)i),
                                "backend \"%s\" is on standby but no autoscaler sizes \"%s\" "
                                "(it would never join)",
                                b->be[i].name, c->name);
    }
    return FL_OK;
}

/* ---- what an autoscaler asks (balancer.h) ---- */

uint32_t fl__balancer_pool(const fl_component *lb)
{
    return ((const balancer *)lb->state)->npool;
}

uint32_t fl__balancer_pool_node(const fl_component *lb, uint32_t i)
{
    const balancer *b = lb->state;
    return b->be[b->pool[i]].node;
}

uint32_t fl__balancer_backend_node(const fl_component *lb, uint32_t i, uint32_t *n)
{
    const balancer *b = lb->state;
    *n = b->nbe;
    return i < b->nbe ? b->be[i].node : 0;
}

int fl__balancer_take_standby(fl_component *lb)
{
    balancer *b = lb->state;
    for (uint32_t i = 0; i < b->nbe; i++)
        if (b->be[i].standby && !b->be[i].in_pool && !b->be[i].taken) {
            b->be[i].taken = true;
            return (int)i;
        }
    return -1;
}

void fl__balancer_add(fl_component *lb, int idx)
{
    balancer *b = lb->state;
    b->be[idx].taken = false;
    b->be[idx].in_pool = true;
    rebuild_pool(b);
}

bool fl__balancer_remove(fl_component *lb)
{
    balancer *b = lb->state;
    for (uint32_t k = b->npool; k-- > 0;) {
        backend *be = &b->be[b->pool[k]];
        if (!be->standby || b->npool == 1)
            continue;
        be->in_pool = false;
        rebuild_pool(b);
        for (uint32_t j = 0; j < b->nconns; j++) /* its connections are closed: reopen */
            if (b->conns[j].be == be->idx) {
                be->conns--;
                uint32_t i = fewest_conns(b);
                b->conns[j].be = i;
                b->be[i].conns++;
            }
        return true;
    }
    return false;
}

fl_status fl__balancer_attach_rollout(fl_component *lb, fl_rollout *r, const char *path,
                                      fl_error *e)
{
    balancer *b = lb->state;
    if (b->rollout)
        return fl_error_set(e, FL_INVALID, path, "\"%s\" already takes a rollout: one at a "
                                                 "time per balancer (give it more waves)",
                            lb->name);
    b->rollout = r;
    char col[300];
    snprintf(col, sizeof col, "%s.new_version", lb->name);
    if ((b->col_new = fl_series_column(b->w->series, col, FL_SERIES_LAST)) < 0)
        return fl_error_set(e, FL_NOMEM, NULL, "out of memory");
    return FL_OK;
}

void fl__balancer_set_new(fl_component *lb, uint32_t i, bool on)
{
    balancer *b = lb->state;
    backend *be = &b->be[i];
    if (be->new_version != on)
        b->nnew += on ? 1 : (uint32_t)-1;
    be->new_version = on;
    be->h_calls = be->h_fails = 0;
    be->h_latency = 0;
    be->h_since = fl_sim_now(b->w->sim);
}

void fl__balancer_take_health(fl_component *lb, uint32_t i, uint64_t *calls, uint64_t *fails,
                              fl_time *latency)
{
    backend *be = &((balancer *)lb->state)->be[i];
    *calls = be->h_calls;
    *fails = be->h_fails;
    *latency = be->h_latency;
    be->h_calls = be->h_fails = 0;
    be->h_latency = 0;
}

double fl__balancer_take_latency(fl_component *lb, uint64_t *n)
{
    balancer *b = lb->state;
    double mean = b->lat_n ? fl_time_to_s(b->lat_sum) / (double)b->lat_n : 0;
    *n = b->lat_n;
    b->lat_sum = 0;
    b->lat_n = 0;
    return mean;
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    balancer *b = c->state;
    double win = fl_time_to_s(w->window);
    uint64_t hi = 0, lo = UINT64_MAX;
    for (uint32_t k = 0; k < b->npool; k++) {
        uint64_t s = b->be[b->pool[k]].window_sent;
        hi = s > hi ? s : hi;
        lo = s < lo ? s : lo;
    }
    for (uint32_t i = 0; i < b->nbe; i++)
        b->be[i].window_sent = 0;
    fl_series_add(w->series, b->col_busiest, t, (double)hi / win);
    fl_series_add(w->series, b->col_idlest, t, b->npool ? (double)lo / win : 0);
    fl_series_add(w->series, b->col_pool, t, b->npool);
    if (b->rollout)
        fl_series_add(w->series, b->col_new, t, b->nnew);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    (void)w;
    balancer *b = c->state;
    cJSON_AddStringToObject(out, "policy", policies[b->policy]);
    cJSON_AddNumberToObject(out, "backends", b->npool);
    cJSON_AddNumberToObject(out, "sent", (double)b->sent);
    cJSON_AddNumberToObject(out, "refused", (double)b->refused);
    if (b->policy == P_PINNED) {
        cJSON_AddNumberToObject(out, "connections", b->nconns);
        cJSON_AddNumberToObject(out, "reconnects", (double)b->reconnects);
    }
    if (b->eject_after)
        cJSON_AddNumberToObject(out, "ejections", (double)b->ejections);
    if (b->hc_interval) {
        uint64_t sent = 0, failed = 0;
        for (uint32_t i = 0; i < b->nbe; i++)
            sent += b->be[i].hc_sent, failed += b->be[i].hc_failed;
        cJSON *h = cJSON_AddObjectToObject(out, "health_checks");
        cJSON_AddNumberToObject(h, "sent", (double)sent);
        cJSON_AddNumberToObject(h, "failed", (double)failed);
        cJSON_AddNumberToObject(h, "unhealthy_events", (double)b->unhealthy_events);
        uint32_t bad = 0;
        for (uint32_t i = 0; i < b->nbe; i++)
            bad += b->be[i].unhealthy;
        cJSON_AddNumberToObject(h, "unhealthy_at_end", bad);
    }
    if (b->policy == P_FAILOVER) {
        cJSON_AddStringToObject(out, "answer", b->answer >= 0 ? b->be[b->answer].name : "");
        cJSON_AddNumberToObject(out, "failovers", (double)b->answer_changes);
    }
    if (b->dns_ttl) {
        cJSON *d = cJSON_AddObjectToObject(out, "dns");
        cJSON_AddNumberToObject(d, "resolutions", (double)b->resolutions);
        cJSON_AddNumberToObject(d, "stale_sent", (double)b->stale_sent);
        if (b->last_stale >= 0)
            cJSON_AddNumberToObject(d, "last_stale_s", fl_time_to_s(b->last_stale));
        else
            cJSON_AddNullToObject(d, "last_stale_s");
    }
    if (b->hot_below) {
        cJSON *h = cJSON_AddObjectToObject(out, "hot_keys");
        cJSON_AddNumberToObject(h, "keys", (double)b->hot_below);
        cJSON_AddStringToObject(h, "mitigation", b->split ? "split" : "replicas");
        cJSON_AddNumberToObject(h, "ways", b->split ? b->split : b->replicas);
        cJSON_AddNumberToObject(h, "sent", (double)b->hot_sent);
        cJSON_AddNumberToObject(h, "share", b->sent ? (double)b->hot_sent / (double)b->sent : 0);
        if (b->replicas)
            cJSON_AddNumberToObject(h, "write_copies", (double)b->copies);
    }
    uint64_t total = 0, hi = 0;
    for (uint32_t k = 0; k < b->npool; k++) {
        uint64_t s = b->be[b->pool[k]].sent_after;
        total += s;
        hi = s > hi ? s : hi;
    }
    double mean = b->npool ? (double)total / b->npool : 0;
    uint32_t idle = 0;
    for (uint32_t k = 0; k < b->npool; k++)
        idle += (double)b->be[b->pool[k]].sent_after < 0.1 * mean;
    cJSON *aj = cJSON_AddObjectToObject(out, "after_join");
    cJSON_AddNumberToObject(aj, "from_s", fl_time_to_s(b->last_join > w->warmup ? b->last_join
                                                                                : w->warmup));
    cJSON_AddNumberToObject(aj, "sent", (double)total);
    cJSON_AddNumberToObject(aj, "max_to_mean", mean > 0 ? (double)hi / mean : 0);
    cJSON_AddNumberToObject(aj, "idle_backends", idle);
    cJSON *bes = cJSON_AddObjectToObject(out, "by_backend");
    for (uint32_t i = 0; i < b->nbe; i++) {
        backend *be = &b->be[i];
        cJSON *o = cJSON_AddObjectToObject(bes, be->name);
        cJSON_AddNumberToObject(o, "sent", (double)be->sent);
        cJSON_AddNumberToObject(o, "sent_after_join", (double)be->sent_after);
        if (b->policy == P_PINNED)
            cJSON_AddNumberToObject(o, "connections", be->conns);
        if (b->eject_after)
            cJSON_AddNumberToObject(o, "ejections", (double)be->ejections);
        fl_caller_report(be->to, cJSON_AddObjectToObject(o, "calls"));
    }
    if (b->rollout)
        fl__rollout_report(b->rollout, cJSON_AddObjectToObject(out, "rollout"));
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)w; /* only crash and rollout reach here (the descriptor's faults) */
    balancer *b = c->state;
    if (f->kind == FL_FAULT_ROLLOUT) {
        if (begin) /* its end is its rollback, which the rollout decides */
            fl__rollout_begin(f->rollout);
        return;
    }
    b->down = begin;
    if (begin)
        b->gen++;
}

static void destroy(fl_component *c)
{
    balancer *b = c->state;
    if (!b)
        return;
    fl_free(b->be); /* the callers belong to the world */
    fl_free(b->pool);
    fl_free(b->conns);
    fl_free(b->dns_cached);
    fl_free(b->dns_expiry);
    fl_dist_free(b->dns_late_by);
    fl_free(b->top);
    fl_free(b);
}

/* The kind's descriptor (world.h). */
static const fl_kind_param kind_params[] = {
    {"backends", "array of node names or `{\"node\": N, \"joins\": duration}` or `{\"node\": N, \"standby\": true}`", "",
     "required", "`[\"b1\", {\"node\": \"b2\", \"joins\": \"75s\"}]`",
     "1 to 256 nodes the balancer spreads requests over. A name is in the pool from the "
     "start; `joins` adds the node to the pool at that time (a scheduled scale-out, a "
     "`backend-join` event); `\"standby\": true` keeps it out until an `autoscaler` sizing "
     "this balancer adds it (refused without one). At least one must be in the pool from "
     "the start",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"policy", "`\"round_robin\"`, `\"random\"`, `\"least_outstanding\"`, `\"p2c\"`, "
               "`\"hash\"`, `\"pinned\"` or `\"failover\"`",
     "", "`\"round_robin\"`", "`\"p2c\"`",
     "how a backend is chosen: per request in turn, at random, the fewest in flight from "
     "this balancer, the better of two random ones, rendezvous hashing of the request's "
     "key; `pinned`: per connection, when it is opened (below); `failover`: the first "
     "healthy backend in list order (active-passive, or DNS with `dns`)", FL_KV_OTHER,
     FL_NO_BOUNDS},
    {"connections", "integer 1..100000", "connections", "required with `pinned`, refused "
     "otherwise", "`40`",
     "long-lived client connections (HTTP/2, gRPC channels), opened at the start each to the "
     "backend with the fewest; every request travels on one drawn uniformly", FL_KV_INTEGER, FL_RANGE(1, MAX_CONNECTIONS)},
    {"max_connection_age", "duration, at least 1 ms", "", "none (connections live for ever)",
     "`\"30s\"`",
     "`pinned` only: a connection is closed after this age x U(0.9, 1.1) and reopened at once "
     "to the backend with the fewest connections then", FL_KV_DURATION, FL_AT_LEAST(0.001)},
    {"eject.consecutive_failures", "integer 1..10^6", "calls", "`5` with `eject`", "`5`",
     "passive ejection (outlier detection, as Envoy's `consecutive_gateway_failure`): a "
     "backend whose last this many calls were `refused` (it is down) or timed out leaves the "
     "pool for `eject.for`; refused with `pinned`",
     FL_KV_INTEGER, FL_RANGE(1, 1000000)},
    {"eject.for", "duration 1ms..24h", "", "`\"30s\"`", "`\"10s\"`",
     "how long an ejected backend stays out", FL_KV_DURATION, FL_RANGE(0.001, 86400)},
    {"eject.max_ejected_fraction", "number 0..1", "", "`0.1`", "`0.5`",
     "at most this fraction of the backends out at once (at least one, never the last in the "
     "pool)", FL_KV_NUMBER, FL_RANGE(0, 1)},
    {"health_check.interval", "duration 10ms..1h", "", "`\"5s\"` with `health_check`",
     "`\"10s\"`",
     "active health checks: every interval each backend is sent a request (a real one, which "
     "its workers answer, so a saturated, paused or hung backend fails it too); refused with "
     "`pinned`",
     FL_KV_DURATION, FL_RANGE(0.01, 3600)},
    {"health_check.timeout", "duration 1ms..1h", "", "`\"1s\"`", "`\"2s\"`",
     "a check not answered ok within this fails (at most the interval)", FL_KV_DURATION,
     FL_RANGE(0.001, 3600)},
    {"health_check.unhealthy_threshold", "integer 1..100", "checks", "`3`", "`3`",
     "failed checks in a row that take a backend out of the pool (`backend-unhealthy`)",
     FL_KV_INTEGER, FL_RANGE(1, 100)},
    {"health_check.healthy_threshold", "integer 1..100", "checks", "`2`", "`2`",
     "passed checks in a row that bring it back (`backend-healthy`)", FL_KV_INTEGER,
     FL_RANGE(1, 100)},
    {"dns.ttl", "duration 1s..24h", "", "required with `dns`", "`\"60s\"`",
     "`failover` only: the balancer is a name that resolves to its answer (the first healthy "
     "backend); each client caches the answer it resolved for this long, and keeps sending "
     "there, healthy or not, until its cache expires (caches filled before the run expire "
     "spread over one ttl)",
     FL_KV_DURATION, FL_RANGE(1, 86400)},
    {"dns.clients", "integer 1..10^6", "clients", "`1000`", "`1000`",
     "resolver caches: each request comes from one drawn uniformly", FL_KV_INTEGER,
     FL_RANGE(1, MAX_DNS_CLIENTS)},
    {"dns.shift.step", "number 0.01..1", "", "required with `dns.shift`", "`0.25`",
     "staged failover (weighted records shifted in steps): after the answer changes, a "
     "resolution gets the new answer with probability step x (1 + the steps elapsed), else "
     "the old one, healthy or not",
     FL_KV_NUMBER, FL_RANGE(0.01, 1)},
    {"dns.shift.every", "duration 1s..24h", "", "required with `dns.shift`", "`\"2m\"`",
     "time between two steps of the shift", FL_KV_DURATION, FL_RANGE(1, 86400)},
    {"dns.late_fraction", "number 0..1", "", "`0`", "`0.05`",
     "this fraction of the clients keep an answer longer than the ttl (resolvers and "
     "runtimes that cache past it)", FL_KV_NUMBER, FL_RANGE(0, 1)},
    {"dns.late_by", "distribution", "", "required with `late_fraction`", "`\"exp(10m)\"`",
     "how much longer a late client keeps each answer, drawn at each resolution",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"hot_keys.keys", "integer 1..10^7", "keys", "required with `hot_keys`", "`1`",
     "`hash` only: the keys below this are hot (a zipf workload ranks its keys from 0, the "
     "most popular first) and take the mitigation below", FL_KV_INTEGER, FL_RANGE(1, 10000000)},
    {"hot_keys.split", "integer 2..1024", "sub-keys", "none", "`8`",
     "key splitting: a hot key's request goes to one of this many sub-keys drawn uniformly, "
     "each hashed on its own (a write lands on one sub-key, a read reads one: the "
     "application merges them); one of `split` and `replicas`", FL_KV_INTEGER,
     FL_RANGE(2, 1024)},
    {"hot_keys.replicas", "integer 2..64", "backends", "none", "`3`",
     "hot-key replication: a hot key is held by the first this many backends of its "
     "rendezvous order; a read goes to one drawn uniformly, a write to all of them (the "
     "first answers); at most the number of backends", FL_KV_INTEGER, FL_RANGE(2, 64)},
    {"client", "client policy", "", "one try, no timeout", "`{\"timeout\": \"1s\"}`",
     "the `client.*` keys of a workload but `slo`, for the calls to a backend (a retry goes "
     "to the same backend)", FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"sent_per_s.*", "/s", "requests sent to each backend"},
    {"busiest_per_s", "/s", "requests sent to the busiest backend in the pool during the window"},
    {"idlest_per_s", "/s", "requests sent to the idlest backend in the pool during the window"},
    {"pool", "backends", "backends in the pool"},
    {"new_version", "backends", "backends running a rollout's new version (with a rollout)"},
    {"stale_per_s", "/s", "requests sent to a cached answer that is no longer the answer (with "
                          "`dns`)"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_balancer_ops = {
    .kind = "balancer",
    .about = "a load balancer over backend nodes: per-request policies, consistent hashing, "
             "or connections pinned when opened",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .connect = connect,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(ROLLOUT),
    .fault = fault,
    .destroy = destroy,
};
