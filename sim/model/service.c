/* The `service` component: a node whose workers serve requests from a bounded queue.
 *
 *   {"name": "api", "kind": "service", "workers": 4, "service_time": "exp(1ms)",
 *    "queue": {"capacity": 1000, "discipline": "fifo", "max_wait": "2s",
 *              "drop_expired": true}}
 *
 * The queue is unbounded unless it has a capacity ("capacity": "unbounded" says so
 * explicitly); "capacity": 0 leaves no waiting room: an arrival that finds every worker
 * busy is rejected at once (a loss system, Erlang B).
 *
 *   "calls": [{"to": "pricing", "client": {"timeout": "1s", "attempts": 3}}]
 *
 * Every request takes one service-time draw from the node's own stream. With "calls",
 * the worker then calls each dependency in turn, each under its own client policy, and
 * stays busy while it waits (a thread per request): the reply goes back when the last call
 * succeeds, or as a "dependency" error as soon as one fails after its retries. A request
 * carries its deadline down the chain when the caller propagates it. With
 * drop_expired, a request whose propagated deadline has passed is dropped when it reaches
 * the head of the queue instead of being served for a caller who has gone. Service time
 * spent on requests whose caller had already given up is counted as wasted work.
 *
 *   "restart": {"warmup": "60s", "factor": 3}
 *
 *   "calls": [{"to": "db", "keys": {"from": 0, "to": 96}, ...},
 *             {"to": "db", "keys": {"from": 97, "to": 99}, ...}]
 *   "by_key": [{"from": 97, "to": 99, "service_time": "const(60s)"}]
 *
 *   "fanout": "parallel"
 *
 * calls its dependencies all at once instead of one after the other: the request is
 * answered when the last succeeds, or as a "dependency" error as soon as one fails.
 *
 * A call with "keys" is made only for requests whose key lies in [from, to]: two calls to
 * one dependency with separate pools form a bulkhead (one class of requests cannot take the
 * other's connections). "by_key" gives a key range its own service time (a slow endpoint,
 * a heavy query).
 *
 * After a crash, a restarted node is cold (JIT, caches, connection pools): its service
 * times start `factor` times longer and return linearly to normal over `warmup`.
 *
 *   "max_execution": "2s", "cancel_on_client_giveup": true
 *
 * are server-side cancellation. max_execution (a database's statement_timeout) aborts work
 * that has run longer than that since a worker took it (service time and the wait on its
 * calls): the worker is freed at once and the request fails "cancelled". With
 * cancel_on_client_giveup the server hears when a caller's timeout fires (as HTTP/2 and
 * gRPC carry a cancellation): work in service is aborted then, and a queued request is
 * dropped when it reaches the head of the queue, both "cancelled". Without either, the
 * server finishes work nobody waits for: wasted_work_s counts the service time spent on
 * tries whose client had given up when they ended; cancelled_work_s the time spent on work
 * that was then aborted. An aborted request's calls still in flight are not cancelled in
 * turn: their replies are ignored, and they hold their connections until they end (the
 * callee cancels them only if it cancels on give-up and their timeouts fire).
 *
 *   "memory": {"limit_mb": 4096, "base_mb": 1024, "per_request_mb": 0.4, "restart_after": "30s"}
 *
 * bounds the node's memory: it holds base_mb plus per_request_mb for every request in it
 * (queued or in service). An arrival that would take it over limit_mb gets the node killed
 * (out of memory, an `oom` event): every request it holds is lost with no reply, arrivals
 * are refused, and it restarts restart_after later, empty and (with "restart") cold. An
 * arrival a full queue will reject holds no memory. Without a bound on the queue, a node
 * that receives more than it serves is killed when (limit - base) / per_request requests
 * have piled up; a bounded queue or shedding keeps it alive.
 *
 * A "hang" fault makes the node accept requests and never answer them (faults.c): what it
 * holds when the hang begins and whatever arrives while it lasts get no reply, so every
 * caller waits for its own timeout (a crash instead refuses at once).
 *
 * A staged rollout (rollout.c) may run a bad version on the node: its service times
 * multiplied by the effect's cpu_factor (composed with slow faults), error_rate of its
 * arrivals answered `server_error` at once (drawn from the node's own stream), or the node
 * down while it runs the version (crash: arrivals refused, what it held lost, a cold
 * restart when the old version is back). */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/balancer.h"
#include "model/caller.h"
#include "model/rollout.h"
#include "model/world.h"
#include "node/station.h"

