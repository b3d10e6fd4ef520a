/* The `store` component: a primary and its replicas, holding one version per key.
 *
 *   {"name": "db", "kind": "store", "zone": "east",
 *    "workers": 8, "write_time": "exp(1ms)", "read_time": "exp(2ms)",
 *    "replicas": 2, "replica_zones": ["east", "west"],
 *    "replica_workers": 8, "apply_time": "const(2ms)", "apply_workers": 1,
 *    "replication": "semi-sync", "acks": 1, "ack": "received",
 *    "read_from": "bounded", "max_staleness": "1s", "any_includes_primary": false}
 *
 * Members. Member 0 is the primary, in the node's "zone"; members 1..replicas are the
 * replicas, in "replica_zones" (one zone per replica; default: the node's zone). Each member
 * is a station (node/station.h): the primary has "workers", every replica
 * "replica_workers" (default: "workers").
 *
 * Writes go to the primary: one "write_time" draw on its station, then the write commits
 * (a key keeps the highest version applied to it) and is appended to the replication log.
 * The log is shipped to every replica in commit order over the network (one message per
 * write from "db" to "db/r", fl_world_peer_send: their node link when one is named, else
 * their zones'; a message lost to a partition
 * or loss stalls the stream, which reconnects every 100 ms and resends from the first write
 * not delivered, as a TCP replication stream would). A replica applies the log in commit
 * order on its own station: "apply_workers" writes at a time (1: single-threaded apply;
 * more: parallel apply), each one "apply_time" draw, queued FIFO with the reads the replica
 * serves, so a heavy read load slows the apply. A write becomes visible on a replica when it
 * and every earlier write are applied (commit order is preserved: the replica always holds
 * a prefix of the primary's log).
 *
 * Acknowledgement ("replication"): "async" acknowledges a write once the primary committed
 * it; "semi-sync" once "acks" replicas have received it ("ack": "received", the default:
 * MySQL's semi-synchronous replication, where a replica acknowledges when the event is in
 * its relay log, before applying it) or applied it ("ack": "applied"); "sync" once every
 * replica has applied it. Replicas report the prefix they received or applied to the
 * primary over the network (cumulative: a lost report is covered by the next one, or resent
 * after 100 ms). With "received", a write can be acknowledged while the replicas are far
 * behind in applying it: semi-sync bounds what a failover loses, not how stale reads are.
 *
 * Reads ("read_from"): "primary"; "any" (a replica chosen uniformly, or the primary among
 * them with "any_includes_primary"); "session" (read-your-writes: a replica chosen
 * uniformly serves the read only if it has applied the newest acknowledged version of the
 * key, else the primary does. The store cannot see a request's client session, so this is
 * the per-key form of the rule: it never lets a session miss its own acknowledged write, and
 * routes somewhat more reads to the primary than a per-session token would); "bounded"
 * (a replica chosen uniformly among those whose lag is below "max_staleness", else the
 * primary). The node's router sits with the primary: a read for a replica travels from the
 * primary's zone to the replica's and its answer back. A read answers the version the
 * serving member holds for the key when its service ends.
 *
 * Lag of a replica: in seconds, now minus the commit time of the oldest committed write it
 * has not applied (0 when none); in writes, the writes committed and not applied. The router
 * knows the lag exactly (as replicas reporting their position would tell it).
 *
 * Faults on the node (crash, restart, pause, slow) apply to the primary only; "db/0" names
 * the primary too. "db/r" names replica r, for pause, slow and crash: a paused replica
 * applies and serves nothing until the pause ends (reads routed to it wait, and its position
 * reports with them: semi-sync and sync writes it must acknowledge wait too); a slowed
 * one takes `factor` times as long for each apply and read. A crashed replica applies and
 * reports nothing, the reads it held get no reply and the reads routed to it are refused
 * (the router keeps routing by its rule); what was in flight to it is lost with the
 * connection. It restarts when the crash ends (a crash without "for" keeps it down) and
 * catches up: applied data and received entries are durable, the applies in progress are
 * redone, and the primary's stream reconnects (every 100 ms) and resends from what it
 * received. Semi-sync and sync writes it must acknowledge wait meanwhile. A crash of the
 * primary loses
 * the primary's queued and in-service requests (no reply: clients time out) and the writes
 * it committed but had not yet acknowledged (waiting for replica acks): they stay committed
 * and replicate, but no reply is sent. Committed data is durable. While the primary is down,
 * writes and reads routed to it are refused; replicas keep serving the reads routed to them.
 * A pause stops the primary and its router (requests and replica reports wait for the end).
 *
 * Figures: per member applied writes, reads served, utilisation, lag now and max; the worst
 * lag over replicas; reads per member; the lost-writes check against the primary's applied
 * versions (acknowledged writes are committed first, so it must read 0). Staleness of the
 * reads replicas serve, judged when the read is served, two ways: stale_reads_vs_committed
 * (older than the newest write the primary has committed for the key) and
 * stale_reads_vs_acked (older than the newest write acknowledged to a client). The two
 * differ when writes are committed but not yet acknowledged (semi-sync waiting for acks).
 * Series:
 * "<name>.lag_s.<i>" (max per window) and "<name>.lag_writes.<i>" per replica i,
 * "<name>.util.primary" and "<name>.util.<i>" (service time started in the window per
 * worker-second). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/keymap.h"
#include "core/cfg.h"
#include "model/replication.h"
#include "model/world.h"
#include "node/station.h"

#define MAX_REPLICAS 32
#define MAX_APPLY_WORKERS 256
#define APPLY_BIT 0x80000000u        /* a replica station item that is an apply, not a read */
#define RETRY_NS FL_REPL_RETRY /* a broken stream (log or position reports) reconnects this often */

enum { REPL_ASYNC, REPL_SEMI, REPL_SYNC };
enum { READ_PRIMARY, READ_ANY, READ_SESSION, READ_BOUNDED };

typedef struct entry { /* one committed write in the replication log */
    uint64_t key;
    int64_t version;
    fl_time commit;
    uint32_t row;   /* the key's row in the key table */
    uint32_t req;   /* the write waiting for replica acks, or FL_NONE */
    uint32_t acks;  /* replicas that reported it applied */
} entry;

typedef struct store store;

