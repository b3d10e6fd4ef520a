/* The `consumer` component: one consumer group reading a broker's topic (Kafka-like).
 *
 *   {"name": "orders", "kind": "consumer", "broker": "kafka", "members": 3,
 *    "process": "exp(20ms)", "max_poll_records": 500,
 *    "session_timeout": "45s", "heartbeat_interval": "3s", "max_poll_interval": "300s",
 *    "rebalance": "eager", "rebalance_time": "3s", "static_membership": false,
 *    "restart_delay": "10s", "auto_commit_interval": "5s",
 *    "on_error": {"retries": 3, "backoff": "0s", "dead_letter": true,
 *                 "retry_topic": {"delay": "30s", "attempts": 3}}}
 *
 * "delivery": "log" (the default) is this file's; "queue" reads the topic as one queue with
 * a visibility timeout per message (SQS, Pub/Sub): see consumer_queue.c, which takes only
 * broker, members, process and its own keys (each delivery refuses the other's keys).
 *
 * The node's name is the group's. Each of the `members` is one consumer process running
 * the poll loop: poll up to max_poll_records from its partitions (a whole run of one
 * partition, then the next; the next poll starts after the first partition served, and a
 * restarted process starts at its lowest partition), process them
 * one at a time (one `process` draw each), then commit the offsets it has processed and
 * poll again. A member with nothing to read waits inside poll until a message arrives.
 * Offsets are committed after processing: after every batch (the default, a commitSync
 * after each poll's records), or with auto_commit_interval (Kafka's enable.auto.commit,
 * 5 s by default there) at the first poll that long after the previous commit; and always
 * when a member gives partitions up in a rebalance. A member that dies has processed
 * messages it never committed, and whoever reads the partition next processes them again;
 * every such reprocessing is counted ("reprocessed", "duplicates").
 *
 * Membership (Kafka defaults). A live member heartbeats every heartbeat_interval; a
 * crashed one stops, and the coordinator drops it session_timeout after its last
 * heartbeat. A member that spends longer than max_poll_interval on one batch is dropped at
 * once (it is "fenced": it finishes its batch, its commit fails, it rejoins). A member
 * joining, leaving or being dropped starts a rebalance. Every member takes part at its
 * next poll (after its current batch); the rebalance completes rebalance_time after the
 * last live member has joined and every dropped member's session has run out (the
 * coordinator waits for a member it has not heard from until then).
 *   eager        a member revokes all its partitions when it joins and waits: every
 *                partition stops until the rebalance completes; then partitions are
 *                assigned in ranges (Kafka's range assignor) from their committed offsets
 *   cooperative  members keep consuming while the group rebalances; partitions stay with
 *                their owner where possible (sticky), only the partitions of members that
 *                left, or those moved for balance, change hands, and a moved partition
 *                starts rebalance_time after the completion (the second round of an
 *                incremental rebalance)
 * static_membership: a crashed member that restarts within its session timeout takes its
 * place again without a rebalance and resumes its partitions from their committed
 * offsets; until then they are held for it (stopped). Without it a restarted member joins
 * as a new member (a rebalance) while its old self still holds the group up until its
 * session expires.
 *
 * A crashed member (a poison pill with poison_effect "crash", or a crash fault on this
 * node) restarts after restart_delay (a crash fault: when the fault ends). A pause of the
 * node stops every member; members whose session runs out during it are dropped and
 * rejoin when it ends. A slow fault on the node multiplies every processing (the
 * `process` draw, and the retry topic's) that starts while it is in force. A pause of the
 * broker stops fetches and commits (the partitions stall) until it ends.
 *
 * Failures: only the poison pill fails (every attempt, at least 1 ms each). Without
 * on_error, the broker's poison_effect applies: "crash", or "loop" (seek back and fail on
 * it again at every poll; the member's other partitions keep flowing). With on_error the
 * error is caught: the message is retried `retries` more times in place (after `backoff`
 * each), then handed to the retry topic (when set: retried again after `delay`, up to
 * `attempts` times, by the group's retry worker, while the partition moves on), then
 * dead-lettered (dead_letter: true) or else skipped: a skipped message is lost.
 *
 * History: every attempt to process a message is a "process" operation (key = message id,
 * value = its offset, client = the member, node = this node): ok, fail for a failed
 * attempt, info when the message was dead-lettered. In the summary, "duplicates" and
 * "lost" are fl_check_messages over the messages the group has moved past (below its
 * committed or processed offset in each partition): a message still in the log unread is
 * lag, not lost. A dead-lettered message counts as handled.
 *
 * A partition is "stalled" while nobody can consume it: no live owner (crashed, dropped,
 * revoked in a rebalance, not yet handed over), its head message failing (retried or
 * looping) or the broker down. A pause of the whole node is not counted, nor the time an
 * owner spends processing messages again. Lag is log end minus committed offset.
 *
 * Summary (nodes.<name>): rebalances, crashes, restarts, dropped_members,
 * uncommitted_at_crash (messages processed but not committed when a member died),
 * processed (successful processings), reprocessed (those beyond the first of a message),
 * failed_attempts, dead_lettered, to_retry_topic, skipped, lag.{max, end, end_max},
 * stalled_s_min / stalled_s_max (over partitions), max_delay_s (publish to first
 * processing), oldest_unprocessed_s (the oldest message at or past the committed offset
 * not processed by the end), partitions.p<i>.{committed, lag_end, lag_max, stalled_s,
 * published_while_stalled, stall_lag_ratio = lag_end / (the partition's mean publish rate
 * x stalled_s): about 1 when a stall that is still on made all of the lag}, duplicates and
 * lost (fl_check_messages). Series: "<name>.lag.p<i>" (max per window) and
 * "<name>.stalled_partitions". A workload aimed at a consumer node is refused. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/cfg.h"
#include "model/broker.h"
#include "model/consumer_queue.h"
#include "model/world.h"

enum { M_DOWN, M_IDLE, M_BUSY, M_STOPPED };

typedef struct item {
    uint64_t off;
    uint32_t part, epoch;
} item;

typedef struct member {
    uint8_t state;
    bool fenced;      /* dropped from the group; does not know yet */
    bool want_join;   /* must join the pending rebalance at its next poll */
    bool wake_pending;
    uint32_t gen;     /* bumped on crash and restart: older events are stale */
    uint32_t inst;    /* member identity: partitions are owned by (slot, inst) */
    fl_time joined_at, last_commit;
    fl_time ghost_until; /* its crashed self is still in the group until then (0: none) */
    uint32_t ghost_gen;
    item *batch;
    uint32_t blen, bpos, rr;
    uint32_t attempts; /* failed attempts at the current item */
    fl_time item_start;
    fl_timer poll_timer;
} member;

typedef struct cpart {
    uint32_t owner, owner_inst; /* FL_NONE: unassigned */
    uint32_t epoch;             /* bumped on every hand-over or seek: older fetches are void */
    bool revoked, failing;
    uint64_t committed, position, done, hi;
    fl_time available_at;
    uint32_t *count; /* successful processings per offset; top bit: dead-lettered */
    uint64_t count_cap;
    fl_time stall_since; /* -1: not stalled */
    fl_time stalled;
    uint64_t stall_mark, published_stalled;
    uint64_t lag_max;
    int col_lag;
} cpart;

typedef struct retry_entry {
    fl_time due;
    uint64_t off;
    uint32_t part, attempts;
} retry_entry;