typedef struct service {
    fl_world *w;
    fl_station *st;
    fl_station_ops ops; /* station_ops without the checks this node never needs */
    fl_dist *service_time;
    fl_rng rng;
    int col_in_system, col_busy;
    bool drop_expired;
    fl_time wasted;     /* service time spent on tries whose client had given up */
    fl_time work;       /* all service time (measured window) */
    uint64_t refused;
    fl_time cancelled_work; /* service time spent on work that was then aborted */
    bool cancel_giveup;     /* cancel_on_client_giveup */
    bool limited;           /* max_execution set: report the cancelled figures */
    int hung;               /* hang faults in force */
    uint64_t swallowed;     /* requests the node took in and never answered (hangs) */
    fl_time warmup;       /* restart: how long the node stays cold */
    double cold_factor;   /* restart: service-time multiplier just after a restart */
    fl_time restarted_at; /* the last restart, or -1 */
    uint64_t restarts;

    const cJSON *cfg;   /* the node's JSON, valid until connect() has run */
    char path[64];
    fl_caller **calls;  /* dependencies, called in order */
    uint32_t *callee;   /* their component indices */
    uint64_t *call_lo, *call_hi; /* the keys each call is made for */
    struct by_key { uint64_t lo, hi; fl_dist *d; } *by_key; /* service time per key range */
    int nby_key;
    int ncalls;
    uint32_t *slot_req, *slot_gen; /* per worker: the request it holds, and a generation */
    uint8_t *slot_call;            /* sequential: the dependency being called; parallel: the
                                      calls still out */
    bool parallel;                 /* fanout: every call at once */
    int nslots;
    int nworkers;
    long qcap; /* queue capacity, -1: unbounded */
    /* Memory bound: base + per_request x requests in the node; over the limit the node is
     * killed (OOM) and restarts after restart_after. */
    double mem_limit, mem_base, mem_per; /* MB; mem_limit 0: no bound */
    fl_time oom_restart;
    bool oom_down;
    bool crashed;          /* a crash fault is in force */
    int h_oom_restart;
    int col_memory;
    uint64_t oom_kills;    /* after the warm-up */
    uint32_t oom_all;      /* every kill, for the events' labels */
    double mem_peak;
    fl_time first_oom;     /* -1: none */
    /* A rollout's bad version (rollout.c): its effect while it runs here. */
    double version_factor;  /* service-time multiplier, 1 when none */
    double version_errors;  /* fraction answered server_error, 0 when none */
    bool version_down;      /* the version crashes the node */
    bool versioned;         /* a rollout reached this node: report server_errors */
    fl_rng version_rng;
    uint64_t server_errors; /* after the warm-up */
} service;

static void oom_restart(fl_sim *sim, void *ctx, uint64_t arg);
static const char *const call_keys[] = {"to", "client", "keys", NULL};
static const char *const range_keys[] = {"from", "to", NULL};
static const char *const by_key_keys[] = {"from", "to", "service_time", NULL};
static const char *const disciplines[] = {"fifo", "lifo", NULL};

static fl_time svc_time(void *ctx, uint32_t id)
{
    service *s = ctx;
    const fl_dist *d = s->service_time;
    if (s->nby_key) {
        uint64_t key = fl_req_at(s->w, id)->key;
        for (int i = 0; i < s->nby_key; i++)
            if (key >= s->by_key[i].lo && key <= s->by_key[i].hi) {
                d = s->by_key[i].d;
                break;
            }
    }
    fl_time t = fl_dist_sample(d, &s->rng);
    if (s->restarted_at >= 0) { /* still warming up after a restart? */
        fl_time since = fl_sim_now(s->w->sim) - s->restarted_at;
        if (since < s->warmup) {
            double left = 1 - (double)since / (double)s->warmup;
            t = (fl_time)((double)t * (1 + (s->cold_factor - 1) * left));
        }
    }
    return t;
}

static void svc_done(void *ctx, uint32_t id, fl_station_end how, fl_time arrive, fl_time start)
{
    service *s = ctx;
    fl_world *w = s->w;
    if (how == FL_STATION_LOST) { /* crashed or hung: no reply is ever sent; the client
                                     times out */
        if (s->hung && arrive >= w->warmup)
            s->swallowed++;
        fl_req_server_done(w, id);
        return;
    }
    if ((how == FL_STATION_SERVED || (how == FL_STATION_CANCELLED && start >= 0)) &&
        arrive >= w->warmup) {
        fl_time now = fl_sim_now(w->sim), busy = now - start;
        s->work += busy;
        if (fl_req_at(w, id)->client_done)
            s->wasted += busy;
        if (how == FL_STATION_CANCELLED)
            s->cancelled_work += busy;
    }
    /* A served request answers OK unless a dependency failed (call_done set that). */
    fl_outcome o = how == FL_STATION_SERVED     ? (fl_outcome)fl_req_at(w, id)->outcome
                   : how == FL_STATION_REJECTED ? FL_OUT_REJECTED
                   : how == FL_STATION_DROPPED  ? FL_OUT_DEADLINE
                   : how == FL_STATION_CANCELLED ? FL_OUT_CANCELLED
                                                : FL_OUT_EXPIRED;
    fl_world_reply(w, id, o);
}

static bool svc_expired(void *ctx, uint32_t id, fl_time now)
{
    service *s = ctx;
    return s->drop_expired && now > fl_req_at(s->w, id)->deadline;
}

static bool svc_hold(void *ctx, uint32_t id, int slot);

/* cancel_on_client_giveup: a queued request whose caller timed out is not served. A copy
 * the network made is not given up by anyone: it is served. */
static bool svc_abandoned(void *ctx, uint32_t id)
{
    service *s = ctx;
    const fl_req *r = fl_req_at(s->w, id);
    return r->client_done && !r->dup;
}

/* Work held on `slot` is aborted: replies to its calls in flight must release nothing. */
static void svc_aborted(void *ctx, uint32_t id, int slot)
{
    (void)id;
    service *s = ctx;
    if (s->slot_gen)
        s->slot_gen[slot]++;
}

static const fl_station_ops station_ops = {svc_time,  svc_done,      svc_expired,
                                           svc_hold,  svc_abandoned, svc_aborted};

/* The first call at or after k made for requests with this key; ncalls when none. */
static int next_call(const service *s, int k, uint64_t key)
{
    while (k < s->ncalls && (key < s->call_lo[k] || key > s->call_hi[k]))
        k++;
    return k;
}

