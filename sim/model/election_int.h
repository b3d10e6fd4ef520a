/* Internal to the election kind: the core (election.c: members, messages, requests, the
 * report) and its failover policies, one table each (election_classic.c: none, naive,
 * observers; election_quorum.c: quorum). See election.c for the model. */
#ifndef FL_MODEL_ELECTION_INT_H
#define FL_MODEL_ELECTION_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <faultline/rng.h>

#include "core/keymap.h"
#include "model/replication.h"
#include "model/world.h"

#define MAX_MEMBERS 32
#define MAX_OBSERVERS 32
#define NEVER (INT64_MIN / 4)

enum { FO_NONE, FO_NAIVE, FO_OBSERVERS, FO_QUORUM, FO_RAFT }; /* failover_names, policies[] */
enum { READ_LEADER, READ_LEASE, READ_INDEX }; /* raft: read_names */
enum { MSG_HB, MSG_ACK, MSG_REPL, MSG_SYNC_REQ, MSG_SYNC_DATA, MSG_PROMOTE };
enum { TO_MEMBER, TO_OBSERVER, TO_ZONE };

typedef struct msg {
    fl_time hb;    /* HB, REPL, SYNC_DATA: sender's local send time; ACK: the one it answers */
    int64_t term;
    uint64_t gen;  /* REPL, SYNC_*: the follower's stream generation */
    uint64_t idx;  /* REPL: log index; ACK: entries of the primary's log applied */
    uint32_t next; /* free list */
    uint16_t from, to;
    uint8_t type, to_kind, flag; /* ACK flag: idx is valid (the member is synced) */
} msg;

typedef struct wrec { /* one write a member accepted as primary */
    uint64_t key;
    int64_t version, term;
    uint32_t row, member;
} wrec;

typedef struct member {
    char *name;
    int zone;
    bool primary;  /* believes it is the primary */
    bool writable; /* accepting writes now */
    bool down;     /* crashed */
    fl_time paused_until; /* stopped (a GC pause) before this true time: it reads nothing,
                             sends nothing and its timers wait; 0: never paused */
    bool synced;
    fl_time acc_start;
    int64_t term, voted;
    int bprim;     /* the primary it follows (itself when primary), -1: none */
    int64_t bterm;
    int home;      /* the last primary it knew (the zone rule of cross_region_promotion) */
    fl_time last_hb; /* local time of the last contact from bprim */
    uint64_t gen, arrived;
    fl_repl_stream stream; /* the primary's log as shipped to it (replication.h) */
    int64_t lterm; /* term of the newest write it holds */
    uint64_t len;  /* writes in its history */
    uint32_t *log, *pend; /* writes it accepted as primary, and the request awaiting commit */
    size_t nlog, logcap;
    uint64_t *have; /* bitset over write ids: its history */
    /* as primary: what it knows of the others */
    fl_time ack_hb[MAX_MEMBERS], ack_at[MAX_MEMBERS];
    uint64_t acked[MAX_MEMBERS];
    uint64_t commit;
    uint64_t accepted, acks, refused, reads, discarded, promotions;
    fl_time accepting;
    int col_primary, col_writes;
    /* raft (election_raft.c): */
    fl_time eto;        /* its randomised election timeout, on its clock */
    fl_time warm_until; /* true time its clients have reconnected after its promotion */
} member;

typedef struct observer {
    int zone, bprim;
    int64_t bterm;
    fl_time last_hb;
} observer;

typedef struct election election;
struct policy;

