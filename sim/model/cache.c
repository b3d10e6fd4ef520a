/* The `cache` component: a look-aside cache in front of a backend, with the fill policies
 * that decide what happens when a hot key expires.
 *
 *   {"name": "cache", "kind": "cache", "backend": "db", "ttl": "60s", "capacity": 100000,
 *    "workers": 16, "hit_time": "const(200us)", "fill": "none",
 *    "backend_client": {"timeout": "1s"}}
 *
 * A read of a fresh entry is a hit, answered after hit_time on the cache's workers. A miss
 * (no entry, or an expired one) goes to the backend; what concurrent misses of one key do
 * is the fill policy:
 *
 *   none   every miss queries the backend itself (the stampede: N readers, N queries)
 *   lock   single-flight: the first miss queries, the others wait for its answer
 *   lease  the first miss of a key gets a lease (one per key per lease_interval, as in
 *          Facebook's memcache); the others wait lease_retry and look again, so at most
 *          one backend query per key per interval, even when queries fail
 *   swr    stale-while-revalidate: an expired entry younger than ttl + stale_for is served
 *          at once and refreshed in the background, single-flight
 *   xfetch probabilistic early expiration (Vattani et al. 2015): a hit recomputes early
 *          when now - delta * beta * ln(U) >= expiry, delta the key's last recompute time
 *
 * Writes go to the backend; a successful write deletes the key's entry (invalidation),
 * after invalidation_delay. With delete_on_error, a failed backend read also deletes the
 * entry (the client-side "fix" of Facebook's 23 Sep 2010 outage, which turns an overloaded
 * backend into more misses and keeps it overloaded). TTLs run on the cache node's clock.
 * Capacity evicts the least recently used entry. A crash empties the cache.
 *
 * Warm tier (Facebook memcache's cold cluster warm-up, NSDI 2013 section 4.3): with
 * "warm_tier": "warm" the cache's fills read that node (another cache, already warm, in
 * front of the same data) instead of the backend, for "warm_for" after the cache starts
 * and after each restart (default: always); a miss there is the warm tier's to fill.
 *
 * Invariants: an entry is in the map iff it is on the LRU list; a key has at most one fill
 * in flight under lock/lease/swr; every request taken in is answered exactly once (or lost
 * in a crash); waiters of a fill are answered when the fill ends. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/caller.h"
#include "model/world.h"
#include "node/station.h"

enum fill { FILL_NONE, FILL_LOCK, FILL_LEASE, FILL_SWR, FILL_XFETCH };
static const char *const fills[] = {"none", "lock", "lease", "swr", "xfetch", NULL};

#define NIL UINT32_MAX

typedef struct entry {
    uint64_t key;
    int64_t value;
    fl_time expiry;      /* true time the entry stops being fresh */
    fl_time delta;       /* how long the last recompute took (xfetch) */
    fl_time lease_until; /* lease: no new lease before this */
    fl_time episode;     /* when the current miss episode began; -1 when none */
    uint32_t lru_prev, lru_next;
    uint32_t waiters;    /* head of the requests waiting for this key's fill */
    uint32_t inflight;   /* backend reads in flight for it: it is never evicted meanwhile */
    uint8_t present;     /* holds a value (else only fill/lease state) */
    uint8_t filling;     /* a single-flight fill is in flight */
} entry;

typedef struct waiter {
    uint32_t req, next;
} waiter;

typedef struct cache {
    fl_world *w;
    fl_component *c;
    fl_station *st;
    fl_dist *hit_time;
    fl_rng rng, xrng;
    enum fill fill;
    fl_time ttl, stale_for, lease_interval, lease_retry, invalidation_delay;
    double beta;
    bool delete_on_error;
    bool bad_values; /* a bad_value fault is on: every fill counts as an error */
    uint64_t capacity;
    const char *backend_name;
    const cJSON *backend_client;
    char path[64];
    fl_caller *backend, *writer; /* reads (fills) and writes to the backend */
    const char *warm_name;       /* fills read this node while warming (or NULL) */
    fl_caller *warm;
    fl_time warm_for, warm_until; /* warm_for 0: always */
    uint64_t warm_fetches;
    int h_retry, h_invalidate;

    /* Entries: an open-addressing map of indices into `ents` (linear probing, tombstone
     * free: deletion shifts back), a free list through lru_next, and the LRU list. */
    entry *ents;
    fl_pool ents_pool; /* over ents, linked by lru_next (core/pool.h) */
    uint32_t *map;
    uint32_t map_mask;
    uint32_t lru_head, lru_tail; /* head = most recently used */
    uint64_t live; /* keys tracked (what capacity counts), a value or not */
    uint64_t held; /* of them, those holding a value: what "entries" reports */

    waiter *ws;
    fl_pool ws_pool; /* over ws, linked by next */

    /* Figures (measured window, except where noted). */
    uint64_t hits, misses, stale_served, fetches, fetch_errors, early_recomputes;
    uint64_t evictions, deletes_on_error, invalidations, lease_waits, writes, write_errors;
    uint64_t episodes, episode_fetches, episode_fetch_max, cur_fetch_window, fetch_peak;
    fl_time window_peak_at;
    int col_fetches, col_hits, col_misses, col_entries;
} cache;


