/* The `quorum` component: a leaderless replicated store (Dynamo, Cassandra, Riak): N
 * replicas, a coordinator, R and W.
 *
 *   {"name": "kv", "kind": "quorum", "replicas": 3, "r": 2, "w": 2,
 *    "coordinator": "naive", "workers": 16, "write_time": "exp(1ms)",
 *    "read_time": "exp(1ms)", "message_delay": "exp(0.5ms)",
 *    "replica_zones": ["a", "b", "c"], "speculative_retry": "20ms",
 *    "read_repair": true, "timeout": "5s"}
 *
 * Members. Replicas 0..N-1 ("kv/1" names replica 1), each a station (node/station.h) of
 * "workers": its disk. A write on a replica takes one "write_time" draw and then holds the
 * write (a replica keeps the highest version it was given for a key); a read takes one
 * "read_time" draw and answers the version the replica holds when the read ends. The
 * coordinator sits in the node's zone; every message between it and a replica takes one
 * "message_delay" draw plus the latency of the link between their zones (a message the
 * link loses is lost: no retry; read repair may fix the replica later).
 *
 * Writes are sent to all N replicas (as Dynamo and Cassandra do). Reads are sent to R
 * replicas ("coordinator": "naive") or to all N ("fastest": Dynamo's "first R of N").
 * The coordinator answers once enough replicas answered among those it waits for:
 *   naive    waits for R (reads) or W (writes) replicas chosen uniformly per request,
 *            whatever the others answer: one slow replica is in the set with probability
 *            R/N (W/N), and the request waits for it
 *   fastest  counts the first R (W) answers from any replica
 * A read answers the highest version among the answers it counted. "speculative_retry"
 * (a duration, Cassandra's speculative_retry / a hedged request): when a request is still
 * waiting after it, the coordinator adds one more replica to those it waits for (a read is
 * sent to it), once per request; with "fastest" every replica is counted already, so the
 * option is refused there. "read_repair": after a read, the replicas among its answers
 * that returned an older version than the one answered get the newer one (a write of
 * that version, fire and forget). "timeout": a request not answered by then is answered
 * `timeout` (Cassandra's read/write_request_timeout).
 *
 * Staleness (PBS, Bailis et al., VLDB 2012): a read is stale when it answers a version
 * older than the newest version of its key whose write had been acknowledged (W answers
 * reached the coordinator) when the read reached the coordinator. stale_reads counts them,
 * stale_read_rate = stale_reads / reads answered ok (measured after the warm-up).
 * tests/unit/test_quorum.c checks the rate against an independent Monte Carlo of PBS's
 * WARS model.
 *
 * Faults: slow and pause, on the node (every replica) or on one replica ("kv/2"). A slowed
 * replica takes `factor` times as long for each read and write (a slow disk); a paused one
 * serves nothing until the pause ends (requests queue). A replica drops a read or write that
 * waited in its queue longer than "timeout" (the coordinator has given up on it by then:
 * Cassandra's dropped messages); a dropped write leaves that replica without it. A pause of the node stops the
 * coordinator too: requests and replica answers wait for its end. Crash is not modelled
 * (so neither is hinted handoff, which only matters for a replica that is down): it is
 * refused.
 *
 * Report (nodes.NAME): replicas, r, w, coordinator, read_latency_ms and write_latency_ms
 * (at the coordinator, from a request's arrival to its answer: {count, mean, p50, p90,
 * p99, p999, max}), reads, writes, stale_reads, stale_read_rate, speculative_retries,
 * read_repairs, timeouts, and per replica (members.replicaN) reads and writes served and
 * its station's utilisation and sojourn. Series: NAME.util.N per replica, NAME.read_p99_ms and
 * NAME.write_p99_ms (per window), NAME.speculative_per_s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "core/keymap.h"
#include "model/world.h"
#include "node/station.h"

#define MAX_REPLICAS 32

enum { COORD_NAIVE, COORD_FASTEST };
enum { JOB_READ, JOB_WRITE, JOB_REPAIR };

typedef struct quorum quorum;

/* One request the coordinator holds (a client read or write). */
typedef struct op {
    uint32_t req;   /* the world's request */
    uint32_t gen;   /* bumped when the slot is freed: late answers see a mismatch */
    uint32_t next;  /* free list */
    uint32_t sent;  /* replicas sent the request (bit i: replica i) */
    uint32_t wait;  /* replicas whose answers count */
    uint32_t got;   /* replicas that answered */
    uint32_t need;  /* R or W */
    uint32_t row;   /* the key's row */
    int64_t best;   /* highest version among the counted answers (reads) */
    int64_t floor;  /* reads: the key's newest acknowledged version on arrival */
    int64_t vers[MAX_REPLICAS]; /* reads: what each replica answered */
    fl_time arrive;
    fl_timer spec, tmo;
    uint8_t verb, live, speculated;
} op;

