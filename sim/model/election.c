/* The `election` component: a replicated register group with automatic failover, whose
 * members live in zones, so that a partition between zones can leave two members taking
 * writes (split brain) and the reconciliation after the heal throws acknowledged writes away.
 *
 *   {"name": "redis", "kind": "election",
 *    "members": [{"name": "n1", "zone": "a"}, {"name": "n2", "zone": "a"},
 *                {"name": "n3", "zone": "b"}],          (or "zones": ["a", "a", "b"])
 *    "primary": "n1", "heartbeat_interval": "1s", "failure_timeout": "5s",
 *    "failover": "observers", "observers": [{"zone": "b"}, {"zone": "b"}, {"zone": "c"}],
 *    "cross_region_promotion": true,
 *    "min_replicas_to_write": 1, "min_replicas_max_lag": "10s"}
 *
 * The node itself has no "zone": its members have one each (default names m1, m2, ...).
 * Keys hold versions (a write carries a new version in its request; a member keeps the
 * highest version it applied to a key). Requests take no service time: the network is the
 * whole story.
 *
 * Clients. A request from a workload is routed from the workload's zone to the member that
 * the clients of THAT zone believe is the primary. Clients learn the primary only from
 * announcements (the primary's heartbeats, sent to every zone), which travel over the
 * network: clients cut off from a new primary's announcements keep using the old one. A
 * request sent over a cut link is lost (the client times out); its answer travels back
 * over the network too. A member takes a write only while it is accepting writes (it
 * believes it is the primary, and the rules below allow it); otherwise it answers
 * "refused" (Redis's READONLY/NOREPLICAS). Any member answers reads from what it holds,
 * except with "quorum", where only a leader holding its lease answers, with the newest
 * committed version.
 *
 * Messages between members (heartbeats, acks, replication, syncs) go through the
 * network model (world.h, fl_world_peer_send): the node link between the two members
 * ("redis/0" -> "redis/2") when the scenario names one, else their zones' link, so a
 * partition of member pairs, partial ones included, cuts exactly those pairs; messages to
 * observers and to the clients of a zone travel between zones.
 *
 * Replication is asynchronous: every write the primary takes is shipped to each replica in
 * order, one message per write (a message lost to a cut stalls the stream, which reconnects
 * every 100 ms and resends from the first write not delivered: after the heal the replica
 * catches up). A member that starts following a primary (at the start of a term, or after
 * the heal) first makes a full sync: it becomes an exact copy of the primary's data, and the
 * writes it held that the primary does not are discarded ("reconciliation": this is where
 * a demoted primary's unreplicated writes vanish).
 *
 * Timing: the group ticks on the node's clock; each member stamps heartbeats, counts
 * contact, times its lease and election timeout on its own (the node's unless a clock fault
 * named the member: election_int.h mlocal), observers on the node's. Every heartbeat_interval each
 * primary sends a heartbeat to every member, observer and zone; replicas answer with an ack
 * (their replication position). A member or observer suspects the primary after
 * failure_timeout without a heartbeat from it, checked at its next heartbeat tick.
 *
 * failover (one policy table each: election_classic.c, election_quorum.c)
 *   "none"       nobody is ever promoted.
 *   "naive"      a replica that suspects its primary promotes itself (term + 1). Two
 *                primaries of one term: the lower member index wins when they hear each other.
 *   "observers"  Sentinel/Orchestrator: an observer that suspects the primary and reaches
 *                a majority of all observers that also suspect it (reachability: no cut
 *                link either way) elects the most up-to-date member it can reach (the
 *                longest history, newest term first) and tells it to promote itself with
 *                the next term (one message). Observers are read with any failover, and
 *                used only by this one (so a variant can switch the failover).
 *   "quorum"     Raft-like: a write is acknowledged only when a majority of members (the
 *                leader included) applied it. A leader holds a lease: the heartbeat send
 *                time acknowledged by a majority, plus failure_timeout; when it runs out the
 *                leader steps down and refuses writes. A member that suspects the leader
 *                asks for votes: a member that can reach it grants one per term, only when
 *                it has not heard from a leader for failure_timeout itself and the candidate
 *                is at least as up to date; a majority elects it (the votes are counted at
 *                once, over the member pairs whose links are up both ways: vote messages
 *                take no time). A member
 *                follows a leader of a higher term only; the old term's stream is dropped.
 *                So two members never accept writes at once and no acknowledged write is lost.
 *   "raft"       quorum's commit rule, majority lease and availability, with Raft's terms
 *                and votes as etcd implements them (election_raft.c): randomised election
 *                timeouts in [failure_timeout, 2 x failure_timeout), a candidate raises its
 *                term and every member it reaches moves to it (a leader steps down), so a
 *                member that cannot hear the leader disrupts it; the options "pre_vote",
 *                "check_quorum", "reads" (leader, lease, read_index) and "failover_cost"
 *                (the new leader takes no request for this long) decide how much. No
 *                acknowledged write is lost either way; a deposed leader may serve stale reads.
 * cross_region_promotion  false: never promote a member outside the old primary's zone
 *                (GitHub's fix after 21 Oct 2018).
 * min_replicas_to_write N, min_replicas_max_lag D  (Redis): the primary refuses writes while
 *                fewer than N replicas have acked within D (re-checked at every heartbeat
 *                tick and every ack, as Redis does once a second).
 *
 * Faults on the node: "crash" takes the member that is primary when it begins down (no
 * heartbeats, requests refused, messages lost); when it restarts it rejoins (and is demoted
 * if someone else was promoted meanwhile). "pause" stops that member (a GC pause): the
 * messages and requests sent to it wait until it resumes; it sends no heartbeat, ships
 * nothing, votes for nobody, is promoted by nobody and takes no write meanwhile; it resumes
 * believing what it believed (a primary takes writes again, with "quorum" only if its
 * lease has not run out) and reads what waited, in the order it arrived. "redis/2" names
 * member 2 (in the order of "members") for either fault instead of the primary. Slow is
 * refused: requests take no service time here.
 *
 * Report (nodes.<name>): failover, failovers (promotions after the start), stepdowns,
 * writes_accepted, writes_acked (acknowledged by a member), writes_refused, reads_served,
 * requests_lost (sent over a cut link), reconciliations (syncs that threw writes away),
 * discarded_by_members (writes thrown away, summed over members), writes_discarded (distinct
 * writes some member accepted that the surviving history lacks), lost_writes (check: acknowledged writes
 * missing from the surviving primary's history), split_brain (check: time with two or more
 * members accepting writes; "seconds"), divergence (check: keys on which the members that
 * believed they were primary disagreed at the end of a partition; the worst heal),
 * unavailable_s (time during which some zone's clients had no primary accepting their
 * writes that they could reach; with "quorum", one that also reaches a majority) and unavailable_s_by_zone,
 * writes_acked_by_zone (by the client's zone; "-": workloads without one),
 * writes_acked_by_member_zone (by the acknowledging member's zone), and per member its zone, role and term at the end, writes accepted/acked/refused, reads,
 * discarded writes, promotions and accepting_s. Counts cover the whole run, like the
 * history checks. With "raft" also: pre_vote, check_quorum, reads, failover_cost_s,
 * leader_changes (promotions after the start, each costing failover_cost), elections (term
 * increments), prevotes_lost, disruptions (leaders deposed by a higher term), leaderless_s
 * (time with no member accepting writes), stale_reads (reads answered with a version older
 * than the newest committed) and reads_refused; with "degraded_reads": "stale" also
 * reads_served_degraded, degraded_stale_reads (of them, older than the newest committed) and
 * reads_unavailable_s (time some zone's clients could have no read answered). Series: "<name>.primary.<member>" (1 while
 * it believes it is primary) and "<name>.writes.<member>" (writes accepted per second). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/keymap.h"
#include "core/cfg.h"
#include "model/caller.h"
#include "model/election_int.h"

static const char *const member_keys[] = {"name", "zone", NULL};
static const char *const observer_keys[] = {"zone", NULL};
static const char *const failover_names[] = {"none", "naive", "observers", "quorum", "raft",
                                             NULL};
static const char *const read_names[] = {"leader", "lease", "read_index", NULL};

static void at_member(election *s, int mi, uint32_t id);

/* ---- key table (core/keymap.h) ---------------------------------------------------- */

static uint32_t key_row(election *s, uint64_t key)
{
    uint32_t r = key_find(s, key);
    if (r != FL_NONE)
        return r;
    /* Two arrays of rows_cap rows: the capacity moves once both have grown. */
    size_t vcap = s->rows_cap, ccap = s->rows_cap;
    int64_t *v = fl__grow(s->w->sim, s->ver, &vcap, s->nrows + 1, (size_t)s->nm * sizeof *v, 32);
    if (!v)
        return FL_NONE;
    s->ver = v;
    int64_t *cv = fl__grow(s->w->sim, s->cver, &ccap, s->nrows + 1, sizeof *cv, 32);
    if (!cv)
        return FL_NONE;
    s->cver = cv;
    if (s->cmv) {
        size_t mcap = s->rows_cap;
        int64_t *mv = fl__grow(s->w->sim, s->cmv, &mcap, s->nrows + 1,
                               (size_t)s->nm * sizeof *mv, 32);
        if (!mv)
            return FL_NONE;
        s->cmv = mv;
    }
    s->rows_cap = vcap;
    r = (uint32_t)s->nrows++;
    for (int m = 0; m < s->nm; m++)
        s->ver[(size_t)r * (size_t)s->nm + (size_t)m] = FL_VALUE_NONE;
    for (int m = 0; s->cmv && m < s->nm; m++)
        s->cmv[(size_t)r * (size_t)s->nm + (size_t)m] = FL_VALUE_NONE;
    s->cver[r] = FL_VALUE_NONE;
    if (fl_keymap_put(&s->keys, key, r) != 0) {
        s->nrows--; /* the row goes unused */
        return FL_NONE;
    }
    return r;
}

