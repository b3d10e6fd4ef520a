/* The `gateway` component: a tier that holds long-lived client connections (WebSockets over
 * TLS), aggregated so that a million connections cost a few events per step, not per client;
 * or, with "clients": {"model": "individual"}, one record and one timer per client.
 *
 *   {"name": "gw", "kind": "gateway", "cpus": 4, "handshake_time": "290us",
 *    "resumed_handshake_time": "60us", "backlog": 4096, "max_connections": 1000000,
 *    "heartbeat_interval": "30s", "heartbeat_time": "20us", "heartbeat_timeout": "10s",
 *    "priority": "fifo", "session_resumption": false,
 *    "admission": {"rate": "2000/s", "burst": 2000, "retry_after": "1s"},
 *    "clients": {"connected": 500000, "join": {"count": 200000, "within": "90s", "at": "10s"},
 *                "rtt": "50ms"},
 *    "reconnect": {"delay": "exponential(1s, max=60s)", "jitter": "full",
 *                  "spread": "200ms", "connect_timeout": "uniform(8s, 12s)",
 *                  "syn_retries": 6},
 *    "resolution": "10ms"}
 *
 * The CPU. `cpus` cores do three kinds of work: a TLS handshake for every new connection
 * (handshake_time; resumed_handshake_time when the client resumes its session), a
 * heartbeat from every established connection every heartbeat_interval (heartbeat_time
 * each), and the messages of the workloads that target the node (message_time each). With
 * "priority": "fifo" (the default) all work is served in arrival order, so heartbeats wait
 * behind every queued handshake; with "established", heartbeats and messages go first and
 * handshakes get what is left.
 *
 * Connections. An attempt is refused while the node is down (crash) or at max_connections;
 * rejected by admission control when its token bucket is empty (enforced in front of the
 * TLS stage: a rejection costs the gateway no CPU, and tells the client to come back after
 * retry_after, which it waits on top of its reconnect delay); dropped when the accept
 * queue already holds `backlog` attempts waiting for their handshake (an accept-queue
 * overflow: the SYN is dropped and the client hears nothing); otherwise it waits in the
 * accept queue for the CPU. A dropped SYN is resent by the client's kernel, as Linux does:
 * after 1 s, then 2, 4 ... s (so at 0, 1, 3, 7, 15 ... s into the attempt), syn_retries
 * times at most (net.ipv4.tcp_syn_retries, default 6), and only before the client's
 * connect timeout; the attempt fails at the connect timeout, or when the kernel gives up a
 * doubled timeout after the last resend (ETIMEDOUT), whichever is first. A resent SYN that
 * gets in waits for its handshake until the same connect timeout, counted from the
 * attempt's first SYN; a client whose handshake has not completed by then gives up; the
 * gateway still does the queued handshake when it reaches it (it learns that the client
 * left only when it answers), which is counted as wasted work. A client learns of a
 * refusal or a rejection after one round trip (clients.rtt); a refusal or rejection is
 * not resent (the client's next attempt is its reconnect).
 *
 * The clients' own randomness. connect_timeout is one duration for every attempt, or
 * "uniform(lo, hi)": each attempt draws its own (clients of several builds or platforms).
 * spread (default 0) adds to every wait before a new attempt each client's own uniform
 * draw in [0, spread]: the time a device takes to notice a lost or failed connection and
 * act on it. Without either, clients that fail in the same step act in the same step for
 * ever (the kernel's timers are exact), which real fleets never do; with them, results
 * differ from seed to seed. Draws are made per client (on the node's named streams
 * "reconnect", "reconnect-spread" and "connect-timeout") and counted into the calendar's
 * steps; a timeout drawn after part of the attempt has passed is drawn on what is left
 * of its range, so one draw per decision is exact.
 *
 * Heartbeats. A client whose heartbeat is not answered within heartbeat_timeout drops its
 * connection and reconnects: a disconnect of an established connection. Every client
 * that lost its connection, or whose attempt failed, waits its reconnect delay (the n-th
 * consecutive wait as a client policy's n-th backoff, sim/model/client.h) and tries
 * again; a successful handshake resets the count. With session_resumption, a client whose
 * connection dropped resumes its session (the cheap handshake); newcomers and clients of
 * a crashed node (whose sessions died with it) pay the full handshake.
 *
 * Aggregation. Time advances in steps of `resolution`. Clients are counts, not objects:
 * waiting clients sit in calendars of steps by (class, retry count), and resent SYNs by
 * SYN number too; connections are counted by heartbeat phase, in a ring of one
 * heartbeat_interval in steps (the interval rounded to whole steps): each step's heartbeats
 * are the connections of its phase, as one batch, and a missed batch drops connections of
 * that phase only, so the others keep their turn (were each step's heartbeats drawn from
 * all connections still up, a wave would drop connected * (1 - exp(-t / interval)) in t,
 * not every connection whose turn came); those connected at time 0 are spread evenly over
 * the phases, each new connection takes the phase a golden-ratio stride after the last
 * one's (evenly spread, no draw); attempts that arrive in one
 * step form one batch per (class, retry count, SYN number, deadline step; with uniform
 * timeouts a step's deadline batches are queued in a random order). Batches are served in
 * order, a unit at a time in effect (partial batches carry over), with cpus * resolution
 * of CPU per step; queued handshakes give up by deadline (a heap). So times have the
 * resolution's granularity, and a run costs one event per step (plus the workloads'
 * messages) whatever the number of connections; the per-client draws cost a few
 * nanoseconds per client and decision. When a step's attempts are more than the gates
 * let in (admission's tokens, the connection limit, the accept queue's room), every batch
 * of the step (class, retry count, SYN number; newcomers' first attempts too) gets its
 * share of each gate in proportion (random rounding, stream "attempt-share"): clients
 * arrive through a step in no order of class.
 *
 * Individual clients ("model": "individual", at most 10^7). Each client is a 32-byte record
 * (gw_client) with one cancellable timer on the engine's queue: its join, next attempt,
 * resent SYN, connect timeout or next heartbeat, by its state. The rules above hold client
 * by client, at exact times instead of steps: a connected client sends a heartbeat every
 * heartbeat_interval from its own phase (uniform, drawn when it connects; stratified for
 * those connected at time 0), which queues
 * heartbeat_time of CPU; the CPU still serves in steps of `resolution`, in arrival order;
 * a heartbeat unanswered after heartbeat_timeout disconnects the client that sent it (if
 * that connection is still up); a queued handshake whose client's connect timeout fires
 * first is wasted when the CPU reaches it. Each client draws from a stream of its own
 * (counter-based: the node's key, its index and its count of draws), so its backoff,
 * spread, connect timeout and heartbeat phase are independent of every other client's and
 * of the order in which clients act. Newcomers of a join wave join one by one, the m-th of
 * n at its own uniform time within the m-th n-th of the wave. Cost: about one event per
 * heartbeat, attempt and SYN resend, 32 bytes per client plus about 40 for its pending
 * event (tests/perf/clients-1m.json: 10^6 clients for 300 s, 15.5 M events, 85 MiB). The
 * summary adds heartbeats.sent and client_record_bytes.
 *
 * Faults: crash (every connection, queued handshake and message is lost; attempts are
 * refused until restart; sessions die with the node), pause (the CPU does nothing; clients
 * keep their timers, the kernel keeps queueing), slow (every piece of work costs `factor`
 * times as much). The timeouts that matter are the clients', on true time, so the node's
 * clock changes nothing; the clients are not on the network model, so link faults touch
 * only the workloads' messages.
 *
 * Figures are counted over the whole run (connections exist from time 0, so there is no
 * warm-up): connected {now, max, min, initial}; newcomers {joining, joined, admitted,
 * all_admitted, all_admitted_s: from the first join until the last newcomer's first
 * connection}; handshakes {completed, full, resumed, wasted, timed_out, unanswered (every
 * SYN of the attempt dropped, counted when the last one is), failed (timed_out +
 * unanswered + rejected + refused), per_s}; attempts (first SYNs), reconnect_attempts
 * (every attempt but a newcomer's first), syn_retransmissions; accept_queue_overflows
 * (dropped SYNs, resent ones included) and overflow_episodes (bursts of overflows at least
 * 1 s apart);
 * admission_rejected; refused {down, max_connections}; heartbeats {answered, missed,
 * miss_episodes}; disconnects {total, heartbeat, crash}; after the first crash, recovery
 * {connected_before, restored, restored_s: until 99% of connected_before are connected
 * again}; messages; utilisation, cpu_s by kind of work, wasted_work_s; Little's law over
 * the accept queue. Series: connected, handshakes_per_s, cpu, disconnects_per_s,
 * attempts_per_s, overflows_per_s, backlog_max. */
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/client.h"
#include "model/world.h"

enum { CLS_NEW, CLS_RET, CLS_RES, NCLS }; /* newcomer; returning (full handshake); resuming */
enum { IT_HS, IT_HB, IT_MSG };

/* A batch of work in a CPU queue. */
typedef struct gw_item {
    fl_time arrive;
    uint32_t count;   /* units: attempts, heartbeats; 1 for a message */
    uint32_t served;  /* units done */
    uint32_t req;     /* a message's request */
    uint8_t type;     /* IT_* */
    uint8_t cls;      /* handshake: the clients' class */
    uint8_t level;    /* handshake: the clients' retry count */
    uint8_t stale;    /* handshake: the clients gave up; heartbeat: missed */
    uint8_t syn;      /* handshake: which SYN of the attempt got in (0: the first) */
    uint32_t epoch;   /* individual clients: the client's epoch when the work was queued */
    fl_time deadline; /* handshake: when the clients give up (their connect timeout) */
} gw_item;

/* One client of the individual model ("clients": {"model": "individual"}): 32 bytes, in one
 * array allocated at configure, with exactly one pending timer while it is joined (its
 * join, next attempt, resent SYN, connect timeout or next heartbeat, by state). Its random
 * draws are its own: the n-th comes from (the node's key, its index, n), so no client's
 * draws depend on what the others did or in which order. Work it queued (a handshake, a
 * heartbeat) carries its epoch; the epoch advances when the attempt or the connection ends,
 * which makes such work stale (a handshake done for a client that left is wasted). */
enum { CL_IDLE, CL_WAIT, CL_SYN, CL_QUEUED, CL_CONNECTED };
typedef struct gw_client {
    fl_timer timer;   /* its pending timer; FL_TIMER_NONE while it fires */
    fl_time deadline; /* the current attempt's connect timeout, absolute */
    uint32_t epoch;
    uint32_t draws;   /* random draws made so far */
    uint8_t state;    /* CL_* */
    uint8_t cls;      /* CLS_* of its next or current attempt */
    uint8_t level;    /* consecutive failed attempts (its backoff's retry count) */
    uint8_t syn;      /* which SYN of the attempt is next or got in */
} gw_client;
_Static_assert(sizeof(gw_client) <= 64, "a client's record is at most 64 bytes (issue 16)");

/* A handshake batch's deadline, in a min-heap: batches of retransmitted SYNs or of clients
 * with their own connect timeouts give up out of arrival order. */
typedef struct gw_due {
    fl_time at;
    uint64_t idx; /* the batch's absolute index in the handshake queue */
} gw_due;

typedef struct gw_queue {
    gw_item *v;
    uint64_t head, tail, cap; /* absolute indices into a ring of cap (a power of 2) */
    fl_time progress;         /* work already done on the head item's next unit */
    uint64_t cur_hb;          /* heartbeat scan: every item before it was looked at */
} gw_queue;