/* One message to a replica and its work there (its answer travels back with it). */
typedef struct job {
    uint32_t op, op_gen, next;
    uint32_t row;
    int64_t version; /* a write's version; a read's answer */
    uint8_t type, replica;
} job;

typedef struct replica {
    quorum *q;
    int idx;
    int zone;
    fl_station *st;
    fl_rng rng_disk;
    double slow;
    fl_time paused_until;
    uint64_t reads, writes, dropped;
    uint32_t win_dropped; /* this window's drops (events) */
    bool dropping;
    int col_util;
} replica;

struct quorum {
    fl_world *w;
    fl_component *c;
    int n, r, wq, coord;
    bool read_repair;
    fl_time spec_after, timeout;
    int workers;
    fl_dist *write_time, *read_time, *delay;
    fl_rng rng_route, rng_net;
    replica *reps;
    int h_to_rep, h_to_coord, h_spec, h_tmo, h_rearrive;

    fl_keymap keys;
    size_t nrows, rows_cap;
    int64_t *ver;   /* rows_cap x n */
    int64_t *acked; /* newest acknowledged version per row */

    op *ops;
    uint32_t nops, ops_cap, op_free;
    job *jobs;
    uint32_t njobs, jobs_cap, job_free;

    fl_hist *read_lat, *write_lat;
    fl_hist *win_read, *win_write; /* this window's latencies (the series' p99) */
    int col_read_p99, col_write_p99, col_spec;
    fl_batch read_b, write_b;
    uint64_t reads, writes, stale, spec_n, repairs, timeouts;
    uint32_t win_requests, win_spec; /* this window's (events) */
    bool speculating;
};

static const char *const coord_names[] = {"naive", "fastest", NULL};

static bool measured(const quorum *q, fl_time t)
{
    return t >= q->w->warmup && t < q->w->duration;
}

/* ---- keys, ops, jobs (pools grow by doubling: nothing is allocated per event once warm) -- */

static uint32_t key_row(quorum *q, uint64_t key)
{
    uint32_t r = fl_keymap_find(&q->keys, key);
    if (r != FL_NONE)
        return r;
    if (q->nrows == q->rows_cap) {
        size_t cap = q->rows_cap * 2;
        int64_t *v = fl_realloc(q->ver, cap * (size_t)q->n * sizeof *v);
        if (!v)
            return FL_NONE;
        q->ver = v;
        int64_t *a = fl_realloc(q->acked, cap * sizeof *a);
        if (!a)
            return FL_NONE;
        q->acked = a;
        q->rows_cap = cap;
    }
    r = (uint32_t)q->nrows;
    if (fl_keymap_put(&q->keys, key, r) != 0)
        return FL_NONE;
    q->nrows++;
    for (int i = 0; i < q->n; i++)
        q->ver[(size_t)r * (size_t)q->n + (size_t)i] = FL_VALUE_NONE;
    q->acked[r] = FL_VALUE_NONE;
    return r;
}

static inline int64_t *ver_at(quorum *q, uint32_t row, int rep)
{
    return &q->ver[(size_t)row * (size_t)q->n + (size_t)rep];
}

static uint32_t op_new(quorum *q)
{
    if (q->op_free == FL_NONE) {
        if (q->nops == q->ops_cap) {
            uint32_t cap = q->ops_cap * 2;
            op *o = fl_realloc(q->ops, cap * sizeof *o);
            if (!o)
                return FL_NONE;
            q->ops = o;
            q->ops_cap = cap;
        }
        q->ops[q->nops].gen = 0;
        q->ops[q->nops].next = FL_NONE;
        q->op_free = q->nops++;
    }
    uint32_t i = q->op_free;
    q->op_free = q->ops[i].next;
    return i;
}

static void op_free(quorum *q, uint32_t i)
{
    op *o = &q->ops[i];
    o->live = 0;
    o->gen++;
    o->next = q->op_free;
    q->op_free = i;
}

static uint32_t job_new(quorum *q)
{
    if (q->job_free == FL_NONE) {
        if (q->njobs == q->jobs_cap) {
            uint32_t cap = q->jobs_cap * 2;
            job *j = fl_realloc(q->jobs, cap * sizeof *j);
            if (!j)
                return FL_NONE;
            q->jobs = j;
            q->jobs_cap = cap;
        }
        q->jobs[q->njobs].next = FL_NONE;
        q->job_free = q->njobs++;
    }
    uint32_t i = q->job_free;
    q->job_free = q->jobs[i].next;
    return i;
}