typedef struct replica {
    store *s;
    int idx; /* member index, 1..replicas */
    int zone;
    fl_station *st;
    fl_rng rng_apply, rng_read;
    double slow;         /* the slowdown of this replica's faults in force (1: none) */
    fl_repl_stream stream; /* the log shipped to it (stream.shipped: entries on the wire) */
    uint64_t arrived;    /* log entries received */
    uint64_t next_apply; /* the next entry to hand to an apply worker */
    uint64_t applied;    /* entries applied: the replica holds the log's prefix [0, applied) */
    uint64_t acked;      /* the primary's knowledge of `applied` (or of `arrived`, when
                            semi-sync acknowledges on receipt) */
    fl_time paused_until; /* a paused replica reports nothing before this */
    bool ack_stalled;
    int crashed;          /* crash faults in force on it ("db/2"): down while > 0 */
    uint32_t gen;         /* its connection's generation: a crash drops what was in flight */
    uint64_t *slot_seq;  /* apply workers: the entry each one applies */
    uint8_t *slot_busy, *slot_done;
    int busy_slots;
    uint64_t reads, applied_total;
    uint64_t stale_committed, stale_acked; /* measured reads older than the primary's
                                              committed / acknowledged version */
    fl_time max_lag_s;
    bool behind; /* lag reached 1 s and has not yet fallen below 0.1 s (events) */
    uint64_t max_lag_w;
    int col_lag, col_lagw, col_util;
} replica;

struct store {
    fl_world *w;
    fl_component *c;
    fl_station *st; /* the primary */
    fl_dist *write_time, *read_time, *apply_time;
    fl_rng rng_primary, rng_route;
    int workers, replica_workers, apply_workers;
    int nrep, repl, acks_needed, read_from;
    bool any_primary;
    bool ack_received; /* semi-sync: replicas acknowledge on receipt, not after applying */
    fl_time max_staleness;
    double slow; /* the primary's slowdown factor */
    replica *reps;
    int h_deliver, h_ack, h_ship_retry, h_ack_retry, h_fwd, h_back, h_rearrive;
    int col_util;

    /* Key table: open addressing, key -> row; per row the version on each member and the
     * newest acknowledged version. */
    fl_keymap keys; /* key -> row */
    size_t nrows, rows_cap;
    int64_t *ver;    /* rows_cap x (nrep + 1) */
    int64_t *acked_ver;

    /* Replication log: entries [base, commits), ring of lcap (a power of two). */
    entry *log;
    uint64_t base, commits, lcap;

    /* Every (key, version) the primary applied, for the lost-writes check. */
    fl_kv *applied_log;
    size_t napplied, applied_cap;

    uint64_t writes_acked, refused, reads_primary, held_lost;
};

static const char *const repl_names[] = {"async", "semi-sync", "sync", NULL};
static const char *const ack_names[] = {"received", "applied", NULL};
static const char *const read_names[] = {"primary", "any", "session", "bounded", NULL};

/* ---- key table ------------------------------------------------------------------------ */

static inline uint32_t key_find(const store *s, uint64_t key)
{
    return fl_keymap_find(&s->keys, key);
}

/* The key's row, created (every member at "nothing") when new; FL_NONE when out of memory. */
static uint32_t key_row(store *s, uint64_t key)
{
    uint32_t r = key_find(s, key);
    if (r != FL_NONE)
        return r;
    /* Two arrays of rows_cap rows: the capacity moves once both have grown. */
    size_t vcap = s->rows_cap, acap = s->rows_cap, nm = (size_t)s->nrep + 1;
    int64_t *v = fl__grow(s->w->sim, s->ver, &vcap, s->nrows + 1, nm * sizeof *v, 32);
    if (!v)
        return FL_NONE;
    s->ver = v;
    int64_t *a = fl__grow(s->w->sim, s->acked_ver, &acap, s->nrows + 1, sizeof *a, 32);
    if (!a)
        return FL_NONE;
    s->acked_ver = a;
    s->rows_cap = vcap;
    r = (uint32_t)s->nrows++;
    for (int m = 0; m <= s->nrep; m++)
        s->ver[(size_t)r * (size_t)(s->nrep + 1) + (size_t)m] = FL_VALUE_NONE;
    s->acked_ver[r] = FL_VALUE_NONE;
    if (fl_keymap_put(&s->keys, key, r) != 0) {
        s->nrows--; /* the row goes unused */
        return FL_NONE;
    }
    return r;
}

static inline int64_t *ver_at(store *s, uint32_t row, int member)
{
    return &s->ver[(size_t)row * (size_t)(s->nrep + 1) + (size_t)member];
}

/* The version member m holds for key (FL_VALUE_NONE: never written there). */
static int64_t member_version(store *s, uint64_t key, int m)
{
    uint32_t row = key_find(s, key);
    return row == FL_NONE ? FL_VALUE_NONE : *ver_at(s, row, m);
}

static inline entry *log_at(store *s, uint64_t seq) { return &s->log[seq & (s->lcap - 1)]; }

/* ---- lag -------------------------------------------------------------------------------- */

static fl_time lag_s(store *s, const replica *r, fl_time now)
{
    return r->applied < s->commits ? now - log_at(s, r->applied)->commit : 0;
}

static bool measured(const store *s, fl_time now)
{
    return now >= s->w->warmup && now < s->w->duration;
}

/* Records the replica's lag in seconds now (its peak is just before an apply completes). */
static void note_lag(store *s, replica *r, fl_time now)
{
    fl_time l = lag_s(s, r, now);
    fl_series_add(s->w->series, r->col_lag, now, fl_time_to_s(l));
    if (measured(s, now) && l > r->max_lag_s)
        r->max_lag_s = l;
}

/* Drops log entries every replica has applied and reported (reported on receipt, a
 * replica may still have to apply them: the ring keeps them until both are done). */
static void log_trim(store *s)
{
    uint64_t lo = s->commits;
    for (int i = 0; i < s->nrep; i++) {
        const replica *r = &s->reps[i];
        uint64_t done = r->acked < r->applied ? r->acked : r->applied;
        if (done < lo)
            lo = done;
    }
    s->base = lo;
}

/* ---- replication ------------------------------------------------------------------------ */

static bool primary_stopped(store *s, fl_time now)
{
    return fl_station_down(s->st) || now < s->c->host.paused_until;
}

static bool post_entry(void *ctx, uint64_t seq, fl_time at)
{
    (void)seq; /* delivered in order: the replica counts them */
    replica *r = ctx;
    fl_sim_at(r->s->w->sim, at, r->s->h_deliver, ((uint64_t)r->gen << 8) | (uint64_t)r->idx);
    return true;
}