/* Calls dependency k for the request held on `slot`. */
static void call_dep(service *s, int slot, int k)
{
    fl_req *r = fl_req_at(s->w, s->slot_req[slot]);
    if (!s->parallel)
        s->slot_call[slot] = (uint8_t)k;
    fl_time deadline = fl_caller_policy(s->calls[k])->propagate_deadline ? r->deadline
                                                                         : FL_TIME_MAX;
    /* The dependency is asked the same thing (a service forwards its request's call). */
    fl_call call = {r->key, r->value, r->verb};
    fl_caller_call(s->calls[k], ((uint64_t)s->slot_gen[slot] << 32) | (uint32_t)slot, deadline,
                   &call);
}

static bool svc_hold(void *ctx, uint32_t id, int slot)
{
    service *s = ctx;
    if (!s->ncalls)
        return false;
    int k = next_call(s, 0, fl_req_at(s->w, id)->key);
    if (k == s->ncalls)
        return false; /* no dependency for this key: served on its own */
    s->slot_req[slot] = id;
    uint32_t gen = ++s->slot_gen[slot];
    if (!s->parallel) {
        call_dep(s, slot, k);
        return true;
    }
    uint8_t n = 0;
    for (int j = k; j < s->ncalls; j = next_call(s, j + 1, fl_req_at(s->w, id)->key))
        n++;
    s->slot_call[slot] = n;
    /* A call may end at once (refused): stop when the request has been answered. */
    for (int j = k; j < s->ncalls && s->slot_gen[slot] == gen;
         j = next_call(s, j + 1, fl_req_at(s->w, id)->key))
        call_dep(s, slot, j);
    return true;
}