static void job_free(quorum *q, uint32_t i)
{
    q->jobs[i].next = q->job_free;
    q->job_free = i;
}

/* ---- messages ------------------------------------------------------------------------- */

/* The one-way delay of a message between the coordinator and replica r, or -1: lost. */
static fl_time msg_delay(quorum *q, const replica *r, bool to_replica)
{
    fl_peer coord = {q->c->index, FL_PEER_NODE}, rep = {q->c->index, r->idx};
    /* one connection each way: the network's duplicates are dropped (no copy) */
    fl_time d = to_replica ? fl_world_peer_send(q->w, coord, rep, NULL)
                           : fl_world_peer_send(q->w, rep, coord, NULL);
    if (d < 0)
        return -1;
    return d + fl_dist_sample(q->delay, &q->rng_net);
}

/* Sends job j (already filled) to replica rep. */
static void send_job(quorum *q, int rep, uint32_t j)
{
    fl_time d = msg_delay(q, &q->reps[rep], true);
    if (d < 0) {
        job_free(q, j);
        return;
    }
    fl_sim_after(q->w->sim, d, q->h_to_rep, ((uint64_t)rep << 32) | j);
}

static void send_to(quorum *q, uint32_t oi, int rep, uint8_t type, int64_t version)
{
    uint32_t j = job_new(q);
    if (j == FL_NONE) {
        fl_sim_fail(q->w->sim, FL_NOMEM);
        return;
    }
    op *o = &q->ops[oi];
    q->jobs[j] = (job){oi, o->gen, FL_NONE, o->row, version, type, (uint8_t)rep};
    o->sent |= 1u << rep;
    send_job(q, rep, j);
}

static void on_to_rep(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    quorum *q = ctx;
    fl_station_arrive(q->reps[arg >> 32].st, (uint32_t)arg);
}

/* ---- the coordinator's decisions -------------------------------------------------------- */

static void finish(quorum *q, uint32_t oi, fl_outcome out)
{
    op *o = &q->ops[oi];
    fl_world *w = q->w;
    fl_time now = fl_sim_now(w->sim);
    if (o->tmo != FL_TIMER_NONE)
        fl_sim_timer_cancel(w->sim, o->tmo);
    if (o->spec != FL_TIMER_NONE)
        fl_sim_timer_cancel(w->sim, o->spec);
    bool m = measured(q, o->arrive);
    if (out == FL_OUT_OK && o->verb == FL_VERB_WRITE) {
        int64_t v = fl_req_at(w, o->req)->value;
        if (v > q->acked[o->row])
            q->acked[o->row] = v;
        fl_hist_record(q->win_write, now - o->arrive);
        if (m) {
            q->writes++;
            fl_hist_record(q->write_lat, now - o->arrive);
            fl_batch_add(&q->write_b, o->arrive, fl_time_to_ms(now - o->arrive));
        }
    } else if (out == FL_OUT_OK) {
        fl_req_at(w, o->req)->value = o->best;
        fl_hist_record(q->win_read, now - o->arrive);
        if (m) {
            q->reads++;
            q->stale += o->best < o->floor;
            fl_hist_record(q->read_lat, now - o->arrive);
            fl_batch_add(&q->read_b, o->arrive, fl_time_to_ms(now - o->arrive));
        }
        if (q->read_repair) {
            for (int i = 0; i < q->n; i++) {
                if ((o->got & o->wait & (1u << i)) && o->vers[i] < o->best) {
                    if (m)
                        q->repairs++;
                    send_to(q, oi, i, JOB_REPAIR, o->best);
                }
            }
        }
    } else if (m) {
        q->timeouts++;
    }
    fl_world_reply(w, o->req, out);
    op_free(q, oi);
}

/* True when the op has enough counted answers. */
static bool enough(const op *o)
{
    return (uint32_t)__builtin_popcount(o->got & o->wait) >= o->need;
}

/* A replica not yet waited for (uniformly among them), or -1. `unsent`: prefer those
 * not sent the request yet (a read goes to a new replica). */
static int pick_extra(quorum *q, uint32_t exclude)
{
    uint32_t all = q->n == 32 ? 0xffffffffu : (1u << q->n) - 1;
    uint32_t cand = all & ~exclude;
    int k = __builtin_popcount(cand);
    if (k == 0)
        return -1;
    int pick = (int)(fl_rng_next(&q->rng_route) % (uint64_t)k);
    for (int i = 0; i < q->n; i++)
        if ((cand & (1u << i)) && pick-- == 0)
            return i;
    return -1;
}