/* Ships log entries [shipped, commits) to replica r, in order, until one is lost
 * (replication.h); a broken stream reconnects after FL_REPL_RETRY. */
static void ship(store *s, replica *r)
{
    fl_peer from = {s->c->index, FL_PEER_NODE}, to = {s->c->index, r->idx};
    if (!fl_repl_ship(s->w, &r->stream, from, to, s->commits, post_entry, r))
        fl_sim_after(s->w->sim, FL_REPL_RETRY, s->h_ship_retry, (uint64_t)r->idx);
}

static void on_ship_retry(fl_sim *sim, void *ctx, uint64_t arg)
{
    store *s = ctx;
    replica *r = &s->reps[arg - 1];
    fl_time now = fl_sim_now(sim);
    if (primary_stopped(s, now) || r->crashed) { /* nothing to send to, or nobody sending */
        fl_sim_at(sim, now < s->c->host.paused_until ? s->c->host.paused_until : now + RETRY_NS,
                  s->h_ship_retry, arg);
        return;
    }
    r->stream.stalled = false;
    ship(s, r);
}

/* Hands log entries to free apply workers. */
static void pump(replica *r)
{
    store *s = r->s;
    while (r->busy_slots < s->apply_workers && r->next_apply < r->arrived) {
        int k = 0;
        while (r->slot_busy[k])
            k++;
        r->slot_busy[k] = 1;
        r->slot_done[k] = 0;
        r->slot_seq[k] = r->next_apply++;
        r->busy_slots++;
        fl_station_arrive(r->st, APPLY_BIT | (uint32_t)k);
    }
}

/* Replica r reports the prefix it received (semi-sync on receipt) or applied to the
 * primary. A paused replica reports when its pause ends. */
static void send_ack(store *s, replica *r)
{
    fl_world *w = s->w;
    if (r->ack_stalled || r->crashed)
        return; /* a crashed replica reports when it has caught up again */
    fl_time now = fl_sim_now(w->sim);
    if (now < r->paused_until) {
        r->ack_stalled = true;
        fl_sim_at(w->sim, r->paused_until, s->h_ack_retry, (uint64_t)r->idx);
        return;
    }
    fl_time d = fl_world_peer_send(w, (fl_peer){s->c->index, r->idx},
                                   (fl_peer){s->c->index, FL_PEER_NODE}, NULL);
    if (d < 0) {
        r->ack_stalled = true;
        fl_sim_after(w->sim, RETRY_NS, s->h_ack_retry, (uint64_t)r->idx);
        return;
    }
    uint64_t pos = s->ack_received ? r->arrived : r->applied;
    fl_sim_after(w->sim, d, s->h_ack, ((uint64_t)r->idx << 56) | pos);
}

static void on_deliver(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    store *s = ctx;
    replica *r = &s->reps[(arg & 0xff) - 1];
    if (arg >> 8 != r->gen)
        return; /* sent on the connection a crash of the replica broke */
    r->arrived++;
    if (s->ack_received)
        send_ack(s, r); /* in the relay log: acknowledged before it is applied */
    pump(r);
}

static void on_ack_retry(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    store *s = ctx;
    replica *r = &s->reps[arg - 1];
    r->ack_stalled = false;
    send_ack(s, r);
}

static void ack_write(store *s, entry *e)
{
    fl_req *q = fl_req_at(s->w, e->req);
    if (q->value > s->acked_ver[e->row])
        s->acked_ver[e->row] = q->value;
    e->req = FL_NONE;
    if (measured(s, fl_sim_now(s->w->sim)))
        s->writes_acked++;
}

/* The primary learns that replica (arg >> 56) applied the log up to (arg & 2^56-1). */
static void on_ack(fl_sim *sim, void *ctx, uint64_t arg)
{
    store *s = ctx;
    fl_time now = fl_sim_now(sim);
    if (now < s->c->host.paused_until) {
        fl_sim_at(sim, s->c->host.paused_until, s->h_ack, arg);
        return;
    }
    replica *r = &s->reps[(arg >> 56) - 1];
    uint64_t upto = arg & ((1ull << 56) - 1);
    for (; r->acked < upto; r->acked++) {
        entry *e = log_at(s, r->acked);
        if (++e->acks == (uint32_t)s->acks_needed && e->req != FL_NONE) {
            uint32_t id = e->req;
            ack_write(s, e);
            fl_world_reply(s->w, id, FL_OUT_OK);
        }
    }
    log_trim(s);
}

/* An apply worker finished slot k: the prefix advances over every finished entry. */
static void apply_done(replica *r, int k)
{
    store *s = r->s;
    fl_time now = fl_sim_now(s->w->sim);
    r->slot_done[k] = 1;
    bool advanced = false;
    for (;;) {
        int j;
        for (j = 0; j < s->apply_workers; j++)
            if (r->slot_busy[j] && r->slot_done[j] && r->slot_seq[j] == r->applied)
                break;
        if (j == s->apply_workers)
            break;
        note_lag(s, r, now); /* the oldest unapplied write, just before it is applied */
        entry *e = log_at(s, r->applied);
        int64_t *v = ver_at(s, e->row, r->idx);
        if (e->version > *v)
            *v = e->version;
        r->applied++;
        r->applied_total++;
        r->slot_busy[j] = 0;
        r->busy_slots--;
        advanced = true;
    }
    if (advanced) {
        if (s->repl == REPL_ASYNC) {
            r->acked = r->applied;
            log_trim(s);
        } else if (s->ack_received) {
            log_trim(s); /* reported on receipt already */
        } else {
            send_ack(s, r);
        }
    }
    pump(r);
}

/* ---- stations --------------------------------------------------------------------------- */

static void add_util(store *s, int col, int workers, fl_time d)
{
    fl_world *w = s->w;
    fl_series_add(w->series, col, fl_sim_now(w->sim),
                  (double)d / ((double)w->window * (double)workers));
}

static fl_time primary_time(void *ctx, uint32_t id)
{
    store *s = ctx;
    fl_dist *d = fl_req_at(s->w, id)->verb == FL_VERB_WRITE ? s->write_time : s->read_time;
    fl_time t = fl_dist_sample(d, &s->rng_primary);
    add_util(s, s->col_util, s->workers, s->slow != 1 ? (fl_time)((double)t * s->slow) : t);
    return t;
}