typedef struct join_wave {
    int64_t at_tick, within_ticks; /* the newcomers join in steps (at_tick, at_tick + within] */
    uint64_t count, done;
} join_wave;

typedef struct gateway {
    fl_world *w;
    fl_component *c;
    /* configuration */
    int cpus;
    fl_time hs_time, res_time, hb_interval, hb_time, hb_timeout, msg_time, tick;
    fl_time connect_timeout, rtt;
    fl_time ct_lo, ct_hi; /* each attempt's connect timeout: uniform in [lo, hi] */
    fl_time spread;       /* each client adds uniform [0, spread] to every reconnect wait */
    int syn_retries;      /* SYNs resent after 1, 2, 4 ... s (net.ipv4.tcp_syn_retries) */
    int syns;             /* syn_retries + 1: the calendar's SYN dimension */
    uint64_t backlog, max_conn, initial;
    bool priority, resumption, admission, individual;
    int64_t adm_per_tick, adm_cap, adm_tokens; /* nano-tokens */
    fl_time adm_retry_after;
    double adm_rate;
    join_wave *joins;
    int njoins;
    uint64_t join_total;
    int64_t join_first_tick;
    fl_client_policy pol;
    int levels;
    /* the calendars of waiting clients, by step, class and retry count: cal for new
     * attempts (reaching as far as the longest wait), scal by SYN number 1..syn_retries for
     * resent SYNs (reaching as far as the connect timeout) */
    uint32_t *cal, *scal;
    int64_t nb, snb, next_tick;
    gw_due *due; /* the handshake queue's deadlines */
    size_t ndue, due_cap;
    uint32_t *dl_count; /* scratch: clients accepted in one step, by deadline step */
    int32_t *dl_list;
    int64_t dl_bins;
    /* state */
    gw_queue q[2]; /* q[0]: all work (fifo) or established work; q[1]: handshakes */
    uint64_t connected, hs_queued, wanted;
    /* aggregated: connections by heartbeat phase, a ring of one heartbeat_interval in steps
     * (each connection heartbeats in step k, k + hb_slots, ...; the sum is `connected`) */
    uint32_t *hb_ring;
    int64_t hb_slots;
    int64_t hb_next, hb_stride; /* the next new connection's phase; the step between two */
    /* aggregated: one step's attempts, by (class, retry count, SYN number), when they are
     * more than can get in (scratch, sized at configure) */
    struct gw_group {
        uint64_t n, a, c, b; /* attempts; past admission, the connection limit, the queue */
        uint8_t cls, level, syn;
    } *grp;
    size_t ngrp_max;
    fl_rng rng_share;
    bool down, nomem;
    double slow;
    fl_time cap_tick;
    fl_rng rng_backoff, rng_msg, rng_spread, rng_ct;
    int h_tick;
    int col_conn, col_hs, col_cpu, col_disc, col_att, col_ovf, col_backlog;
    /* figures */
    uint64_t conn_max, conn_min;
    uint64_t hs_full, hs_resumed, hs_wasted, hs_timed_out;
    uint64_t attempts, reconnect_attempts, overflows, adm_rejected, refused_down, refused_limit;
    uint64_t syn_retx, unanswered;
    uint64_t hb_served, hb_missed, hb_wasted, disc_hb, disc_crash;
    uint64_t msg_served, msg_not_connected, msg_refused;
    uint64_t joined, admitted;
    fl_time all_admitted_at;
    double busy_ns, work_hs, work_hb, work_msg, work_wasted;
    double area, stays; /* Little's law over the accept queue */
    fl_time area_t;
    uint64_t miss_episodes, ovf_episodes;
    fl_time last_miss, last_ovf;
    bool crashed;
    uint64_t crash_level;
    fl_time crash_at, restored_at;
    fl_time wave_last; /* a disconnect wave (events.jsonl): its last disconnect, ... */
    uint64_t wave_n;   /* ... and its disconnects so far (0: no wave) */
    /* individual clients (NULL cl: the aggregated model) */
    gw_client *cl;
    uint32_t ncl;     /* clients in all: connected at 0, then the newcomers */
    uint32_t *joined_order; /* the joined clients, in order of joining (a sender's draw) */
    uint64_t cl_key;  /* the clients' random key, from the node's stream "clients" */
    int h_client;
    uint64_t hb_sent;
} gateway;

static const char *const client_keys[] = {"connected", "join", "rtt", "model", NULL};
static const char *const client_models[] = {"aggregate", "individual", NULL};
static const char *const join_keys[] = {"count", "within", "at", NULL};
static const char *const reconnect_keys[] = {"delay",  "jitter",      "connect_timeout",
                                             "spread", "syn_retries", NULL};
static const char *const admission_keys[] = {"rate", "burst", "retry_after", NULL};
static const char *const priorities[] = {"fifo", "established", NULL};
static const char *const jitters[] = {"none", "full", "equal", NULL};

#define GW_MAX_CLIENTS 100000000u
#define GW_MAX_CELLS   (1u << 24)
#define GW_EPISODE_GAP FL_SEC /* a second without misses (overflows) ends an episode */
#define GW_SYN_RTO     FL_SEC /* Linux's initial SYN retransmission timeout (TCP_TIMEOUT_INIT) */
#define GW_MAX_DL_BINS 100000 /* a connect timeout's spread, in steps */
#define GW_MAX_INDIVIDUAL 10000000u /* individual clients: 32 bytes + a pending event each */

/* ---- the calendar of waiting clients ------------------------------------------------- */

static uint32_t *cell(gateway *g, int64_t b, int cls, int level, int syn)
{
    if (!syn)
        return &g->cal[((size_t)(b % g->nb) * NCLS + (size_t)cls) * (size_t)g->levels +
                       (size_t)level];
    size_t i = ((size_t)(b % g->snb) * NCLS + (size_t)cls) * (size_t)g->levels + (size_t)level;
    return &g->scal[i * (size_t)g->syn_retries + (size_t)syn - 1];
}