static void on_spec(fl_sim *sim, void *ctx, uint64_t arg)
{
    quorum *q = ctx;
    uint32_t oi = (uint32_t)arg;
    op *o = &q->ops[oi];
    if (!o->live || o->gen != (uint32_t)(arg >> 32))
        return;
    o->spec = FL_TIMER_NONE;
    fl_time now = fl_sim_now(sim);
    if (now < q->c->host.paused_until) { /* a paused coordinator decides nothing */
        fl_sim_timer_at(sim, q->c->host.paused_until, q->h_spec, arg, &o->spec);
        return;
    }
    int rep = pick_extra(q, o->wait);
    if (rep < 0)
        return;
    o->speculated = 1;
    o->wait |= 1u << rep;
    fl_series_add(q->w->series, q->col_spec, now, 1);
    q->win_spec++;
    if (measured(q, o->arrive))
        q->spec_n++;
    if (o->verb == FL_VERB_READ && !(o->sent & (1u << rep)))
        send_to(q, oi, rep, JOB_READ, 0);
    else if (enough(o)) /* a write: its answer may be in already */
        finish(q, oi, FL_OUT_OK);
}

static void on_tmo(fl_sim *sim, void *ctx, uint64_t arg)
{
    quorum *q = ctx;
    uint32_t oi = (uint32_t)arg;
    op *o = &q->ops[oi];
    if (!o->live || o->gen != (uint32_t)(arg >> 32))
        return;
    o->tmo = FL_TIMER_NONE;
    if (fl_sim_now(sim) < q->c->host.paused_until) { /* a paused coordinator answers later */
        fl_sim_timer_at(sim, q->c->host.paused_until, q->h_tmo, arg, &o->tmo);
        return;
    }
    finish(q, oi, FL_OUT_TIMEOUT);
}

/* An answer from replica (arg >> 32) for job (uint32_t)arg reaches the coordinator. */
static void on_to_coord(fl_sim *sim, void *ctx, uint64_t arg)
{
    quorum *q = ctx;
    fl_time now = fl_sim_now(sim);
    if (now < q->c->host.paused_until) {
        fl_sim_at(sim, q->c->host.paused_until, q->h_to_coord, arg);
        return;
    }
    uint32_t ji = (uint32_t)arg;
    job j = q->jobs[ji];
    job_free(q, ji);
    if (j.type == JOB_REPAIR)
        return;
    op *o = &q->ops[j.op];
    if (!o->live || o->gen != j.op_gen)
        return; /* answered already (or timed out): a late answer */
    int rep = j.replica;
    o->got |= 1u << rep;
    if (o->verb == FL_VERB_READ) {
        o->vers[rep] = j.version;
        if ((o->wait & (1u << rep)) && j.version > o->best)
            o->best = j.version;
    }
    if (enough(o))
        finish(q, j.op, FL_OUT_OK);
}

/* ---- replicas --------------------------------------------------------------------------- */

static void add_util(replica *r, fl_time d)
{
    fl_world *w = r->q->w;
    fl_series_add(w->series, r->col_util, fl_sim_now(w->sim),
                  (double)d / ((double)w->window * (double)r->q->workers));
}

static fl_time rep_time(void *ctx, uint32_t ji)
{
    replica *r = ctx;
    quorum *q = r->q;
    fl_time t = fl_dist_sample(q->jobs[ji].type == JOB_READ ? q->read_time : q->write_time,
                               &r->rng_disk);
    add_util(r, r->slow != 1 ? (fl_time)((double)t * r->slow) : t);
    return t;
}

static void rep_done(void *ctx, uint32_t ji, fl_station_end how, fl_time arrive, fl_time start)
{
    (void)arrive, (void)start;
    replica *r = ctx;
    quorum *q = r->q;
    if (how != FL_STATION_SERVED) { /* waited past `timeout` in the queue: dropped */
        if (measured(q, fl_sim_now(q->w->sim)))
            r->dropped++;
        r->win_dropped++;
        job_free(q, ji);
        return;
    }
    job *j = &q->jobs[ji];
    int64_t *v = ver_at(q, j->row, r->idx);
    bool m = measured(q, fl_sim_now(q->w->sim));
    if (j->type == JOB_READ) {
        j->version = *v;
        r->reads += m;
    } else {
        if (j->version > *v)
            *v = j->version;
        r->writes += m && j->type == JOB_WRITE;
        if (j->type == JOB_REPAIR) {
            job_free(q, ji); /* fire and forget */
            return;
        }
    }
    fl_time d = msg_delay(q, r, false);
    if (d < 0) {
        job_free(q, ji);
        return;
    }
    fl_sim_after(q->w->sim, d, q->h_to_coord, ((uint64_t)r->idx << 32) | ji);
}

static const fl_station_ops rep_ops = {rep_time, rep_done, NULL, NULL, NULL, NULL};