/* The primary commits write id: version, log, replication, and the ack when due. */
static void commit(store *s, uint32_t id)
{
    fl_world *w = s->w;
    fl_time now = fl_sim_now(w->sim);
    fl_req *q = fl_req_at(w, id);
    uint32_t row = key_row(s, q->key);
    if (row == FL_NONE) { /* out of memory: refuse rather than lie */
        fl_world_reply(w, id, FL_OUT_REJECTED);
        return;
    }
    if (s->commits - s->base == s->lcap) {
        uint64_t cap = s->lcap * 2;
        entry *nl = fl_malloc(cap * sizeof *nl);
        if (!nl) {
            fl_world_reply(w, id, FL_OUT_REJECTED);
            return;
        }
        for (uint64_t k = s->base; k < s->commits; k++)
            nl[k & (cap - 1)] = *log_at(s, k);
        fl_free(s->log);
        s->log = nl;
        s->lcap = cap;
    }
    fl_kv *a = fl__grow(w->sim, s->applied_log, &s->applied_cap, s->napplied + 1, sizeof *a,
                        1024);
    if (!a) {
        fl_world_reply(w, id, FL_OUT_REJECTED);
        return;
    }
    s->applied_log = a;
    int64_t *v = ver_at(s, row, 0);
    if (q->value > *v)
        *v = q->value;
    s->applied_log[s->napplied++] = (fl_kv){q->key, q->value};
    entry *e = log_at(s, s->commits);
    *e = (entry){q->key, q->value, now, row, FL_NONE, 0};
    s->commits++;
    for (int i = 0; i < s->nrep; i++) {
        replica *r = &s->reps[i];
        uint64_t lw = s->commits - r->applied;
        if (measured(s, now) && lw > r->max_lag_w)
            r->max_lag_w = lw;
        ship(s, r);
    }
    if (s->acks_needed == 0) {
        e->req = id;
        ack_write(s, e);
        fl_world_reply(w, id, FL_OUT_OK);
    } else {
        e->req = id; /* answered when enough replicas report it applied */
    }
    if (s->nrep == 0)
        s->base = s->commits;
}

static void primary_done(void *ctx, uint32_t id, fl_station_end how, fl_time arrive,
                         fl_time start)
{
    (void)arrive;
    (void)start;
    store *s = ctx;
    fl_world *w = s->w;
    if (how == FL_STATION_LOST) { /* crashed: no reply is ever sent */
        fl_req_server_done(w, id);
        return;
    }
    if (how != FL_STATION_SERVED) {
        fl_world_reply(w, id, how == FL_STATION_REJECTED  ? FL_OUT_REJECTED
                              : how == FL_STATION_DROPPED ? FL_OUT_DEADLINE
                                                          : FL_OUT_EXPIRED);
        return;
    }
    fl_req *q = fl_req_at(w, id);
    if (q->verb == FL_VERB_WRITE) {
        commit(s, id);
        return;
    }
    q->value = member_version(s, q->key, 0);
    if (measured(s, fl_sim_now(w->sim)))
        s->reads_primary++;
    fl_world_reply(w, id, FL_OUT_OK);
}

static const fl_station_ops primary_ops = {primary_time, primary_done, NULL, NULL, NULL, NULL};

static fl_time replica_time(void *ctx, uint32_t id)
{
    replica *r = ctx;
    store *s = r->s;
    fl_time t = id & APPLY_BIT ? fl_dist_sample(s->apply_time, &r->rng_apply)
                               : fl_dist_sample(s->read_time, &r->rng_read);
    add_util(s, r->col_util, s->replica_workers, r->slow != 1 ? (fl_time)((double)t * r->slow) : t);
    return t;
}

static void replica_done(void *ctx, uint32_t id, fl_station_end how, fl_time arrive,
                         fl_time start)
{
    (void)arrive;
    (void)start;
    replica *r = ctx;
    store *s = r->s;
    fl_world *w = s->w;
    if (id & APPLY_BIT) {
        if (how == FL_STATION_SERVED)
            apply_done(r, (int)(id & ~APPLY_BIT));
        return; /* LOST in a crash: replica_crash resets the apply workers */
    }
    if (how == FL_STATION_LOST) {
        fl_req_server_done(w, id);
        return;
    }
    if (how != FL_STATION_SERVED) {
        fl_world_reply(w, id, FL_OUT_REJECTED);
        return;
    }
    fl_time now = fl_sim_now(w->sim);
    fl_req *q = fl_req_at(w, id);
    q->value = member_version(s, q->key, r->idx);
    if (measured(s, now)) {
        r->reads++;
        uint32_t row = key_find(s, q->key);
        if (row != FL_NONE) {
            r->stale_committed += q->value < *ver_at(s, row, 0);
            r->stale_acked += q->value < s->acked_ver[row];
        }
    }
    /* the router's hop back: part of the request's path, on the stream's connection */
    fl_time d = fl_world_peer_send(w, (fl_peer){s->c->index, r->idx},
                                   (fl_peer){s->c->index, FL_PEER_NODE}, NULL);
    if (d < 0)
        fl_req_server_done(w, id); /* the answer is lost on the way back */
    else if (d == 0)
        fl_world_reply(w, id, FL_OUT_OK);
    else
        fl_sim_after(w->sim, d, s->h_back, id);
}

static const fl_station_ops replica_ops = {replica_time, replica_done, NULL, NULL, NULL, NULL};

static void on_back(fl_sim *sim, void *ctx, uint64_t id)
{
    (void)sim;
    store *s = ctx;
    fl_world_reply(s->w, (uint32_t)id, FL_OUT_OK);
}

/* A read the router forwarded reaches replica r: refused while it is down. */
static void replica_arrive(store *s, replica *r, uint32_t id)
{
    if (r->crashed) {
        if (measured(s, fl_sim_now(s->w->sim)))
            s->refused++;
        fl_world_reply(s->w, id, FL_OUT_REFUSED);
        return;
    }
    fl_station_arrive(r->st, id);
}

static void on_fwd(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    store *s = ctx;
    replica_arrive(s, &s->reps[(arg >> 32) - 1], (uint32_t)arg);
}

/* ---- routing ---------------------------------------------------------------------------- */

