/* The "quorum" failover policy of the election kind (Raft-like; see election.c): a write
 * is acknowledged when a majority applied it, a leader holds a lease (the heartbeat send
 * time its majority acknowledged, plus failure_timeout), only a leader holding its lease
 * answers reads (the newest committed version), a zone counts as available only when its
 * leader reaches a majority, and a suspecting member asks for votes. */
#include "model/election_int.h"

/* quorum: the local time at which p's lease runs out. */
fl_time fl__election_majority_lease(const election *s, int p, fl_time now)
{
    const member *m = &s->m[p];
    fl_time v[MAX_MEMBERS];
    int n = 0;
    for (int r = 0; r < s->nm; r++) {
        fl_time x = r == p ? mlocal(s, p, now) : m->ack_hb[r];
        int i = n++;
        while (i > 0 && v[i - 1] < x) { /* descending */
            v[i] = v[i - 1];
            i--;
        }
        v[i] = x;
    }
    fl_time k = v[majority(s) - 1];
    return k <= NEVER ? NEVER : k + s->ft;
}

/* Quorum: commits what a majority applied, and answers the writes waiting for it (raft
 * also keeps what each leader committed: cmv). */
void fl__election_advance_commit(election *s, int p)
{
    member *m = &s->m[p];
    uint64_t v[MAX_MEMBERS];
    int n = 0;
    for (int r = 0; r < s->nm; r++) {
        uint64_t x = r == p ? m->nlog : m->acked[r];
        int i = n++;
        while (i > 0 && v[i - 1] < x) {
            v[i] = v[i - 1];
            i--;
        }
        v[i] = x;
    }
    uint64_t c = v[majority(s) - 1];
    while (m->commit < c) {
        uint64_t i = m->commit++;
        const wrec *x = &s->wr[m->log[i]];
        if (x->version > s->cver[x->row])
            s->cver[x->row] = x->version;
        if (s->cmv && x->version > s->cmv[(size_t)x->row * (size_t)s->nm + (size_t)p])
            s->cmv[(size_t)x->row * (size_t)s->nm + (size_t)p] = x->version;
        if (m->pend[i] != FL_NONE) {
            uint32_t id = m->pend[i];
            m->pend[i] = FL_NONE;
            fl__election_count_ack(s, p, id);
            fl__election_member_reply(s, p, id, FL_OUT_OK);
        }
    }
}

static void detect_quorum(election *s, fl_time now)
{
    for (int c = 0; c < s->nm; c++) {
        member *mc = &s->m[c];
        if (mc->primary || out(s, c) || mlocal(s, c, now) - mc->last_hb < s->ft ||
            !eligible(s, c, mc->home))
            continue;
        int64_t t = mc->term > mc->voted ? mc->term : mc->voted;
        for (int v = 0; v < s->nm; v++) {
            member *mv = &s->m[v];
            if (v == c || out(s, v) || !reach_mm(s, c, v))
                continue;
            if (mv->term > t)
                t = mv->term;
            if (mv->voted > t)
                t = mv->voted;
        }
        t++;
        mc->voted = t;
        uint64_t mask = 1ull << c;
        int votes = 1;
        for (int v = 0; v < s->nm; v++) {
            member *mv = &s->m[v];
            if (v == c || out(s, v) || !reach_mm(s, c, v) || t <= mv->voted ||
                mv->primary || (mv->bprim >= 0 && mlocal(s, v, now) - mv->last_hb < s->ft) ||
                !up_to_date(mc, mv))
                continue;
            mv->voted = t;
            mask |= 1ull << v;
            votes++;
        }
        if (votes < majority(s))
            continue;
        fl__election_become_primary(s, c, t, now, mask, true);
        for (int v = 0; v < s->nm; v++)
            if (v != c && ((mask >> v) & 1))
                fl__election_follow(s, v, c, t, now);
        return;
    }
}

/* quorum: a write is answered when a majority has it (advance_commit). */
void fl__election_ack_on_majority(election *s, int p, uint32_t id)
{
    member *m = &s->m[p];
    m->pend[m->nlog - 1] = id;
    fl__election_advance_commit(s, p);
}

/* quorum: as Raft's AppendEntries, a replicated entry is contact from the leader. */
void fl__election_replicated_contact(election *s, int r, const msg *g, fl_time now)
{
    s->m[r].last_hb = mlocal(s, r, now);
    fl__election_send_ack(s, r, g->hb);
}

/* quorum: only a leader holding its lease answers, with the newest committed version. */
static bool read_committed(election *s, int mi, uint64_t key, int64_t *value)
{
    if (!s->m[mi].writable)
        return false;
    uint32_t row = key_find(s, key);
    *value = row == FL_NONE ? FL_VALUE_NONE : s->cver[row];
    return true;
}

/* quorum: a zone's clients can write only when their leader reaches a majority. */
bool fl__election_reaches_majority(const election *s, int p)
{
    int n = 0;
    for (int r = 0; r < s->nm; r++)
        n += !out(s, r) && (r == p || reach_mm(s, p, r));
    return n >= majority(s);
}

/* quorum: a new leader's committed versions are what it holds. */
static void commit_held(election *s, int p)
{
    for (size_t row = 0; row < s->nrows; row++)
        s->cver[row] = *ver_at(s, (uint32_t)row, p);
}

const policy fl__election_quorum = {
    .detect = detect_quorum, .lease = fl__election_majority_lease,
    .appended = fl__election_ack_on_majority, .acked = fl__election_advance_commit,
    .replicated = fl__election_replicated_contact, .read = read_committed,
    .available = fl__election_reaches_majority, .promoted = commit_held, .majority = true};