/* ---- writes and histories ----------------------------------------------------------- */

/* A new write record; FL_NONE when out of memory. Grows every member's bitset. */
static uint32_t write_new(election *s)
{
    wrec *n = fl__grow(s->w->sim, s->wr, &s->wrcap, s->nwr + 1, sizeof *n, 1024);
    if (!n)
        return FL_NONE;
    s->wr = n;
    if (s->nwr == s->words * 64) {
        size_t words = s->words * 2;
        for (int i = 0; i < s->nm; i++) {
            uint64_t *h = fl_realloc(s->m[i].have, words * sizeof *h);
            if (!h)
                return FL_NONE;
            memset(h + s->words, 0, (words - s->words) * sizeof *h);
            s->m[i].have = h;
        }
        s->words = words;
    }
    return (uint32_t)s->nwr++;
}

static void apply(election *s, int mi, uint32_t wid)
{
    member *m = &s->m[mi];
    const wrec *x = &s->wr[wid];
    m->have[wid / 64] |= 1ull << (wid % 64);
    int64_t *v = ver_at(s, x->row, mi);
    if (x->version > *v)
        *v = x->version;
    m->lterm = x->term;
    m->len++;
}

/* ---- messages ----------------------------------------------------------------------- */

static uint32_t msg_new(election *s)
{
    uint32_t id;
    msg *n = fl__pool_take(s->w->sim, &s->msgs_pool, s->msgs, sizeof *n, offsetof(msg, next),
                           256, &id);
    if (n)
        s->msgs = n;
    return id;
}

/* Schedules a copy of t for delivery after d (counted as out of memory when it cannot). */
static void post(election *s, const msg *t, fl_time d)
{
    fl_world *w = s->w;
    uint32_t id = msg_new(s);
    if (id == FL_NONE) {
        s->oom++;
        return;
    }
    s->msgs[id] = *t;
    fl_sim_at(w->sim, fl_sim_now(w->sim) + d, s->h_msg, id);
}

/* Sends t (from a member, or a PROMOTE from an observer) to its addressee on the network
 * model (world services): member to member on their pair's link, the rest between zones.
 * These are datagrams the network may copy (the replication stream, which it never copies,
 * goes through ship): each is handled twice harmlessly (a heartbeat, an ack, a sync or a
 * promotion of a term already known changes nothing the second time). */
void fl__election_send(election *s, const msg *t)
{
    fl_world *w = s->w;
    fl_time copy, d;
    if (t->type != MSG_PROMOTE && t->to_kind == TO_MEMBER) {
        d = fl_world_peer_send(w, peer(s, t->from), peer(s, t->to), &copy);
    } else {
        int za = t->type == MSG_PROMOTE ? s->o[t->from].zone : s->m[t->from].zone;
        int zb = t->to_kind == TO_MEMBER     ? s->m[t->to].zone
                 : t->to_kind == TO_OBSERVER ? s->o[t->to].zone
                                             : (int)t->to - 1;
        d = fl_world_zone_send(w, za, zb, &copy);
    }
    if (d < 0)
        return;
    post(s, t, d);
    if (copy >= 0)
        post(s, t, copy);
}

static void send_heartbeats(election *s, int p, fl_time now)
{
    member *mp = &s->m[p];
    msg t = {.type = MSG_HB, .from = (uint16_t)p, .term = mp->term, .hb = mlocal(s, p, now)};
    t.to_kind = TO_MEMBER;
    for (int r = 0; r < s->nm; r++)
        if (r != p) {
            t.to = (uint16_t)r;
            fl__election_send(s, &t);
        }
    t.to_kind = TO_OBSERVER;
    for (int o = 0; o < s->no; o++) {
        t.to = (uint16_t)o;
        fl__election_send(s, &t);
    }
    t.to_kind = TO_ZONE;
    for (int z = 0; z < s->nz; z++) {
        t.to = (uint16_t)z;
        fl__election_send(s, &t);
    }
}

void fl__election_send_ack(election *s, int r, fl_time hb)
{
    member *m = &s->m[r];
    if (m->bprim < 0 || m->bprim == r)
        return;
    msg t = {.type = MSG_ACK, .to_kind = TO_MEMBER, .from = (uint16_t)r,
             .to = (uint16_t)m->bprim, .term = m->bterm, .hb = hb, .idx = m->arrived,
             .flag = m->synced};
    fl__election_send(s, &t);
}

static void send_sync_req(election *s, int r)
{
    member *m = &s->m[r];
    msg t = {.type = MSG_SYNC_REQ, .to_kind = TO_MEMBER, .from = (uint16_t)r,
             .to = (uint16_t)m->bprim, .term = m->bterm, .gen = m->gen};
    fl__election_send(s, &t);
}

typedef struct repl_ctx {
    election *s;
    msg t;
} repl_ctx;

/* Posts log entry seq of a replication message (replication.h). */
static bool post_repl(void *ctx, uint64_t seq, fl_time at)
{
    repl_ctx *x = ctx;
    election *s = x->s;
    uint32_t id = msg_new(s);
    if (id == FL_NONE) {
        s->oom++;
        return false;
    }
    s->msgs[id] = x->t;
    s->msgs[id].idx = seq;
    fl_sim_at(s->w->sim, at, s->h_msg, id);
    return true;
}

/* Ships primary p's log to follower r, in order, until a message is lost: the stream then
 * reconnects after FL_REPL_RETRY. */
static void ship(election *s, int p, int r)
{
    member *mp = &s->m[p], *mr = &s->m[r];
    if (mr->stream.stalled || mr->down || !mr->synced || mr->bprim != p)
        return;
    fl_world *w = s->w;
    repl_ctx x = {s, {.type = MSG_REPL, .to_kind = TO_MEMBER, .from = (uint16_t)p,
                      .to = (uint16_t)r, .term = mp->term, .gen = mr->gen,
                      .hb = mlocal(s, p, fl_sim_now(w->sim))}};
    if (!fl_repl_ship(w, &mr->stream, peer(s, p), peer(s, r), mp->nlog, post_repl, &x))
        fl_sim_after(w->sim, FL_REPL_RETRY, s->h_retry, (mr->gen << 8) | (uint64_t)r);
}

static void on_retry(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    election *s = ctx;
    int r = (int)(arg & 0xff);
    member *m = &s->m[r];
    if (m->gen != arg >> 8 || !m->stream.stalled)
        return;
    if (m->bprim >= 0 && fl_sim_now(sim) < s->m[m->bprim].paused_until) {
        fl_sim_at(sim, s->m[m->bprim].paused_until, s->h_retry, arg); /* its primary is stopped */
        return;
    }
    m->stream.stalled = false;
    if (m->bprim >= 0 && m->bprim != r && s->m[m->bprim].primary && !s->m[m->bprim].down)
        ship(s, m->bprim, r);
}

/* ---- availability and accepting intervals ------------------------------------------- */

/* The member zone z's clients (index z + 1) send reads to: their leader; with raft's
 * "degraded_reads", when it is down or unknown, the first member up that the zone reaches
 * (its client tries the other endpoints it knows). -1: none. */
static int read_target(const election *s, int z)
{
    int p = s->zprim[z];
    if (!s->degraded || (p >= 0 && !s->m[p].down))
        return p;
    for (int i = 0; i < s->nm; i++)
        if (!s->m[i].down && reach_zm(s, z - 1, i))
            return i;
    return -1;
}

/* Adds the time since the last call to the zones that were unavailable, then re-decides.
 * Unavailable means no write can be taken; with degraded reads a zone whose read target
 * is up and reachable still has its reads answered (read_unavail counts only when not). */
static void avail_update(election *s, fl_time now)
{
    fl_time d = now - s->avail_t;
    bool any = false, rany = false;
    for (int z = 0; z < s->nz; z++)
        if (s->zseen[z] && s->zdown[z]) {
            s->zunavail[z] += d;
            any = true;
            int r = s->degraded ? read_target(s, z) : -1;
            rany = rany || r < 0 || !reach_zm(s, z - 1, r);
        }
    if (any)
        s->any_unavail += d;
    if (rany)
        s->read_unavail += d;
    s->avail_t = now;
    for (int z = 0; z < s->nz; z++) {
        int p = s->zprim[z];
        s->zdown[z] = p < 0 || !s->m[p].writable || !reach_zm(s, z - 1, p);
        if (!s->zdown[z] && s->pol->available)
            s->zdown[z] = !s->pol->available(s, p);
    }
}

static void on_avail(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    avail_update(ctx, fl_sim_now(sim));
}