static bool measured(const cache *k) { return fl_sim_now(k->w->sim) >= k->w->warmup; }

/* Drops entry e's value (a delete, an invalidation, a crash); its key stays tracked. */
static void drop_value(cache *k, uint32_t e)
{
    if (k->ents[e].present) {
        k->ents[e].present = 0;
        k->held--;
    }
}

/* ---- the entry map ---------------------------------------------------------------- */

static uint32_t slot_of(const cache *k, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    return (uint32_t)(h >> 32) & k->map_mask;
}

static uint32_t find(const cache *k, uint64_t key)
{
    for (uint32_t i = slot_of(k, key);; i = (i + 1) & k->map_mask) {
        uint32_t e = k->map[i];
        if (e == NIL || k->ents[e].key == key)
            return e;
    }
}

static fl_status map_grow(cache *k)
{
    uint32_t n = (k->map_mask + 1) * 2;
    uint32_t *m = fl_malloc((size_t)n * sizeof *m);
    if (!m)
        return FL_NOMEM;
    memset(m, 0xff, (size_t)n * sizeof *m);
    uint32_t *old = k->map, oldn = k->map_mask + 1;
    k->map = m;
    k->map_mask = n - 1;
    for (uint32_t i = 0; i < oldn; i++)
        if (old[i] != NIL) {
            uint32_t j = slot_of(k, k->ents[old[i]].key);
            while (m[j] != NIL)
                j = (j + 1) & k->map_mask;
            m[j] = old[i];
        }
    fl_free(old);
    return FL_OK;
}

static void lru_unlink(cache *k, uint32_t e)
{
    entry *x = &k->ents[e];
    if (x->lru_prev != NIL)
        k->ents[x->lru_prev].lru_next = x->lru_next;
    else
        k->lru_head = x->lru_next;
    if (x->lru_next != NIL)
        k->ents[x->lru_next].lru_prev = x->lru_prev;
    else
        k->lru_tail = x->lru_prev;
}

static void lru_front(cache *k, uint32_t e)
{
    entry *x = &k->ents[e];
    x->lru_prev = NIL;
    x->lru_next = k->lru_head;
    if (k->lru_head != NIL)
        k->ents[k->lru_head].lru_prev = e;
    k->lru_head = e;
    if (k->lru_tail == NIL)
        k->lru_tail = e;
}

/* Removes entry e from the map and the LRU list (backward-shift deletion keeps every
 * probe sequence unbroken without tombstones). Waiters must have been answered. */
static void remove_entry(cache *k, uint32_t e)
{
    uint32_t i = slot_of(k, k->ents[e].key);
    while (k->map[i] != e)
        i = (i + 1) & k->map_mask;
    for (uint32_t j = (i + 1) & k->map_mask; k->map[j] != NIL; j = (j + 1) & k->map_mask) {
        uint32_t home = slot_of(k, k->ents[k->map[j]].key);
        /* move j back into the hole at i when its home is not in (i, j] cyclically */
        if (((j - home) & k->map_mask) >= ((j - i) & k->map_mask)) {
            k->map[i] = k->map[j];
            i = j;
        }
    }
    k->map[i] = NIL;
    drop_value(k, e);
    lru_unlink(k, e);
    fl__pool_put(&k->ents_pool, k->ents, sizeof *k->ents, offsetof(entry, lru_next), e);
    k->live--;
}

/* The entry for key, created (without a value) when absent; NIL when out of memory. A
 * new entry may evict the least recently used one that is idle. */