struct election {
    fl_world *w;
    fl_component *c;
    int nm, no, nz; /* nz: zones + 1 (index z + 1; 0 is "no zone") */
    member *m;
    observer *o;
    int failover, initial;
    const struct policy *pol; /* policies[failover] */
    bool cross_region;
    long min_replicas;
    fl_time hb, ft, max_lag;
    /* clients, per zone index */
    int *zprim;
    int64_t *zterm;
    uint8_t *zseen, *zdown;
    fl_time *zunavail, any_unavail, avail_t;
    uint64_t *zacked; /* writes acked to clients in the zone (index z + 1; 0: no zone) */
    uint64_t *mzacked; /* writes acked by members in the zone */
    /* messages */
    msg *msgs;
    fl_pool msgs_pool; /* over msgs, linked by next (core/pool.h) */
    /* writes */
    wrec *wr;
    size_t nwr, wrcap, words;
    /* key table: rows x members, plus the committed version (quorum) */
    fl_keymap keys; /* key -> row */
    size_t nrows, rows_cap;
    int64_t *ver, *cver;
    /* accepting intervals */
    fl_leader_interval *iv;
    size_t niv, ivcap;
    fl_check_result div;
    uint64_t heals, primaries_at_heal;
    int *crashed; /* per fault: the member it took down or paused, -1 */
    uint32_t ncrashed;
    int h_start, h_tick, h_msg, h_req, h_reply, h_retry, h_heal, h_avail;
    uint64_t failovers, stepdowns, reconciliations, discarded, lost_in_net, oom;
    int h_warm;
    /* time with no member accepting writes (ledger kept for every policy, reported by raft) */
    int nwritable;
    fl_time leaderless, leaderless_t;
    /* raft (election_raft.c): its options and what they cost */
    bool pre_vote, check_quorum;
    int reads; /* READ_* */
    fl_time failover_cost;
    bool wall_timers;   /* raft "timers": "wall": members time on their wall clocks (a step
                           moves their timeouts and leases); else on their monotonic ones */
    fl_time lease_cut;  /* "lease_margin": lease reads end this much before the majority
                           lease (the clock error they allow for), < failure_timeout */
    fl_rng rng; /* election timeouts */
    int64_t *cmv; /* rows x members: the newest version each member committed as leader */
    uint64_t elections, prevotes_lost, disruptions, stale_reads, reads_refused;
    /* raft "degraded_reads": "stale": a read no leader can answer is answered by the member
       from its own copy; counted, and of them those older than the newest committed */
    bool degraded;
    uint64_t degraded_reads, degraded_stale;
    fl_time read_unavail; /* time some zone's clients could have no read answered */
};

/* A failover policy ("failover"): what differs between them, one table each
 * (election_classic.c, election_quorum.c; election.c's policies[] by failover_names). The classic ones (none, naive, observers) differ only in who
 * promotes; quorum also commits on a majority, holds a lease, reads what is committed and
 * counts a zone available only when its leader reaches a majority. NULL hooks: nothing. */
typedef struct policy {
    /* At every tick, after the heartbeats: elect or promote (NULL: nobody is promoted). */
    void (*detect)(election *s, fl_time now);
    /* The local time primary p's lease runs out (NULL: no lease). */
    fl_time (*lease)(const election *s, int p, fl_time now);
    /* Write request id was appended to primary p's log: acknowledge it, now or later. */
    void (*appended)(election *s, int p, uint32_t id);
    /* An ack reached primary p. */
    void (*acked)(election *s, int p);
    /* Follower r applied entry g of its primary's stream. */
    void (*replicated)(election *s, int r, const msg *g, fl_time now);
    /* Member mi answers a read of `key`: its value, or false (refused). */
    bool (*read)(election *s, int mi, uint64_t key, int64_t *value);
    /* Zone clients whose primary p they reach can write (NULL: yes). */
    bool (*available)(const election *s, int p);
    /* p has just become primary. */
    void (*promoted)(election *s, int p);
    bool observers;    /* reads "observers" (required) */
    bool majority;     /* waits for a majority already: min_replicas_to_write is refused */
} policy;

extern const policy fl__election_none, fl__election_naive, fl__election_observers,
    fl__election_quorum, fl__election_raft;

/* ---- the core's services to the policies (election.c) ------------------------------- */

/* Sends message t to its addressee over the network model (a datagram). */
void fl__election_send(election *s, const msg *t);
/* Follower r acknowledges heartbeat (or entry) sent at local time hb to its primary. */
void fl__election_send_ack(election *s, int r, fl_time hb);
/* Member mi answers request id with outcome o (the answer travels back to the client). */
void fl__election_member_reply(election *s, int mi, uint32_t id, fl_outcome o);
/* Member mi acknowledged write request id: counted by zone. */
void fl__election_count_ack(election *s, int mi, uint32_t id);
/* r starts following primary p of term t (a full sync first). */
void fl__election_follow(election *s, int r, int p, int64_t t, fl_time now);
/* p becomes primary of term t; members in `contact` count as heard from now. */
void fl__election_become_primary(election *s, int p, int64_t t, fl_time now, uint64_t contact,
                                 bool counted);