static void set_accepting(election *s, int p, bool on, fl_time t)
{
    member *m = &s->m[p];
    if (on == m->writable)
        return;
    m->writable = on;
    fl_time now = fl_sim_now(s->w->sim);
    if (on && s->nwritable++ == 0 && now > s->leaderless_t)
        s->leaderless += now - s->leaderless_t;
    if (!on && --s->nwritable == 0)
        s->leaderless_t = now;
    if (on) {
        m->acc_start = t;
    } else {
        if (t < m->acc_start)
            t = m->acc_start;
        if (t > m->acc_start) {
            fl_leader_interval *n =
                fl__grow(s->w->sim, s->iv, &s->ivcap, s->niv + 1, sizeof *n, 16);
            if (!n) {
                s->oom++;
                goto done;
            }
            s->iv = n;
            s->iv[s->niv++] = (fl_leader_interval){(uint32_t)p, 0, m->acc_start, t};
            m->accepting += t - m->acc_start;
        }
    }
done:
    avail_update(s, fl_sim_now(s->w->sim));
}

/* ---- roles -------------------------------------------------------------------------- */

void fl__election_member_reply(election *s, int mi, uint32_t id, fl_outcome o);

/* p stops being primary; its accepting interval ends at `end`. */
void fl__election_step_down(election *s, int p, fl_time now, fl_time end)
{
    member *m = &s->m[p];
    set_accepting(s, p, false, end);
    m->primary = false;
    m->home = p;
    for (uint64_t i = m->commit; i < m->nlog; i++) /* never committed: refused */
        if (m->pend[i] != FL_NONE) {
            uint32_t id = m->pend[i];
            m->pend[i] = FL_NONE;
            fl__election_member_reply(s, p, id, FL_OUT_REFUSED);
        }
    m->commit = m->nlog;
    m->gen++;
    s->stepdowns++;
    fl_world_event(s->w, now, s->c->name, "demotion", "%s steps down (term %lld)", m->name,
                   (long long)m->term);
}

/* r starts following primary p of term t: a full sync comes first. */
void fl__election_follow(election *s, int r, int p, int64_t t, fl_time now)
{
    member *m = &s->m[r];
    m->bprim = p;
    m->bterm = t;
    m->home = p;
    if (t > m->term)
        m->term = t;
    m->synced = false;
    m->stream.stalled = false;
    m->gen++;
    m->last_hb = mlocal(s, r, now);
    send_sync_req(s, r);
}

/* p becomes primary of term t. Members in `contact` count as heard from now (quorum
 * votes; every replica at the start). */
void fl__election_become_primary(election *s, int p, int64_t t, fl_time now, uint64_t contact,
                           bool counted)
{
    member *m = &s->m[p];
    fl_time l = mlocal(s, p, now);
    m->primary = true;
    m->term = t;
    m->bprim = p;
    m->bterm = t;
    m->home = p;
    m->synced = true;
    m->stream.stalled = false;
    m->gen++;
    m->commit = m->nlog;
    for (int r = 0; r < s->nm; r++) {
        bool c = (contact >> r) & 1;
        m->acked[r] = 0;
        m->ack_hb[r] = c ? l : NEVER;
        m->ack_at[r] = c ? l : NEVER;
    }
    if (s->pol->promoted)
        s->pol->promoted(s, p);
    if (counted) {
        s->failovers++;
        m->promotions++;
        fl_world_event(s->w, now, s->c->name, "promotion", "%s promoted (term %lld)", m->name,
                       (long long)t);
    }
    fl__election_eval(s, p, now);
    send_heartbeats(s, p, now);
}

void fl__election_eval(election *s, int p, fl_time now)
{
    member *m = &s->m[p];
    bool on = m->primary && !m->down;
    if (on && s->pol->lease) {
        fl_time lease = s->pol->lease(s, p, now);
        if (mlocal(s, p, now) >= lease) { /* the lease ran out: step down */
            fl_time end = mtrue_of(s, p, lease); /* a wall clock may have reached it earlier */
            fl__election_step_down(s, p, now, end < now ? end : now);
            m->bprim = -1;
            m->bterm = m->term;
            m->last_hb = mlocal(s, p, now);
            return;
        }
    }
    if (on && now < m->warm_until) /* raft: its clients are still reconnecting */
        on = false;
    if (on && s->min_replicas > 0) {
        fl_time l = mlocal(s, p, now);
        long good = 0;
        for (int r = 0; r < s->nm; r++)
            if (r != p && m->ack_at[r] > NEVER && l - m->ack_at[r] <= s->max_lag)
                good++;
        on = good >= s->min_replicas;
    }
    set_accepting(s, p, on, now);
}

/* Member mi acknowledges write request id: counted by the client's zone (the zone whose
 * application was told "written") and by the member's. */
void fl__election_count_ack(election *s, int mi, uint32_t id)
{
    fl_world *w = s->w;
    s->m[mi].acks++;
    s->zacked[fl_caller_zone(w->callers[fl_req_at(w, id)->caller]) + 1]++;
    s->mzacked[s->m[mi].zone + 1]++;
}

/* ---- the full sync (reconciliation) ------------------------------------------------- */

static uint64_t popcount64(uint64_t x)
{
    uint64_t n = 0;
    while (x) {
        x &= x - 1;
        n++;
    }
    return n;
}

static void do_sync(election *s, int r, int p, fl_time now, fl_time hb)
{
    member *mr = &s->m[r], *mp = &s->m[p];
    uint64_t lost = 0;
    for (size_t i = 0; i < s->words; i++)
        lost += popcount64(mr->have[i] & ~mp->have[i]);
    if (lost) {
        s->reconciliations++;
        s->discarded += lost;
        mr->discarded += lost;
        fl_world_event(s->w, now, s->c->name, "reconciliation",
                       "%s resyncs from %s: %llu writes it held discarded", mr->name,
                       mp->name, (unsigned long long)lost);
    }
    memcpy(mr->have, mp->have, s->words * sizeof *mr->have);
    for (size_t row = 0; row < s->nrows; row++)
        *ver_at(s, (uint32_t)row, r) = *ver_at(s, (uint32_t)row, p);
    mr->lterm = mp->lterm;
    mr->len = mp->len;
    mr->arrived = mr->stream.shipped = mp->nlog;
    mr->synced = true;
    mr->stream.stalled = false;
    mr->stream.last_delivery = now;
    if (mp->term > mr->term)
        mr->term = mp->term;
    mr->last_hb = mlocal(s, r, now);
    fl__election_send_ack(s, r, hb);
}

/* ---- message handling --------------------------------------------------------------- */

static void member_hb(election *s, int r, const msg *g, fl_time now)
{
    member *m = &s->m[r];
    if (better(g->term, g->from, m->bterm, m->bprim) && !(g->from == r)) {
        if (m->primary)
            fl__election_step_down(s, r, now, now);
        fl__election_follow(s, r, g->from, g->term, now);
    }
    if (m->bprim == g->from && m->bterm == g->term) {
        m->last_hb = mlocal(s, r, now);
        fl__election_send_ack(s, r, g->hb);
    }
}

static void on_msg(fl_sim *sim, void *ctx, uint64_t arg)
{
    election *s = ctx;
    fl_time now = fl_sim_now(sim);
    if (s->msgs[arg].to_kind == TO_MEMBER && now < s->m[s->msgs[arg].to].paused_until) {
        /* stopped: it reads the message when it resumes */
        fl_sim_at(sim, s->m[s->msgs[arg].to].paused_until, s->h_msg, arg);
        return;
    }
    msg g = s->msgs[arg];
    fl__pool_put(&s->msgs_pool, s->msgs, sizeof *s->msgs, offsetof(msg, next), (uint32_t)arg);
    if (g.to_kind == TO_ZONE) {
        if (g.type == MSG_HB && better(g.term, g.from, s->zterm[g.to], s->zprim[g.to]) &&
            s->zprim[g.to] != g.from) {
            s->zprim[g.to] = g.from;
            s->zterm[g.to] = g.term;
            avail_update(s, now);
        } else if (g.type == MSG_HB && s->zprim[g.to] == g.from && g.term > s->zterm[g.to]) {
            s->zterm[g.to] = g.term;
        }
        return;
    }
    if (g.to_kind == TO_OBSERVER) {
        observer *o = &s->o[g.to];
        if (better(g.term, g.from, o->bterm, o->bprim)) {
            o->bprim = g.from;
            o->bterm = g.term;
        }
        if (o->bprim == g.from && o->bterm == g.term)
            o->last_hb = local(s, now);
        return;
    }
    int r = g.to;
    member *m = &s->m[r];
    if (m->down)
        return; /* a crashed member hears nothing */
    switch (g.type) {
    case MSG_HB:
        member_hb(s, r, &g, now);
        break;
    case MSG_ACK:
        if (m->primary && g.term == m->term) {
            fl_time l = mlocal(s, r, now);
            m->ack_at[g.from] = l;
            if (g.hb > m->ack_hb[g.from])
                m->ack_hb[g.from] = g.hb;
            if (g.flag && g.idx > m->acked[g.from])
                m->acked[g.from] = g.idx;
            if (s->pol->acked)
                s->pol->acked(s, r);
            fl__election_eval(s, r, now);
        }
        break;
    case MSG_REPL:
        if (m->gen == g.gen && m->synced && m->bprim == g.from && g.idx == m->arrived) {
            apply(s, r, s->m[g.from].log[g.idx]);
            m->arrived++;
            if (s->pol->replicated)
                s->pol->replicated(s, r, &g, now);
        }
        break;
    case MSG_SYNC_REQ:
        if (m->primary) {
            msg t = {.type = MSG_SYNC_DATA, .to_kind = TO_MEMBER, .from = (uint16_t)r,
                     .to = g.from, .term = m->term, .gen = g.gen, .hb = mlocal(s, r, now)};
            fl__election_send(s, &t);
        }
        break;
    case MSG_SYNC_DATA:
        if (m->gen == g.gen && !m->synced && m->bprim == g.from && s->m[g.from].primary &&
            !s->m[g.from].down)
            do_sync(s, r, g.from, now, g.hb);
        break;
    case MSG_PROMOTE:
        if (better(g.term, r, m->bterm, m->bprim)) {
            if (m->primary) { /* already primary: it only learns the new term */
                m->term = m->bterm = g.term;
            } else {
                fl__election_become_primary(s, r, g.term, now, 0, true);
            }
        }
        break;
    default:
        break;
    }
}