/* ---- requests --------------------------------------------------------------------------- */

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    quorum *q = c->state;
    fl_time now = fl_sim_now(w->sim);
    if (now < c->host.paused_until) {
        fl_sim_at(w->sim, c->host.paused_until, q->h_rearrive, id);
        return;
    }
    const fl_req *rq = fl_req_at(w, id);
    uint32_t row = key_row(q, rq->key);
    uint32_t oi = row == FL_NONE ? FL_NONE : op_new(q);
    if (oi == FL_NONE) { /* out of memory: the run stops (counted as nothing) */
        fl_sim_fail(w->sim, FL_NOMEM);
        fl_req_server_done(w, id);
        return;
    }
    op *o = &q->ops[oi];
    uint32_t gen = o->gen, next = o->next;
    memset(o, 0, sizeof *o);
    o->gen = gen;
    o->next = next;
    o->live = 1;
    o->req = id;
    o->row = row;
    o->verb = rq->verb;
    o->arrive = now;
    o->spec = FL_TIMER_NONE;
    o->tmo = FL_TIMER_NONE;
    o->best = FL_VALUE_NONE;
    o->floor = q->acked[row];
    q->win_requests++;
    bool write = rq->verb == FL_VERB_WRITE;
    o->need = (uint32_t)(write ? q->wq : q->r);
    uint32_t all = q->n == 32 ? 0xffffffffu : (1u << q->n) - 1;
    if (q->coord == COORD_FASTEST) {
        o->wait = all;
    } else {
        for (uint32_t k = 0; k < o->need; k++)
            o->wait |= 1u << pick_extra(q, o->wait);
    }
    uint64_t tag = ((uint64_t)gen << 32) | oi;
    if (fl_sim_timer_at(w->sim, now + q->timeout, q->h_tmo, tag, &o->tmo) != FL_OK)
        return; /* the run has failed */
    if (q->spec_after > 0)
        fl_sim_timer_at(w->sim, now + q->spec_after, q->h_spec, tag, &o->spec);
    int64_t version = rq->value;
    uint32_t targets = write ? all : o->wait;
    for (int i = 0; i < q->n; i++)
        if (targets & (1u << i))
            send_to(q, oi, i, write ? JOB_WRITE : JOB_READ, version);
}

static void on_rearrive(fl_sim *sim, void *ctx, uint64_t id)
{
    (void)sim;
    quorum *q = ctx;
    on_request(q->w, q->c, (uint32_t)id);
}