#define DLQ_BIT 0x80000000u

typedef struct consumer {
    fl_cqueue *q; /* "delivery": "queue" (consumer_queue.c); NULL: the group reads the log */
    fl_world *w;
    fl_component *c;
    fl_broker *b;
    const char *broker_name; /* valid until connect() */
    char path[64];
    uint32_t nmembers, nparts;
    member *m;
    cpart *p;
    fl_dist *process;
    fl_rng rng;
    long max_poll_records;
    fl_time session_timeout, heartbeat, max_poll_interval, rebalance_time, restart_delay;
    fl_time auto_commit; /* 0: commit after every batch */
    bool cooperative, static_membership, node_down;
    double slow; /* the product of the slow faults in force on the node (1: none) */
    /* on_error */
    bool has_on_error, dead_letter, has_retry_topic;
    long retries, topic_attempts;
    fl_time backoff, topic_delay;
    retry_entry *rq;
    size_t rq_head, rq_len, rq_cap;
    bool rq_busy;
    fl_time rq_start;
    /* the group */
    bool rebalancing, sync_pending;
    uint32_t rb_gen;
    int h_done, h_wake, h_restart, h_ghost, h_sync, h_poll, h_session, h_avail, h_retry;
    int col_stalled;
    uint64_t rebalances, crashes, restarts, fenced, processed, failed_attempts, dead_lettered,
        skipped, to_retry_topic, uncommitted_at_crash;
    fl_time max_delay;
} consumer;

static const char *const rebalance_kinds[] = {"eager", "cooperative", NULL};
static const char *const delivery_kinds[] = {"log", "queue", NULL};
/* The keys of one delivery only: the other refuses them. */
static const char *const log_only_keys[] = {"max_poll_records", "session_timeout",
    "heartbeat_interval", "max_poll_interval", "rebalance", "rebalance_time",
    "static_membership", "restart_delay", "auto_commit_interval", "on_error", NULL};
static const char *const queue_only_keys[] = {"max_messages", "visibility_timeout", "extend",
    "max_receive_count", "idempotent", NULL};

static uint64_t marg(uint32_t slot, uint32_t gen) { return ((uint64_t)gen << 32) | slot; }

/* ---- stalls and lag -------------------------------------------------------------------- */

static bool stalled_now(const consumer *s, uint32_t pi, fl_time now)
{
    const cpart *p = &s->p[pi];
    if (!fl_broker_up(s->b) || p->owner == FL_NONE || p->revoked || p->failing ||
        p->available_at > now)
        return true;
    const member *m = &s->m[p->owner];
    return m->state == M_DOWN || m->inst != p->owner_inst || m->fenced;
}

static void recheck(consumer *s, uint32_t pi)
{
    fl_time now = fl_sim_now(s->w->sim);
    cpart *p = &s->p[pi];
    bool st = stalled_now(s, pi, now);
    if (st && p->stall_since < 0) {
        p->stall_since = now;
        p->stall_mark = fl_broker_log_end(s->b, pi);
    } else if (!st && p->stall_since >= 0) {
        p->stalled += now - p->stall_since;
        p->published_stalled += fl_broker_log_end(s->b, pi) - p->stall_mark;
        p->stall_since = -1;
    }
}

static void recheck_all(consumer *s)
{
    for (uint32_t i = 0; i < s->nparts; i++)
        recheck(s, i);
}

static uint64_t lag(const consumer *s, uint32_t pi)
{
    return fl_broker_log_end(s->b, pi) - s->p[pi].committed;
}

/* ---- history --------------------------------------------------------------------------- */

static void record(consumer *s, uint32_t client, uint32_t pi, uint64_t off, fl_time start,
                   fl_op_outcome o)
{
    fl_world *w = s->w;
    fl_op op = {.invoke = start, .complete = fl_sim_now(w->sim),
                .key = fl_broker_msg_id(s->b, pi, off), .value = (int64_t)off,
                .expect = FL_VALUE_NONE, .token = FL_TOKEN_NONE, .client = client,
                .node = s->c->index, .kind = FL_OP_PROCESS, .outcome = o};
    fl_history_add(w->history, &op, NULL);
}

/* The processing counter of (pi, off), growing the array as the log grows. */
static uint32_t *counter(consumer *s, uint32_t pi, uint64_t off)
{
    cpart *p = &s->p[pi];
    if (off >= p->count_cap) {
        uint64_t cap = p->count_cap ? p->count_cap : 1024;
        while (cap <= off)
            cap *= 2;
        uint32_t *c = fl_realloc(p->count, cap * sizeof *c);
        if (!c)
            return NULL;
        memset(c + p->count_cap, 0, (cap - p->count_cap) * sizeof *c);
        p->count = c;
        p->count_cap = cap;
    }
    return &p->count[off];
}

/* The message at (pi, off) is done with: processed, dead-lettered or skipped. */
static void handled(consumer *s, uint32_t pi, uint64_t off, bool owner)
{
    cpart *p = &s->p[pi];
    if (off + 1 > p->hi)
        p->hi = off + 1;
    if (owner) {
        p->done = off + 1;
        if (p->failing) {
            p->failing = false;
            recheck(s, pi);
        }
    }
}

static void processed_ok(consumer *s, uint32_t client, uint32_t pi, uint64_t off, fl_time start,
                         bool owner)
{
    fl_time now = fl_sim_now(s->w->sim);
    record(s, client, pi, off, start, FL_OP_OK);
    s->processed++;
    uint32_t *c = counter(s, pi, off);
    if (c) {
        if ((*c & ~DLQ_BIT) == 0) {
            fl_time d = now - fl_broker_msg_time(s->b, pi, off);
            if (d > s->max_delay)
                s->max_delay = d;
        }
        (*c)++;
    }
    handled(s, pi, off, owner);
}

static void dead_letter(consumer *s, uint32_t client, uint32_t pi, uint64_t off, bool owner)
{
    fl_time now = fl_sim_now(s->w->sim);
    fl_broker_dead_letter(s->b, pi, off);
    s->dead_lettered++;
    fl_world_event(s->w, now, s->c->name, "dead-letter", "p%u offset %llu sent to the dead-letter "
                   "queue", pi, (unsigned long long)off);
    record(s, client, pi, off, now, FL_OP_INFO);
    uint32_t *c = counter(s, pi, off);
    if (c)
        *c |= DLQ_BIT;
    handled(s, pi, off, owner);
}

/* ---- the group ------------------------------------------------------------------------- */

static void member_poll(consumer *s, uint32_t slot);
static void try_complete(consumer *s);

static void wake(consumer *s, uint32_t slot, fl_time at)
{
    member *m = &s->m[slot];
    if (m->wake_pending)
        return;
    m->wake_pending = true;
    fl_sim_at(s->w->sim, at, s->h_wake, marg(slot, m->gen));
}

/* Commits what the member has processed in the partitions it owns: after every batch, or
 * with auto_commit_interval at the first poll that long after the last commit; always
 * (force) when it gives partitions up in a rebalance. */
static void commit(consumer *s, uint32_t slot, bool force)
{
    member *m = &s->m[slot];
    fl_time now = fl_sim_now(s->w->sim);
    if (m->fenced || !fl_broker_up(s->b))
        return; /* the commit fails: the group has moved on, or the broker is down */
    if (!force && s->auto_commit && now - m->last_commit < s->auto_commit)
        return;
    m->last_commit = now;
    for (uint32_t i = 0; i < s->nparts; i++) {
        cpart *p = &s->p[i];
        if (p->owner == slot && p->owner_inst == m->inst && !p->revoked && p->done > p->committed)
            p->committed = p->done;
    }
}