static uint32_t get_entry(cache *k, uint64_t key)
{
    uint32_t e = find(k, key);
    if (e != NIL) {
        lru_unlink(k, e);
        lru_front(k, e);
        return e;
    }
    if (k->capacity && k->live >= k->capacity) {
        uint32_t v = k->lru_tail; /* the oldest idle entry goes */
        while (v != NIL && (k->ents[v].inflight || k->ents[v].waiters != NIL))
            v = k->ents[v].lru_prev;
        if (v != NIL) {
            if (measured(k))
                k->evictions++;
            remove_entry(k, v);
        }
    }
    if ((uint64_t)(k->live + 1) * 2 > (uint64_t)k->map_mask + 1 && map_grow(k) != FL_OK)
        return NIL;
    entry *n = fl__pool_take(k->w->sim, &k->ents_pool, k->ents, sizeof *n,
                             offsetof(entry, lru_next), 1024, &e);
    if (!n)
        return NIL;
    k->ents = n;
    k->ents[e] = (entry){.key = key, .value = FL_VALUE_NONE, .episode = -1, .waiters = NIL,
                         .lru_prev = NIL, .lru_next = NIL};
    uint32_t i = slot_of(k, key);
    while (k->map[i] != NIL)
        i = (i + 1) & k->map_mask;
    k->map[i] = e;
    lru_front(k, e);
    k->live++;
    return e;
}

/* ---- waiters ---------------------------------------------------------------------- */

static bool add_waiter(cache *k, uint32_t e, uint32_t req)
{
    uint32_t i;
    waiter *n = fl__pool_take(k->w->sim, &k->ws_pool, k->ws, sizeof *n, offsetof(waiter, next),
                              256, &i);
    if (!n)
        return false;
    k->ws = n;
    k->ws[i] = (waiter){req, k->ents[e].waiters};
    k->ents[e].waiters = i;
    return true;
}

/* Answers every request waiting on entry e: the value when ok, else a dependency error. */
static void answer_waiters(cache *k, uint32_t e, bool ok, int64_t value)
{
    uint32_t i = k->ents[e].waiters;
    k->ents[e].waiters = NIL;
    while (i != NIL) {
        uint32_t next = k->ws[i].next, req = k->ws[i].req;
        fl__pool_put(&k->ws_pool, k->ws, sizeof *k->ws, offsetof(waiter, next), i);
        fl_req_at(k->w, req)->value = value;
        fl_world_reply(k->w, req, ok ? FL_OUT_OK : FL_OUT_DEPENDENCY);
        i = next;
    }
}

/* ---- fills -------------------------------------------------------------------------- */

/* Backend reads are tagged with the key's entry index, the request to answer (NIL for a
 * background fill) and whether it is the key's single flight. The entry stays put while
 * reads are in flight for it (never evicted), so the tag stays valid. */
#define TAG(e, req, flight) (((uint64_t)(e) << 33) | ((uint64_t)(flight) << 32) | (uint32_t)(req))

static void start_fetch(cache *k, uint32_t e, uint32_t req, bool flight)
{
    entry *x = &k->ents[e];
    fl_time now = fl_sim_now(k->w->sim);
    bool warm = k->warm && now < k->warm_until;
    if (!warm)
        fl_series_add(k->w->series, k->col_fetches, now, 1);
    if (measured(k)) {
        if (warm) {
            k->warm_fetches++;
        } else {
            k->fetches++;
            k->cur_fetch_window++;
        }
        if (x->episode >= 0)
            k->episode_fetches++;
    }
    x->inflight++;
    if (flight)
        x->filling = 1;
    fl_call call = {x->key, FL_VALUE_NONE, FL_VERB_READ};
    fl_caller_call(warm ? k->warm : k->backend, TAG(e, req, flight), FL_TIME_MAX, &call);
}

/* A miss episode of entry e begins (its value is missing or stale and someone wants it). */
static void episode_begin(cache *k, entry *x, fl_time now)
{
    if (x->episode < 0) {
        x->episode = now;
        if (measured(k))
            k->episodes++;
        if (x->present) /* the entry was there: it expired (or is recomputed early) */
            fl_world_event(k->w, now, k->c->name, "key-expiry", "key %llu expires",
                           (unsigned long long)x->key);
    }
}

static void store_value(cache *k, uint32_t e, int64_t value, fl_time began)
{
    entry *x = &k->ents[e];
    fl_time now = fl_sim_now(k->w->sim);
    x->value = value;
    k->held += !x->present;
    x->present = 1;
    x->expiry = fl_host_after(&k->c->host, now, k->ttl);
    x->delta = now - began;
    if (x->episode >= 0)
        fl_world_event(k->w, now, k->c->name, "recompute", "key %llu recomputed after %.3g s",
                       (unsigned long long)x->key, fl_time_to_s(now - x->episode));
    x->episode = -1;
}

