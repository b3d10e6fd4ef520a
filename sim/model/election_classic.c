/* The classic failover policies of the election kind (see election.c): "none", "naive"
 * (a replica that suspects its primary promotes itself) and "observers" (Sentinel,
 * Orchestrator). A write is acknowledged once the primary applied it, any member answers
 * reads from what it holds; they differ only in who promotes. */
#include "model/election_int.h"

/* A suspect primary that is up and reachable again answers the next ping within a round
 * trip: nobody promotes over it at the very moment a partition heals. */
static bool answers(const election *s, int zone, int p)
{
    return p >= 0 && s->m[p].primary && !out(s, p) && reach_zm(s, zone, p);
}

/* The same seen from member r. */
static bool answers_m(const election *s, int r, int p)
{
    return p >= 0 && s->m[p].primary && !out(s, p) && (r == p || reach_mm(s, r, p));
}

static void detect_naive(election *s, fl_time now)
{
    for (int r = 0; r < s->nm; r++) {
        member *m = &s->m[r];
        if (m->primary || out(s, r) || mlocal(s, r, now) - m->last_hb < s->ft ||
            !eligible(s, r, m->home) ||
            answers_m(s, r, m->bprim))
            continue;
        int64_t t = (m->term > m->bterm ? m->term : m->bterm) + 1;
        fl__election_become_primary(s, r, t, now, 0, true);
    }
}

static void detect_observers(election *s, fl_time now)
{
    fl_time l = local(s, now);
    for (int i = 0; i < s->no; i++) {
        observer *o = &s->o[i];
        if (l - o->last_hb < s->ft || answers(s, o->zone, o->bprim))
            continue;
        int n = 0;
        int64_t t = 0;
        for (int j = 0; j < s->no; j++) {
            observer *q = &s->o[j];
            if (l - q->last_hb >= s->ft && fl_world_zone_reach(s->w, o->zone, q->zone)) {
                n++;
                if (q->bterm > t)
                    t = q->bterm;
            }
        }
        if (2 * n <= s->no)
            continue;
        int old = o->bprim, cand = -1;
        for (int r = 0; r < s->nm; r++) {
            member *m = &s->m[r];
            if (r == old || out(s, r) || !reach_zm(s, o->zone, r) || !eligible(s, r, old))
                continue;
            if (cand < 0 || (up_to_date(m, &s->m[cand]) && !up_to_date(&s->m[cand], m)))
                cand = r;
        }
        if (cand < 0)
            continue; /* nobody to promote: the observers wait */
        t++;
        for (int j = 0; j < s->no; j++) {
            observer *q = &s->o[j];
            if (l - q->last_hb >= s->ft && fl_world_zone_reach(s->w, o->zone, q->zone)) {
                q->bprim = cand;
                q->bterm = t;
                q->last_hb = l;
            }
        }
        msg g = {.type = MSG_PROMOTE, .to_kind = TO_MEMBER, .from = (uint16_t)i,
                 .to = (uint16_t)cand, .term = t};
        fl__election_send(s, &g);
        return; /* one failover per tick */
    }
}

/* classic (none, naive, observers): a write is acknowledged once the primary applied it;
 * any member answers reads from what it holds. */
static void ack_now(election *s, int p, uint32_t id)
{
    member *m = &s->m[p];
    m->commit = m->nlog;
    fl__election_count_ack(s, p, id);
    fl__election_member_reply(s, p, id, FL_OUT_OK);
}

static bool read_own(election *s, int mi, uint64_t key, int64_t *value)
{
    uint32_t row = key_find(s, key);
    *value = row == FL_NONE ? FL_VALUE_NONE : *ver_at(s, row, mi);
    return true;
}

const policy fl__election_none = {.appended = ack_now, .read = read_own};
const policy fl__election_naive = {.detect = detect_naive, .appended = ack_now,
                                   .read = read_own};
const policy fl__election_observers = {.detect = detect_observers, .appended = ack_now,
                                       .read = read_own, .observers = true};
