/* The `lock_client` component: a process that takes a lease lock, works, writes to the
 * storage the lock protects, and releases; over and over.
 *
 *   {"name": "client-1", "kind": "lock_client", "servers": ["lock"], "storage": "storage",
 *    "start": "0s", "work": "const(4s)", "writes": 2, "idle": "const(1s)",
 *    "retry": "const(1s)", "timeout": "100ms", "drift_allowance": "10000ppm"}
 *
 * One loop per client (one node each, so a "pause" fault stops exactly one client):
 *
 *   acquire  ask every server at once (each a `lock` node) and wait for every answer or
 *            `timeout` on the client's own monotonic clock. With one server that server
 *            decides; with N (Redlock) the client needs a majority, and counts the lock as
 *            valid for ttl - (time the acquisition took) - (ttl x drift_allowance + 2 ms).
 *            Not held, or no validity left: release what it got, wait `retry`, try again.
 *   hold     checks the validity once, here (as real code does, before it could be
 *            paused), then `writes` times: `work`, then a write to `storage` carrying its
 *            token, waiting for the answer (or `timeout`). A paused client does nothing
 *            until the pause ends, then carries on believing it holds the lock.
 *   release  after the last write (or as soon as a write is fenced or times out): release
 *            on every server, wait `idle`, acquire again.
 *
 * With "fence_on_acquire": true (one server, a fencing storage) the client, once granted,
 * first sends the storage a fence carrying its token and waits for the answer (or
 * `timeout`); only then does its hold begin. Accepted, the storage has raised its highest
 * token, so every later write of an older holder is rejected: the older holder's accepted
 * writes all land before this hold begins. Rejected (a newer token was seen) or unanswered,
 * it releases without holding. Without it the storage learns the new token only from the
 * new holder's first write, and an older holder's write before that is accepted.
 *
 * Tokens: with one server, the server's fencing token, which the storage may check. With
 * several, Redlock has no monotonic token: the hold is labelled with the highest of its
 * servers' tokens for the report, and its writes carry no fencing token (so it may not
 * write to a storage with "fencing": true).
 *
 * Every duration is on the client's clock (its node's "clock" and clock faults apply).
 * The history records each acquisition (FL_OP_ACQUIRE with its token), write (FL_OP_WRITE:
 * ok, fail when fenced, info when timed out) and release, as client 2^31 + the node's index
 * (above every workload session's number).
 *
 * Report (nodes.<name>): attempts, acquisitions, failed_acquisitions, holds,
 * expired_while_held (holds during which the lease ran out on a majority of its servers,
 * in true time, before the client let go; a lease a server forgot in a crash is not
 * counted), max_overrun_s (the longest the client went on believing after that),
 * writes_ok, writes_fenced, writes_unknown. Counted after the warm-up. Series:
 * <name>.holding (1 while it believes it holds the lock, at a window's end).
 * Crash: the client stops (a hold ends, no release is sent) and starts over on restart. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/lock_int.h"
#include "model/world.h"

#define MAX_SERVERS 31
#define HISTORY_CLIENT(index) ((1u << 31) | (index))

enum { ST_IDLE, ST_ACQUIRING, ST_HOLDING, ST_WRITING, ST_DOWN, ST_FENCING };
enum { T_ATTEMPT, T_ACQ_TIMEOUT, T_WORK, T_WRITE_TIMEOUT }; /* the fence's timeout: the last */