/* p steps down (its accepting interval ends at `end`; writes not yet committed refused). */
void fl__election_step_down(election *s, int p, fl_time now, fl_time end);
/* Re-decides whether primary p accepts writes (its lease, its warm-up). */
void fl__election_eval(election *s, int p, fl_time now);

/* raft: member mi draws a new election timeout, uniform in [failure_timeout,
 * 2 x failure_timeout) (election_raft.c). */
void fl__election_raft_timer(election *s, int mi);

/* ---- shared by quorum and raft (election_quorum.c) ----------------------------------- */

/* The local time p's majority lease runs out: the heartbeat send time a majority (p
 * included) acknowledged, plus failure_timeout. */
fl_time fl__election_majority_lease(const election *s, int p, fl_time now);
/* Commits what a majority applied and answers the writes waiting for it. */
void fl__election_advance_commit(election *s, int p);
/* Write request id appended to p's log: answered once a majority has it. */
void fl__election_ack_on_majority(election *s, int p, uint32_t id);
/* A replicated entry is contact from the leader (as Raft's AppendEntries): r acks it. */
void fl__election_replicated_contact(election *s, int r, const msg *g, fl_time now);
/* p reaches a majority of the members that are up (itself included). */
bool fl__election_reaches_majority(const election *s, int p);

/* ---- small helpers ------------------------------------------------------------------- */

/* The group's monotonic clock at true time now (observers and the tick read it). */
static inline fl_time local(const election *s, fl_time now)
{
    return s->c->host.clock ? fl_clock_mono(s->c->host.clock, now) : now;
}

/* Member mi's monotonic clock at true time now: its own when a clock fault named it
 * ("etcd/2"), else the group's. Its heartbeat stamps, lease, election timer and the
 * contact it counts all read this one clock, so members whose clocks drift apart
 * disagree about when a lease or a timeout runs out, as real ones do. */
static inline fl_time mlocal(const election *s, int mi, fl_time now)
{
    const fl_clock *k = fl_member_clock(s->c, mi);
    return !k ? now : s->wall_timers ? fl_clock_wall(k, now) : fl_clock_mono(k, now);
}

/* The true time at which member mi's clock reads local time l (the first time, on a wall
 * clock that steps back). */
static inline fl_time mtrue_of(const election *s, int mi, fl_time l)
{
    const fl_clock *k = fl_member_clock(s->c, mi);
    if (l <= 0 || !k)
        return l <= 0 ? 0 : l;
    return s->wall_timers ? fl_clock_wall_reaches(k, 0, l) : fl_clock_mono_after(k, 0, l);
}

static inline fl_peer peer(const election *s, int mi)
{
    return (fl_peer){s->c->index, mi};
}

/* Members a and b reach each other now (their node link when one is named, else their
 * zones'): a partition between "redis/0" and "redis/1" cuts exactly that pair. */
static inline bool reach_mm(const election *s, int a, int b)
{
    return fl_world_peer_reach(s->w, peer(s, a), peer(s, b));
}

/* Zone z (an observer's, or a zone's clients) reaches member mi. */
static inline bool reach_zm(const election *s, int z, int mi)
{
    return fl_world_zone_reach(s->w, z, s->m[mi].zone);
}

/* Is (t1, p1) a newer primary than (t2, p2)? Higher term; same term: lower index. */
static inline bool better(int64_t t1, int p1, int64_t t2, int p2)
{
    if (p2 < 0)
        return t1 >= t2;
    return t1 > t2 || (t1 == t2 && p1 < p2);
}

static inline int majority(const election *s) { return s->nm / 2 + 1; }

/* Member r is crashed or paused now: it answers nobody and acts on nothing. */
static inline bool out(const election *s, int r)
{
    return s->m[r].down || fl_sim_now(s->w->sim) < s->m[r].paused_until;
}

static inline uint32_t key_find(const election *s, uint64_t key)
{
    return fl_keymap_find(&s->keys, key);
}

static inline int64_t *ver_at(election *s, uint32_t row, int m)
{
    return &s->ver[(size_t)row * (size_t)s->nm + (size_t)m];
}

static inline bool eligible(const election *s, int cand, int old)
{
    return s->cross_region || old < 0 || s->m[cand].zone == s->m[old].zone;
}

/* Is a at least as up to date as b (newest term first, then the longer history)? */
static inline bool up_to_date(const member *a, const member *b)
{
    return a->lterm > b->lterm || (a->lterm == b->lterm && a->len >= b->len);
}

#endif