/* A dependency call ended: call the next, or answer the request. */
static void call_done(void *ctx, uint64_t tag, fl_outcome o, fl_time t_start, int64_t value)
{
    (void)t_start;
    service *s = ctx;
    int slot = (int)(uint32_t)tag;
    if ((uint32_t)(tag >> 32) != s->slot_gen[slot])
        return; /* the request was lost in a crash meanwhile */
    if (o == FL_OUT_OK && value != FL_VALUE_NONE)
        fl_req_at(s->w, s->slot_req[slot])->value = value; /* a read's answer travels back */
    if (s->parallel && o == FL_OUT_OK && --s->slot_call[slot] > 0)
        return; /* others still out */
    int next = s->parallel ? s->ncalls
               : o == FL_OUT_OK ? next_call(s, s->slot_call[slot] + 1,
                                          fl_req_at(s->w, s->slot_req[slot])->key)
                              : s->ncalls;
    if (next < s->ncalls) {
        call_dep(s, slot, next);
        return;
    }
    fl_req_at(s->w, s->slot_req[slot])->outcome = (uint8_t)(o == FL_OUT_OK ? FL_OUT_OK
                                                                           : FL_OUT_DEPENDENCY);
    s->slot_gen[slot]++;
    fl_station_release(s->st, slot);
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    service *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->state = s;
    s->w = w;
    long workers;
    fl_station_cfg sc = {0};
    if ((st = fl_kind_int(c, "workers", cfg, path, FL_CFG_OPTIONAL, 1, &workers, e)) ||
        (st = fl_cfg_dist(cfg, path, "service_time", FL_CFG_REQUIRED, NULL, &s->service_time, e)))
        return st;
    sc.workers = (int)workers;
    s->nworkers = sc.workers;
    s->qcap = -1;
    s->cfg = cfg;
    snprintf(s->path, sizeof s->path, "%s", path);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(cfg, "calls");
    if (calls) {
        char cp[300];
        fl_cfg_join(cp, sizeof cp, path, "calls");
        if (!cJSON_IsArray(calls) || cJSON_GetArraySize(calls) > 32)
            return fl_error_set(e, FL_INVALID, cp, "expected an array of at most 32 calls, such "
                                                   "as [{\"to\": \"db\", \"client\": {\"timeout\": \"1s\"}}]");
        s->ncalls = cJSON_GetArraySize(calls);
        s->nslots = sc.workers;
        s->calls = fl_calloc((size_t)s->ncalls + 1, sizeof *s->calls);
        s->callee = fl_calloc((size_t)s->ncalls + 1, sizeof *s->callee);
        s->call_lo = fl_calloc((size_t)s->ncalls + 1, sizeof *s->call_lo);
        s->call_hi = fl_calloc((size_t)s->ncalls + 1, sizeof *s->call_hi);
        if (!s->call_lo || !s->call_hi)
            return FL_NOMEM;
        s->slot_req = fl_calloc((size_t)sc.workers, sizeof *s->slot_req);
        s->slot_gen = fl_calloc((size_t)sc.workers, sizeof *s->slot_gen);
        s->slot_call = fl_calloc((size_t)sc.workers, sizeof *s->slot_call);
        if (!s->calls || !s->callee || !s->slot_req || !s->slot_gen || !s->slot_call)
            return FL_NOMEM;
    }
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(cfg, "queue");
    if (q) {
        char qp[256];
        fl_cfg_join(qp, sizeof qp, path, "queue");
        long cap;
        int disc;
        if ((st = fl_cfg_object(q, qp, e)) ||
            (st = fl_kind_sub_keys(&fl_service_ops, "queue", q, qp, e)) ||
            (st = fl_kind_limit(c, "queue.capacity", q, qp, FL_CFG_OPTIONAL, -1, &cap, e)) ||
            (st = fl_cfg_enum(q, qp, "discipline", FL_CFG_OPTIONAL, 0, disciplines, &disc, e)) ||
            (st = fl_kind_duration(c, "queue.max_wait", q, qp, FL_CFG_OPTIONAL, 0, &sc.max_wait,
                                   e)) ||
            (st = fl_cfg_bool(q, qp, "drop_expired", FL_CFG_OPTIONAL, false, &s->drop_expired, e)))
            return st;
        sc.bounded = cap >= 0;
        s->qcap = cap;
        sc.capacity = cap >= 0 ? (uint64_t)cap : 0;
        sc.lifo = disc == 1;
    }
    static const char *const fanouts[] = {"sequential", "parallel", NULL};
    int fan;
    if ((st = fl_cfg_enum(cfg, path, "fanout", FL_CFG_OPTIONAL, 0, fanouts, &fan, e)))
        return st;
    s->parallel = fan == 1;
    const cJSON *bk = cJSON_GetObjectItemCaseSensitive(cfg, "by_key");
    if (bk) {
        char bp[256], ip[280];
        fl_cfg_join(bp, sizeof bp, path, "by_key");
        if (!cJSON_IsArray(bk) || cJSON_GetArraySize(bk) < 1 || cJSON_GetArraySize(bk) > 64)
            return fl_error_set(e, FL_INVALID, bp, "expected an array of 1 to 64 {\"from\": K, "
                                                   "\"to\": K, \"service_time\": \"...\"}");
        s->by_key = fl_calloc((size_t)cJSON_GetArraySize(bk), sizeof *s->by_key);
        if (!s->by_key)
            return FL_NOMEM;
        int i = 0;
        for (const cJSON *it = bk->child; it; it = it->next, i++) {
            fl_cfg_index(ip, sizeof ip, bp, i);
            double lo, hi;
            if ((st = fl_cfg_object(it, ip, e)) || (st = fl_cfg_known_keys(it, ip, by_key_keys, e)) ||
                (st = fl_cfg_number(it, ip, "from", FL_CFG_REQUIRED, 0, 0, 9e15, &lo, e)) ||
                (st = fl_cfg_number(it, ip, "to", FL_CFG_REQUIRED, 0, lo, 9e15, &hi, e)) ||
                (st = fl_cfg_dist(it, ip, "service_time", FL_CFG_REQUIRED, NULL, &s->by_key[i].d, e)))
                return st;
            s->by_key[i].lo = (uint64_t)lo;
            s->by_key[i].hi = (uint64_t)hi;
            s->nby_key = i + 1;
        }
    }
    if ((st = fl_kind_duration(c, "max_execution", cfg, path, FL_CFG_OPTIONAL, 0, &sc.max_exec,
                               e)) ||
        (st = fl_cfg_bool(cfg, path, "cancel_on_client_giveup", FL_CFG_OPTIONAL, false,
                          &s->cancel_giveup, e)))
        return st;
    sc.cancel_on_giveup = s->cancel_giveup;
    s->limited = sc.max_exec > 0;
    s->restarted_at = -1;
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(cfg, "restart");
    if (rs) {
        char rp[256];
        fl_cfg_join(rp, sizeof rp, path, "restart");
        if ((st = fl_cfg_object(rs, rp, e)) ||
            (st = fl_kind_sub_keys(&fl_service_ops, "restart", rs, rp, e)) ||
            (st = fl_kind_duration(c, "restart.warmup", rs, rp, FL_CFG_REQUIRED, 0, &s->warmup,
                                   e)) ||
            (st = fl_kind_number(c, "restart.factor", rs, rp, FL_CFG_OPTIONAL, 2, &s->cold_factor,
                                 e)))
            return st;
    }
    s->first_oom = -1;
    s->version_factor = 1;
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(cfg, "memory");
    if (mem) {
        char mp[256], lp[280];
        fl_cfg_join(mp, sizeof mp, path, "memory");
        if ((st = fl_cfg_object(mem, mp, e)) ||
            (st = fl_kind_sub_keys(&fl_service_ops, "memory", mem, mp, e)) ||
            (st = fl_kind_number(c, "memory.limit_mb", mem, mp, FL_CFG_REQUIRED, 0, &s->mem_limit,
                                 e)) ||
            (st = fl_kind_number(c, "memory.base_mb", mem, mp, FL_CFG_OPTIONAL, 0, &s->mem_base,
                                 e)) ||
            (st = fl_kind_number(c, "memory.per_request_mb", mem, mp, FL_CFG_REQUIRED, 0,
                                 &s->mem_per, e)) ||
            (st = fl_kind_duration(c, "memory.restart_after", mem, mp, FL_CFG_OPTIONAL, 30 * FL_SEC,
                                   &s->oom_restart, e)))
            return st;
        if (s->mem_base + s->mem_per * sc.workers > s->mem_limit)
            return fl_error_set(e, FL_INVALID, fl_cfg_join(lp, sizeof lp, mp, "limit_mb"),
                                "%g MB cannot hold base_mb + per_request_mb x workers = %g MB: the "
                                "node could not serve even its workers' requests",
                                s->mem_limit, s->mem_base + s->mem_per * sc.workers);
        s->h_oom_restart = fl_sim_handler(w->sim, oom_restart, c);
        char col[200];
        snprintf(col, sizeof col, "%s.memory_mb", c->name);
        s->col_memory = fl_series_column(w->series, col, FL_SERIES_MAX);
        if (s->h_oom_restart < 0 || s->col_memory < 0)
            return FL_NOMEM;
    }
    sc.stats_from = w->warmup;
    sc.host = &c->host;
    sc.stats_to = w->duration;
    fl_world_stream(w, &s->rng, c->name, "service_time");
    /* Set at load and never changed: a node that drops nothing expired and calls no
     * dependency leaves those hooks out, so the station skips two calls per request. */
    s->ops = station_ops;
    if (!s->drop_expired)
        s->ops.expired = NULL;
    if (!s->ncalls)
        s->ops.hold = NULL;
    s->st = fl_station_new(w->sim, &sc, &s->ops, s);
    if (!s->st)
        return FL_NOMEM;
    char col[200];
    snprintf(col, sizeof col, "%s.in_system_max", c->name);
    s->col_in_system = fl_series_column(w->series, col, FL_SERIES_MAX);
    snprintf(col, sizeof col, "%s.busy", c->name);
    s->col_busy = fl_series_column(w->series, col, FL_SERIES_LAST);
    if (s->col_in_system < 0 || s->col_busy < 0)
        return FL_NOMEM;
    return FL_OK;
}