typedef struct lock_client {
    fl_world *w;
    fl_component *c;
    const cJSON *cfg; /* valid until connect() has run */
    char path[64];
    /* configuration */
    uint32_t servers[MAX_SERVERS];
    int nservers, quorum;
    uint32_t storage;
    fl_dist *work, *idle, *retry;
    int writes_per_hold;
    bool fence_on_acquire;
    fl_time start, timeout, ttl, allowance;
    int64_t drift_ppb;
    uint64_t key;
    fl_rng rng;
    int h_step, h_reply, col_holding;
    /* state */
    int state;
    uint32_t seq;   /* bumped at every step: stale timers and answers are ignored */
    uint32_t owner; /* the current attempt's number (the value a release must match) */
    fl_time acq_start, acq_mono;
    int replies, grants;
    uint8_t granted[MAX_SERVERS], replied[MAX_SERVERS];
    int64_t tokens[MAX_SERVERS];
    fl_time expiry[MAX_SERVERS];
    int64_t token;        /* the hold's */
    fl_time hold_start;
    fl_time lease_end;    /* true time the lease ends on a majority of its servers */
    int writes_done;
    size_t op_acq, op_write; /* history ids */
    bool op_acq_ok, op_write_ok;
    /* message pool */
    fl_lock_msg *msgs;
    fl_pool msgs_pool; /* over msgs, linked by next (core/pool.h) */
    /* holds, for the mutual-exclusion check */
    fl_lock_hold *holds;
    size_t nholds, holds_cap;
    uint64_t unrecorded;
    /* figures */
    uint64_t attempts, acquisitions, failed, expired, writes_ok, writes_fenced, writes_unknown;
    uint64_t fences_ok, fences_failed;
    fl_time max_overrun;
} lock_client;


/* ---- messages ------------------------------------------------------------------------ */

static uint32_t msg_new(lock_client *cl)
{
    uint32_t id;
    fl_lock_msg *m = fl__pool_take(cl->w->sim, &cl->msgs_pool, cl->msgs, sizeof *m,
                                   offsetof(fl_lock_msg, next), 16, &id);
    if (!m)
        return FL_NONE;
    cl->msgs = m;
    memset(&cl->msgs[id], 0, sizeof cl->msgs[id]);
    cl->msgs[id].next = FL_NONE;
    return id;
}

static void msg_free(lock_client *cl, uint32_t id)
{
    fl__pool_put(&cl->msgs_pool, cl->msgs, sizeof *cl->msgs, offsetof(fl_lock_msg, next), id);
}

fl_lock_msg *fl_lock_msg_at(fl_component *client, uint32_t id)
{
    return &((lock_client *)client->state)->msgs[id];
}

void fl_lock_msg_drop(fl_component *client, uint32_t id) { msg_free(client->state, id); }

void fl_lock_reply(fl_world *w, fl_component *client, uint32_t id, const fl_component *from)
{
    lock_client *cl = client->state;
    fl_time d = fl_world_peer_send(w, (fl_peer){from->index, FL_PEER_NODE},
                                   (fl_peer){client->index, FL_PEER_NODE}, NULL);
    if (d < 0)
        msg_free(cl, id);
    else
        fl_sim_after(w->sim, d, cl->h_reply, id);
}

/* Sends record id to component `to`'s inbox handler h; lost on the way: freed. */
static void send(lock_client *cl, uint32_t to, int h, uint32_t id)
{
    fl_world *w = cl->w;
    fl_time d = fl_world_peer_send(w, (fl_peer){cl->c->index, FL_PEER_NODE},
                                   (fl_peer){to, FL_PEER_NODE}, NULL);
    if (d < 0)
        msg_free(cl, id);
    else
        fl_sim_after(w->sim, d, h, ((uint64_t)cl->c->index << 32) | id);
}

/* ---- the loop ------------------------------------------------------------------------ */

static fl_time now_of(const lock_client *cl) { return fl_sim_now(cl->w->sim); }

static bool counted(const lock_client *cl) { return now_of(cl) >= cl->w->warmup; }

static fl_time mono(const lock_client *cl, fl_time t)
{
    return cl->c->host.clock ? fl_clock_mono(cl->c->host.clock, t) : t;
}

/* A timer of kind k after a local duration d, for the current step. */
static void timer(lock_client *cl, fl_time d, int k)
{
    fl_time at = fl_host_after(&cl->c->host, now_of(cl), d);
    if (at < cl->w->duration)
        fl_sim_at(cl->w->sim, at, cl->h_step, ((uint64_t)cl->seq << 2) | (uint64_t)k);
}