/* The member that serves a read of key now (0: the primary). */
static int route(store *s, uint64_t key, fl_time now)
{
    if (s->nrep == 0)
        return 0;
    switch (s->read_from) {
    case READ_ANY: {
        uint64_t n = (uint64_t)s->nrep + (s->any_primary ? 1 : 0);
        int m = (int)(fl_rng_next(&s->rng_route) % n);
        return s->any_primary ? m : m + 1;
    }
    case READ_SESSION: {
        int m = 1 + (int)(fl_rng_next(&s->rng_route) % (uint64_t)s->nrep);
        uint32_t row = key_find(s, key);
        if (row == FL_NONE || *ver_at(s, row, m) >= s->acked_ver[row])
            return m;
        return 0;
    }
    case READ_BOUNDED: {
        int n = 0;
        for (int i = 0; i < s->nrep; i++)
            n += lag_s(s, &s->reps[i], now) < s->max_staleness;
        if (n == 0)
            return 0;
        int pick = (int)(fl_rng_next(&s->rng_route) % (uint64_t)n);
        for (int i = 0; i < s->nrep; i++)
            if (lag_s(s, &s->reps[i], now) < s->max_staleness && pick-- == 0)
                return i + 1;
        return 0;
    }
    default:
        return 0;
    }
}

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    store *s = c->state;
    fl_time now = fl_sim_now(w->sim);
    if (now < c->host.paused_until) { /* the router is stopped with the primary */
        fl_sim_at(w->sim, c->host.paused_until, s->h_rearrive, id);
        return;
    }
    fl_req *q = fl_req_at(w, id);
    int m = q->verb == FL_VERB_WRITE ? 0 : route(s, q->key, now);
    if (m == 0) {
        if (fl_station_down(s->st)) {
            if (measured(s, now))
                s->refused++;
            fl_world_reply(w, id, FL_OUT_REFUSED);
            return;
        }
        fl_station_arrive(s->st, id);
        return;
    }
    replica *r = &s->reps[m - 1];
    fl_time d = fl_world_peer_send(w, (fl_peer){c->index, FL_PEER_NODE},
                                   (fl_peer){c->index, r->idx}, NULL); /* the router's hop */
    if (d < 0)
        fl_req_server_done(w, id);
    else if (d == 0)
        replica_arrive(s, r, id);
    else
        fl_sim_after(w->sim, d, s->h_fwd, ((uint64_t)m << 32) | id);
}

static void on_rearrive(fl_sim *sim, void *ctx, uint64_t id)
{
    (void)sim;
    store *s = ctx;
    on_request(s->w, s->c, (uint32_t)id);
}

/* ---- configuration ---------------------------------------------------------------------- */