/* Resolves "calls" now that every node exists: one caller per dependency. */
static fl_status connect(fl_world *w, fl_component *c, fl_error *e)
{
    service *s = c->state;
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(s->cfg, "calls");
    int k = 0;
    fl_status st;
    for (const cJSON *cl = calls ? calls->child : NULL; cl; cl = cl->next, k++) {
        char cp[300], p[340];
        fl_cfg_join(p, sizeof p, s->path, "calls");
        fl_cfg_index(cp, sizeof cp, p, k);
        const char *to;
        fl_client_policy pol;
        if ((st = fl_cfg_object(cl, cp, e)) || (st = fl_cfg_known_keys(cl, cp, call_keys, e)) ||
            (st = fl_cfg_string(cl, cp, "to", FL_CFG_REQUIRED, NULL, &to, e)) ||
            (st = fl_client_policy_read(cJSON_GetObjectItemCaseSensitive(cl, "client"),
                                        fl_cfg_join(p, sizeof p, cp, "client"), false, &pol, e)))
            return st;
        uint32_t t; /* calling itself is a cycle: fl_service_check_cycles says so */
        if ((st = fl_world_find_node(w, to, NULL, NULL, fl_cfg_join(p, sizeof p, cp, "to"), &t, e)))
            return st;
        s->call_lo[k] = 0;
        s->call_hi[k] = UINT64_MAX;
        const cJSON *kr = cJSON_GetObjectItemCaseSensitive(cl, "keys");
        if (kr) {
            char kp[360];
            double lo, hi;
            fl_cfg_join(kp, sizeof kp, cp, "keys");
            if ((st = fl_cfg_object(kr, kp, e)) || (st = fl_cfg_known_keys(kr, kp, range_keys, e)) ||
                (st = fl_cfg_number(kr, kp, "from", FL_CFG_REQUIRED, 0, 0, 9e15, &lo, e)) ||
                (st = fl_cfg_number(kr, kp, "to", FL_CFG_REQUIRED, 0, lo, 9e15, &hi, e)))
                return st;
            s->call_lo[k] = (uint64_t)lo;
            s->call_hi[k] = (uint64_t)hi;
        }
        char owner[300];
        snprintf(owner, sizeof owner, "%s->%s#%d", c->name, to, k);
        s->callee[k] = t;
        s->calls[k] = fl_caller_new(w, owner, t, c->zone, &c->host, &pol, call_done, s);
        if (!s->calls[k])
            return FL_NOMEM;
    }
    s->cfg = NULL;
    return FL_OK;
}

fl_status fl_service_check_cycles(fl_world *w, fl_error *e)
{
    /* Depth-first search with colours: 1 on the current path, 2 done. */
    uint8_t *colour = fl_calloc(w->ncomps + 1, 1);
    uint32_t *stack = fl_calloc(w->ncomps + 1, sizeof *stack), *next = fl_calloc(w->ncomps + 1, sizeof *next);
    fl_status st = FL_OK;
    if (!colour || !stack || !next) {
        st = FL_NOMEM;
        goto done;
    }
    for (uint32_t root = 0; root < w->ncomps && !st; root++) {
        if (colour[root] || w->comps[root]->ops != &fl_service_ops)
            continue;
        uint32_t depth = 0;
        stack[depth] = root;
        next[depth] = 0;
        colour[root] = 1;
        while (!st) {
            uint32_t u = stack[depth];
            service *su = w->comps[u]->state;
            if (next[depth] < (uint32_t)su->ncalls) {
                uint32_t v = su->callee[next[depth]++];
                if (colour[v] == 1) {
                    char p[300];
                    snprintf(p, sizeof p, "nodes[%u].calls", u);
                    if (u == v)
                        st = fl_error_set(e, FL_INVALID, p,
                                          "%s calls itself: a request would call itself without end",
                                          w->comps[u]->name);
                    else
                        st = fl_error_set(e, FL_INVALID, p,
                                          "calls form a cycle (%s -> ... -> %s -> %s): a request "
                                          "would call itself without end",
                                          w->comps[v]->name, w->comps[u]->name, w->comps[v]->name);
                } else if (!colour[v] && w->comps[v]->ops == &fl_service_ops) {
                    colour[v] = 1;
                    stack[++depth] = v;
                    next[depth] = 0;
                }
            } else {
                colour[u] = 2;
                if (depth == 0)
                    break;
                depth--;
            }
        }
    }
done:
    fl_free(colour);
    fl_free(stack);
    fl_free(next);
    return st;
}