static void fill_done(void *ctx, uint64_t tag, fl_outcome o, fl_time t_start, int64_t value)
{
    cache *k = ctx;
    uint32_t e = (uint32_t)(tag >> 33), req = (uint32_t)tag;
    bool flight = (tag >> 32) & 1;
    k->ents[e].inflight--;
    if (o == FL_OUT_OK && k->bad_values)
        o = FL_OUT_DEPENDENCY; /* the value came back, and the client rejects it */
    if (o == FL_OUT_OK) {
        store_value(k, e, value, t_start);
    } else {
        if (measured(k))
            k->fetch_errors++;
        if (k->delete_on_error && k->ents[e].present) {
            drop_value(k, e); /* the client-side "fix": drop the entry */
            k->ents[e].episode = -1;
            if (measured(k))
                k->deletes_on_error++;
        }
    }
    if (flight) {
        k->ents[e].filling = 0;
        answer_waiters(k, e, o == FL_OUT_OK, value);
    }
    if (req != NIL) {
        fl_req_at(k->w, req)->value = value;
        fl_world_reply(k->w, req, o == FL_OUT_OK ? FL_OUT_OK : FL_OUT_DEPENDENCY);
    }
}

/* A write went through (or failed): invalidate, then answer. */
static void write_done(void *ctx, uint64_t tag, fl_outcome o, fl_time t_start, int64_t value)
{
    (void)t_start;
    (void)value;
    cache *k = ctx;
    uint32_t req = (uint32_t)tag;
    if (measured(k)) {
        k->writes++;
        k->write_errors += o != FL_OUT_OK;
    }
    if (o == FL_OUT_OK) {
        if (k->invalidation_delay > 0)
            fl_sim_after(k->w->sim, k->invalidation_delay, k->h_invalidate,
                         fl_req_at(k->w, req)->key);
        else {
            uint32_t e = find(k, fl_req_at(k->w, req)->key);
            if (e != NIL && k->ents[e].present) {
                drop_value(k, e);
                if (measured(k))
                    k->invalidations++;
            }
        }
    }
    fl_world_reply(k->w, req, o == FL_OUT_OK ? FL_OUT_OK : FL_OUT_DEPENDENCY);
}

static void on_invalidate(fl_sim *sim, void *ctx, uint64_t key)
{
    (void)sim;
    cache *k = ctx;
    uint32_t e = find(k, key);
    if (e != NIL && k->ents[e].present) {
        drop_value(k, e);
        if (measured(k))
            k->invalidations++;
    }
}

static void serve(cache *k, uint32_t req, bool poll);

/* A lease wait ended: look again (no new service time: the client polls the cache). A poll
 * is not another read: hits and misses count each request once. */
static void on_retry(fl_sim *sim, void *ctx, uint64_t req)
{
    (void)sim;
    serve(ctx, (uint32_t)req, true);
}

/* Request req waits for the key's single flight, started if none is in the air. */
static void join_flight(cache *k, uint32_t e, uint32_t req)
{
    if (!add_waiter(k, e, req)) {
        fl_world_reply(k->w, req, FL_OUT_DEPENDENCY);
        return;
    }
    if (!k->ents[e].filling)
        start_fetch(k, e, NIL, true);
}

static void reply_value(cache *k, uint32_t req, int64_t value)
{
    fl_req_at(k->w, req)->value = value;
    fl_world_reply(k->w, req, FL_OUT_OK);
}