static void history_add(lock_client *cl, fl_op_kind kind, int64_t value, int64_t token,
                        uint32_t node, fl_op_outcome outcome, size_t *id, bool *ok)
{
    fl_time now = now_of(cl);
    fl_op op = {.invoke = now, .complete = outcome == FL_OP_PENDING ? FL_TIME_NEVER : now,
                .key = cl->key, .value = value, .expect = FL_VALUE_NONE, .token = token,
                .client = HISTORY_CLIENT(cl->c->index), .node = node, .kind = kind,
                .outcome = outcome};
    size_t dummy;
    fl_status st = fl_history_add(cl->w->history, &op, id ? id : &dummy);
    if (ok)
        *ok = st == FL_OK;
}

static void history_complete(lock_client *cl, size_t id, bool ok, fl_op_outcome o)
{
    if (ok)
        fl_history_complete(cl->w->history, id, now_of(cl), o, FL_VALUE_KEEP, FL_NODE_NONE);
}

/* The hold ends now (released, abandoned or crashed). */
static void end_hold(lock_client *cl)
{
    fl_time now = now_of(cl);
    if (cl->nholds == cl->holds_cap) {
        size_t cap = cl->holds_cap ? 2 * cl->holds_cap : 32;
        fl_lock_hold *h = fl_realloc(cl->holds, cap * sizeof *h);
        if (h) {
            cl->holds = h;
            cl->holds_cap = cap;
        }
    }
    if (cl->nholds < cl->holds_cap)
        cl->holds[cl->nholds++] = (fl_lock_hold){cl->c->index, cl->token, cl->hold_start, now};
    else
        cl->unrecorded++;
    if (cl->lease_end < now)
        fl_world_event(cl->w, cl->lease_end, cl->c->name, "lease-expiry",
                       "%s's lease runs out while it still holds the lock", cl->c->name);
    if (counted(cl) && cl->lease_end < now) {
        cl->expired++;
        if (now - cl->lease_end > cl->max_overrun)
            cl->max_overrun = now - cl->lease_end;
    }
}

/* Releases on every server that granted the lock or did not answer (its grant may have
 * been lost on the way back: Redlock unlocks them all). */
static void release_all(lock_client *cl)
{
    fl_world *w = cl->w;
    for (int k = 0; k < cl->nservers; k++) {
        if (cl->replied[k] && !cl->granted[k])
            continue; /* it said no: it holds nothing for this attempt */
        uint32_t id = msg_new(cl);
        if (id == FL_NONE)
            continue; /* out of memory: the lease will expire */
        fl_lock_msg *m = &cl->msgs[id];
        m->type = FL_LOCK_RELEASE;
        m->slot = (uint8_t)k;
        m->owner = cl->owner;
        m->seq = cl->seq;
        m->token = cl->granted[k] ? cl->tokens[k] : FL_TOKEN_NONE;
        send(cl, cl->servers[k], fl_lock_server_inbox(w->comps[cl->servers[k]]), id);
    }
}

static void begin_attempt(lock_client *cl)
{
    fl_world *w = cl->w;
    fl_time now = now_of(cl);
    cl->seq++;
    cl->owner++;
    cl->state = ST_ACQUIRING;
    cl->acq_start = now;
    cl->acq_mono = mono(cl, now);
    cl->replies = cl->grants = 0;
    memset(cl->granted, 0, sizeof cl->granted);
    memset(cl->replied, 0, sizeof cl->replied);
    if (counted(cl))
        cl->attempts++;
    history_add(cl, FL_OP_ACQUIRE, FL_VALUE_NONE, FL_TOKEN_NONE,
                cl->nservers == 1 ? cl->servers[0] : FL_NODE_NONE, FL_OP_PENDING, &cl->op_acq,
                &cl->op_acq_ok);
    for (int k = 0; k < cl->nservers; k++) {
        uint32_t id = msg_new(cl);
        if (id == FL_NONE)
            continue; /* out of memory: as if lost */
        fl_lock_msg *m = &cl->msgs[id];
        m->type = FL_LOCK_ACQUIRE;
        m->slot = (uint8_t)k;
        m->owner = cl->owner;
        m->seq = cl->seq;
        send(cl, cl->servers[k], fl_lock_server_inbox(w->comps[cl->servers[k]]), id);
    }
    timer(cl, cl->timeout, T_ACQ_TIMEOUT);
}