/* The member joins the pending rebalance (it is at a poll). */
static void join(consumer *s, uint32_t slot)
{
    member *m = &s->m[slot];
    commit(s, slot, true);
    m->want_join = false;
    if (!s->cooperative) {
        for (uint32_t i = 0; i < s->nparts; i++)
            if (s->p[i].owner == slot && s->p[i].owner_inst == m->inst)
                s->p[i].revoked = true;
        m->state = M_STOPPED;
        recheck_all(s);
    }
    try_complete(s);
}

/* A membership change: starts a rebalance, or makes the pending one wait for it. joiner is
 * a member that joins by this very change (a restart), or FL_NONE. */
static void trigger(consumer *s, uint32_t joiner)
{
    fl_time now = fl_sim_now(s->w->sim);
    if (!s->rebalancing) {
        s->rebalancing = true;
        s->rebalances++;
        fl_world_event(s->w, now, s->c->name, "rebalance-start", "rebalance %llu starts",
                       (unsigned long long)s->rebalances);
        for (uint32_t i = 0; i < s->nmembers; i++) {
            member *m = &s->m[i];
            if (m->state == M_DOWN || m->fenced || i == joiner)
                continue;
            m->want_join = true;
            if (m->state == M_IDLE)
                wake(s, i, now);
        }
    } else if (s->sync_pending) {
        s->sync_pending = false; /* a new round: the sync starts over */
        s->rb_gen++;
    }
    if (joiner != FL_NONE) {
        s->m[joiner].want_join = false;
        if (!s->cooperative)
            s->m[joiner].state = M_STOPPED;
    }
    try_complete(s);
}

static void try_complete(consumer *s)
{
    if (!s->rebalancing || s->sync_pending)
        return;
    fl_time now = fl_sim_now(s->w->sim);
    for (uint32_t i = 0; i < s->nmembers; i++) {
        const member *m = &s->m[i];
        if ((m->state != M_DOWN && !m->fenced && m->want_join) || m->ghost_until > now)
            return;
    }
    s->sync_pending = true;
    fl_sim_at(s->w->sim, now + s->rebalance_time, s->h_sync, ++s->rb_gen);
}

/* Hands partition pi to member slot, from its committed offset. */
static void hand_over(consumer *s, uint32_t pi, uint32_t slot, fl_time avail)
{
    cpart *p = &s->p[pi];
    p->owner = slot;
    p->owner_inst = slot == FL_NONE ? 0 : s->m[slot].inst;
    p->epoch++;
    p->revoked = false;
    p->failing = false;
    p->position = p->done = p->committed;
    p->available_at = avail;
    if (avail > fl_sim_now(s->w->sim))
        fl_sim_at(s->w->sim, avail, s->h_avail, ((uint64_t)p->epoch << 32) | pi);
}

static bool in_group(const consumer *s, uint32_t slot)
{
    const member *m = &s->m[slot];
    return m->state != M_DOWN && !m->fenced && !m->want_join;
}

/* Range assignment (eager): every partition from its committed offset. */
static void assign_range(consumer *s)
{
    uint32_t live[1024], n = 0;
    for (uint32_t i = 0; i < s->nmembers; i++)
        if (in_group(s, i))
            live[n++] = i;
    for (uint32_t pi = 0; pi < s->nparts; pi++) {
        uint32_t owner = FL_NONE;
        if (n) {
            uint32_t per = s->nparts / n, extra = s->nparts % n;
            /* the first `extra` members take per + 1 partitions each */
            uint32_t k = pi < extra * (per + 1) ? pi / (per + 1) : extra + (pi - extra * (per + 1)) / per;
            owner = live[k];
        }
        hand_over(s, pi, owner, 0);
    }
}

/* Sticky assignment (cooperative): partitions stay with live owners up to their share;
 * the rest go to the least loaded members. A partition taken from a live owner starts one
 * rebalance_time later (its owner revokes it first). */
static void assign_sticky(consumer *s, fl_time now)
{
    uint32_t n = 0, count[1024] = {0};
    for (uint32_t i = 0; i < s->nmembers; i++)
        n += in_group(s, i);
    if (!n) {
        for (uint32_t pi = 0; pi < s->nparts; pi++)
            if (s->p[pi].owner != FL_NONE)
                hand_over(s, pi, FL_NONE, 0);
        return;
    }
    uint32_t lo = s->nparts / n, at_hi = s->nparts % n; /* members allowed lo + 1 */
    bool *keep = fl_calloc(s->nparts, sizeof *keep);
    if (!keep)
        return; /* out of memory: the assignment stays as it was */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t pi = 0; pi < s->nparts; pi++) {
            cpart *p = &s->p[pi];
            if (keep[pi] || p->owner == FL_NONE || !in_group(s, p->owner) ||
                s->m[p->owner].inst != p->owner_inst)
                continue;
            if (count[p->owner] < lo || (pass == 1 && count[p->owner] == lo && at_hi > 0)) {
                if (count[p->owner] == lo)
                    at_hi--;
                count[p->owner]++;
                keep[pi] = true;
            }
        }
    for (uint32_t pi = 0; pi < s->nparts; pi++) {
        if (keep[pi])
            continue;
        uint32_t best = FL_NONE;
        for (uint32_t i = 0; i < s->nmembers; i++)
            if (in_group(s, i) && (best == FL_NONE || count[i] < count[best]))
                best = i;
        cpart *p = &s->p[pi];
        bool from_live = p->owner != FL_NONE && s->m[p->owner].state != M_DOWN &&
                         s->m[p->owner].inst == p->owner_inst && !s->m[p->owner].fenced;
        if (from_live)
            commit(s, p->owner, true); /* the old owner commits as it revokes */
        count[best]++;
        hand_over(s, pi, best, from_live ? now + s->rebalance_time : 0);
    }
    fl_free(keep);
}

static void on_sync(fl_sim *sim, void *ctx, uint64_t arg)
{
    consumer *s = ctx;
    if (!s->sync_pending || (uint32_t)arg != s->rb_gen)
        return;
    fl_time now = fl_sim_now(sim);
    if (s->cooperative)
        assign_sticky(s, now);
    else
        assign_range(s);
    s->rebalancing = s->sync_pending = false;
    fl_world_event(s->w, now, s->c->name, "rebalance-end", "rebalance %llu ends",
                   (unsigned long long)s->rebalances);
    for (uint32_t i = 0; i < s->nmembers; i++) {
        member *m = &s->m[i];
        if (m->state == M_STOPPED)
            m->state = M_IDLE;
        if (m->state == M_IDLE)
            wake(s, i, now);
    }
    recheck_all(s);
}

/* The coordinator drops a live member (session lost, or max_poll_interval exceeded). */
static void fence(consumer *s, uint32_t slot)
{
    member *m = &s->m[slot];
    if (m->fenced || m->state == M_DOWN)
        return;
    m->fenced = true;
    m->want_join = false;
    s->fenced++;
    trigger(s, FL_NONE);
    recheck_all(s);
    if (m->state == M_IDLE || m->state == M_STOPPED) {
        m->state = M_IDLE;
        wake(s, slot, fl_sim_now(s->w->sim));
    }
}