/* ---- the tick ------------------------------------------------------------------------ */

/* The failover policies, in the order of failover_names. */
static const policy *const policies[] = {&fl__election_none, &fl__election_naive,
                                         &fl__election_observers, &fl__election_quorum,
                                         &fl__election_raft};

/* raft: a new leader's warm-up (failover_cost) ends: it takes requests again. */
static void on_warm(fl_sim *sim, void *ctx, uint64_t arg)
{
    election *s = ctx;
    int p = (int)arg;
    if (s->m[p].primary && !out(s, p))
        fl__election_eval(s, p, fl_sim_now(sim));
}

static void on_tick(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    election *s = ctx;
    fl_time now = fl_sim_now(sim);
    for (int p = 0; p < s->nm; p++) {
        member *m = &s->m[p];
        if (!m->primary || out(s, p))
            continue;
        fl__election_eval(s, p, now);
        if (m->primary)
            send_heartbeats(s, p, now);
    }
    for (int r = 0; r < s->nm; r++) {
        member *m = &s->m[r];
        if (!m->primary && !out(s, r) && m->bprim >= 0 && !m->synced)
            send_sync_req(s, r);
    }
    if (s->pol->detect)
        s->pol->detect(s, now);
    avail_update(s, now);
    fl_time next = fl_host_after(&s->c->host, now, s->hb);
    if (next < s->w->duration)
        fl_sim_at(sim, next, s->h_tick, 0);
}

/* Divergence at the end of a partition: the members that believe they are primary. */
static void on_heal(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    election *s = ctx;
    s->heals++;
    int heads[MAX_MEMBERS], n = 0;
    for (int p = 0; p < s->nm; p++)
        if (s->m[p].primary && !s->m[p].down)
            heads[n++] = p;
    if ((uint64_t)n > s->primaries_at_heal)
        s->primaries_at_heal = (uint64_t)n;
    fl_world_event(s->w, fl_sim_now(sim), s->c->name, "heal", "partition heals: %d primar%s",
                   n, n == 1 ? "y" : "ies");
    if (n < 2)
        return;
    fl_kv *kv = fl_malloc((s->nrows + 1) * (size_t)n * sizeof *kv);
    uint64_t *keys = fl_malloc((s->nrows + 1) * sizeof *keys);
    fl_replica_state st[MAX_MEMBERS];
    if (!kv || !keys) {
        fl_free(kv);
        fl_free(keys);
        s->oom++;
        return;
    }
    for (size_t i = 0; i < s->keys.cap; i++) /* row -> key */
        if (s->keys.rows[i] != FL_KEYMAP_NONE)
            keys[s->keys.rows[i]] = s->keys.keys[i];
    for (int i = 0; i < n; i++) {
        fl_kv *e = kv + (size_t)i * (s->nrows + 1);
        size_t k = 0;
        for (size_t row = 0; row < s->nrows; row++) {
            int64_t v = *ver_at(s, (uint32_t)row, heads[i]);
            if (v != FL_VALUE_NONE)
                e[k++] = (fl_kv){keys[row], v};
        }
        st[i] = (fl_replica_state){e, k};
    }
    fl_check_result res;
    if (fl_check_divergence(st, (size_t)n, &res) == FL_OK) {
        for (size_t i = 0; i < res.nexamples; i++)
            res.examples[i].t0 = res.examples[i].t1 = fl_sim_now(sim);
        if (res.count >= s->div.count)
            s->div = res;
    } else {
        s->oom++;
    }
    fl_free(keys);
    fl_free(kv);
}

/* At time 0: re-decide availability at every link fault's edges, and look at the data at
 * every partition's end. */
static void on_start(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)arg;
    election *s = ctx;
    fl_world *w = s->w;
    for (uint32_t i = 0; i < w->nfaults; i++) {
        const fl_fault *f = &w->faults[i];
        if (f->kind != FL_FAULT_PARTITION && f->kind != FL_FAULT_FLAKY)
            continue;
        fl_sim_at(sim, f->at, s->h_avail, 0);
        if (f->until < w->duration) {
            fl_sim_at(sim, f->until, s->h_avail, 0);
            if (f->kind == FL_FAULT_PARTITION)
                fl_sim_at(sim, f->until, s->h_heal, 0);
        }
    }
    s->crashed = fl_malloc(((size_t)w->nfaults + 1) * sizeof *s->crashed);
    if (s->crashed) {
        s->ncrashed = w->nfaults;
        for (uint32_t i = 0; i < w->nfaults; i++)
            s->crashed[i] = -1;
    } else {
        s->oom++;
    }
}

/* ---- requests ----------------------------------------------------------------------- */

static void on_reply(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    election *s = ctx;
    fl_world_reply(s->w, (uint32_t)arg, (fl_outcome)(arg >> 32));
}

/* Member mi answers request id: the answer travels back to the client's zone. */
void fl__election_member_reply(election *s, int mi, uint32_t id, fl_outcome o)
{
    fl_world *w = s->w;
    int cz = fl_caller_zone(w->callers[fl_req_at(w, id)->caller]);
    fl_time d = fl_world_zone_send(w, s->m[mi].zone, cz, NULL); /* the request's own path */
    if (d < 0) {
        fl_req_server_done(w, id); /* the answer is lost: the client times out */
        s->lost_in_net++;
    } else if (d == 0) {
        fl_world_reply(w, id, o);
    } else {
        fl_sim_after(w->sim, d, s->h_reply, ((uint64_t)o << 32) | id);
    }
}

static void on_req(fl_sim *sim, void *ctx, uint64_t arg)
{
    (void)sim;
    at_member(ctx, (int)(arg >> 32), (uint32_t)arg);
}

static void accept_write(election *s, int p, uint32_t id, fl_time now)
{
    fl_world *w = s->w;
    member *m = &s->m[p];
    fl_req *q = fl_req_at(w, id);
    uint32_t row = key_row(s, q->key);
    uint32_t wid = row == FL_NONE ? FL_NONE : write_new(s);
    if (wid != FL_NONE && m->nlog == m->logcap) {
        /* Two arrays of logcap entries: the capacity moves once both have grown. */
        size_t lcap = m->logcap, pcap = m->logcap;
        uint32_t *l = fl__grow(w->sim, m->log, &lcap, m->nlog + 1, sizeof *l, 256);
        if (l)
            m->log = l;
        uint32_t *pd = l ? fl__grow(w->sim, m->pend, &pcap, m->nlog + 1, sizeof *pd, 256) : NULL;
        if (pd)
            m->pend = pd;
        if (l && pd)
            m->logcap = lcap;
        else
            wid = FL_NONE;
    }
    if (wid == FL_NONE) { /* out of memory: refuse rather than lie */
        s->oom++;
        fl__election_member_reply(s, p, id, FL_OUT_REJECTED);
        return;
    }
    q = fl_req_at(w, id);
    s->wr[wid] = (wrec){q->key, q->value, m->term, row, (uint32_t)p};
    apply(s, p, wid);
    m->log[m->nlog] = wid;
    m->pend[m->nlog] = FL_NONE;
    m->nlog++;
    m->accepted++;
    fl_series_add(w->series, m->col_writes, now, 1);
    for (int r = 0; r < s->nm; r++)
        if (r != p)
            ship(s, p, r);
    s->pol->appended(s, p, id);
}

static void at_member(election *s, int mi, uint32_t id)
{
    fl_world *w = s->w;
    fl_time now = fl_sim_now(w->sim);
    member *m = &s->m[mi];
    fl_req *q = fl_req_at(w, id);
    if (!m->down && now < m->paused_until) { /* stopped: it reads the request on resume */
        fl_sim_at(w->sim, m->paused_until, s->h_req, ((uint64_t)mi << 32) | id);
        return;
    }
    if (m->down) {
        m->refused++;
        fl__election_member_reply(s, mi, id, FL_OUT_REFUSED);
        return;
    }
    if (m->primary && s->pol->lease)
        fl__election_eval(s, mi, now); /* the lease may have run out since the last tick */
    if (q->verb == FL_VERB_READ) {
        if (!s->pol->read(s, mi, q->key, &q->value)) {
            m->refused++;
            fl__election_member_reply(s, mi, id, FL_OUT_REFUSED);
            return;
        }
        m->reads++;
        fl__election_member_reply(s, mi, id, FL_OUT_OK);
        return;
    }
    if (!m->writable) {
        m->refused++;
        fl__election_member_reply(s, mi, id, FL_OUT_REFUSED);
        return;
    }
    accept_write(s, mi, id, now);
}