static void start_work(lock_client *cl)
{
    cl->state = ST_HOLDING;
    timer(cl, fl_dist_sample(cl->work, &cl->rng), T_WORK);
}

/* fence_on_acquire: the token goes to the storage before the hold begins. */
static void send_fence(lock_client *cl)
{
    fl_world *w = cl->w;
    cl->seq++;
    cl->state = ST_FENCING;
    uint32_t id = msg_new(cl);
    if (id != FL_NONE) {
        fl_lock_msg *m = &cl->msgs[id];
        m->type = FL_LOCK_FENCE;
        m->seq = cl->seq;
        m->token = cl->token;
        m->fence = 1; /* one server: connect() checked */
        send(cl, cl->storage, fl_lock_storage_inbox(w->comps[cl->storage]), id);
    }
    timer(cl, cl->timeout, T_WRITE_TIMEOUT);
}

/* The fence was rejected or not answered: release without having held (no hold is
 * recorded: the client relied on nothing). */
static void fence_failed(lock_client *cl)
{
    if (counted(cl))
        cl->fences_failed++;
    release_all(cl);
    history_add(cl, FL_OP_RELEASE, FL_VALUE_NONE, cl->token, FL_NODE_NONE, FL_OP_OK, NULL, NULL);
    cl->seq++;
    cl->state = ST_IDLE;
    timer(cl, fl_dist_sample(cl->retry, &cl->rng), T_ATTEMPT);
}

/* Every answer is in, or the timeout fired: held, or not. */
static void decide(lock_client *cl)
{
    fl_time now = now_of(cl);
    cl->seq++;
    fl_time validity = cl->ttl - (mono(cl, now) - cl->acq_mono) - cl->allowance;
    if (cl->grants >= cl->quorum && validity > 0) {
        /* The token: the server's, or (Redlock) the highest, a label and no fencing token.
         * The lease ends, in true time, when fewer than a majority still hold it: at the
         * quorum-th latest of the grants' expiries. */
        fl_time ends[MAX_SERVERS];
        int n = 0;
        cl->token = FL_TOKEN_NONE;
        for (int k = 0; k < cl->nservers; k++)
            if (cl->granted[k]) {
                if (cl->tokens[k] > cl->token)
                    cl->token = cl->tokens[k];
                int j = n++;
                for (; j > 0 && ends[j - 1] < cl->expiry[k]; j--) /* descending */
                    ends[j] = ends[j - 1];
                ends[j] = cl->expiry[k];
            }
        cl->lease_end = ends[cl->quorum - 1];
        cl->hold_start = now;
        cl->writes_done = 0;
        if (counted(cl))
            cl->acquisitions++;
        fl_world_event(cl->w, now, cl->c->name, "acquisition", "%s acquires the lock (token %lld)",
                       cl->c->name, (long long)cl->token);
        if (cl->op_acq_ok) {
            fl_history_set_token(cl->w->history, cl->op_acq, cl->token);
            history_complete(cl, cl->op_acq, true, FL_OP_OK);
        }
        if (cl->fence_on_acquire)
            send_fence(cl);
        else
            start_work(cl);
        return;
    }
    if (counted(cl))
        cl->failed++;
    history_complete(cl, cl->op_acq, cl->op_acq_ok, FL_OP_FAIL);
    release_all(cl);
    cl->state = ST_IDLE;
    timer(cl, fl_dist_sample(cl->retry, &cl->rng), T_ATTEMPT);
}

/* The hold is over: release it and rest before the next one. */
static void let_go(lock_client *cl)
{
    end_hold(cl);
    release_all(cl);
    history_add(cl, FL_OP_RELEASE, FL_VALUE_NONE, cl->token, FL_NODE_NONE, FL_OP_OK, NULL, NULL);
    cl->seq++;
    cl->state = ST_IDLE;
    timer(cl, fl_dist_sample(cl->idle, &cl->rng), T_ATTEMPT);
}