static void crash(consumer *s, uint32_t slot, bool restart)
{
    fl_time now = fl_sim_now(s->w->sim);
    member *m = &s->m[slot];
    m->state = M_DOWN;
    m->gen++;
    m->wake_pending = false;
    m->blen = m->bpos = 0;
    m->attempts = 0;
    m->want_join = false;
    fl_sim_timer_cancel(s->w->sim, m->poll_timer);
    m->poll_timer = FL_TIMER_NONE;
    s->crashes++;
    fl_world_event(s->w, now, s->c->name, "crash", "member %u crashes", slot);
    for (uint32_t i = 0; i < s->nparts; i++) { /* work done since the last commit */
        const cpart *p = &s->p[i];
        if (p->owner == slot && p->owner_inst == m->inst && p->done > p->committed)
            s->uncommitted_at_crash += p->done - p->committed;
    }
    if (!m->fenced) { /* still in the group: dropped after its last heartbeat's session */
        fl_time last_hb = m->joined_at + (now - m->joined_at) / s->heartbeat * s->heartbeat;
        m->ghost_until = last_hb + s->session_timeout;
        if (m->ghost_until <= now)
            m->ghost_until = now + 1;
        fl_sim_at(s->w->sim, m->ghost_until, s->h_ghost, marg(slot, ++m->ghost_gen));
    }
    m->fenced = false;
    if (restart)
        fl_sim_at(s->w->sim, now + s->restart_delay, s->h_restart, marg(slot, m->gen));
    if (s->sync_pending) { /* a member lost during the sync: the round starts over */
        s->sync_pending = false;
        s->rb_gen++;
    }
    recheck_all(s);
    try_complete(s);
}

static void restart(consumer *s, uint32_t slot)
{
    fl_time now = fl_sim_now(s->w->sim);
    member *m = &s->m[slot];
    s->restarts++;
    fl_world_event(s->w, now, s->c->name, "restart", "member %u restarts", slot);
    m->gen++;
    m->rr = 0; /* a new process: it fetches its partitions in order */
    m->state = M_IDLE;
    m->joined_at = now;
    m->fenced = false;
    if (s->static_membership && m->ghost_until > now) {
        /* Same group.instance.id within the session: it takes its place, no rebalance. */
        m->ghost_until = 0;
        m->ghost_gen++;
        for (uint32_t i = 0; i < s->nparts; i++)
            if (s->p[i].owner == slot && s->p[i].owner_inst == m->inst && !s->p[i].revoked)
                hand_over(s, i, slot, 0);
        m->want_join = s->rebalancing;
        recheck_all(s);
        if (s->rebalancing)
            try_complete(s);
        wake(s, slot, now);
        return;
    }
    m->inst++;
    trigger(s, slot);
    recheck_all(s);
    if (m->state == M_IDLE)
        wake(s, slot, now);
}

/* ---- the poll loop --------------------------------------------------------------------- */

static void start_item(consumer *s, uint32_t slot);

static void batch_end(consumer *s, uint32_t slot)
{
    member *m = &s->m[slot];
    fl_sim_timer_cancel(s->w->sim, m->poll_timer);
    m->poll_timer = FL_TIMER_NONE;
    commit(s, slot, false);
    m->blen = m->bpos = 0;
    m->state = M_IDLE;
    member_poll(s, slot);
}

static bool owns(const consumer *s, uint32_t slot, uint32_t pi)
{
    const cpart *p = &s->p[pi];
    return p->owner == slot && p->owner_inst == s->m[slot].inst && !p->revoked;
}

static void member_poll(consumer *s, uint32_t slot)
{
    fl_world *w = s->w;
    member *m = &s->m[slot];
    fl_time now = fl_sim_now(w->sim);
    if (m->state != M_IDLE || s->node_down)
        return;
    if (s->c->host.paused_until > now) {
        wake(s, slot, s->c->host.paused_until);
        return;
    }
    if (m->fenced) { /* it learns it was dropped: it rejoins as a new member */
        m->fenced = false;
        m->inst++;
        m->joined_at = now;
        trigger(s, slot);
        recheck_all(s);
        if (m->state != M_IDLE)
            return;
    }
    if (s->rebalancing && m->want_join) {
        join(s, slot);
        if (m->state != M_IDLE)
            return;
    }
    if (!fl_broker_up(s->b))
        return;
    m->blen = m->bpos = 0;
    for (uint32_t k = 0; k < s->nparts && m->blen < (uint32_t)s->max_poll_records; k++) {
        uint32_t pi = (m->rr + k) % s->nparts;
        cpart *p = &s->p[pi];
        if (!owns(s, slot, pi) || p->available_at > now)
            continue;
        uint64_t end = fl_broker_log_end(s->b, pi);
        while (p->position < end && m->blen < (uint32_t)s->max_poll_records)
            m->batch[m->blen++] = (item){p->position++, pi, p->epoch};
    }
    if (!m->blen)
        return; /* waits inside poll for data */
    m->rr = (m->batch[0].part + 1) % s->nparts; /* the fetcher's fairness: next time, the
                                                   partition after the first one served */
    m->state = M_BUSY;
    if (fl_sim_timer_at(w->sim, fl_host_after(&s->c->host, now, s->max_poll_interval),
                        s->h_poll, slot, &m->poll_timer) != FL_OK)
        m->poll_timer = FL_TIMER_NONE;
    start_item(s, slot);
}

static void start_item(consumer *s, uint32_t slot)
{
    member *m = &s->m[slot];
    fl_time now = fl_sim_now(s->w->sim);
    while (m->bpos < m->blen && s->p[m->batch[m->bpos].part].epoch != m->batch[m->bpos].epoch)
        m->bpos++; /* the partition was handed over or sought back since the fetch */
    if (m->bpos == m->blen) {
        batch_end(s, slot);
        return;
    }
    const item *it = &m->batch[m->bpos];
    fl_time d = fl_dist_sample(s->process, &s->rng);
    if (s->slow != 1) /* a slowed node: every processing takes `slow` times as long */
        d = (fl_time)((double)d * s->slow);
    if (fl_broker_msg_poison(s->b, it->part, it->off) && d < FL_MS)
        d = FL_MS; /* a failing attempt still takes time: no loop in zero time */
    if (m->attempts > 0)
        d += s->backoff;
    m->item_start = now;
    fl_sim_at(s->w->sim, now + d, s->h_done, marg(slot, m->gen));
}

static void enqueue_retry(consumer *s, uint32_t pi, uint64_t off, uint32_t attempts)
{
    fl_time now = fl_sim_now(s->w->sim);
    if (s->rq_head + s->rq_len == s->rq_cap) {
        if (s->rq_head > 0) {
            memmove(s->rq, s->rq + s->rq_head, s->rq_len * sizeof *s->rq);
            s->rq_head = 0;
        } else {
            retry_entry *q = fl__grow(s->w->sim, s->rq, &s->rq_cap, s->rq_cap + 1, sizeof *q, 16);
            if (!q)
                return; /* out of memory: the run has failed */
            s->rq = q;
        }
    }
    s->rq[s->rq_head + s->rq_len++] = (retry_entry){now + s->topic_delay, off, pi, attempts};
    if (!s->rq_busy && s->rq_len == 1) {
        s->rq_busy = true;
        fl_sim_at(s->w->sim, now + s->topic_delay, s->h_retry, 0);
    }
}