/* ---- configuration ---------------------------------------------------------------------- */

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    quorum *q = fl_calloc(1, sizeof *q);
    if (!q)
        return FL_NOMEM;
    c->state = q;
    q->w = w;
    q->c = c;
    long n, r, wq, workers;
    char p[300];
    if ((st = fl_kind_int(c, "replicas", cfg, path, FL_CFG_OPTIONAL, 3, &n, e)) ||
        (st = fl_kind_int_max(c, "r", cfg, path, FL_CFG_REQUIRED, 1, n, &r, e)) ||
        (st = fl_kind_int_max(c, "w", cfg, path, FL_CFG_REQUIRED, 1, n, &wq, e)) ||
        (st = fl_cfg_enum(cfg, path, "coordinator", FL_CFG_OPTIONAL, COORD_NAIVE, coord_names,
                          &q->coord, e)) ||
        (st = fl_kind_int(c, "workers", cfg, path, FL_CFG_OPTIONAL, 16, &workers, e)) ||
        (st = fl_cfg_dist(cfg, path, "write_time", FL_CFG_REQUIRED, NULL, &q->write_time, e)) ||
        (st = fl_cfg_dist(cfg, path, "read_time", FL_CFG_REQUIRED, NULL, &q->read_time, e)) ||
        (st = fl_cfg_dist(cfg, path, "message_delay", FL_CFG_OPTIONAL, "const(0)", &q->delay, e)) ||
        (st = fl_cfg_bool(cfg, path, "read_repair", FL_CFG_OPTIONAL, false, &q->read_repair, e)) ||
        (st = fl_kind_duration(c, "timeout", cfg, path, FL_CFG_OPTIONAL, 5 * FL_SEC, &q->timeout,
                               e)) ||
        (st = fl_kind_duration(c, "speculative_retry", cfg, path, FL_CFG_OPTIONAL, 0,
                               &q->spec_after, e)))
        return st;
    q->n = (int)n;
    q->r = (int)r;
    q->wq = (int)wq;
    q->workers = (int)workers;
    if (q->spec_after > 0 && q->coord == COORD_FASTEST)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "speculative_retry"),
                            "a \"fastest\" coordinator already counts the first answers of "
                            "every replica: there is no replica left to try (use "
                            "\"coordinator\": \"naive\")");
    if (q->spec_after > 0 && q->r == q->n && q->wq == q->n)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "speculative_retry"),
                            "with r = w = replicas (%d) every replica is waited for already: "
                            "there is none left to try", q->n);
    /* Replica zones: one per replica, default the node's. */
    const cJSON *zs = cJSON_GetObjectItemCaseSensitive(cfg, "replica_zones");
    q->reps = fl_calloc((size_t)q->n, sizeof *q->reps);
    if (!q->reps)
        return FL_NOMEM;
    if (zs && (!cJSON_IsArray(zs) || cJSON_GetArraySize(zs) != q->n))
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "replica_zones"),
                            "expected an array of %d zone names (one per replica)", q->n);
    for (int i = 0; i < q->n; i++) {
        replica *rp = &q->reps[i];
        rp->zone = c->zone;
        if (!zs)
            continue;
        const cJSON *z = cJSON_GetArrayItem(zs, i);
        char ip[320];
        fl_cfg_index(ip, sizeof ip, fl_cfg_join(p, sizeof p, path, "replica_zones"), i);
        if (!cJSON_IsString(z))
            return fl_error_set(e, FL_INVALID, ip, "expected a zone name");
        int k;
        for (k = 0; k < w->nzones; k++)
            if (strcmp(w->zones[k], z->valuestring) == 0)
                break;
        if (k == w->nzones)
            return fl_error_set(e, FL_INVALID, ip, "no zone named \"%s\" in \"zones\"",
                                z->valuestring);
        rp->zone = k;
    }
    if ((st = fl_world_want_history(w)))
        return st;
    fl_world_stream(w, &q->rng_route, c->name, "route");
    fl_world_stream(w, &q->rng_net, c->name, "net");
    q->rows_cap = 32;
    q->ops_cap = 64;
    q->jobs_cap = 256;
    q->op_free = q->job_free = FL_NONE;
    int km = fl_keymap_init(&q->keys, 64);
    q->ver = fl_malloc(q->rows_cap * (size_t)q->n * sizeof *q->ver);
    q->acked = fl_malloc(q->rows_cap * sizeof *q->acked);
    q->ops = fl_malloc(q->ops_cap * sizeof *q->ops);
    q->jobs = fl_malloc(q->jobs_cap * sizeof *q->jobs);
    q->read_lat = fl_hist_new();
    q->write_lat = fl_hist_new();
    q->win_read = fl_hist_new();
    q->win_write = fl_hist_new();
    if (km != 0 || !q->ver || !q->acked || !q->ops || !q->jobs || !q->read_lat || !q->write_lat ||
        !q->win_read || !q->win_write)
        return FL_NOMEM;
    char col[240];
    snprintf(col, sizeof col, "%s.read_p99_ms", c->name);
    q->col_read_p99 = fl_series_column(w->series, col, FL_SERIES_LAST);
    snprintf(col, sizeof col, "%s.write_p99_ms", c->name);
    q->col_write_p99 = fl_series_column(w->series, col, FL_SERIES_LAST);
    snprintf(col, sizeof col, "%s.speculative_per_s", c->name);
    q->col_spec = fl_series_column(w->series, col, FL_SERIES_RATE);
    if (q->col_read_p99 < 0 || q->col_write_p99 < 0 || q->col_spec < 0)
        return FL_NOMEM;
    fl_batch_init(&q->read_b, w->warmup, w->duration, 32);
    fl_batch_init(&q->write_b, w->warmup, w->duration, 32);
    q->h_to_rep = fl_sim_handler(w->sim, on_to_rep, q);
    q->h_to_coord = fl_sim_handler(w->sim, on_to_coord, q);
    q->h_spec = fl_sim_handler(w->sim, on_spec, q);
    q->h_tmo = fl_sim_handler(w->sim, on_tmo, q);
    q->h_rearrive = fl_sim_handler(w->sim, on_rearrive, q);
    if (q->h_rearrive < 0)
        return FL_NOMEM;
    /* A replica drops a message that waited longer than the request timeout: its
     * coordinator has answered `timeout` already (Cassandra's dropped reads and mutations). */
    fl_station_cfg sc = {.workers = q->workers, .max_wait = q->timeout, .stats_from = w->warmup,
                         .stats_to = w->duration};
    for (int i = 0; i < q->n; i++) {
        replica *rp = &q->reps[i];
        char purpose[64];
        rp->q = q;
        rp->idx = i;
        rp->slow = 1;
        snprintf(purpose, sizeof purpose, "replica%d/disk", i);
        fl_world_stream(w, &rp->rng_disk, c->name, purpose);
        rp->st = fl_station_new(w->sim, &sc, &rep_ops, rp);
        snprintf(col, sizeof col, "%s.util.%d", c->name, i);
        rp->col_util = fl_series_column(w->series, col, FL_SERIES_SUM);
        if (!rp->st || rp->col_util < 0)
            return FL_NOMEM;
    }
    return FL_OK;
}