static fl_status read_replica_zones(fl_world *w, store *s, const cJSON *cfg, const char *path,
                                    fl_error *e)
{
    const cJSON *rz = cJSON_GetObjectItemCaseSensitive(cfg, "replica_zones");
    char p[300], ip[320];
    fl_cfg_join(p, sizeof p, path, "replica_zones");
    for (int i = 0; i < s->nrep; i++)
        s->reps[i].zone = s->c->zone;
    if (!rz)
        return FL_OK;
    if (!cJSON_IsArray(rz) || cJSON_GetArraySize(rz) != s->nrep) {
        char got[64];
        if (cJSON_IsArray(rz))
            snprintf(got, sizeof got, "%d", cJSON_GetArraySize(rz));
        else
            fl_cfg_describe(rz, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p,
                            "expected an array of %d zone names, one per replica, got %s",
                            s->nrep, got);
    }
    int i = 0;
    for (const cJSON *z = rz->child; z; z = z->next, i++) {
        fl_cfg_index(ip, sizeof ip, p, i);
        if (!cJSON_IsString(z)) {
            char got[64];
            fl_cfg_describe(z, got, sizeof got);
            return fl_error_set(e, FL_INVALID, ip, "expected a zone name, got %s", got);
        }
        int k;
        for (k = 0; k < w->nzones && strcmp(w->zones[k], z->valuestring) != 0; k++)
            ;
        if (k == w->nzones)
            return fl_error_set(e, FL_UNKNOWN, ip, "unknown zone \"%s\" (declare it in \"zones\")",
                                z->valuestring);
        s->reps[i].zone = k;
    }
    return FL_OK;
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    store *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->state = s;
    s->w = w;
    s->c = c;
    s->slow = 1;
    long workers, rworkers, aworkers, nrep, acks;
    char p[300];
    if ((st = fl_kind_int(c, "workers", cfg, path, FL_CFG_OPTIONAL, 1, &workers, e)) ||
        (st = fl_cfg_dist(cfg, path, "write_time", FL_CFG_REQUIRED, NULL, &s->write_time, e)) ||
        (st = fl_cfg_dist(cfg, path, "read_time", FL_CFG_REQUIRED, NULL, &s->read_time, e)) ||
        (st = fl_kind_int(c, "replicas", cfg, path, FL_CFG_OPTIONAL, 0, &nrep, e)) ||
        (st = fl_kind_int(c, "replica_workers", cfg, path, FL_CFG_OPTIONAL, workers, &rworkers,
                          e)) ||
        (st = fl_kind_int(c, "apply_workers", cfg, path, FL_CFG_OPTIONAL, 1, &aworkers, e)) ||
        (st = fl_cfg_enum(cfg, path, "replication", FL_CFG_OPTIONAL, REPL_ASYNC, repl_names,
                          &s->repl, e)) ||
        (st = fl_cfg_enum(cfg, path, "read_from", FL_CFG_OPTIONAL, READ_PRIMARY, read_names,
                          &s->read_from, e)) ||
        (st = fl_cfg_bool(cfg, path, "any_includes_primary", FL_CFG_OPTIONAL, false,
                          &s->any_primary, e)))
        return st;
    s->workers = (int)workers;
    s->replica_workers = (int)rworkers;
    s->apply_workers = (int)aworkers;
    s->nrep = (int)nrep;
    if (s->nrep > 0 &&
        (st = fl_cfg_dist(cfg, path, "apply_time", FL_CFG_REQUIRED, NULL, &s->apply_time, e)))
        return st;
    if (s->nrep == 0 && cJSON_GetObjectItemCaseSensitive(cfg, "apply_time"))
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "apply_time"),
                            "a store without replicas applies nothing (set \"replicas\")");
    if (s->repl != REPL_ASYNC && s->nrep == 0)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "replication"),
                            "\"%s\" waits for replicas; expected \"replicas\" of at least 1",
                            repl_names[s->repl]);
    if (s->repl == REPL_SEMI) {
        int ack;
        if ((st = fl_kind_int_max(c, "acks", cfg, path, FL_CFG_REQUIRED, 1, s->nrep, &acks, e)) ||
            (st = fl_cfg_enum(cfg, path, "ack", FL_CFG_OPTIONAL, 0, ack_names, &ack, e)))
            return st;
        s->acks_needed = (int)acks;
        s->ack_received = ack == 0;
    } else if (cJSON_GetObjectItemCaseSensitive(cfg, "ack")) {
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "ack"),
                            "only \"replication\": \"semi-sync\" chooses when a replica "
                            "acknowledges (this store is \"%s\")", repl_names[s->repl]);
    } else {
        if (cJSON_GetObjectItemCaseSensitive(cfg, "acks"))
            return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "acks"),
                                "only \"replication\": \"semi-sync\" counts acks (this store "
                                "is \"%s\")", repl_names[s->repl]);
        s->acks_needed = s->repl == REPL_SYNC ? s->nrep : 0;
    }
    if (s->read_from == READ_BOUNDED) {
        if ((st = fl_kind_duration(c, "max_staleness", cfg, path, FL_CFG_REQUIRED, 0,
                                   &s->max_staleness, e)))
            return st;
    } else if (cJSON_GetObjectItemCaseSensitive(cfg, "max_staleness")) {
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "max_staleness"),
                            "only \"read_from\": \"bounded\" uses a staleness bound");
    }
    if ((st = fl_world_want_history(w)))
        return st;

    fl_world_stream(w, &s->rng_primary, c->name, "primary");
    fl_world_stream(w, &s->rng_route, c->name, "route");
    fl_station_cfg sc = {.workers = s->workers, .host = &c->host, .stats_from = w->warmup,
                         .stats_to = w->duration};
    s->st = fl_station_new(w->sim, &sc, &primary_ops, s);
    s->rows_cap = 32;
    s->lcap = 1024;
    s->applied_cap = 1024;
    int km = fl_keymap_init(&s->keys, 64);
    s->ver = fl_malloc(s->rows_cap * (size_t)(s->nrep + 1) * sizeof *s->ver);
    s->acked_ver = fl_malloc(s->rows_cap * sizeof *s->acked_ver);
    s->log = fl_malloc(s->lcap * sizeof *s->log);
    s->applied_log = fl_malloc(s->applied_cap * sizeof *s->applied_log);
    s->reps = fl_calloc((size_t)s->nrep + 1, sizeof *s->reps);
    if (!s->st || km != 0 || !s->ver || !s->acked_ver || !s->log || !s->applied_log || !s->reps)
        return FL_NOMEM;
    s->h_deliver = fl_sim_handler(w->sim, on_deliver, s);
    s->h_ack = fl_sim_handler(w->sim, on_ack, s);
    s->h_ship_retry = fl_sim_handler(w->sim, on_ship_retry, s);
    s->h_ack_retry = fl_sim_handler(w->sim, on_ack_retry, s);
    s->h_fwd = fl_sim_handler(w->sim, on_fwd, s);
    s->h_back = fl_sim_handler(w->sim, on_back, s);
    s->h_rearrive = fl_sim_handler(w->sim, on_rearrive, s);
    if (s->h_rearrive < 0)
        return FL_NOMEM;
    char col[240];
    snprintf(col, sizeof col, "%s.util.primary", c->name);
    if ((s->col_util = fl_series_column(w->series, col, FL_SERIES_SUM)) < 0)
        return FL_NOMEM;
    sc.workers = s->replica_workers;
    for (int i = 0; i < s->nrep; i++) {
        replica *r = &s->reps[i];
        char purpose[64];
        r->s = s;
        r->idx = i + 1;
        r->slow = 1;
        snprintf(purpose, sizeof purpose, "replica%d/apply", r->idx);
        fl_world_stream(w, &r->rng_apply, c->name, purpose);
        snprintf(purpose, sizeof purpose, "replica%d/read", r->idx);
        fl_world_stream(w, &r->rng_read, c->name, purpose);
        sc.host = NULL; /* replicas keep true time and are never paused */
        r->st = fl_station_new(w->sim, &sc, &replica_ops, r);
        r->slot_seq = fl_calloc((size_t)s->apply_workers, sizeof *r->slot_seq);
        r->slot_busy = fl_calloc((size_t)s->apply_workers, 1);
        r->slot_done = fl_calloc((size_t)s->apply_workers, 1);
        if (!r->st || !r->slot_seq || !r->slot_busy || !r->slot_done)
            return FL_NOMEM;
        snprintf(col, sizeof col, "%s.lag_s.%d", c->name, r->idx);
        r->col_lag = fl_series_column(w->series, col, FL_SERIES_MAX);
        snprintf(col, sizeof col, "%s.lag_writes.%d", c->name, r->idx);
        r->col_lagw = fl_series_column(w->series, col, FL_SERIES_LAST);
        snprintf(col, sizeof col, "%s.util.%d", c->name, r->idx);
        r->col_util = fl_series_column(w->series, col, FL_SERIES_SUM);
        if (r->col_lag < 0 || r->col_lagw < 0 || r->col_util < 0)
            return FL_NOMEM;
    }
    return read_replica_zones(w, s, cfg, path, e);
}

/* ---- faults, series, report ------------------------------------------------------------- */

static uint32_t members(const fl_component *c, const char **noun)
{
    const store *s = c->state;
    *noun = "member";
    return (uint32_t)s->nrep + 1;
}

/* Member 0 is the primary: the node itself ("db/0" and "db" are one network endpoint). */
static int member_zone(const fl_component *c, uint32_t m)
{
    const store *s = c->state;
    return m == 0 ? FL_MEMBER_IS_NODE : s->reps[m - 1].zone;
}

/* Replica r crashes: the reads it holds get no reply, the applies in progress are lost
 * (redone from its applied position on restart: applied data is durable, and so is its
 * relay log, the entries it received), and the entries in flight to it are lost with the
 * connection (the primary reconnects every RETRY_NS and resends from what it received). */
static void replica_crash(store *s, replica *r)
{
    fl_world *w = s->w;
    fl_station_crash(r->st);
    for (int k = 0; k < s->apply_workers; k++)
        r->slot_busy[k] = r->slot_done[k] = 0;
    r->busy_slots = 0;
    r->next_apply = r->applied;
    r->gen++;
    r->stream.shipped = r->arrived;
    r->stream.last_delivery = fl_sim_now(w->sim);
    if (!r->stream.stalled) { /* else a reconnection is already scheduled */
        r->stream.stalled = true;
        fl_sim_after(w->sim, RETRY_NS, s->h_ship_retry, (uint64_t)r->idx);
    }
    fl_world_event(w, fl_sim_now(w->sim), s->c->name, "replica-crash", "replica %d crashes",
                   r->idx);
}