static void send_write(lock_client *cl)
{
    fl_world *w = cl->w;
    cl->seq++;
    cl->state = ST_WRITING;
    int64_t version = fl_world_version(w);
    history_add(cl, FL_OP_WRITE, version, cl->token, cl->storage, FL_OP_PENDING, &cl->op_write,
                &cl->op_write_ok);
    uint32_t id = msg_new(cl);
    if (id != FL_NONE) {
        fl_lock_msg *m = &cl->msgs[id];
        m->type = FL_LOCK_WRITE;
        m->seq = cl->seq;
        m->token = cl->token;
        m->fence = cl->nservers == 1;
        m->version = version;
        send(cl, cl->storage, fl_lock_storage_inbox(w->comps[cl->storage]), id);
    }
    timer(cl, cl->timeout, T_WRITE_TIMEOUT);
}

static void on_step(fl_sim *sim, void *ctx, uint64_t arg)
{
    lock_client *cl = ctx;
    fl_time now = fl_sim_now(sim);
    if (now < cl->c->host.paused_until) { /* stopped: it carries on when it resumes */
        fl_sim_at(sim, cl->c->host.paused_until, cl->h_step, arg);
        return;
    }
    if ((uint32_t)(arg >> 2) != cl->seq)
        return; /* the step it was for is over */
    switch ((int)(arg & 3)) {
    case T_ATTEMPT:
        if (cl->state == ST_IDLE)
            begin_attempt(cl);
        break;
    case T_ACQ_TIMEOUT:
        if (cl->state == ST_ACQUIRING)
            decide(cl);
        break;
    case T_WORK:
        if (cl->state == ST_HOLDING)
            send_write(cl);
        break;
    default: /* T_WRITE_TIMEOUT: the write (or fence) may or may not have landed */
        if (cl->state == ST_FENCING) {
            fence_failed(cl);
        } else if (cl->state == ST_WRITING) {
            history_complete(cl, cl->op_write, cl->op_write_ok, FL_OP_INFO);
            if (counted(cl))
                cl->writes_unknown++;
            let_go(cl);
        }
        break;
    }
}

static void on_reply(fl_sim *sim, void *ctx, uint64_t arg)
{
    lock_client *cl = ctx;
    fl_time now = fl_sim_now(sim);
    if (now < cl->c->host.paused_until) { /* it reads the answer when it resumes */
        fl_sim_at(sim, cl->c->host.paused_until, cl->h_reply, arg);
        return;
    }
    uint32_t id = (uint32_t)arg;
    fl_lock_msg m = cl->msgs[id];
    msg_free(cl, id);
    if (m.seq != cl->seq)
        return; /* too late: the step is over */
    if (m.type == FL_LOCK_ACQUIRE && cl->state == ST_ACQUIRING) {
        cl->replies++;
        cl->replied[m.slot] = 1;
        if (m.ok) {
            cl->grants++;
            cl->granted[m.slot] = 1;
            cl->tokens[m.slot] = m.token;
            cl->expiry[m.slot] = m.expiry;
        }
        if (cl->replies == cl->nservers)
            decide(cl);
    } else if (m.type == FL_LOCK_FENCE && cl->state == ST_FENCING) {
        if (!m.ok) { /* a newer holder's token is already there */
            fence_failed(cl);
            return;
        }
        if (counted(cl))
            cl->fences_ok++;
        cl->hold_start = now; /* the hold begins once the storage knows its token */
        start_work(cl);
    } else if (m.type == FL_LOCK_WRITE && cl->state == ST_WRITING) {
        cl->seq++;
        history_complete(cl, cl->op_write, cl->op_write_ok, m.ok ? FL_OP_OK : FL_OP_FAIL);
        if (!m.ok) { /* fenced: the lock was lost; give up this hold */
            if (counted(cl))
                cl->writes_fenced++;
            let_go(cl);
            return;
        }
        if (counted(cl))
            cl->writes_ok++;
        if (++cl->writes_done < cl->writes_per_hold)
            start_work(cl);
        else
            let_go(cl);
    }
}