/* ---- faults, report --------------------------------------------------------------------- */

static uint32_t members(const fl_component *c, const char **noun)
{
    const quorum *q = c->state;
    *noun = "replica";
    return (uint32_t)q->n;
}

/* Replica m's zone (every replica is its own endpoint; the coordinator is the node). */
static int member_zone(const fl_component *c, uint32_t m)
{
    const quorum *q = c->state;
    return q->reps[m].zone;
}

static void rep_fault(fl_world *w, fl_component *c, replica *r, const fl_fault *f, bool begin)
{
    if (f->kind == FL_FAULT_SLOW) {
        r->slow = fl_world_slowdown(w, c->index, -1) * fl_world_slowdown(w, c->index, r->idx);
        fl_station_set_slowdown(r->st, r->slow);
    } else if (f->kind == FL_FAULT_PAUSE && begin) {
        fl_station_pause(r->st, f->until);
        if (f->until > r->paused_until)
            r->paused_until = f->until;
    }
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    quorum *q = c->state;
    if (f->member >= 0) {
        rep_fault(w, c, &q->reps[f->member], f, begin);
        return;
    }
    /* The node: every replica, and (a pause) the coordinator, whose paused_until the
     * timeline has set already. */
    for (int i = 0; i < q->n; i++)
        rep_fault(w, c, &q->reps[i], f, begin);
}

/* The window's p99 of the requests answered in it (nothing when none was). */
static void sample(fl_world *w, fl_component *c, fl_time t)
{
    quorum *q = c->state;
    if (fl_hist_count(q->win_read))
        fl_series_add(w->series, q->col_read_p99, t, fl_hist_quantile(q->win_read, 0.99) / 1e6);
    if (fl_hist_count(q->win_write))
        fl_series_add(w->series, q->col_write_p99, t,
                      fl_hist_quantile(q->win_write, 0.99) / 1e6);
    fl_hist_reset(q->win_read);
    fl_hist_reset(q->win_write);
    /* events.jsonl: speculation surging (10% of a window's requests) and calming (2%), a
     * replica starting and stopping to drop what waited past the timeout */
    fl_time now = fl_sim_now(w->sim);
    double share = q->win_requests ? (double)q->win_spec / q->win_requests : 0;
    if (!q->speculating && share >= 0.1)
        fl_world_event(w, now, c->name, "speculating",
                       "%.0f%% of requests speculate: a replica answers later than %.3g ms",
                       100 * share, fl_time_to_ms(q->spec_after));
    else if (q->speculating && share < 0.02)
        fl_world_event(w, now, c->name, "speculation-ends", "speculation back under 2%%");
    q->speculating = q->speculating ? share >= 0.02 : share >= 0.1;
    q->win_requests = q->win_spec = 0;
    for (int i = 0; i < q->n; i++) {
        replica *r = &q->reps[i];
        if (!r->dropping && r->win_dropped)
            fl_world_event(w, now, c->name, "replica-drops",
                           "replica %d drops what waited past the %.3g s timeout (%u in 1 window)",
                           i, fl_time_to_s(q->timeout), r->win_dropped);
        else if (r->dropping && !r->win_dropped)
            fl_world_event(w, now, c->name, "replica-drops-end", "replica %d stops dropping", i);
        r->dropping = r->win_dropped > 0;
        r->win_dropped = 0;
    }
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    quorum *q = c->state;
    fl_time now = fl_sim_now(w->sim);
    cJSON_AddNumberToObject(out, "replicas", q->n);
    cJSON_AddNumberToObject(out, "r", q->r);
    cJSON_AddNumberToObject(out, "w", q->wq);
    cJSON_AddStringToObject(out, "coordinator", coord_names[q->coord]);
    fl_report_latency(out, "read_latency_ms", q->read_lat, &q->read_b);
    fl_report_latency(out, "write_latency_ms", q->write_lat, &q->write_b);
    cJSON_AddNumberToObject(out, "quorum_reads", (double)q->reads);
    cJSON_AddNumberToObject(out, "quorum_writes", (double)q->writes);
    cJSON_AddNumberToObject(out, "stale_reads", (double)q->stale);
    cJSON_AddNumberToObject(out, "stale_read_rate",
                            q->reads ? (double)q->stale / (double)q->reads : 0);
    cJSON_AddNumberToObject(out, "speculative_retries", (double)q->spec_n);
    cJSON_AddNumberToObject(out, "read_repairs", (double)q->repairs);
    cJSON_AddNumberToObject(out, "request_timeouts", (double)q->timeouts);
    cJSON *ms = cJSON_AddObjectToObject(out, "members");
    for (int i = 0; i < q->n; i++) {
        replica *r = &q->reps[i];
        char name[32];
        snprintf(name, sizeof name, "replica%d", i);
        cJSON *m = cJSON_AddObjectToObject(ms, name);
        cJSON_AddStringToObject(m, "zone", r->zone >= 0 ? w->zones[r->zone] : "");
        cJSON_AddNumberToObject(m, "reads_served", (double)r->reads);
        cJSON_AddNumberToObject(m, "writes_applied", (double)r->writes);
        cJSON_AddNumberToObject(m, "dropped", (double)r->dropped);
        cJSON *st = cJSON_AddObjectToObject(m, "station");
        fl_station_report(r->st, now, st);
        cJSON_AddNumberToObject(m, "utilisation",
                                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(st, "utilisation")));
    }
}