/* A request reaches the group: its zone's clients send it to the primary they believe in. */
static void on_request(fl_world *w, fl_component *c, uint32_t id)
{
    election *s = c->state;
    fl_time now = fl_sim_now(w->sim);
    int cz = fl_caller_zone(w->callers[fl_req_at(w, id)->caller]);
    int zi = cz + 1;
    if (!s->zseen[zi]) {
        avail_update(s, now);
        s->zseen[zi] = 1;
    }
    int p = fl_req_at(w, id)->verb == FL_VERB_READ ? read_target(s, zi) : s->zprim[zi];
    if (p < 0) {
        fl_world_reply(w, id, FL_OUT_REFUSED);
        return;
    }
    fl_time d = fl_world_zone_send(w, cz, s->m[p].zone, NULL); /* the request's own path */
    if (d < 0) {
        fl_req_server_done(w, id); /* cut: the client times out */
        s->lost_in_net++;
    } else if (d == 0) {
        at_member(s, p, id);
    } else {
        fl_sim_after(w->sim, d, s->h_req, ((uint64_t)p << 32) | id);
    }
}

/* ---- faults --------------------------------------------------------------------------- */

static uint32_t members(const fl_component *c, const char **noun)
{
    const election *s = c->state;
    *noun = "member";
    return (uint32_t)s->nm;
}

static int member_zone(const fl_component *c, uint32_t m)
{
    const election *s = c->state;
    return s->m[m].zone;
}

static void fault(fl_world *w, fl_component *c, const fl_fault *f, bool begin)
{
    election *s = c->state;
    if (!s->crashed)
        return;
    uint32_t fi = (uint32_t)(f - w->faults);
    if (fi >= s->ncrashed)
        return;
    fl_time now = fl_sim_now(w->sim);
    if (begin) {
        int p = f->member >= 0 && !s->m[f->member].down ? f->member : -1;
        for (int i = 0; f->member < 0 && i < s->nm; i++)
            if (s->m[i].primary && !s->m[i].down &&
                (p < 0 || better(s->m[i].term, i, s->m[p].term, p)))
                p = i;
        if (p < 0)
            return;
        s->crashed[fi] = p;
        member *m = &s->m[p];
        if (f->kind == FL_FAULT_PAUSE) { /* stopped: it takes no write until it resumes */
            if (f->until > m->paused_until)
                m->paused_until = f->until;
            set_accepting(s, p, false, now);
            return;
        }
        m->down = true;
        set_accepting(s, p, false, now);
        for (uint64_t i = m->commit; i < m->nlog; i++) /* in flight: no answer, ever */
            if (m->pend[i] != FL_NONE) {
                fl_req_server_done(w, m->pend[i]);
                m->pend[i] = FL_NONE;
            }
        m->commit = m->nlog;
    } else if (s->crashed[fi] >= 0 && f->kind == FL_FAULT_PAUSE) {
        int p = s->crashed[fi];
        member *m = &s->m[p];
        if (m->down || now < m->paused_until)
            return; /* crashed meanwhile, or another pause still holds it */
        /* It resumes believing what it believed: a primary takes writes again (with
         * "quorum" only if its lease, counted on its clock, has not run out meanwhile) until
         * it reads, among the messages held during the pause, that it was replaced. */
        if (m->primary)
            fl__election_eval(s, p, now);
        avail_update(s, now);
    } else if (s->crashed[fi] >= 0) {
        int p = s->crashed[fi];
        member *m = &s->m[p];
        m->down = false;
        m->last_hb = mlocal(s, p, now);
        if (m->primary) {
            /* it still believes it is primary: its replicas' streams restart from a sync */
            for (int r = 0; r < s->nm; r++)
                if (s->m[r].bprim == p && r != p) {
                    s->m[r].synced = false;
                    s->m[r].gen++;
                }
            fl__election_eval(s, p, now);
        } else if (m->bprim >= 0) {
            /* a replica (a fault naming it): the stream it missed while down has a gap, so
             * it starts over from a full sync */
            m->synced = false;
            m->gen++;
            send_sync_req(s, p);
        }
    }
}

/* ---- configuration ------------------------------------------------------------------ */

/* The raft options: refused with any other failover (they would change nothing there). */
static fl_status read_raft(fl_world *w, election *s, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    static const char *const keys[] = {"pre_vote", "check_quorum", "reads", "failover_cost",
                                       "lease_margin", "timers", "degraded_reads", NULL};
    static const char *const timer_names[] = {"monotonic", "wall", NULL};
    static const char *const degraded_names[] = {"none", "stale", NULL};
    int timers = 0, degraded = 0;
    char p[300];
    fl_status st;
    if (s->failover != FO_RAFT) {
        for (int i = 0; keys[i]; i++)
            if (cJSON_GetObjectItemCaseSensitive(cfg, keys[i]))
                return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, keys[i]),
                                    "only \"failover\": \"raft\" reads this option (failover "
                                    "is \"%s\")", failover_names[s->failover]);
        return FL_OK;
    }
    if ((st = fl_cfg_bool(cfg, path, "pre_vote", FL_CFG_OPTIONAL, false, &s->pre_vote, e)) ||
        (st = fl_cfg_bool(cfg, path, "check_quorum", FL_CFG_OPTIONAL, false, &s->check_quorum,
                          e)) ||
        (st = fl_cfg_enum(cfg, path, "reads", FL_CFG_OPTIONAL, READ_LEADER, read_names,
                          &s->reads, e)) ||
        (st = fl_kind_duration(s->c, "failover_cost", cfg, path, FL_CFG_OPTIONAL, 0,
                               &s->failover_cost, e)) ||
        (st = fl_kind_duration(s->c, "lease_margin", cfg, path, FL_CFG_OPTIONAL, 0,
                               &s->lease_cut, e)) ||
        (st = fl_cfg_enum(cfg, path, "timers", FL_CFG_OPTIONAL, 0, timer_names, &timers, e)) ||
        (st = fl_cfg_enum(cfg, path, "degraded_reads", FL_CFG_OPTIONAL, 0, degraded_names,
                          &degraded, e)))
        return st;
    s->wall_timers = timers == 1;
    s->degraded = degraded == 1;
    if (s->lease_cut && s->reads != READ_LEASE)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "lease_margin"),
                            "lease_margin shortens lease reads only: it needs \"reads\": "
                            "\"lease\" (reads is \"%s\")", read_names[s->reads]);
    if (s->lease_cut >= s->ft)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "lease_margin"),
                            "expected less than failure_timeout (a margin of all of it leaves "
                            "no lease: use \"reads\": \"read_index\")");
    fl_world_stream(w, &s->rng, s->c->name, "election_timeout");
    return FL_OK;
}

static fl_status zone_index(fl_world *w, const char *name, const char *path, int *out,
                            fl_error *e)
{
    for (int z = 0; z < w->nzones; z++)
        if (strcmp(w->zones[z], name) == 0) {
            *out = z;
            return FL_OK;
        }
    return fl_error_set(e, FL_UNKNOWN, path, "unknown zone \"%s\" (declare it in \"zones\")",
                        name);
}

static fl_status read_members(fl_world *w, election *s, const cJSON *cfg, const char *path,
                              fl_error *e)
{
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(cfg, "members");
    const cJSON *zs = cJSON_GetObjectItemCaseSensitive(cfg, "zones");
    char p[300], ip[320], kp[340];
    fl_status st;
    if (mem && zs)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "zones"),
                            "give either \"members\" or \"zones\", not both");
    const cJSON *arr = mem ? mem : zs;
    fl_cfg_join(p, sizeof p, path, mem ? "members" : "zones");
    if (!arr)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "members"),
                            "missing; expected an array of members such as [{\"name\": \"n1\", "
                            "\"zone\": \"east\"}, {\"name\": \"n2\", \"zone\": \"west\"}] (or "
                            "\"zones\": [\"east\", \"west\"])");
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1 ||
        cJSON_GetArraySize(arr) > MAX_MEMBERS) {
        char got[64];
        fl_cfg_describe(arr, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p, "expected an array of 1 to %d %s, got %s",
                            MAX_MEMBERS, mem ? "members" : "zone names", got);
    }
    s->nm = cJSON_GetArraySize(arr);
    s->m = fl_calloc((size_t)s->nm, sizeof *s->m);
    if (!s->m)
        return FL_NOMEM;
    int i = 0;
    for (const cJSON *x = arr->child; x; x = x->next, i++) {
        member *m = &s->m[i];
        fl_cfg_index(ip, sizeof ip, p, i);
        const char *name = NULL, *zone = NULL;
        if (mem) {
            if ((st = fl_cfg_object(x, ip, e)) ||
                (st = fl_cfg_known_keys(x, ip, member_keys, e)) ||
                (st = fl_cfg_name(x, ip, "name", FL_CFG_OPTIONAL, &name, e)) ||
                (st = fl_cfg_string(x, ip, "zone", FL_CFG_REQUIRED, NULL, &zone, e)))
                return st;
            fl_cfg_join(kp, sizeof kp, ip, "zone");
        } else {
            if (!cJSON_IsString(x)) {
                char got[64];
                fl_cfg_describe(x, got, sizeof got);
                return fl_error_set(e, FL_INVALID, ip, "expected a zone name, got %s", got);
            }
            zone = x->valuestring;
            snprintf(kp, sizeof kp, "%s", ip);
        }
        if ((st = zone_index(w, zone, kp, &m->zone, e)))
            return st;
        char def[16];
        snprintf(def, sizeof def, "m%d", i + 1);
        for (int j = 0; j < i; j++)
            if (strcmp(s->m[j].name, name ? name : def) == 0)
                return fl_error_set(e, FL_INVALID, fl_cfg_join(kp, sizeof kp, ip, "name"),
                                    "duplicate member name \"%s\"", name ? name : def);
        if (!(m->name = fl_strdup(name ? name : def)))
            return FL_NOMEM;
    }
    return FL_OK;
}