/* When an attempt's SYN number `syn` is sent, counted from its first: 0, 1, 3, 7 ... s. */
static fl_time syn_offset(int syn)
{
    return GW_SYN_RTO * (((fl_time)1 << syn) - 1);
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int64_t bucket_of(const gateway *g, fl_time t)
{
    int64_t b = (t + g->tick - 1) / g->tick;
    return b < g->next_tick ? g->next_tick : b;
}

/* n clients of class cls failed (or lost their connection) now: they wait `after` plus
 * their reconnect delay for retry `level` (plus, each, its own share of the spread), then
 * start a new attempt. */
static void schedule(gateway *g, uint64_t n, int cls, int level, fl_time after)
{
    if (!n)
        return;
    if (level >= g->levels)
        level = g->levels - 1;
    fl_time now = fl_sim_now(g->w->sim);
    bool jitter = g->pol.backoff != FL_BACKOFF_NONE && g->pol.jitter != FL_JITTER_NONE;
    if (!jitter && !g->spread) {
        fl_time d = fl_client_backoff(&g->pol, level, 0, &g->rng_backoff);
        *cell(g, bucket_of(g, now + after + d), cls, level, 0) += (uint32_t)n;
        return;
    }
    fl_time d = jitter ? 0 : fl_client_backoff(&g->pol, level, 0, &g->rng_backoff);
    for (uint64_t i = 0; i < n; i++) { /* one draw per client, counted into its step */
        if (jitter)
            d = fl_client_backoff(&g->pol, level, 0, &g->rng_backoff);
        fl_time s = g->spread ? (fl_time)fl_rng_below(&g->rng_spread, (uint64_t)g->spread + 1) : 0;
        (*cell(g, bucket_of(g, now + after + d + s), cls, level, 0))++;
    }
}

/* One client's connect timeout, given that it has not expired by `offset` into the
 * attempt (a uniform draw is uniform on what is left of its range). */
static fl_time draw_timeout(gateway *g, fl_time offset)
{
    fl_time lo = g->ct_lo > offset ? g->ct_lo : offset;
    if (lo >= g->ct_hi)
        return g->ct_hi;
    return lo + (fl_time)fl_rng_below(&g->rng_ct, (uint64_t)(g->ct_hi - lo) + 1);
}

/* n clients' SYN number `syn` was dropped now (a full accept queue; the client hears
 * nothing). Each resends it after the doubled retransmission timeout if that comes before
 * its connect timeout and it has retries left; otherwise its attempt fails at its connect
 * timeout, or when the kernel gives up after the last retransmission, whichever is first,
 * and it waits its reconnect delay. */
static void dropped(gateway *g, uint64_t n, int cls, int level, int syn)
{
    if (!n)
        return;
    fl_time now = fl_sim_now(g->w->sim), at = syn_offset(syn);
    fl_time next = syn < g->syn_retries ? syn_offset(syn + 1) : FL_TIME_MAX;
    fl_time kernel = syn_offset(g->syn_retries + 1); /* ETIMEDOUT */
    uint64_t resend = 0;
    if (g->ct_lo == g->ct_hi) {
        if (next < g->ct_hi)
            resend = n;
        else {
            g->unanswered += n;
            schedule(g, n, cls, level + 1, (g->ct_hi < kernel ? g->ct_hi : kernel) - at);
        }
    } else {
        for (uint64_t i = 0; i < n; i++) {
            fl_time t = draw_timeout(g, at);
            if (next < t)
                resend++;
            else {
                g->unanswered++;
                schedule(g, 1, cls, level + 1, (t < kernel ? t : kernel) - at);
            }
        }
    }
    if (resend)
        *cell(g, bucket_of(g, now + next - at), cls, level, syn + 1) += (uint32_t)resend;
}

/* ---- queues -------------------------------------------------------------------------- */

static gw_item *item_at(gw_queue *q, uint64_t i)
{
    return &q->v[i & (q->cap - 1)];
}

/* Appends a batch (merged with the last one when it is the same kind of work from the same
 * instant, with the same deadline). 0 when the ring cannot grow; 2 when merged; 1 when it
 * is a new batch, at index q->tail - 1. */
static int push(gateway *g, gw_queue *q, gw_item it)
{
    if (q->tail > q->head) {
        gw_item *last = item_at(q, q->tail - 1);
        if (!g->cl && it.type != IT_MSG && last->type == it.type && last->arrive == it.arrive &&
            last->cls == it.cls && last->level == it.level && last->syn == it.syn &&
            last->deadline == it.deadline && !last->stale && !last->served &&
            (uint64_t)last->count + it.count <= UINT32_MAX && q->tail - 1 != q->head) {
            last->count += it.count;
            return 2;
        }
    }
    if (q->tail - q->head == q->cap) {
        uint64_t cap = q->cap ? q->cap * 2 : 1024;
        gw_item *v = fl_malloc((size_t)cap * sizeof *v);
        if (!v) {
            g->nomem = true;
            return 0;
        }
        for (uint64_t i = q->head; i < q->tail; i++)
            v[i & (cap - 1)] = *item_at(q, i);
        fl_free(q->v);
        q->v = v;
        q->cap = cap;
    }
    *item_at(q, q->tail++) = it;
    return 1;
}

/* ---- the deadlines of queued handshakes: a binary min-heap --------------------------- */

static bool due_reserve(gateway *g)
{
    gw_due *v = fl__grow(g->w->sim, g->due, &g->due_cap, g->ndue + 1, sizeof *v, 1024);
    if (!v) {
        g->nomem = true;
        return false;
    }
    g->due = v;
    return true;
}

/* Needs room (due_reserve). Ties leave in an order fixed by the pushes: deterministic. */
static void due_push(gateway *g, gw_due d)
{
    size_t i = g->ndue++;
    while (i > 0 && g->due[(i - 1) / 2].at > d.at) {
        g->due[i] = g->due[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->due[i] = d;
}

static gw_due due_pop(gateway *g)
{
    gw_due top = g->due[0], last = g->due[--g->ndue];
    size_t i = 0, n = g->ndue;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && g->due[c + 1].at < g->due[c].at)
            c++;
        if (g->due[c].at >= last.at)
            break;
        g->due[i] = g->due[c];
        i = c;
    }
    if (n)
        g->due[i] = last;
    return top;
}

static gw_queue *hs_queue(gateway *g)
{
    return g->priority ? &g->q[1] : &g->q[0];
}

/* The accept queue's length changes now: close the area under it so far. */
static void note_queue(gateway *g, fl_time now)
{
    g->area += (double)g->hs_queued * (double)(now - g->area_t);
    g->area_t = now;
}

static void note_connected(gateway *g)
{
    if (g->connected > g->conn_max)
        g->conn_max = g->connected;
    if (g->connected < g->conn_min)
        g->conn_min = g->connected;
    if (g->crashed && !g->restored_at && g->connected * 100 >= g->crash_level * 99) {
        g->restored_at = fl_sim_now(g->w->sim);
        fl_world_event(g->w, g->restored_at, g->c->name, "connections-restored",
                       "99%% of connections restored");
    }
}

static void episode(uint64_t *count, fl_time *last, fl_time now)
{
    if (!*count || now - *last > GW_EPISODE_GAP)
        (*count)++;
    *last = now;
}

/* ---- attempts ------------------------------------------------------------------------ */

/* n clients get into the accept queue now with their SYN number `syn`: each waits for its
 * handshake until its own connect timeout (counted from the attempt's first SYN). With a
 * spread of timeouts the clients are split into batches by deadline step, queued in a
 * random order of those steps (the kernel's queue knows nothing of the clients' timers).
 * Returns how many got in (fewer only when memory runs out). */
static uint64_t enqueue(gateway *g, uint64_t n, int cls, int level, int syn, fl_time now)
{
    gw_queue *q = hs_queue(g);
    fl_time start = now - syn_offset(syn);
    gw_item it = {.arrive = now,
                  .type = IT_HS,
                  .cls = (uint8_t)cls,
                  .level = (uint8_t)level,
                  .syn = (uint8_t)syn};
    uint64_t in = 0;
    note_queue(g, now);
    if (g->ct_lo == g->ct_hi) {
        it.count = (uint32_t)n;
        it.deadline = start + g->ct_hi;
        int r = due_reserve(g) ? push(g, q, it) : 0;
        if (r == 1)
            due_push(g, (gw_due){it.deadline, q->tail - 1});
        in = r ? n : 0;
    } else {
        /* Deadline steps relative to the first one the attempt can have. */
        fl_time a = syn_offset(syn) > g->ct_lo ? syn_offset(syn) : g->ct_lo;
        int64_t base = (start + a + g->tick - 1) / g->tick; /* rounded up, as bucket_of */
        int nl = 0;
        for (uint64_t i = 0; i < n; i++) {
            int64_t b = (start + draw_timeout(g, syn_offset(syn)) + g->tick - 1) / g->tick - base;
            if (b < 0 || b >= g->dl_bins) /* cannot happen: dl_bins covers the range */
                b = b < 0 ? 0 : g->dl_bins - 1;
            if (!g->dl_count[b]++)
                g->dl_list[nl++] = (int32_t)b;
        }
        for (int i = nl - 1; i > 0; i--) { /* a random order of the deadline steps */
            int j = (int)fl_rng_below(&g->rng_ct, (uint64_t)i + 1);
            int32_t t = g->dl_list[i];
            g->dl_list[i] = g->dl_list[j];
            g->dl_list[j] = t;
        }
        for (int i = 0; i < nl; i++) {
            int64_t b = g->dl_list[i];
            it.count = g->dl_count[b];
            it.deadline = (base + b) * g->tick;
            g->dl_count[b] = 0;
            if (in < n && !g->nomem) {
                int r = due_reserve(g) ? push(g, q, it) : 0;
                if (r == 1)
                    due_push(g, (gw_due){it.deadline, q->tail - 1});
                if (r)
                    in += it.count;
            }
        }
    }
    g->hs_queued += in;
    return in;
}

/* How many of n attempts pass each gate now, in order: admission's tokens (a), the
 * connection limit (c), the accept queue's room (b). */
static void gates(const gateway *g, uint64_t n, uint64_t *a, uint64_t *c, uint64_t *b)
{
    uint64_t ok = g->admission ? (uint64_t)(g->adm_tokens / FL_SEC) : n;
    *a = ok < n ? ok : n;
    uint64_t held = g->connected + g->hs_queued;
    uint64_t room = held >= g->max_conn ? 0 : g->max_conn - held;
    *c = room < *a ? room : *a;
    room = g->hs_queued >= g->backlog ? 0 : g->backlog - g->hs_queued;
    *b = room < *c ? room : *c;
}

/* n clients of class cls send SYN number `syn` of an attempt now (their retry count is
 * level), of which a pass admission, c of those the connection limit and b of those find
 * room in the accept queue (gates). A refusal (the node is down: a reset; admission; the
 * connection limit) ends the attempt at once; a SYN dropped at a full accept queue is
 * retransmitted. */
static void attempt_gated(gateway *g, uint64_t n, int cls, int level, int syn, fl_time now,
                          uint64_t a, uint64_t c, uint64_t b)
{
    if (!n)
        return;
    if (syn == 0) {
        g->attempts += n;
        if (cls != CLS_NEW || level > 0)
            g->reconnect_attempts += n;
        fl_series_add(g->w->series, g->col_att, now - g->tick, (double)n);
    } else
        g->syn_retx += n;
    if (g->down) {
        g->refused_down += n;
        schedule(g, n, cls, level + 1, g->rtt);
        return;
    }
    if (g->admission) {
        if (a < n) {
            g->adm_rejected += n - a;
            schedule(g, n - a, cls, level + 1, g->rtt + g->adm_retry_after);
            n = a;
        }
        g->adm_tokens -= (int64_t)n * FL_SEC;
    }
    if (c < n) {
        g->refused_limit += n - c;
        schedule(g, n - c, cls, level + 1, g->rtt);
        n = c;
    }
    if (b < n) { /* dropped at the accept queue: the client hears nothing */
        g->overflows += n - b;
        fl_series_add(g->w->series, g->col_ovf, now - g->tick, (double)(n - b));
        episode(&g->ovf_episodes, &g->last_ovf, now);
        dropped(g, n - b, cls, level, syn);
        n = b;
    }
    if (!n)
        return;
    uint64_t in = enqueue(g, n, cls, level, syn, now);
    if (in < n) { /* out of memory: the run stops at the end of this event */
        g->overflows += n - in;
        dropped(g, n - in, cls, level, syn);
    }
}

static void attempt(gateway *g, uint64_t n, int cls, int level, int syn, fl_time now)
{
    uint64_t a, c, b;
    gates(g, n, &a, &c, &b);
    attempt_gated(g, n, cls, level, syn, now, a, c, b);
}

/* Splits `pass` of `total` over the parts (field `from` of each group, into field `to`) in
 * proportion, rounded at random so that each part's expectation is exact and the sum is
 * `pass`: which of a step's clients come first within the step is chance. */
static void share(gateway *g, uint64_t total, uint64_t pass, size_t from, size_t to)
{
    for (size_t i = 0; i < g->ngrp_max && g->grp[i].n; i++) {
        uint64_t *src = (uint64_t *)((char *)&g->grp[i] + from);
        uint64_t *dst = (uint64_t *)((char *)&g->grp[i] + to);
        uint64_t n = *src;
        double x = total ? (double)pass * (double)n / (double)total : 0;
        uint64_t k = (uint64_t)x;
        if (fl_rng_uniform(&g->rng_share) < x - (double)k)
            k++;
        uint64_t lo = pass > total - n ? pass - (total - n) : 0, hi = n < pass ? n : pass;
        k = k < lo ? lo : k > hi ? hi : k;
        *dst = k;
        pass -= k;
        total -= n;
    }
}

/* One step's attempts (the groups g->grp[0 .. ng), newcomers' first attempts last): when
 * all get in, group by group; when some are turned away, each group gets its share of
 * each gate, as clients arriving through the step in no order of class would. */
static void attempt_step(gateway *g, size_t ng, fl_time now)
{
    uint64_t total = 0, a, c, b;
    for (size_t i = 0; i < ng; i++)
        total += g->grp[i].n;
    if (ng < g->ngrp_max)
        g->grp[ng].n = 0; /* the end for share() */
    gates(g, total, &a, &c, &b);
    if (g->down || b == total) {
        for (size_t i = 0; i < ng; i++)
            attempt(g, g->grp[i].n, g->grp[i].cls, g->grp[i].level, g->grp[i].syn, now);
        return;
    }
    share(g, total, a, offsetof(struct gw_group, n), offsetof(struct gw_group, a));
    share(g, a, c, offsetof(struct gw_group, a), offsetof(struct gw_group, c));
    share(g, c, b, offsetof(struct gw_group, c), offsetof(struct gw_group, b));
    for (size_t i = 0; i < ng; i++) {
        struct gw_group *p = &g->grp[i];
        attempt_gated(g, p->n, p->cls, p->level, p->syn, now, p->a, p->c, p->b);
    }
}

/* ---- individual clients -------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Client i's next draw: a stream of its own for one decision. */
static fl_rng client_rng(gateway *g, uint32_t i)
{
    gw_client *c = &g->cl[i];
    fl_rng r;
    fl_rng_seed_raw(&r, mix64(g->cl_key ^ mix64(((uint64_t)i << 32) | c->draws++)));
    return r;
}

static void client_arm(gateway *g, uint32_t i, fl_time at)
{
    /* A failure fails the run (fl_sim_fail): it stops after this event. */
    fl_sim_timer_at(g->w->sim, at, g->h_client, i, &g->cl[i].timer);
}

static void client_disarm(gateway *g, gw_client *c)
{
    if (c->timer != FL_TIMER_NONE)
        fl_sim_timer_cancel(g->w->sim, c->timer);
    c->timer = FL_TIMER_NONE;
}

/* Client i failed (or lost its connection) now: it waits `after`, its reconnect delay for
 * retry `level` and its own share of the spread, then starts a new attempt. */
static void client_wait(gateway *g, uint32_t i, int cls, int level, fl_time after)
{
    gw_client *c = &g->cl[i];
    if (level >= g->levels)
        level = g->levels - 1;
    fl_time d = 0, s = 0;
    if (g->pol.backoff != FL_BACKOFF_NONE || g->spread) {
        fl_rng r = client_rng(g, i);
        d = fl_client_backoff(&g->pol, level, 0, &r);
        s = g->spread ? (fl_time)fl_rng_below(&r, (uint64_t)g->spread + 1) : 0;
    }
    c->state = CL_WAIT;
    c->cls = (uint8_t)cls;
    c->level = (uint8_t)level;
    c->syn = 0;
    c->epoch++;
    client_arm(g, i, fl_sim_now(g->w->sim) + after + d + s);
}

/* Client i's SYN was dropped now (a full accept queue): its kernel resends it after the
 * doubled timeout if that comes before the connect timeout and it has retries left;
 * otherwise the attempt fails at the connect timeout or when the kernel gives up. */
static void client_dropped(gateway *g, uint32_t i, fl_time now)
{
    gw_client *c = &g->cl[i];
    fl_time start = now - syn_offset(c->syn), ct = c->deadline - start;
    fl_time kernel = syn_offset(g->syn_retries + 1); /* ETIMEDOUT */
    if (c->syn < g->syn_retries && syn_offset(c->syn + 1) < ct) {
        c->syn++;
        c->state = CL_SYN;
        client_arm(g, i, start + syn_offset(c->syn));
        return;
    }
    g->unanswered++;
    client_wait(g, i, c->cls, c->level + 1, start + (ct < kernel ? ct : kernel) - now);
}

/* Client i sends SYN number c->syn of an attempt now: attempt() for one client. */
static void client_attempt(gateway *g, uint32_t i, fl_time now)
{
    gw_client *c = &g->cl[i];
    int cls = c->cls, level = c->level;
    if (c->syn == 0) {
        g->attempts++;
        if (cls != CLS_NEW || level > 0)
            g->reconnect_attempts++;
        fl_series_add(g->w->series, g->col_att, now, 1);
        fl_time ct = g->ct_hi;
        if (g->ct_lo != g->ct_hi) {
            fl_rng r = client_rng(g, i);
            ct = g->ct_lo + (fl_time)fl_rng_below(&r, (uint64_t)(g->ct_hi - g->ct_lo) + 1);
        }
        c->deadline = now + ct;
    } else
        g->syn_retx++;
    if (g->down) {
        g->refused_down++;
        client_wait(g, i, cls, level + 1, g->rtt);
        return;
    }
    if (g->admission) {
        if (g->adm_tokens < FL_SEC) {
            g->adm_rejected++;
            client_wait(g, i, cls, level + 1, g->rtt + g->adm_retry_after);
            return;
        }
        g->adm_tokens -= FL_SEC;
    }
    if (g->connected + g->hs_queued >= g->max_conn) {
        g->refused_limit++;
        client_wait(g, i, cls, level + 1, g->rtt);
        return;
    }
    if (g->hs_queued >= g->backlog) { /* dropped at the accept queue: it hears nothing */
        g->overflows++;
        fl_series_add(g->w->series, g->col_ovf, now, 1);
        episode(&g->ovf_episodes, &g->last_ovf, now);
        client_dropped(g, i, now);
        return;
    }
    gw_item it = {.arrive = now,
                  .count = 1,
                  .req = i,
                  .epoch = c->epoch,
                  .type = IT_HS,
                  .cls = (uint8_t)cls,
                  .level = (uint8_t)level,
                  .syn = c->syn};
    note_queue(g, now);
    if (!push(g, hs_queue(g), it)) {
        fl_sim_fail(g->w->sim, FL_NOMEM);
        return;
    }
    g->hs_queued++;
    c->state = CL_QUEUED;
    client_arm(g, i, c->deadline);
}

/* Client i's handshake completed now: it is connected, and sends its first heartbeat after
 * its own uniform draw in (0, heartbeat_interval] (clients are not phase-locked), then one
 * every heartbeat_interval. */
static void client_connected(gateway *g, uint32_t i, fl_time now)
{
    gw_client *c = &g->cl[i];
    client_disarm(g, c);
    c->state = CL_CONNECTED;
    c->cls = g->resumption ? CLS_RES : CLS_RET;
    c->level = 0;
    c->syn = 0;
    c->epoch++;
    fl_rng r = client_rng(g, i);
    client_arm(g, i, now + 1 + (fl_time)fl_rng_below(&r, (uint64_t)g->hb_interval));
}

/* Client i's heartbeat queued under `epoch` went unanswered for heartbeat_timeout: if that
 * connection is still up, the client drops it and reconnects. True when it did. */
static bool client_missed(gateway *g, uint32_t i, uint32_t epoch)
{
    gw_client *c = &g->cl[i];
    if (c->state != CL_CONNECTED || c->epoch != epoch)
        return false;
    client_disarm(g, c);
    client_wait(g, i, g->resumption ? CLS_RES : CLS_RET, 1, 0);
    return true;
}

/* Client i's one timer. */
static void on_client(fl_sim *sim, void *ctx, uint64_t arg)
{
    gateway *g = ctx;
    uint32_t i = (uint32_t)arg;
    gw_client *c = &g->cl[i];
    fl_time now = fl_sim_now(sim);
    c->timer = FL_TIMER_NONE;
    switch (c->state) {
    case CL_IDLE: /* it joins: a newcomer's first attempt */
        if (g->joined_order)
            g->joined_order[g->wanted] = i;
        g->joined++;
        g->wanted++;
        c->state = CL_WAIT;
        client_attempt(g, i, now);
        break;
    case CL_WAIT:
    case CL_SYN:
        client_attempt(g, i, now);
        break;
    case CL_QUEUED: /* its connect timeout: it gives up on the queued handshake */
        g->hs_timed_out++;
        client_wait(g, i, c->cls, c->level + 1, 0);
        break;
    default: { /* connected: a heartbeat */
        gw_item it = {.arrive = now, .count = 1, .req = i, .epoch = c->epoch, .type = IT_HB};
        if (!push(g, &g->q[0], it)) {
            fl_sim_fail(sim, FL_NOMEM);
            return;
        }
        g->hb_sent++;
        client_arm(g, i, now + g->hb_interval);
    }
    }
}

/* ---- the CPU ------------------------------------------------------------------------- */

static fl_time unit_cost(const gateway *g, const gw_item *it)
{
    switch (it->type) {
    case IT_HS:
        return it->cls == CLS_RES ? g->res_time : g->hs_time;
    case IT_HB:
        return g->hb_time;
    default:
        return g->msg_time;
    }
}

/* k units of batch `it` (a copy: the queue may have moved) are done now. */
static void finished(gateway *g, const gw_item *it, uint64_t k, fl_time now)
{
    double work = (double)k * (double)unit_cost(g, it) * g->slow;
    if (it->type == IT_HS) {
        note_queue(g, now);
        g->hs_queued -= k;
        g->stays += (double)k * (double)(now - it->arrive);
        g->work_hs += work;
        gw_client *cl = g->cl ? &g->cl[it->req] : NULL;
        if (it->stale || (cl && (cl->state != CL_QUEUED || cl->epoch != it->epoch))) {
            g->hs_wasted += k;
            g->work_wasted += work;
            return;
        }
        if (it->cls == CLS_RES)
            g->hs_resumed += k;
        else
            g->hs_full += k;
        fl_series_add(g->w->series, g->col_hs, now - g->tick, (double)k);
        g->connected += k;
        note_connected(g);
        /* Each new connection keeps a phase of its own (its first heartbeat within
         * (0, heartbeat_interval]): successive ones a golden-ratio stride apart, so that any
         * run of them is spread evenly over the interval, with no draw (a client's phase
         * is not what varies from seed to seed). */
        for (uint64_t j = 0; j < k && g->hb_ring; j++) {
            g->hb_ring[g->hb_next]++;
            g->hb_next = (g->hb_next + g->hb_stride) % g->hb_slots;
        }
        if (it->cls == CLS_NEW) {
            g->admitted += k;
            if (g->admitted == g->join_total && !g->all_admitted_at)
                g->all_admitted_at = now;
        }
        if (cl)
            client_connected(g, it->req, now);
    } else if (it->type == IT_HB) {
        g->work_hb += work;
        g->hb_served += k;
        if (it->stale) {
            g->hb_wasted += k;
            g->work_wasted += work;
        }
    } else {
        g->work_msg += work;
        g->msg_served++;
        fl_world_reply(g->w, it->req, FL_OUT_OK); /* may call back into on_request */
    }
}

/* Serves queue q with up to `cap` of CPU work; returns what is left of it. */
static fl_time serve(gateway *g, gw_queue *q, fl_time cap, fl_time now)
{
    while (cap > 0 && q->head < q->tail) {
        gw_item it = *item_at(q, q->head);
        fl_time unit = unit_cost(g, &it);
        uint64_t left = it.count - it.served;
        uint64_t k = (uint64_t)((cap + q->progress) / unit);
        if (k >= left) {
            cap -= (fl_time)left * unit - q->progress;
            q->progress = 0;
            q->head++;
            finished(g, &it, left, now);
        } else {
            q->progress = cap + q->progress - (fl_time)k * unit;
            cap = 0;
            item_at(q, q->head)->served += (uint32_t)k;
            if (k)
                finished(g, &it, k, now);
        }
    }
    return cap;
}

/* Clients give up on queued handshakes at their connect timeout, and on heartbeats older
 * than heartbeat_timeout (heartbeats are all in q[0], in arrival order). */
static void scan(gateway *g, fl_time now)
{
    gw_queue *q = hs_queue(g);
    while (g->ndue && g->due[0].at <= now) {
        gw_due d = due_pop(g);
        if (d.idx < q->head) /* done already */
            continue;
        gw_item *it = item_at(q, d.idx);
        if (it->stale)
            continue;
        it->stale = 1;
        uint64_t u = it->count - it->served;
        g->hs_timed_out += u;
        schedule(g, u, it->cls, it->level + 1, 0);
    }
    q = &g->q[0];
    uint64_t missed = 0, lost = 0, i;
    for (i = q->cur_hb > q->head ? q->cur_hb : q->head; i < q->tail; i++) {
        gw_item *it = item_at(q, i);
        if (it->type != IT_HB || it->stale)
            continue;
        if (it->arrive + g->hb_timeout > now)
            break;
        it->stale = 1;
        uint64_t u = it->count - it->served;
        missed += u;
        if (g->cl && client_missed(g, it->req, it->epoch))
            lost++;
        else if (!g->cl) { /* u connections of that phase drop (fewer if some are gone) */
            uint32_t *r = &g->hb_ring[it->req];
            u = u < *r ? u : *r;
            *r -= (uint32_t)u;
            lost += u;
        }
    }
    q->cur_hb = i;
    if (!missed)
        return;
    g->hb_missed += missed;
    if (!lost) { /* only heartbeats of connections already gone */
        episode(&g->miss_episodes, &g->last_miss, now);
        return;
    }
    uint64_t m = lost;
    g->connected -= m;
    g->disc_hb += m;
    if (!g->wave_n)
        fl_world_event(g->w, now, g->c->name, "disconnect-wave",
                       "disconnect wave: heartbeats time out");
    g->wave_n += m;
    g->wave_last = now;
    note_connected(g);
    fl_series_add(g->w->series, g->col_disc, now - g->tick, (double)m);
    episode(&g->miss_episodes, &g->last_miss, now);
    if (!g->cl) /* individual clients were rescheduled one by one (client_missed) */
        schedule(g, m, g->resumption ? CLS_RES : CLS_RET, 1, 0);
}

static void on_tick(fl_sim *sim, void *ctx, uint64_t arg)
{
    gateway *g = ctx;
    fl_world *w = g->w;
    fl_time now = fl_sim_now(sim);
    int64_t k = (int64_t)arg;
    g->next_tick = k + 1;
    if (g->wave_n && now - g->wave_last >= FL_SEC) { /* a quiet second ends the wave */
        fl_world_event(w, now, g->c->name, "disconnect-wave-end",
                       "disconnect wave ends: %llu clients dropped", (unsigned long long)g->wave_n);
        g->wave_n = 0;
    }
    /* Heartbeats of this step: the connections whose phase it is (individual clients send
     * their own). The batch carries its phase (req), so that a miss drops connections of
     * that phase, and the others keep their turn. */
    if (g->connected && !g->cl) {
        uint32_t slot = (uint32_t)(k % g->hb_slots), n = g->hb_ring[slot];
        if (n) {
            gw_item it = {.arrive = now, .count = n, .req = slot, .type = IT_HB};
            push(g, &g->q[0], it);
        }
    }
    if (g->admission) {
        g->adm_tokens += g->adm_per_tick;
        if (g->adm_tokens > g->adm_cap)
            g->adm_tokens = g->adm_cap;
    }
    /* Clients whose wait ends in this step, then newcomers (individual clients: their own
     * timers). */
    size_t ng = 0;
    for (int cls = 0; cls < NCLS && !g->cl; cls++)
        for (int l = 0; l < g->levels; l++)
            for (int r = 0; r < g->syns; r++) {
                uint32_t *p = cell(g, k, cls, l, r), n = *p;
                *p = 0;
                if (n)
                    g->grp[ng++] = (struct gw_group){.n = n,
                                                     .cls = (uint8_t)cls,
                                                     .level = (uint8_t)l,
                                                     .syn = (uint8_t)r};
            }
    for (int j = 0; j < g->njoins && !g->cl; j++) {
        join_wave *jw = &g->joins[j];
        int64_t el = k - jw->at_tick;
        if (el < 0 || jw->done == jw->count)
            continue;
        uint64_t due = el >= jw->within_ticks
                           ? jw->count
                           : jw->count * (uint64_t)el / (uint64_t)jw->within_ticks;
        uint64_t n = due - jw->done;
        jw->done = due;
        g->joined += n;
        g->wanted += n;
        if (n)
            g->grp[ng++] = (struct gw_group){.n = n, .cls = CLS_NEW};
    }
    if (ng)
        attempt_step(g, ng, now);
    /* The CPU: this step's capacity, less any part of it the node spent paused. */
    fl_time cap = 0;
    if (!g->down && now > g->c->host.paused_until) {
        cap = g->cap_tick;
        if (g->c->host.paused_until > now - g->tick)
            cap =
                (fl_time)((double)cap * (double)(now - g->c->host.paused_until) / (double)g->tick);
    }
    fl_time left = serve(g, &g->q[0], cap, now);
    if (g->priority)
        left = serve(g, &g->q[1], left, now);
    double used = (double)(cap - left);
    g->busy_ns += used * g->slow;
    fl_series_add(w->series, g->col_cpu, now - g->tick,
                  used * g->slow / ((double)g->cpus * (double)g->tick));
    scan(g, now);
    fl_series_add(w->series, g->col_conn, now - g->tick, (double)g->connected);
    fl_series_add(w->series, g->col_backlog, now - g->tick, (double)g->hs_queued);
    /* Clients are counts, so one step's events look alike whatever happened in it: the
     * counts it ended with go into the event hash. */
    fl_sim_hash_mix(sim, g->connected);
    fl_sim_hash_mix(sim, g->hs_queued);
    fl_sim_hash_mix(sim, g->attempts);
    if (now + g->tick <= w->duration)
        fl_sim_at(sim, now + g->tick, g->h_tick, (uint64_t)k + 1);
}

/* ---- the ops ------------------------------------------------------------------------- */

static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    gateway *g = c->state;
    if (g->down) {
        g->msg_refused++;
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    /* The message comes from a random client: one without a connection cannot send it. */
    bool off;
    if (g->cl) { /* a random one of the clients that have joined */
        uint64_t k = g->wanted ? fl_rng_below(&g->rng_msg, g->wanted) : 0;
        off = !g->wanted ||
              g->cl[g->joined_order ? g->joined_order[k] : k].state != CL_CONNECTED;
    } else
        off = !g->wanted || fl_rng_below(&g->rng_msg, g->wanted) >= g->connected;
    if (off) {
        g->msg_not_connected++;
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    gw_item it = {.arrive = fl_sim_now(w->sim), .count = 1, .req = id, .type = IT_MSG};
    if (!push(g, &g->q[0], it))
        fl_world_reply(w, id, FL_OUT_REJECTED);
}

static void crash(gateway *g, fl_time now)
{
    fl_world *w = g->w;
    g->down = true;
    if (!g->crashed) {
        g->crashed = true;
        g->crash_level = g->connected;
        g->crash_at = now;
    }
    /* Sessions die with the node: nobody waiting can resume any more. */
    for (int r = 0; r < g->syns; r++)
        for (int64_t b = 0; b < (r ? g->snb : g->nb); b++)
            for (int l = 0; l < g->levels; l++) {
                *cell(g, b, CLS_RET, l, r) += *cell(g, b, CLS_RES, l, r);
                *cell(g, b, CLS_RES, l, r) = 0;
            }
    note_queue(g, now);
    for (int qi = 0; qi < 2; qi++) {
        gw_queue *q = &g->q[qi];
        while (q->head < q->tail) {
            gw_item it = *item_at(q, q->head++);
            uint64_t u = it.count - it.served;
            if (it.type == IT_MSG)
                fl_req_server_done(w, it.req); /* no reply: the client times out */
            else if (it.type == IT_HS) {
                g->hs_queued -= u;
                g->stays += (double)u * (double)(now - it.arrive);
                if (!it.stale && !g->cl) /* reset: the client hears at once, and tries again */
                    schedule(g, u, it.cls == CLS_NEW ? CLS_NEW : CLS_RET, it.level + 1, 0);
            }
        }
        q->progress = 0;
    }
    g->ndue = 0; /* every queued handshake is gone */
    for (uint32_t i = 0; i < (g->cl ? g->ncl : 0); i++) {
        gw_client *cl = &g->cl[i];
        switch (cl->state) {
        case CL_CONNECTED: /* dropped: it reconnects after its own wait */
            client_disarm(g, cl);
            client_wait(g, i, CLS_RET, 1, 0);
            break;
        case CL_QUEUED: /* reset: it hears at once, and tries again */
            client_disarm(g, cl);
            client_wait(g, i, cl->cls == CLS_NEW ? CLS_NEW : CLS_RET, cl->level + 1, 0);
            break;
        default: /* waiting: its session died with the node */
            if (cl->cls == CLS_RES)
                cl->cls = CLS_RET;
        }
    }
    g->disc_crash += g->connected;
    fl_series_add(w->series, g->col_disc, now, (double)g->connected);
    if (!g->cl)
        schedule(g, g->connected, CLS_RET, 1, 0);
    g->connected = 0;
    if (g->hb_ring)
        memset(g->hb_ring, 0, (size_t)g->hb_slots * sizeof *g->hb_ring);
    note_connected(g);
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    gateway *g = c->state;
    fl_time now = fl_sim_now(w->sim);
    switch (f->kind) {
    case FL_FAULT_SLOW:
        g->slow = fl_world_slowdown(w, c->index, -1);
        g->cap_tick = (fl_time)((double)g->cpus * (double)g->tick / g->slow);
        break;
    case FL_FAULT_CRASH:
        if (begin)
            crash(g, now);
        else
            g->down = false;
        break;
    default: /* pause: host.paused_until is set by the timeline; link faults: the network's */
        break;
    }
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    gateway *g = c->state;
    fl_time end = fl_sim_now(w->sim);
    double T = (double)end;
    cJSON *o = cJSON_AddObjectToObject(out, "connected");
    cJSON_AddNumberToObject(o, "now", (double)g->connected);
    cJSON_AddNumberToObject(o, "max", (double)g->conn_max);
    cJSON_AddNumberToObject(o, "min", (double)g->conn_min);
    cJSON_AddNumberToObject(o, "initial", (double)g->initial);
    cJSON_AddNumberToObject(out, "clients", (double)g->wanted);

    o = cJSON_AddObjectToObject(out, "newcomers");
    cJSON_AddNumberToObject(o, "joining", (double)g->join_total);
    cJSON_AddNumberToObject(o, "joined", (double)g->joined);
    cJSON_AddNumberToObject(o, "admitted", (double)g->admitted);
    cJSON_AddBoolToObject(o, "all_admitted", g->join_total > 0 && g->all_admitted_at > 0);
    if (g->join_total > 0 && g->all_admitted_at > 0)
        cJSON_AddNumberToObject(o, "all_admitted_s",
                                fl_time_to_s(g->all_admitted_at - g->join_first_tick * g->tick));
    else
        cJSON_AddNullToObject(o, "all_admitted_s");

    o = cJSON_AddObjectToObject(out, "handshakes");
    cJSON_AddNumberToObject(o, "completed", (double)(g->hs_full + g->hs_resumed));
    cJSON_AddNumberToObject(o, "full", (double)g->hs_full);
    cJSON_AddNumberToObject(o, "resumed", (double)g->hs_resumed);
    cJSON_AddNumberToObject(o, "wasted", (double)g->hs_wasted);
    cJSON_AddNumberToObject(o, "timed_out", (double)g->hs_timed_out);
    cJSON_AddNumberToObject(o, "unanswered", (double)g->unanswered);
    cJSON_AddNumberToObject(o, "failed",
                            (double)(g->hs_timed_out + g->unanswered + g->adm_rejected +
                                     g->refused_down + g->refused_limit));
    cJSON_AddNumberToObject(o, "per_s", T > 0 ? (double)(g->hs_full + g->hs_resumed) * 1e9 / T : 0);

    cJSON_AddNumberToObject(out, "attempts", (double)g->attempts);
    cJSON_AddNumberToObject(out, "reconnect_attempts", (double)g->reconnect_attempts);
    cJSON_AddNumberToObject(out, "syn_retransmissions", (double)g->syn_retx);
    cJSON_AddNumberToObject(out, "accept_queue_overflows", (double)g->overflows);
    cJSON_AddNumberToObject(out, "overflow_episodes", (double)g->ovf_episodes);
    cJSON_AddNumberToObject(out, "admission_rejected", (double)g->adm_rejected);
    o = cJSON_AddObjectToObject(out, "refused");
    cJSON_AddNumberToObject(o, "down", (double)g->refused_down);
    cJSON_AddNumberToObject(o, "max_connections", (double)g->refused_limit);

    o = cJSON_AddObjectToObject(out, "heartbeats");
    cJSON_AddNumberToObject(o, "answered", (double)(g->hb_served - g->hb_wasted));
    cJSON_AddNumberToObject(o, "missed", (double)g->hb_missed);
    cJSON_AddNumberToObject(o, "miss_episodes", (double)g->miss_episodes);
    if (g->cl)
        cJSON_AddNumberToObject(o, "sent", (double)g->hb_sent);
    cJSON_AddNumberToObject(out, "heartbeat_misses", (double)g->hb_missed);
    o = cJSON_AddObjectToObject(out, "disconnects");
    cJSON_AddNumberToObject(o, "total", (double)(g->disc_hb + g->disc_crash));
    cJSON_AddNumberToObject(o, "heartbeat", (double)g->disc_hb);
    cJSON_AddNumberToObject(o, "crash", (double)g->disc_crash);

    if (g->crashed) {
        o = cJSON_AddObjectToObject(out, "recovery");
        cJSON_AddNumberToObject(o, "connected_before", (double)g->crash_level);
        cJSON_AddBoolToObject(o, "restored", g->restored_at > 0);
        if (g->restored_at > 0)
            cJSON_AddNumberToObject(o, "restored_s", fl_time_to_s(g->restored_at - g->crash_at));
        else
            cJSON_AddNullToObject(o, "restored_s");
    }

    o = cJSON_AddObjectToObject(out, "messages");
    cJSON_AddNumberToObject(o, "served", (double)g->msg_served);
    cJSON_AddNumberToObject(o, "sender_not_connected", (double)g->msg_not_connected);
    cJSON_AddNumberToObject(o, "refused_down", (double)g->msg_refused);

    double work = g->work_hs + g->work_hb + g->work_msg;
    cJSON_AddNumberToObject(out, "utilisation", T > 0 ? g->busy_ns / ((double)g->cpus * T) : 0);
    o = cJSON_AddObjectToObject(out, "cpu_s");
    cJSON_AddNumberToObject(o, "handshakes", g->work_hs / 1e9);
    cJSON_AddNumberToObject(o, "heartbeats", g->work_hb / 1e9);
    cJSON_AddNumberToObject(o, "messages", g->work_msg / 1e9);
    cJSON_AddNumberToObject(out, "work_s", work / 1e9);
    cJSON_AddNumberToObject(out, "wasted_work_s", g->work_wasted / 1e9);
    cJSON_AddNumberToObject(out, "wasted_fraction", work > 0 ? g->work_wasted / work : 0);
    if (g->nomem)
        cJSON_AddBoolToObject(out, "out_of_memory", true);
    if (g->cl)
        cJSON_AddNumberToObject(out, "client_record_bytes", (double)sizeof(gw_client));

    /* Little's law over the accept queue, in its exact finite-window form: the area under
     * the number waiting equals the sum of every attempt's stay (those still waiting
     * counted up to the end). */
    note_queue(g, end);
    double stays = g->stays;
    gw_queue *q = hs_queue(g);
    for (uint64_t i = q->head; i < q->tail; i++) {
        const gw_item *it = item_at(q, i);
        if (it->type == IT_HS)
            stays += (double)(it->count - it->served) * (double)(end - it->arrive);
    }
    o = cJSON_AddObjectToObject(out, "littles_law");
    double L = T > 0 ? g->area / T : 0, lw = T > 0 ? stays / T : 0;
    cJSON_AddNumberToObject(o, "L", L);
    cJSON_AddNumberToObject(o, "lambda_W", lw);
    cJSON_AddNumberToObject(o, "rel_diff", L > 0 ? fabs(L - lw) / L : 0);
    cJSON_AddNumberToObject(o, "identity_rel_diff",
                            g->area > 0 ? fabs(g->area - stays) / g->area : (stays > 0 ? 1 : 0));
    cJSON_AddNumberToObject(out, "in_system_mean", L);
}

static void destroy(fl_component *c)
{
    gateway *g = c->state;
    if (!g)
        return;
    fl_free(g->q[0].v);
    fl_free(g->q[1].v);
    fl_free(g->cal);
    fl_free(g->scal);
    fl_free(g->due);
    fl_free(g->dl_count);
    fl_free(g->dl_list);
    fl_free(g->joins);
    fl_free(g->cl);
    fl_free(g->joined_order);
    fl_free(g->hb_ring);
    fl_free(g->grp);
    fl_free(g);
}

/* ---- configuration ------------------------------------------------------------------- */

/* "immediate" | "constant(5s)" | "exponential(1s, max=60s)" into pol. */
static fl_status read_delay(const cJSON *rc, const char *path, fl_client_policy *pol, fl_error *e)
{
    const char *s;
    fl_status st = fl_cfg_string(rc, path, "delay", FL_CFG_OPTIONAL, "immediate", &s, e);
    if (st)
        return st;
    char p[300], why[160], got[64];
    fl_cfg_join(p, sizeof p, path, "delay");
    const char *usage = "expected \"immediate\", \"constant(5s)\" or \"exponential(1s, max=60s)\"";
    if (strcmp(s, "immediate") == 0) {
        pol->backoff = FL_BACKOFF_NONE;
        return FL_OK;
    }
    int kind;
    if (fl_parse_backoff(s, &kind, &pol->base, &pol->cap, why, sizeof why) != 0 ||
        (kind == 2 && !pol->cap && snprintf(why, sizeof why, "exponential(...) needs max=") > 0)) {
        fl_cfg_describe(cJSON_GetObjectItemCaseSensitive(rc, "delay"), got, sizeof got);
        return fl_error_set(e, FL_INVALID, p, "%s, got %s%s%s", usage, got, why[0] ? ": " : "",
                            why);
    }
    pol->backoff = kind == 1 ? FL_BACKOFF_CONSTANT : FL_BACKOFF_EXPONENTIAL;
    if (kind == 1)
        pol->cap = pol->base;
    if (pol->base <= 0 || pol->cap < pol->base || pol->cap > FL_HOUR)
        return fl_error_set(e, FL_INVALID, p, "expected 0 < base <= max <= 1h, got \"%s\"", s);
    return FL_OK;
}

static fl_status read_join(gateway *g, const cJSON *jw, const char *path, int i, fl_error *e)
{
    long count;
    fl_time within, at;
    fl_status st;
    if ((st = fl_cfg_object(jw, path, e)) || (st = fl_cfg_known_keys(jw, path, join_keys, e)) ||
        (st = fl_cfg_int(jw, path, "count", FL_CFG_REQUIRED, 0, 0, GW_MAX_CLIENTS, &count, e)) ||
        (st = fl_cfg_duration(jw, path, "within", FL_CFG_OPTIONAL, 0, 0, 2400 * FL_HOUR, &within,
                              e)) ||
        (st = fl_cfg_duration(jw, path, "at", FL_CFG_OPTIONAL, 0, 0, FL_TIME_MAX, &at, e)))
        return st;
    join_wave *w = &g->joins[i];
    w->count = (uint64_t)count;
    w->at_tick = at / g->tick;
    w->within_ticks = (within + g->tick - 1) / g->tick;
    if (w->within_ticks < 1)
        w->within_ticks = 1;
    g->join_total += w->count;
    if (g->join_total > GW_MAX_CLIENTS || g->initial + g->join_total > GW_MAX_CLIENTS)
        return fl_error_set(e, FL_INVALID, path,
                            "expected at most 100000000 clients in all (connected and joining)");
    if (w->count && (g->join_first_tick < 0 || w->at_tick < g->join_first_tick))
        g->join_first_tick = w->at_tick;
    if (w->count) /* the campaign: the incident's trigger */
        fl_world_window(g->w, at, at + w->within_ticks * g->tick, g->c->name, "join-wave",
                        "trigger: %llu users join within %g s", (unsigned long long)w->count,
                        fl_time_to_s(w->within_ticks * g->tick));
    return FL_OK;
}

static fl_status read_clients(gateway *g, const cJSON *cfg, const char *path, fl_error *e)
{
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(cfg, "clients");
    char p[128], jp[160], ip[180];
    fl_cfg_join(p, sizeof p, path, "clients");
    g->join_first_tick = -1;
    g->rtt = 50 * FL_MS;
    if (!cl)
        return FL_OK;
    long connected;
    int model;
    fl_status st;
    if ((st = fl_cfg_object(cl, p, e)) || (st = fl_cfg_known_keys(cl, p, client_keys, e)) ||
        (st = fl_kind_int(g->c, "clients.connected", cl, p, FL_CFG_OPTIONAL, 0, &connected, e)) ||
        (st =
             fl_kind_duration(g->c, "clients.rtt", cl, p, FL_CFG_OPTIONAL, 50 * FL_MS, &g->rtt, e)) ||
        (st = fl_cfg_enum(cl, p, "model", FL_CFG_OPTIONAL, 0, client_models, &model, e)))
        return st;
    g->individual = model == 1;
    g->initial = (uint64_t)connected;
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(cl, "join");
    if (!j)
        return FL_OK;
    fl_cfg_join(jp, sizeof jp, p, "join");
    if (cJSON_IsArray(j)) {
        int n = cJSON_GetArraySize(j);
        if (n > 1000)
            return fl_error_set(e, FL_INVALID, jp, "expected at most 1000 join waves");
        if (!(g->joins = fl_calloc((size_t)n + 1, sizeof *g->joins)))
            return FL_NOMEM;
        int i = 0;
        for (const cJSON *x = j->child; x; x = x->next, i++) {
            g->njoins = i + 1;
            if ((st = read_join(g, x, fl_cfg_index(ip, sizeof ip, jp, i), i, e)))
                return st;
        }
        return FL_OK;
    }
    if (!cJSON_IsObject(j)) {
        char got[64];
        fl_cfg_describe(j, got, sizeof got);
        return fl_error_set(e, FL_INVALID, jp,
                            "expected {\"count\": 200000, \"within\": \"90s\", \"at\": \"10s\"} "
                            "or an array of them, got %s",
                            got);
    }
    if (!(g->joins = fl_calloc(1, sizeof *g->joins)))
        return FL_NOMEM;
    g->njoins = 1;
    return read_join(g, j, jp, 0, e);
}

/* "connect_timeout": "10s" (every attempt alike) or "uniform(5s, 15s)" (each attempt its
 * own, uniform in the range). */
static fl_status read_timeout(gateway *g, const cJSON *rc, const char *path, fl_error *e)
{
    const cJSON *v = rc ? cJSON_GetObjectItemCaseSensitive(rc, "connect_timeout") : NULL;
    if (!v || !cJSON_IsString(v) || strncmp(v->valuestring, "uniform(", 8) != 0) {
        fl_status st = fl_kind_duration(g->c, "reconnect.connect_timeout", rc, path,
                                        FL_CFG_OPTIONAL, 10 * FL_SEC, &g->ct_hi, e);
        g->ct_lo = g->ct_hi;
        return st;
    }
    char p[300], a[64], b[64], why[160] = "", got[64];
    fl_cfg_join(p, sizeof p, path, "connect_timeout");
    const char *s = v->valuestring + 8, *comma = strchr(s, ','), *close = strchr(s, ')');
    bool ok = comma && close && comma < close && close[1] == '\0' &&
              (size_t)(comma - s) < sizeof a && (size_t)(close - comma - 1) < sizeof b;
    if (!comma || (close && comma > close))
        snprintf(why, sizeof why, "uniform(...) takes two durations, low and high");
    else if (!close || close[1] != '\0')
        snprintf(why, sizeof why, "%s", close ? "text after the ')'" : "no ')' at the end");
    if (ok) {
        snprintf(a, sizeof a, "%.*s", (int)(comma - s), s);
        snprintf(b, sizeof b, "%.*s", (int)(close - comma - 1), comma + 1);
        ok = fl_parse_duration(a, &g->ct_lo, why, sizeof why) == 0 &&
             fl_parse_duration(b, &g->ct_hi, why, sizeof why) == 0;
    }
    fl_cfg_describe(v, got, sizeof got);
    if (!ok)
        return fl_error_set(e, FL_INVALID, p,
                            "expected a duration such as \"10s\" or \"uniform(5s, 15s)\", "
                            "got %s%s%s",
                            got, why[0] ? ": " : "", why);
    if (g->ct_lo < 1 || g->ct_hi < g->ct_lo || g->ct_hi > FL_HOUR)
        return fl_error_set(e, FL_INVALID, p,
                            "expected 0 < low <= high <= 1h in uniform(low, high), got %s", got);
    return FL_OK;
}

static fl_status read_reconnect(gateway *g, const cJSON *cfg, const char *path, fl_error *e)
{
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(cfg, "reconnect");
    char p[128];
    fl_cfg_join(p, sizeof p, path, "reconnect");
    memset(&g->pol, 0, sizeof g->pol);
    g->pol.attempts = 1;
    g->connect_timeout = 10 * FL_SEC;
    fl_status st;
    int jit = 0;
    long retries = 6;
    g->ct_lo = g->ct_hi = 10 * FL_SEC;
    if (rc &&
        ((st = fl_cfg_object(rc, p, e)) || (st = fl_cfg_known_keys(rc, p, reconnect_keys, e)) ||
         (st = read_delay(rc, p, &g->pol, e)) ||
         (st = fl_cfg_enum(rc, p, "jitter", FL_CFG_OPTIONAL, 0, jitters, &jit, e)) ||
         (st = read_timeout(g, rc, p, e)) ||
         (st = fl_kind_duration(g->c, "reconnect.spread", rc, p, FL_CFG_OPTIONAL, 0, &g->spread,
                                e)) ||
         (st = fl_kind_int(g->c, "reconnect.syn_retries", rc, p, FL_CFG_OPTIONAL, 6, &retries, e))))
        return st;
    g->connect_timeout = g->ct_hi; /* the longest */
    g->syn_retries = (int)retries;
    g->syns = g->syn_retries + 1;
    g->pol.jitter = jit == 1 ? FL_JITTER_FULL : jit == 2 ? FL_JITTER_EQUAL : FL_JITTER_NONE;
    /* Retry counts past the one whose wait reaches the cap all wait alike. */
    int r = 1;
    if (g->pol.backoff == FL_BACKOFF_EXPONENTIAL)
        for (fl_time b = g->pol.base; b < g->pol.cap && r < 62; b *= 2)
            r++;
    g->levels = r + 1;
    return FL_OK;
}

static fl_status read_admission(gateway *g, const cJSON *cfg, const char *path, fl_error *e)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(cfg, "admission");
    if (!a)
        return FL_OK;
    char p[128];
    fl_cfg_join(p, sizeof p, path, "admission");
    fl_status st;
    long burst;
    if ((st = fl_cfg_object(a, p, e)) || (st = fl_cfg_known_keys(a, p, admission_keys, e)) ||
        (st = fl_kind_rate(g->c, "admission.rate", a, p, FL_CFG_REQUIRED, 0, &g->adm_rate, e)))
        return st;
    long def = (long)ceil(g->adm_rate);
    if ((st = fl_kind_int(g->c, "admission.burst", a, p, FL_CFG_OPTIONAL, def, &burst, e)) ||
        (st = fl_kind_duration(g->c, "admission.retry_after", a, p, FL_CFG_OPTIONAL, FL_SEC,
                               &g->adm_retry_after, e)))
        return st;
    g->admission = true;
    g->adm_cap = (int64_t)burst * FL_SEC;
    g->adm_tokens = g->adm_cap;
    g->adm_per_tick = (int64_t)llround(g->adm_rate * (double)g->tick);
    return FL_OK;
}

/* The tick, the streams and the series, for either model. */
static fl_status configure_common(gateway *g)
{
    fl_world *w = g->w;
    fl_component *c = g->c;
    fl_status st;
    g->conn_min = g->conn_max = g->connected = g->initial;
    g->wanted = g->initial;
    fl_world_stream(w, &g->rng_backoff, c->name, "reconnect");
    fl_world_stream(w, &g->rng_msg, c->name, "sender");
    fl_world_stream(w, &g->rng_spread, c->name, "reconnect-spread");
    fl_world_stream(w, &g->rng_ct, c->name, "connect-timeout");
    g->h_tick = fl_sim_handler(w->sim, on_tick, g);
    if (g->h_tick < 0)
        return FL_NOMEM;
    char col[200];
    static const struct {
        const char *suffix;
        fl_series_kind kind;
    } cols[] = {{"connected", FL_SERIES_LAST},
                {"handshakes_per_s", FL_SERIES_RATE},
                {"cpu", FL_SERIES_MEAN},
                {"disconnects_per_s", FL_SERIES_RATE},
                {"attempts_per_s", FL_SERIES_RATE},
                {"overflows_per_s", FL_SERIES_RATE},
                {"backlog_max", FL_SERIES_MAX}};
    int *dst[] = {&g->col_conn, &g->col_hs,  &g->col_cpu,    &g->col_disc,
                  &g->col_att,  &g->col_ovf, &g->col_backlog};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        snprintf(col, sizeof col, "%s.%s", c->name, cols[i].suffix);
        if ((*dst[i] = fl_series_column(w->series, col, cols[i].kind)) < 0)
            return FL_NOMEM;
    }
    if (g->tick <= w->duration && (st = fl_sim_at(w->sim, g->tick, g->h_tick, 1)))
        return st;
    return FL_OK;
}