/* The member failed on its current item, the poison pill (attempt already recorded). */
static void item_failed(consumer *s, uint32_t slot)
{
    member *m = &s->m[slot];
    const item it = m->batch[m->bpos];
    cpart *p = &s->p[it.part];
    fl_world_event(s->w, fl_sim_now(s->w->sim), s->c->name, "poison-pill",
                   "member %u fails on the poison pill: p%u offset %llu", slot, it.part,
                   (unsigned long long)it.off);
    if (!s->has_on_error) {
        if (fl_broker_poison_effect(s->b) == FL_POISON_CRASH) {
            crash(s, slot, true);
            return;
        }
        /* loop: seek back to the failing offset; the next poll reads it again */
        p->epoch++;
        p->position = it.off;
        if (!p->failing) {
            p->failing = true;
            recheck(s, it.part);
        }
        m->bpos++;
        start_item(s, slot);
        return;
    }
    if (++m->attempts <= (uint32_t)s->retries) {
        if (!p->failing) {
            p->failing = true;
            recheck(s, it.part);
        }
        start_item(s, slot); /* the same item again */
        return;
    }
    m->attempts = 0;
    if (s->has_retry_topic) {
        s->to_retry_topic++;
        enqueue_retry(s, it.part, it.off, 0);
        handled(s, it.part, it.off, true);
    } else if (s->dead_letter) {
        dead_letter(s, slot, it.part, it.off, true);
    } else {
        s->skipped++;
        handled(s, it.part, it.off, true);
    }
    m->bpos++;
    start_item(s, slot);
}

static void on_done(fl_sim *sim, void *ctx, uint64_t arg)
{
    consumer *s = ctx;
    uint32_t slot = (uint32_t)arg;
    member *m = &s->m[slot];
    if ((uint32_t)(arg >> 32) != m->gen || m->state != M_BUSY)
        return;
    fl_time now = fl_sim_now(sim);
    if (s->c->host.paused_until > now) {
        fl_sim_at(sim, s->c->host.paused_until, s->h_done, arg);
        return;
    }
    const item it = m->batch[m->bpos];
    bool current = s->p[it.part].epoch == it.epoch;
    if (fl_broker_msg_poison(s->b, it.part, it.off)) {
        s->failed_attempts++;
        record(s, slot, it.part, it.off, m->item_start, FL_OP_FAIL);
        if (current) {
            item_failed(s, slot);
            return;
        }
    } else {
        /* Done even if the partition changed hands meanwhile: the work happened. */
        processed_ok(s, slot, it.part, it.off, m->item_start, current);
    }
    m->bpos++;
    start_item(s, slot);
}

static void on_wake(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    consumer *s = ctx;
    uint32_t slot = (uint32_t)arg;
    member *m = &s->m[slot];
    if ((uint32_t)(arg >> 32) != m->gen)
        return;
    m->wake_pending = false;
    member_poll(s, slot);
}

static void on_restart(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    consumer *s = ctx;
    uint32_t slot = (uint32_t)arg;
    if ((uint32_t)(arg >> 32) != s->m[slot].gen || s->m[slot].state != M_DOWN || s->node_down)
        return;
    restart(s, slot);
}

static void on_ghost(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    consumer *s = ctx;
    member *m = &s->m[(uint32_t)arg];
    if ((uint32_t)(arg >> 32) != m->ghost_gen || !m->ghost_until)
        return;
    m->ghost_until = 0; /* its session expired: the coordinator drops it */
    trigger(s, FL_NONE);
}

static void on_poll_timeout(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    consumer *s = ctx;
    s->m[(uint32_t)arg].poll_timer = FL_TIMER_NONE;
    fence(s, (uint32_t)arg);
}

static void on_session_lost(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    consumer *s = ctx;
    if ((uint32_t)(arg >> 32) == s->m[(uint32_t)arg].gen)
        fence(s, (uint32_t)arg);
}

static void on_available(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    consumer *s = ctx;
    uint32_t pi = (uint32_t)arg;
    cpart *p = &s->p[pi];
    if ((uint32_t)(arg >> 32) != p->epoch)
        return;
    recheck(s, pi);
    if (p->owner != FL_NONE && s->m[p->owner].state == M_IDLE)
        member_poll(s, p->owner);
}

/* The retry topic's worker: the head entry is due. */
static void on_retry(fl_sim *sim, void *ctx, uint64_t arg)
{
    consumer *s = ctx;
    fl_time now = fl_sim_now(sim);
    if (s->c->host.paused_until > now || s->node_down) {
        fl_sim_at(sim, s->node_down ? now + s->topic_delay : s->c->host.paused_until, s->h_retry,
                  arg);
        return;
    }
    if (arg == 0) { /* due: start the attempt */
        fl_time d = fl_dist_sample(s->process, &s->rng);
        if (s->slow != 1)
            d = (fl_time)((double)d * s->slow);
        s->rq_start = now;
        fl_sim_at(sim, now + (d < FL_MS ? FL_MS : d), s->h_retry, 1);
        return;
    }
    retry_entry e = s->rq[s->rq_head++];
    s->rq_len--;
    if (fl_broker_msg_poison(s->b, e.part, e.off)) {
        s->failed_attempts++;
        record(s, s->nmembers, e.part, e.off, s->rq_start, FL_OP_FAIL);
        if (++e.attempts < (uint32_t)s->topic_attempts)
            enqueue_retry(s, e.part, e.off, e.attempts);
        else if (s->dead_letter)
            dead_letter(s, s->nmembers, e.part, e.off, false);
        else
            s->skipped++;
    } else {
        processed_ok(s, s->nmembers, e.part, e.off, s->rq_start, false);
    }
    s->rq_busy = false;
    if (s->rq_len) {
        s->rq_busy = true;
        fl_time due = s->rq[s->rq_head].due;
        fl_sim_at(sim, due > now ? due : now, s->h_retry, 0);
    }
}

/* The broker appended to partition pi (or went down or up). */
static void on_append(void *ctx, uint32_t pi)
{
    consumer *s = ctx;
    fl_world *w = s->w;
    fl_time now = fl_sim_now(w->sim);
    cpart *p = &s->p[pi];
    uint64_t l = lag(s, pi);
    if (l > p->lag_max)
        p->lag_max = l;
    fl_series_add(w->series, p->col_lag, now, (double)l);
    recheck(s, pi);
    if (p->owner != FL_NONE && s->m[p->owner].state == M_IDLE)
        member_poll(s, p->owner);
}

/* ---- configuration ---------------------------------------------------------------------- */