/* ---- the component ------------------------------------------------------------------- */

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    lock_client *cl = fl_calloc(1, sizeof *cl);
    if (!cl)
        return FL_NOMEM;
    c->state = cl;
    cl->w = w;
    cl->c = c;
    cl->cfg = cfg;
    cl->msgs_pool = (fl_pool)FL_POOL_INIT;
    snprintf(cl->path, sizeof cl->path, "%s", path);
    long writes;
    if ((st = fl_kind_duration(c, "start", cfg, path, FL_CFG_OPTIONAL, 0, &cl->start, e)) ||
        (st = fl_cfg_dist(cfg, path, "work", FL_CFG_OPTIONAL, "const(1s)", &cl->work, e)) ||
        (st = fl_kind_int(c, "writes", cfg, path, FL_CFG_OPTIONAL, 1, &writes, e)) ||
        (st = fl_cfg_bool(cfg, path, "fence_on_acquire", FL_CFG_OPTIONAL, false,
                          &cl->fence_on_acquire, e)) ||
        (st = fl_cfg_dist(cfg, path, "idle", FL_CFG_OPTIONAL, "const(1s)", &cl->idle, e)) ||
        (st = fl_cfg_dist(cfg, path, "retry", FL_CFG_OPTIONAL, "const(200ms)", &cl->retry, e)) ||
        (st = fl_kind_duration(c, "timeout", cfg, path, FL_CFG_OPTIONAL, 100 * FL_MS, &cl->timeout,
                               e)) ||
        (st = fl_cfg_ppm(cfg, path, "drift_allowance", FL_CFG_OPTIONAL, false, FL_CLOCK_MAX_PPB,
                         &cl->drift_ppb, e)))
        return st;
    if (!cJSON_GetObjectItemCaseSensitive(cfg, "drift_allowance"))
        cl->drift_ppb = 10000000; /* Redlock's 1% */
    if (cl->drift_ppb < 0) {
        char p[128];
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "drift_allowance"),
                            "expected an allowance of 0 or more, such as \"10000ppm\" (1%%)");
    }
    cl->writes_per_hold = (int)writes;
    fl_world_stream(w, &cl->rng, c->name, "lock");
    if ((st = fl_world_want_history(w)))
        return st;
    cl->h_step = fl_sim_handler(w->sim, on_step, cl);
    cl->h_reply = fl_sim_handler(w->sim, on_reply, cl);
    char col[200];
    snprintf(col, sizeof col, "%s.holding", c->name);
    cl->col_holding = fl_series_column(w->series, col, FL_SERIES_LAST);
    if (cl->h_step < 0 || cl->h_reply < 0 || cl->col_holding < 0)
        return FL_NOMEM;
    return FL_OK;
}

/* The node named by v (at JSON path p), which must be of kind ops. */
static fl_status find(fl_world *w, const cJSON *v, const char *p, const fl_component_ops *ops,
                      const char *what, uint32_t *out, fl_error *e)
{
    if (!cJSON_IsString(v)) {
        char got[64];
        fl_cfg_describe(v, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p, "expected the name of a %s node, got %s", what, got);
    }
    return fl_world_find_node(w, v->valuestring, NULL, ops, p, out, e);
}

