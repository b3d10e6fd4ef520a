/* The "raft" failover policy of the election kind (see election.c): quorum's commit rule,
 * majority lease and availability, with Raft's terms and votes as etcd implements them, so
 * that a member that cannot hear the leader disrupts it, and the options that stop that:
 *
 *  - election timeouts are randomised: each member draws one, uniform in [failure_timeout,
 *    2 x failure_timeout), whenever it starts a campaign or moves to a new term; a member
 *    campaigns when its timeout has passed since it last heard from its leader (or since its
 *    last campaign), checked at its heartbeat ticks;
 *  - a campaign increments the candidate's term; every member it reaches (both ways on its
 *    pair's link, counted at once: vote messages take no time) moves to that term, a leader
 *    among them steps down, and grants its one vote of the term if the candidate's log is at
 *    least as up to date; a majority elects it. A leader learns of a higher term from any
 *    member it reaches at its next tick (the answer to its heartbeat) and steps down;
 *  - pre_vote: a campaign first asks whether the members it reaches would vote (same log
 *    rule, a term higher than theirs), without changing any term; only a majority of yeses
 *    lets it increment its term (etcd's PreVote: with logs equal, it still passes);
 *  - check_quorum: a leader steps down when its majority lease runs out (it has not heard a
 *    majority within failure_timeout), and a member that heard from a leader within
 *    failure_timeout (a leader: always) ignores vote and pre-vote requests, its term
 *    unchanged (etcd's CheckQuorum with its in-lease rule);
 *  - reads: "leader" (a member that believes it leads answers from what it committed: a
 *    deposed leader answers stale values), "lease" (only while its majority lease runs,
 *    on its own clock; safe only with check_quorum and clocks that agree: a leader whose
 *    clock runs slow by d and a follower whose clock runs fast by d overlap by up to
 *    failure_timeout x (1/(1-d) - 1/(1+d)), about 2d x failure_timeout), "read_index" (only
 *    when it reaches a majority still in its term now: linearizable, at the price of a
 *    round trip, which takes no time here);
 *  - lease_margin (with reads "lease"): lease reads end this long before the majority
 *    lease, the clock error allowed for (Raft thesis 6.4.1: the lease is shortened by the
 *    clock drift bound): with drift at most d on every clock, 2 d x failure_timeout makes
 *    them end before any follower can time out; a step larger than the margin still
 *    overlaps by the difference;
 *  - timers: "monotonic" (default) or "wall": which of its clocks a member times on; on the
 *    wall clock a step back of S lengthens a leader's lease by S (code timing with the time
 *    of day);
 *  - failover_cost: for this long after a leader change the new leader takes no request
 *    (clients reconnect, caches warm), and its zones count as unavailable;
 *  - degraded_reads "stale": a read the rule above refuses (no leader, or one that cannot
 *    confirm its lease or majority) is answered by the member from its own copy, as
 *    etcd's serializable reads are: the newest version it holds, possibly older than the
 *    newest committed (stale) and never a write: writes still need a leader. Clients whose
 *    leader is down or unknown send reads to the first member up that they reach.
 * A read is stale when the version it returns is older than the newest committed one. */
#include "model/election_int.h"

void fl__election_raft_timer(election *s, int mi)
{
    s->m[mi].eto = s->ft + (fl_time)fl_rng_below(&s->rng, (uint64_t)s->ft);
}

/* v heard from a leader within failure_timeout on its own clock (a leader: itself): with
 * check_quorum it ignores vote requests. */
static bool in_lease(const election *s, int v, fl_time now)
{
    const member *m = &s->m[v];
    return s->check_quorum &&
           (m->primary || (m->bprim >= 0 && mlocal(s, v, now) - m->last_hb < s->ft));
}

/* v moves to term t with no leader known (a leader steps down first). */
static void adopt(election *s, int v, int64_t t, fl_time now)
{
    member *m = &s->m[v];
    if (m->primary) {
        fl__election_step_down(s, v, now, now);
        s->disruptions++;
    }
    m->term = m->bterm = t;
    m->bprim = -1;
    m->last_hb = mlocal(s, v, now);
    fl__election_raft_timer(s, v);
}