static fl_status read_on_error(consumer *s, const cJSON *cfg, const char *path, fl_error *e)
{
    const cJSON *oe = cJSON_GetObjectItemCaseSensitive(cfg, "on_error");
    if (!oe)
        return FL_OK;
    char p[256], rp[300];
    fl_cfg_join(p, sizeof p, path, "on_error");
    fl_status st;
    if ((st = fl_cfg_object(oe, p, e)) ||
        (st = fl_kind_sub_keys(&fl_consumer_ops, "on_error", oe, p, e)) ||
        (st = fl_kind_int(s->c, "on_error.retries", oe, p, FL_CFG_OPTIONAL, 0, &s->retries, e)) ||
        (st = fl_kind_duration(s->c, "on_error.backoff", oe, p, FL_CFG_OPTIONAL, 0, &s->backoff,
                               e)) ||
        (st = fl_cfg_bool(oe, p, "dead_letter", FL_CFG_OPTIONAL, false, &s->dead_letter, e)))
        return st;
    s->has_on_error = true;
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(oe, "retry_topic");
    if (rt) {
        fl_cfg_join(rp, sizeof rp, p, "retry_topic");
        if ((st = fl_cfg_object(rt, rp, e)) ||
            (st = fl_kind_sub_keys(&fl_consumer_ops, "on_error.retry_topic", rt, rp, e)) ||
            (st = fl_kind_duration(s->c, "on_error.retry_topic.delay", rt, rp, FL_CFG_OPTIONAL,
                                   30 * FL_SEC, &s->topic_delay, e)) ||
            (st = fl_kind_int(s->c, "on_error.retry_topic.attempts", rt, rp, FL_CFG_OPTIONAL, 3,
                              &s->topic_attempts, e)))
            return st;
        s->has_retry_topic = true;
    }
    return FL_OK;
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    consumer *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->state = s;
    s->w = w;
    s->c = c;
    s->slow = 1;
    snprintf(s->path, sizeof s->path, "%s", path);
    long members;
    int reb, delivery;
    char kp[256];
    if ((st = fl_cfg_enum(cfg, path, "delivery", FL_CFG_OPTIONAL, 0, delivery_kinds, &delivery,
                          e)))
        return st;
    const char *const *other = delivery ? log_only_keys : queue_only_keys;
    for (int i = 0; other[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(cfg, other[i]))
            return fl_error_set(e, FL_INVALID, fl_cfg_join(kp, sizeof kp, path, other[i]),
                                "only \"delivery\": \"%s\" uses this key (this consumer's "
                                "delivery is \"%s\")", delivery ? "log" : "queue",
                                delivery_kinds[delivery]);
    if (delivery == 1) {
        if ((st = fl_cfg_string(cfg, path, "broker", FL_CFG_REQUIRED, NULL, &s->broker_name, e)) ||
            (st = fl_kind_int(c, "members", cfg, path, FL_CFG_OPTIONAL, 1, &members, e)) ||
            (st = fl_cfg_dist(cfg, path, "process", FL_CFG_REQUIRED, NULL, &s->process, e)))
            return st;
        s->nmembers = (uint32_t)members;
        st = fl__cqueue_configure(w, c, cfg, path, s->nmembers, s->process, &s->q, e);
        return s->q ? st : FL_NOMEM;
    }
    if ((st = fl_cfg_string(cfg, path, "broker", FL_CFG_REQUIRED, NULL, &s->broker_name, e)) ||
        (st = fl_kind_int(c, "members", cfg, path, FL_CFG_OPTIONAL, 1, &members, e)) ||
        (st = fl_cfg_dist(cfg, path, "process", FL_CFG_REQUIRED, NULL, &s->process, e)) ||
        (st = fl_kind_int(c, "max_poll_records", cfg, path, FL_CFG_OPTIONAL, 500,
                          &s->max_poll_records, e)) ||
        (st = fl_kind_duration(c, "session_timeout", cfg, path, FL_CFG_OPTIONAL, 45 * FL_SEC,
                               &s->session_timeout, e)) ||
        (st = fl_kind_duration(c, "heartbeat_interval", cfg, path, FL_CFG_OPTIONAL, 3 * FL_SEC,
                               &s->heartbeat, e)) ||
        (st = fl_kind_duration(c, "max_poll_interval", cfg, path, FL_CFG_OPTIONAL, 300 * FL_SEC,
                               &s->max_poll_interval, e)) ||
        (st = fl_cfg_enum(cfg, path, "rebalance", FL_CFG_OPTIONAL, 0, rebalance_kinds, &reb, e)) ||
        (st = fl_kind_duration(c, "rebalance_time", cfg, path, FL_CFG_OPTIONAL, 3 * FL_SEC,
                               &s->rebalance_time, e)) ||
        (st = fl_cfg_bool(cfg, path, "static_membership", FL_CFG_OPTIONAL, false,
                          &s->static_membership, e)) ||
        (st = fl_kind_duration(c, "auto_commit_interval", cfg, path, FL_CFG_OPTIONAL, 0,
                               &s->auto_commit, e)) ||
        (st = fl_kind_duration(c, "restart_delay", cfg, path, FL_CFG_OPTIONAL, 10 * FL_SEC,
                               &s->restart_delay, e)) ||
        (st = read_on_error(s, cfg, path, e)))
        return st;
    if (s->heartbeat >= s->session_timeout) {
        char p[256];
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "heartbeat_interval"),
                            "expected a heartbeat interval shorter than the session timeout "
                            "(Kafka: 3s against 45s)");
    }
    s->cooperative = reb == 1;
    s->nmembers = (uint32_t)members;
    s->m = fl_calloc(s->nmembers, sizeof *s->m);
    if (!s->m)
        return FL_NOMEM;
    for (uint32_t i = 0; i < s->nmembers; i++) {
        s->m[i].state = M_IDLE;
        s->m[i].batch = fl_calloc((size_t)s->max_poll_records, sizeof *s->m[i].batch);
        if (!s->m[i].batch)
            return FL_NOMEM;
    }
    fl_world_stream(w, &s->rng, c->name, "process");
    s->h_done = fl_sim_handler(w->sim, on_done, s);
    s->h_wake = fl_sim_handler(w->sim, on_wake, s);
    s->h_restart = fl_sim_handler(w->sim, on_restart, s);
    s->h_ghost = fl_sim_handler(w->sim, on_ghost, s);
    s->h_sync = fl_sim_handler(w->sim, on_sync, s);
    s->h_poll = fl_sim_handler(w->sim, on_poll_timeout, s);
    s->h_session = fl_sim_handler(w->sim, on_session_lost, s);
    s->h_avail = fl_sim_handler(w->sim, on_available, s);
    s->h_retry = fl_sim_handler(w->sim, on_retry, s);
    if (s->h_retry < 0)
        return FL_NOMEM;
    return fl_world_want_history(w);
}

/* Finds the broker, sizes the partitions and forms the group (range assignment at t=0). */
static fl_status connect(fl_world *w, fl_component *c, fl_error *e)
{
    consumer *s = c->state;
    char p[256];
    fl_cfg_join(p, sizeof p, s->path, "broker");
    uint32_t t;
    fl_status st;
    if ((st = fl_world_find_node(w, s->broker_name, c, &fl_broker_ops, p, &t, e)))
        return st;
    s->b = fl_broker_of(w->comps[t]);
    s->broker_name = NULL;
    s->nparts = fl_broker_partitions(s->b);
    if (s->q)
        return fl__cqueue_connect(s->q, s->b);
    s->p = fl_calloc(s->nparts, sizeof *s->p);
    if (!s->p)
        return FL_NOMEM;
    char col[200];
    for (uint32_t i = 0; i < s->nparts; i++) {
        s->p[i].owner = FL_NONE;
        s->p[i].stall_since = -1;
        snprintf(col, sizeof col, "%s.lag.p%u", c->name, i);
        if ((s->p[i].col_lag = fl_series_column(w->series, col, FL_SERIES_MAX)) < 0)
            return FL_NOMEM;
    }
    snprintf(col, sizeof col, "%s.stalled_partitions", c->name);
    if ((s->col_stalled = fl_series_column(w->series, col, FL_SERIES_LAST)) < 0)
        return FL_NOMEM;
    assign_range(s);
    return fl_broker_subscribe(s->b, on_append, s);
}