static fl_status read_observers(fl_world *w, election *s, const cJSON *cfg, const char *path,
                                fl_error *e)
{
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(cfg, "observers");
    char p[300], ip[320], kp[340];
    fl_status st;
    fl_cfg_join(p, sizeof p, path, "observers");
    if (!obs && !s->pol->observers)
        return FL_OK; /* observers are only used by "observers" (a variant may switch) */
    if (!obs)
        return fl_error_set(e, FL_INVALID, p, "missing; \"failover\": \"observers\" needs "
                                              "observers such as [{\"zone\": \"east\"}, "
                                              "{\"zone\": \"west\"}, {\"zone\": \"cloud\"}]");
    if (!cJSON_IsArray(obs) || cJSON_GetArraySize(obs) < 1 ||
        cJSON_GetArraySize(obs) > MAX_OBSERVERS) {
        char got[64];
        fl_cfg_describe(obs, got, sizeof got);
        return fl_error_set(e, FL_INVALID, p, "expected an array of 1 to %d observers such as "
                                              "{\"zone\": \"west\"}, got %s", MAX_OBSERVERS, got);
    }
    s->no = cJSON_GetArraySize(obs);
    s->o = fl_calloc((size_t)s->no, sizeof *s->o);
    if (!s->o)
        return FL_NOMEM;
    int i = 0;
    for (const cJSON *x = obs->child; x; x = x->next, i++) {
        const char *zone;
        fl_cfg_index(ip, sizeof ip, p, i);
        if ((st = fl_cfg_object(x, ip, e)) || (st = fl_cfg_known_keys(x, ip, observer_keys, e)) ||
            (st = fl_cfg_string(x, ip, "zone", FL_CFG_REQUIRED, NULL, &zone, e)) ||
            (st = zone_index(w, zone, fl_cfg_join(kp, sizeof kp, ip, "zone"), &s->o[i].zone, e)))
            return st;
    }
    return FL_OK;
}

static fl_status configure(fl_world *w, fl_component *c, const cJSON *cfg, const char *path,
                           fl_error *e)
{
    fl_status st;
    char p[300];
    if (c->zone >= 0)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "zone"),
                            "an election group takes no zone: each member has its own "
                            "(\"members\": [{\"name\": \"n1\", \"zone\": \"east\"}, ...])");
    election *s = fl_calloc(1, sizeof *s);
    if (!s)
        return FL_NOMEM;
    c->state = s;
    s->w = w;
    s->c = c;
    const char *primary;
    if ((st = read_members(w, s, cfg, path, e)) ||
        (st = fl_cfg_string(cfg, path, "primary", FL_CFG_OPTIONAL, s->m[0].name, &primary, e)) ||
        (st = fl_kind_duration(c, "heartbeat_interval", cfg, path, FL_CFG_OPTIONAL, FL_SEC, &s->hb,
                               e)) ||
        (st = fl_kind_duration(c, "failure_timeout", cfg, path, FL_CFG_OPTIONAL, 5 * FL_SEC, &s->ft,
                               e)) ||
        (st = fl_cfg_enum(cfg, path, "failover", FL_CFG_OPTIONAL, FO_NONE, failover_names,
                          &s->failover, e)) ||
        !(s->pol = policies[s->failover]) ||
        (st = fl_cfg_bool(cfg, path, "cross_region_promotion", FL_CFG_OPTIONAL, true,
                          &s->cross_region, e)) ||
        (st = fl_kind_int_max(c, "min_replicas_to_write", cfg, path, FL_CFG_OPTIONAL, 0, s->nm - 1,
                              &s->min_replicas, e)) ||
        (st = fl_kind_duration(c, "min_replicas_max_lag", cfg, path, FL_CFG_OPTIONAL, 10 * FL_SEC,
                               &s->max_lag, e)) ||
        (st = read_observers(w, s, cfg, path, e)) || (st = read_raft(w, s, cfg, path, e)))
        return st;
    if (s->ft <= s->hb)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "failure_timeout"),
                            "expected a failure timeout longer than the heartbeat interval "
                            "(%g s), or every heartbeat gap looks like a failure",
                            fl_time_to_s(s->hb));
    if (!s->min_replicas && cJSON_GetObjectItemCaseSensitive(cfg, "min_replicas_max_lag"))
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "min_replicas_max_lag"),
                            "only \"min_replicas_to_write\" of at least 1 uses a lag bound");
    if (s->min_replicas && s->pol->majority)
        return fl_error_set(e, FL_INVALID, fl_cfg_join(p, sizeof p, path, "min_replicas_to_write"),
                            "\"quorum\" already waits for a majority; min_replicas_to_write is "
                            "for asynchronous failover");
    for (s->initial = 0; s->initial < s->nm && strcmp(s->m[s->initial].name, primary) != 0;
         s->initial++)
        ;
    if (s->initial == s->nm) {
        const char *names[MAX_MEMBERS + 1];
        for (int i = 0; i < s->nm; i++)
            names[i] = s->m[i].name;
        names[s->nm] = NULL;
        const char *sug = fl_cfg_suggest(primary, names);
        return fl_error_set(e, FL_UNKNOWN, fl_cfg_join(p, sizeof p, path, "primary"),
                            "no member named \"%s\"%s%s%s", primary, sug ? " (did you mean \"" : "",
                            sug ? sug : "", sug ? "\"?)" : "");
    }
    if ((st = fl_world_want_history(w)))
        return st;

    s->nz = w->nzones + 1;
    s->zprim = fl_calloc((size_t)s->nz, sizeof *s->zprim);
    s->zterm = fl_calloc((size_t)s->nz, sizeof *s->zterm);
    s->zseen = fl_calloc((size_t)s->nz, 1);
    s->zdown = fl_calloc((size_t)s->nz, 1);
    s->zunavail = fl_calloc((size_t)s->nz, sizeof *s->zunavail);
    s->zacked = fl_calloc((size_t)s->nz, sizeof *s->zacked);
    s->mzacked = fl_calloc((size_t)s->nz, sizeof *s->mzacked);
    s->msgs_pool = (fl_pool)FL_POOL_INIT;
    size_t msgcap = 0;
    s->msgs = fl__grow(NULL, NULL, &msgcap, 256, sizeof *s->msgs, 256);
    s->msgs_pool.cap = (uint32_t)msgcap;
    s->wrcap = 1024;
    s->words = 16;
    s->wr = fl_malloc(s->wrcap * sizeof *s->wr);
    s->rows_cap = 32;
    int km = fl_keymap_init(&s->keys, 64);
    s->ver = fl_malloc(s->rows_cap * (size_t)s->nm * sizeof *s->ver);
    s->cver = fl_malloc(s->rows_cap * sizeof *s->cver);
    s->ivcap = 16;
    s->iv = fl_malloc(s->ivcap * sizeof *s->iv);
    if (!s->zprim || !s->zterm || !s->zseen || !s->zdown || !s->zunavail || !s->zacked || !s->mzacked ||
        !s->msgs || !s->wr || km != 0 || !s->ver || !s->cver || !s->iv)
        return FL_NOMEM;
    char col[240];
    for (int i = 0; i < s->nm; i++) {
        member *m = &s->m[i];
        m->logcap = 256;
        m->log = fl_malloc(m->logcap * sizeof *m->log);
        m->pend = fl_malloc(m->logcap * sizeof *m->pend);
        m->have = fl_calloc(s->words, sizeof *m->have);
        if (!m->log || !m->pend || !m->have)
            return FL_NOMEM;
        snprintf(col, sizeof col, "%s.primary.%s", c->name, m->name);
        m->col_primary = fl_series_column(w->series, col, FL_SERIES_LAST);
        snprintf(col, sizeof col, "%s.writes.%s", c->name, m->name);
        m->col_writes = fl_series_column(w->series, col, FL_SERIES_RATE);
        if (m->col_primary < 0 || m->col_writes < 0)
            return FL_NOMEM;
    }
    s->h_start = fl_sim_handler(w->sim, on_start, s);
    s->h_tick = fl_sim_handler(w->sim, on_tick, s);
    s->h_msg = fl_sim_handler(w->sim, on_msg, s);
    s->h_req = fl_sim_handler(w->sim, on_req, s);
    s->h_reply = fl_sim_handler(w->sim, on_reply, s);
    s->h_retry = fl_sim_handler(w->sim, on_retry, s);
    s->h_heal = fl_sim_handler(w->sim, on_heal, s);
    s->h_avail = fl_sim_handler(w->sim, on_avail, s);
    if (s->h_avail < 0)
        return FL_NOMEM;
    if (s->failover == FO_RAFT) { /* only raft registers more (the other policies' event
                                     hashes stay what they were) */
        if ((s->h_warm = fl_sim_handler(w->sim, on_warm, s)) < 0)
            return FL_NOMEM;
        s->cmv = fl_malloc(s->rows_cap * (size_t)s->nm * sizeof *s->cmv);
        if (!s->cmv)
            return FL_NOMEM;
        for (int i = 0; i < s->nm; i++)
            fl__election_raft_timer(s, i);
    }

    /* The start: the primary with every replica in sync, everyone knowing it (term 1). */
    for (int i = 0; i < s->nm; i++) {
        member *m = &s->m[i];
        m->term = m->bterm = 1;
        m->bprim = m->home = s->initial;
        m->synced = true;
        m->lterm = 0;
    }
    for (int i = 0; i < s->no; i++)
        s->o[i] = (observer){s->o[i].zone, s->initial, 1, 0};
    for (int z = 0; z < s->nz; z++) {
        s->zprim[z] = s->initial;
        s->zterm[z] = 1;
    }
    member *pm = &s->m[s->initial];
    pm->primary = true;
    pm->writable = true;
    s->nwritable = 1;
    pm->acc_start = 0;
    for (int r = 0; r < s->nm; r++)
        pm->ack_hb[r] = pm->ack_at[r] = 0;
    if ((st = fl_sim_at(w->sim, 0, s->h_start, 0)) || (st = fl_sim_at(w->sim, 0, s->h_tick, 0)))
        return st;
    return FL_OK;
}