/* A read after its hit_time (or a lease holder's poll): hit, stale hit, or a miss path. */
static void serve(cache *k, uint32_t req, bool poll)
{
    fl_world *w = k->w;
    fl_time now = fl_sim_now(w->sim);
    fl_req *r = fl_req_at(w, req);
    uint32_t e = get_entry(k, r->key);
    if (e == NIL) { /* out of memory: answer as a failed dependency */
        fl_world_reply(w, req, FL_OUT_DEPENDENCY);
        return;
    }
    entry *x = &k->ents[e];
    bool fresh = x->present && now < x->expiry;
    if (fresh) {
        fl_series_add(w->series, k->col_hits, now, 1);
        if (k->fill == FILL_XFETCH && x->delta > 0) {
            /* recompute early with a probability that rises as expiry nears */
            double u = fl_rng_uniform_pos(&k->xrng);
            double ahead = -(double)x->delta * k->beta * log(u);
            if ((double)now + ahead >= (double)x->expiry) {
                if (measured(k))
                    k->early_recomputes++;
                episode_begin(k, x, now);
                start_fetch(k, e, req, false);
                return;
            }
        }
        if (measured(k) && !poll)
            k->hits++;
        reply_value(k, req, x->value);
        return;
    }
    if (!poll) {
        if (measured(k))
            k->misses++;
        fl_series_add(w->series, k->col_misses, now, 1);
    }
    episode_begin(k, x, now);
    switch (k->fill) {
    case FILL_NONE:
    case FILL_XFETCH:
        start_fetch(k, e, req, false);
        return;
    case FILL_SWR:
        if (x->present && now < fl_host_after(&k->c->host, x->expiry, k->stale_for)) {
            if (measured(k))
                k->stale_served++;
            reply_value(k, req, x->value);
            if (!x->filling)
                start_fetch(k, e, NIL, true);
            return;
        }
        join_flight(k, e, req); /* nothing servable: wait for the single flight */
        return;
    case FILL_LOCK:
        join_flight(k, e, req);
        return;
    case FILL_LEASE:
        if (now >= x->lease_until) {
            x->lease_until = fl_host_after(&k->c->host, now, k->lease_interval);
            start_fetch(k, e, req, false);
            return;
        }
        if (measured(k))
            k->lease_waits++;
        fl_sim_after(w->sim, k->lease_retry, k->h_retry, req);
        return;
    }
}

/* ---- the station: hit_time on the cache's workers ----------------------------------- */

static fl_time st_time(void *ctx, uint32_t id)
{
    (void)id;
    cache *k = ctx;
    return fl_dist_sample(k->hit_time, &k->rng);
}

static void st_done(void *ctx, uint32_t id, fl_station_end how, fl_time arrive, fl_time start)
{
    (void)arrive;
    (void)start;
    cache *k = ctx;
    fl_world *w = k->w;
    if (how == FL_STATION_LOST) {
        fl_req_server_done(w, id);
        return;
    }
    if (how != FL_STATION_SERVED) {
        fl_world_reply(w, id, how == FL_STATION_REJECTED ? FL_OUT_REJECTED : FL_OUT_EXPIRED);
        return;
    }
    fl_req *r = fl_req_at(w, id);
    if (r->verb == FL_VERB_WRITE) {
        fl_call call = {r->key, r->value, FL_VERB_WRITE};
        fl_caller_call(k->writer, id, FL_TIME_MAX, &call);
        return;
    }
    serve(k, id, false);
}

static const fl_station_ops station_ops = {st_time, st_done, NULL, NULL, NULL, NULL};

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    cache *k = c->state;
    if (fl_station_down(k->st)) {
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    fl_station_arrive(k->st, id);
}