/* A consumer group serves no requests: a workload aimed at it is refused. */
static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    (void)c;
    fl_world_reply(w, id, FL_OUT_REFUSED);
}

/* ---- faults, series, report -------------------------------------------------------------- */

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    consumer *s = c->state;
    fl_time now = fl_sim_now(w->sim);
    if (s->q) {
        fl__cqueue_fault(s->q, f, begin);
        return;
    }
    if (f->kind == FL_FAULT_CRASH) {
        if (begin) {
            s->node_down = true;
            for (uint32_t i = 0; i < s->nmembers; i++)
                if (s->m[i].state != M_DOWN)
                    crash(s, i, false);
        } else {
            s->node_down = false;
            for (uint32_t i = 0; i < s->nmembers; i++)
                if (s->m[i].state == M_DOWN)
                    restart(s, i);
        }
    } else if (f->kind == FL_FAULT_SLOW) {
        s->slow = fl_world_slowdown(w, c->index, -1); /* from the next processing on */
    } else if (f->kind == FL_FAULT_PAUSE && begin) {
        /* Heartbeats stop too: a session that runs out during the pause is lost. */
        for (uint32_t i = 0; i < s->nmembers; i++) {
            member *m = &s->m[i];
            if (m->state == M_DOWN || m->fenced)
                continue;
            fl_time last_hb = m->joined_at + (now - m->joined_at) / s->heartbeat * s->heartbeat;
            fl_time exp = last_hb + s->session_timeout;
            if (exp < f->until)
                fl_sim_at(w->sim, exp > now ? exp : now, s->h_session, marg(i, m->gen));
        }
    }
}

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    consumer *s = c->state;
    if (s->q) {
        fl__cqueue_sample(s->q, t);
        return;
    }
    fl_time now = fl_sim_now(w->sim);
    int stalled = 0;
    for (uint32_t i = 0; i < s->nparts; i++) {
        fl_series_add(w->series, s->p[i].col_lag, t, (double)lag(s, i));
        stalled += stalled_now(s, i, now);
    }
    fl_series_add(w->series, s->col_stalled, t, stalled);
}

static void report_messages(fl_world *w, consumer *s, cJSON *out)
{
    size_t nprod = 0, nproc = 0;
    for (uint32_t i = 0; i < s->nparts; i++) {
        cpart *p = &s->p[i];
        nprod += p->committed > p->hi ? p->committed : p->hi;
    }
    size_t nops = fl_history_count(w->history);
    for (size_t k = 0; k < nops; k++) {
        const fl_op *op = fl_history_get(w->history, k);
        nproc += op->kind == FL_OP_PROCESS && op->node == s->c->index &&
                 (op->outcome == FL_OP_OK || op->outcome == FL_OP_INFO);
    }
    uint64_t *prod = fl_malloc((nprod + 1) * sizeof *prod);
    fl_msg_event *ev = fl_malloc((nproc + 1) * sizeof *ev);
    fl_check_result dup, lost;
    if (!prod || !ev) {
        cJSON_AddStringToObject(out, "error", "out of memory while checking messages");
        fl_free(prod);
        fl_free(ev);
        return;
    }
    nprod = 0;
    for (uint32_t i = 0; i < s->nparts; i++) {
        cpart *p = &s->p[i];
        uint64_t h = p->committed > p->hi ? p->committed : p->hi;
        for (uint64_t off = 0; off < h; off++)
            prod[nprod++] = fl_broker_msg_id(s->b, i, off);
    }
    nproc = 0;
    for (size_t k = 0; k < nops; k++) {
        const fl_op *op = fl_history_get(w->history, k);
        if (op->kind == FL_OP_PROCESS && op->node == s->c->index &&
            (op->outcome == FL_OP_OK || op->outcome == FL_OP_INFO))
            ev[nproc++] = (fl_msg_event){op->key, op->client, op->complete};
    }
    if (fl_check_messages(prod, nprod, ev, nproc, &dup, &lost) == FL_OK) {
        fl_world_report_check(out, "duplicates", &dup);
        fl_world_report_check(out, "lost", &lost);
    } else {
        cJSON_AddStringToObject(out, "error", "out of memory while checking messages");
    }
    fl_free(prod);
    fl_free(ev);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    consumer *s = c->state;
    if (s->q) {
        fl__cqueue_report(s->q, out);
        return;
    }
    fl_time now = fl_sim_now(w->sim);
    recheck_all(s); /* closes the stalls still open at the end */
    cJSON_AddNumberToObject(out, "members", s->nmembers);
    cJSON_AddStringToObject(out, "rebalance", rebalance_kinds[s->cooperative]);
    cJSON_AddNumberToObject(out, "rebalances", (double)s->rebalances);
    cJSON_AddNumberToObject(out, "crashes", (double)s->crashes);
    cJSON_AddNumberToObject(out, "restarts", (double)s->restarts);
    cJSON_AddNumberToObject(out, "uncommitted_at_crash", (double)s->uncommitted_at_crash);
    cJSON_AddNumberToObject(out, "dropped_members", (double)s->fenced);
    cJSON_AddNumberToObject(out, "processed", (double)s->processed);
    cJSON_AddNumberToObject(out, "failed_attempts", (double)s->failed_attempts);
    cJSON_AddNumberToObject(out, "dead_lettered", (double)s->dead_lettered);
    cJSON_AddNumberToObject(out, "to_retry_topic", (double)s->to_retry_topic);
    cJSON_AddNumberToObject(out, "skipped", (double)s->skipped);
    uint64_t distinct = 0, lag_max = 0, lag_end = 0, lag_end_max = 0;
    fl_time oldest = 0, st_min = FL_TIME_MAX, st_max = 0;
    cJSON *parts = cJSON_CreateObject();
    double dur_s = fl_time_to_s(now);
    for (uint32_t i = 0; i < s->nparts; i++) {
        cpart *p = &s->p[i];
        fl_time stalled = p->stalled + (p->stall_since >= 0 ? now - p->stall_since : 0);
        uint64_t pub_st = p->published_stalled +
                          (p->stall_since >= 0 ? fl_broker_log_end(s->b, i) - p->stall_mark : 0);
        uint64_t l = lag(s, i), end = fl_broker_log_end(s->b, i);
        for (uint64_t off = 0; off < end && off < p->count_cap; off++)
            distinct += (p->count[off] & ~DLQ_BIT) != 0;
        for (uint64_t off = p->committed; off < end; off++)
            if (off >= p->count_cap || p->count[off] == 0) {
                fl_time age = now - fl_broker_msg_time(s->b, i, off);
                if (age > oldest)
                    oldest = age;
                break;
            }
        lag_max = p->lag_max > lag_max ? p->lag_max : lag_max;
        lag_end += l;
        lag_end_max = l > lag_end_max ? l : lag_end_max;
        st_min = stalled < st_min ? stalled : st_min;
        st_max = stalled > st_max ? stalled : st_max;
        char name[16];
        snprintf(name, sizeof name, "p%u", i);
        cJSON *o = cJSON_AddObjectToObject(parts, name);
        cJSON_AddNumberToObject(o, "committed", (double)p->committed);
        cJSON_AddNumberToObject(o, "lag_end", (double)l);
        cJSON_AddNumberToObject(o, "lag_max", (double)p->lag_max);
        cJSON_AddNumberToObject(o, "stalled_s", fl_time_to_s(stalled));
        cJSON_AddNumberToObject(o, "published_while_stalled", (double)pub_st);
        /* lag at the end against (the partition's mean publish rate x its stalled time) */
        double expect = dur_s > 0 ? (double)end / dur_s * fl_time_to_s(stalled) : 0;
        cJSON_AddNumberToObject(o, "stall_lag_ratio", expect > 0 ? (double)l / expect : 0);
    }
    cJSON_AddNumberToObject(out, "reprocessed", (double)(s->processed - distinct));
    cJSON *lagj = cJSON_AddObjectToObject(out, "lag");
    cJSON_AddNumberToObject(lagj, "max", (double)lag_max);
    cJSON_AddNumberToObject(lagj, "end", (double)lag_end);
    cJSON_AddNumberToObject(lagj, "end_max", (double)lag_end_max);
    cJSON_AddNumberToObject(out, "stalled_s_min", fl_time_to_s(st_min));
    cJSON_AddNumberToObject(out, "stalled_s_max", fl_time_to_s(st_max));
    cJSON_AddNumberToObject(out, "max_delay_s", fl_time_to_s(s->max_delay));
    cJSON_AddNumberToObject(out, "oldest_unprocessed_s", fl_time_to_s(oldest));
    cJSON_AddItemToObject(out, "partitions", parts);
    report_messages(w, s, out);
}