/* ---- series, report ----------------------------------------------------------------- */

static void sample(fl_world *w, fl_component *c, fl_time t)
{
    election *s = c->state;
    for (int i = 0; i < s->nm; i++)
        fl_series_add(w->series, s->m[i].col_primary, t,
                      s->m[i].primary && !s->m[i].down ? 1 : 0);
}

/* The member whose history survives: the newest primary (or the most up-to-date member). */
static int survivor(const election *s)
{
    int best = -1;
    for (int i = 0; i < s->nm; i++)
        if (s->m[i].primary && !s->m[i].down &&
            (best < 0 || better(s->m[i].term, i, s->m[best].term, best)))
            best = i;
    if (best >= 0)
        return best;
    for (int i = 0; i < s->nm; i++)
        if (best < 0 || (up_to_date(&s->m[i], &s->m[best]) && !up_to_date(&s->m[best], &s->m[i])))
            best = i;
    return best;
}

/* Acknowledged writes against the surviving member's history. */
static void report_lost(election *s, int surv, cJSON *out)
{
    const member *m = &s->m[surv];
    size_t n = 0;
    for (size_t i = 0; i < s->words; i++)
        n += popcount64(m->have[i]);
    fl_kv *a = fl_malloc((n + 1) * sizeof *a);
    if (!a) {
        cJSON_AddStringToObject(out, "lost_writes_error", "out of memory");
        return;
    }
    size_t k = 0;
    for (size_t wid = 0; wid < s->nwr; wid++)
        if ((m->have[wid / 64] >> (wid % 64)) & 1)
            a[k++] = (fl_kv){s->wr[wid].key, s->wr[wid].version};
    fl_repl_report_lost(s->w, a, k, out);
    fl_free(a);
}

static void report(fl_world *w, fl_component *c, cJSON *out)
{
    election *s = c->state;
    fl_time now = fl_sim_now(w->sim);
    /* close the open accepting intervals and the availability ledger */
    avail_update(s, now);
    fl_time leaderless = s->leaderless + (s->nwritable == 0 ? now - s->leaderless_t : 0);
    for (int i = 0; i < s->nm; i++)
        set_accepting(s, i, false, now);
    cJSON_AddStringToObject(out, "failover", failover_names[s->failover]);
    cJSON_AddNumberToObject(out, "members", s->nm);
    cJSON_AddNumberToObject(out, "observers", s->no);
    cJSON_AddBoolToObject(out, "cross_region_promotion", s->cross_region);
    cJSON_AddNumberToObject(out, "min_replicas_to_write", (double)s->min_replicas);
    if (s->failover == FO_RAFT) {
        cJSON_AddBoolToObject(out, "pre_vote", s->pre_vote);
        cJSON_AddBoolToObject(out, "check_quorum", s->check_quorum);
        cJSON_AddStringToObject(out, "reads", read_names[s->reads]);
        cJSON_AddNumberToObject(out, "failover_cost_s", fl_time_to_s(s->failover_cost));
        /* absent when unset: earlier runs' summaries stay as they were */
        if (s->lease_cut)
            cJSON_AddNumberToObject(out, "lease_margin_s", fl_time_to_s(s->lease_cut));
        if (s->wall_timers)
            cJSON_AddStringToObject(out, "timers", "wall");
        cJSON_AddNumberToObject(out, "leader_changes", (double)s->failovers);
        cJSON_AddNumberToObject(out, "elections", (double)s->elections);
        cJSON_AddNumberToObject(out, "prevotes_lost", (double)s->prevotes_lost);
        cJSON_AddNumberToObject(out, "disruptions", (double)s->disruptions);
        cJSON_AddNumberToObject(out, "leaderless_s", fl_time_to_s(leaderless));
        cJSON_AddNumberToObject(out, "stale_reads", (double)s->stale_reads);
        cJSON_AddNumberToObject(out, "reads_refused", (double)s->reads_refused);
        if (s->degraded) { /* absent when unset: earlier runs' summaries stay as they were */
            cJSON_AddStringToObject(out, "degraded_reads", "stale");
            cJSON_AddNumberToObject(out, "reads_served_degraded", (double)s->degraded_reads);
            cJSON_AddNumberToObject(out, "degraded_stale_reads", (double)s->degraded_stale);
            cJSON_AddNumberToObject(out, "reads_unavailable_s", fl_time_to_s(s->read_unavail));
        }
    }
    uint64_t acc = 0, acks = 0, ref = 0, reads = 0;
    int primaries = 0;
    for (int i = 0; i < s->nm; i++) {
        acc += s->m[i].accepted;
        acks += s->m[i].acks;
        ref += s->m[i].refused;
        reads += s->m[i].reads;
        primaries += s->m[i].primary && !s->m[i].down;
    }
    int surv = survivor(s);
    cJSON_AddNumberToObject(out, "failovers", (double)s->failovers);
    cJSON_AddNumberToObject(out, "stepdowns", (double)s->stepdowns);
    cJSON_AddStringToObject(out, "primary_at_end", s->m[surv].name);
    cJSON_AddNumberToObject(out, "primaries_at_end", primaries);
    cJSON_AddNumberToObject(out, "term_at_end", (double)s->m[surv].term);
    cJSON_AddNumberToObject(out, "writes_accepted", (double)acc);
    cJSON_AddNumberToObject(out, "writes_acked", (double)acks);
    cJSON_AddNumberToObject(out, "writes_refused", (double)ref);
    cJSON_AddNumberToObject(out, "reads_served", (double)reads);
    cJSON_AddNumberToObject(out, "requests_lost", (double)s->lost_in_net);
    cJSON_AddNumberToObject(out, "reconciliations", (double)s->reconciliations);
    cJSON_AddNumberToObject(out, "discarded_by_members", (double)s->discarded);
    uint64_t kept = 0;
    for (size_t i = 0; i < s->words; i++)
        kept += popcount64(s->m[surv].have[i]);
    cJSON_AddNumberToObject(out, "writes_discarded", (double)(s->nwr - kept));
    cJSON_AddNumberToObject(out, "heals", (double)s->heals);
    cJSON_AddNumberToObject(out, "primaries_at_heal", (double)s->primaries_at_heal);
    cJSON_AddNumberToObject(out, "unavailable_s", fl_time_to_s(s->any_unavail));
    cJSON *uz = cJSON_AddObjectToObject(out, "unavailable_s_by_zone");
    cJSON *az = cJSON_AddObjectToObject(out, "writes_acked_by_zone");
    cJSON *amz = cJSON_AddObjectToObject(out, "writes_acked_by_member_zone");
    for (int z = 0; z < s->nz; z++) {
        const char *zn = z ? w->zones[z - 1] : "-";
        if (s->zseen[z])
            cJSON_AddNumberToObject(uz, zn, fl_time_to_s(s->zunavail[z]));
        if (s->zseen[z]) /* every zone whose clients wrote, 0 included */
            cJSON_AddNumberToObject(az, zn, (double)s->zacked[z]);
        bool members = false; /* every zone holding a member, 0 included */
        for (int i = 0; i < s->nm && !members; i++)
            members = s->m[i].zone + 1 == z;
        if (members)
            cJSON_AddNumberToObject(amz, zn, (double)s->mzacked[z]);
    }
    if (s->oom)
        cJSON_AddNumberToObject(out, "out_of_memory_events", (double)s->oom);
    cJSON *ms = cJSON_AddObjectToObject(out, "by_member");
    for (int i = 0; i < s->nm; i++) {
        member *m = &s->m[i];
        cJSON *o = cJSON_AddObjectToObject(ms, m->name);
        cJSON_AddStringToObject(o, "zone", w->zones[m->zone]);
        cJSON_AddStringToObject(o, "role", m->down ? "down" : m->primary ? "primary" : "replica");
        cJSON_AddNumberToObject(o, "term", (double)m->term);
        cJSON_AddNumberToObject(o, "writes_accepted", (double)m->accepted);
        cJSON_AddNumberToObject(o, "writes_acked", (double)m->acks);
        cJSON_AddNumberToObject(o, "writes_refused", (double)m->refused);
        cJSON_AddNumberToObject(o, "reads_served", (double)m->reads);
        cJSON_AddNumberToObject(o, "discarded_writes", (double)m->discarded);
        cJSON_AddNumberToObject(o, "promotions", (double)m->promotions);
        cJSON_AddNumberToObject(o, "accepting_s", fl_time_to_s(m->accepting));
    }
    report_lost(s, surv, out);
    fl_check_result sb;
    if (fl_check_split_brain(s->iv, s->niv, &sb) == FL_OK)
        fl_world_report_time_check(out, "split_brain", &sb);
    else
        cJSON_AddStringToObject(out, "split_brain_error", "out of memory");
    /* the seconds are reported even when zero, so expectations can name them */
    cJSON *sbo = cJSON_GetObjectItemCaseSensitive(out, "split_brain");
    if (sbo && !cJSON_GetObjectItemCaseSensitive(sbo, "seconds"))
        cJSON_AddNumberToObject(sbo, "seconds", 0);
    fl_world_report_check(out, "divergence", &s->div);
}