static void destroy(fl_component *c)
{
    quorum *q = c->state;
    if (!q)
        return;
    for (int i = 0; q->reps && i < q->n; i++)
        fl_station_free(q->reps[i].st);
    fl_free(q->reps);
    fl_dist_free(q->write_time);
    fl_dist_free(q->read_time);
    fl_dist_free(q->delay);
    fl_keymap_free(&q->keys);
    fl_free(q->ver);
    fl_free(q->acked);
    fl_free(q->ops);
    fl_free(q->jobs);
    fl_hist_free(q->read_lat);
    fl_hist_free(q->write_lat);
    fl_hist_free(q->win_read);
    fl_hist_free(q->win_write);
    fl_free(q);
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"replicas", "integer 1..32", "", "`3`", "`3`",
     "N: replicas holding every key", FL_KV_INTEGER, FL_RANGE(1, MAX_REPLICAS)},
    {"r", "integer 1..replicas", "", "required", "`2`",
     "R: answers a read waits for", FL_KV_INTEGER, FL_RANGE(1, MAX_REPLICAS)},
    {"w", "integer 1..replicas", "", "required", "`2`",
     "W: acknowledgements a write waits for (a write is sent to every replica)",
     FL_KV_INTEGER, FL_RANGE(1, MAX_REPLICAS)},
    {"coordinator", "`\"naive\"`, `\"fastest\"`", "", "`\"naive\"`", "`\"fastest\"`",
     "`naive`: waits for R (W) replicas chosen per request, a read is sent to those only; "
     "`fastest`: a read is sent to all N and the first R (W) answers count",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"workers", "integer", "", "`16`", "`16`",
     "each replica's workers (its disk's concurrency)", FL_KV_INTEGER, FL_RANGE(1, 1000000)},
    {"write_time", "distribution", "", "required", "`\"exp(1ms)\"`",
     "a write on one replica", FL_KV_OTHER, FL_NO_BOUNDS},
    {"read_time", "distribution", "", "required", "`\"exp(1ms)\"`",
     "a read on one replica", FL_KV_OTHER, FL_NO_BOUNDS},
    {"message_delay", "distribution", "", "`\"const(0)\"`", "`\"exp(0.5ms)\"`",
     "one way, coordinator to replica or back, on top of the zones' link latency",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"replica_zones", "array of zone names", "", "the node's zone", "`[\"a\", \"b\", \"c\"]`",
     "one per replica", FL_KV_OTHER, FL_NO_BOUNDS},
    {"speculative_retry", "duration", "", "none", "`\"20ms\"`",
     "a request still waiting after this waits for one more replica too (a read is sent "
     "to it); `naive` only", FL_KV_DURATION, FL_ABOVE_TO(0, 1000000)},
    {"read_repair", "boolean", "", "`false`", "`true`",
     "after a read, answers older than the one returned are overwritten with it",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"timeout", "duration", "", "`\"5s\"`", "`\"2s\"`",
     "a request unanswered by then ends `timeout`", FL_KV_DURATION, FL_RANGE(0.001, 1000000)},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"util.*", "fraction", "utilisation of replica N's workers"},
    {"read_p99_ms", "ms", "p99 of the reads answered in the window (at the coordinator)"},
    {"write_p99_ms", "ms", "p99 of the writes acknowledged in the window"},
    {"speculative_per_s", "/s", "speculative retries started"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_quorum_ops = {
    .kind = "quorum",
    .about = "a leaderless store (Dynamo, Cassandra): N replicas, R and W quorums, "
             "speculative retry, read repair, stale reads",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(PAUSE),
    .member_faults = FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(PAUSE),
    .members = members,
    .member_zone = member_zone,
    .fault = fault,
    .destroy = destroy,
};