/* It restarts: applies what it holds and catches up from the primary's next reconnection;
 * it reports its position again as it applies (or receives) entries. */
static void replica_restart(store *s, replica *r)
{
    fl_station_restart(r->st);
    fl_world_event(s->w, fl_sim_now(s->w->sim), s->c->name, "replica-restart",
                   "replica %d restarts", r->idx);
    pump(r);
    if (s->ack_received)
        send_ack(s, r);
}

/* A pause, slowdown or crash of replica r ("db/2"): its station applies and serves nothing
 * until the pause ends (its position reports wait too), or takes `slow` times as long; a
 * crash lasts while any crash on it is in force. */
static void replica_fault(fl_world *w, fl_component *c, replica *r, const fl_fault *f, bool begin)
{
    if (f->kind == FL_FAULT_CRASH) {
        if (begin && r->crashed++ == 0)
            replica_crash(c->state, r);
        else if (!begin && --r->crashed == 0)
            replica_restart(c->state, r);
        return;
    }
    if (f->kind == FL_FAULT_SLOW) {
        r->slow = fl_world_slowdown(w, c->index, r->idx);
        fl_station_set_slowdown(r->st, r->slow);
    } else if (f->kind == FL_FAULT_PAUSE && begin) {
        fl_station_pause(r->st, f->until);
        if (f->until > r->paused_until)
            r->paused_until = f->until;
    }
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    store *s = c->state;
    if (f->member > 0) {
        replica_fault(w, c, &s->reps[f->member - 1], f, begin);
        return;
    }
    /* Member 0 is the primary: its faults are the node's. */
    if (f->kind == FL_FAULT_PAUSE && f->member == 0 && begin && f->until > c->host.paused_until)
        c->host.paused_until = f->until;
    switch (f->kind) {
    case FL_FAULT_SLOW:
        s->slow = fl_world_slowdown(w, c->index, -1) * fl_world_slowdown(w, c->index, 0);
        fl_station_set_slowdown(s->st, s->slow);
        break;
    case FL_FAULT_CRASH:
        if (begin) {
            /* Writes committed but waiting for replica acks: the primary that would have
             * answered them is gone. They stay committed (and replicate). */
            for (uint64_t k = s->base; k < s->commits; k++) {
                entry *e = log_at(s, k);
                if (e->req != FL_NONE) {
                    fl_req_server_done(w, e->req);
                    e->req = FL_NONE;
                    if (measured(s, fl_sim_now(w->sim)))
                        s->held_lost++;
                }
            }
            fl_station_crash(s->st);
        } else {
            fl_station_restart(s->st);
        }
        break;
    case FL_FAULT_PAUSE:
        if (begin)
            fl_station_pause(s->st, f->until);
        break;
    default:
        break;
    }
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    store *s = c->state;
    fl_time now = fl_sim_now(w->sim);
    for (int i = 0; i < s->nrep; i++) {
        replica *r = &s->reps[i];
        fl_time l = lag_s(s, r, now);
        fl_series_add(w->series, r->col_lag, t, fl_time_to_s(l));
        fl_series_add(w->series, r->col_lagw, t, (double)(s->commits - r->applied));
        if (measured(s, t) && l > r->max_lag_s)
            r->max_lag_s = l;
        /* events.jsonl: a replica falls 1 s behind, and catches up (hysteresis: 0.1 s) */
        if (!r->behind && l >= FL_SEC)
            fl_world_event(w, now, c->name, "replica-behind", "replica %d lags %.3g s behind",
                           i + 1, fl_time_to_s(l));
        else if (r->behind && l < FL_SEC / 10)
            fl_world_event(w, now, c->name, "replica-caught-up", "replica %d caught up", i + 1);
        r->behind = r->behind ? l >= FL_SEC / 10 : l >= FL_SEC;
    }
}

/* Acknowledged writes against every version the primary applied. */
static void report_lost(store *s, cJSON *out)
{
    fl_repl_report_lost(s->w, s->applied_log, s->napplied, out);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    store *s = c->state;
    fl_time now = fl_sim_now(w->sim);
    fl_station_report(s->st, now, out);
    cJSON_AddStringToObject(out, "replication", repl_names[s->repl]);
    cJSON_AddStringToObject(out, "read_from", read_names[s->read_from]);
    cJSON_AddNumberToObject(out, "replicas", s->nrep);
    cJSON_AddNumberToObject(out, "acks_needed", s->acks_needed);
    if (s->repl == REPL_SEMI)
        cJSON_AddStringToObject(out, "ack", s->ack_received ? "received" : "applied");
    cJSON_AddNumberToObject(out, "refused", (double)s->refused);
    cJSON_AddNumberToObject(out, "writes_committed", (double)s->commits);
    cJSON_AddNumberToObject(out, "writes_acked", (double)s->writes_acked);
    cJSON_AddNumberToObject(out, "acks_lost_in_crash", (double)s->held_lost);
    uint64_t rrep = 0, maxw = 0, noww = 0, stale_c = 0, stale_a = 0;
    fl_time maxs = 0, nows = 0;
    cJSON *members = cJSON_AddObjectToObject(out, "members");
    cJSON *pm = cJSON_AddObjectToObject(members, "primary");
    cJSON_AddNumberToObject(pm, "applied", (double)s->commits);
    cJSON_AddNumberToObject(pm, "reads_served", (double)s->reads_primary);
    cJSON_AddNumberToObject(pm, "utilisation",
                            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(out, "utilisation")));
    for (int i = 0; i < s->nrep; i++) {
        replica *r = &s->reps[i];
        char name[32];
        snprintf(name, sizeof name, "replica%d", r->idx);
        cJSON *m = cJSON_AddObjectToObject(members, name);
        fl_time l = lag_s(s, r, now);
        uint64_t lw = s->commits - r->applied;
        if (measured(s, now - 1) && l > r->max_lag_s)
            r->max_lag_s = l;
        cJSON_AddStringToObject(m, "zone", r->zone >= 0 ? w->zones[r->zone] : "");
        cJSON_AddNumberToObject(m, "applied", (double)r->applied_total);
        cJSON_AddNumberToObject(m, "lag_s", fl_time_to_s(l));
        cJSON_AddNumberToObject(m, "lag_writes", (double)lw);
        cJSON_AddNumberToObject(m, "max_lag_s", fl_time_to_s(r->max_lag_s));
        cJSON_AddNumberToObject(m, "max_lag_writes", (double)r->max_lag_w);
        cJSON_AddNumberToObject(m, "reads_served", (double)r->reads);
        cJSON *st = cJSON_AddObjectToObject(m, "station");
        fl_station_report(r->st, now, st);
        cJSON_AddNumberToObject(m, "utilisation",
                                cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(st, "utilisation")));
        rrep += r->reads;
        stale_c += r->stale_committed;
        stale_a += r->stale_acked;
        if (r->max_lag_s > maxs)
            maxs = r->max_lag_s;
        if (r->max_lag_w > maxw)
            maxw = r->max_lag_w;
        if (l > nows)
            nows = l;
        if (lw > noww)
            noww = lw;
    }
    cJSON_AddNumberToObject(out, "max_lag_s", fl_time_to_s(maxs));
    cJSON_AddNumberToObject(out, "max_lag_writes", (double)maxw);
    cJSON_AddNumberToObject(out, "lag_s_at_end", fl_time_to_s(nows));
    cJSON_AddNumberToObject(out, "lag_writes_at_end", (double)noww);
    cJSON_AddNumberToObject(out, "reads_primary", (double)s->reads_primary);
    cJSON_AddNumberToObject(out, "reads_replicas", (double)rrep);
    cJSON_AddNumberToObject(out, "primary_read_share",
                            s->reads_primary + rrep
                                ? (double)s->reads_primary / (double)(s->reads_primary + rrep)
                                : 0);
    cJSON_AddNumberToObject(out, "stale_reads_vs_committed", (double)stale_c);
    cJSON_AddNumberToObject(out, "stale_reads_vs_acked", (double)stale_a);
    report_lost(s, out);
}