static double memory_now(const service *s)
{
    return s->mem_base + s->mem_per * (double)(fl_station_queued(s->st) +
                                               (uint64_t)fl_station_busy(s->st));
}

static void lose_held(service *s)
{
    for (int i = 0; s->slot_gen && i < s->nslots; i++)
        s->slot_gen[i]++; /* calls in flight for held requests must release nothing */
}

/* One more request would take the node over its memory limit: the kernel kills it. Every
 * request it holds is lost (no reply), arrivals are refused until it restarts, cold when it
 * has a restart warm-up. Returns false when the node was killed. */
static bool oom_admit(fl_world *w, fl_component *c, service *s)
{
    if (s->qcap >= 0 && fl_station_busy(s->st) == s->nworkers &&
        fl_station_queued(s->st) >= (uint64_t)s->qcap)
        return true; /* it will be rejected at once: it never holds memory */
    double m = memory_now(s) + s->mem_per;
    if (m <= s->mem_limit) {
        if (m > s->mem_peak)
            s->mem_peak = m;
        return true;
    }
    fl_time now = fl_sim_now(w->sim);
    if (now >= w->warmup)
        s->oom_kills++;
    if (s->first_oom < 0)
        s->first_oom = now;
    s->mem_peak = s->mem_limit;
    fl_world_event(w, now, c->name, "oom", "%s killed (%u): out of memory (%.0f MB, %llu requests "
                   "held); restarts in %g s", c->name, ++s->oom_all, s->mem_limit,
                   (unsigned long long)(fl_station_queued(s->st) + (uint64_t)fl_station_busy(s->st)),
                   fl_time_to_s(s->oom_restart));
    fl_sim_hash_mix(w->sim, 0x6f6f6du ^ (uint64_t)c->index);
    s->oom_down = true;
    lose_held(s);
    if (!s->crashed)
        fl_station_crash(s->st);
    fl_sim_after(w->sim, s->oom_restart, s->h_oom_restart, 0);
    return false;
}