/* ---- configuration ------------------------------------------------------------------ */

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    cache *k = fl_calloc(1, sizeof *k);
    if (!k)
        return FL_NOMEM;
    c->state = k;
    k->w = w;
    k->c = c;
    k->ents_pool = k->ws_pool = (fl_pool)FL_POOL_INIT;
    k->lru_head = k->lru_tail = NIL;
    long workers, cap;
    int fill;
    if ((st = fl_cfg_string(cfg, path, "backend", FL_CFG_REQUIRED, NULL, &k->backend_name, e)) ||
        (st = fl_kind_duration(c, "ttl", cfg, path, FL_CFG_REQUIRED, 0, &k->ttl, e)) ||
        (st = fl_kind_int(c, "capacity", cfg, path, FL_CFG_OPTIONAL, 0, &cap, e)) ||
        (st = fl_kind_int(c, "workers", cfg, path, FL_CFG_OPTIONAL, 16, &workers, e)) ||
        (st = fl_cfg_dist(cfg, path, "hit_time", FL_CFG_OPTIONAL, "const(100us)", &k->hit_time,
                          e)) ||
        (st = fl_cfg_enum(cfg, path, "fill", FL_CFG_OPTIONAL, 0, fills, &fill, e)) ||
        (st = fl_kind_duration(c, "stale_for", cfg, path, FL_CFG_OPTIONAL, 10 * FL_SEC,
                               &k->stale_for, e)) ||
        (st = fl_kind_duration(c, "lease_interval", cfg, path, FL_CFG_OPTIONAL, 10 * FL_SEC,
                               &k->lease_interval, e)) ||
        (st = fl_kind_duration(c, "lease_retry", cfg, path, FL_CFG_OPTIONAL, 10 * FL_MS,
                               &k->lease_retry, e)) ||
        (st = fl_kind_number(c, "xfetch_beta", cfg, path, FL_CFG_OPTIONAL, 1, &k->beta, e)) ||
        (st = fl_cfg_bool(cfg, path, "delete_on_error", FL_CFG_OPTIONAL, false, &k->delete_on_error,
                          e)) ||
        (st = fl_kind_duration(c, "invalidation_delay", cfg, path, FL_CFG_OPTIONAL, 0,
                               &k->invalidation_delay, e)) ||
        (st = fl_cfg_string(cfg, path, "warm_tier", FL_CFG_OPTIONAL, NULL, &k->warm_name, e)) ||
        (st = fl_kind_duration(c, "warm_for", cfg, path, FL_CFG_OPTIONAL, 0, &k->warm_for, e)))
        return st;
    if (k->warm_for && !k->warm_name) {
        char wp[300];
        return fl_error_set(e, FL_INVALID, fl_cfg_join(wp, sizeof wp, path, "warm_for"),
                            "a warm-up period needs a \"warm_tier\" to read from");
    }
    k->warm_until = k->warm_for ? k->warm_for : FL_TIME_MAX;
    k->fill = (enum fill)fill;
    k->capacity = (uint64_t)cap;
    k->backend_client = cJSON_GetObjectItemCaseSensitive(cfg, "backend_client");
    snprintf(k->path, sizeof k->path, "%s", path);
    k->map = fl_malloc(1024 * sizeof *k->map);
    if (!k->map)
        return FL_NOMEM;
    memset(k->map, 0xff, 1024 * sizeof *k->map);
    k->map_mask = 1023;
    fl_station_cfg sc = {.workers = (int)workers, .stats_from = w->warmup,
                         .stats_to = w->duration, .host = &c->host};
    fl_world_stream(w, &k->rng, c->name, "hit_time");
    fl_world_stream(w, &k->xrng, c->name, "xfetch");
    k->st = fl_station_new(w->sim, &sc, &station_ops, k);
    k->h_retry = fl_sim_handler(w->sim, on_retry, k);
    k->h_invalidate = fl_sim_handler(w->sim, on_invalidate, k);
    if (!k->st || k->h_retry < 0 || k->h_invalidate < 0)
        return FL_NOMEM;
    char col[200];
#define COL(field, suffix, kind)                                              \
    do {                                                                       \
        snprintf(col, sizeof col, "%s.%s", c->name, suffix);                   \
        if ((k->field = fl_series_column(w->series, col, kind)) < 0)          \
            return FL_NOMEM;                                                   \
    } while (0)
    COL(col_hits, "hits_per_s", FL_SERIES_RATE);
    COL(col_misses, "misses_per_s", FL_SERIES_RATE);
    COL(col_fetches, "backend_fetches_per_s", FL_SERIES_RATE);
    COL(col_entries, "entries", FL_SERIES_LAST);
#undef COL
    return fl_world_want_history(w);
}