static void destroy(fl_component *c)
{
    store *s = c->state;
    if (!s)
        return;
    fl_station_free(s->st);
    fl_dist_free(s->write_time);
    fl_dist_free(s->read_time);
    fl_dist_free(s->apply_time);
    for (int i = 0; s->reps && i < s->nrep; i++) {
        fl_station_free(s->reps[i].st);
        fl_free(s->reps[i].slot_seq);
        fl_free(s->reps[i].slot_busy);
        fl_free(s->reps[i].slot_done);
    }
    fl_free(s->reps);
    fl_keymap_free(&s->keys);
    fl_free(s->ver);
    fl_free(s->acked_ver);
    fl_free(s->log);
    fl_free(s->applied_log);
    fl_free(s);
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"workers", "integer", "", "`1`", "`8`",
     "the primary's workers", FL_KV_INTEGER, FL_RANGE(1, 1e6)},
    {"write_time", "distribution", "", "required", "`\"exp(1ms)\"`",
     "a write on the primary", FL_KV_OTHER, FL_NO_BOUNDS},
    {"read_time", "distribution", "", "required", "`\"exp(2ms)\"`",
     "a read on the member that serves it", FL_KV_OTHER, FL_NO_BOUNDS},
    {"replicas", "integer", "", "`0`", "`2`",
     "", FL_KV_INTEGER, FL_RANGE(0, MAX_REPLICAS)},
    {"replica_zones", "array of zone names", "", "the node's zone", "`[\"east\", \"west\"]`",
     "one per replica", FL_KV_OTHER, FL_NO_BOUNDS},
    {"replica_workers", "integer", "", "`workers`", "`8`",
     "each replica's workers (reads and applies)", FL_KV_INTEGER, FL_RANGE(1, 1e6)},
    {"apply_time", "distribution", "", "required with replicas, refused without",
     "`\"const(2ms)\"`",
     "one write applied on a replica", FL_KV_OTHER, FL_NO_BOUNDS},
    {"apply_workers", "integer", "", "`1`", "`4`",
     "writes a replica applies at once (1: single-threaded apply)",
     FL_KV_INTEGER, FL_RANGE(1, MAX_APPLY_WORKERS)},
    {"replication", "`\"async\"`, `\"semi-sync\"`, `\"sync\"`", "", "`\"async\"`",
     "`\"semi-sync\"`",
     "a write is acknowledged once the primary committed it; once `acks` replicas received "
     "it (or applied it, see `ack`); once every replica applied it. `semi-sync` and `sync` "
     "need replicas", FL_KV_OTHER, FL_NO_BOUNDS},
    {"acks", "integer 1..replicas", "", "required with `semi-sync`, refused otherwise", "`1`",
     "", FL_KV_INTEGER, FL_AT_LEAST(1)},
    {"ack", "`\"received\"`, `\"applied\"`", "", "`\"received\"` with `semi-sync`, refused otherwise",
     "`\"applied\"`",
     "when a semi-sync replica acknowledges: on receipt, before applying (MySQL's semi-sync: "
     "the write is in its relay log), or only once applied. On receipt, writes are "
     "acknowledged while replicas lag, so reads of them stay stale", FL_KV_OTHER, FL_NO_BOUNDS},
    {"read_from", "`\"primary\"`, `\"any\"`, `\"session\"`, `\"bounded\"`", "", "`\"primary\"`",
     "`\"bounded\"`",
     "`any`: a replica chosen uniformly; `session`: a random replica if it has "
     "applied the key's newest acknowledged version, else the primary (read-your-writes, per "
     "key); `bounded`: a random replica whose lag is below `max_staleness`, else the primary. A "
     "read for a replica travels from the primary's zone to the replica's and back",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"max_staleness", "duration", "", "required with `bounded`, refused otherwise", "`\"1s\"`",
     "", FL_KV_DURATION, FL_ABOVE(0)},
    {"any_includes_primary", "boolean", "", "`false`", "`true`",
     "`any` chooses among the primary and the replicas", FL_KV_OTHER, FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"util.*", "fraction", "utilisation of the primary (util.primary) and of each replica (util.N)"},
    {"lag_s.*", "s", "replica N's lag behind the primary"},
    {"lag_writes.*", "writes", "writes replica N has yet to apply"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_store_ops = {
    .kind = "store",
    .about = "a primary and replicas: replication log, apply lag, read routing",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE),
    .member_faults = FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(PAUSE) | FL_FAULT_BIT(CRASH),
    .members = members,
    .member_zone = member_zone,
    .fault = fault,
    .destroy = destroy,
};