static void destroy(fl_component *c)
{
    consumer *s = c->state;
    if (!s)
        return;
    fl__cqueue_free(s->q);
    for (uint32_t i = 0; s->m && i < s->nmembers; i++)
        fl_free(s->m[i].batch);
    for (uint32_t i = 0; s->p && i < s->nparts; i++)
        fl_free(s->p[i].count);
    fl_free(s->m);
    fl_free(s->p);
    fl_free(s->rq);
    fl_dist_free(s->process);
    fl_free(s);
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"broker", "`broker` name", "", "required", "`\"kafka\"`",
     "", FL_KV_OTHER, FL_NO_BOUNDS},
    {"members", "integer", "", "`1`", "`3`",
     "consumer processes in the group", FL_KV_INTEGER, FL_RANGE(1, 1024)},
    {"process", "distribution", "", "required", "`\"exp(20ms)\"`",
     "per message", FL_KV_OTHER, FL_NO_BOUNDS},
    {"max_poll_records", "integer", "", "`500`", "`100`",
     "", FL_KV_INTEGER, FL_RANGE(1, 1e6)},
    {"session_timeout", "duration", "", "`\"45s\"`", "`\"10s\"`",
     "a crashed member is dropped this long after its last heartbeat",
     FL_KV_DURATION, FL_RANGE(0.001, 3600)},
    {"heartbeat_interval", "duration", "", "`\"3s\"`", "`\"1s\"`",
     "shorter than `session_timeout`", FL_KV_DURATION, FL_RANGE(0.001, 3600)},
    {"max_poll_interval", "duration", "", "`\"300s\"`", "`\"60s\"`",
     "a member longer on one batch is dropped at once (its commit fails; it "
     "rejoins)", FL_KV_DURATION, FL_RANGE(0.001, 86400)},
    {"rebalance", "`\"eager\"` or `\"cooperative\"`", "", "`\"eager\"`", "`\"cooperative\"`",
     "`eager`: every partition stops until the rebalance completes; `cooperative`: "
     "members keep consuming, only moved partitions stop", FL_KV_OTHER, FL_NO_BOUNDS},
    {"rebalance_time", "duration", "", "`\"3s\"`", "`\"5s\"`",
     "from the last join to the completion", FL_KV_DURATION, FL_RANGE(0, 3600)},
    {"static_membership", "boolean", "", "`false`", "`true`",
     "a member restarting within its session timeout takes its place again without "
     "a rebalance", FL_KV_OTHER, FL_NO_BOUNDS},
    {"restart_delay", "duration", "", "`\"10s\"`", "`\"30s\"`",
     "a member crashed by a poison pill restarts after it (a crash fault: when "
     "the fault ends)", FL_KV_DURATION, FL_RANGE(0, 86400)},
    {"auto_commit_interval", "duration", "", "`0`: commit after every batch", "`\"5s\"`",
     "commit at the first poll this long after the previous commit",
     FL_KV_DURATION, FL_RANGE(0, 3600)},
    {"on_error.retries", "integer", "", "`0`", "`3`",
     "a failed message is retried this many more times in place", FL_KV_INTEGER, FL_RANGE(0, 1000)},
    {"on_error.backoff", "duration", "", "`0`", "`\"1s\"`",
     "before each of those retries", FL_KV_DURATION, FL_RANGE(0, 3600)},
    {"on_error.dead_letter", "boolean", "", "`false`", "`true`",
     "after the retries (and the retry topic), dead-letter the message; otherwise "
     "skip it (lost)", FL_KV_OTHER, FL_NO_BOUNDS},
    {"on_error.retry_topic.delay", "duration", "", "`\"30s\"`", "`\"10s\"`",
     "with `retry_topic`, the message is retried again after this while the "
     "partition moves on", FL_KV_DURATION, FL_RANGE(0.001, 86400)},
    {"on_error.retry_topic.attempts", "integer", "", "`3`", "`5`",
     "", FL_KV_INTEGER, FL_RANGE(1, 1000)},
    {"delivery", "`\"log\"` or `\"queue\"`", "", "`\"log\"`", "`\"queue\"`",
     "`log`: a group reading partitions with committed offsets (the keys above); `queue`: "
     "workers receiving messages with a visibility timeout (SQS, Pub/Sub; the keys below)",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"max_messages", "integer", "", "`10`", "`1`",
     "`queue`: messages a worker receives at once (processed one after the other)",
     FL_KV_INTEGER, FL_RANGE(1, 10)},
    {"visibility_timeout", "duration", "", "`\"30s\"`", "`\"60s\"`",
     "`queue`: a received message not deleted within this is visible again (redelivered)",
     FL_KV_DURATION, FL_RANGE(0.001, 43200)},
    {"extend", "duration, shorter than `visibility_timeout`", "", "none", "`\"10s\"`",
     "`queue`: a worker extends the visibility of the messages it holds this often",
     FL_KV_DURATION, FL_RANGE(0.001, 43200)},
    {"max_receive_count", "integer", "", "none", "`5`",
     "`queue`: a message received this many times goes to the dead-letter queue at the "
     "next receive", FL_KV_INTEGER, FL_RANGE(1, 1000)},
    {"idempotent", "boolean", "", "`false`", "`true`",
     "`queue`: a message processed before is deleted without the work", FL_KV_OTHER,
     FL_NO_BOUNDS},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"lag.p*", "messages", "partition N's lag (published, not yet committed)"},
    {"stalled_partitions", "partitions", "partitions making no progress"},
    {"backlog", "messages", "`queue`: published, not yet deleted nor dead-lettered"},
    {"redeliveries_per_s", "/s", "`queue`: receives of a message beyond its first"},
    {"duplicates_per_s", "/s", "`queue`: processings of a message beyond its first success"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_consumer_ops = {
    .kind = "consumer",
    .about = "a consumer group on a broker: poll, process, commit; rebalances and poison pills",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .connect = connect,
    .on_request = on_request,
    .report = report,
    .faults = FL_FAULT_BIT(SLOW) | FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE) |
              FL_FAULT_BIT(CLOCK),
    .fault = fault,
    .sample = sample,
    .destroy = destroy,
};