static fl_status connect(fl_world *w, fl_component *c, fl_error *e)
{
    cache *k = c->state;
    char p[128];
    uint32_t t;
    fl_status st;
    if ((st = fl_world_find_node(w, k->backend_name, c, NULL,
                                 fl_cfg_join(p, sizeof p, k->path, "backend"), &t, e)))
        return st;
    fl_client_policy pol;
    if ((st = fl_client_policy_read(k->backend_client, fl_cfg_join(p, sizeof p, k->path,
                                                                   "backend_client"),
                                    false, &pol, e)))
        return st;
    char owner[200];
    snprintf(owner, sizeof owner, "%s->%s", c->name, k->backend_name);
    k->backend = fl_caller_new(w, owner, t, c->zone, &c->host, &pol, fill_done, k);
    snprintf(owner, sizeof owner, "%s->%s/writes", c->name, k->backend_name);
    k->writer = fl_caller_new(w, owner, t, c->zone, &c->host, &pol, write_done, k);
    if (!k->backend || !k->writer)
        return FL_NOMEM;
    if (k->warm_name) {
        uint32_t wt;
        fl_cfg_join(p, sizeof p, k->path, "warm_tier");
        if ((st = fl_world_find_node(w, k->warm_name, c, NULL, p, &wt, e)))
            return st;
        if (wt == t)
            return fl_error_set(e, FL_INVALID, p,
                                "the warm tier is the backend (\"%s\"): name another cache in "
                                "front of it", k->warm_name);
        snprintf(owner, sizeof owner, "%s->%s/warm", c->name, k->warm_name);
        if (!(k->warm = fl_caller_new(w, owner, wt, c->zone, &c->host, &pol, fill_done, k)))
            return FL_NOMEM;
    }
    k->backend_client = NULL;
    return FL_OK;
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    cache *k = c->state;
    fl_series_add(w->series, k->col_entries, t, (double)k->held);
    if (k->cur_fetch_window > k->fetch_peak)
        k->fetch_peak = k->cur_fetch_window;
    k->cur_fetch_window = 0;
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)w;
    cache *k = c->state;
    switch (f->kind) {
    case FL_FAULT_SLOW:
        fl_station_set_slowdown(k->st, fl_world_slowdown(w, c->index, -1));
        break;
    case FL_FAULT_CRASH:
        if (begin) {
            fl_station_crash(k->st);
            /* volatile: every value is gone (fills in flight still complete and refill) */
            for (uint32_t e = k->lru_head; e != NIL; e = k->ents[e].lru_next)
                drop_value(k, e);
        } else {
            fl_station_restart(k->st);
            if (k->warm_for) /* back empty: warm from the warm tier again */
                k->warm_until = fl_sim_now(w->sim) + k->warm_for;
        }
        break;
    case FL_FAULT_PAUSE:
        if (begin)
            fl_station_pause(k->st, f->until);
        break;
    case FL_FAULT_BAD_VALUE:
        k->bad_values = begin;
        if (begin) /* the stored value is the bad one too */
            for (uint32_t e = k->lru_head; e != NIL; e = k->ents[e].lru_next)
                drop_value(k, e);
        break;
    default:
        break;
    }
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    cache *k = c->state;
    static const char *const names[] = {"none", "lock", "lease", "swr", "xfetch"};
    cJSON_AddStringToObject(out, "fill", names[k->fill]);
    uint64_t reads = k->hits + k->misses + k->early_recomputes;
    cJSON_AddNumberToObject(out, "hits", (double)k->hits);
    cJSON_AddNumberToObject(out, "misses", (double)k->misses);
    cJSON_AddNumberToObject(out, "hit_ratio", reads ? (double)k->hits / (double)reads : 0);
    cJSON_AddNumberToObject(out, "stale_served", (double)k->stale_served);
    cJSON_AddNumberToObject(out, "early_recomputes", (double)k->early_recomputes);
    cJSON_AddNumberToObject(out, "lease_waits", (double)k->lease_waits);
    cJSON_AddNumberToObject(out, "backend_fetches", (double)k->fetches);
    cJSON_AddNumberToObject(out, "backend_errors", (double)k->fetch_errors);
    cJSON_AddNumberToObject(out, "backend_fetch_peak_per_s",
                            (double)k->fetch_peak / fl_time_to_s(w->window));
    cJSON_AddNumberToObject(out, "miss_episodes", (double)k->episodes);
    cJSON_AddNumberToObject(out, "fetches_per_episode",
                            k->episodes ? (double)k->episode_fetches / (double)k->episodes : 0);
    cJSON_AddNumberToObject(out, "deletes_on_error", (double)k->deletes_on_error);
    cJSON_AddNumberToObject(out, "writes", (double)k->writes);
    cJSON_AddNumberToObject(out, "write_errors", (double)k->write_errors);
    cJSON_AddNumberToObject(out, "invalidations", (double)k->invalidations);
    cJSON_AddNumberToObject(out, "evictions", (double)k->evictions);
    cJSON_AddNumberToObject(out, "entries_at_end", (double)k->held);
    fl_caller_report(k->backend, cJSON_AddObjectToObject(out, "backend"));
    if (k->warm) {
        cJSON *wt = cJSON_AddObjectToObject(out, "warm_tier");
        cJSON_AddStringToObject(wt, "node", k->warm_name);
        cJSON_AddNumberToObject(wt, "fetches", (double)k->warm_fetches);
        fl_caller_report(k->warm, cJSON_AddObjectToObject(wt, "calls"));
    }
    fl_station_report(k->st, fl_sim_now(w->sim), out);
}