static fl_status connect(fl_world *w, fl_component *c, fl_error *e)
{
    lock_client *cl = c->state;
    fl_status st;
    char p[128], q[160];
    const cJSON *servers = cJSON_GetObjectItemCaseSensitive(cl->cfg, "servers");
    fl_cfg_join(p, sizeof p, cl->path, "servers");
    if (!servers)
        return fl_error_set(e, FL_INVALID, p, "missing; expected the lock servers, such as "
                                              "[\"lock\"] (one) or five for Redlock");
    if (!cJSON_IsArray(servers) || cJSON_GetArraySize(servers) < 1 ||
        cJSON_GetArraySize(servers) > MAX_SERVERS) {
        char got[64];
        fl_cfg_describe(servers, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p, "expected an array of 1 to %d lock node names, got %s",
                            MAX_SERVERS, got);
    }
    int k = 0;
    cl->ttl = FL_TIME_MAX;
    for (const cJSON *s = servers->child; s; s = s->next, k++) {
        fl_cfg_index(q, sizeof q, p, k);
        if ((st = find(w, s, q, &fl_lock_ops, "lock", &cl->servers[k], e)))
            return st;
        for (int j = 0; j < k; j++)
            if (cl->servers[j] == cl->servers[k])
                return fl_error_set(e, FL_INVALID, q, "\"%s\" is listed twice", s->valuestring);
        fl_time ttl = fl_lock_server_ttl(w->comps[cl->servers[k]]);
        if (ttl < cl->ttl)
            cl->ttl = ttl; /* servers with different TTLs: the shortest is what it can count on */
    }
    cl->nservers = k;
    cl->quorum = k / 2 + 1;
    fl_cfg_join(p, sizeof p, cl->path, "storage");
    const cJSON *storage = cJSON_GetObjectItemCaseSensitive(cl->cfg, "storage");
    if (!storage)
        return fl_error_set(e, FL_INVALID, p, "missing; expected the name of the lock_storage "
                                              "node the client writes to");
    if ((st = find(w, storage, p, &fl_lock_storage_ops, "lock_storage", &cl->storage, e)))
        return st;
    if (cl->nservers > 1 && fl_lock_storage_fencing(w->comps[cl->storage]))
        return fl_error_set(e, FL_INVALID, p,
                            "\"%s\" checks fencing tokens, but a client of %d lock servers "
                            "(Redlock) has no monotonic token to give it: use one lock server, "
                            "or \"fencing\": false",
                            storage->valuestring, cl->nservers);
    if (cl->fence_on_acquire && !fl_lock_storage_fencing(w->comps[cl->storage])) {
        fl_cfg_join(p, sizeof p, cl->path, "fence_on_acquire");
        return fl_error_set(e, FL_INVALID, p,
                            "the storage \"%s\" does not check fencing tokens, so a fence "
                            "would stop nothing: set its \"fencing\": true, or drop "
                            "\"fence_on_acquire\"",
                            storage->valuestring);
    }
    /* Redlock's allowance: ttl x drift + 2 ms (in microseconds, so it cannot overflow). */
    cl->allowance = (cl->ttl / FL_US) * cl->drift_ppb / 1000000 + 2 * FL_MS;
    cl->cfg = NULL;
    if (cl->start < w->duration &&
        fl_sim_at(w->sim, cl->start, cl->h_step, ((uint64_t)cl->seq << 2) | T_ATTEMPT))
        return FL_NOMEM;
    return FL_OK;
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    (void)c; /* a client takes no workload requests */
    fl_world_reply(w, id, FL_OUT_REJECTED);
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    (void)w;
    lock_client *cl = c->state;
    if (f->kind != FL_FAULT_CRASH)
        return; /* a pause is read from host.paused_until */
    if (begin) {
        if (cl->state == ST_HOLDING || cl->state == ST_WRITING)
            end_hold(cl);
        cl->state = ST_DOWN;
        cl->seq++;
    } else if (cl->state == ST_DOWN) {
        cl->state = ST_IDLE;
        cl->seq++;
        timer(cl, 0, T_ATTEMPT);
    }
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    lock_client *cl = c->state;
    fl_series_add(w->series, cl->col_holding, t,
                  cl->state == ST_HOLDING || cl->state == ST_WRITING ? 1 : 0);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    lock_client *cl = c->state;
    fl_time now = fl_sim_now(w->sim);
    uint64_t expired = cl->expired;
    fl_time overrun = cl->max_overrun;
    bool holding = cl->state == ST_HOLDING || cl->state == ST_WRITING;
    if (holding && cl->lease_end < now) { /* still holding a lease that ran out */
        expired++;
        if (now - cl->lease_end > overrun)
            overrun = now - cl->lease_end;
    }
    cJSON_AddNumberToObject(out, "servers", cl->nservers);
    cJSON_AddNumberToObject(out, "quorum", cl->quorum);
    cJSON_AddNumberToObject(out, "attempts", (double)cl->attempts);
    cJSON_AddNumberToObject(out, "acquisitions", (double)cl->acquisitions);
    cJSON_AddNumberToObject(out, "failed_acquisitions", (double)cl->failed);
    cJSON_AddNumberToObject(out, "holds", (double)(cl->nholds + holding));
    cJSON_AddNumberToObject(out, "expired_while_held", (double)expired);
    cJSON_AddNumberToObject(out, "max_overrun_s", fl_time_to_s(overrun));
    cJSON_AddNumberToObject(out, "writes_ok", (double)cl->writes_ok);
    cJSON_AddNumberToObject(out, "writes_fenced", (double)cl->writes_fenced);
    cJSON_AddNumberToObject(out, "writes_unknown", (double)cl->writes_unknown);
    if (cl->fence_on_acquire) {
        cJSON_AddNumberToObject(out, "fences_ok", (double)cl->fences_ok);
        cJSON_AddNumberToObject(out, "fences_failed", (double)cl->fences_failed);
    }
}