static void campaign(election *s, int c, fl_time now)
{
    member *mc = &s->m[c];
    int64_t t = mc->term + 1;
    mc->last_hb = mlocal(s, c, now); /* its timer restarts, win or lose */
    fl__election_raft_timer(s, c);
    if (s->pre_vote) {
        int yes = 1;
        for (int v = 0; v < s->nm; v++) {
            const member *mv = &s->m[v];
            if (v != c && !out(s, v) && reach_mm(s, c, v) && !in_lease(s, v, now) &&
                t > mv->term && up_to_date(mc, mv))
                yes++;
        }
        if (yes < majority(s)) {
            s->prevotes_lost++;
            return;
        }
    }
    s->elections++;
    mc->term = mc->bterm = mc->voted = t;
    mc->bprim = -1;
    uint64_t mask = 1ull << c;
    int votes = 1;
    for (int v = 0; v < s->nm; v++) {
        member *mv = &s->m[v];
        if (v == c || out(s, v) || !reach_mm(s, c, v) || in_lease(s, v, now))
            continue;
        if (t > mv->term)
            adopt(s, v, t, now);
        if (t > mv->voted && up_to_date(mc, mv)) {
            mv->voted = t;
            mask |= 1ull << v;
            votes++;
        }
    }
    if (votes < majority(s))
        return;
    fl__election_become_primary(s, c, t, now, mask, true);
    for (int v = 0; v < s->nm; v++)
        if (v != c && ((mask >> v) & 1))
            fl__election_follow(s, v, c, t, now);
}

static void detect_raft(election *s, fl_time now)
{
    for (int p = 0; p < s->nm; p++) { /* a leader hears of a higher term */
        if (!s->m[p].primary || out(s, p))
            continue;
        for (int v = 0; v < s->nm; v++)
            if (v != p && !out(s, v) && reach_mm(s, p, v) && s->m[v].term > s->m[p].term) {
                adopt(s, p, s->m[v].term, now);
                break;
            }
    }
    for (int c = 0; c < s->nm; c++) {
        member *mc = &s->m[c];
        if (mc->primary || out(s, c) || mlocal(s, c, now) - mc->last_hb < mc->eto ||
            !eligible(s, c, mc->home))
            continue;
        campaign(s, c, now);
    }
}

/* check_quorum: the majority lease; without it a leader never steps down by itself. */
static fl_time raft_lease(const election *s, int p, fl_time now)
{
    return s->check_quorum ? fl__election_majority_lease(s, p, now) : INT64_MAX / 4;
}

/* p still leads a majority in its term now (read_index's confirmation round). */
static bool confirmed(const election *s, int p)
{
    int n = 1;
    for (int r = 0; r < s->nm; r++)
        n += r != p && !out(s, r) && reach_mm(s, p, r) && s->m[r].term == s->m[p].term &&
             s->m[r].bprim == p;
    return n >= majority(s);
}

static bool read_raft(election *s, int mi, uint64_t key, int64_t *value)
{
    member *m = &s->m[mi];
    fl_time now = fl_sim_now(s->w->sim);
    bool ok = m->primary && now >= m->warm_until;
    if (ok && s->reads == READ_LEASE)
        ok = mlocal(s, mi, now) < fl__election_majority_lease(s, mi, now) - s->lease_cut;
    else if (ok && s->reads == READ_INDEX)
        ok = confirmed(s, mi);
    uint32_t row = key_find(s, key);
    if (!ok && s->degraded) { /* its own copy: what it applied, committed or not */
        *value = row == FL_NONE ? FL_VALUE_NONE : *ver_at(s, row, mi);
        s->degraded_reads++;
        if (row != FL_NONE && *value < s->cver[row]) {
            s->stale_reads++;
            s->degraded_stale++;
        }
        return true;
    }
    if (!ok) {
        s->reads_refused++;
        return false;
    }
    *value = row == FL_NONE ? FL_VALUE_NONE : s->cmv[(size_t)row * (size_t)s->nm + (size_t)mi];
    if (row != FL_NONE && *value < s->cver[row])
        s->stale_reads++;
    return true;
}

/* A new leader: what it holds is committed; its clients reconnect for failover_cost. */
static void promoted_raft(election *s, int p)
{
    fl_time now = fl_sim_now(s->w->sim);
    for (size_t row = 0; row < s->nrows; row++) {
        int64_t v = *ver_at(s, (uint32_t)row, p);
        s->cver[row] = v;
        s->cmv[row * (size_t)s->nm + (size_t)p] = v;
    }
    if (s->failover_cost > 0) {
        s->m[p].warm_until = now + s->failover_cost;
        if (fl_sim_at(s->w->sim, s->m[p].warm_until, s->h_warm, (uint64_t)p))
            s->oom++;
    }
}

const policy fl__election_raft = {
    .detect = detect_raft, .lease = raft_lease, .appended = fl__election_ack_on_majority,
    .acked = fl__election_advance_commit, .replicated = fl__election_replicated_contact,
    .read = read_raft, .available = fl__election_reaches_majority, .promoted = promoted_raft,
    .majority = true};