static void destroy(fl_component *c)
{
    cache *k = c->state;
    if (!k)
        return;
    fl_station_free(k->st);
    fl_dist_free(k->hit_time);
    fl_free(k->ents);
    fl_free(k->map);
    fl_free(k->ws);
    fl_free(k);
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"backend", "node name", "", "required", "`\"db\"`",
     "the node behind the cache (not the cache itself)", FL_KV_OTHER, FL_NO_BOUNDS},
    {"ttl", "duration", "", "required", "`\"60s\"`",
     "an entry is fresh this long after its fill (monotonic clock)", FL_KV_DURATION, FL_ABOVE(0)},
    {"capacity", "integer", "entries", "`0` (unbounded)", "`100000`",
     "a new entry evicts the least recently used one that has no fill in flight",
     FL_KV_INTEGER, FL_RANGE(0, 1e8)},
    {"workers", "integer", "", "`16`", "`8`",
     "requests in `hit_time` at once", FL_KV_INTEGER, FL_RANGE(1, 1e6)},
    {"hit_time", "distribution", "", "`\"const(100us)\"`", "`\"const(200us)\"`",
     "time every request (read or write, hit or miss) occupies a worker before the "
     "lookup", FL_KV_OTHER, FL_NO_BOUNDS},
    {"fill", "`\"none\"`, `\"lock\"`, `\"lease\"`, `\"swr\"`, `\"xfetch\"`", "", "`\"none\"`",
     "`\"lease\"`",
     "`none`: every miss reads the backend (a stampede); `lock`: single flight, the "
     "key's other misses wait for its answer; `lease`: one backend read per key per "
     "`lease_interval`, the other misses look again every `lease_retry`; `swr`: an expired entry "
     "younger than `ttl` + `stale_for` is served at once and refreshed in the background, single "
     "flight; `xfetch`: a hit refreshes early with a probability that rises as expiry nears (now "
     "- delta x beta x ln U >= expiry, delta the key's last fill time)", FL_KV_OTHER, FL_NO_BOUNDS},
    {"stale_for", "duration", "", "`\"10s\"`", "`\"30s\"`",
     "used by `swr`", FL_KV_DURATION, FL_AT_LEAST(0)},
    {"lease_interval", "duration", "", "`\"10s\"`", "`\"2s\"`",
     "used by `lease`", FL_KV_DURATION, FL_ABOVE(0)},
    {"lease_retry", "duration", "", "`\"10ms\"`", "`\"50ms\"`",
     "used by `lease` (true time)", FL_KV_DURATION, FL_ABOVE(0)},
    {"xfetch_beta", "number", "", "`1`", "`2`",
     "used by `xfetch`: larger refreshes earlier", FL_KV_NUMBER, FL_RANGE(0.01, 100)},
    {"delete_on_error", "boolean", "", "`false`", "`true`",
     "a failed backend read also deletes the entry (the client-side \"fix\" of "
     "Facebook's 23 Sep 2010 outage)", FL_KV_OTHER, FL_NO_BOUNDS},
    {"invalidation_delay", "duration", "", "`0`", "`\"100ms\"`",
     "from a successful write to the deletion of its key's entry (true time)",
     FL_KV_DURATION, FL_AT_LEAST(0)},
    {"warm_tier", "node name", "", "none", "`\"warm\"`",
     "fills read this node (another cache, already warm, in front of the same data) instead "
     "of the backend, for `warm_for` after the cache starts and after each restart: "
     "Facebook memcache's cold cluster warm-up", FL_KV_OTHER, FL_NO_BOUNDS},
    {"warm_for", "duration", "", "the whole run", "`\"10m\"`",
     "with `warm_tier` only: how long after the start and after each restart fills read the "
     "warm tier", FL_KV_DURATION, FL_ABOVE(0)},
    {"backend_client", "client policy", "", "one try, no timeout",
     "`{\"timeout\": \"1s\", \"attempts\": 2}`",
     "the `client.*` keys of a workload but `slo`, for the cache's backend reads "
     "and writes", FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"hits_per_s", "/s", "hits"},
    {"misses_per_s", "/s", "misses"},
    {"backend_fetches_per_s", "/s", "reads sent to the backend"},
    {"entries", "entries", "values held at the end of the window (a crash empties it)"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_cache_ops = {
    .kind = "cache",
    .about = "a look-aside cache with TTL, LRU capacity and stampede-control fill policies",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .connect = connect,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE) |
              FL_FAULT_BIT(BAD_VALUE) | FL_FAULT_BIT(CLOCK),
    .fault = fault,
    .destroy = destroy,
};