static void oom_restart(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    fl_component *c = ctx;
    service *s = c->state;
    s->oom_down = false;
    if (s->crashed || s->version_down)
        return; /* a crash fault or a crashing version still holds it down */
    fl_station_restart(s->st);
    if (s->warmup > 0) {
        s->restarted_at = fl_sim_now(sim);
        s->restarts++;
    }
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    service *s = c->state;
    if (fl_station_down(s->st)) { /* connection refused: the node is down */
        if (fl_sim_now(w->sim) >= w->warmup)
            s->refused++;
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    if (s->version_errors > 0 && fl_rng_uniform(&s->version_rng) < s->version_errors) {
        if (fl_sim_now(w->sim) >= w->warmup)
            s->server_errors++;
        fl_world_reply(w, id, FL_OUT_SERVER_ERROR);
        return;
    }
    if (s->mem_limit > 0 && !oom_admit(w, c, s)) { /* killed: this one is lost with the rest */
        fl_req_server_done(w, id);
        return;
    }
    if (s->hung) { /* taken in, never answered: the caller waits for its timeout */
        if (fl_sim_now(w->sim) >= w->warmup)
            s->swallowed++;
        fl_req_server_done(w, id);
        return;
    }
    fl_station_arrive(s->st, id);
}

static void giveup(fl_world *w, fl_component *c, uint32_t id)
{
    (void)w;
    service *s = c->state;
    if (s->cancel_giveup) /* a queued one is dropped at dequeue (svc_abandoned) */
        fl_station_cancel(s->st, id);
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    service *s = c->state;
    switch (f->kind) {
    case FL_FAULT_SLOW:
        fl_station_set_slowdown(s->st, fl_world_slowdown(w, c->index, -1) * s->version_factor);
        break;
    case FL_FAULT_CRASH:
        s->crashed = begin;
        if (s->oom_down || s->version_down) /* already down (out of memory, a crashing */
            break; /* version): its own restart, or this end, brings it back */
        if (begin) {
            /* Calls in flight for held requests must not release anything when they end. */
            for (int i = 0; s->slot_gen && i < s->nslots; i++)
                s->slot_gen[i]++;
            fl_station_crash(s->st);
        }
        else {
            fl_station_restart(s->st);
            if (s->warmup > 0) {
                s->restarted_at = fl_sim_now(w->sim);
                s->restarts++;
            }
        }
        break;
    case FL_FAULT_PAUSE:
        if (begin)
            fl_station_pause(s->st, f->until);
        break;
    case FL_FAULT_HANG:
        if (begin && s->hung++ == 0) {
            for (int i = 0; s->slot_gen && i < s->nslots; i++)
                s->slot_gen[i]++; /* its calls' replies are never read */
            fl_station_hang(s->st);
        } else if (!begin) {
            s->hung--;
        }
        break;
    default: /* link faults are the network's (faults.c) */
        break;
    }
    (void)w;
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    service *s = c->state;
    uint64_t n;
    int busy;
    fl_station_sample(s->st, &n, &busy);
    fl_series_add(w->series, s->col_in_system, t, (double)n);
    fl_series_add(w->series, s->col_busy, t, busy);
    if (s->mem_limit > 0)
        fl_series_add(w->series, s->col_memory, t, memory_now(s));
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    service *s = c->state;
    if (s->ncalls) {
        cJSON *calls = cJSON_AddObjectToObject(out, "calls");
        for (int k = 0; k < s->ncalls; k++) {
            /* by dependency name; a second call to one dependency is "name#2", and so on */
            char name[300];
            int nth = 1;
            for (int j = 0; j < k; j++)
                nth += s->callee[j] == s->callee[k];
            const char *dep = w->comps[s->callee[k]]->name;
            if (nth > 1)
                snprintf(name, sizeof name, "%s#%d", dep, nth);
            else
                snprintf(name, sizeof name, "%s", dep);
            fl_caller_report(s->calls[k], cJSON_AddObjectToObject(calls, name));
        }
    }
    fl_station_report(s->st, fl_sim_now(w->sim), out);
    cJSON_AddNumberToObject(out, "refused", (double)s->refused);
    if (s->warmup > 0)
        cJSON_AddNumberToObject(out, "cold_restarts", (double)s->restarts);
    bool hangs = false; /* a hang is on this node's timeline: say what it swallowed */
    for (uint32_t i = 0; i < w->nfaults && !hangs; i++)
        hangs = w->faults[i].kind == FL_FAULT_HANG && w->faults[i].target == c->index;
    if (hangs)
        cJSON_AddNumberToObject(out, "never_answered", (double)s->swallowed);
    if (s->versioned)
        cJSON_AddNumberToObject(out, "server_errors", (double)s->server_errors);
    if (s->limited || s->cancel_giveup)
        cJSON_AddNumberToObject(out, "cancelled_work_s", fl_time_to_s(s->cancelled_work));
    if (s->mem_limit > 0) {
        cJSON_AddNumberToObject(out, "memory_limit_mb", s->mem_limit);
        cJSON_AddNumberToObject(out, "memory_peak_mb", s->mem_peak);
        cJSON_AddNumberToObject(out, "oom_kills", (double)s->oom_kills);
        if (s->first_oom >= 0)
            cJSON_AddNumberToObject(out, "first_oom_s", fl_time_to_s(s->first_oom));
    }
    cJSON_AddNumberToObject(out, "work_s", fl_time_to_s(s->work));
    cJSON_AddNumberToObject(out, "wasted_work_s", fl_time_to_s(s->wasted));
    cJSON_AddNumberToObject(out, "wasted_fraction",
                            s->work > 0 ? (double)s->wasted / (double)s->work : 0);
}

static void destroy(fl_component *c)
{
    service *s = c->state;
    if (!s)
        return;
    fl_station_free(s->st);
    fl_dist_free(s->service_time);
    fl_free(s->calls); /* the callers themselves belong to the world */
    fl_free(s->callee);
    fl_free(s->call_lo);
    fl_free(s->call_hi);
    for (int i = 0; i < s->nby_key; i++)
        fl_dist_free(s->by_key[i].d);
    fl_free(s->by_key);
    fl_free(s->slot_req);
    fl_free(s->slot_gen);
    fl_free(s->slot_call);
    fl_free(s);
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"workers", "integer", "", "`1`", "`4`",
     "requests served at once", FL_KV_INTEGER, FL_RANGE(1, 1e6)},
    {"service_time", "distribution", "", "required", "`\"exp(1ms)\"`",
     "time one request occupies a worker", FL_KV_OTHER, FL_NO_BOUNDS},
    {"queue.capacity", "integer or `\"unbounded\"`", "requests", "`\"unbounded\"`", "`1000`",
     "waiting room (not counting requests in service); an arrival finding it full is "
     "`rejected`. `0` means no waiting room: an arrival that finds every worker busy is "
     "refused at once (a loss system, `scenarios/queueing/erlang-b.json`). Until this release "
     "`0` meant unbounded: write `\"unbounded\"` or leave the key out",
     FL_KV_INTEGER, FL_LIMIT_OR_UNBOUNDED},
    {"queue.discipline", "`\"fifo\"` or `\"lifo\"`", "", "`\"fifo\"`", "`\"lifo\"`",
     "which waiting request is served next", FL_KV_OTHER, FL_NO_BOUNDS},
    {"queue.max_wait", "duration", "", "`0` (none)", "`\"2s\"`",
     "a request that waited longer is dropped at dequeue (`expired`)",
     FL_KV_DURATION, FL_AT_LEAST(0)},
    {"queue.drop_expired", "boolean", "", "`false`", "`true`",
     "a request whose propagated deadline has passed is dropped at dequeue "
     "(`deadline`), costing no service time", FL_KV_OTHER, FL_NO_BOUNDS},
    {"calls", "array of `{\"to\": node, \"client\": {...}}`", "", "`[]`",
     "`[{\"to\": \"db\", \"client\": {\"timeout\": \"1s\", \"attempts\": 3}}]`",
     "after its service time, the worker calls each dependency in turn under that "
     "client policy (below; every `client.*` key but `slo`, which only a workload has) and "
     "waits; the request fails (`dependency`) as soon as one call fails after its retries. Calls "
     "may not form a cycle", FL_KV_OTHER, FL_NO_BOUNDS},
    {"calls[i].keys", "`{\"from\": K, \"to\": K}`", "keys", "all keys",
     "`{\"from\": 97, \"to\": 99}`",
     "the call is made only for requests whose key (the workload's `keys`) lies in "
     "[from, to]; integers 0 to 9e15, `to` >= `from`. Two calls to one dependency with their own "
     "`pool`s form a bulkhead. A request no call matches is served without calls. Each call "
     "forwards the request's key, read or write and version", FL_KV_OTHER, FL_NO_BOUNDS},
    {"fanout", "`\"sequential\"` or `\"parallel\"`", "", "`\"sequential\"`", "`\"parallel\"`",
     "`parallel`: the worker calls every matching dependency at once; answered when "
     "the last succeeds, `dependency` as soon as one fails. At most 32 calls",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"by_key", "array of `{\"from\": K, \"to\": K, \"service_time\": distribution}`", "", "none",
     "`[{\"from\": 97, \"to\": 99, \"service_time\": \"const(60s)\"}]`",
     "1 to 64 key ranges with their own service time (the first range holding the "
     "key wins; other keys take `service_time`)", FL_KV_OTHER, FL_NO_BOUNDS},
    {"restart.warmup", "duration", "", "required with `restart`", "`\"60s\"`",
     "after a crash ends, the node is cold: service times start `factor` times "
     "longer and return linearly to normal over `warmup`", FL_KV_DURATION, FL_ABOVE(0)},
    {"restart.factor", "number", "", "`2`", "`3`",
     "the service-time multiplier just after a restart", FL_KV_NUMBER, FL_RANGE(1, 1000)},
    {"memory.limit_mb", "number", "MB", "none (no bound)", "`4096`",
     "the node's memory limit: an arrival that would take it over is the last: the node is "
     "killed (out of memory), losing every request it holds, and refuses arrivals until it "
     "restarts", FL_KV_NUMBER, FL_RANGE(1, 1e9)},
    {"memory.base_mb", "number", "MB", "`0`", "`1024`",
     "memory in use with no request in the node", FL_KV_NUMBER, FL_RANGE(0, 1e9)},
    {"memory.per_request_mb", "number", "MB", "required with `memory`", "`0.4`",
     "each request in the node (queued or in service) holds this much; `limit_mb` must hold "
     "at least `base_mb` + `per_request_mb` x `workers`", FL_KV_NUMBER, FL_RANGE(1e-6, 1e9)},
    {"memory.restart_after", "duration", "", "`\"30s\"`", "`\"10s\"`",
     "the restart policy: a killed node restarts this long after (cold, with `restart`)",
     FL_KV_DURATION, FL_RANGE(0.001, 86400)},
    {"max_execution", "duration", "", "none", "`\"2s\"`",
     "the server's own limit (a database's `statement_timeout`): work running longer than "
     "this since a worker took it (its service time and the wait on its `calls`) is aborted, "
     "the worker freed at once, and the request fails `cancelled`", FL_KV_DURATION, FL_ABOVE(0)},
    {"cancel_on_client_giveup", "boolean", "", "`false`", "`true`",
     "the server hears when a caller's timeout fires (as HTTP/2 and gRPC carry a "
     "cancellation) and stops: work in service is aborted then, a queued request is dropped "
     "when it reaches the head of the queue (both `cancelled`, counted in "
     "`nodes.N.cancelled`). An aborted request's own calls in flight are not cancelled: their "
     "replies are ignored when they come", FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"in_system_max", "requests", "the most requests in the node (queued and in service) during the window"},
    {"busy", "workers", "workers busy at the end of the window"},
    {"memory_mb", "MB", "with `memory`: memory in use at the end of the window"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_service_ops = {
    .kind = "service",
    .about = "workers serving requests from a bounded FIFO/LIFO queue",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .connect = connect,
    .on_request = on_request,
    .giveup = giveup,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE) |
              FL_FAULT_BIT(HANG) | FL_FAULT_BIT(CLOCK),
    .fault = fault,
    .destroy = destroy,
};

/* ---- a rollout's new version (model/rollout.h) ---- */

void fl__service_version(fl_world *w, fl_component *c, const fl_rollout_effect *x, bool on)
{
    service *s = c->state;
    if (!s->versioned) {
        s->versioned = true;
        fl_world_stream(w, &s->version_rng, c->name, "version_errors");
    }
    s->version_factor = on ? x->cpu_factor : 1;
    s->version_errors = on ? x->error_rate : 0;
    fl_station_set_slowdown(s->st, fl_world_slowdown(w, c->index, -1) * s->version_factor);
    if (!x->crash || s->version_down == on)
        return;
    s->version_down = on;
    if (s->crashed || s->oom_down)
        return; /* down already: whatever holds it down brings it back */
    if (on) {
        lose_held(s);
        fl_station_crash(s->st);
    } else {
        fl_station_restart(s->st);
        if (s->warmup > 0) {
            s->restarted_at = fl_sim_now(w->sim);
            s->restarts++;
        }
    }
}

/* ---- what an autoscaler asks (model/balancer.h) ---- */

void fl__service_cold_start(fl_component *c)
{
    service *s = c->state;
    if (c->ops == &fl_service_ops && s->warmup > 0) /* not a restart: not counted as one */
        s->restarted_at = fl_sim_now(s->w->sim);
}

void fl__service_load(const fl_component *c, int *busy, int *workers, uint64_t *queued)
{
    const service *s = c->state;
    *busy = fl_station_busy(s->st);
    *workers = s->nworkers;
    *queued = fl_station_queued(s->st);
}