static void destroy(fl_component *c)
{
    lock_client *cl = c->state;
    if (!cl)
        return;
    fl_dist_free(cl->work);
    fl_dist_free(cl->idle);
    fl_dist_free(cl->retry);
    fl_free(cl->msgs);
    fl_free(cl->holds);
    fl_free(cl);
}

fl_status fl_lock_client_holds(const fl_component *client, fl_time now, fl_lock_hold **out,
                               size_t *n)
{
    const lock_client *cl = client->state;
    bool holding = cl->state == ST_HOLDING || cl->state == ST_WRITING;
    *n = 0;
    if (cl->unrecorded)
        return FL_NOMEM;
    *out = fl_malloc((cl->nholds + 1) * sizeof **out);
    if (!*out)
        return FL_NOMEM;
    if (cl->nholds)
        memcpy(*out, cl->holds, cl->nholds * sizeof **out);
    *n = cl->nholds;
    if (holding)
        (*out)[(*n)++] = (fl_lock_hold){client->index, cl->token, cl->hold_start, now};
    return FL_OK;
}

uint32_t fl_lock_client_storage(const fl_component *client)
{
    return ((const lock_client *)client->state)->storage;
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"servers", "array of `lock` names", "", "required", "`[\"lock\"]`",
     "1 to 31; with several (Redlock) a majority must grant, and the lock counts as "
     "valid for ttl - (time the acquisition took) - (ttl x `drift_allowance` + 2 ms), ttl the "
     "shortest of its servers'. Its writes then carry no fencing token", FL_KV_OTHER, FL_NO_BOUNDS},
    {"storage", "`lock_storage` name", "", "required", "`\"storage\"`",
     "where it writes", FL_KV_OTHER, FL_NO_BOUNDS},
    {"start", "duration", "", "`0`", "`\"2s\"`",
     "the first acquisition", FL_KV_DURATION, FL_AT_LEAST(0)},
    {"work", "distribution", "", "`\"const(1s)\"`", "`\"const(4s)\"`",
     "before each write", FL_KV_OTHER, FL_NO_BOUNDS},
    {"writes", "integer", "", "`1`", "`2`",
     "writes per hold", FL_KV_INTEGER, FL_RANGE(1, 1e6)},
    {"idle", "distribution", "", "`\"const(1s)\"`", "`\"exp(1s)\"`",
     "after a release", FL_KV_OTHER, FL_NO_BOUNDS},
    {"retry", "distribution", "", "`\"const(200ms)\"`", "`\"const(1s)\"`",
     "after a failed acquisition", FL_KV_OTHER, FL_NO_BOUNDS},
    {"timeout", "duration", "", "`\"100ms\"`", "`\"200ms\"`",
     "for every acquisition and write", FL_KV_DURATION, FL_ABOVE_TO(0, 86400)},
    {"fence_on_acquire", "boolean", "", "`false`", "`true`",
     "once granted, send the storage its token and wait for the answer before the hold "
     "begins (rejected, or no answer within `timeout`: release); needs a storage with `fencing`",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"drift_allowance", "ppm, 0 or more", "parts per million", "`\"10000ppm\"` (1%)",
     "`\"5000ppm\"`",
     "Redlock's clock-drift factor", FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"holding", "flag", "1 while the client believes it holds the lock"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_lock_client_ops = {
    .kind = "lock_client",
    .about = "takes a lease lock (one server or a Redlock majority), works, writes with its token",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .connect = connect,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE) |
              FL_FAULT_BIT(CLOCK),
    .fault = fault,
    .destroy = destroy,
};