/* Individual clients: one record each, allocated once; the i-th of the n clients connected
 * at time 0 sends its first heartbeat at its own uniform draw within the i-th n-th of
 * (0, heartbeat_interval] (uniform phases, evenly spread in the large; and while those phases
 * last the records are visited in index order, not at random: fewer cache misses); each
 * newcomer of a join wave joins at its own time, the m-th of n at a uniform draw within
 * the m-th n-th of the wave (so they join in index order, evenly in the large, and
 * unsynchronised). */
static fl_status configure_individual(gateway *g, const cJSON *cfg, const char *path,
                                      fl_error *e)
{
    fl_world *w = g->w;
    fl_status st;
    uint64_t total = g->initial + g->join_total;
    if (total > GW_MAX_INDIVIDUAL) {
        char p[128], q[160];
        fl_cfg_join(p, sizeof p, path, "clients");
        return fl_error_set(e, FL_INVALID, fl_cfg_join(q, sizeof q, p, "model"),
                            "expected at most 10000000 individual clients (connected + "
                            "joining), got %llu; the \"aggregate\" model takes up to 100000000",
                            (unsigned long long)total);
    }
    (void)cfg;
    if ((st = configure_common(g)))
        return st;
    g->ncl = (uint32_t)total;
    if (!(g->cl = fl_calloc(total ? (size_t)total : 1, sizeof *g->cl)))
        return FL_NOMEM;
    if (g->njoins) {
        if (!(g->joined_order = fl_malloc((size_t)total * sizeof *g->joined_order)))
            return FL_NOMEM;
        for (uint32_t i = 0; i < g->initial; i++)
            g->joined_order[i] = i;
    }
    fl_rng kr;
    fl_world_stream(w, &kr, g->c->name, "clients");
    g->cl_key = fl_rng_next(&kr);
    g->h_client = fl_sim_handler(w->sim, on_client, g);
    if (g->h_client < 0)
        return FL_NOMEM;
    for (uint32_t i = 0; i < g->initial; i++) {
        gw_client *c = &g->cl[i];
        c->state = CL_CONNECTED;
        c->cls = g->resumption ? CLS_RES : CLS_RET;
        fl_rng r = client_rng(g, i);
        double u = ((double)i + fl_rng_uniform(&r)) / (double)g->initial;
        client_arm(g, i, 1 + (fl_time)(u * (double)(g->hb_interval - 1)));
    }
    uint32_t i = (uint32_t)g->initial;
    for (int j = 0; j < g->njoins; j++) {
        const join_wave *jw = &g->joins[j];
        double at = (double)(jw->at_tick * g->tick), span = (double)(jw->within_ticks * g->tick);
        for (uint64_t m = 0; m < jw->count; m++, i++) {
            gw_client *c = &g->cl[i];
            c->state = CL_IDLE;
            c->cls = CLS_NEW;
            fl_rng r = client_rng(g, i);
            fl_time t = (fl_time)(at + ((double)m + fl_rng_uniform(&r)) * span / (double)jw->count);
            if (t <= w->duration)
                client_arm(g, i, t);
        }
    }
    return fl_sim_failed(w->sim);
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    gateway *g = fl_calloc(1, sizeof *g);
    if (!g)
        return FL_NOMEM;
    c->state = g;
    g->w = w;
    g->c = c;
    g->slow = 1;
    g->next_tick = 1; /* the first step is step 1, at time `resolution` */
    long cpus, backlog, maxc;
    int prio;
    if ((st = fl_kind_duration(c, "resolution", cfg, path, FL_CFG_OPTIONAL, 10 * FL_MS, &g->tick,
                               e)) ||
        (st = fl_kind_int(c, "cpus", cfg, path, FL_CFG_OPTIONAL, 1, &cpus, e)) ||
        (st = fl_kind_duration(c, "handshake_time", cfg, path, FL_CFG_OPTIONAL, 290 * FL_US,
                               &g->hs_time, e)) ||
        (st = fl_kind_duration(c, "resumed_handshake_time", cfg, path, FL_CFG_OPTIONAL, 60 * FL_US,
                               &g->res_time, e)) ||
        (st = fl_kind_int(c, "backlog", cfg, path, FL_CFG_OPTIONAL, 4096, &backlog, e)) ||
        (st = fl_kind_int(c, "max_connections", cfg, path, FL_CFG_OPTIONAL, GW_MAX_CLIENTS, &maxc,
                          e)) ||
        (st = fl_kind_duration(c, "heartbeat_interval", cfg, path, FL_CFG_OPTIONAL, 30 * FL_SEC,
                               &g->hb_interval, e)) ||
        (st = fl_kind_duration(c, "heartbeat_time", cfg, path, FL_CFG_OPTIONAL, 20 * FL_US,
                               &g->hb_time, e)) ||
        (st = fl_kind_duration(c, "heartbeat_timeout", cfg, path, FL_CFG_OPTIONAL, 10 * FL_SEC,
                               &g->hb_timeout, e)) ||
        (st = fl_kind_duration(c, "message_time", cfg, path, FL_CFG_OPTIONAL, g->hb_time,
                               &g->msg_time, e)) ||
        (st = fl_cfg_enum(cfg, path, "priority", FL_CFG_OPTIONAL, 0, priorities, &prio, e)) ||
        (st = fl_cfg_bool(cfg, path, "session_resumption", FL_CFG_OPTIONAL, false, &g->resumption,
                          e)) ||
        (st = read_clients(g, cfg, path, e)) || (st = read_reconnect(g, cfg, path, e)) ||
        (st = read_admission(g, cfg, path, e)))
        return st;
    g->cpus = (int)cpus;
    g->backlog = (uint64_t)backlog;
    g->max_conn = (uint64_t)maxc;
    g->priority = prio == 1;
    g->cap_tick = (fl_time)cpus * g->tick;
    if (g->individual)
        return configure_individual(g, cfg, path, e);
    /* The calendar reaches as far as the longest wait a client can be given. */
    fl_time horizon =
        g->connect_timeout + g->rtt + g->adm_retry_after + g->pol.cap + g->spread + 3 * g->tick;
    g->nb = horizon / g->tick + 2;
    uint64_t most = GW_MAX_CELLS / (NCLS * (uint64_t)g->levels);
    if ((uint64_t)g->nb > most) {
        char p[128], hz[32], res[32];
        fl_format_duration(horizon - 3 * g->tick, hz, sizeof hz);
        fl_format_duration(g->tick, res, sizeof res);
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "resolution"),
                            "a client may wait up to %s (connect_timeout + rtt + retry_after + "
                            "the reconnect delay's max%s), %lld steps of %s, and at most %llu "
                            "steps fit; expected a coarser resolution or shorter waits",
                            hz, g->spread ? " + spread" : "", (long long)g->nb, res,
                            (unsigned long long)most);
    }
    /* A resent SYN waits 2^(syn - 1) s after the one before, less than the connect timeout. */
    if (g->syn_retries) {
        fl_time wait = GW_SYN_RTO << (g->syn_retries - 1);
        g->snb = (wait < g->ct_hi ? wait : g->ct_hi) / g->tick + 3;
        uint64_t fit = GW_MAX_CELLS / (NCLS * (uint64_t)g->levels * (uint64_t)g->syn_retries);
        if ((uint64_t)g->snb > fit) {
            char p[128], hz[32], res[32];
            fl_format_duration(wait < g->ct_hi ? wait : g->ct_hi, hz, sizeof hz);
            fl_format_duration(g->tick, res, sizeof res);
            return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "resolution"),
                                "a resent SYN may wait up to %s (2^(syn_retries - 1) s or the "
                                "connect timeout), %lld steps of %s, and at most %llu steps fit; "
                                "expected a coarser resolution, fewer syn_retries or a shorter "
                                "connect_timeout",
                                hz, (long long)g->snb, res, (unsigned long long)fit);
        }
    }
    g->dl_bins = (g->ct_hi - g->ct_lo) / g->tick + 2;
    if (g->ct_lo != g->ct_hi && g->dl_bins > GW_MAX_DL_BINS) {
        char p[128], res[32];
        fl_format_duration(g->tick, res, sizeof res);
        return fl_error_set(e, FL_INVALID,
                            fl_cfg_join(p, sizeof p, path, "reconnect.connect_timeout"),
                            "the range spans %lld steps of %s, and at most %d fit; expected a "
                            "narrower range or a coarser resolution",
                            (long long)g->dl_bins, res, GW_MAX_DL_BINS);
    }
    /* The heartbeat phases: one heartbeat_interval of steps (rounded to whole steps). */
    g->hb_slots = (g->hb_interval + g->tick / 2) / g->tick;
    if (g->hb_slots < 1)
        g->hb_slots = 1;
    if ((uint64_t)g->hb_slots > GW_MAX_CELLS) {
        char p[128], hb[32], res[32];
        fl_format_duration(g->hb_interval, hb, sizeof hb);
        fl_format_duration(g->tick, res, sizeof res);
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "resolution"),
                            "heartbeat_interval %s is %lld steps of %s, and at most %u fit (the "
                            "connections' heartbeat phases); expected a coarser resolution or a "
                            "shorter heartbeat_interval",
                            hb, (long long)g->hb_slots, res, GW_MAX_CELLS);
    }
    if ((st = configure_common(g)))
        return st;
    fl_world_stream(w, &g->rng_share, c->name, "attempt-share");
    g->ngrp_max = (size_t)NCLS * (size_t)g->levels * (size_t)g->syns + (size_t)g->njoins + 1;
    if (!(g->grp = fl_calloc(g->ngrp_max, sizeof *g->grp)))
        return FL_NOMEM;
    if (!(g->hb_ring = fl_calloc((size_t)g->hb_slots, sizeof *g->hb_ring)))
        return FL_NOMEM;
    /* Connections at time 0: phases spread evenly over the interval (the first heartbeats in
     * steps 1 .. hb_slots), as the individual model stratifies them. */
    uint64_t ns = (uint64_t)g->hb_slots, base = g->initial / ns, extra = g->initial % ns;
    for (uint64_t j = 0; j < ns; j++)
        g->hb_ring[(j + 1) % ns] = (uint32_t)base;
    for (uint64_t j = 0; j < extra; j++)
        g->hb_ring[(j * ns / extra + 1) % ns]++;
    g->hb_stride = (int64_t)((double)g->hb_slots * 0.6180339887498949);
    while (g->hb_slots > 1 && gcd64(g->hb_stride, g->hb_slots) != 1)
        g->hb_stride++; /* coprime: the stride visits every phase */
    if (!(g->cal = fl_calloc((size_t)g->nb * NCLS * (size_t)g->levels, sizeof *g->cal)) ||
        (g->syn_retries &&
         !(g->scal = fl_calloc((size_t)g->snb * NCLS * (size_t)g->levels * (size_t)g->syn_retries,
                               sizeof *g->scal))))
        return FL_NOMEM;
    if (g->ct_lo != g->ct_hi &&
        (!(g->dl_count = fl_calloc((size_t)g->dl_bins, sizeof *g->dl_count)) ||
         !(g->dl_list = fl_calloc((size_t)g->dl_bins, sizeof *g->dl_list))))
        return FL_NOMEM;
    return FL_OK;
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"cpus", "integer", "", "`1`", "`4`",
     "", FL_KV_INTEGER, FL_RANGE(1, 100000)},
    {"handshake_time", "duration", "", "`\"290us\"`", "`\"1ms\"`",
     "CPU per full TLS handshake", FL_KV_DURATION, FL_ABOVE_TO(0, 1)},
    {"resumed_handshake_time", "duration", "", "`\"60us\"`", "`\"100us\"`",
     "CPU per resumed handshake", FL_KV_DURATION, FL_ABOVE_TO(0, 1)},
    {"heartbeat_interval", "duration", "", "`\"30s\"`", "`\"10s\"`",
     "every connection sends one", FL_KV_DURATION, FL_RANGE(0.001, 3600)},
    {"heartbeat_time", "duration", "", "`\"20us\"`", "`\"50us\"`",
     "CPU per heartbeat", FL_KV_DURATION, FL_ABOVE_TO(0, 1)},
    {"heartbeat_timeout", "duration", "", "`\"10s\"`", "`\"5s\"`",
     "a client whose heartbeat is not answered within it drops its connection "
     "and reconnects", FL_KV_DURATION, FL_ABOVE_TO(0, 3600)},
    {"message_time", "duration", "", "`heartbeat_time`", "`\"100us\"`",
     "CPU per workload message", FL_KV_DURATION, FL_ABOVE_TO(0, 1)},
    {"backlog", "integer", "attempts", "`4096`", "`1024`",
     "the accept queue; a SYN finding it full is dropped (an overflow: the client "
     "hears nothing, and resends it)", FL_KV_INTEGER, FL_RANGE(0, GW_MAX_CLIENTS)},
    {"max_connections", "integer", "connections", "`100000000`", "`600000`",
     "attempts beyond it are refused", FL_KV_INTEGER, FL_RANGE(1, GW_MAX_CLIENTS)},
    {"priority", "`\"fifo\"` or `\"established\"`", "", "`\"fifo\"`", "`\"established\"`",
     "`established`: heartbeats and messages before handshakes", FL_KV_OTHER, FL_NO_BOUNDS},
    {"session_resumption", "boolean", "", "`false`", "`true`",
     "a client whose connection dropped pays `resumed_handshake_time`; newcomers "
     "and clients of a crashed node pay the full handshake", FL_KV_OTHER, FL_NO_BOUNDS},
    {"admission.rate", "rate", "", "required with `admission`", "`\"2000/s\"`",
     "a token bucket in front of TLS", FL_KV_RATE, FL_ABOVE_TO(0, 1e7)},
    {"admission.burst", "integer", "attempts", "rate x 1 s, rounded up", "`2000`",
     "the bucket's size", FL_KV_INTEGER, FL_RANGE(1, GW_MAX_CLIENTS)},
    {"admission.retry_after", "duration", "", "`\"1s\"`", "`\"5s\"`",
     "a rejected client waits this on top of its reconnect delay",
     FL_KV_DURATION, FL_RANGE(0, 3600)},
    {"clients.connected", "integer", "connections", "`0`", "`500000`",
     "connected at time 0 (all clients, connected and joining: at most 10^8)",
     FL_KV_INTEGER, FL_RANGE(0, GW_MAX_CLIENTS)},
    {"clients.join", "`{\"count\": n, \"within\": d, \"at\": d}` or an array of up to 1000", "", "none",
     "`{\"count\": 200000, \"within\": \"90s\", \"at\": \"10s\"}`",
     "newcomers: `count` (required) first attempts spread evenly over `within` "
     "(default: one step) from `at` (default 0)", FL_KV_OTHER, FL_NO_BOUNDS},
    {"clients.rtt", "duration", "", "`\"50ms\"`", "`\"100ms\"`",
     "how long a refusal or rejection takes to reach the client", FL_KV_DURATION, FL_RANGE(0, 60)},
    {"clients.model", "`\"aggregate\"` or `\"individual\"`", "", "`\"aggregate\"`", "`\"individual\"`",
     "`aggregate`: clients are counts in steps of `resolution` (a few events per step); "
     "`individual`: each client is its own 32-byte record with its own timers and random "
     "draws (exact times, about one event per heartbeat and attempt; at most 10^7 clients)",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"reconnect.delay", "`\"immediate\"`, `\"constant(d)\"` or `\"exponential(base, max=cap)\"`", "", "`\"immediate\"`",
     "`\"exponential(1s, max=60s)\"`",
     "the wait before the n-th consecutive attempt, as a client backoff; `max=` is "
     "required and at most 1h", FL_KV_OTHER, FL_NO_BOUNDS},
    {"reconnect.jitter", "`\"none\"`, `\"full\"` or `\"equal\"`", "", "`\"none\"`", "`\"full\"`",
     "as `client.jitter`", FL_KV_OTHER, FL_NO_BOUNDS},
    {"reconnect.connect_timeout", "duration, or `\"uniform(lo, hi)\"`", "", "`\"10s\"`",
     "`\"uniform(8s, 12s)\"`",
     "from an attempt's first SYN: a client whose handshake has not completed "
     "gives up (the gateway still does it when it reaches it: wasted work); `uniform`: each "
     "attempt draws its own; the range spans at most 100,000 steps",
     FL_KV_DURATION, FL_ABOVE_TO(0, 3600)},
    {"reconnect.spread", "duration", "", "`0`", "`\"200ms\"`",
     "each client adds its own uniform draw in [0, spread] to every wait before "
     "a new attempt (the time a device takes to notice and act)", FL_KV_DURATION, FL_RANGE(0, 60)},
    {"reconnect.syn_retries", "integer", "", "`6`", "`3`",
     "SYN resends of an attempt whose SYN was dropped, after 1, 2, 4 ... s, while "
     "before the connect timeout; the kernel gives up a doubled wait after the last (with 6: 127 "
     "s)", FL_KV_INTEGER, FL_RANGE(0, 10)},
    {"resolution", "duration", "", "`\"10ms\"`", "`\"1ms\"`",
     "the model's time step: latencies have this granularity", FL_KV_DURATION, FL_RANGE(0.0001, 1)},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"connected", "connections", "connected clients"},
    {"handshakes_per_s", "/s", "handshakes completed"},
    {"cpu", "fraction", "CPU busy"},
    {"disconnects_per_s", "/s", "connections dropped"},
    {"attempts_per_s", "/s", "connection attempts"},
    {"overflows_per_s", "/s", "attempts dropped by a full accept queue"},
    {"backlog_max", "attempts", "the longest accept queue"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_gateway_ops = {
    .kind = "gateway",
    .about = "long-lived client connections: TLS handshakes, heartbeats, reconnect storms",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .faults = FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE),
    .fault = fault,
    .destroy = destroy,
};