static void destroy(fl_component *c)
{
    election *s = c->state;
    if (!s)
        return;
    for (int i = 0; s->m && i < s->nm; i++) {
        fl_free(s->m[i].name);
        fl_free(s->m[i].log);
        fl_free(s->m[i].pend);
        fl_free(s->m[i].have);
    }
    fl_free(s->m);
    fl_free(s->o);
    fl_free(s->zprim);
    fl_free(s->zterm);
    fl_free(s->zseen);
    fl_free(s->zdown);
    fl_free(s->zunavail);
    fl_free(s->zacked);
    fl_free(s->mzacked);
    fl_free(s->msgs);
    fl_free(s->wr);
    fl_keymap_free(&s->keys);
    fl_free(s->ver);
    fl_free(s->cver);
    fl_free(s->cmv);
    fl_free(s->iv);
    fl_free(s->crashed);
    fl_free(s);
}

/* The kind's descriptor (world.h): its keys, as scenarios/README.md shows them, and its
 * time-series columns. */
static const fl_kind_param kind_params[] = {
    {"members", "array of `{\"name\": s, \"zone\": z}`", "", "required (or `zones`)",
     "`[{\"name\": \"n1\", \"zone\": \"east\"}, {\"name\": \"n2\", \"zone\": \"west\"}]`",
     "1 to 32 members; names default to `m1`, `m2`, ...", FL_KV_OTHER, FL_NO_BOUNDS},
    {"zones", "array of zone names", "", "", "`[\"east\", \"east\", \"west\"]`",
     "instead of `members`: one member per entry, default names", FL_KV_OTHER, FL_NO_BOUNDS},
    {"primary", "member name", "", "the first member", "`\"n1\"`",
     "the primary at time 0", FL_KV_OTHER, FL_NO_BOUNDS},
    {"heartbeat_interval", "duration", "", "`\"1s\"`", "`\"1s\"`",
     "", FL_KV_DURATION, FL_RANGE(0.001, 3600)},
    {"failure_timeout", "duration", "", "`\"5s\"`", "`\"10s\"`",
     "longer than `heartbeat_interval`: a member or observer suspects the "
     "primary after this long without a heartbeat (checked at its next tick)",
     FL_KV_DURATION, FL_RANGE(0.001, 3600)},
    {"failover", "`\"none\"`, `\"naive\"`, `\"observers\"`, `\"quorum\"`, `\"raft\"`", "",
     "`\"none\"`",
     "`\"observers\"`",
     "`naive`: a replica that suspects its primary promotes itself; `observers`: a "
     "majority of observers that suspect it and reach each other elect the most up-to-date "
     "member they reach (Sentinel, Orchestrator); `quorum`: Raft-like, a write is acknowledged "
     "when a majority applied it, the leader holds a lease of `failure_timeout`, elections by "
     "votes; `raft`: quorum's commit rule with Raft's terms, randomised election timeouts "
     "(`failure_timeout` to twice that) and the options below", FL_KV_OTHER, FL_NO_BOUNDS},
    {"pre_vote", "boolean", "", "`false`", "`true`",
     "`raft` only: a candidate first asks whether the members it reaches would vote; only a "
     "majority of yeses lets it raise its term", FL_KV_OTHER, FL_NO_BOUNDS},
    {"check_quorum", "boolean", "", "`false`", "`true`",
     "`raft` only: a leader steps down when it has not heard a majority within "
     "`failure_timeout`, and a member that heard from a leader within it ignores vote "
     "requests", FL_KV_OTHER, FL_NO_BOUNDS},
    {"reads", "`\"leader\"`, `\"lease\"`, `\"read_index\"`", "", "`\"leader\"`",
     "`\"read_index\"`",
     "`raft` only: who answers reads: any member that believes it leads (a deposed one "
     "answers stale values), a leader within its majority lease (on its clock), or a leader "
     "that confirms a majority still follows it", FL_KV_OTHER, FL_NO_BOUNDS},
    {"lease_margin", "duration", "", "`\"0s\"`", "`\"200ms\"`",
     "`raft` with `reads` `\"lease\"` only, less than `failure_timeout`: the clock error lease "
     "reads allow for; they end this long before the majority lease (on the leader's clock). "
     "Safe while every clock's error stays within it: for drift d, 2 x d x `failure_timeout`, "
     "plus the largest step", FL_KV_DURATION, FL_RANGE(0, 3600)},
    {"timers", "`\"monotonic\"`, `\"wall\"`", "", "`\"monotonic\"`", "`\"wall\"`",
     "`raft` only: the clock each member times its election timeout, lease and heartbeats on: "
     "its monotonic clock (a step does not move it), or its wall clock (a step back lengthens "
     "a leader's lease by the step, as in code that times with the time of day)",
     FL_KV_OTHER, FL_NO_BOUNDS},
    {"failover_cost", "duration", "", "`\"0s\"`", "`\"5s\"`",
     "`raft` only: after a leader change the new leader takes no request for this long "
     "(clients reconnect, caches warm)", FL_KV_DURATION, FL_RANGE(0, 3600)},
    {"degraded_reads", "`\"none\"`, `\"stale\"`", "", "`\"none\"`", "`\"stale\"`",
     "`raft` only: `stale`: a read that no leader can answer (none elected, or its lease or "
     "majority not confirmed) is answered by the member from its own copy, possibly stale "
     "(etcd's serializable reads); clients whose leader is down send reads to a member up "
     "they reach. Writes are still refused without a leader", FL_KV_OTHER, FL_NO_BOUNDS},
    {"observers", "array of `{\"zone\": z}`", "", "required with `observers`",
     "`[{\"zone\": \"east\"}, {\"zone\": \"west\"}, {\"zone\": \"cloud\"}]`",
     "1 to 32; used only by `observers`", FL_KV_OTHER, FL_NO_BOUNDS},
    {"cross_region_promotion", "boolean", "", "`true`", "`false`",
     "`false`: never promote a member outside the old primary's zone", FL_KV_OTHER, FL_NO_BOUNDS},
    {"min_replicas_to_write", "integer 0..members-1", "", "`0`", "`1`",
     "Redis: the primary refuses writes while fewer replicas than this have acked "
     "within `min_replicas_max_lag`; not with `quorum`", FL_KV_INTEGER, FL_AT_LEAST(0)},
    {"min_replicas_max_lag", "duration", "", "`\"10s\"`", "`\"10s\"`",
     "only with `min_replicas_to_write` of 1 or more", FL_KV_DURATION, FL_RANGE(0.001, 3600)},
    {NULL, NULL, NULL, NULL, NULL, NULL, FL_KV_OTHER, FL_NO_BOUNDS},
};

static const fl_kind_series kind_series[] = {
    {"primary.*", "flag", "1 while member M believes it is primary"},
    {"writes.*", "/s", "writes member M accepts"},
    {NULL, NULL, NULL},
};

const fl_component_ops fl_election_ops = {
    .kind = "election",
    .about = "a replicated register with failover (none, naive, observers, quorum, raft): "
             "split brain, reconciliation, lost writes, disruptive elections",
    .params = kind_params,
    .series = kind_series,
    .configure = configure,
    .on_request = on_request,
    .report = report,
    .sample = sample,
    .faults = FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE) | FL_FAULT_BIT(CLOCK),
    .member_faults = FL_FAULT_BIT(CRASH) | FL_FAULT_BIT(PAUSE) | FL_FAULT_BIT(CLOCK),
    .members = members,
    .member_zone = member_zone,
    .fault = fault,
    .destroy = destroy,
};
